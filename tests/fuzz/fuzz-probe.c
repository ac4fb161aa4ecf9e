/* Media probing (src/media/probe.c) of arbitrary bytes in a file: what a
 * user may point audio-uri/visual-uri at.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fuzz.h"

#include <glib/gstdio.h>
#include <nemo/media.h>

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static gchar *path;
  g_autoptr (NemoMediaInfo) info = NULL;
  GError *error = NULL;

  if (path == NULL) {
    gint fd = g_file_open_tmp ("nemo-fuzz-probe-XXXXXX", &path, NULL);

    g_assert_cmpint (fd, >=, 0);
    close (fd);
  }
  g_assert_true (g_file_set_contents (path, (const gchar *) data, size, NULL));
  info = nemo_media_probe (path, &error);
  g_assert ((info == NULL) != (error == NULL));
  g_clear_error (&error);
  g_unlink (path);
  return 0;
}
