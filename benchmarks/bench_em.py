"""Time per EM iteration: emlib against scikit-learn and the seed's own loop, side by side.

    python benchmarks/bench_em.py            # the full grid (several minutes)
    python benchmarks/bench_em.py --quick    # n up to 1e4 only

Same data, same starting parameters and the same number of iterations (tol=0) for all three,
one BLAS thread.  Each time is the best of several repeats of a whole fit, divided by its number
of iterations.  The seed's loop is slow, so it is timed on at most 1e5 points (and fewer
iterations); "-" marks what was not run.
"""
import argparse
import itertools
import os
import sys
import time
import warnings

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from emlib.benchmark import problem, time_per_iteration  # noqa: E402


def grid(quick):
    ns = [1_000, 10_000] if quick else [1_000, 10_000, 100_000, 1_000_000]
    return itertools.product(ns, [2, 10], [3, 10])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only n = 1e3 and 1e4")
    parser.add_argument("--no-seed", action="store_true", help="skip the seed's loop")
    args = parser.parse_args(argv)
    header = f"{'n':>9} {'d':>3} {'k':>3} | {'emlib ms':>9} {'sklearn ms':>10} {'seed ms':>9} | {'sk/emlib':>8} {'seed/emlib':>10}"
    print(header)
    print("-" * len(header))
    slowest_ratio = np.inf
    with threadpool_limits(limits=1):
        for n, d, k in grid(args.quick):
            X, init = problem(n, d, k)
            iters = 20 if n <= 100_000 else 5
            repeats = 5 if n <= 10_000 else 3 if n <= 100_000 else 1
            t_em = time_per_iteration("emlib", X, init, iters, repeats)
            t_sk = time_per_iteration("scikit-learn", X, init, iters, repeats)
            slowest_ratio = min(slowest_ratio, t_sk / t_em)
            if args.no_seed or n > 100_000:
                seed_cols = f"{'-':>9} | {t_sk / t_em:8.2f} {'-':>10}"
            else:
                t_seed = time_per_iteration("seed", X, init, 3 if n == 100_000 else iters,
                                            1 if n == 100_000 else repeats)
                seed_cols = f"{t_seed * 1e3:9.2f} | {t_sk / t_em:8.2f} {t_seed / t_em:10.1f}"
            print(f"{n:>9} {d:>3} {k:>3} | {t_em * 1e3:9.3f} {t_sk * 1e3:10.3f} {seed_cols}", flush=True)
    print(f"\nscikit-learn's time / emlib's time, smallest over the grid: {slowest_ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
