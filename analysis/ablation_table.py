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
    return st, runs


def _num(m, h, sign=False):
    """1,450 ± 132 (integers; ± omitted for one value); sign=True writes +19 / −16."""
    v = f"{m:+,.0f}".replace("-", "−") if sign else f"{m:,.0f}"
    return v if h != h else f"{v} ± {h:,.0f}"


def table(strategy, studies):
    """Markdown lines for [(label, study_dir)]; the first study is the reference."""
    loaded = [(label, *load(d, strategy)) for label, d in studies]
    budgets = sorted({b for _, st, _ in loaded for b in st["budgets"]})
    head = "| study | " + " | ".join(f"budget {study_plan.format_budget(b)}" for b in budgets)
    lines = [head + " | rounds per level | MAP above the median |",
             "|---|" + "---|" * (len(budgets) + 2)]
    base_st, base_runs = loaded[0][1], loaded[0][2]
    for i, (label, st, runs) in enumerate(loaded):
        cells, above, n_mech = [], 0, 0
        for b in budgets:
            by_seed = runs.get((strategy, b))
            if not by_seed:
                cells.append("–")
                continue
            m, h = report.mean_ci([float(tr["eval_return_mean"][-1]) for tr in by_seed.values()])
            cell = f"{_num(m, h)} (n={len(by_seed)})"
            p = report.paired_diff(by_seed, base_runs[(strategy, b)]) \
                if i > 0 and b in base_st["budgets"] else None
            if p is not None:
                n, dm, dh, higher = p
                cell += f"; Δ {_num(dm, dh, sign=True)}, higher {higher}/{n}"
            cells.append(cell)
            for tr in by_seed.values():
                mech = report.mechanism(tr)
                if mech is not None:
                    _, ret, k = mech
                    n_mech += 1
                    above += ret[k] > np.median(ret)
        counts = report.level_counts(st, runs)[strategy]
        rounds = "/".join(str(int(x)) for x in counts) if counts.sum() else "–"
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
