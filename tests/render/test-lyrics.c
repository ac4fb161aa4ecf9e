/* Lyrics on screen, checked from outside: drafts with lyric lines rendered
 * to MP4, every frame decoded with FFmpeg, and the lyric pixels found by
 * their colour (white text, the karaoke's amber, the next line's grey) on
 * the plain dark frame of a draft without a picture.  Line N is on screen
 * from the first frame at or after its time and not before; the amber
 * highlight grows as each word's time comes; everything stays inside the
 * safe area; and frames where the lyrics do not change are the same bytes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/render.h>
#include <nemo/lyrics.h>
#include <nemo/error.h>
#include <glib/gstdio.h>
#include <string.h>

#include "test-util.h"
#include "../../src/render/render-private.h"

#define WIDTH 640
#define HEIGHT 360
#define FPS 30

/* What one decoded frame shows of the lyrics. */
typedef struct
{
  gint64 white, amber, grey;    /* pixels of each colour */
  gint white_left, white_right, white_top, white_bottom;
  gint amber_left, amber_right, amber_top, amber_bottom;
  gint64 grey_y;                /* the sum of their rows: their centre */
  gint outside_safe;            /* text pixels outside the safe area */
  gint amber_row_runs;          /* runs of rows with amber: rows of text */
} Seen;

typedef struct
{
  GArray *frames;               /* Seen */
  cairo_rectangle_int_t safe;
} Watch;

static void
grow (gint * low, gint * high, gint value)
{
  *low = MIN (*low, value);
  *high = MAX (*high, value);
}

static void
look_at_frame (const AVFrame * frame, gpointer user_data)
{
  Watch *watch = user_data;
  Seen seen = { 0 };
  gboolean last_row_amber = FALSE;
  gint x, y;

  g_assert_cmpint (frame->format, ==, AV_PIX_FMT_YUV420P);
  seen.white_left = seen.amber_left = seen.white_top = seen.amber_top =
      G_MAXINT;
  seen.white_right = seen.amber_right = seen.white_bottom =
      seen.amber_bottom = -1;
  for (y = 0; y < frame->height; y++) {
    gboolean row_amber = FALSE;

    for (x = 0; x < frame->width; x++) {
      gint luma = frame->data[0][y * frame->linesize[0] + x];
      gint cb = frame->data[1][y / 2 * frame->linesize[1] + x / 2] - 128;
      gint cr = frame->data[2][y / 2 * frame->linesize[2] + x / 2] - 128;
      gboolean neutral = ABS (cb) < 10 && ABS (cr) < 10;
      gboolean text = FALSE;

      if (luma > 200 && neutral) {
        seen.white++;
        grow (&seen.white_left, &seen.white_right, x);
        grow (&seen.white_top, &seen.white_bottom, y);
        text = TRUE;
      } else if (luma > 130 && cb < -40 && cr > 5) {
        seen.amber++;
        grow (&seen.amber_left, &seen.amber_right, x);
        grow (&seen.amber_top, &seen.amber_bottom, y);
        row_amber = text = TRUE;
      } else if (luma > 90 && luma < 160 && neutral) {
        seen.grey++;
        seen.grey_y += y;
        text = TRUE;
      }
      if (text && (x < watch->safe.x || y < watch->safe.y
              || x >= watch->safe.x + watch->safe.width
              || y >= watch->safe.y + watch->safe.height))
        seen.outside_safe++;
    }
    seen.amber_row_runs += row_amber && !last_row_amber;
    last_row_amber = row_amber;
  }
  g_array_append_val (watch->frames, seen);
}

/* @lrc as the lyrics of a 5 s draft without a picture, rendered at
 * @width x @height inside @safe_area, every frame looked at. */
static GArray *
render_lyrics (const gchar * lrc, const gchar * style, gint width,
    gint height, const NemoSafeArea * safe_area, gint64 duration_ms)
{
  g_autoptr (NemoDraft) draft = nemo_draft_new ();
  g_autoptr (NemoLyrics) lyrics = NULL;
  g_autofree gchar *song = data_path ("tone.wav");
  g_autofree gchar *dir = make_dir ();
  g_autofree gchar *path = g_build_filename (dir, "lyrics.mp4", NULL);
  NemoTrack *audio = nemo_draft_add_track (draft, NEMO_TRACK_AUDIO);
  NemoSegment *music = nemo_track_add_segment (audio, NEMO_SEGMENT_MUSIC);
  NemoRenderOptions options;
  Watch watch = { g_array_new (FALSE, FALSE, sizeof (Seen)) };
  GError *error = NULL;

  music->source = g_strdup (song);
  draft->duration_ms = duration_ms;
  lyrics = nemo_lyrics_parse (lrc, -1, "test.lrc", &error);
  g_assert_no_error (error);
  g_assert_nonnull (nemo_lyrics_add_to_draft (lyrics, draft, 0));
  if (style)
    nemo_draft_set_meta_string (draft, "lyrics_style", style);

  nemo_render_options_init (&options);
  options.width = width;
  options.height = height;
  options.fps_n = FPS;
  options.max_duration_us = duration_ms * 1000;
  if (safe_area)
    options.safe_area = *safe_area;
  g_assert_true (nemo_render_draft (draft, &options, path, &error));
  g_assert_no_error (error);

  watch.safe = (cairo_rectangle_int_t) {
  0, 0, width, height};
  if (safe_area) {
    watch.safe.x = (gint) (width * safe_area->left);
    watch.safe.y = (gint) (height * safe_area->top);
    watch.safe.width = (gint) (width * (1 - safe_area->right)) - watch.safe.x;
    watch.safe.height = (gint) (height * (1 - safe_area->bottom))
        - watch.safe.y;
  }
  decode_stream (path, AVMEDIA_TYPE_VIDEO, look_at_frame, &watch);
  g_assert_cmpuint (watch.frames->len, ==, duration_ms * FPS / 1000);
  g_unlink (path);
  remove_dir (g_steal_pointer (&dir));
  return watch.frames;
}

static const Seen *
seen_at (GArray * frames, guint index)
{
  g_assert_cmpuint (index, <, frames->len);
  return &g_array_index (frames, Seen, index);
}

/* Text drawn small antialiases: a few pixels of a colour are noise. */
#define SOME 40

static void
assert_blank (GArray * frames, guint index)
{
  const Seen *seen = seen_at (frames, index);

  g_test_message ("frame %u: white %" G_GINT64_FORMAT ", amber %"
      G_GINT64_FORMAT ", grey %" G_GINT64_FORMAT, index, seen->white,
      seen->amber, seen->grey);
  g_assert_cmpint (seen->white + seen->amber + seen->grey, <, SOME);
}

/* Karaoke: enhanced LRC's word times light the words one by one. */
static void
test_karaoke_words (void)
{
  g_autoptr (GArray) frames = render_lyrics (
      "[00:01.00]<00:01.00>one <00:01.50>two <00:02.00>three<00:02.60>\n"
      "[00:03.00]<00:03.00>And a much <00:03.55>wider line<00:04.50>\n",
      NULL, WIDTH, HEIGHT, NULL, 5000);
  const Seen *one, *two, *three, *line2;
  guint i;

  /* nothing before the first line's time (frame 30 is 1.000 s) */
  for (i = 0; i < 30; i++)
    assert_blank (frames, i);
  one = seen_at (frames, 30);
  g_assert_cmpint (one->amber, >, SOME);
  /* the next line waits under it, in grey */
  g_assert_cmpint (one->grey, >, SOME);
  g_assert_cmpint (one->grey_y / one->grey, >, one->amber_bottom);

  /* "one" alone is lit until 1.5 s (frame 45), then "two" too, then
   * "three" at 2.0 s (frame 60): the highlight grows to the right */
  for (i = 31; i < 45; i++) {
    g_assert_cmpint (ABS (seen_at (frames, i)->amber_right
            - one->amber_right), <=, 1);
    g_assert_cmpint (ABS (seen_at (frames, i)->amber_left
            - one->amber_left), <=, 1);
  }
  two = seen_at (frames, 45);
  g_assert_cmpint (two->amber_right, >, one->amber_right + 20);
  g_assert_cmpint (ABS (two->amber_left - one->amber_left), <=, 1);
  g_assert_cmpint (seen_at (frames, 59)->amber_right, <=,
      two->amber_right + 1);
  three = seen_at (frames, 60);
  g_assert_cmpint (three->amber_right, >, two->amber_right + 20);
  /* the words not sung yet are white */
  g_assert_cmpint (one->white_right, >, one->amber_right);
  g_assert_cmpint (three->white, <, SOME);

  /* the line ends at 2.6 s (frame 78): nothing until the next at 3.0 s */
  g_assert_cmpint (seen_at (frames, 77)->amber, >, SOME);
  for (i = 78; i < 90; i++)
    assert_blank (frames, i);
  line2 = seen_at (frames, 90);
  /* its first words lit, wider than the first line's first word */
  g_assert_cmpint (line2->amber, >, SOME);
  g_assert_cmpint (line2->amber_right - line2->amber_left, >,
      one->amber_right - one->amber_left + 40);
  /* "wider line" lit from 3.55 s: frame 107 (3.567 s), not 106 */
  g_assert_cmpint (seen_at (frames, 106)->amber_right, <=,
      line2->amber_right + 1);
  g_assert_cmpint (seen_at (frames, 107)->amber_right, >,
      line2->amber_right + 20);
  /* the last line has no next one: only the edges of its letters are
   * grey */
  g_test_message ("grey with a next line %" G_GINT64_FORMAT ", without %"
      G_GINT64_FORMAT, one->grey, line2->grey);
  g_assert_cmpint (line2->grey * 3, <, one->grey);
  for (i = 135; i < frames->len; i++)
    assert_blank (frames, i);
}

/* A lyric video: without word times the current line is white, the next
 * grey under it; each line from its time, not before. */
static void
test_lines (void)
{
  g_autoptr (GArray) frames = render_lyrics ("[00:01.00]Short\n"
      "[00:02.51]A much longer second line\n[00:04.00]\n", "lines", WIDTH,
      HEIGHT, NULL, 5000);
  const Seen *first, *second;
  guint i;

  for (i = 0; i < 30; i++)
    assert_blank (frames, i);
  first = seen_at (frames, 30);
  g_assert_cmpint (first->white, >, SOME);
  g_assert_cmpint (first->amber, <, SOME);
  g_assert_cmpint (first->grey, >, SOME);
  g_assert_cmpint (first->grey_y / first->grey, >, first->white_bottom);
  /* 2.51 s falls between frames 75 (2.500 s) and 76 (2.533 s) */
  for (i = 31; i <= 75; i++)
    g_assert_cmpint (ABS (seen_at (frames, i)->white_right
            - first->white_right), <=, 1);
  second = seen_at (frames, 76);
  g_assert_cmpint (second->white_right - second->white_left, >,
      first->white_right - first->white_left + 100);
  /* the lines are centred */
  g_assert_cmpint (ABS (second->white_left + second->white_right - WIDTH),
      <, 8);
  g_assert_cmpint (ABS (first->white_left + first->white_right - WIDTH), <,
      8);
  /* the empty line at 4.0 s ends it */
  g_assert_cmpint (seen_at (frames, 119)->white, >, SOME);
  for (i = 120; i < frames->len; i++)
    assert_blank (frames, i);
}

/* A long line in a tall frame with a platform's safe area: it wraps onto
 * more rows, and no text leaves the safe area. */
static void
test_wrap_in_safe_area (void)
{
  const NemoSafeArea safe = { 0.1, 0.25, 0.05, 0.15 };
  g_autoptr (GArray) frames = render_lyrics ("[00:00.20]<00:00.20>A line "
      "far too long for one row of a vertical frame, <00:00.60>so it wraps"
      "<00:01.80>\n", "karaoke", 360, 640, &safe, 2000);
  guint i;

  for (i = 0; i < frames->len; i++)
    g_assert_cmpint (seen_at (frames, i)->outside_safe, ==, 0);
  /* every word lit: rows of amber text, at most three */
  g_assert_cmpint (seen_at (frames, 30)->amber_row_runs, >=, 2);
  g_assert_cmpint (seen_at (frames, 30)->amber_row_runs, <=, 3);
  /* at the bottom of the safe area: below the middle of the frame */
  g_assert_cmpint (seen_at (frames, 30)->amber_top, >, 320);
}

/* The frames the encoder gets: the same bytes while the lyrics do not
 * change, another picture when a word's time comes. */
static void
test_unchanged_frames (void)
{
  g_autoptr (NemoDraft) draft = nemo_draft_new ();
  g_autoptr (NemoLyrics) lyrics = nemo_lyrics_parse ("[00:00.50]<00:00.50>"
      "la <00:01.00>la\n", -1, "test.lrc", NULL);
  const NemoSafeArea whole = { 0 };
  g_autoptr (NemoOverlay) overlay = NULL;
  AVFrame *picture, *previous = av_frame_alloc ();
  GError *error = NULL;
  gint changes = 0;
  gint64 i;

  draft->duration_ms = 2000;
  nemo_lyrics_add_to_draft (lyrics, draft, 0);
  overlay = nemo_overlay_new (draft, WIDTH, HEIGHT, FPS, 1, &whole);
  g_assert_nonnull (overlay);
  /* lyrics never leave a run of still frames */
  g_assert_cmpint (nemo_overlay_static_until (overlay, 0), ==, 0);
  nemo_overlay_set_duration (overlay, 2 * G_USEC_PER_SEC);
  picture = nemo_layout_plain_frame (WIDTH, HEIGHT, 0x101418, &error);
  g_assert_no_error (error);
  for (i = 0; i < 60; i++) {
    AVFrame *frame = nemo_overlay_draw (overlay, picture, i, &error);

    g_assert_no_error (error);
    if (i > 0 && !frames_equal (frame, previous)) {
      changes++;
      /* only where a line or word starts: 0.5 s and 1.0 s */
      g_assert_true (i == 15 || i == 30);
    }
    av_frame_unref (previous);
    g_assert_cmpint (av_frame_ref (previous, frame), ==, 0);
    g_assert_cmpint (av_frame_make_writable (previous), ==, 0);
  }
  g_assert_cmpint (changes, ==, 2);
  av_frame_free (&previous);
  av_frame_free (&picture);
}

/* When the drawing next changes: each line's start and end, each word's
 * start, an earlier line shown again when a later one over it ends. */
static void
test_next_change (void)
{
  g_autoptr (NemoDraft) draft = nemo_draft_new ();
  g_autoptr (NemoLyrics) lyrics = nemo_lyrics_parse ("WEBVTT\n\n"
      "00:01.000 --> 00:06.000\nlong <00:02.000>one\n\n"
      "00:03.000 --> 00:04.000\nover it\n", -1, "test.vtt", NULL);
  const cairo_rectangle_int_t safe = { 0, 0, WIDTH, HEIGHT };
  g_autoptr (NemoLyricsView) view = NULL;
  static const gint64 expected[][2] = {
    {0, 1000000}, {1000000, 2000000}, {1500000, 2000000},
    {2000000, 3000000}, {3000000, 4000000}, {4000000, 6000000},
    {6000000, G_MAXINT64},
  };
  guint i;

  draft->duration_ms = 8000;
  nemo_lyrics_add_to_draft (lyrics, draft, 0);
  view = nemo_lyrics_view_new (draft, WIDTH, HEIGHT, &safe);
  g_assert_nonnull (view);
  for (i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpint (nemo_lyrics_view_next_change (view, expected[i][0]), ==,
        expected[i][1]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lyrics/karaoke-words", test_karaoke_words);
  g_test_add_func ("/lyrics/lines", test_lines);
  g_test_add_func ("/lyrics/wrap-in-safe-area", test_wrap_in_safe_area);
  g_test_add_func ("/lyrics/unchanged-frames", test_unchanged_frames);
  g_test_add_func ("/lyrics/next-change", test_next_change);

  return g_test_run ();
}
