#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A lyric video with the words on a pad: subparse reads the subtitles (SRT,
# WebVTT...) and the lyrics pad takes its timed text; the current line
# shows over the next one, in the middle of the frame.
#   examples/lyric-video-pads.sh song.mp3 cover.jpg song.srt video.mp4
set -eu
gst-launch-1.0 nemorender name=r audio-uri="$1" visual-uri="$2" \
  prompt="a lyric video" ! filesink location="$4" \
  filesrc location="$3" ! subparse ! r.lyrics
