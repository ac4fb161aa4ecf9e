/* Test helpers shared by the suites: see test-util.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "test-util.h"

#include <glib/gstdio.h>
#include <libavcodec/bsf.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <string.h>

gchar *
data_path (const gchar * name)
{
  const gchar *dir = g_getenv ("NEMO_TEST_DATA");

  g_assert_nonnull (dir);
  return g_build_filename (dir, name, NULL);
}

gchar *
read_fixture (const gchar * name)
{
  g_autofree gchar *path = g_build_filename (NEMO_FIXTURES, name, NULL);
  gchar *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return contents;
}

gchar *
make_dir (void)
{
  gchar *dir = g_dir_make_tmp ("nemo-test-XXXXXX", NULL);

  g_assert_nonnull (dir);
  return dir;
}

void
remove_dir (gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while ((name = g_dir_read_name (d))) {
    g_autofree gchar *path = g_build_filename (dir, name, NULL);
    g_assert_cmpint (g_unlink (path), ==, 0);
  }
  g_dir_close (d);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
  g_free (dir);
}

void
decode_stream (const gchar * path, enum AVMediaType type,
    DecodedFrameFunc func, gpointer user_data)
{
  AVFormatContext *fmt = NULL;
  AVCodecContext *codec;
  const AVCodec *decoder;
  AVPacket *packet = av_packet_alloc ();
  AVFrame *frame = av_frame_alloc ();
  gint stream, ret;

  g_assert_cmpint (avformat_open_input (&fmt, path, NULL, NULL), ==, 0);
  g_assert_cmpint (avformat_find_stream_info (fmt, NULL), >=, 0);
  stream = av_find_best_stream (fmt, type, -1, -1, &decoder, 0);
  g_assert_cmpint (stream, >=, 0);
  codec = avcodec_alloc_context3 (decoder);
  avcodec_parameters_to_context (codec, fmt->streams[stream]->codecpar);
  g_assert_cmpint (avcodec_open2 (codec, decoder, NULL), ==, 0);

  for (;;) {
    gboolean flushing = av_read_frame (fmt, packet) < 0;

    if (!flushing && packet->stream_index != stream) {
      av_packet_unref (packet);
      continue;
    }
    g_assert_cmpint (avcodec_send_packet (codec, flushing ? NULL : packet),
        ==, 0);
    av_packet_unref (packet);
    while ((ret = avcodec_receive_frame (codec, frame)) == 0)
      func (frame, user_data);
    g_assert_true (ret == AVERROR (EAGAIN) || ret == AVERROR_EOF);
    if (flushing)
      break;
  }
  av_frame_free (&frame);
  av_packet_free (&packet);
  avcodec_free_context (&codec);
  avformat_close_input (&fmt);
}

gboolean
frames_equal (const AVFrame * a, const AVFrame * b)
{
  gint plane, row;

  if (a->format != b->format || a->width != b->width ||
      a->height != b->height)
    return FALSE;
  for (plane = 0; plane < 4 && a->data[plane]; plane++) {
    gint bytes = av_image_get_linesize (a->format, a->width, plane);
    gint rows = plane == 0 ? a->height : -((-a->height) >> 1);

    for (row = 0; row < rows; row++)
      if (memcmp (a->data[plane] + row * a->linesize[plane],
              b->data[plane] + row * b->linesize[plane], bytes) != 0)
        return FALSE;
  }
  return TRUE;
}

AVFrame *
frame_of (const gchar * path, gint64 t_us)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoVideoReader) reader = nemo_video_reader_open (path, &error);
  const AVFrame *frame;

  g_assert_no_error (error);
  frame = nemo_video_reader_frame_at (reader, t_us, FALSE, &error);
  g_assert_no_error (error);
  return av_frame_clone (frame);
}

gint64
input_samples (const gchar * name)
{
  g_autofree gchar *path = data_path (name);
  g_autoptr (NemoAudioReader) reader = NULL;
  gfloat buffer[4096 * NEMO_AUDIO_CHANNELS];
  GError *error = NULL;
  gint64 total = 0;
  gint n;

  reader = nemo_audio_reader_open (path, &error);
  g_assert_no_error (error);
  while ((n = nemo_audio_reader_read (reader, buffer, 4096, &error)) > 0)
    total += n;
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 0);
  return total;
}

void
feed_h264 (NemoSpool * spool, const gchar * path)
{
  AVFormatContext *fmt = NULL;
  const AVBitStreamFilter *filter = av_bsf_get_by_name ("h264_mp4toannexb");
  AVBSFContext *bsf = NULL;
  AVPacket *pkt = av_packet_alloc ();
  g_autoptr (GError) error = NULL;
  AVStream *st;

  g_assert_cmpint (avformat_open_input (&fmt, path, NULL, NULL), ==, 0);
  g_assert_cmpint (avformat_find_stream_info (fmt, NULL), >=, 0);
  st = fmt->streams[0];
  g_assert_cmpint (av_bsf_alloc (filter, &bsf), ==, 0);
  avcodec_parameters_copy (bsf->par_in, st->codecpar);
  bsf->time_base_in = st->time_base;
  g_assert_cmpint (av_bsf_init (bsf), ==, 0);

  while (av_read_frame (fmt, pkt) >= 0) {
    g_assert_cmpint (av_bsf_send_packet (bsf, pkt), ==, 0);
    while (av_bsf_receive_packet (bsf, pkt) == 0) {
      g_assert_true (nemo_spool_write (spool, pkt->data, pkt->size,
              av_rescale_q (pkt->pts, st->time_base, AV_TIME_BASE_Q),
              &error));
      g_assert_no_error (error);
      av_packet_unref (pkt);
    }
  }
  av_packet_free (&pkt);
  av_bsf_free (&bsf);
  avformat_close_input (&fmt);
}

static void
put_le32 (guint8 * at, guint32 value)
{
  value = GUINT32_TO_LE (value);
  memcpy (at, &value, 4);
}

static void
put_le16 (guint8 * at, guint16 value)
{
  value = GUINT16_TO_LE (value);
  memcpy (at, &value, 2);
}

void
wav_header (guint8 header[WAV_HEADER_SIZE], guint32 rate, guint16 channels,
    guint32 data_bytes)
{
  const guint16 frame_bytes = channels * 2;

  memcpy (header, "RIFF", 4);
  put_le32 (header + 4, 36 + data_bytes);
  memcpy (header + 8, "WAVEfmt ", 8);
  put_le32 (header + 16, 16);
  put_le16 (header + 20, 1);    /* PCM */
  put_le16 (header + 22, channels);
  put_le32 (header + 24, rate);
  put_le32 (header + 28, rate * frame_bytes);
  put_le16 (header + 32, frame_bytes);
  put_le16 (header + 34, 16);
  memcpy (header + 36, "data", 4);
  put_le32 (header + 40, data_bytes);
}

guint64
peak_rss_kib (void)
{
  g_autofree gchar *status = NULL;
  const gchar *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL,
          NULL));
  line = strstr (status, "VmHWM:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + 6, NULL, 10);
}

/* @path and, if it is a folder, all under it; links are not followed. */
static void
remove_tree (const gchar * path)
{
  GDir *d;
  const gchar *name;

  if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK)
      && (d = g_dir_open (path, 0, NULL))) {
    while ((name = g_dir_read_name (d))) {
      g_autofree gchar *child = g_build_filename (path, name, NULL);
      remove_tree (child);
    }
    g_dir_close (d);
  }
  g_remove (path);
}

gboolean
in_own_tmp_dir (void)
{
  g_autofree gchar *dir = NULL;
  g_autofree gchar *old = NULL;

  if (g_test_subprocess ())
    return TRUE;
  dir = g_dir_make_tmp ("nemo-test-XXXXXX", NULL);
  g_assert_nonnull (dir);
  old = g_strdup (g_getenv ("TMPDIR"));
  g_setenv ("TMPDIR", dir, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  if (old)
    g_setenv ("TMPDIR", old, TRUE);
  else
    g_unsetenv ("TMPDIR");
  remove_tree (dir);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  g_test_trap_assert_passed ();
  return FALSE;
}

/* All of @path as 48 kHz stereo float; the frame count in @n_frames. */
gfloat *
read_all (const gchar * path, gsize * n_frames)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoAudioReader) reader = nemo_audio_reader_open (path, &error);
  GArray *samples = g_array_new (FALSE, FALSE, sizeof (gfloat));
  gfloat chunk[1000 * NEMO_AUDIO_CHANNELS];
  gint n;

  g_assert_no_error (error);
  /* an odd chunk size so reads straddle decoded frames */
  while ((n = nemo_audio_reader_read (reader, chunk, 1000, &error)) > 0)
    g_array_append_vals (samples, chunk, n * NEMO_AUDIO_CHANNELS);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 0);
  g_assert_cmpint (nemo_audio_reader_read (reader, chunk, 1000, &error), ==,
      0);

  *n_frames = samples->len / NEMO_AUDIO_CHANNELS;
  return (gfloat *) g_array_free (samples, FALSE);
}

/* Sign changes of one channel over @n frames from @start. */
gint
zero_crossings (const gfloat * s, gsize start, gsize n, gint channel)
{
  gint crossings = 0;
  gsize i;

  for (i = start + 1; i < start + n; i++)
    if ((s[(i - 1) * 2 + channel] < 0) != (s[i * 2 + channel] < 0))
      crossings++;
  return crossings;
}

gdouble
ffmpeg_meter (const gchar * path, const gchar * key)
{
  g_autofree gchar *log = NULL;
  const gchar *argv[] = { "ffmpeg", "-hide_banner", "-nostats", "-i", path,
    "-map", "0:a", "-af", "ebur128=peak=true", "-f", "null", "-", NULL
  };
  GError *error = NULL;
  const gchar *summary, *at;
  gint status;

  g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH |
      G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &log, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  summary = strstr (log, "Summary:");
  g_assert_nonnull (summary);
  at = strstr (summary, key);
  g_assert_nonnull (at);
  return g_ascii_strtod (at + strlen (key), NULL);
}
