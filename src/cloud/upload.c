/* nemorender cloud client: uploads.
 *
 * A local file goes up as multipart/form-data field `files` through
 * CloudMultipartStream: the part's headers from memory, then the file's own
 * GFileInputStream, then the closing boundary, with the exact total set as
 * Content-Length.  Nothing but one read buffer is ever in memory (never
 * SoupMultipart, which copies the whole body).  A URL goes up as JSON and
 * is never downloaded here.  Each upload done is remembered, so that a new
 * session (after 1002) gets them again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cloud-private.h"
#include <nemo/log.h>

#include <string.h>

/* ---- the multipart body stream ---------------------------------------- */

typedef enum
{
  PART_PREAMBLE,
  PART_FILE,
  PART_EPILOGUE,
  PART_DONE,
} MultipartPart;

#define CLOUD_TYPE_MULTIPART_STREAM (cloud_multipart_stream_get_type ())
G_DECLARE_FINAL_TYPE (CloudMultipartStream, cloud_multipart_stream, CLOUD,
    MULTIPART_STREAM, GInputStream);

struct _CloudMultipartStream
{
  GInputStream parent;

  GBytes *preamble;
  GInputStream *file;
  guint64 file_size;
  guint64 file_sent;
  GBytes *epilogue;
  MultipartPart part;
  gsize offset;                 /* within the preamble or epilogue */
  guint64 total;
  guint64 sent;

  NemoCloud *cloud;             /* for upload progress, or NULL */
  gint last_percent;
};

G_DEFINE_TYPE (CloudMultipartStream, cloud_multipart_stream,
    G_TYPE_INPUT_STREAM);

/* The "upload" stage runs 0–100 over all the planned uploads: the one in
 * flight, @file_percent done, takes its share after those done. */
static void
report_upload_progress (NemoCloud * cloud, gdouble file_percent)
{
  guint planned = MAX (cloud->uploads_planned, 1);
  guint done = MIN (cloud->uploads_done, planned);

  cloud_progress (cloud, "upload", (done * 100.0 + (done < planned ?
              file_percent : 0.0)) / planned);
}

void
nemo_cloud_plan_uploads (NemoCloud * cloud, guint n_uploads)
{
  cloud->uploads_planned = n_uploads;
  cloud->uploads_done = 0;
  report_upload_progress (cloud, 0.0);
}

static void
multipart_sent (CloudMultipartStream * self, gsize n)
{
  gint percent;

  self->sent += n;
  percent = self->total > 0 ? (gint) (self->sent * 100 / self->total) : 100;
  if (self->cloud != NULL && percent != self->last_percent) {
    self->last_percent = percent;
    report_upload_progress (self->cloud, percent);
  }
}

static gssize
copy_bytes (CloudMultipartStream * self, GBytes * bytes, void *buffer,
    gsize count)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  gsize n = MIN (count, size - self->offset);

  memcpy (buffer, data + self->offset, n);
  self->offset += n;
  multipart_sent (self, n);
  return n;
}

static gssize
cloud_multipart_stream_read (GInputStream * stream, void *buffer, gsize count,
    GCancellable * cancellable, GError ** error)
{
  CloudMultipartStream *self = CLOUD_MULTIPART_STREAM (stream);
  GError *local_error = NULL;
  gssize n;

  for (;;) {
    switch (self->part) {
      case PART_PREAMBLE:
        if (self->offset < g_bytes_get_size (self->preamble))
          return copy_bytes (self, self->preamble, buffer, count);
        self->part = PART_FILE;
        self->offset = 0;
        break;
      case PART_FILE:
        if (self->file_sent == self->file_size) {
          self->part = PART_EPILOGUE;
          break;
        }
        n = g_input_stream_read (self->file, buffer, MIN (count,
                self->file_size - self->file_sent), cancellable, &local_error);
        if (n < 0 && g_error_matches (local_error, G_IO_ERROR,
                G_IO_ERROR_CANCELLED)) {
          g_propagate_error (error, local_error);
          return -1;
        }
        /* a local failure, not the network's: NEMO_ERROR_IO, no retry */
        if (n < 0)
          g_set_error (error, NEMO_ERROR, NEMO_ERROR_IO, "reading the file "
              "failed (%s)", local_error->message);
        else if (n == 0)
          g_set_error (error, NEMO_ERROR, NEMO_ERROR_IO, "the file shrank "
              "from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " bytes "
              "while it was being uploaded", self->file_size,
              self->file_sent);
        g_clear_error (&local_error);
        if (n <= 0)
          return -1;
        self->file_sent += n;
        multipart_sent (self, n);
        return n;
      case PART_EPILOGUE:
        if (self->offset < g_bytes_get_size (self->epilogue))
          return copy_bytes (self, self->epilogue, buffer, count);
        self->part = PART_DONE;
        break;
      case PART_DONE:
        return 0;
    }
  }
}

static gboolean
cloud_multipart_stream_close (GInputStream * stream,
    GCancellable * cancellable, GError ** error)
{
  return g_input_stream_close (CLOUD_MULTIPART_STREAM (stream)->file,
      cancellable, error);
}

static void
cloud_multipart_stream_finalize (GObject * object)
{
  CloudMultipartStream *self = CLOUD_MULTIPART_STREAM (object);

  g_bytes_unref (self->preamble);
  g_bytes_unref (self->epilogue);
  g_object_unref (self->file);
  G_OBJECT_CLASS (cloud_multipart_stream_parent_class)->finalize (object);
}

static void
cloud_multipart_stream_class_init (CloudMultipartStreamClass * klass)
{
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = cloud_multipart_stream_finalize;
  stream_class->read_fn = cloud_multipart_stream_read;
  stream_class->close_fn = cloud_multipart_stream_close;
}

static void
cloud_multipart_stream_init (CloudMultipartStream * self)
{
  self->last_percent = -1;
}

/* A filename fit for a quoted header parameter. */
static gchar *
header_filename (const gchar * filename)
{
  gchar *safe = g_strdup (filename);
  gchar *p;

  for (p = safe; *p != '\0'; p++)
    if (*p == '"' || *p == '\\' || *p == '\r' || *p == '\n')
      *p = '_';
  return safe;
}

/* A multipart/form-data body with one `files` part holding @file
 * (@file_size bytes); *total_size gets the body's exact length. */
GInputStream *
cloud_multipart_stream_new (GInputStream * file, guint64 file_size,
    const gchar * boundary, const gchar * filename, const gchar * content_type,
    guint64 * total_size)
{
  CloudMultipartStream *self = g_object_new (CLOUD_TYPE_MULTIPART_STREAM,
      NULL);
  g_autofree gchar *safe_name = header_filename (filename);
  gchar *preamble = g_strdup_printf ("--%s\r\n"
      "Content-Disposition: form-data; name=\"files\"; filename=\"%s\"\r\n"
      "Content-Type: %s\r\n\r\n", boundary, safe_name, content_type);
  gchar *epilogue = g_strdup_printf ("\r\n--%s--\r\n", boundary);

  self->preamble = g_bytes_new_take (preamble, strlen (preamble));
  self->epilogue = g_bytes_new_take (epilogue, strlen (epilogue));
  self->file = g_object_ref (file);
  self->file_size = file_size;
  self->total = g_bytes_get_size (self->preamble) + file_size
      + g_bytes_get_size (self->epilogue);
  *total_size = self->total;
  return G_INPUT_STREAM (self);
}

/* ---- the calls -------------------------------------------------------- */

void
cloud_upload_free (CloudUpload * upload)
{
  g_free (upload->location);
  g_free (upload);
}

static SoupMessage *
upload_message_new (NemoCloud * cloud)
{
  g_autofree gchar *sid = g_uri_escape_string (cloud->session_id, NULL, FALSE);
  g_autofree gchar *path = g_strdup_printf ("/api/upload-video/nemo_agent/me/%s",
      sid);

  return cloud_message_new (cloud, "POST", path);
}

static SoupMessage *
build_file_upload (NemoCloud * cloud, gpointer data, GError ** error)
{
  const gchar *path = data;
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) input = NULL;
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GInputStream) body = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree gchar *basename = g_path_get_basename (path);
  g_autofree gchar *type = g_content_type_guess (basename, NULL, 0, NULL);
  g_autofree gchar *mime = g_content_type_get_mime_type (type);
  g_autofree gchar *uuid = g_uuid_string_random ();
  g_autofree gchar *boundary = NULL;
  g_autofree gchar *content_type = NULL;
  CloudMultipartStream *multipart;
  SoupMessage *msg;
  guint64 total;

  input = g_file_read (file, NULL, &local_error);
  if (input != NULL)
    info = g_file_input_stream_query_info (input,
        G_FILE_ATTRIBUTE_STANDARD_SIZE, NULL, &local_error);
  if (info == NULL) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_NOT_FOUND, "“%s” cannot be "
        "read for upload (%s). Check that it exists and is readable.", path,
        local_error->message);
    return NULL;
  }
  boundary = g_strdup_printf ("nemorender-%s", uuid);
  body = cloud_multipart_stream_new (G_INPUT_STREAM (input),
      g_file_info_get_size (info), boundary, basename,
      mime != NULL ? mime : "application/octet-stream", &total);
  multipart = CLOUD_MULTIPART_STREAM (body);
  multipart->cloud = cloud;

  msg = upload_message_new (cloud);
  content_type = g_strdup_printf ("multipart/form-data; boundary=%s",
      boundary);
  soup_message_set_request_body (msg, content_type, body, total);
  return msg;
}

static SoupMessage *
build_url_upload (NemoCloud * cloud, gpointer data, GError ** error)
{
  const gchar *url = data;
  SoupMessage *msg = upload_message_new (cloud);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "urls");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, url);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "source_type");
  json_builder_add_string_value (builder, "url");
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  cloud_message_set_json (msg, body);
  return msg;
}

static void
log_uploaded (NemoCloud * cloud, JsonNode * data)
{
  JsonNode *files = cloud_json_member (data, "files");
  JsonArray *array;
  guint i;

  if (files == NULL || !JSON_NODE_HOLDS_ARRAY (files))
    return;
  array = json_node_get_array (files);
  for (i = 0; i < json_array_get_length (array); i++) {
    JsonNode *file = json_array_get_element (array, i);
    const gchar *name = cloud_json_string (file, "filename");
    const gchar *type = cloud_json_string (file, "file_type");
    g_autofree gchar *shown_name = cloud_scrub (cloud, name != NULL ? name :
        "(no name)", CLOUD_SCRUB_SHORT);
    g_autofree gchar *shown_type = cloud_scrub (cloud, type != NULL ? type :
        "no type", CLOUD_SCRUB_SHORT);

    NEMO_DEBUG ("uploaded %s (%s)", shown_name, shown_type);
  }
}

/* ---- an upload left unanswered ----------------------------------------- */

typedef enum
{
  UPLOAD_ARRIVED,
  UPLOAD_MISSING,
  UPLOAD_UNKNOWN,
} UploadFate;

/* The name the service files @upload under: the file's, as the part's
 * header gives it, or the last element of the URL's path. */
static gchar *
upload_name (const CloudUpload * upload)
{
  g_autoptr (GUri) uri = NULL;
  g_autofree gchar *base = NULL;

  if (!upload->is_url) {
    base = g_path_get_basename (upload->location);
    return header_filename (base);
  }
  uri = g_uri_parse (upload->location, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || *g_uri_get_path (uri) == '\0')
    return g_strdup (upload->location);
  return g_path_get_basename (g_uri_get_path (uri));
}

/* How many uploads of the session state's `video_infos` are named @name;
 * -1 when the state has no such list. */
static gint
count_listed (JsonNode * state, const gchar * name)
{
  JsonNode *infos = cloud_json_member (state, "video_infos");
  JsonArray *array;
  guint i;
  gint n = 0;

  if (infos == NULL || !JSON_NODE_HOLDS_ARRAY (infos))
    return -1;
  array = json_node_get_array (infos);
  for (i = 0; i < json_array_get_length (array); i++)
    n += g_strcmp0 (cloud_json_string (json_array_get_element (array, i),
            "filename"), name) == 0;
  return n;
}

/* How many uploads named @name went into the session before @upload: all
 * those remembered, or when @upload is being replayed, those before it. */
static gint
count_remembered (NemoCloud * cloud, const CloudUpload * upload,
    const gchar * name)
{
  guint i;
  gint n = 0;

  for (i = 0; i < cloud->uploads->len
      && g_ptr_array_index (cloud->uploads, i) != upload; i++) {
    g_autofree gchar *other = upload_name (g_ptr_array_index (cloud->uploads,
            i));

    n += g_strcmp0 (other, name) == 0;
  }
  return n;
}

/* Whether @upload, sent and not answered, is in the session: it is when
 * the state lists more uploads of its name than went there before it. */
static UploadFate
upload_fate (NemoCloud * cloud, const CloudUpload * upload,
    GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *name = upload_name (upload);
  g_autoptr (JsonNode) state = nemo_cloud_get_state (cloud, cancellable,
      error);
  gint listed;

  if (state == NULL)
    return UPLOAD_UNKNOWN;
  listed = count_listed (state, name);
  if (listed < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "the state has no "
        "list of uploads (video_infos).");
    return UPLOAD_UNKNOWN;
  }
  NEMO_DEBUG ("the session lists %d upload(s) named %s, %d before this one",
      listed, name, count_remembered (cloud, upload, name));
  return listed > count_remembered (cloud, upload, name) ? UPLOAD_ARRIVED :
      UPLOAD_MISSING;
}

/* One upload into the current session; also how uploads are replayed
 * into a new one.  An upload that may have reached the service but got no
 * answer is sent again only when the session state does not list it. */
gboolean
cloud_upload_replay (NemoCloud * cloud, const CloudUpload * upload,
    GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *what = upload->is_url ?
      g_strdup_printf ("hand the URL %s to the service", upload->location) :
      g_strdup_printf ("upload “%s”", upload->location);
  gboolean lost = FALSE;
  CloudCall call = { what, upload->is_url ? NULL : upload->location,
    CLOUD_CALL_SESSION, upload->is_url ? build_url_upload : build_file_upload,
    upload->location, NULL, &lost
  };
  CloudResponse response;
  guint attempt;

  cloud_progress (cloud, "upload", 0.0);
  for (attempt = 0;; attempt++) {
    g_autofree gchar *if_lost = g_strdup_printf ("Look at the uploads of "
        "session-id=%s before uploading it again.", cloud->session_id);
    g_autoptr (GError) failure = NULL;
    g_autoptr (GError) check_error = NULL;

    call.if_lost = if_lost;
    lost = FALSE;
    if (cloud_call (cloud, &call, &response, cancellable, &failure))
      break;
    if (!lost) {
      g_propagate_error (error, g_steal_pointer (&failure));
      return FALSE;
    }
    switch (upload_fate (cloud, upload, cancellable, &check_error)) {
      case UPLOAD_ARRIVED:
        NEMO_DEBUG ("no answer to the upload, but the session has it");
        cloud_progress (cloud, "upload", 100.0);
        return TRUE;
      case UPLOAD_MISSING:
        if (attempt < cloud->config.retries) {
          NEMO_DEBUG ("no answer to the upload, and the session does not "
              "have it: sending it again");
          continue;
        }
        g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "Could not %s: "
            "it was sent %u times without an answer, and the state of "
            "session-id=%s does not list it. The service may be down or "
            "overloaded: check the network connection and api-url, and try "
            "again later.", what, attempt + 1, cloud->session_id);
        return FALSE;
      case UPLOAD_UNKNOWN:
        if (cloud_is_cancelled (check_error)) {
          g_propagate_error (error, g_steal_pointer (&check_error));
          return FALSE;
        }
        g_set_error (error, NEMO_ERROR, NEMO_ERROR_FAILED, "%s (The session "
            "state could not tell whether it arrived: %s)", failure->message,
            check_error->message);
        return FALSE;
    }
  }
  log_uploaded (cloud, response.data);
  cloud_response_clear (&response);
  cloud_progress (cloud, "upload", 100.0);
  return TRUE;
}

static gboolean
upload_and_remember (NemoCloud * cloud, gboolean is_url,
    const gchar * location, GCancellable * cancellable, GError ** error)
{
  CloudUpload *upload = g_new0 (CloudUpload, 1);

  upload->is_url = is_url;
  upload->location = g_strdup (location);
  if (!cloud_upload_replay (cloud, upload, cancellable, error)) {
    cloud_upload_free (upload);
    return FALSE;
  }
  g_ptr_array_add (cloud->uploads, upload);
  cloud->uploads_done++;
  report_upload_progress (cloud, 0.0);
  return TRUE;
}

gboolean
nemo_cloud_upload_file (NemoCloud * cloud, const gchar * path,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree gchar *size = NULL;
  g_autofree gchar *limit = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  if (!cloud_require_session (cloud, "upload a file", error))
    return FALSE;

  file = g_file_new_for_path (path);
  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_TYPE ","
      G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE, cancellable,
      &local_error);
  /* a stop is not a missing file: the caller must see it as a cancel */
  if (info == NULL && cloud_is_cancelled (local_error)) {
    cloud_set_cancelled (error, "upload a file");
    return FALSE;
  }
  if (info == NULL || g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_NOT_FOUND, "“%s” cannot be "
        "uploaded: %s. Check the path.", path, local_error != NULL ?
        local_error->message : "it is not a regular file");
    return FALSE;
  }
  if (cloud->config.max_upload_size > 0
      && (guint64) g_file_info_get_size (info) > cloud->config.max_upload_size) {
    size = g_format_size (g_file_info_get_size (info));
    limit = g_format_size (cloud->config.max_upload_size);
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_FILE_TOO_LARGE, "“%s” (%s) is "
        "larger than max-upload-size (%s). Make it smaller before uploading: "
        "trim it with max-duration or compress it, or raise max-upload-size "
        "if the service accepts more.", path, size, limit);
    return FALSE;
  }
  return upload_and_remember (cloud, FALSE, path, cancellable, error);
}

gboolean
nemo_cloud_upload_url (NemoCloud * cloud, const gchar * url,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (GUri) uri = NULL;

  g_return_val_if_fail (url != NULL, FALSE);
  if (!cloud_require_session (cloud, "upload a URL", error))
    return FALSE;
  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL || (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0
          && g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") != 0)) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_INVALID_ARGUMENT, "“%s” is "
        "not an http(s) URL the service can fetch. Give an http:// or "
        "https:// URL, or a local file.", url);
    return FALSE;
  }
  return upload_and_remember (cloud, TRUE, url, cancellable, error);
}
