/* Unit tests of the chat stream pieces: NemoSseReader over a stream that
 * hands out 1-3 bytes per read, nemo_chat_event_parse() on both event
 * shapes, and the merging of partial texts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "cloud-private.h"
#include "test-util.h"

/* ---- a stream that returns 1, 2, 3, 1, 2, 3… bytes per read ----------- */

#define TEST_TYPE_TRICKLE_STREAM (test_trickle_stream_get_type ())
G_DECLARE_FINAL_TYPE (TestTrickleStream, test_trickle_stream, TEST,
    TRICKLE_STREAM, GInputStream);

struct _TestTrickleStream
{
  GInputStream parent;
  GBytes *bytes;
  gsize offset;
  guint reads;
};

G_DEFINE_TYPE (TestTrickleStream, test_trickle_stream, G_TYPE_INPUT_STREAM);

static gssize
test_trickle_stream_read (GInputStream * stream, void *buffer, gsize count,
    GCancellable * cancellable, GError ** error)
{
  TestTrickleStream *self = TEST_TRICKLE_STREAM (stream);
  gsize size;
  const guint8 *data = g_bytes_get_data (self->bytes, &size);
  gsize n = MIN (MIN (count, 1 + self->reads++ % 3), size - self->offset);

  if (n > 0)                    /* data is NULL for an empty stream */
    memcpy (buffer, data + self->offset, n);
  self->offset += n;
  return n;
}

static void
test_trickle_stream_finalize (GObject * object)
{
  g_bytes_unref (TEST_TRICKLE_STREAM (object)->bytes);
  G_OBJECT_CLASS (test_trickle_stream_parent_class)->finalize (object);
}

static void
test_trickle_stream_class_init (TestTrickleStreamClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_trickle_stream_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = test_trickle_stream_read;
}

static void
test_trickle_stream_init (TestTrickleStream * self)
{
}

static GInputStream *
trickle_new (const gchar * text, gsize length)
{
  TestTrickleStream *stream = g_object_new (TEST_TYPE_TRICKLE_STREAM, NULL);

  stream->bytes = g_bytes_new (text, length);
  return G_INPUT_STREAM (stream);
}

/* Every payload of @text, read in trickles, joined with "|". */
static gchar *
all_payloads (const gchar * text, gsize max_line, GError ** error)
{
  g_autoptr (GInputStream) stream = trickle_new (text, strlen (text));
  g_autoptr (NemoSseReader) reader = nemo_sse_reader_new (stream, max_line);
  GString *out = g_string_new (NULL);
  gchar *payload;
  gboolean first = TRUE;

  while ((payload = nemo_sse_reader_next (reader, NULL, error)) != NULL) {
    g_string_append_printf (out, "%s%s", first ? "" : "|", payload);
    first = FALSE;
    g_free (payload);
  }
  return g_string_free (out, FALSE);
}

static void
test_reader_lines (void)
{
  static const struct
  {
    const gchar *stream;
    const gchar *payloads;
  } cases[] = {
    {"data: {\"a\":1}\n\ndata: {\"b\":2}\n\n", "{\"a\":1}|{\"b\":2}"},
    {"data: {\"a\":1}\r\n\r\ndata: two\r\n\r\n", "{\"a\":1}|two"},
    {"data:no-space\n\n", "no-space"},
    {"data: \n\ndata:\n\ndata: x\n\n", "||x"},
    {"data: first\ndata: second\n\n", "first\nsecond"},
    {"event: message\nid: 7\nretry: 10\ndata: x\n\n", "x"},
    {": keepalive\n\ndata: x\n\n", "|x"},
    {"database: nope\ndata: yes\n\n", "yes"},
    {"data: last without newline", "last without newline"},
    {"data: last\r\n", "last"},
    {"\n\n\n", ""},
    {"", ""},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *payloads = all_payloads (cases[i].stream, 0, &error);

    g_test_message ("case %u: %s", i, cases[i].stream);
    g_assert_no_error (error);
    g_assert_cmpstr (payloads, ==, cases[i].payloads);
  }
}

static void
test_reader_long_lines (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *fits = g_strnfill (100, 'x');
  g_autofree gchar *text = NULL;
  g_autofree gchar *payloads = NULL;
  g_autofree gchar *huge = NULL;

  /* "data: " + 94 bytes is exactly the 100-byte cap, CR not counted */
  text = g_strdup_printf ("data: %.*s\r\n\r\n", 94, fits);
  payloads = all_payloads (text, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (payloads), ==, 94);

  g_clear_pointer (&text, g_free);
  g_clear_pointer (&payloads, g_free);
  text = g_strdup_printf ("data: %.*s\n\n", 95, fits);
  payloads = all_payloads (text, 100, &error);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "longer than 100 bytes"));
  g_clear_error (&error);

  /* 3 MiB without a newline against the default 1 MiB cap: an error, not
   * a 3 MiB allocation */
  huge = g_strnfill (3 * 1024 * 1024, 'y');
  memcpy (huge, "data: ", 6);
  {
    g_autoptr (GInputStream) stream = g_memory_input_stream_new_from_data
        (huge, strlen (huge), NULL);
    g_autoptr (NemoSseReader) reader = nemo_sse_reader_new (stream, 0);
    g_autofree gchar *payload = nemo_sse_reader_next (reader, NULL, &error);

    g_assert_null (payload);
    g_assert_error (error, NEMO_ERROR, NEMO_ERROR_FAILED);
    g_assert_nonnull (strstr (error->message, "1048576"));
  }
}

/* ---- payloads --------------------------------------------------------- */

static void
test_event_parse (void)
{
  static const struct
  {
    const gchar *payload;
    NemoChatEventType type;
    const gchar *text;
  } cases[] = {
    /* ADK events */
    {"{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Hello\"}]},"
          "\"author\":\"nemo_agent\",\"invocationId\":\"i\",\"id\":\"e\","
          "\"timestamp\":1743712255.31,\"turnComplete\":true}",
        NEMO_CHAT_EVENT_TEXT, "Hello"},
    {"{\"content\":{\"parts\":[{\"text\":\"Hel\"}]},\"partial\":true}",
        NEMO_CHAT_EVENT_PARTIAL, "Hel"},
    {"{\"content\":{\"parts\":[{\"text\":\"a\"},{\"text\":\"b\"}]}}",
        NEMO_CHAT_EVENT_TEXT, "ab"},
    {"{\"content\":{\"parts\":[{\"functionCall\":{\"id\":\"1\",\"name\":"
          "\"add_track\",\"args\":{\"x\":1}}}]}}", NEMO_CHAT_EVENT_IGNORE,
        NULL},
    {"{\"content\":{\"parts\":[{\"functionResponse\":{\"id\":\"1\",\"name\":"
          "\"add_track\",\"response\":{\"ok\":true}}}]}}",
        NEMO_CHAT_EVENT_IGNORE, NULL},
    {"{\"content\":{\"parts\":[{\"text\":\"thinking\",\"thought\":true},"
          "{\"text\":\"Done\"}]}}", NEMO_CHAT_EVENT_TEXT, "Done"},
    {"{\"content\":{\"role\":\"user\",\"parts\":[{\"text\":\"echo\"}]}}",
        NEMO_CHAT_EVENT_IGNORE, NULL},
    {"{\"actions\":{\"stateDelta\":{\"a\":1}}}", NEMO_CHAT_EVENT_IGNORE, NULL},
    {"{\"errorCode\":\"MALFORMED_FUNCTION_CALL\",\"errorMessage\":\"bad "
          "call\"}", NEMO_CHAT_EVENT_ERROR, "bad call (MALFORMED_FUNCTION_CALL)"},
    {"{\"errorCode\":\"SAFETY\"}", NEMO_CHAT_EVENT_ERROR, "SAFETY"},
    {"{\"error\":\"backend exploded\"}", NEMO_CHAT_EVENT_ERROR,
        "backend exploded"},
    {"{\"error\":{\"message\":\"nested\"}}", NEMO_CHAT_EVENT_ERROR, "nested"},
    /* typed events */
    {"{\"type\":\"text\",\"content\":\"Typed\"}", NEMO_CHAT_EVENT_TEXT,
        "Typed"},
    {"{\"type\":\"tool_call\",\"name\":\"x\",\"content\":\"internal\"}",
        NEMO_CHAT_EVENT_IGNORE, NULL},
    {"{\"type\":\"tool_result\",\"content\":\"internal\"}",
        NEMO_CHAT_EVENT_IGNORE, NULL},
    {"{\"type\":\"heartbeat\"}", NEMO_CHAT_EVENT_HEARTBEAT, NULL},
    {"{\"type\":\"text\",\"content\":\"\"}", NEMO_CHAT_EVENT_IGNORE, NULL},
    /* the rest */
    {"", NEMO_CHAT_EVENT_HEARTBEAT, NULL},
    {"  ", NEMO_CHAT_EVENT_HEARTBEAT, NULL},
    {"not json", NEMO_CHAT_EVENT_IGNORE, NULL},
    {"[1,2]", NEMO_CHAT_EVENT_IGNORE, NULL},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *text = NULL;

    g_test_message ("case %u: %s", i, cases[i].payload);
    g_assert_cmpint (nemo_chat_event_parse (cases[i].payload, &text), ==,
        cases[i].type);
    g_assert_cmpstr (text, ==, cases[i].text);
  }
}

static void
test_partials (void)
{
  CloudChatCollector collector;
  gchar *posted;

  cloud_chat_collector_init (&collector);
  /* chunks wait, the full text replaces them */
  g_assert_null (cloud_chat_collector_feed (&collector,
          NEMO_CHAT_EVENT_PARTIAL, "Your video "));
  g_assert_null (cloud_chat_collector_feed (&collector,
          NEMO_CHAT_EVENT_PARTIAL, "is ready"));
  g_assert_null (cloud_chat_collector_feed (&collector,
          NEMO_CHAT_EVENT_IGNORE, NULL));
  posted = cloud_chat_collector_feed (&collector, NEMO_CHAT_EVENT_TEXT,
      "Your video is ready.");
  g_assert_cmpstr (posted, ==, "Your video is ready.");
  g_free (posted);
  g_assert_null (cloud_chat_collector_finish (&collector));

  /* a stream that ends after chunks: the chunks are the text */
  g_assert_null (cloud_chat_collector_feed (&collector,
          NEMO_CHAT_EVENT_PARTIAL, "Half "));
  g_assert_null (cloud_chat_collector_feed (&collector,
          NEMO_CHAT_EVENT_PARTIAL, "done"));
  posted = cloud_chat_collector_finish (&collector);
  g_assert_cmpstr (posted, ==, "Half done");
  g_free (posted);
  g_assert_null (cloud_chat_collector_finish (&collector));
  cloud_chat_collector_clear (&collector);
}

/* A whole ADK stream in trickles, through reader, parser and collector. */
static void
test_stream_to_replies (void)
{
  static const gchar stream_text[] =
      "data: {\"content\":{\"parts\":[{\"text\":\"Adding \"}]},\"partial\":true}\r\n\r\n"
      "data: {\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"add\"}}]}}\r\n\r\n"
      "data: {\"type\":\"heartbeat\"}\r\n\r\n"
      "data:\r\n\r\n"
      "data: {\"content\":{\"parts\":[{\"text\":\"Adding the title.\"}]}}\r\n\r\n"
      "data: {\"type\":\"text\",\"content\":\"Done.\"}";
  g_autoptr (GInputStream) stream = trickle_new (stream_text,
      sizeof stream_text - 1);
  g_autoptr (NemoSseReader) reader = nemo_sse_reader_new (stream, 0);
  g_autoptr (GString) replies = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  CloudChatCollector collector;
  guint heartbeats = 0;
  gchar *payload;

  cloud_chat_collector_init (&collector);
  while ((payload = nemo_sse_reader_next (reader, NULL, &error)) != NULL) {
    g_autofree gchar *text = NULL;
    g_autofree gchar *posted = NULL;
    NemoChatEventType type = nemo_chat_event_parse (payload, &text);

    heartbeats += type == NEMO_CHAT_EVENT_HEARTBEAT;
    posted = cloud_chat_collector_feed (&collector, type, text);
    if (posted != NULL)
      g_string_append_printf (replies, "[%s]", posted);
    g_free (payload);
  }
  g_assert_no_error (error);
  g_assert_null (cloud_chat_collector_finish (&collector));
  cloud_chat_collector_clear (&collector);
  g_assert_cmpstr (replies->str, ==, "[Adding the title.][Done.]");
  g_assert_cmpuint (heartbeats, ==, 2);
}

/* The documents' two event shapes, as fixtures/ writes them by hand: each
 * event is what the documents say it is, and the text is the last one's. */
static void
test_fixture_streams (void)
{
  static const struct
  {
    const gchar *fixture;
    NemoChatEventType types[6];
  } cases[] = {
    {"chat-adk.sse", {NEMO_CHAT_EVENT_PARTIAL, NEMO_CHAT_EVENT_HEARTBEAT,
                NEMO_CHAT_EVENT_IGNORE, NEMO_CHAT_EVENT_IGNORE,
            NEMO_CHAT_EVENT_TEXT}},
    {"chat-typed.sse", {NEMO_CHAT_EVENT_HEARTBEAT, NEMO_CHAT_EVENT_IGNORE,
                NEMO_CHAT_EVENT_IGNORE, NEMO_CHAT_EVENT_PARTIAL,
            NEMO_CHAT_EVENT_TEXT}},
  };
  guint i, n;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *contents = read_fixture (cases[i].fixture);
    g_autoptr (GInputStream) stream = NULL;
    g_autoptr (NemoSseReader) reader = NULL;
    g_autoptr (GError) error = NULL;
    g_autofree gchar *last = NULL;
    gchar *payload;

    stream = trickle_new (contents, strlen (contents));
    reader = nemo_sse_reader_new (stream, 4096);
    for (n = 0; (payload = nemo_sse_reader_next (reader, NULL, &error));
        n++) {
      g_autofree gchar *text = NULL;

      g_assert_cmpuint (n, <, 5);
      g_assert_cmpint (nemo_chat_event_parse (payload, &text), ==,
          cases[i].types[n]);
      g_free (last);
      last = g_steal_pointer (&text);
      g_free (payload);
    }
    g_assert_no_error (error);
    g_assert_cmpuint (n, ==, 5);
    g_assert_cmpstr (last, ==, "I put your cover over the whole song.");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sse/reader/lines", test_reader_lines);
  g_test_add_func ("/sse/reader/long-lines", test_reader_long_lines);
  g_test_add_func ("/sse/event-parse", test_event_parse);
  g_test_add_func ("/sse/partials", test_partials);
  g_test_add_func ("/sse/stream-to-replies", test_stream_to_replies);
  g_test_add_func ("/sse/fixture-streams", test_fixture_streams);
  return g_test_run ();
}
