/* Tests for the lyrics parser: LRC, enhanced LRC, SubRip and WebVTT, their
 * markup, the errors that name the line, and the draft's lyric segments.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/lyrics.h>
#include <nemo/error.h>

#include <glib/gstdio.h>
#include <string.h>

static NemoLyrics *
parse_ok (const gchar * text)
{
  GError *error = NULL;
  NemoLyrics *lyrics = nemo_lyrics_parse (text, -1, "song.txt", &error);

  g_assert_no_error (error);
  g_assert_nonnull (lyrics);
  return lyrics;
}

static const NemoLyricLine *
line_at (const NemoLyrics * lyrics, guint i)
{
  g_assert_cmpuint (i, <, lyrics->lines->len);
  return g_ptr_array_index (lyrics->lines, i);
}

static void
assert_line (const NemoLyrics * lyrics, guint i, gint64 start_ms,
    gint64 end_ms, const gchar * text)
{
  const NemoLyricLine *line = line_at (lyrics, i);

  g_assert_cmpint (line->start_ms, ==, start_ms);
  g_assert_cmpint (line->end_ms, ==, end_ms);
  g_assert_cmpstr (line->text, ==, text);
}

static void
assert_word (const NemoLyrics * lyrics, guint i, guint w, gint64 start_ms,
    const gchar * text)
{
  const NemoLyricLine *line = line_at (lyrics, i);
  const NemoWord *word;

  g_assert_cmpuint (w, <, line->words->len);
  word = g_ptr_array_index (line->words, w);
  g_assert_cmpint (word->start_ms, ==, start_ms);
  g_assert_cmpstr (word->text, ==, text);
}

static void
test_lrc (void)
{
  g_autoptr (NemoLyrics) lyrics = parse_ok ("[ti:Song]\n[ar:Someone]\n"
      "[00:12.00]First line\n"
      "[00:15.5]Second, in tenths\n"
      "\n"
      "[01:02.345][00:20.00]Chorus twice\n" "[01:05.00]\n" "[61:00.00]Late\n");

  g_assert_cmpint (lyrics->format, ==, NEMO_LYRICS_LRC);
  g_assert_cmpuint (lyrics->lines->len, ==, 5);
  assert_line (lyrics, 0, 12000, -1, "First line");
  assert_line (lyrics, 1, 15500, -1, "Second, in tenths");
  assert_line (lyrics, 2, 20000, -1, "Chorus twice");
  /* the empty line at 1:05 ends the chorus before it */
  assert_line (lyrics, 3, 62345, 65000, "Chorus twice");
  /* minutes past 59 are LRC's own */
  assert_line (lyrics, 4, 3660000, -1, "Late");
  g_assert_cmpuint (line_at (lyrics, 0)->words->len, ==, 0);
}

static void
test_lrc_offset (void)
{
  g_autoptr (NemoLyrics) lyrics = parse_ok ("[offset:+500]\n"
      "[00:02.00]<00:02.00>a <00:02.50>b\n");

  assert_line (lyrics, 0, 1500, -1, "a b");
  assert_word (lyrics, 0, 1, 2000, "b");
}

static void
test_enhanced_lrc (void)
{
  g_autoptr (NemoLyrics) lyrics = parse_ok (
      "[00:01.00]<00:01.00>Hello <00:01.50>bright <00:02.25>world<00:03.00>\n"
      "[00:04.00]Lead in <00:04.80>then<00:05.00>\n"
      "[00:06.00]<00:06.00>我 <00:06.40>爱<00:06.90>你\n");

  g_assert_cmpuint (lyrics->lines->len, ==, 3);
  /* the time after the last word ends the line */
  assert_line (lyrics, 0, 1000, 3000, "Hello bright world");
  g_assert_cmpuint (line_at (lyrics, 0)->words->len, ==, 3);
  assert_word (lyrics, 0, 0, 1000, "Hello ");
  assert_word (lyrics, 0, 1, 1500, "bright ");
  assert_word (lyrics, 0, 2, 2250, "world");
  /* words before the first time are sung from the line's start */
  assert_line (lyrics, 1, 4000, 5000, "Lead in then");
  assert_word (lyrics, 1, 0, 4000, "Lead in ");
  assert_word (lyrics, 1, 1, 4800, "then");
  assert_line (lyrics, 2, 6000, -1, "我 爱你");
  assert_word (lyrics, 2, 2, 6900, "你");
}

static void
test_srt (void)
{
  g_autoptr (NemoLyrics) lyrics = parse_ok ("\xef\xbb\xbf"
      "1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>One</i> &amp; <font "
      "color=\"red\">two</font>\r\n\r\n"
      "2\r\n00:00:03.000 --> 00:01:04,007\r\nThree\r\nfour\r\n\r\n\r\n"
      "3\r\n01:00:00,000 --> 01:00:01,000\r\nI <3 you & me\r\n");

  g_assert_cmpint (lyrics->format, ==, NEMO_LYRICS_SRT);
  g_assert_cmpuint (lyrics->lines->len, ==, 3);
  assert_line (lyrics, 0, 1000, 2500, "One & two");
  assert_line (lyrics, 1, 3000, 64007, "Three\nfour");
  /* a < or & that is not markup is text */
  assert_line (lyrics, 2, 3600000, 3601000, "I <3 you & me");
}

static void
test_webvtt (void)
{
  g_autoptr (NemoLyrics) lyrics = parse_ok ("WEBVTT - the words\n"
      "Kind: captions\n\n"
      "NOTE written by hand\nover two lines\n\n"
      "STYLE\n::cue { color: yellow }\n\n"
      "intro\n00:01.000 --> 00:03.000 align:center line:80%\n"
      "<v Ann>Hi <00:01.600>there, <00:02.200><c.loud>you</c></v>\n\n"
      "00:00:04.000 --> 00:00:05.000\n&lt;3 &#x6B4C;&#35789;&nbsp;!\n");

  g_assert_cmpint (lyrics->format, ==, NEMO_LYRICS_WEBVTT);
  g_assert_cmpuint (lyrics->lines->len, ==, 2);
  assert_line (lyrics, 0, 1000, 3000, "Hi there, you");
  assert_word (lyrics, 0, 0, 1000, "Hi ");
  assert_word (lyrics, 0, 1, 1600, "there, ");
  assert_word (lyrics, 0, 2, 2200, "you");
  assert_line (lyrics, 1, 4000, 5000, "<3 歌词\xc2\xa0!");
}

/* Malformed input: each error names the file and the line. */
static void
test_errors (void)
{
  static const struct
  {
    const gchar *text;
    const gchar *expected;      /* in the message */
  } cases[] = {
    {"[00:01.00]ok\n[00:1x.00]bad\n", "song.txt line 2 (“[00:1x.00]bad”)"},
    {"[00:01.00]ok\nno time here\n", "song.txt line 2 (“no time here”): "
          "an LRC line starts with its time"},
    {"[00:01.00]ok\n[00:02.00 unclosed\n", "line 2 (“[00:02.00 unclosed”): "
          "a [ has no closing ]"},
    {"[00:61.00]sixty-one seconds\n", "line 1"},
    {"1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\nnot a time\n",
        "song.txt line 6 (“not a time”): SubRip expects"},
    {"1\n00:00:01,000 --> 00:00:0x,000\nbad\n", "line 2"},
    {"1\n00:00:05,000 --> 00:00:02,000\nbackwards\n",
        "line 2 (“00:00:05,000 --> 00:00:02,000”): the cue ends before it "
          "starts"},
    {"WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\njust text\nmore\n",
        "song.txt line 7 (“more”): a WebVTT cue"},
    {"[00:01.00]ok\n[00:02.00]\xff\xfe\n", "song.txt line 2 is not UTF-8"},
    {"hello\nworld\n", "song.txt is not LRC, SubRip or WebVTT"},
    {"", "is not LRC"},
    {"[ti:Only tags]\n[ar:Nobody]\n", "has no timed line with words"},
    {"WEBVTT\n", "has no timed line with words"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GError *error = NULL;
    NemoLyrics *lyrics = nemo_lyrics_parse (cases[i].text, -1, "song.txt",
        &error);

    g_test_message ("case %u: %s", i, error ? error->message : "(none)");
    g_assert_null (lyrics);
    g_assert_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, cases[i].expected));
    g_error_free (error);
  }
}

/* Bytes with NULs in them, and text cut anywhere, never crash. */
static void
test_cut_anywhere (void)
{
  static const gchar text[] = "WEBVTT\n\n00:01.000 --> 00:02.000\n"
      "<b>a <00:01.500>b</b> &amp;\n";
  gsize n;

  for (n = 0; n <= sizeof (text); n++) {
    GError *error = NULL;
    NemoLyrics *lyrics = nemo_lyrics_parse (text, n, "cut", &error);

    g_assert_true ((lyrics == NULL) != (error == NULL));
    g_clear_error (&error);
    nemo_lyrics_free (lyrics);
  }
}

static const NemoSegment *
segment_at (const NemoTrack * track, guint i)
{
  g_assert_cmpuint (i, <, track->segments->len);
  return g_ptr_array_index (track->segments, i);
}

/* The draft's lyric segments: in-point, draft end, line ends, words, and
 * their round trip through the JSON. */
static void
test_to_draft (void)
{
  g_autoptr (NemoLyrics) lyrics = parse_ok ("[00:01.00]Gone before\n"
      "[00:09.00]<00:09.00>Across <00:11.00>the start<00:12.00>\n"
      "[00:13.00]Next\n[00:16.00]\n[00:20.00]Last\n[00:45.00]After the end\n");
  g_autoptr (NemoDraft) draft = nemo_draft_new ();
  g_autoptr (NemoDraft) again = NULL;
  g_autofree gchar *json = NULL;
  GError *error = NULL;
  const NemoTrack *track;
  const NemoSegment *seg;
  const NemoWord *word;

  draft->duration_ms = 30000;
  /* the draft starts 10 s into the song */
  track = nemo_lyrics_add_to_draft (lyrics, draft, 10000);
  g_assert_nonnull (track);
  g_assert_cmpint (track->type, ==, NEMO_TRACK_TEXT);
  g_assert_true (nemo_draft_has_lyrics (draft));
  g_assert_cmpuint (track->segments->len, ==, 3);
  seg = segment_at (track, 0);
  g_assert_cmpstr (seg->kind, ==, NEMO_SEGMENT_LYRIC);
  g_assert_cmpint (seg->start_ms, ==, 0);
  g_assert_cmpint (seg->duration_ms, ==, 2000);
  g_assert_cmpstr (seg->text, ==, "Across the start");
  word = g_ptr_array_index (seg->words, 1);
  g_assert_cmpint (word->start_ms, ==, 1000);
  g_assert_cmpstr (word->text, ==, "the start");
  /* "Next" ends where the empty line is; "Last" runs to the draft's end */
  seg = segment_at (track, 1);
  g_assert_cmpint (seg->start_ms, ==, 3000);
  g_assert_cmpint (seg->duration_ms, ==, 3000);
  seg = segment_at (track, 2);
  g_assert_cmpint (seg->start_ms, ==, 10000);
  g_assert_cmpint (seg->duration_ms, ==, -1);

  json = nemo_draft_to_string (draft, FALSE);
  g_assert_nonnull (strstr (json, "\"wd\":[{\"st\":0,\"tx\":\"Across \"},"
          "{\"st\":1000,\"tx\":\"the start\"}]"));
  again = nemo_draft_parse (json, -1, &error);
  g_assert_no_error (error);
  seg = segment_at (g_ptr_array_index (again->tracks, 0), 0);
  g_assert_cmpuint (seg->words->len, ==, 2);
  g_assert_cmpint (((NemoWord *) g_ptr_array_index (seg->words, 1))->start_ms,
      ==, 1000);
  g_free (json);
  json = nemo_draft_to_string (again, FALSE);
  g_assert_nonnull (strstr (json, "{\"st\":1000,\"tx\":\"the start\"}"));
}

static void
test_draft_word_errors (void)
{
  GError *error = NULL;
  NemoDraft *draft = nemo_draft_parse ("{\"t\":[{\"tt\":7,\"sg\":[{\"k\":"
      "\"lyric\",\"tx\":\"a\",\"wd\":[{\"st\":\"soon\",\"tx\":\"a\"}]}]}]}",
      -1, &error);

  g_assert_null (draft);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_DRAFT);
  g_assert_cmpstr (error->message, ==,
      "draft: t[0].sg[0].wd[0].st must be a number (got string)");
  g_clear_error (&error);
}

static void
test_load (void)
{
  g_autofree gchar *path = g_build_filename (g_get_tmp_dir (),
      "nemo-test-lyrics.lrc", NULL);
  g_autofree gchar *uri = g_filename_to_uri (path, NULL, NULL);
  g_autoptr (NemoLyrics) lyrics = NULL;
  GError *error = NULL;

  g_assert_true (g_file_set_contents (path, "[00:01.00]Hi\n", -1, NULL));
  lyrics = nemo_lyrics_load (uri, &error);
  g_assert_no_error (error);
  assert_line (lyrics, 0, 1000, -1, "Hi");
  g_unlink (path);
  g_assert_null (nemo_lyrics_load (path, &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "Set lyrics-uri"));
  g_clear_error (&error);
}

/* What the lyrics pad writes, read back: plain text with its < and &, Pango
 * markup without its tags, rows without blank ones, no end. */
static void
test_srt_cues (void)
{
  g_autoptr (GString) srt = g_string_new (NULL);
  g_autoptr (NemoLyrics) lyrics = NULL;
  GError *error = NULL;

  g_assert_true (nemo_lyrics_append_srt_cue (srt, 1, 1500, 2750,
          "I <3 you & me", -1, FALSE));
  g_assert_true (nemo_lyrics_append_srt_cue (srt, 2, 3000, -1,
          "<i>two</i> &amp; rows\n\n\nof it", -1, TRUE));
  g_assert_false (nemo_lyrics_append_srt_cue (srt, 3, 4000, 5000, " \n ", -1,
          FALSE));
  g_assert_true (nemo_lyrics_append_srt_cue (srt, 3, 3723004, 3724000,
          "bad \xff byte", -1, FALSE));
  g_assert_cmpstr (srt->str, ==, "1\n00:00:01,500 --> 00:00:02,750\n"
      "I &lt;3 you &amp; me\n\n"
      "2\n00:00:03,000 --> 99:59:59,999\n<i>two</i> &amp; rows\nof it\n\n"
      "3\n01:02:03,004 --> 01:02:04,000\nbad \xef\xbf\xbd byte\n\n");
  lyrics = nemo_lyrics_parse (srt->str, srt->len, "pad", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lyrics->lines->len, ==, 3);
  assert_line (lyrics, 0, 1500, 2750, "I <3 you & me");
  assert_line (lyrics, 1, 3000, 359999999, "two & rows\nof it");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lyrics/lrc", test_lrc);
  g_test_add_func ("/lyrics/lrc-offset", test_lrc_offset);
  g_test_add_func ("/lyrics/enhanced-lrc", test_enhanced_lrc);
  g_test_add_func ("/lyrics/srt", test_srt);
  g_test_add_func ("/lyrics/webvtt", test_webvtt);
  g_test_add_func ("/lyrics/errors", test_errors);
  g_test_add_func ("/lyrics/cut-anywhere", test_cut_anywhere);
  g_test_add_func ("/lyrics/to-draft", test_to_draft);
  g_test_add_func ("/lyrics/draft-word-errors", test_draft_word_errors);
  g_test_add_func ("/lyrics/load", test_load);
  g_test_add_func ("/lyrics/srt-cues", test_srt_cues);

  return g_test_run ();
}
