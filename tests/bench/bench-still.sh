#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Benchmark: a 3-minute song + album art → 1080p30 YouTube video, four ways,
# in one run on one machine, rounds interleaved:
#   nemorender      gst-launch-1.0 nemorender audio-uri=… visual-uri=…
#   ffmpeg          the recipe users copy: -loop 1 … -tune stillimage -shortest
#                   (black bars instead of a blurred fill, x264's default
#                   keyframe interval of 250 frames)
#   ffmpeg-gop15    the same with nemorender's x264 settings: closed GOPs of
#                   15 frames, 2 B-frames, no scene cuts, no tune
#   gst-launch      imagefreeze ! x264enc ! mp4mux, the plain GStreamer way
#                   (x264enc from gstreamer1.0-plugins-ugly; skipped without)
# All four: 1920x1080, 30 fps, H.264 x264 "veryfast" at CRF 18 (x264enc:
# pass=qual quantizer=18), AAC 320 kb/s 48 kHz.  Prints the median wall
# time, CPU time and peak RSS over the rounds with their range, the ratios
# against nemorender, and what each output is (keyframe interval, size,
# length against the song's).  Not part of the test suite (it takes
# minutes); run it from the project root after .ci/setup:
#   sh tests/bench/bench-still.sh [seconds]
# (NEMO_BUILD_DIR, BENCH_RUNS, BENCH_MAX_LOAD: see bench-lib.sh)
set -eu
. "$(cd "$(dirname "$0")" && pwd)/bench-lib.sh"
secs=${1:-180}
bench_init

ff -f lavfi -i "sine=frequency=220:duration=$secs:sample_rate=44100" -ac 2 -c:a libmp3lame -b:a 320k "$work/song.mp3"
make_cover "$work/cover.jpg"
reference_s=$(decoded_seconds "$work/song.mp3")
frames=$(echo "($reference_s * 30 + 0.999) / 1" | bc)
has_x264enc=0
bench_need x264enc gstreamer1.0-plugins-ugly && has_x264enc=1

round=1
while [ $round -le "$runs" ]; do
  bench_round_start $round
  bench_measure nemorender "$work/nemorender.mp4" \
    sh "$recipes" nemorender_job "$work/cover.jpg" "$work/song.mp3" "$work/nemorender.mp4"
  bench_measure ffmpeg "$work/ffmpeg.mp4" \
    sh "$recipes" ffmpeg_still "$work/cover.jpg" "$work/song.mp3" "$work/ffmpeg.mp4"
  bench_measure ffmpeg-gop15 "$work/ffmpeg-gop15.mp4" \
    sh "$recipes" ffmpeg_still "$work/cover.jpg" "$work/song.mp3" "$work/ffmpeg-gop15.mp4" \
    -profile:v high -g 15 -keyint_min 15 -bf 2 -sc_threshold 0 -flags +cgop
  if [ $has_x264enc -eq 1 ]; then
    bench_measure gst-launch "$work/gst-launch.mp4" \
      gst-launch-1.0 -q -e mp4mux faststart=true name=m ! filesink location="$work/gst-launch.mp4" \
      filesrc location="$work/cover.jpg" ! jpegdec ! videoconvert ! videoscale add-borders=true ! \
      video/x-raw,width=1920,height=1080,pixel-aspect-ratio=1/1 ! imagefreeze num-buffers="$frames" ! \
      video/x-raw,framerate=30/1 ! x264enc speed-preset=veryfast tune=stillimage pass=qual quantizer=18 ! m. \
      filesrc location="$work/song.mp3" ! decodebin ! audioconvert ! audioresample ! \
      audio/x-raw,rate=48000,channels=2 ! avenc_aac bitrate=320000 ! m.
  fi
  round=$((round + 1))
done

bench_report "A ${secs}-second song (MP3) + a 1400x1400 JPEG → 1080p30 H.264/AAC MP4"
