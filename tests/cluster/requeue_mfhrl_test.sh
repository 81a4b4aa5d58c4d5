#!/usr/bin/env bash
# Preemption of a real mfhrl run under a local Slurm, 2 ranks:
#   tests/cluster/requeue_mfhrl_test.sh PATH_TO_MFHRL CONFIG
# USR1 once round 2 is logged -> mfhrl finishes its round, checkpoints, exits 0 -> the job
# requeues itself -> the requeued job runs `mfhrl run --resume` and finishes. The run file must
# then equal an uninterrupted 2-rank run's bit for bit (trace except wall_seconds, final
# policies). The signal goes to the job step (`scancel --signal=USR1`, no --batch): the path
# through the batch shell's trap is covered by requeue_test.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
[ $# -eq 2 ] || {
  echo "usage: $0 PATH_TO_MFHRL CONFIG" >&2
  exit 2
}
bin=$(readlink -f "$1")
config=$(readlink -f "$2")
. "$here/slurm_lib.sh"

# Long enough (tens of rounds) that the signal lands mid-run.
args=(budget.total=1000 online.updates_per_round=40)
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe --bind-to none \
  -np 2 "$bin" run --config "$config" "${args[@]}" --out "$work/straight.h5" >"$work/straight.log" 2>&1 ||
  fail "uninterrupted run failed: $(tail -3 "$work/straight.log")"

out=$work/run.h5
job=$(MFHRL_BIN=$bin sbatch --parsable --ntasks=2 --time=10 --output="$work/job.out" \
  "$repo/jobs/run.sbatch" "$config" "${args[@]}" --out "$out")
until_true 120 grep -q "^round   2 " "$work/job.out"
scancel --signal=USR1 "$job"
release_requeued
until_true 240 job_done
info=$(scontrol show job "$job")
grep -q 'JobState=COMPLETED' <<<"$info" || fail "job state: $(grep -o 'JobState=[A-Z]*' <<<"$info")"
grep -q 'Restarts=1 ' <<<"$info" || fail "expected Restarts=1: $(grep -o 'Restarts=[0-9]*' <<<"$info")"
for line in "stopped by signal" "signal sent to the job step" "requeuing job" \
  "resume: continuing $out after round" \
  "run finished:"; do
  grep -q "$line" "$work/job.out" || fail "job log lacks '$line'"
done
/usr/bin/python3 "$repo/tests/app/compare_runs.py" "$work/straight.h5" "$out" || fail "runs differ"
echo "PASS: signalled ($(grep -o "checkpoint of round [0-9]*" "$work/job.out")), requeued, resumed, equal to the uninterrupted run"
