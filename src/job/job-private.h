/* nemorender job: what the backends share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_JOB_PRIVATE_H
#define NEMO_JOB_PRIVATE_H

#include <nemo/job.h>
#include <nemo/cloud.h>
#include <nemo/error.h>
#include <nemo/media.h>

G_BEGIN_DECLS

/* MP4 bytes go to the data callback in chunks of this size. */
#define NEMO_JOB_CHUNK_SIZE (1024 * 1024)

/* Post @draft's summary and JSON through the timeline callback. */
void nemo_job_report_timeline (const NemoDraft * draft,
    const NemoJobCallbacks * callbacks, gpointer user_data);

/* Turn a GIO error about @path into NEMO_ERROR_IO (or _CANCELLED); errors
 * already in NEMO_ERROR pass as they are.  Returns FALSE. */
gboolean nemo_job_take_io_error (GError ** error, const gchar * path);

/* The language of the replies and of the cloud session: @config->language
 * when it was set explicitly, else the prompt's (nemo_intent_language()),
 * else @config->language. */
const gchar *nemo_job_reply_language (const NemoJobConfig * config);

/* The preset of @config: its own, else the one its prompt names, else
 * YouTube's. */
const NemoPresetInfo *nemo_job_preset (const NemoJobConfig * config);

/* A visual's name for the summary: its file name without the extension. */
gchar *nemo_job_display_name (const gchar * path);

/* The video's title, artist and album tags in @draft's meta, each only
 * when known (NULL: left out). */
void nemo_job_set_tags (NemoDraft * draft, const gchar * title,
    const gchar * artist, const gchar * album);

/* With m.beat_sync in @draft, rewrite its first video track as shots cut
 * on the song's beats, taking @visuals (NemoMediaInfo*, in pad order) in
 * turn (docs/montage.md); without it, do nothing.  When the cut rate
 * followed the tempo, @note (may be NULL) is set to a sentence in
 * @language saying what it chose.  Fails only when the song cannot be
 * analysed, or with NEMO_ERROR_CANCELLED. */
gboolean nemo_job_cut_to_beats (NemoDraft * draft, GPtrArray * visuals,
    const gchar * language, gchar ** note, GCancellable * cancellable,
    GError ** error);

/* The song of @draft: its first music or bgm segment with a source, or
 * NULL. */
NemoSegment *nemo_job_find_song (const NemoDraft * draft);

/* With m.music_to_cuts in @draft (and no beat-synced cuts), move the
 * song's in-point so that its strong beats fall on the cuts of the first
 * video track: the joins between its shots and the scene cuts FFmpeg
 * finds in its clips (docs/montage.md).  @visuals are the inputs probed
 * (NemoMediaInfo*).  @note (may be NULL) is set to a sentence in
 * @language saying what moved.  Fails only when the song or a clip cannot
 * be read, or with NEMO_ERROR_CANCELLED. */
gboolean nemo_job_music_to_cuts (NemoDraft * draft, GPtrArray * visuals,
    const gchar * language, gchar ** note, GCancellable * cancellable,
    GError ** error);

/* With m.pulse in @draft, write the song's downbeats into it as timeline
 * times (m.pulse.beats_ms), for the renderer to kick the picture on
 * (docs/montage.md).  Fails only when the song cannot be read, or with
 * NEMO_ERROR_CANCELLED. */
gboolean nemo_job_place_pulses (NemoDraft * draft, GCancellable * cancellable,
    GError ** error);

/* How many inputs, from the first, are songs. */
guint nemo_job_config_count_songs (const NemoJobConfig * config);

/* ---- album.c: several songs in one video (docs/album.md) ---- */

/* @uri probed as a visual (a picture or a clip); NULL with an error that
 * says what to give instead (job.c). */
NemoMediaInfo *nemo_job_probe_visual (const gchar * uri, GError ** error);

typedef struct
{
  NemoMediaInfo *info;
  const NemoJobInput *input;    /* the input it came from (a pad's tags) */
} NemoJobSong;

void nemo_job_song_free (NemoJobSong * song);
/* The songs of @config, probed, in order: each song input expanded
 * (nemo_job_expand_songs ()); the songs of an album are decoded once to
 * know their exact lengths, checking @cancellable.  NemoJobSong*; NULL
 * with @error. */
GPtrArray *nemo_job_probe_songs (const NemoJobConfig * config,
    GCancellable * cancellable, GError ** error);
/* Put the album of @songs (two or more) in @draft: the songs one after
 * another on an audio track, each song's picture (its own, else one of
 * @visuals in turn) and its title on a text track for its time, and the
 * album's metadata.  Returns the album's length in ms. */
gint64 nemo_job_add_album (NemoDraft * draft, const NemoJobConfig * config,
    GPtrArray * songs, GPtrArray * visuals);
/* The reply's sentence on an album of @n_songs (@draft's): how it plays
 * and its chapters, and with @beats_dropped that it is not cut to the
 * beat; or, for one song, how to give more. */
gchar *nemo_job_album_note (const NemoDraft * draft, guint n_songs,
    gboolean beats_dropped, const gchar * language);
/* The chapters of an album's draft in YouTube's description form, "00:00
 * Song A\n03:12 Song B", or NULL when it has fewer than two songs or
 * m.chapters is false. */
gchar *nemo_job_chapters_description (const NemoDraft * draft);

gboolean nemo_job_run_cloud (const NemoJobConfig * config,
    const NemoJobCallbacks * callbacks, gpointer user_data,
    guint * http_status, GCancellable * cancellable, GError ** error);

G_END_DECLS

#endif
