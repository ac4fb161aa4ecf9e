/* Several songs in one video: an album or a playlist (docs/album.md).
 *
 * The songs are given as several song inputs (the element's audio and
 * audio_%u pads), as a ';'-separated list in audio-uri, or as an .m3u or
 * .m3u8 playlist.  In the draft they are music segments one after another
 * on one audio track, each running to the end of its file, which the
 * soundtrack plays gaplessly, each starting on the sample after the last
 * one of the song before it (src/render/soundtrack.c).  Each song has its
 * picture on the video track (its own cover, else the shared visuals in
 * turn) and its "Title — Artist" on a text track for its time; the
 * renderer makes the music segments the MP4's chapters.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "job-private.h"
#include <nemo/intent.h>
#include <nemo/log.h>

#include <glib/gstdio.h>
#include <string.h>

static gboolean
is_playlist (const gchar * path)
{
  g_autofree gchar *lower = g_ascii_strdown (path, -1);

  return g_str_has_suffix (lower, ".m3u") || g_str_has_suffix (lower, ".m3u8");
}

/* A playlist's entry @line (number @number) as a path: URIs as they are,
 * relative paths from the playlist's folder @dir. */
static gchar *
playlist_entry (const gchar * playlist, const gchar * dir,
    const gchar * line, guint number, GError ** error)
{
  g_autofree gchar *path = NULL;

  if (g_str_has_prefix (line, "file:"))
    path = g_filename_from_uri (line, NULL, NULL);
  else if (g_path_is_absolute (line))
    path = g_strdup (line);
  else if (strstr (line, "://") == NULL)
    path = g_build_filename (dir, line, NULL);
  if (path != NULL && g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&path);

  if (path == NULL)
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
        "Line %u of the playlist “%s” is “%s”, which is not a file we can "
        "read: give a path (relative to the playlist's folder) or a file:// "
        "URI.", number, playlist, line);
  else
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_NOT_FOUND,
        "Line %u of the playlist “%s” names “%s”, which does not exist "
        "(looked for “%s”). Correct the line or remove it.", number,
        playlist, line, path);
  return NULL;
}

/* The songs an .m3u/.m3u8 file lists: one a line, '#' lines are
 * comments (#EXTM3U, #EXTINF).  @origins gets each song's line, to name
 * it in a later error. */
static gboolean
read_playlist (const gchar * uri, GPtrArray * songs, GPtrArray * origins,
    GError ** error)
{
  g_autofree gchar *path = nemo_media_path_from_uri (uri, error);
  g_autofree gchar *dir = NULL;
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL;
  GError *read_error = NULL;
  guint i, before = songs->len;

  if (path == NULL)
    return FALSE;
  if (!g_file_get_contents (path, &text, NULL, &read_error)) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_NOT_FOUND,
        "Could not read the playlist “%s”: %s. Check the path in audio-uri.",
        path, read_error->message);
    g_error_free (read_error);
    return FALSE;
  }
  dir = g_path_get_dirname (path);
  lines = g_strsplit (g_str_has_prefix (text, "\xef\xbb\xbf") ? text + 3 :
      text, "\n", -1);
  for (i = 0; lines[i] != NULL; i++) {
    gchar *line = g_strstrip (lines[i]);
    gchar *song;

    if (line[0] == '\0' || line[0] == '#')
      continue;
    song = playlist_entry (path, dir, line, i + 1, error);
    if (song == NULL)
      return FALSE;
    g_ptr_array_add (songs, song);
    g_ptr_array_add (origins, g_strdup_printf ("Line %u of the playlist "
            "“%s”", i + 1, path));
  }
  if (songs->len > before)
    return TRUE;
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_NO_AUDIO,
      "The playlist “%s” lists no songs. Add one path a line.", path);
  return FALSE;
}

/* @audio_uri's songs into @songs and, for each, where it was given into
 * @origins: a playlist's line, or NULL for a song named in @audio_uri. */
static gboolean
expand_songs (const gchar * audio_uri, GPtrArray * songs,
    GPtrArray * origins, GError ** error)
{
  g_auto (GStrv) entries = nemo_job_split_list (audio_uri);
  guint i;

  for (i = 0; entries[i] != NULL; i++) {
    const gchar *entry = entries[i];

    if (is_playlist (entry)) {
      if (!read_playlist (entry, songs, origins, error))
        return FALSE;
    } else {
      g_ptr_array_add (songs, g_strdup (entry));
      g_ptr_array_add (origins, NULL);
    }
  }
  if (songs->len > 0)
    return TRUE;
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_NO_AUDIO,
      "audio-uri “%s” names no song. Give a song, songs separated by ';', "
      "or an .m3u playlist.", audio_uri);
  return FALSE;
}

gchar **
nemo_job_expand_songs (const gchar * audio_uri, GError ** error)
{
  g_autoptr (GPtrArray) songs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) origins = g_ptr_array_new_with_free_func (g_free);

  if (!expand_songs (audio_uri, songs, origins, error))
    return NULL;
  g_ptr_array_add (songs, NULL);
  return (gchar **) g_ptr_array_free (g_steal_pointer (&songs), FALSE);
}

GPtrArray *
nemo_job_probe_song_list (const gchar * audio_uri, GError ** error)
{
  g_autoptr (GPtrArray) songs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) origins = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) infos =
      g_ptr_array_new_with_free_func ((GDestroyNotify) nemo_media_info_free);
  guint i;

  if (!expand_songs (audio_uri, songs, origins, error))
    return NULL;
  for (i = 0; i < songs->len; i++) {
    NemoMediaInfo *info = nemo_job_probe_soundtrack (songs->pdata[i], error);

    if (info == NULL) {
      if (origins->pdata[i] != NULL)
        g_prefix_error (error, "%s: ", (gchar *) origins->pdata[i]);
      return NULL;
    }
    g_ptr_array_add (infos, info);
  }
  return g_steal_pointer (&infos);
}

void
nemo_job_song_free (NemoJobSong * song)
{
  nemo_media_info_free (song->info);
  g_free (song);
}

/* @song's exact length, in the samples the soundtrack will read: the
 * length a container states can count what the encoder added (an MP3's
 * is its frames', delay and padding included, 45 ms more than the song)
 * or be a guess from the bitrate, and an album's pictures and titles
 * change where the songs really join. */
static gboolean
measure_song (NemoJobSong * song, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (NemoAudioReader) reader =
      nemo_audio_reader_open (song->info->path, error);
  gfloat block[4096 * NEMO_AUDIO_CHANNELS];
  gint64 n_samples = 0;
  gint got;

  if (reader == NULL)
    return FALSE;
  while ((got = nemo_audio_reader_read (reader, block, 4096, error)) > 0) {
    n_samples += got;
    if (g_cancellable_is_cancelled (cancellable)) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_CANCELLED,
          "The render was cancelled.");
      return FALSE;
    }
  }
  if (got < 0)
    return FALSE;
  song->info->duration_us = n_samples * G_USEC_PER_SEC / NEMO_AUDIO_RATE;
  return TRUE;
}

GPtrArray *
nemo_job_probe_songs (const NemoJobConfig * config,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (GPtrArray) songs =
      g_ptr_array_new_with_free_func ((GDestroyNotify) nemo_job_song_free);
  guint n = nemo_job_config_count_songs (config), i, j;

  for (i = 0; i < n; i++) {
    const NemoJobInput *input = config->inputs->pdata[i];
    g_autoptr (GPtrArray) infos =
        nemo_job_probe_song_list (input->location, error);

    if (infos == NULL)
      return NULL;
    for (j = 0; j < infos->len; j++) {
      NemoJobSong *song = g_new0 (NemoJobSong, 1);

      song->input = input;
      song->info = g_steal_pointer (&infos->pdata[j]);
      g_ptr_array_add (songs, song);
    }
  }
  for (i = 0; songs->len > 1 && i < songs->len; i++)
    if (!measure_song (songs->pdata[i], cancellable, error))
      return NULL;
  return g_steal_pointer (&songs);
}

/* The picture a song of the album carries, probed, or NULL: its input's
 * (an audio_%u pad's image tag), else the one embedded in it, extracted
 * into a folder of its own in @work_dir. */
static NemoMediaInfo *
song_cover (const NemoJobSong * song, guint index, const gchar * work_dir)
{
  g_autofree gchar *dir = NULL;
  g_autofree gchar *extracted = NULL;
  const gchar *cover = song->input->cover;
  NemoMediaInfo *info = NULL;
  GError *error = NULL;

  if (cover == NULL && work_dir != NULL) {
    dir = g_strdup_printf ("%s/song-%u", work_dir, index + 1);
    if (g_mkdir_with_parents (dir, 0700) == 0)
      cover = extracted = nemo_media_extract_cover (song->info->path, dir,
          &error);
  }
  if (cover != NULL)
    info = nemo_job_probe_visual (cover, &error);
  if (error != NULL) {
    NEMO_WARNING ("song %u's own picture is not used: %s", index + 1,
        error->message);
    g_error_free (error);
  }
  return info;
}

/* "Title — Artist" of a song: its input's tags, else its file's, else its
 * file name; the artist falls back to @artist (the album's). */
static gchar *
song_title (const NemoJobSong * song, const gchar * artist, gboolean with_artist)
{
  const gchar *title = song->input->title ? song->input->title :
      song->info->title;
  g_autofree gchar *name = title ? g_strdup (title) :
      nemo_job_display_name (song->info->path);

  if (song->input->artist)
    artist = song->input->artist;
  else if (song->info->artist)
    artist = song->info->artist;
  if (!with_artist || artist == NULL || artist[0] == '\0')
    return g_steal_pointer (&name);
  return g_strdup_printf ("%s — %s", name, artist);
}

static void
add_song_picture (NemoTrack * track, const NemoMediaInfo * picture,
    gint64 start_ms, gint64 duration_ms)
{
  NemoSegment *seg = nemo_track_add_segment (track,
      picture->kind == NEMO_MEDIA_IMAGE ? NEMO_SEGMENT_STILL :
      NEMO_SEGMENT_CLIP);

  seg->source = g_strdup (picture->path);
  seg->name = nemo_job_display_name (picture->path);
  seg->start_ms = start_ms;
  seg->duration_ms = duration_ms;
  seg->loop = TRUE;
}

gint64
nemo_job_add_album (NemoDraft * draft, const NemoJobConfig * config,
    GPtrArray * songs, GPtrArray * visuals)
{
  NemoTrack *video = nemo_draft_add_track (draft, NEMO_TRACK_VIDEO);
  NemoTrack *music = nemo_draft_add_track (draft, NEMO_TRACK_AUDIO);
  NemoTrack *text = nemo_draft_add_track (draft, NEMO_TRACK_TEXT);
  const NemoMediaInfo *first = ((NemoJobSong *) songs->pdata[0])->info;
  const gchar *artist = config->artist ? config->artist : first->artist;
  const gchar *album = config->album ? config->album : first->album;
  const gchar *title = config->title ? config->title : album;
  gint64 at_us = 0;
  guint i, shared = 0;

  for (i = 0; i < songs->len; i++) {
    const NemoJobSong *song = songs->pdata[i];
    g_autoptr (NemoMediaInfo) cover = song_cover (song, i, config->work_dir);
    const NemoMediaInfo *picture = cover;
    gint64 start_ms = at_us / 1000;
    gint64 duration_ms;
    NemoSegment *seg;

    at_us += song->info->duration_us;
    /* the last song's segments run to the end, whatever its exact length */
    duration_ms = i + 1 == songs->len ? -1 : at_us / 1000 - start_ms;
    if (picture == NULL && visuals->len > 0)
      picture = visuals->pdata[shared++ % visuals->len];
    if (picture != NULL)
      add_song_picture (video, picture, start_ms, duration_ms);

    seg = nemo_track_add_segment (music, NEMO_SEGMENT_MUSIC);
    seg->source = g_strdup (song->info->path);
    seg->name = song_title (song, NULL, FALSE);
    seg->start_ms = start_ms;

    seg = nemo_track_add_segment (text, NEMO_SEGMENT_TITLE);
    seg->text = song_title (song, artist, TRUE);
    seg->start_ms = start_ms;
    seg->duration_ms = duration_ms;
  }
  nemo_job_set_tags (draft, title, artist, album);
  return (at_us + 999) / 1000;
}

/* @ms as YouTube reads a chapter's start: 03:12, or 1:03:12 in a video of
 * an hour or more. */
static void
append_clock (GString * out, gint64 ms, gboolean hours)
{
  gint64 s = ms / 1000;

  if (hours)
    g_string_append_printf (out, "%" G_GINT64_FORMAT ":%02d:%02d", s / 3600,
        (gint) (s / 60 % 60), (gint) (s % 60));
  else
    g_string_append_printf (out, "%02d:%02d", (gint) (s / 60), (gint) (s % 60));
}

static gboolean
wants_chapters (const NemoDraft * draft)
{
  return draft->meta == NULL || json_object_get_boolean_member_with_default
      (draft->meta, "chapters", TRUE);
}

gchar *
nemo_job_album_note (const NemoDraft * draft, guint n_songs,
    gboolean beats_dropped, const gchar * language)
{
  gboolean chinese = language && g_ascii_strncasecmp (language, "zh", 2) == 0;
  g_autofree gchar *length = NULL;
  const gchar *beats;

  if (n_songs < 2)
    return g_strdup (chinese ?
        "专辑视频需要多首歌：在 audio-uri 中用 ';' 分隔多首歌或给出 .m3u "
        "播放列表，或连接 audio_%u 端口。这个视频只有一首歌。" :
        "An album video needs several songs: give them in audio-uri "
        "separated by ';' or as an .m3u playlist, or on audio_%u pads. "
        "This video has one song.");
  /* to the second: a listener's length */
  length = nemo_intent_format_clock ((draft->duration_ms + 500) / 1000 * 1000);
  if (chinese) {
    beats = beats_dropped ? "卡点剪辑只用于单首歌，所以不卡点。" : "";
    return g_strdup_printf ("%u 首歌依次无缝播放（%s），每首歌有自己的封面和"
        "标题%s。%s", n_songs, length, wants_chapters (draft) ?
        "，并各有一个章节" : "", beats);
  }
  beats = beats_dropped ? " Beat-synced cuts follow one song's beats, so "
      "an album is not cut to the beat." : "";
  return g_strdup_printf ("The %u songs play one after another without a "
      "gap (%s), each with its own cover and title%s.%s", n_songs, length,
      wants_chapters (draft) ? " and a chapter of its own" : "", beats);
}

gchar *
nemo_job_chapters_description (const NemoDraft * draft)
{
  const NemoTrack *track = nemo_draft_find_track (draft, NEMO_TRACK_AUDIO);
  gint64 last_ms = -1;
  GString *out;
  guint i, n = 0;

  /* as the soundtrack: songs one after another, each to its end */
  for (i = 0; track != NULL && i < track->segments->len; i++) {
    const NemoSegment *seg = track->segments->pdata[i];

    if (g_strcmp0 (seg->kind, NEMO_SEGMENT_MUSIC) != 0)
      return NULL;
    if (n++ > 0 && last_ms >= 0)
      return NULL;
    last_ms = seg->duration_ms;
  }
  if (n < 2 || !wants_chapters (draft))
    return NULL;
  out = g_string_new (NULL);
  for (i = 0; i < track->segments->len; i++) {
    const NemoSegment *seg = track->segments->pdata[i];

    if (g_strcmp0 (seg->kind, NEMO_SEGMENT_MUSIC) != 0
        || (i > 0 && seg->start_ms >= draft->duration_ms))
      continue;
    if (out->len > 0)
      g_string_append_c (out, '\n');
    append_clock (out, seg->start_ms, draft->duration_ms >= 3600 * 1000);
    g_string_append_printf (out, " %s", seg->name ? seg->name : "");
  }
  return g_string_free (out, FALSE);
}
