/* Replays a fuzz target's corpus without libFuzzer, for `meson test` with
 * gcc: LLVMFuzzerTestOneInput() on every file of each folder (or file)
 * given.  A crash, a sanitizer report or a failed assertion fails it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fuzz.h"

#include <glib.h>
#include <stdio.h>

static guint
replay (const gchar * path)
{
  g_autofree gchar *contents = NULL;
  gsize length;
  GDir *dir;
  const gchar *name;
  guint n = 0;

  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    dir = g_dir_open (path, 0, NULL);
    g_assert_nonnull (dir);
    while ((name = g_dir_read_name (dir))) {
      g_autofree gchar *child = g_build_filename (path, name, NULL);
      n += replay (child);
    }
    g_dir_close (dir);
    return n;
  }
  if (!g_file_get_contents (path, &contents, &length, NULL))
    g_error ("cannot read %s", path);
  /* a copy of exactly the input's size, so ASan sees any overread */
  {
    g_autofree guint8 *copy = g_memdup2 (contents, length);
    LLVMFuzzerTestOneInput (copy, length);
  }
  return 1;
}

int
main (int argc, char **argv)
{
  guint n = 0;
  int i;

  for (i = 1; i < argc; i++)
    n += replay (argv[i]);
  if (n == 0)
    g_error ("no inputs to replay");
  printf ("replayed %u inputs\n", n);
  return 0;
}
