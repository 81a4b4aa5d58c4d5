#!/usr/bin/python3
"""Stand-in for the mfhrl binary with its command-line and run-file contract, for job tests.

  fake_mfhrl.py run --config F [key=value ...] --out RUN.h5 [--pretrained P] [--resume RUN.h5]
  fake_mfhrl.py pretrain --config F [key=value ...] --out PRE.h5

Writes the run file of analysis/make_fake_study.py (strategy igm or fixed:3). Extra keys:
  fake.wait_at=N   after round N write RUN.h5.waiting and block until USR1/TERM (60 s at most),
                   then checkpoint (finished=0, N rounds) and exit 0, like mfhrl on a signal;
  fake.fail=1      exit 1 with one error line.
Every invocation appends its argv to RUN.h5.calls so tests can check --resume was passed.
"""
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "analysis"))
import make_fake_study as fake  # noqa: E402


def parse(argv):
    opts, kv, i = {}, {}, 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("--"):
            if i + 1 >= len(argv):
                sys.exit(f"mfhrl: error: {a} needs a value")
            opts[a[2:]] = argv[i + 1]
            i += 2
        elif "=" in a:
            k, v = a.split("=", 1)
            kv[k] = v
            i += 1
        else:
            sys.exit(f"mfhrl: error: unexpected argument '{a}'")
    return opts, kv


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "pretrain"):
        sys.exit("mfhrl: error: expected command run or pretrain")
    cmd = sys.argv[1]
    opts, kv = parse(sys.argv[2:])
    if "config" not in opts or not os.path.isfile(opts["config"]):
        sys.exit(f"mfhrl: error: --config: file not found: {opts.get('config')}")
    if "out" not in opts:
        sys.exit("mfhrl: error: --out is required")
    out = opts["out"]
    with open(out + ".calls", "a") as f:
        f.write(" ".join(sys.argv[1:]) + "\n")
    if kv.get("fake.fail") == "1":
        sys.exit("mfhrl: error: failing on purpose (fake.fail=1)")
    if cmd == "pretrain":
        import h5py

        with h5py.File(out, "w") as f:
            f.attrs["seed"] = int(kv.get("seed", 0))
        return 0
    if "pretrained" in opts and not os.path.isfile(opts["pretrained"]):
        sys.exit(f"mfhrl: error: --pretrained: file not found: {opts['pretrained']}")
    strategy = kv.get("strategy", "igm")
    budget = float(kv.get("budget.total", 10))
    seed = int(kv.get("seed", 0))
    if strategy not in fake.BASE:
        sys.exit(f"mfhrl: error: strategy: fake supports {list(fake.BASE)}, got '{strategy}'")
    wait_at = int(kv.get("fake.wait_at", 0))
    done = 0
    if "resume" in opts:
        import h5py

        with h5py.File(opts["resume"], "r") as f:
            done = int(f.attrs["rounds_completed"])
    if wait_at > done:
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1, signal.SIGTERM])
        fake.write_run_file(out, strategy, budget, seed, rounds=wait_at, finished=False)
        open(out + ".waiting", "w").close()
        got = signal.sigtimedwait([signal.SIGUSR1, signal.SIGTERM], 60)
        if got is None:
            sys.exit("mfhrl: error: fake.wait_at: no signal within 60 s")
        print(f"mfhrl: signal {got.si_signo}: checkpointed after round {wait_at}", flush=True)
        return 0
    fake.write_run_file(out, strategy, budget, seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
