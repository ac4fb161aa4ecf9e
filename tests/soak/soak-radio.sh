#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Soak, by hand: examples/radio.py live into a real RTMP server on
# 127.0.0.1 for MINUTES (default 60) at SIZE (default 1280x720), the
# server restarted once half-way.
# Prints the station's resident memory every minute, then checks what the
# server recorded: each recording whole, the second going on from the
# first.  Results: docs/reliability.md, "Soak".
#   GST_PLUGIN_PATH=build/plugin tests/soak/soak-radio.sh [MINUTES [SIZE]]
set -eu
minutes=${1:-60}
size=${2:-1280x720}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
. "$root/tests/live/rtmp-lib.sh"
trap 'rtmp_stop; rm -rf "$work"' EXIT
export GIO_USE_PROXY_RESOLVER=dummy   # loopback: no proxy to look up

make_songs 4 180
rtmp_configure
rtmp_start
"$root/examples/radio.py" "$work/music" --url "$rtmp_url" \
  --size "$size" --stop-after $((minutes * 60)) > "$work/radio.out" 2>&1 &
radio=$!
echo "| minute | station RSS MB |"
echo "|---|---|"
minute=0
while kill -0 "$radio" 2> /dev/null; do
  rss=$(awk '/VmRSS/ { print $2 / 1024 }' "/proc/$radio/status" 2> /dev/null || echo -)
  echo "| $minute | $rss |"
  if [ $minute -eq $((minutes / 2)) ]; then
    rtmp_stop
    sleep 5
    rtmp_start
  fi
  sleep 60
  minute=$((minute + 1))
done
wait "$radio" || true
grep -E "^(lost|streaming)" "$work/radio.out"
check_recordings
