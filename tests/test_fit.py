"""The EM loop: against scikit-learn, against the seed's printed output, its bookkeeping and
stopping rule, the M-step by hand, and the initialisations."""
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

import emlib
from emlib import GMM
from emlib.data import seed_data, seed_initial_params
from emlib.seed import original_seed, run_seed, seed_output, seed_script


def random_3d_problem():
    """500 points from a 3-D, 3-component mixture with non-identity covariances, and a start."""
    rng = np.random.default_rng(3)
    A = rng.standard_normal((3, 3, 3))
    covs = A @ A.transpose(0, 2, 1) + 0.5 * np.eye(3)
    means = np.array([[0.0, 0.0, 0.0], [4.0, 1.0, -2.0], [-3.0, 4.0, 2.0]])
    X = np.vstack([rng.multivariate_normal(m, c, size) for m, c, size in zip(means, covs, [200, 180, 120])])
    B = rng.standard_normal((3, 3, 3))
    init = GMM([0.2, 0.3, 0.5], means + rng.normal(0, 1.0, means.shape),
               B @ B.transpose(0, 2, 1) + np.eye(3))
    return X, init


def sklearn_fit(X, init, max_iter):
    gm = GaussianMixture(
        n_components=init.k, covariance_type="full", reg_covar=0, tol=0, max_iter=max_iter,
        weights_init=init.weights, means_init=init.means,
        precisions_init=np.linalg.inv(init.covariances), random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return gm.fit(X)


PROBLEMS = {
    "seed": lambda: (seed_data()[0], seed_initial_params()),
    "random-3d": random_3d_problem,
}


# ---------------------------------------------------------------------------------------
# (a) scikit-learn
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("problem", PROBLEMS)
def test_fit_matches_sklearn(problem):
    X, init = PROBLEMS[problem]()
    result = emlib.fit(X, init, tol=0, reg_covar=0, max_iter=20)
    sk = sklearn_fit(X, init, max_iter=20)
    np.testing.assert_allclose(result.params.weights, sk.weights_, rtol=1e-6)
    np.testing.assert_allclose(result.params.means, sk.means_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(result.params.covariances, sk.covariances_, rtol=1e-6, atol=1e-9)
    # sklearn's lower_bound_: mean log-likelihood of the parameters ENTERING the last iteration.
    n = len(X)
    assert result.log_likelihoods[-2] / n == pytest.approx(sk.lower_bound_, rel=1e-8)
    np.testing.assert_allclose(result.log_likelihoods[:-1] / n, sk.lower_bounds_, rtol=1e-8)


# ---------------------------------------------------------------------------------------
# (b) the seed
# ---------------------------------------------------------------------------------------
def parse_seed_output(text):
    """The seed's printed final weights (k,), means (k, d) and covariances (k, d, d)."""
    def numbers(start, end):
        block = text[text.index(start) + len(start): text.index(end) if end else None]
        return np.array([float(x) for x in re.findall(r"-?\d+\.\d*(?:e[-+]?\d+)?", block)])

    weights = numbers("Final weights:", "Final means:")
    k = weights.size
    means = numbers("Final means:", "Final covariances:").reshape(k, -1)
    d = means.shape[1]
    covariances = numbers("Final covariances:", None).reshape(k, d, d)
    return weights, means, covariances


def test_seed_output_is_parsed_as_three_components():
    text = seed_output()
    weights, means, covariances = parse_seed_output(text)
    assert weights.shape == (3,) and means.shape == (3, 2) and covariances.shape == (3, 2, 2)
    assert "Converged at iteration 16" in text                    # 17 M-steps, counted from 0


def test_fit_reproduces_the_seeds_printed_result():
    weights, means, covariances = parse_seed_output(seed_output())
    X, _ = seed_data()
    result = emlib.fit(X, seed_initial_params(), max_iter=17, tol=0)
    np.testing.assert_allclose(result.params.weights, weights, rtol=1e-6)
    np.testing.assert_allclose(result.params.means, means, rtol=1e-6)
    np.testing.assert_allclose(result.params.covariances, covariances, rtol=1e-6)


def test_run_seed_prints_exactly_the_seeds_output(capsys):
    run_seed()
    assert capsys.readouterr().out == seed_output()


def test_the_seed_script_itself_still_prints_its_output():
    # The user's own file, run as a script: numpy and scipy today print what it printed then.
    run = subprocess.run([sys.executable, "-"], input=seed_script(), capture_output=True, text=True,
                         timeout=120, check=True)
    assert run.stdout == seed_output()


def test_the_seed_files_are_the_pasted_original_with_its_layout_restored():
    # original_seed.txt is the script then its output as first pasted, with indentation and
    # runs of spaces lost; em_seed.py and em_seed_output.txt differ from it in layout only.
    def words(text, drop_comments=False):
        return [" ".join(line.split()) for line in text.splitlines()
                if line.strip() and not (drop_comments and line.lstrip().startswith("#"))]

    pasted = words(original_seed(), drop_comments=True)
    assert pasted[0] == "Seed for reproducibility"          # a comment that lost its "#"
    assert pasted[1:] == words(seed_script(), drop_comments=True) + words(seed_output())


def test_seed_data_are_the_seeds_draws():
    # What the seed did, with the legacy generator np.random.seed(42) sets up.
    state = np.random.RandomState(42)
    blocks = [state.multivariate_normal(m, np.eye(2), 100) for m in ([5, 5], [0, 0], [8, 1])]
    means0 = state.rand(3, 2) * 10
    X, labels = seed_data()
    np.testing.assert_allclose(X, np.vstack(blocks), rtol=1e-14, atol=1e-14)
    np.testing.assert_array_equal(labels, np.repeat([0, 1, 2], 100))
    init = seed_initial_params()
    np.testing.assert_allclose(init.means, means0, rtol=1e-14)
    np.testing.assert_array_equal(init.weights, np.full(3, 1 / 3))
    np.testing.assert_array_equal(init.covariances, np.broadcast_to(np.eye(2), (3, 2, 2)))


# ---------------------------------------------------------------------------------------
# (c) bookkeeping and the stopping rule
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("max_iter", [1, 2, 7])
def test_tol_zero_runs_exactly_max_iter(max_iter):
    X, init = PROBLEMS["random-3d"]()
    result = emlib.fit(X, init, max_iter=max_iter, tol=0)
    assert result.n_iter == max_iter and not result.converged
    assert len(result.log_likelihoods) == result.n_iter + 1
    assert result.log_likelihoods[0] == pytest.approx(emlib.log_likelihood(X, init), rel=1e-14)
    assert result.log_likelihoods[-1] == pytest.approx(emlib.log_likelihood(X, result.params), rel=1e-14)
    np.testing.assert_allclose(result.responsibilities, emlib.e_step(X, result.params)[0],
                               rtol=1e-12, atol=1e-15)


def test_keep_history():
    X, init = PROBLEMS["seed"]()
    result = emlib.fit(X, init, max_iter=5, tol=0, keep_history=True)
    assert len(result.history) == result.n_iter + 1 == 6
    assert all(isinstance(g, GMM) for g in result.history)
    for name in ("weights", "means", "covariances"):
        np.testing.assert_array_equal(getattr(result.history[0], name), getattr(init, name))
        np.testing.assert_array_equal(getattr(result.history[-1], name), getattr(result.params, name))
    lls = [emlib.log_likelihood(X, g) for g in result.history]
    np.testing.assert_allclose(result.log_likelihoods, lls, rtol=1e-14)
    assert emlib.fit(X, init, max_iter=5, tol=0).history is None


@pytest.mark.parametrize("tol", [1e-1, 1e-3, 1e-5, 1e-8])
def test_stopping_rule(tol):
    # Documented: stop after iteration t as soon as |L_t - L_{t-1}| / n < tol.
    X, init = PROBLEMS["seed"]()
    n = len(X)
    result = emlib.fit(X, init, tol=tol, max_iter=1000)
    changes = np.abs(np.diff(result.log_likelihoods))
    assert result.converged and result.n_iter < 1000
    assert len(changes) == result.n_iter
    assert changes[-1] < tol * n
    assert np.all(changes[:-1] >= tol * n)


def test_tol_zero_runs_on_through_an_exact_plateau():
    # One component: the first M-step lands on the maximum, then L_t repeats exactly; with
    # tol=0 the rule |L_t - L_{t-1}| / n < 0 never fires.
    X = np.random.default_rng(5).standard_normal((50, 2)) @ [[2.0, 0.5], [0.0, 1.0]]
    result = emlib.fit(X, GMM([1.0], [[1.0, -1.0]], [np.eye(2)]), max_iter=6, tol=0)
    assert result.n_iter == 6 and not result.converged
    assert np.diff(result.log_likelihoods)[-1] == 0.0


def test_huge_tol_stops_after_the_first_iteration():
    X, init = PROBLEMS["seed"]()
    result = emlib.fit(X, init, tol=1e6, max_iter=50)
    assert result.converged and result.n_iter == 1 and len(result.log_likelihoods) == 2


def test_not_converged_when_max_iter_comes_first():
    X, init = PROBLEMS["seed"]()
    result = emlib.fit(X, init, tol=1e-8, max_iter=5)
    changes = np.abs(np.diff(result.log_likelihoods))
    assert not result.converged and result.n_iter == 5
    assert np.all(changes >= 1e-8 * len(X))


# ---------------------------------------------------------------------------------------
# (d) the M-step by hand
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("reg_covar", [0.0, 0.1])
def test_m_step_by_hand_1d(reg_covar):
    X = np.array([[0.0], [1.0], [2.0], [4.0]])
    resp = np.array([[1.0, 0.0], [0.5, 0.5], [0.5, 0.5], [0.0, 1.0]])
    # N = (1 + .5 + .5, .5 + .5 + 1) = (2, 2);  pi = N / 4
    # mu_0 = (1*0 + .5*1 + .5*2) / 2 = 0.75;    mu_1 = (.5*1 + .5*2 + 1*4) / 2 = 2.75
    # var_0 = (1*0.75^2 + .5*0.25^2 + .5*1.25^2) / 2 = (0.5625 + 0.03125 + 0.78125) / 2 = 0.6875
    # var_1 = (.5*1.75^2 + .5*0.75^2 + 1*1.25^2) / 2 = (1.53125 + 0.28125 + 1.5625) / 2 = 1.6875
    params = emlib.m_step(X, resp, reg_covar=reg_covar)
    np.testing.assert_allclose(params.weights, [0.5, 0.5], rtol=1e-15)
    np.testing.assert_allclose(params.means, [[0.75], [2.75]], rtol=1e-15)
    np.testing.assert_allclose(params.covariances, [[[0.6875 + reg_covar]], [[1.6875 + reg_covar]]],
                               rtol=1e-15)


def test_m_step_by_hand_2d_unequal_weights():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 0.0]])
    resp = np.tile([0.75, 0.25], (4, 1))
    # Both components see every point, with weights 3/4 and 1/4: the same mean and covariance.
    # mu = (1.5, 0.75); deviations x: -1.5 -.5 .5 1.5, y: -.75 .25 1.25 -.75
    # Sxx = (2.25 + .25 + .25 + 2.25) / 4 = 1.25,  Syy = (.5625 + .0625 + 1.5625 + .5625) / 4 = 0.6875
    # Sxy = (1.125 - .125 + .625 - 1.125) / 4 = 0.125
    params = emlib.m_step(X, resp)
    np.testing.assert_allclose(params.weights, [0.75, 0.25], rtol=1e-15)
    np.testing.assert_allclose(params.means, [[1.5, 0.75]] * 2, rtol=1e-15)
    np.testing.assert_allclose(params.covariances, [[[1.25, 0.125], [0.125, 0.6875]]] * 2, rtol=1e-14)


# ---------------------------------------------------------------------------------------
# (e) initialisations
# ---------------------------------------------------------------------------------------
def same_gmm(a, b):
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in ("weights", "means", "covariances"))


@pytest.mark.parametrize("init_method", ["kmeans++", "random"])
def test_fit_with_k_is_reproducible(init_method):
    X, _ = PROBLEMS["random-3d"]()
    fit = lambda rng: emlib.fit(X, 3, rng=rng, init_method=init_method, max_iter=3, tol=0)  # noqa: E731
    first, again, other = fit(7), fit(7), fit(8)
    assert same_gmm(first.params, again.params)
    np.testing.assert_array_equal(first.log_likelihoods, again.log_likelihoods)
    assert not same_gmm(first.params, other.params)
    assert same_gmm(fit(np.random.default_rng(7)).params, fit(np.random.default_rng(7)).params)


@pytest.mark.parametrize("init", [emlib.init_random, emlib.init_kmeanspp])
def test_inits_are_reproducible_and_depend_on_the_seed(init):
    X, _ = PROBLEMS["random-3d"]()
    assert same_gmm(init(X, 4, 11), init(X, 4, 11))
    assert not same_gmm(init(X, 4, 11), init(X, 4, 12))


@pytest.mark.parametrize("seed", range(5))
def test_init_random_means_in_bounding_box(seed):
    X, _ = PROBLEMS["random-3d"]()
    g = emlib.init_random(X, 4, seed)
    assert isinstance(g, GMM) and (g.k, g.d) == (4, 3)
    assert np.all(g.means >= X.min(axis=0)) and np.all(g.means <= X.max(axis=0))
    np.testing.assert_array_equal(g.weights, np.full(4, 0.25))
    np.testing.assert_array_equal(g.covariances, np.broadcast_to(np.eye(3), (4, 3, 3)))


@pytest.mark.parametrize("seed", range(5))
def test_init_kmeanspp_means_are_distinct_data_points(seed):
    X, _ = PROBLEMS["random-3d"]()
    g = emlib.init_kmeanspp(X, 4, seed)
    assert isinstance(g, GMM) and (g.k, g.d) == (4, 3)
    rows = [np.flatnonzero((X == m).all(axis=1)) for m in g.means]
    assert all(len(r) >= 1 for r in rows)                                  # each mean is a point
    assert len({int(r[0]) for r in rows}) == 4                             # four different points
    np.testing.assert_array_equal(g.weights, np.full(4, 0.25))
    centred = X - X.mean(axis=0)
    for cov in g.covariances:                                              # the data's covariance
        np.testing.assert_allclose(cov, centred.T @ centred / len(X), rtol=1e-12)


def test_init_kmeanspp_spreads_means_over_separated_clusters():
    # D^2 sampling: the second mean lands in the other cluster with probability ~1 - 1e-8.
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 0.01, (50, 2)), rng.normal(100, 0.01, (50, 2))])
    for seed in range(20):
        means = emlib.init_kmeanspp(X, 2, seed).means
        assert sorted(np.round(means[:, 0] / 100).tolist()) == [0.0, 1.0]
