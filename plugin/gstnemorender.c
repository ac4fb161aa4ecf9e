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
 * Nothing leaves the machine: the local backend renders with FFmpeg.
 *
 * Progress is posted as `nemorender-progress` element messages (`stage`,
 * `percent`) and GST_MESSAGE_PROGRESS; the timeline as
 * `nemorender-timeline` (`summary`, `draft`).  A failure posts an error
 * whose message says what to do, and pushes no MP4 bytes.
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
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstnemorender.h"

#include <gst/audio/audio.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <nemo/error.h>
#include <nemo/media.h>

GST_DEBUG_CATEGORY_STATIC (gst_nemo_render_debug);
#define GST_CAT_DEFAULT gst_nemo_render_debug

/* MP4 bytes go downstream in buffers of this size. */
#define PUSH_CHUNK_SIZE (1024 * 1024)

enum
{
  PROP_0,
  PROP_PROMPT,
  PROP_BACKEND,
  PROP_AUDIO_URI,
  PROP_VISUAL_URI,
  PROP_TITLE,
  PROP_ARTIST,
  PROP_WIDTH,
  PROP_HEIGHT,
  PROP_ASPECT_RATIO,
  PROP_FRAMERATE,
  PROP_MAX_DURATION,
};

#define DEFAULT_BACKEND GST_NEMO_RENDER_BACKEND_AUTO
#define DEFAULT_WIDTH 1920
#define DEFAULT_HEIGHT 1080
#define DEFAULT_FPS_N 30
#define DEFAULT_FPS_D 1
#define DEFAULT_MAX_DURATION GST_CLOCK_TIME_NONE

typedef enum
{
  PAD_AUDIO_RAW,
  PAD_AUDIO_ENCODED,
  PAD_VIDEO_RAW,
  PAD_VIDEO_IMAGE,
  PAD_VIDEO_ENCODED,
} PadInput;

struct _GstNemoRenderPad
{
  GstPad parent;

  /* set on caps, used by the pad's streaming thread */
  NemoSpool *spool;
  PadInput input;
  GstVideoInfo vinfo;
  GstSegment segment;

  /* protected by the element's lock */
  gboolean eos;
};

struct _GstNemoRender
{
  GstElement parent;

  GstPad *srcpad;
  GstNemoRenderPad *audio_pad;
  guint next_video_index;

  /* protects the pads' eos flags, flushing, the target and tags; cond is
   * signalled when any of them changes */
  GMutex lock;
  GCond cond;
  gboolean flushing;
  gchar *tag_title, *tag_artist, *tag_album;
  gint64 target_us;             /* how much video is enough, -1 unknown */
  gboolean target_probed;

  gchar *tmpdir;
  GCancellable *cancellable;
  const gchar *stage;           /* interned name of the stage in progress */
  gdouble stage_percent;

  /* properties, protected by the object lock */
  gchar *prompt;
  GstNemoRenderBackend backend;
  gchar *audio_uri;
  gchar *visual_uri;
  gchar *title;
  gchar *artist;
  gint width, height;
  gchar *aspect_ratio;
  gint fps_n, fps_d;
  GstClockTime max_duration;
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
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE ("{ I420, NV12, Y42B, Y444, RGBA, "
            "BGRA, RGBx, BGRx, RGB, BGR }") "; "
        "image/jpeg, parsed=(boolean)true; image/png, parsed=(boolean)true; "
        "video/x-h264, stream-format=(string)byte-stream, "
        "alignment=(string)au"));

#define gst_nemo_render_parent_class parent_class
G_DEFINE_TYPE (GstNemoRender, gst_nemo_render, GST_TYPE_ELEMENT);
G_DEFINE_TYPE (GstNemoRenderPad, gst_nemo_render_pad, GST_TYPE_PAD);
GST_ELEMENT_REGISTER_DEFINE (nemorender, "nemorender", GST_RANK_NONE,
    GST_TYPE_NEMO_RENDER);

GType
gst_nemo_render_backend_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_NEMO_RENDER_BACKEND_AUTO, "Local unless a cloud token or api-url is "
          "given (the cloud backend is not in this version: always local)",
        "auto"},
    {GST_NEMO_RENDER_BACKEND_LOCAL, "Render on this machine with FFmpeg; "
          "nothing leaves the machine", "local"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstNemoRenderBackend", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ---------------------------------------------------------------- pads -- */

static void
gst_nemo_render_pad_finalize (GObject * object)
{
  GstNemoRenderPad *pad = GST_NEMO_RENDER_PAD (object);

  g_clear_pointer (&pad->spool, nemo_spool_free);
  G_OBJECT_CLASS (gst_nemo_render_pad_parent_class)->finalize (object);
}

static void
gst_nemo_render_pad_class_init (GstNemoRenderPadClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_nemo_render_pad_finalize;
}

static void
gst_nemo_render_pad_init (GstNemoRenderPad * pad)
{
  gst_segment_init (&pad->segment, GST_FORMAT_TIME);
}

static gboolean
pad_is_audio (GstNemoRender * self, GstNemoRenderPad * pad)
{
  return pad == self->audio_pad;
}

/* Linked sink pads that have not seen EOS yet.  Called with self->lock. */
static gboolean
inputs_complete (GstNemoRender * self)
{
  gboolean complete = TRUE;
  GList *l;

  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l != NULL; l = l->next) {
    GstNemoRenderPad *pad = l->data;

    if (gst_pad_is_linked (GST_PAD (pad)) && !pad->eos)
      complete = FALSE;
  }
  GST_OBJECT_UNLOCK (self);
  return complete;
}

static void
mark_pad_eos (GstNemoRender * self, GstNemoRenderPad * pad)
{
  g_mutex_lock (&self->lock);
  pad->eos = TRUE;
  /* the song's length tells the video pads when they have enough */
  if (pad_is_audio (self, pad) && pad->spool != NULL && self->target_us < 0)
    self->target_us = nemo_spool_get_duration (pad->spool);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* How much input is enough: max-duration, else the song's length once it is
 * known; -1 while it is not. */
static gint64
input_target_us (GstNemoRender * self)
{
  gint64 target, max_us = -1;
  gchar *audio_uri = NULL;

  GST_OBJECT_LOCK (self);
  if (GST_CLOCK_TIME_IS_VALID (self->max_duration))
    max_us = (gint64) (self->max_duration / GST_USECOND);
  if (self->audio_pad == NULL)
    audio_uri = g_strdup (self->audio_uri);
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

  if (pad->input == PAD_VIDEO_IMAGE)
    return TRUE;                /* an image pad carries one still */
  target = input_target_us (self);
  return target >= 0 && nemo_spool_get_duration (pad->spool) >= target;
}

static gboolean
sample_format_from_gst (GstAudioFormat format, NemoSampleFormat * out)
{
  switch (format) {
    case GST_AUDIO_FORMAT_U8:
      *out = NEMO_SAMPLE_U8;
      return TRUE;
    case GST_AUDIO_FORMAT_S16LE:
      *out = NEMO_SAMPLE_S16;
      return TRUE;
    case GST_AUDIO_FORMAT_S24LE:
      *out = NEMO_SAMPLE_S24;
      return TRUE;
    case GST_AUDIO_FORMAT_S32LE:
      *out = NEMO_SAMPLE_S32;
      return TRUE;
    case GST_AUDIO_FORMAT_F32LE:
      *out = NEMO_SAMPLE_F32;
      return TRUE;
    case GST_AUDIO_FORMAT_F64LE:
      *out = NEMO_SAMPLE_F64;
      return TRUE;
    default:
      return FALSE;
  }
}

static gboolean
pixel_format_from_gst (GstVideoFormat format, NemoPixelFormat * out)
{
  static const struct
  {
    GstVideoFormat gst;
    NemoPixelFormat nemo;
  } map[] = {
    {GST_VIDEO_FORMAT_I420, NEMO_PIXEL_I420},
    {GST_VIDEO_FORMAT_NV12, NEMO_PIXEL_NV12},
    {GST_VIDEO_FORMAT_Y42B, NEMO_PIXEL_Y42B},
    {GST_VIDEO_FORMAT_Y444, NEMO_PIXEL_Y444},
    {GST_VIDEO_FORMAT_RGBA, NEMO_PIXEL_RGBA},
    {GST_VIDEO_FORMAT_BGRA, NEMO_PIXEL_BGRA},
    {GST_VIDEO_FORMAT_RGBx, NEMO_PIXEL_RGBX},
    {GST_VIDEO_FORMAT_BGRx, NEMO_PIXEL_BGRX},
    {GST_VIDEO_FORMAT_RGB, NEMO_PIXEL_RGB},
    {GST_VIDEO_FORMAT_BGR, NEMO_PIXEL_BGR},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (map); i++) {
    if (map[i].gst == format) {
      *out = map[i].nemo;
      return TRUE;
    }
  }
  return FALSE;
}

static NemoSpool *
spool_for_caps (GstNemoRenderPad * pad, GstCaps * caps, const gchar * base,
    GError ** error)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const gchar *media = gst_structure_get_name (s);

  if (g_str_equal (media, "audio/x-raw")) {
    GstAudioInfo ainfo;
    NemoSampleFormat format;

    if (!gst_audio_info_from_caps (&ainfo, caps)
        || !sample_format_from_gst (GST_AUDIO_INFO_FORMAT (&ainfo), &format))
      goto not_supported;
    pad->input = PAD_AUDIO_RAW;
    return nemo_spool_new_raw_audio (base, format,
        GST_AUDIO_INFO_RATE (&ainfo), GST_AUDIO_INFO_CHANNELS (&ainfo), error);
  }
  if (g_str_equal (media, "audio/mpeg")) {
    gint version = 1;

    gst_structure_get_int (s, "mpegversion", &version);
    pad->input = PAD_AUDIO_ENCODED;
    return nemo_spool_new_encoded (base,
        version == 1 ? NEMO_CODEC_MP3 : NEMO_CODEC_AAC_ADTS, error);
  }
  if (g_str_equal (media, "video/x-raw")) {
    NemoPixelFormat format;

    if (!gst_video_info_from_caps (&pad->vinfo, caps)
        || !pixel_format_from_gst (GST_VIDEO_INFO_FORMAT (&pad->vinfo),
            &format))
      goto not_supported;
    pad->input = PAD_VIDEO_RAW;
    return nemo_spool_new_raw_video (base, format,
        GST_VIDEO_INFO_WIDTH (&pad->vinfo), GST_VIDEO_INFO_HEIGHT (&pad->vinfo),
        GST_VIDEO_INFO_FPS_N (&pad->vinfo), GST_VIDEO_INFO_FPS_D (&pad->vinfo),
        error);
  }
  if (g_str_equal (media, "image/jpeg") || g_str_equal (media, "image/png")) {
    pad->input = PAD_VIDEO_IMAGE;
    return nemo_spool_new_encoded (base, g_str_equal (media, "image/jpeg") ?
        NEMO_CODEC_JPEG : NEMO_CODEC_PNG, error);
  }
  if (g_str_equal (media, "video/x-h264")) {
    pad->input = PAD_VIDEO_ENCODED;
    return nemo_spool_new_encoded (base, NEMO_CODEC_H264, error);
  }

not_supported:
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
      "%s: caps %" GST_PTR_FORMAT " are not supported", GST_PAD_NAME (pad),
      caps);
  return NULL;
}

static gboolean
pad_set_caps (GstNemoRender * self, GstNemoRenderPad * pad, GstCaps * caps)
{
  GstCaps *current = gst_pad_get_current_caps (GST_PAD (pad));
  gboolean same = current != NULL && gst_caps_is_equal (current, caps);
  g_autofree gchar *base = NULL;
  GError *error = NULL;

  g_clear_pointer (&current, gst_caps_unref);
  if (same)
    return TRUE;
  if (pad->spool != NULL) {
    /* the spool holds one stream: a new format mid-stream cannot join it */
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The format on %s changed mid-stream to %" GST_PTR_FORMAT ". "
            "Give each pad one stream, or put a videoconvert/audioconvert "
            "and a capsfilter in front of it.", GST_PAD_NAME (pad), caps),
        (NULL));
    return FALSE;
  }

  base = g_build_filename (self->tmpdir, GST_PAD_NAME (pad), NULL);
  pad->spool = spool_for_caps (pad, caps, base, &error);
  if (pad->spool == NULL) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("%s", error->message), (NULL));
    g_error_free (error);
    return FALSE;
  }
  GST_DEBUG_OBJECT (pad, "spooling %" GST_PTR_FORMAT " to %s", caps,
      nemo_spool_get_path (pad->spool));
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
finish_pad (GstNemoRender * self, GstNemoRenderPad * pad)
{
  GError *error = NULL;

  if (pad->eos)
    return TRUE;
  if (pad->spool != NULL && !nemo_spool_finish (pad->spool, &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("%s", error->message), (NULL));
    g_error_free (error);
    return FALSE;
  }
  mark_pad_eos (self, pad);
  return TRUE;
}

static gboolean
gst_nemo_render_sink_event (GstPad * gpad, GstObject * parent,
    GstEvent * event)
{
  GstNemoRender *self = GST_NEMO_RENDER (parent);
  GstNemoRenderPad *pad = GST_NEMO_RENDER_PAD (gpad);
  gboolean ret = TRUE;

  GST_LOG_OBJECT (pad, "%" GST_PTR_FORMAT, event);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      ret = pad_set_caps (self, pad, caps);
      break;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &pad->segment);
      break;
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

static gint64
buffer_stream_time_us (GstNemoRenderPad * pad, GstBuffer * buffer)
{
  GstClockTime ts = gst_segment_to_stream_time (&pad->segment,
      GST_FORMAT_TIME, GST_BUFFER_PTS (buffer));

  return GST_CLOCK_TIME_IS_VALID (ts) ? (gint64) (ts / GST_USECOND) : -1;
}

static gboolean
spool_buffer (GstNemoRenderPad * pad, GstBuffer * buffer, GError ** error)
{
  gint64 pts_us = buffer_stream_time_us (pad, buffer);
  gboolean ok;

  if (pad->input == PAD_VIDEO_RAW) {
    GstVideoFrame frame;
    const guint8 *planes[4] = { NULL, };
    gint strides[4] = { 0, };
    guint i;

    if (!gst_video_frame_map (&frame, &pad->vinfo, buffer, GST_MAP_READ)) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
          "%s: a video frame could not be read", GST_PAD_NAME (pad));
      return FALSE;
    }
    for (i = 0; i < GST_VIDEO_FRAME_N_PLANES (&frame); i++) {
      planes[i] = GST_VIDEO_FRAME_PLANE_DATA (&frame, i);
      strides[i] = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, i);
    }
    ok = nemo_spool_write_video (pad->spool, planes, strides, pts_us, error);
    gst_video_frame_unmap (&frame);
  } else {
    GstMapInfo map;

    gst_buffer_map (buffer, &map, GST_MAP_READ);
    ok = nemo_spool_write (pad->spool, map.data, map.size, pts_us, error);
    gst_buffer_unmap (buffer, &map);
  }
  return ok;
}

static GstFlowReturn
gst_nemo_render_chain (GstPad * gpad, GstObject * parent, GstBuffer * buffer)
{
  GstNemoRender *self = GST_NEMO_RENDER (parent);
  GstNemoRenderPad *pad = GST_NEMO_RENDER_PAD (gpad);
  GError *error = NULL;
  gboolean ok;

  if (pad->eos) {
    gst_buffer_unref (buffer);
    return GST_FLOW_EOS;
  }
  if (pad->spool == NULL) {
    gst_buffer_unref (buffer);
    return GST_FLOW_NOT_NEGOTIATED;
  }

  ok = spool_buffer (pad, buffer, &error);
  gst_buffer_unref (buffer);
  if (!ok) {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("%s", error->message), (NULL));
    g_error_free (error);
    return GST_FLOW_ERROR;
  }

  /* enough of an endless source: tell upstream to stop */
  if ((!pad_is_audio (self, pad) || GST_CLOCK_TIME_IS_VALID (self->max_duration))
      && pad_has_enough (self, pad)) {
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
  g_autofree gchar *name = NULL;
  GstNemoRenderPad *pad;

  GST_OBJECT_LOCK (self);
  if (templ == gst_element_class_get_pad_template (klass, "audio")) {
    if (self->audio_pad != NULL) {
      GST_OBJECT_UNLOCK (self);
      GST_WARNING_OBJECT (self, "there is only one audio pad, and it exists");
      return NULL;
    }
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
  gst_pad_set_chain_function (GST_PAD (pad),
      GST_DEBUG_FUNCPTR (gst_nemo_render_chain));
  gst_pad_set_event_function (GST_PAD (pad),
      GST_DEBUG_FUNCPTR (gst_nemo_render_sink_event));

  if (g_str_equal (name, "audio"))
    self->audio_pad = pad;
  gst_element_add_pad (element, GST_PAD (pad));
  return GST_PAD (pad);
}

static void
gst_nemo_render_release_pad (GstElement * element, GstPad * pad)
{
  GstNemoRender *self = GST_NEMO_RENDER (element);

  GST_OBJECT_LOCK (self);
  if (pad == GST_PAD (self->audio_pad))
    self->audio_pad = NULL;
  GST_OBJECT_UNLOCK (self);

  gst_element_remove_pad (element, pad);
  /* the task may have been waiting for this pad */
  g_mutex_lock (&self->lock);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------ the job's side -- */

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
  };
  const gchar *text = stage;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (texts); i++)
    if (g_str_equal (texts[i].stage, stage))
      text = texts[i].text;
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_progress (GST_OBJECT (self), type, stage, text));
}

static void
on_job_progress (const gchar * stage, gdouble percent, gpointer user_data)
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
  if (percent < self->stage_percent + 1.0 && percent < 100.0)
    return;
  if (percent <= self->stage_percent)
    return;
  self->stage_percent = percent;
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("nemorender-progress",
              "stage", G_TYPE_STRING, stage,
              "percent", G_TYPE_DOUBLE, CLAMP (percent, 0.0, 100.0), NULL)));
}

static void
on_job_timeline (const gchar * summary, const gchar * draft_json,
    gpointer user_data)
{
  GstNemoRender *self = user_data;

  GST_INFO_OBJECT (self, "%s", summary);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("nemorender-timeline",
              "summary", G_TYPE_STRING, summary,
              "draft", G_TYPE_STRING, draft_json, NULL)));
}

/* Everything the job needs, taken from the properties and the spooled
 * pads.  FALSE with @error when a pad delivered nothing. */
static gboolean
collect_job_config (GstNemoRender * self, NemoJobConfig * config,
    GError ** error)
{
  GList *l;

  nemo_job_config_init (config);

  GST_OBJECT_LOCK (self);
  config->prompt = g_strdup (self->prompt);
  config->title = g_strdup (self->title);
  config->artist = g_strdup (self->artist);
  config->width = self->width;
  config->height = self->height;
  config->aspect_ratio = g_strdup (self->aspect_ratio);
  config->fps_n = self->fps_n;
  config->fps_d = self->fps_d;
  if (GST_CLOCK_TIME_IS_VALID (self->max_duration))
    config->max_duration_us = (gint64) (self->max_duration / GST_USECOND);
  config->audio = g_strdup (self->audio_uri);
  if (self->visual_uri != NULL)
    g_ptr_array_add (config->visuals, g_strdup (self->visual_uri));

  for (l = GST_ELEMENT (self)->sinkpads; l != NULL; l = l->next) {
    GstNemoRenderPad *pad = l->data;

    if (!gst_pad_is_linked (GST_PAD (pad)))
      continue;
    if (pad->spool == NULL || nemo_spool_get_count (pad->spool) == 0) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_NO_AUDIO,
          "Nothing arrived on %s before it ended. Check the branch that "
          "feeds it (does its file exist and decode?).", GST_PAD_NAME (pad));
      GST_OBJECT_UNLOCK (self);
      return FALSE;
    }
    if (pad_is_audio (self, pad)) {
      /* the pad is the song; an audio-uri as well would be ambiguous */
      g_free (config->audio);
      config->audio = g_strdup (nemo_spool_get_path (pad->spool));
    } else {
      g_ptr_array_add (config->visuals,
          g_strdup (nemo_spool_get_path (pad->spool)));
    }
  }
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  if (config->title == NULL)
    config->title = g_strdup (self->tag_title);
  if (config->artist == NULL)
    config->artist = g_strdup (self->tag_artist);
  config->album = g_strdup (self->tag_album);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static void
error_to_gst (const GError * error, GQuark * domain, gint * code)
{
  *domain = GST_STREAM_ERROR;
  *code = GST_STREAM_ERROR_FORMAT;
  if (error->domain != NEMO_ERROR)
    return;

  switch (error->code) {
    case NEMO_ERROR_NOT_FOUND:
      *domain = GST_RESOURCE_ERROR;
      *code = GST_RESOURCE_ERROR_NOT_FOUND;
      break;
    case NEMO_ERROR_IO:
      *domain = GST_RESOURCE_ERROR;
      *code = GST_RESOURCE_ERROR_WRITE;
      break;
    case NEMO_ERROR_INVALID_ARGUMENT:
      *domain = GST_RESOURCE_ERROR;
      *code = GST_RESOURCE_ERROR_SETTINGS;
      break;
    case NEMO_ERROR_ENCODE:
      *domain = GST_LIBRARY_ERROR;
      *code = GST_LIBRARY_ERROR_ENCODE;
      break;
    default:
      break;
  }
}

/* Post @error as the element's error, with SPEC.md's details structure. */
static void
post_job_error (GstNemoRender * self, const GError * error)
{
  GQuark domain;
  gint code;
  gint nemo_code = 0;

  error_to_gst (error, &domain, &code);
  /* nemo-code carries the service's codes only, not our own */
  if (error->domain == NEMO_ERROR && error->code < NEMO_ERROR_NOT_FOUND
      && error->code >= 1000)
    nemo_code = error->code;

  gst_element_message_full_with_details (GST_ELEMENT (self),
      GST_MESSAGE_ERROR, domain, code, g_strdup (error->message), NULL,
      __FILE__, GST_FUNCTION, __LINE__,
      gst_structure_new ("details",
          "nemo-code", G_TYPE_INT, nemo_code,
          "http-status", G_TYPE_UINT, 0, NULL));
}

static gboolean
render (GstNemoRender * self, const gchar * output, GError ** error)
{
  const NemoJobCallbacks callbacks = {
    .progress = on_job_progress,
    .timeline = on_job_timeline,
  };
  NemoJobConfig config;
  gboolean ok;

  if (!collect_job_config (self, &config, error)) {
    nemo_job_config_clear (&config);
    return FALSE;
  }
  self->stage = NULL;
  ok = nemo_job_run_local (&config, &callbacks, self, output,
      self->cancellable, error);
  nemo_job_config_clear (&config);

  if (self->stage != NULL)
    post_progress (self, ok ? GST_PROGRESS_TYPE_COMPLETE :
        GST_PROGRESS_TYPE_ERROR, self->stage);
  return ok;
}

static GstFlowReturn
push_file (GstNemoRender * self, const gchar * path)
{
  GstFlowReturn flow = GST_FLOW_OK;
  GError *error = NULL;
  GFile *file = g_file_new_for_path (path);
  GInputStream *in = G_INPUT_STREAM (g_file_read (file, NULL, &error));
  GstSegment segment;
  guint64 offset = 0;

  g_object_unref (file);
  if (in == NULL)
    goto read_failed;

  gst_segment_init (&segment, GST_FORMAT_BYTES);
  gst_pad_push_event (self->srcpad,
      gst_event_new_caps (gst_static_pad_template_get_caps (&src_template)));
  gst_pad_push_event (self->srcpad, gst_event_new_segment (&segment));

  while (flow == GST_FLOW_OK) {
    GstBuffer *buffer = gst_buffer_new_allocate (NULL, PUSH_CHUNK_SIZE, NULL);
    GstMapInfo map;
    gssize n;

    gst_buffer_map (buffer, &map, GST_MAP_WRITE);
    n = g_input_stream_read (in, map.data, map.size, self->cancellable,
        &error);
    gst_buffer_unmap (buffer, &map);
    if (n <= 0) {
      gst_buffer_unref (buffer);
      if (n < 0)
        goto read_failed;
      break;
    }
    gst_buffer_set_size (buffer, n);
    GST_BUFFER_OFFSET (buffer) = offset;
    GST_BUFFER_OFFSET_END (buffer) = offset + n;
    offset += n;
    flow = gst_pad_push (self->srcpad, buffer);
  }
  g_object_unref (in);
  GST_DEBUG_OBJECT (self, "pushed %" G_GUINT64_FORMAT " bytes: %s", offset,
      gst_flow_get_name (flow));
  return flow;

read_failed:
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    flow = GST_FLOW_FLUSHING;
  } else {
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("The finished video could not be read back: %s", error->message),
        (NULL));
    flow = GST_FLOW_ERROR;
  }
  g_clear_error (&error);
  g_clear_object (&in);
  return flow;
}

static gboolean
wait_for_inputs (GstNemoRender * self)
{
  gboolean go;

  g_mutex_lock (&self->lock);
  while (!self->flushing && !inputs_complete (self))
    g_cond_wait (&self->cond, &self->lock);
  go = !self->flushing;
  g_mutex_unlock (&self->lock);
  return go;
}

/* The src pad's task: wait for every input, render, push the MP4, EOS. */
static void
gst_nemo_render_loop (GstNemoRender * self)
{
  g_autofree gchar *stream_id = NULL;
  g_autofree gchar *output = NULL;
  GError *error = NULL;
  GstFlowReturn flow;

  if (!wait_for_inputs (self))
    goto pause;

  /* several sink pads: no single upstream id to derive ours from */
  stream_id = g_strdup_printf ("%08x%08x%08x%08x", g_random_int (),
      g_random_int (), g_random_int (), g_random_int ());
  gst_pad_push_event (self->srcpad, gst_event_new_stream_start (stream_id));

  output = g_build_filename (self->tmpdir, "video.mp4", NULL);
  if (!render (self, output, &error)) {
    if (g_error_matches (error, NEMO_ERROR, NEMO_ERROR_CANCELLED)) {
      g_clear_error (&error);
      goto pause;
    }
    post_job_error (self, error);
    g_clear_error (&error);
    goto done;
  }

  flow = push_file (self, output);
  if (flow == GST_FLOW_FLUSHING)
    goto pause;
  if (flow == GST_FLOW_NOT_LINKED || flow < GST_FLOW_EOS)
    GST_ELEMENT_FLOW_ERROR (self, flow);

done:
  gst_pad_push_event (self->srcpad, gst_event_new_eos ());
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

static gboolean
remove_tree (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (d == NULL)
    return FALSE;
  while ((name = g_dir_read_name (d)) != NULL) {
    g_autofree gchar *path = g_build_filename (dir, name, NULL);
    g_unlink (path);
  }
  g_dir_close (d);
  return g_rmdir (dir) == 0;
}

static gboolean
start (GstNemoRender * self)
{
  GError *error = NULL;

  self->tmpdir = g_dir_make_tmp ("nemorender-XXXXXX", &error);
  if (self->tmpdir == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("No room for the work files: %s. Set TMPDIR to a writable folder "
            "with space for the video.", error->message), (NULL));
    g_error_free (error);
    return FALSE;
  }
  self->target_us = -1;
  self->target_probed = FALSE;
  return TRUE;
}

static void
stop (GstNemoRender * self)
{
  GList *l;

  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l != NULL; l = l->next) {
    GstNemoRenderPad *pad = l->data;

    g_clear_pointer (&pad->spool, nemo_spool_free);
    pad->eos = FALSE;
    gst_segment_init (&pad->segment, GST_FORMAT_TIME);
  }
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->tag_title, g_free);
  g_clear_pointer (&self->tag_artist, g_free);
  g_clear_pointer (&self->tag_album, g_free);
  g_mutex_unlock (&self->lock);

  if (self->tmpdir != NULL && !remove_tree (self->tmpdir))
    GST_WARNING_OBJECT (self, "could not remove %s", self->tmpdir);
  g_clear_pointer (&self->tmpdir, g_free);
}

static GstStateChangeReturn
gst_nemo_render_change_state (GstElement * element, GstStateChange transition)
{
  GstNemoRender *self = GST_NEMO_RENDER (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !start (self))
    return GST_STATE_CHANGE_FAILURE;

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    stop (self);
  return ret;
}

/* ---------------------------------------------------------- properties -- */

static void
replace_string (gchar ** field, const GValue * value)
{
  g_free (*field);
  *field = g_value_dup_string (value);
}

static void
gst_nemo_render_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstNemoRender *self = GST_NEMO_RENDER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_PROMPT:
      replace_string (&self->prompt, value);
      break;
    case PROP_BACKEND:
      self->backend = g_value_get_enum (value);
      break;
    case PROP_AUDIO_URI:
      replace_string (&self->audio_uri, value);
      break;
    case PROP_VISUAL_URI:
      replace_string (&self->visual_uri, value);
      break;
    case PROP_TITLE:
      replace_string (&self->title, value);
      break;
    case PROP_ARTIST:
      replace_string (&self->artist, value);
      break;
    case PROP_WIDTH:
      self->width = g_value_get_int (value);
      break;
    case PROP_HEIGHT:
      self->height = g_value_get_int (value);
      break;
    case PROP_ASPECT_RATIO:
      replace_string (&self->aspect_ratio, value);
      break;
    case PROP_FRAMERATE:
      self->fps_n = gst_value_get_fraction_numerator (value);
      self->fps_d = gst_value_get_fraction_denominator (value);
      break;
    case PROP_MAX_DURATION:
      self->max_duration = g_value_get_uint64 (value);
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

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_PROMPT:
      g_value_set_string (value, self->prompt);
      break;
    case PROP_BACKEND:
      g_value_set_enum (value, self->backend);
      break;
    case PROP_AUDIO_URI:
      g_value_set_string (value, self->audio_uri);
      break;
    case PROP_VISUAL_URI:
      g_value_set_string (value, self->visual_uri);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_ARTIST:
      g_value_set_string (value, self->artist);
      break;
    case PROP_WIDTH:
      g_value_set_int (value, self->width);
      break;
    case PROP_HEIGHT:
      g_value_set_int (value, self->height);
      break;
    case PROP_ASPECT_RATIO:
      g_value_set_string (value, self->aspect_ratio);
      break;
    case PROP_FRAMERATE:
      gst_value_set_fraction (value, self->fps_n, self->fps_d);
      break;
    case PROP_MAX_DURATION:
      g_value_set_uint64 (value, self->max_duration);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nemo_render_finalize (GObject * object)
{
  GstNemoRender *self = GST_NEMO_RENDER (object);

  g_free (self->prompt);
  g_free (self->audio_uri);
  g_free (self->visual_uri);
  g_free (self->title);
  g_free (self->artist);
  g_free (self->aspect_ratio);
  g_object_unref (self->cancellable);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | \
    GST_PARAM_MUTABLE_READY)

static void
install_properties (GObjectClass * gobject_class)
{
  g_object_class_install_property (gobject_class, PROP_PROMPT,
      g_param_spec_string ("prompt", "Prompt",
          "What you want, in words, e.g. \"create a looping music video "
          "with visualizer and track info overlay\"; kept in the timeline's "
          "metadata", NULL, PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_BACKEND,
      g_param_spec_enum ("backend", "Backend",
          "Where the video is rendered", GST_TYPE_NEMO_RENDER_BACKEND,
          DEFAULT_BACKEND, PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_AUDIO_URI,
      g_param_spec_string ("audio-uri", "Audio URI",
          "The song, as a path or file:// URI (MP3, AAC/M4A, WAV, FLAC, "
          "OGG/Opus, or a video's sound), instead of the audio pad",
          NULL, PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_VISUAL_URI,
      g_param_spec_string ("visual-uri", "Visual URI",
          "The picture or clip, as a path or file:// URI (JPEG, PNG, GIF, "
          "WebP; MP4, MOV, MKV, WebM, AVI); it comes before any video_%u "
          "pad's", NULL, PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_TITLE,
      g_param_spec_string ("title", "Title",
          "Track title (default: the song's title tag); written into the "
          "MP4's metadata", NULL, PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_ARTIST,
      g_param_spec_string ("artist", "Artist",
          "Artist (default: the song's artist tag); written into the MP4's "
          "metadata", NULL, PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_WIDTH,
      g_param_spec_int ("width", "Width",
          "Output width in pixels (even)", 16, 8192, DEFAULT_WIDTH,
          PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_HEIGHT,
      g_param_spec_int ("height", "Height",
          "Output height in pixels (even)", 16, 8192, DEFAULT_HEIGHT,
          PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_ASPECT_RATIO,
      g_param_spec_string ("aspect-ratio", "Aspect ratio",
          "Output shape: 16:9, 9:16, 1:1 or 4:5; the longer side keeps its "
          "length (1920x1080 with 9:16 gives 1080x1920)", NULL, PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_FRAMERATE,
      gst_param_spec_fraction ("framerate", "Frame rate",
          "Output frame rate (constant)", 1, 1, 120, 1,
          DEFAULT_FPS_N, DEFAULT_FPS_D, PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_MAX_DURATION,
      g_param_spec_uint64 ("max-duration", "Maximum duration",
          "Trim the song (and so the video) to this many nanoseconds "
          "(-1 = the whole song)", 0, G_MAXUINT64, DEFAULT_MAX_DURATION,
          PARAM_FLAGS));
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
      "H.264/AAC MP4", "nemorender developers");

  gst_type_mark_as_plugin_api (GST_TYPE_NEMO_RENDER_BACKEND, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_NEMO_RENDER_PAD, 0);
}

static void
gst_nemo_render_init (GstNemoRender * self)
{
  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_activatemode_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_nemo_render_src_activate_mode));
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->cancellable = g_cancellable_new ();
  self->target_us = -1;
  self->backend = DEFAULT_BACKEND;
  self->width = DEFAULT_WIDTH;
  self->height = DEFAULT_HEIGHT;
  self->fps_n = DEFAULT_FPS_N;
  self->fps_d = DEFAULT_FPS_D;
  self->max_duration = DEFAULT_MAX_DURATION;
}
