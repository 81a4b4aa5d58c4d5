#!/usr/bin/env bash
# The commands behind docs/LEARNING.md, as they were run (SAC seeds 1-2 on 2026-11-25, the rest on
# 2026-12-01; one 2-core machine, each command one process with one torch thread, two at a time,
# from a copy of the binary and configs/ so that rebuilding the tree could not change a running
# experiment). Run from an empty directory with M=path/to/build/bin/mfhrl and R=path/to/the/
# repository. Outputs: *.log and *.h5 here.
set -euo pipefail
M=${M:-build/bin/mfhrl}
R=${R:-.}
C=(--config "$R/configs/halfcheetah.yaml" --config "$R/configs/learning/base.yaml")
SAC=(--config "$R/configs/halfcheetah.yaml" --config "$R/configs/learning/sac.yaml")

# SAC on the real system, 64-64, batch 256, 100k steps, seeds 0-2. Seed 0 is the medium dataset's
# behaviour run (identical to `reference` with seed=0 up to the point where medium stops): on
# 2026-12-01 it reached the target 3000 at step 90,000 and stopped there.
"$M" collect "${SAC[@]}" --out medium-s0.h5 --force --policy medium collect.sac_steps=100000 \
  collect.medium_return=3000 collect.steps=100000 > sac64-s0.log 2>&1
for s in 1 2; do
  "$M" reference "${SAC[@]}" seed=$s reference.sac_steps=100000 > sac64-s$s.log 2>&1
done

# CQL on the medium dataset, one policy, 30k steps, seeds 0-2 (the same dataset).
for s in 0 1 2; do
  "$M" pretrain "${C[@]}" --out cql-medium-s$s.h5 --force offline.dataset=medium-s0.h5 \
    offline.policies=1 offline.steps=30000 offline.eval_every=2500 seed=$s > cql-medium-s$s.log 2>&1
done

# CQL on a random dataset (100k uniform-random transitions), 15k steps, seeds 0-2.
"$M" collect "${C[@]}" --out random.h5 --force --policy random collect.steps=100000
for s in 0 1 2; do
  "$M" pretrain "${C[@]}" --out cql-random-s$s.h5 --force offline.dataset=random.h5 \
    offline.policies=1 offline.steps=15000 offline.eval_every=2500 seed=$s > cql-random-s$s.log 2>&1
done

# H2O with a gravity x2 simulator (configs/learning/h2o-gravity2.yaml), from each seed's CQL
# policy: 20 rounds of 1000 simulator steps then 1000 gradient steps. Three variants: H2O, H2O with
# the dynamics ratio fixed at 1 (no correction), and CQL alone on the offline data (same rounds).
H=(--config "$R/configs/learning/h2o-gravity2.yaml")
for s in 0 1 2; do
  common=(--pretrained cql-medium-s$s.h5 offline.dataset=medium-s0.h5 offline.steps=30000 seed=$s)
  "$M" run "${C[@]}" "${H[@]}" --out h2o-s$s.h5 --force "${common[@]}" > h2o-s$s.log 2>&1
  "$M" run "${C[@]}" "${H[@]}" --out h2o-one-s$s.h5 --force "${common[@]}" \
    h2o.dynamics_ratio=one > h2o-one-s$s.log 2>&1
  "$M" run "${C[@]}" "${H[@]}" --out cqlonly-s$s.h5 --force "${common[@]}" \
    online.update=cql > cqlonly-s$s.log 2>&1
done
# The same H2O loop with a simulator equal to the real system (no gap), seed 0.
"$M" run "${C[@]}" "${H[@]}" --out h2o-nogap-s0.h5 --force --pretrained cql-medium-s0.h5 \
  offline.dataset=medium-s0.h5 offline.steps=30000 seed=0 fidelity.levels.0.gravity_scale=1.0 \
  > h2o-nogap-s0.log 2>&1

# Plots (Debian's python3: h5py, numpy, matplotlib).
P=(/usr/bin/python3 "$R/analysis/learning_curves.py")
"${P[@]}" --out sac-64.png --csv sac-64.csv --title "SAC on the real HalfCheetah, 64-64, batch 256" \
  --xlabel "environment steps (one update each)" "SAC 64-64=sac64-s0.log,sac64-s1.log,sac64-s2.log"
"${P[@]}" --out cql-medium.png --csv cql-medium.csv --title "CQL on the medium dataset, 64-64 (30k offline + 20k online-phase CQL steps)" \
  --hline "behaviour policy (dataset mean)=2733.5" \
  "CQL=cql-medium-s0.log+cqlonly-s0.h5,cql-medium-s1.log+cqlonly-s1.h5,cql-medium-s2.log+cqlonly-s2.h5"
"${P[@]}" --out cql-random.png --csv cql-random.csv --title "CQL on the random dataset, 64-64" \
  --hline "behaviour policy (random)=-285.9" "CQL=cql-random-s0.log,cql-random-s1.log,cql-random-s2.log"
"${P[@]}" --out h2o-gravity2.png --csv h2o-gravity2.csv \
  --title "Online phase from CQL: simulator with gravity x2, real = published model" \
  "H2O=h2o-s0.h5,h2o-s1.h5,h2o-s2.h5" "H2O, dynamics ratio 1=h2o-one-s0.h5,h2o-one-s1.h5,h2o-one-s2.h5" \
  "CQL alone=cqlonly-s0.h5,cqlonly-s1.h5,cqlonly-s2.h5" "H2O, no gap (seed 0)=h2o-nogap-s0.h5"

# The demo (scripts/demo.sh), then the posterior comparison of docs/LEARNING.md on its dataset and
# pretrained policies (demo config, 20 H2O steps per round, every policy evaluated every round).
# Seed 0 is the demo's own run; seeds 1-4 reuse its pretrained policies. (As run, the files were
# named u20.h5 / u20c.h5 / u20v.h5 for seed 0 and s$s-raw.h5 / s$s-auto.h5: the names in the CSVs.)
bash "$R/scripts/demo.sh" demo
B=(--pretrained demo/pretrained.h5 offline.dataset=demo/dataset.h5 eval.all_every=1
   online.updates_per_round=20)
for s in 0 1 2 3 4; do
  "$M" run --out post-raw-s$s.h5 --force "${B[@]}" seed=$s posterior.eta=1.0 igm.threshold=paper \
    igm.threshold_scale=0.5 > post-raw-s$s.log 2>&1
  "$M" run --out post-auto-s$s.h5 --force "${B[@]}" seed=$s posterior.eta=auto \
    igm.threshold=entropy_rate igm.threshold_scale=1 > post-auto-s$s.log 2>&1
done
"$M" run --out post-value-s0.h5 --force "${B[@]}" seed=0 posterior.eta=auto posterior.loss=value \
  igm.threshold=entropy_rate igm.threshold_scale=1 > post-value-s0.log 2>&1
Q=(/usr/bin/python3 "$R/analysis/posterior_check.py")
"${Q[@]}" --csv raw.csv --plot entropy-raw.png post-raw-s*.h5 > raw.txt
"${Q[@]}" --csv auto.csv --plot entropy-auto.png post-auto-s*.h5 > auto.txt

# Sensitivity to posterior.step, c_beta and M around the new defaults (demo config, the demo's
# pretrained policies, 5 run seeds each; 10-20 s per run). Table: learning/posterior/sensitivity.md,
# from analysis/posterior_check.py's check() per run.
for s in 0 1 2 3 4; do
  for v in "base:" "step025:posterior.step=0.25" "step1:posterior.step=1.0" \
           "cb05:igm.threshold_scale=0.5" "cb2:igm.threshold_scale=2" "m2:igm.history=2" \
           "m8:igm.history=8"; do
    "$M" run --out "${v%%:*}-s$s.h5" --force --pretrained demo/pretrained.h5 \
      offline.dataset=demo/dataset.h5 eval.all_every=1 seed=$s ${v#*:} > "${v%%:*}-s$s.log" 2>&1
  done
done

# Which statistic ranks the policies (LEARNING.md, issue 13): demo scale, 5 run seeds, the
# demo's pretrained policies (run from a directory holding demo/). The defaults row of the demo
# table is the sensitivity study's "base" runs above.
B=(--pretrained demo/pretrained.h5 offline.dataset=demo/dataset.h5 eval.all_every=1)
for s in 0 1 2 3 4; do
  "$M" run --out value-s$s.h5 --force "${B[@]}" seed=$s posterior.loss=value > value-s$s.log 2>&1
  "$M" run --out return-s$s.h5 --force "${B[@]}" seed=$s posterior.loss=return online.envs=4 \
    > return-s$s.log 2>&1
  "$M" run --out return-mean-s$s.h5 --force "${B[@]}" seed=$s posterior.loss=return online.envs=4 \
    posterior.return_actions=mean > return-mean-s$s.log 2>&1
  for v in critic value; do
    "$M" run --out $v-fb-s$s.h5 --force "${B[@]}" seed=$s posterior.loss=$v \
      posterior.calibrate=first_batch > $v-fb-s$s.log 2>&1
  done
done
# The larger config: one ensemble of 8 policies on the 100k medium dataset (12 min on 2 ranks),
# then 1-3 min per run.
MPI=(env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 --bind-to core)
C=(--config "$R/configs/halfcheetah.yaml" --config "$R/configs/learning/base.yaml"
   --config "$R/configs/learning/posterior-large.yaml" offline.dataset=medium-s0.h5)
mkdir -p large
"${MPI[@]}" "$M" pretrain "${C[@]}" --out large/pretrained.h5 --force > large/pretrain.log 2>&1
for s in 0 1 2 3 4; do
  for v in "critic:posterior.loss=critic" "value:posterior.loss=value" \
           "return:posterior.loss=return" \
           "return-mean:posterior.loss=return posterior.return_actions=mean" \
           "critic-fb:posterior.loss=critic posterior.calibrate=first_batch" \
           "value-fb:posterior.loss=value posterior.calibrate=first_batch"; do
    "${MPI[@]}" "$M" run "${C[@]}" --pretrained large/pretrained.h5 --out "large/${v%%:*}-s$s.h5" \
      --force seed=$s ${v#*:} > "large/${v%%:*}-s$s.log" 2>&1
  done
done
Q=(/usr/bin/python3 "$R/analysis/posterior_check.py" --compare)
"${Q[@]}" "critic, calibrated offline (the default)=sens/base-s?.h5" \
  "critic, calibrated on the first batch=critic-fb-s?.h5" "value, offline=value-s?.h5" \
  "value, first batch=value-fb-s?.h5" "return, sampled actions=return-s?.h5" \
  "return, mean actions=return-mean-s?.h5" > compare-demo.md
"${Q[@]}" "critic, calibrated offline (the default)=large/critic-s?.h5" \
  "critic, calibrated on the first batch=large/critic-fb-s?.h5" "value, offline=large/value-s?.h5" \
  "value, first batch=large/value-fb-s?.h5" "return, sampled actions=large/return-s?.h5" \
  "return, mean actions=large/return-mean-s?.h5" > compare-large.md

# Level trust (igm.trust: agreement), demo scale and the larger config; return rows with seeds 0-9.
for s in 0 1 2 3 4 5 6 7 8 9; do
  "$M" run --out trust-return-mean-s$s.h5 --force "${B[@]}" seed=$s posterior.loss=return \
    online.envs=4 posterior.return_actions=mean igm.trust=agreement > trust-return-mean-s$s.log 2>&1
  "$M" run --out return-mean-s$s.h5 --force "${B[@]}" seed=$s posterior.loss=return online.envs=4 \
    posterior.return_actions=mean > return-mean-s$s.log 2>&1
  for v in "trust-return-mean:posterior.loss=return posterior.return_actions=mean igm.trust=agreement" \
           "return-mean:posterior.loss=return posterior.return_actions=mean"; do
    "${MPI[@]}" "$M" run "${C[@]}" --pretrained large/pretrained.h5 --out "large/${v%%:*}-s$s.h5" \
      --force seed=$s ${v#*:} > "large/${v%%:*}-s$s.log" 2>&1
  done
done
for s in 0 1 2 3 4; do
  "$M" run --out trust-critic-s$s.h5 --force "${B[@]}" seed=$s igm.trust=agreement > trust-critic-s$s.log 2>&1
  "${MPI[@]}" "$M" run "${C[@]}" --pretrained large/pretrained.h5 --out large/trust-critic-s$s.h5 \
    --force seed=$s igm.trust=agreement > large/trust-critic-s$s.log 2>&1
done

# "The demo rests on one lucky SAC run" (2026-12-01, third session). OLD = the previous build
# (torch actor, which network.inference: torch reproduces bit for bit), NEW = this build.
for s in 1 2; do "$OLD" collect --out old$s.h5 seed=$s > oldlog$s 2>&1; done
for s in 1 2; do "$M" collect --out m$s.h5 seed=$s network.inference=plain > log$s 2>&1; done
"$M" collect --out medium.h5 network.inference=plain > log 2>&1                        # seed 0
"$M" collect --out long0.h5 network.inference=plain collect.sac_steps=100000 > longlog0 2>&1
"$M" pretrain --out pre.h5 offline.dataset=medium.h5 offline.policies=1 offline.steps=3000 \
  network.batch_size=256 network.inference=plain
"$M" rollout --policy pre.h5:0 --episodes 3 network.inference=plain
# the demo with the plain actor (it was the default in the build that ran this)
bash scripts/demo.sh /tmp/demo-new   # with network.inference: plain in configs/halfcheetah.yaml

# 2026-12-05 (AMD EPYC, OPENBLAS_CORETYPE=Haswell): the CQL-on-medium runs above (seeds 0-2, 30k
# steps, same medium-s0.h5) re-run with the build of d3a9b6e and with the build before it (f1c4e0f),
# each from its own copy of the binary, two runs at a time; evaluations in cql-medium-2026-12-05.csv.
# The demo's pretrain and run from the demo's dataset (bash scripts/demo.sh), seeds S = 0-4, both builds:
#   mpirun -np 2 --bind-to core "$M" pretrain --out pre-sS.h5 --force offline.dataset=dataset.h5 seed=S
#   mpirun -np 2 --bind-to core "$M" run --out run-sS.h5 --force --pretrained pre-sS.h5 \
#     offline.dataset=dataset.h5 regret.reference_return=1664.66 seed=S
