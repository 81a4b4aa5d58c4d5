#!/usr/bin/python3
"""Do the L policies keep their return through the online phase? Run files with eval.all_every 1.

  /usr/bin/python3 analysis/ensemble_returns.py [--plot OUT.png] NAME=GLOB [NAME=GLOB ...]

One markdown row per group of runs (a quoted shell glob of run files). From the trace's
policy_returns (R, L), over the rounds that evaluated every policy:
- median of the L true returns in the first such round, its lowest value over the run, and in the
  last round (each the mean over the group's runs);
- "below 0": the share of (round, policy) pairs with a negative return, i.e. a policy that runs
  backward, worse than standing still;
- the lowest single policy return seen;
- the final deployed return (mean over runs) and the wall time per run.
--plot draws the median policy return against the round, one line per run, a colour per group.
Exit status 2 on bad arguments or an unreadable file.
"""
import glob
import sys

import numpy as np


def load(path):
    import h5py

    with h5py.File(path, "r") as f:
        tr = f["trace"]
        ret = tr["policy_returns"][()]
        deployed = tr["eval_return_mean"][()]
        wall = float(tr["wall_seconds"][-1]) if "wall_seconds" in tr else float("nan")
    rows = np.nonzero(np.all(np.isfinite(ret), axis=1))[0]
    if len(rows) == 0:
        raise OSError(f"{path}: no round evaluated every policy (set eval.all_every)")
    return {"rounds": rows + 1, "ret": ret[rows], "final": float(deployed[-1]), "wall": wall}


def main(argv):
    plot = None
    if len(argv) >= 2 and argv[0] == "--plot":
        plot, argv = argv[1], argv[2:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    groups = []
    for spec in argv:
        name, _, pattern = spec.partition("=")
        files = sorted(glob.glob(pattern))
        if not name or not files:
            print(f"ensemble_returns: {spec}: expected NAME=GLOB matching run files",
                  file=sys.stderr)
            return 2
        try:
            groups.append((name, [load(f) for f in files]))
        except (OSError, KeyError) as e:
            print(f"ensemble_returns: {e}", file=sys.stderr)
            return 2
    head = ("| runs | median policy return, first round | lowest median | median, last round | "
            "below 0 | lowest policy return | final deployed return | rounds | wall per run |")
    print(head)
    print("|---" * (head.count("|") - 1) + "|")
    for name, runs in groups:
        med = [np.median(r["ret"], axis=1) for r in runs]
        below = np.mean(np.concatenate([(r["ret"] < 0).ravel() for r in runs]))
        print(f"| {name} ({len(runs)}) | {np.mean([m[0] for m in med]):,.0f} | "
              f"{np.mean([m.min() for m in med]):,.0f} | {np.mean([m[-1] for m in med]):,.0f} | "
              f"{100 * below:.0f}% | {min(r['ret'].min() for r in runs):,.0f} | "
              f"{np.mean([r['final'] for r in runs]):,.0f} | "
              f"{np.mean([r['rounds'][-1] for r in runs]):.0f} | "
              f"{np.nanmean([r['wall'] for r in runs]):.0f} s |")
    if plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4))
        for i, (name, runs) in enumerate(groups):
            for j, r in enumerate(runs):
                ax.plot(r["rounds"], np.median(r["ret"], axis=1), color=f"C{i}", alpha=0.8,
                        label=name if j == 0 else None)
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_xlabel("round")
        ax.set_ylabel("median true return of the L policies")
        ax.legend()
        fig.tight_layout()
        fig.savefig(plot, dpi=100)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
