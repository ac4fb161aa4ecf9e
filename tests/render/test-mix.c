/* Tests for the background-music mix: a clip with its own sound (880 Hz)
 * under music (440 Hz left, 660 Hz right) at 35 %, rendered to MP4 and
 * measured in the decoded sound: levels by frequency, ducking, peaks,
 * loudness (FFmpeg's own EBU R128 meter) and the fade at the end.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/render.h>
#include <nemo/intent.h>
#include <nemo/media.h>
#include <nemo/error.h>
#include <glib/gstdio.h>
#include <libavcodec/avcodec.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

#define RATE 48000
#define MUSIC_HZ 440.0          /* tone.wav, left */
#define CLIP_HZ 880.0           /* clip-with-sound.mp4 */
#define CLIP_MS 4000            /* the clip's part of the video */
#define SONG_S 8.0

typedef struct
{
  gint rate;
  GArray *left, *right;         /* gfloat */
} Sound;

/* ---- drafts ---- */

static void
set_meta_boolean (NemoDraft * draft, const gchar * key, gboolean value)
{
  json_object_set_boolean_member (draft->meta, key, value);
}

/* The clip (with its sound) for CLIP_MS, then the cover to the end, over
 * tone.wav as background music at @volume. */
static NemoDraft *
bgm_draft (gdouble volume)
{
  NemoDraft *draft = nemo_draft_new ();
  NemoTrack *video = nemo_draft_add_track (draft, NEMO_TRACK_VIDEO);
  NemoSegment *clip = nemo_track_add_segment (video, NEMO_SEGMENT_CLIP);
  NemoSegment *cover = nemo_track_add_segment (video, NEMO_SEGMENT_STILL);
  NemoSegment *music = nemo_track_add_segment (nemo_draft_add_track (draft,
          NEMO_TRACK_AUDIO), NEMO_SEGMENT_BGM);

  clip->source = data_path ("clip-with-sound.mp4");
  clip->duration_ms = CLIP_MS;
  cover->source = data_path ("cover.png");
  cover->start_ms = CLIP_MS;
  music->source = data_path ("tone.wav");
  music->volume = volume;
  draft->duration_ms = (gint64) (SONG_S * 1000);
  nemo_draft_set_meta_string (draft, "title", "Travel");
  return draft;
}

/* The song alone, as a plain music video of the cover. */
static NemoDraft *
song_draft (void)
{
  NemoDraft *draft = nemo_draft_new ();
  NemoSegment *cover = nemo_track_add_segment (nemo_draft_add_track (draft,
          NEMO_TRACK_VIDEO), NEMO_SEGMENT_STILL);
  NemoSegment *music = nemo_track_add_segment (nemo_draft_add_track (draft,
          NEMO_TRACK_AUDIO), NEMO_SEGMENT_MUSIC);

  cover->source = data_path ("cover.png");
  music->source = data_path ("tone.wav");
  draft->duration_ms = (gint64) (SONG_S * 1000);
  return draft;
}

/* ---- the sound, decoded ---- */

static void
append_samples (const AVFrame * frame, gpointer user_data)
{
  Sound *sound = user_data;

  g_assert_cmpint (frame->format, ==, AV_SAMPLE_FMT_FLTP);
  sound->rate = frame->sample_rate;
  g_array_append_vals (sound->left, frame->data[0], frame->nb_samples);
  g_array_append_vals (sound->right,
      frame->data[frame->ch_layout.nb_channels > 1 ? 1 : 0],
      frame->nb_samples);
}

static void
decode_sound (const gchar * path, Sound * sound)
{
  sound->left = g_array_new (FALSE, FALSE, sizeof (gfloat));
  sound->right = g_array_new (FALSE, FALSE, sizeof (gfloat));
  decode_stream (path, AVMEDIA_TYPE_AUDIO, append_samples, sound);
}

static void
sound_clear (Sound * sound)
{
  g_array_unref (sound->left);
  g_array_unref (sound->right);
}

/* The amplitude of the @hz sine on the left from @from_s to @to_s: a
 * Hann-windowed DFT at that one frequency (band-limited: the other tones
 * are hundreds of Hz away, far outside the window's main lobe). */
static gdouble
tone_level (const Sound * sound, gdouble hz, gdouble from_s, gdouble to_s)
{
  gint rate = sound->rate;
  gint64 from = (gint64) (from_s * rate), to = (gint64) (to_s * rate), i;
  gdouble re = 0, im = 0, weight = 0;

  g_assert_cmpint (to, <=, (gint64) sound->left->len);
  for (i = from; i < to; i++) {
    gdouble w = 0.5 - 0.5 * cos (2 * G_PI * (i - from) / (to - from));
    gdouble x = g_array_index (sound->left, gfloat, i) * w;

    re += x * cos (2 * G_PI * hz * i / rate);
    im -= x * sin (2 * G_PI * hz * i / rate);
    weight += w;
  }
  return 2 * sqrt (re * re + im * im) / weight;
}

static gdouble
db (gdouble ratio)
{
  return 20 * log10 (ratio);
}

static gdouble
rms_db (const Sound * sound, gdouble from_s, gdouble to_s)
{
  gint64 from = (gint64) (from_s * RATE), to = (gint64) (to_s * RATE), i;
  gdouble sum = 0;

  for (i = from; i < to; i++) {
    gfloat l = g_array_index (sound->left, gfloat, i);
    gfloat r = g_array_index (sound->right, gfloat, i);

    sum += l * l + r * r;
  }
  return 10 * log10 (MAX (sum / (2 * (to - from)), 1e-20));
}

static gdouble
peak_dbfs (const Sound * sound)
{
  gfloat peak = 0;
  guint i;

  for (i = 0; i < sound->left->len; i++)
    peak = MAX (peak, MAX (fabsf (g_array_index (sound->left, gfloat, i)),
            fabsf (g_array_index (sound->right, gfloat, i))));
  return db (peak);
}

static gdouble
integrated_loudness (const gchar * path)
{
  return ffmpeg_meter (path, "I:");
}

/* ---- rendering ---- */

typedef struct
{
  gchar *dir;
  gchar *output;
  Sound sound;
} Rendered;

/* Render @draft brought to @lufs (the loudness option; NaN: unset). */
static void
render_at (const NemoDraft * draft, gdouble lufs, Rendered * rendered)
{
  NemoRenderOptions options;
  GError *error = NULL;

  rendered->dir = g_dir_make_tmp ("nemo-mix-XXXXXX", &error);
  g_assert_no_error (error);
  rendered->output = g_build_filename (rendered->dir, "out.mp4", NULL);
  nemo_render_options_init (&options);
  options.width = 320;
  options.height = 180;
  options.loudness_lufs = lufs;
  g_assert_true (nemo_render_draft (draft, &options, rendered->output,
          &error));
  g_assert_no_error (error);
  decode_sound (rendered->output, &rendered->sound);
  g_assert_cmpint (rendered->sound.rate, ==, RATE);
  g_assert_cmpfloat (rendered->sound.left->len, >=, (SONG_S - 0.05) * RATE);
}

static void
render (const NemoDraft * draft, Rendered * rendered)
{
  render_at (draft, NAN, rendered);
}

static void
rendered_clear (Rendered * rendered)
{
  sound_clear (&rendered->sound);
  g_unlink (rendered->output);
  g_rmdir (rendered->dir);
  g_free (rendered->output);
  g_free (rendered->dir);
}

/* The levels of the music and the clip's sound each on its own. */
static void
levels_alone (gdouble * music, gdouble * clip)
{
  g_autoptr (NemoDraft) draft = song_draft ();
  g_autofree gchar *clip_path = data_path ("clip-with-sound.mp4");
  Rendered song;
  Sound clip_sound;

  render (draft, &song);
  *music = tone_level (&song.sound, MUSIC_HZ, 1.0, 3.5);
  rendered_clear (&song);

  decode_sound (clip_path, &clip_sound);
  *clip = tone_level (&clip_sound, CLIP_HZ, 1.0, 3.5);
  sound_clear (&clip_sound);
  g_test_message ("alone: music %.2f dBFS, clip %.2f dBFS", db (*music),
      db (*clip));
}

/* ---- tests ---- */

/* A song alone is left as mastered: same level, no limiter, no fade. */
static void
test_song_untouched (void)
{
  g_autoptr (NemoDraft) draft = song_draft ();
  Rendered song;

  render (draft, &song);
  /* lavfi's sine: 1/8 */
  g_assert_cmpfloat (fabs (db (tone_level (&song.sound, MUSIC_HZ, 1.0,
                  3.5) / 0.125)), <, 0.2);
  g_assert_cmpfloat (fabs (db (tone_level (&song.sound, MUSIC_HZ, 7.4,
                  7.9) / 0.125)), <, 0.2);
  rendered_clear (&song);
}

/* Music at 35 % under the clip's sound at full volume, measured with the
 * normalisation off so the levels can be compared with the sources. */
static void
test_bgm_level (void)
{
  g_autoptr (NemoDraft) draft = bgm_draft (0.35);
  gdouble music_alone, clip_alone, music, clip, after;
  Rendered mix;

  levels_alone (&music_alone, &clip_alone);
  set_meta_boolean (draft, "loudness_lufs", FALSE);
  render (draft, &mix);
  music = tone_level (&mix.sound, MUSIC_HZ, 1.0, 3.5);
  clip = tone_level (&mix.sound, CLIP_HZ, 1.0, 3.5);
  after = tone_level (&mix.sound, MUSIC_HZ, 4.5, 6.0);
  g_test_message ("mix: music %.2f dB of alone (35%% is %.2f dB), after the "
      "clip %.2f dB, clip %.2f dB of alone", db (music / music_alone),
      db (0.35), db (after / music_alone), db (clip / clip_alone));
  g_assert_cmpfloat (fabs (db (music / music_alone) - db (0.35)), <=, 1.5);
  g_assert_cmpfloat (fabs (db (after / music_alone) - db (0.35)), <=, 1.5);
  g_assert_cmpfloat (fabs (db (clip / clip_alone)), <=, 1.0);
  /* no clip sound after the clip */
  g_assert_cmpfloat (db (tone_level (&mix.sound, CLIP_HZ, 4.5, 6.0)
          / clip_alone), <, -40);
  rendered_clear (&mix);
}

/* With ducking the music dips under the clip's sound, and comes back
 * after it. */
static void
test_ducking (void)
{
  g_autoptr (NemoDraft) draft = bgm_draft (0.35);
  gdouble during, after, clip_alone, music_alone;
  Rendered mix;

  levels_alone (&music_alone, &clip_alone);
  set_meta_boolean (draft, "loudness_lufs", FALSE);
  set_meta_boolean (draft, "ducking", TRUE);
  render (draft, &mix);
  during = tone_level (&mix.sound, MUSIC_HZ, 1.0, 3.5);
  after = tone_level (&mix.sound, MUSIC_HZ, 4.5, 6.0);
  g_test_message ("ducked by %.2f dB", db (during / after));
  g_assert_cmpfloat (db (during / after), <=, -8.0);
  g_assert_cmpfloat (db (during / after), >=, -10.0);
  g_assert_cmpfloat (fabs (db (after / music_alone) - db (0.35)), <=, 1.5);
  /* the clip itself is not touched */
  g_assert_cmpfloat (fabs (db (tone_level (&mix.sound, CLIP_HZ, 1.0, 3.5)
              / clip_alone)), <=, 1.0);
  rendered_clear (&mix);
}

/* By default a BGM mix is brought to -14 LUFS, keeping the balance of
 * music and clip, and fades out over the last 1.5 s. */
static void
test_loudness_and_fade (void)
{
  g_autoptr (NemoDraft) draft = bgm_draft (0.35);
  gdouble music_alone, clip_alone, music, clip, loudness, before;
  gdouble steps[6];
  Rendered mix;
  guint i;

  levels_alone (&music_alone, &clip_alone);
  render (draft, &mix);
  loudness = integrated_loudness (mix.output);
  music = tone_level (&mix.sound, MUSIC_HZ, 1.0, 3.5);
  clip = tone_level (&mix.sound, CLIP_HZ, 1.0, 3.5);
  g_test_message ("loudness %.2f LUFS, peak %.2f dBFS, music/clip %.2f dB "
      "(sources at 35%%: %.2f dB)", loudness, peak_dbfs (&mix.sound),
      db (music / clip), db (0.35 * music_alone / clip_alone));
  g_assert_cmpfloat (fabs (loudness - -14.0), <=, 1.0);
  g_assert_cmpfloat (peak_dbfs (&mix.sound), <=, -1.0);
  g_assert_cmpfloat (fabs (db (music / clip)
          - db (0.35 * music_alone / clip_alone)), <=, 1.5);

  /* the end fades: down step by step over 1.5 s, to silence */
  before = rms_db (&mix.sound, 5.5, 6.4);
  for (i = 0; i < G_N_ELEMENTS (steps); i++) {
    steps[i] = rms_db (&mix.sound, 6.5 + 0.25 * i, 6.75 + 0.25 * i);
    g_test_message ("fade: %.2f-%.2f s at %.2f dB", 6.5 + 0.25 * i,
        6.75 + 0.25 * i, steps[i] - before);
    g_assert_cmpfloat (steps[i], <, i ? steps[i - 1] : before);
  }
  g_assert_cmpfloat (steps[G_N_ELEMENTS (steps) - 1], <, before - 20);
  g_assert_cmpfloat (rms_db (&mix.sound, SONG_S - 0.05, SONG_S), <,
      before - 40);
  rendered_clear (&mix);
}

/* Pushed far up, the mix is held under -1 dBFS by the limiter instead of
 * clipping. */
static void
test_limiter (void)
{
  g_autoptr (NemoDraft) draft = bgm_draft (0.35);
  gdouble loudness;
  Rendered mix;

  json_object_set_double_member (draft->meta, "loudness_lufs", -3.0);
  render (draft, &mix);
  loudness = integrated_loudness (mix.output);
  g_test_message ("asked -3 LUFS: %.2f LUFS, peak %.2f dBFS", loudness,
      peak_dbfs (&mix.sound));
  g_assert_cmpfloat (peak_dbfs (&mix.sound), <=, -1.0);
  /* louder than the default, held back only by the limiter */
  g_assert_cmpfloat (loudness, >, -9.0);
  rendered_clear (&mix);
}

/* A song hotter than any master, a full-scale square wave (+2 dBTP), is
 * still at most -1 dBTP once its AAC is decoded. */
static void
test_hot_song (void)
{
  g_autoptr (NemoDraft) draft = song_draft ();
  NemoSegment *music = g_ptr_array_index (nemo_draft_find_track (draft,
          NEMO_TRACK_AUDIO)->segments, 0);
  Rendered song;
  gdouble peak;

  g_free (music->source);
  music->source = data_path ("square.wav");
  render (draft, &song);
  peak = ffmpeg_meter (song.output, "Peak:");
  g_test_message ("square wave: %.2f dBTP", peak);
  g_assert_cmpfloat (peak, <=, -1.0);
  rendered_clear (&song);
}

/* The loudness option brings a song alone to its target. */
static void
test_loudness_option (void)
{
  g_autoptr (NemoDraft) draft = song_draft ();
  Rendered song;
  gdouble lufs;

  render_at (draft, -16, &song);
  lufs = integrated_loudness (song.output);
  g_test_message ("asked -16 LUFS: %.2f LUFS", lufs);
  g_assert_cmpfloat (fabs (lufs + 16), <=, 1.0);
  rendered_clear (&song);
}

/* A prompt's loudness ("normalize": -14 LUFS) reaches the sound of a song
 * alone, through the draft. */
static void
test_prompt_loudness (void)
{
  g_autoptr (NemoDraft) draft = song_draft ();
  g_autoptr (NemoIntent) intent = nemo_intent_parse ("normalize");
  Rendered song;
  gdouble lufs;

  nemo_intent_apply (intent, draft);
  render (draft, &song);
  lufs = integrated_loudness (song.output);
  g_test_message ("prompt \"normalize\": %.2f LUFS", lufs);
  g_assert_cmpfloat (fabs (lufs + 14), <=, 1.0);
  rendered_clear (&song);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mix/song-untouched", test_song_untouched);
  g_test_add_func ("/mix/bgm-level", test_bgm_level);
  g_test_add_func ("/mix/ducking", test_ducking);
  g_test_add_func ("/mix/loudness-and-fade", test_loudness_and_fade);
  g_test_add_func ("/mix/limiter", test_limiter);
  g_test_add_func ("/mix/hot-song", test_hot_song);
  g_test_add_func ("/mix/loudness-option", test_loudness_option);
  g_test_add_func ("/mix/prompt-loudness", test_prompt_loudness);
  return g_test_run ();
}
