#!/usr/bin/env bash
# The runs behind docs/LEARNING.md, "The larger config with the learner that holds" (issue 13,
# 2026-12-03, AMD EPYC, 2 cores). As run: from a copy of the binary and configs/ (M, R), each run
# waiting for the one before. M_OLD is the build of commit ea1ef63 (posterior.forget, and
# igm.trust: pooled before it became pessimistic in c4ce726); M the build of c4ce726. Both give
# the same bits for every run below that sets neither key. Tables: analysis/posterior_check.py
# --compare and replay.py here.
set -euo pipefail
M=${M:-build/bin/mfhrl}
M_OLD=${M_OLD:-$M}
R=${R:-.}
MPI=(env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 --bind-to core)
C=(--config "$R/configs/halfcheetah.yaml" --config "$R/configs/learning/base.yaml"
   --config "$R/configs/learning/posterior-large.yaml" offline.dataset=medium-s0.h5)
# The posterior variant of every run below: the learner that holds (h2o.real_penalty 5) and the
# return statistic with mean actions.
V=(h2o.real_penalty=5 posterior.loss=return posterior.return_actions=mean)

# The 100k medium dataset (SAC to 3,000; behaviour return 2,845.2, as on the Intel machine), and
# three ensembles of 8 CQL policies (pretrain seeds 0, 1, 2; about 250 s each on 2 ranks).
"$M_OLD" collect --config "$R/configs/halfcheetah.yaml" --config "$R/configs/learning/sac.yaml" \
  --out medium-s0.h5 --force --policy medium collect.sac_steps=100000 collect.medium_return=3000 \
  collect.steps=100000 > sac64-s0.log 2>&1
"${MPI[@]}" "$M_OLD" pretrain "${C[@]}" --out pretrained.h5 --force > pretrain.log 2>&1
for e in 1 2; do
  mkdir -p e$e
  "${MPI[@]}" "$M_OLD" pretrain "${C[@]}" seed=$e --out e$e/pretrained.h5 --force > e$e/pretrain.log 2>&1
done

# The 8 pretrained policies of each ensemble on every level, 5 deterministic episodes each
# (one JSON line per level and policy; copied here as level-returns-e0.txt, -e1, -e2).
for e in . e1 e2; do
  for lv in coarse medium real; do
    for i in 0 1 2 3 4 5 6 7; do
      echo -n "$lv $i "
      "$M_OLD" rollout "${C[@]}" --policy $e/pretrained.h5:$i --level $lv --episodes 5 2>&1 | tail -1
    done
  done > $e/level-returns.txt
done

# Ensemble 0, run seeds 0-9: the base variant, forgetting 0.8, and the first (optimistic) pooled
# trust; then the critic statistic (seeds 0-4).
for s in 0 1 2 3 4 5 6 7 8 9; do
  for v in "base:" "pooled:igm.trust=pooled" "forget08:posterior.forget=0.8"; do
    "${MPI[@]}" "$M_OLD" run "${C[@]}" --pretrained pretrained.h5 --out "${v%%:*}-s$s.h5" --force \
      seed=$s "${V[@]}" ${v#*:} > "${v%%:*}-s$s.log" 2>&1
  done
done
for s in 0 1 2 3 4; do
  "${MPI[@]}" "$M_OLD" run "${C[@]}" --pretrained pretrained.h5 --out critic-s$s.h5 --force seed=$s \
    "${V[@]}" posterior.loss=critic > critic-s$s.log 2>&1
done
# Ensembles 1 and 2, run seeds 0-4: the base variant.
for s in 0 1 2 3 4; do
  for e in 1 2; do
    "${MPI[@]}" "$M_OLD" run "${C[@]}" --pretrained e$e/pretrained.h5 --out e$e/base-s$s.h5 --force \
      seed=$s "${V[@]}" > e$e/base-s$s.log 2>&1
  done
done
# Pessimistic pooled trust (this build), every ensemble, run seeds 0-4.
for s in 0 1 2 3 4; do
  for e in e1/ e2/ ""; do
    "${MPI[@]}" "$M" run "${C[@]}" --pretrained ${e}pretrained.h5 --out ${e}pess-s$s.h5 --force \
      seed=$s "${V[@]}" igm.trust=pooled > ${e}pess-s$s.log 2>&1
  done
done
# strategy fixed:3 (the real system only), every ensemble, run seeds 0-4.
for s in 0 1 2 3 4; do
  for e in "" e1/ e2/; do
    "${MPI[@]}" "$M" run "${C[@]}" --pretrained ${e}pretrained.h5 --out ${e}real-s$s.h5 --force \
      seed=$s "${V[@]}" strategy=fixed:3 > ${e}real-s$s.log 2>&1
  done
done
# Ensemble 0's policies on lower levels that differ from the real system only in integration
# (levels-close.yaml here), and on the real system with another evaluation seed.
for lv in coarse medium; do
  for i in 0 1 2 3 4 5 6 7; do
    echo -n "$lv $i "
    "$M_OLD" rollout "${C[@]}" --config levels-close.yaml --policy pretrained.h5:$i --level $lv \
      --episodes 5 2>&1 | tail -1
  done
done > level-returns-close.txt
for i in 0 1 2 3 4 5 6 7; do
  echo -n "real $i "
  "$M_OLD" rollout "${C[@]}" --policy pretrained.h5:$i --episodes 5 --seed 1 2>&1 | tail -1
done > level-returns-real-seed1.txt
# Mild lower levels (levels-mild.yaml here: the real integrator, friction 0.9 / 0.95, mass 1.05 /
# 1.02, damping 1.2 / 1.1, no action noise): every ensemble's policies on them, then igm with trust
# none and pooled, run seeds 0-4 (compare-mild.md).
mkdir -p mild
for e in . e1 e2; do
  for lv in coarse medium; do
    for i in 0 1 2 3 4 5 6 7; do
      echo -n "$lv $i "
      "$M" rollout "${C[@]}" --config levels-mild.yaml --policy $e/pretrained.h5:$i --level $lv \
        --episodes 5 2>&1 | tail -1
    done
  done > mild/level-returns-$(basename $e).txt  # here: level-returns-mild-e0.txt, -e1, -e2
done
for s in 0 1 2 3 4; do
  for e in "" e1/ e2/; do
    for v in none pooled; do
      "${MPI[@]}" "$M" run "${C[@]}" --config levels-mild.yaml --pretrained ${e}pretrained.h5 \
        --out "mild/${e%/}${e:+-}$v-s$s.h5" --force seed=$s "${V[@]}" igm.trust=$v \
        > "mild/${e%/}${e:+-}$v-s$s.log" 2>&1
    done
  done
done
/usr/bin/python3 replay.py base-s?.h5 pooled-s?.h5 forget08-s?.h5 > replay-e0.md
/usr/bin/python3 replay.py e1/base-s?.h5 e2/base-s?.h5 > replay-e12.md

# Demo scale on this machine: scripts/demo.sh's pipeline (demo config, seed 0), then run seeds 0-4
# of the default statistic (critic) and of return with mean actions, each with and without pooled
# trust, every policy evaluated every round; and the 4 pretrained policies on every level.
mkdir -p demo && cd demo
"$M" reference > reference.log 2>&1 &
"$M" collect --out dataset.h5 --force > collect.log 2>&1
wait
"${MPI[@]}" "$M" pretrain --out pretrained.h5 --force offline.dataset=dataset.h5 > pretrain.log 2>&1
ref=$(grep '^regret.reference_return=' reference.log)
RM="posterior.loss=return posterior.return_actions=mean online.envs=4"
for s in 0 1 2 3 4; do
  for v in "critic:" "critic-pess:igm.trust=pooled" "return-mean:$RM" \
           "return-mean-pess:$RM igm.trust=pooled"; do
    "${MPI[@]}" "$M" run --out "${v%%:*}-s$s.h5" --force --pretrained pretrained.h5 \
      offline.dataset=dataset.h5 "$ref" seed=$s eval.all_every=1 ${v#*:} > "${v%%:*}-s$s.log" 2>&1
  done
done
for lv in coarse medium real; do
  for i in 0 1 2 3; do
    echo -n "$lv $i "
    "$M" rollout --policy pretrained.h5:$i --level $lv --episodes 5 2>&1 | tail -1
  done
done > level-returns.txt  # here: level-returns-demo.txt
