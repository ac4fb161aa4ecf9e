/* The nemo plugin: registers the nemorender element and routes FFmpeg's log
 * into GStreamer's debug system. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <libavutil/log.h>

#include "gstnemorender.h"

GST_DEBUG_CATEGORY_STATIC (nemo_ffmpeg_debug);

static void
log_ffmpeg (void *avcl, int level, const char *fmt, va_list vl)
{
  GstDebugLevel gst_level;
  gchar *line;
  gsize len;

  if (level <= AV_LOG_ERROR)
    gst_level = GST_LEVEL_ERROR;
  else if (level <= AV_LOG_WARNING)
    gst_level = GST_LEVEL_WARNING;
  else if (level <= AV_LOG_INFO)
    gst_level = GST_LEVEL_INFO;
  else if (level <= AV_LOG_VERBOSE)
    gst_level = GST_LEVEL_DEBUG;
  else
    gst_level = GST_LEVEL_LOG;
  if (gst_level > gst_debug_category_get_threshold (nemo_ffmpeg_debug))
    return;

  line = g_strdup_vprintf (fmt, vl);
  len = strlen (line);
  if (len > 0 && line[len - 1] == '\n')
    line[len - 1] = '\0';
  GST_CAT_LEVEL_LOG (nemo_ffmpeg_debug, gst_level, NULL, "%s", line);
  g_free (line);
}

static gboolean
plugin_init (GstPlugin * plugin)
{
  GST_DEBUG_CATEGORY_INIT (nemo_ffmpeg_debug, "nemoffmpeg", 0,
      "FFmpeg, as used by nemorender");
  /* libav* otherwise print to stderr; the messages belong in GST_DEBUG */
  av_log_set_callback (log_ffmpeg);

  return GST_ELEMENT_REGISTER (nemorender, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, nemo,
    "Music videos from audio and pictures, rendered locally with FFmpeg",
    plugin_init, PACKAGE_VERSION, "LGPL", PACKAGE_NAME,
    "https://github.com/nemorender/nemorender")
