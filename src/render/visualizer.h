/* The visualizers' look, drawn where it changes: the part of the renderer
 * that knows nothing of drafts, timelines or encoders, for any code that
 * has a yuv420p frame (BT.709, TV range) and one frame of the spectrum
 * analysis (include/nemo/analysis.h) to draw: the offline renderer
 * (overlay.c), and a live element.
 *
 *   visualizer.c  a scope (spectrum bars, waveform, circle) in two layers:
 *                 its backdrop, the same in every frame, and its moving
 *                 part, drawn per frame from the analysis
 *   band.c        a rectangle of the frame drawn with cairo into an ARGB
 *                 surface of its own size and blended straight into the
 *                 yuv420p planes; pixels it leaves transparent are not
 *                 touched
 *
 * A caller draws the backdrop into a band once and blends it into its
 * background frame, then for each frame copies the background's pixels
 * under the moving band back (nemo_band_copy()), draws the moving part
 * into the band and blends it.  Every pixel outside the moving band stays
 * the background's, byte for byte.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_RENDER_VISUALIZER_H
#define NEMO_RENDER_VISUALIZER_H

#include <nemo/analysis.h>
#include <cairo.h>

G_BEGIN_DECLS

/* Colours for the layers, from the cover: all readable on the dark fill. */
typedef struct
{
  gdouble primary[3];           /* a vibrant colour of the picture, RGB 0..1 */
  gdouble accent[3];            /* a light tint of it */
  gdouble shade[3];             /* a deep shade of it */
} NemoPalette;

/* ---- visualizer.c ---- */

typedef enum
{
  NEMO_SCOPE_SPECTRUM,
  NEMO_SCOPE_WAVEFORM,
  NEMO_SCOPE_CIRCLE,
} NemoScopeKind;

typedef struct
{
  NemoScopeKind kind;
  NemoPalette palette;
  gint frame_width, frame_height;
  gdouble scale;                /* the frame's short side / 1080 */
  /* bars and waveform: their band, over a dark wash from the frame's edge */
  cairo_rectangle_t band;
  gboolean hang;                /* bars hang from the band's top (band at the top) */
  /* circle: around the cover */
  gdouble cx, cy, radius, reach;
  cairo_rectangle_t cover;
} NemoScope;

/* The area the backdrop paints, in whole pixels. */
void nemo_scope_get_backdrop_bounds (const NemoScope * scope,
    cairo_rectangle_int_t * bounds);
/* The backdrop: the wash under the bars and the waveform; the dimmed cover
 * and the ring of the circle. */
void nemo_scope_draw_backdrop (const NemoScope * scope, cairo_t * cr);

/* The area the moving part can paint, in whole pixels. */
void nemo_scope_get_bounds (const NemoScope * scope,
    cairo_rectangle_int_t * bounds);
/* The moving part, over the backdrop: @frame's analysis; silence draws
 * flat, the same every frame. */
void nemo_scope_draw (const NemoScope * scope, cairo_t * cr,
    const NemoSpectrumFrame * frame);

/* ---- band.c ---- */

typedef struct _NemoBand NemoBand;

/* A band over @area of a @frame_width x @frame_height frame, widened to
 * even pixels and cut to the frame, or NULL when that leaves nothing. */
NemoBand *nemo_band_new (const cairo_rectangle_int_t * area,
    gint frame_width, gint frame_height);
/* The pixels the band covers: even position and size, inside the frame. */
const cairo_rectangle_int_t *nemo_band_get_rect (const NemoBand * band);
/* A cairo context on the band, cleared to transparent, in frame
 * coordinates.  Destroy it before nemo_band_blend(). */
cairo_t *nemo_band_begin (NemoBand * band);
/* What was drawn over the frame's yuv420p planes (BT.709 TV range, the
 * drawing's RGB full range), in the band's rectangle only; a 2x2 block
 * left transparent keeps its bytes. */
void nemo_band_blend (NemoBand * band, guint8 * const planes[3],
    const gint strides[3]);
/* The band's rectangle of yuv420p planes @src copied into @dst. */
void nemo_band_copy (const NemoBand * band, const guint8 * const src[3],
    const gint src_strides[3], guint8 * const dst[3],
    const gint dst_strides[3]);
void nemo_band_free (NemoBand * band);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoBand, nemo_band_free)

G_END_DECLS

#endif
