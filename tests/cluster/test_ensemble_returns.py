#!/usr/bin/python3
"""analysis/ensemble_returns.py on hand-made traces, against values computed by hand."""
import os
import shutil
import subprocess
import tempfile
import unittest

import h5py
import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(REPO, "analysis", "ensemble_returns.py")
PY = "/usr/bin/python3"


def write_run(path, returns, deployed, wall):
    with h5py.File(path, "w") as f:
        t = f.create_group("trace")
        t["policy_returns"] = np.array(returns, dtype=float)
        t["eval_return_mean"] = np.array(deployed, dtype=float)
        t["wall_seconds"] = np.array(wall, dtype=float)


class EnsembleReturnsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mfhrl-ensemble-test.")
        nan = float("nan")
        # Run a: medians 20, - (round 2 not evaluated), 2; run b: medians 40 (round 1), 10 (round 5).
        write_run(os.path.join(self.tmp, "a-s0.h5"),
                  [[10, 20, 30], [nan, nan, nan], [-5, 2, 7]], [30, 1, 7], [1, 2, 3])
        write_run(os.path.join(self.tmp, "a-s1.h5"),
                  [[40, 40, 50], [nan, nan, nan], [nan, nan, nan], [nan, nan, nan],
                   [-100, 10, 20]], [50, 1, 1, 1, 21], [1, 2, 3, 4, 5])

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def run_script(self, *args):
        return subprocess.run([PY, SCRIPT, *args], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)

    def test_row_by_hand(self):
        r = self.run_script("--plot", os.path.join(self.tmp, "p.png"),
                            "A=" + os.path.join(self.tmp, "a-s?.h5"))
        self.assertEqual(r.returncode, 0, r.stderr)
        row = r.stdout.splitlines()[2]
        # first-round medians 20 and 40 -> 30; lowest 2 and 10 -> 6; last 2 and 10 -> 6;
        # 2 negative of 12 evaluated returns -> 17%; lowest -100; final (7 + 21) / 2 = 14;
        # last evaluated rounds 3 and 5 -> 4; wall (3 + 5) / 2 = 4 s.
        self.assertEqual(row, "| A (2) | 30 | 6 | 6 | 17% | -100 | 14 | 4 | 4 s |")
        self.assertTrue(os.path.getsize(os.path.join(self.tmp, "p.png")) > 0)

    def test_bad_arguments_exit_2(self):
        self.assertEqual(self.run_script().returncode, 2)
        r = self.run_script("A=" + os.path.join(self.tmp, "none-*.h5"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("expected NAME=GLOB", r.stderr)
        write_run(os.path.join(self.tmp, "u.h5"), [[float("nan")] * 2], [1], [1])
        r = self.run_script("U=" + os.path.join(self.tmp, "u.h5"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("set eval.all_every", r.stderr)


if __name__ == "__main__":
    unittest.main()
