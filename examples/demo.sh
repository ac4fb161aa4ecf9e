#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The README's first command: make a short song and an album cover with
# FFmpeg, then turn them into a 1080p YouTube-ready music video with
# nemorender, on this machine, offline.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/demo}
mkdir -p "$out"
export GST_PLUGIN_PATH="$root/build/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }

echo "Making a 20-second song and an album cover in $out ..."
# A little four-chord progression (C G Am F) of soft pads over a kick,
# with a bright arpeggio and hi-hats so every band of a visualizer moves.
chord() { # $1..$3: the chord's notes for each 5-second bar, as "C G Am F"
  echo "if(lt(mod(t,20),5),$1,if(lt(mod(t,20),10),$2,if(lt(mod(t,20),15),$3,$4)))"
}
note=$(chord 261.6 196.0 220.0 174.6)
ff -f lavfi -i "aevalsrc=exprs='
  0.16*sin(2*PI*t*$note) + 0.10*sin(2*PI*t*$note*1.26) + 0.08*sin(2*PI*t*$note*1.5)
+ 0.10*sin(2*PI*t*$note*4*pow(2,floor(mod(t*8,4))*3/12))*exp(-10*mod(t,0.125))
+ 0.45*sin(2*PI*(50+100*exp(-30*mod(t,0.5)))*t)*exp(-12*mod(t,0.5))':s=48000:d=20" \
   -f lavfi -i "anoisesrc=d=20:c=white:a=0.25:r=48000" \
   -filter_complex "[1]highpass=f=7000,volume='exp(-40*mod(t+0.25,0.5))':eval=frame[hat];[0][hat]amix=inputs=2:normalize=0,aformat=channel_layouts=stereo,afade=t=in:d=0.5,afade=t=out:st=18.5:d=1.5" \
   -c:a libmp3lame -b:a 192k -metadata title="Demo Song" -metadata artist="nemorender" \
   "$out/song.mp3"
# A square cover: a warm gradient with a sun and a horizon line.
ff -f lavfi -i "gradients=s=1000x1000:c0=0xff7a18:c1=0x7b2ff7:x0=500:y0=0:x1=500:y1=1000:seed=7:d=1" \
   -vf "format=rgb24,geq=r='if(lt(hypot(X-500,Y-470),170),255,r(X,Y))':g='if(lt(hypot(X-500,Y-470),170),214,g(X,Y))':b='if(lt(hypot(X-500,Y-470),170),120,b(X,Y))',drawbox=x=0:y=640:w=1000:h=360:color=0x1b1035@0.9:t=fill" \
   -frames:v 1 "$out/cover.png"

echo "Rendering with nemorender (local backend: nothing leaves this machine) ..."
gst-launch-1.0 -q nemorender audio-uri="$out/song.mp3" visual-uri="$out/cover.png" \
  prompt="create a looping music video with visualizer and track info overlay" \
  ! filesink location="$out/video.mp4"
ffprobe -v error -show_entries format=duration:stream=codec_name,width,height \
  -of compact=p=0:nk=0 "$out/video.mp4"

# The cloud backend's whole cycle (token, session, upload, chat, export,
# polling, download), against nemo-sim: the service simulated on 127.0.0.1.
echo "Running the cloud cycle against nemo-sim on 127.0.0.1 ..."
log=$out/nemo-sim.log
: > "$log"
"$root/build/src/sim/nemo-sim" --size=1280x720 > "$log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null' EXIT
while ! grep -q "listening on" "$log"; do
  kill -0 $sim 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
api=$(sed -n 's/^nemo-sim listening on //p' "$log")
"$root/build/examples/nemo-render-app" --api-url="$api" \
  --prompt="vertical 9:16 for Shorts, spectrum bars, title at the top" \
  "$out/song.mp3" "$out/cover.png" "$out/cloud-video.mp4"
ffprobe -v error -show_entries format=duration:stream=codec_name,width,height \
  -of compact=p=0:nk=0 "$out/cloud-video.mp4"

echo
echo "Your music video (rendered here):      $out/video.mp4"
echo "The same job through the cloud cycle:  $out/cloud-video.mp4"
