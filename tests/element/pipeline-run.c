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
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING)
      != GST_STATE_CHANGE_FAILURE);
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

