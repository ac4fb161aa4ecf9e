/* nemorender job: the beats a pulse kicks the picture on (m.pulse).
 *
 * The intent asks for a pulse ({"kind": "zoom"} or "flash"); here the
 * song's downbeats, the strongest beats of most music and the first of
 * each bar, are written into it as timeline times ("beats_ms"), once the
 * song's place is final (after the music was moved onto the cuts).  The
 * renderer draws it (src/render/pulse.c).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "job-private.h"
#include <nemo/analysis.h>

gboolean
nemo_job_place_pulses (NemoDraft * draft, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (NemoBeats) beats = NULL;
  g_autofree gchar *path = NULL;
  JsonNode *node = draft->meta ? json_object_get_member (draft->meta,
      "pulse") : NULL;
  const NemoSegment *song = nemo_job_find_song (draft);
  JsonArray *times;
  gint64 offset_ms;
  guint i;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node) || song == NULL)
    return TRUE;
  path = nemo_media_path_from_uri (song->source, error);
  if (path == NULL)
    return FALSE;
  beats = nemo_analysis_beats (path, 0, cancellable, error);
  if (beats == NULL)
    return FALSE;
  /* beats are timed from the start of the file */
  offset_ms = MAX (song->in_ms, 0) - MAX (song->start_ms, 0);
  times = json_array_new ();
  for (i = 0; i < beats->n_beats; i++) {
    gint64 t = beats->beats[i].time_us / 1000 - offset_ms;

    if (beats->beats[i].downbeat && t >= 0
        && (draft->duration_ms <= 0 || t < draft->duration_ms))
      json_array_add_int_element (times, t);
  }
  json_object_set_array_member (json_node_get_object (node), "beats_ms",
      times);
  return TRUE;
}
