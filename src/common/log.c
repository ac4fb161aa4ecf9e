/* nemorender: the library's log hook (include/common/nemo/log.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/log.h>

#include <stdarg.h>

typedef struct
{
  NemoLogFunc func;
  NemoLogEnabledFunc enabled;
  gpointer user_data;
} LogHook;

static LogHook *hook;
/* every hook ever set, kept: another thread may still be using a replaced
 * one, and hooks are set about once per process */
static GPtrArray *hooks_set;
static GMutex set_lock;

void
nemo_log_set_func (NemoLogFunc func, NemoLogEnabledFunc enabled,
    gpointer user_data)
{
  LogHook *next = NULL;

  g_mutex_lock (&set_lock);
  if (func != NULL) {
    next = g_new (LogHook, 1);
    *next = (LogHook) { func, enabled, user_data };
    if (hooks_set == NULL)
      hooks_set = g_ptr_array_new ();
    g_ptr_array_add (hooks_set, next);
  }
  g_atomic_pointer_set (&hook, next);
  g_mutex_unlock (&set_lock);
}

static GLogLevelFlags
glib_level (NemoLogLevel level)
{
  switch (level) {
    case NEMO_LOG_ERROR:
    case NEMO_LOG_WARNING:
      /* G_LOG_LEVEL_CRITICAL/ERROR would abort tests and programs */
      return G_LOG_LEVEL_WARNING;
    case NEMO_LOG_INFO:
      return G_LOG_LEVEL_INFO;
    default:
      return G_LOG_LEVEL_DEBUG;
  }
}

gboolean
nemo_log_enabled (NemoLogLevel level)
{
  LogHook *current = g_atomic_pointer_get (&hook);

  return current == NULL || current->enabled == NULL
      || current->enabled (level, current->user_data);
}

void
nemo_log (NemoLogLevel level, const gchar * file, const gchar * function,
    gint line, const gchar * format, ...)
{
  LogHook *current = g_atomic_pointer_get (&hook);
  g_autofree gchar *message = NULL;
  va_list args;

  if (!nemo_log_enabled (level))
    return;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (current != NULL)
    current->func (level, file, function, line, message, current->user_data);
  else
    g_log (G_LOG_DOMAIN, glib_level (level), "%s", message);
}
