/* nemorender as a native non-live GStreamer element: it prerolls, answers
 * queries about the MP4 it makes (and never forwards them to its inputs),
 * handles flushes and released pads before the job, runs twice, stops in
 * every stage, and logs where GStreamer users look.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/check/gstcheck.h>
#include <gst/app/gstappsrc.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "output-check.h"
#include "pipeline-run.h"

#define SMALL "width=320 height=180"
#define TONE_S 8.0
#define EXACT 0.001
/* Bounds every wait for a job to finish (meson bounds the whole file). */
#define JOB_TIMEOUT (120 * GST_SECOND)
/* Raw audio pushed by the tests through an appsrc. */
#define RAW_AUDIO "audio/x-raw,format=S16LE,layout=interleaved,rate=48000," \
  "channels=2"

/* Push @seconds of a 440 Hz tone (after @from_s) into @appsrc, in 100 ms
 * buffers, in RAW_AUDIO. */
static void
push_tone (GstElement * appsrc, gdouble from_s, gdouble seconds)
{
  const gint per_buffer = 4800;
  gint64 start = from_s * 48000, n = seconds * 48000, done;

  for (done = 0; done < n; done += per_buffer) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, per_buffer * 4, NULL);
    GstMapInfo map;
    gint i;

    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    for (i = 0; i < per_buffer; i++) {
      gint16 v = 8000 * sin (2 * G_PI * 440 * (start + done + i) / 48000.0);

      ((gint16 *) map.data)[2 * i] = ((gint16 *) map.data)[2 * i + 1] = v;
    }
    gst_buffer_unmap (buf, &map);
    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (start + done, GST_SECOND,
        48000);
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (per_buffer,
        GST_SECOND, 48000);
    fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (appsrc),
            buf), GST_FLOW_OK);
  }
}

static GstElement *
get (GstElement * pipeline, const gchar * name)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), name);

  fail_unless (e != NULL, "no element %s", name);
  gst_object_unref (e);         /* the pipeline keeps it */
  return e;
}

static void
count_handoff (GstElement * sink, GstBuffer * buffer, GstPad * pad,
    gpointer data)
{
  g_atomic_int_inc ((gint *) data);
}

/* count_bytes and count_time are read once the pipeline is at EOS: the bus
 * orders it after the last handoff. */
static void
count_bytes (GstElement * sink, GstBuffer * buffer, GstPad * pad,
    gpointer data)
{
  *(gint64 *) data += gst_buffer_get_size (buffer);
}

static void
count_time (GstElement * sink, GstBuffer * buffer, GstPad * pad,
    gpointer data)
{
  *(gint64 *) data += GST_BUFFER_DURATION (buffer);
}

static GstPadProbeReturn
count_eos (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
    g_atomic_int_inc ((gint *) data);
  return GST_PAD_PROBE_OK;
}

/* Count the EOS events that reach @pad of @element into @counter. */
static void
watch_eos (GstElement * element, const gchar * pad, gint * counter)
{
  GstPad *p = gst_element_get_static_pad (element, pad);

  fail_unless (p != NULL, "no pad %s", pad);
  gst_pad_add_probe (p, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, count_eos,
      counter, NULL);
  gst_object_unref (p);
}

/* Poll (bounded) until *@counter reaches @value. */
static void
wait_for_count (gint * counter, gint value, const gchar * what)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (g_atomic_int_get (counter) < value) {
    fail_unless (g_get_monotonic_time () < deadline, "%s: %d of %d after "
        "60 s", what, g_atomic_int_get (counter), value);
    g_usleep (10 * 1000);
  }
}

static gchar *
temp_mp4 (void)
{
  gchar *path;
  gint fd = g_file_open_tmp ("nemo-behaviour-XXXXXX.mp4", &path, NULL);

  fail_unless (fd >= 0);
  close (fd);
  return path;
}

/* The cover's orange square is in the centre of @rgb. */
static void
assert_shows_cover (const AVFrame * rgb)
{
  assert_rgb_near (rgb_pixel (rgb, rgb->width / 2, rgb->height / 2), 255, 128,
      0, 40);
}

/* ------------------------------------------------------------ preview -- */

/* Played straight into sync sinks: it prerolls, then every frame and the
 * sound arrive in time.  Without preroll the clock runs during the render
 * and every frame is late by about the render's length (seconds); the
 * half second allowed keeps a busy machine's scheduling out of it.  The
 * decoder leaves QoS to the sink: it would otherwise drop a frame as soon
 * as one came a few milliseconds late, whatever the sink allows. */
GST_START_TEST (test_preview_plays_in_time)
{
  GstElement *pipeline = pipeline_new ("nemorender audio-uri={tone.mp3} "
      "visual-uri={cover.jpg} prompt=\"spectrum bars visualizer\" " SMALL
      " ! qtdemux name=d d.video_0 ! queue ! h264parse ! "
      "avdec_h264 qos=false ! fakesink name=v sync=true qos=true "
      "max-lateness=500000000 "
      "signal-handoffs=true d.audio_0 ! queue ! fakesink name=a sync=true "
      "qos=true signal-handoffs=true");
  GstBus *bus = gst_element_get_bus (pipeline);
  gint frames = 0;
  gint64 audio_ns = 0;
  gboolean eos = FALSE;

  g_signal_connect (get (pipeline, "v"), "handoff", G_CALLBACK (count_handoff),
      &frames);
  g_signal_connect (get (pipeline, "a"), "handoff", G_CALLBACK (count_time),
      &audio_ns);
  /* prerolling: PAUSED completes only once the sinks have the first data */
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PAUSED),
      GST_STATE_CHANGE_ASYNC);
  fail_unless_equals_int (gst_element_get_state (pipeline, NULL, NULL,
          JOB_TIMEOUT), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
      GST_STATE_CHANGE_SUCCESS);
  while (!eos) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, JOB_TIMEOUT,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_QOS);
    guint64 dropped = 0;

    fail_unless (msg != NULL, "no EOS");
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR, "error");
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_QOS)
      gst_message_parse_qos_stats (msg, NULL, NULL, &dropped);
    fail_unless (dropped == 0, "%s dropped a late buffer",
        GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)));
    eos = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
    gst_message_unref (msg);
  }
  fail_unless_equals_int (g_atomic_int_get (&frames), 8 * 30);
  fail_unless (ABS (audio_ns - (gint64) (TONE_S * GST_SECOND)) < 50 *
      GST_MSECOND, "%" GST_TIME_FORMAT " of sound played",
      GST_TIME_ARGS (audio_ns));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}
GST_END_TEST;

/* ------------------------------------------------------------ queries -- */

/* An appsrc that would answer a forwarded query visibly: an hour long and
 * seekable. */
#define LYING_APPSRC "appsrc name=song format=time is-live=false " \
  "duration=3600000000000 stream-type=seekable caps=\"" RAW_AUDIO "\""

/* A seekable appsrc is seeked to 0 when it starts. */
static gboolean
accept_seek (GstElement * appsrc, guint64 offset, gpointer data)
{
  return TRUE;
}

static gboolean
query_duration (GstPad * pad, gint64 * duration)
{
  return gst_pad_query_duration (pad, GST_FORMAT_TIME, duration);
}

GST_START_TEST (test_queries_describe_the_mp4)
{
  GstElement *pipeline = pipeline_new (LYING_APPSRC " ! r.audio "
      "filesrc location={cover.jpg} ! jpegparse ! r.video_0 "
      "nemorender name=r " SMALL " ! fakesink name=sink signal-handoffs=true");
  GstElement *song = get (pipeline, "song");
  GstPad *src = gst_element_get_static_pad (get (pipeline, "r"), "src");
  GstQuery *query;
  gint64 duration = -1, bytes = -1, sunk = 0, deadline;
  gboolean seekable = TRUE, live = TRUE;
  GstClockTime min = 1, max = 0;
  gint video_eos = 0;

  g_signal_connect (get (pipeline, "sink"), "handoff",
      G_CALLBACK (count_bytes), &sunk);
  g_signal_connect (song, "seek-data", G_CALLBACK (accept_seek), NULL);
  watch_eos (get (pipeline, "r"), "video_0", &video_eos);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  wait_for_count (&video_eos, 1, "the cover's EOS");

  /* while the song is arriving: no length, not seekable, nothing pushed */
  fail_if (query_duration (src, &duration), "a duration (%" GST_TIME_FORMAT
      ") before the song ended", GST_TIME_ARGS (duration));
  fail_if (gst_element_query_duration (pipeline, GST_FORMAT_TIME, &duration));
  query = gst_query_new_seeking (GST_FORMAT_TIME);
  fail_unless (gst_pad_query (src, query));
  gst_query_parse_seeking (query, NULL, &seekable, NULL, NULL);
  fail_if (seekable, "the MP4 is said to be seekable");
  gst_query_unref (query);
  fail_unless (gst_pad_query_position (src, GST_FORMAT_BYTES, &bytes));
  fail_unless_equals_int64 (bytes, 0);
  fail_if (gst_pad_send_event (src, gst_event_new_seek (1.0, GST_FORMAT_TIME,
              GST_SEEK_FLAG_FLUSH, GST_SEEK_TYPE_SET, 0, GST_SEEK_TYPE_NONE,
              -1)), "a seek on the src pad was accepted");

  /* 1 s of song, then EOS: the video's length is known */
  push_tone (song, 0.0, 1.0);
  gst_app_src_end_of_stream (GST_APP_SRC (song));
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!query_duration (src, &duration)) {
    fail_unless (g_get_monotonic_time () < deadline, "no duration");
    g_usleep (10 * 1000);
  }
  fail_unless (ABS (duration - (gint64) GST_SECOND) <= GST_MSECOND,
      "duration %" GST_TIME_FORMAT, GST_TIME_ARGS (duration));

  wait_for_eos (pipeline, JOB_TIMEOUT);
  /* the bytes said to be pushed are those that reached the sink */
  fail_unless (gst_pad_query_position (src, GST_FORMAT_BYTES, &bytes));
  fail_unless (bytes > 1000);
  fail_unless_equals_int64 (bytes, sunk);
  query = gst_query_new_latency ();
  fail_unless (gst_pad_query (src, query));
  gst_query_parse_latency (query, &live, &min, &max);
  fail_if (live);
  fail_unless_equals_uint64 (min, 0);
  fail_unless_equals_uint64 (max, GST_CLOCK_TIME_NONE);
  gst_query_unref (query);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (pipeline);
}
GST_END_TEST;

/* ----------------------------------------------- flushes and releases -- */

/* The song from a file through wavparse; the cover from an appsrc held
 * back, so that the job cannot start until the test says.  With @seek, the
 * song is sent twice: a flushing seek to 0 once the audio pad has all of
 * it. */
static void
render_with_held_cover (gboolean seek, Output * out)
{
  g_autofree gchar *output = temp_mp4 ();
  g_autofree gchar *desc = g_strdup_printf ("filesrc location={tone.wav} ! "
      "wavparse name=w ! audioconvert ! r.audio "
      "appsrc name=pic format=time caps=\"image/jpeg,parsed=true\" ! "
      "r.video_0 nemorender name=r " SMALL " ! filesink location=%s",
      output);
  GstElement *pipeline = pipeline_new (desc);
  GstElement *pic = get (pipeline, "pic");
  g_autofree gchar *cover_path = data_path ("cover.jpg");
  gchar *jpeg;
  gsize size;
  GstBuffer *buf;
  gint audio_eos = 0;

  watch_eos (get (pipeline, "r"), "audio", &audio_eos);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  wait_for_count (&audio_eos, 1, "the song's EOS");
  if (seek) {
    fail_unless (gst_element_seek_simple (get (pipeline, "w"),
            GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH, 0));
    wait_for_count (&audio_eos, 2, "the song's EOS after the seek");
  }

  fail_unless (g_file_get_contents (cover_path, &jpeg, &size, NULL));
  buf = gst_buffer_new_wrapped (jpeg, size);
  GST_BUFFER_PTS (buf) = 0;
  fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (pic), buf),
      GST_FLOW_OK);
  gst_app_src_end_of_stream (GST_APP_SRC (pic));
  wait_for_eos (pipeline, JOB_TIMEOUT);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);

  output_read (output, NULL, out);
  output_assert_contract_near (output, out, 320, 180, 30, TONE_S, EXACT);
  g_unlink (output);
}

/* A flushing seek upstream before the job starts: the pad starts over, and
 * the MP4 is the one made without it (the song once, not twice). */
GST_START_TEST (test_flush_before_job_starts_over)
{
  Output plain, seeked;

  render_with_held_cover (FALSE, &plain);
  render_with_held_cover (TRUE, &seeked);
  fail_unless_equals_int64 (seeked.n_audio_samples, plain.n_audio_samples);
  fail_unless_equals_string (seeked.audio_sha256, plain.audio_sha256);
  fail_unless (ABS (seeked.duration_us - plain.duration_us) < 1000);
  output_clear (&plain);
  output_clear (&seeked);
}
GST_END_TEST;

/* Two stills would share the song half and half; video_1 (blue) is
 * released before the job starts, so only the cover shows. */
GST_START_TEST (test_released_pad_drops_its_input)
{
  g_autofree gchar *output = temp_mp4 ();
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=song format=time "
      "caps=\"" RAW_AUDIO "\" ! r.audio "
      "filesrc location={cover.jpg} ! jpegparse ! r.video_0 "
      "filesrc location={wide.png} ! pngdec ! videoconvert ! r.video_1 "
      "nemorender name=r " SMALL " ! filesink location=%s", output);
  GstElement *pipeline = pipeline_new (desc);
  GstElement *render = get (pipeline, "r");
  const gdouble at[] = { 0.5, 1.5, -1 };
  GstPad *v1, *peer;
  gint video_eos = 0;
  Output out;

  watch_eos (render, "video_0", &video_eos);
  watch_eos (render, "video_1", &video_eos);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  wait_for_count (&video_eos, 2, "both pictures' EOS");

  v1 = gst_element_get_static_pad (render, "video_1");
  peer = gst_pad_get_peer (v1);
  fail_unless (gst_pad_unlink (peer, v1));
  gst_element_release_request_pad (render, v1);
  gst_object_unref (peer);
  gst_object_unref (v1);

  push_tone (get (pipeline, "song"), 0.0, 2.0);
  gst_app_src_end_of_stream (GST_APP_SRC (get (pipeline, "song")));
  wait_for_eos (pipeline, JOB_TIMEOUT);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);

  output_read (output, at, &out);
  output_assert_contract_near (output, &out, 320, 180, 30, 2.0, EXACT);
  assert_shows_cover (out.snapshot[0]);
  assert_shows_cover (out.snapshot[1]);
  output_clear (&out);
  g_unlink (output);
}
GST_END_TEST;

/* --------------------------------------------------------- two jobs -- */

/* NULL, new properties, PLAYING: a second job with its own song. */
GST_START_TEST (test_two_jobs_in_a_row)
{
  g_autofree gchar *first_mp4 = temp_mp4 ();
  g_autofree gchar *second_mp4 = temp_mp4 ();
  g_autofree gchar *wav = data_path ("tone.wav");
  g_autofree gchar *desc = g_strdup_printf ("nemorender name=r " SMALL
      " audio-uri={tone.mp3} visual-uri={cover.jpg} ! filesink name=f "
      "location=%s", first_mp4);
  GstElement *pipeline = pipeline_new (desc);
  Output out;

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  wait_for_eos (pipeline, JOB_TIMEOUT);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);

  g_object_set (get (pipeline, "r"), "audio-uri", wav, "max-duration",
      3 * GST_SECOND, NULL);
  g_object_set (get (pipeline, "f"), "location", second_mp4, NULL);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  wait_for_eos (pipeline, JOB_TIMEOUT);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);

  output_read (first_mp4, NULL, &out);
  output_assert_contract_near (first_mp4, &out, 320, 180, 30, TONE_S, EXACT);
  output_clear (&out);
  output_read (second_mp4, NULL, &out);
  output_assert_contract_near (second_mp4, &out, 320, 180, 30, 3.0, EXACT);
  output_clear (&out);
  g_unlink (first_mp4);
  g_unlink (second_mp4);
}
GST_END_TEST;

/* ------------------------------------------------ stopping in a stage -- */

/* Measured here (2 shared cores): a 30-minute Opus song spends about
 * PREPARE_MS in prepare (at 320x180), a 40 s one about ENCODE_MS in encode
 * at 3840x2160 60 fps with a visualizer.  A stop must take a small part of
 * that: this checks that stopping does not wait for the stage, it is not a
 * performance limit. */
#define PREPARE_MS (130 * 1000)
#define ENCODE_MS (140 * 1000)
#define STOP_BOUND_MS (MIN (PREPARE_MS, ENCODE_MS) / 10)

/* A song of @seconds made with ffmpeg in a new folder: its path. */
static gchar *
make_song (gint seconds, const gchar * name, const gchar * codec_args)
{
  g_autofree gchar *dir = g_dir_make_tmp ("nemo-behaviour-XXXXXX", NULL);
  gchar *song = g_build_filename (dir, name, NULL);
  g_autofree gchar *make = g_strdup_printf ("ffmpeg -hide_banner -loglevel "
      "error -nostdin -y -f lavfi -i sine=frequency=440:duration=%d -ac 2 "
      "%s %s", seconds, codec_args, song);
  gint status = -1;

  fail_unless (dir != NULL);
  fail_unless (g_spawn_command_line_sync (make, NULL, NULL, &status, NULL)
      && status == 0, "ffmpeg could not make %s", song);
  return song;
}

static void
remove_song (const gchar * song)
{
  g_autofree gchar *dir = g_path_get_dirname (song);

  g_unlink (song);
  g_rmdir (dir);
}

typedef struct
{
  const gchar *description;
  const gchar *stage;
  StageReachedFunc reached;
} LocalStop;

static void
local_stop_cycle (gpointer data)
{
  LocalStop *stop = data;

  stop_in_stage (stop->description, stop->stage, stop->reached, NULL,
      STOP_BOUND_MS);
}

static void
assert_stops (const gchar * description, const gchar * stage,
    StageReachedFunc reached)
{
  LocalStop stop = { description, stage, reached };
  g_autofree gchar *what = g_strdup_printf ("in the %s stage",
      stage ? stage : "collecting");

  assert_threads_steady (local_stop_cycle, &stop, what);
}

/* Part of the song arrives; its EOS never does. */
static void
push_some_song (GstElement * pipeline, gpointer data)
{
  push_tone (get (pipeline, "song"), 0.0, 1.0);
  g_usleep (200 * 1000);
}

/* Into the stage's work, not at its first instant. */
static void
settle (GstElement * pipeline, gpointer data)
{
  g_usleep (G_USEC_PER_SEC);
}

GST_START_TEST (test_stop_while_collecting)
{
  assert_stops ("appsrc name=song format=time caps=\"" RAW_AUDIO "\" ! "
      "r.audio nemorender name=r " SMALL " visual-uri={cover.jpg} ! "
      "fakesink name=sink", NULL, push_some_song);
}
GST_END_TEST;

/* Prepare reads the whole song: half an hour of it (made in a few seconds
 * at a low bit rate). */
GST_START_TEST (test_stop_while_preparing)
{
  g_autofree gchar *song = make_song (1800, "long.opus",
      "-c:a libopus -b:a 24k");
  g_autofree gchar *desc = g_strdup_printf ("nemorender name=r " SMALL
      " audio-uri=%s visual-uri={cover.jpg} ! fakesink name=sink", song);

  assert_stops (desc, "prepare", settle);
  remove_song (song);
}
GST_END_TEST;

/* Encode draws every frame (the visualizer) at 4K 60 fps for 40 s. */
GST_START_TEST (test_stop_while_encoding)
{
  g_autofree gchar *song = make_song (40, "song.wav", "");
  g_autofree gchar *desc = g_strdup_printf ("nemorender name=r width=3840 "
      "height=2160 framerate=60/1 prompt=\"spectrum bars visualizer\" "
      "audio-uri=%s visual-uri={cover.jpg} ! fakesink name=sink", song);

  assert_stops (desc, "encode", settle);
  remove_song (song);
}
GST_END_TEST;

/* ------------------------------------------------------------ logging -- */

/* Written from every thread that logs. */
static GString *debug_log;
G_LOCK_DEFINE_STATIC (debug_log);

/* One line per message: "category file: text". */
static void
capture_debug (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer data)
{
  const gchar *name = gst_debug_category_get_name (category);

  if (!g_str_equal (name, "libav") && !g_str_equal (name, "nemorender"))
    return;
  G_LOCK (debug_log);
  g_string_append_printf (debug_log, "%s %s: %s\n", name, file,
      gst_debug_message_get (message));
  G_UNLOCK (debug_log);
}

/* A captured line in @category, from a file whose path has @file, with
 * @text. */
static gboolean
log_has_line (const gchar * category, const gchar * file, const gchar * text)
{
  g_auto (GStrv) lines = g_strsplit (debug_log->str, "\n", -1);
  g_autofree gchar *prefix = g_strdup_printf ("%s ", category);
  guint i;

  for (i = 0; lines[i] != NULL; i++) {
    gchar *colon = strstr (lines[i], ": ");

    if (g_str_has_prefix (lines[i], prefix) && colon != NULL
        && g_strstr_len (lines[i], colon - lines[i], file) != NULL
        && strstr (colon, text) != NULL)
      return TRUE;
  }
  return FALSE;
}

/* gst-libav loaded first keeps FFmpeg's log in its "libav" category; the
 * library's own messages are in "nemorender", with their source file. */
GST_START_TEST (test_logs_reach_gst_debug)
{
  GstElement *avdec = gst_element_factory_make ("avdec_h264", NULL);
  RunResult r = { 0, };

  fail_unless (avdec != NULL, "gst-libav is needed");
  debug_log = g_string_new (NULL);
  /* captured, not printed: libav's lines would flood the test's log */
  gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_add_log_function (capture_debug, NULL, NULL);
  /* GST_DEBUG=libav:4,nemorender:4: both lines are INFO, and level 5 of
   * libav (lines for every frame) takes minutes under ASan */
  gst_debug_set_threshold_for_name ("libav", GST_LEVEL_INFO);
  gst_debug_set_threshold_for_name ("nemorender", GST_LEVEL_INFO);

  run_pipeline ("nemorender name=r " SMALL " max-duration=1000000000 "
      "audio-uri={tone.mp3} visual-uri={cover.jpg}", &r);
  assert_success (&r);
  gst_debug_remove_log_function (capture_debug);
  gst_debug_add_log_function (gst_debug_log_default, NULL, NULL);

  /* gst-libav logs FFmpeg's messages with an empty file name */
  fail_unless (log_has_line ("libav", "", "using cpu capabilities"),
      "libx264's line is not in gst-libav's category");
  fail_unless (log_has_line ("nemorender", "src/render/",
          "rendering 320x180 at 30/1 fps"),
      "the renderer's line is not in nemorender's category");
  g_string_free (debug_log, TRUE);
  debug_log = NULL;
  run_result_clear (&r);
  gst_object_unref (avdec);
}
GST_END_TEST;

static Suite *
behaviour_suite (void)
{
  Suite *s = suite_create ("nemorender-behaviour");
  TCase *tc = tcase_create ("behaviour");

  tcase_set_timeout (tc, 240);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_preview_plays_in_time);
  tcase_add_test (tc, test_queries_describe_the_mp4);
  tcase_add_test (tc, test_flush_before_job_starts_over);
  tcase_add_test (tc, test_released_pad_drops_its_input);
  tcase_add_test (tc, test_two_jobs_in_a_row);
  tcase_add_test (tc, test_stop_while_collecting);
  tcase_add_test (tc, test_stop_while_preparing);
  tcase_add_test (tc, test_stop_while_encoding);
  tcase_add_test (tc, test_logs_reach_gst_debug);
  return s;
}

GST_CHECK_MAIN (behaviour);
