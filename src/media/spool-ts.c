/* nemorender media layer: the H.264 spool.  Annex B access units go into
 * MPEG-TS unchanged (no extradata needed), with their pts.
 *
 * Buffers only carry a pts, and MPEG-TS wants a dts too.  Access units
 * arrive in decode order, so the dts sequence is the pts sequence sorted:
 * up to REORDER_DEPTH units are held back so each one's dts is the
 * smallest pts still waiting.  When that first window shows reordering
 * (B-frames), every dts also moves back REORDER_DEPTH frames so it never
 * passes its pts; without B-frames dts equals pts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "media-private.h"

#define REORDER_DEPTH 4

struct _NemoSpoolTs
{
  NemoOutput *mux;
  AVStream *st;
  GQueue pending;               /* AVPacket *, decode order, no dts yet */
  GArray *pending_pts;          /* their pts, ascending */
  gint64 dts_offset;
  gboolean offset_known;
  gint64 prev_pts;              /* of the previous unit, AV_NOPTS_VALUE before */
  gint64 min_step;              /* smallest pts gap seen: one frame */
  gint64 max_pts_us;
};

NemoSpoolTs *
nemo_spool_ts_new (const gchar * path, GError ** error)
{
  NemoSpoolTs *ts = g_new0 (NemoSpoolTs, 1);

  g_queue_init (&ts->pending);
  ts->pending_pts = g_array_new (FALSE, FALSE, sizeof (gint64));
  ts->prev_pts = AV_NOPTS_VALUE;
  ts->mux = nemo_output_open (path, NEMO_CONTAINER_MPEGTS, error);
  if (!ts->mux)
    goto fail;

  ts->st = nemo_output_add_copy (ts->mux, NULL, (AVRational) { 1, 90000 },
      error);
  if (!ts->st)
    goto fail;
  ts->st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
  ts->st->codecpar->codec_id = AV_CODEC_ID_H264;
  if (!nemo_output_start (ts->mux, error))
    goto fail;
  return ts;

fail:
  nemo_spool_ts_free (ts);
  return NULL;
}

/* An access unit with an IDR slice is where a player can start. */
static gboolean
has_idr (const guint8 * data, gsize size)
{
  gsize i;

  for (i = 0; i + 3 < size; i++)
    if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 &&
        (data[i + 3] & 0x1f) == 5)
      return TRUE;
  return FALSE;
}

static gboolean
window_is_reordered (NemoSpoolTs * ts)
{
  GList *l;
  guint i = 0;

  for (l = ts->pending.head; l; l = l->next, i++)
    if (((AVPacket *) l->data)->pts != g_array_index (ts->pending_pts,
            gint64, i))
      return TRUE;
  return FALSE;
}

static gboolean
write_oldest (NemoSpool * spool, GError ** error)
{
  NemoSpoolTs *ts = spool->ts;
  AVPacket *pkt;
  gboolean written;

  if (!ts->offset_known) {
    ts->dts_offset = window_is_reordered (ts) ?
        REORDER_DEPTH * ts->min_step : 0;
    ts->offset_known = TRUE;
  }
  pkt = g_queue_pop_head (&ts->pending);
  pkt->dts = g_array_index (ts->pending_pts, gint64, 0) - ts->dts_offset;
  g_array_remove_index (ts->pending_pts, 0);
  written = nemo_output_write_in_order (ts->mux, pkt, error);
  av_packet_free (&pkt);
  return written;
}

gboolean
nemo_spool_ts_write (NemoSpool * spool, const guint8 * data, gsize size,
    gint64 pts_us, GError ** error)
{
  NemoSpoolTs *ts = spool->ts;
  AVPacket *pkt;
  guint i;

  if (pts_us < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "An H.264 buffer for “%s” has no timestamp. Put h264parse before "
        "the element so every access unit is stamped.", spool->path);
    return FALSE;
  }

  pkt = av_packet_alloc ();
  if (av_new_packet (pkt, size) < 0) {
    av_packet_free (&pkt);
    nemo_output_set_error (error, spool->path, "write to", AVERROR (ENOMEM));
    return FALSE;
  }
  memcpy (pkt->data, data, size);
  pkt->stream_index = ts->st->index;
  pkt->pts = av_rescale_q (pts_us, AV_TIME_BASE_Q, ts->st->time_base);
  if (has_idr (data, size))
    pkt->flags |= AV_PKT_FLAG_KEY;

  if (ts->prev_pts != AV_NOPTS_VALUE && pkt->pts != ts->prev_pts) {
    gint64 step = ABS (pkt->pts - ts->prev_pts);

    ts->min_step = ts->min_step ? MIN (ts->min_step, step) : step;
  }
  ts->prev_pts = pkt->pts;

  for (i = 0; i < ts->pending_pts->len &&
      g_array_index (ts->pending_pts, gint64, i) < pkt->pts; i++);
  g_array_insert_val (ts->pending_pts, i, pkt->pts);
  g_queue_push_tail (&ts->pending, pkt);

  ts->max_pts_us = MAX (ts->max_pts_us, pts_us);
  spool->duration_us = ts->max_pts_us +
      av_rescale_q (ts->min_step, ts->st->time_base, AV_TIME_BASE_Q);
  spool->count++;

  if (ts->pending.length > REORDER_DEPTH)
    return write_oldest (spool, error);
  return TRUE;
}

gboolean
nemo_spool_ts_finish (NemoSpool * spool, GError ** error)
{
  NemoSpoolTs *ts = spool->ts;
  gboolean ok = TRUE;

  while (ok && ts->pending.length > 0)
    ok = write_oldest (spool, error);
  return ok && nemo_output_finish (ts->mux, error);
}

void
nemo_spool_ts_free (NemoSpoolTs * ts)
{
  AVPacket *pkt;

  nemo_output_free (ts->mux);
  while ((pkt = g_queue_pop_head (&ts->pending)))
    av_packet_free (&pkt);
  g_array_unref (ts->pending_pts);
  g_free (ts);
}
