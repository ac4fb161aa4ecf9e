#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Two clips cut on the beat of the song, from decoders' pads: at 120 BPM
# a cut every 2 beats, on the bars (shots of 1 s); say "every beat" for
# 0.5 s shots.
#   examples/beat-montage.sh montage.mp4 song.mp3 a.mp4 b.mov
# With only the output named, it first makes a 12 s drum loop at 120 BPM
# and two 4 s test clips to cut between.
set -eu
out=$1
if [ $# -ge 4 ]; then
  song=$2 a=$3 b=$4
else
  media=$(mktemp -d)
  trap 'rm -rf "$media"' EXIT
  song=$media/drums.wav a=$media/a.mp4 b=$media/b.mov
  # a kick (a falling 60 Hz thump) on every beat, a hat between the beats
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "aevalsrc=exprs=\
0.8*exp(-mod(t\,0.5)/0.08)*sin(2*PI*(60*mod(t\,0.5)+1.8*(1-exp(-mod(t\,0.5)/0.02))))\
+0.15*exp(-mod(t+0.25\,0.5)/0.01)*(random(0)-0.5):s=48000:d=12" "$song"
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=s=640x360:r=25:d=4 \
    -pix_fmt yuv420p "$a"
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i smptehdbars=s=640x360:r=25:d=4 \
    -vf "hue=H=2*PI*t/4,rotate=PI*t/8" \
    -pix_fmt yuv420p "$b"
fi
gst-launch-1.0 nemorender name=r prompt="sync the clips to the beat" ! filesink location="$out" \
  filesrc location="$song" ! decodebin ! audioconvert ! r.audio \
  uridecodebin uri="file://$(realpath "$a")" ! videoconvert ! r.video_0 \
  uridecodebin uri="file://$(realpath "$b")" ! videoconvert ! r.video_1
