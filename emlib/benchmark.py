"""Timing EM side by side: emlib, scikit-learn and the seed's own loop, on the same problem.

Every covariance type can be timed ("full", "tied", "diag", "spherical"): the start's
covariance_type is the fit's, for emlib and scikit-learn alike (the seed's loop knows only "full").

Used by benchmarks/bench_em.py (the full grid), tests/test_performance.py and the scikit-learn
notebook (small sizes).  scikit-learn is imported only when it is timed: it is a test and
notebook dependency, not one of emlib's.  Pin BLAS to one thread around these calls
(threadpoolctl.threadpool_limits(1)) for numbers that compare like with like.
"""
import time
import tracemalloc
import warnings

import numpy as np

from .data import sample
from .em import fit
from .gmm import GMM
from .init import init_kmeanspp
from .seed import em_seed

METHODS = ("emlib", "scikit-learn", "seed")


def problem(n, d, k, seed=0, covariance_type="full"):
    """n points from a random k-component mixture in d dimensions, and a k-means++ start with
    covariances of the structure covariance_type (the same data and means for every type)."""
    rng = np.random.default_rng(seed)
    means = rng.uniform(-10, 10, size=(k, d))
    A = rng.standard_normal((k, d, d))
    X, _ = sample(GMM(np.full(k, 1 / k), means, A @ A.transpose(0, 2, 1) + np.eye(d)), n, rng)
    return X, init_kmeanspp(X, k, rng, covariance_type)


def sklearn_precisions(params):
    """The precisions Sigma_j^-1 of params in the shape scikit-learn takes for its
    covariance_type: (k, d, d) full, (d, d) tied, (k, d) diag, (k,) spherical."""
    covariance_type, precisions = params.covariance_type, np.linalg.inv(params.covariances)
    if covariance_type == "tied":
        return precisions[0]
    if covariance_type == "diag":
        return np.diagonal(precisions, axis1=1, axis2=2).copy()
    if covariance_type == "spherical":
        return precisions[:, 0, 0].copy()
    return precisions


def runner(method, X, init, iters):
    """A function of no arguments that runs `iters` EM iterations (tol=0) by `method`, with the
    covariance structure of init."""
    if method == "emlib":
        return lambda: fit(X, init, max_iter=iters, tol=0)
    if method == "seed":
        if init.covariance_type != "full":
            raise ValueError(f"the seed's loop fits full covariances only, not {init.covariance_type!r}")
        return lambda: em_seed(X, init.weights, init.means, init.covariances,
                               max_iter=iters, tol=-1, verbose=False)
    if method == "scikit-learn":
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.mixture import GaussianMixture

        # The start is given, so no k-means run: with its default init_params="kmeans",
        # scikit-learn would run k-means anyway and time it with EM.
        gm = GaussianMixture(
            n_components=init.k, covariance_type=init.covariance_type, tol=0, reg_covar=0, max_iter=iters,
            weights_init=init.weights, means_init=init.means, precisions_init=sklearn_precisions(init),
            init_params="random_from_data", random_state=0,
        )

        def run():
            with warnings.catch_warnings():  # tol=0 never "converges": that is what we ask for
                warnings.simplefilter("ignore", ConvergenceWarning)
                return gm.fit(X)

        return run
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def times_per_iteration(methods, X, init, iters=10, repeats=3, clock=time.perf_counter):
    """{method: seconds per iteration} for several methods timed in turn, round after round, so
    that all see the same load: the best of `repeats` times of a whole `iters`-iteration fit,
    divided by `iters`.  Their ratio is measured in one run, as fairly as a shared machine allows.

    clock: time.perf_counter (wall time, what a user waits), or time.thread_time (this thread's
    CPU time: under one BLAS thread, threadpoolctl's threadpool_limits(1), all of a fit's work,
    without the time other processes held the core; what a comparison on a busy machine needs).
    """
    runs = {method: runner(method, X, init, iters) for method in methods}
    best = dict.fromkeys(runs, np.inf)
    for _ in range(repeats):
        for method, run in runs.items():
            start = clock()
            run()
            best[method] = min(best[method], clock() - start)
    return {method: seconds / iters for method, seconds in best.items()}


def time_per_iteration(method, X, init, iters=10, repeats=3):
    """Best of `repeats` wall times of a whole `iters`-iteration fit, divided by `iters` (seconds)."""
    return times_per_iteration([method], X, init, iters, repeats)[method]


def peak_memory(method, X, init, iters=3):
    """Peak memory allocated (bytes, as tracemalloc counts numpy's arrays) while `method` runs
    `iters` EM iterations, beyond what was allocated before (X and the start)."""
    run = runner(method, X, init, iters)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        run()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
