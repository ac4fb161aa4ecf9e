/* Element tests: run a gst-launch style pipeline around nemorender to the
 * end and keep what a user would see (bytes, messages, the error).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_TEST_PIPELINE_RUN_H
#define NEMO_TEST_PIPELINE_RUN_H

#include <gst/gst.h>

typedef struct
{
  gchar *output;                /* where filesink wrote */
  guint64 bytes_pushed;         /* counted on nemorender's src pad */
  GError *error;                /* the error message, if any */
  GstStructure *error_details;
  GPtrArray *messages;          /* GstStructure* of element messages */
  GPtrArray *progress;          /* "START:prepare", "COMPLETE:encode", ... */
  gboolean eos_pushed;          /* nemorender sent EOS downstream */
  gboolean start_failed;        /* setting the pipeline to PLAYING failed */
  /* set before the run: called on each element message; TRUE stops the
   * pipeline there (to stop it half-way) */
  gboolean (*on_message) (const GstStructure * s, gpointer data);
  gpointer on_message_data;
} RunResult;

/* A test file's path: $NEMO_TEST_DATA/@name. */
gchar *data_path (const gchar * name);
/* Replace every {name} in @pipeline with the test file's path. */
gchar *expand_paths (const gchar * pipeline);

/* gst_parse_launch () of @description after expand_paths (); a parse
 * error fails the test. */
GstElement *pipeline_new (const gchar * description);
/* Pop @pipeline's bus until EOS; an error, or @timeout going by first,
 * fails the test. */
void wait_for_eos (GstElement * pipeline, GstClockTime timeout);

typedef void (*RunSetupFunc) (GstElement * render, gpointer user_data);

/* Run "@description ! filesink" (nemorender named r) to EOS or the first
 * error.  @r is zeroed by the caller (it may set on_message first); @setup
 * may set properties on nemorender before it starts. */
void run_pipeline (const gchar * description, RunResult * r);
void run_pipeline_with (const gchar * description, RunSetupFunc setup,
    gpointer user_data, RunResult * r);
void run_result_clear (RunResult * r);

void assert_success (const RunResult * r);
/* The first element message called @name, or NULL. */
const GstStructure *find_message (const RunResult * r, const gchar * name);

/* ---- stopping a job half-way ---- */

/* Called once the job is in its stage, just before the stop. */
typedef void (*StageReachedFunc) (GstElement * pipeline, gpointer data);

/* Play @description (gst-launch syntax, {name} for test files: a
 * nemorender named r feeding a fakesink named sink), wait until nemorender's
 * progress names @stage (NULL: the inputs are still arriving, no stage has
 * begun), call @reached, then set NULL: it succeeds within @bound_ms, the
 * src pad's task is gone, no buffer reached the sink, no error was posted
 * and @stage never reported 100 % (with a NULL @stage: no stage began). */
void stop_in_stage (const gchar * description, const gchar * stage,
    StageReachedFunc reached, gpointer data, gint64 bound_ms);

/* Run @cycle twice: the first may leave idle pool threads behind
 * (GStreamer's task pool, GIO's), the second must not add any. */
void assert_threads_steady (void (*cycle) (gpointer data), gpointer data,
    const gchar * what);

#endif
