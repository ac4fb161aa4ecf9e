/* The visualizers, drawn with cairo from one frame of the spectrum
 * analysis (include/nemo/analysis.h), each in two layers (visualizer.h):
 * a backdrop that is the same in every frame, and the moving part over it.
 *
 *   spectrum  rounded bars, one per log-frequency band, with a glow, a
 *             shadow and a faint reflection on the far side of the baseline
 *   waveform  the frame's own stretch of sound as a filled, smoothed shape
 *             around a centre line, tapered at both ends
 *   circle    bars radiating from a ring around the cover, mirrored left
 *             and right; the cover outside the ring is dimmed so it reads
 *             as a round cover
 *
 * Colours come from the cover (NemoPalette): the primary at the base, the
 * light accent at the tips.  Zero levels (silence) draw flat dots and a
 * flat line, the same in every frame.
 *
 * The backdrops: the dark wash from the frame's edge under the bars and
 * the waveform; the dimmed cover and the ring of the circle.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "visualizer.h"

#include <math.h>

/* The top bands (above ~7.5 kHz of 64 from 40 Hz to 16 kHz) hardly move in
 * music: the bars show the rest. */
#define SPECTRUM_SHOWN_SHARE 0.875
#define CIRCLE_SHOWN_SHARE 0.75
/* Levels below this are the noise floor of quiet passages. */
#define LEVEL_FLOOR 0.2
#define LEVEL_CURVE 1.4
/* Share of the band the bars take; the rest holds the reflection. */
#define BARS_SHARE 0.74
#define REFLECTION_ALPHA 0.22
#define WAVE_GAIN 1.6
#define SCRIM_ALPHA 0.6
#define FLATTEN_TOLERANCE 0.5

static gdouble
bar_length (gfloat level)
{
  gdouble v = CLAMP ((level - LEVEL_FLOOR) / (1.0 - LEVEL_FLOOR), 0.0, 1.0);

  return pow (v, LEVEL_CURVE);
}

static void
set_rgba (cairo_t * cr, const gdouble rgb[3], gdouble alpha)
{
  cairo_set_source_rgba (cr, rgb[0], rgb[1], rgb[2], alpha);
}

static void
add_stop (cairo_pattern_t * pattern, gdouble offset, const gdouble rgb[3],
    gdouble alpha)
{
  cairo_pattern_add_color_stop_rgba (pattern, offset, rgb[0], rgb[1], rgb[2],
      alpha);
}

/* Glow and body of the bars in the current path, drawn as round-capped
 * lines of @width: wide faint strokes under the solid one. */
static void
stroke_glowing (cairo_t * cr, const NemoPalette * palette, gdouble width,
    cairo_pattern_t * body)
{
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  set_rgba (cr, palette->primary, 0.12);
  cairo_set_line_width (cr, width * 2.4);
  cairo_stroke_preserve (cr);
  set_rgba (cr, palette->primary, 0.22);
  cairo_set_line_width (cr, width * 1.6);
  cairo_stroke_preserve (cr);
  cairo_set_source (cr, body);
  cairo_set_line_width (cr, width);
  cairo_stroke (cr);
}

/* ---- spectrum bars ---- */

static void
add_bars_path (cairo_t * cr, const NemoSpectrumFrame * frame, guint n_bars,
    gdouble x0, gdouble slot, gdouble base, gdouble direction,
    gdouble length)
{
  guint i;

  for (i = 0; i < n_bars; i++) {
    gdouble x = x0 + (i + 0.5) * slot;

    cairo_move_to (cr, x, base);
    cairo_line_to (cr, x, base + direction * bar_length (frame->bands[i])
        * length);
  }
}

/* A soft dark wash from the frame's edge, under the band, so the bars read
 * on a bright cover too. */
static void
draw_scrim (const NemoScope * scope, cairo_t * cr)
{
  const cairo_rectangle_t *band = &scope->band;
  gdouble edge = scope->hang ? 0 : scope->frame_height;
  gdouble inner = scope->hang ? band->y + band->height : band->y;
  cairo_pattern_t *wash = cairo_pattern_create_linear (0, edge, 0, inner);

  add_stop (wash, 0, scope->palette.shade, SCRIM_ALPHA);
  add_stop (wash, 1, scope->palette.shade, 0);
  cairo_rectangle (cr, 0, MIN (edge, inner), scope->frame_width,
      fabs (inner - edge));
  cairo_set_source (cr, wash);
  cairo_fill (cr);
  cairo_pattern_destroy (wash);
}

static void
draw_spectrum (const NemoScope * scope, cairo_t * cr,
    const NemoSpectrumFrame * frame)
{
  const cairo_rectangle_t *band = &scope->band;
  guint n_bars = MAX (1, (guint) (frame->n_bands * SPECTRUM_SHOWN_SHARE));
  gdouble slot = band->width / n_bars;
  gdouble width = slot * 0.6;
  /* up from the baseline, or down when the bars hang from the top */
  gdouble direction = scope->hang ? 1 : -1;
  gdouble base = scope->hang ? band->y + band->height * (1 - BARS_SHARE)
      : band->y + band->height * BARS_SHARE;
  gdouble length = band->height * BARS_SHARE - width * 1.2;
  gdouble reflection = band->height * (1 - BARS_SHARE) - width * 1.2;
  gdouble shadow = 3 * scope->scale;
  cairo_pattern_t *body;
  gdouble base_colour[3];
  gint i;

  /* the reflection, on the other side of the baseline */
  add_bars_path (cr, frame, n_bars, band->x, slot, base + direction * -width,
      -direction, reflection);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_width (cr, width);
  set_rgba (cr, scope->palette.primary, REFLECTION_ALPHA);
  cairo_stroke (cr);

  add_bars_path (cr, frame, n_bars, band->x, slot, base + shadow, direction,
      length);
  cairo_set_line_width (cr, width);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.35);
  cairo_stroke (cr);

  /* light bars: the accent, warmer at the base */
  for (i = 0; i < 3; i++)
    base_colour[i] = (scope->palette.primary[i] + scope->palette.accent[i]) / 2;
  body = cairo_pattern_create_linear (0, base, 0, base + direction * length);
  add_stop (body, 0, base_colour, 1);
  add_stop (body, 1, scope->palette.accent, 1);
  add_bars_path (cr, frame, n_bars, band->x, slot, base, direction, length);
  stroke_glowing (cr, &scope->palette, width, body);
  cairo_pattern_destroy (body);
}

/* ---- waveform ---- */

/* A smooth curve through @n points (Catmull-Rom as Bézier segments),
 * continuing the current path. */
static void
curve_through (cairo_t * cr, const gdouble * xs, const gdouble * ys, gint n,
    gint step)
{
  gint i;

  for (i = 0; i + 1 < n; i++) {
    gint a = (i == 0 ? 0 : i - 1), d = (i + 2 >= n ? n - 1 : i + 2);
    gint p1 = i, p2 = i + 1;

    if (step < 0) {
      a = n - 1 - a;
      d = n - 1 - d;
      p1 = n - 1 - p1;
      p2 = n - 1 - p2;
    }
    cairo_curve_to (cr, xs[p1] + (xs[p2] - xs[a]) / 6,
        ys[p1] + (ys[p2] - ys[a]) / 6, xs[p2] - (xs[d] - xs[p1]) / 6,
        ys[p2] - (ys[d] - ys[p1]) / 6, xs[p2], ys[p2]);
  }
}

static gdouble
wave_value (const gfloat * wave, gint i)
{
  /* a little smoothing: min/max of short spans are spiky */
  gdouble v = 0.25 * wave[MAX (i - 1, 0)] + 0.5 * wave[i]
      + 0.25 * wave[MIN (i + 1, NEMO_SPECTRUM_WAVE_POINTS - 1)];

  return tanh (WAVE_GAIN * v) / tanh (WAVE_GAIN);
}

static void
draw_waveform (const NemoScope * scope, cairo_t * cr,
    const NemoSpectrumFrame * frame)
{
  const gint n = NEMO_SPECTRUM_WAVE_POINTS;
  const cairo_rectangle_t *band = &scope->band;
  gdouble xs[NEMO_SPECTRUM_WAVE_POINTS], top[NEMO_SPECTRUM_WAVE_POINTS];
  gdouble bottom[NEMO_SPECTRUM_WAVE_POINTS];
  gdouble centre = band->y + band->height / 2;
  gdouble line = MAX (1.5, 3 * scope->scale);
  gdouble amplitude = band->height / 2 - 2 * line;
  cairo_pattern_t *fill;
  gint i;

  for (i = 0; i < n; i++) {
    gdouble taper = sqrt (sin (G_PI * (i + 0.5) / n));

    xs[i] = band->x + band->width * i / (n - 1);
    top[i] = centre - wave_value (frame->wave_max, i) * amplitude * taper;
    bottom[i] = centre - wave_value (frame->wave_min, i) * amplitude * taper;
  }

  cairo_move_to (cr, xs[0], top[0]);
  curve_through (cr, xs, top, n, 1);
  cairo_line_to (cr, xs[n - 1], bottom[n - 1]);
  curve_through (cr, xs, bottom, n, -1);
  cairo_close_path (cr);

  fill = cairo_pattern_create_linear (band->x, 0, band->x + band->width, 0);
  add_stop (fill, 0, scope->palette.primary, 0.55);
  add_stop (fill, 0.5, scope->palette.accent, 0.95);
  add_stop (fill, 1, scope->palette.primary, 0.55);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  set_rgba (cr, scope->palette.primary, 0.25);
  cairo_set_line_width (cr, line * 4);
  cairo_stroke_preserve (cr);
  cairo_set_source (cr, fill);
  cairo_fill_preserve (cr);
  set_rgba (cr, scope->palette.accent, 0.9);
  cairo_set_line_width (cr, line);
  cairo_stroke (cr);
  cairo_pattern_destroy (fill);

  /* the centre line: the flat line of silence */
  cairo_move_to (cr, band->x, centre);
  cairo_line_to (cr, band->x + band->width, centre);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  set_rgba (cr, scope->palette.accent, 0.7);
  cairo_set_line_width (cr, line * 0.75);
  cairo_stroke (cr);
}

/* ---- circle ---- */

static gdouble
ring_width (const NemoScope * scope)
{
  return MAX (1.5, 3 * scope->scale);
}

/* The cover outside the ring, dimmed (a round cover), and the ring. */
static void
draw_circle_backdrop (const NemoScope * scope, cairo_t * cr)
{
  gdouble ring = ring_width (scope);

  cairo_rectangle (cr, scope->cover.x, scope->cover.y, scope->cover.width,
      scope->cover.height);
  cairo_new_sub_path (cr);
  cairo_arc (cr, scope->cx, scope->cy, scope->radius, 0, 2 * G_PI);
  cairo_set_fill_rule (cr, CAIRO_FILL_RULE_EVEN_ODD);
  set_rgba (cr, scope->palette.shade, 0.72);
  cairo_fill (cr);
  cairo_set_fill_rule (cr, CAIRO_FILL_RULE_WINDING);

  cairo_arc (cr, scope->cx, scope->cy, scope->radius, 0, 2 * G_PI);
  set_rgba (cr, scope->palette.primary, 0.3);
  cairo_set_line_width (cr, ring * 3);
  cairo_stroke_preserve (cr);
  set_rgba (cr, scope->palette.accent, 0.9);
  cairo_set_line_width (cr, ring);
  cairo_stroke (cr);
}

static void
draw_circle (const NemoScope * scope, cairo_t * cr,
    const NemoSpectrumFrame * frame)
{
  guint n_bands = MAX (1, (guint) (frame->n_bands * CIRCLE_SHOWN_SHARE));
  guint n_bars = 2 * n_bands;
  gdouble width = 2 * G_PI * scope->radius / n_bars * 0.5;
  gdouble gap = width * 1.5;
  gdouble inner = scope->radius + gap;
  cairo_pattern_t *body;
  guint i;

  /* low bands at the top, going down both sides */
  for (i = 0; i < n_bars; i++) {
    guint band = i < n_bands ? i : n_bars - 1 - i;
    gdouble angle = -G_PI / 2 + 2 * G_PI * (i + 0.5) / n_bars;
    gdouble outer = inner + bar_length (frame->bands[band]) * scope->reach;

    cairo_move_to (cr, scope->cx + inner * cos (angle),
        scope->cy + inner * sin (angle));
    cairo_line_to (cr, scope->cx + outer * cos (angle),
        scope->cy + outer * sin (angle));
  }
  body = cairo_pattern_create_radial (scope->cx, scope->cy, inner, scope->cx,
      scope->cy, inner + scope->reach);
  add_stop (body, 0, scope->palette.primary, 1);
  add_stop (body, 1, scope->palette.accent, 1);
  stroke_glowing (cr, &scope->palette, width, body);
  cairo_pattern_destroy (body);
}

static void
round_out (gdouble x0, gdouble y0, gdouble x1, gdouble y1,
    cairo_rectangle_int_t * bounds)
{
  bounds->x = (gint) floor (x0);
  bounds->y = (gint) floor (y0);
  bounds->width = (gint) ceil (x1) - bounds->x;
  bounds->height = (gint) ceil (y1) - bounds->y;
}

void
nemo_scope_get_backdrop_bounds (const NemoScope * scope,
    cairo_rectangle_int_t * bounds)
{
  if (scope->kind == NEMO_SCOPE_CIRCLE) {
    /* the cover and the ring's glow */
    gdouble r = scope->radius + 2 * ring_width (scope) + 1;

    round_out (MIN (scope->cx - r, scope->cover.x),
        MIN (scope->cy - r, scope->cover.y),
        MAX (scope->cx + r, scope->cover.x + scope->cover.width),
        MAX (scope->cy + r, scope->cover.y + scope->cover.height), bounds);
  } else if (scope->hang) {
    /* the wash, from the frame's edge to the band's far side */
    round_out (0, 0, scope->frame_width, scope->band.y + scope->band.height,
        bounds);
  } else {
    round_out (0, scope->band.y, scope->frame_width, scope->frame_height,
        bounds);
  }
}

void
nemo_scope_draw_backdrop (const NemoScope * scope, cairo_t * cr)
{
  cairo_save (cr);
  if (scope->kind == NEMO_SCOPE_CIRCLE)
    draw_circle_backdrop (scope, cr);
  else
    draw_scrim (scope, cr);
  cairo_restore (cr);
}

void
nemo_scope_get_bounds (const NemoScope * scope,
    cairo_rectangle_int_t * bounds)
{
  /* room for the glow and the shadow */
  gdouble pad = 12 * scope->scale + 4;

  if (scope->kind == NEMO_SCOPE_CIRCLE) {
    gdouble r = scope->radius * 1.1 + scope->reach + pad;

    round_out (scope->cx - r, scope->cy - r, scope->cx + r, scope->cy + r,
        bounds);
  } else {
    round_out (scope->band.x - pad, scope->band.y - pad,
        scope->band.x + scope->band.width + pad,
        scope->band.y + scope->band.height + pad, bounds);
  }
}

void
nemo_scope_draw (const NemoScope * scope, cairo_t * cr,
    const NemoSpectrumFrame * frame)
{
  cairo_save (cr);
  /* Curves and round caps flattened to within half a pixel, not cairo's
   * 0.1: fewer edges to rasterize every frame (a sixth of the bars' time
   * at 1080p), and no difference the antialiasing lets through. */
  cairo_set_tolerance (cr, FLATTEN_TOLERANCE);
  switch (scope->kind) {
    case NEMO_SCOPE_SPECTRUM:
      draw_spectrum (scope, cr, frame);
      break;
    case NEMO_SCOPE_WAVEFORM:
      draw_waveform (scope, cr, frame);
      break;
    case NEMO_SCOPE_CIRCLE:
      draw_circle (scope, cr, frame);
      break;
  }
  cairo_restore (cr);
}
