/* nemo_render_thumbnail(): a JPEG of one frame of the draft.
 *
 * The frame is the one shown at a third of the length, drawn as the video
 * draws it (the timeline's picture, the overlay's layers over it) but
 * straight at the thumbnail's size, so it is sharp rather than scaled
 * down from the video.  A third in is past any fade-in and intro, in the
 * body of the song; for a montage it is a shot from the middle, not the
 * first one.  Which layers it has is the caller's: the job gives a draft
 * with the track info and without a visualizer (job.c).
 *
 * The overlay's frame is yuv420p, BT.709 TV range; a JPEG is JFIF, BT.601
 * full range, which is what every viewer assumes.  swscale converts the
 * matrix only on the way to and from RGB, so the frame goes through RGB.
 * libavcodec's mjpeg encoder makes the JPEG, and GLib writes it to a
 * temporary file next to @path and renames it: @path is whole or absent.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "render-private.h"

#include <nemo/error.h>
#include "output.h"
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <math.h>

/* YouTube's thumbnail: 1280x720, the long side of any other shape */
#define THUMBNAIL_LONG_SIDE 1280

void
nemo_render_thumbnail_size (gint width, gint height, gint * thumbnail_width,
    gint * thumbnail_height)
{
  gint long_side = MAX (width, height);
  gint short_side = (gint) lround ((gdouble) MIN (width, height)
      * THUMBNAIL_LONG_SIDE / long_side / 2) * 2;

  *thumbnail_width = width >= height ? THUMBNAIL_LONG_SIDE : short_side;
  *thumbnail_height = width >= height ? short_side : THUMBNAIL_LONG_SIDE;
}

/* The draft's frame at a third of its length, @width x @height, with its
 * layers; a new reference. */
static AVFrame *
draw_frame (const NemoDraft * draft, const NemoRenderOptions * options,
    gint width, gint height, GError ** error)
{
  g_autoptr (NemoTimeline) timeline = NULL;
  g_autoptr (NemoOverlay) overlay = NULL;
  gint64 duration_us = MAX (draft->duration_ms, 0) * 1000;
  gint64 t_us = duration_us / 3;
  gint64 index = t_us * options->fps_n / (options->fps_d * G_USEC_PER_SEC);
  AVFrame *frame;

  timeline = nemo_timeline_new (draft, width, height, error);
  if (timeline == NULL)
    return NULL;
  frame = nemo_timeline_frame_at (timeline, t_us, error);
  overlay = nemo_overlay_new (draft, width, height, options->fps_n,
      options->fps_d, &options->safe_area);
  if (frame != NULL && overlay != NULL) {
    nemo_overlay_set_duration (overlay, duration_us);
    frame = nemo_overlay_draw (overlay, frame, index, error);
  }
  return frame ? av_frame_clone (frame) : NULL;
}

/* @frame converted to @format: from the @from_space matrix and range to
 * the @to_space ones (SWS_CS_*; range 1 is full). */
static AVFrame *
convert (const AVFrame * frame, enum AVPixelFormat format, gint from_space,
    gint from_range, gint to_space, gint to_range, GError ** error)
{
  struct SwsContext *sws = NULL;
  AVFrame *out = av_frame_alloc ();
  int ret = AVERROR (ENOMEM);

  if (out == NULL)
    goto end;
  out->format = format;
  out->width = frame->width;
  out->height = frame->height;
  out->color_range = to_range ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
  ret = av_frame_get_buffer (out, 0);
  if (ret < 0)
    goto end;
  sws = sws_getContext (frame->width, frame->height, frame->format,
      out->width, out->height, format, SWS_BICUBIC | SWS_ACCURATE_RND, NULL,
      NULL, NULL);
  ret = sws ? sws_setColorspaceDetails (sws, sws_getCoefficients (from_space),
      from_range, sws_getCoefficients (to_space), to_range, 0, 1 << 16,
      1 << 16) : AVERROR (EINVAL);
  if (ret >= 0)
    ret = sws_scale (sws, (const uint8_t * const *) frame->data,
        frame->linesize, 0, frame->height, out->data, out->linesize);

end:
  sws_freeContext (sws);
  if (ret < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Could not convert the thumbnail's %dx%d frame to %s (%s).",
        frame->width, frame->height, av_get_pix_fmt_name (format),
        av_err2str (ret));
    av_frame_free (&out);
  }
  return out;
}

/* @frame (yuvj420p) as a JPEG in @packet. */
static gboolean
encode_jpeg (AVFrame * frame, AVPacket * packet, GError ** error)
{
  AVCodecContext *jpeg = nemo_output_open_picture (NEMO_PICTURE_JPEG,
      frame->width, frame->height, frame->format, error);
  gboolean ret;

  if (jpeg == NULL)
    return FALSE;
  ret = nemo_output_encode_picture (jpeg, frame, packet, error);
  avcodec_free_context (&jpeg);
  return ret;
}

/* @packet to @path through a temporary file renamed into place. */
static gboolean
write_file (const AVPacket * packet, const gchar * path, GError ** error)
{
  GError *io = NULL;

  if (g_file_set_contents_full (path, (const gchar *) packet->data,
          packet->size, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &io))
    return TRUE;
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_IO,
      "Could not write the thumbnail “%s”: %s. Check that its folder "
      "exists and can be written, or set thumbnail-location elsewhere.",
      path, io->message);
  g_error_free (io);
  return FALSE;
}

gboolean
nemo_render_thumbnail (const NemoDraft * draft,
    const NemoRenderOptions * options, const gchar * path, GError ** error)
{
  AVFrame *frame = NULL, *rgb = NULL, *jpeg = NULL;
  AVPacket *packet = av_packet_alloc ();
  gboolean ret = FALSE;
  gint width, height;

  g_return_val_if_fail (draft != NULL && options != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  nemo_render_thumbnail_size (options->width, options->height, &width,
      &height);
  frame = draw_frame (draft, options, width, height, error);
  if (frame == NULL)
    goto end;
  rgb = convert (frame, AV_PIX_FMT_RGB24, SWS_CS_ITU709, 0, SWS_CS_ITU709, 1,
      error);
  if (rgb == NULL)
    goto end;
  jpeg = convert (rgb, AV_PIX_FMT_YUVJ420P, SWS_CS_ITU601, 1, SWS_CS_ITU601,
      1, error);
  if (jpeg == NULL || !encode_jpeg (jpeg, packet, error))
    goto end;
  ret = write_file (packet, path, error);

end:
  av_frame_free (&frame);
  av_frame_free (&rgb);
  av_frame_free (&jpeg);
  av_packet_free (&packet);
  return ret;
}
