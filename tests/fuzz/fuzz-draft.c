/* The draft parser (src/draft/draft.c) on any bytes and any JSON: the timeline the
 * service sends back, or a user's file.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fuzz.h"

#include <nemo/draft.h>

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (NemoDraft) draft = NULL;
  JsonNode *root;
  GError *error = NULL;

  /* the text, as a file or a reply holds it (any encoding it detects) */
  draft = nemo_draft_parse ((const gchar *) data, size, &error);
  g_assert ((draft == NULL) != (error == NULL));
  g_clear_error (&error);
  g_clear_pointer (&draft, nemo_draft_free);

  /* the node, as the cloud client hands it over */
  if (!json_parser_load_from_data (parser, (const gchar *) data, size, NULL)
      || (root = json_parser_get_root (parser)) == NULL)
    return 0;
  draft = nemo_draft_from_node (root, &error);
  g_assert ((draft == NULL) != (error == NULL));
  g_clear_error (&error);
  return 0;
}
