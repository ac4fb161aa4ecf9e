/* nemorender draft: the timeline, in the service's short-key JSON.
 *
 *   {"t":[{"tt":0,"sg":[{...segment...}]}, ...], "d":<ms>, "m":{...}}
 *
 * `t` tracks, `tt` track type (0 video, 1 audio, 7 text), `sg` segments,
 * `d` duration in ms, `m` metadata.  The segment keys are ours and defined
 * in docs/draft.md.  Every object keeps the keys it was read with: writing a
 * draft back emits unknown keys untouched, so a service draft survives a
 * round trip through us.
 *
 * No FFmpeg, no HTTP in here: json-glib only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_DRAFT_H
#define NEMO_DRAFT_H

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  NEMO_TRACK_VIDEO = 0,
  NEMO_TRACK_AUDIO = 1,
  NEMO_TRACK_TEXT = 7,
} NemoTrackType;

/* What a segment is.  New features are new kinds, drawn by the renderer. */
#define NEMO_SEGMENT_STILL "still"      /* a picture held for the segment */
#define NEMO_SEGMENT_CLIP "clip"        /* a video clip (loops if shorter, `lp`) */
#define NEMO_SEGMENT_MUSIC "music"      /* the song: the soundtrack */
#define NEMO_SEGMENT_BGM "bgm"          /* music under a clip's own sound */
#define NEMO_SEGMENT_TITLE "title"      /* track-info text */
/* Visualizers (docs/draft.md, "Feature segments and metadata") sit on a
 * video track of their own above the pictures (an overlay layer), running
 * for the whole draft. */
#define NEMO_SEGMENT_SPECTRUM "spectrum" /* spectrum bars */
#define NEMO_SEGMENT_WAVEFORM "waveform" /* the waveform */
#define NEMO_SEGMENT_CIRCLE "circle"    /* bars in a circle around the cover */
/* One line of the song's words, on a text track, shown from `st` for `d`;
 * its words' times (karaoke) in `wd` (docs/draft.md, "Lyrics"). */
#define NEMO_SEGMENT_LYRIC "lyric"

/* A word of a lyric line: sung from @start_ms (on the timeline); the
 * words' texts, in order, make up the line's `tx`. */
typedef struct
{
  gint64 start_ms;              /* "st" */
  gchar *text;                  /* "tx", with the space after it */
} NemoWord;

typedef struct
{
  gchar *kind;                  /* "k": NEMO_SEGMENT_*, or a kind we do not know */
  gchar *source;                /* "src": path or URI of the media, or NULL */
  gchar *name;                  /* "n": display name used in the summary */
  gint64 start_ms;              /* "st": position on the timeline */
  gint64 duration_ms;           /* "d": length on the timeline; -1 = to the end */
  gint64 in_ms;                 /* "in": in-point in the source */
  gdouble volume;               /* "v": 0.0-1.0 (1.0 when absent) */
  gboolean loop;                /* "lp": loop a shorter source to fill d */
  gchar *text;                  /* "tx": text of a text segment */
  JsonObject *style;            /* "sty": style object (font, colour, place...), or NULL */
  JsonObject *raw;              /* the object as read, unknown keys included */
  GPtrArray *words;             /* "wd": NemoWord* of a lyric line, or NULL */
} NemoSegment;

typedef struct
{
  NemoTrackType type;           /* "tt" */
  GPtrArray *segments;          /* "sg": NemoSegment*, owned */
  JsonObject *raw;
} NemoTrack;

typedef struct
{
  GPtrArray *tracks;            /* "t": NemoTrack*, owned */
  gint64 duration_ms;           /* "d" */
  JsonObject *meta;             /* "m": title, artist, album, w, h, fps, ar... */
  JsonObject *raw;
} NemoDraft;

NemoDraft *nemo_draft_new (void);
void nemo_draft_free (NemoDraft * draft);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoDraft, nemo_draft_free)

/* Parse a draft.  Unknown keys are kept; a missing optional key takes its
 * default; a wrong type for a key we use is NEMO_ERROR_INVALID_DRAFT naming
 * the key.  A JSON string holding a draft (the service sometimes double
 * encodes) is accepted too. */
NemoDraft *nemo_draft_parse (const gchar * json, gssize length, GError ** error);
NemoDraft *nemo_draft_from_node (JsonNode * node, GError ** error);
/* Serialise: the raw objects with our fields written over them. */
JsonNode *nemo_draft_to_node (const NemoDraft * draft);
gchar *nemo_draft_to_string (const NemoDraft * draft, gboolean pretty);

NemoTrack *nemo_draft_add_track (NemoDraft * draft, NemoTrackType type);
/* A new segment of @kind appended to @track, with defaults (st 0, d -1,
 * in 0, volume 1.0). */
NemoSegment *nemo_track_add_segment (NemoTrack * track, const gchar * kind);
/* Append a word sung from @start_ms to @segment's words. */
void nemo_segment_add_word (NemoSegment * segment, gint64 start_ms,
    const gchar * text);
/* First track of @type, or NULL. */
NemoTrack *nemo_draft_find_track (const NemoDraft * draft, NemoTrackType type);

/* Metadata helpers for `m` (strings and ints). */
void nemo_draft_set_meta_string (NemoDraft * draft, const gchar * key, const gchar * value);
const gchar *nemo_draft_get_meta_string (const NemoDraft * draft, const gchar * key);
void nemo_draft_set_meta_int (NemoDraft * draft, const gchar * key, gint64 value);
gint64 nemo_draft_get_meta_int (const NemoDraft * draft, const gchar * key, gint64 default_value);
/* The track-info text of `m`'s title and artist, "Title — Artist", either
 * alone, or NULL without both. */
gchar *nemo_draft_get_track_info (const NemoDraft * draft);

/* The one-line summary, in docs/protocol.md's form (State and the draft):
 * `Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title: "Urban Dreams" (0-3s)` */
gchar *nemo_draft_summary (const NemoDraft * draft);

G_END_DECLS

#endif
