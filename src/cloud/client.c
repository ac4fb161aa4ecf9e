/* nemorender cloud client: the instance, the request engine and the calls
 * that are one plain request (token, session, credits, state).
 *
 * Every request goes through cloud_call(): it adds the headers (only to the
 * API's own origin), follows redirects itself so that no header leaves that
 * origin, reads either envelope shape and applies the error table of
 * docs/protocol.md, Errors: 1001 → new anonymous token, retry once; 1002 →
 * new session, uploads replayed, retry once; 429 → Retry-After or 30 s,
 * retry once; 400 → add X-Client-Id, retry once; network errors and 5xx →
 * `retries` retries with capped exponential backoff.  Waits are
 * interruptible (cloud_wait).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cloud-private.h"
#include <nemo/log.h>

#include <string.h>

#define CLOUD_MAX_REDIRECTS 5

/* ---- configuration ---------------------------------------------------- */

void
nemo_cloud_config_init (NemoCloudConfig * config)
{
  memset (config, 0, sizeof *config);
  config->retries = NEMO_CLOUD_DEFAULT_RETRIES;
  config->poll_interval_ms = NEMO_CLOUD_DEFAULT_POLL_INTERVAL_MS;
  config->timeout_s = NEMO_CLOUD_DEFAULT_TIMEOUT_S;
  config->chat_limit_s = NEMO_CLOUD_DEFAULT_CHAT_LIMIT_S;
  config->render_limit_s = NEMO_CLOUD_DEFAULT_RENDER_LIMIT_S;
  config->max_upload_size = NEMO_SERVICE_MAX_UPLOAD_SIZE;
}

void
nemo_cloud_config_clear (NemoCloudConfig * config)
{
  g_clear_pointer (&config->api_url, g_free);
  g_clear_pointer (&config->token, g_free);
  g_clear_pointer (&config->client_id, g_free);
  g_clear_pointer (&config->language, g_free);
  g_clear_pointer (&config->skill_source, g_free);
  g_clear_pointer (&config->skill_version, g_free);
  g_clear_pointer (&config->skill_platform, g_free);
}

void
nemo_cloud_config_copy (NemoCloudConfig * dest, const NemoCloudConfig * src)
{
  *dest = *src;
  dest->api_url = g_strdup (src->api_url);
  dest->token = g_strdup (src->token);
  dest->client_id = g_strdup (src->client_id);
  dest->language = g_strdup (src->language);
  dest->skill_source = g_strdup (src->skill_source);
  dest->skill_version = g_strdup (src->skill_version);
  dest->skill_platform = g_strdup (src->skill_platform);
}

static gchar *
dup_or_default (const gchar * value, const gchar * fallback)
{
  return g_strdup (value != NULL && *value != '\0' ? value : fallback);
}

static guint
env_uint (const gchar * name, guint fallback)
{
  const gchar *value = g_getenv (name);
  guint64 parsed;

  if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT,
          &parsed, NULL))
    return fallback;
  return parsed;
}

static gboolean
host_is_loopback (const gchar * host)
{
  g_autoptr (GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

static GUri *
parse_api_url (const gchar * url, GError ** error)
{
  g_autoptr (GError) parse_error = NULL;
  g_autofree gchar *trimmed = g_strdup (url);
  GUri *uri;
  const gchar *scheme;
  gsize len = strlen (trimmed);

  while (len > 0 && trimmed[len - 1] == '/')
    trimmed[--len] = '\0';
  uri = g_uri_parse (trimmed, SOUP_HTTP_URI_FLAGS, &parse_error);
  if (uri == NULL) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "api-url “%s” is not a URL (%s). Use the form https://host[:port].",
        url, parse_error->message);
    return NULL;
  }
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "https") == 0
      || (g_ascii_strcasecmp (scheme, "http") == 0
          && g_uri_get_host (uri) != NULL
          && host_is_loopback (g_uri_get_host (uri))))
    return uri;

  g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
      "api-url “%s” must start with https://. Plain http:// is allowed only "
      "for loopback hosts (127.0.0.1, ::1, localhost), so that the token "
      "never crosses a network unencrypted.", url);
  g_uri_unref (uri);
  return NULL;
}

static SoupSession *
new_soup_session (guint timeout_s)
{
  return soup_session_new_with_options ("timeout", timeout_s, "user-agent",
      "nemorender/" "0.1 ", NULL);
}

static guint
limit_or_default (guint seconds, guint fallback)
{
  return seconds > 0 ? seconds : fallback;
}

NemoCloud *
nemo_cloud_new (const NemoCloudConfig * config,
    const NemoCloudCallbacks * callbacks, gpointer user_data, GError ** error)
{
  NemoCloud *cloud;
  GUri *api_uri;
  const gchar *env_token = g_getenv ("NEMO_TOKEN");

  g_return_val_if_fail (config != NULL, NULL);

  api_uri = parse_api_url (config->api_url != NULL && *config->api_url != '\0'
      ? config->api_url : NEMO_CLOUD_DEFAULT_API_URL, error);
  if (api_uri == NULL)
    return NULL;

  cloud = g_new0 (NemoCloud, 1);
  cloud->api_uri = api_uri;
  cloud->config = *config;
  cloud->config.api_url = g_uri_to_string (api_uri);
  /* paths are appended to it: no trailing slash (GUri writes "/" for an
   * empty path) */
  while (g_str_has_suffix (cloud->config.api_url, "/"))
    cloud->config.api_url[strlen (cloud->config.api_url) - 1] = '\0';
  cloud->config.token = NULL;   /* kept only in cloud->token */
  cloud->config.client_id = NULL;
  cloud->config.language = dup_or_default (config->language, "en");
  cloud->config.skill_source = dup_or_default (config->skill_source,
      "yt-music");
  cloud->config.skill_version = dup_or_default (config->skill_version,
      "1.0.0");
  cloud->config.skill_platform = dup_or_default (config->skill_platform,
      "unknown");
  cloud->config.chat_limit_s = limit_or_default (config->chat_limit_s,
      NEMO_CLOUD_DEFAULT_CHAT_LIMIT_S);
  cloud->config.render_limit_s = limit_or_default (config->render_limit_s,
      NEMO_CLOUD_DEFAULT_RENDER_LIMIT_S);
  if (callbacks != NULL)
    cloud->callbacks = *callbacks;
  cloud->user_data = user_data;

  cloud->secrets = g_ptr_array_new_with_free_func (g_free);
  if (config->token != NULL && *config->token != '\0')
    cloud->token = g_strdup (config->token);
  else if (env_token != NULL && *env_token != '\0')
    cloud->token = g_strdup (env_token);
  if (cloud->token != NULL)
    cloud_remember_token (cloud, cloud->token);
  cloud->client_id = config->client_id != NULL && *config->client_id != '\0'
      ? g_strdup (config->client_id) : g_uuid_string_random ();
  cloud->uploads = g_ptr_array_new_with_free_func ((GDestroyNotify)
      cloud_upload_free);
  cloud->backoff_base_ms = env_uint ("NEMO_CLOUD_BACKOFF_MS",
      CLOUD_BACKOFF_BASE_MS);
  cloud->still_working_ms = env_uint ("NEMO_CLOUD_STILL_WORKING_MS",
      CLOUD_STILL_WORKING_MS);
  g_mutex_init (&cloud->wait_lock);
  g_cond_init (&cloud->wait_cond);

  /* Each session's "timeout" is how long one blocking socket operation
   * may wait for a byte: a request, the chat stream (heartbeats count),
   * a download.  TLS certificates are verified against the system store
   * (the default). */
  cloud->session = new_soup_session (env_uint ("NEMO_CLOUD_IO_TIMEOUT_S",
          CLOUD_IO_TIMEOUT_S));
  cloud->events_session = new_soup_session (config->timeout_s);
  cloud->download_session = new_soup_session
      (env_uint ("NEMO_CLOUD_DOWNLOAD_STALL_S", CLOUD_DOWNLOAD_STALL_S));
  return cloud;
}

void
nemo_cloud_free (NemoCloud * cloud)
{
  if (cloud == NULL)
    return;
  g_clear_object (&cloud->session);
  g_clear_object (&cloud->events_session);
  g_clear_object (&cloud->download_session);
  g_uri_unref (cloud->api_uri);
  nemo_cloud_config_clear (&cloud->config);
  g_free (cloud->token);
  g_free (cloud->client_id);
  g_free (cloud->session_id);
  g_ptr_array_unref (cloud->uploads);
  g_ptr_array_unref (cloud->secrets);
  g_mutex_clear (&cloud->wait_lock);
  g_cond_clear (&cloud->wait_cond);
  g_free (cloud);
}

const gchar *
nemo_cloud_get_session_id (NemoCloud * cloud)
{
  return cloud->session_id;
}

guint
nemo_cloud_get_http_status (NemoCloud * cloud)
{
  return cloud->last_http_status;
}

/* ---- small helpers ---------------------------------------------------- */

static gint
default_port (GUri * uri)
{
  gint port = g_uri_get_port (uri);

  if (port > 0)
    return port;
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
}

/* Scheme, host and port: 127.0.0.1:8080 and 127.0.0.1:8081 are two hosts. */
gboolean
cloud_same_origin (GUri * a, GUri * b)
{
  return g_ascii_strcasecmp (g_uri_get_scheme (a), g_uri_get_scheme (b)) == 0
      && g_uri_get_host (a) != NULL && g_uri_get_host (b) != NULL
      && g_ascii_strcasecmp (g_uri_get_host (a), g_uri_get_host (b)) == 0
      && default_port (a) == default_port (b);
}

gboolean
cloud_is_cancelled (GError * error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || g_error_matches (error, NEMO_ERROR, NEMO_ERROR_CANCELLED);
}

void
cloud_set_cancelled (GError ** error, const gchar * what)
{
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_CANCELLED,
      "Cancelled while trying to %s.", what);
}

void
cloud_progress (NemoCloud * cloud, const gchar * stage, gdouble percent)
{
  if (cloud->callbacks.progress != NULL)
    cloud->callbacks.progress (stage, CLAMP (percent, 0.0, 100.0),
        cloud->user_data);
}

gboolean
cloud_require_session (NemoCloud * cloud, const gchar * what, GError ** error)
{
  if (cloud->session_id != NULL)
    return TRUE;
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
      "Cannot %s before a session is open: call nemo_cloud_open_session() "
      "first.", what);
  return FALSE;
}

JsonNode *
cloud_json_member (JsonNode * object_node, const gchar * key)
{
  JsonObject *object;

  if (object_node == NULL || !JSON_NODE_HOLDS_OBJECT (object_node))
    return NULL;
  object = json_node_get_object (object_node);
  return json_object_has_member (object, key) ?
      json_object_get_member (object, key) : NULL;
}

const gchar *
cloud_json_string (JsonNode * object_node, const gchar * key)
{
  JsonNode *member = cloud_json_member (object_node, key);

  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member)
      || json_node_get_value_type (member) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (member);
}

/* An id the service may send as a string or a number. */
gchar *
cloud_json_id (JsonNode * object_node, const gchar * key)
{
  JsonNode *member = cloud_json_member (object_node, key);
  GType type;

  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member))
    return NULL;
  type = json_node_get_value_type (member);
  if (type == G_TYPE_STRING)
    return *json_node_get_string (member) != '\0' ?
        g_strdup (json_node_get_string (member)) : NULL;
  if (type == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (member));
  return NULL;
}

static gint64
json_int64 (JsonNode * object_node, const gchar * key)
{
  JsonNode *member = cloud_json_member (object_node, key);
  gdouble value;

  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member))
    return 0;
  switch (json_node_get_value_type (member)) {
    case G_TYPE_INT64:
      return json_node_get_int (member);
    case G_TYPE_DOUBLE:
      value = json_node_get_double (member);
      return value > -1e15 && value < 1e15 ? (gint64) value : 0;
    case G_TYPE_STRING:
      return g_ascii_strtoll (json_node_get_string (member), NULL, 10);
    default:
      return 0;
  }
}

/* A code sent as a number or a numeric string; FALSE if absent. */
static gboolean
json_code (JsonNode * object_node, const gchar * key, gint * code)
{
  JsonNode *member = cloud_json_member (object_node, key);
  gint64 value;

  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member))
    return FALSE;
  switch (json_node_get_value_type (member)) {
    case G_TYPE_INT64:
      value = json_node_get_int (member);
      break;
    case G_TYPE_DOUBLE:
      value = (gint64) CLAMP (json_node_get_double (member), G_MININT,
          G_MAXINT);
      break;
    case G_TYPE_STRING:
      if (!g_ascii_string_to_signed (json_node_get_string (member), 10,
              G_MININT, G_MAXINT, &value, NULL))
        return FALSE;
      break;
    default:
      return FALSE;
  }
  *code = CLAMP (value, G_MININT, G_MAXINT);
  return TRUE;
}

SoupMessage *
cloud_message_new (NemoCloud * cloud, const gchar * method, const gchar * path)
{
  g_autofree gchar *url = g_strconcat (cloud->config.api_url, path, NULL);

  return soup_message_new (method, url);
}

void
cloud_message_set_json (SoupMessage * msg, JsonNode * body)
{
  gsize length;
  gchar *text = json_to_string (body, FALSE);
  g_autoptr (GBytes) bytes = NULL;

  length = strlen (text);
  bytes = g_bytes_new_take (text, length);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
}

/* ---- interruptible waits ---------------------------------------------- */

static void
wait_cancelled_cb (GCancellable * cancellable, NemoCloud * cloud)
{
  g_mutex_lock (&cloud->wait_lock);
  g_cond_broadcast (&cloud->wait_cond);
  g_mutex_unlock (&cloud->wait_lock);
}

/* Wait @ms or until @cancellable fires, whichever comes first. */
gboolean
cloud_wait (NemoCloud * cloud, guint64 ms, const gchar * what,
    GCancellable * cancellable, GError ** error)
{
  gint64 end = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;
  gulong handler = 0;

  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable,
        G_CALLBACK (wait_cancelled_cb), cloud, NULL);
  g_mutex_lock (&cloud->wait_lock);
  while (!g_cancellable_is_cancelled (cancellable)
      && g_cond_wait_until (&cloud->wait_cond, &cloud->wait_lock, end));
  g_mutex_unlock (&cloud->wait_lock);
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, handler);

  if (g_cancellable_is_cancelled (cancellable)) {
    cloud_set_cancelled (error, what);
    return FALSE;
  }
  return TRUE;
}

/* ---- deadlines --------------------------------------------------------- */

static void
cancel_child_cb (GCancellable * parent, GCancellable * child)
{
  g_cancellable_cancel (child);
}

static gpointer
deadline_thread (gpointer data)
{
  CloudDeadline *deadline = data;

  g_mutex_lock (&deadline->lock);
  while (!deadline->stopping
      && g_cond_wait_until (&deadline->cond, &deadline->lock, deadline->end));
  deadline->expired = !deadline->stopping;
  g_mutex_unlock (&deadline->lock);
  if (deadline->expired)
    g_cancellable_cancel (deadline->cancellable);
  return NULL;
}

/* deadline->cancellable fires when @parent does or @seconds from now,
 * whichever comes first: pass it to every call the limit covers. */
void
cloud_deadline_start (CloudDeadline * deadline, guint seconds,
    GCancellable * parent)
{
  memset (deadline, 0, sizeof *deadline);
  g_mutex_init (&deadline->lock);
  g_cond_init (&deadline->cond);
  deadline->cancellable = g_cancellable_new ();
  deadline->end = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;
  if (parent != NULL)
    deadline->parent_handler = g_cancellable_connect (parent,
        G_CALLBACK (cancel_child_cb), deadline->cancellable, NULL);
  deadline->parent = parent != NULL ? g_object_ref (parent) : NULL;
  deadline->thread = g_thread_new ("nemo-cloud-deadline", deadline_thread,
      deadline);
}

/* TRUE if the limit ran out (rather than the caller cancelling). */
gboolean
cloud_deadline_stop (CloudDeadline * deadline)
{
  gboolean expired;

  g_mutex_lock (&deadline->lock);
  deadline->stopping = TRUE;
  g_cond_broadcast (&deadline->cond);
  g_mutex_unlock (&deadline->lock);
  g_thread_join (deadline->thread);
  expired = deadline->expired
      && !g_cancellable_is_cancelled (deadline->parent);
  if (deadline->parent != NULL) {
    g_cancellable_disconnect (deadline->parent, deadline->parent_handler);
    g_object_unref (deadline->parent);
  }
  g_object_unref (deadline->cancellable);
  g_mutex_clear (&deadline->lock);
  g_cond_clear (&deadline->cond);
  return expired;
}

/* What came instead of the expected body, for "sent … instead of". */
gchar *
cloud_describe_type (NemoCloud * cloud, const gchar * type)
{
  g_autofree gchar *shown = NULL;

  if (type == NULL)
    return g_strdup ("a reply without a Content-Type");
  if (g_ascii_strcasecmp (type, "text/html") == 0
      || g_ascii_strcasecmp (type, "application/xhtml+xml") == 0)
    return g_strdup ("an HTML page");
  shown = cloud_scrub (cloud, type, 100);
  if (g_ascii_strncasecmp (type, "text/", 5) == 0)
    return g_strdup_printf ("text (%s)", shown);
  return g_strdup_printf ("a reply of type %s", shown);
}

/* ---- what the service says ------------------------------------------- */

void
cloud_remember_token (NemoCloud * cloud, const gchar * token)
{
  guint i;

  for (i = 0; i < cloud->secrets->len; i++)
    if (g_str_equal (cloud->secrets->pdata[i], token))
      return;
  g_ptr_array_add (cloud->secrets, g_strdup (token));
}

/* Every text that comes from the service passes here before it reaches an
 * error, a callback or a log: valid UTF-8, control characters (line breaks
 * but for @max_chars == CLOUD_SCRUB_LONG) as spaces, at most @max_chars
 * characters, and every token this client has used replaced by
 * "<token>" — a hostile or confused service may echo it anywhere. */
gchar *
cloud_scrub (NemoCloud * cloud, const gchar * text, gsize max_chars)
{
  g_autofree gchar *valid = g_utf8_make_valid (text, -1);
  GString *out = g_string_new (NULL);
  gsize chars = 0;
  const gchar *p;
  guint i;

  for (i = 0; i < cloud->secrets->len; i++) {
    gchar **pieces = g_strsplit (valid, cloud->secrets->pdata[i], -1);

    g_free (valid);
    valid = g_strjoinv ("<token>", pieces);
    g_strfreev (pieces);
  }
  for (p = valid; *p != '\0' && chars < max_chars;
      p = g_utf8_next_char (p), chars++) {
    gunichar c = g_utf8_get_char (p);

    if (c < 0x20 && !(max_chars == CLOUD_SCRUB_LONG && c == '\n'))
      g_string_append_c (out, ' ');
    else
      g_string_append_unichar (out, c);
  }
  if (*p != '\0')
    g_string_append (out, "…");
  return g_string_free (out, FALSE);
}

/* Every string in @node scrubbed, in place. */
void
cloud_scrub_json (NemoCloud * cloud, JsonNode * node)
{
  g_autoptr (GList) members = NULL;
  GList *l;
  guint i;

  switch (json_node_get_node_type (node)) {
    case JSON_NODE_OBJECT:
      members = json_object_get_values (json_node_get_object (node));
      for (l = members; l != NULL; l = l->next)
        cloud_scrub_json (cloud, l->data);
      break;
    case JSON_NODE_ARRAY:
      for (i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
        cloud_scrub_json (cloud, json_array_get_element
            (json_node_get_array (node), i));
      break;
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_STRING) {
        g_autofree gchar *scrubbed = cloud_scrub (cloud,
            json_node_get_string (node), CLOUD_SCRUB_LONG);

        json_node_set_string (node, scrubbed);
      }
      break;
    case JSON_NODE_NULL:
      break;
  }
}

/* ---- envelopes and errors --------------------------------------------- */

static const gchar *
envelope_message (JsonNode * root)
{
  const gchar *message = cloud_json_string (root, "msg");

  if (message == NULL)
    message = cloud_json_string (root, "message");
  if (message == NULL)
    message = cloud_json_string (root, "error");
  if (message == NULL)
    message = cloud_json_string (cloud_json_member (root, "error"), "message");
  if (message == NULL)
    message = cloud_json_string (root, "errorMessage");
  return message != NULL && *message != '\0' ? message : NULL;
}

/* Both shapes: {"code":0,"data":…,"msg"|"message":…} and
 * {"success":true,"data":…} with errors in "error".  A code != 0 is an
 * error whatever the HTTP status; an HTTP error without a code is its
 * status (401 counts as an expired token). */
void
cloud_envelope_read (JsonNode * root, guint http_status,
    CloudEnvelope * envelope)
{
  JsonNode *success = cloud_json_member (root, "success");
  JsonNode *data = cloud_json_member (root, "data");
  gint code = 0;

  envelope->message = envelope_message (root);
  envelope->data = data != NULL && !JSON_NODE_HOLDS_NULL (data) ? data : NULL;

  if (json_code (root, "code", &code) && code != 0) {
    envelope->code = code;
    return;
  }
  if (success != NULL && JSON_NODE_HOLDS_VALUE (success)
      && json_node_get_value_type (success) == G_TYPE_BOOLEAN
      && !json_node_get_boolean (success)) {
    if (!json_code (cloud_json_member (root, "error"), "code", &code)
        && !json_code (root, "errorCode", &code))
      code = http_status >= 400 ? (gint) http_status : NEMO_ERROR_FAILED;
    envelope->code = code != 0 ? code : NEMO_ERROR_FAILED;
    return;
  }
  if (http_status == SOUP_STATUS_UNAUTHORIZED)
    envelope->code = NEMO_ERROR_TOKEN_EXPIRED;
  else if (http_status >= 400)
    envelope->code = http_status;
  else if (root != NULL && !JSON_NODE_HOLDS_OBJECT (root))
    envelope->code = NEMO_ERROR_FAILED;
  else
    envelope->code = 0;
}

/* The service's own words, for the end of an error message. */
static gchar *
service_words (NemoCloud * cloud, const gchar * message)
{
  g_autofree gchar *scrubbed = NULL;

  if (message == NULL)
    return g_strdup ("");
  scrubbed = cloud_scrub (cloud, message, CLOUD_SCRUB_SHORT);
  return g_strdup_printf (" (the service said: “%s”)", scrubbed);
}

static gchar *
register_link (NemoCloud * cloud, JsonNode * data)
{
  static const gchar *const keys[] = { "register_url", "registration_url",
    "bind_url", "registerUrl", "bindUrl"
  };
  g_autofree gchar *bind = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (keys); i++) {
    const gchar *url = cloud_json_string (data, keys[i]);

    if (url != NULL && (g_str_has_prefix (url, "https://")
            || g_str_has_prefix (url, "http://")))
      return cloud_scrub (cloud, url, CLOUD_SCRUB_SHORT);
  }
  bind = g_uri_escape_string (cloud->client_id, NULL, FALSE);
  return g_strdup_printf ("%s?bind=%s", CLOUD_REGISTER_URL, bind);
}

GError *
cloud_service_error (NemoCloud * cloud, const CloudCall * call, gint code,
    guint http_status, const gchar * service_message, JsonNode * data)
{
  g_autofree gchar *said = service_words (cloud, service_message);
  g_autofree gchar *link = NULL;
  g_autofree gchar *limit = NULL;
  g_autofree gchar *accepted = NULL;
  g_autofree gchar *file = call->file != NULL ?
      g_strdup_printf ("“%s”", call->file) : g_strdup ("the file");

  switch (code) {
    case NEMO_ERROR_TOKEN_EXPIRED:
      return g_error_new (NEMO_ERROR, code, "Could not %s: the service "
          "rejected the access token as expired or invalid, even after a new "
          "anonymous token was fetched%s. Set a valid token (the token "
          "property or NEMO_TOKEN), or try again later.", call->what, said);
    case NEMO_ERROR_SESSION_NOT_FOUND:
      return g_error_new (NEMO_ERROR, code, "Could not %s: the service does "
          "not know session %s, even after a new session was started%s. "
          "Start again without session-id.", call->what,
          cloud->session_id != NULL ? cloud->session_id : "(none)", said);
    case NEMO_ERROR_OUT_OF_CREDITS:
      link = register_link (cloud, data);
      return g_error_new (NEMO_ERROR, code, "Out of credits: could not %s. "
          "Register at %s to get more credits, or top up credits in your "
          "account if you are already registered.", call->what, link);
    case NEMO_ERROR_UNSUPPORTED_TYPE:
      accepted = nemo_service_accepted_text (FALSE);
      return g_error_new (NEMO_ERROR, code, "The service does not accept "
          "the type of %s%s. Accepted formats: %s. Convert it to one of them "
          "(H.264 MP4 for video, MP3 or WAV for audio, JPG or PNG for a "
          "picture).", file, said, accepted);
    case NEMO_ERROR_FILE_TOO_LARGE:
      limit = g_format_size (cloud->config.max_upload_size);
      return g_error_new (NEMO_ERROR, code, "%s is too large for the "
          "service%s. Make it smaller before uploading: lower max-upload-size "
          "(now %s) so it is re-encoded to fit, trim it with max-duration, or "
          "compress it.", file, said, limit);
    case NEMO_ERROR_EXPORT_BLOCKED:
      /* the service's own words are left out: this is a plan, not a
       * credit balance, whatever it says */
      return g_error_new (NEMO_ERROR, code, "Register or upgrade your plan "
          "to unlock export. The service's free plan does not allow this "
          "export (HTTP 402); this is about the plan, not the balance.");
    case NEMO_ERROR_RATE_LIMITED:
      if (call->flags & CLOUD_CALL_TOKEN)
        return g_error_new (NEMO_ERROR, code, "Could not %s: the service "
            "gives one anonymous token per client id every 7 days and "
            "refused another (HTTP 429)%s. Set the token property or "
            "NEMO_TOKEN to the token you already have.", call->what, said);
      return g_error_new (NEMO_ERROR, code, "Could not %s: the service is "
          "rate limiting this client (HTTP 429) and still was after the "
          "wait it asked for%s. Wait a few minutes and try again.",
          call->what, said);
    case NEMO_ERROR_MISSING_CLIENT_ID:
      return g_error_new (NEMO_ERROR, code, "Could not %s: the service "
          "refused the request (HTTP 400) even with an X-Client-Id%s. Check "
          "client-id and api-url.", call->what, said);
    default:
      if (http_status >= 400)
        return g_error_new (NEMO_ERROR, NEMO_ERROR_FAILED, "Could not %s: "
            "the service answered HTTP %u %s (code %d)%s. Check api-url; if "
            "it is right, try again later.", call->what, http_status,
            soup_status_get_phrase (http_status), code, said);
      return g_error_new (NEMO_ERROR, NEMO_ERROR_FAILED, "Could not %s: the "
          "service answered with error code %d%s. Try again; if it keeps "
          "failing, the service may have changed its protocol.", call->what,
          code, said);
  }
}

/* ---- the engine ------------------------------------------------------- */

static void
add_headers (NemoCloud * cloud, SoupMessage * msg, CloudCallFlags flags)
{
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  g_autofree gchar *bearer = NULL;

  /* a CDN or any other host gets none of our headers, the token least */
  if (!cloud_same_origin (soup_message_get_uri (msg), cloud->api_uri))
    return;
  soup_message_headers_replace (headers, "X-Skill-Source",
      cloud->config.skill_source);
  soup_message_headers_replace (headers, "X-Skill-Version",
      cloud->config.skill_version);
  soup_message_headers_replace (headers, "X-Skill-Platform",
      cloud->config.skill_platform);
  if ((flags & CLOUD_CALL_TOKEN) || cloud->send_client_id)
    soup_message_headers_replace (headers, "X-Client-Id", cloud->client_id);
  if (!(flags & CLOUD_CALL_TOKEN) && cloud->token != NULL) {
    bearer = g_strconcat ("Bearer ", cloud->token, NULL);
    soup_message_headers_replace (headers, "Authorization", bearer);
  }
}

static void
log_exchange (NemoCloud * cloud, SoupMessage * msg)
{
  GUri *uri = soup_message_get_uri (msg);
  g_autofree gchar *path = cloud_scrub (cloud, g_uri_get_path (uri),
      CLOUD_SCRUB_SHORT);

  /* method, path and status only: no query (a CDN URL may carry a
   * signature there), no header */
  if (cloud_same_origin (uri, cloud->api_uri))
    NEMO_DEBUG ("%s %s → %u", soup_message_get_method (msg), path,
        soup_message_get_status (msg));
  else
    NEMO_DEBUG ("%s %s:%d%s → %u", soup_message_get_method (msg),
        g_uri_get_host (uri), default_port (uri), path,
        soup_message_get_status (msg));
}

static SoupSession *
session_for (NemoCloud * cloud, CloudCallFlags flags)
{
  if (flags & CLOUD_CALL_EVENTS)
    return cloud->events_session;
  if (flags & CLOUD_CALL_DOWNLOAD)
    return cloud->download_session;
  return cloud->session;
}

/* Send, following GET redirects here rather than in libsoup so that every
 * hop gets the headers its own origin deserves. */
static gboolean
send_request (NemoCloud * cloud, const CloudCall * call,
    CloudResponse * response, GCancellable * cancellable, GError ** error)
{
  SoupMessage *msg = call->build (cloud, call->data, error);
  guint hops;

  if (msg == NULL)
    return FALSE;
  for (hops = 0;; hops++) {
    const gchar *location;
    g_autofree gchar *range = NULL;
    GUri *next;

    soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
    add_headers (cloud, msg, call->flags);
    response->msg = msg;
    response->stream = soup_session_send (session_for (cloud, call->flags),
        msg, cancellable, error);
    if (response->stream == NULL)
      return FALSE;
    response->status = soup_message_get_status (msg);
    cloud->last_http_status = response->status;
    log_exchange (cloud, msg);

    location = soup_message_headers_get_one (soup_message_get_response_headers
        (msg), "Location");
    if (!SOUP_STATUS_IS_REDIRECTION (response->status) || location == NULL
        || hops == CLOUD_MAX_REDIRECTS
        || g_strcmp0 (soup_message_get_method (msg), "GET") != 0)
      return TRUE;
    next = g_uri_parse_relative (soup_message_get_uri (msg), location,
        SOUP_HTTP_URI_FLAGS, NULL);
    if (next == NULL || !(g_str_equal (g_uri_get_scheme (next), "https")
            || g_str_equal (g_uri_get_scheme (next), "http"))) {
      g_clear_pointer (&next, g_uri_unref);
      return TRUE;
    }
    g_clear_object (&response->stream);
    range = g_strdup (soup_message_headers_get_one
        (soup_message_get_request_headers (msg), "Range"));
    g_object_unref (msg);
    msg = soup_message_new_from_uri ("GET", next);
    if (range != NULL)
      soup_message_headers_replace (soup_message_get_request_headers (msg),
          "Range", range);
    g_uri_unref (next);
  }
}

static gboolean
is_json_reply (SoupMessage * msg)
{
  const gchar *type = soup_message_headers_get_content_type
      (soup_message_get_response_headers (msg), NULL);

  return type != NULL && (g_str_equal (type, "application/json")
      || g_str_has_suffix (type, "+json"));
}

/* Read the reply body, bounded. */
static GBytes *
read_body (CloudResponse * response, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (GByteArray) body = g_byte_array_new ();
  guint8 chunk[16384];
  gssize n;

  while ((n = g_input_stream_read (response->stream, chunk, sizeof chunk,
              cancellable, error)) > 0) {
    if (body->len + n > CLOUD_MAX_JSON_REPLY) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED,
          "the reply is larger than %u bytes", CLOUD_MAX_JSON_REPLY);
      return NULL;
    }
    g_byte_array_append (body, chunk, n);
  }
  g_clear_object (&response->stream);
  if (n < 0)
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&body));
}

typedef enum
{
  EXCHANGE_DONE,                /* a reply to interpret */
  EXCHANGE_RETRY,               /* network error or 5xx: @failure says which */
  EXCHANGE_FATAL,               /* @error is set */
} ExchangeResult;

/* One request and its reply: the JSON parsed into response->root, or the
 * body left in response->stream for a streaming call. */
static ExchangeResult
exchange (NemoCloud * cloud, const CloudCall * call, CloudResponse * response,
    GCancellable * cancellable, GError ** failure, GError ** error)
{
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) parse_error = NULL;
  gboolean ok;

  ok = send_request (cloud, call, response, cancellable, failure);
  if (ok && SOUP_STATUS_IS_SERVER_ERROR (response->status))
    g_set_error (failure, NEMO_ERROR, NEMO_ERROR_FAILED,
        "the service answered HTTP %u %s", response->status,
        soup_status_get_phrase (response->status));
  else if (ok && (call->flags & CLOUD_CALL_STREAM)
      && SOUP_STATUS_IS_SUCCESSFUL (response->status)
      && !is_json_reply (response->msg))
    return EXCHANGE_DONE;
  else if (ok)
    body = read_body (response, cancellable, failure);

  /* our own failures (building the request, reading a local file) are
   * not the network's: no retry */
  if (!ok && g_error_matches (*failure, NEMO_ERROR, NEMO_ERROR_IO)) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_IO, "Could not %s: %s. Leave "
        "the file unchanged until the upload is done.", call->what,
        (*failure)->message);
    return EXCHANGE_FATAL;
  }
  if (!ok && (*failure)->domain == NEMO_ERROR) {
    g_propagate_error (error, g_steal_pointer (failure));
    return EXCHANGE_FATAL;
  }
  if (g_cancellable_is_cancelled (cancellable)
      || (*failure != NULL && cloud_is_cancelled (*failure))) {
    cloud_set_cancelled (error, call->what);
    return EXCHANGE_FATAL;
  }
  if (*failure != NULL)
    return EXCHANGE_RETRY;

  if (g_bytes_get_size (body) == 0)
    return EXCHANGE_DONE;
  parser = json_parser_new ();
  if (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
          g_bytes_get_size (body), &parse_error))
    response->root = json_parser_steal_root (parser);
  else if (SOUP_STATUS_IS_SUCCESSFUL (response->status)) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "Could not %s: the "
        "service's reply is not the JSON it should be (%s). Check api-url.",
        call->what, parse_error->message);
    return EXCHANGE_FATAL;
  }
  return EXCHANGE_DONE;
}

static guint
retry_after_seconds (SoupMessage * msg)
{
  const gchar *header = soup_message_headers_get_one
      (soup_message_get_response_headers (msg), "Retry-After");
  g_autofree gchar *value = NULL;
  guint64 seconds;
  GDateTime *when, *now;

  if (header == NULL)
    return CLOUD_RATE_LIMIT_WAIT_S;
  value = g_strstrip (g_strdup (header));
  if (g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT, &seconds, NULL))
    return MIN (seconds, CLOUD_RETRY_AFTER_MAX_S);
  when = soup_date_time_new_from_http_string (value);
  if (when == NULL)
    return CLOUD_RATE_LIMIT_WAIT_S;
  now = g_date_time_new_now_utc ();
  seconds = CLAMP (g_date_time_difference (when, now) / G_TIME_SPAN_SECOND,
      0, CLOUD_RETRY_AFTER_MAX_S);
  g_date_time_unref (when);
  g_date_time_unref (now);
  return seconds;
}

static guint64
backoff_ms (NemoCloud * cloud, guint failures)
{
  guint64 delay = cloud->backoff_base_ms;

  while (failures-- > 0 && delay < CLOUD_BACKOFF_MAX_MS)
    delay *= 2;
  return MIN (delay, CLOUD_BACKOFF_MAX_MS);
}

static gboolean
ensure_token (NemoCloud * cloud, GCancellable * cancellable, GError ** error);

static gboolean
recover_session (NemoCloud * cloud, GCancellable * cancellable,
    GError ** error)
{
  gboolean ret = FALSE;
  guint i;

  NEMO_DEBUG ("session lost: starting a new one and replaying %u upload(s)",
      cloud->uploads->len);
  cloud->recovering = TRUE;
  if (!cloud_new_session (cloud, cancellable, error))
    goto end;
  for (i = 0; i < cloud->uploads->len; i++)
    if (!cloud_upload_replay (cloud, g_ptr_array_index (cloud->uploads, i),
            cancellable, error))
      goto end;
  ret = TRUE;

end:
  cloud->recovering = FALSE;
  return ret;
}

/* Failures that leave no doubt the request never reached the service. */
static gboolean
never_sent (GError * failure)
{
  return failure->domain == G_RESOLVER_ERROR
      || g_error_matches (failure, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)
      || g_error_matches (failure, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND)
      || g_error_matches (failure, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE)
      || g_error_matches (failure, G_IO_ERROR,
      G_IO_ERROR_NETWORK_UNREACHABLE);
}

/* What went wrong with the connection, in words. */
static gchar *
describe_failure (NemoCloud * cloud, const CloudCall * call,
    GError * failure)
{
  if (g_error_matches (failure, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_strdup_printf ("the service sent nothing for %u s",
        soup_session_get_timeout (session_for (cloud, call->flags)));
  return g_strdup_printf ("the connection failed (%s)", failure->message);
}

/* A failure to reach the service or read its reply: retried while
 * @failures allows, unless the request may have done its work already;
 * FALSE with @error set when it is over. */
static gboolean
retry_after_failure (NemoCloud * cloud, const CloudCall * call,
    guint * failures, GError * failure, GCancellable * cancellable,
    GError ** error)
{
  GUri *uri = g_uri_parse (cloud->config.api_url, SOUP_HTTP_URI_FLAGS, NULL);
  g_autofree gchar *host = g_strdup (g_uri_get_host (uri));
  g_autofree gchar *what_failed = describe_failure (cloud, call, failure);

  g_uri_unref (uri);
  if (failure->domain == G_TLS_ERROR) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "Could not %s: the "
        "TLS certificate of the service was not accepted (%s). Check "
        "api-url: certificates are always verified.", call->what,
        failure->message);
    return FALSE;
  }
  if (call->if_lost != NULL && failure->domain != NEMO_ERROR
      && !never_sent (failure)) {
    if (call->lost != NULL)
      *call->lost = TRUE;
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "Could not %s: %s "
        "after the request was sent, so it was not sent again: the service "
        "may have received it. %s", call->what, what_failed, call->if_lost);
    return FALSE;
  }
  if (*failures < cloud->config.retries) {
    guint64 delay = backoff_ms (cloud, *failures);

    (*failures)++;
    NEMO_DEBUG ("attempt %u failed, retrying in %" G_GUINT64_FORMAT " ms",
        *failures, delay);
    return cloud_wait (cloud, delay, call->what, cancellable, error);
  }
  if (failure->domain == NEMO_ERROR)   /* an HTTP 5xx, already worded */
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "Could not %s: %s "
        "after %u attempts. The service may be down or overloaded; try "
        "again later.", call->what, failure->message, *failures + 1);
  else
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "Could not %s: no "
        "usable answer from %s after %u attempts (%s). Check the network "
        "connection and api-url.", call->what, host, *failures + 1,
        what_failed);
  return FALSE;
}

/* What call_with_recovery () has tried for one call: each recovery once. */
typedef struct
{
  guint failures;               /* network errors and 5xx so far */
  gboolean token_renewed, session_renewed, rate_waited, client_id_added;
} CloudRecovery;

typedef enum
{
  RECOVERY_DONE,                /* the reply is the caller's */
  RECOVERY_AGAIN,               /* recovered: send the call again */
  RECOVERY_NONE,                /* nothing (more) to try: the code is final */
  RECOVERY_FAILED,              /* the recovery itself failed: @error is set */
} CloudRecoveryStep;

/* What to do about the service's @code (docs/protocol.md, Errors). */
static CloudRecoveryStep
recover_from_code (NemoCloud * cloud, const CloudCall * call,
    CloudResponse * response, gint code, CloudRecovery * tried,
    GCancellable * cancellable, GError ** error)
{
  switch (code) {
    case 0:
      return RECOVERY_DONE;
    case NEMO_ERROR_TOKEN_EXPIRED:
      if ((call->flags & CLOUD_CALL_TOKEN) || tried->token_renewed)
        return RECOVERY_NONE;
      NEMO_DEBUG ("token rejected: getting a new anonymous token");
      tried->token_renewed = TRUE;
      g_clear_pointer (&cloud->token, g_free);
      return RECOVERY_AGAIN;
    case NEMO_ERROR_SESSION_NOT_FOUND:
      if (!(call->flags & CLOUD_CALL_SESSION) || tried->session_renewed
          || cloud->recovering)
        return RECOVERY_NONE;
      tried->session_renewed = TRUE;
      return recover_session (cloud, cancellable, error) ? RECOVERY_AGAIN :
          RECOVERY_FAILED;
    case NEMO_ERROR_RATE_LIMITED:
      response->retry_after_s = retry_after_seconds (response->msg);
      if (call->flags & CLOUD_CALL_RATE_TO_CALLER) {
        response->rate_limited = TRUE;
        return RECOVERY_DONE;
      }
      if (tried->rate_waited)
        return RECOVERY_NONE;
      tried->rate_waited = TRUE;
      NEMO_DEBUG ("rate limited: waiting %u s", response->retry_after_s);
      return cloud_wait (cloud, response->retry_after_s * (guint64) 1000,
          call->what, cancellable, error) ? RECOVERY_AGAIN : RECOVERY_FAILED;
    case NEMO_ERROR_MISSING_CLIENT_ID:
      if (tried->client_id_added || cloud->send_client_id
          || (call->flags & CLOUD_CALL_TOKEN))
        return RECOVERY_NONE;
      NEMO_DEBUG ("the service wants X-Client-Id: adding it");
      tried->client_id_added = cloud->send_client_id = TRUE;
      return RECOVERY_AGAIN;
    default:
      return RECOVERY_NONE;
  }
}

static gboolean
call_with_recovery (NemoCloud * cloud, const CloudCall * call,
    CloudResponse * response, GCancellable * cancellable, GError ** error)
{
  CloudRecovery tried = { 0, };

  for (;;) {
    g_autoptr (GError) failure = NULL;
    CloudEnvelope envelope;

    cloud_response_clear (response);
    if (!(call->flags & CLOUD_CALL_TOKEN)
        && !ensure_token (cloud, cancellable, error))
      return FALSE;

    switch (exchange (cloud, call, response, cancellable, &failure, error)) {
      case EXCHANGE_FATAL:
        return FALSE;
      case EXCHANGE_RETRY:
        if (!retry_after_failure (cloud, call, &tried.failures, failure,
                cancellable, error))
          return FALSE;
        continue;
      case EXCHANGE_DONE:
        break;
    }
    if (response->stream != NULL)
      return TRUE;

    cloud_envelope_read (response->root, response->status, &envelope);
    response->data = envelope.data != NULL ? envelope.data : response->root;
    switch (recover_from_code (cloud, call, response, envelope.code, &tried,
            cancellable, error)) {
      case RECOVERY_DONE:
        return TRUE;
      case RECOVERY_AGAIN:
        continue;
      case RECOVERY_FAILED:
        return FALSE;
      case RECOVERY_NONE:
        break;
    }
    g_propagate_error (error, cloud_service_error (cloud, call, envelope.code,
            response->status, envelope.message, envelope.data));
    return FALSE;
  }
}

/* Send @call, applying the error table of docs/protocol.md, Errors; on
 * failure @response is left empty. */
gboolean
cloud_call (NemoCloud * cloud, const CloudCall * call,
    CloudResponse * response, GCancellable * cancellable, GError ** error)
{
  memset (response, 0, sizeof *response);
  if (call_with_recovery (cloud, call, response, cancellable, error))
    return TRUE;
  cloud_response_clear (response);
  return FALSE;
}

void
cloud_response_clear (CloudResponse * response)
{
  g_clear_object (&response->stream);
  g_clear_object (&response->msg);
  g_clear_pointer (&response->root, json_node_unref);
  response->data = NULL;
  response->status = 0;
  response->rate_limited = FALSE;
}

/* ---- token, session, credits, state ----------------------------------- */

static SoupMessage *
build_token_request (NemoCloud * cloud, gpointer data, GError ** error)
{
  return cloud_message_new (cloud, "POST", "/api/auth/anonymous-token");
}

static gboolean
ensure_token (NemoCloud * cloud, GCancellable * cancellable, GError ** error)
{
  CloudCall call = { "get an anonymous access token", NULL,
    CLOUD_CALL_TOKEN, build_token_request, NULL
  };
  CloudResponse response;
  const gchar *token;
  gboolean ret = FALSE;

  if (cloud->token != NULL)
    return TRUE;
  if (!cloud_call (cloud, &call, &response, cancellable, error))
    return FALSE;
  token = cloud_json_string (response.data, "token");
  if (token == NULL || *token == '\0') {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_TOKEN_EXPIRED, "Could not %s: "
        "the service's reply has no token. Set the token property or "
        "NEMO_TOKEN.", call.what);
    goto end;
  }
  cloud->token = g_strdup (token);
  cloud_remember_token (cloud, token);
  NEMO_DEBUG ("got an anonymous token");
  ret = TRUE;

end:
  cloud_response_clear (&response);
  return ret;
}

static SoupMessage *
build_session_request (NemoCloud * cloud, gpointer data, GError ** error)
{
  SoupMessage *msg = cloud_message_new (cloud, "POST",
      "/api/tasks/me/with-session/nemo_agent");
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "task_name");
  json_builder_add_string_value (builder, "project");
  json_builder_set_member_name (builder, "language");
  json_builder_add_string_value (builder, cloud->config.language);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  cloud_message_set_json (msg, body);
  return msg;
}

static void
post_job (NemoCloud * cloud, const gchar * render_id)
{
  if (cloud->callbacks.job != NULL)
    cloud->callbacks.job (cloud->session_id, render_id, cloud->user_data);
}

gboolean
cloud_new_session (NemoCloud * cloud, GCancellable * cancellable,
    GError ** error)
{
  CloudCall call = { "start a session", NULL, 0, build_session_request, NULL };
  CloudResponse response;
  g_autofree gchar *session_id = NULL;

  if (!cloud_call (cloud, &call, &response, cancellable, error))
    return FALSE;
  session_id = cloud_json_id (response.data, "session_id");
  cloud_response_clear (&response);
  if (session_id == NULL) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_SESSION_NOT_FOUND,
        "Could not %s: the service's reply has no session_id. Check api-url.",
        call.what);
    return FALSE;
  }
  g_free (cloud->session_id);
  /* it is shown (job callback, messages, logs) like any text of theirs */
  cloud->session_id = cloud_scrub (cloud, session_id, CLOUD_SCRUB_SHORT);
  NEMO_DEBUG ("session %s", cloud->session_id);
  post_job (cloud, NULL);
  return TRUE;
}

gboolean
nemo_cloud_open_session (NemoCloud * cloud, const gchar * session_id,
    GCancellable * cancellable, GError ** error)
{
  if (session_id != NULL && *session_id != '\0') {
    g_free (cloud->session_id);
    cloud->session_id = g_strdup (session_id);
    g_ptr_array_set_size (cloud->uploads, 0);
    post_job (cloud, NULL);
  } else if (!cloud_new_session (cloud, cancellable, error))
    return FALSE;
  return nemo_cloud_refresh_credits (cloud, cancellable, error);
}

static SoupMessage *
build_credits_request (NemoCloud * cloud, gpointer data, GError ** error)
{
  return cloud_message_new (cloud, "GET", "/api/credits/balance/simple");
}

gboolean
nemo_cloud_refresh_credits (NemoCloud * cloud, GCancellable * cancellable,
    GError ** error)
{
  CloudCall call = { "read the credit balance", NULL, 0,
    build_credits_request, NULL
  };
  CloudResponse response;

  if (!cloud_call (cloud, &call, &response, cancellable, error))
    return FALSE;
  if (cloud->callbacks.credits != NULL)
    cloud->callbacks.credits (json_int64 (response.data, "available"),
        json_int64 (response.data, "frozen"),
        json_int64 (response.data, "total"), cloud->user_data);
  cloud_response_clear (&response);
  return TRUE;
}

static SoupMessage *
build_state_request (NemoCloud * cloud, gpointer data, GError ** error)
{
  g_autofree gchar *sid = g_uri_escape_string (cloud->session_id, NULL, FALSE);
  g_autofree gchar *path = g_strdup_printf ("/api/state/nemo_agent/me/%s/latest",
      sid);

  return cloud_message_new (cloud, "GET", path);
}

JsonNode *
nemo_cloud_get_state (NemoCloud * cloud, GCancellable * cancellable,
    GError ** error)
{
  CloudCall call = { "read the session state", NULL, CLOUD_CALL_SESSION,
    build_state_request, NULL
  };
  CloudResponse response;
  JsonNode *state;
  JsonNode *ret = NULL;

  if (!cloud_require_session (cloud, call.what, error)
      || !cloud_call (cloud, &call, &response, cancellable, error))
    return NULL;
  state = cloud_json_member (response.data, "state");
  if (state == NULL || !JSON_NODE_HOLDS_OBJECT (state))
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "Could not %s: the "
        "service's reply has no state object. Check api-url.", call.what);
  else {
    ret = json_node_copy (state);
    cloud_scrub_json (cloud, ret);
  }
  cloud_response_clear (&response);
  return ret;
}
