/* The cloud client against in-process SoupServers on 127.0.0.1:0, each
 * in its own thread with its own GMainContext.  Handlers answer with the
 * exact shapes docs/protocol.md documents; every request is recorded so
 * that a test can count retries and check headers server-side.  A second server
 * (same host, another port: another origin) plays the CDN.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <glib/gstdio.h>
#include <nemo/draft.h>
#include <nemo/log.h>

#include "cloud-private.h"
#include "test-util.h"

#define TEST_DRAFT \
  "{\"t\":[{\"tt\":0,\"sg\":[{\"k\":\"still\",\"src\":\"cover.jpg\"," \
  "\"n\":\"cover\",\"st\":0,\"d\":10000,\"zz_unknown\":{\"keep\":[1,2]}}]}," \
  "{\"tt\":1,\"sg\":[{\"k\":\"music\",\"src\":\"song.mp3\",\"n\":\"Lo-fi\"," \
  "\"st\":0,\"d\":10000,\"v\":0.35}]}],\"d\":10000," \
  "\"m\":{\"title\":\"Urban Dreams\"},\"x_service_key\":true}"
#define VIDEO_SIZE 300001

/* ---- the in-process service ------------------------------------------- */

typedef struct _Server Server;
/* TRUE when it answered; FALSE leaves @msg to the default service */
typedef gboolean (*Handler) (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count);

typedef struct
{
  gchar *method;
  gchar *path;
  gchar *authorization;
  gchar *client_id;
  gchar *skill_source;
  gchar *skill_version;
  gchar *skill_platform;
  gchar *accept;
  gchar *range;
  gchar *content_type;
  goffset content_length;
  GBytes *body;
} Request;

struct _Server
{
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SoupServer *soup;
  gchar *url;

  GMutex lock;
  GCond cond;
  gboolean ready;
  GPtrArray *requests;          /* Request* */
  guint marked_sent;            /* marked responses fully written */
  guint64 streamed;             /* request body bytes, when not accumulated */
  gboolean stream_bodies;

  Handler handler;
  gpointer data;                /* the test's */
  gchar *video_url;             /* where the default status says the video is */
  GBytes *video;
  GPtrArray *held;              /* stolen connections kept open */
};

static void
request_free (Request * request)
{
  g_free (request->method);
  g_free (request->path);
  g_free (request->authorization);
  g_free (request->client_id);
  g_free (request->skill_source);
  g_free (request->skill_version);
  g_free (request->skill_platform);
  g_free (request->accept);
  g_free (request->range);
  g_free (request->content_type);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_free (request);
}

static GBytes *
make_video (void)
{
  guint8 *data = g_malloc (VIDEO_SIZE);
  guint i;

  for (i = 0; i < VIDEO_SIZE; i++)
    data[i] = (i * 31 + i / 251) % 256;
  /* an MP4 starts with its ftyp box */
  memcpy (data, "\0\0\0\x18" "ftypisom", 12);
  return g_bytes_new_take (data, VIDEO_SIZE);
}

static void
reply (SoupServerMessage * msg, guint status, const gchar * json)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY,
      json, strlen (json));
}

G_GNUC_PRINTF (3, 4)
static void
reply_printf (SoupServerMessage * msg, guint status, const gchar * format, ...)
{
  va_list args;
  g_autofree gchar *json = NULL;

  va_start (args, format);
  json = g_strdup_vprintf (format, args);
  va_end (args);
  reply (msg, status, json);
}

static void
reply_sse (SoupServerMessage * msg, const gchar * const *events)
{
  GString *body = g_string_new (NULL);

  for (; *events != NULL; events++)
    g_string_append_printf (body, "data: %s\n\n", *events);
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/event-stream",
      SOUP_MEMORY_TAKE, body->str, body->len);
  g_string_free (body, FALSE);
}

/* Take the socket over and write @raw on it; closed unless @keep. */
static GIOStream *
reply_raw (Server * server, SoupServerMessage * msg, const gchar * raw,
    gsize length, gboolean keep)
{
  GIOStream *io = soup_server_message_steal_connection (msg);

  g_output_stream_write_all (g_io_stream_get_output_stream (io), raw, length,
      NULL, NULL, NULL);
  if (keep) {
    g_mutex_lock (&server->lock);
    g_ptr_array_add (server->held, io);
    g_mutex_unlock (&server->lock);
    return io;
  }
  g_io_stream_close (io, NULL, NULL);
  g_object_unref (io);
  return NULL;
}

static gchar *
body_member (SoupServerMessage * msg, const gchar * key)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (body->length == 0
      || !json_parser_load_from_data (parser, body->data, body->length, NULL))
    return NULL;
  return cloud_json_id (json_parser_get_root (parser), key);
}

/* The service as docs/protocol.md describes it, every call succeeding. */
static void
serve_default (Server * server, SoupServerMessage * msg, const gchar * path,
    guint count)
{
  if (g_str_equal (path, "/api/auth/anonymous-token"))
    reply_printf (msg, 200, "{\"code\":0,\"data\":{\"token\":"
        "\"nmv_usr_anon%u\",\"credits\":100}}", count);
  else if (g_str_equal (path, "/api/tasks/me/with-session/nemo_agent"))
    reply_printf (msg, 200, "{\"code\":0,\"msg\":\"ok\",\"data\":{"
        "\"task_id\":\"t%u\",\"session_id\":\"%u\"}}", count, 4240 + count);
  else if (g_str_equal (path, "/api/credits/balance/simple"))
    reply (msg, 200, "{\"code\":0,\"message\":\"ok\",\"data\":{"
        "\"available\":95,\"frozen\":5,\"total\":100}}");
  else if (g_str_has_prefix (path, "/api/upload-video/nemo_agent/me/"))
    reply (msg, 200, "{\"code\":0,\"data\":{\"files\":[{\"filename\":"
        "\"song.mp3\",\"file_type\":\"audio\",\"cdn_url\":"
        "\"https://cdn.example/song.mp3\",\"duration\":30.5,\"width\":0,"
        "\"height\":0,\"fps\":0,\"hash\":\"abc\"}],"
        "\"session_state_applied\":true}}");
  else if (g_str_equal (path, "/run_sse")) {
    const gchar *events[] = {
      "{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"I made a "
          "looping video.\"}]},\"author\":\"nemo_agent\"}", NULL
    };
    reply_sse (msg, events);
  } else if (g_str_has_prefix (path, "/api/state/nemo_agent/me/"))
    reply (msg, 200, "{\"code\":0,\"data\":{\"state\":{\"draft\":"
        TEST_DRAFT ",\"video_infos\":[],\"canvas_config\":{},"
        "\"generated_media\":[]}}}");
  else if (g_str_equal (path, "/api/render/proxy/lambda")) {
    g_autofree gchar *id = body_member (msg, "id");

    reply_printf (msg, 200, "{\"success\":true,\"data\":{\"id\":\"%s\"}}",
        id != NULL ? id : "missing");
  } else if (g_str_has_prefix (path, "/api/render/proxy/lambda/"))
    reply_printf (msg, 200, "{\"status\":\"completed\",\"progress\":100,"
        "\"output\":{\"url\":\"%s\",\"duration\":10,\"size\":%u}}",
        server->video_url, VIDEO_SIZE);
  else if (g_str_has_suffix (path, "/download")
      || g_str_equal (path, "/video.mp4")) {
    soup_server_message_set_status (msg, 200, NULL);
    soup_server_message_set_response (msg, "video/mp4", SOUP_MEMORY_COPY,
        g_bytes_get_data (server->video, NULL), VIDEO_SIZE);
  } else
    reply (msg, 404, "{\"code\":404,\"msg\":\"no such endpoint\"}");
}

static gchar *
header_dup (SoupMessageHeaders * headers, const gchar * name)
{
  return g_strdup (soup_message_headers_get_one (headers, name));
}

static void
marked_finished_cb (SoupServerMessage * msg, Server * server)
{
  g_mutex_lock (&server->lock);
  server->marked_sent++;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->lock);
}

/* Count @msg in marked_sent once its response is on the wire. */
static void
mark_sent (Server * server, SoupServerMessage * msg)
{
  g_signal_connect (msg, "finished", G_CALLBACK (marked_finished_cb), server);
}

static void
dispatch (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  Server *server = data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  Request *request = g_new0 (Request, 1);
  guint count = 0, i;

  request->method = g_strdup (soup_server_message_get_method (msg));
  request->path = g_strdup (path);
  request->authorization = header_dup (headers, "Authorization");
  request->client_id = header_dup (headers, "X-Client-Id");
  request->skill_source = header_dup (headers, "X-Skill-Source");
  request->skill_version = header_dup (headers, "X-Skill-Version");
  request->skill_platform = header_dup (headers, "X-Skill-Platform");
  request->accept = header_dup (headers, "Accept");
  request->range = header_dup (headers, "Range");
  request->content_type = header_dup (headers, "Content-Type");
  request->content_length = soup_message_headers_get_content_length (headers);
  if (!server->stream_bodies)
    request->body = soup_message_body_flatten (body);

  g_mutex_lock (&server->lock);
  g_ptr_array_add (server->requests, request);
  for (i = 0; i < server->requests->len; i++)
    count += g_str_equal (((Request *) server->requests->pdata[i])->path,
        path);
  g_mutex_unlock (&server->lock);

  if (server->handler == NULL || !server->handler (server, msg, path, count))
    serve_default (server, msg, path, count);
}

static void
got_chunk_cb (SoupServerMessage * msg, GBytes * chunk, Server * server)
{
  g_mutex_lock (&server->lock);
  server->streamed += g_bytes_get_size (chunk);
  g_mutex_unlock (&server->lock);
}

static void
got_headers_cb (SoupServerMessage * msg, Server * server)
{
  soup_message_body_set_accumulate (soup_server_message_get_request_body
      (msg), FALSE);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), server);
}

static void
request_started_cb (SoupServer * soup, SoupServerMessage * msg,
    Server * server)
{
  if (server->stream_bodies)
    g_signal_connect (msg, "got-headers", G_CALLBACK (got_headers_cb), server);
}

static gpointer
server_thread (gpointer data)
{
  Server *server = data;
  g_autoptr (GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (server->context);
  server->soup = soup_server_new (NULL, NULL);
  soup_server_add_handler (server->soup, NULL, dispatch, server, NULL);
  g_signal_connect (server->soup, "request-started",
      G_CALLBACK (request_started_cb), server);
  soup_server_listen_local (server->soup, 0, SOUP_SERVER_LISTEN_IPV4_ONLY,
      &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server->soup);
  g_mutex_lock (&server->lock);
  server->url = g_strdup_printf ("http://127.0.0.1:%d",
      g_uri_get_port (uris->data));
  server->ready = TRUE;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_main_loop_run (server->loop);

  g_ptr_array_set_size (server->held, 0);
  soup_server_disconnect (server->soup);
  g_clear_object (&server->soup);
  while (g_main_context_iteration (server->context, FALSE));     /* cleanups */
  g_main_context_pop_thread_default (server->context);
  return NULL;
}

/* Every wait on the server is bounded: a hang fails instead of running
 * until someone kills the test.  Called with server->lock held. */
#define SERVER_WAIT_LIMIT_S 60

static void
wait_bounded (Server * server, const gchar * what)
{
  gint64 deadline = g_get_monotonic_time () +
      SERVER_WAIT_LIMIT_S * G_TIME_SPAN_SECOND;

  if (!g_cond_wait_until (&server->cond, &server->lock, deadline))
    g_error ("waited %d s for %s", SERVER_WAIT_LIMIT_S, what);
}

static Server *
server_new (Handler handler, gpointer data)
{
  Server *server = g_new0 (Server, 1);

  g_mutex_init (&server->lock);
  g_cond_init (&server->cond);
  server->requests = g_ptr_array_new_with_free_func ((GDestroyNotify)
      request_free);
  server->held = g_ptr_array_new_with_free_func (g_object_unref);
  server->handler = handler;
  server->data = data;
  server->video = make_video ();
  server->context = g_main_context_new ();
  server->loop = g_main_loop_new (server->context, FALSE);
  server->thread = g_thread_new ("test-server", server_thread, server);
  g_mutex_lock (&server->lock);
  while (!server->ready)
    wait_bounded (server, "the test server to listen");
  g_mutex_unlock (&server->lock);
  server->video_url = g_strdup_printf ("%s/video.mp4", server->url);
  return server;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
server_free (Server * server)
{
  g_main_context_invoke (server->context, quit_loop, server->loop);
  g_thread_join (server->thread);
  g_main_loop_unref (server->loop);
  g_main_context_unref (server->context);
  g_ptr_array_unref (server->requests);
  g_ptr_array_unref (server->held);
  g_bytes_unref (server->video);
  g_free (server->url);
  g_free (server->video_url);
  g_mutex_clear (&server->lock);
  g_cond_clear (&server->cond);
  g_free (server);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Server, server_free)

/* Requests whose path starts with @prefix. */
static guint
count_requests (Server * server, const gchar * prefix)
{
  guint i, count = 0;

  g_mutex_lock (&server->lock);
  for (i = 0; i < server->requests->len; i++)
    count += g_str_has_prefix (((Request *) server->requests->pdata[i])->path,
        prefix);
  g_mutex_unlock (&server->lock);
  return count;
}

/* The @nth (0-based) request whose path starts with @prefix. */
static Request *
get_request (Server * server, const gchar * prefix, guint nth)
{
  Request *found = NULL;
  guint i;

  g_mutex_lock (&server->lock);
  for (i = 0; i < server->requests->len && found == NULL; i++) {
    Request *request = server->requests->pdata[i];

    if (g_str_has_prefix (request->path, prefix) && nth-- == 0)
      found = request;
  }
  g_mutex_unlock (&server->lock);
  g_assert_nonnull (found);
  return found;
}

static void
wait_sent (Server * server, guint target)
{
  g_mutex_lock (&server->lock);
  while (server->marked_sent < target)
    wait_bounded (server, "a reply to go out");
  g_mutex_unlock (&server->lock);
}

/* ---- what the client reports ------------------------------------------ */

typedef struct
{
  GThread *thread;              /* callbacks must come on the calling thread */
  GPtrArray *replies;
  GPtrArray *summaries;
  gchar *draft_json;
  GPtrArray *jobs;              /* "session/render" */
  gint64 available, frozen, total;
  guint credits;
  guint still_working;
  guint64 last_elapsed;
  GString *stages;              /* progress stages in order, deduplicated */
  GByteArray *video;
} Seen;

static void
seen_on_thread (Seen * seen)
{
  g_assert_true (g_thread_self () == seen->thread);
}

static void
on_reply (const gchar * text, gpointer data)
{
  Seen *seen = data;

  seen_on_thread (seen);
  g_ptr_array_add (seen->replies, g_strdup (text));
}

static void
on_timeline (const gchar * summary, const gchar * draft_json, gpointer data)
{
  Seen *seen = data;

  seen_on_thread (seen);
  g_ptr_array_add (seen->summaries, g_strdup (summary));
  g_free (seen->draft_json);
  seen->draft_json = g_strdup (draft_json);
}

static void
on_credits (gint64 available, gint64 frozen, gint64 total, gpointer data)
{
  Seen *seen = data;

  seen_on_thread (seen);
  seen->available = available;
  seen->frozen = frozen;
  seen->total = total;
  seen->credits++;
}

static void
on_job (const gchar * session_id, const gchar * render_id, gpointer data)
{
  Seen *seen = data;

  seen_on_thread (seen);
  g_ptr_array_add (seen->jobs, g_strdup_printf ("%s/%s", session_id,
          render_id != NULL ? render_id : "-"));
}

static void
on_still_working (guint64 elapsed_ns, gpointer data)
{
  Seen *seen = data;

  seen_on_thread (seen);
  g_assert_cmpuint (elapsed_ns, >=, seen->last_elapsed);
  seen->last_elapsed = elapsed_ns;
  seen->still_working++;
}

static void
on_progress (const gchar * stage, gdouble percent, gpointer data)
{
  Seen *seen = data;
  g_autofree gchar *item = g_strdup_printf ("%s;", stage);

  seen_on_thread (seen);
  g_assert_cmpfloat (percent, >=, 0.0);
  g_assert_cmpfloat (percent, <=, 100.0);
  if (!g_str_has_suffix (seen->stages->str, item))
    g_string_append (seen->stages, item);
}

static gboolean
on_data (const guint8 * data, gsize size, gpointer user_data, GError ** error)
{
  Seen *seen = user_data;

  seen_on_thread (seen);
  g_byte_array_append (seen->video, data, size);
  return TRUE;
}

static const NemoCloudCallbacks callbacks = {
  on_reply, on_timeline, on_credits, on_job, on_still_working, on_progress,
  on_data
};

static Seen *
seen_new (void)
{
  Seen *seen = g_new0 (Seen, 1);

  seen->thread = g_thread_self ();
  seen->replies = g_ptr_array_new_with_free_func (g_free);
  seen->summaries = g_ptr_array_new_with_free_func (g_free);
  seen->jobs = g_ptr_array_new_with_free_func (g_free);
  seen->stages = g_string_new (NULL);
  seen->video = g_byte_array_new ();
  return seen;
}

static void
seen_free (Seen * seen)
{
  g_ptr_array_unref (seen->replies);
  g_ptr_array_unref (seen->summaries);
  g_ptr_array_unref (seen->jobs);
  g_free (seen->draft_json);
  g_string_free (seen->stages, TRUE);
  g_byte_array_unref (seen->video);
  g_free (seen);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Seen, seen_free)

/* A client of @server with a known token unless @token is NULL. */
static NemoCloud *
client_new (Server * server, const gchar * token, Seen * seen)
{
  NemoCloudConfig config;
  NemoCloud *cloud;
  g_autoptr (GError) error = NULL;

  nemo_cloud_config_init (&config);
  config.api_url = g_strdup (server->url);
  config.token = g_strdup (token);
  config.client_id = g_strdup ("client-1234");
  config.retries = 2;
  config.poll_interval_ms = 10;
  cloud = nemo_cloud_new (&config, &callbacks, seen, &error);
  g_assert_no_error (error);
  nemo_cloud_config_clear (&config);
  return cloud;
}

static void
open_session (NemoCloud * cloud)
{
  g_autoptr (GError) error = NULL;

  gboolean ok = nemo_cloud_open_session (cloud, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
}

static gchar *
write_temp_file (const gchar * name, const gchar * contents, gsize length)
{
  g_autofree gchar *dir = g_dir_make_tmp ("nemo-cloud-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, length, NULL));
  return path;
}

static void
remove_temp_file (const gchar * path)
{
  g_autofree gchar *dir = g_path_get_dirname (path);

  g_remove (path);
  g_rmdir (dir);
}

/* ---- settings, envelopes, messages, wording ---------------------------- */

static gboolean
mentions (const gchar * text, const gchar * word)
{
  g_autofree gchar *lower = g_utf8_strdown (text, -1);

  return strstr (lower, word) != NULL;
}

static void
test_api_url (void)
{
  static const struct
  {
    const gchar *url;
    gboolean ok;
    const gchar *says;          /* the URL is echoed: what only this refusal says */
  } cases[] = {
    {"https://mega-api-prod.nemovideo.ai", TRUE, NULL},
    {"https://example.com:8443/", TRUE, NULL},
    {"http://127.0.0.1:8080", TRUE, NULL},
    {"http://127.1.2.3", TRUE, NULL},
    {"http://localhost:9000", TRUE, NULL},
    {"http://[::1]:9000", TRUE, NULL},
    {"http://example.com", FALSE, "only for loopback hosts"},
    {"http://10.0.0.1", FALSE, "only for loopback hosts"},
    {"ftp://127.0.0.1", FALSE, "must start with https://"},
    {"not a url", FALSE, "Use the form https://host[:port]"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    NemoCloudConfig config;
    g_autoptr (GError) error = NULL;
    g_autoptr (NemoCloud) cloud = NULL;

    nemo_cloud_config_init (&config);
    config.api_url = g_strdup (cases[i].url);
    cloud = nemo_cloud_new (&config, NULL, NULL, &error);
    nemo_cloud_config_clear (&config);
    g_test_message ("%s", cases[i].url);
    if (cases[i].ok) {
      g_assert_no_error (error);
      g_assert_nonnull (cloud);
    } else {
      g_assert_null (cloud);
      g_assert_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, cases[i].url));
      g_assert_nonnull (strstr (error->message, cases[i].says));
    }
  }
}

static void
test_envelopes (void)
{
  static const struct
  {
    const gchar *json;
    guint status;
    gint code;
    const gchar *message;
    gboolean has_data;
  } cases[] = {
    {"{\"code\":0,\"data\":{\"a\":1}}", 200, 0, NULL, TRUE},
    {"{\"code\":0,\"msg\":\"ok\",\"data\":{}}", 200, 0, "ok", TRUE},
    {"{\"code\":0,\"message\":\"fine\",\"data\":{}}", 200, 0, "fine", TRUE},
    {"{\"code\":1001,\"msg\":\"token expired\"}", 200, 1001, "token expired",
        FALSE},
    {"{\"code\":\"1002\",\"message\":\"no session\"}", 200, 1002,
        "no session", FALSE},
    {"{\"code\":2001,\"msg\":\"no credits\",\"data\":null}", 200, 2001,
        "no credits", FALSE},
    {"{\"success\":true,\"data\":{\"id\":\"r\"}}", 200, 0, NULL, TRUE},
    {"{\"success\":false,\"error\":\"render backend down\"}", 200, 1,
        "render backend down", FALSE},
    {"{\"success\":false,\"error\":{\"code\":4002,\"message\":\"big\"}}", 400,
        4002, "big", FALSE},
    {"{\"success\":false,\"error\":\"payment\"}", 402, 402, "payment", FALSE},
    {"{\"code\":429,\"msg\":\"slow down\"}", 200, 429, "slow down", FALSE},
    {"{\"detail\":\"Not Found\"}", 404, 404, NULL, FALSE},
    {"{\"msg\":\"missing X-Client-Id\"}", 400, 400, "missing X-Client-Id",
        FALSE},
    {"{}", 401, 1001, NULL, FALSE},
    {NULL, 429, 429, NULL, FALSE},
    {NULL, 200, 0, NULL, FALSE},
    {"[1]", 200, 1, NULL, FALSE},
    {"{\"status\":\"completed\",\"output\":{\"url\":\"u\"}}", 200, 0, NULL,
        FALSE},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (JsonNode) root = cases[i].json != NULL ?
        json_from_string (cases[i].json, NULL) : NULL;
    CloudEnvelope envelope;

    g_test_message ("case %u: %s", i, cases[i].json);
    cloud_envelope_read (root, cases[i].status, &envelope);
    g_assert_cmpint (envelope.code, ==, cases[i].code);
    g_assert_cmpstr (envelope.message, ==, cases[i].message);
    g_assert_cmpint (envelope.data != NULL, ==, cases[i].has_data);
  }
}

static void
test_error_messages (void)
{
  static const struct
  {
    gint code;
    guint status;
    gint error_code;
    const gchar *says[3];
    const gchar *never;
  } cases[] = {
    {2001, 200, NEMO_ERROR_OUT_OF_CREDITS,
        {"Out of credits", "register?bind=client-1234", "top up"}, NULL},
    {402, 402, NEMO_ERROR_EXPORT_BLOCKED,
        {"Register or upgrade your plan to unlock export."}, "credit"},
    {4001, 200, NEMO_ERROR_UNSUPPORTED_TYPE,
        /* the documents' list, as docs/protocol.md quotes it */
        {"“/x/a.xyz”", "mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, "
              "wav, m4a, aac.", "Convert"}, "flac"},
    {4002, 200, NEMO_ERROR_FILE_TOO_LARGE,
        {"“/x/a.xyz” is too large", "max-upload-size", "max-duration"}, NULL},
    {1001, 200, NEMO_ERROR_TOKEN_EXPIRED,
        {"rejected the access token", "NEMO_TOKEN"}, "secret-token"},
    {1002, 200, NEMO_ERROR_SESSION_NOT_FOUND,
        {"does not know session", "Start again without session-id"}, NULL},
    {429, 429, NEMO_ERROR_RATE_LIMITED,
        {"rate limiting this client (HTTP 429)", "Wait a few minutes"}, NULL},
    {400, 400, NEMO_ERROR_MISSING_CLIENT_ID,
        {"refused the request (HTTP 400)", "Check client-id"}, NULL},
    {404, 404, NEMO_ERROR_FAILED, {"HTTP 404", "Check api-url"}, NULL},
    {7777, 200, NEMO_ERROR_FAILED, {"error code 7777", "Try again"}, NULL},
  };
  NemoCloudConfig config;
  g_autoptr (NemoCloud) cloud = NULL;
  CloudCall call = { "upload “/x/a.xyz”", "/x/a.xyz", CLOUD_CALL_SESSION,
    NULL, NULL
  };
  guint i, j;

  nemo_cloud_config_init (&config);
  config.client_id = g_strdup ("client-1234");
  config.token = g_strdup ("secret-token");
  cloud = nemo_cloud_new (&config, NULL, NULL, NULL);
  nemo_cloud_config_clear (&config);

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    /* the service's words are quoted, the token in them never */
    g_autoptr (GError) error = cloud_service_error (cloud, &call,
        cases[i].code, cases[i].status, "it said secret-token, credits", NULL);

    g_test_message ("%d: %s", cases[i].code, error->message);
    g_assert_error (error, NEMO_ERROR, cases[i].error_code);
    for (j = 0; j < G_N_ELEMENTS (cases[i].says) && cases[i].says[j]; j++)
      g_assert_nonnull (strstr (error->message, cases[i].says[j]));
    g_assert_null (strstr (error->message, "secret-token"));
    if (cases[i].never != NULL)
      g_assert_false (mentions (error->message, cases[i].never));
  }
}

static void
test_gui_text (void)
{
  static const struct
  {
    const gchar *text;
    const gchar *translated;
  } cases[] = {
    {"Click Export to download", "The element exports and downloads it for "
          "you."},
    {"Your video is ready! Click the Export button to download it.",
        "Your video is ready! The element exports and downloads it for you."},
    {"Drag the clip onto the timeline.", "To change it, describe the edit "
          "in the prompt: it is sent to the agent as a chat message."},
    {"Open the settings panel to check the size.", "The element reads the "
          "session state for you."},
    {"You can preview it in the timeline.", "The element reads the timeline "
          "and posts its track summary."},
    {"Click Apply to keep it.", "The element does this through the "
          "service's API for you."},
    {"Done. Click Export. Then click Export again.", "Done. The element "
          "exports and downloads it for you."},
    {"- Click Export\n- Enjoy", "- The element exports and downloads it for "
          "you.\n- Enjoy"},
    {"视频已生成。点击导出即可下载。", "视频已生成。nemorender 会自动导出并下载视频。"},
    {"请拖拽片段到时间线。", "如需修改，请在提示词里描述，它会作为消息发送给智能体。"},
    {"打开设置面板查看。", "nemorender 会为你读取会话状态。"},
    {"点击应用。", "nemorender 会通过 API 替你完成这一步。"},
    {"可以在时间线中预览。", "nemorender 会读取时间线并给出轨道摘要。"},
    {"The beat drops at 0:30. Version 1.5 is used.",
        "The beat drops at 0:30. Version 1.5 is used."},
    {"I exported nothing yet; the open-air vibe stays.",
        "I exported nothing yet; the open-air vibe stays."},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *translated = nemo_cloud_translate_gui_text
        (cases[i].text);

    g_assert_cmpstr (translated, ==, cases[i].translated);
  }
}

/* ---- tokens and headers ------------------------------------------------ */

static void
assert_attribution (Request * request)
{
  g_assert_cmpstr (request->skill_source, ==, "yt-music");
  g_assert_cmpstr (request->skill_version, ==, "1.0.0");
  g_assert_cmpstr (request->skill_platform, ==, "unknown");
}

static void
test_token_from_config (void)
{
  g_autoptr (Server) server = server_new (NULL, NULL);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = NULL;

  g_setenv ("NEMO_TOKEN", "env-token", TRUE);
  cloud = client_new (server, "config-token", seen);
  g_unsetenv ("NEMO_TOKEN");
  open_session (cloud);
  g_assert_cmpuint (count_requests (server, "/api/auth/"), ==, 0);
  g_assert_cmpstr (get_request (server, "/api/tasks/", 0)->authorization, ==,
      "Bearer config-token");
  g_assert_cmpstr (get_request (server, "/api/credits/", 0)->authorization,
      ==, "Bearer config-token");
  assert_attribution (get_request (server, "/api/tasks/", 0));
  g_assert_cmpstr (nemo_cloud_get_session_id (cloud), ==, "4241");
  g_assert_cmpuint (seen->credits, ==, 1);
  g_assert_cmpint (seen->available, ==, 95);
  g_assert_cmpint (seen->frozen, ==, 5);
  g_assert_cmpint (seen->total, ==, 100);
  g_assert_cmpuint (seen->jobs->len, ==, 1);
  g_assert_cmpstr (seen->jobs->pdata[0], ==, "4241/-");
}

static void
test_token_from_env (void)
{
  g_autoptr (Server) server = server_new (NULL, NULL);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = NULL;

  g_setenv ("NEMO_TOKEN", "env-token", TRUE);
  cloud = client_new (server, NULL, seen);
  g_unsetenv ("NEMO_TOKEN");
  open_session (cloud);
  g_assert_cmpuint (count_requests (server, "/api/auth/"), ==, 0);
  g_assert_cmpstr (get_request (server, "/api/tasks/", 0)->authorization, ==,
      "Bearer env-token");
}

static void
test_token_anonymous (void)
{
  g_autoptr (Server) server = server_new (NULL, NULL);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, NULL, seen);
  Request *token_call, *session_call;

  open_session (cloud);
  g_assert_cmpuint (count_requests (server, "/api/auth/anonymous-token"), ==,
      1);
  token_call = get_request (server, "/api/auth/anonymous-token", 0);
  g_assert_cmpstr (token_call->method, ==, "POST");
  g_assert_cmpstr (token_call->client_id, ==, "client-1234");
  g_assert_null (token_call->authorization);
  assert_attribution (token_call);
  session_call = get_request (server, "/api/tasks/", 0);
  g_assert_cmpstr (session_call->authorization, ==, "Bearer nmv_usr_anon1");
  g_assert_null (session_call->client_id);
  g_assert_cmpstr (g_bytes_get_data (session_call->body, NULL), ==,
      "{\"task_name\":\"project\",\"language\":\"en\"}");
}

static void
test_token_random_client_id (void)
{
  g_autoptr (Server) server = server_new (NULL, NULL);
  NemoCloudConfig config;
  g_autoptr (NemoCloud) cloud = NULL;
  const gchar *client_id;

  nemo_cloud_config_init (&config);
  config.api_url = g_strdup (server->url);
  cloud = nemo_cloud_new (&config, NULL, NULL, NULL);
  nemo_cloud_config_clear (&config);
  open_session (cloud);
  client_id = get_request (server, "/api/auth/", 0)->client_id;
  g_assert_true (g_uuid_string_is_valid (client_id));
}

/* ---- error codes, counted server-side ----------------------------------- */

static gboolean
fail_session_1001 (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count)
{
  guint *failures = server->data;

  if (!g_str_equal (path, "/api/tasks/me/with-session/nemo_agent")
      || count > *failures)
    return FALSE;
  reply (msg, 200, "{\"code\":1001,\"msg\":\"token expired\"}");
  return TRUE;
}

static void
test_error_1001 (void)
{
  guint failures = 1;
  g_autoptr (Server) server = server_new (fail_session_1001, &failures);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, "old-token", seen);
  g_autoptr (GError) error = NULL;

  /* once: a new anonymous token, then the same call again */
  open_session (cloud);
  g_assert_cmpuint (count_requests (server, "/api/tasks/"), ==, 2);
  g_assert_cmpuint (count_requests (server, "/api/auth/anonymous-token"), ==,
      1);
  g_assert_cmpstr (get_request (server, "/api/tasks/", 0)->authorization, ==,
      "Bearer old-token");
  g_assert_cmpstr (get_request (server, "/api/tasks/", 1)->authorization, ==,
      "Bearer nmv_usr_anon1");

  /* always: one retry, then the error */
  failures = 100;
  g_assert_false (nemo_cloud_open_session (cloud, NULL, NULL, &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_TOKEN_EXPIRED);
  g_assert_nonnull (strstr (error->message, "rejected the access token"));
  g_assert_nonnull (strstr (error->message, "NEMO_TOKEN"));
  g_assert_cmpuint (count_requests (server, "/api/tasks/"), ==, 4);
  g_assert_cmpuint (count_requests (server, "/api/auth/anonymous-token"), ==,
      2);
}

static gboolean
fail_chat_1002 (Server * server, SoupServerMessage * msg, const gchar * path,
    guint count)
{
  guint *failures = server->data;

  if (!g_str_equal (path, "/run_sse") || count > *failures)
    return FALSE;
  reply (msg, 200, "{\"code\":1002,\"message\":\"session not found\"}");
  return TRUE;
}

static void
test_error_1002 (void)
{
  guint failures = 1;
  g_autoptr (Server) server = server_new (fail_chat_1002, &failures);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = write_temp_file ("song.mp3", "ID3 not really", 14);
  g_autofree gchar *chat_body = NULL;

  open_session (cloud);
  g_assert_true (nemo_cloud_upload_file (cloud, path, NULL, &error));
  g_assert_true (nemo_cloud_upload_url (cloud, "https://media.example/a.jpg",
          NULL, &error));
  g_assert_no_error (error);

  /* once: a new session, both uploads again into it, the chat again */
  g_assert_true (nemo_cloud_chat (cloud, "make a video", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (nemo_cloud_get_session_id (cloud), ==, "4242");
  g_assert_cmpuint (count_requests (server, "/api/tasks/"), ==, 2);
  g_assert_cmpuint (count_requests (server, "/run_sse"), ==, 2);
  g_assert_cmpuint (count_requests (server,
          "/api/upload-video/nemo_agent/me/4241"), ==, 2);
  g_assert_cmpuint (count_requests (server,
          "/api/upload-video/nemo_agent/me/4242"), ==, 2);
  g_assert_nonnull (strstr (get_request (server,
              "/api/upload-video/nemo_agent/me/4242", 0)->content_type,
          "multipart/form-data"));
  g_assert_cmpstr (get_request (server,
          "/api/upload-video/nemo_agent/me/4242", 1)->content_type, ==,
      "application/json");
  chat_body = g_strndup (g_bytes_get_data (get_request (server, "/run_sse",
              1)->body, NULL), g_bytes_get_size (get_request (server,
              "/run_sse", 1)->body));
  g_assert_nonnull (strstr (chat_body, "\"session_id\":\"4242\""));
  g_assert_cmpstr (seen->jobs->pdata[seen->jobs->len - 1], ==, "4242/-");
  g_assert_cmpuint (seen->replies->len, ==, 1);

  /* always: one new session, then the error */
  failures = 100;
  g_assert_false (nemo_cloud_chat (cloud, "again", NULL, &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_SESSION_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "does not know session"));
  g_assert_nonnull (strstr (error->message, "Start again without session-id"));
  g_assert_cmpuint (count_requests (server, "/run_sse"), ==, 4);
  g_assert_cmpuint (count_requests (server, "/api/tasks/"), ==, 3);
  remove_temp_file (path);
}

static gboolean
rate_limit_credits (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count)
{
  guint *failures = server->data;

  if (!g_str_equal (path, "/api/credits/balance/simple") || count > *failures)
    return FALSE;
  soup_message_headers_append (soup_server_message_get_response_headers (msg),
      "Retry-After", "0");
  reply (msg, 429, "{\"code\":429,\"msg\":\"too many requests\"}");
  return TRUE;
}

static void
test_error_429 (void)
{
  guint failures = 1;
  g_autoptr (Server) server = server_new (rate_limit_credits, &failures);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);
  g_autoptr (GError) error = NULL;

  open_session (cloud);
  g_assert_cmpuint (count_requests (server, "/api/credits/"), ==, 2);
  g_assert_cmpuint (seen->credits, ==, 1);

  failures = 100;
  g_assert_false (nemo_cloud_refresh_credits (cloud, NULL, &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_RATE_LIMITED);
  g_assert_nonnull (strstr (error->message, "too many requests"));
  g_assert_nonnull (strstr (error->message, "Wait a few minutes"));
  g_assert_cmpuint (count_requests (server, "/api/credits/"), ==, 4);
  g_assert_cmpuint (nemo_cloud_get_http_status (cloud), ==, 429);
}

static gboolean
answer_code (Server * server, SoupServerMessage * msg, const gchar * path,
    guint count)
{
  const gchar *const *spec = server->data;     /* path prefix, status, json */

  if (!g_str_has_prefix (path, spec[0]))
    return FALSE;
  reply (msg, atoi (spec[1]), spec[2]);
  return TRUE;
}

static void
test_error_stops (void)
{
  static const struct
  {
    const gchar *spec[3];
    const gchar *call;
    gint code;
    const gchar *says;
  } cases[] = {
    {{"/run_sse", "200", "{\"code\":2001,\"msg\":\"insufficient credits\"}"},
        "chat", NEMO_ERROR_OUT_OF_CREDITS, "register?bind=client-1234"},
    {{"/api/render/proxy/lambda", "402",
              "{\"success\":false,\"error\":\"no credits for export\"}"},
        "export", NEMO_ERROR_EXPORT_BLOCKED,
        "Register or upgrade your plan to unlock export."},
    {{"/api/upload-video/", "200", "{\"code\":4001,\"msg\":\"bad type\"}"},
        "upload", NEMO_ERROR_UNSUPPORTED_TYPE, "mp4, mov, avi, webm, mkv"},
    {{"/api/upload-video/", "413", "{\"code\":4002,\"msg\":\"too big\"}"},
        "upload", NEMO_ERROR_FILE_TOO_LARGE, "max-upload-size"},
    {{"/api/state/", "404", "{\"detail\":\"Not Found\"}"},
        "state", NEMO_ERROR_FAILED, "HTTP 404"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (Server) server = server_new (answer_code,
        (gpointer) cases[i].spec);
    g_autoptr (Seen) seen = seen_new ();
    g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);
    g_autoptr (GError) error = NULL;
    g_autofree gchar *path = write_temp_file ("a.mp3", "x", 1);
    g_autoptr (JsonNode) draft = json_from_string (TEST_DRAFT, NULL);
    g_autofree gchar *render_id = NULL;
    g_autoptr (JsonNode) state = NULL;

    open_session (cloud);
    if (g_str_equal (cases[i].call, "chat"))
      g_assert_false (nemo_cloud_chat (cloud, "go", NULL, &error));
    else if (g_str_equal (cases[i].call, "export"))
      g_assert_null ((render_id = nemo_cloud_export (cloud, draft, NULL,
                  &error)));
    else if (g_str_equal (cases[i].call, "upload"))
      g_assert_false (nemo_cloud_upload_file (cloud, path, NULL, &error));
    else
      g_assert_null ((state = nemo_cloud_get_state (cloud, NULL, &error)));
    g_test_message ("%s", error->message);
    g_assert_error (error, NEMO_ERROR, cases[i].code);
    g_assert_nonnull (strstr (error->message, cases[i].says));
    if (cases[i].code == NEMO_ERROR_EXPORT_BLOCKED)
      g_assert_false (mentions (error->message, "credit"));
    if (cases[i].code == NEMO_ERROR_UNSUPPORTED_TYPE
        || cases[i].code == NEMO_ERROR_FILE_TOO_LARGE)
      g_assert_nonnull (strstr (error->message, path));
    /* these stop: no retry */
    g_assert_cmpuint (count_requests (server, cases[i].spec[0]), ==, 1);
    remove_temp_file (path);
  }
}

static void
test_upload_too_large_locally (void)
{
  g_autoptr (Server) server = server_new (NULL, NULL);
  NemoCloudConfig config;
  g_autoptr (NemoCloud) cloud = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = write_temp_file ("big.mp4", "0123456789", 10);

  nemo_cloud_config_init (&config);
  config.api_url = g_strdup (server->url);
  config.token = g_strdup ("tok");
  config.max_upload_size = 5;
  cloud = nemo_cloud_new (&config, NULL, NULL, NULL);
  nemo_cloud_config_clear (&config);
  open_session (cloud);
  g_assert_false (nemo_cloud_upload_file (cloud, path, NULL, &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_FILE_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "max-duration"));
  g_assert_cmpuint (count_requests (server, "/api/upload-video/"), ==, 0);
  remove_temp_file (path);
}

/* Stopped as the upload begins: a cancel, never a missing file (the file
 * query fails with G_IO_ERROR_CANCELLED first), and nothing is sent. */
static void
test_upload_cancelled (void)
{
  g_autoptr (Server) server = server_new (NULL, NULL);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = write_temp_file ("song.mp3", "ID3", 3);

  open_session (cloud);
  g_cancellable_cancel (cancellable);
  g_assert_false (nemo_cloud_upload_file (cloud, path, cancellable, &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_CANCELLED);
  g_assert_nonnull (strstr (error->message, "Cancelled"));
  g_assert_cmpuint (count_requests (server, "/api/upload-video/"), ==, 0);
  remove_temp_file (path);
}

static gboolean
want_client_id (Server * server, SoupServerMessage * msg, const gchar * path,
    guint count)
{
  if (!g_str_equal (path, "/api/credits/balance/simple")
      || soup_message_headers_get_one (soup_server_message_get_request_headers
          (msg), "X-Client-Id") != NULL)
    return FALSE;
  reply (msg, 400, "{\"code\":400,\"msg\":\"missing X-Client-Id\"}");
  return TRUE;
}

static void
test_error_400 (void)
{
  g_autoptr (Server) server = server_new (want_client_id, NULL);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);

  open_session (cloud);
  g_assert_cmpuint (count_requests (server, "/api/credits/"), ==, 2);
  g_assert_null (get_request (server, "/api/credits/", 0)->client_id);
  g_assert_cmpstr (get_request (server, "/api/credits/", 1)->client_id, ==,
      "client-1234");
  g_assert_cmpuint (seen->credits, ==, 1);
}

static gboolean
fail_5xx (Server * server, SoupServerMessage * msg, const gchar * path,
    guint count)
{
  guint *failures = server->data;

  if (!g_str_has_prefix (path, "/api/state/") || count > *failures)
    return FALSE;
  reply (msg, 503, "{\"detail\":\"overloaded\"}");
  return TRUE;
}

static void
test_error_5xx (void)
{
  guint failures = 2;
  g_autoptr (Server) server = server_new (fail_5xx, &failures);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) state = NULL;
  JsonNode *again;

  open_session (cloud);
  /* retries = 2: two failures are absorbed */
  state = nemo_cloud_get_state (cloud, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (cloud_json_member (state, "draft"));
  g_assert_cmpuint (count_requests (server, "/api/state/"), ==, 3);

  /* a third is not */
  failures = 100;
  again = nemo_cloud_get_state (cloud, NULL, &error);
  g_assert_null (again);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "HTTP 503"));
  g_assert_nonnull (strstr (error->message, "after 3 attempts"));
  g_assert_cmpuint (count_requests (server, "/api/state/"), ==, 6);
}

static gboolean
drop_first_credits (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count)
{
  if (!g_str_equal (path, "/api/credits/balance/simple") || count > 1)
    return FALSE;
  reply_raw (server, msg, "", 0, FALSE);
  return TRUE;
}

static void
test_error_network (void)
{
  g_autoptr (Server) server = server_new (drop_first_credits, NULL);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);
  g_autoptr (NemoCloud) nowhere = NULL;
  g_autoptr (GError) error = NULL;
  Server *gone = server_new (NULL, NULL);

  /* a dropped connection is retried */
  open_session (cloud);
  g_assert_cmpuint (count_requests (server, "/api/credits/"), ==, 2);
  g_assert_cmpuint (seen->credits, ==, 1);

  /* nobody listening: retries, then a message that says so */
  nowhere = client_new (gone, "tok", seen);
  server_free (gone);
  g_assert_false (nemo_cloud_open_session (nowhere, NULL, NULL, &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "after 3 attempts"));
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
}

/* ---- chat -------------------------------------------------------------- */

static gboolean
serve_events (Server * server, SoupServerMessage * msg, const gchar * path,
    guint count)
{
  if (!g_str_equal (path, "/run_sse"))
    return FALSE;
  reply_sse (msg, server->data);
  return TRUE;
}

static Seen *
chat_with (const gchar * const *events, gboolean expect_ok, GError ** error,
    Server ** server_out)
{
  Server *server = server_new (serve_events, (gpointer) events);
  Seen *seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);
  Request *request;

  open_session (cloud);
  g_assert_cmpint (nemo_cloud_chat (cloud, "make a video", NULL, error), ==,
      expect_ok);
  request = get_request (server, "/run_sse", 0);
  g_assert_cmpstr (request->accept, ==, "text/event-stream");
  g_assert_cmpstr (g_bytes_get_data (request->body, NULL), ==,
      "{\"app_name\":\"nemo_agent\",\"user_id\":\"me\",\"session_id\":"
      "\"4241\",\"new_message\":{\"parts\":[{\"text\":\"make a video\"}]}}");
  if (server_out != NULL)
    *server_out = server;
  else
    server_free (server);
  return seen;
}

static void
test_chat_adk (void)
{
  const gchar *events[] = {
    "{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Adding \"}]},"
        "\"partial\":true,\"author\":\"nemo_agent\"}",
    "{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"a title. "
        "Click Export to\"}]},\"partial\":true}",
    "{\"content\":{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"id\":"
        "\"f1\",\"name\":\"add_text_track\",\"args\":{\"secret\":\"TOOLARGS\"}}}]}}",
    "{\"content\":{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"id\":"
        "\"f1\",\"name\":\"add_text_track\",\"response\":{\"r\":\"TOOLRESULT\"}}}]}}",
    "",
    "{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Adding a title. "
        "Click Export to download.\"}]},\"turnComplete\":true,"
        "\"actions\":{\"stateDelta\":{}}}",
    NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (Seen) seen = chat_with (events, TRUE, &error, NULL);

  g_assert_no_error (error);
  g_assert_cmpuint (seen->replies->len, ==, 1);
  g_assert_cmpstr (seen->replies->pdata[0], ==, "Adding a title. The element "
      "exports and downloads it for you.");
  g_assert_cmpuint (seen->summaries->len, ==, 0);
  g_assert_nonnull (strstr (seen->stages->str, "chat;"));
}

static void
test_chat_typed (void)
{
  const gchar *events[] = {
    "{\"type\":\"heartbeat\"}",
    "{\"type\":\"tool_call\",\"name\":\"add\",\"content\":\"TOOLARGS\"}",
    "{\"type\":\"tool_result\",\"content\":\"TOOLRESULT\"}",
    "{\"type\":\"text\",\"content\":\"First.\"}",
    "{\"type\":\"text\",\"content\":\"点击导出即可下载。\"}",
    NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (Seen) seen = chat_with (events, TRUE, &error, NULL);

  g_assert_no_error (error);
  g_assert_cmpuint (seen->replies->len, ==, 2);
  g_assert_cmpstr (seen->replies->pdata[0], ==, "First.");
  g_assert_cmpstr (seen->replies->pdata[1], ==,
      "nemorender 会自动导出并下载视频。");
}

static void
test_chat_partials_only (void)
{
  const gchar *events[] = {
    "{\"content\":{\"parts\":[{\"text\":\"Half \"}]},\"partial\":true}",
    "{\"content\":{\"parts\":[{\"text\":\"of it.\"}]},\"partial\":true}",
    NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (Seen) seen = chat_with (events, TRUE, &error, NULL);

  g_assert_no_error (error);
  g_assert_cmpuint (seen->replies->len, ==, 1);
  g_assert_cmpstr (seen->replies->pdata[0], ==, "Half of it.");
}

static void
test_chat_errors (void)
{
  const gchar *stream_error[] = {
    "{\"type\":\"text\",\"content\":\"Working.\"}",
    "{\"error\":\"agent crashed: out of memory\"}", NULL
  };
  const gchar *model_error[] = {
    "{\"errorCode\":\"MALFORMED_FUNCTION_CALL\",\"errorMessage\":"
        "\"the model made a bad call\"}", NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (Seen) seen = chat_with (stream_error, FALSE, &error, NULL);
  g_autoptr (Seen) seen2 = NULL;

  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "agent crashed: out of memory"));
  g_assert_cmpuint (seen->replies->len, ==, 1);
  g_clear_error (&error);

  seen2 = chat_with (model_error, FALSE, &error, NULL);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "the model made a bad call"));
}

static void
test_chat_silent (void)
{
  const gchar *events[] = {
    "{\"type\":\"heartbeat\"}",
    "{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"edit\"}}]}}",
    NULL
  };
  g_autoptr (GError) error = NULL;
  Server *server = NULL;
  g_autoptr (Seen) seen = chat_with (events, TRUE, &error, &server);
  g_autoptr (NemoDraft) draft = nemo_draft_parse (TEST_DRAFT, -1, NULL);
  g_autofree gchar *summary = nemo_draft_summary (draft);
  g_autoptr (JsonNode) posted = NULL;
  g_autoptr (JsonNode) served = json_from_string (TEST_DRAFT, NULL);

  g_assert_no_error (error);
  g_assert_cmpuint (seen->replies->len, ==, 0);
  g_assert_cmpuint (count_requests (server, "/api/state/nemo_agent/me/4241/"
          "latest"), ==, 1);
  g_assert_cmpuint (seen->summaries->len, ==, 1);
  g_assert_cmpstr (seen->summaries->pdata[0], ==, summary);
  g_assert_true (g_str_has_prefix (summary, "Timeline (2 tracks)"));
  posted = json_from_string (seen->draft_json, NULL);
  g_assert_true (json_node_equal (posted, served));
  server_free (server);
}

static void
test_chat_preview_reads_state (void)
{
  const gchar *events[] = {
    "{\"type\":\"text\",\"content\":\"Open the timeline panel to preview "
        "it.\"}", NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (Seen) seen = chat_with (events, TRUE, &error, NULL);

  g_assert_no_error (error);
  g_assert_cmpuint (seen->replies->len, ==, 1);
  g_assert_cmpstr (seen->replies->pdata[0], ==, "The element reads the "
      "session state for you.");
  g_assert_cmpuint (seen->summaries->len, ==, 1);
}

/* Events written one by one on a stolen connection, @interval_ms apart. */
typedef struct
{
  Server *server;
  GIOStream *io;
  const gchar *const *events;
  guint next;
  gboolean close_at_end;
} Pacer;

static gboolean
pacer_tick (gpointer data)
{
  Pacer *pacer = data;
  const gchar *event = pacer->events[pacer->next];
  g_autofree gchar *text = NULL;

  if (event == NULL) {
    if (pacer->close_at_end)
      g_io_stream_close (pacer->io, NULL, NULL);
    return G_SOURCE_REMOVE;
  }
  text = g_strdup_printf ("data: %s\r\n\r\n", event);
  g_output_stream_write_all (g_io_stream_get_output_stream (pacer->io), text,
      strlen (text), NULL, NULL, NULL);
  pacer->next++;
  return G_SOURCE_CONTINUE;
}

static gboolean
serve_paced (Server * server, SoupServerMessage * msg, const gchar * path,
    guint count)
{
  static const gchar head[] = "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream\r\nConnection: close\r\n\r\n";
  Pacer *pacer = server->data;
  GSource *source;

  if (!g_str_equal (path, "/run_sse"))
    return FALSE;
  pacer->server = server;
  pacer->io = reply_raw (server, msg, head, sizeof head - 1, TRUE);
  source = g_timeout_source_new (30);
  g_source_set_callback (source, pacer_tick, pacer, NULL);
  g_source_attach (source, server->context);
  g_source_unref (source);
  return TRUE;
}

static void
test_chat_still_working (void)
{
  const gchar *events[] = {
    "{\"type\":\"heartbeat\"}", "", "{\"type\":\"heartbeat\"}",
    "{\"type\":\"heartbeat\"}", "", "{\"type\":\"heartbeat\"}",
    "{\"type\":\"text\",\"content\":\"Finally done.\"}", NULL
  };
  Pacer pacer = { NULL, NULL, events, 0, TRUE };
  g_autoptr (Server) server = server_new (serve_paced, &pacer);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = NULL;
  g_autoptr (NemoCloud) patient = NULL;
  g_autoptr (GError) error = NULL;

  /* heartbeats 30 ms apart for 180 ms; a notice every 50 ms of no text */
  g_setenv ("NEMO_CLOUD_STILL_WORKING_MS", "50", TRUE);
  cloud = client_new (server, "tok", seen);
  g_setenv ("NEMO_CLOUD_STILL_WORKING_MS", "600000", TRUE);
  patient = client_new (server, "tok", seen);
  g_unsetenv ("NEMO_CLOUD_STILL_WORKING_MS");

  open_session (cloud);
  g_assert_true (nemo_cloud_chat (cloud, "slow one", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (seen->still_working, >=, 1);
  g_assert_cmpuint (seen->still_working, <=, 6);
  /* the n-th notice comes no sooner than n periods in (ns) */
  g_assert_cmpuint (seen->last_elapsed, >=, 50 * 1000 * 1000
      * (guint64) seen->still_working);
  g_assert_cmpuint (seen->replies->len, ==, 1);
  g_assert_cmpstr (seen->replies->pdata[0], ==, "Finally done.");

  /* the same stream with a 10-minute period: no notice */
  seen->still_working = 0;
  seen->last_elapsed = 0;
  pacer.next = 0;
  open_session (patient);
  g_assert_true (nemo_cloud_chat (patient, "slow one", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (seen->still_working, ==, 0);
  g_assert_cmpuint (seen->replies->len, ==, 2);
}

static void
test_chat_silence_timeout (void)
{
  const gchar *events[] = { "{\"type\":\"heartbeat\"}", NULL };
  Pacer pacer = { NULL, NULL, events, 0, FALSE };       /* then silence */
  g_autoptr (Server) server = server_new (serve_paced, &pacer);
  g_autoptr (Seen) seen = seen_new ();
  NemoCloudConfig config;
  g_autoptr (NemoCloud) cloud = NULL;
  g_autoptr (GError) error = NULL;

  nemo_cloud_config_init (&config);
  config.api_url = g_strdup (server->url);
  config.token = g_strdup ("tok");
  config.timeout_s = 1;
  cloud = nemo_cloud_new (&config, &callbacks, seen, NULL);
  nemo_cloud_config_clear (&config);
  open_session (cloud);
  g_assert_false (nemo_cloud_chat (cloud, "hello?", NULL, &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "nothing for 1 s"));
  g_assert_nonnull (strstr (error->message, "timeout"));
}

/* ---- uploads ----------------------------------------------------------- */

static void
test_upload_multipart (void)
{
  g_autoptr (Server) server = server_new (NULL, NULL);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *contents = g_strnfill (100000, 'a');
  g_autofree gchar *path = NULL;
  SoupMessageHeaders *headers;
  SoupMultipart *multipart;
  SoupMessageHeaders *part_headers;
  GBytes *part_body;
  g_autofree gchar *disposition = NULL;
  GHashTable *params = NULL;
  Request *request;

  contents[5] = '"';
  contents[99999] = '\n';
  path = write_temp_file ("my song.mp3", contents, 100000);
  open_session (cloud);
  g_assert_true (nemo_cloud_upload_file (cloud, path, NULL, &error));
  g_assert_no_error (error);

  request = get_request (server, "/api/upload-video/nemo_agent/me/4241", 0);
  g_assert_cmpstr (request->authorization, ==, "Bearer tok");
  g_assert_cmpint (request->content_length, ==,
      g_bytes_get_size (request->body));
  headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  soup_message_headers_append (headers, "Content-Type", request->content_type);
  multipart = soup_multipart_new_from_message (headers, request->body);
  g_assert_nonnull (multipart);
  g_assert_cmpint (soup_multipart_get_length (multipart), ==, 1);
  g_assert_true (soup_multipart_get_part (multipart, 0, &part_headers,
          &part_body));
  g_assert_true (soup_message_headers_get_content_disposition (part_headers,
          &disposition, &params));
  g_assert_cmpstr (disposition, ==, "form-data");
  g_assert_cmpstr (g_hash_table_lookup (params, "name"), ==, "files");
  g_assert_cmpstr (g_hash_table_lookup (params, "filename"), ==, "my song.mp3");
  g_assert_cmpstr (soup_message_headers_get_content_type (part_headers, NULL),
      ==, "audio/mpeg");
  g_assert_cmpuint (g_bytes_get_size (part_body), ==, 100000);
  g_assert_cmpmem (g_bytes_get_data (part_body, NULL), 100000, contents,
      100000);
  g_assert_nonnull (strstr (seen->stages->str, "upload;"));
  g_hash_table_unref (params);
  soup_multipart_free (multipart);
  soup_message_headers_unref (headers);
  remove_temp_file (path);
}

static void
test_upload_url (void)
{
  g_autoptr (Server) server = server_new (NULL, NULL);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);
  g_autoptr (GError) error = NULL;
  Request *request;

  open_session (cloud);
  g_assert_true (nemo_cloud_upload_url (cloud,
          "https://media.example/song.mp3?x=1", NULL, &error));
  g_assert_no_error (error);
  request = get_request (server, "/api/upload-video/nemo_agent/me/4241", 0);
  g_assert_cmpstr (request->content_type, ==, "application/json");
  g_assert_cmpstr (g_bytes_get_data (request->body, NULL), ==,
      "{\"urls\":[\"https://media.example/song.mp3?x=1\"],"
      "\"source_type\":\"url\"}");

  g_assert_false (nemo_cloud_upload_url (cloud, "file:///etc/passwd", NULL,
          &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "not an http(s) URL"));
}

static guint64
upload_counted (Server * server, NemoCloud * cloud, const gchar * path)
{
  g_autoptr (GError) error = NULL;
  guint64 before;

  g_mutex_lock (&server->lock);
  before = server->streamed;
  g_mutex_unlock (&server->lock);
  g_assert_true (nemo_cloud_upload_file (cloud, path, NULL, &error));
  g_assert_no_error (error);
  g_mutex_lock (&server->lock);
  before = server->streamed - before;
  g_mutex_unlock (&server->lock);
  return before;
}

/* Run in a fresh process: its peak RSS is this test's alone. */
static void
test_upload_streaming_rss (void)
{
  const guint64 size = 300 * 1024 * 1024;
  g_autoptr (Server) server = NULL;
  g_autoptr (NemoCloud) cloud = NULL;
  g_autofree gchar *small = NULL;
  g_autofree gchar *big = NULL;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileOutputStream) out = NULL;
  NemoCloudConfig config;
  guint64 overhead, before, after;

  if (NEMO_TEST_ASAN) {
    g_test_skip ("AddressSanitizer keeps freed memory: RSS means nothing");
    return;
  }
  /* a fresh process, and its 300 MB file removed even if it fails */
  if (!in_own_tmp_dir ())
    return;
  server = server_new (NULL, NULL);
  small = write_temp_file ("upload.bin", "0123456789", 10);
  big = write_temp_file ("upload.bin", "", 0);
  file = g_file_new_for_path (big);

  /* sparse: 300 MB that take no disk */
  out = g_file_append_to (file, G_FILE_CREATE_NONE, NULL, NULL);
  g_assert_true (g_seekable_truncate (G_SEEKABLE (out), size, NULL, NULL));
  g_assert_true (g_output_stream_close (G_OUTPUT_STREAM (out), NULL, NULL));

  server->stream_bodies = TRUE;
  nemo_cloud_config_init (&config);
  config.api_url = g_strdup (server->url);
  config.token = g_strdup ("tok");
  cloud = nemo_cloud_new (&config, NULL, NULL, NULL);
  nemo_cloud_config_clear (&config);
  open_session (cloud);

  /* same name, so the same multipart overhead */
  overhead = upload_counted (server, cloud, small) - 10;
  g_assert_cmpuint (overhead, >, 100);

  before = peak_rss_kib ();
  g_assert_cmpuint (upload_counted (server, cloud, big), ==, size + overhead);
  after = peak_rss_kib ();
  g_test_message ("peak RSS %" G_GUINT64_FORMAT " → %" G_GUINT64_FORMAT
      " KiB", before, after);
  g_assert_cmpuint (after - before, <, 16 * 1024);
  g_assert_cmpint (get_request (server, "/api/upload-video/", 1)->
      content_length, ==, size + overhead);
  remove_temp_file (small);
  remove_temp_file (big);
}

/* ---- export, polling, download ------------------------------------------ */

static gboolean
serve_status_shapes (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count)
{
  const gchar *shape = server->data;

  if (!g_str_has_prefix (path, "/api/render/proxy/lambda/"))
    return FALSE;
  if (g_str_equal (shape, "top-level") && count < 3)
    reply_printf (msg, 200, "{\"status\":\"%s\",\"progress\":%d}",
        count == 1 ? "pending" : "processing", count == 1 ? 0 : 50);
  else if (g_str_equal (shape, "top-level"))
    reply_printf (msg, 200, "{\"status\":\"completed\",\"progress\":100,"
        "\"output\":{\"url\":\"%s\",\"duration\":10,\"size\":%u}}",
        server->video_url, VIDEO_SIZE);
  else if (count < 3)
    reply_printf (msg, 200, "{\"success\":true,\"data\":{\"status\":\"%s\","
        "\"progress\":%d}}", count == 1 ? "pending" : "processing",
        count == 1 ? 0 : 50);
  else
    reply_printf (msg, 200, "{\"success\":true,\"data\":{\"status\":"
        "\"completed\",\"progress\":100,\"outputUrl\":\"%s\"}}",
        server->video_url);
  return TRUE;
}

static void
run_export (Server * server, Seen * seen, NemoCloud * cloud)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) draft = json_from_string (TEST_DRAFT, NULL);
  g_autoptr (JsonNode) posted = NULL;
  g_autofree gchar *render_id = NULL;
  g_autofree gchar *status_path = NULL;
  g_autofree gchar *job = NULL;
  Request *request;
  JsonNode *posted_draft;

  open_session (cloud);
  render_id = nemo_cloud_export (cloud, draft, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (render_id, "render_"));
  job = g_strdup_printf ("4241/%s", render_id);
  g_assert_cmpstr (seen->jobs->pdata[seen->jobs->len - 1], ==, job);

  request = get_request (server, "/api/render/proxy/lambda", 0);
  posted = json_from_string (g_bytes_get_data (request->body, NULL), NULL);
  g_assert_cmpstr (cloud_json_string (posted, "id"), ==, render_id);
  g_assert_cmpstr (cloud_json_string (posted, "sessionId"), ==, "4241");
  posted_draft = cloud_json_member (posted, "draft");
  g_assert_true (json_node_equal (posted_draft, draft));
  g_assert_cmpstr (cloud_json_string (cloud_json_member (posted, "output"),
          "format"), ==, "mp4");
  g_assert_cmpstr (cloud_json_string (cloud_json_member (posted, "output"),
          "quality"), ==, "high");

  g_assert_true (nemo_cloud_wait_and_download (cloud, render_id, NULL,
          &error));
  g_assert_no_error (error);
  status_path = g_strdup_printf ("/api/render/proxy/lambda/%s", render_id);
  g_assert_cmpuint (count_requests (server, status_path), ==, 3);
  g_assert_cmpmem (seen->video->data, seen->video->len,
      g_bytes_get_data (server->video, NULL), VIDEO_SIZE);
  g_assert_nonnull (strstr (seen->stages->str, "render;download;"));
}

static void
test_export_status_top_level (void)
{
  g_autoptr (Server) server = server_new (serve_status_shapes, "top-level");
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);

  run_export (server, seen, cloud);
}

static void
test_export_status_success_data (void)
{
  g_autoptr (Server) server = server_new (serve_status_shapes, "data");
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);

  run_export (server, seen, cloud);
}

static gboolean
serve_other_render_id (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count)
{
  if (g_str_equal (path, "/api/render/proxy/lambda"))
    reply (msg, 200, "{\"code\":0,\"data\":{\"render_id\":\"svc-77\"}}");
  else if (g_str_equal (path, "/api/render/proxy/lambda/svc-77")
      && count == 1) {
    soup_message_headers_append (soup_server_message_get_response_headers
        (msg), "Retry-After", "0");
    reply (msg, 429, "{\"code\":429}");
  } else if (g_str_equal (path, "/api/render/proxy/lambda/svc-77"))
    reply (msg, 200, "{\"success\":true,\"data\":{\"status\":\"completed\"}}");
  else
    return FALSE;
  return TRUE;
}

static void
test_export_service_id_and_fallback (void)
{
  g_autoptr (Server) server = server_new (serve_other_render_id, NULL);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);
  g_autoptr (JsonNode) draft = json_from_string (TEST_DRAFT, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *render_id = NULL;

  open_session (cloud);
  render_id = nemo_cloud_export (cloud, draft, NULL, &error);
  g_assert_cmpstr (render_id, ==, "svc-77");
  g_assert_cmpstr (seen->jobs->pdata[seen->jobs->len - 1], ==, "4241/svc-77");
  /* a 429 on a poll is waited out; no URL → the fallback download */
  g_assert_true (nemo_cloud_wait_and_download (cloud, render_id, NULL,
          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_requests (server,
          "/api/render/proxy/lambda/svc-77"), ==, 2);
  g_assert_cmpuint (count_requests (server,
          "/api/render/proxy/svc-77/download"), ==, 1);
  g_assert_cmpstr (get_request (server, "/api/render/proxy/svc-77/download",
          0)->authorization, ==, "Bearer tok");
  g_assert_cmpuint (seen->video->len, ==, VIDEO_SIZE);
}

static gboolean
serve_failed_render (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count)
{
  if (!g_str_has_prefix (path, "/api/render/proxy/lambda/"))
    return FALSE;
  reply (msg, 200, "{\"success\":true,\"data\":{\"status\":\"failed\","
      "\"error\":\"font missing on render node\"}}");
  return TRUE;
}

static void
test_export_failed (void)
{
  g_autoptr (Server) server = server_new (serve_failed_render, NULL);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);
  g_autoptr (GError) error = NULL;

  g_assert_false (nemo_cloud_wait_and_download (cloud, "render_1", NULL,
          &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "font missing on render node"));
  g_assert_cmpuint (seen->video->len, ==, 0);
}

/* The API sends the video to a CDN (another origin), directly or through
 * a redirect. */
static gboolean
serve_cdn_redirect (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count)
{
  Server *cdn = server->data;
  g_autofree gchar *location = NULL;

  if (g_str_has_prefix (path, "/api/render/proxy/lambda/")
      && g_str_has_suffix (path, "direct"))
    reply_printf (msg, 200, "{\"status\":\"completed\",\"output\":{\"url\":"
        "\"%s/video.mp4?sig=abc\"}}", cdn->url);
  else if (g_str_has_prefix (path, "/api/render/proxy/lambda/"))
    reply (msg, 200, "{\"status\":\"completed\"}");
  else if (g_str_has_suffix (path, "/download")) {
    location = g_strdup_printf ("%s/video.mp4", cdn->url);
    soup_server_message_set_redirect (msg, 302, location);
  } else
    return FALSE;
  return TRUE;
}

static void
test_download_cdn_no_token (void)
{
  g_autoptr (Server) cdn = server_new (NULL, NULL);
  g_autoptr (Server) server = server_new (serve_cdn_redirect, cdn);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);
  g_autoptr (GError) error = NULL;
  guint i;

  g_assert_true (nemo_cloud_wait_and_download (cloud, "render_direct", NULL,
          &error));
  g_assert_no_error (error);
  g_assert_true (nemo_cloud_wait_and_download (cloud, "render_redirected",
          NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (seen->video->len, ==, 2 * VIDEO_SIZE);
  g_assert_cmpuint (count_requests (cdn, "/video.mp4"), ==, 2);
  for (i = 0; i < 2; i++) {
    Request *request = get_request (cdn, "/video.mp4", i);

    g_assert_null (request->authorization);
    g_assert_null (request->skill_source);
  }
  g_assert_cmpstr (get_request (server, "/api/render/proxy/render_redirected/"
          "download", 0)->authorization, ==, "Bearer tok");
}

static gboolean
serve_broken_video (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count)
{
  const gchar *how = server->data;
  const gchar *video = g_bytes_get_data (server->video, NULL);
  g_autoptr (GString) raw = g_string_new (NULL);

  if (!g_str_equal (path, "/video.mp4"))
    return FALSE;
  if (g_str_equal (how, "short"))
    g_string_append (raw, "HTTP/1.1 200 OK\r\nContent-Type: video/mp4"
        "\r\nContent-Length: 1000\r\n\r\n");
  else
    g_string_append (raw, "HTTP/1.1 200 OK\r\nContent-Type: video/mp4"
        "\r\nTransfer-Encoding: chunked\r\n\r\n190\r\n");
  g_string_append_len (raw, video, 400);
  if (!g_str_equal (how, "short")) {
    g_string_append (raw, "\r\n3e8\r\n");
    g_string_append_len (raw, video + 400, 100);
  }
  reply_raw (server, msg, raw->str, raw->len, FALSE);
  return TRUE;
}

static void
test_download_broken (void)
{
  const gchar *hows[] = { "short", "chunked" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (hows); i++) {
    g_autoptr (Server) server = server_new (serve_broken_video,
        (gpointer) hows[i]);
    g_autoptr (Seen) seen = seen_new ();
    g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);
    g_autoptr (GError) error = NULL;

    g_assert_false (nemo_cloud_wait_and_download (cloud, "render_9", NULL,
            &error));
    g_test_message ("%s: %s", hows[i], error->message);
    g_assert_error (error, NEMO_ERROR, NEMO_ERROR_IO);
    g_assert_nonnull (strstr (error->message, "broke off after"));
    g_assert_nonnull (strstr (error->message, "render-id=render_9"));
    if (i == 0)
      g_assert_nonnull (strstr (error->message, "of 1000 bytes"));
    g_assert_cmpuint (seen->video->len, <, 1000);
  }
}

/* The download URL answers 200 with something else than an MP4. */
static gboolean
serve_not_video (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count)
{
  const gchar *how = server->data;
  static const gchar page[] = "<html><body>Access denied</body></html>";

  if (!g_str_equal (path, "/video.mp4"))
    return FALSE;
  soup_server_message_set_status (msg, 200, NULL);
  if (g_str_equal (how, "html"))
    soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC,
        page, sizeof page - 1);
  else if (g_str_equal (how, "page-as-mp4"))
    soup_server_message_set_response (msg, "video/mp4", SOUP_MEMORY_STATIC,
        page, sizeof page - 1);
  else                          /* random bytes */
    soup_server_message_set_response (msg, "application/octet-stream",
        SOUP_MEMORY_COPY, (const gchar *) g_bytes_get_data (server->video,
            NULL) + 1000, 5000);
  return TRUE;
}

static void
test_download_not_video (void)
{
  const gchar *hows[] = { "html", "page-as-mp4", "random" };
  const gchar *says[] = { "sent an HTML page instead of the video",
    "not an MP4", "not an MP4"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (hows); i++) {
    g_autoptr (Server) server = server_new (serve_not_video,
        (gpointer) hows[i]);
    g_autoptr (Seen) seen = seen_new ();
    g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);
    g_autoptr (GError) error = NULL;

    g_assert_false (nemo_cloud_wait_and_download (cloud, "render_4", NULL,
            &error));
    g_test_message ("%s: %s", hows[i], error->message);
    g_assert_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA);
    g_assert_nonnull (strstr (error->message, says[i]));
    g_assert_nonnull (strstr (error->message, "render render_4"));
    g_assert_nonnull (strstr (error->message, "Export again"));
    /* not one byte reached the receiver */
    g_assert_cmpuint (seen->video->len, ==, 0);
  }
}

/* A CDN that honours Range and breaks the first two replies: "drop" closes
 * each after 100 000 more bytes, "stall" goes silent after them. */
static gboolean
serve_flaky_video (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count)
{
  const gchar *how = server->data;
  const gchar *video = g_bytes_get_data (server->video, NULL);
  const gchar *range = soup_message_headers_get_one
      (soup_server_message_get_request_headers (msg), "Range");
  guint64 start = 0;
  gsize length;
  g_autoptr (GString) raw = g_string_new (NULL);

  if (!g_str_equal (path, "/video.mp4"))
    return FALSE;
  if (range != NULL)
    g_assert_cmpint (sscanf (range, "bytes=%" G_GUINT64_FORMAT "-", &start),
        ==, 1);
  g_assert_cmpuint (start, <, VIDEO_SIZE);
  length = VIDEO_SIZE - start;
  if (range != NULL)
    g_string_append_printf (raw, "HTTP/1.1 206 Partial Content\r\n"
        "Content-Range: bytes %" G_GUINT64_FORMAT "-%u/%u\r\n", start,
        VIDEO_SIZE - 1, VIDEO_SIZE);
  else
    g_string_append (raw, "HTTP/1.1 200 OK\r\n");
  g_string_append_printf (raw, "Content-Type: video/mp4\r\nContent-Length: "
      "%" G_GSIZE_FORMAT "\r\n\r\n", length);
  g_string_append_len (raw, video + start, count <= 2 ? 100000 : length);
  reply_raw (server, msg, raw->str, raw->len,
      count <= 2 && g_str_equal (how, "stall"));
  return TRUE;
}

static void
test_download_resumed (void)
{
  const gchar *hows[] = { "drop", "stall" };
  guint i;

  g_setenv ("NEMO_CLOUD_DOWNLOAD_STALL_S", "1", TRUE);
  for (i = 0; i < G_N_ELEMENTS (hows); i++) {
    g_autoptr (Server) server = server_new (serve_flaky_video,
        (gpointer) hows[i]);
    g_autoptr (Seen) seen = seen_new ();
    g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);
    g_autoptr (GError) error = NULL;

    g_assert_true (nemo_cloud_wait_and_download (cloud, "render_3", NULL,
            &error));
    g_assert_no_error (error);
    /* byte for byte the served file, nothing twice */
    g_assert_cmpmem (seen->video->data, seen->video->len,
        g_bytes_get_data (server->video, NULL), VIDEO_SIZE);
    g_assert_cmpuint (count_requests (server, "/video.mp4"), ==, 3);
    g_assert_null (get_request (server, "/video.mp4", 0)->range);
    g_assert_cmpstr (get_request (server, "/video.mp4", 1)->range, ==,
        "bytes=100000-");
    g_assert_cmpstr (get_request (server, "/video.mp4", 2)->range, ==,
        "bytes=200000-");
  }
  g_unsetenv ("NEMO_CLOUD_DOWNLOAD_STALL_S");
}

/* A server that ignores Range: resumed only while nothing was handed
 * over, else the error and its hint. */
static gboolean
serve_video_no_range (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count)
{
  const gchar *video = g_bytes_get_data (server->video, NULL);
  g_autoptr (GString) raw = g_string_new (NULL);

  if (!g_str_equal (path, "/video.mp4"))
    return FALSE;
  g_string_append_printf (raw, "HTTP/1.1 200 OK\r\nContent-Type: video/mp4"
      "\r\nContent-Length: %u\r\n\r\n", VIDEO_SIZE);
  /* the first reply breaks before the 8 bytes that make an MP4 */
  g_string_append_len (raw, video, count == 1 ? 4 : 100000);
  reply_raw (server, msg, raw->str, raw->len, FALSE);
  return TRUE;
}

static void
test_download_not_resumable (void)
{
  g_autoptr (Server) server = server_new (serve_video_no_range, NULL);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);
  g_autoptr (GError) error = NULL;

  g_assert_false (nemo_cloud_wait_and_download (cloud, "render_8", NULL,
          &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "broke off after 100000 of "
          G_STRINGIFY (VIDEO_SIZE) " bytes"));
  g_assert_nonnull (strstr (error->message, "cannot resume a download"));
  g_assert_nonnull (strstr (error->message, "Resume with render-id=render_8"));
  g_assert_cmpuint (count_requests (server, "/video.mp4"), ==, 3);
  g_assert_null (get_request (server, "/video.mp4", 1)->range);
  g_assert_cmpuint (seen->video->len, ==, 100000);
}

/* ---- cancellation from another thread ----------------------------------- */

typedef struct
{
  Server *server;
  GCancellable *cancellable;
} Canceller;

static gpointer
cancel_when_answered (gpointer data)
{
  Canceller *canceller = data;

  wait_sent (canceller->server, 1);
  g_cancellable_cancel (canceller->cancellable);
  return NULL;
}

static gboolean
rate_limit_state (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count)
{
  if (!g_str_has_prefix (path, "/api/state/"))
    return FALSE;
  mark_sent (server, msg);
  reply (msg, 429, "{\"code\":429,\"msg\":\"slow down\"}");   /* no Retry-After */
  return TRUE;
}

static gboolean
render_forever (Server * server, SoupServerMessage * msg, const gchar * path,
    guint count)
{
  if (!g_str_has_prefix (path, "/api/render/proxy/lambda/"))
    return FALSE;
  mark_sent (server, msg);
  reply (msg, 200, "{\"success\":true,\"data\":{\"status\":\"processing\","
      "\"progress\":0}}");
  return TRUE;
}

static void
test_cancel_waits (void)
{
  Handler handlers[] = { rate_limit_state, render_forever };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (handlers); i++) {
    g_autoptr (Server) server = server_new (handlers[i], NULL);
    g_autoptr (Seen) seen = seen_new ();
    g_autoptr (NemoCloud) cloud = NULL;
    g_autoptr (GCancellable) cancellable = g_cancellable_new ();
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonNode) state = NULL;
    NemoCloudConfig config;
    Canceller canceller = { server, cancellable };
    GThread *thread;
    gint64 started;

    nemo_cloud_config_init (&config);
    config.api_url = g_strdup (server->url);
    config.token = g_strdup ("tok");
    config.poll_interval_ms = 60000;    /* waits 30 s, the cap */
    cloud = nemo_cloud_new (&config, &callbacks, seen, NULL);
    nemo_cloud_config_clear (&config);
    open_session (cloud);
    /* cancelled once the 429 or the first status has gone out */
    thread = g_thread_new ("canceller", cancel_when_answered, &canceller);

    started = g_get_monotonic_time ();
    if (i == 0)
      g_assert_null ((state = nemo_cloud_get_state (cloud, cancellable,
                  &error)));
    else
      g_assert_false (nemo_cloud_wait_and_download (cloud, "render_5",
              cancellable, &error));
    g_thread_join (thread);
    g_assert_error (error, NEMO_ERROR, NEMO_ERROR_CANCELLED);
    /* interrupted: the 30 s wait did not run out */
    g_assert_cmpint (g_get_monotonic_time () - started, <,
        30 * G_TIME_SPAN_SECOND);
    g_assert_cmpuint (count_requests (server, i == 0 ? "/api/state/" :
            "/api/render/proxy/lambda/render_5"), ==, 1);
  }
}

/* ---- every wait bounded ------------------------------------------------- */

/* A client of @server with the given limits (s, 0 = the default). */
static NemoCloud *
limited_client_new (Server * server, Seen * seen, guint timeout_s,
    guint chat_limit_s, guint render_limit_s)
{
  NemoCloudConfig config;
  NemoCloud *cloud;

  nemo_cloud_config_init (&config);
  config.api_url = g_strdup (server->url);
  config.token = g_strdup ("tok");
  config.retries = 2;
  config.poll_interval_ms = 10;
  if (timeout_s > 0)
    config.timeout_s = timeout_s;
  config.chat_limit_s = chat_limit_s;
  config.render_limit_s = render_limit_s;
  cloud = nemo_cloud_new (&config, &callbacks, seen, NULL);
  nemo_cloud_config_clear (&config);
  return cloud;
}

/* Requests accepted and never answered ("hold") or dropped unanswered
 * ("drop"): the credits read (after the first), the chat message, the
 * export. */
static gboolean
serve_no_answer (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count)
{
  gboolean hold = g_str_equal (server->data, "hold");

  if (!(g_str_equal (path, "/api/credits/balance/simple") && count > 1)
      && !g_str_equal (path, "/run_sse")
      && !g_str_equal (path, "/api/render/proxy/lambda"))
    return FALSE;
  reply_raw (server, msg, "", 0, hold);
  return TRUE;
}

static void
test_limit_no_answer (void)
{
  const gchar *hows[] = { "hold", "drop" };
  guint i;

  g_setenv ("NEMO_CLOUD_IO_TIMEOUT_S", "1", TRUE);
  for (i = 0; i < G_N_ELEMENTS (hows); i++) {
    g_autoptr (Server) server = server_new (serve_no_answer,
        (gpointer) hows[i]);
    g_autoptr (Seen) seen = seen_new ();
    /* the chat stream's silence limit is `timeout` */
    g_autoptr (NemoCloud) cloud = limited_client_new (server, seen, 1, 0, 0);
    g_autoptr (JsonNode) draft = json_from_string (TEST_DRAFT, NULL);
    g_autoptr (GError) credits_error = NULL;
    g_autoptr (GError) chat_error = NULL;
    g_autoptr (GError) export_error = NULL;
    gint64 started;

    open_session (cloud);
    /* a read is safe to repeat: `retries` more times */
    started = g_get_monotonic_time ();
    g_assert_false (nemo_cloud_refresh_credits (cloud, NULL, &credits_error));
    g_test_message ("%s: %s", hows[i], credits_error->message);
    g_assert_error (credits_error, NEMO_ERROR, NEMO_ERROR_FAILED);
    g_assert_nonnull (strstr (credits_error->message, "after 3 attempts"));
    if (i == 0) {
      g_assert_nonnull (strstr (credits_error->message,
              "the service sent nothing for 1 s"));
      g_assert_cmpint (g_get_monotonic_time () - started, <,
          20 * G_TIME_SPAN_SECOND);
    }
    /* 1 + 3 attempts; libsoup itself repeats a GET once when a reused
     * connection drops */
    g_assert_cmpuint (count_requests (server, "/api/credits/"), >=, 4);
    g_assert_cmpuint (count_requests (server, "/api/credits/"), <=, 5);

    /* a chat message or an export may have reached the service: sent once */
    g_assert_false (nemo_cloud_chat (cloud, "make it", NULL, &chat_error));
    g_test_message ("%s: %s", hows[i], chat_error->message);
    g_assert_error (chat_error, NEMO_ERROR, NEMO_ERROR_FAILED);
    g_assert_nonnull (strstr (chat_error->message, "not sent again"));
    g_assert_nonnull (strstr (chat_error->message, "session-id=4241"));
    g_assert_cmpuint (count_requests (server, "/run_sse"), ==, 1);
    g_assert_null (nemo_cloud_export (cloud, draft, NULL, &export_error));
    g_test_message ("%s: %s", hows[i], export_error->message);
    g_assert_error (export_error, NEMO_ERROR, NEMO_ERROR_FAILED);
    g_assert_nonnull (strstr (export_error->message, "not sent again"));
    g_assert_nonnull (strstr (export_error->message, "render-id=render_"));
    g_assert_cmpuint (count_requests (server, "/api/render/proxy/lambda"),
        ==, 1);
  }
  g_unsetenv ("NEMO_CLOUD_IO_TIMEOUT_S");
}

/* An upload accepted and never answered (held open), then what the
 * session state says of it: "kept" lists it, "lost" lists nothing (the
 * second upload is answered), "unknown" has no list at all. */
static gboolean
serve_upload_no_answer (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count)
{
  const gchar *mode = server->data;

  if (g_str_has_prefix (path, "/api/upload-video/")
      && (count == 1 || g_str_equal (mode, "unknown"))) {
    reply_raw (server, msg, "", 0, TRUE);
    return TRUE;
  }
  if (!g_str_has_prefix (path, "/api/state/") || g_str_equal (mode, "lost"))
    return FALSE;
  if (g_str_equal (mode, "kept"))
    reply (msg, 200, "{\"code\":0,\"data\":{\"state\":{\"draft\":null,"
        "\"video_infos\":[{\"filename\":\"other.mp3\"},"
        "{\"filename\":\"song.mp3\",\"file_type\":\"audio\"}]}}}");
  else
    reply (msg, 200, "{\"code\":0,\"data\":{\"state\":{\"draft\":null}}}");
  return TRUE;
}

/* An upload is not sent again blindly: the session state says whether it
 * arrived; when it cannot, the error names the session. */
static void
test_limit_upload_no_answer (void)
{
  const gchar *modes[] = { "kept", "lost", "unknown" };
  g_autofree gchar *path = write_temp_file ("song.mp3", "ID3 not really", 14);
  guint i;

  g_setenv ("NEMO_CLOUD_IO_TIMEOUT_S", "1", TRUE);
  for (i = 0; i < G_N_ELEMENTS (modes); i++) {
    g_autoptr (Server) server = server_new (serve_upload_no_answer,
        (gpointer) modes[i]);
    g_autoptr (Seen) seen = seen_new ();
    g_autoptr (NemoCloud) cloud = limited_client_new (server, seen, 0, 0, 0);
    g_autoptr (GError) error = NULL;
    gboolean ok;

    open_session (cloud);
    ok = nemo_cloud_upload_file (cloud, path, NULL, &error);
    g_test_message ("%s: %s", modes[i], error ? error->message : "uploaded");
    g_assert_cmpuint (count_requests (server, "/api/state/"), ==, 1);
    if (i == 0) {
      /* in the session: taken as done, not sent twice */
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpuint (count_requests (server, "/api/upload-video/"), ==, 1);
    } else if (i == 1) {
      /* not in the session: sent again, once */
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpuint (count_requests (server, "/api/upload-video/"), ==, 2);
    } else {
      g_assert_false (ok);
      g_assert_error (error, NEMO_ERROR, NEMO_ERROR_FAILED);
      g_assert_nonnull (strstr (error->message, "upload “"));
      g_assert_nonnull (strstr (error->message, "the service sent nothing "
              "for 1 s after the request was sent, so it was not sent "
              "again"));
      g_assert_nonnull (strstr (error->message, "Look at the uploads of "
              "session-id=4241"));
      g_assert_nonnull (strstr (error->message, "no list of uploads "
              "(video_infos)"));
      g_assert_cmpuint (count_requests (server, "/api/upload-video/"), ==, 1);
    }
  }
  g_unsetenv ("NEMO_CLOUD_IO_TIMEOUT_S");
  remove_temp_file (path);
}

static gboolean
serve_html_chat (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count)
{
  static const gchar page[] = "<html><body>Login</body></html>";

  if (!g_str_equal (path, "/run_sse"))
    return FALSE;
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC,
      page, sizeof page - 1);
  return TRUE;
}

static void
test_chat_html (void)
{
  g_autoptr (Server) server = server_new (serve_html_chat, NULL);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);
  g_autoptr (GError) error = NULL;

  open_session (cloud);
  g_assert_false (nemo_cloud_chat (cloud, "make it", NULL, &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "with an HTML page instead of "
          "the agent's event stream"));
  g_assert_nonnull (strstr (error->message, "Check api-url"));
  /* not taken as a silent turn */
  g_assert_cmpuint (seen->replies->len, ==, 0);
  g_assert_cmpuint (seen->summaries->len, ==, 0);
  g_assert_cmpuint (count_requests (server, "/api/state/"), ==, 0);
}

/* Heartbeats every 50 ms until the client goes away. */
typedef struct
{
  GIOStream *io;
} Heartbeats;

static void
heartbeats_free (gpointer data)
{
  Heartbeats *beats = data;

  g_object_unref (beats->io);
  g_free (beats);
}

static gboolean
heartbeat_tick (gpointer data)
{
  Heartbeats *beats = data;
  static const gchar beat[] = "data: {\"type\":\"heartbeat\"}\n\n";

  return g_output_stream_write_all (g_io_stream_get_output_stream
      (beats->io), beat, sizeof beat - 1, NULL, NULL, NULL) ?
      G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
serve_heartbeats_forever (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count)
{
  static const gchar head[] = "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream\r\nConnection: close\r\n\r\n";
  Heartbeats *beats;
  GSource *source;

  if (!g_str_equal (path, "/run_sse"))
    return FALSE;
  beats = g_new0 (Heartbeats, 1);
  beats->io = g_object_ref (reply_raw (server, msg, head, sizeof head - 1,
          TRUE));
  source = g_timeout_source_new (50);
  g_source_set_callback (source, heartbeat_tick, beats, heartbeats_free);
  g_source_attach (source, server->context);
  g_source_unref (source);
  return TRUE;
}

static void
test_chat_limit (void)
{
  g_autoptr (Server) server = server_new (serve_heartbeats_forever, NULL);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = limited_client_new (server, seen, 0, 1, 0);
  g_autoptr (GError) error = NULL;
  gint64 started;

  open_session (cloud);
  started = g_get_monotonic_time ();
  g_assert_false (nemo_cloud_chat (cloud, "make it", NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "after 1 s (chat-limit)"));
  g_assert_nonnull (strstr (error->message, "session-id=4241"));
  g_assert_nonnull (strstr (error->message, "raise chat-limit"));
  g_assert_cmpint (g_get_monotonic_time () - started, <,
      5 * G_TIME_SPAN_SECOND);
  g_assert_cmpuint (seen->replies->len, ==, 0);
}

static void
test_render_limit (void)
{
  g_autoptr (Server) server = server_new (render_forever, NULL);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = limited_client_new (server, seen, 0, 0, 1);
  g_autoptr (GError) error = NULL;
  gint64 started = g_get_monotonic_time ();

  g_assert_false (nemo_cloud_wait_and_download (cloud, "render_5", NULL,
          &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "after 1 s (render-limit)"));
  g_assert_nonnull (strstr (error->message, "render-id=render_5"));
  g_assert_nonnull (strstr (error->message, "raise render-limit"));
  g_assert_cmpint (g_get_monotonic_time () - started, <,
      5 * G_TIME_SPAN_SECOND);
  g_assert_cmpuint (seen->video->len, ==, 0);
}

static gboolean
serve_odd_status (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count)
{
  if (g_str_equal (path, "/api/render/proxy/lambda/render_word"))
    reply (msg, 200, "{\"status\":\"exploded\",\"progress\":10}");
  else if (g_str_equal (path, "/api/render/proxy/lambda/render_object"))
    reply (msg, 200, "{\"status\":{\"state\":\"processing\"}}");
  else
    return FALSE;
  return TRUE;
}

static void
test_export_status_unknown (void)
{
  const gchar *ids[] = { "render_word", "render_object" };
  const gchar *says[] = { "status “exploded”, which this client does not "
        "know", "has no status text"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (ids); i++) {
    g_autoptr (Server) server = server_new (serve_odd_status, NULL);
    g_autoptr (Seen) seen = seen_new ();
    g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);
    g_autoptr (GError) error = NULL;
    g_autofree gchar *resume = g_strdup_printf ("render-id=%s", ids[i]);

    g_assert_false (nemo_cloud_wait_and_download (cloud, ids[i], NULL,
            &error));
    g_test_message ("%s", error->message);
    g_assert_error (error, NEMO_ERROR, NEMO_ERROR_FAILED);
    g_assert_nonnull (strstr (error->message, says[i]));
    g_assert_nonnull (strstr (error->message, resume));
    /* not polled as if still running */
    g_assert_cmpuint (count_requests (server, "/api/render/"), ==, 1);
  }
}

/* ---- the token stays out of the logs ------------------------------------ */

typedef struct
{
  GMutex lock;
  gboolean capturing;
  GString *text;
} LogCapture;

static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField * fields, gsize n_fields,
    gpointer data)
{
  LogCapture *capture = data;
  gsize i;

  g_mutex_lock (&capture->lock);
  if (!capture->capturing) {
    g_mutex_unlock (&capture->lock);
    return g_log_writer_default (level, fields, n_fields, NULL);
  }
  for (i = 0; i < n_fields; i++)
    if (fields[i].length < 0)
      g_string_append_printf (capture->text, "%s=%s\n", fields[i].key,
          (const gchar *) fields[i].value);
  g_mutex_unlock (&capture->lock);
  return G_LOG_WRITER_HANDLED;
}

static gboolean
expire_first_chat (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count)
{
  if (g_str_equal (path, "/api/render/proxy/lambda/missing"))
    reply (msg, 200, "{\"code\":1001,\"msg\":\"token nmv_usr_anon2 "
        "expired\"}");
  else if (g_str_equal (path, "/run_sse") && count == 1)
    reply (msg, 200, "{\"code\":1001,\"msg\":\"token expired\"}");
  else
    return FALSE;
  return TRUE;
}

static void
test_token_never_logged (gconstpointer data)
{
  LogCapture *capture = (LogCapture *) data;
  g_autoptr (Server) server = server_new (expire_first_chat, NULL);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) draft = json_from_string (TEST_DRAFT, NULL);
  g_autofree gchar *path = write_temp_file ("song.mp3", "ID3", 3);
  g_autofree gchar *render_id = NULL;

  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  g_mutex_lock (&capture->lock);
  capture->capturing = TRUE;
  g_string_truncate (capture->text, 0);
  g_mutex_unlock (&capture->lock);

  /* the whole cycle: configured token rejected, anonymous token fetched */
  cloud = client_new (server, "secret-config-token", seen);
  open_session (cloud);
  g_assert_true (nemo_cloud_upload_file (cloud, path, NULL, &error));
  g_assert_true (nemo_cloud_chat (cloud, "make it", NULL, &error));
  render_id = nemo_cloud_export (cloud, draft, NULL, &error);
  g_assert_true (nemo_cloud_wait_and_download (cloud, render_id, NULL,
          &error));
  g_assert_no_error (error);
  g_assert_false (nemo_cloud_wait_and_download (cloud, "missing", NULL,
          &error));

  g_mutex_lock (&capture->lock);
  capture->capturing = FALSE;
  g_mutex_unlock (&capture->lock);
  g_unsetenv ("G_MESSAGES_DEBUG");

  g_assert_cmpstr (get_request (server, "/run_sse", 1)->authorization, ==,
      "Bearer nmv_usr_anon1");
  g_assert_nonnull (strstr (capture->text->str, "POST /run_sse → 200"));
  g_assert_nonnull (strstr (capture->text->str, "GET /video.mp4 → 200"));
  g_assert_null (strstr (capture->text->str, "secret-config-token"));
  g_assert_null (strstr (capture->text->str, "nmv_usr_anon1"));
  g_assert_null (strstr (error->message, "secret-config-token"));
  g_assert_null (strstr (capture->text->str, "nmv_usr_anon2"));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_TOKEN_EXPIRED);
  g_assert_null (strstr (error->message, "nmv_usr_anon2"));
  g_assert_nonnull (strstr (error->message, "token <token> expired"));
  remove_temp_file (path);
}

/* A service that echoes the token on every path a text of its can take. */
#define ECHOED "tok-secret-4711"

static gboolean
serve_echo_token (Server * server, SoupServerMessage * msg,
    const gchar * path, guint count)
{
  const gchar *reply_event[] = { "{\"type\":\"text\",\"content\":\"Your "
        "token is " ECHOED ", all set.\"}", NULL };
  const gchar *error_event[] = { "{\"error\":\"bad token " ECHOED "\"}",
    NULL
  };
  const gchar *model_event[] = { "{\"errorCode\":\"E1\",\"errorMessage\":"
        "\"model saw " ECHOED "\"}", NULL };
  const gchar *silent[] = { NULL };
  const gchar *const *turns[] = { reply_event, error_event, model_event,
    silent
  };

  if (g_str_equal (path, "/run_sse") && count <= G_N_ELEMENTS (turns))
    reply_sse (msg, turns[count - 1]);
  else if (g_str_has_prefix (path, "/api/state/"))
    reply (msg, 200, "{\"code\":0,\"data\":{\"state\":{\"draft\":"
        "{\"t\":[{\"tt\":0,\"sg\":[{\"k\":\"still\",\"src\":\"a.jpg\","
        "\"n\":\"" ECHOED "\",\"st\":0,\"d\":1000}]}],\"d\":1000,"
        "\"m\":{\"title\":\"" ECHOED "\"}}}}}");
  else if (g_str_equal (path, "/api/credits/balance/simple"))
    reply (msg, 200, "{\"code\":2001,\"msg\":\"no credits for " ECHOED
        "\",\"data\":{\"register_url\":\"https://x.example/?t=" ECHOED
        "\"}}");
  else if (g_str_equal (path, "/api/render/proxy/lambda/failing"))
    reply (msg, 200, "{\"status\":\"failed\",\"error\":\"node rejected "
        ECHOED "\"}");
  else if (g_str_equal (path, "/api/render/proxy/lambda/bad-url"))
    reply (msg, 200, "{\"status\":\"completed\",\"output\":{\"url\":"
        "\"ftp://cdn.example/" ECHOED ".mp4\"}}");
  else if (g_str_equal (path, "/api/render/proxy/lambda/in-path"))
    reply (msg, 200, "{\"status\":\"completed\",\"output\":{\"url\":"
        "\"/" ECHOED "/video.mp4\"}}");
  else if (g_str_equal (path, "/" ECHOED "/video.mp4"))
    soup_server_message_set_redirect (msg, 302, "/video.mp4");
  else
    return FALSE;
  return TRUE;
}

static void
capture_nemo_log (NemoLogLevel level, const gchar * file,
    const gchar * function, gint line, const gchar * message, gpointer data)
{
  GString *log = data;

  g_string_append_printf (log, "%s\n", message);
}

static gboolean
log_everything (NemoLogLevel level, gpointer data)
{
  return TRUE;
}

static void
assert_no_token (const gchar * text)
{
  g_assert_null (strstr (text, ECHOED));
}

static void
test_token_echoed (void)
{
  g_autoptr (Server) server = server_new (serve_echo_token, NULL);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, ECHOED, seen);
  g_autoptr (GString) log = g_string_new (NULL);
  const gchar *renders[] = { "failing", "bad-url" };
  guint i;

  nemo_log_set_func (capture_nemo_log, log_everything, log);
  g_assert_null (seen->draft_json);

  /* the envelope's msg and the registration link in it */
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (nemo_cloud_open_session (cloud, NULL, NULL, &error));
    g_assert_error (error, NEMO_ERROR, NEMO_ERROR_OUT_OF_CREDITS);
    assert_no_token (error->message);
    g_assert_nonnull (strstr (error->message, "https://x.example/?t=<token>"));
  }
  /* an agent reply, a chat {"error"}, a model error, a timeline */
  g_assert_true (nemo_cloud_chat (cloud, "one", NULL, NULL));
  g_assert_cmpuint (seen->replies->len, ==, 1);
  g_assert_cmpstr (seen->replies->pdata[0], ==, "Your token is <token>, "
      "all set.");
  for (i = 0; i < 2; i++) {
    g_autoptr (GError) error = NULL;

    g_assert_false (nemo_cloud_chat (cloud, "two", NULL, &error));
    g_assert_error (error, NEMO_ERROR, NEMO_ERROR_FAILED);
    g_assert_nonnull (strstr (error->message, "The agent failed"));
    assert_no_token (error->message);
  }
  g_assert_true (nemo_cloud_chat (cloud, "silent", NULL, NULL));
  g_assert_cmpuint (seen->summaries->len, ==, 1);
  assert_no_token (seen->summaries->pdata[0]);
  assert_no_token (seen->draft_json);
  /* a render failure reason, a download URL that is no URL */
  for (i = 0; i < G_N_ELEMENTS (renders); i++) {
    g_autoptr (GError) error = NULL;

    g_assert_false (nemo_cloud_wait_and_download (cloud, renders[i], NULL,
            &error));
    g_test_message ("%s: %s", renders[i], error->message);
    g_assert_nonnull (strstr (error->message, "<token>"));
    assert_no_token (error->message);
  }
  /* a download URL with the token in its path: the logs show the path */
  g_assert_true (nemo_cloud_wait_and_download (cloud, "in-path", NULL, NULL));
  g_assert_cmpuint (seen->video->len, ==, VIDEO_SIZE);

  nemo_log_set_func (NULL, NULL, NULL);
  g_assert_nonnull (strstr (log->str, "GET /<token>/video.mp4 → 302"));
  assert_no_token (log->str);
}

/* ---- replies written by hand from the documents (fixtures/) ------------ */

static void
reply_fixture (SoupServerMessage * msg, guint status, const gchar * name)
{
  gchar *contents = read_fixture (name);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, g_str_has_suffix (name, ".sse") ?
      "text/event-stream" : "application/json", SOUP_MEMORY_TAKE, contents,
      strlen (contents));
}

/* The service of the fixtures: every call answered with its file, one
 * call (@error_prefix) with an error instead. */
typedef struct
{
  const gchar *chat;            /* chat-adk.sse or chat-typed.sse */
  const gchar *completed;       /* the status once rendered */
  const gchar *error_prefix;
  const gchar *error;
  guint error_status;
} FixtureService;

static const gchar *
fixture_for (const FixtureService * service, const gchar * path, guint count)
{
  static const gchar *const calls[][2] = {
    {"/api/auth/anonymous-token", "token.json"},
    {"/api/tasks/me/with-session/nemo_agent", "session.json"},
    {"/api/credits/balance/simple", "credits.json"},
    {"/api/upload-video/nemo_agent/me/", "upload.json"},
    {"/api/state/nemo_agent/me/", "state.json"},
  };
  guint i;

  if (g_str_equal (path, "/run_sse"))
    return service->chat;
  if (g_str_equal (path, "/api/render/proxy/lambda"))
    return "export.json";
  if (g_str_has_prefix (path, "/api/render/proxy/lambda/"))
    return count == 1 ? "status-data.json" : service->completed;
  for (i = 0; i < G_N_ELEMENTS (calls); i++)
    if (g_str_has_prefix (path, calls[i][0]))
      return calls[i][1];
  return NULL;                  /* the video: the default service's */
}

static gboolean
serve_fixtures (Server * server, SoupServerMessage * msg, const gchar * path,
    guint count)
{
  const FixtureService *service = server->data;
  const gchar *name;

  if (service->error_prefix != NULL
      && g_str_has_prefix (path, service->error_prefix)) {
    if (service->error_status == 429)
      soup_message_headers_append (soup_server_message_get_response_headers
          (msg), "Retry-After", "0");
    reply_fixture (msg, service->error_status, service->error);
    return TRUE;
  }
  name = fixture_for (service, path, count);
  if (name == NULL)
    return FALSE;
  reply_fixture (msg, SOUP_STATUS_OK, name);
  return TRUE;
}

/* @key of the first segment of @draft's first track. */
static JsonNode *
first_segment_member (JsonNode * draft, const gchar * key)
{
  JsonObject *track = json_array_get_object_element
      (json_object_get_array_member (json_node_get_object (draft), "t"), 0);
  JsonObject *segment = json_array_get_object_element
      (json_object_get_array_member (track, "sg"), 0);

  return json_object_get_member (segment, key);
}

/* What a user of the client sees of the fixtures' whole cycle: the
 * anonymous token in use, the credits, the agent's complete text once, the
 * service's draft sent back with the keys no document names, the render's
 * progress and the video. */
static void
fixture_cycle (const FixtureService * service)
{
  g_autoptr (Server) server = server_new (serve_fixtures, (gpointer) service);
  g_autoptr (Seen) seen = seen_new ();
  g_autoptr (NemoCloud) cloud = client_new (server, NULL, seen);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = write_temp_file ("song.mp3", "ID3", 3);
  g_autofree gchar *render_id = NULL;
  g_autoptr (JsonNode) state = NULL;
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (JsonNode) sent = NULL;
  g_autoptr (NemoDraft) parsed = NULL;
  JsonNode *draft;
  Request *export;

  open_session (cloud);
  g_assert_cmpstr (nemo_cloud_get_session_id (cloud), ==, "1743712255001");
  g_assert_cmpstr (get_request (server, "/api/tasks/", 0)->authorization, ==,
      "Bearer nmv_usr_5f3c9a0e7d21");
  g_assert_cmpint (seen->credits, ==, 1);
  g_assert_cmpint (seen->available, ==, 100);
  g_assert_cmpint (seen->total, ==, 100);

  g_assert_true (nemo_cloud_upload_file (cloud, path, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (nemo_cloud_chat (cloud, "a music video", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (seen->replies->len, ==, 1);
  g_assert_cmpstr (seen->replies->pdata[0], ==,
      "I put your cover over the whole song.");

  state = nemo_cloud_get_state (cloud, NULL, &error);
  g_assert_no_error (error);
  draft = json_object_get_member (json_node_get_object (state), "draft");
  parsed = nemo_draft_from_node (draft, &error);
  g_assert_no_error (error);
  render_id = nemo_cloud_export (cloud, draft, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (render_id, ==, "render_1743712300000");
  export = get_request (server, "/api/render/proxy/lambda", 0);
  body = json_from_string (g_bytes_get_data (export->body, NULL), &error);
  g_assert_no_error (error);
  sent = json_object_dup_member (json_node_get_object (body), "draft");
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (sent),
          "x_revision"), ==, 7);
  g_assert_nonnull (first_segment_member (sent, "x_transition"));

  g_assert_true (nemo_cloud_wait_and_download (cloud, render_id, NULL,
          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_requests (server, "/api/render/proxy/lambda/"), ==,
      2);
  g_assert_nonnull (strstr (seen->stages->str, "render;download;"));
  g_assert_cmpuint (seen->video->len, ==, VIDEO_SIZE);
  g_assert_true (memcmp (seen->video->data, g_bytes_get_data (server->video,
              NULL), VIDEO_SIZE) == 0);
  remove_temp_file (path);
}

static void
test_fixtures_adk_top (void)
{
  const FixtureService service = { "chat-adk.sse", "status-top.json", };

  fixture_cycle (&service);
}

static void
test_fixtures_typed_data (void)
{
  const FixtureService service = { "chat-typed.sse",
    "status-data-completed.json",
  };

  fixture_cycle (&service);
}

/* Each documented error code, as the documents say it arrives: the error a
 * user gets is in NEMO_ERROR with that code, and names the HTTP status. */
static void
test_fixtures_errors (void)
{
  static const struct
  {
    const gchar *fixture;
    guint status;
    const gchar *prefix;
    const gchar *call;
    gint code;
  } cases[] = {
    {"error-1001.json", 200, "/api/credits/", "credits",
        NEMO_ERROR_TOKEN_EXPIRED},
    {"error-1002.json", 200, "/api/state/", "state",
        NEMO_ERROR_SESSION_NOT_FOUND},
    {"error-2001.json", 200, "/run_sse", "chat", NEMO_ERROR_OUT_OF_CREDITS},
    {"error-4001.json", 200, "/api/upload-video/", "upload",
        NEMO_ERROR_UNSUPPORTED_TYPE},
    {"error-4002.json", 200, "/api/upload-video/", "upload",
        NEMO_ERROR_FILE_TOO_LARGE},
    {"error-400.json", 400, "/api/credits/", "credits",
        NEMO_ERROR_MISSING_CLIENT_ID},
    {"error-402.json", 402, "/api/render/proxy/lambda", "export",
        NEMO_ERROR_EXPORT_BLOCKED},
    {"error-429.json", 429, "/api/credits/", "credits",
        NEMO_ERROR_RATE_LIMITED},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    FixtureService service = { "chat-adk.sse", "status-top.json",
      NULL, cases[i].fixture, cases[i].status
    };
    g_autoptr (Server) server = server_new (serve_fixtures, &service);
    g_autoptr (Seen) seen = seen_new ();
    g_autoptr (NemoCloud) cloud = client_new (server, "tok", seen);
    g_autoptr (GError) error = NULL;
    g_autofree gchar *path = write_temp_file ("song.mp3", "ID3", 3);
    g_autoptr (JsonNode) draft = json_from_string (TEST_DRAFT, NULL);
    g_autofree gchar *render_id = NULL;
    g_autoptr (JsonNode) state = NULL;
    gboolean ok;

    g_test_message ("%s", cases[i].fixture);
    open_session (cloud);
    service.error_prefix = cases[i].prefix;
    if (g_str_equal (cases[i].call, "credits"))
      ok = nemo_cloud_refresh_credits (cloud, NULL, &error);
    else if (g_str_equal (cases[i].call, "state")) {
      state = nemo_cloud_get_state (cloud, NULL, &error);
      ok = state != NULL;
    }
    else if (g_str_equal (cases[i].call, "chat"))
      ok = nemo_cloud_chat (cloud, "a music video", NULL, &error);
    else if (g_str_equal (cases[i].call, "upload"))
      ok = nemo_cloud_upload_file (cloud, path, NULL, &error);
    else {
      render_id = nemo_cloud_export (cloud, draft, NULL, &error);
      ok = render_id != NULL;
    }
    g_assert_false (ok);
    g_assert_error (error, NEMO_ERROR, cases[i].code);
    g_assert_cmpuint (nemo_cloud_get_http_status (cloud), ==, cases[i].status);
    remove_temp_file (path);
  }
}

int
main (int argc, char **argv)
{
  LogCapture capture = { 0, };
  int ret;

  g_test_init (&argc, &argv, NULL);
  g_unsetenv ("NEMO_TOKEN");
  g_setenv ("NEMO_CLOUD_BACKOFF_MS", "10", TRUE);
  g_mutex_init (&capture.lock);
  capture.text = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, &capture, NULL);

  g_test_add_func ("/cloud/api-url", test_api_url);
  g_test_add_func ("/cloud/envelopes", test_envelopes);
  g_test_add_func ("/cloud/error-messages", test_error_messages);
  g_test_add_func ("/cloud/gui-text", test_gui_text);
  g_test_add_func ("/cloud/token/config", test_token_from_config);
  g_test_add_func ("/cloud/token/env", test_token_from_env);
  g_test_add_func ("/cloud/token/anonymous", test_token_anonymous);
  g_test_add_func ("/cloud/token/random-client-id",
      test_token_random_client_id);
  g_test_add_func ("/cloud/errors/1001", test_error_1001);
  g_test_add_func ("/cloud/errors/1002", test_error_1002);
  g_test_add_func ("/cloud/errors/429", test_error_429);
  g_test_add_func ("/cloud/errors/stops", test_error_stops);
  g_test_add_func ("/cloud/errors/too-large-locally",
      test_upload_too_large_locally);
  g_test_add_func ("/cloud/errors/400", test_error_400);
  g_test_add_func ("/cloud/upload/cancelled", test_upload_cancelled);
  g_test_add_func ("/cloud/errors/5xx", test_error_5xx);
  g_test_add_func ("/cloud/errors/network", test_error_network);
  g_test_add_func ("/cloud/chat/adk", test_chat_adk);
  g_test_add_func ("/cloud/chat/typed", test_chat_typed);
  g_test_add_func ("/cloud/chat/partials-only", test_chat_partials_only);
  g_test_add_func ("/cloud/chat/errors", test_chat_errors);
  g_test_add_func ("/cloud/chat/silent", test_chat_silent);
  g_test_add_func ("/cloud/chat/preview-reads-state",
      test_chat_preview_reads_state);
  g_test_add_func ("/cloud/chat/still-working", test_chat_still_working);
  g_test_add_func ("/cloud/chat/silence-timeout", test_chat_silence_timeout);
  g_test_add_func ("/cloud/upload/multipart", test_upload_multipart);
  g_test_add_func ("/cloud/upload/url", test_upload_url);
  g_test_add_func ("/cloud/upload/streaming-rss", test_upload_streaming_rss);
  g_test_add_func ("/cloud/export/status-top-level",
      test_export_status_top_level);
  g_test_add_func ("/cloud/export/status-success-data",
      test_export_status_success_data);
  g_test_add_func ("/cloud/export/service-id-and-fallback",
      test_export_service_id_and_fallback);
  g_test_add_func ("/cloud/export/failed", test_export_failed);
  g_test_add_func ("/cloud/download/cdn-no-token", test_download_cdn_no_token);
  g_test_add_func ("/cloud/download/broken", test_download_broken);
  g_test_add_func ("/cloud/download/not-video", test_download_not_video);
  g_test_add_func ("/cloud/download/resumed", test_download_resumed);
  g_test_add_func ("/cloud/download/not-resumable",
      test_download_not_resumable);
  g_test_add_func ("/cloud/cancel/waits", test_cancel_waits);
  g_test_add_func ("/cloud/limits/no-answer", test_limit_no_answer);
  g_test_add_func ("/cloud/limits/upload-no-answer",
      test_limit_upload_no_answer);
  g_test_add_func ("/cloud/limits/chat", test_chat_limit);
  g_test_add_func ("/cloud/limits/render", test_render_limit);
  g_test_add_func ("/cloud/chat/html", test_chat_html);
  g_test_add_func ("/cloud/export/status-unknown",
      test_export_status_unknown);
  g_test_add_data_func ("/cloud/logging/no-token", &capture,
      test_token_never_logged);
  g_test_add_func ("/cloud/logging/token-echoed", test_token_echoed);
  g_test_add_func ("/cloud/fixtures/adk-top", test_fixtures_adk_top);
  g_test_add_func ("/cloud/fixtures/typed-data", test_fixtures_typed_data);
  g_test_add_func ("/cloud/fixtures/errors", test_fixtures_errors);
  ret = g_test_run ();
  g_string_free (capture.text, TRUE);
  g_mutex_clear (&capture.lock);
  return ret;
}
