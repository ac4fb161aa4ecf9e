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
work=$(mktemp -d)
nginx_pid=
cleanup() {
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/music" "$work/rec"

ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
for i in 1 2; do
  ff -f lavfi -i "sine=f=$((220 * i)):d=5:r=44100" -f lavfi -i "testsrc2=s=300x300:d=1" \
    -map 0 -map 1 -frames:v 1 -c:a libmp3lame -c:v mjpeg -disposition:v attached_pic \
    -metadata title="Song $i" -metadata artist="Band $i" "$work/music/$i.mp3"
done

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
daemon off;
master_process off;
pid $work/nginx.pid;
error_log $work/nginx.log info;
events { worker_connections 16; }
rtmp {
  server {
    listen 127.0.0.1:$port;
    application live { live on; record all; record_path $work/rec; record_unique on; }
  }
}
CONF
start_server() {
  nginx -p "$work" -c "$work/nginx.conf" &
  nginx_pid=$!
}

start_server
"$examples/radio.py" "$work/music" --url "rtmp://127.0.0.1:$port/live/station" \
  --size 640x360 --stop-after 24 > "$work/radio.out" 2>&1 &
radio=$!
sleep 8
kill "$nginx_pid"
wait "$nginx_pid" || true
sleep 3
start_server
wait "$radio"
cat "$work/radio.out"

fail() { echo "FAIL: $*"; exit 1; }
grep -q "now playing: Song 1 — Band 1" "$work/radio.out" || fail "song 1 was not announced"
grep -q "now playing: Song 2 — Band 2" "$work/radio.out" || fail "song 2 was not announced"
grep -q "^lost rtmp://" "$work/radio.out" || fail "the server's restart went unnoticed"
[ "$(grep -c '^streaming to' "$work/radio.out")" -ge 2 ] || fail "no reconnection"

set -- "$work"/rec/*.flv
[ $# -eq 2 ] || fail "$# recordings, expected 2 (before and after the restart)"
for f in "$@"; do
  streams=$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$f" | sort | tr '\n' ' ')
  [ "$streams" = "aac h264 " ] || fail "$f has $streams"
  errors=$(ffmpeg -hide_banner -v error -nostdin -i "$f" -f null - 2>&1 | head -3)
  [ -z "$errors" ] || fail "$f does not decode cleanly: $errors"
done
first_end=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$1")
second_start=$(ffprobe -v error -show_entries format=start_time -of csv=p=0 "$2")
echo "first recording: 0-$first_end s; second from $second_start s"
echo "$second_start $first_end" | awk '{ exit !($1 >= $2) }' ||
  fail "the second recording starts at $second_start s, before the first ended ($first_end s): the stream started over"
echo "ok"
