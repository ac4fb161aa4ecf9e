# SPDX-License-Identifier: GPL-3.0-or-later
# Shared by tests/live/radio.sh and tests/soak/soak-radio.sh (sourced): a
# real RTMP server on 127.0.0.1 (nginx with its rtmp module) recording
# what it receives into $work/rec, and tagged songs with covers.
# The caller sets $work (a temporary folder it removes) and calls
# rtmp_stop on exit.

ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }

# make_songs N SECONDS: $work/music/1.mp3 ... N.mp3, "Song i" by "Band i",
# each with a picture
make_songs() {
  mkdir -p "$work/music"
  i=1
  while [ $i -le "$1" ]; do
    ff -f lavfi -i "sine=f=$((110 * (i + 1))):d=$2:r=44100" -f lavfi -i "testsrc2=s=300x300:d=1" \
      -map 0 -map 1 -frames:v 1 -c:a libmp3lame -c:v mjpeg -disposition:v attached_pic \
      -metadata title="Song $i" -metadata artist="Band $i" "$work/music/$i.mp3"
    i=$((i + 1))
  done
}

# rtmp_configure: a free port in $rtmp_port, $rtmp_url, nginx's config
rtmp_configure() {
  mkdir -p "$work/rec"
  rtmp_port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  rtmp_url="rtmp://127.0.0.1:$rtmp_port/live/station"
  cat > "$work/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
daemon off;
master_process off;
pid $work/nginx.pid;
error_log $work/nginx.log info;
events { worker_connections 16; }
rtmp {
  server {
    listen 127.0.0.1:$rtmp_port;
    application live { live on; record all; record_path $work/rec; record_unique on; }
  }
}
CONF
}

rtmp_pid=
rtmp_start() {
  nginx -p "$work" -c "$work/nginx.conf" &
  rtmp_pid=$!
}
rtmp_stop() {
  [ -z "$rtmp_pid" ] && return 0
  kill "$rtmp_pid" 2> /dev/null || true
  wait "$rtmp_pid" 2> /dev/null || true
  rtmp_pid=
}

# check_recordings: each of $work/rec/*.flv has H.264 and AAC and decodes
# without an error, and each starts where the one before ended (the stream
# went on rather than starting over); prints them; FALSE with a reason
check_recordings() {
  last_end=0
  for f in "$work"/rec/*.flv; do
    streams=$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$f" | sort | tr '\n' ' ')
    [ "$streams" = "aac h264 " ] || { echo "FAIL: $f has $streams"; return 1; }
    errors=$(ffmpeg -hide_banner -v error -nostdin -i "$f" -f null - 2>&1 | head -3)
    [ -z "$errors" ] || { echo "FAIL: $f does not decode cleanly: $errors"; return 1; }
    # the packets' own times: a recording's "duration" is not its length
    # once it starts late
    start=$(ffprobe -v error -show_entries format=start_time -of csv=p=0 "$f")
    end=$(ffprobe -v error -show_entries packet=pts_time -of csv=p=0 "$f" |
      awk 'NR == 1 || $1 > max { max = $1 } END { print max }')
    echo "recording $(basename "$f"): from $start s to $end s"
    echo "$start $last_end" | awk '{ exit !($1 >= $2) }' ||
      { echo "FAIL: $f starts at $start s, before the one before ended ($last_end s)"; return 1; }
    last_end=$end
  done
}
