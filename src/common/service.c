/* nemorender: what the hosted service accepts (docs/protocol.md, Limits).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/service.h>

#include <string.h>

#define COMMON_VIDEO "h264,hevc,vp8,vp9,av1,mpeg4"
#define COMMON_AUDIO "aac,mp3,opus,vorbis,pcm"

/* In the documents' order. */
static const NemoServiceFormat formats[] = {
  {"mp4", "video", NEMO_SERVICE_DOCUMENTED,
      "mp4", COMMON_VIDEO, COMMON_AUDIO},
  {"mov", "video", NEMO_SERVICE_DOCUMENTED,
      "mov", COMMON_VIDEO, COMMON_AUDIO},
  {"avi", "video", NEMO_SERVICE_DOCUMENTED,
      "avi", COMMON_VIDEO, COMMON_AUDIO},
  {"webm", "video", NEMO_SERVICE_DOCUMENTED,
      "webm", "vp8,vp9,av1", "opus,vorbis"},
  {"mkv", "video", NEMO_SERVICE_DOCUMENTED,
      "matroska", COMMON_VIDEO, COMMON_AUDIO},
  {"jpg", "image", NEMO_SERVICE_DOCUMENTED,
      "image2,jpeg_pipe", "mjpeg", NULL},
  {"jpeg", "image", NEMO_SERVICE_SPELLING,
      "image2,jpeg_pipe", "mjpeg", NULL},
  {"png", "image", NEMO_SERVICE_DOCUMENTED,
      "image2,png_pipe", "png", NULL},
  {"gif", "image", NEMO_SERVICE_DOCUMENTED,
      "gif", "gif", NULL},
  {"webp", "image", NEMO_SERVICE_DOCUMENTED,
      "image2,webp_pipe", "webp", NULL},
  {"mp3", "audio", NEMO_SERVICE_DOCUMENTED,
      "mp3", NULL, "mp3"},
  {"wav", "audio", NEMO_SERVICE_DOCUMENTED,
      "wav", NULL, "pcm"},
  {"m4a", "audio", NEMO_SERVICE_DOCUMENTED,
      "m4a", NULL, "aac"},
  {"aac", "audio", NEMO_SERVICE_DOCUMENTED,
      "aac", NULL, "aac"},
  {"flac", "audio", NEMO_SERVICE_ONE_DOCUMENT,
      "flac", NULL, "flac"},
};

const NemoServiceFormat *
nemo_service_format_for_name (const gchar * name)
{
  const gchar *dot = name != NULL ? strrchr (name, '.') : NULL;
  guint i;

  for (i = 0; dot != NULL && i < G_N_ELEMENTS (formats); i++)
    if (g_ascii_strcasecmp (dot + 1, formats[i].extension) == 0)
      return &formats[i];
  return NULL;
}

gchar *
nemo_service_accepted_text (gboolean with_one_document)
{
  GString *text = g_string_new (NULL);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    if (formats[i].source == NEMO_SERVICE_SPELLING
        || (formats[i].source == NEMO_SERVICE_ONE_DOCUMENT
            && !with_one_document))
      continue;
    g_string_append_printf (text, "%s%s", text->len > 0 ? ", " : "",
        formats[i].extension);
  }
  return g_string_free (text, FALSE);
}
