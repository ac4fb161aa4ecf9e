/* nemorender cloud client: export, status polling, download.
 *
 * The draft goes back to the service as it was given (every key intact).
 * Polling starts poll_interval_ms after the first status, then aims at the
 * finish the last two progress reports predict, never more than 30 s
 * apart, and waits as long as a 429 asks.  The video is streamed to the data callback
 * as it arrives; a body that ends before its Content-Length or breaks in a
 * chunk is an error, never a complete video.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cloud-private.h"
#include <nemo/log.h>

#include <math.h>
#include <string.h>

#define DOWNLOAD_CHUNK (64 * 1024)
/* the size and type of an MP4's first box */
#define MP4_HEAD 8
#define POLL_MAX_RATE_LIMITS 10

typedef enum
{
  RENDER_RUNNING,
  RENDER_COMPLETED,
  RENDER_FAILED,
  RENDER_UNKNOWN,               /* a status we cannot read: an error */
} RenderState;

typedef struct
{
  RenderState state;
  gdouble progress;             /* 0-100, or -1 when not reported */
  const gchar *url;             /* borrowed from the reply, or NULL */
  const gchar *reason;          /* why it failed, borrowed, or NULL */
  const gchar *name;            /* the status as sent, borrowed, or NULL */
} RenderStatus;

typedef struct
{
  const gchar *render_id;
  JsonNode *draft;
} ExportRequest;

/* ---- export ----------------------------------------------------------- */

static SoupMessage *
build_export_request (NemoCloud * cloud, gpointer data, GError ** error)
{
  ExportRequest *request = data;
  SoupMessage *msg = cloud_message_new (cloud, "POST", "/api/render/proxy/lambda");
  g_autoptr (JsonNode) body = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object = json_object_new ();
  JsonObject *output = json_object_new ();

  json_object_set_string_member (object, "id", request->render_id);
  json_object_set_string_member (object, "sessionId", cloud->session_id);
  json_object_set_member (object, "draft", json_node_copy (request->draft));
  json_object_set_string_member (output, "format", "mp4");
  json_object_set_string_member (output, "quality", "high");
  json_object_set_object_member (object, "output", output);
  json_node_take_object (body, object);
  cloud_message_set_json (msg, body);
  return msg;
}

gchar *
nemo_cloud_export (NemoCloud * cloud, JsonNode * draft,
    GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *our_id = g_strdup_printf ("render_%" G_GINT64_FORMAT,
      g_get_real_time () / 1000);
  ExportRequest request = { our_id, draft };
  g_autofree gchar *if_lost = g_strdup_printf ("The export may have started "
      "as render %s: resume with render-id=%s to pick it up, or export "
      "again.", our_id, our_id);
  CloudCall call = { "start the export", NULL, CLOUD_CALL_SESSION,
    build_export_request, &request, if_lost
  };
  CloudResponse response;
  g_autofree gchar *render_id = NULL;
  gchar *shown_id;

  g_return_val_if_fail (draft != NULL, NULL);
  if (!cloud_require_session (cloud, call.what, error)
      || !cloud_call (cloud, &call, &response, cancellable, error))
    return NULL;

  render_id = cloud_json_id (response.data, "id");
  if (render_id == NULL)
    render_id = cloud_json_id (response.data, "render_id");
  if (render_id == NULL)
    render_id = cloud_json_id (response.root, "id");
  if (render_id == NULL)
    render_id = g_strdup (our_id);
  cloud_response_clear (&response);

  /* shown (job callback, messages, logs) like any text of theirs */
  shown_id = cloud_scrub (cloud, render_id, CLOUD_SCRUB_SHORT);
  NEMO_DEBUG ("render %s", shown_id);
  if (cloud->callbacks.job != NULL)
    cloud->callbacks.job (cloud->session_id, shown_id, cloud->user_data);
  cloud_progress (cloud, "render", 0.0);
  return shown_id;
}

/* ---- status ----------------------------------------------------------- */

static SoupMessage *
build_status_request (NemoCloud * cloud, gpointer data, GError ** error)
{
  g_autofree gchar *id = g_uri_escape_string (data, NULL, FALSE);
  g_autofree gchar *path = g_strdup_printf ("/api/render/proxy/lambda/%s", id);

  return cloud_message_new (cloud, "GET", path);
}

static gdouble
json_percent (JsonNode * object_node, const gchar * key)
{
  JsonNode *member = cloud_json_member (object_node, key);
  gdouble value;

  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member))
    return -1.0;
  switch (json_node_get_value_type (member)) {
    case G_TYPE_INT64:
    case G_TYPE_DOUBLE:
      value = json_node_get_double (member);
      break;
    case G_TYPE_STRING:
      value = g_ascii_strtod (json_node_get_string (member), NULL);
      break;
    default:
      return -1.0;
  }
  return isfinite (value) ? CLAMP (value, 0.0, 100.0) : -1.0;
}

static const gchar *
failure_reason (JsonNode * node)
{
  static const gchar *const keys[] = { "error", "errorMessage", "reason",
    "message", "msg"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (keys); i++) {
    const gchar *reason = cloud_json_string (node, keys[i]);

    if (reason == NULL)
      reason = cloud_json_string (cloud_json_member (node, keys[i]),
          "message");
    if (reason != NULL && *reason != '\0')
      return reason;
  }
  return NULL;
}

static const gchar *const completed_names[] = { "completed", "succeeded",
  "done", NULL
};
static const gchar *const failed_names[] = { "failed", "error", "cancelled",
  "canceled", NULL
};
static const gchar *const running_names[] = { "pending", "queued",
  "processing", "running", "rendering", "in_progress", NULL
};

static gboolean
state_is (const gchar * state, const gchar * const *names)
{
  for (; state != NULL && *names != NULL; names++)
    if (g_ascii_strcasecmp (state, *names) == 0)
      return TRUE;
  return FALSE;
}

/* Either shape: top-level status + output.url, or
 * {"success":true,"data":{"status","progress","outputUrl"}}. */
static void
read_render_status (JsonNode * root, JsonNode * data, RenderStatus * status)
{
  const gchar *state = cloud_json_string (data, "status");

  if (state == NULL)
    state = cloud_json_string (root, "status");
  status->progress = json_percent (data, "progress");
  if (status->progress < 0)
    status->progress = json_percent (root, "progress");
  status->url = cloud_json_string (cloud_json_member (root, "output"), "url");
  if (status->url == NULL)
    status->url = cloud_json_string (cloud_json_member (data, "output"),
        "url");
  if (status->url == NULL)
    status->url = cloud_json_string (data, "outputUrl");
  if (status->url != NULL && *status->url == '\0')
    status->url = NULL;
  status->reason = failure_reason (data);
  if (status->reason == NULL)
    status->reason = failure_reason (root);

  status->name = state;
  if (state_is (state, completed_names))
    status->state = RENDER_COMPLETED;
  else if (state_is (state, failed_names))
    status->state = RENDER_FAILED;
  else if (state_is (state, running_names))
    status->state = RENDER_RUNNING;
  else
    status->state = RENDER_UNKNOWN;
}

/* A status read while the render runs. */
typedef struct
{
  gint64 at_ms;                 /* since polling started */
  gdouble progress;             /* -1 when not reported */
} PollSample;

/* Aim the next poll at the finish the last two progress reports predict
 * (their rate carried on from the latest), 5 % late so that it is not one
 * poll early; without a rate (no progress, or none since the previous
 * read), back off.  A render's first percents can be slow, so never wait
 * longer than polling has taken so far (after the first read, that is
 * nothing: the floor).  Never sooner than poll-interval, never more than
 * 30 s. */
static guint64
next_poll_delay (NemoCloud * cloud, guint64 previous_ms,
    const PollSample * before, const PollSample * latest)
{
  guint64 floor_ms = CLAMP (cloud->config.poll_interval_ms, 10,
      CLOUD_POLL_MAX_MS);
  gdouble delay = previous_ms * 2.0;

  if (before->progress >= 0 && latest->progress > before->progress
      && latest->progress < 100)
    delay = (100.0 - latest->progress) * (latest->at_ms - before->at_ms)
        / (latest->progress - before->progress) * 1.05;
  delay = MIN (delay, MAX (latest->at_ms, 0));
  return CLAMP ((guint64) delay, floor_ms, CLOUD_POLL_MAX_MS);
}

static void
set_unknown_status (NemoCloud * cloud, const RenderStatus * status,
    const gchar * render_id, GError ** error)
{
  g_autofree gchar *shown = status->name != NULL ?
      cloud_scrub (cloud, status->name, 100) : NULL;

  if (shown != NULL)
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "The service "
        "reported the export status “%s”, which this client does not know, "
        "for render %s. Resume later with render-id=%s; if it keeps "
        "happening, the service may have changed its protocol.", shown,
        render_id, render_id);
  else
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "The service's "
        "export status for render %s has no status text. Check api-url; "
        "resume later with render-id=%s.", render_id, render_id);
}

/* Poll until completed; *url gets the video's URL, or NULL if the service
 * gave none. */
static gboolean
poll_until_done (NemoCloud * cloud, const gchar * render_id, gchar ** url,
    GCancellable * cancellable, GError ** error)
{
  CloudCall call = { "read the export status", NULL,
    CLOUD_CALL_RATE_TO_CALLER, build_status_request, (gpointer) render_id
  };
  gint64 started = g_get_monotonic_time ();
  guint64 delay = MIN (cloud->config.poll_interval_ms, CLOUD_POLL_MAX_MS);
  PollSample before = { 0, -1.0 }, latest = { 0, -1.0 };
  guint rate_limits = 0;

  for (;;) {
    CloudResponse response;
    RenderStatus status;
    guint64 wait_ms;

    if (!cloud_call (cloud, &call, &response, cancellable, error))
      return FALSE;
    if (response.rate_limited) {
      wait_ms = response.retry_after_s * (guint64) 1000;
      cloud_response_clear (&response);
      if (++rate_limits > POLL_MAX_RATE_LIMITS) {
        g_set_error (error, NEMO_ERROR, NEMO_ERROR_RATE_LIMITED, "Could not "
            "%s: the service answered HTTP 429 %u times in a row. Wait a few "
            "minutes, then resume with render-id=%s.", call.what,
            rate_limits, render_id);
        return FALSE;
      }
      if (!cloud_wait (cloud, wait_ms, call.what, cancellable, error))
        return FALSE;
      continue;
    }
    rate_limits = 0;

    read_render_status (response.root, response.data, &status);
    if (status.progress >= 0)
      cloud_progress (cloud, "render", status.progress);
    if (status.state == RENDER_COMPLETED) {
      *url = g_strdup (status.url);
      cloud_response_clear (&response);
      return TRUE;
    }
    if (status.state == RENDER_FAILED) {
      g_autofree gchar *reason = status.reason != NULL ?
          cloud_scrub (cloud, status.reason, CLOUD_SCRUB_SHORT) :
          g_strdup ("it gave no reason");

      g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "The service could "
          "not render the video (render %s): %s. Export again; if it fails "
          "again, simplify the timeline or use shorter media.", render_id,
          reason);
      cloud_response_clear (&response);
      return FALSE;
    }
    if (status.state == RENDER_UNKNOWN) {
      set_unknown_status (cloud, &status, render_id, error);
      cloud_response_clear (&response);
      return FALSE;
    }
    cloud_response_clear (&response);

    before = latest;
    latest.at_ms = (g_get_monotonic_time () - started) /
        G_TIME_SPAN_MILLISECOND;
    latest.progress = status.progress;
    delay = next_poll_delay (cloud, delay, &before, &latest);
    if (!cloud_wait (cloud, delay, call.what, cancellable, error))
      return FALSE;
  }
}

/* Poll for render_limit_s at most. */
static gboolean
poll_render (NemoCloud * cloud, const gchar * render_id, gchar ** url,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (GError) poll_error = NULL;
  CloudDeadline deadline;
  gboolean ok;

  cloud_deadline_start (&deadline, cloud->config.render_limit_s,
      cancellable);
  ok = poll_until_done (cloud, render_id, url, deadline.cancellable,
      &poll_error);
  if (cloud_deadline_stop (&deadline)) {
    g_clear_error (&poll_error);
    g_set_error (&poll_error, NEMO_ERROR, NEMO_ERROR_FAILED, "The service "
        "was still rendering render %s after %u s (render-limit), so the "
        "wait was given up. Resume later with render-id=%s to download it "
        "once it is done, or raise render-limit.", render_id,
        cloud->config.render_limit_s, render_id);
    ok = FALSE;
  }
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&poll_error));
  return ok;
}

/* ---- download --------------------------------------------------------- */

/* One download, over as many requests as it takes. */
typedef struct
{
  const gchar *render_id;
  GUri *uri;
  guint64 handed;               /* bytes given to the data callback */
  goffset total;                /* the whole video's size, -1 if unknown */
  gint last_percent;
  gchar *broke;                 /* how the last reply broke off, or NULL */
} Download;

typedef enum
{
  PIECE_DONE,                   /* the whole video is handed over */
  PIECE_BROKEN,                 /* it broke off: @why says how; resumable */
  PIECE_FAILED,                 /* @error is set */
} PieceResult;

/* From the first byte not handed over yet. */
static SoupMessage *
build_download_request (NemoCloud * cloud, gpointer data, GError ** error)
{
  Download *download = data;
  SoupMessage *msg = soup_message_new_from_uri ("GET", download->uri);

  if (download->handed > 0)
    soup_message_headers_set_range (soup_message_get_request_headers (msg),
        download->handed, -1);
  return msg;
}

static gboolean
deliver (NemoCloud * cloud, const guint8 * data, gsize size, GError ** error)
{
  if (cloud->callbacks.data == NULL
      || cloud->callbacks.data (data, size, cloud->user_data, error))
    return TRUE;
  if (error != NULL && *error == NULL)
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_IO, "The download of the "
        "rendered video was stopped by its receiver.");
  return FALSE;
}

static void
set_broken_off (GError ** error, const Download * download, const gchar * why)
{
  g_autofree gchar *of = download->total >= 0 ?
      g_strdup_printf (" of %" G_GOFFSET_FORMAT, download->total) :
      g_strdup ("");

  g_set_error (error, NEMO_ERROR, NEMO_ERROR_IO, "The download of the "
      "rendered video broke off after %" G_GUINT64_FORMAT "%s bytes (%s). "
      "Resume with render-id=%s to download it again.", download->handed, of,
      why, download->render_id);
}

/* Content types a video may come as: the MP4 type, or the generic binary
 * types storage services use.  A reply without one is judged by its bytes. */
static gboolean
is_video_type (const gchar * type)
{
  return type == NULL || g_ascii_strcasecmp (type, "video/mp4") == 0
      || g_ascii_strcasecmp (type, "application/octet-stream") == 0
      || g_ascii_strcasecmp (type, "binary/octet-stream") == 0;
}

static gboolean
check_video_type (NemoCloud * cloud, SoupMessage * msg,
    const gchar * render_id, GError ** error)
{
  const gchar *type = soup_message_headers_get_content_type
      (soup_message_get_response_headers (msg), NULL);
  g_autofree gchar *what = NULL;

  if (is_video_type (type))
    return TRUE;
  what = cloud_describe_type (cloud, type);
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA, "The "
      "service sent %s instead of the video of render %s; nothing of it was "
      "passed on. Export again; if it keeps happening, check api-url.",
      what, render_id);
  return FALSE;
}

/* An MP4 starts with its ftyp box: 4 bytes of size, then "ftyp". */
static gboolean
check_mp4_head (const guint8 * head, gsize size, const gchar * render_id,
    GError ** error)
{
  GString *start;
  gsize i;

  if (size >= MP4_HEAD && memcmp (head + 4, "ftyp", 4) == 0)
    return TRUE;
  start = g_string_new (NULL);
  for (i = 0; i < MIN (size, MP4_HEAD); i++)
    g_string_append_printf (start, "%s%02x", i > 0 ? " " : "", head[i]);
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA, "The "
      "service sent something that is not an MP4 instead of the video of "
      "render %s (it does not start with an ftyp box but with the bytes "
      "%s); nothing of it was passed on. Export again; if it keeps "
      "happening, check api-url.", render_id, start->str);
  g_string_free (start, TRUE);
  return FALSE;
}

/* Read until @chunk holds at least MP4_HEAD bytes or the body ends. */
static gssize
read_head (GInputStream * stream, guint8 * chunk, GCancellable * cancellable,
    GError ** error)
{
  gsize filled = 0;

  while (filled < MP4_HEAD) {
    gssize n = g_input_stream_read (stream, chunk + filled,
        DOWNLOAD_CHUNK - filled, cancellable, error);

    if (n < 0)
      return -1;
    if (n == 0)
      break;
    filled += n;
  }
  return filled;
}

/* How many bytes this reply carries, and where it starts: a resumed
 * download needs a 206 that starts at the first byte not handed over. */
static gboolean
check_piece_start (Download * download, CloudResponse * response,
    goffset * expected, gchar ** why)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers
      (response->msg);
  goffset start = 0, end = 0, total = -1;

  *expected = soup_message_headers_get_encoding (headers) ==
      SOUP_ENCODING_CONTENT_LENGTH ?
      soup_message_headers_get_content_length (headers) : -1;
  if (download->handed == 0) {
    if (response->status != SOUP_STATUS_PARTIAL_CONTENT)
      download->total = *expected;
    return TRUE;
  }
  if (response->status != SOUP_STATUS_PARTIAL_CONTENT) {
    *why = g_strdup_printf ("%s; the service cannot resume a download: it "
        "sent the whole video again", download->broke);
    return FALSE;
  }
  if (!soup_message_headers_get_content_range (headers, &start, &end, &total)
      || start != (goffset) download->handed) {
    *why = g_strdup_printf ("%s; the service resumed it at the wrong "
        "place", download->broke);
    return FALSE;
  }
  if (total >= 0)
    download->total = total;
  return TRUE;
}

static gchar *
describe_read_failure (NemoCloud * cloud, GError * failure)
{
  if (g_error_matches (failure, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_strdup_printf ("nothing came for %u s",
        soup_session_get_timeout (cloud->download_session));
  return g_strdup (failure->message);
}

/* Hand the reply's bytes to the data callback as they arrive; the very
 * first ones only once they are known to start an MP4. */
static PieceResult
stream_piece (NemoCloud * cloud, Download * download,
    CloudResponse * response, GCancellable * cancellable, gchar ** why,
    GError ** error)
{
  g_autofree guint8 *chunk = g_malloc (DOWNLOAD_CHUNK);
  guint64 piece_received = 0;
  goffset expected;

  if (!check_video_type (cloud, response->msg, download->render_id, error))
    return PIECE_FAILED;
  if (!check_piece_start (download, response, &expected, why)) {
    set_broken_off (error, download, *why);
    return PIECE_FAILED;
  }

  for (;;) {
    g_autoptr (GError) failure = NULL;
    gssize n = download->handed == 0 ?
        read_head (response->stream, chunk, cancellable, &failure) :
        g_input_stream_read (response->stream, chunk, DOWNLOAD_CHUNK,
        cancellable, &failure);

    if (n < 0 && (g_cancellable_is_cancelled (cancellable)
            || cloud_is_cancelled (failure))) {
      cloud_set_cancelled (error, "download the rendered video");
      return PIECE_FAILED;
    }
    if (n < 0) {
      *why = describe_read_failure (cloud, failure);
      return PIECE_BROKEN;
    }
    if (n == 0 && download->handed == 0) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_IO, "The service sent an "
          "empty file for render %s. Export again.", download->render_id);
      return PIECE_FAILED;
    }
    if (download->handed == 0
        && !check_mp4_head (chunk, n, download->render_id, error))
      return PIECE_FAILED;
    if (n == 0 && expected >= 0 && piece_received < (guint64) expected) {
      *why = g_strdup ("the connection closed early");
      return PIECE_BROKEN;
    }
    if (n == 0)
      return PIECE_DONE;
    piece_received += n;
    download->handed += n;
    if (!deliver (cloud, chunk, n, error))
      return PIECE_FAILED;
    if (download->total > 0
        && (gint) (download->handed * 100 / download->total) !=
        download->last_percent) {
      download->last_percent = download->handed * 100 / download->total;
      cloud_progress (cloud, "download", download->last_percent);
    }
  }
}

/* Download @url, resuming where it broke off up to `retries` times. */
static gboolean
download (NemoCloud * cloud, const gchar * render_id, const gchar * url,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (GUri) uri = NULL;
  g_autofree gchar *broke = NULL;
  Download download = { render_id, NULL, 0, -1, -1, NULL };
  CloudCall call = { "download the rendered video", NULL,
    CLOUD_CALL_STREAM | CLOUD_CALL_DOWNLOAD, build_download_request,
    &download
  };
  guint breaks;

  uri = g_uri_parse_relative (cloud->api_uri, url, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL || (g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") != 0
          && g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0)) {
    g_autofree gchar *shown = cloud_scrub (cloud, url, CLOUD_SCRUB_SHORT);

    g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "Could not %s: the "
        "service gave “%s”, which is not an http(s) URL. Export again.",
        call.what, shown);
    return FALSE;
  }
  download.uri = uri;
  cloud_progress (cloud, "download", 0.0);

  for (breaks = 0;; breaks++) {
    CloudResponse response;
    g_autofree gchar *why = NULL;
    PieceResult result;

    if (!cloud_call (cloud, &call, &response, cancellable, error))
      return FALSE;
    if (response.stream == NULL) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "Could not %s: the "
          "service answered with JSON instead of the video. Export again.",
          call.what);
      result = PIECE_FAILED;
    } else
      result = stream_piece (cloud, &download, &response, cancellable, &why,
          error);
    cloud_response_clear (&response);
    if (result == PIECE_DONE)
      break;
    if (result == PIECE_FAILED)
      return FALSE;
    if (breaks == cloud->config.retries) {
      set_broken_off (error, &download, why);
      return FALSE;
    }
    NEMO_DEBUG ("download broke off after %" G_GUINT64_FORMAT " bytes (%s): "
        "resuming", download.handed, why);
    g_free (broke);
    download.broke = broke = g_steal_pointer (&why);
    if (!cloud_wait (cloud, cloud->backoff_base_ms, call.what, cancellable,
            error))
      return FALSE;
  }
  NEMO_DEBUG ("downloaded %" G_GUINT64_FORMAT " bytes", download.handed);
  cloud_progress (cloud, "download", 100.0);
  return TRUE;
}

gboolean
nemo_cloud_wait_and_download (NemoCloud * cloud, const gchar * render_id,
    GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *url = NULL;
  g_autofree gchar *escaped = NULL;

  g_return_val_if_fail (render_id != NULL, FALSE);
  if (!poll_render (cloud, render_id, &url, cancellable, error))
    return FALSE;
  cloud_progress (cloud, "render", 100.0);
  if (url == NULL) {
    escaped = g_uri_escape_string (render_id, NULL, FALSE);
    url = g_strdup_printf ("%s/api/render/proxy/%s/download",
        cloud->config.api_url, escaped);
  }
  return download (cloud, render_id, url, cancellable, error);
}
