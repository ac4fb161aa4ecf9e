/* Test helper: read an output MP4 back and assert the output contract of
 * docs/interface.md, The output MP4.  Shared by the render and element
 * suites.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "output-check.h"

#include <nemo/media.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void
output_clear (Output * out)
{
  guint i;

  g_free (out->box_order);
  g_free (out->audio_sha256);
  av_dict_free (&out->tags);
  avcodec_parameters_free (&out->video);
  avcodec_parameters_free (&out->audio);
  g_clear_pointer (&out->pts, g_array_unref);
  g_clear_pointer (&out->keyframe, g_array_unref);
  for (i = 0; i < out->n_snapshots; i++)
    av_frame_free (&out->snapshot[i]);
}

static gchar *
read_box_order (const gchar * path)
{
  g_autofree gchar *contents = NULL;
  GString *order = g_string_new (NULL);
  GError *error = NULL;
  gsize length, offset = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  while (offset + 8 <= length) {
    const guint8 *box = (const guint8 *) contents + offset;
    guint32 size32;
    guint64 size;

    /* boxes are not aligned: copy, not load through a cast */
    memcpy (&size32, box, 4);
    size = GUINT32_FROM_BE (size32);
    if (size == 1 && offset + 16 <= length) {
      memcpy (&size, box + 8, 8);
      size = GUINT64_FROM_BE (size);
    }
    else if (size == 0)
      size = length - offset;
    g_string_append_printf (order, "%s%.4s", order->len ? " " : "",
        (const gchar *) box + 4);
    g_assert_cmpuint (size, >=, 8);
    offset += size;
  }
  g_assert_cmpuint (offset, ==, length);
  return g_string_free (order, FALSE);
}

static AVFrame *
to_rgb (const AVFrame * frame)
{
  struct SwsContext *sws;
  AVFrame *rgb = av_frame_alloc ();

  rgb->format = AV_PIX_FMT_RGB24;
  rgb->width = frame->width;
  rgb->height = frame->height;
  g_assert_cmpint (av_frame_get_buffer (rgb, 0), ==, 0);
  sws = sws_getContext (frame->width, frame->height, frame->format,
      rgb->width, rgb->height, AV_PIX_FMT_RGB24, SWS_BICUBIC | SWS_ACCURATE_RND,
      NULL, NULL, NULL);
  g_assert_nonnull (sws);
  /* The stream is tagged BT.709 TV range: convert as a player would. */
  sws_setColorspaceDetails (sws, sws_getCoefficients (SWS_CS_ITU709), 0,
      sws_getCoefficients (SWS_CS_ITU709), 1, 0, 1 << 16, 1 << 16);
  sws_scale (sws, (const uint8_t * const *) frame->data, frame->linesize, 0,
      frame->height, rgb->data, rgb->linesize);
  sws_freeContext (sws);
  return rgb;
}

static void
take_snapshot (Output * out, const AVFrame * frame)
{
  guint i;

  for (i = 0; i < out->n_snapshots; i++)
    if (out->snapshot_index[i] == out->n_decoded)
      out->snapshot[i] = to_rgb (frame);
}

static void
add_audio_power (Output * out, const AVFrame * frame)
{
  gint c, i;

  g_assert_cmpint (frame->format, ==, AV_SAMPLE_FMT_FLTP);
  for (i = 0; i < frame->nb_samples; i++) {
    gint64 second = (out->n_audio_samples + i) / frame->sample_rate;

    if (second >= (gint64) G_N_ELEMENTS (out->audio_power))
      break;
    for (c = 0; c < frame->ch_layout.nb_channels; c++) {
      gfloat v = ((const gfloat *) frame->extended_data[c])[i];
      out->audio_power[second] += v * v / frame->ch_layout.nb_channels
          / frame->sample_rate;
    }
  }
  for (c = 0; c < frame->ch_layout.nb_channels; c++)
    g_checksum_update (out->audio_checksum, frame->extended_data[c],
        frame->nb_samples * sizeof (gfloat));
  out->n_audio_samples += frame->nb_samples;
}

static void
drain_decoder (Output * out, AVCodecContext * decoder, AVFrame * frame,
    gboolean is_video)
{
  int ret;

  while ((ret = avcodec_receive_frame (decoder, frame)) >= 0) {
    if (frame->decode_error_flags || (frame->flags & AV_FRAME_FLAG_CORRUPT))
      out->decode_errors++;
    if (is_video) {
      take_snapshot (out, frame);
      out->n_decoded++;
    } else {
      add_audio_power (out, frame);
    }
    av_frame_unref (frame);
  }
  if (ret != AVERROR (EAGAIN) && ret != AVERROR_EOF)
    out->decode_errors++;
}

static AVCodecContext *
open_decoder (const AVCodecParameters * par)
{
  AVCodecContext *decoder =
      avcodec_alloc_context3 (avcodec_find_decoder (par->codec_id));

  g_assert_cmpint (avcodec_parameters_to_context (decoder, par), >=, 0);
  /* Fail on any bitstream damage instead of concealing it. */
  decoder->err_recognition = AV_EF_EXPLODE | AV_EF_CRCCHECK | AV_EF_BITSTREAM;
  decoder->thread_count = 1;
  g_assert_cmpint (avcodec_open2 (decoder, NULL, NULL), ==, 0);
  return decoder;
}

void
output_read (const gchar * path, const gdouble * snapshot_s, Output * out)
{
  AVFormatContext *format = NULL;
  AVCodecContext *video_decoder, *audio_decoder;
  AVPacket *packet = av_packet_alloc ();
  AVFrame *frame = av_frame_alloc ();
  gint video_index = -1, audio_index = -1;
  guint i;

  memset (out, 0, sizeof (*out));
  out->box_order = read_box_order (path);
  g_assert_cmpint (avformat_open_input (&format, path, NULL, NULL), ==, 0);
  g_assert_cmpint (avformat_find_stream_info (format, NULL), >=, 0);
  out->n_streams = format->nb_streams;
  out->duration_us = format->duration;
  av_dict_copy (&out->tags, format->metadata, 0);
  for (i = 0; i < format->nb_streams; i++) {
    AVStream *stream = format->streams[i];

    if (stream->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && video_index < 0)
      video_index = i;
    if (stream->codecpar->codec_type == AVMEDIA_TYPE_AUDIO && audio_index < 0)
      audio_index = i;
  }
  g_assert_cmpint (video_index, >=, 0);
  g_assert_cmpint (audio_index, >=, 0);
  out->video = avcodec_parameters_alloc ();
  out->audio = avcodec_parameters_alloc ();
  avcodec_parameters_copy (out->video, format->streams[video_index]->codecpar);
  avcodec_parameters_copy (out->audio, format->streams[audio_index]->codecpar);
  out->audio_duration = av_rescale_q (format->streams[audio_index]->duration,
      format->streams[audio_index]->time_base,
      (AVRational) { 1, out->audio->sample_rate });
  out->frame_rate = format->streams[video_index]->avg_frame_rate;
  out->video_time_base = format->streams[video_index]->time_base;
  g_assert_cmpint (out->frame_rate.num, >, 0);
  out->frame_duration = av_rescale_q (1, av_inv_q (out->frame_rate),
      out->video_time_base);
  out->audio_checksum = g_checksum_new (G_CHECKSUM_SHA256);
  out->pts = g_array_new (FALSE, FALSE, sizeof (gint64));
  out->keyframe = g_array_new (FALSE, FALSE, sizeof (gboolean));
  for (i = 0; snapshot_s && snapshot_s[i] >= 0; i++) {
    g_assert_cmpuint (i, <, OUTPUT_MAX_SNAPSHOTS);
    out->snapshot_index[i] = (gint64) llround (snapshot_s[i]
        * out->frame_rate.num / out->frame_rate.den);
    out->n_snapshots++;
  }

  video_decoder = open_decoder (out->video);
  audio_decoder = open_decoder (out->audio);
  while (av_read_frame (format, packet) >= 0) {
    if (packet->stream_index == video_index) {
      gboolean key = (packet->flags & AV_PKT_FLAG_KEY) != 0;

      g_array_append_val (out->pts, packet->pts);
      g_array_append_val (out->keyframe, key);
      if (packet->duration != out->frame_duration)
        out->odd_durations++;
      if (avcodec_send_packet (video_decoder, packet) < 0)
        out->decode_errors++;
      drain_decoder (out, video_decoder, frame, TRUE);
    } else if (packet->stream_index == audio_index) {
      if (avcodec_send_packet (audio_decoder, packet) < 0)
        out->decode_errors++;
      drain_decoder (out, audio_decoder, frame, FALSE);
    }
    av_packet_unref (packet);
  }
  avcodec_send_packet (video_decoder, NULL);
  drain_decoder (out, video_decoder, frame, TRUE);
  avcodec_send_packet (audio_decoder, NULL);
  drain_decoder (out, audio_decoder, frame, FALSE);
  /* a snapshot asked for past the end is a test error, not a blank */
  for (i = 0; i < out->n_snapshots; i++)
    g_assert_nonnull (out->snapshot[i]);

  avcodec_free_context (&video_decoder);
  avcodec_free_context (&audio_decoder);
  av_frame_free (&frame);
  av_packet_free (&packet);
  avformat_close_input (&format);
  out->audio_sha256 = g_strdup (g_checksum_get_string (out->audio_checksum));
  g_clear_pointer (&out->audio_checksum, g_checksum_free);
}

const gchar *
output_tag (const Output * out, const gchar * key)
{
  AVDictionaryEntry *entry = av_dict_get (out->tags, key, NULL, 0);

  return entry ? entry->value : NULL;
}

/* ---- the contract ---- */

/* `ffmpeg -v error -i out.mp4 -f null -` must print nothing. */
static void
assert_ffmpeg_decodes_cleanly (const gchar * path)
{
  const gchar *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-i", path,
    "-f", "null", "-", NULL
  };
  g_autofree gchar *errors = NULL;
  GError *error = NULL;
  gint status;

  g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH |
      G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &errors, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (errors, ==, "");
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static gint
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

static void
assert_gops (const Output * out, gint gop, gint64 n_frames)
{
  g_autoptr (GArray) sorted = g_array_copy (out->pts);
  gint64 first, closed_from = G_MININT64;
  guint i;

  /* Constant frame rate: the pts are consecutive frames. */
  g_array_sort (sorted, compare_gint64);
  first = g_array_index (sorted, gint64, 0);
  for (i = 0; i < sorted->len; i++)
    g_assert_cmpint (g_array_index (sorted, gint64, i) - first, ==,
        i * out->frame_duration);

  for (i = 0; i < out->pts->len; i++) {
    gint64 index = (g_array_index (out->pts, gint64, i) - first) /
        out->frame_duration;
    gboolean key = g_array_index (out->keyframe, gboolean, i);

    /* A keyframe exactly at every GOP start, nowhere else. */
    g_assert_cmpint (key, ==, index % gop == 0);
    /* Closed GOP: nothing after a keyframe in decode order is shown before
     * it (no leading pictures referring to the previous GOP). */
    if (key)
      closed_from = index;
    g_assert_cmpint (index, >=, closed_from);
  }
  g_assert_cmpint (out->pts->len, ==, n_frames);
}

void
output_assert_contract (const gchar * path, const Output * out, gint width,
    gint height, gint fps_n, gint64 samples)
{
  output_assert_contract_gop (path, out, width, height, fps_n, samples,
      (gint) lround (fps_n / 2.0));
}

void
output_assert_contract_gop (const gchar * path, const Output * out,
    gint width, gint height, gint fps_n, gint64 samples, gint gop)
{
  gint64 n_frames = (samples * fps_n + NEMO_AUDIO_RATE - 1) / NEMO_AUDIO_RATE;
  gint64 audio_us = samples * G_USEC_PER_SEC / NEMO_AUDIO_RATE;

  g_assert_cmpuint (out->n_streams, ==, 2);
  /* moov before mdat: players start without seeking to the end */
  g_assert_true (g_str_has_prefix (out->box_order, "ftyp "));
  g_assert_nonnull (strstr (out->box_order, "moov"));
  g_assert_nonnull (strstr (out->box_order, "mdat"));
  g_assert_true (strstr (out->box_order, "moov") <
      strstr (out->box_order, "mdat"));

  g_assert_cmpint (out->video->codec_id, ==, AV_CODEC_ID_H264);
  g_assert_cmpint (out->video->profile, ==, FF_PROFILE_H264_HIGH);
  g_assert_cmpint (out->video->format, ==, AV_PIX_FMT_YUV420P);
  g_assert_cmpint (out->video->width, ==, width);
  g_assert_cmpint (out->video->height, ==, height);
  g_assert_cmpint (out->video->color_space, ==, AVCOL_SPC_BT709);
  g_assert_cmpint (out->video->color_range, ==, AVCOL_RANGE_MPEG);
  g_assert_cmpint (av_cmp_q (out->frame_rate, (AVRational) { fps_n, 1 }), ==,
      0);
  g_assert_cmpint (out->odd_durations, ==, 0);
  assert_gops (out, gop, n_frames);
  g_assert_cmpint (out->n_decoded, ==, n_frames);

  g_assert_cmpint (out->audio->codec_id, ==, AV_CODEC_ID_AAC);
  g_assert_cmpint (out->audio->profile, ==, FF_PROFILE_AAC_LOW);
  g_assert_cmpint (out->audio->sample_rate, ==, 48000);
  g_assert_cmpint (out->audio->ch_layout.nb_channels, ==, 2);
  /* The edit list gives the sound its exact length; FFmpeg's demuxer trims
   * the encoder's priming but not the silence padding the last frame. */
  g_assert_cmpint (out->audio_duration, ==, samples);
  g_assert_cmpint (out->n_audio_samples, >=, samples);
  g_assert_cmpint (out->n_audio_samples, <, samples + 1024);

  /* The video covers the sound and ends less than a frame after it. */
  g_assert_cmpint (n_frames * G_USEC_PER_SEC / fps_n, >=, audio_us);
  g_assert_cmpint (llabs (out->duration_us - audio_us), <,
      G_USEC_PER_SEC / fps_n);

  g_assert_cmpint (out->decode_errors, ==, 0);
  assert_ffmpeg_decodes_cleanly (path);
}

void
output_assert_contract_near (const gchar * path, const Output * out,
    gint width, gint height, gint fps_n, gdouble source_s,
    gdouble tolerance_s)
{
  g_assert_cmpfloat_with_epsilon ((gdouble) out->audio_duration /
      NEMO_AUDIO_RATE, source_s, tolerance_s);
  output_assert_contract (path, out, width, height, fps_n,
      out->audio_duration);
}

/* ---- what a viewer sees ---- */

const guint8 *
rgb_pixel (const AVFrame * rgb, gint x, gint y)
{
  return rgb->data[0] + (gsize) y * rgb->linesize[0] + 3 * x;
}

gdouble
rgb_luma (const guint8 * p)
{
  return 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
}

void
assert_rgb_near (const guint8 * p, guint8 r, guint8 g, guint8 b, gint slack)
{
  g_assert_cmpint (abs (p[0] - r), <=, slack);
  g_assert_cmpint (abs (p[1] - g), <=, slack);
  g_assert_cmpint (abs (p[2] - b), <=, slack);
}

/* The fill: never black bars, and a darker version of the picture's edge
 * colour (@r, @g, @b), keeping its dominant channel. */
void
assert_no_black_edges (const AVFrame * rgb)
{
  gint x, y;

  for (x = 0; x < rgb->width; x += 8) {
    g_assert_cmpfloat (rgb_luma (rgb_pixel (rgb, x, 0)), >, 16);
    g_assert_cmpfloat (rgb_luma (rgb_pixel (rgb, x, rgb->height - 1)), >, 16);
  }
  for (y = 0; y < rgb->height; y += 8) {
    g_assert_cmpfloat (rgb_luma (rgb_pixel (rgb, 0, y)), >, 16);
    g_assert_cmpfloat (rgb_luma (rgb_pixel (rgb, rgb->width - 1, y)), >, 16);
  }
}

gdouble
rgb_psnr (const AVFrame * a, const AVFrame * b)
{
  gdouble sum = 0;
  gint x, y;

  g_assert_cmpint (a->width, ==, b->width);
  g_assert_cmpint (a->height, ==, b->height);
  for (y = 0; y < a->height; y++)
    for (x = 0; x < a->width * 3; x++) {
      gint d = a->data[0][y * a->linesize[0] + x] -
          b->data[0][y * b->linesize[0] + x];
      sum += d * d;
    }
  sum /= (gdouble) a->width * a->height * 3;
  sum = sum == 0 ? INFINITY : 10 * log10 (255.0 * 255.0 / sum);
  g_test_message ("PSNR %.2f dB", sum);
  return sum;
}

