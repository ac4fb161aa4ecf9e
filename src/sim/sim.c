/* nemo-sim: lifecycle, routing, authentication, the transport faults, and
 * the small calls (token, session, credits, state, the CDN).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sim-private.h"

#include <nemo/error.h>
#include <nemo/service.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <string.h>

#define SIM_MAX_JSON_BODY (16 * 1024 * 1024)
/* Session ids are numeric strings, as the service's are. */
#define SIM_FIRST_SESSION G_GUINT64_CONSTANT (1743712255001)

typedef enum
{
  ROUTE_NONE,
  ROUTE_TOKEN,
  ROUTE_SESSION,
  ROUTE_CHAT,
  ROUTE_UPLOAD,
  ROUTE_CREDITS,
  ROUTE_STATE,
  ROUTE_EXPORT,
  ROUTE_STATUS,
  ROUTE_CANCEL,
  ROUTE_DOWNLOAD,
} SimRoute;

typedef struct
{
  SimRoute route;
  const gchar *method;
  gchar *arg;                   /* session or render id from the path */
} SimTarget;

void
nemo_sim_options_init (NemoSimOptions * options)
{
  memset (options, 0, sizeof (*options));
  options->width = 1920;
  options->height = 1080;
  options->max_upload_size = NEMO_SERVICE_MAX_UPLOAD_SIZE;
  options->seed = 1;
  options->silent_edit_rate = 0.3;
  options->event_shape = NEMO_SIM_EVENTS_ADK;
  options->status_shape = NEMO_SIM_STATUS_TOP;
}

/* ---- envelopes ---- */

void
sim_reply_json (SoupServerMessage * msg, guint status, JsonNode * root)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  gsize length;
  gchar *text;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
      text, length);
}

static JsonNode *
string_node (const gchar * value)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);

  json_node_set_string (node, value);
  return node;
}

static void
reply_envelope (NemoSim * sim, SoupServerMessage * msg, guint status,
    gint code, const gchar * text, JsonNode * data)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);

  json_object_set_int_member (object, "code", code);
  json_object_set_member (object,
      sim->options.message_key_long ? "message" : "msg", string_node (text));
  json_object_set_member (object, "data",
      data ? data : json_node_new (JSON_NODE_NULL));
  json_node_set_object (root, object);
  sim_reply_json (msg, status, root);
}

void
sim_reply_ok (NemoSim * sim, SoupServerMessage * msg, JsonNode * data)
{
  reply_envelope (sim, msg, SOUP_STATUS_OK, 0, "success", data);
}

void
sim_reply_code (NemoSim * sim, SoupServerMessage * msg, guint status,
    gint code, const gchar * text)
{
  reply_envelope (sim, msg, status, code, text, NULL);
}

void
sim_reply_success (SoupServerMessage * msg, JsonNode * data)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);

  json_object_set_boolean_member (object, "success", TRUE);
  json_object_set_member (object, "data", data);
  json_node_set_object (root, object);
  sim_reply_json (msg, SOUP_STATUS_OK, root);
}

void
sim_reply_failure (SoupServerMessage * msg, guint status, gint code,
    const gchar * text)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);

  json_object_set_boolean_member (object, "success", FALSE);
  json_object_set_int_member (object, "code", code);
  json_object_set_string_member (object, "error", text);
  json_node_set_object (root, object);
  sim_reply_json (msg, status, root);
}

static gboolean
is_render_route (SimRoute route)
{
  return route == ROUTE_EXPORT || route == ROUTE_STATUS
      || route == ROUTE_CANCEL || route == ROUTE_DOWNLOAD;
}

/* An error in the envelope the call answers with. */
static void
reply_error (NemoSim * sim, SoupServerMessage * msg, const SimTarget * target,
    guint status, gint code, const gchar * text)
{
  if (is_render_route (target->route))
    sim_reply_failure (msg, status, code, text);
  else
    sim_reply_code (sim, msg, status, code, text);
}

/* ---- small helpers ---- */

gchar *
sim_random_hex (NemoSim * sim, guint n_chars)
{
  GString *hex = g_string_sized_new (n_chars);
  guint i;

  for (i = 0; i < n_chars; i++)
    g_string_append_c (hex, "0123456789abcdef"[g_rand_int_range (sim->rand, 0,
                16)]);
  return g_string_free (hex, FALSE);
}

void
sim_media_free (SimMedia * media)
{
  g_free (media->filename);
  g_free (media->path);
  g_free (media->url);
  g_free (media->hash);
  g_free (media);
}

JsonNode *
sim_media_to_node (const SimMedia * media)
{
  g_autoptr (JsonObject) object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (object, "filename", media->filename);
  json_object_set_string_member (object, "file_type", media->file_type);
  json_object_set_string_member (object, "cdn_url", media->url);
  if (media->probed) {
    json_object_set_double_member (object, "duration", media->duration_s);
    json_object_set_int_member (object, "width", media->width);
    json_object_set_int_member (object, "height", media->height);
    json_object_set_double_member (object, "fps", media->fps);
  }
  if (media->hash) {
    json_object_set_string_member (object, "hash", media->hash);
    json_object_set_int_member (object, "size", media->size);
  }
  json_node_set_object (node, object);
  return node;
}

static void
session_free (SimSession * session)
{
  g_free (session->id);
  g_free (session->task_id);
  g_free (session->language);
  g_free (session->dir);
  g_ptr_array_unref (session->media);
  g_clear_pointer (&session->draft, nemo_draft_free);
  g_ptr_array_unref (session->render_ids);
  g_free (session);
}

static void
account_free (SimAccount * account)
{
  g_free (account->token);
  g_free (account->client_id);
  g_free (account);
}

static SimAccount *
account_new (NemoSim * sim, const gchar * token, const gchar * client_id)
{
  SimAccount *account = g_new0 (SimAccount, 1);

  account->token = g_strdup (token);
  account->client_id = g_strdup (client_id);
  account->valid = TRUE;
  account->total = SIM_INITIAL_CREDITS;
  account->available = sim->options.no_credits ? 0 : SIM_INITIAL_CREDITS;
  g_hash_table_insert (sim->accounts, account->token, account);
  return account;
}

static void
path_record_free (SimPathRecord * record)
{
  g_clear_pointer (&record->last_headers, soup_message_headers_unref);
  g_free (record);
}

const gchar *
sim_json_string (JsonObject * object, const gchar * key,
    const gchar * default_value)
{
  JsonNode *node = object ? json_object_get_member (object, key) : NULL;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return default_value;
  return json_node_get_string (node);
}

JsonObject *
sim_json_object (JsonObject * object, const gchar * key)
{
  JsonNode *node = object ? json_object_get_member (object, key) : NULL;

  return node && JSON_NODE_HOLDS_OBJECT (node) ?
      json_node_get_object (node) : NULL;
}

JsonArray *
sim_json_array (JsonObject * object, const gchar * key)
{
  JsonNode *node = object ? json_object_get_member (object, key) : NULL;

  return node && JSON_NODE_HOLDS_ARRAY (node) ?
      json_node_get_array (node) : NULL;
}

SimSession *
sim_find_session (NemoSim * sim, const gchar * id)
{
  return id ? g_hash_table_lookup (sim->sessions, id) : NULL;
}

/* ---- what the sim saw ---- */

static void
record_request (NemoSim * sim, SoupServerMessage * msg, const gchar * path)
{
  SoupMessageHeaders *headers =
      soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  SoupMessageHeadersIter iter;
  const char *name, *value;
  SimPathRecord *record;

  soup_message_headers_iter_init (&iter,
      soup_server_message_get_request_headers (msg));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    soup_message_headers_append (headers, name, value);

  g_mutex_lock (&sim->lock);
  record = g_hash_table_lookup (sim->records, path);
  if (record == NULL) {
    record = g_new0 (SimPathRecord, 1);
    g_hash_table_insert (sim->records, g_strdup (path), record);
  }
  record->count++;
  record->last_seq = ++sim->seq;
  g_clear_pointer (&record->last_headers, soup_message_headers_unref);
  record->last_headers = headers;
  g_mutex_unlock (&sim->lock);
}

guint
nemo_sim_get_request_count (NemoSim * sim, const gchar * path_prefix)
{
  GHashTableIter iter;
  gpointer key, value;
  guint count = 0;

  g_mutex_lock (&sim->lock);
  g_hash_table_iter_init (&iter, sim->records);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (g_str_has_prefix (key, path_prefix))
      count += ((SimPathRecord *) value)->count;
  g_mutex_unlock (&sim->lock);
  return count;
}

gchar *
nemo_sim_dup_last_header (NemoSim * sim, const gchar * path_prefix,
    const gchar * name)
{
  SimPathRecord *latest = NULL;
  GHashTableIter iter;
  gpointer key, value;
  gchar *result = NULL;

  g_mutex_lock (&sim->lock);
  g_hash_table_iter_init (&iter, sim->records);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    SimPathRecord *record = value;

    if (g_str_has_prefix (key, path_prefix)
        && (latest == NULL || record->last_seq > latest->last_seq))
      latest = record;
  }
  if (latest)
    result = g_strdup (soup_message_headers_get_one (latest->last_headers,
            name));
  g_mutex_unlock (&sim->lock);
  return result;
}

guint
nemo_sim_get_cdn_authorization_count (NemoSim * sim)
{
  guint count;

  g_mutex_lock (&sim->lock);
  count = sim->cdn_authorization_count;
  g_mutex_unlock (&sim->lock);
  return count;
}

gchar *
nemo_sim_dup_render_path (NemoSim * sim, const gchar * render_id)
{
  return sim_export_dup_path (sim, render_id);
}

gint64
nemo_sim_get_render_completed (NemoSim * sim, const gchar * render_id)
{
  return sim_export_get_completed (sim, render_id);
}

guint
nemo_sim_get_port (NemoSim * sim)
{
  return sim->port;
}

const gchar *
nemo_sim_get_url (NemoSim * sim)
{
  return sim->url;
}

guint
nemo_sim_get_cdn_port (NemoSim * sim)
{
  return sim->cdn_port;
}

const gchar *
nemo_sim_get_cdn_url (NemoSim * sim)
{
  return sim->cdn_url;
}

gchar **
nemo_sim_dup_listen_uris (NemoSim * sim)
{
  return g_strdupv (sim->listen_uris);
}

/* ---- faults every listener has: 503 and 429 ---- */

static gboolean
inject_transport_fault (NemoSim * sim, SoupServerMessage * msg,
    const gchar * path)
{
  const NemoSimOptions *options = &sim->options;

  if (options->server_error && sim->server_errors_left > 0
      && g_str_has_prefix (path, options->server_error)) {
    sim->server_errors_left--;
    sim_reply_code (sim, msg, SOUP_STATUS_SERVICE_UNAVAILABLE, 503,
        "Service temporarily unavailable, try again.");
    return TRUE;
  }
  if (options->rate_limit && !sim->rate_limited_once
      && g_str_has_prefix (path, options->rate_limit)) {
    sim->rate_limited_once = TRUE;
    sim_reply_code (sim, msg, SIM_STATUS_TOO_MANY_REQUESTS,
        NEMO_ERROR_RATE_LIMITED,
        "Too many requests, slow down.");
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Retry-After", "1");
    return TRUE;
  }
  return FALSE;
}

/* ---- routing ---- */

/* The one path segment between @prefix and @suffix, or NULL. */
static gchar *
segment_between (const gchar * path, const gchar * prefix,
    const gchar * suffix)
{
  gsize path_len = strlen (path), prefix_len = strlen (prefix),
      suffix_len = strlen (suffix);
  gchar *segment;

  if (path_len <= prefix_len + suffix_len || !g_str_has_prefix (path, prefix)
      || !g_str_has_suffix (path, suffix))
    return NULL;
  segment = g_strndup (path + prefix_len, path_len - prefix_len - suffix_len);
  if (strchr (segment, '/') != NULL) {
    g_free (segment);
    return NULL;
  }
  return segment;
}

static gboolean
parse_target (const gchar * path, SimTarget * target)
{
  static const struct
  {
    const gchar *path;
    SimRoute route;
    const gchar *method;
  } fixed[] = {
    {"/api/auth/anonymous-token", ROUTE_TOKEN, "POST"},
    {"/api/tasks/me/with-session/nemo_agent", ROUTE_SESSION, "POST"},
    {"/run_sse", ROUTE_CHAT, "POST"},
    {"/api/credits/balance/simple", ROUTE_CREDITS, "GET"},
    {"/api/render/proxy/lambda", ROUTE_EXPORT, "POST"},
  };
  static const struct
  {
    const gchar *prefix, *suffix;
    SimRoute route;
    const gchar *method;
  } with_id[] = {
    {"/api/upload-video/nemo_agent/me/", "", ROUTE_UPLOAD, "POST"},
    {"/api/state/nemo_agent/me/", "/latest", ROUTE_STATE, "GET"},
    {"/api/render/proxy/lambda/", "/cancel", ROUTE_CANCEL, "POST"},
    {"/api/render/proxy/lambda/", "", ROUTE_STATUS, "GET"},
    {"/api/render/proxy/", "/download", ROUTE_DOWNLOAD, "GET"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (fixed); i++) {
    if (strcmp (path, fixed[i].path) == 0) {
      target->route = fixed[i].route;
      target->method = fixed[i].method;
      return TRUE;
    }
  }
  for (i = 0; i < G_N_ELEMENTS (with_id); i++) {
    target->arg = segment_between (path, with_id[i].prefix, with_id[i].suffix);
    if (target->arg) {
      target->route = with_id[i].route;
      target->method = with_id[i].method;
      return TRUE;
    }
  }
  return FALSE;
}

/* ---- the checks every API call goes through ---- */

static SimAccount *
authenticate (NemoSim * sim, SoupServerMessage * msg, const SimTarget * target)
{
  const gchar *header =
      soup_message_headers_get_one (soup_server_message_get_request_headers
      (msg), "Authorization");
  SimAccount *account;
  guint expire_after = sim->options.expire_token_after;

  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0) {
    reply_error (sim, msg, target, SOUP_STATUS_UNAUTHORIZED,
        NEMO_ERROR_TOKEN_EXPIRED,
        "Missing Authorization: Bearer <token>. Get a token from "
        "/api/auth/anonymous-token.");
    return NULL;
  }
  account = g_hash_table_lookup (sim->accounts, header + 7);
  if (account == NULL || !account->valid) {
    reply_error (sim, msg, target, SOUP_STATUS_OK, NEMO_ERROR_TOKEN_EXPIRED,
        "Token expired or invalid. Get a new one from "
        "/api/auth/anonymous-token.");
    return NULL;
  }
  if (expire_after > 0 && !sim->token_expired_once
      && sim->api_request_count >= expire_after) {
    sim->token_expired_once = TRUE;
    account->valid = FALSE;
    reply_error (sim, msg, target, SOUP_STATUS_OK, NEMO_ERROR_TOKEN_EXPIRED,
        "Token expired. Get a new one from /api/auth/anonymous-token.");
    return NULL;
  }
  return account;
}

static JsonNode *
read_json_body (NemoSim * sim, SoupServerMessage * msg,
    const SimTarget * target)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;

  if (body->length == 0) {
    g_autoptr (JsonObject) empty = json_object_new ();

    return json_node_init_object (json_node_alloc (), empty);
  }
  if (body->length > SIM_MAX_JSON_BODY) {
    reply_error (sim, msg, target, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, 413,
        "The JSON body is too large.");
    return NULL;
  }
  if (!json_parser_load_from_data (parser, body->data, body->length, &error)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    text = g_strdup_printf ("The body is not a JSON object (%s).",
        error ? error->message : "wrong type");
    reply_error (sim, msg, target, SOUP_STATUS_UNPROCESSABLE_ENTITY, 422, text);
    return NULL;
  }
  return json_parser_steal_root (parser);
}

/* The session a call names, or NULL after answering 1002. */
static SimSession *
find_named_session (NemoSim * sim, SoupServerMessage * msg,
    const SimTarget * target, const gchar * id)
{
  SimSession *session = sim_find_session (sim, id);
  guint lose_after = sim->options.lose_session_after;
  g_autofree gchar *text = NULL;

  if (session && lose_after > 0 && !sim->session_lost_once
      && sim->api_request_count >= lose_after) {
    sim->session_lost_once = TRUE;
    g_hash_table_remove (sim->sessions, id);
    session = NULL;
  }
  if (session == NULL) {
    text = g_strdup_printf ("Session %s not found: create a new session.", id);
    reply_error (sim, msg, target, SOUP_STATUS_OK,
        NEMO_ERROR_SESSION_NOT_FOUND, text);
  }
  return session;
}

/* ---- the small calls ---- */

static void
handle_token (NemoSim * sim, SoupServerMessage * msg)
{
  const gchar *client_id =
      soup_message_headers_get_one (soup_server_message_get_request_headers
      (msg), "X-Client-Id");
  const gchar *held;
  SimAccount *account;
  g_autofree gchar *random = NULL;
  g_autofree gchar *token = NULL;
  g_autoptr (JsonObject) data = json_object_new ();

  if (client_id == NULL || *client_id == '\0') {
    sim_reply_code (sim, msg, SOUP_STATUS_BAD_REQUEST,
        NEMO_ERROR_MISSING_CLIENT_ID,
        "Missing X-Client-Id header: send a UUID that identifies this client.");
    return;
  }
  held = g_hash_table_lookup (sim->client_tokens, client_id);
  account = held ? g_hash_table_lookup (sim->accounts, held) : NULL;
  if (account && account->valid) {
    sim_reply_code (sim, msg, SIM_STATUS_TOO_MANY_REQUESTS,
        NEMO_ERROR_RATE_LIMITED,
        "This client already has an anonymous token: one per client id "
        "every 7 days.");
    return;
  }
  random = sim_random_hex (sim, 32);
  token = g_strconcat ("nmv_usr_", random, NULL);
  account = account_new (sim, token, client_id);
  g_hash_table_replace (sim->client_tokens, g_strdup (client_id),
      g_strdup (token));

  json_object_set_string_member (data, "token", token);
  json_object_set_int_member (data, "credits", account->available);
  json_object_set_int_member (data, "expires_in", SIM_TOKEN_LIFETIME_S);
  sim_reply_ok (sim, msg, json_node_init_object (json_node_alloc (), data));
}

static void
handle_session (NemoSim * sim, SoupServerMessage * msg, JsonNode * body)
{
  JsonObject *request = json_node_get_object (body);
  SimSession *session = g_new0 (SimSession, 1);
  g_autoptr (JsonObject) data = json_object_new ();
  guint64 number = sim->next_session++;

  session->id = g_strdup_printf ("%" G_GUINT64_FORMAT, number);
  session->task_id = g_strdup_printf ("%" G_GUINT64_FORMAT, number * 7 + 3);
  session->language = g_strdup (sim_json_string (request, "language", "en"));
  session->dir = g_build_filename (sim->work_dir, "uploads", session->id, NULL);
  session->media = g_ptr_array_new_with_free_func ((GDestroyNotify)
      sim_media_free);
  session->render_ids = g_ptr_array_new_with_free_func (g_free);
  session->width = sim->options.width;
  session->height = sim->options.height;
  g_hash_table_insert (sim->sessions, session->id, session);

  json_object_set_string_member (data, "task_id", session->task_id);
  json_object_set_string_member (data, "session_id", session->id);
  sim_reply_ok (sim, msg, json_node_init_object (json_node_alloc (), data));
}

static void
handle_credits (NemoSim * sim, SoupServerMessage * msg, SimAccount * account)
{
  g_autoptr (JsonObject) data = json_object_new ();

  json_object_set_int_member (data, "available", account->available);
  json_object_set_int_member (data, "frozen", 0);
  json_object_set_int_member (data, "total", account->total);
  sim_reply_ok (sim, msg, json_node_init_object (json_node_alloc (), data));
}

static void
handle_state (NemoSim * sim, SoupServerMessage * msg, SimSession * session)
{
  g_autoptr (JsonObject) state = json_object_new ();
  g_autoptr (JsonObject) data = json_object_new ();
  JsonArray *infos = json_array_new ();
  guint i;

  for (i = 0; i < session->media->len; i++)
    json_array_add_element (infos,
        sim_media_to_node (session->media->pdata[i]));
  json_object_set_member (state, "draft", session->draft ?
      nemo_draft_to_node (session->draft) : json_node_new (JSON_NODE_NULL));
  json_object_set_array_member (state, "video_infos", infos);
  json_object_set_member (state, "canvas_config",
      sim_canvas_to_node (session));
  json_object_set_member (state, "generated_media",
      sim_export_list (sim, session));
  json_object_set_object_member (data, "state", json_object_ref (state));
  json_object_set_string_member (data, "session_id", session->id);
  sim_reply_ok (sim, msg, json_node_init_object (json_node_alloc (), data));
}

/* The text of the chat message: new_message.parts[].text, joined. */
static gchar *
chat_text (JsonObject * request)
{
  JsonArray *parts = sim_json_array (sim_json_object (request, "new_message"),
      "parts");
  GString *text = g_string_new (NULL);
  guint i;

  for (i = 0; parts && i < json_array_get_length (parts); i++) {
    JsonNode *part = json_array_get_element (parts, i);

    if (JSON_NODE_HOLDS_OBJECT (part))
      g_string_append (text, sim_json_string (json_node_get_object (part),
              "text", ""));
  }
  if (text->len == 0) {
    g_string_free (text, TRUE);
    return NULL;
  }
  return g_string_free (text, FALSE);
}

static void
handle_chat (NemoSim * sim, SoupServerMessage * msg, SimAccount * account,
    SimSession * session, JsonNode * body)
{
  g_autofree gchar *text = chat_text (json_node_get_object (body));

  if (text == NULL) {
    sim_reply_code (sim, msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, 422,
        "new_message.parts[0].text is missing: send the message as "
        "{\"new_message\":{\"parts\":[{\"text\":\"…\"}]}}.");
    return;
  }
  if (account->available <= 0) {
    sim_reply_code (sim, msg, SOUP_STATUS_OK, NEMO_ERROR_OUT_OF_CREDITS,
        "Out of credits: register or top up to keep editing.");
    return;
  }
  account->available--;
  sim_agent_chat (sim, msg, session, text);
}

static const gchar *
body_session_id (SimRoute route, JsonNode * body)
{
  JsonObject *object = body ? json_node_get_object (body) : NULL;

  if (route == ROUTE_CHAT)
    return sim_json_string (object, "session_id", "");
  if (route == ROUTE_EXPORT)
    return sim_json_string (object, "sessionId", NULL);
  return NULL;
}

/* ---- --slow-upload-ms: the reply to an upload waits;
 * --upload-no-answer: it never comes ---- */

typedef struct
{
  NemoSim *sim;
  SoupServerMessage *msg;       /* paused while held */
  gchar *session_id;
  GSource *timer;               /* NULL: held until the client goes */
} SimHeldUpload;

static void
held_upload_free (SimHeldUpload * held)
{
  held->sim->held_uploads = g_list_remove (held->sim->held_uploads, held);
  if (held->timer != NULL) {
    g_source_destroy (held->timer);
    g_source_unref (held->timer);
  }
  g_signal_handlers_disconnect_by_data (held->msg, held);
  g_object_unref (held->msg);
  g_free (held->session_id);
  g_free (held);
}

static void
free_held_uploads (NemoSim * sim)
{
  while (sim->held_uploads)
    held_upload_free (sim->held_uploads->data);
}

/* The client went away while the reply waited. */
static void
held_upload_finished (SoupServerMessage * msg, SimHeldUpload * held)
{
  held_upload_free (held);
}

static gboolean
held_upload_reply (gpointer data)
{
  SimHeldUpload *held = data;
  NemoSim *sim = held->sim;
  /* looked up again: it may have been lost while the reply waited */
  SimSession *session = sim_find_session (sim, held->session_id);

  if (session)
    sim_upload_handle (sim, held->msg, session);
  else {
    g_autofree gchar *text = g_strdup_printf ("Session %s not found: create "
        "a new session.", held->session_id);
    sim_reply_code (sim, held->msg, SOUP_STATUS_OK,
        NEMO_ERROR_SESSION_NOT_FOUND, text);
  }
  soup_server_message_unpause (held->msg);
  held_upload_free (held);
  return G_SOURCE_REMOVE;
}

/* Pause @msg: answered by held_upload_reply() after @delay_ms, or with
 * @delay_ms 0 never. */
static void
hold_upload (NemoSim * sim, SoupServerMessage * msg, SimSession * session,
    guint delay_ms)
{
  SimHeldUpload *held = g_new0 (SimHeldUpload, 1);

  held->sim = sim;
  held->msg = g_object_ref (msg);
  held->session_id = g_strdup (session->id);
  if (delay_ms > 0) {
    held->timer = g_timeout_source_new (delay_ms);
    g_source_set_callback (held->timer, held_upload_reply, held, NULL);
    g_source_attach (held->timer, sim->context);
  }
  g_signal_connect (msg, "finished", G_CALLBACK (held_upload_finished), held);
  sim->held_uploads = g_list_prepend (sim->held_uploads, held);
  soup_server_message_pause (msg);
}

static void
handle_upload (NemoSim * sim, SoupServerMessage * msg, SimSession * session)
{
  if (sim->options.upload_no_answer && !sim->upload_unanswered_once) {
    /* the files are in the session; the reply is never sent */
    sim->upload_unanswered_once = TRUE;
    sim_upload_handle (sim, msg, session);
    hold_upload (sim, msg, session, 0);
  } else if (sim->options.slow_upload_ms > 0)
    hold_upload (sim, msg, session, sim->options.slow_upload_ms);
  else
    sim_upload_handle (sim, msg, session);
}

/* The route of @msg into @target; FALSE when @msg has been answered
 * already (a transport fault, an unknown path or method). */
static gboolean
find_route (NemoSim * sim, SoupServerMessage * msg, const char *path,
    SimTarget * target)
{
  if (inject_transport_fault (sim, msg, path))
    return FALSE;
  if (!parse_target (path, target)) {
    sim_reply_code (sim, msg, SOUP_STATUS_NOT_FOUND, 404,
        "No such endpoint.");
    return FALSE;
  }
  if (strcmp (soup_server_message_get_method (msg), target->method) != 0) {
    reply_error (sim, msg, target, SOUP_STATUS_METHOD_NOT_ALLOWED, 405,
        "Method not allowed.");
    return FALSE;
  }
  return TRUE;
}

/* The session the call names in its path or @body into @session (NULL for
 * a call that names none); FALSE when it is unknown, answered with 1002. */
static gboolean
named_session (NemoSim * sim, SoupServerMessage * msg,
    const SimTarget * target, JsonNode * body, SimSession ** session)
{
  const gchar *id = target->route == ROUTE_UPLOAD
      || target->route == ROUTE_STATE ? target->arg :
      body_session_id (target->route, body);

  *session = id != NULL ? find_named_session (sim, msg, target, id) : NULL;
  return id == NULL || *session != NULL;
}

static void
handle_route (NemoSim * sim, SoupServerMessage * msg,
    const SimTarget * target, SimAccount * account, SimSession * session,
    JsonNode * body)
{
  switch (target->route) {
    case ROUTE_SESSION:
      handle_session (sim, msg, body);
      break;
    case ROUTE_CHAT:
      handle_chat (sim, msg, account, session, body);
      break;
    case ROUTE_UPLOAD:
      handle_upload (sim, msg, session);
      break;
    case ROUTE_CREDITS:
      handle_credits (sim, msg, account);
      break;
    case ROUTE_STATE:
      handle_state (sim, msg, session);
      break;
    case ROUTE_EXPORT:
      sim_export_start (sim, msg, body);
      break;
    case ROUTE_STATUS:
      sim_export_status (sim, msg, target->arg);
      break;
    case ROUTE_CANCEL:
      sim_export_cancel (sim, msg, target->arg);
      break;
    case ROUTE_DOWNLOAD:
      sim_export_download (sim, msg, target->arg);
      break;
    case ROUTE_NONE:
    case ROUTE_TOKEN:
      g_assert_not_reached ();
  }
}

static void
api_handler (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  NemoSim *sim = user_data;
  SimTarget target = { ROUTE_NONE, NULL, NULL };
  g_autoptr (JsonNode) body = NULL;
  SimAccount *account;
  SimSession *session;

  sim->api_request_count++;
  record_request (sim, msg, path);
  if (!find_route (sim, msg, path, &target))
    goto end;
  if (target.route == ROUTE_TOKEN) {
    handle_token (sim, msg);
    goto end;
  }
  account = authenticate (sim, msg, &target);
  if (account == NULL)
    goto end;
  if (target.route == ROUTE_SESSION || target.route == ROUTE_CHAT
      || target.route == ROUTE_EXPORT) {
    body = read_json_body (sim, msg, &target);
    if (body == NULL)
      goto end;
  }
  if (named_session (sim, msg, &target, body, &session))
    handle_route (sim, msg, &target, account, session, body);
end:
  g_free (target.arg);
}

static void
upload_early_handler (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  sim_upload_early (user_data, msg);
}

/* ---- the CDN ---- */

static void
cdn_handler (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  NemoSim *sim = user_data;
  const gchar *method = soup_server_message_get_method (msg);
  const gchar *local;
  g_autofree gchar *render_id = NULL;
  g_autofree gchar *render_path = NULL;
  g_autofree gchar *content_type = NULL;

  record_request (sim, msg, path);
  if (soup_message_headers_get_one (soup_server_message_get_request_headers
          (msg), "Authorization")) {
    g_mutex_lock (&sim->lock);
    sim->cdn_authorization_count++;
    g_mutex_unlock (&sim->lock);
  }
  if (inject_transport_fault (sim, msg, path))
    return;
  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    return;
  }
  render_id = segment_between (path, "/cdn/renders/", ".mp4");
  if (render_id)
    render_path = sim_export_dup_path (sim, render_id);
  if (render_path) {
    sim_stream_render (sim, msg, render_path);
    return;
  }
  local = g_hash_table_lookup (sim->cdn_files, path);
  if (local == NULL) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }
  content_type = g_content_type_guess (local, NULL, 0, NULL);
  sim_stream_file (sim, msg, local, content_type, SIM_CUT_NONE, 0);
}

/* ---- lifecycle ---- */

static void
log_request (SoupServer * server, SoupServerMessage * msg, gpointer user_data)
{
  g_printerr ("nemo-sim: %s %s -> %u\n", soup_server_message_get_method (msg),
      g_uri_get_path (soup_server_message_get_uri (msg)),
      soup_server_message_get_status (msg));
}

static SoupServer *
listen_loopback (NemoSim * sim, guint port, guint * out_port, GError ** error)
{
  g_autoptr (SoupServer) server = soup_server_new ("server-header", "nemo-sim ",
      NULL);
  g_autoptr (GInetAddress) loopback =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address =
      g_inet_socket_address_new (loopback, port);
  GSList *uris;

  if (!soup_server_listen (server, address, 0, error))
    return NULL;
  uris = soup_server_get_uris (server);
  *out_port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  if (sim->options.verbose) {
    g_signal_connect (server, "request-finished", G_CALLBACK (log_request),
        sim);
    g_signal_connect (server, "request-aborted", G_CALLBACK (log_request),
        sim);
  }
  return g_steal_pointer (&server);
}

static gchar **
collect_listen_uris (SoupServer * api, SoupServer * cdn)
{
  GPtrArray *all = g_ptr_array_new ();
  SoupServer *servers[] = { api, cdn };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (servers); i++) {
    GSList *uris = soup_server_get_uris (servers[i]), *l;

    for (l = uris; l; l = l->next)
      g_ptr_array_add (all, g_uri_to_string (l->data));
    g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  }
  g_ptr_array_add (all, NULL);
  return (gchar **) g_ptr_array_free (all, FALSE);
}

static gboolean
start_servers (NemoSim * sim, GError ** error)
{
  sim->api = listen_loopback (sim, sim->options.port, &sim->port, error);
  if (sim->api == NULL)
    return FALSE;
  sim->cdn = listen_loopback (sim, sim->options.cdn_port, &sim->cdn_port,
      error);
  if (sim->cdn == NULL)
    return FALSE;
  soup_server_add_handler (sim->api, NULL, api_handler, sim, NULL);
  soup_server_add_early_handler (sim->api, "/api/upload-video",
      upload_early_handler, sim, NULL);
  soup_server_add_handler (sim->api, "/api/upload-video", api_handler, sim,
      NULL);
  soup_server_add_handler (sim->cdn, "/cdn", cdn_handler, sim, NULL);

  sim->url = g_strdup_printf ("http://127.0.0.1:%u", sim->port);
  sim->cdn_url = g_strdup_printf ("http://127.0.0.1:%u", sim->cdn_port);
  sim->listen_uris = collect_listen_uris (sim->api, sim->cdn);
  return TRUE;
}

static void
stop_servers (NemoSim * sim)
{
  sim_stream_free_all (sim);
  free_held_uploads (sim);
  if (sim->api)
    soup_server_disconnect (sim->api);
  if (sim->cdn)
    soup_server_disconnect (sim->cdn);
  g_clear_object (&sim->api);
  g_clear_object (&sim->cdn);
  /* let the closed connections finish on this context */
  while (g_main_context_iteration (sim->context, FALSE));
}

static gpointer
server_thread (gpointer data)
{
  NemoSim *sim = data;
  GError *error = NULL;
  gboolean ok;

  g_main_context_push_thread_default (sim->context);
  ok = start_servers (sim, &error);

  g_mutex_lock (&sim->lock);
  sim->started = TRUE;
  sim->start_error = error;
  g_cond_broadcast (&sim->cond);
  g_mutex_unlock (&sim->lock);

  if (ok)
    g_main_loop_run (sim->loop);
  stop_servers (sim);
  g_main_context_pop_thread_default (sim->context);
  return NULL;
}

static void
copy_options (NemoSimOptions * to, const NemoSimOptions * from)
{
  *to = *from;
  to->work_dir = g_strdup (from->work_dir);
  to->token = g_strdup (from->token);
  to->rate_limit = g_strdup (from->rate_limit);
  to->fail_render = g_strdup (from->fail_render);
  to->server_error = g_strdup (from->server_error);
  to->stream_error = g_strdup (from->stream_error);
  to->model_error = g_strdup (from->model_error);
}

static void
clear_options (NemoSimOptions * options)
{
  g_free ((gchar *) options->work_dir);
  g_free ((gchar *) options->token);
  g_free ((gchar *) options->rate_limit);
  g_free ((gchar *) options->fail_render);
  g_free ((gchar *) options->server_error);
  g_free ((gchar *) options->stream_error);
  g_free ((gchar *) options->model_error);
}

static gboolean
check_options (const NemoSimOptions * options, GError ** error)
{
  if (options->width < 16 || options->height < 16 || options->width > 4096
      || options->height > 4096 || options->width % 2 || options->height % 2) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "Canvas size %dx%d cannot be rendered: give even sides between 16 "
        "and 4096, e.g. --size=1920x1080.", options->width, options->height);
    return FALSE;
  }
  if (options->silent_edit_rate < 0.0 || options->silent_edit_rate > 1.0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "The silent edit rate %g is not a share: give a number from 0 to 1.",
        options->silent_edit_rate);
    return FALSE;
  }
  return TRUE;
}

static gboolean
make_work_dir (NemoSim * sim, GError ** error)
{
  g_autofree gchar *renders = NULL;

  if (sim->options.work_dir) {
    sim->work_dir = g_strdup (sim->options.work_dir);
  } else {
    sim->work_dir = g_dir_make_tmp ("nemo-sim-XXXXXX", error);
    if (sim->work_dir == NULL)
      return FALSE;
    sim->own_work_dir = TRUE;
  }
  renders = g_build_filename (sim->work_dir, "renders", NULL);
  if (g_mkdir_with_parents (renders, 0700) != 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_IO,
        "Cannot create the work directory “%s” (%s). Give a writable one "
        "with --work-dir.", renders, g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

NemoSim *
nemo_sim_new (const NemoSimOptions * options, GError ** error)
{
  NemoSim *sim;

  if (!check_options (options, error))
    return NULL;

  sim = g_new0 (NemoSim, 1);
  copy_options (&sim->options, options);
  g_mutex_init (&sim->lock);
  g_cond_init (&sim->cond);
  sim->rand = g_rand_new_with_seed (options->seed);
  sim->silent_rand = g_rand_new_with_seed (options->seed);
  sim->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) path_record_free);
  sim->renders = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) sim_render_job_free);
  sim->accounts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) account_free);
  sim->client_tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  sim->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) session_free);
  sim->cdn_files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  sim->next_session = SIM_FIRST_SESSION;
  sim->server_errors_left = options->server_error_count;
  if (options->token)
    account_new (sim, options->token, NULL);

  if (!make_work_dir (sim, error)) {
    nemo_sim_free (sim);
    return NULL;
  }

  sim->context = g_main_context_new ();
  sim->loop = g_main_loop_new (sim->context, FALSE);
  sim->thread = g_thread_new ("nemo-sim", server_thread, sim);
  g_mutex_lock (&sim->lock);
  while (!sim->started)
    g_cond_wait (&sim->cond, &sim->lock);
  g_mutex_unlock (&sim->lock);
  if (sim->start_error) {
    g_propagate_prefixed_error (error, g_steal_pointer (&sim->start_error),
        "nemo-sim cannot listen on 127.0.0.1: ");
    nemo_sim_free (sim);
    return NULL;
  }
  return sim;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
remove_tree (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *child = g_build_filename (path, name, NULL);

    if (g_file_test (child, G_FILE_TEST_IS_DIR)
        && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
      remove_tree (child);
    else
      g_unlink (child);
  }
  if (dir)
    g_dir_close (dir);
  g_rmdir (path);
}

void
nemo_sim_free (NemoSim * sim)
{
  if (sim == NULL)
    return;
  if (sim->thread) {
    GSource *quit = g_idle_source_new ();

    /* quit from inside the loop, so a quit cannot come before the run */
    g_source_set_callback (quit, quit_loop, sim->loop, NULL);
    g_source_attach (quit, sim->context);
    g_source_unref (quit);
    g_thread_join (sim->thread);
  }
  /* no handler runs any more: the renders are ours alone */
  sim_export_stop_all (sim);

  g_clear_pointer (&sim->loop, g_main_loop_unref);
  g_clear_pointer (&sim->context, g_main_context_unref);
  g_hash_table_unref (sim->sessions);
  g_hash_table_unref (sim->accounts);
  g_hash_table_unref (sim->client_tokens);
  g_hash_table_unref (sim->cdn_files);
  g_hash_table_unref (sim->renders);
  g_hash_table_unref (sim->records);
  g_clear_error (&sim->start_error);
  if (sim->own_work_dir)
    remove_tree (sim->work_dir);
  g_free (sim->work_dir);
  g_free (sim->url);
  g_free (sim->cdn_url);
  g_strfreev (sim->listen_uris);
  g_rand_free (sim->rand);
  g_rand_free (sim->silent_rand);
  g_mutex_clear (&sim->lock);
  g_cond_clear (&sim->cond);
  clear_options (&sim->options);
  g_free (sim);
}
