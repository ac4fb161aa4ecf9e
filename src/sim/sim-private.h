/* nemo-sim internals shared by the server, the agent, uploads and exports.
 *
 * Threads: everything here is touched only on the server thread (the sim's
 * GMainContext), except what is marked "under lock": the request records
 * (read by tests) and the render jobs (written by their render threads).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_SIM_PRIVATE_H
#define NEMO_SIM_PRIVATE_H

#include <nemo/sim.h>
#include <nemo/draft.h>
#include <nemo/media.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* libsoup 3.2 has no name for it */
#define SIM_STATUS_TOO_MANY_REQUESTS 429

#define SIM_INITIAL_CREDITS 100
#define SIM_TOKEN_LIFETIME_S (7 * 24 * 3600)

typedef struct
{
  gchar *token;
  gchar *client_id;             /* NULL for the --token account */
  gboolean valid;
  gint64 available;
  gint64 total;
} SimAccount;

/* One uploaded (or URL-given) file of a session. */
typedef struct
{
  gchar *filename;
  gchar *path;                  /* local file, NULL for a remote URL */
  gchar *url;                   /* CDN URL of an upload, or the URL as given */
  const gchar *file_type;       /* "audio", "image", "video" */
  NemoMediaKind kind;
  gboolean probed;              /* the fields below are known */
  gdouble duration_s;
  gint width, height;
  gdouble fps;
  guint64 size;
  gchar *hash;                  /* SHA-256, hex; NULL for a remote URL */
} SimMedia;

typedef struct
{
  gchar *id;                    /* numeric string */
  gchar *task_id;
  gchar *language;
  gchar *dir;                   /* its uploads */
  GPtrArray *media;             /* SimMedia* */
  NemoDraft *draft;             /* NULL until the agent built one */
  gint width, height;           /* canvas */
  guint n_messages;
  guint n_uploads;
  GPtrArray *render_ids;        /* gchar* */
} SimSession;

typedef enum
{
  SIM_RENDER_PENDING,
  SIM_RENDER_PROCESSING,
  SIM_RENDER_COMPLETED,
  SIM_RENDER_FAILED,
} SimRenderState;

typedef struct _SimRenderJob SimRenderJob;

typedef struct
{
  guint count;
  guint64 last_seq;
  SoupMessageHeaders *last_headers;
} SimPathRecord;

struct _NemoSim
{
  NemoSimOptions options;       /* strings owned (copied) */
  gchar *work_dir;
  gboolean own_work_dir;
  GRand *rand;                  /* tokens and ids */
  GRand *silent_rand;           /* which edits are silent: one draw per edit,
                                 * whatever else happens */

  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SoupServer *api;
  SoupServer *cdn;
  guint port, cdn_port;
  gchar *url, *cdn_url;
  gchar **listen_uris;

  /* startup handshake */
  GMutex lock;
  GCond cond;
  gboolean started;
  GError *start_error;

  /* under lock */
  GHashTable *records;          /* path -> SimPathRecord */
  guint64 seq;
  guint cdn_authorization_count;
  GHashTable *renders;          /* id -> SimRenderJob (the table itself: server thread) */

  /* server thread only */
  guint api_request_count;
  GHashTable *accounts;         /* token -> SimAccount */
  GHashTable *client_tokens;    /* client id -> token */
  GHashTable *sessions;         /* id -> SimSession */
  GHashTable *cdn_files;        /* CDN path -> local path */
  guint64 next_session;
  guint n_incoming;             /* multipart bodies received */
  gboolean token_expired_once;
  gboolean session_lost_once;
  gboolean rate_limited_once;
  gboolean upload_unanswered_once;
  guint server_errors_left;
  GList *streams;               /* SimStream* in flight */
  GList *held_uploads;          /* SimHeldUpload* (--slow-upload-ms,
                                 * --upload-no-answer) */
};

/* ---- sim.c: envelopes and helpers ---- */
void sim_reply_json (SoupServerMessage * msg, guint status, JsonNode * root);
/* {"code":0,"msg":"success","data":@data} (takes @data) */
void sim_reply_ok (NemoSim * sim, SoupServerMessage * msg, JsonNode * data);
/* {"code":@code,"msg":@text,"data":null} with HTTP @status */
void sim_reply_code (NemoSim * sim, SoupServerMessage * msg, guint status,
    gint code, const gchar * text);
/* {"success":true,"data":@data} (takes @data) */
void sim_reply_success (SoupServerMessage * msg, JsonNode * data);
/* {"success":false,"code":@code,"error":@text} with HTTP @status */
void sim_reply_failure (SoupServerMessage * msg, guint status, gint code,
    const gchar * text);
JsonNode *sim_media_to_node (const SimMedia * media);
void sim_media_free (SimMedia * media);
SimSession *sim_find_session (NemoSim * sim, const gchar * id);
/* @key of @object if it is a string, else @default_value (network input:
 * never trust a type). */
const gchar *sim_json_string (JsonObject * object, const gchar * key,
    const gchar * default_value);
/* @key of @object if it is an object (an array), else NULL. */
JsonObject *sim_json_object (JsonObject * object, const gchar * key);
JsonArray *sim_json_array (JsonObject * object, const gchar * key);
gchar *sim_random_hex (NemoSim * sim, guint n_chars);

/* ---- stream.c: responses written piece by piece ---- */
typedef struct _SimStream SimStream;

/* A chunked response whose pieces are written on timers. */
SimStream *sim_stream_new_events (NemoSim * sim, SoupServerMessage * msg,
    const gchar * content_type);
void sim_stream_add_data (SimStream * stream, guint delay_ms, const gchar * data);
/* Close the connection once everything before is on the wire, after the
 * first half of @partial_data (or nothing) in a chunk announcing all of it. */
void sim_stream_add_drop (SimStream * stream, guint delay_ms,
    const gchar * partial_data);
/* Start writing; the body ends after the last piece unless it drops. */
void sim_stream_start (SimStream * stream);

typedef enum
{
  SIM_CUT_NONE,
  SIM_CUT_HALF,                 /* close after half the file */
  SIM_CUT_SHORT,                /* announce more than the file, send it, close */
} SimCut;

/* Serve @path with a Content-Length, streamed from disk; the body starts
 * @hold_ms after the headers. */
void sim_stream_file (NemoSim * sim, SoupServerMessage * msg,
    const gchar * path, const gchar * content_type, SimCut cut,
    guint hold_ms);
/* A render's MP4, with the download faults the options ask for. */
void sim_stream_render (NemoSim * sim, SoupServerMessage * msg,
    const gchar * path);
void sim_stream_free_all (NemoSim * sim);

/* ---- upload.c ---- */
void sim_upload_early (NemoSim * sim, SoupServerMessage * msg);
void sim_upload_handle (NemoSim * sim, SoupServerMessage * msg,
    SimSession * session);

/* ---- agent.c ---- */
void sim_agent_chat (NemoSim * sim, SoupServerMessage * msg,
    SimSession * session, const gchar * text);
JsonNode *sim_canvas_to_node (const SimSession * session);

/* ---- export.c ---- */
void sim_export_start (NemoSim * sim, SoupServerMessage * msg,
    JsonNode * body);
void sim_export_status (NemoSim * sim, SoupServerMessage * msg,
    const gchar * id);
void sim_export_cancel (NemoSim * sim, SoupServerMessage * msg,
    const gchar * id);
void sim_export_download (NemoSim * sim, SoupServerMessage * msg,
    const gchar * id);
/* The session's renders, as in state.generated_media. */
JsonNode *sim_export_list (NemoSim * sim, const SimSession * session);
void sim_render_job_free (SimRenderJob * job);
/* Cancel every render and wait for its thread. */
void sim_export_stop_all (NemoSim * sim);
gchar *sim_export_dup_path (NemoSim * sim, const gchar * id);
gint64 sim_export_get_completed (NemoSim * sim, const gchar * id);

G_END_DECLS

#endif
