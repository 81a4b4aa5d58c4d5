"""Checks the invariants of a run file's trace (DESIGN §3, §6); run with Debian's /usr/bin/python3.

usage: check_trace.py RUN.h5 [--fixed K] [--costs c1,c2,...] [--n N]
Exits non-zero naming the first violated invariant.
"""
import sys

import h5py
import numpy as np


def fail(msg):
    print("check_trace: FAIL: " + msg)
    sys.exit(1)


def main():
    path = sys.argv[1]
    args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
    with h5py.File(path, "r") as f:
        if int(f.attrs["finished"]) != 1:
            fail("run not finished")
        t = {k: f["trace"][k][:] for k in f["trace"]}
        total = float(f["config"].attrs["budget_total"])
        K = int(f["config"].attrs["levels"])
        L = int(f["config"].attrs["policies"])
        if "policies" not in f or len(f["policies"]) != L:
            fail("final policies missing")
    R = len(t["round"])
    if R == 0:
        fail("empty trace")
    if not np.array_equal(t["round"], np.arange(1, R + 1)):
        fail("rounds not 1..R")
    if not ((t["level"] >= 1) & (t["level"] <= K)).all():
        fail("level out of range")
    spent = t["budget_spent"]
    if (np.diff(spent) <= 0).any():
        fail("budget not increasing")
    if spent[-1] > total + 1e-9 or abs(spent[-1] - total) > 1e-9:
        fail("budget %r not exactly spent (total %r)" % (spent[-1], total))
    if not np.allclose(np.cumsum(t["cost"]), spent, rtol=0, atol=1e-9):
        fail("cost does not sum to budget_spent")
    if "--costs" in args:
        costs = [float(x) for x in args["--costs"].split(",")]
        n = int(args["--n"])
        expected = np.array([costs[k - 1] * n for k in t["level"]])
        if not np.allclose(t["cost"][:-1], expected[:-1]):
            fail("round costs are not lambda_k * n")
        if t["cost"][-1] > expected[-1] + 1e-9:
            fail("last round cost above lambda_k * n")
    if "--fixed" in args and not (t["level"] == int(args["--fixed"])).all():
        fail("fixed strategy left its level")
    post = t["posterior"]
    if post.shape != (R, L) or not np.allclose(post.sum(axis=1), 1.0) or (post < 0).any():
        fail("posterior rows are not distributions over L policies")
    if not np.array_equal(t["deployed_policy"], post.argmax(axis=1)):
        fail("deployed policy is not the MAP of the posterior")
    if t["information_gain"].shape != (R, K) or (t["information_gain"] < -1e-12).any():
        fail("information gain shape or sign")
    if (t["information_gain"] > np.log(L) + 1e-9).any():
        fail("information gain above ln L")
    if not np.allclose(np.cumsum(t["regret"]), t["cumulative_regret"]):
        fail("cumulative regret is not the running sum")
    if not np.allclose(np.cumsum(t["regret"] * t["cost"]), t["cost_weighted_regret"]):
        fail("cost-weighted regret is not the running sum of cost * regret")
    score = 100 * (t["eval_return_mean"] + 280.178953) / (12135.0 + 280.178953)
    if not np.allclose(score, t["normalized_score"]):
        fail("normalized score formula")
    print("check_trace: OK, %d rounds" % R)


main()
