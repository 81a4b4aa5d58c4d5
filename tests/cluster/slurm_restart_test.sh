#!/usr/bin/env bash
# scripts/slurm-local.sh after an instance that was killed without `stop` (a session or CI run cut
# off mid-job): `start` must bring up an idle node again, and a PMIx step of the new job 1 must
# launch. Before the fix the new slurmctld recovered the dead job (node never idle) and PMIx
# refused step 1.0 because the dead one's directory was still there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
slurm=$repo/scripts/slurm-local.sh
dir=${MFHRL_SLURM_DIR:-/tmp/mfhrl-slurm}
cleanup() {
  "$slurm" stop || true
  rm -rf "$work"
}
fail() {
  echo "FAIL: $*" >&2
  tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 2>/dev/null || true
  exit 1
}
if "$slurm" status >/dev/null 2>&1; then
  echo "SKIP: a local Slurm already runs; this test must kill it" >&2
  exit 77
fi
work=$(mktemp -d /tmp/mfhrl-slurm-restart.XXXXXX)
trap cleanup EXIT

env=$("$slurm" start) || fail "first start"
eval "$env"
sbatch --quiet --output="$work/dead.out" --wrap "srun --mpi=pmix -n 1 sleep 4242" >/dev/null
appdir=$dir/tmp/spmix_appdir_$(id -u)_1.0
# The step runs: its PMIx directory exists and its task sleeps.
step_up() { [ -d "$appdir" ] && pgrep -f 'slee[p] 4242' >/dev/null; }
for _ in $(seq 150); do step_up && break || sleep 0.2; done
step_up || fail "step 1.0 of the first job did not start"

# The abrupt end: the daemons and the job's processes get KILL, no `stop`. (The brackets keep the
# patterns from matching the command line of a shell that runs this test inline.)
for d in slurmd slurmctld munged; do kill -KILL "$(cat "$dir/run/$d.pid")" 2>/dev/null || true; done
pkill -KILL -f 'slurmstep[d]: \[1\.' || true
pkill -KILL -f "$dir/spool/job0000[1]/slurm_script" || true
pkill -KILL -f 'slee[p] 4242' || true
sleep 1
[ -s "$dir/state/job_state" ] || fail "no saved job state left: the test no longer sets up its case"
[ -d "$appdir" ] || fail "no PMIx step directory left: case not set up"

env=$("$slurm" start) || fail "start after the killed instance"
eval "$env"
[ "$(sinfo -h -N -o %T)" = idle ] || fail "node not idle after start: $(sinfo -h -N -o %T)"
rc=0
sbatch --wait --quiet --output="$work/new.out" --wrap "srun --mpi=pmix -n 1 echo step-ran" || rc=$?
[ "$rc" -eq 0 ] || fail "new job exited $rc: $(cat "$work/new.out")"
grep -qx step-ran "$work/new.out" || fail "new job's step printed: $(cat "$work/new.out")"
echo "PASS: a killed instance's job and PMIx directory do not block the next one"
