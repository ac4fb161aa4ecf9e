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
#include <nemo/cloud.h>
#include <nemo/draft.h>
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

typedef struct
{
  NemoBackend backend;
  gchar *prompt;                /* what the user asked for, or NULL */
  gchar *audio;                 /* path or URI of the soundtrack */
  GPtrArray *visuals;           /* paths or URIs of stills/clips, in order */
  gchar *cover;                 /* the picture the song carries, as a file
                                 * (e.g. from the audio pad's image tag), or
                                 * NULL: then the one embedded in @audio.
                                 * Shown only when @visuals is empty */
  gchar *title, *artist, *album; /* track info; NULL = from the audio's tags */
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
  gchar *work_dir;              /* the job's scratch folder; inputs inside it
                                 * came from pads */

  /* cloud.language is also the language of the local reply; with
   * language_set FALSE (a default, not the user's choice) the prompt's own
   * language wins over it */
  NemoCloudConfig cloud;
  gboolean language_set;

  /* cloud backend only */
  gchar *session_id;            /* continue this session's timeline */
  gchar *render_id;             /* resume: poll and download this export only */
} NemoJobConfig;

void nemo_job_config_init (NemoJobConfig * config);
void nemo_job_config_clear (NemoJobConfig * config);
/* A deep copy of @src into @dest (which holds nothing yet). */
void nemo_job_config_copy (NemoJobConfig * dest, const NemoJobConfig * src);

/* The same events whatever the backend: progress ("prepare", "encode"
 * locally; "upload", "chat", "render", "download" in the cloud), the
 * timeline, and the MP4 bytes through `data`; the cloud adds replies,
 * credits, job ids and still-working.  Called on the job's thread. */
typedef NemoCloudCallbacks NemoJobCallbacks;

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
