#!/usr/bin/python3
"""Learning curves from mfhrl logs and run files, mean and spread over seeds.

  /usr/bin/python3 analysis/learning_curves.py --out PLOT.png [--title T] [--hline LABEL=Y ...]
      LABEL=FILE[,FILE...] ...

Each series is a label and the files of its seeds. A file is one of:
  *.log  SAC progress lines ('...: step S/T | eval return M ± SD ...', from collect/reference) or
         offline evaluation lines ('offline eval: policy l step S/T  return M +- SD ...', from
         pretrain with offline.eval_every); x = gradient steps of that line;
  *.h5   a run file: x = offline.steps + round * online.updates_per_round, y = eval_return_mean.
FILE may be A+B: one seed's curve continued in another file (a pretrain log, then the run that
started from its policy). Per series the curve is the mean over seeds at the x values all seeds share, with a band of
min..max over seeds; the last point's mean and per-seed values are printed as one line each.
--hline draws a horizontal reference line (e.g. the behaviour policy's return). --csv writes the
plotted data: one row per series, seed and x.
Exit status 2 on bad arguments or an unreadable file.
"""
import re
import sys

import numpy as np

SAC = re.compile(r": step (\d+)/\d+ \| eval return (-?[\d.]+)")
OFFLINE = re.compile(r"offline eval: policy (\d+) step (\d+)/\d+\s+return (-?[\d.]+)")


def read_log(path):
    """{x: y} from one log; with several policies in an offline log, their mean per step."""
    per_x = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = SAC.search(line)
            if m and "offline eval" not in line:
                per_x.setdefault(int(m.group(1)), []).append(float(m.group(2)))
                continue
            m = OFFLINE.search(line)
            if m:
                per_x.setdefault(int(m.group(2)), []).append(float(m.group(3)))
    if not per_x:
        raise ValueError(f"{path}: no evaluation lines")
    return {x: float(np.mean(v)) for x, v in per_x.items()}


def read_run(path):
    import h5py
    import yaml

    with h5py.File(path, "r") as f:
        cfg = yaml.safe_load(f["config"][()].decode())
        rounds = f["trace/round"][:]
        ret = f["trace/eval_return_mean"][:]
    off = cfg["offline"]["steps"]
    upr = cfg["online"]["updates_per_round"]
    return {int(off + r * upr): float(y) for r, y in zip(rounds, ret)}


def read(path):
    """One seed's curve; A+B joins the curves of two files (e.g. pretrain log + online run)."""
    curve = {}
    for part in path.split("+"):
        curve.update(read_run(part) if part.endswith(".h5") else read_log(part))
    return curve


def main(argv):
    import argparse

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--title", default="")
    p.add_argument("--xlabel", default="gradient steps")
    p.add_argument("--hline", action="append", default=[])
    p.add_argument("--csv")
    p.add_argument("series", nargs="+")
    a = p.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    rows = ["series,seed_file,x,return"]
    for spec in a.series:
        if "=" not in spec:
            print(f"learning_curves: series '{spec}': expected LABEL=FILE[,FILE...]", file=sys.stderr)
            return 2
        label, files = spec.split("=", 1)
        try:
            curves = [read(f) for f in files.split(",") if f]
        except (OSError, ValueError, KeyError) as e:
            print(f"learning_curves: {e}", file=sys.stderr)
            return 2
        xs = sorted(set.intersection(*(set(c) for c in curves)))
        ys = np.array([[c[x] for x in xs] for c in curves])
        names = [f for f in files.split(",") if f]
        rows += [f"{label},{n},{x},{y:.3f}" for n, c in zip(names, ys) for x, y in zip(xs, c)]
        mean = ys.mean(axis=0)
        line = ax.plot(xs, mean, label=f"{label} (n={len(curves)})")[0]
        ax.fill_between(xs, ys.min(axis=0), ys.max(axis=0), color=line.get_color(), alpha=0.2)
        finals = ", ".join(f"{v:.0f}" for v in ys[:, -1])
        print(f"{label}: at x={xs[-1]} mean {mean[-1]:.1f} (seeds: {finals})")
    for spec in a.hline:
        label, y = spec.split("=", 1)
        ax.axhline(float(y), ls="--", color="gray")
        ax.annotate(label, (ax.get_xlim()[0], float(y)), fontsize=8, va="bottom")
    ax.set_xlabel(a.xlabel)
    ax.set_ylabel("return on the real system (1000 steps)")
    ax.set_title(a.title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(a.out, dpi=110)
    if a.csv:
        with open(a.csv, "w", encoding="utf-8") as f:
            f.write("\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
