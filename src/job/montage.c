/* nemorender job: the beat-synced montage (m.beat_sync).
 *
 * The song's beats become cut points and the first video track is rewritten
 * as one shot between each two cuts: the visuals in pad order, over and
 * over, each clip resuming where its last shot stopped.  docs/montage.md
 * has the rules and the accuracy measured on drum tracks.
 *
 * Times in the draft are whole milliseconds, the video is whole frames.  A
 * cut is placed on a frame, frame k, and written as the millisecond
 * floor (k * 1000 * fps_d / fps_n).  The renderer shows at frame k the
 * picture whose segment starts at or before k * 10^6 * fps_d / fps_n µs
 * (rounded down too), so the floor always falls in (frame k - 1, frame k]:
 * the new shot appears exactly on frame k, never one frame late.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "job-private.h"
#include <nemo/analysis.h>
#include <nemo/intent.h>

/* "energy": the strongest beats, no shot shorter than this. */
#define ENERGY_MIN_SHOT_MS 1000
/* No shot shorter than this, the last one included (m.beat_sync.min_shot_ms
 * sets another). */
#define DEFAULT_MIN_SHOT_MS 400
/* Following the tempo: a cut every 1, 2, 4 or 8 beats, the fewest that
 * make shots of about this long (5 % less is enough, so that a tempo read
 * as 120.4 BPM still cuts every 2 beats). */
#define TEMPO_SHOT_MS 1000
#define TEMPO_MAX_BEATS 8
/* A clip cut to itself jumps this far ahead, so the cut shows. */
#define SAME_CLIP_SKIP_MS 1000

typedef struct
{
  gint fps_n, fps_d;
} FrameRate;

/* Where each visual's next shot starts in it. */
typedef struct
{
  const NemoMediaInfo *visual;
  gint64 cursor_ms;
} Footage;

static JsonObject *
beat_sync_object (const NemoDraft * draft)
{
  JsonNode *beat_sync = json_object_get_member (draft->meta, "beat_sync");

  return JSON_NODE_HOLDS_OBJECT (beat_sync) ?
      json_node_get_object (beat_sync) : NULL;
}

/* m.beat_sync.cut; following the tempo (NEMO_CUT_UNSET) when it is
 * "tempo", missing or not one we know. */
static NemoCut
cut_rate (const NemoDraft * draft)
{
  JsonObject *beat_sync = beat_sync_object (draft);
  const gchar *cut = beat_sync ?
      json_object_get_string_member_with_default (beat_sync, "cut", NULL) :
      NULL;

  if (g_strcmp0 (cut, "beat") == 0)
    return NEMO_CUT_BEAT;
  if (g_strcmp0 (cut, "2beats") == 0)
    return NEMO_CUT_2BEATS;
  if (g_strcmp0 (cut, "bar") == 0)
    return NEMO_CUT_BAR;
  if (g_strcmp0 (cut, "energy") == 0)
    return NEMO_CUT_ENERGY;
  return NEMO_CUT_UNSET;
}

/* m.beat_sync.min_shot_ms, else DEFAULT_MIN_SHOT_MS. */
static gint64
min_shot_ms (const NemoDraft * draft)
{
  JsonObject *beat_sync = beat_sync_object (draft);
  gint64 ms = beat_sync ? json_object_get_int_member_with_default (beat_sync,
      "min_shot_ms", DEFAULT_MIN_SHOT_MS) : DEFAULT_MIN_SHOT_MS;

  return MAX (ms, 0);
}

/* How many beats a shot lasts at @cut and @bpm. */
static guint
beats_per_shot (NemoCut cut, gdouble bpm)
{
  guint n = 1;

  switch (cut) {
    case NEMO_CUT_2BEATS:
      return 2;
    case NEMO_CUT_BAR:
      return 4;
    case NEMO_CUT_UNSET:
      while (n < TEMPO_MAX_BEATS && n * 60000.0 / bpm < 0.95 * TEMPO_SHOT_MS)
        n *= 2;
      return n;
    default:
      return 1;
  }
}

NemoSegment *
nemo_job_find_song (const NemoDraft * draft)
{
  guint t, s;

  for (t = 0; t < draft->tracks->len; t++) {
    const NemoTrack *track = g_ptr_array_index (draft->tracks, t);

    for (s = 0; track->type == NEMO_TRACK_AUDIO && s < track->segments->len;
        s++) {
      NemoSegment *segment = g_ptr_array_index (track->segments, s);

      if (segment->source != NULL
          && (g_strcmp0 (segment->kind, NEMO_SEGMENT_MUSIC) == 0
              || g_strcmp0 (segment->kind, NEMO_SEGMENT_BGM) == 0))
        return segment;
    }
  }
  return NULL;
}

/* The frame nearest to @t_us. */
static gint64
nearest_frame (gint64 t_us, const FrameRate * rate)
{
  gint64 den = (gint64) rate->fps_d * G_USEC_PER_SEC;

  return (t_us * rate->fps_n + den / 2) / den;
}

/* The draft time of frame @k: see the top of the file. */
static gint64
frame_ms (gint64 k, const FrameRate * rate)
{
  return k * 1000 * rate->fps_d / rate->fps_n;
}

static gint
compare_strength (gconstpointer a, gconstpointer b)
{
  const NemoBeat *ba = *(const NemoBeat **) a;
  const NemoBeat *bb = *(const NemoBeat **) b;

  if (ba->energy != bb->energy)
    return ba->energy < bb->energy ? 1 : -1;
  return (ba->time_us > bb->time_us) - (ba->time_us < bb->time_us);
}

static gint
compare_time (gconstpointer a, gconstpointer b)
{
  gint64 ta = *(const gint64 *) a, tb = *(const gint64 *) b;

  return (ta > tb) - (ta < tb);
}

/* Whether @beats->beats[@i] is a cut every @n beats: counted from the
 * bars, so every 2 beats cuts on the downbeats and the third beats, every
 * 4 on the downbeats, every 8 on every other downbeat. */
static gboolean
beat_is_cut (const NemoBeats * beats, guint i, guint n)
{
  return (i + TEMPO_MAX_BEATS - beats->bar_phase % 4) % n == 0;
}

/* The strongest beats first, each kept when no kept cut, the start or the
 * end is closer than ENERGY_MIN_SHOT_MS. */
static GArray *
energy_cut_times (const NemoBeats * beats, gint64 offset_us, gint64 end_us)
{
  g_autoptr (GPtrArray) order = g_ptr_array_new ();
  GArray *kept = g_array_new (FALSE, FALSE, sizeof (gint64));
  const gint64 min_us = ENERGY_MIN_SHOT_MS * 1000;
  guint i, j;

  for (i = 0; i < beats->n_beats; i++)
    g_ptr_array_add (order, &beats->beats[i]);
  g_ptr_array_sort (order, compare_strength);
  for (i = 0; i < order->len; i++) {
    gint64 t = ((NemoBeat *) order->pdata[i])->time_us - offset_us;
    gboolean clear = t >= min_us && end_us - t >= min_us;

    for (j = 0; clear && j < kept->len; j++)
      clear = ABS (g_array_index (kept, gint64, j) - t) >= min_us;
    if (clear)
      g_array_append_val (kept, t);
  }
  g_array_sort (kept, compare_time);
  return kept;
}

/* The time of frame @k. */
static gint64
frame_us (gint64 k, const FrameRate * rate)
{
  return k * G_USEC_PER_SEC * rate->fps_d / rate->fps_n;
}

/* The cut points as frames, increasing, inside the video, no shot (the
 * first and the last included) shorter than @min_us. */
static GArray *
choose_cut_frames (const NemoBeats * beats, NemoCut cut, gint64 offset_us,
    gint64 end_us, gint64 min_us, const FrameRate * rate)
{
  g_autoptr (GArray) times = NULL;
  GArray *frames = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint n = beats_per_shot (cut, beats->bpm);
  gint64 last = 0;
  guint i;

  if (cut == NEMO_CUT_ENERGY) {
    times = energy_cut_times (beats, offset_us, end_us);
  } else {
    times = g_array_new (FALSE, FALSE, sizeof (gint64));
    for (i = 0; i < beats->n_beats; i++) {
      gint64 t = beats->beats[i].time_us - offset_us;

      if (beat_is_cut (beats, i, n))
        g_array_append_val (times, t);
    }
  }
  for (i = 0; i < times->len; i++) {
    gint64 t = g_array_index (times, gint64, i);
    gint64 k = t < 0 ? 0 : nearest_frame (t, rate);

    if (frame_us (k, rate) - frame_us (last, rate) >= MAX (min_us, 1)
        && end_us - frame_us (k, rate) >= MAX (min_us, 1)) {
      g_array_append_val (frames, k);
      last = k;
    }
  }
  return frames;
}

/* A fresh stretch of @footage's clip for @shot (of @length_ms, -1 to the
 * end, and @overrun_ms more under the crossfade to the next shot): where
 * the last shot of it stopped, jumping ahead when the clip is cut to
 * itself; from the start again when too little is left; looping when the
 * clip is shorter than the shot. */
static void
take_footage (Footage * footage, gboolean cut_to_itself, gint64 length_ms,
    gint64 overrun_ms, NemoSegment * shot)
{
  gint64 clip_ms = footage->visual->duration_us / 1000;
  gint64 in = footage->cursor_ms + (cut_to_itself ? SAME_CLIP_SKIP_MS : 0);

  if (clip_ms <= 0) {
    shot->loop = TRUE;
    return;
  }
  if (length_ms < 0 || length_ms > clip_ms) {
    in %= clip_ms;
    shot->loop = TRUE;
  } else if (in + length_ms + overrun_ms > clip_ms) {
    in = 0;                     /* used up: start again */
  }
  shot->in_ms = in;
  footage->cursor_ms = in + MAX (length_ms, 0) + overrun_ms;
  if (shot->loop)
    footage->cursor_ms %= clip_ms;
}

static void
fill_track (NemoTrack * track, GArray * cuts, GPtrArray * visuals,
    gint64 crossfade_ms, const FrameRate * rate)
{
  g_autofree Footage *footage = g_new0 (Footage, visuals->len);
  const Footage *previous = NULL;
  guint i;

  for (i = 0; i < visuals->len; i++)
    footage[i].visual = visuals->pdata[i];
  g_ptr_array_set_size (track->segments, 0);

  for (i = 0; i <= cuts->len; i++) {
    Footage *next = &footage[i % visuals->len];
    const NemoMediaInfo *visual = next->visual;
    gboolean still = visual->kind == NEMO_MEDIA_IMAGE;
    gint64 start = i == 0 ? 0 : frame_ms (g_array_index (cuts, gint64, i - 1),
        rate);
    gint64 end = i == cuts->len ? -1 : frame_ms (g_array_index (cuts, gint64,
            i), rate);
    NemoSegment *shot = nemo_track_add_segment (track,
        still ? NEMO_SEGMENT_STILL : NEMO_SEGMENT_CLIP);

    shot->source = g_strdup (visual->path);
    shot->name = nemo_job_display_name (visual->path);
    shot->start_ms = start;
    shot->duration_ms = end < 0 ? -1 : end - start;
    if (!still)
      take_footage (next, previous != NULL
          && g_strcmp0 (previous->visual->path, visual->path) == 0,
          shot->duration_ms, crossfade_ms, shot);
    previous = next;
  }
}

/* What following the tempo chose, e.g. "The song is 120 BPM: a cut every
 * 2 beats, on the bars (shots of 1.0 s)." */
static gchar *
tempo_note (const gchar * language, gdouble bpm, guint n)
{
  gboolean zh = language && g_ascii_strncasecmp (language, "zh", 2) == 0;
  gdouble shot_s = n * 60.0 / bpm;

  if (zh)
    return n == 1 ?
        g_strdup_printf ("歌曲 %.0f BPM：每拍切换（镜头 %.1f 秒）。", bpm, shot_s) :
        g_strdup_printf ("歌曲 %.0f BPM：每 %u 拍切换，切在小节上（镜头 %.1f 秒）。",
        bpm, n, shot_s);
  return n == 1 ?
      g_strdup_printf ("The song is %.0f BPM: a cut on every beat (shots of "
      "%.1f s).", bpm, shot_s) :
      g_strdup_printf ("The song is %.0f BPM: a cut every %u beats, on the "
      "bars (shots of %.1f s).", bpm, n, shot_s);
}

gboolean
nemo_job_cut_to_beats (NemoDraft * draft, GPtrArray * visuals,
    const gchar * language, gchar ** note, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (NemoBeats) beats = NULL;
  g_autoptr (GArray) cuts = NULL;
  const NemoSegment *song;
  NemoTrack *track;
  FrameRate rate;
  NemoCut cut;
  gint64 offset_us, end_us;
  g_autofree gchar *path = NULL;

  if (draft->meta == NULL
      || !json_object_has_member (draft->meta, "beat_sync"))
    return TRUE;
  song = nemo_job_find_song (draft);
  track = nemo_draft_find_track (draft, NEMO_TRACK_VIDEO);
  /* one picture alone has nothing to cut to */
  if (song == NULL || track == NULL || visuals->len == 0
      || (visuals->len == 1
          && ((NemoMediaInfo *) visuals->pdata[0])->kind == NEMO_MEDIA_IMAGE))
    return TRUE;

  rate.fps_n = (gint) nemo_draft_get_meta_int (draft, "fps_n", 30);
  rate.fps_d = (gint) nemo_draft_get_meta_int (draft, "fps_d", 1);
  if (rate.fps_n <= 0 || rate.fps_d <= 0)
    rate.fps_n = 30, rate.fps_d = 1;
  /* beats are timed from the start of the file, the draft from the song's
   * place on the timeline */
  offset_us = (MAX (song->in_ms, 0) - MAX (song->start_ms, 0)) * 1000;
  end_us = draft->duration_ms * 1000;

  path = nemo_media_path_from_uri (song->source, error);
  if (path == NULL)
    return FALSE;
  /* the whole song, even for a shorter video: its tempo and bars are
   * read from all of it before a cut is placed */
  beats = nemo_analysis_beats (path, 0, cancellable, error);
  if (beats == NULL)
    return FALSE;
  if (end_us <= 0)
    end_us = beats->duration_us - offset_us;
  /* no beat (silence, a drone): the pictures stay as they were */
  if (beats->n_beats == 0)
    return TRUE;

  cut = cut_rate (draft);
  cuts = choose_cut_frames (beats, cut, offset_us, end_us,
      min_shot_ms (draft) * 1000, &rate);
  /* a shot dissolving out plays on under the next (src/render/timeline.c) */
  fill_track (track, cuts, visuals, MAX (nemo_draft_get_meta_int (draft,
              "crossfade_ms", 0), 0), &rate);
  if (cut == NEMO_CUT_UNSET && note != NULL)
    *note = tempo_note (language, beats->bpm, beats_per_shot (cut,
            beats->bpm));
  return TRUE;
}
