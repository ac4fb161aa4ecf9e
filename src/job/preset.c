/* nemorender job: the platform presets, one row per platform.
 * docs/presets.md has the table with its sources.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/job.h>

#include <string.h>

#define MINUTES(m) ((gint64) (m) * 60000)
#define MBPS(m) ((gint64) (m) * 1000000)

static const NemoPresetInfo presets[] = {
  {NEMO_PRESET_YOUTUBE, "youtube", "YouTube", 1920, 1080, 0, 0, 0, 0,
      {0, 0, 0, 0}},
  {NEMO_PRESET_SHORTS, "shorts", "Shorts", 1080, 1920, 0, 0, 0, MINUTES (3),
      {0.10, 0.22, 0.04, 0.14}},
  {NEMO_PRESET_TIKTOK, "tiktok", "TikTok", 1080, 1920, 23, 60, 0,
      MINUTES (10), {0.08, 0.20, 0.04, 0.14}},
  {NEMO_PRESET_REELS, "reels", "Reels", 1080, 1920, 23, 60, MBPS (25),
      MINUTES (3), {0.10, 0.22, 0.05, 0.14}},
  {NEMO_PRESET_INSTAGRAM_FEED, "instagram-feed", "Instagram", 1080, 1350, 23,
      60, MBPS (25), MINUTES (60), {0, 0, 0, 0}},
  {NEMO_PRESET_INSTAGRAM_STORY, "instagram-story", "Instagram Stories", 1080,
      1920, 23, 60, MBPS (25), 60000, {0.12, 0.12, 0.05, 0.05}},
};

const NemoPresetInfo *
nemo_preset_get (NemoPreset preset)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (presets); i++)
    if (presets[i].preset == preset)
      return &presets[i];
  return &presets[0];
}

const NemoPresetInfo *
nemo_preset_find (const gchar * name)
{
  guint i;

  for (i = 0; name && i < G_N_ELEMENTS (presets); i++)
    if (strcmp (presets[i].name, name) == 0)
      return &presets[i];
  return NULL;
}

void
nemo_preset_clamp_fps (const NemoPresetInfo * preset, gint * fps_n,
    gint * fps_d)
{
  gdouble fps = (gdouble) *fps_n / *fps_d;

  if (preset->min_fps > 0 && fps < preset->min_fps) {
    *fps_n = preset->min_fps;
    *fps_d = 1;
  } else if (preset->max_fps > 0 && fps > preset->max_fps) {
    *fps_n = preset->max_fps;
    *fps_d = 1;
  }
}
