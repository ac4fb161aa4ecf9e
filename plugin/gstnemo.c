/* The nemo plugin: registers the nemorender element.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/gst.h>

#include "gstnemorender.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  return GST_ELEMENT_REGISTER (nemorender, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, nemo,
    "Music videos from audio and pictures, rendered locally with FFmpeg",
    plugin_init, PACKAGE_VERSION, "GPL", PACKAGE_NAME,
    "https://github.com/nemorender/nemorender")
