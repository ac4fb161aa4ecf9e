/* nemorender's sink pads: GStreamer caps and buffers → a NemoSpool file.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gstnemorenderpad.h"

#include <gst/audio/audio.h>
#include <gst/video/video.h>
#include <nemo/error.h>
#include <nemo/lyrics.h>
#include <nemo/media.h>

#include <glib/gstdio.h>
#include <string.h>

typedef enum
{
  INPUT_NONE,
  INPUT_AUDIO_RAW,
  INPUT_AUDIO_ENCODED,
  INPUT_VIDEO_RAW,
  INPUT_VIDEO_IMAGE,
  INPUT_VIDEO_ENCODED,
  INPUT_TEXT,                   /* timed text: the lyrics, as SubRip */
} PadInput;

/* The lyrics pad's text buffers, as SubRip cues: each is held until the
 * next comes, which ends one that had no duration. */
typedef struct
{
  GString *srt;
  gboolean markup;              /* Pango markup (subparse), not plain text */
  guint n_cues;
  gint64 start_ms, end_ms;      /* the held cue's; end -1: none yet */
  GString *held;                /* its text; NULL when none is held */
  gchar *path;                  /* where they go once the pad is finished */
} TextSpool;

struct _GstNemoRenderPad
{
  GstPad parent;

  /* used from the pad's streaming thread, and by the element once the pad
   * has seen EOS */
  NemoSpool *spool;
  TextSpool text;               /* INPUT_TEXT's, instead of @spool */
  PadInput input;
  GstVideoInfo vinfo;
  GstSegment segment;
  guint64 n_buffers;            /* since the stream (re)started */
  /* video timing: the previous buffer's stream time as it came, and where
   * the next frame goes once the times are found not to advance */
  gint64 last_in_us;
  gint64 next_us;
  gboolean untimed;             /* the times stopped advancing: frames are
                                 * timed one after another from then on */
  /* monotonic µs of the last buffer, -1 before any: read by the element's
   * task (under the object lock) to end a pad that went silent */
  gint64 last_buffer_at;
  /* the pad's tags, newest first (GST_TAG_MERGE_PREPEND); kept across
   * flushes like the TAG events they come from */
  GstTagList *tags;
};

G_DEFINE_TYPE (GstNemoRenderPad, gst_nemo_render_pad, GST_TYPE_PAD);

static void
gst_nemo_render_pad_finalize (GObject * object)
{
  GstNemoRenderPad *pad = GST_NEMO_RENDER_PAD (object);

  gst_nemo_render_pad_reset (pad);
  gst_tag_list_unref (pad->tags);
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
  pad->tags = gst_tag_list_new_empty ();
  pad->last_buffer_at = -1;
}

static void
text_spool_clear (TextSpool * text)
{
  if (text->srt != NULL)
    g_string_free (text->srt, TRUE);
  if (text->held != NULL)
    g_string_free (text->held, TRUE);
  if (text->path != NULL)
    g_unlink (text->path);
  g_free (text->path);
  memset (text, 0, sizeof (*text));
}

static void
forget_stream (GstNemoRenderPad * pad)
{
  g_clear_pointer (&pad->spool, nemo_spool_free);
  text_spool_clear (&pad->text);
  pad->input = INPUT_NONE;
  pad->n_buffers = 0;
  pad->next_us = 0;
  pad->untimed = FALSE;
  gst_segment_init (&pad->segment, GST_FORMAT_TIME);
  GST_OBJECT_LOCK (pad);
  pad->last_buffer_at = -1;
  GST_OBJECT_UNLOCK (pad);
}

void
gst_nemo_render_pad_reset (GstNemoRenderPad * pad)
{
  forget_stream (pad);
  GST_OBJECT_LOCK (pad);
  gst_tag_list_unref (pad->tags);
  pad->tags = gst_tag_list_new_empty ();
  GST_OBJECT_UNLOCK (pad);
}

static gboolean
sample_format_from_gst (GstAudioFormat format, NemoSampleFormat * out)
{
  static const struct
  {
    GstAudioFormat gst;
    NemoSampleFormat nemo;
  } map[] = {
    {GST_AUDIO_FORMAT_U8, NEMO_SAMPLE_U8},
    {GST_AUDIO_FORMAT_S16LE, NEMO_SAMPLE_S16},
    {GST_AUDIO_FORMAT_S24LE, NEMO_SAMPLE_S24},
    {GST_AUDIO_FORMAT_S32LE, NEMO_SAMPLE_S32},
    {GST_AUDIO_FORMAT_F32LE, NEMO_SAMPLE_F32},
    {GST_AUDIO_FORMAT_F64LE, NEMO_SAMPLE_F64},
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

static gboolean
pixel_format_from_gst (const GstVideoInfo * vinfo, NemoPixelFormat * out)
{
  static const struct
  {
    GstVideoFormat gst;
    gboolean full_range;
    NemoPixelFormat nemo;
  } map[] = {
    /* image decoders (jpegdec) give full-range YUV */
    {GST_VIDEO_FORMAT_I420, TRUE, NEMO_PIXEL_I420_FULL_RANGE},
    {GST_VIDEO_FORMAT_Y42B, TRUE, NEMO_PIXEL_Y42B_FULL_RANGE},
    {GST_VIDEO_FORMAT_Y444, TRUE, NEMO_PIXEL_Y444_FULL_RANGE},
    {GST_VIDEO_FORMAT_I420, FALSE, NEMO_PIXEL_I420},
    {GST_VIDEO_FORMAT_NV12, FALSE, NEMO_PIXEL_NV12},
    {GST_VIDEO_FORMAT_Y42B, FALSE, NEMO_PIXEL_Y42B},
    {GST_VIDEO_FORMAT_Y444, FALSE, NEMO_PIXEL_Y444},
    {GST_VIDEO_FORMAT_RGBA, FALSE, NEMO_PIXEL_RGBA},
    {GST_VIDEO_FORMAT_BGRA, FALSE, NEMO_PIXEL_BGRA},
    {GST_VIDEO_FORMAT_RGBx, FALSE, NEMO_PIXEL_RGBX},
    {GST_VIDEO_FORMAT_BGRx, FALSE, NEMO_PIXEL_BGRX},
    {GST_VIDEO_FORMAT_RGB, FALSE, NEMO_PIXEL_RGB},
    {GST_VIDEO_FORMAT_BGR, FALSE, NEMO_PIXEL_BGR},
  };
  gboolean full_range = GST_VIDEO_INFO_IS_YUV (vinfo)
      && vinfo->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (map); i++) {
    /* the full-range variants come first and match only full range */
    if (map[i].gst == GST_VIDEO_INFO_FORMAT (vinfo)
        && (full_range || !map[i].full_range)) {
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
    pad->input = INPUT_AUDIO_RAW;
    return nemo_spool_new_raw_audio (base, format,
        GST_AUDIO_INFO_RATE (&ainfo), GST_AUDIO_INFO_CHANNELS (&ainfo), error);
  }
  if (g_str_equal (media, "audio/mpeg")) {
    gint version = 1;

    gst_structure_get_int (s, "mpegversion", &version);
    pad->input = INPUT_AUDIO_ENCODED;
    return nemo_spool_new_encoded (base,
        version == 1 ? NEMO_CODEC_MP3 : NEMO_CODEC_AAC_ADTS, error);
  }
  if (g_str_equal (media, "video/x-raw")) {
    NemoPixelFormat format;

    if (!gst_video_info_from_caps (&pad->vinfo, caps)
        || !pixel_format_from_gst (&pad->vinfo, &format))
      goto not_supported;
    pad->input = INPUT_VIDEO_RAW;
    return nemo_spool_new_raw_video (base, format,
        GST_VIDEO_INFO_WIDTH (&pad->vinfo), GST_VIDEO_INFO_HEIGHT (&pad->vinfo),
        GST_VIDEO_INFO_FPS_N (&pad->vinfo), GST_VIDEO_INFO_FPS_D (&pad->vinfo),
        error);
  }
  if (g_str_equal (media, "image/jpeg") || g_str_equal (media, "image/png")) {
    pad->input = INPUT_VIDEO_IMAGE;
    return nemo_spool_new_encoded (base, g_str_equal (media, "image/jpeg") ?
        NEMO_CODEC_JPEG : NEMO_CODEC_PNG, error);
  }
  if (g_str_equal (media, "video/x-h264")) {
    pad->input = INPUT_VIDEO_ENCODED;
    return nemo_spool_new_encoded (base, NEMO_CODEC_H264, error);
  }
  if (g_str_equal (media, "text/x-raw")) {
    pad->input = INPUT_TEXT;
    pad->text.srt = g_string_new (NULL);
    pad->text.markup = g_strcmp0 (gst_structure_get_string (s, "format"),
        "pango-markup") == 0;
    pad->text.path = g_strconcat (base, ".srt", NULL);
    return NULL;
  }

not_supported:
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
      "%s: caps %" GST_PTR_FORMAT " are not supported", GST_PAD_NAME (pad),
      caps);
  return NULL;
}

static gboolean
open_spool (GstNemoRenderPad * pad, GstCaps * caps, const gchar * dir,
    GError ** error)
{
  g_autofree gchar *base = g_build_filename (dir, GST_PAD_NAME (pad), NULL);

  pad->spool = spool_for_caps (pad, caps, base, error);
  if (pad->input == INPUT_TEXT)
    return TRUE;
  if (pad->spool == NULL)
    return FALSE;
  GST_DEBUG_OBJECT (pad, "spooling %" GST_PTR_FORMAT " to %s", caps,
      nemo_spool_get_path (pad->spool));
  return TRUE;
}

gboolean
gst_nemo_render_pad_set_caps (GstNemoRenderPad * pad, GstCaps * caps,
    const gchar * dir, GError ** error)
{
  GstCaps *current = gst_pad_get_current_caps (GST_PAD (pad));
  gboolean same = current != NULL && gst_caps_is_equal (current, caps);

  g_clear_pointer (&current, gst_caps_unref);
  if (same)
    return TRUE;
  if (pad->spool != NULL || pad->input == INPUT_TEXT) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
        "The format on %s changed mid-stream to %" GST_PTR_FORMAT ". Give "
        "each pad one stream, or put a videoconvert/audioconvert and a "
        "capsfilter in front of it.", GST_PAD_NAME (pad), caps);
    return FALSE;
  }

  return open_spool (pad, caps, dir, error);
}

gboolean
gst_nemo_render_pad_flush (GstNemoRenderPad * pad, const gchar * dir,
    GError ** error)
{
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (GST_PAD (pad));

  forget_stream (pad);
  /* caps are sticky: the stream goes on in them without a new CAPS event */
  return caps == NULL || open_spool (pad, caps, dir, error);
}

void
gst_nemo_render_pad_set_segment (GstNemoRenderPad * pad,
    const GstSegment * segment)
{
  gst_segment_copy_into (segment, &pad->segment);
}

static gint64
buffer_stream_time_us (GstNemoRenderPad * pad, GstBuffer * buffer)
{
  GstClockTime ts = gst_segment_to_stream_time (&pad->segment,
      GST_FORMAT_TIME, GST_BUFFER_PTS (buffer));

  return GST_CLOCK_TIME_IS_VALID (ts) ? (gint64) (ts / GST_USECOND) : -1;
}

/* Whether a video buffer at @in_us (-1: none) comes after the previous
 * one; the first one always does (a still may carry no time).  Raw frames
 * must move forward; H.264 access units come in decode order, where
 * B-frames go back, so only a repeated time gives them away (one without a
 * time is refused by the spool, which asks for h264parse). */
static gboolean
time_advances (GstNemoRenderPad * pad, gint64 in_us)
{
  if (pad->n_buffers == 0)
    return TRUE;
  if (pad->input == INPUT_VIDEO_ENCODED)
    return in_us != pad->last_in_us;
  return in_us > pad->last_in_us;
}

static void
warn_untimed (GstNemoRenderPad * pad, gint64 in_us, gint64 frame_us)
{
  g_autoptr (GstElement) element = gst_pad_get_parent_element (GST_PAD (pad));
  g_autofree gchar *when = in_us < 0 ? g_strdup ("has no timestamp") :
      g_strdup_printf ("is stamped %.3f s, as early as the one before it",
      in_us / 1e6);

  GST_ELEMENT_WARNING (element, STREAM, FORMAT,
      ("Frame %" G_GUINT64_FORMAT " on %s %s: from there on its frames are "
          "shown one after another, each for its duration and at least one "
          "frame of the video (%.3f s), and the pad is cut at the song's "
          "length. Stamp the frames upstream (appsrc format=time "
          "do-timestamp=true) to keep their own timing.", pad->n_buffers + 1,
          GST_PAD_NAME (pad), when, frame_us / 1e6), (NULL));
}

/* A video buffer's time in µs.  Once the times stop advancing (a GIF
 * through decodebin stamps every frame 0, an appsrc may stamp none), each
 * frame follows the one before by that one's duration, at least one
 * output frame (@frame_us): a pad cut at the song's length then holds at
 * most the song's length in output frames, even from an endless source. */
static gint64
video_time_us (GstNemoRenderPad * pad, GstBuffer * buffer, gint64 in_us,
    gint64 frame_us)
{
  gint64 out_us = in_us;
  gint64 length_us = GST_BUFFER_DURATION_IS_VALID (buffer) ?
      (gint64) (GST_BUFFER_DURATION (buffer) / GST_USECOND) : 0;

  if (!pad->untimed && !time_advances (pad, in_us)) {
    warn_untimed (pad, in_us, frame_us);
    pad->untimed = TRUE;
  }
  if (pad->untimed)
    out_us = pad->next_us;
  pad->last_in_us = in_us;
  pad->next_us = MAX (out_us, 0) + MAX (length_us, frame_us);
  return out_us;
}

static gboolean
write_video_frame (GstNemoRenderPad * pad, GstBuffer * buffer, gint64 pts_us,
    GError ** error)
{
  GstVideoFrame frame;
  const guint8 *planes[4] = { NULL, };
  gint strides[4] = { 0, };
  gboolean ok;
  guint i;

  if (!gst_video_frame_map (&frame, &pad->vinfo, buffer, GST_MAP_READ)) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
        "%s: a video frame does not match its caps", GST_PAD_NAME (pad));
    return FALSE;
  }
  for (i = 0; i < GST_VIDEO_FRAME_N_PLANES (&frame); i++) {
    planes[i] = GST_VIDEO_FRAME_PLANE_DATA (&frame, i);
    strides[i] = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, i);
  }
  ok = nemo_spool_write_video (pad->spool, planes, strides, pts_us, error);
  gst_video_frame_unmap (&frame);
  return ok;
}

/* The held cue into the SubRip text, ending at @next_ms when it has no
 * end of its own (-1: to the end of the song). */
static void
release_cue (TextSpool * text, gint64 next_ms)
{
  if (text->held == NULL)
    return;
  if (nemo_lyrics_append_srt_cue (text->srt, text->n_cues + 1,
          text->start_ms, text->end_ms >= 0 ? text->end_ms : next_ms,
          text->held->str, text->held->len, text->markup))
    text->n_cues++;
  g_string_free (text->held, TRUE);
  text->held = NULL;
}

static gboolean
write_text (GstNemoRenderPad * pad, GstBuffer * buffer, gint64 pts_us,
    GError ** error)
{
  TextSpool *text = &pad->text;
  GstMapInfo map;

  if (pts_us < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
        "Text buffer %" G_GUINT64_FORMAT " on %s has no timestamp: the "
        "lyrics pad takes timed text, as subparse gives it (filesrc "
        "location=song.srt ! subparse ! nemorender.lyrics).",
        pad->n_buffers, GST_PAD_NAME (pad));
    return FALSE;
  }
  release_cue (text, pts_us / 1000);
  text->start_ms = pts_us / 1000;
  text->end_ms = GST_BUFFER_DURATION_IS_VALID (buffer) ? (pts_us
      + (gint64) (GST_BUFFER_DURATION (buffer) / GST_USECOND)) / 1000 : -1;
  gst_buffer_map (buffer, &map, GST_MAP_READ);
  text->held = g_string_new_len ((const gchar *) map.data, map.size);
  gst_buffer_unmap (buffer, &map);
  return TRUE;
}

gboolean
gst_nemo_render_pad_write (GstNemoRenderPad * pad, GstBuffer * buffer,
    gint64 frame_us, GError ** error)
{
  gint64 pts_us = buffer_stream_time_us (pad, buffer);
  GstMapInfo map;
  gboolean ok;

  if (pad->input == INPUT_VIDEO_RAW || pad->input == INPUT_VIDEO_ENCODED)
    pts_us = video_time_us (pad, buffer, pts_us, frame_us);
  pad->n_buffers++;
  GST_OBJECT_LOCK (pad);
  pad->last_buffer_at = g_get_monotonic_time ();
  GST_OBJECT_UNLOCK (pad);
  if (pad->input == INPUT_VIDEO_RAW)
    return write_video_frame (pad, buffer, pts_us, error);
  if (pad->input == INPUT_TEXT)
    return write_text (pad, buffer, pts_us, error);

  gst_buffer_map (buffer, &map, GST_MAP_READ);
  ok = nemo_spool_write (pad->spool, map.data, map.size, pts_us, error);
  gst_buffer_unmap (buffer, &map);
  return ok;
}

static gboolean
finish_text (TextSpool * text, GError ** error)
{
  GError *write_error = NULL;

  release_cue (text, -1);
  if (text->n_cues == 0)
    return TRUE;
  if (!g_file_set_contents (text->path, text->srt->str, text->srt->len,
          &write_error)) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_IO,
        "Could not write the lyrics to the work folder: %s",
        write_error->message);
    g_error_free (write_error);
    return FALSE;
  }
  return TRUE;
}

gboolean
gst_nemo_render_pad_finish (GstNemoRenderPad * pad, GError ** error)
{
  if (pad->input == INPUT_TEXT)
    return finish_text (&pad->text, error);
  return pad->spool == NULL || nemo_spool_finish (pad->spool, error);
}

gboolean
gst_nemo_render_pad_is_image (GstNemoRenderPad * pad)
{
  return pad->input == INPUT_VIDEO_IMAGE;
}

gboolean
gst_nemo_render_pad_is_moving (GstNemoRenderPad * pad)
{
  return (pad->input == INPUT_VIDEO_RAW || pad->input == INPUT_VIDEO_ENCODED)
      && pad->n_buffers > 1;
}

void
gst_nemo_render_pad_merge_tags (GstNemoRenderPad * pad,
    const GstTagList * tags)
{
  GST_OBJECT_LOCK (pad);
  gst_tag_list_insert (pad->tags, tags, GST_TAG_MERGE_PREPEND);
  GST_OBJECT_UNLOCK (pad);
}

gchar *
gst_nemo_render_pad_get_tag (GstNemoRenderPad * pad, const gchar * tag)
{
  gchar *value = NULL;

  GST_OBJECT_LOCK (pad);
  gst_tag_list_get_string_index (pad->tags, tag, 0, &value);
  GST_OBJECT_UNLOCK (pad);
  return value;
}

GstSample *
gst_nemo_render_pad_get_image (GstNemoRenderPad * pad)
{
  GstSample *image = NULL;

  GST_OBJECT_LOCK (pad);
  if (!gst_tag_list_get_sample_index (pad->tags, GST_TAG_IMAGE, 0, &image))
    gst_tag_list_get_sample_index (pad->tags, GST_TAG_PREVIEW_IMAGE, 0,
        &image);
  GST_OBJECT_UNLOCK (pad);
  return image;
}

/* Only moving video can go silent without its EOS: a song's pad must end
 * by itself (its length is the video's), an image pad ends at its picture,
 * and a pad that has not delivered anything yet may still be starting. */
gint64
gst_nemo_render_pad_get_silence_deadline (GstNemoRenderPad * pad)
{
  gint64 deadline = -1;

  GST_OBJECT_LOCK (pad);
  if ((pad->input == INPUT_VIDEO_RAW || pad->input == INPUT_VIDEO_ENCODED)
      && pad->last_buffer_at >= 0)
    deadline = pad->last_buffer_at
        + GST_NEMO_RENDER_PAD_SILENCE_S * G_TIME_SPAN_SECOND;
  GST_OBJECT_UNLOCK (pad);
  return deadline;
}

void
gst_nemo_render_pad_warn_silent (GstNemoRenderPad * pad)
{
  g_autoptr (GstElement) element = gst_pad_get_parent_element (GST_PAD (pad));

  GST_ELEMENT_WARNING (element, STREAM, FAILED,
      ("%s sent nothing for %d s after %" G_GUINT64_FORMAT " frames "
          "(%.3f s of video), and no EOS: it is taken as ended there, and "
          "repeats to the song's length. Make its source send EOS at its "
          "end (GStreamer 1.22's GIF demuxer never does: convert a GIF to "
          "a clip, or give it as visual-uri).", GST_PAD_NAME (pad),
          GST_NEMO_RENDER_PAD_SILENCE_S, pad->n_buffers,
          gst_nemo_render_pad_get_duration (pad) / 1e6), (NULL));
}

gint64
gst_nemo_render_pad_get_duration (GstNemoRenderPad * pad)
{
  if (pad->input == INPUT_TEXT)
    return pad->text.held != NULL ? pad->text.start_ms * 1000 : 0;
  return pad->spool ? nemo_spool_get_duration (pad->spool) : 0;
}

const gchar *
gst_nemo_render_pad_get_path (GstNemoRenderPad * pad)
{
  if (pad->input == INPUT_TEXT)
    return pad->text.n_cues > 0 ? pad->text.path : NULL;
  if (pad->spool == NULL || nemo_spool_get_count (pad->spool) == 0)
    return NULL;
  return nemo_spool_get_path (pad->spool);
}
