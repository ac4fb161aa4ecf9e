/* Test helper: read an MP4 back with libavformat/libavcodec and report
 * everything SPEC.md's output contract speaks of. */
#ifndef NEMO_TEST_MP4_CHECK_H
#define NEMO_TEST_MP4_CHECK_H

#include <glib.h>

typedef struct
{
  /* container */
  gboolean moov_before_mdat;
  gdouble duration_s;
  gchar *title, *artist, *album;
  guint n_video_streams, n_audio_streams;

  /* video */
  gchar *video_codec;           /* "h264" */
  gint video_profile;           /* FF_PROFILE_H264_* */
  gchar *pix_fmt;               /* "yuv420p" */
  gint width, height;
  gint fps_n, fps_d;            /* avg_frame_rate */
  gint64 n_frames;              /* decoded */
  gint decode_errors;
  gboolean constant_frame_rate; /* every frame lasts exactly 1/fps */
  gint keyframe_interval;       /* frames between keyframes; -1 irregular */
  gdouble video_duration_s;

  /* audio */
  gchar *audio_codec;           /* "aac" */
  gint audio_profile;           /* FF_PROFILE_AAC_LOW */
  gint sample_rate, channels;
  gdouble audio_duration_s;
} Mp4Report;

/* Demux and decode all of @path.  FALSE if it cannot be opened at all. */
gboolean mp4_inspect (const gchar * path, Mp4Report * report);
void mp4_report_clear (Mp4Report * report);

/* Assert every point of the output contract: the sound lasts
 * @source_duration_s (± @tolerance_s) and the video and the file last as
 * long as the sound, within one frame. */
void mp4_assert_contract (const Mp4Report * report, gint width, gint height,
    gint fps, gdouble source_duration_s, gdouble tolerance_s);

/* The frame shown at @t_s as packed RGB24, width*height*3 bytes (g_free). */
guint8 *mp4_frame_rgb (const gchar * path, gdouble t_s, gint * width,
    gint * height);

/* The colour at (x, y) of an RGB24 frame is within @tolerance of r,g,b. */
gboolean rgb_near (const guint8 * rgb, gint width, gint x, gint y,
    gint r, gint g, gint b, gint tolerance);

#endif
