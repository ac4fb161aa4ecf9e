#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Benchmark: a 60-second song + album art → 1080p30 video with an audio
# visualizer, in one run on one machine, rounds interleaved:
#   nemorender          prompt="spectrum bars visualizer": 56 rounded bars
#                       with glow, shadow and reflection over the blurred fill
#   ffmpeg-showfreqs    the nearest ffmpeg CLI recipe: showfreqs bars (log
#                       frequency) in a 1920x216 band overlaid on the padded
#                       cover
#   ffmpeg-showwaves    the recipe most often copied: a showwaves cline band
#                       (a waveform, not a spectrum) overlaid the same way
#   nemorender-still    nemorender with no prompt (the still-image fast path),
#                       to show what the visualizer costs
# All: 1920x1080, 30 fps, H.264 x264 "veryfast" CRF 18, AAC 320 kb/s 48 kHz;
# the ffmpeg recipes keep x264's default keyframe interval (250 frames),
# nemorender's is 15.  Prints medians over the rounds with their range and
# ratios against nemorender.  Not part of the test suite; run it from the
# project root after .ci/setup:
#   sh tests/bench/bench-visualizer.sh [seconds]
# (NEMO_BUILD_DIR, BENCH_RUNS, BENCH_MAX_LOAD: see bench-lib.sh)
set -eu
. "$(cd "$(dirname "$0")" && pwd)/bench-lib.sh"
secs=${1:-60}
bench_init

# Music the bars can follow: a bass line, an arpeggio and a kick, with hiss
# on top (as examples/make-doc-images.sh).
tone() { # $1: arpeggio base frequency
  echo "0.30*sin(2*PI*t*110*pow(2,floor(mod(t/2,4))*5/12))*exp(-3*mod(t,0.5))"\
"+0.22*sin(2*PI*t*$1*pow(2,floor(mod(t*8,6))*2/12))*exp(-9*mod(t,0.125))"\
"+0.45*sin(2*PI*(50+120*exp(-30*mod(t,0.5)))*t)*exp(-14*mod(t,0.5))"
}
ff -f lavfi -i "aevalsrc='$(tone 440)|$(tone 660)':s=44100:d=$secs" \
   -f lavfi -i "anoisesrc=d=$secs:c=pink:a=0.08:r=44100" \
   -filter_complex "[1]highpass=f=6000,volume='0.5+0.5*sin(2*PI*t*4)':eval=frame[n];[0][n]amix=inputs=2:normalize=0" \
   -c:a libmp3lame -b:a 320k "$work/song.mp3"
ff -f lavfi -i "testsrc2=s=1400x1400:d=1" -frames:v 1 -q:v 2 "$work/cover.jpg"
reference_s=$(decoded_seconds "$work/song.mp3")

bg="[0:v]scale=1920:1080:force_original_aspect_ratio=decrease,pad=1920:1080:(ow-iw)/2:(oh-ih)/2[bg]"
showfreqs="[1:a]showfreqs=s=1920x216:mode=bar:fscale=log:ascale=sqrt:win_size=2048:colors=white[viz]"
showwaves="[1:a]showwaves=s=1920x216:mode=cline:rate=30:colors=white[viz]"
over="[bg][viz]overlay=0:H-h-40:shortest=1,format=yuv420p[v]"
encode="-map [v] -map 1:a -c:v libx264 -preset veryfast -crf 18 -c:a aac -b:a 320k -ar 48000 -shortest -movflags +faststart"

round=1
while [ $round -le "$runs" ]; do
  bench_round_start $round
  bench_measure nemorender "$work/nemorender.mp4" \
    gst-launch-1.0 -q nemorender audio-uri="$work/song.mp3" visual-uri="$work/cover.jpg" \
    prompt="spectrum bars visualizer" ! filesink location="$work/nemorender.mp4"
  # shellcheck disable=SC2086
  bench_measure ffmpeg-showfreqs "$work/ffmpeg-showfreqs.mp4" \
    ffmpeg -nostdin -y -loop 1 -framerate 30 -i "$work/cover.jpg" -i "$work/song.mp3" \
    -filter_complex "$bg;$showfreqs;$over" $encode "$work/ffmpeg-showfreqs.mp4"
  # shellcheck disable=SC2086
  bench_measure ffmpeg-showwaves "$work/ffmpeg-showwaves.mp4" \
    ffmpeg -nostdin -y -loop 1 -framerate 30 -i "$work/cover.jpg" -i "$work/song.mp3" \
    -filter_complex "$bg;$showwaves;$over" $encode "$work/ffmpeg-showwaves.mp4"
  bench_measure nemorender-still "$work/nemorender-still.mp4" \
    gst-launch-1.0 -q nemorender audio-uri="$work/song.mp3" visual-uri="$work/cover.jpg" \
    ! filesink location="$work/nemorender-still.mp4"
  round=$((round + 1))
done

bench_report "A ${secs}-second song (MP3) + a 1400x1400 JPEG → 1080p30 H.264/AAC MP4 with an audio visualizer"
