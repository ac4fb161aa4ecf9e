/* A live scene: the renderer's look (the cover over its blurred fill, a
 * visualizer, the track-info panel) drawn frame by frame from audio as it
 * comes, for a live element.
 *
 * A look is a small draft (a still, a visualizer, a title) drawn by the
 * same timeline and overlay as a render, so the two cannot drift apart.
 * The overlay's analysis keeps only its newest frame: a scene runs for
 * days in flat memory.  A new look (the next song) cross-fades from the
 * old one; both are drawn, and fed audio, until the fade ends.
 *
 * Transparent frames paint the same layers with cairo onto a clear
 * canvas instead (nemo_overlay_paint()), without the picture under them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "render-private.h"

#include <nemo/error.h>
#include <libavutil/imgutils.h>

typedef struct
{
  NemoDraft *draft;
  NemoTimeline *timeline;       /* the cover, or NULL for a colour */
  AVFrame *plain;               /* the colour, or NULL */
  const AVFrame *picture;       /* the background: the timeline's or plain */
  NemoOverlay *overlay;         /* NULL when nothing is drawn over it */
} Look;

struct _NemoScene
{
  gint width, height, fps_n, fps_d;
  cairo_surface_t *canvas;      /* ARGB32, for transparent frames */
  Look *look;
  Look *previous;               /* fading out, or NULL */
  gint fade_frames, fade_done;
};

static void
look_free (Look * look)
{
  if (look == NULL)
    return;
  nemo_overlay_free (look->overlay);
  nemo_timeline_free (look->timeline);
  av_frame_free (&look->plain);
  nemo_draft_free (look->draft);
  g_free (look);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Look, look_free)

static NemoDraft *
draft_of (const NemoSceneLook * look)
{
  NemoDraft *draft = nemo_draft_new ();
  g_autofree gchar *text = NULL;

  if (look->cover && look->background != NEMO_SCENE_BACKGROUND_COLOR)
    nemo_track_add_segment (nemo_draft_add_track (draft, NEMO_TRACK_VIDEO),
        NEMO_SEGMENT_STILL)->source = g_strdup (look->cover);
  if (look->scope)
    nemo_track_add_segment (nemo_draft_add_track (draft, NEMO_TRACK_VIDEO),
        look->scope);
  nemo_draft_set_meta_string (draft, "title", look->title);
  nemo_draft_set_meta_string (draft, "artist", look->artist);
  text = nemo_draft_get_track_info (draft);
  if (text) {
    NemoSegment *title = nemo_track_add_segment (nemo_draft_add_track (draft,
            NEMO_TRACK_TEXT), NEMO_SEGMENT_TITLE);

    title->text = g_steal_pointer (&text);
    if (look->text_place) {
      title->style = json_object_new ();
      json_object_set_string_member (title->style, "place", look->text_place);
    }
  }
  return draft;
}

static Look *
look_new (const NemoScene * scene, const NemoSceneLook * spec,
    GError ** error)
{
  g_autoptr (Look) look = g_new0 (Look, 1);
  const NemoSafeArea whole = { 0, };

  /* transparent: the cover is not shown, but still gives the colours */
  look->draft = draft_of (spec);
  if (spec->background == NEMO_SCENE_BACKGROUND_COLOR) {
    look->plain = nemo_layout_plain_frame (scene->width, scene->height,
        spec->color, error);
    look->picture = look->plain;
  } else {
    look->timeline = nemo_timeline_new (look->draft, scene->width,
        scene->height, error);
    look->picture = look->timeline ?
        nemo_timeline_frame_at (look->timeline, 0, error) : NULL;
  }
  if (look->picture == NULL)
    return NULL;
  look->overlay = nemo_overlay_new (look->draft, scene->width, scene->height,
      scene->fps_n, scene->fps_d, spec->safe_area ? spec->safe_area : &whole);
  if (look->overlay && nemo_overlay_get_spectrum (look->overlay))
    nemo_spectrum_keep_newest (nemo_overlay_get_spectrum (look->overlay));
  return g_steal_pointer (&look);
}

NemoScene *
nemo_scene_new (gint width, gint height, gint fps_n, gint fps_d,
    const NemoSceneLook * look, GError ** error)
{
  g_autoptr (NemoScene) scene = g_new0 (NemoScene, 1);

  g_return_val_if_fail (width > 0 && height > 0 && fps_n > 0 && fps_d > 0,
      NULL);

  g_return_val_if_fail (width % 2 == 0 && height % 2 == 0, NULL);

  scene->width = width;
  scene->height = height;
  scene->fps_n = fps_n;
  scene->fps_d = fps_d;
  scene->look = look_new (scene, look, error);
  return scene->look ? g_steal_pointer (&scene) : NULL;
}

gboolean
nemo_scene_set_look (NemoScene * scene, const NemoSceneLook * look,
    gint64 fade_us, GError ** error)
{
  Look *next = look_new (scene, look, error);

  if (next == NULL)
    return FALSE;
  look_free (scene->previous);
  scene->previous = scene->look;
  scene->look = next;
  scene->fade_frames = (gint) av_rescale (MAX (fade_us, 0), scene->fps_n,
      (gint64) G_USEC_PER_SEC * scene->fps_d);
  scene->fade_done = 0;
  if (scene->fade_frames == 0)
    g_clear_pointer (&scene->previous, look_free);
  return TRUE;
}

static void
look_push_audio (Look * look, const gfloat * interleaved_stereo,
    gsize n_frames)
{
  NemoSpectrum *spectrum = look && look->overlay ?
      nemo_overlay_get_spectrum (look->overlay) : NULL;

  if (spectrum)
    nemo_spectrum_push (spectrum, interleaved_stereo, n_frames);
}

void
nemo_scene_push_audio (NemoScene * scene, const gfloat * interleaved_stereo,
    gsize n_frames)
{
  look_push_audio (scene->look, interleaved_stereo, n_frames);
  look_push_audio (scene->previous, interleaved_stereo, n_frames);
}

/* The look over its background, with the newest analysis. */
static const AVFrame *
look_draw (Look * look, GError ** error)
{
  NemoSpectrum *spectrum;

  if (look->overlay == NULL)
    return look->picture;
  spectrum = nemo_overlay_get_spectrum (look->overlay);
  return nemo_overlay_draw (look->overlay, look->picture,
      spectrum ? MAX (nemo_spectrum_get_n_frames (spectrum) - 1, 0) : 0,
      error);
}

/* @dst towards @src by @weight / 256, @width x @height bytes. */
static void
mix_plane (guint8 * dst, gint dst_stride, const guint8 * src,
    gint src_stride, gint width, gint height, guint weight)
{
  gint x, y;

  for (y = 0; y < height; y++) {
    guint8 *d = dst + (gsize) y * dst_stride;
    const guint8 *s = src + (gsize) y * src_stride;

    for (x = 0; x < width; x++)
      d[x] = (guint8) ((d[x] * (256 - weight) + s[x] * weight + 128) >> 8);
  }
}

static void
copy_frame (const AVFrame * frame, guint8 * const planes[3],
    const gint strides[3])
{
  gint p;

  for (p = 0; p < 3; p++)
    av_image_copy_plane (planes[p], strides[p], frame->data[p],
        frame->linesize[p], p ? frame->width / 2 : frame->width,
        p ? frame->height / 2 : frame->height);
}

gboolean
nemo_scene_draw (NemoScene * scene, guint8 * const planes[3],
    const gint strides[3], GError ** error)
{
  const AVFrame *frame;
  guint weight;
  gint p;

  if (scene->previous == NULL) {
    frame = look_draw (scene->look, error);
    if (frame)
      copy_frame (frame, planes, strides);
    return frame != NULL;
  }

  frame = look_draw (scene->previous, error);
  if (frame == NULL)
    return FALSE;
  copy_frame (frame, planes, strides);
  frame = look_draw (scene->look, error);
  if (frame == NULL)
    return FALSE;
  weight = (guint) (256 * ++scene->fade_done / (scene->fade_frames + 1));
  for (p = 0; p < 3; p++)
    mix_plane (planes[p], strides[p], frame->data[p], frame->linesize[p],
        p ? scene->width / 2 : scene->width,
        p ? scene->height / 2 : scene->height, weight);
  if (scene->fade_done >= scene->fade_frames)
    g_clear_pointer (&scene->previous, look_free);
  return TRUE;
}

/* The look painted onto @cr, over what it holds. */
static gboolean
look_paint (Look * look, cairo_t * cr, GError ** error)
{
  NemoSpectrum *spectrum;

  if (look->overlay == NULL)
    return TRUE;
  spectrum = nemo_overlay_get_spectrum (look->overlay);
  return nemo_overlay_paint (look->overlay, look->picture, cr,
      spectrum ? MAX (nemo_spectrum_get_n_frames (spectrum) - 1, 0) : 0,
      error);
}

/* @look at @alpha added to @cr: two looks at 1 - w and w add up to their
 * mix. */
static gboolean
look_add (Look * look, cairo_t * cr, gdouble alpha, GError ** error)
{
  gboolean ok;

  cairo_push_group (cr);
  ok = look_paint (look, cr, error);
  cairo_pop_group_to_source (cr);
  cairo_set_operator (cr, CAIRO_OPERATOR_ADD);
  cairo_paint_with_alpha (cr, alpha);
  return ok;
}

/* cairo's premultiplied ARGB32 (B, G, R, A in memory on little-endian) to
 * straight alpha, GStreamer's BGRA. */
static void
copy_unpremultiplied (cairo_surface_t * canvas, gint width, gint height,
    guint8 * data, gint stride)
{
  const guint8 *src = cairo_image_surface_get_data (canvas);
  gint src_stride = cairo_image_surface_get_stride (canvas);
  gint x, y;

  for (y = 0; y < height; y++) {
    const guint32 *in = (const guint32 *) (src + (gsize) y * src_stride);
    guint8 *out = data + (gsize) y * stride;

    for (x = 0; x < width; x++, out += 4) {
      guint32 p = in[x];
      guint a = p >> 24;

      out[3] = a;
      if (a == 0) {
        out[0] = out[1] = out[2] = 0;
        continue;
      }
      out[0] = (guint8) MIN (255, ((p & 0xff) * 255 + a / 2) / a);
      out[1] = (guint8) MIN (255, (((p >> 8) & 0xff) * 255 + a / 2) / a);
      out[2] = (guint8) MIN (255, (((p >> 16) & 0xff) * 255 + a / 2) / a);
    }
  }
}

gboolean
nemo_scene_draw_bgra (NemoScene * scene, guint8 * data, gint stride,
    GError ** error)
{
  gboolean ok = TRUE;
  cairo_t *cr;

  if (scene->canvas == NULL)
    scene->canvas = cairo_image_surface_create (CAIRO_FORMAT_ARGB32,
        scene->width, scene->height);
  cr = cairo_create (scene->canvas);
  cairo_set_operator (cr, CAIRO_OPERATOR_CLEAR);
  cairo_paint (cr);
  if (scene->previous == NULL) {
    cairo_set_operator (cr, CAIRO_OPERATOR_OVER);
    ok = look_paint (scene->look, cr, error);
  } else {
    gdouble w = (gdouble) ++scene->fade_done / (scene->fade_frames + 1);

    ok = look_add (scene->previous, cr, 1 - w, error)
        && look_add (scene->look, cr, w, error);
    if (scene->fade_done >= scene->fade_frames)
      g_clear_pointer (&scene->previous, look_free);
  }
  cairo_destroy (cr);
  cairo_surface_flush (scene->canvas);
  if (ok)
    copy_unpremultiplied (scene->canvas, scene->width, scene->height, data,
        stride);
  return ok;
}

void
nemo_scene_free (NemoScene * scene)
{
  if (scene == NULL)
    return;
  look_free (scene->look);
  look_free (scene->previous);
  if (scene->canvas)
    cairo_surface_destroy (scene->canvas);
  g_free (scene);
}
