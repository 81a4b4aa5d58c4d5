#!/usr/bin/env bash
# The studies behind docs/RESULTS.md (issue 15), as run on 2026-12-02 (AMD EPYC, 2 cores, OpenBLAS
# coretype not set), from an experiment directory outside the repository, with a copy of the
# binary (MFHRL_BIN) and of configs/ so that later edits cannot change a running study.
#   R=/path/to/mfhrl bash run.sh        # in an empty directory
set -euo pipefail
R=${R:?set R to the mfhrl checkout}
export MFHRL_BIN=${MFHRL_BIN:-$R/build/bin/mfhrl}
C=${C:-$R/configs}

# The medium dataset (SAC on the real system to return 2,000 or 60,000 steps, then 20,000
# transitions; the demo's collect) and J* (SAC 64-64 for 100,000 steps), one per core.
"$MFHRL_BIN" reference reference.sac_steps=100000 > reference.log 2>&1 &
"$MFHRL_BIN" collect --out medium.h5 --force > collect.log 2>&1
wait
grep '^regret.reference_return=' reference.log   # 2797.63 here: the value in the study files

# A single-node Slurm, then the main study and, after it, the ablations (the threshold, history
# and real-system ones reuse the main study's ensembles).
eval "$(bash "$R/scripts/slurm-local.sh" start)"
wait_idle() { while [ -n "$(squeue -h)" ]; do sleep 30; done; }
"$R/jobs/study.sh" "$C/study-halfcheetah.yaml"
wait_idle
for s in threshold-0.5 threshold-2 history-2 history-8 real-separate policies-1 policies-8 updates-100 updates-cost; do
  "$R/jobs/study.sh" "$C/studies/$s.yaml"
done
wait_idle
for d in studies/*/; do /usr/bin/python3 "$R/analysis/report.py" "$d"; done
bash "$R/scripts/slurm-local.sh" stop
