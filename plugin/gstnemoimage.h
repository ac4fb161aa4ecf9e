/* Pictures that arrive as tags (GST_TAG_IMAGE), as files the library can
 * read.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef __GST_NEMO_IMAGE_H__
#define __GST_NEMO_IMAGE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* Write @sample (an image tag's) to @dir/@basename.<subtype> ("cover.jpeg"):
 * its path, or NULL when it is not an image (an ID3 picture can be a
 * link), or NULL with @error when it cannot be written. */
gchar *gst_nemo_image_sample_save (GstSample * sample, const gchar * dir,
    const gchar * basename, GError ** error);

G_END_DECLS

#endif
