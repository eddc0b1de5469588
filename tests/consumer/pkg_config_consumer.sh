#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds and runs the one-file consumer with nothing but the compiler and the flags that the
# installed bgagent.pc gives (nlohmann_json's own .pc found beside it or in the system's path).
#   pkg_config_consumer.sh <c++ compiler> <install prefix> <consumer.cpp> <work dir>
set -eu
compiler=$1 prefix=$2 source=$3 work=$4
mkdir -p "$work"
PKG_CONFIG_PATH="$prefix/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH
flags=$(pkg-config --cflags --libs bgagent)
echo "pkg-config --cflags --libs bgagent: $flags"
# shellcheck disable=SC2086  # the flags are words
"$compiler" $flags "$source" -o "$work/consumer"
"$work/consumer"
