/* The nemo plugin: registers nemorender and nemovisualizer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/gst.h>

#include "gstnemorender.h"
#include "gstnemovisualizer.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ok = GST_ELEMENT_REGISTER (nemorender, plugin);

  ok &= GST_ELEMENT_REGISTER (nemovisualizer, plugin);
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, nemo,
    "Music videos from audio and pictures, rendered locally with FFmpeg",
    plugin_init, PACKAGE_VERSION, "GPL", PACKAGE_NAME,
    "https://github.com/nemorender/nemorender")
