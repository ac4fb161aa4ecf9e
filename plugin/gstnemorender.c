/* nemorender: music + pictures in, a finished music-video MP4 out.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-nemorender
 * @title: nemorender
 *
 * nemorender turns a song and its pictures into a finished H.264/AAC MP4,
 * ready to upload to YouTube: the album art scaled to fit over a blurred,
 * darkened copy of itself, or video clips looped or cut to the song.  The
 * MP4 leaves on the src pad as bytes (`moov` first), so it can go to a
 * filesink, a network sink or qtdemux.
 *
 * Inputs come either as files/URIs (#GstNemoRender:audio-uri,
 * #GstNemoRender:visual-uri) or on request pads: one `audio` pad (raw audio
 * from audioconvert, or parsed MP3/ADTS AAC) and any number of `video_%u`
 * pads (raw video, parsed JPEG/PNG, parsed H.264).  A video pad that gives
 * one frame and then EOS is a still image; an endless one (imagefreeze,
 * videotestsrc) is read only as far as the song lasts; a shorter clip loops.
 * The render starts when every linked sink pad has seen EOS (with no sink
 * pads: as soon as the element is started), and the MP4 follows, then EOS.
 *
 * Two backends render the same jobs.  `local` (the default) renders on this
 * machine with FFmpeg: nothing leaves it.  `cloud` drives the hosted
 * service: it uploads the inputs (transcoded to the service's formats and
 * limits where needed), sends the prompt to its agent, exports the timeline
 * and downloads the MP4, pushing the bytes as they arrive.  `auto` picks the
 * cloud only when a token (#GstNemoRender:token or `NEMO_TOKEN`) or an
 * #GstNemoRender:api-url is given.  The ids on `nemorender-job` let an
 * application resume a download (#GstNemoRender:render-id) or go on editing
 * a timeline (#GstNemoRender:session-id).
 *
 * Progress is posted as `nemorender-progress` element messages (`stage`,
 * `percent`) and GST_MESSAGE_PROGRESS; the timeline as
 * `nemorender-timeline` (`summary`, `draft`); the cloud adds
 * `nemorender-reply` (`text`), `nemorender-credits` (`available`, `frozen`,
 * `total`), `nemorender-job` (`session-id`, `render-id`) and
 * `nemorender-still-working` (`elapsed`).  A failure posts an error whose
 * message says what to do (details: `nemo-code`, `http-status`) and no EOS:
 * downstream never sees a partial MP4 end as if it were whole.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 nemorender audio-uri=song.mp3 visual-uri=cover.jpg ! filesink location=video.mp4
 * ]| Album art + song → 1080p30 YouTube video.
 * |[
 * gst-launch-1.0 nemorender name=r ! filesink location=video.mp4 \
 *   filesrc location=song.flac ! decodebin ! audioconvert ! r.audio \
 *   filesrc location=cover.png ! decodebin ! videoconvert ! r.video_0
 * ]| The same from pads.
 * |[
 * gst-launch-1.0 nemorender audio-uri=song.mp3 visual-uri=cover.jpg aspect-ratio=9:16 \
 *   max-duration=60000000000 ! filesink location=short.mp4
 * ]| A 60-second vertical 1080x1920 cut for Shorts.
 * |[
 * NEMO_TOKEN=… gst-launch-1.0 -m nemorender backend=cloud audio-uri=song.mp3 \
 *   visual-uri=cover.jpg prompt="looping video with visualizer" ! filesink location=video.mp4
 * ]| The hosted service renders it; `-m` shows its replies and the job ids.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstnemorender.h"
#include "gstnemorenderpad.h"

#include <glib/gstdio.h>
#include <nemo/error.h>
#include <nemo/media.h>

GST_DEBUG_CATEGORY_STATIC (gst_nemo_render_debug);
#define GST_CAT_DEFAULT gst_nemo_render_debug

enum
{
  PROP_0,
  PROP_PROMPT,
  PROP_BACKEND,
  PROP_API_URL,
  PROP_TOKEN,
  PROP_CLIENT_ID,
  PROP_LANGUAGE,
  PROP_SESSION_ID,
  PROP_RENDER_ID,
  PROP_AUDIO_URI,
  PROP_VISUAL_URI,
  PROP_TITLE,
  PROP_ARTIST,
  PROP_WIDTH,
  PROP_HEIGHT,
  PROP_ASPECT_RATIO,
  PROP_FRAMERATE,
  PROP_MAX_DURATION,
  PROP_MAX_UPLOAD_SIZE,
  PROP_POLL_INTERVAL,
  PROP_TIMEOUT,
  PROP_RETRIES,
  PROP_SKILL_SOURCE,
  PROP_SKILL_VERSION,
  PROP_SKILL_PLATFORM,
};

#define DEFAULT_BACKEND GST_NEMO_RENDER_BACKEND_AUTO
#define DEFAULT_MAX_DURATION GST_CLOCK_TIME_NONE
#define DEFAULT_SKILL_SOURCE "yt-music"
#define DEFAULT_SKILL_VERSION "1.0.0"
#define DEFAULT_SKILL_PLATFORM "unknown"

struct _GstNemoRender
{
  GstElement parent;

  GstPad *srcpad;
  GstNemoRenderPad *audio_pad;
  guint next_video_index;

  /* protects the pads' eos flags (eos_pads), flushing, playing, the input
   * target and the tags; cond is signalled when any of them changes */
  GMutex lock;
  GCond cond;
  gboolean flushing;
  gboolean playing;
  GHashTable *eos_pads;         /* GstNemoRenderPad* that have seen EOS */
  gint64 target_us;             /* how much video input is enough, -1 unknown */
  gboolean target_probed;
  gchar *tag_title, *tag_artist, *tag_album;

  /* the src task's own */
  GCancellable *cancellable;
  gchar *work_dir;
  const gchar *stage;           /* interned name of the stage in progress */
  gdouble stage_percent;
  gboolean pushed_header;       /* caps and segment went downstream */
  guint64 offset;               /* MP4 bytes pushed */
  GstFlowReturn flow;           /* downstream's last answer */
  gchar *last_timeline;

  /* properties, under the object lock; settings.session_id/render_id are
   * what the user asked to continue, the current_* ids what the job uses */
  NemoJobConfig settings;
  GstNemoRenderBackend backend;
  gboolean api_url_set;
  gchar *visual_uri;
  gchar *current_session_id, *current_render_id;
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/quicktime, variant=(string)iso"));

/* F32 first: audioconvert then hands us the decoder's precision. */
static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE ("audio",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("audio/x-raw, "
        "format=(string){ F32LE, S32LE, S24LE, S16LE, F64LE, U8 }, "
        "layout=(string)interleaved, rate=(int)[ 1, 768000 ], "
        "channels=(int)[ 1, 8 ]; "
        "audio/mpeg, mpegversion=(int)1, layer=(int)3, parsed=(boolean)true; "
        "audio/mpeg, mpegversion=(int){ 2, 4 }, stream-format=(string)adts"));

static GstStaticPadTemplate video_template =
GST_STATIC_PAD_TEMPLATE ("video_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-raw, format=(string){ I420, NV12, Y42B, Y444, "
        "RGBA, BGRA, RGBx, BGRx, RGB, BGR }, width=(int)[ 1, 16384 ], "
        "height=(int)[ 1, 16384 ], framerate=(fraction)[ 0/1, MAX ]; "
        "image/jpeg, parsed=(boolean)true; image/png, parsed=(boolean)true; "
        "video/x-h264, stream-format=(string)byte-stream, "
        "alignment=(string)au"));

#define gst_nemo_render_parent_class parent_class
G_DEFINE_TYPE (GstNemoRender, gst_nemo_render, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (nemorender, "nemorender", GST_RANK_NONE,
    GST_TYPE_NEMO_RENDER);

GType
gst_nemo_render_backend_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_NEMO_RENDER_BACKEND_AUTO, "cloud when a token (property or "
          "NEMO_TOKEN) or an api-url is given, else local", "auto"},
    {GST_NEMO_RENDER_BACKEND_LOCAL, "Render on this machine with FFmpeg; "
          "nothing leaves the machine", "local"},
    {GST_NEMO_RENDER_BACKEND_CLOUD, "Render on the hosted service: the "
          "inputs are uploaded to it", "cloud"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstNemoRenderBackend", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ---------------------------------------------------------- sink pads -- */

static gboolean
pad_is_audio (GstNemoRender * self, GstNemoRenderPad * pad)
{
  return pad == self->audio_pad;
}

/* Every linked sink pad has seen EOS.  Called with self->lock. */
static gboolean
inputs_complete (GstNemoRender * self)
{
  gboolean complete = TRUE;
  GList *l;

  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l != NULL; l = l->next) {
    if (gst_pad_is_linked (l->data)
        && !g_hash_table_contains (self->eos_pads, l->data))
      complete = FALSE;
  }
  GST_OBJECT_UNLOCK (self);
  return complete;
}

static gboolean
pad_is_eos (GstNemoRender * self, GstNemoRenderPad * pad)
{
  gboolean eos;

  g_mutex_lock (&self->lock);
  eos = g_hash_table_contains (self->eos_pads, pad);
  g_mutex_unlock (&self->lock);
  return eos;
}

/* How much input is enough: max-duration, else the song's length once it is
 * known (the audio pad's EOS, or a probe of audio-uri); -1 while unknown. */
static gint64
input_target_us (GstNemoRender * self)
{
  gint64 target, max_us;
  gchar *audio_uri = NULL;

  GST_OBJECT_LOCK (self);
  max_us = self->settings.max_duration_us > 0 ?
      self->settings.max_duration_us : -1;
  if (self->audio_pad == NULL)
    audio_uri = g_strdup (self->settings.audio);
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  if (audio_uri != NULL && !self->target_probed) {
    NemoMediaInfo *info = nemo_media_probe (audio_uri, NULL);

    /* a bad file is reported by the job; here it only means "unknown" */
    if (info != NULL && info->duration_us > 0)
      self->target_us = info->duration_us;
    g_clear_pointer (&info, nemo_media_info_free);
    self->target_probed = TRUE;
  }
  target = self->target_us;
  g_mutex_unlock (&self->lock);
  g_free (audio_uri);

  if (max_us >= 0)
    target = target < 0 ? max_us : MIN (target, max_us);
  return target;
}

static gboolean
pad_has_enough (GstNemoRender * self, GstNemoRenderPad * pad)
{
  gint64 target;

  if (gst_nemo_render_pad_is_image (pad))
    return TRUE;                /* an image pad carries one still */
  target = input_target_us (self);
  return target >= 0 && gst_nemo_render_pad_get_duration (pad) >= target;
}

/* The pad's input is complete: close its file and wake the task. */
static gboolean
finish_pad (GstNemoRender * self, GstNemoRenderPad * pad)
{
  GError *error = NULL;

  if (pad_is_eos (self, pad))
    return TRUE;
  if (!gst_nemo_render_pad_finish (pad, &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("%s", error->message), (NULL));
    g_error_free (error);
    return FALSE;
  }

  g_mutex_lock (&self->lock);
  g_hash_table_add (self->eos_pads, pad);
  /* the song's length tells the video pads when they have enough */
  if (pad_is_audio (self, pad) && self->target_us < 0)
    self->target_us = gst_nemo_render_pad_get_duration (pad);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static void
take_tags (GstNemoRender * self, GstNemoRenderPad * pad, GstTagList * tags)
{
  static const struct
  {
    const gchar *tag;
    gsize offset;
  } wanted[] = {
    {GST_TAG_TITLE, G_STRUCT_OFFSET (GstNemoRender, tag_title)},
    {GST_TAG_ARTIST, G_STRUCT_OFFSET (GstNemoRender, tag_artist)},
    {GST_TAG_ALBUM, G_STRUCT_OFFSET (GstNemoRender, tag_album)},
  };
  guint i;

  g_mutex_lock (&self->lock);
  for (i = 0; i < G_N_ELEMENTS (wanted); i++) {
    gchar **field = G_STRUCT_MEMBER_P (self, wanted[i].offset);
    gchar *value = NULL;

    /* the song's own tags win over a clip's */
    if (*field != NULL && !pad_is_audio (self, pad))
      continue;
    if (gst_tag_list_get_string (tags, wanted[i].tag, &value)) {
      g_free (*field);
      *field = value;
    }
  }
  g_mutex_unlock (&self->lock);
}

static gboolean
gst_nemo_render_sink_event (GstPad * gpad, GstObject * parent,
    GstEvent * event)
{
  GstNemoRender *self = GST_NEMO_RENDER (parent);
  GstNemoRenderPad *pad = GST_NEMO_RENDER_PAD (gpad);
  GError *error = NULL;
  gboolean ret = TRUE;

  GST_LOG_OBJECT (pad, "%" GST_PTR_FORMAT, event);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      ret = gst_nemo_render_pad_set_caps (pad, caps, self->work_dir, &error);
      if (!ret) {
        GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("%s", error->message),
            (NULL));
        g_error_free (error);
      }
      break;
    }
    case GST_EVENT_SEGMENT:{
      const GstSegment *segment;

      gst_event_parse_segment (event, &segment);
      gst_nemo_render_pad_set_segment (pad, segment);
      break;
    }
    case GST_EVENT_TAG:{
      GstTagList *tags;

      gst_event_parse_tag (event, &tags);
      take_tags (self, pad, tags);
      break;
    }
    case GST_EVENT_EOS:
      ret = finish_pad (self, pad);
      break;
    default:
      /* the inputs end here: nothing flows on from a sink pad */
      break;
  }
  gst_event_unref (event);
  return ret;
}

static GstFlowReturn
gst_nemo_render_chain (GstPad * gpad, GstObject * parent, GstBuffer * buffer)
{
  GstNemoRender *self = GST_NEMO_RENDER (parent);
  GstNemoRenderPad *pad = GST_NEMO_RENDER_PAD (gpad);
  GError *error = NULL;
  gboolean ok;

  if (pad_is_eos (self, pad)) {
    gst_buffer_unref (buffer);
    return GST_FLOW_EOS;
  }
  if (!gst_pad_has_current_caps (gpad)) {
    gst_buffer_unref (buffer);
    return GST_FLOW_NOT_NEGOTIATED;
  }

  ok = gst_nemo_render_pad_write (pad, buffer, &error);
  gst_buffer_unref (buffer);
  if (!ok) {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("%s", error->message), (NULL));
    g_error_free (error);
    return GST_FLOW_ERROR;
  }

  /* enough of an endless source (or of a song past max-duration): tell
   * upstream to stop */
  if (pad_has_enough (self, pad)) {
    GST_DEBUG_OBJECT (pad, "have enough input, returning EOS upstream");
    return finish_pad (self, pad) ? GST_FLOW_EOS : GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

static GstPad *
gst_nemo_render_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * req_name, const GstCaps * caps)
{
  GstNemoRender *self = GST_NEMO_RENDER (element);
  GstElementClass *klass = GST_ELEMENT_GET_CLASS (element);
  gboolean audio = templ == gst_element_class_get_pad_template (klass,
      "audio");
  g_autofree gchar *name = NULL;
  GstPad *pad;

  GST_OBJECT_LOCK (self);
  if (audio && self->audio_pad != NULL) {
    GST_OBJECT_UNLOCK (self);
    GST_WARNING_OBJECT (self, "there is only one audio pad, and it exists");
    return NULL;
  }
  if (audio) {
    name = g_strdup ("audio");
  } else {
    guint index = self->next_video_index;

    if (req_name != NULL && sscanf (req_name, "video_%u", &index) == 1)
      index = MAX (index, self->next_video_index);
    self->next_video_index = index + 1;
    name = g_strdup_printf ("video_%u", index);
  }
  GST_OBJECT_UNLOCK (self);

  pad = g_object_new (GST_TYPE_NEMO_RENDER_PAD, "name", name,
      "direction", GST_PAD_SINK, "template", templ, NULL);
  gst_pad_set_chain_function (pad, GST_DEBUG_FUNCPTR (gst_nemo_render_chain));
  gst_pad_set_event_function (pad,
      GST_DEBUG_FUNCPTR (gst_nemo_render_sink_event));
  if (audio)
    self->audio_pad = GST_NEMO_RENDER_PAD (pad);
  gst_element_add_pad (element, pad);
  return pad;
}

static void
gst_nemo_render_release_pad (GstElement * element, GstPad * pad)
{
  GstNemoRender *self = GST_NEMO_RENDER (element);

  GST_OBJECT_LOCK (self);
  if (pad == GST_PAD (self->audio_pad))
    self->audio_pad = NULL;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->eos_pads, pad);
  /* the task may have been waiting for this pad */
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  gst_element_remove_pad (element, pad);
}

/* ------------------------------------------------ the job's callbacks -- */

static void
post_element_message (GstNemoRender * self, GstStructure * s)
{
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static void
post_progress (GstNemoRender * self, GstProgressType type, const gchar * stage)
{
  static const struct
  {
    const gchar *stage;
    const gchar *text;
  } texts[] = {
    {"prepare", "Reading the song and the pictures"},
    {"encode", "Rendering the video"},
    {"upload", "Uploading the inputs to the service"},
    {"chat", "The service's agent is building the timeline"},
    {"render", "The service is rendering the video"},
    {"download", "Downloading the video"},
  };
  const gchar *text = stage;
  g_autofree gchar *full = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (texts); i++)
    if (g_str_equal (texts[i].stage, stage))
      text = texts[i].text;
  full = g_strdup_printf ("%s%s", text, type == GST_PROGRESS_TYPE_COMPLETE ?
      ": done" : type == GST_PROGRESS_TYPE_ERROR ? ": failed" : "");
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_progress (GST_OBJECT (self), type, stage, full));
}

static void
on_progress (const gchar * stage, gdouble percent, gpointer user_data)
{
  GstNemoRender *self = user_data;
  const gchar *interned = g_intern_string (stage);

  if (interned != self->stage) {
    if (self->stage != NULL)
      post_progress (self, GST_PROGRESS_TYPE_COMPLETE, self->stage);
    self->stage = interned;
    self->stage_percent = -1.0;
    post_progress (self, GST_PROGRESS_TYPE_START, interned);
  }
  /* one message per whole percent is plenty for a progress bar */
  percent = CLAMP (percent, 0.0, 100.0);
  if (percent <= self->stage_percent
      || (percent < self->stage_percent + 1.0 && percent < 100.0))
    return;
  self->stage_percent = percent;
  post_element_message (self, gst_structure_new ("nemorender-progress",
          "stage", G_TYPE_STRING, stage, "percent", G_TYPE_DOUBLE, percent,
          NULL));
}

static void
on_timeline (const gchar * summary, const gchar * draft_json,
    gpointer user_data)
{
  GstNemoRender *self = user_data;

  /* posted when the timeline is known or changes, not again when unchanged */
  if (g_strcmp0 (self->last_timeline, draft_json) == 0)
    return;
  g_free (self->last_timeline);
  self->last_timeline = g_strdup (draft_json);
  GST_INFO_OBJECT (self, "%s", summary);
  post_element_message (self, gst_structure_new ("nemorender-timeline",
          "summary", G_TYPE_STRING, summary,
          "draft", G_TYPE_STRING, draft_json, NULL));
}

static void
on_reply (const gchar * text, gpointer user_data)
{
  post_element_message (user_data, gst_structure_new ("nemorender-reply",
          "text", G_TYPE_STRING, text, NULL));
}

static void
on_credits (gint64 available, gint64 frozen, gint64 total, gpointer user_data)
{
  post_element_message (user_data, gst_structure_new ("nemorender-credits",
          "available", G_TYPE_INT64, available,
          "frozen", G_TYPE_INT64, frozen,
          "total", G_TYPE_INT64, total, NULL));
}

static void
on_job_ids (const gchar * session_id, const gchar * render_id,
    gpointer user_data)
{
  GstNemoRender *self = user_data;
  GstStructure *s = gst_structure_new_empty ("nemorender-job");

  /* each id is posted (and readable as a property) as soon as it is known */
  GST_OBJECT_LOCK (self);
  if (session_id != NULL) {
    g_free (self->current_session_id);
    self->current_session_id = g_strdup (session_id);
    gst_structure_set (s, "session-id", G_TYPE_STRING, session_id, NULL);
  }
  if (render_id != NULL) {
    g_free (self->current_render_id);
    self->current_render_id = g_strdup (render_id);
    gst_structure_set (s, "render-id", G_TYPE_STRING, render_id, NULL);
  }
  GST_OBJECT_UNLOCK (self);
  post_element_message (self, s);
  if (session_id != NULL)
    g_object_notify (G_OBJECT (self), "session-id");
  if (render_id != NULL)
    g_object_notify (G_OBJECT (self), "render-id");
}

static void
on_still_working (guint64 elapsed_ns, gpointer user_data)
{
  post_element_message (user_data,
      gst_structure_new ("nemorender-still-working",
          "elapsed", G_TYPE_UINT64, elapsed_ns, NULL));
}

/* MP4 bytes, in order: they go downstream as they come. */
static gboolean
on_data (const guint8 * data, gsize size, gpointer user_data, GError ** error)
{
  GstNemoRender *self = user_data;
  GstBuffer *buffer;

  if (!self->pushed_header) {
    GstSegment segment;

    gst_segment_init (&segment, GST_FORMAT_BYTES);
    gst_pad_push_event (self->srcpad,
        gst_event_new_caps (gst_static_pad_template_get_caps (&src_template)));
    gst_pad_push_event (self->srcpad, gst_event_new_segment (&segment));
    self->pushed_header = TRUE;
  }
  buffer = gst_buffer_new_memdup (data, size);
  GST_BUFFER_OFFSET (buffer) = self->offset;
  GST_BUFFER_OFFSET_END (buffer) = self->offset + size;
  self->offset += size;

  self->flow = gst_pad_push (self->srcpad, buffer);
  if (self->flow == GST_FLOW_OK)
    return TRUE;
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_CANCELLED,
      "downstream stopped taking the video: %s",
      gst_flow_get_name (self->flow));
  return FALSE;
}

static const NemoJobCallbacks job_callbacks = {
  .reply = on_reply,
  .timeline = on_timeline,
  .credits = on_credits,
  .job = on_job_ids,
  .still_working = on_still_working,
  .progress = on_progress,
  .data = on_data,
};

/* --------------------------------------------------------- the job -- */

static NemoBackend
choose_backend (GstNemoRender * self)
{
  const gchar *env_token = g_getenv ("NEMO_TOKEN");

  switch (self->backend) {
    case GST_NEMO_RENDER_BACKEND_LOCAL:
      return NEMO_BACKEND_LOCAL;
    case GST_NEMO_RENDER_BACKEND_CLOUD:
      return NEMO_BACKEND_CLOUD;
    default:
      return self->settings.cloud.token != NULL || self->api_url_set
          || (env_token != NULL && *env_token != '\0') ?
          NEMO_BACKEND_CLOUD : NEMO_BACKEND_LOCAL;
  }
}

/* The job's settings: the properties, the spooled pads, upstream tags.
 * FALSE with @error when a linked pad delivered nothing. */
static gboolean
collect_job_config (GstNemoRender * self, NemoJobConfig * config,
    GError ** error)
{
  GList *l;

  GST_OBJECT_LOCK (self);
  nemo_job_config_copy (config, &self->settings);
  config->backend = choose_backend (self);
  config->work_dir = g_strdup (self->work_dir);
  if (self->visual_uri != NULL)
    g_ptr_array_add (config->visuals, g_strdup (self->visual_uri));

  for (l = GST_ELEMENT (self)->sinkpads; l != NULL; l = l->next) {
    GstNemoRenderPad *pad = l->data;
    const gchar *path = gst_nemo_render_pad_get_path (pad);

    if (!gst_pad_is_linked (GST_PAD (pad)))
      continue;
    if (path == NULL) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_NO_AUDIO,
          "Nothing arrived on %s before it ended. Check the branch that "
          "feeds it (does its file exist and decode?).", GST_PAD_NAME (pad));
      GST_OBJECT_UNLOCK (self);
      return FALSE;
    }
    if (pad_is_audio (self, pad)) {
      /* the audio pad wins over audio-uri */
      g_free (config->audio);
      config->audio = g_strdup (path);
    } else {
      g_ptr_array_add (config->visuals, g_strdup (path));
    }
  }
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  if (config->title == NULL)
    config->title = g_strdup (self->tag_title);
  if (config->artist == NULL)
    config->artist = g_strdup (self->tag_artist);
  if (config->album == NULL)
    config->album = g_strdup (self->tag_album);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static void
error_to_gst (const GError * error, GQuark * domain, gint * code)
{
  static const struct
  {
    gint nemo;
    GQuark (*domain) (void);
    gint gst;
  } map[] = {
    {NEMO_ERROR_NOT_FOUND, gst_resource_error_quark, GST_RESOURCE_ERROR_NOT_FOUND},
    {NEMO_ERROR_IO, gst_resource_error_quark, GST_RESOURCE_ERROR_READ},
    {NEMO_ERROR_FAILED, gst_resource_error_quark, GST_RESOURCE_ERROR_READ},
    {NEMO_ERROR_INVALID_ARGUMENT, gst_resource_error_quark, GST_RESOURCE_ERROR_SETTINGS},
    {NEMO_ERROR_MISSING_CLIENT_ID, gst_resource_error_quark, GST_RESOURCE_ERROR_SETTINGS},
    {NEMO_ERROR_TOKEN_EXPIRED, gst_resource_error_quark, GST_RESOURCE_ERROR_NOT_AUTHORIZED},
    {NEMO_ERROR_OUT_OF_CREDITS, gst_resource_error_quark, GST_RESOURCE_ERROR_NOT_AUTHORIZED},
    {NEMO_ERROR_EXPORT_BLOCKED, gst_resource_error_quark, GST_RESOURCE_ERROR_NOT_AUTHORIZED},
    {NEMO_ERROR_SESSION_NOT_FOUND, gst_resource_error_quark, GST_RESOURCE_ERROR_NOT_FOUND},
    {NEMO_ERROR_RATE_LIMITED, gst_resource_error_quark, GST_RESOURCE_ERROR_BUSY},
    {NEMO_ERROR_ENCODE, gst_library_error_quark, GST_LIBRARY_ERROR_ENCODE},
  };
  guint i;

  /* unusable media, drafts and sizes are stream errors */
  *domain = GST_STREAM_ERROR;
  *code = GST_STREAM_ERROR_FORMAT;
  for (i = 0; error->domain == NEMO_ERROR && i < G_N_ELEMENTS (map); i++) {
    if (map[i].nemo == error->code) {
      *domain = map[i].domain ();
      *code = map[i].gst;
    }
  }
}

/* Post @error as the element's error, with SPEC.md's details structure. */
static void
post_job_error (GstNemoRender * self, const GError * error, guint http_status)
{
  GQuark domain;
  gint code;
  gint nemo_code = 0;

  error_to_gst (error, &domain, &code);
  /* nemo-code carries the service's own codes, not HTTP statuses or ours */
  if (error->domain == NEMO_ERROR && error->code >= 1000
      && error->code < NEMO_ERROR_NOT_FOUND)
    nemo_code = error->code;

  gst_element_message_full_with_details (GST_ELEMENT (self),
      GST_MESSAGE_ERROR, domain, code, g_strdup (error->message), NULL,
      __FILE__, GST_FUNCTION, __LINE__,
      gst_structure_new ("details",
          "nemo-code", G_TYPE_INT, nemo_code,
          "http-status", G_TYPE_UINT, http_status, NULL));
}

static gboolean
run_job (GstNemoRender * self, guint * http_status, GError ** error)
{
  NemoJobConfig config;
  gboolean ok;

  if (!collect_job_config (self, &config, error)) {
    nemo_job_config_clear (&config);
    return FALSE;
  }
  GST_INFO_OBJECT (self, "rendering with the %s backend",
      config.backend == NEMO_BACKEND_CLOUD ? "cloud" : "local");
  ok = nemo_job_run (&config, &job_callbacks, self, http_status,
      self->cancellable, error);
  nemo_job_config_clear (&config);

  if (self->stage != NULL)
    post_progress (self, ok ? GST_PROGRESS_TYPE_COMPLETE :
        GST_PROGRESS_TYPE_ERROR, self->stage);
  return ok;
}

static gboolean
wait_for_inputs (GstNemoRender * self)
{
  gboolean go;

  g_mutex_lock (&self->lock);
  while (!self->flushing && !(self->playing && inputs_complete (self)))
    g_cond_wait (&self->cond, &self->lock);
  go = !self->flushing;
  g_mutex_unlock (&self->lock);
  return go;
}

/* The src pad's task: wait for every input, run the job (its data callback
 * pushes the MP4), EOS.  It runs once per start. */
static void
gst_nemo_render_loop (GstNemoRender * self)
{
  g_autofree gchar *stream_id = NULL;
  GError *error = NULL;
  guint http_status = 0;

  if (!wait_for_inputs (self))
    goto pause;

  /* several sink pads: no single upstream id to derive ours from */
  stream_id = g_strdup_printf ("%08x%08x%08x%08x", g_random_int (),
      g_random_int (), g_random_int (), g_random_int ());
  gst_pad_push_event (self->srcpad, gst_event_new_stream_start (stream_id));

  if (run_job (self, &http_status, &error)) {
    gst_pad_push_event (self->srcpad, gst_event_new_eos ());
  } else if (self->flow != GST_FLOW_OK) {
    /* downstream stopped the job */
    if (self->flow == GST_FLOW_NOT_LINKED || self->flow < GST_FLOW_EOS)
      GST_ELEMENT_FLOW_ERROR (self, self->flow);
    if (self->flow != GST_FLOW_FLUSHING)
      gst_pad_push_event (self->srcpad, gst_event_new_eos ());
  } else if (!g_error_matches (error, NEMO_ERROR, NEMO_ERROR_CANCELLED)) {
    /* no EOS: the bytes so far (cloud downloads) are not a whole MP4 */
    post_job_error (self, error, http_status);
  }
  g_clear_error (&error);

pause:
  gst_pad_pause_task (self->srcpad);
}

/* ---------------------------------------------------- element plumbing -- */

static gboolean
gst_nemo_render_src_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  GstNemoRender *self = GST_NEMO_RENDER (parent);

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;

  g_mutex_lock (&self->lock);
  self->flushing = !active;
  if (active) {
    g_cancellable_reset (self->cancellable);
  } else {
    g_cancellable_cancel (self->cancellable);
    g_cond_broadcast (&self->cond);
  }
  g_mutex_unlock (&self->lock);

  if (active)
    return gst_pad_start_task (pad, (GstTaskFunction) gst_nemo_render_loop,
        self, NULL);
  return gst_pad_stop_task (pad);
}

static void
remove_tree (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    g_autofree gchar *path = g_build_filename (dir, name, NULL);
    g_unlink (path);
  }
  if (d != NULL)
    g_dir_close (d);
  g_rmdir (dir);
}

static gboolean
start (GstNemoRender * self)
{
  GError *error = NULL;

  self->work_dir = g_dir_make_tmp ("nemorender-XXXXXX", &error);
  if (self->work_dir == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("No room for the work files: %s. Set TMPDIR to a writable folder "
            "with space for the video.", error->message), (NULL));
    g_error_free (error);
    return FALSE;
  }
  self->target_us = -1;
  self->target_probed = FALSE;
  self->stage = NULL;
  self->pushed_header = FALSE;
  self->offset = 0;
  self->flow = GST_FLOW_OK;
  GST_OBJECT_LOCK (self);
  g_clear_pointer (&self->current_session_id, g_free);
  g_clear_pointer (&self->current_render_id, g_free);
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static void
stop (GstNemoRender * self)
{
  GList *l;

  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l != NULL; l = l->next)
    gst_nemo_render_pad_reset (l->data);
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  g_hash_table_remove_all (self->eos_pads);
  g_clear_pointer (&self->tag_title, g_free);
  g_clear_pointer (&self->tag_artist, g_free);
  g_clear_pointer (&self->tag_album, g_free);
  g_mutex_unlock (&self->lock);

  g_clear_pointer (&self->last_timeline, g_free);
  if (self->work_dir != NULL)
    remove_tree (self->work_dir);
  g_clear_pointer (&self->work_dir, g_free);
}

static void
set_playing (GstNemoRender * self, gboolean playing)
{
  g_mutex_lock (&self->lock);
  self->playing = playing;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* Like a live source, the element does not preroll: a render takes
 * minutes, and a pipeline waiting for it in PAUSED would block its
 * application's state change (and gst-launch-1.0, which waits for every
 * GST_MESSAGE_PROGRESS to complete before PLAYING, for good).  The job
 * starts in PLAYING; EOS says the MP4 is whole. */
static GstStateChangeReturn
gst_nemo_render_change_state (GstElement * element, GstStateChange transition)
{
  GstNemoRender *self = GST_NEMO_RENDER (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !start (self))
    return GST_STATE_CHANGE_FAILURE;
  if (transition == GST_STATE_CHANGE_PAUSED_TO_PLAYING)
    set_playing (self, TRUE);

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      set_playing (self, FALSE);
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      stop (self);
      break;
    default:
      break;
  }
  return ret;
}

/* ---------------------------------------------------------- properties -- */

/* The string properties that are plain fields of the settings. */
static gchar **
string_field (GstNemoRender * self, guint prop_id)
{
  NemoJobConfig *settings = &self->settings;

  switch (prop_id) {
    case PROP_PROMPT:
      return &settings->prompt;
    case PROP_API_URL:
      return &settings->cloud.api_url;
    case PROP_CLIENT_ID:
      return &settings->cloud.client_id;
    case PROP_LANGUAGE:
      return &settings->cloud.language;
    case PROP_SESSION_ID:
      return &settings->session_id;
    case PROP_RENDER_ID:
      return &settings->render_id;
    case PROP_AUDIO_URI:
      return &settings->audio;
    case PROP_VISUAL_URI:
      return &self->visual_uri;
    case PROP_TITLE:
      return &settings->title;
    case PROP_ARTIST:
      return &settings->artist;
    case PROP_ASPECT_RATIO:
      return &settings->aspect_ratio;
    case PROP_SKILL_SOURCE:
      return &settings->cloud.skill_source;
    case PROP_SKILL_VERSION:
      return &settings->cloud.skill_version;
    case PROP_SKILL_PLATFORM:
      return &settings->cloud.skill_platform;
    default:
      return NULL;
  }
}

static void
set_token (GstNemoRender * self, const GValue * value)
{
  /* a secret is set before the job starts, never while it runs */
  if (GST_STATE (self) > GST_STATE_READY) {
    GST_OBJECT_UNLOCK (self);
    g_warning ("nemorender: the token can only be set in the NULL or READY "
        "state");
    GST_OBJECT_LOCK (self);
    return;
  }
  g_free (self->settings.cloud.token);
  self->settings.cloud.token = g_value_dup_string (value);
  if (self->settings.cloud.token && *self->settings.cloud.token == '\0')
    g_clear_pointer (&self->settings.cloud.token, g_free);
}

static void
gst_nemo_render_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstNemoRender *self = GST_NEMO_RENDER (object);
  NemoJobConfig *settings = &self->settings;
  gchar **field;

  GST_OBJECT_LOCK (self);
  if ((field = string_field (self, prop_id)) != NULL) {
    g_free (*field);
    *field = g_value_dup_string (value);
    if (prop_id == PROP_API_URL)
      self->api_url_set = *field != NULL;
    GST_OBJECT_UNLOCK (self);
    return;
  }
  switch (prop_id) {
    case PROP_BACKEND:
      self->backend = g_value_get_enum (value);
      break;
    case PROP_TOKEN:
      set_token (self, value);
      break;
    case PROP_WIDTH:
      settings->width = g_value_get_int (value);
      settings->size_set = TRUE;
      break;
    case PROP_HEIGHT:
      settings->height = g_value_get_int (value);
      settings->size_set = TRUE;
      break;
    case PROP_FRAMERATE:
      settings->fps_n = gst_value_get_fraction_numerator (value);
      settings->fps_d = gst_value_get_fraction_denominator (value);
      break;
    case PROP_MAX_DURATION:{
      GstClockTime max = g_value_get_uint64 (value);

      settings->max_duration_us = GST_CLOCK_TIME_IS_VALID (max) ?
          (gint64) (max / GST_USECOND) : 0;
      break;
    }
    case PROP_MAX_UPLOAD_SIZE:
      settings->cloud.max_upload_size = g_value_get_uint64 (value);
      break;
    case PROP_POLL_INTERVAL:
      settings->cloud.poll_interval_ms = g_value_get_uint (value);
      break;
    case PROP_TIMEOUT:
      settings->cloud.timeout_s = g_value_get_uint (value);
      break;
    case PROP_RETRIES:
      settings->cloud.retries = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nemo_render_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstNemoRender *self = GST_NEMO_RENDER (object);
  NemoJobConfig *settings = &self->settings;
  gchar **field;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SESSION_ID:
      /* the session in use, else the one asked for */
      g_value_set_string (value, self->current_session_id ?
          self->current_session_id : settings->session_id);
      break;
    case PROP_RENDER_ID:
      g_value_set_string (value, self->current_render_id ?
          self->current_render_id : settings->render_id);
      break;
    case PROP_BACKEND:
      g_value_set_enum (value, self->backend);
      break;
    case PROP_WIDTH:
      g_value_set_int (value, settings->width);
      break;
    case PROP_HEIGHT:
      g_value_set_int (value, settings->height);
      break;
    case PROP_FRAMERATE:
      gst_value_set_fraction (value, settings->fps_n, settings->fps_d);
      break;
    case PROP_MAX_DURATION:
      g_value_set_uint64 (value, settings->max_duration_us > 0 ?
          (guint64) settings->max_duration_us * GST_USECOND :
          GST_CLOCK_TIME_NONE);
      break;
    case PROP_MAX_UPLOAD_SIZE:
      g_value_set_uint64 (value, settings->cloud.max_upload_size);
      break;
    case PROP_POLL_INTERVAL:
      g_value_set_uint (value, settings->cloud.poll_interval_ms);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, settings->cloud.timeout_s);
      break;
    case PROP_RETRIES:
      g_value_set_uint (value, settings->cloud.retries);
      break;
    default:
      if ((field = string_field (self, prop_id)) != NULL)
        g_value_set_string (value, *field);
      else
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nemo_render_finalize (GObject * object)
{
  GstNemoRender *self = GST_NEMO_RENDER (object);

  nemo_job_config_clear (&self->settings);
  g_free (self->visual_uri);
  g_free (self->current_session_id);
  g_free (self->current_render_id);
  g_hash_table_unref (self->eos_pads);
  g_object_unref (self->cancellable);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | \
    GST_PARAM_MUTABLE_READY)

static void
install_string (GObjectClass * klass, guint prop_id, const gchar * name,
    const gchar * nick, const gchar * blurb, const gchar * default_value)
{
  g_object_class_install_property (klass, prop_id, g_param_spec_string (name,
          nick, blurb, default_value, PARAM_FLAGS));
}

static void
install_uint (GObjectClass * klass, guint prop_id, const gchar * name,
    const gchar * nick, const gchar * blurb, guint max, guint default_value)
{
  g_object_class_install_property (klass, prop_id, g_param_spec_uint (name,
          nick, blurb, 0, max, default_value, PARAM_FLAGS));
}

static void
install_properties (GObjectClass * klass)
{
  install_string (klass, PROP_PROMPT, "prompt", "Prompt",
      "What you want, in words, e.g. \"create a looping music video with "
      "visualizer and track info overlay\"; the cloud's agent reads it, and "
      "the timeline keeps it", NULL);
  g_object_class_install_property (klass, PROP_BACKEND,
      g_param_spec_enum ("backend", "Backend",
          "Where the video is rendered: local never sends media anywhere",
          GST_TYPE_NEMO_RENDER_BACKEND, DEFAULT_BACKEND, PARAM_FLAGS));
  install_string (klass, PROP_API_URL, "api-url", "API URL",
      "The service's base URL (cloud); plain http:// only for loopback "
      "hosts such as a local nemo-sim", NEMO_CLOUD_DEFAULT_API_URL);
  g_object_class_install_property (klass, PROP_TOKEN,
      g_param_spec_string ("token", "Token",
          "Bearer token for the service (cloud), default $NEMO_TOKEN, else "
          "an anonymous token is fetched; write-only, never logged (with "
          "gst-launch prefer NEMO_TOKEN: GStreamer logs command lines at "
          "debug level 4)", NULL, G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  install_string (klass, PROP_CLIENT_ID, "client-id", "Client id",
      "X-Client-Id sent for an anonymous token (cloud); a random UUID by "
      "default", NULL);
  install_string (klass, PROP_LANGUAGE, "language", "Language",
      "The session's language, e.g. en or zh (cloud); from the locale by "
      "default", NULL);
  install_string (klass, PROP_SESSION_ID, "session-id", "Session id",
      "Read: the cloud session in use.  Write: continue that session, e.g. "
      "to edit the same timeline again", NULL);
  install_string (klass, PROP_RENDER_ID, "render-id", "Render id",
      "Read: the cloud export job in flight or done.  Write: resume polling "
      "and downloading that job instead of rendering again", NULL);
  install_string (klass, PROP_AUDIO_URI, "audio-uri", "Audio URI",
      "The song, as a path, file:// URI or (cloud) http(s) URL: MP3, "
      "AAC/M4A, WAV, FLAC, OGG/Opus, or a video's sound; instead of the "
      "audio pad", NULL);
  install_string (klass, PROP_VISUAL_URI, "visual-uri", "Visual URI",
      "The picture or clip, as a path, file:// URI or (cloud) http(s) URL: "
      "JPEG, PNG, GIF, WebP; MP4, MOV, MKV, WebM, AVI; it comes before any "
      "video_%u pad's", NULL);
  install_string (klass, PROP_TITLE, "title", "Title",
      "Track title (default: the song's title tag); written into the MP4's "
      "metadata", NULL);
  install_string (klass, PROP_ARTIST, "artist", "Artist",
      "Artist (default: the song's artist tag); written into the MP4's "
      "metadata", NULL);
  g_object_class_install_property (klass, PROP_WIDTH,
      g_param_spec_int ("width", "Width", "Output width in pixels (even)",
          16, 8192, 1920, PARAM_FLAGS));
  g_object_class_install_property (klass, PROP_HEIGHT,
      g_param_spec_int ("height", "Height", "Output height in pixels (even)",
          16, 8192, 1080, PARAM_FLAGS));
  install_string (klass, PROP_ASPECT_RATIO, "aspect-ratio", "Aspect ratio",
      "Output shape: 16:9, 9:16, 1:1 or 4:5; the longer side keeps its "
      "length (1920x1080 with 9:16 gives 1080x1920)", NULL);
  g_object_class_install_property (klass, PROP_FRAMERATE,
      gst_param_spec_fraction ("framerate", "Frame rate",
          "Output frame rate (constant)", 1, 1, 120, 1, 30, 1, PARAM_FLAGS));
  g_object_class_install_property (klass, PROP_MAX_DURATION,
      g_param_spec_uint64 ("max-duration", "Maximum duration",
          "Trim the song (and so the video) to this many nanoseconds "
          "(-1 = the whole song)", 0, G_MAXUINT64, DEFAULT_MAX_DURATION,
          PARAM_FLAGS));
  g_object_class_install_property (klass, PROP_MAX_UPLOAD_SIZE,
      g_param_spec_uint64 ("max-upload-size", "Maximum upload size",
          "Largest file sent to the service, in bytes (cloud); larger inputs "
          "are re-encoded to fit or refused with an explanation", 0,
          G_MAXUINT64, 500 * 1000 * 1000, PARAM_FLAGS));
  install_uint (klass, PROP_POLL_INTERVAL, "poll-interval", "Poll interval",
      "First delay between export-status polls, in ms (cloud); it adapts to "
      "the reported progress, never past 30 s", G_MAXUINT, 2000);
  install_uint (klass, PROP_TIMEOUT, "timeout", "Timeout",
      "Longest the service may stay silent apart from heartbeats, in "
      "seconds (cloud)", G_MAXUINT, 900);
  install_uint (klass, PROP_RETRIES, "retries", "Retries",
      "Retries of a request after a network error or a 5xx reply, with "
      "capped exponential backoff (cloud)", 100, 3);
  install_string (klass, PROP_SKILL_SOURCE, "skill-source", "Skill source",
      "X-Skill-Source attribution header (cloud)", DEFAULT_SKILL_SOURCE);
  install_string (klass, PROP_SKILL_VERSION, "skill-version",
      "Skill version", "X-Skill-Version attribution header (cloud)",
      DEFAULT_SKILL_VERSION);
  install_string (klass, PROP_SKILL_PLATFORM, "skill-platform",
      "Skill platform", "X-Skill-Platform attribution header (cloud)",
      DEFAULT_SKILL_PLATFORM);
}

static void
gst_nemo_render_class_init (GstNemoRenderClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_nemo_render_debug, "nemorender", 0,
      "music video renderer");

  gobject_class->set_property = gst_nemo_render_set_property;
  gobject_class->get_property = gst_nemo_render_get_property;
  gobject_class->finalize = gst_nemo_render_finalize;
  install_properties (gobject_class);

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_nemo_render_change_state);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_nemo_render_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_nemo_render_release_pad);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &audio_template, GST_TYPE_NEMO_RENDER_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &video_template, GST_TYPE_NEMO_RENDER_PAD);
  gst_element_class_set_static_metadata (element_class,
      "Music video renderer", "Codec/Muxer/Video/Audio",
      "Turns a song and its album art or clips into a YouTube-ready "
      "H.264/AAC MP4, locally with FFmpeg or on the hosted service. "
      "Example: gst-launch-1.0 nemorender audio-uri=song.mp3 "
      "visual-uri=cover.jpg ! filesink location=video.mp4",
      "nemorender developers");

  gst_type_mark_as_plugin_api (GST_TYPE_NEMO_RENDER_BACKEND, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_NEMO_RENDER_PAD, 0);
}

/* "en" from "en_US.UTF-8"; "C", "C.UTF-8" and "POSIX" → "en". */
static gchar *
language_from_locale (void)
{
  const gchar *locale = g_get_language_names ()[0];
  g_autofree gchar *language = g_strndup (locale, strcspn (locale, "_.@"));

  if (*language == '\0' || g_str_equal (language, "C")
      || g_str_equal (language, "POSIX"))
    return g_strdup ("en");
  return g_steal_pointer (&language);
}

static void
gst_nemo_render_init (GstNemoRender * self)
{
  NemoJobConfig *settings = &self->settings;

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_activatemode_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_nemo_render_src_activate_mode));
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->eos_pads = g_hash_table_new (NULL, NULL);
  self->cancellable = g_cancellable_new ();
  self->target_us = -1;
  self->backend = DEFAULT_BACKEND;

  nemo_job_config_init (settings);
  settings->cloud.api_url = g_strdup (NEMO_CLOUD_DEFAULT_API_URL);
  settings->cloud.client_id = g_uuid_string_random ();
  settings->cloud.language = language_from_locale ();
  settings->cloud.skill_source = g_strdup (DEFAULT_SKILL_SOURCE);
  settings->cloud.skill_version = g_strdup (DEFAULT_SKILL_VERSION);
  settings->cloud.skill_platform = g_strdup (DEFAULT_SKILL_PLATFORM);
}
