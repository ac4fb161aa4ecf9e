/* The drawn layers over the pictures: a visualizer (a "spectrum",
 * "waveform" or "circle" segment on a video track), track-info titles
 * ("title" segments on text tracks) and the lyrics ("lyric" segments,
 * lyrics.c), in that order, the lyrics on top;
 * over everything, the draft's fade from black at the start and to black at
 * the end (m.fade_in_ms, m.fade_out_ms), so the layers fade with the
 * pictures.
 *
 * Compositing, drawn where it changes (visualizer.h): the background is
 * the picture with the layers that are the same in every frame blended in
 * once, in yuv420p: the visualizer's backdrop (the wash under the bars,
 * the dimmed cover around the circle) and the titles shown throughout
 * without a fade.  It is made again only when the picture changes (a
 * clip, the next still) or the visualizer starts or stops.  Each frame is
 * then the background with, in their bands only, the visualizer's moving
 * part and the titles that change drawn with cairo into band-sized ARGB
 * surfaces and blended straight into the frame: the background's bytes
 * under the bands are copied back first, and nothing outside them is
 * touched, so the encoder codes those macroblocks as skips.
 * A fade darkens the whole frame, in yuv420p: black over it at 1 - gain is
 * luma towards 16 and chroma towards 128 (TV range), as ffmpeg's fade.
 *
 * Placement follows the frame's shape and the cover fitted in it (where
 * nemo_layout_draw() puts the picture shown first), so nothing hides the
 * cover's centre:
 *   bars, waveform  in the free area below the cover (portrait, 4:5) or a
 *                   band along the bottom of the frame (16:9, 1:1); above
 *                   the cover or along the top when a title is at the bottom
 *   circle          a ring around the cover's centre, bars outwards
 *   title           sty.place; by default top-left in landscape, top
 *                   (centred in the free area above the cover) otherwise
 * all inside the safe area (the frame less a platform's buttons and
 * captions, NemoSafeArea): the free areas and bands are measured in it, and
 * a band that finds no free area keeps off the middle half of the cover.
 * docs/visuals.md has the pictures.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "render-private.h"

#include <nemo/error.h>
#include <nemo/draft.h>
#include <nemo/media.h>
#include <libavutil/imgutils.h>
#include <libavutil/mem.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <string.h>

#define SPECTRUM_BANDS 64
#define MARGIN_SHARE 0.05       /* of the short side */
/* A free area above or below the cover smaller than this share of the
 * frame's height is too thin for the bars: they take a band instead. */
#define FREE_AREA_SHARE 0.15
#define BAND_SHARE 0.2          /* of the height: the bars' band */
#define FREE_BAND_SHARE 0.7     /* of a free area: the bars' band in it */
#define CIRCLE_REACH_SHARE 0.14 /* of the short side: the longest bar */
#define PALETTE_SIDE 40
#define PALETTE_CLUSTERS 5
#define PALETTE_ROUNDS 10

typedef enum
{
  PLACE_DEFAULT,
  PLACE_TOP,
  PLACE_BOTTOM,
  PLACE_CENTER,
  PLACE_TOP_LEFT,
  PLACE_TOP_RIGHT,
  PLACE_BOTTOM_LEFT,
  PLACE_BOTTOM_RIGHT,
} Place;

static const gchar *const place_names[] = {
  NULL, "top", "bottom", "center", "top-left", "top-right", "bottom-left",
  "bottom-right"
};

typedef struct
{
  gchar *text;
  Place place;
  gint64 start_us, end_us;      /* end: G_MAXINT64 to the end */
  gint64 fade_us;
  NemoTitle *title;
  gdouble x, y;
  NemoBand *band;               /* the panel's; NULL outside the frame */
  gboolean in_background;       /* shown throughout, the same: drawn once */
} TitleLayer;

struct _NemoOverlay
{
  gint width, height, fps_n, fps_d;
  cairo_rectangle_int_t safe;   /* where the layers may draw */
  gint64 duration_us;
  gint64 fade_in_us, fade_out_us;       /* from black, to black; 0: none */

  /* the visualizer */
  gboolean has_scope;
  gint64 scope_start_us, scope_end_us;
  NemoSpectrum *spectrum;
  NemoScope scope;
  NemoBand *backdrop_band, *scope_band; /* NULL outside the frame */

  GPtrArray *titles;            /* TitleLayer* */

  /* the lyrics, over the titles: their band is redrawn only when what
   * they show changes, or the frame or a band crossing theirs was */
  NemoLyricsView *lyrics;
  NemoBand *lyrics_band;        /* NULL outside the frame */
  gint64 lyrics_until_us;       /* the frame's lyrics hold until then */
  gboolean lyrics_crossed;      /* a band drawn per frame crosses theirs */

  const NemoSegment *cover;     /* the picture shown first, or NULL */
  gboolean prepared;
  /* the background, and what it was made of */
  AVFrame *background;
  AVFrame *picture;             /* a reference to the picture under it */
  gboolean background_scope;    /* with the visualizer's backdrop */
  AVFrame *frame;
  /* the frame is not the background outside the bands (it is new, the
   * background changed, or a fade darkened it) */
  gboolean frame_stale;
};

/* ---- the draft's layers ---- */

static gint64
segment_end_us (const NemoSegment * segment)
{
  return segment->duration_ms < 0 ? G_MAXINT64 :
      (MAX (segment->start_ms, 0) + segment->duration_ms) * 1000;
}

static gboolean
scope_kind_of (const NemoSegment * segment, NemoScopeKind * kind)
{
  if (g_strcmp0 (segment->kind, NEMO_SEGMENT_SPECTRUM) == 0)
    *kind = NEMO_SCOPE_SPECTRUM;
  else if (g_strcmp0 (segment->kind, NEMO_SEGMENT_WAVEFORM) == 0)
    *kind = NEMO_SCOPE_WAVEFORM;
  else if (g_strcmp0 (segment->kind, NEMO_SEGMENT_CIRCLE) == 0)
    *kind = NEMO_SCOPE_CIRCLE;
  else
    return FALSE;
  return TRUE;
}

/* A number or a string in @segment's style, or NULL. */
static JsonNode *
style_value (const NemoSegment * segment, const gchar * key, GType type)
{
  JsonNode *node;

  if (segment->style == NULL)
    return NULL;
  node = json_object_get_member (segment->style, key);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  if (type == G_TYPE_STRING)
    return json_node_get_value_type (node) == G_TYPE_STRING ? node : NULL;
  return json_node_get_value_type (node) == G_TYPE_INT64
      || json_node_get_value_type (node) == G_TYPE_DOUBLE ? node : NULL;
}

static Place
place_of (const NemoSegment * segment)
{
  JsonNode *node = style_value (segment, "place", G_TYPE_STRING);
  guint i;

  for (i = 1; node && i < G_N_ELEMENTS (place_names); i++)
    if (g_ascii_strcasecmp (json_node_get_string (node), place_names[i]) == 0)
      return (Place) i;
  return PLACE_DEFAULT;
}

/* sty.fade: ms; absent, the default: no fade */
static gint64
fade_us_of (const NemoSegment * segment)
{
  JsonNode *node = style_value (segment, "fade", G_TYPE_DOUBLE);

  if (node == NULL)
    return 0;
  return MAX (0, (gint64) llround (json_node_get_double (node))) * 1000;
}

static void
title_layer_free (TitleLayer * layer)
{
  g_free (layer->text);
  g_clear_pointer (&layer->title, nemo_title_free);
  nemo_band_free (layer->band);
  g_free (layer);
}

static void
add_title (NemoOverlay * overlay, const NemoSegment * segment)
{
  TitleLayer *layer;

  if (segment->text == NULL || segment->text[0] == '\0'
      || segment->duration_ms == 0)
    return;
  layer = g_new0 (TitleLayer, 1);
  layer->text = g_strdup (segment->text);
  layer->place = place_of (segment);
  layer->start_us = MAX (segment->start_ms, 0) * 1000;
  layer->end_us = segment_end_us (segment);
  layer->fade_us = fade_us_of (segment);
  g_ptr_array_add (overlay->titles, layer);
}

static gboolean
is_picture (const NemoSegment * segment)
{
  return (g_strcmp0 (segment->kind, NEMO_SEGMENT_STILL) == 0
      || g_strcmp0 (segment->kind, NEMO_SEGMENT_CLIP) == 0)
      && segment->source && segment->source[0] && segment->duration_ms != 0;
}

static void
read_segment (NemoOverlay * overlay, const NemoTrack * track,
    const NemoSegment * segment)
{
  NemoScopeKind kind;

  if (track->type == NEMO_TRACK_VIDEO && is_picture (segment)) {
    /* as the timeline: at equal starts the later segment wins */
    if (segment->start_ms <= 0)
      overlay->cover = segment;
  } else if (track->type == NEMO_TRACK_VIDEO
      && scope_kind_of (segment, &kind) && !overlay->has_scope
      && segment->duration_ms != 0) {
    overlay->has_scope = TRUE;
    overlay->scope.kind = kind;
    overlay->scope_start_us = MAX (segment->start_ms, 0) * 1000;
    overlay->scope_end_us = segment_end_us (segment);
  } else if (track->type == NEMO_TRACK_TEXT
      && g_strcmp0 (segment->kind, NEMO_SEGMENT_TITLE) == 0) {
    add_title (overlay, segment);
  }
}

/* The frame less @area's shares, in even pixels. */
static cairo_rectangle_int_t
safe_rectangle (gint width, gint height, const NemoSafeArea * area)
{
  gint left = (gint) lround (width * CLAMP (area->left, 0, 0.5) / 2) * 2;
  gint right = (gint) lround (width * CLAMP (area->right, 0, 0.5) / 2) * 2;
  gint top = (gint) lround (height * CLAMP (area->top, 0, 0.5) / 2) * 2;
  gint bottom = (gint) lround (height * CLAMP (area->bottom, 0, 0.5) / 2) * 2;

  return (cairo_rectangle_int_t) {
  left, top, width - left - right, height - top - bottom};
}

NemoOverlay *
nemo_overlay_new (const NemoDraft * draft, gint width, gint height,
    gint fps_n, gint fps_d, const NemoSafeArea * safe_area)
{
  NemoOverlay *overlay = g_new0 (NemoOverlay, 1);
  guint t, s;

  overlay->width = width;
  overlay->height = height;
  overlay->safe = safe_rectangle (width, height, safe_area);
  overlay->fps_n = fps_n;
  overlay->fps_d = fps_d;
  overlay->duration_us = G_MAXINT64;
  overlay->titles =
      g_ptr_array_new_with_free_func ((GDestroyNotify) title_layer_free);
  /* Only the fades the draft asks for: the fade out the soundtrack gives
   * background music by default is the sound's alone. */
  overlay->fade_in_us = MAX (nemo_draft_get_meta_int (draft, "fade_in_ms",
          0), 0) * 1000;
  overlay->fade_out_us = MAX (nemo_draft_get_meta_int (draft, "fade_out_ms",
          0), 0) * 1000;
  for (t = 0; t < draft->tracks->len; t++) {
    const NemoTrack *track = g_ptr_array_index (draft->tracks, t);

    for (s = 0; s < track->segments->len; s++)
      read_segment (overlay, track, g_ptr_array_index (track->segments, s));
  }
  overlay->lyrics = nemo_lyrics_view_new (draft, width, height,
      &overlay->safe);
  if (!overlay->has_scope && overlay->titles->len == 0
      && overlay->lyrics == NULL
      && overlay->fade_in_us == 0 && overlay->fade_out_us == 0) {
    nemo_overlay_free (overlay);
    return NULL;
  }
  if (overlay->has_scope)
    overlay->spectrum = nemo_spectrum_new (fps_n, fps_d, SPECTRUM_BANDS);
  return overlay;
}

void
nemo_overlay_free (NemoOverlay * overlay)
{
  if (overlay == NULL)
    return;
  g_clear_pointer (&overlay->spectrum, nemo_spectrum_free);
  nemo_band_free (overlay->backdrop_band);
  nemo_band_free (overlay->scope_band);
  g_ptr_array_unref (overlay->titles);
  g_clear_pointer (&overlay->lyrics, nemo_lyrics_view_free);
  nemo_band_free (overlay->lyrics_band);
  av_frame_free (&overlay->background);
  av_frame_free (&overlay->picture);
  av_frame_free (&overlay->frame);
  g_free (overlay);
}

NemoSpectrum *
nemo_overlay_get_spectrum (NemoOverlay * overlay)
{
  return overlay->spectrum;
}

const NemoScope *
nemo_overlay_get_scope (NemoOverlay * overlay)
{
  return overlay->has_scope && overlay->prepared ? &overlay->scope : NULL;
}

void
nemo_overlay_set_duration (NemoOverlay * overlay, gint64 duration_us)
{
  overlay->duration_us = duration_us;
}

gint64
nemo_overlay_static_until (NemoOverlay * overlay, gint64 t_us)
{
  gint64 end = G_MAXINT64;
  guint i;

  /* lyrics change at their own times: never a run of still frames */
  if (overlay->fade_in_us > 0 || overlay->fade_out_us > 0
      || overlay->lyrics != NULL)
    return t_us;
  if (overlay->has_scope && overlay->scope_start_us < overlay->duration_us
      && overlay->scope_end_us > t_us) {
    if (overlay->scope_start_us <= t_us)
      return t_us;
    end = overlay->scope_start_us;
  }
  for (i = 0; i < overlay->titles->len; i++) {
    TitleLayer *layer = g_ptr_array_index (overlay->titles, i);

    if (layer->start_us >= overlay->duration_us || layer->end_us <= t_us)
      continue;                 /* never shown, or over */
    if (layer->start_us > t_us)
      end = MIN (end, layer->start_us);
    else if (layer->fade_us > 0)
      return t_us;
    else
      end = MIN (end, layer->end_us);
  }
  return end;
}

/* ---- the palette ---- */

static void
rgb_to_hsl (const gdouble rgb[3], gdouble * h, gdouble * s, gdouble * l)
{
  gdouble max = MAX (rgb[0], MAX (rgb[1], rgb[2]));
  gdouble min = MIN (rgb[0], MIN (rgb[1], rgb[2]));
  gdouble d = max - min;

  *l = (max + min) / 2;
  *s = d < 1e-6 ? 0 : d / (1 - fabs (2 * *l - 1));
  if (d < 1e-6)
    *h = 0;
  else if (max == rgb[0])
    *h = fmod ((rgb[1] - rgb[2]) / d + 6, 6);
  else if (max == rgb[1])
    *h = (rgb[2] - rgb[0]) / d + 2;
  else
    *h = (rgb[0] - rgb[1]) / d + 4;
  *h *= 60;
}

static void
hsl_to_rgb (gdouble h, gdouble s, gdouble l, gdouble rgb[3])
{
  gdouble c = (1 - fabs (2 * l - 1)) * s;
  gdouble x = c * (1 - fabs (fmod (h / 60, 2) - 1));
  gdouble m = l - c / 2;
  gint sector = ((gint) (h / 60)) % 6;
  const gdouble table[6][3] = {
    {c, x, 0}, {x, c, 0}, {0, c, x}, {0, x, c}, {x, 0, c}, {c, 0, x}
  };

  rgb[0] = table[sector][0] + m;
  rgb[1] = table[sector][1] + m;
  rgb[2] = table[sector][2] + m;
}

/* A vibrant colour counts more than a large dull one. */
static gdouble
vibrancy (const gdouble rgb[3], gdouble share)
{
  gdouble h, s, l;

  rgb_to_hsl (rgb, &h, &s, &l);
  return share * (0.1 + s) * (0.1 + s) * MAX (0.1, 1 - fabs (l - 0.5) * 1.6);
}

/* k-means over the picture's pixels, seeded at luma quantiles so the
 * result does not depend on chance. */
static void
dominant_colour (const guint8 * rgb, gint n, gdouble best[3])
{
  gdouble centres[PALETTE_CLUSTERS][3], sums[PALETTE_CLUSTERS][4];
  g_autofree gint *order = g_new (gint, n);
  g_autofree gdouble *luma = g_new (gdouble, n);
  gdouble best_score = -1;
  gint i, j, k, round;

  for (i = 0; i < n; i++) {
    const guint8 *p = rgb + 3 * i;

    luma[i] = 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
    order[i] = i;
  }
  /* insertion sort: a few hundred pixels */
  for (i = 1; i < n; i++)
    for (j = i; j > 0 && luma[order[j - 1]] > luma[order[j]]; j--) {
      gint swap = order[j];
      order[j] = order[j - 1];
      order[j - 1] = swap;
    }
  for (k = 0; k < PALETTE_CLUSTERS; k++)
    for (j = 0; j < 3; j++)
      centres[k][j] = rgb[3 * order[(2 * k + 1) * n / (2 * PALETTE_CLUSTERS)]
          + j] / 255.0;

  for (round = 0; round <= PALETTE_ROUNDS; round++) {
    memset (sums, 0, sizeof (sums));
    for (i = 0; i < n; i++) {
      gdouble p[3] = { rgb[3 * i] / 255.0, rgb[3 * i + 1] / 255.0,
        rgb[3 * i + 2] / 255.0
      };
      gdouble nearest = G_MAXDOUBLE;
      gint c = 0;

      for (k = 0; k < PALETTE_CLUSTERS; k++) {
        gdouble d = 0;
        for (j = 0; j < 3; j++)
          d += (p[j] - centres[k][j]) * (p[j] - centres[k][j]);
        if (d < nearest) {
          nearest = d;
          c = k;
        }
      }
      for (j = 0; j < 3; j++)
        sums[c][j] += p[j];
      sums[c][3] += 1;
    }
    for (k = 0; k < PALETTE_CLUSTERS; k++)
      for (j = 0; j < 3 && sums[k][3] > 0; j++)
        centres[k][j] = sums[k][j] / sums[k][3];
  }

  for (k = 0; k < PALETTE_CLUSTERS; k++) {
    gdouble score = vibrancy (centres[k], sums[k][3] / n);

    if (score > best_score) {
      best_score = score;
      memcpy (best, centres[k], sizeof (centres[k]));
    }
  }
}

/* The cover's most vibrant colour, pushed to a saturation and lightness
 * that read on the dark fill; a grey cover gives white. */
static gboolean
make_palette (const AVFrame * picture, NemoPalette * palette, GError ** error)
{
  guint8 *rgb[4] = { NULL };
  gint linesize[4];
  struct SwsContext *sws;
  gdouble colour[3], h, s, l;
  gint ret;

  sws = sws_getContext (picture->width, picture->height, picture->format,
      PALETTE_SIDE, PALETTE_SIDE, AV_PIX_FMT_RGB24, SWS_AREA, NULL, NULL,
      NULL);
  ret = sws ? av_image_alloc (rgb, linesize, PALETTE_SIDE, PALETTE_SIDE,
      AV_PIX_FMT_RGB24, 1) : AVERROR (ENOMEM);
  if (ret < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Could not scale the cover to pick the overlay's colours (%s).",
        av_err2str (ret));
    sws_freeContext (sws);
    return FALSE;
  }
  sws_setColorspaceDetails (sws, sws_getCoefficients (SWS_CS_ITU709), 0,
      sws_getCoefficients (SWS_CS_ITU709), 1, 0, 1 << 16, 1 << 16);
  sws_scale (sws, (const uint8_t * const *) picture->data, picture->linesize,
      0, picture->height, rgb, linesize);
  sws_freeContext (sws);
  dominant_colour (rgb[0], PALETTE_SIDE * PALETTE_SIDE, colour);
  av_freep (&rgb[0]);

  rgb_to_hsl (colour, &h, &s, &l);
  if (s < 0.12) {
    hsl_to_rgb (h, 0, 0.9, palette->primary);
    hsl_to_rgb (h, 0, 1, palette->accent);
    hsl_to_rgb (h, 0, 0.06, palette->shade);
    return TRUE;
  }
  s = MAX (s, 0.65);
  hsl_to_rgb (h, s, CLAMP (l, 0.52, 0.62), palette->primary);
  hsl_to_rgb (h, s * 0.9, 0.84, palette->accent);
  hsl_to_rgb (h, 0.45, 0.07, palette->shade);
  return TRUE;
}

/* ---- placement ---- */

static Place
resolve_place (const NemoOverlay * overlay, Place place)
{
  if (place != PLACE_DEFAULT)
    return place;
  return overlay->width > overlay->height ? PLACE_TOP_LEFT : PLACE_TOP;
}

static gboolean
place_is_bottom (Place place)
{
  return place == PLACE_BOTTOM || place == PLACE_BOTTOM_LEFT
      || place == PLACE_BOTTOM_RIGHT;
}

/* Where the cover is: fitted as nemo_layout_draw() puts it, or the whole
 * frame without a picture. */
static gboolean
find_cover (const NemoOverlay * overlay, cairo_rectangle_int_t * cover,
    GError ** error)
{
  g_autoptr (NemoMediaInfo) info = NULL;

  *cover = (cairo_rectangle_int_t) {
  0, 0, overlay->width, overlay->height};
  if (overlay->cover == NULL)
    return TRUE;
  info = nemo_media_probe (overlay->cover->source, error);
  if (info == NULL)
    return FALSE;
  nemo_layout_fit (overlay->width, overlay->height, info->width, info->height,
      cover);
  return TRUE;
}

/* A title's lines line up with the frame's side it sits at. */
static NemoTitleAlign
title_align (Place place)
{
  if (place == PLACE_TOP_LEFT || place == PLACE_BOTTOM_LEFT)
    return NEMO_TITLE_ALIGN_LEFT;
  if (place == PLACE_TOP_RIGHT || place == PLACE_BOTTOM_RIGHT)
    return NEMO_TITLE_ALIGN_RIGHT;
  return NEMO_TITLE_ALIGN_CENTER;
}

/* The bars' band when no free area takes it: along the safe area's top or
 * bottom, off the middle half of the cover. */
static void
place_band_on_edge (NemoScope * scope, const cairo_rectangle_int_t * safe,
    const cairo_rectangle_int_t * cover, gdouble margin, gdouble height,
    gboolean at_top)
{
  gdouble middle_top = cover->y + cover->height / 4.0;
  gdouble middle_bottom = cover->y + cover->height * 3 / 4.0;

  if (at_top) {
    scope->band.y = safe->y + margin * 0.6;
    scope->band.height = MIN (height, middle_top - scope->band.y);
  } else {
    gdouble bottom = safe->y + safe->height - margin * 0.6;

    scope->band.height = MIN (height, bottom - middle_bottom);
    scope->band.y = bottom - scope->band.height;
  }
}

static void
place_scope (NemoOverlay * overlay, const cairo_rectangle_int_t * cover,
    gboolean title_at_bottom)
{
  NemoScope *scope = &overlay->scope;
  const cairo_rectangle_int_t *safe = &overlay->safe;
  gdouble w = overlay->width, h = overlay->height, short_side = MIN (w, h);
  gdouble margin = short_side * MARGIN_SHARE;
  gdouble free_below = safe->y + safe->height - (cover->y + cover->height);
  gdouble free_above = cover->y - safe->y;
  gdouble free = title_at_bottom ? free_above : free_below;

  scope->frame_width = overlay->width;
  scope->frame_height = overlay->height;
  scope->scale = short_side / 1080.0;
  scope->cover = (cairo_rectangle_t) {
  cover->x, cover->y, cover->width, cover->height};
  scope->cx = cover->x + cover->width / 2.0;
  scope->cy = cover->y + cover->height / 2.0;
  scope->reach = short_side * CIRCLE_REACH_SHARE;
  scope->radius = MIN (MIN (cover->width, cover->height) / 2.0 * 0.92,
      short_side / 2 - scope->reach - margin / 2);

  scope->hang = title_at_bottom;
  scope->band.x = safe->x + margin;
  scope->band.width = safe->width - 2 * margin;
  if (free >= h * FREE_AREA_SHARE) {
    scope->band.height = free * FREE_BAND_SHARE;
    scope->band.y = (title_at_bottom ? safe->y : safe->y + safe->height - free)
        + (free - scope->band.height) / 2;
  } else {
    place_band_on_edge (scope, safe, cover, margin, h * BAND_SHARE,
        title_at_bottom);
  }
}

static void
place_title (const NemoOverlay * overlay, TitleLayer * layer,
    const cairo_rectangle_int_t * cover)
{
  const cairo_rectangle_int_t *safe = &overlay->safe;
  gint margin = (gint) lround (MIN (overlay->width, overlay->height)
      * MARGIN_SHARE);
  gint top = safe->y, bottom = safe->y + safe->height;
  gint free_above = cover->y - top, free_below = bottom - (cover->y
      + cover->height);
  gint tw, th;

  Place place = resolve_place (overlay, layer->place);
  gboolean left = place == PLACE_TOP_LEFT || place == PLACE_BOTTOM_LEFT;
  gboolean right = place == PLACE_TOP_RIGHT || place == PLACE_BOTTOM_RIGHT;

  nemo_title_get_size (layer->title, &tw, &th);
  layer->x = left ? safe->x + margin : right ? safe->x + safe->width
      - margin - tw : safe->x + (safe->width - tw) / 2;
  if (place == PLACE_TOP)
    /* centred in the free area above the cover when it fits there */
    layer->y = free_above >= th + margin ? top + (free_above - th) / 2
        : top + margin;
  else if (place == PLACE_BOTTOM)
    layer->y = free_below >= th + margin ? bottom - free_below
        + (free_below - th) / 2 : bottom - margin - th;
  else if (place == PLACE_CENTER)
    layer->y = top + (safe->height - th) / 2;
  else
    layer->y = place_is_bottom (place) ? bottom - margin - th : top + margin;
}

/* ---- drawing ---- */

static AVFrame *
new_frame (const NemoOverlay * overlay, GError ** error)
{
  AVFrame *frame = av_frame_alloc ();

  if (frame != NULL) {
    frame->format = AV_PIX_FMT_YUV420P;
    frame->width = overlay->width;
    frame->height = overlay->height;
  }
  if (frame == NULL || av_frame_get_buffer (frame, 0) < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Out of memory for a %dx%d frame.", overlay->width, overlay->height);
    av_frame_free (&frame);
  }
  return frame;
}

static gboolean
title_is_constant (const NemoOverlay * overlay, const TitleLayer * layer)
{
  return layer->start_us <= 0 && layer->end_us >= overlay->duration_us
      && layer->fade_us == 0;
}

static gboolean
bands_overlap (const NemoBand * a, const NemoBand * b)
{
  const cairo_rectangle_int_t *r, *q;

  if (a == NULL || b == NULL)
    return FALSE;
  r = nemo_band_get_rect (a);
  q = nemo_band_get_rect (b);
  return r->x < q->x + q->width
      && q->x < r->x + r->width && r->y < q->y + q->height
      && q->y < r->y + r->height;
}

/* A title goes into the background when it never changes and nothing
 * drawn per frame (the visualizer under it, a changing title under or over
 * it) crosses its panel: the layers keep their order. */
static void
pick_background_titles (NemoOverlay * overlay)
{
  gboolean changed = TRUE;
  guint i, j;

  for (i = 0; i < overlay->titles->len; i++) {
    TitleLayer *layer = g_ptr_array_index (overlay->titles, i);

    layer->in_background = layer->band != NULL
        && title_is_constant (overlay, layer)
        && !bands_overlap (layer->band, overlay->scope_band);
  }
  while (changed) {
    changed = FALSE;
    for (i = 0; i < overlay->titles->len; i++) {
      TitleLayer *layer = g_ptr_array_index (overlay->titles, i);

      for (j = 0; j < overlay->titles->len && layer->in_background; j++) {
        TitleLayer *other = g_ptr_array_index (overlay->titles, j);

        if (!other->in_background && bands_overlap (layer->band, other->band)) {
          layer->in_background = FALSE;
          changed = TRUE;
        }
      }
    }
  }
}

/* The lyrics' band, and whether a band redrawn every frame (the
 * visualizer, a changing title) crosses it: then the lyrics are too. */
static void
prepare_lyrics (NemoOverlay * overlay)
{
  cairo_rectangle_int_t bounds;
  guint i;

  nemo_lyrics_view_get_bounds (overlay->lyrics, &bounds);
  overlay->lyrics_band = nemo_band_new (&bounds, overlay->width,
      overlay->height);
  overlay->lyrics_crossed = bands_overlap (overlay->lyrics_band,
      overlay->scope_band);
  for (i = 0; i < overlay->titles->len; i++) {
    TitleLayer *layer = g_ptr_array_index (overlay->titles, i);

    overlay->lyrics_crossed |= !layer->in_background
        && bands_overlap (overlay->lyrics_band, layer->band);
  }
}

static gboolean
prepare (NemoOverlay * overlay, const AVFrame * picture, GError ** error)
{
  cairo_rectangle_int_t cover, bounds;
  NemoPalette palette;
  gboolean title_at_bottom = FALSE;
  guint i;

  if (!find_cover (overlay, &cover, error)
      || !make_palette (picture, &palette, error))
    return FALSE;

  for (i = 0; i < overlay->titles->len; i++) {
    TitleLayer *layer = g_ptr_array_index (overlay->titles, i);
    gint tw, th;

    layer->title = nemo_title_new (layer->text, overlay->safe.width,
        overlay->safe.height, title_align (resolve_place (overlay, layer->place)),
        error);
    if (layer->title == NULL)
      return FALSE;
    place_title (overlay, layer, &cover);
    nemo_title_get_size (layer->title, &tw, &th);
    bounds = (cairo_rectangle_int_t) {
    (gint) floor (layer->x), (gint) floor (layer->y), tw + 1, th + 1};
    layer->band = nemo_band_new (&bounds, overlay->width, overlay->height);
    title_at_bottom |= place_is_bottom (resolve_place (overlay, layer->place));
  }

  if (overlay->has_scope) {
    overlay->scope.palette = palette;
    place_scope (overlay, &cover, title_at_bottom);
    nemo_scope_get_backdrop_bounds (&overlay->scope, &bounds);
    overlay->backdrop_band = nemo_band_new (&bounds, overlay->width,
        overlay->height);
    nemo_scope_get_bounds (&overlay->scope, &bounds);
    overlay->scope_band = nemo_band_new (&bounds, overlay->width,
        overlay->height);
  }
  pick_background_titles (overlay);
  if (overlay->lyrics)
    prepare_lyrics (overlay);

  overlay->background = new_frame (overlay, error);
  overlay->frame = overlay->background ? new_frame (overlay, error) : NULL;
  if (overlay->frame == NULL)
    return FALSE;
  overlay->picture = av_frame_alloc ();
  if (overlay->picture == NULL) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Out of memory for the overlay (%s).", av_err2str (AVERROR (ENOMEM)));
    return FALSE;
  }
  overlay->prepared = TRUE;
  return TRUE;
}

static gdouble
title_opacity (const NemoOverlay * overlay, const TitleLayer * layer,
    gint64 t_us)
{
  gint64 end_us = MIN (layer->end_us, overlay->duration_us);
  gdouble opacity = 1;

  if (t_us < layer->start_us || t_us >= end_us)
    return 0;
  if (layer->fade_us > 0) {
    opacity = MIN ((gdouble) (t_us - layer->start_us) / layer->fade_us,
        (gdouble) (end_us - t_us) / layer->fade_us);
    opacity = CLAMP (opacity, 0, 1);
  }
  return opacity;
}

/* ---- the fades ---- */

/* When frame @index is shown, as render.c times it. */
static gint64
frame_time_us (const NemoOverlay * overlay, gint64 index)
{
  return av_rescale (index, (gint64) G_USEC_PER_SEC * overlay->fps_d,
      overlay->fps_n);
}

/* How much of the picture frame @index shows, 0 (black) to 1: the first
 * frame is black, and the last, which ends with the sound. */
static gdouble
fade_gain (const NemoOverlay * overlay, gint64 index)
{
  gint64 since_start_us = frame_time_us (overlay, index);
  gint64 after_end_us = overlay->duration_us - frame_time_us (overlay,
      index + 1);
  gdouble gain = 1;

  if (overlay->fade_in_us > 0)
    gain = MIN (gain, (gdouble) since_start_us / overlay->fade_in_us);
  if (overlay->fade_out_us > 0)
    gain = MIN (gain, (gdouble) after_end_us / overlay->fade_out_us);
  return CLAMP (gain, 0, 1);
}

/* Each byte of @plane's @width x @height pixels towards @black by @gain. */
static void
fade_plane (guint8 * plane, gint linesize, gint width, gint height,
    guint8 black, gdouble gain)
{
  guint8 table[256];
  gint v, x, y;

  for (v = 0; v < 256; v++)
    table[v] = (guint8) CLAMP (lround (black + (v - black) * gain), 0, 255);
  for (y = 0; y < height; y++) {
    guint8 *row = plane + (gsize) y * linesize;

    for (x = 0; x < width; x++)
      row[x] = table[row[x]];
  }
}

static void
fade_frame (AVFrame * frame, gdouble gain)
{
  gint chroma_width = (frame->width + 1) / 2;
  gint chroma_height = (frame->height + 1) / 2;

  fade_plane (frame->data[0], frame->linesize[0], frame->width,
      frame->height, 16, gain);
  fade_plane (frame->data[1], frame->linesize[1], chroma_width,
      chroma_height, 128, gain);
  fade_plane (frame->data[2], frame->linesize[2], chroma_width,
      chroma_height, 128, gain);
}

/* ---- the background and the bands ---- */

/* The picture under the background is shown again: the same buffers.
 * The overlay holds a reference to them, so they cannot have been freed
 * and reused for another picture meanwhile, and a referenced buffer is
 * not written to (FFmpeg's rule: only a frame's sole owner writes). */
static gboolean
same_picture (const AVFrame * picture, const AVFrame * last)
{
  gint plane;

  if (last->buf[0] == NULL)
    return FALSE;               /* none yet */
  for (plane = 0; plane < 3; plane++)
    if (picture->data[plane] != last->data[plane]
        || picture->linesize[plane] != last->linesize[plane])
      return FALSE;
  return TRUE;
}

/* @layer's title at @opacity, drawn into its band and blended over
 * @frame. */
static void
blend_title (TitleLayer * layer, gdouble opacity, AVFrame * frame)
{
  cairo_t *cr = nemo_band_begin (layer->band);

  nemo_title_draw (layer->title, cr, layer->x, layer->y, opacity);
  cairo_destroy (cr);
  nemo_band_blend (layer->band, frame->data, frame->linesize);
}

/* The background for @picture, made again only when it is a new picture
 * or the visualizer's backdrop comes or goes. */
static gboolean
update_background (NemoOverlay * overlay, const AVFrame * picture,
    gboolean scope_on, GError ** error)
{
  AVFrame *background = overlay->background;
  guint i;

  if (overlay->background_scope == scope_on
      && same_picture (picture, overlay->picture))
    return TRUE;
  av_frame_unref (overlay->picture);
  if (av_frame_ref (overlay->picture, picture) < 0
      || av_frame_copy (background, picture) < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Could not copy a %dx%d picture for the overlay.", picture->width,
        picture->height);
    return FALSE;
  }
  if (scope_on && overlay->backdrop_band) {
    cairo_t *cr = nemo_band_begin (overlay->backdrop_band);

    nemo_scope_draw_backdrop (&overlay->scope, cr);
    cairo_destroy (cr);
    nemo_band_blend (overlay->backdrop_band, background->data,
        background->linesize);
  }
  for (i = 0; i < overlay->titles->len; i++) {
    TitleLayer *layer = g_ptr_array_index (overlay->titles, i);

    if (layer->in_background)
      blend_title (layer, 1, background);
  }
  overlay->background_scope = scope_on;
  overlay->frame_stale = TRUE;
  return TRUE;
}

/* The frame as the background, copying only what the bands changed when
 * the rest is still the background's; the lyrics' band only when
 * @lyrics_change. */
static void
restore_background (NemoOverlay * overlay, AVFrame * frame,
    gboolean lyrics_change)
{
  const AVFrame *background = overlay->background;
  guint i;

  if (overlay->frame_stale) {
    av_frame_copy (frame, background);
    overlay->frame_stale = FALSE;
    return;
  }
  if (overlay->scope_band)
    nemo_band_copy (overlay->scope_band,
        (const guint8 * const *) background->data, background->linesize,
        frame->data, frame->linesize);
  for (i = 0; i < overlay->titles->len; i++) {
    TitleLayer *layer = g_ptr_array_index (overlay->titles, i);

    if (layer->band && !layer->in_background)
      nemo_band_copy (layer->band, (const guint8 * const *) background->data,
          background->linesize, frame->data, frame->linesize);
  }
  if (lyrics_change)
    nemo_band_copy (overlay->lyrics_band,
        (const guint8 * const *) background->data, background->linesize,
        frame->data, frame->linesize);
}

/* Whether frame @t_us must redraw the lyrics: what they show changed, the
 * frame is the background again, or a band under or over them changed. */
static gboolean
lyrics_change (NemoOverlay * overlay, gint64 t_us)
{
  if (overlay->lyrics_band == NULL)
    return FALSE;
  if (t_us < overlay->lyrics_until_us && !overlay->frame_stale
      && !overlay->lyrics_crossed)
    return FALSE;
  overlay->lyrics_until_us = nemo_lyrics_view_next_change (overlay->lyrics,
      t_us);
  return TRUE;
}

static void
blend_lyrics (NemoOverlay * overlay, gint64 t_us, AVFrame * frame)
{
  cairo_t *cr = nemo_band_begin (overlay->lyrics_band);

  nemo_lyrics_view_draw (overlay->lyrics, cr, t_us);
  cairo_destroy (cr);
  nemo_band_blend (overlay->lyrics_band, frame->data, frame->linesize);
}

AVFrame *
nemo_overlay_draw (NemoOverlay * overlay, const AVFrame * picture,
    gint64 index, GError ** error)
{
  gint64 t_us = frame_time_us (overlay, index);
  gdouble gain = fade_gain (overlay, index);
  gboolean scope_on = overlay->has_scope && t_us >= overlay->scope_start_us
      && t_us < overlay->scope_end_us;
  AVFrame *frame;
  gboolean redraw_lyrics;
  guint i;

  if (!overlay->prepared && !prepare (overlay, picture, error))
    return NULL;
  if (!update_background (overlay, picture, scope_on, error))
    return NULL;
  frame = overlay->frame;
  if (av_frame_make_writable (frame) < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Out of memory for a %dx%d frame.", overlay->width, overlay->height);
    return NULL;
  }
  redraw_lyrics = lyrics_change (overlay, t_us);
  restore_background (overlay, frame, redraw_lyrics);
  av_frame_copy_props (frame, picture);

  if (scope_on && overlay->scope_band) {
    cairo_t *cr = nemo_band_begin (overlay->scope_band);

    nemo_scope_draw (&overlay->scope, cr,
        nemo_spectrum_get (overlay->spectrum, index));
    cairo_destroy (cr);
    nemo_band_blend (overlay->scope_band, frame->data, frame->linesize);
  }
  for (i = 0; i < overlay->titles->len; i++) {
    TitleLayer *layer = g_ptr_array_index (overlay->titles, i);
    gdouble opacity = title_opacity (overlay, layer, t_us);

    if (opacity > 0 && layer->band && !layer->in_background)
      blend_title (layer, opacity, frame);
  }
  if (redraw_lyrics)
    blend_lyrics (overlay, t_us, frame);
  if (gain < 1) {
    fade_frame (frame, gain);
    overlay->frame_stale = TRUE;
  }
  return frame;
}

/* The same layers in the same order (the backdrop, the titles drawn into
 * the background, the visualizer, the other titles), painted with cairo
 * instead of blended into a picture. */
gboolean
nemo_overlay_paint (NemoOverlay * overlay, const AVFrame * picture,
    cairo_t * cr, gint64 index, GError ** error)
{
  gint64 t_us = frame_time_us (overlay, index);
  gboolean scope_on = overlay->has_scope && t_us >= overlay->scope_start_us
      && t_us < overlay->scope_end_us;
  gint pass;
  guint i;

  if (!overlay->prepared && !prepare (overlay, picture, error))
    return FALSE;
  if (scope_on)
    nemo_scope_draw_backdrop (&overlay->scope, cr);
  for (pass = 0; pass < 2; pass++) {
    if (pass == 1 && scope_on)
      nemo_scope_draw (&overlay->scope, cr,
          nemo_spectrum_get (overlay->spectrum, index));
    for (i = 0; i < overlay->titles->len; i++) {
      TitleLayer *layer = g_ptr_array_index (overlay->titles, i);
      gdouble opacity = title_opacity (overlay, layer, t_us);

      if (opacity > 0 && layer->in_background == (pass == 0))
        nemo_title_draw (layer->title, cr, layer->x, layer->y, opacity);
    }
  }
  return TRUE;
}
