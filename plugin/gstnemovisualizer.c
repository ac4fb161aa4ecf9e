/* nemovisualizer: audio in, the renderer's look as live video out.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
/**
 * SECTION:element-nemovisualizer
 * @title: nemovisualizer
 *
 * Draws what nemorender draws (the cover over its blurred fill, spectrum
 * bars, a waveform or a circle, the track-info panel, colours taken from
 * the cover) live, one frame per frame period of audio, for streams and
 * players.  Timing, QoS and caps negotiation are GstAudioVisualizer's.
 *
 * The song's title, artist and picture come from the stream's tags: a
 * new song (gapless from playbin or concat) cross-fades to its own cover
 * and name when its tags arrive.  The properties are what is shown until
 * the stream tells otherwise (a station's name and logo, say).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=song.mp3 ! decodebin ! audioconvert !
 *   audioresample ! nemovisualizer style=circle !
 *   video/x-raw,width=1920,height=1080,framerate=30/1 ! videoconvert !
 *   autovideosink
 * gst-launch-1.0 playbin uri=file:///music/song.flac flags=audio+video+vis
 *   vis-plugin=nemovisualizer
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstnemovisualizer.h"
#include "gstnemoimage.h"

#include <glib/gstdio.h>
#include <gst/audio/audio.h>
#include <gst/base/gstadapter.h>
#include <string.h>
#include <gst/video/video.h>
#include <nemo/media.h>
#include <nemo/render.h>

GST_DEBUG_CATEGORY_STATIC (gst_nemo_visualizer_debug);
#define GST_CAT_DEFAULT gst_nemo_visualizer_debug

typedef enum
{
  STYLE_SPECTRUM,
  STYLE_WAVEFORM,
  STYLE_CIRCLE,
  STYLE_NONE,
} Style;

#define DEFAULT_STYLE STYLE_SPECTRUM
#define DEFAULT_PLACE 0         /* auto: the shape's own */
#define DEFAULT_BACKGROUND NEMO_SCENE_BACKGROUND_COVER
#define DEFAULT_BACKGROUND_COLOR 0x000000
#define DEFAULT_CROSSFADE (500 * GST_MSECOND)

enum
{
  PROP_0,
  PROP_STYLE,
  PROP_COVER_URI,
  PROP_TITLE,
  PROP_ARTIST,
  PROP_TEXT_PLACE,
  PROP_BACKGROUND,
  PROP_BACKGROUND_COLOR,
  PROP_CROSSFADE,
};

/* What the stream's tags say of the song playing. */
typedef struct
{
  gchar *title, *artist;
  gchar *cover;                 /* the picture, saved in work_dir */
  GstBuffer *picture;           /* its bytes, to know it again */
} NowPlaying;

struct _GstNemoVisualizer
{
  GstAudioVisualizer parent;

  /* the properties, under the object lock */
  Style style;
  gchar *cover_uri, *title, *artist;
  gint text_place;              /* text_place_get_type()'s */
  NemoSceneBackground background;
  guint background_color;
  GstClockTime crossfade;
  /* the stream's song, under the object lock */
  NowPlaying stream;
  gboolean look_changed;

  /* the streaming thread's */
  GstPadChainFunction base_chain;
  GstPadQueryFunction base_src_query;
  GstPad *srcpad;
  GstAdapter *pending;          /* audio short of a whole frame */
  GstSegment in_segment;        /* the audio's, for its running time */
  GstClockTime first_pts;       /* running time of frame 0, after a reset */
  guint64 n_frames;             /* handed to the base class since then */
  NemoScene *scene;
  GstVideoInfo scene_info;      /* what it was made for */
  gboolean failed;              /* an error was posted: the flow stops */
  gchar *work_dir;              /* the stream's pictures */
  guint n_pictures;
};

G_DEFINE_TYPE (GstNemoVisualizer, gst_nemo_visualizer,
    GST_TYPE_AUDIO_VISUALIZER);
GST_ELEMENT_REGISTER_DEFINE (nemovisualizer, "nemovisualizer", GST_RANK_NONE,
    GST_TYPE_NEMO_VISUALIZER);

/* NEMO_AUDIO_RATE stereo float: what the analysis reads, so that the
 * drawing is the renderer's to the sample.  audioconvert and audioresample
 * (playbin puts them before a vis-plugin) bring any audio to it. */
static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("audio/x-raw, format = (string) " GST_AUDIO_NE (F32)
        ", rate = (int) 48000, channels = (int) 2, "
        "layout = (string) interleaved, channel-mask = (bitmask) 0x3"));

/* yuv420p is what the drawing code blends into, and what H.264 takes;
 * BGRA (straight alpha) is for background=transparent. */
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE ("{ I420, BGRA }")));

#define GST_TYPE_NEMO_VISUALIZER_STYLE (style_get_type ())
static GType
style_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {STYLE_SPECTRUM, "Spectrum bars", "spectrum"},
    {STYLE_WAVEFORM, "The waveform", "waveform"},
    {STYLE_CIRCLE, "Bars in a circle around the cover", "circle"},
    {STYLE_NONE, "No visualizer: the cover and the title", "none"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstNemoVisualizerStyle",
            values));
  return type;
}

#define GST_TYPE_NEMO_VISUALIZER_TEXT_PLACE (text_place_get_type ())
static GType
text_place_get_type (void)
{
  static GType type = 0;
  /* the nicks are docs/draft.md's sty.place values */
  static const GEnumValue values[] = {
    {0, "Top left in landscape, top otherwise", "auto"},
    {1, "Top", "top"},
    {2, "Bottom", "bottom"},
    {3, "Centre", "center"},
    {4, "Top left", "top-left"},
    {5, "Top right", "top-right"},
    {6, "Bottom left", "bottom-left"},
    {7, "Bottom right", "bottom-right"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstNemoVisualizerTextPlace", values));
  return type;
}

#define GST_TYPE_NEMO_VISUALIZER_BACKGROUND (background_get_type ())
static GType
background_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {NEMO_SCENE_BACKGROUND_COVER, "The cover over its blurred fill", "cover"},
    {NEMO_SCENE_BACKGROUND_COLOR, "background-color", "color"},
    {NEMO_SCENE_BACKGROUND_TRANSPARENT,
        "Nothing: BGRA with alpha, to composite over other video",
        "transparent"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstNemoVisualizerBackground", values));
  return type;
}

static void
now_playing_clear (NowPlaying * song)
{
  g_clear_pointer (&song->title, g_free);
  g_clear_pointer (&song->artist, g_free);
  g_clear_pointer (&song->cover, g_free);
  gst_clear_buffer (&song->picture);
}

/* ------------------------------------------------------------- looks -- */

static const gchar *
scope_of (Style style)
{
  static const gchar *const kinds[] = {
    [STYLE_SPECTRUM] = NEMO_SEGMENT_SPECTRUM,
    [STYLE_WAVEFORM] = NEMO_SEGMENT_WAVEFORM,
    [STYLE_CIRCLE] = NEMO_SEGMENT_CIRCLE,
    [STYLE_NONE] = NULL,
  };

  return kinds[style];
}

static const gchar *
place_of (gint place)
{
  GEnumValue *value;

  if (place == DEFAULT_PLACE)
    return NULL;
  value = g_enum_get_value (g_type_class_peek
      (GST_TYPE_NEMO_VISUALIZER_TEXT_PLACE), place);
  return value ? value->value_nick : NULL;
}

/* What to show now: the stream's song over the properties. */
typedef struct
{
  NemoSceneLook look;
  gchar *cover, *title, *artist;        /* what look's strings point to */
} Look;

static void
look_clear (Look * look)
{
  g_free (look->cover);
  g_free (look->title);
  g_free (look->artist);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Look, look_clear);

/* Takes the object lock. */
static void
current_look (GstNemoVisualizer * self, Look * look)
{
  GST_OBJECT_LOCK (self);
  look->cover = g_strdup (self->stream.cover ? self->stream.cover :
      self->cover_uri);
  look->title = g_strdup (self->stream.title ? self->stream.title :
      self->title);
  look->artist = g_strdup (self->stream.artist ? self->stream.artist :
      self->artist);
  look->look = (NemoSceneLook) {
    .scope = scope_of (self->style),
    .cover = look->cover,
    .title = look->title,
    .artist = look->artist,
    .text_place = place_of (self->text_place),
    .background = self->background,
    .color = self->background_color,
  };
  self->look_changed = FALSE;
  GST_OBJECT_UNLOCK (self);
}

static gboolean
look_changed (GstNemoVisualizer * self)
{
  gboolean changed;

  GST_OBJECT_LOCK (self);
  changed = self->look_changed;
  GST_OBJECT_UNLOCK (self);
  return changed;
}

/* The song now shown, for an application's "now playing": each field
 * only when there is one. */
static void
post_now_playing (GstNemoVisualizer * self, const NemoSceneLook * look)
{
  GstStructure *s = gst_structure_new_empty ("nemovisualizer-now-playing");

  if (look->title)
    gst_structure_set (s, "title", G_TYPE_STRING, look->title, NULL);
  if (look->artist)
    gst_structure_set (s, "artist", G_TYPE_STRING, look->artist, NULL);
  if (look->cover)
    gst_structure_set (s, "cover", G_TYPE_STRING, look->cover, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* A stream's picture that cannot be shown must not stop the stream: it
 * is dropped, with a warning, and the properties' cover comes instead.
 * FALSE when the look had none. */
static gboolean
forget_stream_picture (GstNemoVisualizer * self, const GError * error)
{
  gboolean had;

  GST_OBJECT_LOCK (self);
  had = self->stream.cover != NULL;
  g_clear_pointer (&self->stream.cover, g_free);
  GST_OBJECT_UNLOCK (self);
  if (had)
    GST_ELEMENT_WARNING (self, STREAM, DECODE, ("The song's picture could "
            "not be shown, so cover-uri is: %s", error->message), (NULL));
  return had;
}

/* Transparent frames are BGRA, opaque ones I420: the caps after the
 * element choose the format, the background must agree with them. */
static gboolean
background_fits_format (GstNemoVisualizer * self,
    NemoSceneBackground background)
{
  GstVideoFormat format =
      GST_VIDEO_INFO_FORMAT (&GST_AUDIO_VISUALIZER (self)->vinfo);

  return (background == NEMO_SCENE_BACKGROUND_TRANSPARENT)
      == (format == GST_VIDEO_FORMAT_BGRA);
}

/* A new song or new properties: the scene cross-fades to them.  A song's
 * picture that cannot be read gives way to cover-uri; a cover-uri that
 * cannot be read keeps the current look.  Both with a warning. */
static void
update_look (GstNemoVisualizer * self)
{
  g_auto (Look) look = { 0, };
  GError *error = NULL;
  GstClockTime crossfade;
  gboolean ok;

  if (!look_changed (self))
    return;
  current_look (self, &look);
  if (!background_fits_format (self, look.look.background)) {
    GST_ELEMENT_WARNING (self, CORE, NEGOTIATION, ("background cannot "
            "change between transparent and opaque while playing (the "
            "video format would change): it takes effect when the element "
            "starts again."), (NULL));
    return;
  }
  GST_OBJECT_LOCK (self);
  crossfade = self->crossfade;
  GST_OBJECT_UNLOCK (self);
  ok = nemo_scene_set_look (self->scene, &look.look,
      (gint64) (crossfade / GST_USECOND), &error);
  if (!ok && forget_stream_picture (self, error)) {
    g_clear_error (&error);
    look_clear (&look);
    current_look (self, &look);
    ok = nemo_scene_set_look (self->scene, &look.look,
        (gint64) (crossfade / GST_USECOND), &error);
  }
  if (!ok) {
    GST_ELEMENT_WARNING (self, RESOURCE, READ, ("cover-uri could not be "
            "shown, so the last look stays: %s", error->message),
        (NULL));
    g_error_free (error);
    return;
  }
  post_now_playing (self, &look.look);
}

/* ------------------------------------------------------------ frames -- */

/* GstAudioVisualizer (1.22) keeps the last frame's worth of audio after
 * each buffer and draws a frame for every buffer it gets once it has that
 * much: with buffers shorter than a frame (an MP3's 1152 samples) the
 * video runs at the buffers' rate, not at the caps', and with longer ones
 * the kept window is drawn twice.  So it is given each frame's audio as a
 * buffer of its own, marked DISCONT so it starts afresh: one frame per
 * frame period of audio, timed from the samples.
 *
 * The frames are timed in running time, in one segment from 0: a gapless
 * playlist (concat, playbin) starts each song's segment again, and a
 * frame that spans two songs would otherwise overlap the next song's
 * first, or fall before its segment. */

static void
reset_frames (GstNemoVisualizer * self)
{
  gst_adapter_clear (self->pending);
  self->first_pts = GST_CLOCK_TIME_NONE;
  self->n_frames = 0;
}

/* The first sample of frame @index, counted from frame 0. */
static guint64
frame_start (GstNemoVisualizer * self, guint64 index)
{
  GstAudioVisualizer *scope = GST_AUDIO_VISUALIZER (self);

  return gst_util_uint64_scale (index,
      (guint64) GST_AUDIO_INFO_RATE (&scope->ainfo)
      * GST_VIDEO_INFO_FPS_D (&scope->vinfo),
      GST_VIDEO_INFO_FPS_N (&scope->vinfo));
}

/* When the next frame starts, in running time. */
static GstClockTime
next_frame_pts (GstNemoVisualizer * self)
{
  gint rate = GST_AUDIO_INFO_RATE (&GST_AUDIO_VISUALIZER (self)->ainfo);

  if (!GST_CLOCK_TIME_IS_VALID (self->first_pts) || rate == 0)
    return GST_CLOCK_TIME_NONE;
  return self->first_pts + gst_util_uint64_scale_int (frame_start (self,
          self->n_frames), GST_SECOND, rate);
}

/* Frame @n_frames's audio to the base class, lasting until the next. */
static GstFlowReturn
push_frame (GstNemoVisualizer * self, GstPad * pad, GstBuffer * audio)
{
  GstClockTime pts = next_frame_pts (self);

  audio = gst_buffer_make_writable (audio);
  self->n_frames++;
  GST_BUFFER_PTS (audio) = pts;
  GST_BUFFER_DURATION (audio) = GST_CLOCK_TIME_IS_VALID (pts) ?
      next_frame_pts (self) - pts : GST_CLOCK_TIME_NONE;
  GST_BUFFER_FLAG_SET (audio, GST_BUFFER_FLAG_DISCONT);
  return self->base_chain (pad, GST_OBJECT (self), audio);
}

/* The end: the last frame's audio made whole with silence, so the video
 * lasts as long as the sound. */
static void
push_last_frame (GstNemoVisualizer * self, GstPad * pad)
{
  GstAudioVisualizer *scope = GST_AUDIO_VISUALIZER (self);
  gint bpf = GST_AUDIO_INFO_BPF (&scope->ainfo);
  gsize have = gst_adapter_available (self->pending);
  GstBuffer *audio;
  GstMapInfo map;

  if (have == 0 || bpf == 0 || GST_VIDEO_INFO_FPS_N (&scope->vinfo) == 0
      || self->failed)
    return;
  audio = gst_buffer_new_allocate (NULL, (frame_start (self,
              self->n_frames + 1) - frame_start (self, self->n_frames)) * bpf,
      NULL);
  gst_buffer_map (audio, &map, GST_MAP_WRITE);
  memset (map.data, 0, map.size);       /* F32 zero is silence */
  gst_adapter_copy (self->pending, map.data, 0, have);
  gst_buffer_unmap (audio, &map);
  gst_adapter_clear (self->pending);
  push_frame (self, pad, audio);
}

/* Whether @buffer starts where the audio waiting for its frame ends,
 * within half a frame: a decoder flags the first buffer of each song of a
 * gapless playlist DISCONT, and that is no reason to drop what waits. */
static gboolean
continues_pending (GstNemoVisualizer * self, GstBuffer * buffer)
{
  GstAudioVisualizer *scope = GST_AUDIO_VISUALIZER (self);
  gint rate = GST_AUDIO_INFO_RATE (&scope->ainfo);
  gint bpf = GST_AUDIO_INFO_BPF (&scope->ainfo);
  GstClockTime at = gst_segment_to_running_time (&self->in_segment,
      GST_FORMAT_TIME, GST_BUFFER_PTS (buffer));
  GstClockTime next = next_frame_pts (self);
  GstClockTime end;

  if (!GST_CLOCK_TIME_IS_VALID (at) || !GST_CLOCK_TIME_IS_VALID (next))
    return FALSE;
  end = next + gst_util_uint64_scale_int (gst_adapter_available
      (self->pending) / bpf, GST_SECOND, rate);
  return (at > end ? at - end : end - at) < gst_util_uint64_scale_int
      (GST_SECOND, GST_VIDEO_INFO_FPS_D (&scope->vinfo),
      2 * GST_VIDEO_INFO_FPS_N (&scope->vinfo));
}

static GstFlowReturn
gst_nemo_visualizer_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer)
{
  GstNemoVisualizer *self = GST_NEMO_VISUALIZER (parent);
  GstAudioVisualizer *scope = GST_AUDIO_VISUALIZER (self);
  gint bpf = GST_AUDIO_INFO_BPF (&scope->ainfo);
  GstFlowReturn ret = GST_FLOW_OK;

  /* New caps downstream: the base class would negotiate them in its
   * chain function, after these frames were cut at the old rate.  The
   * audio's caps sent again make it negotiate now; at a new frame rate
   * the frames go on from where the last one ended. */
  if (gst_pad_check_reconfigure (self->srcpad)) {
    GstCaps *caps = gst_pad_get_current_caps (pad);
    GstClockTime next_pts = next_frame_pts (self);
    gint fps_n = GST_VIDEO_INFO_FPS_N (&scope->vinfo);
    gint fps_d = GST_VIDEO_INFO_FPS_D (&scope->vinfo);
    gboolean ok = TRUE;

    if (caps != NULL) {
      ok = gst_pad_send_event (pad, gst_event_new_caps (caps));
      gst_caps_unref (caps);
    }
    if (!ok) {
      gst_pad_mark_reconfigure (self->srcpad);
      gst_buffer_unref (buffer);
      return GST_FLOW_NOT_NEGOTIATED;
    }
    if (fps_n != GST_VIDEO_INFO_FPS_N (&scope->vinfo)
        || fps_d != GST_VIDEO_INFO_FPS_D (&scope->vinfo)) {
      self->first_pts = next_pts;
      self->n_frames = 0;
    }
  }
  if (bpf == 0 || GST_VIDEO_INFO_FPS_N (&scope->vinfo) == 0)
    return self->base_chain (pad, parent, buffer);     /* its own errors */
  if (self->failed) {
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;      /* posted already */
  }
  /* Here, with the new song's first buffer, not when drawing: its
   * stream-start, segment and tags have all come by now, and the frames
   * cut from the song before keep its look. */
  if (self->scene)
    update_look (self);
  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT)
      && !continues_pending (self, buffer))
    reset_frames (self);
  if (gst_adapter_available (self->pending) == 0 && self->n_frames == 0)
    self->first_pts = gst_segment_to_running_time (&self->in_segment,
        GST_FORMAT_TIME, GST_BUFFER_PTS (buffer));
  gst_adapter_push (self->pending, buffer);

  while (ret == GST_FLOW_OK) {
    gsize size = (frame_start (self, self->n_frames + 1)
        - frame_start (self, self->n_frames)) * bpf;

    if (gst_adapter_available (self->pending) < size)
      break;
    ret = push_frame (self, pad, gst_adapter_take_buffer (self->pending,
            size));
    if (ret == GST_FLOW_OK && self->failed)
      ret = GST_FLOW_ERROR;
  }
  return ret;
}

/* ---------------------------------------------------------- the song -- */

/* The stream's picture as a file for the scene.  Two names in turn: the
 * one before may still be fading out, the one before that is gone. */
static gchar *
save_picture (GstNemoVisualizer * self, GstSample * picture)
{
  g_autofree gchar *basename = NULL;
  GError *error = NULL;
  gchar *path;

  if (self->work_dir == NULL)
    return NULL;
  basename = g_strdup_printf ("cover-%u", self->n_pictures++ % 2);
  path = gst_nemo_image_sample_save (picture, self->work_dir, basename,
      &error);
  if (error != NULL) {
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE, ("%s", error->message),
        (NULL));
    g_error_free (error);
  }
  return path;
}

static gchar *
tag_string (const GstTagList * tags, const gchar * tag)
{
  gchar *value = NULL;

  if (gst_tag_list_get_string_index (tags, tag, 0, &value) && *value == '\0')
    g_clear_pointer (&value, g_free);
  return value;
}

static gboolean
same_picture (GstBuffer * a, GstBuffer * b)
{
  gsize size = gst_buffer_get_size (b);
  GstMapInfo map;
  gboolean same;

  if (a == NULL || gst_buffer_get_size (a) != size)
    return FALSE;
  if (!gst_buffer_map (b, &map, GST_MAP_READ))
    return FALSE;
  same = gst_buffer_memcmp (a, 0, map.data, size) == 0;
  gst_buffer_unmap (b, &map);
  return same;
}

/* The song's picture in @tags, saved, unless it is the one shown:
 * decoders repeat their tags (a bitrate update carries the picture
 * again). */
static void
read_song_picture (GstNemoVisualizer * self, GstTagList * tags)
{
  GstSample *sample = NULL;
  GstBuffer *picture;
  gboolean known;
  gchar *cover;

  if (!gst_tag_list_get_sample_index (tags, GST_TAG_IMAGE, 0, &sample)
      && !gst_tag_list_get_sample_index (tags, GST_TAG_PREVIEW_IMAGE, 0,
          &sample))
    return;
  picture = gst_sample_get_buffer (sample);
  GST_OBJECT_LOCK (self);
  known = picture == NULL || same_picture (self->stream.picture, picture);
  GST_OBJECT_UNLOCK (self);
  cover = known ? NULL : save_picture (self, sample);
  if (cover) {
    GST_OBJECT_LOCK (self);
    g_free (self->stream.cover);
    self->stream.cover = cover;
    gst_buffer_replace (&self->stream.picture, picture);
    self->look_changed = TRUE;
    GST_OBJECT_UNLOCK (self);
  }
  gst_sample_unref (sample);
}

/* A tag list of the song: what it names replaces what was known. */
static void
read_song_tags (GstNemoVisualizer * self, GstTagList * tags)
{
  g_autofree gchar *title = tag_string (tags, GST_TAG_TITLE);
  g_autofree gchar *artist = tag_string (tags, GST_TAG_ARTIST);

  read_song_picture (self, tags);
  GST_OBJECT_LOCK (self);
  if (title && g_strcmp0 (title, self->stream.title) != 0) {
    g_free (self->stream.title);
    self->stream.title = g_steal_pointer (&title);
    self->look_changed = TRUE;
  }
  if (artist && g_strcmp0 (artist, self->stream.artist) != 0) {
    g_free (self->stream.artist);
    self->stream.artist = g_steal_pointer (&artist);
    self->look_changed = TRUE;
  }
  GST_OBJECT_UNLOCK (self);
}

/* A new stream is a new song: until its tags come, the properties. */
static void
forget_song (GstNemoVisualizer * self)
{
  GST_OBJECT_LOCK (self);
  if (self->stream.title || self->stream.artist || self->stream.picture) {
    now_playing_clear (&self->stream);
    self->look_changed = TRUE;
  }
  GST_OBJECT_UNLOCK (self);
}

/* The audio's segment is kept to read its running time; the base class,
 * and so the video, get one in running time instead. */
static GstPadProbeReturn
replace_segment (GstNemoVisualizer * self, GstPadProbeInfo * info)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const GstSegment *segment;
  GstSegment running;
  GstEvent *replacement;

  gst_event_parse_segment (event, &segment);
  if (segment->format != GST_FORMAT_TIME)
    return GST_PAD_PROBE_OK;    /* the base class refuses it */
  gst_segment_copy_into (segment, &self->in_segment);
  gst_segment_init (&running, GST_FORMAT_TIME);
  replacement = gst_event_new_segment (&running);
  gst_event_set_seqnum (replacement, gst_event_get_seqnum (event));
  GST_PAD_PROBE_INFO_DATA (info) = replacement;
  gst_event_unref (event);
  return GST_PAD_PROBE_OK;
}

/* Serialized events, seen in stream order before the base class takes
 * them: the look changes with the first frame of the new song. */
static GstPadProbeReturn
on_sink_event (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstNemoVisualizer *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstTagList *tags;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_STREAM_START:
      forget_song (self);
      break;
    case GST_EVENT_SEGMENT:
      return replace_segment (self, info);
    case GST_EVENT_FLUSH_STOP:
      gst_segment_init (&self->in_segment, GST_FORMAT_TIME);
      reset_frames (self);
      break;
    case GST_EVENT_EOS:
      push_last_frame (self, pad);
      break;
    case GST_EVENT_TAG:
      gst_event_parse_tag (event, &tags);
      read_song_tags (self, tags);
      break;
    default:
      break;
  }
  return GST_PAD_PROBE_OK;
}

/* ------------------------------------------------------------- render -- */

/* The scene for the negotiated video, or FALSE with an error posted. */
static gboolean
make_scene (GstNemoVisualizer * self)
{
  GstVideoInfo *vinfo = &GST_AUDIO_VISUALIZER (self)->vinfo;
  gint width = GST_VIDEO_INFO_WIDTH (vinfo);
  gint height = GST_VIDEO_INFO_HEIGHT (vinfo);
  g_auto (Look) look = { 0, };
  GError *error = NULL;

  if (width % 2 != 0 || height % 2 != 0) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("The video is %dx%d: nemovisualizer draws even sizes only (4:2:0 "
            "chroma). Ask for an even width and height in the caps after "
            "it.", width, height), (NULL));
    return FALSE;
  }
  current_look (self, &look);
  if (!background_fits_format (self, look.look.background)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("background=transparent draws BGRA with alpha, and the other "
            "backgrounds draw I420: put video/x-raw,format=%s after "
            "nemovisualizer.",
            look.look.background == NEMO_SCENE_BACKGROUND_TRANSPARENT ?
            "BGRA" : "I420"), (NULL));
    return FALSE;
  }
  self->scene = nemo_scene_new (width, height, GST_VIDEO_INFO_FPS_N (vinfo),
      GST_VIDEO_INFO_FPS_D (vinfo), &look.look, &error);
  if (self->scene == NULL && forget_stream_picture (self, error)) {
    g_clear_error (&error);
    look_clear (&look);
    current_look (self, &look);
    self->scene = nemo_scene_new (width, height,
        GST_VIDEO_INFO_FPS_N (vinfo), GST_VIDEO_INFO_FPS_D (vinfo),
        &look.look, &error);
  }
  if (self->scene == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ, ("The cover (cover-uri) could "
            "not be shown: %s", error->message), (NULL));
    g_error_free (error);
    return FALSE;
  }
  post_now_playing (self, &look.look);
  return TRUE;
}

/* GstAudioVisualizer (1.22) leaks the caps when setup fails, and keeps
 * its lock when render fails, so neither ever does: the error is posted,
 * and the chain function stops the flow. */
static gboolean
gst_nemo_visualizer_setup (GstAudioVisualizer * scope)
{
  GstNemoVisualizer *self = GST_NEMO_VISUALIZER (scope);
  /* caps negotiated again, the same: the scene goes on as it was */
  if (self->scene != NULL
      && gst_video_info_is_equal (&scope->vinfo, &self->scene_info))
    return TRUE;
  g_clear_pointer (&self->scene, nemo_scene_free);
  self->failed = !make_scene (self);
  self->scene_info = scope->vinfo;
  return TRUE;
}

static gboolean
gst_nemo_visualizer_render (GstAudioVisualizer * scope, GstBuffer * audio,
    GstVideoFrame * video)
{
  GstNemoVisualizer *self = GST_NEMO_VISUALIZER (scope);
  guint8 *planes[3];
  gint strides[3], i;
  GError *error = NULL;
  GstMapInfo map;
  gboolean ok;

  if (self->failed)
    return TRUE;                /* said; the chain function stops */
  if (gst_buffer_map (audio, &map, GST_MAP_READ)) {
    nemo_scene_push_audio (self->scene, (const gfloat *) map.data,
        map.size / GST_AUDIO_INFO_BPF (&scope->ainfo));
    gst_buffer_unmap (audio, &map);
  }
  if (GST_VIDEO_FRAME_FORMAT (video) == GST_VIDEO_FORMAT_BGRA) {
    ok = nemo_scene_draw_bgra (self->scene,
        GST_VIDEO_FRAME_PLANE_DATA (video, 0),
        GST_VIDEO_FRAME_PLANE_STRIDE (video, 0), &error);
  } else {
    for (i = 0; i < 3; i++) {
      planes[i] = GST_VIDEO_FRAME_PLANE_DATA (video, i);
      strides[i] = GST_VIDEO_FRAME_PLANE_STRIDE (video, i);
    }
    ok = nemo_scene_draw (self->scene, planes, strides, &error);
  }
  if (!ok) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("%s", error->message), (NULL));
    g_error_free (error);
    self->failed = TRUE;
  }
  return TRUE;
}

/* ----------------------------------------------------------- plumbing -- */

static void
remove_work_dir (GstNemoVisualizer * self)
{
  GDir *dir;
  const gchar *name;

  if (self->work_dir == NULL)
    return;
  dir = g_dir_open (self->work_dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *path = g_build_filename (self->work_dir, name, NULL);
    g_unlink (path);
  }
  if (dir != NULL)
    g_dir_close (dir);
  g_rmdir (self->work_dir);
  g_clear_pointer (&self->work_dir, g_free);
}

static GstStateChangeReturn
gst_nemo_visualizer_change_state (GstElement * element,
    GstStateChange transition)
{
  GstNemoVisualizer *self = GST_NEMO_VISUALIZER (element);
  GstStateChangeReturn ret;
  GError *error = NULL;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    self->failed = FALSE;
    gst_segment_init (&self->in_segment, GST_FORMAT_TIME);
    reset_frames (self);
    self->work_dir = g_dir_make_tmp ("nemovisualizer-XXXXXX", &error);
    if (self->work_dir == NULL) {
      /* the stream's pictures are not shown; the rest works */
      GST_ELEMENT_WARNING (self, RESOURCE, OPEN_WRITE,
          ("No folder for the songs' pictures (%s): they are not shown. "
              "Set TMPDIR to a writable folder.", error->message), (NULL));
      g_error_free (error);
    }
  }
  ret = GST_ELEMENT_CLASS (gst_nemo_visualizer_parent_class)->change_state
      (element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    g_clear_pointer (&self->scene, nemo_scene_free);
    GST_OBJECT_LOCK (self);
    now_playing_clear (&self->stream);
    GST_OBJECT_UNLOCK (self);
    remove_work_dir (self);
  }
  return ret;
}

static void
set_string (GstNemoVisualizer * self, gchar ** field, const GValue * value)
{
  g_free (*field);
  *field = g_value_dup_string (value);
  self->look_changed = TRUE;
}

static void
gst_nemo_visualizer_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstNemoVisualizer *self = GST_NEMO_VISUALIZER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_STYLE:
      self->style = g_value_get_enum (value);
      break;
    case PROP_COVER_URI:
      set_string (self, &self->cover_uri, value);
      break;
    case PROP_TITLE:
      set_string (self, &self->title, value);
      break;
    case PROP_ARTIST:
      set_string (self, &self->artist, value);
      break;
    case PROP_TEXT_PLACE:
      self->text_place = g_value_get_enum (value);
      break;
    case PROP_BACKGROUND:
      self->background = g_value_get_enum (value);
      break;
    case PROP_BACKGROUND_COLOR:
      self->background_color = g_value_get_uint (value) & 0xffffff;
      break;
    case PROP_CROSSFADE:
      self->crossfade = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  if (prop_id != PROP_CROSSFADE)
    self->look_changed = TRUE;
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nemo_visualizer_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstNemoVisualizer *self = GST_NEMO_VISUALIZER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_STYLE:
      g_value_set_enum (value, self->style);
      break;
    case PROP_COVER_URI:
      g_value_set_string (value, self->cover_uri);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_ARTIST:
      g_value_set_string (value, self->artist);
      break;
    case PROP_TEXT_PLACE:
      g_value_set_enum (value, self->text_place);
      break;
    case PROP_BACKGROUND:
      g_value_set_enum (value, self->background);
      break;
    case PROP_BACKGROUND_COLOR:
      g_value_set_uint (value, self->background_color);
      break;
    case PROP_CROSSFADE:
      g_value_set_uint64 (value, self->crossfade);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* GstAudioVisualizer 1.22 answers the latency query "live" whatever its
 * upstream is.  A song played from a file into flvmux or mp4mux then
 * makes the muxer wait as for a live source, with timeouts: under load it
 * writes a frame before the audio of the same time, which flvmux then
 * restamps to the frame's time (two AAC packets at one time).  The base
 * class's latency is kept, with upstream's word on liveness. */
static gboolean
gst_nemo_visualizer_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  GstNemoVisualizer *self = GST_NEMO_VISUALIZER (parent);
  GstClockTime min_latency, max_latency;
  GstQuery *upstream;
  GstPad *sink;
  gboolean live = FALSE;

  if (!self->base_src_query (pad, parent, query))
    return FALSE;
  if (GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
    return TRUE;
  gst_query_parse_latency (query, NULL, &min_latency, &max_latency);
  upstream = gst_query_new_latency ();
  sink = gst_element_get_static_pad (GST_ELEMENT (self), "sink");
  if (gst_pad_peer_query (sink, upstream))
    gst_query_parse_latency (upstream, &live, NULL, NULL);
  gst_object_unref (sink);
  gst_query_unref (upstream);
  gst_query_set_latency (query, live, min_latency, max_latency);
  return TRUE;
}

static void
gst_nemo_visualizer_finalize (GObject * object)
{
  GstNemoVisualizer *self = GST_NEMO_VISUALIZER (object);

  nemo_scene_free (self->scene);
  g_object_unref (self->pending);
  gst_object_unref (self->srcpad);
  now_playing_clear (&self->stream);
  remove_work_dir (self);
  g_free (self->cover_uri);
  g_free (self->title);
  g_free (self->artist);
  G_OBJECT_CLASS (gst_nemo_visualizer_parent_class)->finalize (object);
}

static void
gst_nemo_visualizer_init (GstNemoVisualizer * self)
{
  GstPad *sink = gst_element_get_static_pad (GST_ELEMENT (self), "sink");

  self->style = DEFAULT_STYLE;
  self->text_place = DEFAULT_PLACE;
  self->background = DEFAULT_BACKGROUND;
  self->background_color = DEFAULT_BACKGROUND_COLOR;
  self->crossfade = DEFAULT_CROSSFADE;
  /* The base class's "shader" stays on: without one, GStreamer 1.22
   * clears each plane of a planar frame by the whole buffer's size, past
   * its end.  With one it copies a frame instead, and shades only 32-bit
   * pixels, so the I420 frames stay as drawn. */
  self->pending = gst_adapter_new ();
  gst_segment_init (&self->in_segment, GST_FORMAT_TIME);
  self->srcpad = gst_element_get_static_pad (GST_ELEMENT (self), "src");
  self->base_src_query = GST_PAD_QUERYFUNC (self->srcpad);
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_nemo_visualizer_src_query));
  reset_frames (self);
  self->base_chain = GST_PAD_CHAINFUNC (sink);
  gst_pad_set_chain_function (sink,
      GST_DEBUG_FUNCPTR (gst_nemo_visualizer_chain));
  /* FLUSH_START/STOP are not serialized, but FLUSH_STOP is seen only once
   * the streaming thread has left the chain function */
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM
      | GST_PAD_PROBE_TYPE_EVENT_FLUSH, on_sink_event, self, NULL);
  gst_object_unref (sink);
}

static void
install_properties (GObjectClass * gobject_class)
{
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_PLAYING;

  g_object_class_install_property (gobject_class, PROP_STYLE,
      g_param_spec_enum ("style", "Style", "What moves with the music",
          GST_TYPE_NEMO_VISUALIZER_STYLE, DEFAULT_STYLE, flags));
  g_object_class_install_property (gobject_class, PROP_COVER_URI,
      g_param_spec_string ("cover-uri", "Cover URI",
          "A picture (path or URI) shown until the stream brings its own",
          NULL, flags));
  g_object_class_install_property (gobject_class, PROP_TITLE,
      g_param_spec_string ("title", "Title",
          "The title shown until the stream's tags name the song", NULL,
          flags));
  g_object_class_install_property (gobject_class, PROP_ARTIST,
      g_param_spec_string ("artist", "Artist",
          "The artist shown until the stream's tags name one", NULL, flags));
  g_object_class_install_property (gobject_class, PROP_TEXT_PLACE,
      g_param_spec_enum ("text-place", "Text place",
          "Where the track-info panel sits",
          GST_TYPE_NEMO_VISUALIZER_TEXT_PLACE, DEFAULT_PLACE, flags));
  g_object_class_install_property (gobject_class, PROP_BACKGROUND,
      g_param_spec_enum ("background", "Background", "What the drawing is on",
          GST_TYPE_NEMO_VISUALIZER_BACKGROUND, DEFAULT_BACKGROUND, flags));
  g_object_class_install_property (gobject_class, PROP_BACKGROUND_COLOR,
      g_param_spec_uint ("background-color", "Background colour",
          "0xRRGGBB, with background=color", 0, 0xffffff,
          DEFAULT_BACKGROUND_COLOR, flags));
  g_object_class_install_property (gobject_class, PROP_CROSSFADE,
      g_param_spec_uint64 ("crossfade", "Cross-fade",
          "How long a new song's look fades in over the last one (ns)", 0,
          10 * GST_SECOND, DEFAULT_CROSSFADE, flags));
}

static void
gst_nemo_visualizer_class_init (GstNemoVisualizerClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstAudioVisualizerClass *scope_class = GST_AUDIO_VISUALIZER_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_nemo_visualizer_debug, "nemovisualizer", 0,
      "live music visualizer");

  gobject_class->set_property = gst_nemo_visualizer_set_property;
  gobject_class->get_property = gst_nemo_visualizer_get_property;
  gobject_class->finalize = gst_nemo_visualizer_finalize;
  install_properties (gobject_class);

  element_class->change_state = gst_nemo_visualizer_change_state;
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Music visualizer",
      "Visualization",
      "The cover, a spectrum, waveform or circle and the song's name, drawn "
      "live as nemorender draws them",
      "nemorender developers <https://github.com/nemorender/nemorender>");

  scope_class->setup = GST_DEBUG_FUNCPTR (gst_nemo_visualizer_setup);
  scope_class->render = GST_DEBUG_FUNCPTR (gst_nemo_visualizer_render);

  gst_type_mark_as_plugin_api (GST_TYPE_NEMO_VISUALIZER_STYLE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_NEMO_VISUALIZER_TEXT_PLACE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_NEMO_VISUALIZER_BACKGROUND, 0);
}
