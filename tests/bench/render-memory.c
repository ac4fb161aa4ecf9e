/* Benchmark helper: one render through the library, for /usr/bin/time -v.
 *
 *   render-memory [--visualizer] [--never] SONG PICTURE OUTPUT.mp4
 *
 * The picture held over the whole song at 1920x1080, 30 fps (the still
 * job), or with --visualizer a spectrum drawn over it (every frame is
 * encoded).  --never re-encodes a song nemorender could keep as it is.
 * Prints the wall time and the peak RSS, and the peak when the sound is
 * done and the video starts.  Built, not run by `meson test`:
 * see docs/performance.md.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/render.h>
#include <nemo/intent.h>
#include <stdio.h>
#include <string.h>
#include <libavutil/log.h>

/* Peak RSS so far, in MB (VmHWM). */
static gdouble
peak_rss_mb (void)
{
  g_autofree gchar *status = NULL;
  const gchar *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL)
      || (line = strstr (status, "VmHWM:")) == NULL)
    return 0;
  return g_ascii_strtod (line + strlen ("VmHWM:"), NULL) / 1024.0;
}

/* The peak when the sound is done and the video starts. */
static void
on_progress (NemoRenderStage stage, gdouble percent, gpointer user_data)
{
  gdouble *before_video = user_data;

  if (stage == NEMO_RENDER_STAGE_ENCODE && *before_video == 0)
    *before_video = peak_rss_mb ();
}

static NemoDraft *
make_draft (const gchar * song, const gchar * picture, gboolean visualizer)
{
  NemoDraft *draft = nemo_draft_new ();
  NemoSegment *segment;

  segment = nemo_track_add_segment (nemo_draft_add_track (draft,
          NEMO_TRACK_VIDEO), NEMO_SEGMENT_STILL);
  segment->source = g_strdup (picture);
  segment->loop = TRUE;
  if (visualizer)
    nemo_track_add_segment (nemo_draft_add_track (draft, NEMO_TRACK_VIDEO),
        NEMO_SEGMENT_SPECTRUM);
  segment = nemo_track_add_segment (nemo_draft_add_track (draft,
          NEMO_TRACK_AUDIO), NEMO_SEGMENT_MUSIC);
  segment->source = g_strdup (song);
  return draft;
}

int
main (int argc, char **argv)
{
  g_autoptr (NemoDraft) draft = NULL;
  gboolean visualizer = FALSE, never = FALSE;
  NemoRenderOptions options;
  GError *error = NULL;
  gdouble before_video = 0;
  gint64 start;
  gint first = 1;

  for (; first < argc && g_str_has_prefix (argv[first], "--"); first++) {
    if (strcmp (argv[first], "--visualizer") == 0)
      visualizer = TRUE;
    else if (strcmp (argv[first], "--never") == 0)
      never = TRUE;
  }
  if (argc - first != 3) {
    fprintf (stderr, "usage: %s [--visualizer] [--never] SONG PICTURE "
        "OUTPUT.mp4\n", argv[0]);
    return 2;
  }
  draft = make_draft (argv[first], argv[first + 1], visualizer);
  nemo_render_options_init (&options);
  if (never)
    options.audio_passthrough = NEMO_AUDIO_PASSTHROUGH_NEVER;
  options.progress = on_progress;
  options.progress_data = &before_video;
  av_log_set_level (AV_LOG_ERROR);

  start = g_get_monotonic_time ();
  if (!nemo_render_draft (draft, &options, argv[first + 2], &error)) {
    fprintf (stderr, "%s\n", error->message);
    g_error_free (error);
    return 1;
  }
  printf ("wall %.2f s, peak RSS %.1f MB (%.1f MB before the video)\n",
      (g_get_monotonic_time () - start) / 1e6, peak_rss_mb (), before_video);
  return 0;
}
