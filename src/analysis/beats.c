/* nemorender audio analysis: beats, tempo and bars of a whole file.
 *
 * aubio's tracker (Davies' comb-filter beat tracker over an onset
 * function) runs on the mono mixdown at 48 kHz.  Its time constants are
 * counted in hops and were tuned for a hop of 512 at 44.1 kHz, so the
 * default hop is the same 11.6 ms at 48 kHz (557 samples): the tracker then
 * looks at the same 5.9 s of music; with 512 at 48 kHz its window doubles
 * to 10.9 s and it follows tempo changes late.  The tracker places beats
 * by a period and a phase found every 1.5 s, so within those 1.5 s they
 * drift by the period's error; moving each to the attack (onset) next to
 * it takes the drift out.  The settings were chosen by measurement, see
 * docs/beats.md.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "analysis-private.h"

#include <nemo/error.h>
#include <nemo/media.h>

#include <aubio/aubio.h>
#include <libavutil/mathematics.h>
#include <math.h>

#define READ_FRAMES 4096
/* the envelope's resolution: 2.7 ms */
#define BLOCK 128
/* the attack this close to a beat is the beat's */
#define REFINE_US 30000
/* around a beat, where its attack is */
#define STRENGTH_BEFORE_US 20000
#define STRENGTH_AFTER_US 80000
#define BEATS_PER_BAR 4
/* a beat needs sound above -60 dBFS RMS around it: [-50 ms, +100 ms] */
#define SILENCE_RMS 1e-3f
#define SOUND_BEFORE_US 50000
#define SOUND_AFTER_US 100000
/* closer beats are one (300 BPM) */
#define MIN_GAP_US 200000
/* aubio drops a beat that falls in a hop quieter than its silence level,
 * and a hop of digital silence is always below it, even between the hits
 * of a beat (a beat is often placed just before its attack).  An offset
 * of -120 dBFS, which no onset function sees, keeps such hops above a
 * level of -130 dB; silence is judged on our side
 * (drop_silent_and_doubled_beats). */
#define SILENCE_OFFSET 1e-6f
#define AUBIO_SILENCE_DB -130

typedef struct
{
  const NemoBeatSettings *settings;
  aubio_tempo_t *tempo;
  fvec_t *hop_in, *tempo_out;
  guint hop_fill;
  GArray *beats;                /* gint64 sample positions */
  /* RMS of each BLOCK samples, and the one being summed */
  GArray *envelope;
  gdouble block_sum;
  guint block_fill;
} Tracker;

void
nemo_beat_settings_init_default (NemoBeatSettings * settings)
{
  settings->method = "energy";
  settings->hop = 557;
  settings->window = 1114;
  settings->refine = TRUE;
}

static void
tracker_clear (Tracker * tracker)
{
  if (tracker->tempo)
    del_aubio_tempo (tracker->tempo);
  if (tracker->hop_in)
    del_fvec (tracker->hop_in);
  if (tracker->tempo_out)
    del_fvec (tracker->tempo_out);
  if (tracker->beats)
    g_array_unref (tracker->beats);
  if (tracker->envelope)
    g_array_unref (tracker->envelope);
}

static gboolean
tracker_init (Tracker * tracker, const NemoBeatSettings * settings,
    GError ** error)
{
  tracker->settings = settings;
  tracker->tempo = new_aubio_tempo (settings->method, settings->window,
      settings->hop, NEMO_AUDIO_RATE);
  if (!tracker->tempo) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "aubio cannot track beats with the “%s” onset function, a window "
        "of %u and a hop of %u samples. Use \"energy\", 1114 and 557.",
        settings->method, settings->window, settings->hop);
    return FALSE;
  }
  aubio_tempo_set_silence (tracker->tempo, AUBIO_SILENCE_DB);
  tracker->hop_in = new_fvec (settings->hop);
  tracker->tempo_out = new_fvec (2);
  tracker->beats = g_array_new (FALSE, FALSE, sizeof (gint64));
  tracker->envelope = g_array_new (FALSE, FALSE, sizeof (gfloat));
  return TRUE;
}

static void
tracker_run_hop (Tracker * tracker)
{
  aubio_tempo_do (tracker->tempo, tracker->hop_in, tracker->tempo_out);
  if (tracker->tempo_out->data[0] != 0) {
    gint64 at = aubio_tempo_get_last (tracker->tempo);
    g_array_append_val (tracker->beats, at);
  }
}

/* Mono mixdown of @n stereo frames, hop by hop and block by block. */
static void
tracker_feed (Tracker * tracker, const gfloat * stereo, gint n)
{
  gint i;

  for (i = 0; i < n; i++) {
    gfloat x = 0.5f * (stereo[2 * i] + stereo[2 * i + 1]);

    tracker->hop_in->data[tracker->hop_fill++] = x + SILENCE_OFFSET;
    if (tracker->hop_fill == tracker->settings->hop) {
      tracker_run_hop (tracker);
      tracker->hop_fill = 0;
    }
    tracker->block_sum += x * x;
    if (++tracker->block_fill == BLOCK) {
      gfloat rms = sqrt (tracker->block_sum / BLOCK);

      g_array_append_val (tracker->envelope, rms);
      tracker->block_sum = 0;
      tracker->block_fill = 0;
    }
  }
}

/* Decode @path into the tracker; returns the frames read, -1 on error. */
static gint64
track_file (Tracker * tracker, const gchar * path, gint64 max_frames,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (NemoAudioReader) reader = NULL;
  g_autofree gfloat *buf = NULL;
  gint64 n_frames = 0;

  reader = nemo_audio_reader_open (path, error);
  if (!reader)
    return -1;
  buf = g_new (gfloat, READ_FRAMES * NEMO_AUDIO_CHANNELS);
  while (max_frames <= 0 || n_frames < max_frames) {
    gint want = READ_FRAMES;
    gint got;

    if (g_cancellable_is_cancelled (cancellable)) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_CANCELLED,
          "The beat tracking of “%s” was cancelled.", path);
      return -1;
    }
    if (max_frames > 0)
      want = MIN (want, max_frames - n_frames);
    got = nemo_audio_reader_read (reader, buf, want, error);
    if (got < 0)
      return -1;
    if (got == 0)
      break;
    tracker_feed (tracker, buf, got);
    n_frames += got;
  }
  return n_frames;
}

static gint
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static gint64
us_to_blocks (gint64 us)
{
  return av_rescale (us, NEMO_AUDIO_RATE, G_USEC_PER_SEC * BLOCK);
}

/* How much the envelope rises into block @b. */
static gfloat
rise_at (Tracker * tracker, gint64 b)
{
  if (b <= 0 || b >= (gint64) tracker->envelope->len)
    return 0;
  return MAX (0.0f, g_array_index (tracker->envelope, gfloat, b) -
      g_array_index (tracker->envelope, gfloat, b - 1));
}

/* The block of the steepest rise from @before_us before the sample @at to
 * @after_us after it, -1 if the envelope does not rise there. */
static gint64
attack_near (Tracker * tracker, gint64 at, gint64 before_us,
    gint64 after_us)
{
  gint64 b = at / BLOCK - us_to_blocks (before_us);
  gint64 last = at / BLOCK + us_to_blocks (after_us);
  gint64 best = -1;

  for (; b <= last; b++)
    if (rise_at (tracker, b) > (best < 0 ? 0 : rise_at (tracker, best)))
      best = b;
  return best;
}

/* Move each beat to the attack next to it, where the ear puts it. */
static void
refine_beats (Tracker * tracker)
{
  guint i;

  for (i = 0; i < tracker->beats->len; i++) {
    gint64 *beat = &g_array_index (tracker->beats, gint64, i);
    gint64 attack = attack_near (tracker, *beat, REFINE_US, REFINE_US);

    if (attack >= 0)
      *beat = attack * BLOCK;
  }
}

/* The loudest block from @before_us before the sample @at to @after_us
 * after it. */
static gfloat
loudest_near (Tracker * tracker, gint64 at, gint64 before_us,
    gint64 after_us)
{
  gint64 b = MAX (0, at / BLOCK - us_to_blocks (before_us));
  gint64 last = MIN (at / BLOCK + us_to_blocks (after_us),
      (gint64) tracker->envelope->len - 1);
  gfloat loudest = 0;

  for (; b <= last; b++)
    loudest = MAX (loudest, g_array_index (tracker->envelope, gfloat, b));
  return loudest;
}

/* Keep the beats that can be heard: the tracker carries on through quiet
 * passages (and a silent intro) on its last tempo.  Two beats moved to the
 * same attack are one. */
static void
drop_silent_and_doubled_beats (Tracker * tracker)
{
  gint64 min_gap = (gint64) NEMO_AUDIO_RATE * MIN_GAP_US / G_USEC_PER_SEC;
  guint i, kept = 0;

  for (i = 0; i < tracker->beats->len; i++) {
    gint64 at = g_array_index (tracker->beats, gint64, i);

    if (loudest_near (tracker, at, SOUND_BEFORE_US, SOUND_AFTER_US) <
        SILENCE_RMS)
      continue;
    if (kept > 0 &&
        at - g_array_index (tracker->beats, gint64, kept - 1) < min_gap)
      continue;
    g_array_index (tracker->beats, gint64, kept++) = at;
  }
  g_array_set_size (tracker->beats, kept);
}

/* A beat's strength: the steepest rise of the envelope at its attack. */
static gfloat
beat_strength (Tracker * tracker, gint64 at)
{
  gint64 attack = attack_near (tracker, at, STRENGTH_BEFORE_US,
      STRENGTH_AFTER_US);

  return attack < 0 ? 0 : rise_at (tracker, attack);
}

static gint
compare_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

/* The prevailing tempo: the mean of the beat intervals near their median,
 * which a tempo change or a missed beat does not pull. */
static gdouble
prevailing_bpm (const NemoBeats * result)
{
  g_autofree gdouble *intervals = NULL;
  gdouble median, sum = 0;
  guint i, n = result->n_beats - 1, used = 0;

  if (result->n_beats < 2)
    return 0;
  intervals = g_new (gdouble, n);
  for (i = 0; i < n; i++)
    intervals[i] = result->beats[i + 1].time_us - result->beats[i].time_us;
  qsort (intervals, n, sizeof (gdouble), compare_double);
  median = intervals[n / 2];
  for (i = 0; i < n; i++) {
    if (fabs (intervals[i] - median) <= 0.05 * median) {
      sum += intervals[i];
      used++;
    }
  }
  return 60.0 * G_USEC_PER_SEC / (sum / used);
}

/* Bars of 4: the phase whose beats are the strongest. */
static void
mark_downbeats (NemoBeats * result)
{
  gdouble phase_energy[BEATS_PER_BAR] = { 0 };
  guint i, best = 0;

  for (i = 0; i < result->n_beats; i++)
    phase_energy[i % BEATS_PER_BAR] += result->beats[i].energy;
  for (i = 1; i < BEATS_PER_BAR; i++)
    if (phase_energy[i] > phase_energy[best])
      best = i;
  result->bar_phase = best;
  for (i = 0; i < result->n_beats; i++)
    result->beats[i].downbeat = i % BEATS_PER_BAR == best;
}

static NemoBeats *
collect_beats (Tracker * tracker, gint64 n_frames)
{
  NemoBeats *result = g_new0 (NemoBeats, 1);
  gfloat max_strength = 0;
  guint i;

  if (tracker->settings->refine)
    refine_beats (tracker);
  g_array_sort (tracker->beats, compare_gint64);
  drop_silent_and_doubled_beats (tracker);

  result->duration_us = av_rescale (n_frames, G_USEC_PER_SEC,
      NEMO_AUDIO_RATE);
  result->n_beats = tracker->beats->len;
  if (result->n_beats == 0)
    return result;
  result->beats = g_new0 (NemoBeat, result->n_beats);
  for (i = 0; i < result->n_beats; i++) {
    gint64 at = g_array_index (tracker->beats, gint64, i);

    result->beats[i].time_us = av_rescale (at, G_USEC_PER_SEC,
        NEMO_AUDIO_RATE);
    result->beats[i].energy = beat_strength (tracker, at);
    max_strength = MAX (max_strength, result->beats[i].energy);
  }
  for (i = 0; i < result->n_beats; i++)
    result->beats[i].energy = max_strength > 0 ?
        result->beats[i].energy / max_strength : 0;
  result->bpm = prevailing_bpm (result);
  mark_downbeats (result);
  return result;
}

NemoBeats *
nemo_analysis_beats_with (const gchar * path, gint64 max_duration_us,
    const NemoBeatSettings * settings, GCancellable * cancellable,
    GError ** error)
{
  Tracker tracker = { 0 };
  NemoBeats *ret = NULL;
  gint64 max_frames = 0, n_frames;

  if (!tracker_init (&tracker, settings, error))
    goto end;
  if (max_duration_us > 0)
    max_frames = av_rescale (max_duration_us, NEMO_AUDIO_RATE,
        G_USEC_PER_SEC);
  n_frames = track_file (&tracker, path, max_frames, cancellable, error);
  if (n_frames < 0)
    goto end;
  ret = collect_beats (&tracker, n_frames);

end:
  tracker_clear (&tracker);
  return ret;
}

NemoBeats *
nemo_analysis_beats (const gchar * path, gint64 max_duration_us,
    GCancellable * cancellable, GError ** error)
{
  NemoBeatSettings settings;

  nemo_beat_settings_init_default (&settings);
  return nemo_analysis_beats_with (path, max_duration_us, &settings,
      cancellable, error);
}

void
nemo_beats_free (NemoBeats * beats)
{
  if (!beats)
    return;
  g_free (beats->beats);
  g_free (beats);
}
