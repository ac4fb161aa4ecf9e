/* A server reply's JSON: both envelope shapes (cloud_envelope_read in
 * src/cloud/client.c), the ids taken from it, and the export status
 * (read_render_status in src/cloud/export.c, static, so that file is
 * compiled in here; the library's copy of it is then never linked).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fuzz.h"
#include "../../src/cloud/export.c"

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  CloudEnvelope envelope;
  RenderStatus status = { 0 };
  JsonNode *root;
  guint i;
  static const guint statuses[] = { 200, 401, 429, 500 };

  if (!json_parser_load_from_data (parser, (const gchar *) data, size, NULL))
    return 0;
  root = json_parser_get_root (parser);
  for (i = 0; i < G_N_ELEMENTS (statuses); i++)
    cloud_envelope_read (root, statuses[i], &envelope);
  g_free (cloud_json_id (envelope.data, "render_id"));
  g_free (cloud_json_id (envelope.data, "session_id"));
  g_free (cloud_json_id (root, "id"));
  read_render_status (root, envelope.data ? envelope.data : root, &status);
  return 0;
}
