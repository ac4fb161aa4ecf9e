/* Drum tracks with known beats, for the beat tracker's tests and bench.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_TEST_DRUMS_H
#define NEMO_TEST_DRUMS_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gdouble bpm;
  gdouble bpm_after;            /* tempo from change_at_s on; 0: no change */
  gdouble change_at_s;
  gdouble intro_s;              /* silence before the first beat */
  gdouble duration_s;
  gdouble swing;                /* where the off-beat hat falls in a beat: 0.5 straight, 0.67 swung */
  gboolean pads;                /* sustained chords over the drums */
  gboolean offbeat_hats;         /* hats only between the beats (house), none on them */
  gboolean no_snare;            /* kick and hats only */
  gdouble drift;                /* the tempo swings by this share (0.03: ±3 %), one slow sine over the track */
} DrumTrack;

/* Four on the floor: a kick on every beat (louder on the first of each bar
 * of 4), snare on 2 and 4, hats on and between the beats.  Writes a 48 kHz
 * stereo 16-bit WAV at @path and returns the beat times in seconds. */
GArray *drums_write (const DrumTrack * track, const gchar * path,
    GError ** error);

/* Chords of saw-like notes over @mono (@n samples at 48 kHz) from
 * @start_s on, changing every two bars of @bar_s, slow to rise. */
void drums_add_pads (gfloat * mono, gsize n, gdouble start_s, gdouble bar_s);

/* A long song, cheap to write: @seconds of a click every half second
 * (120 BPM), 8 kHz mono 16-bit (decoded to 48 kHz stereo like any song). */
gboolean drums_write_clicks (const gchar * path, guint seconds,
    GError ** error);

/* A WAV of @n_frames stereo frames, 48 kHz, 16-bit. */
gboolean drums_write_wav (const gchar * path, const gfloat * stereo,
    gsize n_frames, GError ** error);

G_END_DECLS

#endif
