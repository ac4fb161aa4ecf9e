/* Test helpers shared by the suites: the generated test media, temporary
 * folders, decoding a file's frames, comparing pictures, WAV headers and
 * the process's peak memory.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_TEST_UTIL_H
#define NEMO_TEST_UTIL_H

#include <glib.h>
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <nemo/media.h>

G_BEGIN_DECLS

/* @name in the folder of generated test media (NEMO_TEST_DATA). */
gchar *data_path (const gchar * name);

/* All of @name in tests/cloud/fixtures/: the service's replies, written by
 * hand from the documents. */
gchar *read_fixture (const gchar * name);

/* A fresh temporary folder, removed with its files by remove_dir(). */
gchar *make_dir (void);
void remove_dir (gchar * dir);

typedef void (*DecodedFrameFunc) (const AVFrame * frame, gpointer user_data);

/* Decode every frame of @path's best stream of @type, flushing the decoder
 * at the end, and hand each one to @func. */
void decode_stream (const gchar * path, enum AVMediaType type,
    DecodedFrameFunc func, gpointer user_data);

/* The same format, size and picture bytes. */
gboolean frames_equal (const AVFrame * a, const AVFrame * b);

/* A copy of the frame @path shows at @t_us, read by a reader of its own. */
AVFrame *frame_of (const gchar * path, gint64 t_us);

/* How many sample frames the media layer's audio reader gets from @name
 * in the test media, read to the end. */
gint64 input_samples (const gchar * name);

/* @path's H.264 (its first stream) to @spool as Annex B access units with
 * their pts, as h264parse would deliver them to an H.264 pad. */
void feed_h264 (NemoSpool * spool, const gchar * path);

/* The 44-byte header of a 16-bit PCM WAV with @data_bytes of samples. */
#define WAV_HEADER_SIZE 44
void wav_header (guint8 header[WAV_HEADER_SIZE], guint32 rate,
    guint16 channels, guint32 data_bytes);

/* @key ("I:" integrated loudness, "Peak:" true peak) in the summary of
 * FFmpeg's ebur128 filter over @path's audio: a meter of its own, not the
 * libebur128 the renderer uses. */
gdouble ffmpeg_meter (const gchar * path, const gchar * key);

/* The process's peak resident memory so far (VmHWM), in KiB. */
guint64 peak_rss_kib (void);

/* Built with AddressSanitizer (gcc's -fsanitize=address, or clang's): its
 * shadow memory, redzones and quarantine of freed blocks make the peak RSS
 * mean nothing, so RSS assertions are skipped (not loosened) there. */
#if defined(__SANITIZE_ADDRESS__)
#define NEMO_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NEMO_TEST_ASAN 1
#endif
#endif
#ifndef NEMO_TEST_ASAN
#define NEMO_TEST_ASAN 0
#endif

/* For tests that write big files: in the test's own process, returns TRUE
 * and the test goes on (its files under g_get_tmp_dir()).  Otherwise runs
 * the current test in a subprocess whose TMPDIR is a fresh folder, removes
 * that folder and all it holds when the subprocess ends, passed, failed or
 * crashed, asserts that it passed, and returns FALSE: the caller returns.
 *   if (!in_own_tmp_dir ()) return; */
gboolean in_own_tmp_dir (void);

G_END_DECLS

/* All of @path as 48 kHz stereo float (g_free); the frame count in
 * @n_frames.  Asserts it decodes to its end with no error. */
gfloat *read_all (const gchar * path, gsize * n_frames);
/* Sign changes of one channel over @n frames from @start. */
gint zero_crossings (const gfloat * s, gsize start, gsize n, gint channel);

#endif
