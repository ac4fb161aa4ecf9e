#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Benchmark: the still job's peak memory against the song's length, 3, 60
# and 120 minutes, one against the other (the issue's target: flat within
# 10 %, at most 120 MB).  Each row is build/tests/render/render-memory (the
# library alone, 1080p30, the 1400x1400 cover held over the song) under
# /usr/bin/time; ratios are against the 3-minute row of the same song kind:
#   kept/…      the song is AAC-LC in M4A, kept as it is (no AAC encoder:
#               120 minutes render in seconds)
#   encoded/…   with --encode, the song is MP3 and re-encoded to AAC 320 kb/s
#               (about 4 minutes of CPU per hour of song on this machine)
# The long songs are the 3-minute one repeated (concatenated without
# re-encoding), so making them takes seconds.  Not part of the test suite,
# no thresholds.  From the project root after .ci/setup:
#   sh tests/bench/bench-memory.sh            kept songs, 1 round (~1 min)
#   sh tests/bench/bench-memory.sh --encode   also MP3 songs (~15 min a round)
# (NEMO_BUILD_DIR, BENCH_RUNS (default here 1), BENCH_MAX_LOAD: see
# bench-lib.sh)
set -eu
BENCH_RUNS=${BENCH_RUNS:-1}
. "$(cd "$(dirname "$0")" && pwd)/bench-lib.sh"
kinds=kept
case ${1:-} in
  --encode) kinds="kept encoded" ;;
  "") ;;
  *) echo "usage: $0 [--encode]" >&2; exit 2 ;;
esac
bench_init
tool="$build/tests/render/render-memory"

make_cover "$work/cover.jpg"
ff -f lavfi -i "sine=frequency=220:duration=180:sample_rate=48000" -ac 2 \
  -c:a aac -b:a 128k "$work/kept-3.m4a"
ff -i "$work/kept-3.m4a" -c:a libmp3lame -b:a 128k "$work/encoded-3.mp3"
# long songs: the 3-minute one 20 and 40 times over
for kind in $kinds; do
  ext=m4a
  [ "$kind" = encoded ] && ext=mp3
  for minutes in 60 120; do
    i=0
    : > "$work/list.txt"
    while [ $i -lt $((minutes / 3)) ]; do
      echo "file '$work/$kind-3.$ext'" >> "$work/list.txt"
      i=$((i + 1))
    done
    ff -f concat -safe 0 -i "$work/list.txt" -c copy "$work/$kind-$minutes.$ext"
  done
done

round=1
while [ $round -le "$runs" ]; do
  bench_round_start $round
  for kind in $kinds; do
    ext=m4a
    [ "$kind" = encoded ] && ext=mp3
    for minutes in 3 60 120; do
      reference_s=$((minutes * 60))
      bench_measure "$kind/$minutes-min" "$work/out.mp4" \
        "$tool" "$work/$kind-$minutes.$ext" "$work/cover.jpg" "$work/out.mp4"
    done
  done
  round=$((round + 1))
done
bench_report "Still job, peak memory against the song's length (render-memory)"
