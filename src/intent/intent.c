/* nemorender intent: the hits of a prompt → what it asks for.
 *
 * Rules, in docs/prompts.md for users:
 * - a negation ("no", "without", "不要") turns off the features that follow
 *   it in its clause, each within MAX_GAP tokens of the one before, until a
 *   word such as "but", "with" or "要" ends it;
 * - for each feature the last thing said wins, except visualizer kinds: a
 *   kind said beats "a visualizer", and circle beats waveform beats bars;
 * - the shape: an explicit W:H beats a shape word beats a platform;
 * - a percentage belongs to the nearest music word, a place to the nearest
 *   feature of its clause, a length next to "fade" to the fade.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "intent-private.h"

#include <math.h>
#include <string.h>

#define DEFAULT_BGM_PERCENT 35
#define DEFAULT_FADE_MS 1000
#define DEFAULT_TITLE_FADE_MS 500
/* "normalize" alone: YouTube's reference loudness */
#define DEFAULT_LOUDNESS_LUFS -14.0
/* how far (in tokens) a percentage may be from the music it sets */
#define PERCENT_REACH 6

typedef struct
{
  NemoIntent *intent;
  GArray *hits;
  TokenList *tokens;
  gint shape_rank;
} Reader;

static gboolean
is_feature (const Hit * hit)
{
  return hit->concept != CONCEPT_NOISE && hit->concept != CONCEPT_NEGATE
      && hit->concept != CONCEPT_OFF && hit->concept != CONCEPT_BREAK;
}

#define hit_at(hits, i) (&g_array_index ((hits), Hit, (i)))

static gboolean
ends_clause (GArray * hits, guint i)
{
  return i + 1 == hits->len
      || hit_at (hits, i + 1)->clause != hit_at (hits, i)->clause;
}

/* Turns off the feature hit right before hit @i in its clause, if it ends
 * at most @reach tokens before it. */
static void
negate_previous (GArray * hits, guint i, guint reach)
{
  Hit *hit = hit_at (hits, i), *previous;

  if (i == 0)
    return;
  previous = hit_at (hits, i - 1);
  if (is_feature (previous) && previous->clause == hit->clause
      && hit->first <= previous->last + reach)
    previous->negated = TRUE;
}

/* Marks the hits a negation before them, or an "off" right after them,
 * turns off; a negation that ends its clause turns off what is right
 * before it ("字幕不要"). */
static void
mark_negations (GArray * hits)
{
  gboolean negating = FALSE;
  guint clause = 0, last = 0, i;

  for (i = 0; i < hits->len; i++) {
    Hit *hit = hit_at (hits, i);

    if (hit->clause != clause)
      negating = FALSE;
    clause = hit->clause;
    switch (hit->concept) {
      case CONCEPT_NEGATE:
        if (ends_clause (hits, i))
          negate_previous (hits, i, 1);
        negating = TRUE;
        last = hit->last;
        break;
      case CONCEPT_OFF:
        negate_previous (hits, i, 2);
        break;
      case CONCEPT_BREAK:
        negating = FALSE;
        break;
      case CONCEPT_NOISE:
        break;
      default:
        if (negating && hit->first <= last + 1 + MAX_GAP
            && !(hit->word && (hit->word->flags & WORD_AFFIRM))) {
          hit->negated = TRUE;
          last = MAX (last, hit->last);
        } else {
          negating = FALSE;
        }
        break;
    }
  }
}

static void
add_limit (NemoIntent * intent, NemoLimit limit)
{
  guint i;

  for (i = 0; i < intent->could_not->len; i++)
    if (g_array_index (intent->could_not, NemoLimit, i) == limit)
      return;
  g_array_append_val (intent->could_not, limit);
}

static gint
visualizer_priority (NemoVisualizer kind)
{
  switch (kind) {
    case NEMO_VISUALIZER_CIRCLE:
      return 3;
    case NEMO_VISUALIZER_WAVEFORM:
      return 2;
    case NEMO_VISUALIZER_SPECTRUM:
      return 1;
    default:
      return 0;
  }
}

static void
read_visualizer (NemoIntent * intent, const Hit * hit)
{
  NemoVisualizer kind = (NemoVisualizer) hit->value;
  NemoVisualizer current = intent->visualizer;

  if (hit->negated) {
    /* "no waveform" turns off the waveform, not the bars asked for */
    if (kind == NEMO_VISUALIZER_UNSET || kind == current
        || current == NEMO_VISUALIZER_UNSET)
      intent->visualizer = NEMO_VISUALIZER_NONE;
  } else if (kind == NEMO_VISUALIZER_UNSET) {
    if (current == NEMO_VISUALIZER_UNSET || current == NEMO_VISUALIZER_NONE)
      intent->visualizer = NEMO_VISUALIZER_SPECTRUM;
  } else if (current == NEMO_VISUALIZER_NONE
      || visualizer_priority (kind) > visualizer_priority (current)) {
    intent->visualizer = kind;
  }
}

static NemoIntentSwitch
switch_of (const Hit * hit)
{
  gboolean off = hit->word && (hit->word->flags & WORD_MEANS_OFF);

  return hit->negated != off ? NEMO_INTENT_OFF : NEMO_INTENT_ON;
}

static void
read_shape (Reader * reader, const Hit * hit)
{
  NemoIntent *intent = reader->intent;
  const gchar *ratio = hit->word ? hit->word->ratio : hit->ratio;

  if (hit->negated || (gint) hit->value <= reader->shape_rank)
    return;
  reader->shape_rank = (gint) hit->value;
  g_free (intent->aspect_ratio);
  intent->aspect_ratio = g_strdup (ratio);
}

/* The first platform named that has a preset. */
static void
read_preset (Reader * reader)
{
  guint i;

  for (i = 0; i < reader->hits->len; i++) {
    const Hit *hit = hit_at (reader->hits, i);

    if (hit->concept == CONCEPT_SHAPE && !hit->negated && hit->word
        && hit->word->preset) {
      reader->intent->preset = g_strdup (hit->word->preset);
      return;
    }
  }
}

/* The first platform named that asked for the shape chosen. */
static void
read_platform (Reader * reader)
{
  NemoIntent *intent = reader->intent;
  guint i;

  for (i = 0; i < reader->hits->len && intent->aspect_ratio; i++) {
    const Hit *hit = hit_at (reader->hits, i);

    if (hit->concept == CONCEPT_SHAPE && !hit->negated && hit->word
        && hit->word->platform
        && strcmp (hit->word->ratio, intent->aspect_ratio) == 0) {
      intent->platform = g_strdup (hit->word->platform);
      return;
    }
  }
}

/* Features that stand on their own. */
static void
read_feature (Reader * reader, const Hit * hit)
{
  NemoIntent *intent = reader->intent;

  switch (hit->concept) {
    case CONCEPT_VISUALIZER:
      read_visualizer (intent, hit);
      break;
    case CONCEPT_TRACK_INFO:
      intent->track_info = switch_of (hit);
      break;
    case CONCEPT_LOOP:
      intent->loop = switch_of (hit);
      break;
    case CONCEPT_ALBUM:
      intent->album = switch_of (hit);
      break;
    case CONCEPT_BEAT_SYNC:
      intent->beat_sync = switch_of (hit);
      break;
    case CONCEPT_CUT:
      if (!hit->negated) {
        intent->beat_sync = NEMO_INTENT_ON;
        intent->cut = (NemoCut) hit->value;
      }
      break;
    case CONCEPT_BGM:
      intent->bgm = switch_of (hit);
      if (intent->bgm == NEMO_INTENT_ON && intent->bgm_percent < 0)
        intent->bgm_percent = DEFAULT_BGM_PERCENT;
      break;
    case CONCEPT_KEEP_AUDIO:
      intent->keep_clip_audio = switch_of (hit);
      break;
    case CONCEPT_DUCKING:
      intent->ducking = switch_of (hit);
      break;
    case CONCEPT_SHAPE:
      read_shape (reader, hit);
      break;
    case CONCEPT_RESOLUTION:
      if (!hit->negated)
        intent->resolution = (gint) hit->value;
      break;
    case CONCEPT_LIMIT:
      if (!hit->negated)
        add_limit (intent, (NemoLimit) hit->value);
      break;
    case CONCEPT_LYRICS:
      /* a limit, in the order asked, until the caller says it has some */
      intent->lyrics = switch_of (hit);
      if (intent->lyrics == NEMO_INTENT_OFF) {
        nemo_intent_lyrics_given (intent);
        break;
      }
      add_limit (intent, NEMO_LIMIT_LYRICS);
      if (hit->value != NEMO_LYRICS_STYLE_UNSET)
        intent->lyrics_style = (NemoLyricsStyle) hit->value;
      break;
    case CONCEPT_START:
      if (!hit->negated)
        intent->start_ms = hit->value;
      break;
    case CONCEPT_NORMALIZE:
      /* "normalize to -16 LUFS": the number says which loudness */
      if (!hit->negated && isnan (intent->loudness_lufs))
        intent->loudness_lufs = DEFAULT_LOUDNESS_LUFS;
      break;
    case CONCEPT_LOUDNESS:
      if (!hit->negated)
        intent->loudness_lufs = hit->value / 10.0;
      break;
    case CONCEPT_SONG_LENGTH:
      intent->song_length = switch_of (hit);
      break;
    case CONCEPT_MUSIC_TO_CUTS:
      intent->music_to_cuts = switch_of (hit);
      break;
    case CONCEPT_CROSSFADE:
      intent->crossfade = switch_of (hit);
      break;
    case CONCEPT_PULSE:
      intent->pulse = hit->negated ? NEMO_PULSE_NONE : (NemoPulse) hit->value;
      break;
    default:
      break;
  }
}

static guint
hit_distance (const Hit * a, const Hit * b)
{
  if (a->last < b->first)
    return b->first - a->last;
  if (b->last < a->first)
    return a->first - b->last;
  return 0;
}

static gboolean
concept_in (Concept concept, const Concept * concepts, guint n_concepts)
{
  guint c;

  for (c = 0; c < n_concepts; c++)
    if (concept == concepts[c])
      return TRUE;
  return FALSE;
}

/* The hit of one of @concepts nearest to @hit, NULL if none is within
 * @reach tokens; in its clause only when @same_clause. */
static const Hit *
nearest_hit (const Reader * reader, const Hit * hit, const Concept * concepts,
    guint n_concepts, gboolean same_clause, guint reach)
{
  const Hit *best = NULL;
  guint best_distance = G_MAXUINT, i;

  for (i = 0; i < reader->hits->len; i++) {
    const Hit *other = hit_at (reader->hits, i);
    guint distance;

    if (other == hit || (same_clause && other->clause != hit->clause)
        || !concept_in (other->concept, concepts, n_concepts))
      continue;
    distance = hit_distance (hit, other);
    if (distance <= reach && distance < best_distance) {
      best = other;
      best_distance = distance;
    }
  }
  return best;
}

/* The last hit of one of @concepts before @hit in its clause, or NULL. */
static const Hit *
previous_hit (const Reader * reader, const Hit * hit, const Concept * concepts,
    guint n_concepts)
{
  const Hit *found = NULL;
  guint i;

  for (i = 0; i < reader->hits->len; i++) {
    const Hit *other = hit_at (reader->hits, i);

    if (other->first >= hit->first)
      break;
    if (other->clause == hit->clause
        && concept_in (other->concept, concepts, n_concepts))
      found = other;
  }
  return found;
}

static void
read_place (Reader * reader, const Hit * hit)
{
  static const Concept owners[] = { CONCEPT_TRACK_INFO, CONCEPT_VISUALIZER };
  const Hit *owner = previous_hit (reader, hit, owners, G_N_ELEMENTS (owners));

  /* "the title at the top", else "at the top, the title" */
  if (owner == NULL)
    owner = nearest_hit (reader, hit, owners, G_N_ELEMENTS (owners), TRUE,
        G_MAXUINT);

  if (owner && owner->concept == CONCEPT_TRACK_INFO && !owner->negated
      && !hit->negated)
    reader->intent->track_info_place = (NemoPlace) hit->value;
}

static void
read_percent (Reader * reader, const Hit * hit)
{
  static const Concept music[] = { CONCEPT_BGM, CONCEPT_MUSIC };
  NemoIntent *intent = reader->intent;
  const Hit *owner = nearest_hit (reader, hit, music, G_N_ELEMENTS (music),
      FALSE, PERCENT_REACH);

  if (owner == NULL || owner->negated)
    return;
  if (hit->value > 100) {
    add_limit (intent, NEMO_LIMIT_LOUD);
    return;
  }
  intent->bgm = NEMO_INTENT_ON;
  intent->bgm_percent = (gint) hit->value;
}

/* A length right before a fade ("a 2-second fade"), or right after it
 * ("fade out over 3 seconds", "淡出3秒"), is the fade's. */
static const Hit *
fade_length (const Reader * reader, const Hit * fade)
{
  static const gchar *const linking[] = { "over", "of", "for", "lasting",
    "in", NULL
  };
  guint i;

  for (i = 0; i < reader->hits->len; i++) {
    const Hit *hit = hit_at (reader->hits, i);
    const gchar *between;
    guint j;

    if (hit->concept != CONCEPT_DURATION || hit->clause != fade->clause)
      continue;
    if (hit->last + 1 == fade->first || hit->first == fade->last + 1)
      return hit;
    if (hit->first != fade->last + 2)
      continue;
    between = token_at (reader->tokens, fade->last + 1)->text;
    for (j = 0; linking[j]; j++)
      if (strcmp (between, linking[j]) == 0)
        return hit;
  }
  return NULL;
}

static void
read_fade (Reader * reader, const Hit * hit)
{
  static const Concept title[] = { CONCEPT_TRACK_INFO };
  NemoIntent *intent = reader->intent;
  const Hit *length = fade_length (reader, hit);
  const Hit *owner = nearest_hit (reader, hit, title, 1, TRUE, G_MAXUINT);
  gint ms;

  if (hit->negated)
    ms = 0;
  else if (length)
    ms = (gint) MIN (length->value, G_MAXINT);
  else
    ms = owner ? DEFAULT_TITLE_FADE_MS : DEFAULT_FADE_MS;

  if (owner && !owner->negated) {
    intent->track_info_fade_ms = ms;
    return;
  }
  if (hit->value & FADE_IN)
    intent->fade_in_ms = ms;
  if (hit->value & FADE_OUT)
    intent->fade_out_ms = ms;
}

static gboolean
is_fade_length (const Reader * reader, const Hit * duration)
{
  guint i;

  for (i = 0; i < reader->hits->len; i++) {
    const Hit *hit = hit_at (reader->hits, i);

    if (hit->concept == CONCEPT_FADE && fade_length (reader, hit) == duration)
      return TRUE;
  }
  return FALSE;
}

/* What depends on other hits: places, percentages, fades and lengths. */
static void
read_relation (Reader * reader, const Hit * hit)
{
  switch (hit->concept) {
    case CONCEPT_PLACE:
      read_place (reader, hit);
      break;
    case CONCEPT_PERCENT:
      read_percent (reader, hit);
      break;
    case CONCEPT_FADE:
      read_fade (reader, hit);
      break;
    case CONCEPT_DURATION:
      if (!is_fade_length (reader, hit))
        reader->intent->duration_ms = hit->value;
      break;
    default:
      break;
  }
}

static NemoIntent *
intent_new (void)
{
  NemoIntent *intent = g_new0 (NemoIntent, 1);

  intent->track_info_fade_ms = -1;
  intent->bgm_percent = -1;
  intent->fade_in_ms = -1;
  intent->fade_out_ms = -1;
  intent->start_ms = -1;
  intent->loudness_lufs = NAN;
  intent->could_not = g_array_new (FALSE, FALSE, sizeof (NemoLimit));
  return intent;
}

NemoIntent *
nemo_intent_parse (const gchar * prompt)
{
  NemoIntent *intent = intent_new ();
  TokenList tokens;
  Reader reader = { 0, };
  guint i;

  if (prompt == NULL)
    return intent;

  nemo_intent_tokens_init (&tokens);
  nemo_intent_tokens_read (&tokens, prompt, FALSE);
  reader.intent = intent;
  reader.tokens = &tokens;
  reader.hits = nemo_intent_find_hits (&tokens);
  mark_negations (reader.hits);

  for (i = 0; i < reader.hits->len; i++)
    read_feature (&reader, hit_at (reader.hits, i));
  for (i = 0; i < reader.hits->len; i++)
    read_relation (&reader, hit_at (reader.hits, i));
  read_platform (&reader);
  read_preset (&reader);
  /* "sync it to the cuts" syncs the music to the clip, it does not cut
   * the clip to the music, unless a cut rate says so */
  if (intent->music_to_cuts == NEMO_INTENT_ON && intent->cut == NEMO_CUT_UNSET)
    intent->beat_sync = NEMO_INTENT_UNSET;
  if (intent->bgm != NEMO_INTENT_ON)
    intent->bgm_percent = -1;
  if (intent->lyrics != NEMO_INTENT_ON)
    intent->lyrics_style = NEMO_LYRICS_STYLE_UNSET;

  g_array_unref (reader.hits);
  nemo_intent_tokens_clear (&tokens);
  return intent;
}

void
nemo_intent_lyrics_given (NemoIntent * intent)
{
  guint i;

  g_return_if_fail (intent != NULL);

  for (i = 0; i < intent->could_not->len; i++)
    if (g_array_index (intent->could_not, NemoLimit, i) == NEMO_LIMIT_LYRICS)
      g_array_remove_index (intent->could_not, i);
}

const gchar *
nemo_intent_language (const gchar * prompt)
{
  TokenList tokens;
  guint chinese = 0, english = 0, i;

  if (prompt == NULL)
    return NULL;
  nemo_intent_tokens_init (&tokens);
  nemo_intent_tokens_read (&tokens, prompt, FALSE);
  for (i = 0; i < tokens.tokens->len; i++) {
    TokenType type = token_at (&tokens, i)->type;

    chinese += type == TOKEN_CJK;
    english += type == TOKEN_WORD;
  }
  nemo_intent_tokens_clear (&tokens);
  if (chinese == 0 && english == 0)
    return NULL;
  /* a Chinese word is about two characters */
  return chinese > 2 * english ? "zh" : "en";
}

void
nemo_intent_free (NemoIntent * intent)
{
  if (intent == NULL)
    return;
  g_free (intent->aspect_ratio);
  g_free (intent->platform);
  g_free (intent->preset);
  g_array_unref (intent->could_not);
  g_free (intent);
}
