#!/usr/bin/python3
"""analysis/ablation_table.py on two copies of the fake study (analysis/make_fake_study.py)."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "analysis"))
import ablation_table  # noqa: E402
import make_fake_study  # noqa: E402


class AblationTableTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mfhrl-ablation-test.")
        self.a = os.path.join(self.tmp, "a")
        make_fake_study.make_fake_study(self.a)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_rows_by_hand(self):
        lines = ablation_table.table("igm", [("base", self.a), ("same", self.a)])
        self.assertEqual(lines[0], "| study | budget 10 | budget 20 | rounds per level | "
                         "MAP above the median |")
        # igm/10 uses seeds 0 and 2 (F = 1010, 1030: mean 1020, 12.706 * 10 = 127); igm/20 all
        # three (1020, 1030, 1040: 4.303 * 10 / sqrt(3) = 25). Rounds 2x(4,2,1) + 3x(6,3,3).
        self.assertEqual(lines[2], "| base | 1,020 ± 127 (n=2) | 1,030 ± 25 (n=3) | 26/13/11 | "
                         "5/5 |")
        # Against itself: every paired difference is 0 and no seed is higher.
        self.assertEqual(lines[3], "| same | 1,020 ± 127 (n=2); Δ +0 ± 0, higher 0/2 | "
                         "1,030 ± 25 (n=3); Δ +0 ± 0, higher 0/3 | 26/13/11 | 5/5 |")

    def test_another_strategy_by_hand(self):
        # fixed:3: F = 910, 920, 930 at budget 10 (4.303 * 10 / sqrt(3) = 25); seed 2 missing at
        # 20 (920, 930: 12.706 * 7.07 / sqrt(2) = 64); 3x2 + 2x4 rounds, all at level 3.
        lines = ablation_table.table("fixed:3", [("x", self.a)])
        self.assertEqual(lines[2], "| x | 920 ± 25 (n=3) | 925 ± 64 (n=2) | 0/0/14 | 0/5 |")

    def test_unknown_strategy_and_usage(self):
        r = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "analysis", "ablation_table.py"),
                            "greedy", f"a={self.a}"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no strategy 'greedy'", r.stderr)
        r = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "analysis", "ablation_table.py"),
                            "igm"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    unittest.main()
