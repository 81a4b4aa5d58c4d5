#!/usr/bin/env bash
# The demo study: installs, builds, then runs the whole pipeline on the built-in demo config:
# log an offline dataset, compute J*, pretrain the L policies, run MF-HRL-IGM, summarize.
# Outputs go to demo-out/ (or $1). Takes a few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh --target mfhrl
out=${1:-demo-out}
mkdir -p "$out"
mfhrl=${MFHRL_BUILD:-build}/bin/mfhrl
"$mfhrl" collect --out "$out/dataset.h5" --force
ref=$("$mfhrl" reference | tee /dev/stderr | grep '^regret.reference_return=')
"$mfhrl" pretrain --out "$out/pretrained.h5" --force offline.dataset="$out/dataset.h5"
"$mfhrl" run --out "$out/run-igm.h5" --force --pretrained "$out/pretrained.h5" \
  offline.dataset="$out/dataset.h5" "$ref"
"$mfhrl" info "$out/run-igm.h5"
