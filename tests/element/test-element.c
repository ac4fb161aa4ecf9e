/* nemorender element tests: pads, caps and properties with GstHarness, and
 * whole pipelines whose MP4 is read back against the output contract of
 * docs/interface.md.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <math.h>
#include <nemo/media.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>

#include "output-check.h"

/* The test tone is 8.000 s; small frames keep the suite quick. */
#define TONE_S 8.0
#define SMALL "width=320 height=180"
/* How far the sound in the MP4 may be from the source's length: ours
 * decodes exactly; GStreamer's MP3/Vorbis decoders keep codec padding. */
#define EXACT 0.001
#define GST_DECODED 0.1

#include "pipeline-run.h"

/* A snapshot of the output shows the cover: the orange square in the
 * centre, and no black bars at the edges (the blurred fill).  The edge check
 * also catches full-range frames (jpegdec's) read as TV range, which darken
 * the fill. */
static void
assert_shows_cover (const AVFrame * rgb)
{
  assert_rgb_near (rgb_pixel (rgb, rgb->width / 2, rgb->height / 2), 255, 128,
      0, 40);
  assert_no_black_edges (rgb);
}

/* The first error on @bus, for a failure's message. */
static const gchar *
describe_bus_error (GstBus * bus)
{
  static gchar text[512];
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *error = NULL;

  if (msg == NULL)
    return "and no error was posted";
  gst_message_parse_error (msg, &error, NULL);
  g_snprintf (text, sizeof (text), "error %s", error->message);
  g_error_free (error);
  gst_message_unref (msg);
  return text;
}

/* ------------------------------------------------------ pads and props -- */

/* Whether @caps and the caps @description gives have anything in common. */
static gboolean
caps_meet (GstCaps * caps, const gchar * description)
{
  g_autoptr (GstCaps) other = gst_caps_from_string (description);

  return gst_caps_can_intersect (caps, other);
}

static gboolean
caps_equal (GstCaps * caps, const gchar * description)
{
  g_autoptr (GstCaps) other = gst_caps_from_string (description);

  return gst_caps_is_equal (caps, other);
}

GST_START_TEST (test_pads_and_templates)
{
  GstElement *render = gst_element_factory_make ("nemorender", NULL);
  GstPad *audio, *audio2, *v0, *v1, *src, *lyrics, *lyrics2;
  GstCaps *caps;

  fail_unless (render != NULL);
  audio = gst_element_request_pad_simple (render, "audio");
  fail_unless (audio != NULL);
  fail_unless_equals_string (GST_PAD_NAME (audio), "audio");
  /* at most one audio pad */
  ASSERT_CRITICAL (audio2 = gst_element_request_pad_simple (render, "audio"));
  fail_unless (audio2 == NULL);

  v0 = gst_element_request_pad_simple (render, "video_%u");
  v1 = gst_element_request_pad_simple (render, "video_%u");
  fail_unless_equals_string (GST_PAD_NAME (v0), "video_0");
  fail_unless_equals_string (GST_PAD_NAME (v1), "video_1");

  caps = gst_pad_query_caps (v0, NULL);
  fail_unless (caps_meet (caps, "image/jpeg, parsed=true"));
  /* pngparse of GStreamer 1.22 gives the size but not parsed=true */
  fail_unless (caps_meet (caps, "image/png, width=800, height=800"));
  fail_unless (caps_meet (caps, "video/x-raw, format=I420"));
  fail_unless (caps_meet (caps,
          "video/x-h264, stream-format=byte-stream, alignment=au"));
  gst_caps_unref (caps);
  caps = gst_pad_query_caps (audio, NULL);
  fail_unless (caps_meet (caps,
          "audio/mpeg, mpegversion=1, layer=3, parsed=true"));
  fail_unless (caps_meet (caps,
          "audio/x-raw, format=S16LE, layout=interleaved"));
  gst_caps_unref (caps);

  src = gst_element_get_static_pad (render, "src");
  caps = gst_pad_query_caps (src, NULL);
  fail_unless (caps_equal (caps, "video/quicktime, variant=(string)iso"));
  gst_caps_unref (caps);
  gst_object_unref (src);

  lyrics = gst_element_request_pad_simple (render, "lyrics");
  fail_unless_equals_string (GST_PAD_NAME (lyrics), "lyrics");
  ASSERT_CRITICAL (lyrics2 = gst_element_request_pad_simple (render,
          "lyrics"));
  fail_unless (lyrics2 == NULL);
  caps = gst_pad_query_caps (lyrics, NULL);
  fail_unless (caps_meet (caps, "text/x-raw, format=pango-markup"));
  fail_unless (caps_meet (caps, "text/x-raw, format=utf8"));
  gst_caps_unref (caps);
  gst_element_release_request_pad (render, lyrics);
  gst_object_unref (lyrics);

  gst_element_release_request_pad (render, v0);
  gst_element_release_request_pad (render, audio);
  gst_object_unref (v0);
  gst_object_unref (v1);
  gst_object_unref (audio);
  /* released: a new audio pad can be had */
  audio = gst_element_request_pad_simple (render, "audio");
  fail_unless (audio != NULL);
  gst_object_unref (audio);
  gst_object_unref (render);
}
GST_END_TEST;

GST_START_TEST (test_properties)
{
  GstElement *render = gst_element_factory_make ("nemorender", NULL);
  gint width, height;
  guint64 max_duration;
  gchar *s;
  gint backend;
  GValue fps = G_VALUE_INIT;

  g_object_get (render, "width", &width, "height", &height,
      "max-duration", &max_duration, "backend", &backend, NULL);
  fail_unless_equals_int (width, 1920);
  fail_unless_equals_int (height, 1080);
  fail_unless_equals_uint64 (max_duration, GST_CLOCK_TIME_NONE);
  fail_unless_equals_int (backend, 0);

  g_value_init (&fps, GST_TYPE_FRACTION);
  g_object_get_property (G_OBJECT (render), "framerate", &fps);
  fail_unless_equals_int (gst_value_get_fraction_numerator (&fps), 30);
  fail_unless_equals_int (gst_value_get_fraction_denominator (&fps), 1);
  g_value_unset (&fps);

  gst_util_set_object_arg (G_OBJECT (render), "framerate", "25/1");
  gst_util_set_object_arg (G_OBJECT (render), "backend", "local");
  g_object_set (render, "prompt", "make it pop", "title", "Song",
      "artist", "Band", "aspect-ratio", "9:16", "audio-uri", "a.mp3",
      "visual-uri", "c.jpg", "max-duration", 5 * GST_SECOND, NULL);
  g_value_init (&fps, GST_TYPE_FRACTION);
  g_object_get_property (G_OBJECT (render), "framerate", &fps);
  g_object_get (render, "max-duration", &max_duration, "backend", &backend,
      NULL);
  fail_unless_equals_int (gst_value_get_fraction_numerator (&fps), 25);
  fail_unless_equals_uint64 (max_duration, 5 * GST_SECOND);
  fail_unless_equals_int (backend, 1);
  g_value_unset (&fps);
  g_object_get (render, "aspect-ratio", &s, NULL);
  fail_unless_equals_string (s, "9:16");
  g_free (s);

  /* every property documented for gst-inspect */
  {
    guint n, i;
    GParamSpec **specs =
        g_object_class_list_properties (G_OBJECT_GET_CLASS (render), &n);

    for (i = 0; i < n; i++) {
      if (specs[i]->owner_type != G_OBJECT_TYPE (render))
        continue;
      fail_unless (strlen (g_param_spec_get_blurb (specs[i])) > 20,
          "%s has no real description", specs[i]->name);
    }
    g_free (specs);
  }
  gst_object_unref (render);
}
GST_END_TEST;

/* Push raw audio and one raw frame through harnesses, pull the MP4. */
GST_START_TEST (test_harness_still_frame)
{
  GstElement *render = gst_element_factory_make ("nemorender", NULL);
  GstHarness *ha, *hv, *hsrc;
  GstVideoInfo vinfo;
  GstBuffer *buf;
  GstMapInfo map;
  GByteArray *mp4 = g_byte_array_new ();
  GstBus *bus = gst_bus_new ();
  g_autofree gchar *path = NULL;
  /* the last frame: the still lasts to the end */
  const gdouble at[] = { 29.0 / 30, -1 };
  Output out;
  gint i, fd;

  g_object_set (render, "width", 320, "height", 240, NULL);
  /* a harness gives the element no bus: keep its errors for the report */
  gst_element_set_bus (render, bus);
  /* A harness on an element with sink pad templates sets it PLAYING, and
   * with no sink pads yet the job would start at once ("No music"): the
   * sink pads come first.  The audio pad then holds the job back until its
   * EOS. */
  ha = gst_harness_new_with_element (render, "audio", NULL);
  hv = gst_harness_new_with_element (render, "video_%u", NULL);
  hsrc = gst_harness_new_with_element (render, NULL, "src");
  gst_harness_set_src_caps_str (ha,
      "audio/x-raw, format=S16LE, layout=interleaved, rate=44100, channels=2");
  gst_harness_set_src_caps_str (hv,
      "video/x-raw, format=I420, width=64, height=64, framerate=0/1");
  gst_harness_play (hsrc);

  /* 1 s of a quiet square wave in 10 buffers */
  for (i = 0; i < 10; i++) {
    gint16 *s;
    gint n;

    buf = gst_buffer_new_allocate (NULL, 4410 * 4, NULL);
    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    s = (gint16 *) map.data;
    for (n = 0; n < 4410 * 2; n++)
      s[n] = ((n / 2) / 50) % 2 ? 3000 : -3000;
    gst_buffer_unmap (buf, &map);
    GST_BUFFER_PTS (buf) = i * GST_SECOND / 10;
    fail_unless_equals_int (gst_harness_push (ha, buf), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (ha, gst_event_new_eos ()));

  /* one orange frame, then EOS: a still image */
  gst_video_info_set_format (&vinfo, GST_VIDEO_FORMAT_I420, 64, 64);
  buf = gst_buffer_new_allocate (NULL, vinfo.size, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  memset (map.data, 151, 64 * 64);      /* Y  of 255,128,0 */
  memset (map.data + 64 * 64, 43, 32 * 32);     /* U */
  memset (map.data + 64 * 64 + 32 * 32, 201, 32 * 32);  /* V */
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = 0;
  fail_unless_equals_int (gst_harness_push (hv, buf), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (hv, gst_event_new_eos ()));

  /* the MP4 arrives in buffers, then EOS */
  for (;;) {
    GstEvent *ev;

    while ((buf = gst_harness_try_pull (hsrc)) != NULL) {
      gst_buffer_map (buf, &map, GST_MAP_READ);
      g_byte_array_append (mp4, map.data, map.size);
      gst_buffer_unmap (buf, &map);
      gst_buffer_unref (buf);
    }
    ev = gst_harness_pull_event (hsrc);
    fail_unless (ev != NULL, "no EOS from nemorender: %s",
        describe_bus_error (bus));
    if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS) {
      GstCaps *caps;

      gst_event_parse_caps (ev, &caps);
      fail_unless (gst_structure_has_name (gst_caps_get_structure (caps, 0),
              "video/quicktime"));
    }
    if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS) {
      gst_event_unref (ev);
      break;
    }
    gst_event_unref (ev);
  }
  while ((buf = gst_harness_try_pull (hsrc)) != NULL) {
    gst_buffer_map (buf, &map, GST_MAP_READ);
    g_byte_array_append (mp4, map.data, map.size);
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
  }
  fail_unless (mp4->len > 1000);

  fd = g_file_open_tmp ("nemo-harness-XXXXXX.mp4", &path, NULL);
  fail_unless (write (fd, mp4->data, mp4->len) == (gssize) mp4->len);
  close (fd);
  output_read (path, at, &out);
  output_assert_contract_near (path, &out, 320, 240, 30, 1.0, EXACT);
  assert_rgb_near (rgb_pixel (out.snapshot[0], 160, 120), 255, 128, 0, 40);
  output_clear (&out);
  g_unlink (path);

  g_byte_array_unref (mp4);
  gst_harness_teardown (ha);
  gst_harness_teardown (hv);
  gst_harness_teardown (hsrc);
  /* the messages left on the bus hold the element, which holds the bus */
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (render);
  gst_object_unref (bus);
}
GST_END_TEST;

/* ------------------------------------------------- whole pipelines: ok -- */

GST_START_TEST (test_uri_inputs_1080p)
{
  RunResult r = { 0, };
  const gdouble at[] = { 4.0, -1 };
  Output out;
  const GstStructure *timeline;

  run_pipeline ("nemorender name=r audio-uri={tone.mp3} visual-uri={cover.jpg}",
      &r);
  assert_success (&r);
  output_read (r.output, at, &out);
  output_assert_contract_near (r.output, &out, 1920, 1080, 30, TONE_S, EXACT);
  /* the song's tags went into the MP4 */
  fail_unless_equals_string (output_tag (&out, "title"), "Test Tone");
  fail_unless_equals_string (output_tag (&out, "artist"), "Nemo Lab");
  assert_shows_cover (out.snapshot[0]);
  output_clear (&out);

  timeline = find_message (&r, "nemorender-timeline");
  fail_unless (timeline != NULL);
  fail_unless (g_str_has_prefix (gst_structure_get_string (timeline,
              "summary"), "Timeline (2 tracks): 1. Video: cover ("));
  fail_unless (strstr (gst_structure_get_string (timeline, "draft"),
          "\"tt\"") != NULL);
  run_result_clear (&r);
}
GST_END_TEST;

GST_START_TEST (test_pad_inputs)
{
  RunResult r = { 0, };
  const gdouble at[] = { 6.0, -1 };
  Output out;
  guint i;
  gboolean saw_prepare = FALSE, saw_encode_100 = FALSE;

  run_pipeline ("nemorender name=r " SMALL " "
      "filesrc location={tone.flac} ! decodebin ! audioconvert ! r.audio "
      "filesrc location={cover.png} ! decodebin ! videoconvert ! r.video_0 "
      "r.", &r);
  assert_success (&r);
  output_read (r.output, at, &out);
  output_assert_contract_near (r.output, &out, 320, 180, 30, TONE_S, EXACT);
  assert_shows_cover (out.snapshot[0]);
  output_clear (&out);

  for (i = 0; i < r.messages->len; i++) {
    const GstStructure *s = r.messages->pdata[i];
    gdouble percent;

    if (!gst_structure_has_name (s, "nemorender-progress"))
      continue;
    fail_unless (gst_structure_get_double (s, "percent", &percent));
    fail_unless (percent >= 0.0 && percent <= 100.0);
    if (g_str_equal (gst_structure_get_string (s, "stage"), "prepare"))
      saw_prepare = TRUE;
    if (g_str_equal (gst_structure_get_string (s, "stage"), "encode")
        && percent == 100.0)
      saw_encode_100 = TRUE;
  }
  fail_unless (saw_prepare && saw_encode_100);
  /* GST_MESSAGE_PROGRESS brackets each stage */
  fail_unless (r.progress->len >= 4);
  fail_unless_equals_string (r.progress->pdata[0], "START:prepare");
  fail_unless_equals_string (r.progress->pdata[r.progress->len - 1],
      "COMPLETE:encode");
  run_result_clear (&r);
}
GST_END_TEST;

/* A picture straight from its parser, as the pad template asks: the output
 * shows it. */
static void
assert_parsed_image_shown (const gchar * file, const gchar * parser)
{
  g_autofree gchar *description = g_strdup_printf ("nemorender name=r "
      SMALL " audio-uri={tone.wav} filesrc location={%s} ! %s ! r.video_0 "
      "r.", file, parser);
  const gdouble at[] = { 4.0, -1 };
  RunResult r = { 0, };
  Output out;

  run_pipeline (description, &r);
  assert_success (&r);
  output_read (r.output, at, &out);
  output_assert_contract_near (r.output, &out, 320, 180, 30, TONE_S, EXACT);
  assert_shows_cover (out.snapshot[0]);
  output_clear (&out);
  run_result_clear (&r);
}

GST_START_TEST (test_pngparse)
{
  assert_parsed_image_shown ("cover.png", "pngparse");
}
GST_END_TEST;

GST_START_TEST (test_jpegparse)
{
  assert_parsed_image_shown ("cover.jpg", "jpegparse");
}
GST_END_TEST;

/* imagefreeze never ends: the element takes what the song needs, then EOS. */
GST_START_TEST (test_endless_imagefreeze)
{
  RunResult r = { 0, };
  const gdouble at[] = { 7.5, -1 };
  Output out;

  run_pipeline ("nemorender name=r " SMALL " "
      "filesrc location={tone.mp3} ! decodebin ! audioconvert ! r.audio "
      "filesrc location={cover.jpg} ! jpegdec ! imagefreeze ! videoconvert ! "
      "r.video_0 r.", &r);
  assert_success (&r);
  output_read (r.output, at, &out);
  output_assert_contract_near (r.output, &out, 320, 180, 30, TONE_S,
      GST_DECODED);
  assert_shows_cover (out.snapshot[0]);
  output_clear (&out);
  run_result_clear (&r);
}
GST_END_TEST;

/* videotestsrc is endless and moving: a clip as long as the song. */
GST_START_TEST (test_endless_videotestsrc)
{
  RunResult r = { 0, };
  Output out;

  run_pipeline ("nemorender name=r " SMALL " max-duration=3000000000 "
      "filesrc location={tone.wav} ! decodebin ! audioconvert ! r.audio "
      "videotestsrc pattern=ball ! video/x-raw,width=160,height=120,framerate=30/1 ! "
      "r.video_0 r.", &r);
  assert_success (&r);
  output_read (r.output, NULL, &out);
  output_assert_contract_near (r.output, &out, 320, 180, 30, 3.0, EXACT);
  output_clear (&out);
  run_result_clear (&r);
}
GST_END_TEST;

/* A 3 s clip under an 8 s song loops: the picture at 3.5 s is the one at 0.5 s. */
GST_START_TEST (test_short_clip_loops)
{
  RunResult r = { 0, };
  const gdouble at[] = { 0.5, 3.5, -1 };
  Output out;
  gdouble psnr;

  run_pipeline ("nemorender name=r " SMALL " "
      "filesrc location={tone.ogg} ! decodebin ! audioconvert ! r.audio "
      "uridecodebin uri=file://{clip.mp4} ! videoconvert ! r.video_0 r.", &r);
  assert_success (&r);
  output_read (r.output, at, &out);
  output_assert_contract_near (r.output, &out, 320, 180, 30, TONE_S,
      GST_DECODED);
  /* The same picture but for encoding noise: 35 dB is an RMS difference of
   * 4.5 levels. */
  psnr = rgb_psnr (out.snapshot[0], out.snapshot[1]);
  fail_unless (psnr > 35, "PSNR %.2f dB", psnr);
  output_clear (&out);
  run_result_clear (&r);
}
GST_END_TEST;

GST_START_TEST (test_max_duration_and_aspect)
{
  RunResult r = { 0, };
  Output out;

  run_pipeline ("nemorender name=r " SMALL " aspect-ratio=9:16 "
      "max-duration=2500000000 audio-uri={tone.m4a} visual-uri={wide.png}", &r);
  assert_success (&r);
  output_read (r.output, NULL, &out);
  output_assert_contract_near (r.output, &out, 180, 320, 30, 2.5, EXACT);
  output_clear (&out);
  run_result_clear (&r);
}
GST_END_TEST;

/* A song that carries its cover, and no visual: the cover is that
 * picture, and the reply says where it came from. */
static void
assert_cover_from_song (const gchar * description)
{
  RunResult r = { 0, };
  const gdouble at[] = { 0.5, -1 };
  const GstStructure *reply;
  Output out;

  run_pipeline (description, &r);
  assert_success (&r);
  output_read (r.output, at, &out);
  output_assert_contract_near (r.output, &out, 320, 180, 30, 1.0,
      GST_DECODED);
  assert_shows_cover (out.snapshot[0]);
  output_clear (&out);
  reply = find_message (&r, "nemorender-reply");
  fail_unless (reply != NULL, "%s: no reply", description);
  fail_unless (strstr (gst_structure_get_string (reply, "text"),
          "embedded in the song") != NULL, "%s",
      gst_structure_get_string (reply, "text"));
  run_result_clear (&r);
}

GST_START_TEST (test_cover_from_song_uri)
{
  assert_cover_from_song ("nemorender name=r " SMALL
      " max-duration=1000000000 audio-uri={tone-cover.mp3}");
  assert_cover_from_song ("nemorender name=r " SMALL
      " max-duration=1000000000 audio-uri={tone-cover.flac}");
  assert_cover_from_song ("nemorender name=r " SMALL
      " max-duration=1000000000 audio-uri={tone-cover.m4a}");
}
GST_END_TEST;

/* Through the audio pad the picture comes as an image tag (id3demux,
 * flacparse, qtdemux). */
GST_START_TEST (test_cover_from_song_pad)
{
  assert_cover_from_song ("nemorender name=r " SMALL
      " max-duration=1000000000 filesrc location={tone-cover.mp3} ! "
      "decodebin ! audioconvert ! r.audio r.");
  assert_cover_from_song ("nemorender name=r " SMALL
      " max-duration=1000000000 filesrc location={tone-cover.flac} ! "
      "decodebin ! audioconvert ! r.audio r.");
  assert_cover_from_song ("nemorender name=r " SMALL
      " max-duration=1000000000 filesrc location={tone-cover.m4a} ! "
      "decodebin ! audioconvert ! r.audio r.");
}
GST_END_TEST;

/* Two pictures in visual-uri share the song in turn, as two video pads
 * would: the cover, then wide.png (all 0x00A0FF).  (Each still starts a
 * GOP of its own, so the contract's even GOPs do not apply.) */
GST_START_TEST (test_visual_uri_list)
{
  RunResult r = { 0, };
  const gdouble at[] = { 1.0, TONE_S - 1.0, -1 };
  Output out;

  run_pipeline ("nemorender name=r " SMALL " audio-uri={tone.mp3} "
      "visual-uri=\"{cover.jpg} ; {wide.png}\"", &r);
  assert_success (&r);
  output_read (r.output, at, &out);
  fail_unless (ABS (out.duration_us - TONE_S * G_USEC_PER_SEC) <
      G_USEC_PER_SEC / 30, "%" G_GINT64_FORMAT " us", out.duration_us);
  fail_unless_equals_int (out.decode_errors, 0);
  assert_shows_cover (out.snapshot[0]);
  assert_rgb_near (rgb_pixel (out.snapshot[1], 160, 90), 0x00, 0xA0, 0xFF,
      40);
  output_clear (&out);
  fail_unless (strstr (gst_structure_get_string (find_message (&r,
                  "nemorender-timeline"), "summary"), "wide (") != NULL);
  run_result_clear (&r);
}
GST_END_TEST;

/* An image given explicitly wins over the song's own. */
GST_START_TEST (test_given_visual_wins_over_song_cover)
{
  RunResult r = { 0, };
  const gdouble at[] = { 0.5, -1 };
  Output out;

  run_pipeline ("nemorender name=r " SMALL " max-duration=1000000000 "
      "visual-uri={wide.png} filesrc location={tone-cover.mp3} ! decodebin ! "
      "audioconvert ! r.audio r.", &r);
  assert_success (&r);
  output_read (r.output, at, &out);
  /* wide.png is all 0x00A0FF */
  assert_rgb_near (rgb_pixel (out.snapshot[0], 160, 90), 0x00, 0xA0, 0xFF,
      40);
  output_clear (&out);
  fail_unless (find_message (&r, "nemorender-reply") == NULL);
  run_result_clear (&r);
}
GST_END_TEST;

/* aspect-ratio keeps the short side: 1920x1080 with 4:5 is 1080x1350. */
GST_START_TEST (test_aspect_keeps_short_side)
{
  RunResult r = { 0, };
  Output out;

  run_pipeline ("nemorender name=r aspect-ratio=4:5 max-duration=500000000 "
      "audio-uri={tone.m4a} visual-uri={cover.png}", &r);
  assert_success (&r);
  output_read (r.output, NULL, &out);
  output_assert_contract_near (r.output, &out, 1080, 1350, 30, 0.5, EXACT);
  output_clear (&out);
  run_result_clear (&r);
}
GST_END_TEST;

/* steps.wav gets louder every second: amplitude 0.1 × (second + 1), so
 * the mean square of second k of the song is (0.1 (k + 1))² / 2. */
static gdouble
steps_power (gint second)
{
  gdouble amplitude = 0.1 * (second + 1);

  return amplitude * amplitude / 2;
}

/* start-time: the video's sound is the song's from that point on. */
static void
assert_excerpt (const gchar * description)
{
  RunResult r = { 0, };
  Output out;
  gint k;

  run_pipeline (description, &r);
  assert_success (&r);
  output_read (r.output, NULL, &out);
  output_assert_contract_near (r.output, &out, 320, 180, 30, 2.0, EXACT);
  for (k = 0; k < 2; k++)
    fail_unless (fabs (out.audio_power[k] - steps_power (3 + k))
        < 0.1 * steps_power (3 + k), "%s: second %d has power %f, not %f",
        description, k, out.audio_power[k], steps_power (3 + k));
  output_clear (&out);
  run_result_clear (&r);
}

GST_START_TEST (test_start_time)
{
  assert_excerpt ("nemorender name=r " SMALL " start-time=3000000000 "
      "max-duration=2000000000 audio-uri={steps.wav} visual-uri={cover.png}");
  assert_excerpt ("nemorender name=r " SMALL " start-time=3000000000 "
      "max-duration=2000000000 filesrc location={steps.wav} ! decodebin ! "
      "audioconvert ! r.audio filesrc location={cover.png} ! decodebin ! "
      "imagefreeze ! videoconvert ! r.video_0 r.");
}
GST_END_TEST;

/* The prompt's in-point ("start at 0:03") gives the same excerpt; the
 * start-time property wins over it. */
GST_START_TEST (test_start_in_prompt)
{
  assert_excerpt ("nemorender name=r " SMALL " prompt=\"start at 0:03\" "
      "max-duration=2000000000 audio-uri={steps.wav} visual-uri={cover.png}");
  assert_excerpt ("nemorender name=r " SMALL " start-time=3000000000 "
      "prompt=\"从0:01开始\" max-duration=2000000000 audio-uri={steps.wav} "
      "visual-uri={cover.png}");
}
GST_END_TEST;

/* The warnings posted on the bus, as they are posted. */
static void
keep_warning (GstBus * bus, GstMessage * message, GPtrArray * warnings)
{
  GError *error = NULL;

  gst_message_parse_warning (message, &error, NULL);
  g_ptr_array_add (warnings, error);
}

/* The pipeline around nemorender. */
static GstElement *
pipeline_of (GstElement * render)
{
  GstObject *pipeline = GST_OBJECT (render);

  while (GST_OBJECT_PARENT (pipeline) != NULL)
    pipeline = GST_OBJECT_PARENT (pipeline);
  return GST_ELEMENT (pipeline);
}

static void
watch_warnings (GstElement * render, gpointer warnings)
{
  /* the pipeline's bus: a bin's children post on a bus of its own */
  GstBus *bus = gst_element_get_bus (pipeline_of (render));

  gst_bus_enable_sync_message_emission (bus);
  g_signal_connect (bus, "sync-message::warning", G_CALLBACK (keep_warning),
      warnings);
  gst_object_unref (bus);
}

/* Run @description, with @setup given the array that watch_warnings()
 * fills: the video is made, and the warnings, all in @domain, say
 * @phrases (NULL-terminated), one each, in order.  @r (zeroed) keeps the
 * run for more checks. */
static void
run_warns_each (const gchar * description, RunSetupFunc setup, GQuark domain,
    const gchar * const *phrases, RunResult * r)
{
  GPtrArray *warnings = g_ptr_array_new_with_free_func (
      (GDestroyNotify) g_error_free);
  guint i;

  run_pipeline_with (description, setup, warnings, r);
  assert_success (r);
  fail_unless_equals_int (warnings->len, g_strv_length ((gchar **) phrases));
  for (i = 0; i < warnings->len; i++) {
    const GError *warning = warnings->pdata[i];

    fail_unless (warning->domain == domain, "%s", warning->message);
    fail_unless (strstr (warning->message, phrases[i]) != NULL, "%s",
        warning->message);
  }
  g_ptr_array_unref (warnings);
}

/* The same with one warning. */
static void
run_warns (const gchar * description, RunSetupFunc setup, GQuark domain,
    const gchar * phrase, RunResult * r)
{
  const gchar *phrases[] = { phrase, NULL };

  run_warns_each (description, setup, domain, phrases, r);
}

static void
assert_warns (const gchar * description, GQuark domain, const gchar * phrase)
{
  RunResult r = { 0, };

  run_warns (description, watch_warnings, domain, phrase, &r);
  run_result_clear (&r);
}

/* max-duration=30 was meant as seconds: it is rendered, with a warning
 * that says the unit. */
GST_START_TEST (test_warning_tiny_max_duration)
{
  assert_warns ("nemorender name=r " SMALL " max-duration=30 "
      "audio-uri={tone.wav} visual-uri={cover.png}", GST_RESOURCE_ERROR,
      "max-duration is 30 ns: it is in nanoseconds; 30 s is 30000000000");
}
GST_END_TEST;

GST_START_TEST (test_warning_silent_song)
{
  assert_warns ("nemorender name=r " SMALL " audio-uri={silent.wav} "
      "visual-uri={cover.png}", GST_STREAM_ERROR, "is silent");
}
GST_END_TEST;

/* A GIF through decodebin stamps every frame 0, and GStreamer 1.22's
 * avdemux_gif never sends EOS: the frames are timed by their durations and
 * the pad is cut at the song's length, so the job runs. */
GST_START_TEST (test_untimed_gif)
{
  RunResult r = { 0, };
  Output out;

  run_warns ("nemorender name=r " SMALL " audio-uri={tone.wav} "
      "filesrc location={anim.gif} ! decodebin ! videoconvert ! r.video_0 "
      "r.", watch_warnings, GST_STREAM_ERROR,
      "Frame 2 on video_0 is stamped 0.000 s", &r);
  output_read (r.output, NULL, &out);
  output_assert_contract_near (r.output, &out, 320, 180, 30, TONE_S, EXACT);
  output_clear (&out);
  run_result_clear (&r);
}
GST_END_TEST;

/* A GIF shorter than the song: avdemux_gif sends no EOS after its last
 * frame, so the pad is taken as ended once it has been silent for
 * GST_NEMO_RENDER_PAD_SILENCE_S (5 s), with a warning naming it, and the
 * clip repeats to the song's length. */
GST_START_TEST (test_silent_gif)
{
  const gchar *phrases[] = { "Frame 2 on video_0 is stamped 0.000 s",
    "video_0 sent nothing for 5 s after 20 frames (2.000 s of video), and "
        "no EOS: it is taken as ended there", NULL
  };
  RunResult r = { 0, };
  Output out;

  run_warns_each ("nemorender name=r " SMALL " audio-uri={tone.wav} "
      "filesrc location={short.gif} ! decodebin ! videoconvert ! r.video_0 "
      "r.", watch_warnings, GST_STREAM_ERROR, phrases, &r);
  output_read (r.output, NULL, &out);
  output_assert_contract_near (r.output, &out, 320, 180, 30, TONE_S, EXACT);
  output_clear (&out);
  run_result_clear (&r);
}
GST_END_TEST;

/* An endless appsrc: every frame at 0, grey. */
static void
push_untimed_frame (GstElement * src, guint length, gpointer user_data)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, 160 * 120 * 3 / 2, NULL);
  GstFlowReturn ret;

  gst_buffer_memset (buffer, 0, 0x80, gst_buffer_get_size (buffer));
  GST_BUFFER_PTS (buffer) = 0;
  g_signal_emit_by_name (src, "push-buffer", buffer, &ret);
  gst_buffer_unref (buffer);
}

static void
feed_untimed_appsrc (GstElement * render, gpointer warnings)
{
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline_of (render)),
      "src");

  g_signal_connect (src, "need-data", G_CALLBACK (push_untimed_frame), NULL);
  gst_object_unref (src);
  watch_warnings (render, warnings);
}

/* It is cut after the song's length in output frames: the job ends. */
GST_START_TEST (test_untimed_endless_appsrc)
{
  RunResult r = { 0, };
  Output out;

  run_warns ("nemorender name=r " SMALL " audio-uri={tone.wav} "
      "appsrc name=src format=time caps=video/x-raw,format=I420,width=160,"
      "height=120,framerate=0/1 ! r.video_0 r.", feed_untimed_appsrc,
      GST_STREAM_ERROR, "Frame 2 on video_0 is stamped 0.000 s", &r);
  output_read (r.output, NULL, &out);
  output_assert_contract_near (r.output, &out, 320, 180, 30, TONE_S, EXACT);
  output_clear (&out);
  run_result_clear (&r);
}
GST_END_TEST;

/* A song cut to 30 % is rendered as far as it goes, with a warning that
 * says how much of it is there. */
GST_START_TEST (test_warning_cut_song)
{
  RunResult r = { 0, };
  Output out;

  run_warns ("nemorender name=r " SMALL " visual-uri={cover.png} "
      "filesrc location={cut.mp3} ! mpegaudioparse ! r.audio r.",
      watch_warnings, GST_STREAM_ERROR, "ends after 2.4 s of its 8.0 s", &r);
  output_read (r.output, NULL, &out);
  output_assert_contract_near (r.output, &out, 320, 180, 30, 2.4,
      GST_DECODED);
  output_clear (&out);
  run_result_clear (&r);
}
GST_END_TEST;

/* A JPEG cut in half shows its upper half, with a warning that says how
 * much is missing. */
GST_START_TEST (test_warning_cut_picture)
{
  RunResult r = { 0, };
  const gdouble at[] = { 4.0, -1 };
  Output out;

  run_warns ("nemorender name=r " SMALL " audio-uri={tone.wav} "
      "visual-uri={cut.jpg}", watch_warnings, GST_STREAM_ERROR,
      "“cut.jpg” is cut short: its data ends after 384 of its 800 rows, "
      "so the lower 52 % of it is missing", &r);
  output_read (r.output, at, &out);
  output_assert_contract_near (r.output, &out, 320, 180, 30, TONE_S, EXACT);
  output_clear (&out);
  run_result_clear (&r);
}
GST_END_TEST;

/* Upstream tags fill title/artist unless the properties are set. */
GST_START_TEST (test_tags_and_title_property)
{
  RunResult r = { 0, };
  Output out;

  run_pipeline ("nemorender name=r " SMALL " max-duration=1000000000 "
      "title=\"Given Title\" "
      "filesrc location={tone.mp3} ! decodebin ! audioconvert ! r.audio "
      "filesrc location={cover.png} ! decodebin ! videoconvert ! r.video_0 r.",
      &r);
  assert_success (&r);
  output_read (r.output, NULL, &out);
  fail_unless_equals_string (output_tag (&out, "title"), "Given Title");
  fail_unless_equals_string (output_tag (&out, "artist"), "Nemo Lab");
  fail_unless_equals_string (output_tag (&out, "album"), "Signals");
  output_clear (&out);
  run_result_clear (&r);
}
GST_END_TEST;

/* The prompt shapes the video; the element says in one sentence what it
 * understood and what it could not do, and shows the timeline. */
GST_START_TEST (test_prompt)
{
  RunResult r = { 0, };
  Output out;
  const gchar *reply, *summary;

  run_pipeline ("nemorender name=r max-duration=2000000000 "
      "audio-uri={tone.mp3} visual-uri={cover.jpg} "
      "prompt=\"a square video with spectrum bars, and make it 3D\"", &r);
  assert_success (&r);
  reply = gst_structure_get_string (find_message (&r, "nemorender-reply"),
      "text");
  fail_unless (strstr (reply, "spectrum") != NULL, "%s", reply);
  fail_unless (strstr (reply, "3D") != NULL, "%s", reply);
  summary = gst_structure_get_string (find_message (&r,
          "nemorender-timeline"), "summary");
  fail_unless (strstr (summary, "spectrum") != NULL, "%s", summary);
  output_read (r.output, NULL, &out);
  output_assert_contract_near (r.output, &out, 1080, 1080, 30, 2.0, EXACT);
  output_clear (&out);
  run_result_clear (&r);
}
GST_END_TEST;

/* Lyrics are drawn at 5.5-6.5 % of the short side: big enough to count. */
#define LYRICS_SIZE "width=640 height=360"

/* Pixels of the karaoke's amber (and of white text) in an RGB snapshot. */
static gint
count_amber (const AVFrame * rgb)
{
  gint n = 0, x, y;

  for (y = 0; y < rgb->height; y++)
    for (x = 0; x < rgb->width; x++) {
      const guint8 *p = rgb_pixel (rgb, x, y);

      n += p[0] > 200 && p[1] > 150 && p[1] < 225 && p[2] < 100;
    }
  return n;
}

static gint
count_white (const AVFrame * rgb)
{
  gint n = 0, x, y;

  for (y = 0; y < rgb->height; y++)
    for (x = 0; x < rgb->width; x++) {
      const guint8 *p = rgb_pixel (rgb, x, y);

      n += p[0] > 220 && p[1] > 220 && p[2] > 220;
    }
  return n;
}

/* Lyrics from a pipeline: subparse's timed text on the lyrics pad, and
 * "karaoke": each line lit in amber from its time, not before. */
GST_START_TEST (test_lyrics_pad)
{
  static const gdouble at[] = { 0.9, 1.1, 2.2, 2.6, -1 };
  RunResult r = { 0, };
  Output out;
  const gchar *reply, *summary;

  run_pipeline ("filesrc location={lyrics.srt} ! subparse ! r.lyrics "
      "nemorender name=r " LYRICS_SIZE " max-duration=5000000000 "
      "audio-uri={tone.mp3} prompt=\"karaoke\"", &r);
  assert_success (&r);
  reply = gst_structure_get_string (find_message (&r, "nemorender-reply"),
      "text");
  fail_unless (strstr (reply, "karaoke lyrics") != NULL, "%s", reply);
  fail_unless (strstr (reply, "Could not") == NULL, "%s", reply);
  summary = gst_structure_get_string (find_message (&r,
          "nemorender-timeline"), "summary");
  fail_unless (strstr (summary, "\"First line\" (1-2s), \"Second line\" "
          "(2.5-4s)") != NULL, "%s", summary);
  output_read (r.output, at, &out);
  fail_unless_equals_int (out.n_snapshots, 4);
  /* before the first line, between the lines: nothing lit */
  fail_unless (count_amber (out.snapshot[0]) < 20);
  fail_unless (count_amber (out.snapshot[1]) > 100);
  fail_unless (count_amber (out.snapshot[2]) < 20);
  fail_unless (count_amber (out.snapshot[3]) > 100);
  output_clear (&out);
  run_result_clear (&r);
}
GST_END_TEST;

/* Queues text buffers without durations on the appsrc named t, then EOS. */
static void
push_untimed_lines (GstElement * render, gpointer user_data)
{
  static const struct
  {
    const gchar *text;
    GstClockTime pts;
  } lines[] = {
    {"Hello & <you>", GST_SECOND}, {"Next", 2500 * GST_MSECOND},
  };
  g_autoptr (GstObject) pipeline = gst_element_get_parent (render);
  g_autoptr (GstElement) appsrc = gst_bin_get_by_name (GST_BIN (pipeline),
      "t");
  GstFlowReturn flow;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (lines); i++) {
    GstBuffer *buffer = gst_buffer_new_memdup (lines[i].text,
        strlen (lines[i].text));

    GST_BUFFER_PTS (buffer) = lines[i].pts;
    g_signal_emit_by_name (appsrc, "push-buffer", buffer, &flow);
    gst_buffer_unref (buffer);
    fail_unless_equals_int (flow, GST_FLOW_OK);
  }
  g_signal_emit_by_name (appsrc, "end-of-stream", &flow);
}

/* Plain text with no durations on the lyrics pad: each line lasts until
 * the next, the last to the end, and its < and & are text. */
GST_START_TEST (test_lyrics_pad_without_durations)
{
  RunResult r = { 0, };
  const gchar *summary;

  run_pipeline_with ("appsrc name=t format=time "
      "caps=\"text/x-raw, format=utf8\" ! r.lyrics "
      "nemorender name=r " SMALL " max-duration=4000000000 "
      "audio-uri={tone.mp3}", push_untimed_lines, NULL, &r);
  assert_success (&r);
  summary = gst_structure_get_string (find_message (&r,
          "nemorender-timeline"), "summary");
  fail_unless (strstr (summary, "2. Text: \"Hello & <you>\" (1-2.5s), "
          "\"Next\" (2.5-4s)") != NULL, "%s", summary);
  run_result_clear (&r);
}
GST_END_TEST;

/* lyrics-uri with word times, and a lyric video asked for in Chinese: the
 * words sung are white, those to come dimmed. */
GST_START_TEST (test_lyrics_uri)
{
  static const gdouble at[] = { 1.2, 2.2, -1 };
  RunResult r = { 0, };
  Output out;
  const gchar *reply;
  gint one_lit, all;

  run_pipeline ("nemorender name=r " LYRICS_SIZE " max-duration=3000000000 "
      "audio-uri={tone.mp3} lyrics-uri={lyrics.lrc} prompt=歌词视频", &r);
  assert_success (&r);
  reply = gst_structure_get_string (find_message (&r, "nemorender-reply"),
      "text");
  fail_unless_equals_string (reply, "已理解：逐行歌词。");
  output_read (r.output, at, &out);
  one_lit = count_white (out.snapshot[0]);
  all = count_white (out.snapshot[1]);
  /* "One" alone, then "One by one" */
  fail_unless (one_lit > 50, "%d", one_lit);
  fail_unless (all > 2 * one_lit, "%d then %d", one_lit, all);
  fail_unless (count_amber (out.snapshot[1]) < 20);
  output_clear (&out);
  run_result_clear (&r);
}
GST_END_TEST;

/* Lyrics asked for and none given: the reply says how to give them. */
GST_START_TEST (test_lyrics_asked_without_any)
{
  RunResult r = { 0, };
  const gchar *reply;

  run_pipeline ("nemorender name=r " SMALL " max-duration=1000000000 "
      "audio-uri={tone.mp3} prompt=\"a karaoke video\"", &r);
  assert_success (&r);
  reply = gst_structure_get_string (find_message (&r, "nemorender-reply"),
      "text");
  fail_unless (strstr (reply, "Could not do: lyrics (none were given: set "
          "lyrics-uri") != NULL, "%s", reply);
  run_result_clear (&r);
}
GST_END_TEST;

/* A lyrics file that is not one fails the job, naming the line. */
GST_START_TEST (test_error_bad_lyrics)
{
  RunResult r = { 0, };

  run_pipeline ("nemorender name=r " SMALL " audio-uri={tone.mp3} "
      "lyrics-uri={cover.jpg}", &r);
  fail_unless (r.error != NULL);
  fail_unless (strstr (r.error->message, "is not UTF-8 text") != NULL
      || strstr (r.error->message, "is not LRC") != NULL, "%s",
      r.error->message);
  fail_if (r.eos_pushed);
  run_result_clear (&r);
}
GST_END_TEST;

/* The JPEG at @path decoded to RGB as a viewer shows it (JFIF: BT.601,
 * full range). */
static AVFrame *
read_jpeg (const gchar * path)
{
  g_autoptr (GError) error = NULL;
  AVFrame *jpeg = nemo_media_decode_image (path, &error);
  AVFrame *rgb = av_frame_alloc ();
  struct SwsContext *sws;

  fail_unless (jpeg != NULL, "%s does not decode: %s", path,
      error ? error->message : "");
  rgb->format = AV_PIX_FMT_RGB24;
  rgb->width = jpeg->width;
  rgb->height = jpeg->height;
  fail_unless (av_frame_get_buffer (rgb, 0) == 0);
  sws = sws_getContext (jpeg->width, jpeg->height, jpeg->format, rgb->width,
      rgb->height, AV_PIX_FMT_RGB24, SWS_BICUBIC, NULL, NULL, NULL);
  sws_scale (sws, (const uint8_t * const *) jpeg->data, jpeg->linesize, 0,
      jpeg->height, rgb->data, rgb->linesize);
  sws_freeContext (sws);
  av_frame_free (&jpeg);
  return rgb;
}

/* Near-white pixels: the title's letters (the cover is orange, the fill
 * dark). */
static guint
count_title_ink (const AVFrame * rgb)
{
  guint ink = 0;
  gint x, y;

  for (y = 0; y < rgb->height; y++)
    for (x = 0; x < rgb->width; x++)
      ink += rgb_luma (rgb_pixel (rgb, x, y)) > 220;
  return ink;
}

/* thumbnail-location writes a JPEG of the cover with the title, at
 * YouTube's 1280x720 for 16:9 and 720x1280 for 9:16, and nothing else in
 * its folder (no temporary file left). */
static void
assert_thumbnail (const gchar * shape, gint width, gint height)
{
  g_autofree gchar *dir = g_dir_make_tmp ("nemo-thumb-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "thumb.jpg", NULL);
  g_autofree gchar *description = g_strdup_printf ("nemorender name=r "
      SMALL " aspect-ratio=%s audio-uri={tone.mp3} visual-uri={cover.jpg} "
      "thumbnail-location=%s", shape, path);
  GDir *listing;
  RunResult r = { 0, };
  AVFrame *rgb;

  run_pipeline (description, &r);
  assert_success (&r);
  rgb = read_jpeg (path);
  fail_unless_equals_int (rgb->width, width);
  fail_unless_equals_int (rgb->height, height);
  assert_shows_cover (rgb);
  fail_unless (count_title_ink (rgb) > 1000, "no title in the thumbnail "
      "(%u white pixels)", count_title_ink (rgb));
  av_frame_free (&rgb);
  listing = g_dir_open (dir, 0, NULL);
  fail_unless_equals_string (g_dir_read_name (listing), "thumb.jpg");
  fail_unless (g_dir_read_name (listing) == NULL);
  g_dir_close (listing);
  g_unlink (path);
  g_rmdir (dir);
  run_result_clear (&r);
}

GST_START_TEST (test_thumbnail)
{
  assert_thumbnail ("16:9", 1280, 720);
  assert_thumbnail ("9:16", 720, 1280);
}
GST_END_TEST;

/* Unset, no thumbnail is written: the job's folder and the current one
 * get no JPEG. */
GST_START_TEST (test_no_thumbnail)
{
  g_autofree gchar *dir = g_dir_make_tmp ("nemo-thumb-XXXXXX", NULL);
  g_autofree gchar *cwd = g_get_current_dir ();
  RunResult r = { 0, };
  GDir *listing;

  fail_unless (g_chdir (dir) == 0);
  run_pipeline ("nemorender name=r " SMALL " audio-uri={tone.mp3} "
      "visual-uri={cover.jpg}", &r);
  assert_success (&r);
  listing = g_dir_open (dir, 0, NULL);
  fail_unless (g_dir_read_name (listing) == NULL);
  g_dir_close (listing);
  fail_unless (g_chdir (cwd) == 0);
  g_rmdir (dir);
  run_result_clear (&r);
}
GST_END_TEST;

/* ----------------------------------------------- whole pipelines: errors -- */

/* The run of @description fails with that error, whose message has each
 * of @phrases, and pushes nothing; TRUE when the state change failed. */
static gboolean
assert_fails_with (const gchar * description, GQuark domain, gint code,
    const gchar * const *phrases)
{
  RunResult r = { 0, };
  gint nemo_code = -1;
  gboolean start_failed;

  run_pipeline (description, &r);
  fail_unless (r.error != NULL, "%s did not fail", description);
  fail_unless (r.error->domain == domain, "%s: domain %s", r.error->message,
      g_quark_to_string (r.error->domain));
  fail_unless_equals_int (r.error->code, code);
  for (; *phrases; phrases++)
    fail_unless (strstr (r.error->message, *phrases) != NULL,
        "“%s” is not in “%s”", *phrases, r.error->message);
  /* no partial MP4 pushed as if it were whole */
  fail_unless_equals_uint64 (r.bytes_pushed, 0);
  fail_unless (r.error_details != NULL);
  fail_unless (gst_structure_get_int (r.error_details, "nemo-code", &nemo_code));
  fail_unless_equals_int (nemo_code, 0);
  start_failed = r.start_failed;
  run_result_clear (&r);
  return start_failed;
}

GST_START_TEST (test_error_missing_file)
{
  const gchar *phrases[] = { "no-such-song.mp3", "does not exist", NULL };

  /* like filesrc's missing file, it fails the state change */
  fail_unless (assert_fails_with ("nemorender name=r "
          "audio-uri=/nonexistent/no-such-song.mp3 visual-uri={cover.jpg}",
          GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND, phrases));
}
GST_END_TEST;

/* A thumbnail that cannot be written fails the job before the MP4 goes
 * out, and the error names the path. */
GST_START_TEST (test_error_thumbnail_unwritable)
{
  const gchar *phrases[] = { "/nonexistent/thumbs/t.jpg",
    "Could not write the thumbnail", NULL
  };

  assert_fails_with ("nemorender name=r " SMALL " audio-uri={tone.mp3} "
      "visual-uri={cover.jpg} thumbnail-location=/nonexistent/thumbs/t.jpg",
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, phrases);
}
GST_END_TEST;

/* FFmpeg's own reason reaches the user: what avformat_open_input () says of
 * the file, in av_err2str ()'s words, as the state change fails. */
GST_START_TEST (test_error_corrupt_audio)
{
  g_autofree gchar *path = data_path ("garbage.mp3");
  g_autofree gchar *reason = NULL;
  AVFormatContext *format = NULL;
  gint ret = avformat_open_input (&format, path, NULL, NULL);
  const gchar *phrases[] = { "garbage.mp3", "MP3", NULL, NULL };

  fail_unless (ret < 0, "FFmpeg opens garbage.mp3: the test needs a file "
      "it refuses");
  reason = g_strdup_printf ("FFmpeg can read (%s)", av_err2str (ret));
  phrases[2] = reason;
  fail_unless (assert_fails_with ("nemorender name=r audio-uri={garbage.mp3} "
          "visual-uri={cover.jpg}", GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          phrases));
}
GST_END_TEST;

GST_START_TEST (test_error_no_samples)
{
  const gchar *phrases[] = { "no-samples.mp3", NULL };

  assert_fails_with ("nemorender name=r audio-uri={no-samples.mp3} "
      "visual-uri={cover.jpg}", GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      phrases);
}
GST_END_TEST;

GST_START_TEST (test_error_huge_image)
{
  const gchar *phrases[] = { "huge.png", "20000", "16384", NULL };

  assert_fails_with ("nemorender name=r audio-uri={tone.mp3} "
      "visual-uri={huge.png}", GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      phrases);
}
GST_END_TEST;

GST_START_TEST (test_error_no_audio)
{
  const gchar *phrases[] = { "audio-uri", "audio pad", NULL };

  assert_fails_with ("nemorender name=r visual-uri={cover.jpg}",
      GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT, phrases);
}
GST_END_TEST;

GST_START_TEST (test_error_picture_as_song)
{
  const gchar *phrases[] = { "cover.png", "picture, not a song", NULL };

  /* found as the element starts, so the state change fails */
  fail_unless (assert_fails_with ("nemorender name=r audio-uri={cover.png} "
          "visual-uri={cover.jpg}", GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          phrases));
}
GST_END_TEST;

/* Every song of a list is probed as the element starts: a picture after a
 * song fails the state change too, and the error names it. */
GST_START_TEST (test_error_picture_in_song_list)
{
  const gchar *phrases[] = { "cover.png", "picture, not a song", NULL };

  fail_unless (assert_fails_with ("nemorender name=r "
          "audio-uri={tone.mp3};{cover.png} visual-uri={cover.jpg}",
          GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT, phrases));
}
GST_END_TEST;

/* In a playlist, the picture's line is named before what the file is. */
GST_START_TEST (test_error_picture_in_playlist)
{
  const gchar *phrases[] = { "Line 3 of the playlist", "album-picture.m3u",
    "cover.png", "picture, not a song", NULL
  };

  fail_unless (assert_fails_with ("nemorender name=r "
          "audio-uri={album-picture.m3u} visual-uri={cover.jpg}",
          GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT, phrases));
}
GST_END_TEST;

/* The service renders up to 1080x1920: a larger size, by the properties or
 * by the prompt, fails before anything is uploaded (nothing listens on
 * port 9). */
/* A web address goes to the service unread, so its length is not known here:
 * an endless video pad fails at once, before anything is sent (nothing
 * listens on the api-url), and says what to do. */
GST_START_TEST (test_error_remote_song_endless_video)
{
  const gchar *phrases[] = { "video_0", "max-duration", "local file", NULL };

  assert_fails_with ("videotestsrc ! video/x-raw,width=64,height=64 ! "
      "r.video_0 nemorender name=r backend=cloud api-url=http://127.0.0.1:9 "
      "audio-uri=https://music.example/song.mp3", GST_STREAM_ERROR,
      GST_STREAM_ERROR_FAILED, phrases);
}
GST_END_TEST;

/* With max-duration the pad is cut there and the job goes on: what fails
 * then is reaching the service. */
GST_START_TEST (test_remote_song_video_cut_at_max_duration)
{
  RunResult r = { 0, };

  run_pipeline ("videotestsrc ! video/x-raw,width=64,height=64 ! r.video_0 "
      "nemorender name=r backend=cloud api-url=http://127.0.0.1:9 retries=0 "
      "max-duration=1000000000 audio-uri=https://music.example/song.mp3", &r);
  fail_unless (r.error != NULL);
  fail_unless (r.error->domain == GST_RESOURCE_ERROR, "%s", r.error->message);
  fail_if (strstr (r.error->message, "max-duration") != NULL, "%s",
      r.error->message);
  fail_unless_equals_uint64 (r.bytes_pushed, 0);
  run_result_clear (&r);
}
GST_END_TEST;

GST_START_TEST (test_error_cloud_size_limit)
{
  const gchar *phrases[] = { "1080×1920", "3840×2160", "backend=local",
    NULL
  };

  assert_fails_with ("nemorender name=r backend=cloud "
      "api-url=http://127.0.0.1:9 width=3840 height=2160 "
      "audio-uri={tone.mp3} visual-uri={cover.jpg}", GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, phrases);
  assert_fails_with ("nemorender name=r backend=cloud "
      "api-url=http://127.0.0.1:9 prompt=\"a 4K video\" "
      "audio-uri={tone.mp3} visual-uri={cover.jpg}", GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, phrases);
}
GST_END_TEST;

GST_START_TEST (test_error_bad_aspect_ratio)
{
  const gchar *phrases[] = { "aspect-ratio", "16:9", NULL };

  assert_fails_with ("nemorender name=r aspect-ratio=wide "
      "audio-uri={tone.mp3} visual-uri={cover.jpg}", GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, phrases);
}
GST_END_TEST;

static Suite *
nemorender_suite (void)
{
  Suite *s = suite_create ("nemorender");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_pads_and_templates);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_harness_still_frame);
  tcase_add_test (tc, test_uri_inputs_1080p);
  tcase_add_test (tc, test_visual_uri_list);
  tcase_add_test (tc, test_pad_inputs);
  tcase_add_test (tc, test_pngparse);
  tcase_add_test (tc, test_jpegparse);
  tcase_add_test (tc, test_endless_imagefreeze);
  tcase_add_test (tc, test_endless_videotestsrc);
  tcase_add_test (tc, test_short_clip_loops);
  tcase_add_test (tc, test_max_duration_and_aspect);
  tcase_add_test (tc, test_cover_from_song_uri);
  tcase_add_test (tc, test_cover_from_song_pad);
  tcase_add_test (tc, test_given_visual_wins_over_song_cover);
  tcase_add_test (tc, test_aspect_keeps_short_side);
  tcase_add_test (tc, test_start_time);
  tcase_add_test (tc, test_start_in_prompt);
  tcase_add_test (tc, test_warning_tiny_max_duration);
  tcase_add_test (tc, test_warning_silent_song);
  tcase_add_test (tc, test_untimed_gif);
  tcase_add_test (tc, test_silent_gif);
  tcase_add_test (tc, test_untimed_endless_appsrc);
  tcase_add_test (tc, test_warning_cut_song);
  tcase_add_test (tc, test_warning_cut_picture);
  tcase_add_test (tc, test_tags_and_title_property);
  tcase_add_test (tc, test_prompt);
  tcase_add_test (tc, test_lyrics_pad);
  tcase_add_test (tc, test_lyrics_pad_without_durations);
  tcase_add_test (tc, test_lyrics_uri);
  tcase_add_test (tc, test_lyrics_asked_without_any);
  tcase_add_test (tc, test_error_bad_lyrics);
  tcase_add_test (tc, test_thumbnail);
  tcase_add_test (tc, test_no_thumbnail);
  tcase_add_test (tc, test_error_missing_file);
  tcase_add_test (tc, test_error_thumbnail_unwritable);
  tcase_add_test (tc, test_error_corrupt_audio);
  tcase_add_test (tc, test_error_no_samples);
  tcase_add_test (tc, test_error_huge_image);
  tcase_add_test (tc, test_error_no_audio);
  tcase_add_test (tc, test_error_picture_as_song);
  tcase_add_test (tc, test_error_picture_in_song_list);
  tcase_add_test (tc, test_error_picture_in_playlist);
  tcase_add_test (tc, test_error_bad_aspect_ratio);
  tcase_add_test (tc, test_error_cloud_size_limit);
  tcase_add_test (tc, test_error_remote_song_endless_video);
  tcase_add_test (tc, test_remote_song_video_cut_at_max_duration);
  return s;
}

GST_CHECK_MAIN (nemorender);
