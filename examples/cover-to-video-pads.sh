#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The same job with the inputs on pads: anything GStreamer can decode works
# (FLAC, Opus, a PNG...), and the song's tags become the MP4's title/artist.
#   examples/cover-to-video-pads.sh song.flac cover.png video.mp4
set -eu
gst-launch-1.0 nemorender name=r ! filesink location="$3" \
  filesrc location="$1" ! decodebin ! audioconvert ! r.audio \
  filesrc location="$2" ! decodebin ! videoconvert ! r.video_0
