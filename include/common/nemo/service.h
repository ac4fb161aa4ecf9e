/* nemorender: what the hosted service accepts, in one table.
 *
 * The upload formats, size limits and largest render that docs/protocol.md
 * (Limits) gives, read by the upload preparation (which files go up as
 * they are), the cloud client (what its errors name) and nemo-sim (what it
 * takes).  The service's error codes are NemoErrorCode's below 10000
 * (nemo/error.h).  No FFmpeg, no HTTP: the codec and demuxer names are
 * plain strings.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_SERVICE_H
#define NEMO_SERVICE_H

#include <glib.h>

G_BEGIN_DECLS

/* The largest upload the documents agree on: 500 MB. */
#define NEMO_SERVICE_MAX_UPLOAD_SIZE G_GUINT64_CONSTANT (500000000)
/* The largest video the service renders, either way round. */
#define NEMO_SERVICE_MAX_SHORT_SIDE 1080
#define NEMO_SERVICE_MAX_LONG_SIDE 1920

typedef enum
{
  NEMO_SERVICE_DOCUMENTED,      /* every document names it */
  NEMO_SERVICE_SPELLING,        /* another spelling of the row before */
  NEMO_SERVICE_ONE_DOCUMENT,    /* only one document names it (flac): the
                                 * client never relies on it and
                                 * transcodes such a file */
} NemoServiceSource;

typedef struct
{
  const gchar *extension;       /* lower case, without the dot */
  const gchar *file_type;       /* what the service files it under: "audio",
                                 * "image" or "video" */
  NemoServiceSource source;
  const gchar *demuxers;        /* libavformat names that read such a file */
  const gchar *video;           /* codecs a picture stream may use; NULL: none */
  const gchar *audio;           /* codecs a sound stream may use; NULL: none */
} NemoServiceFormat;

/* The row for a file named @name (by its extension, any case), or NULL
 * when the service does not take it. */
const NemoServiceFormat *nemo_service_format_for_name (const gchar * name);

/* The accepted extensions, for messages: "mp4, mov, …, aac" (without
 * spellings; with @with_one_document also those only one document names).
 * g_free () it. */
gchar *nemo_service_accepted_text (gboolean with_one_document);

G_END_DECLS

#endif
