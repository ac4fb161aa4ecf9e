/* nemorender lyrics: the words of a song, timed, from LRC (with enhanced
 * LRC's word times `<mm:ss.xx>`), SubRip (SRT) or WebVTT text, and the
 * draft's lyric segments made from them (docs/lyrics.md).
 *
 * No FFmpeg, no HTTP in here: GLib only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_LYRICS_H
#define NEMO_LYRICS_H

#include <nemo/draft.h>

G_BEGIN_DECLS

typedef enum
{
  NEMO_LYRICS_LRC,
  NEMO_LYRICS_SRT,
  NEMO_LYRICS_WEBVTT,
} NemoLyricsFormat;

/* One line, sung from @start_ms to @end_ms (song time). */
typedef struct
{
  gint64 start_ms;
  gint64 end_ms;                /* -1: until the next line (LRC) */
  gchar *text;                  /* plain UTF-8, markup removed; may hold
                                 * "\n" where a cue had several lines */
  GPtrArray *words;             /* NemoWord*, their texts make up @text;
                                 * empty without word times */
} NemoLyricLine;

typedef struct
{
  NemoLyricsFormat format;
  GPtrArray *lines;             /* NemoLyricLine*, by start time */
} NemoLyrics;

/* Parse @text (@length bytes, or NUL-terminated with -1), in the format its
 * content shows: a first line `WEBVTT` is WebVTT, a time range with `-->`
 * SRT, lines starting with `[` LRC.  A line that is none of these, a time
 * that is not one, or text that is not UTF-8 is NEMO_ERROR_INVALID_ARGUMENT
 * naming @name and the line's number.  Pure: no file, no global state. */
NemoLyrics *nemo_lyrics_parse (const gchar * text, gssize length,
    const gchar * name, GError ** error);
/* Read and parse the file at @location (a path or a file:// URI). */
NemoLyrics *nemo_lyrics_load (const gchar * location, GError ** error);
void nemo_lyrics_free (NemoLyrics * lyrics);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoLyrics, nemo_lyrics_free)

/* Add @lyrics to @draft as a text track of lyric segments: song time
 * @in_ms is the draft's 0 (the song's in-point); lines before it are left
 * out, lines past the draft's `d` too.  A line without an end lasts until
 * the next one starts, the last until the draft ends.  Returns the track,
 * or NULL when no line falls in the draft (no track is added). */
NemoTrack *nemo_lyrics_add_to_draft (const NemoLyrics * lyrics,
    NemoDraft * draft, gint64 in_ms);

/* Append to @srt SubRip cue number @number: @text (UTF-8, with Pango
 * markup when @markup, as subparse gives it, else plain text) from
 * @start_ms to @end_ms, or to the end of any song with @end_ms -1.  What
 * nemo_lyrics_parse() reads back is @text without its markup; a text with
 * nothing to show adds no cue (FALSE). */
gboolean nemo_lyrics_append_srt_cue (GString * srt, guint number,
    gint64 start_ms, gint64 end_ms, const gchar * text, gsize length,
    gboolean markup);

/* TRUE when @draft has a lyric segment. */
gboolean nemo_draft_has_lyrics (const NemoDraft * draft);

G_END_DECLS

#endif
