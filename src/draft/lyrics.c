/* nemorender lyrics: LRC (and enhanced LRC), SubRip and WebVTT → timed
 * lines, and the draft's lyric segments.
 *
 * One parser per format over the same pieces: the text cut into numbered
 * lines, a clock reader for every format's times ([hh:]mm:ss with a
 * fraction after `.` or `,`), and a cleaner that drops markup (SRT's
 * <i>/<font>, WebVTT's <c.x>/<v Name>, the Pango markup subparse emits),
 * decodes entities, and turns inline times (`<00:12.50>` in enhanced LRC,
 * `<00:00:12.500>` in WebVTT) into word times.  docs/lyrics.md has the
 * formats as we read them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/lyrics.h>
#include <nemo/error.h>

#include <stdlib.h>
#include <string.h>

/* A lyrics file is text: far below this. */
#define MAX_LYRICS_SIZE (16 * 1024 * 1024)
/* What of a bad line an error message quotes. */
#define QUOTE_CHARS 40

typedef struct
{
  const gchar *name;
  gchar **lines;                /* the text cut at line ends, \r removed */
  guint n_lines;
} Source;

/* A time found inside a line's text, at @offset bytes of the clean text. */
typedef struct
{
  gsize offset;
  gint64 ms;
} Mark;

static void
line_free (gpointer data)
{
  NemoLyricLine *line = data;

  g_free (line->text);
  g_ptr_array_unref (line->words);
  g_free (line);
}

static void
word_free (gpointer data)
{
  NemoWord *word = data;

  g_free (word->text);
  g_free (word);
}

void
nemo_lyrics_free (NemoLyrics * lyrics)
{
  if (lyrics == NULL)
    return;
  g_ptr_array_unref (lyrics->lines);
  g_free (lyrics);
}

static gboolean
line_error (GError ** error, const Source * source, guint index,
    const gchar * what)
{
  g_autofree gchar *quote = g_utf8_substring (source->lines[index], 0,
      MIN (g_utf8_strlen (source->lines[index], -1), QUOTE_CHARS));

  g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
      "%s line %u (“%s”): %s", source->name, index + 1, quote, what);
  return FALSE;
}

static gboolean
is_blank (const gchar * line)
{
  for (; *line; line++)
    if (!g_ascii_isspace (*line))
      return FALSE;
  return TRUE;
}

/* ---- times ---- */

/* Digits at @s into @value; how many (0: none, or too many to be a time). */
static guint
read_digits (const gchar * s, gsize n, gint64 * value)
{
  guint i;

  *value = 0;
  for (i = 0; i < n && g_ascii_isdigit (s[i]); i++) {
    if (i == 9)
      return 0;
    *value = *value * 10 + (s[i] - '0');
  }
  return i;
}

/* @n bytes at @s as [hh:]mm:ss[(.|,)f...] or mm:ss, into ms: LRC writes
 * hundredths ([01:02.50]), SRT and WebVTT thousandths. */
static gboolean
parse_clock (const gchar * s, gsize n, gint64 * ms)
{
  gint64 parts[3], value, fraction = 0;
  guint n_parts = 0, digits;
  gsize at = 0;

  while (n_parts < 3) {
    digits = read_digits (s + at, n - at, &value);
    if (digits == 0)
      return FALSE;
    parts[n_parts++] = value;
    at += digits;
    if (at == n || s[at] != ':')
      break;
    at++;
  }
  if (n_parts < 2 || parts[n_parts - 1] >= 60
      || (n_parts == 3 && parts[1] >= 60))
    return FALSE;
  if (at < n && (s[at] == '.' || s[at] == ',')) {
    digits = read_digits (s + at + 1, n - at - 1, &value);
    if (digits == 0 || digits > 3)
      return FALSE;
    fraction = value * (digits == 1 ? 100 : digits == 2 ? 10 : 1);
    at += 1 + digits;
  }
  if (at != n)
    return FALSE;
  *ms = (n_parts == 3 ? parts[0] * 3600000 : 0)
      + parts[n_parts - 2] * 60000 + parts[n_parts - 1] * 1000 + fraction;
  return TRUE;
}

/* "A --> B[ settings]" (SRT, WebVTT) into @start_ms, @end_ms. */
static gboolean
parse_range (const gchar * line, gint64 * start_ms, gint64 * end_ms)
{
  const gchar *arrow = strstr (line, "-->");
  const gchar *a = line, *a_end = arrow, *b;

  if (arrow == NULL)
    return FALSE;
  while (*a == ' ' || *a == '\t')
    a++;
  while (a_end > a && (a_end[-1] == ' ' || a_end[-1] == '\t'))
    a_end--;
  for (b = arrow + 3; *b == ' ' || *b == '\t'; b++);
  return parse_clock (a, a_end - a, start_ms)
      && parse_clock (b, strcspn (b, " \t"), end_ms);
}

/* ---- text ---- */

static const struct
{
  const gchar *name, *text;
} entities[] = {
  {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"},
  {"nbsp", "\xc2\xa0"}, {"lrm", "\xe2\x80\x8e"}, {"rlm", "\xe2\x80\x8f"},
};

/* The entity at @s ("&amp;", "&#233;", "&#xe9;") appended to @out; how
 * many bytes it took, 0 when it is not one (the "&" is then text). */
static gsize
read_entity (const gchar * s, GString * out)
{
  const gchar *end = strchr (s, ';');
  gsize n = end ? (gsize) (end - s) + 1 : 0;
  guint i;

  if (n < 3 || n > 10)
    return 0;
  if (s[1] == '#') {
    gboolean hex = s[2] == 'x' || s[2] == 'X';
    gchar *stop;
    gulong c = strtoul (s + (hex ? 3 : 2), &stop, hex ? 16 : 10);

    if (stop != end || stop == s + (hex ? 3 : 2) || !g_unichar_validate (c)
        || c == 0)
      return 0;
    g_string_append_unichar (out, c);
    return n;
  }
  for (i = 0; i < G_N_ELEMENTS (entities); i++)
    if (strlen (entities[i].name) == n - 2
        && strncmp (s + 1, entities[i].name, n - 2) == 0) {
      g_string_append (out, entities[i].text);
      return n;
    }
  return 0;
}

/* @text without markup into @out; the times of inline clock tags, where
 * they stand in @out, appended to @marks. */
static void
clean_text (const gchar * text, GString * out, GArray * marks)
{
  const gchar *s = text;

  while (*s) {
    const gchar *close;
    gsize taken;

    if (*s == '<' && (close = strchr (s + 1, '>')) != NULL) {
      Mark mark = { out->len, 0 };

      if (parse_clock (s + 1, close - s - 1, &mark.ms))
        g_array_append_val (marks, mark);
      s = close + 1;            /* a tag: <i>, </font>, <c.red>, <v Ann> */
    } else if (*s == '&' && (taken = read_entity (s, out)) > 0) {
      s += taken;
    } else {
      g_string_append_c (out, *s++);
    }
  }
}

/* The line sung from @start_ms: @raw's text cleaned, its inline times made
 * words.  Text before the first time is a word from @start_ms; a time
 * with nothing after it ends the line.  NULL when no text is left. */
static NemoLyricLine *
make_line (const gchar * raw, gint64 start_ms, gint64 end_ms)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GArray) marks = g_array_new (FALSE, FALSE, sizeof (Mark));
  NemoLyricLine *line;
  gsize lead = 0;
  guint i;

  clean_text (raw, text, marks);
  while (text->len > 0 && g_ascii_isspace (text->str[text->len - 1]))
    g_string_truncate (text, text->len - 1);
  while (lead < text->len && g_ascii_isspace (text->str[lead]))
    lead++;
  if (lead == text->len)
    return NULL;
  /* a time at the end (or past it, once spaces are cut) ends the line */
  while (marks->len > 0
      && g_array_index (marks, Mark, marks->len - 1).offset >= text->len) {
    end_ms = g_array_index (marks, Mark, marks->len - 1).ms;
    g_array_set_size (marks, marks->len - 1);
  }
  line = g_new0 (NemoLyricLine, 1);
  line->start_ms = start_ms;
  line->end_ms = end_ms;
  line->text = g_strdup (text->str + lead);
  line->words = g_ptr_array_new_with_free_func (word_free);
  for (i = 0; i < marks->len; i++) {
    const Mark *mark = &g_array_index (marks, Mark, i);
    gsize from = i == 0 ? lead : MAX (mark->offset, lead);
    gsize to = i + 1 < marks->len ?
        MAX (g_array_index (marks, Mark, i + 1).offset, lead) : text->len;
    NemoWord *word;

    if (i == 0 && mark->offset > lead) {
      /* text before the first time: sung from the line's start */
      word = g_new0 (NemoWord, 1);
      word->start_ms = start_ms;
      word->text = g_strndup (text->str + lead, mark->offset - lead);
      g_ptr_array_add (line->words, word);
      from = mark->offset;
    }
    if (to <= from)
      continue;                 /* two times in a row: the later one counts */
    word = g_new0 (NemoWord, 1);
    word->start_ms = mark->ms;
    word->text = g_strndup (text->str + from, to - from);
    g_ptr_array_add (line->words, word);
  }
  return line;
}

static void
shift_line (NemoLyricLine * line, gint64 shift)
{
  guint i;

  line->start_ms += shift;
  if (line->end_ms >= 0)
    line->end_ms += shift;
  for (i = 0; i < line->words->len; i++)
    ((NemoWord *) g_ptr_array_index (line->words, i))->start_ms += shift;
}

/* ---- LRC ---- */

/* [ar:…], [ti:…], [offset:+250]…: a tag of letters before a colon. */
static gboolean
is_lrc_tag (const gchar * tag, gsize n)
{
  gsize i;

  for (i = 0; i < n && (g_ascii_isalpha (tag[i]) || tag[i] == '#'); i++);
  return i > 0 && i < n && tag[i] == ':';
}

static gint
compare_start (gconstpointer a, gconstpointer b)
{
  const NemoLyricLine *x = *(NemoLyricLine * const *) a;
  const NemoLyricLine *y = *(NemoLyricLine * const *) b;

  return x->start_ms < y->start_ms ? -1 : x->start_ms > y->start_ms;
}

/* One LRC line: its leading times into @times, its text after them. */
static const gchar *
read_lrc_times (const Source * source, guint index, GArray * times,
    gint64 * offset_ms, GError ** error)
{
  const gchar *s = source->lines[index];

  while (*s == ' ' || *s == '\t')
    s++;
  if (*s != '[') {
    line_error (error, source, index, "an LRC line starts with its time, "
        "such as [01:23.45]; put the time before the words.");
    return NULL;
  }
  while (*s == '[') {
    const gchar *close = strchr (s, ']');
    gint64 ms;

    if (close == NULL) {
      line_error (error, source, index, "a [ has no closing ].");
      return NULL;
    }
    if (parse_clock (s + 1, close - s - 1, &ms)) {
      g_array_append_val (times, ms);
    } else if (is_lrc_tag (s + 1, close - s - 1)) {
      if (g_ascii_strncasecmp (s + 1, "offset:", 7) == 0)
        *offset_ms = g_ascii_strtoll (s + 8, NULL, 10);
    } else {
      line_error (error, source, index, "this is neither a time such as "
          "[01:23.45] nor a tag such as [ar:Artist].");
      return NULL;
    }
    s = close + 1;
  }
  return s;
}

static gboolean
parse_lrc (const Source * source, GPtrArray * lines, GError ** error)
{
  gint64 offset_ms = 0;
  guint i, t;

  for (i = 0; i < source->n_lines; i++) {
    g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
    const gchar *text;

    if (is_blank (source->lines[i]))
      continue;
    text = read_lrc_times (source, i, times, &offset_ms, error);
    if (text == NULL)
      return FALSE;
    for (t = 0; t < times->len; t++) {
      gint64 start_ms = g_array_index (times, gint64, t);
      NemoLyricLine *line = make_line (text, g_array_index (times, gint64,
              0), -1);

      if (line == NULL) {
        /* a time with no words ends the line before it (text NULL) */
        line = g_new0 (NemoLyricLine, 1);
        line->start_ms = start_ms;
        line->end_ms = -1;
        line->words = g_ptr_array_new_with_free_func (word_free);
      } else {
        /* a line repeated at several times: its words move with it */
        shift_line (line, start_ms - line->start_ms);
      }
      g_ptr_array_add (lines, line);
    }
  }
  g_ptr_array_sort (lines, compare_start);
  /* the empty lines mark where the line before them ends; then they go */
  for (i = 0; i < lines->len;) {
    NemoLyricLine *line = g_ptr_array_index (lines, i);

    if (line->text != NULL) {
      i++;
      continue;
    }
    if (i > 0) {
      NemoLyricLine *before = g_ptr_array_index (lines, i - 1);

      if (before->end_ms < 0)
        before->end_ms = line->start_ms;
    }
    g_ptr_array_remove_index (lines, i);
  }
  /* [offset:+n] plays the lyrics n ms sooner */
  for (i = 0; i < lines->len; i++)
    shift_line (g_ptr_array_index (lines, i), -offset_ms);
  return TRUE;
}

/* ---- SRT and WebVTT: cues of a time range and text lines ---- */

/* The cue whose time range is line @index, its text the lines after it up
 * to a blank one; the index of the line after the cue. */
static guint
read_cue (const Source * source, guint index, GPtrArray * lines,
    GError ** error)
{
  g_autoptr (GString) text = g_string_new (NULL);
  gint64 start_ms, end_ms;
  NemoLyricLine *line;
  guint i;

  if (!parse_range (source->lines[index], &start_ms, &end_ms)) {
    line_error (error, source, index, "this is not a time range such as "
        "00:00:01,000 --> 00:00:04,000.");
    return 0;
  }
  if (end_ms < start_ms) {
    line_error (error, source, index, "the cue ends before it starts.");
    return 0;
  }
  for (i = index + 1; i < source->n_lines && !is_blank (source->lines[i]);
      i++) {
    if (text->len > 0)
      g_string_append_c (text, '\n');
    g_string_append (text, source->lines[i]);
  }
  line = make_line (text->str, start_ms, end_ms);
  if (line != NULL)
    g_ptr_array_add (lines, line);
  return i;
}

static gboolean
is_cue_number (const gchar * line)
{
  while (*line == ' ')
    line++;
  if (!g_ascii_isdigit (*line))
    return FALSE;
  while (g_ascii_isdigit (*line))
    line++;
  return is_blank (line);
}

static gboolean
parse_srt (const Source * source, GPtrArray * lines, GError ** error)
{
  guint i = 0;

  while (i < source->n_lines) {
    if (is_blank (source->lines[i])) {
      i++;
      continue;
    }
    if (is_cue_number (source->lines[i]))
      i++;
    if (i == source->n_lines || strstr (source->lines[i], "-->") == NULL)
      return line_error (error, source, MIN (i, source->n_lines - 1),
          "SubRip expects a cue number, then a time range such as "
          "00:00:01,000 --> 00:00:04,000, then the text.");
    i = read_cue (source, i, lines, error);
    if (i == 0)
      return FALSE;
  }
  g_ptr_array_sort (lines, compare_start);
  return TRUE;
}

static gboolean
starts_block (const gchar * line, const gchar * word)
{
  gsize n = strlen (word);

  return strncmp (line, word, n) == 0 && (line[n] == '\0' || line[n] == ' '
      || line[n] == '\t');
}

static guint
skip_block (const Source * source, guint i)
{
  while (i < source->n_lines && !is_blank (source->lines[i]))
    i++;
  return i;
}

static gboolean
parse_webvtt (const Source * source, GPtrArray * lines, GError ** error)
{
  /* the header: WEBVTT and what follows it up to a blank line */
  guint i = skip_block (source, 0);

  while (i < source->n_lines) {
    const gchar *line = source->lines[i];

    if (is_blank (line)) {
      i++;
    } else if (starts_block (line, "NOTE") || starts_block (line, "STYLE")
        || starts_block (line, "REGION")) {
      i = skip_block (source, i);
    } else {
      /* a cue: an optional identifier, then its time range */
      if (strstr (line, "-->") == NULL)
        i++;
      if (i == source->n_lines || strstr (source->lines[i], "-->") == NULL)
        return line_error (error, source, MIN (i, source->n_lines - 1),
            "a WebVTT cue is an optional name, then a time range such as "
            "00:01.000 --> 00:04.000, then the text.");
      i = read_cue (source, i, lines, error);
      if (i == 0)
        return FALSE;
    }
  }
  g_ptr_array_sort (lines, compare_start);
  return TRUE;
}

/* ---- the file ---- */

static gboolean
check_utf8 (const gchar * text, gsize size, const gchar * name,
    GError ** error)
{
  const gchar *end;
  const gchar *s;
  guint line = 1;

  if (g_utf8_validate_len (text, size, &end) && memchr (text, '\0',
          size) == NULL)
    return TRUE;
  if (end == text + size)
    end = memchr (text, '\0', size);
  for (s = text; s < end; s++)
    line += *s == '\n';
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
      "%s line %u is not UTF-8 text: save the lyrics as UTF-8.", name, line);
  return FALSE;
}

static void
source_clear (Source * source)
{
  g_strfreev (source->lines);
}

/* @text cut into lines (LF, CRLF or CR), without a leading byte order
 * mark. */
static void
source_init (Source * source, const gchar * text, gsize size,
    const gchar * name)
{
  g_autofree gchar *copy = NULL;
  guint i;

  if (size >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0) {
    text += 3;
    size -= 3;
  }
  copy = g_strndup (text, size);
  for (i = 0; copy[i]; i++)
    if (copy[i] == '\r')
      copy[i] = copy[i + 1] == '\n' ? ' ' : '\n';
  source->name = name;
  source->lines = g_strsplit (copy, "\n", -1);
  source->n_lines = g_strv_length (source->lines);
  for (i = 0; i < source->n_lines; i++)
    g_strchomp (source->lines[i]);
}

/* The format the first lines show, or -1. */
static gint
detect_format (const Source * source)
{
  guint i, seen = 0;

  for (i = 0; i < source->n_lines && seen < 3; i++) {
    const gchar *line = source->lines[i];

    if (is_blank (line))
      continue;
    if (seen == 0 && starts_block (line, "WEBVTT"))
      return NEMO_LYRICS_WEBVTT;
    if (seen == 0 && line[strspn (line, " \t")] == '[')
      return NEMO_LYRICS_LRC;
    if (strstr (line, "-->") != NULL)
      return NEMO_LYRICS_SRT;
    seen++;
  }
  return -1;
}

NemoLyrics *
nemo_lyrics_parse (const gchar * text, gssize length, const gchar * name,
    GError ** error)
{
  gsize size = length < 0 ? strlen (text) : (gsize) length;
  g_autoptr (NemoLyrics) lyrics = g_new0 (NemoLyrics, 1);
  Source source;
  gint format;
  gboolean ok;

  g_return_val_if_fail (text != NULL || size == 0, NULL);

  if (name == NULL)
    name = "the lyrics";
  lyrics->lines = g_ptr_array_new_with_free_func (line_free);
  if (!check_utf8 (text, size, name, error))
    return NULL;
  source_init (&source, text, size, name);
  format = detect_format (&source);
  if (format < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "%s is not LRC, SubRip or WebVTT: give the lyrics as an .lrc file "
        "([mm:ss.xx] before each line), an .srt or a .vtt file.", name);
    source_clear (&source);
    return NULL;
  }
  lyrics->format = (NemoLyricsFormat) format;
  ok = format == NEMO_LYRICS_LRC ? parse_lrc (&source, lyrics->lines, error)
      : format == NEMO_LYRICS_SRT ? parse_srt (&source, lyrics->lines, error)
      : parse_webvtt (&source, lyrics->lines, error);
  source_clear (&source);
  if (!ok)
    return NULL;
  if (lyrics->lines->len == 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "%s has no timed line with words: nothing to show.", name);
    return NULL;
  }
  return g_steal_pointer (&lyrics);
}

NemoLyrics *
nemo_lyrics_load (const gchar * location, GError ** error)
{
  g_autofree gchar *path = NULL;
  g_autofree gchar *contents = NULL;
  g_autoptr (GError) read_error = NULL;
  gsize size;

  g_return_val_if_fail (location != NULL, NULL);

  path = strstr (location, "://") ? g_filename_from_uri (location, NULL,
      NULL) : g_strdup (location);
  if (path == NULL) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_NOT_FOUND,
        "The lyrics “%s” are not a local file: give a path or a file:// "
        "URI.", location);
    return NULL;
  }
  if (!g_file_get_contents (path, &contents, &size, &read_error)) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_NOT_FOUND,
        "Could not read the lyrics: %s. Set lyrics-uri to an LRC, SubRip "
        "or WebVTT file.", read_error->message);
    return NULL;
  }
  if (size > MAX_LYRICS_SIZE) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT,
        "“%s” is %" G_GSIZE_FORMAT " bytes, too large for lyrics (at most "
        "%d MiB): give the song's LRC, SubRip or WebVTT file.", path, size,
        MAX_LYRICS_SIZE >> 20);
    return NULL;
  }
  return nemo_lyrics_parse (contents, size, path, error);
}

/* ---- writing SubRip ---- */

/* The last time SubRip can write: past the end of any song. */
#define SRT_FOREVER_MS (100 * G_GINT64_CONSTANT (3600000) - 1)

static void
append_srt_time (GString * srt, gint64 ms)
{
  g_string_append_printf (srt, "%02" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT
      ":%02" G_GINT64_FORMAT ",%03" G_GINT64_FORMAT, ms / 3600000,
      ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

gboolean
nemo_lyrics_append_srt_cue (GString * srt, guint number, gint64 start_ms,
    gint64 end_ms, const gchar * text, gsize length, gboolean markup)
{
  g_autofree gchar *valid = g_utf8_make_valid (text, length);
  g_autofree gchar *escaped = markup ? NULL : g_markup_escape_text (valid,
      -1);
  g_auto (GStrv) rows = g_strsplit_set (markup ? valid : escaped, "\r\n",
      -1);
  g_autoptr (GString) body = g_string_new (NULL);
  guint i;

  /* a blank row would end the cue: the rows with text only */
  for (i = 0; rows[i] != NULL; i++) {
    if (is_blank (rows[i]))
      continue;
    if (body->len > 0)
      g_string_append_c (body, '\n');
    g_string_append (body, rows[i]);
  }
  if (body->len == 0)
    return FALSE;
  start_ms = CLAMP (start_ms, 0, SRT_FOREVER_MS);
  end_ms = end_ms < 0 ? SRT_FOREVER_MS : CLAMP (end_ms, start_ms,
      SRT_FOREVER_MS);
  g_string_append_printf (srt, "%u\n", number);
  append_srt_time (srt, start_ms);
  g_string_append (srt, " --> ");
  append_srt_time (srt, end_ms);
  g_string_append_printf (srt, "\n%s\n\n", body->str);
  return TRUE;
}

/* ---- the draft ---- */

NemoTrack *
nemo_lyrics_add_to_draft (const NemoLyrics * lyrics, NemoDraft * draft,
    gint64 in_ms)
{
  gint64 draft_end = draft->duration_ms > 0 ? draft->duration_ms :
      G_MAXINT64;
  NemoTrack *track = NULL;
  guint i, w;

  for (i = 0; i < lyrics->lines->len; i++) {
    const NemoLyricLine *line = g_ptr_array_index (lyrics->lines, i);
    const NemoLyricLine *next = i + 1 < lyrics->lines->len ?
        g_ptr_array_index (lyrics->lines, i + 1) : NULL;
    gint64 end_ms = line->end_ms >= 0 ? line->end_ms :
        next ? next->start_ms : G_MAXINT64;
    gint64 start = MAX (line->start_ms - in_ms, 0);
    NemoSegment *segment;

    if (end_ms != G_MAXINT64)
      end_ms -= in_ms;
    if (end_ms <= start || start >= draft_end)
      continue;
    if (track == NULL)
      track = nemo_draft_add_track (draft, NEMO_TRACK_TEXT);
    segment = nemo_track_add_segment (track, NEMO_SEGMENT_LYRIC);
    segment->start_ms = start;
    segment->duration_ms = end_ms >= draft_end ? -1 : end_ms - start;
    segment->text = g_strdup (line->text);
    for (w = 0; w < line->words->len; w++) {
      const NemoWord *word = g_ptr_array_index (line->words, w);

      nemo_segment_add_word (segment, MAX (word->start_ms - in_ms, 0),
          word->text);
    }
  }
  return track;
}

gboolean
nemo_draft_has_lyrics (const NemoDraft * draft)
{
  guint t, s;

  for (t = 0; t < draft->tracks->len; t++) {
    const NemoTrack *track = g_ptr_array_index (draft->tracks, t);

    for (s = 0; s < track->segments->len; s++)
      if (g_strcmp0 (((NemoSegment *) g_ptr_array_index (track->segments,
                      s))->kind, NEMO_SEGMENT_LYRIC) == 0)
        return TRUE;
  }
  return FALSE;
}
