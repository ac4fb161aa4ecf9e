/* The export-status polls against nemo-sim in this process: a paced render
 * (--slow-render-ms) reports progress by the clock, and the client must see
 * it completed soon after the sim finished it, with few polls.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/cloud.h>
#include <nemo/error.h>
#include <nemo/sim.h>
#include <json-glib/json-glib.h>

#include "test-util.h"

#define POLL_INTERVAL_MS 200

typedef struct
{
  gint64 render_done_us;        /* when the client saw the render completed */
  guint64 video_size;
} Seen;

static void
on_progress (const gchar * stage, gdouble percent, gpointer data)
{
  Seen *seen = data;

  if (g_str_equal (stage, "render") && percent >= 100
      && seen->render_done_us == 0)
    seen->render_done_us = g_get_monotonic_time ();
}

static gboolean
on_data (const guint8 * data, gsize size, gpointer user_data, GError ** error)
{
  Seen *seen = user_data;

  seen->video_size += size;
  return TRUE;
}

static const NemoCloudCallbacks callbacks = {
  .progress = on_progress,
  .data = on_data,
};

/* A one-second still video of the test tone and cover, small and quick to
 * render, so that the sim's pace is the render's length. */
static JsonNode *
short_draft (void)
{
  g_autofree gchar *song = data_path ("tone.mp3");
  g_autofree gchar *cover = data_path ("cover.jpg");
  g_autofree gchar *text = g_strdup_printf ("{\"t\":[{\"tt\":1,\"sg\":[{\"k\":"
      "\"music\",\"src\":\"%s\"}]},{\"tt\":0,\"sg\":[{\"k\":\"still\","
      "\"src\":\"%s\"}]}],\"d\":1000,\"m\":{\"w\":160,\"h\":90}}", song,
      cover);

  return json_from_string (text, NULL);
}

/* Export against a sim whose renders take @render_ms; how many status
 * requests it took and how late (µs) the client saw the render completed. */
static void
run_paced_export (guint render_ms, guint * polls, gint64 * late_us)
{
  NemoSimOptions options;
  NemoCloudConfig config;
  g_autoptr (NemoSim) sim = NULL;
  g_autoptr (NemoCloud) cloud = NULL;
  g_autoptr (JsonNode) draft = short_draft ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *render_id = NULL;
  g_autofree gchar *status_path = NULL;
  Seen seen = { 0, };
  gint64 completed;

  nemo_sim_options_init (&options);
  options.slow_render_ms = render_ms;
  sim = nemo_sim_new (&options, &error);
  g_assert_no_error (error);

  nemo_cloud_config_init (&config);
  config.api_url = g_strdup (nemo_sim_get_url (sim));
  config.client_id = g_strdup ("client-polls");
  config.poll_interval_ms = POLL_INTERVAL_MS;
  cloud = nemo_cloud_new (&config, &callbacks, &seen, &error);
  nemo_cloud_config_clear (&config);
  g_assert_no_error (error);

  g_assert_true (nemo_cloud_open_session (cloud, NULL, NULL, &error));
  g_assert_no_error (error);
  render_id = nemo_cloud_export (cloud, draft, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (nemo_cloud_wait_and_download (cloud, render_id, NULL,
          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (seen.video_size, >, 0);

  completed = nemo_sim_get_render_completed (sim, render_id);
  g_assert_cmpint (completed, >, 0);
  g_assert_cmpint (seen.render_done_us, >=, completed);
  status_path = g_strdup_printf ("/api/render/proxy/lambda/%s", render_id);
  *polls = nemo_sim_get_request_count (sim, status_path);
  *late_us = seen.render_done_us - completed;
  g_test_message ("%u ms render: %u polls, completion seen %" G_GINT64_FORMAT
      " ms late", render_ms, *polls, *late_us / 1000);
}

/* Seen at most max(poll-interval, 10 %) late (the floor being the only
 * reason to be later than the aim), with at most 10 polls; doubling alone
 * (0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8 s) would see the 8 s render at
 * 12.8 s. */
static void
check_paced_render (guint render_ms)
{
  guint polls;
  gint64 late_us;

  run_paced_export (render_ms, &polls, &late_us);
  g_assert_cmpuint (polls, <=, 10);
  g_assert_cmpint (late_us, <=, MAX (POLL_INTERVAL_MS, render_ms / 10) *
      (gint64) 1000);
}

static void
test_polls_3s (void)
{
  check_paced_render (3000);
}

static void
test_polls_8s (void)
{
  check_paced_render (8000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cloud/polls/aimed-3s", test_polls_3s);
  g_test_add_func ("/cloud/polls/aimed-8s", test_polls_8s);
  return g_test_run ();
}
