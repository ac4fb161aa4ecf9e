/* Element tests: run a pipeline around nemorender and keep what a user
 * would see.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "pipeline-run.h"

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <unistd.h>

/* The longest a job may stay silent on the bus before the run fails; the
 * meson timeout bounds the whole test. */
#define RUN_MESSAGE_TIMEOUT (300 * GST_SECOND)

gchar *
data_path (const gchar * name)
{
  const gchar *dir = g_getenv ("NEMO_TEST_DATA");

  fail_unless (dir != NULL, "NEMO_TEST_DATA is not set: run through meson test");
  return g_build_filename (dir, name, NULL);
}

/* Replace every {name} in @pipeline with the test file's path. */
gchar *
expand_paths (const gchar * pipeline)
{
  GString *s = g_string_new (NULL);
  const gchar *p = pipeline;

  while (*p) {
    const gchar *close;

    if (*p == '{' && (close = strchr (p, '}')) != NULL) {
      g_autofree gchar *name = g_strndup (p + 1, close - p - 1);
      g_autofree gchar *path = data_path (name);

      g_string_append (s, path);
      p = close + 1;
    } else {
      g_string_append_c (s, *p++);
    }
  }
  return g_string_free (s, FALSE);
}

GstElement *
pipeline_new (const gchar * description)
{
  g_autofree gchar *expanded = expand_paths (description);
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (expanded, &error);

  fail_unless (pipeline != NULL && error == NULL, "%s: %s", expanded,
      error ? error->message : "?");
  return pipeline;
}

void
wait_for_eos (GstElement * pipeline, GstClockTime timeout)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, timeout,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  GError *error = NULL;

  fail_unless (msg != NULL, "no EOS after %" GST_TIME_FORMAT,
      GST_TIME_ARGS (timeout));
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &error, NULL);
  fail_unless (error == NULL, "unexpected error: %s",
      error ? error->message : "");
  gst_message_unref (msg);
  gst_object_unref (bus);
}

void
run_result_clear (RunResult * r)
{
  if (r->output)
    g_unlink (r->output);
  g_free (r->output);
  g_clear_error (&r->error);
  g_clear_pointer (&r->error_details, gst_structure_free);
  g_clear_pointer (&r->messages, g_ptr_array_unref);
  g_clear_pointer (&r->progress, g_ptr_array_unref);
}

static GstPadProbeReturn
watch_src (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RunResult *r = user_data;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER)
    r->bytes_pushed += gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
  else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
    r->eos_pushed = TRUE;
  return GST_PAD_PROBE_OK;
}

static void
collect_message (RunResult * r, GstMessage * msg)
{
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      g_ptr_array_add (r->messages,
          gst_structure_copy (gst_message_get_structure (msg)));
      break;
    case GST_MESSAGE_PROGRESS:{
      GstProgressType type;
      gchar *code, *text;

      gst_message_parse_progress (msg, &type, &code, &text);
      g_ptr_array_add (r->progress, g_strdup_printf ("%s:%s",
              type == GST_PROGRESS_TYPE_START ? "START" :
              type == GST_PROGRESS_TYPE_COMPLETE ? "COMPLETE" :
              type == GST_PROGRESS_TYPE_ERROR ? "ERROR" : "OTHER", code));
      g_free (code);
      g_free (text);
      break;
    }
    default:
      break;
  }
}

void
run_pipeline (const gchar * description, RunResult * r)
{
  run_pipeline_with (description, NULL, NULL, r);
}

void
run_pipeline_with (const gchar * description, RunSetupFunc setup,
    gpointer user_data, RunResult * r)
{
  g_autofree gchar *expanded = expand_paths (description);
  g_autofree gchar *full = NULL;
  GstElement *pipeline, *render;
  GstPad *src;
  GstBus *bus;
  GError *parse_error = NULL;
  gboolean done = FALSE;
  gint fd;

  fd = g_file_open_tmp ("nemo-test-XXXXXX.mp4", &r->output, NULL);
  fail_unless (fd >= 0);
  close (fd);
  r->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  r->progress = g_ptr_array_new_with_free_func (g_free);

  full = g_strdup_printf ("%s ! filesink location=%s", expanded, r->output);
  /* the filesink link is written first for gst-launch-like readability */
  pipeline = gst_parse_launch (full, &parse_error);
  fail_unless (pipeline != NULL, "%s: %s", full,
      parse_error ? parse_error->message : "?");
  g_clear_error (&parse_error);

  render = gst_bin_get_by_name (GST_BIN (pipeline), "r");
  fail_unless (render != NULL, "the pipeline must name nemorender r");
  src = gst_element_get_static_pad (render, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, watch_src, r, NULL);
  gst_object_unref (src);
  if (setup != NULL)
    setup (render, user_data);
  gst_object_unref (render);

  bus = gst_element_get_bus (pipeline);
  /* a failed state change has posted its error: it is read below */
  r->start_failed = gst_element_set_state (pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE;
  while (!done) {
    GstMessage *msg = gst_bus_timed_pop (bus, RUN_MESSAGE_TIMEOUT);

    fail_unless (msg != NULL, "nothing on the bus for %" GST_TIME_FORMAT,
        GST_TIME_ARGS (RUN_MESSAGE_TIMEOUT));

    collect_message (r, msg);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR && r->error == NULL) {
      const GstStructure *details = NULL;

      gst_message_parse_error (msg, &r->error, NULL);
      gst_message_parse_error_details (msg, &details);
      if (details)
        r->error_details = gst_structure_copy (details);
      done = TRUE;
    }
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS)
      done = TRUE;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT && r->on_message
        && r->on_message (gst_message_get_structure (msg), r->on_message_data))
      done = TRUE;
    gst_message_unref (msg);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

void
assert_success (const RunResult * r)
{
  fail_unless (r->error == NULL, "unexpected error: %s",
      r->error ? r->error->message : "");
  fail_unless (r->bytes_pushed > 0);
}

const GstStructure *
find_message (const RunResult * r, const gchar * name)
{
  guint i;

  for (i = 0; i < r->messages->len; i++)
    if (gst_structure_has_name (r->messages->pdata[i], name))
      return r->messages->pdata[i];
  return NULL;
}


/* ---- stopping a job half-way ------------------------------------------- */

/* How long a stopped job's threads may take to be gone from /proc. */
#define THREADS_SETTLE_S 5

/* Bounds the wait for the stage to begin (inputs, a real render first). */
#define STAGE_START_TIMEOUT (90 * GST_SECOND)

/* The process's threads (/proc/self/task), less GLib's shared pool
 * workers ("pool-…"): GLib starts another when async work (a file query, a
 * lookup) overlaps, and keeps idle ones, so their number depends on timing.
 * The job's own threads (the element's task, the sim's, the renders) are
 * named otherwise and are counted.  Their names go into @names. */
static guint
list_threads (GString * names)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *task;
  guint n = 0;

  fail_unless (dir != NULL);
  g_string_truncate (names, 0);
  while ((task = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *comm_path = g_strdup_printf ("/proc/self/task/%s/comm",
        task);
    g_autofree gchar *comm = NULL;

    /* a thread that ended since the listing has no comm any more */
    if (g_file_get_contents (comm_path, &comm, NULL, NULL)
        && !g_str_has_prefix (comm, "pool-")) {
      g_string_append_printf (names, "%s%s", n > 0 ? ", " : "",
          g_strchomp (comm));
      n++;
    }
  }
  g_dir_close (dir);
  return n;
}

typedef struct
{
  const gchar *stage;
  gint buffers;                 /* reached the sink */
  gint errors;                  /* posted on the bus */
  gchar *first_error;
  gint stage_done;              /* @stage reported 100 % (NULL: any stage began) */
} StopWatch;

static void
count_buffer (GstElement * sink, GstBuffer * buffer, GstPad * pad,
    gpointer data)
{
  StopWatch *watch = data;

  g_atomic_int_inc (&watch->buffers);
}

/* Sees every message as it is posted, from the posting thread: a pipeline
 * going to NULL flushes its bus, so popping afterwards would miss one. */
static GstBusSyncReply
watch_bus (GstBus * bus, GstMessage * msg, gpointer data)
{
  StopWatch *watch = data;
  const GstStructure *s = gst_message_get_structure (msg);
  gdouble percent = 0.0;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR
      && g_atomic_int_add (&watch->errors, 1) == 0) {
    GError *error = NULL;

    gst_message_parse_error (msg, &error, NULL);
    watch->first_error = g_strdup (error->message);
    g_error_free (error);
  }
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT
      && gst_structure_has_name (s, "nemorender-progress")
      && (watch->stage == NULL
          || (g_strcmp0 (gst_structure_get_string (s, "stage"),
                  watch->stage) == 0
              && gst_structure_get_double (s, "percent", &percent)
              && percent >= 100.0)))
    g_atomic_int_set (&watch->stage_done, 1);
  return GST_BUS_PASS;
}

/* Pop until nemorender's progress names @stage; an error, an EOS or
 * @timeout going by first fails the test. */
static void
wait_for_stage (GstBus * bus, const gchar * stage, GstClockTime timeout)
{
  gint64 deadline = g_get_monotonic_time () + timeout / GST_USECOND;

  for (;;) {
    gint64 left_us = MAX (deadline - g_get_monotonic_time (), 0);
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, left_us * GST_USECOND,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    const GstStructure *s;
    gboolean reached;

    fail_unless (msg != NULL, "no “%s” progress after %" GST_TIME_FORMAT,
        stage, GST_TIME_ARGS (timeout));
    fail_if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT,
        "%s before the %s stage", GST_MESSAGE_TYPE_NAME (msg), stage);
    s = gst_message_get_structure (msg);
    reached = gst_structure_has_name (s, "nemorender-progress")
        && g_strcmp0 (gst_structure_get_string (s, "stage"), stage) == 0;
    gst_message_unref (msg);
    if (reached)
      return;
  }
}

void
stop_in_stage (const gchar * description, const gchar * stage,
    StageReachedFunc reached, gpointer data, gint64 bound_ms)
{
  g_autofree gchar *expanded = expand_paths (description);
  StopWatch watch = { stage, };
  GstElement *pipeline, *render, *sink;
  GstPad *src;
  GstBus *bus;
  GstStateChangeReturn ret;
  gint64 stop_started, stop_ms;
  const gchar *where = stage ? stage : "collecting";

  pipeline = gst_parse_launch (expanded, NULL);
  fail_unless (pipeline != NULL, "%s", expanded);
  render = gst_bin_get_by_name (GST_BIN (pipeline), "r");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  fail_unless (render != NULL && sink != NULL);
  src = gst_element_get_static_pad (render, "src");
  g_object_set (sink, "signal-handoffs", TRUE, NULL);
  g_signal_connect (sink, "handoff", G_CALLBACK (count_buffer), &watch);
  bus = gst_element_get_bus (pipeline);
  gst_bus_set_sync_handler (bus, watch_bus, &watch, NULL);

  /* ASYNC: the job runs in PAUSED; the bus says when it is in the stage */
  ret = gst_element_set_state (pipeline, GST_STATE_PLAYING);
  fail_if (ret == GST_STATE_CHANGE_FAILURE);
  if (stage != NULL)
    wait_for_stage (bus, stage, STAGE_START_TIMEOUT);
  if (reached != NULL)
    reached (pipeline, data);

  stop_started = g_get_monotonic_time ();
  ret = gst_element_set_state (pipeline, GST_STATE_NULL);
  stop_ms = (g_get_monotonic_time () - stop_started) / 1000;
  GST_INFO ("stopped in the %s stage in %" G_GINT64_FORMAT " ms", where,
      stop_ms);
  fail_unless_equals_int (ret, GST_STATE_CHANGE_SUCCESS);
  fail_unless (stop_ms < bound_ms, "stopping in the %s stage took %"
      G_GINT64_FORMAT " ms", where, stop_ms);
  fail_unless (GST_PAD_TASK (src) == NULL, "the src task outlived NULL");
  fail_unless_equals_int (g_atomic_int_get (&watch.buffers), 0);
  fail_unless (g_atomic_int_get (&watch.errors) == 0, "an error was posted: "
      "%s", watch.first_error);
  fail_if (g_atomic_int_get (&watch.stage_done), stage ? "the %s stage "
      "finished before the stop" : "a stage began while the inputs were "
      "still arriving", stage);

  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (render);
  gst_object_unref (pipeline);
  g_free (watch.first_error);
}

void
assert_threads_steady (void (*cycle) (gpointer data), gpointer data,
    const gchar * what)
{
  g_autoptr (GString) first = g_string_new (NULL);
  g_autoptr (GString) second = g_string_new (NULL);
  gint64 deadline;
  guint after_first, now;

  cycle (data);
  after_first = list_threads (first);
  cycle (data);
  /* a thread joined by the stop may still be leaving the kernel's list */
  deadline = g_get_monotonic_time () + THREADS_SETTLE_S * G_USEC_PER_SEC;
  while ((now = list_threads (second)) > after_first
      && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  fail_unless (now <= after_first, "%u threads after the first stop %s (%s), "
      "%u after the second (%s)", after_first, what, first->str, now,
      second->str);
}
