#!/usr/bin/env bash
# End-to-end tests of the mfhrl executable: usage: app_test.sh MFHRL SOURCE_DIR CASE
set -euo pipefail
mfhrl=$1
src=$2
case_name=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
py=/usr/bin/python3
tiny=(--config "$src/configs/tiny.yaml")
mpi() { local np=$1; shift; mpirun --oversubscribe --bind-to none -np "$np" "$@"; }

# expect_fail CODE 'message part' -- command...: the command must exit CODE and print the part.
expect_fail() {
  local code=$1 part=$2
  shift 3
  set +e
  "$@" >"$tmp/out" 2>&1
  local rc=$?
  set -e
  if [ "$rc" -ne "$code" ] || ! grep -qF -- "$part" "$tmp/out"; then
    echo "FAIL: '$*' exited $rc (want $code) with:"; cat "$tmp/out"; echo "(wanted: $part)"; exit 1
  fi
  echo "ok: $* -> exit $rc, '$part'"
}

case $case_name in
  end_to_end)
    "$mfhrl" run "${tiny[@]}" --out "$tmp/igm.h5" > "$tmp/log"
    grep -q "^round   1 | level" "$tmp/log"
    grep -q "budget .*left" "$tmp/log"
    $py "$src/tests/app/check_trace.py" "$tmp/igm.h5" --costs 0.1,0.3,1.0 --n 100
    "$mfhrl" run "${tiny[@]}" --out "$tmp/fixed.h5" strategy=fixed:2 > /dev/null
    $py "$src/tests/app/check_trace.py" "$tmp/fixed.h5" --fixed 2 --costs 0.1,0.3,1.0 --n 100
    "$mfhrl" run "${tiny[@]}" --out "$tmp/uniform.h5" strategy=uniform budget.total=140 > /dev/null
    $py "$src/tests/app/check_trace.py" "$tmp/uniform.h5"
    $py - "$tmp/uniform.h5" <<'PY'
import sys, h5py, numpy as np
t = h5py.File(sys.argv[1])["trace"]
spent = np.array([t["cost"][:][t["level"][:] == k].sum() for k in (1, 2, 3)])
# uniform: no level more than one round's cost (lambda_K n = 100) ahead of another
assert spent.max() - spent.min() <= 100 + 1e-9, spent
assert (t["level"][:3] == [1, 2, 3]).all(), t["level"][:]
print("uniform spends", spent)
PY
    "$mfhrl" info "$tmp/igm.h5" | grep -q "finished"
    # the same seed gives the same run, a different seed a different one
    "$mfhrl" run "${tiny[@]}" --out "$tmp/igm2.h5" > /dev/null
    $py "$src/tests/app/compare_runs.py" "$tmp/igm.h5" "$tmp/igm2.h5"
    "$mfhrl" run "${tiny[@]}" --out "$tmp/seed1.h5" seed=1 > /dev/null
    if $py "$src/tests/app/compare_runs.py" "$tmp/igm.h5" "$tmp/seed1.h5" > /dev/null; then
      echo "FAIL: seed 1 gave the same run as seed 0"; exit 1
    fi
    ;;
  pretrained)
    "$mfhrl" collect "${tiny[@]}" --out "$tmp/d.h5" > /dev/null
    "$mfhrl" info "$tmp/d.h5" | grep -q "transitions 2000"
    "$mfhrl" pretrain "${tiny[@]}" --out "$tmp/pre.h5" offline.dataset="$tmp/d.h5" > /dev/null
    "$mfhrl" run "${tiny[@]}" --out "$tmp/a.h5" offline.dataset="$tmp/d.h5" > /dev/null
    "$mfhrl" run "${tiny[@]}" --out "$tmp/b.h5" offline.dataset="$tmp/d.h5" --pretrained "$tmp/pre.h5" > /dev/null
    # reusing the pretrained policies equals training them in the run
    $py "$src/tests/app/compare_runs.py" "$tmp/a.h5" "$tmp/b.h5"
    "$mfhrl" rollout "${tiny[@]}" --policy "$tmp/pre.h5:1" --episodes 2 | tail -1 | grep -q '"return_mean"'
    expect_fail 2 "offline.policies is 2" -- "$mfhrl" run "${tiny[@]}" --out "$tmp/c.h5" \
      offline.dataset="$tmp/d.h5" --pretrained "$tmp/pre.h5" offline.policies=2
    ;;
  ranks)
    for np in 1 2 3; do
      mpi "$np" "$mfhrl" run "${tiny[@]}" --out "$tmp/p$np.h5" > "$tmp/log$np"
    done
    $py "$src/tests/app/compare_runs.py" "$tmp/p1.h5" "$tmp/p2.h5" "$tmp/p3.h5"
    # P > L (L = 2 on 3 ranks): a rank that owns no policy only simulates
    mpi 1 "$mfhrl" run "${tiny[@]}" --out "$tmp/q1.h5" offline.policies=2 > /dev/null
    mpi 3 "$mfhrl" run "${tiny[@]}" --out "$tmp/q3.h5" offline.policies=2 > /dev/null
    $py "$src/tests/app/compare_runs.py" "$tmp/q1.h5" "$tmp/q3.h5"
    ;;
  rank_failure)
    start=$(date +%s)
    set +e
    MFHRL_FAULT_RANK=1 timeout 60 mpirun --oversubscribe --bind-to none -x MFHRL_FAULT_RANK -np 2 \
      "$mfhrl" run "${tiny[@]}" --out "$tmp/f.h5" > "$tmp/out" 2>&1
    rc=$?
    set -e
    elapsed=$(( $(date +%s) - start ))
    if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ] || ! grep -q "\[rank 1\] numerical error: injected fault" "$tmp/out"; then
      echo "FAIL: rc=$rc"; cat "$tmp/out"; exit 1
    fi
    echo "ok: rank 1 failure ended the job with exit $rc after ${elapsed}s"
    ;;
  bad_input)
    expect_fail 2 "strategy" -- "$mfhrl" run "${tiny[@]}" --out "$tmp/x.h5" strategy=greedy
    expect_fail 2 "fixed:4" -- "$mfhrl" run "${tiny[@]}" --out "$tmp/x.h5" strategy=fixed:4
    expect_fail 2 "budget.total" -- "$mfhrl" run "${tiny[@]}" --out "$tmp/x.h5" budget.total=-5
    expect_fail 2 "posterior.eta" -- "$mfhrl" run "${tiny[@]}" --out "$tmp/x.h5" posterior.eta=0
    expect_fail 2 "offline.policies" -- "$mfhrl" run "${tiny[@]}" --out "$tmp/x.h5" offline.policies=0
    expect_fail 2 "unknown key 'budget.totl'" -- "$mfhrl" run "${tiny[@]}" --out "$tmp/x.h5" budget.totl=5
    expect_fail 2 "--level: unknown level 'moon'" -- "$mfhrl" rollout --level moon
    expect_fail 2 "fidelity.levels[0].timestep" -- "$mfhrl" rollout fidelity.levels.coarse.timestep=0
    printf 'budget: [1,\n' > "$tmp/bad.yaml"
    expect_fail 2 "not valid YAML" -- "$mfhrl" rollout --config "$tmp/bad.yaml"
    printf 'nothing' > "$tmp/notdata.h5"
    expect_fail 2 "not an HDF5 file" -- "$mfhrl" run "${tiny[@]}" --out "$tmp/x.h5" offline.dataset="$tmp/notdata.h5"
    [ ! -e "$tmp/x.h5" ] || { echo "FAIL: a refused run left $tmp/x.h5"; exit 1; }
    echo keep > "$tmp/exists.h5"
    expect_fail 2 "pass --force" -- "$mfhrl" run "${tiny[@]}" --out "$tmp/exists.h5"
    [ "$(cat "$tmp/exists.h5")" = keep ] || { echo "FAIL: existing file overwritten"; exit 1; }
    ;;
  rollout)
    "$mfhrl" rollout --policy zero --level coarse --episodes 2 --seed 3 env.episode_steps=50 > "$tmp/out"
    grep -q "^rollout: level 'coarse', policy zero, 2 episodes" "$tmp/out"
    tail -1 "$tmp/out" | $py -c 'import json,sys; j=json.load(sys.stdin); assert j["episodes"]==2 and j["level"]=="coarse" and j["steps_per_second"]>0, j'
    ;;
  sac_improves)
    # SAC on the real level for a few thousand steps beats a random policy on the same episodes
    # (random HalfCheetah returns about -0.3 per step from the control cost alone).
    common=(env.episode_steps=200 eval.episodes=3 network.hidden=[64,64] network.batch_size=64)
    "$mfhrl" reference "${common[@]}" reference.sac_steps=3000 > "$tmp/ref"
    "$mfhrl" rollout "${common[@]}" --policy random --episodes 3 > "$tmp/rand"
    jstar=$(sed -n 's/^regret.reference_return=//p' "$tmp/ref")
    rand=$(tail -1 "$tmp/rand" | $py -c 'import json,sys; print(json.load(sys.stdin)["return_mean"])')
    echo "SAC after 3000 steps: $jstar, random: $rand"
    $py -c "import sys; sys.exit(0 if $jstar > $rand + 20 else 1)" || { echo "FAIL: no improvement"; exit 1; }
    ;;
  *) echo "unknown case $case_name"; exit 2 ;;
esac
echo "PASS $case_name"
