/* Tests for the local renderer: drafts built by hand, rendered to MP4, and
 * every point of the output contract in docs/interface.md (The output MP4)
 * checked by reading the file back with libavformat/libavcodec, plus what a
 * viewer sees in the pictures.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/render.h>
#include <nemo/media.h>
#include <nemo/error.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>

#include "output-check.h"
#include "test-util.h"

/* ---- fixtures ---- */

typedef struct
{
  gchar *dir;
  gchar *output;
} TempOutput;

static void
temp_output_init (TempOutput * temp)
{
  GError *error = NULL;

  temp->dir = g_dir_make_tmp ("nemo-render-XXXXXX", &error);
  g_assert_no_error (error);
  temp->output = g_build_filename (temp->dir, "out.mp4", NULL);
}

static void
temp_output_clear (TempOutput * temp)
{
  g_unlink (temp->output);
  g_rmdir (temp->dir);
  g_free (temp->output);
  g_free (temp->dir);
}

/* A draft with one picture segment (@kind over the whole song, or none when
 * @picture is NULL) and one music segment. */
static NemoDraft *
make_draft (const gchar * kind, const gchar * picture, const gchar * song)
{
  NemoDraft *draft = nemo_draft_new ();
  NemoSegment *segment;

  if (picture) {
    g_autofree gchar *path = data_path (picture);

    segment = nemo_track_add_segment (nemo_draft_add_track (draft,
            NEMO_TRACK_VIDEO), kind);
    segment->source = g_strdup (path);
    segment->loop = TRUE;
  }
  if (song) {
    g_autofree gchar *path = data_path (song);

    segment = nemo_track_add_segment (nemo_draft_add_track (draft,
            NEMO_TRACK_AUDIO), NEMO_SEGMENT_MUSIC);
    segment->source = g_strdup (path);
  }
  return draft;
}

static void
render_ok (const NemoDraft * draft, const NemoRenderOptions * options,
    const gchar * path)
{
  GError *error = NULL;

  g_assert_true (nemo_render_draft (draft, options, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
}

/* ---- what a viewer sees ---- */

/* The fill: never black bars, and a darker version of the picture's edge
 * colour (@r, @g, @b), keeping its dominant channel. */
static void
assert_fill (const AVFrame * rgb, gint x, gint y, guint8 r, guint8 g,
    guint8 b)
{
  const guint8 *p = rgb_pixel (rgb, x, y);

  g_assert_cmpfloat (rgb_luma (p), >, 16);
  g_assert_cmpfloat (rgb_luma (p), <, 0.2126 * r + 0.7152 * g + 0.0722 * b);
  if (b > r && b > g) {
    g_assert_cmpint (p[2], >, p[0]);
    g_assert_cmpint (p[2], >, p[1]);
  }
  /* not the orange of the cover's centre */
  g_assert_false (abs (p[0] - 255) < 40 && abs (p[1] - 128) < 40);
}

/* ---- tests ---- */

static void
check_cover (gint width, gint height, gint fps)
{
  g_autoptr (NemoDraft) draft = make_draft (NEMO_SEGMENT_STILL, "cover.png",
      "tone.mp3");
  const gdouble at[] = { 4.0, -1 };
  NemoRenderOptions options;
  TempOutput temp;
  Output out;
  const AVFrame *rgb;
  gint w, h;

  temp_output_init (&temp);
  nemo_render_options_init (&options);
  options.width = width;
  options.height = height;
  options.fps_n = fps;
  render_ok (draft, &options, temp.output);
  output_read (temp.output, at, &out);
  output_assert_contract (temp.output, &out, width, height, fps,
      input_samples ("tone.mp3"));

  rgb = out.snapshot[0];
  w = rgb->width;
  h = rgb->height;
  /* The cover, sharp in the centre... */
  assert_rgb_near (rgb_pixel (rgb, w / 2, h / 2), 255, 128, 0, 20);
  /* ...its own dark edge just inside the picture... */
  if (w > h)
    assert_rgb_near (rgb_pixel (rgb, w / 2 - h / 2 + h / 16, h / 2), 0x20, 0x30,
        0x40, 20);
  else
    assert_rgb_near (rgb_pixel (rgb, w / 2, h / 2 - w / 2 + w / 16), 0x20, 0x30,
        0x40, 20);
  /* ...over a blurred, darkened fill of its colours, not black bars. */
  assert_fill (rgb, 0, 0, 0x20, 0x30, 0x40);
  assert_fill (rgb, w - 1, 0, 0x20, 0x30, 0x40);
  assert_fill (rgb, 0, h - 1, 0x20, 0x30, 0x40);
  assert_fill (rgb, w - 1, h - 1, 0x20, 0x30, 0x40);
  assert_no_black_edges (rgb);

  output_clear (&out);
  temp_output_clear (&temp);
}

static void
test_cover_1080p (void)
{
  check_cover (1920, 1080, 30);
}

/* 25 fps: GOPs of 13 frames, and 200 frames end with a partial GOP. */
static void
test_cover_vertical (void)
{
  check_cover (1080, 1920, 25);
}

/* A wide and a tall picture: filled in the direction they do not cover. */
static void
check_odd_shape (const gchar * picture)
{
  g_autoptr (NemoDraft) draft = make_draft (NEMO_SEGMENT_STILL, picture,
      "tone.wav");
  const gdouble at[] = { 4.0, -1 };
  NemoRenderOptions options;
  TempOutput temp;
  Output out;
  const AVFrame *rgb;

  temp_output_init (&temp);
  nemo_render_options_init (&options);
  options.width = 1280;
  options.height = 720;
  options.max_duration_us = 5 * G_USEC_PER_SEC;
  render_ok (draft, &options, temp.output);
  output_read (temp.output, at, &out);
  output_assert_contract (temp.output, &out, 1280, 720, 30,
      5 * NEMO_AUDIO_RATE);

  rgb = out.snapshot[0];
  assert_rgb_near (rgb_pixel (rgb, 640, 360), 0x00, 0xa0, 0xff, 20);
  assert_no_black_edges (rgb);
  assert_fill (rgb, 0, 0, 0x00, 0xa0, 0xff);
  assert_fill (rgb, 1279, 719, 0x00, 0xa0, 0xff);

  output_clear (&out);
  temp_output_clear (&temp);
}

static void
test_wide_picture (void)
{
  check_odd_shape ("wide.png");
}

static void
test_tall_picture (void)
{
  check_odd_shape ("tall.png");
}

/* A 3 s clip under an 8 s song loops: 3.5 s shows what 0.5 s showed. */
static void
test_clip_loops (void)
{
  g_autoptr (NemoDraft) draft = make_draft (NEMO_SEGMENT_CLIP, "clip.mp4",
      "tone.wav");
  const gdouble at[] = { 0.5, 1.5, 3.5, -1 };
  NemoRenderOptions options;
  TempOutput temp;
  Output out;

  temp_output_init (&temp);
  nemo_render_options_init (&options);
  options.width = 1280;
  options.height = 720;
  options.fps_n = 25;
  render_ok (draft, &options, temp.output);
  output_read (temp.output, at, &out);
  output_assert_contract (temp.output, &out, 1280, 720, 25,
      input_samples ("tone.wav"));

  g_assert_cmpfloat (rgb_psnr (out.snapshot[0], out.snapshot[2]), >, 35);
  /* and the clip moves */
  g_assert_cmpfloat (rgb_psnr (out.snapshot[0], out.snapshot[1]), <, 25);

  output_clear (&out);
  temp_output_clear (&temp);
}

/* Two clips one after the other, the second from its in-point. */
static void
test_two_clips (void)
{
  g_autoptr (NemoDraft) draft = make_draft (NEMO_SEGMENT_CLIP, "clip.mp4",
      "tone.m4a");
  g_autofree gchar *second_path = data_path ("clip.mkv");
  NemoTrack *video = nemo_draft_find_track (draft, NEMO_TRACK_VIDEO);
  NemoSegment *first = g_ptr_array_index (video->segments, 0);
  NemoSegment *second = nemo_track_add_segment (video, NEMO_SEGMENT_CLIP);
  const gdouble at[] = { 1.0, 2.0, 5.0, -1 };
  NemoRenderOptions options;
  TempOutput temp;
  Output out;

  first->duration_ms = 4000;
  second->source = g_strdup (second_path);
  second->start_ms = 4000;
  second->in_ms = 1000;

  temp_output_init (&temp);
  nemo_render_options_init (&options);
  options.width = 640;
  options.height = 360;
  options.fps_n = 25;
  /* the contract's 48 kHz: the song (44.1 kHz AAC) would be kept as it is,
   * which /render/keep-aac checks */
  options.audio_passthrough = NEMO_AUDIO_PASSTHROUGH_NEVER;
  render_ok (draft, &options, temp.output);
  output_read (temp.output, at, &out);
  output_assert_contract (temp.output, &out, 640, 360, 25,
      input_samples ("tone.m4a"));

  /* 5.0 s is 1.0 s into the second clip, from its 1.0 s in-point: the
   * picture of 2.0 s in the (identical) first clip. */
  g_assert_cmpfloat (rgb_psnr (out.snapshot[2], out.snapshot[1]), >, 35);
  g_assert_cmpfloat (rgb_psnr (out.snapshot[2], out.snapshot[0]), <, 25);

  output_clear (&out);
  temp_output_clear (&temp);
}

/* Nothing to show: a plain dark frame, and still a valid video. */
static void
test_no_video_track (void)
{
  g_autoptr (NemoDraft) draft = make_draft (NULL, NULL, "tone.flac");
  const gdouble at[] = { 1.0, 7.0, -1 };
  NemoRenderOptions options;
  TempOutput temp;
  Output out;
  guint i;

  temp_output_init (&temp);
  nemo_render_options_init (&options);
  options.width = 640;
  options.height = 360;
  render_ok (draft, &options, temp.output);
  output_read (temp.output, at, &out);
  output_assert_contract (temp.output, &out, 640, 360, 30,
      input_samples ("tone.flac"));
  for (i = 0; i < 2; i++) {
    assert_rgb_near (rgb_pixel (out.snapshot[i], 0, 0), 0x10, 0x14, 0x18, 4);
    assert_rgb_near (rgb_pixel (out.snapshot[i], 320, 180), 0x10, 0x14, 0x18,
        4);
  }

  output_clear (&out);
  temp_output_clear (&temp);
}

static void
test_max_duration (void)
{
  g_autoptr (NemoDraft) draft = make_draft (NEMO_SEGMENT_STILL, "cover.jpg",
      "tone.mp3");
  NemoRenderOptions options;
  TempOutput temp;
  Output out;

  temp_output_init (&temp);
  nemo_render_options_init (&options);
  options.max_duration_us = 3 * G_USEC_PER_SEC;
  render_ok (draft, &options, temp.output);
  output_read (temp.output, NULL, &out);
  output_assert_contract (temp.output, &out, 1920, 1080, 30,
      3 * NEMO_AUDIO_RATE);
  g_assert_cmpint (out.n_decoded, ==, 90);

  output_clear (&out);
  temp_output_clear (&temp);
}

/* Two music segments on the timeline, with a gap:
 *   1-4 s: the song from its 2 s point, for 3 s, at half volume (-6 dB);
 *   5-7 s: the song from its 6 s point to its end (2 s), at full volume. */
static void
test_music_segments (void)
{
  g_autoptr (NemoDraft) draft = make_draft (NEMO_SEGMENT_STILL, "cover.png",
      "tone.wav");
  g_autofree gchar *song = data_path ("tone.wav");
  NemoTrack *audio = nemo_draft_find_track (draft, NEMO_TRACK_AUDIO);
  NemoSegment *first = g_ptr_array_index (audio->segments, 0);
  NemoSegment *second = nemo_track_add_segment (audio, NEMO_SEGMENT_MUSIC);
  /* lavfi's sine has an amplitude of 1/8 */
  const gdouble tone_power = 0.5 * (1.0 / 8) * (1.0 / 8);
  const gdouble expected[7] = { 0, 0.25, 0.25, 0.25, 0, 1, 1 };
  NemoRenderOptions options;
  TempOutput temp;
  Output out;
  guint i;

  first->start_ms = 1000;
  first->in_ms = 2000;
  first->duration_ms = 3000;
  first->volume = 0.5;
  second->source = g_strdup (song);
  second->start_ms = 5000;
  second->in_ms = 6000;

  temp_output_init (&temp);
  nemo_render_options_init (&options);
  options.width = 320;
  options.height = 180;
  render_ok (draft, &options, temp.output);
  output_read (temp.output, NULL, &out);
  output_assert_contract (temp.output, &out, 320, 180, 30, 7 * NEMO_AUDIO_RATE);

  for (i = 0; i < G_N_ELEMENTS (expected); i++) {
    g_test_message ("second %u: power %g, expected %g", i,
        out.audio_power[i], expected[i] * tone_power);
    g_assert_cmpfloat (fabs (out.audio_power[i] - expected[i] * tone_power),
        <, 0.03 * tone_power);
  }

  output_clear (&out);
  temp_output_clear (&temp);
}

typedef struct
{
  GCancellable *cancellable;
  gdouble last_prepare, last_encode;
  gboolean saw_prepare_end;
} Progress;

static void
cancel_half_way (NemoRenderStage stage, gdouble percent, gpointer user_data)
{
  Progress *progress = user_data;

  if (stage == NEMO_RENDER_STAGE_PREPARE) {
    g_assert_cmpfloat (percent, >=, progress->last_prepare);
    progress->last_prepare = percent;
    return;
  }
  g_assert_cmpfloat (progress->last_prepare, ==, 100);
  g_assert_cmpfloat (percent, >=, progress->last_encode);
  progress->last_encode = percent;
  if (percent >= 50)
    g_cancellable_cancel (progress->cancellable);
}

static void
check_cancel (const gchar * kind, const gchar * picture)
{
  g_autoptr (NemoDraft) draft = make_draft (kind, picture, "tone.wav");
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Progress progress = { cancellable, 0, 0 };
  NemoRenderOptions options;
  GError *error = NULL;
  TempOutput temp;

  temp_output_init (&temp);
  nemo_render_options_init (&options);
  options.width = 640;
  options.height = 360;
  options.progress = cancel_half_way;
  options.progress_data = &progress;
  options.cancellable = cancellable;
  g_assert_false (nemo_render_draft (draft, &options, temp.output, &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_CANCELLED);
  g_assert_cmpfloat (progress.last_encode, >=, 50);
  g_assert_cmpfloat (progress.last_encode, <, 100);
  g_assert_false (g_file_test (temp.output, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  temp_output_clear (&temp);
}

static void
test_cancel_clip (void)
{
  check_cancel (NEMO_SEGMENT_CLIP, "clip.mp4");
}

static void
test_cancel_still (void)
{
  check_cancel (NEMO_SEGMENT_STILL, "cover.png");
}

static void
check_bad_options (gint width, gint height, gint fps_n, gint fps_d,
    const gchar * expected)
{
  g_autoptr (NemoDraft) draft = make_draft (NEMO_SEGMENT_STILL, "cover.png",
      "tone.wav");
  NemoRenderOptions options;
  GError *error = NULL;
  TempOutput temp;

  temp_output_init (&temp);
  nemo_render_options_init (&options);
  options.width = width;
  options.height = height;
  options.fps_n = fps_n;
  options.fps_d = fps_d;
  g_assert_false (nemo_render_draft (draft, &options, temp.output, &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, expected));
  g_assert_false (g_file_test (temp.output, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  temp_output_clear (&temp);
}

static void
test_bad_options (void)
{
  check_bad_options (1921, 1080, 30, 1, "1921x1080");
  check_bad_options (1920, 1081, 30, 1, "even numbers");
  check_bad_options (8, 8, 30, 1, "from 16 to 8192");
  check_bad_options (10000, 1080, 30, 1, "10000x1080");
  check_bad_options (1920, 1080, 0, 1, "frame rate 0/1");
  check_bad_options (1920, 1080, 30, 0, "frame rate 30/0");
}

static void
test_no_soundtrack (void)
{
  g_autoptr (NemoDraft) draft = make_draft (NEMO_SEGMENT_STILL, "cover.png",
      NULL);
  NemoRenderOptions options;
  GError *error = NULL;
  TempOutput temp;

  temp_output_init (&temp);
  nemo_render_options_init (&options);
  g_assert_false (nemo_render_draft (draft, &options, temp.output, &error));
  g_assert_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_DRAFT);
  g_assert_nonnull (strstr (error->message, "no soundtrack"));
  g_assert_false (g_file_test (temp.output, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  temp_output_clear (&temp);
}

/* A broken input fails with the media layer's message and leaves no file. */
static void
test_broken_song (void)
{
  g_autoptr (NemoDraft) draft = make_draft (NEMO_SEGMENT_STILL, "cover.png",
      "garbage.mp3");
  g_autofree gchar *garbage = data_path ("garbage.mp3");
  NemoRenderOptions options;
  GError *error = NULL;
  TempOutput temp;

  temp_output_init (&temp);
  nemo_render_options_init (&options);
  g_assert_false (nemo_render_draft (draft, &options, temp.output, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, garbage));
  g_assert_false (g_file_test (temp.output, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  temp_output_clear (&temp);
}

/* ---- the sound kept as it is ---- */

/* The audio packets of @path in order, their stream's sample rate and
 * duration (in samples). */
static GPtrArray *
read_audio_packets (const gchar * path, gint * rate, gint64 * duration)
{
  GPtrArray *packets = g_ptr_array_new_with_free_func (
      (GDestroyNotify) g_bytes_unref);
  AVFormatContext *format = NULL;
  AVPacket *packet = av_packet_alloc ();
  gint index;

  g_assert_cmpint (avformat_open_input (&format, path, NULL, NULL), ==, 0);
  g_assert_cmpint (avformat_find_stream_info (format, NULL), >=, 0);
  index = av_find_best_stream (format, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
  g_assert_cmpint (index, >=, 0);
  *rate = format->streams[index]->codecpar->sample_rate;
  *duration = av_rescale_q (format->streams[index]->duration,
      format->streams[index]->time_base, (AVRational) { 1, *rate });
  while (av_read_frame (format, packet) >= 0) {
    if (packet->stream_index == index)
      g_ptr_array_add (packets, g_bytes_new (packet->data, packet->size));
    av_packet_unref (packet);
  }
  av_packet_free (&packet);
  avformat_close_input (&format);
  return packets;
}

/* An AAC-LC song with nothing done to it goes into the MP4 untouched, at
 * its 44.1 kHz; "never" encodes it again, at 48 kHz. */
static void
test_keep_aac (void)
{
  g_autoptr (NemoDraft) draft = make_draft (NEMO_SEGMENT_STILL, "cover.png",
      "tone.m4a");
  g_autofree gchar *song = data_path ("tone.m4a");
  g_autoptr (GPtrArray) in = NULL;
  g_autoptr (GPtrArray) out = NULL;
  NemoRenderOptions options;
  gint in_rate, out_rate, fps = 25;
  gint64 in_duration, out_duration;
  TempOutput temp;
  Output output;
  guint i;

  temp_output_init (&temp);
  nemo_render_options_init (&options);
  options.width = 320;
  options.height = 180;
  options.fps_n = fps;
  render_ok (draft, &options, temp.output);

  in = read_audio_packets (song, &in_rate, &in_duration);
  out = read_audio_packets (temp.output, &out_rate, &out_duration);
  g_assert_cmpint (out_rate, ==, 44100);
  g_assert_cmpint (out_duration, ==, in_duration);
  g_assert_cmpuint (out->len, ==, in->len);
  for (i = 0; i < in->len; i++)
    g_assert_true (g_bytes_equal (g_ptr_array_index (in, i),
            g_ptr_array_index (out, i)));
  /* the video covers the sound and ends less than a frame after it */
  output_read (temp.output, NULL, &output);
  g_assert_cmpint (output.n_decoded, ==,
      (in_duration * fps + in_rate - 1) / in_rate);
  output_clear (&output);
  g_clear_pointer (&out, g_ptr_array_unref);

  options.audio_passthrough = NEMO_AUDIO_PASSTHROUGH_NEVER;
  render_ok (draft, &options, temp.output);
  out = read_audio_packets (temp.output, &out_rate, &out_duration);
  g_assert_cmpint (out_rate, ==, 48000);
  g_assert_cmpint (out_duration, ==, input_samples ("tone.m4a"));

  temp_output_clear (&temp);
}

/* ---- encoder controls ---- */

/* The measured bitrate of @path's first stream of @type, in kb/s: the
 * bytes of its packets over its duration. */
static gdouble
stream_kbps (const gchar * path, enum AVMediaType type)
{
  AVFormatContext *format = NULL;
  AVPacket *packet = av_packet_alloc ();
  gint64 bytes = 0;
  gdouble seconds;
  gint index;

  g_assert_cmpint (avformat_open_input (&format, path, NULL, NULL), ==, 0);
  g_assert_cmpint (avformat_find_stream_info (format, NULL), >=, 0);
  index = av_find_best_stream (format, type, -1, -1, NULL, 0);
  g_assert_cmpint (index, >=, 0);
  seconds = format->streams[index]->duration *
      av_q2d (format->streams[index]->time_base);
  while (av_read_frame (format, packet) >= 0) {
    if (packet->stream_index == index)
      bytes += packet->size;
    av_packet_unref (packet);
  }
  av_packet_free (&packet);
  avformat_close_input (&format);
  return bytes * 8 / seconds / 1000;
}

/* Render @draft with @options and check the contract, GOPs of @gop. */
static void
render_checked (const NemoDraft * draft, const NemoRenderOptions * options,
    const gchar * song, gint gop, const gchar * path)
{
  Output out;

  render_ok (draft, options, path);
  output_read (path, NULL, &out);
  output_assert_contract_gop (path, &out, options->width, options->height,
      options->fps_n, input_samples (song), gop);
  output_clear (&out);
}

static gint64
file_size (const gchar * path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_size;
}

/* A lower quality (a higher CRF) gives a smaller file. */
static void
test_quality (void)
{
  g_autoptr (NemoDraft) draft = make_draft (NEMO_SEGMENT_CLIP, "clip.mp4",
      "tone.wav");
  NemoRenderOptions options;
  TempOutput temp;
  gint64 best;

  temp_output_init (&temp);
  nemo_render_options_init (&options);
  options.width = 640;
  options.height = 360;
  options.fps_n = 25;
  render_checked (draft, &options, "tone.wav", 13, temp.output);
  best = file_size (temp.output);
  options.quality = 35;
  render_checked (draft, &options, "tone.wav", 13, temp.output);
  g_assert_cmpint (file_size (temp.output), <, best / 2);
  temp_output_clear (&temp);
}

/* A cap keeps the video's bitrate under it.  VBV lets the whole file
 * exceed the cap by at most its buffer (one second of the cap) over the
 * duration, here 1/8: the margin. */
static void
test_video_bitrate (void)
{
  g_autoptr (NemoDraft) draft = make_draft (NEMO_SEGMENT_CLIP, "clip.mp4",
      "tone.wav");
  const gint cap = 300;
  gdouble seconds = input_samples ("tone.wav") / 48000.0;
  gdouble free_kbps, capped_kbps;
  NemoRenderOptions options;
  TempOutput temp;

  temp_output_init (&temp);
  nemo_render_options_init (&options);
  options.width = 640;
  options.height = 360;
  options.fps_n = 25;
  render_ok (draft, &options, temp.output);
  free_kbps = stream_kbps (temp.output, AVMEDIA_TYPE_VIDEO);
  options.video_bitrate_kbps = cap;
  render_checked (draft, &options, "tone.wav", 13, temp.output);
  capped_kbps = stream_kbps (temp.output, AVMEDIA_TYPE_VIDEO);
  g_test_message ("video: %.0f kb/s, %.0f kb/s capped at %d", free_kbps,
      capped_kbps, cap);
  /* uncapped, the clip takes far more: the cap has work to do */
  g_assert_cmpfloat (free_kbps, >, 2 * cap);
  g_assert_cmpfloat (capped_kbps, <=, cap * (1 + 1 / seconds));
  temp_output_clear (&temp);
}

/* The AAC stream comes out at the bitrate asked.  FFmpeg's encoder treats
 * it as a ceiling and spends less on simple sound (a tone asked 320 kb/s
 * takes about 270), so the rates checked are those it reaches. */
static void
test_audio_bitrate (void)
{
  g_autoptr (NemoDraft) draft = make_draft (NEMO_SEGMENT_STILL, "cover.png",
      "tone.mp3");
  const gint rates[] = { 96, 192 };
  NemoRenderOptions options;
  TempOutput temp;
  guint i;

  temp_output_init (&temp);
  nemo_render_options_init (&options);
  options.width = 320;
  options.height = 180;
  options.fps_n = 25;
  for (i = 0; i < G_N_ELEMENTS (rates); i++) {
    gdouble kbps;

    options.audio_bitrate_kbps = rates[i];
    render_checked (draft, &options, "tone.mp3", 13, temp.output);
    kbps = stream_kbps (temp.output, AVMEDIA_TYPE_AUDIO);
    g_test_message ("audio: %.1f kb/s asked %d", kbps, rates[i]);
    g_assert_cmpfloat (fabs (kbps - rates[i]), <, rates[i] * 0.1);
  }
  temp_output_clear (&temp);
}

/* Keyframes every keyframe-interval frames, closed GOPs: on the
 * still-image fast path (its GOP is the interval) and on the plain one. */
static void
test_keyframe_interval (void)
{
  g_autoptr (NemoDraft) still = make_draft (NEMO_SEGMENT_STILL, "cover.png",
      "tone.mp3");
  g_autoptr (NemoDraft) clip = make_draft (NEMO_SEGMENT_CLIP, "clip.mp4",
      "tone.mp3");
  NemoRenderOptions options;
  TempOutput temp;

  temp_output_init (&temp);
  nemo_render_options_init (&options);
  options.width = 320;
  options.height = 180;
  options.fps_n = 25;
  options.keyframe_interval = 50;
  render_checked (still, &options, "tone.mp3", 50, temp.output);
  options.keyframe_interval = 7;
  render_checked (clip, &options, "tone.mp3", 7, temp.output);
  temp_output_clear (&temp);
}

/* ---- memory ---- */

/* The peak after rendering @minutes of silence (the song looped at volume
 * 0: quick to encode) over a still. */
static gint64
render_silence (gint minutes, const TempOutput * temp)
{
  g_autoptr (NemoDraft) draft = make_draft (NEMO_SEGMENT_STILL, "cover.png",
      "tone.wav");
  NemoTrack *audio = nemo_draft_find_track (draft, NEMO_TRACK_AUDIO);
  NemoSegment *song = g_ptr_array_index (audio->segments, 0);
  NemoRenderOptions options;

  song->loop = TRUE;
  song->duration_ms = minutes * 60 * 1000;
  song->volume = 0;
  nemo_render_options_init (&options);
  options.width = 320;
  options.height = 180;
  options.fps_n = 4;
  render_ok (draft, &options, temp->output);
  return (gint64) peak_rss_kib ();
}

/* The sound is streamed through a spool file, not held, and what is freed
 * is given back: 19 more minutes (54,000 more AAC packets) add 0.5 MB here,
 * under the room the first render's peak left.  Without the giving back,
 * the old copies of FFmpeg's MP4 index stayed resident: 6.2 MB.  Held, the
 * packets would add about 15 MB more (an AVPacket, its buffer and padding:
 * ~270 bytes each, even for silence). */
static void
test_memory_flat (void)
{
  TempOutput temp;
  gint64 short_kb, long_kb;

#ifdef __SANITIZE_ADDRESS__
  g_test_skip ("AddressSanitizer keeps freed memory: RSS means nothing");
  return;
#endif
  if (!g_file_test ("/proc/self/status", G_FILE_TEST_EXISTS)) {
    g_test_skip ("no /proc/self/status to read the peak RSS from");
    return;
  }
  temp_output_init (&temp);
  short_kb = render_silence (1, &temp);
  long_kb = render_silence (20, &temp);
  g_test_message ("peak RSS: %" G_GINT64_FORMAT " kB after 1 min, %"
      G_GINT64_FORMAT " kB after 20 min", short_kb, long_kb);
  g_assert_cmpint (long_kb - short_kb, <, 3 * 1024);
  temp_output_clear (&temp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/render/cover-1080p", test_cover_1080p);
  g_test_add_func ("/render/cover-vertical", test_cover_vertical);
  g_test_add_func ("/render/wide-picture", test_wide_picture);
  g_test_add_func ("/render/tall-picture", test_tall_picture);
  g_test_add_func ("/render/clip-loops", test_clip_loops);
  g_test_add_func ("/render/two-clips", test_two_clips);
  g_test_add_func ("/render/no-video-track", test_no_video_track);
  g_test_add_func ("/render/max-duration", test_max_duration);
  g_test_add_func ("/render/music-segments", test_music_segments);
  g_test_add_func ("/render/cancel-clip", test_cancel_clip);
  g_test_add_func ("/render/cancel-still", test_cancel_still);
  g_test_add_func ("/render/bad-options", test_bad_options);
  g_test_add_func ("/render/no-soundtrack", test_no_soundtrack);
  g_test_add_func ("/render/broken-song", test_broken_song);
  g_test_add_func ("/render/keep-aac", test_keep_aac);
  g_test_add_func ("/render/quality", test_quality);
  g_test_add_func ("/render/video-bitrate", test_video_bitrate);
  g_test_add_func ("/render/audio-bitrate", test_audio_bitrate);
  g_test_add_func ("/render/keyframe-interval", test_keyframe_interval);
  g_test_add_func ("/render/memory-flat", test_memory_flat);

  return g_test_run ();
}
