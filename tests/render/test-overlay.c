/* Tests for the drawn overlays: visualizers and track-info titles, checked
 * from the outside in the decoded output, as a viewer would see them:
 * the visualizer moves while music plays and not in silence, the cover's
 * centre stays visible, the title reads as the same text drawn with Pango
 * onto the same background (docs/visuals.md's look), in every script, a
 * long title keeps its artist on a second line without a glyph clipped,
 * a fade from and to black darkens the pictures and the layers, and every
 * shape keeps its size and its overlays inside the frame.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/render.h>
#include <nemo/media.h>
#include <nemo/intent.h>
#include <nemo/job.h>
#include <glib/gstdio.h>
#include <pango/pangocairo.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output-check.h"
#include "test-util.h"
#include "../../src/render/render-private.h"

#define FPS 30
/* The generated song: silence, then music. */
#define SILENCE_S 2
#define MUSIC_S 4

/* ---- fixtures ---- */

typedef struct
{
  gchar *dir;
  gchar *output;
  gchar *song;                  /* the generated song, or NULL */
} Temp;

static void
temp_init (Temp * temp)
{
  GError *error = NULL;

  temp->dir = g_dir_make_tmp ("nemo-overlay-XXXXXX", &error);
  g_assert_no_error (error);
  temp->output = g_build_filename (temp->dir, "out.mp4", NULL);
  temp->song = NULL;
}

static void
temp_clear (Temp * temp)
{
  g_unlink (temp->output);
  if (temp->song)
    g_unlink (temp->song);
  g_rmdir (temp->dir);
  g_free (temp->output);
  g_free (temp->song);
  g_free (temp->dir);
}

/* SILENCE_S of silence then MUSIC_S of music that changes every eighth of
 * a second (an arpeggio over a bass line, a kick on every beat), written
 * as a WAV through the media layer's spool.  Returns its sample count. */
static gint64
make_song (Temp * temp)
{
  const gint rate = NEMO_AUDIO_RATE;
  const gdouble notes[] = { 0, 3, 7, 10, 12, 7, 5, 3 };
  gint64 n = (gint64) (SILENCE_S + MUSIC_S) * rate, i;
  g_autofree gfloat *pcm = g_new0 (gfloat, 2 * n);
  g_autofree gchar *base = g_build_filename (temp->dir, "song", NULL);
  g_autoptr (NemoSpool) spool = NULL;
  GError *error = NULL;

  for (i = (gint64) SILENCE_S * rate; i < n; i++) {
    gdouble t = (gdouble) i / rate;
    gdouble step = fmod (t, 0.125), beat = fmod (t, 0.5);
    gdouble note = notes[(gint) (t * 8) % G_N_ELEMENTS (notes)];
    gdouble arp = 0.25 * sin (2 * G_PI * 440 * pow (2, note / 12) * t)
        * exp (-10 * step);
    gdouble bass = 0.3 * sin (2 * G_PI * 110 * t) * exp (-3 * beat);
    gdouble kick = 0.4 * sin (2 * G_PI * (50 + 100 * exp (-30 * beat)) * t)
        * exp (-14 * beat);

    pcm[2 * i] = (gfloat) (arp + bass + kick);
    pcm[2 * i + 1] = (gfloat) (0.8 * arp + bass + kick);
  }
  spool = nemo_spool_new_raw_audio (base, NEMO_SAMPLE_F32, rate, 2, &error);
  g_assert_no_error (error);
  g_assert_true (nemo_spool_write (spool, (const guint8 *) pcm,
          2 * n * sizeof (gfloat), 0, &error));
  g_assert_true (nemo_spool_finish (spool, &error));
  g_assert_no_error (error);
  temp->song = g_strdup (nemo_spool_get_path (spool));
  return n;
}

/* The cover (orange centre) over the whole song, a visualizer of @scope
 * (or none) and a title @text (or none) with @style (JSON, or NULL). */
static NemoDraft *
make_draft (const gchar * song, const gchar * scope, const gchar * text,
    const gchar * style)
{
  NemoDraft *draft = nemo_draft_new ();
  g_autofree gchar *cover = data_path ("cover.png");
  NemoSegment *segment;

  segment = nemo_track_add_segment (nemo_draft_add_track (draft,
          NEMO_TRACK_VIDEO), NEMO_SEGMENT_STILL);
  segment->source = g_strdup (cover);
  segment->loop = TRUE;
  if (scope)
    nemo_track_add_segment (nemo_draft_add_track (draft, NEMO_TRACK_VIDEO),
        scope);
  segment = nemo_track_add_segment (nemo_draft_add_track (draft,
          NEMO_TRACK_AUDIO), NEMO_SEGMENT_MUSIC);
  segment->source = g_strdup (song);
  if (text) {
    segment = nemo_track_add_segment (nemo_draft_add_track (draft,
            NEMO_TRACK_TEXT), NEMO_SEGMENT_TITLE);
    segment->text = g_strdup (text);
    if (style) {
      JsonNode *node = json_from_string (style, NULL);
      segment->style = json_object_ref (json_node_get_object (node));
      json_node_unref (node);
    }
  }
  return draft;
}

static void
render_ok (const NemoDraft * draft, gint width, gint height,
    const gchar * path)
{
  NemoRenderOptions options;
  GError *error = NULL;

  nemo_render_options_init (&options);
  options.width = width;
  options.height = height;
  options.fps_n = FPS;
  g_assert_true (nemo_render_draft (draft, &options, path, &error));
  g_assert_no_error (error);
}

/* ---- what a viewer sees ---- */

/* The largest mean absolute difference of a 16x16 block between two
 * snapshots, over rows @y0..@y1. */
static gdouble
max_block_change (const AVFrame * a, const AVFrame * b, gint y0, gint y1)
{
  gdouble worst = 0;
  gint bx, by, x, y;

  for (by = y0; by + 16 <= y1; by += 16)
    for (bx = 0; bx + 16 <= a->width; bx += 16) {
      gdouble sum = 0;

      for (y = by; y < by + 16; y++)
        for (x = bx * 3; x < (bx + 16) * 3; x++)
          sum += abs (a->data[0][y * a->linesize[0] + x] -
              b->data[0][y * b->linesize[0] + x]);
      worst = MAX (worst, sum / (16 * 16 * 3));
    }
  return worst;
}

static void
assert_cover_centre (const AVFrame * rgb)
{
  assert_rgb_near (rgb_pixel (rgb, rgb->width / 2, rgb->height / 2), 255,
      128, 0, 20);
}

/* Pixels of @rgb brighter than @luma in the rectangle, or outside it when
 * @outside. */
static gint
count_bright (const AVFrame * rgb, gint x0, gint y0, gint x1, gint y1,
    gdouble luma, gboolean outside)
{
  gint x, y, n = 0;

  for (y = 0; y < rgb->height; y++)
    for (x = 0; x < rgb->width; x++) {
      gboolean in = x >= x0 && x < x1 && y >= y0 && y < y1;

      if (in != outside && rgb_luma (rgb_pixel (rgb, x, y)) > luma)
        n++;
    }
  return n;
}

/* ---- the reference title: docs/visuals.md's look, drawn here ---- */

typedef struct
{
  gint x, y, width, height;     /* the panel */
  gint unknown_glyphs;
} Panel;

/* docs/visuals.md's look worked out by hand for the 640x360 frames the
 * title tests render (a short side of 360 px): "Sans Bold" at 4.5 % of it
 * is 16 px; margins of 5 % are 18 px; the padding is 0.75 x 16 = 12 px
 * across and 0.45 x 16 = 7 px down, the corners 0.4 x 16 = 6.4 px, the
 * shadow 6 % of 16 = 1 px down at 55 % opacity, the panel black at 45 %. */
#define REF_WIDTH 640
#define REF_HEIGHT 360
#define REF_FONT_PX 16
#define REF_MARGIN 18
#define REF_PAD_X 12
#define REF_PAD_Y 7
#define REF_RADIUS 6.4
#define REF_SHADOW 1
#define REF_SHADOW_ALPHA 0.55
#define REF_PANEL_ALPHA 0.45

static PangoLayout *
reference_layout (cairo_t * cr, const gchar * text)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoContext *context = pango_layout_get_context (layout);
  cairo_font_options_t *options = cairo_font_options_create ();
  PangoFontDescription *font = pango_font_description_from_string
      ("Sans Bold");

  cairo_font_options_set_antialias (options, CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  pango_cairo_context_set_font_options (context, options);
  cairo_font_options_destroy (options);
  pango_font_description_set_absolute_size (font, REF_FONT_PX * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  pango_layout_set_single_paragraph_mode (layout, TRUE);
  pango_layout_set_width (layout, (REF_WIDTH - 2 * REF_MARGIN - 2 * REF_PAD_X)
      * PANGO_SCALE);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_text (layout, text, -1);
  pango_layout_context_changed (layout);
  return layout;
}

/* Draw @text's panel at the top-left margin of @background (a 640x360
 * RGB24 snapshot), as documented; returns the panel's rectangle. */
static AVFrame *
draw_reference (const AVFrame * background, const gchar * text,
    Panel * panel)
{
  gint w = background->width, h = background->height;
  gdouble r = REF_RADIUS;
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24,
      w, h);
  guint8 *pixels = cairo_image_surface_get_data (surface);
  gint stride = cairo_image_surface_get_stride (surface);
  cairo_t *cr = cairo_create (surface);
  PangoLayout *layout = reference_layout (cr, text);
  PangoRectangle logical;
  AVFrame *out = av_frame_clone (background);
  gint x, y;

  g_assert_cmpint (w, ==, REF_WIDTH);
  g_assert_cmpint (h, ==, REF_HEIGHT);
  g_assert_cmpint (av_frame_make_writable (out), ==, 0);
  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++) {
      const guint8 *p = rgb_pixel (background, x, y);
      guint8 *q = pixels + y * stride + 4 * x;
      q[0] = p[2];
      q[1] = p[1];
      q[2] = p[0];
    }
  cairo_surface_mark_dirty (surface);

  pango_layout_get_pixel_extents (layout, NULL, &logical);
  panel->x = REF_MARGIN;
  panel->y = REF_MARGIN;
  panel->width = logical.width + 2 * REF_PAD_X;
  panel->height = logical.height + 2 * REF_PAD_Y;
  panel->unknown_glyphs = pango_layout_get_unknown_glyphs_count (layout);

  cairo_translate (cr, panel->x, panel->y);
  cairo_new_sub_path (cr);
  cairo_arc (cr, panel->width - r, r, r, -G_PI / 2, 0);
  cairo_arc (cr, panel->width - r, panel->height - r, r, 0, G_PI / 2);
  cairo_arc (cr, r, panel->height - r, r, G_PI / 2, G_PI);
  cairo_arc (cr, r, r, r, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
  cairo_set_source_rgba (cr, 0, 0, 0, REF_PANEL_ALPHA);
  cairo_fill (cr);
  cairo_move_to (cr, REF_PAD_X - logical.x, REF_PAD_Y - logical.y
      + REF_SHADOW);
  cairo_set_source_rgba (cr, 0, 0, 0, REF_SHADOW_ALPHA);
  pango_cairo_show_layout (cr, layout);
  cairo_move_to (cr, REF_PAD_X - logical.x, REF_PAD_Y - logical.y);
  cairo_set_source_rgb (cr, 1, 1, 1);
  pango_cairo_show_layout (cr, layout);
  cairo_surface_flush (surface);

  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++) {
      const guint8 *q = pixels + y * stride + 4 * x;
      guint8 *p = out->data[0] + y * out->linesize[0] + 3 * x;
      p[0] = q[2];
      p[1] = q[1];
      p[2] = q[0];
    }
  g_object_unref (layout);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  return out;
}

/* PSNR of the panel's rectangle of @a and @b. */
static gdouble
panel_psnr (const AVFrame * a, const AVFrame * b, const Panel * panel)
{
  gdouble sum = 0;
  gint x, y, c;

  for (y = panel->y; y < panel->y + panel->height; y++)
    for (x = panel->x; x < panel->x + panel->width; x++)
      for (c = 0; c < 3; c++) {
        gint d = rgb_pixel (a, x, y)[c] - rgb_pixel (b, x, y)[c];
        sum += d * d;
      }
  sum /= panel->width * panel->height * 3;
  return sum == 0 ? 99 : 10 * log10 (255.0 * 255.0 / sum);
}

/* ---- tests ---- */

/* Frames 1/30 s apart in the silence and in the music. */
static void
check_visualizer (const gchar * scope, gint width, gint height)
{
  g_autoptr (NemoDraft) draft = NULL;
  const gdouble at[] = { 1.0, 1.0 + 1.0 / FPS, 4.0, 4.0 + 1.0 / FPS, -1 };
  Temp temp;
  Output out;
  gint64 samples;
  gdouble silent, playing;

  temp_init (&temp);
  samples = make_song (&temp);
  draft = make_draft (temp.song, scope, NULL, NULL);
  render_ok (draft, width, height, temp.output);
  output_read (temp.output, at, &out);
  output_assert_contract (temp.output, &out, width, height, FPS, samples);

  silent = max_block_change (out.snapshot[0], out.snapshot[1], 0, height);
  playing = max_block_change (out.snapshot[2], out.snapshot[3], 0, height);
  g_test_message ("%s: largest block change %.2f in silence, %.2f in music",
      scope, silent, playing);
  /* still in silence (encoder noise only), moving with the music */
  g_assert_cmpfloat (silent, <, 1.5);
  g_assert_cmpfloat (playing, >, 6);
  /* the silence draws something, and the music something else */
  g_assert_cmpfloat (max_block_change (out.snapshot[0], out.snapshot[2], 0,
          height), >, 6);
  /* never over the cover's centre */
  assert_cover_centre (out.snapshot[2]);
  assert_cover_centre (out.snapshot[3]);
  assert_no_black_edges (out.snapshot[2]);
  /* bars and waveform keep to the bottom band in 16:9 */
  if (g_strcmp0 (scope, NEMO_SEGMENT_CIRCLE) != 0)
    g_assert_cmpfloat (max_block_change (out.snapshot[2], out.snapshot[3], 0,
            height * 3 / 5), <, 1.5);

  output_clear (&out);
  temp_clear (&temp);
}

static void
test_spectrum (void)
{
  check_visualizer (NEMO_SEGMENT_SPECTRUM, 640, 360);
}

static void
test_waveform (void)
{
  check_visualizer (NEMO_SEGMENT_WAVEFORM, 640, 360);
}

static void
test_circle (void)
{
  check_visualizer (NEMO_SEGMENT_CIRCLE, 640, 360);
}

/* The title's panel as drawn with Pango here, onto the frame rendered
 * without it, matches the frame rendered with it. */
static void
check_title (const gchar * text, gboolean colour_emoji)
{
  g_autofree gchar *tone = data_path ("tone.wav");
  g_autoptr (NemoDraft) plain = make_draft (tone, NULL, NULL, NULL);
  g_autoptr (NemoDraft) titled = make_draft (tone, NULL, text, NULL);
  const gdouble at[] = { 4.0, -1 };
  Output without, with;
  AVFrame *reference;
  Panel panel;
  Temp temp;
  gdouble psnr;
  gint x, y, coloured = 0;

  temp_init (&temp);
  render_ok (plain, 640, 360, temp.output);
  output_read (temp.output, at, &without);
  render_ok (titled, 640, 360, temp.output);
  output_read (temp.output, at, &with);
  output_assert_contract (temp.output, &with, 640, 360, FPS,
      input_samples ("tone.wav"));

  reference = draw_reference (without.snapshot[0], text, &panel);
  /* every glyph has a font: no missing-glyph boxes in the reference */
  g_assert_cmpint (panel.unknown_glyphs, ==, 0);
  psnr = panel_psnr (reference, with.snapshot[0], &panel);
  g_test_message ("title “%s”: %dx%d panel, PSNR %.1f dB against the "
      "reference", text, panel.width, panel.height, psnr);
  g_assert_cmpfloat (psnr, >, 30);
  /* and it is text: white pixels in the panel, none anywhere else */
  g_assert_cmpint (count_bright (with.snapshot[0], panel.x, panel.y,
          panel.x + panel.width, panel.y + panel.height, 200, FALSE), >, 100);
  g_assert_cmpint (count_bright (with.snapshot[0], panel.x - 2, panel.y - 2,
          panel.x + panel.width + 2, panel.y + panel.height + 2, 200, TRUE),
      ==, 0);
  assert_cover_centre (with.snapshot[0]);

  /* a colour emoji (green heart) is drawn in colour */
  for (y = panel.y; y < panel.y + panel.height; y++)
    for (x = panel.x; x < panel.x + panel.width; x++) {
      const guint8 *p = rgb_pixel (with.snapshot[0], x, y);
      if (p[1] > 120 && p[1] > p[0] + 50 && p[1] > p[2] + 50)
        coloured++;
    }
  if (colour_emoji)
    g_assert_cmpint (coloured, >, 20);
  else
    g_assert_cmpint (coloured, ==, 0);

  av_frame_free (&reference);
  output_clear (&without);
  output_clear (&with);
  temp_clear (&temp);
}

static void
test_title_latin (void)
{
  check_title ("Test Tone — Nemo Lab", FALSE);
}

static void
test_title_cjk (void)
{
  check_title ("夜に駆ける — 東京의 밤", FALSE);
}

static void
test_title_emoji (void)
{
  check_title ("Sunny Day 💚 — Nemo Lab", TRUE);
}

/* ---- long titles: two lines, shrunk, never clipped ---- */

/* Each too long for one line in any shape; the title alone fits. */
static const gchar *const long_titles[] = {
  "The Dangerous Symphony — Gianluca Rossi & The Night Orchestra of Milano",
  "君の名は。〜 夜明けのメロディー（Acoustic） — RADWIMPS feat. 東京フィルハーモニー交響楽団",
  "أغنية الليل الطويل في مدينة الأحلام البعيدة — فرقة النجوم العربية للموسيقى الحديثة",
  "Sunny Day Forever and Ever 💚🌞 — The Very Long Band Name 🎸 feat. Someone Else",
};

static const gint shapes[][2] = {
  {1920, 1080}, {1080, 1920}, {1080, 1080}, {1080, 1350}
};

/* Where @text's panel for a @width x @height frame has ink, drawn alone
 * on black: the bounding box of every pixel lighter than black, and the
 * inked pixels of each row. */
typedef struct
{
  gint width, height;           /* the panel */
  gint x0, y0, x1, y1;          /* the ink, x1/y1 past it */
  gint *row;                    /* inked pixels, per row */
} PanelInk;

static void
measure_panel (const gchar * text, gint width, gint height, PanelInk * ink)
{
  GError *error = NULL;
  g_autoptr (NemoTitle) title = nemo_title_new (text, width, height,
      NEMO_TITLE_ALIGN_CENTER, &error);
  cairo_surface_t *surface;
  cairo_t *cr;
  gint x, y, stride;
  const guint8 *pixels;

  g_assert_no_error (error);
  nemo_title_get_size (title, &ink->width, &ink->height);
  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, ink->width,
      ink->height);
  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_paint (cr);
  nemo_title_draw (title, cr, 0, 0, 1);
  cairo_destroy (cr);
  cairo_surface_flush (surface);

  pixels = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  ink->x0 = ink->width;
  ink->y0 = ink->height;
  ink->x1 = ink->y1 = 0;
  ink->row = g_new0 (gint, ink->height);
  for (y = 0; y < ink->height; y++)
    for (x = 0; x < ink->width; x++) {
      const guint8 *p = pixels + y * stride + 4 * x;

      if (MAX (p[0], MAX (p[1], p[2])) < 40)
        continue;
      ink->x0 = MIN (ink->x0, x);
      ink->y0 = MIN (ink->y0, y);
      ink->x1 = MAX (ink->x1, x + 1);
      ink->y1 = MAX (ink->y1, y + 1);
      ink->row[y]++;
    }
  cairo_surface_destroy (surface);
}

/* Two lines of ink: rows with next to none between two inked bands (one
 * line has its letters' bodies there), and ink below them. */
static gboolean
has_two_lines (const PanelInk * ink)
{
  gint span = ink->y1 - ink->y0, densest = 0, y, gap = -1;

  for (y = ink->y0; y < ink->y1; y++)
    densest = MAX (densest, ink->row[y]);
  for (y = ink->y0 + span / 4; y < ink->y1 - span / 4 && gap < 0; y++)
    if (ink->row[y] <= densest / 10)
      gap = y;
  if (gap < 0)
    return FALSE;
  for (y = gap; y < ink->y1; y++)
    if (ink->row[y] > densest / 3)
      return TRUE;              /* the second line's body */
  return FALSE;
}

/* Every long title in every shape: a panel inside the frame, on two lines
 * (the artist kept), no ink at its edges; a short one on one line. */
static void
test_long_title_panels (void)
{
  guint i, j;

  for (j = 0; j < G_N_ELEMENTS (shapes); j++) {
    gint width = shapes[j][0], height = shapes[j][1];
    PanelInk short_title;

    measure_panel ("Sunny Day — Nemo Lab", width, height, &short_title);
    g_assert_false (has_two_lines (&short_title));
    g_free (short_title.row);
    for (i = 0; i < G_N_ELEMENTS (long_titles); i++) {
      PanelInk ink;
      gint edge;

      measure_panel (long_titles[i], width, height, &ink);
      edge = MAX (2, ink.height / 20);
      g_test_message ("%dx%d “%s”: %dx%d panel, ink %d,%d-%d,%d", width,
          height, long_titles[i], ink.width, ink.height, ink.x0, ink.y0,
          ink.x1, ink.y1);
      g_assert_cmpint (ink.width, <, width);
      g_assert_true (has_two_lines (&ink));
      /* no glyph reaches the panel's edge */
      g_assert_cmpint (ink.x0, >=, edge);
      g_assert_cmpint (ink.y0, >=, edge);
      g_assert_cmpint (ink.x1, <=, ink.width - edge);
      g_assert_cmpint (ink.y1, <=, ink.height - edge);
      g_free (ink.row);
    }
  }
}

/* Every long title rendered in a shape, one after the other: white text
 * in the frame, none near its edges. */
static void
check_long_titles_in_frame (gint width, gint height)
{
  g_autofree gchar *tone = data_path ("tone.wav");
  g_autoptr (NemoDraft) draft = make_draft (tone, NULL, NULL, NULL);
  NemoTrack *text = nemo_draft_add_track (draft, NEMO_TRACK_TEXT);
  const gdouble at[] = { 1, 3, 5, 7, -1 };
  gint edge = MIN (width, height) / 40;
  Temp temp;
  Output out;
  guint i;

  G_STATIC_ASSERT (G_N_ELEMENTS (long_titles) == G_N_ELEMENTS (at) - 1);
  for (i = 0; i < G_N_ELEMENTS (long_titles); i++) {
    NemoSegment *segment = nemo_track_add_segment (text, NEMO_SEGMENT_TITLE);

    segment->text = g_strdup (long_titles[i]);
    segment->start_ms = 2000 * i;
    segment->duration_ms = 2000;
  }
  temp_init (&temp);
  render_ok (draft, width, height, temp.output);
  output_read (temp.output, at, &out);
  output_assert_contract (temp.output, &out, width, height, FPS,
      input_samples ("tone.wav"));
  for (i = 0; i < out.n_snapshots; i++) {
    g_assert_cmpint (count_bright (out.snapshot[i], 0, 0, width, height, 200,
            FALSE), >, 100);
    g_assert_cmpint (count_bright (out.snapshot[i], edge, edge, width - edge,
            height - edge, 200, TRUE), ==, 0);
    assert_cover_centre (out.snapshot[i]);
  }
  output_clear (&out);
  temp_clear (&temp);
}

static void
test_long_titles_landscape (void)
{
  check_long_titles_in_frame (640, 360);
}

static void
test_long_titles_vertical (void)
{
  check_long_titles_in_frame (360, 640);
}

static void
test_long_titles_square (void)
{
  check_long_titles_in_frame (360, 360);
}

static void
test_long_titles_portrait (void)
{
  check_long_titles_in_frame (360, 450);
}

/* A fading title: faint in its first frames, solid after the fade; the
 * plain path (every frame drawn) keeps the contract. */
static void
test_title_fade (void)
{
  g_autofree gchar *tone = data_path ("tone.wav");
  g_autoptr (NemoDraft) draft = make_draft (tone, NULL, "Fading In",
      "{\"place\":\"bottom\",\"fade\":1000}");
  const gdouble at[] = { 0.1, 2.0, 7.95, -1 };
  Temp temp;
  Output out;
  gint lower = 360 * 3 / 4;

  temp_init (&temp);
  render_ok (draft, 640, 360, temp.output);
  output_read (temp.output, at, &out);
  output_assert_contract (temp.output, &out, 640, 360, FPS,
      input_samples ("tone.wav"));
  /* at the bottom, centred: white text there after the fade... */
  g_assert_cmpint (count_bright (out.snapshot[1], 0, lower, 640, 360, 200,
          FALSE), >, 100);
  g_assert_cmpint (count_bright (out.snapshot[1], 0, lower, 640, 360, 200,
          TRUE), ==, 0);
  /* ...grey at 10% of the fade in, and at the fade out's end */
  g_assert_cmpint (count_bright (out.snapshot[0], 0, lower, 640, 360, 120,
          FALSE), ==, 0);
  g_assert_cmpint (count_bright (out.snapshot[2], 0, lower, 640, 360, 120,
          FALSE), ==, 0);
  output_clear (&out);
  temp_clear (&temp);
}

/* A title without a fade over a cover: still frames, so the still-image
 * fast path; the title is in the first and the last frame. */
static void
test_title_on_still (void)
{
  g_autofree gchar *tone = data_path ("tone.wav");
  g_autoptr (NemoDraft) draft = make_draft (tone, NULL, "Held Title",
      "{\"place\":\"top\"}");
  const gdouble at[] = { 0.0, 7.9, -1 };
  Temp temp;
  Output out;
  gint64 start = g_get_monotonic_time ();

  temp_init (&temp);
  render_ok (draft, 640, 360, temp.output);
  g_test_message ("still with a title rendered in %.2f s",
      (g_get_monotonic_time () - start) / 1e6);
  output_read (temp.output, at, &out);
  output_assert_contract (temp.output, &out, 640, 360, FPS,
      input_samples ("tone.wav"));
  g_assert_cmpint (count_bright (out.snapshot[0], 0, 0, 640, 90, 200, FALSE),
      >, 100);
  g_assert_cmpfloat (rgb_psnr (out.snapshot[0], out.snapshot[1]), >, 40);
  assert_cover_centre (out.snapshot[1]);
  output_clear (&out);
  temp_clear (&temp);
}

/* The mean luma of @rgb, 0..255. */
static gdouble
mean_luma (const AVFrame * rgb)
{
  gdouble sum = 0;
  gint x, y;

  for (y = 0; y < rgb->height; y++)
    for (x = 0; x < rgb->width; x++)
      sum += rgb_luma (rgb_pixel (rgb, x, y));
  return sum / (rgb->width * rgb->height);
}

/* A fade from and to black (m.fade_in_ms, m.fade_out_ms) darkens the
 * pictures and the layers over them: the first and the last frame black,
 * half-way through a fade half as bright as the middle of the video (the
 * fade is linear in the coded values).  Without a fade the first frame is
 * as bright as the middle. */
static void
test_picture_fade (void)
{
  g_autofree gchar *tone = data_path ("tone.wav");
  g_autoptr (NemoDraft) faded = make_draft (tone, NEMO_SEGMENT_SPECTRUM,
      "Fading To Black", NULL);
  g_autoptr (NemoDraft) plain = make_draft (tone, NULL, NULL, NULL);
  /* the last of the 240 frames, 239 */
  const gdouble ends[] = { 0.0, 0.5, 4.0, 239.0 / FPS, -1 };
  /* frame 225, whose end at 226/30 s is 0.47 s before the sound's */
  const gdouble late[] = { 1.5, 225.0 / FPS, -1 };
  const gdouble start[] = { 0.0, 4.0, -1 };
  gdouble normal;
  Temp temp;
  Output out;

  nemo_draft_set_meta_int (faded, "fade_in_ms", 1000);
  nemo_draft_set_meta_int (faded, "fade_out_ms", 1000);
  temp_init (&temp);
  render_ok (faded, 640, 360, temp.output);
  output_read (temp.output, ends, &out);
  output_assert_contract (temp.output, &out, 640, 360, FPS,
      input_samples ("tone.wav"));
  normal = mean_luma (out.snapshot[2]);
  g_test_message ("mean luma %.1f, %.1f, %.1f, %.1f at frames 0, 15, 120, "
      "239",
      mean_luma (out.snapshot[0]), mean_luma (out.snapshot[1]), normal,
      mean_luma (out.snapshot[3]));
  g_assert_cmpfloat (normal, >, 40);
  /* black, the title and the bars too */
  g_assert_cmpint (count_bright (out.snapshot[0], 0, 0, 640, 360, 16, FALSE),
      ==, 0);
  g_assert_cmpint (count_bright (out.snapshot[3], 0, 0, 640, 360, 16, FALSE),
      ==, 0);
  g_assert_cmpfloat (fabs (mean_luma (out.snapshot[1]) / normal - 0.5), <,
      0.05);
  g_assert_cmpint (count_bright (out.snapshot[2], 0, 0, 640, 360, 200,
          FALSE), >, 100);
  output_clear (&out);

  output_read (temp.output, late, &out);
  g_assert_cmpfloat (fabs (mean_luma (out.snapshot[0]) / normal - 1), <,
      0.02);
  g_assert_cmpfloat (fabs (mean_luma (out.snapshot[1]) / normal
          - (8.0 - 226.0 / FPS)), <, 0.05);
  output_clear (&out);

  render_ok (plain, 640, 360, temp.output);
  output_read (temp.output, start, &out);
  g_assert_cmpfloat (fabs (mean_luma (out.snapshot[0])
          / mean_luma (out.snapshot[1]) - 1), <, 0.02);
  output_clear (&out);
  temp_clear (&temp);
}

/* Each shape, made with the prompt: the right size, no black borders, the
 * cover's centre visible, the title in the top part and the bars in the
 * bottom part of the frame. */
static void
check_shape (const gchar * prompt, gint width, gint height)
{
  g_autoptr (NemoDraft) draft = NULL;
  g_autoptr (NemoIntent) intent = nemo_intent_parse (prompt);
  const gdouble at[] = { 4.0, 4.0 + 1.0 / FPS, -1 };
  Temp temp;
  Output out;
  gint64 samples;

  temp_init (&temp);
  samples = make_song (&temp);
  draft = make_draft (temp.song, NULL, NULL, NULL);
  nemo_draft_set_meta_string (draft, "title", "Shape");
  nemo_draft_set_meta_string (draft, "artist", "Nemo");
  nemo_draft_set_meta_int (draft, "w", width > height ? 640 : 360);
  nemo_draft_set_meta_int (draft, "h", width > height ? 360 : 640);
  nemo_intent_apply (intent, draft);
  g_assert_cmpint (nemo_draft_get_meta_int (draft, "w", 0), ==, width);
  g_assert_cmpint (nemo_draft_get_meta_int (draft, "h", 0), ==, height);

  render_ok (draft, width, height, temp.output);
  output_read (temp.output, at, &out);
  output_assert_contract (temp.output, &out, width, height, FPS, samples);
  assert_no_black_edges (out.snapshot[0]);
  assert_cover_centre (out.snapshot[0]);
  /* the title: white text in the top quarter, none over the middle (the
   * bars' light tips may be as bright) */
  g_assert_cmpint (count_bright (out.snapshot[0], 0, 0, width, height / 4,
          200, FALSE), >, 50);
  g_assert_cmpint (count_bright (out.snapshot[0], 0, height / 4, width,
          height * 3 / 5, 200, FALSE), ==, 0);
  /* the bars: moving in the bottom part only */
  g_assert_cmpfloat (max_block_change (out.snapshot[0], out.snapshot[1],
          height * 3 / 4, height), >, 6);
  g_assert_cmpfloat (max_block_change (out.snapshot[0], out.snapshot[1], 0,
          height * 3 / 5), <, 1.5);
  output_clear (&out);
  temp_clear (&temp);
}

static void
test_shape_landscape (void)
{
  check_shape ("16:9 with spectrum bars and track info", 640, 360);
}

static void
test_shape_vertical (void)
{
  check_shape ("vertical 9:16 for Shorts, spectrum bars, title at the top",
      360, 640);
}

static void
test_shape_square (void)
{
  check_shape ("square video with spectrum bars and the title", 360, 360);
}

static void
test_shape_portrait (void)
{
  check_shape ("4:5 for Instagram with a spectrum visualizer and track info",
      360, 450);
}

/* The draft of the prompt over the cover, rendered at 360x640 with the
 * Shorts safe area, and the snapshot at 4 s. */
static void
render_vertical (Temp * temp, const gchar * prompt, Output * out)
{
  const gdouble at[] = { 4.0, -1 };
  g_autoptr (NemoDraft) draft = make_draft (temp->song, NULL, NULL, NULL);
  g_autoptr (NemoIntent) intent = nemo_intent_parse (prompt);
  NemoRenderOptions options;
  GError *error = NULL;

  nemo_draft_set_meta_string (draft, "title", "Safe Area");
  nemo_draft_set_meta_string (draft, "artist", "Nemo");
  nemo_intent_apply (intent, draft);
  nemo_render_options_init (&options);
  options.width = 360;
  options.height = 640;
  options.fps_n = FPS;
  options.safe_area = nemo_preset_get (NEMO_PRESET_SHORTS)->safe_area;
  g_assert_true (nemo_render_draft (draft, &options, temp->output, &error));
  g_assert_no_error (error);
  output_read (temp->output, at, out);
}

/* In a Shorts frame the bars' and the title's ink (what is brighter than
 * the bare cover) lies inside the safe area, clear of the player's
 * buttons and caption; the cover's centre stays visible. */
static void
test_safe_area (void)
{
  const NemoSafeArea *safe = &nemo_preset_get (NEMO_PRESET_SHORTS)->safe_area;
  gint x0 = (gint) (360 * safe->left), x1 = 360 - (gint) (360 * safe->right);
  gint y0 = (gint) (640 * safe->top), y1 = 640 - (gint) (640 * safe->bottom);
  gint x, y, inside = 0, outside = 0;
  Temp temp;
  Output bare, drawn;

  temp_init (&temp);
  make_song (&temp);
  render_vertical (&temp, "", &bare);
  render_vertical (&temp, "for Shorts with spectrum bars and track info",
      &drawn);
  for (y = 0; y < 640; y++)
    for (x = 0; x < 360; x++) {
      gdouble ink = rgb_luma (rgb_pixel (drawn.snapshot[0], x, y))
          - rgb_luma (rgb_pixel (bare.snapshot[0], x, y));

      if (ink < 40)
        continue;
      if (x >= x0 && x < x1 && y >= y0 && y < y1)
        inside++;
      else
        outside++;
    }
  g_assert_cmpint (inside, >, 500);
  g_assert_cmpint (outside, ==, 0);
  assert_cover_centre (drawn.snapshot[0]);
  output_clear (&bare);
  output_clear (&drawn);
  temp_clear (&temp);
}

/* ---- drawn where it changes: the look of a whole-frame drawing ---- */

/* FFmpeg's ssim filter over pairs of yuv420p frames; the lowest "All". */
typedef struct
{
  AVFilterGraph *graph;
  AVFilterContext *a, *b, *sink;
  gdouble lowest;
  gint64 n;
} SsimMeter;

static AVFilterContext *
ssim_source (SsimMeter * meter, const gchar * name, gint width, gint height)
{
  g_autofree gchar *args = g_strdup_printf ("video_size=%dx%d:pix_fmt=%d:"
      "time_base=1/%d:pixel_aspect=1/1", width, height, AV_PIX_FMT_YUV420P,
      FPS);
  AVFilterContext *source = NULL;

  g_assert_cmpint (avfilter_graph_create_filter (&source,
          avfilter_get_by_name ("buffer"), name, args, NULL, meter->graph),
      >=, 0);
  return source;
}

static void
ssim_init (SsimMeter * meter, gint width, gint height)
{
  AVFilterContext *ssim = NULL;

  meter->graph = avfilter_graph_alloc ();
  meter->a = ssim_source (meter, "a", width, height);
  meter->b = ssim_source (meter, "b", width, height);
  g_assert_cmpint (avfilter_graph_create_filter (&ssim,
          avfilter_get_by_name ("ssim"), "ssim", NULL, NULL, meter->graph),
      >=, 0);
  g_assert_cmpint (avfilter_graph_create_filter (&meter->sink,
          avfilter_get_by_name ("buffersink"), "sink", NULL, NULL,
          meter->graph), >=, 0);
  g_assert_cmpint (avfilter_link (meter->a, 0, ssim, 0), ==, 0);
  g_assert_cmpint (avfilter_link (meter->b, 0, ssim, 1), ==, 0);
  g_assert_cmpint (avfilter_link (ssim, 0, meter->sink, 0), ==, 0);
  g_assert_cmpint (avfilter_graph_config (meter->graph, NULL), >=, 0);
  meter->lowest = 1;
  meter->n = 0;
}

static void
ssim_drain (SsimMeter * meter)
{
  AVFrame *out = av_frame_alloc ();

  while (av_buffersink_get_frame (meter->sink, out) >= 0) {
    AVDictionaryEntry *all = av_dict_get (out->metadata, "lavfi.ssim.All",
        NULL, 0);

    g_assert_nonnull (all);
    meter->lowest = MIN (meter->lowest, g_ascii_strtod (all->value, NULL));
    meter->n++;
    av_frame_unref (out);
  }
  av_frame_free (&out);
}

static void
ssim_push (SsimMeter * meter, AVFilterContext * source, const AVFrame * frame,
    gint64 pts)
{
  AVFrame *copy = av_frame_clone (frame);

  copy->pts = pts;
  g_assert_cmpint (av_buffersrc_add_frame (source, copy), >=, 0);
  av_frame_free (&copy);
}

/* The lowest SSIM over all frames compared. */
static gdouble
ssim_finish (SsimMeter * meter)
{
  g_assert_cmpint (av_buffersrc_add_frame (meter->a, NULL), >=, 0);
  g_assert_cmpint (av_buffersrc_add_frame (meter->b, NULL), >=, 0);
  ssim_drain (meter);
  avfilter_graph_free (&meter->graph);
  return meter->lowest;
}

/* The reference: the look drawn the way it was before bands, over the
 * whole frame: @picture converted to RGB, the visualizer's backdrop and
 * moving part drawn over it with cairo, converted back to yuv420p. */
static AVFrame *
draw_whole_frame (const NemoScope * scope, const AVFrame * picture,
    const NemoSpectrumFrame * analysis)
{
  gint w = picture->width, h = picture->height;
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24,
      w, h);
  guint8 *pixels = cairo_image_surface_get_data (surface);
  gint stride = cairo_image_surface_get_stride (surface);
  struct SwsContext *to_rgb = sws_getContext (w, h, AV_PIX_FMT_YUV420P, w, h,
      AV_PIX_FMT_BGRA, SWS_POINT, NULL, NULL, NULL);
  struct SwsContext *to_yuv = sws_getContext (w, h, AV_PIX_FMT_BGRA, w, h,
      AV_PIX_FMT_YUV420P, SWS_AREA | SWS_ACCURATE_RND, NULL, NULL, NULL);
  AVFrame *out = av_frame_alloc ();
  cairo_t *cr;

  out->format = AV_PIX_FMT_YUV420P;
  out->width = w;
  out->height = h;
  g_assert_cmpint (av_frame_get_buffer (out, 0), ==, 0);
  sws_setColorspaceDetails (to_rgb, sws_getCoefficients (SWS_CS_ITU709), 0,
      sws_getCoefficients (SWS_CS_ITU709), 1, 0, 1 << 16, 1 << 16);
  sws_setColorspaceDetails (to_yuv, sws_getCoefficients (SWS_CS_ITU709), 1,
      sws_getCoefficients (SWS_CS_ITU709), 0, 0, 1 << 16, 1 << 16);
  sws_scale (to_rgb, (const uint8_t * const *) picture->data,
      picture->linesize, 0, h, &pixels, &stride);
  cairo_surface_mark_dirty (surface);
  cr = cairo_create (surface);
  nemo_scope_draw_backdrop (scope, cr);
  nemo_scope_draw (scope, cr, analysis);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  sws_scale (to_yuv, (const uint8_t * const *) &pixels, &stride, 0, h,
      out->data, out->linesize);
  sws_freeContext (to_rgb);
  sws_freeContext (to_yuv);
  cairo_surface_destroy (surface);
  return out;
}

/* Bytes of @a and @b that differ outside (@outside) or inside @rect. */
static gint64
bytes_changed (const AVFrame * a, const AVFrame * b,
    const cairo_rectangle_int_t * rect, gboolean outside)
{
  gint64 n = 0;
  gint plane, x, y;

  for (plane = 0; plane < 3; plane++) {
    gint shift = plane ? 1 : 0;

    for (y = 0; y < a->height >> shift; y++)
      for (x = 0; x < a->width >> shift; x++) {
        gboolean in = x >= rect->x >> shift
            && x < (rect->x + rect->width) >> shift && y >= rect->y >> shift
            && y < (rect->y + rect->height) >> shift;

        if (in != outside && a->data[plane][y * a->linesize[plane] + x]
            != b->data[plane][y * b->linesize[plane] + x])
          n++;
      }
  }
  return n;
}

/* The render's own pieces, run again beside the decoded MP4: what the
 * encoder was given (overlay.c's frames) and the whole-frame reference. */
typedef struct
{
  NemoOverlay *overlay;
  NemoTimeline *timeline;
  SsimMeter ssim;
  cairo_rectangle_int_t band;   /* the moving band */
  AVFrame *first;               /* the encoder's first frame */
  gint64 index;
  gint64 outside_changed, frames_moving;
} Replay;

static void
replay_frame (const AVFrame * decoded, gpointer user_data)
{
  Replay *replay = user_data;
  GError *error = NULL;
  gint64 t_us = replay->index * G_USEC_PER_SEC / FPS;
  const AVFrame *picture = nemo_timeline_frame_at (replay->timeline, t_us,
      &error);
  AVFrame *given, *reference;

  g_assert_no_error (error);
  given = nemo_overlay_draw (replay->overlay, picture, replay->index, &error);
  g_assert_no_error (error);
  if (replay->first == NULL) {
    g_autoptr (NemoBand) band = NULL;
    cairo_rectangle_int_t bounds;

    nemo_scope_get_bounds (nemo_overlay_get_scope (replay->overlay), &bounds);
    band = nemo_band_new (&bounds, given->width, given->height);
    replay->band = *nemo_band_get_rect (band);
    replay->first = av_frame_clone (given);
    g_assert_cmpint (av_frame_make_writable (replay->first), ==, 0);
  }
  replay->outside_changed += bytes_changed (replay->first, given,
      &replay->band, TRUE);
  replay->frames_moving += bytes_changed (replay->first, given,
      &replay->band, FALSE) > 0;

  reference = draw_whole_frame (nemo_overlay_get_scope (replay->overlay),
      picture, nemo_spectrum_get (nemo_overlay_get_spectrum (replay->overlay),
          replay->index));
  ssim_push (&replay->ssim, replay->ssim.a, decoded, replay->index);
  ssim_push (&replay->ssim, replay->ssim.b, reference, replay->index);
  ssim_drain (&replay->ssim);
  av_frame_free (&reference);
  replay->index++;
}

/* A render (near-lossless, so the drawing is compared, not the encoder)
 * decoded frame by frame against the whole-frame drawing of the same
 * frames, and the frames the encoder was given checked outside the band. */
static void
check_band_look (const gchar * scope, gint width, gint height)
{
  g_autoptr (NemoDraft) draft = NULL;
  g_autoptr (NemoSoundtrack) soundtrack = NULL;
  NemoRenderOptions options;
  GError *error = NULL;
  Replay replay = { 0 };
  Temp temp;
  gint64 n_frames;
  gdouble lowest;

  temp_init (&temp);
  make_song (&temp);
  draft = make_draft (temp.song, scope, NULL, NULL);
  nemo_render_options_init (&options);
  options.width = width;
  options.height = height;
  options.fps_n = FPS;
  options.quality = 1;
  g_assert_true (nemo_render_draft (draft, &options, temp.output, &error));
  g_assert_no_error (error);

  /* the same soundtrack, spectrum and pictures as the render's */
  replay.overlay = nemo_overlay_new (draft, width, height, FPS, 1,
      &options.safe_area);
  soundtrack = nemo_soundtrack_encode (draft, &options, temp.dir,
      nemo_overlay_get_spectrum (replay.overlay), NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  n_frames = (nemo_soundtrack_get_n_samples (soundtrack) * FPS
      + NEMO_AUDIO_RATE - 1) / NEMO_AUDIO_RATE;
  nemo_overlay_set_duration (replay.overlay,
      nemo_soundtrack_get_n_samples (soundtrack) * G_USEC_PER_SEC
      / NEMO_AUDIO_RATE);
  replay.timeline = nemo_timeline_new (draft, width, height, &error);
  g_assert_no_error (error);
  ssim_init (&replay.ssim, width, height);

  decode_stream (temp.output, AVMEDIA_TYPE_VIDEO, replay_frame, &replay);
  lowest = ssim_finish (&replay.ssim);
  g_test_message ("%s %dx%d: %" G_GINT64_FORMAT " frames, lowest SSIM %.4f "
      "against the whole-frame drawing; band %dx%d at %d,%d, moving in %"
      G_GINT64_FORMAT " frames, %" G_GINT64_FORMAT " bytes changed outside",
      scope, width, height, replay.index, lowest, replay.band.width,
      replay.band.height, replay.band.x, replay.band.y, replay.frames_moving,
      replay.outside_changed);
  g_assert_cmpint (replay.index, ==, n_frames);
  g_assert_cmpint (replay.ssim.n, ==, n_frames);
  g_assert_cmpfloat (lowest, >=, 0.98);
  /* the band moves with the music, and nothing outside it ever changes */
  g_assert_cmpint (replay.frames_moving, >, n_frames / 2);
  g_assert_cmpint (replay.outside_changed, ==, 0);
  /* a strip (a quarter of the frame), or the circle's square */
  g_assert_cmpfloat ((gdouble) replay.band.width * replay.band.height
      / (width * height), <, g_strcmp0 (scope, NEMO_SEGMENT_CIRCLE) ? 0.25
      : 0.6);

  av_frame_free (&replay.first);
  nemo_timeline_free (replay.timeline);
  nemo_overlay_free (replay.overlay);
  g_clear_pointer (&soundtrack, nemo_soundtrack_free);
  temp_clear (&temp);
}

static void
test_band_spectrum (void)
{
  check_band_look (NEMO_SEGMENT_SPECTRUM, 1280, 720);
}

static void
test_band_waveform (void)
{
  check_band_look (NEMO_SEGMENT_WAVEFORM, 1280, 720);
}

static void
test_band_circle (void)
{
  check_band_look (NEMO_SEGMENT_CIRCLE, 1280, 720);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/overlay/spectrum", test_spectrum);
  g_test_add_func ("/overlay/waveform", test_waveform);
  g_test_add_func ("/overlay/circle", test_circle);
  g_test_add_func ("/overlay/band/spectrum", test_band_spectrum);
  g_test_add_func ("/overlay/band/waveform", test_band_waveform);
  g_test_add_func ("/overlay/band/circle", test_band_circle);
  g_test_add_func ("/overlay/title/latin", test_title_latin);
  g_test_add_func ("/overlay/title/cjk", test_title_cjk);
  g_test_add_func ("/overlay/title/emoji", test_title_emoji);
  g_test_add_func ("/overlay/title/long/panel", test_long_title_panels);
  g_test_add_func ("/overlay/title/long/landscape", test_long_titles_landscape);
  g_test_add_func ("/overlay/title/long/vertical", test_long_titles_vertical);
  g_test_add_func ("/overlay/title/long/square", test_long_titles_square);
  g_test_add_func ("/overlay/title/long/portrait", test_long_titles_portrait);
  g_test_add_func ("/overlay/title/fade", test_title_fade);
  g_test_add_func ("/overlay/title/still", test_title_on_still);
  g_test_add_func ("/overlay/fade", test_picture_fade);
  g_test_add_func ("/overlay/shape/landscape", test_shape_landscape);
  g_test_add_func ("/overlay/safe-area", test_safe_area);
  g_test_add_func ("/overlay/shape/vertical", test_shape_vertical);
  g_test_add_func ("/overlay/shape/square", test_shape_square);
  g_test_add_func ("/overlay/shape/portrait", test_shape_portrait);
  return g_test_run ();
}
