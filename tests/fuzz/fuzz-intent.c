/* The prompt parser (src/intent/) on any UTF-8 text, and the description
 * and draft changes of what it understood.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fuzz.h"

#include <nemo/intent.h>

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  g_autofree gchar *prompt = g_strndup ((const gchar *) data, size);
  g_autoptr (NemoIntent) intent = NULL;

  /* a prompt is a GObject string property: UTF-8 */
  if (strlen (prompt) != size || !g_utf8_validate (prompt, -1, NULL))
    return 0;
  intent = nemo_intent_parse (prompt);
  g_free (nemo_intent_describe (intent, "en"));
  g_free (nemo_intent_describe (intent, "zh"));
  return 0;
}
