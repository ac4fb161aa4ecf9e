#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Benchmark: how soon the cloud path notices a finished render, and with how
# many export-status polls, against a local nemo-sim whose renders take N ms
# (--slow-render-ms, progress reported by the clock), at the element's
# default poll-interval (2000 ms).  For each N: one whole cycle with
# gst-launch-1.0 nemorender backend=cloud; the sim's log (stamped as it
# comes) says when the render completed and when each status poll was
# answered.  The target is seen <= max(2 s, 10 % of N) late, <= 10 polls.
# Not part of the test suite; run it from the project root after .ci/setup:
#   sh tests/bench/bench-polls.sh [N_MS...]     (default: 20000 60000)
# (NEMO_BUILD_DIR: see bench-lib.sh)
set -eu
. "$(cd "$(dirname "$0")" && pwd)/bench-lib.sh"
bench_init
[ $# -gt 0 ] || set -- 20000 60000

ff -f lavfi -i "sine=frequency=220:duration=10:sample_rate=44100" -ac 2 -c:a libmp3lame \
  "$work/song.mp3"
ff -f lavfi -i "testsrc2=s=640x360:d=1" -frames:v 1 "$work/cover.jpg"

# stamp: each line of stdin after the time it arrived (s, monotonic enough)
stamp() {
  while IFS= read -r line; do
    printf '%s %s\n' "$(date +%s.%N)" "$line"
  done
}

# measure N_MS: one cycle; prints the table's row
measure() {
  log="$work/sim-$1.log"
  ( "$build/src/sim/nemo-sim" --verbose --slow-render-ms="$1" --size=320x180 \
      --work-dir="$work/sim-$1" 2>&1 & echo $! > "$work/sim.pid"; wait ) | stamp > "$log" &
  while ! api=$(sed -n 's/^[0-9.]* nemo-sim listening on //p' "$log" | grep .); do
    sleep 0.2
  done
  gst-launch-1.0 -q nemorender backend=cloud api-url="$api" audio-uri="$work/song.mp3" \
    visual-uri="$work/cover.jpg" ! filesink location="$work/out-$1.mp4" > "$work/gst-$1.log" 2>&1 \
    || { cat "$work/gst-$1.log" >&2; exit 1; }
  kill "$(cat "$work/sim.pid")"
  wait
  awk -v n="$1" '
    / completed: / && done == 0 { done = $1 }
    / GET \/api\/render\/proxy\/lambda\// {
      polls++
      if (done > 0 && seen == 0) seen = $1
    }
    END {
      limit = n / 10000 > 2 ? n / 10000 : 2
      printf "| %d | %d | %.2f | %.1f |\n", n / 1000, polls, seen - done, limit
    }' "$log"
}

echo "| render s | status polls | completion seen s late | target s |"
echo "|---|---|---|---|"
for n in "$@"; do
  measure "$n"
done
