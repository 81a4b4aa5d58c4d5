#!/usr/bin/env bash
# The demo study: installs, builds, then runs the whole pipeline on the built-in demo config
# (configs/demo.yaml): log a medium dataset (SAC trained on the real system to return 2000, then
# 20,000 transitions), compute J* (in parallel, on the other core), pretrain 4 CQL policies, run
# MF-HRL-IGM, summarize. Outputs go to demo-out/ (or $1). About 4 minutes on 2 cores after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh --target mfhrl
out=${1:-demo-out}
mkdir -p "$out"
mfhrl=${MFHRL_BUILD:-build}/bin/mfhrl
# mpirun refuses root without these (harmless otherwise); one rank per core, at most 2.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
np=$(( $(nproc) >= 2 ? 2 : 1 ))
ranks=(mpirun -np "$np" --bind-to core)
"$mfhrl" reference > "$out/reference.log" 2>&1 &
ref_pid=$!
"$mfhrl" collect --out "$out/dataset.h5" --force
wait "$ref_pid" || { cat "$out/reference.log"; exit 1; }
grep '^reference: J\*' "$out/reference.log"
ref=$(grep '^regret.reference_return=' "$out/reference.log")
"${ranks[@]}" "$mfhrl" pretrain --out "$out/pretrained.h5" --force offline.dataset="$out/dataset.h5"
"${ranks[@]}" "$mfhrl" run --out "$out/run-igm.h5" --force --pretrained "$out/pretrained.h5" \
  offline.dataset="$out/dataset.h5" "$ref"
"$mfhrl" info "$out/run-igm.h5"
