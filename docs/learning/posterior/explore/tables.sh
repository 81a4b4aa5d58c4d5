#!/usr/bin/env bash
# The tables of docs/LEARNING.md, "Exploring a level's trust", from run.sh's work directory:
#   bash tables.sh > /dev/null   (writes compare-*.md and runs-*.txt beside this script)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
P=(/usr/bin/python3 "$HERE/../../../../analysis/posterior_check.py")
all() { echo "$1-s?.h5 e1/$1-s?.h5 e2/$1-s?.h5"; }  # a variant's 15 runs over the 3 ensembles
"${P[@]}" --compare "shipped levels, igm.trust none=$(all none)" \
  "shipped levels, igm.trust pooled=$(all pooled)" \
  "shipped levels, pooled, igm.trust_explore 0.5=$(all explore)" \
  "shipped levels, pooled, igm.trust_explore 1=$(all explore1)" \
  "real system only (strategy fixed:3)=$(all real)" > "$HERE/compare-shipped.md"
mild() { echo "mild/$1-s?.h5 mild/e1-$1-s?.h5 mild/e2-$1-s?.h5"; }
"${P[@]}" --compare "mild levels, igm.trust none=$(mild none)" \
  "mild levels, igm.trust pooled=$(mild pooled)" \
  "mild levels, pooled, igm.trust_explore 0.5=$(mild explore)" \
  "mild levels, pooled, igm.trust_explore 1=$(mild explore1)" \
  "mild levels, pooled, igm.trust_explore 2=$(mild explore2)" \
  "mild levels, pooled, explore 1, posterior.step 1=$(mild step1)" > "$HERE/compare-mild.md"
cd demo
"${P[@]}" --compare "critic (the default)=critic-s?.h5" "critic, pooled=critic-pooled-s?.h5" \
  "critic, pooled, explore 0.5=critic-explore-s?.h5" \
  "critic, pooled, explore 1=critic-explore1-s?.h5" \
  "return, mean actions=return-s?.h5" "return, pooled=return-pooled-s?.h5" \
  "return, pooled, explore 0.5=return-explore-s?.h5" \
  "return, pooled, explore 1=return-explore1-s?.h5" > "$HERE/compare-demo.md"
cd ..
"${P[@]}" $(mild explore1) > "$HERE/runs-mild-explore1.txt"
"${P[@]}" $(all explore) > "$HERE/runs-shipped-explore.txt"
cat "$HERE"/compare-*.md
