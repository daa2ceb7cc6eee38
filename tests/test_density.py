"""emlib.density (score_samples, class_posterior) and plotting.plot_log_density, against
independent computations: scipy's multivariate_normal and logsumexp, scikit-learn's
GaussianMixture.score_samples and QuadraticDiscriminantAnalysis.predict_proba."""
import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
from sklearn.mixture import GaussianMixture

import emlib
from emlib import data, density, plotting


def stretched(rng, k, d):
    """k rotated, stretched covariances (eigenvalues from 0.05 to 20)."""
    Q = np.linalg.qr(rng.standard_normal((k, d, d)))[0]
    scales = rng.uniform(0.05, 20, size=(k, d))
    return np.einsum("kab,kb,kcb->kac", Q, scales, Q)


def random_mixture(rng, k, d):
    return emlib.GMM(rng.dirichlet(np.ones(k)), rng.normal(scale=4, size=(k, d)), stretched(rng, k, d))


def by_scipy(X, params):
    """log p(x_i | theta) = logsumexp_j [log pi_j + log N(x_i | mu_j, Sigma_j)], with scipy's densities."""
    a = np.column_stack([np.log(w) + multivariate_normal.logpdf(X, mu, S)
                         for w, mu, S in zip(params.weights, params.means, params.covariances)])
    return logsumexp(a, axis=1)


@pytest.mark.parametrize("k, d", [(1, 1), (3, 2), (4, 3), (2, 6)])
def test_score_samples_equals_scipy(k, d):
    rng = np.random.default_rng(10 * k + d)
    params = random_mixture(rng, k, d)
    X = rng.normal(scale=6, size=(200, d))
    np.testing.assert_allclose(emlib.score_samples(X, params), by_scipy(X, params), rtol=1e-11, atol=1e-11)


def test_score_samples_equals_scikit_learn():
    rng = np.random.default_rng(5)
    params = random_mixture(rng, 3, 2)
    sk = GaussianMixture(n_components=3).fit(rng.normal(size=(50, 2)))     # then given our parameters
    sk.weights_, sk.means_, sk.covariances_ = params.weights, params.means, params.covariances
    sk.precisions_cholesky_ = np.linalg.inv(np.linalg.cholesky(params.covariances)).transpose(0, 2, 1)
    X = rng.normal(scale=5, size=(300, 2))
    np.testing.assert_allclose(emlib.score_samples(X, params), sk.score_samples(X), rtol=1e-10)


def test_score_samples_far_from_every_component_is_finite():
    # At (60, 60) every density of the seed's mixture is below 1e-700: it underflows, its log does not.
    params = data.seed_true_params()
    far = np.array([[60.0, 60.0], [-40.0, 80.0]])
    scores = emlib.score_samples(far, params)
    assert np.all(scores < -1000) and np.all(np.isfinite(scores))
    np.testing.assert_allclose(scores, by_scipy(far, params), rtol=1e-12)


def test_score_samples_refuses_bad_input():
    params = data.seed_true_params()
    with pytest.raises(TypeError, match="params must be an emlib.GMM"):
        emlib.score_samples(np.zeros((3, 2)), "theta")
    with pytest.raises(ValueError, match="X has d=3 features per point but params has d=2"):
        emlib.score_samples(np.zeros((3, 3)), params)
    with pytest.raises(ValueError, match="X contains NaN"):
        emlib.score_samples(np.array([[0.0, np.nan]]), params)


# ----------------------------------------------------------------------------------------
# class_posterior
# ----------------------------------------------------------------------------------------
def test_class_posterior_is_bayes_rule_on_scipys_densities():
    rng = np.random.default_rng(3)
    mixtures = [random_mixture(rng, k, 3) for k in (1, 2, 3)]
    priors = np.array([0.2, 0.5, 0.3])
    X = rng.normal(scale=5, size=(100, 3))
    joint = np.column_stack([np.exp(by_scipy(X, m)) for m in mixtures]) * priors     # linear space: fine here
    assert np.all(joint.sum(axis=1) > 1e-250)
    np.testing.assert_allclose(density.class_posterior(X, mixtures, priors), joint / joint.sum(axis=1, keepdims=True),
                               rtol=1e-9, atol=1e-14)


def test_one_gaussian_per_class_is_qda():
    # QDA's own means and covariances (Sigma_c = R_c diag(s_c) R_c^T from its rotations_ and
    # scalings_, whichever normalisation this scikit-learn version uses) as one-component mixtures.
    rng = np.random.default_rng(0)
    truth = [random_mixture(rng, 1, 3) for _ in range(3)]
    X = np.vstack([data.sample(m, n, rng)[0] for m, n in zip(truth, (60, 90, 150))])
    y = np.repeat([0, 1, 2], (60, 90, 150))
    qda = QuadraticDiscriminantAnalysis().fit(X, y)
    mixtures = [emlib.GMM([1.0], [mu], [(R * s) @ R.T]) for mu, R, s in zip(qda.means_, qda.rotations_, qda.scalings_)]
    X_new = rng.normal(scale=6, size=(200, 3))
    posterior = density.class_posterior(X_new, mixtures, qda.priors_)
    np.testing.assert_allclose(posterior, qda.predict_proba(X_new), rtol=1e-8, atol=1e-12)
    assert np.array_equal(posterior.argmax(axis=1), qda.predict(X_new))


def test_class_posterior_far_from_every_class():
    # Far away every P(c) p(x | c) underflows to 0; the posterior is still a distribution: the
    # class whose covariance is broadest in that direction takes the point.
    wide, narrow = emlib.GMM([1.0], [[0.0, 0.0]], [np.eye(2) * 4]), emlib.GMM([1.0], [[1.0, 0.0]], [np.eye(2)])
    X = np.array([[100.0, 100.0]])
    b = np.array([by_scipy(X, m)[0] for m in (wide, narrow)]) + np.log([0.3, 0.7])
    assert np.all(b < -2000)
    posterior = density.class_posterior(X, [wide, narrow], [0.3, 0.7])
    np.testing.assert_allclose(posterior[0], np.exp(b - logsumexp(b)), rtol=1e-12)
    assert posterior[0, 0] == 1.0


def test_class_posterior_refuses_bad_input():
    params = data.seed_true_params()
    X = np.zeros((4, 2))
    with pytest.raises(TypeError, match="class_mixtures must be a sequence of emlib.GMM"):
        density.class_posterior(X, params, [1.0])
    with pytest.raises(ValueError, match="class_mixtures is empty"):
        density.class_posterior(X, [], [])
    with pytest.raises(TypeError, match=r"class_mixtures\[1\] must be an emlib.GMM"):
        density.class_posterior(X, [params, "theta"], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"class_mixtures\[0\] has d=3"):
        density.class_posterior(np.zeros((4, 2)), [emlib.GMM([1.0], [[0, 0, 0]], [np.eye(3)])], [1.0])
    with pytest.raises(ValueError, match=r"class_priors must have shape \(2,\)"):
        density.class_posterior(X, [params, params], [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="class_priors must sum to 1"):
        density.class_posterior(X, [params, params], [0.2, 0.3])
    with pytest.raises(ValueError, match=r"class_priors must be positive; class_priors\[1\]"):
        density.class_posterior(X, [params, params], [1.0, 0.0])


# ----------------------------------------------------------------------------------------
# plot_log_density
# ----------------------------------------------------------------------------------------
def test_plot_log_density_draws_the_threshold_contour():
    import matplotlib.pyplot as plt

    params = data.seed_true_params()
    threshold = -8.0
    fig, ax = plt.subplots()
    drawn = plotting.plot_log_density(params, ax=ax, limits=((-4, 12), (-4, 10)), threshold=threshold)
    vertices = np.vstack([segment for level in drawn.threshold.allsegs for segment in level])   # any matplotlib
    assert len(vertices) > 100
    # on the contour the density is the threshold, to the grid's interpolation (spacing 0.08)
    np.testing.assert_allclose(emlib.score_samples(vertices, params), threshold, atol=0.05)
    peak = by_scipy(params.means, params).max()                       # the densest points: the means
    np.testing.assert_allclose(drawn.filled.levels, np.arange(np.ceil(peak) - 12, np.ceil(peak) + 1, 2))
    assert drawn.threshold.linestyles == "solid"                     # matplotlib dashes negative levels
    with pytest.raises(ValueError, match="d=2"):
        plotting.plot_log_density(emlib.GMM([1.0], [[0.0]], [[[1.0]]]), limits=((0, 1), (0, 1)))
    plt.close(fig)


def test_class_log_densities_are_each_class_scipys():
    rng = np.random.default_rng(8)
    mixtures = [random_mixture(rng, k, 2) for k in (2, 1, 3)]
    X = rng.normal(scale=5, size=(40, 2))
    np.testing.assert_allclose(density.class_log_densities(X, mixtures),
                               np.column_stack([by_scipy(X, m) for m in mixtures]), rtol=1e-11)
    with pytest.raises(TypeError, match=r"class_mixtures\[0\] must be an emlib.GMM"):
        density.class_log_densities(X, [X])
