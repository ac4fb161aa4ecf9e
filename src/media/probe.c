/* nemorender media layer: what an input is, and whether we can use it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "media-private.h"

gchar *
nemo_media_path_from_uri (const gchar * path_or_uri, GError ** error)
{
  g_autofree gchar *scheme = g_uri_parse_scheme (path_or_uri);
  GError *local_error = NULL;
  gchar *path;

  if (!scheme)
    return g_strdup (path_or_uri);

  if (g_ascii_strcasecmp (scheme, "file") != 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
        "“%s” is a %s: URI; only local files and file:// URIs are read "
        "here. Download it first and give its path.", path_or_uri, scheme);
    return NULL;
  }

  path = g_filename_from_uri (path_or_uri, NULL, &local_error);
  if (!path) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
        "“%s” is not a file:// URI we can read (%s). Give a plain path "
        "instead.", path_or_uri, local_error->message);
    g_error_free (local_error);
  }
  return path;
}

static gchar *
get_tag (AVFormatContext * fmt, AVStream * st, const gchar * key)
{
  AVDictionaryEntry *entry = av_dict_get (fmt->metadata, key, NULL, 0);

  if (!entry && st)
    entry = av_dict_get (st->metadata, key, NULL, 0);
  return entry && *entry->value ? g_strdup (entry->value) : NULL;
}

static gint64
to_us (gint64 ts, AVRational time_base)
{
  return av_rescale_q (ts, time_base, AV_TIME_BASE_Q);
}

/* A picture stream: one frame is an image, more is a video. */
static gboolean
probe_picture (NemoDecoder * dec, gint index, NemoMediaInfo * info,
    GError ** error)
{
  AVFrame *frame = av_frame_alloc ();
  AVStream *st;
  AVRational fps;
  gboolean ret = FALSE;
  gint n;

  if (!nemo_decoder_select (dec, index, error))
    goto end;
  for (n = 0; n < 2; n++) {
    gint got = nemo_decoder_next (dec, frame, error);

    if (got < 0)
      goto end;
    if (got == 0)
      break;
    if (n == 0) {
      info->width = frame->width;
      info->height = frame->height;
    }
  }
  if (n == 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_UNSUPPORTED_MEDIA,
        "“%s” has a video stream with no picture in it. Export or download "
        "it again.", dec->path);
    goto end;
  }

  st = dec->stream;
  info->kind = n == 1 ? NEMO_MEDIA_IMAGE : NEMO_MEDIA_VIDEO;
  if (info->kind == NEMO_MEDIA_VIDEO) {
    fps = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    if (fps.num > 0 && fps.den > 0) {
      info->fps_n = fps.num;
      info->fps_d = fps.den;
    }
    if (dec->fmt->duration != AV_NOPTS_VALUE)
      info->duration_us = dec->fmt->duration;
    else if (st->duration != AV_NOPTS_VALUE)
      info->duration_us = to_us (st->duration, st->time_base);
  }
  ret = TRUE;

end:
  av_frame_free (&frame);
  return ret;
}

/* Audio: decode up to the first frame with samples, so that an audio file
 * we accept is one that really plays. */
static gboolean
probe_audio (NemoDecoder * dec, gint index, NemoMediaInfo * info,
    GError ** error)
{
  AVFrame *frame = av_frame_alloc ();
  AVStream *st;
  gboolean ret = FALSE;
  gint got;

  if (!nemo_decoder_select (dec, index, error))
    goto end;
  while ((got = nemo_decoder_next (dec, frame, error)) > 0
      && frame->nb_samples == 0)
    av_frame_unref (frame);
  if (got < 0)
    goto end;
  if (got == 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_NO_AUDIO,
        "“%s” has an audio stream with no samples in it. Export the song "
        "again.", dec->path);
    goto end;
  }

  st = dec->stream;
  info->kind = NEMO_MEDIA_AUDIO;
  if (st->duration != AV_NOPTS_VALUE)
    info->duration_us = to_us (st->duration, st->time_base);
  else if (dec->fmt->duration != AV_NOPTS_VALUE)
    info->duration_us = dec->fmt->duration;
  ret = TRUE;

end:
  av_frame_free (&frame);
  return ret;
}

NemoMediaInfo *
nemo_media_probe (const gchar * path_or_uri, GError ** error)
{
  g_autoptr (NemoMediaInfo) info = NULL;
  g_autoptr (NemoDecoder) dec = NULL;
  g_autofree gchar *path = NULL;
  gint video, audio;

  path = nemo_media_path_from_uri (path_or_uri, error);
  if (!path)
    return NULL;
  dec = nemo_decoder_open (path, error);
  if (!dec)
    return NULL;

  info = g_new0 (NemoMediaInfo, 1);
  info->path = g_strdup (path);
  info->format_name = g_strdup (dec->fmt->iformat->name);
  info->fps_d = 1;

  video = nemo_decoder_find_video (dec, FALSE);
  audio = nemo_decoder_find_audio (dec);
  info->has_audio = audio >= 0;

  if (video >= 0) {
    if (!probe_picture (dec, video, info, error))
      return NULL;
  } else if (audio >= 0) {
    if (!probe_audio (dec, audio, info, error))
      return NULL;
  } else {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_NO_AUDIO,
        "“%s” has neither sound nor pictures in it. Use an audio file "
        "(MP3, AAC/M4A, WAV, FLAC, OGG/Opus), an image or a video.", path);
    return NULL;
  }

  info->codec_name = g_strdup (avcodec_get_name (dec->stream->codecpar->codec_id));
  info->title = get_tag (dec->fmt, dec->stream, "title");
  info->artist = get_tag (dec->fmt, dec->stream, "artist");
  info->album = get_tag (dec->fmt, dec->stream, "album");
  return g_steal_pointer (&info);
}

void
nemo_media_info_free (NemoMediaInfo * info)
{
  if (!info)
    return;
  g_free (info->path);
  g_free (info->format_name);
  g_free (info->codec_name);
  g_free (info->title);
  g_free (info->artist);
  g_free (info->album);
  g_free (info);
}
