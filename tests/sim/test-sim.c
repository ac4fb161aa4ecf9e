/* Tests for nemo-sim: the sim runs in-process and a plain SoupSession plays
 * the client, through the whole cycle (token, session, upload, chat, state,
 * export, status, download) in both event and status shapes, then each fault
 * flag, asserting what a client would see on the wire.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/sim.h>
#include <nemo/draft.h>
#include <nemo/media.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

#define TEST_W 320
#define TEST_H 180
/* Delay between two export-status polls. */
#define POLL_US (100 * G_TIME_SPAN_MILLISECOND)

/* ---- fixtures ---- */

/* Options for a quick sim: small canvas, no silent edits. */
static void
test_options (NemoSimOptions * options)
{
  nemo_sim_options_init (options);
  options->width = TEST_W;
  options->height = TEST_H;
  options->silent_edit_rate = 0.0;
}

static NemoSim *
start_sim (const NemoSimOptions * options)
{
  GError *error = NULL;
  NemoSim *sim = nemo_sim_new (options, &error);

  g_assert_no_error (error);
  g_assert_nonnull (sim);
  return sim;
}

/* A client: a SoupSession, the sim it talks to, its token and session. */
typedef struct
{
  NemoSim *sim;
  SoupSession *http;
  gchar *client_id;
  gchar *token;
  gchar *session_id;
  gboolean attribution;         /* send the X-Skill-* headers */
} Client;

static void
client_init (Client * client, NemoSim * sim)
{
  memset (client, 0, sizeof (*client));
  client->sim = sim;
  client->http = soup_session_new ();
  client->client_id = g_uuid_string_random ();
  client->attribution = TRUE;
}

static void
client_clear (Client * client)
{
  g_object_unref (client->http);
  g_free (client->client_id);
  g_free (client->token);
  g_free (client->session_id);
}

typedef struct
{
  guint status;
  SoupMessageHeaders *headers;
  GBytes *body;
  JsonNode *json;               /* NULL if the body is not JSON */
} Reply;

static void
reply_free (Reply * reply)
{
  soup_message_headers_unref (reply->headers);
  g_bytes_unref (reply->body);
  if (reply->json)
    json_node_unref (reply->json);
  g_free (reply);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, reply_free)

/* The bearer token and the attribution headers, as a client sends them. */
static void
add_client_headers (Client * client, SoupMessage * msg)
{
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  if (client->token) {
    g_autofree gchar *bearer = g_strconcat ("Bearer ", client->token, NULL);

    soup_message_headers_replace (headers, "Authorization", bearer);
  }
  if (client->attribution) {
    soup_message_headers_replace (headers, "X-Skill-Source", "yt-music");
    soup_message_headers_replace (headers, "X-Skill-Version", "1.0.0");
    soup_message_headers_replace (headers, "X-Skill-Platform", "unknown");
  }
}

static SoupMessage *
client_message (Client * client, const gchar * method, const gchar * url)
{
  SoupMessage *msg = soup_message_new (method, url);

  g_assert_nonnull (msg);
  add_client_headers (client, msg);
  return msg;
}

static Reply *
send_message (Client * client, SoupMessage * msg)
{
  GError *error = NULL;
  Reply *reply = g_new0 (Reply, 1);
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize size;
  const gchar *data;

  reply->body = soup_session_send_and_read (client->http, msg, NULL, &error);
  g_assert_no_error (error);
  reply->status = soup_message_get_status (msg);
  reply->headers = soup_message_headers_ref (soup_message_get_response_headers
      (msg));
  data = g_bytes_get_data (reply->body, &size);
  if (size > 0 && json_parser_load_from_data (parser, data, size, NULL))
    reply->json = json_parser_steal_root (parser);
  g_object_unref (msg);
  return reply;
}

/* @method @path on the API with an optional JSON body. */
static Reply *
call (Client * client, const gchar * method, const gchar * path,
    const gchar * json)
{
  g_autofree gchar *url = g_strconcat (nemo_sim_get_url (client->sim), path,
      NULL);
  SoupMessage *msg = client_message (client, method, url);

  if (json) {
    g_autoptr (GBytes) body = g_bytes_new (json, strlen (json));

    soup_message_set_request_body_from_bytes (msg, "application/json", body);
  }
  return send_message (client, msg);
}

/* @key of @object if it is an object, else NULL */
static JsonObject *
object_member (JsonObject * object, const gchar * key)
{
  JsonNode *node = json_object_get_member (object, key);

  return node && JSON_NODE_HOLDS_OBJECT (node) ?
      json_node_get_object (node) : NULL;
}

static JsonObject *
reply_object (const Reply * reply)
{
  g_assert_nonnull (reply->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (reply->json));
  return json_node_get_object (reply->json);
}

static gint64
reply_code (const Reply * reply)
{
  return json_object_get_int_member_with_default (reply_object (reply),
      "code", -1);
}

static JsonObject *
reply_data (const Reply * reply)
{
  g_assert_cmpint (reply->status, ==, 200);
  g_assert_cmpint (reply_code (reply), ==, 0);
  return json_object_get_object_member (reply_object (reply), "data");
}

/* The anonymous-token call, as a client sends it. */
static Reply *
request_token (Client * client)
{
  g_autofree gchar *url = g_strconcat (nemo_sim_get_url (client->sim),
      "/api/auth/anonymous-token", NULL);
  SoupMessage *msg = soup_message_new ("POST", url);

  soup_message_headers_replace (soup_message_get_request_headers (msg),
      "X-Client-Id", client->client_id);
  return send_message (client, msg);
}

static void
get_token (Client * client)
{
  g_autoptr (Reply) reply = request_token (client);
  JsonObject *data;

  data = reply_data (reply);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (data,
              "token"), "nmv_usr_"));
  g_free (client->token);
  client->token = g_strdup (json_object_get_string_member (data, "token"));
}

static void
new_session (Client * client, const gchar * language)
{
  g_autofree gchar *body =
      g_strdup_printf ("{\"task_name\":\"project\",\"language\":\"%s\"}",
      language);
  g_autoptr (Reply) reply =
      call (client, "POST", "/api/tasks/me/with-session/nemo_agent", body);
  JsonObject *data = reply_data (reply);
  const gchar *id = json_object_get_string_member (data, "session_id");
  const gchar *c;

  g_assert_nonnull (json_object_get_string_member (data, "task_id"));
  for (c = id; *c; c++)
    g_assert_true (g_ascii_isdigit (*c));
  g_free (client->session_id);
  client->session_id = g_strdup (id);
}

/* Upload test files (NULL-terminated names) in one multipart request. */
static Reply *
upload_files (Client * client, const gchar * first, ...)
{
  g_autofree gchar *url =
      g_strdup_printf ("%s/api/upload-video/nemo_agent/me/%s",
      nemo_sim_get_url (client->sim), client->session_id);
  SoupMultipart *multipart = soup_multipart_new ("multipart/form-data");
  SoupMessage *msg;
  const gchar *name;
  va_list args;

  /* a field that is not "files" is skipped by the service */
  soup_multipart_append_form_string (multipart, "note", "ignored");
  va_start (args, first);
  for (name = first; name; name = va_arg (args, const gchar *)) {
    g_autofree gchar *path = data_path (name);
    g_autoptr (GBytes) bytes = NULL;
    gchar *contents;
    gsize length;

    g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
    bytes = g_bytes_new_take (contents, length);
    soup_multipart_append_form_file (multipart, "files", name,
        "application/octet-stream", bytes);
  }
  va_end (args);
  msg = soup_message_new_from_multipart (url, multipart);
  soup_multipart_free (multipart);
  add_client_headers (client, msg);
  return send_message (client, msg);
}

/* token, session, cover.png + tone.mp3 */
static void
client_setup (Client * client, const gchar * language)
{
  g_autoptr (Reply) reply = NULL;

  get_token (client);
  new_session (client, language);
  reply = upload_files (client, "cover.png", "tone.mp3", NULL);
  reply_data (reply);
}

/* ---- the chat stream ---- */

typedef struct
{
  guint status;
  gchar *content_type;
  gchar *raw;
  GPtrArray *payloads;          /* gchar*: what followed each "data:" of
                                 * the complete events */
  gchar *trailing;              /* bytes after the last complete event */
  GError *error;                /* how reading ended, NULL = cleanly */
} Chat;

static void
chat_free (Chat * chat)
{
  g_free (chat->content_type);
  g_free (chat->raw);
  g_free (chat->trailing);
  g_ptr_array_unref (chat->payloads);
  g_clear_error (&chat->error);
  g_free (chat);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Chat, chat_free)

static void
parse_payloads (Chat * chat)
{
  const gchar *end = g_strrstr (chat->raw, "\n\n");
  g_autofree gchar *complete = NULL;
  g_auto (GStrv) lines = NULL;
  guint i;

  end = end ? end + 2 : chat->raw;
  complete = g_strndup (chat->raw, end - chat->raw);
  chat->trailing = g_strdup (end);
  lines = g_strsplit (complete, "\n", -1);

  for (i = 0; lines[i]; i++) {
    const gchar *line = lines[i];

    g_assert_false (g_str_has_prefix (line, "event:"));
    g_assert_false (g_str_has_prefix (line, "id:"));
    if (!g_str_has_prefix (line, "data:"))
      continue;
    line += 5;
    if (*line == ' ')
      line++;
    g_ptr_array_add (chat->payloads, g_strdup (line));
  }
}

static Chat *
chat (Client * client, const gchar * text)
{
  g_autofree gchar *url = g_strconcat (nemo_sim_get_url (client->sim),
      "/run_sse", NULL);
  g_autofree gchar *body = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GInputStream) stream = NULL;
  GString *raw = g_string_new (NULL);
  SoupMessage *msg = client_message (client, "POST", url);
  Chat *result = g_new0 (Chat, 1);
  GError *error = NULL;
  gchar buffer[4096];
  gssize n;

  body = g_strdup_printf ("{\"app_name\":\"nemo_agent\",\"user_id\":\"me\","
      "\"session_id\":\"%s\",\"new_message\":{\"parts\":[{\"text\":\"%s\"}]}}",
      client->session_id, text);
  bytes = g_bytes_new (body, strlen (body));
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_message_headers_replace (soup_message_get_request_headers (msg),
      "Accept", "text/event-stream");
  stream = soup_session_send (client->http, msg, NULL, &error);
  g_assert_no_error (error);
  while ((n = g_input_stream_read (stream, buffer, sizeof (buffer), NULL,
              &result->error)) > 0)
    g_string_append_len (raw, buffer, n);

  result->status = soup_message_get_status (msg);
  result->content_type = g_strdup (soup_message_headers_get_content_type
      (soup_message_get_response_headers (msg), NULL));
  result->raw = g_string_free (raw, FALSE);
  result->payloads = g_ptr_array_new_with_free_func (g_free);
  parse_payloads (result);
  g_object_unref (msg);
  return result;
}

static JsonObject *
parse_object (JsonParser * parser, const gchar * text)
{
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_get_object (json_parser_get_root (parser));
}

/* What an ADK stream said: partial chunks joined, full texts, tool parts. */
typedef struct
{
  GString *partial;
  GPtrArray *full;              /* gchar* */
  guint function_calls, function_responses, state_deltas;
  guint empty;                  /* empty data lines */
  gboolean turn_complete;
  gchar *error;                 /* {"error":…} */
  gchar *error_message;         /* errorCode/errorMessage */
} AdkSummary;

static void
adk_summary_clear (AdkSummary * summary)
{
  g_string_free (summary->partial, TRUE);
  g_ptr_array_unref (summary->full);
  g_free (summary->error);
  g_free (summary->error_message);
}

static void
adk_summarize (const Chat * chat, AdkSummary * summary)
{
  guint i, j;

  memset (summary, 0, sizeof (*summary));
  summary->partial = g_string_new (NULL);
  summary->full = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; i < chat->payloads->len; i++) {
    g_autoptr (JsonParser) parser = json_parser_new ();
    const gchar *payload = chat->payloads->pdata[i];
    JsonObject *event, *content;
    JsonArray *parts;

    if (*payload == '\0') {
      summary->empty++;
      continue;
    }
    event = parse_object (parser, payload);
    if (json_object_has_member (event, "error")) {
      summary->error = g_strdup (json_object_get_string_member (event,
              "error"));
      continue;
    }
    if (json_object_has_member (event, "errorCode")) {
      summary->error_message =
          g_strdup (json_object_get_string_member (event, "errorMessage"));
      continue;
    }
    g_assert_cmpstr (json_object_get_string_member (event, "author"), ==,
        "nemo_agent");
    g_assert_true (json_object_has_member (event, "invocationId"));
    g_assert_true (json_object_has_member (event, "timestamp"));
    if (json_object_get_boolean_member_with_default (event, "turnComplete",
            FALSE))
      summary->turn_complete = TRUE;
    if (json_object_has_member (event, "actions")
        && json_object_has_member (json_object_get_object_member (event,
                "actions"), "stateDelta"))
      summary->state_deltas++;
    content = object_member (event, "content");
    if (content == NULL)
      continue;
    parts = json_object_get_array_member (content, "parts");
    for (j = 0; j < json_array_get_length (parts); j++) {
      JsonObject *part = json_array_get_object_element (parts, j);

      if (json_object_has_member (part, "functionCall"))
        summary->function_calls++;
      else if (json_object_has_member (part, "functionResponse"))
        summary->function_responses++;
      else if (json_object_get_boolean_member_with_default (event, "partial",
              FALSE))
        g_string_append (summary->partial,
            json_object_get_string_member (part, "text"));
      else
        g_ptr_array_add (summary->full,
            g_strdup (json_object_get_string_member (part, "text")));
    }
  }
}

/* ---- state, export, status, download ---- */

static JsonObject *
get_state (Client * client, Reply ** reply)
{
  g_autofree gchar *path =
      g_strdup_printf ("/api/state/nemo_agent/me/%s/latest",
      client->session_id);

  *reply = call (client, "GET", path, NULL);
  return json_object_get_object_member (reply_data (*reply), "state");
}

/* POST the state's draft for export as @id. */
static Reply *
export_draft (Client * client, const gchar * id)
{
  g_autoptr (Reply) state_reply = NULL;
  JsonObject *state = get_state (client, &state_reply);
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree gchar *draft = NULL;
  g_autofree gchar *body = NULL;

  json_generator_set_root (generator, json_object_get_member (state,
          "draft"));
  draft = json_generator_to_data (generator, NULL);
  body = g_strdup_printf ("{\"id\":\"%s\",\"sessionId\":\"%s\",\"draft\":%s,"
      "\"output\":{\"format\":\"mp4\",\"quality\":\"high\"}}", id,
      client->session_id, draft);
  return call (client, "POST", "/api/render/proxy/lambda", body);
}

/* The render job's status as a client reads either shape. */
typedef struct
{
  gchar *status;
  gint64 progress;
  gchar *url;
  gchar *error;
} Status;

static void
status_clear (Status * status)
{
  g_free (status->status);
  g_free (status->url);
  g_free (status->error);
  memset (status, 0, sizeof (*status));
}

static void
get_status (Client * client, const gchar * id, NemoSimStatusShape shape,
    Status * status)
{
  g_autofree gchar *path = g_strconcat ("/api/render/proxy/lambda/", id, NULL);
  g_autoptr (Reply) reply = call (client, "GET", path, NULL);
  JsonObject *root = reply_object (reply), *body, *output;

  g_assert_cmpint (reply->status, ==, 200);
  if (shape == NEMO_SIM_STATUS_DATA) {
    g_assert_true (json_object_get_boolean_member (root, "success"));
    g_assert_false (json_object_has_member (root, "status"));
    body = json_object_get_object_member (root, "data");
  } else {
    g_assert_false (json_object_has_member (root, "data"));
    body = root;
  }
  status_clear (status);
  status->status = g_strdup (json_object_get_string_member (body, "status"));
  status->progress = json_object_get_int_member (body, "progress");
  status->error = g_strdup (json_object_get_string_member_with_default (body,
          "error", NULL));
  output = object_member (body, "output");
  if (shape == NEMO_SIM_STATUS_TOP && output) {
    status->url = g_strdup (json_object_get_string_member (output, "url"));
    g_assert_cmpint (json_object_get_int_member (output, "size"), >, 0);
    g_assert_cmpfloat (json_object_get_double_member (output, "duration"), >,
        7.5);
  } else if (shape == NEMO_SIM_STATUS_DATA) {
    g_assert_null (output);
    status->url = g_strdup (json_object_get_string_member_with_default (body,
            "outputUrl", NULL));
  }
}

/* Poll until the job ends; @max_progress_seen: the highest progress below
 * 100 seen while processing (-1 if none); checks it never went back. */
static void
poll_until_done (Client * client, const gchar * id, NemoSimStatusShape shape,
    Status * status, gint64 * max_progress_seen)
{
  gint64 last = 0;

  *max_progress_seen = -1;
  for (;;) {
    get_status (client, id, shape, status);
    g_assert_cmpint (status->progress, >=, last);
    g_assert_cmpint (status->progress, <=, 100);
    last = status->progress;
    if (g_strcmp0 (status->status, "completed") == 0
        || g_strcmp0 (status->status, "failed") == 0)
      return;
    g_assert_true (g_strcmp0 (status->status, "pending") == 0
        || g_strcmp0 (status->status, "processing") == 0);
    if (g_strcmp0 (status->status, "processing") == 0 && status->progress < 100)
      *max_progress_seen = MAX (*max_progress_seen, status->progress);
    g_usleep (POLL_US);
  }
}

typedef struct
{
  guint status;
  goffset content_length;
  GByteArray *bytes;
  GError *error;
  gchar *content_type;
} Download;

static void
download_free (Download * download)
{
  g_byte_array_unref (download->bytes);
  g_clear_error (&download->error);
  g_free (download->content_type);
  g_free (download);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Download, download_free)

/* GET @url reading the body as it comes; @bearer: send the token. */
static Download *
download (Client * client, const gchar * url, gboolean bearer)
{
  SoupMessage *msg = soup_message_new ("GET", url);
  g_autoptr (GInputStream) stream = NULL;
  Download *result = g_new0 (Download, 1);
  GError *error = NULL;
  guint8 buffer[16384];
  gssize n;

  if (bearer) {
    g_autofree gchar *value = g_strconcat ("Bearer ", client->token, NULL);

    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Authorization", value);
  }
  result->bytes = g_byte_array_new ();
  stream = soup_session_send (client->http, msg, NULL, &error);
  g_assert_no_error (error);
  while ((n = g_input_stream_read (stream, buffer, sizeof (buffer), NULL,
              &result->error)) > 0)
    g_byte_array_append (result->bytes, buffer, n);
  result->status = soup_message_get_status (msg);
  result->content_length =
      soup_message_headers_get_content_length (soup_message_get_response_headers
      (msg));
  result->content_type = g_strdup (soup_message_headers_get_content_type
      (soup_message_get_response_headers (msg), NULL));
  g_object_unref (msg);
  return result;
}

static void
assert_bytes_equal_file (const GByteArray * bytes, const gchar * path)
{
  gchar *contents;
  gsize length;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_cmpuint (bytes->len, ==, length);
  g_assert_true (memcmp (bytes->data, contents, length) == 0);
  g_free (contents);
}

/* A completed render of the client's session; returns its id. */
static gchar *
make_render (Client * client)
{
  g_autoptr (Chat) reply = NULL;
  g_autoptr (Reply) started = NULL;
  Status status = { 0, };
  gint64 seen;

  client_setup (client, "en");
  reply = chat (client, "create a looping music video");
  g_assert_no_error (reply->error);
  started = export_draft (client, "render_fixture");
  g_assert_cmpint (started->status, ==, 200);
  poll_until_done (client, "render_fixture", NEMO_SIM_STATUS_TOP, &status,
      &seen);
  g_assert_cmpstr (status.status, ==, "completed");
  status_clear (&status);
  return g_strdup ("render_fixture");
}

/* ---- tests ---- */

static void
test_loopback_only (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_auto (GStrv) uris = NULL;
  guint i;

  test_options (&options);
  sim = start_sim (&options);
  uris = nemo_sim_dup_listen_uris (sim);
  g_assert_cmpuint (g_strv_length (uris), ==, 2);
  for (i = 0; uris[i]; i++) {
    g_autoptr (GUri) uri = g_uri_parse (uris[i], G_URI_FLAGS_NONE, NULL);

    g_assert_nonnull (uri);
    g_assert_cmpstr (g_uri_get_host (uri), ==, "127.0.0.1");
  }
  g_assert_cmpuint (nemo_sim_get_port (sim), >, 0);
  g_assert_cmpuint (nemo_sim_get_cdn_port (sim), >, 0);
  g_assert_cmpuint (nemo_sim_get_port (sim), !=, nemo_sim_get_cdn_port (sim));
  g_assert_true (g_str_has_prefix (nemo_sim_get_url (sim),
          "http://127.0.0.1:"));
}

/* A multipart body on disk: one `files` part holding a WAV of silence. */
static gchar *
write_big_upload (const gchar * dir, guint32 data_bytes, gchar ** sha256)
{
  gchar *path = g_build_filename (dir, "body", NULL);
  FILE *file = fopen (path, "wb");
  GChecksum *checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 header[WAV_HEADER_SIZE];
  static const guint8 zeros[65536];
  guint32 left;

  g_assert_nonnull (file);
  fputs ("--XyZBoundary\r\nContent-Disposition: form-data; name=\"files\"; "
      "filename=\"big.wav\"\r\nContent-Type: audio/wav\r\n\r\n", file);
  wav_header (header, 48000, 2, data_bytes);
  fwrite (header, 1, sizeof (header), file);
  g_checksum_update (checksum, header, sizeof (header));
  for (left = data_bytes; left > 0; left -= MIN (left, sizeof (zeros))) {
    fwrite (zeros, 1, MIN (left, sizeof (zeros)), file);
    g_checksum_update (checksum, zeros, MIN (left, sizeof (zeros)));
  }
  fputs ("\r\n--XyZBoundary--\r\n", file);
  g_assert_cmpint (fclose (file), ==, 0);
  *sha256 = g_strdup (g_checksum_get_string (checksum));
  g_checksum_free (checksum);
  return path;
}

/* In a process of its own, while its peak memory is still low: a 96 MB
 * upload streams to disk on both sides and raises the peak by a few MB at
 * most. */
static void
test_upload_streams_to_disk (void)
{
  const guint32 data_bytes = 96 * 1024 * 1024;
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = NULL;
  g_autofree gchar *sha256 = NULL;
  g_autofree gchar *body_path = NULL;
  g_autofree gchar *url = NULL;
  g_autoptr (GFile) body_file = NULL;
  g_autoptr (GFileInputStream) body = NULL;
  g_autoptr (Reply) reply = NULL;
  JsonObject *file;
  SoupMessage *msg;
  Client client;
  guint64 before, after;
  GStatBuf st;

  if (NEMO_TEST_ASAN) {
    g_test_skip ("AddressSanitizer keeps freed memory: RSS means nothing");
    return;
  }
  /* a fresh process, low peak memory, and its 200 MB of files (the body,
   * the sim's copy) removed even if it fails */
  if (!in_own_tmp_dir ())
    return;
  dir = g_dir_make_tmp ("nemo-sim-test-XXXXXX", &error);
  g_assert_no_error (error);
  test_options (&options);
  sim = start_sim (&options);
  client_init (&client, sim);
  get_token (&client);
  new_session (&client, "en");

  body_path = write_big_upload (dir, data_bytes, &sha256);
  g_assert_cmpint (g_stat (body_path, &st), ==, 0);
  body_file = g_file_new_for_path (body_path);
  body = g_file_read (body_file, NULL, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("%s/api/upload-video/nemo_agent/me/%s",
      nemo_sim_get_url (sim), client.session_id);
  msg = client_message (&client, "POST", url);
  soup_message_set_request_body (msg,
      "multipart/form-data; boundary=XyZBoundary", G_INPUT_STREAM (body),
      st.st_size);

  before = peak_rss_kib ();
  reply = send_message (&client, msg);
  after = peak_rss_kib ();
  g_test_message ("peak RSS %" G_GUINT64_FORMAT " KiB before, %"
      G_GUINT64_FORMAT " KiB after a %u MB upload", before, after,
      data_bytes >> 20);
  g_assert_cmpuint (after - before, <, 16 * 1024);

  file = json_array_get_object_element (json_object_get_array_member
      (reply_data (reply), "files"), 0);
  g_assert_cmpstr (json_object_get_string_member (file, "filename"), ==,
      "big.wav");
  g_assert_cmpstr (json_object_get_string_member (file, "file_type"), ==,
      "audio");
  g_assert_cmpstr (json_object_get_string_member (file, "hash"), ==, sha256);
  g_assert_cmpint (json_object_get_int_member (file, "size"), ==,
      44 + data_bytes);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (file,
          "duration"), data_bytes / (48000.0 * 4), 0.01);

  g_unlink (body_path);
  g_rmdir (dir);
  client_clear (&client);
}

static void
check_cycle (NemoSimEventShape events, NemoSimStatusShape shape,
    const gchar * language)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (Reply) uploaded = NULL;
  g_autoptr (Reply) credits = NULL;
  g_autoptr (Reply) state_reply = NULL;
  g_autoptr (Reply) started = NULL;
  g_autoptr (Chat) reply = NULL;
  g_autoptr (Download) cdn = NULL;
  g_autoptr (Download) fallback = NULL;
  g_autofree gchar *render_path = NULL;
  g_autofree gchar *auth = NULL;
  g_autofree gchar *fallback_url = NULL;
  const gchar *cover_url, *song_url;
  JsonObject *data, *state, *draft, *meta;
  JsonArray *files, *tracks;
  Status status = { 0, };
  g_autoptr (NemoMediaInfo) rendered = NULL;
  g_autoptr (NemoDraft) parsed = NULL;
  g_autofree gchar *summary = NULL;
  gboolean chinese = g_str_has_prefix (language, "zh");
  gboolean found_cover = FALSE, found_song = FALSE;
  gint64 seen;
  Client client;
  guint i, j;

  test_options (&options);
  options.event_shape = events;
  options.status_shape = shape;
  sim = start_sim (&options);
  client_init (&client, sim);

  get_token (&client);
  new_session (&client, language);
  credits = call (&client, "GET", "/api/credits/balance/simple", NULL);
  data = reply_data (credits);
  g_assert_cmpint (json_object_get_int_member (data, "available"), ==, 100);
  g_assert_cmpint (json_object_get_int_member (data, "frozen"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (data, "total"), ==, 100);

  uploaded = upload_files (&client, "cover.png", "tone.mp3", NULL);
  data = reply_data (uploaded);
  g_assert_true (json_object_get_boolean_member (data,
          "session_state_applied"));
  files = json_object_get_array_member (data, "files");
  g_assert_cmpuint (json_array_get_length (files), ==, 2);
  g_assert_cmpstr (json_object_get_string_member
      (json_array_get_object_element (files, 0), "file_type"), ==, "image");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element
          (files, 0), "width"), ==, 800);
  g_assert_cmpstr (json_object_get_string_member
      (json_array_get_object_element (files, 1), "file_type"), ==, "audio");
  cover_url = json_object_get_string_member (json_array_get_object_element
      (files, 0), "cdn_url");
  song_url = json_object_get_string_member (json_array_get_object_element
      (files, 1), "cdn_url");
  g_assert_true (g_str_has_prefix (cover_url, nemo_sim_get_cdn_url (sim)));

  /* the chat, then the state: a draft whose tracks use the uploads */
  reply = chat (&client, "create a looping music video with visualizer");
  state = get_state (&client, &state_reply);
  draft = json_object_get_object_member (state, "draft");
  tracks = json_object_get_array_member (draft, "t");
  g_assert_cmpuint (json_array_get_length (tracks), >=, 2);
  for (i = 0; i < json_array_get_length (tracks); i++) {
    JsonObject *track = json_array_get_object_element (tracks, i);
    JsonArray *segments = json_object_get_array_member (track, "sg");

    for (j = 0; j < json_array_get_length (segments); j++) {
      const gchar *src = json_object_get_string_member_with_default
          (json_array_get_object_element (segments, j), "src", "");

      found_cover |= json_object_get_int_member (track, "tt") == 0
          && strcmp (src, cover_url) == 0;
      found_song |= json_object_get_int_member (track, "tt") == 1
          && strcmp (src, song_url) == 0;
    }
  }
  g_assert_true (found_cover && found_song);
  parsed = nemo_draft_from_node (json_object_get_member (state, "draft"),
      NULL);
  g_assert_nonnull (parsed);
  summary = nemo_draft_summary (parsed);
  g_assert_true (g_str_has_prefix (summary, "Timeline ("));

  /* the reply says what the timeline is, in the GUI's words */
  g_assert_no_error (reply->error);
  g_assert_cmpuint (reply->status, ==, 200);
  g_assert_cmpstr (reply->content_type, ==, "text/event-stream");
  g_assert_cmpstr (reply->trailing, ==, "");
  if (events == NEMO_SIM_EVENTS_ADK) {
    AdkSummary said;

    adk_summarize (reply, &said);
    g_assert_cmpuint (said.function_calls, ==, 1);
    g_assert_cmpuint (said.function_responses, ==, 1);
    g_assert_cmpuint (said.state_deltas, ==, 1);
    g_assert_true (said.turn_complete);
    g_assert_cmpuint (said.full->len, ==, 1);
    /* partial chunks add up to the full text that repeats them */
    g_assert_cmpstr (said.partial->str, ==, said.full->pdata[0]);
    g_assert_nonnull (strstr (said.full->pdata[0], summary));
    g_assert_nonnull (strstr (said.full->pdata[0],
            chinese ? "导出" : "Export button"));
    adk_summary_clear (&said);
  } else {
    GString *text = g_string_new (NULL);
    GString *partial = g_string_new (NULL);
    gboolean call_seen = FALSE, result_seen = FALSE;
    guint n_texts = 0;

    for (i = 0; i < reply->payloads->len; i++) {
      g_autoptr (JsonParser) parser = json_parser_new ();
      JsonObject *event = parse_object (parser, reply->payloads->pdata[i]);
      const gchar *type = json_object_get_string_member (event, "type");

      if (strcmp (type, "text") == 0
          && json_object_get_boolean_member_with_default (event, "partial",
              FALSE)) {
        g_string_append (partial, json_object_get_string_member (event,
                "content"));
      } else if (strcmp (type, "text") == 0) {
        /* the first text repeats the chunks before it */
        if (n_texts == 0)
          g_assert_cmpstr (partial->str, ==,
              json_object_get_string_member (event, "content"));
        g_string_append (text, json_object_get_string_member (event,
                "content"));
        g_string_append_c (text, ' ');
        n_texts++;
      } else if (strcmp (type, "tool_call") == 0) {
        call_seen = TRUE;
      } else if (strcmp (type, "tool_result") == 0) {
        result_seen = TRUE;
      } else {
        g_assert_cmpstr (type, ==, "heartbeat");
      }
    }
    g_assert_true (call_seen && result_seen);
    /* what was done, then the next step */
    g_assert_cmpuint (n_texts, ==, 2);
    g_assert_nonnull (strstr (text->str, summary));
    g_assert_nonnull (strstr (text->str, chinese ? "导出" : "Export button"));
    g_string_free (text, TRUE);
    g_string_free (partial, TRUE);
  }

  meta = json_object_get_object_member (draft, "m");
  g_assert_cmpstr (json_object_get_string_member (meta, "prompt"), ==,
      "create a looping music video with visualizer");
  g_assert_cmpint (json_object_get_int_member (meta, "w"), ==, TEST_W);
  g_assert_cmpint (json_object_get_int_member (meta, "h"), ==, TEST_H);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member
          (state, "video_infos")), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member
          (state, "canvas_config"), "width"), ==, TEST_W);

  /* export, poll, download */
  started = export_draft (&client, "render_1");
  g_assert_cmpint (started->status, ==, 200);
  g_assert_true (json_object_get_boolean_member (reply_object (started),
          "success"));
  g_assert_cmpstr (json_object_get_string_member
      (json_object_get_object_member (reply_object (started), "data"),
          "status"), ==, "pending");
  poll_until_done (&client, "render_1", shape, &status, &seen);
  g_assert_cmpstr (status.status, ==, "completed");
  g_assert_cmpint (status.progress, ==, 100);
  g_assert_true (g_str_has_prefix (status.url, nemo_sim_get_cdn_url (sim)));

  cdn = download (&client, status.url, FALSE);
  g_assert_no_error (cdn->error);
  g_assert_cmpuint (cdn->status, ==, 200);
  g_assert_cmpstr (cdn->content_type, ==, "video/mp4");
  g_assert_cmpint (cdn->content_length, ==, cdn->bytes->len);
  g_assert_cmpuint (cdn->bytes->len, >, 8);
  g_assert_true (memcmp (cdn->bytes->data + 4, "ftyp", 4) == 0);
  render_path = nemo_sim_dup_render_path (sim, "render_1");
  g_assert_nonnull (render_path);
  assert_bytes_equal_file (cdn->bytes, render_path);
  g_assert_cmpuint (nemo_sim_get_cdn_authorization_count (sim), ==, 0);
  /* a real video of the draft's size at 30 fps, as long as the song */
  rendered = nemo_media_probe (render_path, NULL);
  g_assert_nonnull (rendered);
  g_assert_cmpint (rendered->kind, ==, NEMO_MEDIA_VIDEO);
  g_assert_true (rendered->has_audio);
  g_assert_cmpstr (rendered->codec_name, ==, "h264");
  g_assert_cmpint (rendered->width, ==, TEST_W);
  g_assert_cmpint (rendered->height, ==, TEST_H);
  g_assert_cmpint (rendered->fps_n, ==, 30 * rendered->fps_d);
  g_assert_cmpint (rendered->duration_us, >, 7500000);

  /* the fallback download, with the token, gives the same bytes */
  fallback_url = g_strdup_printf ("%s/api/render/proxy/render_1/download",
      nemo_sim_get_url (sim));
  fallback = download (&client, fallback_url, TRUE);
  g_assert_no_error (fallback->error);
  assert_bytes_equal_file (fallback->bytes, render_path);

  /* the state lists the render */
  g_clear_pointer (&state_reply, reply_free);
  state = get_state (&client, &state_reply);
  g_assert_cmpstr (json_object_get_string_member
      (json_array_get_object_element (json_object_get_array_member (state,
                  "generated_media"), 0), "status"), ==, "completed");

  /* what the sim saw */
  g_assert_cmpuint (nemo_sim_get_request_count (sim, "/run_sse"), ==, 1);
  g_assert_cmpuint (nemo_sim_get_request_count (sim, "/cdn/renders/"), ==, 1);
  auth = nemo_sim_dup_last_header (sim, "/api/render/", "Authorization");
  g_assert_true (g_str_has_prefix (auth, "Bearer nmv_usr_"));

  status_clear (&status);
  client_clear (&client);
}

static void
test_cycle_adk_top (void)
{
  check_cycle (NEMO_SIM_EVENTS_ADK, NEMO_SIM_STATUS_TOP, "en");
}

static void
test_cycle_typed_data_chinese (void)
{
  check_cycle (NEMO_SIM_EVENTS_TYPED, NEMO_SIM_STATUS_DATA, "zh-CN");
}

static void
test_chinese_adk (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (Chat) reply = NULL;
  AdkSummary said;
  Client client;

  test_options (&options);
  sim = start_sim (&options);
  client_init (&client, sim);
  client_setup (&client, "zh");
  reply = chat (&client, "生成音乐视频");
  adk_summarize (reply, &said);
  g_assert_cmpuint (said.full->len, ==, 1);
  g_assert_cmpstr (said.partial->str, ==, said.full->pdata[0]);
  g_assert_nonnull (strstr (said.full->pdata[0], "点击“导出”"));
  adk_summary_clear (&said);
  client_clear (&client);
}

/* The silent edits of one sim: '.' silent, 'T' text, for @n edits, after
 * @other_clients token calls of other clients. */
static gchar *
edit_pattern (guint32 seed, gdouble rate, guint n, guint other_clients)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  GString *pattern = g_string_new (NULL);
  Client client;
  guint i;

  test_options (&options);
  options.seed = seed;
  options.silent_edit_rate = rate;
  sim = start_sim (&options);
  for (i = 0; i < other_clients; i++) {
    Client other;

    client_init (&other, sim);
    get_token (&other);
    client_clear (&other);
  }
  client_init (&client, sim);
  client_setup (&client, "en");
  for (i = 0; i <= n; i++) {
    g_autoptr (Chat) reply = chat (&client, "make the cover bigger");
    AdkSummary said;

    g_assert_no_error (reply->error);
    adk_summarize (reply, &said);
    /* the tool call and its result come either way */
    g_assert_cmpuint (said.function_calls, ==, 1);
    g_assert_cmpuint (said.function_responses, ==, 1);
    if (i == 0)
      g_assert_cmpuint (said.full->len, ==, 1); /* a first message always speaks */
    else
      g_string_append_c (pattern, said.full->len == 0 ? '.' : 'T');
    g_assert_cmpuint (said.partial->len, ==, said.full->len ?
        strlen (said.full->pdata[0]) : 0);
    adk_summary_clear (&said);
  }
  client_clear (&client);
  return g_string_free (pattern, FALSE);
}

static void
test_silent_edits (void)
{
  g_autofree gchar *never = edit_pattern (1, 0.0, 4, 0);
  g_autofree gchar *always = edit_pattern (1, 1.0, 4, 0);
  g_autofree gchar *half = edit_pattern (5, 0.5, 10, 0);
  g_autofree gchar *half_busier = edit_pattern (5, 0.5, 10, 3);

  g_assert_cmpstr (never, ==, "TTTT");
  g_assert_cmpstr (always, ==, "....");
  /* deterministic for a seed whatever else the sim did, and a mix at 0.5 */
  g_assert_cmpstr (half, ==, half_busier);
  g_assert_nonnull (strchr (half, '.'));
  g_assert_nonnull (strchr (half, 'T'));
}

/* A silent edit still changes the state: the client reads it there. */
static void
test_silent_edit_changes_state (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (Chat) first = NULL;
  g_autoptr (Chat) edit = NULL;
  g_autoptr (Reply) state_reply = NULL;
  JsonObject *meta;
  AdkSummary said;
  Client client;

  test_options (&options);
  options.silent_edit_rate = 1.0;
  sim = start_sim (&options);
  client_init (&client, sim);
  client_setup (&client, "en");
  first = chat (&client, "create a music video");
  edit = chat (&client, "make it vertical 9:16");
  g_assert_no_error (edit->error);
  adk_summarize (edit, &said);
  g_assert_cmpuint (said.full->len, ==, 0);
  g_assert_cmpuint (said.partial->len, ==, 0);
  g_assert_cmpuint (said.state_deltas, ==, 1);
  adk_summary_clear (&said);

  meta = json_object_get_object_member (json_object_get_object_member
      (get_state (&client, &state_reply), "draft"), "m");
  g_assert_cmpstr (json_object_get_string_member (meta, "prompt"), ==,
      "make it vertical 9:16");
  g_assert_cmpint (json_object_get_int_member (meta, "w"), ==, TEST_H);
  g_assert_cmpint (json_object_get_int_member (meta, "h"), ==, TEST_W);
  client_clear (&client);
}

static void
test_token_rules (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (Reply) missing = NULL;
  g_autoptr (Reply) again = NULL;
  g_autoptr (Reply) no_auth = NULL;
  g_autoptr (Reply) unknown = NULL;
  g_autoptr (Reply) registered = NULL;
  g_autofree gchar *client_id = NULL;
  g_autofree gchar *skill = NULL;
  g_autofree gchar *auth = NULL;
  Client client;

  test_options (&options);
  options.token = "nmv_registered_42";
  sim = start_sim (&options);
  client_init (&client, sim);

  missing = call (&client, "POST", "/api/auth/anonymous-token", NULL);
  g_assert_cmpuint (missing->status, ==, 400);
  g_assert_cmpint (reply_code (missing), ==, 400);

  get_token (&client);
  client_id = nemo_sim_dup_last_header (sim, "/api/auth/", "X-Client-Id");
  g_assert_cmpstr (client_id, ==, client.client_id);
  {
    /* one token per client id while it is valid */
    g_autofree gchar *url = g_strconcat (nemo_sim_get_url (sim),
        "/api/auth/anonymous-token", NULL);
    SoupMessage *msg = soup_message_new ("POST", url);

    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "X-Client-Id", client.client_id);
    again = send_message (&client, msg);
    g_assert_cmpuint (again->status, ==, 429);
    g_assert_cmpint (reply_code (again), ==, 429);
  }

  new_session (&client, "en");
  skill = nemo_sim_dup_last_header (sim, "/api/tasks/", "X-Skill-Source");
  g_assert_cmpstr (skill, ==, "yt-music");
  auth = nemo_sim_dup_last_header (sim, "/api/tasks/", "Authorization");
  g_assert_cmpstr (auth + strlen ("Bearer "), ==, client.token);

  g_free (client.token);
  client.token = NULL;
  no_auth = call (&client, "GET", "/api/credits/balance/simple", NULL);
  g_assert_cmpuint (no_auth->status, ==, 401);
  g_assert_cmpint (reply_code (no_auth), ==, 1001);

  client.token = g_strdup ("nmv_usr_not_a_token");
  unknown = call (&client, "GET", "/api/credits/balance/simple", NULL);
  g_assert_cmpuint (unknown->status, ==, 200);
  g_assert_cmpint (reply_code (unknown), ==, 1001);

  g_free (client.token);
  client.token = g_strdup ("nmv_registered_42");
  registered = call (&client, "GET", "/api/credits/balance/simple", NULL);
  g_assert_cmpint (json_object_get_int_member (reply_data (registered),
          "available"), ==, 100);
  client_clear (&client);
}

static void
test_expire_token (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (Reply) expired = NULL;
  g_autoptr (Reply) still_expired = NULL;
  g_autoptr (Reply) after = NULL;
  g_autoptr (Reply) state_reply = NULL;
  g_autofree gchar *old_token = NULL;
  Client client;

  test_options (&options);
  options.expire_token_after = 3;
  sim = start_sim (&options);
  client_init (&client, sim);
  get_token (&client);          /* 1 */
  new_session (&client, "en");  /* 2 */
  expired = call (&client, "GET", "/api/credits/balance/simple", NULL);
  g_assert_cmpint (reply_code (expired), ==, 1001);
  still_expired = call (&client, "GET", "/api/credits/balance/simple", NULL);
  g_assert_cmpint (reply_code (still_expired), ==, 1001);

  /* the same client id gets a new token once its token expired */
  old_token = g_strdup (client.token);
  get_token (&client);
  g_assert_cmpstr (client.token, !=, old_token);
  after = call (&client, "GET", "/api/credits/balance/simple", NULL);
  reply_data (after);
  /* the session survives the new token */
  get_state (&client, &state_reply);
  client_clear (&client);
}

static void
test_lose_session (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (Reply) fine = NULL;
  g_autoptr (Reply) lost = NULL;
  g_autoptr (Reply) gone = NULL;
  g_autoptr (Reply) state_reply = NULL;
  g_autofree gchar *path = NULL;
  Client client;

  test_options (&options);
  options.lose_session_after = 4;
  sim = start_sim (&options);
  client_init (&client, sim);
  get_token (&client);          /* 1 */
  new_session (&client, "en");  /* 2 */
  path = g_strdup_printf ("/api/state/nemo_agent/me/%s/latest",
      client.session_id);
  fine = call (&client, "GET", path, NULL);     /* 3 */
  reply_data (fine);
  lost = call (&client, "GET", path, NULL);     /* 4 */
  g_assert_cmpuint (lost->status, ==, 200);
  g_assert_cmpint (reply_code (lost), ==, 1002);
  gone = call (&client, "GET", path, NULL);
  g_assert_cmpint (reply_code (gone), ==, 1002);
  /* once only: a new session works */
  new_session (&client, "en");
  get_state (&client, &state_reply);
  client_clear (&client);
}

static void
test_no_credits (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (Reply) credits = NULL;
  g_autoptr (Chat) refused = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *body;
  Client client;

  test_options (&options);
  options.no_credits = TRUE;
  sim = start_sim (&options);
  client_init (&client, sim);
  client_setup (&client, "en");
  credits = call (&client, "GET", "/api/credits/balance/simple", NULL);
  g_assert_cmpint (json_object_get_int_member (reply_data (credits),
          "available"), ==, 0);
  refused = chat (&client, "create a music video");
  g_assert_no_error (refused->error);
  g_assert_cmpuint (refused->status, ==, 200);
  g_assert_cmpstr (refused->content_type, ==, "application/json");
  body = parse_object (parser, refused->raw);
  g_assert_cmpint (json_object_get_int_member (body, "code"), ==, 2001);
  client_clear (&client);
}

static void
test_export_402 (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (NemoSim) blocked_sim = NULL;
  g_autoptr (Reply) unattributed = NULL;
  g_autoptr (Reply) blocked = NULL;
  g_autoptr (Chat) reply = NULL;
  Client client, blocked_client;
  JsonObject *body;

  /* missing attribution headers: 402 on export */
  test_options (&options);
  sim = start_sim (&options);
  client_init (&client, sim);
  client_setup (&client, "en");
  reply = chat (&client, "music video");
  client.attribution = FALSE;
  unattributed = export_draft (&client, "render_402");
  g_assert_cmpuint (unattributed->status, ==, 402);
  body = reply_object (unattributed);
  g_assert_false (json_object_get_boolean_member (body, "success"));
  g_assert_nonnull (strstr (json_object_get_string_member (body, "error"),
          "upgrade your plan"));

  /* --export-402 blocks an attributed export too */
  options.export_402 = TRUE;
  blocked_sim = start_sim (&options);
  client_init (&blocked_client, blocked_sim);
  client_setup (&blocked_client, "en");
  blocked = call (&blocked_client, "POST", "/api/render/proxy/lambda",
      "{\"id\":\"render_2\",\"draft\":{}}");
  g_assert_cmpuint (blocked->status, ==, 402);
  g_assert_cmpint (json_object_get_int_member (reply_object (blocked),
          "code"), ==, 402);
  client_clear (&client);
  client_clear (&blocked_client);
}

static void
test_rate_limit (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (Reply) limited = NULL;
  g_autoptr (Reply) passed = NULL;
  Client client;

  test_options (&options);
  options.rate_limit = "/api/credits";
  sim = start_sim (&options);
  client_init (&client, sim);
  get_token (&client);
  limited = call (&client, "GET", "/api/credits/balance/simple", NULL);
  g_assert_cmpuint (limited->status, ==, 429);
  g_assert_cmpint (reply_code (limited), ==, 429);
  g_assert_cmpstr (soup_message_headers_get_one (limited->headers,
          "Retry-After"), ==, "1");
  passed = call (&client, "GET", "/api/credits/balance/simple", NULL);
  reply_data (passed);
  client_clear (&client);
}

static void
test_server_error (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  Client client;
  guint i;

  test_options (&options);
  options.server_error = "/api/credits";
  options.server_error_count = 2;
  sim = start_sim (&options);
  client_init (&client, sim);
  get_token (&client);
  for (i = 0; i < 3; i++) {
    g_autoptr (Reply) reply = call (&client, "GET",
        "/api/credits/balance/simple", NULL);

    g_assert_cmpuint (reply->status, ==, i < 2 ? 503 : 200);
  }
  g_assert_cmpuint (nemo_sim_get_request_count (sim, "/api/credits"), ==, 3);
  client_clear (&client);
}

static void
test_slow_render (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (Chat) reply = NULL;
  g_autoptr (Reply) started = NULL;
  Status status = { 0, };
  gint64 seen, begin;
  Client client;

  test_options (&options);
  options.slow_render_ms = 1500;
  sim = start_sim (&options);
  client_init (&client, sim);
  client_setup (&client, "en");
  reply = chat (&client, "music video");
  begin = g_get_monotonic_time ();
  started = export_draft (&client, "render_slow");
  poll_until_done (&client, "render_slow", NEMO_SIM_STATUS_TOP, &status,
      &seen);
  g_assert_cmpstr (status.status, ==, "completed");
  g_assert_cmpint (g_get_monotonic_time () - begin, >=,
      1500 * G_TIME_SPAN_MILLISECOND);
  /* progress was reported on the way */
  g_assert_cmpint (seen, >, 0);
  g_assert_cmpint (seen, <, 100);
  status_clear (&status);
  client_clear (&client);
}

static void
test_fail_render (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (Chat) reply = NULL;
  g_autoptr (Reply) started = NULL;
  g_autofree gchar *path = NULL;
  Status status = { 0, };
  gint64 seen;
  Client client;

  test_options (&options);
  options.fail_render = "GPU node lost";
  options.status_shape = NEMO_SIM_STATUS_DATA;
  sim = start_sim (&options);
  client_init (&client, sim);
  client_setup (&client, "en");
  reply = chat (&client, "music video");
  started = export_draft (&client, "render_fail");
  poll_until_done (&client, "render_fail", NEMO_SIM_STATUS_DATA, &status,
      &seen);
  g_assert_cmpstr (status.status, ==, "failed");
  g_assert_cmpstr (status.error, ==, "GPU node lost");
  g_assert_null (status.url);
  path = nemo_sim_dup_render_path (sim, "render_fail");
  g_assert_null (path);
  status_clear (&status);
  client_clear (&client);
}

static void
test_cancel (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (Chat) reply = NULL;
  g_autoptr (Reply) started = NULL;
  g_autoptr (Reply) cancelled = NULL;
  g_autoptr (Reply) not_ready = NULL;
  g_autofree gchar *url = NULL;
  Status status = { 0, };
  gint64 seen, begin;
  Client client;

  test_options (&options);
  options.slow_render_ms = 60000;
  sim = start_sim (&options);
  client_init (&client, sim);
  client_setup (&client, "en");
  reply = chat (&client, "music video");
  started = export_draft (&client, "render_cancel");
  begin = g_get_monotonic_time ();
  not_ready = call (&client, "GET",
      "/api/render/proxy/render_cancel/download", NULL);
  g_assert_cmpuint (not_ready->status, ==, 409);
  cancelled = call (&client, "POST",
      "/api/render/proxy/lambda/render_cancel/cancel", NULL);
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member
          (reply_object (cancelled), "data"), "cancelled"));
  poll_until_done (&client, "render_cancel", NEMO_SIM_STATUS_TOP, &status,
      &seen);
  g_assert_cmpstr (status.status, ==, "failed");
  g_assert_nonnull (strstr (status.error, "cancelled"));
  g_assert_cmpint (g_get_monotonic_time () - begin, <,
      30 * G_TIME_SPAN_SECOND);
  status_clear (&status);
  client_clear (&client);
}

static void
test_drop_chat (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (Chat) reply = NULL;
  AdkSummary said;
  Client client;

  test_options (&options);
  options.drop_chat = TRUE;
  sim = start_sim (&options);
  client_init (&client, sim);
  client_setup (&client, "en");
  reply = chat (&client, "music video");
  /* the connection closed inside a chunk, in the middle of an event */
  g_assert_error (reply->error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT);
  g_assert_true (g_str_has_prefix (reply->trailing, "data: {"));
  adk_summarize (reply, &said);
  g_assert_cmpuint (said.partial->len, >, 0);
  g_assert_cmpuint (said.full->len, ==, 0);
  g_assert_false (said.turn_complete);
  adk_summary_clear (&said);
  client_clear (&client);
}

static void
test_stream_error (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (Chat) reply = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  AdkSummary said;
  Client client;

  test_options (&options);
  options.stream_error = "backend exploded";
  sim = start_sim (&options);
  client_init (&client, sim);
  client_setup (&client, "en");
  reply = chat (&client, "music video");
  g_assert_no_error (reply->error);
  adk_summarize (reply, &said);
  g_assert_cmpstr (said.error, ==, "backend exploded");
  g_assert_cmpuint (said.full->len, ==, 0);
  /* the error is the last thing said */
  g_assert_cmpstr (json_object_get_string_member (parse_object (parser,
              reply->payloads->pdata[reply->payloads->len - 1]), "error"), ==,
      "backend exploded");
  adk_summary_clear (&said);
  client_clear (&client);
}

static void
test_model_error (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (Chat) reply = NULL;
  AdkSummary said;
  Client client;

  test_options (&options);
  options.model_error = "quota exceeded";
  sim = start_sim (&options);
  client_init (&client, sim);
  client_setup (&client, "en");
  reply = chat (&client, "music video");
  g_assert_no_error (reply->error);
  adk_summarize (reply, &said);
  g_assert_cmpstr (said.error_message, ==, "quota exceeded");
  g_assert_cmpuint (said.full->len, ==, 0);
  adk_summary_clear (&said);
  client_clear (&client);
}

static void
test_heartbeats (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) adk_sim = NULL;
  g_autoptr (NemoSim) typed_sim = NULL;
  g_autoptr (Chat) adk = NULL;
  g_autoptr (Chat) typed = NULL;
  Client adk_client, typed_client;
  guint i, beats = 0;

  test_options (&options);
  options.think_ms = 400;
  options.heartbeat_ms = 100;
  adk_sim = start_sim (&options);
  client_init (&adk_client, adk_sim);
  client_setup (&adk_client, "en");
  adk = chat (&adk_client, "music video");
  /* four empty data lines, then the events */
  for (i = 0; i < 4; i++)
    g_assert_cmpstr (adk->payloads->pdata[i], ==, "");
  g_assert_cmpstr (adk->payloads->pdata[4], !=, "");

  options.event_shape = NEMO_SIM_EVENTS_TYPED;
  typed_sim = start_sim (&options);
  client_init (&typed_client, typed_sim);
  client_setup (&typed_client, "en");
  typed = chat (&typed_client, "music video");
  for (i = 0; i < typed->payloads->len; i++)
    beats += strcmp (typed->payloads->pdata[i], "{\"type\":\"heartbeat\"}")
        == 0;
  g_assert_cmpuint (beats, ==, 4);
  client_clear (&adk_client);
  client_clear (&typed_client);
}

static void
check_cut_download (gboolean half)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (Download) got = NULL;
  g_autoptr (Download) fallback = NULL;
  g_autofree gchar *id = NULL;
  g_autofree gchar *path = NULL;
  g_autofree gchar *url = NULL;
  Client client;
  GStatBuf st;

  test_options (&options);
  options.drop_download = half;
  options.short_body = !half;
  sim = start_sim (&options);
  client_init (&client, sim);
  id = make_render (&client);
  path = nemo_sim_dup_render_path (sim, id);
  g_assert_cmpint (g_stat (path, &st), ==, 0);

  url = g_strdup_printf ("%s/cdn/renders/%s.mp4", nemo_sim_get_cdn_url (sim),
      id);
  got = download (&client, url, FALSE);
  g_assert_cmpuint (got->status, ==, 200);
  /* the body ends before its Content-Length: an error, never a clean end */
  g_assert_nonnull (got->error);
  g_assert_cmpint (got->bytes->len, <, got->content_length);
  if (half) {
    g_assert_cmpint (got->content_length, ==, st.st_size);
    g_assert_cmpint (got->bytes->len, ==, st.st_size / 2);
  } else {
    g_assert_cmpint (got->content_length, >, st.st_size);
    g_assert_cmpint (got->bytes->len, ==, st.st_size);
  }
  {
    /* what did arrive is the start of the file */
    gchar *contents;
    gsize length;

    g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
    g_assert_true (memcmp (got->bytes->data, contents, got->bytes->len) == 0);
    g_free (contents);
  }

  g_free (url);
  url = g_strdup_printf ("%s/api/render/proxy/%s/download",
      nemo_sim_get_url (sim), id);
  fallback = download (&client, url, TRUE);
  g_assert_nonnull (fallback->error);
  g_assert_cmpint (fallback->bytes->len, <, fallback->content_length);
  client_clear (&client);
}

static void
test_drop_download (void)
{
  check_cut_download (TRUE);
}

static void
test_short_body (void)
{
  check_cut_download (FALSE);
}

static void
test_cdn_records_authorization (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (Download) plain = NULL;
  g_autoptr (Download) with_token = NULL;
  g_autofree gchar *id = NULL;
  g_autofree gchar *url = NULL;
  Client client;

  test_options (&options);
  sim = start_sim (&options);
  client_init (&client, sim);
  id = make_render (&client);
  url = g_strdup_printf ("%s/cdn/renders/%s.mp4", nemo_sim_get_cdn_url (sim),
      id);
  plain = download (&client, url, FALSE);
  g_assert_no_error (plain->error);
  g_assert_cmpuint (nemo_sim_get_cdn_authorization_count (sim), ==, 0);
  with_token = download (&client, url, TRUE);
  g_assert_cmpuint (nemo_sim_get_cdn_authorization_count (sim), ==, 1);
  client_clear (&client);
}

static void
test_upload_errors (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (NemoSim) small_sim = NULL;
  g_autoptr (Reply) garbage = NULL;
  g_autoptr (Reply) too_large = NULL;
  g_autoptr (Reply) unsupported = NULL;
  g_autoptr (Reply) state_reply = NULL;
  g_autofree gchar *path = NULL;
  const gchar *text;
  Client client, small_client;

  test_options (&options);
  sim = start_sim (&options);
  client_init (&client, sim);
  get_token (&client);
  new_session (&client, "en");

  garbage = upload_files (&client, "garbage.mp3", NULL);
  g_assert_cmpint (reply_code (garbage), ==, 4001);

  path = g_strdup_printf ("/api/upload-video/nemo_agent/me/%s",
      client.session_id);
  unsupported = call (&client, "POST", path,
      "{\"urls\":[\"https://example.com/notes.txt\",\"ftp://x/y.mp3\"],"
      "\"source_type\":\"url\"}");
  g_assert_cmpint (reply_code (unsupported), ==, 4001);
  text = json_object_get_string_member (reply_object (unsupported), "msg");
  g_assert_nonnull (strstr (text, "ftp://x/y.mp3"));

  /* nothing of a refused upload reaches the session */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member
          (get_state (&client, &state_reply), "video_infos")), ==, 0);

  options.max_upload_size = 1000;
  small_sim = start_sim (&options);
  client_init (&small_client, small_sim);
  get_token (&small_client);
  new_session (&small_client, "en");
  too_large = upload_files (&small_client, "cover.png", NULL);
  g_assert_cmpint (reply_code (too_large), ==, 4002);
  client_clear (&client);
  client_clear (&small_client);
}

/* URL uploads are recorded, not downloaded; only local ones are rendered. */
static void
test_url_upload (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (Reply) uploaded = NULL;
  g_autoptr (Reply) started = NULL;
  g_autoptr (Chat) reply = NULL;
  g_autofree gchar *cover = data_path ("cover.png");
  g_autofree gchar *cover_uri = g_filename_to_uri (cover, NULL, NULL);
  g_autofree gchar *body = NULL;
  g_autofree gchar *path = NULL;
  g_autofree gchar *draft = NULL;
  JsonArray *files;
  Status status = { 0, };
  gint64 seen;
  AdkSummary said;
  Client client;

  test_options (&options);
  options.message_key_long = TRUE;
  sim = start_sim (&options);
  client_init (&client, sim);
  get_token (&client);
  new_session (&client, "en");
  path = g_strdup_printf ("/api/upload-video/nemo_agent/me/%s",
      client.session_id);
  body = g_strdup_printf ("{\"urls\":[\"%s\",\"https://example.com/a/song.mp3"
      "?x=1\"],\"source_type\":\"url\"}", cover_uri);
  uploaded = call (&client, "POST", path, body);
  g_assert_true (json_object_has_member (reply_object (uploaded), "message"));
  files = json_object_get_array_member (reply_data (uploaded), "files");
  g_assert_cmpuint (json_array_get_length (files), ==, 2);
  g_assert_cmpstr (json_object_get_string_member
      (json_array_get_object_element (files, 0), "file_type"), ==, "image");
  g_assert_cmpstr (json_object_get_string_member
      (json_array_get_object_element (files, 1), "file_type"), ==, "audio");
  g_assert_cmpstr (json_object_get_string_member
      (json_array_get_object_element (files, 1), "filename"), ==, "song.mp3");

  /* the remote song is never fetched: the agent asks for one */
  reply = chat (&client, "music video");
  adk_summarize (reply, &said);
  g_assert_nonnull (strstr (said.full->pdata[0], "upload an audio file"));
  adk_summary_clear (&said);

  /* a draft naming a remote file fails to render, saying why */
  draft = g_strdup_printf ("{\"id\":\"render_url\",\"draft\":{\"t\":[{\"tt\":"
      "1,\"sg\":[{\"k\":\"music\",\"src\":\"https://example.com/a/song.mp3\"}"
      "]},{\"tt\":0,\"sg\":[{\"k\":\"still\",\"src\":\"%s\"}]}],\"d\":8000,"
      "\"m\":{\"w\":%d,\"h\":%d}}}", cover_uri, TEST_W, TEST_H);
  started = call (&client, "POST", "/api/render/proxy/lambda", draft);
  g_assert_cmpint (started->status, ==, 200);
  poll_until_done (&client, "render_url", NEMO_SIM_STATUS_TOP, &status,
      &seen);
  g_assert_cmpstr (status.status, ==, "failed");
  g_assert_nonnull (strstr (status.error, "never downloads"));
  status_clear (&status);
  client_clear (&client);
}

/* ---- the documents' replies (tests/cloud/fixtures) ---- */

/* Replies written by hand from docs/protocol.md and the service's own
 * documents (read_fixture ()): the sim's replies must have their shapes,
 * so that the sim cannot drift from the documents together with the
 * client. */
static const gchar *
json_kind (JsonNode * node)
{
  GType type;

  if (JSON_NODE_HOLDS_OBJECT (node))
    return "object";
  if (JSON_NODE_HOLDS_ARRAY (node))
    return "array";
  if (JSON_NODE_HOLDS_NULL (node))
    return "null";
  type = json_node_get_value_type (node);
  if (type == G_TYPE_STRING)
    return "string";
  if (type == G_TYPE_BOOLEAN)
    return "boolean";
  return "number";
}

static gchar *shape_difference (JsonNode * fixture, JsonNode * sim,
    const gchar * where);

/* @sim has at least @fixture's elements, each of its shape. */
static gchar *
array_shape_difference (JsonArray * fixture, JsonArray * sim,
    const gchar * where)
{
  guint i;

  if (json_array_get_length (sim) < json_array_get_length (fixture))
    return g_strdup_printf ("%s: %u elements, not %u", where,
        json_array_get_length (sim), json_array_get_length (fixture));
  for (i = 0; i < json_array_get_length (fixture); i++) {
    g_autofree gchar *element = g_strdup_printf ("%s[%u]", where, i);
    gchar *difference = shape_difference (json_array_get_element (fixture, i),
        json_array_get_element (sim, i), element);

    if (difference != NULL)
      return difference;
  }
  return NULL;
}

/* Where @sim first lacks @fixture's shape (NULL: nowhere): every key of
 * @fixture's objects, but the x_ ones (keys no document names), with a
 * value of the same JSON type; arrays element by element. */
static gchar *
shape_difference (JsonNode * fixture, JsonNode * sim, const gchar * where)
{
  g_autoptr (GList) members = NULL;
  JsonObject *object;
  GList *l;

  if (!g_str_equal (json_kind (fixture), json_kind (sim)))
    return g_strdup_printf ("%s: %s, not %s", where, json_kind (sim),
        json_kind (fixture));
  if (JSON_NODE_HOLDS_ARRAY (fixture))
    return array_shape_difference (json_node_get_array (fixture),
        json_node_get_array (sim), where);
  if (!JSON_NODE_HOLDS_OBJECT (fixture))
    return NULL;
  object = json_node_get_object (fixture);
  members = json_object_get_members (object);
  for (l = members; l != NULL; l = l->next) {
    const gchar *key = l->data;
    g_autofree gchar *inner = g_strdup_printf ("%s.%s", where, key);
    JsonNode *got = json_object_get_member (json_node_get_object (sim), key);
    gchar *difference;

    if (g_str_has_prefix (key, "x_"))
      continue;
    if (got == NULL)
      return g_strdup_printf ("%s: missing", inner);
    difference = shape_difference (json_object_get_member (object, key), got,
        inner);
    if (difference != NULL)
      return difference;
  }
  return NULL;
}

static void
assert_fixture_shape (const gchar * name, JsonNode * sim)
{
  g_autofree gchar *text = read_fixture (name);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree gchar *difference = NULL;

  g_assert_nonnull (sim);
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  difference = shape_difference (json_parser_get_root (parser), sim, name);
  if (difference != NULL)
    g_error ("the sim's reply is not shaped as %s", difference);
}

/* Every event of the fixture @name has the shape of one of @chat's: the
 * empty data line (a heartbeat) as well as the JSON ones. */
static void
assert_fixture_events (const gchar * name, const Chat * chat)
{
  g_autoptr (Chat) fixture = g_new0 (Chat, 1);
  guint i, j;

  fixture->raw = read_fixture (name);
  fixture->payloads = g_ptr_array_new_with_free_func (g_free);
  parse_payloads (fixture);
  g_assert_cmpuint (fixture->payloads->len, >, 0);
  for (i = 0; i < fixture->payloads->len; i++) {
    g_autoptr (JsonParser) expected = json_parser_new ();
    const gchar *event = fixture->payloads->pdata[i];
    gboolean found = FALSE;

    if (*event != '\0')
      g_assert_true (json_parser_load_from_data (expected, event, -1, NULL));
    for (j = 0; !found && j < chat->payloads->len; j++) {
      const gchar *got = chat->payloads->pdata[j];
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_autofree gchar *difference = NULL;

      if (*event == '\0' || *got == '\0') {
        found = *event == '\0' && *got == '\0';
        continue;
      }
      if (!json_parser_load_from_data (parser, got, -1, NULL))
        continue;
      difference = shape_difference (json_parser_get_root (expected),
          json_parser_get_root (parser), name);
      found = difference == NULL;
    }
    if (!found)
      g_error ("no event of the sim's stream is shaped as %s's “%s”", name,
          event);
  }
}

/* The whole cycle in @shape: each reply shaped as the documents' own. */
static void
fixture_cycle (NemoSimEventShape events, NemoSimStatusShape status_shape,
    const gchar * chat_fixture, const gchar * completed_fixture)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (Reply) token = NULL, session = NULL, credits = NULL;
  g_autoptr (Reply) upload = NULL, state = NULL, export = NULL;
  g_autoptr (Reply) status = NULL;
  g_autoptr (Chat) turn = NULL;
  g_autofree gchar *status_path = NULL;
  Status done = { 0, };
  gint64 max_progress;
  Client client;

  test_options (&options);
  options.event_shape = events;
  options.status_shape = status_shape;
  options.think_ms = 40;
  options.heartbeat_ms = 10;
  sim = start_sim (&options);
  client_init (&client, sim);

  token = request_token (&client);
  assert_fixture_shape ("token.json", token->json);
  client.token = g_strdup (json_object_get_string_member (reply_data (token),
          "token"));
  session = call (&client, "POST", "/api/tasks/me/with-session/nemo_agent",
      "{\"task_name\":\"project\",\"language\":\"en\"}");
  assert_fixture_shape ("session.json", session->json);
  client.session_id = g_strdup (json_object_get_string_member (reply_data
          (session), "session_id"));
  credits = call (&client, "GET", "/api/credits/balance/simple", NULL);
  assert_fixture_shape ("credits.json", credits->json);
  upload = upload_files (&client, "cover.png", "tone.mp3", NULL);
  assert_fixture_shape ("upload.json", upload->json);

  turn = chat (&client, "create a music video");
  g_assert_no_error (turn->error);
  assert_fixture_events (chat_fixture, turn);
  get_state (&client, &state);
  assert_fixture_shape ("state.json", state->json);

  export = export_draft (&client, "render_1743712300000");
  assert_fixture_shape ("export.json", export->json);
  status_path = g_strdup_printf ("/api/render/proxy/lambda/%s",
      "render_1743712300000");
  if (status_shape == NEMO_SIM_STATUS_DATA) {
    g_autoptr (Reply) first = call (&client, "GET", status_path, NULL);

    assert_fixture_shape ("status-data.json", first->json);
  }
  poll_until_done (&client, "render_1743712300000", status_shape, &done,
      &max_progress);
  status = call (&client, "GET", status_path, NULL);
  assert_fixture_shape (completed_fixture, status->json);
  status_clear (&done);
  client_clear (&client);
}

static void
test_fixtures_adk_top (void)
{
  fixture_cycle (NEMO_SIM_EVENTS_ADK, NEMO_SIM_STATUS_TOP, "chat-adk.sse",
      "status-top.json");
}

static void
test_fixtures_typed_data (void)
{
  fixture_cycle (NEMO_SIM_EVENTS_TYPED, NEMO_SIM_STATUS_DATA,
      "chat-typed.sse", "status-data-completed.json");
}

/* Each documented error code, answered by the sim shaped as the
 * documents' own. */
static void
test_fixtures_errors (void)
{
  NemoSimOptions options;
  g_autoptr (NemoSim) sim = NULL, broke = NULL, small = NULL;
  g_autoptr (Reply) no_client_id = NULL, no_token = NULL, lost = NULL;
  g_autoptr (Reply) unsupported = NULL, too_large = NULL, blocked = NULL;
  g_autoptr (Reply) limited = NULL;
  g_autoptr (Chat) no_credits = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree gchar *upload_path = NULL;
  Client client, broke_client, small_client;

  test_options (&options);
  options.rate_limit = "/api/credits";
  sim = start_sim (&options);
  client_init (&client, sim);
  no_client_id = call (&client, "POST", "/api/auth/anonymous-token", NULL);
  assert_fixture_shape ("error-400.json", no_client_id->json);
  no_token = call (&client, "GET", "/api/credits/balance/simple", NULL);
  assert_fixture_shape ("error-1001.json", no_token->json);
  client_setup (&client, "en");
  limited = call (&client, "GET", "/api/credits/balance/simple", NULL);
  assert_fixture_shape ("error-429.json", limited->json);
  lost = call (&client, "GET", "/api/state/nemo_agent/me/42/latest", NULL);
  assert_fixture_shape ("error-1002.json", lost->json);
  upload_path = g_strdup_printf ("/api/upload-video/nemo_agent/me/%s",
      client.session_id);
  unsupported = call (&client, "POST", upload_path,
      "{\"urls\":[\"https://example.com/notes.txt\"],\"source_type\":\"url\"}");
  assert_fixture_shape ("error-4001.json", unsupported->json);
  client.attribution = FALSE;
  blocked = export_draft (&client, "render_402");
  assert_fixture_shape ("error-402.json", blocked->json);

  options.rate_limit = NULL;
  options.no_credits = TRUE;
  broke = start_sim (&options);
  client_init (&broke_client, broke);
  client_setup (&broke_client, "en");
  no_credits = chat (&broke_client, "create a music video");
  g_assert_true (json_parser_load_from_data (parser, no_credits->raw, -1,
          NULL));
  assert_fixture_shape ("error-2001.json", json_parser_get_root (parser));

  options.no_credits = FALSE;
  options.max_upload_size = 1000;
  small = start_sim (&options);
  client_init (&small_client, small);
  get_token (&small_client);
  new_session (&small_client, "en");
  too_large = upload_files (&small_client, "cover.png", NULL);
  assert_fixture_shape ("error-4002.json", too_large->json);
  client_clear (&client);
  client_clear (&broke_client);
  client_clear (&small_client);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  /* measures the peak memory of a process of its own */
  g_test_add_func ("/sim/upload-streams-to-disk", test_upload_streams_to_disk);
  g_test_add_func ("/sim/loopback-only", test_loopback_only);
  g_test_add_func ("/sim/cycle/adk-top", test_cycle_adk_top);
  g_test_add_func ("/sim/cycle/typed-data-chinese",
      test_cycle_typed_data_chinese);
  g_test_add_func ("/sim/chat/chinese-adk", test_chinese_adk);
  g_test_add_func ("/sim/chat/silent-edits", test_silent_edits);
  g_test_add_func ("/sim/chat/silent-edit-changes-state",
      test_silent_edit_changes_state);
  g_test_add_func ("/sim/chat/heartbeats", test_heartbeats);
  g_test_add_func ("/sim/auth/token-rules", test_token_rules);
  g_test_add_func ("/sim/upload/errors", test_upload_errors);
  g_test_add_func ("/sim/upload/urls", test_url_upload);
  g_test_add_func ("/sim/cdn/records-authorization",
      test_cdn_records_authorization);
  g_test_add_func ("/sim/fault/expire-token", test_expire_token);
  g_test_add_func ("/sim/fault/lose-session", test_lose_session);
  g_test_add_func ("/sim/fault/no-credits", test_no_credits);
  g_test_add_func ("/sim/fault/export-402", test_export_402);
  g_test_add_func ("/sim/fault/rate-limit", test_rate_limit);
  g_test_add_func ("/sim/fault/server-error", test_server_error);
  g_test_add_func ("/sim/fault/slow-render", test_slow_render);
  g_test_add_func ("/sim/fault/fail-render", test_fail_render);
  g_test_add_func ("/sim/fault/cancel", test_cancel);
  g_test_add_func ("/sim/fault/drop-chat", test_drop_chat);
  g_test_add_func ("/sim/fault/stream-error", test_stream_error);
  g_test_add_func ("/sim/fault/model-error", test_model_error);
  g_test_add_func ("/sim/fault/drop-download", test_drop_download);
  g_test_add_func ("/sim/fault/short-body", test_short_body);
  g_test_add_func ("/sim/fixtures/adk-top", test_fixtures_adk_top);
  g_test_add_func ("/sim/fixtures/typed-data", test_fixtures_typed_data);
  g_test_add_func ("/sim/fixtures/errors", test_fixtures_errors);
  return g_test_run ();
}
