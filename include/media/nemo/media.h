/* nemorender media layer: everything that touches FFmpeg's demuxers and
 * decoders on the way in.  Probe inputs, decode audio to the render format,
 * decode stills and video frames, and spool media that arrives on pads into
 * files the rest of the library reads like any other input.
 *
 * No GStreamer, no HTTP in here.  Every failure is a GError in NEMO_ERROR
 * whose message names the file and says what to do.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_MEDIA_H
#define NEMO_MEDIA_H

#include <gio/gio.h>
#include <libavutil/frame.h>

G_BEGIN_DECLS

/* Images larger than this on either side are refused from their header. */
#define NEMO_MAX_IMAGE_SIDE 16384

/* The render's audio format: 48 kHz, stereo, interleaved float. */
#define NEMO_AUDIO_RATE 48000
#define NEMO_AUDIO_CHANNELS 2

typedef enum
{
  NEMO_MEDIA_AUDIO,             /* has an audio stream and no picture we use */
  NEMO_MEDIA_IMAGE,             /* one picture: JPEG/PNG/GIF/WebP file, or a 1-frame video */
  NEMO_MEDIA_VIDEO,             /* moving pictures (with or without sound) */
} NemoMediaKind;

typedef struct
{
  NemoMediaKind kind;
  gchar *path;                  /* local file path */
  gchar *format_name;           /* libavformat's name, e.g. "mp3", "png_pipe" */
  gchar *codec_name;            /* of the stream we use, e.g. "mp3", "h264" */
  gint64 duration_us;           /* 0 for an image; best estimate from the container */
  gint width, height;           /* 0 for audio */
  gint fps_n, fps_d;            /* video only, else 0/1 */
  gboolean has_audio;           /* a video with a sound track too */
  gchar *title, *artist, *album; /* container tags, NULL if absent */
} NemoMediaInfo;

/* Open @path_or_uri (a path, or a file:// URI), find what it is and check
 * it is usable.  Errors: NEMO_ERROR_NOT_FOUND, _UNSUPPORTED_MEDIA,
 * _NO_AUDIO (an audio file with no audio stream), _IMAGE_TOO_LARGE (read
 * from the image header, before any pixel is decoded). */
NemoMediaInfo *nemo_media_probe (const gchar * path_or_uri, GError ** error);
void nemo_media_info_free (NemoMediaInfo * info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoMediaInfo, nemo_media_info_free)

/* Turn a path or file:// URI into a local path; NULL with
 * NEMO_ERROR_UNSUPPORTED_MEDIA for other schemes. */
gchar *nemo_media_path_from_uri (const gchar * path_or_uri, GError ** error);

/* ---- audio: decode + resample to NEMO_AUDIO_RATE stereo float ---- */
typedef struct _NemoAudioReader NemoAudioReader;

/* Opens the first audio stream of @path (an audio file, or a video's sound). */
NemoAudioReader *nemo_audio_reader_open (const gchar * path, GError ** error);
/* Read up to @n_frames stereo frames (2 floats each) into @out.  Returns the
 * number read, 0 at the end of the stream, -1 on error (with @error set). */
gint nemo_audio_reader_read (NemoAudioReader * reader, gfloat * out,
    gint n_frames, GError ** error);
void nemo_audio_reader_free (NemoAudioReader * reader);
/* Whether every sample of @path's sound is digitally zero (decoded until
 * the first one that is not).  FALSE with @error when it cannot be read,
 * or with a GIO cancelled error. */
gboolean nemo_media_audio_is_silent (const gchar * path, gboolean * silent,
    GCancellable * cancellable, GError ** error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoAudioReader, nemo_audio_reader_free)

/* What is missing from @path when it is cut short, as a sentence naming
 * its file that a user can act on, or NULL when nothing is.  With @audio
 * its sound: the length its container states (not one guessed from the
 * bitrate) against where its packets end ("song.mp3 ends after 2.4 s of
 * its 8.0 s"); else its picture: a JPEG whose data stops before the end
 * marker.  NULL too when it cannot be read: reading it says why. */
gchar *nemo_media_describe_loss (const gchar * path, gboolean audio);

/* ---- pictures ---- */

/* Decode a still picture (an image file, or the first frame of a video) to
 * an AVFrame in its own pixel format.  Refuses images over
 * NEMO_MAX_IMAGE_SIDE before decoding them.  Free with av_frame_free(). */
AVFrame *nemo_media_decode_image (const gchar * path, GError ** error);

/* Write the picture embedded in @song (a path or file:// URI: an MP3's
 * APIC, a FLAC PICTURE, an M4A covr) to a file in @dir and return its
 * path.  NULL with @error unset when the song carries no picture we can
 * show; NULL with @error set when @song cannot be read or the file cannot
 * be written (NEMO_ERROR_IO). */
gchar *nemo_media_extract_cover (const gchar * song, const gchar * dir,
    GError ** error);

typedef struct _NemoVideoReader NemoVideoReader;

NemoVideoReader *nemo_video_reader_open (const gchar * path, GError ** error);
/* The frame shown at @t_us from the clip's start, @t_us >= 0 and increasing
 * from call to call (seeking back happens only to loop).  With @loop, times
 * past the clip's end wrap around to its start; without, the last frame is
 * held.  The frame is owned by the reader and valid until the next call. */
const AVFrame *nemo_video_reader_frame_at (NemoVideoReader * reader,
    gint64 t_us, gboolean loop, GError ** error);
/* The clip's length as measured by decoding (valid after the first loop or
 * the end was reached), else the container's estimate. */
gint64 nemo_video_reader_duration (NemoVideoReader * reader);
void nemo_video_reader_free (NemoVideoReader * reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoVideoReader, nemo_video_reader_free)

/* ---- spools: media arriving on pads, written to a file ----
 *
 * The @path given to a spool constructor is a base name without extension:
 * the spool adds the one that fits what it writes (".wav", ".mkv", ".mp3",
 * ".aac", ".jpg", ".png", ".ts"); nemo_spool_get_path() returns the result.
 * A spool is written from one thread at a time.
 *
 * What each spool writes:
 * - raw audio: a WAV (RF64 past 4 GB) of the samples as they come; the
 *   duration is samples / rate (pts are not used, gaps are not filled).
 * - raw video: lossless H.264 (yuv420p, or yuv444p for odd sizes) in
 *   Matroska with the buffers' pts (-1: frames counted at the frame rate).
 *   A run of identical frames is stored as one frame lasting the whole run,
 *   so a spool with one distinct frame is a one-frame .mkv that
 *   nemo_media_probe() calls an IMAGE.  nemo_spool_write() takes a frame
 *   packed as GStreamer lays it out by default (rows padded to 4 bytes,
 *   planes back to back).  The duration is the last pts + one frame.
 * - MP3 / AAC (ADTS): the bytes as they come.  Frames are not parsed, so
 *   the duration is the pts of the last buffer (its own length not
 *   counted).
 * - JPEG / PNG: an image pad carries a still: the first picture is the
 *   file, later ones are only counted.
 * - H.264: the access units in MPEG-TS with their pts (required); the
 *   dts are derived from the pts (see src/media/spool-ts.c).  The duration
 *   is the last pts + the smallest pts step. */

typedef enum
{
  NEMO_SAMPLE_U8,
  NEMO_SAMPLE_S16,
  NEMO_SAMPLE_S24,              /* packed 3 bytes */
  NEMO_SAMPLE_S32,
  NEMO_SAMPLE_F32,
  NEMO_SAMPLE_F64,
} NemoSampleFormat;             /* all little-endian, interleaved */

typedef enum
{
  NEMO_PIXEL_I420,
  NEMO_PIXEL_NV12,
  NEMO_PIXEL_Y42B,
  NEMO_PIXEL_Y444,
  NEMO_PIXEL_RGBA,
  NEMO_PIXEL_BGRA,
  NEMO_PIXEL_RGBX,
  NEMO_PIXEL_BGRX,
  NEMO_PIXEL_RGB,
  NEMO_PIXEL_BGR,
  /* YUV in full (0-255, "JPEG") range, as image decoders give it */
  NEMO_PIXEL_I420_FULL_RANGE,
  NEMO_PIXEL_Y42B_FULL_RANGE,
  NEMO_PIXEL_Y444_FULL_RANGE,
} NemoPixelFormat;

typedef enum
{
  NEMO_CODEC_MP3,
  NEMO_CODEC_AAC_ADTS,
  NEMO_CODEC_JPEG,
  NEMO_CODEC_PNG,
  NEMO_CODEC_H264,              /* Annex B byte-stream, access-unit aligned */
} NemoCodec;

typedef struct _NemoSpool NemoSpool;

/* Raw interleaved PCM, written as it comes (a WAV file). */
NemoSpool *nemo_spool_new_raw_audio (const gchar * path,
    NemoSampleFormat format, gint rate, gint channels, GError ** error);
/* Raw video frames.  Runs of identical frames are folded into one (an
 * endless imagefreeze costs one frame); changing frames are stored
 * losslessly-compressed, so a spool of one frame is a still image.
 * @fps_n 0 (with @fps_d 1) is an unknown or variable rate, as image
 * decoders announce a still: frames are then placed by their pts. */
NemoSpool *nemo_spool_new_raw_video (const gchar * path,
    NemoPixelFormat format, gint width, gint height, gint fps_n, gint fps_d,
    GError ** error);
/* Encoded media, stored without re-encoding.  A JPEG/PNG spool holding one
 * picture is that image file as it came. */
NemoSpool *nemo_spool_new_encoded (const gchar * path, NemoCodec codec,
    GError ** error);

/* @pts_us: the buffer's stream time, or -1 if unknown. */
gboolean nemo_spool_write (NemoSpool * spool, const guint8 * data, gsize size,
    gint64 pts_us, GError ** error);
/* For raw video: one frame given by planes and strides. */
gboolean nemo_spool_write_video (NemoSpool * spool, const guint8 * const planes[4],
    const gint strides[4], gint64 pts_us, GError ** error);
/* Stream time covered so far (end of the last buffer), in µs. */
gint64 nemo_spool_get_duration (NemoSpool * spool);
/* Number of buffers (for raw video: distinct frames after folding; for
 * JPEG/PNG: pictures received, of which the first is stored) written. */
guint64 nemo_spool_get_count (NemoSpool * spool);
/* Close the file; nemo_spool_get_path() is then a complete input. */
gboolean nemo_spool_finish (NemoSpool * spool, GError ** error);
const gchar *nemo_spool_get_path (NemoSpool * spool);
void nemo_spool_free (NemoSpool * spool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoSpool, nemo_spool_free)

/* ---- upload preparation: make an input acceptable to the cloud service ----
 *
 * The service (docs/protocol.md, "Limits") takes mp4, mov, avi, webm, mkv,
 * jpg, png, gif, webp, mp3, wav, m4a and aac, up to a size limit.  A file
 * goes up as it is when its container and codecs, not just its name, are
 * one of these, with the matching extension:
 * - audio: MP3 (.mp3), PCM WAV (.wav), AAC in MP4 (.m4a) or ADTS (.aac);
 * - stills: JPEG (.jpg/.jpeg), PNG, GIF, WebP;
 * - video: .mp4/.mov/.avi/.mkv holding H.264, HEVC, VP8, VP9, AV1 or MPEG-4
 *   video with AAC, MP3, Opus, Vorbis or PCM sound; .webm holding VP8, VP9
 *   or AV1 with Opus or Vorbis.
 * Anything else is transcoded (FLAC and OGG/Opus are: only one of the
 * service's skills names FLAC):
 * - audio → MP3, 320 kbps CBR, stereo, 44.1 kHz if the source is, else 48 kHz;
 * - a still (an image, or a one-frame video) → PNG; if the PNG is over
 *   max_size, JPEG at quality 2, scaled down in steps until it fits;
 * - video → H.264 MP4 (libx264 veryfast, CRF 20, yuv420p, even sizes), AAC
 *   192 kbps if the source has sound, moov first (faststart).
 * With from_pad (a spool from nemo_spool_*), only the compact spools (.mp3,
 * .aac, .jpg, .png) go as they are: a .wav becomes an MP3, a one-frame .mkv
 * a PNG, a .mkv clip an H.264 MP4, and an H.264 .ts is remuxed to MP4
 * without re-encoding (re-encoded when it must be trimmed or shrunk).
 *
 * max_duration_us: longer audio and video are re-encoded, cut exactly there
 * (the first max_duration_us of the input).  Stills are never cut.
 *
 * max_size: a result over the limit is re-encoded at the bitrate that fits:
 * max_size × 8 × 0.97 (container margin) / duration bits a second.  Audio
 * takes the largest MP3 bitrate under that, at least 64 kbps; video splits
 * it into AAC (an eighth, 64 to 192 kbps) and H.264 with a rate cap (at
 * least 150 kbps).  If the file is still over, it is encoded once more at
 * 85 % of that (not below those floors).  An accepted file over the limit
 * is re-encoded straight at the fitting bitrate.  A still goes PNG → JPEG
 * → smaller JPEGs.  docs/upload.md has the details. */
typedef struct
{
  guint64 max_size;             /* bytes; 0 = no limit */
  gint64 max_duration_us;       /* 0 = whole input */
  gboolean from_pad;            /* a spool of pad data: always transcode to a compact format */
} NemoUploadLimits;

/* Make @path acceptable to the service: an accepted format, at most
 * max_duration_us long and at most max_size bytes (see above).  Returns the
 * path to upload — @path itself when it already fits (nothing copied or
 * read beyond probing), else a new file in @work_dir named after @path with
 * the new extension — and sets *@transcoded.  On failure no file is left
 * in @work_dir.
 * Errors: the probe's errors, NEMO_ERROR_FILE_TOO_LARGE when no encoding
 * can make it fit (saying by how much and what to do: a shorter
 * max-duration, a larger max-upload-size), NEMO_ERROR_CANCELLED (checked
 * between packets), NEMO_ERROR_ENCODE / _IO when FFmpeg or the disk fail. */
gchar *nemo_media_prepare_upload (const gchar * path, const gchar * work_dir,
    const NemoUploadLimits * limits, gboolean * transcoded,
    GCancellable * cancellable, GError ** error);

/* Send FFmpeg's log through the library's log hook (include/common/nemo/log.h).
 * FFmpeg has one log callback per process and no way to read it back: call
 * this only when nothing else in the process (gst-libav, the application)
 * has set one. */
void nemo_media_log_ffmpeg (void);

G_END_DECLS

#endif
