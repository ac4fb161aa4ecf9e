#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Benchmark: can nemovisualizer feed a live stream on this machine?  A song
# played at the clock's pace through
#   nemovisualizer ! videoconvert ! x264enc tune=zerolatency speed-preset=veryfast
#   ! flvmux ! rtmp2sink qos=true   (AAC beside it)
# into a real RTMP server on 127.0.0.1 (nginx's rtmp module, as
# tests/live/radio.sh), at 1080p30 and 720p30, beside the same pipeline
# with spectrascope + textoverlay.  The sink sends QoS events upstream, so
# a frame drawn too late is dropped and counted (the visualizer's QoS
# messages).  Prints, per row: frames dropped, the CPU used (share of one
# core) and the frames the server recorded.
# Not part of the test suite; run it from the project root after .ci/setup:
#   sh tests/bench/bench-live-stream.sh [seconds]     (60 s: ~5 min)
set -eu
secs=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${NEMO_BUILD_DIR:-$root/build}
export GST_PLUGIN_PATH="$build/plugin"
export GIO_USE_PROXY_RESOLVER=dummy
work=$(mktemp -d)
. "$root/tests/live/rtmp-lib.sh"
trap 'rtmp_stop; rm -rf "$work"' EXIT
. "$root/tests/bench/bench-lib.sh"

make_music "$secs" "$work/song.mp3"
make_cover "$work/cover.jpg"
rtmp_configure
rtmp_start
sleep 1

# stream NAME WIDTH HEIGHT VISUALIZER...: one live run, its line of the table
stream() {
  name=$1 width=$2 height=$3
  shift 3
  rm -f "$work"/rec/*.flv
  # shellcheck disable=SC2068
  /usr/bin/time -f "%e %U %S" -o "$work/time" gst-launch-1.0 -m \
    filesrc location="$work/song.mp3" ! decodebin ! audioconvert ! audioresample ! \
    tee name=t ! queue ! audioconvert ! $@ ! \
    "video/x-raw,width=$width,height=$height,framerate=30/1" ! videoconvert ! \
    x264enc tune=zerolatency speed-preset=veryfast bitrate=4500 key-int-max=60 ! \
    h264parse ! queue ! flvmux name=m streamable=true ! \
    rtmp2sink location="$rtmp_url" qos=true \
    t. ! queue ! audioconvert ! avenc_aac bitrate=160000 ! aacparse ! m. \
    > "$work/run.log" 2>&1
  read -r wall user sys < "$work/time"
  dropped=$(grep -c "QOS" "$work/run.log" || true)
  recorded=$(ffprobe -v error -count_packets -select_streams v:0 -show_entries \
    stream=nb_read_packets -of csv=p=0 "$work"/rec/*.flv 2> /dev/null || echo 0)
  echo "| $name | ${width}x$height | $dropped | $(echo "scale=0; 100 * ($user + $sys) / $wall" | bc) % | $recorded of $((secs * 30)) |"
}

echo "$secs s of music streamed live at 30 fps ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg) at the start)"
echo
echo "| drawing | size | frames dropped (QoS) | CPU (of one core) | frames the server got |"
echo "|---|---|---|---|---|"
for size in 1920:1080 1280:720; do
  w=${size%%:*} h=${size#*:}
  stream "nemovisualizer spectrum" "$w" "$h" nemovisualizer style=spectrum \
    cover-uri="$work/cover.jpg" title=Night artist=Tones
  stream "nemovisualizer circle" "$w" "$h" nemovisualizer style=circle \
    cover-uri="$work/cover.jpg" title=Night artist=Tones
  stream "spectrascope + textoverlay" "$w" "$h" spectrascope ! \
    "video/x-raw,width=$w,height=$h,framerate=30/1" ! textoverlay text=Night-Tones
done
