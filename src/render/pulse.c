/* The pulse on the beat (m.pulse): a short kick of the picture on the
 * strong beats the job wrote into the draft (m.pulse.beats_ms).
 *
 * From each beat the kick decays as exp (-dt / PULSE_DECAY_US) and ends
 * after PULSE_LENGTH_US: a zoom into the centre by up to ZOOM_DEPTH, or a
 * flash lifting the luma towards white by up to FLASH_DEPTH.  Between
 * kicks the picture goes through untouched.  It is applied to the
 * pictures, under the drawn layers (the title does not jump).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "render-private.h"

#include <nemo/error.h>
#include <libswscale/swscale.h>
#include <math.h>

#define PULSE_LENGTH_US 250000
#define PULSE_DECAY_US 90000
#define ZOOM_DEPTH 0.08
#define FLASH_DEPTH 0.35
/* BT.709 TV range white */
#define LUMA_WHITE 235

typedef enum
{
  PULSE_ZOOM,
  PULSE_FLASH,
} PulseKind;

struct _NemoBeatPulse
{
  PulseKind kind;
  GArray *beats_us;             /* gint64, increasing */
  guint next;                   /* the first beat not yet past */
  AVFrame *frame;               /* the kicked picture */
  struct SwsContext *sws;
};

static gint
compare_us (gconstpointer a, gconstpointer b)
{
  gint64 ta = *(const gint64 *) a, tb = *(const gint64 *) b;

  return (ta > tb) - (ta < tb);
}

NemoBeatPulse *
nemo_beat_pulse_new (const NemoDraft * draft)
{
  JsonNode *node = draft->meta ? json_object_get_member (draft->meta,
      "pulse") : NULL;
  JsonObject *pulse;
  JsonArray *beats;
  NemoBeatPulse *self;
  guint i;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  pulse = json_node_get_object (node);
  node = json_object_get_member (pulse, "beats_ms");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  beats = json_node_get_array (node);
  self = g_new0 (NemoBeatPulse, 1);
  self->kind = g_strcmp0 (json_object_get_string_member_with_default (pulse,
          "kind", "zoom"), "flash") == 0 ? PULSE_FLASH : PULSE_ZOOM;
  self->beats_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (i = 0; i < json_array_get_length (beats); i++) {
    JsonNode *element = json_array_get_element (beats, i);
    gint64 t;

    if (!JSON_NODE_HOLDS_VALUE (element))
      continue;
    t = (gint64) json_node_get_double (element) * 1000;
    g_array_append_val (self->beats_us, t);
  }
  g_array_sort (self->beats_us, compare_us);
  if (self->beats_us->len == 0)
    g_clear_pointer (&self, nemo_beat_pulse_free);
  return self;
}

void
nemo_beat_pulse_free (NemoBeatPulse * self)
{
  if (self == NULL)
    return;
  g_array_unref (self->beats_us);
  av_frame_free (&self->frame);
  sws_freeContext (self->sws);
  g_free (self);
}

/* How strong the kick is at @t_us, 0..1; @t_us increases from call to
 * call. */
static gdouble
kick_at (NemoBeatPulse * self, gint64 t_us)
{
  while (self->next < self->beats_us->len
      && g_array_index (self->beats_us, gint64, self->next)
      + PULSE_LENGTH_US <= t_us)
    self->next++;
  if (self->next == self->beats_us->len
      || g_array_index (self->beats_us, gint64, self->next) > t_us)
    return 0;
  return exp (-(gdouble) (t_us - g_array_index (self->beats_us, gint64,
              self->next)) / PULSE_DECAY_US);
}

static gboolean
ensure_frame (NemoBeatPulse * self, const AVFrame * like, GError ** error)
{
  if (self->frame != NULL && self->frame->width == like->width
      && self->frame->height == like->height)
    return TRUE;
  av_frame_free (&self->frame);
  self->frame = av_frame_alloc ();
  if (self->frame != NULL) {
    self->frame->format = like->format;
    self->frame->width = like->width;
    self->frame->height = like->height;
    if (av_frame_get_buffer (self->frame, 0) >= 0) {
      av_frame_copy_props (self->frame, like);
      return TRUE;
    }
  }
  av_frame_free (&self->frame);
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
      "Out of memory for the pulse's %dx%d frame.", like->width, like->height);
  return FALSE;
}

/* The centre of @picture, 1 / (1 + @kick * ZOOM_DEPTH) of it, scaled back
 * to the whole frame. */
static gboolean
zoom (NemoBeatPulse * self, const AVFrame * picture, gdouble kick,
    GError ** error)
{
  gdouble scale = 1 + kick * ZOOM_DEPTH;
  /* even sizes and offsets, for the half-size chroma planes */
  gint w = (gint) (picture->width / scale) & ~1;
  gint h = (gint) (picture->height / scale) & ~1;
  gint x = ((picture->width - w) / 2) & ~1;
  gint y = ((picture->height - h) / 2) & ~1;
  /* swscale reads four plane pointers */
  const guint8 *src[4] = { NULL };

  self->sws = sws_getCachedContext (self->sws, w, h, picture->format,
      picture->width, picture->height, picture->format, SWS_BICUBIC, NULL,
      NULL, NULL);
  if (self->sws == NULL) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Could not scale the picture for the pulse (%dx%d).", w, h);
    return FALSE;
  }
  src[0] = picture->data[0] + (gsize) y * picture->linesize[0] + x;
  src[1] = picture->data[1] + (gsize) (y / 2) * picture->linesize[1] + x / 2;
  src[2] = picture->data[2] + (gsize) (y / 2) * picture->linesize[2] + x / 2;
  sws_scale (self->sws, src, picture->linesize, 0, h, self->frame->data,
      self->frame->linesize);
  return TRUE;
}

/* @picture with its luma lifted towards white by @kick * FLASH_DEPTH. */
static void
flash (NemoBeatPulse * self, const AVFrame * picture, gdouble kick)
{
  gint lift = (gint) lround (kick * FLASH_DEPTH * 256);
  gint x, y;

  av_frame_copy (self->frame, picture);
  for (y = 0; y < picture->height; y++) {
    guint8 *row = self->frame->data[0] + (gsize) y * self->frame->linesize[0];

    for (x = 0; x < picture->width; x++)
      row[x] += ((LUMA_WHITE - MIN (row[x], LUMA_WHITE)) * lift) >> 8;
  }
}

AVFrame *
nemo_beat_pulse_apply (NemoBeatPulse * self, AVFrame * picture, gint64 t_us,
    GError ** error)
{
  gdouble kick = kick_at (self, t_us);

  if (kick <= 0 || picture->format != AV_PIX_FMT_YUV420P)
    return picture;
  if (!ensure_frame (self, picture, error))
    return NULL;
  if (self->kind == PULSE_FLASH)
    flash (self, picture, kick);
  else if (!zoom (self, picture, kick, error))
    return NULL;
  return self->frame;
}
