/* nemorender audio analysis: what the music does, for pictures that follow
 * it.
 *
 * - Beats: beat and tempo tracking over a whole file (onset functions
 *   from aubio's phase vocoder, the tempo and its octave from the whole
 *   song, then the beats; docs/beats.md), with a bar estimate and a
 *   strength per beat, for cutting clips on the beat.
 * - Spectrum: per video frame, log-frequency band levels, a level and a
 *   small waveform, computed from the render's PCM as it is decoded
 *   (FFmpeg's av_tx), for visualizers.
 *
 * No GStreamer in here.  Failures are GErrors in NEMO_ERROR.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_ANALYSIS_H
#define NEMO_ANALYSIS_H

#include <gio/gio.h>

G_BEGIN_DECLS

/* ---- beats ---- */

typedef struct
{
  gint64 time_us;               /* from the start of the file */
  gfloat energy;                /* strength of its attack, 0..1 (1: the strongest) */
  gboolean downbeat;            /* the first beat of a bar (bars of 4 beats) */
} NemoBeat;

typedef struct
{
  NemoBeat *beats;              /* sorted by time; NULL when n_beats is 0 */
  guint n_beats;
  gdouble bpm;                  /* prevailing tempo (mean interval near the median), 0 if no beats */
  guint bar_phase;              /* index of the first downbeat, 0..3 */
  gint64 duration_us;           /* audio analysed */
} NemoBeats;

/* Track the beats of the first audio stream of @path, up to
 * @max_duration_us (<= 0: all of it), at a tempo from 60 to 200 BPM.
 * Audio without a beat (silence, a drone) and audio shorter than 2.2 s
 * give no beats, which is not an error.  @cancellable is checked
 * throughout.  Errors are the media
 * layer's (NEMO_ERROR_NOT_FOUND, _UNSUPPORTED_MEDIA, _NO_AUDIO), and
 * NEMO_ERROR_CANCELLED. */
NemoBeats *nemo_analysis_beats (const gchar * path, gint64 max_duration_us,
    GCancellable * cancellable, GError ** error);
void nemo_beats_free (NemoBeats * beats);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoBeats, nemo_beats_free)

/* ---- per-frame spectrum and waveform ---- */

/* Points of the waveform: each is the min and max of its span. */
#define NEMO_SPECTRUM_WAVE_POINTS 128

typedef struct
{
  guint n_bands;
  const gfloat *bands;          /* n_bands levels 0..1, low to high frequency */
  gfloat rms;                   /* window's RMS, 0..1 (full-scale sine: 0.707) */
  /* the frame's own stretch of audio (one frame period centred on its
   * time), mono, in -1..1; silence is flat at 0 */
  const gfloat *wave_min;       /* NEMO_SPECTRUM_WAVE_POINTS values */
  const gfloat *wave_max;       /* NEMO_SPECTRUM_WAVE_POINTS values */
} NemoSpectrumFrame;

typedef struct _NemoSpectrum NemoSpectrum;

/* Analysis for video at @fps_n/@fps_d frames per second, with @n_bands
 * bands (1..256) spaced evenly in log frequency from 40 Hz to 16 kHz.
 * Frame i is analysed over 4096 samples centred on i * fps_d / fps_n s.
 * Levels map -60..0 dBFS to 0..1 (a full-scale sine reaches 1 in its
 * band), rise at once and fall by at most 1/0.4 s. */
NemoSpectrum *nemo_spectrum_new (gint fps_n, gint fps_d, guint n_bands);
/* Feed the render's audio in order: NEMO_AUDIO_RATE stereo interleaved
 * float, @n_frames sample frames.  A frame's analysis is ready once the
 * audio up to half a window past its time has come in. */
void nemo_spectrum_push (NemoSpectrum * spectrum,
    const gfloat * interleaved_stereo, gsize n_frames);
/* No more audio: the frames up to the end are analysed with silence
 * after it. */
void nemo_spectrum_finish (NemoSpectrum * spectrum);
/* From now on only the newest analysed frame is kept, for a live caller
 * that draws nothing older: memory stays flat however long it runs, and
 * nothing goes to disk.  Older frames read as silence. */
void nemo_spectrum_keep_newest (NemoSpectrum * spectrum);
/* Video frames analysed so far. */
gint64 nemo_spectrum_get_n_frames (NemoSpectrum * spectrum);
/* The analysis of video frame @frame_index; frames not analysed (past the
 * end, or not yet fed) are silence: all zero.  The result belongs to
 * @spectrum and is valid until the next call. */
const NemoSpectrumFrame *nemo_spectrum_get (NemoSpectrum * spectrum,
    gint64 frame_index);
void nemo_spectrum_free (NemoSpectrum * spectrum);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoSpectrum, nemo_spectrum_free)

/* ---- scene cuts of a clip ---- */

/* Where the first video stream of @path cuts to a new scene: the times
 * (gint64 µs from the clip's first frame, increasing) of the frames
 * FFmpeg's scene detector (libavfilter's scdet, threshold 10 %) finds
 * starting a scene, the first frame left out.  A still has none.  Errors
 * are the media layer's, NEMO_ERROR_ENCODE, and NEMO_ERROR_CANCELLED. */
GArray *nemo_analysis_scene_cuts (const gchar * path,
    GCancellable * cancellable, GError ** error);

G_END_DECLS

#endif
