# Helpers of the Slurm tests (sourced): a private local Slurm for the test, polling, job states.
# Expects $repo; defines $work (a temp dir removed at exit) and starts Slurm unless one runs.
slurm=$repo/scripts/slurm-local.sh
work=$(mktemp -d /tmp/mfhrl-slurm-test.XXXXXX)
started=0
cleanup() {
  [ "$started" -eq 0 ] || "$slurm" stop
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  cat "$work/job.out" >&2 2>/dev/null || true
  if [ -n "${job:-}" ]; then
    echo "--- scontrol show job $job" >&2
    scontrol show job "$job" >&2 2>/dev/null || true
  fi
  local log
  for log in slurmctld slurmd; do
    echo "--- last lines of $log.log" >&2
    tail -n 25 "${MFHRL_SLURM_DIR:-/tmp/mfhrl-slurm}/log/$log.log" >&2 2>/dev/null || true
  done
  exit 1
}
# until_true SECONDS CMD...: polls CMD every 0.2 s; fails the test after SECONDS.
until_true() {
  local n=$(($1 * 5))
  shift
  for _ in $(seq "$n"); do
    "$@" && return 0
    sleep 0.2
  done
  fail "timed out waiting for: $*"
}
# Job $job is pending again after one requeue.
requeued() {
  scontrol show job "$job" | grep -q 'JobState=PENDING.*' && scontrol show job "$job" | grep -q 'Restarts=1 '
}
# Job $job has ended.
job_done() {
  scontrol show job "$job" | grep -qE 'JobState=(COMPLETED|FAILED|CANCELLED|TIMEOUT)'
}
# The node has no job (nor one still completing).
node_idle() {
  [ "$(sinfo -h -N -o %T | sort -u)" = idle ]
}
# Slurm holds a requeued job for ~120 s (BeginTime); release_requeued waits for the requeue and
# releases the job early to keep tests short. Not too early: slurmd revokes the killed run's job
# credential with a one-second resolution, and a relaunch within that second fails ("Job
# credential revoked"), so wait for the node to be idle and then 2 s more.
release_requeued() {
  until_true 60 requeued
  until_true 60 node_idle
  sleep 2
  scontrol update JobId="$job" StartTime=now
}
"$slurm" status >/dev/null 2>&1 || started=1
eval "$("$slurm" start)"
