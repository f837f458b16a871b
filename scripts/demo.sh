#!/bin/sh
# Installs dependencies, builds evclip and renders the built-in demo clip to demo.mp4.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
sh scripts/build.sh build
./build/tools/evclip demo -o demo.mp4 --overwrite
echo "demo clip: $(pwd)/demo.mp4"
