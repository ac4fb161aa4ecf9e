/* The accuracy table of docs/montage.md: 30 s drum tracks with known beats
 * (tests/common/drums.c) cut on every beat with two clips by
 * nemo_job_build_draft(), at 30 and 29.97 fps; each cut's frame against
 * the nearest true beat, over the whole track, the first seconds included.
 * Not part of the test suite:
 *   meson compile -C build tests/job/montage-accuracy
 *   NEMO_TEST_DATA=build/tests/data build/tests/job/montage-accuracy
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/job.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>

#include "drums.h"
#include "test-util.h"

typedef struct
{
  const gchar *name;
  DrumTrack track;
} Track;

static void
measure (const Track * t, gint fps_n, gint fps_d, const gchar * dir)
{
  g_autofree gchar *song = g_build_filename (dir, "drums.wav", NULL);
  g_autofree gchar *a = data_path ("clip.mp4");
  g_autofree gchar *b = data_path ("clip.mov");
  g_autoptr (GArray) beats = NULL;
  g_autoptr (NemoDraft) draft = NULL;
  GError *error = NULL;
  NemoJobConfig config;
  NemoTrack *video;
  gdouble sum = 0, worst = 0, frame_s = (gdouble) fps_d / fps_n;
  guint i, j, within = 0, cuts = 0;

  beats = drums_write (&t->track, song, &error);
  g_assert_no_error (error);
  nemo_job_config_init (&config);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_AUDIO, song, FALSE);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_VISUAL, a, FALSE);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_VISUAL, b, FALSE);
  config.prompt = g_strdup ("sync the clips to every beat");
  config.fps_n = fps_n;
  config.fps_d = fps_d;
  config.work_dir = g_strdup (dir);
  draft = nemo_job_build_draft (&config, NULL, NULL, &error);
  g_assert_no_error (error);
  nemo_job_config_clear (&config);

  video = nemo_draft_find_track (draft, NEMO_TRACK_VIDEO);
  for (i = 1; i < video->segments->len; i++) {
    const NemoSegment *shot = g_ptr_array_index (video->segments, i);
    /* the frame the cut shows on: the first at or after its st */
    gdouble shown = ceil (shot->start_ms / 1000.0 / frame_s - 1e-9) * frame_s;
    gdouble nearest = G_MAXDOUBLE;

    for (j = 0; j < beats->len; j++)
      nearest = MIN (nearest, fabs (g_array_index (beats, gdouble, j) - shown));
    sum += nearest;
    worst = MAX (worst, nearest);
    within += nearest <= frame_s + 1e-6;
    cuts++;
  }
  printf ("| %s | %s | %u | %u | %.1f | %.1f | %.0f %% |\n", t->name,
      fps_d == 1 ? "30" : "29.97", beats->len, cuts, sum / cuts * 1000,
      worst * 1000, 100.0 * within / cuts);
  g_unlink (song);
}

int
main (int argc, char **argv)
{
  static const Track tracks[] = {
    {"90 BPM", {.bpm = 90, .duration_s = 30, .swing = 0.5}},
    {"120 BPM", {.bpm = 120, .duration_s = 30, .swing = 0.5}},
    {"128 BPM", {.bpm = 128, .duration_s = 30, .swing = 0.5}},
    {"140 BPM", {.bpm = 140, .duration_s = 30, .swing = 0.5}},
    {"120 BPM swing", {.bpm = 120, .duration_s = 30, .swing = 0.67}},
    {"120 BPM with pads", {.bpm = 120, .duration_s = 30, .swing = 0.5,
            .pads = TRUE}},
    {"120→140 BPM at 10 s", {.bpm = 120, .bpm_after = 140,
            .change_at_s = 10, .duration_s = 30, .swing = 0.5}},
  };
  g_autofree gchar *dir = make_dir ();
  guint i;

  printf ("| track | fps | true beats | cuts | mean error (ms) | max error "
      "(ms) | cuts within ±1 frame |\n|---|---|---|---|---|---|---|\n");
  for (i = 0; i < G_N_ELEMENTS (tracks); i++) {
    measure (&tracks[i], 30, 1, dir);
    measure (&tracks[i], 30000, 1001, dir);
  }
  remove_dir (g_steal_pointer (&dir));
  return 0;
}
