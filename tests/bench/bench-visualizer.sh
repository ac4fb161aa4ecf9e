#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Benchmark: a 60-second song + album art → 1080p30 video with an audio
# visualizer and the track info, in one run on one machine, rounds
# interleaved, for each visualizer beside the ffmpeg recipe for it
# (recipes.sh):
#   spectrum/nemorender        prompt="spectrum bars and track info"
#   spectrum/ffmpeg-showfreqs  showfreqs bars in a 1920x216 band overlaid on
#                              the padded cover, drawtext for the title
#   waveform/nemorender        prompt="waveform and track info"
#   waveform/ffmpeg-showwaves  a showwaves cline band, the same way
#   circle/nemorender          prompt="circular visualizer and track info"
#   circle/ffmpeg-avectorscope a 1080x1080 avectorscope over the cover's
#                              middle (ffmpeg has no circular spectrum)
#   still/nemorender           no prompt (the still-image fast path), to
#                              show what the visualizer costs
# With BENCH_BASELINE=<another build directory> (e.g. a build of main),
# each visualizer job also runs with that build's plugin, as
# JOB/nemorender-baseline, to measure a change before and after.
# All: 1920x1080, 30 fps, H.264 x264 "veryfast" CRF 18, AAC 320 kb/s 48 kHz;
# the ffmpeg recipes keep x264's default keyframe interval (250 frames),
# nemorender's is 15.  Prints medians over the rounds with their range and
# ratios against nemorender.  Not part of the test suite; run it from the
# project root after .ci/setup:
#   sh tests/bench/bench-visualizer.sh [seconds]     (60 s: ~20 min)
# (NEMO_BUILD_DIR, BENCH_RUNS, BENCH_MAX_LOAD: see bench-lib.sh)
set -eu
. "$(cd "$(dirname "$0")" && pwd)/bench-lib.sh"
secs=${1:-60}
baseline=${BENCH_BASELINE:-}
bench_init

if [ -n "$baseline" ]; then
  if [ ! -e "$baseline/plugin/libgstnemo.so" ]; then
    echo "No nemorender plugin in $baseline/plugin." >&2
    exit 1
  fi
  # its own registry, scanned now
  GST_PLUGIN_PATH="$baseline/plugin" GST_REGISTRY_1_0="$work/baseline.bin" \
    gst-inspect-1.0 nemorender > /dev/null
fi

make_music "$secs" "$work/song.mp3"
make_cover "$work/cover.jpg"
reference_s=$(decoded_seconds "$work/song.mp3")

round=1
while [ $round -le "$runs" ]; do
  bench_round_start $round
  for kind in spectrum:showfreqs waveform:showwaves circle:avectorscope; do
    job=${kind%%:*} filter=${kind#*:}
    bench_measure "$job/nemorender" "$work/$job-nemorender.mp4" \
      sh "$recipes" nemorender_visualizer "$job" "$work/cover.jpg" "$work/song.mp3" "$work/$job-nemorender.mp4"
    if [ -n "$baseline" ]; then
      bench_measure "$job/nemorender-baseline" "$work/$job-baseline.mp4" \
        env GST_PLUGIN_PATH="$baseline/plugin" GST_REGISTRY_1_0="$work/baseline.bin" \
        sh "$recipes" nemorender_visualizer "$job" "$work/cover.jpg" "$work/song.mp3" "$work/$job-baseline.mp4"
    fi
    bench_measure "$job/ffmpeg-$filter" "$work/$job-ffmpeg.mp4" \
      sh "$recipes" ffmpeg_visualizer "$filter" "$work/cover.jpg" "$work/song.mp3" "$work/$job-ffmpeg.mp4"
  done
  bench_measure still/nemorender "$work/still-nemorender.mp4" \
    sh "$recipes" nemorender_job "$work/cover.jpg" "$work/song.mp3" "$work/still-nemorender.mp4"
  round=$((round + 1))
done

bench_report "A ${secs}-second song (MP3) + a 1400x1400 JPEG → 1080p30 H.264/AAC MP4 with an audio visualizer and the title"
