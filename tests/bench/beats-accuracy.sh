#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The beat tracking tables of docs/beats.md in one command: builds the
# bench (tests/bench/beats-accuracy.c) and runs it on the drum tracks it
# mixes from Debian's hydrogen-drumkits and on the suites' synthetic drums.
# Not part of the test suite.  From the project root after .ci/setup:
#   sh tests/bench/beats-accuracy.sh [BUILDDIR]     (default: build)
set -eu
build=${1:-build}
kits=/usr/share/hydrogen/data/drumkits
if [ ! -d "$kits" ]; then
  echo "$0: $kits is missing: apt-get install hydrogen-drumkits" >&2
  exit 1
fi
meson compile -C "$build" tests/analysis/beats-accuracy >&2
exec "$build/tests/analysis/beats-accuracy" "$kits"
