/* Beat tracking accuracy on tracks whose beats are known to the sample.
 * Not a test: run it by hand (see docs/beats.md) and copy its tables there.
 *
 *   beats-accuracy [DRUMKITS [WORKDIR]]
 *
 * Two sets of tracks: drum tracks mixed from the real samples of Debian's
 * hydrogen-drumkits (DRUMKITS, by default /usr/share/hydrogen/data/drumkits)
 * with a synthetic bass and pads, and the synthetic drums of the test
 * suites (tests/common/drums.c).  Each track is tracked by
 * nemo_analysis_beats() and by aubio's tempo tracker alone, and scored
 * over the whole track, the first seconds included:
 *
 * - F: mir_eval's beat F-measure (mir_eval.beat.f_measure): detected and
 *   true beats are matched one to one within ±70 ms (a maximum matching),
 *   precision = matched / detected, recall = matched / true,
 *   F = 2 P R / (P + R).
 * - frame: the share of the detected beats (a montage's cuts) within one
 *   frame at 30 fps (1/30 s) of a true beat.
 * - BPM: the tempo the tracker reports.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "drums.h"

#include <nemo/analysis.h>
#include <nemo/media.h>

#include <aubio/aubio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>

#define RATE NEMO_AUDIO_RATE
#define F_WINDOW_S 0.070
#define FRAME_S (1.0 / 30)
#define TRACK_S 30.0
#define STEPS_PER_BEAT 4
#define STEPS_PER_BAR 16
#define DEFAULT_DRUMKITS "/usr/share/hydrogen/data/drumkits"
/* a sample starts where it first reaches 1 % of its peak */
#define SAMPLE_ONSET 0.01f

/* ---- scoring ---- */

typedef struct
{
  gdouble bpm, f;
  guint in_frame, detected;
} Score;

/* The size of a maximum one-to-one matching of @a and @b (both sorted)
 * within @window: on a line, matching greedily from the left is maximal. */
static guint
match_count (const gdouble * a, guint n_a, const gdouble * b, guint n_b,
    gdouble window)
{
  guint i = 0, j = 0, matched = 0;

  while (i < n_a && j < n_b) {
    if (fabs (a[i] - b[j]) <= window) {
      matched++;
      i++;
      j++;
    } else if (a[i] < b[j]) {
      i++;
    } else {
      j++;
    }
  }
  return matched;
}

static gboolean
near_any (const gdouble * truth, guint n, gdouble t, gdouble window)
{
  guint i;

  for (i = 0; i < n; i++)
    if (fabs (truth[i] - t) <= window)
      return TRUE;
  return FALSE;
}

static Score
score_beats (GArray * truth, GArray * detected, gdouble bpm)
{
  const gdouble *ref = (const gdouble *) truth->data;
  const gdouble *est = (const gdouble *) detected->data;
  guint matched = match_count (ref, truth->len, est, detected->len,
      F_WINDOW_S);
  Score score = {.bpm = bpm, .detected = detected->len };
  gdouble p, r;
  guint i;

  for (i = 0; i < detected->len; i++)
    if (near_any (ref, truth->len, est[i], FRAME_S))
      score.in_frame++;
  if (matched == 0)
    return score;
  p = (gdouble) matched / detected->len;
  r = (gdouble) matched / truth->len;
  score.f = 2 * p * r / (p + r);
  return score;
}

/* ---- the trackers ---- */

/* Beat times in seconds, and the tempo in @bpm. */
typedef GArray *(*TrackFunc) (const gchar * path, gdouble * bpm);

static GArray *
track_nemo (const gchar * path, gdouble * bpm)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoBeats) beats = nemo_analysis_beats (path, 0, NULL, &error);
  GArray *times = g_array_new (FALSE, FALSE, sizeof (gdouble));
  guint i;

  if (!beats)
    g_error ("%s", error->message);
  *bpm = beats->bpm;
  for (i = 0; i < beats->n_beats; i++) {
    gdouble t = beats->beats[i].time_us / 1e6;
    g_array_append_val (times, t);
  }
  return times;
}

/* aubio's tempo tracker as nemorender used it before its own analysis:
 * the "energy" onset function, the 11.6 ms hop it was tuned for.  A
 * -120 dBFS offset keeps hops of digital silence above its silence level,
 * where it would drop beats. */
#define AUBIO_HOP 557
#define AUBIO_WINDOW 1114

static GArray *
track_aubio (const gchar * path, gdouble * bpm)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoAudioReader) reader = nemo_audio_reader_open (path, &error);
  aubio_tempo_t *tempo = new_aubio_tempo ("energy", AUBIO_WINDOW, AUBIO_HOP,
      RATE);
  fvec_t *hop = new_fvec (AUBIO_HOP), *out = new_fvec (2);
  GArray *times = g_array_new (FALSE, FALSE, sizeof (gdouble));
  gfloat buf[AUBIO_HOP * NEMO_AUDIO_CHANNELS];
  gint got, i;

  if (!reader)
    g_error ("%s", error->message);
  aubio_tempo_set_silence (tempo, -130);
  while ((got = nemo_audio_reader_read (reader, buf, AUBIO_HOP, &error)) ==
      AUBIO_HOP) {
    for (i = 0; i < AUBIO_HOP; i++)
      hop->data[i] = 0.5f * (buf[2 * i] + buf[2 * i + 1]) + 1e-6f;
    aubio_tempo_do (tempo, hop, out);
    if (out->data[0] != 0) {
      gdouble t = aubio_tempo_get_last_s (tempo);
      g_array_append_val (times, t);
    }
  }
  if (got < 0)
    g_error ("%s", error->message);
  *bpm = aubio_tempo_get_bpm (tempo);
  del_fvec (hop);
  del_fvec (out);
  del_aubio_tempo (tempo);
  return times;
}

/* ---- tracks from hydrogen-drumkits' samples ---- */

typedef struct
{
  const gchar *dir, *kick, *snare, *hat;
} Kit;

static const Kit kits[] = {
  {"Millo_MultiLayered3", "bd_01.flac", "sd_01.flac", "hh_01.flac"},
  {"ColomboAcousticDrumkit", "bassdrum-4mics-br-stereo-normal3.flac",
      "snare-opaque-normal-mic-normal_shot2.flac", "hihat-closed-1.flac"},
  {"ElectricEmpireKit", "EE_Kick_Hard_1.flac", "EE_Snare_1.flac",
      "EE_Hat_Cl_Bs.flac"},
  {"HardElectro1", "PowR_BD_1.flac", "PowR_SN_1.flac", "CHH_1.flac"},
  {"VariBreaks", "VP Kick 1.flac", "VP Snare 1.flac", "VP Hat 1 Cl.flac"},
  {"Millo-Drums_v.1", "bd1.flac", "snare1.flac", "closehihat3.flac"},
};

/* A bar of sixteenths: 'x' a hit, 'o' a softer one. */
typedef struct
{
  const gchar *name, *kick, *snare, *hat;
} Pattern;

enum
{ ROCK, FLOOR, BREAK, HIPHOP };

static const Pattern patterns[] = {
  [ROCK] = {"rock", "x.......x.x.....", "....x.......x...",
      "x.x.x.x.x.x.x.x."},
  [FLOOR] = {"four on the floor", "x...x...x...x...", "....x.......x...",
      "o.x.o.x.o.x.o.x."},
  [BREAK] = {"two-step break", "x.........x.....", "....x.......x...",
      "x.x.x.x.x.x.x.x."},
  [HIPHOP] = {"hip-hop", "x......x..x.....", "....x.......x...",
      "xooxxooxxooxxoox"},
};

typedef struct
{
  gdouble bpm;
  guint kit, pattern;
  gdouble drift;                /* ±share of the tempo, one sine over the track */
} SetTrack;

static const SetTrack set[] = {
  {70, 0, HIPHOP, 0}, {76, 1, HIPHOP, 0.03}, {84, 2, ROCK, 0},
  {92, 3, HIPHOP, -0.03}, {100, 4, ROCK, 0}, {110, 5, ROCK, 0.03},
  {120, 0, FLOOR, 0}, {124, 1, FLOOR, -0.03}, {128, 2, FLOOR, 0},
  {135, 3, ROCK, 0.03}, {140, 4, FLOOR, 0}, {150, 5, ROCK, -0.03},
  {160, 0, BREAK, 0}, {170, 1, BREAK, 0.03}, {174, 2, BREAK, 0},
  {180, 3, BREAK, -0.03},
};

typedef struct
{
  gfloat *stereo;
  gsize n_frames;
} Sample;

/* @path decoded, from where it starts to sound. */
static void
load_sample (const gchar * dir, const gchar * kit, const gchar * name,
    Sample * sample)
{
  g_autofree gchar *path = g_build_filename (dir, kit, name, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoAudioReader) reader = nemo_audio_reader_open (path, &error);
  g_autoptr (GArray) pcm = g_array_new (FALSE, FALSE, sizeof (gfloat));
  gfloat buf[4096 * NEMO_AUDIO_CHANNELS], peak = 0;
  gsize start = 0, i;
  gint got;

  if (!reader)
    g_error ("%s (install hydrogen-drumkits)", error->message);
  while ((got = nemo_audio_reader_read (reader, buf, 4096, &error)) > 0)
    g_array_append_vals (pcm, buf, got * NEMO_AUDIO_CHANNELS);
  if (got < 0)
    g_error ("%s", error->message);
  for (i = 0; i < pcm->len; i++)
    peak = MAX (peak, fabsf (g_array_index (pcm, gfloat, i)));
  while (start < pcm->len &&
      fabsf (g_array_index (pcm, gfloat, start)) < SAMPLE_ONSET * peak)
    start++;
  start -= start % NEMO_AUDIO_CHANNELS;
  sample->n_frames = (pcm->len - start) / NEMO_AUDIO_CHANNELS;
  sample->stereo = g_memdup2 (&g_array_index (pcm, gfloat, start),
      sample->n_frames * NEMO_AUDIO_CHANNELS * sizeof (gfloat));
}

/* Add @sample at @gain to @mix (@n frames) from the time @t. */
static void
mix_sample (gfloat * mix, gsize n, const Sample * sample, gdouble t,
    gfloat gain)
{
  gsize at = (gsize) llround (t * RATE), i;

  for (i = 0; i < sample->n_frames && at + i < n; i++) {
    mix[2 * (at + i)] += gain * sample->stereo[2 * i];
    mix[2 * (at + i) + 1] += gain * sample->stereo[2 * i + 1];
  }
}

/* A bass note on the kick: a decaying saw-like tone. */
static void
add_bass (gfloat * mono, gsize n, gdouble t, gdouble hz)
{
  gsize at = (gsize) llround (t * RATE), i;
  gint h;

  for (i = 0; i < (gsize) (0.4 * RATE) && at + i < n; i++) {
    gdouble s = (gdouble) i / RATE;
    gdouble env = MIN (1.0, s / 0.005) * exp (-s / 0.15) * 0.25;

    for (h = 1; h <= 4; h++)
      mono[at + i] += env / h * sin (2 * G_PI * hz * h * s);
  }
}

/* The beat times of @track over TRACK_S and one beat past it, its tempo
 * drifting by a sine. */
static GArray *
set_beats (const SetTrack * track)
{
  GArray *beats = g_array_new (FALSE, FALSE, sizeof (gdouble));
  gdouble t;

  for (t = 0; beats->len == 0 ||
      g_array_index (beats, gdouble, beats->len - 1) < TRACK_S;
      t += 60.0 / (track->bpm * (1 + track->drift * sin (2 * G_PI * t /
                  TRACK_S))))
    g_array_append_val (beats, t);
  return beats;
}

static gfloat
velocity (gchar step, GRand * rand)
{
  return (step == 'o' ? 0.5f : 1.0f) * g_rand_double_range (rand, 0.8, 1.0);
}

/* One sixteenth of the pattern at the time @t. */
static void
play_step (gfloat * mix, gfloat * bass, gsize n, const Pattern * pattern,
    const Sample * kit, guint step, guint bar, gdouble t, GRand * rand)
{
  static const gdouble roots[] = { 55.0, 49.0, 43.65, 41.2 };
  guint s = step % STEPS_PER_BAR;

  if (pattern->kick[s] != '.') {
    mix_sample (mix, n, &kit[0], t, 0.8f * velocity (pattern->kick[s], rand));
    add_bass (bass, n, t, roots[bar % G_N_ELEMENTS (roots)]);
  }
  if (pattern->snare[s] != '.')
    mix_sample (mix, n, &kit[1], t, 0.6f * velocity (pattern->snare[s], rand));
  if (pattern->hat[s] != '.')
    mix_sample (mix, n, &kit[2], t, 0.3f * velocity (pattern->hat[s], rand));
}

/* Mix @track into a WAV at @path; returns its beat times.  Every beat in
 * the track is played, the last one too. */
static GArray *
write_set_track (const SetTrack * track, const Sample * kit,
    const gchar * path)
{
  gsize n = (gsize) (TRACK_S * RATE), i;
  g_autofree gfloat *mix = g_new0 (gfloat, 2 * n);
  g_autofree gfloat *bass = g_new0 (gfloat, n);
  g_autoptr (GRand) rand = g_rand_new_with_seed ((guint32) track->bpm);
  g_autoptr (GError) error = NULL;
  GArray *beats = set_beats (track);
  gfloat peak = 0;
  guint b, s;

  for (b = 0; b + 1 < beats->len; b++) {
    gdouble t = g_array_index (beats, gdouble, b);
    gdouble next = g_array_index (beats, gdouble, b + 1);

    for (s = 0; s < STEPS_PER_BEAT; s++)
      play_step (mix, bass, n, &patterns[track->pattern], kit,
          b * STEPS_PER_BEAT + s, b / 4, t + s * (next - t) / STEPS_PER_BEAT,
          rand);
  }
  /* the true beats are the ones in the track */
  g_array_set_size (beats, beats->len - 1);
  drums_add_pads (bass, n, 0, 4 * 60.0 / track->bpm);
  for (i = 0; i < n; i++) {
    mix[2 * i] += bass[i];
    mix[2 * i + 1] += bass[i];
    peak = MAX (peak, MAX (fabsf (mix[2 * i]), fabsf (mix[2 * i + 1])));
  }
  for (i = 0; i < 2 * n; i++)
    mix[i] *= 0.9f / peak;
  if (!drums_write_wav (path, mix, n, &error))
    g_error ("%s", error->message);
  return beats;
}

/* ---- the synthetic drums of the test suites ---- */

typedef struct
{
  const gchar *name;
  DrumTrack track;
} SynthTrack;

static const SynthTrack synth[] = {
  {"70 BPM", {.bpm = 70, .duration_s = 30, .swing = 0.5}},
  {"90 BPM", {.bpm = 90, .duration_s = 30, .swing = 0.5}},
  {"120 BPM", {.bpm = 120, .duration_s = 30, .swing = 0.5}},
  {"128 BPM", {.bpm = 128, .duration_s = 30, .swing = 0.5}},
  {"140 BPM", {.bpm = 140, .duration_s = 30, .swing = 0.5}},
  {"174 BPM", {.bpm = 174, .duration_s = 30, .swing = 0.5}},
  {"120 BPM swing", {.bpm = 120, .duration_s = 30, .swing = 0.67}},
  {"120 BPM ±3 % drift", {.bpm = 120, .duration_s = 30, .swing = 0.5,
          .drift = 0.03}},
  {"120→140 BPM at 10 s", {.bpm = 120, .bpm_after = 140, .change_at_s = 10,
          .duration_s = 30, .swing = 0.5}},
  {"128 BPM, 2 s silent intro", {.bpm = 128, .intro_s = 2, .duration_s = 30,
          .swing = 0.5}},
  {"120 BPM with pads", {.bpm = 120, .duration_s = 30, .swing = 0.5,
          .pads = TRUE}},
};

/* ---- the tables ---- */

typedef struct
{
  gdouble f_sum, f_min;
  guint n, in_frame, detected;
} Totals;

static void
add_score (Totals * totals, const Score * score)
{
  totals->f_sum += score->f;
  totals->f_min = totals->n ? MIN (totals->f_min, score->f) : score->f;
  totals->n++;
  totals->in_frame += score->in_frame;
  totals->detected += score->detected;
}

static void
print_header (void)
{
  printf ("| track | played BPM | nemorender BPM | F | within a frame | "
      "aubio BPM | F | within a frame |\n");
  printf ("|---|---|---|---|---|---|---|---|\n");
}

static void
print_cell (const Score * s)
{
  printf (" %.1f | %.3f | %.1f %% |", s->bpm, s->f,
      s->detected ? 100.0 * s->in_frame / s->detected : 0);
}

/* Track and score @path against @truth with both trackers. */
static void
print_row (const gchar * name, gdouble played, const gchar * path,
    GArray * truth, Totals * nemo, Totals * aubio)
{
  static const TrackFunc trackers[] = { track_nemo, track_aubio };
  Totals *totals[] = { nemo, aubio };
  guint k;

  printf ("| %s | %.0f |", name, played);
  for (k = 0; k < G_N_ELEMENTS (trackers); k++) {
    gdouble bpm;
    g_autoptr (GArray) detected = trackers[k] (path, &bpm);
    Score score = score_beats (truth, detected, bpm);

    print_cell (&score);
    add_score (totals[k], &score);
  }
  printf ("\n");
}

static void
print_totals (const Totals * nemo, const Totals * aubio)
{
  const Totals *totals[] = { nemo, aubio };
  guint k;

  printf ("| **mean F / lowest F / all cuts within a frame** | |");
  for (k = 0; k < G_N_ELEMENTS (totals); k++)
    printf (" | **%.3f / %.3f** | **%.1f %%** |",
        totals[k]->f_sum / totals[k]->n, totals[k]->f_min,
        100.0 * totals[k]->in_frame / MAX (1, totals[k]->detected));
  printf ("\n");
}

static void
run_drumkit_set (const gchar * drumkits, const gchar * dir)
{
  Sample samples[G_N_ELEMENTS (kits)][3];
  g_autofree gchar *path = g_build_filename (dir, "set.wav", NULL);
  Totals nemo = { 0 }, aubio = { 0 };
  guint k, t;

  for (k = 0; k < G_N_ELEMENTS (kits); k++) {
    load_sample (drumkits, kits[k].dir, kits[k].kick, &samples[k][0]);
    load_sample (drumkits, kits[k].dir, kits[k].snare, &samples[k][1]);
    load_sample (drumkits, kits[k].dir, kits[k].hat, &samples[k][2]);
  }
  printf ("\n### hydrogen-drumkits samples, bass and pads\n\n");
  print_header ();
  for (t = 0; t < G_N_ELEMENTS (set); t++) {
    g_autoptr (GArray) truth = write_set_track (&set[t],
        samples[set[t].kit], path);
    g_autofree gchar *name = g_strdup_printf ("%s, %s%s", kits[set[t].kit].dir,
        patterns[set[t].pattern].name, set[t].drift != 0 ? ", ±3 % drift" : "");

    print_row (name, set[t].bpm, path, truth, &nemo, &aubio);
  }
  print_totals (&nemo, &aubio);
  g_unlink (path);
  for (k = 0; k < G_N_ELEMENTS (kits); k++)
    for (t = 0; t < 3; t++)
      g_free (samples[k][t].stereo);
}

static void
run_synthetic_set (const gchar * dir)
{
  g_autofree gchar *path = g_build_filename (dir, "synth.wav", NULL);
  Totals nemo = { 0 }, aubio = { 0 };
  guint t;

  printf ("\n### synthetic drums (tests/common/drums.c)\n\n");
  print_header ();
  for (t = 0; t < G_N_ELEMENTS (synth); t++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GArray) truth = drums_write (&synth[t].track, path, &error);
    const DrumTrack *track = &synth[t].track;

    if (!truth)
      g_error ("%s", error->message);
    print_row (synth[t].name, track->bpm_after > 0 ? track->bpm_after :
        track->bpm, path, truth, &nemo, &aubio);
  }
  print_totals (&nemo, &aubio);
  g_unlink (path);
}

int
main (int argc, char **argv)
{
  const gchar *drumkits = argc > 1 ? argv[1] : DEFAULT_DRUMKITS;
  g_autofree gchar *dir = NULL;

  if (argc > 2)
    dir = g_strdup (argv[2]);
  else
    dir = g_dir_make_tmp ("beats-accuracy-XXXXXX", NULL);
  g_mkdir_with_parents (dir, 0755);

  run_drumkit_set (drumkits, dir);
  run_synthetic_set (dir);
  if (argc <= 2)
    g_rmdir (dir);
  return 0;
}
