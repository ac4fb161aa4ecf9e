/* Tests for the job's settings: the output size of a shape, the language
 * of the reply, and the drafts built from the settings.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/job.h>
#include <nemo/error.h>
#include <string.h>

#include "test-util.h"

/* aspect-ratio keeps the short side, as shapes in the prompt do. */
static void
test_output_size (void)
{
  static const struct
  {
    gint width, height;
    const gchar *ratio;
    gint out_width, out_height;
  } sizes[] = {
    {1920, 1080, NULL, 1920, 1080}, {1920, 1080, "16:9", 1920, 1080},
    {1920, 1080, "1:1", 1080, 1080}, {1920, 1080, "9:16", 1080, 1920},
    {1920, 1080, "4:5", 1080, 1350}, {1080, 1920, "16:9", 1920, 1080},
    {3840, 2160, "9:16", 2160, 3840}, {1280, 720, "21:9", 1680, 720},
    {320, 180, "9:16", 180, 320},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    g_autoptr (GError) error = NULL;
    gint width = 0, height = 0;

    g_assert_true (nemo_job_output_size (sizes[i].width, sizes[i].height,
            sizes[i].ratio, &width, &height, &error));
    g_assert_no_error (error);
    g_assert_cmpint (width, ==, sizes[i].out_width);
    g_assert_cmpint (height, ==, sizes[i].out_height);
  }
}

static gchar *
reply_for (const gchar * prompt, const gchar * language,
    gboolean language_set)
{
  g_autofree gchar *song = data_path ("tone.wav");
  g_autofree gchar *cover = data_path ("cover.png");
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoDraft) draft = NULL;
  NemoJobConfig config;
  gchar *reply = NULL;

  nemo_job_config_init (&config);
  config.audio = g_strdup (song);
  g_ptr_array_add (config.visuals, g_strdup (cover));
  config.prompt = g_strdup (prompt);
  config.cloud.language = g_strdup (language);
  config.language_set = language_set;
  draft = nemo_job_build_draft (&config, &reply, NULL, &error);
  g_assert_no_error (error);
  nemo_job_config_clear (&config);
  return reply;
}

/* The reply follows the prompt's language, unless the language was set. */
static void
test_reply_language (void)
{
  g_autofree gchar *zh = reply_for ("方形视频，加频谱", "en", FALSE);
  g_autofree gchar *en = reply_for ("a square video with bars", "zh", FALSE);
  g_autofree gchar *set = reply_for ("方形视频，加频谱", "en", TRUE);

  g_assert_true (g_str_has_prefix (zh, "已理解："));
  g_assert_true (g_str_has_prefix (en, "Understood: "));
  g_assert_true (g_str_has_prefix (set, "Understood: "));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/job/output-size", test_output_size);
  g_test_add_func ("/job/reply-language", test_reply_language);
  return g_test_run ();
}
