/* nemorender media layer: spools.  Media arriving on the element's pads is
 * written to a file here so the rest of the library reads it like any
 * other input.  This file holds the common part, raw audio (WAV) and the
 * encoded formats kept byte for byte; raw video is in spool-video.c and
 * H.264 in spool-ts.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "media-private.h"

static NemoSpool *
spool_new (NemoSpoolKind kind, const gchar * base, const gchar * ext)
{
  NemoSpool *spool = g_new0 (NemoSpool, 1);

  spool->kind = kind;
  spool->path = g_strconcat (base, ext, NULL);
  return spool;
}

/* ---- raw audio ---- */

NemoSpool *
nemo_spool_new_raw_audio (const gchar * path, NemoSampleFormat format,
    gint rate, gint channels, GError ** error)
{
  static const struct
  {
    enum AVCodecID codec;
    gint bytes;
  } pcm[] = {
    [NEMO_SAMPLE_U8] = {AV_CODEC_ID_PCM_U8, 1},
    [NEMO_SAMPLE_S16] = {AV_CODEC_ID_PCM_S16LE, 2},
    [NEMO_SAMPLE_S24] = {AV_CODEC_ID_PCM_S24LE, 3},
    [NEMO_SAMPLE_S32] = {AV_CODEC_ID_PCM_S32LE, 4},
    [NEMO_SAMPLE_F32] = {AV_CODEC_ID_PCM_F32LE, 4},
    [NEMO_SAMPLE_F64] = {AV_CODEC_ID_PCM_F64LE, 8},
  };
  NemoSpool *spool;
  AVStream *st;

  if ((guint) format >= G_N_ELEMENTS (pcm) || rate <= 0 || channels <= 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "Cannot record raw audio with sample format %d, %d Hz, %d "
        "channels: give a known format, a rate and at least one channel.",
        format, rate, channels);
    return NULL;
  }

  spool = spool_new (NEMO_SPOOL_RAW_AUDIO, path, ".wav");
  spool->rate = rate;
  spool->bytes_per_frame = pcm[format].bytes * channels;
  spool->pkt = av_packet_alloc ();
  spool->mux = nemo_output_open (spool->path, NEMO_CONTAINER_WAV, error);
  if (!spool->mux)
    goto fail;

  st = nemo_output_add_copy (spool->mux, NULL, (AVRational) { 1, rate },
      error);
  if (!st)
    goto fail;
  st->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
  st->codecpar->codec_id = pcm[format].codec;
  st->codecpar->sample_rate = rate;
  av_channel_layout_default (&st->codecpar->ch_layout, channels);
  st->codecpar->bits_per_coded_sample = pcm[format].bytes * 8;
  st->codecpar->block_align = spool->bytes_per_frame;
  st->codecpar->bit_rate = (gint64) rate * spool->bytes_per_frame * 8;

  if (!nemo_output_start (spool->mux, error))
    goto fail;
  return spool;

fail:
  nemo_spool_free (spool);
  return NULL;
}

static gboolean
write_pcm (NemoSpool * spool, const guint8 * data, gsize size,
    GError ** error)
{
  gint64 n_frames = size / spool->bytes_per_frame;
  gboolean written;

  if (size % spool->bytes_per_frame != 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "A raw audio buffer of %" G_GSIZE_FORMAT " bytes does not hold "
        "whole frames of %d bytes for “%s”.", size, spool->bytes_per_frame,
        spool->path);
    return FALSE;
  }

  /* the muxer copies the payload: no need to own it */
  spool->pkt->data = (guint8 *) data;
  spool->pkt->size = size;
  spool->pkt->pts = spool->pkt->dts = spool->n_samples;
  spool->pkt->duration = n_frames;
  written = nemo_output_write_in_order (spool->mux, spool->pkt, error);
  av_packet_unref (spool->pkt);
  if (!written)
    return FALSE;
  spool->n_samples += n_frames;
  spool->duration_us = av_rescale (spool->n_samples, G_USEC_PER_SEC,
      spool->rate);
  return TRUE;
}

/* ---- raw video: spool-video.c ---- */

NemoSpool *
nemo_spool_new_raw_video (const gchar * path, NemoPixelFormat format,
    gint width, gint height, gint fps_n, gint fps_d, GError ** error)
{
  NemoSpool *spool = spool_new (NEMO_SPOOL_RAW_VIDEO, path, ".mkv");

  spool->video = nemo_spool_video_new (spool->path, format, width, height,
      fps_n, fps_d, error);
  if (!spool->video) {
    nemo_spool_free (spool);
    return NULL;
  }
  return spool;
}

/* ---- encoded ---- */

static gboolean
create_output (NemoSpool * spool, GError ** error)
{
  g_autoptr (GFile) file = g_file_new_for_path (spool->path);
  GError *local_error = NULL;

  spool->out = G_OUTPUT_STREAM (g_file_replace (file, NULL, FALSE,
          G_FILE_CREATE_NONE, NULL, &local_error));
  if (!spool->out) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_IO,
        "Could not create “%s” (%s). Check that its folder exists and is "
        "writable.", spool->path, local_error->message);
    g_error_free (local_error);
    return FALSE;
  }
  return TRUE;
}

NemoSpool *
nemo_spool_new_encoded (const gchar * path, NemoCodec codec, GError ** error)
{
  NemoSpool *spool;

  switch (codec) {
    case NEMO_CODEC_MP3:
      spool = spool_new (NEMO_SPOOL_BYTES, path, ".mp3");
      break;
    case NEMO_CODEC_AAC_ADTS:
      spool = spool_new (NEMO_SPOOL_BYTES, path, ".aac");
      break;
    case NEMO_CODEC_JPEG:
      spool = spool_new (NEMO_SPOOL_STILL, path, ".jpg");
      break;
    case NEMO_CODEC_PNG:
      spool = spool_new (NEMO_SPOOL_STILL, path, ".png");
      break;
    case NEMO_CODEC_H264:
      spool = spool_new (NEMO_SPOOL_TS, path, ".ts");
      spool->ts = nemo_spool_ts_new (spool->path, error);
      if (!spool->ts)
        goto fail;
      return spool;
    default:
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
          "Cannot record encoded media of codec %d for “%s”: give MP3, "
          "AAC (ADTS), JPEG, PNG or H.264.", codec, path);
      return NULL;
  }

  if (!create_output (spool, error))
    goto fail;
  return spool;

fail:
  nemo_spool_free (spool);
  return NULL;
}

static gboolean
write_bytes (NemoSpool * spool, const guint8 * data, gsize size,
    GError ** error)
{
  GError *local_error = NULL;

  if (!g_output_stream_write_all (spool->out, data, size, NULL, NULL,
          &local_error)) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_IO,
        "Could not write to “%s” (%s). Check that the disk has free space.",
        spool->path, local_error->message);
    g_error_free (local_error);
    return FALSE;
  }
  return TRUE;
}

gboolean
nemo_spool_write (NemoSpool * spool, const guint8 * data, gsize size,
    gint64 pts_us, GError ** error)
{
  g_return_val_if_fail (!spool->finished, FALSE);

  switch (spool->kind) {
    case NEMO_SPOOL_RAW_AUDIO:
      if (!write_pcm (spool, data, size, error))
        return FALSE;
      break;
    case NEMO_SPOOL_RAW_VIDEO:
      return nemo_spool_video_write_packed (spool, data, size, pts_us, error);
    case NEMO_SPOOL_TS:
      return nemo_spool_ts_write (spool, data, size, pts_us, error);
    case NEMO_SPOOL_BYTES:
      if (!write_bytes (spool, data, size, error))
        return FALSE;
      /* frames are not parsed: the time covered is where the last
       * buffer starts */
      if (pts_us >= 0)
        spool->duration_us = MAX (spool->duration_us, pts_us);
      break;
    case NEMO_SPOOL_STILL:
      /* an image pad carries a still: the first picture is it */
      if (spool->count == 0 && !write_bytes (spool, data, size, error))
        return FALSE;
      if (pts_us >= 0)
        spool->duration_us = MAX (spool->duration_us, pts_us);
      break;
  }
  spool->count++;
  return TRUE;
}

gboolean
nemo_spool_write_video (NemoSpool * spool, const guint8 * const planes[4],
    const gint strides[4], gint64 pts_us, GError ** error)
{
  g_return_val_if_fail (spool->kind == NEMO_SPOOL_RAW_VIDEO, FALSE);
  g_return_val_if_fail (!spool->finished, FALSE);

  return nemo_spool_video_write (spool, planes, strides, pts_us, error);
}

gint64
nemo_spool_get_duration (NemoSpool * spool)
{
  return spool->duration_us;
}

guint64
nemo_spool_get_count (NemoSpool * spool)
{
  return spool->count;
}

gboolean
nemo_spool_finish (NemoSpool * spool, GError ** error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (!spool->finished, FALSE);
  spool->finished = TRUE;

  switch (spool->kind) {
    case NEMO_SPOOL_RAW_AUDIO:
      return nemo_output_finish (spool->mux, error);
    case NEMO_SPOOL_RAW_VIDEO:
      return nemo_spool_video_finish (spool, error);
    case NEMO_SPOOL_TS:
      return nemo_spool_ts_finish (spool, error);
    case NEMO_SPOOL_BYTES:
    case NEMO_SPOOL_STILL:
      if (!g_output_stream_close (spool->out, NULL, &local_error)) {
        g_set_error (error, NEMO_ERROR, NEMO_ERROR_IO,
            "Could not finish “%s” (%s). Check that the disk has free "
            "space.", spool->path, local_error->message);
        g_error_free (local_error);
        return FALSE;
      }
      break;
  }
  return TRUE;
}

const gchar *
nemo_spool_get_path (NemoSpool * spool)
{
  return spool->path;
}

void
nemo_spool_free (NemoSpool * spool)
{
  if (!spool)
    return;
  /* an unfinished spool is closed as it is */
  nemo_output_free (spool->mux);
  av_packet_free (&spool->pkt);
  g_clear_object (&spool->out);
  g_clear_pointer (&spool->video, nemo_spool_video_free);
  g_clear_pointer (&spool->ts, nemo_spool_ts_free);
  g_free (spool->path);
  g_free (spool);
}
