/* nemorender: where the library's own log messages go.
 *
 * The library says what it does (requests, retries, the render's plan) at
 * debug levels.  By default that goes to GLib's log (domain "nemo", shown
 * with G_MESSAGES_DEBUG=nemo); an application, such as the GStreamer
 * plugin, can take the messages instead, with the file, function and line
 * they come from.  No message carries a token.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_LOG_H
#define NEMO_LOG_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  NEMO_LOG_ERROR = 1,
  NEMO_LOG_WARNING,
  NEMO_LOG_INFO,
  NEMO_LOG_DEBUG,
  NEMO_LOG_TRACE,
} NemoLogLevel;

/* Whether a message at @level would be shown: nothing is formatted when
 * not. */
typedef gboolean (*NemoLogEnabledFunc) (NemoLogLevel level,
    gpointer user_data);
typedef void (*NemoLogFunc) (NemoLogLevel level, const gchar * file,
    const gchar * function, gint line, const gchar * message,
    gpointer user_data);

/* Send the library's messages to @func (NULL: back to GLib's log).  It is
 * process-wide: set it once, before the first job. */
void nemo_log_set_func (NemoLogFunc func, NemoLogEnabledFunc enabled,
    gpointer user_data);

/* Whether a message at @level would be shown now. */
gboolean nemo_log_enabled (NemoLogLevel level);

void nemo_log (NemoLogLevel level, const gchar * file, const gchar * function,
    gint line, const gchar * format, ...) G_GNUC_PRINTF (5, 6);

#define NEMO_LOG(level, ...) \
    nemo_log ((level), __FILE__, G_STRFUNC, __LINE__, __VA_ARGS__)
#define NEMO_WARNING(...) NEMO_LOG (NEMO_LOG_WARNING, __VA_ARGS__)
#define NEMO_INFO(...) NEMO_LOG (NEMO_LOG_INFO, __VA_ARGS__)
#define NEMO_DEBUG(...) NEMO_LOG (NEMO_LOG_DEBUG, __VA_ARGS__)
#define NEMO_TRACE(...) NEMO_LOG (NEMO_LOG_TRACE, __VA_ARGS__)

G_END_DECLS

#endif
