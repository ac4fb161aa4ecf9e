/* nemorender: the library's log hook (include/nemo/log.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/log.h>

#include <stdarg.h>

typedef struct _LogHook LogHook;
struct _LogHook
{
  NemoLogFunc func;
  NemoLogEnabledFunc enabled;
  gpointer user_data;
  LogHook *replaced;            /* the hook this one replaced */
};

static LogHook *hook;
static GMutex set_lock;

void
nemo_log_set_func (NemoLogFunc func, NemoLogEnabledFunc enabled,
    gpointer user_data)
{
  LogHook *next = NULL;

  /* the old hook is left allocated: another thread may still be using it,
   * and it is set once per process.  It stays reachable (from the new hook
   * or, after a NULL, from "retired"), so it is no leak to leak checkers. */
  static LogHook *retired;
  LogHook *old;

  g_mutex_lock (&set_lock);
  old = g_atomic_pointer_get (&hook);
  if (func != NULL) {
    next = g_new (LogHook, 1);
    *next = (LogHook) { func, enabled, user_data, old ? old : retired };
    retired = NULL;
  } else if (old != NULL) {
    retired = old;
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
