#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A full-album video: the songs one after another without a gap, each with
# its own cover (its embedded picture, else cover.jpg) and its own
# "Title — Artist", and a chapter per song in the MP4.  The chapters are
# also written beside the video in YouTube's description form.
#   examples/album.sh album.mp4 cover.jpg song1.flac song2.mp3 ...
#   examples/album.sh album.mp4 cover.jpg playlist.m3u
# With only the output named, it first makes three short songs, two of
# them with a cover of their own.
set -eu
out=$1
if [ $# -ge 3 ]; then
  cover=$2
  shift 2
  songs=$(printf '%s;' "$@")
else
  media=$(mktemp -d)
  trap 'rm -rf "$media"' EXIT
  ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
  ff -f lavfi -i "color=c=0x303848:s=800x800:d=1" -frames:v 1 "$media/cover.png"
  cover=$media/cover.png
  n=0
  for song in "Morning 220 0xE08030" "Noon 330 none" "Night 440 0x3050C0"; do
    set -- $song
    n=$((n + 1))
    ff -f lavfi -i "aevalsrc=0.2*sin(2*PI*$2*t)*(0.7+0.3*sin(2*PI*2*t))|0.2*sin(2*PI*$2*1.5*t):s=48000:d=$((2 + n))" \
      -metadata title="$1" -metadata artist="Nemo Lab" -metadata album="A Day" "$media/$n.wav"
    if [ "$3" = none ]; then
      ff -i "$media/$n.wav" -c:a flac "$media/$n.flac"
    else
      ff -f lavfi -i "color=c=$3:s=800x800:d=1" -frames:v 1 "$media/$n.png"
      ff -i "$media/$n.wav" -i "$media/$n.png" -map 0 -map 1 -c:a flac -c:v png \
        -disposition:v attached_pic "$media/$n.flac"
    fi
  done
  songs="$media/1.flac;$media/2.flac;$media/3.flac"
fi
gst-launch-1.0 nemorender audio-uri="${songs%;}" visual-uri="$cover" \
  prompt="full album video with chapters" ! filesink location="$out"
# the chapters as YouTube reads them from a description: "00:00 Title"
ffprobe -v error -show_entries chapter=start_time:chapter_tags=title \
  -of csv=p=0 "$out" | awk -F, '{ s = int($1);
    printf "%02d:%02d %s\n", s / 60, s % 60, substr($0, index($0, ",") + 1) }' \
  > "${out%.*}.txt"
cat "${out%.*}.txt"
