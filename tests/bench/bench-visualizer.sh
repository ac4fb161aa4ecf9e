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

make_music "$secs" "$work/song.mp3"
make_cover "$work/cover.jpg"
reference_s=$(decoded_seconds "$work/song.mp3")

round=1
while [ $round -le "$runs" ]; do
  bench_round_start $round
  bench_measure nemorender "$work/nemorender.mp4" \
    sh "$recipes" nemorender_job "$work/cover.jpg" "$work/song.mp3" "$work/nemorender.mp4" \
    prompt="spectrum bars visualizer"
  bench_measure ffmpeg-showfreqs "$work/ffmpeg-showfreqs.mp4" \
    sh "$recipes" ffmpeg_visualizer showfreqs "$work/cover.jpg" "$work/song.mp3" "$work/ffmpeg-showfreqs.mp4"
  bench_measure ffmpeg-showwaves "$work/ffmpeg-showwaves.mp4" \
    sh "$recipes" ffmpeg_visualizer showwaves "$work/cover.jpg" "$work/song.mp3" "$work/ffmpeg-showwaves.mp4"
  bench_measure nemorender-still "$work/nemorender-still.mp4" \
    sh "$recipes" nemorender_job "$work/cover.jpg" "$work/song.mp3" "$work/nemorender-still.mp4"
  round=$((round + 1))
done

bench_report "A ${secs}-second song (MP3) + a 1400x1400 JPEG → 1080p30 H.264/AAC MP4 with an audio visualizer"
