/* Tests for album videos (docs/album.md): three test songs through the
 * job as a playlist, a ';'-separated list and several song inputs, and
 * the MP4 read back as a viewer and a player would: its chapters as
 * ffprobe shows them, each song's cover at its time, the sound as long as
 * the songs together to the sample and without a gap where they join.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/job.h>
#include <nemo/error.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libavformat/avformat.h>
#include <math.h>
#include <string.h>

#include "output-check.h"
#include "test-util.h"

#define WIDTH 320
#define HEIGHT 180
#define FPS 30
/* album-1.mp3, album-2.m4a, album-3.flac */
#define SONG_1_MS 3200
#define SONG_2_MS 2500
#define SONG_3_MS 3500

static const gchar *const songs[] = {
  "album-1.mp3", "album-2.m4a", "album-3.flac"
};

typedef struct
{
  gchar *dir;
  gchar *output;
  FILE *file;
  gchar *chapters;
} Job;

static gboolean
on_data (const guint8 * data, gsize size, gpointer user_data,
    GError ** error)
{
  Job *job = user_data;

  g_assert_cmpuint (fwrite (data, 1, size, job->file), ==, size);
  return TRUE;
}

static void
on_chapters (const gchar * description, gpointer user_data)
{
  Job *job = user_data;

  g_assert_null (job->chapters);
  job->chapters = g_strdup (description);
}

static const NemoJobCallbacks callbacks = {
  .data = on_data,
  .chapters = on_chapters,
};

static void
config_init (NemoJobConfig * config, const gchar * work_dir)
{
  nemo_job_config_init (config);
  config->width = WIDTH;
  config->height = HEIGHT;
  config->size_set = TRUE;
  config->fps_n = FPS;
  config->work_dir = g_strdup (work_dir);
}

/* Run @config's job into job->output. */
static void
run (Job * job, NemoJobConfig * config)
{
  g_autoptr (GError) error = NULL;

  job->file = fopen (job->output, "wb");
  g_assert_nonnull (job->file);
  g_assert_true (nemo_job_run (config, &callbacks, job, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fclose (job->file), ==, 0);
}

static void
job_init (Job * job)
{
  memset (job, 0, sizeof (*job));
  job->dir = make_dir ();
  job->output = g_build_filename (job->dir, "album.mp4", NULL);
}

/* The job's folder with the covers it took out of the songs, a folder
 * each. */
static void
job_clear (Job * job)
{
  guint i;

  for (i = 1; i <= G_N_ELEMENTS (songs); i++) {
    gchar *folder = g_strdup_printf ("%s/song-%u", job->dir, i);

    if (g_file_test (folder, G_FILE_TEST_IS_DIR))
      remove_dir (folder);
    else
      g_free (folder);
  }
  g_free (job->output);
  g_free (job->chapters);
  remove_dir (job->dir);
}

/* The songs' sample frames as the media layer reads them, one after the
 * other. */
static gint64
album_samples (void)
{
  gint64 total = 0;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (songs); i++)
    total += input_samples (songs[i]);
  return total;
}

/* `ffprobe -show_chapters` of @path as JSON: the chapters array. */
static JsonArray *
probe_chapters (const gchar * path, JsonParser * parser)
{
  const gchar *argv[] = { "ffprobe", "-v", "error", "-of", "json",
    "-show_chapters", path, NULL
  };
  g_autofree gchar *out = NULL;
  g_autoptr (GError) error = NULL;
  gint status;

  g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH |
      G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  return json_object_get_array_member (json_node_get_object
      (json_parser_get_root (parser)), "chapters");
}

/* Each song a chapter, titled, from where its first sample is to where
 * the next one's is. */
static void
assert_chapters (const gchar * path)
{
  static const gchar *const titles[] = {
    "One", "Second Wind of the Long Night", "Three"
  };
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *chapters = probe_chapters (path, parser);
  gint64 start = 0;
  guint i;

  g_assert_cmpuint (json_array_get_length (chapters), ==, 3);
  for (i = 0; i < 3; i++) {
    JsonObject *chapter = json_array_get_object_element (chapters, i);
    JsonObject *tags = json_object_get_object_member (chapter, "tags");
    gint64 length = input_samples (songs[i]);

    g_assert_cmpstr (json_object_get_string_member (chapter, "time_base"),
        ==, "1/48000");
    g_assert_cmpint (json_object_get_int_member (chapter, "start"), ==,
        start);
    g_assert_cmpint (json_object_get_int_member (chapter, "end"), ==,
        start + length);
    g_assert_cmpstr (json_object_get_string_member (tags, "title"), ==,
        titles[i]);
    start += length;
  }
}

/* The sound never drops where one song ends and the next begins: every
 * 5 ms around each join is as loud as a tone (the AAC song's encoder
 * padding, 10 ms of near silence, would show). */
static void
decode_rms (const AVFrame * frame, gpointer user_data)
{
  GArray *samples = user_data;
  gint i;

  g_assert_cmpint (frame->format, ==, AV_SAMPLE_FMT_FLTP);
  for (i = 0; i < frame->nb_samples; i++) {
    gfloat left = ((const gfloat *) frame->extended_data[0])[i];

    g_array_append_val (samples, left);
  }
}

static void
assert_no_gaps (const gchar * path)
{
  g_autoptr (GArray) samples = g_array_new (FALSE, FALSE, sizeof (gfloat));
  gint64 joins[] = { input_samples (songs[0]),
    input_samples (songs[0]) + input_samples (songs[1])
  };
  guint j;

  decode_stream (path, AVMEDIA_TYPE_AUDIO, decode_rms, samples);
  for (j = 0; j < G_N_ELEMENTS (joins); j++) {
    gint64 from;

    for (from = joins[j] - 2400; from < joins[j] + 2400; from += 240) {
      gdouble sum = 0;
      gint64 i;

      for (i = from; i < from + 240; i++) {
        gfloat x = g_array_index (samples, gfloat, i);
        sum += x * x;
      }
      /* the test tones are sines of amplitude 1/8: RMS 0.088 */
      g_assert_cmpfloat (sqrt (sum / 240), >, 0.05);
    }
  }
}

/* The still fast path per song: a run of closed GOPs of half a second
 * from each song's first frame (0, 96 and 171 at 30 fps, off the GOP grid
 * of a single encode), each run starting on a keyframe of its own. */
static void
assert_gops_restart_per_song (const Output * out)
{
  static const gint64 runs[] = { 0, 96, 171 };
  gint64 first = G_MAXINT64;
  guint i, r;

  for (i = 0; i < out->pts->len; i++)
    first = MIN (first, g_array_index (out->pts, gint64, i));
  for (i = 0; i < out->pts->len; i++) {
    gint64 index = (g_array_index (out->pts, gint64, i) - first) /
        out->frame_duration;
    gint64 run = 0;

    for (r = 0; r < G_N_ELEMENTS (runs); r++)
      if (index >= runs[r])
        run = runs[r];
    g_assert_cmpint (g_array_index (out->keyframe, gboolean, i), ==,
        (index - run) % (FPS / 2) == 0);
  }
}

/* White pixels (the title's letters) in the title's row, right of 45 %
 * of the width: only the second song's title, "Second Wind of the Long
 * Night — Nemo Lab", reaches there; "One — Nemo Lab" and "Three — Nemo
 * Lab" end before it.  None of the pictures has white in it. */
static guint
long_title_pixels (const AVFrame * rgb)
{
  guint n = 0;
  gint x, y;

  for (y = 0; y < HEIGHT / 5; y++)
    for (x = WIDTH * 45 / 100; x < WIDTH; x++) {
      const guint8 *p = rgb_pixel (rgb, x, y);

      n += p[0] > 200 && p[1] > 200 && p[2] > 200;
    }
  return n;
}

/* What a viewer sees: each song's picture and title from its first frame
 * (frame 96 at 3.2 s, frame 171 at 5.7 s), the album's file as a whole. */
static void
assert_album_video (const gchar * path)
{
  const gdouble at[] = { 3.15, 3.2, 5.65, 5.7, -1 };
  gint64 samples = album_samples ();
  gint64 n_frames = (samples * FPS + NEMO_AUDIO_RATE - 1) / NEMO_AUDIO_RATE;
  Output out;

  output_read (path, at, &out);
  /* video, sound, and the chapters' text track */
  g_assert_cmpuint (out.n_streams, ==, 3);
  g_assert_cmpint (out.audio_duration, ==, samples);
  g_assert_cmpint (out.audio->sample_rate, ==, 48000);
  g_assert_cmpint (out.n_decoded, ==, n_frames);
  g_assert_cmpint (out.pts->len, ==, n_frames);
  g_assert_cmpint (out.decode_errors, ==, 0);
  assert_gops_restart_per_song (&out);
  g_assert_cmpstr (output_tag (&out, "album"), ==, "Test Album");
  g_assert_cmpstr (output_tag (&out, "title"), ==, "Test Album");

  g_assert_cmpuint (out.n_snapshots, ==, 4);
  /* song 1: its embedded green; song 2: the shared cover's orange centre;
   * song 3: its embedded blue */
  assert_rgb_near (rgb_pixel (out.snapshot[0], WIDTH / 2, HEIGHT / 2),
      0x20, 0xC0, 0x40, 24);
  assert_rgb_near (rgb_pixel (out.snapshot[1], WIDTH / 2, HEIGHT / 2),
      0xFF, 0x80, 0x00, 24);
  assert_rgb_near (rgb_pixel (out.snapshot[2], WIDTH / 2, HEIGHT / 2),
      0xFF, 0x80, 0x00, 24);
  assert_rgb_near (rgb_pixel (out.snapshot[3], WIDTH / 2, HEIGHT / 2),
      0x20, 0x40, 0xFF, 24);
  /* and each song's title, from the same frames */
  g_assert_cmpuint (long_title_pixels (out.snapshot[0]), ==, 0);
  g_assert_cmpuint (long_title_pixels (out.snapshot[1]), >, 50);
  g_assert_cmpuint (long_title_pixels (out.snapshot[2]), >, 50);
  g_assert_cmpuint (long_title_pixels (out.snapshot[3]), ==, 0);
  output_clear (&out);
}

/* Each song's title over its own time, on the text track. */
static void
assert_album_draft (const NemoJobConfig * config)
{
  static const gchar *const texts[] = {
    "One — Nemo Lab", "Second Wind of the Long Night — Nemo Lab",
    "Three — Nemo Lab"
  };
  static const gint64 starts[] = { 0, SONG_1_MS, SONG_1_MS + SONG_2_MS };
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoDraft) draft = nemo_job_build_draft (config, NULL, NULL,
      &error);
  const NemoTrack *text;
  guint i;

  g_assert_no_error (error);
  g_assert_cmpint (draft->duration_ms, ==, SONG_1_MS + SONG_2_MS + SONG_3_MS);
  text = nemo_draft_find_track (draft, NEMO_TRACK_TEXT);
  g_assert_nonnull (text);
  g_assert_cmpuint (text->segments->len, ==, 3);
  for (i = 0; i < 3; i++) {
    const NemoSegment *title = g_ptr_array_index (text->segments, i);

    g_assert_cmpstr (title->text, ==, texts[i]);
    g_assert_cmpint (title->start_ms, ==, starts[i]);
    g_assert_cmpint (title->duration_ms, ==, i == 2 ? -1 :
        starts[i + 1] - starts[i]);
  }
}

/* The playlist: chapters, pictures, length, joins, the description. */
static void
test_playlist (void)
{
  g_autofree gchar *playlist = data_path ("album.m3u");
  g_autofree gchar *cover = data_path ("cover.png");
  NemoJobConfig config;
  Job job;

  job_init (&job);
  config_init (&config, job.dir);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_AUDIO, playlist, FALSE);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_VISUAL, cover, FALSE);
  assert_album_draft (&config);
  run (&job, &config);

  g_assert_cmpstr (job.chapters, ==,
      "00:00 One\n00:03 Second Wind of the Long Night\n00:05 Three");
  assert_chapters (job.output);
  assert_album_video (job.output);
  assert_no_gaps (job.output);
  nemo_job_config_clear (&config);
  job_clear (&job);
}

/* Songs given one input each (as the audio_%u pads give them), and as a
 * ';' list: the same album. */
static void
test_song_inputs_and_list (void)
{
  g_autofree gchar *cover = data_path ("cover.png");
  g_autofree gchar *first = data_path (songs[0]);
  g_autofree gchar *second = data_path (songs[1]);
  g_autofree gchar *third = data_path (songs[2]);
  g_autofree gchar *list = g_strjoin (";", first, second, third, NULL);
  NemoJobConfig config;
  Job job;

  job_init (&job);
  config_init (&config, job.dir);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_VISUAL, cover, FALSE);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_AUDIO, first, FALSE);
  nemo_job_config_add_song (&config, second, FALSE);
  nemo_job_config_add_song (&config, third, FALSE);
  run (&job, &config);
  assert_chapters (job.output);
  assert_album_video (job.output);
  nemo_job_config_clear (&config);

  config_init (&config, job.dir);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_AUDIO, list, FALSE);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_VISUAL, cover, FALSE);
  assert_album_draft (&config);
  nemo_job_config_clear (&config);
  job_clear (&job);
}

/* A playlist line naming a picture fails the probe, naming the line
 * before what the file is; a picture given directly is named alone. */
static void
test_picture_entry (void)
{
  g_autofree gchar *playlist = data_path ("album-picture.m3u");
  g_autofree gchar *cover = data_path ("cover.png");
  g_autofree gchar *said = g_strdup_printf ("“%s” is a picture, not a "
      "song.", cover);
  g_autofree gchar *expected = g_strdup_printf ("Line 3 of the playlist "
      "“%s”: %s", playlist, said);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) infos = NULL;

  infos = nemo_job_probe_song_list (playlist, &error);
  g_assert_null (infos);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_NO_AUDIO);
  g_assert_true (g_str_has_prefix (error->message, expected));
  g_clear_error (&error);

  infos = nemo_job_probe_song_list (cover, &error);
  g_assert_null (infos);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_NO_AUDIO);
  g_assert_true (g_str_has_prefix (error->message, said));
}

/* A playlist line naming a file that is not there fails the job, naming
 * the line; so does a song in a list that is not there. */
static void
test_missing_entries (void)
{
  g_autofree gchar *playlist = data_path ("album-missing.m3u");
  g_autofree gchar *first = data_path (songs[0]);
  g_autofree gchar *list = g_strconcat (first, ";/nowhere/song.mp3", NULL);
  g_autoptr (GError) error = NULL;
  gchar **expanded;

  expanded = nemo_job_expand_songs (playlist, &error);
  g_assert_null (expanded);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "Line 2 of the playlist"));
  g_assert_nonnull (strstr (error->message, "nowhere.flac"));
  g_clear_error (&error);

  expanded = nemo_job_expand_songs (list, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (expanded), ==, 2);
  g_strfreev (expanded);
  {
    NemoJobConfig config;
    g_autoptr (NemoDraft) draft = NULL;

    nemo_job_config_init (&config);
    nemo_job_config_add_input (&config, NEMO_JOB_INPUT_AUDIO, list, FALSE);
    draft = nemo_job_build_draft (&config, NULL, NULL, &error);
    g_assert_null (draft);
    g_assert_error (error, NEMO_ERROR, NEMO_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "/nowhere/song.mp3"));
    nemo_job_config_clear (&config);
  }
}

/* The prompt: "full album video" is understood and said back with the
 * album's length; "no chapters" leaves them out of the MP4 and the
 * messages; with one song, the reply says how to give more. */
static void
test_prompt (void)
{
  g_autofree gchar *playlist = data_path ("album.m3u");
  g_autofree gchar *song = data_path (songs[0]);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoDraft) draft = NULL;
  g_autofree gchar *reply = NULL;
  NemoJobConfig config;
  Job job;

  job_init (&job);
  config_init (&config, job.dir);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_AUDIO, playlist, FALSE);
  config.prompt = g_strdup ("make a full album video with chapters");
  draft = nemo_job_build_draft (&config, &reply, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "Understood: an album video with a chapter "
      "per song. The 3 songs play one after another without a gap (0:09), "
      "each with its own cover and title and a chapter of its own.");
  g_clear_pointer (&reply, g_free);
  g_clear_pointer (&draft, nemo_draft_free);

  /* beat-synced cuts are one song's: not applied, and the reply says so */
  g_free (config.prompt);
  config.prompt = g_strdup ("full album video synced to the beat");
  draft = nemo_job_build_draft (&config, &reply, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (reply, "an album is not cut to the beat"));
  g_assert_false (json_object_has_member (draft->meta, "beat_sync"));
  g_clear_pointer (&reply, g_free);
  g_clear_pointer (&draft, nemo_draft_free);

  /* a place for the track info moves every song's title */
  g_free (config.prompt);
  config.prompt = g_strdup ("album video with the title at the bottom");
  draft = nemo_job_build_draft (&config, NULL, NULL, &error);
  g_assert_no_error (error);
  {
    const NemoTrack *text = nemo_draft_find_track (draft, NEMO_TRACK_TEXT);
    guint i;

    g_assert_cmpuint (text->segments->len, ==, 3);
    for (i = 0; i < text->segments->len; i++) {
      const NemoSegment *title = g_ptr_array_index (text->segments, i);

      g_assert_cmpstr (json_object_get_string_member (title->style, "place"),
          ==, "bottom");
    }
  }
  g_clear_pointer (&draft, nemo_draft_free);

  g_free (config.prompt);
  config.prompt = g_strdup ("playlist video, no chapters");
  run (&job, &config);
  g_assert_null (job.chapters);
  g_assert_cmpuint (json_array_get_length (probe_chapters (job.output,
              parser)), ==, 0);
  nemo_job_config_clear (&config);

  config_init (&config, job.dir);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_AUDIO, song, FALSE);
  config.prompt = g_strdup ("整张专辑视频");
  draft = nemo_job_build_draft (&config, &reply, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (reply, "专辑视频需要多首歌"));
  nemo_job_config_clear (&config);
  job_clear (&job);
}

/* The cloud service makes a video of one song: an album is refused before
 * anything is sent (the api-url is a port nothing listens on). */
static void
test_cloud_refuses (void)
{
  g_autofree gchar *playlist = data_path ("album.m3u");
  g_autoptr (GError) error = NULL;
  NemoJobConfig config;

  nemo_job_config_init (&config);
  config.backend = NEMO_BACKEND_CLOUD;
  config.service.api_url = g_strdup ("http://127.0.0.1:9");
  config.service.token = g_strdup ("test-token");
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_AUDIO, playlist, FALSE);
  g_assert_false (nemo_job_run (&config, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "backend=local"));
  nemo_job_config_clear (&config);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/album/playlist", test_playlist);
  g_test_add_func ("/album/song-inputs-and-list", test_song_inputs_and_list);
  g_test_add_func ("/album/picture-entry", test_picture_entry);
  g_test_add_func ("/album/missing-entries", test_missing_entries);
  g_test_add_func ("/album/prompt", test_prompt);
  g_test_add_func ("/album/cloud-refuses", test_cloud_refuses);
  return g_test_run ();
}
