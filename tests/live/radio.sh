#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# examples/radio.py against a real RTMP server (nginx with the rtmp module
# on 127.0.0.1, recording what it receives): two tagged songs with their
# covers stream, the server is stopped and started again part-way, and the
# station reconnects.  Checked from outside: the now-playing lines, two
# recordings with H.264 and AAC that decode cleanly, and the second going
# on from the first's timestamps rather than starting over.
#   radio.sh EXAMPLES_DIR
set -eu
examples=$1
# The server is on loopback: no proxy to look up.  GIO's libproxy module
# throws C++ exceptions, which abort under the ASan runtime that the
# sanitized build preloads into Python.
export GIO_USE_PROXY_RESOLVER=dummy
work=$(mktemp -d)
. "$(dirname "$0")/rtmp-lib.sh"
trap 'rtmp_stop; rm -rf "$work"' EXIT

make_songs 2 5
rtmp_configure
rtmp_start
"$examples/radio.py" "$work/music" --url "$rtmp_url" --size 640x360 \
  --stop-after 24 > "$work/radio.out" 2>&1 &
radio=$!
sleep 8
rtmp_stop
sleep 3
rtmp_start
wait "$radio"
cat "$work/radio.out"

fail() { echo "FAIL: $*"; exit 1; }
grep -q "now playing: Song 1 — Band 1" "$work/radio.out" || fail "song 1 was not announced"
grep -q "now playing: Song 2 — Band 2" "$work/radio.out" || fail "song 2 was not announced"
grep -q "^lost rtmp://" "$work/radio.out" || fail "the server's restart went unnoticed"
[ "$(grep -c '^streaming to' "$work/radio.out")" -ge 2 ] || fail "no reconnection"
set -- "$work"/rec/*.flv
[ $# -eq 2 ] || fail "$# recordings, expected 2 (before and after the restart)"
check_recordings
echo "ok"
