#!/bin/bash
# Demo-scale statistic comparison (docs/learning/commands.sh, "Which statistic ranks the policies"),
# replicated on the AMD EPYC machine's demo dataset and pretrained policies (2026-12-02).
M=/work/main/build/bin/mfhrl
B=(--pretrained /work/exp/demo/pretrained.h5 offline.dataset=/work/exp/demo/dataset.h5 eval.all_every=1)
one() { local name=$1 s=$2; shift 2; "$M" run --out $name-s$s.h5 --force "${B[@]}" seed=$s "$@" > $name-s$s.log 2>&1; }
stream() {
  for s in $@; do
    one critic $s
    one value $s posterior.loss=value
    one return $s posterior.loss=return online.envs=4
    one return-mean $s posterior.loss=return online.envs=4 posterior.return_actions=mean
    one critic-fb $s posterior.calibrate=first_batch
    one value-fb $s posterior.loss=value posterior.calibrate=first_batch
  done
}
stream 0 2 4 &
stream 1 3 &
wait
echo done
