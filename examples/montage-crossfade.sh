#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A beat-synced montage with crossfades between the shots and a zoom pulse
# on the downbeats.
#   examples/montage-crossfade.sh montage.mp4 song.mp3 a.mp4 b.mov
# With only the output named, it makes the song and clips of
# examples/beat-montage.sh first.
set -eu
out=$1
if [ $# -ge 4 ]; then
  song=$2 a=$3 b=$4
else
  media=$(mktemp -d)
  trap 'rm -rf "$media"' EXIT
  song=$media/drums.wav a=$media/a.mp4 b=$media/b.mov
  # a kick on every beat, louder on the first of each bar, a hat between
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "aevalsrc=exprs=\
(0.5+0.3*lt(mod(t\,2)\,0.5))*exp(-mod(t\,0.5)/0.08)*sin(2*PI*(60*mod(t\,0.5)+1.8*(1-exp(-mod(t\,0.5)/0.02))))\
+0.15*exp(-mod(t+0.25\,0.5)/0.01)*(random(0)-0.5):s=48000:d=12" "$song"
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=s=640x360:r=25:d=4 \
    -pix_fmt yuv420p "$a"
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i smptehdbars=s=640x360:r=25:d=4 \
    -vf "hue=H=2*PI*t/4,rotate=PI*t/8" -pix_fmt yuv420p "$b"
fi
gst-launch-1.0 nemorender name=r \
  prompt="sync the clips to the beat with crossfades and a pulse on the beat" \
  ! filesink location="$out" \
  filesrc location="$song" ! decodebin ! audioconvert ! r.audio \
  uridecodebin uri="file://$(realpath "$a")" ! videoconvert ! r.video_0 \
  uridecodebin uri="file://$(realpath "$b")" ! videoconvert ! r.video_1
