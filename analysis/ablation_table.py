#!/usr/bin/python3
"""One strategy across studies that differ in one setting: a markdown table for docs/RESULTS.md.

  /usr/bin/python3 analysis/ablation_table.py STRATEGY BASE=STUDY_DIR LABEL=STUDY_DIR ...

Per study (row) and budget (column): the final test return of STRATEGY, mean ± 95% CI half-width
over seeds (Student t), and, for every study but the first, the paired difference against the
first study's runs of the same seed and budget (Δ: mean ± CI, and the seeds higher), the right
comparison when the studies share their pretrained ensembles. Then per study: rounds per level
and the runs whose MAP policy ends above the median of the L policies. Runs are read with
analysis/report.py's rules (finished, the expected config); unusable runs are left out and
counted in the n column.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402
import study_plan  # noqa: E402  (report put jobs/ on the path)


def load(study_dir, strategy):
    st = study_plan.load_study(os.path.join(study_dir, "study.yaml"), check_files=False)
    if strategy not in st["strategies"]:
        raise SystemExit(f"ablation_table: error: {study_dir}: no strategy '{strategy}' "
                         f"(has {', '.join(st['strategies'])})")
    runs, _ = report.collect(st, study_dir)
    return st, {b: runs[(strategy, b)] for b in st["budgets"]}


def _num(m, h, sign=False):
    """1,450 ± 132 (integers; ± omitted for one value); sign=True writes +19 / −16."""
    v = f"{m:+,.0f}".replace("-", "−") if sign else f"{m:,.0f}"
    return v if h != h else f"{v} ± {h:,.0f}"


def finals(by_seed):
    return {s: float(tr["eval_return_mean"][-1]) for s, tr in by_seed.items()}


def table(strategy, studies):
    """Markdown lines for [(label, study_dir)]; the first study is the reference."""
    loaded = [(label, *load(d, strategy)) for label, d in studies]
    budgets = sorted({b for _, st, _ in loaded for b in st["budgets"]})
    head = "| study | " + " | ".join(f"budget {study_plan.format_budget(b)}" for b in budgets)
    lines = [head + " | rounds per level | MAP above the median |",
             "|---|" + "---|" * (len(budgets) + 2)]
    base = loaded[0][2]
    for i, (label, st, by_budget) in enumerate(loaded):
        cells, counts, above, n_mech = [], None, 0, 0
        for b in budgets:
            if b not in by_budget or not by_budget[b]:
                cells.append("–")
                continue
            f = finals(by_budget[b])
            m, h = report.mean_ci(list(f.values()))
            cell = f"{_num(m, h)} (n={len(f)})"
            if i > 0 and b in base:
                ref = finals(base[b])
                seeds = sorted(set(f) & set(ref))
                if seeds:
                    d = [f[s] - ref[s] for s in seeds]
                    dm, dh = report.mean_ci(d)
                    cell += f"; Δ {_num(dm, dh, sign=True)}, higher {sum(x > 0 for x in d)}/{len(d)}"
            cells.append(cell)
            for tr in by_budget[b].values():
                c = np.bincount(tr["level"] - 1, minlength=tr["_levels"])
                counts = c if counts is None else counts + c
                mech = report.mechanism(tr)
                if mech is not None:
                    post, ret, k = mech
                    n_mech += 1
                    above += ret[k] > np.median(ret)
        rounds = "/".join(str(int(x)) for x in counts) if counts is not None else "–"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {rounds} | {above}/{n_mech} |")
    return lines


def main(argv):
    if len(argv) < 3 or any("=" not in a for a in argv[2:]):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    studies = [tuple(a.split("=", 1)) for a in argv[2:]]
    print("\n".join(table(argv[1], studies)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
