/* nemo-sim: responses written a piece at a time.
 *
 * Event streams are chunked bodies whose pieces are appended from timers on
 * the server's context (the message pauses itself when it runs out of body,
 * and each append unpauses it).  Files go out with a Content-Length, one
 * block read from disk each time the previous one is on the wire.  Either
 * can be cut: the connection is stolen from the server and closed once what
 * was appended before has been written.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sim-private.h"

#include <string.h>

#define SIM_FILE_BLOCK (64 * 1024)
/* How often a pending cut checks that the bytes before it are written. */
#define SIM_DRAIN_POLL_MS 5

typedef enum
{
  PIECE_DATA,
  PIECE_DROP,
} SimPieceKind;

typedef struct
{
  SimPieceKind kind;
  guint delay_ms;
  gchar *data;
} SimPiece;

struct _SimStream
{
  NemoSim *sim;
  SoupServerMessage *msg;
  GSource *timer;
  guint appended, written;      /* body chunks */

  /* events */
  GQueue pieces;

  /* files */
  GInputStream *file;
  guint64 to_send;              /* bytes still to append */
  SimCut cut;
  guint hold_ms;                /* before the first block (--slow-download-ms) */
};

static void
piece_free (SimPiece * piece)
{
  g_free (piece->data);
  g_free (piece);
}

static void
stream_free (SimStream * stream)
{
  NemoSim *sim = stream->sim;

  sim->streams = g_list_remove (sim->streams, stream);
  if (stream->timer) {
    g_source_destroy (stream->timer);
    g_source_unref (stream->timer);
  }
  g_signal_handlers_disconnect_by_data (stream->msg, stream);
  g_object_unref (stream->msg);
  g_queue_clear_full (&stream->pieces, (GDestroyNotify) piece_free);
  g_clear_object (&stream->file);
  g_free (stream);
}

void
sim_stream_free_all (NemoSim * sim)
{
  while (sim->streams)
    stream_free (sim->streams->data);
}

static void
stream_finished (SoupServerMessage * msg, SimStream * stream)
{
  stream_free (stream);
}

static void
stream_wrote_chunk (SoupServerMessage * msg, SimStream * stream)
{
  stream->written++;
}

static SimStream *
stream_new (NemoSim * sim, SoupServerMessage * msg)
{
  SimStream *stream = g_new0 (SimStream, 1);

  stream->sim = sim;
  stream->msg = g_object_ref (msg);
  /* libsoup looks the addresses up when a connection is stolen, which warns
   * once the peer is gone: have it cache them while the peer is here */
  soup_server_message_get_remote_address (msg);
  soup_server_message_get_local_address (msg);
  g_queue_init (&stream->pieces);
  soup_message_body_set_accumulate (soup_server_message_get_response_body
      (msg), FALSE);
  g_signal_connect (msg, "finished", G_CALLBACK (stream_finished), stream);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (stream_wrote_chunk),
      stream);
  sim->streams = g_list_prepend (sim->streams, stream);
  return stream;
}

/* Close the connection under the response: the client sees its body end
 * before it is complete.  For a chunked body, @partial_chunk (or NULL)
 * first goes out raw as a chunk that announces all of its bytes but stops
 * half way: a body cut between two chunks reads as a clean end in libsoup
 * 3.2's client, one cut inside a chunk never does.  The socket is shut down
 * before the connection is stolen, as freeing the stolen I/O would end the
 * chunked body properly.  Frees @stream. */
static void
stream_cut (SimStream * stream, const gchar * partial_chunk)
{
  GSocket *socket = soup_server_message_get_socket (stream->msg);
  GIOStream *connection;

  if (socket) {
    g_object_ref (socket);
    if (partial_chunk) {
      gsize length = strlen (partial_chunk);
      g_autofree gchar *raw = g_strdup_printf ("%zx\r\n%.*s", length,
          (int) (length / 2), partial_chunk);

      g_socket_send_with_blocking (socket, raw, strlen (raw), TRUE, NULL,
          NULL);
    }
    g_socket_shutdown (socket, TRUE, TRUE, NULL);
  }
  connection = soup_server_message_steal_connection (stream->msg);
  if (connection) {
    g_io_stream_close (connection, NULL, NULL);
    g_object_unref (connection);
  }
  if (socket) {
    g_socket_close (socket, NULL);
    g_object_unref (socket);
  }
  stream_free (stream);
}

static void stream_schedule (SimStream * stream, guint delay_ms,
    GSourceFunc func);

/* ---- event streams ---- */

static gboolean
stream_next_piece (gpointer data)
{
  SimStream *stream = data;
  SimPiece *piece = g_queue_peek_head (&stream->pieces);
  SoupMessageBody *body =
      soup_server_message_get_response_body (stream->msg);
  gsize length;

  g_clear_pointer (&stream->timer, g_source_unref);
  if (piece->kind == PIECE_DROP) {
    if (stream->written < stream->appended) {
      stream_schedule (stream, SIM_DRAIN_POLL_MS, stream_next_piece);
      return G_SOURCE_REMOVE;
    }
    g_queue_pop_head (&stream->pieces);
    stream_cut (stream, piece->data);
    piece_free (piece);
    return G_SOURCE_REMOVE;
  }

  g_queue_pop_head (&stream->pieces);
  length = strlen (piece->data);
  soup_message_body_append (body, SOUP_MEMORY_TAKE,
      g_steal_pointer (&piece->data), length);
  piece_free (piece);
  stream->appended++;

  piece = g_queue_peek_head (&stream->pieces);
  if (piece)
    stream_schedule (stream, piece->delay_ms, stream_next_piece);
  else
    soup_message_body_complete (body);
  soup_server_message_unpause (stream->msg);
  return G_SOURCE_REMOVE;
}

static void
stream_schedule (SimStream * stream, guint delay_ms, GSourceFunc func)
{
  stream->timer = g_timeout_source_new (delay_ms);
  g_source_set_callback (stream->timer, func, stream, NULL);
  g_source_attach (stream->timer, stream->sim->context);
}

SimStream *
sim_stream_new_events (NemoSim * sim, SoupServerMessage * msg,
    const gchar * content_type)
{
  SoupMessageHeaders *headers =
      soup_server_message_get_response_headers (msg);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, content_type, NULL);
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  /* the stream ends when the connection closes */
  soup_message_headers_replace (headers, "Connection", "close");
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  return stream_new (sim, msg);
}

void
sim_stream_add_data (SimStream * stream, guint delay_ms, const gchar * data)
{
  SimPiece *piece = g_new0 (SimPiece, 1);

  piece->kind = PIECE_DATA;
  piece->delay_ms = delay_ms;
  piece->data = g_strdup (data);
  g_queue_push_tail (&stream->pieces, piece);
}

void
sim_stream_add_drop (SimStream * stream, guint delay_ms,
    const gchar * partial_data)
{
  SimPiece *piece = g_new0 (SimPiece, 1);

  piece->kind = PIECE_DROP;
  piece->delay_ms = delay_ms;
  piece->data = g_strdup (partial_data);
  g_queue_push_tail (&stream->pieces, piece);
}

void
sim_stream_start (SimStream * stream)
{
  SimPiece *piece = g_queue_peek_head (&stream->pieces);

  if (piece == NULL) {
    soup_message_body_complete (soup_server_message_get_response_body
        (stream->msg));
    return;
  }
  stream_schedule (stream, piece->delay_ms, stream_next_piece);
}

/* ---- files ---- */

static gboolean
file_cut (gpointer data)
{
  SimStream *stream = data;

  g_clear_pointer (&stream->timer, g_source_unref);
  stream_cut (stream, NULL);
  return G_SOURCE_REMOVE;
}

/* After the headers and after each block: append the next block, or cut
 * the connection (from a timer: never steal it inside a signal of its I/O). */
static void file_write_next (SoupServerMessage * msg, SimStream * stream);

/* The hold is over: the first block, and wake the message, which paused
 * itself when it found no body to write. */
static gboolean
file_hold_over (gpointer data)
{
  SimStream *stream = data;

  g_clear_pointer (&stream->timer, g_source_unref);
  file_write_next (stream->msg, stream);
  soup_server_message_unpause (stream->msg);
  return G_SOURCE_REMOVE;
}

static void
file_write_next (SoupServerMessage * msg, SimStream * stream)
{
  g_autoptr (GError) error = NULL;
  gsize want = MIN (stream->to_send, SIM_FILE_BLOCK);
  guint8 *block;
  gssize n;

  if (stream->hold_ms > 0) {
    stream_schedule (stream, stream->hold_ms, file_hold_over);
    stream->hold_ms = 0;
    return;
  }
  if (want == 0) {
    if (stream->cut != SIM_CUT_NONE && stream->timer == NULL)
      stream_schedule (stream, 0, file_cut);
    return;
  }
  block = g_malloc (want);
  n = g_input_stream_read (stream->file, block, want, NULL, &error);
  if (n <= 0) {
    /* the file shrank under us: the client must not take this as whole */
    g_free (block);
    if (stream->timer == NULL)
      stream_schedule (stream, 0, file_cut);
    return;
  }
  stream->to_send -= n;
  soup_message_body_append (soup_server_message_get_response_body (msg),
      SOUP_MEMORY_TAKE, block, n);
}

void
sim_stream_file (NemoSim * sim, SoupServerMessage * msg, const gchar * path,
    const gchar * content_type, SimCut cut, guint hold_ms)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) input = g_file_read (file, NULL, NULL);
  g_autoptr (GFileInfo) info = NULL;
  SoupMessageHeaders *headers =
      soup_server_message_get_response_headers (msg);
  SimStream *stream;
  goffset size;

  if (input)
    info = g_file_input_stream_query_info (input,
        G_FILE_ATTRIBUTE_STANDARD_SIZE, NULL, NULL);
  if (info == NULL) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }
  size = g_file_info_get_size (info);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, content_type, NULL);
  soup_message_headers_set_content_length (headers,
      cut == SIM_CUT_SHORT ? size + size / 2 + 1 : size);
  if (g_strcmp0 (soup_server_message_get_method (msg), "HEAD") == 0)
    return;

  stream = stream_new (sim, msg);
  stream->file = G_INPUT_STREAM (g_steal_pointer (&input));
  stream->cut = cut;
  stream->hold_ms = hold_ms;
  stream->to_send = cut == SIM_CUT_HALF ? size / 2 : size;
  g_signal_connect (msg, "wrote-headers", G_CALLBACK (file_write_next),
      stream);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (file_write_next), stream);
}
