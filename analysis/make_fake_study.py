#!/usr/bin/python3
"""Writes a tiny study with known numbers, in the exact layout of jobs/study.sh, for tests/demos.

  /usr/bin/python3 analysis/make_fake_study.py OUT_DIR

Study: seeds 0, 1, 2; strategies igm and fixed:3; budgets 10 and 20; level costs 0.1, 0.3, 1.0
with 5 transitions per round (round costs 0.5, 1.5, 5.0; the last round truncated to the budget).
igm cycles through levels 1, 2, 1, 3; fixed:3 always takes level 3. So R (rounds) is 7 for
igm/10, 12 for igm/20, 2 for fixed:3/10, 4 for fixed:3/20.
Run (strategy, budget, seed) reaches final test return F = base + 10*seed + budget (base 1000
for igm, 900 for fixed:3) along J_r = F*r/R; J* = 2000, so regret_r = 2000 - J_r, final cumulative
regret = 2000*R - F*(R+1)/2 and normalized score = 100*J_r/2000.
The last round evaluates every policy (policy_returns): under igm the MAP policy has the best
return (Spearman of posterior and return 3/sqrt(15)), under fixed:3 the worst (-3/sqrt(15)).
Deliberately broken: fixed:3 budget 20 seed 2 is missing; igm budget 10 seed 1 is unfinished
(finished = 0 after 3 rounds).
"""
import os
import sys

import numpy as np

LEVEL_COSTS = (0.1, 0.3, 1.0)
TRANSITIONS = 5
POLICIES = 4
J_STAR = 2000.0
BASE = {"igm": 1000.0, "fixed:3": 900.0}
CYCLE = {"igm": (1, 2, 1, 3), "fixed:3": (3,)}
MISSING = ("fixed:3", 20, 2)
UNFINISHED = ("igm", 10, 1)

STUDY_YAML = """\
name: fake
config: config.yaml
seeds: [0, 1, 2]
strategies: [igm, "fixed:3"]
budgets: [10, 20]
ranks: 1
out_dir: .
"""

CONFIG_YAML = """\
# stand-in config of the fake study (analysis/make_fake_study.py)
fidelity:
  levels:
    - {cost: 0.1}
    - {cost: 0.3}
    - {cost: 1.0}
online:
  batch_transitions: 5
offline:
  policies: 4
"""


def level_schedule(strategy, budget):
    """Levels and (truncated) costs of every round until the budget is spent."""
    cycle = CYCLE[strategy]
    levels, costs, spent = [], [], 0.0
    while spent < budget - 1e-12:
        k = cycle[len(levels) % len(cycle)]
        c = min(LEVEL_COSTS[k - 1] * TRANSITIONS, budget - spent)
        levels.append(k)
        costs.append(c)
        spent += c
    return np.array(levels, dtype=np.int32), np.array(costs)


def trace_columns(strategy, budget, seed):
    """Every /trace column of one finished run, as numpy arrays (row r-1 = round r)."""
    levels, costs = level_schedule(strategy, budget)
    R = len(levels)
    F = BASE[strategy] + 10.0 * seed + budget
    r = np.arange(1, R + 1)
    ret = F * r / R
    regret = J_STAR - ret
    K = len(LEVEL_COSTS)
    ig = np.tile(0.1 * np.arange(1, K + 1), (R, 1))
    deployed = (r % POLICIES).astype(np.int32)
    # Only the last round evaluates every policy: the MAP (posterior 0.7, the rest 0.1) has
    # the best return under igm and the worst under fixed:3; the others F - 100 (1 + l).
    k = int(deployed[-1])
    posterior = np.full((R, POLICIES), 1.0 / POLICIES)
    posterior[-1] = 0.1
    posterior[-1, k] = 0.7
    returns = np.full((R, POLICIES), np.nan)
    returns[-1] = F - 100.0 * (1 + np.arange(POLICIES))
    returns[-1, k] = F if strategy == "igm" else F - 100.0 * (POLICIES + 1)
    return {
        "round": r.astype(np.int64),
        "level": levels,
        "cost": costs,
        "budget_spent": np.cumsum(costs),
        "threshold": np.full(R, 0.05),
        "eval_return_mean": ret,
        "eval_return_std": np.full(R, 5.0),
        "normalized_score": 100.0 * ret / J_STAR,
        "regret": regret,
        "cumulative_regret": np.cumsum(regret),
        "cost_weighted_regret": np.cumsum(costs * regret),
        "wall_seconds": 0.1 * r,
        "information_gain": ig,
        "ig_per_cost": ig / (np.array(LEVEL_COSTS) * TRANSITIONS),
        "posterior": posterior,
        "policy_returns": returns,
        "deployed_policy": deployed,
        "rollout_policy": ((r + 1) % POLICIES).astype(np.int32),
    }


def write_run_file(path, strategy, budget, seed, rounds=None, finished=True):
    """Writes a run file like `mfhrl run` does; `rounds` keeps only the first rounds."""
    import h5py

    cols = trace_columns(strategy, budget, seed)
    if rounds is not None:
        cols = {k: v[:rounds] for k, v in cols.items()}
    R = len(cols["round"])
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with h5py.File(path, "w") as f:
        f.attrs["finished"] = np.int32(1 if finished else 0)
        f.attrs["rounds_completed"] = np.int64(R)
        f.attrs["mfhrl_version"] = "0.1.0-fake"
        text = (f"seed: {seed}\nstrategy: {strategy}\nbudget:\n  total: {budget}\n" +
                CONFIG_YAML)
        cfg = f.create_dataset("config", data=text, dtype=h5py.string_dtype())
        cfg.attrs["seed"] = np.int64(seed)
        cfg.attrs["strategy"] = strategy
        cfg.attrs["levels"] = np.int64(len(LEVEL_COSTS))
        cfg.attrs["policies"] = np.int64(POLICIES)
        cfg.attrs["budget_total"] = float(budget)
        g = f.create_group("trace")
        for name, v in cols.items():
            g.create_dataset(name, data=v, maxshape=(None,) + v.shape[1:], chunks=True)


def make_fake_study(out_dir):
    """Writes study.yaml, config.yaml and every run file (minus the broken ones) into out_dir."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "jobs"))
    import study_plan

    os.makedirs(out_dir, exist_ok=True)
    for name, text in (("study.yaml", STUDY_YAML), ("config.yaml", CONFIG_YAML)):
        with open(os.path.join(out_dir, name), "w") as f:
            f.write(text)
    st = study_plan.load_study(os.path.join(out_dir, "study.yaml"))
    for strategy, budget, seed, path in study_plan.expected_runs(st, out_dir):
        if (strategy, budget, seed) == MISSING:
            continue
        if (strategy, budget, seed) == UNFINISHED:
            write_run_file(path, strategy, budget, seed, rounds=3, finished=False)
        else:
            write_run_file(path, strategy, budget, seed)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: make_fake_study.py OUT_DIR", file=sys.stderr)
        sys.exit(2)
    make_fake_study(sys.argv[1])
