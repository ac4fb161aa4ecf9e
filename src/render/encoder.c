/* The renderer's H.264 encoder: the output stack's delivery settings
 * (src/output/output.c: YouTube's, and the still fast path's) for the
 * render's size, rate, quality, cap and GOP, and the packets handed on one
 * by one.  Once drained, x264 is closed at once: its frames (about 60 MB
 * at 1080p) are not kept while the muxer finishes, the still fast path
 * copies its GOPs or the MP4's index is written.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "render-private.h"

#include <nemo/error.h>
#include "output.h"
#include <math.h>

struct _NemoVideoEncoder
{
  AVCodecContext *codec;
  AVPacket *packet;
};

gint
nemo_video_gop (const NemoRenderOptions * options)
{
  if (options->keyframe_interval > 0)
    return options->keyframe_interval;
  return MAX ((gint) lround (options->fps_n / (2.0 * options->fps_d)), 1);
}

NemoVideoEncoder *
nemo_video_encoder_new (const NemoRenderOptions * options, gboolean still,
    GError ** error)
{
  NemoH264Settings settings = {
    .use = still ? NEMO_H264_STILL : NEMO_H264_DELIVERY,
    .width = options->width,
    .height = options->height,
    .pix_fmt = AV_PIX_FMT_YUV420P,
    .time_base = {options->fps_d, options->fps_n},
    .framerate = {options->fps_n, options->fps_d},
    .sample_aspect_ratio = {1, 1},
    .gop = nemo_video_gop (options),
    .crf = options->quality,
    /* a buffer of one second of the cap */
    .max_rate = options->video_bitrate_kbps * 1000LL,
    .buffer_size = options->video_bitrate_kbps * 1000LL,
  };
  NemoVideoEncoder *encoder;

  encoder = g_new0 (NemoVideoEncoder, 1);
  encoder->codec = nemo_output_open_h264 (&settings, NULL, error);
  if (encoder->codec == NULL) {
    nemo_video_encoder_free (encoder);
    return NULL;
  }
  encoder->packet = av_packet_alloc ();
  return encoder;
}

void
nemo_video_encoder_free (NemoVideoEncoder * encoder)
{
  if (encoder == NULL)
    return;
  avcodec_free_context (&encoder->codec);
  av_packet_free (&encoder->packet);
  g_free (encoder);
}

const AVCodecContext *
nemo_video_encoder_get_context (NemoVideoEncoder * encoder)
{
  return encoder->codec;
}

gboolean
nemo_video_encoder_encode (NemoVideoEncoder * encoder, AVFrame * frame,
    NemoPacketFunc func, gpointer user_data, GError ** error)
{
  int ret;

  if (frame != NULL) {
    /* Pictures keep the type their decoder gave them; an I here would force
     * a keyframe in the middle of a GOP. */
    frame->pict_type = AV_PICTURE_TYPE_NONE;
  }
  ret = avcodec_send_frame (encoder->codec, frame);
  while (ret >= 0) {
    gboolean written;

    ret = avcodec_receive_packet (encoder->codec, encoder->packet);
    if (ret < 0)
      break;
    /* Constant frame rate: every frame lasts one tick. */
    encoder->packet->duration = 1;
    written = func (encoder->packet, user_data, error);
    av_packet_unref (encoder->packet);
    if (!written)
      return FALSE;
  }
  if (ret == AVERROR_EOF)
    avcodec_free_context (&encoder->codec);
  if (ret == AVERROR (EAGAIN) || ret == AVERROR_EOF)
    return TRUE;
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
      "Encoding the video to H.264 failed (%s).", av_err2str (ret));
  return FALSE;
}
