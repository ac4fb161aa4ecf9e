#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `meson install` into a temporary DESTDIR, then check what it staged as
# GStreamer would find it: the plugin in GStreamer's plugin directory,
# loadable, licensed GPL and exporting only its plugin entry points, and
# nemo-sim only when -Dinstall-sim=true asks for it.
#   test-install.sh MESON BUILD_DIR PREFIX INSTALL_SIM
set -eu
meson=$1
build=$2
prefix=$3
install_sim=$4

pluginsdir=$(pkg-config --variable=pluginsdir gstreamer-1.0)
gst_prefix=$(pkg-config --variable=prefix gstreamer-1.0)
if [ "$prefix" != "$gst_prefix" ]; then
  echo "FAIL: the build's prefix is $prefix, GStreamer's is $gst_prefix: the"
  echo "plugin would not be installed in $pluginsdir."
  echo "Reconfigure with: meson configure $build --prefix=$gst_prefix"
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$meson" install -C "$build" --destdir "$tmp" --no-rebuild --quiet

plugin=$tmp$pluginsdir/libgstnemo.so
[ -f "$plugin" ] || { echo "FAIL: no plugin at $pluginsdir"; exit 1; }

failed=0
if ! GST_PLUGIN_SYSTEM_PATH_1_0=$tmp$pluginsdir GST_PLUGIN_PATH_1_0='' \
    GST_REGISTRY_1_0=$tmp/registry.bin \
    gst-inspect-1.0 nemorender >"$tmp/inspect.txt" 2>&1; then
  echo "FAIL: gst-inspect-1.0 does not find nemorender in the staged plugin:"
  cat "$tmp/inspect.txt"
  failed=1
elif ! grep -qx '  License                  GPL' "$tmp/inspect.txt"; then
  echo "FAIL: the plugin's licence is not GPL:"
  grep 'License' "$tmp/inspect.txt" || true
  failed=1
fi

sim=$(find "$tmp" -name nemo-sim)
if [ "$install_sim" = true ] && [ -z "$sim" ]; then
  echo "FAIL: -Dinstall-sim=true but nemo-sim is not installed"
  failed=1
elif [ "$install_sim" = false ] && [ -n "$sim" ]; then
  echo "FAIL: nemo-sim is installed without -Dinstall-sim=true: $sim"
  failed=1
fi

exported=$(nm -D --defined-only "$plugin" | awk '{ print $3 }' |
  grep -v '^gst_plugin_nemo_' || true)
if [ -n "$exported" ]; then
  echo "FAIL: the plugin exports more than gst_plugin_nemo_*:"
  echo "$exported"
  failed=1
fi

exit "$failed"
