/* Lyrics: the draft's lyric segments drawn as the song is sung.
 *
 * Two rows of the safe area: the current line, large and bold, over the
 * next one, smaller and dimmed, so the line being sung stands out.  A line
 * too wide for the safe area wraps (Pango, any script), at most MAX_ROWS
 * rows a paragraph; one still too long shrinks, down to MIN_SHRINK of the
 * size, and only then is ellipsized.  The rows are sized for the tallest
 * line once, so the lyrics never move.  With word times the words sung so far, the current
 * one included, change colour as each starts:
 *
 *   karaoke  at the bottom of the safe area; white words turn SUNG_RGB
 *            (amber); a line without word times turns amber whole
 *   lines    (a lyric video) in the middle of the safe area; the words
 *            not yet sung are dimmed to UPCOMING_ALPHA, the sung ones
 *            white
 *
 * m.lyrics_style picks the look; absent, karaoke when a line has word
 * times, else lines.  Every glyph has a dark outline so it reads on any
 * cover.  What is drawn changes only when a line or a word starts or ends
 * (nemo_lyrics_view_next_change()), so the overlay redraws the band then and
 * leaves the frame's bytes alone in between.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "render-private.h"

#include <nemo/draft.h>
#include <math.h>
#include <string.h>

#define MARGIN_SHARE 0.05       /* of the short side, as the other layers */
#define LINES_FONT_SHARE 0.065  /* of the short side: 70 px at 1080p */
#define KARAOKE_FONT_SHARE 0.055
#define MIN_FONT_PX 12
#define NEXT_SCALE 0.75         /* the next line's size */
#define NEXT_ALPHA 0.5
#define UPCOMING_ALPHA 0.45     /* lines look: words not yet sung */
#define GAP 0.3                 /* between the rows, of the font size */
#define OUTLINE 0.12            /* the outline's width, of the font size */
#define OUTLINE_ALPHA 0.8
#define MAX_ROWS 3
#define MIN_SHRINK 0.6          /* a line too long for its rows shrinks */
static const gdouble SUNG_RGB[3] = { 1.0, 0.78, 0.1 };

typedef enum
{
  LOOK_LINES,
  LOOK_KARAOKE,
} Look;

typedef struct
{
  gint64 start_us, end_us;      /* end: G_MAXINT64 to the end */
  GArray *word_starts_us;       /* gint64, of each word */
  GArray *word_ends;            /* guint, byte index of each word's end */
  PangoLayout *current, *next;  /* laid out as each row shows it */
} Line;

struct _NemoLyricsView
{
  Look look;
  GArray *lines;                /* Line, by start */
  cairo_rectangle_int_t bounds;
  gdouble x, width;             /* the rows, across */
  gdouble current_y, current_height, next_y;
  gdouble outline;              /* of the current row; the next's scales */
};

static void
line_clear (Line * line)
{
  g_array_unref (line->word_starts_us);
  g_array_unref (line->word_ends);
  g_clear_object (&line->current);
  g_clear_object (&line->next);
}

void
nemo_lyrics_view_free (NemoLyricsView * view)
{
  if (view == NULL)
    return;
  g_array_unref (view->lines);
  g_free (view);
}

static void
set_font_px (PangoLayout * layout, gdouble font_px)
{
  PangoFontDescription *font =
      pango_font_description_copy (pango_layout_get_font_description
      (layout));

  pango_font_description_set_absolute_size (font, font_px * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
}

/* @text at @font_px within @width, MAX_ROWS rows, shrunk to fit them. */
static PangoLayout *
row_layout (const gchar * text, gint font_px, gint width)
{
  PangoLayout *layout = nemo_text_layout_new (text, PANGO_WEIGHT_BOLD);
  gdouble size = font_px, smallest = MAX (MIN_FONT_PX, font_px * MIN_SHRINK);

  set_font_px (layout, size);
  pango_layout_set_width (layout, width * PANGO_SCALE);
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_height (layout, -MAX_ROWS);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  while (pango_layout_is_ellipsized (layout) && size > smallest) {
    size = MAX (size * 0.9, smallest);
    set_font_px (layout, size);
  }
  return layout;
}

static gint
layout_height (PangoLayout * layout)
{
  PangoRectangle logical;

  pango_layout_get_pixel_extents (layout, NULL, &logical);
  return logical.height;
}

static void
add_line (NemoLyricsView * view, const NemoSegment * segment, gint font_px,
    gint width)
{
  Line line = { 0 };
  guint end = 0, i;

  line.start_us = MAX (segment->start_ms, 0) * 1000;
  line.end_us = segment->duration_ms < 0 ? G_MAXINT64 :
      line.start_us + segment->duration_ms * 1000;
  line.word_starts_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  line.word_ends = g_array_new (FALSE, FALSE, sizeof (guint));
  for (i = 0; segment->words && i < segment->words->len; i++) {
    const NemoWord *word = g_ptr_array_index (segment->words, i);
    gint64 start_us = MAX (word->start_ms, 0) * 1000;

    end = MIN (end + strlen (word->text), strlen (segment->text));
    g_array_append_val (line.word_starts_us, start_us);
    g_array_append_val (line.word_ends, end);
  }
  line.current = row_layout (segment->text, font_px, width);
  line.next = row_layout (segment->text, (gint) lround (font_px
          * NEXT_SCALE), width);
  g_array_append_val (view->lines, line);
}

static gint
compare_start (gconstpointer a, gconstpointer b)
{
  const Line *x = a, *y = b;

  return x->start_us < y->start_us ? -1 : x->start_us > y->start_us;
}

static Look
look_of (const NemoDraft * draft, gboolean has_words)
{
  const gchar *style = nemo_draft_get_meta_string (draft, "lyrics_style");

  if (g_strcmp0 (style, "karaoke") == 0)
    return LOOK_KARAOKE;
  if (g_strcmp0 (style, "lines") == 0)
    return LOOK_LINES;
  return has_words ? LOOK_KARAOKE : LOOK_LINES;
}

static gboolean
has_text (const NemoSegment * segment)
{
  return g_strcmp0 (segment->kind, NEMO_SEGMENT_LYRIC) == 0
      && segment->text != NULL && segment->text[0] != '\0'
      && segment->duration_ms != 0;
}

/* The rows' places: sized for the tallest line in each. */
static void
place_rows (NemoLyricsView * view, gint font_px, gint width, gint height,
    const cairo_rectangle_int_t * safe)
{
  gint margin = (gint) lround (MIN (width, height) * MARGIN_SHARE);
  gint current_height = 0, next_height = 0, band_height, pad;
  gdouble top;
  guint i;

  for (i = 0; i < view->lines->len; i++) {
    Line *line = &g_array_index (view->lines, Line, i);

    current_height = MAX (current_height, layout_height (line->current));
    next_height = MAX (next_height, layout_height (line->next));
  }
  view->outline = MAX (1.0, font_px * OUTLINE);
  band_height = current_height + (gint) lround (font_px * GAP) + next_height;
  top = view->look == LOOK_KARAOKE ?
      safe->y + safe->height - margin - band_height :
      safe->y + (safe->height - band_height) / 2.0;
  view->x = safe->x + margin;
  view->width = safe->width - 2 * margin;
  view->current_y = top;
  view->current_height = current_height;
  view->next_y = top + current_height + lround (font_px * GAP);
  pad = (gint) ceil (view->outline);
  view->bounds = (cairo_rectangle_int_t) {
  (gint) floor (view->x) - pad, (gint) floor (top) - pad,
        (gint) ceil (view->width) + 2 * pad + 1, band_height + 2 * pad + 1};
}

NemoLyricsView *
nemo_lyrics_view_new (const NemoDraft * draft, gint width, gint height,
    const cairo_rectangle_int_t * safe)
{
  NemoLyricsView *view;
  gboolean has_words = FALSE;
  gint margin = (gint) lround (MIN (width, height) * MARGIN_SHARE);
  gint row_width = MAX (safe->width - 2 * margin, MIN_FONT_PX);
  gint font_px;
  guint t, s;

  view = g_new0 (NemoLyricsView, 1);
  view->lines = g_array_new (FALSE, FALSE, sizeof (Line));
  g_array_set_clear_func (view->lines, (GDestroyNotify) line_clear);
  for (t = 0; t < draft->tracks->len; t++) {
    const NemoTrack *track = g_ptr_array_index (draft->tracks, t);

    for (s = 0; track->type == NEMO_TRACK_TEXT && s < track->segments->len;
        s++) {
      const NemoSegment *segment = g_ptr_array_index (track->segments, s);

      if (has_text (segment))
        has_words |= segment->words != NULL && segment->words->len > 0;
    }
  }
  view->look = look_of (draft, has_words);
  font_px = MAX (MIN_FONT_PX, (gint) lround (MIN (width, height)
          * (view->look == LOOK_KARAOKE ? KARAOKE_FONT_SHARE :
              LINES_FONT_SHARE)));
  for (t = 0; t < draft->tracks->len; t++) {
    const NemoTrack *track = g_ptr_array_index (draft->tracks, t);

    for (s = 0; track->type == NEMO_TRACK_TEXT && s < track->segments->len;
        s++) {
      const NemoSegment *segment = g_ptr_array_index (track->segments, s);

      if (has_text (segment))
        add_line (view, segment, font_px, row_width);
    }
  }
  if (view->lines->len == 0) {
    nemo_lyrics_view_free (view);
    return NULL;
  }
  g_array_sort (view->lines, compare_start);
  place_rows (view, font_px, width, height, safe);
  return view;
}

void
nemo_lyrics_view_get_bounds (const NemoLyricsView * view,
    cairo_rectangle_int_t * bounds)
{
  *bounds = view->bounds;
}

/* The line sung at @t_us (the latest started of those on), or -1. */
static gint
current_line (const NemoLyricsView * view, gint64 t_us)
{
  gint found = -1;
  guint i;

  for (i = 0; i < view->lines->len; i++) {
    const Line *line = &g_array_index (view->lines, Line, i);

    if (line->start_us > t_us)
      break;
    if (t_us < line->end_us)
      found = (gint) i;
  }
  return found;
}

static guint
words_sung (const Line * line, gint64 t_us)
{
  guint n = 0;

  while (n < line->word_starts_us->len
      && g_array_index (line->word_starts_us, gint64, n) <= t_us)
    n++;
  return n;
}

gint64
nemo_lyrics_view_next_change (const NemoLyricsView * view, gint64 t_us)
{
  gint index = current_line (view, t_us);
  gint64 next = G_MAXINT64;
  guint i, sung;

  /* a line that ends (another may show again) or starts */
  for (i = 0; i < view->lines->len; i++) {
    const Line *line = &g_array_index (view->lines, Line, i);

    if (line->start_us > t_us) {
      next = MIN (next, line->start_us);
      break;
    }
    if (line->end_us > t_us)
      next = MIN (next, line->end_us);
  }
  if (index >= 0) {
    const Line *line = &g_array_index (view->lines, Line, index);

    sung = words_sung (line, t_us);
    if (sung < line->word_starts_us->len)
      next = MIN (next, g_array_index (line->word_starts_us, gint64, sung));
  }
  return next;
}

static PangoAttribute *
ranged (PangoAttribute * attribute, guint start, guint end)
{
  attribute->start_index = start;
  attribute->end_index = end;
  return attribute;
}

static guint16
colour16 (gdouble value)
{
  return (guint16) lround (value * 65535);
}

/* The current row's colours: the first @sung_end bytes sung, the rest
 * not yet; cairo's source is the not-yet colour. */
static void
colour_current (const NemoLyricsView * view, cairo_t * cr,
    PangoLayout * layout, guint sung_end)
{
  PangoAttrList *attributes = pango_attr_list_new ();
  gboolean karaoke = view->look == LOOK_KARAOKE;

  if (karaoke) {
    cairo_set_source_rgb (cr, 1, 1, 1);
    pango_attr_list_insert (attributes, ranged (pango_attr_foreground_new
            (colour16 (SUNG_RGB[0]), colour16 (SUNG_RGB[1]),
                colour16 (SUNG_RGB[2])), 0, sung_end));
  } else {
    cairo_set_source_rgba (cr, 1, 1, 1, UPCOMING_ALPHA);
    pango_attr_list_insert (attributes, ranged (pango_attr_foreground_new
            (65535, 65535, 65535), 0, sung_end));
  }
  pango_attr_list_insert (attributes, ranged (pango_attr_foreground_alpha_new
          (65535), 0, sung_end));
  pango_layout_set_attributes (layout, attributes);
  pango_attr_list_unref (attributes);
}

/* @layout at @y, centred across the rows, outlined. */
static void
show_row (const NemoLyricsView * view, cairo_t * cr, PangoLayout * layout,
    gdouble y, gdouble outline, gdouble alpha)
{
  PangoRectangle logical;
  cairo_pattern_t *fill = cairo_pattern_reference (cairo_get_source (cr));

  pango_layout_get_pixel_extents (layout, NULL, &logical);
  cairo_move_to (cr, view->x + (view->width - logical.width) / 2.0
      - logical.x, y - logical.y);
  pango_cairo_layout_path (cr, layout);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_width (cr, outline);
  cairo_set_source_rgba (cr, 0, 0, 0, OUTLINE_ALPHA * alpha);
  cairo_stroke (cr);
  cairo_set_source (cr, fill);
  cairo_pattern_destroy (fill);
  cairo_move_to (cr, view->x + (view->width - logical.width) / 2.0
      - logical.x, y - logical.y);
  pango_cairo_show_layout (cr, layout);
}

void
nemo_lyrics_view_draw (const NemoLyricsView * view, cairo_t * cr,
    gint64 t_us)
{
  gint index = current_line (view, t_us);
  const Line *line, *next;
  guint sung, sung_end;

  if (index < 0)
    return;
  line = &g_array_index (view->lines, Line, index);
  sung = words_sung (line, t_us);
  if (line->word_ends->len == 0)
    /* no word times: the line is sung whole from its start (amber in
     * karaoke, white in lines) */
    sung_end = PANGO_ATTR_INDEX_TO_TEXT_END;
  else
    sung_end = sung > 0 ? g_array_index (line->word_ends, guint, sung - 1) : 0;

  colour_current (view, cr, line->current, sung_end);
  show_row (view, cr, line->current, view->current_y + view->current_height
      - layout_height (line->current), view->outline, 1);

  if ((guint) index + 1 < view->lines->len) {
    next = &g_array_index (view->lines, Line, index + 1);
    cairo_set_source_rgba (cr, 1, 1, 1, NEXT_ALPHA);
    show_row (view, cr, next->next, view->next_y, view->outline
        * NEXT_SCALE, NEXT_ALPHA);
  }
}
