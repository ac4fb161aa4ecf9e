/* nemo-sim: the agent behind /run_sse.
 *
 * Each message builds the session's draft again from its uploads (the song
 * under the pictures and clips, the prompt in the metadata, an aspect ratio
 * if the prompt names one) and answers the way the service does: a tool call
 * and its result, then the reply as partial chunks and the full text (ADK
 * shape), or as typed text events (the first one in partial chunks too),
 * worded for a GUI the client does not have.
 * Some edits answer with no text at all; the faults cut the stream.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sim-private.h"

#include <nemo/job.h>
#include <string.h>

/* Time between two events of a reply. */
#define SIM_EVENT_GAP_MS 15
/* A reply's (first) text arrives in this many partial chunks. */
#define SIM_PARTIAL_CHUNKS 3

typedef struct
{
  NemoSim *sim;
  SimSession *session;
  gboolean chinese;
  gboolean first;
  gchar *invocation;
  gchar *call_id;
  const gchar *tool;            /* "build_timeline" or "edit_timeline" */
  gchar *prompt;

  /* the result of the turn */
  gchar *reply;                 /* what the agent says */
  gsize next_step;              /* where its GUI instruction starts, or 0 */
  JsonNode *result;             /* the tool's result */
  gboolean changed;             /* the draft was (re)built */

  SimStream *stream;
  guint next_delay;             /* before the next event */
} SimTurn;

/* ---- the edit ---- */

static const struct
{
  const gchar *word;
  const gchar *ratio;
} ratio_words[] = {
  {"9:16", "9:16"}, {"16:9", "16:9"}, {"1:1", "1:1"}, {"4:5", "4:5"},
  {"vertical", "9:16"}, {"portrait", "9:16"}, {"竖屏", "9:16"},
  {"square", "1:1"}, {"方形", "1:1"},
  {"horizontal", "16:9"}, {"landscape", "16:9"}, {"横屏", "16:9"},
};

static const gchar *
prompt_ratio (const gchar * prompt)
{
  g_autofree gchar *lower = g_utf8_strdown (prompt, -1);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (ratio_words); i++)
    if (strstr (lower, ratio_words[i].word))
      return ratio_words[i].ratio;
  return NULL;
}

JsonNode *
sim_canvas_to_node (const SimSession * session)
{
  g_autoptr (JsonObject) canvas = json_object_new ();
  g_autofree gchar *ratio = NULL;
  gint a = session->width, b = session->height;

  while (b != 0) {
    gint t = a % b;

    a = b;
    b = t;
  }
  ratio = g_strdup_printf ("%d:%d", session->width / a, session->height / a);
  json_object_set_int_member (canvas, "width", session->width);
  json_object_set_int_member (canvas, "height", session->height);
  json_object_set_int_member (canvas, "fps", 30);
  json_object_set_string_member (canvas, "ratio", ratio);
  return json_node_init_object (json_node_alloc (), canvas);
}

/* Draft sources are local paths after nemo_job_build_draft(): give them the
 * URLs the service's drafts carry (the uploads' CDN URLs). */
static void
publish_sources (NemoDraft * draft, GPtrArray * media)
{
  guint t, s, m;

  for (t = 0; t < draft->tracks->len; t++) {
    NemoTrack *track = draft->tracks->pdata[t];

    for (s = 0; s < track->segments->len; s++) {
      NemoSegment *segment = track->segments->pdata[s];

      for (m = 0; segment->source && m < media->len; m++) {
        SimMedia *item = media->pdata[m];

        if (item->path && strcmp (item->path, segment->source) == 0) {
          g_free (segment->source);
          segment->source = g_strdup (item->url);
          break;
        }
      }
    }
  }
}

static gchar *
describe_visuals (const SimTurn * turn, guint n_images, guint n_clips)
{
  guint n = n_images + n_clips;

  if (turn->chinese)
    return n == 0 ? g_strdup ("纯色背景") :
        n == 1 ? g_strdup (n_images ? "你的封面" : "你的视频片段") :
        g_strdup_printf ("你的 %u 个画面和片段", n);
  return n == 0 ? g_strdup ("a plain background") :
      n == 1 ? g_strdup (n_images ? "your cover" : "your clip") :
      g_strdup_printf ("your %u pictures and clips", n);
}

static void
set_result (SimTurn * turn, const gchar * status, const gchar * summary)
{
  g_autoptr (JsonObject) result = json_object_new ();

  json_object_set_string_member (result, "status", status);
  json_object_set_string_member (result, "summary", summary);
  turn->result = json_node_init_object (json_node_alloc (), result);
}

/* The job settings for the session's uploads (the first song, the
 * pictures and clips in order) and the service's canvas; counts the
 * pictures and the clips. */
static void
edit_config (const SimTurn * turn, NemoJobConfig * config, guint * n_images,
    guint * n_clips)
{
  NemoSim *sim = turn->sim;
  SimSession *session = turn->session;
  guint i;

  nemo_job_config_init (config);
  config->prompt = g_strdup (turn->prompt);
  for (i = 0; i < session->media->len; i++) {
    SimMedia *media = session->media->pdata[i];

    if (media->path == NULL)
      continue;                 /* a remote URL: never fetched */
    if (media->kind == NEMO_MEDIA_AUDIO) {
      if (nemo_job_config_get_audio (config) == NULL)
        nemo_job_config_add_input (config, NEMO_JOB_INPUT_AUDIO, media->path,
            FALSE);
    } else {
      nemo_job_config_add_input (config, NEMO_JOB_INPUT_VISUAL, media->path,
          FALSE);
      if (media->kind == NEMO_MEDIA_IMAGE)
        (*n_images)++;
      else
        (*n_clips)++;
    }
  }
  /* the service's canvas, as settings: no preset's shape replaces it */
  config->width = sim->options.width;
  config->height = sim->options.height;
  config->size_set = TRUE;
  config->aspect_ratio = g_strdup (prompt_ratio (turn->prompt));
  if (config->aspect_ratio == NULL && session->draft) {
    /* an edit keeps the canvas it had */
    config->width = session->width;
    config->height = session->height;
  }
}

/* turn->reply for a new or edited draft: what it is now, then the next
 * step in the GUI's words. */
static void
reply_edited (SimTurn * turn, const NemoDraft * draft, guint n_images,
    guint n_clips)
{
  g_autofree gchar *summary = nemo_draft_summary (draft);
  g_autofree gchar *visuals = describe_visuals (turn, n_images, n_clips);
  g_autofree gchar *said = NULL;
  const gchar *next;

  set_result (turn, "ok", summary);
  if (turn->first && turn->chinese) {
    said = g_strdup_printf ("我已把%s放到歌曲上：%s。", visuals, summary);
    next = "请在时间线中预览，然后点击“导出”按钮进行渲染。";
  } else if (turn->first) {
    said = g_strdup_printf ("I've put %s over the song: %s.", visuals,
        summary);
    next = "Preview it in the timeline, then click the Export button to "
        "render it.";
  } else if (turn->chinese) {
    said = g_strdup_printf ("好的，时间线已更新：%s。", summary);
    next = "打开时间线面板查看，然后点击“导出”按钮进行渲染。";
  } else {
    said = g_strdup_printf ("Done, I've updated the timeline: %s.", summary);
    next = "Open the timeline panel to check it, then click the Export "
        "button to render it.";
  }
  turn->reply = g_strjoin (turn->chinese ? "" : " ", said, next, NULL);
  turn->next_step = strlen (said) + (turn->chinese ? 0 : 1);
}

/* Build the draft for the session's uploads and the prompt; say what
 * happened in turn->reply. */
static void
agent_edit (SimTurn * turn)
{
  SimSession *session = turn->session;
  g_autoptr (GError) error = NULL;
  NemoDraft *draft;
  NemoJobConfig config;
  guint n_images = 0, n_clips = 0;

  edit_config (turn, &config, &n_images, &n_clips);
  if (nemo_job_config_get_audio (&config) == NULL) {
    turn->reply = g_strdup (turn->chinese ?
        "我需要一首歌来制作音乐视频：请先上传音频文件（MP3、WAV、M4A、AAC 或 "
        "FLAC），然后把图片拖拽到时间线上。" :
        "I need a song to make a music video: upload an audio file (MP3, WAV, "
        "M4A, AAC or FLAC), then drag your pictures onto the timeline.");
    set_result (turn, "error", "no audio");
    goto end;
  }
  draft = nemo_job_build_draft (&config, NULL, NULL, &error);
  if (draft == NULL) {
    turn->reply = g_strdup_printf (turn->chinese ? "无法生成时间线：%s" :
        "I couldn't build the timeline: %s", error->message);
    set_result (turn, "error", error->message);
    goto end;
  }
  publish_sources (draft, session->media);
  g_clear_pointer (&session->draft, nemo_draft_free);
  session->draft = draft;
  session->width = nemo_draft_get_meta_int (draft, "w", config.width);
  session->height = nemo_draft_get_meta_int (draft, "h", config.height);
  turn->changed = TRUE;
  reply_edited (turn, draft, n_images, n_clips);
end:
  nemo_job_config_clear (&config);
}

/* ---- events ---- */

/* `data: <json>` and the blank line that ends an event */
static gchar *
event_line (JsonNode * node)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree gchar *json = NULL;

  json_generator_set_root (generator, node);
  json = json_generator_to_data (generator, NULL);
  return g_strdup_printf ("data: %s\n\n", json);
}

/* Queue the event @node (taken).  With @split the line goes out in two
 * writes, so a client has to join what it reads. */
static void
send_event (SimTurn * turn, JsonNode * node, gboolean split)
{
  g_autofree gchar *line = event_line (node);
  g_autofree gchar *head = NULL;
  gsize half;

  if (split) {
    half = strlen (line) / 2;
    head = g_strndup (line, half);
    sim_stream_add_data (turn->stream, turn->next_delay, head);
    sim_stream_add_data (turn->stream, SIM_EVENT_GAP_MS, line + half);
  } else {
    sim_stream_add_data (turn->stream, turn->next_delay, line);
  }
  turn->next_delay = SIM_EVENT_GAP_MS;
  json_node_unref (node);
}

static void
send_node (SimTurn * turn, JsonNode * node)
{
  send_event (turn, node, FALSE);
}

static JsonNode *
object_node (JsonObject * object)
{
  JsonNode *node = json_node_init_object (json_node_alloc (), object);

  json_object_unref (object);
  return node;
}

static JsonObject *
adk_event (SimTurn * turn)
{
  JsonObject *event = json_object_new ();
  g_autofree gchar *id = sim_random_hex (turn->sim, 8);

  json_object_set_string_member (event, "author", "nemo_agent");
  json_object_set_string_member (event, "invocationId", turn->invocation);
  json_object_set_string_member (event, "id", id);
  json_object_set_double_member (event, "timestamp",
      g_get_real_time () / 1e6);
  return event;
}

/* {"content":{"role":@role,"parts":[@part]}} */
static void
adk_set_content (JsonObject * event, const gchar * role, JsonObject * part)
{
  JsonObject *content = json_object_new ();
  JsonArray *parts = json_array_new ();

  json_array_add_object_element (parts, part);
  json_object_set_string_member (content, "role", role);
  json_object_set_array_member (content, "parts", parts);
  json_object_set_object_member (event, "content", content);
}

static JsonObject *
tool_args (SimTurn * turn)
{
  JsonObject *args = json_object_new ();
  JsonArray *media = json_array_new ();
  guint i;

  for (i = 0; i < turn->session->media->len; i++)
    json_array_add_string_element (media,
        ((SimMedia *) turn->session->media->pdata[i])->filename);
  json_object_set_string_member (args, "prompt", turn->prompt);
  json_object_set_array_member (args, "media", media);
  return args;
}

static void
send_tool_events (SimTurn * turn)
{
  JsonObject *event;
  JsonObject *part, *call, *response;

  if (turn->sim->options.event_shape == NEMO_SIM_EVENTS_TYPED) {
    event = json_object_new ();
    json_object_set_string_member (event, "type", "tool_call");
    json_object_set_string_member (event, "id", turn->call_id);
    json_object_set_string_member (event, "name", turn->tool);
    json_object_set_object_member (event, "args", tool_args (turn));
    send_node (turn, object_node (event));

    event = json_object_new ();
    json_object_set_string_member (event, "type", "tool_result");
    json_object_set_string_member (event, "id", turn->call_id);
    json_object_set_string_member (event, "name", turn->tool);
    json_object_set_member (event, "result", json_node_ref (turn->result));
    send_node (turn, object_node (event));
    return;
  }

  event = adk_event (turn);
  part = json_object_new ();
  call = json_object_new ();
  json_object_set_string_member (call, "id", turn->call_id);
  json_object_set_string_member (call, "name", turn->tool);
  json_object_set_object_member (call, "args", tool_args (turn));
  json_object_set_object_member (part, "functionCall", call);
  adk_set_content (event, "model", part);
  send_node (turn, object_node (event));

  event = adk_event (turn);
  part = json_object_new ();
  response = json_object_new ();
  json_object_set_string_member (response, "id", turn->call_id);
  json_object_set_string_member (response, "name", turn->tool);
  json_object_set_member (response, "response", json_node_ref (turn->result));
  json_object_set_object_member (part, "functionResponse", response);
  adk_set_content (event, "user", part);
  if (turn->changed) {
    JsonObject *actions = json_object_new ();
    JsonObject *delta = json_object_new ();

    json_object_set_member (delta, "draft",
        nemo_draft_to_node (turn->session->draft));
    json_object_set_member (delta, "canvas_config",
        sim_canvas_to_node (turn->session));
    json_object_set_object_member (actions, "stateDelta", delta);
    json_object_set_object_member (event, "actions", actions);
  }
  send_node (turn, object_node (event));
}

/* The stream is cut short after the reply's first event (or before its
 * only one): `data: {"error":…}` then the end, or the connection closed
 * in the middle of @next (taken), the event that would have followed. */
static void
send_fault (SimTurn * turn, JsonNode * next)
{
  const NemoSimOptions *options = &turn->sim->options;
  g_autoptr (JsonObject) error = NULL;
  g_autofree gchar *line = NULL;

  if (options->stream_error) {
    error = json_object_new ();
    json_object_set_string_member (error, "error", options->stream_error);
    send_node (turn, json_node_init_object (json_node_alloc (), error));
    json_node_unref (next);
    return;
  }
  line = event_line (next);
  json_node_unref (next);
  sim_stream_add_drop (turn->stream, turn->next_delay, line);
}

static JsonNode *
model_error_event (SimTurn * turn)
{
  JsonObject *event = adk_event (turn);

  json_object_set_string_member (event, "errorCode", "MODEL_ERROR");
  json_object_set_string_member (event, "errorMessage",
      turn->sim->options.model_error);
  return object_node (event);
}

/* The byte offset of about @n / @of of @text's characters. */
static gsize
utf8_split_point (const gchar * text, guint n, guint of)
{
  glong length = g_utf8_strlen (text, -1);

  return g_utf8_offset_to_pointer (text, length * n / of) - text;
}

static JsonNode *
adk_text_event (SimTurn * turn, const gchar * text, gboolean partial)
{
  JsonObject *event = adk_event (turn);
  JsonObject *part = json_object_new ();

  json_object_set_string_member (part, "text", text);
  adk_set_content (event, "model", part);
  json_object_set_boolean_member (event, partial ? "partial" : "turnComplete",
      TRUE);
  return object_node (event);
}

typedef JsonNode *(*SimTextEventFunc) (SimTurn * turn, const gchar * text,
    gboolean partial);

/* @text in partial chunks, then in full (which repeats them). */
static void
add_chunked_text (SimTurn * turn, const gchar * text, SimTextEventFunc event,
    GPtrArray * events)
{
  guint i;

  for (i = 0; i < SIM_PARTIAL_CHUNKS; i++) {
    gsize from = utf8_split_point (text, i, SIM_PARTIAL_CHUNKS);
    gsize to = utf8_split_point (text, i + 1, SIM_PARTIAL_CHUNKS);
    g_autofree gchar *chunk = g_strndup (text + from, to - from);

    g_ptr_array_add (events, event (turn, chunk, TRUE));
  }
  g_ptr_array_add (events, event (turn, text, FALSE));
}

static JsonNode *
typed_event (const gchar * type, const gchar * content)
{
  JsonObject *event = json_object_new ();

  json_object_set_string_member (event, "type", type);
  if (content)
    json_object_set_string_member (event, "content", content);
  return object_node (event);
}

static JsonNode *
typed_text_event (SimTurn * turn, const gchar * text, gboolean partial)
{
  JsonNode *event = typed_event ("text", text);

  if (partial)
    json_object_set_boolean_member (json_node_get_object (event), "partial",
        TRUE);
  return event;
}

/* Typed shape: what was done (in partial chunks, then in full), then the
 * (GUI) next step, as one more text. */
static void
add_typed_text (SimTurn * turn, GPtrArray * events)
{
  g_autofree gchar *said = NULL;

  if (turn->next_step == 0) {
    add_chunked_text (turn, turn->reply, typed_text_event, events);
    return;
  }
  said = g_strndup (turn->reply, turn->next_step);
  add_chunked_text (turn, g_strchomp (said), typed_text_event, events);
  g_ptr_array_add (events, typed_event ("text",
          turn->reply + turn->next_step));
}

/* The end of a turn that said nothing. */
static JsonNode *
turn_complete_event (SimTurn * turn)
{
  JsonObject *event = adk_event (turn);

  json_object_set_boolean_member (event, "turnComplete", TRUE);
  return object_node (event);
}

/* What follows the tool events: the reply, a model error, or (silent)
 * nothing but the end of the turn; cut short where a fault says so. */
static void
send_reply (SimTurn * turn, gboolean silent)
{
  const NemoSimOptions *options = &turn->sim->options;
  gboolean typed = options->event_shape == NEMO_SIM_EVENTS_TYPED;
  gboolean fault = !options->model_error
      && (options->stream_error || options->drop_chat);
  g_autoptr (GPtrArray) events =
      g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  guint cut_at, i;

  if (options->model_error)
    g_ptr_array_add (events, model_error_event (turn));
  else if (silent && !typed)
    g_ptr_array_add (events, turn_complete_event (turn));
  else if (!silent && typed)
    add_typed_text (turn, events);
  else if (!silent)
    add_chunked_text (turn, turn->reply, adk_text_event, events);

  /* a fault comes after the first text event, or before a lone one */
  cut_at = events->len > 1 ? 1 : 0;
  for (i = 0; i < events->len; i++) {
    JsonNode *event = json_node_ref (events->pdata[i]);

    if (fault && i == cut_at) {
      send_fault (turn, event);
      return;
    }
    send_event (turn, event, i > 0 && i == events->len - 1);
  }
  if (fault)                    /* nothing to say: cut inside a heartbeat */
    send_fault (turn, typed_event ("heartbeat", NULL));
}

/* Heartbeats while the agent "thinks". */
static void
send_thinking (SimTurn * turn)
{
  const NemoSimOptions *options = &turn->sim->options;
  guint beats = options->heartbeat_ms ?
      options->think_ms / options->heartbeat_ms : 0;
  guint i;

  for (i = 0; i < beats; i++) {
    if (options->event_shape == NEMO_SIM_EVENTS_TYPED)
      sim_stream_add_data (turn->stream, options->heartbeat_ms,
          "data: {\"type\":\"heartbeat\"}\n\n");
    else                        /* both spellings of an empty data line */
      sim_stream_add_data (turn->stream, options->heartbeat_ms,
          i % 2 ? "data: \n\n" : "data:\n\n");
  }
  turn->next_delay = options->think_ms - beats * options->heartbeat_ms
      + SIM_EVENT_GAP_MS;
}

void
sim_agent_chat (NemoSim * sim, SoupServerMessage * msg,
    SimSession * session, const gchar * text)
{
  SimTurn turn = { 0, };
  g_autofree gchar *random = NULL;
  gboolean silent = FALSE;

  turn.sim = sim;
  turn.session = session;
  turn.chinese = g_str_has_prefix (session->language, "zh");
  turn.first = ++session->n_messages == 1;
  turn.invocation = g_strdup_printf ("e-%s-%u", session->id,
      session->n_messages);
  random = sim_random_hex (sim, 12);
  turn.call_id = g_strconcat ("call_", random, NULL);
  turn.tool = turn.first ? "build_timeline" : "edit_timeline";
  turn.prompt = g_strdup (text);
  if (!turn.first)
    silent = g_rand_double (sim->silent_rand) < sim->options.silent_edit_rate;

  agent_edit (&turn);

  turn.stream = sim_stream_new_events (sim, msg, "text/event-stream");
  send_thinking (&turn);
  send_tool_events (&turn);
  send_reply (&turn, silent);
  sim_stream_start (turn.stream);
  if (sim->options.verbose)
    g_printerr ("nemo-sim: chat %u of session %s: %s\n", session->n_messages,
        session->id, silent ? "a silent edit" : turn.reply);

  g_free (turn.invocation);
  g_free (turn.call_id);
  g_free (turn.prompt);
  g_free (turn.reply);
  json_node_unref (turn.result);
}
