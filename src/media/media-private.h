/* nemorender media layer: helpers shared by the files of src/media/.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_MEDIA_PRIVATE_H
#define NEMO_MEDIA_PRIVATE_H

#include <nemo/media.h>
#include <nemo/error.h>
#include "output.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

G_BEGIN_DECLS

/* ---- errors ---- */

/* NEMO_ERROR_NOT_FOUND unless @path is a file we may open. */
gboolean nemo_media_check_readable (const gchar * path, GError ** error);
/* NEMO_ERROR_UNSUPPORTED_MEDIA naming @path, FFmpeg's reason and the
 * formats we read. */
void nemo_media_set_unsupported (GError ** error, const gchar * path,
    int averr);
/* NEMO_ERROR_IMAGE_TOO_LARGE if a side is over NEMO_MAX_IMAGE_SIDE. */
gboolean nemo_media_check_picture_size (const gchar * path, gint width,
    gint height, GError ** error);

/* ---- image headers (image-header.c) ---- */

/* Reads the size of a PNG, JPEG, GIF, WebP or BMP file from its header.
 * Returns FALSE when @path is none of those (or the header is cut short):
 * then FFmpeg decides what it is. */
gboolean nemo_image_header_size (const gchar * path, gint * width,
    gint * height);
/* The size check every image goes through before anything is decoded. */
gboolean nemo_image_header_check (const gchar * path, GError ** error);

/* ---- demuxing + decoding one stream (decoder.c) ---- */

typedef struct
{
  gchar *path;
  AVFormatContext *fmt;
  AVCodecContext *dec;
  AVStream *stream;             /* the stream being decoded, NULL before select */
  AVPacket *pkt;
  gint64 n_frames;              /* frames returned since open or rewind */
  int skipped_error;            /* last packet the decoder refused, or 0 */
} NemoDecoder;

/* Checks @path exists, is not an oversized image, and that libavformat
 * can read it.  No stream is selected yet. */
NemoDecoder *nemo_decoder_open (const gchar * path, GError ** error);
/* The first video stream that is not a cover (attached picture), or with
 * @allow_cover the cover when there is nothing else; -1 if none. */
gint nemo_decoder_find_video (NemoDecoder * self, gboolean allow_cover);
gint nemo_decoder_find_audio (NemoDecoder * self);
/* Opens the decoder of stream @index. */
gboolean nemo_decoder_select (NemoDecoder * self, gint index, GError ** error);
/* nemo_decoder_open() with the picture selected: the video, or the cover
 * when there is nothing else.  With none, NEMO_ERROR_UNSUPPORTED_MEDIA
 * naming @path and ending with @advice (what to use instead). */
NemoDecoder *nemo_decoder_open_picture (const gchar * path,
    const gchar * advice, GError ** error);
/* 1 with a frame, 0 at the end of the stream, -1 with @error set. */
gint nemo_decoder_next (NemoDecoder * self, AVFrame * frame, GError ** error);
/* Back to the stream's start. */
gboolean nemo_decoder_rewind (NemoDecoder * self, GError ** error);
/* A frame's time in µs on the stream's clock, AV_NOPTS_VALUE if unknown. */
gint64 nemo_decoder_frame_time (NemoDecoder * self, const AVFrame * frame);
void nemo_decoder_free (NemoDecoder * self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoDecoder, nemo_decoder_free)

/* ---- spools (spool*.c) ---- */

typedef enum
{
  NEMO_SPOOL_RAW_AUDIO,         /* WAV through libavformat */
  NEMO_SPOOL_RAW_VIDEO,         /* lossless H.264 in Matroska */
  NEMO_SPOOL_BYTES,             /* MP3 / ADTS AAC as they come */
  NEMO_SPOOL_STILL,             /* the first JPEG / PNG picture */
  NEMO_SPOOL_TS,                /* H.264 Annex B in MPEG-TS */
} NemoSpoolKind;

typedef struct _NemoSpoolVideo NemoSpoolVideo;
typedef struct _NemoSpoolTs NemoSpoolTs;

struct _NemoSpool
{
  NemoSpoolKind kind;
  gchar *path;
  gint64 duration_us;
  guint64 count;
  gboolean finished;

  /* RAW_AUDIO */
  NemoOutput *mux;
  AVPacket *pkt;
  gint rate;
  gint bytes_per_frame;
  gint64 n_samples;

  /* BYTES, STILL */
  GOutputStream *out;

  NemoSpoolVideo *video;
  NemoSpoolTs *ts;
};

NemoSpoolVideo *nemo_spool_video_new (const gchar * path,
    NemoPixelFormat format, gint width, gint height, gint fps_n, gint fps_d,
    GError ** error);
gboolean nemo_spool_video_write (NemoSpool * spool,
    const guint8 * const planes[4], const gint strides[4], gint64 pts_us,
    GError ** error);
gboolean nemo_spool_video_write_packed (NemoSpool * spool,
    const guint8 * data, gsize size, gint64 pts_us, GError ** error);
gboolean nemo_spool_video_finish (NemoSpool * spool, GError ** error);
void nemo_spool_video_free (NemoSpoolVideo * video);

NemoSpoolTs *nemo_spool_ts_new (const gchar * path, GError ** error);
gboolean nemo_spool_ts_write (NemoSpool * spool, const guint8 * data,
    gsize size, gint64 pts_us, GError ** error);
gboolean nemo_spool_ts_finish (NemoSpool * spool, GError ** error);
void nemo_spool_ts_free (NemoSpoolTs * ts);

G_END_DECLS

#endif
