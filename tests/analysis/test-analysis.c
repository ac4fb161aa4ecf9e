/* Tests of the audio analysis: beats of generated drum tracks with known
 * beat times, and the per-frame spectrum of generated signals.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/analysis.h>
#include <nemo/error.h>
#include <nemo/media.h>

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "drums.h"
#include "test-util.h"

#define RATE NEMO_AUDIO_RATE
#define FRAME_US 33333

/* ---- beats ---- */

typedef struct
{
  gchar *dir;
} Fixture;

static void
fixture_set_up (Fixture * f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("test-analysis-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
}

static void
fixture_tear_down (Fixture * f, gconstpointer data)
{
  g_autoptr (GDir) dir = g_dir_open (f->dir, 0, NULL);
  const gchar *name;

  while ((name = g_dir_read_name (dir))) {
    g_autofree gchar *path = g_build_filename (f->dir, name, NULL);
    g_unlink (path);
  }
  g_rmdir (f->dir);
  g_free (f->dir);
}

/* The index of the true beat nearest to @t_us, and how far it is. */
static guint
nearest_truth (GArray * truth, gint64 t_us, gint64 * error_us)
{
  guint i, best = 0;

  for (i = 0; i < truth->len; i++) {
    gint64 d = t_us - (gint64) llround (g_array_index (truth, gdouble, i) *
        1e6);
    if (i == 0 || ABS (d) < ABS (*error_us)) {
      *error_us = d;
      best = i;
    }
  }
  return best;
}

static gint64
nearest_beat_error (const NemoBeats * beats, gdouble t)
{
  gint64 best = G_MAXINT64;
  guint i;

  for (i = 0; i < beats->n_beats; i++) {
    gint64 d = beats->beats[i].time_us - (gint64) llround (t * 1e6);
    if (ABS (d) < ABS (best))
      best = d;
  }
  return best;
}

/* @track comes out at the played tempo: from its first second on, every
 * true beat has a beat within 70 ms (nine in ten within a frame), there
 * is no beat that is not one, and the loud kicks are the downbeats. */
static void
check_drum_track (Fixture * f, const DrumTrack * track)
{
  g_autofree gchar *path = g_build_filename (f->dir, "drums.wav", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) truth = NULL;
  g_autoptr (NemoBeats) beats = NULL;
  guint i, on_time = 0, downbeats_right = 0, downbeats = 0;

  truth = drums_write (track, path, &error);
  g_assert_no_error (error);
  beats = nemo_analysis_beats (path, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (beats);

  g_test_message ("%.0f BPM (drift %.0f %%): tempo %.2f, %u beats found of "
      "%u", track->bpm, 100 * track->drift, beats->bpm, beats->n_beats,
      truth->len);
  g_assert_cmpfloat (fabs (beats->bpm - track->bpm), <=,
      0.01 * track->bpm + 0.5);
  g_assert_cmpint (beats->duration_us, ==,
      (gint64) (track->duration_s * G_USEC_PER_SEC));
  for (i = 1; i < beats->n_beats; i++)
    g_assert_cmpint (beats->beats[i].time_us, >, beats->beats[i - 1].time_us);

  for (i = 0; i < truth->len; i++) {
    gint64 err = nearest_beat_error (beats, g_array_index (truth, gdouble, i));

    g_assert_cmpint (ABS (err), <=, 70000);
    if (ABS (err) <= FRAME_US)
      on_time++;
  }
  g_assert_cmpuint (on_time * 10, >=, truth->len * 9);

  /* every beat is a true one; the loud kick starts each bar */
  for (i = 0; i < beats->n_beats; i++) {
    gint64 err = 0;
    guint k = nearest_truth (truth, beats->beats[i].time_us, &err);

    g_assert_cmpint (ABS (err), <=, 70000);
    g_assert_cmpfloat (beats->beats[i].energy, >=, 0);
    g_assert_cmpfloat (beats->beats[i].energy, <=, 1);
    if (!beats->beats[i].downbeat)
      continue;
    downbeats++;
    if (k % 4 == 0)
      downbeats_right++;
  }
  g_assert_cmpuint (downbeats, >, 0);
  g_assert_cmpuint (downbeats_right * 10, >=, downbeats * 9);
}

static void
test_beats_120 (Fixture * f, gconstpointer data)
{
  DrumTrack track = {.bpm = 120, .duration_s = 20, .swing = 0.5 };

  check_drum_track (f, &track);
}

static void
test_beats_90 (Fixture * f, gconstpointer data)
{
  DrumTrack track = {.bpm = 90, .duration_s = 20, .swing = 0.5 };

  check_drum_track (f, &track);
}

/* Drum & bass tempo, which aubio found at half (87). */
static void
test_beats_174 (Fixture * f, gconstpointer data)
{
  DrumTrack track = {.bpm = 174, .duration_s = 20, .swing = 0.5 };

  check_drum_track (f, &track);
}

/* Slow: the hats between the beats are not beats (not 140). */
static void
test_beats_70 (Fixture * f, gconstpointer data)
{
  DrumTrack track = {.bpm = 70, .duration_s = 20, .swing = 0.5 };

  check_drum_track (f, &track);
}

/* A kick on every beat and a hat between (examples/beat-montage.sh's
 * loop): the hats play at the tempo, not faster, and it is 124, not 62. */
static void
test_beats_offbeat_hats (Fixture * f, gconstpointer data)
{
  DrumTrack track = {.bpm = 124, .duration_s = 20, .swing = 0.5,
    .offbeat_hats = TRUE, .no_snare = TRUE
  };

  check_drum_track (f, &track);
}

/* A tempo that swings by ±3 % over the track, as a drummer's does. */
static void
test_beats_drift (Fixture * f, gconstpointer data)
{
  DrumTrack track = {.bpm = 128, .duration_s = 20, .swing = 0.5,
    .drift = 0.03
  };

  check_drum_track (f, &track);
}

static gchar *
write_silence (Fixture * f, gdouble seconds)
{
  gsize n = seconds * RATE;
  g_autofree gfloat *zeros = g_new0 (gfloat, 2 * n);
  gchar *path = g_build_filename (f->dir, "silence.wav", NULL);
  g_autoptr (GError) error = NULL;

  drums_write_wav (path, zeros, n, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_beats_silence (Fixture * f, gconstpointer data)
{
  g_autofree gchar *path = write_silence (f, 10);
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoBeats) beats = NULL;

  beats = nemo_analysis_beats (path, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (beats);
  g_assert_cmpuint (beats->n_beats, ==, 0);
  g_assert_null (beats->beats);
  g_assert_cmpfloat (beats->bpm, ==, 0);
  g_assert_cmpint (beats->duration_us, ==, 10 * G_USEC_PER_SEC);
}

static void
test_beats_max_duration (Fixture * f, gconstpointer data)
{
  DrumTrack track = {.bpm = 120, .duration_s = 12, .swing = 0.5 };
  g_autofree gchar *path = g_build_filename (f->dir, "drums.wav", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) truth = NULL;
  g_autoptr (NemoBeats) beats = NULL;

  truth = drums_write (&track, path, &error);
  g_assert_no_error (error);
  beats = nemo_analysis_beats (path, 6 * G_USEC_PER_SEC, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (beats->duration_us, ==, 6 * G_USEC_PER_SEC);
  g_assert_cmpuint (beats->n_beats, >, 0);
  g_assert_cmpint (beats->beats[beats->n_beats - 1].time_us, <,
      6 * G_USEC_PER_SEC);
}

/* A 3 s video still gets its beats, all of them, on time. */
static void
test_beats_short (Fixture * f, gconstpointer data)
{
  DrumTrack track = {.bpm = 120, .duration_s = 3, .swing = 0.5 };
  g_autofree gchar *path = g_build_filename (f->dir, "drums.wav", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) truth = NULL;
  g_autoptr (NemoBeats) beats = NULL;
  guint i;

  truth = drums_write (&track, path, &error);
  g_assert_no_error (error);
  beats = nemo_analysis_beats (path, 0, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("tempo %.2f, %u beats of %u", beats->bpm, beats->n_beats,
      truth->len);
  g_assert_cmpfloat (fabs (beats->bpm - 120), <=, 1.5);
  g_assert_cmpuint (beats->n_beats, ==, truth->len);
  for (i = 0; i < truth->len; i++)
    g_assert_cmpint (ABS (nearest_beat_error (beats,
                g_array_index (truth, gdouble, i))), <=, FRAME_US);
}

static void
test_beats_errors (Fixture * f, gconstpointer data)
{
  g_autofree gchar *missing = g_build_filename (f->dir, "nope.mp3", NULL);
  g_autofree gchar *path = write_silence (f, 1);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  NemoBeats *beats;

  beats = nemo_analysis_beats (missing, 0, NULL, &error);
  g_assert_null (beats);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);

  g_cancellable_cancel (cancellable);
  beats = nemo_analysis_beats (path, 0, cancellable, &error);
  g_assert_null (beats);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_CANCELLED);
}

typedef struct
{
  const gchar *path;
  GCancellable *cancellable;
  GError *error;
  gboolean finished;            /* gave beats */
  gint64 returned_us;
} CancelRun;

static gpointer
analyse_until_cancelled (gpointer data)
{
  CancelRun *run = data;
  NemoBeats *beats = nemo_analysis_beats (run->path, 0, run->cancellable,
      &run->error);

  run->returned_us = g_get_monotonic_time ();
  run->finished = beats != NULL;
  nemo_beats_free (beats);
  return NULL;
}

/* Cancelling while a half-hour song is analysed (2 s of processor time
 * on the build machine, 8 s while it is busy) stops the analysis at once:
 * the call fails with NEMO_ERROR_CANCELLED, not with beats, well
 * before the analysis could have finished (the bound leaves room for a
 * sanitizer build on a loaded machine). */
static void
test_beats_cancel_long_song (Fixture * f, gconstpointer data)
{
  g_autofree gchar *path = g_build_filename (f->dir, "long.wav", NULL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  CancelRun run = {.path = path, .cancellable = cancellable };
  g_autoptr (GError) error = NULL;
  GThread *thread;
  gint64 cancelled_us;

  drums_write_clicks (path, 1800, &error);
  g_assert_no_error (error);
  thread = g_thread_new ("beats", analyse_until_cancelled, &run);
  g_usleep (300000);
  cancelled_us = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  g_thread_join (thread);

  g_test_message ("returned %" G_GINT64_FORMAT " ms after the cancel",
      (run.returned_us - cancelled_us) / 1000);
  g_assert_false (run.finished);
  g_assert_error (run.error, NEMO_ERROR, NEMO_ERROR_CANCELLED);
  g_assert_nonnull (strstr (run.error->message, path));
  g_assert_cmpint (run.returned_us - cancelled_us, <, 2 * G_USEC_PER_SEC);
  g_clear_error (&run.error);
}

/* ---- spectrum ---- */

#define N_BANDS 32

/* The band holding @hz, as the header lays them out. */
static guint
band_of (gdouble hz)
{
  return (guint) floor (N_BANDS * log (hz / 40.0) / log (16000.0 / 40.0));
}

/* Stereo from a mono generator, @seconds long. */
typedef gfloat (*SampleFunc) (gsize i, GRand * rand);

static gfloat *
make_stereo (SampleFunc func, gdouble seconds, gsize * n_frames)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  gsize n = seconds * RATE, i;
  gfloat *stereo = g_new (gfloat, 2 * n);

  for (i = 0; i < n; i++)
    stereo[2 * i] = stereo[2 * i + 1] = func (i, rand);
  *n_frames = n;
  return stereo;
}

static NemoSpectrum *
analyse (SampleFunc func, gdouble seconds)
{
  gsize n;
  g_autofree gfloat *stereo = make_stereo (func, seconds, &n);
  NemoSpectrum *spectrum = nemo_spectrum_new (30, 1, N_BANDS);

  nemo_spectrum_push (spectrum, stereo, n);
  nemo_spectrum_finish (spectrum);
  return spectrum;
}

static gfloat
tone_1k (gsize i, GRand * rand)
{
  return 0.5f * sin (2 * G_PI * 1000.0 * i / RATE);
}

static gfloat
white_noise (gsize i, GRand * rand)
{
  return g_rand_double_range (rand, -0.5, 0.5);
}

static gfloat
silence (gsize i, GRand * rand)
{
  return 0;
}

static gfloat
tone_from_2s (gsize i, GRand * rand)
{
  return i < 2 * RATE ? 0 : 0.5f * sin (2 * G_PI * 440.0 * i / RATE);
}

static gfloat
click_at_3s (gsize i, GRand * rand)
{
  return i == 3 * RATE ? 1.0f : 0.0f;
}

static gboolean
frame_is_still (const NemoSpectrumFrame * frame)
{
  guint i;

  for (i = 0; i < frame->n_bands; i++)
    if (frame->bands[i] != 0)
      return FALSE;
  for (i = 0; i < NEMO_SPECTRUM_WAVE_POINTS; i++)
    if (frame->wave_min[i] != 0 || frame->wave_max[i] != 0)
      return FALSE;
  return frame->rms == 0;
}

static void
test_spectrum_tone (void)
{
  g_autoptr (NemoSpectrum) spectrum = analyse (tone_1k, 3);
  const NemoSpectrumFrame *frame = nemo_spectrum_get (spectrum, 45);
  guint peak = band_of (1000), i;
  gfloat lo = 1, hi = -1;

  /* every frame whose window reaches into the 3 s: up to 3.0427 s */
  g_assert_cmpint (nemo_spectrum_get_n_frames (spectrum), ==, 92);
  g_assert_cmpuint (frame->n_bands, ==, N_BANDS);
  /* -6 dBFS: 0.9 on a -60..0 dB scale */
  g_assert_cmpfloat_with_epsilon (frame->bands[peak], 0.9, 0.02);
  for (i = 0; i < N_BANDS; i++) {
    if (i != peak)
      g_assert_cmpfloat (frame->bands[i], <, frame->bands[peak]);
    if (i == peak - 1 || i == peak + 1)
      g_assert_cmpfloat (frame->bands[i], <, 0.5 * frame->bands[peak]);
  }
  g_assert_cmpfloat_with_epsilon (frame->rms, 0.5 / G_SQRT2, 0.01);
  for (i = 0; i < NEMO_SPECTRUM_WAVE_POINTS; i++) {
    lo = MIN (lo, frame->wave_min[i]);
    hi = MAX (hi, frame->wave_max[i]);
  }
  g_assert_cmpfloat_with_epsilon (lo, -0.5, 0.02);
  g_assert_cmpfloat_with_epsilon (hi, 0.5, 0.02);
}

static void
test_spectrum_noise (void)
{
  g_autoptr (NemoSpectrum) spectrum = analyse (white_noise, 3);
  const NemoSpectrumFrame *frame = nemo_spectrum_get (spectrum, 45);
  guint i;

  for (i = 0; i < N_BANDS; i++) {
    g_assert_cmpfloat (frame->bands[i], >, 0.15);
    g_assert_cmpfloat (frame->bands[i], <, 0.9);
  }
}

static void
test_spectrum_silence (void)
{
  g_autoptr (NemoSpectrum) spectrum = analyse (silence, 3);
  gint64 i;

  g_assert_cmpint (nemo_spectrum_get_n_frames (spectrum), ==, 92);
  for (i = 0; i < 92; i++)
    g_assert_true (frame_is_still (nemo_spectrum_get (spectrum, i)));
}

static void
test_spectrum_start (void)
{
  g_autoptr (NemoSpectrum) spectrum = analyse (tone_from_2s, 4);
  /* windows of 4096 samples reach 42.7 ms before their frame */
  gint64 last_still = (gint64) floor ((2.0 - 2048.0 / RATE) * 30);
  gint64 i;

  for (i = 0; i <= last_still; i++)
    g_assert_true (frame_is_still (nemo_spectrum_get (spectrum, i)));
  for (i = 60; i < 120; i++) {
    const NemoSpectrumFrame *frame = nemo_spectrum_get (spectrum, i);
    gfloat hi = 0;
    guint p;

    g_assert_cmpfloat (frame->bands[band_of (440)], >, 0.8);
    for (p = 0; p < NEMO_SPECTRUM_WAVE_POINTS; p++)
      hi = MAX (hi, frame->wave_max[p]);
    g_assert_cmpfloat (hi, >, 0.45);
  }
  /* past the end: silence */
  g_assert_true (frame_is_still (nemo_spectrum_get (spectrum, 125)));
  g_assert_true (frame_is_still (nemo_spectrum_get (spectrum, 100000)));
}

static void
test_spectrum_click (void)
{
  g_autoptr (NemoSpectrum) spectrum = analyse (click_at_3s, 5);
  gint64 i, loudest = -1, fullest = -1;
  gfloat rms = 0, sum = 0;

  for (i = 0; i < nemo_spectrum_get_n_frames (spectrum); i++) {
    const NemoSpectrumFrame *frame = nemo_spectrum_get (spectrum, i);
    gfloat s = 0;
    guint b;

    for (b = 0; b < frame->n_bands; b++)
      s += frame->bands[b];
    if (frame->rms > rms) {
      rms = frame->rms;
      loudest = i;
    }
    if (s > sum) {
      sum = s;
      fullest = i;
    }
  }
  g_assert_cmpint (loudest, ==, 90);
  g_assert_cmpint (fullest, ==, 90);
}

/* Pushing in pieces gives what one push gives. */
static void
test_spectrum_chunks (void)
{
  gsize n, done = 0, step = 1;
  g_autofree gfloat *stereo = make_stereo (white_noise, 2, &n);
  g_autoptr (NemoSpectrum) whole = nemo_spectrum_new (25, 1, 16);
  g_autoptr (NemoSpectrum) pieces = nemo_spectrum_new (25, 1, 16);
  gint64 i;

  nemo_spectrum_push (whole, stereo, n);
  while (done < n) {
    gsize len = MIN (step, n - done);

    nemo_spectrum_push (pieces, stereo + 2 * done, len);
    done += len;
    step = step * 3 % 9973 + 1;
  }
  nemo_spectrum_finish (whole);
  nemo_spectrum_finish (pieces);
  g_assert_cmpint (nemo_spectrum_get_n_frames (whole), ==, 52);
  g_assert_cmpint (nemo_spectrum_get_n_frames (pieces), ==, 52);
  for (i = 0; i < 52; i++) {
    NemoSpectrumFrame a = *nemo_spectrum_get (whole, i);
    g_autofree gfloat *bands = g_memdup2 (a.bands, 16 * sizeof (gfloat));
    const NemoSpectrumFrame *b = nemo_spectrum_get (pieces, i);

    g_assert_cmpmem (bands, 16 * sizeof (gfloat), b->bands,
        16 * sizeof (gfloat));
    g_assert_cmpfloat (a.rms, ==, b->rms);
  }
}

/* A click each second over a 1 kHz tone: the same every 30 frames. */
static gfloat
clicks_over_tone (gsize i, GRand * rand)
{
  return (i % RATE == 0 ? 0.5f : 0.0f) + tone_1k (i, rand) / 2;
}

static gboolean
frames_same (const NemoSpectrumFrame * a, const NemoSpectrumFrame * b)
{
  return a->rms == b->rms
      && memcmp (a->bands, b->bands, a->n_bands * sizeof (gfloat)) == 0
      && memcmp (a->wave_min, b->wave_min,
      NEMO_SPECTRUM_WAVE_POINTS * sizeof (gfloat)) == 0
      && memcmp (a->wave_max, b->wave_max,
      NEMO_SPECTRUM_WAVE_POINTS * sizeof (gfloat)) == 0;
}

/* Twenty minutes (36,000 frames; 11 MB of records held in memory) take
 * no more memory than one, and every frame reads back as it was. */
static void
test_spectrum_long (void)
{
  gsize n, second;
  g_autofree gfloat *stereo = make_stereo (clicks_over_tone, 1, &n);
  g_autoptr (NemoSpectrum) spectrum = nemo_spectrum_new (30, 1, N_BANDS);
  guint64 after_a_minute = 0;
  NemoSpectrumFrame first;
  g_autofree gfloat *bands = NULL, *wave_min = NULL, *wave_max = NULL;
  gint64 i;

  for (second = 0; second < 20 * 60; second++) {
    nemo_spectrum_push (spectrum, stereo, n);
    if (second == 60)
      after_a_minute = peak_rss_kib ();
  }
  nemo_spectrum_finish (spectrum);
  g_assert_cmpuint (peak_rss_kib () - after_a_minute, <, 2048);

  g_assert_cmpint (nemo_spectrum_get_n_frames (spectrum), >=, 36000);
  first = *nemo_spectrum_get (spectrum, 30);
  g_assert_cmpfloat (first.rms, >, 0);
  bands = g_memdup2 (first.bands, N_BANDS * sizeof (gfloat));
  wave_min = g_memdup2 (first.wave_min, NEMO_SPECTRUM_WAVE_POINTS *
      sizeof (gfloat));
  wave_max = g_memdup2 (first.wave_max, NEMO_SPECTRUM_WAVE_POINTS *
      sizeof (gfloat));
  first.bands = bands;
  first.wave_min = wave_min;
  first.wave_max = wave_max;
  for (i = 60; i < 36000 - 30; i += 30)
    g_assert_true (frames_same (&first, nemo_spectrum_get (spectrum, i)));
}

/* Music moves the bands from frame to frame; silence does not. */
static void
test_spectrum_moves_with_music (Fixture * f, gconstpointer data)
{
  DrumTrack track = {.bpm = 120, .intro_s = 2, .duration_s = 6,
    .swing = 0.5, .pads = TRUE
  };
  g_autofree gchar *path = g_build_filename (f->dir, "drums.wav", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) truth = NULL;
  g_autoptr (NemoAudioReader) reader = NULL;
  g_autoptr (NemoSpectrum) spectrum = nemo_spectrum_new (30, 1, N_BANDS);
  gfloat buf[2 * 1000];
  gint got;
  gint64 i;
  guint changed = 0;

  truth = drums_write (&track, path, &error);
  g_assert_no_error (error);
  reader = nemo_audio_reader_open (path, &error);
  g_assert_no_error (error);
  while ((got = nemo_audio_reader_read (reader, buf, 1000, &error)) > 0)
    nemo_spectrum_push (spectrum, buf, got);
  g_assert_no_error (error);
  nemo_spectrum_finish (spectrum);

  for (i = 0; i < 58; i++)
    g_assert_true (frame_is_still (nemo_spectrum_get (spectrum, i)));
  for (i = 61; i < 180; i++) {
    NemoSpectrumFrame a = *nemo_spectrum_get (spectrum, i - 1);
    g_autofree gfloat *prev = g_memdup2 (a.bands, N_BANDS * sizeof (gfloat));
    const NemoSpectrumFrame *b = nemo_spectrum_get (spectrum, i);

    if (memcmp (prev, b->bands, N_BANDS * sizeof (gfloat)) != 0)
      changed++;
  }
  g_assert_cmpuint (changed, ==, 119);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) g_test_add (name, Fixture, NULL, fixture_set_up, \
    func, fixture_tear_down)
  ADD ("/analysis/beats/120bpm", test_beats_120);
  ADD ("/analysis/beats/90bpm", test_beats_90);
  ADD ("/analysis/beats/174bpm", test_beats_174);
  ADD ("/analysis/beats/70bpm", test_beats_70);
  ADD ("/analysis/beats/drift", test_beats_drift);
  ADD ("/analysis/beats/offbeat-hats", test_beats_offbeat_hats);
  ADD ("/analysis/beats/silence", test_beats_silence);
  ADD ("/analysis/beats/max-duration", test_beats_max_duration);
  ADD ("/analysis/beats/short", test_beats_short);
  ADD ("/analysis/beats/errors", test_beats_errors);
  ADD ("/analysis/beats/cancel-long-song", test_beats_cancel_long_song);
  ADD ("/analysis/spectrum/moves-with-music", test_spectrum_moves_with_music);
#undef ADD
  g_test_add_func ("/analysis/spectrum/tone", test_spectrum_tone);
  g_test_add_func ("/analysis/spectrum/noise", test_spectrum_noise);
  g_test_add_func ("/analysis/spectrum/silence", test_spectrum_silence);
  g_test_add_func ("/analysis/spectrum/start", test_spectrum_start);
  g_test_add_func ("/analysis/spectrum/click", test_spectrum_click);
  g_test_add_func ("/analysis/spectrum/chunks", test_spectrum_chunks);
  g_test_add_func ("/analysis/spectrum/long", test_spectrum_long);
  return g_test_run ();
}
