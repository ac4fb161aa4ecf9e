/* nemorender cloud client: the hosted service's whole cycle, as described in
 * docs/protocol.md — token, session, upload, chat over Server-Sent Events,
 * state, credits, export, polling, download.
 *
 * libsoup 3 (sync API, one SoupSession per NemoCloud, used from one thread)
 * and json-glib; no GStreamer, no FFmpeg.  Every wait (retry backoff, poll
 * delay) is interruptible through the GCancellable passed to each call.  The
 * token is never logged: not in messages, not at any debug level.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_CLOUD_H
#define NEMO_CLOUD_H

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define NEMO_CLOUD_DEFAULT_API_URL "https://mega-api-prod.nemovideo.ai"
#define NEMO_CLOUD_DEFAULT_RETRIES 3
#define NEMO_CLOUD_DEFAULT_POLL_INTERVAL_MS 2000
#define NEMO_CLOUD_DEFAULT_TIMEOUT_S 900
#define NEMO_CLOUD_DEFAULT_CHAT_LIMIT_S 900
#define NEMO_CLOUD_DEFAULT_RENDER_LIMIT_S 1800

typedef struct
{
  gchar *api_url;               /* NULL = NEMO_CLOUD_DEFAULT_API_URL; http:// only for loopback */
  gchar *token;                 /* NULL = $NEMO_TOKEN, else an anonymous token */
  gchar *client_id;             /* X-Client-Id for the token call; NULL = a random UUID */
  gchar *language;              /* session language; NULL = "en" */
  gchar *skill_source;          /* X-Skill-Source, default "yt-music" */
  gchar *skill_version;         /* X-Skill-Version, default "1.0.0" */
  gchar *skill_platform;        /* X-Skill-Platform, default "unknown" */
  guint retries;                /* network errors / 5xx: retries, capped
                                 * exponential backoff */
  guint poll_interval_ms;       /* first export-status poll delay */
  guint timeout_s;              /* longest silence on the chat stream,
                                 * heartbeats apart */
  guint chat_limit_s;           /* longest chat turn, heartbeats or not (default 900; 0 = default) */
  guint render_limit_s;         /* longest wait for an export to finish (default 1800; 0 = default) */
  guint64 max_upload_size;      /* bytes: the limit 4002 messages name */
} NemoCloudConfig;

/* The NEMO_CLOUD_DEFAULT_* values, every string NULL. */
void nemo_cloud_config_init (NemoCloudConfig * config);
void nemo_cloud_config_clear (NemoCloudConfig * config);
/* A deep copy of @src into @dest (which holds nothing yet). */
void nemo_cloud_config_copy (NemoCloudConfig * dest,
    const NemoCloudConfig * src);

/* What the client tells its caller as it goes, on the calling thread.  Any
 * callback may be NULL. */
typedef struct
{
  void (*reply) (const gchar * text, gpointer user_data);       /* agent text, GUI wording translated */
  void (*timeline) (const gchar * summary, const gchar * draft_json, gpointer user_data);
  void (*credits) (gint64 available, gint64 frozen, gint64 total, gpointer user_data);
  /* render_id is NULL when only the session is new (start, or after 1002) */
  void (*job) (const gchar * session_id, const gchar * render_id, gpointer user_data);
  void (*still_working) (guint64 elapsed_ns, gpointer user_data);
  /* stage: "upload", "chat", "render", "download" */
  void (*progress) (const gchar * stage, gdouble percent, gpointer user_data);
  /* downloaded MP4 bytes, in order, as they arrive; FALSE + error aborts */
  gboolean (*data) (const guint8 * data, gsize size, gpointer user_data, GError ** error);
} NemoCloudCallbacks;

typedef struct _NemoCloud NemoCloud;

/* FALSE-like NULL with NEMO_ERROR_INVALID_ARGUMENT for an api-url that is not
 * https (or http to a loopback host). */
NemoCloud *nemo_cloud_new (const NemoCloudConfig * config,
    const NemoCloudCallbacks * callbacks, gpointer user_data, GError ** error);
void nemo_cloud_free (NemoCloud * cloud);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoCloud, nemo_cloud_free)

/* Each call below gets a token first if it has none, retries per
 * docs/protocol.md, Errors (1001 → new token once; 1002 → new session once,
 * the caller's uploads are replayed; 429 → Retry-After or 30 s, once;
 * network/5xx → `retries` with capped exponential backoff), and maps every
 * other failure to a GError in NEMO_ERROR whose message a user can act on. */

/* Start (or with @session_id, continue) a session; posts credits. */
gboolean nemo_cloud_open_session (NemoCloud * cloud, const gchar * session_id,
    GCancellable * cancellable, GError ** error);
const gchar *nemo_cloud_get_session_id (NemoCloud * cloud);
/* HTTP status of the service's last reply (0 before any): for the
 * `http-status` detail of an error. */
guint nemo_cloud_get_http_status (NemoCloud * cloud);

/* The next @n_uploads uploads make up the "upload" stage: its progress runs
 * from 0 to 100 over all of them, each body's bytes as they are sent. */
void nemo_cloud_plan_uploads (NemoCloud * cloud, guint n_uploads);

/* Upload a local file (streamed from disk, never read into memory) or hand
 * the service an http(s) URL. */
gboolean nemo_cloud_upload_file (NemoCloud * cloud, const gchar * path,
    GCancellable * cancellable, GError ** error);
gboolean nemo_cloud_upload_url (NemoCloud * cloud, const gchar * url,
    GCancellable * cancellable, GError ** error);

/* Send @message over /run_sse and read the stream to its end: replies are
 * posted as they complete; a stream that ends with no text is followed by a
 * state read and a timeline callback. */
gboolean nemo_cloud_chat (NemoCloud * cloud, const gchar * message,
    GCancellable * cancellable, GError ** error);

/* The session's state (`state` object of /api/state/...), new reference. */
JsonNode *nemo_cloud_get_state (NemoCloud * cloud, GCancellable * cancellable,
    GError ** error);

gboolean nemo_cloud_refresh_credits (NemoCloud * cloud,
    GCancellable * cancellable, GError ** error);

/* Export @draft (posted with every key intact); returns the render id. */
gchar *nemo_cloud_export (NemoCloud * cloud, JsonNode * draft,
    GCancellable * cancellable, GError ** error);

/* Poll @render_id until completed or failed, then download the MP4 through
 * the data callback. */
gboolean nemo_cloud_wait_and_download (NemoCloud * cloud,
    const gchar * render_id, GCancellable * cancellable, GError ** error);

/* ---- pieces with their own tests ---- */

/* SSE: read `data:` lines from @stream (LF, CR stripped; a line longer than
 * @max_line is an error).  Returns the payload of the next event, "" for an
 * empty data line, NULL at the end of the stream or on error. */
typedef struct _NemoSseReader NemoSseReader;
NemoSseReader *nemo_sse_reader_new (GInputStream * stream, gsize max_line);
gchar *nemo_sse_reader_next (NemoSseReader * reader,
    GCancellable * cancellable, GError ** error);
void nemo_sse_reader_free (NemoSseReader * reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoSseReader, nemo_sse_reader_free)

typedef enum
{
  NEMO_CHAT_EVENT_IGNORE,       /* tool calls/results, unknown shapes */
  NEMO_CHAT_EVENT_HEARTBEAT,    /* heartbeat or empty data */
  NEMO_CHAT_EVENT_PARTIAL,      /* a chunk of text still being written */
  NEMO_CHAT_EVENT_TEXT,         /* a complete text */
  NEMO_CHAT_EVENT_ERROR,        /* {"error":…} or errorCode/errorMessage */
} NemoChatEventType;

/* Classify one SSE payload (either event shape); @text gets the text or the
 * error message (g_free). */
NemoChatEventType nemo_chat_event_parse (const gchar * payload, gchar ** text);

/* Translate the agent's GUI wording (English and Chinese) into what the
 * element does instead. */
gchar *nemo_cloud_translate_gui_text (const gchar * text);

G_END_DECLS

#endif
