/* nemorender intent: the parts shared by the lexer, the lexicon and the
 * reader of the prompt.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_INTENT_PRIVATE_H
#define NEMO_INTENT_PRIVATE_H

#include <nemo/intent.h>

G_BEGIN_DECLS

/* A prompt is read as tokens: English words whole, Chinese one character
 * each, numbers, and the symbols `%` and `:`.  Punctuation ends a clause. */
typedef enum
{
  TOKEN_WORD,
  TOKEN_CJK,
  TOKEN_NUMBER,
  TOKEN_SYMBOL,
  TOKEN_GAP,                    /* patterns only: up to MAX_GAP tokens */
} TokenType;

#define MAX_GAP 3

typedef struct
{
  TokenType type;
  const gchar *text;            /* in the list's string chunk */
  gboolean prefix;              /* patterns only: "visuali*" */
  guint clause;
  gboolean used;                /* taken by a longer match already */
} Token;

typedef struct
{
  GArray *tokens;               /* Token */
  GStringChunk *strings;
} TokenList;

/* What a matched word or number means. */
typedef enum
{
  CONCEPT_NOISE,                /* words that only shield their parts ("无缝") */
  CONCEPT_NEGATE,               /* "no", "without", "不要" */
  CONCEPT_OFF,                  /* "off" after what it turns off */
  CONCEPT_BREAK,                /* ends a negation: "but", "with", "要" */
  CONCEPT_VISUALIZER,           /* value: NemoVisualizer, UNSET for "a visualizer" */
  CONCEPT_TRACK_INFO,
  CONCEPT_PLACE,                /* value: NemoPlace */
  CONCEPT_LOOP,
  CONCEPT_ALBUM,
  CONCEPT_BEAT_SYNC,
  CONCEPT_CUT,                  /* value: NemoCut */
  CONCEPT_BGM,
  CONCEPT_MUSIC,                /* "music", "volume": what a percentage is about */
  CONCEPT_KEEP_AUDIO,
  CONCEPT_DUCKING,
  CONCEPT_SHAPE,                /* value: rank (1 platform, 2 shape word, 3 W:H) */
  CONCEPT_RESOLUTION,           /* value: short side */
  CONCEPT_FADE,                 /* value: FADE_* */
  CONCEPT_LIMIT,                /* value: NemoLimit */
  CONCEPT_LYRICS,               /* value: NemoLyricsStyle */
  CONCEPT_PERCENT,              /* value: percent */
  CONCEPT_DURATION,             /* value: ms */
  CONCEPT_START,                /* value: ms into the song */
  CONCEPT_NORMALIZE,            /* "normalize": the default loudness */
  CONCEPT_LOUDNESS,             /* value: the target, tenths of LU below 0 */
  CONCEPT_SONG_LENGTH,          /* "the whole song": the song sets the length */
  CONCEPT_MUSIC_TO_CUTS,        /* "to the cuts": the music moved onto them */
  CONCEPT_PULSE,                /* value: NemoPulse */
  CONCEPT_CROSSFADE,
} Concept;

#define FADE_IN 1
#define FADE_OUT 2
#define FADE_BOTH (FADE_IN | FADE_OUT)

#define SHAPE_RANK_PLATFORM 1
#define SHAPE_RANK_WORD 2
#define SHAPE_RANK_RATIO 3

/* Word flags */
#define WORD_AFFIRM (1 << 0)    /* never negated: "keep the sound" */
#define WORD_MEANS_OFF (1 << 1) /* the word itself turns the feature off: "mute" */

/* One entry of the lexicon: @words is a pattern, tokenized like a prompt,
 * where "word*" matches any word it starts and "~" skips up to MAX_GAP
 * tokens of the clause. */
typedef struct
{
  Concept concept;
  gint value;
  guint flags;
  const gchar *ratio;           /* CONCEPT_SHAPE */
  const gchar *platform;        /* CONCEPT_SHAPE, or NULL */
  const gchar *preset;          /* CONCEPT_SHAPE: the platform's preset, or NULL */
  const gchar *words;
} Word;

/* A word or number found in the prompt, tokens @first to @last. */
typedef struct
{
  Concept concept;
  gint64 value;
  const Word *word;             /* NULL for a number */
  gchar ratio[16];              /* CONCEPT_SHAPE from a W:H number */
  guint first, last, clause;
  gboolean negated;
} Hit;

const Word *nemo_intent_lexicon (guint * n_words);

void nemo_intent_tokens_init (TokenList * list);
void nemo_intent_tokens_clear (TokenList * list);
/* Appends the tokens of @text; @pattern reads "*" and "~" as above and
 * does not skip quoted text (a prompt's quotes are titles, not requests). */
void nemo_intent_tokens_read (TokenList * list, const gchar * text,
    gboolean pattern);
#define token_at(list, i) (&g_array_index ((list)->tokens, Token, (i)))

/* Numbers with their units (percent, durations, W:H, 1080p, 4K), then the
 * lexicon, longest patterns first: each token belongs to one hit.  The hits
 * come back sorted by position. */
GArray *nemo_intent_find_hits (TokenList * prompt);

G_END_DECLS

#endif
