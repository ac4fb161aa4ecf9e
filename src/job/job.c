/* nemorender job: inputs → draft → MP4 bytes, and the local backend.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "job-private.h"
#include <nemo/error.h>
#include <nemo/intent.h>
#include <nemo/log.h>
#include <nemo/lyrics.h>
#include <nemo/media.h>
#include <nemo/render.h>
#include <nemo/service.h>

#include <math.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

/* A still in a sequence of clips is held this long. */
#define STILL_IN_SEQUENCE_MS 5000
/* Background music over clips that set the length fades out over this. */
#define MUSIC_FADE_OUT_MS 2000

static void
input_free (NemoJobInput * input)
{
  g_free (input->location);
  g_free (input->title);
  g_free (input->artist);
  g_free (input->cover);
  g_free (input);
}

static NemoJobInput *
input_new (NemoJobInputKind kind, const gchar * location, gboolean from_pad)
{
  NemoJobInput *input = g_new0 (NemoJobInput, 1);

  input->kind = kind;
  input->location = g_strdup (location);
  input->from_pad = from_pad;
  return input;
}

void
nemo_job_config_init (NemoJobConfig * config)
{
  memset (config, 0, sizeof (*config));
  config->inputs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      input_free);
  config->width = 1920;
  config->height = 1080;
  config->fps_n = 30;
  config->fps_d = 1;
  config->quality = NEMO_RENDER_DEFAULT_QUALITY;
  config->audio_bitrate_kbps = NEMO_RENDER_DEFAULT_AUDIO_KBPS;
  config->loudness_lufs = NAN;
  config->service.retries = NEMO_CLOUD_DEFAULT_RETRIES;
  config->service.poll_interval_ms = NEMO_CLOUD_DEFAULT_POLL_INTERVAL_MS;
  config->service.timeout_s = NEMO_CLOUD_DEFAULT_TIMEOUT_S;
  config->service.max_upload_size = NEMO_SERVICE_MAX_UPLOAD_SIZE;
}

static void
service_clear (NemoJobService * service)
{
  g_free (service->api_url);
  g_free (service->token);
  g_free (service->client_id);
  g_free (service->skill_source);
  g_free (service->skill_version);
  g_free (service->skill_platform);
  g_free (service->session_id);
  g_free (service->render_id);
}

static void
service_copy (NemoJobService * dest, const NemoJobService * src)
{
  *dest = *src;
  dest->api_url = g_strdup (src->api_url);
  dest->token = g_strdup (src->token);
  dest->client_id = g_strdup (src->client_id);
  dest->skill_source = g_strdup (src->skill_source);
  dest->skill_version = g_strdup (src->skill_version);
  dest->skill_platform = g_strdup (src->skill_platform);
  dest->session_id = g_strdup (src->session_id);
  dest->render_id = g_strdup (src->render_id);
}

void
nemo_job_config_clear (NemoJobConfig * config)
{
  g_free (config->prompt);
  g_clear_pointer (&config->inputs, g_ptr_array_unref);
  g_free (config->cover);
  g_free (config->title);
  g_free (config->artist);
  g_free (config->album);
  g_free (config->lyrics);
  g_free (config->aspect_ratio);
  g_free (config->thumbnail_location);
  g_free (config->work_dir);
  g_free (config->language);
  service_clear (&config->service);
  memset (config, 0, sizeof (*config));
}

void
nemo_job_config_copy (NemoJobConfig * dest, const NemoJobConfig * src)
{
  guint i;

  *dest = *src;
  dest->prompt = g_strdup (src->prompt);
  dest->inputs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      input_free);
  for (i = 0; i < src->inputs->len; i++) {
    const NemoJobInput *input = src->inputs->pdata[i];
    NemoJobInput *copy = input_new (input->kind, input->location,
        input->from_pad);

    copy->title = g_strdup (input->title);
    copy->artist = g_strdup (input->artist);
    copy->cover = g_strdup (input->cover);
    g_ptr_array_add (dest->inputs, copy);
  }
  dest->cover = g_strdup (src->cover);
  dest->title = g_strdup (src->title);
  dest->artist = g_strdup (src->artist);
  dest->album = g_strdup (src->album);
  dest->lyrics = g_strdup (src->lyrics);
  dest->aspect_ratio = g_strdup (src->aspect_ratio);
  dest->thumbnail_location = g_strdup (src->thumbnail_location);
  dest->work_dir = g_strdup (src->work_dir);
  dest->language = g_strdup (src->language);
  service_copy (&dest->service, &src->service);
}

void
nemo_job_config_add_input (NemoJobConfig * config, NemoJobInputKind kind,
    const gchar * location, gboolean from_pad)
{
  NemoJobInput *input = input_new (kind, location, from_pad);

  if (kind == NEMO_JOB_INPUT_VISUAL) {
    g_ptr_array_add (config->inputs, input);
    return;
  }
  while (nemo_job_config_get_audio (config) != NULL)
    g_ptr_array_remove_index (config->inputs, 0);
  g_ptr_array_insert (config->inputs, 0, input);
}

gchar **
nemo_job_split_list (const gchar * list)
{
  g_autofree gchar *path = nemo_media_path_from_uri (list, NULL);
  g_autoptr (GPtrArray) entries = g_ptr_array_new ();
  g_auto (GStrv) parts = NULL;
  guint i;

  if (path != NULL && g_file_test (path, G_FILE_TEST_EXISTS)) {
    parts = g_new0 (gchar *, 2);
    parts[0] = g_strdup (list);
  } else {
    parts = g_strsplit (list, ";", -1);
  }
  for (i = 0; parts[i] != NULL; i++) {
    gchar *entry = g_strstrip (parts[i]);

    if (entry[0] != '\0')
      g_ptr_array_add (entries, g_strdup (entry));
  }
  g_ptr_array_add (entries, NULL);
  return (gchar **) g_ptr_array_free (g_steal_pointer (&entries), FALSE);
}

NemoJobInput *
nemo_job_config_add_song (NemoJobConfig * config, const gchar * location,
    gboolean from_pad)
{
  NemoJobInput *input = input_new (NEMO_JOB_INPUT_AUDIO, location, from_pad);

  g_ptr_array_insert (config->inputs, nemo_job_config_count_songs (config),
      input);
  return input;
}

guint
nemo_job_config_count_songs (const NemoJobConfig * config)
{
  guint n = 0;

  while (n < config->inputs->len
      && ((NemoJobInput *) config->inputs->pdata[n])->kind ==
      NEMO_JOB_INPUT_AUDIO)
    n++;
  return n;
}

const NemoJobInput *
nemo_job_config_get_audio (const NemoJobConfig * config)
{
  const NemoJobInput *first = config->inputs->len > 0 ?
      config->inputs->pdata[0] : NULL;

  return first != NULL && first->kind == NEMO_JOB_INPUT_AUDIO ? first : NULL;
}

gboolean
nemo_job_output_size (gint width, gint height, const gchar * aspect_ratio,
    gint * out_width, gint * out_height, GError ** error)
{
  guint a, b;
  gint shorter;
  gchar tail;

  if (aspect_ratio == NULL || *aspect_ratio == '\0') {
    *out_width = width;
    *out_height = height;
    return TRUE;
  }
  /* a:b with small positive terms, no wider than 4:1 either way */
  if (sscanf (aspect_ratio, "%u:%u%c", &a, &b, &tail) != 2 || a == 0 || b == 0
      || a > 100 || b > 100 || a > 4 * b || b > 4 * a) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "aspect-ratio “%s” is not a ratio we can render. Use 16:9, 9:16, "
        "1:1 or 4:5 (any W:H up to 4:1 works).", aspect_ratio);
    return FALSE;
  }
  shorter = MIN (width, height);
  if (a >= b) {
    *out_height = shorter;
    *out_width = (gint) lround ((gdouble) shorter * a / b / 2) * 2;
  } else {
    *out_width = shorter;
    *out_height = (gint) lround ((gdouble) shorter * b / a / 2) * 2;
  }
  return TRUE;
}

const gchar *
nemo_job_reply_language (const NemoJobConfig * config)
{
  const gchar *prompt_language = nemo_intent_language (config->prompt);

  if (config->language_set || prompt_language == NULL)
    return config->language;
  return prompt_language;
}

gchar *
nemo_job_display_name (const gchar * path)
{
  g_autofree gchar *base = g_path_get_basename (path);
  gchar *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  return g_steal_pointer (&base);
}

void
nemo_job_set_tags (NemoDraft * draft, const gchar * title,
    const gchar * artist, const gchar * album)
{
  if (title)
    nemo_draft_set_meta_string (draft, "title", title);
  if (artist)
    nemo_draft_set_meta_string (draft, "artist", artist);
  if (album)
    nemo_draft_set_meta_string (draft, "album", album);
}

NemoMediaInfo *
nemo_job_probe_soundtrack (const gchar * uri, GError ** error)
{
  NemoMediaInfo *info = nemo_media_probe (uri, error);

  if (info == NULL)
    return NULL;
  if (info->kind == NEMO_MEDIA_AUDIO
      || (info->kind == NEMO_MEDIA_VIDEO && info->has_audio))
    return info;

  g_set_error (error, NEMO_ERROR, NEMO_ERROR_NO_AUDIO,
      info->kind == NEMO_MEDIA_IMAGE ?
      "“%s” is a picture, not a song. Give it as the visual (visual-uri or "
      "a video_%%u pad) and give the music as audio-uri or on the audio pad." :
      "“%s” has no sound track. Give the music as audio-uri or on the audio "
      "pad.", info->path);
  nemo_media_info_free (info);
  return NULL;
}

NemoMediaInfo *
nemo_job_probe_visual (const gchar * uri, GError ** error)
{
  NemoMediaInfo *info = nemo_media_probe (uri, error);

  if (info == NULL || info->kind != NEMO_MEDIA_AUDIO)
    return info;

  g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
      "“%s” is audio, not a picture or a video. Give an image (JPEG, PNG, "
      "GIF, WebP) or a clip (MP4, MOV, MKV, WebM, AVI) as the visual.",
      info->path);
  nemo_media_info_free (info);
  return NULL;
}

static void
add_music_track (NemoDraft * draft, const NemoMediaInfo * song,
    const gchar * name, gint64 in_ms)
{
  NemoTrack *track = nemo_draft_add_track (draft, NEMO_TRACK_AUDIO);
  NemoSegment *seg = nemo_track_add_segment (track, NEMO_SEGMENT_MUSIC);

  seg->source = g_strdup (song->path);
  seg->name = g_strdup (name);
  seg->in_ms = in_ms;
  seg->duration_ms = -1;
}

/* The video runs from @start_ms of the song to its end: an in-point past
 * the end leaves nothing to show. */
static gboolean
check_start (gint64 start_ms, gint64 song_ms, const gchar * path,
    gboolean from_prompt, GError ** error)
{
  g_autofree gchar *start = NULL;
  g_autofree gchar *length = NULL;

  if (start_ms < song_ms)
    return TRUE;
  start = nemo_intent_format_clock (start_ms);
  length = nemo_intent_format_clock (song_ms);
  if (from_prompt)
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "The prompt starts the video at %s, but “%s” lasts %s. Ask for a "
        "start within the song.", start, path, length);
  else
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "start-time is %s, but “%s” lasts %s. Set a start-time within the "
        "song (it is in nanoseconds: 1:05 is 65000000000).", start, path,
        length);
  return FALSE;
}

static NemoSegment *
add_visual_segment (NemoTrack * track, const NemoMediaInfo * visual,
    gint64 start_ms, gint64 duration_ms)
{
  gboolean still = visual->kind == NEMO_MEDIA_IMAGE;
  NemoSegment *seg = nemo_track_add_segment (track,
      still ? NEMO_SEGMENT_STILL : NEMO_SEGMENT_CLIP);

  seg->source = g_strdup (visual->path);
  seg->name = nemo_job_display_name (visual->path);
  seg->start_ms = start_ms;
  seg->duration_ms = duration_ms;
  return seg;
}

/* The picture the song carries, probed, or NULL when it has none: the
 * one from the audio pad's tags, else the one embedded in the file.  A
 * cover that cannot be used leaves the video without one; it does not stop
 * the job. */
static NemoMediaInfo *
probe_song_cover (const NemoJobConfig * config, const NemoMediaInfo * song)
{
  g_autofree gchar *extracted = NULL;
  const gchar *cover = config->cover;
  NemoMediaInfo *info = NULL;
  GError *error = NULL;

  if (cover == NULL && config->work_dir != NULL)
    cover = extracted = nemo_media_extract_cover (song->path,
        config->work_dir, &error);
  if (cover != NULL)
    info = nemo_job_probe_visual (cover, &error);
  if (error != NULL) {
    NEMO_WARNING ("the song's own picture is not used: %s", error->message);
    g_error_free (error);
  }
  return info;
}

static gboolean
is_chinese (const gchar * language)
{
  return language && g_ascii_strncasecmp (language, "zh", 2) == 0;
}

/* The reply's sentence saying where the cover came from. */
static const gchar *
cover_from_song_note (const gchar * language)
{
  return is_chinese (language) ?
      "封面使用歌曲内嵌的图片。" :
      "The cover is the picture embedded in the song.";
}

/* @reply (may be NULL; taken) followed by @sentence. */
static gchar *
append_sentence (gchar * reply, const gchar * sentence)
{
  gchar *joined;

  if (reply == NULL)
    return g_strdup (sentence);
  /* Chinese sentences follow each other without a space */
  joined = g_strconcat (reply, (guchar) sentence[0] < 0x80 ? " " : "",
      sentence, NULL);
  g_free (reply);
  return joined;
}

/* How long a clip plays in a sequence (add_video_track()). */
static gint64
clip_length_ms (const NemoMediaInfo * clip)
{
  return MAX (clip->duration_us / 1000, 100);
}

/* One pass through @visuals as add_video_track() plays them among clips;
 * 0 when there is no clip. */
static gint64
clips_length_ms (GPtrArray * visuals)
{
  gint64 total = 0;
  gboolean any_clip = FALSE;
  guint i;

  for (i = 0; i < visuals->len; i++) {
    const NemoMediaInfo *visual = visuals->pdata[i];

    any_clip |= visual->kind == NEMO_MEDIA_VIDEO;
    total += visual->kind == NEMO_MEDIA_IMAGE ? STILL_IN_SEQUENCE_MS :
        clip_length_ms (visual);
  }
  return any_clip ? total : 0;
}

/* Background music for clips: the clips are the subject and set the
 * length, unless the prompt asks for the song's or any length, or
 * max-duration sets one (docs/montage.md). */
static gboolean
clips_set_length (const NemoJobConfig * config, const NemoIntent * intent)
{
  return intent->bgm == NEMO_INTENT_ON
      && intent->song_length != NEMO_INTENT_ON && intent->duration_ms <= 0
      && config->max_duration_us <= 0;
}

/* "The video lasts as long as your clip, 0:08; the music fades out over
 * the last 2 s." */
static gchar *
clip_length_note (const gchar * language, gint64 total_ms, guint n_visuals,
    gboolean song_loops)
{
  g_autofree gchar *length = nemo_intent_format_clock (total_ms);

  if (is_chinese (language))
    return g_strdup_printf ("视频和你的片段一样长（%s），%s音乐在最后 %d 秒淡出。",
        length, song_loops ? "歌曲较短，循环播放；" : "",
        MUSIC_FADE_OUT_MS / 1000);
  return g_strdup_printf ("The video lasts as long as your %s, %s; %sthe "
      "music fades out over the last %d s.", n_visuals > 1 ? "clips" : "clip",
      length, song_loops ? "the song, shorter, loops; " : "",
      MUSIC_FADE_OUT_MS / 1000);
}

/* Stills alone share the song equally; with clips among them, the visuals
 * play in order at their own length (a still for STILL_IN_SEQUENCE_MS) and
 * the sequence repeats until the song ends.  One visual simply fills it,
 * looping if it is a clip. */
static void
add_video_track (NemoDraft * draft, GPtrArray * visuals, gint64 total_ms)
{
  NemoTrack *track;
  gboolean all_stills = TRUE;
  gint64 at = 0;
  guint i;

  if (visuals->len == 0)
    return;
  track = nemo_draft_add_track (draft, NEMO_TRACK_VIDEO);

  if (visuals->len == 1) {
    add_visual_segment (track, visuals->pdata[0], 0, -1)->loop = TRUE;
    return;
  }
  for (i = 0; i < visuals->len; i++)
    all_stills &= ((NemoMediaInfo *) visuals->pdata[i])->kind == NEMO_MEDIA_IMAGE;

  for (i = 0; at < total_ms; i = (i + 1) % visuals->len) {
    const NemoMediaInfo *visual = visuals->pdata[i];
    gint64 length;

    if (all_stills)
      length = total_ms / visuals->len;
    else if (visual->kind == NEMO_MEDIA_IMAGE)
      length = STILL_IN_SEQUENCE_MS;
    else
      length = clip_length_ms (visual);

    if (at + length >= total_ms || (all_stills && i == visuals->len - 1))
      length = -1;              /* the last one runs to the end */
    add_visual_segment (track, visual, at, length);
    if (length < 0)
      break;
    at += length;
  }
}

/* The lyrics file's lines on a text track, the draft's 0 at song time
 * @in_ms; a request for them in the prompt is then met. */
static gboolean
add_lyrics (const NemoJobConfig * config, NemoIntent * intent,
    gint64 in_ms, NemoDraft * draft, GError ** error)
{
  g_autoptr (NemoLyrics) lyrics = NULL;

  if (config->lyrics == NULL)
    return TRUE;
  lyrics = nemo_lyrics_load (config->lyrics, error);
  if (lyrics == NULL)
    return FALSE;
  if (nemo_lyrics_add_to_draft (lyrics, draft, in_ms) == NULL)
    NEMO_WARNING ("no line of the lyrics falls within the video");
  nemo_intent_lyrics_given (intent);
  return TRUE;
}

/* The settings' preset, else the one @intent names, else YouTube's. */
static const NemoPresetInfo *
preset_for (const NemoJobConfig * config, const NemoIntent * intent)
{
  const NemoPresetInfo *named = nemo_preset_find (intent->preset);

  if (config->preset != NEMO_PRESET_UNSET || named == NULL)
    return nemo_preset_get (config->preset);
  return named;
}

const NemoPresetInfo *
nemo_job_preset (const NemoJobConfig * config)
{
  g_autoptr (NemoIntent) intent = nemo_intent_parse (config->prompt);

  return preset_for (config, intent);
}

/* The size before the prompt's shape: the settings' when they give a size
 * or a shape, else the preset's. */
static gboolean
base_size (const NemoJobConfig * config, const NemoPresetInfo * preset,
    gint * width, gint * height, GError ** error)
{
  if (config->size_set || config->aspect_ratio != NULL)
    return nemo_job_output_size (config->width, config->height,
        config->aspect_ratio, width, height, error);
  *width = preset->width;
  *height = preset->height;
  return TRUE;
}

/* The preset's longest video, unless max-duration sets the length. */
static gint64
preset_limit_ms (const NemoJobConfig * config, const NemoPresetInfo * preset)
{
  return config->max_duration_us > 0 ? 0 : preset->max_length_ms;
}

/* What the preset's longest video left out of the song, e.g. "The song is
 * 5:27; on Shorts a video lasts at most 3:00, so this one is the song's
 * first 3:00." */
static gchar *
trimmed_note (const gchar * language, const NemoPresetInfo * preset,
    gint64 song_ms, gint64 start_ms)
{
  g_autofree gchar *rest = nemo_intent_format_clock (song_ms - start_ms);
  g_autofree gchar *limit = nemo_intent_format_clock (preset->max_length_ms);
  g_autofree gchar *from = nemo_intent_format_clock (start_ms);
  g_autofree gchar *to = nemo_intent_format_clock (start_ms + preset->max_length_ms);

  if (is_chinese (language))
    return start_ms == 0 ?
        g_strdup_printf ("歌曲长 %s；%s 的视频最长 %s，所以视频取歌曲的前 %s。",
        rest, preset->platform, limit, limit) :
        g_strdup_printf ("歌曲从 %s 起还有 %s；%s 的视频最长 %s，所以视频取歌曲的 "
        "%s–%s。", from, rest, preset->platform, limit, from, to);
  return start_ms == 0 ?
      g_strdup_printf ("The song is %s; on %s a video lasts at most %s, so "
      "this one is the song's first %s.", rest, preset->platform, limit,
      limit) :
      g_strdup_printf ("From %s the song runs %s; on %s a video lasts at "
      "most %s, so this one is %s–%s of the song.", from, rest,
      preset->platform, limit, from, to);
}

/* The frame rate the preset brought the settings' into, e.g. "On TikTok a
 * video plays at 23–60 fps, so this one is 60 fps." */
static gchar *
fps_note (const gchar * language, const NemoPresetInfo * preset, gint fps_n,
    gint fps_d)
{
  gdouble fps = (gdouble) fps_n / fps_d;

  if (is_chinese (language))
    return g_strdup_printf ("%s 的视频帧率为 %d–%d fps，所以视频用 %g fps。",
        preset->platform, preset->min_fps, preset->max_fps, fps);
  return g_strdup_printf ("On %s a video plays at %d–%d fps, so this one is "
      "%g fps.", preset->platform, preset->min_fps, preset->max_fps, fps);
}

/* Apply @intent, @config->prompt's, to @draft, leaving alone what the
 * settings fix; no length past @limit_ms (0: no limit). */
static gchar *
apply_prompt (const NemoJobConfig * config, NemoIntent * intent,
    gint64 limit_ms, NemoDraft * draft)
{
  if (config->start_us > 0)
    intent->start_ms = -1;
  if (config->aspect_ratio != NULL || config->size_set
      || config->preset != NEMO_PRESET_UNSET)
    g_clear_pointer (&intent->aspect_ratio, g_free);
  if (config->aspect_ratio != NULL || config->size_set)
    intent->resolution = 0;
  if (config->max_duration_us > 0)
    intent->duration_ms = 0;
  if (!isnan (config->loudness_lufs))
    intent->loudness_lufs = NAN;
  if (limit_ms > 0 && intent->duration_ms > limit_ms)
    intent->duration_ms = limit_ms;
  nemo_intent_apply (intent, draft);
  return nemo_intent_describe (intent, nemo_job_reply_language (config));
}

/* The video as long as the clips, with background music (docs/montage.md). */
typedef struct
{
  gboolean set;
  gboolean song_loops;          /* the song is shorter than the clips */
} ClipsLength;

/* The one song's tracks and track info in @draft (the song from @start_ms
 * on, the visuals over it, else the song's own picture); the song's
 * length in ms, or -1 with @error. */
static gint64
add_single_song (NemoDraft * draft, const NemoJobConfig * config,
    const NemoIntent * intent, const NemoMediaInfo * song,
    GPtrArray * visuals, gint64 * start_ms, gint64 limit_ms,
    gboolean * cover_from_song, ClipsLength * clips, GError ** error)
{
  g_autofree gchar *music_name = NULL;
  const gchar *title, *artist, *album;
  gint64 song_ms, total_ms;

  if (visuals->len == 0) {
    NemoMediaInfo *cover = probe_song_cover (config, song);

    *cover_from_song = cover != NULL;
    if (*cover_from_song)
      g_ptr_array_add (visuals, cover);
  }
  title = config->title ? config->title : song->title;
  artist = config->artist ? config->artist : song->artist;
  album = config->album ? config->album : song->album;
  song_ms = (song->duration_us + 999) / 1000;
  /* start-time wins over the prompt's in-point */
  *start_ms = config->start_us > 0 || intent->start_ms < 0 ?
      config->start_us / 1000 : intent->start_ms;
  if (!check_start (*start_ms, song_ms, song->path, config->start_us == 0,
          error))
    return -1;
  total_ms = song_ms - *start_ms;
  if (config->max_duration_us > 0)
    total_ms = MIN (total_ms, (config->max_duration_us + 999) / 1000);
  if (clips_set_length (config, intent) && clips_length_ms (visuals) > 0) {
    clips->set = TRUE;
    clips->song_loops = clips_length_ms (visuals) > total_ms;
    total_ms = clips_length_ms (visuals);
  }
  if (limit_ms > 0)
    total_ms = MIN (total_ms, limit_ms);

  draft->duration_ms = total_ms;
  music_name = title ? g_strdup (title) : nemo_job_display_name (song->path);
  add_video_track (draft, visuals, total_ms);
  add_music_track (draft, song, music_name, *start_ms);
  if (clips->set) {
    nemo_job_find_song (draft)->loop = clips->song_loops;
    nemo_draft_set_meta_int (draft, "max_duration_ms", total_ms);
    nemo_draft_set_meta_int (draft, "music_fade_out_ms", MUSIC_FADE_OUT_MS);
  }
  nemo_job_set_tags (draft, title, artist, album);
  return song_ms;
}

NemoDraft *
nemo_job_build_draft (const NemoJobConfig * config, gchar ** understood,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (GPtrArray) songs = NULL;
  g_autoptr (GPtrArray) visuals =
      g_ptr_array_new_with_free_func ((GDestroyNotify) nemo_media_info_free);
  g_autoptr (NemoDraft) draft = NULL;
  g_autofree gchar *reply = NULL;
  g_autofree gchar *montage_note = NULL;
  g_autofree gchar *cuts_note = NULL;
  gboolean cover_from_song = FALSE, beats_dropped = FALSE;
  ClipsLength clips = { FALSE, };
  g_autoptr (NemoIntent) intent = nemo_intent_parse (config->prompt);
  const NemoPresetInfo *preset = preset_for (config, intent);
  const gchar *language = nemo_job_reply_language (config);
  const NemoJobInput *audio = nemo_job_config_get_audio (config);
  gint64 song_ms, start_ms = 0, limit_ms;
  gint width, height, fps_n = config->fps_n, fps_d = config->fps_d;
  guint i;

  if (audio == NULL) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_NO_AUDIO,
        "No music to make a video of. Set audio-uri to a song, or link the "
        "audio pad (e.g. filesrc location=song.mp3 ! decodebin ! "
        "audioconvert ! nemorender.audio).");
    return NULL;
  }
  if (!base_size (config, preset, &width, &height, error))
    return NULL;
  songs = nemo_job_probe_songs (config, cancellable, error);
  if (songs == NULL)
    return NULL;
  for (i = nemo_job_config_count_songs (config); i < config->inputs->len;
      i++) {
    const NemoJobInput *input = config->inputs->pdata[i];
    NemoMediaInfo *visual = nemo_job_probe_visual (input->location, error);

    if (visual == NULL)
      return NULL;
    g_ptr_array_add (visuals, visual);
  }
  limit_ms = preset_limit_ms (config, preset);
  nemo_preset_clamp_fps (preset, &fps_n, &fps_d);

  draft = nemo_draft_new ();
  if (songs->len == 1) {
    song_ms = add_single_song (draft, config, intent,
        ((NemoJobSong *) songs->pdata[0])->info, visuals, &start_ms,
        limit_ms, &cover_from_song, &clips, error);
    if (song_ms < 0)
      return NULL;
  } else {
    if (config->start_us > 0) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
          "start-time cannot be used with several songs: an album video "
          "plays every song whole. Leave start-time unset, or give one "
          "song.");
      return NULL;
    }
    intent->start_ms = -1;
    /* the cuts follow one song's beats; an album shows each song's cover */
    beats_dropped = intent->beat_sync == NEMO_INTENT_ON;
    intent->beat_sync = NEMO_INTENT_UNSET;
    song_ms = nemo_job_add_album (draft, config, songs, visuals);
    draft->duration_ms = song_ms;
    if (config->max_duration_us > 0)
      draft->duration_ms = MIN (song_ms,
          (config->max_duration_us + 999) / 1000);
    if (limit_ms > 0)
      draft->duration_ms = MIN (draft->duration_ms, limit_ms);
  }
  if (songs->len > 1 && config->lyrics) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "Lyrics go with one song, and this video has %u. Give one song with "
        "lyrics-uri or the lyrics pad, or leave the lyrics out.", songs->len);
    return NULL;
  }
  if (!add_lyrics (config, intent, start_ms, draft, error))
    return NULL;

  if (config->prompt)
    nemo_draft_set_meta_string (draft, "prompt", config->prompt);
  nemo_draft_set_meta_int (draft, "w", width);
  nemo_draft_set_meta_int (draft, "h", height);
  nemo_draft_set_meta_int (draft, "fps_n", fps_n);
  nemo_draft_set_meta_int (draft, "fps_d", fps_d);
  if (limit_ms > 0 && draft->duration_ms == limit_ms)
    nemo_draft_set_meta_int (draft, "max_duration_ms", limit_ms);

  if (config->prompt != NULL)
    reply = apply_prompt (config, intent, limit_ms, draft);
  if (clips.set) {
    g_autofree gchar *note = clip_length_note (language, draft->duration_ms,
        visuals->len, clips.song_loops);

    reply = append_sentence (reply, note);
  }
  if (limit_ms > 0 && draft->duration_ms == limit_ms
      && song_ms - start_ms > limit_ms) {
    g_autofree gchar *note = trimmed_note (language, preset, song_ms,
        start_ms);

    reply = append_sentence (reply, note);
  }
  if (fps_n != config->fps_n || fps_d != config->fps_d) {
    g_autofree gchar *note = fps_note (language, preset, fps_n, fps_d);

    reply = append_sentence (reply, note);
  }
  if (cover_from_song)
    reply = append_sentence (reply, cover_from_song_note (language));
  if (songs->len > 1 || intent->album == NEMO_INTENT_ON) {
    g_autofree gchar *note = nemo_job_album_note (draft, songs->len,
        beats_dropped, language);

    reply = append_sentence (reply, note);
  }
  if (!nemo_job_cut_to_beats (draft, visuals, language, &montage_note,
          cancellable, error))
    return NULL;
  if (montage_note != NULL)
    reply = append_sentence (reply, montage_note);
  if (!nemo_job_music_to_cuts (draft, visuals, language, &cuts_note,
          cancellable, error))
    return NULL;
  if (cuts_note != NULL)
    reply = append_sentence (reply, cuts_note);
  if (!nemo_job_place_pulses (draft, cancellable, error))
    return NULL;
  if (understood != NULL)
    *understood = g_steal_pointer (&reply);
  return g_steal_pointer (&draft);
}

typedef struct
{
  const NemoJobCallbacks *callbacks;
  gpointer user_data;
} ProgressRelay;

static void
relay_render_progress (NemoRenderStage stage, gdouble percent, gpointer data)
{
  ProgressRelay *relay = data;

  relay->callbacks->progress (stage == NEMO_RENDER_STAGE_PREPARE ?
      "prepare" : "encode", percent, relay->user_data);
}

/* Hand the finished file to the data callback in order, in chunks. */
static gboolean
send_file (const gchar * path, const NemoJobCallbacks * callbacks,
    gpointer user_data, GCancellable * cancellable, GError ** error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = g_file_read (file, cancellable, error);
  g_autofree guint8 *chunk = g_malloc (NEMO_JOB_CHUNK_SIZE);

  if (in == NULL)
    return nemo_job_take_io_error (error, path);
  for (;;) {
    gssize n = g_input_stream_read (G_INPUT_STREAM (in), chunk,
        NEMO_JOB_CHUNK_SIZE, cancellable, error);

    if (n < 0)
      return nemo_job_take_io_error (error, path);
    if (n == 0)
      return TRUE;
    if (callbacks->data && !callbacks->data (chunk, n, user_data, error))
      return FALSE;
  }
}

/* A song whose every sample is zero still makes its video, with a warning:
 * it is most often a wrong export or a muted track. */
static gboolean
warn_if_silent (const NemoDraft * draft, const NemoJobCallbacks * callbacks,
    gpointer user_data, GCancellable * cancellable, GError ** error)
{
  const NemoTrack *track = nemo_draft_find_track (draft, NEMO_TRACK_AUDIO);
  const NemoSegment *song;
  g_autofree gchar *text = NULL;
  gboolean silent = FALSE;

  if (callbacks->warning == NULL || track == NULL || track->segments->len == 0)
    return TRUE;
  song = g_ptr_array_index (track->segments, 0);
  if (!nemo_media_audio_is_silent (song->source, &silent, cancellable, error))
    return nemo_job_take_io_error (error, song->source);
  if (!silent)
    return TRUE;
  text = g_strdup_printf ("The song “%s” is silent: every sample is zero. "
      "The video is made, but check that the right file or track was "
      "given (a muted or unexported track?).", song->source);
  callbacks->warning (text, user_data);
  return TRUE;
}

/* The preset's bitrate ceiling under video-bitrate's (the lower one that
 * is set wins), and its safe area when the video has the preset's shape (a
 * Shorts safe area means nothing in 16:9). */
static void
set_preset_options (const NemoPresetInfo * preset,
    NemoRenderOptions * options)
{
  gint ceiling_kbps = (gint) (preset->max_video_bitrate / 1000);

  if ((gint64) options->width * preset->height
      == (gint64) options->height * preset->width)
    options->safe_area = preset->safe_area;
  if (ceiling_kbps > 0 && (options->video_bitrate_kbps == 0
          || ceiling_kbps < options->video_bitrate_kbps))
    options->video_bitrate_kbps = ceiling_kbps;
}

/* The thumbnail thumbnail-location asks for, once the video is made: its
 * frame a third in with the track info on it, whether the video shows it
 * or not (a thumbnail is seen small and silent: the title says what it
 * is), without a visualizer (a still of bars shows nothing). */
static gboolean
write_thumbnail (const NemoJobConfig * config, const NemoDraft * draft,
    const NemoRenderOptions * options, GError ** error)
{
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (NemoDraft) thumbnail = NULL;
  g_autoptr (NemoIntent) with_title = NULL;

  if (config->thumbnail_location == NULL)
    return TRUE;
  node = nemo_draft_to_node (draft);
  thumbnail = nemo_draft_from_node (node, error);
  if (thumbnail == NULL)
    return FALSE;
  with_title = nemo_intent_parse (NULL);
  with_title->track_info = NEMO_INTENT_ON;
  with_title->visualizer = NEMO_VISUALIZER_NONE;
  nemo_intent_apply (with_title, thumbnail);
  return nemo_render_thumbnail (thumbnail, options,
      config->thumbnail_location, error);
}

/* A song or a picture that is cut short is rendered as far as it goes,
 * with a warning that says what is missing. */
static void
warn_if_cut_short (const NemoDraft * draft,
    const NemoJobCallbacks * callbacks, gpointer user_data)
{
  guint t, i;

  if (callbacks->warning == NULL)
    return;
  for (t = 0; t < draft->tracks->len; t++) {
    const NemoTrack *track = g_ptr_array_index (draft->tracks, t);
    gboolean audio = track->type == NEMO_TRACK_AUDIO;

    for (i = 0; i < track->segments->len; i++) {
      const NemoSegment *segment = g_ptr_array_index (track->segments, i);
      g_autofree gchar *text = NULL;

      if (segment->source == NULL
          || (!audio && g_strcmp0 (segment->kind, NEMO_SEGMENT_STILL) != 0))
        continue;
      text = nemo_media_describe_loss (segment->source, audio);
      if (text != NULL)
        callbacks->warning (text, user_data);
    }
  }
}

static gboolean
run_local (const NemoJobConfig * config, const NemoJobCallbacks * callbacks,
    gpointer user_data, GCancellable * cancellable, GError ** error)
{
  g_autoptr (NemoDraft) draft = NULL;
  g_autofree gchar *output = NULL;
  g_autofree gchar *understood = NULL;
  g_autofree gchar *chapters = NULL;
  ProgressRelay relay = { callbacks, user_data };
  NemoRenderOptions options;
  gboolean ok;

  if (callbacks->progress)
    callbacks->progress ("prepare", 0.0, user_data);
  draft = nemo_job_build_draft (config, &understood, cancellable, error);
  if (draft == NULL)
    return FALSE;
  if (understood != NULL && callbacks->reply != NULL)
    callbacks->reply (understood, user_data);
  if (!warn_if_silent (draft, callbacks, user_data, cancellable, error))
    return FALSE;
  warn_if_cut_short (draft, callbacks, user_data);
  nemo_job_report_timeline (draft, callbacks, user_data);
  chapters = nemo_job_chapters_description (draft);
  if (chapters != NULL && callbacks->chapters != NULL)
    callbacks->chapters (chapters, user_data);

  nemo_render_options_init (&options);
  options.width = (gint) nemo_draft_get_meta_int (draft, "w", options.width);
  options.height = (gint) nemo_draft_get_meta_int (draft, "h", options.height);
  options.fps_n = (gint) nemo_draft_get_meta_int (draft, "fps_n",
      options.fps_n);
  options.fps_d = (gint) nemo_draft_get_meta_int (draft, "fps_d",
      options.fps_d);
  options.max_duration_us = config->max_duration_us > 0 ?
      config->max_duration_us :
      nemo_draft_get_meta_int (draft, "max_duration_ms", 0) * 1000;
  /* the shortest video is one frame */
  if (options.max_duration_us > 0)
    options.max_duration_us = MAX (options.max_duration_us,
        (G_USEC_PER_SEC * options.fps_d + options.fps_n - 1) / options.fps_n);
  options.audio_passthrough = config->audio_passthrough;
  options.quality = config->quality;
  options.video_bitrate_kbps = config->video_bitrate_kbps;
  options.audio_bitrate_kbps = config->audio_bitrate_kbps;
  options.keyframe_interval = config->keyframe_interval;
  options.loudness_lufs = config->loudness_lufs;
  set_preset_options (nemo_job_preset (config), &options);
  options.cancellable = cancellable;
  if (callbacks->progress) {
    options.progress = relay_render_progress;
    options.progress_data = &relay;
  }
  output = g_build_filename (config->work_dir, "video.mp4", NULL);
  /* the thumbnail before the MP4 goes out: one that cannot be written
   * fails the job before any of it is sent */
  ok = nemo_render_draft (draft, &options, output, error)
      && write_thumbnail (config, draft, &options, error)
      && send_file (output, callbacks, user_data, cancellable, error);
  g_unlink (output);
  return ok;
}

void
nemo_job_report_timeline (const NemoDraft * draft,
    const NemoJobCallbacks * callbacks, gpointer user_data)
{
  g_autofree gchar *summary = NULL;
  g_autofree gchar *json = NULL;

  if (callbacks->timeline == NULL)
    return;
  summary = nemo_draft_summary (draft);
  json = nemo_draft_to_string (draft, FALSE);
  callbacks->timeline (summary, json, user_data);
}

gboolean
nemo_job_take_io_error (GError ** error, const gchar * path)
{
  GError *io = error ? *error : NULL;

  if (io == NULL || io->domain == NEMO_ERROR)
    return FALSE;
  *error = g_error_new (NEMO_ERROR,
      g_error_matches (io, G_IO_ERROR, G_IO_ERROR_CANCELLED) ?
      NEMO_ERROR_CANCELLED : NEMO_ERROR_IO, "Could not read “%s”: %s",
      path, io->message);
  g_error_free (io);
  return FALSE;
}

gboolean
nemo_job_run (const NemoJobConfig * config,
    const NemoJobCallbacks * callbacks, gpointer user_data,
    guint * http_status, GCancellable * cancellable, GError ** error)
{
  static const NemoJobCallbacks no_callbacks = { NULL, };

  if (http_status != NULL)
    *http_status = 0;
  if (callbacks == NULL)
    callbacks = &no_callbacks;
  if (config->backend == NEMO_BACKEND_CLOUD)
    return nemo_job_run_cloud (config, callbacks, user_data, http_status,
        cancellable, error);
  return run_local (config, callbacks, user_data, cancellable, error);
}
