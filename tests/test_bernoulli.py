"""The mixture of multivariate Bernoullis: EM against an implementation written here with plain
loops and probabilities, the objective never decreasing, the Beta prior, binarised digits, and
bad input refused by name."""
import math
import pickle
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.special import rel_entr
from scipy.stats import bernoulli as scipy_bernoulli
from scipy.stats import beta
from sklearn.datasets import load_digits

import emlib
from emlib import bernoulli
from emlib.bernoulli import BernoulliMixture


def reference_em(X, weights, probs, iters, prior=(1.0, 1.0)):
    """EM for a Bernoulli mixture with loops over points, components and features, in probabilities.

    Returns the weights, probabilities and the log-likelihood before each M-step and after the last.
    """
    a, b = prior
    X, weights, probs = X.tolist(), list(weights), [list(p) for p in probs]
    n, d, k = len(X), len(X[0]), len(weights)
    log_likelihoods = []
    for t in range(iters + 1):
        resp, total_ll = [], 0.0
        for x in X:
            joint = []
            for j in range(k):
                likelihood = weights[j]
                for f in range(d):
                    likelihood *= probs[j][f] if x[f] == 1 else 1 - probs[j][f]
                joint.append(likelihood)
            total = sum(joint)
            total_ll += math.log(total)
            resp.append([v / total for v in joint])
        log_likelihoods.append(total_ll)
        if t == iters:
            break
        counts = [sum(resp[i][j] for i in range(n)) for j in range(k)]
        weights = [counts[j] / n for j in range(k)]
        probs = [[(sum(resp[i][j] * X[i][f] for i in range(n)) + a - 1) / (counts[j] + a + b - 2)
                  for f in range(d)] for j in range(k)]
    return np.array(weights), np.array(probs), np.array(log_likelihoods)


def random_problem(n, d, k, seed):
    """Binary data from a random mixture, and a random start (both as numpy arrays)."""
    rng = np.random.default_rng(seed)
    truth = rng.uniform(0.1, 0.9, (k, d))
    X = (rng.random((n, d)) < truth[rng.integers(k, size=n)]).astype(int)
    return X, BernoulliMixture(rng.dirichlet(np.full(k, 2.0)), rng.uniform(0.2, 0.8, (k, d)))


# ---------------------------------------------------------------------------------------
# EM against the reference implementation
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("prior", [None, (2.0, 2.0), (1.5, 3.0)])
@pytest.mark.parametrize("n, d, k, seed", [(30, 5, 3, 0), (40, 8, 2, 1), (25, 3, 4, 2)])
def test_fit_matches_a_plain_loop_implementation(n, d, k, seed, prior):
    X, init = random_problem(n, d, k, seed)
    result = bernoulli.fit(X, init, max_iter=20, tol=0, prior=prior)
    weights, probs, lls = reference_em(X, init.weights, init.probabilities, 20, prior or (1.0, 1.0))
    assert result.n_iter == 20 and not result.converged
    np.testing.assert_allclose(result.params.weights, weights, rtol=1e-10)
    # (without a prior a probability can head for 0: the loops round it to 0 before log space does)
    np.testing.assert_allclose(result.params.probabilities, probs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result.log_likelihoods, lls, rtol=1e-10)
    log_priors = 0.0 if prior is None else np.array([
        beta.logpdf(params.probabilities, *prior).sum()
        for params in [init, result.params]
    ])
    np.testing.assert_allclose(result.objectives[[0, -1]], lls[[0, -1]] + log_priors, rtol=1e-10)


def test_the_steps_match_the_reference_and_bool_int_float_data_agree():
    X, init = random_problem(30, 5, 3, seed=3)
    weights, probs, lls = reference_em(X, init.weights, init.probabilities, 1)
    for data in (X, X.astype(bool), X.astype(float)):
        gamma, ll = bernoulli.e_step(data, init)
        assert ll == pytest.approx(lls[0], rel=1e-12)
        assert bernoulli.log_likelihood(data, init) == ll
        new = bernoulli.m_step(data, gamma)
        np.testing.assert_allclose(new.weights, weights, rtol=1e-12)
        np.testing.assert_allclose(new.probabilities, probs, rtol=1e-12)


def test_the_e_step_stays_finite_where_probabilities_underflow():
    # 2000 features: each component's likelihood is ~1e-600, far below the smallest float.
    rng = np.random.default_rng(0)
    X = (rng.random((5, 2000)) < 0.5).astype(int)
    params = BernoulliMixture([0.5, 0.5], np.vstack([np.full(2000, 0.4), np.full(2000, 0.6)]))
    gamma, ll = bernoulli.e_step(X, params)
    ones = X.sum(axis=1)
    log_joint = np.log(0.5) + np.array([ones * np.log(p) + (2000 - ones) * np.log(1 - p) for p in (0.4, 0.6)]).T
    np.testing.assert_allclose(gamma[:, 1], 1 / (1 + np.exp(log_joint[:, 0] - log_joint[:, 1])), rtol=1e-10)
    assert ll == pytest.approx(np.logaddexp(log_joint[:, 0], log_joint[:, 1]).sum(), rel=1e-12)


# ---------------------------------------------------------------------------------------
# What EM climbs never goes down
# ---------------------------------------------------------------------------------------
@st.composite
def problems(draw):
    d, k = draw(st.integers(1, 8)), draw(st.integers(1, 4))
    n = draw(st.integers(max(5, k), 40))
    X, init = random_problem(n, d, k, draw(st.integers(0, 2**32 - 1)))
    prior = draw(st.one_of(st.none(), st.tuples(st.floats(1.01, 5.0), st.floats(1.01, 5.0))))
    return X, init, prior


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(problems())
def test_the_objective_never_decreases(problem):
    X, init, prior = problem
    try:
        result = bernoulli.fit(X, init, max_iter=15, tol=0, prior=prior)
    except emlib.CollapseError:       # without a prior a probability can reach 0 or 1
        assume(False)
    objectives = result.objectives
    assert np.all(np.isfinite(objectives))
    assert np.all(np.diff(objectives) >= -1e-10 * np.abs(objectives[1:])), np.diff(objectives)
    if prior is None:
        np.testing.assert_array_equal(objectives, result.log_likelihoods)


def test_fit_stops_by_emlibs_rule():
    X, init = random_problem(200, 6, 3, seed=4)
    result = bernoulli.fit(X, init, tol=1e-4, prior=(2, 2))
    steps = np.abs(np.diff(result.objectives)) / len(X)
    assert result.converged and steps[-1] < 1e-4 and np.all(steps[:-1] >= 1e-4)
    assert len(result.objectives) == result.n_iter + 1


# ---------------------------------------------------------------------------------------
# The Beta prior
# ---------------------------------------------------------------------------------------
def test_without_a_prior_a_probability_at_0_is_refused_and_a_prior_avoids_it():
    X, init = random_problem(30, 4, 2, seed=5)
    X[:, 2] = 0                                      # feature 2 is never on
    with pytest.raises(emlib.CollapseError,
                       match=r"iteration 1: component 0 has collapsed onto probabilities\[0, 2\] = 0.*prior=\(2, 2\)"):
        bernoulli.fit(X, init)
    result = bernoulli.fit(X, init, prior=(2, 2), max_iter=5, tol=0)
    weights, probs, _ = reference_em(X, init.weights, init.probabilities, 5, (2, 2))
    np.testing.assert_allclose(result.params.probabilities, probs, rtol=1e-10)
    assert np.all(probs[:, 2] > 0)


@pytest.mark.parametrize("seed", range(8))
def test_a_probability_is_exactly_1_when_and_only_when_its_off_mass_is_lost_in_rounding(seed):
    # Component 0 explains the points with feature 0 on (gammas in (0.1, 1)); the points with it
    # off carry a total `off` of 1e-3 or 1e3 units in the last place of the on-mass (math.fsum,
    # exactly rounded).  p_00 must be exactly 1 in the first case, on any BLAS: were it computed as
    # (gamma^T X) / sum_i gamma_i0, two sums taken in different orders, it could land a few units
    # of 1e-16 either side of 1, and whether a fit collapses would hinge on the last digit.
    rng = np.random.default_rng(seed)
    n = 1797
    X = np.zeros((n, 2))
    X[: n // 2, 0] = 1
    X[:, 1] = rng.integers(0, 2, size=n)
    X[0, 1], X[1, 1] = 0, 1
    on = rng.uniform(0.1, 1, size=n // 2)
    spread = rng.uniform(0.5, 1.5, size=n - n // 2)
    for units, exactly_one in ((1e-3, True), (1e3, False)):
        off = spread / spread.sum() * units * np.spacing(math.fsum(on))
        resp = np.zeros((n, 2))
        resp[:, 0] = np.concatenate([on, off])
        resp[:, 1] = 1 - resp[:, 0]
        if exactly_one:
            with pytest.raises(emlib.CollapseError, match=r"probabilities\[0, 0\] = 1"):
                bernoulli.m_step(X, resp)
        else:
            p = bernoulli.m_step(X, resp).probabilities
            exact = math.fsum(on) / (math.fsum(on) + math.fsum(off))
            assert p[0, 0] < 1 and p[0, 0] == pytest.approx(exact, rel=1e-14, abs=0)


def test_a_vanishing_prior_gives_the_maximum_likelihood_fit():
    X, init = random_problem(60, 5, 2, seed=6)
    ml = bernoulli.fit(X, init, max_iter=30, tol=0).params
    gaps = []
    for strength in (1e-1, 1e-3, 1e-5, 1e-7):
        map_fit = bernoulli.fit(X, init, max_iter=30, tol=0, prior=(1 + strength, 1 + strength)).params
        gaps.append(np.abs(map_fit.probabilities - ml.probabilities).max())
    assert gaps[0] > 1e-3, gaps
    assert np.all(np.diff(np.log10(gaps)) < -1.5), gaps        # about 100 times closer each time
    assert gaps[-1] < 1e-6, gaps


def test_log_prior_is_the_sum_of_beta_log_densities():
    _, params = random_problem(10, 4, 3, seed=7)
    assert bernoulli.log_prior(params, (2.5, 1.5)) == pytest.approx(
        beta.logpdf(params.probabilities, 2.5, 1.5).sum(), rel=1e-12)
    assert bernoulli.log_prior(params, None) == 0.0


# ---------------------------------------------------------------------------------------
# The pieces of the general EM: log-densities and the lower bound (ELBO)
# ---------------------------------------------------------------------------------------
def test_log_densities_are_sums_of_scipys_bernoulli_log_pmfs():
    X, params = random_problem(12, 7, 3, seed=10)
    expected = scipy_bernoulli.logpmf(X[:, None, :], params.probabilities[None, :, :]).sum(axis=2)
    np.testing.assert_allclose(bernoulli.log_densities(X, params), expected, rtol=1e-12)
    # 2000 features: each probability ~1e-400 underflows, its log does not
    wide = (np.random.default_rng(0).random((3, 2000)) < 0.5).astype(int)
    far = BernoulliMixture([1.0], np.full((1, 2000), 0.4))
    ones = wide.sum(axis=1)
    np.testing.assert_allclose(bernoulli.log_densities(wide, far)[:, 0],
                               ones * np.log(0.4) + (2000 - ones) * np.log(0.6), rtol=1e-12)


def reference_lower_bound(X, weights, probs, q):
    """B(q, theta) with loops over points and components, in probabilities (0 log 0 = 0)."""
    total = 0.0
    for x, q_i in zip(X.tolist(), q.tolist()):
        for w, p, q_ij in zip(weights, probs, q_i):
            if q_ij > 0:
                likelihood = w * math.prod(pd if xd == 1 else 1 - pd for xd, pd in zip(x, p))
                total += q_ij * (math.log(likelihood) - math.log(q_ij))
    return total


def test_lower_bound_matches_loops_and_adds_up_with_the_kl_gap():
    X, params = random_problem(15, 6, 3, seed=11)
    q = np.random.default_rng(12).dirichlet(np.ones(3), size=15)
    q[0] = [1.0, 0.0, 0.0]                                  # a zero: 0 log 0 counts as 0
    bound = bernoulli.lower_bound(X, params, q)
    assert bound == pytest.approx(reference_lower_bound(X, params.weights, params.probabilities, q), rel=1e-12)
    gamma, loglik = bernoulli.e_step(X, params)
    kl = rel_entr(q, gamma).sum()                           # sum_i KL(q_i || p(z_i | x_i, theta))
    assert kl > 0.1
    assert bound + kl == pytest.approx(loglik, rel=1e-12)
    assert bernoulli.lower_bound(X, params, gamma) == pytest.approx(loglik, rel=1e-12)


def test_lower_bound_refuses_responsibilities_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"resp has 3 columns but params has k=2"):
        bernoulli.lower_bound(GOOD_X, P, np.full((4, 3), 1 / 3))
    with pytest.raises(ValueError, match=r"resp has 3 rows but X has n=4"):
        bernoulli.lower_bound(GOOD_X, P, R[:3])
    with pytest.raises(ValueError, match=r"X must be binary"):
        bernoulli.log_densities(with_value(2), P)


# ---------------------------------------------------------------------------------------
# The lesson's data: binarised 8x8 digits
# ---------------------------------------------------------------------------------------
def test_a_fit_on_binarised_digits_is_fast_and_finds_the_digits():
    digits = load_digits()                              # ships with scikit-learn: no download
    X, y = digits.data >= 8, digits.target
    start = time.perf_counter()
    result = bernoulli.fit(X, 10, rng=0, prior=(2, 2))
    seconds = time.perf_counter() - start
    assert seconds < 1.0, f"{seconds:.2f} s"
    best = result.responsibilities.argmax(axis=1)
    majority = {j: np.bincount(y[best == j], minlength=10).argmax() for j in np.unique(best)}
    purity = np.mean([majority[j] == label for j, label in zip(best, y)])
    assert purity > 0.65 and len(set(majority.values())) >= 8, (purity, majority)
    # Each component's probabilities look like its digit: of the ten class-average images it
    # is nearest to that of the digit most of its images are.
    class_means = np.array([X[y == c].mean(axis=0) for c in range(10)])
    for j, digit in majority.items():
        distances = ((class_means - result.params.probabilities[j]) ** 2).sum(axis=1)
        assert distances.argmin() == digit, (j, digit, distances.round(2))


# ---------------------------------------------------------------------------------------
# Parameters and bad input
# ---------------------------------------------------------------------------------------
def test_parameters_are_immutable_and_survive_pickling():
    _, params = random_problem(10, 3, 2, seed=8)
    with pytest.raises(AttributeError):
        params.weights = np.array([1.0, 0.0])
    with pytest.raises(ValueError, match="read-only"):
        params.probabilities[0, 0] = 0.5
    copy = pickle.loads(pickle.dumps(params))
    np.testing.assert_array_equal(copy.probabilities, params.probabilities)
    assert not copy.probabilities.flags.writeable
    assert (params.k, params.d) == (2, 3)


GOOD_X = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0], [0, 0, 1]])
P = BernoulliMixture([0.5, 0.5], [[0.2, 0.5, 0.7], [0.6, 0.4, 0.3]])
R = np.full((4, 2), 0.5)


def with_value(value):
    X = GOOD_X.astype(float)
    X[2, 1] = value
    return X


TAKES_X = {
    "e_step": lambda x: bernoulli.e_step(x, P),
    "log_likelihood": lambda x: bernoulli.log_likelihood(x, P),
    "m_step": lambda x: bernoulli.m_step(x, R),
    "fit": lambda x: bernoulli.fit(x, P, prior=(2, 2)),
    "fit(k)": lambda x: bernoulli.fit(x, 2, rng=0, prior=(2, 2)),
    "init_random": lambda x: bernoulli.init_random(x, 2, rng=0),
}
BAD_X = {
    "a 2": (with_value(2), ValueError, r"X must be binary, every value 0 or 1.*X\[2, 1\] = 2"),
    "a half": (with_value(0.5), ValueError, r"X must be binary.*X\[2, 1\] = 0.5"),
    "a -1": (with_value(-1), ValueError, r"X must be binary.*X\[2, 1\] = -1"),
    "a NaN": (with_value(np.nan), ValueError, r"X contains NaN or infinite values \(first at index \[2, 1\]"),
    "an inf": (with_value(np.inf), ValueError, r"X contains NaN or infinite"),
    "strings": (GOOD_X.astype(str), TypeError, r"X must hold real numbers"),
    "complex": (GOOD_X + 0j, TypeError, r"X must hold real numbers"),
    "1-D": (GOOD_X[:, 0], ValueError, r"X must be 2-D"),
    "empty": (np.zeros((0, 3)), ValueError, r"X is empty"),
}


@pytest.mark.parametrize("func", TAKES_X)
@pytest.mark.parametrize("bad", BAD_X)
def test_non_binary_data_is_refused_by_name(func, bad):
    value, error, match = BAD_X[bad]
    with pytest.raises(error, match=match):
        TAKES_X[func](value)


@pytest.mark.parametrize("weights, probabilities, error, match", [
    ([0.5, 0.5], [[0.0, 0.5, 0.5], [0.5, 0.5, 0.5]], ValueError, r"strictly between 0 and 1.*probabilities\[0, 0\] = 0"),
    ([0.5, 0.5], [[0.5, 0.5, 0.5], [0.5, 1.0, 0.5]], ValueError, r"probabilities\[1, 1\] = 1"),
    ([0.5, 0.5], [[0.5, 0.5, 1.5], [0.5, 0.5, 0.5]], ValueError, r"probabilities\[0, 2\] = 1.5"),
    ([0.5, 0.5], [[0.5, np.nan, 0.5], [0.5, 0.5, 0.5]], ValueError, r"probabilities contains NaN"),
    ([0.5, 0.5], [[0.5, 0.5, 0.5]], ValueError, r"probabilities must have shape \(k, d\) = \(2, d\)"),
    ([1.2, -0.2], [[0.5] * 3] * 2, ValueError, r"weights must be positive; weights\[1\] = -0.2"),
    ([0.5, 0.6], [[0.5] * 3] * 2, ValueError, r"weights must sum to 1"),
    ([[0.5, 0.5]], [[0.5] * 3] * 2, ValueError, r"weights must have shape \(k,\)"),
    (["a", "b"], [[0.5] * 3] * 2, TypeError, r"weights must hold real numbers"),
])
def test_bad_parameters_are_refused_by_name(weights, probabilities, error, match):
    with pytest.raises(error, match=match):
        BernoulliMixture(weights, probabilities)


@pytest.mark.parametrize("call, error, match", [
    (lambda: bernoulli.fit(GOOD_X, P, prior=(1, 2)), ValueError, r"a > 1 and b > 1 .* but a = 1 .*prior=None"),
    (lambda: bernoulli.fit(GOOD_X, P, prior=(2, 0.5)), ValueError, r"but b = 0.5"),
    (lambda: bernoulli.m_step(GOOD_X, R, prior=(2,)), TypeError, r"prior must be None or a pair \(a, b\)"),
    (lambda: bernoulli.m_step(GOOD_X, R, prior=2), TypeError, r"prior must be None or a pair"),
    (lambda: bernoulli.m_step(GOOD_X, R, prior=("2", 2)), TypeError, r"prior's a must be a real number"),
    (lambda: bernoulli.log_prior(P, (2, np.inf)), ValueError, r"prior's b must be finite"),
    (lambda: bernoulli.log_prior(emlib.GMM([1.0], [[0.0]], [[[1.0]]]), (2, 2)), TypeError,
     r"params must be an emlib.bernoulli.BernoulliMixture, not GMM"),
    (lambda: bernoulli.e_step(GOOD_X[:, :2], P), ValueError, r"X has d=2 features .* params has d=3"),
    (lambda: bernoulli.fit(GOOD_X[:, :2], P), ValueError, r"X has d=2 features .* init has d=3"),
    (lambda: bernoulli.fit(GOOD_X, 2), ValueError, r"init=2 components needs rng"),
    (lambda: bernoulli.fit(GOOD_X, 2.0, rng=0), TypeError, r"init must be an emlib.bernoulli.BernoulliMixture"),
    (lambda: bernoulli.fit(GOOD_X, 5, rng=0), ValueError, r"X has 4 points, fewer than the k=5"),
    (lambda: bernoulli.fit(GOOD_X, P, max_iter=0), ValueError, r"max_iter must be >= 1"),
    (lambda: bernoulli.fit(GOOD_X, P, tol=-1.0), ValueError, r"tol must be >= 0"),
    (lambda: bernoulli.m_step(GOOD_X, R[:3]), ValueError, r"resp has 3 rows but X has n=4"),
    (lambda: bernoulli.m_step(GOOD_X, np.full((4, 2), 0.6)), ValueError, r"each row of resp must sum to 1"),
    (lambda: bernoulli.init_random(GOOD_X, 2, rng=None), TypeError, r"rng must be a numpy.random.Generator"),
    (lambda: bernoulli.init_random(GOOD_X, 0, rng=0), ValueError, r"k must be >= 1"),
])
def test_bad_arguments_are_refused_by_name(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_a_component_that_loses_every_point_is_named():
    X = np.array([[1, 1, 1]] * 10 + [[0, 0, 0]] * 10)
    dead = BernoulliMixture([0.5, 0.5 - 1e-300, 1e-300], [[0.9] * 3, [0.1] * 3, [0.5] * 3])
    gamma, _ = bernoulli.e_step(X, dead)
    assert gamma[:, 2].sum() < len(X) * np.finfo(float).eps
    with pytest.raises(emlib.CollapseError, match=r"iteration 1: component 2 has collapsed: its total "
                                                 r"responsibility N_2 = .* explains none of the points") as err:
        bernoulli.fit(X, dead, prior=(2, 2))
    assert (err.value.component, err.value.iteration) == (2, 1)


def test_init_random_is_reproducible_and_inside_the_quarter_band():
    X, _ = random_problem(20, 6, 2, seed=9)
    first = bernoulli.init_random(X, 3, rng=42)
    again = bernoulli.init_random(X, 3, rng=np.random.default_rng(42))
    np.testing.assert_array_equal(first.probabilities, again.probabilities)
    np.testing.assert_array_equal(first.weights, np.full(3, 1 / 3))
    assert first.probabilities.shape == (3, 6)
    assert first.probabilities.min() >= 0.25 and first.probabilities.max() <= 0.75
    assert bernoulli.init_random(X, 3, rng=43).probabilities[0, 0] != first.probabilities[0, 0]


def test_bernoulli_is_exported():
    assert emlib.bernoulli is bernoulli
