"""Asserts that run files are bit-identical in trace (except wall_seconds) and final policies.

usage: compare_runs.py A.h5 B.h5 [C.h5 ...]; run with Debian's /usr/bin/python3.
"""
import sys

import h5py
import numpy as np


def datasets(group, prefix=""):
    out = {}
    for k, v in group.items():
        if isinstance(v, h5py.Group):
            out.update(datasets(v, prefix + k + "/"))
        else:
            out[prefix + k] = v[()]
    return out


def load(path):
    with h5py.File(path, "r") as f:
        trace = datasets(f["trace"])
        trace.pop("wall_seconds")
        return trace, datasets(f["policies"])


def main():
    ref_trace, ref_pol = load(sys.argv[1])
    for other in sys.argv[2:]:
        trace, pol = load(other)
        for name, blobs in (("trace", (ref_trace, trace)), ("policies", (ref_pol, pol))):
            a, b = blobs
            if sorted(a) != sorted(b):
                print("compare_runs: FAIL: %s keys differ in %s" % (name, other))
                sys.exit(1)
            for k in a:
                x, y = np.asarray(a[k]), np.asarray(b[k])
                if x.shape != y.shape or x.tobytes() != y.tobytes():
                    print("compare_runs: FAIL: %s/%s differs between %s and %s" %
                          (name, k, sys.argv[1], other))
                    sys.exit(1)
    print("compare_runs: OK, %d files bit-identical (%d trace columns, %d policy tensors)" %
          (len(sys.argv) - 1, len(ref_trace), len(ref_pol)))


main()
