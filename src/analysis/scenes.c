/* nemorender audio analysis' video neighbour: where a clip cuts from one
 * scene to the next.
 *
 * Every frame of the clip (read by the media layer, at its own rate) goes
 * through FFmpeg's scene detector, libavfilter's `scdet`: its score is the
 * mean absolute difference of a frame to the one before, in percent of the
 * largest possible, less the same difference one frame earlier (so a pan
 * that changes every frame by as much scores low), and a frame scoring
 * over the threshold starts a new scene.  With `sc_pass=1` only those
 * frames come out of the graph; their timestamps are the cuts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/analysis.h>
#include <nemo/error.h>
#include <nemo/media.h>

#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/error.h>

/* FFmpeg's scdet default: "good values are in the [8.0, 14.0] range" */
#define SCENE_THRESHOLD_PERCENT 10.0
/* a clip with no frame rate is read at this one */
#define FALLBACK_FPS 25

typedef struct
{
  AVFilterGraph *graph;
  AVFilterContext *src, *sink;
  AVRational time_base;         /* one frame */
  GArray *cuts;                 /* gint64, µs */
} SceneGraph;

static gboolean
set_filter_error (GError ** error, const gchar * path, const gchar * what,
    gint ret)
{
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
      "Could not look for the scene cuts of “%s” (%s: %s). Check that "
      "FFmpeg's libavfilter has the scdet filter.", path, what,
      av_err2str (ret));
  return FALSE;
}

/* buffer (@first's size and format) → scdet → buffersink. */
static gboolean
scene_graph_open (SceneGraph * sg, const AVFrame * first,
    AVRational time_base, const gchar * path, GError ** error)
{
  g_autofree gchar *args = NULL;
  g_autofree gchar *detector = NULL;
  AVFilterContext *scdet;
  gint ret;

  sg->time_base = time_base;
  sg->graph = avfilter_graph_alloc ();
  if (sg->graph == NULL)
    return set_filter_error (error, path, "graph", AVERROR (ENOMEM));
  args = g_strdup_printf ("video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:"
      "pixel_aspect=1/1", first->width, first->height, first->format,
      time_base.num, time_base.den);
  detector = g_strdup_printf ("threshold=%g:sc_pass=1",
      SCENE_THRESHOLD_PERCENT);
  ret = avfilter_graph_create_filter (&sg->src, avfilter_get_by_name
      ("buffer"), "in", args, NULL, sg->graph);
  if (ret < 0)
    return set_filter_error (error, path, "buffer", ret);
  if (avfilter_get_by_name ("scdet") == NULL)
    return set_filter_error (error, path, "scdet", AVERROR_FILTER_NOT_FOUND);
  ret = avfilter_graph_create_filter (&scdet, avfilter_get_by_name ("scdet"),
      "scdet", detector, NULL, sg->graph);
  if (ret < 0)
    return set_filter_error (error, path, "scdet", ret);
  ret = avfilter_graph_create_filter (&sg->sink, avfilter_get_by_name
      ("buffersink"), "out", NULL, NULL, sg->graph);
  if (ret < 0)
    return set_filter_error (error, path, "buffersink", ret);
  if ((ret = avfilter_link (sg->src, 0, scdet, 0)) < 0
      || (ret = avfilter_link (scdet, 0, sg->sink, 0)) < 0
      || (ret = avfilter_graph_config (sg->graph, NULL)) < 0)
    return set_filter_error (error, path, "graph", ret);
  return TRUE;
}

/* The cuts that came out of the graph, as times in µs, onto @sg->cuts. */
static gboolean
scene_graph_drain (SceneGraph * sg, const gchar * path, GError ** error)
{
  AVFrame *frame = av_frame_alloc ();
  gboolean ok = TRUE;
  gint ret;

  while ((ret = av_buffersink_get_frame (sg->sink, frame)) >= 0) {
    gint64 t_us = av_rescale_q (frame->pts, sg->time_base, AV_TIME_BASE_Q);

    /* the first frame is no cut */
    if (frame->pts > 0)
      g_array_append_val (sg->cuts, t_us);
    av_frame_unref (frame);
  }
  if (ret != AVERROR (EAGAIN) && ret != AVERROR_EOF)
    ok = set_filter_error (error, path, "buffersink", ret);
  av_frame_free (&frame);
  return ok;
}

/* Frame @i of the clip into the graph (NULL @frame: the end). */
static gboolean
scene_graph_push (SceneGraph * sg, const AVFrame * frame, gint64 i,
    const gchar * path, GError ** error)
{
  AVFrame *copy = NULL;
  gint ret;

  if (frame != NULL) {
    copy = av_frame_clone (frame);
    if (copy == NULL)
      return set_filter_error (error, path, "frame", AVERROR (ENOMEM));
    copy->pts = i;
  }
  ret = av_buffersrc_add_frame (sg->src, copy);
  av_frame_free (&copy);
  if (ret < 0)
    return set_filter_error (error, path, "buffer", ret);
  return scene_graph_drain (sg, path, error);
}

GArray *
nemo_analysis_scene_cuts (const gchar * path, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (NemoMediaInfo) info = nemo_media_probe (path, error);
  g_autoptr (NemoVideoReader) reader = NULL;
  SceneGraph sg = { 0 };
  AVRational frame_rate;
  gboolean ok = FALSE;
  gint64 i, n_frames;

  if (info == NULL)
    return NULL;
  sg.cuts = g_array_new (FALSE, FALSE, sizeof (gint64));
  if (info->kind != NEMO_MEDIA_VIDEO)
    return sg.cuts;             /* a still is one scene */
  reader = nemo_video_reader_open (info->path, error);
  if (reader == NULL)
    goto end;
  frame_rate = (AVRational) { FALLBACK_FPS, 1 };
  if (info->fps_n > 0 && info->fps_d > 0)
    frame_rate = (AVRational) { info->fps_n, info->fps_d };
  n_frames = av_rescale (info->duration_us, frame_rate.num,
      (gint64) frame_rate.den * G_USEC_PER_SEC);

  for (i = 0; i < n_frames; i++) {
    const AVFrame *frame;

    if (g_cancellable_is_cancelled (cancellable)) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_CANCELLED,
          "The scene detection of “%s” was cancelled.", info->path);
      goto end;
    }
    frame = nemo_video_reader_frame_at (reader, av_rescale (i,
            (gint64) frame_rate.den * G_USEC_PER_SEC, frame_rate.num), FALSE,
        error);
    if (frame == NULL)
      goto end;
    if (sg.graph == NULL && !scene_graph_open (&sg, frame,
            av_inv_q (frame_rate), info->path, error))
      goto end;
    if (!scene_graph_push (&sg, frame, i, info->path, error))
      goto end;
  }
  ok = sg.graph == NULL || scene_graph_push (&sg, NULL, i, info->path, error);

end:
  avfilter_graph_free (&sg.graph);
  if (!ok)
    g_clear_pointer (&sg.cuts, g_array_unref);
  return sg.cuts;
}
