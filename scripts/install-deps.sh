#!/bin/sh
# Installs every Debian package evclip needs to build, test and benchmark.
set -eu
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
    build-essential meson ninja-build pkg-config git ca-certificates \
    ffmpeg libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev \
    libfreetype-dev libfontconfig-dev fonts-dejavu-core libjansson-dev libsimdjson-dev g++ \
    tzdata \
    libharfbuzz-dev libfribidi-dev fonts-noto-core fonts-noto-cjk fonts-symbola \
    libsodium-dev libssl-dev libhiredis-dev redis-server \
    clang tmux \
    python3 python3-numpy python3-pytest python3-setuptools python3-pip python3-mesonpy \
    python3-venv \
    python3-opencv python3-av \
    python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-rtsp-server-1.0 gstreamer1.0-rtsp \
    gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly \
    gstreamer1.0-x \
    chromium
