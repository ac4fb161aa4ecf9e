#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The commands the benchmarks time, one per recipe, so that every script
# runs the same ones (bench_measure runs them under /usr/bin/time):
#   sh tests/bench/recipes.sh RECIPE ARGS...
#   ffmpeg_still COVER SONG OUT.mp4 [X264 ARGS...]
#   ffmpeg_visualizer showfreqs|showwaves COVER SONG OUT.mp4
#   nemorender_job COVER SONG OUT.mp4 [PROPERTIES...]
set -eu

fit="scale=1920:1080:force_original_aspect_ratio=decrease,pad=1920:1080:(ow-iw)/2:(oh-ih)/2"
# the still recipe users copy: -loop 1 … -tune stillimage -shortest
ffmpeg_still() {
  cover=$1 song=$2 out=$3
  shift 3
  [ $# -gt 0 ] || set -- -tune stillimage
  ffmpeg -nostdin -y -loop 1 -framerate 30 -i "$cover" -i "$song" -vf "$fit,format=yuv420p" \
    -c:v libx264 -preset veryfast -crf 18 "$@" -c:a aac -b:a 320k -ar 48000 \
    -shortest -movflags +faststart "$out"
}
# a visualizer band 40 px above the bottom: FILTER is showfreqs or showwaves
ffmpeg_visualizer() {
  case $1 in
    showfreqs) viz="showfreqs=s=1920x216:mode=bar:fscale=log:ascale=sqrt:win_size=2048:colors=white" ;;
    *) viz="showwaves=s=1920x216:mode=cline:rate=30:colors=white" ;;
  esac
  ffmpeg -nostdin -y -loop 1 -framerate 30 -i "$2" -i "$3" \
    -filter_complex "[0:v]$fit[bg];[1:a]$viz[viz];[bg][viz]overlay=0:H-h-40:shortest=1,format=yuv420p[v]" \
    -map "[v]" -map 1:a -c:v libx264 -preset veryfast -crf 18 -c:a aac -b:a 320k -ar 48000 \
    -shortest -movflags +faststart "$4"
}
# nemorender_job COVER SONG OUT.mp4 [PROPERTIES...]
nemorender_job() {
  cover=$1 song=$2 out=$3
  shift 3
  gst-launch-1.0 -q nemorender audio-uri="$song" visual-uri="$cover" "$@" \
    ! filesink location="$out"
}

"$@"
