/* nemorender audio analysis: beats, tempo and bars of a whole file.
 *
 * The whole song is analysed before any beat is placed, so the first
 * seconds are placed as well as the rest:
 *
 * 1. Decode to mono and compute two onset functions, one value per 10 ms
 *    hop: the spectral flux (aubio's phase vocoder, log magnitudes) of the
 *    low and middle band, where kicks, snares and bass are, and of the
 *    high band, where the hats are.  Beside them, a 2.7 ms RMS envelope
 *    for the beats' strength and for silence.
 * 2. Tempo: the autocorrelations of both onset functions over the whole
 *    song, and the period from 60 to 200 BPM whose multiples they favour
 *    most (a comb over four multiples, fewer in songs under 4.3 s).
 * 3. Octave: from the slowest octave of that period at or above 60 BPM,
 *    the period is halved while kicks and snares fall half way between its
 *    beats nearly as strongly as on them and the hats divide the half
 *    again (half_is_the_beat()), and the beats placed at the half have
 *    kicks and snares between the period's beats nearly as often as on
 *    them (in_between_share()).
 * 4. Beats: dynamic programming over the whole song (Ellis 2007): the path
 *    of beats through the strongest onsets whose intervals stay closest to
 *    the period, which follows drift and tempo changes.  Beats where
 *    nothing is heard are dropped.
 *
 * Measured in docs/beats.md.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/analysis.h>
#include <nemo/error.h>
#include <nemo/media.h>

#include <aubio/aubio.h>
#include <libavutil/mathematics.h>
#include <math.h>

#define READ_FRAMES 4096
/* onset functions: 10 ms hops, 21 ms windows */
#define HOP 480
#define WINDOW 1024
#define HOPS_PER_S ((gdouble) NEMO_AUDIO_RATE / HOP)
/* the bands, in bins of WINDOW at 48 kHz (46.9 Hz): 47 Hz-1.5 kHz for
 * kicks, snares' bodies and bass; 5-16 kHz for hats */
#define LOW_FIRST_BIN 1
#define LOW_LAST_BIN 32
#define HIGH_FIRST_BIN 107
#define HIGH_LAST_BIN 341
/* log (1 + COMPRESSION * magnitude): a flux that hardly depends on level */
#define COMPRESSION 10.0f
/* tempos found: 60 to 200 BPM */
#define MIN_PERIOD_S (60.0 / 205.0)
#define MAX_PERIOD_S (60.0 / 58.0)
/* the comb looks at this many multiples of a period, each within this
 * share of it (drift) */
#define COMB_MULTIPLES 4
#define LAG_TOLERANCE 0.04
/* the half of a period is the beat when the low band repeats at the half
 * this strongly (relative to at the period) and the hats follow the low
 * band by a quarter or a third of the period this strongly (relative to
 * by a half) */
#define LOW_HALF_RATIO 0.45
#define HATS_SUB_RATIO 0.3
/* hats repeat when their autocorrelation at the half reaches this share of
 * their energy */
#define HATS_PRESENT 0.1
/* and the half is the beat only if, of the beats placed at the half, those
 * between the period's beats have a kick or snare (a low-band onset over
 * ONSET_PRESENT of the mean on the period's beats) at least this share as
 * often as those on them: half of them in a two-step break, a third in a
 * hip-hop beat's eighths */
#define ONSET_PRESENT 0.25
#define IN_BETWEEN_SHARE 0.45
/* the hats' weight beside the low band's where beats are placed: they
 * mark the beats that kicks and snares leave out */
#define HATS_WEIGHT 0.5
/* how much the beat path pays for an interval off the period: ALPHA *
 * log (interval / period)^2, in onset standard deviations */
#define ALPHA 100.0
/* the hops between two looks at the cancellable */
#define CANCEL_EVERY 16384
/* the envelope's resolution: 2.7 ms */
#define BLOCK 128
/* around a beat, where its attack is: the level this long before the beat
 * and the loudest up to this long after it */
#define STRENGTH_BEFORE_US 20000
#define STRENGTH_AFTER_US 80000
#define BEATS_PER_BAR 4
/* a beat needs sound above -60 dBFS RMS around it: [-50 ms, +100 ms] */
#define SILENCE_RMS 1e-3f
#define SOUND_BEFORE_US 50000
#define SOUND_AFTER_US 100000
/* closer beats are one (300 BPM) */
#define MIN_GAP_US 200000

typedef struct
{
  const gchar *path;
  GCancellable *cancellable;
  aubio_pvoc_t *pvoc;
  fvec_t *hop_in;
  cvec_t *grain;
  gfloat *last_log;             /* log magnitudes of the previous hop */
  gfloat *rise;                 /* and their rise into this one */
  guint hop_fill;
  GArray *low, *high;           /* gfloat onset functions, one per hop */
  /* RMS of each BLOCK samples, and the one being summed */
  GArray *envelope;
  gdouble block_sum;
  guint block_fill;
  GArray *beats;                /* gint64 sample positions */
} Analysis;

static void
analysis_clear (Analysis * a)
{
  if (a->pvoc)
    del_aubio_pvoc (a->pvoc);
  if (a->hop_in)
    del_fvec (a->hop_in);
  if (a->grain)
    del_cvec (a->grain);
  g_free (a->last_log);
  g_free (a->rise);
  if (a->low)
    g_array_unref (a->low);
  if (a->high)
    g_array_unref (a->high);
  if (a->envelope)
    g_array_unref (a->envelope);
  if (a->beats)
    g_array_unref (a->beats);
}

static void
analysis_init (Analysis * a, const gchar * path, GCancellable * cancellable)
{
  a->path = path;
  a->cancellable = cancellable;
  a->pvoc = new_aubio_pvoc (WINDOW, HOP);
  a->hop_in = new_fvec (HOP);
  a->grain = new_cvec (WINDOW);
  a->last_log = g_new0 (gfloat, WINDOW / 2 + 1);
  a->rise = g_new0 (gfloat, WINDOW / 2 + 1);
  a->low = g_array_new (FALSE, FALSE, sizeof (gfloat));
  a->high = g_array_new (FALSE, FALSE, sizeof (gfloat));
  a->envelope = g_array_new (FALSE, FALSE, sizeof (gfloat));
  a->beats = g_array_new (FALSE, FALSE, sizeof (gint64));
}

static gboolean
check_cancelled (Analysis * a, GError ** error)
{
  if (!g_cancellable_is_cancelled (a->cancellable))
    return TRUE;
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_CANCELLED,
      "The beat tracking of “%s” was cancelled.", a->path);
  return FALSE;
}

static gfloat
band_sum (const gfloat * rise, guint first, guint last)
{
  gfloat sum = 0;
  guint k;

  for (k = first; k <= last; k++)
    sum += rise[k];
  return sum;
}

/* The rise of the log magnitudes, bin by bin, summed in each band. */
static void
analyse_hop (Analysis * a)
{
  gfloat low, high;
  guint k;

  aubio_pvoc_do (a->pvoc, a->hop_in, a->grain);
  for (k = 0; k <= HIGH_LAST_BIN; k++) {
    gfloat level = log1pf (COMPRESSION * a->grain->norm[k]);

    a->rise[k] = MAX (0.0f, level - a->last_log[k]);
    a->last_log[k] = level;
  }
  low = band_sum (a->rise, LOW_FIRST_BIN, LOW_LAST_BIN);
  high = band_sum (a->rise, HIGH_FIRST_BIN, HIGH_LAST_BIN);
  g_array_append_val (a->low, low);
  g_array_append_val (a->high, high);
}

/* Mono mixdown of @n stereo frames, hop by hop and block by block. */
static void
analysis_feed (Analysis * a, const gfloat * stereo, gint n)
{
  gint i;

  for (i = 0; i < n; i++) {
    gfloat x = 0.5f * (stereo[2 * i] + stereo[2 * i + 1]);

    a->hop_in->data[a->hop_fill++] = x;
    if (a->hop_fill == HOP) {
      analyse_hop (a);
      a->hop_fill = 0;
    }
    a->block_sum += x * x;
    if (++a->block_fill == BLOCK) {
      gfloat rms = sqrt (a->block_sum / BLOCK);

      g_array_append_val (a->envelope, rms);
      a->block_sum = 0;
      a->block_fill = 0;
    }
  }
}

/* Decode @path into the analysis; returns the frames read, -1 on error. */
static gint64
analyse_file (Analysis * a, gint64 max_frames, GError ** error)
{
  g_autoptr (NemoAudioReader) reader = NULL;
  g_autofree gfloat *buf = NULL;
  gint64 n_frames = 0;

  reader = nemo_audio_reader_open (a->path, error);
  if (!reader)
    return -1;
  buf = g_new (gfloat, READ_FRAMES * NEMO_AUDIO_CHANNELS);
  while (max_frames <= 0 || n_frames < max_frames) {
    gint want = READ_FRAMES;
    gint got;

    if (!check_cancelled (a, error))
      return -1;
    if (max_frames > 0)
      want = MIN (want, max_frames - n_frames);
    got = nemo_audio_reader_read (reader, buf, want, error);
    if (got < 0)
      return -1;
    if (got == 0)
      break;
    analysis_feed (a, buf, got);
    n_frames += got;
  }
  return n_frames;
}

/* @odf with its mean taken out and scaled to a standard deviation of 1
 * (all zero if it is flat). */
static void
standardise (GArray * odf)
{
  gfloat *x = (gfloat *) odf->data;
  gdouble sum = 0, sum2 = 0, sd;
  guint i;

  for (i = 0; i < odf->len; i++)
    sum += x[i];
  for (i = 0; i < odf->len; i++)
    sum2 += (x[i] - sum / odf->len) * (x[i] - sum / odf->len);
  sd = odf->len ? sqrt (sum2 / odf->len) : 0;
  for (i = 0; i < odf->len; i++)
    x[i] = sd > 0 ? (x[i] - sum / odf->len) / sd : 0;
}

/* The autocorrelations of the onset functions, lags 0 to max_lag hops,
 * and how the hats follow the low band, lags 0 to max_hats_lag. */
typedef struct
{
  guint max_lag, max_hats_lag;
  gdouble *low, *high, *hats_after_low;
} Acfs;

static void acfs_clear (Acfs * acfs);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Acfs, acfs_clear)

/* The correlation of @y with @x @lag hops earlier, for lags 0 to
 * @max_lag (@x and @y the same length). */
static gdouble *
correlation (Analysis * a, GArray * x, GArray * y, guint max_lag,
    GError ** error)
{
  const gfloat *xs = (const gfloat *) x->data;
  const gfloat *ys = (const gfloat *) y->data;
  g_autofree gdouble *c = g_new0 (gdouble, max_lag + 1);
  guint lag, i;

  for (lag = 0; lag <= max_lag && lag < x->len; lag++) {
    if (lag % 64 == 0 && !check_cancelled (a, error))
      return NULL;
    for (i = lag; i < x->len; i++)
      c[lag] += xs[i - lag] * ys[i];
  }
  return g_steal_pointer (&c);
}

/* The strongest correlation within LAG_TOLERANCE of lag @lag. */
static gdouble
acf_near (const gdouble * acf, guint max_lag, gdouble lag)
{
  gint first = (gint) floor (lag * (1 - LAG_TOLERANCE) - 0.5);
  gint last = (gint) ceil (lag * (1 + LAG_TOLERANCE) + 0.5);
  gdouble best = -G_MAXDOUBLE;
  gint l;

  for (l = MAX (first, 1); l <= last && l <= (gint) max_lag; l++)
    best = MAX (best, acf[l]);
  return best;
}

/* Where the peak of a parabola through @y0, @y1, @y2 (one apart) is,
 * from @y1: -0.5 to 0.5 (0 if @y1 is not a peak). */
static gdouble
peak_shift (gdouble y0, gdouble y1, gdouble y2)
{
  gdouble curvature = y0 - 2 * y1 + y2;

  if (curvature >= 0 || y1 < y0 || y1 < y2)
    return 0;
  return CLAMP (0.5 * (y0 - y2) / curvature, -0.5, 0.5);
}

/* How much the onsets repeat at the multiples of @period that the
 * autocorrelations reach (all COMB_MULTIPLES but in short songs), on
 * average; -G_MAXDOUBLE if they reach none. */
static gdouble
comb_score (const Acfs * acfs, gint period)
{
  gdouble sum = 0;
  gint k;

  for (k = 1; k <= COMB_MULTIPLES; k++) {
    gdouble lag = (gdouble) k * period;

    if (ceil (lag * (1 + LAG_TOLERANCE) + 0.5) > acfs->max_lag)
      break;
    sum += acf_near (acfs->low, acfs->max_lag, lag) +
        acf_near (acfs->high, acfs->max_lag, lag);
  }
  return k > 1 ? sum / (k - 1) : -G_MAXDOUBLE;
}

/* The period (hops) from 60 to 200 BPM whose multiples the onsets repeat
 * at most, refined between hops by a parabola through its peak. */
static gdouble
comb_period (const Acfs * acfs)
{
  gint first = (gint) floor (MIN_PERIOD_S * HOPS_PER_S);
  gint last = (gint) ceil (MAX_PERIOD_S * HOPS_PER_S);
  gdouble best_score = -G_MAXDOUBLE;
  gint p, best = first;

  for (p = first; p <= last; p++) {
    gdouble score = comb_score (acfs, p);

    if (score > best_score) {
      best_score = score;
      best = p;
    }
  }
  return best + peak_shift (acfs->low[best - 1], acfs->low[best],
      acfs->low[best + 1]);
}

static gboolean beat_path (Analysis * a, gdouble period, GArray * hops,
    GError ** error);

/* The low band's onset at a beat in hop @d: its peak from the hop before
 * to the one after. */
static gfloat
onset_at (Analysis * a, gint d)
{
  const gfloat *odf = (const gfloat *) a->low->data;
  gfloat onset = odf[d];

  if (d > 0)
    onset = MAX (onset, odf[d - 1]);
  if (d + 1 < (gint) a->low->len)
    onset = MAX (onset, odf[d + 1]);
  return onset;
}

/* Of the beats placed at @half, every other one falls between the beats
 * of the period: how often those have a kick or snare, relative to how
 * often the others have one (the stronger set is taken as on the beats);
 * -1 on error.  The path follows drift, where a grid of @half would not. */
static gdouble
in_between_share (Analysis * a, gdouble half, GError ** error)
{
  g_autoptr (GArray) hops = g_array_new (FALSE, FALSE, sizeof (gint));
  gdouble sum[2] = { 0, 0 }, share[2];
  guint count[2] = { 0, 0 }, present[2] = { 0, 0 };
  gdouble on_mean;
  guint i;

  if (!beat_path (a, half, hops, error))
    return -1;
  for (i = 0; i < hops->len; i++) {
    sum[i % 2] += onset_at (a, g_array_index (hops, gint, i));
    count[i % 2]++;
  }
  if (count[1] == 0)
    return 0;
  on_mean = MAX (sum[0] / count[0], sum[1] / count[1]);
  for (i = 0; i < hops->len; i++)
    if (onset_at (a, g_array_index (hops, gint, i)) > ONSET_PRESENT * on_mean)
      present[i % 2]++;
  share[0] = (gdouble) present[0] / count[0];
  share[1] = (gdouble) present[1] / count[1];
  if (MAX (share[0], share[1]) == 0)
    return 0;
  return MIN (share[0], share[1]) / MAX (share[0], share[1]);
}

/* Whether half @period is the beat: kicks and snares (the low band) fall
 * half way between its beats nearly as often as on them, and the hats
 * divide that half again: they follow kicks and snares by a quarter of
 * @period (straight) or a third (swung) at least so much as by a half.
 * Where the hats only fall half way, they subdivide the beat: @period is
 * the beat. */
static gboolean
half_is_the_beat (const Acfs * acfs, gdouble period)
{
  gdouble on = acf_near (acfs->low, acfs->max_lag, period);
  gdouble half = acf_near (acfs->low, acfs->max_lag, period / 2);
  gdouble hats_half = acf_near (acfs->high, acfs->max_lag, period / 2);
  gdouble after_half = acf_near (acfs->hats_after_low, acfs->max_hats_lag,
      period / 2);
  gdouble after_sub = MAX (acf_near (acfs->hats_after_low,
          acfs->max_hats_lag, period / 4), acf_near (acfs->hats_after_low,
          acfs->max_hats_lag, period / 3));

  if (on <= 0 || half < LOW_HALF_RATIO * on)
    return FALSE;
  /* without hats that repeat, kicks and snares decide alone */
  if (hats_half < HATS_PRESENT * acfs->high[0])
    return TRUE;
  return after_sub > 0 && after_sub >= HATS_SUB_RATIO * after_half;
}

/* The played tempo among the octaves of @period: the slowest octave at or
 * above 60 BPM, halved while the half is the beat: its onsets repeat as
 * the half's would (half_is_the_beat()), and the beats between the
 * period's have kicks and snares nearly as often as those on them.  The
 * second test tells a syncopated beat from twice its tempo: hip-hop's
 * kicks and snares repeat at the half about half as strongly as at the
 * beat (where half_is_the_beat() cannot tell), but of the eighths between
 * its beats only the "and" of 3 has a kick.  -1 on error. */
static gdouble
choose_octave (Analysis * a, const Acfs * acfs, gdouble period,
    GError ** error)
{
  gdouble slowest = MAX_PERIOD_S * HOPS_PER_S;
  gdouble fastest = MIN_PERIOD_S * HOPS_PER_S;

  while (2 * period <= slowest)
    period *= 2;
  while (period / 2 >= fastest && half_is_the_beat (acfs, period)) {
    gdouble share = in_between_share (a, period / 2, error);

    if (share < 0)
      return -1;
    if (share < IN_BETWEEN_SHARE)
      break;
    period /= 2;
  }
  return period;
}

static void
acfs_clear (Acfs * acfs)
{
  g_free (acfs->low);
  g_free (acfs->high);
  g_free (acfs->hats_after_low);
}

/* The beat period in hops, 0 if the onsets do not repeat, -1 on error. */
static gdouble
find_period (Analysis * a, GError ** error)
{
  g_auto (Acfs) acfs = { 0 };

  /* two of the longest periods at least, for the octave */
  if (a->low->len < 2 * ceil (MAX_PERIOD_S * HOPS_PER_S * (1 +
              LAG_TOLERANCE)) + 2)
    return 0;
  acfs.max_lag = MIN (a->low->len - 1, (guint) ceil (MAX_PERIOD_S *
          HOPS_PER_S * COMB_MULTIPLES * (1 + LAG_TOLERANCE)) + 1);
  acfs.max_hats_lag = (guint) ceil (MAX_PERIOD_S * HOPS_PER_S / 2 *
      (1 + LAG_TOLERANCE)) + 1;
  standardise (a->low);
  standardise (a->high);
  acfs.low = correlation (a, a->low, a->low, acfs.max_lag, error);
  if (acfs.low)
    acfs.high = correlation (a, a->high, a->high, acfs.max_lag, error);
  if (acfs.high)
    acfs.hats_after_low = correlation (a, a->low, a->high,
        acfs.max_hats_lag, error);
  if (!acfs.hats_after_low)
    return -1;
  if (acfs.low[0] <= 0)
    return 0;
  return choose_octave (a, &acfs, comb_period (&acfs), error);
}

/* Ellis' beat tracking by dynamic programming: the best score of a path
 * of beats ending at each hop, and the beat before it there; the hops of
 * the best path are appended to @hops (gint). */
static gboolean
beat_path (Analysis * a, gdouble period, GArray * hops, GError ** error)
{
  const gfloat *odf = (const gfloat *) a->low->data;
  const gfloat *hats = (const gfloat *) a->high->data;
  guint n = a->low->len, i;
  gint shortest = MAX (1, (gint) floor (period / 2));
  gint longest = (gint) ceil (2 * period);
  g_autofree gdouble *score = g_new (gdouble, n);
  g_autofree gint *previous = g_new (gint, n);
  g_autofree gdouble *penalty = g_new (gdouble, longest + 1);
  gint last;
  gint d;

  for (d = shortest; d <= longest; d++)
    penalty[d] = ALPHA * pow (log (d / period), 2);
  for (i = 0; i < n; i++) {
    gdouble best = 0;

    if (i % CANCEL_EVERY == 0 && !check_cancelled (a, error))
      return FALSE;
    previous[i] = -1;
    for (d = shortest; d <= longest && d <= (gint) i; d++) {
      gdouble s = score[i - d] - penalty[d];

      if (previous[i] < 0 || s > best) {
        best = s;
        previous[i] = i - d;
      }
    }
    score[i] = odf[i] + HATS_WEIGHT * hats[i] + best;
  }
  /* the path ends at the best score of the last two periods: a later hop
   * only scores more with an onset of its own */
  last = n - 1;
  for (i = n - 1; i + 2 * period >= n && i > 0; i--)
    if (score[i] > score[last])
      last = i;
  for (d = last; d >= 0; d = previous[d])
    g_array_prepend_val (hops, d);
  return TRUE;
}

/* The beats at @period, each where the onsets peak between hops, in the
 * hop whose window is centred on the attack. */
static gboolean
place_beats (Analysis * a, gdouble period, GError ** error)
{
  const gfloat *odf = (const gfloat *) a->low->data;
  g_autoptr (GArray) hops = g_array_new (FALSE, FALSE, sizeof (gint));
  guint n = a->low->len, i;

  if (!beat_path (a, period, hops, error))
    return FALSE;
  for (i = 0; i < hops->len; i++) {
    gint d = g_array_index (hops, gint, i);
    gdouble shift = d > 0 && d + 1 < (gint) n ?
        peak_shift (odf[d - 1], odf[d], odf[d + 1]) : 0;
    gint64 at = MAX (0, (gint64) llround ((d + shift) * HOP) + HOP -
        WINDOW / 2);

    g_array_append_val (a->beats, at);
  }
  return TRUE;
}

static gint64
us_to_blocks (gint64 us)
{
  return av_rescale (us, NEMO_AUDIO_RATE, G_USEC_PER_SEC * BLOCK);
}

/* The loudest block from @before_us before the sample @at to @after_us
 * after it. */
static gfloat
loudest_near (Analysis * a, gint64 at, gint64 before_us, gint64 after_us)
{
  gint64 b = MAX (0, at / BLOCK - us_to_blocks (before_us));
  gint64 last = MIN (at / BLOCK + us_to_blocks (after_us),
      (gint64) a->envelope->len - 1);
  gfloat loudest = 0;

  for (; b <= last; b++)
    loudest = MAX (loudest, g_array_index (a->envelope, gfloat, b));
  return loudest;
}

/* Keep the beats that can be heard: the path carries on through quiet
 * passages (and a silent intro) at the period.  Two beats moved to the
 * same attack are one. */
static void
drop_silent_and_doubled_beats (Analysis * a)
{
  gint64 min_gap = (gint64) NEMO_AUDIO_RATE * MIN_GAP_US / G_USEC_PER_SEC;
  guint i, kept = 0;

  for (i = 0; i < a->beats->len; i++) {
    gint64 at = g_array_index (a->beats, gint64, i);

    if (loudest_near (a, at, SOUND_BEFORE_US, SOUND_AFTER_US) < SILENCE_RMS)
      continue;
    if (kept > 0 && at - g_array_index (a->beats, gint64, kept - 1) < min_gap)
      continue;
    g_array_index (a->beats, gint64, kept++) = at;
  }
  g_array_set_size (a->beats, kept);
}

/* A beat's strength: how much louder it gets, from just before the beat
 * to the loudest of its attack. */
static gfloat
beat_strength (Analysis * a, gint64 at)
{
  gint64 before = at / BLOCK - us_to_blocks (STRENGTH_BEFORE_US);
  gfloat base = before >= 0 && before < (gint64) a->envelope->len ?
      g_array_index (a->envelope, gfloat, before) : 0;

  return MAX (0.0f, loudest_near (a, at, STRENGTH_BEFORE_US,
          STRENGTH_AFTER_US) - base);
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
collect_beats (Analysis * a, gint64 n_frames)
{
  NemoBeats *result = g_new0 (NemoBeats, 1);
  gfloat max_strength = 0;
  guint i;

  drop_silent_and_doubled_beats (a);

  result->duration_us = av_rescale (n_frames, G_USEC_PER_SEC,
      NEMO_AUDIO_RATE);
  result->n_beats = a->beats->len;
  if (result->n_beats == 0)
    return result;
  result->beats = g_new0 (NemoBeat, result->n_beats);
  for (i = 0; i < result->n_beats; i++) {
    gint64 at = g_array_index (a->beats, gint64, i);

    result->beats[i].time_us = av_rescale (at, G_USEC_PER_SEC,
        NEMO_AUDIO_RATE);
    result->beats[i].energy = beat_strength (a, at);
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
nemo_analysis_beats (const gchar * path, gint64 max_duration_us,
    GCancellable * cancellable, GError ** error)
{
  Analysis a = { 0 };
  NemoBeats *ret = NULL;
  gint64 max_frames = 0, n_frames;
  gdouble period;

  analysis_init (&a, path, cancellable);
  if (max_duration_us > 0)
    max_frames = av_rescale (max_duration_us, NEMO_AUDIO_RATE,
        G_USEC_PER_SEC);
  n_frames = analyse_file (&a, max_frames, error);
  if (n_frames < 0)
    goto end;
  period = find_period (&a, error);
  if (period < 0)
    goto end;
  if (period > 0 && !place_beats (&a, period, error))
    goto end;
  if (!check_cancelled (&a, error))
    goto end;
  ret = collect_beats (&a, n_frames);

end:
  analysis_clear (&a);
  return ret;
}

void
nemo_beats_free (NemoBeats * beats)
{
  if (!beats)
    return;
  g_free (beats->beats);
  g_free (beats);
}
