/* nemorender: music + pictures in, a finished music-video MP4 out.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
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
 * pads (raw video, parsed JPEG/PNG, parsed H.264), and a `lyrics` pad for
 * the song's timed words (text/x-raw from subparse; or
 * #GstNemoRender:lyrics-uri).  A video pad that gives
 * one frame and then EOS is a still image; an endless one (imagefreeze,
 * videotestsrc) is read only as far as the song lasts; a shorter clip loops.
 * More songs on `audio_%u` pads (after the `audio` pad's, by number), or in
 * audio-uri as a ';' list or an .m3u playlist, make an album video: the
 * songs play gaplessly, each with its own cover and title, the MP4 has a
 * chapter per song, and `nemorender-chapters` (`description`) gives them
 * in the form YouTube reads from a video's description.
 * The render starts in PAUSED when every linked sink pad has seen EOS (with
 * no sink pads: as soon as the element is started), and the MP4 follows,
 * then EOS.  Like any non-live element it prerolls: the sinks preroll on the
 * first MP4 bytes, so a pipeline can play what it renders (qtdemux ! …
 * ! autovideosink) with its clock starting once the video exists.  The src
 * pad answers DURATION (the video's length, once the song's is known),
 * POSITION (how much is rendered; bytes pushed) and SEEKING (not seekable)
 * itself.
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
 * gst-launch-1.0 nemorender name=r audio-uri=song.mp3 visual-uri=cover.jpg \
 *   prompt="karaoke" ! filesink location=karaoke.mp4 \
 *   filesrc location=song.srt ! subparse ! r.lyrics
 * ]| A karaoke video of the song's subtitles (or lyrics-uri=song.lrc).
 * |[
 * gst-launch-1.0 -m nemorender audio-uri="01.flac;02.flac;03.flac" visual-uri=cover.jpg \
 *   prompt="full album video with chapters" ! filesink location=album.mp4
 * ]| An album: one chapter per song; `-m` shows them as `nemorender-chapters`.
 * |[
 * gst-launch-1.0 nemorender audio-uri=song.mp3 visual-uri="a.mp4;b.mp4;c.mp4" \
 *   prompt="sync the clips to the beat" ! filesink location=montage.mp4
 * ]| Three clips cut on the song's beat, the song under them.
 * |[
 * NEMO_TOKEN=… gst-launch-1.0 -m nemorender backend=cloud audio-uri=song.mp3 \
 *   visual-uri=cover.jpg prompt="looping video with visualizer" ! filesink location=video.mp4
 * ]| The hosted service renders it; `-m` shows its replies and the job ids.
 */

#include "gstnemorender.h"
#include "gstnemoimage.h"
#include "gstnemorenderpad.h"

#include <glib/gstdio.h>
#include <gst/video/video.h>
#include <nemo/cloud.h>
#include <nemo/eta.h>
#include <nemo/error.h>
#include <nemo/log.h>
#include <nemo/media.h>

GST_DEBUG_CATEGORY_STATIC (gst_nemo_render_debug);
#define GST_CAT_DEFAULT gst_nemo_render_debug

/* GST_ELEMENT_ERROR with the details structure every error of the element
 * carries (docs/interface.md, Errors); none of these is the service's. */
#define POST_ERROR(el, domain, code, text, debug) \
    GST_ELEMENT_ERROR_WITH_DETAILS (el, domain, code, text, debug, \
        ("nemo-code", G_TYPE_INT, 0, "http-status", G_TYPE_UINT, 0, NULL))

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
  PROP_LYRICS_URI,
  PROP_TITLE,
  PROP_ARTIST,
  PROP_WIDTH,
  PROP_HEIGHT,
  PROP_ASPECT_RATIO,
  PROP_FRAMERATE,
  PROP_MAX_DURATION,
  PROP_START_TIME,
  PROP_PRESET,
  PROP_AUDIO_PASSTHROUGH,
  PROP_QUALITY,
  PROP_VIDEO_BITRATE,
  PROP_AUDIO_BITRATE,
  PROP_KEYFRAME_INTERVAL,
  PROP_LOUDNESS,
  PROP_THUMBNAIL_LOCATION,
  PROP_MAX_UPLOAD_SIZE,
  PROP_POLL_INTERVAL,
  PROP_TIMEOUT,
  PROP_RETRIES,
  PROP_CHAT_LIMIT,
  PROP_RENDER_LIMIT,
  PROP_SKILL_SOURCE,
  PROP_SKILL_VERSION,
  PROP_SKILL_PLATFORM,
};

#define DEFAULT_BACKEND GST_NEMO_RENDER_BACKEND_AUTO
#define DEFAULT_MAX_DURATION GST_CLOCK_TIME_NONE
#define DEFAULT_SKILL_SOURCE "yt-music"
#define DEFAULT_SKILL_VERSION "1.0.0"
#define DEFAULT_SKILL_PLATFORM "unknown"

typedef enum
{
  JOB_COLLECTING,               /* the inputs are arriving */
  JOB_RUNNING,
  JOB_DONE,                     /* EOS or an error went out; the task waits */
} JobState;

/* How long the song is, which tells the video pads when they have enough. */
typedef enum
{
  SONG_LENGTH_PENDING,          /* the audio pad's EOS will say */
  SONG_LENGTH_KNOWN,
  SONG_LENGTH_UNKNOWABLE,       /* a web address that only the cloud reads */
  SONG_LENGTH_UNSTATED,         /* a song does not state it: the job will
                                 * measure it */
} SongLength;

struct _GstNemoRender
{
  GstElement parent;

  GstPad *srcpad;
  GstNemoRenderPad *audio_pad;  /* under the object lock */
  GstNemoRenderPad *lyrics_pad; /* under the object lock */
  guint next_video_index;
  guint next_song_index;        /* of the audio_%u pads */

  /* lock protects what the sink pads' streaming threads, the src task and
   * queries share; cond is signalled when any of it changes.  Lock order:
   * lock, then the object lock. */
  GMutex lock;
  GCond cond;
  gboolean flushing;            /* the src pad is being deactivated */
  JobState job;
  gboolean restart;             /* a sink pad flushed once the job began */
  GHashTable *eos_pads;         /* GstNemoRenderPad* that have seen EOS */
  SongLength song_length;
  gint64 song_us;
  const gchar *stage;           /* interned name of the stage in progress */
  gdouble stage_percent;
  guint64 offset;               /* MP4 bytes pushed */

  /* the src task's own */
  GCancellable *cancellable;    /* cancelled under lock, reset by the task */
  gchar *work_dir;
  const gchar *progress_stage;  /* its GST_MESSAGE_PROGRESS is open */
  NemoEta stage_eta;            /* the seconds left in the stage */
  gboolean output_started;      /* stream-start, caps and segment went out */
  GstFlowReturn flow;           /* downstream's last answer */
  gchar *last_timeline;

  /* properties, under the object lock; settings.service.session_id and
   * render_id are what the user asked to continue, the current_* ids what
   * the job uses */
  NemoJobConfig settings;
  GstNemoRenderBackend backend;
  gboolean api_url_set;
  GstClockTime max_duration;    /* as set; settings has it in whole µs */
  gchar *audio_uri, *visual_uri;
  gchar *current_session_id, *current_render_id;
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/quicktime, variant=(string)iso"));

/* F32 first: audioconvert then hands us the decoder's precision. */
#define SONG_CAPS "audio/x-raw, " \
    "format=(string){ F32LE, S32LE, S24LE, S16LE, F64LE, U8 }, " \
    "layout=(string)interleaved, rate=(int)[ 1, 768000 ], " \
    "channels=(int)[ 1, 8 ]; " \
    "audio/mpeg, mpegversion=(int)1, layer=(int)3, parsed=(boolean)true; " \
    "audio/mpeg, mpegversion=(int){ 2, 4 }, stream-format=(string)adts"

static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE ("audio",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS (SONG_CAPS));

/* The songs of an album after the audio pad's, in pad order
 * (docs/album.md). */
static GstStaticPadTemplate album_template =
GST_STATIC_PAD_TEMPLATE ("audio_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS (SONG_CAPS));

/* GStreamer 1.22's pngparse says parsed=true on no caps, only the size: a
 * PNG with its size is framed, one picture per buffer, as typefind's bare
 * image/png is not. */
static GstStaticPadTemplate video_template =
GST_STATIC_PAD_TEMPLATE ("video_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-raw, format=(string){ I420, NV12, Y42B, Y444, "
        "RGBA, BGRA, RGBx, BGRx, RGB, BGR }, width=(int)[ 1, 16384 ], "
        "height=(int)[ 1, 16384 ], framerate=(fraction)[ 0/1, MAX ]; "
        "image/jpeg, parsed=(boolean)true; image/png, parsed=(boolean)true; "
        "image/png, width=(int)[ 1, MAX ], height=(int)[ 1, MAX ]; "
        "video/x-h264, stream-format=(string)byte-stream, "
        "alignment=(string)au"));

/* Timed text, as subparse gives it: the song's lyrics. */
static GstStaticPadTemplate lyrics_template =
GST_STATIC_PAD_TEMPLATE ("lyrics",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("text/x-raw, format=(string){ pango-markup, utf8 }"));

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
pad_is_album_song (GstNemoRenderPad * pad)
{
  GstPadTemplate *templ = GST_PAD_PAD_TEMPLATE (pad);

  return templ != NULL
      && g_strcmp0 (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ), "audio_%u") == 0;
}

/* A song: the audio pad or an album's audio_%u. */
static gboolean
pad_is_audio (GstNemoRender * self, GstNemoRenderPad * pad)
{
  return pad == self->audio_pad || pad_is_album_song (pad);
}

/* Where a song pad comes in the album: the audio pad first, then the
 * audio_%u pads by number. */
static gint
song_pad_rank (GstNemoRenderPad * pad)
{
  guint index = 0;

  if (!pad_is_album_song (pad))
    return -1;
  sscanf (GST_PAD_NAME (pad), "audio_%u", &index);
  return (gint) MIN (index, G_MAXINT);
}

/* Whether audio_@index exists.  Called with the object lock. */
static gboolean
song_pad_taken (GstNemoRender * self, guint index)
{
  GList *l;

  for (l = GST_ELEMENT (self)->sinkpads; l != NULL; l = l->next)
    if (pad_is_album_song (l->data) && song_pad_rank (l->data) == (gint) index)
      return TRUE;
  return FALSE;
}

static gint
compare_song_pads (gconstpointer a, gconstpointer b)
{
  gint x = song_pad_rank (*(GstNemoRenderPad **) a);
  gint y = song_pad_rank (*(GstNemoRenderPad **) b);

  return (x > y) - (x < y);
}

/* The linked song pads (new refs), in album order.  Called with the
 * object lock. */
static GPtrArray *
linked_song_pads (GstNemoRender * self)
{
  GPtrArray *songs = g_ptr_array_new_with_free_func (gst_object_unref);
  GList *l;

  for (l = GST_ELEMENT (self)->sinkpads; l != NULL; l = l->next)
    if (gst_pad_is_linked (l->data) && pad_is_audio (self, l->data))
      g_ptr_array_add (songs, gst_object_ref (l->data));
  g_ptr_array_sort (songs, compare_song_pads);
  return songs;
}

/* Once every linked song pad has seen EOS, the length of them all, else
 * -1.  Called with self->lock. */
static gint64
songs_on_pads_length (GstNemoRender * self)
{
  g_autoptr (GPtrArray) songs = NULL;
  gint64 total = 0;
  guint i;

  GST_OBJECT_LOCK (self);
  songs = linked_song_pads (self);
  for (i = 0; i < songs->len && total >= 0; i++) {
    if (g_hash_table_contains (self->eos_pads, songs->pdata[i]))
      total += gst_nemo_render_pad_get_duration (songs->pdata[i]);
    else
      total = -1;
  }
  GST_OBJECT_UNLOCK (self);
  return total;
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

static gint64
max_duration_us (GstNemoRender * self)
{
  gint64 max_us;

  GST_OBJECT_LOCK (self);
  max_us = self->settings.max_duration_us;
  GST_OBJECT_UNLOCK (self);
  return max_us;
}

static gint64
start_time_us (GstNemoRender * self)
{
  gint64 start_us;

  GST_OBJECT_LOCK (self);
  start_us = self->settings.start_us;
  GST_OBJECT_UNLOCK (self);
  return start_us;
}

/* One frame of the output video, in µs. */
static gint64
output_frame_us (GstNemoRender * self)
{
  gint64 frame_us;

  GST_OBJECT_LOCK (self);
  frame_us = gst_util_uint64_scale_int_ceil (G_USEC_PER_SEC,
      self->settings.fps_d, self->settings.fps_n);
  GST_OBJECT_UNLOCK (self);
  return frame_us;
}

/* The video lasts from start-time to the song's end, or max-duration if
 * that is shorter; -1 while that is not known.  Called with self->lock. */
static gint64
video_length_us (GstNemoRender * self)
{
  gint64 max_us = max_duration_us (self);
  gint64 length_us;

  if (self->song_length != SONG_LENGTH_KNOWN)
    return -1;
  length_us = MAX (self->song_us - start_time_us (self), 0);
  return max_us > 0 ? MIN (length_us, max_us) : length_us;
}

/* A pad has enough once it covers the video: images at once, the song up
 * to start-time + max-duration, pictures up to max-duration or the video's
 * length (or at once when the song does not state its length). */
static gboolean
pad_has_enough (GstNemoRender * self, GstNemoRenderPad * pad)
{
  gint64 covered = gst_nemo_render_pad_get_duration (pad);
  gint64 max_us = max_duration_us (self);
  gboolean audio = pad_is_audio (self, pad);
  gboolean enough;

  if (gst_nemo_render_pad_is_image (pad))
    return TRUE;
  if (max_us > 0 && covered >= max_us + (audio ? start_time_us (self) : 0))
    return TRUE;
  if (audio)
    return FALSE;

  g_mutex_lock (&self->lock);
  enough = self->song_length == SONG_LENGTH_UNSTATED
      || (self->song_length == SONG_LENGTH_KNOWN
      && covered >= video_length_us (self));
  g_mutex_unlock (&self->lock);
  return enough;
}

/* A moving video pad can only be cut when the song's length is known. */
static gboolean
check_video_can_end (GstNemoRender * self, GstNemoRenderPad * pad)
{
  gboolean unknowable;

  if (pad_is_audio (self, pad) || !gst_nemo_render_pad_is_moving (pad)
      || max_duration_us (self) > 0)
    return TRUE;
  g_mutex_lock (&self->lock);
  unknowable = self->song_length == SONG_LENGTH_UNKNOWABLE;
  g_mutex_unlock (&self->lock);
  if (!unknowable)
    return TRUE;

  POST_ERROR (self, STREAM, FAILED,
      ("%s brings moving video, and the song's length is not known here: "
          "audio-uri is a web address that only the service reads. Set "
          "max-duration (in nanoseconds) to the song's length, give the "
          "song as a local file, or give the clip as visual-uri.",
          GST_PAD_NAME (pad)), (NULL));
  return FALSE;
}

/* The pad's input is complete: close its file and wake the task. */
static gboolean
finish_pad (GstNemoRender * self, GstNemoRenderPad * pad)
{
  GError *error = NULL;
  gint64 songs_us;

  if (pad_is_eos (self, pad))
    return TRUE;
  if (!gst_nemo_render_pad_finish (pad, &error)) {
    POST_ERROR (self, RESOURCE, WRITE, ("%s", error->message), (NULL));
    g_error_free (error);
    return FALSE;
  }

  g_mutex_lock (&self->lock);
  g_hash_table_add (self->eos_pads, pad);
  songs_us = pad_is_audio (self, pad) ? songs_on_pads_length (self) : -1;
  if (songs_us >= 0) {
    self->song_us = songs_us;
    self->song_length = SONG_LENGTH_KNOWN;
  }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* FLUSH_START: the pad's input starts over.  A job already begun is
 * cancelled (it reads that input) and runs again on the new input; the MP4
 * it had begun to push is flushed downstream. */
static void
flush_start (GstNemoRender * self, GstNemoRenderPad * pad)
{
  gboolean flush_downstream = FALSE;

  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->eos_pads, pad);
  if (self->job != JOB_COLLECTING) {
    GST_DEBUG_OBJECT (pad, "flushed after the job began: it starts over");
    self->restart = TRUE;
    g_cancellable_cancel (self->cancellable);
    flush_downstream = self->offset > 0;
  }
  g_mutex_unlock (&self->lock);
  if (flush_downstream)
    gst_pad_push_event (self->srcpad, gst_event_new_flush_start ());
}

static gboolean gst_nemo_render_loop_start (GstNemoRender * self);

/* FLUSH_STOP: once a cancelled job has let go of the spools, start this
 * pad's over; a finished job's task is started again. */
static gboolean
flush_stop (GstNemoRender * self, GstNemoRenderPad * pad)
{
  GError *error = NULL;
  gboolean ok;

  g_mutex_lock (&self->lock);
  while (self->job == JOB_RUNNING && !self->flushing)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  ok = gst_nemo_render_pad_flush (pad, self->work_dir, &error);
  if (!ok) {
    POST_ERROR (self, RESOURCE, WRITE, ("%s", error->message), (NULL));
    g_error_free (error);
  }

  g_mutex_lock (&self->lock);
  if (pad_is_audio (self, pad))
    self->song_length = SONG_LENGTH_PENDING;
  if (ok && self->job == JOB_DONE && !self->flushing) {
    self->job = JOB_COLLECTING;
    ok = gst_nemo_render_loop_start (self);
  }
  g_mutex_unlock (&self->lock);
  return ok;
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
        POST_ERROR (self, STREAM, FORMAT, ("%s", error->message),
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
      gst_nemo_render_pad_merge_tags (pad, tags);
      break;
    }
    case GST_EVENT_FLUSH_START:
      flush_start (self, pad);
      break;
    case GST_EVENT_FLUSH_STOP:
      ret = flush_stop (self, pad);
      break;
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

static gboolean
gst_nemo_render_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:
    case GST_QUERY_ACCEPT_CAPS:
      /* the template's caps; not proxied to the src pad */
      return gst_pad_query_default (pad, parent, query);
    case GST_QUERY_ALLOCATION:
      /* frames are mapped with their own strides and offsets */
      gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
      return TRUE;
    case GST_QUERY_DRAIN:
      /* every buffer is in the spool as soon as the chain returns */
      return TRUE;
    default:
      /* nothing downstream of a sink pad knows about its input */
      return FALSE;
  }
}

static GstFlowReturn
gst_nemo_render_chain (GstPad * gpad, GstObject * parent, GstBuffer * buffer)
{
  GstNemoRender *self = GST_NEMO_RENDER (parent);
  GstNemoRenderPad *pad = GST_NEMO_RENDER_PAD (gpad);
  GError *error = NULL;
  gboolean ok, first;

  if (pad_is_eos (self, pad)) {
    gst_buffer_unref (buffer);
    return GST_FLOW_EOS;
  }
  if (!gst_pad_has_current_caps (gpad)) {
    gst_buffer_unref (buffer);
    return GST_FLOW_NOT_NEGOTIATED;
  }

  first = gst_nemo_render_pad_get_silence_deadline (pad) < 0;
  ok = gst_nemo_render_pad_write (pad, buffer, output_frame_us (self),
      &error);
  gst_buffer_unref (buffer);
  if (!ok) {
    POST_ERROR (self, RESOURCE, WRITE, ("%s", error->message), (NULL));
    g_error_free (error);
    return GST_FLOW_ERROR;
  }
  /* a video pad's first buffer starts its silence clock (begin_job) */
  if (first && gst_nemo_render_pad_get_silence_deadline (pad) >= 0) {
    g_mutex_lock (&self->lock);
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
  }
  if (!check_video_can_end (self, pad))
    return GST_FLOW_ERROR;

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
  gboolean lyrics = templ == gst_element_class_get_pad_template (klass,
      "lyrics");
  g_autofree gchar *name = NULL;
  GstPad *pad;

  GST_OBJECT_LOCK (self);
  if ((audio && self->audio_pad != NULL)
      || (lyrics && self->lyrics_pad != NULL)) {
    GST_OBJECT_UNLOCK (self);
    GST_WARNING_OBJECT (self, "there is only one %s pad, and it exists",
        audio ? "audio" : "lyrics");
    return NULL;
  }
  if (audio || lyrics) {
    name = g_strdup (audio ? "audio" : "lyrics");
  } else if (templ == gst_element_class_get_pad_template (klass, "audio_%u")) {
    /* the number asked for when it is free: it is the song's place */
    guint index;

    if (req_name == NULL || sscanf (req_name, "audio_%u", &index) != 1
        || song_pad_taken (self, index))
      index = self->next_song_index;
    self->next_song_index = MAX (self->next_song_index, index + 1);
    name = g_strdup_printf ("audio_%u", index);
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
  gst_pad_set_query_function (pad,
      GST_DEBUG_FUNCPTR (gst_nemo_render_sink_query));
  GST_OBJECT_LOCK (self);
  if (audio)
    self->audio_pad = GST_NEMO_RENDER_PAD (pad);
  if (lyrics)
    self->lyrics_pad = GST_NEMO_RENDER_PAD (pad);
  GST_OBJECT_UNLOCK (self);
  gst_element_add_pad (element, pad);
  return pad;
}

/* A pad released before the job begins takes its input with it; the job
 * goes on with the other pads. */
static void
gst_nemo_render_release_pad (GstElement * element, GstPad * pad)
{
  GstNemoRender *self = GST_NEMO_RENDER (element);

  g_mutex_lock (&self->lock);
  GST_OBJECT_LOCK (self);
  if (pad == GST_PAD (self->audio_pad))
    self->audio_pad = NULL;
  if (pad == GST_PAD (self->lyrics_pad))
    self->lyrics_pad = NULL;
  GST_OBJECT_UNLOCK (self);
  g_hash_table_remove (self->eos_pads, pad);
  g_mutex_unlock (&self->lock);

  /* deactivates the pad, so its streaming thread has left the chain */
  gst_element_remove_pad (element, pad);

  /* the task may have been waiting for this pad */
  g_mutex_lock (&self->lock);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
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

/* gst-launch-1.0 goes to PLAYING only once every GST_MESSAGE_PROGRESS has
 * completed, and a sync sink takes the first MP4 bytes only in PLAYING: so
 * the stage's PROGRESS completes before any byte goes out, and no stage
 * opens one after that (nemorender-progress goes on). */
static void
close_progress (GstNemoRender * self, GstProgressType type)
{
  if (self->progress_stage != NULL)
    post_progress (self, type, self->progress_stage);
  self->progress_stage = NULL;
}

/* nemorender-progress, with the seconds left in the stage once they can be
 * told from its pace (@seconds_left < 0: not yet). */
static GstStructure *
progress_structure (const gchar * stage, gdouble percent,
    gdouble seconds_left)
{
  GstStructure *s = gst_structure_new ("nemorender-progress",
      "stage", G_TYPE_STRING, stage, "percent", G_TYPE_DOUBLE, percent, NULL);

  if (seconds_left >= 0.0)
    gst_structure_set (s, "eta", G_TYPE_DOUBLE, seconds_left, NULL);
  return s;
}

static void
on_progress (const gchar * stage, gdouble percent, gpointer user_data)
{
  GstNemoRender *self = user_data;
  const gchar *interned = g_intern_string (stage);
  gdouble seconds_left = -1.0;
  gboolean post;

  if (interned != self->stage) {
    nemo_eta_reset (&self->stage_eta);
    close_progress (self, GST_PROGRESS_TYPE_COMPLETE);
    if (!self->output_started) {
      self->progress_stage = interned;
      post_progress (self, GST_PROGRESS_TYPE_START, interned);
    }
  }

  /* one message per whole percent is plenty for a progress bar */
  percent = CLAMP (percent, 0.0, 100.0);
  g_mutex_lock (&self->lock);
  if (interned != self->stage) {
    self->stage = interned;
    self->stage_percent = -1.0;
  }
  post = percent > self->stage_percent
      && (percent >= self->stage_percent + 1.0 || percent == 100.0);
  if (post)
    self->stage_percent = percent;
  g_mutex_unlock (&self->lock);

  if (!post)
    return;
  if (!nemo_eta_update (&self->stage_eta, g_get_monotonic_time (), percent,
          &seconds_left))
    seconds_left = -1.0;
  post_element_message (self, progress_structure (stage, percent,
          seconds_left));
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
on_chapters (const gchar * description, gpointer user_data)
{
  post_element_message (user_data, gst_structure_new ("nemorender-chapters",
          "description", G_TYPE_STRING, description, NULL));
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

/* Stream-start, caps and a BYTES segment, before the first byte. */
static void
start_output (GstNemoRender * self)
{
  g_autofree gchar *stream_id = NULL;
  GstSegment segment;

  close_progress (self, GST_PROGRESS_TYPE_COMPLETE);
  /* several sink pads: no single upstream id to derive ours from */
  stream_id = g_strdup_printf ("%08x%08x%08x%08x", g_random_int (),
      g_random_int (), g_random_int (), g_random_int ());
  gst_pad_push_event (self->srcpad, gst_event_new_stream_start (stream_id));
  gst_pad_push_event (self->srcpad,
      gst_event_new_caps (gst_static_pad_template_get_caps (&src_template)));
  gst_segment_init (&segment, GST_FORMAT_BYTES);
  gst_pad_push_event (self->srcpad, gst_event_new_segment (&segment));
  self->output_started = TRUE;
}

/* MP4 bytes, in order: they go downstream as they come. */
static gboolean
on_data (const guint8 * data, gsize size, gpointer user_data, GError ** error)
{
  GstNemoRender *self = user_data;
  GstBuffer *buffer;

  if (!self->output_started)
    start_output (self);
  buffer = gst_buffer_new_memdup (data, size);
  g_mutex_lock (&self->lock);
  GST_BUFFER_OFFSET (buffer) = self->offset;
  GST_BUFFER_OFFSET_END (buffer) = self->offset + size;
  self->offset += size;
  g_mutex_unlock (&self->lock);

  self->flow = gst_pad_push (self->srcpad, buffer);
  if (self->flow == GST_FLOW_OK)
    return TRUE;
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_CANCELLED,
      "downstream stopped taking the video: %s",
      gst_flow_get_name (self->flow));
  return FALSE;
}

static void
on_warning (const gchar * text, gpointer user_data)
{
  GST_ELEMENT_WARNING (GST_NEMO_RENDER (user_data), STREAM, FAILED,
      ("%s", text), (NULL));
}

static const NemoJobCallbacks job_callbacks = {
  .warning = on_warning,
  .reply = on_reply,
  .timeline = on_timeline,
  .credits = on_credits,
  .job = on_job_ids,
  .still_working = on_still_working,
  .chapters = on_chapters,
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
      return self->settings.service.token != NULL || self->api_url_set
          || (env_token != NULL && *env_token != '\0') ?
          NEMO_BACKEND_CLOUD : NEMO_BACKEND_LOCAL;
  }
}

/* @tag from the song's own tags, else from the first clip that has it.
 * Called with the object lock. */
static gchar *
upstream_tag (GstNemoRender * self, const gchar * tag)
{
  gchar *value = NULL;
  GList *l;

  if (self->audio_pad != NULL)
    value = gst_nemo_render_pad_get_tag (self->audio_pad, tag);
  for (l = GST_ELEMENT (self)->sinkpads; value == NULL && l; l = l->next)
    value = gst_nemo_render_pad_get_tag (l->data, tag);
  return value;
}

/* The file a linked pad spooled, or NULL with @error when nothing came. */
static const gchar *
spooled_path (GstNemoRenderPad * pad, GError ** error)
{
  const gchar *path = gst_nemo_render_pad_get_path (pad);

  if (path == NULL)
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_NO_AUDIO,
        "Nothing arrived on %s before it ended. Check the branch that "
        "feeds it (does its file exist and decode?).", GST_PAD_NAME (pad));
  return path;
}

/* Each song of an album its own title, artist and picture, from its pad's
 * tags: @config's songs are @songs' pads, in order. */
static gboolean
tag_album_songs (GstNemoRender * self, NemoJobConfig * config,
    GPtrArray * songs, GError ** error)
{
  guint i;

  for (i = 0; i < songs->len; i++) {
    GstNemoRenderPad *pad = songs->pdata[i];
    NemoJobInput *input = config->inputs->pdata[i];
    GstSample *picture = gst_nemo_render_pad_get_image (pad);
    g_autofree gchar *stem = g_strdup_printf ("%s-picture",
        GST_PAD_NAME (pad));

    input->title = gst_nemo_render_pad_get_tag (pad, GST_TAG_TITLE);
    input->artist = gst_nemo_render_pad_get_tag (pad, GST_TAG_ARTIST);
    if (picture == NULL)
      continue;
    input->cover = gst_nemo_image_sample_save (picture, self->work_dir, stem,
        error);
    gst_sample_unref (picture);
    if (input->cover == NULL && error != NULL && *error != NULL)
      return FALSE;
  }
  return TRUE;
}

/* The job's settings: the properties, the spooled pads, upstream tags
 * (properties win), and with no visual the picture in the audio pad's
 * tags as the cover.  Several song pads make an album, each song with its
 * own pad's tags.  FALSE with @error when a linked pad delivered
 * nothing. */
static gboolean
collect_job_config (GstNemoRender * self, NemoJobConfig * config,
    GError ** error)
{
  g_autoptr (GPtrArray) songs = NULL;
  GstSample *song_picture = NULL;
  gboolean ok = TRUE, album;
  GList *l;
  guint i;

  GST_OBJECT_LOCK (self);
  nemo_job_config_copy (config, &self->settings);
  config->backend = choose_backend (self);
  config->work_dir = g_strdup (self->work_dir);
  if (self->audio_uri != NULL)
    nemo_job_config_add_input (config, NEMO_JOB_INPUT_AUDIO, self->audio_uri,
        FALSE);
  if (self->visual_uri != NULL) {
    g_auto (GStrv) visuals = nemo_job_split_list (self->visual_uri);

    for (i = 0; visuals[i] != NULL; i++)
      nemo_job_config_add_input (config, NEMO_JOB_INPUT_VISUAL, visuals[i],
          FALSE);
  }
  songs = linked_song_pads (self);
  album = songs->len > 1;
  /* an album's songs each have their own; the album's title is its own */
  if (config->title == NULL && !album)
    config->title = upstream_tag (self, GST_TAG_TITLE);
  if (config->artist == NULL && !album)
    config->artist = upstream_tag (self, GST_TAG_ARTIST);
  if (config->album == NULL)
    config->album = upstream_tag (self, GST_TAG_ALBUM);

  /* the song pads win over audio-uri */
  for (i = 0; ok && i < songs->len; i++) {
    const gchar *path = spooled_path (songs->pdata[i], error);

    ok = path != NULL;
    if (ok && i == 0)
      nemo_job_config_add_input (config, NEMO_JOB_INPUT_AUDIO, path, TRUE);
    else if (ok)
      nemo_job_config_add_song (config, path, TRUE);
  }
  for (l = GST_ELEMENT (self)->sinkpads; ok && l != NULL; l = l->next) {
    GstNemoRenderPad *pad = l->data;
    const gchar *path;

    if (!gst_pad_is_linked (GST_PAD (pad)) || pad_is_audio (self, pad))
      continue;
    path = spooled_path (pad, error);
    ok = path != NULL;
    if (ok && pad == self->lyrics_pad) {
      /* the lyrics pad wins over lyrics-uri */
      g_free (config->lyrics);
      config->lyrics = g_strdup (path);
    } else if (ok)
      nemo_job_config_add_input (config, NEMO_JOB_INPUT_VISUAL, path, TRUE);
  }
  /* the song alone (on the audio pad, or a lone audio_%u) */
  if (ok && config->inputs->len <= 1 && songs->len == 1)
    song_picture = gst_nemo_render_pad_get_image (songs->pdata[0]);
  GST_OBJECT_UNLOCK (self);

  if (ok && album)
    ok = tag_album_songs (self, config, songs, error);
  if (song_picture != NULL) {
    GError *save_error = NULL;

    config->cover = gst_nemo_image_sample_save (song_picture, self->work_dir,
        "song-picture", &save_error);
    gst_sample_unref (song_picture);
    if (save_error != NULL) {
      g_propagate_error (error, save_error);
      ok = FALSE;
    }
  }
  return ok;
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

/* Post @error as the element's error, with the details structure of
 * docs/interface.md, Errors. */
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

/* max-duration is in nanoseconds; a value under a second was most likely
 * meant in seconds.  It is rendered as asked, with a warning. */
static void
warn_if_max_duration_tiny (GstNemoRender * self)
{
  GstClockTime max;

  GST_OBJECT_LOCK (self);
  max = self->max_duration;
  GST_OBJECT_UNLOCK (self);
  if (!GST_CLOCK_TIME_IS_VALID (max) || max >= GST_SECOND)
    return;
  GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
      ("max-duration is %" G_GUINT64_FORMAT " ns: it is in nanoseconds; %"
          G_GUINT64_FORMAT " s is %" G_GUINT64_FORMAT, max, max,
          max * GST_SECOND), (NULL));
}

static gboolean
run_job (GstNemoRender * self, guint * http_status, GError ** error)
{
  NemoJobConfig config;
  gboolean ok;

  warn_if_max_duration_tiny (self);
  if (!collect_job_config (self, &config, error)) {
    nemo_job_config_clear (&config);
    return FALSE;
  }
  GST_INFO_OBJECT (self, "rendering with the %s backend",
      config.backend == NEMO_BACKEND_CLOUD ? "cloud" : "local");
  ok = nemo_job_run (&config, &job_callbacks, self, http_status,
      self->cancellable, error);
  nemo_job_config_clear (&config);
  close_progress (self, ok ? GST_PROGRESS_TYPE_COMPLETE :
      GST_PROGRESS_TYPE_ERROR);
  return ok;
}

/* Whether the job can know when the song ends without reading it here: a
 * web address goes to the service as it is. */
static gboolean
song_is_remote (GstNemoRender * self, const gchar * audio_uri)
{
  return choose_backend (self) == NEMO_BACKEND_CLOUD
      && (g_str_has_prefix (audio_uri, "http://")
      || g_str_has_prefix (audio_uri, "https://"));
}

/* The length of the songs @audio_uri names (one, a list, a playlist) in
 * @total_us, 0 when one does not say; FALSE, with the job's error, when
 * one cannot be read or is not a song (every one is probed). */
static gboolean
songs_length (const gchar * audio_uri, gint64 * total_us, GError ** error)
{
  g_autoptr (GPtrArray) songs = nemo_job_probe_song_list (audio_uri, error);
  gboolean stated = TRUE;
  guint i;

  *total_us = 0;
  for (i = 0; songs != NULL && i < songs->len; i++) {
    const NemoMediaInfo *info = songs->pdata[i];

    stated = stated && info->duration_us > 0;
    *total_us += info->duration_us;
  }
  if (!stated)
    *total_us = 0;
  return songs != NULL;
}

/* Without an audio pad the song is audio-uri: it is probed as the element
 * starts, as filesrc opens its file, so that the video pads know when to
 * stop and a song that cannot be read fails the state change at once.
 * (An error posted from the task that soon can be lost: gst-launch-1.0
 * quits its main loop on an error from its bus sync handler, and a quit
 * before g_main_loop_run () starts is forgotten.)  FALSE, with the error
 * posted, when a song cannot be read. */
static gboolean
measure_audio_uri (GstNemoRender * self)
{
  g_autofree gchar *audio_uri = NULL;
  g_autoptr (GPtrArray) songs = NULL;
  GError *error = NULL;
  gint64 album_us = 0;
  SongLength length = SONG_LENGTH_UNSTATED;
  gboolean remote = FALSE;

  GST_OBJECT_LOCK (self);
  songs = linked_song_pads (self);
  if (songs->len == 0 && self->audio_uri != NULL) {
    audio_uri = g_strdup (self->audio_uri);
    remote = song_is_remote (self, audio_uri);
  }
  GST_OBJECT_UNLOCK (self);

  if (audio_uri == NULL)
    return TRUE;
  if (remote) {
    length = SONG_LENGTH_UNKNOWABLE;
  } else if (!songs_length (audio_uri, &album_us, &error)) {
    post_job_error (self, error, 0);
    g_error_free (error);
    return FALSE;
  } else if (album_us > 0) {
    length = SONG_LENGTH_KNOWN;
  }

  g_mutex_lock (&self->lock);
  self->song_length = length;
  self->song_us = album_us;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* The video pad without EOS that will first have been silent for too
 * long, with when (a new ref), or NULL; only once the song's length is
 * known.  Called with self->lock. */
static GstNemoRenderPad *
next_silent_pad (GstNemoRender * self, gint64 * deadline)
{
  GstNemoRenderPad *found = NULL;
  GList *l;

  if (self->song_length != SONG_LENGTH_KNOWN)
    return NULL;
  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l != NULL; l = l->next) {
    gint64 at = gst_nemo_render_pad_get_silence_deadline (l->data);

    if (at >= 0 && l->data != self->audio_pad && gst_pad_is_linked (l->data)
        && !g_hash_table_contains (self->eos_pads, l->data)
        && (found == NULL || at < *deadline)) {
      found = l->data;
      *deadline = at;
    }
  }
  if (found != NULL)
    gst_object_ref (found);
  GST_OBJECT_UNLOCK (self);
  return found;
}

/* A video pad still silent at its deadline is ended as if by EOS: some
 * sources (GStreamer 1.22's avdemux_gif) never send one.  Its stream lock
 * keeps its chain out meanwhile.  Called without self->lock. */
static void
end_silent_pad (GstNemoRender * self, GstNemoRenderPad * pad)
{
  gint64 deadline;

  GST_PAD_STREAM_LOCK (pad);
  deadline = gst_nemo_render_pad_get_silence_deadline (pad);
  if (deadline >= 0 && g_get_monotonic_time () >= deadline
      && !pad_is_eos (self, pad)) {
    gst_nemo_render_pad_warn_silent (pad);
    finish_pad (self, pad);
  }
  GST_PAD_STREAM_UNLOCK (pad);
}

/* Wait until every linked sink pad has seen EOS (or a video pad went
 * silent for too long), then mark the job as running.  FALSE when the
 * element is stopping instead. */
static gboolean
begin_job (GstNemoRender * self)
{
  GstNemoRenderPad *silent;
  gint64 deadline = 0;
  gboolean go;

  g_mutex_lock (&self->lock);
  while (!self->flushing && !inputs_complete (self)) {
    silent = next_silent_pad (self, &deadline);
    if (silent == NULL) {
      g_cond_wait (&self->cond, &self->lock);
      continue;
    }
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline)) {
      g_mutex_unlock (&self->lock);
      end_silent_pad (self, silent);
      g_mutex_lock (&self->lock);
    }
    gst_object_unref (silent);
  }
  go = !self->flushing;
  if (go) {
    self->job = JOB_RUNNING;
    g_cancellable_reset (self->cancellable);
  }
  g_mutex_unlock (&self->lock);
  return go;
}

/* A job that ran again after a flush starts a new stream downstream: the
 * old one was flushed when its input was. */
static void
reset_output (GstNemoRender * self)
{
  gboolean flushed;

  g_mutex_lock (&self->lock);
  /* flush_start () flushed downstream what had been pushed */
  flushed = self->restart && self->offset > 0;
  self->restart = FALSE;
  self->offset = 0;
  self->stage = NULL;
  g_mutex_unlock (&self->lock);

  if (flushed)
    gst_pad_push_event (self->srcpad, gst_event_new_flush_stop (TRUE));
  self->output_started = FALSE;
  self->progress_stage = NULL;
  self->flow = GST_FLOW_OK;
  g_clear_pointer (&self->last_timeline, g_free);
}

/* EOS for a whole MP4; an error, and no EOS, for anything else. */
static void
report_result (GstNemoRender * self, gboolean ok, const GError * error,
    guint http_status)
{
  if (ok) {
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
}

/* The src pad's task: wait for every input, run the job (its data
 * callback pushes the MP4), then EOS or an error.  It runs once per
 * start, and again when a sink pad flushes. */
static void
gst_nemo_render_loop (GstNemoRender * self)
{
  GError *error = NULL;
  guint http_status = 0;
  gboolean ok, restart;

  if (!begin_job (self)) {
    gst_pad_pause_task (self->srcpad);
    return;
  }
  reset_output (self);
  ok = run_job (self, &http_status, &error);

  g_mutex_lock (&self->lock);
  restart = self->restart;
  self->job = restart ? JOB_COLLECTING : JOB_DONE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  if (!restart)
    report_result (self, ok, error, http_status);
  g_clear_error (&error);

  /* paused under the lock, so that a flush_stop () restarting it cannot
   * come in between */
  g_mutex_lock (&self->lock);
  if (self->job == JOB_DONE)
    gst_pad_pause_task (self->srcpad);
  g_mutex_unlock (&self->lock);
}

static gboolean
gst_nemo_render_loop_start (GstNemoRender * self)
{
  return gst_pad_start_task (self->srcpad,
      (GstTaskFunction) gst_nemo_render_loop, self, NULL);
}

/* ---------------------------------------------------- src pad -- */

/* The video's length, once the song's is known. */
static gboolean
answer_duration (GstNemoRender * self, GstQuery * query)
{
  GstFormat format;
  gint64 length_us;

  gst_query_parse_duration (query, &format, NULL);
  if (format != GST_FORMAT_TIME)
    return FALSE;
  g_mutex_lock (&self->lock);
  length_us = video_length_us (self);
  g_mutex_unlock (&self->lock);
  if (length_us < 0)
    return FALSE;
  gst_query_set_duration (query, format, length_us * GST_USECOND);
  return TRUE;
}

/* How far the job has got: in TIME, how much of the video is rendered (the
 * frames encoded here, or the service's render progress); in BYTES, how
 * much of the MP4 has been pushed. */
static gboolean
answer_position (GstNemoRender * self, GstQuery * query)
{
  GstFormat format;
  gint64 length_us, position = -1;
  gdouble done = 0.0;

  gst_query_parse_position (query, &format, NULL);
  g_mutex_lock (&self->lock);
  length_us = video_length_us (self);
  if (self->offset > 0 || self->stage == g_intern_static_string ("download"))
    done = 1.0;
  else if (self->stage == g_intern_static_string ("encode")
      || self->stage == g_intern_static_string ("render"))
    done = MAX (self->stage_percent, 0.0) / 100.0;
  if (format == GST_FORMAT_BYTES)
    position = self->offset;
  else if (format == GST_FORMAT_TIME && length_us >= 0)
    position = done * length_us * GST_USECOND;
  g_mutex_unlock (&self->lock);

  if (position < 0)
    return FALSE;
  gst_query_set_position (query, format, position);
  return TRUE;
}

/* Queries are about the MP4 being made, never forwarded to the inputs. */
static gboolean
gst_nemo_render_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  GstNemoRender *self = GST_NEMO_RENDER (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_SEEKING:{
      GstFormat format;

      gst_query_parse_seeking (query, &format, NULL, NULL, NULL);
      gst_query_set_seeking (query, format, FALSE, 0, -1);
      return TRUE;
    }
    case GST_QUERY_DURATION:
      return answer_duration (self, query);
    case GST_QUERY_POSITION:
      return answer_position (self, query);
    case GST_QUERY_LATENCY:
      /* not live: the MP4 follows the whole input, whenever that ends */
      gst_query_set_latency (query, FALSE, 0, GST_CLOCK_TIME_NONE);
      return TRUE;
    case GST_QUERY_SCHEDULING:
      gst_query_set_scheduling (query, GST_SCHEDULING_FLAG_SEQUENTIAL, 1, -1,
          0);
      gst_query_add_scheduling_mode (query, GST_PAD_MODE_PUSH);
      return TRUE;
    case GST_QUERY_CAPS:
    case GST_QUERY_ACCEPT_CAPS:
      return gst_pad_query_default (pad, parent, query);
    default:
      return FALSE;
  }
}

static gboolean
gst_nemo_render_src_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  gboolean ret;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEEK:
      /* the MP4 is made once, front to back */
      GST_DEBUG_OBJECT (pad, "refusing a seek: the output is not seekable");
      ret = FALSE;
      break;
    case GST_EVENT_QOS:
    case GST_EVENT_LATENCY:
    case GST_EVENT_RECONFIGURE:
      /* nothing upstream of the MP4 would act on them */
      ret = TRUE;
      break;
    default:
      ret = FALSE;
      break;
  }
  gst_event_unref (event);
  return ret;
}

static gboolean
gst_nemo_render_src_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  GstNemoRender *self = GST_NEMO_RENDER (parent);

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;

  g_mutex_lock (&self->lock);
  self->flushing = !active;
  if (!active) {
    g_cancellable_cancel (self->cancellable);
    g_cond_broadcast (&self->cond);
  }
  g_mutex_unlock (&self->lock);

  if (active)
    return gst_nemo_render_loop_start (self);
  return gst_pad_stop_task (pad);
}

/* ---------------------------------------------------- element plumbing -- */

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

  g_mutex_lock (&self->lock);
  self->job = JOB_COLLECTING;
  self->restart = FALSE;
  self->song_length = SONG_LENGTH_PENDING;
  self->song_us = 0;
  self->stage = NULL;
  self->offset = 0;
  g_mutex_unlock (&self->lock);
  self->output_started = FALSE;
  self->progress_stage = NULL;
  self->flow = GST_FLOW_OK;
  GST_OBJECT_LOCK (self);
  g_clear_pointer (&self->current_session_id, g_free);
  g_clear_pointer (&self->current_render_id, g_free);
  GST_OBJECT_UNLOCK (self);
  if (!measure_audio_uri (self))
    return FALSE;
  self->work_dir = g_dir_make_tmp ("nemorender-XXXXXX", &error);
  if (self->work_dir == NULL) {
    POST_ERROR (self, RESOURCE, OPEN_WRITE,
        ("No room for the work files: %s. Set TMPDIR to a writable folder "
            "with space for the video.", error->message), (NULL));
    g_error_free (error);
    return FALSE;
  }
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
  g_mutex_unlock (&self->lock);

  g_clear_pointer (&self->last_timeline, g_free);
  if (self->work_dir != NULL)
    remove_tree (self->work_dir);
  g_clear_pointer (&self->work_dir, g_free);
}

/* Like any non-live element, nemorender prerolls: the job runs in PAUSED
 * and the sinks preroll on the first MP4 bytes, so the clock starts only
 * when the video can play. */
static GstStateChangeReturn
gst_nemo_render_change_state (GstElement * element, GstStateChange transition)
{
  GstNemoRender *self = GST_NEMO_RENDER (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !start (self))
    return GST_STATE_CHANGE_FAILURE;

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY
      || (transition == GST_STATE_CHANGE_READY_TO_PAUSED
          && ret == GST_STATE_CHANGE_FAILURE))
    stop (self);
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
      return &settings->service.api_url;
    case PROP_CLIENT_ID:
      return &settings->service.client_id;
    case PROP_LANGUAGE:
      return &settings->language;
    case PROP_SESSION_ID:
      return &settings->service.session_id;
    case PROP_RENDER_ID:
      return &settings->service.render_id;
    case PROP_AUDIO_URI:
      return &self->audio_uri;
    case PROP_VISUAL_URI:
      return &self->visual_uri;
    case PROP_LYRICS_URI:
      return &settings->lyrics;
    case PROP_TITLE:
      return &settings->title;
    case PROP_ARTIST:
      return &settings->artist;
    case PROP_ASPECT_RATIO:
      return &settings->aspect_ratio;
    case PROP_THUMBNAIL_LOCATION:
      return &settings->thumbnail_location;
    case PROP_SKILL_SOURCE:
      return &settings->service.skill_source;
    case PROP_SKILL_VERSION:
      return &settings->service.skill_version;
    case PROP_SKILL_PLATFORM:
      return &settings->service.skill_platform;
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
  g_free (self->settings.service.token);
  self->settings.service.token = g_value_dup_string (value);
  if (self->settings.service.token && *self->settings.service.token == '\0')
    g_clear_pointer (&self->settings.service.token, g_free);
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
    if (prop_id == PROP_LANGUAGE)
      settings->language_set = *field != NULL;
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
    case PROP_MAX_DURATION:
      self->max_duration = g_value_get_uint64 (value);
      /* whole µs, rounded up: a tiny length is rendered as asked */
      settings->max_duration_us = GST_CLOCK_TIME_IS_VALID (self->max_duration)
          ? (gint64) ((self->max_duration + GST_USECOND - 1) / GST_USECOND)
          : 0;
      break;
    case PROP_START_TIME:
      settings->start_us = g_value_get_uint64 (value) / GST_USECOND;
      break;
    case PROP_PRESET:
      settings->preset = g_value_get_enum (value);
      break;
    case PROP_AUDIO_PASSTHROUGH:
      settings->audio_passthrough = g_value_get_enum (value);
      break;
    case PROP_QUALITY:
      settings->quality = g_value_get_uint (value);
      break;
    case PROP_VIDEO_BITRATE:
      settings->video_bitrate_kbps = g_value_get_uint (value);
      break;
    case PROP_AUDIO_BITRATE:
      settings->audio_bitrate_kbps = g_value_get_uint (value);
      break;
    case PROP_KEYFRAME_INTERVAL:
      settings->keyframe_interval = g_value_get_uint (value);
      break;
    case PROP_LOUDNESS:
      settings->loudness_lufs = g_value_get_double (value);
      break;
    case PROP_MAX_UPLOAD_SIZE:
      settings->service.max_upload_size = g_value_get_uint64 (value);
      break;
    case PROP_POLL_INTERVAL:
      settings->service.poll_interval_ms = g_value_get_uint (value);
      break;
    case PROP_TIMEOUT:
      settings->service.timeout_s = g_value_get_uint (value);
      break;
    case PROP_RETRIES:
      settings->service.retries = g_value_get_uint (value);
      break;
    case PROP_CHAT_LIMIT:
      settings->service.chat_limit_s = g_value_get_uint (value);
      break;
    case PROP_RENDER_LIMIT:
      settings->service.render_limit_s = g_value_get_uint (value);
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
          self->current_session_id : settings->service.session_id);
      break;
    case PROP_RENDER_ID:
      g_value_set_string (value, self->current_render_id ?
          self->current_render_id : settings->service.render_id);
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
    case PROP_AUDIO_PASSTHROUGH:
      g_value_set_enum (value, settings->audio_passthrough);
      break;
    case PROP_QUALITY:
      g_value_set_uint (value, settings->quality);
      break;
    case PROP_VIDEO_BITRATE:
      g_value_set_uint (value, settings->video_bitrate_kbps);
      break;
    case PROP_AUDIO_BITRATE:
      g_value_set_uint (value, settings->audio_bitrate_kbps);
      break;
    case PROP_KEYFRAME_INTERVAL:
      g_value_set_uint (value, settings->keyframe_interval);
      break;
    case PROP_LOUDNESS:
      g_value_set_double (value, settings->loudness_lufs);
      break;
    case PROP_MAX_DURATION:
      g_value_set_uint64 (value, self->max_duration);
      break;
    case PROP_START_TIME:
      g_value_set_uint64 (value, (guint64) settings->start_us * GST_USECOND);
      break;
    case PROP_PRESET:
      g_value_set_enum (value, nemo_preset_get (settings->preset)->preset);
      break;
    case PROP_MAX_UPLOAD_SIZE:
      g_value_set_uint64 (value, settings->service.max_upload_size);
      break;
    case PROP_POLL_INTERVAL:
      g_value_set_uint (value, settings->service.poll_interval_ms);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, settings->service.timeout_s);
      break;
    case PROP_RETRIES:
      g_value_set_uint (value, settings->service.retries);
      break;
    case PROP_CHAT_LIMIT:
      g_value_set_uint (value, settings->service.chat_limit_s);
      break;
    case PROP_RENDER_LIMIT:
      g_value_set_uint (value, settings->service.render_limit_s);
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
  g_free (self->audio_uri);
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
  GParamSpec *loudness;
  /* registered here, once: class_init calls this */
  static const GEnumValue passthrough_values[] = {
    {NEMO_AUDIO_PASSTHROUGH_AUTO, "Keep an AAC-LC song (44.1/48 kHz stereo) "
          "the draft does not change", "auto"},
    {NEMO_AUDIO_PASSTHROUGH_NEVER, "Always encode the sound again", "never"},
    {0, NULL, NULL},
  };

  /* one value per row of the preset table, in its order */
  static GEnumValue preset_values[NEMO_PRESET_INSTAGRAM_STORY + 1];
  NemoPreset preset;

  for (preset = NEMO_PRESET_YOUTUBE; preset <= NEMO_PRESET_INSTAGRAM_STORY;
      preset++) {
    const NemoPresetInfo *info = nemo_preset_get (preset);

    preset_values[preset - 1] = (GEnumValue) {
    preset, info->platform, info->name};
  }

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
      "The language of the replies and of the cloud session, e.g. en or "
      "zh; by default the prompt's, else the locale's", NULL);
  install_string (klass, PROP_SESSION_ID, "session-id", "Session id",
      "Read: the cloud session in use.  Write: continue that session, e.g. "
      "to edit the same timeline again", NULL);
  install_string (klass, PROP_RENDER_ID, "render-id", "Render id",
      "Read: the cloud export job in flight or done.  Write: resume polling "
      "and downloading that job instead of rendering again", NULL);
  install_string (klass, PROP_AUDIO_URI, "audio-uri", "Audio URI",
      "The song, as a path, file:// URI or (cloud) http(s) URL: MP3, "
      "AAC/M4A, WAV, FLAC, OGG/Opus, or a video's sound; instead of the "
      "audio pad.  Several songs separated by ';', or an .m3u/.m3u8 "
      "playlist, make an album video with a chapter per song", NULL);
  install_string (klass, PROP_VISUAL_URI, "visual-uri", "Visual URI",
      "The picture or clip, as a path, file:// URI or (cloud) http(s) URL: "
      "JPEG, PNG, GIF, WebP; MP4, MOV, MKV, WebM, AVI.  Several separated "
      "by ';' are used in turn (a slideshow, or cut on the beat when the "
      "prompt asks); they come before any video_%u pad's", NULL);
  /**
   * GstNemoRender:lyrics-uri:
   *
   * The song's words, timed: an LRC file (enhanced LRC's `<mm:ss.xx>` word
   * times make a karaoke), SubRip (.srt) or WebVTT (.vtt), as a path or
   * file:// URI.  Each line is shown from its time inside the preset's safe
   * area, the current one over the next; the prompt picks the look ("lyric
   * video", "karaoke", "歌词", "卡拉OK").  The lyrics pad wins over it.
   * Local backend only.
   */
  install_string (klass, PROP_LYRICS_URI, "lyrics-uri", "Lyrics URI",
      "The song's words, timed: LRC (enhanced LRC word times make a "
      "karaoke), SubRip or WebVTT, as a path or file:// URI; instead of the "
      "lyrics pad", NULL);
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
      "Output shape: 16:9, 9:16, 1:1 or 4:5; the short side keeps its "
      "length (1920x1080 with 9:16 gives 1080x1920, with 1:1 1080x1080)",
      NULL);
  g_object_class_install_property (klass, PROP_FRAMERATE,
      gst_param_spec_fraction ("framerate", "Frame rate",
          "Output frame rate (constant)", 1, 1, 120, 1, 30, 1, PARAM_FLAGS));
  g_object_class_install_property (klass, PROP_MAX_DURATION,
      g_param_spec_uint64 ("max-duration", "Maximum duration",
          "Trim the song (and so the video) to this many nanoseconds "
          "(-1 = the whole song)", 0, G_MAXUINT64, DEFAULT_MAX_DURATION,
          PARAM_FLAGS));
  g_object_class_install_property (klass, PROP_START_TIME,
      g_param_spec_uint64 ("start-time", "Start time",
          "Where in the song the video starts, in nanoseconds, for an "
          "excerpt (1:05 is 65000000000)", 0, G_MAXUINT64, 0, PARAM_FLAGS));
  g_object_class_install_property (klass, PROP_PRESET,
      g_param_spec_enum ("preset", "Preset",
          "The platform the video is for (local backend): its shape, frame "
          "rates, bitrate ceiling, longest video and the area its buttons "
          "leave clear for the overlays (docs/presets.md); width, height, "
          "aspect-ratio and max-duration win over it.  Unset, a platform "
          "the prompt names (\"for Shorts\") picks it",
          g_enum_register_static ("GstNemoRenderPreset", preset_values),
          NEMO_PRESET_YOUTUBE, PARAM_FLAGS));
  g_object_class_install_property (klass, PROP_AUDIO_PASSTHROUGH,
      g_param_spec_enum ("audio-passthrough", "Audio passthrough",
          "Whether a song already in AAC-LC goes into the MP4 as it is "
          "(local backend): auto when nothing in the draft changes its sound "
          "(no mix, fade, trim or loudness change; the MP4 may then be "
          "44.1 kHz), never to encode it again at 48 kHz",
          g_enum_register_static ("GstNemoRenderAudioPassthrough",
              passthrough_values), NEMO_AUDIO_PASSTHROUGH_AUTO, PARAM_FLAGS));
  g_object_class_install_property (klass, PROP_QUALITY,
      g_param_spec_uint ("quality", "Quality",
          "x264's constant rate factor (local): lower is better and larger; "
          "18 is visually lossless, 23 x264's default, 51 the smallest file",
          1, 51, NEMO_RENDER_DEFAULT_QUALITY, PARAM_FLAGS));
  install_uint (klass, PROP_VIDEO_BITRATE, "video-bitrate", "Video bitrate",
      "Most the video may take, in kb/s (local; x264's VBV with a buffer of "
      "one second); 0 = no cap, the quality alone decides", 1000000, 0);
  g_object_class_install_property (klass, PROP_AUDIO_BITRATE,
      g_param_spec_uint ("audio-bitrate", "Audio bitrate",
          "AAC bitrate in kb/s when the sound is encoded (local); FFmpeg's "
          "encoder may spend less on simple sound", 32, 576,
          NEMO_RENDER_DEFAULT_AUDIO_KBPS, PARAM_FLAGS));
  install_uint (klass, PROP_KEYFRAME_INTERVAL, "keyframe-interval",
      "Keyframe interval", "Frames from one keyframe to the next (local; "
      "closed GOPs); 0 = half the frame rate, as YouTube recommends", 100000,
      0);
  loudness = g_param_spec_double ("loudness", "Loudness",
      "Integrated loudness to bring the sound to, in LUFS, e.g. -14 (local; "
      "the song is then always encoded again); NaN = as the prompt says, "
      "else a song alone as it is and a mix at -14", -70, 0, -14,
      PARAM_FLAGS);
  /* "unset" is NaN, which g_param_spec_double() refuses as a default */
  G_PARAM_SPEC_DOUBLE (loudness)->default_value = NAN;
  g_object_class_install_property (klass, PROP_LOUDNESS, loudness);
  install_string (klass, PROP_THUMBNAIL_LOCATION, "thumbnail-location",
      "Thumbnail location", "Also write a JPEG thumbnail here: the frame a "
      "third in, with the cover and the title, 1280x720 for 16:9, else the "
      "video's shape with a long side of 1280 (local; NULL = none)", NULL);
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
  install_uint (klass, PROP_CHAT_LIMIT, "chat-limit", "Chat limit",
      "Longest one chat turn may last, heartbeats or not, in seconds; 0 = "
      "the default (cloud)", G_MAXUINT, 900);
  install_uint (klass, PROP_RENDER_LIMIT, "render-limit", "Render limit",
      "Longest the wait for an export to finish may last, in seconds; 0 = "
      "the default (cloud)", G_MAXUINT, 1800);
  install_string (klass, PROP_SKILL_SOURCE, "skill-source", "Skill source",
      "X-Skill-Source attribution header (cloud)", DEFAULT_SKILL_SOURCE);
  install_string (klass, PROP_SKILL_VERSION, "skill-version",
      "Skill version", "X-Skill-Version attribution header (cloud)",
      DEFAULT_SKILL_VERSION);
  install_string (klass, PROP_SKILL_PLATFORM, "skill-platform",
      "Skill platform", "X-Skill-Platform attribution header (cloud)",
      DEFAULT_SKILL_PLATFORM);
}

/* ---------------------------------------------------------------- log -- */

static GstDebugLevel
gst_level_from_nemo (NemoLogLevel level)
{
  switch (level) {
    case NEMO_LOG_ERROR:
      return GST_LEVEL_ERROR;
    case NEMO_LOG_WARNING:
      return GST_LEVEL_WARNING;
    case NEMO_LOG_INFO:
      return GST_LEVEL_INFO;
    case NEMO_LOG_DEBUG:
      return GST_LEVEL_DEBUG;
    default:
      return GST_LEVEL_TRACE;
  }
}

static gboolean
log_enabled (NemoLogLevel level, gpointer user_data)
{
  return gst_debug_category_get_threshold (GST_CAT_DEFAULT)
      >= gst_level_from_nemo (level);
}

static void
log_to_gst (NemoLogLevel level, const gchar * file, const gchar * function,
    gint line, const gchar * message, gpointer user_data)
{
  gst_debug_log (GST_CAT_DEFAULT, gst_level_from_nemo (level), file, function,
      line, NULL, "%s", message);
}

/* The library's messages go to the nemorender category.  FFmpeg's go there
 * too unless gst-libav is loaded: FFmpeg has one log callback per process,
 * which gst-libav sets to its own "libav" category, and there is no getter
 * to chain to, so it is never taken from gst-libav (when gst-libav loads
 * after us, it takes it). */
static void
route_logs (void)
{
  GstDebugCategory *libav = NULL;

  nemo_log_set_func (log_to_gst, log_enabled, NULL);
  GST_DEBUG_CATEGORY_GET (libav, "libav");
  if (libav == NULL)
    nemo_media_log_ffmpeg ();
}

static void
gst_nemo_render_class_init (GstNemoRenderClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_nemo_render_debug, "nemorender", 0,
      "music video renderer");
  route_logs ();

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
      &album_template, GST_TYPE_NEMO_RENDER_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &video_template, GST_TYPE_NEMO_RENDER_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &lyrics_template, GST_TYPE_NEMO_RENDER_PAD);
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
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_nemo_render_src_query));
  gst_pad_set_event_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_nemo_render_src_event));
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->eos_pads = g_hash_table_new (NULL, NULL);
  self->cancellable = g_cancellable_new ();
  self->backend = DEFAULT_BACKEND;
  self->max_duration = DEFAULT_MAX_DURATION;

  nemo_job_config_init (settings);
  settings->service.api_url = g_strdup (NEMO_CLOUD_DEFAULT_API_URL);
  settings->service.client_id = g_uuid_string_random ();
  settings->language = language_from_locale ();
  settings->service.skill_source = g_strdup (DEFAULT_SKILL_SOURCE);
  settings->service.skill_version = g_strdup (DEFAULT_SKILL_VERSION);
  settings->service.skill_platform = g_strdup (DEFAULT_SKILL_PLATFORM);
}
