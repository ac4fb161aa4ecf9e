#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Build the fuzz targets with clang's libFuzzer, ASan and UBSan in
# ./build-fuzz, then fuzz each for SECONDS (default 300), one after the
# other, from its committed corpus.  New inputs go to build-fuzz/corpus/;
# a crash leaves build-fuzz/crash-<target>-*: add it to
# tests/fuzz/corpus/<target>/ with the fix.
#   tests/fuzz/fuzz.sh [SECONDS [TARGET...]]
set -eu
cd "$(dirname "$0")/../.."
seconds=${1:-300}
[ $# -gt 0 ] && shift
targets=${*:-sse reply draft lyrics intent probe}

[ -d build-fuzz ] || CC=clang meson setup build-fuzz -Dfuzzing=true \
  -Db_sanitize=address,undefined -Db_lundef=false -Dtests=enabled
# only the fuzzers asked for, not the whole project again
meson compile -C build-fuzz $(for t in $targets; do printf 'fuzz-%s ' "$t"; done)
# the slow unwinder, so that tests/lsan.supp matches inside the libraries
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:fast_unwind_on_malloc=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp
export G_SLICE=always-malloc
for t in $targets; do
  mkdir -p "build-fuzz/corpus/$t"
  echo "fuzz-$t: $seconds s"
  build-fuzz/tests/fuzz/fuzz-$t -max_total_time="$seconds" -max_len=4096 \
    -artifact_prefix="build-fuzz/crash-$t-" -print_final_stats=1 \
    "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t"
done
