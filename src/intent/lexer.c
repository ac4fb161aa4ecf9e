/* nemorender intent: prompt text → tokens → hits (words and numbers that
 * mean something).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "intent-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void
nemo_intent_tokens_init (TokenList * list)
{
  list->tokens = g_array_new (FALSE, TRUE, sizeof (Token));
  list->strings = g_string_chunk_new (256);
}

void
nemo_intent_tokens_clear (TokenList * list)
{
  g_clear_pointer (&list->tokens, g_array_unref);
  g_clear_pointer (&list->strings, g_string_chunk_free);
}

/* Chinese and Japanese characters are words of their own. */
static gboolean
is_cjk (gunichar c)
{
  return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF)
      || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF)
      || (c >= 0x20000 && c <= 0x2FA1F);
}

/* After NFKC, full-width ，；！？（） are ASCII already. */
static gboolean
ends_clause (gunichar c)
{
  return (c < 0x80 && c != 0 && strchr (",.;!?()[]{}\n\r\t|", (gchar) c))
      || c == 0x3001 || c == 0x3002 || c == 0x2026 || c == 0x3010
      || c == 0x3011;
}

/* The closing mark of a quote that @c opens, or 0. */
static gunichar
closing_quote (gunichar c)
{
  switch (c) {
    case '"':
      return '"';
    case 0x201C:
      return 0x201D;
    case 0x00AB:
      return 0x00BB;
    case 0x300A:
      return 0x300B;
    case 0x300C:
      return 0x300D;
    case 0x300E:
      return 0x300F;
    default:
      return 0;
  }
}

static gboolean
is_apostrophe (gunichar c)
{
  return c == '\'' || c == 0x2019;
}

static gboolean
is_word_char (gunichar c)
{
  return g_unichar_isalnum (c) && !is_cjk (c);
}

static void
push_token (TokenList * list, TokenType type, const gchar * text, gssize len,
    gboolean prefix, guint clause)
{
  Token token = { 0, };

  token.type = type;
  token.text = g_string_chunk_insert_len (list->strings, text, len);
  token.prefix = prefix;
  token.clause = clause;
  g_array_append_val (list->tokens, token);
}

/* A word: letters and digits ("mp4", "h264").  An apostrophe inside it is
 * dropped ("don't" → "dont"), a possessive "'s" with it ("clip's" →
 * "clip").  Returns the position after the word. */
static const gchar *
read_word (const gchar * p, GString * word)
{
  while (*p) {
    gunichar c = g_utf8_get_char (p);
    const gchar *next = g_utf8_next_char (p);

    if (is_word_char (c)) {
      g_string_append_unichar (word, c);
      p = next;
    } else if (is_apostrophe (c)
        && g_unichar_isalpha (g_utf8_get_char (next))) {
      const gchar *after_s = next + 1;

      if (*next == 's' && !is_word_char (g_utf8_get_char (after_s)))
        return after_s;
      p = next;
    } else {
      break;
    }
  }
  return p;
}

/* Digits, with one decimal part ("2.5"). */
static const gchar *
read_number (const gchar * p, GString * number)
{
  while (g_ascii_isdigit (*p))
    g_string_append_c (number, *p++);
  if (*p == '.' && g_ascii_isdigit (p[1])) {
    g_string_append_c (number, *p++);
    while (g_ascii_isdigit (*p))
      g_string_append_c (number, *p++);
  }
  return p;
}

void
nemo_intent_tokens_read (TokenList * list, const gchar * text,
    gboolean pattern)
{
  g_autofree gchar *valid = g_utf8_make_valid (text, -1);
  g_autofree gchar *nfkc = g_utf8_normalize (valid, -1, G_NORMALIZE_ALL);
  g_autofree gchar *folded = g_utf8_casefold (nfkc, -1);
  g_autoptr (GString) word = g_string_new (NULL);
  const gchar *p = folded;
  guint clause = 0;

  while (*p) {
    gunichar c = g_utf8_get_char (p);
    gunichar close = pattern ? 0 : closing_quote (c);

    g_string_truncate (word, 0);
    if (close != 0) {
      /* quoted text is a title or a name, not a request */
      const gchar *end = g_utf8_strchr (g_utf8_next_char (p), -1, close);

      p = end ? g_utf8_next_char (end) : p + strlen (p);
    } else if (is_cjk (c)) {
      const gchar *next = g_utf8_next_char (p);

      push_token (list, TOKEN_CJK, p, next - p, FALSE, clause);
      p = next;
    } else if (g_unichar_isdigit (c) && c < 0x80) {
      p = read_number (p, word);
      push_token (list, TOKEN_NUMBER, word->str, word->len, FALSE, clause);
    } else if (is_word_char (c)) {
      gboolean prefix;

      p = read_word (p, word);
      prefix = pattern && *p == '*';
      if (prefix)
        p++;
      push_token (list, TOKEN_WORD, word->str, word->len, prefix, clause);
    } else if (c == '%' || c == ':') {
      push_token (list, TOKEN_SYMBOL, p, 1, FALSE, clause);
      p++;
    } else if (c == 0x00D7) {
      push_token (list, TOKEN_WORD, "x", -1, FALSE, clause);   /* 1080×1920 */
      p = g_utf8_next_char (p);
    } else if (c == '&' || c == '+') {
      push_token (list, TOKEN_WORD, "and", -1, FALSE, clause);
      p++;
    } else if (pattern && c == '~') {
      push_token (list, TOKEN_GAP, "~", 1, FALSE, clause);
      p++;
    } else {
      if (ends_clause (c))
        clause++;
      p = g_utf8_next_char (p);
    }
  }
}

/* Numbers ------------------------------------------------------------- */

static gboolean
token_is (const TokenList * list, guint i, const gchar * text)
{
  return i < list->tokens->len && !token_at (list, i)->used
      && strcmp (token_at (list, i)->text, text) == 0;
}

static gboolean
token_in (const TokenList * list, guint i, const gchar * const *texts)
{
  for (; *texts; texts++)
    if (token_is (list, i, *texts))
      return TRUE;
  return FALSE;
}

static gint
english_number (const gchar * word)
{
  static const struct
  {
    const gchar *word;
    gint value;
  } numbers[] = {
    {"one", 1}, {"two", 2}, {"three", 3}, {"four", 4}, {"five", 5},
    {"six", 6}, {"seven", 7}, {"eight", 8}, {"nine", 9}, {"ten", 10},
    {"eleven", 11}, {"twelve", 12}, {"fifteen", 15}, {"twenty", 20},
    {"thirty", 30}, {"forty", 40}, {"fifty", 50}, {"sixty", 60},
    {"ninety", 90},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (numbers); i++)
    if (strcmp (word, numbers[i].word) == 0)
      return numbers[i].value;
  return -1;
}

static gint
chinese_digit (const gchar * text)
{
  static const gchar *const digits[] =
      { "零", "一", "二", "三", "四", "五", "六", "七", "八", "九" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (digits); i++)
    if (strcmp (text, digits[i]) == 0)
      return i;
  if (strcmp (text, "两") == 0)
    return 2;
  if (strcmp (text, "〇") == 0)
    return 0;
  return -1;
}

/* 三十五 → 35, 一百二十 → 120; from token @i, up to *@next. */
static gboolean
read_chinese_number (const TokenList * list, guint i, gdouble * value,
    guint * next)
{
  gint total = 0, current = -1;
  guint j;

  for (j = i; j < list->tokens->len && !token_at (list, j)->used; j++) {
    const gchar *text = token_at (list, j)->text;
    gint digit = chinese_digit (text);

    if (digit >= 0)
      current = digit;
    else if (strcmp (text, "十") == 0)
      total += (current > 0 ? current : 1) * 10, current = -1;
    else if (strcmp (text, "百") == 0 && current > 0)
      total += current * 100, current = -1;
    else
      break;
  }
  if (j == i)
    return FALSE;
  *value = total + MAX (current, 0);
  *next = j;
  return TRUE;
}

/* A number at token @i: digits, an English number word, Chinese numerals.
 * "a"/"an" and "half" count only before a unit, which the caller checks. */
static gboolean
read_quantity_number (const TokenList * list, guint i, gdouble * value,
    guint * next)
{
  const Token *token;
  gint word_value;

  if (i >= list->tokens->len || token_at (list, i)->used)
    return FALSE;
  token = token_at (list, i);
  if (token->type == TOKEN_NUMBER) {
    *value = g_ascii_strtod (token->text, NULL);
    *next = i + 1;
    return TRUE;
  }
  if (token->type == TOKEN_CJK)
    return read_chinese_number (list, i, value, next);
  if (token->type != TOKEN_WORD)
    return FALSE;
  word_value = english_number (token->text);
  if (word_value >= 0) {
    *value = word_value;
    *next = i + 1;
    return TRUE;
  }
  return FALSE;
}

static const gchar *const seconds_units[] =
    { "s", "sec", "secs", "second", "seconds", NULL };
static const gchar *const minutes_units[] =
    { "min", "mins", "minute", "minutes", NULL };
static const gchar *const hours_units[] = { "h", "hr", "hrs", "hour", "hours",
  NULL
};

/* "80s style" is a decade, not a length. */
static const gchar *const decade_words[] =
    { "style", "vibe", "vibes", "aesthetic", "music", "look", "feel", "era",
  NULL
};

/* A duration unit at token @i: its length in ms, and *@next after it. */
static gint64
read_time_unit (const TokenList * list, guint i, guint * next)
{
  if (token_in (list, i, seconds_units)
      && !token_in (list, i + 1, decade_words)) {
    *next = i + 1;
    return 1000;
  }
  if (token_in (list, i, minutes_units)) {
    *next = i + 1;
    return 60000;
  }
  if (token_in (list, i, hours_units)) {
    *next = i + 1;
    return 3600000;
  }
  if (token_is (list, i, "秒")) {
    *next = token_is (list, i + 1, "钟") ? i + 2 : i + 1;
    return 1000;
  }
  if (token_is (list, i, "分") && token_is (list, i + 1, "钟")) {
    *next = i + 2;
    return 60000;
  }
  if (token_is (list, i, "小") && token_is (list, i + 1, "时")) {
    *next = i + 2;
    return 3600000;
  }
  return 0;
}

static void
add_hit (GArray * hits, Concept concept, gint64 value, guint first,
    guint last, TokenList * list)
{
  Hit hit = { 0, };
  guint i;

  hit.concept = concept;
  hit.value = value;
  hit.first = first;
  hit.last = last;
  hit.clause = token_at (list, first)->clause;
  g_array_append_val (hits, hit);
  for (i = first; i <= last; i++)
    token_at (list, i)->used = TRUE;
}

/* "1 minute 30 seconds", "1分30秒", "一分半": the seconds after minutes. */
static gint64
read_more_seconds (const TokenList * list, guint i, guint * next)
{
  gdouble value;
  guint j;

  if (token_is (list, i, "半")) {
    *next = token_is (list, i + 1, "钟") ? i + 2 : i + 1;
    return 30000;
  }
  if (token_is (list, i, "and"))
    i++;
  if (read_quantity_number (list, i, &value, &j)
      && (token_in (list, j, seconds_units) || token_is (list, j, "秒"))) {
    *next = token_is (list, j + 1, "钟") ? j + 2 : j + 1;
    return (gint64) llround (value * 1000);
  }
  return 0;
}

/* A duration from token @i: its length in *@ms, and *@next after it. */
static gboolean
read_duration (const TokenList * list, guint i, gint64 * ms, guint * next)
{
  static const gchar *const articles[] = { "a", "an", NULL };
  gboolean article = FALSE;
  gdouble value;
  gint64 unit;
  guint j, end;

  if (token_is (list, i, "half") && token_in (list, i + 1, articles)
      && (unit = read_time_unit (list, i + 2, next)) >= 60000) {
    *ms = unit / 2;
    return TRUE;
  }
  if (token_is (list, i, "半")
      && (unit = read_time_unit (list, i + 1, next)) > 0) {
    *ms = unit / 2;
    return TRUE;
  }
  if (token_in (list, i, articles)) {
    value = 1;
    j = i + 1;
    article = TRUE;
  } else if (!read_quantity_number (list, i, &value, &j)) {
    return FALSE;
  }

  unit = read_time_unit (list, j, &end);
  if (unit == 0 && token_is (list, j, "分")
      && read_more_seconds (list, j + 1, &end) > 0) {
    unit = 60000;               /* 1分30秒, 一分半: 分 alone means minutes */
    end = j + 1;
  }
  /* "a second" is a moment, "a minute" a length */
  if (unit == 0 || (article && unit < 60000))
    return FALSE;
  *ms = (gint64) llround (value * unit);
  if (unit == 60000)
    *ms += read_more_seconds (list, end, &end);
  *next = end;
  return *ms > 0;
}

/* Durations: "60 seconds", "60-second", "30s", "1 minute", "a minute",
 * "half a minute", "60秒", "一分钟", "1分30秒", "半分钟". */
static gboolean
scan_duration (TokenList * list, guint i, GArray * hits)
{
  gint64 ms;
  guint end;

  if (!read_duration (list, i, &ms, &end))
    return FALSE;
  add_hit (hits, CONCEPT_DURATION, ms, i, end - 1, list);
  return TRUE;
}

/* Two digits below 60 at token @i: the seconds or minutes of a clock. */
static gboolean
read_sixty (const TokenList * list, guint i, gint64 * value)
{
  const Token *token;

  if (i >= list->tokens->len || token_at (list, i)->used)
    return FALSE;
  token = token_at (list, i);
  if (token->type != TOKEN_NUMBER || strlen (token->text) != 2
      || !g_ascii_isdigit (token->text[1]))
    return FALSE;
  *value = atoi (token->text);
  return *value < 60;
}

/* A clock time from token @i: "1:05", "0:45", "1:02:03", in ms. */
static gboolean
read_clock (const TokenList * list, guint i, gint64 * ms, guint * next)
{
  const Token *token = i < list->tokens->len ? token_at (list, i) : NULL;
  gint64 first, second, third;

  if (token == NULL || token->used || token->type != TOKEN_NUMBER
      || strchr (token->text, '.') || !token_is (list, i + 1, ":")
      || !read_sixty (list, i + 2, &second))
    return FALSE;
  first = atoi (token->text);
  if (token_is (list, i + 3, ":") && read_sixty (list, i + 4, &third)) {
    *ms = ((first * 60 + second) * 60 + third) * 1000;
    *next = i + 5;
  } else {
    *ms = (first * 60 + second) * 1000;
    *next = i + 3;
  }
  return TRUE;
}

/* The words that lead an in-point, up to *@next: "start at", "starting
 * from", "from", "the chorus at", "从". */
static gboolean
read_start_lead (const TokenList * list, guint i, guint * next)
{
  static const gchar *const starts[] = { "start", "starts", "starting",
    "begin", "begins", "beginning", NULL
  };
  static const gchar *const moments[] = { "chorus", "drop", "hook", NULL };
  static const gchar *const links[] = { "at", "from", NULL };

  if (token_is (list, i, "from") || token_is (list, i, "从")) {
    *next = i + 1;
    return TRUE;
  }
  if (token_in (list, i, starts) || token_in (list, i, moments)) {
    *next = token_in (list, i + 1, links) ? i + 2 : i + 1;
    /* "the chorus" alone is no in-point: it needs its "at" */
    return *next == i + 2 || token_in (list, i, starts);
  }
  return FALSE;
}

/* The in-point: "start at 1:05", "from 0:45", "the chorus at 0:45",
 * "starting 30 seconds in", "从1分05秒开始".  Before the ratios, which
 * would read 1:05 as 1:5. */
static gboolean
scan_start (TokenList * list, guint i, GArray * hits)
{
  gint64 ms;
  guint j, end;

  if (!read_start_lead (list, i, &j)
      || !(read_clock (list, j, &ms, &end) || read_duration (list, j, &ms,
              &end)))
    return FALSE;
  if (token_is (list, end, "in"))
    end++;
  else if (token_is (list, end, "开") && token_is (list, end + 1, "始"))
    end += 2;
  add_hit (hits, CONCEPT_START, ms, i, end - 1, list);
  return TRUE;
}

/* The quietest target a prompt may ask for: the renderer's floor. */
#define MIN_LOUDNESS_LUFS -70

static const gchar *const loudness_units[] = { "lufs", "lkfs", NULL };

/* "loudness", "loudness to", "响度", "响度为" before a target, up to
 * *@next. */
static gboolean
read_loudness_lead (const TokenList * list, guint i, guint * next)
{
  static const gchar *const links[] = { "to", "at", "of", "为", "到", NULL };

  if (token_is (list, i, "loudness"))
    *next = i + 1;
  else if (token_is (list, i, "响") && token_is (list, i + 1, "度"))
    *next = i + 2;
  else
    return FALSE;
  if (token_in (list, *next, links))
    (*next)++;
  return TRUE;
}

/* A loudness target: "-14 LUFS", "loudness -16", "响度-14".  The minus is
 * not a token, and a target is always below 0 LUFS: "14 LUFS" is -14 too.
 * "loudness 50%" is a volume, left to the percentages. */
static gboolean
scan_loudness (TokenList * list, guint i, GArray * hits)
{
  gboolean lead, unit;
  gdouble value;
  guint j, end;

  lead = read_loudness_lead (list, i, &j);
  if (!read_quantity_number (list, lead ? j : i, &value, &end))
    return FALSE;
  unit = token_in (list, end, loudness_units);
  if ((!lead && !unit) || token_is (list, end, "%")
      || token_is (list, end, "percent") || value <= 0
      || value > -MIN_LOUDNESS_LUFS)
    return FALSE;
  add_hit (hits, CONCEPT_LOUDNESS, -llround (value * 10), i,
      unit ? end : end - 1, list);
  return TRUE;
}

/* "35%", "35 percent", "百分之三十五". */
static gboolean
scan_percent (TokenList * list, guint i, GArray * hits)
{
  gdouble value;
  guint j;

  if (token_is (list, i, "百") && token_is (list, i + 1, "分")
      && token_is (list, i + 2, "之")
      && read_quantity_number (list, i + 3, &value, &j)) {
    add_hit (hits, CONCEPT_PERCENT, (gint64) llround (value), i, j - 1, list);
    return TRUE;
  }
  if (!read_quantity_number (list, i, &value, &j))
    return FALSE;
  if (token_is (list, j, "%") || token_is (list, j, "percent")) {
    add_hit (hits, CONCEPT_PERCENT, (gint64) llround (value), i, j, list);
    return TRUE;
  }
  if (token_is (list, j, "per") && token_is (list, j + 1, "cent")) {
    add_hit (hits, CONCEPT_PERCENT, (gint64) llround (value), i, j + 1, list);
    return TRUE;
  }
  return FALSE;
}

/* "9:16", "9比16": any W:H the renderer can make (no wider than 4:1). */
static gboolean
scan_ratio (TokenList * list, guint i, GArray * hits)
{
  gdouble a, b;
  guint j, end;
  Hit *hit;

  if (!read_quantity_number (list, i, &a, &j)
      || !(token_is (list, j, ":") || token_is (list, j, "比"))
      || !read_quantity_number (list, j + 1, &b, &end))
    return FALSE;
  if (a != floor (a) || b != floor (b) || a < 1 || b < 1 || a > 100
      || b > 100 || a > 4 * b || b > 4 * a)
    return FALSE;
  add_hit (hits, CONCEPT_SHAPE, SHAPE_RANK_RATIO, i, end - 1, list);
  hit = &g_array_index (hits, Hit, hits->len - 1);
  g_snprintf (hit->ratio, sizeof (hit->ratio), "%d:%d", (gint) a, (gint) b);
  return TRUE;
}

static void
add_resolution_hit (GArray * hits, gint short_side, guint first, guint last,
    TokenList * list)
{
  if (short_side <= NEMO_INTENT_MAX_RESOLUTION)
    add_hit (hits, CONCEPT_RESOLUTION, short_side, first, last, list);
  else
    add_hit (hits, CONCEPT_LIMIT, NEMO_LIMIT_ABOVE_2160P, first, last, list);
}

/* "720p", "1080p", "2160p"; "2K" is 1440p and "4K" 2160p; above that, a
 * limit. */
static gboolean
scan_resolution (TokenList * list, guint i, GArray * hits)
{
  const Token *token = token_at (list, i);
  gint value;

  if (token->type != TOKEN_NUMBER || strchr (token->text, '.'))
    return FALSE;
  value = atoi (token->text);
  if (token_is (list, i + 1, "p") && value >= 144) {
    add_resolution_hit (hits, value, i, i + 1, list);
    return TRUE;
  }
  if (token_is (list, i + 1, "k") && value >= 2 && value <= 16) {
    add_resolution_hit (hits, value == 2 ? 1440 : value == 4 ? 2160 :
        value * 540, i, i + 1, list);
    return TRUE;
  }
  return FALSE;
}

/* "1080x1920", "1920 x 1080", "1080×1920": a shape and a resolution. */
static gboolean
scan_size (TokenList * list, guint i, GArray * hits)
{
  const gchar *width = token_at (list, i)->text, *height;
  guint last;
  gint w, h, a, b, r;
  Hit *hit;

  if (token_at (list, i)->type != TOKEN_NUMBER || i + 1 >= list->tokens->len
      || token_at (list, i + 1)->used)
    return FALSE;
  height = token_at (list, i + 1)->text;
  if (height[0] == 'x' && g_ascii_isdigit (height[1])) {
    height++;
    last = i + 1;
  } else if (strcmp (height, "x") == 0 && i + 2 < list->tokens->len
      && token_at (list, i + 2)->type == TOKEN_NUMBER
      && !token_at (list, i + 2)->used) {
    height = token_at (list, i + 2)->text;
    last = i + 2;
  } else {
    return FALSE;
  }
  w = atoi (width);
  h = atoi (height);
  if (w < 144 || h < 144 || w > 4 * h || h > 4 * w || w > 16384 || h > 16384)
    return FALSE;
  for (a = w, b = h; b != 0; r = a % b, a = b, b = r);
  add_hit (hits, CONCEPT_SHAPE, SHAPE_RANK_RATIO, i, last, list);
  hit = &g_array_index (hits, Hit, hits->len - 1);
  g_snprintf (hit->ratio, sizeof (hit->ratio), "%d:%d", w / a, h / a);
  add_resolution_hit (hits, MIN (w, h), i, last, list);
  return TRUE;
}

static void
scan_numbers (TokenList * list, GArray * hits)
{
  guint i;

  for (i = 0; i < list->tokens->len; i++) {
    if (token_at (list, i)->used)
      continue;
    if (!scan_start (list, i, hits) && !scan_loudness (list, i, hits)
        && !scan_percent (list, i, hits)
        && !scan_ratio (list, i, hits)
        && !scan_size (list, i, hits) && !scan_resolution (list, i, hits))
      scan_duration (list, i, hits);
  }
}

/* Words --------------------------------------------------------------- */

typedef struct
{
  const Word *word;
  TokenList tokens;
  guint literals;               /* tokens that must match, gaps aside */
  guint order;                  /* place in the lexicon, to break ties */
} Pattern;

static gint
compare_patterns (gconstpointer a, gconstpointer b)
{
  const Pattern *pa = a, *pb = b;

  if (pa->literals != pb->literals)
    return pa->literals > pb->literals ? -1 : 1;
  return pa->order < pb->order ? -1 : 1;
}

static gboolean
token_matches (const Token * pattern, const Token * token)
{
  if (pattern->type != token->type || token->used)
    return FALSE;
  if (pattern->prefix)
    return g_str_has_prefix (token->text, pattern->text);
  return strcmp (pattern->text, token->text) == 0;
}

/* Matches @pattern from its token @p at prompt token @t, all in @clause;
 * records the prompt position of each literal in @at. */
static gboolean
match_from (const TokenList * prompt, const Pattern * pattern, guint p,
    guint t, guint clause, guint * at)
{
  guint n = prompt->tokens->len;
  const Token *want;
  guint skip;

  if (p == pattern->tokens.tokens->len)
    return TRUE;
  want = token_at (&pattern->tokens, p);
  if (want->type == TOKEN_GAP) {
    for (skip = 0; skip <= MAX_GAP && t + skip <= n; skip++) {
      if (t + skip < n && token_at (prompt, t + skip)->clause != clause)
        break;
      if (match_from (prompt, pattern, p + 1, t + skip, clause, at))
        return TRUE;
    }
    return FALSE;
  }
  if (t >= n || token_at (prompt, t)->clause != clause
      || !token_matches (want, token_at (prompt, t)))
    return FALSE;
  at[p] = t;
  return match_from (prompt, pattern, p + 1, t + 1, clause, at);
}

static void
match_pattern (TokenList * prompt, const Pattern * pattern, GArray * hits)
{
  guint plen = pattern->tokens.tokens->len;
  g_autofree guint *at = g_new0 (guint, plen);
  guint t, p;

  for (t = 0; t < prompt->tokens->len; t++) {
    Hit hit = { 0, };

    if (!match_from (prompt, pattern, 0, t, token_at (prompt, t)->clause, at))
      continue;
    hit.concept = pattern->word->concept;
    hit.value = pattern->word->value;
    hit.word = pattern->word;
    hit.first = at[0];
    hit.last = at[plen - 1];
    hit.clause = token_at (prompt, t)->clause;
    g_array_append_val (hits, hit);
    for (p = 0; p < plen; p++)
      if (token_at (&pattern->tokens, p)->type != TOKEN_GAP)
        token_at (prompt, at[p])->used = TRUE;
  }
}

static void
pattern_clear (gpointer data)
{
  nemo_intent_tokens_clear (&((Pattern *) data)->tokens);
}

static GArray *
compile_lexicon (void)
{
  GArray *patterns = g_array_new (FALSE, TRUE, sizeof (Pattern));
  const Word *words;
  guint n_words, i, j;

  g_array_set_clear_func (patterns, pattern_clear);
  words = nemo_intent_lexicon (&n_words);
  for (i = 0; i < n_words; i++) {
    Pattern pattern = { 0, };

    pattern.word = &words[i];
    pattern.order = i;
    nemo_intent_tokens_init (&pattern.tokens);
    nemo_intent_tokens_read (&pattern.tokens, words[i].words, TRUE);
    for (j = 0; j < pattern.tokens.tokens->len; j++)
      pattern.literals += token_at (&pattern.tokens, j)->type != TOKEN_GAP;
    g_array_append_val (patterns, pattern);
  }
  g_array_sort (patterns, compare_patterns);
  return patterns;
}

static gint
compare_hits (gconstpointer a, gconstpointer b)
{
  const Hit *ha = a, *hb = b;

  return ha->first < hb->first ? -1 : ha->first > hb->first;
}

GArray *
nemo_intent_find_hits (TokenList * prompt)
{
  g_autoptr (GArray) patterns = compile_lexicon ();
  GArray *hits = g_array_new (FALSE, TRUE, sizeof (Hit));
  guint i;

  scan_numbers (prompt, hits);
  for (i = 0; i < patterns->len; i++)
    match_pattern (prompt, &g_array_index (patterns, Pattern, i), hits);
  g_array_sort (hits, compare_hits);
  return hits;
}
