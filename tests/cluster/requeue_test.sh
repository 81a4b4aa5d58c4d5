#!/usr/bin/env bash
# Preemption path of jobs/run.sbatch under a local Slurm, with the stand-in binary:
# USR1 to the batch shell (what --signal=B:USR1@120 sends) -> forwarded through srun ->
# checkpoint (finished=0) -> `scontrol requeue` -> the requeued job resumes with --resume and
# finishes; the final trace equals an uninterrupted run's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/slurm_lib.sh"

printf 'fake: 1\n' >"$work/config.yaml"
out=$work/run.h5
job=$(MFHRL_BIN=$here/fake_mfhrl.py sbatch --parsable --ntasks=1 --time=10 \
  --output="$work/job.out" "$repo/jobs/run.sbatch" "$work/config.yaml" seed=0 strategy=igm \
  budget.total=10 fake.wait_at=2 --out "$out")
until_true 60 test -e "$out.waiting"
scancel --batch --signal=USR1 "$job"

release_requeued
until_true 120 job_done
info=$(scontrol show job "$job")
grep -q 'JobState=COMPLETED' <<<"$info" || fail "job state: $(grep -o 'JobState=[A-Z]*' <<<"$info")"
grep -q 'Restarts=1 ' <<<"$info" || fail "expected Restarts=1: $(grep -o 'Restarts=[0-9]*' <<<"$info")"
grep -q 'requeuing job' "$work/job.out" || fail "run.sbatch did not report the requeue"
[ "$(wc -l <"$out.calls")" -eq 2 ] || fail "expected 2 mfhrl calls, got: $(cat "$out.calls")"
sed -n 1p "$out.calls" | grep -qv -- '--resume' || fail "first call must not resume"
sed -n 2p "$out.calls" | grep -q -- "--resume $out" || fail "second call must resume: $(sed -n 2p "$out.calls")"

# A failing mfhrl must fail the job (sbatch reports success only on the script's exit 0).
bad=$(MFHRL_BIN=$here/fake_mfhrl.py sbatch --parsable --ntasks=1 --time=10 \
  --output="$work/bad.out" "$repo/jobs/run.sbatch" "$work/config.yaml" fake.fail=1 \
  --out "$work/bad.h5")
job=$bad until_true 60 job_done
scontrol show job "$bad" | grep -q 'JobState=FAILED' || fail "failing mfhrl: job not FAILED"
grep -q 'failing on purpose' "$work/bad.out" || fail "mfhrl's error line not in the job log"

PYTHONPATH=$repo/analysis /usr/bin/python3 - "$out" <<'PY' || fail "run file check"
import sys, h5py, numpy as np
import make_fake_study as fake
with h5py.File(sys.argv[1], "r") as f:
    assert int(f.attrs["finished"]) == 1, "finished != 1"
    got = {k: f["trace"][k][:] for k in f["trace"]}
want = fake.trace_columns("igm", 10.0, 0)
assert len(got["round"]) == 7, f"{len(got['round'])} rounds, expected 7"
for k, v in want.items():
    assert np.array_equal(got[k], v, equal_nan=v.dtype.kind == "f"), f"trace/{k} differs from an uninterrupted run"
print("PASS: signalled, checkpointed, requeued, resumed, finished with 7 rounds")
PY
