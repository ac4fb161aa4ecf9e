/* nemorender media layer: open a file with libavformat and decode one of
 * its streams, with the errors every reader shares.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "media-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>

#define FORMATS_WE_READ \
  "We read audio in MP3, AAC/M4A, WAV, FLAC and OGG/Opus, images in JPEG, " \
  "PNG, GIF and WebP, and video in MP4, MOV, MKV, WebM and AVI: convert it " \
  "to one of those."

gboolean
nemo_media_check_readable (const gchar * path, GError ** error)
{
  GStatBuf st;
  int fd;

  if (g_stat (path, &st) != 0 && errno == ENOENT) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_NOT_FOUND,
        "“%s” does not exist. Check the path.", path);
    return FALSE;
  }
  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_NOT_FOUND,
        "“%s” is a folder, not a file. Give the path of a file in it.", path);
    return FALSE;
  }
  fd = g_open (path, O_RDONLY, 0);
  if (fd < 0) {
    int saved_errno = errno;

    g_set_error (error, NEMO_ERROR, NEMO_ERROR_NOT_FOUND,
        "“%s” cannot be opened (%s). Check that it exists and that you may "
        "read it.", path, g_strerror (saved_errno));
    return FALSE;
  }
  g_close (fd, NULL);
  return TRUE;
}

void
nemo_media_set_unsupported (GError ** error, const gchar * path, int averr)
{
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
      "“%s” is not an audio, image or video file FFmpeg can read (%s). "
      FORMATS_WE_READ, path, av_err2str (averr));
}

gboolean
nemo_media_check_picture_size (const gchar * path, gint width, gint height,
    GError ** error)
{
  g_autofree gchar *base = NULL;
  const gchar *ext;

  if (width <= NEMO_MAX_IMAGE_SIDE && height <= NEMO_MAX_IMAGE_SIDE)
    return TRUE;

  base = g_path_get_basename (path);
  ext = strrchr (base, '.');
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_IMAGE_TOO_LARGE,
      "“%s” is %d×%d px; images may be at most %d px on a side. Scale it "
      "down first (e.g. ffmpeg -i %s -vf scale=3840:-2 smaller%s).", path,
      width, height, NEMO_MAX_IMAGE_SIDE, base, ext ? ext : ".png");
  return FALSE;
}

static guint32
read_be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

/* libavformat's MP3 demuxer refuses a file whose only frame is the
 * Xing/Info header of an encode of zero samples ("Invalid argument").
 * Recognise that header so the user hears "no audio", not "not a file we
 * read". */
static gboolean
is_mp3_without_frames (const gchar * path)
{
  guint8 buf[256];
  gboolean ret = FALSE;
  guint32 header, flags;
  gsize n, tag;
  glong start = 0;
  gboolean mpeg1, mono;
  FILE *file;

  file = g_fopen (path, "rb");
  if (!file)
    return FALSE;

  n = fread (buf, 1, 10, file);
  if (n == 10 && memcmp (buf, "ID3", 3) == 0) {
    start = 10 + ((buf[6] & 0x7f) << 21) + ((buf[7] & 0x7f) << 14) +
        ((buf[8] & 0x7f) << 7) + (buf[9] & 0x7f);
    if (buf[5] & 0x10)          /* footer present */
      start += 10;
  }
  if (fseek (file, start, SEEK_SET) != 0)
    goto end;
  n = fread (buf, 1, sizeof (buf), file);
  if (n < 4)
    goto end;

  header = read_be32 (buf);
  /* sync, a valid version, layer III, a real bitrate and sample rate */
  if ((header & 0xffe00000) != 0xffe00000 || ((header >> 19) & 3) == 1 ||
      ((header >> 17) & 3) != 1 || ((header >> 12) & 15) == 0 ||
      ((header >> 12) & 15) == 15 || ((header >> 10) & 3) == 3)
    goto end;

  mpeg1 = ((header >> 19) & 3) == 3;
  mono = ((header >> 6) & 3) == 3;
  tag = 4 + (mpeg1 ? (mono ? 17 : 32) : (mono ? 9 : 17));
  if (n < tag + 12 || (memcmp (buf + tag, "Xing", 4) != 0 &&
          memcmp (buf + tag, "Info", 4) != 0))
    goto end;

  flags = read_be32 (buf + tag + 4);
  ret = (flags & 1) && read_be32 (buf + tag + 8) == 0;

end:
  fclose (file);
  return ret;
}

/* An MP4 (or M4A, MOV) is a chain of boxes and its index, `moov`, is
 * often written last: a file cut short before it (a download that
 * stopped, an export still running) fails as "moov atom not found".
 * Recognise it so the user hears "cut short", not "not a file we read". */
static gboolean
is_mp4_without_index (const gchar * path)
{
  guint8 box[16];
  gboolean saw_ftyp = FALSE, ret = FALSE;
  gint64 at = 0, size;
  FILE *file;

  file = g_fopen (path, "rb");
  if (!file)
    return FALSE;
  while (fseeko (file, at, SEEK_SET) == 0 && fread (box, 1, 8, file) == 8) {
    size = read_be32 (box);
    if (!saw_ftyp && memcmp (box + 4, "ftyp", 4) != 0)
      goto end;
    saw_ftyp = TRUE;
    if (memcmp (box + 4, "moov", 4) == 0)
      goto end;
    if (size == 1 && fread (box + 8, 1, 8, file) == 8)
      size = ((gint64) read_be32 (box + 8) << 32) | read_be32 (box + 12);
    if (size < 8)               /* 0: the box runs to the end of the file */
      break;
    at += size;
  }
  ret = saw_ftyp;

end:
  fclose (file);
  return ret;
}

static gboolean
open_input (NemoDecoder * self, GError ** error)
{
  AVDictionary **options = NULL;
  guint i;
  int ret;

  ret = avformat_open_input (&self->fmt, self->path, NULL, NULL);
  if (ret < 0) {
    if (is_mp3_without_frames (self->path))
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_NO_AUDIO,
          "“%s” is an MP3 file with no audio in it (its header counts zero "
          "frames). Export the song again.", self->path);
    else if (is_mp4_without_index (self->path))
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
          "“%s” is an MP4/M4A file without its index (the ‘moov’ box, "
          "written last): the file is cut short, or was copied before its "
          "export finished. Export or download it again.", self->path);
    else
      nemo_media_set_unsupported (error, self->path, ret);
    return FALSE;
  }

  /* find_stream_info decodes a little: no picture over the limit there
   * either */
  options = g_new0 (AVDictionary *, self->fmt->nb_streams);
  for (i = 0; i < self->fmt->nb_streams; i++)
    av_dict_set_int (&options[i], "max_pixels",
        (gint64) NEMO_MAX_IMAGE_SIDE * NEMO_MAX_IMAGE_SIDE, 0);
  ret = avformat_find_stream_info (self->fmt, options);
  for (i = 0; i < self->fmt->nb_streams; i++)
    av_dict_free (&options[i]);
  g_free (options);
  if (ret < 0) {
    nemo_media_set_unsupported (error, self->path, ret);
    return FALSE;
  }
  return TRUE;
}

NemoDecoder *
nemo_decoder_open (const gchar * path, GError ** error)
{
  NemoDecoder *self;

  if (!nemo_media_check_readable (path, error) ||
      !nemo_image_header_check (path, error))
    return NULL;

  self = g_new0 (NemoDecoder, 1);
  self->path = g_strdup (path);
  self->pkt = av_packet_alloc ();
  if (!open_input (self, error)) {
    nemo_decoder_free (self);
    return NULL;
  }
  return self;
}

gint
nemo_decoder_find_video (NemoDecoder * self, gboolean allow_cover)
{
  gint cover = -1;
  guint i;

  for (i = 0; i < self->fmt->nb_streams; i++) {
    AVStream *st = self->fmt->streams[i];

    if (st->codecpar->codec_type != AVMEDIA_TYPE_VIDEO)
      continue;
    if (!(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
      return i;
    if (cover < 0)
      cover = i;
  }
  return allow_cover ? cover : -1;
}

gint
nemo_decoder_find_audio (NemoDecoder * self)
{
  guint i;

  for (i = 0; i < self->fmt->nb_streams; i++)
    if (self->fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
      return i;
  return -1;
}

gboolean
nemo_decoder_select (NemoDecoder * self, gint index, GError ** error)
{
  AVStream *st = self->fmt->streams[index];
  const AVCodec *codec;
  int ret;

  if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
      !nemo_media_check_picture_size (self->path, st->codecpar->width,
          st->codecpar->height, error))
    return FALSE;

  codec = avcodec_find_decoder (st->codecpar->codec_id);
  if (!codec) {
    nemo_media_set_unsupported (error, self->path, AVERROR_DECODER_NOT_FOUND);
    return FALSE;
  }
  self->dec = avcodec_alloc_context3 (codec);
  ret = avcodec_parameters_to_context (self->dec, st->codecpar);
  if (ret < 0)
    goto fail;
  self->dec->pkt_timebase = st->time_base;
  self->dec->max_pixels = (gint64) NEMO_MAX_IMAGE_SIDE * NEMO_MAX_IMAGE_SIDE;
  ret = avcodec_open2 (self->dec, codec, NULL);
  if (ret < 0)
    goto fail;

  self->stream = st;
  for (guint i = 0; i < self->fmt->nb_streams; i++)
    self->fmt->streams[i]->discard = (gint) i == index ?
        AVDISCARD_DEFAULT : AVDISCARD_ALL;
  return TRUE;

fail:
  avcodec_free_context (&self->dec);
  nemo_media_set_unsupported (error, self->path, ret);
  return FALSE;
}

NemoDecoder *
nemo_decoder_open_picture (const gchar * path, const gchar * advice,
    GError ** error)
{
  g_autoptr (NemoDecoder) dec = NULL;
  gint index;

  dec = nemo_decoder_open (path, error);
  if (!dec)
    return NULL;

  /* an MP3's cover is a picture too */
  index = nemo_decoder_find_video (dec, TRUE);
  if (index < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
        "“%s” has no picture in it. %s", path, advice);
    return NULL;
  }
  if (!nemo_decoder_select (dec, index, error))
    return NULL;
  return g_steal_pointer (&dec);
}

/* Feeds the decoder the next packet of our stream, or the end of stream. */
static int
feed_decoder (NemoDecoder * self)
{
  int ret;

  for (;;) {
    ret = av_read_frame (self->fmt, self->pkt);
    if (ret == AVERROR_EOF)
      return avcodec_send_packet (self->dec, NULL);
    if (ret < 0)
      return ret;
    if (self->pkt->stream_index == self->stream->index)
      break;
    av_packet_unref (self->pkt);
  }

  ret = avcodec_send_packet (self->dec, self->pkt);
  av_packet_unref (self->pkt);
  /* one damaged packet is skipped, as ffmpeg does; it only counts if
   * nothing decodes at all */
  if (ret == AVERROR_INVALIDDATA) {
    self->skipped_error = ret;
    ret = 0;
  }
  return ret;
}

gint
nemo_decoder_next (NemoDecoder * self, AVFrame * frame, GError ** error)
{
  int ret;

  for (;;) {
    ret = avcodec_receive_frame (self->dec, frame);
    if (ret >= 0) {
      self->n_frames++;
      return 1;
    }
    if (ret == AVERROR_EOF) {
      if (self->n_frames == 0 && self->skipped_error) {
        ret = self->skipped_error;
        break;
      }
      return 0;
    }
    if (ret != AVERROR (EAGAIN))
      break;
    ret = feed_decoder (self);
    if (ret < 0)
      break;
  }

  /* nothing decoded at all: not a file we read, whatever its name says */
  if (self->n_frames == 0)
    nemo_media_set_unsupported (error, self->path, ret);
  else
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
        "“%s” could not be decoded after %" G_GINT64_FORMAT " frames (%s); "
        "the file is damaged or cut short. Export or download it again.",
        self->path, self->n_frames, av_err2str (ret));
  return -1;
}

gboolean
nemo_decoder_rewind (NemoDecoder * self, GError ** error)
{
  int index = self->stream->index;
  int ret;

  ret = av_seek_frame (self->fmt, index, self->stream->start_time !=
      AV_NOPTS_VALUE ? self->stream->start_time : 0, AVSEEK_FLAG_BACKWARD);
  if (ret < 0) {
    /* some demuxers (image pipes) cannot seek: read the file again */
    AVCodecContext *dec = g_steal_pointer (&self->dec);

    avformat_close_input (&self->fmt);
    if (!open_input (self, error) || !nemo_decoder_select (self, index, error)) {
      avcodec_free_context (&dec);
      return FALSE;
    }
    avcodec_free_context (&dec);
  } else {
    avcodec_flush_buffers (self->dec);
  }
  self->n_frames = 0;
  self->skipped_error = 0;
  return TRUE;
}

gint64
nemo_decoder_frame_time (NemoDecoder * self, const AVFrame * frame)
{
  if (frame->best_effort_timestamp == AV_NOPTS_VALUE)
    return AV_NOPTS_VALUE;
  return av_rescale_q (frame->best_effort_timestamp, self->stream->time_base,
      AV_TIME_BASE_Q);
}

void
nemo_decoder_free (NemoDecoder * self)
{
  if (!self)
    return;
  avcodec_free_context (&self->dec);
  avformat_close_input (&self->fmt);
  av_packet_free (&self->pkt);
  g_free (self->path);
  g_free (self);
}
