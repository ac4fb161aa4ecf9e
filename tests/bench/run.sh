#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The benchmark in one command: makes its inputs (a generated song and a
# 1400x1400 cover), then runs each job beside the ffmpeg recipe users copy
# for it, interleaved, for several rounds, and prints one Markdown table of
# medians, ranges, ratios against nemorender and peak RSS:
#   still/…        the song and its cover → 1080p30 H.264/AAC MP4
#                  (nemorender; ffmpeg -loop 1 … -tune stillimage -shortest)
#   kept/…         the same with the song as AAC-LC in M4A, which goes into
#                  the MP4 as it is (ffmpeg: the recipe with -c:a copy)
#   spectrum/…     the same with spectrum bars and the title (nemorender
#                  prompt="spectrum bars and track info"; ffmpeg showfreqs
#                  + overlay + drawtext)
#   waveform/…     a waveform and the title (ffmpeg showwaves)
#   circle/…       a circle around the cover and the title (ffmpeg
#                  avectorscope, the nearest it has)
#   montage/…      three 30 s 1080p30 clips cut on the song's beat
#                  (nemorender prompt="sync the clips to the beat", the clips
#                  in visual-uri, and decoded onto its video pads; ffmpeg's
#                  concat demuxer given the same cuts, from
#                  build/tests/job/montage-cuts)
# The recipes are recipes.sh's, as in bench-still.sh and
# bench-visualizer.sh, which also measure the variants.  Not part of the
# test suite, no thresholds.  From the project root after .ci/setup:
#   sh tests/bench/run.sh            1-minute song, 3 rounds (~28 min)
#   sh tests/bench/run.sh --long     3-minute song (~1 h)
#   sh tests/bench/run.sh montage    only the jobs named (still, kept,
#                                    spectrum, waveform, circle, montage)
# (NEMO_BUILD_DIR, BENCH_RUNS, BENCH_MAX_LOAD: see bench-lib.sh)
set -eu
. "$(cd "$(dirname "$0")" && pwd)/bench-lib.sh"
secs=60
if [ "${1:-}" = --long ]; then
  secs=180
  shift
fi
jobs=${*:-still kept spectrum waveform circle montage}
for job in $jobs; do
  case $job in
    still|kept|spectrum|waveform|circle|montage) ;;
    *) echo "usage: $0 [--long] [still|kept|spectrum|waveform|circle|montage...]" >&2; exit 2 ;;
  esac
done
# wanted JOB: whether JOB is one of those to run
wanted() { case " $jobs " in *" $1 "*) return 0 ;; esac; return 1; }
bench_init

make_music "$secs" "$work/song.mp3"
make_cover "$work/cover.jpg"
reference_s=$(decoded_seconds "$work/song.mp3")
# the same music as AAC-LC 256 kb/s, as a store sells it
wanted kept && ff -i "$work/song.mp3" -c:a aac -b:a 256k "$work/song.m4a"
if wanted montage; then
  make_clips "$work"
  "$build/tests/job/montage-cuts" "$work/song.mp3" "$work/clip-1.mp4" \
    "$work/clip-2.mp4" "$work/clip-3.mp4" > "$work/cuts.txt"
fi

round=1
while [ $round -le "$runs" ]; do
  bench_round_start $round
  if wanted still; then
    bench_measure still/nemorender "$work/still-nemorender.mp4" \
      sh "$recipes" nemorender_job "$work/cover.jpg" "$work/song.mp3" "$work/still-nemorender.mp4"
    bench_measure still/ffmpeg "$work/still-ffmpeg.mp4" \
      sh "$recipes" ffmpeg_still "$work/cover.jpg" "$work/song.mp3" "$work/still-ffmpeg.mp4"
  fi
  if wanted kept; then
    bench_measure kept/nemorender "$work/kept-nemorender.mp4" \
      sh "$recipes" nemorender_job "$work/cover.jpg" "$work/song.m4a" "$work/kept-nemorender.mp4"
    bench_measure kept/ffmpeg-copy "$work/kept-ffmpeg.mp4" \
      sh "$recipes" ffmpeg_still_kept "$work/cover.jpg" "$work/song.m4a" "$work/kept-ffmpeg.mp4"
  fi
  for kind in spectrum:showfreqs waveform:showwaves circle:avectorscope; do
    job=${kind%%:*} filter=${kind#*:}
    wanted "$job" || continue
    bench_measure "$job/nemorender" "$work/$job-nemorender.mp4" \
      sh "$recipes" nemorender_visualizer "$job" "$work/cover.jpg" "$work/song.mp3" "$work/$job-nemorender.mp4"
    bench_measure "$job/ffmpeg-$filter" "$work/$job-ffmpeg.mp4" \
      sh "$recipes" ffmpeg_visualizer "$filter" "$work/cover.jpg" "$work/song.mp3" "$work/$job-ffmpeg.mp4"
  done
  if wanted montage; then
    bench_measure montage/nemorender "$work/montage-nemorender.mp4" \
      sh "$recipes" nemorender_montage "$work/song.mp3" "$work/montage-nemorender.mp4" \
      "$work/clip-1.mp4" "$work/clip-2.mp4" "$work/clip-3.mp4"
    bench_measure montage/nemorender-pads "$work/montage-pads.mp4" \
      sh "$recipes" nemorender_montage_pads "$work/song.mp3" "$work/montage-pads.mp4" \
      "$work/clip-1.mp4" "$work/clip-2.mp4" "$work/clip-3.mp4"
    bench_measure montage/ffmpeg-concat "$work/montage-ffmpeg.mp4" \
      sh "$recipes" ffmpeg_montage "$work/cuts.txt" "$work/song.mp3" "$work/montage-ffmpeg.mp4"
  fi
  round=$((round + 1))
done

bench_report "A ${secs}-second song (MP3 320 kb/s) + a 1400x1400 JPEG (or three clips) → 1080p30 H.264/AAC MP4, each job beside its ffmpeg recipe"
