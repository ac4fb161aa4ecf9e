/* nemorender cloud client: what the files of src/cloud/ share.
 *
 * client.c owns the NemoCloud instance and the request engine every call
 * goes through (headers, retries, envelopes, error mapping); the other files
 * describe their requests as CloudCall and read the CloudResponse.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_CLOUD_PRIVATE_H
#define NEMO_CLOUD_PRIVATE_H

#include <libsoup/soup.h>
#include <nemo/cloud.h>
#include <nemo/error.h>
#include <nemo/service.h>

G_BEGIN_DECLS

/* Retry backoff starts here and doubles, up to CLOUD_BACKOFF_MAX_MS;
 * NEMO_CLOUD_BACKOFF_MS overrides the start (tests). */
#define CLOUD_BACKOFF_BASE_MS 1000
#define CLOUD_BACKOFF_MAX_MS 30000
/* 429 without Retry-After; a Retry-After above the cap is capped. */
#define CLOUD_RATE_LIMIT_WAIT_S 30
#define CLOUD_RETRY_AFTER_MAX_S 300
/* still_working period; NEMO_CLOUD_STILL_WORKING_MS overrides it (tests). */
#define CLOUD_STILL_WORKING_MS (2 * 60 * 1000)
#define CLOUD_POLL_MAX_MS 30000
/* How long a request, or a download, may go without a byte;
 * NEMO_CLOUD_IO_TIMEOUT_S and NEMO_CLOUD_DOWNLOAD_STALL_S override them
 * (tests).  The chat stream's is timeout_s. */
#define CLOUD_IO_TIMEOUT_S 30
#define CLOUD_DOWNLOAD_STALL_S 60
#define CLOUD_SSE_MAX_LINE (1024 * 1024)
#define CLOUD_MAX_JSON_REPLY (16 * 1024 * 1024)
/* Where an anonymous user registers; ?bind=<client id> keeps their work. */
#define CLOUD_REGISTER_URL "https://nemovideo.ai/register"

typedef struct
{
  gboolean is_url;
  gchar *location;              /* local path or http(s) URL */
} CloudUpload;

struct _NemoCloud
{
  NemoCloudConfig config;       /* our own copy, defaults filled in */
  NemoCloudCallbacks callbacks;
  gpointer user_data;

  SoupSession *session;         /* requests */
  SoupSession *events_session;  /* the chat stream */
  SoupSession *download_session;
  GUri *api_uri;                /* parsed api_url, no trailing slash */
  gchar *token;                 /* bearer token in use, or NULL */
  gchar *client_id;
  gboolean send_client_id;      /* the service asked for X-Client-Id (400) */
  gchar *session_id;
  GPtrArray *secrets;           /* every token used: never shown */
  GPtrArray *uploads;           /* CloudUpload*, replayed into a new session */
  guint uploads_planned;        /* the "upload" stage's share: see */
  guint uploads_done;           /* nemo_cloud_plan_uploads () */
  gboolean recovering;          /* replaying: no nested session recovery */
  guint last_http_status;

  guint backoff_base_ms;
  guint still_working_ms;

  /* interruptible waits */
  GMutex wait_lock;
  GCond wait_cond;
};

typedef enum
{
  CLOUD_CALL_SESSION = 1 << 0,  /* names the session: 1002 → new session, replay, retry */
  CLOUD_CALL_TOKEN = 1 << 1,    /* the anonymous-token call: X-Client-Id, no bearer */
  CLOUD_CALL_STREAM = 1 << 2,   /* a 2xx body that is not JSON is handed back as a stream */
  CLOUD_CALL_RATE_TO_CALLER = 1 << 3,   /* a 429 is returned for the caller to schedule */
  CLOUD_CALL_EVENTS = 1 << 4,   /* the chat stream: silent up to timeout_s */
  CLOUD_CALL_DOWNLOAD = 1 << 5, /* the video: silent up to the stall limit */
} CloudCallFlags;

/* Builds the request for the current token/session; called again for every
 * attempt (after a new session the path and body change). */
typedef SoupMessage *(*CloudBuildFunc) (NemoCloud * cloud, gpointer data,
    GError ** error);

typedef struct
{
  const gchar *what;            /* completes "Could not …": "create a session" */
  const gchar *file;            /* the local file concerned, for messages, or NULL */
  CloudCallFlags flags;
  CloudBuildFunc build;
  gpointer data;
  /* set for a request that must not be repeated once it may have reached
   * the service (a chat message, an export, an upload): what the user
   * should do then */
  const gchar *if_lost;
  /* with @if_lost, or NULL: set to TRUE when the call failed for that
   * reason, so that the caller may ask the service what became of it */
  gboolean *lost;
} CloudCall;

typedef struct
{
  SoupMessage *msg;
  guint status;
  JsonNode *root;               /* the JSON reply, or NULL when @stream is set */
  JsonNode *data;               /* root's "data", else root (borrowed) */
  GInputStream *stream;         /* CLOUD_CALL_STREAM: the body, unread */
  gboolean rate_limited;        /* CLOUD_CALL_RATE_TO_CALLER and a 429 came */
  guint retry_after_s;
} CloudResponse;

/* What an envelope says, whichever of the two shapes it has. */
typedef struct
{
  gint code;                    /* 0 success, else the service's code or HTTP status */
  const gchar *message;         /* msg / message / error, borrowed, or NULL */
  JsonNode *data;               /* "data", borrowed, or NULL */
} CloudEnvelope;

typedef enum
{
  CLOUD_GUI_NONE = 0,
  CLOUD_GUI_READ_STATE = 1 << 0,        /* "open [panel]", "preview in timeline" */
} CloudGuiActions;

/* A limit on a whole operation (a chat turn, a render), whatever its
 * requests do: see cloud_deadline_start(). */
typedef struct
{
  GCancellable *cancellable;
  GCancellable *parent;
  gulong parent_handler;
  GThread *thread;
  GMutex lock;
  GCond cond;
  gint64 end;                   /* monotonic µs */
  gboolean stopping;
  gboolean expired;
} CloudDeadline;

/* cloud_scrub() lengths: one line for a message, or a whole reply */
#define CLOUD_SCRUB_SHORT 300
#define CLOUD_SCRUB_LONG ((gsize) CLOUD_SSE_MAX_LINE)

/* client.c */
void cloud_deadline_start (CloudDeadline * deadline, guint seconds,
    GCancellable * parent);
gboolean cloud_deadline_stop (CloudDeadline * deadline);
gchar *cloud_describe_type (NemoCloud * cloud, const gchar * type);
void cloud_remember_token (NemoCloud * cloud, const gchar * token);
gchar *cloud_scrub (NemoCloud * cloud, const gchar * text, gsize max_chars);
void cloud_scrub_json (NemoCloud * cloud, JsonNode * node);
gboolean cloud_call (NemoCloud * cloud, const CloudCall * call,
    CloudResponse * response, GCancellable * cancellable, GError ** error);
void cloud_response_clear (CloudResponse * response);
SoupMessage *cloud_message_new (NemoCloud * cloud, const gchar * method,
    const gchar * path);
void cloud_message_set_json (SoupMessage * msg, JsonNode * body);
gboolean cloud_require_session (NemoCloud * cloud, const gchar * what,
    GError ** error);
gboolean cloud_wait (NemoCloud * cloud, guint64 ms, const gchar * what,
    GCancellable * cancellable, GError ** error);
gboolean cloud_same_origin (GUri * a, GUri * b);
gboolean cloud_is_cancelled (GError * error);
void cloud_set_cancelled (GError ** error, const gchar * what);
void cloud_progress (NemoCloud * cloud, const gchar * stage, gdouble percent);
void cloud_envelope_read (JsonNode * root, guint http_status,
    CloudEnvelope * envelope);
GError *cloud_service_error (NemoCloud * cloud, const CloudCall * call,
    gint code, guint http_status, const gchar * service_message,
    JsonNode * data);
const gchar *cloud_json_string (JsonNode * object_node, const gchar * key);
gchar *cloud_json_id (JsonNode * object_node, const gchar * key);
JsonNode *cloud_json_member (JsonNode * object_node, const gchar * key);
gboolean cloud_new_session (NemoCloud * cloud, GCancellable * cancellable,
    GError ** error);

/* upload.c */
gboolean cloud_upload_replay (NemoCloud * cloud, const CloudUpload * upload,
    GCancellable * cancellable, GError ** error);
void cloud_upload_free (CloudUpload * upload);
GInputStream *cloud_multipart_stream_new (GInputStream * file,
    guint64 file_size, const gchar * boundary, const gchar * filename,
    const gchar * content_type, guint64 * total_size);

/* sse.c: partial texts merged until their full text arrives */
typedef struct
{
  GString *partial;
} CloudChatCollector;

void cloud_chat_collector_init (CloudChatCollector * collector);
void cloud_chat_collector_clear (CloudChatCollector * collector);
gchar *cloud_chat_collector_feed (CloudChatCollector * collector,
    NemoChatEventType type, const gchar * text);
gchar *cloud_chat_collector_finish (CloudChatCollector * collector);

/* gui-text.c */
gchar *cloud_gui_translate (const gchar * text, CloudGuiActions * actions);

G_END_DECLS

#endif
