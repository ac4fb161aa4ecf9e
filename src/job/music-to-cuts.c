/* nemorender job: the music moved onto the clips' own cuts
 * (m.music_to_cuts, "sync it to the cuts").
 *
 * The video keeps its cuts; the song's in-point moves instead.  The cuts
 * are the joins between the shots of the first video track and the scene
 * cuts FFmpeg finds inside its clips (nemo_analysis_scene_cuts()).  Every
 * shift of the song that puts one of its beats exactly on one cut is a
 * candidate; each scores, over all the cuts, the strength of the beat
 * nearest the cut, times how close it is (1 on the cut, 0 at
 * CUT_TOLERANCE_US), and the smallest shift scoring within 5 % of the best
 * wins.
 * docs/montage.md has the method and its error.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "job-private.h"
#include <nemo/analysis.h>

#include <math.h>

/* A beat this close to a cut is on it. */
#define CUT_TOLERANCE_US 50000
/* The song starts at most this many beats later: two bars reach every
 * place of a beat in the bar. */
#define MAX_SHIFT_BEATS 8
/* Scores this close to the best are as good. */
#define NEAR_BEST 0.95

typedef struct
{
  const NemoBeats *beats;
  const GArray *cuts;           /* gint64 µs on the timeline */
  gint64 offset_us;             /* song time - timeline time before the shift */
} Alignment;

static gint
compare_us (gconstpointer a, gconstpointer b)
{
  gint64 ta = *(const gint64 *) a, tb = *(const gint64 *) b;

  return (ta > tb) - (ta < tb);
}

static const NemoMediaInfo *
find_visual (GPtrArray * visuals, const gchar * path)
{
  guint i;

  for (i = 0; i < visuals->len; i++) {
    const NemoMediaInfo *visual = visuals->pdata[i];

    if (g_strcmp0 (visual->path, path) == 0)
      return visual;
  }
  return NULL;
}

/* @scenes (cut times in the clip) as @shot shows them on the timeline, up
 * to @end_us, onto @cuts: the shot plays its clip from its in-point, over
 * again when it loops. */
static void
add_scene_cuts (const NemoSegment * shot, const GArray * scenes,
    gint64 clip_us, gint64 end_us, GArray * cuts)
{
  gint64 start_us = shot->start_ms * 1000, in_us = shot->in_ms * 1000;
  gint64 pass_us;
  guint i;

  if (shot->duration_ms >= 0)
    end_us = MIN (end_us, start_us + shot->duration_ms * 1000);
  for (pass_us = 0; start_us + pass_us - in_us < end_us; pass_us += clip_us) {
    for (i = 0; i < scenes->len; i++) {
      gint64 t = start_us + pass_us + g_array_index (scenes, gint64, i) - in_us;

      if (t > start_us && t < end_us)
        g_array_append_val (cuts, t);
    }
    if (!shot->loop || clip_us <= 0)
      break;
  }
}

/* Every cut of the first video track, increasing, inside (0, @end_us). */
static GArray *
timeline_cuts (const NemoDraft * draft, GPtrArray * visuals, gint64 end_us,
    GCancellable * cancellable, GError ** error)
{
  const NemoTrack *track = nemo_draft_find_track (draft, NEMO_TRACK_VIDEO);
  g_autoptr (GHashTable) scenes = g_hash_table_new_full (g_str_hash,
      g_str_equal, NULL, (GDestroyNotify) g_array_unref);
  GArray *cuts = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint s;

  for (s = 0; track != NULL && s < track->segments->len; s++) {
    const NemoSegment *shot = g_ptr_array_index (track->segments, s);
    const NemoMediaInfo *visual = find_visual (visuals, shot->source);
    GArray *found;
    gint64 join_us = shot->start_ms * 1000;

    if (join_us > 0 && join_us < end_us)
      g_array_append_val (cuts, join_us);
    if (g_strcmp0 (shot->kind, NEMO_SEGMENT_CLIP) != 0 || visual == NULL)
      continue;
    found = g_hash_table_lookup (scenes, visual->path);
    if (found == NULL) {
      found = nemo_analysis_scene_cuts (visual->path, cancellable, error);
      if (found == NULL) {
        g_array_unref (cuts);
        return NULL;
      }
      g_hash_table_insert (scenes, visual->path, found);
    }
    add_scene_cuts (shot, found, visual->duration_us, end_us, cuts);
  }
  g_array_sort (cuts, compare_us);
  return cuts;
}

/* The beat nearest to @t_us (song time). */
static const NemoBeat *
nearest_beat (const NemoBeats * beats, gint64 t_us)
{
  guint lo = 0, hi = beats->n_beats;

  /* the first beat at or after t */
  while (lo < hi) {
    guint mid = (lo + hi) / 2;

    if (beats->beats[mid].time_us < t_us)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == beats->n_beats
      || (lo > 0 && t_us - beats->beats[lo - 1].time_us <
          beats->beats[lo].time_us - t_us))
    return &beats->beats[lo - 1];
  return &beats->beats[lo];
}

/* How far the beat nearest to cut @i is from it with the song shifted by
 * @shift_us. */
static gint64
cut_error_us (const Alignment * a, guint i, gint64 shift_us)
{
  gint64 t = g_array_index (a->cuts, gint64, i) + a->offset_us + shift_us;

  return ABS (nearest_beat (a->beats, t)->time_us - t);
}

static gdouble
score (const Alignment * a, gint64 shift_us)
{
  gdouble total = 0;
  guint i;

  for (i = 0; i < a->cuts->len; i++) {
    gint64 t = g_array_index (a->cuts, gint64, i) + a->offset_us + shift_us;
    const NemoBeat *beat = nearest_beat (a->beats, t);
    gint64 off = ABS (beat->time_us - t);

    if (off < CUT_TOLERANCE_US)
      total += beat->energy * (1.0 - (gdouble) off / CUT_TOLERANCE_US);
  }
  return total;
}

/* The shifts that put a beat exactly on a cut, from 0 to @max_shift_us,
 * and 0. */
static GArray *
candidate_shifts (const Alignment * a, gint64 max_shift_us)
{
  GArray *shifts = g_array_new (FALSE, TRUE, sizeof (gint64));
  guint i, j;

  g_array_set_size (shifts, 1);
  for (i = 0; i < a->beats->n_beats; i++) {
    for (j = 0; j < a->cuts->len; j++) {
      gint64 shift = a->beats->beats[i].time_us
          - (g_array_index (a->cuts, gint64, j) + a->offset_us);

      if (shift >= 0 && shift <= max_shift_us)
        g_array_append_val (shifts, shift);
    }
  }
  return shifts;
}

/* The smallest shift that scores within NEAR_BEST of the best: a later
 * start that only differs by the tracker's jitter does not win. */
static gint64
best_shift (const Alignment * a, gint64 max_shift_us)
{
  g_autoptr (GArray) shifts = candidate_shifts (a, max_shift_us);
  g_autofree gdouble *scores = g_new (gdouble, shifts->len);
  gdouble best_score = 0;
  gint64 best = G_MAXINT64;
  guint i;

  for (i = 0; i < shifts->len; i++) {
    scores[i] = score (a, g_array_index (shifts, gint64, i));
    best_score = MAX (best_score, scores[i]);
  }
  for (i = 0; i < shifts->len; i++)
    if (scores[i] >= NEAR_BEST * best_score)
      best = MIN (best, g_array_index (shifts, gint64, i));
  return best;
}

static gboolean
is_chinese (const gchar * language)
{
  return language && g_ascii_strncasecmp (language, "zh", 2) == 0;
}

/* "The song starts 0.4 s in, so that its beats fall on 3 of the clip's 3
 * cuts (8 ms off on average)." */
static gchar *
shift_note (const gchar * language, const Alignment * a, gint64 shift_us)
{
  gint64 sum_us = 0;
  gdouble mean_ms;
  guint i, on_beat = 0;

  if (a->cuts->len == 0)
    return g_strdup (is_chinese (language) ?
        "视频中没有找到剪辑点，音乐从头开始。" :
        "No cut was found in the video, so the music starts where it did.");
  for (i = 0; i < a->cuts->len; i++) {
    gint64 off = cut_error_us (a, i, shift_us);

    if (off < CUT_TOLERANCE_US) {
      on_beat++;
      sum_us += off;
    }
  }
  mean_ms = on_beat ? sum_us / 1e3 / on_beat : 0.0;
  if (is_chinese (language))
    return shift_us == 0 ?
        g_strdup_printf ("音乐不用移动：节拍已落在视频 %u 个剪辑点中的 %u 个上"
        "（平均误差 %.0f 毫秒）。", a->cuts->len, on_beat, mean_ms) :
        g_strdup_printf ("音乐往后移 %.2f 秒开始，"
        "使节拍落在视频 %u 个剪辑点中的 %u 个上（平均误差 %.0f 毫秒）。",
        shift_us / 1e6, a->cuts->len, on_beat, mean_ms);
  return shift_us == 0 ?
      g_strdup_printf ("The song stays where it starts: its beats already "
      "fall on %u of the video's %u cuts (%.0f ms off on average).", on_beat,
      a->cuts->len, mean_ms) :
      g_strdup_printf ("The song starts %.2f s later, so that its beats "
      "fall on %u of the video's %u cuts (%.0f ms off on average).",
      shift_us / 1e6, on_beat, a->cuts->len, mean_ms);
}

gboolean
nemo_job_music_to_cuts (NemoDraft * draft, GPtrArray * visuals,
    const gchar * language, gchar ** note, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (NemoBeats) beats = NULL;
  g_autoptr (GArray) cuts = NULL;
  g_autofree gchar *path = NULL;
  NemoSegment *song;
  Alignment a;
  gint64 end_us = draft->duration_ms * 1000, room_us, max_shift_us, shift_us;

  if (draft->meta == NULL
      || !json_object_get_boolean_member_with_default (draft->meta,
          "music_to_cuts", FALSE)
      || json_object_has_member (draft->meta, "beat_sync"))
    return TRUE;
  song = nemo_job_find_song (draft);
  if (song == NULL || end_us <= 0)
    return TRUE;

  cuts = timeline_cuts (draft, visuals, end_us, cancellable, error);
  if (cuts == NULL)
    return FALSE;
  path = nemo_media_path_from_uri (song->source, error);
  if (path == NULL)
    return FALSE;
  beats = nemo_analysis_beats (path, 0, cancellable, error);
  if (beats == NULL)
    return FALSE;
  if (beats->n_beats == 0)
    return TRUE;                /* no beat to move */

  a.beats = beats;
  a.cuts = cuts;
  a.offset_us = (MAX (song->in_ms, 0) - MAX (song->start_ms, 0)) * 1000;
  /* the song must still last to the end of the video, unless it loops */
  room_us = beats->duration_us - (a.offset_us + end_us);
  max_shift_us = (gint64) (MAX_SHIFT_BEATS * 60.0 / beats->bpm
      * G_USEC_PER_SEC);
  if (!song->loop)
    max_shift_us = CLAMP (room_us, 0, max_shift_us);
  shift_us = best_shift (&a, max_shift_us);
  /* a whole millisecond, the nearest, as draft times are */
  song->in_ms += (shift_us + 500) / 1000;
  if (note != NULL)
    *note = shift_note (language, &a, (shift_us + 500) / 1000 * 1000);
  return TRUE;
}
