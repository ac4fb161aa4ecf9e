#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Benchmark: the memory of the cloud path when the input is a 300 MB video,
# against curl uploading the same file, in one run on one machine, rounds
# interleaved, all against a local nemo-sim (src/sim):
#   nemorender-300MB    gst-launch-1.0 nemorender backend=cloud with the
#                       300 MB clip as visual-uri: the whole cycle (token,
#                       session, probe, upload, chat, export, poll, download)
#   nemorender-3MB      the same with a 3 MB clip of the same length and size:
#                       what the cycle costs when the upload is small
#   curl                curl -F files=@big.mp4 to the same upload endpoint:
#                       the upload alone (token and session made beforehand)
# An MP4 of H.264 is a format the service takes, so nemorender uploads it as
# it is (docs/upload.md): the difference between the first two rows is what
# the upload of 297 MB more costs in memory.  nemo-sim renders at 320x180
# (--size) so that its render does not dominate the wall time.
# Not part of the test suite; run it from the project root after .ci/setup:
#   sh tests/bench/bench-upload-memory.sh [megabytes]
# (NEMO_BUILD_DIR, BENCH_RUNS, BENCH_MAX_LOAD: see bench-lib.sh)
set -eu
. "$(cd "$(dirname "$0")" && pwd)/bench-lib.sh"
megabytes=${1:-300}
bench_init

# 60 s of 1080p30 at the constant bitrate (with filler) that makes the size
# asked; the same pictures at 400 kb/s; a 10 s song (the render's length).
ff -f lavfi -i "testsrc2=s=1920x1080:r=30:d=60" -c:v libx264 -preset ultrafast \
  -b:v "$((megabytes * 8 / 60))M" -minrate "$((megabytes * 8 / 60))M" \
  -maxrate "$((megabytes * 8 / 60))M" -bufsize 4M -x264-params nal-hrd=cbr -pix_fmt yuv420p \
  "$work/big.mp4"
ff -f lavfi -i "testsrc2=s=1920x1080:r=30:d=60" -c:v libx264 -preset ultrafast \
  -b:v 400k -pix_fmt yuv420p "$work/small.mp4"
ff -f lavfi -i "sine=frequency=220:duration=10:sample_rate=44100" -ac 2 -c:a libmp3lame \
  -b:a 320k "$work/song.mp3"
reference_s=$(decoded_seconds "$work/song.mp3")

"$build/src/sim/nemo-sim" --max-upload-size=$((megabytes * 2 * 1000000)) --size=320x180 \
  --work-dir="$work/sim" > "$work/sim.log" 2>&1 &
sim_pid=$!
trap 'kill $sim_pid; rm -rf "$work"' EXIT
while ! api=$(sed -n 's/^nemo-sim listening on //p' "$work/sim.log" | grep .); do
  kill -0 $sim_pid || { cat "$work/sim.log" >&2; exit 1; }
  sleep 0.2
done

# post PATH [CURL ARGS...]: a POST to the sim, the reply on stdout
post() {
  path=$1
  shift
  curl -sS -X POST -H "X-Skill-Source: yt-music" -H "X-Skill-Version: 1.0.0" \
    -H "X-Skill-Platform: unknown" "$@" "$api$path"
}
json_string() { sed -n "s/.*\"$1\" *: *\"\\([^\"]*\\)\".*/\\1/p"; }

# curl_upload: token and session (not timed), then the upload
curl_upload() {
  token=$(post /api/auth/anonymous-token -H "X-Client-Id: $(cat /proc/sys/kernel/random/uuid)" \
    | json_string token)
  sid=$(post /api/tasks/me/with-session/nemo_agent -H "Authorization: Bearer $token" \
    -H "Content-Type: application/json" -d '{"task_name":"project","language":"en"}' \
    | json_string session_id)
  bench_measure curl - \
    curl -sS --fail -o "$work/curl-reply.json" -X POST -H "Authorization: Bearer $token" \
    -H "X-Skill-Source: yt-music" -H "X-Skill-Version: 1.0.0" -H "X-Skill-Platform: unknown" \
    -F "files=@$work/big.mp4" "$api/api/upload-video/nemo_agent/me/$sid"
  grep -q '"cdn_url"' "$work/curl-reply.json" || { cat "$work/curl-reply.json" >&2; exit 1; }
}

# cloud NAME CLIP
cloud() {
  bench_measure "$1" "$work/$1.mp4" \
    gst-launch-1.0 -q nemorender backend=cloud api-url="$api" \
    max-upload-size=$((megabytes * 2 * 1000000)) audio-uri="$work/song.mp3" \
    visual-uri="$2" ! filesink location="$work/$1.mp4"
}

round=1
while [ $round -le "$runs" ]; do
  bench_round_start $round
  cloud "nemorender-${megabytes}MB" "$work/big.mp4"
  cloud nemorender-3MB "$work/small.mp4"
  curl_upload
  round=$((round + 1))
done

bench_report "Memory of the cloud path with a $(stat -c %s "$work/big.mp4")-byte H.264 MP4 against curl uploading it (the small clip: $(stat -c %s "$work/small.mp4") bytes)"
