/* nemorender local renderer: a draft in, a finished MP4 file out.
 *
 * The output meets docs/interface.md's contract (The output MP4): H.264
 * High, yuv420p, constant frame rate, closed GOPs (of half the frame rate
 * unless keyframe_interval says otherwise), 2 B-frames; AAC-LC 48 kHz stereo (44.1 kHz when the song's AAC is kept);
 * `moov` before `mdat`; duration equal to the soundtrack's (or
 * max_duration_us) within one frame.
 *
 * No GStreamer, no HTTP in here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_RENDER_H
#define NEMO_RENDER_H

#include <gio/gio.h>
#include <nemo/draft.h>

G_BEGIN_DECLS

typedef enum
{
  NEMO_RENDER_STAGE_PREPARE,    /* reading and analysing the inputs */
  NEMO_RENDER_STAGE_ENCODE,     /* drawing and encoding frames, muxing */
} NemoRenderStage;

/* Called from the rendering thread; @percent is 0-100 within the stage. */
typedef void (*NemoRenderProgressFunc) (NemoRenderStage stage, gdouble percent,
    gpointer user_data);

/* Whether a song that needs no change goes into the MP4 as it is. */
typedef enum
{
  /* AAC-LC, 44.1 or 48 kHz stereo, not mixed, faded, trimmed or
   * normalised: its packets are copied (the MP4 may then be 44.1 kHz) */
  NEMO_AUDIO_PASSTHROUGH_AUTO,
  NEMO_AUDIO_PASSTHROUGH_NEVER, /* always decoded and encoded again */
} NemoAudioPassthrough;

/* The encoder's defaults: x264's CRF, and AAC-LC stereo's rate in kb/s. */
#define NEMO_RENDER_DEFAULT_QUALITY 18
#define NEMO_RENDER_DEFAULT_AUDIO_KBPS 320
/* The part of the frame a platform's own buttons and captions leave clear,
 * as shares of the frame's width and height cut from each side (0 to 0.5);
 * all zero: the whole frame (docs/presets.md). */
typedef struct
{
  gdouble top, bottom, left, right;
} NemoSafeArea;

typedef struct
{
  gint width, height;           /* output size, even numbers */
  gint fps_n, fps_d;            /* output frame rate */
  gint64 max_duration_us;       /* 0 = no limit */
  NemoAudioPassthrough audio_passthrough;
  gint quality;                 /* x264 CRF, 1 (best) to 51 */
  gint video_bitrate_kbps;      /* VBV cap on the video, 0 = none */
  gint audio_bitrate_kbps;      /* AAC, when the sound is encoded */
  gint keyframe_interval;       /* frames per GOP, 0 = half the frame rate */
  gdouble loudness_lufs;        /* integrated loudness to bring the sound
                                 * to; NaN: the draft's m.loudness_lufs,
                                 * else -14 for a mix, a song as it is */
  NemoSafeArea safe_area;       /* where the titles and visualizers go */
  NemoRenderProgressFunc progress;
  gpointer progress_data;
  GCancellable *cancellable;    /* checked between frames */
} NemoRenderOptions;

/* Fills @options with the defaults: 1920x1080, 30/1, no limit, audio kept
 * when it can be, CRF 18, no bitrate cap, AAC at 320 kb/s, GOPs of half a
 * second, loudness as the draft says, the whole frame safe. */
void nemo_render_options_init (NemoRenderOptions * options);

/* Render @draft to a new MP4 at @output_path (overwritten).  On failure the
 * file is removed and @error says what went wrong; a cancelled render fails
 * with NEMO_ERROR_CANCELLED. */
gboolean nemo_render_draft (const NemoDraft * draft,
    const NemoRenderOptions * options, const gchar * output_path,
    GError ** error);

/* The thumbnail's size for a @width x @height video: its shape with a long
 * side of 1280, so 1280x720 (YouTube's) for 16:9 and 720x1280 for 9:16. */
void nemo_render_thumbnail_size (gint width, gint height,
    gint * thumbnail_width, gint * thumbnail_height);

/* Write a JPEG of @draft's frame at a third of its length, with its
 * layers, at the thumbnail size of @options' video, to @path (replaced
 * whole: a failure leaves no partial file).  A visualizer draws silent:
 * drop it from the draft to leave it out. */
gboolean nemo_render_thumbnail (const NemoDraft * draft,
    const NemoRenderOptions * options, const gchar * path, GError ** error);

/* ---- live: the same look, frame by frame (scene.c) ---- */

typedef enum
{
  NEMO_SCENE_BACKGROUND_COVER,  /* the cover over its blurred fill */
  NEMO_SCENE_BACKGROUND_COLOR,  /* one colour */
  NEMO_SCENE_BACKGROUND_TRANSPARENT,    /* nothing: the layers alone, drawn
                                         * with nemo_scene_draw_bgra() */
} NemoSceneBackground;

/* What a live scene shows; the strings are copied. */
typedef struct
{
  const gchar *scope;           /* NEMO_SEGMENT_SPECTRUM, _WAVEFORM, _CIRCLE,
                                 * or NULL for none */
  const gchar *cover;           /* a picture's path or URI, or NULL */
  const gchar *title, *artist;  /* NULL or "" for none */
  const gchar *text_place;      /* docs/draft.md's sty.place, NULL: the
                                 * shape's own */
  NemoSceneBackground background;
  guint32 color;                /* 0xRRGGBB, with NEMO_SCENE_BACKGROUND_COLOR */
  const NemoSafeArea *safe_area;        /* NULL: the whole frame */
} NemoSceneLook;

typedef struct _NemoScene NemoScene;

/* A scene of @width x @height (even) at @fps_n/@fps_d frames per second
 * showing @look, or NULL with @error set (a cover that cannot be read). */
NemoScene *nemo_scene_new (gint width, gint height, gint fps_n, gint fps_d,
    const NemoSceneLook * look, GError ** error);
/* Show @look from the next frame on, cross-fading from the current one
 * over @fade_us; on failure the current look stays. */
gboolean nemo_scene_set_look (NemoScene * scene, const NemoSceneLook * look,
    gint64 fade_us, GError ** error);
/* The audio as it plays: NEMO_AUDIO_RATE stereo interleaved float.  The
 * visualizer draws the newest frame analysed, about one frame behind the
 * audio pushed (the analysis window is centred on the frame's time). */
void nemo_scene_push_audio (NemoScene * scene,
    const gfloat * interleaved_stereo, gsize n_frames);
/* The next frame into yuv420p @planes (BT.709, TV range). */
gboolean nemo_scene_draw (NemoScene * scene, guint8 * const planes[3],
    const gint strides[3], GError ** error);
/* The next frame's layers (visualizer, titles) into BGRA @data with
 * straight alpha, 0 where nothing is drawn: for a transparent look. */
gboolean nemo_scene_draw_bgra (NemoScene * scene, guint8 * data,
    gint stride, GError ** error);
void nemo_scene_free (NemoScene * scene);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoScene, nemo_scene_free)

G_END_DECLS

#endif
