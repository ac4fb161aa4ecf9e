/* Tests for the pulse on the beat: a cover over a drum track with known
 * downbeats goes through the whole job, and the kicks are found in the
 * decoded frames: the cover's orange square grows (zoom) or the dark
 * background brightens (flash) on exactly the downbeats' frames, and
 * nowhere else.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/job.h>
#include <nemo/error.h>
#include <glib/gstdio.h>
#include <libavcodec/avcodec.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "drums.h"
#include "test-util.h"

#define WIDTH 320
#define HEIGHT 180
#define SONG_S 7.0
/* the drums start here; the bars are of 4 beats at 120 BPM, 2 s */
#define INTRO_S 0.5

typedef struct
{
  FILE *file;
  gchar *reply;
} Run;

static gboolean
write_data (const guint8 * data, gsize size, gpointer user_data,
    GError ** error)
{
  g_assert_cmpuint (fwrite (data, 1, size, ((Run *) user_data)->file), ==,
      size);
  return TRUE;
}

static void
keep_reply (const gchar * text, gpointer user_data)
{
  ((Run *) user_data)->reply = g_strdup (text);
}

typedef struct
{
  GArray *width;                /* gint: the orange run across the middle row */
  GArray *dark;                 /* gdouble: mean luma of the top-left corner */
} Measures;

/* Orange (the cover's centre): red high, blue low. */
static void
measure_frame (const AVFrame * frame, gpointer user_data)
{
  Measures *m = user_data;
  const guint8 *y_row = frame->data[0] + (frame->height / 2) * frame->linesize[0];
  const guint8 *v_row = frame->data[2] + (frame->height / 4) * frame->linesize[2];
  gint x, orange = 0;
  gdouble dark = 0;

  g_assert_cmpint (frame->format, ==, AV_PIX_FMT_YUV420P);
  for (x = 0; x < frame->width; x++)
    orange += v_row[x / 2] > 170 && y_row[x] > 100;
  for (x = 0; x < 16; x++)
    dark += frame->data[0][4 * frame->linesize[0] + x];
  g_array_append_val (m->width, orange);
  dark /= 16;
  g_array_append_val (m->dark, dark);
}

/* The job for @prompt over the drums and cover.png; the frames measured. */
static void
run_pulse (const gchar * prompt, GArray ** downbeat_frames, Measures * m,
    gchar ** reply)
{
  DrumTrack track = { .bpm = 120, .duration_s = SONG_S, .swing = 0.5,
    .intro_s = INTRO_S };
  NemoJobCallbacks callbacks = {.reply = keep_reply,.data = write_data };
  g_autofree gchar *dir = make_dir ();
  g_autofree gchar *song = g_build_filename (dir, "drums.wav", NULL);
  g_autofree gchar *out = g_build_filename (dir, "pulse.mp4", NULL);
  g_autofree gchar *cover = data_path ("cover.png");
  g_autoptr (GArray) beats = NULL;
  NemoJobConfig config;
  GError *error = NULL;
  Run run = { 0 };
  guint i;

  beats = drums_write (&track, song, &error);
  g_assert_no_error (error);
  /* drums.c puts the louder kick on beats 0, 4, 8...: the downbeats */
  *downbeat_frames = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (i = 0; i < beats->len; i += 4) {
    gint64 frame = (gint64) lround (g_array_index (beats, gdouble, i) * 30);

    g_array_append_val (*downbeat_frames, frame);
  }

  nemo_job_config_init (&config);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_AUDIO, song, FALSE);
  nemo_job_config_add_input (&config, NEMO_JOB_INPUT_VISUAL, cover, FALSE);
  config.prompt = g_strdup (prompt);
  config.width = WIDTH;
  config.height = HEIGHT;
  config.size_set = TRUE;
  config.work_dir = g_strdup (dir);
  run.file = fopen (out, "wb");
  g_assert_nonnull (run.file);
  g_assert_true (nemo_job_run (&config, &callbacks, &run, NULL, NULL,
          &error));
  g_assert_no_error (error);
  fclose (run.file);
  nemo_job_config_clear (&config);

  m->width = g_array_new (FALSE, FALSE, sizeof (gint));
  m->dark = g_array_new (FALSE, FALSE, sizeof (gdouble));
  decode_stream (out, AVMEDIA_TYPE_VIDEO, measure_frame, m);
  g_assert_cmpuint (m->width->len, ==, (guint) (SONG_S * 30));
  *reply = run.reply;
  remove_dir (g_steal_pointer (&dir));
}

/* The frames where @values rise over the resting value (frame 0's) by
 * more than @step, each run counted once, at its first frame. */
static GArray *
kick_starts_int (GArray * values, gint step)
{
  GArray *starts = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint rest = g_array_index (values, gint, 0);
  gboolean in_kick = FALSE;
  gint64 i;

  for (i = 0; i < values->len; i++) {
    gboolean kicked = g_array_index (values, gint, i) > rest + step;

    if (kicked && !in_kick)
      g_array_append_val (starts, i);
    in_kick = kicked;
  }
  return starts;
}

static GArray *
kick_starts_double (GArray * values, gdouble step)
{
  GArray *starts = g_array_new (FALSE, FALSE, sizeof (gint64));
  gdouble rest = g_array_index (values, gdouble, 0);
  gboolean in_kick = FALSE;
  gint64 i;

  for (i = 0; i < values->len; i++) {
    gboolean kicked = g_array_index (values, gdouble, i) > rest + step;

    if (kicked && !in_kick)
      g_array_append_val (starts, i);
    in_kick = kicked;
  }
  return starts;
}

static void
assert_on_downbeats (GArray * starts, GArray * downbeats)
{
  guint i;

  for (i = 0; i < MAX (starts->len, downbeats->len); i++)
    g_test_message ("downbeat at frame %" G_GINT64_FORMAT ", kick seen at %"
        G_GINT64_FORMAT, i < downbeats->len ? g_array_index (downbeats,
            gint64, i) : -1, i < starts->len ? g_array_index (starts, gint64,
            i) : -1);
  g_assert_cmpuint (starts->len, ==, downbeats->len);
  for (i = 0; i < starts->len; i++)
    g_assert_cmpint (ABS (g_array_index (starts, gint64, i)
            - g_array_index (downbeats, gint64, i)), <=, 1);
}

/* "pulse on the beat": the square grows by 8 % on each downbeat, for a
 * few frames, and the cover is not cut (one still). */
static void
test_zoom (void)
{
  g_autoptr (GArray) downbeats = NULL;
  g_autoptr (GArray) starts = NULL;
  g_autofree gchar *reply = NULL;
  Measures m;
  gint rest, widest = 0;
  guint i;

  run_pulse ("pulse on the beat", &downbeats, &m, &reply);
  g_test_message ("reply: %s", reply);
  g_assert_nonnull (strstr (reply, "a zoom pulse on the strong beats"));
  g_assert_null (strstr (reply, "beat-synced"));
  rest = g_array_index (m.width, gint, 0);
  for (i = 0; i < m.width->len; i++)
    widest = MAX (widest, g_array_index (m.width, gint, i));
  g_test_message ("the square: %d px at rest, %d px at the widest", rest,
      widest);
  /* up to 8 % larger */
  g_assert_cmpint (widest, >=, rest * 1.06);
  g_assert_cmpint (widest, <=, rest * 1.10);
  starts = kick_starts_int (m.width, 2);
  assert_on_downbeats (starts, downbeats);
  g_array_unref (m.width);
  g_array_unref (m.dark);
}

/* "flash on the beat": the dark background lifts towards white on each
 * downbeat. */
static void
test_flash (void)
{
  g_autoptr (GArray) downbeats = NULL;
  g_autoptr (GArray) starts = NULL;
  g_autofree gchar *reply = NULL;
  Measures m;
  gdouble rest, brightest = 0;
  guint i;

  run_pulse ("flash on the beat", &downbeats, &m, &reply);
  g_test_message ("reply: %s", reply);
  g_assert_nonnull (strstr (reply, "a flash on the strong beats"));
  rest = g_array_index (m.dark, gdouble, 0);
  for (i = 0; i < m.dark->len; i++)
    brightest = MAX (brightest, g_array_index (m.dark, gdouble, i));
  g_test_message ("the corner's luma: %.1f at rest, %.1f at the brightest",
      rest, brightest);
  /* 35 % of the way to white at the beat */
  g_assert_cmpfloat (brightest - rest, >, 0.25 * (235 - rest));
  starts = kick_starts_double (m.dark, 10);
  assert_on_downbeats (starts, downbeats);
  g_array_unref (m.width);
  g_array_unref (m.dark);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pulse/zoom", test_zoom);
  g_test_add_func ("/pulse/flash", test_flash);
  return g_test_run ();
}
