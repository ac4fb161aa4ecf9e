/* nemorender intent: the reply sentence, "Understood: …. Could not do: …."
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "intent-private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The words of one language. */
typedef struct
{
  const gchar *understood, *could_not, *default_video;
  const gchar *separator, *full_stop;
  const gchar *visualizer[5];   /* by NemoVisualizer */
  const gchar *track_info, *no_track_info;
  const gchar *place[8];        /* by NemoPlace: "{}" is the track info */
  const gchar *title_fade;      /* {}: the length */
  const gchar *loop, *no_loop;
  const gchar *album, *no_chapters;
  const gchar *cut[5];          /* by NemoCut, UNSET for the default */
  const gchar *no_beat_sync;
  const gchar *bgm, *no_bgm;    /* {}: percent */
  const gchar *keep_audio, *mute_audio;
  const gchar *ducking, *no_ducking;
  const gchar *vertical, *square, *horizontal;  /* {}: W:H */
  const gchar *for_platform;    /* {}: the platform */
  const gchar *length;          /* {}: the length */
  const gchar *start;           /* {}: the in-point, as a clock */
  const gchar *fade_in, *fade_out, *fade_both;  /* {}: the length */
  const gchar *no_fade_in, *no_fade_out, *no_fades;
  const gchar *loudness;        /* {}: the target, e.g. -14 */
  const gchar *lyrics[3];       /* by NemoLyricsStyle */
  const gchar *no_lyrics;
  const gchar *limit[8];        /* by NemoLimit */
  const gchar *const *platforms;        /* pairs: name, name in this language */
  const gchar *song_length, *clip_length;
  const gchar *music_to_cuts, *no_music_to_cuts;
  const gchar *pulse[4];        /* by NemoPulse */
  const gchar *crossfade, *no_crossfade;
} Language;

static const gchar *const zh_platforms[] = {
  "Douyin", "抖音", "Kuaishou", "快手", "WeChat Channels", "视频号",
  "Bilibili", "B站", "Stories", "Instagram 快拍", NULL
};

static const Language english = {
  "Understood: ", "Could not do: ",
  "Making the default video: the cover over a blurred fill, with the full song.",
  ", ", ".",
  {NULL, "no visualizer", "spectrum bars", "a waveform",
      "circular spectrum bars"},
  "track info", "no track info",
  {"{}", "{} at the top", "{} at the bottom", "{} in the centre",
        "{} in the top-left corner", "{} in the top-right corner",
      "{} in the bottom-left corner", "{} in the bottom-right corner"},
  " fading in and out over {}",
  "a looping background", "no looping",
  "an album video with a chapter per song", "no chapters",
  {"beat-synced cuts following the tempo", "beat-synced cuts on every beat",
        "beat-synced cuts on every 2 beats", "beat-synced cuts on every bar",
      "beat-synced cuts following the music's energy"},
  "no beat sync",
  "background music at {}%", "the music at full volume",
  "the clips' own sound kept", "the clips' own sound muted",
  "the music ducked under the clips' sound", "no ducking",
  "vertical {}", "square {}", "horizontal {}", " for {}",
  "{} long",
  "the song from {}",
  "a {} fade in", "a {} fade out", "a {} fade in and out",
  "no fade in", "no fade out", "no fades",
  "loudness brought to {} LUFS",
  {"the lyrics", "the lyrics line by line",
      "karaoke lyrics, each word lit as it is sung"},
  "no lyrics",
  {"output over 4K (2160p is the maximum)", "3D animation",
        "lyrics (none were given: set lyrics-uri to an LRC, SRT or WebVTT "
        "file, or link the lyrics pad)",
        "AI-generated pictures or video (only your cover and clips are used)",
        "changing or removing the singer's voice", "captions of speech",
        "uploading or posting (the MP4 is yours to post)",
      "music louder than 100%"},
  NULL,
  "the song's full length", "the clips' length",
  "the music's beats moved onto the clips' cuts",
  "the music left where it starts",
  {NULL, "no pulse", "a zoom pulse on the strong beats",
      "a flash on the strong beats"},
  "crossfades between the shots", "hard cuts",
};

static const Language chinese = {
  "已理解：", "无法做到：",
  "将制作默认视频：封面叠在模糊背景上，使用完整歌曲。",
  "、", "。",
  {NULL, "不要可视化", "频谱条", "波形", "圆形频谱"},
  "歌曲信息", "不显示歌曲信息",
  {"{}", "{}在顶部", "{}在底部", "{}居中", "{}在左上角", "{}在右上角",
      "{}在左下角", "{}在右下角"},
  "（淡入淡出 {}）",
  "循环背景", "不循环",
  "专辑视频（每首歌一个章节）", "不要章节",
  {"卡点剪辑（随节奏切换）", "卡点剪辑（每拍切换）", "卡点剪辑（每两拍切换）",
      "卡点剪辑（每小节切换）", "卡点剪辑（按音乐能量切换）"},
  "不卡点",
  "背景音乐音量 {}%", "音乐全音量",
  "保留视频原声", "视频原声静音",
  "视频有声音时压低音乐", "不压低音乐",
  "竖屏 {}", "方形 {}", "横屏 {}", "（适合{}）",
  "时长 {}",
  "歌曲从 {} 开始",
  "淡入 {}", "淡出 {}", "淡入淡出 {}",
  "不淡入", "不淡出", "不淡入淡出",
  "响度调整到 {} LUFS",
  {"歌词", "逐行歌词", "卡拉OK 歌词（唱到的字高亮）"},
  "不显示歌词",
  {"超过 4K 的输出（最高 2160p）", "3D 动画",
        "歌词（没有提供歌词：请把 lyrics-uri 设为 LRC、SRT 或 WebVTT 文件，"
        "或连接 lyrics pad）",
        "AI 生成画面（只使用你的封面和视频）", "更改或去除歌手的声音",
        "语音字幕", "上传或发布（生成的 MP4 请自行发布）",
      "音乐音量超过 100%"},
  zh_platforms,
  "使用整首歌的长度", "使用视频片段的长度",
  "音乐节拍对齐视频的剪辑点", "音乐不移动",
  {NULL, "不要脉冲", "强拍缩放脉冲", "强拍闪白"},
  "镜头之间交叉淡化", "硬切",
};

/* @template with its "{}" replaced by @value (the templates are data, so
 * not printf formats). */
static gchar *
fill (const gchar * template, const gchar * value)
{
  const gchar *hole = strstr (template, "{}");

  if (hole == NULL)
    return g_strdup (template);
  return g_strdup_printf ("%.*s%s%s", (gint) (hole - template), template,
      value, hole + 2);
}

static const gchar *
platform_name (const Language * lang, const gchar * platform)
{
  guint i;

  for (i = 0; lang->platforms && lang->platforms[i]; i += 2)
    if (strcmp (lang->platforms[i], platform) == 0)
      return lang->platforms[i + 1];
  return platform;
}

/* "60 seconds", "3 minutes", "1 minute 30 seconds", "1.5 seconds"; in
 * Chinese "60 秒", "3 分钟", "1 分 30 秒". */
static gchar *
format_length (const Language * lang, gint64 ms)
{
  gboolean zh = lang == &chinese;
  gint64 minutes = ms / 60000, seconds = (ms % 60000) / 1000;
  GString *text = g_string_new (NULL);

  if (ms % 1000 != 0) {
    g_string_append_printf (text, zh ? "%.1f 秒" : "%.1f seconds", ms / 1000.0);
    return g_string_free (text, FALSE);
  }
  if (minutes > 0 && zh)
    g_string_append_printf (text, seconds ? "%" G_GINT64_FORMAT " 分 " :
        "%" G_GINT64_FORMAT " 分钟", minutes);
  else if (minutes > 0)
    g_string_append_printf (text, "%" G_GINT64_FORMAT " minute%s%s", minutes,
        minutes == 1 ? "" : "s", seconds ? " " : "");
  if (seconds > 0 || minutes == 0)
    g_string_append_printf (text, zh ? "%" G_GINT64_FORMAT " 秒" :
        "%" G_GINT64_FORMAT " second%s", seconds, seconds == 1 ? "" : "s");
  return g_string_free (text, FALSE);
}

gchar *
nemo_intent_format_clock (gint64 ms)
{
  gint64 s = ms / 1000;

  if (ms % 1000 != 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT
        ".%03" G_GINT64_FORMAT, s / 60, s % 60, ms % 1000);
  if (s >= 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT
        ":%02" G_GINT64_FORMAT, s / 3600, s / 60 % 60, s % 60);
  return g_strdup_printf ("%" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT,
      s / 60, s % 60);
}

/* Short lengths, for fades: "1 s", "0.5 s" / "1 秒". */
static gchar *
format_short (const Language * lang, gint ms)
{
  const gchar *unit = lang == &chinese ? "秒" : "s";

  if (ms % 1000 == 0)
    return g_strdup_printf ("%d %s", ms / 1000, unit);
  return g_strdup_printf ("%.1f %s", ms / 1000.0, unit);
}

static void
add_item (GPtrArray * items, gchar * item)
{
  g_ptr_array_add (items, item);
}

static void
describe_track_info (const NemoIntent * intent, const Language * lang,
    GPtrArray * items)
{
  GString *text;

  if (intent->track_info == NEMO_INTENT_OFF) {
    add_item (items, g_strdup (lang->no_track_info));
    return;
  }
  if (intent->track_info != NEMO_INTENT_ON)
    return;
  text = g_string_new (lang->place[intent->track_info_place]);
  g_string_replace (text, "{}", lang->track_info, 1);
  if (intent->track_info_fade_ms > 0) {
    g_autofree gchar *length = format_short (lang, intent->track_info_fade_ms);
    g_autofree gchar *fade = fill (lang->title_fade, length);

    g_string_append (text, fade);
  }
  add_item (items, g_string_free (text, FALSE));
}

static void
describe_shape (const NemoIntent * intent, const Language * lang,
    GPtrArray * items)
{
  guint w = 0, h = 0;
  const gchar *format;
  GString *text;

  if (intent->aspect_ratio == NULL)
    return;
  sscanf (intent->aspect_ratio, "%u:%u", &w, &h);
  format = w < h ? lang->vertical : w == h ? lang->square : lang->horizontal;
  text = g_string_new (format);
  g_string_replace (text, "{}", intent->aspect_ratio, 1);
  if (intent->platform) {
    g_autofree gchar *platform = fill (lang->for_platform,
        platform_name (lang, intent->platform));

    g_string_append (text, platform);
  }
  add_item (items, g_string_free (text, FALSE));
}

static void
describe_fades (const NemoIntent * intent, const Language * lang,
    GPtrArray * items)
{
  gint in = intent->fade_in_ms, out = intent->fade_out_ms;

  if (in == 0 && out == 0) {
    add_item (items, g_strdup (lang->no_fades));
    return;
  }
  if (in > 0 && in == out) {
    g_autofree gchar *length = format_short (lang, in);

    add_item (items, fill (lang->fade_both, length));
    return;
  }
  if (in > 0) {
    g_autofree gchar *length = format_short (lang, in);

    add_item (items, fill (lang->fade_in, length));
  } else if (in == 0) {
    add_item (items, g_strdup (lang->no_fade_in));
  }
  if (out > 0) {
    g_autofree gchar *length = format_short (lang, out);

    add_item (items, fill (lang->fade_out, length));
  } else if (out == 0) {
    add_item (items, g_strdup (lang->no_fade_out));
  }
}

/* Lyrics asked for and not given are the limit's to say. */
static void
describe_lyrics (const NemoIntent * intent, const Language * lang,
    GPtrArray * items)
{
  guint i;

  for (i = 0; i < intent->could_not->len; i++)
    if (g_array_index (intent->could_not, NemoLimit, i) == NEMO_LIMIT_LYRICS)
      return;
  if (intent->lyrics == NEMO_INTENT_ON)
    add_item (items, g_strdup (lang->lyrics[intent->lyrics_style]));
  else if (intent->lyrics == NEMO_INTENT_OFF)
    add_item (items, g_strdup (lang->no_lyrics));
}

static void
add_switch (GPtrArray * items, NemoIntentSwitch value, const gchar * on,
    const gchar * off)
{
  if (value == NEMO_INTENT_ON)
    add_item (items, g_strdup (on));
  else if (value == NEMO_INTENT_OFF)
    add_item (items, g_strdup (off));
}

/* What was understood, in a fixed order (not the prompt's). */
static GPtrArray *
understood_items (const NemoIntent * intent, const Language * lang)
{
  GPtrArray *items = g_ptr_array_new_with_free_func (g_free);

  if (intent->visualizer != NEMO_VISUALIZER_UNSET)
    add_item (items, g_strdup (lang->visualizer[intent->visualizer]));
  describe_track_info (intent, lang, items);
  add_switch (items, intent->loop, lang->loop, lang->no_loop);
  add_switch (items, intent->album, lang->album, lang->no_chapters);
  add_switch (items, intent->beat_sync, lang->cut[intent->cut],
      lang->no_beat_sync);
  if (intent->bgm == NEMO_INTENT_ON) {
    g_autofree gchar *percent = g_strdup_printf ("%d", intent->bgm_percent);

    add_item (items, fill (lang->bgm, percent));
  }
  else if (intent->bgm == NEMO_INTENT_OFF)
    add_item (items, g_strdup (lang->no_bgm));
  add_switch (items, intent->keep_clip_audio, lang->keep_audio,
      lang->mute_audio);
  add_switch (items, intent->ducking, lang->ducking, lang->no_ducking);
  add_switch (items, intent->music_to_cuts, lang->music_to_cuts,
      lang->no_music_to_cuts);
  add_switch (items, intent->song_length, lang->song_length,
      lang->clip_length);
  if (intent->pulse != NEMO_PULSE_UNSET)
    add_item (items, g_strdup (lang->pulse[intent->pulse]));
  add_switch (items, intent->crossfade, lang->crossfade, lang->no_crossfade);
  describe_shape (intent, lang, items);
  if (intent->resolution > 0)
    add_item (items, g_strdup_printf ("%dp", intent->resolution));
  if (intent->duration_ms > 0) {
    g_autofree gchar *length = format_length (lang, intent->duration_ms);

    add_item (items, fill (lang->length, length));
  }
  if (intent->start_ms >= 0) {
    g_autofree gchar *clock = nemo_intent_format_clock (intent->start_ms);

    add_item (items, fill (lang->start, clock));
  }
  describe_fades (intent, lang, items);
  describe_lyrics (intent, lang, items);
  if (!isnan (intent->loudness_lufs)) {
    gchar lufs[G_ASCII_DTOSTR_BUF_SIZE];

    g_ascii_formatd (lufs, sizeof (lufs), "%g", intent->loudness_lufs);
    add_item (items, fill (lang->loudness, lufs));
  }
  return items;
}

static void
append_list (GString * text, const Language * lang, const gchar * lead,
    GPtrArray * items)
{
  guint i;

  if (text->len > 0 && lang == &english)
    g_string_append_c (text, ' ');
  g_string_append (text, lead);
  for (i = 0; i < items->len; i++) {
    if (i > 0)
      g_string_append (text, lang->separator);
    g_string_append (text, g_ptr_array_index (items, i));
  }
  g_string_append (text, lang->full_stop);
}

gchar *
nemo_intent_describe (const NemoIntent * intent, const gchar * language)
{
  const Language *lang = language && g_ascii_strncasecmp (language, "zh",
      2) == 0 ? &chinese : &english;
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (GPtrArray) limits = g_ptr_array_new ();
  GString *text = g_string_new (NULL);
  guint i;

  g_return_val_if_fail (intent != NULL, NULL);

  items = understood_items (intent, lang);
  for (i = 0; i < intent->could_not->len; i++)
    g_ptr_array_add (limits, (gpointer) lang->limit[g_array_index
            (intent->could_not, NemoLimit, i)]);

  if (items->len > 0)
    append_list (text, lang, lang->understood, items);
  else
    g_string_append (text, lang->default_video);
  if (limits->len > 0)
    append_list (text, lang, lang->could_not, limits);
  return g_string_free (text, FALSE);
}
