/* nemorender audio analysis: per video frame band levels, level and
 * waveform for visualizers.
 *
 * Each frame's result is stored as it is computed, in a compact record:
 * the bands as 16-bit levels, the RMS as a float and the waveform as 8-bit
 * min/max pairs.  With 64 bands that is 388 bytes a frame, 42 MB for an
 * hour at 30 fps, where floats throughout would be 130 MB; 8 bits is finer
 * than a waveform drawn a few hundred pixels high needs.  Only the samples
 * of the windows still to come are kept (one window, 4096 samples).
 *
 * The whole song is analysed before its first frame is drawn, so the
 * records go to an unlinked file in the temporary folder, a block at a
 * time, and are read back one by one: memory stays one block whatever the
 * length.  Without that file (it could not be made, or a write failed)
 * the records from then on stay in memory, as a warning says.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/analysis.h>
#include <nemo/log.h>
#include <nemo/media.h>

#include <glib/gstdio.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <libavutil/mathematics.h>
#include <libavutil/mem.h>
#include <libavutil/tx.h>

#define WINDOW 4096
#define LOW_HZ 40.0
#define HIGH_HZ 16000.0
#define FLOOR_DB (-60.0)
#define DECAY_SECONDS 0.4
#define MAX_BANDS 256
/* records written to the spool file at once: 100 KB at 64 bands */
#define SPOOL_BLOCK 256

struct _NemoSpectrum
{
  gint fps_n, fps_d;
  guint n_bands;
  gfloat decay;                 /* per frame */

  AVTXContext *tx;
  av_tx_fn tx_fn;
  gfloat *window;               /* Hann */
  gfloat power_scale;           /* bin power -> squared sine amplitude */
  gfloat window_sum;
  gfloat *tx_in;                /* WINDOW floats, av_malloc'ed */
  AVComplexFloat *tx_out;       /* WINDOW / 2 + 1 */
  gdouble *band_edges;          /* n_bands + 1, in Hz */
  gfloat *levels;               /* smoothed, of the last frame */

  /* mono samples from pcm_start on; those before 0 are silence */
  gfloat *pcm;
  gsize pcm_len, pcm_alloc;
  gint64 pcm_start;
  gint64 n_in;                  /* samples pushed */
  gboolean finished;

  gint64 n_frames;              /* analysed */
  gsize record_size;
  int spool_fd;                 /* the first n_spooled records; -1: none */
  gint64 n_spooled;
  GByteArray *records;          /* those from n_spooled on */
  gboolean newest_only;         /* a live caller's: older records dropped */
  guint8 *read_record;          /* record_size, read back from the spool */

  NemoSpectrumFrame frame;
  gfloat *frame_bands, *frame_min, *frame_max;
};

/* The sample at the centre of video frame @index. */
static gint64
frame_centre (NemoSpectrum * spectrum, gint64 index)
{
  return av_rescale (index, (gint64) NEMO_AUDIO_RATE * spectrum->fps_d,
      spectrum->fps_n);
}

/* An unlinked file for the records, or -1 (and a warning). */
static int
open_spool (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = NULL;
  int fd = g_file_open_tmp ("nemo-spectrum-XXXXXX", &path, &error);

  if (fd < 0) {
    NEMO_WARNING ("the visualizer's analysis stays in memory (about 42 MB "
        "an hour): %s", error->message);
    return -1;
  }
  g_unlink (path);
  return fd;
}

static void
close_spool (NemoSpectrum * spectrum)
{
  if (spectrum->spool_fd >= 0)
    close (spectrum->spool_fd);
  spectrum->spool_fd = -1;
}

/* Move the records held in memory to the spool, or keep them there for
 * good if it cannot take them. */
static void
spool_records (NemoSpectrum * spectrum)
{
  const guint8 *data = spectrum->records->data;
  gsize left = spectrum->records->len;
  off_t at = spectrum->n_spooled * spectrum->record_size;

  while (left > 0) {
    ssize_t n = pwrite (spectrum->spool_fd, data, left, at);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      NEMO_WARNING ("the visualizer's analysis stays in memory from frame %"
          G_GINT64_FORMAT " on: its temporary file could not be written (%s)",
          spectrum->n_spooled, n < 0 ? g_strerror (errno) : "disk full");
      close_spool (spectrum);
      return;
    }
    data += n;
    left -= n;
    at += n;
  }
  spectrum->n_spooled += spectrum->records->len / spectrum->record_size;
  g_byte_array_set_size (spectrum->records, 0);
}

/* Record @index, from the spool or from memory; NULL if it cannot be read
 * back. */
static const guint8 *
find_record (NemoSpectrum * spectrum, gint64 index)
{
  gsize size = spectrum->record_size;
  gsize got = 0;

  if (index >= spectrum->n_spooled)
    return spectrum->records->data + (index - spectrum->n_spooled) * size;
  if (spectrum->newest_only)
    return NULL;                /* forgotten: silence */
  while (got < size) {
    ssize_t n = pread (spectrum->spool_fd, spectrum->read_record + got,
        size - got, index * size + got);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      NEMO_WARNING ("frame %" G_GINT64_FORMAT " of the visualizer's "
          "analysis could not be read back: drawn as silence (%s)", index,
          n < 0 ? g_strerror (errno) : "the file is short");
      return NULL;
    }
    got += n;
  }
  return spectrum->read_record;
}

NemoSpectrum *
nemo_spectrum_new (gint fps_n, gint fps_d, guint n_bands)
{
  NemoSpectrum *spectrum;
  gfloat scale = 1.0f;
  gdouble sum_sq = 0;
  guint i;

  g_return_val_if_fail (fps_n > 0 && fps_d > 0, NULL);
  g_return_val_if_fail (n_bands > 0 && n_bands <= MAX_BANDS, NULL);

  spectrum = g_new0 (NemoSpectrum, 1);
  spectrum->fps_n = fps_n;
  spectrum->fps_d = fps_d;
  spectrum->n_bands = n_bands;
  spectrum->decay = (gfloat) fps_d / (gfloat) (fps_n * DECAY_SECONDS);

  /* only fails on memory */
  if (av_tx_init (&spectrum->tx, &spectrum->tx_fn, AV_TX_FLOAT_RDFT, 0,
          WINDOW, &scale, 0) < 0)
    g_error ("av_tx_init failed for a %d-point real FFT", WINDOW);
  spectrum->tx_in = av_malloc (WINDOW * sizeof (gfloat));
  spectrum->tx_out = av_malloc ((WINDOW / 2 + 1) * sizeof (AVComplexFloat));

  spectrum->window = g_new (gfloat, WINDOW);
  for (i = 0; i < WINDOW; i++) {
    gdouble w = 0.5 - 0.5 * cos (2 * G_PI * i / WINDOW);
    spectrum->window[i] = w;
    spectrum->window_sum += w;
    sum_sq += w * w;
  }
  /* Parseval: a sine of amplitude A puts A² N Σw² / 4 in the bins of
   * positive frequency, wherever it falls */
  spectrum->power_scale = 4.0 / (WINDOW * sum_sq);

  spectrum->band_edges = g_new (gdouble, n_bands + 1);
  for (i = 0; i <= n_bands; i++)
    spectrum->band_edges[i] = LOW_HZ * pow (HIGH_HZ / LOW_HZ,
        (gdouble) i / n_bands);
  spectrum->levels = g_new0 (gfloat, n_bands);

  spectrum->pcm_alloc = 2 * WINDOW;
  spectrum->pcm = g_new0 (gfloat, spectrum->pcm_alloc);
  spectrum->pcm_start = -WINDOW / 2;
  spectrum->pcm_len = WINDOW / 2;

  spectrum->record_size = n_bands * sizeof (guint16) + sizeof (gfloat) +
      2 * NEMO_SPECTRUM_WAVE_POINTS;
  spectrum->records = g_byte_array_new ();
  spectrum->read_record = g_malloc (spectrum->record_size);
  spectrum->spool_fd = open_spool ();

  spectrum->frame_bands = g_new0 (gfloat, n_bands);
  spectrum->frame_min = g_new0 (gfloat, NEMO_SPECTRUM_WAVE_POINTS);
  spectrum->frame_max = g_new0 (gfloat, NEMO_SPECTRUM_WAVE_POINTS);
  spectrum->frame.n_bands = n_bands;
  spectrum->frame.bands = spectrum->frame_bands;
  spectrum->frame.wave_min = spectrum->frame_min;
  spectrum->frame.wave_max = spectrum->frame_max;
  return spectrum;
}

/* Sample @s (absolute), 0 outside what was pushed. */
static inline gfloat
sample_at (NemoSpectrum * spectrum, gint64 s)
{
  gint64 i = s - spectrum->pcm_start;

  if (i < 0 || i >= (gint64) spectrum->pcm_len)
    return 0.0f;
  return spectrum->pcm[i];
}

/* Power between @lo and @hi Hz: each bin counts for the share of its width
 * inside, so bands narrower than a bin (the lowest ones) still read the
 * bin they sit in. */
static gdouble
band_power (NemoSpectrum * spectrum, const gfloat * power, gdouble lo,
    gdouble hi)
{
  const gdouble bin_hz = (gdouble) NEMO_AUDIO_RATE / WINDOW;
  gint first = MAX (0, (gint) floor (lo / bin_hz - 0.5));
  gint last = MIN (WINDOW / 2, (gint) ceil (hi / bin_hz + 0.5));
  gdouble sum = 0;
  gint k;

  for (k = first; k <= last; k++) {
    gdouble overlap = MIN (hi, (k + 0.5) * bin_hz) -
        MAX (lo, (k - 0.5) * bin_hz);
    if (overlap > 0)
      sum += power[k] * overlap / bin_hz;
  }
  return sum;
}

static void
analyse_bands (NemoSpectrum * spectrum, gint64 centre, guint16 * out)
{
  gfloat power[WINDOW / 2 + 1];
  gint64 start = centre - WINDOW / 2;
  guint i;

  for (i = 0; i < WINDOW; i++)
    spectrum->tx_in[i] = sample_at (spectrum, start + i) * spectrum->window[i];
  spectrum->tx_fn (spectrum->tx, spectrum->tx_out, spectrum->tx_in,
      sizeof (gfloat));
  for (i = 0; i <= WINDOW / 2; i++)
    power[i] = (spectrum->tx_out[i].re * spectrum->tx_out[i].re +
        spectrum->tx_out[i].im * spectrum->tx_out[i].im) *
        spectrum->power_scale;

  for (i = 0; i < spectrum->n_bands; i++) {
    gdouble p = band_power (spectrum, power, spectrum->band_edges[i],
        spectrum->band_edges[i + 1]);
    gdouble db = p > 0 ? 10 * log10 (p) : FLOOR_DB;
    gfloat raw = CLAMP ((db - FLOOR_DB) / -FLOOR_DB, 0.0, 1.0);
    gfloat fallen = MAX (0.0f, spectrum->levels[i] - spectrum->decay);

    spectrum->levels[i] = MAX (raw, fallen);
    out[i] = (guint16) lrintf (spectrum->levels[i] * G_MAXUINT16);
  }
}

/* RMS over the window, weighted by it so that it peaks on the frame. */
static gfloat
analyse_rms (NemoSpectrum * spectrum, gint64 centre)
{
  gint64 start = centre - WINDOW / 2;
  gdouble sum = 0;
  guint i;

  for (i = 0; i < WINDOW; i++) {
    gfloat x = sample_at (spectrum, start + i);
    sum += spectrum->window[i] * x * x;
  }
  return sqrt (sum / spectrum->window_sum);
}

static gint8
quantize_wave (gfloat v)
{
  return (gint8) CLAMP (lrintf (v * 127.0f), -127, 127);
}

/* Min/max pairs over the frame's own period, centred on its time. */
static void
analyse_wave (NemoSpectrum * spectrum, gint64 index, gint8 * out)
{
  gint64 centre = frame_centre (spectrum, index);
  gint64 half = (frame_centre (spectrum, index + 1) - centre) / 2;
  gint64 start, span;
  guint p;

  half = CLAMP (half, 1, WINDOW / 2);
  start = centre - half;
  span = 2 * half;
  for (p = 0; p < NEMO_SPECTRUM_WAVE_POINTS; p++) {
    gint64 s0 = start + span * p / NEMO_SPECTRUM_WAVE_POINTS;
    gint64 s1 = MAX (s0 + 1, start + span * (p + 1) /
        NEMO_SPECTRUM_WAVE_POINTS);
    gfloat lo = G_MAXFLOAT, hi = -G_MAXFLOAT;
    gint64 s;

    for (s = s0; s < s1; s++) {
      gfloat x = sample_at (spectrum, s);
      lo = MIN (lo, x);
      hi = MAX (hi, x);
    }
    out[2 * p] = quantize_wave (lo);
    out[2 * p + 1] = quantize_wave (hi);
  }
}

static void
analyse_frame (NemoSpectrum * spectrum)
{
  gint64 index = spectrum->n_frames;
  gint64 centre = frame_centre (spectrum, index);
  guint8 *record;
  gfloat rms;

  if (spectrum->newest_only) {
    g_byte_array_set_size (spectrum->records, 0);
    spectrum->n_spooled = index;
  } else if (spectrum->spool_fd >= 0
      && spectrum->records->len >= SPOOL_BLOCK * spectrum->record_size)
    spool_records (spectrum);
  g_byte_array_set_size (spectrum->records,
      spectrum->records->len + spectrum->record_size);
  record = spectrum->records->data + spectrum->records->len -
      spectrum->record_size;
  analyse_bands (spectrum, centre, (guint16 *) record);
  rms = analyse_rms (spectrum, centre);
  memcpy (record + spectrum->n_bands * sizeof (guint16), &rms, sizeof rms);
  analyse_wave (spectrum, index, (gint8 *) (record + spectrum->n_bands *
          sizeof (guint16) + sizeof (gfloat)));
  spectrum->n_frames++;
}

/* Drop the samples no later window needs. */
static void
trim_pcm (NemoSpectrum * spectrum)
{
  gint64 keep_from = frame_centre (spectrum, spectrum->n_frames) - WINDOW / 2;
  gint64 drop = keep_from - spectrum->pcm_start;

  if (drop <= 0)
    return;
  drop = MIN (drop, (gint64) spectrum->pcm_len);
  memmove (spectrum->pcm, spectrum->pcm + drop,
      (spectrum->pcm_len - drop) * sizeof (gfloat));
  spectrum->pcm_len -= drop;
  spectrum->pcm_start += drop;
}

static gboolean
frame_ready (NemoSpectrum * spectrum)
{
  gint64 centre = frame_centre (spectrum, spectrum->n_frames);

  if (spectrum->finished)
    return centre - WINDOW / 2 < spectrum->n_in;
  return centre + WINDOW / 2 <= spectrum->n_in;
}

static void
analyse_ready_frames (NemoSpectrum * spectrum)
{
  while (frame_ready (spectrum)) {
    analyse_frame (spectrum);
    trim_pcm (spectrum);
  }
}

void
nemo_spectrum_push (NemoSpectrum * spectrum,
    const gfloat * interleaved_stereo, gsize n_frames)
{
  gsize done = 0;

  g_return_if_fail (spectrum != NULL);
  g_return_if_fail (!spectrum->finished);

  /* in slices of a window, so the buffer stays small for big pushes */
  while (done < n_frames) {
    gsize n = MIN (n_frames - done, WINDOW);
    const gfloat *in = interleaved_stereo + 2 * done;
    gsize i;

    if (spectrum->pcm_len + n > spectrum->pcm_alloc) {
      spectrum->pcm_alloc = spectrum->pcm_len + n;
      spectrum->pcm = g_renew (gfloat, spectrum->pcm, spectrum->pcm_alloc);
    }
    for (i = 0; i < n; i++)
      spectrum->pcm[spectrum->pcm_len + i] = 0.5f * (in[2 * i] + in[2 * i + 1]);
    spectrum->pcm_len += n;
    spectrum->n_in += n;
    done += n;
    analyse_ready_frames (spectrum);
  }
}

void
nemo_spectrum_finish (NemoSpectrum * spectrum)
{
  g_return_if_fail (spectrum != NULL);

  if (spectrum->finished)
    return;
  spectrum->finished = TRUE;
  analyse_ready_frames (spectrum);
}

void
nemo_spectrum_keep_newest (NemoSpectrum * spectrum)
{
  g_return_if_fail (spectrum != NULL);

  spectrum->newest_only = TRUE;
  close_spool (spectrum);
}

gint64
nemo_spectrum_get_n_frames (NemoSpectrum * spectrum)
{
  g_return_val_if_fail (spectrum != NULL, 0);

  return spectrum->n_frames;
}

const NemoSpectrumFrame *
nemo_spectrum_get (NemoSpectrum * spectrum, gint64 frame_index)
{
  const guint8 *record;
  const gint8 *wave;
  guint i;

  g_return_val_if_fail (spectrum != NULL, NULL);

  record = frame_index >= 0 && frame_index < spectrum->n_frames ?
      find_record (spectrum, frame_index) : NULL;
  if (record == NULL) {
    memset (spectrum->frame_bands, 0, spectrum->n_bands * sizeof (gfloat));
    memset (spectrum->frame_min, 0,
        NEMO_SPECTRUM_WAVE_POINTS * sizeof (gfloat));
    memset (spectrum->frame_max, 0,
        NEMO_SPECTRUM_WAVE_POINTS * sizeof (gfloat));
    spectrum->frame.rms = 0;
    return &spectrum->frame;
  }

  for (i = 0; i < spectrum->n_bands; i++) {
    guint16 level;

    memcpy (&level, record + i * sizeof level, sizeof level);
    spectrum->frame_bands[i] = level / (gfloat) G_MAXUINT16;
  }
  record += spectrum->n_bands * sizeof (guint16);
  memcpy (&spectrum->frame.rms, record, sizeof (gfloat));
  wave = (const gint8 *) (record + sizeof (gfloat));
  for (i = 0; i < NEMO_SPECTRUM_WAVE_POINTS; i++) {
    spectrum->frame_min[i] = wave[2 * i] / 127.0f;
    spectrum->frame_max[i] = wave[2 * i + 1] / 127.0f;
  }
  return &spectrum->frame;
}

void
nemo_spectrum_free (NemoSpectrum * spectrum)
{
  if (!spectrum)
    return;
  av_tx_uninit (&spectrum->tx);
  av_free (spectrum->tx_in);
  av_free (spectrum->tx_out);
  g_free (spectrum->window);
  g_free (spectrum->band_edges);
  g_free (spectrum->levels);
  g_free (spectrum->pcm);
  close_spool (spectrum);
  g_byte_array_unref (spectrum->records);
  g_free (spectrum->read_record);
  g_free (spectrum->frame_bands);
  g_free (spectrum->frame_min);
  g_free (spectrum->frame_max);
  g_free (spectrum);
}
