#!/usr/bin/env bash
# The runs behind docs/LEARNING.md, "Exploring a level's trust (igm.trust_explore)" (issue 13,
# 2026-12-04, AMD EPYC, 2 cores, commit 46c2580). As run, from a work directory holding a copy of
# the binary (M) and of configs/ (R), each command waiting for the one before. The machine sets
# OPENBLAS_CORETYPE=Haswell and OPENBLAS_L2_SIZE=512; every command here ran without them (the
# SAC behaviour run then repeats the 2026-12-03 one to the bit: target reached at step 90,000,
# behaviour return 2,845.2; the CQL ensembles do not, so every row of the tables was run here).
set -uo pipefail
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
M=${M:-build/bin/mfhrl}
R=${R:-.}
HERE=$(cd "$(dirname "$0")" && pwd)
MPI=(env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 --bind-to core)
C=(--config "$R/configs/halfcheetah.yaml" --config "$R/configs/learning/base.yaml"
   --config "$R/configs/learning/posterior-large.yaml" offline.dataset=medium-s0.h5)
MILD=(--config "$HERE/../epyc-large/levels-mild.yaml")
# The posterior variant of every larger-config run: the learner that holds and the return
# statistic with mean actions (as epyc-large/run.sh).
V=(h2o.real_penalty=5 posterior.loss=return posterior.return_actions=mean)

# Data: the 100k medium dataset, three ensembles of 8 CQL policies (pretrain seeds 0, 1, 2; 225 s
# each), and the demo pipeline (demo config, seed 0: behaviour return 1,855.3, J* 1,493.6).
"$M" collect --config "$R/configs/halfcheetah.yaml" --config "$R/configs/learning/sac.yaml" \
  --out medium-s0.h5 --force --policy medium collect.sac_steps=100000 collect.medium_return=3000 \
  collect.steps=100000 > sac64-s0.log 2>&1
"${MPI[@]}" "$M" pretrain "${C[@]}" --out pretrained.h5 --force > pretrain.log 2>&1
for e in 1 2; do
  mkdir -p e$e
  "${MPI[@]}" "$M" pretrain "${C[@]}" seed=$e --out e$e/pretrained.h5 --force > e$e/pretrain.log 2>&1
done
mkdir -p demo
(cd demo && "$M" reference > reference.log 2>&1) &
(cd demo && "$M" collect --out dataset.h5 --force > collect.log 2>&1)
wait
(cd demo && "${MPI[@]}" "$M" pretrain --out pretrained.h5 --force offline.dataset=dataset.h5 \
  > pretrain.log 2>&1)

# The larger config with the mild lower levels: trust none, pooled, pooled with exploration c.
run_large() {  # run_large OUT ENSEMBLE_DIR SEED ARGS...
  local out=$1 e=$2 s=$3; shift 3
  "${MPI[@]}" "$M" run "${C[@]}" --pretrained ${e}pretrained.h5 --out "$out.h5" --force seed=$s \
    "${V[@]}" "$@" > "$out.log" 2>&1
}
# Demo scale: this machine's demo pipeline, every policy evaluated every round.
run_demo() {  # run_demo NAME SEED ARGS...
  local name=$1 s=$2; shift 2
  (cd demo && "${MPI[@]}" "$M" run --out "$name-s$s.h5" --force --pretrained pretrained.h5 \
    offline.dataset=dataset.h5 "$ref" seed=$s eval.all_every=1 "$@" > "$name-s$s.log" 2>&1)
}
ref=$(grep '^regret.reference_return=' demo/reference.log)
RM=(posterior.loss=return posterior.return_actions=mean online.envs=4)
mkdir -p mild
for s in 0 1 2 3 4; do
  for e in "" e1/ e2/; do
    p="mild/${e%/}${e:+-}"
    run_large "${p}none-s$s" "$e" $s "${MILD[@]}" igm.trust=none
    run_large "${p}pooled-s$s" "$e" $s "${MILD[@]}" igm.trust=pooled
    run_large "${p}explore-s$s" "$e" $s "${MILD[@]}" igm.trust=pooled igm.trust_explore=0.5
  done
done
# Demo scale: the default statistic (critic), alone, with pooled trust, and with exploration 0.5.
for s in 0 1 2 3 4; do
  run_demo critic $s
  run_demo critic-pooled $s igm.trust=pooled
  run_demo critic-explore $s igm.trust=pooled igm.trust_explore=0.5
done
# The shipped lower levels: pooled, and pooled with exploration 0.5.
for s in 0 1 2 3 4; do
  for e in "" e1/ e2/; do
    run_large "${e}pooled-s$s" "$e" $s igm.trust=pooled
    run_large "${e}explore-s$s" "$e" $s igm.trust=pooled igm.trust_explore=0.5
  done
done
# The mild levels again, exploration c = 1 and 2.
for X in 1 2; do
  for s in 0 1 2 3 4; do
    for e in "" e1/ e2/; do
      run_large "mild/${e%/}${e:+-}explore$X-s$s" "$e" $s "${MILD[@]}" igm.trust=pooled \
        igm.trust_explore=$X
    done
  done
done
# Baselines on the shipped levels: trust none, and the real system only.
for s in 0 1 2 3 4; do
  for e in "" e1/ e2/; do
    run_large "${e}none-s$s" "$e" $s igm.trust=none
    run_large "${e}real-s$s" "$e" $s strategy=fixed:3
  done
done
# Demo scale with the larger config's statistic (return, mean actions).
for s in 0 1 2 3 4; do
  run_demo return $s "${RM[@]}"
  run_demo return-pooled $s "${RM[@]}" igm.trust=pooled
  run_demo return-explore $s "${RM[@]}" igm.trust=pooled igm.trust_explore=0.5
done
# Exploration c = 1 on the shipped levels and at demo scale.
for s in 0 1 2 3 4; do
  for e in "" e1/ e2/; do
    run_large "${e}explore1-s$s" "$e" $s igm.trust=pooled igm.trust_explore=1
  done
done
for s in 0 1 2 3 4; do
  run_demo return-explore1 $s "${RM[@]}" igm.trust=pooled igm.trust_explore=1
  run_demo critic-explore1 $s igm.trust=pooled igm.trust_explore=1
done
# posterior.step 1 (one real batch moves the log-weights apart by 1 nat) with exploration c = 1.
for s in 0 1 2 3 4; do
  for e in "" e1/ e2/; do
    run_large "mild/${e%/}${e:+-}step1-s$s" "$e" $s "${MILD[@]}" igm.trust=pooled \
      igm.trust_explore=1 posterior.step=1
  done
done
