/* Beat tracking accuracy on drum tracks with known beats.  Not a test: run
 * it by hand (see docs/beats.md) and copy its tables there.
 *
 *   beats-accuracy [WORKDIR]
 *
 * For each track and each tracker setting: tempo error, beat time error of
 * the beats matched (within 70 ms), the share of beats within 33 ms (one
 * frame at 30 fps), missed and extra beats.  The first 2 s of music are
 * the tracker's warm-up and are not counted.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "drums.h"
#include "../../src/analysis/analysis-private.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>

#define MATCH_S 0.070
#define FRAME_S 0.033
#define WARMUP_S 2.0

typedef struct
{
  const gchar *name;
  DrumTrack track;
  gdouble expected_bpm;         /* the one that prevails */
} BenchTrack;

static const BenchTrack tracks[] = {
  {"90 BPM", {.bpm = 90, .duration_s = 30, .swing = 0.5}, 90},
  {"120 BPM", {.bpm = 120, .duration_s = 30, .swing = 0.5}, 120},
  {"128 BPM", {.bpm = 128, .duration_s = 30, .swing = 0.5}, 128},
  {"140 BPM", {.bpm = 140, .duration_s = 30, .swing = 0.5}, 140},
  {"174 BPM", {.bpm = 174, .duration_s = 30, .swing = 0.5}, 174},
  {"120 BPM swing", {.bpm = 120, .duration_s = 30, .swing = 0.67}, 120},
  {"120→140 BPM at 10 s", {.bpm = 120, .bpm_after = 140, .change_at_s = 10,
          .duration_s = 30, .swing = 0.5}, 140},
  {"128 BPM, 2 s silent intro", {.bpm = 128, .intro_s = 2,
          .duration_s = 30, .swing = 0.5}, 128},
  {"120 BPM with pads", {.bpm = 120, .duration_s = 30, .swing = 0.5,
          .pads = TRUE}, 120},
};

typedef struct
{
  const gchar *name;
  NemoBeatSettings settings;
} BenchSetting;

static gdouble
nearest (const NemoBeats * beats, gdouble t)
{
  gdouble best = G_MAXDOUBLE;
  guint i;

  for (i = 0; i < beats->n_beats; i++) {
    gdouble d = beats->beats[i].time_us / 1e6 - t;
    if (fabs (d) < fabs (best))
      best = d;
  }
  return best;
}

static gdouble
nearest_truth (GArray * truth, gdouble t)
{
  gdouble best = G_MAXDOUBLE;
  guint i;

  for (i = 0; i < truth->len; i++) {
    gdouble d = g_array_index (truth, gdouble, i) - t;
    if (fabs (d) < fabs (best))
      best = d;
  }
  return best;
}

static void
evaluate (const BenchTrack * bt, GArray * truth, const NemoBeats * beats)
{
  gdouble from = bt->track.intro_s + WARMUP_S;
  gdouble sum_abs = 0, sum = 0, max_abs = 0;
  guint counted = 0, matched = 0, in_frame = 0, extra = 0, i;
  gdouble first = beats->n_beats ? beats->beats[0].time_us / 1e6 : -1;

  for (i = 0; i < truth->len; i++) {
    gdouble t = g_array_index (truth, gdouble, i);
    gdouble err;

    if (t < from)
      continue;
    counted++;
    err = nearest (beats, t);
    if (fabs (err) > MATCH_S)
      continue;
    matched++;
    sum += err;
    sum_abs += fabs (err);
    max_abs = MAX (max_abs, fabs (err));
    if (fabs (err) <= FRAME_S)
      in_frame++;
  }
  for (i = 0; i < beats->n_beats; i++) {
    gdouble t = beats->beats[i].time_us / 1e6;
    if (t >= from - MATCH_S && fabs (nearest_truth (truth, t)) > MATCH_S)
      extra++;
  }
  printf ("| %s | %.2f | %+.2f | %+.1f | %.1f | %.1f | %.0f %% | %u | %u | "
      "%.2f |\n", bt->name, beats->bpm, beats->bpm - bt->expected_bpm,
      matched ? 1000 * sum / matched : 0, matched ? 1000 * sum_abs / matched : 0,
      1000 * max_abs, counted ? 100.0 * in_frame / counted : 0,
      counted - matched, extra, first);
}

int
main (int argc, char **argv)
{
  g_autofree gchar *dir = NULL;
  GArray *truths[G_N_ELEMENTS (tracks)];
  gchar *paths[G_N_ELEMENTS (tracks)];
  BenchSetting settings[4];
  guint s, t;

  if (argc > 1)
    dir = g_strdup (argv[1]);
  else
    dir = g_dir_make_tmp ("beats-accuracy-XXXXXX", NULL);
  g_mkdir_with_parents (dir, 0755);

  for (s = 0; s < G_N_ELEMENTS (settings); s++)
    nemo_beat_settings_init_default (&settings[s].settings);
  settings[0].name = "specflux (aubio's default), hop 512, window 1024";
  settings[0].settings.method = "specflux";
  settings[0].settings.hop = 512;
  settings[0].settings.window = 1024;
  settings[0].settings.refine = FALSE;
  settings[1].name = "specflux, hop 557, window 1114";
  settings[1].settings.method = "specflux";
  settings[1].settings.refine = FALSE;
  settings[2].name = "energy, hop 557, window 1114";
  settings[2].settings.refine = FALSE;
  settings[3].name = "default: energy, hop 557, window 1114, beats moved to "
      "the attack within 30 ms";

  for (t = 0; t < G_N_ELEMENTS (tracks); t++) {
    g_autoptr (GError) error = NULL;

    paths[t] = g_strdup_printf ("%s/track%u.wav", dir, t);
    truths[t] = drums_write (&tracks[t].track, paths[t], &error);
    if (!truths[t])
      g_error ("%s", error->message);
  }

  for (s = 0; s < G_N_ELEMENTS (settings); s++) {
    printf ("\n### %s\n\n", settings[s].name);
    printf ("| track | BPM found | BPM error | mean error (ms) | mean abs "
        "error (ms) | max abs error (ms) | within 33 ms | missed | extra | "
        "first beat (s) |\n");
    printf ("|---|---|---|---|---|---|---|---|---|---|\n");
    for (t = 0; t < G_N_ELEMENTS (tracks); t++) {
      g_autoptr (GError) error = NULL;
      g_autoptr (NemoBeats) beats = NULL;

      beats = nemo_analysis_beats_with (paths[t], 0, &settings[s].settings,
          NULL, &error);
      if (!beats)
        g_error ("%s", error->message);
      evaluate (&tracks[t], truths[t], beats);
    }
  }

  for (t = 0; t < G_N_ELEMENTS (tracks); t++) {
    g_unlink (paths[t]);
    g_free (paths[t]);
    g_array_unref (truths[t]);
  }
  g_rmdir (dir);
  return 0;
}
