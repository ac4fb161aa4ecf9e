/* nemovisualizer tests: caps, one frame per frame period of audio, the
 * look switching with the stream's tags at the right frame, silence, and
 * playbin's vis-plugin.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <cairo.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "pipeline-run.h"

#define RATE 48000
#define WIDTH 320
#define HEIGHT 180
#define AUDIO_CAPS "audio/x-raw, format=F32LE, layout=interleaved, " \
  "rate=48000, channels=2, channel-mask=(bitmask)0x3"
#define VIDEO_CAPS "video/x-raw, format=I420, width=320, height=180, " \
  "framerate=30/1"

static GstHarness *
harness_new (const gchar * properties)
{
  g_autofree gchar *launch = g_strdup_printf ("nemovisualizer %s",
      properties);
  GstHarness *h = gst_harness_new_parse (launch);

  gst_harness_set_src_caps_str (h, AUDIO_CAPS);
  gst_harness_set_sink_caps_str (h, VIDEO_CAPS);
  return h;
}

/* @n sample frames of a 440 Hz tone (@amplitude 0: silence) from sample
 * @at, stamped with their time. */
static GstBuffer *
audio_buffer (guint64 at, gint n, gfloat amplitude)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, n * 2 * sizeof (gfloat),
      NULL);
  GstMapInfo map;
  gfloat *s;
  gint i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  s = (gfloat *) map.data;
  for (i = 0; i < n; i++)
    s[2 * i] = s[2 * i + 1] = amplitude * sinf (2 * G_PI * 440 * (at + i)
        / RATE);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale_int (at, GST_SECOND, RATE);
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale_int (n, GST_SECOND,
      RATE);
  return buf;
}

/* Push @n_samples from sample @at in buffers of @chunk (an MP3's 1152). */
static void
push_audio (GstHarness * h, guint64 at, gint n_samples, gint chunk,
    gfloat amplitude)
{
  gint done;

  for (done = 0; done < n_samples; done += chunk)
    fail_unless_equals_int (gst_harness_push (h, audio_buffer (at + done,
                MIN (chunk, n_samples - done), amplitude)), GST_FLOW_OK);
}

/* The luma byte at @x, @y of @buf. */
static guint8
luma_at (GstBuffer * buf, gint x, gint y)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  guint8 value;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, WIDTH, HEIGHT);
  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_READ));
  value = ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0))[y
      * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0) + x];
  gst_video_frame_unmap (&frame);
  return value;
}

/* A @width x @height PNG of one colour, as written by an encoder. */
static GBytes *
png_of (gdouble r, gdouble g, gdouble b)
{
  g_autofree gchar *path = NULL;
  cairo_surface_t *surface;
  cairo_t *cr;
  gchar *data;
  gsize size;
  gint fd = g_file_open_tmp ("nemovis-XXXXXX.png", &path, NULL);

  fail_unless (fd >= 0);
  close (fd);
  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 200, 200);
  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, r, g, b);
  cairo_paint (cr);
  cairo_destroy (cr);
  fail_unless_equals_int (cairo_surface_write_to_png (surface, path),
      CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy (surface);
  fail_unless (g_file_get_contents (path, &data, &size, NULL));
  g_unlink (path);
  return g_bytes_new_take (data, size);
}

static gchar *
write_png (gdouble r, gdouble g, gdouble b)
{
  g_autoptr (GBytes) png = png_of (r, g, b);
  gchar *path = NULL;
  gint fd = g_file_open_tmp ("nemovis-cover-XXXXXX.png", &path, NULL);

  fail_unless (fd >= 0);
  close (fd);
  fail_unless (g_file_set_contents (path, g_bytes_get_data (png, NULL),
          g_bytes_get_size (png), NULL));
  return path;
}

/* A song's tags, with its picture (taken) as a tag reader gives it. */
static GstEvent *
song_tags (const gchar * title, GBytes * png)
{
  GstTagList *tags = gst_tag_list_new (GST_TAG_TITLE, title, NULL);
  GstBuffer *buf = gst_buffer_new_wrapped_bytes (png);
  GstCaps *caps = gst_caps_new_empty_simple ("image/png");
  GstSample *sample = gst_sample_new (buf, caps, NULL, NULL);

  gst_tag_list_add (tags, GST_TAG_MERGE_APPEND, GST_TAG_IMAGE, sample, NULL);
  gst_sample_unref (sample);
  gst_caps_unref (caps);
  gst_buffer_unref (buf);
  g_bytes_unref (png);
  gst_tag_list_set_scope (tags, GST_TAG_SCOPE_STREAM);
  return gst_event_new_tag (tags);
}

/* ------------------------------------------------------------- cases -- */

GST_START_TEST (test_caps)
{
  GstHarness *h = harness_new ("");
  GstBuffer *buf;
  GstCaps *caps;
  GstStructure *s;
  gint width, height, fps_n, fps_d;

  push_audio (h, 0, RATE / 10, 1152, 0.5);
  buf = gst_harness_pull (h);
  caps = gst_pad_get_current_caps (h->sinkpad);
  s = gst_caps_get_structure (caps, 0);
  fail_unless_equals_string (gst_structure_get_string (s, "format"), "I420");
  fail_unless (gst_structure_get_int (s, "width", &width)
      && gst_structure_get_int (s, "height", &height)
      && gst_structure_get_fraction (s, "framerate", &fps_n, &fps_d));
  fail_unless_equals_int (width, WIDTH);
  fail_unless_equals_int (height, HEIGHT);
  fail_unless_equals_int (fps_n, 30);
  fail_unless_equals_int (fps_d, 1);
  fail_unless_equals_uint64 (gst_buffer_get_size (buf), WIDTH * HEIGHT * 3
      / 2);
  gst_caps_unref (caps);
  gst_buffer_unref (buf);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* 1 s and a half-frame of audio in MP3-sized buffers: 30 frames, then one
 * more at EOS, each one frame period after the last. */
GST_START_TEST (test_one_frame_per_frame_period)
{
  GstHarness *h = harness_new ("");
  guint i, n;

  push_audio (h, 0, RATE + 800, 1152, 0.5);
  fail_unless_equals_int (gst_harness_buffers_received (h), 30);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  n = gst_harness_buffers_received (h);
  fail_unless_equals_int (n, 31);
  for (i = 0; i < n; i++) {
    GstBuffer *buf = gst_harness_pull (h);

    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf),
        gst_util_uint64_scale (i, GST_SECOND, 30));
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf),
        gst_util_uint64_scale (1, GST_SECOND, 30));
    gst_buffer_unref (buf);
  }
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Caps asked again downstream (the same, then another frame rate) do not
 * break the frames' time: none overlaps the one before, none is late. */
GST_START_TEST (test_renegotiation_keeps_time)
{
  GstHarness *h = harness_new ("");
  GstClockTime end = 0;
  guint i, n;

  /* each time part of a frame's audio waits for the rest */
  push_audio (h, 0, RATE / 3 + 500, 1152, 0.5);
  gst_harness_set_sink_caps_str (h, VIDEO_CAPS);
  push_audio (h, RATE / 3 + 500, RATE / 3, 1152, 0.5);
  gst_harness_set_sink_caps_str (h, "video/x-raw, format=I420, width=320, "
      "height=180, framerate=25/1");
  push_audio (h, 2 * RATE / 3 + 500, RATE / 3, 1152, 0.5);
  n = gst_harness_buffers_received (h);
  /* 20 frames at 30 fps, then 1/3 s at 25 fps, less what waits for more */
  fail_unless (n >= 27 && n <= 29, "%u frames", n);
  for (i = 0; i < n; i++) {
    GstBuffer *buf = gst_harness_pull (h);

    /* the base class gives each frame the rate's duration, rounded to the
     * ns; the times are counted in samples */
    fail_unless (GST_BUFFER_PTS (buf) + 1 >= end && GST_BUFFER_PTS (buf)
        <= end + 1, "frame %u at %" GST_TIME_FORMAT ", the one before ended "
        "at %" GST_TIME_FORMAT, i, GST_TIME_ARGS (GST_BUFFER_PTS (buf)),
        GST_TIME_ARGS (end));
    end = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
    gst_buffer_unref (buf);
  }
  gst_harness_teardown (h);
}
GST_END_TEST;

/* A DISCONT buffer that goes on where the audio was (a decoder's first of
 * the next song) keeps the frames going; one that jumps starts them again
 * at its own time. */
GST_START_TEST (test_discont)
{
  GstHarness *h = harness_new ("");
  GstBuffer *buf;
  guint i;

  push_audio (h, 0, RATE / 3 + 500, 1152, 0.5);
  buf = audio_buffer (RATE / 3 + 500, RATE / 3, 0.5);
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_received (h), 20);
  for (i = 0; i < 20; i++) {
    buf = gst_harness_pull (h);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf),
        gst_util_uint64_scale (i, GST_SECOND, 30));
    gst_buffer_unref (buf);
  }
  /* 10 s on: frames from there */
  buf = audio_buffer (10 * RATE, RATE / 30, 0.5);
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  buf = gst_harness_pull (h);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), 10 * GST_SECOND);
  gst_buffer_unref (buf);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Buffers of several frames each give the same frames. */
GST_START_TEST (test_long_buffers)
{
  GstHarness *h = harness_new ("");

  push_audio (h, 0, RATE, RATE / 4, 0.5);
  fail_unless_equals_int (gst_harness_buffers_received (h), 30);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Silence draws flat bars: every frame the same, to the byte. */
GST_START_TEST (test_silence_is_still)
{
  GstHarness *h = harness_new ("style=spectrum title=Quiet");
  GstBuffer *first, *buf;
  GstMapInfo a, b;
  guint i;

  push_audio (h, 0, RATE, 1024, 0);
  first = gst_harness_pull (h);
  gst_buffer_map (first, &a, GST_MAP_READ);
  for (i = 1; i < 30; i++) {
    buf = gst_harness_pull (h);
    gst_buffer_map (buf, &b, GST_MAP_READ);
    fail_unless (a.size == b.size && memcmp (a.data, b.data, a.size) == 0,
        "frame %u of silence differs from the first", i);
    gst_buffer_unmap (buf, &b);
    gst_buffer_unref (buf);
  }
  gst_buffer_unmap (first, &a);
  gst_buffer_unref (first);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Music moves the bars: frames of a tone differ from frames of silence
 * in the bars' band only. */
GST_START_TEST (test_music_moves_the_bars)
{
  GstHarness *quiet = harness_new ("style=spectrum");
  GstHarness *loud = harness_new ("style=spectrum");
  GstBuffer *q, *l;
  GstMapInfo mq, ml;
  gint y, x, changed_rows = 0, top = HEIGHT, bottom = 0;

  push_audio (quiet, 0, RATE / 2, 1024, 0);
  push_audio (loud, 0, RATE / 2, 1024, 0.8);
  q = gst_harness_pull (quiet);
  l = gst_harness_pull (loud);
  while (gst_harness_buffers_in_queue (quiet) > 0) {
    gst_buffer_unref (q);
    gst_buffer_unref (l);
    q = gst_harness_pull (quiet);
    l = gst_harness_pull (loud);
  }
  gst_buffer_map (q, &mq, GST_MAP_READ);
  gst_buffer_map (l, &ml, GST_MAP_READ);
  for (y = 0; y < HEIGHT; y++)
    for (x = 0; x < WIDTH; x++)
      if (mq.data[y * WIDTH + x] != ml.data[y * WIDTH + x]) {
        top = MIN (top, y);
        bottom = MAX (bottom, y);
        changed_rows++;
        break;
      }
  fail_unless (changed_rows > 0, "a 440 Hz tone drew the same bars as "
      "silence");
  /* the bars stand in the lower part of a landscape frame */
  fail_unless (top > HEIGHT / 2, "the frame changed from row %d", top);
  gst_buffer_unmap (q, &mq);
  gst_buffer_unmap (l, &ml);
  gst_buffer_unref (q);
  gst_buffer_unref (l);
  gst_harness_teardown (quiet);
  gst_harness_teardown (loud);
}
GST_END_TEST;

static GstStructure *
pop_now_playing (GstBus * bus)
{
  GstMessage *msg;
  GstStructure *s = NULL;

  while (s == NULL && (msg = gst_bus_pop_filtered (bus,
              GST_MESSAGE_ELEMENT)) != NULL) {
    if (gst_message_has_name (msg, "nemovisualizer-now-playing"))
      s = gst_structure_copy (gst_message_get_structure (msg));
    gst_message_unref (msg);
  }
  return s;
}

/* A new song's tags switch the cover and the title with the first frame
 * of its audio (crossfade=0), and say so on the bus. */
GST_START_TEST (test_tags_switch_the_look)
{
  g_autofree gchar *red = write_png (1, 0, 0);
  g_autofree gchar *props = g_strdup_printf ("cover-uri=%s crossfade=0 "
      "style=none title=Station", red);
  GstHarness *h = harness_new (props);
  GstBus *bus = gst_bus_new ();
  GstStructure *s;
  guint i;

  gst_element_set_bus (h->element, bus);
  push_audio (h, 0, 10 * RATE / 30, 800, 0.5);
  fail_unless (gst_harness_push_event (h, song_tags ("Blue Song",
              png_of (0, 0, 1))));
  push_audio (h, 10 * RATE / 30, 10 * RATE / 30, 800, 0.5);
  fail_unless_equals_int (gst_harness_buffers_received (h), 20);

  for (i = 0; i < 20; i++) {
    GstBuffer *buf = gst_harness_pull (h);
    /* the cover's centre: red is Y 63, blue Y 32 (BT.709 TV range) */
    guint8 y = luma_at (buf, WIDTH / 2, HEIGHT / 2);

    if (i < 10)
      fail_unless (ABS (y - 63) <= 3, "frame %u: Y %u, not the red cover",
          i, y);
    else
      fail_unless (ABS (y - 32) <= 3, "frame %u: Y %u, not the blue cover",
          i, y);
    gst_buffer_unref (buf);
  }

  s = pop_now_playing (bus);    /* the first look is the properties' */
  fail_unless (s != NULL);
  gst_structure_free (s);
  s = pop_now_playing (bus);
  fail_unless (s != NULL, "no nemovisualizer-now-playing for the new song");
  fail_unless_equals_string (gst_structure_get_string (s, "title"),
      "Blue Song");
  gst_structure_free (s);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  g_unlink (red);
}
GST_END_TEST;

/* With a cross-fade the new cover comes in over it, monotonically. */
GST_START_TEST (test_crossfade)
{
  g_autofree gchar *red = write_png (1, 0, 0);
  g_autofree gchar *props = g_strdup_printf ("cover-uri=%s style=none "
      "crossfade=300000000", red);
  GstHarness *h = harness_new (props);
  gint last = 64, i;

  push_audio (h, 0, RATE / 3, 800, 0.5);
  fail_unless (gst_harness_push_event (h, song_tags ("Blue Song",
              png_of (0, 0, 1))));
  push_audio (h, RATE / 3, RATE / 2, 800, 0.5);
  for (i = 0; i < 10; i++)
    gst_buffer_unref (gst_harness_pull (h));
  /* 300 ms: 9 frames between the covers, then the blue one */
  for (i = 0; i < 15; i++) {
    GstBuffer *buf = gst_harness_pull (h);
    gint y = luma_at (buf, WIDTH / 2, HEIGHT / 2);

    if (i < 9)
      fail_unless (y < last && y > 32, "frame %d of the fade: Y %d after %d",
          i, y, last);
    else
      fail_unless (ABS (y - 32) <= 3, "frame %d after the fade: Y %d", i, y);
    last = y;
    gst_buffer_unref (buf);
  }
  gst_harness_teardown (h);
  g_unlink (red);
}
GST_END_TEST;

/* A song's picture that cannot be read does not stop the stream: a
 * warning, and cover-uri with the new title. */
GST_START_TEST (test_broken_picture_keeps_playing)
{
  g_autofree gchar *red = write_png (1, 0, 0);
  g_autofree gchar *props = g_strdup_printf ("cover-uri=%s crossfade=0 "
      "style=none", red);
  GstHarness *h = harness_new (props);
  GstBus *bus = gst_bus_new ();
  GstMessage *warning;
  GstBuffer *buf;

  gst_element_set_bus (h->element, bus);
  push_audio (h, 0, RATE / 30, 800, 0.5);
  fail_unless (gst_harness_push_event (h, song_tags ("Broken Art",
              g_bytes_new_static ("not a png", 9))));
  push_audio (h, RATE / 30, RATE / 30, 800, 0.5);
  fail_unless_equals_int (gst_harness_buffers_received (h), 2);
  gst_buffer_unref (gst_harness_pull (h));
  buf = gst_harness_pull (h);
  fail_unless (ABS (luma_at (buf, WIDTH / 2, HEIGHT / 2) - 63) <= 3);
  gst_buffer_unref (buf);
  warning = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (warning != NULL, "no warning for the song's picture");
  gst_message_unref (warning);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL,
      "an error for a song's picture");
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  g_unlink (red);
}
GST_END_TEST;

/* A plain background in one colour, nothing drawn over it. */
GST_START_TEST (test_color_background)
{
  GstHarness *h = harness_new ("background=color background-color=0xffffff "
      "style=none");
  GstBuffer *buf;

  push_audio (h, 0, RATE / 30, 800, 0.5);
  buf = gst_harness_pull (h);
  fail_unless_equals_int (luma_at (buf, 0, 0), 235);
  fail_unless_equals_int (luma_at (buf, WIDTH - 1, HEIGHT - 1), 235);
  gst_buffer_unref (buf);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Transparent: BGRA with alpha 0 wherever nothing is drawn (the middle
 * of a landscape frame), opaque enough to read in the title's panel. */
GST_START_TEST (test_transparent)
{
  GstHarness *h = gst_harness_new ("nemovisualizer");
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buf;
  const guint8 *row;
  gint stride, x, y, clear = 0;

  gst_util_set_object_arg (G_OBJECT (h->element), "background",
      "transparent");
  g_object_set (h->element, "title", "Glass", NULL);
  gst_harness_set_src_caps_str (h, AUDIO_CAPS);
  gst_harness_set_sink_caps_str (h, "video/x-raw, format=BGRA, width=320, "
      "height=180, framerate=30/1");
  push_audio (h, 0, RATE / 30, 800, 0.5);
  buf = gst_harness_pull (h);
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_BGRA, WIDTH, HEIGHT);
  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_READ));
  stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
  for (y = 0; y < HEIGHT; y++) {
    row = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) + y * stride;
    for (x = 0; x < WIDTH; x++)
      clear += row[4 * x + 3] == 0;
  }
  row = GST_VIDEO_FRAME_PLANE_DATA (&frame, 0);
  fail_unless_equals_int (row[(HEIGHT / 2) * stride + 4 * (WIDTH / 2) + 3], 0);
  /* the panel, top left, 16 px in */
  fail_unless (row[16 * stride + 4 * 16 + 3] > 100, "the title's panel "
      "has alpha %u", row[16 * stride + 4 * 16 + 3]);
  fail_unless (clear > WIDTH * HEIGHT / 2, "only %d of %d pixels are clear",
      clear, WIDTH * HEIGHT);
  gst_video_frame_unmap (&frame);
  gst_buffer_unref (buf);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Pushing into @launch with @video_caps after it fails, with an error that
 * says @phrase. */
static void
assert_refused (const gchar * launch, const gchar * video_caps,
    const gchar * phrase)
{
  GstHarness *h = gst_harness_new_parse (launch);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *error = NULL;

  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, AUDIO_CAPS);
  gst_harness_set_sink_caps_str (h, video_caps);
  fail_unless (gst_harness_push (h, audio_buffer (0, 1600, 0.5))
      != GST_FLOW_OK);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error posted");
  gst_message_parse_error (msg, &error, NULL);
  fail_unless (strstr (error->message, phrase) != NULL, "%s", error->message);
  g_error_free (error);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

/* Transparent frames are BGRA: with I420 after it, the element says so. */
GST_START_TEST (test_transparent_needs_bgra)
{
  assert_refused ("nemovisualizer background=transparent", VIDEO_CAPS,
      "format=BGRA");
}
GST_END_TEST;

GST_START_TEST (test_odd_size_refused)
{
  assert_refused ("nemovisualizer", "video/x-raw, format=I420, width=321, "
      "height=180, framerate=30/1", "even width and height");
}
GST_END_TEST;

static void
count_frame (GstElement * sink, GstBuffer * buf, GstPad * pad, gpointer data)
{
  (*(guint *) data)++;
}

/* playbin draws its visualisation with it: the song's 8 s as video. */
GST_START_TEST (test_playbin_vis_plugin)
{
  g_autofree gchar *song = data_path ("tone.wav");
  g_autofree gchar *uri = gst_filename_to_uri (song, NULL);
  GstElement *playbin = gst_element_factory_make ("playbin", NULL);
  GstElement *vis = gst_element_factory_make ("nemovisualizer", NULL);
  GstElement *video = gst_parse_bin_from_description ("capsfilter "
      "caps=video/x-raw,width=320,height=180,framerate=30/1 ! fakesink "
      "name=v sync=false signal-handoffs=true", TRUE, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (video), "v");
  GstElement *audio = gst_element_factory_make ("fakesink", NULL);
  guint frames = 0;

  fail_unless (playbin && vis && video);
  /* playbin holds the vis-plugin with a plain ref, leaving it floating */
  gst_object_ref_sink (vis);
  g_object_set (audio, "sync", FALSE, NULL);
  g_signal_connect (sink, "handoff", G_CALLBACK (count_frame), &frames);
  g_object_set (playbin, "uri", uri, "vis-plugin", vis, "video-sink", video,
      "audio-sink", audio, NULL);
  gst_util_set_object_arg (G_OBJECT (playbin), "flags", "audio+video+vis");
  gst_element_set_state (playbin, GST_STATE_PLAYING);
  wait_for_eos (playbin, 120 * GST_SECOND);
  gst_element_set_state (playbin, GST_STATE_NULL);
  /* tone.wav: 8.000 s at 30 fps */
  fail_unless (frames >= 240 && frames <= 241, "%u frames", frames);
  gst_object_unref (sink);
  gst_object_unref (playbin);
  gst_object_unref (vis);
}
GST_END_TEST;

/* What a muxer downstream asks: is this live?  Only if the audio is. */
static gboolean
vis_is_live (gboolean live_source)
{
  g_autofree gchar *launch = g_strdup_printf ("audiotestsrc is-live=%s ! "
      "audioconvert ! audioresample ! nemovisualizer name=vis ! "
      "video/x-raw,width=320,height=180,framerate=30/1 ! fakesink "
      "sync=false", live_source ? "true" : "false");
  GstElement *pipeline = pipeline_new (launch);
  GstElement *vis = gst_bin_get_by_name (GST_BIN (pipeline), "vis");
  GstPad *src = gst_element_get_static_pad (vis, "src");
  GstQuery *query = gst_query_new_latency ();
  gboolean live = !live_source;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  fail_unless_equals_int (gst_element_get_state (pipeline, NULL, NULL,
          30 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
  fail_unless (gst_pad_query (src, query));
  gst_query_parse_latency (query, &live, NULL, NULL);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_query_unref (query);
  gst_object_unref (src);
  gst_object_unref (vis);
  gst_object_unref (pipeline);
  return live;
}

/* GstAudioVisualizer says live whatever the source; a song from a file
 * into flvmux then got restamped AAC packets under load. */
GST_START_TEST (test_live_only_when_the_audio_is)
{
  fail_if (vis_is_live (FALSE), "a file-like source made it live");
  fail_unless (vis_is_live (TRUE), "a live source did not make it live");
}
GST_END_TEST;

static Suite *
visualizer_suite (void)
{
  Suite *s = suite_create ("nemovisualizer");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_caps);
  tcase_add_test (tc, test_live_only_when_the_audio_is);
  tcase_add_test (tc, test_one_frame_per_frame_period);
  tcase_add_test (tc, test_long_buffers);
  tcase_add_test (tc, test_renegotiation_keeps_time);
  tcase_add_test (tc, test_discont);
  tcase_add_test (tc, test_silence_is_still);
  tcase_add_test (tc, test_music_moves_the_bars);
  tcase_add_test (tc, test_tags_switch_the_look);
  tcase_add_test (tc, test_crossfade);
  tcase_add_test (tc, test_broken_picture_keeps_playing);
  tcase_add_test (tc, test_color_background);
  tcase_add_test (tc, test_transparent);
  tcase_add_test (tc, test_transparent_needs_bgra);
  tcase_add_test (tc, test_odd_size_refused);
  tcase_add_test (tc, test_playbin_vis_plugin);
  return s;
}

GST_CHECK_MAIN (visualizer);
