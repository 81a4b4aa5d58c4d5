#!/usr/bin/python3
"""Summarizes a study made by jobs/study.sh: curves, level histogram, tables.

  /usr/bin/python3 analysis/report.py STUDY_DIR [--strict]

Reads STUDY_DIR/study.yaml and every run file it asks for (STUDY_DIR/runs/...). A run is used
only if its file exists, has finished = 1, a non-empty trace and the seed/strategy/budget the
study expects; every other run is named on stderr and in summary.md, and each table row says
how many seeds it averages (n of n_expected). Writes into STUDY_DIR/report/:
  regret_vs_budget.{png,pdf}  cumulative regret against budget spent, one panel per budget
  return_vs_budget.{png,pdf}  test return (eval_return_mean) against budget spent
      curves: mean over seeds after interpolating each seed onto a common grid (from the largest
      first to the smallest last budget_spent, 101 points: no extrapolation), band = 95%
      percentile bootstrap of the mean over seeds (2000 resamples, numpy default_rng(0))
  levels.{png,pdf}            fraction of rounds spent at each level, per strategy
  posterior_vs_return.{png,pdf}  (runs whose trace has policy_returns) posterior probability
      against true real-system return of every policy, in the last round that evaluated them all,
      one panel per strategy; summary.md then also has, per strategy x budget, the mean Spearman
      rank correlation of posterior and return, and in how many runs the MAP policy is the best
      and is above the median of the L policies
  regret_growth.{png,pdf}, regret_growth.csv  final regret against the budget Gamma on log-log
      axes, per strategy, for the cumulative regret (sum over rounds) and the cost-weighted regret
      (sum of cost_r * regret_r, the budget-unit regret): the OLS slope of log(regret) on
      log(Gamma) over every run (seed x budget), with a 95% percentile bootstrap CI that resamples
      seeds (each seed keeps its budgets; 2000 resamples, default_rng(0)). Runs whose regret is
      <= 0 cannot enter a log and are counted in the table instead. Slope 1 is linear growth;
      sqrt(Gamma) log(Gamma) has the local slope 0.5 + 1/ln(Gamma) (0.64 at Gamma = 1000).
  summary.csv, summary.md     per strategy x budget: final return, normalized score, cumulative
      regret as mean and 95% CI half-width (Student t over seeds: exact for a few seeds and
      checkable by hand; empty for n = 1), n, n_expected, excluded runs; summary.md also has
      igm's final return minus every other strategy's, paired by seed (mean, Student t CI, and
      the count of seeds where igm is higher)
Exit status: 0 when at least one run was usable (also when some are missing: they are named),
1 when none was, 2 on bad arguments or study file; with --strict, 3 if any run is not usable.
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "jobs"))
import study_plan  # noqa: E402

GRID_POINTS = 101
BOOTSTRAP = 2000
# Two-sided 95% Student t quantiles t(0.975, df), df = 1..30.
T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042)
METRICS = (("final_return", "eval_return_mean"), ("normalized_score", "normalized_score"),
           ("cumulative_regret", "cumulative_regret"))


def t975(df):
    """t(0.975, df); beyond the table, 1.96 + 2.46/df is within 0.002 of the true value."""
    return T975[df - 1] if df <= len(T975) else 1.96 + 2.46 / df


def mean_ci(values):
    """(mean, 95% CI half-width) of a sample; the half-width is nan for one value."""
    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        return float(v.mean()), math.nan
    return float(v.mean()), float(t975(len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))


def read_run(path, strategy, budget, seed):
    """Trace columns of one usable run, or (None, reason) when it cannot be used."""
    import h5py

    if not os.path.exists(path):
        return None, "missing"
    try:
        with h5py.File(path, "r") as f:
            if int(f.attrs.get("finished", 0)) != 1:
                return None, f"unfinished ({int(f.attrs.get('rounds_completed', 0))} rounds)"
            cfg = f["config"].attrs
            got = (str(_text(cfg["strategy"])), float(cfg["budget_total"]), int(cfg["seed"]))
            if got != (strategy, float(budget), int(seed)):
                return None, f"config is {got}, study expects {(strategy, float(budget), seed)}"
            tr = {k: f["trace"][k][()] for k in f["trace"]}
            levels = int(cfg["levels"])
    except (OSError, KeyError) as e:
        return None, f"unreadable ({e})"
    if len(tr.get("round", [])) == 0:
        return None, "empty trace"
    tr["_levels"] = levels
    return tr, None


def _text(v):
    return v.decode() if isinstance(v, bytes) else v


def collect(st, study_dir):
    """Usable runs as {(strategy, budget): {seed: trace}} and a list of (path, reason) problems."""
    runs, problems = {}, []
    for strategy, budget, seed, path in study_plan.expected_runs(st, study_dir):
        tr, why = read_run(path, strategy, budget, seed)
        runs.setdefault((strategy, budget), {})
        if tr is None:
            problems.append((strategy, budget, seed, path, why))
        else:
            runs[(strategy, budget)][seed] = tr
    return runs, problems


def summary_table(st, runs, problems):
    """One pandas row per strategy x budget with mean and CI half-width of the final values."""
    import pandas as pd

    rows = []
    for strategy in st["strategies"]:
        for budget in st["budgets"]:
            by_seed = runs[(strategy, budget)]
            row = {"strategy": strategy, "budget": budget, "n": len(by_seed),
                   "n_expected": len(st["seeds"])}
            for name, col in METRICS:
                m, h = mean_ci([tr[col][-1] for tr in by_seed.values()]) if by_seed else \
                    (math.nan, math.nan)
                row[f"{name}_mean"], row[f"{name}_ci95"] = m, h
            row["excluded"] = " ".join(f"s{seed}:{why.split(' ')[0]}"
                                       for s, b, seed, _, why in problems
                                       if s == strategy and b == budget)
            rows.append(row)
    return pd.DataFrame(rows)


def bootstrap_band(curves, rng):
    """Mean and 2.5/97.5 percentiles of the bootstrapped mean over rows of curves (n, G)."""
    n = curves.shape[0]
    mean = curves.mean(axis=0)
    if n == 1:
        return mean, mean, mean
    idx = rng.integers(0, n, size=(BOOTSTRAP, n))
    boot = curves[idx].mean(axis=1)
    return mean, np.percentile(boot, 2.5, axis=0), np.percentile(boot, 97.5, axis=0)


def on_grid(by_seed, column):
    """Each seed's column interpolated onto a common budget_spent grid: (grid, (n, G))."""
    lo = max(tr["budget_spent"][0] for tr in by_seed.values())
    hi = min(tr["budget_spent"][-1] for tr in by_seed.values())
    grid = np.linspace(lo, hi, GRID_POINTS)
    ys = [np.interp(grid, tr["budget_spent"], tr[column]) for tr in by_seed.values()]
    return grid, np.array(ys)


def plot_curves(st, runs, column, ylabel, stem, out_dir, rng):
    """One panel per budget, one mean line with bootstrap band per strategy; PNG and PDF."""
    import matplotlib.pyplot as plt

    budgets = st["budgets"]
    fig, axes = plt.subplots(1, len(budgets), figsize=(4.5 * len(budgets), 3.6), squeeze=False)
    for ax, budget in zip(axes[0], budgets):
        for strategy in st["strategies"]:
            by_seed = runs[(strategy, budget)]
            if not by_seed:
                continue
            grid, ys = on_grid(by_seed, column)
            mean, low, high = bootstrap_band(ys, rng)
            line, = ax.plot(grid, mean, label=f"{strategy} (n={len(by_seed)})")
            ax.fill_between(grid, low, high, color=line.get_color(), alpha=0.25, linewidth=0)
        ax.set_title(f"budget {study_plan.format_budget(budget)}")
        ax.set_xlabel("budget spent")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(os.path.join(out_dir, f"{stem}.{ext}"), dpi=120)
    plt.close(fig)


def level_counts(st, runs):
    """{strategy: counts per level 1..K} over every round of every usable run."""
    K = max((tr["_levels"] for by in runs.values() for tr in by.values()), default=1)
    counts = {s: np.zeros(K, dtype=int) for s in st["strategies"]}
    for (strategy, _), by_seed in runs.items():
        for tr in by_seed.values():
            counts[strategy] += np.bincount(tr["level"] - 1, minlength=K)[:K]
    return counts


def plot_levels(counts, out_dir):
    """Grouped bars: fraction of rounds at each level, one group member per strategy."""
    import matplotlib.pyplot as plt

    K = len(next(iter(counts.values())))
    width = 0.8 / len(counts)
    fig, ax = plt.subplots(figsize=(1.5 + 1.2 * K, 3.6))
    for i, (strategy, c) in enumerate(counts.items()):
        frac = c / c.sum() if c.sum() else c.astype(float)
        ax.bar(np.arange(1, K + 1) + (i - (len(counts) - 1) / 2) * width, frac, width,
               label=f"{strategy} ({c.sum()} rounds)")
    ax.set_xticks(np.arange(1, K + 1))
    ax.set_xlabel("fidelity level chosen")
    ax.set_ylabel("fraction of rounds")
    ax.legend(fontsize="small")
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(os.path.join(out_dir, f"levels.{ext}"), dpi=120)
    plt.close(fig)


def average_ranks(x):
    """Ranks 1..n with ties given their average rank (as core/ranking.cpp)."""
    x = np.asarray(x, dtype=float)
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and x[order[j + 1]] == x[order[i]]:
            j += 1
        ranks[order[i:j + 1]] = 0.5 * (i + j) + 1.0
        i = j + 1
    return ranks


def spearman(x, y):
    """Spearman's rho of x and y; nan when either is constant."""
    rx, ry = average_ranks(x), average_ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    d = math.sqrt((rx * rx).sum() * (ry * ry).sum())
    return float((rx * ry).sum() / d) if d > 0 else math.nan


def mechanism(tr):
    """(posterior, returns, MAP) of the last round that evaluated every policy, or None."""
    if "policy_returns" not in tr:
        return None
    ret = np.asarray(tr["policy_returns"], dtype=float)
    if ret.ndim != 2 or ret.shape[1] < 2:
        return None
    rows = np.nonzero(np.all(np.isfinite(ret), axis=1))[0]
    if len(rows) == 0:
        return None
    r = rows[-1]
    return tr["posterior"][r], ret[r], int(tr["deployed_policy"][r])


def mechanism_table(st, runs):
    """Per strategy x budget: runs with all-policy returns, mean rho, MAP best / above median."""
    out = []
    for strategy in st["strategies"]:
        for budget in st["budgets"]:
            ms = [m for m in map(mechanism, runs[(strategy, budget)].values()) if m is not None]
            if not ms:
                continue
            rhos = [spearman(p, r) for p, r, _ in ms]
            rhos = [x for x in rhos if not math.isnan(x)]
            best = sum(r[k] >= r.max() for _, r, k in ms)
            above = sum(r[k] > np.median(r) for _, r, k in ms)
            out.append((strategy, budget, len(ms), float(np.mean(rhos)) if rhos else math.nan,
                        best, above))
    return out


def plot_mechanism(st, runs, out_dir):
    """Posterior against true return per policy, one panel per strategy, one colour per run."""
    import matplotlib.pyplot as plt

    panels = [(s, [(b, seed, m) for b in st["budgets"] for seed, tr in runs[(s, b)].items()
                   for m in [mechanism(tr)] if m is not None]) for s in st["strategies"]]
    panels = [(s, pts) for s, pts in panels if pts]
    if not panels:
        return False
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.4), squeeze=False)
    for ax, (strategy, pts) in zip(axes[0], panels):
        for i, (b, seed, (post, ret, k)) in enumerate(pts):
            color = plt.cm.tab10(i % 10)
            ax.scatter(post, ret, s=14, color=color)
            ax.scatter([post[k]], [ret[k]], s=60, facecolors="none", edgecolors=color)
        ax.set_title(strategy, fontsize="medium")
        ax.set_xlabel("posterior probability (circled: MAP)")
    axes[0][0].set_ylabel("true return on the real system")
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(os.path.join(out_dir, f"posterior_vs_return.{ext}"), dpi=120)
    plt.close(fig)
    return True


def loglog_slope(points):
    """OLS slope of log(regret) on log(budget) over [(budget, regret)] with regret > 0.

    nan when fewer than two distinct budgets remain.
    """
    pts = [(math.log(b), math.log(r)) for b, r in points if r > 0 and b > 0]
    if len({x for x, _ in pts}) < 2:
        return math.nan
    x = np.array([p[0] for p in pts])
    y = np.array([p[1] for p in pts])
    xc = x - x.mean()
    return float((xc * (y - y.mean())).sum() / (xc * xc).sum())


def slope_with_ci(by_seed, rng):
    """(slope, ci_low, ci_high) over {seed: [(budget, regret)]}; the CI resamples seeds."""
    seeds = sorted(by_seed)
    slope = loglog_slope([p for s in seeds for p in by_seed[s]])
    if len(seeds) < 2 or math.isnan(slope):
        return slope, math.nan, math.nan
    boot = []
    for _ in range(BOOTSTRAP):
        pick = rng.integers(0, len(seeds), size=len(seeds))
        b = loglog_slope([p for i in pick for p in by_seed[seeds[i]]])
        if not math.isnan(b):
            boot.append(b)
    if not boot:
        return slope, math.nan, math.nan
    return slope, float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))


GROWTH_COLUMNS = (("cumulative_regret", "cumulative regret (sum over rounds)"),
                  ("cost_weighted_regret", "cost-weighted regret (sum of cost x regret)"))


def regret_growth(st, runs, rng):
    """Rows (strategy, column, slope, lo, hi, points used, points <= 0) for every strategy."""
    out = []
    for column, _ in GROWTH_COLUMNS:
        for strategy in st["strategies"]:
            by_seed, nonpos = {}, 0
            for budget in st["budgets"]:
                for seed, tr in runs[(strategy, budget)].items():
                    if column not in tr:
                        continue
                    r = float(tr[column][-1])
                    nonpos += r <= 0
                    by_seed.setdefault(seed, []).append((float(budget), r))
            used = sum(1 for v in by_seed.values() for _, r in v if r > 0)
            if not by_seed:
                continue
            slope, lo, hi = slope_with_ci(by_seed, rng)
            out.append((strategy, column, slope, lo, hi, used, nonpos))
    return out


def plot_growth(st, runs, out_dir):
    """Final regret against the budget, log-log, one panel per regret column."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(GROWTH_COLUMNS), figsize=(5 * len(GROWTH_COLUMNS), 3.8),
                             squeeze=False)
    for ax, (column, label) in zip(axes[0], GROWTH_COLUMNS):
        for strategy in st["strategies"]:
            xs, ys = [], []
            for budget in st["budgets"]:
                rs = [float(tr[column][-1]) for tr in runs[(strategy, budget)].values()
                      if column in tr and tr[column][-1] > 0]
                if rs:
                    xs.append(float(budget))
                    ys.append(float(np.mean(rs)))
            if xs:
                ax.plot(xs, ys, marker="o", label=strategy)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("budget Gamma")
        ax.set_ylabel(f"final {label}")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize="small")
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(os.path.join(out_dir, f"regret_growth.{ext}"), dpi=120)
    plt.close(fig)


def paired_diff(a, b):
    """Final return of a minus b over the seeds both have ({seed: trace} each).

    (n seeds, mean, 95% CI half-width, seeds where a is higher), or None without a common seed.
    """
    seeds = sorted(set(a) & set(b))
    if not seeds:
        return None
    d = [float(a[s]["eval_return_mean"][-1] - b[s]["eval_return_mean"][-1]) for s in seeds]
    m, h = mean_ci(d)
    return len(seeds), m, h, sum(x > 0 for x in d)


def paired_table(st, runs, ref="igm"):
    """Per other strategy x budget: final return of ref minus the strategy's, paired by seed.

    Rows (strategy, budget, n seeds in both, mean difference, 95% CI half-width, ref wins).
    Seeds share their pretrained ensemble, so the pairing removes the ensemble's spread.
    """
    if ref not in st["strategies"]:
        return []
    out = []
    for strategy in st["strategies"]:
        if strategy == ref:
            continue
        for budget in st["budgets"]:
            p = paired_diff(runs[(ref, budget)], runs[(strategy, budget)])
            if p is not None:
                out.append((strategy, budget, *p))
    return out


def _fmt(m, h):
    if math.isnan(m):
        return "–"
    return f"{m:.2f}" if math.isnan(h) else f"{m:.2f} ± {h:.2f}"


def write_markdown(st, table, counts, problems, path, mech=(), growth=(), paired=()):
    """summary.md: table, level counts, the posterior's ranking and every run not used."""
    lines = [f"# Study `{st['name']}`", "",
             "Final values: mean ± 95% CI half-width (Student t over seeds); n of n_expected "
             "seeds used.", "",
             "| strategy | budget | n | final return | normalized score | cumulative regret |",
             "|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        lines.append(f"| {r.strategy} | {study_plan.format_budget(r.budget)} | "
                     f"{r.n}/{r.n_expected} | {_fmt(r.final_return_mean, r.final_return_ci95)} | "
                     f"{_fmt(r.normalized_score_mean, r.normalized_score_ci95)} | "
                     f"{_fmt(r.cumulative_regret_mean, r.cumulative_regret_ci95)} |")
    if paired:
        lines += ["", "## igm against each strategy, paired by seed", "",
                  "Final return of igm minus the strategy's, on the same seed (the same "
                  "pretrained ensemble): mean ± 95% CI half-width (Student t), and the seeds "
                  "where igm is higher.", "",
                  "| strategy | budget | seeds | igm minus strategy | igm higher |",
                  "|---|---|---|---|---|"]
        for s, b, n, m, h, wins in paired:
            lines.append(f"| {s} | {study_plan.format_budget(b)} | {n} | {_fmt(m, h)} | "
                         f"{wins}/{n} |")
    lines += ["", "## Rounds per level", "", "| strategy | " +
              " | ".join(f"level {k + 1}" for k in range(len(next(iter(counts.values()))))) +
              " |", "|---|" + "---|" * len(next(iter(counts.values())))]
    for s, c in counts.items():
        lines.append(f"| {s} | " + " | ".join(str(x) for x in c) + " |")
    if mech:
        lines += ["", "## Does the posterior point at the best policy?", "",
                  "Last round that evaluated every policy on the real system (eval.all_every).",
                  "", "| strategy | budget | runs | mean Spearman(posterior, return) | "
                  "MAP is the best | MAP above the median |", "|---|---|---|---|---|---|"]
        for s, b, n, rho, best, above in mech:
            lines.append(f"| {s} | {study_plan.format_budget(b)} | {n} | "
                         f"{'–' if math.isnan(rho) else f'{rho:.2f}'} | {best}/{n} | "
                         f"{above}/{n} |")
    if growth:
        lines += ["", "## Regret growth against the budget", "",
                  "OLS slope of log(final regret) on log(Gamma) over every run; 95% CI: "
                  "bootstrap over seeds. 1 is linear; sqrt(Gamma) log(Gamma) has the local slope "
                  "0.5 + 1/ln(Gamma).", "",
                  "| strategy | regret | slope | 95% CI | runs used | runs with regret <= 0 |",
                  "|---|---|---|---|---|---|"]
        for s, col, b, lo, hi, used, nonpos in growth:
            ci = "–" if math.isnan(lo) else f"{lo:.2f} to {hi:.2f}"
            lines.append(f"| {s} | {col} | {'–' if math.isnan(b) else f'{b:.2f}'} | {ci} | "
                         f"{used} | {nonpos} |")
    lines += ["", "## Runs not used", ""]
    if problems:
        lines += [f"- `{os.path.relpath(p, os.path.dirname(os.path.dirname(p)))}` "
                  f"({s}, budget {study_plan.format_budget(b)}, seed {seed}): {why}"
                  for s, b, seed, p, why in problems]
    else:
        lines.append("None: every run the study asks for finished.")
    lines += ["", "Figures: regret_vs_budget, return_vs_budget, levels, regret_growth "
              "(.png, .pdf).", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def main(argv):
    args = [a for a in argv[1:] if a != "--strict"]
    strict = len(args) != len(argv) - 1
    if len(args) != 1:
        print("usage: analysis/report.py STUDY_DIR [--strict]", file=sys.stderr)
        return 2
    study_dir = os.path.abspath(args[0])
    try:
        st = study_plan.load_study(os.path.join(study_dir, "study.yaml"), check_files=False)
    except study_plan.StudyError as e:
        print(f"report: error: {e}", file=sys.stderr)
        return 2
    import matplotlib

    matplotlib.use("Agg")
    runs, problems = collect(st, study_dir)
    for s, b, seed, path, why in problems:
        print(f"report: not used: {path} ({s}, budget {study_plan.format_budget(b)}, "
              f"seed {seed}): {why}", file=sys.stderr)
    usable = sum(len(v) for v in runs.values())
    if usable == 0:
        print(f"report: error: no usable run in {study_dir}/runs", file=sys.stderr)
        return 1
    out = os.path.join(study_dir, "report")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    plot_curves(st, runs, "cumulative_regret", "cumulative regret", "regret_vs_budget", out, rng)
    plot_curves(st, runs, "eval_return_mean", "test return", "return_vs_budget", out, rng)
    counts = level_counts(st, runs)
    plot_levels(counts, out)
    table = summary_table(st, runs, problems)
    table.to_csv(os.path.join(out, "summary.csv"), index=False, float_format="%.6g")
    mech = mechanism_table(st, runs)
    if mech:
        plot_mechanism(st, runs, out)
    growth = regret_growth(st, runs, rng)
    plot_growth(st, runs, out)
    with open(os.path.join(out, "regret_growth.csv"), "w") as f:
        f.write("strategy,regret,slope,ci95_low,ci95_high,runs_used,runs_nonpositive\n")
        for row in growth:
            f.write(",".join(str(x) if not isinstance(x, float) else f"{x:.6g}" for x in row)
                    + "\n")
    write_markdown(st, table, counts, problems, os.path.join(out, "summary.md"), mech, growth,
                   paired_table(st, runs))
    print(f"report: {usable} of {usable + len(problems)} runs used; wrote {out}")
    return 3 if strict and problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
