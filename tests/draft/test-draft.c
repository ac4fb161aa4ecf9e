/* Tests for the draft module: parsing, the round trip of service drafts,
 * edits, errors, the summary, and hostile input.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/draft.h>
#include <nemo/error.h>

#include <string.h>

/* A service-like draft: unknown keys at every level (root, tracks,
 * segments, m, sty), a track type we do not know, numbers written as
 * doubles, JSON nulls. */
static const gchar service_draft[] =
    "{\"id\":\"draft_7f3a\",\"ver\":3,"
    "\"t\":["
    "{\"id\":\"trk_v\",\"tt\":0,\"lock\":false,\"sg\":["
    "{\"id\":\"seg_1\",\"k\":\"clip\","
    "\"src\":\"https://cdn.nemovideo.ai/u/42/city_timelapse.mp4\","
    "\"n\":\"city timelapse\",\"st\":0,\"d\":10000.0,\"in\":1500,\"lp\":true,"
    "\"speed\":1.0,\"fx\":[{\"type\":\"fade\",\"d\":500}],"
    "\"crop\":{\"x\":0,\"y\":0.1}}]},"
    "{\"id\":\"trk_a\",\"tt\":1,\"muted\":false,\"sg\":["
    "{\"id\":\"seg_2\",\"k\":\"bgm\","
    "\"src\":\"https://cdn.nemovideo.ai/u/42/lofi.mp3\",\"n\":\"Lo-fi\","
    "\"st\":0,\"d\":-1,\"v\":0.35,\"fadeOut\":2000,\"duck\":null}]},"
    "{\"tt\":7,\"sg\":["
    "{\"k\":\"title\",\"tx\":\"Urban Dreams\",\"st\":0,\"d\":3000,"
    "\"sty\":{\"font\":\"Inter\",\"size\":64,\"color\":\"#FFFFFF\","
    "\"pos\":[0.5,0.2],\"anim\":{\"in\":\"fade\"}},\"layer\":2}]},"
    "{\"tt\":3,\"name\":\"effects\",\"sg\":["
    "{\"k\":\"glitch\",\"st\":2000,\"d\":500,\"intensity\":0.7}],"
    "\"extra\":[1,2,{\"a\":null}]}],"
    "\"d\":10000,"
    "\"m\":{\"title\":\"Urban Dreams\",\"artist\":\"Nemo\",\"w\":1080,"
    "\"h\":1920,\"fps\":29.97,\"ar\":\"9:16\",\"tags\":[\"city\",\"night\"]},"
    "\"canvas\":{\"w\":1080,\"h\":1920},"
    "\"createdAt\":1743712255.31}";

static JsonNode *
parse_json (const gchar * text)
{
  JsonParser *parser = json_parser_new ();
  GError *error = NULL;
  JsonNode *root;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_node_copy (json_parser_get_root (parser));
  g_object_unref (parser);
  return root;
}

static NemoDraft *
parse_ok (const gchar * text)
{
  GError *error = NULL;
  NemoDraft *draft = nemo_draft_parse (text, -1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (draft);
  return draft;
}

static void
assert_parse_fails (const gchar * text, gssize length, const gchar * message)
{
  GError *error = NULL;
  NemoDraft *draft = nemo_draft_parse (text, length, &error);

  g_assert_null (draft);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_DRAFT);
  if (message != NULL)
    g_assert_cmpstr (error->message, ==, message);
  else
    g_assert_true (g_str_has_prefix (error->message, "draft: "));
  g_error_free (error);
}

static NemoSegment *
segment_at (NemoDraft * draft, guint track, guint segment)
{
  NemoTrack *t = g_ptr_array_index (draft->tracks, track);

  return g_ptr_array_index (t->segments, segment);
}

static void
test_parse_fields (void)
{
  g_autoptr (NemoDraft) draft = parse_ok (service_draft);
  NemoSegment *clip, *bgm, *title, *glitch;

  g_assert_cmpuint (draft->tracks->len, ==, 4);
  g_assert_cmpint (draft->duration_ms, ==, 10000);
  g_assert_cmpint (((NemoTrack *) g_ptr_array_index (draft->tracks,
              3))->type, ==, 3);

  clip = segment_at (draft, 0, 0);
  g_assert_cmpstr (clip->kind, ==, NEMO_SEGMENT_CLIP);
  g_assert_cmpstr (clip->source, ==,
      "https://cdn.nemovideo.ai/u/42/city_timelapse.mp4");
  g_assert_cmpstr (clip->name, ==, "city timelapse");
  g_assert_cmpint (clip->start_ms, ==, 0);
  g_assert_cmpint (clip->duration_ms, ==, 10000);
  g_assert_cmpint (clip->in_ms, ==, 1500);
  g_assert_cmpfloat (clip->volume, ==, 1.0);
  g_assert_true (clip->loop);
  g_assert_null (clip->text);
  g_assert_null (clip->style);

  bgm = segment_at (draft, 1, 0);
  g_assert_cmpstr (bgm->kind, ==, NEMO_SEGMENT_BGM);
  g_assert_cmpint (bgm->duration_ms, ==, -1);
  g_assert_cmpfloat_with_epsilon (bgm->volume, 0.35, 1e-12);
  g_assert_false (bgm->loop);

  title = segment_at (draft, 2, 0);
  g_assert_cmpstr (title->text, ==, "Urban Dreams");
  g_assert_nonnull (title->style);
  g_assert_cmpstr (json_object_get_string_member (title->style, "font"), ==,
      "Inter");

  glitch = segment_at (draft, 3, 0);
  g_assert_cmpstr (glitch->kind, ==, "glitch");
  g_assert_cmpint (glitch->start_ms, ==, 2000);

  g_assert_cmpstr (nemo_draft_get_meta_string (draft, "title"), ==,
      "Urban Dreams");
  g_assert_cmpint (nemo_draft_get_meta_int (draft, "w", 0), ==, 1080);
  g_assert_cmpint (nemo_draft_get_meta_int (draft, "fps", 0), ==, 30);
  /* wrong type or absent: the default */
  g_assert_cmpint (nemo_draft_get_meta_int (draft, "ar", -7), ==, -7);
  g_assert_cmpint (nemo_draft_get_meta_int (draft, "nope", 25), ==, 25);
  g_assert_null (nemo_draft_get_meta_string (draft, "w"));
  g_assert_null (nemo_draft_get_meta_string (draft, "album"));

  g_assert_true (nemo_draft_find_track (draft, NEMO_TRACK_TEXT) ==
      g_ptr_array_index (draft->tracks, 2));
  g_assert_null (nemo_draft_find_track (draft, (NemoTrackType) 5));
}

/* Parse, write, and the output is the input: same JSON, same key order. */
static void
test_round_trip (void)
{
  g_autoptr (NemoDraft) draft = parse_ok (service_draft);
  g_autoptr (NemoDraft) again = NULL;
  JsonNode *original = parse_json (service_draft);
  JsonNode *written = nemo_draft_to_node (draft);
  gchar *text = nemo_draft_to_string (draft, FALSE);
  gchar *pretty = nemo_draft_to_string (draft, TRUE);
  gchar *original_text = json_to_string (original, FALSE);
  JsonNode *reparsed;

  g_assert_true (json_node_equal (original, written));
  g_assert_cmpstr (text, ==, original_text);

  again = parse_ok (pretty);
  reparsed = nemo_draft_to_node (again);
  g_assert_true (json_node_equal (original, reparsed));

  json_node_unref (reparsed);
  json_node_unref (written);
  json_node_unref (original);
  g_free (original_text);
  g_free (pretty);
  g_free (text);
}

static JsonObject *
written_segment (JsonNode * root, guint track, guint segment)
{
  JsonArray *tracks = json_object_get_array_member (json_node_get_object
      (root), "t");
  JsonObject *t = json_array_get_object_element (tracks, track);

  return json_array_get_object_element (json_object_get_array_member (t,
          "sg"), segment);
}

/* The draft and the nodes it is read from or written to share nothing. */
static void
test_no_aliasing (void)
{
  JsonNode *input = parse_json (service_draft);
  GError *error = NULL;
  g_autoptr (NemoDraft) draft = nemo_draft_from_node (input, &error);
  JsonObject *input_meta, *input_style, *output_meta;
  JsonNode *output;

  g_assert_no_error (error);
  nemo_draft_set_meta_string (draft, "title", "Changed");
  json_object_set_int_member (segment_at (draft, 2, 0)->style, "size", 80);
  input_style = json_object_get_object_member (written_segment (input, 2, 0),
      "sty");
  g_assert_cmpint (json_object_get_int_member (input_style, "size"), ==, 64);
  input_meta = json_object_get_object_member (json_node_get_object (input),
      "m");
  g_assert_cmpstr (json_object_get_string_member (input_meta, "title"), ==,
      "Urban Dreams");

  output = nemo_draft_to_node (draft);
  output_meta = json_object_get_object_member (json_node_get_object (output),
      "m");
  g_assert_cmpstr (json_object_get_string_member (output_meta, "title"), ==,
      "Changed");
  json_object_set_string_member (output_meta, "title", "Output only");
  g_assert_cmpstr (nemo_draft_get_meta_string (draft, "title"), ==,
      "Changed");

  json_node_unref (output);
  json_node_unref (input);
}

static void
test_edits (void)
{
  g_autoptr (NemoDraft) draft = parse_ok (service_draft);
  g_autoptr (NemoDraft) again = NULL;
  NemoSegment *clip = segment_at (draft, 0, 0);
  NemoSegment *bgm = segment_at (draft, 1, 0);
  NemoSegment *title = segment_at (draft, 2, 0);
  NemoSegment *added;
  JsonNode *root;
  JsonObject *obj;
  gchar *text;

  clip->start_ms = 500;
  clip->loop = FALSE;
  g_clear_pointer (&clip->name, g_free);
  bgm->volume = 0.5;
  bgm->duration_ms = 8000;
  json_object_set_string_member (title->style, "color", "#FF8000");
  nemo_draft_set_meta_string (draft, "album", "Night Drive");
  nemo_draft_set_meta_string (draft, "artist", NULL);
  nemo_draft_set_meta_int (draft, "w", 1920);
  draft->duration_ms = 12000;
  added = nemo_track_add_segment (nemo_draft_find_track (draft,
          NEMO_TRACK_VIDEO), NEMO_SEGMENT_STILL);
  added->source = g_strdup ("/tmp/cover.png");
  added->start_ms = 10000;
  added->duration_ms = 2000;

  text = nemo_draft_to_string (draft, FALSE);
  again = parse_ok (text);
  g_free (text);
  g_assert_cmpint (again->duration_ms, ==, 12000);
  g_assert_cmpint (segment_at (again, 0, 0)->start_ms, ==, 500);
  g_assert_false (segment_at (again, 0, 0)->loop);
  g_assert_null (segment_at (again, 0, 0)->name);
  g_assert_cmpfloat (segment_at (again, 1, 0)->volume, ==, 0.5);
  g_assert_cmpint (segment_at (again, 1, 0)->duration_ms, ==, 8000);
  g_assert_cmpstr (json_object_get_string_member (segment_at (again, 2,
              0)->style, "color"), ==, "#FF8000");
  g_assert_cmpstr (nemo_draft_get_meta_string (again, "album"), ==,
      "Night Drive");
  g_assert_null (nemo_draft_get_meta_string (again, "artist"));
  g_assert_cmpint (nemo_draft_get_meta_int (again, "w", 0), ==, 1920);
  g_assert_cmpstr (segment_at (again, 0, 1)->kind, ==, NEMO_SEGMENT_STILL);
  g_assert_cmpstr (segment_at (again, 0, 1)->source, ==, "/tmp/cover.png");
  g_assert_cmpint (segment_at (again, 0, 1)->start_ms, ==, 10000);

  /* unknown keys beside the edited ones are still there */
  root = nemo_draft_to_node (draft);
  obj = written_segment (root, 0, 0);
  g_assert_cmpstr (json_object_get_string_member (obj, "id"), ==, "seg_1");
  g_assert_false (json_object_has_member (obj, "n"));
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (obj,
              "fx")), ==, 1);
  obj = written_segment (root, 1, 0);
  g_assert_true (json_object_has_member (obj, "duck"));
  g_assert_cmpint (json_object_get_int_member (obj, "fadeOut"), ==, 2000);
  /* a new segment writes every field, defaults included */
  obj = written_segment (root, 0, 1);
  g_assert_cmpstr (json_object_get_string_member (obj, "k"), ==, "still");
  g_assert_cmpint (json_object_get_int_member (obj, "in"), ==, 0);
  g_assert_cmpfloat (json_object_get_double_member (obj, "v"), ==, 1.0);
  g_assert_false (json_object_get_boolean_member (obj, "lp"));
  g_assert_false (json_object_has_member (obj, "tx"));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object
          (root), "id"), ==, "draft_7f3a");
  json_node_unref (root);
}

/* Defaults that were absent stay absent; what was present is written. */
static void
test_defaults_stay_absent (void)
{
  const gchar *text = "{\"t\":[{\"tt\":1,\"sg\":[{\"k\":\"music\"}]}]}";
  g_autoptr (NemoDraft) draft = parse_ok (text);
  NemoSegment *music = segment_at (draft, 0, 0);
  gchar *written;

  g_assert_cmpint (music->start_ms, ==, 0);
  g_assert_cmpint (music->duration_ms, ==, -1);
  g_assert_cmpint (music->in_ms, ==, 0);
  g_assert_cmpfloat (music->volume, ==, 1.0);
  g_assert_false (music->loop);
  g_assert_null (draft->meta);
  written = nemo_draft_to_string (draft, FALSE);
  g_assert_cmpstr (written, ==, text);
  g_free (written);

  music->in_ms = 30000;
  written = nemo_draft_to_string (draft, FALSE);
  g_assert_cmpstr (written, ==,
      "{\"t\":[{\"tt\":1,\"sg\":[{\"k\":\"music\",\"in\":30000}]}]}");
  g_free (written);
}

/* "one cover + one song", built through the API and read back. */
static void
test_build (void)
{
  g_autoptr (NemoDraft) draft = nemo_draft_new ();
  g_autoptr (NemoDraft) again = NULL;
  NemoTrack *video, *audio;
  NemoSegment *still, *music;
  gchar *text, *summary;

  video = nemo_draft_add_track (draft, NEMO_TRACK_VIDEO);
  still = nemo_track_add_segment (video, NEMO_SEGMENT_STILL);
  still->source = g_strdup ("/home/me/cover.jpg");
  audio = nemo_draft_add_track (draft, NEMO_TRACK_AUDIO);
  music = nemo_track_add_segment (audio, NEMO_SEGMENT_MUSIC);
  music->source = g_strdup ("/home/me/Midnight City.mp3");
  music->name = g_strdup ("Midnight City");
  draft->duration_ms = 243500;
  nemo_draft_set_meta_string (draft, "title", "Midnight City");
  nemo_draft_set_meta_string (draft, "artist", "M83");
  nemo_draft_set_meta_int (draft, "w", 1920);
  nemo_draft_set_meta_int (draft, "h", 1080);
  nemo_draft_set_meta_int (draft, "fps", 30);

  text = nemo_draft_to_string (draft, FALSE);
  g_assert_cmpstr (text, ==,
      "{\"t\":[{\"tt\":0,\"sg\":[{\"k\":\"still\",\"st\":0,\"d\":-1,\"in\":0,"
      "\"v\":1.0,\"lp\":false,\"src\":\"/home/me/cover.jpg\"}]},"
      "{\"tt\":1,\"sg\":[{\"k\":\"music\",\"st\":0,\"d\":-1,\"in\":0,"
      "\"v\":1.0,\"lp\":false,\"src\":\"/home/me/Midnight City.mp3\","
      "\"n\":\"Midnight City\"}]}],\"d\":243500,"
      "\"m\":{\"title\":\"Midnight City\",\"artist\":\"M83\",\"w\":1920,"
      "\"h\":1080,\"fps\":30}}");
  again = parse_ok (text);
  g_free (text);
  g_assert_cmpuint (again->tracks->len, ==, 2);
  g_assert_cmpstr (segment_at (again, 0, 0)->source, ==,
      "/home/me/cover.jpg");
  g_assert_cmpint (nemo_draft_find_track (again, NEMO_TRACK_AUDIO)->type, ==,
      NEMO_TRACK_AUDIO);
  g_assert_cmpint (nemo_draft_get_meta_int (again, "fps", 0), ==, 30);

  summary = nemo_draft_summary (again);
  g_assert_cmpstr (summary, ==, "Timeline (2 tracks): 1. Video: cover "
      "(0-243.5s) 2. Music: Midnight City (0-243.5s)");
  g_free (summary);
}

typedef struct
{
  const gchar *json;
  const gchar *message;
} BadDraft;

static const BadDraft bad_drafts[] = {
  {"{\"t\":[{\"tt\":0},{\"tt\":1,\"sg\":[{\"st\":\"0\"}]}]}",
      "draft: t[1].sg[0].st must be a number (got string)"},
  {"{\"t\":{}}", "draft: t must be an array (got object)"},
  {"{\"d\":\"10s\"}", "draft: d must be a number (got string)"},
  {"{\"d\":-3}", "draft: d must be 0 or more milliseconds (got -3)"},
  {"{\"d\":1e300}",
      "draft: d must be a number of milliseconds below 2^53 (got 1e+300)"},
  {"{\"m\":[]}", "draft: m must be an object (got array)"},
  {"{\"t\":[5]}", "draft: t[0] must be an object (got number)"},
  {"{\"t\":[{\"sg\":[]}]}",
      "draft: t[0] has no tt (track type: 0 video, 1 audio, 7 text)"},
  {"{\"t\":[{\"tt\":\"video\"}]}",
      "draft: t[0].tt must be a number (got string)"},
  {"{\"t\":[{\"tt\":1.5}]}",
      "draft: t[0].tt must be a track type: a whole number, 0 video, "
      "1 audio, 7 text... (got 1.5)"},
  {"{\"t\":[{\"tt\":-3}]}",
      "draft: t[0].tt must be a track type: a whole number, 0 video, "
      "1 audio, 7 text... (got -3)"},
  {"{\"t\":[{\"tt\":0,\"sg\":{}}]}",
      "draft: t[0].sg must be an array (got object)"},
  {"{\"t\":[{\"tt\":0,\"sg\":[[]]}]}",
      "draft: t[0].sg[0] must be an object (got array)"},
  {"{\"t\":[{\"tt\":0,\"sg\":[{\"k\":1}]}]}",
      "draft: t[0].sg[0].k must be a string (got number)"},
  {"{\"t\":[{\"tt\":0,\"sg\":[{\"src\":true}]}]}",
      "draft: t[0].sg[0].src must be a string (got boolean)"},
  {"{\"t\":[{\"tt\":0,\"sg\":[{\"n\":{}}]}]}",
      "draft: t[0].sg[0].n must be a string (got object)"},
  {"{\"t\":[{\"tt\":7,\"sg\":[{\"tx\":[\"a\"]}]}]}",
      "draft: t[0].sg[0].tx must be a string (got array)"},
  {"{\"t\":[{\"tt\":0,\"sg\":[{\"in\":false}]}]}",
      "draft: t[0].sg[0].in must be a number (got boolean)"},
  {"{\"t\":[{\"tt\":0,\"sg\":[{\"st\":-5}]}]}",
      "draft: t[0].sg[0].st must be 0 or more milliseconds (got -5)"},
  {"{\"t\":[{\"tt\":0,\"sg\":[{\"d\":-2}]}]}",
      "draft: t[0].sg[0].d must be -1 (to the end of the draft) or a length "
      "of 0 or more milliseconds (got -2)"},
  {"{\"t\":[{\"tt\":1,\"sg\":[{\"v\":35}]}]}",
      "draft: t[0].sg[0].v must be a volume from 0.0 to 1.0 (0.35 is 35%) "
      "(got 35)"},
  {"{\"t\":[{\"tt\":1,\"sg\":[{\"v\":\"35%\"}]}]}",
      "draft: t[0].sg[0].v must be a number (got string)"},
  {"{\"t\":[{\"tt\":0,\"sg\":[{\"lp\":\"yes\"}]}]}",
      "draft: t[0].sg[0].lp must be true or false (got string)"},
  {"{\"t\":[{\"tt\":7,\"sg\":[{\"sty\":\"bold\"}]}]}",
      "draft: t[0].sg[0].sty must be an object (got string)"},
  {"{\"x\":1e999}", "draft: holds the number inf, too large to write back "
      "as JSON; no draft needs numbers this large"},
  {"{\"m\":{\"x\":[-1e20]}}", "draft: holds the number -1e+20, too large to "
      "write back as JSON; no draft needs numbers this large"},
  {"[{\"t\":[]}]",
      "draft: must be a JSON object such as {\"t\":[...],\"d\":10000} "
      "(got array)"},
  {"42", "draft: must be a JSON object such as {\"t\":[...],\"d\":10000} "
      "(got number)"},
  {"null", "draft: must be a JSON object such as {\"t\":[...],\"d\":10000} "
      "(got null)"},
  {"", "draft: empty text, expected a JSON object such as {\"t\":[]}"},
};

static void
test_wrong_types (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_drafts); i++)
    assert_parse_fails (bad_drafts[i].json, -1, bad_drafts[i].message);
}

/* Keys we use may be JSON null: they take their default. */
static void
test_nulls_are_defaults (void)
{
  const gchar *text = "{\"t\":[{\"tt\":1,\"sg\":[{\"k\":null,\"st\":null,"
      "\"d\":null,\"v\":null,\"lp\":null,\"sty\":null}]}],\"m\":null,"
      "\"d\":null}";
  g_autoptr (NemoDraft) draft = parse_ok (text);
  NemoSegment *segment = segment_at (draft, 0, 0);
  JsonNode *written = nemo_draft_to_node (draft);
  JsonNode *original = parse_json (text);

  g_assert_null (segment->kind);
  g_assert_cmpint (segment->duration_ms, ==, -1);
  g_assert_cmpfloat (segment->volume, ==, 1.0);
  g_assert_null (draft->meta);
  g_assert_true (json_node_equal (original, written));
  json_node_unref (original);
  json_node_unref (written);
}

/* @text as a JSON string, @times over */
static gchar *
encode (const gchar * text, guint times)
{
  gchar *ret = g_strdup (text);

  for (guint i = 0; i < times; i++) {
    JsonNode *node = json_node_init_string (json_node_alloc (), ret);

    g_free (ret);
    ret = json_to_string (node, FALSE);
    json_node_unref (node);
  }
  return ret;
}

static void
test_double_encoded (void)
{
  const gchar *inner = "{\"t\":[{\"tt\":0}],\"d\":5000}";
  JsonNode *node = json_node_init_string (json_node_alloc (), inner);
  GError *error = NULL;
  NemoDraft *draft;
  gchar *text;

  for (guint times = 1; times <= 3; times++) {
    text = encode (inner, times);
    draft = parse_ok (text);
    g_assert_cmpint (draft->duration_ms, ==, 5000);
    g_assert_cmpuint (draft->tracks->len, ==, 1);
    nemo_draft_free (draft);
    g_free (text);
  }
  text = encode (inner, 4);
  assert_parse_fails (text, -1, "draft: a JSON string inside a JSON string "
      "more than 3 times, not a draft object");
  g_free (text);

  draft = nemo_draft_from_node (node, &error);
  g_assert_no_error (error);
  g_assert_cmpint (draft->duration_ms, ==, 5000);
  nemo_draft_free (draft);

  assert_parse_fails ("\"[1,2]\"", -1,
      "draft: must be a JSON object such as {\"t\":[...],\"d\":10000} "
      "(got array)");
  assert_parse_fails ("\"not json\"", -1, NULL);
  json_node_unref (node);
}

static gchar *
repeat (const gchar * unit, guint times)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < times; i++)
    g_string_append (out, unit);
  return g_string_free (out, FALSE);
}

/* Deep nesting, hidden from a naive scan in every way json-glib's scanner
 * allows (strings in either quote, comments from '/' to '/'), fails
 * cleanly instead of exhausting the stack. */
static void
test_deep_nesting (void)
{
  const gchar *prefixes[] = {
    "", "{\"x\":", "{\"a\":1 /* \" */ ,\"x\":", "{'a':\"'\",\"x\":",
    "{\"a\":'\\',\"x\":", "{\"a\":\"\\\"[\",\"x\":", "{\"a\":1 / \" /,\"x\":",
  };
  gchar *opens = repeat ("[", 200000);
  gchar *closes = repeat ("]", 200000);

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++) {
    gchar *text = g_strconcat (prefixes[i], opens, closes,
        *prefixes[i] ? "}" : "", NULL);

    assert_parse_fails (text, -1,
        "draft: nested more than 64 levels deep; a draft needs far fewer");
    g_free (text);
  }
  g_free (closes);
  g_free (opens);

  /* 60 levels inside an unknown key are fine */
  opens = repeat ("[", 60);
  closes = repeat ("]", 60);
  {
    gchar *text = g_strconcat ("{\"t\":[],\"x\":", opens, closes, "}", NULL);
    NemoDraft *draft = parse_ok (text);
    gchar *written = nemo_draft_to_string (draft, FALSE);

    g_assert_cmpstr (written, ==, text);
    g_free (written);
    nemo_draft_free (draft);
    g_free (text);
  }
  g_free (closes);
  g_free (opens);
}

static void
test_garbage (void)
{
  const gchar *inputs[] = {
    "not json", "{", "}", "{\"t\":[", "{\"t\":[{\"tt\":0,}]}", "\x01\x02",
    "{\"a\":\"\xff\xfe\"}", "/*", "'", "\"", "[[[[", "]]]]]",
    "{\"t\":[{\"tt\":0}]} trailing",
  };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    assert_parse_fails (inputs[i], -1, NULL);
  /* an explicit length stops at it, NUL bytes or not */
  assert_parse_fails ("{\"t\":[]}", 4, NULL);
  assert_parse_fails ("{\"t\":\0[]}", 9, NULL);
  assert_parse_fails (NULL, 0, NULL);
}

typedef struct
{
  const gchar *json;
  const gchar *summary;
} SummaryCase;

static const SummaryCase summary_cases[] = {
  {"{\"t\":[],\"d\":0}", "Timeline (0 tracks): empty"},
  {"{}", "Timeline (0 tracks): empty"},
  {"{\"t\":[{\"tt\":1,\"sg\":[{\"k\":\"music\",\"n\":\"Song\",\"d\":185000}]}]"
        ",\"d\":185000}", "Timeline (1 track): 1. Music: Song (0-185s)"},
  /* fractional seconds: one decimal, rounded; whole seconds bare */
  {"{\"t\":[{\"tt\":0,\"sg\":[{\"k\":\"clip\",\"n\":\"a\",\"st\":1250,"
        "\"d\":11250}]}]}", "Timeline (1 track): 1. Video: a (1.3-12.5s)"},
  {"{\"t\":[{\"tt\":0,\"sg\":[{\"k\":\"clip\",\"n\":\"a\",\"st\":40,"
        "\"d\":9920}]}]}", "Timeline (1 track): 1. Video: a (0-10s)"},
  /* several segments in one track; names from src */
  {"{\"t\":[{\"tt\":0,\"sg\":[{\"k\":\"still\",\"src\":\"/p/a.png\","
        "\"d\":5000},{\"k\":\"still\",\"src\":\"C:\\\\p\\\\b.cover.jpg\","
        "\"st\":5000,\"d\":5000},{\"k\":\"clip\",\"st\":10000,\"d\":2500}]}]}",
      "Timeline (1 track): 1. Video: a (0-5s), b.cover (5-10s), "
        "untitled (10-12.5s)"},
  /* d -1 runs to the draft's end */
  {"{\"t\":[{\"tt\":0,\"sg\":[{\"k\":\"clip\",\"src\":\"https://x.io/u/"
        "night%20drive.mov?sig=a.b\",\"st\":4000,\"d\":-1}]}],\"d\":10000}",
      "Timeline (1 track): 1. Video: night drive (4-10s)"},
  /* the labels */
  {"{\"t\":[{\"tt\":1,\"sg\":[{\"n\":\"x\",\"d\":1000}]},"
        "{\"tt\":1,\"sg\":[{\"k\":\"bgm\",\"n\":\"y\",\"d\":1000}]},"
        "{\"tt\":1,\"sg\":[{\"k\":\"music\",\"n\":\"z\",\"d\":1000,"
        "\"v\":0.5}]},{\"tt\":7,\"sg\":[{\"k\":\"caption\",\"tx\":\"Hi\","
        "\"d\":1000}]},{\"tt\":3,\"sg\":[{\"k\":\"glitch\",\"st\":2000,"
        "\"d\":500}]},{\"tt\":0}]}",
      "Timeline (6 tracks): 1. Audio: x (0-1s) 2. BGM: y (0-1s) "
        "3. BGM: z (0-1s, 50%) 4. Text: \"Hi\" (0-1s) "
        "5. Track: untitled (2-2.5s) 6. Video: empty"},
  /* the volume is a rounded percentage */
  {"{\"t\":[{\"tt\":1,\"sg\":[{\"k\":\"bgm\",\"n\":\"q\",\"d\":1000,"
        "\"v\":0.004}]}]}", "Timeline (1 track): 1. BGM: q (0-1s, 0%)"},
  /* a title on two lines stays on one */
  {"{\"t\":[{\"tt\":7,\"sg\":[{\"k\":\"title\",\"tx\":\"Urban\\nDreams\","
        "\"d\":3000}]}]}",
      "Timeline (1 track): 1. Title: \"Urban Dreams\" (0-3s)"},
};

static void
test_summary_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (summary_cases); i++) {
    g_autoptr (NemoDraft) draft = parse_ok (summary_cases[i].json);
    gchar *summary = nemo_draft_summary (draft);

    g_assert_cmpstr (summary, ==, summary_cases[i].summary);
    g_free (summary);
  }
}

/* The service's example line (docs/protocol.md, State and the draft), from
 * a draft built through the API. */
static void
test_summary_protocol_example (void)
{
  g_autoptr (NemoDraft) draft = nemo_draft_new ();
  NemoSegment *clip, *bgm, *title;
  gchar *summary;

  draft->duration_ms = 10000;
  clip = nemo_track_add_segment (nemo_draft_add_track (draft,
          NEMO_TRACK_VIDEO), NEMO_SEGMENT_CLIP);
  clip->source = g_strdup ("/videos/city timelapse.mp4");
  bgm = nemo_track_add_segment (nemo_draft_add_track (draft,
          NEMO_TRACK_AUDIO), NEMO_SEGMENT_BGM);
  bgm->name = g_strdup ("Lo-fi");
  bgm->duration_ms = 10000;
  bgm->volume = 0.35;
  title = nemo_track_add_segment (nemo_draft_add_track (draft,
          NEMO_TRACK_TEXT), NEMO_SEGMENT_TITLE);
  title->text = g_strdup ("Urban Dreams");
  title->duration_ms = 3000;

  summary = nemo_draft_summary (draft);
  g_assert_cmpstr (summary, ==, "Timeline (3 tracks): 1. Video: city "
      "timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title: \"Urban "
      "Dreams\" (0-3s)");
  g_free (summary);

  /* and the service draft says the same, with its unknown fourth track */
  nemo_draft_free (g_steal_pointer (&draft));
  draft = parse_ok (service_draft);
  summary = nemo_draft_summary (draft);
  g_assert_cmpstr (summary, ==, "Timeline (4 tracks): 1. Video: city "
      "timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title: \"Urban "
      "Dreams\" (0-3s) 4. Track: untitled (2-2.5s)");
  g_free (summary);
}

static const gchar fuzz_alphabet[] = "{}[]\"':,/*\\-.0123456789eE tfn\n";

static void
mutate (GString * text, GRand * rand)
{
  guint n_mutations = g_rand_int_range (rand, 1, 5);

  for (guint i = 0; i < n_mutations && text->len > 0; i++) {
    guint at = g_rand_int_range (rand, 0, text->len);

    switch (g_rand_int_range (rand, 0, 4)) {
      case 0:
        text->str[at] ^= 1 << g_rand_int_range (rand, 0, 8);
        break;
      case 1:
        g_string_erase (text, at, 1);
        break;
      case 2:
        g_string_insert_c (text, at, fuzz_alphabet[g_rand_int_range (rand, 0,
                    sizeof (fuzz_alphabet) - 1)]);
        break;
      default:
        text->str[at] = fuzz_alphabet[g_rand_int_range (rand, 0,
                sizeof (fuzz_alphabet) - 1)];
        break;
    }
  }
}

/* Whatever we accept, we write back as valid JSON equal to what we read
 * (when it was an object, not a string holding one). */
static void
check_accepted (const GString * text, NemoDraft * draft)
{
  JsonParser *parser = json_parser_new ();
  JsonNode *written = nemo_draft_to_node (draft);
  gchar *written_text = nemo_draft_to_string (draft, FALSE);
  gchar *summary = nemo_draft_summary (draft);
  GError *error = NULL;
  NemoDraft *again;

  g_assert_true (g_str_has_prefix (summary, "Timeline ("));
  g_assert_true (g_utf8_validate (summary, -1, NULL));
  again = nemo_draft_parse (written_text, -1, &error);
  g_assert_no_error (error);
  nemo_draft_free (again);

  g_assert_true (json_parser_load_from_data (parser, text->str, text->len,
          NULL));
  if (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    g_assert_true (json_node_equal (json_parser_get_root (parser), written));

  g_object_unref (parser);
  g_free (summary);
  g_free (written_text);
  json_node_unref (written);
}

static void
test_fuzz (void)
{
  GRand *rand = g_rand_new_with_seed (20250403);
  guint accepted = 0, refused = 0;

  for (guint i = 0; i < 5000; i++) {
    GString *text = g_string_new (service_draft);
    GError *error = NULL;
    NemoDraft *draft;

    mutate (text, rand);
    draft = nemo_draft_parse (text->str, text->len, &error);
    g_assert_true ((draft == NULL) != (error == NULL));
    if (draft != NULL) {
      check_accepted (text, draft);
      accepted++;
    } else {
      g_assert_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_DRAFT);
      g_assert_true (g_str_has_prefix (error->message, "draft: "));
      refused++;
    }
    nemo_draft_free (draft);
    g_clear_error (&error);
    g_string_free (text, TRUE);
  }
  g_test_message ("fuzz: %u accepted, %u refused", accepted, refused);
  /* the mutations reach both sides */
  g_assert_cmpuint (accepted, >, 100);
  g_assert_cmpuint (refused, >, 100);
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/draft/parse/fields", test_parse_fields);
  g_test_add_func ("/draft/parse/nulls-are-defaults", test_nulls_are_defaults);
  g_test_add_func ("/draft/parse/wrong-types", test_wrong_types);
  g_test_add_func ("/draft/parse/double-encoded", test_double_encoded);
  g_test_add_func ("/draft/parse/deep-nesting", test_deep_nesting);
  g_test_add_func ("/draft/parse/garbage", test_garbage);
  g_test_add_func ("/draft/parse/fuzz", test_fuzz);
  g_test_add_func ("/draft/write/round-trip", test_round_trip);
  g_test_add_func ("/draft/write/no-aliasing", test_no_aliasing);
  g_test_add_func ("/draft/write/edits", test_edits);
  g_test_add_func ("/draft/write/defaults-stay-absent",
      test_defaults_stay_absent);
  g_test_add_func ("/draft/build/cover-and-song", test_build);
  g_test_add_func ("/draft/summary/table", test_summary_table);
  g_test_add_func ("/draft/summary/protocol-example",
      test_summary_protocol_example);

  return g_test_run ();
}
