#!/bin/sh
# Configures (once) and builds evclip in build/ (or $1), passing any further meson options.
# EVCLIP_ONLY=REGEX in the environment builds only the ninja targets whose path matches it
# (e.g. the fuzz targets alone: scripts/test.sh).
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build}
[ $# -gt 0 ] && shift
if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@"
fi
if [ -n "${EVCLIP_ONLY:-}" ]; then
    targets=$(ninja -C "$dir" -t targets all | sed 's/: .*//' | grep -E "$EVCLIP_ONLY") || {
        echo "build.sh: no target in $dir matches $EVCLIP_ONLY" >&2
        exit 1
    }
    # shellcheck disable=SC2086 # one word per target path
    ninja -C "$dir" $targets
else
    ninja -C "$dir"
fi
