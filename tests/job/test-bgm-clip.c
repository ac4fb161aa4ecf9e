/* Tests for background music under clips: the clips set the video's
 * length, the music fades out alone at the end, and "sync it to the cuts"
 * moves the song so that its beats fall on the clip's own scene cuts.
 * The job runs whole (nemo_job_run()) and its MP4 is read back: its
 * length, the scene cuts of its pictures, the beats and the levels of its
 * sound.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/job.h>
#include <nemo/analysis.h>
#include <nemo/error.h>
#include <glib/gstdio.h>
#include <libavcodec/avcodec.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "drums.h"
#include "test-util.h"

/* scenes.mp4 (tests/data/generate.sh): 8 s at 30 fps, four scenes */
#define CLIP_S 8.0
static const gdouble clip_cuts_s[] = { 2.3, 4.3, 6.8 };

/* the song: 20 s of drums at 120 BPM from 0.7 s, so no beat is on a cut
 * until the song is moved (by 0.4 s, or a whole number of beats more) */
#define SONG_S 20.0
#define INTRO_S 0.7

typedef struct
{
  gchar *dir;
  gchar *song;
  GArray *beats;                /* gdouble, seconds, from drums_write() */
} Fixture;

static void
fixture_init_at (Fixture * fixture, gdouble intro_s)
{
  DrumTrack track = { .bpm = 120, .duration_s = SONG_S, .swing = 0.5,
    .intro_s = intro_s };
  GError *error = NULL;

  fixture->dir = make_dir ();
  fixture->song = g_build_filename (fixture->dir, "drums.wav", NULL);
  fixture->beats = drums_write (&track, fixture->song, &error);
  g_assert_no_error (error);
}

static void
fixture_init (Fixture * fixture)
{
  fixture_init_at (fixture, INTRO_S);
}

static void
fixture_clear (Fixture * fixture)
{
  g_array_unref (fixture->beats);
  g_free (fixture->song);
  remove_dir (fixture->dir);
}

static void
config_for (NemoJobConfig * config, const gchar * song,
    const gchar * const *clips, const gchar * prompt, const gchar * dir)
{
  nemo_job_config_init (config);
  nemo_job_config_add_input (config, NEMO_JOB_INPUT_AUDIO, song, FALSE);
  for (; *clips; clips++) {
    g_autofree gchar *clip = data_path (*clips);

    nemo_job_config_add_input (config, NEMO_JOB_INPUT_VISUAL, clip, FALSE);
  }
  config->prompt = g_strdup (prompt);
  config->width = 320;
  config->height = 180;
  config->size_set = TRUE;
  config->work_dir = g_strdup (dir);
}

static NemoDraft *
build_draft (const gchar * song, const gchar * const *clips,
    const gchar * prompt, const gchar * dir, gchar ** reply)
{
  NemoJobConfig config;
  NemoDraft *draft;
  GError *error = NULL;

  config_for (&config, song, clips, prompt, dir);
  draft = nemo_job_build_draft (&config, reply, NULL, &error);
  g_assert_no_error (error);
  nemo_job_config_clear (&config);
  return draft;
}

typedef struct
{
  FILE *file;
  gchar *reply;
  gchar *draft;
} Run;

static gboolean
write_data (const guint8 * data, gsize size, gpointer user_data,
    GError ** error)
{
  Run *run = user_data;

  g_assert_cmpuint (fwrite (data, 1, size, run->file), ==, size);
  return TRUE;
}

static void
keep_reply (const gchar * text, gpointer user_data)
{
  ((Run *) user_data)->reply = g_strdup (text);
}

static void
keep_draft (const gchar * summary, const gchar * draft, gpointer user_data)
{
  ((Run *) user_data)->draft = g_strdup (draft);
}

/* The job's MP4 for @prompt over scenes.mp4, at @path. */
static void
run_job (const Fixture * fixture, const gchar * prompt, const gchar * path,
    Run * run)
{
  static const gchar *const clips[] = { "scenes.mp4", NULL };
  NemoJobCallbacks callbacks = {.reply = keep_reply,.timeline = keep_draft,
    .data = write_data
  };
  NemoJobConfig config;
  GError *error = NULL;

  config_for (&config, fixture->song, clips, prompt, fixture->dir);
  run->file = fopen (path, "wb");
  g_assert_nonnull (run->file);
  g_assert_true (nemo_job_run (&config, &callbacks, run, NULL, NULL,
          &error));
  g_assert_no_error (error);
  fclose (run->file);
  nemo_job_config_clear (&config);
  g_test_message ("reply: %s", run->reply);
  g_test_message ("draft: %s", run->draft);
}

static void
count_frame (const AVFrame * frame, gpointer user_data)
{
  (*(gint *) user_data)++;
}

/* The level of @hz in @s (stereo) over @n frames from @start, in dB (a
 * Goertzel filter on the left channel, Hann-windowed). */
static gdouble
level_db (const gfloat * s, gsize start, gsize n, gdouble hz)
{
  gdouble coeff = 2 * cos (2 * G_PI * hz / 48000), q1 = 0, q2 = 0, power;
  gsize i;

  for (i = 0; i < n; i++) {
    gdouble w = 0.5 - 0.5 * cos (2 * G_PI * i / (n - 1));
    gdouble q0 = coeff * q1 - q2 + w * s[2 * (start + i)];

    q2 = q1;
    q1 = q0;
  }
  power = q1 * q1 + q2 * q2 - coeff * q1 * q2;
  return 10 * log10 (power + 1e-20);
}

/* The nearest known beat to @t_s, in song time. */
static gdouble
nearest_beat_s (const GArray * beats, gdouble t_s)
{
  gdouble best = G_MAXDOUBLE;
  guint i;

  for (i = 0; i < beats->len; i++) {
    gdouble b = g_array_index (beats, gdouble, i);

    if (fabs (b - t_s) < fabs (best - t_s))
      best = b;
  }
  return best;
}

/* "add background music to a travel video and sync it to the cuts": the
 * video lasts as long as the clip, its cuts are where they were, the
 * song's beats are on them, the music fades out and the clip's own sound
 * does not. */
static void
test_music_on_the_cuts (void)
{
  Fixture fixture;
  Run run = { 0 };
  g_autofree gchar *out = NULL;
  g_autofree gfloat *sound = NULL;
  g_autoptr (GArray) cuts = NULL;
  g_autoptr (NemoBeats) heard = NULL;
  g_autoptr (NemoDraft) draft = NULL;
  const NemoSegment *music;
  GError *error = NULL;
  gsize n_samples;
  gint n_frames = 0;
  gdouble kick_mid, kick_end, tone_mid, tone_end;
  guint i, j;

  fixture_init (&fixture);
  out = g_build_filename (fixture.dir, "travel.mp4", NULL);
  run_job (&fixture, "add background music to a travel video and sync it "
      "to the cuts", out, &run);

  /* the reply says what was done */
  g_assert_nonnull (strstr (run.reply, "The video lasts as long as your "
          "clip, 0:08; the music fades out over the last 2 s."));
  g_assert_nonnull (strstr (run.reply, "fall on 3 of the video's 3 cuts"));

  /* as long as the clip, not the song: 240 frames, 8 s of sound */
  decode_stream (out, AVMEDIA_TYPE_VIDEO, count_frame, &n_frames);
  g_assert_cmpint (n_frames, ==, (gint) (CLIP_S * 30));
  sound = read_all (out, &n_samples);
  g_assert_cmpfloat (fabs (n_samples / 48000.0 - CLIP_S), <, 1.0 / 30);

  /* the pictures cut where the clip does */
  cuts = nemo_analysis_scene_cuts (out, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cuts->len, ==, G_N_ELEMENTS (clip_cuts_s));
  for (i = 0; i < cuts->len; i++)
    g_assert_cmpfloat (fabs (g_array_index (cuts, gint64, i) / 1e6
            - clip_cuts_s[i]), <, 0.5 / 30);

  /* in the draft, the song starts where a known beat falls on each cut */
  draft = nemo_draft_parse (run.draft, -1, &error);
  g_assert_no_error (error);
  music = g_ptr_array_index (nemo_draft_find_track (draft,
          NEMO_TRACK_AUDIO)->segments, 0);
  g_assert_cmpint (music->in_ms, >, 0);
  for (i = 0; i < G_N_ELEMENTS (clip_cuts_s); i++) {
    gdouble t = clip_cuts_s[i] + music->in_ms / 1000.0;

    g_test_message ("cut %.3f s: song at %.3f s, known beat %.3f s",
        clip_cuts_s[i], t, nearest_beat_s (fixture.beats, t));
    g_assert_cmpfloat (fabs (nearest_beat_s (fixture.beats, t) - t), <,
        0.005);
  }

  /* and in the sound of the video, a beat is heard on each cut */
  heard = nemo_analysis_beats (out, 0, NULL, &error);
  g_assert_no_error (error);
  for (i = 0; i < G_N_ELEMENTS (clip_cuts_s); i++) {
    gdouble nearest = G_MAXDOUBLE;

    for (j = 0; j < heard->n_beats; j++)
      if (fabs (heard->beats[j].time_us / 1e6 - clip_cuts_s[i])
          < fabs (nearest - clip_cuts_s[i]))
        nearest = heard->beats[j].time_us / 1e6;
    g_test_message ("cut %.3f s: beat heard at %.3f s", clip_cuts_s[i],
        nearest);
    g_assert_cmpfloat (fabs (nearest - clip_cuts_s[i]), <=, 1.0 / 30);
  }

  /* the kick (60 Hz) 100 ms from a beat mid-video and from the last one,
   * 0.2 s before the end; the clip's 1 kHz tone in the same windows */
  kick_mid = level_db (sound, 3.8 * 48000, 4800, 60);
  kick_end = level_db (sound, 7.8 * 48000, 4800, 60);
  tone_mid = level_db (sound, 3.8 * 48000, 4800, 1000);
  tone_end = level_db (sound, 7.8 * 48000, 4800, 1000);
  g_test_message ("kick %.1f dB mid-video, %.1f dB at the end; the clip's "
      "tone %.1f dB, %.1f dB", kick_mid, kick_end, tone_mid, tone_end);
  /* the music faded: 0.5 - 0.5 cos (0.1 pi) is -32 dB */
  g_assert_cmpfloat (kick_mid - kick_end, >, 20);
  /* the clip's own sound kept to its end, not faded */
  g_assert_cmpfloat (fabs (tone_mid - tone_end), <, 1.5);

  g_free (run.reply);
  g_free (run.draft);
  g_unlink (out);
  fixture_clear (&fixture);
}

/* Two clips: the video is both, once; and the join between them is a cut
 * too. */
static void
test_two_clips (void)
{
  static const gchar *const clips[] = { "scenes.mp4", "clip.mp4", NULL };
  Fixture fixture;
  g_autofree gchar *reply = NULL;
  g_autoptr (NemoDraft) draft = NULL;
  const NemoSegment *music;

  fixture_init (&fixture);
  draft = build_draft (fixture.song, clips, "background music for my "
      "clips, sync the music to the scene changes", fixture.dir, &reply);
  g_test_message ("reply: %s", reply);
  g_assert_cmpint (draft->duration_ms, ==, 11000);
  g_assert_nonnull (strstr (reply, "as long as your clips, 0:11"));
  /* 2.3, 4.3, 6.8 and the join at 8 s are 0.5, 2.5, 4.5 and 5.7 s apart:
   * no shift puts a beat on all four; three are */
  g_assert_nonnull (strstr (reply, "fall on 3 of the video's 4 cuts"));
  music = g_ptr_array_index (nemo_draft_find_track (draft,
          NEMO_TRACK_AUDIO)->segments, 0);
  g_assert_false (music->loop);
  fixture_clear (&fixture);
}

/* Drums from 0.3 s: their beats are on the cuts already, and the song
 * stays where it starts. */
static void
test_already_on_the_cuts (void)
{
  static const gchar *const clips[] = { "scenes.mp4", NULL };
  Fixture fixture;
  g_autofree gchar *reply = NULL;
  g_autoptr (NemoDraft) draft = NULL;
  const NemoSegment *music;

  fixture_init_at (&fixture, 0.3);
  draft = build_draft (fixture.song, clips, "background music, sync it to "
      "the cuts", fixture.dir, &reply);
  g_test_message ("reply: %s", reply);
  music = g_ptr_array_index (nemo_draft_find_track (draft,
          NEMO_TRACK_AUDIO)->segments, 0);
  g_assert_cmpint (music->in_ms, ==, 0);
  g_assert_nonnull (strstr (reply, "The song stays where it starts: its "
          "beats already fall on 3 of the video's 3 cuts"));
  fixture_clear (&fixture);
}

/* The song's length when the prompt asks for it; a song shorter than the
 * clips loops. */
static void
test_song_length (void)
{
  static const gchar *const one_clip[] = { "scenes.mp4", NULL };
  static const gchar *const two_clips[] = { "scenes.mp4", "clip.mp4", NULL };
  g_autofree gchar *dir = make_dir ();
  g_autofree gchar *tone = data_path ("tone.wav");
  g_autofree gchar *reply = NULL;
  g_autoptr (NemoDraft) whole = NULL;
  g_autoptr (NemoDraft) looped = NULL;
  const NemoSegment *music;

  whole = build_draft (tone, one_clip, "add background music for the whole "
      "song", dir, NULL);
  g_assert_cmpint (whole->duration_ms, ==, 8000);
  g_assert_false (json_object_has_member (whole->meta, "music_fade_out_ms"));

  looped = build_draft (tone, two_clips, "add background music", dir, &reply);
  g_test_message ("reply: %s", reply);
  g_assert_cmpint (looped->duration_ms, ==, 11000);
  g_assert_cmpint (nemo_draft_get_meta_int (looped, "music_fade_out_ms", 0),
      ==, 2000);
  music = g_ptr_array_index (nemo_draft_find_track (looped,
          NEMO_TRACK_AUDIO)->segments, 0);
  g_assert_true (music->loop);
  g_assert_nonnull (strstr (reply, "the song, shorter, loops"));
  remove_dir (g_steal_pointer (&dir));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bgm-clip/music-on-the-cuts", test_music_on_the_cuts);
  g_test_add_func ("/bgm-clip/two-clips", test_two_clips);
  g_test_add_func ("/bgm-clip/already-on-the-cuts", test_already_on_the_cuts);
  g_test_add_func ("/bgm-clip/song-length", test_song_length);
  return g_test_run ();
}
