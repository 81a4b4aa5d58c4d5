#!/usr/bin/env bash
# Installs the Debian dependencies (fast when present) and builds mfhrl into build/ (or $MFHRL_BUILD).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build=${MFHRL_BUILD:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" "$@"
