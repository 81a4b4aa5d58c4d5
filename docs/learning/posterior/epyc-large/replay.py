#!/usr/bin/python3
"""A screen of posterior rules on recorded runs (docs/LEARNING.md, issue 13, 2026-12-03).

  /usr/bin/python3 replay.py RUN.h5 ...

Each run's trace holds the level of every round and the statistic L_l of every policy on that
round's batch (policy_losses). With posterior.loss: return the statistic does not depend on the
posterior, and every policy is trained whatever the posterior says, so a different posterior
rule can be replayed on the same batches. It is approximate: a different rule would also have
changed igm's choice of levels, which the replay keeps as recorded. For each rule: how often the
MAP policy of the replayed final posterior is above the median (and the best) of the L true
returns of the run's last all-policy round. Two yardsticks without any posterior: the best policy
of the first (and of the next-to-last) all-policy round, judged in the last.
"""
import sys

import h5py
import numpy as np
from scipy.stats import spearmanr


def load(path):
    with h5py.File(path, "r") as f:
        return {k: f["trace"][k][()] for k in f["trace"]}


def eta_of(tr):
    # Round 1 starts from the uniform prior: log p_i - log p_j = eta (L_j - L_i).
    L, p = tr["policy_losses"][0], tr["posterior"][0]
    i, j = np.argmax(L), np.argmin(L)
    return (np.log(p[j]) - np.log(p[i])) / (L[i] - L[j])


def pooled_trust(hist, K, M):
    # core level_trust_pooled: pessimistic until both the level and the top level have batches.
    w = np.zeros(K)
    w[K - 1] = 1.0
    if not hist[K - 1]:
        return w
    top = np.sum(hist[K - 1][-M:], axis=0)
    for k in range(K - 1):
        if hist[k]:
            r = spearmanr(np.sum(hist[k][-M:], axis=0), top)[0]
            w[k] = 0.0 if np.isnan(r) else min(1.0, max(0.0, r))
    return w


def replay(tr, rule, rho, K=3, M=8):
    eta, lev, Ls = eta_of(tr), tr["level"] - 1, tr["policy_losses"]
    logp, hist = np.zeros(Ls.shape[1]), [[] for _ in range(K)]
    for r, k in enumerate(lev):
        w = {"all levels": 1.0, "medium and real only": [0, 1, 1][k],
             "real only": [0, 0, 1][k], "pooled trust": pooled_trust(hist, K, M)[k]}[rule]
        logp = rho * logp - eta * w * Ls[r]
        hist[k].append(Ls[r])
    return logp


def last_returns(tr):
    ret = tr["policy_returns"]
    rows = np.nonzero(np.all(np.isfinite(ret), axis=1))[0]
    return ret, rows


def main(files):
    traces = [load(p) for p in files]
    n = len(traces)
    print("| rule | forget rho | MAP above median | MAP best |")
    print("|---|---|---|---|")
    for rule in ("all levels", "medium and real only", "real only", "pooled trust"):
        for rho in (1.0, 0.8, 0.6):
            above = best = 0
            for tr in traces:
                ret, rows = last_returns(tr)
                last, m = ret[rows[-1]], int(np.argmax(replay(tr, rule, rho)))
                above += last[m] > np.median(last)
                best += last[m] >= last.max()
            print(f"| {rule} | {rho} | {above}/{n} | {best}/{n} |")
    for name, which in (("first", 0), ("next-to-last", -2)):
        above = 0
        for tr in traces:
            ret, rows = last_returns(tr)
            above += ret[rows[-1]][int(np.argmax(ret[rows[which]]))] > np.median(ret[rows[-1]])
        print(f"| no posterior: the best policy of the {name} all-policy round | | {above}/{n} | |")
    check = np.exp(replay(traces[0], "all levels", 1.0))
    gap = np.abs(check / check.sum() - traces[0]["posterior"][-1]).max()
    print(f"\nreplay of the recorded rule on {files[0]}: largest difference {gap:.1e}")


if __name__ == "__main__":
    main(sys.argv[1:])
