/* nemorender media layer: an image's size from its header, read before any
 * decoder sees the file, so a 20000×20000 PNG costs 45 bytes of reading
 * instead of 1.6 GB of pixels.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "media-private.h"

#include <glib/gstdio.h>

static guint
be16 (const guint8 * p)
{
  return (p[0] << 8) | p[1];
}

static guint
le16 (const guint8 * p)
{
  return p[0] | (p[1] << 8);
}

static guint32
be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

static guint32
le24 (const guint8 * p)
{
  return p[0] | (p[1] << 8) | (p[2] << 16);
}

static guint32
le32 (const guint8 * p)
{
  return le24 (p) | ((guint32) p[3] << 24);
}

/* JPEG: walk the marker segments up to the first SOFn. */
static gboolean
jpeg_size (FILE * file, gint * width, gint * height)
{
  guint8 seg[7];

  if (fseek (file, 2, SEEK_SET) != 0)
    return FALSE;

  for (;;) {
    int marker, c = fgetc (file);

    if (c != 0xff)
      return FALSE;
    while ((marker = fgetc (file)) == 0xff);    /* fill bytes */
    if (marker == EOF || marker == 0xd9 || marker == 0xda)     /* EOI, SOS */
      return FALSE;
    if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8))  /* no length */
      continue;
    if (fread (seg, 1, 2, file) != 2 || be16 (seg) < 2)
      return FALSE;
    /* SOF0..SOF15 but DHT (c4), JPG (c8) and DAC (cc) */
    if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 &&
        marker != 0xc8 && marker != 0xcc) {
      if (fread (seg + 2, 1, 5, file) != 5)
        return FALSE;
      *height = be16 (seg + 3);
      *width = be16 (seg + 5);
      return TRUE;
    }
    if (fseek (file, be16 (seg) - 2, SEEK_CUR) != 0)
      return FALSE;
  }
}

/* WebP: the simple VP8 and VP8L layouts store 14-bit sizes, which cannot
 * pass the limit; only the extended VP8X header can. */
static gboolean
webp_size (const guint8 * h, gsize n, gint * width, gint * height)
{
  if (n < 30 || memcmp (h + 12, "VP8X", 4) != 0)
    return FALSE;
  *width = le24 (h + 24) + 1;
  *height = le24 (h + 27) + 1;
  return TRUE;
}

gboolean
nemo_image_header_size (const gchar * path, gint * width, gint * height)
{
  guint8 h[32];
  gboolean ret = FALSE;
  FILE *file;
  gsize n;

  file = g_fopen (path, "rb");
  if (!file)
    return FALSE;
  n = fread (h, 1, sizeof (h), file);

  if (n >= 24 && memcmp (h, "\x89PNG\r\n\x1a\n", 8) == 0 &&
      memcmp (h + 12, "IHDR", 4) == 0) {
    *width = MIN (be32 (h + 16), (guint32) G_MAXINT);
    *height = MIN (be32 (h + 20), (guint32) G_MAXINT);
    ret = TRUE;
  } else if (n >= 10 && (memcmp (h, "GIF87a", 6) == 0 ||
          memcmp (h, "GIF89a", 6) == 0)) {
    *width = le16 (h + 6);
    *height = le16 (h + 8);
    ret = TRUE;
  } else if (n >= 12 && memcmp (h, "RIFF", 4) == 0 &&
      memcmp (h + 8, "WEBP", 4) == 0) {
    ret = webp_size (h, n, width, height);
  } else if (n >= 26 && h[0] == 'B' && h[1] == 'M') {
    /* BITMAPCOREHEADER (12 bytes) has 16-bit sizes, the others 32-bit;
     * a negative height means top-down rows */
    if (le32 (h + 14) == 12) {
      *width = le16 (h + 18);
      *height = le16 (h + 20);
    } else {
      *width = MIN (ABS ((gint64) (gint32) le32 (h + 18)), G_MAXINT);
      *height = MIN (ABS ((gint64) (gint32) le32 (h + 22)), G_MAXINT);
    }
    ret = TRUE;
  } else if (n >= 3 && h[0] == 0xff && h[1] == 0xd8 && h[2] == 0xff) {
    ret = jpeg_size (file, width, height);
  }

  fclose (file);
  return ret;
}

gboolean
nemo_image_header_check (const gchar * path, GError ** error)
{
  gint width, height;

  if (!nemo_image_header_size (path, &width, &height))
    return TRUE;
  return nemo_media_check_picture_size (path, width, height, error);
}
