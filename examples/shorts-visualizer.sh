#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A vertical 1080x1920 video for YouTube Shorts: the title in the free area
# above the cover, spectrum bars in the free area below it.
#   examples/shorts-visualizer.sh song.mp3 cover.jpg short.mp4
set -eu
gst-launch-1.0 nemorender audio-uri="$1" visual-uri="$2" \
  prompt="vertical 9:16 for Shorts, spectrum bars, title at the top" \
  ! filesink location="$3"
