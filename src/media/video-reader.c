/* nemorender media layer: the frame of a clip shown at a given time, read
 * forward, looping by seeking back to the start.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "media-private.h"

/* a decoded frame and where it sits on the clip's timeline (from its
 * first frame) */
typedef struct
{
  AVFrame *frame;
  gint64 start_us, end_us;
  gboolean valid;
} TimedFrame;

struct _NemoVideoReader
{
  NemoDecoder *dec;
  TimedFrame shown;             /* handed out by frame_at */
  TimedFrame ahead;             /* decoded, not due yet */
  gboolean at_end;              /* no frame after ahead/shown in this pass */
  gint64 first_us;              /* stream time of the clip's first frame */
  gint64 frame_us;              /* one frame at the nominal rate */
  gint64 duration_us;           /* measured or estimated */
  gboolean measured;
  gint64 n_clip_frames;         /* frames in one pass, once measured */
  gint64 pass;                  /* the loop pass being decoded */
};

static gint64
nominal_frame_us (AVStream * st)
{
  AVRational fps = st->avg_frame_rate.num > 0 ? st->avg_frame_rate :
      st->r_frame_rate;

  if (fps.num <= 0 || fps.den <= 0)
    return 40000;
  return av_rescale (AV_TIME_BASE, fps.den, fps.num);
}

static gint64
estimated_duration (NemoDecoder * dec)
{
  if (dec->fmt->duration != AV_NOPTS_VALUE)
    return dec->fmt->duration;
  if (dec->stream->duration != AV_NOPTS_VALUE)
    return av_rescale_q (dec->stream->duration, dec->stream->time_base,
        AV_TIME_BASE_Q);
  return 0;
}

NemoVideoReader *
nemo_video_reader_open (const gchar * path, GError ** error)
{
  NemoVideoReader *reader;
  NemoDecoder *dec;

  dec = nemo_decoder_open_picture (path,
      "Use a video (MP4, MOV, MKV, WebM, AVI) or an image.", error);
  if (!dec)
    return NULL;

  reader = g_new0 (NemoVideoReader, 1);
  reader->dec = dec;
  reader->shown.frame = av_frame_alloc ();
  reader->ahead.frame = av_frame_alloc ();
  reader->first_us = AV_NOPTS_VALUE;
  reader->frame_us = nominal_frame_us (dec->stream);
  reader->duration_us = estimated_duration (dec);
  return reader;
}

/* Decodes the next frame into @tf; 1, 0 at the end, -1 on error. */
static gint
decode_timed (NemoVideoReader * reader, TimedFrame * tf, gint64 prev_end_us,
    GError ** error)
{
  gint64 t, length = 0;
  gint got;

  got = nemo_decoder_next (reader->dec, tf->frame, error);
  if (got <= 0)
    return got;

  t = nemo_decoder_frame_time (reader->dec, tf->frame);
  if (reader->first_us == AV_NOPTS_VALUE)
    reader->first_us = t != AV_NOPTS_VALUE ? t : 0;
  tf->start_us = t != AV_NOPTS_VALUE ? t - reader->first_us : prev_end_us;

  if (tf->frame->pkt_duration > 0)
    length = av_rescale_q (tf->frame->pkt_duration,
        reader->dec->stream->time_base, AV_TIME_BASE_Q);
  tf->end_us = tf->start_us + (length > 0 ? length : reader->frame_us);
  tf->valid = TRUE;
  return 1;
}

/* Decodes forward until shown is the frame due at @t_us (clip time) or the
 * clip's last frame. */
static gboolean
advance (NemoVideoReader * reader, gint64 t_us, GError ** error)
{
  TimedFrame tmp;
  gint got;

  if (!reader->shown.valid) {
    got = decode_timed (reader, &reader->shown, 0, error);
    if (got < 0)
      return FALSE;
    if (got == 0) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
          "“%s” has a video stream with no picture in it. Export or "
          "download it again.", reader->dec->path);
      return FALSE;
    }
  }

  while (!reader->at_end) {
    if (!reader->ahead.valid) {
      got = decode_timed (reader, &reader->ahead, reader->shown.end_us, error);
      if (got < 0)
        return FALSE;
      if (got == 0) {
        reader->at_end = TRUE;
        if (!reader->measured) {
          reader->measured = TRUE;
          reader->duration_us = reader->shown.end_us;
          reader->n_clip_frames = reader->dec->n_frames;
        }
        break;
      }
    }
    if (reader->ahead.start_us > t_us)
      break;
    tmp = reader->shown;
    reader->shown = reader->ahead;
    reader->ahead = tmp;
    reader->ahead.valid = FALSE;
  }
  return TRUE;
}

static gboolean
rewind_clip (NemoVideoReader * reader, GError ** error)
{
  if (!nemo_decoder_rewind (reader->dec, error))
    return FALSE;
  reader->shown.valid = FALSE;
  reader->ahead.valid = FALSE;
  reader->at_end = FALSE;
  return TRUE;
}

const AVFrame *
nemo_video_reader_frame_at (NemoVideoReader * reader, gint64 t_us,
    gboolean loop, GError ** error)
{
  gint64 pass;

  t_us = MAX (t_us, 0);
  /* the clip's length is only known once its end was decoded */
  if (!advance (reader, loop ? t_us - reader->pass * reader->duration_us :
          t_us, error))
    return NULL;

  if (loop && reader->measured && reader->duration_us > 0) {
    pass = t_us / reader->duration_us;
    if (pass != reader->pass) {
      reader->pass = pass;
      /* a one-frame clip is a still: nothing to read again */
      if (reader->n_clip_frames > 1 && !rewind_clip (reader, error))
        return NULL;
    }
    if (!advance (reader, t_us - pass * reader->duration_us, error))
      return NULL;
  }
  return reader->shown.frame;
}

gint64
nemo_video_reader_duration (NemoVideoReader * reader)
{
  return reader->duration_us;
}

void
nemo_video_reader_free (NemoVideoReader * reader)
{
  if (!reader)
    return;
  av_frame_free (&reader->shown.frame);
  av_frame_free (&reader->ahead.frame);
  nemo_decoder_free (reader->dec);
  g_free (reader);
}
