/* nemo-sim: the cloud render service of docs/protocol.md, simulated on
 * 127.0.0.1.
 *
 * Two HTTP listeners, both on 127.0.0.1 only: the API (every call of
 * docs/protocol.md) and "the CDN" (a second port that serves uploads and
 * finished renders without asking for a token, like the service's download
 * host).
 * The agent behind /run_sse builds the session's draft from the uploads with
 * nemo_job_build_draft() and answers in the service's GUI wording; exports
 * are real MP4s rendered with nemo_render_draft() on a worker thread.
 *
 * The server runs on its own thread and GMainContext, so a test can drive it
 * with blocking HTTP calls from its own thread.  Every behaviour a client must
 * cope with can be turned on with an option; all of them are deterministic.
 *
 * Protocol choices where docs/protocol.md leaves room (a client must accept
 * them):
 * - `{"code":…}` envelopes answer coded errors (1001, 1002, 2001, 4001,
 *   4002) with HTTP 200; 400, 402, 429 and 503 are HTTP statuses with the
 *   same number in `code`.  A missing Authorization header is HTTP 401 with
 *   code 1001.  The render calls use `{"success":…,"data"|"error":…}`.
 * - A failed render reports its reason in `error` next to `status`.
 * - A client id gets a second anonymous token (instead of 429) once its
 *   token has expired.
 * - Sessions and render jobs are not tied to a token: after a new token the
 *   client keeps its session and can resume polling a render id.
 * - Draft sources are the CDN URLs of the uploads; an export may also use
 *   file:// URLs and local paths.  Other URLs (URL uploads are recorded, never
 *   downloaded) make the render fail with a reason that says so.
 * - The ADK shape's heartbeats are empty `data:` lines; the typed shape's are
 *   `{"type":"heartbeat"}` events.  Both are sent only during think_ms.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_SIM_H
#define NEMO_SIM_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  NEMO_SIM_EVENTS_ADK,          /* {"content":{"parts":[…]},"partial":…} */
  NEMO_SIM_EVENTS_TYPED,        /* {"type":"text","content":…} */
} NemoSimEventShape;

typedef enum
{
  NEMO_SIM_STATUS_TOP,          /* {"id","status","progress","output":{"url","duration","size"}} */
  NEMO_SIM_STATUS_DATA,         /* {"success":true,"data":{"status","progress","outputUrl"}} */
} NemoSimStatusShape;

typedef struct
{
  guint port;                   /* --port: API port, 0 = any free port */
  guint cdn_port;               /* --cdn-port: the CDN's port, 0 = any free port */
  const gchar *work_dir;        /* --work-dir: uploads and renders; NULL = a
                                 * temporary directory that nemo_sim_free() removes */
  gint width, height;           /* --size: canvas of the drafts the agent builds (1920x1080) */
  const gchar *token;           /* --token: a registered user's token, valid
                                 * besides the anonymous ones (NEMO_TOKEN), or NULL */
  guint64 max_upload_size;      /* --max-upload-size: bigger files get 4002 (500 MB) */
  gboolean message_key_long;    /* --message-field=message: envelopes say
                                 * "message" instead of "msg" */
  guint32 seed;                 /* --seed: drives every random choice (1); the
                                 * silent edits depend only on it and on how
                                 * many edits came before */
  gboolean verbose;             /* --verbose: one line per request on stderr
                                 * (method, path, status; never a token) */

  /* the agent */
  gdouble silent_edit_rate;     /* --silent-edit-rate: share of edit messages
                                 * (not a session's first) answered with no text (0.3) */
  guint think_ms;               /* --think-ms: the agent's thinking time before its events (0) */
  guint heartbeat_ms;           /* --heartbeat-ms: a heartbeat every N ms of thinking (0 = none) */
  NemoSimEventShape event_shape; /* --event-shape=adk|typed */
  NemoSimStatusShape status_shape; /* --status-shape=top|data */

  /* faults */
  guint expire_token_after;     /* --expire-token-after: the Nth API request
                                 * (first authenticated one from N on) gets 1001 once,
                                 * and its token stays invalid (0 = never) */
  guint lose_session_after;     /* --lose-session-after: the first request from
                                 * the Nth on that names a session gets 1002 once,
                                 * and that session is forgotten (0 = never) */
  gboolean no_credits;          /* --no-credits: accounts have 0 credits; chat gets 2001 */
  gboolean export_402;          /* --export-402: every export gets HTTP 402 */
  const gchar *rate_limit;      /* --rate-limit: the first request under this path
                                 * prefix gets 429 with Retry-After: 1 */
  guint slow_render_ms;         /* --slow-render-ms: a render takes at least N ms,
                                 * progress reported along the way */
  const gchar *fail_render;     /* --fail-render: renders fail with this reason */
  gboolean drop_chat;           /* --drop-chat: chat streams are cut mid-text
                                 * (connection closed, chunked body unfinished) */
  gboolean drop_download;       /* --drop-download: downloads are cut after half the body */
  gboolean short_body;          /* --short-body: downloads announce a Content-Length
                                 * larger than the file, send the file, then close */
  guint slow_upload_ms;         /* --slow-upload-ms: an upload's reply comes N ms
                                 * after its body arrived */
  gboolean upload_no_answer;    /* --upload-no-answer: the first upload is kept
                                 * in its session, but never answered */
  guint slow_download_ms;       /* --slow-download-ms: a render download sends its
                                 * headers at once and its body N ms later */
  const gchar *server_error;    /* --server-error=PREFIX:N: requests under this prefix */
  guint server_error_count;     /*   get HTTP 503 N times, then pass */
  const gchar *stream_error;    /* --stream-error: `data: {"error":MSG}` mid-stream, then the end */
  const gchar *model_error;     /* --model-error: an errorCode/errorMessage event
                                 * instead of the reply, then the end */
} NemoSimOptions;

typedef struct _NemoSim NemoSim;

/* The defaults above: every fault off. */
void nemo_sim_options_init (NemoSimOptions * options);

/* Start both listeners on 127.0.0.1 and the server thread.  Strings in
 * @options are copied. */
NemoSim *nemo_sim_new (const NemoSimOptions * options, GError ** error);
/* Stop serving, cancel running renders, wait for every thread. */
void nemo_sim_free (NemoSim * sim);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoSim, nemo_sim_free)

guint nemo_sim_get_port (NemoSim * sim);
/* "http://127.0.0.1:<port>", no trailing slash */
const gchar *nemo_sim_get_url (NemoSim * sim);
guint nemo_sim_get_cdn_port (NemoSim * sim);
const gchar *nemo_sim_get_cdn_url (NemoSim * sim);
/* Every address either listener listens on, as URIs (g_strfreev). */
gchar **nemo_sim_dup_listen_uris (NemoSim * sim);

/* What the sim saw, for tests.  Paths are matched by prefix ("/" = all,
 * CDN requests are under "/cdn/"), counted when their handling starts. */
guint nemo_sim_get_request_count (NemoSim * sim, const gchar * path_prefix);
/* Header @name of the latest request under @path_prefix, NULL if that
 * request did not carry it (or there was none). */
gchar *nemo_sim_dup_last_header (NemoSim * sim, const gchar * path_prefix,
    const gchar * name);
/* CDN requests that carried an Authorization header (a client must send none). */
guint nemo_sim_get_cdn_authorization_count (NemoSim * sim);
/* The MP4 a completed render wrote, or NULL. */
gchar *nemo_sim_dup_render_path (NemoSim * sim, const gchar * render_id);
/* When that render completed (g_get_monotonic_time()), or 0 if it has not. */
gint64 nemo_sim_get_render_completed (NemoSim * sim, const gchar * render_id);

G_END_DECLS

#endif
