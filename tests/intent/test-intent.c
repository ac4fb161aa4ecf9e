/* Tests for the intent module: prompts in English and Chinese → the fields
 * understood, the reply sentence, and the edits of a draft.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/intent.h>

#include <math.h>
#include <string.h>

/* The fields an intent sets, in a fixed order, as "key=value" words; unset
 * fields are left out, so a row of the table states everything. */
static gchar *
intent_fields (const NemoIntent * intent)
{
  static const gchar *const visualizers[] =
      { NULL, "none", "spectrum", "waveform", "circle" };
  static const gchar *const places[] = { NULL, "top", "bottom", "center",
    "top-left", "top-right", "bottom-left", "bottom-right"
  };
  static const gchar *const cuts[] = { NULL, "beat", "2beats", "bar", "energy" };
  static const gchar *const pulses[] = { NULL, "none", "zoom", "flash" };
  static const gchar *const limits[] = { "above-4k", "3d", "lyrics", "ai",
    "voice", "captions", "publish", "loud"
  };
  GString *out = g_string_new (NULL);
  guint i;

#define SWITCH(name, value) \
  if ((value) != NEMO_INTENT_UNSET) \
    g_string_append_printf (out, " " name "=%s", \
        (value) == NEMO_INTENT_ON ? "on" : "off")

  if (intent->visualizer)
    g_string_append_printf (out, " vis=%s", visualizers[intent->visualizer]);
  SWITCH ("info", intent->track_info);
  if (intent->track_info_place)
    g_string_append_printf (out, " place=%s", places[intent->track_info_place]);
  if (intent->track_info_fade_ms >= 0)
    g_string_append_printf (out, " info_fade=%d", intent->track_info_fade_ms);
  SWITCH ("loop", intent->loop);
  SWITCH ("album", intent->album);
  SWITCH ("beat", intent->beat_sync);
  if (intent->cut)
    g_string_append_printf (out, " cut=%s", cuts[intent->cut]);
  if (intent->bgm == NEMO_INTENT_ON)
    g_string_append_printf (out, " bgm=%d", intent->bgm_percent);
  else if (intent->bgm == NEMO_INTENT_OFF)
    g_string_append (out, " bgm=off");
  SWITCH ("keep", intent->keep_clip_audio);
  SWITCH ("duck", intent->ducking);
  if (intent->aspect_ratio)
    g_string_append_printf (out, " ar=%s", intent->aspect_ratio);
  if (intent->platform)
    g_string_append_printf (out, " platform=%s", intent->platform);
  if (intent->preset)
    g_string_append_printf (out, " preset=%s", intent->preset);
  if (intent->resolution)
    g_string_append_printf (out, " res=%d", intent->resolution);
  if (intent->duration_ms)
    g_string_append_printf (out, " dur=%" G_GINT64_FORMAT, intent->duration_ms);
  if (intent->start_ms >= 0)
    g_string_append_printf (out, " start=%" G_GINT64_FORMAT, intent->start_ms);
  if (intent->fade_in_ms >= 0)
    g_string_append_printf (out, " fade_in=%d", intent->fade_in_ms);
  if (intent->fade_out_ms >= 0)
    g_string_append_printf (out, " fade_out=%d", intent->fade_out_ms);
  if (!isnan (intent->loudness_lufs))
    g_string_append_printf (out, " lufs=%.1f", intent->loudness_lufs);
  SWITCH ("lyrics", intent->lyrics);
  if (intent->lyrics_style)
    g_string_append_printf (out, " lyrics_style=%s",
        intent->lyrics_style == NEMO_LYRICS_STYLE_KARAOKE ? "karaoke" :
        "lines");
  SWITCH ("song_length", intent->song_length);
  SWITCH ("to_cuts", intent->music_to_cuts);
  SWITCH ("xfade", intent->crossfade);
  if (intent->pulse)
    g_string_append_printf (out, " pulse=%s", pulses[intent->pulse]);
  for (i = 0; i < intent->could_not->len; i++)
    g_string_append_printf (out, "%s%s", i ? "," : " no=",
        limits[g_array_index (intent->could_not, NemoLimit, i)]);
#undef SWITCH

  if (out->len > 0)
    g_string_erase (out, 0, 1);
  return g_string_free (out, FALSE);
}

typedef struct
{
  const gchar *prompt;
  const gchar *fields;
} PromptCase;

static const PromptCase english_prompts[] = {
  /* issue 4 and the skills' requests (docs/protocol.md, What users ask for) */
  {"create a looping music video with visualizer and track info overlay",
      "vis=spectrum info=on loop=on"},
  {"vertical 9:16 for Shorts, spectrum bars, title at the top",
      "vis=spectrum info=on place=top ar=9:16 platform=Shorts preset=shorts"},
  {"sync the clips to the beat", "beat=on"},
  {"add background music at 35% and keep the clip's own sound",
      "bgm=35 keep=on"},
  {"add background music to a travel video and sync it to the cuts",
      "bgm=35 to_cuts=on"},
  {"background music for my clip, sync the music to the scene changes",
      "bgm=35 to_cuts=on"},
  {"sync to the cuts but cut every bar", "beat=on cut=bar to_cuts=on"},
  {"background music for the whole song", "bgm=35 song_length=on"},
  {"add bgm, make it as long as the song", "bgm=35 song_length=on"},
  {"background music, not the full song", "bgm=35 song_length=off"},
  {"配乐，整首歌，对齐剪辑点", "bgm=35 song_length=on to_cuts=on"},
  {"sync to the beat with a pulse on the beat", "beat=on pulse=zoom"},
  {"a cover video that zooms on the beat", "pulse=zoom"},
  {"pulse on the beat", "pulse=zoom"},
  {"sync the clips to the beat with crossfades", "beat=on xfade=on"},
  {"beat sync, cross-dissolve between shots", "beat=on xfade=on"},
  {"beat sync, hard cuts", "beat=on xfade=off"},
  {"sync to the beat, no crossfade", "beat=on xfade=off"},
  {"卡点，叠化转场", "beat=on xfade=on"},
  {"the cover pulses to the beat, with spectrum bars", "vis=spectrum pulse=zoom"},
  {"flash on the beat", "pulse=flash"},
  {"cut every bar, no pulse", "beat=on cut=bar pulse=none"},
  {"卡点，随节拍缩放", "beat=on pulse=zoom"},
  {"每拍闪白", "beat=on cut=beat pulse=flash"},
  {"create a 3-minute YouTube audio track with album art image into a 1080p MP4",
      "ar=16:9 platform=YouTube preset=youtube res=1080 dur=180000"},
  {"create a video with visuals synced to this music track", "beat=on"},
  {"sync visuals to the beat and generate a music video", "beat=on"},
  /* nothing to do */
  {"", ""},
  {"   ", ""},
  {"make it pretty please, my grandma will love it", ""},
  {"make an 80s style video", ""},
  /* visualizers */
  {"no visualizer", "vis=none"},
  {"visualiser off", "vis=none"},
  {"circular bars around the cover", "vis=circle"},
  {"a circular waveform", "vis=circle"},
  {"WAVEFORM at the bottom", "vis=waveform"},
  {"an audio-reactive equalizer", "vis=spectrum"},
  {"spectrum bars, no waveform", "vis=spectrum"},
  {"TikTok video with sidebars", "ar=9:16 platform=TikTok preset=tiktok"},
  /* track info, places, negations */
  {"without text", "info=off"},
  {"spectrum bars but no title", "vis=spectrum info=off"},
  {"no text, just a waveform", "vis=waveform info=off"},
  {"don't add a visualizer and put the title at the bottom",
      "vis=none info=on place=bottom"},
  {"no title or visualizer", "vis=none info=off"},
  {"track info in the top-left corner", "info=on place=top-left"},
  {"title and artist centered that fades in",
      "info=on place=center info_fade=500"},
  {"TITLE AT THE TOP!!! Spectrum.", "vis=spectrum info=on place=top"},
  {"the song \"No Sleep Till Brooklyn\" with a visualizer", "vis=spectrum"},
  {"with the text at the top and visualizer at the bottom",
      "vis=spectrum info=on place=top"},
  /* loop */
  {"loop the clip. Actually, no looping", "loop=off"},
  {"Don't loop", "loop=off"},
  /* albums: only "no chapters" turns it off; album art is not an album */
  {"full album video with chapters", "album=on"},
  {"a playlist video", "album=on"},
  {"playlist video, no chapters", "album=off"},
  {"album art with a spectrum", "vis=spectrum"},
  /* beat sync */
  {"cut every bar", "beat=on cut=bar"},
  {"beat sync, cut every 2 beats", "beat=on cut=2beats"},
  {"a cut on every other beat", "beat=on cut=2beats"},
  {"cuts by energy", "beat=on cut=energy"},
  {"don't sync to the beat", "beat=off"},
  /* audio */
  {"BGM 35%", "bgm=35"},
  {"background music at 20 percent", "bgm=20"},
  {"add background music", "bgm=35"},
  {"add background music, 25% volume", "bgm=25"},
  {"music at 50%, duck it under the voices", "bgm=50 duck=on"},
  {"mute the clips", "keep=off"},
  {"keep the original audio with ducking", "keep=on duck=on"},
  {"background music at 150%", "bgm=35 no=loud"},
  /* shape and size */
  {"square video for Instagram post", "ar=1:1 preset=instagram-feed"},
  {"Instagram portrait 4:5", "ar=4:5 platform=Instagram preset=instagram-feed"},
  {"vertical video for YouTube", "ar=9:16 preset=youtube"},
  {"YouTube Shorts", "ar=9:16 platform=Shorts preset=shorts"},
  {"landscape 720p", "ar=16:9 res=720"},
  {"21:9 cinematic", "ar=21:9"},
  {"1080x1920", "ar=9:16 res=1080"},
  {"3840 × 2160", "ar=16:9 res=2160"},
  {"7680x4320", "ar=16:9 no=above-4k"},
  {"ratio 1:30", ""},
  {"Full HD", "res=1080"},
  {"HD please", "res=720"},
  /* length and fades */
  {"start at 1:05", "start=65000"},
  {"from 0:45, vertical", "ar=9:16 start=45000"},
  {"the chorus at 0:45 for Shorts",
      "ar=9:16 platform=Shorts preset=shorts start=45000"},
  {"starting 30 seconds in, 60 seconds long", "dur=60000 start=30000"},
  {"start at 1:02:03", "start=3723000"},
  {"9:16, start at 1:05", "ar=9:16 start=65000"},
  {"a 60-second clip for Reels", "ar=9:16 platform=Reels preset=reels dur=60000"},
  {"60 seconds", "dur=60000"},
  {"one minute", "dur=60000"},
  {"half a minute", "dur=30000"},
  {"30s teaser", "dur=30000"},
  {"1 minute 30 seconds, fade in and out",
      "dur=90000 fade_in=1000 fade_out=1000"},
  {"fade out over 3 seconds", "fade_out=3000"},
  {"a 2-second fade in, 45 second video", "dur=45000 fade_in=2000"},
  {"no fades", "fade_in=0 fade_out=0"},
  /* loudness: a target is below 0 LUFS, minus sign or not */
  {"normalize", "lufs=-14.0"},
  {"normalise the loudness", "lufs=-14.0"},
  {"loudness normalization please", "lufs=-14.0"},
  {"-14 LUFS", "lufs=-14.0"},
  {"14 LUFS", "lufs=-14.0"},
  {"loudness -16", "lufs=-16.0"},
  {"loudness 16", "lufs=-16.0"},
  {"at -16 LUFS", "lufs=-16.0"},
  {"normalize to -16 LUFS", "lufs=-16.0"},
  {"-16 LUFS, normalized", "lufs=-16.0"},
  {"loudness to -14.5 LKFS", "lufs=-14.5"},
  {"music at 50%, loudness -16", "bgm=50 lufs=-16.0"},
  {"don't normalize", ""},
  {"loudness 120", ""},
  {"loudness", ""},
  /* what we cannot do */
  {"make it 4K", "res=2160"},
  {"2K, no more", "res=1440"},
  {"in 8K", "no=above-4k"},
  {"add subtitles of the lyrics", "lyrics=on no=lyrics"},
  {"add lyrics and change the singer's voice", "lyrics=on no=lyrics,voice"},
  /* lyrics: a limit until the caller has some (nemo_intent_lyrics_given) */
  {"make a lyric video", "lyrics=on lyrics_style=lines no=lyrics"},
  {"karaoke style, 9:16", "ar=9:16 lyrics=on lyrics_style=karaoke no=lyrics"},
  {"sing along with the words line by line",
      "lyrics=on lyrics_style=lines no=lyrics"},
  {"no lyrics, spectrum bars", "vis=spectrum lyrics=off"},
  {"without the lyrics", "lyrics=off"},
  {"a KTV video with lyrics text", "lyrics=on lyrics_style=karaoke no=lyrics"},
  {"AI-generated 3D visuals in 2160p", "res=2160 no=ai,3d"},
  {"not 4K, 1080p is fine", "res=1080"},
  {"upload it to YouTube when done", "ar=16:9 platform=YouTube preset=youtube no=publish"},
};

static const PromptCase chinese_prompts[] = {
  {"竖屏，频谱，标题在顶部", "vis=spectrum info=on place=top ar=9:16"},
  {"抖音视频，加上歌名", "info=on ar=9:16 platform=Douyin"},
  {"快手 竖屏 波形", "vis=waveform ar=9:16 platform=Kuaishou"},
  {"横屏 1080P 圆形可视化", "vis=circle ar=16:9 res=1080"},
  {"B站横屏视频", "ar=16:9 platform=Bilibili"},
  {"9比16", "ar=9:16"},
  {"60秒的方形视频", "ar=1:1 dur=60000"},
  {"背景音乐 35%", "bgm=35"},
  {"背景音乐音量百分之二十，保留原声", "bgm=20 keep=on"},
  {"配乐", "bgm=35"},
  {"保留原声并自动闪避", "keep=on duck=on"},
  {"不要字幕", "info=off"},
  {"字幕不要", "info=off"},
  {"我不要可视化，只要歌名在上面", "vis=none info=on place=top"},
  {"不要可视化", "vis=none"},
  {"不要字幕和可视化", "vis=none info=off"},
  {"不要字幕，要频谱", "vis=spectrum info=off"},
  {"字幕放在左下角", "info=on place=bottom-left"},
  {"卡点视频，每小节切换", "beat=on cut=bar"},
  {"跟着节拍踩点", "beat=on"},
  {"每两拍切一次", "beat=on cut=2beats"},
  {"按能量卡点", "beat=on cut=energy"},
  {"不要循环", "loop=off"},
  {"无缝循环播放", "loop=on"},
  {"整张专辑视频，每首歌一个章节", "album=on"},
  {"歌单视频，不要章节", "album=off"},
  {"一分钟", "dur=60000"},
  {"三十秒", "dur=30000"},
  {"从1分05秒开始", "start=65000"},
  {"从0:45开始，竖屏", "ar=9:16 start=45000"},
  {"一分半的抖音", "ar=9:16 platform=Douyin dur=90000"},
  {"淡入淡出", "fade_in=1000 fade_out=1000"},
  {"淡入2秒", "fade_in=2000"},
  {"这首歌十分好听", ""},
  {"4K超高清", "res=2160"},
  {"加歌词", "lyrics=on no=lyrics"},
  {"卡拉OK 歌词", "lyrics=on lyrics_style=karaoke no=lyrics"},
  {"歌词视频", "lyrics=on lyrics_style=lines no=lyrics"},
  {"不要歌词", "lyrics=off"},
  {"AI生成画面", "no=ai"},
  {"背景音乐１５％", "bgm=15"},
  {"响度标准化", "lufs=-14.0"},
  {"响度-14", "lufs=-14.0"},
  {"响度为-16 LUFS", "lufs=-16.0"},
  {"竖屏，响度16", "ar=9:16 lufs=-16.0"},
  {"标准化响度", "lufs=-14.0"},
};

static const PromptCase mixed_prompts[] = {
  {"vertical 竖屏 with 频谱 and title at the top",
      "vis=spectrum info=on place=top ar=9:16"},
  {"TikTok 卡点, every bar", "beat=on cut=bar ar=9:16 platform=TikTok preset=tiktok"},
  {"背景音乐 at 30% and 保留原声", "bgm=30 keep=on"},
  {"no 字幕, 波形 please", "vis=waveform info=off"},
};

static void
check_prompts (const PromptCase * cases, guint n)
{
  guint failures = 0, i;

  for (i = 0; i < n; i++) {
    g_autoptr (NemoIntent) intent = nemo_intent_parse (cases[i].prompt);
    g_autofree gchar *fields = intent_fields (intent);

    if (g_strcmp0 (fields, cases[i].fields) != 0) {
      g_printerr ("prompt “%s”: got “%s”, expected “%s”\n", cases[i].prompt,
          fields, cases[i].fields);
      failures++;
    }
  }
  g_assert_cmpuint (failures, ==, 0);
}

static void
test_english (void)
{
  g_assert_cmpuint (G_N_ELEMENTS (english_prompts), >=, 40);
  check_prompts (english_prompts, G_N_ELEMENTS (english_prompts));
}

static void
test_chinese (void)
{
  g_assert_cmpuint (G_N_ELEMENTS (chinese_prompts), >=, 20);
  check_prompts (chinese_prompts, G_N_ELEMENTS (chinese_prompts));
}

static void
test_mixed (void)
{
  check_prompts (mixed_prompts, G_N_ELEMENTS (mixed_prompts));
}

static void
test_null_prompt (void)
{
  g_autoptr (NemoIntent) intent = nemo_intent_parse (NULL);
  g_autofree gchar *fields = intent_fields (intent);

  g_assert_cmpstr (fields, ==, "");
}

/* Anything at all parses, and describes, without failing. */
static void
test_unknown_words (void)
{
  static const gchar *const prompts[] = {
    "asdf qwerty %%% ::: 999999999999999999999999 p k s",
    "\xff\xfe invalid \xc3 utf-8 \xe4\xb8",
    "“unclosed quote and a visualizer",
    "9:::16 :::: %%%% 1e999 seconds -5 seconds 0 seconds",
    "🎵🎶 emoji everywhere 🎸 ✨",
    "every every every beat beat beat no no no not not",
    "百分之 分钟 秒 比 十十十 百百",
  };
  g_autoptr (GString) long_prompt = g_string_new (NULL);
  guint i;

  for (i = 0; i < 2000; i++)
    g_string_append (long_prompt, "lorem ipsum 不要 sync ~ * ");
  for (i = 0; i <= G_N_ELEMENTS (prompts); i++) {
    const gchar *prompt = i < G_N_ELEMENTS (prompts) ? prompts[i] :
        long_prompt->str;
    g_autoptr (NemoIntent) intent = nemo_intent_parse (prompt);
    g_autofree gchar *en = nemo_intent_describe (intent, "en");
    g_autofree gchar *zh = nemo_intent_describe (intent, "zh_CN");

    g_assert_true (g_utf8_validate (en, -1, NULL));
    g_assert_true (g_utf8_validate (zh, -1, NULL));
    g_assert_cmpuint (strlen (en), >, 0);
  }
}

typedef struct
{
  const gchar *prompt, *language, *sentence;
} DescribeCase;

static const DescribeCase sentences[] = {
  {"vertical 9:16 for Shorts, spectrum bars, title at the top", "en",
      "Understood: spectrum bars, track info at the top, vertical 9:16 for "
        "Shorts."},
  {"vertical 9:16 for Shorts, spectrum bars, title at the top, in 4K", "en",
        "Understood: spectrum bars, track info at the top, vertical 9:16 for "
        "Shorts, 2160p."},
  {"vertical 9:16 for Shorts, spectrum bars, title at the top, in 4K",
        "zh_CN",
        "已理解：频谱条、歌曲信息在顶部、竖屏 9:16（适合Shorts）、2160p。"},
  {"vertical 9:16 for Shorts in 8K", "en",
        "Understood: vertical 9:16 for Shorts. Could not do: output over 4K "
        "(2160p is the maximum)."},
  {"create a looping music video with visualizer and track info overlay",
      "en", "Understood: spectrum bars, track info, a looping background."},
  {"add background music at 35% and keep the clip's own sound", "en",
      "Understood: background music at 35%, the clips' own sound kept."},
  {"sync the clips to the beat, every bar", "en",
      "Understood: beat-synced cuts on every bar."},
  {"a 90-second video with a 2-second fade in and out", "en",
      "Understood: 1 minute 30 seconds long, a 2 s fade in and out."},
  {"一分半的抖音，淡出", "zh",
      "已理解：竖屏 9:16（适合抖音）、时长 1 分 30 秒、淡出 1 秒。"},
  {"add lyrics", "en",
        "Making the default video: the cover over a blurred fill, with the "
        "full song. Could not do: lyrics (none were given: set lyrics-uri "
        "to an LRC, SRT or WebVTT file, or link the lyrics pad)."},
  {"no lyrics", "en", "Understood: no lyrics."},
  {"", "en",
      "Making the default video: the cover over a blurred fill, with the full "
        "song."},
  {"", "zh", "将制作默认视频：封面叠在模糊背景上，使用完整歌曲。"},
  {"normalize the loudness", "en",
      "Understood: loudness brought to -14 LUFS."},
  {"fade out, loudness -16.5", "en",
      "Understood: a 1 s fade out, loudness brought to -16.5 LUFS."},
  {"响度标准化", "zh", "已理解：响度调整到 -14 LUFS。"},
  {"no visualizer, without text", NULL,
      "Understood: no visualizer, no track info."},
};

static void
test_describe (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sentences); i++) {
    g_autoptr (NemoIntent) intent = nemo_intent_parse (sentences[i].prompt);
    g_autofree gchar *sentence = nemo_intent_describe (intent,
        sentences[i].language);

    g_assert_cmpstr (sentence, ==, sentences[i].sentence);
  }
}

/* With lyrics given, the words that asked for them are understood. */
static void
test_describe_lyrics_given (void)
{
  static const struct
  {
    const gchar *prompt, *language, *sentence;
  } given[] = {
    {"karaoke, vertical", "en", "Understood: vertical 9:16, karaoke lyrics, "
          "each word lit as it is sung."},
    {"a lyric video", "en", "Understood: the lyrics line by line."},
    {"add the lyrics", "en", "Understood: the lyrics."},
    {"卡拉OK", "zh", "已理解：卡拉OK 歌词（唱到的字高亮）。"},
    {"歌词视频", "zh", "已理解：逐行歌词。"},
    {"spectrum bars", "en", "Understood: spectrum bars."},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (given); i++) {
    g_autoptr (NemoIntent) intent = nemo_intent_parse (given[i].prompt);
    g_autofree gchar *sentence = NULL;

    nemo_intent_lyrics_given (intent);
    g_assert_cmpuint (intent->could_not->len, ==, 0);
    sentence = nemo_intent_describe (intent, given[i].language);
    g_assert_cmpstr (sentence, ==, given[i].sentence);
  }
}

/* Drafts ---------------------------------------------------------------- */

/* The draft nemo_job_build_draft() makes for one cover and a 185 s song. */
static NemoDraft *
cover_draft (gboolean with_tags)
{
  NemoDraft *draft = nemo_draft_new ();
  NemoTrack *video = nemo_draft_add_track (draft, NEMO_TRACK_VIDEO);
  NemoTrack *audio = nemo_draft_add_track (draft, NEMO_TRACK_AUDIO);
  NemoSegment *cover = nemo_track_add_segment (video, NEMO_SEGMENT_STILL);
  NemoSegment *song = nemo_track_add_segment (audio, NEMO_SEGMENT_MUSIC);

  draft->duration_ms = 185000;
  cover->source = g_strdup ("/media/cover.jpg");
  cover->name = g_strdup ("cover");
  cover->loop = TRUE;
  song->source = g_strdup ("/media/song.mp3");
  song->name = g_strdup ("Midnight City");
  if (with_tags) {
    nemo_draft_set_meta_string (draft, "title", "Midnight City");
    nemo_draft_set_meta_string (draft, "artist", "M83");
  }
  nemo_draft_set_meta_int (draft, "w", 1920);
  nemo_draft_set_meta_int (draft, "h", 1080);
  nemo_draft_set_meta_int (draft, "fps_n", 30);
  nemo_draft_set_meta_int (draft, "fps_d", 1);
  return draft;
}

/* Three clips of 40 s one after another, the last to the end. */
static NemoDraft *
clips_draft (void)
{
  NemoDraft *draft = cover_draft (TRUE);
  NemoTrack *video = g_ptr_array_index (draft->tracks, 0);
  guint i;

  g_ptr_array_set_size (video->segments, 0);
  for (i = 0; i < 3; i++) {
    NemoSegment *clip = nemo_track_add_segment (video, NEMO_SEGMENT_CLIP);

    clip->source = g_strdup_printf ("/media/clip%u.mp4", i);
    clip->name = g_strdup_printf ("clip%u", i);
    clip->start_ms = i * 40000;
    clip->duration_ms = i < 2 ? 40000 : -1;
  }
  return draft;
}

static NemoDraft *
apply_prompt (NemoDraft * draft, const gchar * prompt)
{
  g_autoptr (NemoIntent) intent = nemo_intent_parse (prompt);

  nemo_intent_apply (intent, draft);
  return draft;
}

static void
assert_summary (const NemoDraft * draft, const gchar * expected)
{
  g_autofree gchar *summary = nemo_draft_summary (draft);

  g_assert_cmpstr (summary, ==, expected);
}

static void
test_apply_shorts (void)
{
  g_autoptr (NemoDraft) draft = apply_prompt (cover_draft (TRUE),
      "vertical 9:16 for Shorts, spectrum bars, title at the top");
  g_autofree gchar *json = nemo_draft_to_string (draft, FALSE);

  g_assert_cmpstr (json, ==, "{\"t\":["
      "{\"tt\":0,\"sg\":[{\"k\":\"still\",\"st\":0,\"d\":-1,\"in\":0,"
      "\"v\":1.0,\"lp\":true,\"src\":\"/media/cover.jpg\",\"n\":\"cover\"}]},"
      "{\"tt\":0,\"sg\":[{\"k\":\"spectrum\",\"st\":0,\"d\":-1,\"in\":0,"
      "\"v\":1.0,\"lp\":false,\"n\":\"spectrum bars\"}]},"
      "{\"tt\":1,\"sg\":[{\"k\":\"music\",\"st\":0,\"d\":-1,\"in\":0,"
      "\"v\":1.0,\"lp\":false,\"src\":\"/media/song.mp3\","
      "\"n\":\"Midnight City\"}]},"
      "{\"tt\":7,\"sg\":[{\"k\":\"title\",\"st\":0,\"d\":-1,\"in\":0,"
      "\"v\":1.0,\"lp\":false,\"tx\":\"Midnight City — M83\","
      "\"sty\":{\"place\":\"top\"}}]}],"
      "\"d\":185000,"
      "\"m\":{\"title\":\"Midnight City\",\"artist\":\"M83\",\"w\":1080,"
      "\"h\":1920,\"fps_n\":30,\"fps_d\":1,\"ar\":\"9:16\"}}");
  assert_summary (draft, "Timeline (4 tracks): 1. Video: cover (0-185s) "
      "2. Video: spectrum bars (0-185s) 3. Music: Midnight City (0-185s) "
      "4. Title: \"Midnight City — M83\" (0-185s)");
}

static void
test_apply_bgm (void)
{
  g_autoptr (NemoDraft) draft = apply_prompt (clips_draft (),
      "add background music at 35% and keep the clip's own sound, ducking");
  NemoTrack *audio = nemo_draft_find_track (draft, NEMO_TRACK_AUDIO);
  NemoSegment *music = g_ptr_array_index (audio->segments, 0);

  g_assert_cmpstr (music->kind, ==, NEMO_SEGMENT_BGM);
  g_assert_cmpfloat_with_epsilon (music->volume, 0.35, 1e-9);
  g_assert_true (json_object_get_boolean_member (draft->meta,
          "keep_clip_audio"));
  g_assert_true (json_object_get_boolean_member (draft->meta, "ducking"));
  assert_summary (draft, "Timeline (2 tracks): 1. Video: clip0 (0-40s), "
      "clip1 (40-80s), clip2 (80-185s) 2. BGM: Midnight City (0-185s, 35%)");

  /* and back */
  apply_prompt (draft, "no background music");
  g_assert_cmpstr (music->kind, ==, NEMO_SEGMENT_MUSIC);
  g_assert_cmpfloat (music->volume, ==, 1.0);
}

static void
test_apply_beat_sync (void)
{
  g_autoptr (NemoDraft) draft = apply_prompt (clips_draft (),
      "sync the clips to the beat");
  JsonObject *beat_sync = json_object_get_object_member (draft->meta,
      "beat_sync");

  g_assert_cmpstr (json_object_get_string_member (beat_sync, "cut"), ==,
      "tempo");
  apply_prompt (draft, "cut every bar");
  beat_sync = json_object_get_object_member (draft->meta, "beat_sync");
  g_assert_cmpstr (json_object_get_string_member (beat_sync, "cut"), ==, "bar");
  apply_prompt (draft, "no beat sync");
  g_assert_false (json_object_has_member (draft->meta, "beat_sync"));
}

static void
test_apply_duration_and_shape (void)
{
  g_autoptr (NemoDraft) draft = apply_prompt (clips_draft (),
      "a 60-second square video with a fade in and out");

  g_assert_cmpint (draft->duration_ms, ==, 60000);
  g_assert_cmpint (nemo_draft_get_meta_int (draft, "max_duration_ms", 0), ==,
      60000);
  g_assert_cmpint (nemo_draft_get_meta_int (draft, "w", 0), ==, 1080);
  g_assert_cmpint (nemo_draft_get_meta_int (draft, "h", 0), ==, 1080);
  g_assert_cmpstr (nemo_draft_get_meta_string (draft, "ar"), ==, "1:1");
  g_assert_cmpint (nemo_draft_get_meta_int (draft, "fade_in_ms", -1), ==, 1000);
  g_assert_cmpint (nemo_draft_get_meta_int (draft, "fade_out_ms", -1), ==,
      1000);
  assert_summary (draft, "Timeline (2 tracks): 1. Video: clip0 (0-40s), "
      "clip1 (40-60s) 2. Music: Midnight City (0-60s)");

  /* longer than the song: the song's length stays */
  apply_prompt (draft, "make it 5 minutes");
  g_assert_cmpint (draft->duration_ms, ==, 60000);
  g_assert_cmpint (nemo_draft_get_meta_int (draft, "max_duration_ms", 0), ==,
      300000);
}

static void
test_apply_sizes (void)
{
  static const struct
  {
    const gchar *prompt;
    gint w, h;
  } sizes[] = {
    {"1080p", 1920, 1080}, {"720p", 1280, 720},
    {"vertical", 1080, 1920}, {"9:16 720p", 720, 1280},
    {"square", 1080, 1080}, {"Instagram portrait", 1080, 1350},
    {"4:5 720p", 720, 900}, {"16:9", 1920, 1080}, {"21:9", 2520, 1080},
    {"4K", 3840, 2160}, {"vertical 4K", 2160, 3840}, {"2160p square", 2160,
        2160},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    g_autoptr (NemoDraft) draft = apply_prompt (cover_draft (TRUE),
        sizes[i].prompt);

    g_assert_cmpint (nemo_draft_get_meta_int (draft, "w", 0), ==, sizes[i].w);
    g_assert_cmpint (nemo_draft_get_meta_int (draft, "h", 0), ==, sizes[i].h);
  }
}

/* Circle and waveform are kinds of the same overlay segment; turning the
 * features off takes the tracks away again. */
static void
test_apply_again (void)
{
  const gchar *prompt =
      "a waveform, track info at the bottom that fades over 2 seconds";
  g_autoptr (NemoDraft) draft = cover_draft (TRUE);
  g_autofree gchar *before = nemo_draft_to_string (draft, FALSE);
  g_autofree gchar *once = NULL, *twice = NULL, *after = NULL;

  apply_prompt (draft, prompt);
  once = nemo_draft_to_string (draft, FALSE);
  apply_prompt (draft, prompt);
  twice = nemo_draft_to_string (draft, FALSE);
  g_assert_cmpstr (once, ==, twice);
  g_assert_nonnull (strstr (once,
          "\"sty\":{\"place\":\"bottom\",\"fade\":2000}"));

  apply_prompt (draft, "make it circular");
  assert_summary (draft, "Timeline (4 tracks): 1. Video: cover (0-185s) "
      "2. Video: circular spectrum (0-185s) 3. Music: Midnight City (0-185s) "
      "4. Title: \"Midnight City — M83\" (0-185s)");

  apply_prompt (draft, "no visualizer, no title");
  after = nemo_draft_to_string (draft, FALSE);
  g_assert_cmpstr (after, ==, before);
}

static void
test_apply_untouched (void)
{
  g_autoptr (NemoDraft) draft = clips_draft ();
  g_autofree gchar *before = nemo_draft_to_string (draft, FALSE);
  g_autofree gchar *after = NULL;

  apply_prompt (draft, "please make something nice, in 8K with lyrics");
  after = nemo_draft_to_string (draft, FALSE);
  g_assert_cmpstr (after, ==, before);
}

/* A lyric line on a text track of its own, as nemo_lyrics_add_to_draft()
 * makes it. */
static void
add_lyric_track (NemoDraft * draft)
{
  NemoTrack *text = nemo_draft_add_track (draft, NEMO_TRACK_TEXT);
  NemoSegment *line = nemo_track_add_segment (text, NEMO_SEGMENT_LYRIC);

  line->text = g_strdup ("la la");
  line->start_ms = 1000;
  line->duration_ms = 2000;
}

static void
test_apply_lyrics (void)
{
  g_autoptr (NemoDraft) karaoke = cover_draft (TRUE);
  g_autoptr (NemoDraft) none = cover_draft (TRUE);
  guint tracks;

  add_lyric_track (karaoke);
  apply_prompt (karaoke, "karaoke");
  g_assert_cmpstr (nemo_draft_get_meta_string (karaoke, "lyrics_style"), ==,
      "karaoke");
  g_assert_nonnull (nemo_draft_find_track (karaoke, NEMO_TRACK_TEXT));

  add_lyric_track (none);
  tracks = none->tracks->len;
  apply_prompt (none, "no lyrics");
  g_assert_cmpuint (none->tracks->len, ==, tracks - 1);
  g_assert_null (nemo_draft_find_track (none, NEMO_TRACK_TEXT));
  g_assert_null (nemo_draft_get_meta_string (none, "lyrics_style"));
}

static void
test_apply_loudness (void)
{
  g_autoptr (NemoDraft) draft = apply_prompt (cover_draft (TRUE),
      "normalise the loudness, -16 LUFS");

  g_assert_cmpfloat (json_object_get_double_member (draft->meta,
          "loudness_lufs"), ==, -16.0);
}

static void
test_apply_no_tags (void)
{
  g_autoptr (NemoDraft) draft = apply_prompt (cover_draft (FALSE),
      "track info at the top, looping");

  g_assert_null (nemo_draft_find_track (draft, NEMO_TRACK_TEXT));
  g_assert_true (json_object_get_boolean_member (draft->meta, "loop"));
}

/* A property set by the user wins: the caller resets the field. */
static void
test_property_wins (void)
{
  g_autoptr (NemoIntent) intent = nemo_intent_parse ("vertical, 720p");
  g_autoptr (NemoDraft) draft = cover_draft (TRUE);

  g_clear_pointer (&intent->aspect_ratio, g_free);
  nemo_intent_apply (intent, draft);
  g_assert_cmpint (nemo_draft_get_meta_int (draft, "w", 0), ==, 1280);
  g_assert_cmpint (nemo_draft_get_meta_int (draft, "h", 0), ==, 720);
  g_assert_null (nemo_draft_get_meta_string (draft, "ar"));
}

/* The language a prompt is written in; quoted titles do not count. */
static void
test_language (void)
{
  g_assert_cmpstr (nemo_intent_language ("做一个方形视频，加频谱"), ==, "zh");
  g_assert_cmpstr (nemo_intent_language ("做一个 Shorts 竖屏视频"), ==, "zh");
  g_assert_cmpstr (nemo_intent_language ("a square video with bars"), ==,
      "en");
  g_assert_cmpstr (nemo_intent_language ("title “夜曲” at the top"), ==,
      "en");
  g_assert_null (nemo_intent_language ("9:16"));
  g_assert_null (nemo_intent_language (NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/intent/prompts/english", test_english);
  g_test_add_func ("/intent/prompts/chinese", test_chinese);
  g_test_add_func ("/intent/prompts/mixed", test_mixed);
  g_test_add_func ("/intent/prompts/null", test_null_prompt);
  g_test_add_func ("/intent/prompts/unknown-words", test_unknown_words);
  g_test_add_func ("/intent/describe", test_describe);
  g_test_add_func ("/intent/describe/lyrics-given",
      test_describe_lyrics_given);
  g_test_add_func ("/intent/language", test_language);
  g_test_add_func ("/intent/apply/shorts", test_apply_shorts);
  g_test_add_func ("/intent/apply/bgm", test_apply_bgm);
  g_test_add_func ("/intent/apply/beat-sync", test_apply_beat_sync);
  g_test_add_func ("/intent/apply/duration-and-shape",
      test_apply_duration_and_shape);
  g_test_add_func ("/intent/apply/sizes", test_apply_sizes);
  g_test_add_func ("/intent/apply/again", test_apply_again);
  g_test_add_func ("/intent/apply/untouched", test_apply_untouched);
  g_test_add_func ("/intent/apply/no-tags", test_apply_no_tags);
  g_test_add_func ("/intent/apply/loudness", test_apply_loudness);
  g_test_add_func ("/intent/apply/lyrics", test_apply_lyrics);
  g_test_add_func ("/intent/apply/property-wins", test_property_wins);
  return g_test_run ();
}
