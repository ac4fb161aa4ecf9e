/* nemorender job, cloud backend: the service's whole cycle (docs/protocol.md).
 *
 *   token → session → upload (prepared with FFmpeg to the service's formats
 *   and limits) → chat → state (the timeline) → export → poll → download
 *
 * With a render id the job only resumes the download; with a session id it
 * continues that session's timeline.  Media leave the machine only here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "job-private.h"

#include <nemo/cloud.h>
#include <nemo/intent.h>
#include <nemo/media.h>
#include <nemo/service.h>
#include <glib/gstdio.h>

#define DEFAULT_PROMPT "Create a music video for YouTube from this song and " \
  "its album art."

static gboolean
is_web_url (const gchar * uri)
{
  return g_ascii_strncasecmp (uri, "http://", 7) == 0
      || g_ascii_strncasecmp (uri, "https://", 8) == 0;
}

/* Upload one input: a web URL is handed over as it is; a file goes up as it
 * is when the service takes it, else transcoded/trimmed/shrunk first. */
static gboolean
upload_input (NemoCloud * cloud, const NemoJobConfig * config,
    const NemoJobInput * input, GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *path = NULL;
  g_autofree gchar *upload = NULL;
  NemoUploadLimits limits = { 0, };
  gboolean transcoded = FALSE, ok;

  if (is_web_url (input->location))
    return nemo_cloud_upload_url (cloud, input->location, cancellable, error);

  path = nemo_media_path_from_uri (input->location, error);
  if (path == NULL)
    return FALSE;
  limits.max_size = config->service.max_upload_size;
  /* the song is trimmed after the excerpt's end; the service is told
   * where it starts */
  limits.max_duration_us = config->max_duration_us > 0 ?
      config->start_us + config->max_duration_us : 0;
  limits.from_pad = input->from_pad;
  upload = nemo_media_prepare_upload (path, config->work_dir, &limits,
      &transcoded, cancellable, error);
  if (upload == NULL)
    return FALSE;
  ok = nemo_cloud_upload_file (cloud, upload, cancellable, error);
  if (transcoded)
    g_unlink (upload);
  return ok;
}

/* The song first, then the visuals in order: the inputs' own order. */
static gboolean
upload_inputs (NemoCloud * cloud, const NemoJobConfig * config,
    GCancellable * cancellable, GError ** error)
{
  guint i;

  nemo_cloud_plan_uploads (cloud, config->inputs->len);
  for (i = 0; i < config->inputs->len; i++) {
    if (!upload_input (cloud, config, config->inputs->pdata[i], cancellable,
            error))
      return FALSE;
  }
  return TRUE;
}

/* The prompt, with the element's explicit settings spelled out: the agent
 * only knows what it is told. */
static gchar *
chat_message (const NemoJobConfig * config)
{
  GString *message = g_string_new (config->prompt ? config->prompt :
      DEFAULT_PROMPT);
  gint width, height;

  if (config->title || config->artist)
    g_string_append_printf (message, "\nTrack info: %s%s%s.",
        config->title ? config->title : "",
        config->title && config->artist ? " — " : "",
        config->artist ? config->artist : "");
  if (nemo_job_output_size (config->width, config->height,
          config->aspect_ratio, &width, &height, NULL)
      && (width != 1920 || height != 1080))
    g_string_append_printf (message, "\nOutput size: %dx%d.", width, height);
  if (config->start_us > 0)
    g_string_append_printf (message, "\nStart the song at %.1f seconds.",
        config->start_us / 1e6);
  if (config->max_duration_us > 0)
    g_string_append_printf (message, "\nKeep it to %.0f seconds.",
        config->max_duration_us / 1e6);
  return g_string_free (message, FALSE);
}

/* The session's draft, exactly as the service holds it (unknown keys and
 * all), reported as the timeline. */
static JsonNode *
read_draft (NemoCloud * cloud, const NemoJobCallbacks * callbacks,
    gpointer user_data, GCancellable * cancellable, GError ** error)
{
  g_autoptr (JsonNode) state = nemo_cloud_get_state (cloud, cancellable,
      error);
  g_autoptr (NemoDraft) draft = NULL;
  JsonNode *node;

  if (state == NULL)
    return NULL;
  node = JSON_NODE_HOLDS_OBJECT (state) ?
      json_object_get_member (json_node_get_object (state), "draft") : NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node)) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_DRAFT,
        "The service made no timeline for this session. Say more about the "
        "video you want in the prompt, or check that the uploads arrived.");
    return NULL;
  }
  draft = nemo_draft_from_node (node, error);
  if (draft == NULL)
    return NULL;
  nemo_job_report_timeline (draft, callbacks, user_data);
  return json_node_copy (node);
}

/* The service makes a video of one song: an album is rendered here. */
static gboolean
check_one_song (const NemoJobConfig * config, GError ** error)
{
  const NemoJobInput *audio = nemo_job_config_get_audio (config);
  g_auto (GStrv) songs = NULL;

  if (audio == NULL)
    return TRUE;
  songs = nemo_job_expand_songs (audio->location, error);
  if (songs == NULL)
    return FALSE;
  if (nemo_job_config_count_songs (config) == 1 && songs[1] == NULL)
    return TRUE;
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
      "The cloud service makes a video of one song, and this job has "
      "several. Render the album locally (backend=local), or give one "
      "song.");
  return FALSE;
}

static gboolean
create_video (NemoCloud * cloud, const NemoJobConfig * config,
    const NemoJobCallbacks * callbacks, gpointer user_data,
    GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *message = NULL;
  g_autofree gchar *render_id = NULL;
  g_autoptr (JsonNode) draft = NULL;

  if (nemo_job_config_get_audio (config) == NULL
      && config->service.session_id == NULL) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_NO_AUDIO,
        "No music to make a video of. Set audio-uri to a song, or link the "
        "audio pad, or continue a session with session-id.");
    return FALSE;
  }
  if (!nemo_cloud_open_session (cloud, config->service.session_id,
          cancellable, error)
      || !upload_inputs (cloud, config, cancellable, error))
    return FALSE;

  message = chat_message (config);
  if (!nemo_cloud_chat (cloud, message, cancellable, error))
    return FALSE;
  draft = read_draft (cloud, callbacks, user_data, cancellable, error);
  if (draft == NULL)
    return FALSE;
  render_id = nemo_cloud_export (cloud, draft, cancellable, error);
  return render_id != NULL
      && nemo_cloud_wait_and_download (cloud, render_id, cancellable, error);
}

/* The size asked for, by the properties or else by the prompt ("4K"), must
 * be one the service renders: a larger one fails before any upload. */
static gboolean
check_service_size (const NemoJobConfig * config, GError ** error)
{
  g_autoptr (NemoIntent) intent = nemo_intent_parse (config->prompt);
  gint width, height, short_side, long_side;

  if (!nemo_job_output_size (config->width, config->height,
          config->aspect_ratio, &width, &height, error))
    return FALSE;
  short_side = MIN (width, height);
  long_side = MAX (width, height);
  /* as locally, a size or shape given as a property wins over the prompt */
  if (intent->resolution > 0 && !config->size_set
      && config->aspect_ratio == NULL) {
    long_side = long_side * intent->resolution / short_side;
    short_side = intent->resolution;
  }
  if (short_side <= NEMO_SERVICE_MAX_SHORT_SIDE
      && long_side <= NEMO_SERVICE_MAX_LONG_SIDE)
    return TRUE;

  g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
      "The service renders videos up to %d×%d (or %d×%d); %d×%d was asked. "
      "Ask for 1080p or less (width and height, or in the prompt), or "
      "render on this machine with backend=local, which goes up to 2160p.",
      NEMO_SERVICE_MAX_SHORT_SIDE, NEMO_SERVICE_MAX_LONG_SIDE,
      NEMO_SERVICE_MAX_LONG_SIDE, NEMO_SERVICE_MAX_SHORT_SIDE,
      width >= height ? long_side : short_side,
      width >= height ? short_side : long_side);
  return FALSE;
}

/* The client, told what it needs of the job's settings, with the session
 * in the replies' language and the job's callbacks. */
static NemoCloud *
open_cloud (const NemoJobConfig * config, const NemoJobCallbacks * callbacks,
    gpointer user_data, GError ** error)
{
  const NemoJobService *service = &config->service;
  NemoCloudConfig cloud_config;
  const NemoCloudCallbacks cloud_callbacks = {
    .reply = callbacks->reply,
    .timeline = callbacks->timeline,
    .credits = callbacks->credits,
    .job = callbacks->job,
    .still_working = callbacks->still_working,
    .progress = callbacks->progress,
    .data = callbacks->data,
  };

  /* nemo_cloud_new () copies what it keeps: the strings are lent */
  nemo_cloud_config_init (&cloud_config);
  cloud_config.api_url = service->api_url;
  cloud_config.token = service->token;
  cloud_config.client_id = service->client_id;
  cloud_config.language = (gchar *) nemo_job_reply_language (config);
  cloud_config.skill_source = service->skill_source;
  cloud_config.skill_version = service->skill_version;
  cloud_config.skill_platform = service->skill_platform;
  cloud_config.retries = service->retries;
  cloud_config.poll_interval_ms = service->poll_interval_ms;
  cloud_config.timeout_s = service->timeout_s;
  cloud_config.chat_limit_s = service->chat_limit_s;
  cloud_config.render_limit_s = service->render_limit_s;
  cloud_config.max_upload_size = service->max_upload_size;
  return nemo_cloud_new (&cloud_config, &cloud_callbacks, user_data, error);
}

gboolean
nemo_job_run_cloud (const NemoJobConfig * config,
    const NemoJobCallbacks * callbacks, gpointer user_data,
    guint * http_status, GCancellable * cancellable, GError ** error)
{
  g_autoptr (NemoCloud) cloud = NULL;
  gboolean ok;

  if (config->service.render_id == NULL && (!check_service_size (config,
              error) || !check_one_song (config, error)))
    return FALSE;
  if (config->lyrics != NULL) {
    /* the service's drafts have no lyric segments we could send */
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "Lyrics are drawn by the local renderer only: render with "
        "backend=local, or leave lyrics-uri unset and the lyrics pad "
        "unlinked.");
    return FALSE;
  }
  cloud = open_cloud (config, callbacks, user_data, error);
  if (cloud == NULL)
    return FALSE;
  if (config->service.render_id != NULL) {
    /* resuming: the application hears the id it gave, as with a new job */
    if (callbacks->job != NULL)
      callbacks->job (config->service.session_id, config->service.render_id,
          user_data);
    ok = nemo_cloud_wait_and_download (cloud, config->service.render_id,
        cancellable, error);
  } else
    ok = create_video (cloud, config, callbacks, user_data, cancellable,
        error);
  if (!ok && http_status != NULL)
    *http_status = nemo_cloud_get_http_status (cloud);
  return ok;
}
