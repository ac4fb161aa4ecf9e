/* nemorender audio analysis: the beat tracker's settings, open to the
 * accuracy bench (tests/bench/beats-accuracy.c) so it can compare them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_ANALYSIS_PRIVATE_H
#define NEMO_ANALYSIS_PRIVATE_H

#include <nemo/analysis.h>

G_BEGIN_DECLS

typedef struct
{
  const gchar *method;          /* aubio's onset function, e.g. "energy" */
  guint hop;                    /* samples at NEMO_AUDIO_RATE */
  guint window;
  gboolean refine;              /* move each beat to the attack within 30 ms */
} NemoBeatSettings;

/* What nemo_analysis_beats() uses. */
void nemo_beat_settings_init_default (NemoBeatSettings * settings);

NemoBeats *nemo_analysis_beats_with (const gchar * path,
    gint64 max_duration_us, const NemoBeatSettings * settings,
    GCancellable * cancellable, GError ** error);

G_END_DECLS

#endif
