/* Soak: hours of a playlist through nemovisualizer as fast as the machine
 * draws, checking what a 24/7 stream needs: memory flat after the first
 * minute, one frame per frame period to the end (no gap, no repeated
 * frame at any song change), and the video as long as the sound.
 *
 *   soak-visualizer HOURS [SONG_SECONDS [WIDTHxHEIGHT]]
 *                                  (default: 1 h of 3-min songs at 1280x720)
 *
 * Each song comes as concat gives a playlist: a stream-start, a segment
 * of its own that goes on in running time, its title and one of two covers
 * in its tags, then its samples stamped from 0.  Prints the resident memory every
 * minute of wall time, then the verdict; exits 1 on any failure.  Run by
 * hand (docs/reliability.md, "Soak"); not part of the suite.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define FPS 30
#define CHUNK 1152              /* an MP3 frame */
#define SAMPLES_PER_FRAME (RATE / FPS)

static cairo_status_t
append_bytes (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static GBytes *
cover_png (gdouble r, gdouble g, gdouble b)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24,
      600, 600);
  cairo_t *cr = cairo_create (surface);
  GByteArray *png = g_byte_array_new ();

  cairo_set_source_rgb (cr, r, g, b);
  cairo_paint (cr);
  cairo_set_source_rgb (cr, 1 - r, 1 - g, 1 - b);
  cairo_rectangle (cr, 150, 150, 300, 300);
  cairo_fill (cr);
  cairo_destroy (cr);
  cairo_surface_write_to_png_stream (surface, append_bytes, png);
  cairo_surface_destroy (surface);
  return g_byte_array_free_to_bytes (png);
}

static GstEvent *
song_tags (guint song, GBytes * cover)
{
  g_autofree gchar *title = g_strdup_printf ("Song %u", song + 1);
  GstTagList *tags = gst_tag_list_new (GST_TAG_TITLE, title, GST_TAG_ARTIST,
      "The Soak Band", NULL);
  GstBuffer *buf = gst_buffer_new_wrapped_bytes (cover);
  GstCaps *caps = gst_caps_new_empty_simple ("image/png");
  GstSample *sample = gst_sample_new (buf, caps, NULL, NULL);

  gst_tag_list_add (tags, GST_TAG_MERGE_APPEND, GST_TAG_IMAGE, sample, NULL);
  gst_tag_list_set_scope (tags, GST_TAG_SCOPE_STREAM);
  gst_sample_unref (sample);
  gst_caps_unref (caps);
  gst_buffer_unref (buf);
  return gst_event_new_tag (tags);
}

/* Song @index's stream-start, segment (starting at running time
 * @base_samples) and tags. */
static void
start_song (GstHarness * h, guint index, guint64 base_samples, GBytes * cover)
{
  g_autofree gchar *id = g_strdup_printf ("song-%u", index);
  GstSegment segment;

  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.base = gst_util_uint64_scale_int (base_samples, GST_SECOND, RATE);
  gst_harness_push_event (h, gst_event_new_stream_start (id));
  gst_harness_push_event (h, gst_event_new_segment (&segment));
  gst_harness_push_event (h, song_tags (index, cover));
}

/* @n samples of a song from its sample @at: a tone gliding with the bar. */
static GstBuffer *
music (guint64 at, gint n)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, n * 2 * sizeof (gfloat),
      NULL);
  GstMapInfo map;
  gfloat *s;
  gint i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  s = (gfloat *) map.data;
  for (i = 0; i < n; i++) {
    gdouble t = (gdouble) (at + i) / RATE;
    gdouble f = 110 * pow (2, fmod (floor (t * 2), 12) / 12);

    s[2 * i] = s[2 * i + 1] = (gfloat) (0.4 * sin (2 * G_PI * f * t)
        * exp (-4 * fmod (t, 0.5)));
  }
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale_int (at, GST_SECOND, RATE);
  return buf;
}

static gdouble
rss_mb (void)
{
  g_autofree gchar *status = NULL;
  const gchar *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, "VmRSS:");
  return line ? g_ascii_strtod (line + 6, NULL) / 1024 : 0;
}

typedef struct
{
  guint64 frames;
  guint64 bad_pts;              /* frames not at their frame period */
} Frames;

static void
pull_frames (GstHarness * h, Frames * frames)
{
  GstBuffer *buf;

  while ((buf = gst_harness_try_pull (h)) != NULL) {
    if (GST_BUFFER_PTS (buf) != gst_util_uint64_scale (frames->frames,
            GST_SECOND, FPS)) {
      if (frames->bad_pts++ < 5)
        g_printerr ("frame %" G_GUINT64_FORMAT " at %" GST_TIME_FORMAT "\n",
            frames->frames, GST_TIME_ARGS (GST_BUFFER_PTS (buf)));
    }
    frames->frames++;
    gst_buffer_unref (buf);
  }
}

int
main (int argc, char **argv)
{
  gdouble hours = argc > 1 ? g_ascii_strtod (argv[1], NULL) : 1;
  guint64 song_samples = (argc > 2 ? g_ascii_strtoull (argv[2], NULL, 10)
      : 180) * RATE;
  const gchar *size = argc > 3 ? argv[3] : "1280x720";
  guint64 total = (guint64) (hours * 3600 * RATE), done = 0;
  g_autofree gchar *caps = NULL;
  gint width, height;
  GBytes *covers[2];
  GstHarness *h;
  Frames frames = { 0, };
  gint64 start, next_sample;
  gdouble first_minute_mb = 0, max_mb = 0;
  guint minute = 0;
  guint64 expected;
  gboolean ok;

  gst_init (&argc, &argv);
  if (sscanf (size, "%dx%d", &width, &height) != 2) {
    g_printerr ("The size is WIDTHxHEIGHT, not %s.\n", size);
    return 2;
  }
  covers[0] = cover_png (0.8, 0.2, 0.1);
  covers[1] = cover_png (0.1, 0.3, 0.8);
  h = gst_harness_new_parse ("nemovisualizer style=spectrum "
      "title=Station crossfade=500000000");
  gst_harness_set_src_caps_str (h, "audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=48000, channels=2, channel-mask=(bitmask)0x3");
  caps = g_strdup_printf ("video/x-raw, format=I420, width=%d, height=%d, "
      "framerate=%d/1", width, height, FPS);
  gst_harness_set_sink_caps_str (h, caps);

  start = next_sample = g_get_monotonic_time ();
  printf ("| wall min | audio h | frames | RSS MB |\n|---|---|---|---|\n");
  while (done < total) {
    guint64 in_song = done % song_samples;
    gint n = (gint) MIN ((guint64) CHUNK, MIN (total - done,
            song_samples - in_song));

    if (in_song == 0)
      start_song (h, done / song_samples, done,
          covers[done / song_samples % 2]);
    if (gst_harness_push (h, music (in_song, n)) != GST_FLOW_OK) {
      g_printerr ("the push failed at %.3f h\n", done / (RATE * 3600.0));
      return 1;
    }
    done += n;
    pull_frames (h, &frames);
    if (g_get_monotonic_time () >= next_sample) {
      gdouble mb = rss_mb ();

      if (minute == 1)
        first_minute_mb = mb;
      if (minute >= 1)
        max_mb = MAX (max_mb, mb);
      printf ("| %u | %.3f | %" G_GUINT64_FORMAT " | %.1f |\n", minute,
          done / (RATE * 3600.0), frames.frames, mb);
      fflush (stdout);
      minute++;
      next_sample = start + (gint64) minute * 60 * G_USEC_PER_SEC;
    }
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  pull_frames (h, &frames);

  expected = (total + SAMPLES_PER_FRAME - 1) / SAMPLES_PER_FRAME;
  ok = frames.frames == expected && frames.bad_pts == 0
      && (minute < 2 || max_mb <= first_minute_mb * 1.05);
  printf ("\n%s, %.2f h of audio in %.1f min: %" G_GUINT64_FORMAT " frames "
      "(%" G_GUINT64_FORMAT " expected), %" G_GUINT64_FORMAT " off their "
      "frame period; RSS %.1f MB at minute 1, at most %.1f MB after: %s\n",
      size, hours, (g_get_monotonic_time () - start) / 60e6, frames.frames,
      expected, frames.bad_pts, first_minute_mb, max_mb,
      ok ? "PASS" : "FAIL");
  gst_harness_teardown (h);
  g_bytes_unref (covers[0]);
  g_bytes_unref (covers[1]);
  return ok ? 0 : 1;
}
