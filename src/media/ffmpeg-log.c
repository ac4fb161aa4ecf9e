/* nemorender: FFmpeg's log, sent through the library's log hook.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/log.h>
#include <nemo/media.h>

#include <libavutil/log.h>
#include <stdio.h>
#include <string.h>

static NemoLogLevel
level_from_ffmpeg (int level)
{
  if (level <= AV_LOG_ERROR)
    return NEMO_LOG_ERROR;
  if (level <= AV_LOG_WARNING)
    return NEMO_LOG_WARNING;
  if (level <= AV_LOG_INFO)
    return NEMO_LOG_INFO;
  if (level <= AV_LOG_VERBOSE)
    return NEMO_LOG_DEBUG;
  return NEMO_LOG_TRACE;
}

static void
log_ffmpeg (void *avcl, int level, const char *fmt, va_list vl)
{
  NemoLogLevel nemo_level = level_from_ffmpeg (level);
  char line[1024];
  int print_prefix = 1;
  size_t len;

  if (!nemo_log_enabled (nemo_level))
    return;
  /* with its "[libx264 @ 0x…]" prefix, as ffmpeg prints it */
  av_log_format_line2 (avcl, level, fmt, vl, line, sizeof (line),
      &print_prefix);
  len = strlen (line);
  if (len > 0 && line[len - 1] == '\n')
    line[len - 1] = '\0';
  if (line[0] != '\0')
    nemo_log (nemo_level, "ffmpeg", "av_log", 0, "%s", line);
}

void
nemo_media_log_ffmpeg (void)
{
  av_log_set_callback (log_ffmpeg);
}
