#!/usr/bin/python3
"""jobs/study.sh: dry-run output, real submission against a recording fake sbatch, and refusal
of bad study files before anything is submitted."""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STUDY_SH = os.path.join(REPO, "jobs", "study.sh")

# Records its argv as one JSON line and answers like `sbatch --parsable` with ids 101, 102, ...
FAKE_SBATCH = r"""#!/usr/bin/python3
import json, os, sys
log = os.environ["FAKE_LOG"]
with open(log, "a") as f:
    f.write(json.dumps([os.path.basename(sys.argv[0])] + sys.argv[1:]) + "\n")
n = sum(1 for _ in open(log))
if os.path.basename(sys.argv[0]) == "sbatch":
    if str(n) == os.environ.get("FAKE_FAIL_AT"):
        sys.exit("sbatch: error: Batch job submission failed: Invalid partition name specified")
    print(100 + n)
"""

GOOD = """\
name: demo
config: base.yaml
seeds: [0, 1, 2]
strategies: [igm, "fixed:2", uniform]
budgets: [50, 12.5]
ranks: 2
time: "01:00:00"
partition: batch
overrides: [online.batch_transitions=100, offline.steps=10]
out_dir: out
"""


class StudyTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mfhrl-study-test.")
        self.bin = os.path.join(self.tmp, "bin")
        os.mkdir(self.bin)
        for name in ("sbatch", "scancel"):
            p = os.path.join(self.bin, name)
            with open(p, "w") as f:
                f.write(FAKE_SBATCH)
            os.chmod(p, stat.S_IRWXU)
        self.log = os.path.join(self.tmp, "calls.jsonl")
        with open(os.path.join(self.tmp, "base.yaml"), "w") as f:
            f.write("seed: 0\n")
        self.out = os.path.join(self.tmp, "out")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def study(self, text, name="study.yaml"):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def run_study(self, *args, fail_at=None):
        env = dict(os.environ, PATH=self.bin + ":" + os.environ["PATH"], FAKE_LOG=self.log)
        if fail_at:
            env["FAKE_FAIL_AT"] = str(fail_at)
        return subprocess.run([STUDY_SH, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env, cwd=self.tmp)

    def calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(line) for line in f]

    def test_dry_run_prints_every_sbatch_line_and_submits_nothing(self):
        r = self.run_study("--dry-run", self.study(GOOD))
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        sb = [ln for ln in lines if ln.startswith("sbatch ")]
        pre = [ln for ln in sb if "pretrain.sbatch" in ln]
        arr = [ln for ln in sb if "run.sbatch" in ln]
        self.assertEqual((len(sb), len(pre), len(arr)), (6, 3, 3))
        for seed in range(3):
            self.assertIn(f"seed={seed} --out {self.out}/pretrained/seed{seed}.h5", pre[seed])
            # 3 strategies x 2 budgets = 6 tasks, after that seed's pretrain job.
            self.assertIn("--array=0-5", arr[seed])
            self.assertIn(f"'--dependency=afterok:<pretrain-s{seed}>'", arr[seed])
            self.assertIn(f"--tasks {self.out}/tasks/seed{seed}.tsv", arr[seed])
        for ln in sb:
            for opt in ("--ntasks=2", "--time=01:00:00", "--partition=batch", "--parsable"):
                self.assertIn(opt, ln)
        tasks = [ln for ln in lines if ln.startswith("#   task ")]
        self.assertEqual(len(tasks), 18)
        self.assertIn(f"{self.tmp}/base.yaml online.batch_transitions=100 offline.steps=10 "
                      f"seed=1 strategy=fixed:2 budget.total=12.5 --out "
                      f"{self.out}/runs/fixed-2_b12.5_s1.h5 --pretrained "
                      f"{self.out}/pretrained/seed1.h5", r.stdout)
        self.assertIn("18 runs", lines[-1])
        self.assertEqual(self.calls(), [])
        self.assertFalse(os.path.exists(self.out))

    def test_submission_chains_arrays_after_their_pretrain_job(self):
        r = self.run_study(self.study(GOOD))
        self.assertEqual(r.returncode, 0, r.stderr)
        calls = self.calls()
        self.assertEqual(len(calls), 6)
        for seed in range(3):
            pre, arr = calls[2 * seed], calls[2 * seed + 1]
            self.assertEqual(pre[0], "sbatch")
            self.assertTrue(any(a.endswith("/jobs/pretrain.sbatch") for a in pre), pre)
            self.assertEqual(pre[-3:], ["seed=%d" % seed, "--out",
                                        f"{self.out}/pretrained/seed{seed}.h5"])
            self.assertIn(f"--dependency=afterok:{101 + 2 * seed}", arr)
            self.assertIn("--array=0-5", arr)
            with open(os.path.join(self.out, "tasks", f"seed{seed}.tsv")) as f:
                task_lines = f.read().splitlines()
            self.assertEqual(len(task_lines), 6)
            first = task_lines[0].split("\t")
            self.assertEqual(first[3:6], [f"seed={seed}", "strategy=igm", "budget.total=50"])
            self.assertEqual(first[-4:], ["--out", f"{self.out}/runs/igm_b50_s{seed}.h5",
                                          "--pretrained", f"{self.out}/pretrained/seed{seed}.h5"])
        for sub in ("pretrained", "runs", "logs", "study.yaml"):
            self.assertTrue(os.path.exists(os.path.join(self.out, sub)), sub)

    def test_shared_pretrained_directory_submits_no_pretrain_job(self):
        shared = os.path.join(self.tmp, "ens")
        os.mkdir(shared)
        for seed in (0, 1):
            open(os.path.join(shared, f"seed{seed}.h5"), "w").close()
        text = GOOD.replace("seeds: [0, 1, 2]", "seeds: [0, 1]") + "pretrained: ens\n"
        r = self.run_study(self.study(text))
        self.assertEqual(r.returncode, 0, r.stderr)
        calls = self.calls()
        self.assertEqual(len(calls), 2)  # one array per seed, nothing else
        for seed, arr in enumerate(calls):
            self.assertTrue(any(a.endswith("/jobs/run.sbatch") for a in arr), arr)
            self.assertFalse(any(a.startswith("--dependency") for a in arr), arr)
            with open(os.path.join(self.out, "tasks", f"seed{seed}.tsv")) as f:
                first = f.readline().rstrip("\n").split("\t")
            self.assertEqual(first[-2:], ["--pretrained", f"{shared}/seed{seed}.h5"])
        # The report reads the copy: it names the shared directory by its absolute path.
        with open(os.path.join(self.out, "study.yaml")) as f:
            self.assertIn(f"pretrained: {shared}", f.read())
        # A seed without its file is refused before anything is submitted.
        os.remove(self.log)
        text = GOOD.replace("seeds: [0, 1, 2]", "seeds: [0, 1, 7]") + "pretrained: ens\n"
        r = self.run_study(self.study(text, "seven.yaml"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("field 'pretrained': file not found for seed 7", r.stderr)
        self.assertEqual(self.calls(), [])

    def test_config_list_is_passed_in_order(self):
        with open(os.path.join(self.tmp, "more.yaml"), "w") as f:
            f.write("seed: 1\n")
        text = GOOD.replace("config: base.yaml", "config: [base.yaml, more.yaml]")
        r = self.run_study(self.study(text))
        self.assertEqual(r.returncode, 0, r.stderr)
        pre = self.calls()[0]
        i = pre.index(f"{self.tmp}/base.yaml")
        self.assertEqual(pre[i:i + 4], [f"{self.tmp}/base.yaml", "--config",
                                        f"{self.tmp}/more.yaml", "online.batch_transitions=100"])
        with open(os.path.join(self.out, "tasks", "seed0.tsv")) as f:
            first = f.readline().split("\t")
        self.assertEqual(first[:4], [f"{self.tmp}/base.yaml", "--config", f"{self.tmp}/more.yaml",
                                     "online.batch_transitions=100"])
        with open(os.path.join(self.out, "study.yaml")) as f:
            self.assertIn(f"- {self.tmp}/more.yaml", f.read())
        os.remove(self.log)
        r = self.run_study(self.study(text.replace("more.yaml", "gone.yaml"), "study2.yaml"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("field 'config[1]': file not found", r.stderr)
        self.assertEqual(self.calls(), [])

    def test_the_committed_study_files_are_valid(self):
        sys.path.insert(0, os.path.join(REPO, "jobs"))
        import study_plan

        cfg = os.path.join(REPO, "configs")
        files = [os.path.join(cfg, "study-halfcheetah.yaml")] + sorted(
            os.path.join(cfg, "studies", f) for f in os.listdir(os.path.join(cfg, "studies"))
            if f != "real-variant.yaml")
        self.assertEqual(len(files), 10)
        for f in files:
            st = study_plan.load_study(f, check_files=False)
            for c in st["configs"]:
                self.assertTrue(os.path.isfile(c), (f, c))
            self.assertGreaterEqual(len(st["seeds"]), 5, f)
        main = study_plan.load_study(files[0], check_files=False)
        self.assertEqual(main["strategies"], ["igm", "fixed:1", "fixed:2", "fixed:3", "uniform",
                                              "igm-nothreshold"])
        self.assertEqual(len(main["budgets"]), 3)

    def test_failed_submission_cancels_what_was_submitted(self):
        r = self.run_study(self.study(GOOD), fail_at=3)
        self.assertEqual(r.returncode, 1)
        self.assertIn("Invalid partition", r.stderr)
        self.assertEqual(self.calls()[-1], ["scancel", "101", "102"])

    def assert_refused(self, text, *needles):
        r = self.run_study(self.study(text))
        self.assertEqual(r.returncode, 1, r.stdout)
        err = r.stderr.strip().splitlines()
        self.assertEqual(len(err), 1, r.stderr)
        for n in needles:
            self.assertIn(n, err[0])
        self.assertEqual(self.calls(), [])
        self.assertFalse(os.path.exists(self.out))

    def test_unknown_strategy_is_refused(self):
        self.assert_refused(GOOD.replace('"fixed:2"', "greedy"), "'strategies[1]'", "'greedy'")
        self.assert_refused(GOOD.replace('"fixed:2"', '"fixed:0"'), "'strategies[1]'")

    def test_missing_field_is_refused(self):
        self.assert_refused(GOOD.replace("budgets: [50, 12.5]\n", ""), "'budgets'", "missing")
        self.assert_refused(GOOD.replace("name: demo\n", ""), "'name'", "missing")

    def test_bad_values_are_refused(self):
        self.assert_refused(GOOD.replace("[50, 12.5]", "[50, -1]"), "'budgets[1]'", "positive")
        self.assert_refused(GOOD.replace("[50, 12.5]", "[50, x]"), "'budgets[1]'")
        self.assert_refused(GOOD.replace("[0, 1, 2]", "[0, 1.5]"), "'seeds[1]'")
        self.assert_refused(GOOD.replace("[0, 1, 2]", "[]"), "'seeds'", "non-empty")
        self.assert_refused(GOOD.replace("ranks: 2", "ranks: 0"), "'ranks'")
        self.assert_refused(GOOD.replace("seeds:", "seed:"), "'seed'", "unknown field")
        self.assert_refused(GOOD.replace("base.yaml", "nope.yaml"), "'config'", "not found")
        self.assert_refused(GOOD.replace("offline.steps=10", "seed=4"), "'overrides[1]'")


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
