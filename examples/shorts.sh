#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A vertical 1080x1920 cut of the first 60 seconds, for YouTube Shorts.
#   examples/shorts.sh song.mp3 cover.jpg short.mp4
set -eu
gst-launch-1.0 nemorender audio-uri="$1" visual-uri="$2" aspect-ratio=9:16 \
  max-duration=60000000000 ! filesink location="$3"
