/* nemo-sim: exports.
 *
 * An export renders the draft it was given to a real MP4 with the local
 * renderer, on a thread of its own: pending, then processing with the
 * render's progress, then completed with a URL on the CDN listener, or
 * failed with the reason.  The status is served in either shape.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sim-private.h"

#include <nemo/render.h>
#include <nemo/error.h>
#include <glib/gstdio.h>
#include <string.h>

/* How often a paced render reports progress while it waits. */
#define SIM_PACE_STEP_US (50 * G_TIME_SPAN_MILLISECOND)
#define SIM_MAX_ID_LENGTH 128

struct _SimRenderJob
{
  NemoSim *sim;
  gchar *id;
  NemoDraft *draft;             /* sources resolved to local paths */
  gint width, height, fps_n, fps_d;
  gchar *output;
  gchar *url;
  GCancellable *cancellable;
  GThread *thread;
  gint64 started_us;

  /* under sim->lock */
  SimRenderState state;
  gint progress;
  gchar *error;
  gdouble duration_s;
  guint64 size;
  gint64 completed_us;          /* monotonic, 0 until completed */
};

static const gchar *
state_name (SimRenderState state)
{
  switch (state) {
    case SIM_RENDER_PENDING:
      return "pending";
    case SIM_RENDER_PROCESSING:
      return "processing";
    case SIM_RENDER_COMPLETED:
      return "completed";
    case SIM_RENDER_FAILED:
      return "failed";
  }
  return "failed";
}

void
sim_render_job_free (SimRenderJob * job)
{
  g_free (job->id);
  g_clear_pointer (&job->draft, nemo_draft_free);
  g_free (job->output);
  g_free (job->url);
  g_clear_object (&job->cancellable);
  g_free (job->error);
  g_free (job);
}

/* ---- the render thread ---- */

static void
job_update (SimRenderJob * job, SimRenderState state, gint progress,
    const gchar * error)
{
  NemoSim *sim = job->sim;

  g_mutex_lock (&sim->lock);
  job->state = state;
  /* progress never goes back */
  job->progress = MAX (job->progress, progress);
  if (error) {
    g_free (job->error);
    job->error = g_strdup (error);
  }
  g_mutex_unlock (&sim->lock);
  if (state == SIM_RENDER_FAILED && sim->options.verbose)
    g_printerr ("nemo-sim: render %s failed: %s\n", job->id, error);
}

/* Progress by the clock for a paced (--slow-render-ms) render, 0-100. */
static gint
paced_progress (SimRenderJob * job)
{
  guint slow_ms = job->sim->options.slow_render_ms;
  gint64 elapsed = g_get_monotonic_time () - job->started_us;

  if (slow_ms == 0)
    return 100;
  return (gint) MIN (100, elapsed / 10 / (gint64) slow_ms);
}

static void
on_render_progress (NemoRenderStage stage, gdouble percent, gpointer data)
{
  SimRenderJob *job = data;
  gdouble overall = stage == NEMO_RENDER_STAGE_PREPARE ?
      percent * 0.1 : 10.0 + percent * 0.9;

  job_update (job, SIM_RENDER_PROCESSING,
      MIN (99, MIN ((gint) overall, paced_progress (job))), NULL);
}

/* Report clock progress up to @limit percent until @until_us (monotonic),
 * or until the job is cancelled. */
static void
pace_until (SimRenderJob * job, gint64 until_us, gint limit)
{
  NemoSim *sim = job->sim;

  for (;;) {
    gint64 now = g_get_monotonic_time ();

    if (now >= until_us || g_cancellable_is_cancelled (job->cancellable))
      return;
    job_update (job, SIM_RENDER_PROCESSING, MIN (limit, paced_progress (job)),
        NULL);
    g_mutex_lock (&sim->lock);
    if (!g_cancellable_is_cancelled (job->cancellable))
      g_cond_wait_until (&sim->cond, &sim->lock,
          MIN (until_us, now + SIM_PACE_STEP_US));
    g_mutex_unlock (&sim->lock);
  }
}

static void
job_complete (SimRenderJob * job)
{
  NemoSim *sim = job->sim;
  g_autoptr (NemoMediaInfo) info = nemo_media_probe (job->output, NULL);
  GStatBuf st;

  g_mutex_lock (&sim->lock);
  job->state = SIM_RENDER_COMPLETED;
  job->progress = 100;
  job->completed_us = g_get_monotonic_time ();
  job->duration_s = info ? info->duration_us / 1e6 : 0.0;
  job->size = g_stat (job->output, &st) == 0 ? (guint64) st.st_size : 0;
  g_mutex_unlock (&sim->lock);
  if (sim->options.verbose)
    g_printerr ("nemo-sim: render %s completed: %s (%dx%d, %.2f s)\n",
        job->id, job->url, job->width, job->height, job->duration_s);
}

static gpointer
render_thread (gpointer data)
{
  SimRenderJob *job = data;
  const NemoSimOptions *options = &job->sim->options;
  gint64 paced_end = job->started_us +
      (gint64) options->slow_render_ms * G_TIME_SPAN_MILLISECOND;
  g_autoptr (GError) error = NULL;
  NemoRenderOptions render;

  job_update (job, SIM_RENDER_PROCESSING, 0, NULL);
  if (options->fail_render) {
    /* fail half way through the render's time */
    pace_until (job, job->started_us + (paced_end - job->started_us) / 2, 50);
    job_update (job, SIM_RENDER_FAILED, 0, options->fail_render);
    return NULL;
  }

  nemo_render_options_init (&render);
  render.width = job->width;
  render.height = job->height;
  render.fps_n = job->fps_n;
  render.fps_d = job->fps_d;
  render.progress = on_render_progress;
  render.progress_data = job;
  render.cancellable = job->cancellable;
  if (nemo_render_draft (job->draft, &render, job->output, &error))
    pace_until (job, paced_end, 99);
  if (g_cancellable_is_cancelled (job->cancellable)) {
    g_unlink (job->output);
    job_update (job, SIM_RENDER_FAILED, 0, "The render was cancelled.");
  } else if (error) {
    job_update (job, SIM_RENDER_FAILED, 0, error->message);
  } else {
    job_complete (job);
  }
  return NULL;
}

/* ---- starting an export ---- */

static gboolean
valid_id (const gchar * id)
{
  const gchar *c;

  if (id == NULL || *id == '\0' || strlen (id) > SIM_MAX_ID_LENGTH)
    return FALSE;
  for (c = id; *c; c++)
    if (!g_ascii_isalnum (*c) && *c != '_' && *c != '-' && *c != '.')
      return FALSE;
  return strcmp (id, ".") != 0 && strcmp (id, "..") != 0;
}

static gboolean
has_attribution (SoupServerMessage * msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const gchar *names[] = { "X-Skill-Source", "X-Skill-Version",
    "X-Skill-Platform"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    const gchar *value = soup_message_headers_get_one (headers, names[i]);

    if (value == NULL || *value == '\0')
      return FALSE;
  }
  return TRUE;
}

/* The local file a draft source names, or NULL with the reason. */
static gchar *
resolve_source (NemoSim * sim, const gchar * source, gchar ** reason)
{
  const gchar *local;
  g_autofree gchar *path = NULL;
  gchar *file;

  if (g_str_has_prefix (source, sim->cdn_url)
      && g_str_has_prefix (source + strlen (sim->cdn_url), "/cdn/media/")) {
    path = g_uri_unescape_string (source + strlen (sim->cdn_url), NULL);
    local = path ? g_hash_table_lookup (sim->cdn_files, path) : NULL;
    if (local)
      return g_strdup (local);
  } else if (g_path_is_absolute (source)
      || g_str_has_prefix (source, "file://")) {
    file = nemo_media_path_from_uri (source, NULL);
    if (file)
      return file;
  }
  *reason = g_strdup_printf ("“%s” is not a file the simulator has: it renders "
      "its own uploads, file:// URLs and local paths, and never downloads.",
      source);
  return NULL;
}

/* Point every source of @draft at a local file; FALSE with the reason. */
static gboolean
resolve_sources (NemoSim * sim, NemoDraft * draft, gchar ** reason)
{
  guint t, s;

  for (t = 0; t < draft->tracks->len; t++) {
    NemoTrack *track = draft->tracks->pdata[t];

    for (s = 0; s < track->segments->len; s++) {
      NemoSegment *segment = track->segments->pdata[s];
      gchar *local;

      if (segment->source == NULL)
        continue;
      local = resolve_source (sim, segment->source, reason);
      if (local == NULL)
        return FALSE;
      g_free (segment->source);
      segment->source = local;
    }
  }
  return TRUE;
}

/* The output format the draft asks for (m.w, m.h, m.fps_n/m.fps_d), else
 * the sim's canvas at 30 fps; FALSE with the reason. */
static gboolean
job_format (NemoSim * sim, SimRenderJob * job, gchar ** reason)
{
  const NemoDraft *draft = job->draft;

  job->width = nemo_draft_get_meta_int (draft, "w", sim->options.width);
  job->height = nemo_draft_get_meta_int (draft, "h", sim->options.height);
  job->fps_n = nemo_draft_get_meta_int (draft, "fps_n", 30);
  job->fps_d = nemo_draft_get_meta_int (draft, "fps_d", 1);
  if (job->width < 16 || job->height < 16 || job->width > 4096
      || job->height > 4096 || job->width % 2 || job->height % 2) {
    *reason = g_strdup_printf ("The draft asks for %dx%d: the output size "
        "must be even numbers from 16 to 4096.", job->width, job->height);
    return FALSE;
  }
  if (job->fps_n <= 0 || job->fps_d <= 0 || job->fps_n / job->fps_d > 120) {
    *reason = g_strdup_printf ("The draft asks for %d/%d frames per second: "
        "use up to 120.", job->fps_n, job->fps_d);
    return FALSE;
  }
  return TRUE;
}

static JsonNode *
job_brief (SimRenderJob * job)
{
  g_autoptr (JsonObject) data = json_object_new ();

  json_object_set_string_member (data, "id", job->id);
  g_mutex_lock (&job->sim->lock);
  json_object_set_string_member (data, "status", state_name (job->state));
  json_object_set_int_member (data, "progress", job->progress);
  g_mutex_unlock (&job->sim->lock);
  return json_node_init_object (json_node_alloc (), data);
}

void
sim_export_start (NemoSim * sim, SoupServerMessage * msg, JsonNode * body)
{
  JsonObject *request = json_node_get_object (body);
  const gchar *id = sim_json_string (request, "id", NULL);
  JsonNode *draft_node = json_object_get_member (request, "draft");
  SimSession *session =
      sim_find_session (sim, sim_json_string (request, "sessionId", NULL));
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *file = NULL;
  gchar *reason = NULL;
  SimRenderJob *job;

  if (!valid_id (id)) {
    sim_reply_failure (msg, SOUP_STATUS_BAD_REQUEST, 400,
        "The export needs an \"id\" such as render_<timestamp> (letters, "
        "digits, '_', '-' and '.').");
    return;
  }
  job = g_hash_table_lookup (sim->renders, id);
  if (job) {
    /* the same id again: the job it started */
    sim_reply_success (msg, job_brief (job));
    return;
  }
  if (sim->options.export_402 || !has_attribution (msg)) {
    sim_reply_failure (msg, SOUP_STATUS_PAYMENT_REQUIRED,
        NEMO_ERROR_EXPORT_BLOCKED,
        "Free plan export blocked: register or upgrade your plan to unlock "
        "export.");
    return;
  }
  if (draft_node == NULL || JSON_NODE_HOLDS_NULL (draft_node)) {
    sim_reply_failure (msg, SOUP_STATUS_BAD_REQUEST, 400,
        "The export has no \"draft\": send the draft from the session state.");
    return;
  }

  job = g_new0 (SimRenderJob, 1);
  job->draft = nemo_draft_from_node (draft_node, &error);
  if (job->draft == NULL) {
    text = g_strdup_printf ("The draft cannot be rendered: %s",
        error->message);
    sim_reply_failure (msg, SOUP_STATUS_BAD_REQUEST, 400, text);
    sim_render_job_free (job);
    return;
  }
  job->sim = sim;
  job->id = g_strdup (id);
  job->cancellable = g_cancellable_new ();
  file = g_strconcat (id, ".mp4", NULL);
  job->output = g_build_filename (sim->work_dir, "renders", file, NULL);
  job->url = g_strdup_printf ("%s/cdn/renders/%s.mp4", sim->cdn_url, id);
  job->started_us = g_get_monotonic_time ();

  g_mutex_lock (&sim->lock);
  g_hash_table_insert (sim->renders, job->id, job);
  g_mutex_unlock (&sim->lock);
  if (session)
    g_ptr_array_add (session->render_ids, g_strdup (id));

  if (!resolve_sources (sim, job->draft, &reason)
      || !job_format (sim, job, &reason)) {
    /* a job that fails at once, with the reason in its status */
    job_update (job, SIM_RENDER_FAILED, 0, reason);
    g_free (reason);
    sim_reply_success (msg, job_brief (job));
    return;
  }
  /* the job is pending when it is accepted, whatever its thread does next */
  sim_reply_success (msg, job_brief (job));
  job->thread = g_thread_new ("nemo-sim-render", render_thread, job);
}

/* ---- status, cancel, download ---- */

static SimRenderJob *
find_job (NemoSim * sim, SoupServerMessage * msg, const gchar * id)
{
  SimRenderJob *job = g_hash_table_lookup (sim->renders, id);
  g_autofree gchar *text = NULL;

  if (job == NULL) {
    text = g_strdup_printf ("Render job %s not found.", id);
    sim_reply_failure (msg, SOUP_STATUS_NOT_FOUND, 404, text);
  }
  return job;
}

void
sim_export_status (NemoSim * sim, SoupServerMessage * msg, const gchar * id)
{
  SimRenderJob *job = find_job (sim, msg, id);
  g_autoptr (JsonObject) status = json_object_new ();
  g_autoptr (JsonNode) root = NULL;
  JsonObject *output;
  gboolean top = sim->options.status_shape == NEMO_SIM_STATUS_TOP;

  if (job == NULL)
    return;
  json_object_set_string_member (status, "id", job->id);
  g_mutex_lock (&sim->lock);
  json_object_set_string_member (status, "status", state_name (job->state));
  json_object_set_int_member (status, "progress", job->progress);
  if (job->state == SIM_RENDER_FAILED)
    json_object_set_string_member (status, "error", job->error);
  if (job->state == SIM_RENDER_COMPLETED && top) {
    output = json_object_new ();
    json_object_set_string_member (output, "url", job->url);
    json_object_set_double_member (output, "duration", job->duration_s);
    json_object_set_int_member (output, "size", job->size);
    json_object_set_object_member (status, "output", output);
  } else if (job->state == SIM_RENDER_COMPLETED) {
    json_object_set_string_member (status, "outputUrl", job->url);
  }
  g_mutex_unlock (&sim->lock);

  if (top) {
    root = json_node_init_object (json_node_alloc (), status);
    sim_reply_json (msg, SOUP_STATUS_OK, root);
  } else {
    sim_reply_success (msg, json_node_init_object (json_node_alloc (),
            status));
  }
}

void
sim_export_cancel (NemoSim * sim, SoupServerMessage * msg, const gchar * id)
{
  SimRenderJob *job = find_job (sim, msg, id);
  g_autoptr (JsonObject) data = json_object_new ();
  gboolean running;

  if (job == NULL)
    return;
  g_mutex_lock (&sim->lock);
  running = job->state == SIM_RENDER_PENDING
      || job->state == SIM_RENDER_PROCESSING;
  g_mutex_unlock (&sim->lock);
  if (running) {
    g_cancellable_cancel (job->cancellable);
    g_mutex_lock (&sim->lock);
    g_cond_broadcast (&sim->cond);
    g_mutex_unlock (&sim->lock);
  }
  json_object_set_string_member (data, "id", job->id);
  json_object_set_boolean_member (data, "cancelled", running);
  sim_reply_success (msg, json_node_init_object (json_node_alloc (), data));
}

void
sim_export_download (NemoSim * sim, SoupServerMessage * msg, const gchar * id)
{
  SimRenderJob *job = find_job (sim, msg, id);
  g_autofree gchar *text = NULL;
  SimRenderState state;

  if (job == NULL)
    return;
  g_mutex_lock (&sim->lock);
  state = job->state;
  g_mutex_unlock (&sim->lock);
  if (state != SIM_RENDER_COMPLETED) {
    text = g_strdup_printf ("Render %s is %s: download it once it is "
        "completed.", id, state_name (state));
    sim_reply_failure (msg, SOUP_STATUS_CONFLICT, 409, text);
    return;
  }
  sim_stream_render (sim, msg, job->output);
}

void
sim_stream_render (NemoSim * sim, SoupServerMessage * msg, const gchar * path)
{
  sim_stream_file (sim, msg, path, "video/mp4",
      sim->options.drop_download ? SIM_CUT_HALF :
      sim->options.short_body ? SIM_CUT_SHORT : SIM_CUT_NONE,
      sim->options.slow_download_ms);
}

JsonNode *
sim_export_list (NemoSim * sim, const SimSession * session)
{
  JsonArray *list = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);
  guint i;

  for (i = 0; i < session->render_ids->len; i++) {
    SimRenderJob *job = g_hash_table_lookup (sim->renders,
        session->render_ids->pdata[i]);
    JsonObject *item;

    if (job == NULL)
      continue;
    item = json_object_new ();
    json_object_set_string_member (item, "id", job->id);
    json_object_set_string_member (item, "type", "video");
    g_mutex_lock (&sim->lock);
    json_object_set_string_member (item, "status", state_name (job->state));
    json_object_set_int_member (item, "progress", job->progress);
    if (job->state == SIM_RENDER_COMPLETED)
      json_object_set_string_member (item, "url", job->url);
    g_mutex_unlock (&sim->lock);
    json_array_add_object_element (list, item);
  }
  json_node_take_array (node, list);
  return node;
}

gchar *
sim_export_dup_path (NemoSim * sim, const gchar * id)
{
  SimRenderJob *job;
  gchar *path = NULL;

  g_mutex_lock (&sim->lock);
  job = g_hash_table_lookup (sim->renders, id);
  if (job && job->state == SIM_RENDER_COMPLETED)
    path = g_strdup (job->output);
  g_mutex_unlock (&sim->lock);
  return path;
}

gint64
sim_export_get_completed (NemoSim * sim, const gchar * id)
{
  SimRenderJob *job;
  gint64 completed = 0;

  g_mutex_lock (&sim->lock);
  job = g_hash_table_lookup (sim->renders, id);
  if (job)
    completed = job->completed_us;
  g_mutex_unlock (&sim->lock);
  return completed;
}

void
sim_export_stop_all (NemoSim * sim)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, sim->renders);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_cancellable_cancel (((SimRenderJob *) value)->cancellable);
  g_mutex_lock (&sim->lock);
  g_cond_broadcast (&sim->cond);
  g_mutex_unlock (&sim->lock);

  g_hash_table_iter_init (&iter, sim->renders);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    SimRenderJob *job = value;

    if (job->thread)
      g_thread_join (g_steal_pointer (&job->thread));
  }
}
