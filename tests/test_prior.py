"""MAP-EM with a conjugate prior: the log-prior against scipy's densities, the MAP M-step against
its closed form computed here, the objective never decreasing, no collapse on duplicated points,
the maximum-likelihood fit as the prior's weight vanishes, and the prior's checks."""
import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.stats import dirichlet, invgamma, invwishart, multivariate_normal

import emlib
from emlib import GMM, compare, data
from emlib.covariance import TYPES
from emlib.prior import Prior, default_prior, log_prior
from test_covariance_types import problems_of_a_type

SETTINGS = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])


def seed_start(covariance_type="full", k=3):
    X, _ = data.seed_data()
    start = data.seed_initial_params()
    return X, GMM(start.weights, start.means, start.covariances, covariance_type)


def a_prior(d=2, shrinkage=0.5, concentration=1.0):
    """A prior with a rotated, stretched scale and a mean off the data's."""
    return Prior(mean=np.arange(d) + 1.0, shrinkage=shrinkage, dof=d + 1.5,
                 scale=np.eye(d) + 0.4 * np.ones((d, d)), concentration=concentration)


def sufficient_statistics(X, resp):
    """N_j, xbar_j, S_j (k, d, d) by direct sums."""
    N = resp.sum(axis=0)
    xbar = resp.T @ X / N[:, None]
    S = np.stack([(resp[:, j, None] * (X - xbar[j])).T @ (X - xbar[j]) for j in range(len(N))])
    return N, xbar, S


def map_by_hand(X, resp, prior, covariance_type):
    """The posterior mode of Q + log p, written out for each structure (the normal-inverse-Wishart
    mode for full and tied, the normal-inverse-gamma mode of each variance for diag and
    spherical; Fraley & Raftery 2007).  Returns weights, means, covariances (k, d, d)."""
    N, xbar, S = sufficient_statistics(X, resp)
    (n, d), k = X.shape, len(N)
    a, kappa, nu, m0, L0 = prior.concentration, prior.shrinkage, prior.dof, prior.mean, prior.scale
    weights = (N + a - 1) / (n + k * (a - 1))
    means = (N[:, None] * xbar + kappa * m0) / (N + kappa)[:, None]
    B = np.stack([kappa * N[j] / (N[j] + kappa) * np.outer(xbar[j] - m0, xbar[j] - m0) for j in range(k)])
    e = 1 if kappa > 0 else 0
    if covariance_type == "full":
        covs = np.stack([(L0 + S[j] + B[j]) / (nu + N[j] + d + 1 + e) for j in range(k)])
    elif covariance_type == "tied":
        covs = np.stack([(L0 + (S + B).sum(axis=0)) / (nu + n + d + 1 + k * e)] * k)
    elif covariance_type == "diag":
        covs = np.stack([np.diag((np.diag(L0) + np.diag(S[j]) + np.diag(B[j])) / (nu + N[j] + 2 + e))
                         for j in range(k)])
    else:
        covs = np.stack([(np.trace(L0) / d + np.trace(S[j]) + np.trace(B[j])) / (nu + d * N[j] + 2 + d * e)
                         * np.eye(d) for j in range(k)])
    return weights, means, covs


def log_prior_by_scipy(params, prior):
    """log p(theta) from scipy.stats' densities."""
    k, d = params.k, params.d
    total = dirichlet(np.full(k, prior.concentration)).logpdf(params.weights)
    if prior.shrinkage > 0:
        total += sum(multivariate_normal(prior.mean, c / prior.shrinkage).logpdf(m)
                     for m, c in zip(params.means, params.covariances))
    if params.covariance_type == "full":
        total += sum(invwishart(df=prior.dof, scale=prior.scale).logpdf(c) for c in params.covariances)
    elif params.covariance_type == "tied":
        total += invwishart(df=prior.dof, scale=prior.scale).logpdf(params.covariances[0])
    elif params.covariance_type == "diag":
        for c in params.covariances:
            total += sum(invgamma(prior.dof / 2, scale=prior.scale[r, r] / 2).logpdf(c[r, r]) for r in range(d))
    else:
        total += sum(invgamma(prior.dof / 2, scale=np.trace(prior.scale) / d / 2).logpdf(c[0, 0])
                     for c in params.covariances)
    return total


def objective_by_scipy(X, params, prior):
    densities = np.column_stack([multivariate_normal(m, c).pdf(X) for m, c in zip(params.means, params.covariances)])
    return np.log(densities @ params.weights).sum() + log_prior_by_scipy(params, prior)


# ----------------------------------------------------------------------------------------
# The log-prior and the MAP M-step
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("covariance_type", TYPES)
@pytest.mark.parametrize("shrinkage, concentration", [(0.5, 1.0), (0.0, 1.0), (0.01, 2.5)])
def test_log_prior_matches_scipys_densities(covariance_type, shrinkage, concentration):
    X, start = seed_start(covariance_type)
    params = emlib.fit(X, start, max_iter=5, tol=0).params
    prior = a_prior(shrinkage=shrinkage, concentration=concentration)
    assert log_prior(params, prior) == pytest.approx(log_prior_by_scipy(params, prior), rel=1e-12)
    assert log_prior(params, None) == 0.0


@pytest.mark.parametrize("covariance_type", TYPES)
@pytest.mark.parametrize("shrinkage, concentration", [(0.5, 1.0), (0.0, 1.0), (0.01, 3.0)])
def test_map_m_step_is_its_closed_form(covariance_type, shrinkage, concentration):
    X, start = seed_start()
    resp = emlib.e_step(X, start)[0]
    prior = a_prior(shrinkage=shrinkage, concentration=concentration)
    params = emlib.m_step(X, resp, covariance_type=covariance_type, prior=prior)
    weights, means, covs = map_by_hand(X, resp, prior, covariance_type)
    assert params.covariance_type == covariance_type
    np.testing.assert_allclose(params.weights, weights, rtol=1e-12)
    np.testing.assert_allclose(params.means, means, rtol=1e-12)
    np.testing.assert_allclose(params.covariances, covs, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("covariance_type", TYPES)
def test_one_component_map_estimate_is_the_posterior_mode(covariance_type):
    # One component: the MAP estimate in closed form, the normal-inverse-Wishart posterior mode
    # (Murphy, Machine Learning: a Probabilistic Perspective, section 4.6.3):
    #   mu = (n xbar + kappa mu_p) / (n + kappa),
    #   Sigma = (Lambda + S + kappa n / (n + kappa) (xbar - mu_p)(xbar - mu_p)^T) / (nu + n + d + 2)
    # and it is the maximum of log p(X | theta) + log p(theta) by scipy's densities: nudging it
    # in any direction the structure allows lowers that objective.
    rng = np.random.default_rng(0)
    X = rng.multivariate_normal([1.0, -2.0], [[2.0, 0.8], [0.8, 1.0]], size=40)
    prior = a_prior()
    n, d = X.shape
    xbar, S = X.mean(axis=0), (X - X.mean(axis=0)).T @ (X - X.mean(axis=0))
    kappa, nu = prior.shrinkage, prior.dof
    mean = (n * xbar + kappa * prior.mean) / (n + kappa)
    pull = kappa * n / (n + kappa) * np.outer(xbar - prior.mean, xbar - prior.mean)
    full = (prior.scale + S + pull) / (nu + n + d + 2)
    params = emlib.m_step(X, np.ones((n, 1)), covariance_type=covariance_type, prior=prior)
    np.testing.assert_allclose(params.means[0], mean, rtol=1e-13)
    if covariance_type in ("full", "tied"):            # one component: tied is full
        np.testing.assert_allclose(params.covariances[0], full, rtol=1e-12)
    best = objective_by_scipy(X, params, prior)
    for _ in range(20):
        step = 1e-3 * rng.standard_normal((d, d))
        step = {"full": step + step.T, "tied": step + step.T, "diag": np.diag(np.diag(step)),
                "spherical": step[0, 0] * np.eye(d)}[covariance_type]
        nudged = GMM([1.0], params.means + 1e-3 * rng.standard_normal((1, d)), params.covariances + step,
                     covariance_type)
        assert objective_by_scipy(X, nudged, prior) < best


# ----------------------------------------------------------------------------------------
# The objective never decreases; no collapse
# ----------------------------------------------------------------------------------------
@st.composite
def problems_with_a_prior(draw):
    """tests/test_covariance_types.py's random problems of a random type, with a default prior
    whose means' shrinkage and Dirichlet parameter vary."""
    X, start = draw(problems_of_a_type())
    prior = dataclasses.replace(default_prior(X, start.k), shrinkage=draw(st.sampled_from([0.0, 0.01, 1.0])),
                                concentration=draw(st.sampled_from([1.0, 1.5])))
    return X, start, prior


@SETTINGS
@given(problems_with_a_prior())
def test_map_objective_never_decreases(problem):
    X, start, prior = problem
    try:
        result = emlib.fit(X, start, max_iter=10, tol=0, prior=prior, keep_history=True)
    except emlib.CollapseError:          # a component left with no points at all (N_j = 0)
        assume(False)
    objectives = result.objectives
    assert np.all(np.isfinite(objectives))
    assert np.all(np.diff(objectives) >= -1e-10 * np.maximum(1.0, np.abs(objectives[1:]))), np.diff(objectives)
    expected = [emlib.log_likelihood(X, p) + log_prior_by_scipy(p, prior) for p in result.history]
    np.testing.assert_allclose(objectives, expected, rtol=1e-9)


def test_without_a_prior_the_objective_is_the_log_likelihood():
    X, start = seed_start()
    result = emlib.fit(X, start, max_iter=5, tol=0)
    np.testing.assert_array_equal(result.objectives, result.log_likelihoods)


def test_the_stopping_rule_acts_on_the_objective():
    X, start = seed_start()
    result = emlib.fit(X, start, tol=1e-4, prior=default_prior(X, 3))
    changes = np.abs(np.diff(result.objectives))
    assert result.converged and changes[-1] < 1e-4 * len(X) and np.all(changes[:-1] >= 1e-4 * len(X))


@pytest.mark.parametrize("covariance_type", TYPES)
def test_duplicated_points_collapse_the_likelihood_fit_but_not_the_map_fit(covariance_type):
    # The seed's data plus four copies of one point, and a fourth component started on them.
    X, _ = data.seed_data()
    X_dup = np.vstack([X, np.tile([11.0, 9.0], (4, 1))])
    start = GMM(np.full(4, 0.25), np.vstack([data.seed_true_params().means, [11.0, 9.0]]),
                np.tile(np.eye(2), (4, 1, 1)), covariance_type)
    if covariance_type != "tied":                # one shared covariance cannot shrink onto them
        with pytest.raises(emlib.CollapseError, match="component 3 has collapsed"):
            emlib.fit(X_dup, start, max_iter=200)
    prior = default_prior(X_dup, 4)
    result = emlib.fit(X_dup, start, max_iter=200, prior=prior)
    assert np.all(np.isfinite(result.objectives)) and np.all(np.diff(result.objectives) >= -1e-9)
    # The component on the duplicates keeps them, with a covariance bounded below by the
    # prior's share of its update: Sigma_3 >= Lambda_T / (nu + N_3 + c) (c from emlib.prior).
    N = result.responsibilities.sum(axis=0)
    assert N[3] == pytest.approx(4.0, abs=0.01)
    np.testing.assert_allclose(result.params.means[3], [11.0, 9.0], atol=0.05)
    floor = {"full": prior.scale / (prior.dof + N[3] + 4),
             "diag": np.diag(np.diag(prior.scale)) / (prior.dof + N[3] + 3),
             "spherical": np.trace(prior.scale) / 2 * np.eye(2) / (prior.dof + 2 * N[3] + 4),
             "tied": prior.scale / (prior.dof + len(X_dup) + 3 + 4)}[covariance_type]
    assert np.linalg.eigvalsh(result.params.covariances[3] - floor).min() >= -1e-12


def test_the_map_fit_tends_to_the_likelihood_fit_as_the_prior_weakens():
    # Fitting X repeated m times under a fixed prior maximises m log p(X | theta) + log p(theta),
    # i.e. log p(X | theta) + (1/m) log p(theta): the prior with its weight divided by m.  As
    # m grows the MAP fit tends to the maximum-likelihood fit, like 1/m.
    X, start = seed_start()
    ml = emlib.fit(X, start, tol=1e-12, max_iter=1000).params
    prior = default_prior(X, 3)
    gaps = []
    for m in (1, 10, 100, 1000):
        fitted = emlib.fit(np.tile(X, (m, 1)), ml, tol=1e-14, max_iter=1000, prior=prior).params
        gaps.append(compare.max_difference(fitted, ml))
    gaps = np.array(gaps)
    assert np.all(np.diff(gaps) < 0) and gaps[-1] < 1e-3
    np.testing.assert_allclose(gaps[1:] / gaps[:-1], 0.1, rtol=0.1)      # like 1/m


def test_a_full_map_fit_does_not_depend_on_the_units():
    # The default prior moves with the data (mu_p and Lambda as the data's mean and covariance),
    # so the MAP fit of A x + b is the MAP fit of x moved by A and b.
    X, start = seed_start()
    A, b = np.array([[3.0, 1.0], [0.0, 0.01]]), np.array([100.0, -5.0])
    Y = X @ A.T + b
    moved = GMM(start.weights, start.means @ A.T + b, A @ start.covariances @ A.T)
    on_x = emlib.fit(X, start, max_iter=30, tol=0, prior=default_prior(X, 3)).params
    on_y = emlib.fit(Y, moved, max_iter=30, tol=0, prior=default_prior(Y, 3)).params
    np.testing.assert_allclose(on_y.means, on_x.means @ A.T + b, rtol=1e-9)
    np.testing.assert_allclose(on_y.covariances, A @ on_x.covariances @ A.T, rtol=1e-8, atol=1e-14)


def test_a_diag_map_fit_does_not_depend_on_each_features_units():
    # The diagonal prior scales each feature by its own variance (not their mean, as mclust's
    # VVI does), so rescaling one feature rescales the fit and nothing else.
    X, start = seed_start("diag")
    D = np.array([1e3, 1e-2])
    moved = GMM(start.weights, start.means * D, start.covariances * np.outer(D, D), "diag")
    on_x = emlib.fit(X, start, max_iter=30, tol=0, prior=default_prior(X, 3)).params
    on_y = emlib.fit(X * D, moved, max_iter=30, tol=0, prior=default_prior(X * D, 3)).params
    np.testing.assert_allclose(on_y.means, on_x.means * D, rtol=1e-9)
    np.testing.assert_allclose(on_y.covariances, on_x.covariances * np.outer(D, D), rtol=1e-8, atol=1e-300)


# ----------------------------------------------------------------------------------------
# The default prior and the prior's checks
# ----------------------------------------------------------------------------------------
def test_default_prior_is_fraley_and_rafterys():
    X = data.old_faithful()
    n, d = X.shape
    prior = default_prior(X, 3)
    centred = X - X.sum(axis=0) / n
    np.testing.assert_allclose(prior.mean, X.sum(axis=0) / n, rtol=1e-14)
    assert prior.shrinkage == 0.01 and prior.dof == d + 2 and prior.concentration == 1.0
    np.testing.assert_allclose(prior.scale, centred.T @ centred / (n - 1) / 3 ** (2 / d), rtol=1e-12)
    # With no more points than features, only the variances (mclust's choice).
    few = X[:2]
    np.testing.assert_allclose(default_prior(few, 2).scale, np.diag(few.var(axis=0, ddof=1)) / 2, rtol=1e-12)


def test_prior_is_immutable_and_rechecked_when_replaced():
    prior = a_prior()
    with pytest.raises(dataclasses.FrozenInstanceError):
        prior.dof = 10
    with pytest.raises(ValueError):
        prior.mean[0] = 5.0
    with pytest.raises(ValueError, match="dof must be > 1"):
        dataclasses.replace(prior, dof=1)
    assert dataclasses.replace(prior, shrinkage=0).shrinkage == 0.0


@pytest.mark.parametrize("changes, error, words", [
    (dict(mean=[[1.0, 2.0]]), ValueError, r"mean must have shape \(d,\)"),
    (dict(mean=[np.nan, 1.0]), ValueError, "mean contains NaN"),
    (dict(mean=["a", "b"]), TypeError, "mean must hold real numbers"),
    (dict(scale=np.eye(3)), ValueError, r"scale must have shape \(d, d\) = \(2, 2\)"),
    (dict(scale=[[1.0, 0.5], [0.0, 1.0]]), ValueError, r"scale\[0\] is not symmetric"),
    (dict(scale=[[1.0, 2.0], [2.0, 1.0]]), ValueError, r"scale\[0\] is not positive definite"),
    (dict(shrinkage=-0.1), ValueError, "shrinkage must be >= 0"),
    (dict(dof=1.0), ValueError, "dof must be > 1"),
    (dict(dof="4"), TypeError, "dof must be a real number"),
    (dict(concentration=0.5), ValueError, "concentration must be >= 1"),
])
def test_prior_refuses_bad_hyperparameters(changes, error, words):
    with pytest.raises(error, match=words):
        Prior(**{**dict(mean=[0.0, 0.0], shrinkage=0.01, dof=4, scale=np.eye(2)), **changes})


def test_fit_and_m_step_refuse_a_prior_that_does_not_fit_the_data():
    X, start = seed_start()
    with pytest.raises(ValueError, match="prior is for d=3 features but X has d=2"):
        emlib.fit(X, start, prior=a_prior(d=3))
    with pytest.raises(TypeError, match="prior must be None or an emlib.prior.Prior"):
        emlib.m_step(X, emlib.e_step(X, start)[0], prior=(2, 2))


def test_default_prior_refuses_data_without_a_covariance():
    with pytest.raises(ValueError, match="X's covariance is singular"):
        default_prior(np.column_stack([np.arange(10.0), np.ones(10)]), 2)
    with pytest.raises(ValueError, match="needs at least 2 points"):
        default_prior([[1.0, 2.0]], 1)
