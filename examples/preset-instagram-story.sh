#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A cover video for the instagram-story preset (docs/presets.md), bars and title inside
# the platform's safe area.
#   examples/preset-instagram-story.sh song.mp3 cover.jpg out.mp4
set -eu
gst-launch-1.0 nemorender audio-uri="$1" visual-uri="$2" preset=instagram-story \
  prompt="spectrum bars and track info" ! filesink location="$3"
