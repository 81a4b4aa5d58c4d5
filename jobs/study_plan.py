#!/usr/bin/python3
"""Validates a study file and submits (or prints) its Slurm jobs; used by jobs/study.sh.

A study is seeds x strategies x budgets runs of `mfhrl run` on one config. Per seed one
`mfhrl pretrain` job, then one job array over strategies x budgets that starts after it
(--dependency=afterok). The whole file is checked before anything is submitted.

Study directory layout (STUDY_DIR = out_dir):
  STUDY_DIR/study.yaml                      copy of the study file (analysis/report.py reads it)
  STUDY_DIR/pretrained/seed<S>.h5           offline phase of seed S
  STUDY_DIR/runs/<strategy>_b<budget>_s<S>.h5   one run file per run (fixed:2 -> fixed-2)
  STUDY_DIR/tasks/seed<S>.tsv               one line per array task: the arguments of run.sbatch
  STUDY_DIR/logs/                           Slurm output of every job

With `pretrained: DIR` (for example another study's STUDY_DIR/pretrained) the study submits no
pretrain job: seed S's runs start at once from DIR/seed<S>.h5, which must exist. Studies that
differ only in online keys (ablations of the threshold or the history) then share one ensemble
per seed. A relative DIR is taken from the directory jobs/study.sh runs in (as the default
out_dir, ./studies/<name>), so `pretrained: studies/cheetah-claim/pretrained` names the main
study's ensembles.

Relative paths in the study file (config, out_dir) are relative to the study file's directory.
analysis/report.py imports this module for load_study() and run_path() so both agree.
"""
import math
import os
import re
import shlex
import shutil
import subprocess
import sys

STRATEGIES = ("igm", "uniform", "igm-nothreshold")
FIELDS = ("name", "config", "seeds", "strategies", "budgets", "ranks", "time", "partition",
          "overrides", "out_dir", "pretrained")
REQUIRED = ("name", "config", "seeds", "strategies", "budgets")
# The study sets these per run; an override would silently make every run the same.
RESERVED_KEYS = ("seed", "strategy", "budget.total")


class StudyError(Exception):
    """Bad study file: the message names the file, the field and what was expected."""


def _fail(path, field, what):
    raise StudyError(f"{path}: field '{field}': {what}")


def _check_strategy(path, i, s):
    if not isinstance(s, str):
        _fail(path, f"strategies[{i}]", f"expected a string, got {s!r}")
    if s in STRATEGIES:
        return
    m = re.fullmatch(r"fixed:(\d+)", s)
    if m and int(m.group(1)) >= 1:
        return
    _fail(path, f"strategies[{i}]",
          f"unknown strategy '{s}' (expected igm, uniform, igm-nothreshold or fixed:<k>, k >= 1)")


def _is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def _check_list(path, raw, field):
    v = raw[field]
    if not isinstance(v, list) or not v:
        _fail(path, field, f"expected a non-empty list, got {v!r}")
    if len(set(map(repr, v))) != len(v):
        _fail(path, field, f"has duplicate entries: {v!r}")
    return v


def load_study(path, check_files=True):
    """Reads and validates a study file; returns a dict with every field filled in."""
    import yaml  # late: the error for a missing python3-yaml names the study step

    try:
        with open(path) as f:
            raw = yaml.safe_load(f)
    except OSError as e:
        raise StudyError(f"{path}: cannot read study file: {e.strerror}")
    except yaml.YAMLError as e:
        raise StudyError(f"{path}: not valid YAML: {e}")
    if not isinstance(raw, dict):
        raise StudyError(f"{path}: expected a mapping with fields {', '.join(REQUIRED)}")
    for key in raw:
        if key not in FIELDS:
            _fail(path, key, f"unknown field (expected one of {', '.join(FIELDS)})")
    for key in REQUIRED:
        if key not in raw:
            _fail(path, key, "missing (required)")
    base = os.path.dirname(os.path.abspath(path))
    st = {}

    name = raw["name"]
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        _fail(path, "name", f"expected a word of letters, digits, '_', '.', '-', got {name!r}")
    st["name"] = name

    # One config file, or a list merged in order (mfhrl --config A --config B: B's keys win).
    cfgs = raw["config"]
    listed = isinstance(cfgs, list)
    if not listed:
        cfgs = [cfgs]
    if not cfgs:
        _fail(path, "config", "expected a config file or a non-empty list of them, got []")
    st["configs"] = []
    for i, cfg in enumerate(cfgs):
        field = f"config[{i}]" if listed else "config"
        if not isinstance(cfg, str) or not cfg:
            _fail(path, field, f"expected a path to an mfhrl config file, got {cfg!r}")
        cfg = os.path.normpath(os.path.join(base, cfg))
        if check_files and not os.path.isfile(cfg):
            _fail(path, field, f"file not found: {cfg}")
        st["configs"].append(cfg)

    seeds = _check_list(path, raw, "seeds")
    for i, s in enumerate(seeds):
        if not _is_int(s) or s < 0:
            _fail(path, f"seeds[{i}]", f"expected a non-negative integer, got {s!r}")
    st["seeds"] = seeds

    strategies = _check_list(path, raw, "strategies")
    for i, s in enumerate(strategies):
        _check_strategy(path, i, s)
    st["strategies"] = strategies

    budgets = _check_list(path, raw, "budgets")
    for i, b in enumerate(budgets):
        if isinstance(b, bool) or not isinstance(b, (int, float)) or not math.isfinite(b) or b <= 0:
            _fail(path, f"budgets[{i}]", f"expected a positive number, got {b!r}")
    st["budgets"] = budgets

    ranks = raw.get("ranks", 1)
    if not _is_int(ranks) or ranks < 1:
        _fail(path, "ranks", f"expected a positive integer, got {ranks!r}")
    st["ranks"] = ranks

    for key in ("time", "partition"):
        v = raw.get(key)
        if v is not None and (not isinstance(v, (str, int)) or isinstance(v, bool) or
                              not re.fullmatch(r"[A-Za-z0-9_:.-]+", str(v))):
            _fail(path, key, f"expected a Slurm {key} such as "
                  f"{'01:00:00' if key == 'time' else 'batch'}, got {v!r}")
        st[key] = None if v is None else str(v)

    overrides = raw.get("overrides", [])
    if not isinstance(overrides, list):
        _fail(path, "overrides", f"expected a list of key=value strings, got {overrides!r}")
    for i, o in enumerate(overrides):
        if not isinstance(o, str) or not re.fullmatch(r"[A-Za-z0-9_.\[\]]+=.*", o):
            _fail(path, f"overrides[{i}]", f"expected key=value, got {o!r}")
        if o.split("=", 1)[0] in RESERVED_KEYS:
            _fail(path, f"overrides[{i}]", f"'{o}' is set by the study itself "
                  "(use seeds, strategies, budgets)")
    st["overrides"] = overrides

    out = raw.get("out_dir")
    if out is not None and (not isinstance(out, str) or not out):
        _fail(path, "out_dir", f"expected a directory path, got {out!r}")
    st["out_dir"] = os.path.normpath(os.path.join(base, out)) if out else \
        os.path.join(os.getcwd(), "studies", name)

    pre = raw.get("pretrained")
    if pre is not None and (not isinstance(pre, str) or not pre):
        _fail(path, "pretrained", f"expected a directory of seed<S>.h5 files, got {pre!r}")
    # Relative to the directory jobs/study.sh runs in, like the default out_dir: both name a
    # study's outputs, not files beside the study file.
    st["pretrained"] = os.path.normpath(os.path.join(os.getcwd(), pre)) if pre else None
    if pre and check_files:
        for seed in seeds:
            f = os.path.join(st["pretrained"], f"seed{seed}.h5")
            if not os.path.isfile(f):
                _fail(path, "pretrained", f"file not found for seed {seed}: {f}")
    return st


def format_budget(b):
    """Budget as written in file names: 10.0 -> '10', 2.5 -> '2.5'."""
    return str(int(b)) if float(b).is_integer() else repr(float(b))


def run_name(strategy, budget, seed):
    """File stem of one run: fixed:2, 10, 0 -> 'fixed-2_b10_s0'."""
    return f"{strategy.replace(':', '-')}_b{format_budget(budget)}_s{seed}"


def run_path(study_dir, strategy, budget, seed):
    """Run file of one run inside a study directory."""
    return os.path.join(study_dir, "runs", run_name(strategy, budget, seed) + ".h5")


def pretrained_path(study_dir, seed, shared=None):
    """Offline-phase file of one seed: in the study directory, or in the shared directory."""
    return os.path.join(shared or os.path.join(study_dir, "pretrained"), f"seed{seed}.h5")


def expected_runs(st, study_dir=None):
    """Every (strategy, budget, seed, path) the study asks for, in submission order."""
    d = study_dir or st["out_dir"]
    return [(s, b, seed, run_path(d, s, b, seed))
            for seed in st["seeds"] for s in st["strategies"] for b in st["budgets"]]


def _common_opts(st, ntasks):
    opts = [f"--ntasks={ntasks}"]
    if st["time"]:
        opts.append(f"--time={st['time']}")
    if st["partition"]:
        opts.append(f"--partition={st['partition']}")
    return opts


def _config_args(st):
    """CONFIG [--config MORE ...]: the first file is the sbatch scripts' CONFIG argument."""
    return [st["configs"][0], *(a for c in st["configs"][1:] for a in ("--config", c))]


def plan(st, jobs_dir):
    """Per seed: (pretrain argv, task lines, array argv with '{dep}' for the pretrain job id).

    With a shared pretrained directory the pretrain argv is None and the array has no dependency.
    """
    d = st["out_dir"]
    logs = os.path.join(d, "logs")
    out = []
    shared = st["pretrained"]
    for seed in st["seeds"]:
        pre = pretrained_path(d, seed, shared)
        pre_cmd = None if shared else [
            "sbatch", "--parsable", f"--job-name={st['name']}-pre-s{seed}",
            f"--output={logs}/%x_%j.out", *_common_opts(st, st["ranks"]),
            os.path.join(jobs_dir, "pretrain.sbatch"), *_config_args(st), *st["overrides"],
            f"seed={seed}", "--out", pre]
        tasks = []
        for s in st["strategies"]:
            for b in st["budgets"]:
                tasks.append([*_config_args(st), *st["overrides"], f"seed={seed}", f"strategy={s}",
                              f"budget.total={b}", "--out", run_path(d, s, b, seed),
                              "--pretrained", pre])
        task_file = os.path.join(d, "tasks", f"seed{seed}.tsv")
        arr_cmd = ["sbatch", "--parsable", f"--job-name={st['name']}-s{seed}",
                   f"--array=0-{len(tasks) - 1}",
                   *([] if shared else ["--dependency=afterok:{dep}"]),
                   f"--output={logs}/%x_%A_%a.out", *_common_opts(st, st["ranks"]),
                   os.path.join(jobs_dir, "run.sbatch"), "--tasks", task_file]
        out.append((pre_cmd, task_file, tasks, arr_cmd))
    return out


def _show(argv):
    return " ".join(shlex.quote(a) for a in argv)


def _sbatch(argv):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise StudyError(f"sbatch failed ({r.returncode}): {r.stderr.strip()}\n  {_show(argv)}")
    # --parsable prints "jobid" or "jobid;cluster".
    return r.stdout.strip().split(";")[0]


def submit(st, study_path, jobs_dir, dry_run):
    """Prints and (unless dry_run) runs every sbatch command; cancels all if one fails."""
    steps = plan(st, jobs_dir)
    if dry_run:
        for seed, (pre_cmd, task_file, tasks, arr_cmd) in zip(st["seeds"], steps):
            if pre_cmd:
                print(_show(pre_cmd))
            arr = [a.replace("{dep}", f"<pretrain-s{seed}>") for a in arr_cmd]
            print(_show(arr))
            for i, t in enumerate(tasks):
                print(f"#   task {i}: {_show(t)}")
        n = sum(len(t[2]) for t in steps)
        n_pre = sum(1 for t in steps if t[0])
        print(f"# dry run: {n_pre} pretrain jobs, {len(steps)} arrays, {n} runs "
              f"into {st['out_dir']}; nothing submitted")
        return
    d = st["out_dir"]
    for sub in ("pretrained", "runs", "tasks", "logs"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    if os.path.abspath(study_path) != os.path.join(d, "study.yaml"):
        _write_study_copy(st, study_path, os.path.join(d, "study.yaml"))
    submitted = []
    try:
        for pre_cmd, task_file, tasks, arr_cmd in steps:
            with open(task_file, "w") as f:
                for t in tasks:
                    f.write("\t".join(t) + "\n")
            arr = arr_cmd
            if pre_cmd:
                print(_show(pre_cmd), flush=True)
                pre_id = _sbatch(pre_cmd)
                submitted.append(pre_id)
                arr = [a.replace("{dep}", pre_id) for a in arr_cmd]
            print(_show(arr), flush=True)
            submitted.append(_sbatch(arr))
    except StudyError:
        if submitted:
            subprocess.run(["scancel", *submitted])
            print(f"study: cancelled already submitted jobs {' '.join(submitted)}",
                  file=sys.stderr)
        raise
    print(f"study: submitted {len(submitted)} jobs into {d}")


def _write_study_copy(st, src, dst):
    # The copy holds resolved absolute paths so the study dir is readable from anywhere.
    import yaml

    with open(src) as f:
        raw = yaml.safe_load(f)
    raw["config"] = st["configs"] if len(st["configs"]) > 1 else st["configs"][0]
    raw["out_dir"] = st["out_dir"]
    if st["pretrained"]:
        raw["pretrained"] = st["pretrained"]
    with open(dst, "w") as f:
        f.write(f"# copy of {os.path.abspath(src)} written by jobs/study.sh\n")
        yaml.safe_dump(raw, f, sort_keys=False)


def main(argv):
    args = argv[1:]
    dry_run = "--dry-run" in args
    args = [a for a in args if a != "--dry-run"]
    if len(args) != 1:
        print("usage: jobs/study.sh [--dry-run] STUDY.yaml", file=sys.stderr)
        return 2
    jobs_dir = os.path.dirname(os.path.abspath(__file__))
    try:
        st = load_study(args[0])
        if not dry_run and shutil.which("sbatch") is None:
            raise StudyError("sbatch not found on PATH (load Slurm or run scripts/slurm-local.sh)")
        submit(st, args[0], jobs_dir, dry_run)
    except StudyError as e:
        print(f"study: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
