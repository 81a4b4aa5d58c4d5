#!/usr/bin/env bash
# Cost of one online round as L (policies), K (levels) and n (rows per batch) grow, three sizes
# each around the demo's sizes (L = 4, K = 3, n = 200, 64-64 networks, 20 H2O steps per policy per
# round), each fitted as a growth rate: the log-log slope of seconds per round against the size.
# One process, 1 thread. Rounds go round robin over the levels (strategy uniform, every cost 1,
# 12 rounds) so that every level has a history for the information gain. The policies are 200
# CQL steps old: the round's work does not depend on how good they are.
# usage: bench/round_scaling.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
mfhrl=$build/bin/mfhrl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$mfhrl" collect --out "$tmp/data.h5" collect.policy=random collect.steps=5000 > /dev/null

level() {  # level NAME GRAVITY TIMESTEP SUBSTEPS ITERATIONS
  printf '    - {name: %s, gravity_scale: %s, timestep: %s, substeps: %s, solver_iterations: %s, cost: 1.0}\n' "$@"
}
levels() {  # levels K: a config file with K levels, the last the real system
  {
    echo "fidelity:"
    echo "  levels:"
    level coarse 0.9 0.025 2 20
    [ "$1" -ge 3 ] && level medium 0.95 0.0166666666666667 3 50
    [ "$1" -ge 4 ] && level fine 0.98 0.0125 4 75
    level real 1.0 0.01 5 100
  } > "$tmp/levels$1.yaml"
  echo "$tmp/levels$1.yaml"
}

# run L K n: seconds per round of the online phase
run() {
  local L=$1 K=$2 n=$3
  "$mfhrl" run --config "$(levels "$K")" --out "$tmp/run.h5" --force \
    offline.dataset="$tmp/data.h5" offline.steps=200 offline.policies="$L" strategy=uniform \
    online.batch_transitions="$n" online.envs=2 igm.history=4 eval.episodes=2 \
    network.hidden=[64,64] network.batch_size=128 h2o.disc_hidden=[64,64] \
    online.updates_per_round=20 \
    budget.total=$((12 * n)) > "$tmp/log"
  sed -n 's/^online phase: \([0-9.]*\) s per round.*/\1/p' "$tmp/log"
}

slope() {  # slope "x1 x2 x3" "y1 y2 y3": least-squares slope of log y on log x
  /usr/bin/python3 -c '
import math, sys
x = [math.log(float(v)) for v in sys.argv[1].split()]
y = [math.log(float(v)) for v in sys.argv[2].split()]
mx, my = sum(x) / len(x), sum(y) / len(y)
print("%.2f" % (sum((a - mx) * (b - my) for a, b in zip(x, y)) / sum((a - mx) ** 2 for a in x)))
' "$1" "$2"
}

measure() {  # measure NAME "sizes" FUNCTION
  local name=$1 sizes=$2 fn=$3 times=""
  for s in $sizes; do times="$times $($fn "$s")"; done
  printf '%s = %-8s s/round: %-24s growth ~ %s^%s\n' "$name" "$(echo $sizes | tr ' ' ,)" \
    "$(echo $times | tr ' ' ,)" "$name" "$(slope "$sizes" "$times")"
}
by_L() { run "$1" 3 200; }
by_K() { run 4 "$1" 200; }
by_n() { run 4 3 "$1"; }
measure L "2 4 8" by_L
measure K "2 3 4" by_K
measure n "100 200 400" by_n
