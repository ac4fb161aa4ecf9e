/* nemorender job: one music video from inputs to MP4 bytes.
 *
 * The job is what the element runs on its worker thread: it checks the
 * inputs, builds or obtains the draft (the timeline) that describes the
 * video, reports it, renders it with the chosen backend, and hands the MP4
 * over in order through the data callback.  It knows nothing of pads: inputs
 * are files (the element spools pad data to files first) or, for the cloud,
 * http(s) URLs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_JOB_H
#define NEMO_JOB_H

#include <gio/gio.h>
#include <nemo/draft.h>
#include <nemo/media.h>
#include <nemo/render.h>

G_BEGIN_DECLS

typedef enum
{
  NEMO_BACKEND_LOCAL,           /* FFmpeg on this machine; nothing leaves it */
  NEMO_BACKEND_CLOUD,           /* the hosted service (docs/protocol.md) */
} NemoBackend;

/* Where the video goes: each platform's shape, frame rates, bitrate
 * ceiling, longest video and safe area (docs/presets.md). */
typedef enum
{
  NEMO_PRESET_UNSET = 0,        /* the platform the prompt names, else YouTube */
  NEMO_PRESET_YOUTUBE,
  NEMO_PRESET_SHORTS,
  NEMO_PRESET_TIKTOK,
  NEMO_PRESET_REELS,
  NEMO_PRESET_INSTAGRAM_FEED,
  NEMO_PRESET_INSTAGRAM_STORY,
} NemoPreset;

typedef struct
{
  NemoPreset preset;
  const gchar *name;            /* the element's nick: "instagram-story" */
  const gchar *platform;        /* in the reply: "Instagram Stories" */
  gint width, height;
  gint min_fps, max_fps;        /* 0: no limit */
  gint64 max_video_bitrate;     /* bits per second; 0: no ceiling */
  gint64 max_length_ms;         /* 0: no limit */
  NemoSafeArea safe_area;       /* clear of the platform's buttons */
} NemoPresetInfo;

/* The row of @preset; UNSET gives YouTube's. */
const NemoPresetInfo *nemo_preset_get (NemoPreset preset);
/* The row named @name ("shorts"), or NULL. */
const NemoPresetInfo *nemo_preset_find (const gchar * name);
/* @fps_n/@fps_d brought into the preset's frame-rate range. */
void nemo_preset_clamp_fps (const NemoPresetInfo * preset, gint * fps_n,
    gint * fps_d);

typedef enum
{
  NEMO_JOB_INPUT_AUDIO,         /* the song */
  NEMO_JOB_INPUT_VISUAL,        /* a still or a clip */
} NemoJobInputKind;

/* One input of the job. */
typedef struct
{
  NemoJobInputKind kind;
  gchar *location;              /* a path or URI; for the cloud also an
                                 * http(s) URL */
  gboolean from_pad;            /* spooled from one of the element's pads:
                                 * always prepared again before an upload */
  /* a song of an album: its own track info and picture (an audio_%u
   * pad's tags), NULL = from the song's file */
  gchar *title, *artist, *cover;
} NemoJobInput;

/* How to reach the hosted service (cloud backend only). */
typedef struct
{
  gchar *api_url;               /* NULL = the service's own */
  gchar *token;                 /* NULL = $NEMO_TOKEN, else an anonymous one */
  gchar *client_id;             /* NULL = a random UUID */
  gchar *skill_source, *skill_version, *skill_platform;  /* attribution;
                                 * NULL = the client's defaults */
  guint retries;                /* network errors / 5xx */
  guint poll_interval_ms;       /* first export-status poll delay */
  guint timeout_s;              /* longest silence on the chat stream */
  guint chat_limit_s;           /* longest chat turn (0 = default) */
  guint render_limit_s;         /* longest wait for an export (0 = default) */
  guint64 max_upload_size;      /* bytes: larger inputs are made to fit */
  gchar *session_id;            /* continue this session's timeline */
  gchar *render_id;             /* resume: poll and download this export only */
} NemoJobService;

typedef struct
{
  NemoBackend backend;
  gchar *prompt;                /* what the user asked for, or NULL */
  GPtrArray *inputs;            /* NemoJobInput*: the song first (at most
                                 * one), then the visuals in order; see
                                 * nemo_job_config_add_input () */
  gchar *cover;                 /* the picture the song carries, as a file
                                 * (e.g. from the audio pad's image tag), or
                                 * NULL: then the one embedded in the song.
                                 * Shown only when there is no visual */
  gchar *title, *artist, *album; /* track info; NULL = from the audio's tags */
  gchar *lyrics;                /* the song's words, timed: an LRC, SubRip
                                 * or WebVTT file (lyrics-uri, or what the
                                 * lyrics pad spooled), or NULL; local
                                 * backend only */
  gint width, height;           /* requested size (before aspect_ratio) */
  gboolean size_set;            /* width/height were given explicitly: they
                                 * win over sizes in the prompt */
  gchar *aspect_ratio;          /* "16:9", "9:16", "1:1", "4:5" or NULL */
  gint fps_n, fps_d;
  gint64 max_duration_us;       /* 0 = the whole soundtrack */
  gint64 start_us;              /* the song's in-point: the video starts
                                 * there (0 = its beginning) */
  NemoPreset preset;            /* UNSET: the prompt's platform, else
                                 * YouTube; explicit size, aspect-ratio and
                                 * max-duration win over it */
  NemoAudioPassthrough audio_passthrough;  /* local backend: keep an AAC
                                 * song that needs no change (AUTO) */
  /* local backend: the encoder, as in NemoRenderOptions */
  gint quality, video_bitrate_kbps, audio_bitrate_kbps, keyframe_interval;
  gdouble loudness_lufs;        /* NaN: as the draft (the prompt) says */
  gchar *thumbnail_location;    /* local backend: a JPEG thumbnail is also
                                 * written to this path; NULL: none */
  gchar *work_dir;              /* the job's scratch folder */

  /* the language of the replies and of the cloud session (NULL = "en");
   * with language_set FALSE (a default, not the user's choice) the
   * prompt's own language wins over it */
  gchar *language;
  gboolean language_set;

  NemoJobService service;
} NemoJobConfig;

void nemo_job_config_init (NemoJobConfig * config);
void nemo_job_config_clear (NemoJobConfig * config);
/* A deep copy of @src into @dest (which holds nothing yet). */
void nemo_job_config_copy (NemoJobConfig * dest, const NemoJobConfig * src);
/* Add an input: a song replaces the songs already there (the audio pad
 * wins over audio-uri) and stays first; visuals follow in the order
 * added. */
void nemo_job_config_add_input (NemoJobConfig * config, NemoJobInputKind kind,
    const gchar * location, gboolean from_pad);
/* The song, or NULL. */
const NemoJobInput *nemo_job_config_get_audio (const NemoJobConfig * config);
/* Add one more song after the songs already there (an album, played in
 * the order added; docs/album.md); the input is the config's, to give it
 * its title, artist or cover. */
NemoJobInput *nemo_job_config_add_song (NemoJobConfig * config,
    const gchar * location, gboolean from_pad);

/* The entries of a ';'-separated @list of locations (audio-uri,
 * visual-uri), stripped, empty ones left out; a local path that exists as
 * it is is one entry, ';' in its name or not.  A NULL-terminated array,
 * maybe empty. */
gchar **nemo_job_split_list (const gchar * list);

/* The songs @audio_uri names: itself, the entries of a ';'-separated list,
 * or the entries of an .m3u/.m3u8 playlist (relative ones resolved against
 * its folder; an entry that does not exist is NEMO_ERROR_NOT_FOUND naming
 * its line).  A NULL-terminated array; NULL with @error. */
gchar **nemo_job_expand_songs (const gchar * audio_uri, GError ** error);

/* @uri probed as a song: audio, or a video with sound; NULL with an error
 * that says what to give instead (a picture, a clip without sound). */
NemoMediaInfo *nemo_job_probe_soundtrack (const gchar * uri, GError ** error);

/* Each song @audio_uri names (nemo_job_expand_songs ()), probed as by
 * nemo_job_probe_soundtrack (): NemoMediaInfo*, in order.  NULL with the
 * first error, which names the playlist's line of a song from one. */
GPtrArray *nemo_job_probe_song_list (const gchar * audio_uri,
    GError ** error);

/* The same events whatever the backend, on the job's thread; any may be
 * NULL.  Progress stages are "prepare", "encode" locally and "upload",
 * "chat", "render", "download" in the cloud. */
typedef struct
{
  void (*reply) (const gchar * text, gpointer user_data);
  void (*timeline) (const gchar * summary, const gchar * draft_json,
      gpointer user_data);
  void (*progress) (const gchar * stage, gdouble percent, gpointer user_data);
  /* the MP4 bytes, in order; FALSE + error aborts */
  gboolean (*data) (const guint8 * data, gsize size, gpointer user_data,
      GError ** error);
  /* something the user should know that does not stop the job */
  void (*warning) (const gchar * text, gpointer user_data);
  /* cloud backend only: the service's credits, the session and export ids
   * (render_id NULL when only the session is new), a long wait */
  void (*credits) (gint64 available, gint64 frozen, gint64 total,
      gpointer user_data);
  void (*job) (const gchar * session_id, const gchar * render_id,
      gpointer user_data);
  void (*still_working) (guint64 elapsed_ns, gpointer user_data);
  /* an album: its songs as YouTube chapters, one "MM:SS Title" a line */
  void (*chapters) (const gchar * description, gpointer user_data);
} NemoJobCallbacks;

/* The output size for @width x @height reshaped to @aspect_ratio: the short
 * side keeps its length, as with shapes in the prompt (1920x1080 with 1:1
 * is 1080x1080, with 9:16 1080x1920), and both sides are even.  NULL or "" keeps the size.
 * FALSE with NEMO_ERROR_INVALID_ARGUMENT for a ratio we do not know. */
gboolean nemo_job_output_size (gint width, gint height,
    const gchar * aspect_ratio, gint * out_width, gint * out_height,
    GError ** error);

/* Check the inputs and build the local draft for @config: the song as the
 * soundtrack, the visuals one after another on the video track (with no
 * visual, the song's own picture: @config->cover, else the one embedded in
 * the song, written to @config->work_dir), then what the prompt asks for
 * (settings given explicitly win over the prompt).  @understood (may be
 * NULL) gets the reply: what of the prompt was understood and what could
 * not be done, that the cover came from the song, and what the preset's
 * length or frame-rate range changed; NULL when there is none of these.
 * The beat analysis checks @cancellable (NEMO_ERROR_CANCELLED). */
NemoDraft *nemo_job_build_draft (const NemoJobConfig * config,
    gchar ** understood, GCancellable * cancellable, GError ** error);

/* Run the job with @config->backend.  On success every byte of the MP4 has
 * gone through callbacks->data; on failure @error says what to do, with the
 * local backend no byte has, and @http_status (if not NULL) is the
 * service's last HTTP status (0 when none applies). */
gboolean nemo_job_run (const NemoJobConfig * config,
    const NemoJobCallbacks * callbacks, gpointer user_data,
    guint * http_status, GCancellable * cancellable, GError ** error);

G_END_DECLS

#endif
