#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The AAC encoder's coding noise per octave, in mid and side, for each set
# of encoder options given (docs/performance.md, "Measured and not taken"):
# the first 60 s of SONG at 48 kHz is encoded at 320 kb/s and decoded, and
# the source minus the decoded sound goes through 8th-order high- and
# low-pass filters per octave and astats gives its RMS level.  Lower is
# better; the bitrate reached is printed with each set.  Not part of the
# test suite.  From the project root:
#   sh tests/bench/aac-noise.sh [SONG] [OPTIONS...]
# SONG defaults to frozen-bubble-data's frozen-mainzik-1p.ogg (apt-get
# install frozen-bubble-data); OPTIONS are ffmpeg encoder options with
# commas for spaces, default "-aac_coder,twoloop" "-aac_coder,fast".
set -eu
song=${1:-/usr/share/games/frozen-bubble/snd/frozen-mainzik-1p.ogg}
[ $# -gt 0 ] && shift
[ $# -eq 0 ] && set -- -aac_coder,twoloop -aac_coder,fast
if [ ! -f "$song" ]; then
  echo "$0: $song is missing: give a song, or apt-get install frozen-bubble-data" >&2
  exit 1
fi
ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# rms_db FILE CHANNEL-EXPR LOW-HZ HIGH-HZ: the RMS level of one band
rms_db() {
  filters="pan=mono|c0=$2"
  [ "$3" -gt 0 ] && filters="$filters$(printf ',highpass=f=%s' "$3" "$3" "$3" "$3")"
  filters="$filters$(printf ',lowpass=f=%s' "$4" "$4" "$4" "$4")"
  ffmpeg -hide_banner -nostdin -i "$1" \
    -af "$filters,astats=measure_perchannel=none:measure_overall=RMS_level" \
    -f null - 2>&1 | awk '/RMS level dB/ { print $NF }'
}

ff -t 60 -i "$song" -ar 48000 -c:a pcm_f32le "$work/source.wav"
echo "| options | kb/s | band Hz | mid dB | side dB |"
echo "|---|---|---|---|---|"
for options in "$@"; do
  # shellcheck disable=SC2046 # the options are split on purpose
  ff -i "$work/source.wav" -c:a aac -b:a 320k $(echo "$options" | tr , ' ') \
    "$work/encoded.m4a"
  kbps=$(ffprobe -v error -show_entries format=bit_rate -of csv=p=0 \
    "$work/encoded.m4a")
  ff -i "$work/encoded.m4a" -c:a pcm_f32le "$work/decoded.wav"
  ff -i "$work/source.wav" -i "$work/decoded.wav" -filter_complex \
    "[0][1]amerge=inputs=2,pan=stereo|c0=c0-c2|c1=c1-c3" -c:a pcm_f32le \
    "$work/noise.wav"
  low=0
  for high in 125 250 500 1000 2000 4000 8000 16000 20000; do
    printf '| %s | %d | %d–%d | %.1f | %.1f |\n' "$options" $((kbps / 1000)) \
      $low $high "$(rms_db "$work/noise.wav" '0.5*c0+0.5*c1' $low $high)" \
      "$(rms_db "$work/noise.wav" '0.5*c0-0.5*c1' $low $high)"
    low=$high
  done
done
