/* nemorender output stack: every encoder and muxer the library opens.
 *
 * One place knows how our files are made: x264 with the settings of each
 * use (the delivered video, the still fast path, uploads, lossless spools),
 * AAC and MP3 for sound, JPEG and PNG for pictures, and the containers
 * (MP4 with moov moved to the front, MPEG-TS, Matroska, MP3, WAV) with
 * their tags.  The renderer (src/render/), upload preparation and pad
 * spooling (src/media/) all go through it; it depends on nothing of ours
 * but the error domain.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_OUTPUT_H
#define NEMO_OUTPUT_H

#include <glib.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

G_BEGIN_DECLS

typedef struct _NemoOutput NemoOutput;

/* NEMO_ERROR_IO when @averr is the disk's (full, denied, missing, I/O),
 * else NEMO_ERROR_ENCODE: "Could not @what “@path” (FFmpeg's reason)". */
void nemo_output_set_error (GError ** error, const gchar * path,
    const gchar * what, int averr);

/* ---- encoders ---- */

typedef enum
{
  NEMO_H264_DELIVERY,           /* the output contract, YouTube's settings */
  NEMO_H264_STILL,              /* the same, fewest frames in flight */
  NEMO_H264_UPLOAD,             /* veryfast, a quality or an average bitrate */
  NEMO_H264_LOSSLESS,           /* ultrafast, qp 0, no B-frames: spools */
} NemoH264Use;

typedef struct
{
  NemoH264Use use;
  gint width, height;
  enum AVPixelFormat pix_fmt;
  AVRational time_base;
  AVRational framerate;         /* {0, 0}: not known */
  AVRational sample_aspect_ratio;       /* {0, 0}: not known */
  gint gop;                     /* DELIVERY, STILL: frames in a closed GOP */
  gdouble crf;                  /* DELIVERY, STILL, UPLOAD without bitrate */
  gint64 bitrate;               /* UPLOAD: the average, bit/s; 0: crf */
  gint64 max_rate;              /* the VBV cap, bit/s; 0: none */
  gint64 buffer_size;           /* the VBV buffer, bits */
} NemoH264Settings;

typedef enum
{
  NEMO_AUDIO_AAC,               /* FFmpeg's native AAC-LC */
  NEMO_AUDIO_MP3,               /* libmp3lame */
} NemoAudioCodec;

typedef enum
{
  NEMO_PICTURE_JPEG,            /* mjpeg, quantiser scale 2, full range */
  NEMO_PICTURE_PNG,
} NemoPictureCodec;

/* Each opens an encoder whose packets go to @output, or with @output NULL
 * into an MP4 muxed later (both: headers out of band when the container
 * keeps them so). */
AVCodecContext *nemo_output_open_h264 (const NemoH264Settings * settings,
    const NemoOutput * output, GError ** error);
/* Stereo, planar float, @bitrate bit/s. */
AVCodecContext *nemo_output_open_audio (NemoAudioCodec codec,
    gint sample_rate, gint64 bitrate, const NemoOutput * output,
    GError ** error);
AVCodecContext *nemo_output_open_picture (NemoPictureCodec codec,
    gint width, gint height, enum AVPixelFormat pix_fmt, GError ** error);
/* @frame, in the encoder's size and format, as the one packet @pkt. */
gboolean nemo_output_encode_picture (AVCodecContext * encoder,
    AVFrame * frame, AVPacket * pkt, GError ** error);

/* ---- muxers ---- */

typedef enum
{
  NEMO_CONTAINER_MP4,           /* moov in front of the media (faststart) */
  NEMO_CONTAINER_MPEGTS,
  NEMO_CONTAINER_MATROSKA,
  NEMO_CONTAINER_MP3,
  NEMO_CONTAINER_WAV,           /* RF64 past 4 GB */
} NemoContainer;

/* Creates @path (replacing it) to be written as @container. */
NemoOutput *nemo_output_open (const gchar * path, NemoContainer container,
    GError ** error);
/* A stream carrying what @encoder makes, in its time base. */
AVStream *nemo_output_add_stream (NemoOutput * output,
    const AVCodecContext * encoder, GError ** error);
/* A stream of packets made elsewhere, described by @par (NULL: the caller
 * fills the stream's codecpar). */
AVStream *nemo_output_add_copy (NemoOutput * output,
    const AVCodecParameters * par, AVRational time_base, GError ** error);
/* A title/artist/album tag; a NULL @value is none. */
void nemo_output_set_tag (NemoOutput * output, const gchar * key,
    const gchar * value);
/* A chapter from @start to @end (in @time_base) titled @title, after the
 * ones added before it; the MP4 muxer writes them as a chapter text track
 * and a Nero `chpl` box.  FALSE only when out of memory. */
gboolean nemo_output_add_chapter (NemoOutput * output, gint64 start,
    gint64 end, AVRational time_base, const gchar * title, GError ** error);
/* MP4: the movie's clock (edit lists count in it), e.g. the sample rate
 * so a sound's length is kept to the sample; 0: FFmpeg's. */
void nemo_output_set_movie_timescale (NemoOutput * output, gint timescale);
/* Writes the header, once the streams and tags are set. */
gboolean nemo_output_start (NemoOutput * output, GError ** error);
/* @packet: its stream_index set, timestamps in its stream's time base;
 * interleaved with the other streams' by time, left blank. */
gboolean nemo_output_write (NemoOutput * output, AVPacket * packet,
    GError ** error);
/* The same, in the order given: the caller interleaves (or there is one
 * stream). */
gboolean nemo_output_write_in_order (NemoOutput * output, AVPacket * packet,
    GError ** error);
/* The trailer (MP4: the index, moved to the front), then the file closed. */
gboolean nemo_output_finish (NemoOutput * output, GError ** error);
/* Closes the file as it is, if not finished. */
void nemo_output_free (NemoOutput * output);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoOutput, nemo_output_free)

G_END_DECLS

#endif
