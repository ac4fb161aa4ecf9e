/* A small application around nemorender: song + picture in, MP4 out, with
 * a progress line and the element's messages printed as they come.
 *
 *   nemo-render-app song.mp3 cover.jpg video.mp4 [prompt]
 */
#include <gst/gst.h>

static void
print_element_message (const GstStructure * s)
{
  const gchar *name = gst_structure_get_name (s);

  if (g_str_equal (name, "nemorender-progress")) {
    gdouble percent = 0;

    gst_structure_get_double (s, "percent", &percent);
    g_print ("\r%-8s %5.1f %%", gst_structure_get_string (s, "stage"),
        percent);
    if (percent >= 100.0)
      g_print ("\n");
  } else if (g_str_equal (name, "nemorender-timeline")) {
    g_print ("%s\n", gst_structure_get_string (s, "summary"));
  }
}

int
main (int argc, char **argv)
{
  GstElement *pipeline, *render, *sink;
  GstBus *bus;
  gboolean ok = FALSE, done = FALSE;

  gst_init (&argc, &argv);
  if (argc < 4) {
    g_printerr ("usage: %s SONG PICTURE OUTPUT.mp4 [PROMPT]\n", argv[0]);
    return 2;
  }

  pipeline = gst_pipeline_new ("app");
  render = gst_element_factory_make ("nemorender", NULL);
  sink = gst_element_factory_make ("filesink", NULL);
  if (render == NULL || sink == NULL) {
    g_printerr ("nemorender or filesink is missing: set GST_PLUGIN_PATH to "
        "the build's plugin folder\n");
    return 1;
  }
  g_object_set (render, "audio-uri", argv[1], "visual-uri", argv[2],
      "prompt", argc > 4 ? argv[4] : NULL, NULL);
  g_object_set (sink, "location", argv[3], NULL);
  gst_bin_add_many (GST_BIN (pipeline), render, sink, NULL);
  gst_element_link (render, sink);

  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while (!done) {
    GstMessage *msg = gst_bus_timed_pop (bus, GST_CLOCK_TIME_NONE);

    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_ELEMENT:
        print_element_message (gst_message_get_structure (msg));
        break;
      case GST_MESSAGE_ERROR:{
        GError *error = NULL;

        gst_message_parse_error (msg, &error, NULL);
        g_printerr ("\nerror: %s\n", error->message);
        g_error_free (error);
        done = TRUE;
        break;
      }
      case GST_MESSAGE_EOS:
        g_print ("wrote %s\n", argv[3]);
        ok = done = TRUE;
        break;
      default:
        break;
    }
    gst_message_unref (msg);
  }

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return ok ? 0 : 1;
}
