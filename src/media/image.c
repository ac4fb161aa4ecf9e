/* nemorender media layer: decode a still picture.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "media-private.h"

AVFrame *
nemo_media_decode_image (const gchar * path, GError ** error)
{
  g_autoptr (NemoDecoder) dec = NULL;
  AVFrame *frame = NULL;
  gint got;

  dec = nemo_decoder_open_picture (path,
      "Use an image (JPEG, PNG, GIF, WebP) or a video.", error);
  if (!dec)
    return NULL;

  frame = av_frame_alloc ();
  got = nemo_decoder_next (dec, frame, error);
  if (got == 0)
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
        "“%s” has a picture stream with no picture in it. Export or "
        "download it again.", path);
  if (got <= 0)
    av_frame_free (&frame);
  return frame;
}
