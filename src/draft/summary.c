/* nemorender draft: the one-line timeline summary of docs/protocol.md,
 * State and the draft.
 *
 *   Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi
 *   (0-10s, 35%) 3. Title: "Urban Dreams" (0-3s)
 *
 * The grammar is in docs/draft.md.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/draft.h>

#include <math.h>
#include <string.h>

static const gchar *
track_label (const NemoTrack * track)
{
  const NemoSegment *first = track->segments->len > 0 ?
      g_ptr_array_index (track->segments, 0) : NULL;
  const gchar *kind = first != NULL ? first->kind : NULL;

  switch (track->type) {
    case NEMO_TRACK_VIDEO:
      return "Video";
    case NEMO_TRACK_AUDIO:
      if (g_strcmp0 (kind, NEMO_SEGMENT_BGM) == 0
          || (first != NULL && first->volume < 1.0))
        return "BGM";
      return g_strcmp0 (kind, NEMO_SEGMENT_MUSIC) == 0 ? "Music" : "Audio";
    case NEMO_TRACK_TEXT:
      return g_strcmp0 (kind, NEMO_SEGMENT_TITLE) == 0 ? "Title" : "Text";
    default:
      return "Track";
  }
}

/* The file name of @source without its extension ("city timelapse" for
 * "https://cdn.example/city%20timelapse.mp4?sig=1"), or NULL when empty. */
static gchar *
source_title (const gchar * source)
{
  gboolean is_uri = strstr (source, "://") != NULL;
  const gchar *end = source + (is_uri ? strcspn (source, "?#") :
      strlen (source));
  const gchar *start = end, *dot = NULL;
  gchar *title, *unescaped;

  while (start > source && start[-1] != '/' && start[-1] != '\\')
    start--;
  for (const gchar * p = start + 1; p < end; p++)
    if (*p == '.')
      dot = p;
  if (dot != NULL)
    end = dot;
  if (end == start)
    return NULL;
  title = g_strndup (start, end - start);
  if (!is_uri)
    return title;
  unescaped = g_uri_unescape_string (title, NULL);
  if (unescaped == NULL || *unescaped == '\0') {
    g_free (unescaped);
    return title;
  }
  g_free (title);
  return unescaped;
}

static void
append_item_name (GString * out, const NemoSegment * segment)
{
  gchar *title;

  if (segment->text != NULL) {
    g_string_append_printf (out, "\"%s\"", segment->text);
    return;
  }
  if (segment->name != NULL && *segment->name != '\0') {
    g_string_append (out, segment->name);
    return;
  }
  title = segment->source != NULL ? source_title (segment->source) : NULL;
  g_string_append (out, title != NULL ? title : "untitled");
  g_free (title);
}

/* Seconds: "10" when whole, else one decimal: "12.5". */
static void
append_seconds (GString * out, gint64 ms)
{
  gint64 tenths = ms >= 0 ? (ms + 50) / 100 : -((50 - ms) / 100);
  gint64 whole = ABS (tenths) / 10, decimal = ABS (tenths) % 10;

  g_string_append_printf (out, "%s%" G_GINT64_FORMAT, tenths < 0 ? "-" : "",
      whole);
  if (decimal != 0)
    g_string_append_printf (out, ".%" G_GINT64_FORMAT, decimal);
}

/* "name (0-10s)", or "name (0-10s, 35%)" when the volume is not 100%. */
static void
append_segment (GString * out, const NemoDraft * draft,
    const NemoSegment * segment)
{
  gint64 end = segment->duration_ms < 0 ?
      MAX (draft->duration_ms, segment->start_ms) :
      segment->start_ms + segment->duration_ms;
  gdouble volume = isfinite (segment->volume) ?
      CLAMP (segment->volume, 0.0, 100.0) : 1.0;
  glong percent = lround (volume * 100.0);

  append_item_name (out, segment);
  g_string_append (out, " (");
  append_seconds (out, segment->start_ms);
  g_string_append_c (out, '-');
  append_seconds (out, end);
  g_string_append_c (out, 's');
  if (percent != 100)
    g_string_append_printf (out, ", %ld%%", percent);
  g_string_append_c (out, ')');
}

/* Control characters (a newline in a title) would break the one line. */
static gchar *
one_valid_line (GString * out)
{
  gchar *line;

  for (gsize i = 0; i < out->len; i++)
    if ((guchar) out->str[i] < 0x20 || out->str[i] == 0x7f)
      out->str[i] = ' ';
  line = g_utf8_make_valid (out->str, out->len);
  g_string_free (out, TRUE);
  return line;
}

gchar *
nemo_draft_summary (const NemoDraft * draft)
{
  GString *out;
  guint n_tracks;

  g_return_val_if_fail (draft != NULL, NULL);

  n_tracks = draft->tracks->len;
  out = g_string_new (NULL);
  g_string_append_printf (out, "Timeline (%u %s):", n_tracks,
      n_tracks == 1 ? "track" : "tracks");
  if (n_tracks == 0)
    g_string_append (out, " empty");
  for (guint i = 0; i < n_tracks; i++) {
    const NemoTrack *track = g_ptr_array_index (draft->tracks, i);

    g_string_append_printf (out, " %u. %s:", i + 1, track_label (track));
    if (track->segments->len == 0)
      g_string_append (out, " empty");
    for (guint j = 0; j < track->segments->len; j++) {
      g_string_append (out, j == 0 ? " " : ", ");
      append_segment (out, draft, g_ptr_array_index (track->segments, j));
    }
  }
  return one_valid_line (out);
}
