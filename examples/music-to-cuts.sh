#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Background music for a travel clip, synced to the clip's own cuts: the
# video lasts as long as the clip (not the song), the song starts where
# its beats fall on the clip's scene cuts, and fades out over the last
# 2 s under the clip's own sound.
#   examples/music-to-cuts.sh out.mp4 song.mp3 travel.mp4
# With only the output named, it first makes a 20 s drum loop at 120 BPM
# starting at 0.7 s, and an 8 s clip of four scenes cut at 2.3, 4.3 and
# 6.8 s with a quiet tone for its sound.
set -eu
out=$1
if [ $# -ge 3 ]; then
  song=$2 clip=$3
else
  media=$(mktemp -d)
  trap 'rm -rf "$media"' EXIT
  song=$media/drums.wav clip=$media/travel.mp4
  # a kick on every beat (louder on the first of each bar), a hat between
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "aevalsrc=exprs=\
gte(t\,0.7)*(0.5+0.3*lt(mod(t-0.7\,2)\,0.5))*exp(-mod(t-0.7\,0.5)/0.08)\
*sin(2*PI*(60*mod(t-0.7\,0.5)+1.8*(1-exp(-mod(t-0.7\,0.5)/0.02))))\
+gte(t\,0.7)*0.15*exp(-mod(t-0.95\,0.5)/0.01)*(random(0)-0.5):s=48000:d=20" "$song"
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=s=640x360:r=30:d=2.3" -f lavfi -i "smptehdbars=s=640x360:r=30:d=2" \
    -f lavfi -i "testsrc=s=640x360:r=30:d=2.5" -f lavfi -i "rgbtestsrc=s=640x360:r=30:d=1.2" \
    -f lavfi -i "sine=frequency=1000:sample_rate=48000:duration=8" \
    -filter_complex "[0:v][1:v][2:v][3:v]concat=n=4:v=1:a=0,format=yuv420p[v];[4:a]volume=0.1[a]" \
    -map "[v]" -map "[a]" -c:v libx264 -c:a aac "$clip"
fi
gst-launch-1.0 nemorender audio-uri="$song" visual-uri="$clip" \
  prompt="add background music to a travel video and sync it to the cuts" ! filesink location="$out"
