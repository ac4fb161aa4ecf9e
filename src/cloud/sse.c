/* nemorender cloud client: the chat stream.
 *
 * NemoSseReader reads Server-Sent Events line by line (LF, a CR before it
 * stripped) over a GDataInputStream, scanning its buffer itself so that a
 * line can never grow past max_line.  Only `data:` fields matter (the
 * service sends no `event:` or `id:`); a comment line (": …") is a
 * keepalive and comes back as "", like an empty data line.
 *
 * nemo_chat_event_parse() classifies a payload of either documented shape:
 * ADK events (content.parts[].text / functionCall / functionResponse,
 * partial, errorCode/errorMessage) and typed events (type: text, tool_call,
 * tool_result, heartbeat), plus {"error": …}.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cloud-private.h"

#include <string.h>

#define SSE_FIRST_BUFFER (64 * 1024)

struct _NemoSseReader
{
  GDataInputStream *input;
  gsize max_line;
};

NemoSseReader *
nemo_sse_reader_new (GInputStream * stream, gsize max_line)
{
  NemoSseReader *reader = g_new0 (NemoSseReader, 1);

  reader->max_line = max_line > 0 ? max_line : CLOUD_SSE_MAX_LINE;
  reader->input = g_data_input_stream_new (stream);
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM
      (reader->input), FALSE);
  g_buffered_input_stream_set_buffer_size (G_BUFFERED_INPUT_STREAM
      (reader->input), MIN (SSE_FIRST_BUFFER, reader->max_line + 2));
  return reader;
}

void
nemo_sse_reader_free (NemoSseReader * reader)
{
  if (reader == NULL)
    return;
  g_object_unref (reader->input);
  g_free (reader);
}

static gchar *
take_line (NemoSseReader * reader, const gchar * buffer, gsize length,
    gsize consumed, GError ** error)
{
  gchar *line;

  if (length > 0 && buffer[length - 1] == '\r')
    length--;
  if (length > reader->max_line) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "The chat stream sent "
        "a line longer than %" G_GSIZE_FORMAT " bytes; the service or a "
        "proxy in between is sending something that is not an event "
        "stream.", reader->max_line);
    return NULL;
  }
  line = g_strndup (buffer, length);
  /* the bytes are in the buffer already: skipping them cannot block */
  g_input_stream_skip (G_INPUT_STREAM (reader->input), consumed, NULL, NULL);
  return line;
}

/* The next line; NULL with no error at the end of the stream. */
static gchar *
read_line (NemoSseReader * reader, GCancellable * cancellable,
    GError ** error)
{
  GBufferedInputStream *buffered = G_BUFFERED_INPUT_STREAM (reader->input);
  gsize scanned = 0;

  for (;;) {
    gsize available, size;
    const gchar *buffer = g_buffered_input_stream_peek_buffer (buffered,
        &available);
    const gchar *newline = memchr (buffer + scanned, '\n',
        available - scanned);
    gssize filled;

    if (newline != NULL)
      return take_line (reader, buffer, newline - buffer,
          newline - buffer + 1, error);
    scanned = available;
    if (available > reader->max_line + 1)
      return take_line (reader, buffer, available, available, error);

    size = g_buffered_input_stream_get_buffer_size (buffered);
    if (available == size)
      g_buffered_input_stream_set_buffer_size (buffered, MIN (size * 2,
              reader->max_line + 2));
    filled = g_buffered_input_stream_fill (buffered, -1, cancellable, error);
    if (filled < 0)
      return NULL;
    if (filled == 0) {          /* the end: a last line without LF counts */
      buffer = g_buffered_input_stream_peek_buffer (buffered, &available);
      return available > 0 ?
          take_line (reader, buffer, available, available, error) : NULL;
    }
  }
}

gchar *
nemo_sse_reader_next (NemoSseReader * reader, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (GString) data = NULL;      /* the data lines of this event */

  for (;;) {
    g_autofree gchar *line = NULL;
    GError *local_error = NULL;
    const gchar *value;

    line = read_line (reader, cancellable, &local_error);
    if (line == NULL) {
      if (local_error != NULL) {
        g_propagate_error (error, local_error);
        return NULL;
      }
      return data != NULL ? g_string_free (g_steal_pointer (&data), FALSE)
          : NULL;
    }
    if (*line == '\0') {        /* a blank line ends the event */
      if (data != NULL)
        return g_string_free (g_steal_pointer (&data), FALSE);
      continue;
    }
    if (*line == ':') {         /* a comment: a keepalive */
      if (data == NULL)
        return g_strdup ("");
      continue;
    }
    if (!g_str_has_prefix (line, "data"))
      continue;                 /* event:, id:, retry: or unknown */
    value = line + 4;
    if (*value == ':')
      value++;
    else if (*value != '\0')
      continue;                 /* "database: …" is not "data" */
    if (*value == ' ')
      value++;
    if (data == NULL)
      data = g_string_new (value);
    else
      g_string_append_printf (data, "\n%s", value);
    if (data->len > reader->max_line) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "The chat stream "
          "sent an event larger than %" G_GSIZE_FORMAT " bytes.",
          reader->max_line);
      return NULL;
    }
  }
}

/* ---- payloads --------------------------------------------------------- */

static gboolean
is_true (JsonNode * object_node, const gchar * key)
{
  JsonNode *member = cloud_json_member (object_node, key);

  return member != NULL && JSON_NODE_HOLDS_VALUE (member)
      && json_node_get_value_type (member) == G_TYPE_BOOLEAN
      && json_node_get_boolean (member);
}

/* {"error": "…"} or {"error": {"message": "…"}} or errorCode/errorMessage */
static gchar *
error_text (JsonNode * root)
{
  JsonNode *error = cloud_json_member (root, "error");
  const gchar *message = cloud_json_string (root, "errorMessage");
  g_autofree gchar *code = cloud_json_id (root, "errorCode");

  if (error != NULL && JSON_NODE_HOLDS_VALUE (error)
      && json_node_get_value_type (error) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (error));
  if (error != NULL && JSON_NODE_HOLDS_OBJECT (error))
    return g_strdup (cloud_json_string (error, "message") != NULL ?
        cloud_json_string (error, "message") : "unknown error");
  if (message != NULL && code != NULL)
    return g_strdup_printf ("%s (%s)", message, code);
  if (message != NULL)
    return g_strdup (message);
  return g_steal_pointer (&code);
}

/* The text parts of an ADK event's content, thoughts and tool parts left
 * out; NULL when there is no text. */
static gchar *
adk_text (JsonNode * content)
{
  JsonNode *parts = cloud_json_member (content, "parts");
  g_autoptr (GString) text = g_string_new (NULL);
  JsonArray *array;
  guint i;

  if (parts == NULL || !JSON_NODE_HOLDS_ARRAY (parts)
      || g_strcmp0 (cloud_json_string (content, "role"), "user") == 0)
    return NULL;
  array = json_node_get_array (parts);
  for (i = 0; i < json_array_get_length (array); i++) {
    JsonNode *part = json_array_get_element (array, i);
    const gchar *piece = cloud_json_string (part, "text");

    if (piece != NULL && !is_true (part, "thought"))
      g_string_append (text, piece);
  }
  return text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

static NemoChatEventType
typed_event (JsonNode * root, const gchar * type, gchar ** text)
{
  const gchar *content = cloud_json_string (root, "content");

  if (content == NULL)
    content = cloud_json_string (root, "text");
  if (g_str_equal (type, "heartbeat") || g_str_equal (type, "ping"))
    return NEMO_CHAT_EVENT_HEARTBEAT;
  if (g_str_equal (type, "error")) {
    *text = content != NULL ? g_strdup (content) : error_text (root);
    if (*text == NULL)
      *text = g_strdup ("unknown error");
    return NEMO_CHAT_EVENT_ERROR;
  }
  if (g_str_equal (type, "text") && content != NULL && *content != '\0') {
    *text = g_strdup (content);
    return is_true (root, "partial") ? NEMO_CHAT_EVENT_PARTIAL :
        NEMO_CHAT_EVENT_TEXT;
  }
  return NEMO_CHAT_EVENT_IGNORE;        /* tool_call, tool_result, unknown */
}

NemoChatEventType
nemo_chat_event_parse (const gchar * payload, gchar ** text)
{
  g_autoptr (JsonParser) parser = NULL;
  JsonNode *root;
  const gchar *type;
  gchar *found = NULL;
  NemoChatEventType ret = NEMO_CHAT_EVENT_IGNORE;

  if (text != NULL)
    *text = NULL;
  if (payload == NULL || payload[strspn (payload, " \t\r\n")] == '\0')
    return NEMO_CHAT_EVENT_HEARTBEAT;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, payload, -1, NULL))
    return NEMO_CHAT_EVENT_IGNORE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NEMO_CHAT_EVENT_IGNORE;

  type = cloud_json_string (root, "type");
  if (type != NULL)
    ret = typed_event (root, type, &found);
  else if (cloud_json_member (root, "error") != NULL
      || cloud_json_member (root, "errorCode") != NULL
      || cloud_json_member (root, "errorMessage") != NULL) {
    found = error_text (root);
    ret = NEMO_CHAT_EVENT_ERROR;
    if (found == NULL)
      found = g_strdup ("unknown error");
  } else if ((found = adk_text (cloud_json_member (root, "content"))) != NULL)
    ret = is_true (root, "partial") ? NEMO_CHAT_EVENT_PARTIAL :
        NEMO_CHAT_EVENT_TEXT;

  if (text != NULL)
    *text = found;
  else
    g_free (found);
  return ret;
}

/* ---- partial texts ---------------------------------------------------- */

void
cloud_chat_collector_init (CloudChatCollector * collector)
{
  collector->partial = g_string_new (NULL);
}

void
cloud_chat_collector_clear (CloudChatCollector * collector)
{
  g_string_free (collector->partial, TRUE);
}

/* The text to post now, or NULL: partial chunks wait for the event that
 * repeats them whole. */
gchar *
cloud_chat_collector_feed (CloudChatCollector * collector,
    NemoChatEventType type, const gchar * text)
{
  switch (type) {
    case NEMO_CHAT_EVENT_PARTIAL:
      if (collector->partial->len + strlen (text) <= CLOUD_SSE_MAX_LINE)
        g_string_append (collector->partial, text);
      return NULL;
    case NEMO_CHAT_EVENT_TEXT:
      g_string_truncate (collector->partial, 0);
      return g_strdup (text);
    default:
      return NULL;
  }
}

/* Partial chunks whose full text never came: they are all there is. */
gchar *
cloud_chat_collector_finish (CloudChatCollector * collector)
{
  gchar *text = NULL;

  if (collector->partial->len > 0)
    text = g_strdup (collector->partial->str);
  g_string_truncate (collector->partial, 0);
  return text;
}
