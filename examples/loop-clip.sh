#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A short clip looped for the whole song, from a decoder's endless pad.
#   examples/loop-clip.sh song.mp3 loop.mp4 video.mp4
set -eu
gst-launch-1.0 nemorender name=r ! filesink location="$3" \
  filesrc location="$1" ! decodebin ! audioconvert ! r.audio \
  uridecodebin uri="file://$(realpath "$2")" ! videoconvert ! r.video_0
