/* The soundtrack's AAC-LC encode, on every core.
 *
 * FFmpeg's native AAC encoder runs on one thread, and at 320 kb/s it is
 * most of a still-picture job's time.  A long sound is therefore cut into
 * chunks on the 1024-sample frame grid, one encoder per chunk on a thread
 * pool, and the packets are joined in order into the soundtrack's spool:
 *
 *   chunk c keeps the packets whose pts is in [c·L, (c+1)·L) (all of them
 *   from the start for the first chunk, to the end for the last);
 *   it is fed from PREROLL_FRAMES before its start, so the encoder has
 *   settled (its first frames spend more bits and code the sudden start:
 *   about 2 frames, measured in docs/performance.md) and the packets of
 *   those frames are dropped;
 *   and up to POSTROLL_FRAMES past its end: the last packet kept codes the
 *   MDCT block over [end − 1024, end + 1024), whose window the encoder
 *   chooses looking one more frame ahead.
 *
 * At a join the decoder overlaps the last block of one chunk with the first
 * of the next.  Both encoders saw the same samples there and chose their
 * windows from them, so the overlap cancels its aliasing as within one
 * encode; what differs is quantisation noise, which differs from frame to
 * frame anyway.  AAC has no bit reservoir in the stream (unlike MP3, a
 * packet never points into the one before): each chunk's rate control
 * starts afresh and each packet decodes on its own.  Timestamps are in
 * samples from the start of the sound (each encoder is given them), so the
 * packets line up and the last chunk ends the stream exactly as one encode
 * would, to the sample.
 *
 * Memory stays flat: each chunk's samples wait in a spool file of their own
 * (packet-spool.c, one block a packet) until a thread encodes them, its
 * packets go to another, and at most threads + 2 chunks are open at once.
 * The joined packets are decoded again in order and metered for their true
 * peak, as a viewer's decoder would see them, frame by frame: the frames
 * over NEMO_TRUE_PEAK_DBTP are noted for the soundtrack's retry.  A retry
 * meters only what can have changed, its pieces and CHANGED_FRAMES after
 * each: elsewhere the frames decode as in the encode before, where none
 * was over, or it would have been changed.
 *
 * A retry changes the sound in a few places only (soundtrack.c's dips), so
 * it encodes again only a piece around each (nemo_aac_writer_reuse): from
 * POSTROLL_FRAMES before the first changed sample (the packets before it
 * were made from the samples up to there) to RETRY_TAIL_FRAMES after the
 * last, fed with the pre-roll and post-roll of any chunk; the packets
 * between the pieces are copied from the encode before.  A join between a
 * piece and the packets copied is as good as any other join, since both
 * encoders were fed the same samples around it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE             /* sched_getaffinity */
#include "render-private.h"
#include "output.h"
#include <nemo/error.h>
#include <nemo/log.h>
#include <nemo/media.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <ebur128.h>
#include <math.h>
#include <sched.h>
#include <string.h>

#define AAC_FRAME 1024          /* samples per AAC-LC frame */
#define WRITE_BLOCK 2048        /* stereo frames converted at a time */

/* chunks: see above */
#define PREROLL_FRAMES 8
#define POSTROLL_FRAMES 2
/* Chunks are 5.5 to 10.9 s long and as many per thread; a sound shorter
 * than two of the shortest is one encode. */
#define MIN_CHUNK_FRAMES 256
#define MAX_CHUNK_FRAMES 512
#define MAX_THREADS 8
/* a retry's piece goes on this many frames past the samples it changes */
#define RETRY_TAIL_FRAMES 4
/* A decoded frame is made of its packet and the one before: in a retry,
 * the copied packets decode as before from the second after a piece on. */
#define CHANGED_FRAMES 2
/* The samples of the frame before that the meter is given again when it
 * takes up after frames it skipped: more than a BS.1770 true-peak
 * interpolator holds (libebur128's: 13). */
#define METER_HISTORY 64
/* a thread tells how far it is every this many blocks, for the progress */
#define REPORT_BLOCKS 16

/* What the packets decode to, for their true peak, and where it is over
 * NEMO_TRUE_PEAK_DBTP. */
typedef struct
{
  AVCodecContext *decoder;
  AVFrame *decoded;
  ebur128_state *meter;
  gint64 position;              /* of the next decoded sample in the sound */
  GArray *hot;                  /* NemoAacHotFrame */
  /* the end of the last frame decoded, and whether it was metered */
  gfloat history[METER_HISTORY * NEMO_AUDIO_CHANNELS];
  gboolean metered;
} PeakCheck;

typedef struct
{
  AVCodecContext *codec;
  AVAudioFifo *fifo;
  AVFrame *frame;
  AVPacket *packet;
  gint64 next_pts;
  /* the packets kept: pts in [keep_from, keep_until) */
  gint64 keep_from, keep_until;
  NemoPacketSpool *spool;
  PeakCheck *check;             /* NULL: not checked here */
} AacEncoder;

typedef struct
{
  gint64 start, end;            /* the packets kept; end G_MAXINT64: all */
  gint64 from, until;           /* the samples fed */
  NemoPacketSpool *samples;     /* filled by the writer, read by a thread */
  NemoPacketSpool *packets;     /* written by that thread */
  gboolean queued, done;
  gboolean reused;              /* its packets are the encode before's */
  GError *error;
} Chunk;

struct _NemoAacWriter
{
  gint kbps;
  gchar *work_dir;
  NemoPacketSpool *spool;       /* the soundtrack's */
  AacEncoder main;              /* one encode; else only its parameters */
  PeakCheck check;
  NemoAacProgressFunc progress;
  gpointer progress_data;
  gint64 position;              /* samples written */
  /* in chunks */
  gint64 chunk_length;          /* samples; 0: one encode */
  gint threads;
  gint64 next_chunk;            /* index of the next chunk to open */
  GQueue chunks;                /* not joined yet, in order */
  AVPacket *block;              /* wraps samples for the spool */
  GThreadPool *pool;
  GMutex lock;
  GCond done;                   /* a chunk is done, or more is encoded */
  gint64 encoded;               /* samples fed to the threads' encoders */
  gint abort;                   /* atomic */
  /* a retry: the encode before, and the chunks' bounds, gint64 pairs
   * [start, end) in order, every other one (from the first) copied */
  NemoPacketSpool *previous;
  AVPacket *previous_packet;    /* read from it, not copied yet */
  GArray *bounds;
  gint64 encoded_again;         /* samples of the pieces, for the log */
};

/* ---- the true peak of what was encoded ---- */

static void
peak_check_clear (PeakCheck * check)
{
  avcodec_free_context (&check->decoder);
  av_frame_free (&check->decoded);
  if (check->meter != NULL)
    ebur128_destroy (&check->meter);
  g_clear_pointer (&check->hot, g_array_unref);
}

/* A decoder for @encoder's packets and a true-peak meter. */
static gboolean
peak_check_init (PeakCheck * check, const AVCodecContext * encoder,
    GError ** error)
{
  AVCodecParameters *par = avcodec_parameters_alloc ();
  int ret = par ? avcodec_parameters_from_context (par, encoder) :
      AVERROR (ENOMEM);

  check->decoder = avcodec_alloc_context3 (avcodec_find_decoder
      (AV_CODEC_ID_AAC));
  check->decoded = av_frame_alloc ();
  check->meter = ebur128_init (NEMO_AUDIO_CHANNELS, NEMO_AUDIO_RATE,
      EBUR128_MODE_TRUE_PEAK);
  /* the decoder gives the encoder's priming samples first */
  check->position = -encoder->initial_padding;
  check->hot = g_array_new (FALSE, FALSE, sizeof (NemoAacHotFrame));
  check->metered = TRUE;        /* nothing is before the first frame */
  if (ret >= 0 && (check->decoder == NULL || check->decoded == NULL
          || check->meter == NULL))
    ret = AVERROR (ENOMEM);
  if (ret >= 0)
    ret = avcodec_parameters_to_context (check->decoder, par);
  if (ret >= 0)
    ret = avcodec_open2 (check->decoder, NULL, NULL);
  avcodec_parameters_free (&par);
  if (ret < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Could not open the AAC decoder that checks the peaks (%s).",
        av_err2str (ret));
    return FALSE;
  }
  return TRUE;
}

/* The louder channel's true peak by @channel_peak (libebur128's
 * ebur128_true_peak or ebur128_prev_true_peak), dBTP. */
static gdouble
peak_check_dbtp (const PeakCheck * check, int (*channel_peak) (ebur128_state
        *, unsigned int, double *))
{
  gdouble peak = 0, channel;
  guint c;

  for (c = 0; c < NEMO_AUDIO_CHANNELS; c++)
    if (channel_peak (check->meter, c, &channel) == 0)
      peak = MAX (peak, channel);
  return 20 * log10 (MAX (peak, 1e-10));
}

/* Note the frame of @n samples just metered when its true peak is over. */
static void
peak_check_note (PeakCheck * check, gint n)
{
  gdouble peak = peak_check_dbtp (check, ebur128_prev_true_peak);

  if (peak > NEMO_TRUE_PEAK_DBTP) {
    NemoAacHotFrame hot = { check->position, peak };

    g_array_append_val (check->hot, hot);
  }
  check->position += n;
}

/* @n frames of @interleaved into the meter, noted, after the end of the
 * frame before when the meter skipped it. */
static void
peak_check_meter (PeakCheck * check, const gfloat * interleaved, gint n)
{
  if (!check->metered)
    ebur128_add_frames_float (check->meter, check->history, METER_HISTORY);
  ebur128_add_frames_float (check->meter, interleaved, n);
  peak_check_note (check, n);
}

/* Decode @packet (NULL: flush), into the meter if @meter. */
static gboolean
peak_check_add (PeakCheck * check, const AVPacket * packet, gboolean meter,
    GError ** error)
{
  gfloat interleaved[2 * AAC_FRAME * NEMO_AUDIO_CHANNELS];
  int ret = avcodec_send_packet (check->decoder, packet);

  while (ret >= 0) {
    AVFrame *frame = check->decoded;
    gint i, n;

    ret = avcodec_receive_frame (check->decoder, frame);
    if (ret < 0)
      break;
    n = MIN (frame->nb_samples, 2 * AAC_FRAME);
    for (i = 0; i < n; i++) {
      interleaved[2 * i] = ((const gfloat *) frame->data[0])[i];
      interleaved[2 * i + 1] = ((const gfloat *) frame->data[1])[i];
    }
    if (meter)
      peak_check_meter (check, interleaved, n);
    else
      check->position += n;
    if (n >= METER_HISTORY)
      memcpy (check->history, interleaved + (n - METER_HISTORY) *
          NEMO_AUDIO_CHANNELS, sizeof check->history);
    check->metered = meter && n >= METER_HISTORY;
    av_frame_unref (frame);
  }
  if (ret == AVERROR (EAGAIN) || ret == AVERROR_EOF)
    return TRUE;
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
      "Decoding the encoded soundtrack back failed (%s).", av_err2str (ret));
  return FALSE;
}

/* ---- one encoder ---- */

static void
aac_encoder_clear (AacEncoder * encoder)
{
  avcodec_free_context (&encoder->codec);
  g_clear_pointer (&encoder->fifo, av_audio_fifo_free);
  av_frame_free (&encoder->frame);
  av_packet_free (&encoder->packet);
}

/* An encoder whose packets with pts in [@keep_from, @keep_until) go to
 * @spool (after @check, which may be NULL); its first sample is
 * @first_pts. */
static gboolean
aac_encoder_init (AacEncoder * encoder, gint kbps, gint64 first_pts,
    gint64 keep_from, gint64 keep_until, NemoPacketSpool * spool,
    PeakCheck * check, GError ** error)
{
  AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
  int ret;

  encoder->next_pts = first_pts;
  encoder->keep_from = keep_from;
  encoder->keep_until = keep_until;
  encoder->spool = spool;
  encoder->check = check;
  encoder->packet = av_packet_alloc ();
  encoder->codec = nemo_output_open_audio (NEMO_AUDIO_AAC, NEMO_AUDIO_RATE,
      kbps * 1000LL, NULL, error);
  if (encoder->codec == NULL)
    return FALSE;

  encoder->fifo = av_audio_fifo_alloc (AV_SAMPLE_FMT_FLTP,
      NEMO_AUDIO_CHANNELS, WRITE_BLOCK + encoder->codec->frame_size);
  encoder->frame = av_frame_alloc ();
  if (encoder->frame != NULL) {
    encoder->frame->format = AV_SAMPLE_FMT_FLTP;
    encoder->frame->sample_rate = NEMO_AUDIO_RATE;
    encoder->frame->nb_samples = encoder->codec->frame_size;
    av_channel_layout_copy (&encoder->frame->ch_layout, &stereo);
  }
  ret = encoder->frame ? av_frame_get_buffer (encoder->frame, 0) :
      AVERROR (ENOMEM);
  if (encoder->fifo == NULL || ret < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Out of memory for the audio encoder (%s).", av_err2str (ret));
    return FALSE;
  }
  return TRUE;
}

/* Send @frame (NULL: flush) and spool every packet kept. */
static gboolean
aac_encoder_send (AacEncoder * encoder, const AVFrame * frame, GError ** error)
{
  AVPacket *packet = encoder->packet;
  int ret = avcodec_send_frame (encoder->codec, frame);

  while (ret >= 0) {
    gboolean written = TRUE;

    ret = avcodec_receive_packet (encoder->codec, packet);
    if (ret < 0)
      break;
    if (packet->pts >= encoder->keep_from && packet->pts < encoder->keep_until)
      written = (encoder->check == NULL
          || peak_check_add (encoder->check, packet, TRUE, error))
          && nemo_packet_spool_write (encoder->spool, packet, error);
    av_packet_unref (packet);
    if (!written)
      return FALSE;
  }
  if (ret == AVERROR_EOF)
    return encoder->check == NULL
        || peak_check_add (encoder->check, NULL, TRUE, error);
  if (ret == AVERROR (EAGAIN))
    return TRUE;
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
      "Encoding the soundtrack to AAC failed (%s).", av_err2str (ret));
  return FALSE;
}

/* Encode whole frames from the FIFO; with @final the last, partial one too
 * (the encoder pads it with silence), then flush. */
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
    gint64 n_frames, GError ** error)
{
  gfloat left[WRITE_BLOCK], right[WRITE_BLOCK];
  void *planes[NEMO_AUDIO_CHANNELS] = { left, right };

  while (n_frames > 0) {
    gint i, n = (gint) MIN (n_frames, WRITE_BLOCK);

    for (i = 0; i < n; i++) {
      left[i] = interleaved[2 * i];
      right[i] = interleaved[2 * i + 1];
    }
    if (av_audio_fifo_write (encoder->fifo, planes, n) < n) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
          "Out of memory while buffering the soundtrack.");
      return FALSE;
    }
    if (!aac_encoder_drain (encoder, FALSE, error))
      return FALSE;
    interleaved += (gsize) n * NEMO_AUDIO_CHANNELS;
    n_frames -= n;
  }
  return TRUE;
}

/* ---- chunks ---- */

static void
chunk_free (Chunk * chunk)
{
  nemo_packet_spool_free (chunk->samples);
  nemo_packet_spool_free (chunk->packets);
  g_clear_error (&chunk->error);
  g_free (chunk);
}

/* On a pool thread: encode @chunk's samples into its packets. */
static void
chunk_encode (gpointer data, gpointer user_data)
{
  Chunk *chunk = data;
  NemoAacWriter *writer = user_data;
  AacEncoder encoder = { 0 };
  AVPacket *block = av_packet_alloc ();
  GError *error = NULL;
  gint got = 0, blocks = 0;
  gboolean ok = block != NULL
      && nemo_packet_spool_rewind (chunk->samples, &error)
      && aac_encoder_init (&encoder, writer->kbps, chunk->from,
      chunk->start > 0 ? chunk->start : G_MININT64, chunk->end,
      chunk->packets, NULL, &error);

  while (ok && !g_atomic_int_get (&writer->abort)
      && (got = nemo_packet_spool_read (chunk->samples, block, &error)) > 0) {
    gint n = block->size / (gint) (sizeof (gfloat) * NEMO_AUDIO_CHANNELS);

    ok = aac_encoder_write (&encoder, (const gfloat *) block->data, n,
        &error);
    av_packet_unref (block);
    g_mutex_lock (&writer->lock);
    writer->encoded += n;
    if (++blocks % REPORT_BLOCKS == 0)
      g_cond_broadcast (&writer->done);
    g_mutex_unlock (&writer->lock);
  }
  ok = ok && got >= 0 && !g_atomic_int_get (&writer->abort)
      && aac_encoder_drain (&encoder, TRUE, &error);
  if (!ok && error == NULL)
    g_set_error (&error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "The soundtrack's encode was stopped.");
  aac_encoder_clear (&encoder);
  av_packet_free (&block);

  g_mutex_lock (&writer->lock);
  g_clear_pointer (&chunk->samples, nemo_packet_spool_free);
  chunk->error = error;
  chunk->done = TRUE;
  g_cond_broadcast (&writer->done);
  g_mutex_unlock (&writer->lock);
}

/* Where chunk @index starts: on the grid, or a retry's bounds (G_MAXINT64
 * past the last). */
static gint64
writer_chunk_start (const NemoAacWriter * writer, gint64 index)
{
  if (writer->bounds == NULL)
    return index * writer->chunk_length;
  return index < writer->bounds->len ?
      g_array_index (writer->bounds, gint64, index) : G_MAXINT64;
}

/* Open the next chunk: a spool for its samples and one for its packets,
 * unless a retry keeps the packets it had. */
static gboolean
writer_open_chunk (NemoAacWriter * writer, GError ** error)
{
  Chunk *chunk = g_new0 (Chunk, 1);

  chunk->start = writer_chunk_start (writer, writer->next_chunk);
  chunk->end = writer_chunk_start (writer, writer->next_chunk + 1);
  chunk->reused = writer->bounds != NULL && writer->next_chunk % 2 == 0;
  chunk->from = MAX (chunk->start - PREROLL_FRAMES * AAC_FRAME, 0);
  chunk->until = chunk->end == G_MAXINT64 ? G_MAXINT64 :
      chunk->end + POSTROLL_FRAMES * AAC_FRAME;
  if (!chunk->reused) {
    writer->encoded_again += chunk->end - chunk->start;
    chunk->samples = nemo_packet_spool_new (writer->work_dir, error);
    chunk->packets = chunk->samples ?
        nemo_packet_spool_new (writer->work_dir, error) : NULL;
    if (chunk->packets == NULL) {
      chunk_free (chunk);
      return FALSE;
    }
  }
  writer->next_chunk++;
  g_queue_push_tail (&writer->chunks, chunk);
  return TRUE;
}

static void
writer_report (NemoAacWriter * writer, gint64 done)
{
  if (writer->progress)
    writer->progress (MIN (done, writer->position), writer->progress_data);
}

/* Whether a packet at @pts of @chunk, copied, can decode to another frame
 * than before: it follows a piece. */
static gboolean
copied_packet_changed (const Chunk * chunk, gint64 pts)
{
  return chunk->start > 0 && pts < chunk->start + CHANGED_FRAMES * AAC_FRAME;
}

/* Check and append the packets of @chunk that the encode before made;
 * the packets in that spool are in order, so each chunk takes up where the
 * last stopped. */
static gboolean
writer_copy_previous (NemoAacWriter * writer, const Chunk * chunk,
    GError ** error)
{
  AVPacket *packet = writer->previous_packet;
  gint64 from = chunk->start > 0 ? chunk->start : G_MININT64;

  if (chunk->end <= chunk->start)
    return TRUE;                /* between two pieces, or before the first */
  for (;;) {
    gint got = packet->data != NULL ? 1 :
        nemo_packet_spool_read (writer->previous, packet, error);

    if (got <= 0)
      return got == 0;
    if (packet->pts >= chunk->end)
      return TRUE;              /* the next chunk's */
    if (packet->pts >= from && (!peak_check_add (&writer->check, packet,
                copied_packet_changed (chunk, packet->pts), error)
            || !nemo_packet_spool_write (writer->spool, packet, error)))
      return FALSE;
    av_packet_unref (packet);
  }
}

/* Wait for the oldest chunk (queued), reporting how much the threads have
 * encoded, then append its packets, checked, to the soundtrack's spool. */
static gboolean
writer_join_first (NemoAacWriter * writer, GError ** error)
{
  Chunk *chunk = g_queue_peek_head (&writer->chunks);
  AVPacket *packet = writer->main.packet;
  gboolean ok = TRUE;
  gint got = 0;

  g_assert (chunk->queued);
  g_mutex_lock (&writer->lock);
  while (!chunk->done) {
    gint64 encoded;

    g_cond_wait (&writer->done, &writer->lock);
    encoded = writer->encoded;
    g_mutex_unlock (&writer->lock);
    writer_report (writer, encoded);
    g_mutex_lock (&writer->lock);
  }
  g_mutex_unlock (&writer->lock);

  g_queue_pop_head (&writer->chunks);
  if (chunk->reused) {
    ok = writer_copy_previous (writer, chunk, error);
    chunk_free (chunk);
    return ok;
  }
  if (chunk->error != NULL) {
    g_propagate_error (error, g_steal_pointer (&chunk->error));
    ok = FALSE;
  }
  ok = ok && nemo_packet_spool_rewind (chunk->packets, error);
  while (ok && (got = nemo_packet_spool_read (chunk->packets, packet,
              error)) > 0) {
    ok = peak_check_add (&writer->check, packet, TRUE, error)
        && nemo_packet_spool_write (writer->spool, packet, error);
    av_packet_unref (packet);
  }
  ok = ok && got == 0;
  chunk_free (chunk);
  return ok;
}

/* Append every finished chunk at the head of the queue. */
static gboolean
writer_join_done (NemoAacWriter * writer, GError ** error)
{
  for (;;) {
    Chunk *chunk = g_queue_peek_head (&writer->chunks);
    gboolean done;

    if (chunk == NULL || !chunk->queued)
      return TRUE;
    g_mutex_lock (&writer->lock);
    done = chunk->done;
    g_mutex_unlock (&writer->lock);
    if (!done)
      return TRUE;
    if (!writer_join_first (writer, error))
      return FALSE;
  }
}

/* @chunk has all its samples: to a thread, or done when it is reused. */
static void
writer_queue (NemoAacWriter * writer, Chunk * chunk)
{
  chunk->queued = TRUE;
  if (!chunk->reused) {
    g_thread_pool_push (writer->pool, chunk, NULL);
    return;
  }
  chunk->done = TRUE;
  g_mutex_lock (&writer->lock);
  writer->encoded += chunk->until - chunk->from;
  g_mutex_unlock (&writer->lock);
}

/* @n frames of @interleaved, the sound from writer->position, into each
 * open chunk that takes them; a chunk with all its samples is queued. */
static gboolean
writer_fill_chunks (NemoAacWriter * writer, const gfloat * interleaved,
    gint64 n, GError ** error)
{
  gint64 at = writer->position, end = at + n;
  GList *l;

  for (l = writer->chunks.head; l != NULL; l = l->next) {
    Chunk *chunk = l->data;
    gint64 from = MAX (at, chunk->from), until = MIN (end, chunk->until);

    if (chunk->queued || from >= until)
      continue;
    if (chunk->reused) {
      if (until == chunk->until)
        writer_queue (writer, chunk);
      continue;
    }
    writer->block->data = (guint8 *) (interleaved + (from - at) *
        NEMO_AUDIO_CHANNELS);
    writer->block->size = (gint) ((until - from) * NEMO_AUDIO_CHANNELS *
        sizeof (gfloat));
    writer->block->pts = from;
    if (!nemo_packet_spool_write (chunk->samples, writer->block, error))
      return FALSE;
    if (until == chunk->until)
      writer_queue (writer, chunk);
  }
  return TRUE;
}

static gboolean
writer_write_chunks (NemoAacWriter * writer, const gfloat * interleaved,
    gint64 n, GError ** error)
{
  gint64 end = writer->position + n;

  /* the chunks whose first samples are in this block open, no more than
   * threads + 2 at a time */
  while (MAX (writer_chunk_start (writer, writer->next_chunk) -
          PREROLL_FRAMES * AAC_FRAME, 0) < end) {
    while (g_queue_get_length (&writer->chunks) >= (guint) writer->threads + 2)
      if (!writer_join_first (writer, error))
        return FALSE;
    if (!writer_open_chunk (writer, error))
      return FALSE;
  }
  if (!writer_fill_chunks (writer, interleaved, n, error))
    return FALSE;
  writer->position = end;
  return writer_join_done (writer, error);
}

/* The sound ended: the chunk it ends in keeps every packet to the end,
 * one that only had its pre-roll is dropped, and all are joined. */
static gboolean
writer_finish_chunks (NemoAacWriter * writer, GError ** error)
{
  Chunk *last;
  GList *l;

  while ((last = g_queue_peek_tail (&writer->chunks)) != NULL
      && last->start >= writer->position)
    chunk_free (g_queue_pop_tail (&writer->chunks));
  for (l = writer->chunks.head; l != NULL; l = l->next) {
    Chunk *chunk = l->data;

    if (chunk->end >= writer->position)
      chunk->end = G_MAXINT64;
    if (!chunk->queued) {
      chunk->until = writer->position;
      writer_queue (writer, chunk);
    }
  }
  while (!g_queue_is_empty (&writer->chunks))
    if (!writer_join_first (writer, error))
      return FALSE;
  if (writer->previous != NULL)
    NEMO_DEBUG ("AAC: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " frames "
        "encoded again, the rest kept from the encode before",
        MIN (writer->encoded_again, writer->position) / AAC_FRAME,
        writer->position / AAC_FRAME);
  return peak_check_add (&writer->check, NULL, TRUE, error);
}

/* ---- the writer ---- */

/* The cores this thread may run on: GLib 2.74's count ignores the
 * affinity mask (taskset, a container's cpuset), which newer GLibs
 * honour. */
static gint
usable_cores (void)
{
  gint cores = (gint) g_get_num_processors ();
#ifdef CPU_COUNT
  cpu_set_t set;

  if (sched_getaffinity (0, sizeof set, &set) == 0)
    cores = MIN (cores, CPU_COUNT (&set));
#endif
  return MAX (cores, 1);
}

/* How many threads for a sound of about @estimate samples, and the length
 * of its chunks (0: one encode). */
static gint64
plan_chunks (gint64 estimate, gint * threads)
{
  gint64 frames = (estimate + AAC_FRAME - 1) / AAC_FRAME, chunks;

  *threads = (gint) MIN (MIN (usable_cores (), MAX_THREADS),
      frames / MIN_CHUNK_FRAMES);
  if (*threads < 2)
    return 0;
  /* as many chunks for each thread, none longer than MAX_CHUNK_FRAMES */
  chunks = *threads * ((frames + *threads * MAX_CHUNK_FRAMES - 1) /
      (*threads * MAX_CHUNK_FRAMES));
  return (frames + chunks - 1) / chunks * AAC_FRAME;
}

NemoAacWriter *
nemo_aac_writer_new (gint kbps, gint64 estimate, NemoPacketSpool * spool,
    const gchar * work_dir, NemoAacProgressFunc progress,
    gpointer progress_data, GError ** error)
{
  g_autoptr (NemoAacWriter) writer = g_new0 (NemoAacWriter, 1);

  writer->kbps = kbps;
  writer->work_dir = g_strdup (work_dir);
  writer->spool = spool;
  writer->progress = progress;
  writer->progress_data = progress_data;
  g_mutex_init (&writer->lock);
  g_cond_init (&writer->done);
  g_queue_init (&writer->chunks);
  writer->chunk_length = plan_chunks (estimate, &writer->threads);
  if (!aac_encoder_init (&writer->main, kbps, 0, G_MININT64, G_MAXINT64,
          spool, &writer->check, error)
      || !peak_check_init (&writer->check, writer->main.codec, error))
    return NULL;
  if (writer->chunk_length == 0)
    return g_steal_pointer (&writer);

  writer->block = av_packet_alloc ();
  writer->pool = g_thread_pool_new (chunk_encode, writer, writer->threads,
      FALSE, error);
  if (writer->pool == NULL)
    return NULL;
  if (writer->block == NULL) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Out of memory for the audio encoder.");
    return NULL;
  }
  NEMO_DEBUG ("AAC: chunks of %" G_GINT64_FORMAT " frames on %d threads",
      writer->chunk_length / AAC_FRAME, writer->threads);
  return g_steal_pointer (&writer);
}

gboolean
nemo_aac_writer_write (NemoAacWriter * writer, const gfloat * interleaved,
    gint n_frames, GError ** error)
{
  if (writer->chunk_length > 0)
    return writer_write_chunks (writer, interleaved, n_frames, error);
  if (!aac_encoder_write (&writer->main, interleaved, n_frames, error))
    return FALSE;
  writer->position += n_frames;
  writer_report (writer, writer->position);
  return TRUE;
}

gboolean
nemo_aac_writer_finish (NemoAacWriter * writer, GError ** error)
{
  if (writer->chunk_length > 0)
    return writer_finish_chunks (writer, error);
  return aac_encoder_drain (&writer->main, TRUE, error);
}

/* The chunks of a retry that changes @changed: copied, a piece encoded
 * again around each range (pieces that meet are one), copied, and so on,
 * the last copied to the end.  A piece longer than a chunk of the grid is
 * cut in chunks of it, with nothing copied between, so the threads share
 * it. */
static GArray *
plan_retry (const GArray * changed, gint64 chunk_length)
{
  g_autoptr (GArray) pieces = g_array_new (FALSE, FALSE, sizeof (gint64));
  GArray *bounds = g_array_new (FALSE, FALSE, sizeof (gint64));
  const gint64 first = 0;
  guint i;

  for (i = 0; i + 1 < changed->len; i += 2) {
    gint64 from = g_array_index (changed, gint64, i);
    gint64 until = g_array_index (changed, gint64, i + 1);
    gint64 start = MAX (from / AAC_FRAME - POSTROLL_FRAMES, 0) * AAC_FRAME;
    gint64 end = ((until + AAC_FRAME - 1) / AAC_FRAME + RETRY_TAIL_FRAMES) *
        AAC_FRAME;

    if (pieces->len > 0
        && start <= g_array_index (pieces, gint64, pieces->len - 1))
      g_array_index (pieces, gint64, pieces->len - 1) = end;
    else {
      g_array_append_val (pieces, start);
      g_array_append_val (pieces, end);
    }
  }
  g_array_append_val (bounds, first);
  for (i = 0; i + 1 < pieces->len; i += 2) {
    gint64 start = g_array_index (pieces, gint64, i);
    gint64 end = g_array_index (pieces, gint64, i + 1);

    g_array_append_val (bounds, start);
    for (start += chunk_length; start < end; start += chunk_length) {
      g_array_append_val (bounds, start);
      g_array_append_val (bounds, start);
    }
    g_array_append_val (bounds, end);
  }
  return bounds;
}

gboolean
nemo_aac_writer_reuse (NemoAacWriter * writer, NemoPacketSpool * previous,
    const GArray * changed, GError ** error)
{
  g_return_val_if_fail (writer->position == 0 && writer->previous == NULL,
      FALSE);

  if (writer->chunk_length == 0) {
    nemo_packet_spool_free (previous);
    return TRUE;
  }
  writer->previous = previous;
  writer->previous_packet = av_packet_alloc ();
  writer->bounds = plan_retry (changed, writer->chunk_length);
  if (writer->previous_packet == NULL) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Out of memory for the audio encoder.");
    return FALSE;
  }
  return nemo_packet_spool_rewind (previous, error);
}

const AVCodecContext *
nemo_aac_writer_get_context (const NemoAacWriter * writer)
{
  return writer->main.codec;
}

gdouble
nemo_aac_writer_true_peak (NemoAacWriter * writer)
{
  return peak_check_dbtp (&writer->check, ebur128_true_peak);
}

const GArray *
nemo_aac_writer_hot_frames (const NemoAacWriter * writer)
{
  return writer->check.hot;
}

void
nemo_aac_writer_free (NemoAacWriter * writer)
{
  if (writer == NULL)
    return;
  if (writer->pool != NULL) {
    /* queued chunks are dropped, running ones stop at their next block */
    g_atomic_int_set (&writer->abort, 1);
    g_thread_pool_free (writer->pool, TRUE, TRUE);
  }
  g_queue_clear_full (&writer->chunks, (GDestroyNotify) chunk_free);
  av_packet_free (&writer->block);
  nemo_packet_spool_free (writer->previous);
  av_packet_free (&writer->previous_packet);
  g_clear_pointer (&writer->bounds, g_array_unref);
  aac_encoder_clear (&writer->main);
  peak_check_clear (&writer->check);
  g_mutex_clear (&writer->lock);
  g_cond_clear (&writer->done);
  g_free (writer->work_dir);
  g_free (writer);
}
