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

  if (look->cover && look->background == NEMO_SCENE_BACKGROUND_COVER)
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

void
nemo_scene_free (NemoScene * scene)
{
  if (scene == NULL)
    return;
  look_free (scene->look);
  look_free (scene->previous);
  g_free (scene);
}
