#!/usr/bin/python3
"""analysis/report.py on the fake study of analysis/make_fake_study.py, against hand-known values.

The fake runs reach F = base + 10*seed + budget (igm base 1000, fixed:3 base 900) after R rounds
(igm: 7 for budget 10, 12 for 20; fixed:3: 2 and 4) with cumulative regret 2000*R - F*(R+1)/2.
igm/10/seed 1 is unfinished and fixed:3/20/seed 2 is missing, so those cells average 2 seeds.
"""
import csv
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "analysis"))
import make_fake_study  # noqa: E402
import report  # noqa: E402

PY = "/usr/bin/python3"
# (strategy, budget) -> (final returns of the seeds used, rounds R), by hand from the formulas.
EXPECTED = {
    ("igm", "10"): ([1010.0, 1030.0], 7),
    ("igm", "20"): ([1020.0, 1030.0, 1040.0], 12),
    ("fixed:3", "10"): ([910.0, 920.0, 930.0], 2),
    ("fixed:3", "20"): ([920.0, 930.0], 4),
}


def run_report(study, *extra):
    return subprocess.run([PY, os.path.join(REPO, "analysis", "report.py"), study, *extra],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class ReportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mfhrl-report-test.")
        self.study = os.path.join(self.tmp, "study")
        make_fake_study.make_fake_study(self.study)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_summary_numbers_figures_and_problem_runs(self):
        r = run_report(self.study)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = os.path.join(self.study, "report")
        for stem in ("regret_vs_budget", "return_vs_budget", "levels"):
            with open(os.path.join(out, stem + ".png"), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", stem)
            with open(os.path.join(out, stem + ".pdf"), "rb") as f:
                self.assertEqual(f.read(5), b"%PDF-", stem)
        with open(os.path.join(out, "summary.csv")) as f:
            rows = {(r["strategy"], r["budget"]): r for r in csv.DictReader(f)}
        self.assertEqual(set(rows), set(EXPECTED))
        t = {2: 12.706, 3: 4.303}  # t(0.975, n-1)
        for key, (finals, R) in EXPECTED.items():
            row, n = rows[key], len(finals)
            self.assertEqual(int(row["n"]), n, key)
            self.assertEqual(int(row["n_expected"]), 3, key)
            mean = sum(finals) / n
            sd = math.sqrt(sum((x - mean) ** 2 for x in finals) / (n - 1))
            self.assertAlmostEqual(float(row["final_return_mean"]), mean, places=3)
            self.assertAlmostEqual(float(row["final_return_ci95"]), t[n] * sd / math.sqrt(n),
                                   places=3)
            self.assertAlmostEqual(float(row["normalized_score_mean"]), mean / 20, places=4)
            cum = [2000 * R - F * (R + 1) / 2 for F in finals]
            self.assertAlmostEqual(float(row["cumulative_regret_mean"]), sum(cum) / n,
                                   places=2)
        # Written out once by hand as well, so a shared mistake in the formulas above shows.
        self.assertAlmostEqual(float(rows[("igm", "20")]["final_return_ci95"]), 24.8434, 3)
        self.assertAlmostEqual(float(rows[("fixed:3", "10")]["cumulative_regret_mean"]), 2620.0)
        self.assertEqual(rows[("igm", "10")]["excluded"], "s1:unfinished")
        self.assertEqual(rows[("fixed:3", "20")]["excluded"], "s2:missing")
        self.assertIn("igm_b10_s1.h5", r.stderr)
        self.assertIn("unfinished", r.stderr)
        self.assertIn("fixed-3_b20_s2.h5", r.stderr)
        self.assertIn("missing", r.stderr)
        with open(os.path.join(out, "summary.md")) as f:
            md = f.read()
        self.assertIn("`runs/igm_b10_s1.h5` (igm, budget 10, seed 1): unfinished (3 rounds)", md)
        self.assertIn("`runs/fixed-3_b20_s2.h5` (fixed:3, budget 20, seed 2): missing", md)
        self.assertIn("| igm | 10 | 2/3 | 1020.00 ± 127.06 |", md)
        # Rounds per level: igm 2x(4,2,1) + 3x(6,3,3); fixed:3 3x2 + 2x4 at level 3.
        self.assertIn("| igm | 26 | 13 | 11 |", md)
        self.assertIn("| fixed:3 | 0 | 0 | 14 |", md)
        # Posterior against return (make_fake_study's docstring): rho = +-3/sqrt(15) = +-0.77.
        self.assertIn("| igm | 20 | 3 | 0.77 | 3/3 | 3/3 |", md)
        self.assertIn("| igm | 10 | 2 | 0.77 | 2/2 | 2/2 |", md)
        self.assertIn("| fixed:3 | 10 | 3 | -0.77 | 0/3 | 0/3 |", md)
        # Regret growth: igm's cumulative regrets from 2000*R - F*(R+1)/2: 9960 and 9880 at budget
        # 10 (seeds 0, 2; R 7), 17370, 17305, 17240 at 20 (R 12). The OLS slope of their logs,
        # computed outside report.py: 0.8028.
        self.assertIn("| igm | cumulative_regret | 0.80 |", md)
        self.assertIn("| fixed:3 | cost_weighted_regret |", md)
        # Paired by seed: igm's F minus fixed:3's is 100 on every seed both have (budget 10:
        # seeds 0, 2; budget 20: seeds 0, 1), so the CI half-width is 0.
        self.assertIn("| fixed:3 | 10 | 2 | 100.00 ± 0.00 | 2/2 |", md)
        self.assertIn("| fixed:3 | 20 | 2 | 100.00 ± 0.00 | 2/2 |", md)
        with open(os.path.join(out, "regret_growth.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        with open(os.path.join(out, "posterior_vs_return.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_report_is_reproducible(self):
        self.assertEqual(run_report(self.study).returncode, 0)
        with open(os.path.join(self.study, "report", "summary.csv")) as f:
            first = f.read()
        self.assertEqual(run_report(self.study).returncode, 0)
        with open(os.path.join(self.study, "report", "summary.csv")) as f:
            self.assertEqual(f.read(), first)

    def test_strict_and_no_usable_run(self):
        self.assertEqual(run_report(self.study, "--strict").returncode, 3)
        shutil.rmtree(os.path.join(self.study, "runs"))
        r = run_report(self.study)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no usable run", r.stderr)

    def test_mismatched_run_is_not_used(self):
        # A file holding seed 0's run under seed 2's name must not be averaged as seed 2.
        runs = os.path.join(self.study, "runs")
        shutil.copy(os.path.join(runs, "igm_b20_s0.h5"), os.path.join(runs, "igm_b20_s2.h5"))
        r = run_report(self.study)
        self.assertEqual(r.returncode, 0)
        self.assertIn("igm_b20_s2.h5", r.stderr)
        self.assertIn("study expects", r.stderr)

    def test_bad_study_file(self):
        with open(os.path.join(self.study, "study.yaml"), "a") as f:
            f.write("colour: blue\n")
        r = run_report(self.study)
        self.assertEqual(r.returncode, 2)
        self.assertIn("'colour'", r.stderr)


class HelperTest(unittest.TestCase):
    def test_mean_ci(self):
        m, h = report.mean_ci([910.0, 920.0, 930.0])
        self.assertEqual(m, 920.0)
        self.assertAlmostEqual(h, 4.303 * 10 / math.sqrt(3), places=9)
        m, h = report.mean_ci([5.0])
        self.assertEqual(m, 5.0)
        self.assertTrue(math.isnan(h))

    def test_loglog_slope_by_hand(self):
        # x = log10 budget 1, 2, 3; y = log10 regret 0, 0, 2: slope = 2 / 2 (any log base).
        self.assertAlmostEqual(report.loglog_slope([(10, 1), (100, 1), (1000, 100)]), 1.0)
        self.assertAlmostEqual(
            report.loglog_slope([(b, 3 * b ** 0.5) for b in (400, 1000, 2500)]), 0.5)
        # A regret <= 0 has no log: the two points left give slope log(10)/log(10) = 1.
        self.assertAlmostEqual(report.loglog_slope([(10, -5), (100, 1), (1000, 10)]), 1.0)
        self.assertTrue(math.isnan(report.loglog_slope([(10, 1), (10, 2)])))

    def test_slope_ci_resamples_seeds(self):
        # Seeds differ by a constant factor only: every resample has the slope 0.7.
        by_seed = {0: [(b, 2 * b ** 0.7) for b in (10, 100)],
                   1: [(b, 5 * b ** 0.7) for b in (10, 100)]}
        slope, lo, hi = report.slope_with_ci(by_seed, np.random.default_rng(0))
        for v in (slope, lo, hi):
            self.assertAlmostEqual(v, 0.7)
        # Seed 0 grows linearly, seed 1 not at all: resamples give 0 (seed 1 twice), 0.5 and 1.
        by_seed = {0: [(10, 10), (100, 100)], 1: [(10, 7), (100, 7)]}
        slope, lo, hi = report.slope_with_ci(by_seed, np.random.default_rng(0))
        self.assertAlmostEqual(slope, 0.5)
        self.assertAlmostEqual(lo, 0.0)
        self.assertAlmostEqual(hi, 1.0)
        slope, lo, hi = report.slope_with_ci({0: [(10, 10), (100, 100)]},
                                             np.random.default_rng(0))
        self.assertAlmostEqual(slope, 1.0)
        self.assertTrue(math.isnan(lo) and math.isnan(hi))

    def test_spearman_by_hand(self):
        self.assertAlmostEqual(report.spearman([1, 2, 3], [10, 30, 20]), 0.5)
        # x ranks (1, 2.5, 2.5), y ranks (1, 2, 3): 1.5 / sqrt(1.5 * 2).
        self.assertAlmostEqual(report.spearman([1, 2, 2], [1, 2, 3]), 1.5 / math.sqrt(3))
        self.assertTrue(math.isnan(report.spearman([1, 1, 1], [1, 2, 3])))
        np.testing.assert_array_equal(report.average_ranks([10, 20, 20, 5]), [2, 3.5, 3.5, 1])

    def test_mechanism_takes_the_last_fully_evaluated_round(self):
        nan = math.nan
        tr = {"policy_returns": np.array([[1.0, 2.0], [3.0, 4.0], [nan, nan]]),
              "posterior": np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]]),
              "deployed_policy": np.array([0, 0, 1])}
        post, ret, k = report.mechanism(tr)
        np.testing.assert_array_equal(post, [0.9, 0.1])
        np.testing.assert_array_equal(ret, [3.0, 4.0])
        self.assertEqual(k, 0)
        self.assertIsNone(report.mechanism({"posterior": tr["posterior"]}))

    def test_on_grid_interpolates_without_extrapolating(self):
        a = {"budget_spent": np.array([1.0, 2.0, 4.0]), "x": np.array([10.0, 20.0, 40.0])}
        b = {"budget_spent": np.array([2.0, 3.0, 5.0]), "x": np.array([0.0, 1.0, 3.0])}
        grid, ys = report.on_grid({0: a, 1: b}, "x")
        self.assertEqual((grid[0], grid[-1], len(grid)), (2.0, 4.0, report.GRID_POINTS))
        self.assertEqual(ys[0, 50], 30.0)  # budget 3 on a: halfway between 20 and 40
        self.assertEqual(ys[1, 50], 1.0)

    def test_bootstrap_band(self):
        same = np.tile(np.array([1.0, 2.0]), (4, 1))
        mean, low, high = report.bootstrap_band(same, np.random.default_rng(0))
        np.testing.assert_array_equal(mean, [1.0, 2.0])
        np.testing.assert_array_equal(low, mean)
        np.testing.assert_array_equal(high, mean)
        two = np.array([[0.0], [10.0]])
        _, low, high = report.bootstrap_band(two, np.random.default_rng(0))
        # Resampled means of two values can only be 0, 5 or 10; both ends occur in 2000 draws.
        self.assertEqual((low[0], high[0]), (0.0, 10.0))
        _, low2, high2 = report.bootstrap_band(two, np.random.default_rng(0))
        self.assertEqual((low2[0], high2[0]), (low[0], high[0]))


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
