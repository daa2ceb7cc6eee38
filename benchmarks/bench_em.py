"""Time per EM iteration: emlib against scikit-learn and the seed's own loop, side by side.

    python benchmarks/bench_em.py            # the full grid (several minutes)
    python benchmarks/bench_em.py --quick    # n up to 1e4 only
    python benchmarks/bench_em.py --types    # only the second table (the other covariance types)

Same data, same starting parameters and the same number of iterations (tol=0) for all three,
one BLAS thread.  Each time is the best of several repeats of a whole fit, divided by its number
of iterations; the methods take turns, round after round, so that the ratios printed for each
size are measured in the same run under the same load.  The seed's loop is slow, so it is timed
on at most 1e5 points (and fewer iterations); "-" marks what was not run.  Then the peak memory
of a fit of 1e6 points (d = 10, k = 3; 1e5 with --quick), emlib against scikit-learn.

The first table fits full covariances; the second each other covariance type ("tied", "diag",
"spherical"), emlib against scikit-learn's GaussianMixture(covariance_type=...) from the same
start, on the same data (n up to 1e5; 1e4 with --quick).
"""
import argparse
import itertools
import os
import sys

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

from threadpoolctl import threadpool_limits  # noqa: E402

from emlib.benchmark import peak_memory, problem, time_per_iteration, times_per_iteration  # noqa: E402

OTHER_TYPES = ("tied", "diag", "spherical")


def grid(quick, largest=1_000_000):
    ns = [n for n in (1_000, 10_000, 100_000, 1_000_000) if n <= (10_000 if quick else largest)]
    return itertools.product(ns, [2, 10], [3, 10])


def repeats_for(n):
    return 7 if n <= 10_000 else 5 if n <= 100_000 else 2


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only n = 1e3 and 1e4")
    parser.add_argument("--no-seed", action="store_true", help="skip the seed's loop")
    parser.add_argument("--types", action="store_true", help="only the other covariance types")
    args = parser.parse_args(argv)
    with threadpool_limits(limits=1):
        if not args.types:
            full_table(args)
        types_table(args)
    return 0


def full_table(args):
    header = (f"{'n':>9} {'d':>3} {'k':>3} | {'emlib ms':>9} {'sklearn ms':>10} {'seed ms':>9} | "
              f"{'emlib/sk':>8} {'emlib/seed':>10}")
    print(header)
    print("-" * len(header))
    largest_ratio = 0.0
    for n, d, k in grid(args.quick):
        X, init = problem(n, d, k)
        iters = 20 if n <= 100_000 else 5
        repeats = repeats_for(n)
        t = times_per_iteration(["emlib", "scikit-learn"], X, init, iters, repeats)
        ratio = t["emlib"] / t["scikit-learn"]
        largest_ratio = max(largest_ratio, ratio)
        if args.no_seed or n > 100_000:
            seed_cols = f"{'-':>9} | {ratio:8.2f} {'-':>10}"
        else:
            t_seed = time_per_iteration("seed", X, init, 3 if n == 100_000 else iters,
                                        1 if n == 100_000 else repeats)
            seed_cols = f"{t_seed * 1e3:9.2f} | {ratio:8.2f} {t['emlib'] / t_seed:10.2f}"
        print(f"{n:>9} {d:>3} {k:>3} | {t['emlib'] * 1e3:9.3f} {t['scikit-learn'] * 1e3:10.3f} {seed_cols}",
              flush=True)
    print(f"\nemlib's time / scikit-learn's time, largest over the grid: {largest_ratio:.2f}")
    n = 100_000 if args.quick else 1_000_000
    X, init = problem(n, 10, 3)
    peaks = {method: peak_memory(method, X, init) for method in ("emlib", "scikit-learn")}
    print(f"peak memory of a fit, n = {n}, d = 10, k = 3 (X itself {X.nbytes / 2**20:.0f} MiB): "
          f"emlib {peaks['emlib'] / 2**20:.0f} MiB, scikit-learn {peaks['scikit-learn'] / 2**20:.0f} MiB "
          f"(emlib/sk {peaks['emlib'] / peaks['scikit-learn']:.2f})\n")


def types_table(args):
    """emlib against scikit-learn for each covariance type other than "full", same data and start."""
    header = f"{'type':>9} {'n':>9} {'d':>3} {'k':>3} | {'emlib ms':>9} {'sklearn ms':>10} | {'emlib/sk':>8}"
    print(header)
    print("-" * len(header))
    largest = dict.fromkeys(OTHER_TYPES, 0.0)
    for covariance_type in OTHER_TYPES:
        for n, d, k in grid(args.quick, largest=100_000):
            X, init = problem(n, d, k, covariance_type=covariance_type)
            t = times_per_iteration(["emlib", "scikit-learn"], X, init, 20, repeats_for(n))
            ratio = t["emlib"] / t["scikit-learn"]
            largest[covariance_type] = max(largest[covariance_type], ratio)
            print(f"{covariance_type:>9} {n:>9} {d:>3} {k:>3} | {t['emlib'] * 1e3:9.3f} "
                  f"{t['scikit-learn'] * 1e3:10.3f} | {ratio:8.2f}", flush=True)
    print("\nemlib's time / scikit-learn's time, largest over the grid: "
          + ", ".join(f"{kind} {ratio:.2f}" for kind, ratio in largest.items()))


if __name__ == "__main__":
    sys.exit(main())
