#!/usr/bin/env bash
# Regenerates configs/halfcheetah.yaml (the shipped, commented default config) from the config key
# table in src/config/keys.cpp. Usage: scripts/gen-config.sh [build-dir]  (default: $MFHRL_BUILD or build).
# The config test ConfigKeys.ShippedConfigIsTheGeneratedTemplate fails until this has been run
# after a change to the table.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-${MFHRL_BUILD:-build}}
if [ ! -f "$build/build.ninja" ] && [ ! -f "$build/Makefile" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target mfhrl_config_template >/dev/null
out=configs/halfcheetah.yaml
"$build/bin/mfhrl_config_template" >"$out.new"
mv "$out.new" "$out"
echo "gen-config: wrote $out"
