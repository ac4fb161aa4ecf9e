/* The cut list of a beat montage, for the ffmpeg recipe it is timed
 * against (tests/bench/run.sh): the draft nemorender renders for SONG and
 * the CLIPs with the prompt "sync the clips to the beat", at 30 fps, its
 * shots written as an ffmpeg concat-demuxer script (file, inpoint,
 * outpoint), one shot after another.  Not part of the test suite:
 *   build/tests/job/montage-cuts SONG CLIP... > cuts.txt
 *   ffmpeg -f concat -safe 0 -i cuts.txt -i SONG …
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/job.h>
#include <stdio.h>

#include "test-util.h"

/* @shot's length on the timeline: its own, or to the draft's end (d -1) */
static gint64
shot_ms (const NemoDraft * draft, const NemoSegment * shot)
{
  return shot->duration_ms >= 0 ? shot->duration_ms :
      draft->duration_ms - shot->start_ms;
}

int
main (int argc, char **argv)
{
  g_autoptr (NemoDraft) draft = NULL;
  gchar *dir;
  GError *error = NULL;
  NemoJobConfig config;
  const NemoTrack *video;
  guint i;
  int ret = 1;

  if (argc < 3) {
    g_printerr ("usage: %s SONG CLIP... > cuts.txt\n", argv[0]);
    return 2;
  }
  dir = make_dir ();
  nemo_job_config_init (&config);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_AUDIO, argv[1], FALSE);
  for (i = 2; i < (guint) argc; i++)
    nemo_job_config_add_input (&config, NEMO_JOB_INPUT_VISUAL, argv[i], FALSE);
  config.prompt = g_strdup ("sync the clips to the beat");
  config.work_dir = g_strdup (dir);
  draft = nemo_job_build_draft (&config, NULL, NULL, &error);
  nemo_job_config_clear (&config);
  remove_dir (dir);
  if (draft == NULL)
    goto end;

  video = nemo_draft_find_track (draft, NEMO_TRACK_VIDEO);
  for (i = 0; video != NULL && i < video->segments->len; i++) {
    const NemoSegment *shot = g_ptr_array_index (video->segments, i);

    /* A shot longer than what is left of its clip loops (shot->loop, as
     * the last shot always may); the concat demuxer cannot: the bench's
     * clips outlast their shots. */
    printf ("file '%s'\ninpoint %.3f\noutpoint %.3f\n", shot->source,
        shot->in_ms / 1000.0, (shot->in_ms + shot_ms (draft, shot))
        / 1000.0);
  }
  ret = 0;

end:
  if (error != NULL) {
    g_printerr ("%s\n", error->message);
    g_error_free (error);
  }
  return ret;
}
