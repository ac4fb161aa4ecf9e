#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Benchmark: nemovisualizer drawing live, against GStreamer's own scopes
# doing the least comparable job (spectrascope or wavescope, then
# textoverlay for the title), in one run, rounds interleaved:
#   SIZE/nemovisualizer-spectrum   the cover, spectrum bars, the title
#   SIZE/nemovisualizer-circle     the cover, the circle, the title
#   SIZE/spectrascope+textoverlay  bars on black and the title
#   SIZE/wavescope+textoverlay     a waveform on black and the title
#   SIZE/decode                    the song decoded alone: what every row
#                                  above pays before drawing
# for SIZE 1080p and 720p, 30 fps, into fakesink as fast as the machine
# draws (no clock): CPU seconds over the frames is the cost of a frame.
# Not part of the test suite; run it from the project root after .ci/setup:
#   sh tests/bench/bench-live.sh [seconds]     (60 s: ~5 min)
# (NEMO_BUILD_DIR, BENCH_RUNS, BENCH_MAX_LOAD: see bench-lib.sh)
set -eu
. "$(cd "$(dirname "$0")" && pwd)/bench-lib.sh"
secs=${1:-60}
bench_init

make_music "$secs" "$work/song.mp3"
make_cover "$work/cover.jpg"
decode="filesrc location=$work/song.mp3 ! decodebin ! audioconvert ! audioresample"
title='title="Night Drive" artist="The Test Tones"'

# draw SIZE WIDTH HEIGHT: one round of every row at that size
draw() {
  caps="video/x-raw,width=$2,height=$3,framerate=30/1"
  for style in spectrum circle; do
    # shellcheck disable=SC2086
    bench_measure "$1/nemovisualizer-$style" - gst-launch-1.0 -q $decode ! \
      nemovisualizer style=$style cover-uri="$work/cover.jpg" $title ! \
      "$caps" ! fakesink sync=false
  done
  for scope in spectrascope wavescope; do
    # shellcheck disable=SC2086
    bench_measure "$1/$scope+textoverlay" - gst-launch-1.0 -q $decode ! \
      $scope ! "$caps" ! textoverlay text="Night Drive — The Test Tones" ! \
      fakesink sync=false
  done
  # shellcheck disable=SC2086
  bench_measure "$1/decode" - gst-launch-1.0 -q $decode ! fakesink sync=false
}

round=1
while [ $round -le "$runs" ]; do
  bench_round_start $round
  draw 1080p 1920 1080
  draw 720p 1280 720
  round=$((round + 1))
done
bench_report "nemovisualizer, $secs s of music at 30 fps ($((secs * 30)) frames) into fakesink"
