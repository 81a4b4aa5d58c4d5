#!/usr/bin/python3
"""Does the posterior point at the best policy? A table over run files (eval.all_every > 0 helps).

  /usr/bin/python3 analysis/posterior_check.py [--csv OUT.csv] [--plot OUT.png] RUN.h5 ...

Per run: rounds; levels chosen after the first K rounds (how many below the top level); the
posterior entropy H(p) after round 1 and after the last round (nats; uniform = ln L); the
largest drop of H in one round; over every round that evaluated all policies (policy_returns
finite), the mean Spearman rank correlation of posterior and true return; and in the last such
round whether the MAP policy is the best and whether its return is above the median of the L
policies. The last line counts runs. --plot draws H(p) against round, one line per run.

  /usr/bin/python3 analysis/posterior_check.py --compare NAME=GLOB [NAME=GLOB ...]

A markdown table, one row per group of runs (shell globs of run files, quoted, separated by
spaces): the counts above (and the cheaper rounds after the first K among all rounds after
them), the mean entropy after round 1 and after the last round, the final deployed return, and
two figures that say whether any posterior could work:
"signal", the mean over all-policy rounds of Spearman(-L_l of the round's batch, true return that
round), and "drift", Spearman(true returns in the first all-policy round, in the last one).
Exit status 2 on bad arguments or an unreadable file.
"""
import glob
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import spearman  # noqa: E402


def entropy(p):
    p = np.asarray(p, dtype=float)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def check(path):
    import h5py

    with h5py.File(path, "r") as f:
        tr = {k: f["trace"][k][()] for k in f["trace"]}
        K = int(f["config"].attrs["levels"])
    post = tr["posterior"]
    H = np.array([entropy(p) for p in post])
    levels = tr["level"]
    after = levels[K:]
    out = {"file": os.path.basename(path), "rounds": len(levels), "K": K,
           "cheaper_after_K": int((after < K).sum()), "rounds_after_K": len(after),
           "H_first": H[0], "H_last": H[-1], "H_uniform": math.log(post.shape[1]),
           "max_drop": float(np.max(-np.diff(np.concatenate([[math.log(post.shape[1])], H])))),
           "rho_mean": math.nan, "map_best": None, "map_above_median": None, "H": H}
    ret = tr.get("policy_returns")
    if ret is not None:
        rows = np.nonzero(np.all(np.isfinite(ret), axis=1))[0]
        rhos = [spearman(post[r], ret[r]) for r in rows]
        rhos = [x for x in rhos if not math.isnan(x)]
        if rhos:
            out["rho_mean"] = float(np.mean(rhos))
        sig = [spearman(-tr["policy_losses"][r], ret[r]) for r in rows]
        sig = [x for x in sig if not math.isnan(x)]
        out["signal"] = float(np.mean(sig)) if sig else math.nan
        out["drift"] = spearman(ret[rows[0]], ret[rows[-1]]) if len(rows) > 1 else math.nan
        if len(rows):
            r = rows[-1]
            k = int(tr["deployed_policy"][r])
            out["map_best"] = bool(ret[r][k] >= ret[r].max())
            out["map_above_median"] = bool(ret[r][k] > np.median(ret[r]))
            out["map_return"] = float(ret[r][k])
            out["median_return"] = float(np.median(ret[r]))
    out["final_return"] = float(tr["eval_return_mean"][-1])
    return out


def compare(specs):
    head = ("| runs | MAP above median | MAP best | mean Spearman(posterior, return) | signal | "
            "drift | cheaper level after K | cheaper rounds after K | "
            "largest one-round drop of H | H(p) first -> last (mean) | final return (mean) |")
    print(head)
    print("|---" * (head.count("|") - 1) + "|")
    for spec in specs:
        name, _, pattern = spec.partition("=")
        files = sorted({f for part in pattern.split() for f in glob.glob(part)})
        if not name or not files:
            raise OSError(f"--compare {spec}: expected NAME=GLOB matching run files")
        rows = [check(f) for f in files]
        ev = [r for r in rows if r["map_best"] is not None]
        cheaper = sum(r["cheaper_after_K"] for r in rows)
        after = sum(r["rounds_after_K"] for r in rows)
        mean = lambda k: np.nanmean([r.get(k, math.nan) for r in rows])  # noqa: E731
        print(f"| {name} ({len(rows)}) | {sum(r['map_above_median'] for r in ev)}/{len(ev)} | "
              f"{sum(r['map_best'] for r in ev)}/{len(ev)} | {mean('rho_mean'):.2f} | "
              f"{mean('signal'):.2f} | {mean('drift'):.2f} | "
              f"{sum(r['cheaper_after_K'] > 0 for r in rows)}/{len(rows)} | "
              f"{cheaper}/{after} | "
              f"{mean('max_drop'):.2f} | {mean('H_first'):.2f} -> {mean('H_last'):.2f} | "
              f"{mean('final_return'):,.0f} |")
    return 0


def main(argv):
    if len(argv) > 2 and argv[1] == "--compare":
        try:
            return compare(argv[2:])
        except (OSError, KeyError) as e:
            print(f"posterior_check: error: {e}", file=sys.stderr)
            return 2
    args, csv_out, plot_out = [], None, None
    it = iter(argv[1:])
    for a in it:
        if a == "--csv":
            csv_out = next(it, None)
        elif a == "--plot":
            plot_out = next(it, None)
        else:
            args.append(a)
    if not args or (csv_out is None and "--csv" in argv) or (plot_out is None and "--plot" in argv):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        rows = [check(p) for p in args]
    except (OSError, KeyError) as e:
        print(f"posterior_check: error: {e}", file=sys.stderr)
        return 2
    fmt = "{:<28} {:>6} {:>9} {:>16} {:>9} {:>8} {:>7} {:>9} {:>10}"
    print(fmt.format("run", "rounds", "cheaper", "H first->last", "max drop", "rho", "MAP best",
                     "MAP>med", "MAP/median"))
    for r in rows:
        mm = f"{r['map_return']:.0f}/{r['median_return']:.0f}" if "map_return" in r else "-"
        print(fmt.format(r["file"][:28], r["rounds"], f"{r['cheaper_after_K']}/{r['rounds_after_K']}",
                         f"{r['H_first']:.3f}->{r['H_last']:.3f}", f"{r['max_drop']:.3f}",
                         "-" if math.isnan(r["rho_mean"]) else f"{r['rho_mean']:.2f}",
                         str(r["map_best"]), str(r["map_above_median"]), mm))
    ev = [r for r in rows if r["map_best"] is not None]
    print(f"{len(rows)} runs: MAP best in {sum(r['map_best'] for r in ev)}/{len(ev)}, above the "
          f"median in {sum(r['map_above_median'] for r in ev)}/{len(ev)}; a cheaper level after "
          f"the first K rounds in {sum(r['cheaper_after_K'] > 0 for r in rows)}/{len(rows)}; "
          f"mean rho {np.nanmean([r['rho_mean'] for r in rows]):.2f}")
    if csv_out:
        keys = [k for k in rows[0] if k != "H"]
        with open(csv_out, "w") as f:
            f.write(",".join(keys) + "\n")
            for r in rows:
                f.write(",".join(str(r.get(k, "")) for k in keys) + "\n")
    if plot_out:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3.6))
        for r in rows:
            ax.plot(np.arange(1, len(r["H"]) + 1), r["H"], marker=".", label=r["file"])
        ax.axhline(rows[0]["H_uniform"], color="gray", ls=":", lw=1)
        ax.set_xlabel("round")
        ax.set_ylabel("posterior entropy H(p) [nats]")
        if len(rows) <= 10:
            ax.legend(fontsize="x-small")
        fig.tight_layout()
        fig.savefig(plot_out, dpi=120)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
