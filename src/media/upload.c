/* nemorender media layer: make an input acceptable to the cloud service
 * before it is uploaded.  Files the service takes go up as they are;
 * others become MP3, PNG/JPEG or H.264 MP4, cut to a maximum duration and
 * re-encoded at the bitrate that fits a maximum size.  The rules are in
 * include/nemo/media.h and docs/upload.md.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "media-private.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <glib/gstdio.h>
#include <nemo/service.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/pixdesc.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>

#define MP3_BITRATE 320000
#define AAC_BITRATE 192000
#define MIN_AUDIO_BITRATE 64000
#define MIN_VIDEO_BITRATE 150000
/* the share of max_size the streams may use: the rest is the container's */
#define SIZE_MARGIN 0.97
/* the second try when the first bitrate that fits still does not */
#define RETRY_FACTOR 0.85
/* a still is not scaled below this many pixels on its longer side */
#define MIN_STILL_SIDE 16
/* the bounds of H.264's rate-control buffer when aiming at a size */
#define MIN_VBV_US (G_USEC_PER_SEC / 4)
#define MAX_VBV_US (2 * G_USEC_PER_SEC)
#define VIDEO_TIME_BASE ((AVRational) { 1, 90000 })

/* ---- what the service takes as it is ---- */

/* Spools that are already compact: the raw ones (.wav, .mkv, .ts) are
 * always transcoded. */
static const gchar *const compact_spools[] = { "mp3", "aac", "jpg", "png",
  NULL
};

/* Whether the comma-separated @list names @name ("pcm" names every
 * pcm_* codec). */
static gboolean
list_has (const gchar * list, const gchar * name)
{
  g_auto (GStrv) items = g_strsplit (list, ",", -1);
  guint i;

  for (i = 0; items[i]; i++)
    if (g_str_equal (items[i], name) || (g_str_equal (items[i], "pcm") &&
            g_str_has_prefix (name, "pcm_")))
      return TRUE;
  return FALSE;
}

/* Whether two comma-separated lists share a name. */
static gboolean
lists_meet (const gchar * a, const gchar * b)
{
  g_auto (GStrv) items = g_strsplit (a, ",", -1);
  guint i;

  for (i = 0; items[i]; i++)
    if (list_has (b, items[i]))
      return TRUE;
  return FALSE;
}

static gchar *
path_extension (const gchar * path)
{
  g_autofree gchar *base = g_path_get_basename (path);
  const gchar *dot = strrchr (base, '.');

  return g_ascii_strdown (dot ? dot + 1 : "", -1);
}

/* Whether the service takes the file at @path as it is: its extension
 * names a format every document lists, whose demuxer read it and whose
 * codecs all its streams use (a cover in an MP3 aside). */
static gboolean
is_accepted (NemoDecoder * dec, const gchar * path)
{
  const NemoServiceFormat *type = nemo_service_format_for_name (path);
  guint i;

  if (!type || type->source == NEMO_SERVICE_ONE_DOCUMENT
      || !lists_meet (dec->fmt->iformat->name, type->demuxers))
    return FALSE;

  for (i = 0; i < dec->fmt->nb_streams; i++) {
    AVStream *st = dec->fmt->streams[i];
    const gchar *codec = avcodec_get_name (st->codecpar->codec_id);
    enum AVMediaType media = st->codecpar->codec_type;

    if (st->disposition & AV_DISPOSITION_ATTACHED_PIC)
      continue;
    if (media == AVMEDIA_TYPE_VIDEO && (!type->video ||
            !list_has (type->video, codec)))
      return FALSE;
    if (media == AVMEDIA_TYPE_AUDIO && (!type->audio ||
            !list_has (type->audio, codec)))
      return FALSE;
  }
  return TRUE;
}

/* An MPEG-TS of H.264 4:2:0 and nothing else (what an H.264 spool is) goes
 * into MP4 as it is. */
static gboolean
can_remux (NemoDecoder * dec)
{
  guint i, n_video = 0;

  if (!lists_meet (dec->fmt->iformat->name, "mpegts"))
    return FALSE;
  for (i = 0; i < dec->fmt->nb_streams; i++) {
    AVCodecParameters *par = dec->fmt->streams[i]->codecpar;

    if (par->codec_type == AVMEDIA_TYPE_AUDIO)
      return FALSE;
    if (par->codec_type != AVMEDIA_TYPE_VIDEO)
      continue;
    if (par->codec_id != AV_CODEC_ID_H264 ||
        (par->format != AV_PIX_FMT_YUV420P &&
            par->format != AV_PIX_FMT_YUVJ420P))
      return FALSE;
    n_video++;
  }
  return n_video == 1;
}

/* ---- the job ---- */

typedef enum
{
  PLAN_KEEP,                    /* upload the file as it is */
  PLAN_AUDIO,                   /* → MP3 */
  PLAN_STILL,                   /* → PNG, else a JPEG that fits */
  PLAN_REMUX,                   /* MPEG-TS H.264 → MP4, packets as they are */
  PLAN_VIDEO,                   /* → H.264 + AAC MP4 */
} UploadPlan;

typedef struct
{
  const gchar *path;            /* the input, a local path once probed */
  const gchar *work_dir;
  const NemoUploadLimits *limits;
  GCancellable *cancellable;
  NemoMediaInfo *info;
  gchar *out_path;              /* the file being written, removed on failure */
  gint64 out_duration_us;       /* what the last encode wrote */
} UploadJob;

/* Bits a second; 0: the format's quality setting. */
typedef struct
{
  gint64 audio;
  gint64 video;
} Bitrates;

/* How long the upload lasts: what was encoded, else the probe's guess. */
static gint64
upload_duration (UploadJob * job)
{
  gint64 duration = job->out_duration_us > 0 ? job->out_duration_us :
      job->info->duration_us;

  if (job->limits->max_duration_us > 0)
    duration = MIN (duration, job->limits->max_duration_us);
  return MAX (duration, 1);
}

static gboolean
check_cancelled (UploadJob * job, GError ** error)
{
  if (!g_cancellable_is_cancelled (job->cancellable))
    return TRUE;
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_CANCELLED,
      "Preparing “%s” for upload was cancelled.", job->path);
  return FALSE;
}

static void
set_encode_error (GError ** error, const gchar * out_path, int averr)
{
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
      "Could not encode “%s” for upload (%s). Convert the input to MP3, PNG "
      "or H.264 MP4 yourself and give that file instead.", out_path,
      av_err2str (averr));
}

static void
discard_output (UploadJob * job)
{
  if (job->out_path)
    g_unlink (job->out_path);
  g_clear_pointer (&job->out_path, g_free);
}

/* Creates an empty file in the work folder named after the input with
 * extension @ext (adding -1, -2… when taken, so the input itself or an
 * earlier upload is never overwritten), in place of any file reserved
 * before. */
static gboolean
reserve_output (UploadJob * job, const gchar * ext, GError ** error)
{
  g_autofree gchar *base = g_path_get_basename (job->path);
  gchar *dot = strrchr (base, '.');
  gint n, fd = -1;

  if (dot && dot != base)
    *dot = '\0';
  discard_output (job);
  for (n = 0; fd < 0; n++) {
    g_autofree gchar *name = n == 0 ? g_strdup_printf ("%s.%s", base, ext) :
        g_strdup_printf ("%s-%d.%s", base, n, ext);
    int saved_errno;

    g_free (job->out_path);
    job->out_path = g_build_filename (job->work_dir, name, NULL);
    fd = g_open (job->out_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    saved_errno = errno;
    if (fd < 0 && saved_errno != EEXIST) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_IO,
          "Could not create “%s” (%s). Check that the work folder exists, "
          "is writable and has free space.", job->out_path,
          g_strerror (saved_errno));
      g_clear_pointer (&job->out_path, g_free);
      return FALSE;
    }
  }
  g_close (fd, NULL);
  return TRUE;
}

static gboolean
output_size (UploadJob * job, guint64 * size, GError ** error)
{
  GStatBuf st;

  if (g_stat (job->out_path, &st) != 0) {
    int saved_errno = errno;

    g_set_error (error, NEMO_ERROR, NEMO_ERROR_IO,
        "Could not read back “%s” (%s). Check the work folder.",
        job->out_path, g_strerror (saved_errno));
    return FALSE;
  }
  *size = st.st_size;
  return TRUE;
}

/* ---- writing ---- */

/* The input's tags (an MP3's ID3, an MP4's ilst) and, for MP4, the index
 * in front so the service can read the file while it arrives. */
static gboolean
start_output (UploadJob * job, NemoOutput * mux, GError ** error)
{
  nemo_output_set_tag (mux, "title", job->info->title);
  nemo_output_set_tag (mux, "artist", job->info->artist);
  nemo_output_set_tag (mux, "album", job->info->album);
  return nemo_output_start (mux, error);
}

/* A frame's place and length on the encoder's clock. */
typedef struct
{
  gint64 pts;
  gint64 duration;
} FrameSpan;

/* A packet lasts as long as the frame it encodes: the last one's length
 * sets the end of the track. */
static void
take_span (GArray * spans, AVPacket * pkt)
{
  guint i;

  for (i = 0; i < spans->len; i++) {
    FrameSpan *span = &g_array_index (spans, FrameSpan, i);

    if (span->pts == pkt->pts) {
      pkt->duration = span->duration;
      g_array_remove_index (spans, i);
      return;
    }
  }
}

/* Muxes what @enc has ready (after the end: everything).  @spans, if not
 * NULL, holds the frames inside the encoder. */
static gboolean
mux_packets (AVCodecContext * enc, AVStream * st, NemoOutput * mux,
    AVPacket * pkt, GArray * spans, const gchar * out_path, GError ** error)
{
  int ret;

  for (;;) {
    ret = avcodec_receive_packet (enc, pkt);
    if (ret == AVERROR (EAGAIN) || ret == AVERROR_EOF)
      return TRUE;
    if (ret < 0) {
      set_encode_error (error, out_path, ret);
      return FALSE;
    }
    if (spans)
      take_span (spans, pkt);
    pkt->stream_index = st->index;
    av_packet_rescale_ts (pkt, enc->time_base, st->time_base);
    if (!nemo_output_write (mux, pkt, error))
      return FALSE;
  }
}

/* ---- sound: decode, resample to stereo, encode (MP3 or AAC) ---- */

typedef struct
{
  NemoDecoder *dec;
  SwrContext *swr;
  AVAudioFifo *fifo;            /* resampled, waiting for a whole frame */
  AVCodecContext *enc;
  AVStream *st;
  AVFrame *in, *converted, *out;
  AVPacket *pkt;
  gint64 origin_us;             /* input time that becomes 0; NOPTS: the first sample */
  gint64 max_us;                /* 0: no cut */
  gint64 offset;                /* output pts of the first sample */
  gint64 max_samples;           /* to keep; -1: all */
  gint64 n_queued;              /* samples put into the fifo */
  gint64 n_encoded;             /* samples given to the encoder */
  gboolean started, input_done, done;
} AudioTrack;

static void
audio_track_free (AudioTrack * a)
{
  if (!a)
    return;
  nemo_decoder_free (a->dec);
  swr_free (&a->swr);
  if (a->fifo)
    av_audio_fifo_free (a->fifo);
  avcodec_free_context (&a->enc);
  av_frame_free (&a->in);
  av_frame_free (&a->converted);
  av_frame_free (&a->out);
  av_packet_free (&a->pkt);
  g_free (a);
}

static gboolean
audio_track_open_resampler (AudioTrack * a, const gchar * out_path,
    GError ** error)
{
  AVCodecContext *dec = a->dec->dec;
  AVChannelLayout in_layout = { 0 };
  int ret;

  if (dec->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
    av_channel_layout_default (&in_layout, dec->ch_layout.nb_channels);
  else
    av_channel_layout_copy (&in_layout, &dec->ch_layout);
  ret = swr_alloc_set_opts2 (&a->swr, &a->enc->ch_layout,
      a->enc->sample_fmt, a->enc->sample_rate, &in_layout, dec->sample_fmt,
      dec->sample_rate, 0, NULL);
  if (ret >= 0)
    ret = swr_init (a->swr);
  av_channel_layout_uninit (&in_layout);
  if (ret < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Could not set up resampling of “%s” to %d Hz stereo for “%s” (%s).",
        a->dec->path, a->enc->sample_rate, out_path, av_err2str (ret));
    return FALSE;
  }
  return TRUE;
}

/* The first sound stream of @job's input, to be encoded with @encoder at
 * @bitrate into @mux: stereo, at 44.1 kHz if the input is, else 48 kHz.
 * With @origin_us (not AV_NOPTS_VALUE) the sound keeps its place from that
 * input time, next to a picture track; else it starts at 0. */
static AudioTrack *
audio_track_new (UploadJob * job, NemoOutput * mux, NemoAudioCodec codec,
    gint64 bitrate, gint64 origin_us, GError ** error)
{
  AudioTrack *a = g_new0 (AudioTrack, 1);
  int ret;

  a->origin_us = origin_us;
  a->max_us = job->limits->max_duration_us;
  a->dec = nemo_decoder_open (job->path, error);
  if (!a->dec || !nemo_decoder_select (a->dec,
          nemo_decoder_find_audio (a->dec), error))
    goto fail;

  a->enc = nemo_output_open_audio (codec,
      a->dec->dec->sample_rate == 44100 ? 44100 : 48000, bitrate, mux, error);
  if (!a->enc)
    goto fail;
  a->st = nemo_output_add_stream (mux, a->enc, error);
  if (!a->st || !audio_track_open_resampler (a, job->out_path, error))
    goto fail;

  a->fifo = av_audio_fifo_alloc (a->enc->sample_fmt, 2, a->enc->frame_size);
  a->in = av_frame_alloc ();
  a->converted = av_frame_alloc ();
  a->out = av_frame_alloc ();
  a->pkt = av_packet_alloc ();
  a->out->format = a->enc->sample_fmt;
  a->out->sample_rate = a->enc->sample_rate;
  a->out->nb_samples = a->enc->frame_size;
  av_channel_layout_copy (&a->out->ch_layout, &a->enc->ch_layout);
  ret = av_frame_get_buffer (a->out, 0);
  if (ret < 0) {
    set_encode_error (error, job->out_path, ret);
    goto fail;
  }
  return a;

fail:
  audio_track_free (a);
  return NULL;
}

/* Where the output starts and stops, from the first decoded frame. */
static void
audio_track_start (AudioTrack * a, const AVFrame * first)
{
  gint64 t = nemo_decoder_frame_time (a->dec, first);
  gint rate = a->enc->sample_rate;

  if (a->origin_us != AV_NOPTS_VALUE && t != AV_NOPTS_VALUE)
    a->offset = MAX (0, av_rescale (t - a->origin_us, rate, G_USEC_PER_SEC));
  a->max_samples = a->max_us > 0 ?
      MAX (0, av_rescale (a->max_us, rate, G_USEC_PER_SEC) - a->offset) : -1;
  a->started = TRUE;
}

/* Resamples @in (NULL: what the resampler still holds) into the fifo, up
 * to max_samples. */
static gboolean
audio_track_queue (AudioTrack * a, const AVFrame * in, const gchar * out_path,
    GError ** error)
{
  AVFrame *conv = a->converted;
  int ret;

  av_frame_unref (conv);
  conv->format = a->enc->sample_fmt;
  conv->sample_rate = a->enc->sample_rate;
  conv->nb_samples = swr_get_out_samples (a->swr, in ? in->nb_samples : 0);
  av_channel_layout_copy (&conv->ch_layout, &a->enc->ch_layout);
  if (conv->nb_samples <= 0)
    return TRUE;
  ret = av_frame_get_buffer (conv, 0);
  if (ret >= 0)
    ret = swr_convert (a->swr, conv->data, conv->nb_samples,
        in ? (const uint8_t **) in->extended_data : NULL,
        in ? in->nb_samples : 0);
  if (ret < 0) {
    set_encode_error (error, out_path, ret);
    return FALSE;
  }
  if (a->max_samples >= 0)
    ret = MIN (ret, a->max_samples - a->n_queued);
  if (ret > 0 && av_audio_fifo_write (a->fifo, (void **) conv->data,
          ret) < ret) {
    set_encode_error (error, out_path, AVERROR (ENOMEM));
    return FALSE;
  }
  a->n_queued += MAX (ret, 0);
  return TRUE;
}

/* Encodes the fifo's whole frames; at the end of the input the rest too
 * (a shorter last frame), then drains the encoder. */
static gboolean
audio_track_encode (AudioTrack * a, NemoOutput * mux,
    const gchar * out_path, GError ** error)
{
  int ret;

  while (av_audio_fifo_size (a->fifo) >= a->enc->frame_size ||
      (a->input_done && av_audio_fifo_size (a->fifo) > 0)) {
    gint n = MIN (av_audio_fifo_size (a->fifo), a->enc->frame_size);

    /* the encoder may still hold the last frame's samples */
    ret = av_frame_make_writable (a->out);
    if (ret < 0)
      goto fail;
    a->out->nb_samples = n;
    av_audio_fifo_read (a->fifo, (void **) a->out->data, n);
    a->out->pts = a->offset + a->n_encoded;
    a->n_encoded += n;
    ret = avcodec_send_frame (a->enc, a->out);
    if (ret < 0)
      goto fail;
    if (!mux_packets (a->enc, a->st, mux, a->pkt, NULL, out_path, error))
      return FALSE;
  }
  if (!a->input_done)
    return TRUE;

  ret = avcodec_send_frame (a->enc, NULL);
  if (ret < 0)
    goto fail;
  a->done = TRUE;
  return mux_packets (a->enc, a->st, mux, a->pkt, NULL, out_path, error);

fail:
  set_encode_error (error, out_path, ret);
  return FALSE;
}

/* Decodes one frame of sound and encodes what it completes; sets done
 * after the last. */
static gboolean
audio_track_step (AudioTrack * a, NemoOutput * mux,
    const gchar * out_path, GError ** error)
{
  gint got = nemo_decoder_next (a->dec, a->in, error);
  gboolean ok;

  if (got < 0)
    return FALSE;
  if (got > 0) {
    if (!a->started)
      audio_track_start (a, a->in);
    ok = audio_track_queue (a, a->in, out_path, error);
    av_frame_unref (a->in);
    if (!ok)
      return FALSE;
  }
  if (got == 0 || (a->max_samples >= 0 && a->n_queued >= a->max_samples)) {
    if (!audio_track_queue (a, NULL, out_path, error))
      return FALSE;
    a->input_done = TRUE;
  }
  return audio_track_encode (a, mux, out_path, error);
}

/* The output time encoded so far, in µs. */
static gint64
audio_track_time (AudioTrack * a)
{
  return av_rescale (a->offset + a->n_encoded, G_USEC_PER_SEC,
      a->enc->sample_rate);
}

/* ---- pictures: decode, scale to even-sized 4:2:0, encode H.264 ---- */

typedef struct
{
  NemoDecoder *dec;
  struct SwsContext *sws;
  AVCodecContext *enc;
  AVStream *st;
  AVFrame *in, *out;
  /* a decoded picture waits for the next one (or the end) to know how long
   * it lasts: a run of repeats in a spool is one frame */
  AVFrame *held;
  gboolean have_held;
  gint64 held_us;               /* its time */
  AVPacket *pkt;
  GArray *spans;                /* FrameSpan of the frames inside the encoder */
  gint64 origin_us;             /* input time that becomes 0 */
  gint64 stream_end_us;         /* where the input's picture track ends */
  gint64 frame_us;              /* one frame at the nominal rate */
  gint64 max_us;                /* 0: no cut */
  gint64 time_us;               /* time of the last frame decoded */
  gint64 end_us;                /* end of the last frame encoded */
  gint64 last_pts;              /* on the encoder's clock; -1 before the first */
  gboolean done;
} VideoTrack;

static void
video_track_free (VideoTrack * v)
{
  if (!v)
    return;
  nemo_decoder_free (v->dec);
  sws_freeContext (v->sws);
  avcodec_free_context (&v->enc);
  av_frame_free (&v->in);
  av_frame_free (&v->out);
  av_frame_free (&v->held);
  av_packet_free (&v->pkt);
  g_array_unref (v->spans);
  g_free (v);
}

/* libx264 veryfast at CRF 20, or, with @bitrate, an average of @bitrate
 * capped at @bitrate over a buffer of a sixteenth of the duration (a
 * quarter second to two): what the buffer lets the start overshoot would
 * break the size limit of a short clip, and a long one needs room for its
 * key frames. */
static gboolean
video_track_open_encoder (VideoTrack * v, UploadJob * job,
    NemoOutput * mux, gint64 bitrate, GError ** error)
{
  AVCodecParameters *par = v->dec->stream->codecpar;
  NemoMediaInfo *info = job->info;
  NemoH264Settings settings = {
    .use = NEMO_H264_UPLOAD,
    /* 4:2:0 wants even sizes */
    .width = MAX (2, par->width & ~1),
    .height = MAX (2, par->height & ~1),
    .pix_fmt = AV_PIX_FMT_YUV420P,
    .time_base = VIDEO_TIME_BASE,
    .framerate = {info->fps_n, info->fps_d},
    .sample_aspect_ratio = par->sample_aspect_ratio,
    .bitrate = bitrate,
    .max_rate = bitrate,
    .buffer_size = av_rescale (bitrate, CLAMP (upload_duration (job) / 16,
            MIN_VBV_US, MAX_VBV_US), G_USEC_PER_SEC),
  };

  v->enc = nemo_output_open_h264 (&settings, mux, error);
  if (!v->enc)
    return FALSE;
  v->st = nemo_output_add_stream (mux, v->enc, error);
  return v->st != NULL;
}

/* Where @st ends after @origin_us: Matroska keeps a run's length only in
 * the file's duration, not in its last block. */
static gint64
video_stream_end (AVStream * st, gint64 origin_us, gint64 fallback_us)
{
  gint64 start = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;

  if (st->duration == AV_NOPTS_VALUE)
    return fallback_us;
  return av_rescale_q (start + st->duration, st->time_base, AV_TIME_BASE_Q) -
      origin_us;
}

static VideoTrack *
video_track_new (UploadJob * job, NemoOutput * mux, gint64 bitrate,
    GError ** error)
{
  VideoTrack *v = g_new0 (VideoTrack, 1);
  NemoMediaInfo *info = job->info;
  int ret;

  v->spans = g_array_new (FALSE, FALSE, sizeof (FrameSpan));
  v->max_us = job->limits->max_duration_us;
  v->last_pts = -1;
  v->frame_us = info->fps_n > 0 ?
      av_rescale (G_USEC_PER_SEC, info->fps_d, info->fps_n) :
      G_USEC_PER_SEC / 25;
  v->dec = nemo_decoder_open (job->path, error);
  if (!v->dec || !nemo_decoder_select (v->dec,
          nemo_decoder_find_video (v->dec, FALSE), error))
    goto fail;
  v->origin_us = v->dec->fmt->start_time != AV_NOPTS_VALUE ?
      v->dec->fmt->start_time : 0;
  v->stream_end_us = video_stream_end (v->dec->stream, v->origin_us,
      info->duration_us);
  if (!video_track_open_encoder (v, job, mux, bitrate, error))
    goto fail;

  v->in = av_frame_alloc ();
  v->held = av_frame_alloc ();
  v->out = av_frame_alloc ();
  v->pkt = av_packet_alloc ();
  v->out->format = v->enc->pix_fmt;
  v->out->width = v->enc->width;
  v->out->height = v->enc->height;
  ret = av_frame_get_buffer (v->out, 0);
  if (ret < 0) {
    set_encode_error (error, job->out_path, ret);
    goto fail;
  }
  return v;

fail:
  video_track_free (v);
  return NULL;
}

/* Encodes the held frame, shown for @duration_us. */
static gboolean
video_track_encode (VideoTrack * v, NemoOutput * mux,
    gint64 duration_us, const gchar * out_path, GError ** error)
{
  AVFrame *in = v->held;
  gint64 t_us = v->held_us;
  FrameSpan span;
  int ret;

  /* the encoder may still hold the last picture */
  ret = av_frame_make_writable (v->out);
  if (ret < 0)
    goto fail;
  v->sws = sws_getCachedContext (v->sws, in->width, in->height, in->format,
      v->out->width, v->out->height, v->out->format, SWS_BICUBIC, NULL, NULL,
      NULL);
  if (!v->sws) {
    ret = AVERROR (EINVAL);
    goto fail;
  }
  sws_scale (v->sws, (const uint8_t * const *) in->data, in->linesize, 0,
      in->height, v->out->data, v->out->linesize);

  /* the muxer needs increasing times */
  span.pts = MAX (av_rescale_q (t_us, AV_TIME_BASE_Q, v->enc->time_base),
      v->last_pts + 1);
  span.duration = MAX (1, av_rescale_q (duration_us, AV_TIME_BASE_Q,
          v->enc->time_base));
  g_array_append_val (v->spans, span);
  v->last_pts = span.pts;
  v->out->pts = span.pts;
  ret = avcodec_send_frame (v->enc, v->out);
  if (ret < 0)
    goto fail;
  v->have_held = FALSE;
  v->end_us = t_us + duration_us;
  return mux_packets (v->enc, v->st, mux, v->pkt, v->spans, out_path, error);

fail:
  set_encode_error (error, out_path, ret);
  return FALSE;
}

/* The held frame lasts to the end of the input (at least its own length)
 * or to the cut; then the encoder is drained. */
static gboolean
video_track_finish (VideoTrack * v, NemoOutput * mux,
    const gchar * out_path, GError ** error)
{
  gint64 end;
  int ret;

  if (v->have_held) {
    end = MAX (v->held_us + (v->held->pkt_duration > 0 ?
            av_rescale_q (v->held->pkt_duration, v->dec->stream->time_base,
                AV_TIME_BASE_Q) : v->frame_us), v->stream_end_us);
    if (v->max_us > 0)
      end = MIN (end, v->max_us);
    if (!video_track_encode (v, mux, end - v->held_us, out_path, error))
      return FALSE;
  }
  ret = avcodec_send_frame (v->enc, NULL);
  if (ret < 0) {
    set_encode_error (error, out_path, ret);
    return FALSE;
  }
  v->done = TRUE;
  return mux_packets (v->enc, v->st, mux, v->pkt, v->spans, out_path, error);
}

/* Decodes one picture and encodes the one before it, which lasts until
 * this one; at the end or the cut, finishes. */
static gboolean
video_track_step (VideoTrack * v, NemoOutput * mux,
    const gchar * out_path, GError ** error)
{
  gint got = nemo_decoder_next (v->dec, v->in, error);
  gint64 t;

  if (got < 0)
    return FALSE;
  if (got == 0)
    return video_track_finish (v, mux, out_path, error);

  t = nemo_decoder_frame_time (v->dec, v->in);
  if (t != AV_NOPTS_VALUE)
    t -= v->origin_us;
  else
    t = v->have_held ? v->held_us + v->frame_us : 0;
  if (v->max_us > 0 && t >= v->max_us) {
    av_frame_unref (v->in);
    return video_track_finish (v, mux, out_path, error);
  }
  if (v->have_held &&
      !video_track_encode (v, mux, t - v->held_us, out_path, error))
    return FALSE;
  av_frame_unref (v->held);
  av_frame_move_ref (v->held, v->in);
  v->held_us = t;
  v->have_held = TRUE;
  v->time_us = t;
  return TRUE;
}

/* ---- whole files ---- */

static gboolean
encode_mp3 (UploadJob * job, const Bitrates * rates, GError ** error)
{
  NemoOutput *mux;
  AudioTrack *audio = NULL;
  gboolean ret = FALSE;

  mux = nemo_output_open (job->out_path, NEMO_CONTAINER_MP3, error);
  if (!mux)
    goto end;
  audio = audio_track_new (job, mux, NEMO_AUDIO_MP3,
      rates->audio > 0 ? rates->audio : MP3_BITRATE, AV_NOPTS_VALUE, error);
  if (!audio || !start_output (job, mux, error))
    goto end;
  while (!audio->done)
    if (!check_cancelled (job, error) ||
        !audio_track_step (audio, mux, job->out_path, error))
      goto end;
  job->out_duration_us = audio_track_time (audio);
  ret = TRUE;

end:
  ret = ret && nemo_output_finish (mux, error);
  nemo_output_free (mux);
  audio_track_free (audio);
  return ret;
}

static gboolean
encode_mp4 (UploadJob * job, const Bitrates * rates, GError ** error)
{
  NemoOutput *mux;
  VideoTrack *video = NULL;
  AudioTrack *audio = NULL;
  gboolean ret = FALSE;

  mux = nemo_output_open (job->out_path, NEMO_CONTAINER_MP4, error);
  if (!mux)
    goto end;
  video = video_track_new (job, mux, rates->video, error);
  if (!video)
    goto end;
  if (job->info->has_audio) {
    audio = audio_track_new (job, mux, NEMO_AUDIO_AAC,
        rates->audio > 0 ? rates->audio : AAC_BITRATE, video->origin_us,
        error);
    if (!audio)
      goto end;
  }
  if (!start_output (job, mux, error))
    goto end;

  /* the track that is behind goes next, so the muxer holds little */
  while (!video->done || (audio && !audio->done)) {
    gboolean video_next = !video->done && (!audio || audio->done ||
        video->time_us <= audio_track_time (audio));

    if (!check_cancelled (job, error))
      goto end;
    if (video_next ? !video_track_step (video, mux, job->out_path, error) :
        !audio_track_step (audio, mux, job->out_path, error))
      goto end;
  }
  job->out_duration_us = MAX (video->end_us, audio ? audio_track_time (audio)
      : 0);
  ret = TRUE;

end:
  ret = ret && nemo_output_finish (mux, error);
  nemo_output_free (mux);
  video_track_free (video);
  audio_track_free (audio);
  return ret;
}

/* One frame of the input at its nominal rate (25 fps when it has none),
 * in @time_base. */
static gint64
nominal_frame (UploadJob * job, AVRational time_base)
{
  NemoMediaInfo *info = job->info;

  return av_rescale_q (info->fps_n > 0 ? av_rescale (G_USEC_PER_SEC,
          info->fps_d, info->fps_n) : G_USEC_PER_SEC / 25, AV_TIME_BASE_Q,
      time_base);
}

/* Moves @pkt back by @start, so the first picture is at 0, and gives it
 * @frame's length when it has none. */
static void
remux_retime (AVPacket * pkt, gint64 start, gint64 frame)
{
  if (pkt->pts != AV_NOPTS_VALUE)
    pkt->pts -= start;
  if (pkt->dts != AV_NOPTS_VALUE)
    pkt->dts -= start;
  if (pkt->duration <= 0)
    pkt->duration = frame;
}

/* Copies the packets of @dec's stream @in_st to @st, retimed; @end: where
 * the last picture ends, in @in_st's time base. */
static gboolean
remux_packets (UploadJob * job, NemoDecoder * dec, AVStream * in_st,
    NemoOutput * mux, AVStream * st, gint64 * end, GError ** error)
{
  gint64 start = in_st->start_time != AV_NOPTS_VALUE ? in_st->start_time : 0;
  gint64 frame = nominal_frame (job, in_st->time_base);
  AVPacket *pkt = dec->pkt;
  int err;

  *end = 0;
  while ((err = av_read_frame (dec->fmt, pkt)) >= 0) {
    if (pkt->stream_index != in_st->index) {
      av_packet_unref (pkt);
      continue;
    }
    if (!check_cancelled (job, error))
      return FALSE;
    remux_retime (pkt, start, frame);
    if (pkt->pts != AV_NOPTS_VALUE)
      *end = MAX (*end, pkt->pts + pkt->duration);
    pkt->stream_index = st->index;
    av_packet_rescale_ts (pkt, in_st->time_base, st->time_base);
    if (!nemo_output_write (mux, pkt, error))
      return FALSE;
  }
  if (err != AVERROR_EOF) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
        "“%s” could not be read to its end (%s); the file is damaged or cut "
        "short. Record or download it again.", job->path, av_err2str (err));
    return FALSE;
  }
  return TRUE;
}

/* An H.264 MPEG-TS into MP4 without re-encoding: the times move so the
 * first picture is at 0, the last packet gets a frame's length. */
static gboolean
remux_mp4 (UploadJob * job, GError ** error)
{
  NemoDecoder *dec;
  NemoOutput *mux = NULL;
  AVStream *in_st, *st;
  gint64 end;
  gboolean ret = FALSE;

  dec = nemo_decoder_open (job->path, error);
  if (!dec)
    goto end;
  in_st = dec->fmt->streams[nemo_decoder_find_video (dec, FALSE)];
  mux = nemo_output_open (job->out_path, NEMO_CONTAINER_MP4, error);
  if (!mux)
    goto end;
  st = nemo_output_add_copy (mux, in_st->codecpar, in_st->time_base, error);
  if (!st)
    goto end;
  st->avg_frame_rate = in_st->avg_frame_rate;
  if (!start_output (job, mux, error) ||
      !remux_packets (job, dec, in_st, mux, st, &end, error))
    goto end;
  job->out_duration_us = av_rescale_q (end, in_st->time_base, AV_TIME_BASE_Q);
  ret = nemo_output_finish (mux, error);

end:
  nemo_output_free (mux);
  nemo_decoder_free (dec);
  return ret;
}

/* What a picture is encoded from: JPEG's full-range 4:2:0, or PNG's RGB,
 * with alpha if @frame has it. */
static enum AVPixelFormat
picture_format (const AVFrame * frame, gboolean jpeg)
{
  const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get (frame->format);

  if (jpeg)
    return AV_PIX_FMT_YUVJ420P;
  return desc && (desc->flags & AV_PIX_FMT_FLAG_ALPHA) ? AV_PIX_FMT_RGBA :
      AV_PIX_FMT_RGB24;
}

/* @frame scaled to @width×@height in @format. */
static AVFrame *
scale_picture (UploadJob * job, const AVFrame * frame, gint width,
    gint height, enum AVPixelFormat format, GError ** error)
{
  AVFrame *picture = av_frame_alloc ();
  struct SwsContext *sws = NULL;
  int err;

  picture->format = format;
  picture->width = width;
  picture->height = height;
  err = av_frame_get_buffer (picture, 0);
  /* full chroma: a 4:2:0 picture becomes the RGB pixels it shows */
  if (err >= 0)
    sws = sws_getContext (frame->width, frame->height, frame->format, width,
        height, format, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT,
        NULL, NULL, NULL);
  if (err >= 0 && !sws)
    err = AVERROR (EINVAL);
  if (err >= 0)
    sws_scale (sws, (const uint8_t * const *) frame->data, frame->linesize,
        0, frame->height, picture->data, picture->linesize);
  sws_freeContext (sws);
  if (err < 0) {
    set_encode_error (error, job->out_path, err);
    av_frame_free (&picture);
  }
  return picture;
}

static gboolean
write_output_file (UploadJob * job, const AVPacket * pkt, GError ** error)
{
  GError *local_error = NULL;

  if (g_file_set_contents (job->out_path, (const gchar *) pkt->data,
          pkt->size, &local_error))
    return TRUE;
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_IO,
      "Could not write “%s” (%s). Check that the work folder is writable "
      "and has free space.", job->out_path, local_error->message);
  g_error_free (local_error);
  return FALSE;
}

/* Encodes @frame as one PNG or JPEG picture of @width×@height into
 * job->out_path (reserved with the matching extension) and gives its
 * size. */
static gboolean
write_picture (UploadJob * job, const AVFrame * frame, gboolean jpeg,
    gint width, gint height, guint64 * size, GError ** error)
{
  const gchar *ext = jpeg ? "jpg" : "png";
  enum AVPixelFormat format = picture_format (frame, jpeg);
  AVCodecContext *enc = NULL;
  AVFrame *picture = NULL;
  AVPacket *pkt = av_packet_alloc ();
  gboolean ret = FALSE;

  if ((!job->out_path || !g_str_has_suffix (job->out_path, ext)) &&
      !reserve_output (job, ext, error))
    goto end;
  enc = nemo_output_open_picture (jpeg ? NEMO_PICTURE_JPEG :
      NEMO_PICTURE_PNG, width, height, format, error);
  if (!enc)
    goto end;
  picture = scale_picture (job, frame, width, height, format, error);
  if (!picture || !nemo_output_encode_picture (enc, picture, pkt, error) ||
      !write_output_file (job, pkt, error))
    goto end;
  *size = pkt->size;
  ret = TRUE;

end:
  av_packet_free (&pkt);
  av_frame_free (&picture);
  avcodec_free_context (&enc);
  return ret;
}

/* A still: PNG; over max_size, JPEG; still over, smaller JPEGs until one
 * fits or the picture gets too small to be of use. */
static gboolean
encode_still (UploadJob * job, GError ** error)
{
  guint64 max_size = job->limits->max_size;
  AVFrame *frame;
  gboolean ret = FALSE, jpeg = FALSE;
  guint64 size = 0;
  gint width, height;

  frame = nemo_media_decode_image (job->path, error);
  if (!frame)
    return FALSE;
  width = frame->width;
  height = frame->height;

  for (;;) {
    gdouble scale;
    gint w, h;

    if (!check_cancelled (job, error) ||
        !write_picture (job, frame, jpeg, width, height, &size, error))
      goto end;
    if (max_size == 0 || size <= max_size)
      break;
    if (!jpeg) {
      jpeg = TRUE;
      continue;
    }
    /* aim at the area that fits, but always shrink by a tenth at least */
    scale = MIN (0.9, sqrt ((gdouble) max_size / size) * 0.95);
    w = MAX (1, (gint) lround (width * scale));
    h = MAX (1, (gint) lround (height * scale));
    if (MAX (w, h) < MIN_STILL_SIDE) {
      g_autofree gchar *limit = g_format_size (max_size);
      g_autofree gchar *got = g_format_size (size);

      g_set_error (error, NEMO_ERROR, NEMO_ERROR_FILE_TOO_LARGE,
          "“%s” cannot be made to fit in max-upload-size (%s): even as a "
          "%d×%d JPEG it takes %s, %" G_GUINT64_FORMAT " bytes too many. Set "
          "a larger max-upload-size (at least %s); max-duration does not "
          "shorten a picture.", job->path, limit, width, height, got,
          size - max_size, got);
      goto end;
    }
    width = w;
    height = h;
  }
  ret = TRUE;

end:
  av_frame_free (&frame);
  return ret;
}

/* ---- fitting max_size ---- */

/* The largest MP3 bitrates (MPEG-1 layer III), down to the floor. */
static const gint64 mp3_bitrates[] = { 320000, 256000, 224000, 192000,
  160000, 128000, 112000, 96000, 80000, MIN_AUDIO_BITRATE
};

/* The lowest total bitrate @plan encodes at. */
static gint64
floor_bitrate (UploadJob * job, UploadPlan plan)
{
  if (plan == PLAN_AUDIO)
    return MIN_AUDIO_BITRATE;
  return MIN_VIDEO_BITRATE + (job->info->has_audio ? MIN_AUDIO_BITRATE : 0);
}

/* The bits a second with which the upload fills max_size, less the
 * container's margin. */
static gint64
fitting_bitrate (UploadJob * job)
{
  return (gint64) ((gdouble) job->limits->max_size * 8 * SIZE_MARGIN *
      G_USEC_PER_SEC / upload_duration (job));
}

/* Bitrates adding up to at most @total; FALSE when under the floors.
 * Video gives its sound an eighth, between 64 and 192 kbps. */
static gboolean
bitrates_for (UploadJob * job, UploadPlan plan, gint64 total,
    Bitrates * rates)
{
  guint i;

  rates->audio = rates->video = 0;
  if (plan == PLAN_AUDIO) {
    for (i = 0; i < G_N_ELEMENTS (mp3_bitrates) && !rates->audio; i++)
      if (mp3_bitrates[i] <= total)
        rates->audio = mp3_bitrates[i];
    return rates->audio > 0;
  }
  if (job->info->has_audio)
    rates->audio = CLAMP (total / 8, MIN_AUDIO_BITRATE, AAC_BITRATE);
  rates->video = total - rates->audio;
  return rates->video >= MIN_VIDEO_BITRATE;
}

static void
set_too_large (UploadJob * job, UploadPlan plan, GError ** error)
{
  gdouble seconds = upload_duration (job) / (gdouble) G_USEC_PER_SEC;
  gint64 floor = floor_bitrate (job, plan);
  guint64 max_size = job->limits->max_size;
  guint64 needed = (guint64) ceil (floor * seconds / 8 / SIZE_MARGIN);
  gdouble fits = max_size * 8 * SIZE_MARGIN / floor;
  g_autofree gchar *limit = g_format_size (max_size);
  g_autofree gchar *need = g_format_size (needed);
  g_autofree gchar *over = g_format_size (needed - MIN (needed, max_size));

  g_set_error (error, NEMO_ERROR, NEMO_ERROR_FILE_TOO_LARGE,
      "“%s” cannot be made to fit in max-upload-size (%s): %.1f s of %s "
      "takes about %s even at the lowest bitrate we encode (%" G_GINT64_FORMAT
      " kbit/s), %s too much. Set a shorter max-duration (%.1f s fits) or a "
      "larger max-upload-size (at least %s).", job->path, limit, seconds,
      plan == PLAN_AUDIO ? "audio" : "video", need, floor / 1000, over, fits,
      need);
}

static void
set_still_too_large (UploadJob * job, const Bitrates * rates, guint64 size,
    GError ** error)
{
  guint64 max_size = job->limits->max_size;
  g_autofree gchar *limit = g_format_size (max_size);
  g_autofree gchar *got = g_format_size (size);

  g_set_error (error, NEMO_ERROR, NEMO_ERROR_FILE_TOO_LARGE,
      "“%s” is still %s after re-encoding at %" G_GINT64_FORMAT " kbit/s, "
      "%" G_GUINT64_FORMAT " bytes over max-upload-size (%s). Set a shorter "
      "max-duration or a larger max-upload-size (at least %s).", job->path,
      got, (rates->audio + rates->video) / 1000, size - max_size, limit, got);
}

static gboolean
encode_plan (UploadJob * job, UploadPlan plan, const Bitrates * rates,
    GError ** error)
{
  switch (plan) {
    case PLAN_AUDIO:
      return encode_mp3 (job, rates, error);
    case PLAN_REMUX:
      return remux_mp4 (job, error);
    default:
      return encode_mp4 (job, rates, error);
  }
}

/* Encodes for @plan at its quality setting (with @fit_first, straight at
 * the bitrate that fits), then, while the result is over max_size, at the
 * bitrate that fits and once more at 85 % of that. */
static gboolean
encode_to_fit (UploadJob * job, UploadPlan plan, gboolean fit_first,
    GError ** error)
{
  guint64 max_size = job->limits->max_size;
  Bitrates rates = { 0, 0 };
  gint64 total = 0;
  guint64 size = 0;
  gint attempt;

  if (!reserve_output (job, plan == PLAN_AUDIO ? "mp3" : "mp4", error))
    return FALSE;
  for (attempt = fit_first ? 1 : 0; attempt < 3; attempt++) {
    if (plan == PLAN_REMUX && attempt > 0)
      plan = PLAN_VIDEO;
    if (attempt == 1) {
      total = fitting_bitrate (job);
    } else if (attempt == 2) {
      /* 85 %, but no lower than the floor: if that is where the first
       * try was, there is nothing left to try */
      gint64 used = plan == PLAN_AUDIO ? rates.audio : total;

      if (used <= floor_bitrate (job, plan))
        break;
      total = MAX (used * RETRY_FACTOR, floor_bitrate (job, plan));
    }
    if (attempt > 0 && !bitrates_for (job, plan, total, &rates)) {
      set_too_large (job, plan, error);
      return FALSE;
    }
    if (!check_cancelled (job, error) ||
        !encode_plan (job, plan, &rates, error) ||
        !output_size (job, &size, error))
      return FALSE;
    if (max_size == 0 || size <= max_size)
      return TRUE;
  }
  set_still_too_large (job, &rates, size, error);
  return FALSE;
}

/* ---- the decision ---- */

/* What to do with the input, and whether to aim at max_size from the
 * start: an accepted file is already compressed, and MP3 at 320 kbps
 * has a known size. */
static gboolean
choose_plan (UploadJob * job, UploadPlan * plan, gboolean * fit_first,
    GError ** error)
{
  const NemoUploadLimits *limits = job->limits;
  NemoMediaInfo *info = job->info;
  g_autoptr (NemoDecoder) dec = NULL;
  g_autofree gchar *ext = path_extension (job->path);
  gboolean accepted, too_long, too_big;
  GStatBuf st;

  dec = nemo_decoder_open (job->path, error);
  if (!dec)
    return FALSE;
  if (g_stat (job->path, &st) != 0) {
    int saved_errno = errno;

    g_set_error (error, NEMO_ERROR, NEMO_ERROR_NOT_FOUND,
        "“%s” cannot be read (%s). Check the path.", job->path,
        g_strerror (saved_errno));
    return FALSE;
  }

  accepted = is_accepted (dec, job->path) &&
      (!limits->from_pad || g_strv_contains (compact_spools, ext));
  too_long = limits->max_duration_us > 0 && info->kind != NEMO_MEDIA_IMAGE
      && info->duration_us > limits->max_duration_us;
  too_big = limits->max_size > 0 && (guint64) st.st_size > limits->max_size;

  if (accepted && !too_long && !too_big)
    *plan = PLAN_KEEP;
  else if (info->kind == NEMO_MEDIA_AUDIO)
    *plan = PLAN_AUDIO;
  else if (info->kind == NEMO_MEDIA_IMAGE)
    *plan = PLAN_STILL;
  else
    *plan = !too_long && can_remux (dec) ? PLAN_REMUX : PLAN_VIDEO;

  if (*plan == PLAN_AUDIO)
    *fit_first = limits->max_size > 0 && MP3_BITRATE / 8.0 *
        upload_duration (job) / G_USEC_PER_SEC >
        limits->max_size * SIZE_MARGIN;
  else
    *fit_first = *plan == PLAN_VIDEO && accepted && too_big;
  return TRUE;
}

gchar *
nemo_media_prepare_upload (const gchar * path, const gchar * work_dir,
    const NemoUploadLimits * limits, gboolean * transcoded,
    GCancellable * cancellable, GError ** error)
{
  UploadJob job = { 0 };
  UploadPlan plan;
  gboolean fit_first = FALSE, ok;
  gchar *ret = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (work_dir != NULL, NULL);
  g_return_val_if_fail (limits != NULL, NULL);

  if (transcoded)
    *transcoded = FALSE;
  job.path = path;
  job.work_dir = work_dir;
  job.limits = limits;
  job.cancellable = cancellable;
  if (!check_cancelled (&job, error))
    goto end;
  job.info = nemo_media_probe (path, error);
  if (!job.info)
    goto end;
  /* a file:// URI is a path from here on */
  job.path = job.info->path;
  if (!choose_plan (&job, &plan, &fit_first, error))
    goto end;
  if (plan == PLAN_KEEP) {
    ret = g_strdup (job.path);
    goto end;
  }

  if (plan == PLAN_STILL)
    ok = encode_still (&job, error);
  else
    ok = encode_to_fit (&job, plan, fit_first, error);
  if (!ok)
    goto end;
  ret = g_steal_pointer (&job.out_path);
  if (transcoded)
    *transcoded = TRUE;

end:
  discard_output (&job);
  nemo_media_info_free (job.info);
  return ret;
}
