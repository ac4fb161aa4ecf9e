/* Tests for the beat-synced montage: a drum track with known beats and the
 * test clips go through nemo_job_build_draft() and the renderer, and the
 * cuts are found again in the decoded pictures.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/job.h>
#include <nemo/render.h>
#include <nemo/error.h>
#include <glib/gstdio.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <string.h>

#include "drums.h"
#include "test-util.h"

#define BPM 120.0
#define SONG_S 8.0
#define WIDTH 320
#define HEIGHT 180
/* the test clips: testsrc2, 3 s at 25 fps */
#define CLIP_FPS 25
#define CLIP_FRAMES 75
/* a frame of the output is found among the clip's frames when it matches
 * one this well and clearly better than any other but its neighbours */
#define MATCH_MIN_DB 30.0
#define MATCH_MARGIN_DB 8.0

typedef struct
{
  gint n, d;
} FrameRate;

static const FrameRate fps_30 = { 30, 1 };
static const FrameRate fps_ntsc = { 30000, 1001 };
static const FrameRate fps_25 = { 25, 1 };

typedef struct
{
  gchar *dir;
  gchar *song;
  GArray *beats;                /* gdouble, seconds */
} Fixture;

static void
fixture_init_track (Fixture * fixture, const DrumTrack * track)
{
  GError *error = NULL;

  fixture->dir = g_dir_make_tmp ("nemo-montage-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->song = g_build_filename (fixture->dir, "drums.wav", NULL);
  fixture->beats = drums_write (track, fixture->song, &error);
  g_assert_no_error (error);
}

static void
fixture_init (Fixture * fixture)
{
  /* the drums come in at 1.5 s: both test clips hold the same footage, so
   * a cut from one to the other at the same point of it could not be seen;
   * the first shot, longer, puts their cursors apart */
  DrumTrack track = { .bpm = BPM, .duration_s = SONG_S, .swing = 0.5,
    .intro_s = 1.5 };

  fixture_init_track (fixture, &track);
}

static void
fixture_clear (Fixture * fixture)
{
  g_unlink (fixture->song);
  g_rmdir (fixture->dir);
  g_free (fixture->song);
  g_free (fixture->dir);
  g_array_unref (fixture->beats);
}

/* The draft the job builds for the drum track, @clips and @prompt. */
static NemoDraft *
build_draft (const Fixture * fixture, const gchar * const *clips,
    const gchar * prompt, const FrameRate * fps)
{
  NemoJobConfig config;
  NemoDraft *draft;
  GError *error = NULL;

  nemo_job_config_init (&config);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_AUDIO, fixture->song,
      FALSE);
  for (; *clips; clips++) {
    g_autofree gchar *clip = data_path (*clips);

    nemo_job_config_add_input (&config, NEMO_JOB_INPUT_VISUAL, clip, FALSE);
  }
  config.prompt = g_strdup (prompt);
  config.width = WIDTH;
  config.height = HEIGHT;
  config.size_set = TRUE;
  config.fps_n = fps->n;
  config.fps_d = fps->d;
  config.work_dir = g_strdup (fixture->dir);
  draft = nemo_job_build_draft (&config, NULL, NULL, &error);
  g_assert_no_error (error);
  nemo_job_config_clear (&config);
  return draft;
}

/* The first frame at or after @ms: where a segment starting there shows. */
static gint64
first_frame_at (gint64 ms, const FrameRate * fps)
{
  gint64 den = 1000 * (gint64) fps->d;

  return (ms * fps->n + den - 1) / den;
}

/* The frames where the draft's shots start, the first (0) left out. */
static GArray *
planned_cuts (const NemoDraft * draft, const FrameRate * fps)
{
  NemoTrack *track = nemo_draft_find_track (draft, NEMO_TRACK_VIDEO);
  GArray *cuts = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree gchar *json = nemo_draft_to_string (draft, FALSE);
  guint i;

  g_test_message ("draft: %s", json);

  g_assert_nonnull (track);
  for (i = 1; i < track->segments->len; i++) {
    const NemoSegment *shot = g_ptr_array_index (track->segments, i);
    gint64 frame = first_frame_at (shot->start_ms, fps);

    g_array_append_val (cuts, frame);
  }
  return cuts;
}

/* The index of the known beat within a frame of @frame, or -1. */
static gint
beat_at_frame (const Fixture * fixture, gint64 frame, const FrameRate * fps)
{
  guint i;

  for (i = 0; i < fixture->beats->len; i++)
    if (fabs (g_array_index (fixture->beats, gdouble, i) * fps->n / fps->d
            - frame) <= 1.0)
      return (gint) i;
  return -1;
}

/* The shots cover the video without gaps: from 0, each starting where the
 * last ended, the last running to the end. */
static void
assert_no_gaps (const NemoDraft * draft)
{
  NemoTrack *track = nemo_draft_find_track (draft, NEMO_TRACK_VIDEO);
  gint64 at = 0;
  guint i;

  for (i = 0; i < track->segments->len; i++) {
    const NemoSegment *shot = g_ptr_array_index (track->segments, i);

    g_assert_cmpint (shot->start_ms, ==, at);
    if (i + 1 == track->segments->len) {
      g_assert_cmpint (shot->duration_ms, ==, -1);
    } else {
      g_assert_cmpint (shot->duration_ms, >, 0);
      at += shot->duration_ms;
    }
  }
}

/* ---- the pictures, decoded ---- */

typedef struct
{
  GPtrArray *luma;              /* guint8[WIDTH * HEIGHT] per frame */
} Pictures;

/* @frame scaled to WIDTH x HEIGHT and turned to RGB as a player would
 * (its own matrix: the clips are BT.601, the output BT.709), then grey. */
static guint8 *
to_grey (struct SwsContext **sws, const AVFrame * frame, guint8 * rgb)
{
  guint8 *grey = g_malloc (WIDTH * HEIGHT);
  guint8 *planes[4] = { rgb };
  gint strides[4] = { WIDTH * 3 };
  gint colorspace = frame->colorspace == AVCOL_SPC_BT709 ? SWS_CS_ITU709 :
      SWS_CS_ITU601;
  const gint *table = sws_getCoefficients (colorspace);
  gint i;

  *sws = sws_getCachedContext (*sws, frame->width, frame->height,
      frame->format, WIDTH, HEIGHT, AV_PIX_FMT_RGB24, SWS_BICUBIC, NULL,
      NULL, NULL);
  g_assert_nonnull (*sws);
  sws_setColorspaceDetails (*sws, table,
      frame->color_range == AVCOL_RANGE_JPEG, table, 1, 0, 1 << 16, 1 << 16);
  sws_scale (*sws, (const guint8 * const *) frame->data, frame->linesize, 0,
      frame->height, planes, strides);
  for (i = 0; i < WIDTH * HEIGHT; i++)
    grey[i] = (rgb[3 * i] * 2 + rgb[3 * i + 1] * 5 + rgb[3 * i + 2]) / 8;
  return grey;
}

typedef struct
{
  Pictures *pictures;
  struct SwsContext *sws;
  guint8 *rgb;                  /* WIDTH * HEIGHT * 3 */
} Grey;

static void
append_grey (const AVFrame * frame, gpointer user_data)
{
  Grey *grey = user_data;

  g_ptr_array_add (grey->pictures->luma, to_grey (&grey->sws, frame,
          grey->rgb));
}

/* Every frame of @path's video, as grey WIDTH x HEIGHT. */
static void
decode_luma (const gchar * path, Pictures * pictures)
{
  Grey grey = { pictures, NULL, g_malloc (WIDTH * HEIGHT * 3) };

  pictures->luma = g_ptr_array_new_with_free_func (g_free);
  decode_stream (path, AVMEDIA_TYPE_VIDEO, append_grey, &grey);
  sws_freeContext (grey.sws);
  g_free (grey.rgb);
}

/* PSNR over every other pixel of every other row: enough to tell frames
 * apart, four times quicker. */
static gdouble
luma_psnr (const guint8 * a, const guint8 * b)
{
  gdouble sum = 0;
  gint x, y;

  for (y = 0; y < HEIGHT; y += 2)
    for (x = 0; x < WIDTH; x += 2) {
      gint d = a[y * WIDTH + x] - b[y * WIDTH + x];
      sum += d * d;
    }
  sum /= (WIDTH / 2) * (HEIGHT / 2);
  return sum == 0 ? INFINITY : 10 * log10 (255.0 * 255.0 / sum);
}

/* Which frame of the clip @picture shows: the clip's frame it matches
 * best, asserting the match is clear (testsrc2 changes every frame, so
 * only the neighbours of the best come close). */
static gint
footage_index (const Pictures * clip, const guint8 * picture)
{
  gdouble psnr[CLIP_FRAMES], runner_up = 0;
  gint i, best = 0;

  g_assert_cmpuint (clip->luma->len, ==, CLIP_FRAMES);
  for (i = 0; i < CLIP_FRAMES; i++) {
    psnr[i] = luma_psnr (clip->luma->pdata[i], picture);
    if (psnr[i] > psnr[best])
      best = i;
  }
  for (i = 0; i < CLIP_FRAMES; i++)
    if (ABS (i - best) > 1)
      runner_up = MAX (runner_up, psnr[i]);
  g_assert_cmpfloat (psnr[best], >=, MATCH_MIN_DB);
  g_assert_cmpfloat (psnr[best] - runner_up, >=, MATCH_MARGIN_DB);
  return best;
}

/* The clip's frame each output frame shows. */
static GArray *
find_footage (const Pictures * pictures)
{
  g_autofree gchar *path = data_path ("clip.mp4");
  GArray *footage = g_array_new (FALSE, FALSE, sizeof (gint));
  Pictures clip;
  guint i;

  decode_luma (path, &clip);
  for (i = 0; i < pictures->luma->len; i++) {
    gint index = footage_index (&clip, pictures->luma->pdata[i]);
    g_array_append_val (footage, index);
  }
  g_ptr_array_unref (clip.luma);
  return footage;
}

/* The index of the shot on screen at @t_us (timeline.c's rule). */
static guint
shot_at (const NemoTrack * track, gint64 t_us)
{
  guint i, at = 0;

  for (i = 0; i < track->segments->len; i++) {
    const NemoSegment *segment = g_ptr_array_index (track->segments, i);

    if (segment->start_ms * 1000 <= t_us)
      at = i;
  }
  return at;
}

/* The clip's frame @shot shows at @t_us: its in-point, its loop; past its
 * end (under a crossfade) it plays on. */
static gint
shot_footage (const NemoSegment * shot, gint64 t_us)
{
  gint64 clip_us = t_us - shot->start_ms * 1000 + shot->in_ms * 1000;

  if (shot->loop)
    clip_us %= (gint64) CLIP_FRAMES * G_USEC_PER_SEC / CLIP_FPS;
  return (gint) MIN (clip_us * CLIP_FPS / G_USEC_PER_SEC, CLIP_FRAMES - 1);
}

/* The clip's frame the draft puts on output frame @frame: the shot on
 * screen then (render.c's frame times, timeline.c's rule), its in-point,
 * its loop. */
static gint
planned_footage (const NemoDraft * draft, gint64 frame,
    const FrameRate * fps)
{
  NemoTrack *track = nemo_draft_find_track (draft, NEMO_TRACK_VIDEO);
  gint64 t_us = frame * G_USEC_PER_SEC * fps->d / fps->n, clip_us;
  const NemoSegment *shot = g_ptr_array_index (track->segments,
      shot_at (track, t_us));

  clip_us = t_us - shot->start_ms * 1000 + shot->in_ms * 1000;
  if (shot->loop)
    clip_us %= (gint64) CLIP_FRAMES * G_USEC_PER_SEC / CLIP_FPS;
  return (gint) MIN (clip_us * CLIP_FPS / G_USEC_PER_SEC, CLIP_FRAMES - 1);
}

/* Every frame shows the footage the draft planned for it; the cuts are
 * where the footage jumps. */
static GArray *
assert_footage (const NemoDraft * draft, const Pictures * pictures,
    const FrameRate * fps)
{
  g_autoptr (GArray) footage = find_footage (pictures);
  GArray *cuts = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint i;

  for (i = 0; i < footage->len; i++) {
    gint seen = g_array_index (footage, gint, i);
    gint64 frame = i;

    g_assert_cmpint (seen, ==, planned_footage (draft, i, fps));
    if (i > 0 && seen != g_array_index (footage, gint, i - 1)
        && seen != g_array_index (footage, gint, i - 1) + 1)
      g_array_append_val (cuts, frame);
  }
  return cuts;
}

static gdouble
luma_mean (const guint8 * a)
{
  gdouble sum = 0;
  gint i;

  for (i = 0; i < WIDTH * HEIGHT; i++)
    sum += a[i];
  return sum / (WIDTH * HEIGHT);
}

static void
render_and_decode (const NemoDraft * draft, const Fixture * fixture,
    const FrameRate * fps, Pictures * pictures)
{
  g_autofree gchar *output = g_build_filename (fixture->dir, "montage.mp4",
      NULL);
  NemoRenderOptions options;
  GError *error = NULL;

  nemo_render_options_init (&options);
  options.width = WIDTH;
  options.height = HEIGHT;
  options.fps_n = fps->n;
  options.fps_d = fps->d;
  g_assert_true (nemo_render_draft (draft, &options, output, &error));
  g_assert_no_error (error);
  decode_luma (output, pictures);
  g_unlink (output);
  /* the whole song, to the frame */
  g_assert_cmpint (pictures->luma->len, ==,
      (gint) ceil (SONG_S * fps->n / fps->d));
}

/* No black frame anywhere: testsrc2 is bright everywhere, the renderer's
 * empty frame is near black. */
static void
assert_no_black_frames (const Pictures * pictures)
{
  guint i;

  for (i = 0; i < pictures->luma->len; i++)
    g_assert_cmpfloat (luma_mean (pictures->luma->pdata[i]), >, 60);
}

static void
assert_same_frames (GArray * detected, GArray * planned)
{
  guint i;

  for (i = 0; i < MAX (detected->len, planned->len); i++)
    g_test_message ("cut %u: planned at frame %" G_GINT64_FORMAT
        ", seen at %" G_GINT64_FORMAT, i,
        i < planned->len ? g_array_index (planned, gint64, i) : -1,
        i < detected->len ? g_array_index (detected, gint64, i) : -1);
  g_assert_cmpuint (detected->len, ==, planned->len);
  for (i = 0; i < planned->len; i++)
    g_assert_cmpint (g_array_index (detected, gint64, i), ==,
        g_array_index (planned, gint64, i));
}

/* Two clips cut on every beat, at 29.97 fps: no cut is on a whole
 * millisecond. */
static void
test_cuts_on_beats (void)
{
  static const gchar *const clips[] = { "clip.mp4", "clip.mov", NULL };
  g_autoptr (NemoDraft) draft = NULL;
  g_autoptr (GArray) planned = NULL;
  g_autoptr (GArray) detected = NULL;
  NemoTrack *track;
  Pictures pictures;
  Fixture fixture;
  gint64 cursor[2] = { 0, 0 };
  gint previous = -1;
  guint i;

  fixture_init (&fixture);
  draft = build_draft (&fixture, clips, "sync the clips to every beat",
      &fps_ntsc);
  track = nemo_draft_find_track (draft, NEMO_TRACK_VIDEO);
  assert_no_gaps (draft);
  planned = planned_cuts (draft, &fps_ntsc);

  /* every known beat is a cut, from the first, and every cut is a known
   * beat */
  g_assert_cmpuint (planned->len, >=, 11);
  for (i = 0; i < planned->len; i++) {
    gint64 frame = g_array_index (planned, gint64, i);
    gint beat = beat_at_frame (&fixture, frame, &fps_ntsc);

    g_assert_cmpint (beat, ==, previous + 1);
    previous = beat;
  }
  g_assert_cmpint (previous, ==, (gint) fixture.beats->len - 1);

  /* the clips in turn, each shot going on where the clip's last one
   * stopped (or from its start when the 3 s clip is used up) */
  for (i = 0; i < track->segments->len; i++) {
    const NemoSegment *shot = g_ptr_array_index (track->segments, i);
    g_autofree gchar *expected = data_path (clips[i % 2]);

    g_assert_cmpstr (shot->kind, ==, "clip");
    g_assert_cmpstr (shot->source, ==, expected);
    if (shot->duration_ms < 0) {
      /* the last one, to the end: looping rather than holding */
      g_assert_cmpint (shot->in_ms, ==, cursor[i % 2] % 3000);
      g_assert_true (shot->loop);
      break;
    }
    g_assert_true (shot->in_ms == cursor[i % 2] || shot->in_ms == 0);
    if (shot->in_ms == 0 && cursor[i % 2] != 0)
      g_assert_cmpint (cursor[i % 2] + shot->duration_ms, >, 3000);
    cursor[i % 2] = shot->in_ms + shot->duration_ms;
  }

  render_and_decode (draft, &fixture, &fps_ntsc, &pictures);
  assert_no_black_frames (&pictures);
  /* each frame shows the footage planned, so each shot starts at its
   * fresh point; the picture jumps on exactly the planned frames, so on
   * the beats */
  detected = assert_footage (draft, &pictures, &fps_ntsc);
  assert_same_frames (detected, planned);

  g_ptr_array_unref (pictures.luma);
  fixture_clear (&fixture);
}

/* One clip cut to itself: each shot jumps ahead in it, so every cut shows
 * and no frame repeats across it.  At 25 fps, like the clip, no frame may
 * repeat anywhere. */
static void
test_one_clip_jumps (void)
{
  static const gchar *const clips[] = { "clip.mp4", NULL };
  g_autoptr (NemoDraft) draft = NULL;
  g_autoptr (GArray) planned = NULL;
  g_autoptr (GArray) detected = NULL;
  Pictures pictures;
  Fixture fixture;
  guint i;

  fixture_init (&fixture);
  draft = build_draft (&fixture, clips, "sync the clips to every beat",
      &fps_25);
  assert_no_gaps (draft);
  planned = planned_cuts (draft, &fps_25);
  g_assert_cmpuint (planned->len, >=, 11);
  for (i = 0; i < planned->len; i++)
    g_assert_cmpint (beat_at_frame (&fixture, g_array_index (planned, gint64,
                i), &fps_25), >=, 0);

  render_and_decode (draft, &fixture, &fps_25, &pictures);
  assert_no_black_frames (&pictures);
  detected = assert_footage (draft, &pictures, &fps_25);
  assert_same_frames (detected, planned);

  g_ptr_array_unref (pictures.luma);
  fixture_clear (&fixture);
}

typedef struct
{
  GCancellable *cancellable;
  gint64 cancelled_us;
} Canceller;

static gpointer
cancel_soon (gpointer data)
{
  Canceller *canceller = data;

  g_usleep (300000);
  canceller->cancelled_us = g_get_monotonic_time ();
  g_cancellable_cancel (canceller->cancellable);
  return NULL;
}

/* A montage of a half-hour song, cancelled while its beats are analysed
 * (some 2 s of processor time): nemo_job_build_draft() fails with
 * NEMO_ERROR_CANCELLED within a fraction of a second of the cancel. */
static void
test_cancel_long_song (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("nemo-montage-XXXXXX", NULL);
  g_autofree gchar *song = g_build_filename (dir, "long.wav", NULL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Canceller canceller = {.cancellable = cancellable };
  NemoJobConfig config;
  NemoDraft *draft;
  GError *error = NULL;
  const gchar *clips[] = { "clip.mp4", "clip.mov" };
  GThread *thread;
  gint64 returned_us;
  guint i;

  drums_write_clicks (song, 1800, &error);
  g_assert_no_error (error);
  nemo_job_config_init (&config);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_AUDIO, song, FALSE);
  for (i = 0; i < G_N_ELEMENTS (clips); i++) {
    g_autofree gchar *clip = data_path (clips[i]);

    nemo_job_config_add_input (&config, NEMO_JOB_INPUT_VISUAL, clip, FALSE);
  }
  config.prompt = g_strdup ("sync the clips to the beat");
  config.work_dir = g_strdup (dir);

  thread = g_thread_new ("canceller", cancel_soon, &canceller);
  draft = nemo_job_build_draft (&config, NULL, cancellable, &error);
  returned_us = g_get_monotonic_time ();
  g_thread_join (thread);

  g_test_message ("returned %" G_GINT64_FORMAT " ms after the cancel",
      (returned_us - canceller.cancelled_us) / 1000);
  g_assert_null (draft);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_CANCELLED);
  /* stopped in the beat analysis, not before it */
  g_assert_nonnull (strstr (error->message, "beat tracking"));
  /* the bound leaves room for a sanitizer build on a loaded machine */
  g_assert_cmpint (returned_us - canceller.cancelled_us, <,
      2 * G_USEC_PER_SEC);
  g_clear_error (&error);
  nemo_job_config_clear (&config);
  g_unlink (song);
  g_rmdir (dir);
}

typedef struct
{
  const gchar *prompt;
  gdouble bpm;                  /* of the drums; 0: BPM */
  gdouble spacing_s;            /* between cuts; 0: at least ENERGY_MIN */
  guint beat_modulo;            /* cuts fall on beats k with k % this == 0 */
} CutRate;

static void
check_cut_rate (gconstpointer data)
{
  const CutRate *rate = data;
  static const gchar *const clips[] = { "clip.mp4", "clip.mov", NULL };
  g_autoptr (NemoDraft) draft = NULL;
  g_autoptr (GArray) planned = NULL;
  DrumTrack track = { .bpm = rate->bpm > 0 ? rate->bpm : BPM,
    .duration_s = SONG_S, .swing = 0.5, .intro_s = 1.5 };
  Fixture fixture;
  guint i;

  fixture_init_track (&fixture, &track);
  draft = build_draft (&fixture, clips, rate->prompt, &fps_30);
  assert_no_gaps (draft);
  planned = planned_cuts (draft, &fps_30);
  g_assert_cmpuint (planned->len, >=, 2);
  for (i = 0; i < planned->len; i++) {
    gint64 frame = g_array_index (planned, gint64, i);
    gint beat = beat_at_frame (&fixture, frame, &fps_30);

    g_test_message ("cut at frame %" G_GINT64_FORMAT ": beat %d", frame, beat);
    g_assert_cmpint (beat, >=, 0);
    g_assert_cmpint (beat % rate->beat_modulo, ==, 0);
    if (i == 0)
      continue;
    frame -= g_array_index (planned, gint64, i - 1);
    if (rate->spacing_s > 0)
      g_assert_cmpfloat (fabs (frame - rate->spacing_s * 30), <=, 1);
    else
      g_assert_cmpint (frame, >=, 30 - 1);
  }
  fixture_clear (&fixture);
}

/* "with crossfades": each shot dissolves in over 300 ms from its cut,
 * the shot before playing on under it.  Every frame of a dissolve is the
 * blend of the two clips' planned frames, (j + 1) / (n + 1) of the new one
 * on its frame j of n, and mid-way closer to the blend than to either;
 * every other frame is one frame of the clip, the planned one. */
static void
test_crossfade (void)
{
  static const gchar *const clips[] = { "clip.mp4", "clip.mov", NULL };
  g_autoptr (NemoDraft) draft = NULL;
  g_autofree gchar *path = data_path ("clip.mp4");
  g_autofree guint8 *expected = g_malloc (WIDTH * HEIGHT);
  const gint64 frame_us = G_USEC_PER_SEC / 30, fade_us = 300000;
  NemoTrack *track;
  Pictures pictures, clip;
  Fixture fixture;
  guint i, n_blended = 0, n_resumed = 0;

  fixture_init (&fixture);
  draft = build_draft (&fixture, clips, "sync the clips to the beat, every "
      "bar, with crossfades", &fps_30);
  g_assert_cmpint (nemo_draft_get_meta_int (draft, "crossfade_ms", 0), ==,
      300);
  track = nemo_draft_find_track (draft, NEMO_TRACK_VIDEO);
  g_autoptr (GArray) cuts = planned_cuts (draft, &fps_30);

  g_assert_cmpuint (cuts->len, ==, 4);
  /* what a shot shows under the next is not shown again: the clip's next
   * shot starts 300 ms later */
  for (i = 2; i < track->segments->len; i++) {
    const NemoSegment *before = g_ptr_array_index (track->segments, i - 2);
    const NemoSegment *shot = g_ptr_array_index (track->segments, i);

    if (shot->in_ms != 0) {
      g_assert_cmpint (shot->in_ms, ==, before->in_ms + before->duration_ms
          + 300);
      n_resumed++;
    }
  }
  g_assert_cmpuint (n_resumed, >, 0);
  render_and_decode (draft, &fixture, &fps_30, &pictures);
  decode_luma (path, &clip);

  for (i = 0; i < pictures.luma->len; i++) {
    gint64 t_us = i * G_USEC_PER_SEC / 30;
    guint at = shot_at (track, t_us);
    const NemoSegment *shot = g_ptr_array_index (track->segments, at);
    gint64 since = t_us - shot->start_ms * 1000;
    const guint8 *seen = pictures.luma->pdata[i];

    if (at > 0 && since < fade_us) {
      const NemoSegment *before = g_ptr_array_index (track->segments, at - 1);
      const guint8 *from = clip.luma->pdata[shot_footage (before, t_us)];
      const guint8 *to = clip.luma->pdata[shot_footage (shot, t_us)];
      gint weight = (gint) ((since + frame_us) * 256 / (fade_us + frame_us));
      gint p;

      for (p = 0; p < WIDTH * HEIGHT; p++)
        expected[p] = (from[p] * (256 - weight) + to[p] * weight + 128) >> 8;
      g_test_message ("frame %u: %d/256 of the new shot, %.1f dB to the "
          "blend, %.1f dB to the old shot, %.1f dB to the new", i, weight,
          luma_psnr (expected, seen), luma_psnr (from, seen),
          luma_psnr (to, seen));
      g_assert_cmpfloat (luma_psnr (expected, seen), >=, MATCH_MIN_DB);
      /* mid-way it is neither (testsrc2's bars do not move: its frames
       * are alike, so the margin is a few dB) */
      if (weight > 64 && weight < 192) {
        g_assert_cmpfloat (luma_psnr (expected, seen), >,
            luma_psnr (from, seen) + 3);
        g_assert_cmpfloat (luma_psnr (expected, seen), >,
            luma_psnr (to, seen) + 3);
      }
      n_blended++;
    } else {
      g_assert_cmpint (footage_index (&clip, seen), ==,
          planned_footage (draft, i, &fps_30));
    }
  }
  /* four cuts of nine frames each */
  g_assert_cmpuint (n_blended, ==, 9 * (track->segments->len - 1));
  g_ptr_array_unref (clip.luma);
  g_ptr_array_unref (pictures.luma);
  fixture_clear (&fixture);
}

/* The shots of @draft, in frames, the last up to @n_frames. */
static GArray *
shot_lengths (const NemoDraft * draft, const FrameRate * fps, gint64 n_frames)
{
  g_autoptr (GArray) cuts = planned_cuts (draft, fps);
  GArray *lengths = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 at = 0, length;
  guint i;

  for (i = 0; i <= cuts->len; i++) {
    gint64 next = i < cuts->len ? g_array_index (cuts, gint64, i) : n_frames;

    length = next - at;
    g_array_append_val (lengths, length);
    at = next;
  }
  return lengths;
}

/* Every beat of a song that ends one frame after a beat: that beat is no
 * cut, and no shot, the first and the last included, is under 0.4 s. */
static void
test_min_shot (void)
{
  static const gchar *const clips[] = { "clip.mp4", "clip.mov", NULL };
  /* beats from 0 every 0.5 s; 7.5 s is a beat, the video ends a frame
   * later */
  DrumTrack track = { .bpm = BPM, .duration_s = 7.5 + 1.0 / 30,
    .swing = 0.5 };
  g_autoptr (NemoDraft) draft = NULL;
  g_autoptr (GArray) lengths = NULL;
  g_autoptr (GArray) planned = NULL;
  gint64 n_frames;
  Fixture fixture;
  guint i;

  fixture_init_track (&fixture, &track);
  draft = build_draft (&fixture, clips, "sync the clips to every beat",
      &fps_30);
  assert_no_gaps (draft);
  n_frames = (gint64) ceil (track.duration_s * 30);
  lengths = shot_lengths (draft, &fps_30, n_frames);
  for (i = 0; i < lengths->len; i++) {
    g_test_message ("shot %u: %" G_GINT64_FORMAT " frames", i,
        g_array_index (lengths, gint64, i));
    g_assert_cmpint (g_array_index (lengths, gint64, i), >=, 12);
  }
  /* the beats from 0.5 s to 7 s are all cuts, and none other */
  planned = planned_cuts (draft, &fps_30);
  g_assert_cmpuint (planned->len, ==, 14);
  for (i = 0; i < planned->len; i++)
    g_assert_cmpint (g_array_index (planned, gint64, i), ==, 15 * (i + 1));
  fixture_clear (&fixture);
}

/* Drums from the first sample: the cuts of the first seconds are on the
 * beats like the others (the song is analysed whole before any cut is
 * placed, no tracker warms up). */
static void
test_first_seconds (void)
{
  static const gchar *const clips[] = { "clip.mp4", "clip.mov", NULL };
  DrumTrack track = { .bpm = 128, .duration_s = SONG_S, .swing = 0.5 };
  g_autoptr (NemoDraft) draft = NULL;
  g_autoptr (GArray) planned = NULL;
  Fixture fixture;
  guint i, on_time = 0;

  fixture_init_track (&fixture, &track);
  draft = build_draft (&fixture, clips, "sync the clips to every beat",
      &fps_30);
  planned = planned_cuts (draft, &fps_30);
  /* every beat but the one at 0 and the one 31 ms before the end (no shot
   * under 0.4 s) */
  g_assert_cmpfloat (g_array_index (fixture.beats, gdouble,
          fixture.beats->len - 1), >, SONG_S - 0.4);
  g_assert_cmpuint (planned->len, ==, fixture.beats->len - 2);
  for (i = 0; i < planned->len; i++) {
    gint64 frame = g_array_index (planned, gint64, i);
    gdouble beat_s = g_array_index (fixture.beats, gdouble, i + 1);
    gdouble error_ms = (frame / 30.0 - beat_s) * 1000;

    g_test_message ("beat %.3f s: cut at frame %" G_GINT64_FORMAT
        " (%+.1f ms)", beat_s, frame, error_ms);
    /* within a frame of the beat, the first seconds as the rest */
    g_assert_cmpfloat (fabs (error_ms), <=, 1000.0 / 30);
    on_time += fabs (error_ms) <= 1000.0 / 60 + 1;
  }
  /* most on the frame nearest the beat */
  g_assert_cmpuint (on_time, >=, planned->len * 9 / 10);
  fixture_clear (&fixture);
}

int
main (int argc, char **argv)
{
  static const CutRate beat = { "sync the clips to every beat", 0, 0.5, 1 };
  /* "to the beat" follows the tempo: at 120 BPM every 2 beats (1 s), at
   * 140 every 4 (1.7 s), on the downbeats, at 90 every 2 (1.3 s) */
  static const CutRate tempo_120 = { "sync the clips to the beat", 0, 1.0,
    2
  };
  static const CutRate tempo_140 = { "sync the clips to the beat", 140,
    4 * 60.0 / 140, 4
  };
  static const CutRate tempo_90 = { "sync the clips to the beat", 90,
    2 * 60.0 / 90, 2
  };
  static const CutRate two_beats =
      { "sync the clips to the beat, every 2 beats", 0, 1.0, 2 };
  static const CutRate bar = { "sync to the beat, every bar", 0, 2.0, 4 };
  /* on this track the downbeats are the strongest, then the beats with a
   * snare (2 and 4), then beat 3: which of 3 or 4 fills the last second
   * depends on where the song ends, so any beat may be a cut */
  static const CutRate energy = { "beat sync by energy", 0, 0, 1 };

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/montage/cuts-on-beats", test_cuts_on_beats);
  g_test_add_func ("/montage/one-clip-jumps", test_one_clip_jumps);
  g_test_add_func ("/montage/cancel-long-song", test_cancel_long_song);
  g_test_add_func ("/montage/min-shot", test_min_shot);
  g_test_add_func ("/montage/first-seconds", test_first_seconds);
  g_test_add_func ("/montage/crossfade", test_crossfade);
  g_test_add_data_func ("/montage/rate/beat", &beat, check_cut_rate);
  g_test_add_data_func ("/montage/rate/tempo-120", &tempo_120,
      check_cut_rate);
  g_test_add_data_func ("/montage/rate/tempo-140", &tempo_140,
      check_cut_rate);
  g_test_add_data_func ("/montage/rate/tempo-90", &tempo_90, check_cut_rate);
  g_test_add_data_func ("/montage/rate/2beats", &two_beats, check_cut_rate);
  g_test_add_data_func ("/montage/rate/bar", &bar, check_cut_rate);
  g_test_add_data_func ("/montage/rate/energy", &energy, check_cut_rate);
  return g_test_run ();
}
