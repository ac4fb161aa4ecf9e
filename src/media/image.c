/* nemorender media layer: decode a still picture. */
#include "media-private.h"

AVFrame *
nemo_media_decode_image (const gchar * path, GError ** error)
{
  g_autoptr (NemoDecoder) dec = NULL;
  AVFrame *frame = NULL;
  gint index, got;

  dec = nemo_decoder_open (path, error);
  if (!dec)
    return NULL;

  /* an MP3's cover is a picture too */
  index = nemo_decoder_find_video (dec, TRUE);
  if (index < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
        "“%s” has no picture in it. Use an image (JPEG, PNG, GIF, WebP) or "
        "a video.", path);
    return NULL;
  }
  if (!nemo_decoder_select (dec, index, error))
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
