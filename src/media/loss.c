/* nemorender media layer: say what a file that is cut short lost, so that
 * what survives is rendered with a warning instead of in silence: how much
 * of a song, how many rows of a JPEG.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "media-private.h"

#include <libavutil/imgutils.h>
#include <stdio.h>
#include <string.h>

/* A song that ends this much before its container says is cut short; less
 * is encoder padding and rounding. */
#define AUDIO_LOSS_US (G_USEC_PER_SEC / 4)

/* Where the packets of the selected stream end, in its time base: read
 * only, not decoded, so a long song costs little. */
static gint64
packets_end (NemoDecoder * dec)
{
  gint64 end = AV_NOPTS_VALUE;

  while (av_read_frame (dec->fmt, dec->pkt) >= 0) {
    gint64 ts = dec->pkt->pts != AV_NOPTS_VALUE ? dec->pkt->pts :
        dec->pkt->dts;

    if (dec->pkt->stream_index == dec->stream->index && ts != AV_NOPTS_VALUE)
      end = end == AV_NOPTS_VALUE ? ts + dec->pkt->duration :
          MAX (end, ts + dec->pkt->duration);
    av_packet_unref (dec->pkt);
  }
  return end;
}

/* The length the container states against where its packets end.  A
 * length guessed from the bitrate is the file's own size: no measure. */
static gchar *
describe_audio_loss (NemoDecoder * dec, const gchar * name)
{
  AVStream *st = dec->stream;
  gint64 start = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
  gint64 end, stated_us, got_us;

  if (dec->fmt->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE
      || st->duration == AV_NOPTS_VALUE)
    return NULL;
  end = packets_end (dec);
  stated_us = av_rescale_q (st->duration, st->time_base, AV_TIME_BASE_Q);
  got_us = end == AV_NOPTS_VALUE ? 0 :
      av_rescale_q (end - start, st->time_base, AV_TIME_BASE_Q);
  if (stated_us - got_us < AUDIO_LOSS_US)
    return NULL;
  return g_strdup_printf ("“%s” ends after %.1f s of its %.1f s: the file "
      "is cut short, and the video ends with what is there. Export or "
      "download the song again to have all of it.", name, got_us / 1e6,
      stated_us / 1e6);
}

/* Whether the file ends with JPEG's end-of-image marker (FF D9), as the
 * decoder looks for it ("EOI missing"). */
static gboolean
ends_with_eoi (const gchar * path)
{
  FILE *file = fopen (path, "rb");
  guint8 tail[2] = { 0, };
  gboolean ok;

  if (file == NULL)
    return TRUE;
  ok = fseek (file, -2, SEEK_END) == 0 && fread (tail, 1, 2, file) == 2;
  fclose (file);
  return !ok || (tail[0] == 0xff && tail[1] == 0xd9);
}

/* get_buffer2 that paints each new picture with the byte in ctx->opaque,
 * so what the decoder never writes keeps that value. */
static int
get_painted_buffer (AVCodecContext * ctx, AVFrame * frame, int flags)
{
  int ret = avcodec_default_get_buffer2 (ctx, frame, flags);
  guint i;

  if (ret < 0)
    return ret;
  for (i = 0; i < AV_NUM_DATA_POINTERS && frame->buf[i] != NULL; i++)
    memset (frame->buf[i]->data, GPOINTER_TO_UINT (ctx->opaque),
        frame->buf[i]->size);
  return 0;
}

/* @path's picture, decoded onto a canvas painted @paint; NULL if it does
 * not decode. */
static AVFrame *
decode_painted (const gchar * path, guint8 paint)
{
  g_autoptr (NemoDecoder) dec = nemo_decoder_open_picture (path, "", NULL);
  AVFrame *frame;

  if (dec == NULL)
    return NULL;
  dec->dec->opaque = GUINT_TO_POINTER (paint);
  dec->dec->get_buffer2 = get_painted_buffer;
  frame = av_frame_alloc ();
  if (nemo_decoder_next (dec, frame, NULL) != 1)
    av_frame_free (&frame);
  return frame;
}

/* How many rows of @path's picture the decoder wrote: decoded twice, on
 * canvases painted differently, a row it never reached differs between
 * the two.  -1 when that cannot be told. */
static gint
count_decoded_rows (const gchar * path, gint * height)
{
  AVFrame *dark = decode_painted (path, 0x00);
  AVFrame *light = decode_painted (path, 0xff);
  gint rows = -1;
  gint y, row_bytes;

  if (dark == NULL || light == NULL || dark->format != light->format
      || dark->height != light->height || dark->width != light->width)
    goto end;
  row_bytes = av_image_get_linesize (dark->format, dark->width, 0);
  if (row_bytes <= 0)
    goto end;
  rows = 0;
  for (y = 0; y < dark->height; y++)
    rows += memcmp (dark->data[0] + (gsize) y * dark->linesize[0],
        light->data[0] + (gsize) y * light->linesize[0], row_bytes) == 0;
  *height = dark->height;

end:
  av_frame_free (&dark);
  av_frame_free (&light);
  return rows;
}

static gchar *
describe_picture_loss (NemoDecoder * dec, const gchar * name)
{
  const gchar *format = dec->fmt->iformat->name;
  gint height = 0;
  gint rows;

  /* a JPEG file, not a Motion-JPEG clip */
  if (dec->stream->codecpar->codec_id != AV_CODEC_ID_MJPEG
      || (g_strcmp0 (format, "jpeg_pipe") != 0
          && g_strcmp0 (format, "image2") != 0)
      || ends_with_eoi (dec->path))
    return NULL;
  rows = count_decoded_rows (dec->path, &height);
  /* all rows there: a progressive JPEG lacks its finer scans */
  if (rows < 0 || rows >= height)
    return g_strdup_printf ("“%s” is cut short: its data ends before the "
        "picture does, so part of it is missing or blurred. Export or "
        "download the picture again.", name);
  return g_strdup_printf ("“%s” is cut short: its data ends after %d of its "
      "%d rows, so the lower %d %% of it is missing (shown as a flat band). "
      "Export or download the picture again.", name, rows, height,
      (gint) ((height - rows) * 100.0 / height + 0.5));
}

gchar *
nemo_media_describe_loss (const gchar * path, gboolean audio)
{
  g_autoptr (NemoDecoder) dec = NULL;
  g_autofree gchar *name = g_path_get_basename (path);
  gint index;

  /* what cannot be read at all is said when it is read */
  dec = nemo_decoder_open (path, NULL);
  if (dec == NULL)
    return NULL;
  index = audio ? nemo_decoder_find_audio (dec) :
      nemo_decoder_find_video (dec, TRUE);
  if (index < 0 || !nemo_decoder_select (dec, index, NULL))
    return NULL;
  return audio ? describe_audio_loss (dec, name) :
      describe_picture_loss (dec, name);
}
