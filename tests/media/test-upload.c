/* nemorender media layer tests: preparing inputs for upload.  Checked on
 * what the service and a user would see: the path handed back, the files
 * left in the work folder, the container and codecs of the result, its
 * decoded samples and pixels, its size, and the error text.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/media.h>
#include <nemo/error.h>

#include <glib/gstdio.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <math.h>

#include "test-util.h"

#define SECOND G_GINT64_CONSTANT (1000000)

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar * const *) a, *(const gchar * const *) b);
}

/* The names in @dir, sorted, joined by spaces ("" when empty). */
static gchar *
dir_listing (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;
  gchar *ret;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)))
    g_ptr_array_add (names, g_strdup (name));
  g_dir_close (d);
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  ret = g_strjoinv (" ", (gchar **) names->pdata);
  g_ptr_array_unref (names);
  return ret;
}

static guint64
file_size (const gchar * path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_size;
}

/* Prepares @path into @dir, expecting success. */
static gchar *
prepare (const gchar * path, const gchar * dir, const NemoUploadLimits * limits,
    gboolean * transcoded)
{
  g_autoptr (GError) error = NULL;
  gchar *out;

  out = nemo_media_prepare_upload (path, dir, limits, transcoded, NULL,
      &error);
  g_assert_no_error (error);
  g_assert_nonnull (out);
  return out;
}

/* ---- what a file is, read back with libavformat ---- */

typedef struct
{
  gchar *format;                /* demuxer name */
  gchar *video_codec, *audio_codec;     /* NULL when absent */
  gint width, height;
  gint64 n_video_frames;        /* from the container's index */
  gint channels, sample_rate;
  gint64 audio_bit_rate;
  gint64 duration_us;
} FileFacts;

static void
file_facts_clear (FileFacts * facts)
{
  g_free (facts->format);
  g_free (facts->video_codec);
  g_free (facts->audio_codec);
}

static void
read_facts (const gchar * path, FileFacts * facts)
{
  AVFormatContext *fmt = NULL;
  guint i;

  memset (facts, 0, sizeof (*facts));
  g_assert_cmpint (avformat_open_input (&fmt, path, NULL, NULL), ==, 0);
  g_assert_cmpint (avformat_find_stream_info (fmt, NULL), >=, 0);
  facts->format = g_strdup (fmt->iformat->name);
  facts->duration_us = fmt->duration;
  for (i = 0; i < fmt->nb_streams; i++) {
    AVStream *st = fmt->streams[i];
    AVCodecParameters *par = st->codecpar;

    if (par->codec_type == AVMEDIA_TYPE_VIDEO && !facts->video_codec) {
      facts->video_codec = g_strdup (avcodec_get_name (par->codec_id));
      facts->width = par->width;
      facts->height = par->height;
      facts->n_video_frames = st->nb_frames;
    } else if (par->codec_type == AVMEDIA_TYPE_AUDIO && !facts->audio_codec) {
      facts->audio_codec = g_strdup (avcodec_get_name (par->codec_id));
      facts->channels = par->ch_layout.nb_channels;
      facts->sample_rate = par->sample_rate;
      facts->audio_bit_rate = par->bit_rate;
    }
  }
  avformat_close_input (&fmt);
}

/* Whether the MP4's index (moov) comes before its media (mdat). */
static gboolean
moov_before_mdat (const gchar * path)
{
  g_autofree gchar *data = NULL;
  gsize len, pos = 0;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  while (pos + 8 <= len) {
    guint32 size = GUINT32_FROM_BE (*(guint32 *) (data + pos));

    if (memcmp (data + pos + 4, "moov", 4) == 0)
      return TRUE;
    if (memcmp (data + pos + 4, "mdat", 4) == 0 || size < 8)
      return FALSE;
    pos += size;
  }
  return FALSE;
}

/* ---- sound ---- */

/* @path decodes to @seconds (± @tolerance_us) of the test tone: 440 Hz on
 * the left, 660 Hz on the right. */
static void
check_tone (const gchar * path, gdouble seconds, gint64 tolerance_us)
{
  g_autofree gfloat *s = NULL;
  gsize n;

  s = read_all (path, &n);
  g_test_message ("%s: %" G_GSIZE_FORMAT " frames", path, n);
  g_assert_cmpint (ABS ((gint64) n * SECOND / 48000 -
          (gint64) (seconds * SECOND)), <=, tolerance_us);
  g_assert_cmpint (ABS (zero_crossings (s, 24000, 48000, 0) - 880), <=, 2);
  g_assert_cmpint (ABS (zero_crossings (s, 24000, 48000, 1) - 1320), <=, 2);
}

/* An MP3 at @bit_rate, stereo, 44.1 or 48 kHz. */
static void
check_mp3 (const gchar * path, gint64 bit_rate)
{
  FileFacts facts;

  g_assert_true (g_str_has_suffix (path, ".mp3"));
  read_facts (path, &facts);
  g_assert_cmpstr (facts.format, ==, "mp3");
  g_assert_cmpstr (facts.audio_codec, ==, "mp3");
  g_assert_null (facts.video_codec);
  g_assert_cmpint (facts.channels, ==, 2);
  g_assert_true (facts.sample_rate == 44100 || facts.sample_rate == 48000);
  g_assert_cmpint (facts.audio_bit_rate, ==, bit_rate);
  file_facts_clear (&facts);
}

/* ---- pictures ---- */

/* An H.264 MP4 of @width×@height lasting @seconds (± 40 ms), with its
 * index first. */
static void
check_mp4 (const gchar * path, gint width, gint height, gdouble seconds,
    gboolean with_sound)
{
  FileFacts facts;

  g_assert_true (g_str_has_suffix (path, ".mp4"));
  read_facts (path, &facts);
  g_assert_cmpstr (facts.format, ==, "mov,mp4,m4a,3gp,3g2,mj2");
  g_assert_cmpstr (facts.video_codec, ==, "h264");
  g_assert_cmpint (facts.width, ==, width);
  g_assert_cmpint (facts.height, ==, height);
  g_assert_cmpstr (facts.audio_codec, ==, with_sound ? "aac" : NULL);
  g_assert_cmpint (ABS (facts.duration_us - (gint64) (seconds * SECOND)), <=,
      40000);
  g_assert_true (moov_before_mdat (path));
  file_facts_clear (&facts);
}

/* ---- tests ---- */

static void
test_accepted_as_is (void)
{
  static const gchar *files[] = {
    "tone.mp3", "tone.wav", "tone.m4a", "cover.jpg", "cover.png",
    "cover.gif", "cover.webp", "clip.mp4", "clip.mov", "clip.mkv",
    "clip.webm", "clip-with-sound.mp4",
  };
  /* limits the files are within change nothing */
  NemoUploadLimits roomy = { 10 * 1000 * 1000, 20 * SECOND, FALSE };
  NemoUploadLimits none = { 0, 0, FALSE };
  gchar *dir = make_dir ();
  guint i;

  for (i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree gchar *path = data_path (files[i]);
    g_autofree gchar *out = NULL, *out_roomy = NULL, *listing = NULL;
    gboolean transcoded = TRUE;

    g_test_message ("%s", files[i]);
    out = prepare (path, dir, &none, &transcoded);
    g_assert_cmpstr (out, ==, path);
    g_assert_false (transcoded);
    transcoded = TRUE;
    out_roomy = prepare (path, dir, &roomy, &transcoded);
    g_assert_cmpstr (out_roomy, ==, path);
    g_assert_false (transcoded);
    listing = dir_listing (dir);
    g_assert_cmpstr (listing, ==, "");
  }
  remove_dir (dir);
}

/* A file:// URI is read as its path. */
static void
test_uri (void)
{
  NemoUploadLimits none = { 0, 0, FALSE };
  gchar *dir = make_dir ();
  g_autofree gchar *path = data_path ("tone.mp3");
  g_autofree gchar *uri = g_filename_to_uri (path, NULL, NULL);
  g_autofree gchar *out = NULL;
  gboolean transcoded = TRUE;

  out = prepare (uri, dir, &none, &transcoded);
  g_assert_cmpstr (out, ==, path);
  g_assert_false (transcoded);
  remove_dir (dir);
}

/* The container and codec decide, not the name: a PNG called .jpg and an
 * MJPEG AVI are converted. */
static void
test_converted_by_content (void)
{
  NemoUploadLimits none = { 0, 0, FALSE };
  gchar *dir = make_dir ();
  g_autofree gchar *png = data_path ("cover.png");
  g_autofree gchar *avi = data_path ("clip.avi");
  g_autofree gchar *misnamed = g_build_filename (dir, "cover.jpg", NULL);
  g_autofree gchar *contents = NULL;
  g_autofree gchar *out = NULL, *clip = NULL, *listing = NULL;
  AVFrame *a, *b;
  gboolean transcoded = FALSE;
  gsize len;

  g_assert_true (g_file_get_contents (png, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (misnamed, contents, len, NULL));
  out = prepare (misnamed, dir, &none, &transcoded);
  g_assert_true (transcoded);
  g_assert_cmpstr (out, !=, misnamed);
  g_assert_true (g_str_has_suffix (out, "/cover.png"));
  a = nemo_media_decode_image (png, NULL);
  b = nemo_media_decode_image (out, NULL);
  g_assert_true (frames_equal (a, b));
  av_frame_free (&a);
  av_frame_free (&b);

  transcoded = FALSE;
  clip = prepare (avi, dir, &none, &transcoded);
  g_assert_true (transcoded);
  g_assert_true (g_str_has_suffix (clip, "/clip.mp4"));
  check_mp4 (clip, 640, 360, 3.0, FALSE);

  listing = dir_listing (dir);
  g_assert_cmpstr (listing, ==, "clip.mp4 cover.jpg cover.png");
  remove_dir (dir);
}

/* FLAC and OGG are not taken as they are: MP3 at 320 kbps. */
static void
test_audio_to_mp3 (void)
{
  static const gchar *files[] = { "tone.flac", "tone.opus", "tone.ogg" };
  NemoUploadLimits none = { 0, 0, FALSE };
  gchar *dir = make_dir ();
  guint i;

  for (i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree gchar *path = data_path (files[i]);
    g_autofree gchar *out = NULL;
    gboolean transcoded = FALSE;

    g_test_message ("%s", files[i]);
    out = prepare (path, dir, &none, &transcoded);
    g_assert_true (transcoded);
    g_assert_true (g_str_has_prefix (out, dir));
    check_mp3 (out, 320000);
    check_tone (out, 8.0, 30000);
  }
  remove_dir (dir);
}

/* A WAV spool from a pad goes up as MP3; the same WAV from a file as it is. */
static void
test_pad_wav (void)
{
  NemoUploadLimits pad = { 0, 0, TRUE };
  NemoUploadLimits file = { 0, 0, FALSE };
  gchar *dir = make_dir ();
  g_autofree gchar *base = g_build_filename (dir, "audio", NULL);
  g_autofree gchar *out = NULL, *kept = NULL, *listing = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoSpool) spool = NULL;
  gint16 chunk[4800 * 2];
  gboolean transcoded = FALSE;
  gint c, i;

  spool = nemo_spool_new_raw_audio (base, NEMO_SAMPLE_S16, 48000, 2, &error);
  g_assert_no_error (error);
  /* 2 s of the test tone */
  for (c = 0; c < 20; c++) {
    for (i = 0; i < 4800; i++) {
      gdouble t = (c * 4800 + i) / 48000.0;

      chunk[2 * i] = 12000 * sin (2 * G_PI * 440 * t);
      chunk[2 * i + 1] = 12000 * sin (2 * G_PI * 660 * t);
    }
    g_assert_true (nemo_spool_write (spool, (guint8 *) chunk, sizeof (chunk),
            -1, &error));
  }
  g_assert_true (nemo_spool_finish (spool, &error));
  g_assert_no_error (error);

  kept = prepare (nemo_spool_get_path (spool), dir, &file, &transcoded);
  g_assert_cmpstr (kept, ==, nemo_spool_get_path (spool));
  g_assert_false (transcoded);

  out = prepare (nemo_spool_get_path (spool), dir, &pad, &transcoded);
  g_assert_true (transcoded);
  g_assert_true (g_str_has_suffix (out, "/audio.mp3"));
  check_mp3 (out, 320000);
  check_tone (out, 2.0, 1000);

  listing = dir_listing (dir);
  g_assert_cmpstr (listing, ==, "audio.mp3 audio.wav");
  remove_dir (dir);
}

/* A one-frame raw video spool (an image pad) goes up as a PNG of the same
 * pixels.  An odd size keeps the spool in 4:4:4, so only the RGB ↔ YUV
 * rounding separates the PNG from the picture given. */
static void
test_pad_still (void)
{
  enum
  { W = 161, H = 91, STRIDE = (W * 3 + 3) & ~3 };
  NemoUploadLimits pad = { 0, 0, TRUE };
  gchar *dir = make_dir ();
  g_autofree gchar *base = g_build_filename (dir, "cover", NULL);
  /* swscale reads rows in 16-byte steps: padding, as FFmpeg's own buffers
   * have */
  g_autofree guint8 *rgb = g_malloc0 (STRIDE * H + 64);
  g_autofree gchar *out = NULL, *listing = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoSpool) spool = NULL;
  gboolean transcoded = FALSE;
  AVFrame *png;
  FileFacts facts;
  gint x, y, c;

  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++) {
      guint8 *p = rgb + y * STRIDE + x * 3;
      guint32 colour = x >= 40 && x < 120 && y >= 20 && y < 70 ? 0xFF8000 :
          x < 20 ? 0xFFFFFF : y >= 80 ? 0x10C040 : 0x203040;

      p[0] = colour >> 16;
      p[1] = colour >> 8;
      p[2] = colour;
    }
  spool = nemo_spool_new_raw_video (base, NEMO_PIXEL_RGB, W, H, 0, 1, &error);
  g_assert_no_error (error);
  g_assert_true (nemo_spool_write (spool, rgb, STRIDE * H, 0, &error));
  g_assert_true (nemo_spool_finish (spool, &error));
  g_assert_no_error (error);

  out = prepare (nemo_spool_get_path (spool), dir, &pad, &transcoded);
  g_assert_true (transcoded);
  g_assert_true (g_str_has_suffix (out, "/cover.png"));
  read_facts (out, &facts);
  g_assert_cmpstr (facts.video_codec, ==, "png");
  file_facts_clear (&facts);

  png = nemo_media_decode_image (out, &error);
  g_assert_no_error (error);
  g_assert_cmpint (png->format, ==, AV_PIX_FMT_RGB24);
  g_assert_cmpint (png->width, ==, W);
  g_assert_cmpint (png->height, ==, H);
  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++)
      for (c = 0; c < 3; c++)
        g_assert_cmpint (ABS (png->data[0][y * png->linesize[0] + x * 3 + c] -
                rgb[y * STRIDE + x * 3 + c]), <=, 3);
  av_frame_free (&png);

  listing = dir_listing (dir);
  g_assert_cmpstr (listing, ==, "cover.mkv cover.png");
  remove_dir (dir);
}

/* A clip spool in Matroska goes up as H.264 MP4. */
static void
test_pad_mkv_clip (void)
{
  NemoUploadLimits pad = { 0, 0, TRUE };
  gchar *dir = make_dir ();
  g_autofree gchar *mkv = data_path ("clip.mkv");
  g_autofree gchar *out = NULL;
  gboolean transcoded = FALSE;
  FileFacts facts;
  AVFrame *a, *b;
  gint64 sad = 0;
  gint i;

  out = prepare (mkv, dir, &pad, &transcoded);
  g_assert_true (transcoded);
  g_assert_true (g_str_has_suffix (out, "/clip.mp4"));
  check_mp4 (out, 640, 360, 3.0, FALSE);
  read_facts (out, &facts);
  g_assert_cmpint (facts.n_video_frames, ==, 75);
  file_facts_clear (&facts);

  /* re-encoded: close to the source, not equal */
  a = frame_of (mkv, 1500000);
  b = frame_of (out, 1500000);
  g_assert_cmpint (b->format, ==, AV_PIX_FMT_YUV420P);
  for (i = 0; i < a->width * a->height; i++)
    sad += ABS (a->data[0][(i / a->width) * a->linesize[0] + i % a->width] -
        b->data[0][(i / b->width) * b->linesize[0] + i % b->width]);
  g_test_message ("mean luma difference %f", sad / (gdouble) (640 * 360));
  g_assert_cmpfloat (sad / (gdouble) (640 * 360), <, 3.0);
  g_assert_false (frames_equal (a, b));
  av_frame_free (&a);
  av_frame_free (&b);
  remove_dir (dir);
}

/* An H.264 spool (MPEG-TS) goes into MP4 as it is: the same pictures,
 * bit for bit. */
static void
test_pad_ts_remux (void)
{
  NemoUploadLimits pad = { 0, 0, TRUE };
  gchar *dir = make_dir ();
  g_autofree gchar *base = g_build_filename (dir, "video", NULL);
  g_autofree gchar *clip = data_path ("clip.mp4");
  g_autofree gchar *out = NULL, *listing = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoSpool) spool = NULL;
  gboolean transcoded = FALSE;
  FileFacts facts;
  gint64 t;

  spool = nemo_spool_new_encoded (base, NEMO_CODEC_H264, &error);
  g_assert_no_error (error);
  feed_h264 (spool, clip);
  g_assert_true (nemo_spool_finish (spool, &error));
  g_assert_no_error (error);

  out = prepare (nemo_spool_get_path (spool), dir, &pad, &transcoded);
  g_assert_true (transcoded);
  g_assert_true (g_str_has_suffix (out, "/video.mp4"));
  check_mp4 (out, 640, 360, 3.0, FALSE);
  read_facts (out, &facts);
  g_assert_cmpint (facts.n_video_frames, ==, 75);
  file_facts_clear (&facts);
  for (t = 0; t < 3 * SECOND; t += 450000) {
    AVFrame *a = frame_of (clip, t), *b = frame_of (out, t);

    g_assert_true (frames_equal (a, b));
    av_frame_free (&a);
    av_frame_free (&b);
  }
  listing = dir_listing (dir);
  g_assert_cmpstr (listing, ==, "video.mp4 video.ts");
  remove_dir (dir);
}

/* A clip spool with runs of identical frames (three pictures of a second
 * each) at an odd size: an MP4 of three frames that keeps every run's
 * length, at the even size below. */
static void
test_pad_clip_runs (void)
{
  enum
  { W = 99, H = 51 };
  NemoUploadLimits pad = { 0, 0, TRUE };
  static const guint8 shades[] = { 30, 130, 230 };
  gchar *dir = make_dir ();
  g_autofree gchar *base = g_build_filename (dir, "runs", NULL);
  g_autofree gchar *out = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoSpool) spool = NULL;
  guint8 gray[W * 4 * H + 64];
  gboolean transcoded = FALSE;
  FileFacts facts;
  gint i, run;

  spool = nemo_spool_new_raw_video (base, NEMO_PIXEL_RGBX, W, H, 25, 1,
      &error);
  g_assert_no_error (error);
  for (i = 0; i < 75; i++) {
    memset (gray, shades[i / 25], sizeof (gray));
    g_assert_true (nemo_spool_write (spool, gray, W * 4 * H, -1, &error));
    g_assert_no_error (error);
  }
  g_assert_true (nemo_spool_finish (spool, &error));
  g_assert_cmpuint (nemo_spool_get_count (spool), ==, 3);

  out = prepare (nemo_spool_get_path (spool), dir, &pad, &transcoded);
  g_assert_true (transcoded);
  check_mp4 (out, W - 1, H - 1, 3.0, FALSE);
  read_facts (out, &facts);
  g_assert_cmpint (facts.n_video_frames, ==, 3);
  file_facts_clear (&facts);

  /* each picture where it was: the middle of each run shows its shade */
  for (run = 0; run < 3; run++) {
    AVFrame *frame = frame_of (out, run * SECOND + SECOND / 2);
    gint y = frame->data[0][(H / 2) * frame->linesize[0] + W / 2];
    gint expected = 16 + shades[run] * 219 / 255;

    g_assert_cmpint (ABS (y - expected), <=, 3);
    av_frame_free (&frame);
  }
  remove_dir (dir);
}

/* Cancels as soon as bytes are written to the output: mid-encode.  The
 * folder is watched (inotify) on a thread of its own, since the encode
 * blocks the test's thread. */
typedef struct
{
  GFile *dir;
  const gchar *name;            /* the output file to watch */
  GCancellable *cancellable;
  GMainContext *context;
  GMainLoop *loop;
  GMutex lock;
  GCond cond;
  gboolean watching;
} CancelWhenWriting;

static void
output_changed (GFileMonitor * monitor, GFile * file, GFile * other,
    GFileMonitorEvent event, gpointer data)
{
  CancelWhenWriting *cw = data;
  g_autofree gchar *name = g_file_get_basename (file);

  if (event == G_FILE_MONITOR_EVENT_CHANGED && g_str_equal (name, cw->name))
    g_cancellable_cancel (cw->cancellable);
}

static gboolean
started_watching (gpointer data)
{
  CancelWhenWriting *cw = data;

  g_mutex_lock (&cw->lock);
  cw->watching = TRUE;
  g_cond_signal (&cw->cond);
  g_mutex_unlock (&cw->lock);
  return G_SOURCE_REMOVE;
}

static gpointer
cancel_when_writing (gpointer data)
{
  CancelWhenWriting *cw = data;
  GFileMonitor *monitor;
  GSource *started = g_idle_source_new ();
  GError *error = NULL;

  g_main_context_push_thread_default (cw->context);
  monitor = g_file_monitor_directory (cw->dir, G_FILE_MONITOR_NONE, NULL,
      &error);
  g_assert_no_error (error);
  /* every write, not one report in 800 ms */
  g_file_monitor_set_rate_limit (monitor, 0);
  g_signal_connect (monitor, "changed", G_CALLBACK (output_changed), cw);
  g_source_set_callback (started, started_watching, cw, NULL);
  g_source_attach (started, cw->context);
  g_source_unref (started);
  g_main_loop_run (cw->loop);
  g_object_unref (monitor);
  g_main_context_pop_thread_default (cw->context);
  return NULL;
}

static GThread *
start_watching (CancelWhenWriting * cw)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  GThread *thread;

  g_mutex_init (&cw->lock);
  g_cond_init (&cw->cond);
  cw->context = g_main_context_new ();
  cw->loop = g_main_loop_new (cw->context, FALSE);
  thread = g_thread_new ("cancel", cancel_when_writing, cw);
  g_mutex_lock (&cw->lock);
  while (!cw->watching)
    if (!g_cond_wait_until (&cw->cond, &cw->lock, deadline))
      g_error ("the folder watch did not start in 10 s");
  g_mutex_unlock (&cw->lock);
  return thread;
}

static void
stop_watching (CancelWhenWriting * cw, GThread * thread)
{
  g_main_loop_quit (cw->loop);
  g_thread_join (thread);
  g_main_loop_unref (cw->loop);
  g_main_context_unref (cw->context);
  g_mutex_clear (&cw->lock);
  g_cond_clear (&cw->cond);
}

/* Cancelled halfway through a 60 s MP3 encode: CANCELLED, and the partial
 * MP3 is removed. */
static void
test_cancelled_midway (void)
{
  NemoUploadLimits pad = { 0, 0, TRUE };
  gchar *dir = make_dir ();
  g_autofree gchar *base = g_build_filename (dir, "long", NULL);
  g_autoptr (GFile) dir_file = g_file_new_for_path (dir);
  g_autofree gchar *listing = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoSpool) spool = NULL;
  CancelWhenWriting cw = { dir_file, "long.mp3", cancellable, };
  gint16 chunk[48000 * 2];
  GThread *thread;
  gchar *out;
  gint i;

  spool = nemo_spool_new_raw_audio (base, NEMO_SAMPLE_S16, 48000, 2, &error);
  g_assert_no_error (error);
  for (i = 0; i < 48000 * 2; i++)
    chunk[i] = g_random_int_range (-8000, 8000);
  for (i = 0; i < 60; i++)
    g_assert_true (nemo_spool_write (spool, (guint8 *) chunk, sizeof (chunk),
            -1, &error));
  g_assert_true (nemo_spool_finish (spool, &error));
  g_assert_no_error (error);

  thread = start_watching (&cw);
  out = nemo_media_prepare_upload (nemo_spool_get_path (spool), dir, &pad,
      NULL, cancellable, &error);
  stop_watching (&cw, thread);

  g_assert_null (out);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_CANCELLED);
  listing = dir_listing (dir);
  g_assert_cmpstr (listing, ==, "long.wav");
  remove_dir (dir);
}

static void
test_max_duration (void)
{
  NemoUploadLimits three = { 0, 3 * SECOND, FALSE };
  gchar *dir = make_dir ();
  g_autofree gchar *mp3 = data_path ("tone.mp3");
  g_autofree gchar *clip = data_path ("clip-with-sound.mp4");
  g_autofree gchar *out = NULL, *video = NULL;
  g_autofree gfloat *s = NULL;
  gboolean transcoded = FALSE;
  FileFacts facts;
  gsize n;

  /* an accepted MP3, too long: cut exactly */
  out = prepare (mp3, dir, &three, &transcoded);
  g_assert_true (transcoded);
  check_mp3 (out, 320000);
  check_tone (out, 3.0, 30000);
  /* the demuxer's estimate also counts the encoder's delay and padding,
   * which decoders drop */
  read_facts (out, &facts);
  g_assert_cmpint (ABS (facts.duration_us - 3 * SECOND), <=, 50000);
  file_facts_clear (&facts);

  /* a 4 s clip with sound: both tracks cut at 3 s */
  transcoded = FALSE;
  video = prepare (clip, dir, &three, &transcoded);
  g_assert_true (transcoded);
  check_mp4 (video, 640, 360, 3.0, TRUE);
  read_facts (video, &facts);
  g_assert_cmpint (facts.n_video_frames, ==, 90);
  g_assert_cmpint (facts.channels, ==, 2);
  file_facts_clear (&facts);
  s = read_all (video, &n);
  g_assert_cmpint (ABS ((gint64) n - 3 * 48000), <=, 48000 * 30 / 1000);
  /* the clip's 880 Hz, on both sides */
  g_assert_cmpint (ABS (zero_crossings (s, 24000, 48000, 0) - 1760), <=, 4);
  g_assert_cmpint (ABS (zero_crossings (s, 24000, 48000, 1) - 1760), <=, 4);
  remove_dir (dir);
}

/* 1.4 MB of WAV into 150 kB: an MP3 at the bitrate that fits, still the
 * whole 8 s. */
static void
test_max_size_audio (void)
{
  NemoUploadLimits small = { 150000, 0, FALSE };
  gchar *dir = make_dir ();
  g_autofree gchar *wav = data_path ("tone.wav");
  g_autofree gchar *out = NULL;
  gboolean transcoded = FALSE;

  g_assert_cmpuint (file_size (wav), >, 1000000);
  out = prepare (wav, dir, &small, &transcoded);
  g_assert_true (transcoded);
  g_test_message ("%" G_GUINT64_FORMAT " bytes", file_size (out));
  g_assert_cmpuint (file_size (out), <=, 150000);
  /* the largest MP3 bitrate under 150000 × 8 × 0.97 / 8 s */
  check_mp3 (out, 128000);
  check_tone (out, 8.0, 30000);
  remove_dir (dir);
}

static void
test_max_size_video (void)
{
  gchar *dir = make_dir ();
  g_autofree gchar *clip = data_path ("clip.mp4");
  g_autofree gchar *sound = data_path ("clip-with-sound.mp4");
  g_autofree gchar *out = NULL, *out_sound = NULL;
  gboolean transcoded = FALSE;
  NemoUploadLimits limits = { file_size (clip) / 2, 0, FALSE };

  out = prepare (clip, dir, &limits, &transcoded);
  g_assert_true (transcoded);
  g_test_message ("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes",
      file_size (out), limits.max_size);
  g_assert_cmpuint (file_size (out), <=, limits.max_size);
  check_mp4 (out, 640, 360, 3.0, FALSE);

  transcoded = FALSE;
  limits.max_size = 200000;
  out_sound = prepare (sound, dir, &limits, &transcoded);
  g_assert_true (transcoded);
  g_test_message ("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes",
      file_size (out_sound), limits.max_size);
  g_assert_cmpuint (file_size (out_sound), <=, limits.max_size);
  check_mp4 (out_sound, 640, 360, 4.0, TRUE);
  remove_dir (dir);
}

/* A picture whose PNG is too large becomes a JPEG, scaled down until it
 * fits. */
static void
test_max_size_still (void)
{
  enum
  { W = 320, H = 240 };
  NemoUploadLimits limits = { 20000, 0, TRUE };
  gchar *dir = make_dir ();
  g_autofree gchar *base = g_build_filename (dir, "noise", NULL);
  g_autofree guint8 *rgb = g_malloc (W * 3 * H + 64);
  g_autofree gchar *out = NULL, *listing = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoSpool) spool = NULL;
  GRand *rand = g_rand_new_with_seed (7);
  gboolean transcoded = FALSE;
  FileFacts facts;
  gint i;

  for (i = 0; i < W * 3 * H; i++)
    rgb[i] = g_rand_int (rand);
  g_rand_free (rand);
  spool = nemo_spool_new_raw_video (base, NEMO_PIXEL_RGB, W, H, 0, 1, &error);
  g_assert_no_error (error);
  g_assert_true (nemo_spool_write (spool, rgb, W * 3 * H, 0, &error));
  g_assert_true (nemo_spool_finish (spool, &error));
  g_assert_no_error (error);

  out = prepare (nemo_spool_get_path (spool), dir, &limits, &transcoded);
  g_assert_true (transcoded);
  g_assert_true (g_str_has_suffix (out, "/noise.jpg"));
  g_assert_cmpuint (file_size (out), <=, limits.max_size);
  read_facts (out, &facts);
  g_test_message ("%d×%d, %" G_GUINT64_FORMAT " bytes", facts.width,
      facts.height, file_size (out));
  g_assert_cmpstr (facts.video_codec, ==, "mjpeg");
  g_assert_cmpint (facts.width, <, W);
  g_assert_cmpint (facts.width, >=, 16);
  g_assert_cmpint (ABS (facts.width * 3 - facts.height * 4), <=, 4);
  file_facts_clear (&facts);

  /* the PNG tried first is gone */
  listing = dir_listing (dir);
  g_assert_cmpstr (listing, ==, "noise.jpg noise.mkv");
  remove_dir (dir);
}

static void
test_too_large (void)
{
  NemoUploadLimits tiny = { 2000, 0, FALSE };
  gchar *dir = make_dir ();
  g_autofree gchar *wav = data_path ("tone.wav");
  g_autofree gchar *clip = data_path ("clip.mp4");
  g_autofree gchar *listing = NULL;
  g_autoptr (GError) error = NULL;
  gboolean transcoded = TRUE;
  gchar *out;

  out = nemo_media_prepare_upload (wav, dir, &tiny, &transcoded, NULL,
      &error);
  g_assert_null (out);
  g_assert_false (transcoded);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_FILE_TOO_LARGE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, wav));
  /* 8 s at 64 kbit/s is 66 kB, against a limit of 2 kB (GLib puts a
   * no-break space between number and unit) */
  g_assert_nonnull (strstr (error->message, "max-upload-size (2.0\u00a0kB)"));
  g_assert_nonnull (strstr (error->message, "8.0 s of audio"));
  g_assert_nonnull (strstr (error->message, "64 kbit/s"));
  g_assert_nonnull (strstr (error->message, "66.0\u00a0kB"));
  g_assert_nonnull (strstr (error->message, "64.0\u00a0kB too much"));
  g_assert_nonnull (strstr (error->message, "shorter max-duration (0.2 s "));
  g_assert_nonnull (strstr (error->message, "larger max-upload-size"));
  g_clear_error (&error);

  tiny.max_size = 20000;
  out = nemo_media_prepare_upload (clip, dir, &tiny, &transcoded, NULL,
      &error);
  g_assert_null (out);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_FILE_TOO_LARGE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "3.0 s of video"));
  g_assert_nonnull (strstr (error->message, "150 kbit/s"));
  g_assert_nonnull (strstr (error->message, "max-duration"));

  listing = dir_listing (dir);
  g_assert_cmpstr (listing, ==, "");
  remove_dir (dir);
}

static void
test_cancelled (void)
{
  NemoUploadLimits none = { 0, 0, FALSE };
  gchar *dir = make_dir ();
  g_autofree gchar *flac = data_path ("tone.flac");
  g_autofree gchar *listing = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  gchar *out;

  g_cancellable_cancel (cancellable);
  out = nemo_media_prepare_upload (flac, dir, &none, NULL, cancellable,
      &error);
  g_assert_null (out);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_CANCELLED);
  g_assert_nonnull (strstr (error->message, flac));
  listing = dir_listing (dir);
  g_assert_cmpstr (listing, ==, "");
  remove_dir (dir);
}

static void
test_errors (void)
{
  NemoUploadLimits none = { 0, 0, FALSE };
  gchar *dir = make_dir ();
  g_autofree gchar *garbage = data_path ("garbage.mp3");
  g_autofree gchar *flac = data_path ("tone.flac");
  g_autofree gchar *listing = NULL;
  g_autoptr (GError) error = NULL;
  gchar *out;

  out = nemo_media_prepare_upload ("/x/song.flac", dir, &none, NULL, NULL,
      &error);
  g_assert_null (out);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  out = nemo_media_prepare_upload (garbage, dir, &none, NULL, NULL, &error);
  g_assert_null (out);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA);
  g_clear_error (&error);

  out = nemo_media_prepare_upload (flac, "/nonexistent/work", &none, NULL,
      NULL, &error);
  g_assert_null (out);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent/work/tone.mp3"));

  listing = dir_listing (dir);
  g_assert_cmpstr (listing, ==, "");
  remove_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  av_log_set_level (AV_LOG_ERROR);

  g_test_add_func ("/upload/accepted-as-is", test_accepted_as_is);
  g_test_add_func ("/upload/uri", test_uri);
  g_test_add_func ("/upload/converted-by-content", test_converted_by_content);
  g_test_add_func ("/upload/audio-to-mp3", test_audio_to_mp3);
  g_test_add_func ("/upload/pad-wav", test_pad_wav);
  g_test_add_func ("/upload/pad-still", test_pad_still);
  g_test_add_func ("/upload/pad-mkv-clip", test_pad_mkv_clip);
  g_test_add_func ("/upload/pad-ts-remux", test_pad_ts_remux);
  g_test_add_func ("/upload/pad-clip-runs", test_pad_clip_runs);
  g_test_add_func ("/upload/max-duration", test_max_duration);
  g_test_add_func ("/upload/max-size-audio", test_max_size_audio);
  g_test_add_func ("/upload/max-size-video", test_max_size_video);
  g_test_add_func ("/upload/max-size-still", test_max_size_still);
  g_test_add_func ("/upload/too-large", test_too_large);
  g_test_add_func ("/upload/cancelled", test_cancelled);
  g_test_add_func ("/upload/cancelled-midway", test_cancelled_midway);
  g_test_add_func ("/upload/errors", test_errors);
  return g_test_run ();
}
