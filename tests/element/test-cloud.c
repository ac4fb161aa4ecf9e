/* nemorender's cloud backend end to end: real pipelines against nemo-sim on
 * 127.0.0.1 (in this process, so the test can read its counters), one test
 * per documented behaviour, each asserting what the user sees: the MP4's
 * bytes, the messages, the error text, the number of requests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <nemo/sim.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "output-check.h"
#include "pipeline-run.h"

#define INPUTS "audio-uri={tone.mp3} visual-uri={cover.jpg}"

typedef struct
{
  NemoSimOptions options;
  NemoSim *sim;
} Sim;

static void
sim_init (Sim * s)
{
  nemo_sim_options_init (&s->options);
  s->options.width = 320;
  s->options.height = 180;
  s->options.silent_edit_rate = 0.0;
}

static void
sim_start (Sim * s)
{
  GError *error = NULL;

  s->sim = nemo_sim_new (&s->options, &error);
  fail_unless (s->sim != NULL, "nemo-sim: %s", error ? error->message : "");
}

/* Run "nemorender name=r backend=cloud api-url=<sim> @props" to the end. */
static void
run_cloud (Sim * s, const gchar * props, RunResult * r)
{
  g_autofree gchar *description = g_strdup_printf ("nemorender name=r "
      "backend=cloud api-url=%s poll-interval=50 %s",
      nemo_sim_get_url (s->sim), props);

  run_pipeline (description, r);
}

static void
sim_stop (Sim * s)
{
  g_clear_pointer (&s->sim, nemo_sim_free);
}

static guint
count_messages (const RunResult * r, const gchar * name)
{
  guint i, n = 0;

  for (i = 0; i < r->messages->len; i++)
    n += gst_structure_has_name (r->messages->pdata[i], name);
  return n;
}

static const gchar *
job_render_id (const RunResult * r)
{
  guint i;

  for (i = 0; i < r->messages->len; i++) {
    const GstStructure *s = r->messages->pdata[i];

    if (gst_structure_has_name (s, "nemorender-job")
        && gst_structure_has_field (s, "render-id"))
      return gst_structure_get_string (s, "render-id");
  }
  return NULL;
}

/* The file the sink wrote is, byte for byte, what the sim rendered. */
static void
assert_bytes_served (Sim * s, const RunResult * r)
{
  g_autofree gchar *served_path = NULL;
  g_autofree gchar *served = NULL;
  g_autofree gchar *received = NULL;
  gsize served_len, received_len;
  const gchar *render_id = job_render_id (r);

  fail_unless (render_id != NULL, "no nemorender-job with a render-id");
  served_path = nemo_sim_dup_render_path (s->sim, render_id);
  fail_unless (served_path != NULL);
  fail_unless (g_file_get_contents (served_path, &served, &served_len, NULL));
  fail_unless (g_file_get_contents (r->output, &received, &received_len,
          NULL));
  fail_unless_equals_uint64 (received_len, served_len);
  fail_unless (memcmp (received, served, served_len) == 0);
  fail_unless_equals_uint64 (r->bytes_pushed, served_len);
  /* the CDN never saw the token */
  fail_unless_equals_int (nemo_sim_get_cdn_authorization_count (s->sim), 0);
}

/* What a failed job must tell its application: the GStreamer domain and
 * code it maps to, the details (nemo-code is the service's own code or 0,
 * http-status the service's last HTTP status or 0 when none was asked), and
 * the phrases that say what went wrong and what to do. */
typedef struct
{
  GQuark domain;
  gint code;
  gint nemo_code;
  guint http_status;
  const gchar *phrases[4];
} ExpectedError;

static void
assert_cloud_error (const RunResult * r, const ExpectedError * expected)
{
  gint nemo_code = -1;
  guint http_status = G_MAXUINT;
  guint i;

  fail_unless (r->error != NULL, "the job did not fail");
  fail_unless (r->error->domain == expected->domain
      && r->error->code == expected->code, "got %s %d, expected %s %d: %s",
      g_quark_to_string (r->error->domain), r->error->code,
      g_quark_to_string (expected->domain), expected->code,
      r->error->message);
  for (i = 0; i < G_N_ELEMENTS (expected->phrases) && expected->phrases[i];
      i++)
    fail_unless (strstr (r->error->message, expected->phrases[i]) != NULL,
        "“%s” is not in “%s”", expected->phrases[i], r->error->message);
  fail_unless (r->error_details != NULL, "the error has no details");
  fail_unless (gst_structure_get_int (r->error_details, "nemo-code",
          &nemo_code));
  fail_unless (gst_structure_get_uint (r->error_details, "http-status",
          &http_status));
  fail_unless_equals_int (nemo_code, expected->nemo_code);
  fail_unless_equals_int (http_status, expected->http_status);
  /* no partial MP4 ends as if it were whole */
  fail_if (r->eos_pushed);
}

GST_START_TEST (test_cloud_whole_cycle)
{
  Sim s;
  RunResult r = { 0, };
  Output out;
  const gdouble snapshot[] = { 4.0, -1 };
  const GstStructure *credits, *reply;
  gint64 available = 0;
  guint i;
  const gchar *stages[] = { "upload", "chat", "render", "download" };

  sim_init (&s);
  sim_start (&s);
  run_cloud (&s, "prompt=\"a calm video for my song\" " INPUTS, &r);
  assert_success (&r);
  assert_bytes_served (&s, &r);
  fail_unless (r.eos_pushed);

  /* a real music video: the contract, and the cover in the middle */
  output_read (r.output, snapshot, &out);
  output_assert_contract_near (r.output, &out, 320, 180, 30, 8.0, 0.001);
  assert_rgb_near (rgb_pixel (out.snapshot[0], 160, 90), 255, 128, 0, 40);
  output_clear (&out);

  /* what the user saw on the bus */
  reply = find_message (&r, "nemorender-reply");
  fail_unless (reply != NULL);
  /* the agent's GUI wording is translated for a pipeline user */
  fail_if (strstr (gst_structure_get_string (reply, "text"), "Click") != NULL);
  fail_unless (find_message (&r, "nemorender-timeline") != NULL);
  fail_unless (g_str_has_prefix (gst_structure_get_string (find_message (&r,
                  "nemorender-timeline"), "summary"), "Timeline ("));
  credits = find_message (&r, "nemorender-credits");
  fail_unless (credits != NULL);
  fail_unless (gst_structure_get_int64 (credits, "available", &available));
  fail_unless (available > 0);
  fail_unless (gst_structure_get_string (find_message (&r, "nemorender-job"),
          "session-id") != NULL);
  for (i = 0; i < G_N_ELEMENTS (stages); i++) {
    g_autofree gchar *start = g_strdup_printf ("START:%s", stages[i]);
    g_autofree gchar *complete = g_strdup_printf ("COMPLETE:%s", stages[i]);
    gboolean saw_start = FALSE, saw_complete = FALSE;
    guint j;

    for (j = 0; j < r.progress->len; j++) {
      saw_start |= g_str_equal (r.progress->pdata[j], start);
      saw_complete |= g_str_equal (r.progress->pdata[j], complete);
    }
    fail_unless (saw_start && saw_complete, "stage %s", stages[i]);
  }
  /* one anonymous token, one session, two uploads, one export */
  fail_unless_equals_int (nemo_sim_get_request_count (s.sim,
          "/api/auth/anonymous-token"), 1);
  fail_unless_equals_int (nemo_sim_get_request_count (s.sim,
          "/api/tasks/me/with-session"), 1);
  fail_unless_equals_int (nemo_sim_get_request_count (s.sim,
          "/api/upload-video"), 2);
  run_result_clear (&r);
  sim_stop (&s);
}
GST_END_TEST;

/* The other event shape and status shape, in Chinese. */
GST_START_TEST (test_cloud_typed_events_data_status)
{
  Sim s;
  RunResult r = { 0, };
  const gchar *text;

  sim_init (&s);
  s.options.event_shape = NEMO_SIM_EVENTS_TYPED;
  s.options.status_shape = NEMO_SIM_STATUS_DATA;
  sim_start (&s);
  run_cloud (&s, "language=zh " INPUTS, &r);
  assert_success (&r);
  assert_bytes_served (&s, &r);
  text = gst_structure_get_string (find_message (&r, "nemorender-reply"),
      "text");
  /* Chinese, and no GUI instruction left in it */
  fail_unless (g_utf8_validate (text, -1, NULL));
  fail_unless (strstr (text, "点击") == NULL);
  run_result_clear (&r);
  sim_stop (&s);
}
GST_END_TEST;

/* Pad input is transcoded for the service (WAV → MP3, one frame → PNG). */
GST_START_TEST (test_cloud_pads)
{
  Sim s;
  RunResult r = { 0, };
  g_autofree gchar *description = NULL;

  sim_init (&s);
  sim_start (&s);
  description = g_strdup_printf ("nemorender name=r backend=cloud "
      "api-url=%s poll-interval=50 "
      "filesrc location={tone.flac} ! decodebin ! audioconvert ! r.audio "
      "filesrc location={cover.png} ! decodebin ! videoconvert ! r.video_0 r.",
      nemo_sim_get_url (s.sim));
  run_pipeline (description, &r);
  assert_success (&r);
  assert_bytes_served (&s, &r);
  run_result_clear (&r);
  sim_stop (&s);
}
GST_END_TEST;

/* 1001: a new anonymous token, the call retried once, the job goes on. */
GST_START_TEST (test_cloud_token_expiry)
{
  Sim s;
  RunResult r = { 0, };

  sim_init (&s);
  s.options.expire_token_after = 4;
  sim_start (&s);
  run_cloud (&s, INPUTS, &r);
  assert_success (&r);
  assert_bytes_served (&s, &r);
  fail_unless_equals_int (nemo_sim_get_request_count (s.sim,
          "/api/auth/anonymous-token"), 2);
  run_result_clear (&r);
  sim_stop (&s);
}
GST_END_TEST;

/* 1002: a new session, the uploads sent again, the call retried once. */
GST_START_TEST (test_cloud_lost_session)
{
  Sim s;
  RunResult r = { 0, };

  sim_init (&s);
  s.options.lose_session_after = 5;
  sim_start (&s);
  run_cloud (&s, INPUTS, &r);
  assert_success (&r);
  assert_bytes_served (&s, &r);
  fail_unless_equals_int (nemo_sim_get_request_count (s.sim,
          "/api/tasks/me/with-session"), 2);
  fail_unless (nemo_sim_get_request_count (s.sim, "/api/upload-video") >= 3);
  /* the application is told the new session */
  fail_unless (count_messages (&r, "nemorender-job") >= 3);
  run_result_clear (&r);
  sim_stop (&s);
}
GST_END_TEST;

/* 429: Retry-After honoured, retried once. */
GST_START_TEST (test_cloud_rate_limited)
{
  Sim s;
  RunResult r = { 0, };

  sim_init (&s);
  s.options.rate_limit = "/api/tasks";
  sim_start (&s);
  run_cloud (&s, INPUTS, &r);
  assert_success (&r);
  fail_unless_equals_int (nemo_sim_get_request_count (s.sim,
          "/api/tasks/me/with-session"), 2);
  run_result_clear (&r);
  sim_stop (&s);
}
GST_END_TEST;

/* 5xx: retried with backoff up to `retries`, then a clear error. */
GST_START_TEST (test_cloud_server_errors)
{
  Sim s;
  RunResult r = { 0, };
  const ExpectedError unavailable = { GST_RESOURCE_ERROR,
    GST_RESOURCE_ERROR_READ, 0, 503,
    {"HTTP 503", "after 2 attempts", "try again later"}
  };

  sim_init (&s);
  s.options.server_error = "/api/upload-video";
  s.options.server_error_count = 2;
  sim_start (&s);
  run_cloud (&s, "retries=2 " INPUTS, &r);
  assert_success (&r);
  /* two failures, then the before upload, then the after */
  fail_unless_equals_int (nemo_sim_get_request_count (s.sim,
          "/api/upload-video"), 4);
  run_result_clear (&r);
  sim_stop (&s);

  sim_init (&s);
  s.options.server_error = "/api/upload-video";
  s.options.server_error_count = 5;
  sim_start (&s);
  memset (&r, 0, sizeof (r));
  run_cloud (&s, "retries=1 " INPUTS, &r);
  assert_cloud_error (&r, &unavailable);
  fail_unless_equals_int (nemo_sim_get_request_count (s.sim,
          "/api/upload-video"), 2);
  run_result_clear (&r);
  sim_stop (&s);
}
GST_END_TEST;

GST_START_TEST (test_cloud_no_credits)
{
  Sim s;
  RunResult r = { 0, };
  /* the sim answers 2001 in an HTTP 200 envelope */
  const ExpectedError out_of_credits = { GST_RESOURCE_ERROR,
    GST_RESOURCE_ERROR_NOT_AUTHORIZED, 2001, 200,
    {"Out of credits", "register?bind=test-client-42", "top up"}
  };

  sim_init (&s);
  s.options.no_credits = TRUE;
  sim_start (&s);
  run_cloud (&s, "client-id=test-client-42 " INPUTS, &r);
  assert_cloud_error (&r, &out_of_credits);
  fail_unless_equals_uint64 (r.bytes_pushed, 0);
  run_result_clear (&r);
  sim_stop (&s);
}
GST_END_TEST;

GST_START_TEST (test_cloud_export_402)
{
  Sim s;
  RunResult r = { 0, };
  /* 402 is an HTTP status, not one of the service's codes: nemo-code 0 */
  const ExpectedError export_blocked = { GST_RESOURCE_ERROR,
    GST_RESOURCE_ERROR_NOT_AUTHORIZED, 0, 402,
    {"Register or upgrade your plan to unlock export", "about the plan"}
  };

  sim_init (&s);
  s.options.export_402 = TRUE;
  sim_start (&s);
  run_cloud (&s, INPUTS, &r);
  assert_cloud_error (&r, &export_blocked);
  fail_unless (strstr (r.error->message, "credit") == NULL);
  run_result_clear (&r);
  sim_stop (&s);
}
GST_END_TEST;

/* A slow render: progress as it goes, polls adapting, then the video. */
GST_START_TEST (test_cloud_slow_render)
{
  Sim s;
  RunResult r = { 0, };
  guint i, renders = 0;
  gdouble last = -1;

  sim_init (&s);
  s.options.slow_render_ms = 1500;
  sim_start (&s);
  run_cloud (&s, INPUTS, &r);
  assert_success (&r);
  assert_bytes_served (&s, &r);
  for (i = 0; i < r.messages->len; i++) {
    const GstStructure *m = r.messages->pdata[i];
    gdouble percent;

    if (!gst_structure_has_name (m, "nemorender-progress")
        || !g_str_equal (gst_structure_get_string (m, "stage"), "render"))
      continue;
    gst_structure_get_double (m, "percent", &percent);
    fail_unless (percent >= last);
    last = percent;
    renders++;
  }
  fail_unless (renders >= 2, "%u render progress messages", renders);
  run_result_clear (&r);
  sim_stop (&s);
}
GST_END_TEST;

GST_START_TEST (test_cloud_failed_render)
{
  Sim s;
  RunResult r = { 0, };
  /* the service's reason, and what to do about it */
  const ExpectedError render_failed = { GST_RESOURCE_ERROR,
    GST_RESOURCE_ERROR_READ, 0, 200,
    {"could not render the video", ": GPU node lost.", "Export again"}
  };

  sim_init (&s);
  s.options.fail_render = "GPU node lost";
  sim_start (&s);
  run_cloud (&s, INPUTS, &r);
  assert_cloud_error (&r, &render_failed);
  run_result_clear (&r);
  sim_stop (&s);
}
GST_END_TEST;

/* Streams cut short, an error in the stream, a model error. */
GST_START_TEST (test_cloud_broken_chat)
{
  Sim s;
  RunResult r = { 0, };
  const ExpectedError broke_off = { GST_RESOURCE_ERROR,
    GST_RESOURCE_ERROR_READ, 0, 200,
    {"broke off during the chat", "check the timeline, then try again"}
  };
  const ExpectedError agent_failed = { GST_RESOURCE_ERROR,
    GST_RESOURCE_ERROR_READ, 0, 200,
    {"The agent failed", ": the agent fell over.", "Try again"}
  };

  sim_init (&s);
  s.options.drop_chat = TRUE;
  sim_start (&s);
  run_cloud (&s, INPUTS, &r);
  assert_cloud_error (&r, &broke_off);
  run_result_clear (&r);
  sim_stop (&s);

  sim_init (&s);
  s.options.stream_error = "the agent fell over";
  sim_start (&s);
  memset (&r, 0, sizeof (r));
  run_cloud (&s, INPUTS, &r);
  assert_cloud_error (&r, &agent_failed);
  run_result_clear (&r);
  sim_stop (&s);
}
GST_END_TEST;

/* chat-limit and render-limit end a turn or a render that goes on too
 * long, with a message that says which limit and how to go on. */
GST_START_TEST (test_cloud_limits)
{
  Sim s;
  RunResult r = { 0, };
  const ExpectedError chat_limit = { GST_RESOURCE_ERROR,
    GST_RESOURCE_ERROR_READ, 0, 200,
    {"after 1 s (chat-limit)", "session-id=", "raise chat-limit"}
  };
  const ExpectedError render_limit = { GST_RESOURCE_ERROR,
    GST_RESOURCE_ERROR_READ, 0, 200,
    {"after 1 s (render-limit)", "Resume later with render-id=",
        "raise render-limit"}
  };

  sim_init (&s);
  s.options.think_ms = 3000;
  s.options.heartbeat_ms = 100;
  sim_start (&s);
  run_cloud (&s, "chat-limit=1 " INPUTS, &r);
  assert_cloud_error (&r, &chat_limit);
  run_result_clear (&r);
  sim_stop (&s);

  sim_init (&s);
  s.options.slow_render_ms = 4000;
  sim_start (&s);
  memset (&r, 0, sizeof (r));
  run_cloud (&s, "render-limit=1 " INPUTS, &r);
  assert_cloud_error (&r, &render_limit);
  run_result_clear (&r);
  sim_stop (&s);
}
GST_END_TEST;

/* The download of @r broke off: the error says so and names the render to
 * resume (the one the job announced, not any render-id=). */
static void
assert_download_broke_off (const RunResult * r)
{
  g_autofree gchar *resume = NULL;
  ExpectedError broke_off = { GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
    0, 200, {"download of the rendered video broke off", NULL}
  };

  fail_unless (job_render_id (r) != NULL);
  resume = g_strdup_printf ("Resume with render-id=%s to download it again",
      job_render_id (r));
  broke_off.phrases[1] = resume;
  assert_cloud_error (r, &broke_off);
}

/* A download that breaks off, or a body shorter than its Content-Length:
 * an error that says so, never a clean EOS. */
GST_START_TEST (test_cloud_broken_download)
{
  Sim s;
  RunResult r = { 0, };

  sim_init (&s);
  s.options.drop_download = TRUE;
  sim_start (&s);
  run_cloud (&s, INPUTS, &r);
  assert_download_broke_off (&r);
  run_result_clear (&r);
  sim_stop (&s);

  sim_init (&s);
  s.options.short_body = TRUE;
  sim_start (&s);
  memset (&r, 0, sizeof (r));
  run_cloud (&s, INPUTS, &r);
  assert_download_broke_off (&r);
  run_result_clear (&r);
  sim_stop (&s);
}
GST_END_TEST;

static gboolean
stop_at_render_id (const GstStructure * s, gpointer data)
{
  return gst_structure_has_name (s, "nemorender-job")
      && gst_structure_has_field (s, "render-id");
}

/* Stop as soon as the render id is known, then resume with render-id=:
 * the download completes without a after export. */
GST_START_TEST (test_cloud_resume_render)
{
  Sim s;
  RunResult before = { 0, };
  RunResult after = { 0, };
  g_autofree gchar *render_id = NULL;
  g_autofree gchar *cancel_path = NULL;
  g_autofree gchar *props = NULL;

  sim_init (&s);
  s.options.slow_render_ms = 1500;
  sim_start (&s);
  before.on_message = stop_at_render_id;
  run_cloud (&s, INPUTS, &before);
  fail_unless (before.error == NULL);
  fail_unless_equals_uint64 (before.bytes_pushed, 0);
  render_id = g_strdup (job_render_id (&before));
  fail_unless (render_id != NULL);
  /* stopping left the job alone: nothing cancelled it */
  cancel_path = g_strdup_printf ("/api/render/proxy/lambda/%s/cancel",
      render_id);
  fail_unless_equals_int (nemo_sim_get_request_count (s.sim, cancel_path), 0);

  props = g_strdup_printf ("render-id=%s", render_id);
  run_cloud (&s, props, &after);
  assert_success (&after);
  assert_bytes_served (&s, &after);
  fail_unless_equals_int (nemo_sim_get_request_count (s.sim,
          "/api/upload-video"), 2);
  run_result_clear (&before);
  run_result_clear (&after);
  sim_stop (&s);
}
GST_END_TEST;

/* session-id= continues a timeline; an edit whose stream says nothing is
 * read back from the state and still posts the new timeline. */
GST_START_TEST (test_cloud_continue_session_silent_edit)
{
  Sim s;
  RunResult before = { 0, };
  RunResult after = { 0, };
  g_autofree gchar *session_id = NULL;
  g_autofree gchar *props = NULL;
  Output out;

  sim_init (&s);
  s.options.silent_edit_rate = 1.0;
  sim_start (&s);
  run_cloud (&s, INPUTS, &before);
  assert_success (&before);
  session_id = g_strdup (gst_structure_get_string (find_message (&before,
              "nemorender-job"), "session-id"));

  props = g_strdup_printf ("session-id=%s prompt=\"make it vertical 9:16\"",
      session_id);
  run_cloud (&s, props, &after);
  assert_success (&after);
  assert_bytes_served (&s, &after);
  /* nothing was said, but the timeline was read and posted */
  fail_unless_equals_int (count_messages (&after, "nemorender-reply"), 0);
  fail_unless (find_message (&after, "nemorender-timeline") != NULL);
  fail_unless_equals_string (gst_structure_get_string (find_message (&after,
              "nemorender-job"), "session-id"), session_id);
  output_read (after.output, NULL, &out);
  fail_unless_equals_int (out.video->width, 180);
  fail_unless_equals_int (out.video->height, 320);
  output_clear (&out);
  run_result_clear (&before);
  run_result_clear (&after);
  sim_stop (&s);
}
GST_END_TEST;

/* Heartbeats keep a long silence alive and show as still-working. */
GST_START_TEST (test_cloud_heartbeats)
{
  Sim s;
  RunResult r = { 0, };

  g_setenv ("NEMO_CLOUD_STILL_WORKING_MS", "200", TRUE);
  sim_init (&s);
  s.options.think_ms = 900;
  s.options.heartbeat_ms = 100;
  sim_start (&s);
  run_cloud (&s, "timeout=1 " INPUTS, &r);
  assert_success (&r);
  fail_unless (count_messages (&r, "nemorender-still-working") >= 1);
  run_result_clear (&r);
  sim_stop (&s);
  g_unsetenv ("NEMO_CLOUD_STILL_WORKING_MS");
}
GST_END_TEST;

/* backend=auto picks the cloud when an api-url is given. */
GST_START_TEST (test_cloud_auto_backend)
{
  Sim s;
  RunResult r = { 0, };
  g_autofree gchar *description = NULL;

  sim_init (&s);
  sim_start (&s);
  description = g_strdup_printf ("nemorender name=r api-url=%s "
      "poll-interval=50 " INPUTS, nemo_sim_get_url (s.sim));
  run_pipeline (description, &r);
  assert_success (&r);
  assert_bytes_served (&s, &r);
  run_result_clear (&r);
  sim_stop (&s);
}
GST_END_TEST;

/* An http(s) URI goes to the service as a URL upload: nobody downloads it
 * on our side. */
GST_START_TEST (test_cloud_url_upload)
{
  Sim s;
  RunResult r = { 0, };
  g_autofree gchar *props = NULL;

  sim_init (&s);
  sim_start (&s);
  props = g_strdup_printf ("audio-uri={tone.mp3} "
      "visual-uri=%s/cdn/remote/cover.jpg", nemo_sim_get_cdn_url (s.sim));
  run_cloud (&s, props, &r);
  assert_success (&r);
  assert_bytes_served (&s, &r);
  fail_unless_equals_int (nemo_sim_get_request_count (s.sim,
          "/api/upload-video"), 2);
  fail_unless_equals_int (nemo_sim_get_request_count (s.sim,
          "/cdn/remote/"), 0);
  run_result_clear (&r);
  sim_stop (&s);
}
GST_END_TEST;

static void
set_token (GstElement * render, gpointer token)
{
  g_object_set (render, "token", token, NULL);
}

/* How many uploads named @filename the service's state of the job's
 * session lists, read as any client would. */
static guint
count_session_uploads (Sim * s, const RunResult * r, const gchar * token,
    const gchar * filename)
{
  const gchar *session_id = gst_structure_get_string (find_message (r,
          "nemorender-job"), "session-id");
  g_autofree gchar *url = NULL;
  g_autofree gchar *bearer = g_strdup_printf ("Bearer %s", token);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonArray *infos;
  guint i, n = 0;

  fail_unless (session_id != NULL);
  url = g_strdup_printf ("%s/api/state/nemo_agent/me/%s/latest",
      nemo_sim_get_url (s->sim), session_id);
  msg = soup_message_new ("GET", url);
  soup_message_headers_append (soup_message_get_request_headers (msg),
      "Authorization", bearer);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  fail_unless (body != NULL, "reading the state: %s", error ? error->message :
      "");
  fail_unless (json_parser_load_from_data (parser, g_bytes_get_data (body,
              NULL), g_bytes_get_size (body), NULL));
  infos = json_object_get_array_member (json_object_get_object_member
      (json_object_get_object_member (json_node_get_object
              (json_parser_get_root (parser)), "data"), "state"),
      "video_infos");
  for (i = 0; i < json_array_get_length (infos); i++)
    n += g_strcmp0 (json_object_get_string_member (json_array_get_object_element
            (infos, i), "filename"), filename) == 0;
  return n;
}

/* The first upload is kept by the service but never answered: the element
 * reads the session's state, sees it there, and goes on without sending it
 * again. */
GST_START_TEST (test_cloud_upload_no_answer)
{
  static const gchar token[] = "nmv_usr_upload-no-answer";
  Sim s;
  RunResult r = { 0, };
  g_autofree gchar *description = NULL;

  g_setenv ("NEMO_CLOUD_IO_TIMEOUT_S", "2", TRUE);
  sim_init (&s);
  s.options.token = token;
  s.options.upload_no_answer = TRUE;
  sim_start (&s);
  description = g_strdup_printf ("nemorender name=r backend=cloud api-url=%s "
      "poll-interval=50 " INPUTS, nemo_sim_get_url (s.sim));
  run_pipeline_with (description, set_token, (gpointer) token, &r);
  g_unsetenv ("NEMO_CLOUD_IO_TIMEOUT_S");
  assert_success (&r);
  assert_bytes_served (&s, &r);
  fail_unless (r.eos_pushed);
  /* one request per input, and each file once in the session */
  fail_unless_equals_int (nemo_sim_get_request_count (s.sim,
          "/api/upload-video/"), 2);
  fail_unless_equals_int (count_session_uploads (&s, &r, token, "tone.mp3"),
      1);
  fail_unless_equals_int (count_session_uploads (&s, &r, token, "cover.jpg"),
      1);
  run_result_clear (&r);
  sim_stop (&s);
}
GST_END_TEST;

/* The URL is echoed in the message, so "http" would match any error about
 * it: check the words of the refusal itself.  No request was made. */
GST_START_TEST (test_cloud_plain_http_refused)
{
  RunResult r = { 0, };
  const ExpectedError refused = { GST_RESOURCE_ERROR,
    GST_RESOURCE_ERROR_SETTINGS, 0, 0,
    {"must start with https://", "only for loopback hosts",
        "never crosses a network unencrypted"}
  };

  run_pipeline ("nemorender name=r backend=cloud "
      "api-url=http://render.example.com " INPUTS, &r);
  assert_cloud_error (&r, &refused);
  run_result_clear (&r);
}
GST_END_TEST;

/* ---- stopping during each stage ---------------------------------------- */

/* A stage made to last this long on purpose: stopping must not wait for it
 * (a tenth of it is far more than a stop needs; this checks behaviour, it is
 * not a performance limit). */
#define LONG_STAGE_MS (120 * 1000)

typedef struct
{
  Sim *sim;
  const gchar *stage;
  const gchar *slow_request;
} CloudStop;

/* Poll (bounded) until the sim has seen a request under @path_prefix. */
static void
wait_for_request (Sim * s, const gchar * path_prefix, GstClockTime timeout)
{
  gint64 deadline = g_get_monotonic_time () + timeout / GST_USECOND;

  while (nemo_sim_get_request_count (s->sim, path_prefix) == 0) {
    fail_unless (g_get_monotonic_time () < deadline, "no request under %s "
        "after %" GST_TIME_FORMAT, path_prefix, GST_TIME_ARGS (timeout));
    g_usleep (10 * 1000);
  }
}

/* The stage's message comes just before its request: stop in the request,
 * where the wait is. */
static void
wait_for_slow_request (GstElement * pipeline, gpointer data)
{
  CloudStop *stop = data;

  wait_for_request (stop->sim, stop->slow_request, 90 * GST_SECOND);
}

/* One cycle with its own sim (a stopped sim has joined all its threads). */
static void
cloud_stop_cycle (gpointer data)
{
  CloudStop *stop = data;
  g_autofree gchar *description = NULL;

  sim_start (stop->sim);
  description = g_strdup_printf ("nemorender name=r backend=cloud "
      "api-url=%s poll-interval=50 " INPUTS " ! fakesink name=sink",
      nemo_sim_get_url (stop->sim->sim));
  stop_in_stage (description, stop->stage, wait_for_slow_request, stop,
      LONG_STAGE_MS / 10);
  sim_stop (stop->sim);
}

static void
assert_stops_in_stage (Sim * s, const gchar * stage,
    const gchar * slow_request)
{
  CloudStop stop = { s, stage, slow_request };
  g_autofree gchar *what = g_strdup_printf ("in the %s stage", stage);

  assert_threads_steady (cloud_stop_cycle, &stop, what);
}

/* The reply to the first upload is held for minutes. */
GST_START_TEST (test_cloud_stop_while_uploading)
{
  Sim s;

  sim_init (&s);
  s.options.slow_upload_ms = LONG_STAGE_MS;
  assert_stops_in_stage (&s, "upload", "/api/upload-video/");
}
GST_END_TEST;

/* The agent thinks for minutes, sending only heartbeats. */
GST_START_TEST (test_cloud_stop_while_chatting)
{
  Sim s;

  sim_init (&s);
  s.options.think_ms = LONG_STAGE_MS;
  s.options.heartbeat_ms = 1000;
  assert_stops_in_stage (&s, "chat", "/run_sse");
}
GST_END_TEST;

/* The render takes minutes: the element is polling its status. */
GST_START_TEST (test_cloud_stop_while_rendering)
{
  Sim s;

  sim_init (&s);
  s.options.slow_render_ms = LONG_STAGE_MS;
  assert_stops_in_stage (&s, "render", "/api/render/proxy/lambda/");
}
GST_END_TEST;

/* The download's headers arrive, its body only minutes later. */
GST_START_TEST (test_cloud_stop_while_downloading)
{
  Sim s;

  sim_init (&s);
  s.options.slow_download_ms = LONG_STAGE_MS;
  assert_stops_in_stage (&s, "download", "/cdn/renders/");
}
GST_END_TEST;

/* Written from every thread that logs: the element's task, the sim's
 * server thread, streaming threads. */
static GString *debug_log;
G_LOCK_DEFINE_STATIC (debug_log);

static void
append_log_line (const gchar * line)
{
  G_LOCK (debug_log);
  if (debug_log != NULL) {
    g_string_append (debug_log, line);
    g_string_append_c (debug_log, '\n');
  }
  G_UNLOCK (debug_log);
}

static void
capture_debug (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer data)
{
  append_log_line (gst_debug_message_get (message));
}

static GLogWriterOutput
capture_glog (GLogLevelFlags level, const GLogField * fields, gsize n_fields,
    gpointer data)
{
  g_autofree gchar *line = g_log_writer_format_fields (level, fields,
      n_fields, FALSE);

  append_log_line (line);
  return G_LOG_WRITER_HANDLED;
}

/* The token never shows: not in GStreamer's debug log at level 9, not in
 * GLib's debug messages, not on the bus. */
GST_START_TEST (test_cloud_token_never_logged)
{
  static const gchar token[] = "nmv_usr_S3CR3T-t0k3n-never-in-logs";
  Sim s;
  RunResult r = { 0, };
  g_autofree gchar *description = NULL;
  guint i;

  debug_log = g_string_new (NULL);
  gst_debug_set_threshold_from_string ("*:9", TRUE);
  gst_debug_add_log_function (capture_debug, NULL, NULL);
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  g_log_set_writer_func (capture_glog, NULL, NULL);

  sim_init (&s);
  s.options.token = token;
  s.options.expire_token_after = 0;
  sim_start (&s);
  description = g_strdup_printf ("nemorender name=r backend=cloud api-url=%s "
      "poll-interval=50 " INPUTS, nemo_sim_get_url (s.sim));
  run_pipeline_with (description, set_token, (gpointer) token, &r);
  assert_success (&r);
  /* the sim accepted our token: no anonymous one was fetched */
  fail_unless_equals_int (nemo_sim_get_request_count (s.sim,
          "/api/auth/anonymous-token"), 0);
  /* every thread that could still log is gone after these */
  sim_stop (&s);
  gst_debug_remove_log_function (capture_debug);
  gst_debug_set_threshold_from_string ("*:2", TRUE);

  fail_unless (debug_log->len > 100000, "the debug log was not captured");
  fail_unless (strstr (debug_log->str, token) == NULL,
      "the token is in the debug log");
  fail_unless (strstr (debug_log->str, "S3CR3T") == NULL);
  for (i = 0; i < r.messages->len; i++) {
    g_autofree gchar *text = gst_structure_to_string (r.messages->pdata[i]);

    fail_unless (strstr (text, "S3CR3T") == NULL);
  }
  G_LOCK (debug_log);
  g_string_free (g_steal_pointer (&debug_log), TRUE);
  G_UNLOCK (debug_log);
  run_result_clear (&r);
}
GST_END_TEST;

static Suite *
cloud_suite (void)
{
  Suite *s = suite_create ("nemorender-cloud");
  TCase *tc = tcase_create ("cloud");

  /* retries back off from 10 ms instead of 1 s */
  g_setenv ("NEMO_CLOUD_BACKOFF_MS", "10", TRUE);
  g_unsetenv ("NEMO_TOKEN");

  /* bounds the waits of run_pipeline(), which has none of its own: a hang
   * fails instead of running forever (meson sets no default timeout) */
  tcase_set_timeout (tc, 600);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_cloud_whole_cycle);
  tcase_add_test (tc, test_cloud_typed_events_data_status);
  tcase_add_test (tc, test_cloud_pads);
  tcase_add_test (tc, test_cloud_token_expiry);
  tcase_add_test (tc, test_cloud_lost_session);
  tcase_add_test (tc, test_cloud_rate_limited);
  tcase_add_test (tc, test_cloud_server_errors);
  tcase_add_test (tc, test_cloud_no_credits);
  tcase_add_test (tc, test_cloud_export_402);
  tcase_add_test (tc, test_cloud_slow_render);
  tcase_add_test (tc, test_cloud_failed_render);
  tcase_add_test (tc, test_cloud_broken_chat);
  tcase_add_test (tc, test_cloud_broken_download);
  tcase_add_test (tc, test_cloud_limits);
  tcase_add_test (tc, test_cloud_resume_render);
  tcase_add_test (tc, test_cloud_continue_session_silent_edit);
  tcase_add_test (tc, test_cloud_heartbeats);
  tcase_add_test (tc, test_cloud_auto_backend);
  tcase_add_test (tc, test_cloud_url_upload);
  tcase_add_test (tc, test_cloud_upload_no_answer);
  tcase_add_test (tc, test_cloud_plain_http_refused);
  tcase_add_test (tc, test_cloud_token_never_logged);
  tcase_add_test (tc, test_cloud_stop_while_uploading);
  tcase_add_test (tc, test_cloud_stop_while_chatting);
  tcase_add_test (tc, test_cloud_stop_while_rendering);
  tcase_add_test (tc, test_cloud_stop_while_downloading);
  return s;
}

GST_CHECK_MAIN (cloud);
