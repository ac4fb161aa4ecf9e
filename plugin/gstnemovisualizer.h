/* nemovisualizer: audio in, the renderer's look as live video out.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef __GST_NEMO_VISUALIZER_H__
#define __GST_NEMO_VISUALIZER_H__

#include <gst/pbutils/gstaudiovisualizer.h>

G_BEGIN_DECLS

#define GST_TYPE_NEMO_VISUALIZER (gst_nemo_visualizer_get_type ())
G_DECLARE_FINAL_TYPE (GstNemoVisualizer, gst_nemo_visualizer, GST,
    NEMO_VISUALIZER, GstAudioVisualizer)

GST_ELEMENT_REGISTER_DECLARE (nemovisualizer);

G_END_DECLS

#endif
