/* Tests for the local renderer: drafts built by hand, rendered to MP4, and
 * every point of SPEC.md's output contract checked by reading the file back
 * with libavformat/libavcodec, plus what a viewer sees in the pictures. */
#include <nemo/render.h>
#include <nemo/media.h>
#include <nemo/error.h>
#include <glib/gstdio.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <string.h>

/* ---- fixtures ---- */

static gchar *
data_path (const gchar * name)
{
  const gchar *dir = g_getenv ("NEMO_TEST_DATA");

  g_assert_nonnull (dir);
  return g_build_filename (dir, name, NULL);
}

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

/* The length of @name as the renderer's audio reader decodes it. */
static gint64
input_samples (const gchar * name)
{
  g_autofree gchar *path = data_path (name);
  g_autoptr (NemoAudioReader) reader = NULL;
  gfloat buffer[4096 * NEMO_AUDIO_CHANNELS];
  GError *error = NULL;
  gint64 total = 0;
  gint n;

  reader = nemo_audio_reader_open (path, &error);
  g_assert_no_error (error);
  while ((n = nemo_audio_reader_read (reader, buffer, 4096, &error)) > 0)
    total += n;
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 0);
  return total;
}

/* ---- reading the output back ---- */

#define MAX_SNAPSHOTS 4

typedef struct
{
  guint n_streams;
  gint64 duration_us;
  gchar *box_order;             /* top-level MP4 boxes, e.g. "ftyp moov free mdat" */

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

  gint64 snapshot_index[MAX_SNAPSHOTS];
  AVFrame *snapshot[MAX_SNAPSHOTS];     /* RGB24 */
  guint n_snapshots;
} Output;

static void
output_clear (Output * out)
{
  guint i;

  g_free (out->box_order);
  avcodec_parameters_free (&out->video);
  avcodec_parameters_free (&out->audio);
  g_clear_pointer (&out->pts, g_array_unref);
  g_clear_pointer (&out->keyframe, g_array_unref);
  for (i = 0; i < out->n_snapshots; i++)
    av_frame_free (&out->snapshot[i]);
}

static gchar *
read_box_order (const gchar * path)
{
  g_autofree gchar *contents = NULL;
  GString *order = g_string_new (NULL);
  GError *error = NULL;
  gsize length, offset = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  while (offset + 8 <= length) {
    const guint8 *box = (const guint8 *) contents + offset;
    guint64 size = GUINT32_FROM_BE (*(const guint32 *) box);

    if (size == 1 && offset + 16 <= length)
      size = GUINT64_FROM_BE (*(const guint64 *) (box + 8));
    else if (size == 0)
      size = length - offset;
    g_string_append_printf (order, "%s%.4s", order->len ? " " : "",
        (const gchar *) box + 4);
    g_assert_cmpuint (size, >=, 8);
    offset += size;
  }
  g_assert_cmpuint (offset, ==, length);
  return g_string_free (order, FALSE);
}

static AVFrame *
to_rgb (const AVFrame * frame)
{
  struct SwsContext *sws;
  AVFrame *rgb = av_frame_alloc ();

  rgb->format = AV_PIX_FMT_RGB24;
  rgb->width = frame->width;
  rgb->height = frame->height;
  g_assert_cmpint (av_frame_get_buffer (rgb, 0), ==, 0);
  sws = sws_getContext (frame->width, frame->height, frame->format,
      rgb->width, rgb->height, AV_PIX_FMT_RGB24, SWS_BICUBIC | SWS_ACCURATE_RND,
      NULL, NULL, NULL);
  g_assert_nonnull (sws);
  /* The stream is tagged BT.709 TV range: convert as a player would. */
  sws_setColorspaceDetails (sws, sws_getCoefficients (SWS_CS_ITU709), 0,
      sws_getCoefficients (SWS_CS_ITU709), 1, 0, 1 << 16, 1 << 16);
  sws_scale (sws, (const uint8_t * const *) frame->data, frame->linesize, 0,
      frame->height, rgb->data, rgb->linesize);
  sws_freeContext (sws);
  return rgb;
}

static void
take_snapshot (Output * out, const AVFrame * frame)
{
  guint i;

  for (i = 0; i < out->n_snapshots; i++)
    if (out->snapshot_index[i] == out->n_decoded)
      out->snapshot[i] = to_rgb (frame);
}

static void
add_audio_power (Output * out, const AVFrame * frame)
{
  gint c, i;

  g_assert_cmpint (frame->format, ==, AV_SAMPLE_FMT_FLTP);
  for (i = 0; i < frame->nb_samples; i++) {
    gint64 second = (out->n_audio_samples + i) / frame->sample_rate;

    if (second >= (gint64) G_N_ELEMENTS (out->audio_power))
      break;
    for (c = 0; c < frame->ch_layout.nb_channels; c++) {
      gfloat v = ((const gfloat *) frame->extended_data[c])[i];
      out->audio_power[second] += v * v / frame->ch_layout.nb_channels
          / frame->sample_rate;
    }
  }
  out->n_audio_samples += frame->nb_samples;
}

static void
drain_decoder (Output * out, AVCodecContext * decoder, AVFrame * frame,
    gboolean is_video)
{
  int ret;

  while ((ret = avcodec_receive_frame (decoder, frame)) >= 0) {
    if (frame->decode_error_flags || (frame->flags & AV_FRAME_FLAG_CORRUPT))
      out->decode_errors++;
    if (is_video) {
      take_snapshot (out, frame);
      out->n_decoded++;
    } else {
      add_audio_power (out, frame);
    }
    av_frame_unref (frame);
  }
  if (ret != AVERROR (EAGAIN) && ret != AVERROR_EOF)
    out->decode_errors++;
}

static AVCodecContext *
open_decoder (const AVCodecParameters * par)
{
  AVCodecContext *decoder =
      avcodec_alloc_context3 (avcodec_find_decoder (par->codec_id));

  g_assert_cmpint (avcodec_parameters_to_context (decoder, par), >=, 0);
  /* Fail on any bitstream damage instead of concealing it. */
  decoder->err_recognition = AV_EF_EXPLODE | AV_EF_CRCCHECK | AV_EF_BITSTREAM;
  decoder->thread_count = 1;
  g_assert_cmpint (avcodec_open2 (decoder, NULL, NULL), ==, 0);
  return decoder;
}

/* Demux and decode all of @path, keeping RGB copies of the frames at the
 * times in @snapshot_us (-1 ends the list). */
static void
read_output (const gchar * path, const gdouble * snapshot_s, Output * out)
{
  AVFormatContext *format = NULL;
  AVCodecContext *video_decoder, *audio_decoder;
  AVPacket *packet = av_packet_alloc ();
  AVFrame *frame = av_frame_alloc ();
  gint video_index = -1, audio_index = -1;
  guint i;

  memset (out, 0, sizeof (*out));
  out->box_order = read_box_order (path);
  g_assert_cmpint (avformat_open_input (&format, path, NULL, NULL), ==, 0);
  g_assert_cmpint (avformat_find_stream_info (format, NULL), >=, 0);
  out->n_streams = format->nb_streams;
  out->duration_us = format->duration;
  for (i = 0; i < format->nb_streams; i++) {
    AVStream *stream = format->streams[i];

    if (stream->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && video_index < 0)
      video_index = i;
    if (stream->codecpar->codec_type == AVMEDIA_TYPE_AUDIO && audio_index < 0)
      audio_index = i;
  }
  g_assert_cmpint (video_index, >=, 0);
  g_assert_cmpint (audio_index, >=, 0);
  out->video = avcodec_parameters_alloc ();
  out->audio = avcodec_parameters_alloc ();
  avcodec_parameters_copy (out->video, format->streams[video_index]->codecpar);
  avcodec_parameters_copy (out->audio, format->streams[audio_index]->codecpar);
  out->audio_duration = av_rescale_q (format->streams[audio_index]->duration,
      format->streams[audio_index]->time_base,
      (AVRational) { 1, out->audio->sample_rate });
  out->frame_rate = format->streams[video_index]->avg_frame_rate;
  out->video_time_base = format->streams[video_index]->time_base;
  g_assert_cmpint (out->frame_rate.num, >, 0);
  out->frame_duration = av_rescale_q (1, av_inv_q (out->frame_rate),
      out->video_time_base);
  out->pts = g_array_new (FALSE, FALSE, sizeof (gint64));
  out->keyframe = g_array_new (FALSE, FALSE, sizeof (gboolean));
  for (i = 0; snapshot_s && snapshot_s[i] >= 0; i++) {
    g_assert_cmpuint (i, <, MAX_SNAPSHOTS);
    out->snapshot_index[i] = (gint64) llround (snapshot_s[i]
        * out->frame_rate.num / out->frame_rate.den);
    out->n_snapshots++;
  }

  video_decoder = open_decoder (out->video);
  audio_decoder = open_decoder (out->audio);
  while (av_read_frame (format, packet) >= 0) {
    if (packet->stream_index == video_index) {
      gboolean key = (packet->flags & AV_PKT_FLAG_KEY) != 0;

      g_array_append_val (out->pts, packet->pts);
      g_array_append_val (out->keyframe, key);
      if (packet->duration != out->frame_duration)
        out->odd_durations++;
      if (avcodec_send_packet (video_decoder, packet) < 0)
        out->decode_errors++;
      drain_decoder (out, video_decoder, frame, TRUE);
    } else if (packet->stream_index == audio_index) {
      if (avcodec_send_packet (audio_decoder, packet) < 0)
        out->decode_errors++;
      drain_decoder (out, audio_decoder, frame, FALSE);
    }
    av_packet_unref (packet);
  }
  avcodec_send_packet (video_decoder, NULL);
  drain_decoder (out, video_decoder, frame, TRUE);
  avcodec_send_packet (audio_decoder, NULL);
  drain_decoder (out, audio_decoder, frame, FALSE);

  avcodec_free_context (&video_decoder);
  avcodec_free_context (&audio_decoder);
  av_frame_free (&frame);
  av_packet_free (&packet);
  avformat_close_input (&format);
}

/* ---- the contract ---- */

/* `ffmpeg -v error -i out.mp4 -f null -` must print nothing. */
static void
assert_ffmpeg_decodes_cleanly (const gchar * path)
{
  const gchar *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-i", path,
    "-f", "null", "-", NULL
  };
  g_autofree gchar *errors = NULL;
  GError *error = NULL;
  gint status;

  g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH |
      G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &errors, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (errors, ==, "");
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static gint
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

static void
assert_gops (const Output * out, gint gop, gint64 n_frames)
{
  g_autoptr (GArray) sorted = g_array_copy (out->pts);
  gint64 first, closed_from = G_MININT64;
  guint i;

  /* Constant frame rate: the pts are consecutive frames. */
  g_array_sort (sorted, compare_gint64);
  first = g_array_index (sorted, gint64, 0);
  for (i = 0; i < sorted->len; i++)
    g_assert_cmpint (g_array_index (sorted, gint64, i) - first, ==,
        i * out->frame_duration);

  for (i = 0; i < out->pts->len; i++) {
    gint64 index = (g_array_index (out->pts, gint64, i) - first) /
        out->frame_duration;
    gboolean key = g_array_index (out->keyframe, gboolean, i);

    /* A keyframe exactly at every GOP start, nowhere else. */
    g_assert_cmpint (key, ==, index % gop == 0);
    /* Closed GOP: nothing after a keyframe in decode order is shown before
     * it (no leading pictures referring to the previous GOP). */
    if (key)
      closed_from = index;
    g_assert_cmpint (index, >=, closed_from);
  }
  g_assert_cmpint (out->pts->len, ==, n_frames);
}

/* Everything SPEC.md promises of an output of @width x @height at @fps_n
 * fps whose sound lasts @samples. */
static void
assert_contract (const gchar * path, const Output * out, gint width,
    gint height, gint fps_n, gint64 samples)
{
  gint64 n_frames = (samples * fps_n + NEMO_AUDIO_RATE - 1) / NEMO_AUDIO_RATE;
  gint64 audio_us = samples * G_USEC_PER_SEC / NEMO_AUDIO_RATE;
  gint gop = (gint) lround (fps_n / 2.0);

  g_assert_cmpuint (out->n_streams, ==, 2);
  /* moov before mdat: players start without seeking to the end */
  g_assert_true (g_str_has_prefix (out->box_order, "ftyp "));
  g_assert_nonnull (strstr (out->box_order, "moov"));
  g_assert_nonnull (strstr (out->box_order, "mdat"));
  g_assert_true (strstr (out->box_order, "moov") <
      strstr (out->box_order, "mdat"));

  g_assert_cmpint (out->video->codec_id, ==, AV_CODEC_ID_H264);
  g_assert_cmpint (out->video->profile, ==, FF_PROFILE_H264_HIGH);
  g_assert_cmpint (out->video->format, ==, AV_PIX_FMT_YUV420P);
  g_assert_cmpint (out->video->width, ==, width);
  g_assert_cmpint (out->video->height, ==, height);
  g_assert_cmpint (out->video->color_space, ==, AVCOL_SPC_BT709);
  g_assert_cmpint (out->video->color_range, ==, AVCOL_RANGE_MPEG);
  g_assert_cmpint (av_cmp_q (out->frame_rate, (AVRational) { fps_n, 1 }), ==,
      0);
  g_assert_cmpint (out->odd_durations, ==, 0);
  assert_gops (out, gop, n_frames);
  g_assert_cmpint (out->n_decoded, ==, n_frames);

  g_assert_cmpint (out->audio->codec_id, ==, AV_CODEC_ID_AAC);
  g_assert_cmpint (out->audio->profile, ==, FF_PROFILE_AAC_LOW);
  g_assert_cmpint (out->audio->sample_rate, ==, 48000);
  g_assert_cmpint (out->audio->ch_layout.nb_channels, ==, 2);
  /* The edit list gives the sound its exact length; FFmpeg's demuxer trims
   * the encoder's priming but not the silence padding the last frame. */
  g_assert_cmpint (out->audio_duration, ==, samples);
  g_assert_cmpint (out->n_audio_samples, >=, samples);
  g_assert_cmpint (out->n_audio_samples, <, samples + 1024);

  /* The video covers the sound and ends less than a frame after it. */
  g_assert_cmpint (n_frames * G_USEC_PER_SEC / fps_n, >=, audio_us);
  g_assert_cmpint (llabs (out->duration_us - audio_us), <,
      G_USEC_PER_SEC / fps_n);

  g_assert_cmpint (out->decode_errors, ==, 0);
  assert_ffmpeg_decodes_cleanly (path);
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

static const guint8 *
pixel (const AVFrame * rgb, gint x, gint y)
{
  return rgb->data[0] + (gsize) y * rgb->linesize[0] + 3 * x;
}

static gdouble
luma (const guint8 * p)
{
  return 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
}

static void
assert_colour_near (const guint8 * p, guint8 r, guint8 g, guint8 b, gint slack)
{
  g_assert_cmpint (abs (p[0] - r), <=, slack);
  g_assert_cmpint (abs (p[1] - g), <=, slack);
  g_assert_cmpint (abs (p[2] - b), <=, slack);
}

/* The fill: never black bars, and a darker version of the picture's edge
 * colour (@r, @g, @b), keeping its dominant channel. */
static void
assert_fill (const AVFrame * rgb, gint x, gint y, guint8 r, guint8 g,
    guint8 b)
{
  const guint8 *p = pixel (rgb, x, y);

  g_assert_cmpfloat (luma (p), >, 16);
  g_assert_cmpfloat (luma (p), <, 0.2126 * r + 0.7152 * g + 0.0722 * b);
  if (b > r && b > g) {
    g_assert_cmpint (p[2], >, p[0]);
    g_assert_cmpint (p[2], >, p[1]);
  }
  /* not the orange of the cover's centre */
  g_assert_false (abs (p[0] - 255) < 40 && abs (p[1] - 128) < 40);
}

static void
assert_no_black_edges (const AVFrame * rgb)
{
  gint x, y;

  for (x = 0; x < rgb->width; x += 8) {
    g_assert_cmpfloat (luma (pixel (rgb, x, 0)), >, 16);
    g_assert_cmpfloat (luma (pixel (rgb, x, rgb->height - 1)), >, 16);
  }
  for (y = 0; y < rgb->height; y += 8) {
    g_assert_cmpfloat (luma (pixel (rgb, 0, y)), >, 16);
    g_assert_cmpfloat (luma (pixel (rgb, rgb->width - 1, y)), >, 16);
  }
}

static gdouble
psnr (const AVFrame * a, const AVFrame * b)
{
  gdouble sum = 0;
  gint x, y;

  g_assert_cmpint (a->width, ==, b->width);
  g_assert_cmpint (a->height, ==, b->height);
  for (y = 0; y < a->height; y++)
    for (x = 0; x < a->width * 3; x++) {
      gint d = a->data[0][y * a->linesize[0] + x] -
          b->data[0][y * b->linesize[0] + x];
      sum += d * d;
    }
  sum /= (gdouble) a->width * a->height * 3;
  sum = sum == 0 ? INFINITY : 10 * log10 (255.0 * 255.0 / sum);
  g_test_message ("PSNR %.2f dB", sum);
  return sum;
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
  read_output (temp.output, at, &out);
  assert_contract (temp.output, &out, width, height, fps,
      input_samples ("tone.mp3"));

  rgb = out.snapshot[0];
  g_assert_nonnull (rgb);
  w = rgb->width;
  h = rgb->height;
  /* The cover, sharp in the centre... */
  assert_colour_near (pixel (rgb, w / 2, h / 2), 255, 128, 0, 20);
  /* ...its own dark edge just inside the picture... */
  if (w > h)
    assert_colour_near (pixel (rgb, w / 2 - h / 2 + h / 16, h / 2), 0x20, 0x30,
        0x40, 20);
  else
    assert_colour_near (pixel (rgb, w / 2, h / 2 - w / 2 + w / 16), 0x20, 0x30,
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
  read_output (temp.output, at, &out);
  assert_contract (temp.output, &out, 1280, 720, 30, 5 * NEMO_AUDIO_RATE);

  rgb = out.snapshot[0];
  assert_colour_near (pixel (rgb, 640, 360), 0x00, 0xa0, 0xff, 20);
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
  read_output (temp.output, at, &out);
  assert_contract (temp.output, &out, 1280, 720, 25, input_samples ("tone.wav"));

  g_assert_cmpfloat (psnr (out.snapshot[0], out.snapshot[2]), >, 35);
  /* and the clip moves */
  g_assert_cmpfloat (psnr (out.snapshot[0], out.snapshot[1]), <, 25);

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
  render_ok (draft, &options, temp.output);
  read_output (temp.output, at, &out);
  assert_contract (temp.output, &out, 640, 360, 25, input_samples ("tone.m4a"));

  /* 5.0 s is 1.0 s into the second clip, from its 1.0 s in-point: the
   * picture of 2.0 s in the (identical) first clip. */
  g_assert_cmpfloat (psnr (out.snapshot[2], out.snapshot[1]), >, 35);
  g_assert_cmpfloat (psnr (out.snapshot[2], out.snapshot[0]), <, 25);

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
  read_output (temp.output, at, &out);
  assert_contract (temp.output, &out, 640, 360, 30,
      input_samples ("tone.flac"));
  for (i = 0; i < 2; i++) {
    assert_colour_near (pixel (out.snapshot[i], 0, 0), 0x10, 0x14, 0x18, 4);
    assert_colour_near (pixel (out.snapshot[i], 320, 180), 0x10, 0x14, 0x18,
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
  read_output (temp.output, NULL, &out);
  assert_contract (temp.output, &out, 1920, 1080, 30, 3 * NEMO_AUDIO_RATE);
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
  read_output (temp.output, NULL, &out);
  assert_contract (temp.output, &out, 320, 180, 30, 7 * NEMO_AUDIO_RATE);

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

  return g_test_run ();
}
