#!/bin/sh
# Installs every Debian package evclip needs to build, test and benchmark.
set -eu
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
    build-essential meson ninja-build pkg-config git ca-certificates \
    ffmpeg libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev \
    libfreetype-dev libfontconfig-dev fonts-dejavu-core libjansson-dev \
    libsodium-dev \
    clang \
    python3 python3-numpy python3-pytest python3-setuptools python3-pip
