#!/bin/sh
# Benchmark: a 3-minute song + album art → 1080p30 YouTube video, three ways,
# in one run on one machine:
#   nemorender      gst-launch-1.0 nemorender audio-uri=… visual-uri=…
#   ffmpeg CLI      the recipe users copy: -loop 1 … -tune stillimage -shortest
#   gst-launch      imagefreeze ! x264enc ! mp4mux, the plain GStreamer way
# Prints wall time, CPU time, peak RSS, and the output's duration error, then
# the ratios against nemorender.  Not part of the test suite (it takes
# minutes); run it from the project root after .ci/setup:
#   sh tests/bench/bench-still.sh [seconds]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-180}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GST_PLUGIN_PATH="$root/build/plugin"

ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
ff -f lavfi -i "sine=frequency=220:duration=$secs:sample_rate=44100" -ac 2 -c:a libmp3lame -b:a 320k "$work/song.mp3"
ff -f lavfi -i "testsrc2=s=1400x1400:d=1" -frames:v 1 -q:v 2 "$work/cover.jpg"

audio_s=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$work/song.mp3")

# run NAME COMMAND...: time it, then report "name wall cpu rss_mb duration_error_s"
run() {
  name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > /dev/null 2>&1
  read -r wall user sys rss < "$work/time"
  dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$work/$name.mp4")
  printf '%s %s %s %s %s\n' "$name" "$wall" "$(echo "$user + $sys" | bc)" \
    "$(echo "scale=1; $rss / 1024" | bc)" "$(echo "$dur - $audio_s" | bc)" >> "$work/results"
}

run nemorender gst-launch-1.0 -q nemorender audio-uri="$work/song.mp3" \
  visual-uri="$work/cover.jpg" ! filesink location="$work/nemorender.mp4"
run ffmpeg ffmpeg -nostdin -y -loop 1 -framerate 30 -i "$work/cover.jpg" -i "$work/song.mp3" \
  -vf "scale=1920:1080:force_original_aspect_ratio=decrease,pad=1920:1080:(ow-iw)/2:(oh-ih)/2,format=yuv420p" \
  -c:v libx264 -tune stillimage -preset veryfast -crf 18 -c:a aac -b:a 320k -ar 48000 \
  -shortest -movflags +faststart "$work/ffmpeg.mp4"
run gst-launch gst-launch-1.0 -q -e mp4mux faststart=true name=m ! filesink location="$work/gst-launch.mp4" \
  filesrc location="$work/cover.jpg" ! jpegdec ! videoconvert ! videoscale add-borders=true ! \
  video/x-raw,width=1920,height=1080,pixel-aspect-ratio=1/1 ! imagefreeze num-buffers=$(echo "$audio_s * 30 / 1 + 1" | bc) ! \
  video/x-raw,framerate=30/1 ! x264enc speed-preset=veryfast tune=stillimage ! m. \
  filesrc location="$work/song.mp3" ! decodebin ! audioconvert ! audioresample ! \
  avenc_aac bitrate=320000 ! m.

echo "A ${secs}-second song + a 1400x1400 JPEG → 1080p30 H.264/AAC MP4 ($(nproc) cores)"
echo
echo "| tool | wall s | CPU s | peak RSS MB | duration − song s | wall vs nemorender |"
echo "|---|---|---|---|---|---|"
base=$(awk '$1=="nemorender"{print $2}' "$work/results")
while read -r name wall cpu rss err; do
  printf '| %s | %s | %s | %s | %s | %sx |\n' "$name" "$wall" "$cpu" "$rss" "$err" \
    "$(echo "scale=1; $wall / $base" | bc)"
done < "$work/results"
