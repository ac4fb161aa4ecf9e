/* nemorender intent: what the prompt asks for, and the draft edits it makes.
 *
 * A deterministic keyword parser for English and Chinese prompts.  It never
 * fails: words it does not know are ignored, and requests it recognises but
 * cannot do ("8K", "AI-generated", lyrics without any) are kept in
 * @could_not for the reply.  docs/prompts.md lists what it understands.
 *
 * Every field has an unset state.  A caller whose user set a property
 * explicitly (aspect-ratio, width/height, max-duration...) resets the
 * matching field to unset before nemo_intent_apply(): the property wins.
 *
 * No FFmpeg, no HTTP in here: the draft module only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_INTENT_H
#define NEMO_INTENT_H

#include <nemo/draft.h>

G_BEGIN_DECLS

typedef enum
{
  NEMO_INTENT_UNSET = 0,
  NEMO_INTENT_OFF,
  NEMO_INTENT_ON,
} NemoIntentSwitch;

typedef enum
{
  NEMO_VISUALIZER_UNSET = 0,
  NEMO_VISUALIZER_NONE,
  NEMO_VISUALIZER_SPECTRUM,
  NEMO_VISUALIZER_WAVEFORM,
  NEMO_VISUALIZER_CIRCLE,
} NemoVisualizer;

typedef enum
{
  NEMO_PLACE_UNSET = 0,
  NEMO_PLACE_TOP,
  NEMO_PLACE_BOTTOM,
  NEMO_PLACE_CENTER,
  NEMO_PLACE_TOP_LEFT,
  NEMO_PLACE_TOP_RIGHT,
  NEMO_PLACE_BOTTOM_LEFT,
  NEMO_PLACE_BOTTOM_RIGHT,
} NemoPlace;

/* How often a beat-synced montage cuts. */
typedef enum
{
  NEMO_CUT_UNSET = 0,
  NEMO_CUT_BEAT,
  NEMO_CUT_2BEATS,
  NEMO_CUT_BAR,
  NEMO_CUT_ENERGY,
} NemoCut;

/* How lyrics look (docs/lyrics.md). */
typedef enum
{
  NEMO_LYRICS_STYLE_UNSET = 0,  /* the renderer's: karaoke with word times */
  NEMO_LYRICS_STYLE_LINES,      /* a lyric video: line by line */
  NEMO_LYRICS_STYLE_KARAOKE,    /* the words sung highlighted */
} NemoLyricsStyle;

/* A short kick of the picture on the strong beats. */
typedef enum
{
  NEMO_PULSE_UNSET = 0,
  NEMO_PULSE_NONE,
  NEMO_PULSE_ZOOM,
  NEMO_PULSE_FLASH,             /* brightness */
} NemoPulse;

/* The largest short side a prompt may ask for: 2160 ("4K", "2160p"). */
#define NEMO_INTENT_MAX_RESOLUTION 2160

/* Requests we recognise and cannot do. */
typedef enum
{
  NEMO_LIMIT_ABOVE_2160P,       /* 5K, 8K, 4320p...: over what we render */
  NEMO_LIMIT_3D,
  NEMO_LIMIT_LYRICS,             /* lyrics asked for, none given */
  NEMO_LIMIT_AI,                /* AI-generated pictures or video */
  NEMO_LIMIT_VOICE,             /* changing or removing the singer's voice */
  NEMO_LIMIT_CAPTIONS,          /* captions transcribed from speech */
  NEMO_LIMIT_PUBLISH,           /* uploading or posting the video */
  NEMO_LIMIT_LOUD,              /* music volume above 100% */
} NemoLimit;

typedef struct
{
  NemoVisualizer visualizer;
  NemoIntentSwitch track_info;  /* the "Title — Artist" overlay */
  NemoPlace track_info_place;
  gint track_info_fade_ms;      /* -1 unset */
  NemoIntentSwitch loop;        /* loop the background pictures/clips */
  NemoIntentSwitch album;       /* "full album video", "with chapters":
                                 * several songs, a chapter each; OFF: no
                                 * chapters */
  NemoIntentSwitch beat_sync;
  NemoCut cut;                  /* set only when the prompt says how often */
  NemoIntentSwitch bgm;         /* the music under the clips' own sound */
  gint bgm_percent;             /* 0-100 when @bgm is ON (35 if no number) */
  NemoIntentSwitch keep_clip_audio;
  NemoIntentSwitch ducking;
  gchar *aspect_ratio;          /* "W:H" (9:16, 1:1...), or NULL */
  gchar *platform;              /* "Shorts", "TikTok"... that asked for it, or NULL */
  gchar *preset;                /* the first platform named that has a preset
                                 * (docs/presets.md: "shorts", "tiktok"...),
                                 * whatever the shape, or NULL */
  gint resolution;              /* short side in pixels (720, 1080, 2160 for
                                 * "4K"), at most NEMO_INTENT_MAX_RESOLUTION;
                                 * 0 unset */
  gint64 duration_ms;           /* 0 unset */
  gint64 start_ms;              /* the song's in-point ("start at 1:05");
                                 * -1 unset */
  gint fade_in_ms, fade_out_ms; /* of the video; -1 unset, 0 no fade */
  NemoIntentSwitch lyrics;      /* show the lyrics (when there are any) */
  NemoLyricsStyle lyrics_style;
  gdouble loudness_lufs;        /* the sound's integrated loudness target,
                                 * below 0 ("normalize": -14); NAN unset */
  NemoIntentSwitch song_length; /* ON: the song's length, even over clips
                                 * with background music (docs/montage.md) */
  NemoIntentSwitch music_to_cuts;       /* the song's start moved so that its
                                         * beats fall on the clips' cuts */
  NemoPulse pulse;
  NemoIntentSwitch crossfade;   /* dissolves instead of cuts between shots */
  GArray *could_not;            /* NemoLimit, in the order asked, each once */
} NemoIntent;

/* Never NULL; a NULL or empty @prompt gives an intent with nothing set. */
NemoIntent *nemo_intent_parse (const gchar * prompt);
void nemo_intent_free (NemoIntent * intent);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NemoIntent, nemo_intent_free)

/* The caller has lyrics to show (a lyrics file, a lyrics pad): a prompt
 * asking for them is understood, no longer NEMO_LIMIT_LYRICS, which
 * nemo_intent_parse() assumes. */
void nemo_intent_lyrics_given (NemoIntent * intent);

/* The language @prompt is written in: "zh" when it is mostly Chinese, else
 * "en"; NULL when it has no words (quoted titles do not count). */
const gchar *nemo_intent_language (const gchar * prompt);

/* What was understood and what could not be done, in English, or in
 * Chinese when @language starts with "zh".  Free with g_free(). */
gchar *nemo_intent_describe (const NemoIntent * intent, const gchar * language);

/* @ms as a clock: "1:05", "1:02:03", "0:04.500".  Free with g_free(). */
gchar *nemo_intent_format_clock (gint64 ms);

/* Edit @draft (as nemo_job_build_draft() makes it, or as the service
 * returns it) for what @intent sets; what it leaves unset is not touched.
 * Applying the same intent twice gives the same draft. */
void nemo_intent_apply (const NemoIntent * intent, NemoDraft * draft);

G_END_DECLS

#endif
