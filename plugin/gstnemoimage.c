/* Pictures that arrive as tags, as files the library can read.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gstnemoimage.h"

#include <nemo/error.h>
#include <string.h>

gchar *
gst_nemo_image_sample_save (GstSample * sample, const gchar * dir,
    const gchar * basename, GError ** error)
{
  GstCaps *caps = gst_sample_get_caps (sample);
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  const gchar *type = caps != NULL && !gst_caps_is_empty (caps) ?
      gst_structure_get_name (gst_caps_get_structure (caps, 0)) : "";
  g_autofree gchar *name = NULL;
  g_autofree gchar *path = NULL;
  GError *write_error = NULL;
  GstMapInfo map;
  gboolean ok;

  if (buffer == NULL || !g_str_has_prefix (type, "image/")
      || !gst_buffer_map (buffer, &map, GST_MAP_READ))
    return NULL;
  name = g_strdup_printf ("%s.%s", basename, type + strlen ("image/"));
  path = g_build_filename (dir, name, NULL);
  ok = g_file_set_contents (path, (const gchar *) map.data, map.size,
      &write_error);
  gst_buffer_unmap (buffer, &map);
  if (!ok) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_IO,
        "Could not write the song's picture to “%s”: %s. Set TMPDIR to a "
        "writable folder with space for the video.", path,
        write_error->message);
    g_error_free (write_error);
    return NULL;
  }
  return g_steal_pointer (&path);
}
