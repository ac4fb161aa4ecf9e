/* nemorender job: one music video from inputs to an MP4 file.
 *
 * The job is what the element runs on its worker thread: it checks the
 * inputs, builds the draft (the timeline) that describes the video, reports
 * it, and renders it with the chosen backend.  It knows nothing of pads:
 * inputs are files (the element spools pad data to files first).
 */
#ifndef NEMO_JOB_H
#define NEMO_JOB_H

#include <gio/gio.h>
#include <nemo/draft.h>

G_BEGIN_DECLS

typedef struct
{
  gchar *prompt;                /* what the user asked for, or NULL */
  gchar *audio;                 /* path or URI of the soundtrack */
  GPtrArray *visuals;           /* paths or URIs of stills/clips, in order */
  gchar *title, *artist, *album; /* track info; NULL = from the audio's tags */
  gint width, height;           /* requested size (before aspect_ratio) */
  gchar *aspect_ratio;          /* "16:9", "9:16", "1:1", "4:5" or NULL */
  gint fps_n, fps_d;
  gint64 max_duration_us;       /* 0 = the whole soundtrack */
} NemoJobConfig;

void nemo_job_config_init (NemoJobConfig * config);
void nemo_job_config_clear (NemoJobConfig * config);

/* What the job tells its caller as it goes, on the job's thread.  Any
 * callback may be NULL. */
typedef struct
{
  /* @stage: "prepare", "encode" (and for the cloud: "upload", "chat",
   * "render", "download"); @percent 0-100 */
  void (*progress) (const gchar * stage, gdouble percent, gpointer user_data);
  /* the timeline is known or changed */
  void (*timeline) (const gchar * summary, const gchar * draft_json,
      gpointer user_data);
} NemoJobCallbacks;

/* The output size for @width x @height reshaped to @aspect_ratio: the longer
 * side keeps its length and both sides are even.  NULL or "" keeps the size.
 * FALSE with NEMO_ERROR_INVALID_ARGUMENT for a ratio we do not know. */
gboolean nemo_job_output_size (gint width, gint height,
    const gchar * aspect_ratio, gint * out_width, gint * out_height,
    GError ** error);

/* Check the inputs and build the draft for @config: the song as the
 * soundtrack, the visuals one after another on the video track. */
NemoDraft *nemo_job_build_draft (const NemoJobConfig * config, GError ** error);

/* Build the draft, report it, render it locally to @output_path. */
gboolean nemo_job_run_local (const NemoJobConfig * config,
    const NemoJobCallbacks * callbacks, gpointer user_data,
    const gchar * output_path, GCancellable * cancellable, GError ** error);

G_END_DECLS

#endif
