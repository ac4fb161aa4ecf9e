#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A karaoke video: the cover, and the song's words along the bottom, each
# word lit as it is sung (enhanced LRC's <mm:ss.xx> word times; plain LRC,
# SRT or WebVTT light each line whole).
#   examples/karaoke.sh song.mp3 cover.jpg song.lrc video.mp4
set -eu
gst-launch-1.0 nemorender audio-uri="$1" visual-uri="$2" lyrics-uri="$3" \
  prompt="karaoke" ! filesink location="$4"
