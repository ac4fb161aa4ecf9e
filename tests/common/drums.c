/* Drum tracks with known beats: synthesised sample by sample, so the beat
 * times are exact.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "drums.h"
#include "test-util.h"

#include <math.h>
#include <string.h>

#define RATE 48000

static void
add_kick (gfloat * mono, gsize n, gsize at, gfloat gain)
{
  gsize len = MIN (n - at, (gsize) (0.35 * RATE));
  gdouble phase = 0;
  gsize i;

  for (i = 0; i < len; i++) {
    gdouble t = (gdouble) i / RATE;
    /* a 60 Hz sine with a short drop from 150 Hz, the thump of a kick */
    gdouble freq = 60 + 90 * exp (-t / 0.02);

    phase += 2 * G_PI * freq / RATE;
    mono[at + i] += gain * exp (-t / 0.1) * sin (phase);
  }
}

static void
add_noise_hit (gfloat * mono, gsize n, gsize at, gfloat gain,
    gdouble decay_s, gdouble tone_hz, GRand * rand)
{
  gsize len = MIN (n - at, (gsize) (6 * decay_s * RATE));
  gdouble last = 0;
  gsize i;

  for (i = 0; i < len; i++) {
    gdouble t = (gdouble) i / RATE;
    gdouble white = g_rand_double_range (rand, -1, 1);
    /* tone 0: a hat, the noise's first difference (its highs) */
    gdouble v = tone_hz > 0 ? 0.6 * white + 0.6 * sin (2 * G_PI * tone_hz * t)
        : white - last;

    last = white;
    mono[at + i] += gain * exp (-t / decay_s) * v;
  }
}

void
drums_add_pads (gfloat * mono, gsize n, gdouble start_s, gdouble bar_s)
{
  static const gdouble chords[4][3] = {
    {220.0, 261.6, 329.6}, {174.6, 220.0, 261.6},
    {196.0, 246.9, 293.7}, {164.8, 207.7, 246.9},
  };
  gsize i;

  for (i = (gsize) (start_s * RATE); i < n; i++) {
    gdouble t = (gdouble) i / RATE - start_s;
    gint chord = (gint) (t / (2 * bar_s)) % 4;
    gdouble in_chord = fmod (t, 2 * bar_s);
    gdouble env = MIN (1.0, in_chord / 0.4) * 0.08;
    gint note, h;

    for (note = 0; note < 3; note++)
      for (h = 1; h <= 4; h++)
        mono[i] += env / h * sin (2 * G_PI * chords[chord][note] * h * t);
  }
}

static gdouble
beat_period (const DrumTrack * track, gdouble t)
{
  gdouble bpm = track->bpm_after > 0 && t >= track->change_at_s ?
      track->bpm_after : track->bpm;

  bpm *= 1 + track->drift * sin (2 * G_PI * t / track->duration_s);
  return 60.0 / bpm;
}

gboolean
drums_write_wav (const gchar * path, const gfloat * stereo, gsize n_frames,
    GError ** error)
{
  guint32 data_size = n_frames * 2 * sizeof (gint16);
  g_autoptr (GByteArray) wav =
      g_byte_array_sized_new (WAV_HEADER_SIZE + data_size);
  guint8 header[WAV_HEADER_SIZE];
  gsize i;

  wav_header (header, RATE, 2, data_size);
  g_byte_array_append (wav, header, sizeof (header));
  for (i = 0; i < 2 * n_frames; i++) {
    guint16 sample = GUINT16_TO_LE ((guint16) (gint16)
        lrintf (CLAMP (stereo[i], -1.0f, 1.0f) * 32767));

    g_byte_array_append (wav, (const guint8 *) &sample, 2);
  }
  return g_file_set_contents (path, (const gchar *) wav->data, wav->len,
      error);
}

GArray *
drums_write (const DrumTrack * track, const gchar * path, GError ** error)
{
  gsize n = (gsize) (track->duration_s * RATE);
  g_autofree gfloat *mono = g_new0 (gfloat, n);
  g_autofree gfloat *stereo = g_new (gfloat, 2 * n);
  g_autoptr (GRand) rand = g_rand_new_with_seed (4);
  g_autoptr (GArray) beats = g_array_new (FALSE, FALSE, sizeof (gdouble));
  gdouble t;
  gint k;
  gsize i;

  for (t = track->intro_s, k = 0; t < track->duration_s;
      t += beat_period (track, t), k++) {
    gsize at = (gsize) llround (t * RATE);
    gsize off = (gsize) llround ((t + track->swing * beat_period (track, t))
        * RATE);

    g_array_append_val (beats, t);
    add_kick (mono, n, at, k % 4 == 0 ? 0.9 : 0.6);
    if (k % 2 == 1 && !track->no_snare)
      add_noise_hit (mono, n, at, 0.3, 0.05, 185, rand);
    if (!track->offbeat_hats)
      add_noise_hit (mono, n, at, 0.08, 0.02, 0, rand);
    if (off < n)
      add_noise_hit (mono, n, off, 0.12, 0.02, 0, rand);
  }
  if (track->pads)
    drums_add_pads (mono, n, track->intro_s, 4 * 60.0 / track->bpm);

  for (i = 0; i < n; i++)
    stereo[2 * i] = stereo[2 * i + 1] = 0.7f * mono[i];
  if (!drums_write_wav (path, stereo, n, error))
    return NULL;
  return g_steal_pointer (&beats);
}

gboolean
drums_write_clicks (const gchar * path, guint seconds, GError ** error)
{
  const guint rate = 8000;
  guint32 n = seconds * rate, i;
  g_autofree guint8 *wav = g_malloc (WAV_HEADER_SIZE + 2 * n);
  gint16 *pcm = (gint16 *) (wav + WAV_HEADER_SIZE);

  wav_header (wav, rate, 1, 2 * n);
  for (i = 0; i < n; i++)
    pcm[i] = GINT16_TO_LE (i % (rate / 2) < 80 ? 16000 : 0);
  return g_file_set_contents (path, (const gchar *) wav, WAV_HEADER_SIZE +
      2 * n, error);
}
