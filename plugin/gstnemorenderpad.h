/* nemorender's sink pads: each spools its stream to a file in the element's
 * work folder, so that a pad's input becomes a file like any URI input.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef __GST_NEMO_RENDER_PAD_H__
#define __GST_NEMO_RENDER_PAD_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_NEMO_RENDER_PAD (gst_nemo_render_pad_get_type ())
G_DECLARE_FINAL_TYPE (GstNemoRenderPad, gst_nemo_render_pad, GST,
    NEMO_RENDER_PAD, GstPad)

/* Start spooling the stream described by @caps into @dir (named after the
 * pad).  Caps equal to the current ones are a no-op; other caps once data
 * flows are an error, since one file holds one stream. */
gboolean gst_nemo_render_pad_set_caps (GstNemoRenderPad * pad, GstCaps * caps,
    const gchar * dir, GError ** error);
void gst_nemo_render_pad_set_segment (GstNemoRenderPad * pad,
    const GstSegment * segment);
/* Spool @buffer.  Video whose timestamps stop advancing is timed frame
 * after frame from there, each at least @frame_us (one output frame) long,
 * with a warning. */
gboolean gst_nemo_render_pad_write (GstNemoRenderPad * pad,
    GstBuffer * buffer, gint64 frame_us, GError ** error);
/* Close the file: the pad's input is complete. */
gboolean gst_nemo_render_pad_finish (GstNemoRenderPad * pad, GError ** error);
/* Forget the stream and its tags (back to READY). */
void gst_nemo_render_pad_reset (GstNemoRenderPad * pad);
/* FLUSH_STOP: start the spool over, in the current caps; tags stay. */
gboolean gst_nemo_render_pad_flush (GstNemoRenderPad * pad,
    const gchar * dir, GError ** error);

/* A TAG event's tags, merged as GST_TAG_MERGE_PREPEND: the newest win. */
void gst_nemo_render_pad_merge_tags (GstNemoRenderPad * pad,
    const GstTagList * tags);
/* The newest value of the string @tag, or NULL. */
gchar *gst_nemo_render_pad_get_tag (GstNemoRenderPad * pad,
    const gchar * tag);
/* The newest picture in the tags (GST_TAG_IMAGE, else
 * GST_TAG_PREVIEW_IMAGE), or NULL; free with gst_sample_unref(). */
GstSample *gst_nemo_render_pad_get_image (GstNemoRenderPad * pad);

/* A parsed JPEG/PNG: one picture is all the pad carries. */
gboolean gst_nemo_render_pad_is_image (GstNemoRenderPad * pad);
/* More than one buffer of a clip or raw video: not a still, so perhaps an
 * endless source. */
gboolean gst_nemo_render_pad_is_moving (GstNemoRenderPad * pad);
/* How long a video pad may go without a buffer, once the song's length is
 * known, before it is taken as ended without its EOS. */
#define GST_NEMO_RENDER_PAD_SILENCE_S 5
/* When (monotonic µs) a silent video pad counts as ended, or -1 when that
 * rule is not for it (audio, an image, nothing delivered yet).  Any
 * thread. */
gint64 gst_nemo_render_pad_get_silence_deadline (GstNemoRenderPad * pad);
/* Post the warning that the pad was taken as ended for its silence. */
void gst_nemo_render_pad_warn_silent (GstNemoRenderPad * pad);
/* Stream time covered so far, in µs (0 before any data). */
gint64 gst_nemo_render_pad_get_duration (GstNemoRenderPad * pad);
/* The spooled file, or NULL when nothing arrived. */
const gchar *gst_nemo_render_pad_get_path (GstNemoRenderPad * pad);

G_END_DECLS

#endif
