#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The commands the benchmarks time, one per recipe, so that every script
# runs the same ones (bench_measure runs them under /usr/bin/time):
#   sh tests/bench/recipes.sh RECIPE ARGS...
#   ffmpeg_still COVER SONG OUT.mp4 [X264 ARGS...]
#   ffmpeg_still_kept COVER SONG.m4a OUT.mp4 [X264 ARGS...]
#   ffmpeg_visualizer showfreqs|showwaves|avectorscope COVER SONG OUT.mp4
#   nemorender_visualizer spectrum|waveform|circle COVER SONG OUT.mp4 [PROPERTIES...]
#   nemorender_job COVER SONG OUT.mp4 [PROPERTIES...]
#   nemorender_montage SONG OUT.mp4 CLIP...
#   nemorender_montage_pads SONG OUT.mp4 CLIP...
#   ffmpeg_montage CUTS SONG OUT.mp4
set -eu

# the track info of the visualizer jobs
title="Bench Song"
artist="Nemo"
fit="scale=1920:1080:force_original_aspect_ratio=decrease,pad=1920:1080:(ow-iw)/2:(oh-ih)/2"
# the still recipe users copy: -loop 1 … -tune stillimage -shortest; the
# sound encoded to AAC 320 kb/s ($audio: -c:a copy for ffmpeg_still_kept)
audio="-c:a aac -b:a 320k -ar 48000"
ffmpeg_still() {
  cover=$1 song=$2 out=$3
  shift 3
  [ $# -gt 0 ] || set -- -tune stillimage
  # shellcheck disable=SC2086 # $audio is split into words on purpose
  ffmpeg -nostdin -y -loop 1 -framerate 30 -i "$cover" -i "$song" -vf "$fit,format=yuv420p" \
    -c:v libx264 -preset veryfast -crf 18 "$@" $audio \
    -shortest -movflags +faststart "$out"
}
# the same for a song that is AAC already: its sound copied as it is
ffmpeg_still_kept() {
  audio="-c:a copy"
  ffmpeg_still "$@"
}
# A visualizer over the padded cover, the recipes people copy for each
# kind: showfreqs bars (the nearest to nemorender's spectrum bars) and a
# showwaves line in a band 40 px above the bottom, an avectorscope in the
# middle (the nearest ffmpeg has to a circle); drawtext writes the track
# info at the top-left on a translucent box, as nemorender does.
ffmpeg_visualizer() {
  kind=$1 cover=$2 song=$3 out=$4
  place="0:H-h-40"
  case $kind in
    showfreqs) viz="showfreqs=s=1920x216:mode=bar:fscale=log:ascale=sqrt:win_size=2048:colors=white" ;;
    showwaves) viz="showwaves=s=1920x216:mode=cline:rate=30:colors=white" ;;
    avectorscope)
      viz="avectorscope=s=1080x1080:rate=30:mode=lissajous:draw=line:zoom=1.5"
      place="(W-w)/2:(H-h)/2" ;;
    *) echo "unknown visualizer $kind" >&2; return 2 ;;
  esac
  text="drawtext=text='$title — $artist':font=Sans Bold:fontsize=49:fontcolor=white:box=1:boxcolor=black@0.45:boxborderw=22:x=54:y=54"
  ffmpeg -nostdin -y -loop 1 -framerate 30 -i "$cover" -i "$song" \
    -filter_complex "[0:v]$fit[bg];[1:a]$viz[viz];[bg][viz]overlay=$place:shortest=1,$text,format=yuv420p[v]" \
    -map "[v]" -map 1:a -c:v libx264 -preset veryfast -crf 18 -c:a aac -b:a 320k -ar 48000 \
    -shortest -movflags +faststart "$out"
}
# the same with nemorender: the visualizer and the track info, asked in
# the prompt
nemorender_visualizer() {
  case $1 in
    spectrum) prompt="spectrum bars and track info" ;;
    waveform) prompt="waveform and track info" ;;
    circle) prompt="circular visualizer and track info" ;;
    *) echo "unknown visualizer $1" >&2; return 2 ;;
  esac
  cover=$2 song=$3 out=$4
  shift 4
  nemorender_job "$cover" "$song" "$out" prompt="$prompt" title="$title" artist="$artist" "$@"
}
# nemorender_job COVER SONG OUT.mp4 [PROPERTIES...]
nemorender_job() {
  cover=$1 song=$2 out=$3
  shift 3
  gst-launch-1.0 -q nemorender audio-uri="$song" visual-uri="$cover" "$@" \
    ! filesink location="$out"
}
# A beat montage as the README writes it: the clips in visual-uri, the
# cuts asked in the prompt
nemorender_montage() {
  song=$1 out=$2
  shift 2
  clips=$(printf '%s;' "$@")
  gst-launch-1.0 -q nemorender audio-uri="$song" visual-uri="${clips%;}" \
    prompt="sync the clips to the beat" ! filesink location="$out"
}
# The same as examples/beat-montage.sh makes it: each clip decoded onto a
# video pad
nemorender_montage_pads() {
  song=$1 out=$2
  shift 2
  pads="" i=0
  for clip in "$@"; do
    pads="$pads uridecodebin uri=file://$(realpath "$clip") ! videoconvert ! r.video_$i"
    i=$((i + 1))
  done
  # shellcheck disable=SC2086 # the pads are split into words on purpose
  gst-launch-1.0 -q nemorender name=r audio-uri="$song" \
    prompt="sync the clips to the beat" ! filesink location="$out" $pads
}
# The same shots with ffmpeg, given the cut list (tests/bench/montage-cuts.c
# writes nemorender's as a concat script: file, inpoint, outpoint)
ffmpeg_montage() {
  cuts=$1 song=$2 out=$3
  ffmpeg -nostdin -y -f concat -safe 0 -i "$cuts" -i "$song" -map 0:v -map 1:a \
    -c:v libx264 -preset veryfast -crf 18 -c:a aac -b:a 320k -ar 48000 \
    -shortest -movflags +faststart "$out"
}

"$@"
