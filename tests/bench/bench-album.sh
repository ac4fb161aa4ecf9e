#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Benchmark: an album video's peak memory against its number of songs, 1,
# 5 and 20 tracks of 15 s, each MP3 with its own 1400x1400 cover embedded
# (docs/album.md).  Each row is gst-launch-1.0 nemorender with the songs
# as an .m3u playlist in audio-uri, 1080p30, under /usr/bin/time; ratios
# are against the 1-track row.  A cover per song keeps the still fast path
# (a run of two GOPs a song), so the AAC encode is most of the time.  Not
# part of the test suite, no thresholds.  From the project root after
# .ci/setup (about 2 minutes a round):
#   sh tests/bench/bench-album.sh
# (NEMO_BUILD_DIR, BENCH_RUNS (default here 1), BENCH_MAX_LOAD: see
# bench-lib.sh)
set -eu
BENCH_RUNS=${BENCH_RUNS:-1}
. "$(cd "$(dirname "$0")" && pwd)/bench-lib.sh"
bench_init
export GST_PLUGIN_PATH="$build/plugin"

make_music 15 "$work/music.mp3"
i=1
while [ $i -le 20 ]; do
  ff -f lavfi -i "testsrc2=s=1400x1400:d=1" -vf "hue=h=$((i * 18))" \
    -frames:v 1 -q:v 2 "$work/cover-$i.jpg"
  ff -i "$work/music.mp3" -i "$work/cover-$i.jpg" -map 0 -map 1 -c copy \
    -disposition:v attached_pic -metadata title="Track $i" "$work/$i.mp3"
  i=$((i + 1))
done
for tracks in 1 5 20; do
  seq 1 $tracks | sed 's/$/.mp3/' > "$work/album-$tracks.m3u"
done

round=1
while [ $round -le "$runs" ]; do
  bench_round_start $round
  for tracks in 1 5 20; do
    reference_s=$((tracks * 15))
    bench_measure "album/$tracks-tracks" "$work/out.mp4" \
      gst-launch-1.0 -q nemorender audio-uri="$work/album-$tracks.m3u" \
      ! filesink location="$work/out.mp4"
  done
  round=$((round + 1))
done
bench_report "Album job, peak memory against the number of songs (15 s each)"
