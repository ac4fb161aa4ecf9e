/* nemo-sim: uploads.
 *
 * A multipart body is never held in memory: the early handler turns off the
 * body's accumulation and a small parser writes each `files` part to disk as
 * its chunks arrive (keeping at most one delimiter's length of bytes back),
 * hashing it on the way.  When the body is complete the handler checks and
 * probes the files and hands them to the session.  The JSON URL form is
 * recorded without downloading anything.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE             /* memmem */
#include "sim-private.h"

#include <nemo/error.h>
#include <nemo/service.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <string.h>

#define SIM_MAX_PART_HEADERS (16 * 1024)
#define SIM_MAX_URL_BODY (1024 * 1024)
#define SIM_UPLOAD_KEY "nemo-sim-upload"

typedef enum
{
  MP_PREAMBLE,
  MP_AFTER_DELIMITER,
  MP_HEADERS,
  MP_BODY,
  MP_DONE,
  MP_FAILED,
} SimMultipartState;

typedef struct
{
  gchar *filename;
  gchar *path;                  /* NULL for a part we skip */
  GOutputStream *out;
  GChecksum *sha;
  guint64 size;
  gboolean too_large;
} SimPart;

typedef struct
{
  gchar *dir;                   /* incoming files, removed at the end */
  guint64 max_size;
  gchar *delimiter;             /* "\r\n--" boundary */
  gsize delimiter_len;
  GByteArray *buffer;
  SimMultipartState state;
  SimPart *part;                /* being received */
  GPtrArray *parts;             /* SimPart*, finished `files` parts */
  gchar *error;
} SimUpload;

/* The file type the service files @name under, or NULL if not accepted:
 * the simulator takes every format a document names. */
static const gchar *
file_type_for_name (const gchar * name)
{
  const NemoServiceFormat *format = nemo_service_format_for_name (name);

  return format != NULL ? format->file_type : NULL;
}

static void
part_free (SimPart * part)
{
  g_clear_object (&part->out);
  if (part->path) {
    g_unlink (part->path);
    g_free (part->path);
  }
  g_clear_pointer (&part->sha, g_checksum_free);
  g_free (part->filename);
  g_free (part);
}

static void
remove_dir_tree (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *child = g_build_filename (path, name, NULL);

    if (g_file_test (child, G_FILE_TEST_IS_DIR))
      remove_dir_tree (child);
    else
      g_unlink (child);
  }
  if (dir)
    g_dir_close (dir);
  g_rmdir (path);
}

static void
upload_free (SimUpload * upload)
{
  g_clear_pointer (&upload->part, part_free);
  g_ptr_array_unref (upload->parts);
  remove_dir_tree (upload->dir);
  g_free (upload->dir);
  g_free (upload->delimiter);
  g_byte_array_unref (upload->buffer);
  g_free (upload->error);
  g_free (upload);
}

static void
upload_fail (SimUpload * upload, gchar * error)
{
  g_free (upload->error);
  upload->error = error;
  upload->state = MP_FAILED;
  g_clear_pointer (&upload->part, part_free);
}

/* ---- the parts ---- */

static gchar *
safe_filename (const gchar * filename)
{
  gchar *base = g_path_get_basename (filename);

  g_strdelimit (base, "\\:", '_');
  if (strcmp (base, ".") == 0 || strcmp (base, "..") == 0
      || strcmp (base, G_DIR_SEPARATOR_S) == 0) {
    g_free (base);
    base = g_strdup ("upload");
  }
  return base;
}

static SoupMessageHeaders *
parse_part_headers (const gchar * text, gsize length)
{
  SoupMessageHeaders *headers =
      soup_message_headers_new (SOUP_MESSAGE_HEADERS_MULTIPART);
  g_autofree gchar *copy = g_strndup (text, length);
  g_auto (GStrv) lines = g_strsplit (copy, "\r\n", -1);
  guint i;

  for (i = 0; lines[i]; i++) {
    gchar *colon = strchr (lines[i], ':');

    if (colon == NULL)
      continue;
    *colon = '\0';
    soup_message_headers_append (headers, g_strstrip (lines[i]),
        g_strstrip (colon + 1));
  }
  return headers;
}

static void
part_begin (SimUpload * upload, const gchar * header_text, gsize length)
{
  SoupMessageHeaders *headers = parse_part_headers (header_text, length);
  g_autofree gchar *disposition = NULL;
  g_autoptr (GHashTable) params = NULL;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = NULL;
  g_autofree gchar *name = NULL;
  const gchar *field = NULL, *filename = NULL;
  SimPart *part = g_new0 (SimPart, 1);

  upload->part = part;
  if (soup_message_headers_get_content_disposition (headers, &disposition,
          &params)) {
    field = g_hash_table_lookup (params, "name");
    filename = g_hash_table_lookup (params, "filename");
  }
  if (g_strcmp0 (field, "files") != 0 || filename == NULL || *filename == '\0')
    goto end;                   /* not a file: skipped */

  name = safe_filename (filename);
  dir = g_strdup_printf ("%s" G_DIR_SEPARATOR_S "%u", upload->dir,
      upload->parts->len);
  g_mkdir_with_parents (dir, 0700);
  part->filename = g_strdup (filename);
  part->path = g_build_filename (dir, name, NULL);
  part->sha = g_checksum_new (G_CHECKSUM_SHA256);
  file = g_file_new_for_path (part->path);
  part->out = G_OUTPUT_STREAM (g_file_replace (file, NULL, FALSE,
          G_FILE_CREATE_PRIVATE, NULL, &error));
  if (part->out == NULL)
    upload_fail (upload, g_strdup_printf ("The simulator cannot store “%s” "
            "(%s).", filename, error->message));
end:
  soup_message_headers_unref (headers);
}

static void
part_write (SimUpload * upload, const guint8 * data, gsize size)
{
  SimPart *part = upload->part;
  g_autoptr (GError) error = NULL;

  if (part == NULL || part->out == NULL || size == 0)
    return;
  part->size += size;
  if (part->size > upload->max_size) {
    /* keep reading to answer 4002, but store nothing more */
    part->too_large = TRUE;
    g_clear_object (&part->out);
    g_unlink (part->path);
    return;
  }
  g_checksum_update (part->sha, data, size);
  if (!g_output_stream_write_all (part->out, data, size, NULL, NULL, &error))
    upload_fail (upload, g_strdup_printf ("The simulator cannot store “%s” "
            "(%s).", part->filename, error->message));
}

static void
part_finish (SimUpload * upload)
{
  SimPart *part = g_steal_pointer (&upload->part);
  g_autoptr (GError) error = NULL;

  if (part == NULL)
    return;
  if (part->out && !g_output_stream_close (part->out, NULL, &error)) {
    upload_fail (upload, g_strdup_printf ("The simulator cannot store “%s” "
            "(%s).", part->filename, error->message));
    part_free (part);
    return;
  }
  g_clear_object (&part->out);
  if (part->path)
    g_ptr_array_add (upload->parts, part);
  else
    part_free (part);
}

/* ---- the parser ---- */

/* One step on the buffered bytes; FALSE when it needs more input. */
static gboolean
upload_step (SimUpload * upload)
{
  GByteArray *buffer = upload->buffer;
  const guint8 *found;
  gsize keep, used;

  switch (upload->state) {
    case MP_PREAMBLE:
    case MP_BODY:
      found = memmem (buffer->data, buffer->len, upload->delimiter,
          upload->delimiter_len);
      if (found == NULL) {
        /* everything but a possible start of the delimiter is content */
        keep = MIN (buffer->len, upload->delimiter_len - 1);
        if (upload->state == MP_BODY)
          part_write (upload, buffer->data, buffer->len - keep);
        g_byte_array_remove_range (buffer, 0, buffer->len - keep);
        return FALSE;
      }
      used = found - buffer->data;
      if (upload->state == MP_BODY) {
        part_write (upload, buffer->data, used);
        part_finish (upload);
      }
      if (upload->state == MP_FAILED)
        return FALSE;
      g_byte_array_remove_range (buffer, 0, used + upload->delimiter_len);
      upload->state = MP_AFTER_DELIMITER;
      return TRUE;

    case MP_AFTER_DELIMITER:
      if (buffer->len < 2)
        return FALSE;
      if (memcmp (buffer->data, "--", 2) == 0) {
        upload->state = MP_DONE;
        return FALSE;
      }
      /* transport padding may follow the boundary before its CRLF */
      while (buffer->len > 0 && (buffer->data[0] == ' '
              || buffer->data[0] == '\t'))
        g_byte_array_remove_range (buffer, 0, 1);
      if (buffer->len < 2)
        return FALSE;
      if (memcmp (buffer->data, "\r\n", 2) != 0) {
        upload_fail (upload, g_strdup ("A multipart boundary is followed by "
                "something other than a line end."));
        return FALSE;
      }
      g_byte_array_remove_range (buffer, 0, 2);
      upload->state = MP_HEADERS;
      return TRUE;

    case MP_HEADERS:
      if (buffer->len >= 2 && memcmp (buffer->data, "\r\n", 2) == 0) {
        used = 0;               /* a part without headers */
      } else {
        found = memmem (buffer->data, buffer->len, "\r\n\r\n", 4);
        if (found == NULL) {
          if (buffer->len > SIM_MAX_PART_HEADERS)
            upload_fail (upload, g_strdup ("A multipart part's headers are "
                    "too long."));
          return FALSE;
        }
        used = found - buffer->data + 2;
      }
      part_begin (upload, (const gchar *) buffer->data, used);
      if (upload->state == MP_FAILED)
        return FALSE;
      g_byte_array_remove_range (buffer, 0, used + 2);
      upload->state = MP_BODY;
      return TRUE;

    case MP_DONE:
    case MP_FAILED:
      return FALSE;
  }
  return FALSE;
}

static void
upload_got_chunk (SoupServerMessage * msg, GBytes * chunk, SimUpload * upload)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (chunk, &size);

  if (upload->state == MP_DONE || upload->state == MP_FAILED)
    return;
  g_byte_array_append (upload->buffer, data, size);
  while (upload_step (upload));
}

void
sim_upload_early (NemoSim * sim, SoupServerMessage * msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr (GHashTable) params = NULL;
  const gchar *type = soup_message_headers_get_content_type (headers, &params);
  const gchar *boundary = params ? g_hash_table_lookup (params, "boundary") : NULL;
  SimUpload *upload;

  if (type == NULL || g_ascii_strcasecmp (type, "multipart/form-data") != 0
      || boundary == NULL || *boundary == '\0') {
    /* the JSON form is small: refuse a big one before reading it */
    if (soup_message_headers_get_content_length (headers) > SIM_MAX_URL_BODY)
      sim_reply_code (sim, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, 413,
          "Upload files as multipart/form-data in the field “files”; a JSON "
          "body only carries {\"urls\":[…],\"source_type\":\"url\"}.");
    return;
  }

  upload = g_new0 (SimUpload, 1);
  upload->dir = g_strdup_printf ("%s" G_DIR_SEPARATOR_S "incoming"
      G_DIR_SEPARATOR_S "%u", sim->work_dir, ++sim->n_incoming);
  upload->max_size = sim->options.max_upload_size;
  /* the first boundary may open the body: pretend a line end came before */
  upload->delimiter = g_strconcat ("\r\n--", boundary, NULL);
  upload->delimiter_len = strlen (upload->delimiter);
  upload->buffer = g_byte_array_new ();
  g_byte_array_append (upload->buffer, (const guint8 *) "\r\n", 2);
  upload->parts = g_ptr_array_new_with_free_func ((GDestroyNotify) part_free);
  g_mkdir_with_parents (upload->dir, 0700);

  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg),
      FALSE);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (upload_got_chunk), upload);
  g_object_set_data_full (G_OBJECT (msg), SIM_UPLOAD_KEY, upload,
      (GDestroyNotify) upload_free);
}

/* ---- checking and keeping the files ---- */

static gchar *
size_text (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_DEFAULT);
}

/* Probe @media->path and fill the fields; FALSE with a 4001 text. */
static gboolean
probe_media (SimMedia * media, gchar ** reason)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NemoMediaInfo) info = nemo_media_probe (media->path, &error);

  if (info == NULL) {
    *reason = g_strdup_printf ("“%s” cannot be used: %s", media->filename,
        error->message);
    return FALSE;
  }
  media->kind = info->kind;
  media->file_type = info->kind == NEMO_MEDIA_AUDIO ? "audio" :
      info->kind == NEMO_MEDIA_IMAGE ? "image" : "video";
  media->probed = TRUE;
  media->duration_s = info->duration_us / 1e6;
  media->width = info->width;
  media->height = info->height;
  media->fps = info->fps_d > 0 ? (gdouble) info->fps_n / info->fps_d : 0.0;
  return TRUE;
}

static gchar *
too_large_text (NemoSim * sim, const gchar * filename, guint64 size)
{
  g_autofree gchar *got = size_text (size);
  g_autofree gchar *limit = size_text (sim->options.max_upload_size);

  return g_strdup_printf ("“%s” is larger than %s (at least %s): compress "
      "or trim it and upload it again.", filename, limit, got);
}

static gchar *
unsupported_text (const gchar * filename)
{
  g_autofree gchar *accepted = nemo_service_accepted_text (TRUE);

  return g_strdup_printf ("“%s” is not a file type the service accepts. "
      "Accepted: %s.", filename, accepted);
}

static void
reply_files (NemoSim * sim, SoupServerMessage * msg, GPtrArray * added)
{
  g_autoptr (JsonObject) data = json_object_new ();
  JsonArray *files = json_array_new ();
  guint i;

  for (i = 0; i < added->len; i++)
    json_array_add_element (files, sim_media_to_node (added->pdata[i]));
  json_object_set_array_member (data, "files", files);
  json_object_set_boolean_member (data, "session_state_applied", TRUE);
  sim_reply_ok (sim, msg, json_node_init_object (json_node_alloc (), data));
}

/* Move a received part into the session and publish it on the CDN. */
static gboolean
keep_part (NemoSim * sim, SimSession * session, SimPart * part,
    SimMedia * media, gchar ** reason)
{
  g_autofree gchar *name = g_path_get_basename (part->path);
  g_autofree gchar *number = g_strdup_printf ("%u", ++session->n_uploads);
  g_autofree gchar *dir = g_build_filename (session->dir, number, NULL);
  g_autofree gchar *escaped = g_uri_escape_string (name, NULL, FALSE);
  gchar *cdn_path;

  media->path = g_build_filename (dir, name, NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0
      || g_rename (part->path, media->path) != 0) {
    *reason = g_strdup_printf ("The simulator cannot keep “%s” (%s).",
        part->filename, g_strerror (errno));
    return FALSE;
  }
  cdn_path = g_strdup_printf ("/cdn/media/%s/%s/%s", session->id, number,
      name);
  media->url = g_strdup_printf ("%s/cdn/media/%s/%s/%s", sim->cdn_url,
      session->id, number, escaped);
  g_hash_table_replace (sim->cdn_files, cdn_path, g_strdup (media->path));
  return TRUE;
}

static void
handle_multipart (NemoSim * sim, SoupServerMessage * msg,
    SimSession * session, SimUpload * upload)
{
  g_autoptr (GPtrArray) checked =
      g_ptr_array_new_with_free_func ((GDestroyNotify) sim_media_free);
  g_autofree gchar *reason = NULL;
  guint i;

  if (upload->state != MP_DONE) {
    reason = g_strdup_printf ("The multipart body is malformed: %s Send the "
        "files as multipart/form-data in the field “files”.",
        upload->error ? upload->error : "it ends before its closing boundary.");
    sim_reply_code (sim, msg, SOUP_STATUS_BAD_REQUEST, 400, reason);
    return;
  }
  if (upload->parts->len == 0) {
    sim_reply_code (sim, msg, SOUP_STATUS_BAD_REQUEST, 400,
        "No file in the multipart field “files”.");
    return;
  }
  for (i = 0; i < upload->parts->len; i++) {
    SimPart *part = upload->parts->pdata[i];
    SimMedia *media;

    if (part->too_large) {
      reason = too_large_text (sim, part->filename, part->size);
      sim_reply_code (sim, msg, SOUP_STATUS_OK,
          NEMO_ERROR_FILE_TOO_LARGE, reason);
      return;
    }
    if (file_type_for_name (part->filename) == NULL) {
      reason = unsupported_text (part->filename);
      sim_reply_code (sim, msg, SOUP_STATUS_OK,
          NEMO_ERROR_UNSUPPORTED_TYPE, reason);
      return;
    }
    media = g_new0 (SimMedia, 1);
    g_ptr_array_add (checked, media);
    media->filename = g_strdup (part->filename);
    media->path = g_strdup (part->path);
    media->size = part->size;
    media->hash = g_strdup (g_checksum_get_string (part->sha));
    if (!probe_media (media, &reason)) {
      sim_reply_code (sim, msg, SOUP_STATUS_OK,
          NEMO_ERROR_UNSUPPORTED_TYPE, reason);
      return;
    }
  }
  for (i = 0; i < checked->len; i++) {
    SimMedia *media = checked->pdata[i];

    g_clear_pointer (&media->path, g_free);
    if (!keep_part (sim, session, upload->parts->pdata[i], media, &reason)) {
      sim_reply_code (sim, msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, 500,
          reason);
      return;
    }
  }
  reply_files (sim, msg, checked);
  for (i = 0; i < checked->len; i++)
    g_ptr_array_add (session->media, checked->pdata[i]);
  g_ptr_array_set_free_func (checked, NULL);
}

/* One URL of the JSON form, recorded (and probed when it is local). */
static SimMedia *
media_for_url (NemoSim * sim, const gchar * url, guint * code,
    gchar ** reason)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const gchar *scheme = uri ? g_uri_get_scheme (uri) : NULL;
  g_autofree gchar *base = NULL;
  SimMedia *media = g_new0 (SimMedia, 1);
  GStatBuf st;

  media->url = g_strdup (url);
  if (g_path_is_absolute (url) || g_strcmp0 (scheme, "file") == 0) {
    media->path = nemo_media_path_from_uri (url, NULL);
    base = g_path_get_basename (media->path ? media->path : url);
  } else if (g_strcmp0 (scheme, "http") == 0
      || g_strcmp0 (scheme, "https") == 0) {
    base = g_path_get_basename (g_uri_get_path (uri)[0] ?
        g_uri_get_path (uri) : "/");
  } else {
    *code = NEMO_ERROR_UNSUPPORTED_TYPE;
    *reason = g_strdup_printf ("“%s” is not a URL the service can fetch: "
        "give an http(s) URL, or upload the file.", url);
    goto fail;
  }
  media->filename = g_strdup (base);
  media->file_type = file_type_for_name (base);
  if (media->path == NULL) {
    /* remote: recorded as given, never downloaded */
    if (media->file_type == NULL)
      media->file_type = "video";
    media->kind = strcmp (media->file_type, "audio") == 0 ? NEMO_MEDIA_AUDIO :
        strcmp (media->file_type, "image") == 0 ? NEMO_MEDIA_IMAGE :
        NEMO_MEDIA_VIDEO;
    return media;
  }
  if (media->file_type == NULL) {
    *code = NEMO_ERROR_UNSUPPORTED_TYPE;
    *reason = unsupported_text (base);
    goto fail;
  }
  if (g_stat (media->path, &st) == 0
      && (guint64) st.st_size > sim->options.max_upload_size) {
    *code = NEMO_ERROR_FILE_TOO_LARGE;
    *reason = too_large_text (sim, base, st.st_size);
    goto fail;
  }
  if (!probe_media (media, reason)) {
    *code = NEMO_ERROR_UNSUPPORTED_TYPE;
    goto fail;
  }
  return media;

fail:
  sim_media_free (media);
  return NULL;
}

static void
handle_urls (NemoSim * sim, SoupServerMessage * msg, SimSession * session)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GPtrArray) added =
      g_ptr_array_new_with_free_func ((GDestroyNotify) sim_media_free);
  g_autofree gchar *reason = NULL;
  JsonArray *urls = NULL;
  guint i, code = 0;

  if (json_parser_load_from_data (parser, body->data, body->length, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    urls = sim_json_array (json_node_get_object (json_parser_get_root
            (parser)), "urls");
  if (urls == NULL || json_array_get_length (urls) == 0) {
    sim_reply_code (sim, msg, SOUP_STATUS_BAD_REQUEST, 400,
        "Send files as multipart/form-data in the field “files”, or URLs as "
        "{\"urls\":[\"…\"],\"source_type\":\"url\"}.");
    return;
  }
  for (i = 0; i < json_array_get_length (urls); i++) {
    JsonNode *node = json_array_get_element (urls, i);
    SimMedia *media;

    if (json_node_get_value_type (node) != G_TYPE_STRING) {
      sim_reply_code (sim, msg, SOUP_STATUS_BAD_REQUEST, 400,
          "Every entry of “urls” must be a string.");
      return;
    }
    media = media_for_url (sim, json_node_get_string (node), &code, &reason);
    if (media == NULL) {
      sim_reply_code (sim, msg, SOUP_STATUS_OK, code, reason);
      return;
    }
    g_ptr_array_add (added, media);
  }
  reply_files (sim, msg, added);
  for (i = 0; i < added->len; i++)
    g_ptr_array_add (session->media, added->pdata[i]);
  g_ptr_array_set_free_func (added, NULL);
}

void
sim_upload_handle (NemoSim * sim, SoupServerMessage * msg,
    SimSession * session)
{
  SimUpload *upload = g_object_get_data (G_OBJECT (msg), SIM_UPLOAD_KEY);

  if (upload)
    handle_multipart (sim, msg, session, upload);
  else
    handle_urls (sim, msg, session);
}
