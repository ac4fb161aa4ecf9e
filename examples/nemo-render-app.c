/* A small application around nemorender: song + picture in, MP4 out, with
 * a progress line and the element's messages printed as they come.
 *
 *   nemo-render-app [--prompt=TEXT] [--api-url=URL] SONG PICTURE OUTPUT.mp4
 *
 * With --api-url (e.g. a nemo-sim on 127.0.0.1) it runs the cloud backend.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/gst.h>
#include <stdio.h>

static void
print_element_message (const GstStructure * s)
{
  const gchar *name = gst_structure_get_name (s);

  if (g_str_equal (name, "nemorender-progress")) {
    gdouble percent = 0;

    gst_structure_get_double (s, "percent", &percent);
    printf ("\r%-8s %5.1f %%", gst_structure_get_string (s, "stage"),
        percent);
    fflush (stdout);
    if (percent >= 100.0)
      printf ("\n");
  } else if (g_str_equal (name, "nemorender-timeline")) {
    printf ("%s\n", gst_structure_get_string (s, "summary"));
  } else if (g_str_equal (name, "nemorender-reply")) {
    printf ("agent: %s\n", gst_structure_get_string (s, "text"));
  } else if (g_str_equal (name, "nemorender-credits")) {
    gint64 available = 0, total = 0;

    gst_structure_get_int64 (s, "available", &available);
    gst_structure_get_int64 (s, "total", &total);
    printf ("credits: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT "\n",
        available, total);
  } else if (g_str_equal (name, "nemorender-job")) {
    printf ("job: session %s, render %s\n",
        gst_structure_get_string (s, "session-id"),
        gst_structure_has_field (s, "render-id") ?
        gst_structure_get_string (s, "render-id") : "(not yet)");
  }
}

int
main (int argc, char **argv)
{
  gchar *prompt = NULL, *api_url = NULL;
  GOptionEntry entries[] = {
    {"prompt", 0, 0, G_OPTION_ARG_STRING, &prompt, "What you want", "TEXT"},
    {"api-url", 0, 0, G_OPTION_ARG_STRING, &api_url,
        "Render on the service at URL (cloud backend)", "URL"},
    {NULL}
  };
  GOptionContext *context;
  GstElement *pipeline, *render, *sink;
  GstBus *bus;
  GError *error = NULL;
  gboolean ok = FALSE, done = FALSE;

  context = g_option_context_new ("SONG PICTURE OUTPUT.mp4");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 4) {
    g_printerr ("%s\n", error ? error->message :
        g_option_context_get_help (context, TRUE, NULL));
    return 2;
  }
  g_option_context_free (context);

  pipeline = gst_pipeline_new ("app");
  render = gst_element_factory_make ("nemorender", NULL);
  sink = gst_element_factory_make ("filesink", NULL);
  if (render == NULL || sink == NULL) {
    g_printerr ("nemorender or filesink is missing: set GST_PLUGIN_PATH to "
        "the build's plugin folder\n");
    return 1;
  }
  g_object_set (render, "audio-uri", argv[1], "visual-uri", argv[2],
      "prompt", prompt, NULL);
  if (api_url != NULL)
    gst_util_set_object_arg (G_OBJECT (render), "backend", "cloud");
  if (api_url != NULL)
    g_object_set (render, "api-url", api_url, NULL);
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
      case GST_MESSAGE_ERROR:
        gst_message_parse_error (msg, &error, NULL);
        g_printerr ("\nerror: %s\n", error->message);
        g_clear_error (&error);
        done = TRUE;
        break;
      case GST_MESSAGE_EOS:
        printf ("wrote %s\n", argv[3]);
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
  g_free (prompt);
  g_free (api_url);
  return ok ? 0 : 1;
}
