#!/usr/bin/env bash
# Configures (once) and builds hashi. Usage: build.sh [BUILD_DIR [MESON_OPTIONS...]]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" "$@"
else
  [ $# -gt 0 ] && meson configure "$dir" "$@"
fi
ninja -C "$dir"
