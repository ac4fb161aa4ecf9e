/* nemorender: the library's error domain.
 *
 * Codes below 10000 mirror the service's table in docs/protocol.md, Errors
 * (its `code` field, or the HTTP status where that carries the meaning);
 * codes from 10000 are the library's own media and render failures.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_ERROR_H
#define NEMO_ERROR_H

#include <glib.h>

G_BEGIN_DECLS

#define NEMO_ERROR (nemo_error_quark ())
GQuark nemo_error_quark (void);

typedef enum
{
  NEMO_ERROR_FAILED = 1,

  /* the service's codes */
  NEMO_ERROR_MISSING_CLIENT_ID = 400,
  NEMO_ERROR_EXPORT_BLOCKED = 402,
  NEMO_ERROR_RATE_LIMITED = 429,
  NEMO_ERROR_TOKEN_EXPIRED = 1001,
  NEMO_ERROR_SESSION_NOT_FOUND = 1002,
  NEMO_ERROR_OUT_OF_CREDITS = 2001,
  NEMO_ERROR_UNSUPPORTED_TYPE = 4001,
  NEMO_ERROR_FILE_TOO_LARGE = 4002,

  /* the library's own */
  NEMO_ERROR_NOT_FOUND = 10000,         /* an input file does not exist or cannot be opened */
  NEMO_ERROR_UNSUPPORTED_MEDIA,         /* not a format we read, or corrupt */
  NEMO_ERROR_NO_AUDIO,                  /* audio input with no samples / no audio stream */
  NEMO_ERROR_IMAGE_TOO_LARGE,           /* an image over NEMO_MAX_IMAGE_SIDE on a side */
  NEMO_ERROR_INVALID_DRAFT,             /* draft JSON we cannot use */
  NEMO_ERROR_ENCODE,                    /* FFmpeg failed to filter, encode or mux */
  NEMO_ERROR_IO,                        /* reading or writing a local file failed */
  NEMO_ERROR_CANCELLED,                 /* the caller's GCancellable fired */
  NEMO_ERROR_INVALID_ARGUMENT,          /* a setting that cannot work (size, rate...) */
} NemoErrorCode;

G_END_DECLS

#endif
