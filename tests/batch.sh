#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# examples/batch.sh on a folder of three short songs with tags and embedded
# covers, and one broken file: the videos are whole and as long as their
# songs, show the cover and carry the tags; a second run renders nothing
# again; a cut video is rendered again; the broken song is listed with its
# error, and the exit status says so.
set -eu
batch=$1
data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
songs=$work/songs
out=$work/videos
mkdir -p "$songs"

ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
fail() { echo "FAIL: $*"; exit 1; }

# NAME.EXT SECONDS TITLE: a song cut from the test tone, with tags and the
# test cover (an orange square in the middle) embedded
song() {
  ff -t "$2" -i "$data/tone.wav" -i "$data/cover.jpg" -map 0 -map 1 \
    -c:v copy -disposition:v attached_pic -metadata title="$3" \
    -metadata artist="Batch Band" "$songs/$1"
}
song first.mp3 3 "First Song"
song second.flac 4 "Second Song"
song third.m4a 5 "Third Song"
cp "$data/garbage.mp3" "$songs/broken.mp3"

# VIDEO SECONDS TITLE WxH
check() {
  [ -f "$1" ] || fail "$1 was not written"
  streams=$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$1" | sort | tr '\n' ' ')
  [ "$streams" = "aac h264 " ] || fail "$1 has the streams $streams"
  duration=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$1")
  echo "$duration $2" | awk '{ d = $1 - $2; if (d < 0) d = -d; exit !(d < 0.05) }' ||
    fail "$1 lasts $duration s, its song $2 s"
  title=$(ffprobe -v error -show_entries format_tags=title -of csv=p=0 "$1")
  [ "$title" = "$3" ] || fail "$1 is titled '$title', not '$3'"
  size=$(ffprobe -v error -select_streams v -show_entries stream=width,height -of csv=p=0:s=x "$1")
  [ "$size" = "$4" ] || fail "$1 is $size, not $4"
  # the middle of the picture is the cover's orange (255,128,0)
  set -- "$1" $(ffmpeg -v error -ss 1 -i "$1" -frames:v 1 \
    -vf "crop=8:8:iw/2-4:ih/2-4,scale=1:1" -f rawvideo -pix_fmt rgb24 - | od -An -tu1)
  [ "$2" -gt 200 ] && [ "$3" -gt 90 ] && [ "$3" -lt 170 ] && [ "$4" -lt 60 ] ||
    fail "$1 does not show the embedded cover in its middle: $2,$3,$4"
  echo "ok $(basename "$1"): $streams$duration s, $size, '$title'"
}

# RUN LOG: the run failed, and listed the broken song alone, with its error
check_failure() {
  [ "$1" -ne 0 ] || fail "the run exited 0 with a broken song"
  sed -n '/ failed:$/,$p' "$2" > "$work/listed"
  grep -q '^1 failed:$' "$work/listed" || fail "no '1 failed:' in: $(cat "$2")"
  grep -q "broken.mp3: .*is not an audio, image or video file" "$work/listed" ||
    fail "the broken song is not listed with its error: $(cat "$work/listed")"
  echo "ok: the broken song listed with its error, exit status $1"
}

status=0
sh "$batch" -o "$out" "$songs" > "$work/run1" 2>&1 || status=$?
cat "$work/run1"
check_failure $status "$work/run1"
check "$out/first.mp4" 3 "First Song" 1920x1080
check "$out/second.mp4" 4 "Second Song" 1920x1080
check "$out/third.mp4" 5 "Third Song" 1920x1080
[ -z "$(find "$out" -name '.*')" ] || fail "temporary files left: $(ls -a "$out")"

# A second run renders nothing again; a video cut short (its index, in
# front, still says 5 s) is rendered again.
touch -d '2020-01-01' "$out/first.mp4" "$out/second.mp4"
head -c $(( $(wc -c < "$out/third.mp4") / 2 )) "$out/third.mp4" > "$work/cut"
mv "$work/cut" "$out/third.mp4"
touch -d '2020-01-01' "$out/third.mp4"
status=0
sh "$batch" -j 2 -o "$out" "$songs" > "$work/run2" 2>&1 || status=$?
cat "$work/run2"
check_failure $status "$work/run2"
for name in first second; do
  [ "$(stat -c %Y "$out/$name.mp4")" = "$(date -d 2020-01-01 +%s)" ] ||
    fail "$name.mp4 was rendered again"
  grep -q "^skip $name" "$work/run2" || fail "no 'skip $name' in the second run"
done
[ "$(stat -c %Y "$out/third.mp4")" != "$(date -d 2020-01-01 +%s)" ] ||
  fail "the cut third.mp4 was kept"
check "$out/third.mp4" 5 "Third Song" 1920x1080

# The element's properties pass through; one song, one task.
sh "$batch" --one "$songs/first.mp3" "$work/shorts" preset=shorts
check "$work/shorts/first.mp4" 3 "First Song" 1080x1920
