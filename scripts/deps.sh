#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages that bgagent's build needs, and only those that are missing:
# idempotent, and quick when nothing is missing.
#   scripts/deps.sh            the demo: compiler, CMake, Ninja, nlohmann_json
#   scripts/deps.sh --tests    also Catch2, clang with its sanitizer runtimes, clang-format, tmux
#                              (the dashboard's terminal test), pkgconf (the pkg-config consumer),
#                              doxygen (the API reference, docs/api.md)
#   scripts/deps.sh --bench    also Google Benchmark and GNU parallel (benchmark baselines)
set -euo pipefail

packages=(g++ cmake ninja-build nlohmann-json3-dev)
for arg in "$@"; do
  case "$arg" in
    --tests) packages+=(catch2 clang libclang-rt-14-dev clang-format git tmux pkgconf doxygen) ;;
    --bench) packages+=(libbenchmark-dev parallel) ;;
    *) echo "usage: scripts/deps.sh [--tests] [--bench]" >&2; exit 2 ;;
  esac
done

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "scripts/deps.sh: not a Debian-like system; install a C++20 compiler, CMake >= 3.25 and" \
       "Ninja yourself. CMake fetches nlohmann_json (and Catch2 for the tests) when they are" \
       "not installed." >&2
  exit 0
fi

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "scripts/deps.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "scripts/deps.sh: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
