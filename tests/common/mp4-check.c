/* Test helper: read an MP4 back and report what the output contract says. */
#include "mp4-check.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <stdlib.h>
#include <string.h>

/* Order of the top-level boxes: moov must come before mdat. */
static gboolean
moov_before_mdat (const gchar * path)
{
  FILE *f = fopen (path, "rb");
  guint8 head[16];
  gboolean seen_moov = FALSE, result = FALSE;

  while (f != NULL && fread (head, 1, 8, f) == 8) {
    guint64 size = ((guint64) head[0] << 24) | (head[1] << 16) |
        (head[2] << 8) | head[3];
    guint64 header = 8;

    if (memcmp (head + 4, "moov", 4) == 0)
      seen_moov = TRUE;
    if (memcmp (head + 4, "mdat", 4) == 0) {
      result = seen_moov;
      break;
    }
    if (size == 1) {            /* 64-bit size follows */
      if (fread (head + 8, 1, 8, f) != 8)
        break;
      size = GUINT64_FROM_BE (*(guint64 *) (head + 8));
      header = 16;
    }
    if (size < header || fseeko (f, (off_t) (size - header), SEEK_CUR) != 0)
      break;
  }
  if (f != NULL)
    fclose (f);
  return result;
}

static gchar *
dict_string (AVDictionary * dict, const gchar * key)
{
  AVDictionaryEntry *e = av_dict_get (dict, key, NULL, 0);

  return e ? g_strdup (e->value) : NULL;
}

static void
decode_video (AVFormatContext * fmt, AVStream * st, Mp4Report * r)
{
  const AVCodec *codec = avcodec_find_decoder (st->codecpar->codec_id);
  AVCodecContext *dec = avcodec_alloc_context3 (codec);
  AVPacket *pkt = av_packet_alloc ();
  AVFrame *frame = av_frame_alloc ();
  gint64 expected_duration, prev_pts = AV_NOPTS_VALUE, last_key = -1;
  gint64 frame_index = 0;

  avcodec_parameters_to_context (dec, st->codecpar);
  dec->err_recognition = AV_EF_EXPLODE | AV_EF_CRCCHECK | AV_EF_BITSTREAM;
  avcodec_open2 (dec, codec, NULL);
  expected_duration = av_rescale_q (1, av_inv_q (st->avg_frame_rate),
      st->time_base);
  r->constant_frame_rate = TRUE;
  r->keyframe_interval = 0;

  av_seek_frame (fmt, -1, 0, AVSEEK_FLAG_BACKWARD);
  for (;;) {
    gint ret = av_read_frame (fmt, pkt);

    if (ret >= 0 && pkt->stream_index != st->index) {
      av_packet_unref (pkt);
      continue;
    }
    if (avcodec_send_packet (dec, ret >= 0 ? pkt : NULL) < 0)
      r->decode_errors++;
    av_packet_unref (pkt);
    while (avcodec_receive_frame (dec, frame) >= 0) {
      if (frame->decode_error_flags || (frame->flags & AV_FRAME_FLAG_CORRUPT))
        r->decode_errors++;
      if (prev_pts != AV_NOPTS_VALUE && frame->pts - prev_pts != expected_duration)
        r->constant_frame_rate = FALSE;
      if (frame->key_frame) {
        gint interval = (gint) (frame_index - last_key);

        if (last_key >= 0 && r->keyframe_interval == 0)
          r->keyframe_interval = interval;
        else if (last_key >= 0 && r->keyframe_interval != interval)
          r->keyframe_interval = -1;
        last_key = frame_index;
      }
      prev_pts = frame->pts;
      frame_index++;
      av_frame_unref (frame);
    }
    if (ret < 0)
      break;
  }
  r->n_frames = frame_index;
  if (prev_pts != AV_NOPTS_VALUE)
    r->video_duration_s = (prev_pts + expected_duration - st->start_time)
        * av_q2d (st->time_base);

  av_frame_free (&frame);
  av_packet_free (&pkt);
  avcodec_free_context (&dec);
}

gboolean
mp4_inspect (const gchar * path, Mp4Report * r)
{
  AVFormatContext *fmt = NULL;
  guint i;

  memset (r, 0, sizeof (*r));
  if (avformat_open_input (&fmt, path, NULL, NULL) < 0)
    return FALSE;
  if (avformat_find_stream_info (fmt, NULL) < 0) {
    avformat_close_input (&fmt);
    return FALSE;
  }
  r->moov_before_mdat = moov_before_mdat (path);
  r->duration_s = fmt->duration / (gdouble) AV_TIME_BASE;
  r->title = dict_string (fmt->metadata, "title");
  r->artist = dict_string (fmt->metadata, "artist");
  r->album = dict_string (fmt->metadata, "album");

  for (i = 0; i < fmt->nb_streams; i++) {
    AVStream *st = fmt->streams[i];
    AVCodecParameters *par = st->codecpar;

    if (par->codec_type == AVMEDIA_TYPE_VIDEO) {
      r->n_video_streams++;
      r->video_codec = g_strdup (avcodec_get_name (par->codec_id));
      r->video_profile = par->profile;
      r->pix_fmt = g_strdup (av_get_pix_fmt_name (par->format));
      r->width = par->width;
      r->height = par->height;
      r->fps_n = st->avg_frame_rate.num;
      r->fps_d = st->avg_frame_rate.den;
    } else if (par->codec_type == AVMEDIA_TYPE_AUDIO) {
      r->n_audio_streams++;
      r->audio_codec = g_strdup (avcodec_get_name (par->codec_id));
      r->audio_profile = par->profile;
      r->sample_rate = par->sample_rate;
      r->channels = par->ch_layout.nb_channels;
      r->audio_duration_s = st->duration * av_q2d (st->time_base);
    }
  }
  for (i = 0; i < fmt->nb_streams; i++) {
    if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
      decode_video (fmt, fmt->streams[i], r);
      break;
    }
  }
  avformat_close_input (&fmt);
  return TRUE;
}

void
mp4_report_clear (Mp4Report * r)
{
  g_free (r->title);
  g_free (r->artist);
  g_free (r->album);
  g_free (r->video_codec);
  g_free (r->pix_fmt);
  g_free (r->audio_codec);
  memset (r, 0, sizeof (*r));
}

void
mp4_assert_contract (const Mp4Report * r, gint width, gint height, gint fps,
    gdouble source_duration_s, gdouble tolerance_s)
{
  gdouble frame = 1.0 / fps;
  gdouble audio_duration_s = r->audio_duration_s;

  g_assert_true (r->moov_before_mdat);
  g_assert_cmpuint (r->n_video_streams, ==, 1);
  g_assert_cmpuint (r->n_audio_streams, ==, 1);

  g_assert_cmpstr (r->video_codec, ==, "h264");
  g_assert_true (r->video_profile == FF_PROFILE_H264_HIGH
      || r->video_profile == FF_PROFILE_H264_MAIN);
  g_assert_cmpstr (r->pix_fmt, ==, "yuv420p");
  g_assert_cmpint (r->width, ==, width);
  g_assert_cmpint (r->height, ==, height);
  g_assert_cmpint (r->fps_n, ==, fps);
  g_assert_cmpint (r->fps_d, ==, 1);
  g_assert_true (r->constant_frame_rate);
  g_assert_cmpint (r->decode_errors, ==, 0);
  /* closed GOP of half the frame rate */
  g_assert_cmpint (r->keyframe_interval, ==, (fps + 1) / 2);

  g_assert_cmpstr (r->audio_codec, ==, "aac");
  g_assert_cmpint (r->audio_profile, ==, FF_PROFILE_AAC_LOW);
  g_assert_cmpint (r->sample_rate, ==, 48000);
  g_assert_cmpint (r->channels, ==, 2);

  g_assert_cmpfloat_with_epsilon (audio_duration_s, source_duration_s,
      tolerance_s);
  /* the duration is the song's within one frame; the video covers it */
  g_assert_cmpfloat_with_epsilon (r->duration_s, audio_duration_s, frame);
  g_assert_cmpfloat_with_epsilon (r->video_duration_s, audio_duration_s, frame);
  g_assert_cmpfloat (r->video_duration_s, >=, audio_duration_s - 1e-6);
  g_assert_cmpint (r->n_frames, ==, (gint64) ((audio_duration_s - 1e-9) * fps) + 1);
}

guint8 *
mp4_frame_rgb (const gchar * path, gdouble t_s, gint * width, gint * height)
{
  AVFormatContext *fmt = NULL;
  AVCodecContext *dec = NULL;
  AVPacket *pkt = av_packet_alloc ();
  AVFrame *frame = av_frame_alloc ();
  guint8 *rgb = NULL;
  gint index;
  AVStream *st;
  gint64 target;
  const AVCodec *codec;

  if (avformat_open_input (&fmt, path, NULL, NULL) < 0
      || avformat_find_stream_info (fmt, NULL) < 0)
    goto end;
  index = av_find_best_stream (fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (index < 0)
    goto end;
  st = fmt->streams[index];
  dec = avcodec_alloc_context3 (codec);
  avcodec_parameters_to_context (dec, st->codecpar);
  if (avcodec_open2 (dec, codec, NULL) < 0)
    goto end;
  target = (gint64) (t_s / av_q2d (st->time_base)) + st->start_time;

  while (rgb == NULL) {
    gint ret = av_read_frame (fmt, pkt);

    if (ret >= 0 && pkt->stream_index != index) {
      av_packet_unref (pkt);
      continue;
    }
    avcodec_send_packet (dec, ret >= 0 ? pkt : NULL);
    av_packet_unref (pkt);
    while (rgb == NULL && avcodec_receive_frame (dec, frame) >= 0) {
      if (frame->pts >= target || ret < 0) {
        struct SwsContext *sws = sws_getContext (frame->width, frame->height,
            frame->format, frame->width, frame->height, AV_PIX_FMT_RGB24,
            SWS_BILINEAR, NULL, NULL, NULL);
        gint stride = frame->width * 3;

        rgb = g_malloc (stride * frame->height);
        sws_scale (sws, (const uint8_t * const *) frame->data,
            frame->linesize, 0, frame->height, &rgb, &stride);
        sws_freeContext (sws);
        *width = frame->width;
        *height = frame->height;
      }
      av_frame_unref (frame);
    }
    if (ret < 0)
      break;
  }

end:
  av_frame_free (&frame);
  av_packet_free (&pkt);
  avcodec_free_context (&dec);
  avformat_close_input (&fmt);
  return rgb;
}

gboolean
rgb_near (const guint8 * rgb, gint width, gint x, gint y, gint r, gint g,
    gint b, gint tolerance)
{
  const guint8 *p = rgb + ((gsize) y * width + x) * 3;

  return abs (p[0] - r) <= tolerance && abs (p[1] - g) <= tolerance
      && abs (p[2] - b) <= tolerance;
}
