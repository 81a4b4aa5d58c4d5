#!/usr/bin/env bash
# Strong scaling of the online phase: wall time per round at P=1 and P=2 on the demo sizes
# (from the same pretrained policies), efficiency T1/(2*T2) and seconds in MPI per round.
# usage: bench/mpi_scaling.sh [BUILD_DIR] [key=value ...]
set -euo pipefail
build=${1:-build}
shift || true
mfhrl=$build/bin/mfhrl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
"$mfhrl" pretrain --out "$tmp/pre.h5" "$@" > /dev/null
per_round() { sed -n 's/^online phase: \([0-9.]*\) s per round, of which \([0-9.]*\) s in MPI.*/\1 \2/p' "$1"; }
for np in 1 2; do
  mpirun -np "$np" --bind-to core "$mfhrl" run --out "$tmp/run$np.h5" --pretrained "$tmp/pre.h5" "$@" > "$tmp/log$np"
done
read -r t1 m1 < <(per_round "$tmp/log1")
read -r t2 m2 < <(per_round "$tmp/log2")
awk -v t1="$t1" -v t2="$t2" -v m1="$m1" -v m2="$m2" 'BEGIN {
  printf "P=1: %.3f s/round (MPI %.4f s)\nP=2: %.3f s/round (MPI %.4f s)\n", t1, m1, t2, m2;
  printf "strong-scaling efficiency T1/(2*T2) = %.2f\n", t1 / (2 * t2) }'
