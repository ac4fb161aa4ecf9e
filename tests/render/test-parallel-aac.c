/* The soundtrack's AAC encoded in chunks on two cores (src/render/aac.c)
 * against one encode on one core: a generated song with transients (bass
 * notes and kicks that start on a step, an arpeggio, hiss) rendered both
 * ways, decoded by FFmpeg and compared with the song, window by window.
 * And the same song at full level, on which the encoder overshoots: what
 * the retry re-encodes, and what it leaves.
 *
 * The number of threads follows the cores this thread may use, so the
 * test pins itself to one CPU, then to two.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE             /* sched_setaffinity */
#include <nemo/render.h>
#include <nemo/log.h>
#include <nemo/media.h>
#include <glib/gstdio.h>
#include <libavcodec/avcodec.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

#define RATE 48000
#define SONG_S 60
#define FRAME 1024              /* AAC */
/* aac.c's plan for 60 s on two threads: 2813 frames in 6 chunks of 469 */
#define CHUNK_FRAMES 469
#define N_JOINS 5
/* the samples around a join whose decoding involves both chunks, and a
 * frame more on each side: [join − 2048, join + 2048) */
#define JOIN_WINDOWS 4

typedef struct
{
  GArray *samples;              /* gfloat, interleaved stereo */
} Sound;

/* One channel of bench-lib.sh's music: a bass line and a kick that start
 * each half second on a step, an arpeggio over @hz. */
static gchar *
voice (gint hz)
{
  return g_strdup_printf ("0.30*sin(2*PI*t*110*pow(2,floor(mod(t/2,4))*5/12))"
      "*exp(-3*mod(t,0.5))+0.22*sin(2*PI*t*%d*pow(2,floor(mod(t*8,6))*2/12))"
      "*exp(-9*mod(t,0.125))+0.45*sin(2*PI*(50+120*exp(-30*mod(t,0.5)))*t)"
      "*exp(-14*mod(t,0.5))", hz);
}

/* bench-lib.sh's music with its hiss at @level (0.5: the limiter, at
 * -1.5 dBFS, never touches it and the decoded sound compares with the
 * source). */
static gchar *
make_song (const gchar * dir, const gchar * level)
{
  gchar *path = g_build_filename (dir, "song.wav", NULL);
  g_autofree gchar *left = voice (440), *right = voice (660);
  g_autofree gchar *song = NULL, *noise = NULL, *mix = NULL;
  GError *error = NULL;
  gint status;

  song = g_strdup_printf ("aevalsrc='%s|%s':s=%d:d=%d", left, right, RATE,
      SONG_S);
  noise = g_strdup_printf ("anoisesrc=d=%d:c=pink:a=0.08:r=%d:seed=1",
      SONG_S, RATE);
  mix = g_strdup_printf ("[1]highpass=f=6000,volume='0.5+0.5*sin(2*PI*t*4)'"
      ":eval=frame[n];[0][n]amix=inputs=2:normalize=0,volume=%s", level);
  {
    const gchar *argv[] = { "ffmpeg", "-hide_banner", "-loglevel", "error",
      "-nostdin", "-y", "-f", "lavfi", "-i", song, "-f", "lavfi", "-i", noise,
      "-filter_complex", mix, "-c:a", "pcm_f32le", path, NULL
    };
    g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
        NULL, NULL, NULL, &status, &error);
  }
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return path;
}

static void
append_samples (const AVFrame * frame, gpointer user_data)
{
  Sound *sound = user_data;
  gint i;

  g_assert_cmpint (frame->format, ==, AV_SAMPLE_FMT_FLTP);
  g_assert_cmpint (frame->sample_rate, ==, RATE);
  g_assert_cmpint (frame->ch_layout.nb_channels, ==, 2);
  for (i = 0; i < frame->nb_samples; i++) {
    g_array_append_val (sound->samples, ((const gfloat *) frame->data[0])[i]);
    g_array_append_val (sound->samples, ((const gfloat *) frame->data[1])[i]);
  }
}

static void
append_interleaved (const AVFrame * frame, gpointer user_data)
{
  Sound *sound = user_data;

  g_assert_cmpint (frame->format, ==, AV_SAMPLE_FMT_FLT);
  g_array_append_vals (sound->samples, frame->data[0], frame->nb_samples * 2);
}

static void
decode (const gchar * path, gboolean planar, Sound * sound)
{
  sound->samples = g_array_new (FALSE, FALSE, sizeof (gfloat));
  decode_stream (path, AVMEDIA_TYPE_AUDIO, planar ? append_samples :
      append_interleaved, sound);
}

static gsize
n_frames (const Sound * sound)
{
  return sound->samples->len / 2;
}

/* This thread on @n of the CPUs it may use (0: all of @all). */
static void
use_cpus (const cpu_set_t * all, gint n)
{
  cpu_set_t set;
  gint cpu, taken = 0;

  CPU_ZERO (&set);
  for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
    if (CPU_ISSET (cpu, all) && (n == 0 || taken++ < n))
      CPU_SET (cpu, &set);
  g_assert_cmpint (sched_setaffinity (0, sizeof set, &set), ==, 0);
}

/* The CPUs this thread may use, in @all; FALSE, the test skipped, with
 * fewer than two. */
static gboolean
have_two_cpus (cpu_set_t * all)
{
  g_assert_cmpint (sched_getaffinity (0, sizeof *all, all), ==, 0);
  if (CPU_COUNT (all) >= 2)
    return TRUE;
  g_test_skip ("needs two CPUs");
  return FALSE;
}

/* The song alone over a small plain frame. */
static void
render (const gchar * song, const gchar * output)
{
  g_autoptr (NemoDraft) draft = nemo_draft_new ();
  NemoSegment *music = nemo_track_add_segment (nemo_draft_add_track (draft,
          NEMO_TRACK_AUDIO), NEMO_SEGMENT_MUSIC);
  NemoRenderOptions options;
  GError *error = NULL;

  nemo_track_add_segment (nemo_draft_add_track (draft, NEMO_TRACK_VIDEO),
      NEMO_SEGMENT_STILL);
  music->source = g_strdup (song);
  nemo_render_options_init (&options);
  options.width = 320;
  options.height = 180;
  g_assert_true (nemo_render_draft (draft, &options, output, &error));
  g_assert_no_error (error);
}

/* The audio stream's duration in samples, as ffprobe reads the MP4, and
 * no error from decoding all of it with the ffmpeg command. */
static gint64
probed_samples (const gchar * path)
{
  const gchar *probe[] = { "ffprobe", "-v", "error", "-select_streams", "a",
    "-show_entries", "stream=duration_ts", "-of", "csv=p=0", path, NULL
  };
  const gchar *play[] = { "ffmpeg", "-hide_banner", "-nostdin", "-v", "error",
    "-i", path, "-f", "null", "-", NULL
  };
  g_autofree gchar *out = NULL, *errors = NULL;
  GError *error = NULL;
  gint status;

  g_spawn_sync (NULL, (gchar **) play, NULL, G_SPAWN_SEARCH_PATH |
      G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &errors, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_cmpstr (errors, ==, "");
  g_spawn_sync (NULL, (gchar **) probe, NULL, G_SPAWN_SEARCH_PATH, NULL,
      NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_ascii_strtoll (out, NULL, 10);
}

/* The error against @source of each FRAME-sample window, as RMS. */
static gdouble *
window_errors (const Sound * sound, const Sound * source, gsize n_windows)
{
  gdouble *errors = g_new0 (gdouble, n_windows);
  gsize w, i;

  for (w = 0; w < n_windows; w++) {
    gdouble sum = 0;

    for (i = w * FRAME * 2; i < (w + 1) * FRAME * 2; i++) {
      gdouble d = g_array_index (sound->samples, gfloat, i) -
          g_array_index (source->samples, gfloat, i);
      sum += d * d;
    }
    errors[w] = sqrt (sum / (FRAME * 2));
  }
  return errors;
}

static gint
compare_doubles (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return (x > y) - (x < y);
}

/* The RMS of @n window @errors. */
static gdouble
region_rms (const gdouble * errors, gsize n)
{
  gdouble sum = 0;
  gsize w;

  for (w = 0; w < n; w++)
    sum += errors[w] * errors[w];
  return sqrt (sum / n);
}

/* The RMS of @errors over JOIN_WINDOWS windows from @first. */
static gdouble
region_error (const gdouble * errors, gsize first)
{
  return region_rms (errors + first, JOIN_WINDOWS);
}

static gdouble
db (gdouble ratio)
{
  return 20 * log10 (ratio);
}

/* The largest sample of @sound, in either channel. */
static gdouble
peak (const Sound * sound)
{
  gdouble top = 0;
  guint i;

  for (i = 0; i < sound->samples->len; i++)
    top = MAX (top, fabs (g_array_index (sound->samples, gfloat, i)));
  return top;
}

static void
test_joins (void)
{
  g_autofree gchar *dir = make_dir ();
  g_autofree gchar *song = make_song (dir, "0.5");
  g_autofree gchar *one_path = g_build_filename (dir, "one.mp4", NULL);
  g_autofree gchar *par_path = g_build_filename (dir, "par.mp4", NULL);
  g_autofree gdouble *one_err = NULL, *par_err = NULL, *ratios = NULL;
  Sound source, one, par;
  gsize n, n_windows, w, r = 0;
  gdouble median, whole, worst = 0;
  cpu_set_t all;
  gint j;

  if (!have_two_cpus (&all)) {
    remove_dir (g_steal_pointer (&dir));
    return;
  }
  use_cpus (&all, 1);
  render (song, one_path);
  use_cpus (&all, 2);
  render (song, par_path);
  use_cpus (&all, 0);

  decode (song, FALSE, &source);
  decode (one_path, TRUE, &one);
  decode (par_path, TRUE, &par);
  n = n_frames (&source);
  g_assert_cmpuint (n, ==, SONG_S * RATE);
  /* The MP4 lasts the song to the sample, both ways.  FFmpeg's decoder
   * drops the encoder's priming (the edit list's start) but not the
   * padding of the last frame, so both decode to the same few hundred
   * samples more; a frame lost or doubled at a join would show here. */
  g_assert_cmpint (probed_samples (one_path), ==, n);
  g_assert_cmpint (probed_samples (par_path), ==, n);
  g_assert_cmpuint (n_frames (&par), ==, n_frames (&one));
  g_assert_cmpuint (n_frames (&one), >=, n);
  g_assert_cmpuint (n_frames (&one), <, n + FRAME);

  /* No click of the encoder's own, either way: the decoded peaks stay
   * within a decibel of the song's (with FFmpeg's noise substitution at
   * 320 kb/s, 2.3 dB over them: docs/mixing.md). */
  g_test_message ("peaks over the song's: one pass %+.2f dB, chunked "
      "%+.2f dB", db (peak (&one) / peak (&source)),
      db (peak (&par) / peak (&source)));
  g_assert_cmpfloat (db (peak (&one) / peak (&source)), <=, 1.0);
  g_assert_cmpfloat (db (peak (&par) / peak (&source)), <=, 1.0);

  /* The codec's own noise: each window's error against the song, as the
   * ratio of the chunked encode's to the one encode's.  At each join it
   * must be no worse than the worst 1 % of the rest of the song. */
  n_windows = n / FRAME;
  one_err = window_errors (&one, &source, n_windows);
  par_err = window_errors (&par, &source, n_windows);
  ratios = g_new0 (gdouble, n_windows);
  for (w = 0; w + JOIN_WINDOWS <= n_windows; w += JOIN_WINDOWS)
    ratios[r++] = region_error (par_err, w) / region_error (one_err, w);
  qsort (ratios, r, sizeof (gdouble), compare_doubles);
  median = ratios[r / 2];
  g_test_message ("chunked/one-pass error, %u-frame regions: median %+.2f "
      "dB, 99th percentile %+.2f dB, worst %+.2f dB", JOIN_WINDOWS,
      db (median), db (ratios[r * 99 / 100]), db (ratios[r - 1]));
  for (j = 1; j <= N_JOINS; j++) {
    gsize first = (gsize) j * CHUNK_FRAMES - JOIN_WINDOWS / 2;
    gdouble at_join = region_error (par_err, first);
    gdouble ratio = at_join / region_error (one_err, first);

    g_test_message ("join %d at %.3f s: error %.1f dBFS (one pass %.1f), "
        "%+.2f dB", j, (gdouble) j * CHUNK_FRAMES * FRAME / RATE,
        db (at_join), db (region_error (one_err, first)), db (ratio));
    worst = MAX (worst, ratio);
  }
  g_assert_cmpfloat (worst, <=, ratios[r * 99 / 100]);

  /* and the same quality over the whole song */
  whole = region_rms (par_err, n_windows) / region_rms (one_err, n_windows);
  g_test_message ("whole song: chunked/one-pass error %+.2f dB", db (whole));
  g_assert_cmpfloat (fabs (db (whole)), <=, 0.5);

  g_array_unref (source.samples);
  g_array_unref (one.samples);
  g_array_unref (par.samples);
  remove_dir (g_steal_pointer (&dir));
}

static void
keep_retry_lines (NemoLogLevel level, const gchar * file,
    const gchar * function, gint line, const gchar * message,
    gpointer user_data)
{
  GPtrArray *lines = user_data;

  if (g_str_has_prefix (message, "AAC: ")
      || g_str_has_prefix (message, "soundtrack: "))
    g_ptr_array_add (lines, g_strdup (message));
}

/* The song at full level: the limiter holds it at -1.5 dBTP, and the
 * encoder still decodes over -1 dBTP at a few of its kicks, each time in
 * another place.  The retry turns the sound down there alone and encodes
 * again only a piece around each: the result is under -1 dBTP by FFmpeg's
 * own meter (not the libebur128 of the renderer), to the sample as long,
 * the rest of the song kept its packets, and it loses no loudness but the
 * limiter's (0.5 LU; a retry that lowered the whole song's ceiling lost
 * 1.2). */
static void
test_retry (void)
{
  g_autofree gchar *dir = make_dir ();
  g_autofree gchar *song = make_song (dir, "1");
  g_autofree gchar *path = g_build_filename (dir, "retry.mp4", NULL);
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  guint again = 0, frames = 0, retries = 0, i;
  gdouble song_lufs, lufs, peak;
  cpu_set_t all;

  if (!have_two_cpus (&all)) {
    remove_dir (g_steal_pointer (&dir));
    return;
  }
  use_cpus (&all, 2);
  nemo_log_set_func (keep_retry_lines, NULL, lines);
  render (song, path);
  nemo_log_set_func (NULL, NULL, NULL);
  use_cpus (&all, 0);

  for (i = 0; i < lines->len; i++) {
    const gchar *line = g_ptr_array_index (lines, i);

    g_test_message ("%s", line);
    if (sscanf (line, "AAC: %u of %u frames encoded again", &again,
            &frames) == 2)
      retries++;
  }
  /* retried once, encoding again pieces around the kicks alone (44 frames:
   * a tenth would be a chunk and more) */
  g_assert_cmpuint (retries, ==, 1);
  g_assert_cmpuint (frames, ==, SONG_S * RATE / FRAME);
  g_assert_cmpuint (again, >, 0);
  g_assert_cmpuint (again, <, frames / 10);

  peak = ffmpeg_meter (path, "Peak:");
  song_lufs = ffmpeg_meter (song, "I:");
  lufs = ffmpeg_meter (path, "I:");
  g_test_message ("song %.2f LUFS, rendered %.2f LUFS, %.2f dBTP", song_lufs,
      lufs, peak);
  g_assert_cmpfloat (peak, <=, -1.0);
  g_assert_cmpfloat (fabs (lufs - song_lufs), <=, 0.8);
  g_assert_cmpint (probed_samples (path), ==, SONG_S * RATE);
  remove_dir (g_steal_pointer (&dir));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/aac/parallel-joins", test_joins);
  g_test_add_func ("/aac/retry", test_retry);
  return g_test_run ();
}
