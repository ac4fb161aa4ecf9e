#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Every song of a folder → one MP4 each, with the song's embedded art and
# tags, N renders at a time (docs/batch.md).
#   examples/batch.sh [-j N] [-o OUTDIR] FOLDER [PROPERTY=VALUE ...]
#   examples/batch.sh --one SONG OUTDIR [PROPERTY=VALUE ...]   (one task)
# -j: renders at once (default: the number of cores); -o: where the videos
# go (default: ./videos); the properties are the element's (preset=shorts).
# A video already complete (a whole MP4 as long as its song) is skipped;
# the failures are listed with their errors at the end, and the exit
# status is then 1.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
# The element where GStreamer finds it, else in this tree's build.
if ! gst-inspect-1.0 nemorender > /dev/null 2>&1; then
  export GST_PLUGIN_PATH="$root/build/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
fi

usage() {
  echo "usage: $0 [-j N] [-o OUTDIR] FOLDER [PROPERTY=VALUE ...]" >&2
  echo "       $0 --one SONG OUTDIR [PROPERTY=VALUE ...]" >&2
  exit 2
}

# The song's length in seconds, as the video should be: from start-time,
# at most max-duration (both in ns) when they are among the properties.
expected_length() { # SONG PROPERTY=VALUE...
  song=$1
  shift
  length=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$song") || return 1
  start=0 max=
  for property in "$@"; do
    case $property in
      start-time=*) start=${property#*=} ;;
      max-duration=*) max=${property#*=} ;;
    esac
  done
  echo "$length $start $max" | awk '{
    l = $1 - $2 / 1e9
    if ($3 != "" && $3 / 1e9 < l) l = $3 / 1e9
    if (l <= 0) exit 1
    print l }'
}

# Whether MP4 is whole and LENGTH seconds long: ffprobe reads it without an
# error, finds an H.264 and an AAC stream with every packet its index
# lists (a cut file keeps its index in front, and its stated length), and
# the file lasts LENGTH within one frame and 50 ms (ffprobe counts an
# MP3's encoder padding in the song's length; the decoded song has none).
is_complete() { # MP4 LENGTH
  [ -s "$1" ] && [ -n "$2" ] || return 1
  probe=$(ffprobe -v error -count_packets -of default=nw=1 -show_entries \
    stream=codec_name,nb_frames,nb_read_packets,r_frame_rate:format=duration \
    "$1" 2>&1) || return 1
  echo "$probe" | awk -F= -v want="$2" '
    /^codec_name=/ { codecs = codecs $2 " " }
    /^r_frame_rate=/ { split($2, r, "/"); if (r[1] > 0) fps = r[1] / r[2] }
    /^nb_frames=/ { frames = $2 }
    /^nb_read_packets=/ { if ($2 != frames) whole = "no" }
    /^duration=/ { length_s = $2 }
    !/^[a-z_]+=/ { whole = "no" }
    END {
      d = length_s - want; if (d < 0) d = -d
      exit !(whole != "no" && fps > 0 && d <= 1 / fps + 0.05 &&
        (codecs == "h264 aac " || codecs == "aac h264 "))
    }'
}

# One task: SONG → OUTDIR/NAME.mp4, through a temporary name renamed only
# once the render has succeeded and the file is complete.  A failure's
# error goes to stderr and, when NEMO_BATCH_FAILURES names a folder, into
# a file there for the listing at the end.
render_one() { # SONG OUTDIR PROPERTY=VALUE...
  song=$1 outdir=$2
  shift 2
  base=$(basename "$song")
  video=$outdir/${base%.*}.mp4
  length=$(expected_length "$song" "$@" 2>/dev/null) || length=
  if is_complete "$video" "$length"; then
    echo "skip $base: $video is complete"
    return 0
  fi
  # the host too: tasks on several machines may share the folder
  part=$outdir/.${base%.*}.$(uname -n).$$.part
  trap 'rm -f "$part" "$part.log"' EXIT
  trap 'exit 1' HUP INT TERM
  echo "render $base"
  if gst-launch-1.0 -q nemorender audio-uri="$song" "$@" \
      ! filesink location="$part" > "$part.log" 2>&1; then
    if is_complete "$part" "$length"; then
      mv "$part" "$video"
      echo "done $base: $video"
      return 0
    fi
    error="the render ended, but its MP4 is not whole or not as long as the song (${length:-unknown} s): run it again, and report it if it happens again"
  else
    # gst-launch's "ERROR: from element /GstPipeline:…/GstNemoRender:…: what"
    error=$(sed -n 's/^ERROR: from element [^ ]*: //p' "$part.log" | head -n 1)
    [ -n "$error" ] || error=$(grep -v '^$' "$part.log" | tail -n 1)
  fi
  echo "FAIL $base: $error" >&2
  if [ -n "${NEMO_BATCH_FAILURES:-}" ]; then
    printf '%s: %s\n' "$song" "$error" > "$NEMO_BATCH_FAILURES/$base"
  fi
  return 1
}

if [ "${1:-}" = --one ]; then
  [ $# -ge 3 ] || usage
  shift
  mkdir -p "$2"
  render_one "$@"
  exit
fi

jobs=$(nproc) outdir=videos
while getopts j:o: option; do
  case $option in
    j) jobs=$OPTARG ;;
    o) outdir=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
folder=$1
shift
[ -d "$folder" ] || { echo "$folder is not a folder: name the one that holds the songs" >&2; exit 2; }
mkdir -p "$outdir"

NEMO_BATCH_FAILURES=$(mktemp -d)
export NEMO_BATCH_FAILURES
songs=$NEMO_BATCH_FAILURES.songs
trap 'rm -rf "$NEMO_BATCH_FAILURES" "$songs"' EXIT
find "$folder" -maxdepth 1 -type f \( -iname '*.mp3' -o -iname '*.flac' \
    -o -iname '*.m4a' -o -iname '*.wav' -o -iname '*.ogg' -o -iname '*.opus' \) \
    -print0 | sort -z > "$songs"
# song.mp3 and song.flac would both be song.mp4
clashes=$(tr '\0' '\n' < "$songs" | sed 's|.*/||; s|\.[^.]*$||' | sort | uniq -d)
if [ -n "$clashes" ]; then
  echo "Songs of $folder that differ only in their extension would make the same video:" >&2
  echo "$clashes" | sed 's/.*/  &.*/' >&2
  echo "keep one of each, or render them from different folders." >&2
  exit 2
fi
# Each song one task, N at a time; a failed task does not stop the others.
status=0
xargs -0 -r -P "$jobs" -I '{}' sh "$0" --one '{}' "$outdir" "$@" < "$songs" || status=$?
failures=$(find "$NEMO_BATCH_FAILURES" -type f | wc -l)
if [ "$failures" -gt 0 ]; then
  echo "$failures failed:"
  find "$NEMO_BATCH_FAILURES" -type f -exec cat {} + | sort
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "xargs exited with status $status: renders were stopped before they ended; run the same command again to finish them" >&2
  exit 1
fi
echo "all songs of $folder rendered in $outdir"
