/* Element tests for album videos (docs/album.md): the songs on the audio
 * and audio_%u pads or in audio-uri, the nemorender-chapters message, and
 * the MP4 as ffprobe and a viewer see it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "output-check.h"
#include "pipeline-run.h"

#define SMALL "width=320 height=180"
/* album-1.flac, album-2.m4a, album-3.flac: 3.2 + 2.5 + 3.5 s */

/* ffprobe's chapters of @path, one "start_time,title" a line. */
static gchar *
probe_chapters (const gchar * path)
{
  const gchar *argv[] = { "ffprobe", "-v", "error", "-of",
    "csv=p=0", "-show_entries", "chapter=start_time:chapter_tags=title",
    path, NULL
  };
  gchar *out = NULL;
  GError *error = NULL;
  gint status;

  g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH |
      G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status, &error);
  fail_unless (error == NULL && g_spawn_check_wait_status (status, NULL));
  return out;
}

/* Each song's picture at its time: green, the shared orange, blue. */
static void
assert_song_pictures (const gchar * path)
{
  const gdouble at[] = { 1.0, 4.0, 7.0, -1 };
  static const guint8 colours[3][3] = {
    {0x20, 0xC0, 0x40}, {0xFF, 0x80, 0x00}, {0x20, 0x40, 0xFF}
  };
  Output out;
  guint i;

  output_read (path, at, &out);
  fail_unless_equals_int (out.n_snapshots, 3);
  for (i = 0; i < 3; i++)
    assert_rgb_near (rgb_pixel (out.snapshot[i], 160, 90), colours[i][0],
        colours[i][1], colours[i][2], 24);
  output_clear (&out);
}

/* GStreamer's qtdemux plays the album as it plays a song: a video and a
 * sound pad, and no pad for the chapters' text track, so playback
 * pipelines that link d.video_0 and d.audio_0 are unchanged. */
static void
assert_qtdemux_plays (const gchar * path)
{
  gchar *description = g_strdup_printf ("filesrc location=\"%s\" ! "
      "qtdemux name=d d.video_0 ! queue ! fakesink "
      "d.audio_0 ! queue ! fakesink", path);
  GstElement *pipeline = pipeline_new (description);
  GstElement *demux = gst_bin_get_by_name (GST_BIN (pipeline), "d");

  fail_unless_equals_int (gst_element_set_state (pipeline,
          GST_STATE_PLAYING), GST_STATE_CHANGE_ASYNC);
  wait_for_eos (pipeline, GST_CLOCK_TIME_NONE);
  fail_unless_equals_int (demux->numsrcpads, 2);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (demux);
  gst_object_unref (pipeline);
  g_free (description);
}

/* The songs on pads, each with its own tags; the shared picture on a
 * video pad for the song that has none. */
GST_START_TEST (test_song_pads)
{
  RunResult r = { 0, };
  const GstStructure *chapters;
  g_autofree gchar *probed = NULL;
  g_auto (GStrv) lines = NULL;

  run_pipeline ("nemorender name=r " SMALL " "
      "filesrc location={album-1.flac} ! decodebin ! audioconvert ! r.audio "
      "filesrc location={album-3.flac} ! decodebin ! audioconvert ! r.audio_1 "
      "filesrc location={album-2.m4a} ! decodebin ! audioconvert ! r.audio_0 "
      "filesrc location={cover.png} ! decodebin ! videoconvert ! r.video_0 "
      "r.", &r);
  assert_success (&r);

  chapters = find_message (&r, "nemorender-chapters");
  fail_unless (chapters != NULL);
  fail_unless_equals_string (gst_structure_get_string (chapters,
          "description"),
      "00:00 One\n00:03 Second Wind of the Long Night\n00:05 Three");

  probed = probe_chapters (r.output);
  lines = g_strsplit (g_strstrip (probed), "\n", -1);
  fail_unless_equals_int (g_strv_length (lines), 3);
  fail_unless_equals_string (lines[0], "0.000000,One");
  fail_unless_equals_string (lines[1],
      "3.200000,Second Wind of the Long Night");
  /* where GStreamer's AAC decode ends the second song */
  fail_unless (g_str_has_prefix (lines[2], "5.6"));
  fail_unless (g_str_has_suffix (lines[2], ",Three"));
  assert_song_pictures (r.output);
  assert_qtdemux_plays (r.output);
  run_result_clear (&r);
}

GST_END_TEST;

/* A playlist in audio-uri, and a playlist line naming no file: the error
 * says which line. */
GST_START_TEST (test_playlist_uri)
{
  RunResult r = { 0, };

  run_pipeline ("nemorender name=r " SMALL " "
      "audio-uri={album.m3u} visual-uri={cover.png}", &r);
  assert_success (&r);
  fail_unless (find_message (&r, "nemorender-chapters") != NULL);
  assert_song_pictures (r.output);
  run_result_clear (&r);

  memset (&r, 0, sizeof (r));
  run_pipeline ("nemorender name=r " SMALL " "
      "audio-uri={album-missing.m3u}", &r);
  fail_unless (r.error != NULL);
  fail_unless (strstr (r.error->message, "Line 2 of the playlist") != NULL,
      "%s", r.error->message);
  fail_unless (strstr (r.error->message, "nowhere.flac") != NULL);
  fail_if (r.eos_pushed);
  run_result_clear (&r);
}

GST_END_TEST;

static Suite *
album_suite (void)
{
  Suite *s = suite_create ("nemorender-album");
  TCase *tc = tcase_create ("album");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_song_pads);
  tcase_add_test (tc, test_playlist_uri);
  return s;
}

GST_CHECK_MAIN (album);
