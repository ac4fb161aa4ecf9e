/* nemorender output stack: see output.h.
 *
 * H.264 for delivery follows YouTube's recommended upload settings: High
 * profile, yuv420p, BT.709 TV range, constant frame rate, closed GOPs with
 * 2 B-frames.  The renderer's default quality, crf 18, is visually
 * lossless for covers and clips at a fraction of the size of a fixed high
 * bitrate.  Preset "veryfast" keeps renders quick on small machines (the
 * benchmark compares presets).  A bitrate cap is x264's VBV: maxrate the
 * cap; the renderer gives it a buffer of one second of it, so no second of
 * video holds much more than the cap.  Scene-cut
 * detection is off so keyframes fall every GOP exactly: the still-image
 * fast path in src/render/render.c relies on that.
 *
 * Memory: each frame x264 holds costs about 15 MB at 1080p (the picture,
 * its half-pel planes, the lowres copy for the lookahead).  The still fast
 * path encodes three GOPs of one picture, where a long lookahead and frame
 * threads (10 + 3 frames in flight with "veryfast" on 2 cores) only add
 * frames: it gets one thread, a lookahead of the 2 B-frames (enough for
 * mbtree, which keeps the GOP small), B-frames that are not references and
 * no half-pel planes (subme=0: nothing moves).  That is 270 MB peak down to
 * 115 MB for a 1080p job.  Every other use keeps the preset's settings, for
 * speed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "output.h"

#include <nemo/error.h>
#include <errno.h>
#include <libavutil/opt.h>

#define X264_PRESET "veryfast"
/* the still-image fast path: see above */
#define X264_STILL_PARAMS \
  "scenecut=0:threads=1:rc-lookahead=2:sync-lookahead=0:b-pyramid=none:subme=0"
#define UPLOAD_CRF 20
/* mjpeg's quantiser scale: 2 is near the best, a few hundred kB */
#define JPEG_QSCALE 2
/* From this AAC bitrate on, noisy bands are coded, not substituted: at
 * 320 kb/s FFmpeg 5.1's perceptual noise substitution decodes up to 5 dB
 * over the song's true peak, which the limiter can only answer by
 * turning the whole song down and encoding it again (docs/mixing.md) */
#define AAC_CODED_NOISE_BITRATE 288000

struct _NemoOutput
{
  AVFormatContext *format;      /* NULL once finished */
  gchar *path;
  NemoContainer container;
  gint movie_timescale;
};

void
nemo_output_set_error (GError ** error, const gchar * path,
    const gchar * what, int averr)
{
  static const int disk_errors[] = { ENOSPC, EACCES, ENOENT, EIO, EISDIR,
    ENOTDIR, EROFS
  };
  gint code = NEMO_ERROR_ENCODE;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (disk_errors); i++)
    if (averr == AVERROR (disk_errors[i]))
      code = NEMO_ERROR_IO;
  g_set_error (error, NEMO_ERROR, code,
      "Could not %s “%s” (%s). Check that its folder exists, is writable "
      "and has free space.", what, path, av_err2str (averr));
}

/* ---- encoders ---- */

static AVCodecContext *
alloc_encoder (const gchar * name, const gchar * what, GError ** error)
{
  const AVCodec *codec = avcodec_find_encoder_by_name (name);

  if (codec == NULL) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "This FFmpeg has no %s encoder (%s). Install an FFmpeg built with "
        "it (for libx264: --enable-libx264).", what, name);
    return NULL;
  }
  return avcodec_alloc_context3 (codec);
}

/* Headers out of band for a container that keeps them so, or for packets
 * muxed into an MP4 later (no @output). */
static gboolean
wants_global_header (const NemoOutput * output)
{
  return output == NULL || (output->format->oformat->flags &
      AVFMT_GLOBALHEADER);
}

/* Opens @encoder, or frees it and returns NULL. */
static AVCodecContext *
open_encoder (AVCodecContext * encoder, gboolean global_header,
    const gchar * what, GError ** error)
{
  int ret;

  if (global_header)
    encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  ret = avcodec_open2 (encoder, encoder->codec, NULL);
  if (ret < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Could not open the %s encoder (%s) for %dx%d (%s).", what,
        encoder->codec->name, encoder->width, encoder->height,
        av_err2str (ret));
    avcodec_free_context (&encoder);
  }
  return encoder;
}

/* The output contract's stream: closed GOPs of @settings->gop with 2
 * B-frames, High profile, BT.709 TV range, a quality and maybe a cap. */
static void
set_delivery (AVCodecContext * x264, const NemoH264Settings * settings)
{
  x264->gop_size = settings->gop;
  x264->keyint_min = settings->gop;
  x264->max_b_frames = 2;
  x264->profile = FF_PROFILE_H264_HIGH;
  x264->color_range = AVCOL_RANGE_MPEG;
  x264->color_primaries = AVCOL_PRI_BT709;
  x264->color_trc = AVCOL_TRC_BT709;
  x264->colorspace = AVCOL_SPC_BT709;
  x264->flags |= AV_CODEC_FLAG_CLOSED_GOP;
  av_opt_set (x264->priv_data, "preset", X264_PRESET, 0);
  av_opt_set (x264->priv_data, "profile", "high", 0);
  av_opt_set_double (x264->priv_data, "crf", settings->crf, 0);
  av_opt_set (x264->priv_data, "x264-params",
      settings->use == NEMO_H264_STILL ? X264_STILL_PARAMS : "scenecut=0", 0);
}

/* An average bitrate, else a quality. */
static void
set_upload (AVCodecContext * x264, const NemoH264Settings * settings)
{
  av_opt_set (x264->priv_data, "preset", X264_PRESET, 0);
  if (settings->bitrate > 0)
    x264->bit_rate = settings->bitrate;
  else
    av_opt_set_double (x264->priv_data, "crf", UPLOAD_CRF, 0);
}

static void
set_lossless (AVCodecContext * x264)
{
  x264->max_b_frames = 0;
  av_opt_set (x264->priv_data, "preset", "ultrafast", 0);
  av_opt_set_int (x264->priv_data, "qp", 0, 0);
}

AVCodecContext *
nemo_output_open_h264 (const NemoH264Settings * settings,
    const NemoOutput * output, GError ** error)
{
  AVCodecContext *x264 = alloc_encoder ("libx264", "H.264", error);

  if (x264 == NULL)
    return NULL;
  x264->width = settings->width;
  x264->height = settings->height;
  x264->pix_fmt = settings->pix_fmt;
  x264->time_base = settings->time_base;
  if (settings->framerate.num > 0)
    x264->framerate = settings->framerate;
  x264->sample_aspect_ratio = settings->sample_aspect_ratio;
  if (settings->max_rate > 0) {
    x264->rc_max_rate = settings->max_rate;
    x264->rc_buffer_size = (int) settings->buffer_size;
  }
  switch (settings->use) {
    case NEMO_H264_DELIVERY:
    case NEMO_H264_STILL:
      set_delivery (x264, settings);
      break;
    case NEMO_H264_UPLOAD:
      set_upload (x264, settings);
      break;
    case NEMO_H264_LOSSLESS:
      set_lossless (x264);
      break;
  }
  return open_encoder (x264, wants_global_header (output), "H.264", error);
}

AVCodecContext *
nemo_output_open_audio (NemoAudioCodec codec, gint sample_rate,
    gint64 bitrate, const NemoOutput * output, GError ** error)
{
  AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
  const gchar *what = codec == NEMO_AUDIO_AAC ? "AAC" : "MP3";
  AVCodecContext *encoder = alloc_encoder (codec == NEMO_AUDIO_AAC ? "aac" :
      "libmp3lame", what, error);

  if (encoder == NULL)
    return NULL;
  encoder->sample_fmt = AV_SAMPLE_FMT_FLTP;
  encoder->sample_rate = sample_rate;
  av_channel_layout_copy (&encoder->ch_layout, &stereo);
  encoder->bit_rate = bitrate;
  encoder->time_base = (AVRational) { 1, sample_rate };
  if (codec == NEMO_AUDIO_AAC)
    encoder->profile = FF_PROFILE_AAC_LOW;
  if (codec == NEMO_AUDIO_AAC && bitrate >= AAC_CODED_NOISE_BITRATE)
    av_opt_set_int (encoder->priv_data, "aac_pns", 0, 0);
  return open_encoder (encoder, wants_global_header (output), what, error);
}

AVCodecContext *
nemo_output_open_picture (NemoPictureCodec codec, gint width, gint height,
    enum AVPixelFormat pix_fmt, GError ** error)
{
  const gchar *what = codec == NEMO_PICTURE_JPEG ? "JPEG" : "PNG";
  AVCodecContext *encoder = alloc_encoder (codec == NEMO_PICTURE_JPEG ?
      "mjpeg" : "png", what, error);

  if (encoder == NULL)
    return NULL;
  encoder->width = width;
  encoder->height = height;
  encoder->pix_fmt = pix_fmt;
  encoder->time_base = (AVRational) { 1, 1 };
  if (codec == NEMO_PICTURE_JPEG) {
    encoder->color_range = AVCOL_RANGE_JPEG;
    encoder->flags |= AV_CODEC_FLAG_QSCALE;
    encoder->global_quality = FF_QP2LAMBDA * JPEG_QSCALE;
  }
  return open_encoder (encoder, FALSE, what, error);
}

gboolean
nemo_output_encode_picture (AVCodecContext * encoder, AVFrame * frame,
    AVPacket * pkt, GError ** error)
{
  int ret;

  frame->quality = encoder->global_quality;
  frame->pts = 0;
  ret = avcodec_send_frame (encoder, frame);
  if (ret >= 0)
    ret = avcodec_send_frame (encoder, NULL);
  if (ret >= 0)
    ret = avcodec_receive_packet (encoder, pkt);
  if (ret < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Could not encode a %dx%d picture as %s (%s).", frame->width,
        frame->height, encoder->codec->name, av_err2str (ret));
    return FALSE;
  }
  return TRUE;
}

/* ---- muxers ---- */

static const gchar *const format_names[] = {
  [NEMO_CONTAINER_MP4] = "mp4",
  [NEMO_CONTAINER_MPEGTS] = "mpegts",
  [NEMO_CONTAINER_MATROSKA] = "matroska",
  [NEMO_CONTAINER_MP3] = "mp3",
  [NEMO_CONTAINER_WAV] = "wav",
};

NemoOutput *
nemo_output_open (const gchar * path, NemoContainer container,
    GError ** error)
{
  NemoOutput *output = g_new0 (NemoOutput, 1);
  int ret;

  output->path = g_strdup (path);
  output->container = container;
  ret = avformat_alloc_output_context2 (&output->format, NULL,
      format_names[container], path);
  if (ret < 0) {
    nemo_output_set_error (error, path, "set up a writer for", ret);
    goto fail;
  }
  ret = avio_open (&output->format->pb, path, AVIO_FLAG_WRITE);
  if (ret < 0) {
    nemo_output_set_error (error, path, "create", ret);
    goto fail;
  }
  return output;

fail:
  nemo_output_free (output);
  return NULL;
}

AVStream *
nemo_output_add_copy (NemoOutput * output, const AVCodecParameters * par,
    AVRational time_base, GError ** error)
{
  AVStream *st = avformat_new_stream (output->format, NULL);
  int ret = st ? 0 : AVERROR (ENOMEM);

  if (st && par)
    ret = avcodec_parameters_copy (st->codecpar, par);
  if (ret < 0) {
    nemo_output_set_error (error, output->path, "set up a stream of", ret);
    return NULL;
  }
  /* the container picks its own tag for the codec */
  st->codecpar->codec_tag = 0;
  st->time_base = time_base;
  return st;
}

AVStream *
nemo_output_add_stream (NemoOutput * output, const AVCodecContext * encoder,
    GError ** error)
{
  AVStream *st = nemo_output_add_copy (output, NULL, encoder->time_base,
      error);
  int ret;

  if (st == NULL)
    return NULL;
  ret = avcodec_parameters_from_context (st->codecpar, encoder);
  if (ret < 0) {
    nemo_output_set_error (error, output->path, "set up a stream of", ret);
    return NULL;
  }
  st->avg_frame_rate = encoder->framerate;
  st->r_frame_rate = encoder->framerate;
  return st;
}

void
nemo_output_set_tag (NemoOutput * output, const gchar * key,
    const gchar * value)
{
  if (value != NULL)
    av_dict_set (&output->format->metadata, key, value, 0);
}

gboolean
nemo_output_add_chapter (NemoOutput * output, gint64 start, gint64 end,
    AVRational time_base, const gchar * title, GError ** error)
{
  AVFormatContext *format = output->format;
  AVChapter *chapter = av_mallocz (sizeof (AVChapter));
  AVChapter **chapters = av_realloc_array (format->chapters,
      format->nb_chapters + 1, sizeof (*chapters));

  if (chapters != NULL)
    format->chapters = chapters;
  if (chapter == NULL || chapters == NULL) {
    av_free (chapter);
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Out of memory for the chapters of “%s”.", output->path);
    return FALSE;
  }
  /* as fftools do: avformat_free_context () frees them */
  chapters[format->nb_chapters++] = chapter;
  chapter->id = format->nb_chapters;
  chapter->time_base = time_base;
  chapter->start = start;
  chapter->end = end;
  av_dict_set (&chapter->metadata, "title", title, 0);
  return TRUE;
}

void
nemo_output_set_movie_timescale (NemoOutput * output, gint timescale)
{
  output->movie_timescale = timescale;
}

gboolean
nemo_output_start (NemoOutput * output, GError ** error)
{
  AVDictionary *options = NULL;
  int ret;

  if (output->container == NEMO_CONTAINER_MP4) {
    /* players (and the service) can start before the whole file is in */
    av_dict_set (&options, "movflags", "+faststart", 0);
    if (output->movie_timescale > 0)
      av_dict_set_int (&options, "movie_timescale", output->movie_timescale,
          0);
  } else if (output->container == NEMO_CONTAINER_WAV) {
    /* recordings past 4 GB become RF64 instead of a broken WAV */
    av_dict_set (&options, "rf64", "auto", 0);
  }
  ret = avformat_write_header (output->format, &options);
  av_dict_free (&options);
  if (ret < 0) {
    nemo_output_set_error (error, output->path, "write the header of", ret);
    return FALSE;
  }
  return TRUE;
}

gboolean
nemo_output_write (NemoOutput * output, AVPacket * packet, GError ** error)
{
  int ret = av_interleaved_write_frame (output->format, packet);

  if (ret < 0) {
    nemo_output_set_error (error, output->path, "write to", ret);
    return FALSE;
  }
  return TRUE;
}

gboolean
nemo_output_write_in_order (NemoOutput * output, AVPacket * packet,
    GError ** error)
{
  int ret = av_write_frame (output->format, packet);

  av_packet_unref (packet);
  if (ret < 0) {
    nemo_output_set_error (error, output->path, "write to", ret);
    return FALSE;
  }
  return TRUE;
}

gboolean
nemo_output_finish (NemoOutput * output, GError ** error)
{
  int ret = av_write_trailer (output->format);
  const gchar *what = "finish";

  if (ret >= 0) {
    ret = avio_closep (&output->format->pb);
    what = "close";
  }
  if (ret < 0) {
    nemo_output_set_error (error, output->path, what, ret);
    return FALSE;
  }
  avformat_free_context (output->format);
  output->format = NULL;
  return TRUE;
}

void
nemo_output_free (NemoOutput * output)
{
  if (output == NULL)
    return;
  if (output->format)
    avio_closep (&output->format->pb);
  avformat_free_context (output->format);
  g_free (output->path);
  g_free (output);
}
