/* The MP4: the video packets as they are encoded, with the soundtrack's
 * packets (encoded in pass 1, read back one at a time) interleaved by time,
 * and the index moved in front of the media (movflags=+faststart) so
 * players can start at once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "render-private.h"

#include <nemo/error.h>
#include <nemo/media.h>
#include <libavformat/avformat.h>

struct _NemoMuxer
{
  gchar *path;
  AVFormatContext *format;
  AVStream *video, *audio;
  AVRational video_time_base;   /* the encoder's: 1/fps */
  AVRational audio_time_base;   /* the soundtrack's: 1/sample rate */
  NemoSoundtrack *soundtrack;
  AVPacket *audio_packet;       /* read, not written yet */
  gboolean audio_waiting;
  gboolean audio_done;
};

static gboolean
set_mux_error (NemoMuxer * muxer, int ret, const gchar * what,
    GError ** error)
{
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
      "Could not %s “%s” (%s).", what, muxer->path, av_err2str (ret));
  return FALSE;
}

void
nemo_muxer_free (NemoMuxer * muxer)
{
  if (muxer == NULL)
    return;
  if (muxer->format)
    avio_closep (&muxer->format->pb);
  avformat_free_context (muxer->format);
  av_packet_free (&muxer->audio_packet);
  g_free (muxer->path);
  g_free (muxer);
}

NemoMuxer *
nemo_muxer_open (const gchar * path, const AVCodecContext * video,
    NemoSoundtrack * soundtrack, const NemoDraft * draft, GError ** error)
{
  static const gchar *const tags[] = { "title", "artist", "album" };
  const AVCodecParameters *audio = nemo_soundtrack_get_codecpar (soundtrack);
  NemoMuxer *muxer = g_new0 (NemoMuxer, 1);
  AVDictionary *options = NULL;
  guint i;
  int ret;

  muxer->path = g_strdup (path);
  muxer->soundtrack = soundtrack;
  muxer->video_time_base = video->time_base;
  muxer->audio_time_base = (AVRational) { 1, audio->sample_rate };
  muxer->audio_packet = av_packet_alloc ();

  ret = avformat_alloc_output_context2 (&muxer->format, NULL, "mp4", path);
  if (ret < 0) {
    set_mux_error (muxer, ret, "set up the MP4 muxer for", error);
    goto fail;
  }

  muxer->video = avformat_new_stream (muxer->format, NULL);
  muxer->audio = avformat_new_stream (muxer->format, NULL);
  if (muxer->video == NULL || muxer->audio == NULL) {
    set_mux_error (muxer, AVERROR (ENOMEM), "add the streams to", error);
    goto fail;
  }
  avcodec_parameters_from_context (muxer->video->codecpar, video);
  muxer->video->time_base = video->time_base;
  muxer->video->avg_frame_rate = video->framerate;
  muxer->video->r_frame_rate = video->framerate;
  avcodec_parameters_copy (muxer->audio->codecpar, audio);
  muxer->audio->time_base = muxer->audio_time_base;
  for (i = 0; i < G_N_ELEMENTS (tags); i++) {
    const gchar *value = nemo_draft_get_meta_string (draft, tags[i]);

    if (value != NULL)
      av_dict_set (&muxer->format->metadata, tags[i], value, 0);
  }

  ret = avio_open (&muxer->format->pb, path, AVIO_FLAG_WRITE);
  if (ret < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_IO,
        "Could not create “%s” (%s). Check that its folder exists and "
        "that you may write there.", path, av_err2str (ret));
    goto fail;
  }
  av_dict_set (&options, "movflags", "+faststart", 0);
  /* Edit lists count in the movie timescale: in samples, the sound's
   * length is kept exactly instead of rounded to the millisecond. */
  av_dict_set_int (&options, "movie_timescale", audio->sample_rate, 0);
  ret = avformat_write_header (muxer->format, &options);
  av_dict_free (&options);
  if (ret < 0) {
    set_mux_error (muxer, ret, "write the MP4 header of", error);
    goto fail;
  }
  return muxer;

fail:
  nemo_muxer_free (muxer);
  return NULL;
}

/* Write the soundtrack's packets that start before @until (in @time_base),
 * or all that remain when @time_base is NULL.  The first one past it waits
 * for the next call. */
static gboolean
write_audio_until (NemoMuxer * muxer, gint64 until,
    const AVRational * time_base, GError ** error)
{
  AVPacket *packet = muxer->audio_packet;

  while (!muxer->audio_done) {
    int ret;

    if (!muxer->audio_waiting) {
      ret = nemo_soundtrack_read (muxer->soundtrack, packet, error);
      if (ret < 0)
        return FALSE;
      muxer->audio_done = ret == 0;
      muxer->audio_waiting = ret > 0;
      continue;
    }
    if (time_base && av_compare_ts (packet->dts, muxer->audio_time_base,
            until, *time_base) > 0)
      break;
    av_packet_rescale_ts (packet, muxer->audio_time_base,
        muxer->audio->time_base);
    packet->stream_index = muxer->audio->index;
    muxer->audio_waiting = FALSE;
    ret = av_interleaved_write_frame (muxer->format, packet);
    if (ret < 0)
      return set_mux_error (muxer, ret, "write the sound to", error);
  }
  return TRUE;
}

gboolean
nemo_muxer_write_video (NemoMuxer * muxer, AVPacket * packet,
    GError ** error)
{
  int ret;

  if (!write_audio_until (muxer, packet->dts, &muxer->video_time_base, error))
    return FALSE;
  av_packet_rescale_ts (packet, muxer->video_time_base,
      muxer->video->time_base);
  packet->stream_index = muxer->video->index;
  ret = av_interleaved_write_frame (muxer->format, packet);
  if (ret < 0)
    return set_mux_error (muxer, ret, "write the video to", error);
  return TRUE;
}

gboolean
nemo_muxer_finish (NemoMuxer * muxer, GError ** error)
{
  int ret;

  if (!write_audio_until (muxer, 0, NULL, error))
    return FALSE;
  ret = av_write_trailer (muxer->format);
  if (ret < 0)
    return set_mux_error (muxer, ret, "finish", error);
  ret = avio_closep (&muxer->format->pb);
  if (ret < 0)
    return set_mux_error (muxer, ret, "close", error);
  return TRUE;
}
