/* nemorender media layer tests: probe, audio, pictures, clips and spools,
 * checked on what a user would check: decoded samples and pixels, file
 * bytes, error codes and messages.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/media.h>
#include <nemo/error.h>

#include <glib/gstdio.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <math.h>

#include "test-util.h"

#define SECOND G_GINT64_CONSTANT (1000000)

/* ---- probe ---- */

static void
test_path_from_uri (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *plain = NULL, *from_uri = NULL, *none = NULL;

  plain = nemo_media_path_from_uri ("/music/song.mp3", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (plain, ==, "/music/song.mp3");

  from_uri = nemo_media_path_from_uri ("file:///music/my%20song.mp3", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (from_uri, ==, "/music/my song.mp3");

  none = nemo_media_path_from_uri ("https://example.com/song.mp3", &error);
  g_assert_null (none);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA);
  g_assert_nonnull (strstr (error->message,
          "only local files and file:// URIs are read here"));
  g_assert_nonnull (strstr (error->message, "https://example.com/song.mp3"));
}

static void
test_probe_audio (void)
{
  static const struct
  {
    const gchar *file, *codec;
  } tones[] = {
    {"tone.wav", "pcm_s16le"}, {"tone.mp3", "mp3"}, {"tone.flac", "flac"},
    {"tone.m4a", "aac"}, {"tone.opus", "opus"}, {"tone.ogg", "vorbis"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (tones); i++) {
    g_autofree gchar *path = data_path (tones[i].file);
    g_autoptr (GError) error = NULL;
    g_autoptr (NemoMediaInfo) info = nemo_media_probe (path, &error);

    g_test_message ("%s", tones[i].file);
    g_assert_no_error (error);
    g_assert_cmpint (info->kind, ==, NEMO_MEDIA_AUDIO);
    g_assert_cmpstr (info->path, ==, path);
    g_assert_cmpstr (info->codec_name, ==, tones[i].codec);
    g_assert_nonnull (info->format_name);
    g_assert_cmpint (ABS (info->duration_us - 8 * SECOND), <, 60000);
    g_assert_cmpint (info->width, ==, 0);
    g_assert_cmpint (info->height, ==, 0);
    g_assert_cmpint (info->fps_n, ==, 0);
    g_assert_cmpint (info->fps_d, ==, 1);
    g_assert_true (info->has_audio);
  }
}

static void
test_probe_tags_and_uri (void)
{
  g_autofree gchar *path = data_path ("tone.mp3");
  g_autofree gchar *uri = g_filename_to_uri (path, NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoMediaInfo) info = nemo_media_probe (uri, &error);
  g_autoptr (NemoMediaInfo) wav = NULL;
  g_autofree gchar *wav_path = data_path ("tone.wav");

  g_assert_no_error (error);
  g_assert_cmpstr (info->path, ==, path);
  g_assert_cmpstr (info->format_name, ==, "mp3");
  g_assert_cmpstr (info->title, ==, "Test Tone");
  g_assert_cmpstr (info->artist, ==, "Nemo Lab");
  g_assert_cmpstr (info->album, ==, "Signals");

  wav = nemo_media_probe (wav_path, &error);
  g_assert_no_error (error);
  g_assert_null (wav->title);
  g_assert_null (wav->artist);
  g_assert_null (wav->album);
}

static void
test_probe_images (void)
{
  static const struct
  {
    const gchar *file, *codec;
    gint width, height;
  } images[] = {
    {"cover.png", "png", 800, 800}, {"cover.jpg", "mjpeg", 800, 800},
    {"cover.gif", "gif", 800, 800}, {"cover.webp", "webp", 800, 800},
    {"wide.png", "png", 1200, 300}, {"tall.png", "png", 300, 1200},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (images); i++) {
    g_autofree gchar *path = data_path (images[i].file);
    g_autoptr (GError) error = NULL;
    g_autoptr (NemoMediaInfo) info = nemo_media_probe (path, &error);

    g_test_message ("%s", images[i].file);
    g_assert_no_error (error);
    g_assert_cmpint (info->kind, ==, NEMO_MEDIA_IMAGE);
    g_assert_cmpstr (info->codec_name, ==, images[i].codec);
    g_assert_cmpint (info->width, ==, images[i].width);
    g_assert_cmpint (info->height, ==, images[i].height);
    g_assert_cmpint (info->duration_us, ==, 0);
    g_assert_false (info->has_audio);
  }
}

/* A file cut short is named with what it lost; whole files, and lengths
 * that are only guessed (WAV, a clip), are not. */
static void
test_describe_loss (void)
{
  static const struct
  {
    const gchar *file;
    gboolean audio;
    const gchar *says;          /* NULL: nothing is lost */
  } cases[] = {
    {"cut.mp3", TRUE, "“cut.mp3” ends after 2.4 s of its 8.0 s"},
    /* cut in half by bytes: about half of its rows decode */
    {"cut.jpg", FALSE, "“cut.jpg” is cut short: its data ends after 384 of "
          "its 800 rows, so the lower 52 % of it is missing"},
    {"tone.mp3", TRUE, NULL}, {"tone.m4a", TRUE, NULL},
    {"tone.flac", TRUE, NULL}, {"tone.ogg", TRUE, NULL},
    {"tone.opus", TRUE, NULL}, {"tone.wav", TRUE, NULL},
    {"tone-cover.mp3", TRUE, NULL}, {"cover.jpg", FALSE, NULL},
    {"cover.png", FALSE, NULL}, {"clip.avi", FALSE, NULL},
    {"garbage.mp3", TRUE, NULL}, {"missing.jpg", FALSE, NULL},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *path = data_path (cases[i].file);
    g_autofree gchar *text = nemo_media_describe_loss (path, cases[i].audio);

    g_test_message ("%s: %s", cases[i].file, text);
    if (cases[i].says == NULL)
      g_assert_null (text);
    else
      g_assert_nonnull (strstr (text, cases[i].says));
  }
}

static void
test_probe_videos (void)
{
  static const gchar *clips[] = {
    "clip.mp4", "clip.mov", "clip.mkv", "clip.webm", "clip.avi",
  };
  g_autofree gchar *sound_path = data_path ("clip-with-sound.mp4");
  g_autoptr (NemoMediaInfo) sound = NULL;
  g_autoptr (GError) error = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (clips); i++) {
    g_autofree gchar *path = data_path (clips[i]);
    g_autoptr (NemoMediaInfo) info = nemo_media_probe (path, &error);

    g_test_message ("%s", clips[i]);
    g_assert_no_error (error);
    g_assert_cmpint (info->kind, ==, NEMO_MEDIA_VIDEO);
    g_assert_cmpint (info->width, ==, 640);
    g_assert_cmpint (info->height, ==, 360);
    g_assert_cmpfloat_with_epsilon ((double) info->fps_n / info->fps_d, 25.0,
        0.01);
    g_assert_cmpint (ABS (info->duration_us - 3 * SECOND), <, 50000);
    g_assert_false (info->has_audio);
  }

  sound = nemo_media_probe (sound_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sound->kind, ==, NEMO_MEDIA_VIDEO);
  g_assert_cmpstr (sound->codec_name, ==, "h264");
  g_assert_true (sound->has_audio);
  g_assert_cmpint (sound->fps_n, ==, 30);
  g_assert_cmpint (sound->fps_d, ==, 1);
}

static void
test_probe_mp3_with_cover (void)
{
  g_autofree gchar *path = data_path ("tone-cover.mp3");
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoMediaInfo) info = nemo_media_probe (path, &error);
  AVFrame *cover;

  g_assert_no_error (error);
  g_assert_cmpint (info->kind, ==, NEMO_MEDIA_AUDIO);
  g_assert_cmpstr (info->codec_name, ==, "mp3");
  g_assert_cmpint (ABS (info->duration_us - 8 * SECOND), <, 60000);

  /* the cover is still there for who wants a picture */
  cover = nemo_media_decode_image (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cover->width, ==, 800);
  av_frame_free (&cover);
}

/* The picture a song carries comes out as the image file it was. */
static void
test_extract_cover (void)
{
  static const gchar *const songs[] = { "tone-cover.mp3", "tone-cover.flac",
    "tone-cover.m4a"
  };
  gchar *dir = make_dir ();
  g_autofree gchar *plain = data_path ("tone.mp3");
  g_autoptr (GError) error = NULL;
  g_autofree gchar *none = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (songs); i++) {
    g_autofree gchar *song = data_path (songs[i]);
    g_autofree gchar *cover = nemo_media_extract_cover (song, dir, &error);
    g_autoptr (NemoMediaInfo) info = NULL;

    g_assert_no_error (error);
    g_assert_nonnull (cover);
    g_assert_true (g_str_has_prefix (cover, dir));
    info = nemo_media_probe (cover, &error);
    g_assert_no_error (error);
    g_assert_cmpint (info->kind, ==, NEMO_MEDIA_IMAGE);
    g_assert_cmpint (info->width, ==, 800);
    g_assert_cmpint (info->height, ==, 800);
  }

  /* a song without a picture: none, and no error */
  none = nemo_media_extract_cover (plain, dir, &error);
  g_assert_no_error (error);
  g_assert_null (none);
  remove_dir (dir);
}

static void
assert_probe_fails (const gchar * name, gint code, const gchar * part)
{
  g_autofree gchar *path = data_path (name);
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoMediaInfo) info = nemo_media_probe (path, &error);

  g_test_message ("%s: %s", name, error ? error->message : "(no error)");
  g_assert_null (info);
  g_assert_error (error, NEMO_ERROR, code);
  g_assert_nonnull (strstr (error->message, path));
  if (part)
    g_assert_nonnull (strstr (error->message, part));
}

static void
test_probe_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoMediaInfo) info = NULL;
  g_autofree gchar *huge = data_path ("huge.png");
  g_autofree gchar *expected = NULL;
  const gchar *formats = "We read audio in MP3, AAC/M4A, WAV, FLAC and "
      "OGG/Opus, images in JPEG, PNG, GIF and WebP, and video in MP4, MOV, "
      "MKV, WebM and AVI";

  info = nemo_media_probe ("/x/a.mp3", &error);
  g_assert_null (info);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==,
      "“/x/a.mp3” does not exist. Check the path.");
  g_clear_error (&error);

  info = nemo_media_probe (g_getenv ("NEMO_TEST_DATA"), &error);
  g_assert_null (info);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  info = nemo_media_probe ("http://example.com/a.mp3", &error);
  g_assert_null (info);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA);
  g_clear_error (&error);

  assert_probe_fails ("garbage.mp3", NEMO_ERROR_UNSUPPORTED_MEDIA, formats);
  assert_probe_fails ("fake.png", NEMO_ERROR_UNSUPPORTED_MEDIA,
      "Invalid data found when processing input");
  assert_probe_fails ("truncated.m4a", NEMO_ERROR_UNSUPPORTED_MEDIA,
      "without its index (the ‘moov’ box, written last): the file is cut "
      "short");
  assert_probe_fails ("empty.wav", NEMO_ERROR_UNSUPPORTED_MEDIA, formats);
  assert_probe_fails ("no-samples.mp3", NEMO_ERROR_NO_AUDIO, "no audio");

  info = nemo_media_probe (huge, &error);
  g_assert_null (info);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_IMAGE_TOO_LARGE);
  expected = g_strdup_printf ("“%s” is 20000×20000 px; images may be at "
      "most 16384 px on a side. Scale it down first (e.g. ffmpeg -i "
      "huge.png -vf scale=3840:-2 smaller.png).", huge);
  g_assert_cmpstr (error->message, ==, expected);
}

/* Hand-made headers of 20000×10 images in every format we sniff: each is
 * refused from its header alone (the bytes after it are not an image). */
static void
test_huge_headers (void)
{
  static const guint8 jpeg[] = {
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0,
    1, 0, 1, 0, 0, 0xff, 0xfe, 0x00, 0x04, 'h', 'i',
    0xff, 0xc2, 0x00, 0x11, 0x08, 0x00, 0x0a, 0x4e, 0x20, 0x03, 1, 0x22, 0,
    2, 0x11, 1, 3, 0x11, 1,
  };
  static const guint8 gif[] = {
    'G', 'I', 'F', '8', '9', 'a', 0x20, 0x4e, 0x0a, 0x00, 0, 0, 0,
  };
  static const guint8 webp_vp8x[] = {
    'R', 'I', 'F', 'F', 22, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'X',
    10, 0, 0, 0, 0, 0, 0, 0, 0x1f, 0x4e, 0x00, 0x09, 0x00, 0x00,
  };
  static const guint8 bmp[] = {
    'B', 'M', 0, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0,
    0x20, 0x4e, 0, 0, 0xf6, 0xff, 0xff, 0xff, 1, 0, 24, 0,
  };
  static const struct
  {
    const gchar *name;
    const guint8 *bytes;
    gsize size;
  } files[] = {
    {"huge.jpg", jpeg, sizeof (jpeg)}, {"huge.gif", gif, sizeof (gif)},
    {"huge.webp", webp_vp8x, sizeof (webp_vp8x)},
    {"huge.bmp", bmp, sizeof (bmp)},
  };
  gchar *dir = make_dir ();
  guint i;

  for (i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree gchar *path = g_build_filename (dir, files[i].name, NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (NemoMediaInfo) info = NULL;
    AVFrame *frame;

    g_test_message ("%s", files[i].name);
    g_assert_true (g_file_set_contents (path, (const gchar *) files[i].bytes,
            files[i].size, NULL));
    info = nemo_media_probe (path, &error);
    g_assert_null (info);
    g_assert_error (error, NEMO_ERROR, NEMO_ERROR_IMAGE_TOO_LARGE);
    g_assert_nonnull (strstr (error->message, "is 20000×10 px"));
    g_clear_error (&error);

    frame = nemo_media_decode_image (path, &error);
    g_assert_null (frame);
    g_assert_error (error, NEMO_ERROR, NEMO_ERROR_IMAGE_TOO_LARGE);
  }
  remove_dir (dir);
}

/* ---- audio ---- */

static void
test_audio_reader_tones (void)
{
  static const gchar *tones[] = {
    "tone.wav", "tone.mp3", "tone.flac", "tone.m4a", "tone.opus", "tone.ogg",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (tones); i++) {
    g_autofree gchar *path = data_path (tones[i]);
    g_autofree gfloat *s = NULL;
    gsize n;

    s = read_all (path, &n);
    g_test_message ("%s: %" G_GSIZE_FORMAT " frames", tones[i], n);
    g_assert_cmpint (ABS ((gint64) n - 384000), <=, 8);

    /* 440 Hz left, 660 Hz right, over the second second */
    g_assert_cmpint (ABS (zero_crossings (s, 48000, 48000, 0) - 880), <=, 2);
    g_assert_cmpint (ABS (zero_crossings (s, 48000, 48000, 1) - 1320), <=, 2);
  }
}

static void
test_audio_reader_mono (void)
{
  g_autofree gchar *path = data_path ("mono22k.wav");
  g_autofree gfloat *s = NULL;
  gfloat peak = 0;
  gsize n, i;

  s = read_all (path, &n);
  g_assert_cmpint (ABS ((gint64) n - 240000), <=, 8);
  for (i = 0; i < n; i++) {
    g_assert_cmpfloat (s[2 * i], ==, s[2 * i + 1]);
    peak = MAX (peak, fabsf (s[2 * i]));
  }
  /* the sine source's amplitude is 1/8, copied at full level */
  g_assert_cmpfloat_with_epsilon (peak, 0.125, 0.005);
  g_assert_cmpint (ABS (zero_crossings (s, 48000, 48000, 0) - 600), <=, 2);
}

static void
test_audio_reader_video_sound (void)
{
  g_autofree gchar *path = data_path ("clip-with-sound.mp4");
  g_autofree gfloat *s = NULL;
  gsize n;

  s = read_all (path, &n);
  g_assert_cmpint (ABS ((gint64) n - 4 * 48000), <=, 2048);
  g_assert_cmpint (ABS (zero_crossings (s, 48000, 48000, 0) - 1760), <=, 2);
}

static void
test_audio_reader_errors (void)
{
  static const struct
  {
    const gchar *file;
    gint code;
  } cases[] = {
    {"no-audio.mp4", NEMO_ERROR_NO_AUDIO},
    {"cover.png", NEMO_ERROR_NO_AUDIO},
    {"garbage.mp3", NEMO_ERROR_UNSUPPORTED_MEDIA},
    {"no-samples.mp3", NEMO_ERROR_NO_AUDIO},
    {"missing.mp3", NEMO_ERROR_NOT_FOUND},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *path = data_path (cases[i].file);
    g_autoptr (GError) error = NULL;
    g_autoptr (NemoAudioReader) reader = nemo_audio_reader_open (path,
        &error);

    g_test_message ("%s", cases[i].file);
    g_assert_null (reader);
    g_assert_error (error, NEMO_ERROR, cases[i].code);
    g_assert_nonnull (strstr (error->message, path));
  }
}

/* ---- pictures ---- */

/* The RGB colour of @frame at (@x, @y). */
static void
pixel_rgb (const AVFrame * frame, gint x, gint y, guint8 rgb[3])
{
  struct SwsContext *sws = sws_getContext (frame->width, frame->height,
      frame->format, frame->width, frame->height, AV_PIX_FMT_RGB24,
      SWS_BILINEAR, NULL, NULL, NULL);
  guint8 *data[4];
  gint linesize[4];

  g_assert_nonnull (sws);
  g_assert_cmpint (av_image_alloc (data, linesize, frame->width,
          frame->height, AV_PIX_FMT_RGB24, 1), >, 0);
  sws_scale (sws, (const guint8 * const *) frame->data, frame->linesize, 0,
      frame->height, data, linesize);
  memcpy (rgb, data[0] + y * linesize[0] + x * 3, 3);
  av_freep (&data[0]);
  sws_freeContext (sws);
}

static void
assert_colour (const guint8 rgb[3], gint r, gint g, gint b, gint tolerance)
{
  g_test_message ("colour %d,%d,%d, expected %d,%d,%d", rgb[0], rgb[1],
      rgb[2], r, g, b);
  g_assert_cmpint (ABS (rgb[0] - r), <=, tolerance);
  g_assert_cmpint (ABS (rgb[1] - g), <=, tolerance);
  g_assert_cmpint (ABS (rgb[2] - b), <=, tolerance);
}

static void
test_decode_image_covers (void)
{
  /* ffmpeg writes GIFs in the fixed 3-3-2 bit palette: its orange is
   * 252,144,0 and its 0x203040 is 36,36,0 */
  static const struct
  {
    const gchar *file;
    gint tolerance;
    guint8 background[3];
  } covers[] = {
    {"cover.png", 2, {0x20, 0x30, 0x40}},
    {"cover.jpg", 4, {0x20, 0x30, 0x40}},
    {"cover.gif", 20, {36, 36, 0}},
    {"cover.webp", 2, {0x20, 0x30, 0x40}},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (covers); i++) {
    g_autofree gchar *path = data_path (covers[i].file);
    g_autoptr (GError) error = NULL;
    AVFrame *frame = nemo_media_decode_image (path, &error);
    guint8 rgb[3];

    g_test_message ("%s", covers[i].file);
    g_assert_no_error (error);
    g_assert_cmpint (frame->width, ==, 800);
    g_assert_cmpint (frame->height, ==, 800);
    pixel_rgb (frame, 400, 400, rgb);
    assert_colour (rgb, 0xff, 0x80, 0x00, covers[i].tolerance);
    pixel_rgb (frame, 20, 20, rgb);
    assert_colour (rgb, covers[i].background[0], covers[i].background[1],
        covers[i].background[2], covers[i].tolerance);
    av_frame_free (&frame);
  }
}

static void
test_decode_image_errors (void)
{
  g_autofree gchar *clip = data_path ("clip.mp4");
  g_autofree gchar *tone = data_path ("tone.wav");
  g_autofree gchar *huge = data_path ("huge.png");
  g_autofree gchar *fake = data_path ("fake.png");
  g_autoptr (GError) error = NULL;
  AVFrame *frame;

  /* the first frame of a video is a picture too */
  frame = nemo_media_decode_image (clip, &error);
  g_assert_no_error (error);
  g_assert_cmpint (frame->width, ==, 640);
  g_assert_cmpint (frame->height, ==, 360);
  av_frame_free (&frame);

  frame = nemo_media_decode_image (tone, &error);
  g_assert_null (frame);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA);
  g_clear_error (&error);

  frame = nemo_media_decode_image (huge, &error);
  g_assert_null (frame);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_IMAGE_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "20000×20000"));
  g_clear_error (&error);

  frame = nemo_media_decode_image (fake, &error);
  g_assert_null (frame);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA);
  g_clear_error (&error);

  frame = nemo_media_decode_image ("/x/cover.png", &error);
  g_assert_null (frame);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_NOT_FOUND);
}

/* ---- clips ---- */

static void
check_clip (const gchar * name)
{
  g_autofree gchar *path = data_path (name);
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoVideoReader) looping = NULL, holding = NULL;
  AVFrame *at_half = frame_of (path, SECOND / 2);
  AVFrame *last = frame_of (path, 3 * SECOND - 20000);
  AVFrame *first;
  const AVFrame *frame;

  g_test_message ("%s", name);
  looping = nemo_video_reader_open (path, &error);
  g_assert_no_error (error);
  frame = nemo_video_reader_frame_at (looping, 0, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (frame->width, ==, 640);
  g_assert_cmpint (frame->height, ==, 360);
  first = av_frame_clone (frame);

  /* testsrc2 changes every frame */
  frame = nemo_video_reader_frame_at (looping, SECOND, TRUE, &error);
  g_assert_no_error (error);
  g_assert_false (frames_equal (frame, first));
  g_assert_false (frames_equal (frame, at_half));

  frame = nemo_video_reader_frame_at (looping, 3 * SECOND + SECOND / 2, TRUE,
      &error);
  g_assert_no_error (error);
  g_assert_true (frames_equal (frame, at_half));
  g_assert_cmpint (ABS (nemo_video_reader_duration (looping) - 3 * SECOND),
      <=, 1000);

  /* a second lap, and the start of a third */
  frame = nemo_video_reader_frame_at (looping, 6 * SECOND + SECOND / 2, TRUE,
      &error);
  g_assert_no_error (error);
  g_assert_true (frames_equal (frame, at_half));
  frame = nemo_video_reader_frame_at (looping, 9 * SECOND, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (frames_equal (frame, first));

  holding = nemo_video_reader_open (path, &error);
  g_assert_no_error (error);
  frame = nemo_video_reader_frame_at (holding, 3 * SECOND + SECOND / 2,
      FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (frames_equal (frame, last));
  frame = nemo_video_reader_frame_at (holding, 60 * SECOND, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (frames_equal (frame, last));
  g_assert_cmpint (ABS (nemo_video_reader_duration (holding) - 3 * SECOND),
      <=, 1000);

  av_frame_free (&first);
  av_frame_free (&at_half);
  av_frame_free (&last);
}

static void
test_video_reader_clips (void)
{
  check_clip ("clip.mp4");
  check_clip ("clip.mov");
  check_clip ("clip.mkv");
  check_clip ("clip.webm");
  check_clip ("clip.avi");
}

static void
test_video_reader_still_and_errors (void)
{
  g_autofree gchar *cover = data_path ("cover.png");
  g_autofree gchar *tone = data_path ("tone.wav");
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoVideoReader) reader = nemo_video_reader_open (cover, &error);
  NemoVideoReader *none;
  const AVFrame *frame;
  AVFrame *first;

  g_assert_no_error (error);
  /* an image loops as a held still */
  frame = nemo_video_reader_frame_at (reader, 0, TRUE, &error);
  g_assert_no_error (error);
  first = av_frame_clone (frame);
  frame = nemo_video_reader_frame_at (reader, 5 * SECOND, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (frames_equal (frame, first));
  av_frame_free (&first);

  none = nemo_video_reader_open (tone, &error);
  g_assert_null (none);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA);
  g_clear_error (&error);

  none = nemo_video_reader_open ("/x/clip.mp4", &error);
  g_assert_null (none);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_NOT_FOUND);
}

/* ---- spools ---- */

#define W 320
#define H 240

/* An I420 picture that differs for every @seed, in planes with padded
 * rows. */
static void
fill_i420 (guint8 * planes[3], gint strides[3], gint seed)
{
  gint x, y;

  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++)
      planes[0][y * strides[0] + x] = (x * 3 + y * 5 + seed * 7) & 0xff;
  for (y = 0; y < H / 2; y++)
    for (x = 0; x < W / 2; x++) {
      planes[1][y * strides[1] + x] = (x + seed * 11) & 0xff;
      planes[2][y * strides[2] + x] = (y * 2 + seed * 13) & 0xff;
    }
}

static gboolean
frame_is_i420 (const AVFrame * frame, guint8 * planes[3], gint strides[3])
{
  gint plane, row;

  if (frame->format != AV_PIX_FMT_YUV420P || frame->width != W ||
      frame->height != H)
    return FALSE;
  for (plane = 0; plane < 3; plane++)
    for (row = 0; row < (plane ? H / 2 : H); row++)
      if (memcmp (frame->data[plane] + row * frame->linesize[plane],
              planes[plane] + row * strides[plane], plane ? W / 2 : W) != 0)
        return FALSE;
  return TRUE;
}

typedef struct
{
  guint8 *planes[3];
  gint strides[4];
  guint8 *buf;
} Picture;

static void
picture_init (Picture * pic)
{
  pic->strides[0] = W + 32;
  pic->strides[1] = pic->strides[2] = W / 2 + 16;
  pic->strides[3] = 0;
  pic->buf = g_malloc0 (pic->strides[0] * H + 2 * pic->strides[1] * H / 2);
  pic->planes[0] = pic->buf;
  pic->planes[1] = pic->planes[0] + pic->strides[0] * H;
  pic->planes[2] = pic->planes[1] + pic->strides[1] * H / 2;
}

static void
write_picture (NemoSpool * spool, Picture * pic, gint64 pts_us)
{
  const guint8 *planes[4] = { pic->planes[0], pic->planes[1], pic->planes[2],
    NULL
  };
  g_autoptr (GError) error = NULL;

  g_assert_true (nemo_spool_write_video (spool, planes, pic->strides, pts_us,
          &error));
  g_assert_no_error (error);
}

static void
test_spool_raw_video (void)
{
  gchar *dir = make_dir ();
  g_autofree gchar *base = g_build_filename (dir, "pad", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoSpool) spool = NULL;
  g_autoptr (NemoVideoReader) reader = NULL;
  g_autoptr (NemoMediaInfo) info = NULL;
  Picture pic;
  gint i;

  picture_init (&pic);
  spool = nemo_spool_new_raw_video (base, NEMO_PIXEL_I420, W, H, 25, 1,
      &error);
  g_assert_no_error (error);
  /* 25 frames of imagefreeze, then 25 changing frames */
  for (i = 0; i < 50; i++) {
    fill_i420 (pic.planes, pic.strides, MAX (i, 24));
    write_picture (spool, &pic, i * 40000);
  }
  g_assert_cmpuint (nemo_spool_get_count (spool), ==, 26);
  g_assert_cmpint (nemo_spool_get_duration (spool), ==, 2 * SECOND);
  g_assert_true (nemo_spool_finish (spool, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (nemo_spool_get_path (spool), "pad.mkv"));

  info = nemo_media_probe (nemo_spool_get_path (spool), &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->kind, ==, NEMO_MEDIA_VIDEO);
  g_assert_cmpint (ABS (info->duration_us - 2 * SECOND), <=, 1000);

  /* lossless: every frame reads back exactly, the frozen run held */
  reader = nemo_video_reader_open (nemo_spool_get_path (spool), &error);
  g_assert_no_error (error);
  for (i = 0; i < 50; i++) {
    const AVFrame *frame = nemo_video_reader_frame_at (reader,
        i * 40000 + 20000, FALSE, &error);

    g_assert_no_error (error);
    fill_i420 (pic.planes, pic.strides, MAX (i, 24));
    g_assert_true (frame_is_i420 (frame, pic.planes, pic.strides));
  }
  nemo_video_reader_frame_at (reader, 10 * SECOND, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ABS (nemo_video_reader_duration (reader) - 2 * SECOND),
      <=, 1000);

  g_free (pic.buf);
  remove_dir (dir);
}

/* A spool of one picture frozen for 4 s is a still image. */
static void
test_spool_raw_video_still (void)
{
  gchar *dir = make_dir ();
  g_autofree gchar *base = g_build_filename (dir, "still", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoSpool) spool = NULL;
  g_autoptr (NemoMediaInfo) info = NULL;
  AVFrame *frame;
  Picture pic;
  gint i;

  picture_init (&pic);
  fill_i420 (pic.planes, pic.strides, 3);
  spool = nemo_spool_new_raw_video (base, NEMO_PIXEL_I420, W, H, 25, 1,
      &error);
  g_assert_no_error (error);
  /* no timestamps: frames are counted at the frame rate */
  for (i = 0; i < 100; i++)
    write_picture (spool, &pic, -1);
  g_assert_cmpuint (nemo_spool_get_count (spool), ==, 1);
  g_assert_cmpint (nemo_spool_get_duration (spool), ==, 4 * SECOND);
  g_assert_true (nemo_spool_finish (spool, &error));
  g_assert_no_error (error);

  info = nemo_media_probe (nemo_spool_get_path (spool), &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->kind, ==, NEMO_MEDIA_IMAGE);
  g_assert_cmpint (info->width, ==, W);

  frame = nemo_media_decode_image (nemo_spool_get_path (spool), &error);
  g_assert_no_error (error);
  g_assert_true (frame_is_i420 (frame, pic.planes, pic.strides));
  av_frame_free (&frame);

  g_free (pic.buf);
  remove_dir (dir);
}

/* A still from an image decoder: rate 0/1, one frame with pts 0, then the
 * end.  It is an image, pixel for pixel. */
static void
test_spool_raw_video_unknown_rate (void)
{
  gchar *dir = make_dir ();
  g_autofree gchar *base = g_build_filename (dir, "cover", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoSpool) spool = NULL;
  g_autoptr (NemoMediaInfo) info = NULL;
  AVFrame *frame;
  Picture pic;

  picture_init (&pic);
  fill_i420 (pic.planes, pic.strides, 5);
  spool = nemo_spool_new_raw_video (base, NEMO_PIXEL_I420, W, H, 0, 1,
      &error);
  g_assert_no_error (error);
  write_picture (spool, &pic, 0);
  g_assert_true (nemo_spool_finish (spool, &error));
  g_assert_no_error (error);

  info = nemo_media_probe (nemo_spool_get_path (spool), &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->kind, ==, NEMO_MEDIA_IMAGE);
  frame = nemo_media_decode_image (nemo_spool_get_path (spool), &error);
  g_assert_no_error (error);
  g_assert_true (frame_is_i420 (frame, pic.planes, pic.strides));
  av_frame_free (&frame);

  g_free (pic.buf);
  remove_dir (dir);
}

/* Packed NV12 buffers through nemo_spool_write: converted to I420 without
 * loss. */
static void
test_spool_raw_video_packed (void)
{
  gchar *dir = make_dir ();
  g_autofree gchar *base = g_build_filename (dir, "nv12", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoSpool) spool = NULL;
  g_autoptr (NemoVideoReader) reader = NULL;
  gsize size = W * H * 3 / 2;
  g_autofree guint8 *nv12 = g_malloc (size);
  Picture pic;
  gint i, x, y;

  picture_init (&pic);
  spool = nemo_spool_new_raw_video (base, NEMO_PIXEL_NV12, W, H, 30, 1,
      &error);
  g_assert_no_error (error);
  for (i = 0; i < 3; i++) {
    fill_i420 (pic.planes, pic.strides, i);
    for (y = 0; y < H; y++)
      memcpy (nv12 + y * W, pic.planes[0] + y * pic.strides[0], W);
    for (y = 0; y < H / 2; y++)
      for (x = 0; x < W / 2; x++) {
        nv12[W * H + y * W + 2 * x] = pic.planes[1][y * pic.strides[1] + x];
        nv12[W * H + y * W + 2 * x + 1] = pic.planes[2][y * pic.strides[2] + x];
      }
    g_assert_true (nemo_spool_write (spool, nv12, size, i * 100000, &error));
    g_assert_no_error (error);
  }
  /* a buffer that is not one frame */
  g_assert_false (nemo_spool_write (spool, nv12, size - 1, 400000, &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (nemo_spool_finish (spool, &error));
  g_assert_no_error (error);

  reader = nemo_video_reader_open (nemo_spool_get_path (spool), &error);
  g_assert_no_error (error);
  for (i = 0; i < 3; i++) {
    const AVFrame *frame = nemo_video_reader_frame_at (reader,
        i * 100000 + 50000, FALSE, &error);

    g_assert_no_error (error);
    fill_i420 (pic.planes, pic.strides, i);
    g_assert_true (frame_is_i420 (frame, pic.planes, pic.strides));
  }
  g_free (pic.buf);
  remove_dir (dir);
}

static void
test_spool_raw_audio (void)
{
  gchar *dir = make_dir ();
  g_autofree gchar *base = g_build_filename (dir, "audio", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoSpool) spool = NULL;
  g_autofree gfloat *s = NULL;
  gint16 chunk[1000 * 2];
  gsize n, i;
  gint c;

  spool = nemo_spool_new_raw_audio (base, NEMO_SAMPLE_S16, 48000, 2, &error);
  g_assert_no_error (error);
  for (c = 0; c < 48; c++) {
    for (i = 0; i < 1000; i++) {
      gint frame = c * 1000 + i;

      chunk[2 * i] = (frame * 7) % 30000 - 15000;
      chunk[2 * i + 1] = -(frame % 20000);
    }
    g_assert_true (nemo_spool_write (spool, (guint8 *) chunk, sizeof (chunk),
            c * 1000 * SECOND / 48000, &error));
    g_assert_no_error (error);
  }
  /* half a frame */
  g_assert_false (nemo_spool_write (spool, (guint8 *) chunk, 2, -1, &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_cmpuint (nemo_spool_get_count (spool), ==, 48);
  g_assert_cmpint (nemo_spool_get_duration (spool), ==, SECOND);
  g_assert_true (nemo_spool_finish (spool, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (nemo_spool_get_path (spool), "audio.wav"));

  s = read_all (nemo_spool_get_path (spool), &n);
  g_assert_cmpuint (n, ==, 48000);
  for (i = 0; i < n; i++) {
    g_assert_cmpfloat (s[2 * i], ==, ((gint) (i * 7) % 30000 - 15000) /
        32768.0f);
    g_assert_cmpfloat (s[2 * i + 1], ==, -((gint) i % 20000) / 32768.0f);
  }
  remove_dir (dir);
}

/* A WAV header with no samples: an audio file that decodes to nothing. */
static void
test_spool_raw_audio_empty (void)
{
  gchar *dir = make_dir ();
  g_autofree gchar *base = g_build_filename (dir, "silent", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoSpool) spool = NULL;
  g_autoptr (NemoMediaInfo) info = NULL;

  spool = nemo_spool_new_raw_audio (base, NEMO_SAMPLE_F32, 44100, 1, &error);
  g_assert_no_error (error);
  g_assert_true (nemo_spool_finish (spool, &error));
  g_assert_no_error (error);
  g_assert_cmpint (nemo_spool_get_duration (spool), ==, 0);

  info = nemo_media_probe (nemo_spool_get_path (spool), &error);
  g_assert_null (info);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_NO_AUDIO);
  g_assert_nonnull (strstr (error->message, nemo_spool_get_path (spool)));
  remove_dir (dir);
}

static void
assert_same_bytes (const gchar * a, const gchar * b)
{
  g_autofree gchar *bytes_a = NULL, *bytes_b = NULL;
  gsize len_a, len_b;

  g_assert_true (g_file_get_contents (a, &bytes_a, &len_a, NULL));
  g_assert_true (g_file_get_contents (b, &bytes_b, &len_b, NULL));
  g_assert_cmpmem (bytes_a, len_a, bytes_b, len_b);
}

static void
test_spool_jpeg (void)
{
  gchar *dir = make_dir ();
  g_autofree gchar *base = g_build_filename (dir, "picture", NULL);
  g_autofree gchar *cover = data_path ("cover.jpg");
  g_autofree gchar *png = data_path ("cover.png");
  g_autofree gchar *bytes = NULL, *png_bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoSpool) spool = NULL;
  g_autoptr (NemoMediaInfo) info = NULL;
  gsize len, png_len;

  g_assert_true (g_file_get_contents (cover, &bytes, &len, NULL));
  g_assert_true (g_file_get_contents (png, &png_bytes, &png_len, NULL));
  spool = nemo_spool_new_encoded (base, NEMO_CODEC_JPEG, &error);
  g_assert_no_error (error);
  g_assert_true (nemo_spool_write (spool, (guint8 *) bytes, len, 0, &error));
  /* a second picture is counted, not stored */
  g_assert_true (nemo_spool_write (spool, (guint8 *) png_bytes, png_len,
          40000, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (nemo_spool_get_count (spool), ==, 2);
  g_assert_true (nemo_spool_finish (spool, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (nemo_spool_get_path (spool),
          "picture.jpg"));
  assert_same_bytes (nemo_spool_get_path (spool), cover);

  info = nemo_media_probe (nemo_spool_get_path (spool), &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->kind, ==, NEMO_MEDIA_IMAGE);
  remove_dir (dir);
}

static void
test_spool_mp3 (void)
{
  gchar *dir = make_dir ();
  g_autofree gchar *base = g_build_filename (dir, "song", NULL);
  g_autofree gchar *tone = data_path ("tone.mp3");
  g_autofree gchar *bytes = NULL;
  g_autofree gfloat *s = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoSpool) spool = NULL;
  gsize len, off, n;

  g_assert_true (g_file_get_contents (tone, &bytes, &len, NULL));
  spool = nemo_spool_new_encoded (base, NEMO_CODEC_MP3, &error);
  g_assert_no_error (error);
  for (off = 0; off < len; off += 4096)
    g_assert_true (nemo_spool_write (spool, (guint8 *) bytes + off,
            MIN (4096, len - off), -1, &error));
  g_assert_no_error (error);
  g_assert_true (nemo_spool_finish (spool, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (nemo_spool_get_path (spool), "song.mp3"));
  assert_same_bytes (nemo_spool_get_path (spool), tone);

  s = read_all (nemo_spool_get_path (spool), &n);
  g_assert_cmpint (ABS ((gint64) n - 384000), <=, 8);
  remove_dir (dir);
}

static void
test_spool_h264 (void)
{
  gchar *dir = make_dir ();
  g_autofree gchar *base = g_build_filename (dir, "clip", NULL);
  g_autofree gchar *clip = data_path ("clip.mp4");
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoSpool) spool = NULL;
  g_autoptr (NemoMediaInfo) info = NULL;
  gint64 t;

  spool = nemo_spool_new_encoded (base, NEMO_CODEC_H264, &error);
  g_assert_no_error (error);
  feed_h264 (spool, clip);
  g_assert_cmpuint (nemo_spool_get_count (spool), ==, 75);
  g_assert_cmpint (nemo_spool_get_duration (spool), ==, 3 * SECOND);
  g_assert_true (nemo_spool_finish (spool, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (nemo_spool_get_path (spool), "clip.ts"));

  info = nemo_media_probe (nemo_spool_get_path (spool), &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->kind, ==, NEMO_MEDIA_VIDEO);
  g_assert_cmpstr (info->format_name, ==, "mpegts");
  g_assert_cmpint (info->width, ==, 640);
  g_assert_cmpint (ABS (info->duration_us - 3 * SECOND), <=, 50000);

  /* the same pictures at the same times as the source */
  for (t = 0; t < 3 * SECOND; t += 700000) {
    AVFrame *a = frame_of (clip, t), *b = frame_of (nemo_spool_get_path (spool),
        t);

    g_assert_true (frames_equal (a, b));
    av_frame_free (&a);
    av_frame_free (&b);
  }
  remove_dir (dir);
}

static void
test_spool_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoSpool) ts = NULL;
  gchar *dir = make_dir ();
  g_autofree gchar *base = g_build_filename (dir, "h264", NULL);
  NemoSpool *spool;
  const guint8 au[] = { 0, 0, 0, 1, 0x65, 0x88 };

  spool = nemo_spool_new_raw_audio ("/nonexistent/dir/a", NEMO_SAMPLE_S16,
      48000, 2, &error);
  g_assert_null (spool);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent/dir/a.wav"));
  g_clear_error (&error);

  spool = nemo_spool_new_encoded ("/nonexistent/dir/a", NEMO_CODEC_PNG,
      &error);
  g_assert_null (spool);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent/dir/a.png"));
  g_clear_error (&error);

  spool = nemo_spool_new_raw_audio ("/tmp/a", NEMO_SAMPLE_S16, 0, 2, &error);
  g_assert_null (spool);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  spool = nemo_spool_new_raw_video ("/tmp/v", NEMO_PIXEL_RGBA, 640, 360, -1, 1,
      &error);
  g_assert_null (spool);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  spool = nemo_spool_new_raw_video ("/tmp/v", NEMO_PIXEL_RGBA, 20000, 360, 25,
      1, &error);
  g_assert_null (spool);
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  ts = nemo_spool_new_encoded (base, NEMO_CODEC_H264, &error);
  g_assert_no_error (error);
  g_assert_false (nemo_spool_write (ts, au, sizeof (au), -1, &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT);
  g_clear_pointer (&ts, nemo_spool_free);
  remove_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  av_log_set_level (AV_LOG_QUIET);

  g_test_add_func ("/media/path-from-uri", test_path_from_uri);
  g_test_add_func ("/media/probe/audio", test_probe_audio);
  g_test_add_func ("/media/probe/tags-and-uri", test_probe_tags_and_uri);
  g_test_add_func ("/media/probe/images", test_probe_images);
  g_test_add_func ("/media/describe-loss", test_describe_loss);
  g_test_add_func ("/media/probe/videos", test_probe_videos);
  g_test_add_func ("/media/extract-cover", test_extract_cover);
  g_test_add_func ("/media/probe/mp3-with-cover", test_probe_mp3_with_cover);
  g_test_add_func ("/media/probe/errors", test_probe_errors);
  g_test_add_func ("/media/probe/huge-headers", test_huge_headers);
  g_test_add_func ("/media/audio/tones", test_audio_reader_tones);
  g_test_add_func ("/media/audio/mono", test_audio_reader_mono);
  g_test_add_func ("/media/audio/video-sound", test_audio_reader_video_sound);
  g_test_add_func ("/media/audio/errors", test_audio_reader_errors);
  g_test_add_func ("/media/image/covers", test_decode_image_covers);
  g_test_add_func ("/media/image/errors", test_decode_image_errors);
  g_test_add_func ("/media/video/clips", test_video_reader_clips);
  g_test_add_func ("/media/video/still-and-errors",
      test_video_reader_still_and_errors);
  g_test_add_func ("/media/spool/raw-video", test_spool_raw_video);
  g_test_add_func ("/media/spool/raw-video-still", test_spool_raw_video_still);
  g_test_add_func ("/media/spool/raw-video-unknown-rate",
      test_spool_raw_video_unknown_rate);
  g_test_add_func ("/media/spool/raw-video-packed",
      test_spool_raw_video_packed);
  g_test_add_func ("/media/spool/raw-audio", test_spool_raw_audio);
  g_test_add_func ("/media/spool/raw-audio-empty", test_spool_raw_audio_empty);
  g_test_add_func ("/media/spool/jpeg", test_spool_jpeg);
  g_test_add_func ("/media/spool/mp3", test_spool_mp3);
  g_test_add_func ("/media/spool/h264", test_spool_h264);
  g_test_add_func ("/media/spool/errors", test_spool_errors);

  return g_test_run ();
}
