#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Album art + song → a 1080p30 YouTube-ready MP4, inputs given as files.
#   examples/cover-to-video.sh song.mp3 cover.jpg video.mp4
set -eu
gst-launch-1.0 nemorender audio-uri="$1" visual-uri="$2" ! filesink location="$3"
