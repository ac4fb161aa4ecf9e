/* The MP4: the video packets as they are encoded, with the soundtrack's
 * packets (encoded in pass 1, read back one at a time) interleaved by time,
 * and the index moved in front of the media (movflags=+faststart) so
 * players can start at once.
 *
 * The sound goes in ahead of the picture in blocks of half a second (as
 * MP4Box interleaves by default), not packet by packet: the file then has
 * four chunks a second instead of about eighty, so the index (stco, stsc)
 * and the faststart pass, which holds the moov twice, stay small: 7.5 MB
 * of moov for two hours at 30 fps before, see docs/performance.md.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "render-private.h"

#include <nemo/error.h>
#include <nemo/media.h>
#include "output.h"

#define INTERLEAVE_US (G_USEC_PER_SEC / 2)
/* FFmpeg's MP4 muxer keeps an entry per packet and grows the array by
 * reallocating it at twice the size.  Below glibc's mmap threshold the
 * old copies are freed in the middle of the heap, which cannot shrink
 * past what lives above them: their pages stay resident (36 MB of them
 * at two hours) unless given back, once a minute of media.  The first
 * block gives back too, once x264 has its first frames: the render's peak
 * is then, and 5 MB lower for it. */
#define BLOCKS_PER_GIVE_BACK (60 * G_USEC_PER_SEC / INTERLEAVE_US)

struct _NemoMuxer
{
  NemoOutput *output;
  AVStream *video, *audio;
  AVRational video_time_base;   /* the encoder's: 1/fps */
  AVRational audio_time_base;   /* the soundtrack's: 1/sample rate */
  NemoSoundtrack *soundtrack;
  gint64 audio_until;           /* sound written up to here, in video ticks */
  gint64 block;                 /* INTERLEAVE_US in video ticks */
  guint64 blocks;               /* blocks of sound started */
  AVPacket *audio_packet;       /* read, not written yet */
  gboolean audio_waiting;
  gboolean audio_done;
};

void
nemo_muxer_free (NemoMuxer * muxer)
{
  if (muxer == NULL)
    return;
  nemo_output_free (muxer->output);
  av_packet_free (&muxer->audio_packet);
  g_free (muxer);
}

/* An album's songs as chapters, each to the next one's start, the last
 * to the end of the sound; one song has none, nor a draft whose
 * m.chapters is false. */
static gboolean
add_chapters (NemoMuxer * muxer, const NemoSoundtrack * soundtrack,
    const NemoDraft * draft, GError ** error)
{
  const GArray *songs = nemo_soundtrack_get_songs (soundtrack);
  AVRational time_base = { 1, NEMO_AUDIO_RATE };
  guint i;

  if (draft->meta != NULL && !json_object_get_boolean_member_with_default
      (draft->meta, "chapters", TRUE))
    return TRUE;
  for (i = 0; songs->len > 1 && i < songs->len; i++) {
    const NemoSoundtrackSong *song = &g_array_index (songs,
        NemoSoundtrackSong, i);
    gint64 end = i + 1 < songs->len ? g_array_index (songs,
        NemoSoundtrackSong, i + 1).start :
        nemo_soundtrack_get_n_samples (soundtrack);

    if (!nemo_output_add_chapter (muxer->output, song->start, end, time_base,
            song->segment->name ? song->segment->name : "", error))
      return FALSE;
  }
  return TRUE;
}

NemoMuxer *
nemo_muxer_open (const gchar * path, const AVCodecContext * video,
    NemoSoundtrack * soundtrack, const NemoDraft * draft, GError ** error)
{
  static const gchar *const tags[] = { "title", "artist", "album" };
  const AVCodecParameters *audio = nemo_soundtrack_get_codecpar (soundtrack);
  NemoMuxer *muxer = g_new0 (NemoMuxer, 1);
  guint i;

  muxer->soundtrack = soundtrack;
  muxer->video_time_base = video->time_base;
  muxer->audio_time_base = (AVRational) { 1, audio->sample_rate };
  muxer->audio_until = G_MININT64;
  muxer->block = MAX (1, av_rescale_q (INTERLEAVE_US, AV_TIME_BASE_Q,
          video->time_base));
  muxer->audio_packet = av_packet_alloc ();

  muxer->output = nemo_output_open (path, NEMO_CONTAINER_MP4, error);
  if (muxer->output == NULL)
    goto fail;
  muxer->video = nemo_output_add_stream (muxer->output, video, error);
  if (muxer->video == NULL)
    goto fail;
  muxer->audio = nemo_output_add_copy (muxer->output, audio,
      muxer->audio_time_base, error);
  if (muxer->audio == NULL)
    goto fail;
  for (i = 0; i < G_N_ELEMENTS (tags); i++)
    nemo_output_set_tag (muxer->output, tags[i],
        nemo_draft_get_meta_string (draft, tags[i]));
  if (!add_chapters (muxer, soundtrack, draft, error))
    goto fail;
  /* Edit lists count in the movie timescale: in samples, the sound's
   * length is kept exactly instead of rounded to the millisecond. */
  nemo_output_set_movie_timescale (muxer->output, audio->sample_rate);
  if (!nemo_output_start (muxer->output, error))
    goto fail;
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
    if (!nemo_output_write_in_order (muxer->output, packet, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
nemo_muxer_write_video (NemoMuxer * muxer, AVPacket * packet,
    GError ** error)
{
  if (packet->dts >= muxer->audio_until) {
    if (muxer->blocks++ % BLOCKS_PER_GIVE_BACK == 0)
      nemo_render_give_back_memory ();
    muxer->audio_until = packet->dts + muxer->block;
    if (!write_audio_until (muxer, muxer->audio_until,
            &muxer->video_time_base, error))
      return FALSE;
  }
  av_packet_rescale_ts (packet, muxer->video_time_base,
      muxer->video->time_base);
  packet->stream_index = muxer->video->index;
  return nemo_output_write_in_order (muxer->output, packet, error);
}

gboolean
nemo_muxer_finish (NemoMuxer * muxer, GError ** error)
{
  return write_audio_until (muxer, 0, NULL, error)
      && nemo_output_finish (muxer->output, error);
}
