/* nemo-sim: the simulated cloud render service as a program.
 *
 *   nemo-sim [--port=N] [--size=320x180] [--silent-edit-rate=0] …
 *
 * Prints `nemo-sim listening on http://127.0.0.1:<port>` (one line, flushed)
 * once it serves, and serves until SIGINT or SIGTERM.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/sim.h>
#include <nemo/error.h>

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  NemoSimOptions options;
  gint port, cdn_port;
  gchar *size;
  gchar *max_upload_size;
  gchar *message_field;
  gint seed;
  gchar *event_shape;
  gchar *status_shape;
  gint think_ms, heartbeat_ms, slow_render_ms, slow_upload_ms,
      slow_download_ms;
  gint expire_token_after, lose_session_after;
  gchar *server_error;
} SimArgs;

static gboolean
parse_size (const gchar * text, gint * width, gint * height, GError ** error)
{
  gchar *end = NULL;
  gint64 w, h;

  w = g_ascii_strtoll (text, &end, 10);
  if (end == text || (*end != 'x' && *end != 'X'))
    goto fail;
  text = end + 1;
  h = g_ascii_strtoll (text, &end, 10);
  if (end == text || *end != '\0')
    goto fail;
  *width = (gint) CLAMP (w, 0, G_MAXINT);
  *height = (gint) CLAMP (h, 0, G_MAXINT);
  return TRUE;
fail:
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
      "--size wants WIDTHxHEIGHT, e.g. --size=320x180.");
  return FALSE;
}

/* "PREFIX:N" */
static gboolean
parse_server_error (const gchar * text, NemoSimOptions * options,
    GError ** error)
{
  const gchar *colon = strrchr (text, ':');
  guint64 count;

  if (colon == NULL || colon == text
      || !g_ascii_string_to_unsigned (colon + 1, 10, 1, G_MAXUINT, &count,
          NULL)) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "--server-error wants PATH_PREFIX:N, e.g. --server-error=/api/state:2.");
    return FALSE;
  }
  options->server_error = g_strndup (text, colon - text);
  options->server_error_count = (guint) count;
  return TRUE;
}

static gboolean
parse_choice (const gchar * flag, const gchar * value, const gchar * first,
    const gchar * second, gboolean * is_second, GError ** error)
{
  if (value == NULL || strcmp (value, first) == 0) {
    *is_second = FALSE;
    return TRUE;
  }
  if (strcmp (value, second) == 0) {
    *is_second = TRUE;
    return TRUE;
  }
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
      "%s wants %s or %s, not “%s”.", flag, first, second, value);
  return FALSE;
}

static gboolean
non_negative (const gchar * flag, gint value, GError ** error)
{
  if (value >= 0)
    return TRUE;
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
      "%s cannot be negative.", flag);
  return FALSE;
}

/* Turn what GOption parsed into NemoSimOptions. */
static gboolean
finish_args (SimArgs * args, GError ** error)
{
  NemoSimOptions *options = &args->options;
  gboolean second;
  guint64 bytes;

  if (!non_negative ("--port", args->port, error)
      || !non_negative ("--cdn-port", args->cdn_port, error)
      || !non_negative ("--think-ms", args->think_ms, error)
      || !non_negative ("--heartbeat-ms", args->heartbeat_ms, error)
      || !non_negative ("--slow-render-ms", args->slow_render_ms, error)
      || !non_negative ("--slow-upload-ms", args->slow_upload_ms, error)
      || !non_negative ("--slow-download-ms", args->slow_download_ms, error)
      || !non_negative ("--expire-token-after", args->expire_token_after,
          error)
      || !non_negative ("--lose-session-after", args->lose_session_after,
          error))
    return FALSE;
  if (args->port > 65535 || args->cdn_port > 65535) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "A port is a number from 0 (any free port) to 65535.");
    return FALSE;
  }
  options->port = args->port;
  options->cdn_port = args->cdn_port;
  options->think_ms = args->think_ms;
  options->heartbeat_ms = args->heartbeat_ms;
  options->slow_render_ms = args->slow_render_ms;
  options->slow_upload_ms = args->slow_upload_ms;
  options->slow_download_ms = args->slow_download_ms;
  options->expire_token_after = args->expire_token_after;
  options->lose_session_after = args->lose_session_after;
  options->seed = (guint32) args->seed;

  if (args->size && !parse_size (args->size, &options->width,
          &options->height, error))
    return FALSE;
  if (args->max_upload_size) {
    if (!g_ascii_string_to_unsigned (args->max_upload_size, 10, 1,
            G_MAXUINT64, &bytes, NULL)) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
          "--max-upload-size wants a number of bytes, e.g. 500000000.");
      return FALSE;
    }
    options->max_upload_size = bytes;
  }
  if (!parse_choice ("--message-field", args->message_field, "msg",
          "message", &options->message_key_long, error))
    return FALSE;
  if (!parse_choice ("--event-shape", args->event_shape, "adk", "typed",
          &second, error))
    return FALSE;
  options->event_shape = second ? NEMO_SIM_EVENTS_TYPED : NEMO_SIM_EVENTS_ADK;
  if (!parse_choice ("--status-shape", args->status_shape, "top", "data",
          &second, error))
    return FALSE;
  options->status_shape = second ? NEMO_SIM_STATUS_DATA : NEMO_SIM_STATUS_TOP;
  if (args->server_error
      && !parse_server_error (args->server_error, options, error))
    return FALSE;
  return TRUE;
}

static gboolean
on_signal (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

/* The command line into @args, checked. */
static gboolean
parse_args (SimArgs * args, gint * argc, gchar *** argv, GError ** error)
{
  NemoSimOptions *options = &args->options;
  GOptionEntry entries[] = {
    {"port", 0, 0, G_OPTION_ARG_INT, &args->port,
        "API port on 127.0.0.1 (default 0: any free port)", "N"},
    {"cdn-port", 0, 0, G_OPTION_ARG_INT, &args->cdn_port,
        "Port of the CDN that serves renders and uploads (default 0: any)",
        "N"},
    {"work-dir", 0, 0, G_OPTION_ARG_FILENAME, &options->work_dir,
        "Keep uploads and renders here (default: a temporary directory, "
        "removed at exit)", "DIR"},
    {"size", 0, 0, G_OPTION_ARG_STRING, &args->size,
        "Canvas of the drafts the agent builds (default 1920x1080)", "WxH"},
    {"token", 0, 0, G_OPTION_ARG_STRING, &options->token,
        "Accept this token too, as a registered user's (NEMO_TOKEN)",
        "TOKEN"},
    {"max-upload-size", 0, 0, G_OPTION_ARG_STRING, &args->max_upload_size,
        "Bigger files get code 4002 (default 500000000)", "BYTES"},
    {"message-field", 0, 0, G_OPTION_ARG_STRING, &args->message_field,
        "Name of the envelope's message field: msg (default) or message",
        "NAME"},
    {"seed", 0, 0, G_OPTION_ARG_INT, &args->seed,
        "Seed of every random choice (default 1)", "N"},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &options->verbose,
        "One line per request on stderr (never a token)", NULL},
    {"silent-edit-rate", 0, 0, G_OPTION_ARG_DOUBLE,
          &options->silent_edit_rate,
          "Share of edit messages (not a session's first) whose stream "
          "ends with no text (default 0.3)", "F"},
    {"think-ms", 0, 0, G_OPTION_ARG_INT, &args->think_ms,
        "The agent thinks this long before its events (default 0)", "N"},
    {"heartbeat-ms", 0, 0, G_OPTION_ARG_INT, &args->heartbeat_ms,
          "A heartbeat every N ms of thinking: an empty data: line (adk) "
          "or {\"type\":\"heartbeat\"} (typed)", "N"},
    {"event-shape", 0, 0, G_OPTION_ARG_STRING, &args->event_shape,
        "Chat events: adk (default) or typed", "SHAPE"},
    {"status-shape", 0, 0, G_OPTION_ARG_STRING, &args->status_shape,
          "Export status: top (status + output.url, default) or data "
          "({\"success\":true,\"data\":{...,\"outputUrl\"}})", "SHAPE"},
    {"expire-token-after", 0, 0, G_OPTION_ARG_INT, &args->expire_token_after,
          "The Nth API request gets code 1001 once; its token stays "
          "invalid until a new one is fetched", "N"},
    {"lose-session-after", 0, 0, G_OPTION_ARG_INT, &args->lose_session_after,
          "The first request from the Nth on that names a session gets "
          "code 1002 once; the session is forgotten", "N"},
    {"no-credits", 0, 0, G_OPTION_ARG_NONE, &options->no_credits,
        "Accounts have no credits: chat gets code 2001", NULL},
    {"export-402", 0, 0, G_OPTION_ARG_NONE, &options->export_402,
          "Every export gets HTTP 402 (free plan export blocked; missing "
          "X-Skill-* headers always do)", NULL},
    {"rate-limit", 0, 0, G_OPTION_ARG_STRING, &options->rate_limit,
          "The first request under this path prefix gets 429 with "
          "Retry-After: 1", "PATH_PREFIX"},
    {"slow-render-ms", 0, 0, G_OPTION_ARG_INT, &args->slow_render_ms,
        "A render takes at least N ms, reporting progress", "N"},
    {"fail-render", 0, 0, G_OPTION_ARG_STRING, &options->fail_render,
        "Renders fail half way with this reason", "REASON"},
    {"drop-chat", 0, 0, G_OPTION_ARG_NONE, &options->drop_chat,
        "Close chat streams mid-text (chunked body left unfinished)", NULL},
    {"drop-download", 0, 0, G_OPTION_ARG_NONE, &options->drop_download,
        "Close render downloads after half the body", NULL},
    {"short-body", 0, 0, G_OPTION_ARG_NONE, &options->short_body,
          "Render downloads announce a Content-Length larger than the "
          "file, send the file, then close", NULL},
    {"slow-upload-ms", 0, 0, G_OPTION_ARG_INT, &args->slow_upload_ms,
        "An upload's reply comes N ms after its body arrived", "N"},
    {"upload-no-answer", 0, 0, G_OPTION_ARG_NONE, &options->upload_no_answer,
          "The first upload is kept in its session, but never answered (the "
          "connection stays open)", NULL},
    {"slow-download-ms", 0, 0, G_OPTION_ARG_INT, &args->slow_download_ms,
          "Render downloads send their headers at once and their body N "
          "ms later", "N"},
    {"server-error", 0, 0, G_OPTION_ARG_STRING, &args->server_error,
          "Requests under PATH_PREFIX get HTTP 503 N times, then pass",
        "PATH_PREFIX:N"},
    {"stream-error", 0, 0, G_OPTION_ARG_STRING, &options->stream_error,
          "Chat streams send data: {\"error\":MSG} mid-stream, then end",
        "MSG"},
    {"model-error", 0, 0, G_OPTION_ARG_STRING, &options->model_error,
          "Chat streams send an errorCode/errorMessage event instead of "
          "the reply, then end", "MSG"},
    {NULL}
  };
  g_autoptr (GOptionContext) context =
      g_option_context_new ("- the nemorender cloud service, simulated on "
      "127.0.0.1");

  g_option_context_set_summary (context,
      "Serves every call of docs/protocol.md on 127.0.0.1 and renders real "
      "MP4s with the local renderer.\nPrints \"nemo-sim listening on "
      "http://127.0.0.1:<port>\" once it serves; the CDN's address goes to "
      "stderr.\nPoint the element at it with "
      "api-url=http://127.0.0.1:<port>.");
  g_option_context_add_main_entries (context, entries, NULL);
  return g_option_context_parse (context, argc, argv, error)
      && finish_args (args, error);
}

/* Serve until SIGINT or SIGTERM. */
static gboolean
serve (const NemoSimOptions * options, GError ** error)
{
  g_autoptr (GMainLoop) loop = NULL;
  NemoSim *sim = nemo_sim_new (options, error);

  if (sim == NULL)
    return FALSE;
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  g_printerr ("nemo-sim: CDN on %s\n", nemo_sim_get_cdn_url (sim));
  printf ("nemo-sim listening on %s\n", nemo_sim_get_url (sim));
  fflush (stdout);
  g_main_loop_run (loop);
  nemo_sim_free (sim);
  return TRUE;
}

static void
sim_args_clear (SimArgs * args)
{
  NemoSimOptions *options = &args->options;

  g_free ((gchar *) options->work_dir);
  g_free ((gchar *) options->token);
  g_free ((gchar *) options->rate_limit);
  g_free ((gchar *) options->fail_render);
  g_free ((gchar *) options->server_error);
  g_free ((gchar *) options->stream_error);
  g_free ((gchar *) options->model_error);
  g_free (args->size);
  g_free (args->max_upload_size);
  g_free (args->message_field);
  g_free (args->event_shape);
  g_free (args->status_shape);
  g_free (args->server_error);
}

int
main (int argc, char **argv)
{
  SimArgs args = { 0, };
  g_autoptr (GError) error = NULL;
  gboolean ok;

  setlocale (LC_ALL, "");
  nemo_sim_options_init (&args.options);
  args.seed = (gint) args.options.seed;
  ok = parse_args (&args, &argc, &argv, &error)
      && serve (&args.options, &error);
  if (error)
    g_printerr ("nemo-sim: %s\n", error->message);
  sim_args_clear (&args);
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
