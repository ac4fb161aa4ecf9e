/* H.264 with YouTube's recommended upload settings: High profile, yuv420p,
 * BT.709 TV range, constant frame rate, closed GOPs of half the frame rate
 * (or options->keyframe_interval frames) with 2 B-frames.
 *
 * The default quality, crf 18, is visually lossless for covers and clips at
 * a fraction of the size of a fixed high bitrate; preset "veryfast" keeps
 * renders quick on small machines (the benchmark compares presets).  A
 * bitrate cap is x264's VBV: maxrate the cap, a buffer of one second of it,
 * so no second of video holds much more than the cap, and the whole file
 * averages under it but for that one buffer.  Scene-cut detection is off so
 * keyframes fall every GOP exactly: the still-image fast path in render.c
 * relies on that.
 *
 * Memory: each frame x264 holds costs about 15 MB at 1080p (the picture,
 * its half-pel planes, the lowres copy for the lookahead).  The fast path
 * encodes three GOPs of one picture, where a long lookahead and frame
 * threads (10 + 3 frames in flight with "veryfast" on 2 cores) only add
 * frames: it gets one thread, a lookahead of the 2 B-frames (enough for
 * mbtree, which keeps the GOP small), B-frames that are not references and
 * no half-pel planes (subme=0: nothing moves).  That is 270 MB peak down to
 * 115 MB for a 1080p job.  Every other job keeps the preset's settings,
 * for speed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "render-private.h"

#include <nemo/error.h>
#include <libavutil/opt.h>
#include <math.h>

#define X264_PRESET "veryfast"

/* the still-image fast path: see above */
#define X264_STILL_PARAMS \
  "scenecut=0:threads=1:rc-lookahead=2:sync-lookahead=0:b-pyramid=none:subme=0"

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
  const AVCodec *x264 = avcodec_find_encoder_by_name ("libx264");
  gint width = options->width, height = options->height;
  gint fps_n = options->fps_n, fps_d = options->fps_d;
  NemoVideoEncoder *encoder;
  AVCodecContext *codec;
  int ret;

  if (x264 == NULL) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "This FFmpeg has no H.264 encoder (libx264). Install an FFmpeg built "
        "with --enable-libx264.");
    return NULL;
  }

  encoder = g_new0 (NemoVideoEncoder, 1);
  encoder->packet = av_packet_alloc ();
  encoder->codec = codec = avcodec_alloc_context3 (x264);
  codec->width = width;
  codec->height = height;
  codec->pix_fmt = AV_PIX_FMT_YUV420P;
  codec->sample_aspect_ratio = (AVRational) { 1, 1 };
  codec->time_base = (AVRational) { fps_d, fps_n };
  codec->framerate = (AVRational) { fps_n, fps_d };
  codec->gop_size = nemo_video_gop (options);
  codec->keyint_min = codec->gop_size;
  codec->max_b_frames = 2;
  codec->profile = FF_PROFILE_H264_HIGH;
  codec->color_range = AVCOL_RANGE_MPEG;
  codec->color_primaries = AVCOL_PRI_BT709;
  codec->color_trc = AVCOL_TRC_BT709;
  codec->colorspace = AVCOL_SPC_BT709;
  codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER | AV_CODEC_FLAG_CLOSED_GOP;
  av_opt_set (codec->priv_data, "preset", X264_PRESET, 0);
  av_opt_set (codec->priv_data, "profile", "high", 0);
  av_opt_set_double (codec->priv_data, "crf", options->quality, 0);
  if (options->video_bitrate_kbps > 0) {
    codec->rc_max_rate = options->video_bitrate_kbps * 1000LL;
    codec->rc_buffer_size = (int) codec->rc_max_rate;
  }
  av_opt_set (codec->priv_data, "x264-params",
      still ? X264_STILL_PARAMS : "scenecut=0", 0);

  ret = avcodec_open2 (codec, x264, NULL);
  if (ret < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Could not open the H.264 encoder for %dx%d at %d/%d fps (%s).",
        width, height, fps_n, fps_d, av_err2str (ret));
    nemo_video_encoder_free (encoder);
    return NULL;
  }
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
  if (ret == AVERROR (EAGAIN) || ret == AVERROR_EOF)
    return TRUE;
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
      "Encoding the video to H.264 failed (%s).", av_err2str (ret));
  return FALSE;
}
