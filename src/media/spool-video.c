/* nemorender media layer: the raw video spool.  Frames are stored as
 * lossless H.264 (libx264, ultrafast, qp 0) in Matroska.  A run of
 * identical frames is stored once: each distinct frame is held back until
 * the next one differs (or the spool finishes), then encoded with the
 * duration of its whole run.  An endless imagefreeze thus costs one frame,
 * and a spool with one distinct frame is a one-frame file: a still.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "media-private.h"

#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

struct _NemoSpoolVideo
{
  NemoOutput *mux;
  AVStream *st;
  AVCodecContext *enc;
  AVPacket *pkt;
  struct SwsContext *sws;       /* NULL when frames are copied as they are */
  enum AVPixelFormat in_format;
  gint width, height;
  gint64 frame_us;              /* one frame at the nominal rate */
  AVFrame *input;               /* the incoming frame, copied (when converted) */
  AVFrame *scratch;             /* the incoming frame, converted */
  AVFrame *held;                /* the last distinct frame, not encoded yet */
  gboolean have_held;
  gint64 held_pts_us;
  gint64 last_pts_us;           /* of the latest frame, repeated or not */
  gint64 n_in;                  /* frames received */
  /* durations of the frames inside the encoder, oldest first (no B-frames:
   * packets come out in the order frames went in) */
  GArray *durations;
};

static enum AVPixelFormat
to_av_format (NemoPixelFormat format)
{
  static const enum AVPixelFormat formats[] = {
    [NEMO_PIXEL_I420] = AV_PIX_FMT_YUV420P,
    [NEMO_PIXEL_NV12] = AV_PIX_FMT_NV12,
    [NEMO_PIXEL_Y42B] = AV_PIX_FMT_YUV422P,
    [NEMO_PIXEL_Y444] = AV_PIX_FMT_YUV444P,
    [NEMO_PIXEL_RGBA] = AV_PIX_FMT_RGBA,
    [NEMO_PIXEL_BGRA] = AV_PIX_FMT_BGRA,
    [NEMO_PIXEL_RGBX] = AV_PIX_FMT_RGB0,
    [NEMO_PIXEL_BGRX] = AV_PIX_FMT_BGR0,
    [NEMO_PIXEL_RGB] = AV_PIX_FMT_RGB24,
    [NEMO_PIXEL_BGR] = AV_PIX_FMT_BGR24,
    /* the J formats tell swscale the range; it converts to TV range */
    [NEMO_PIXEL_I420_FULL_RANGE] = AV_PIX_FMT_YUVJ420P,
    [NEMO_PIXEL_Y42B_FULL_RANGE] = AV_PIX_FMT_YUVJ422P,
    [NEMO_PIXEL_Y444_FULL_RANGE] = AV_PIX_FMT_YUVJ444P,
  };

  if ((guint) format >= G_N_ELEMENTS (formats))
    return AV_PIX_FMT_NONE;
  return formats[format];
}

/* Lossless H.264, 4:2:0 when the size allows: x264 needs even sizes for
 * it, so odd ones are kept whole in 4:4:4. */
static gboolean
open_encoder (NemoSpoolVideo * video, gint fps_n, gint fps_d,
    GError ** error)
{
  NemoH264Settings settings = {
    .use = NEMO_H264_LOSSLESS,
    .width = video->width,
    .height = video->height,
    .pix_fmt = video->width % 2 == 0 && video->height % 2 == 0 ?
        AV_PIX_FMT_YUV420P : AV_PIX_FMT_YUV444P,
    .time_base = AV_TIME_BASE_Q,
    .framerate = {fps_n, fps_d},
  };

  video->enc = nemo_output_open_h264 (&settings, video->mux, error);
  if (!video->enc)
    return FALSE;
  video->st = nemo_output_add_stream (video->mux, video->enc, error);
  return video->st != NULL;
}

static AVFrame *
alloc_picture (NemoSpoolVideo * video, enum AVPixelFormat format)
{
  AVFrame *frame = av_frame_alloc ();

  frame->format = format;
  frame->width = video->width;
  frame->height = video->height;
  if (av_frame_get_buffer (frame, 0) < 0)
    av_frame_free (&frame);
  return frame;
}

NemoSpoolVideo *
nemo_spool_video_new (const gchar * path, NemoPixelFormat format,
    gint width, gint height, gint fps_n, gint fps_d, GError ** error)
{
  NemoSpoolVideo *video;

  if (to_av_format (format) == AV_PIX_FMT_NONE || width <= 0 || height <= 0
      || width > NEMO_MAX_IMAGE_SIDE || height > NEMO_MAX_IMAGE_SIDE
      || fps_n < 0 || fps_d <= 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "Cannot record raw video in format %d at %d×%d, %d/%d fps for “%s”: "
        "give a known format, a size of 1 to %d px a side and a frame rate "
        "(0/1 for a still or a variable rate).",
        format, width, height, fps_n, fps_d, path, NEMO_MAX_IMAGE_SIDE);
    return NULL;
  }

  video = g_new0 (NemoSpoolVideo, 1);
  video->in_format = to_av_format (format);
  video->width = width;
  video->height = height;
  /* a still (0/1, as image decoders send) lasts one nominal 30 fps frame
   * until a later frame or the end says otherwise */
  video->frame_us = fps_n > 0 ? av_rescale (G_USEC_PER_SEC, fps_d, fps_n) :
      G_USEC_PER_SEC / 30;
  video->durations = g_array_new (FALSE, FALSE, sizeof (gint64));
  video->pkt = av_packet_alloc ();

  video->mux = nemo_output_open (path, NEMO_CONTAINER_MATROSKA, error);
  if (!video->mux || !open_encoder (video, fps_n, fps_d, error))
    goto fail;

  if (video->in_format != video->enc->pix_fmt) {
    video->sws = sws_getContext (width, height, video->in_format, width,
        height, video->enc->pix_fmt, SWS_BILINEAR | SWS_ACCURATE_RND, NULL,
        NULL, NULL);
    video->input = alloc_picture (video, video->in_format);
  }
  video->scratch = alloc_picture (video, video->enc->pix_fmt);
  video->held = alloc_picture (video, video->enc->pix_fmt);
  if ((video->in_format != video->enc->pix_fmt && (!video->sws ||
              !video->input)) || !video->scratch || !video->held) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Could not set up the conversion of %d×%d %s frames for “%s”.",
        width, height, av_get_pix_fmt_name (video->in_format), path);
    goto fail;
  }

  if (!nemo_output_start (video->mux, error))
    goto fail;
  return video;

fail:
  nemo_spool_video_free (video);
  return NULL;
}

static gboolean
pictures_equal (const AVFrame * a, const AVFrame * b)
{
  const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get (a->format);
  gint plane, row;

  for (plane = 0; plane < 3; plane++) {
    gint rows = plane == 0 ? a->height :
        AV_CEIL_RSHIFT (a->height, desc->log2_chroma_h);
    gint bytes = av_image_get_linesize (a->format, a->width, plane);

    for (row = 0; row < rows; row++)
      if (memcmp (a->data[plane] + (gsize) row * a->linesize[plane],
              b->data[plane] + (gsize) row * b->linesize[plane], bytes) != 0)
        return FALSE;
  }
  return TRUE;
}

/* Muxes what the encoder has ready (after the end: everything). */
static gboolean
write_packets (NemoSpool * spool, GError ** error)
{
  NemoSpoolVideo *video = spool->video;
  int ret;

  for (;;) {
    ret = avcodec_receive_packet (video->enc, video->pkt);
    if (ret == AVERROR (EAGAIN) || ret == AVERROR_EOF)
      return TRUE;
    if (ret < 0) {
      nemo_output_set_error (error, spool->path, "encode a frame for", ret);
      return FALSE;
    }
    if (video->durations->len > 0) {
      video->pkt->duration = g_array_index (video->durations, gint64, 0);
      g_array_remove_index (video->durations, 0);
    }
    video->pkt->stream_index = video->st->index;
    av_packet_rescale_ts (video->pkt, video->enc->time_base,
        video->st->time_base);
    if (!nemo_output_write_in_order (video->mux, video->pkt, error))
      return FALSE;
  }
}

/* Encodes the held frame, now that its run is known to last @duration_us. */
static gboolean
encode_held (NemoSpool * spool, gint64 duration_us, GError ** error)
{
  NemoSpoolVideo *video = spool->video;
  int ret;

  video->held->pts = video->held_pts_us;
  g_array_append_val (video->durations, duration_us);
  ret = avcodec_send_frame (video->enc, video->held);
  if (ret < 0) {
    nemo_output_set_error (error, spool->path, "encode a frame for", ret);
    return FALSE;
  }
  video->have_held = FALSE;
  return write_packets (spool, error);
}

gboolean
nemo_spool_video_write (NemoSpool * spool, const guint8 * const planes[4],
    const gint strides[4], gint64 pts_us, GError ** error)
{
  NemoSpoolVideo *video = spool->video;
  AVFrame *tmp;
  int ret;

  if (pts_us < 0)
    pts_us = video->n_in * video->frame_us;
  /* the muxer needs increasing times: a repeated stamp moves up a µs */
  if (video->n_in > 0 && pts_us <= video->last_pts_us)
    pts_us = video->last_pts_us + 1;
  video->n_in++;

  /* the encoder may still hold a reference to the old picture */
  ret = av_frame_make_writable (video->scratch);
  if (ret < 0) {
    nemo_output_set_error (error, spool->path, "encode a frame for", ret);
    return FALSE;
  }
  if (video->sws) {
    /* swscale reads whole SIMD blocks, past the end of a tightly packed
     * buffer: convert from a padded copy */
    av_image_copy (video->input->data, video->input->linesize,
        (const guint8 **) planes, strides, video->in_format, video->width,
        video->height);
    sws_scale (video->sws, (const guint8 * const *) video->input->data,
        video->input->linesize, 0, video->height, video->scratch->data,
        video->scratch->linesize);
  } else
    av_image_copy (video->scratch->data, video->scratch->linesize,
        (const guint8 **) planes, strides, video->in_format, video->width,
        video->height);

  video->last_pts_us = pts_us;
  spool->duration_us = pts_us + video->frame_us;
  if (video->have_held && pictures_equal (video->scratch, video->held))
    return TRUE;

  if (video->have_held &&
      !encode_held (spool, pts_us - video->held_pts_us, error))
    return FALSE;
  tmp = video->held;
  video->held = video->scratch;
  video->scratch = tmp;
  video->held_pts_us = pts_us;
  video->have_held = TRUE;
  spool->count++;
  return TRUE;
}

gboolean
nemo_spool_video_write_packed (NemoSpool * spool, const guint8 * data,
    gsize size, gint64 pts_us, GError ** error)
{
  NemoSpoolVideo *video = spool->video;
  guint8 *planes[4];
  gint strides[4];
  int expected;

  /* GStreamer's default layout: rows padded to 4 bytes, planes back to
   * back */
  expected = av_image_get_buffer_size (video->in_format, video->width,
      video->height, 4);
  if (expected < 0 || size != (gsize) expected) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "A raw video buffer of %" G_GSIZE_FORMAT " bytes is not one %d×%d "
        "%s frame (%d bytes) for “%s”.", size, video->width, video->height,
        av_get_pix_fmt_name (video->in_format), expected, spool->path);
    return FALSE;
  }
  av_image_fill_arrays (planes, strides, data, video->in_format,
      video->width, video->height, 4);
  return nemo_spool_video_write (spool, (const guint8 * const *) planes,
      strides, pts_us, error);
}

gboolean
nemo_spool_video_finish (NemoSpool * spool, GError ** error)
{
  NemoSpoolVideo *video = spool->video;
  gboolean ok = TRUE;
  int ret;

  /* the last run lasts until the end of the last frame received */
  if (video->have_held)
    ok = encode_held (spool, spool->duration_us - video->held_pts_us, error);
  if (ok) {
    ret = avcodec_send_frame (video->enc, NULL);
    if (ret < 0) {
      nemo_output_set_error (error, spool->path, "encode a frame for", ret);
      ok = FALSE;
    }
  }
  return ok && write_packets (spool, error)
      && nemo_output_finish (video->mux, error);
}

void
nemo_spool_video_free (NemoSpoolVideo * video)
{
  nemo_output_free (video->mux);
  avcodec_free_context (&video->enc);
  sws_freeContext (video->sws);
  av_frame_free (&video->input);
  av_frame_free (&video->scratch);
  av_frame_free (&video->held);
  av_packet_free (&video->pkt);
  g_array_unref (video->durations);
  g_free (video);
}
