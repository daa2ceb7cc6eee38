"""Memory and speed of `fit`: no (n, k, d) temporaries, half scikit-learn's memory at most, and
several times faster than scikit-learn per iteration (issue 12's targets, with room for load),
for every covariance type (issue 13)."""
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import emlib
from emlib.benchmark import peak_memory, problem, times_per_iteration

#: The comparisons with scikit-learn time CPU, not wall time, under one BLAS thread: the other
#: test worker's bursts of load (Chromium's) once took the core from emlib's runs alone and
#: measured it at 0.55 of scikit-learn's time where it takes 0.20-0.25.
CPU = time.thread_time


def test_fit_peak_memory_is_a_few_responsibility_arrays():
    n, d, k = 20_000, 10, 10
    rng = np.random.default_rng(0)
    init = emlib.GMM(np.full(k, 1 / k), rng.uniform(-3, 3, (k, d)), np.broadcast_to(np.eye(d), (k, d, d)))
    emlib.fit(rng.standard_normal((50, d)), init, max_iter=1, tol=0)      # warm up imports, caches
    X = rng.standard_normal((n, d))
    peak = peak_memory("emlib", X, init, iters=3)
    resp_bytes, nkd_bytes = n * k * 8, n * k * d * 8                      # 1.6 MB, 16 MB
    assert peak < 8 * resp_bytes, f"peak {peak / 1e6:.1f} MB"
    assert peak < 0.75 * nkd_bytes, f"peak {peak / 1e6:.1f} MB: an (n, k, d) temporary?"


def test_fit_peak_memory_is_at_most_half_of_sklearns():
    # The target at n = 1e6 (emlib 100 MiB, scikit-learn 275 MiB); the same shape at 2e5.
    X, init = problem(200_000, d=10, k=3)
    peaks = {method: peak_memory(method, X, init, iters=3) for method in ("emlib", "scikit-learn")}
    assert peaks["emlib"] <= 0.5 * peaks["scikit-learn"], {m: f"{p / 2**20:.1f} MiB" for m, p in peaks.items()}


@pytest.mark.slow
@pytest.mark.parametrize("d, k, bound", [(2, 5, 0.3), (10, 10, 0.65)])
def test_fit_is_several_times_faster_than_sklearn_per_iteration(d, k, bound):
    # Issue 12 asks for <= 0.20 and <= 0.50 at n = 100 000.  Measured here, five runs each while
    # other work loaded the machine (load 5-7): at n = 100 000, 0.09-0.10 (d=2, k=5) and 0.19-0.30
    # (d=10, k=10); at n = 50 000, the n timed here (half the time), 0.10-0.13 and 0.22-0.29.
    # The bounds leave room for load.  Timed as CPU, 5 iterations, best of 2 (a third of the time
    # of 10, best of 3, which gave 0.11 and 0.23 idle): 0.13 and 0.25-0.27, the fit's fixed costs
    # spread over fewer iterations.
    X, init = problem(50_000, d=d, k=k)
    with threadpool_limits(limits=1):
        t = times_per_iteration(["emlib", "scikit-learn"], X, init, iters=5, repeats=2, clock=CPU)
    assert t["emlib"] <= bound * t["scikit-learn"], (
        f"emlib {t['emlib'] * 1e3:.2f} ms/iteration, scikit-learn {t['scikit-learn'] * 1e3:.2f} ms/iteration"
    )


@pytest.mark.slow
@pytest.mark.parametrize("covariance_type, d, k, bound", [
    ("tied", 2, 5, 0.35), ("tied", 10, 10, 0.7),
    ("diag", 2, 5, 0.35), ("diag", 10, 10, 0.5),
    ("spherical", 2, 5, 0.35), ("spherical", 10, 10, 0.5),
])
def test_fit_of_each_covariance_type_is_faster_than_sklearns(covariance_type, d, k, bound):
    # Issue 13: each covariance type faster than scikit-learn's GaussianMixture of the same type,
    # same data, start and iterations.  Measured here at n = 50 000, three runs while other work
    # loaded the machine (d=2, k=5 / d=10, k=10): tied 0.12-0.15 / 0.33-0.35, diag 0.10-0.16 /
    # 0.15-0.19, spherical 0.10-0.12 / 0.20-0.25 (at n = 100 000: tied up to 0.47 for d=10).
    # Without the diagonal structures' own sums (the full whitening and two-pass scatter
    # instead) diag and spherical took 0.61-0.73 for d=10.  The bounds leave room for load.
    # Timed as CPU, 5 iterations (10 gave, idle, for d=10: tied 0.34, diag 0.17, spherical 0.16;
    # 5 give 0.33, 0.20-0.21, 0.19).
    X, init = problem(50_000, d=d, k=k, covariance_type=covariance_type)
    with threadpool_limits(limits=1):
        t = times_per_iteration(["emlib", "scikit-learn"], X, init, iters=5, repeats=2, clock=CPU)
    assert t["emlib"] <= bound * t["scikit-learn"], (
        f"{covariance_type}: emlib {t['emlib'] * 1e3:.2f} ms/iteration, "
        f"scikit-learn {t['scikit-learn'] * 1e3:.2f} ms/iteration"
    )


def test_a_small_fit_takes_no_longer_with_blas_threads():
    # OpenBLAS wakes its threads for LAPACK calls however small: one triangular solve (trtrs) per
    # component per E-step took ~1.5 ms with 2 threads on a busy 2-core machine against ~10 us with
    # one, and made a notebook's fits on 300 points 40 times slower (lesson 09: 50 s instead of
    # 1 s).  The E-step now inverts the factors in numpy (emlib._blocked.inverse_factors).
    from emlib import data
    X, _ = data.seed_data()
    init = data.seed_initial_params()

    def fit_time(threads):
        with threadpool_limits(limits=threads):
            return timeit(lambda: emlib.fit(X, init, max_iter=30, tol=0))
    # Alternated, best of 15 each: the other worker's load comes in bursts of a fraction of a
    # second, which hit five fits in a row (two times once came out 3.1 times one's under it).
    one, two = np.array([(fit_time(1), fit_time(2)) for _ in range(15)]).min(axis=0)
    assert two <= 3 * one, f"30 iterations on 300 points: {one * 1e3:.1f} ms with 1 BLAS thread, {two * 1e3:.1f} ms with 2"


def timeit(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
