/* nemorender media layer: decode an audio stream and resample it to the
 * render format, NEMO_AUDIO_RATE stereo interleaved float.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "media-private.h"

#include <libswresample/swresample.h>

struct _NemoAudioReader
{
  NemoDecoder *dec;
  AVFrame *frame;
  SwrContext *swr;
  /* resampled frames not handed out yet */
  gfloat *pending;
  gint pending_alloc, pending_len, pending_pos;
  gboolean finished;
  gint64 n_out;                 /* frames handed out */
  gint64 end;                   /* the stream's exact length in frames, or -1 */
};

/* MP4 and the like store a stream's exact length, but FFmpeg 5.1 still
 * decodes the encoder's padding after it (up to a frame of AAC): that
 * length is where we stop.  Lengths guessed from the bitrate are not. */
static gint64
exact_end (NemoDecoder * dec)
{
  AVStream *st = dec->stream;

  if (dec->fmt->duration_estimation_method != AVFMT_DURATION_FROM_STREAM ||
      st->duration == AV_NOPTS_VALUE)
    return -1;
  return av_rescale_q (st->duration, st->time_base,
      (AVRational) { 1, NEMO_AUDIO_RATE });
}

NemoAudioReader *
nemo_audio_reader_open (const gchar * path, GError ** error)
{
  NemoAudioReader *reader;
  NemoDecoder *dec;
  gint index;

  dec = nemo_decoder_open (path, error);
  if (!dec)
    return NULL;

  index = nemo_decoder_find_audio (dec);
  if (index < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_NO_AUDIO,
        "“%s” has no audio stream. Use a file with sound in it.", path);
    nemo_decoder_free (dec);
    return NULL;
  }
  if (!nemo_decoder_select (dec, index, error)) {
    nemo_decoder_free (dec);
    return NULL;
  }

  reader = g_new0 (NemoAudioReader, 1);
  reader->dec = dec;
  reader->frame = av_frame_alloc ();
  reader->end = exact_end (dec);
  return reader;
}

/* Set up from the first decoded frame, which knows the real layout. */
static gboolean
init_resampler (NemoAudioReader * reader, const AVFrame * frame,
    GError ** error)
{
  AVChannelLayout out_layout = AV_CHANNEL_LAYOUT_STEREO;
  AVChannelLayout in_layout = { 0 };
  /* mono goes to both sides at full level, not swr's -3 dB */
  static const double mono_to_stereo[2] = { 1.0, 1.0 };
  gboolean ret = FALSE;
  int err;

  if (frame->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
    av_channel_layout_default (&in_layout, frame->ch_layout.nb_channels);
  else if ((err = av_channel_layout_copy (&in_layout, &frame->ch_layout)) < 0)
    goto end;

  err = swr_alloc_set_opts2 (&reader->swr, &out_layout, AV_SAMPLE_FMT_FLT,
      NEMO_AUDIO_RATE, &in_layout, frame->format, frame->sample_rate, 0,
      NULL);
  if (err < 0)
    goto end;
  if (in_layout.nb_channels == 1 &&
      (err = swr_set_matrix (reader->swr, mono_to_stereo, 1)) < 0)
    goto end;
  err = swr_init (reader->swr);
  if (err < 0)
    goto end;
  ret = TRUE;

end:
  if (!ret)
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
        "The audio of “%s” (%d Hz, %d channels) cannot be converted to "
        "%d Hz stereo (%s). Convert it to a 44.1 or 48 kHz stereo WAV.",
        reader->dec->path, frame->sample_rate, frame->ch_layout.nb_channels,
        NEMO_AUDIO_RATE, av_err2str (err));
  av_channel_layout_uninit (&in_layout);
  return ret;
}

/* Resamples @frame (NULL: what the resampler still holds) into pending. */
static gboolean
resample (NemoAudioReader * reader, const AVFrame * frame, GError ** error)
{
  gint in_samples = frame ? frame->nb_samples : 0;
  gint needed = swr_get_out_samples (reader->swr, in_samples);
  guint8 *out;
  int n;

  if (needed > reader->pending_alloc) {
    reader->pending_alloc = needed;
    reader->pending = g_renew (gfloat, reader->pending,
        (gsize) needed * NEMO_AUDIO_CHANNELS);
  }
  out = (guint8 *) reader->pending;
  n = swr_convert (reader->swr, &out, reader->pending_alloc,
      frame ? (const guint8 **) frame->extended_data : NULL, in_samples);
  if (n < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
        "The audio of “%s” could not be resampled (%s). Convert it to a "
        "44.1 or 48 kHz stereo WAV.", reader->dec->path, av_err2str (n));
    return FALSE;
  }
  reader->pending_len = n;
  reader->pending_pos = 0;
  return TRUE;
}

/* Decodes the next frame into pending; at the end drains the resampler. */
static gboolean
refill (NemoAudioReader * reader, GError ** error)
{
  gboolean ret;
  gint got;

  got = nemo_decoder_next (reader->dec, reader->frame, error);
  if (got < 0)
    return FALSE;
  if (got == 0) {
    reader->finished = TRUE;
    return !reader->swr || resample (reader, NULL, error);
  }
  if (!reader->swr && !init_resampler (reader, reader->frame, error))
    return FALSE;
  ret = resample (reader, reader->frame, error);
  av_frame_unref (reader->frame);
  return ret;
}

gint
nemo_audio_reader_read (NemoAudioReader * reader, gfloat * out,
    gint n_frames, GError ** error)
{
  gint done = 0;

  while (done < n_frames) {
    gint n = MIN (n_frames - done, reader->pending_len - reader->pending_pos);

    if (reader->end >= 0)
      n = MIN (n, reader->end - reader->n_out);
    if (reader->end >= 0 && reader->n_out >= reader->end) {
      break;
    } else if (n > 0) {
      memcpy (out + (gsize) done * NEMO_AUDIO_CHANNELS,
          reader->pending + (gsize) reader->pending_pos * NEMO_AUDIO_CHANNELS,
          (gsize) n * NEMO_AUDIO_CHANNELS * sizeof (gfloat));
      reader->pending_pos += n;
      reader->n_out += n;
      done += n;
    } else if (reader->finished) {
      break;
    } else if (!refill (reader, error)) {
      return -1;
    }
  }
  return done;
}

void
nemo_audio_reader_free (NemoAudioReader * reader)
{
  if (!reader)
    return;
  swr_free (&reader->swr);
  av_frame_free (&reader->frame);
  nemo_decoder_free (reader->dec);
  g_free (reader->pending);
  g_free (reader);
}

gboolean
nemo_media_audio_is_silent (const gchar * path, gboolean * silent,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (NemoAudioReader) reader = nemo_audio_reader_open (path, error);
  gfloat block[4096 * NEMO_AUDIO_CHANNELS];
  gint got, i;

  if (reader == NULL)
    return FALSE;
  /* a song that is not silent is found out in its first samples */
  while ((got = nemo_audio_reader_read (reader, block, 4096, error)) > 0) {
    for (i = 0; i < got * NEMO_AUDIO_CHANNELS; i++) {
      if (block[i] != 0.0f) {
        *silent = FALSE;
        return TRUE;
      }
    }
    if (g_cancellable_set_error_if_cancelled (cancellable, error))
      return FALSE;
  }
  *silent = got == 0;
  return got == 0;
}
