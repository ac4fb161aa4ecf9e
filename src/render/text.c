/* Track-info titles: one line of text laid out with Pango, so any script,
 * font fallback (fontconfig) and colour emoji work, on a translucent
 * rounded panel with a soft shadow so it reads on any cover.
 *
 * The look, documented in docs/visuals.md (tests/render/test-overlay.c
 * draws the same as its reference):
 *   font "Sans Bold", FONT_SHARE of the frame's short side, in pixels;
 *   panel black at PANEL_ALPHA, padded by PAD_X/PAD_Y of the font size,
 *   corners rounded by RADIUS of it; text white over a black shadow moved
 *   down by SHADOW of it; at most the frame's width less two margins.
 * The panel and its text are drawn once into a surface: a frame only pays
 * for painting it (at an opacity while it fades).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "render-private.h"

#include <nemo/error.h>
#include <math.h>
#include <pango/pangocairo.h>

#define FONT_FAMILY "Sans Bold"
#define FONT_SHARE 0.045
#define MIN_FONT_PX 12
#define MARGIN_SHARE 0.05
#define PAD_X 0.75
#define PAD_Y 0.45
#define RADIUS 0.4
#define SHADOW 0.06
#define SHADOW_ALPHA 0.55
#define PANEL_ALPHA 0.45

struct _NemoTitle
{
  cairo_surface_t *surface;     /* the panel with its text */
  gint width, height;
};

void
nemo_title_free (NemoTitle * title)
{
  if (title == NULL)
    return;
  if (title->surface)
    cairo_surface_destroy (title->surface);
  g_free (title);
}

static PangoLayout *
make_layout (const gchar * text, gint font_px, gint max_width)
{
  PangoFontMap *font_map = pango_cairo_font_map_get_default ();
  PangoContext *context = pango_font_map_create_context (font_map);
  cairo_font_options_t *options = cairo_font_options_create ();
  PangoFontDescription *font = pango_font_description_from_string
      (FONT_FAMILY);
  PangoLayout *layout;

  /* Outlines as designed, at any size: no hinting, grey antialiasing. */
  cairo_font_options_set_antialias (options, CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  pango_cairo_context_set_font_options (context, options);
  cairo_font_options_destroy (options);

  layout = pango_layout_new (context);
  g_object_unref (context);
  pango_font_description_set_absolute_size (font, font_px * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  pango_layout_set_single_paragraph_mode (layout, TRUE);
  pango_layout_set_width (layout, max_width * PANGO_SCALE);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_text (layout, text, -1);
  return layout;
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

NemoTitle *
nemo_title_new (const gchar * text, gint width, gint height, GError ** error)
{
  gint short_side = MIN (width, height);
  gint font_px = MAX (MIN_FONT_PX, (gint) lround (short_side * FONT_SHARE));
  gint margin = (gint) lround (short_side * MARGIN_SHARE);
  gdouble pad_x = round (font_px * PAD_X), pad_y = round (font_px * PAD_Y);
  gint max_text = MAX (font_px, width - 2 * margin - 2 * (gint) pad_x);
  g_autoptr (PangoLayout) layout = make_layout (text, font_px, max_text);
  NemoTitle *title = g_new0 (NemoTitle, 1);
  PangoRectangle logical;
  cairo_t *cr;
  gdouble shadow = MAX (1.0, round (font_px * SHADOW));

  pango_layout_get_pixel_extents (layout, NULL, &logical);
  title->width = logical.width + 2 * (gint) pad_x;
  title->height = logical.height + 2 * (gint) pad_y;
  title->surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32,
      title->width, title->height);
  cr = cairo_create (title->surface);

  rounded_rectangle (cr, title->width, title->height, font_px * RADIUS);
  cairo_set_source_rgba (cr, 0, 0, 0, PANEL_ALPHA);
  cairo_fill (cr);

  cairo_move_to (cr, pad_x - logical.x, pad_y - logical.y + shadow);
  cairo_set_source_rgba (cr, 0, 0, 0, SHADOW_ALPHA);
  pango_cairo_show_layout (cr, layout);
  cairo_move_to (cr, pad_x - logical.x, pad_y - logical.y);
  cairo_set_source_rgb (cr, 1, 1, 1);
  pango_cairo_show_layout (cr, layout);

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
