/* Track-info titles: a `Title — Artist` text laid out with Pango, so any
 * script, font fallback (fontconfig) and colour emoji work, on a
 * translucent rounded panel with a soft shadow so it reads on any cover.
 *
 * The look, documented in docs/visuals.md:
 *   font "Sans", bold, FONT_SHARE of the frame's short side, in pixels;
 *   panel black at PANEL_ALPHA, padded by PAD_X/PAD_Y of the font size,
 *   corners rounded by RADIUS of it; text white over a black shadow moved
 *   down by SHADOW of it; at most the frame's width less two margins.
 * Fitting it in that width, in this order:
 *   1. the whole text on one line;
 *   2. the title, then the artist under it (regular weight, ARTIST_SCALE
 *      of the size), split at the last ARTIST_SEPARATOR;
 *   3. those lines shrunk together, down to MIN_SHRINK of the size;
 *   4. each line still too wide cut with an ellipsis: the artist stays.
 * The panel and its text are drawn once into a surface: a frame only pays
 * for painting it (at an opacity while it fades).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "render-private.h"

#include <nemo/error.h>
#include <math.h>
#include <string.h>
#include <pango/pangocairo.h>

#define FONT_FAMILY "Sans"
#define FONT_SHARE 0.045
#define MIN_FONT_PX 12
#define MARGIN_SHARE 0.05
#define PAD_X 0.75
#define PAD_Y 0.45
#define RADIUS 0.4
#define SHADOW 0.06
#define SHADOW_ALPHA 0.55
#define PANEL_ALPHA 0.45
#define ARTIST_SEPARATOR " — "
#define ARTIST_SCALE 0.85
#define MIN_SHRINK 0.6

#define MAX_LINES 2

struct _NemoTitle
{
  cairo_surface_t *surface;     /* the panel with its text */
  gint width, height;
};

/* The text's lines, laid out at one size. */
typedef struct
{
  PangoLayout *line[MAX_LINES];
  gint n_lines;
  PangoRectangle logical[MAX_LINES];    /* of each line, in pixels */
  gint width, height;           /* of them all */
} Lines;

void
nemo_title_free (NemoTitle * title)
{
  if (title == NULL)
    return;
  if (title->surface)
    cairo_surface_destroy (title->surface);
  g_free (title);
}

PangoLayout *
nemo_text_layout_new (const gchar * text, PangoWeight weight)
{
  PangoFontMap *font_map = pango_cairo_font_map_get_default ();
  PangoContext *context = pango_font_map_create_context (font_map);
  cairo_font_options_t *options = cairo_font_options_create ();
  PangoFontDescription *font = pango_font_description_from_string
      (FONT_FAMILY);
  PangoLayout *layout;

  /* Outlines as designed, at any size: no hinting, grey antialiasing.
   * Text widths then scale with the font size, which shrinking relies on. */
  cairo_font_options_set_antialias (options, CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  pango_cairo_context_set_font_options (context, options);
  cairo_font_options_destroy (options);

  layout = pango_layout_new (context);
  g_object_unref (context);
  pango_font_description_set_weight (font, weight);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  pango_layout_set_text (layout, text, -1);
  return layout;
}

static PangoLayout *
make_line (const gchar * text, PangoWeight weight)
{
  PangoLayout *layout = nemo_text_layout_new (text, weight);

  pango_layout_set_single_paragraph_mode (layout, TRUE);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  return layout;
}

static void
lines_clear (Lines * lines)
{
  gint i;

  for (i = 0; i < lines->n_lines; i++)
    g_object_unref (lines->line[i]);
  lines->n_lines = 0;
}

static void
lines_add (Lines * lines, const gchar * text, PangoWeight weight)
{
  lines->line[lines->n_lines++] = make_line (text, weight);
}

/* Lay every line out at @size (Pango units, the title's) within
 * @max_width pixels, and measure them. */
static void
lines_set_size (Lines * lines, gdouble size, gint max_width)
{
  gint i;

  lines->width = lines->height = 0;
  for (i = 0; i < lines->n_lines; i++) {
    PangoLayout *line = lines->line[i];
    PangoFontDescription *font =
        pango_font_description_copy (pango_layout_get_font_description
        (line));

    pango_font_description_set_absolute_size (font,
        i == 0 ? size : size * ARTIST_SCALE);
    pango_layout_set_font_description (line, font);
    pango_font_description_free (font);
    pango_layout_set_width (line, max_width < 0 ? -1
        : max_width * PANGO_SCALE);
    pango_layout_get_pixel_extents (line, NULL, &lines->logical[i]);
    lines->width = MAX (lines->width, lines->logical[i].width);
    lines->height += lines->logical[i].height;
  }
}

/* The width of the widest line at @size, uncut. */
static gint
lines_natural_width (Lines * lines, gdouble size)
{
  lines_set_size (lines, size, -1);
  return lines->width;
}

/* Steps 1-4 of the header, for a font of @font_px. */
static void
lines_fit (Lines * lines, const gchar * text, gint font_px, gint max_width)
{
  const gchar *separator = g_strrstr (text, ARTIST_SEPARATOR);
  gdouble size = font_px * PANGO_SCALE;
  gdouble smallest = MAX (MIN_FONT_PX, font_px * MIN_SHRINK) * PANGO_SCALE;
  gint natural;

  lines_add (lines, text, PANGO_WEIGHT_BOLD);
  if (separator != NULL && separator > text
      && separator[strlen (ARTIST_SEPARATOR)] != '\0'
      && lines_natural_width (lines, size) > max_width) {
    g_autofree gchar *title = g_strndup (text, separator - text);

    lines_clear (lines);
    lines_add (lines, title, PANGO_WEIGHT_BOLD);
    lines_add (lines, separator + strlen (ARTIST_SEPARATOR),
        PANGO_WEIGHT_NORMAL);
  }
  /* Pango rounds each glyph's advance to whole pixels, so the width is
   * only nearly proportional to the size: shrink again until it fits. */
  while ((natural = lines_natural_width (lines, size)) > max_width
      && size > smallest)
    size = MAX (floor (size * max_width / natural), smallest);
  lines_set_size (lines, size, max_width);
}

static void
rounded_rectangle (cairo_t * cr, gdouble width, gdouble height, gdouble r)
{
  cairo_new_sub_path (cr);
  cairo_arc (cr, width - r, r, r, -G_PI / 2, 0);
  cairo_arc (cr, width - r, height - r, r, 0, G_PI / 2);
  cairo_arc (cr, r, height - r, r, G_PI / 2, G_PI);
  cairo_arc (cr, r, r, r, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

/* Show every line, the first at the top of @x, @y, each placed across the
 * widest as @align asks. */
static void
lines_show (const Lines * lines, cairo_t * cr, gdouble x, gdouble y,
    NemoTitleAlign align)
{
  gint i;

  for (i = 0; i < lines->n_lines; i++) {
    const PangoRectangle *logical = &lines->logical[i];
    gint slack = lines->width - logical->width;
    gint across = align == NEMO_TITLE_ALIGN_LEFT ? 0 :
        align == NEMO_TITLE_ALIGN_RIGHT ? slack : slack / 2;

    cairo_move_to (cr, x + across - logical->x, y - logical->y);
    pango_cairo_show_layout (cr, lines->line[i]);
    y += logical->height;
  }
}

NemoTitle *
nemo_title_new (const gchar * text, gint width, gint height,
    NemoTitleAlign align, GError ** error)
{
  gint short_side = MIN (width, height);
  gint font_px = MAX (MIN_FONT_PX, (gint) lround (short_side * FONT_SHARE));
  gint margin = (gint) lround (short_side * MARGIN_SHARE);
  gdouble pad_x = round (font_px * PAD_X), pad_y = round (font_px * PAD_Y);
  gint max_text = MAX (font_px, width - 2 * margin - 2 * (gint) pad_x);
  gdouble shadow = MAX (1.0, round (font_px * SHADOW));
  NemoTitle *title = g_new0 (NemoTitle, 1);
  Lines lines = { 0 };
  cairo_t *cr;

  lines_fit (&lines, text, font_px, max_text);
  title->width = lines.width + 2 * (gint) pad_x;
  title->height = lines.height + 2 * (gint) pad_y;
  title->surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32,
      title->width, title->height);
  cr = cairo_create (title->surface);

  rounded_rectangle (cr, title->width, title->height, font_px * RADIUS);
  cairo_set_source_rgba (cr, 0, 0, 0, PANEL_ALPHA);
  cairo_fill (cr);

  cairo_set_source_rgba (cr, 0, 0, 0, SHADOW_ALPHA);
  lines_show (&lines, cr, pad_x, pad_y + shadow, align);
  cairo_set_source_rgb (cr, 1, 1, 1);
  lines_show (&lines, cr, pad_x, pad_y, align);
  lines_clear (&lines);

  if (cairo_status (cr) != CAIRO_STATUS_SUCCESS) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Could not draw the title “%s” (%s).", text,
        cairo_status_to_string (cairo_status (cr)));
    cairo_destroy (cr);
    nemo_title_free (title);
    return NULL;
  }
  cairo_destroy (cr);
  cairo_surface_flush (title->surface);
  return title;
}

void
nemo_title_get_size (const NemoTitle * title, gint * width, gint * height)
{
  *width = title->width;
  *height = title->height;
}

void
nemo_title_draw (const NemoTitle * title, cairo_t * cr, gdouble x, gdouble y,
    gdouble opacity)
{
  cairo_set_source_surface (cr, title->surface, x, y);
  cairo_paint_with_alpha (cr, opacity);
}
