/* The SSE reader (src/cloud/sse.c) and the chat event parser on any
 * stream the service might send.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fuzz.h"
#include "cloud-private.h"

#include <nemo/cloud.h>

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  g_autoptr (GInputStream) stream =
      g_memory_input_stream_new_from_data (data, size, NULL);
  /* a small line limit, so inputs reach it */
  g_autoptr (NemoSseReader) reader =
      nemo_sse_reader_new (stream, 256);
  CloudChatCollector collector;
  gchar *payload;
  GError *error = NULL;

  cloud_chat_collector_init (&collector);
  while ((payload = nemo_sse_reader_next (reader, NULL, &error)) != NULL) {
    g_autofree gchar *text = NULL;
    g_autofree gchar *merged = NULL;
    NemoChatEventType type = nemo_chat_event_parse (payload, &text);

    merged = cloud_chat_collector_feed (&collector, type, text);
    g_free (payload);
  }
  g_clear_error (&error);
  g_free (cloud_chat_collector_finish (&collector));
  cloud_chat_collector_clear (&collector);
  return 0;
}
