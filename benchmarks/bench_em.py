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
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.mixture import GaussianMixture  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import emlib  # noqa: E402
from emlib.data import sample  # noqa: E402
from emlib.seed import em_seed  # noqa: E402


def problem(n, d, k, seed=0):
    """n points from a random k-component mixture in d dimensions, and a k-means++ start."""
    rng = np.random.default_rng(seed)
    means = rng.uniform(-10, 10, size=(k, d))
    A = rng.standard_normal((k, d, d))
    covs = A @ A.transpose(0, 2, 1) + np.eye(d)
    X, _ = sample(emlib.GMM(np.full(k, 1 / k), means, covs), n, rng)
    return X, emlib.init_kmeanspp(X, k, rng)


def best_time(run, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def time_emlib(X, init, iters, repeats):
    return best_time(lambda: emlib.fit(X, init, max_iter=iters, tol=0), repeats) / iters


def time_sklearn(X, init, iters, repeats):
    gm = GaussianMixture(
        n_components=init.k, covariance_type="full", tol=0, reg_covar=0, max_iter=iters,
        weights_init=init.weights, means_init=init.means,
        precisions_init=np.linalg.inv(init.covariances),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return best_time(lambda: gm.fit(X), repeats) / iters


def time_seed(X, init, iters, repeats):
    run = lambda: em_seed(X, init.weights, init.means, init.covariances,  # noqa: E731
                          max_iter=iters, tol=-1, verbose=False)
    return best_time(run, repeats) / iters


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
            t_em = time_emlib(X, init, iters, repeats)
            t_sk = time_sklearn(X, init, iters, repeats)
            slowest_ratio = min(slowest_ratio, t_sk / t_em)
            if args.no_seed or n > 100_000:
                seed_cols = f"{'-':>9} | {t_sk / t_em:8.2f} {'-':>10}"
            else:
                t_seed = time_seed(X, init, 3 if n == 100_000 else iters, 1 if n == 100_000 else repeats)
                seed_cols = f"{t_seed * 1e3:9.2f} | {t_sk / t_em:8.2f} {t_seed / t_em:10.1f}"
            print(f"{n:>9} {d:>3} {k:>3} | {t_em * 1e3:9.3f} {t_sk * 1e3:10.3f} {seed_cols}", flush=True)
    print(f"\nscikit-learn's time / emlib's time, smallest over the grid: {slowest_ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
