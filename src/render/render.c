/* nemo_render_draft(): a draft in, an MP4 out, in two passes.
 *
 * Pass 1 (PREPARE) mixes and encodes the soundtrack; its sample count fixes
 * the duration.  Pass 2 (ENCODE) draws ceil (duration * fps) frames, so the
 * video covers the sound and ends less than a frame after it, encodes them
 * and muxes them with the sound.
 *
 * The still-image fast path: when the whole video is one unchanging frame
 * (a cover held for the song), every closed GOP encodes the same picture.
 * We encode the first two GOPs, keep the packets of the second (the first
 * carries the encoder's start-up), and write copies of it with shifted
 * timestamps for every following full GOP; the last GOP (full or partial) is
 * encoded for real after the second, and shifted into place.  Closed GOPs
 * start with an IDR, where x264 resets frame_num and POC, so each copy
 * decodes on its own and the stream is valid.  An 8 s cover video costs
 * three GOPs of encoding instead of 240 frames.
 *
 * An album (docs/album.md) changes its still from song to song: the video
 * is then runs of unchanging frames, and each run takes the fast path on
 * an encoder of its own, opened when the run starts and closed when it is
 * drained.  A new x264 with the same settings makes the same headers (the
 * stream's extradata), and the run starts with an IDR, so the runs follow
 * each other in one valid stream, shifted to their first frame.
 *
 * Drawn layers (overlay.c) go over the timeline's frames.  A visualizer or
 * a fading title changes the frames, so they take the plain path, where
 * each frame is the overlay's background with only their bands redrawn
 * (the rest byte for byte the same, for x264's skips); a title shown
 * throughout without a fade is drawn into the still once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "render-private.h"
#include <nemo/log.h>

#include <nemo/error.h>
#include <nemo/media.h>
#include <glib/gstdio.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <math.h>
#include <string.h>

#define MIN_SIDE 16
#define MAX_SIDE 8192
/* x264's CRF 0 is lossless, which High profile cannot carry (the contract's
 * profile): 1 is the best quality it can */
#define MIN_QUALITY 1
/* AAC-LC stereo at 48 kHz: below 32 kb/s it is worse than useless, and
 * 576 kb/s is the most its frames can carry (6144 bits per channel) */
#define MIN_AUDIO_KBPS 32
#define MAX_AUDIO_KBPS 576

typedef struct
{
  const NemoRenderOptions *options;
  NemoTimeline *timeline;
  NemoBeatPulse *pulse;         /* NULL without a pulse on the beat */
  NemoOverlay *overlay;         /* NULL without drawn layers */
  NemoVideoEncoder *encoder;
  NemoMuxer *muxer;
  gint64 n_frames;
  gint64 gop;
  gboolean still;               /* the still-image fast path */
  GArray *runs;                 /* gint64: the frame after each run */
  gint64 run_start;             /* the first frame of the run being encoded */
  gint64 frames_done;
  gint last_percent;
  /* the still-image fast path */
  GPtrArray *steady_gop;        /* AVPacket*: the second GOP */
  GPtrArray *tail;              /* AVPacket*: what was encoded after it */
} Render;

void
nemo_render_options_init (NemoRenderOptions * options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof (*options));
  options->width = 1920;
  options->height = 1080;
  options->fps_n = 30;
  options->fps_d = 1;
  options->quality = NEMO_RENDER_DEFAULT_QUALITY;
  options->audio_bitrate_kbps = NEMO_RENDER_DEFAULT_AUDIO_KBPS;
  options->loudness_lufs = NAN;
}

static gboolean
validate_options (const NemoRenderOptions * options, const gchar * path,
    GError ** error)
{
  if (options->width < MIN_SIDE || options->width > MAX_SIDE
      || options->height < MIN_SIDE || options->height > MAX_SIDE
      || options->width % 2 || options->height % 2) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "The output size %dx%d cannot be encoded: width and height must be "
        "even numbers from %d to %d, e.g. 1920x1080.", options->width,
        options->height, MIN_SIDE, MAX_SIDE);
    return FALSE;
  }
  if (options->fps_n <= 0 || options->fps_d <= 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "The frame rate %d/%d is not valid: use a positive fraction such as "
        "30/1 or 30000/1001.", options->fps_n, options->fps_d);
    return FALSE;
  }
  if (options->max_duration_us < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "The maximum duration %" G_GINT64_FORMAT " µs is negative: use 0 "
        "for no limit.", options->max_duration_us);
    return FALSE;
  }
  if (options->quality < MIN_QUALITY || options->quality > 51
      || options->video_bitrate_kbps < 0 || options->keyframe_interval < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "The encoder settings are not valid (quality %d, video bitrate %d "
        "kb/s, keyframe interval %d): quality goes from 1 to 51, the others "
        "are 0 or more.", options->quality, options->video_bitrate_kbps,
        options->keyframe_interval);
    return FALSE;
  }
  if (options->audio_bitrate_kbps < MIN_AUDIO_KBPS
      || options->audio_bitrate_kbps > MAX_AUDIO_KBPS) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "The audio bitrate %d kb/s cannot be encoded: use %d to %d kb/s, "
        "e.g. 320.", options->audio_bitrate_kbps, MIN_AUDIO_KBPS,
        MAX_AUDIO_KBPS);
    return FALSE;
  }
  if (path == NULL || path[0] == '\0') {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "No output file was given: pass the path of the MP4 to write.");
    return FALSE;
  }
  return TRUE;
}

static void
report_prepare (gdouble percent, gpointer user_data)
{
  const NemoRenderOptions *options = user_data;

  options->progress (NEMO_RENDER_STAGE_PREPARE, percent,
      options->progress_data);
}

static gboolean
check_cancelled (Render * render, GError ** error)
{
  if (!g_cancellable_is_cancelled (render->options->cancellable))
    return TRUE;
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_CANCELLED,
      "The render was cancelled.");
  return FALSE;
}

/* Count @n frames as done and report each new whole percent. */
static void
count_frames (Render * render, gint64 n)
{
  gint percent;

  render->frames_done += n;
  percent = (gint) (render->frames_done * 100 / render->n_frames);
  if (render->options->progress == NULL || percent == render->last_percent)
    return;
  render->last_percent = percent;
  render->options->progress (NEMO_RENDER_STAGE_ENCODE, percent,
      render->options->progress_data);
}

static gint64
frame_time_us (const Render * render, gint64 index)
{
  return index * G_USEC_PER_SEC * render->options->fps_d /
      render->options->fps_n;
}

static gboolean
write_packet (AVPacket * packet, gpointer user_data, GError ** error)
{
  Render *render = user_data;

  return nemo_muxer_write_video (render->muxer, packet, error);
}

/* Output frame @index: the timeline's picture, kicked on the beat, with
 * the layers over it.  The frame is the timeline's, the pulse's or the
 * overlay's. */
static AVFrame *
draw_frame (Render * render, gint64 index, GError ** error)
{
  gint64 t_us = frame_time_us (render, index);
  AVFrame *frame = nemo_timeline_frame_at (render->timeline, t_us, error);

  if (frame != NULL && render->pulse != NULL)
    frame = nemo_beat_pulse_apply (render->pulse, frame, t_us, error);
  if (frame == NULL || render->overlay == NULL)
    return frame;
  return nemo_overlay_draw (render->overlay, frame, index, error);
}

/* The plain path: draw and encode every frame. */
static gboolean
encode_every_frame (Render * render, GError ** error)
{
  gint64 i;

  for (i = 0; i < render->n_frames; i++) {
    AVFrame *frame;

    if (!check_cancelled (render, error))
      return FALSE;
    frame = draw_frame (render, i, error);
    if (frame == NULL)
      return FALSE;
    frame->pts = i;
    if (!nemo_video_encoder_encode (render->encoder, frame, write_packet,
            render, error))
      return FALSE;
    count_frames (render, 1);
  }
  return nemo_video_encoder_encode (render->encoder, NULL, write_packet,
      render, error);
}

/* Fast path, real encoding: GOPs 1 and 2 are written (GOP 2 is also kept),
 * what comes after is kept for the end; the run's frames are numbered from
 * its first. */
static gboolean
keep_still_packet (AVPacket * packet, gpointer user_data, GError ** error)
{
  Render *render = user_data;

  if (packet->pts >= 2 * render->gop) {
    g_ptr_array_add (render->tail, av_packet_clone (packet));
    return TRUE;
  }
  if (packet->pts >= render->gop)
    g_ptr_array_add (render->steady_gop, av_packet_clone (packet));
  packet->pts += render->run_start;
  packet->dts += render->run_start;
  return nemo_muxer_write_video (render->muxer, packet, error);
}

static gboolean
write_shifted (Render * render, GPtrArray * packets, gint64 shift,
    GError ** error)
{
  AVPacket *copy = av_packet_alloc ();
  gboolean ret = TRUE;
  guint i;

  for (i = 0; i < packets->len && ret; i++) {
    ret = av_packet_ref (copy, g_ptr_array_index (packets, i)) == 0;
    if (!ret) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
          "Out of memory while copying video packets.");
      break;
    }
    copy->pts += render->run_start + shift;
    copy->dts += render->run_start + shift;
    ret = nemo_muxer_write_video (render->muxer, copy, error);
    av_packet_unref (copy);
  }
  av_packet_free (&copy);
  return ret;
}

/* The @n frames from @first, all the same: on a short run all of them
 * are encoded, on a longer one three GOPs. */
static gboolean
encode_one_still (Render * render, gint64 first, gint64 n, GError ** error)
{
  gint64 gop = render->gop;
  /* The last GOP is encoded for real so GOP 2 is the steady-state one,
   * followed by an IDR like every copy of it. */
  gint64 tail_frames = n % gop ? n % gop : gop;
  gint64 copies = n >= 3 * gop ? (n - 2 * gop - tail_frames) / gop : 0;
  gint64 encoded = n >= 3 * gop ? 2 * gop + tail_frames : n;
  AVFrame *frame;
  gint64 i;

  if (render->encoder == NULL)
    render->encoder = nemo_video_encoder_new (render->options, TRUE, error);
  if (render->encoder == NULL)
    return FALSE;
  render->run_start = first;
  frame = draw_frame (render, first, error);
  if (frame == NULL)
    return FALSE;
  for (i = 0; i < encoded; i++) {
    if (!check_cancelled (render, error))
      return FALSE;
    frame->pts = i;
    if (!nemo_video_encoder_encode (render->encoder, frame, keep_still_packet,
            render, error))
      return FALSE;
    count_frames (render, 1);
  }
  if (!nemo_video_encoder_encode (render->encoder, NULL, keep_still_packet,
          render, error))
    return FALSE;

  for (i = 1; i <= copies; i++) {
    if (!check_cancelled (render, error)
        || !write_shifted (render, render->steady_gop, i * gop, error))
      return FALSE;
    count_frames (render, gop);
  }
  if (!write_shifted (render, render->tail, copies * gop, error))
    return FALSE;
  /* the next run starts afresh */
  g_clear_pointer (&render->encoder, nemo_video_encoder_free);
  g_ptr_array_set_size (render->steady_gop, 0);
  g_ptr_array_set_size (render->tail, 0);
  return TRUE;
}

static gboolean
encode_still_runs (Render * render, GError ** error)
{
  gint64 first = 0;
  guint i;

  for (i = 0; i < render->runs->len; i++) {
    gint64 end = g_array_index (render->runs, gint64, i);

    if (!encode_one_still (render, first, end - first, error))
      return FALSE;
    first = end;
  }
  return TRUE;
}

/* The first frame shown at or after @t_us. */
static gint64
frame_at_or_after (const Render * render, gint64 t_us)
{
  gint64 den = (gint64) G_USEC_PER_SEC * render->options->fps_d;
  gint64 index = (t_us * render->options->fps_n + den - 1) / den;

  while (index > 0 && frame_time_us (render, index - 1) >= t_us)
    index--;
  while (frame_time_us (render, index) < t_us)
    index++;
  return index;
}

/* Whether the video is runs of unchanging frames (one run: a cover held
 * for the song; an album: a run a song), with the end of each in
 * render->runs. */
static gboolean
find_still_runs (Render * render, gint64 duration_us)
{
  gint64 t_us = 0, first = 0;

  g_array_set_size (render->runs, 0);
  while (first < render->n_frames) {
    gint64 until = MIN (nemo_timeline_still_until (render->timeline, t_us),
        render->overlay ? nemo_overlay_static_until (render->overlay,
            t_us) : G_MAXINT64);
    gint64 end = until >= duration_us ? render->n_frames :
        MIN (frame_at_or_after (render, until), render->n_frames);

    if (end <= first)
      return FALSE;
    g_array_append_val (render->runs, end);
    first = end;
    t_us = frame_time_us (render, first);
  }
  return TRUE;
}

/* The one place that picks the path (the encoder is set up for it). */
static gboolean
takes_still_path (Render * render, gint64 duration_us)
{
  return render->gop >= 2 && render->n_frames >= 3 * render->gop
      && render->pulse == NULL && find_still_runs (render, duration_us);
}

static gboolean
encode_video (Render * render, GError ** error)
{
  if (render->still) {
    NEMO_DEBUG ("still pictures: %u run(s), each encoded as two GOPs of %"
        G_GINT64_FORMAT " frames with the second repeated", render->runs->len,
        render->gop);
    return encode_still_runs (render, error);
  }
  NEMO_DEBUG ("encoding every frame%s", render->overlay ?
      " (the overlay moves)" : "");
  return encode_every_frame (render, error);
}

void
nemo_render_give_back_memory (void)
{
#ifdef HAVE_MALLOC_TRIM
  malloc_trim (0);
#endif
}

static void
packet_free (gpointer packet)
{
  av_packet_free ((AVPacket **) & packet);
}

static void
render_clear (Render * render)
{
  g_clear_pointer (&render->muxer, nemo_muxer_free);
  g_clear_pointer (&render->encoder, nemo_video_encoder_free);
  g_clear_pointer (&render->timeline, nemo_timeline_free);
  g_clear_pointer (&render->pulse, nemo_beat_pulse_free);
  g_clear_pointer (&render->overlay, nemo_overlay_free);
  g_clear_pointer (&render->steady_gop, g_ptr_array_unref);
  g_clear_pointer (&render->tail, g_ptr_array_unref);
  g_clear_pointer (&render->runs, g_array_unref);
}

gboolean
nemo_render_draft (const NemoDraft * draft,
    const NemoRenderOptions * options, const gchar * output_path,
    GError ** error)
{
  g_autoptr (NemoSoundtrack) soundtrack = NULL;
  g_autofree gchar *work_dir = NULL;
  Render render = { 0 };
  gint64 duration_us, n_samples, samples_per_frame_den;
  gboolean ret = FALSE;

  g_return_val_if_fail (draft != NULL, FALSE);
  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!validate_options (options, output_path, error))
    return FALSE;

  render.options = options;
  render.steady_gop = g_ptr_array_new_with_free_func (packet_free);
  render.tail = g_ptr_array_new_with_free_func (packet_free);
  render.runs = g_array_new (FALSE, FALSE, sizeof (gint64));

  render.overlay = nemo_overlay_new (draft, options->width, options->height,
      options->fps_n, options->fps_d, &options->safe_area);
  /* the sound is spooled next to the output: the job's work folder */
  work_dir = g_path_get_dirname (output_path);
  soundtrack = nemo_soundtrack_encode (draft, options, work_dir,
      render.overlay ? nemo_overlay_get_spectrum (render.overlay) : NULL,
      options->progress ? report_prepare : NULL, (gpointer) options,
      options->cancellable, error);
  if (soundtrack == NULL)
    goto end;
  n_samples = nemo_soundtrack_get_n_samples (soundtrack);
  duration_us = n_samples * G_USEC_PER_SEC / NEMO_AUDIO_RATE;
  samples_per_frame_den = (gint64) NEMO_AUDIO_RATE * options->fps_d;
  render.n_frames = (n_samples * options->fps_n
      + samples_per_frame_den - 1) / samples_per_frame_den;

  if (render.overlay)
    nemo_overlay_set_duration (render.overlay, duration_us);
  NEMO_INFO ("rendering %dx%d at %d/%d fps: %" G_GINT64_FORMAT " frames, "
      "%.3f s of sound", options->width, options->height, options->fps_n,
      options->fps_d, render.n_frames, duration_us / 1e6);

  render.timeline = nemo_timeline_new (draft, options->width,
      options->height, error);
  if (render.timeline == NULL)
    goto end;
  render.pulse = nemo_beat_pulse_new (draft);
  render.gop = nemo_video_gop (options);
  render.still = takes_still_path (&render, duration_us);
  /* pass 1's demuxers and decoders are gone; x264's frames come next */
  nemo_render_give_back_memory ();
  render.encoder = nemo_video_encoder_new (options, render.still, error);
  if (render.encoder == NULL)
    goto end;
  render.muxer = nemo_muxer_open (output_path,
      nemo_video_encoder_get_context (render.encoder), soundtrack, draft,
      error);
  if (render.muxer == NULL)
    goto end;

  if (options->progress)
    options->progress (NEMO_RENDER_STAGE_ENCODE, 0, options->progress_data);
  if (!encode_video (&render, error)
      || !nemo_muxer_finish (render.muxer, error))
    goto end;
  ret = TRUE;

end:
  render_clear (&render);
  if (!ret)
    g_unlink (output_path);
  return ret;
}
