#!/usr/bin/env bash
# The runs behind docs/LEARNING.md, "H2O from a CQL start" (2026-12-02, AMD EPYC, 2 cores, OpenBLAS
# coretype not set). As run: from a copy of the binary and configs/ (M, R), in two directories;
# each run waited for the one before. The h2o.real_penalty 1 rows of the larger config have seeds
# 0-2 only. Tables: analysis/ensemble_returns.py and analysis/posterior_check.py --compare, with
# the groups named as in the .md files here.
set -euo pipefail
M=${M:-build/bin/mfhrl}
R=${R:-.}
MPI=(env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 --bind-to core)

# Demo scale: scripts/demo.sh's pipeline (demo config, seed 0), then run seeds 0-4.
mkdir -p demo && cd demo
"$M" reference > reference.log 2>&1 &
"$M" collect --out dataset.h5 --force > collect.log 2>&1
wait
"${MPI[@]}" "$M" pretrain --out pretrained.h5 --force offline.dataset=dataset.h5 > pretrain.log 2>&1
ref=$(grep '^regret.reference_return=' reference.log)
for i in 0 1 2 3; do "$M" rollout --policy pretrained.h5:$i --episodes 3 > pre-$i.log 2>&1; done
for s in 0 1 2 3 4; do
  for rp in 0 1 5; do
    "${MPI[@]}" "$M" run --out rp$rp-s$s.h5 --force --pretrained pretrained.h5 \
      offline.dataset=dataset.h5 "$ref" seed=$s eval.all_every=1 h2o.real_penalty=$rp > rp$rp-s$s.log 2>&1
  done
done
cd ..

# The larger config: the 100k medium dataset of learning/commands.sh (medium-s0.h5, behaviour
# 2,845), one ensemble of 8 CQL policies (ensemble seed 1), run seeds 0-4.
mkdir -p large/e1 && cd large
C=(--config "$R/configs/halfcheetah.yaml" --config "$R/configs/learning/base.yaml"
   --config "$R/configs/learning/posterior-large.yaml" offline.dataset=medium-s0.h5)
"$M" collect --config "$R/configs/halfcheetah.yaml" --config "$R/configs/learning/sac.yaml" \
  --out medium-s0.h5 --force --policy medium collect.sac_steps=100000 collect.medium_return=3000 \
  collect.steps=100000 > sac64-s0.log 2>&1
"${MPI[@]}" "$M" pretrain "${C[@]}" seed=1 --out e1/pretrained.h5 --force > e1/pretrain.log 2>&1
for i in 0 1 2 3 4 5 6 7; do
  "$M" rollout "${C[@]}" --policy e1/pretrained.h5:$i --episodes 3 > e1/pre-$i.log 2>&1
done
for s in 0 1 2 3 4; do
  for v in "critic-rp0:h2o.real_penalty=0" "critic-rp1:h2o.real_penalty=1" \
           "critic-rp5:h2o.real_penalty=5" \
           "return-mean-rp5:h2o.real_penalty=5 posterior.loss=return posterior.return_actions=mean" \
           "cqlonly:online.update=cql"; do
    [ "${v%%:*}" = critic-rp1 ] && [ $s -gt 2 ] && continue
    "${MPI[@]}" "$M" run "${C[@]}" --pretrained e1/pretrained.h5 --out "e1/${v%%:*}-s$s.h5" \
      --force seed=$s eval.all_every=1 ${v#*:} > "e1/${v%%:*}-s$s.log" 2>&1
  done
done

# The h2o.real_penalty 5 runs again with 10 evaluation episodes per policy (posterior-ep10.md).
for s in 0 1 2 3 4; do
  "${MPI[@]}" "$M" run "${C[@]}" --pretrained e1/pretrained.h5 --out e1/critic-rp5-ep10-s$s.h5 \
    --force seed=$s eval.all_every=1 h2o.real_penalty=5 eval.episodes=10 > e1/critic-rp5-ep10-s$s.log 2>&1
done
