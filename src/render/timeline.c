/* The video side of a draft: which picture is on screen at a time.
 *
 * Every "still" and "clip" segment with a source in the draft's video tracks
 * is a picture on the timeline.  At a time, the picture shown is the one
 * that started last among those covering it (a later segment replaces an
 * earlier one that runs "to the end"); with none, a plain dark frame.
 * Pictures are opened when first shown and closed once their time is past.
 *
 * Draft times are whole ms; frame i is shown at floor (i * 10^6 * fps_d /
 * fps_n) µs (render.c).  A segment starting at ms m covers the frames from
 * the first at or after m * 1000 µs: a cut meant for frame k is written as
 * floor (k * 1000 * fps_d / fps_n) ms, which lands in (frame k - 1,
 * frame k], so the picture changes exactly on frame k (src/job/montage.c).
 *
 * With m.crossfade_ms, a picture that starts where the one before it ends
 * dissolves in over that long from its start: the one before goes on
 * playing under it (its clip beyond its `d`) and fades out, the frames
 * blended in yuv420p.  Frame j of the n frames of a dissolve shows
 * (j + 1) / (n + 1) of the new picture, so the first frame after the cut
 * already moves and the last before the end is not quite there (frames of
 * the draft's m.fps_n / m.fps_d).
 *
 * A closed clip leaves its reader behind for the next segment of the same
 * file: a montage's shots take up each clip where its last shot stopped,
 * and decoding on from there beats decoding the file again up to the new
 * in-point for every shot.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "render-private.h"

#include <nemo/error.h>
#include <nemo/media.h>

/* What the screen shows where the draft has no picture. */
#define EMPTY_FRAME_RGB 0x101418

typedef struct
{
  const NemoSegment *segment;
  gboolean still;
  gint64 start_us, end_us;      /* end: G_MAXINT64 when the segment runs to the end */
  AVFrame *frame;               /* a still's output frame, made once */
  NemoVideoReader *reader;      /* a clip's */
  NemoLayout *layout;           /* a clip's */
  gint64 clip_us;               /* a clip's time last shown */
} Picture;

/* A clip's reader left by a closed picture, at @clip_us into the clip. */
typedef struct
{
  NemoVideoReader *reader;
  NemoLayout *layout;
  gint64 clip_us;
} IdleClip;

struct _NemoTimeline
{
  gint width, height;
  GPtrArray *pictures;          /* Picture*, by start time */
  AVFrame *empty;
  AVFrame *current;             /* the last clip frame handed out */
  AVFrame *leaving;             /* the clip frame of the one dissolving out */
  AVFrame *blend;               /* the two, dissolved */
  gint64 crossfade_us;
  gint64 frame_us;              /* of the draft's frame rate */
  GHashTable *idle;             /* source → IdleClip* */
};

static void
idle_clip_free (IdleClip * idle)
{
  nemo_video_reader_free (idle->reader);
  nemo_layout_free (idle->layout);
  g_free (idle);
}

/* Done with @picture: a clip's reader waits in @idle for the next
 * segment of its file. */
static void
picture_close (Picture * picture, GHashTable * idle)
{
  if (picture->reader != NULL) {
    IdleClip *left = g_new0 (IdleClip, 1);

    left->reader = g_steal_pointer (&picture->reader);
    left->layout = g_steal_pointer (&picture->layout);
    left->clip_us = picture->clip_us;
    g_hash_table_replace (idle, picture->segment->source, left);
  }
  av_frame_free (&picture->frame);
  g_clear_pointer (&picture->reader, nemo_video_reader_free);
  g_clear_pointer (&picture->layout, nemo_layout_free);
}

static void
picture_free (Picture * picture)
{
  av_frame_free (&picture->frame);
  g_clear_pointer (&picture->reader, nemo_video_reader_free);
  g_clear_pointer (&picture->layout, nemo_layout_free);
  g_free (picture);
}

static gint
compare_start (gconstpointer a, gconstpointer b)
{
  const Picture *pa = *(const Picture **) a;
  const Picture *pb = *(const Picture **) b;

  return (pa->start_us > pb->start_us) - (pa->start_us < pb->start_us);
}

static Picture *
picture_new (const NemoSegment * segment)
{
  Picture *picture = g_new0 (Picture, 1);

  picture->segment = segment;
  picture->still = g_strcmp0 (segment->kind, NEMO_SEGMENT_STILL) == 0;
  picture->start_us = MAX (segment->start_ms, 0) * 1000;
  picture->end_us = segment->duration_ms < 0 ? G_MAXINT64 :
      picture->start_us + segment->duration_ms * 1000;
  return picture;
}

NemoTimeline *
nemo_timeline_new (const NemoDraft * draft, gint width, gint height,
    GError ** error)
{
  NemoTimeline *timeline;
  AVFrame *empty;
  guint t, s;

  empty = nemo_layout_plain_frame (width, height, EMPTY_FRAME_RGB, error);
  if (empty == NULL)
    return NULL;

  timeline = g_new0 (NemoTimeline, 1);
  timeline->width = width;
  timeline->height = height;
  timeline->empty = empty;
  timeline->crossfade_us = MAX (nemo_draft_get_meta_int (draft,
          "crossfade_ms", 0), 0) * 1000;
  timeline->frame_us = G_USEC_PER_SEC * MAX (nemo_draft_get_meta_int (draft,
          "fps_d", 1), 1) / MAX (nemo_draft_get_meta_int (draft, "fps_n", 30),
      1);
  timeline->pictures =
      g_ptr_array_new_with_free_func ((GDestroyNotify) picture_free);
  timeline->idle = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) idle_clip_free);
  for (t = 0; t < draft->tracks->len; t++) {
    const NemoTrack *track = g_ptr_array_index (draft->tracks, t);

    if (track->type != NEMO_TRACK_VIDEO)
      continue;
    for (s = 0; s < track->segments->len; s++) {
      const NemoSegment *segment = g_ptr_array_index (track->segments, s);

      if (segment->source == NULL || segment->source[0] == '\0'
          || segment->duration_ms == 0)
        continue;
      if (g_strcmp0 (segment->kind, NEMO_SEGMENT_STILL) == 0
          || g_strcmp0 (segment->kind, NEMO_SEGMENT_CLIP) == 0)
        g_ptr_array_add (timeline->pictures, picture_new (segment));
    }
  }
  /* Stable: at equal starts the later segment of the draft wins. */
  g_ptr_array_sort (timeline->pictures, compare_start);
  return timeline;
}

void
nemo_timeline_free (NemoTimeline * timeline)
{
  if (timeline == NULL)
    return;
  g_ptr_array_unref (timeline->pictures);
  g_hash_table_unref (timeline->idle);
  av_frame_free (&timeline->empty);
  av_frame_free (&timeline->current);
  av_frame_free (&timeline->leaving);
  av_frame_free (&timeline->blend);
  g_free (timeline);
}

static gint
picture_index_at (NemoTimeline * timeline, gint64 t_us)
{
  gint i;

  for (i = (gint) timeline->pictures->len - 1; i >= 0; i--) {
    Picture *picture = g_ptr_array_index (timeline->pictures, i);

    if (picture->start_us <= t_us && t_us < picture->end_us)
      return i;
  }
  return -1;
}

static gboolean
picture_make_still (Picture * picture, gint width, gint height,
    GError ** error)
{
  g_autofree gchar *path = NULL;
  g_autoptr (NemoLayout) layout = NULL;
  AVFrame *image;

  path = nemo_media_path_from_uri (picture->segment->source, error);
  if (path == NULL)
    return FALSE;
  image = nemo_media_decode_image (path, error);
  if (image == NULL)
    return FALSE;
  layout = nemo_layout_new (width, height);
  picture->frame = nemo_layout_draw (layout, image, error);
  av_frame_free (&image);
  return picture->frame != NULL;
}

/* Take over the reader a closed picture of the same file left, if it has
 * not gone past @clip_us (readers only go forward). */
static void
picture_adopt_reader (Picture * picture, GHashTable * idle, gint64 clip_us)
{
  IdleClip *left = g_hash_table_lookup (idle, picture->segment->source);

  if (left == NULL || left->clip_us > clip_us)
    return;
  picture->reader = g_steal_pointer (&left->reader);
  picture->layout = g_steal_pointer (&left->layout);
  g_hash_table_remove (idle, picture->segment->source);
}

static AVFrame *
picture_draw_clip (Picture * picture, gint64 t_us, GHashTable * idle,
    gint width, gint height, GError ** error)
{
  const AVFrame *source;

  picture->clip_us = t_us - picture->start_us
      + MAX (picture->segment->in_ms, 0) * 1000;
  if (picture->reader == NULL)
    picture_adopt_reader (picture, idle, picture->clip_us);
  if (picture->reader == NULL) {
    g_autofree gchar *path =
        nemo_media_path_from_uri (picture->segment->source, error);

    if (path == NULL)
      return NULL;
    picture->reader = nemo_video_reader_open (path, error);
    if (picture->reader == NULL)
      return NULL;
    picture->layout = nemo_layout_new (width, height);
  }
  source = nemo_video_reader_frame_at (picture->reader, picture->clip_us,
      picture->segment->loop, error);
  if (source == NULL)
    return NULL;
  return nemo_layout_draw (picture->layout, source, error);
}

/* @picture's frame at @t_us; a clip's goes to *@owned, freed with it. */
static AVFrame *
picture_frame_at (NemoTimeline * timeline, Picture * picture, gint64 t_us,
    AVFrame ** owned, GError ** error)
{
  if (picture->still) {
    if (picture->frame == NULL && !picture_make_still (picture,
            timeline->width, timeline->height, error))
      return NULL;
    return picture->frame;
  }
  *owned = picture_draw_clip (picture, t_us, timeline->idle,
      timeline->width, timeline->height, error);
  return *owned;
}

/* The picture dissolving out at @t_us under @picture (which started where
 * it ended, less than a crossfade ago), or NULL. */
static Picture *
leaving_picture (NemoTimeline * timeline, const Picture * picture,
    gint64 t_us)
{
  guint i;

  if (timeline->crossfade_us <= 0 || t_us - picture->start_us >=
      timeline->crossfade_us)
    return NULL;
  for (i = 0; i < timeline->pictures->len; i++) {
    Picture *other = g_ptr_array_index (timeline->pictures, i);

    if (other != picture && other->end_us == picture->start_us)
      return other;
  }
  return NULL;
}

/* @out = @from dissolved into @to by @weight (0..256), yuv420p. */
static gboolean
dissolve (AVFrame ** out, const AVFrame * from, const AVFrame * to,
    gint weight, GError ** error)
{
  gint p, x, y;

  if (*out == NULL) {
    *out = av_frame_alloc ();
    if (*out == NULL)
      goto oom;
    (*out)->format = to->format;
    (*out)->width = to->width;
    (*out)->height = to->height;
    if (av_frame_get_buffer (*out, 0) < 0)
      goto oom;
  }
  av_frame_copy_props (*out, to);
  for (p = 0; p < 3; p++) {
    gint w = p ? (to->width + 1) / 2 : to->width;
    gint h = p ? (to->height + 1) / 2 : to->height;

    for (y = 0; y < h; y++) {
      const guint8 *a = from->data[p] + (gsize) y * from->linesize[p];
      const guint8 *b = to->data[p] + (gsize) y * to->linesize[p];
      guint8 *o = (*out)->data[p] + (gsize) y * (*out)->linesize[p];

      for (x = 0; x < w; x++)
        o[x] = (guint8) ((a[x] * (256 - weight) + b[x] * weight + 128) >> 8);
    }
  }
  return TRUE;

oom:
  av_frame_free (out);
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
      "Out of memory for a crossfade's %dx%d frame.", to->width, to->height);
  return FALSE;
}

AVFrame *
nemo_timeline_frame_at (NemoTimeline * timeline, gint64 t_us, GError ** error)
{
  gint index = picture_index_at (timeline, t_us);
  Picture *picture, *leaving;
  AVFrame *frame, *under;
  guint i;

  /* Time only moves forward: release what will not be shown again (a
   * picture dissolving out is shown past its end). */
  for (i = 0; i < timeline->pictures->len; i++) {
    Picture *past = g_ptr_array_index (timeline->pictures, i);
    if (past->end_us <= G_MAXINT64 - timeline->crossfade_us
        && past->end_us + timeline->crossfade_us <= t_us)
      picture_close (past, timeline->idle);
  }
  av_frame_free (&timeline->current);
  av_frame_free (&timeline->leaving);

  if (index < 0)
    return timeline->empty;
  picture = g_ptr_array_index (timeline->pictures, index);
  frame = picture_frame_at (timeline, picture, t_us, &timeline->current,
      error);
  leaving = frame ? leaving_picture (timeline, picture, t_us) : NULL;
  if (leaving == NULL)
    return frame;
  under = picture_frame_at (timeline, leaving, t_us, &timeline->leaving,
      error);
  if (under == NULL || !dissolve (&timeline->blend, under, frame,
          (gint) ((t_us - picture->start_us + timeline->frame_us) * 256
              / (timeline->crossfade_us + timeline->frame_us)), error))
    return NULL;
  return timeline->blend;
}

gint64
nemo_timeline_still_until (NemoTimeline * timeline, gint64 t_us)
{
  gint index = picture_index_at (timeline, t_us);
  gint64 end = G_MAXINT64;
  guint i;

  if (index >= 0) {
    Picture *picture = g_ptr_array_index (timeline->pictures, index);

    /* a clip, or a still dissolving in over the one before it */
    if (!picture->still || leaving_picture (timeline, picture, t_us))
      return t_us;
    end = picture->end_us;
  }
  /* the next picture to start takes over */
  for (i = 0; i < timeline->pictures->len; i++) {
    Picture *later = g_ptr_array_index (timeline->pictures, i);

    if (later->start_us > t_us)
      return MIN (end, later->start_us);
  }
  return end;
}
