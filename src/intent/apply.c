/* nemorender intent: what the prompt asks for → edits of the draft.
 * docs/draft.md, "Feature segments and metadata", defines what is written.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "intent-private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const gchar *const place_names[] = {
  NULL, "top", "bottom", "center", "top-left", "top-right", "bottom-left",
  "bottom-right"
};

/* a crossfade from shot to shot, short enough for shots of a second */
#define DEFAULT_CROSSFADE_MS 300

/* by NemoCut: unset follows the tempo (docs/montage.md) */
static const gchar *const cut_names[] = {
  "tempo", "beat", "2beats", "bar", "energy"
};

static const struct
{
  const gchar *kind, *name;
} visualizers[] = {
  {NULL, NULL}, {NULL, NULL},
  {NEMO_SEGMENT_SPECTRUM, "spectrum bars"},
  {NEMO_SEGMENT_WAVEFORM, "waveform"},
  {NEMO_SEGMENT_CIRCLE, "circular spectrum"},
};

static JsonObject *
draft_meta (NemoDraft * draft)
{
  if (draft->meta == NULL)
    draft->meta = json_object_new ();
  return draft->meta;
}

static void
set_meta_boolean (NemoDraft * draft, const gchar * key, NemoIntentSwitch value)
{
  if (value != NEMO_INTENT_UNSET)
    json_object_set_boolean_member (draft_meta (draft), key,
        value == NEMO_INTENT_ON);
}

static gboolean
is_visualizer (const NemoSegment * segment)
{
  return g_strcmp0 (segment->kind, NEMO_SEGMENT_SPECTRUM) == 0
      || g_strcmp0 (segment->kind, NEMO_SEGMENT_WAVEFORM) == 0
      || g_strcmp0 (segment->kind, NEMO_SEGMENT_CIRCLE) == 0;
}

static gboolean
is_picture (const NemoSegment * segment)
{
  return g_strcmp0 (segment->kind, NEMO_SEGMENT_STILL) == 0
      || g_strcmp0 (segment->kind, NEMO_SEGMENT_CLIP) == 0;
}

static gboolean
is_title (const NemoSegment * segment)
{
  return g_strcmp0 (segment->kind, NEMO_SEGMENT_TITLE) == 0;
}

/* Removes the segments of tracks of @type that @match, and the tracks they
 * leave empty. */
static void
remove_segments (NemoDraft * draft, NemoTrackType type,
    gboolean (*match) (const NemoSegment *))
{
  guint t, s;

  for (t = draft->tracks->len; t-- > 0;) {
    NemoTrack *track = g_ptr_array_index (draft->tracks, t);
    gboolean removed = FALSE;

    if (track->type != type)
      continue;
    for (s = track->segments->len; s-- > 0;) {
      if (match (g_ptr_array_index (track->segments, s))) {
        g_ptr_array_remove_index (track->segments, s);
        removed = TRUE;
      }
    }
    if (removed && track->segments->len == 0)
      g_ptr_array_remove_index (draft->tracks, t);
  }
}

static NemoSegment *
find_segment (const NemoDraft * draft, NemoTrackType type,
    gboolean (*match) (const NemoSegment *))
{
  guint t, s;

  for (t = 0; t < draft->tracks->len; t++) {
    NemoTrack *track = g_ptr_array_index (draft->tracks, t);

    for (s = 0; track->type == type && s < track->segments->len; s++)
      if (match (g_ptr_array_index (track->segments, s)))
        return g_ptr_array_index (track->segments, s);
  }
  return NULL;
}

/* A new video track drawn above the existing ones: right after the last
 * video track, so that audio and text tracks keep their places. */
static NemoTrack *
add_overlay_track (NemoDraft * draft)
{
  NemoTrack *track = nemo_draft_add_track (draft, NEMO_TRACK_VIDEO);
  guint t, at = 0;

  for (t = 0; t + 1 < draft->tracks->len; t++)
    if (((NemoTrack *) g_ptr_array_index (draft->tracks, t))->type ==
        NEMO_TRACK_VIDEO)
      at = t + 1;
  g_ptr_array_steal_index (draft->tracks, draft->tracks->len - 1);
  g_ptr_array_insert (draft->tracks, at, track);
  return track;
}

static void
apply_visualizer (const NemoIntent * intent, NemoDraft * draft)
{
  NemoSegment *segment;

  if (intent->visualizer == NEMO_VISUALIZER_UNSET)
    return;
  if (intent->visualizer == NEMO_VISUALIZER_NONE) {
    remove_segments (draft, NEMO_TRACK_VIDEO, is_visualizer);
    return;
  }
  segment = find_segment (draft, NEMO_TRACK_VIDEO, is_visualizer);
  if (segment == NULL) {
    segment = nemo_track_add_segment (add_overlay_track (draft),
        visualizers[intent->visualizer].kind);
  }
  g_free (segment->kind);
  segment->kind = g_strdup (visualizers[intent->visualizer].kind);
  g_free (segment->name);
  segment->name = g_strdup (visualizers[intent->visualizer].name);
}

/* "Title — Artist", either alone, or NULL when neither is known. */
static JsonObject *
segment_style (NemoSegment * segment)
{
  if (segment->style == NULL)
    segment->style = json_object_new ();
  return segment->style;
}

static void
style_track_info (const NemoIntent * intent, NemoSegment * segment)
{
  if (intent->track_info_place != NEMO_PLACE_UNSET)
    json_object_set_string_member (segment_style (segment), "place",
        place_names[intent->track_info_place]);
  if (intent->track_info_fade_ms >= 0)
    json_object_set_int_member (segment_style (segment), "fade",
        intent->track_info_fade_ms);
}

/* The track info on, off or styled; an album's titles (one a song) all
 * take the same style. */
static void
apply_track_info (const NemoIntent * intent, NemoDraft * draft)
{
  NemoSegment *segment;
  guint t, s;

  if (intent->track_info == NEMO_INTENT_OFF) {
    remove_segments (draft, NEMO_TRACK_TEXT, is_title);
    return;
  }
  if (intent->track_info != NEMO_INTENT_ON)
    return;
  segment = find_segment (draft, NEMO_TRACK_TEXT, is_title);
  if (segment == NULL) {
    g_autofree gchar *text = nemo_draft_get_track_info (draft);

    if (text == NULL)
      return;                   /* nothing to show */
    segment = nemo_track_add_segment (nemo_draft_add_track (draft,
            NEMO_TRACK_TEXT), NEMO_SEGMENT_TITLE);
    segment->text = g_steal_pointer (&text);
  }
  for (t = 0; t < draft->tracks->len; t++) {
    NemoTrack *track = g_ptr_array_index (draft->tracks, t);

    for (s = 0; track->type == NEMO_TRACK_TEXT && s < track->segments->len;
        s++)
      if (is_title (g_ptr_array_index (track->segments, s)))
        style_track_info (intent, g_ptr_array_index (track->segments, s));
  }
}

static void
apply_loop (const NemoIntent * intent, NemoDraft * draft)
{
  guint t, s;

  if (intent->loop == NEMO_INTENT_UNSET)
    return;
  set_meta_boolean (draft, "loop", intent->loop);
  for (t = 0; t < draft->tracks->len; t++) {
    NemoTrack *track = g_ptr_array_index (draft->tracks, t);

    for (s = 0; track->type == NEMO_TRACK_VIDEO && s < track->segments->len;
        s++) {
      NemoSegment *segment = g_ptr_array_index (track->segments, s);

      if (is_picture (segment))
        segment->loop = intent->loop == NEMO_INTENT_ON;
    }
  }
}

static void
apply_beat_sync (const NemoIntent * intent, NemoDraft * draft)
{
  JsonObject *beat_sync;

  if (intent->beat_sync == NEMO_INTENT_OFF && draft->meta)
    json_object_remove_member (draft->meta, "beat_sync");
  if (intent->beat_sync != NEMO_INTENT_ON)
    return;
  beat_sync = json_object_new ();
  json_object_set_string_member (beat_sync, "cut", cut_names[intent->cut]);
  json_object_set_object_member (draft_meta (draft), "beat_sync", beat_sync);
}

static gboolean
is_music (const NemoSegment * segment)
{
  return g_strcmp0 (segment->kind, NEMO_SEGMENT_MUSIC) == 0
      || g_strcmp0 (segment->kind, NEMO_SEGMENT_BGM) == 0;
}

static void
apply_audio (const NemoIntent * intent, NemoDraft * draft)
{
  NemoSegment *music = find_segment (draft, NEMO_TRACK_AUDIO, is_music);

  if (music && intent->bgm != NEMO_INTENT_UNSET) {
    gboolean bgm = intent->bgm == NEMO_INTENT_ON;

    g_free (music->kind);
    music->kind = g_strdup (bgm ? NEMO_SEGMENT_BGM : NEMO_SEGMENT_MUSIC);
    music->volume = bgm ? CLAMP (intent->bgm_percent, 0, 100) / 100.0 : 1.0;
  }
  set_meta_boolean (draft, "keep_clip_audio", intent->keep_clip_audio);
  set_meta_boolean (draft, "ducking", intent->ducking);
}

/* The short side is @short_side (or the draft's), the shape @ratio (or the
 * draft's w:h); both sides even. */
static void
apply_shape (const NemoIntent * intent, NemoDraft * draft)
{
  gint64 w = nemo_draft_get_meta_int (draft, "w", 1920);
  gint64 h = nemo_draft_get_meta_int (draft, "h", 1080);
  gdouble a = (gdouble) w, b = (gdouble) h;
  guint ra, rb;
  gint64 short_side;

  if (intent->aspect_ratio == NULL && intent->resolution <= 0)
    return;
  if (w <= 0 || h <= 0)
    w = 1920, h = 1080, a = 1920, b = 1080;
  short_side = intent->resolution > 0 ? intent->resolution : MIN (w, h);
  if (intent->aspect_ratio
      && sscanf (intent->aspect_ratio, "%u:%u", &ra, &rb) == 2 && ra && rb) {
    a = ra;
    b = rb;
    nemo_draft_set_meta_string (draft, "ar", intent->aspect_ratio);
  }
  if (a >= b) {
    h = short_side;
    w = (gint64) lround (short_side * a / b / 2) * 2;
  } else {
    w = short_side;
    h = (gint64) lround (short_side * b / a / 2) * 2;
  }
  nemo_draft_set_meta_int (draft, "w", w);
  nemo_draft_set_meta_int (draft, "h", h);
}

/* Segments past the new end go; one across it ends there. */
static void
trim_segments (NemoDraft * draft, gint64 end_ms)
{
  guint t, s;

  for (t = 0; t < draft->tracks->len; t++) {
    NemoTrack *track = g_ptr_array_index (draft->tracks, t);

    for (s = track->segments->len; s-- > 0;) {
      NemoSegment *segment = g_ptr_array_index (track->segments, s);

      if (segment->start_ms >= end_ms)
        g_ptr_array_remove_index (track->segments, s);
      else if (segment->duration_ms >= 0
          && segment->start_ms + segment->duration_ms > end_ms)
        segment->duration_ms = MAX (end_ms - segment->start_ms, 0);
    }
  }
}

/* The video ends at the length asked for, or with the song if that is
 * shorter: the prompt cannot make the song longer. */
static void
apply_duration (const NemoIntent * intent, NemoDraft * draft)
{
  if (intent->duration_ms <= 0)
    return;
  nemo_draft_set_meta_int (draft, "max_duration_ms", intent->duration_ms);
  if (draft->duration_ms > 0 && draft->duration_ms <= intent->duration_ms)
    return;
  draft->duration_ms = intent->duration_ms;
  trim_segments (draft, intent->duration_ms);
}

/* The song starts at the in-point; the video still ends with it, so it is
 * as much shorter (or longer) as the in-point moved. */
static void
apply_start (const NemoIntent * intent, NemoDraft * draft)
{
  NemoSegment *music = find_segment (draft, NEMO_TRACK_AUDIO, is_music);
  gint64 moved;

  if (intent->start_ms < 0 || music == NULL)
    return;
  moved = intent->start_ms - music->in_ms;
  music->in_ms = intent->start_ms;
  if (moved == 0 || draft->duration_ms <= 0)
    return;
  draft->duration_ms = MAX (draft->duration_ms - moved, 1);
  trim_segments (draft, draft->duration_ms);
}

/* m.music_to_cuts: the local job moves the song's start (docs/montage.md) */
static void
apply_music_to_cuts (const NemoIntent * intent, NemoDraft * draft)
{
  set_meta_boolean (draft, "music_to_cuts", intent->music_to_cuts);
}

/* m.crossfade_ms: the renderer dissolves from shot to shot */
static void
apply_crossfade (const NemoIntent * intent, NemoDraft * draft)
{
  if (intent->crossfade != NEMO_INTENT_UNSET)
    nemo_draft_set_meta_int (draft, "crossfade_ms",
        intent->crossfade == NEMO_INTENT_ON ? DEFAULT_CROSSFADE_MS : 0);
}

/* m.pulse: the local job adds the beats (docs/montage.md) */
static void
apply_pulse (const NemoIntent * intent, NemoDraft * draft)
{
  JsonObject *pulse;

  if (intent->pulse == NEMO_PULSE_NONE && draft->meta)
    json_object_remove_member (draft->meta, "pulse");
  if (intent->pulse != NEMO_PULSE_ZOOM && intent->pulse != NEMO_PULSE_FLASH)
    return;
  pulse = json_object_new ();
  json_object_set_string_member (pulse, "kind",
      intent->pulse == NEMO_PULSE_ZOOM ? "zoom" : "flash");
  json_object_set_object_member (draft_meta (draft), "pulse", pulse);
}

static void
apply_fades (const NemoIntent * intent, NemoDraft * draft)
{
  if (intent->fade_in_ms >= 0)
    nemo_draft_set_meta_int (draft, "fade_in_ms", intent->fade_in_ms);
  if (intent->fade_out_ms >= 0)
    nemo_draft_set_meta_int (draft, "fade_out_ms", intent->fade_out_ms);
}

/* m.loudness_lufs: the renderer brings the sound to it (docs/mixing.md) */
static void
apply_loudness (const NemoIntent * intent, NemoDraft * draft)
{
  if (!isnan (intent->loudness_lufs))
    json_object_set_double_member (draft_meta (draft), "loudness_lufs",
        intent->loudness_lufs);
}

/* "no lyrics" drops the lyric lines (and a text track left empty); a
 * style asked for is m.lyrics_style. */
static void
apply_lyrics (const NemoIntent * intent, NemoDraft * draft)
{
  static const gchar *const style_names[] = { NULL, "lines", "karaoke" };
  guint t, s;

  if (intent->lyrics_style != NEMO_LYRICS_STYLE_UNSET)
    nemo_draft_set_meta_string (draft, "lyrics_style",
        style_names[intent->lyrics_style]);
  if (intent->lyrics != NEMO_INTENT_OFF)
    return;
  for (t = draft->tracks->len; t-- > 0;) {
    NemoTrack *track = g_ptr_array_index (draft->tracks, t);
    guint before = track->segments->len;

    for (s = track->segments->len; s-- > 0;)
      if (g_strcmp0 (((NemoSegment *) g_ptr_array_index (track->segments,
                      s))->kind, NEMO_SEGMENT_LYRIC) == 0)
        g_ptr_array_remove_index (track->segments, s);
    if (before > 0 && track->segments->len == 0)
      g_ptr_array_remove_index (draft->tracks, t);
  }
}

void
nemo_intent_apply (const NemoIntent * intent, NemoDraft * draft)
{
  g_return_if_fail (intent != NULL && draft != NULL);

  apply_shape (intent, draft);
  apply_start (intent, draft);
  apply_duration (intent, draft);
  apply_loop (intent, draft);
  /* only "no chapters" changes the draft: the songs make the album */
  if (intent->album == NEMO_INTENT_OFF)
    set_meta_boolean (draft, "chapters", NEMO_INTENT_OFF);
  apply_visualizer (intent, draft);
  apply_track_info (intent, draft);
  apply_beat_sync (intent, draft);
  apply_audio (intent, draft);
  apply_music_to_cuts (intent, draft);
  apply_pulse (intent, draft);
  apply_crossfade (intent, draft);
  apply_fades (intent, draft);
  apply_loudness (intent, draft);
  apply_lyrics (intent, draft);
}
