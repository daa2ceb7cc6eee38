"""Memory and speed of `fit`: no (n, k, d) temporaries; faster than scikit-learn per iteration."""
import time
import tracemalloc

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import emlib
from emlib.benchmark import problem, runner


def test_fit_peak_memory_is_a_few_responsibility_arrays():
    n, d, k = 20_000, 10, 10
    rng = np.random.default_rng(0)
    init = emlib.GMM(np.full(k, 1 / k), rng.uniform(-3, 3, (k, d)), np.broadcast_to(np.eye(d), (k, d, d)))
    emlib.fit(rng.standard_normal((50, d)), init, max_iter=1, tol=0)      # warm up imports, caches
    tracemalloc.start()
    try:
        X = rng.standard_normal((n, d))
        baseline = tracemalloc.get_traced_memory()[0]                     # X itself
        tracemalloc.reset_peak()
        result = emlib.fit(X, init, max_iter=3, tol=0)
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert result.n_iter == 3
    resp_bytes, nkd_bytes = n * k * 8, n * k * d * 8                      # 1.6 MB, 16 MB
    assert peak < 8 * resp_bytes, f"peak {peak / 1e6:.1f} MB"
    assert peak < 0.75 * nkd_bytes, f"peak {peak / 1e6:.1f} MB: an (n, k, d) temporary?"


@pytest.mark.slow
def test_fit_is_at_least_twice_as_fast_as_sklearn_per_iteration():
    iters = 10
    X, init = problem(100_000, d=2, k=5)
    runs = {method: runner(method, X, init, iters) for method in ("emlib", "scikit-learn")}
    best = dict.fromkeys(runs, np.inf)
    with threadpool_limits(limits=1):
        for _ in range(3):                              # interleaved: both see the same load
            for method, run in runs.items():
                start = time.perf_counter()
                run()
                best[method] = min(best[method], (time.perf_counter() - start) / iters)
    assert best["emlib"] <= 0.5 * best["scikit-learn"], (
        f"emlib {best['emlib'] * 1e3:.2f} ms/iteration, scikit-learn {best['scikit-learn'] * 1e3:.2f} ms/iteration"
    )
