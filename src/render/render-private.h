/* nemorender local renderer: the pieces behind nemo_render_draft().
 *
 *   soundtrack.c  pass 1: mix the draft's audio, encode AAC (or keep the
 *                 song's), count samples
 *   aac.c         the AAC encode, in chunks on every core for a long sound
 *   packet-spool.c  the encoded AAC on disk until it is muxed
 *   layout.c      a source picture -> an output frame (fit over blurred fill)
 *   timeline.c    the video track: which picture is shown at a time
 *   pulse.c       a kick of the pictures on the strong beats (m.pulse)
 *   overlay.c     the drawn layers over it: placement, palette, compositing
 *   visualizer.c  spectrum bars, waveform, circle (cairo), and
 *   band.c        their bands blended into yuv420p: see visualizer.h
 *   text.c        track-info titles (Pango)
 *   lyrics.c      lyric lines and karaoke (Pango), over the titles
 *   encoder.c     H.264 with the contract's settings (src/output/)
 *   mux.c         MP4 with audio and video interleaved, moov first
 *   render.c      options, the two passes, the still-image fast path
 *   thumbnail.c   a JPEG of the frame a third in
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_RENDER_PRIVATE_H
#define NEMO_RENDER_PRIVATE_H

#include <nemo/render.h>
#include <nemo/analysis.h>
#include <libavcodec/avcodec.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "visualizer.h"

G_BEGIN_DECLS

/* Called with the share of a pass done, 0-100. */
typedef void (*NemoPassProgressFunc) (gdouble percent, gpointer user_data);

/* ---- packet-spool.c ---- */

typedef struct _NemoPacketSpool NemoPacketSpool;

/* A new, empty spool file in @dir. */
NemoPacketSpool *nemo_packet_spool_new (const gchar * dir, GError ** error);
gboolean nemo_packet_spool_write (NemoPacketSpool * spool,
    const AVPacket * packet, GError ** error);
/* Done writing: reading starts from the first packet. */
gboolean nemo_packet_spool_rewind (NemoPacketSpool * spool, GError ** error);
/* 1 with the next packet in @packet (blank before), 0 at the end, -1 with
 * @error set. */
gint nemo_packet_spool_read (NemoPacketSpool * spool, AVPacket * packet,
    GError ** error);
void nemo_packet_spool_free (NemoPacketSpool * spool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoPacketSpool, nemo_packet_spool_free)

/* ---- aac.c ---- */

typedef struct _NemoAacWriter NemoAacWriter;

/* Called on the writer's thread with the samples encoded so far. */
typedef void (*NemoAacProgressFunc) (gint64 done, gpointer user_data);

/* AAC-LC at @kbps of about @estimate samples (NEMO_AUDIO_RATE stereo), its
 * packets appended to @spool in order; a long sound is encoded in chunks
 * on a thread each, with spool files in @work_dir (aac.c). */
NemoAacWriter *nemo_aac_writer_new (gint kbps, gint64 estimate,
    NemoPacketSpool * spool, const gchar * work_dir,
    NemoAacProgressFunc progress, gpointer progress_data, GError ** error);
gboolean nemo_aac_writer_write (NemoAacWriter * writer,
    const gfloat * interleaved, gint n_frames, GError ** error);
/* The end of the sound: every packet is in the spool once it returns. */
gboolean nemo_aac_writer_finish (NemoAacWriter * writer, GError ** error);
/* The encoder's parameters (the same for every chunk). */
const AVCodecContext *nemo_aac_writer_get_context (const NemoAacWriter *
    writer);
/* The true peak of the packets decoded in order, dBTP (in a retry, of
 * what it metered: the pieces and the two frames after each). */
gdouble nemo_aac_writer_true_peak (NemoAacWriter * writer);

/* What the decoded sound may peak at: the output contract's -1 dBTP less
 * the 0.2 dB by which BS.1770 meters disagree (docs/mixing.md, Limiter) */
#define NEMO_TRUE_PEAK_DBTP -1.2

/* A decoded frame whose true peak is over NEMO_TRUE_PEAK_DBTP. */
typedef struct
{
  gint64 at;                    /* its first sample in the sound */
  gdouble dbtp;
} NemoAacHotFrame;

/* Those frames so far, in order (NemoAacHotFrame). */
const GArray *nemo_aac_writer_hot_frames (const NemoAacWriter * writer);
/* A retry of the encode that went to @previous (taken), for the same
 * sound with only the samples in @changed (gint64 pairs [from, until), in
 * order) changed: only a piece around each is encoded again, the packets
 * between copied from @previous.  Before the first write; a sound too
 * short for chunks is encoded whole. */
gboolean nemo_aac_writer_reuse (NemoAacWriter * writer,
    NemoPacketSpool * previous, const GArray * changed, GError ** error);
void nemo_aac_writer_free (NemoAacWriter * writer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoAacWriter, nemo_aac_writer_free)

/* ---- soundtrack.c ---- */

typedef struct _NemoSoundtrack NemoSoundtrack;

/* Mix and encode the draft's audio (up to @options->max_duration_us, at
 * @options->audio_bitrate_kbps); the packets are spooled to a file in
 * @work_dir.  With @options->audio_passthrough AUTO and a song that needs
 * no change, the spool gets the song's own packets.  The final mix is also fed to
 * @spectrum (may be NULL) for the visualizers, and finished. */
NemoSoundtrack *nemo_soundtrack_encode (const NemoDraft * draft,
    const NemoRenderOptions * options,
    const gchar * work_dir, NemoSpectrum * spectrum,
    NemoPassProgressFunc progress, gpointer progress_data,
    GCancellable * cancellable, GError ** error);
/* The render's exact duration, in samples at NEMO_AUDIO_RATE. */
gint64 nemo_soundtrack_get_n_samples (const NemoSoundtrack * soundtrack);

/* A song of an album (music segments one after another, each but the
 * last to its file's end) as the sound plays it, from @start (samples at
 * NEMO_AUDIO_RATE). */
typedef struct
{
  const NemoSegment *segment;
  gint64 start;
} NemoSoundtrackSong;

/* NemoSoundtrackSong, in the order they play: an album's chapters. */
const GArray *nemo_soundtrack_get_songs (const NemoSoundtrack * soundtrack);
/* AAC-LC; its sample rate is the packets' time base. */
const AVCodecParameters *nemo_soundtrack_get_codecpar (const NemoSoundtrack *
    soundtrack);
/* 1 with the next packet in @packet (blank before; timestamps in 1/sample
 * rate), 0 after the last, -1 with @error set.  Each packet is read once,
 * in order. */
gint nemo_soundtrack_read (NemoSoundtrack * soundtrack, AVPacket * packet,
    GError ** error);
void nemo_soundtrack_free (NemoSoundtrack * soundtrack);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoSoundtrack, nemo_soundtrack_free)

/* ---- layout.c ---- */

typedef struct _NemoLayout NemoLayout;

NemoLayout *nemo_layout_new (gint width, gint height);
/* A new yuv420p frame of the output size showing @picture. */
AVFrame *nemo_layout_draw (NemoLayout * layout, const AVFrame * picture,
    GError ** error);
void nemo_layout_free (NemoLayout * layout);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoLayout, nemo_layout_free)

/* Where nemo_layout_draw() puts a @picture_width x @picture_height
 * picture (square pixels) in the output: fitted, centred. */
void nemo_layout_fit (gint width, gint height, gint picture_width,
    gint picture_height, cairo_rectangle_int_t * fitted);

/* A yuv420p frame of one colour (0xRRGGBB), BT.709 TV range. */
AVFrame *nemo_layout_plain_frame (gint width, gint height, guint32 rgb,
    GError ** error);

/* ---- timeline.c ---- */

typedef struct _NemoTimeline NemoTimeline;

NemoTimeline *nemo_timeline_new (const NemoDraft * draft, gint width,
    gint height, GError ** error);
/* The output frame shown at @t_us; @t_us increases from call to call.  The
 * frame belongs to the timeline and is valid until the next call; the caller
 * may set its pts. */
AVFrame *nemo_timeline_frame_at (NemoTimeline * timeline, gint64 t_us,
    GError ** error);
/* Until when (µs) the frame shown at @t_us stays the same (one still, or
 * none): @t_us itself for a clip, G_MAXINT64 for the end. */
gint64 nemo_timeline_still_until (NemoTimeline * timeline, gint64 t_us);
void nemo_timeline_free (NemoTimeline * timeline);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoTimeline, nemo_timeline_free)

/* ---- pulse.c ---- */

typedef struct _NemoBeatPulse NemoBeatPulse;

/* The draft's pulse on the beat (m.pulse with its beats_ms), or NULL when
 * it has none: the pictures then go on untouched. */
NemoBeatPulse *nemo_beat_pulse_new (const NemoDraft * draft);
/* @picture (yuv420p) at @t_us, kicked when a beat is near: @picture
 * itself between kicks, else a frame of @pulse's, valid until the next
 * call.  @t_us increases from call to call. */
AVFrame *nemo_beat_pulse_apply (NemoBeatPulse * pulse, AVFrame * picture,
    gint64 t_us, GError ** error);
void nemo_beat_pulse_free (NemoBeatPulse * pulse);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoBeatPulse, nemo_beat_pulse_free)

/* ---- overlay.c ---- */

typedef struct _NemoOverlay NemoOverlay;

/* The draft's drawn layers (a visualizer, track-info titles, lyrics) over the
 * pictures, kept inside @safe_area, and its fades from and to black over
 * them all, or NULL when it has none of these: the frames then go to the
 * encoder untouched. */
NemoOverlay *nemo_overlay_new (const NemoDraft * draft, gint width,
    gint height, gint fps_n, gint fps_d, const NemoSafeArea * safe_area);
/* What the soundtrack feeds for the visualizer, or NULL without one.  It
 * belongs to @overlay. */
NemoSpectrum *nemo_overlay_get_spectrum (NemoOverlay * overlay);
/* The render's length, once the soundtrack has fixed it: where layers that
 * run to the end stop. */
void nemo_overlay_set_duration (NemoOverlay * overlay, gint64 duration_us);
/* Until when (µs) the frames from @t_us get the same drawing (no
 * visualizer, no title coming, going or fading, no fade of the picture):
 * @t_us itself when the next one already differs, G_MAXINT64 for the
 * end. */
gint64 nemo_overlay_static_until (NemoOverlay * overlay, gint64 t_us);
/* @picture (the timeline's frame @index) with the layers drawn over it.
 * The frame belongs to @overlay, valid until the next call; the caller may
 * set its pts.  The palette is taken from the first picture drawn. */
AVFrame *nemo_overlay_draw (NemoOverlay * overlay, const AVFrame * picture,
    gint64 index, GError ** error);
/* The layers of frame @index painted onto @cr (frame coordinates, over
 * what it holds) rather than blended into @picture, which gives the
 * colours and the cover's place; no fade of the picture. */
gboolean nemo_overlay_paint (NemoOverlay * overlay, const AVFrame * picture,
    cairo_t * cr, gint64 index, GError ** error);
/* The visualizer as placed when the first frame was drawn, or NULL
 * (none, or no frame drawn yet). */
const NemoScope *nemo_overlay_get_scope (NemoOverlay * overlay);
void nemo_overlay_free (NemoOverlay * overlay);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoOverlay, nemo_overlay_free)

/* ---- text.c ---- */

typedef struct _NemoTitle NemoTitle;

/* How a title's lines sit across its panel. */
typedef enum
{
  NEMO_TITLE_ALIGN_LEFT,
  NEMO_TITLE_ALIGN_CENTER,
  NEMO_TITLE_ALIGN_RIGHT,
} NemoTitleAlign;

/* @text (`Title — Artist`) laid out for a @width x @height frame: the font
 * size follows the short side; too wide a text goes on two lines (title,
 * then artist), is shrunk, and only then ellipsized (text.c).  The title is
 * drawn on a translucent panel with a shadow, cached once. */
NemoTitle *nemo_title_new (const gchar * text, gint width, gint height,
    NemoTitleAlign align, GError ** error);
/* The panel's size. */
void nemo_title_get_size (const NemoTitle * title, gint * width,
    gint * height);
/* Paint the title with its top-left corner at @x, @y, at @opacity 0..1. */
void nemo_title_draw (const NemoTitle * title, cairo_t * cr, gdouble x,
    gdouble y, gdouble opacity);
void nemo_title_free (NemoTitle * title);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoTitle, nemo_title_free)

/* @text in FONT_FAMILY ("Sans") at @weight, hinting off so widths scale
 * with the size, for the caller to size, wrap and draw (text.c). */
PangoLayout *nemo_text_layout_new (const gchar * text, PangoWeight weight);

/* ---- lyrics.c ---- */

typedef struct _NemoLyricsView NemoLyricsView;

/* The draft's lyric segments laid out for a @width x @height frame inside
 * @safe: the current line over the next one, the words sung highlighted
 * (karaoke) when the lines have word times, as m.lyrics_style says, or
 * NULL when the draft has no lyric line. */
NemoLyricsView *nemo_lyrics_view_new (const NemoDraft * draft, gint width,
    gint height, const cairo_rectangle_int_t * safe);
/* The area the lyrics can paint, in whole pixels. */
void nemo_lyrics_view_get_bounds (const NemoLyricsView * view,
    cairo_rectangle_int_t * bounds);
/* When (µs) the drawing next differs from the one at @t_us: a line starts
 * or ends, or a word of the current one starts; G_MAXINT64 never. */
gint64 nemo_lyrics_view_next_change (const NemoLyricsView * view,
    gint64 t_us);
/* Draw what is shown at @t_us, in frame coordinates. */
void nemo_lyrics_view_draw (const NemoLyricsView * view, cairo_t * cr,
    gint64 t_us);
void nemo_lyrics_view_free (NemoLyricsView * view);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoLyricsView, nemo_lyrics_view_free)

/* ---- encoder.c ---- */

typedef struct _NemoVideoEncoder NemoVideoEncoder;

/* Receives each encoded packet (time base 1/fps); the packet is the
 * encoder's and is unreferenced after the call. */
typedef gboolean (*NemoPacketFunc) (AVPacket * packet, gpointer user_data,
    GError ** error);

/* An encoder for @options' size, rate, quality, cap and GOP.  @still: for
 * the still-image fast path, a few GOPs of one picture, with the fewest
 * frames in flight. */
NemoVideoEncoder *nemo_video_encoder_new (const NemoRenderOptions * options,
    gboolean still, GError ** error);
/* Frames in a GOP: the keyframe interval, else round (fps / 2), at least
 * 1. */
gint nemo_video_gop (const NemoRenderOptions * options);
/* Valid until the encoder is drained. */
const AVCodecContext *nemo_video_encoder_get_context (NemoVideoEncoder *
    encoder);
/* Encode @frame (its pts is the frame index), or drain with NULL (once,
 * last: x264 is closed then). */
gboolean nemo_video_encoder_encode (NemoVideoEncoder * encoder,
    AVFrame * frame, NemoPacketFunc func, gpointer user_data, GError ** error);
void nemo_video_encoder_free (NemoVideoEncoder * encoder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoVideoEncoder, nemo_video_encoder_free)

/* ---- render.c ---- */

/* Hand the heap's free pages back to the system (glibc's malloc_trim ();
 * nothing elsewhere).  Between the phases of a render, and as the MP4's
 * index grows, what was freed stays resident otherwise: see
 * docs/performance.md. */
void nemo_render_give_back_memory (void);

/* ---- mux.c ---- */

typedef struct _NemoMuxer NemoMuxer;

/* @draft's metadata title/artist/album become the MP4's tags.  The muxer
 * reads @soundtrack's packets as the video needs them. */
NemoMuxer *nemo_muxer_open (const gchar * path,
    const AVCodecContext * video, NemoSoundtrack * soundtrack,
    const NemoDraft * draft, GError ** error);
/* Write a video packet in the encoder's time base, with the soundtrack's
 * packets up to its time before it.  @packet is left blank. */
gboolean nemo_muxer_write_video (NemoMuxer * muxer, AVPacket * packet,
    GError ** error);
/* The rest of the soundtrack, then the index (moved to the front). */
gboolean nemo_muxer_finish (NemoMuxer * muxer, GError ** error);
void nemo_muxer_free (NemoMuxer * muxer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoMuxer, nemo_muxer_free)

G_END_DECLS

#endif
