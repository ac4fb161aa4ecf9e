/* nemorender draft: the short-key timeline JSON, read and written.
 *
 * Reading keeps each object as it was read (`raw`) beside the fields we
 * use; writing copies the raw objects and writes only the fields that
 * differ from what was read, so a service draft we did not touch comes back
 * as it came, unknown keys and key order included.  The format is in
 * docs/draft.md.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/draft.h>
#include <nemo/error.h>

#include <math.h>
#include <string.h>

/* Far deeper than any draft; json-glib 1.6 parses by unbounded recursion,
 * so deeper nesting is refused before the parser sees it. */
#define MAX_DEPTH 64
/* The service encodes a draft as a JSON string at times; never this often. */
#define MAX_ENCODINGS 3
#define MAX_TEXT_SIZE (64 * 1024 * 1024)
/* Times up to 2^53 ms: exact in a double, and sums of two fit a gint64. */
#define MAX_MS (G_GINT64_CONSTANT (1) << 53)

/* Reading ------------------------------------------------------------- */

static const gchar *
node_type_name (JsonNode * node)
{
  switch (JSON_NODE_TYPE (node)) {
    case JSON_NODE_OBJECT:
      return "object";
    case JSON_NODE_ARRAY:
      return "array";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
      break;
  }
  switch (json_node_get_value_type (node)) {
    case G_TYPE_STRING:
      return "string";
    case G_TYPE_BOOLEAN:
      return "boolean";
    case G_TYPE_INT64:
    case G_TYPE_DOUBLE:
      return "number";
    default:
      return "value";
  }
}

static gboolean
node_is_a (JsonNode * node, GType value_type)
{
  return JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == value_type;
}

static gboolean
node_is_number (JsonNode * node)
{
  return node_is_a (node, G_TYPE_INT64) || node_is_a (node, G_TYPE_DOUBLE);
}

static gdouble
node_get_number (JsonNode * node)
{
  if (node_is_a (node, G_TYPE_INT64))
    return (gdouble) json_node_get_int (node);
  return json_node_get_double (node);
}

/* A number as whole milliseconds; the caller has bounded it. */
static gint64
node_get_ms (JsonNode * node)
{
  if (node_is_a (node, G_TYPE_INT64))
    return json_node_get_int (node);
  return llround (json_node_get_double (node));
}

/* The member @key of @obj, or NULL when @obj is NULL or the member is
 * absent or JSON null: null means "the default" for every key we use. */
static JsonNode *
get_member (JsonObject * obj, const gchar * key)
{
  JsonNode *node;

  if (obj == NULL)
    return NULL;
  node = json_object_get_member (obj, key);
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

static gchar *
key_path (const gchar * path, const gchar * key)
{
  return *path ? g_strdup_printf ("%s.%s", path, key) : g_strdup (key);
}

static gboolean
type_error (GError ** error, const gchar * path, const gchar * key,
    const gchar * expected, JsonNode * node)
{
  gchar *where = key_path (path, key);

  g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_DRAFT,
      "draft: %s must be %s (got %s)", where, expected, node_type_name (node));
  g_free (where);
  return FALSE;
}

static gboolean
range_error (GError ** error, const gchar * path, const gchar * key,
    const gchar * expected, JsonNode * node)
{
  gchar *where = key_path (path, key);

  g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_DRAFT,
      "draft: %s must be %s (got %g)", where, expected,
      node_get_number (node));
  g_free (where);
  return FALSE;
}

/* Reads a time in ms of at least @min into @out; absent leaves @out at its
 * default.  @expected says the allowed range in words. */
static gboolean
read_ms (JsonObject * obj, const gchar * path, const gchar * key, gint64 min,
    const gchar * expected, gint64 * out, GError ** error)
{
  JsonNode *node = get_member (obj, key);
  gdouble value;

  if (node == NULL)
    return TRUE;
  if (!node_is_number (node))
    return type_error (error, path, key, "a number", node);
  value = node_get_number (node);
  if (!(value < (gdouble) MAX_MS))
    return range_error (error, path, key,
        "a number of milliseconds below 2^53", node);
  /* -0.5 rounds to -1: compare the rounded value with @min */
  if (!(value > (gdouble) - MAX_MS) || llround (value) < min)
    return range_error (error, path, key, expected, node);
  *out = node_get_ms (node);
  return TRUE;
}

static gboolean
read_volume (JsonObject * obj, const gchar * path, gdouble * out,
    GError ** error)
{
  JsonNode *node = get_member (obj, "v");
  gdouble value;

  if (node == NULL)
    return TRUE;
  if (!node_is_number (node))
    return type_error (error, path, "v", "a number", node);
  value = node_get_number (node);
  if (!(value >= 0.0 && value <= 1.0))
    return range_error (error, path, "v",
        "a volume from 0.0 to 1.0 (0.35 is 35%)", node);
  *out = value;
  return TRUE;
}

static gboolean
read_bool (JsonObject * obj, const gchar * path, const gchar * key,
    gboolean * out, GError ** error)
{
  JsonNode *node = get_member (obj, key);

  if (node == NULL)
    return TRUE;
  if (!node_is_a (node, G_TYPE_BOOLEAN))
    return type_error (error, path, key, "true or false", node);
  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
read_string (JsonObject * obj, const gchar * path, const gchar * key,
    gchar ** out, GError ** error)
{
  JsonNode *node = get_member (obj, key);

  if (node == NULL)
    return TRUE;
  if (!node_is_a (node, G_TYPE_STRING))
    return type_error (error, path, key, "a string", node);
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

/* The object is shared with the raw one, so edits in place are written. */
static gboolean
read_object (JsonObject * obj, const gchar * path, const gchar * key,
    JsonObject ** out, GError ** error)
{
  JsonNode *node = get_member (obj, key);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return type_error (error, path, key, "an object", node);
  *out = json_object_ref (json_node_get_object (node));
  return TRUE;
}

static gboolean
read_array (JsonObject * obj, const gchar * path, const gchar * key,
    JsonArray ** out, GError ** error)
{
  JsonNode *node = get_member (obj, key);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return type_error (error, path, key, "an array", node);
  *out = json_node_get_array (node);
  return TRUE;
}

/* The element @index of @array as an object, or an error naming it. */
static JsonObject *
array_object (JsonArray * array, guint index, const gchar * path,
    GError ** error)
{
  JsonNode *node = json_array_get_element (array, index);

  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_DRAFT,
        "draft: %s must be an object (got %s)", path, node_type_name (node));
    return NULL;
  }
  return json_node_get_object (node);
}

/* Objects ------------------------------------------------------------- */

static NemoSegment *
segment_alloc (JsonObject * raw)
{
  NemoSegment *segment = g_new0 (NemoSegment, 1);

  segment->duration_ms = -1;
  segment->volume = 1.0;
  segment->raw = raw;
  return segment;
}

static void
word_free (gpointer data)
{
  NemoWord *word = data;

  g_free (word->text);
  g_free (word);
}

static void
segment_free (gpointer data)
{
  NemoSegment *segment = data;

  g_free (segment->kind);
  g_free (segment->source);
  g_free (segment->name);
  g_free (segment->text);
  if (segment->style != NULL)
    json_object_unref (segment->style);
  if (segment->words != NULL)
    g_ptr_array_unref (segment->words);
  if (segment->raw != NULL)
    json_object_unref (segment->raw);
  g_free (segment);
}

static NemoTrack *
track_alloc (NemoTrackType type, JsonObject * raw)
{
  NemoTrack *track = g_new0 (NemoTrack, 1);

  track->type = type;
  track->segments = g_ptr_array_new_with_free_func (segment_free);
  track->raw = raw;
  return track;
}

static void
track_free (gpointer data)
{
  NemoTrack *track = data;

  g_ptr_array_unref (track->segments);
  if (track->raw != NULL)
    json_object_unref (track->raw);
  g_free (track);
}

static NemoDraft *
draft_alloc (JsonObject * raw)
{
  NemoDraft *draft = g_new0 (NemoDraft, 1);

  draft->tracks = g_ptr_array_new_with_free_func (track_free);
  draft->raw = raw;
  return draft;
}

/* "wd": the words of a lyric line, each {"st": ms, "tx": text}. */
static gboolean
read_words (JsonObject * obj, const gchar * path, NemoSegment * segment,
    GError ** error)
{
  JsonArray *array;
  guint i;

  if (!read_array (obj, path, "wd", &array, error))
    return FALSE;
  for (i = 0; array != NULL && i < json_array_get_length (array); i++) {
    g_autofree gchar *word_path = g_strdup_printf ("%s.wd[%u]", path, i);
    JsonObject *item = array_object (array, i, word_path, error);
    gint64 start_ms = 0;
    g_autofree gchar *text = NULL;

    if (item == NULL
        || !read_ms (item, word_path, "st", 0, "0 or more milliseconds",
            &start_ms, error)
        || !read_string (item, word_path, "tx", &text, error))
      return FALSE;
    nemo_segment_add_word (segment, start_ms, text ? text : "");
  }
  return TRUE;
}

static NemoSegment *
segment_from_object (JsonObject * obj, const gchar * path, GError ** error)
{
  NemoSegment *segment = segment_alloc (json_object_ref (obj));

  if (!read_string (obj, path, "k", &segment->kind, error)
      || !read_string (obj, path, "src", &segment->source, error)
      || !read_string (obj, path, "n", &segment->name, error)
      || !read_ms (obj, path, "st", 0, "0 or more milliseconds",
          &segment->start_ms, error)
      || !read_ms (obj, path, "d", -1,
          "-1 (to the end of the draft) or a length of 0 or more milliseconds",
          &segment->duration_ms, error)
      || !read_ms (obj, path, "in", 0, "0 or more milliseconds",
          &segment->in_ms, error)
      || !read_volume (obj, path, &segment->volume, error)
      || !read_bool (obj, path, "lp", &segment->loop, error)
      || !read_string (obj, path, "tx", &segment->text, error)
      || !read_object (obj, path, "sty", &segment->style, error)
      || !read_words (obj, path, segment, error))
    goto fail;
  return segment;

fail:
  segment_free (segment);
  return NULL;
}

static gboolean
read_track_type (JsonObject * obj, const gchar * path, NemoTrackType * out,
    GError ** error)
{
  JsonNode *node = get_member (obj, "tt");
  gdouble value;

  if (node == NULL) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_DRAFT,
        "draft: %s has no tt (track type: 0 video, 1 audio, 7 text)", path);
    return FALSE;
  }
  if (!node_is_number (node))
    return type_error (error, path, "tt", "a number", node);
  value = node_get_number (node);
  /* the enum is unsigned: no negative types */
  if (!(value >= 0 && value <= G_MAXINT32) || value != floor (value))
    return range_error (error, path, "tt",
        "a track type: a whole number, 0 video, 1 audio, 7 text...", node);
  *out = (NemoTrackType) value;
  return TRUE;
}

static NemoTrack *
track_from_object (JsonObject * obj, const gchar * path, GError ** error)
{
  NemoTrack *track = track_alloc (NEMO_TRACK_VIDEO, json_object_ref (obj));
  JsonArray *segments;
  guint i;

  if (!read_track_type (obj, path, &track->type, error)
      || !read_array (obj, path, "sg", &segments, error))
    goto fail;
  for (i = 0; segments != NULL && i < json_array_get_length (segments); i++) {
    gchar *segment_path = g_strdup_printf ("%s.sg[%u]", path, i);
    JsonObject *segment_obj = array_object (segments, i, segment_path, error);
    NemoSegment *segment = NULL;

    if (segment_obj != NULL)
      segment = segment_from_object (segment_obj, segment_path, error);
    g_free (segment_path);
    if (segment == NULL)
      goto fail;
    g_ptr_array_add (track->segments, segment);
  }
  return track;

fail:
  track_free (track);
  return NULL;
}

static NemoDraft *
draft_from_object (JsonObject * obj, GError ** error)
{
  NemoDraft *draft = draft_alloc (json_object_ref (obj));
  JsonArray *tracks;
  guint i;

  if (!read_ms (obj, "", "d", 0, "0 or more milliseconds",
          &draft->duration_ms, error)
      || !read_object (obj, "", "m", &draft->meta, error)
      || !read_array (obj, "", "t", &tracks, error))
    goto fail;
  for (i = 0; tracks != NULL && i < json_array_get_length (tracks); i++) {
    gchar *track_path = g_strdup_printf ("t[%u]", i);
    JsonObject *track_obj = array_object (tracks, i, track_path, error);
    NemoTrack *track = NULL;

    if (track_obj != NULL)
      track = track_from_object (track_obj, track_path, error);
    g_free (track_path);
    if (track == NULL)
      goto fail;
    g_ptr_array_add (draft->tracks, track);
  }
  return draft;

fail:
  nemo_draft_free (draft);
  return NULL;
}

/* Guards ------------------------------------------------------------ */

/* Whether @text nests arrays and objects at most @max_depth deep.  Strings
 * and comments are skipped the way json-glib 1.6's scanner (a GScanner)
 * reads them: "..." with backslash escapes, '...' without, and comments
 * from a '/' to the next '/' (its comment pair is "//", so that C comments
 * work too). */
static gboolean
text_depth_within (const gchar * text, gsize size, guint max_depth)
{
  guint depth = 0;
  gsize i;

  for (i = 0; i < size; i++) {
    switch (text[i]) {
      case '"':
        for (i++; i < size && text[i] != '"'; i++)
          if (text[i] == '\\')
            i++;
        break;
      case '\'':
        for (i++; i < size && text[i] != '\''; i++);
        break;
      case '/':
        for (i++; i < size && text[i] != '/'; i++);
        break;
      case '[':
      case '{':
        if (++depth > max_depth)
          return FALSE;
        break;
      case ']':
      case '}':
        if (depth > 0)
          depth--;
        break;
      default:
        break;
    }
  }
  return TRUE;
}

/* Whether json-glib 1.6 writes @value back as JSON: it prints "%.17g" and
 * adds ".0" when there is no '.', so infinity (read from 1e999) becomes
 * "inf.0" and 1e20 becomes "1e+20.0". */
static gboolean
double_is_writable (gdouble value)
{
  gchar text[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    return FALSE;
  g_ascii_dtostr (text, sizeof (text), value);
  return strchr (text, '.') != NULL || strchr (text, 'e') == NULL;
}

/* Refuses nesting deeper than MAX_DEPTH (the copies and comparisons of raw
 * objects recurse) and numbers we could not write back. */
static gboolean
check_node (JsonNode * node, guint depth, GError ** error)
{
  JsonObjectIter iter;
  JsonNode *member;
  JsonArray *array;
  guint i;

  if (depth > MAX_DEPTH) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_DRAFT,
        "draft: nested more than %d levels deep; a draft needs far fewer",
        MAX_DEPTH);
    return FALSE;
  }
  switch (JSON_NODE_TYPE (node)) {
    case JSON_NODE_OBJECT:
      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, NULL, &member))
        if (!check_node (member, depth + 1, error))
          return FALSE;
      break;
    case JSON_NODE_ARRAY:
      array = json_node_get_array (node);
      for (i = 0; i < json_array_get_length (array); i++)
        if (!check_node (json_array_get_element (array, i), depth + 1, error))
          return FALSE;
      break;
    case JSON_NODE_VALUE:
      if (node_is_a (node, G_TYPE_DOUBLE)
          && !double_is_writable (json_node_get_double (node))) {
        g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_DRAFT,
            "draft: holds the number %g, too large to write back as JSON; "
            "no draft needs numbers this large", json_node_get_double (node));
        return FALSE;
      }
      break;
    case JSON_NODE_NULL:
      break;
  }
  return TRUE;
}

/* json_node_copy() shares objects, arrays and values; this copies all. */
static JsonNode *
node_deep_copy (JsonNode * node)
{
  JsonNode *copy = json_node_alloc ();
  JsonObjectIter iter;
  const gchar *name;
  JsonNode *member;
  JsonArray *array, *array_copy;
  JsonObject *object_copy;
  guint i;

  switch (JSON_NODE_TYPE (node)) {
    case JSON_NODE_OBJECT:
      object_copy = json_object_new ();
      json_object_iter_init_ordered (&iter, json_node_get_object (node));
      while (json_object_iter_next_ordered (&iter, &name, &member))
        json_object_set_member (object_copy, name, node_deep_copy (member));
      json_node_init_object (copy, object_copy);
      json_object_unref (object_copy);
      break;
    case JSON_NODE_ARRAY:
      array = json_node_get_array (node);
      array_copy = json_array_sized_new (json_array_get_length (array));
      for (i = 0; i < json_array_get_length (array); i++)
        json_array_add_element (array_copy,
            node_deep_copy (json_array_get_element (array, i)));
      json_node_init_array (copy, array_copy);
      json_array_unref (array_copy);
      break;
    case JSON_NODE_NULL:
      json_node_init_null (copy);
      break;
    case JSON_NODE_VALUE:
      if (node_is_a (node, G_TYPE_INT64))
        json_node_init_int (copy, json_node_get_int (node));
      else if (node_is_a (node, G_TYPE_DOUBLE))
        json_node_init_double (copy, json_node_get_double (node));
      else if (node_is_a (node, G_TYPE_BOOLEAN))
        json_node_init_boolean (copy, json_node_get_boolean (node));
      else
        json_node_init_string (copy, json_node_get_string (node));
      break;
  }
  return copy;
}

static JsonObject *
object_deep_copy (JsonObject * object)
{
  JsonNode *node = json_node_init_object (json_node_alloc (), object);
  JsonNode *copy = node_deep_copy (node);
  JsonObject *ret = json_object_ref (json_node_get_object (copy));

  json_node_unref (copy);
  json_node_unref (node);
  return ret;
}

/* Parsing ------------------------------------------------------------- */

static NemoDraft *draft_parse_text (const gchar * text, gssize length,
    guint encodings, GError ** error);

static NemoDraft *
draft_from_node (JsonNode * node, guint encodings, GError ** error)
{
  JsonNode *copy;
  NemoDraft *ret;

  if (node_is_a (node, G_TYPE_STRING)) {
    if (encodings >= MAX_ENCODINGS) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_DRAFT,
          "draft: a JSON string inside a JSON string more than %d times, "
          "not a draft object", MAX_ENCODINGS);
      return NULL;
    }
    return draft_parse_text (json_node_get_string (node), -1, encodings + 1,
        error);
  }
  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_DRAFT,
        "draft: must be a JSON object such as {\"t\":[...],\"d\":10000} "
        "(got %s)", node_type_name (node));
    return NULL;
  }
  if (!check_node (node, 0, error))
    return NULL;
  /* our own copy: edits to the draft never reach the caller's node */
  copy = node_deep_copy (node);
  ret = draft_from_object (json_node_get_object (copy), error);
  json_node_unref (copy);
  return ret;
}

static NemoDraft *
draft_parse_text (const gchar * text, gssize length, guint encodings,
    GError ** error)
{
  JsonParser *parser = NULL;
  GError *parse_error = NULL;
  NemoDraft *ret = NULL;
  gsize size = length < 0 ? strlen (text) : (gsize) length;

  if (size > MAX_TEXT_SIZE) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_DRAFT,
        "draft: %" G_GSIZE_FORMAT " bytes is too large for a draft "
        "(the limit is %d MiB)", size, MAX_TEXT_SIZE / (1024 * 1024));
    goto end;
  }
  if (!text_depth_within (text, size, MAX_DEPTH)) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_DRAFT,
        "draft: nested more than %d levels deep; a draft needs far fewer",
        MAX_DEPTH);
    goto end;
  }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, size, &parse_error)) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_DRAFT,
        "draft: not valid JSON (%s)", parse_error->message);
    goto end;
  }
  if (json_parser_get_root (parser) == NULL) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_DRAFT,
        "draft: empty text, expected a JSON object such as {\"t\":[]}");
    goto end;
  }
  ret = draft_from_node (json_parser_get_root (parser), encodings, error);

end:
  g_clear_error (&parse_error);
  g_clear_object (&parser);
  return ret;
}

NemoDraft *
nemo_draft_parse (const gchar * json, gssize length, GError ** error)
{
  g_return_val_if_fail (json != NULL || length == 0, NULL);

  return draft_parse_text (json != NULL ? json : "", length, 0, error);
}

NemoDraft *
nemo_draft_from_node (JsonNode * node, GError ** error)
{
  g_return_val_if_fail (node != NULL, NULL);

  return draft_from_node (node, 0, error);
}

/* Writing ------------------------------------------------------------- *
 * Each write_* sets @key in @out only when @value differs from what @raw
 * holds (an absent or null key holds the default): a key we did not change
 * keeps the exact form it was read in, and a default stays unwritten. */

static void
write_string (JsonObject * out, JsonObject * raw, const gchar * key,
    const gchar * value)
{
  JsonNode *old = get_member (raw, key);

  if (old == NULL ? value == NULL : (node_is_a (old, G_TYPE_STRING)
          && g_strcmp0 (json_node_get_string (old), value) == 0))
    return;
  if (value == NULL)
    json_object_remove_member (out, key);
  else
    json_object_set_string_member (out, key, value);
}

/* @required: written whenever @raw lacks it, whatever the value */
static void
write_int (JsonObject * out, JsonObject * raw, const gchar * key,
    gint64 value, gint64 default_value, gboolean required)
{
  JsonNode *old = get_member (raw, key);

  if (old == NULL ? !required && value == default_value :
      (node_is_number (old) && isfinite (node_get_number (old))
          && node_get_ms (old) == value))
    return;
  json_object_set_int_member (out, key, value);
}

static void
write_double (JsonObject * out, JsonObject * raw, const gchar * key,
    gdouble value, gdouble default_value)
{
  JsonNode *old = get_member (raw, key);

  if (old == NULL ? value == default_value :
      (node_is_number (old) && node_get_number (old) == value))
    return;
  json_object_set_double_member (out, key, value);
}

static void
write_bool (JsonObject * out, JsonObject * raw, const gchar * key,
    gboolean value)
{
  JsonNode *old = get_member (raw, key);

  if (old == NULL ? !value : (node_is_a (old, G_TYPE_BOOLEAN)
          && json_node_get_boolean (old) == !!value))
    return;
  json_object_set_boolean_member (out, key, !!value);
}

/* Objects read are shared with @raw, so the copy of @raw already holds any
 * edit made in place; only another object replaces it. */
static void
write_object (JsonObject * out, JsonObject * raw, const gchar * key,
    JsonObject * value)
{
  JsonNode *old = get_member (raw, key);

  if ((old != NULL && JSON_NODE_HOLDS_OBJECT (old) ?
          json_node_get_object (old) : NULL) == value)
    return;
  if (value == NULL)
    json_object_remove_member (out, key);
  else
    json_object_set_object_member (out, key, object_deep_copy (value));
}

static JsonNode *
object_node_take (JsonObject * object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, object);
  return node;
}

/* A copy of @raw to write over, or a new object when there is none. */
static JsonObject *
raw_copy (JsonObject * raw)
{
  return raw != NULL ? object_deep_copy (raw) : json_object_new ();
}

/* "wd", written when the words differ from what @raw holds. */
static void
write_words (JsonObject * out, JsonObject * raw, GPtrArray * words)
{
  JsonNode *old = get_member (raw, "wd");
  JsonArray *array;
  JsonNode *node;
  guint i;

  if (words == NULL || words->len == 0) {
    if (old != NULL)
      json_object_remove_member (out, "wd");
    return;
  }
  array = json_array_sized_new (words->len);
  for (i = 0; i < words->len; i++) {
    const NemoWord *word = g_ptr_array_index (words, i);
    JsonObject *item = json_object_new ();

    json_object_set_int_member (item, "st", word->start_ms);
    json_object_set_string_member (item, "tx", word->text);
    json_array_add_object_element (array, item);
  }
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (node, array);
  if (old != NULL && json_node_equal (old, node))
    json_node_unref (node);
  else
    json_object_set_member (out, "wd", node);
}

static JsonNode *
segment_to_node (const NemoSegment * segment)
{
  JsonObject *raw = segment->raw;
  JsonObject *out = raw_copy (raw);

  write_string (out, raw, "k", segment->kind);
  write_string (out, raw, "src", segment->source);
  write_string (out, raw, "n", segment->name);
  write_int (out, raw, "st", segment->start_ms, 0, FALSE);
  write_int (out, raw, "d", segment->duration_ms, -1, FALSE);
  write_int (out, raw, "in", segment->in_ms, 0, FALSE);
  write_double (out, raw, "v", segment->volume, 1.0);
  write_bool (out, raw, "lp", segment->loop);
  write_string (out, raw, "tx", segment->text);
  write_object (out, raw, "sty", segment->style);
  write_words (out, raw, segment->words);
  return object_node_take (out);
}

/* Sets @key to the array of @items unless it was absent and stays empty. */
static void
write_array (JsonObject * out, JsonObject * raw, const gchar * key,
    GPtrArray * items, JsonNode * (*item_to_node) (gconstpointer))
{
  JsonArray *array;
  guint i;

  if (get_member (raw, key) == NULL && items->len == 0)
    return;
  array = json_array_sized_new (items->len);
  for (i = 0; i < items->len; i++)
    json_array_add_element (array, item_to_node (g_ptr_array_index (items,
                i)));
  json_object_set_array_member (out, key, array);
}

static JsonNode *
segment_item_to_node (gconstpointer segment)
{
  return segment_to_node (segment);
}

static JsonNode *
track_to_node (gconstpointer data)
{
  const NemoTrack *track = data;
  JsonObject *out = raw_copy (track->raw);

  write_int (out, track->raw, "tt", track->type, 0, TRUE);
  write_array (out, track->raw, "sg", track->segments, segment_item_to_node);
  return object_node_take (out);
}

JsonNode *
nemo_draft_to_node (const NemoDraft * draft)
{
  JsonObject *out;

  g_return_val_if_fail (draft != NULL, NULL);

  out = raw_copy (draft->raw);
  write_array (out, draft->raw, "t", draft->tracks, track_to_node);
  write_int (out, draft->raw, "d", draft->duration_ms, 0, FALSE);
  write_object (out, draft->raw, "m", draft->meta);
  return object_node_take (out);
}

gchar *
nemo_draft_to_string (const NemoDraft * draft, gboolean pretty)
{
  JsonGenerator *generator;
  JsonNode *root;
  gchar *ret;

  g_return_val_if_fail (draft != NULL, NULL);

  root = nemo_draft_to_node (draft);
  generator = json_generator_new ();
  json_generator_set_pretty (generator, pretty);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, root);
  ret = json_generator_to_data (generator, NULL);
  g_object_unref (generator);
  json_node_unref (root);
  return ret;
}

/* Building ------------------------------------------------------------ *
 * New objects start with their fields in `raw`, so that writing them emits
 * every field, defaults included. */

NemoDraft *
nemo_draft_new (void)
{
  JsonObject *raw = json_object_new ();

  json_object_set_array_member (raw, "t", json_array_new ());
  json_object_set_int_member (raw, "d", 0);
  return draft_alloc (raw);
}

void
nemo_draft_free (NemoDraft * draft)
{
  if (draft == NULL)
    return;
  g_ptr_array_unref (draft->tracks);
  if (draft->meta != NULL)
    json_object_unref (draft->meta);
  if (draft->raw != NULL)
    json_object_unref (draft->raw);
  g_free (draft);
}

NemoTrack *
nemo_draft_add_track (NemoDraft * draft, NemoTrackType type)
{
  JsonObject *raw;
  NemoTrack *track;

  g_return_val_if_fail (draft != NULL, NULL);

  raw = json_object_new ();
  json_object_set_int_member (raw, "tt", type);
  json_object_set_array_member (raw, "sg", json_array_new ());
  track = track_alloc (type, raw);
  g_ptr_array_add (draft->tracks, track);
  return track;
}

NemoSegment *
nemo_track_add_segment (NemoTrack * track, const gchar * kind)
{
  JsonObject *raw;
  NemoSegment *segment;

  g_return_val_if_fail (track != NULL, NULL);

  segment = segment_alloc (json_object_new ());
  segment->kind = g_strdup (kind);
  raw = segment->raw;
  if (kind != NULL)
    json_object_set_string_member (raw, "k", kind);
  json_object_set_int_member (raw, "st", segment->start_ms);
  json_object_set_int_member (raw, "d", segment->duration_ms);
  json_object_set_int_member (raw, "in", segment->in_ms);
  json_object_set_double_member (raw, "v", segment->volume);
  json_object_set_boolean_member (raw, "lp", segment->loop);
  g_ptr_array_add (track->segments, segment);
  return segment;
}

void
nemo_segment_add_word (NemoSegment * segment, gint64 start_ms,
    const gchar * text)
{
  NemoWord *word;

  g_return_if_fail (segment != NULL && text != NULL);

  word = g_new0 (NemoWord, 1);
  word->start_ms = start_ms;
  word->text = g_strdup (text);
  if (segment->words == NULL)
    segment->words = g_ptr_array_new_with_free_func (word_free);
  g_ptr_array_add (segment->words, word);
}

NemoTrack *
nemo_draft_find_track (const NemoDraft * draft, NemoTrackType type)
{
  guint i;

  g_return_val_if_fail (draft != NULL, NULL);

  for (i = 0; i < draft->tracks->len; i++) {
    NemoTrack *track = g_ptr_array_index (draft->tracks, i);

    if (track->type == type)
      return track;
  }
  return NULL;
}

/* Metadata ------------------------------------------------------------ */

static JsonObject *
draft_meta (NemoDraft * draft)
{
  if (draft->meta == NULL)
    draft->meta = json_object_new ();
  return draft->meta;
}

/* A NULL @value removes @key. */
void
nemo_draft_set_meta_string (NemoDraft * draft, const gchar * key,
    const gchar * value)
{
  g_return_if_fail (draft != NULL && key != NULL);

  if (value == NULL) {
    if (draft->meta != NULL)
      json_object_remove_member (draft->meta, key);
    return;
  }
  json_object_set_string_member (draft_meta (draft), key, value);
}

const gchar *
nemo_draft_get_meta_string (const NemoDraft * draft, const gchar * key)
{
  JsonNode *node;

  g_return_val_if_fail (draft != NULL && key != NULL, NULL);

  node = get_member (draft->meta, key);
  return node != NULL && node_is_a (node, G_TYPE_STRING) ?
      json_node_get_string (node) : NULL;
}

void
nemo_draft_set_meta_int (NemoDraft * draft, const gchar * key, gint64 value)
{
  g_return_if_fail (draft != NULL && key != NULL);

  json_object_set_int_member (draft_meta (draft), key, value);
}

/* A double is rounded; anything else, or a number out of range, is
 * @default_value. */
gchar *
nemo_draft_get_track_info (const NemoDraft * draft)
{
  const gchar *title = nemo_draft_get_meta_string (draft, "title");
  const gchar *artist = nemo_draft_get_meta_string (draft, "artist");

  if (title && *title == '\0')
    title = NULL;
  if (artist && *artist == '\0')
    artist = NULL;
  if (title && artist)
    return g_strdup_printf ("%s — %s", title, artist);
  return g_strdup (title ? title : artist);
}

gint64
nemo_draft_get_meta_int (const NemoDraft * draft, const gchar * key,
    gint64 default_value)
{
  JsonNode *node;
  gdouble value;

  g_return_val_if_fail (draft != NULL && key != NULL, default_value);

  node = get_member (draft->meta, key);
  if (node == NULL || !node_is_number (node))
    return default_value;
  if (node_is_a (node, G_TYPE_INT64))
    return json_node_get_int (node);
  value = json_node_get_double (node);
  if (!(fabs (value) < (gdouble) G_MAXINT64))
    return default_value;
  return llround (value);
}
