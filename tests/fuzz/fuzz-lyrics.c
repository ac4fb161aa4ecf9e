/* The lyrics parser (src/draft/lyrics.c) on any bytes: a user's LRC,
 * SubRip or WebVTT file, or what the lyrics pad spooled.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fuzz.h"

#include <nemo/lyrics.h>

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  g_autoptr (NemoLyrics) lyrics = NULL;
  g_autoptr (NemoDraft) draft = nemo_draft_new ();
  GError *error = NULL;
  guint i;

  lyrics = nemo_lyrics_parse ((const gchar *) data, size, "fuzz", &error);
  g_assert ((lyrics == NULL) != (error == NULL));
  g_clear_error (&error);
  if (lyrics == NULL)
    return 0;
  for (i = 0; i < lyrics->lines->len; i++) {
    const NemoLyricLine *line = g_ptr_array_index (lyrics->lines, i);

    g_assert (g_utf8_validate (line->text, -1, NULL));
  }
  draft->duration_ms = 60000;
  nemo_lyrics_add_to_draft (lyrics, draft, 1000);
  return 0;
}
