/* The layout of an output frame: the source picture scaled to fit (aspect
 * kept, centred) over a blurred, darkened copy of itself scaled to cover the
 * whole frame, so there are never black bars and nothing is stretched.
 *
 * One libavfilter graph per source size and format:
 *
 *   buffer -> split -> [bg] cover at 1/8 size, blur, darken, upscale -+
 *                   -> [fg] fit, BT.709 TV range --------------------+-> overlay -> buffersink
 *
 * The fill is blurred at an eighth of the output size: cheap, and the
 * upscale softens it further.  A picture with the output's aspect covers the
 * frame by itself and skips the fill.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "render-private.h"

#include <nemo/error.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/mathematics.h>
#include <libavutil/pixdesc.h>
#include <string.h>

#define FILL_DOWNSCALE 8
/* Blur radius as a share of the fill's longer side. */
#define FILL_BLUR_SHARE 0.05
/* The fill is dimmed (luma) and a little less than that in colour, so it
 * reads as a darker wash of the picture's own colours. */
#define FILL_LUMA_GAIN 0.5
#define FILL_CHROMA_GAIN 0.65

struct _NemoLayout
{
  gint width, height;
  AVFilterGraph *graph;
  AVFilterContext *source, *sink;
  /* what the graph was built for */
  gint in_width, in_height, in_format;
  AVRational in_sar;
  gint64 next_pts;
};

NemoLayout *
nemo_layout_new (gint width, gint height)
{
  NemoLayout *layout = g_new0 (NemoLayout, 1);

  layout->width = width;
  layout->height = height;
  layout->in_format = AV_PIX_FMT_NONE;
  return layout;
}

void
nemo_layout_free (NemoLayout * layout)
{
  if (layout == NULL)
    return;
  avfilter_graph_free (&layout->graph);
  g_free (layout);
}

static gint
even (gint value)
{
  return MAX (value / 2 * 2, 2);
}

static gchar *
describe_graph (const NemoLayout * layout, const AVFrame * picture)
{
  const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get (picture->format);
  gboolean alpha = desc && (desc->flags & AV_PIX_FMT_FLAG_ALPHA);
  gint fill_width = even (layout->width / FILL_DOWNSCALE);
  gint fill_height = even (layout->height / FILL_DOWNSCALE);
  gdouble sigma = MAX (fill_width, fill_height) * FILL_BLUR_SHARE;
  const gchar *to_bt709 = "out_color_matrix=bt709:out_range=tv";

  /* Same aspect: the picture alone fills the frame. */
  if ((gint64) picture->width * layout->height ==
      (gint64) picture->height * layout->width)
    return g_strdup_printf ("scale=%d:%d:flags=lanczos:%s,format=yuv420p",
        layout->width, layout->height, to_bt709);

  return g_strdup_printf ("split=2[bgsrc][fgsrc];"
      "[bgsrc]scale=%d:%d:force_original_aspect_ratio=increase:flags=area:%s,"
      "format=yuv444p,crop=%d:%d,gblur=sigma=%.2f:steps=3,"
      "lutyuv=y='16+(val-16)*%.2f':u='128+(val-128)*%.2f':v='128+(val-128)*%.2f',"
      "scale=%d:%d:flags=bicubic,format=yuv420p[bg];"
      "[fgsrc]scale=%d:%d:force_original_aspect_ratio=decrease:"
      "force_divisible_by=2:flags=lanczos:%s,format=%s[fg];"
      "[bg][fg]overlay=x=(W-w)/2:y=(H-h)/2:format=yuv420,format=yuv420p",
      fill_width, fill_height, to_bt709, fill_width, fill_height, sigma,
      FILL_LUMA_GAIN, FILL_CHROMA_GAIN, FILL_CHROMA_GAIN,
      layout->width, layout->height,
      layout->width, layout->height, to_bt709,
      alpha ? "yuva420p" : "yuv420p");
}

static gboolean
build_graph (NemoLayout * layout, const AVFrame * picture, GError ** error)
{
  AVRational sar = picture->sample_aspect_ratio.num > 0 ?
      picture->sample_aspect_ratio : (AVRational) { 1, 1 };
  g_autofree gchar *source_args = NULL;
  g_autofree gchar *description = NULL;
  AVFilterInOut *inputs = NULL, *outputs = NULL;
  gboolean result = FALSE;
  int ret;

  avfilter_graph_free (&layout->graph);
  layout->graph = avfilter_graph_alloc ();
  layout->graph->nb_threads = 1;

  source_args = g_strdup_printf ("video_size=%dx%d:pix_fmt=%d:time_base=1/1:"
      "pixel_aspect=%d/%d", picture->width, picture->height, picture->format,
      sar.num, sar.den);
  ret = avfilter_graph_create_filter (&layout->source,
      avfilter_get_by_name ("buffer"), "in", source_args, NULL, layout->graph);
  if (ret >= 0)
    ret = avfilter_graph_create_filter (&layout->sink,
        avfilter_get_by_name ("buffersink"), "out", NULL, NULL, layout->graph);
  if (ret < 0)
    goto end;

  outputs = avfilter_inout_alloc ();
  outputs->name = av_strdup ("in");
  outputs->filter_ctx = layout->source;
  inputs = avfilter_inout_alloc ();
  inputs->name = av_strdup ("out");
  inputs->filter_ctx = layout->sink;

  description = describe_graph (layout, picture);
  ret = avfilter_graph_parse_ptr (layout->graph, description, &inputs,
      &outputs, NULL);
  if (ret >= 0)
    ret = avfilter_graph_config (layout->graph, NULL);
  if (ret < 0)
    goto end;

  layout->in_width = picture->width;
  layout->in_height = picture->height;
  layout->in_format = picture->format;
  layout->in_sar = sar;
  result = TRUE;

end:
  if (!result) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Could not set up the layout filters for a %dx%d %s picture (%s).",
        picture->width, picture->height,
        av_get_pix_fmt_name (picture->format), av_err2str (ret));
    avfilter_graph_free (&layout->graph);
  }
  avfilter_inout_free (&inputs);
  avfilter_inout_free (&outputs);
  return result;
}

static gboolean
graph_fits (const NemoLayout * layout, const AVFrame * picture)
{
  AVRational sar = picture->sample_aspect_ratio.num > 0 ?
      picture->sample_aspect_ratio : (AVRational) { 1, 1 };

  return layout->graph != NULL && layout->in_width == picture->width
      && layout->in_height == picture->height
      && layout->in_format == picture->format
      && av_cmp_q (layout->in_sar, sar) == 0;
}

AVFrame *
nemo_layout_draw (NemoLayout * layout, const AVFrame * picture,
    GError ** error)
{
  AVFrame *input = NULL, *output = NULL;
  int ret;

  if (!graph_fits (layout, picture) && !build_graph (layout, picture, error))
    return NULL;

  input = av_frame_clone (picture);
  output = av_frame_alloc ();
  if (input == NULL || output == NULL) {
    ret = AVERROR (ENOMEM);
    goto fail;
  }
  input->pts = layout->next_pts++;
  ret = av_buffersrc_add_frame (layout->source, input);
  if (ret >= 0)
    ret = av_buffersink_get_frame (layout->sink, output);
  if (ret < 0)
    goto fail;
  av_frame_free (&input);
  return output;

fail:
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
      "Could not lay out a %dx%d %s picture (%s).", picture->width,
      picture->height, av_get_pix_fmt_name (picture->format),
      av_err2str (ret));
  av_frame_free (&input);
  av_frame_free (&output);
  return NULL;
}

/* As the scale filter's force_original_aspect_ratio=decrease with
 * force_divisible_by=2, and overlay's (W-w)/2. */
void
nemo_layout_fit (gint width, gint height, gint picture_width,
    gint picture_height, cairo_rectangle_int_t * fitted)
{
  gint64 w = width, h = height;

  if (picture_width > 0 && picture_height > 0
      && (gint64) picture_width * height != (gint64) picture_height * width) {
    w = MIN (av_rescale (height, picture_width, picture_height), width) / 2 * 2;
    h = MIN (av_rescale (width, picture_height, picture_width), height) / 2 * 2;
  }
  fitted->width = (gint) w;
  fitted->height = (gint) h;
  fitted->x = (width - fitted->width) / 2;
  fitted->y = (height - fitted->height) / 2;
}

static guint8
clamp_byte (gdouble value)
{
  return (guint8) CLAMP (value + 0.5, 0, 255);
}

AVFrame *
nemo_layout_plain_frame (gint width, gint height, guint32 rgb,
    GError ** error)
{
  /* BT.709 in TV range. */
  gdouble r = ((rgb >> 16) & 0xff) / 255.0;
  gdouble g = ((rgb >> 8) & 0xff) / 255.0;
  gdouble b = (rgb & 0xff) / 255.0;
  gdouble y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  guint8 values[3] = { clamp_byte (16 + 219 * y),
    clamp_byte (128 + 224 * (b - y) / 1.8556),
    clamp_byte (128 + 224 * (r - y) / 1.5748)
  };
  AVFrame *frame = av_frame_alloc ();
  gint plane, row;
  int ret;

  frame->format = AV_PIX_FMT_YUV420P;
  frame->width = width;
  frame->height = height;
  frame->color_range = AVCOL_RANGE_MPEG;
  frame->colorspace = AVCOL_SPC_BT709;
  ret = av_frame_get_buffer (frame, 0);
  if (ret < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Out of memory for a %dx%d frame (%s).", width, height,
        av_err2str (ret));
    av_frame_free (&frame);
    return NULL;
  }
  for (plane = 0; plane < 3; plane++) {
    gint rows = plane == 0 ? height : height / 2;
    gint columns = plane == 0 ? width : width / 2;

    for (row = 0; row < rows; row++)
      memset (frame->data[plane] + (gsize) row * frame->linesize[plane],
          values[plane], columns);
  }
  return frame;
}
