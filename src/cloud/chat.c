/* nemorender cloud client: one chat turn over /run_sse.
 *
 * The stream is read to its end: complete texts are posted as replies
 * (GUI wording translated), partial chunks wait for their full text, tool
 * calls and results stay internal, heartbeats keep the turn alive and
 * every still_working period without text says so.  Silence is bounded
 * by the stream's I/O timeout (timeout_s), the whole turn by chat_limit_s.
 * A reply that is neither the event stream nor JSON is an error.  A turn
 * that ends with no text, or whose text asks to look at the timeline, is
 * followed by a state read and the timeline callback.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cloud-private.h"
#include <nemo/log.h>

#include <nemo/draft.h>

typedef struct
{
  NemoCloud *cloud;
  gint64 started;               /* monotonic µs */
  gint64 quiet_since;           /* last text, or the start */
  guint notices;                /* still_working calls since quiet_since */
  gboolean any_text;
  CloudGuiActions actions;
  CloudChatCollector collector;
} ChatTurn;

static SoupMessage *
build_chat_request (NemoCloud * cloud, gpointer data, GError ** error)
{
  const gchar *message = data;
  SoupMessage *msg = cloud_message_new (cloud, "POST", "/run_sse");
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "app_name");
  json_builder_add_string_value (builder, "nemo_agent");
  json_builder_set_member_name (builder, "user_id");
  json_builder_add_string_value (builder, "me");
  json_builder_set_member_name (builder, "session_id");
  json_builder_add_string_value (builder, cloud->session_id);
  json_builder_set_member_name (builder, "new_message");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "parts");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  cloud_message_set_json (msg, body);
  soup_message_headers_replace (soup_message_get_request_headers (msg),
      "Accept", "text/event-stream");
  return msg;
}

static void
post_reply (ChatTurn * turn, const gchar * text)
{
  NemoCloud *cloud = turn->cloud;
  CloudGuiActions actions;
  g_autofree gchar *scrubbed = cloud_scrub (cloud, text, CLOUD_SCRUB_LONG);
  g_autofree gchar *translated = cloud_gui_translate (scrubbed, &actions);

  if (*g_strstrip (translated) == '\0')
    return;
  turn->any_text = TRUE;
  turn->actions |= actions;
  if (cloud->callbacks.reply != NULL)
    cloud->callbacks.reply (translated, cloud->user_data);
}

/* Heartbeats and tool traffic mean the agent is busy: say so every
 * still_working period since the last text. */
static void
note_event (ChatTurn * turn, NemoChatEventType type)
{
  NemoCloud *cloud = turn->cloud;
  gint64 now = g_get_monotonic_time ();
  gint64 period = (gint64) cloud->still_working_ms * G_TIME_SPAN_MILLISECOND;

  if (type == NEMO_CHAT_EVENT_TEXT || type == NEMO_CHAT_EVENT_PARTIAL) {
    turn->quiet_since = now;
    turn->notices = 0;
    return;
  }
  if (now - turn->quiet_since < period * (turn->notices + 1))
    return;
  turn->notices = (now - turn->quiet_since) / MAX (period, 1);
  NEMO_DEBUG ("agent still working after %" G_GINT64_FORMAT " ms",
      (now - turn->started) / G_TIME_SPAN_MILLISECOND);
  if (cloud->callbacks.still_working != NULL)
    cloud->callbacks.still_working ((now - turn->started) * 1000,
        cloud->user_data);
}

static void
set_stream_error (NemoCloud * cloud, GError * failure, GError ** error)
{
  if (g_error_matches (failure, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "The agent sent "
        "nothing for %u s, not even a heartbeat, so the chat was given up. "
        "The service may be overloaded: try again later, or raise timeout.",
        cloud->config.timeout_s);
  else if (failure->domain == NEMO_ERROR)
    g_propagate_error (error, g_error_copy (failure));
  else
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "The connection to "
        "the agent broke off during the chat (%s). The edit may or may not "
        "have been applied: check the timeline, then try again.",
        failure->message);
}

/* Read the event stream to its end. */
static gboolean
read_turn (ChatTurn * turn, GInputStream * stream, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (NemoSseReader) reader = nemo_sse_reader_new (stream,
      CLOUD_SSE_MAX_LINE);

  for (;;) {
    g_autoptr (GError) failure = NULL;
    g_autofree gchar *payload = NULL;
    g_autofree gchar *text = NULL;
    g_autofree gchar *complete = NULL;
    NemoChatEventType type;

    payload = nemo_sse_reader_next (reader, cancellable, &failure);
    if (payload == NULL && failure == NULL)
      break;
    if (payload == NULL) {
      if (g_cancellable_is_cancelled (cancellable)
          || cloud_is_cancelled (failure))
        cloud_set_cancelled (error, "read the agent's reply");
      else
        set_stream_error (turn->cloud, failure, error);
      return FALSE;
    }
    type = nemo_chat_event_parse (payload, &text);
    if (type == NEMO_CHAT_EVENT_ERROR) {
      g_autofree gchar *said = cloud_scrub (turn->cloud, text,
          CLOUD_SCRUB_SHORT);

      g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "The agent failed "
          "while working on the request: %s. Try again, or put the request "
          "differently.", said);
      return FALSE;
    }
    note_event (turn, type);
    complete = cloud_chat_collector_feed (&turn->collector, type, text);
    if (complete != NULL)
      post_reply (turn, complete);
  }

  {
    g_autofree gchar *rest = cloud_chat_collector_finish (&turn->collector);

    if (rest != NULL)
      post_reply (turn, rest);
  }
  return TRUE;
}

/* Read the state and post the timeline it holds. */
static gboolean
post_timeline (NemoCloud * cloud, GCancellable * cancellable, GError ** error)
{
  g_autoptr (JsonNode) state = NULL;
  g_autoptr (NemoDraft) draft = NULL;
  g_autofree gchar *summary = NULL;
  g_autofree gchar *draft_json = NULL;
  JsonNode *draft_node;

  state = nemo_cloud_get_state (cloud, cancellable, error);
  if (state == NULL)
    return FALSE;
  draft_node = cloud_json_member (state, "draft");
  if (draft_node == NULL || JSON_NODE_HOLDS_NULL (draft_node)) {
    NEMO_DEBUG ("the session state has no draft yet");
    return TRUE;
  }
  draft = nemo_draft_from_node (draft_node, error);
  if (draft == NULL)
    return FALSE;
  summary = nemo_draft_summary (draft);
  if (JSON_NODE_HOLDS_VALUE (draft_node)
      && json_node_get_value_type (draft_node) == G_TYPE_STRING)
    draft_json = g_strdup (json_node_get_string (draft_node));
  else
    draft_json = json_to_string (draft_node, FALSE);
  if (cloud->callbacks.timeline != NULL)
    cloud->callbacks.timeline (summary, draft_json, cloud->user_data);
  return TRUE;
}

/* The reply must be the event stream (or a JSON envelope, a turn without
 * text): a web page or anything else means the message went nowhere. */
static gboolean
check_event_stream (NemoCloud * cloud, CloudResponse * response,
    GError ** error)
{
  const gchar *type;
  g_autofree gchar *what = NULL;

  if (response->stream == NULL)
    return TRUE;
  type = soup_message_headers_get_content_type
      (soup_message_get_response_headers (response->msg), NULL);
  if (type != NULL && g_ascii_strcasecmp (type, "text/event-stream") == 0)
    return TRUE;
  what = cloud_describe_type (cloud, type);
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "The service answered "
      "the chat message with %s instead of the agent's event stream, so the "
      "prompt was not taken up. Check api-url; if it is right, try again "
      "later.", what);
  return FALSE;
}

static gboolean
chat_turn (NemoCloud * cloud, const gchar * message, const gchar * if_lost,
    GCancellable * cancellable, GError ** error)
{
  CloudCall call = { "send the message to the agent", NULL,
    CLOUD_CALL_SESSION | CLOUD_CALL_STREAM | CLOUD_CALL_EVENTS,
    build_chat_request, (gpointer) message, if_lost
  };
  CloudResponse response;
  ChatTurn turn = { cloud, };
  gboolean ret = FALSE;

  if (!cloud_call (cloud, &call, &response, cancellable, error))
    return FALSE;

  turn.started = turn.quiet_since = g_get_monotonic_time ();
  cloud_chat_collector_init (&turn.collector);
  if (!check_event_stream (cloud, &response, error))
    goto end;
  /* a JSON reply instead of a stream is a turn without text */
  if (response.stream != NULL
      && !read_turn (&turn, response.stream, cancellable, error))
    goto end;
  if ((!turn.any_text || (turn.actions & CLOUD_GUI_READ_STATE))
      && !post_timeline (cloud, cancellable, error))
    goto end;
  ret = TRUE;

end:
  cloud_chat_collector_clear (&turn.collector);
  cloud_response_clear (&response);
  return ret;
}

/* One turn, chat_limit_s at most whatever heartbeats say. */
gboolean
nemo_cloud_chat (NemoCloud * cloud, const gchar * message,
    GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *if_lost = NULL;
  g_autoptr (GError) turn_error = NULL;
  CloudDeadline deadline;
  gboolean ok;

  g_return_val_if_fail (message != NULL, FALSE);
  if (!cloud_require_session (cloud, "send the message to the agent", error))
    return FALSE;
  if_lost = g_strdup_printf ("Look at the timeline of session-id=%s before "
      "sending the message again.", cloud->session_id);
  cloud_progress (cloud, "chat", 0.0);

  cloud_deadline_start (&deadline, cloud->config.chat_limit_s, cancellable);
  ok = chat_turn (cloud, message, if_lost, deadline.cancellable, &turn_error);
  if (cloud_deadline_stop (&deadline)) {
    g_clear_error (&turn_error);
    g_set_error (&turn_error, NEMO_ERROR, NEMO_ERROR_FAILED, "The agent "
        "was still not done after %u s (chat-limit), so the chat was given "
        "up. The edit may or may not have been applied: look at the "
        "timeline of session-id=%s, then try again, or raise chat-limit.",
        cloud->config.chat_limit_s, cloud->session_id);
    ok = FALSE;
  }
  if (!ok) {
    g_propagate_error (error, g_steal_pointer (&turn_error));
    return FALSE;
  }
  cloud_progress (cloud, "chat", 100.0);
  return TRUE;
}
