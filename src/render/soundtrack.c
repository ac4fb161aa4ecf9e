/* Pass 1 of a render: the soundtrack.
 *
 * Every audio segment of the draft is decoded at NEMO_AUDIO_RATE stereo
 * float, placed on the timeline at its start, trimmed to its in-point and
 * length, scaled by its volume and mixed.  The mix is encoded once to AAC-LC
 * and the packets stay in memory for the muxer.  The number of samples mixed
 * is the render's duration: the video is made to cover exactly that.
 */
#include "render-private.h"

#include <nemo/error.h>
#include <nemo/media.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <string.h>

#define AAC_BIT_RATE 320000
#define MIX_BLOCK 2048          /* stereo frames mixed at a time */

/* One audio segment on the timeline; positions are in samples. */
typedef struct
{
  const NemoSegment *segment;
  gint64 start;
  gint64 in;
  gint64 length;                /* -1: as long as the source */
  gint64 played;
  gint64 estimate;              /* expected end on the timeline, for progress */
  NemoAudioReader *reader;
  gboolean done;
} AudioSource;

typedef struct
{
  AVCodecContext *codec;
  AVAudioFifo *fifo;
  AVFrame *frame;
  gint64 next_pts;
  GPtrArray *packets;
} AacEncoder;

static gint64
ms_to_samples (gint64 ms)
{
  return ms * NEMO_AUDIO_RATE / 1000;
}

static gboolean
segment_is_audio (const NemoTrack * track, const NemoSegment * segment)
{
  if (segment->source == NULL || segment->source[0] == '\0')
    return FALSE;
  if (g_strcmp0 (segment->kind, NEMO_SEGMENT_MUSIC) == 0
      || g_strcmp0 (segment->kind, NEMO_SEGMENT_BGM) == 0)
    return TRUE;
  return track->type == NEMO_TRACK_AUDIO;
}

static void
audio_source_free (AudioSource * source)
{
  g_clear_pointer (&source->reader, nemo_audio_reader_free);
  g_free (source);
}

/* Probe the segment's file: a missing or unreadable soundtrack fails here,
 * before anything is encoded, and its length gives the progress scale. */
static AudioSource *
audio_source_new (const NemoSegment * segment, GError ** error)
{
  g_autoptr (NemoMediaInfo) info = NULL;
  AudioSource *source;
  gint64 available;

  info = nemo_media_probe (segment->source, error);
  if (info == NULL)
    return NULL;

  source = g_new0 (AudioSource, 1);
  source->segment = segment;
  source->start = ms_to_samples (MAX (segment->start_ms, 0));
  source->in = ms_to_samples (MAX (segment->in_ms, 0));
  source->length = segment->duration_ms < 0 ? -1 :
      ms_to_samples (segment->duration_ms);
  available = MAX (info->duration_us * NEMO_AUDIO_RATE / G_USEC_PER_SEC
      - source->in, 0);
  source->estimate = source->start + (source->length < 0 ? available :
      (segment->loop ? source->length : MIN (source->length, available)));
  return source;
}

static gboolean
audio_source_open (AudioSource * source, GError ** error)
{
  gfloat skip[MIX_BLOCK * NEMO_AUDIO_CHANNELS];
  gint64 left = source->in;
  g_autofree gchar *path = NULL;

  g_clear_pointer (&source->reader, nemo_audio_reader_free);
  path = nemo_media_path_from_uri (source->segment->source, error);
  if (path == NULL)
    return FALSE;
  source->reader = nemo_audio_reader_open (path, error);
  if (source->reader == NULL)
    return FALSE;

  /* The reader cannot seek: decode up to the in-point. */
  while (left > 0) {
    gint n = nemo_audio_reader_read (source->reader, skip,
        (gint) MIN (left, MIX_BLOCK), error);
    if (n < 0)
      return FALSE;
    if (n == 0)
      break;
    left -= n;
  }
  return TRUE;
}

/* Read up to @wanted frames of the segment into @out; fewer means the
 * segment ended.  A looping segment restarts its source at the in-point. */
static gint
audio_source_read (AudioSource * source, gfloat * out, gint wanted,
    GError ** error)
{
  gint got = 0;
  gboolean restarted = FALSE;

  if (source->reader == NULL && !audio_source_open (source, error))
    return -1;

  while (got < wanted) {
    gint n = nemo_audio_reader_read (source->reader,
        out + (gsize) got * NEMO_AUDIO_CHANNELS, wanted - got, error);
    if (n < 0)
      return -1;
    if (n > 0) {
      got += n;
      restarted = FALSE;
      continue;
    }
    /* A source that gives nothing right after a restart never will. */
    if (!source->segment->loop || source->length < 0 || restarted)
      break;
    if (!audio_source_open (source, error))
      return -1;
    restarted = TRUE;
  }
  return got;
}

/* ---- the AAC encoder ---- */

static void
aac_encoder_clear (AacEncoder * encoder)
{
  avcodec_free_context (&encoder->codec);
  g_clear_pointer (&encoder->fifo, av_audio_fifo_free);
  av_frame_free (&encoder->frame);
}

static gboolean
aac_encoder_init (AacEncoder * encoder, GPtrArray * packets, GError ** error)
{
  const AVCodec *aac = avcodec_find_encoder_by_name ("aac");
  AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
  int ret;

  encoder->packets = packets;
  if (aac == NULL) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "This FFmpeg has no native AAC encoder (\"aac\"). Install an FFmpeg "
        "build with its standard encoders.");
    return FALSE;
  }
  encoder->codec = avcodec_alloc_context3 (aac);
  encoder->codec->sample_fmt = AV_SAMPLE_FMT_FLTP;
  encoder->codec->sample_rate = NEMO_AUDIO_RATE;
  av_channel_layout_copy (&encoder->codec->ch_layout, &stereo);
  encoder->codec->bit_rate = AAC_BIT_RATE;
  encoder->codec->profile = FF_PROFILE_AAC_LOW;
  encoder->codec->time_base = (AVRational) { 1, NEMO_AUDIO_RATE };
  encoder->codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

  ret = avcodec_open2 (encoder->codec, aac, NULL);
  if (ret < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Could not open the AAC encoder (%s).", av_err2str (ret));
    return FALSE;
  }

  encoder->fifo = av_audio_fifo_alloc (AV_SAMPLE_FMT_FLTP,
      NEMO_AUDIO_CHANNELS, MIX_BLOCK + encoder->codec->frame_size);
  encoder->frame = av_frame_alloc ();
  encoder->frame->format = AV_SAMPLE_FMT_FLTP;
  encoder->frame->sample_rate = NEMO_AUDIO_RATE;
  encoder->frame->nb_samples = encoder->codec->frame_size;
  av_channel_layout_copy (&encoder->frame->ch_layout, &stereo);
  ret = av_frame_get_buffer (encoder->frame, 0);
  if (encoder->fifo == NULL || ret < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Out of memory for the audio encoder (%s).", av_err2str (ret));
    return FALSE;
  }
  return TRUE;
}

/* Send @frame (NULL: flush) and keep every packet that comes out. */
static gboolean
aac_encoder_send (AacEncoder * encoder, const AVFrame * frame, GError ** error)
{
  int ret = avcodec_send_frame (encoder->codec, frame);

  while (ret >= 0) {
    AVPacket *packet = av_packet_alloc ();

    ret = avcodec_receive_packet (encoder->codec, packet);
    if (ret < 0) {
      av_packet_free (&packet);
      break;
    }
    g_ptr_array_add (encoder->packets, packet);
  }
  if (ret == AVERROR (EAGAIN) || ret == AVERROR_EOF)
    return TRUE;
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
      "Encoding the soundtrack to AAC failed (%s).", av_err2str (ret));
  return FALSE;
}

/* Encode whole frames from the FIFO; with @final the last, partial one too
 * (the encoder pads it with silence). */
static gboolean
aac_encoder_drain (AacEncoder * encoder, gboolean final, GError ** error)
{
  gint frame_size = encoder->codec->frame_size;

  while (av_audio_fifo_size (encoder->fifo) >= frame_size
      || (final && av_audio_fifo_size (encoder->fifo) > 0)) {
    gint n = MIN (av_audio_fifo_size (encoder->fifo), frame_size);
    int ret = av_frame_make_writable (encoder->frame);

    if (ret < 0) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
          "Out of memory for the audio encoder (%s).", av_err2str (ret));
      return FALSE;
    }
    encoder->frame->nb_samples = n;
    av_audio_fifo_read (encoder->fifo, (void **) encoder->frame->data, n);
    encoder->frame->pts = encoder->next_pts;
    encoder->next_pts += n;
    if (!aac_encoder_send (encoder, encoder->frame, error))
      return FALSE;
  }
  return final ? aac_encoder_send (encoder, NULL, error) : TRUE;
}

static gboolean
aac_encoder_write (AacEncoder * encoder, const gfloat * interleaved,
    gint n_frames, GError ** error)
{
  gfloat left[MIX_BLOCK], right[MIX_BLOCK];
  void *planes[NEMO_AUDIO_CHANNELS] = { left, right };
  gint i;

  for (i = 0; i < n_frames; i++) {
    left[i] = interleaved[2 * i];
    right[i] = interleaved[2 * i + 1];
  }
  if (av_audio_fifo_write (encoder->fifo, planes, n_frames) < n_frames) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Out of memory while buffering the soundtrack.");
    return FALSE;
  }
  return aac_encoder_drain (encoder, FALSE, error);
}

/* ---- the mix ---- */

typedef struct
{
  GPtrArray *sources;           /* AudioSource* */
  gint64 limit;                 /* samples, G_MAXINT64 for none */
  gint64 estimate;
  NemoPassProgressFunc progress;
  gpointer progress_data;
  GCancellable *cancellable;
} Mix;

/* Mix the block at @position into @out.  Returns the number of frames of
 * the block on the timeline (the whole block unless the timeline ends in
 * it), -1 on error. */
static gint
mix_block (Mix * mix, gint64 position, gint n, gfloat * out, GError ** error)
{
  gfloat in[MIX_BLOCK * NEMO_AUDIO_CHANNELS];
  gboolean more = FALSE;
  gint covered = 0;
  guint s;

  memset (out, 0, sizeof (gfloat) * n * NEMO_AUDIO_CHANNELS);
  for (s = 0; s < mix->sources->len; s++) {
    AudioSource *source = g_ptr_array_index (mix->sources, s);
    gint offset, wanted, got, i;
    gfloat volume = (gfloat) source->segment->volume;

    if (source->done)
      continue;
    if (source->start >= position + n) {
      more = TRUE;
      continue;
    }
    offset = (gint) MAX (source->start - position, 0);
    wanted = n - offset;
    if (source->length >= 0)
      wanted = (gint) MIN (wanted, source->length - source->played);
    got = audio_source_read (source, in, wanted, error);
    if (got < 0)
      return -1;
    for (i = 0; i < got * NEMO_AUDIO_CHANNELS; i++)
      out[offset * NEMO_AUDIO_CHANNELS + i] += in[i] * volume;
    source->played += got;
    covered = MAX (covered, offset + got);
    if (got < wanted || source->played == source->length) {
      source->done = TRUE;
      g_clear_pointer (&source->reader, nemo_audio_reader_free);
    } else {
      more = TRUE;
    }
  }
  return more ? n : covered;
}

static gboolean
mix_and_encode (Mix * mix, AacEncoder * encoder, gint64 * n_samples,
    GError ** error)
{
  gfloat block[MIX_BLOCK * NEMO_AUDIO_CHANNELS];
  gint64 position = 0;

  while (position < mix->limit) {
    gint n = (gint) MIN (MIX_BLOCK, mix->limit - position);
    gint covered;

    if (g_cancellable_is_cancelled (mix->cancellable)) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_CANCELLED,
          "The render was cancelled.");
      return FALSE;
    }
    covered = mix_block (mix, position, n, block, error);
    if (covered < 0)
      return FALSE;
    if (!aac_encoder_write (encoder, block, covered, error))
      return FALSE;
    position += covered;
    if (mix->progress && mix->estimate > 0)
      mix->progress (MIN (100.0 * position / mix->estimate, 100.0),
          mix->progress_data);
    if (covered < n)
      break;
  }
  *n_samples = position;
  return aac_encoder_drain (encoder, TRUE, error);
}

static GPtrArray *
find_audio_sources (const NemoDraft * draft, GError ** error)
{
  g_autoptr (GPtrArray) sources =
      g_ptr_array_new_with_free_func ((GDestroyNotify) audio_source_free);
  guint t, s;

  for (t = 0; t < draft->tracks->len; t++) {
    const NemoTrack *track = g_ptr_array_index (draft->tracks, t);

    for (s = 0; s < track->segments->len; s++) {
      const NemoSegment *segment = g_ptr_array_index (track->segments, s);
      AudioSource *source;

      if (!segment_is_audio (track, segment))
        continue;
      source = audio_source_new (segment, error);
      if (source == NULL)
        return NULL;
      g_ptr_array_add (sources, source);
    }
  }
  if (sources->len == 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_DRAFT,
        "The draft has no soundtrack: add an audio-uri or link the audio pad.");
    return NULL;
  }
  return g_steal_pointer (&sources);
}

void
nemo_soundtrack_free (NemoSoundtrack * soundtrack)
{
  if (soundtrack == NULL)
    return;
  g_ptr_array_unref (soundtrack->packets);
  avcodec_parameters_free (&soundtrack->codecpar);
  g_free (soundtrack);
}

static void
packet_free (gpointer packet)
{
  av_packet_free ((AVPacket **) & packet);
}

NemoSoundtrack *
nemo_soundtrack_encode (const NemoDraft * draft, gint64 max_duration_us,
    NemoPassProgressFunc progress, gpointer progress_data,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (NemoSoundtrack) soundtrack = g_new0 (NemoSoundtrack, 1);
  g_autoptr (GPtrArray) sources = NULL;
  AacEncoder encoder = { 0 };
  Mix mix = { 0 };
  NemoSoundtrack *ret = NULL;
  guint i;

  soundtrack->packets = g_ptr_array_new_with_free_func (packet_free);
  soundtrack->codecpar = avcodec_parameters_alloc ();

  sources = find_audio_sources (draft, error);
  if (sources == NULL)
    goto end;

  mix.sources = sources;
  mix.limit = max_duration_us > 0 ?
      max_duration_us * NEMO_AUDIO_RATE / G_USEC_PER_SEC : G_MAXINT64;
  for (i = 0; i < sources->len; i++) {
    AudioSource *source = g_ptr_array_index (sources, i);
    mix.estimate = MAX (mix.estimate, source->estimate);
  }
  mix.estimate = MIN (mix.estimate, mix.limit);
  mix.progress = progress;
  mix.progress_data = progress_data;
  mix.cancellable = cancellable;

  if (progress)
    progress (0, progress_data);
  if (!aac_encoder_init (&encoder, soundtrack->packets, error))
    goto end;
  if (!mix_and_encode (&mix, &encoder, &soundtrack->n_samples, error))
    goto end;
  if (soundtrack->n_samples == 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_NO_AUDIO,
        "The draft's soundtrack has no samples: its segments start past the "
        "end of their files. Check the audio segments' in-points.");
    goto end;
  }
  avcodec_parameters_from_context (soundtrack->codecpar, encoder.codec);
  if (progress)
    progress (100.0, progress_data);
  ret = g_steal_pointer (&soundtrack);

end:
  aac_encoder_clear (&encoder);
  return ret;
}
