/* nemorender media layer: the picture a song carries (MP3 APIC, FLAC
 * PICTURE, M4A covr), which FFmpeg shows as an attached-picture stream.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "media-private.h"

/* The file name extension of an embedded picture we can show, or NULL. */
static const gchar *
cover_extension (enum AVCodecID codec_id)
{
  switch (codec_id) {
    case AV_CODEC_ID_MJPEG:
      return "jpg";
    case AV_CODEC_ID_PNG:
      return "png";
    case AV_CODEC_ID_GIF:
      return "gif";
    case AV_CODEC_ID_WEBP:
      return "webp";
    case AV_CODEC_ID_BMP:
      return "bmp";
    default:
      return NULL;
  }
}

/* The first attached picture in a format we show, or NULL. */
static const AVStream *
find_cover (const AVFormatContext * fmt)
{
  guint i;

  for (i = 0; i < fmt->nb_streams; i++) {
    const AVStream *st = fmt->streams[i];

    if ((st->disposition & AV_DISPOSITION_ATTACHED_PIC)
        && st->attached_pic.size > 0
        && cover_extension (st->codecpar->codec_id) != NULL)
      return st;
  }
  return NULL;
}

gchar *
nemo_media_extract_cover (const gchar * song, const gchar * dir,
    GError ** error)
{
  g_autoptr (NemoDecoder) dec = NULL;
  g_autofree gchar *path = NULL;
  g_autofree gchar *name = NULL;
  g_autofree gchar *cover = NULL;
  GError *write_error = NULL;
  const AVStream *st;

  path = nemo_media_path_from_uri (song, error);
  if (path == NULL)
    return NULL;
  dec = nemo_decoder_open (path, error);
  if (dec == NULL)
    return NULL;
  st = find_cover (dec->fmt);
  if (st == NULL)
    return NULL;

  name = g_strdup_printf ("song-cover.%s",
      cover_extension (st->codecpar->codec_id));
  cover = g_build_filename (dir, name, NULL);
  if (!g_file_set_contents (cover, (const gchar *) st->attached_pic.data,
          st->attached_pic.size, &write_error)) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_IO,
        "Could not write the cover embedded in “%s” to “%s”: %s. Check the "
        "space in the temporary folder (TMPDIR).", path, cover,
        write_error->message);
    g_error_free (write_error);
    return NULL;
  }
  return g_steal_pointer (&cover);
}
