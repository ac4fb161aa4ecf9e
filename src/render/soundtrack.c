/* Pass 1 of a render: the soundtrack.
 *
 * Every audio segment of the draft is decoded at NEMO_AUDIO_RATE stereo
 * float, placed on the timeline at its start, trimmed to its in-point and
 * length, scaled by its volume and mixed.  The mix is encoded to AAC-LC
 * (aac.c: a long one in chunks on every core) and the packets are spooled
 * to the work folder (packet-spool.c), read back by the muxer as the video
 * comes: memory does not grow with the song.  The
 * number of samples mixed is the render's duration: the video is made to
 * cover exactly that.
 *
 * A song that needs no change (AAC-LC in an MP4, 44.1 or 48 kHz stereo,
 * played whole at full volume with nothing mixed, faded or normalised) is
 * kept as it is: its packets are copied to the spool untouched, and the
 * file is closed before the video (its demuxer's index would stay in memory
 * otherwise).  It is still decoded, for the exact duration and the
 * visualizers, which costs a fraction of encoding it.
 *
 * Background music (docs/mixing.md): when the clips' own sound is kept
 * (m.keep_clip_audio, or by default under a "bgm" segment), each clip
 * segment of the video tracks adds its file's sound at the same place,
 * in-point and loops as its pictures.  The music can dip under it
 * (m.ducking).  Such a mix is ours, not a mastered song, so it is measured
 * first (EBU R128, libebur128: a streaming pass that only counts), then
 * brought to m.loudness_lufs (-14 LUFS, or the loudness option).  The
 * music alone can fade out under the clips' sound (m.music_fade_out_ms,
 * a video as long as its clips).  Fades of the whole sound (m.fade_in_ms,
 * m.fade_out_ms; 1.5 s out under BGM unless the music fades alone) come
 * last.  A song
 * alone keeps its loudness.  Whatever is encoded goes through a
 * look-ahead limiter that holds the decoded AAC at -1 dBTP.
 *
 * An album (docs/album.md): a music segment that follows, on its audio
 * track, one that plays its file to the end (d -1) starts on the sample
 * after that one's last, wherever its st says, so songs join with no gap
 * and no overlap (the decoder has already dropped each file's encoder
 * delay and padding).  The mix is one sound: an album keeps the loudness
 * of its songs relative to each other, and a loudness target moves them
 * all by one gain.  Where each song starts, in samples, becomes a chapter
 * of the MP4 (nemo_soundtrack_get_songs ()).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "render-private.h"
#include <nemo/log.h>

#include <nemo/error.h>
#include <nemo/media.h>
#include <libavformat/avformat.h>
#include <ebur128.h>
#include <math.h>
#include <string.h>

#define MIX_BLOCK 2048          /* stereo frames mixed at a time */

/* what YouTube plays at; m.loudness_lufs says otherwise */
#define DEFAULT_LOUDNESS_LUFS -14.0
/* a quiet mix is not pushed up by more than this */
#define MAX_GAIN_DB 20.0
#define DEFAULT_BGM_FADE_OUT_MS 1500

/* ducking: the music dips by DUCK_DEPTH_DB once the clips' sound peaks
 * above DUCK_FULL_DB, not at all below DUCK_FROM_DB */
#define DUCK_DEPTH_DB 9.0
#define DUCK_FROM_DB -40.0
#define DUCK_FULL_DB -25.0
#define DUCK_ATTACK_S 0.050
#define DUCK_RELEASE_S 0.300

/* the limiter: the decoded AAC's true peak is at most NEMO_TRUE_PEAK_DBTP.
 * The ceiling on the samples and on the peaks between them keeps 0.5 dB
 * more for the AAC encoder, whose output overshoots its input (up to
 * 0.17 dB on the tones of tests/render/test-mix.c, 0.4 dB on hot music).
 * What is encoded is decoded and metered as it goes; where it still peaks
 * over, the encoder made an overshoot of its own at a transient, and the
 * last pass runs again with the sound dipped there alone (the dips, below)
 * by the excess and RETRY_MARGIN_DB, at most MAX_RETRIES times.  Peaks are
 * seen 5 ms ahead, let go over 100 ms. */
#define LIMITER_CEILING_DB -1.5
#define RETRY_MARGIN_DB 0.5
#define MAX_RETRIES 3
/* a dip holds over an AAC frame and one on each side (the MDCT blocks that
 * decode into it) and ramps over a frame more each way; dips less than
 * half a second apart become one */
#define DIP_FRAME 1024
#define DIP_JOIN_FRAMES 23
#define LIMITER_LOOKAHEAD 240
#define LIMITER_RELEASE_S 0.100
/* the peaks between samples: a windowed sinc over LIMITER_TAPS frames at
 * LIMITER_OVERSAMPLE points a frame */
#define LIMITER_TAPS 16
#define LIMITER_OVERSAMPLE 4
/* the frame whose peak is known once LIMITER_TAPS / 2 - 1 more came */
#define LIMITER_PEAK_LAG (LIMITER_TAPS / 2 - 1)
#define LIMITER_DELAY (LIMITER_LOOKAHEAD + LIMITER_PEAK_LAG)

/* Whose sound a source is: the music is what ducks under the clips. */
typedef enum
{
  ROLE_MUSIC,
  ROLE_CLIP,
} SourceRole;

/* One audio segment on the timeline; positions are in samples. */
typedef struct _AudioSource
{
  const NemoSegment *segment;
  SourceRole role;
  gint64 start;                 /* G_MAXINT64 until a following one's is known */
  gint64 in;
  gint64 loop_in;               /* where a loop starts again */
  gint64 length;                /* -1: as long as the source */
  gint64 played;
  gint64 estimate;              /* expected end on the timeline, for progress */
  NemoAudioReader *reader;
  gint64 read;                  /* frames the reader gave, skipped ones too */
  gboolean done;
  gboolean follows;             /* starts when the one before it ends */
  struct _AudioSource *next;    /* the music segment that follows it */
} AudioSource;

/* A reader a finished segment left at @read frames into its file: the next
 * segment of the same file (a montage's next shot of a clip) goes on from
 * there instead of decoding the file again up to its in-point. */
typedef struct
{
  NemoAudioReader *reader;
  gint64 read;
} IdleReader;

struct _NemoSoundtrack
{
  AVCodecParameters *codecpar;
  gint64 n_samples;
  GArray *songs;                /* NemoSoundtrackSong: the music played */
  /* the packets: encoded, or the song's own */
  NemoPacketSpool *spool;
};

static gint64
ms_to_samples (gint64 ms)
{
  return ms * NEMO_AUDIO_RATE / 1000;
}

static gboolean
is_music (const NemoTrack * track, const NemoSegment * segment)
{
  if (segment->source == NULL || segment->source[0] == '\0')
    return FALSE;
  if (g_strcmp0 (segment->kind, NEMO_SEGMENT_MUSIC) == 0
      || g_strcmp0 (segment->kind, NEMO_SEGMENT_BGM) == 0)
    return TRUE;
  return track->type == NEMO_TRACK_AUDIO;
}

static gboolean
is_clip (const NemoTrack * track, const NemoSegment * segment)
{
  return track->type == NEMO_TRACK_VIDEO && segment->source != NULL
      && segment->source[0] != '\0' && segment->duration_ms != 0
      && g_strcmp0 (segment->kind, NEMO_SEGMENT_CLIP) == 0;
}

static void
idle_reader_free (IdleReader * idle)
{
  nemo_audio_reader_free (idle->reader);
  g_free (idle);
}

static void
audio_source_free (AudioSource * source)
{
  g_clear_pointer (&source->reader, nemo_audio_reader_free);
  g_free (source);
}

/* @info is the segment's file, probed: a missing or unreadable soundtrack
 * fails before anything is encoded, and its length gives the progress
 * scale.  @draft_ms ends a clip segment that runs to the end. */
static AudioSource *
audio_source_new (const NemoSegment * segment, SourceRole role,
    const NemoMediaInfo * info, gint64 draft_ms)
{
  AudioSource *source;
  gint64 available, duration_ms = segment->duration_ms;

  if (role == ROLE_CLIP && duration_ms < 0 && draft_ms > 0)
    duration_ms = MAX (draft_ms - MAX (segment->start_ms, 0), 0);

  source = g_new0 (AudioSource, 1);
  source->segment = segment;
  source->role = role;
  source->start = ms_to_samples (MAX (segment->start_ms, 0));
  source->in = ms_to_samples (MAX (segment->in_ms, 0));
  /* a clip loops from its start, as its pictures do */
  source->loop_in = role == ROLE_CLIP ? 0 : source->in;
  source->length = duration_ms < 0 ? -1 : ms_to_samples (duration_ms);
  available = MAX (info->duration_us * NEMO_AUDIO_RATE / G_USEC_PER_SEC
      - source->in, 0);
  source->estimate = source->start + (source->length < 0 ? available :
      (segment->loop ? source->length : MIN (source->length, available)));
  return source;
}

/* Decode and drop @n frames. */
static gboolean
audio_source_skip (AudioSource * source, gint64 n, GError ** error)
{
  gfloat skip[MIX_BLOCK * NEMO_AUDIO_CHANNELS];

  while (n > 0) {
    gint got = nemo_audio_reader_read (source->reader, skip,
        (gint) MIN (n, MIX_BLOCK), error);
    if (got < 0)
      return FALSE;
    if (got == 0)
      break;
    n -= got;
    source->read += got;
  }
  return TRUE;
}

/* Get a reader at @in frames into the file: an idle one not past it, or a
 * new one. */
static gboolean
audio_source_open (AudioSource * source, gint64 in, GHashTable * idle,
    GError ** error)
{
  IdleReader *left = g_hash_table_lookup (idle, source->segment->source);
  g_autofree gchar *path = NULL;

  g_clear_pointer (&source->reader, nemo_audio_reader_free);
  if (left != NULL && left->read <= in) {
    source->reader = g_steal_pointer (&left->reader);
    source->read = left->read;
    g_hash_table_remove (idle, source->segment->source);
  } else {
    path = nemo_media_path_from_uri (source->segment->source, error);
    if (path == NULL)
      return FALSE;
    source->reader = nemo_audio_reader_open (path, error);
    if (source->reader == NULL)
      return FALSE;
    source->read = 0;
  }
  /* The reader cannot seek: decode up to the in-point. */
  return audio_source_skip (source, in - source->read, error);
}

/* The segment is over: its reader waits for the next segment of its file. */
static void
audio_source_finish (AudioSource * source, GHashTable * idle)
{
  IdleReader *left;

  source->done = TRUE;
  if (source->reader == NULL)
    return;
  left = g_new0 (IdleReader, 1);
  left->reader = g_steal_pointer (&source->reader);
  left->read = source->read;
  g_hash_table_replace (idle, (gpointer) source->segment->source, left);
}

/* Read up to @wanted frames of the segment into @out; fewer means the
 * segment ended.  A looping segment restarts its source at loop_in. */
static gint
audio_source_read (AudioSource * source, gfloat * out, gint wanted,
    GHashTable * idle, GError ** error)
{
  gint got = 0;
  gboolean restarted = FALSE;

  if (source->reader == NULL
      && !audio_source_open (source, source->in, idle, error))
    return -1;

  while (got < wanted) {
    gint n = nemo_audio_reader_read (source->reader,
        out + (gsize) got * NEMO_AUDIO_CHANNELS, wanted - got, error);
    if (n < 0)
      return -1;
    if (n > 0) {
      got += n;
      source->read += n;
      restarted = FALSE;
      continue;
    }
    /* A source that gives nothing right after a restart never will. */
    if (!source->segment->loop || source->length < 0 || restarted)
      break;
    g_clear_pointer (&source->reader, nemo_audio_reader_free);
    if (!audio_source_open (source, source->loop_in, idle, error))
      return -1;
    restarted = TRUE;
  }
  return got;
}

/* ---- ducking: the music dips under the clips' sound ---- */

typedef struct
{
  gfloat envelope;              /* peak level of the clips' sound, linear */
  gfloat attack, release;       /* one-pole coefficients per frame */
} Ducker;

static void
ducker_init (Ducker * ducker)
{
  ducker->envelope = 0;
  ducker->attack = expf (-1.0f / (DUCK_ATTACK_S * NEMO_AUDIO_RATE));
  ducker->release = expf (-1.0f / (DUCK_RELEASE_S * NEMO_AUDIO_RATE));
}

/* Follow the peak of @clips and lower @music to match, frame by frame. */
static void
ducker_apply (Ducker * ducker, const gfloat * clips, gfloat * music, gint n)
{
  gint i;

  for (i = 0; i < n; i++) {
    gfloat peak = MAX (fabsf (clips[2 * i]), fabsf (clips[2 * i + 1]));
    gfloat k = peak > ducker->envelope ? ducker->attack : ducker->release;
    gfloat level_db, depth, gain;

    ducker->envelope = k * ducker->envelope + (1 - k) * peak;
    level_db = 20 * log10f (MAX (ducker->envelope, 1e-6f));
    depth = CLAMP ((level_db - DUCK_FROM_DB) / (DUCK_FULL_DB - DUCK_FROM_DB),
        0.0f, 1.0f);
    gain = powf (10, -DUCK_DEPTH_DB * depth / 20);
    music[2 * i] *= gain;
    music[2 * i + 1] *= gain;
  }
}

/* ---- the limiter ----
 *
 * Output frame j - LOOKAHEAD is scaled by the mean of the LOOKAHEAD gains
 * computed up to frame j, each the smallest gain any frame in its own
 * LOOKAHEAD + 1 window needs (then let go slowly).  Every one of them is at
 * most what frame j - LOOKAHEAD needs, so their mean is too: the gain
 * reaches it by the time the peak comes out, with no step in between.  The
 * peak of a frame includes the peaks between it and the frame before,
 * interpolated at quarter frames by a Blackman-windowed sinc over
 * LIMITER_TAPS frames: what a D/A converter (or the AAC decoder) draws
 * between the samples, as a BS.1770 true-peak meter sees it (a cubic,
 * four frames, read 0.5 dB under that meter on hiss and kicks). */

typedef struct
{
  gfloat ceiling;
  gfloat release;               /* per frame */
  /* the last LIMITER_TAPS input frames, and the sinc's taps for each point
   * between the middle two */
  gfloat history[LIMITER_TAPS][NEMO_AUDIO_CHANNELS];
  gfloat taps[LIMITER_OVERSAMPLE - 1][LIMITER_TAPS];
  gfloat taps_gain;             /* the most any point can be over its frames */
  gfloat delay[LIMITER_DELAY + 1][NEMO_AUDIO_CHANNELS];
  gint64 n_in;
  /* the running minimum of the gains needed: a monotonic queue */
  gfloat min_gain[LIMITER_LOOKAHEAD + 1];
  gint64 min_frame[LIMITER_LOOKAHEAD + 1];
  gint min_head, min_len;
  gfloat held;
  gfloat recent[LIMITER_LOOKAHEAD];     /* the held gains, for their mean */
  gdouble recent_sum;
} Limiter;

/* The taps that interpolate at @t (0 to 1) past the middle frame before,
 * summing to 1; returns the sum of their sizes. */
static gfloat
limiter_init_taps (gfloat * taps, gdouble t)
{
  const gdouble half = LIMITER_TAPS / 2;
  gdouble sum = 0, size = 0;
  gint i;

  for (i = 0; i < LIMITER_TAPS; i++) {
    gdouble x = half - 1 + t - i;
    gdouble sinc = x == 0 ? 1 : sin (G_PI * x) / (G_PI * x);
    gdouble window = 0.42 + 0.5 * cos (G_PI * x / half) +
        0.08 * cos (2 * G_PI * x / half);

    taps[i] = (gfloat) (sinc * window);
    sum += taps[i];
  }
  for (i = 0; i < LIMITER_TAPS; i++) {
    taps[i] = (gfloat) (taps[i] / sum);
    size += fabsf (taps[i]);
  }
  return (gfloat) size;
}

static void
limiter_init (Limiter * limiter)
{
  gint i;

  memset (limiter, 0, sizeof (*limiter));
  for (i = 1; i < LIMITER_OVERSAMPLE; i++)
    limiter->taps_gain = MAX (limiter->taps_gain,
        limiter_init_taps (limiter->taps[i - 1],
            (gdouble) i / LIMITER_OVERSAMPLE));
  limiter->ceiling = (gfloat) pow (10, LIMITER_CEILING_DB / 20);
  limiter->release = expf (-1.0f / (LIMITER_RELEASE_S * NEMO_AUDIO_RATE));
  limiter->held = 1;
  for (i = 0; i < LIMITER_LOOKAHEAD; i++)
    limiter->recent[i] = 1;
  limiter->recent_sum = LIMITER_LOOKAHEAD;
}

/* The peak of the middle frame of the history and of the curve from the
 * frame before to it; only its frame's when no point between can be over
 * the ceiling (most of the time: it saves most of the sums). */
static gfloat
limiter_peak (const Limiter * limiter)
{
  const gfloat (*h)[NEMO_AUDIO_CHANNELS] = limiter->history;
  gfloat peak = 0, loudest = 0;
  gint c, q, i;

  for (i = 0; i < LIMITER_TAPS; i++)
    for (c = 0; c < NEMO_AUDIO_CHANNELS; c++)
      loudest = MAX (loudest, fabsf (h[i][c]));
  for (c = 0; c < NEMO_AUDIO_CHANNELS; c++) {
    peak = MAX (peak, fabsf (h[LIMITER_TAPS / 2][c]));
    if (loudest * limiter->taps_gain <= limiter->ceiling)
      continue;
    for (q = 0; q < LIMITER_OVERSAMPLE - 1; q++) {
      gfloat between = 0;

      for (i = 0; i < LIMITER_TAPS; i++)
        between += limiter->taps[q][i] * h[i][c];
      peak = MAX (peak, fabsf (between));
    }
  }
  return peak;
}

/* The gain frame @j needs joins the running minimum. */
static gfloat
limiter_min_gain (Limiter * limiter, gint64 j, gfloat needed)
{
  const gint size = LIMITER_LOOKAHEAD + 1;
  gint back;

  while (limiter->min_len > 0
      && limiter->min_frame[limiter->min_head] < j - LIMITER_LOOKAHEAD) {
    limiter->min_head = (limiter->min_head + 1) % size;
    limiter->min_len--;
  }
  while (limiter->min_len > 0) {
    back = (limiter->min_head + limiter->min_len - 1) % size;
    if (limiter->min_gain[back] < needed)
      break;
    limiter->min_len--;
  }
  back = (limiter->min_head + limiter->min_len) % size;
  limiter->min_gain[back] = needed;
  limiter->min_frame[back] = j;
  limiter->min_len++;
  return limiter->min_gain[limiter->min_head];
}

/* Take @n frames of @in; write to @out the frames that come out (the
 * input LIMITER_DELAY frames earlier) and return how many. */
static gint
limiter_process (Limiter * limiter, const gfloat * in, gint n, gfloat * out)
{
  gint i, c, written = 0;

  for (i = 0; i < n; i++) {
    gint64 frame = limiter->n_in++;
    gint slot = frame % (LIMITER_DELAY + 1);
    gint oldest = (frame + 1) % (LIMITER_DELAY + 1);
    gfloat peak, needed, gain;

    memmove (limiter->history[0], limiter->history[1],
        sizeof (limiter->history) - sizeof (limiter->history[0]));
    for (c = 0; c < NEMO_AUDIO_CHANNELS; c++)
      limiter->history[LIMITER_TAPS - 1][c] = limiter->delay[slot][c] =
          in[i * NEMO_AUDIO_CHANNELS + c];

    /* the middle of the history, frame - LIMITER_PEAK_LAG */
    peak = limiter_peak (limiter);
    needed = peak > limiter->ceiling ? limiter->ceiling / peak : 1;
    limiter->held = MIN (limiter_min_gain (limiter, frame - LIMITER_PEAK_LAG,
            needed),
        1 - (1 - limiter->held) * limiter->release);
    limiter->recent_sum += limiter->held
        - limiter->recent[frame % LIMITER_LOOKAHEAD];
    limiter->recent[frame % LIMITER_LOOKAHEAD] = limiter->held;

    if (frame < LIMITER_DELAY)
      continue;
    gain = (gfloat) (limiter->recent_sum / LIMITER_LOOKAHEAD);
    for (c = 0; c < NEMO_AUDIO_CHANNELS; c++)
      out[written * NEMO_AUDIO_CHANNELS + c] = limiter->delay[oldest][c] * gain;
    written++;
  }
  return written;
}

/* The frames still inside: push silence through. */
static gint
limiter_flush (Limiter * limiter, gfloat * out)
{
  gfloat silence[LIMITER_DELAY * NEMO_AUDIO_CHANNELS] = { 0 };

  return limiter_process (limiter, silence, LIMITER_DELAY, out);
}

/* ---- what the draft asks of the mix ---- */

typedef struct
{
  gboolean clips;               /* the clips' own sound is mixed */
  gboolean duck;
  gboolean normalise;
  gdouble target_lufs;
  gint64 fade_in, fade_out;     /* samples */
  gint64 music_fade_out;        /* samples: the music alone, at the end */
} MixPlan;

static JsonNode *
meta_value (const NemoDraft * draft, const gchar * key)
{
  if (draft->meta == NULL || !json_object_has_member (draft->meta, key))
    return NULL;
  return json_object_get_member (draft->meta, key);
}

static gboolean
meta_boolean (const NemoDraft * draft, const gchar * key, gboolean fallback)
{
  JsonNode *node = meta_value (draft, key);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fallback;
  return json_node_get_boolean (node);
}

static gboolean
draft_has_bgm (const NemoDraft * draft)
{
  guint t, s;

  for (t = 0; t < draft->tracks->len; t++) {
    const NemoTrack *track = g_ptr_array_index (draft->tracks, t);

    for (s = 0; s < track->segments->len; s++) {
      const NemoSegment *segment = g_ptr_array_index (track->segments, s);

      if (g_strcmp0 (segment->kind, NEMO_SEGMENT_BGM) == 0)
        return TRUE;
    }
  }
  return FALSE;
}

/* Loudness: @lufs (the loudness property) when it is a number, else a
 * number in m.loudness_lufs is the target, false turns it off; without
 * either our own mixes go to DEFAULT_LOUDNESS_LUFS. */
static void
plan_loudness (const NemoDraft * draft, gdouble lufs, MixPlan * plan)
{
  JsonNode *node = meta_value (draft, "loudness_lufs");
  GType type = node ? json_node_get_value_type (node) : G_TYPE_INVALID;

  plan->target_lufs = DEFAULT_LOUDNESS_LUFS;
  if (!isnan (lufs)) {
    plan->normalise = TRUE;
    plan->target_lufs = CLAMP (lufs, -70.0, 0.0);
  } else if (type == G_TYPE_DOUBLE || type == G_TYPE_INT64) {
    plan->normalise = TRUE;
    plan->target_lufs = CLAMP (json_node_get_double (node), -70.0, 0.0);
  } else if (type == G_TYPE_BOOLEAN) {
    plan->normalise = json_node_get_boolean (node) && plan->clips;
  } else {
    plan->normalise = plan->clips;
  }
}

static void
plan_mix (const NemoDraft * draft, gdouble lufs, gboolean any_clip_sound,
    MixPlan * plan)
{
  gboolean bgm = draft_has_bgm (draft);

  memset (plan, 0, sizeof (*plan));
  plan->clips = any_clip_sound && meta_boolean (draft, "keep_clip_audio", bgm);
  plan->duck = plan->clips && meta_boolean (draft, "ducking", FALSE);
  plan_loudness (draft, lufs, plan);
  plan->fade_in = ms_to_samples (MAX (nemo_draft_get_meta_int (draft,
              "fade_in_ms", 0), 0));
  plan->music_fade_out = ms_to_samples (MAX (nemo_draft_get_meta_int (draft,
              "music_fade_out_ms", 0), 0));
  plan->fade_out = ms_to_samples (MAX (nemo_draft_get_meta_int (draft,
              "fade_out_ms", bgm && plan->music_fade_out == 0 ?
              DEFAULT_BGM_FADE_OUT_MS : 0), 0));
}

/* ---- the mix ---- */

/* A raised cosine (smooth at both ends) @length frames long, @left frames
 * from its silent end. */
static gdouble
fade_gain (gint64 left, gint64 length)
{
  return left >= length ? 1 : 0.5 - 0.5 * cos (G_PI * left / length);
}

typedef struct
{
  GPtrArray *sources;           /* AudioSource* */
  GHashTable *idle;             /* source → IdleReader* */
  gboolean duck;
  Ducker ducker;
  gint64 music_fade_out;        /* samples */
  gint64 total;                 /* the mix's length, once measured (else 0) */
  gint64 limit;                 /* samples, G_MAXINT64 for none */
  gint64 estimate;
  gint passes, pass;            /* for progress */
  gboolean encoder_reports;     /* the AAC encoder reports the progress */
  NemoPassProgressFunc progress;
  gpointer progress_data;
  GCancellable *cancellable;
} Mix;

/* Add what @source plays in the block at @position to @out.  Returns the
 * frames of the block it covers, -1 on error. */
static gint
mix_source (Mix * mix, AudioSource * source, gint64 position, gint n,
    gfloat * out, gboolean * more, GError ** error)
{
  gfloat in[MIX_BLOCK * NEMO_AUDIO_CHANNELS];
  gfloat volume = (gfloat) source->segment->volume;
  gint offset, wanted, got, i;

  if (source->start >= position + n) {
    *more = TRUE;
    return 0;
  }
  offset = (gint) MAX (source->start - position, 0);
  wanted = n - offset;
  if (source->length >= 0)
    wanted = (gint) MIN (wanted, source->length - source->played);
  got = audio_source_read (source, in, wanted, mix->idle, error);
  if (got < 0)
    return -1;
  for (i = 0; i < got * NEMO_AUDIO_CHANNELS; i++)
    out[offset * NEMO_AUDIO_CHANNELS + i] += in[i] * volume;
  source->played += got;
  if (got < wanted || source->played == source->length) {
    audio_source_finish (source, mix->idle);
    if (source->next != NULL) {
      source->next->start = position + offset + got;
      *more = TRUE;
    }
  } else {
    *more = TRUE;
  }
  return offset + got;
}

/* Mix the block at @position into @out.  Returns the number of frames of
 * the block on the timeline (the whole block unless the timeline ends in
 * it), -1 on error. */
static gint
mix_block (Mix * mix, gint64 position, gint n, gfloat * out, GError ** error)
{
  gfloat clips[MIX_BLOCK * NEMO_AUDIO_CHANNELS];
  gboolean more = FALSE;
  gint covered = 0;
  guint s, i;

  memset (out, 0, sizeof (gfloat) * n * NEMO_AUDIO_CHANNELS);
  memset (clips, 0, sizeof (gfloat) * n * NEMO_AUDIO_CHANNELS);
  for (s = 0; s < mix->sources->len; s++) {
    AudioSource *source = g_ptr_array_index (mix->sources, s);
    gint got;

    if (source->done)
      continue;
    got = mix_source (mix, source, position, n,
        source->role == ROLE_CLIP ? clips : out, &more, error);
    if (got < 0)
      return -1;
    covered = MAX (covered, got);
  }
  /* the music's own fade, once the first pass has measured the end */
  for (i = 0; mix->total > 0 && i < (guint) n; i++) {
    gfloat gain = (gfloat) fade_gain (mix->total - position - i,
        mix->music_fade_out);

    out[2 * i] *= gain;
    out[2 * i + 1] *= gain;
  }
  if (mix->duck)
    ducker_apply (&mix->ducker, clips, out, n);
  for (i = 0; i < (guint) n * NEMO_AUDIO_CHANNELS; i++)
    out[i] += clips[i];
  return more ? n : covered;
}

/* Back to the start for the next pass. */
static void
mix_rewind (Mix * mix)
{
  guint s;

  for (s = 0; s < mix->sources->len; s++) {
    AudioSource *source = g_ptr_array_index (mix->sources, s);

    g_clear_pointer (&source->reader, nemo_audio_reader_free);
    source->played = 0;
    source->done = FALSE;
    if (source->follows)
      source->start = G_MAXINT64;
  }
  g_hash_table_remove_all (mix->idle);
  ducker_init (&mix->ducker);
  mix->pass++;
}

/* @done samples of the pass are mixed (or encoded). */
static void
mix_report (gint64 done, gpointer user_data)
{
  Mix *mix = user_data;

  if (mix->progress && mix->estimate > 0)
    mix->progress (MIN ((mix->pass + MIN ((gdouble) done / mix->estimate,
                    1.0)) * 100.0 / mix->passes, 100.0), mix->progress_data);
}

/* The next block of the mix into @block: its length (less than a block at
 * the end, 0 past it), -1 on error. */
static gint
mix_next (Mix * mix, gint64 position, gfloat * block, GError ** error)
{
  gint n = (gint) MIN (MIX_BLOCK, mix->limit - position);
  gint covered;

  if (g_cancellable_is_cancelled (mix->cancellable)) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_CANCELLED,
        "The render was cancelled.");
    return -1;
  }
  if (n <= 0)
    return 0;
  covered = mix_block (mix, position, n, block, error);
  if (covered > 0 && !mix->encoder_reports)
    mix_report (position + covered, mix);
  return covered;
}

/* The first pass: how long the mix is and how loud (LUFS, integrated; or
 * -HUGE_VAL when not measured or silent). */
static gboolean
measure_mix (Mix * mix, const MixPlan * plan, gint64 * n_samples,
    gdouble * loudness, GError ** error)
{
  gfloat block[MIX_BLOCK * NEMO_AUDIO_CHANNELS];
  ebur128_state *meter = NULL;
  gint64 position = 0;
  gboolean ret = FALSE;
  gint covered;

  *loudness = -HUGE_VAL;
  if (plan->normalise) {
    meter = ebur128_init (NEMO_AUDIO_CHANNELS, NEMO_AUDIO_RATE,
        EBUR128_MODE_I);
    if (meter == NULL) {
      g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
          "Out of memory for the loudness meter.");
      return FALSE;
    }
  }
  while ((covered = mix_next (mix, position, block, error)) > 0) {
    if (meter != NULL)
      ebur128_add_frames_float (meter, block, covered);
    position += covered;
    if (covered < MIX_BLOCK)
      break;
  }
  if (covered < 0)
    goto end;
  if (meter != NULL && ebur128_loudness_global (meter, loudness) != 0)
    *loudness = -HUGE_VAL;
  *n_samples = position;
  ret = TRUE;

end:
  if (meter != NULL)
    ebur128_destroy (&meter);
  return ret;
}

/* The last steps: fades by position in the output, then out to the
 * encoder (none when the song is kept) and the visualizers. */
typedef struct
{
  const MixPlan *plan;
  gint64 total;                 /* frames in all, when a fade-out needs it */
  gint64 position;
  NemoAacWriter *encoder;
  NemoSpectrum *spectrum;
  GArray *dips;                 /* gfloat a DIP_FRAME, 1: none; NULL: none */
} MixOutput;

/* ---- the retries' dips ----
 *
 * The gain of each DIP_FRAME frame of the sound, 1 but where a retry
 * turns it down; between frames it follows a raised cosine from the lower
 * gain to 1 over a frame.  Everywhere else the sound is the same to the
 * bit as in the encode before, so only pieces around the dips are encoded
 * again (aac.c). */

static GArray *
dips_new (gint64 n_samples)
{
  guint n = (guint) (n_samples / DIP_FRAME + 2), k;
  GArray *dips = g_array_sized_new (FALSE, FALSE, sizeof (gfloat), n);
  const gfloat none = 1;

  for (k = 0; k < n; k++)
    g_array_append_val (dips, none);
  return dips;
}

/* 1 − (1 − @gain) at @distance (1 to DIP_FRAME samples) from its frame */
static gfloat
dip_ramp (gfloat gain, gint64 distance)
{
  return 1 - (1 - gain) * 0.5f * (1 + cosf ((gfloat) G_PI * distance /
          DIP_FRAME));
}

static gfloat
dip_gain (const GArray * dips, gint64 at)
{
  const gfloat *gain = (const gfloat *) dips->data;
  gint64 k = at / DIP_FRAME, into = at % DIP_FRAME;
  gfloat before, after;

  if (k >= dips->len)
    return 1;
  before = k > 0 ? gain[k - 1] : 1;
  after = k + 1 < dips->len ? gain[k + 1] : 1;
  if (gain[k] == 1 && before == 1 && after == 1)
    return 1;
  return MIN (gain[k], MIN (dip_ramp (before, into + 1),
          dip_ramp (after, DIP_FRAME - into)));
}

/* Dips less than DIP_JOIN_FRAMES apart take the lowest gain of them from
 * the first to the last: a steady overshoot (a square wave, a held synth)
 * is turned down evenly, not frame by frame. */
static void
dips_join (GArray * dips)
{
  gfloat *gain = (gfloat *) dips->data;
  guint k = 0, j, end;

  while (k < dips->len) {
    gfloat lowest = gain[k];

    if (gain[k] == 1) {
      k++;
      continue;
    }
    for (end = j = k; j < dips->len && j - end <= DIP_JOIN_FRAMES; j++)
      if (gain[j] < 1) {
        end = j;
        lowest = MIN (lowest, gain[j]);
      }
    for (j = k; j <= end; j++)
      gain[j] = lowest;
    k = end + 1;
  }
}

/* Dip the frames around each of the @hot ones by its excess (what the
 * encode before measured, dips included) and RETRY_MARGIN_DB.  Returns the
 * samples this changes, gint64 pairs [from, until) in order. */
static GArray *
dips_add (GArray * dips, const GArray * hot)
{
  g_autoptr (GArray) before = g_array_copy (dips);
  const gfloat *old = (const gfloat *) before->data;
  gfloat *gain = (gfloat *) dips->data;
  GArray *changed = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 last = (gint64) dips->len - 1, k, j;
  guint i;

  for (i = 0; i < hot->len; i++) {
    const NemoAacHotFrame *frame = &g_array_index (hot, NemoAacHotFrame, i);
    gfloat target;

    k = CLAMP (frame->at / DIP_FRAME, 0, last);
    target = old[k] * powf (10, (gfloat) (NEMO_TRUE_PEAK_DBTP - frame->dbtp
            - RETRY_MARGIN_DB) / 20);
    for (j = MAX (k - 1, 0); j <= MIN (k + 1, last); j++)
      gain[j] = MIN (gain[j], target);
  }
  dips_join (dips);
  for (k = 0; k <= last; k++) {
    gint64 from = (k - 1) * DIP_FRAME, until = (k + 2) * DIP_FRAME;

    if (gain[k] == old[k])
      continue;
    if (changed->len > 0 && g_array_index (changed, gint64,
            changed->len - 1) >= from)
      g_array_index (changed, gint64, changed->len - 1) = until;
    else {
      g_array_append_val (changed, from);
      g_array_append_val (changed, until);
    }
  }
  return changed;
}

static gboolean
mix_output_write (MixOutput * output, gfloat * block, gint n, GError ** error)
{
  const MixPlan *plan = output->plan;
  gint i;

  for (i = 0; i < n; i++) {
    gint64 at = output->position + i;
    gdouble gain = 1;

    if (plan->fade_in > 0)
      gain *= fade_gain (at, plan->fade_in);
    if (plan->fade_out > 0)
      gain *= fade_gain (output->total - at, plan->fade_out);
    if (output->dips != NULL)
      gain *= dip_gain (output->dips, at);
    block[2 * i] *= (gfloat) gain;
    block[2 * i + 1] *= (gfloat) gain;
  }
  output->position += n;
  if (n == 0)
    return TRUE;
  if (output->spectrum != NULL)
    nemo_spectrum_push (output->spectrum, block, n);
  return output->encoder == NULL
      || nemo_aac_writer_write (output->encoder, block, n, error);
}

/* The last pass: mix, gain, the limiter (on what is encoded), fades,
 * encode. */
static gboolean
mix_and_encode (Mix * mix, gfloat gain, MixOutput * output,
    gint64 * n_samples, GError ** error)
{
  gfloat block[MIX_BLOCK * NEMO_AUDIO_CHANNELS];
  gfloat limited[(MIX_BLOCK + LIMITER_DELAY) * NEMO_AUDIO_CHANNELS];
  Limiter limiter;
  gint64 position = 0;
  gint covered, i;

  limiter_init (&limiter);
  while ((covered = mix_next (mix, position, block, error)) > 0) {
    gfloat *result = block;
    gint n = covered;

    for (i = 0; gain != 1 && i < covered * NEMO_AUDIO_CHANNELS; i++)
      block[i] *= gain;
    if (output->encoder != NULL) {
      n = limiter_process (&limiter, block, covered, limited);
      result = limited;
    }
    if (!mix_output_write (output, result, n, error))
      return FALSE;
    position += covered;
    if (covered < MIX_BLOCK)
      break;
  }
  if (covered < 0)
    return FALSE;
  if (output->encoder != NULL
      && !mix_output_write (output, limited, limiter_flush (&limiter, limited),
          error))
    return FALSE;
  *n_samples = position;
  if (output->spectrum != NULL)
    nemo_spectrum_finish (output->spectrum);
  return output->encoder == NULL
      || nemo_aac_writer_finish (output->encoder, error);
}

/* Probe each file once: a montage has many segments of the same clips. */
static const NemoMediaInfo *
probe_cached (GHashTable * probed, const gchar * source, GError ** error)
{
  NemoMediaInfo *info = g_hash_table_lookup (probed, source);

  if (info != NULL)
    return info;
  info = nemo_media_probe (source, error);
  if (info != NULL)
    g_hash_table_insert (probed, (gpointer) source, info);
  return info;
}

/* On an audio track, a song after one that plays its file to the end
 * follows on from its last sample. */
static gboolean
follows_on (const NemoTrack * track, const AudioSource * before,
    const AudioSource * source)
{
  return track->type == NEMO_TRACK_AUDIO && before->length < 0
      && g_strcmp0 (before->segment->kind, NEMO_SEGMENT_MUSIC) == 0
      && g_strcmp0 (source->segment->kind, NEMO_SEGMENT_MUSIC) == 0;
}

static void
link_sources (AudioSource * before, AudioSource * source)
{
  source->estimate = before->estimate + source->estimate - source->start;
  source->start = G_MAXINT64;
  source->follows = TRUE;
  before->next = source;
}

/* The draft's music, and the clip segments whose files have sound (used
 * only when @plan says so). */
static GPtrArray *
find_audio_sources (const NemoDraft * draft, gdouble lufs, MixPlan * plan,
    GError ** error)
{
  g_autoptr (GPtrArray) sources =
      g_ptr_array_new_with_free_func ((GDestroyNotify) audio_source_free);
  g_autoptr (GPtrArray) clips =
      g_ptr_array_new_with_free_func ((GDestroyNotify) audio_source_free);
  g_autoptr (GHashTable) probed = g_hash_table_new_full (g_str_hash,
      g_str_equal, NULL, (GDestroyNotify) nemo_media_info_free);
  gboolean music = FALSE;
  guint t, s;

  for (t = 0; t < draft->tracks->len; t++) {
    const NemoTrack *track = g_ptr_array_index (draft->tracks, t);
    AudioSource *before = NULL;

    for (s = 0; s < track->segments->len; s++) {
      const NemoSegment *segment = g_ptr_array_index (track->segments, s);
      const NemoMediaInfo *info;
      gboolean clip = is_clip (track, segment);

      if (!clip && !is_music (track, segment))
        continue;
      info = probe_cached (probed, segment->source, error);
      if (info == NULL)
        return NULL;
      if (!clip) {
        AudioSource *source = audio_source_new (segment, ROLE_MUSIC, info,
            draft->duration_ms);

        if (before != NULL && follows_on (track, before, source))
          link_sources (before, source);
        before = source;
        music = TRUE;
        g_ptr_array_add (sources, source);
      } else if (info->kind == NEMO_MEDIA_VIDEO && info->has_audio) {
        g_ptr_array_add (clips, audio_source_new (segment, ROLE_CLIP, info,
                draft->duration_ms));
      }
    }
  }
  if (!music) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_DRAFT,
        "The draft has no soundtrack: add an audio-uri or link the audio pad.");
    return NULL;
  }
  plan_mix (draft, lufs, clips->len > 0, plan);
  if (plan->clips)
    g_ptr_array_extend_and_steal (sources, g_steal_pointer (&clips));
  return g_steal_pointer (&sources);
}

void
nemo_soundtrack_free (NemoSoundtrack * soundtrack)
{
  if (soundtrack == NULL)
    return;
  nemo_packet_spool_free (soundtrack->spool);
  g_array_unref (soundtrack->songs);
  avcodec_parameters_free (&soundtrack->codecpar);
  g_free (soundtrack);
}

gint64
nemo_soundtrack_get_n_samples (const NemoSoundtrack * soundtrack)
{
  return soundtrack->n_samples;
}

const GArray *
nemo_soundtrack_get_songs (const NemoSoundtrack * soundtrack)
{
  return soundtrack->songs;
}

/* Where each song of an album (songs that follow on) starts, once the
 * last pass set it. */
static void
list_songs (NemoSoundtrack * soundtrack, const GPtrArray * sources)
{
  guint i;

  for (i = 0; i < sources->len; i++) {
    const AudioSource *source = g_ptr_array_index (sources, i);
    NemoSoundtrackSong song = { source->segment, source->start };

    if ((source->follows || source->next != NULL)
        && source->start < soundtrack->n_samples)
      g_array_append_val (soundtrack->songs, song);
  }
}

const AVCodecParameters *
nemo_soundtrack_get_codecpar (const NemoSoundtrack * soundtrack)
{
  return soundtrack->codecpar;
}

gint
nemo_soundtrack_read (NemoSoundtrack * soundtrack, AVPacket * packet,
    GError ** error)
{
  return nemo_packet_spool_read (soundtrack->spool, packet, error);
}

/* ---- the song kept as it is ---- */

/* The draft plays one song whole, once, at full volume, and the plan does
 * nothing to it; a limit only past its end. */
static gboolean
plays_song_unchanged (const GPtrArray * sources, const MixPlan * plan,
    gint64 limit)
{
  const AudioSource *source;

  if (sources->len != 1 || plan->clips || plan->normalise
      || plan->fade_in > 0 || plan->fade_out > 0 || plan->music_fade_out > 0)
    return FALSE;
  source = g_ptr_array_index (sources, 0);
  return source->start == 0 && source->in == 0 && source->length < 0
      && source->segment->volume == 1.0 && limit > source->estimate;
}

/* An AAC stream the MP4 can take untouched: AAC-LC (object type 2 in its
 * AudioSpecificConfig; raw ADTS has none, and headers the MP4 must not
 * have), 44.1 or 48 kHz stereo, timed in samples as MP4 and M4A are. */
static gboolean
is_keepable (const AVStream * stream)
{
  const AVCodecParameters *par = stream->codecpar;

  return par->codec_id == AV_CODEC_ID_AAC && par->extradata_size >= 2
      && par->extradata[0] >> 3 == 2
      && (par->sample_rate == 44100 || par->sample_rate == 48000)
      && par->ch_layout.nb_channels == 2
      && av_cmp_q (stream->time_base, (AVRational) { 1,
              par->sample_rate }) == 0;
}

/* @uri's sound, open for its packets at *@index, if it can be kept.  NULL
 * otherwise; errors are left to the mix, which reads it too. */
static AVFormatContext *
open_keepable_song (const gchar * uri, gint * index)
{
  g_autofree gchar *path = nemo_media_path_from_uri (uri, NULL);
  AVFormatContext *song = NULL;

  if (path == NULL || avformat_open_input (&song, path, NULL, NULL) < 0)
    return NULL;
  *index = av_find_best_stream (song, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
  if (*index < 0 || !is_keepable (song->streams[*index]))
    avformat_close_input (&song);
  return song;
}

/* Copy @song's sound, untouched, to a new spool in @work_dir and close
 * @song.  The demuxer holds an index of every packet (15 MB for two hours
 * of AAC), which would stay through the video and the MP4's own index if
 * the muxer read the song; the spool holds nothing in memory. */
static gboolean
spool_song (NemoSoundtrack * soundtrack, AVFormatContext * song, gint index,
    const gchar * work_dir, GError ** error)
{
  AVPacket *packet = av_packet_alloc ();
  gboolean ok = FALSE;
  guint i;
  int ret;

  if (packet == NULL
      || avcodec_parameters_copy (soundtrack->codecpar,
          song->streams[index]->codecpar) < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Out of memory while keeping the song's sound.");
    goto end;
  }
  soundtrack->codecpar->codec_tag = 0;
  /* every AAC-LC frame: the MP4 muxer asks for it */
  soundtrack->codecpar->frame_size = 1024;
  /* the demuxer skips the other streams (a cover, chapters) */
  for (i = 0; i < song->nb_streams; i++)
    if ((gint) i != index)
      song->streams[i]->discard = AVDISCARD_ALL;
  soundtrack->spool = nemo_packet_spool_new (work_dir, error);
  if (soundtrack->spool == NULL)
    goto end;
  while ((ret = av_read_frame (song, packet)) >= 0) {
    gboolean written = packet->stream_index != index
        || nemo_packet_spool_write (soundtrack->spool, packet, error);

    av_packet_unref (packet);
    if (!written)
      goto end;
  }
  if (ret != AVERROR_EOF) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
        "Could not read the sound of “%s” (%s).", song->url,
        av_err2str (ret));
    goto end;
  }
  NEMO_INFO ("keeping the song's AAC as it is (%d Hz)",
      soundtrack->codecpar->sample_rate);
  ok = TRUE;

end:
  av_packet_free (&packet);
  avformat_close_input (&song);
  return ok;
}

/* The gain that brings @loudness to the plan's target. */
static gfloat
normalising_gain (const MixPlan * plan, gdouble loudness)
{
  gdouble db;

  if (!plan->normalise || !isfinite (loudness))
    return 1;
  db = MIN (plan->target_lufs - loudness, MAX_GAIN_DB);
  NEMO_DEBUG ("soundtrack: %.2f LUFS, %+.2f dB to %.1f LUFS", loudness, db,
      plan->target_lufs);
  return (gfloat) pow (10, db / 20);
}

/* A new spool in @work_dir, and @encoder (freed first) writing @mix to
 * it, reporting its progress. */
static gboolean
start_encoding (NemoSoundtrack * soundtrack, Mix * mix,
    const NemoRenderOptions * options, const gchar * work_dir,
    NemoAacWriter ** encoder, GError ** error)
{
  g_clear_pointer (encoder, nemo_aac_writer_free);
  g_clear_pointer (&soundtrack->spool, nemo_packet_spool_free);
  soundtrack->spool = nemo_packet_spool_new (work_dir, error);
  if (soundtrack->spool == NULL)
    return FALSE;
  *encoder = nemo_aac_writer_new (options->audio_bitrate_kbps, mix->estimate,
      soundtrack->spool, work_dir, mix_report, mix, error);
  mix->encoder_reports = *encoder != NULL;
  return *encoder != NULL;
}

/* The song is kept when @options allow and nothing changes it;
 * otherwise the mix is encoded into a new spool in @work_dir. */
static gboolean
choose_output (NemoSoundtrack * soundtrack, Mix * mix, const MixPlan * plan,
    const NemoRenderOptions * options, const gchar * work_dir,
    NemoAacWriter ** encoder, GError ** error)
{
  const AudioSource *first = g_ptr_array_index (mix->sources, 0);
  AVFormatContext *song;
  gint index;

  if (options->audio_passthrough == NEMO_AUDIO_PASSTHROUGH_AUTO
      && plays_song_unchanged (mix->sources, plan, mix->limit)
      && (song = open_keepable_song (first->segment->source, &index)))
    return spool_song (soundtrack, song, index, work_dir, error);
  return start_encoding (soundtrack, mix, options, work_dir, encoder, error);
}

/* Encode the mix, and again with dips where its decoded true peak is
 * over NEMO_TRUE_PEAK_DBTP, encoding again only a piece around each. */
static gboolean
encode_under_peak (NemoSoundtrack * soundtrack, Mix * mix, gfloat gain,
    MixOutput * output, const NemoRenderOptions * options,
    const gchar * work_dir, GError ** error)
{
  gint retry;

  for (retry = 0;; retry++) {
    g_autoptr (NemoPacketSpool) previous = NULL;
    g_autoptr (GArray) changed = NULL;
    const GArray *hot;

    if (!mix_and_encode (mix, gain, output, &soundtrack->n_samples, error))
      return FALSE;
    if (output->encoder == NULL)
      return TRUE;
    hot = nemo_aac_writer_hot_frames (output->encoder);
    NEMO_DEBUG ("soundtrack: %.2f dBTP where metered, %u frames over",
        nemo_aac_writer_true_peak (output->encoder), hot->len);
    if (hot->len == 0 || retry == MAX_RETRIES)
      return TRUE;
    if (output->dips == NULL)
      output->dips = dips_new (soundtrack->n_samples);
    changed = dips_add (output->dips, hot);
    mix_rewind (mix);
    output->position = 0;
    output->spectrum = NULL;    /* it has had the sound once */
    previous = g_steal_pointer (&soundtrack->spool);
    if (!start_encoding (soundtrack, mix, options, work_dir, &output->encoder,
            error)
        || !nemo_aac_writer_reuse (output->encoder,
            g_steal_pointer (&previous), changed, error))
      return FALSE;
  }
}

NemoSoundtrack *
nemo_soundtrack_encode (const NemoDraft * draft,
    const NemoRenderOptions * options, const gchar * work_dir,
    NemoSpectrum * spectrum, NemoPassProgressFunc progress,
    gpointer progress_data, GCancellable * cancellable, GError ** error)
{
  g_autoptr (NemoSoundtrack) soundtrack = g_new0 (NemoSoundtrack, 1);
  g_autoptr (GPtrArray) sources = NULL;
  g_autoptr (GHashTable) idle = g_hash_table_new_full (g_str_hash,
      g_str_equal, NULL, (GDestroyNotify) idle_reader_free);
  MixOutput output = { 0 };
  Mix mix = { 0 };
  MixPlan plan;
  NemoSoundtrack *ret = NULL;
  gdouble loudness = -HUGE_VAL;
  gint64 measured = 0;
  guint i;

  soundtrack->codecpar = avcodec_parameters_alloc ();
  soundtrack->songs = g_array_new (FALSE, FALSE, sizeof (NemoSoundtrackSong));

  sources = find_audio_sources (draft, options->loudness_lufs, &plan, error);
  if (sources == NULL)
    goto end;

  mix.sources = sources;
  mix.idle = idle;
  mix.duck = plan.duck;
  mix.music_fade_out = plan.music_fade_out;
  ducker_init (&mix.ducker);
  mix.limit = options->max_duration_us > 0 ?
      options->max_duration_us * NEMO_AUDIO_RATE / G_USEC_PER_SEC :
      G_MAXINT64;
  for (i = 0; i < sources->len; i++) {
    AudioSource *source = g_ptr_array_index (sources, i);
    mix.estimate = MAX (mix.estimate, source->estimate);
  }
  mix.estimate = MIN (mix.estimate, mix.limit);
  /* loudness and the length a fade-out ends at come from a first pass */
  mix.passes = plan.normalise || plan.fade_out > 0
      || plan.music_fade_out > 0 ? 2 : 1;
  mix.progress = progress;
  mix.progress_data = progress_data;
  mix.cancellable = cancellable;

  if (progress)
    progress (0, progress_data);
  if (mix.passes == 2) {
    if (!measure_mix (&mix, &plan, &measured, &loudness, error))
      goto end;
    mix_rewind (&mix);
    if (plan.music_fade_out > 0)
      mix.total = measured;
  }
  if (!choose_output (soundtrack, &mix, &plan, options, work_dir,
          &output.encoder, error))
    goto end;
  output.plan = &plan;
  output.total = measured;
  output.spectrum = spectrum;
  if (!encode_under_peak (soundtrack, &mix, normalising_gain (&plan,
              loudness), &output, options, work_dir, error))
    goto end;
  if (soundtrack->n_samples == 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_NO_AUDIO,
        "The draft's soundtrack has no samples: its segments start past the "
        "end of their files. Check the audio segments' in-points.");
    goto end;
  }
  if (output.encoder != NULL)
    avcodec_parameters_from_context (soundtrack->codecpar,
        nemo_aac_writer_get_context (output.encoder));
  if (!nemo_packet_spool_rewind (soundtrack->spool, error))
    goto end;
  list_songs (soundtrack, sources);
  if (progress)
    progress (100.0, progress_data);
  ret = g_steal_pointer (&soundtrack);

end:
  nemo_aac_writer_free (output.encoder);
  g_clear_pointer (&output.dips, g_array_unref);
  return ret;
}
