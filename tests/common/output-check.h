/* Test helper: read an output MP4 back with libavformat/libavcodec and
 * assert every point of the output contract in docs/interface.md (The
 * output MP4), plus what a viewer sees in the pictures.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_TEST_OUTPUT_CHECK_H
#define NEMO_TEST_OUTPUT_CHECK_H

#include <glib.h>
#include <libavcodec/avcodec.h>

#define OUTPUT_MAX_SNAPSHOTS 4

typedef struct
{
  guint n_streams;
  gint64 duration_us;
  gchar *box_order;             /* top-level boxes: "ftyp moov free mdat" */
  AVDictionary *tags;           /* the container's metadata */

  AVCodecParameters *video, *audio;
  AVRational frame_rate;        /* avg_frame_rate */
  AVRational video_time_base;
  GArray *pts;                  /* gint64 per video packet, decode order */
  GArray *keyframe;             /* gboolean per video packet */
  gint64 frame_duration;        /* in video_time_base */
  gint64 odd_durations;         /* packets whose duration is not one frame */
  gint64 n_decoded;
  gint decode_errors;
  gint64 n_audio_samples;       /* decoded */
  gint64 audio_duration;        /* the stream's, in samples */
  gdouble audio_power[16];      /* mean square of each second of sound */
  gchar *audio_sha256;          /* of every decoded sample: same sound? */
  GChecksum *audio_checksum;    /* while reading */

  gint64 snapshot_index[OUTPUT_MAX_SNAPSHOTS];
  AVFrame *snapshot[OUTPUT_MAX_SNAPSHOTS];      /* RGB24 */
  guint n_snapshots;
} Output;

/* Demux and decode all of @path, keeping RGB copies (converted as a player
 * would) of the frames shown at the times in @snapshot_s (-1 ends the list;
 * NULL for none). */
void output_read (const gchar * path, const gdouble * snapshot_s,
    Output * out);
void output_clear (Output * out);

/* The container's @key tag ("title", "artist", "album"...), or NULL. */
const gchar *output_tag (const Output * out, const gchar * key);

/* Everything docs/interface.md (The output MP4) promises of an output of
 * @width x @height at @fps_n fps whose sound lasts exactly @samples at
 * 48 kHz. */
void output_assert_contract (const gchar * path, const Output * out,
    gint width, gint height, gint fps_n, gint64 samples);
/* The same with a keyframe every @gop frames (a keyframe interval set). */
void output_assert_contract_gop (const gchar * path, const Output * out,
    gint width, gint height, gint fps_n, gint64 samples, gint gop);

/* The same where the exact length of the sound is not known (decoders that
 * keep codec padding): the sound lasts @source_s ± @tolerance_s, and the
 * rest of the contract holds for the length it has. */
void output_assert_contract_near (const gchar * path, const Output * out,
    gint width, gint height, gint fps_n, gdouble source_s,
    gdouble tolerance_s);

/* ---- what a viewer sees, in an RGB24 snapshot ---- */

const guint8 *rgb_pixel (const AVFrame * rgb, gint x, gint y);
gdouble rgb_luma (const guint8 * p);
void assert_rgb_near (const guint8 * p, guint8 r, guint8 g, guint8 b,
    gint slack);
/* Never black bars: every edge pixel (every 8th) is brighter than black. */
void assert_no_black_edges (const AVFrame * rgb);
gdouble rgb_psnr (const AVFrame * a, const AVFrame * b);

#endif
