/* nemorender: the seconds left in a stage, told from its pace.
 *
 * A stage reports how far it is (0–100 %).  The estimate leaves out the
 * stage's start (opening files, filling the encoder's pipeline), which is
 * slower than the rest, and moves the predicted end gradually, so that a
 * person watching it sees it count down instead of jump.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_ETA_H
#define NEMO_ETA_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  /*< private > */
  gint64 ref_us;
  gdouble ref_percent;
  gint64 end_us;                /* the predicted end; 0 until there is one */
} NemoEta;

/* Start over for a stage that begins now. */
void nemo_eta_reset (NemoEta * eta);

/* The stage is at @percent at monotonic time @now_us.  TRUE with the
 * seconds left in *@seconds_left once the pace can be told. */
gboolean nemo_eta_update (NemoEta * eta, gint64 now_us, gdouble percent,
    gdouble * seconds_left);

G_END_DECLS
#endif /* NEMO_ETA_H */
