/* Tests for the job's settings: the output size of a shape, the language
 * of the reply, and the drafts built from the settings.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/job.h>
#include <nemo/error.h>
#include <glib/gstdio.h>
#include <string.h>

#include "test-util.h"

/* aspect-ratio keeps the short side, as shapes in the prompt do. */
static void
test_output_size (void)
{
  static const struct
  {
    gint width, height;
    const gchar *ratio;
    gint out_width, out_height;
  } sizes[] = {
    {1920, 1080, NULL, 1920, 1080}, {1920, 1080, "16:9", 1920, 1080},
    {1920, 1080, "1:1", 1080, 1080}, {1920, 1080, "9:16", 1080, 1920},
    {1920, 1080, "4:5", 1080, 1350}, {1080, 1920, "16:9", 1920, 1080},
    {3840, 2160, "9:16", 2160, 3840}, {1280, 720, "21:9", 1680, 720},
    {320, 180, "9:16", 180, 320},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    g_autoptr (GError) error = NULL;
    gint width = 0, height = 0;

    g_assert_true (nemo_job_output_size (sizes[i].width, sizes[i].height,
            sizes[i].ratio, &width, &height, &error));
    g_assert_no_error (error);
    g_assert_cmpint (width, ==, sizes[i].out_width);
    g_assert_cmpint (height, ==, sizes[i].out_height);
  }
}

static gchar *
reply_for (const gchar * prompt, const gchar * language,
    gboolean language_set)
{
  g_autofree gchar *song = data_path ("tone.wav");
  g_autofree gchar *cover = data_path ("cover.png");
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoDraft) draft = NULL;
  NemoJobConfig config;
  gchar *reply = NULL;

  nemo_job_config_init (&config);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_AUDIO, song, FALSE);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_VISUAL, cover, FALSE);
  config.prompt = g_strdup (prompt);
  config.language = g_strdup (language);
  config.language_set = language_set;
  draft = nemo_job_build_draft (&config, &reply, NULL, &error);
  g_assert_no_error (error);
  nemo_job_config_clear (&config);
  return reply;
}

/* The reply follows the prompt's language, unless the language was set. */
static void
test_reply_language (void)
{
  g_autofree gchar *zh = reply_for ("方形视频，加频谱", "en", FALSE);
  g_autofree gchar *en = reply_for ("a square video with bars", "zh", FALSE);
  g_autofree gchar *set = reply_for ("方形视频，加频谱", "en", TRUE);

  g_assert_true (g_str_has_prefix (zh, "已理解："));
  g_assert_true (g_str_has_prefix (en, "Understood: "));
  g_assert_true (g_str_has_prefix (set, "Understood: "));
}

/* The draft of @song with @preset and @prompt; @reply (may be NULL) gets
 * the reply. */
static NemoDraft *
preset_draft (const gchar * song, NemoPreset preset, gint fps_n,
    const gchar * prompt, gchar ** reply)
{
  g_autofree gchar *cover = data_path ("cover.png");
  g_autoptr (GError) error = NULL;
  NemoDraft *draft;
  NemoJobConfig config;

  nemo_job_config_init (&config);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_AUDIO, song, FALSE);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_VISUAL, cover, FALSE);
  config.preset = preset;
  config.fps_n = fps_n;
  config.prompt = g_strdup (prompt);
  draft = nemo_job_build_draft (&config, reply, NULL, &error);
  g_assert_no_error (error);
  nemo_job_config_clear (&config);
  return draft;
}

/* Each preset's shape, and the frame rate brought into its range. */
static void
test_preset_sizes (void)
{
  static const struct
  {
    NemoPreset preset;
    gint fps_in, width, height, fps_out;
  } cases[] = {
    {NEMO_PRESET_UNSET, 120, 1920, 1080, 120},
    {NEMO_PRESET_YOUTUBE, 30, 1920, 1080, 30},
    {NEMO_PRESET_SHORTS, 30, 1080, 1920, 30},
    {NEMO_PRESET_TIKTOK, 120, 1080, 1920, 60},
    {NEMO_PRESET_REELS, 15, 1080, 1920, 23},
    {NEMO_PRESET_INSTAGRAM_FEED, 30, 1080, 1350, 30},
    {NEMO_PRESET_INSTAGRAM_STORY, 90, 1080, 1920, 60},
  };
  g_autofree gchar *song = data_path ("tone.wav");
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (NemoDraft) draft = preset_draft (song, cases[i].preset,
        cases[i].fps_in, NULL, NULL);

    g_assert_cmpint (nemo_draft_get_meta_int (draft, "w", 0), ==,
        cases[i].width);
    g_assert_cmpint (nemo_draft_get_meta_int (draft, "h", 0), ==,
        cases[i].height);
    g_assert_cmpint (nemo_draft_get_meta_int (draft, "fps_n", 0), ==,
        cases[i].fps_out);
  }
}

/* A silent song of @seconds, made with the ffmpeg CLI in @dir. */
static gchar *
make_long_song (const gchar * dir, gint seconds)
{
  g_autofree gchar *length = g_strdup_printf ("%d", seconds);
  gchar *path = g_build_filename (dir, "long.wav", NULL);
  const gchar *argv[] = { "ffmpeg", "-hide_banner", "-loglevel", "error",
    "-nostdin", "-y", "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t",
    length, path, NULL
  };
  g_autoptr (GError) error = NULL;
  gint status = -1;

  g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  return path;
}

/* Shorts last at most 3 minutes: a 5-minute song gives its first 3, and
 * the reply says so; the prompt's platform picks the preset, and a
 * max-duration or a shorter length in the prompt wins. */
static void
test_preset_length (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("nemo-job-XXXXXX", NULL);
  g_autofree gchar *song = make_long_song (dir, 300);
  g_autofree gchar *reply = NULL, *prompted = NULL, *shorter = NULL;
  g_autoptr (NemoDraft) draft = preset_draft (song, NEMO_PRESET_SHORTS, 30,
      NULL, &reply);
  g_autoptr (NemoDraft) by_prompt = preset_draft (song, NEMO_PRESET_UNSET,
      30, "for Shorts", &prompted);
  g_autoptr (NemoDraft) short_one = preset_draft (song, NEMO_PRESET_UNSET,
      30, "a 60-second TikTok", &shorter);

  g_assert_cmpint (draft->duration_ms, ==, 180000);
  g_assert_cmpint (nemo_draft_get_meta_int (draft, "max_duration_ms", 0), ==,
      180000);
  g_assert_cmpstr (reply, ==, "The song is 5:00; on Shorts a video lasts at "
      "most 3:00, so this one is the song's first 3:00.");
  g_assert_cmpint (by_prompt->duration_ms, ==, 180000);
  g_assert_cmpint (nemo_draft_get_meta_int (by_prompt, "h", 0), ==, 1920);
  g_assert_nonnull (strstr (prompted, "so this one is the song's first "
          "3:00."));
  g_assert_cmpint (short_one->duration_ms, ==, 60000);
  g_assert_null (strstr (shorter, "at most"));
  g_unlink (song);
  g_rmdir (dir);
}

/* The prompt's loudness goes to the draft and the reply, unless the
 * loudness property sets it: the property wins. */
static void
test_loudness_property_wins (void)
{
  g_autofree gchar *song = data_path ("tone.wav");
  g_autoptr (GError) error = NULL;
  g_autofree gchar *prompted = NULL, *overridden = NULL;
  g_autoptr (NemoDraft) by_prompt = NULL, by_property = NULL;
  NemoJobConfig config;

  nemo_job_config_init (&config);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_AUDIO, song, FALSE);
  config.prompt = g_strdup ("normalize the loudness");
  by_prompt = nemo_job_build_draft (&config, &prompted, NULL, &error);
  g_assert_no_error (error);
  config.loudness_lufs = -16;
  by_property = nemo_job_build_draft (&config, &overridden, NULL, &error);
  g_assert_no_error (error);
  nemo_job_config_clear (&config);

  g_assert_cmpfloat (json_object_get_double_member (by_prompt->meta,
          "loudness_lufs"), ==, -14.0);
  g_assert_nonnull (strstr (prompted, "loudness brought to -14 LUFS"));
  g_assert_false (json_object_has_member (by_property->meta,
          "loudness_lufs"));
  g_assert_null (strstr (overridden ? overridden : "", "loudness"));
}

/* The draft of tone.wav with @lyrics (a test file's name) from @start_ms
 * and @prompt, or NULL with @error. */
static NemoDraft *
lyrics_draft (const gchar * lyrics, gint64 start_ms, const gchar * prompt,
    gchar ** reply, GError ** error)
{
  g_autofree gchar *song = data_path ("tone.wav");
  NemoJobConfig config;
  NemoDraft *draft;

  nemo_job_config_init (&config);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_AUDIO, song, FALSE);
  config.lyrics = data_path (lyrics);
  config.start_us = start_ms * 1000;
  config.prompt = g_strdup (prompt);
  draft = nemo_job_build_draft (&config, reply, NULL, error);
  nemo_job_config_clear (&config);
  return draft;
}

static const NemoSegment *
lyric_line (const NemoDraft * draft, guint i)
{
  const NemoTrack *text = nemo_draft_find_track (draft, NEMO_TRACK_TEXT);

  g_assert_nonnull (text);
  g_assert_cmpuint (i, <, text->segments->len);
  return g_ptr_array_index (text->segments, i);
}

/* Lyrics become the draft's lyric lines, moved with the song's in-point;
 * the prompt's words for them are understood, or drop them. */
static void
test_lyrics (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *reply = NULL;
  g_autofree gchar *none_reply = NULL;
  g_autoptr (NemoDraft) draft = lyrics_draft ("lyrics.lrc", 1500,
      "karaoke, 30 seconds", &reply, &error);
  g_autoptr (NemoDraft) none = NULL;
  const NemoSegment *line;

  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "Understood: 30 seconds long, karaoke "
      "lyrics, each word lit as it is sung.");
  g_assert_cmpstr (nemo_draft_get_meta_string (draft, "lyrics_style"), ==,
      "karaoke");
  /* [00:01.00] One by one, till 2.5 s: from 0 on the timeline, 1 s long */
  line = lyric_line (draft, 0);
  g_assert_cmpstr (line->text, ==, "One by one");
  g_assert_cmpint (line->start_ms, ==, 0);
  g_assert_cmpint (line->duration_ms, ==, 1000);
  g_assert_cmpint (((NemoWord *) g_ptr_array_index (line->words,
              2))->start_ms, ==, 500);
  line = lyric_line (draft, 1);
  g_assert_cmpint (line->start_ms, ==, 1500);

  none = lyrics_draft ("lyrics.srt", 0, "no lyrics", &none_reply, &error);
  g_assert_no_error (error);
  g_assert_null (nemo_draft_find_track (none, NEMO_TRACK_TEXT));
  g_assert_cmpstr (none_reply, ==, "Understood: no lyrics.");
}

static void
test_lyrics_errors (void)
{
  g_autoptr (GError) error = NULL;
  NemoJobConfig config;

  g_assert_null (lyrics_draft ("cover.png", 0, NULL, NULL, &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "cover.png line"));
  g_clear_error (&error);

  /* the cloud backend refuses them before reaching for the network */
  nemo_job_config_init (&config);
  config.backend = NEMO_BACKEND_CLOUD;
  config.lyrics = g_strdup ("song.lrc");
  config.service.api_url = g_strdup ("http://127.0.0.1:9");
  g_assert_false (nemo_job_run (&config, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "backend=local"));
  nemo_job_config_clear (&config);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/job/output-size", test_output_size);
  g_test_add_func ("/job/reply-language", test_reply_language);
  g_test_add_func ("/job/lyrics", test_lyrics);
  g_test_add_func ("/job/lyrics-errors", test_lyrics_errors);
  g_test_add_func ("/job/preset/sizes", test_preset_sizes);
  g_test_add_func ("/job/preset/length", test_preset_length);
  g_test_add_func ("/job/loudness-property-wins",
      test_loudness_property_wins);
  return g_test_run ();
}
