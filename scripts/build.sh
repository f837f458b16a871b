#!/bin/sh
# Configures (once) and builds evclip in build/ (or $1), passing any further meson options.
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build}
[ $# -gt 0 ] && shift
if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@"
fi
ninja -C "$dir"
