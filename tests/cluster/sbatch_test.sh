#!/usr/bin/env bash
# End to end: jobs/run.sbatch under a real (local) Slurm runs mfhrl and leaves a finished run file.
#   tests/cluster/sbatch_test.sh PATH_TO_MFHRL CONFIG [key=value ...]
# Starts scripts/slurm-local.sh if no local Slurm runs (and stops it again at the end), submits
# with `sbatch --wait` on $SBATCH_TEST_RANKS ranks (default 2), then checks the job's exit status,
# the root attribute finished = 1 and a non-empty trace whose length is rounds_completed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
[ $# -ge 2 ] || {
  echo "usage: $0 PATH_TO_MFHRL CONFIG [key=value ...]" >&2
  exit 2
}
bin=$(readlink -f "$1")
config=$(readlink -f "$2")
shift 2
. "$here/slurm_lib.sh"

out=$work/run.h5
rc=0
MFHRL_BIN=$bin sbatch --wait --quiet --ntasks="${SBATCH_TEST_RANKS:-2}" --time=10 \
  --output="$work/job.out" "$repo/jobs/run.sbatch" "$config" "$@" --out "$out" || rc=$?
[ "$rc" -eq 0 ] || fail "sbatch --wait exited $rc"
/usr/bin/python3 - "$out" <<'PY' || fail "run file check"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    fin = int(f.attrs["finished"])
    done = int(f.attrs["rounds_completed"])
    rounds = f["trace/round"][:]
assert fin == 1, f"finished = {fin}, expected 1"
assert len(rounds) > 0, "trace is empty"
assert done == len(rounds), f"rounds_completed {done} != trace rows {len(rounds)}"
assert list(rounds) == list(range(1, len(rounds) + 1)), f"trace/round = {list(rounds)}"
print(f"PASS: finished run with {len(rounds)} rounds")
PY
