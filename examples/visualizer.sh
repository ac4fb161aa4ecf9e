#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A 1080p music video: the cover over its blurred fill, spectrum bars moving
# with the music along the bottom and "Title — Artist" (from the song's
# tags) at the top left.
#   examples/visualizer.sh song.mp3 cover.jpg video.mp4
set -eu
gst-launch-1.0 nemorender audio-uri="$1" visual-uri="$2" \
  prompt="create a looping music video with visualizer and track info overlay" \
  ! filesink location="$3"
