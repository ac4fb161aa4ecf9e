#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Run every example launch line on the test media and check that each wrote
# an MP4 with an H.264 and an AAC stream as long as the song.
set -eu
examples=$1
data=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

check() {
  streams=$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$1" | sort | tr '\n' ' ')
  duration=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$1")
  [ "$streams" = "aac h264 " ] || { echo "FAIL $1: streams are $streams"; exit 1; }
  echo "$duration $2" | awk '{ d = $1 - $2; if (d < 0) d = -d; exit !(d < 0.1) }' ||
    { echo "FAIL $1: lasts $duration s, expected $2 s"; exit 1; }
  echo "ok $(basename "$1"): $streams$duration s"
}

sh "$examples/cover-to-video.sh" "$data/tone.mp3" "$data/cover.jpg" "$out/a.mp4"
check "$out/a.mp4" 8
sh "$examples/cover-to-video-pads.sh" "$data/tone.flac" "$data/cover.png" "$out/b.mp4"
check "$out/b.mp4" 8
sh "$examples/shorts.sh" "$data/tone.mp3" "$data/cover.jpg" "$out/c.mp4"
check "$out/c.mp4" 8
[ "$(ffprobe -v error -show_entries stream=width,height -of csv=p=0 -select_streams v "$out/c.mp4")" = "1080,1920" ]
sh "$examples/loop-clip.sh" "$data/tone.wav" "$data/clip.mp4" "$out/d.mp4"
check "$out/d.mp4" 8
"$3" --prompt="a calm cover video" "$data/tone.mp3" "$data/cover.png" "$out/e.mp4" | tail -1
check "$out/e.mp4" 8
sh "$examples/visualizer.sh" "$data/tone.mp3" "$data/cover.jpg" "$out/f.mp4"
check "$out/f.mp4" 8
sh "$examples/shorts-visualizer.sh" "$data/tone.mp3" "$data/cover.jpg" "$out/g.mp4"
check "$out/g.mp4" 8
[ "$(ffprobe -v error -show_entries stream=width,height -of csv=p=0 -select_streams v "$out/g.mp4")" = "1080,1920" ]
sh "$examples/beat-montage.sh" "$out/h.mp4"
check "$out/h.mp4" 12
# background music for a clip: as long as the clip, not the song
sh "$examples/travel-bgm.sh" "$out/i.mp4"
check "$out/i.mp4" 6
sh "$examples/karaoke.sh" "$data/tone.mp3" "$data/cover.jpg" "$data/lyrics.lrc" "$out/karaoke.mp4"
check "$out/karaoke.mp4" 8
sh "$examples/lyric-video-pads.sh" "$data/tone.mp3" "$data/cover.jpg" "$data/lyrics.srt" "$out/lyrics.mp4"
check "$out/lyrics.mp4" 8
sh "$examples/music-to-cuts.sh" "$out/j.mp4"
check "$out/j.mp4" 8
sh "$examples/montage-crossfade.sh" "$out/k.mp4"
check "$out/k.mp4" 12
for preset in youtube:1920,1080 shorts:1080,1920 tiktok:1080,1920 \
    reels:1080,1920 instagram-feed:1080,1350 instagram-story:1080,1920; do
  name=${preset%%:*}
  sh "$examples/preset-$name.sh" "$data/tone.mp3" "$data/cover.jpg" "$out/$name.mp4"
  check "$out/$name.mp4" 8
  [ "$(ffprobe -v error -show_entries stream=width,height -of csv=p=0 -select_streams v "$out/$name.mp4")" = "${preset#*:}" ]
done
sh "$examples/album.sh" "$out/album.mp4"
[ "$(ffprobe -v error -show_entries stream=codec_type -of csv=p=0 "$out/album.mp4" | tr '\n' ' ')" = "video audio data " ]
[ "$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$out/album.mp4")" = "12.000000" ]
[ "$(cat "$out/album.txt" | tr '\n' '|')" = "00:00 Morning|00:03 Noon|00:07 Night|" ]
echo "ok album.mp4: 3 chapters"
