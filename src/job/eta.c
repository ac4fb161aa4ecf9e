/* nemorender job: the seconds left in a stage (nemo/eta.h).
 *
 * The pace is measured from the first report past WARM_UP_PERCENT, not from
 * the stage's start: the first percent of an encode includes opening the
 * encoder and filling its lookahead, and counting it makes the first
 * estimates too long by a third.  Each new prediction of the end moves the
 * shown one by a fraction SMOOTHING, so a pace that wobbles from frame to
 * frame does not make the count jump.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/eta.h>

#define WARM_UP_PERCENT 1.0
/* The pace is told only over this much progress and time. */
#define MIN_SPAN_PERCENT 2.0
#define MIN_SPAN_US (G_USEC_PER_SEC / 2)
#define SMOOTHING 0.3

void
nemo_eta_reset (NemoEta * eta)
{
  eta->ref_us = 0;
  eta->ref_percent = -1.0;
  eta->end_us = 0;
}

gboolean
nemo_eta_update (NemoEta * eta, gint64 now_us, gdouble percent,
    gdouble * seconds_left)
{
  gdouble span_percent;
  gint64 span_us, predicted_end_us;

  if (percent >= 100.0) {
    *seconds_left = 0.0;
    return TRUE;
  }
  if (eta->ref_percent < 0.0) {
    if (percent >= WARM_UP_PERCENT) {
      eta->ref_us = now_us;
      eta->ref_percent = percent;
    }
    return FALSE;
  }

  span_percent = percent - eta->ref_percent;
  span_us = now_us - eta->ref_us;
  if (span_percent < MIN_SPAN_PERCENT || span_us < MIN_SPAN_US)
    return FALSE;

  predicted_end_us = now_us + span_us * (100.0 - percent) / span_percent;
  if (eta->end_us == 0)
    eta->end_us = predicted_end_us;
  else
    eta->end_us += SMOOTHING * (predicted_end_us - eta->end_us);
  *seconds_left = MAX (eta->end_us - now_us, 0) / (gdouble) G_USEC_PER_SEC;
  return TRUE;
}
