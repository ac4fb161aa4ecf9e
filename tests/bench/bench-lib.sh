# SPDX-License-Identifier: GPL-3.0-or-later
# Shared by the tests/bench/bench-*.sh scripts (sourced, not run).
#
# Environment:
#   NEMO_BUILD_DIR  the meson build directory (default: <project>/build)
#   BENCH_RUNS      rounds; each round runs every tool once (default 3)
#   BENCH_MAX_LOAD  before each round, wait until the 1-minute load average
#                   is under this (default 1.5; 0: do not wait) ...
#   BENCH_MAX_WAIT  ... but no longer than this many seconds (default 600)
#
# A script calls bench_init, makes its inputs in $work, then for each round
# bench_round_start and one bench_measure per tool, and bench_report at the
# end.  Results are medians over the rounds with the range (min–max), and
# ratios of medians against the first tool measured (with names JOB/TOOL:
# the first tool measured of that job).

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${NEMO_BUILD_DIR:-$root/build}
runs=${BENCH_RUNS:-3}
max_load=${BENCH_MAX_LOAD:-1.5}
max_wait=${BENCH_MAX_WAIT:-600}

ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }

# make_music SECONDS OUT.mp3: music the bars can follow, a bass line, an
# arpeggio and a kick, with hiss on top (as examples/make-doc-images.sh)
make_music() {
  ff -f lavfi -i "aevalsrc='$(music_voice 440)|$(music_voice 660)':s=44100:d=$1" \
     -f lavfi -i "anoisesrc=d=$1:c=pink:a=0.08:r=44100" \
     -filter_complex "[1]highpass=f=6000,volume='0.5+0.5*sin(2*PI*t*4)':eval=frame[n];[0][n]amix=inputs=2:normalize=0" \
     -c:a libmp3lame -b:a 320k "$2"
}
music_voice() { # $1: arpeggio base frequency
  echo "0.30*sin(2*PI*t*110*pow(2,floor(mod(t/2,4))*5/12))*exp(-3*mod(t,0.5))"\
"+0.22*sin(2*PI*t*$1*pow(2,floor(mod(t*8,6))*2/12))*exp(-9*mod(t,0.125))"\
"+0.45*sin(2*PI*(50+120*exp(-30*mod(t,0.5)))*t)*exp(-14*mod(t,0.5))"
}

# make_cover OUT.jpg: a 1400x1400 album cover
make_cover() { ff -f lavfi -i "testsrc2=s=1400x1400:d=1" -frames:v 1 -q:v 2 "$1"; }

# make_clips DIR: DIR/clip-1.mp4 … clip-3.mp4, 30 s of 1080p30 H.264 each
# (keyframe every second): a test pattern, moving gradients, a cellular
# automaton's noise
make_clips() {
  clip_n=0
  for source in "testsrc2=s=1920x1080:r=30" "gradients=s=1920x1080:r=30:speed=0.05" \
      "cellauto=s=480x270:rate=30:rule=110,scale=1920:1080:flags=neighbor"; do
    clip_n=$((clip_n + 1))
    ff -f lavfi -i "$source,format=yuv420p" -t 30 -c:v libx264 -preset ultrafast \
      -crf 20 -g 30 "$1/clip-$clip_n.mp4"
  done
}

# The timed recipes (run as: sh "$recipes" RECIPE ARGS...)
recipes="$root/tests/bench/recipes.sh"

load1() { cut -d' ' -f1 /proc/loadavg; }

bench_init() {
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  if [ ! -e "$build/plugin/libgstnemo.so" ]; then
    echo "No nemorender plugin in $build/plugin: build first, or set NEMO_BUILD_DIR." >&2
    exit 1
  fi
  export GST_PLUGIN_PATH="$build/plugin"
  # A registry of our own, scanned now, so no timed run pays for the scan.
  export GST_REGISTRY_1_0="$work/registry.bin"
  gst-inspect-1.0 nemorender > /dev/null
  : > "$work/results"
  : > "$work/loads"
}

# bench_need ELEMENT PACKAGE: FALSE (and a note) when ELEMENT is missing
bench_need() {
  gst-inspect-1.0 "$1" > /dev/null 2>&1 && return 0
  echo "note: GStreamer element $1 is missing (Debian package $2): its row is skipped." >&2
  return 1
}

bench_round_start() {
  waited=0
  if [ "$(echo "$max_load > 0" | bc)" -eq 1 ]; then
    while [ "$(echo "$(load1) >= $max_load" | bc)" -eq 1 ] && [ $waited -lt "$max_wait" ]; do
      sleep 15
      waited=$((waited + 15))
    done
  fi
  load1 >> "$work/loads"
  echo "round $1/$runs: load $(load1), waited $waited s for it" >&2
}

# bench_measure NAME OUTPUT COMMAND...: run COMMAND (stdout and stderr to
# $work/NAME.log), then record "NAME wall_s cpu_s rss_mb" and keep OUTPUT's
# description from the last round (OUTPUT "-": the tool makes no video).
bench_measure() {
  name=$1 output=$2 key=$(echo "$1" | tr / -)
  shift 2
  [ "$output" = - ] || rm -f "$output"
  if ! /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > "$work/$key.log" 2>&1; then
    echo "$name failed:" >&2
    tail -n 20 "$work/$key.log" >&2
    exit 1
  fi
  read -r wall user sys rss < "$work/time"
  echo "$name $wall $(echo "$user + $sys" | bc) $(echo "scale=1; $rss / 1024" | bc)" >> "$work/results"
  if [ "$output" = - ]; then
    echo "no video made" > "$work/$key.desc"
  else
    describe "$output" > "$work/$key.desc"
  fi
}

# describe FILE: "1920x1080 30/1 h264 High, keyframe every 0.50 s, aac 48000 Hz
# 320 kb/s, 12.3 MB, 180.024 s (+0.010 s against the song)" ($reference_s)
describe() {
  {
    ffprobe -v error -select_streams v:0 -show_entries \
      stream=width,height,r_frame_rate,codec_name,profile -of default=nw=1 "$1" | sed 's/^/v_/'
    ffprobe -v error -select_streams a:0 -show_entries \
      stream=codec_name,sample_rate,bit_rate -of default=nw=1 "$1" | sed 's/^/a_/'
    echo "duration=$(duration_of "$1")"
    echo "reference=${reference_s:-0}"
    echo "size=$(stat -c %s "$1")"
    echo "keys=$(ffprobe -v error -select_streams v:0 -skip_frame nokey \
      -show_entries frame=pts_time -of csv=p=0 "$1" | wc -l)"
  } | awk -F= '{ f[$1] = $2 } END {
    printf "%sx%s %s %s %s, keyframe every %.2f s, %s %s Hz %d kb/s, %.1f MB, %.3f s (%+.3f s against the song)\n",
      f["v_width"], f["v_height"], f["v_r_frame_rate"], f["v_codec_name"], f["v_profile"],
      f["duration"] / f["keys"], f["a_codec_name"], f["a_sample_rate"], f["a_bit_rate"] / 1000,
      f["size"] / 1e6, f["duration"], f["duration"] - f["reference"] }'
}

# duration_of FILE: the container's duration
duration_of() { ffprobe -v error -show_entries format=duration -of csv=p=0 "$1"; }

# decoded_seconds FILE: how long its sound is once decoded (an MP3's
# container duration counts the encoder's padding too)
decoded_seconds() {
  echo "scale=6; $(ff -i "$1" -map 0:a:0 -ac 1 -ar 48000 -f s16le - | wc -c) / 96000" | bc
}

# bench_report TITLE: the table of medians (ranges) and ratios
bench_report() {
  echo
  echo "$1"
  echo "($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"\
    "$runs rounds, 1-minute load at the start of each round: $(tr '\n' ' ' < "$work/loads" | sed 's/ $//'))"
  echo
  echo "| tool | wall s | CPU s | peak RSS MB | wall | CPU | RSS |"
  echo "|---|---|---|---|---|---|---|"
  awk '
    function median(list,   n, a, i, j, t) {
      n = split(list, a, " ")
      for (i = 2; i <= n; i++)
        for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
      lo[0] = a[1]; hi[0] = a[n]
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function cell(list,   m) {
      m = median(list)
      return sprintf("%.1f (%.1f–%.1f)", m, lo[0], hi[0])
    }
    function job(name) { return index(name, "/") ? substr(name, 1, index(name, "/")) : "" }
    !($1 in seen) {
      seen[$1] = 1; order[++count] = $1
      if (!(job($1) in base)) base[job($1)] = $1
    }
    { w[$1] = w[$1] " " $2; c[$1] = c[$1] " " $3; r[$1] = r[$1] " " $4 }
    END {
      for (i = 1; i <= count; i++) {
        t = order[i]
        b = base[job(t)]
        bw = median(w[b]); bc = median(c[b]); br = median(r[b])
        printf "| %s | %s | %s | %s | %.2f× | %.2f× | %.2f× |\n", t,
          cell(w[t]), cell(c[t]), cell(r[t]),
          median(w[t]) / bw, median(c[t]) / bc, median(r[t]) / br
      }
    }' "$work/results"
  echo
  echo "Ratios: median of the tool / median of the first tool measured (of its job, for JOB/TOOL names). Outputs (last round):"
  echo
  for d in $(awk '!($1 in s) { s[$1] = 1; print $1 }' "$work/results"); do
    echo "- $d: $(cat "$work/$(echo "$d" | tr / -).desc")"
  done
  echo
  echo "Every run (tool, wall s, CPU s, peak RSS MB), in order:"
  sed 's/^/    /' "$work/results"
}
