/* The encoded soundtrack on disk until the muxer takes it: an hour of AAC
 * at 320 kb/s is 140 MB, too much to hold while the video is encoded.
 *
 * Each packet is a header (timestamps, flags, size) and its bytes, in the
 * order written; they are read back in that order.  The file is unlinked as
 * soon as it is created, so nothing is left behind whatever happens; it
 * lives as long as it is open.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "render-private.h"

#include <nemo/error.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

typedef struct
{
  gint64 pts, dts, duration;
  gint32 flags, size;
} PacketHeader;

struct _NemoPacketSpool
{
  gchar *path;
  FILE *file;
};

static gboolean
set_spool_error (NemoPacketSpool * spool, const gchar * what, int errsv,
    GError ** error)
{
  g_set_error (error, NEMO_ERROR, NEMO_ERROR_IO,
      "Could not %s the sound's spool file “%s” (%s). Check that the work "
      "folder has free space.", what, spool->path, g_strerror (errsv));
  return FALSE;
}

NemoPacketSpool *
nemo_packet_spool_new (const gchar * dir, GError ** error)
{
  NemoPacketSpool *spool = g_new0 (NemoPacketSpool, 1);
  int fd;

  spool->path = g_build_filename (dir, "sound-XXXXXX.spool", NULL);
  fd = g_mkstemp (spool->path);
  if (fd >= 0)
    spool->file = fdopen (fd, "w+b");
  if (spool->file == NULL) {
    set_spool_error (spool, "create", errno, error);
    if (fd >= 0)
      close (fd);
    nemo_packet_spool_free (spool);
    return NULL;
  }
  g_unlink (spool->path);
  return spool;
}

void
nemo_packet_spool_free (NemoPacketSpool * spool)
{
  if (spool == NULL)
    return;
  if (spool->file)
    fclose (spool->file);
  g_free (spool->path);
  g_free (spool);
}

gboolean
nemo_packet_spool_write (NemoPacketSpool * spool, const AVPacket * packet,
    GError ** error)
{
  PacketHeader header = { packet->pts, packet->dts, packet->duration,
    packet->flags, packet->size
  };

  if (fwrite (&header, sizeof header, 1, spool->file) != 1
      || fwrite (packet->data, 1, packet->size, spool->file)
      != (size_t) packet->size)
    return set_spool_error (spool, "write to", errno, error);
  return TRUE;
}

gboolean
nemo_packet_spool_rewind (NemoPacketSpool * spool, GError ** error)
{
  if (fflush (spool->file) != 0 || fseek (spool->file, 0, SEEK_SET) != 0)
    return set_spool_error (spool, "read back", errno, error);
  return TRUE;
}

gint
nemo_packet_spool_read (NemoPacketSpool * spool, AVPacket * packet,
    GError ** error)
{
  PacketHeader header;
  int ret;

  if (fread (&header, sizeof header, 1, spool->file) != 1) {
    if (feof (spool->file))
      return 0;
    set_spool_error (spool, "read", errno, error);
    return -1;
  }
  ret = av_new_packet (packet, header.size);
  if (ret < 0) {
    g_set_error (error, NEMO_ERROR, NEMO_ERROR_ENCODE,
        "Out of memory while reading the sound back (%s).", av_err2str (ret));
    return -1;
  }
  if (fread (packet->data, 1, header.size, spool->file) !=
      (size_t) header.size) {
    av_packet_unref (packet);
    set_spool_error (spool, "read", ferror (spool->file) ? errno : EIO,
        error);
    return -1;
  }
  packet->pts = header.pts;
  packet->dts = header.dts;
  packet->duration = header.duration;
  packet->flags = header.flags;
  return 1;
}
