/* nemorender: music + pictures in, a finished music-video MP4 out.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef __GST_NEMO_RENDER_H__
#define __GST_NEMO_RENDER_H__

#include <gst/gst.h>
#include <nemo/job.h>

G_BEGIN_DECLS

#define GST_TYPE_NEMO_RENDER_BACKEND (gst_nemo_render_backend_get_type ())
GType gst_nemo_render_backend_get_type (void);

typedef enum
{
  GST_NEMO_RENDER_BACKEND_AUTO,
  GST_NEMO_RENDER_BACKEND_LOCAL,
  GST_NEMO_RENDER_BACKEND_CLOUD,
} GstNemoRenderBackend;

#define GST_TYPE_NEMO_RENDER (gst_nemo_render_get_type ())
G_DECLARE_FINAL_TYPE (GstNemoRender, gst_nemo_render, GST, NEMO_RENDER,
    GstElement)

GST_ELEMENT_REGISTER_DECLARE (nemorender);

G_END_DECLS

#endif
