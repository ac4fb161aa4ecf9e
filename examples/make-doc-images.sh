#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Make the still frames of docs/visuals.md (docs/images/*.png) with the real
# renderer: a generated song and cover, rendered by nemorender with a
# prompt, one frame taken with ffmpeg and scaled to 480 px wide.
#   GST_PLUGIN_PATH=build/plugin examples/make-doc-images.sh [OUTDIR]
set -eu
out=${1:-$(dirname "$0")/../docs/images}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }

# 8 s of music: a bass line, an arpeggio and a kick, with hiss on top.
tone() { # $1: arpeggio base frequency
  echo "0.30*sin(2*PI*t*110*pow(2,floor(mod(t/2,4))*5/12))*exp(-3*mod(t,0.5))"\
"+0.22*sin(2*PI*t*$1*pow(2,floor(mod(t*8,6))*2/12))*exp(-9*mod(t,0.125))"\
"+0.45*sin(2*PI*(50+120*exp(-30*mod(t,0.5)))*t)*exp(-14*mod(t,0.5))"
}
ff -f lavfi -i "aevalsrc='$(tone 440)|$(tone 660)':s=48000:d=8" \
   -f lavfi -i "anoisesrc=d=8:c=pink:a=0.08:r=48000" \
   -filter_complex "[1]highpass=f=6000,volume='0.5+0.5*sin(2*PI*t*4)':eval=frame[n];[0][n]amix=inputs=2:normalize=0" \
   -c:a libmp3lame -b:a 192k -metadata title="Midnight Drive" \
   -metadata artist="Nemo Lab" "$work/song.mp3"
# A cover: a diagonal dusk gradient with a sun and a horizon.
ff -f lavfi -i "gradients=s=800x800:c0=0x1a0b3d:c1=0xd63a7a:x0=0:y0=0:x1=800:y1=800:d=1" \
   -vf "drawbox=x=250:y=250:w=300:h=300:color=0xFFC040@0.9:t=fill,drawbox=x=330:y=330:w=140:h=140:color=0x2a1050:t=fill" \
   -frames:v 1 "$work/cover.png"

# shot NAME PROMPT [SIZE PROPERTIES...]
shot() {
  name=$1 prompt=$2
  shift 2
  gst-launch-1.0 -q nemorender audio-uri="$work/song.mp3" \
    visual-uri="$work/cover.png" prompt="$prompt" "$@" \
    ! filesink location="$work/$name.mp4"
  ff -ss 4 -i "$work/$name.mp4" -frames:v 1 -vf scale=480:-2:flags=lanczos \
    "$out/$name.png"
  echo "$out/$name.png"
}

# Words for the song, timed to the word (enhanced LRC), for the lyrics.
printf '%s\n' "[00:02.50]<00:02.50>Headlights <00:03.10>on <00:03.50>the <00:03.80>empty <00:04.30>road<00:04.90>" \
  "[00:05.00]<00:05.00>we <00:05.50>drive <00:06.00>till <00:06.50>morning<00:07.50>" > "$work/song.lrc"

shot spectrum "720p music video with spectrum bars and track info overlay"
shot waveform "720p music video with a waveform, title at the bottom"
shot circle "720p music video with a circular visualizer and the track info"
shot title "720p video with the track info at the top"
shot vertical "vertical 9:16 720p for Shorts, spectrum bars, title at the top"
shot lyrics "720p karaoke" lyrics-uri="$work/song.lrc"
shot lyric-video "720p lyric video" lyrics-uri="$work/song.lrc"

# live: nemovisualizer on the same song, its title from the MP3's tags
gst-launch-1.0 -q filesrc location="$work/song.mp3" ! decodebin ! \
  audioconvert ! audioresample ! nemovisualizer style=circle \
  cover-uri="$work/cover.png" ! video/x-raw,width=1280,height=720,framerate=30/1 ! \
  videoconvert ! x264enc ! mp4mux ! filesink location="$work/live.mp4"
ff -ss 4 -i "$work/live.mp4" -frames:v 1 -vf scale=480:-2:flags=lanczos \
  "$out/live.png"
echo "$out/live.png"

# An album (docs/album.md): the song above, then a second one with a cover
# of its own embedded; the frame is 4 s into the second song.
ff -f lavfi -i "aevalsrc='$(tone 550)|$(tone 825)':s=48000:d=8" -f lavfi \
   -i "gradients=s=800x800:c0=0x0b3d3a:c1=0x7ad6c0:x0=0:y0=800:x1=800:y1=0:d=1" \
   -map 0 -map 1 -frames:v 1 -c:a libmp3lame -b:a 192k -c:v mjpeg \
   -disposition:v attached_pic -metadata title="Dawn Patrol" \
   -metadata artist="Nemo Lab" "$work/song2.mp3"
gst-launch-1.0 -q nemorender audio-uri="$work/song.mp3;$work/song2.mp3" \
  visual-uri="$work/cover.png" prompt="720p full album video with chapters" \
  ! filesink location="$work/album.mp4"
ff -ss 12 -i "$work/album.mp4" -frames:v 1 -vf scale=480:-2:flags=lanczos \
  "$out/album.png"
echo "$out/album.png"

# docs/montage.md: examples/music-to-cuts.sh's video, frames on both sides
# of its first two cuts (2.3 s and 4.3 s: frames 68 | 69, 128 | 129) over
# the waveform of its sound, the clip's three cuts marked in red: each
# falls on a kick, and the kicks fade out over the last 2 s.
sh "$(dirname "$0")/music-to-cuts.sh" "$work/cuts.mp4"
cut_lines=""
for t in 2.3 4.3 6.8; do
  x=$(echo "$t" | awk '{ printf "%d", $1 / 8 * 960 - 1 }')
  cut_lines="$cut_lines,drawbox=x=$x:y=0:w=2:h=200:color=0xff4040:t=fill"
done
ff -i "$work/cuts.mp4" -filter_complex \
  "[0:v]select='eq(n\,68)+eq(n\,69)+eq(n\,128)+eq(n\,129)',scale=240:-2,tile=4x1[f];\
[0:a]aformat=channel_layouts=mono,showwavespic=s=960x200:colors=0x3080e0:scale=lin[wv];\
color=white:s=960x200:d=1[bg];[bg][wv]overlay=format=rgb,format=rgb24${cut_lines}[w];\
[f][w]vstack" -frames:v 1 "$out/music-to-cuts.png"
echo "$out/music-to-cuts.png"
