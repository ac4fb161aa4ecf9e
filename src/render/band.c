/* A band: a rectangle of a yuv420p frame drawn with cairo into an ARGB
 * surface of its own size, then blended straight into the frame's planes.
 *
 * cairo's ARGB32 is premultiplied: a pixel is the colour times its alpha,
 * so "over" is out = drawn + (1 - alpha) * under.  The RGB -> Y'CbCr
 * conversion (BT.709, full range RGB to TV range) is affine, so the same
 * holds in the frame's own values:
 *
 *   Y  = Y_under  * (1 - alpha) + 16  * alpha + Ky . drawn
 *   Cb = Cb_under * (1 - alpha) + 128 * alpha + Kb . drawn
 *
 * with Ky, Kb the conversion's matrix rows.  Chroma is per 2x2 block and
 * the formula is linear, so the block's chroma takes the mean of its four
 * drawn pixels and alphas.  The frame is never converted to RGB and back;
 * a block the drawing leaves transparent keeps its bytes, which is what
 * lets the encoder code an unchanged macroblock as a skip.
 *
 * Fixed point: the luma sums are scaled by 2^16 (1/255 as 257 / 2^16),
 * the chroma sums of four pixels by 2^18 (1/1020 as 257 / 2^18).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "visualizer.h"

#include <string.h>

/* a coefficient in 16.16 fixed point */
#define FIX(c) ((gint) ((c) * 65536.0 + ((c) < 0 ? -0.5 : 0.5)))
/* BT.709 full range R'G'B' -> TV range Y'CbCr, for 0..255 inputs */
#define Y_SCALE (219.0 / 255.0)
#define C_SCALE (224.0 / 255.0)
#define KR 0.2126
#define KB 0.0722
#define KG (1.0 - KR - KB)
#define Y_R FIX (Y_SCALE * KR)
#define Y_G FIX (Y_SCALE * KG)
#define Y_B FIX (Y_SCALE * KB)
#define CB_R FIX (C_SCALE * -KR / (2 * (1 - KB)))
#define CB_G FIX (C_SCALE * -KG / (2 * (1 - KB)))
#define CB_B FIX (C_SCALE * 0.5)
#define CR_R FIX (C_SCALE * 0.5)
#define CR_G FIX (C_SCALE * -KG / (2 * (1 - KR)))
#define CR_B FIX (C_SCALE * -KB / (2 * (1 - KR)))

struct _NemoBand
{
  cairo_rectangle_int_t rect;
  cairo_surface_t *surface;     /* ARGB32, rect's size */
};

NemoBand *
nemo_band_new (const cairo_rectangle_int_t * area, gint frame_width,
    gint frame_height)
{
  gint x0 = CLAMP (area->x, 0, frame_width) / 2 * 2;
  gint y0 = CLAMP (area->y, 0, frame_height) / 2 * 2;
  gint x1 = MIN ((CLAMP (area->x + area->width, 0, frame_width) + 1) / 2 * 2,
      frame_width / 2 * 2);
  gint y1 = MIN ((CLAMP (area->y + area->height, 0, frame_height) + 1) / 2
      * 2, frame_height / 2 * 2);
  NemoBand *band;

  if (x1 <= x0 || y1 <= y0)
    return NULL;
  band = g_new0 (NemoBand, 1);
  band->rect = (cairo_rectangle_int_t) {
  x0, y0, x1 - x0, y1 - y0};
  band->surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32,
      band->rect.width, band->rect.height);
  return band;
}

void
nemo_band_free (NemoBand * band)
{
  if (band == NULL)
    return;
  cairo_surface_destroy (band->surface);
  g_free (band);
}

const cairo_rectangle_int_t *
nemo_band_get_rect (const NemoBand * band)
{
  return &band->rect;
}

cairo_t *
nemo_band_begin (NemoBand * band)
{
  cairo_t *cr;

  cairo_surface_flush (band->surface);
  memset (cairo_image_surface_get_data (band->surface), 0,
      (gsize) cairo_image_surface_get_stride (band->surface)
      * band->rect.height);
  cairo_surface_mark_dirty (band->surface);
  cr = cairo_create (band->surface);
  cairo_translate (cr, -band->rect.x, -band->rect.y);
  return cr;
}

static inline guint8
clamp_byte (gint v)
{
  return (guint8) CLAMP (v, 0, 255);
}

/* One luma sample under premultiplied @p. */
static inline void
blend_luma (guint8 * y, guint32 p)
{
  gint a = p >> 24, r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;

  *y = clamp_byte (((*y * (255 - a) + 16 * a) * 257 + Y_R * r + Y_G * g
          + Y_B * b + (1 << 15)) >> 16);
}

/* One chroma sample under the sums of a block's four pixels. */
static inline guint8
blend_chroma (guint8 c, gint a, gint r, gint g, gint b, gint kr, gint kg,
    gint kb)
{
  return clamp_byte (((c * (1020 - a) + 128 * a) * 257 + kr * r + kg * g
          + kb * b + (1 << 17)) >> 18);
}

/* Two rows of the band (@top, @bottom) over luma rows @y0, @y1 and the
 * chroma row @u, @v under them. */
static void
blend_rows (const guint32 * top, const guint32 * bottom, gint width,
    guint8 * y0, guint8 * y1, guint8 * u, guint8 * v)
{
  gint x;

  for (x = 0; x < width; x += 2) {
    guint32 p[4] = { top[x], top[x + 1], bottom[x], bottom[x + 1] };
    gint a = 0, r = 0, g = 0, b = 0, i;

    if ((p[0] | p[1] | p[2] | p[3]) == 0)
      continue;                 /* transparent: the frame's bytes stay */
    blend_luma (y0 + x, p[0]);
    blend_luma (y0 + x + 1, p[1]);
    blend_luma (y1 + x, p[2]);
    blend_luma (y1 + x + 1, p[3]);
    for (i = 0; i < 4; i++) {
      a += p[i] >> 24;
      r += (p[i] >> 16) & 0xff;
      g += (p[i] >> 8) & 0xff;
      b += p[i] & 0xff;
    }
    u[x / 2] = blend_chroma (u[x / 2], a, r, g, b, CB_R, CB_G, CB_B);
    v[x / 2] = blend_chroma (v[x / 2], a, r, g, b, CR_R, CR_G, CR_B);
  }
}

void
nemo_band_blend (NemoBand * band, guint8 * const planes[3],
    const gint strides[3])
{
  const cairo_rectangle_int_t *r = &band->rect;
  const guint8 *pixels;
  gint stride, row;

  cairo_surface_flush (band->surface);
  pixels = cairo_image_surface_get_data (band->surface);
  stride = cairo_image_surface_get_stride (band->surface);
  for (row = 0; row < r->height; row += 2) {
    gsize y = r->y + row;

    blend_rows ((const guint32 *) (pixels + (gsize) row * stride),
        (const guint32 *) (pixels + (gsize) (row + 1) * stride), r->width,
        planes[0] + y * strides[0] + r->x,
        planes[0] + (y + 1) * strides[0] + r->x,
        planes[1] + y / 2 * strides[1] + r->x / 2,
        planes[2] + y / 2 * strides[2] + r->x / 2);
  }
}

void
nemo_band_copy (const NemoBand * band, const guint8 * const src[3],
    const gint src_strides[3], guint8 * const dst[3],
    const gint dst_strides[3])
{
  const cairo_rectangle_int_t *r = &band->rect;
  gint plane, row;

  for (plane = 0; plane < 3; plane++) {
    gint shift = plane ? 1 : 0;

    for (row = r->y >> shift; row < (r->y + r->height) >> shift; row++)
      memcpy (dst[plane] + (gsize) row * dst_strides[plane]
          + (r->x >> shift), src[plane] + (gsize) row * src_strides[plane]
          + (r->x >> shift), r->width >> shift);
  }
}
