#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A clip with its own sound, with the song under it at 35 %, mixed to
# -14 LUFS: the video lasts as long as the clip, and the music fades out
# over its last 2 s.
#   examples/travel-bgm.sh travel-bgm.mp4 lofi.mp3 travel.mp4
# With only the output named, it first makes an 8 s song (soft chords) and
# a 6 s clip whose sound is a voice-like buzz, loud then quiet.
set -eu
out=$1
if [ $# -ge 3 ]; then
  song=$2 clip=$3
else
  media=$(mktemp -d)
  trap 'rm -rf "$media"' EXIT
  song=$media/lofi.wav clip=$media/travel.mp4
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "aevalsrc=exprs=\
0.2*(sin(2*PI*220*t)+sin(2*PI*277.2*t)+sin(2*PI*329.6*t))*(0.6+0.4*sin(2*PI*0.5*t)):s=48000:d=8" \
    "$song"
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=s=640x360:r=30:d=6 \
    -f lavfi -i "aevalsrc=exprs=0.3*sin(2*PI*150*t)*sin(2*PI*3*t)*lt(t\,3):s=48000:d=6" \
    -pix_fmt yuv420p -c:a aac -shortest "$clip"
fi
gst-launch-1.0 nemorender audio-uri="$song" visual-uri="$clip" \
  prompt="add background music at 35% and keep the clip's own sound" ! filesink location="$out"
