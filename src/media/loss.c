/* nemorender media layer: say what a file that is cut short lost, so that
 * what survives is rendered with a warning instead of in silence.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "media-private.h"

#include <stdio.h>

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

static gchar *
describe_picture_loss (NemoDecoder * dec, const gchar * name)
{
  const gchar *format = dec->fmt->iformat->name;

  /* a JPEG file, not a Motion-JPEG clip */
  if (dec->stream->codecpar->codec_id != AV_CODEC_ID_MJPEG
      || (g_strcmp0 (format, "jpeg_pipe") != 0
          && g_strcmp0 (format, "image2") != 0)
      || ends_with_eoi (dec->path))
    return NULL;
  return g_strdup_printf ("“%s” is cut short: its data ends before the "
      "picture does, so the lower part of it is missing (shown as a flat "
      "band). Export or download the picture again.", name);
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
