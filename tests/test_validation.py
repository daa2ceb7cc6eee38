"""Bad input is refused with a ValueError or TypeError that names the argument and the problem;
GMM is immutable; a collapsing component raises CollapseError, never NaNs."""
import copy
import pickle

import numpy as np
import pytest

import emlib
from emlib import GMM
from emlib.data import sample

X = np.random.default_rng(0).standard_normal((20, 2))
P = GMM([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [np.eye(2), np.eye(2)])
R = np.full((20, 2), 0.5)
EYE2 = [np.eye(2), np.eye(2)]


def with_nan(value):
    X2 = X.copy()
    X2[3, 1] = value
    return X2


# ---------------------------------------------------------------------------------------
# X
# ---------------------------------------------------------------------------------------
# Every public function that takes data, called with data x and otherwise good arguments.
TAKES_X = {
    "e_step": lambda x: emlib.e_step(x, P),
    "m_step": lambda x: emlib.m_step(x, R),
    "log_likelihood": lambda x: emlib.log_likelihood(x, P),
    "log_densities": lambda x: emlib.log_densities(x, P),
    "lower_bound": lambda x: emlib.lower_bound(x, P, R),
    "fit(GMM)": lambda x: emlib.fit(x, P),
    "fit(k)": lambda x: emlib.fit(x, 2, rng=0),
    "init_random": lambda x: emlib.init_random(x, 2, 0),
    "init_kmeanspp": lambda x: emlib.init_kmeanspp(x, 2, 0),
}

BAD_X = {
    "nan": (with_nan(np.nan), ValueError, r"X contains NaN"),
    "inf": (with_nan(-np.inf), ValueError, r"X contains NaN or infinite"),
    "1-D": (X[:, 0], ValueError, r"X must be 2-D.*X\[:, None\]"),
    "3-D": (X[None], ValueError, r"X must be 2-D"),
    "scalar": (np.float64(1.0), ValueError, r"X must be 2-D"),
    "empty": (np.zeros((0, 2)), ValueError, r"X is empty"),
    "no features": (np.zeros((20, 0)), ValueError, r"X has no features"),
    "strings": (np.array([["1.0", "2.0"]] * 20), TypeError, r"X must hold real numbers"),
    "object": (X.astype(object), TypeError, r"X must hold real numbers.*object"),
    "complex": (X + 1j, TypeError, r"X must hold real numbers.*complex"),
    "None": (None, TypeError, r"X must hold real numbers"),
    "ragged": ([[1.0, 2.0], [3.0]] * 10, ValueError, r"X could not be read as an array"),
}


@pytest.mark.parametrize("func", TAKES_X)
@pytest.mark.parametrize("bad", BAD_X)
def test_bad_X_is_refused(func, bad):
    value, error, match = BAD_X[bad]
    with pytest.raises(error, match=match):
        TAKES_X[func](value)


@pytest.mark.parametrize("call, p_name", [
    (lambda x: emlib.e_step(x, P), "params"),
    (lambda x: emlib.log_likelihood(x, P), "params"),
    (lambda x: emlib.log_densities(x, P), "params"),
    (lambda x: emlib.lower_bound(x, P, R), "params"),
    (lambda x: emlib.fit(x, P), "init"),
])
def test_mismatched_dimension_is_refused(call, p_name):
    with pytest.raises(ValueError, match=rf"X has d=3 features.*{p_name} has d=2"):
        call(np.hstack([X, X[:, :1]]))


@pytest.mark.parametrize("call", [
    lambda: emlib.fit(X[:1], P),
    lambda: emlib.fit(X[:1], 2, rng=0),
    lambda: emlib.m_step(X[:1], R[:1]),
    lambda: emlib.init_random(X[:1], 2, 0),
    lambda: emlib.init_kmeanspp(X[:1], 2, 0),
])
def test_fewer_points_than_components_is_refused(call):
    with pytest.raises(ValueError, match=r"X has 1 points, fewer than the k=2 components"):
        call()


FAR = np.array([[0.0, 0.0], [1e160, 0.0], [1.0, 2.0]])     # ||x - mu||^2 ~ 1e320 overflows
HARD = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])     # responsibilities with exact zeros


@pytest.mark.filterwarnings("error")                        # no RuntimeWarning, no NaN on the way
@pytest.mark.parametrize("call", [
    lambda: emlib.e_step(FAR, P),
    lambda: emlib.log_likelihood(FAR, P),
    lambda: emlib.fit(FAR, P),
    lambda: emlib.fit(FAR, 2, rng=0),
    lambda: emlib.init_kmeanspp(FAR, 2, 0),
    lambda: emlib.lower_bound(FAR, P, HARD),
    lambda: emlib.m_step(FAR, HARD),
], ids=["e_step", "log_likelihood", "fit(GMM)", "fit(k)", "init_kmeanspp", "lower_bound", "m_step"])
def test_distances_that_overflow_give_a_clear_error(call):
    with pytest.raises(ValueError, match=r"X has .*overflow.*rescale X"):
        call()


@pytest.mark.parametrize("data", [
    np.column_stack([np.arange(10.0), 2 * np.arange(10.0)]),    # on a line
    np.ones((5, 2)),                                             # all identical
])
def test_kmeanspp_on_degenerate_data_names_X(data):
    with pytest.raises(ValueError, match=r"X has a singular covariance"):
        emlib.init_kmeanspp(data, 2, 0)


# ---------------------------------------------------------------------------------------
# params, init, rng
# ---------------------------------------------------------------------------------------
NOT_A_GMM = [None, {"weights": [1.0]}, (P.weights, P.means, P.covariances), "P"]
NOT_A_GMM_IDS = ["None", "dict", "tuple", "str"]


@pytest.mark.parametrize("value", NOT_A_GMM, ids=NOT_A_GMM_IDS)
@pytest.mark.parametrize("call", [
    lambda p: emlib.e_step(X, p),
    lambda p: emlib.log_likelihood(X, p),
    lambda p: emlib.log_densities(X, p),
    lambda p: emlib.lower_bound(X, p, R),
    lambda p: sample(p, 5, 0),
])
def test_params_that_is_not_a_gmm_is_refused(call, value):
    with pytest.raises(TypeError, match=r"params must be an emlib.GMM, not"):
        call(value)


@pytest.mark.parametrize("value", NOT_A_GMM + [2.0], ids=NOT_A_GMM_IDS + ["float"])
def test_fit_init_that_is_neither_gmm_nor_int_is_refused(value):
    # The argument is called init: the message must say so (and what it must be).
    with pytest.raises(TypeError, match=r"\binit\b.*(GMM|integer)"):
        emlib.fit(X, value, rng=0)


@pytest.mark.parametrize("call", [
    lambda rng: emlib.init_random(X, 2, rng),
    lambda rng: emlib.init_kmeanspp(X, 2, rng),
    lambda rng: sample(P, 5, rng),
])
@pytest.mark.parametrize("rng", [None, 1.5, "0", True])
def test_rng_must_be_a_generator_or_seed(call, rng):
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator or an integer seed"):
        call(rng)


def test_fit_with_k_needs_rng():
    with pytest.raises(ValueError, match=r"init=2 components needs rng"):
        emlib.fit(X, 2)


@pytest.mark.parametrize("init", [emlib.init_random, emlib.init_kmeanspp])
@pytest.mark.parametrize("k, error, match", [
    (0, ValueError, r"k must be >= 1"),
    (-1, ValueError, r"k must be >= 1"),
    (2.0, TypeError, r"k must be an integer"),
    (None, TypeError, r"k must be an integer"),
])
def test_bad_k_is_refused(init, k, error, match):
    with pytest.raises(error, match=match):
        init(X, k, 0)


def test_unknown_init_method_is_refused():
    with pytest.raises(ValueError, match=r"init_method must be one of"):
        emlib.fit(X, 2, rng=0, init_method="kmeans")


@pytest.mark.parametrize("n, error, match", [
    (0, ValueError, r"n must be >= 1"),
    (2.5, TypeError, r"n must be an integer"),
    ("5", TypeError, r"n must be an integer"),
])
def test_sample_bad_n_is_refused(n, error, match):
    with pytest.raises(error, match=match):
        sample(P, n, 0)


# ---------------------------------------------------------------------------------------
# Numbers: max_iter, tol, reg_covar
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, error, match", [
    ({"max_iter": -1}, ValueError, r"max_iter must be >= 0"),
    ({"max_iter": -3}, ValueError, r"max_iter must be >= 0"),
    ({"max_iter": 2.5}, TypeError, r"max_iter must be an integer"),
    ({"max_iter": 3.0}, TypeError, r"max_iter must be an integer"),
    ({"max_iter": "3"}, TypeError, r"max_iter must be an integer"),
    ({"max_iter": True}, TypeError, r"max_iter must be an integer"),
    ({"tol": -1e-3}, ValueError, r"tol must be >= 0"),
    ({"tol": np.nan}, ValueError, r"tol must be finite"),
    ({"tol": None}, TypeError, r"tol must be a real number"),
    ({"reg_covar": -1e-6}, ValueError, r"reg_covar must be >= 0"),
    ({"reg_covar": np.nan}, ValueError, r"reg_covar must be finite"),
    ({"reg_covar": "0"}, TypeError, r"reg_covar must be a real number"),
])
def test_fit_bad_numbers_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        emlib.fit(X, P, **kwargs)


@pytest.mark.parametrize("reg_covar, error, match", [
    (-1e-6, ValueError, r"reg_covar must be >= 0"),
    (np.nan, ValueError, r"reg_covar must be finite"),
    ("0", TypeError, r"reg_covar must be a real number"),
])
def test_m_step_bad_reg_covar_is_refused(reg_covar, error, match):
    with pytest.raises(error, match=match):
        emlib.m_step(X, R, reg_covar=reg_covar)


def test_numpy_integer_max_iter_is_accepted():
    assert emlib.fit(X, P, max_iter=np.int64(2), tol=0).n_iter == 2


# ---------------------------------------------------------------------------------------
# Responsibilities
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("resp, error, match", [
    (R[:5], ValueError, r"resp has 5 rows but X has n=20"),
    (np.full(20, 1.0), ValueError, r"resp must be 2-D"),
    (np.tile([-0.5, 1.5], (20, 1)), ValueError, r"resp must lie in \[0, 1\]"),
    (np.full((20, 2), 0.3), ValueError, r"each row of resp must sum to 1"),
    (np.where(np.arange(40).reshape(20, 2) == 3, np.nan, 0.5), ValueError, r"resp contains NaN"),
    (np.full((20, 2), "a"), TypeError, r"resp must hold real numbers"),
])
@pytest.mark.parametrize("call", [
    lambda r: emlib.m_step(X, r),
    lambda r: emlib.lower_bound(X, P, r),
])
def test_bad_responsibilities_are_refused(call, resp, error, match):
    with pytest.raises(error, match=match):
        call(resp)


def test_lower_bound_resp_with_wrong_k_is_refused():
    with pytest.raises(ValueError, match=r"resp has 3 columns but params has k=2"):
        emlib.lower_bound(X, P, np.full((20, 3), 1 / 3))


# ---------------------------------------------------------------------------------------
# GMM
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("weights, means, covs, error, match", [
    ([-0.1, 1.1], P.means, EYE2, ValueError, r"weights must be positive; weights\[0\] = -0.1"),
    ([0.0, 1.0], P.means, EYE2, ValueError, r"weights must be positive"),
    ([0.5, 0.6], P.means, EYE2, ValueError, r"weights must sum to 1, but sum to 1.1"),
    ([np.nan, 1.0], P.means, EYE2, ValueError, r"weights contains NaN"),
    ([[0.5, 0.5]], P.means, EYE2, ValueError, r"weights must have shape \(k,\)"),
    ([], np.zeros((0, 2)), np.zeros((0, 2, 2)), ValueError, r"weights must have shape \(k,\) with k >= 1"),
    (["a", "b"], P.means, EYE2, TypeError, r"weights must hold real numbers"),
    ([0.5 + 0j, 0.5], P.means, EYE2, TypeError, r"weights must hold real numbers.*complex"),
    (P.weights, [[0.0, np.inf], [1.0, 1.0]], EYE2, ValueError, r"means contains NaN or infinite"),
    (P.weights, [0.0, 1.0], EYE2, ValueError, r"means must have shape \(k, d\)"),
    (P.weights, [[0.0, 0.0]], EYE2, ValueError, r"means must have shape \(k, d\) = \(2, d\)"),
    (P.weights, np.array(P.means, dtype=object), EYE2, TypeError, r"means must hold real numbers"),
    (P.weights, P.means, np.eye(2), ValueError, r"covariances must have shape \(k, d, d\) = \(2, 2, 2\)"),
    (P.weights, P.means, [[1.0, 1.0]] * 2, ValueError, r"covariances must have shape"),
    (P.weights, P.means, [np.eye(2)] * 3, ValueError, r"covariances must have shape"),
    (P.weights, P.means, [np.eye(3)] * 2, ValueError, r"covariances must have shape"),
    (P.weights, P.means, [np.eye(2), [[1.0, 0.5], [0.4, 1.0]]], ValueError,
     r"covariances\[1\] is not symmetric"),
    (P.weights, P.means, [np.eye(2), [[1.0, 2.0], [2.0, 1.0]]], ValueError,
     r"covariances\[1\] is not positive definite"),
    (P.weights, P.means, [-np.eye(2), np.eye(2)], ValueError, r"covariances\[0\] is not positive definite"),
    (P.weights, P.means, [np.eye(2), np.zeros((2, 2))], ValueError, r"covariances\[1\] is not positive definite"),
    (P.weights, P.means, [np.eye(2), np.diag([1.0, np.nan])], ValueError, r"covariances contains NaN"),
    (P.weights, P.means, None, TypeError, r"covariances must hold real numbers"),
])
def test_bad_gmm_is_refused(weights, means, covs, error, match):
    with pytest.raises(error, match=match):
        GMM(weights, means, covs)


@pytest.mark.parametrize("name", ["weights", "means", "covariances", "cholesky", "k", "d", "_weights", "new"])
def test_gmm_attributes_cannot_be_assigned_or_deleted(name):
    g = GMM(P.weights, P.means, P.covariances)
    with pytest.raises(AttributeError):
        setattr(g, name, 1.0)
    with pytest.raises(AttributeError):
        delattr(g, name)


@pytest.mark.parametrize("name", ["weights", "means", "covariances", "cholesky"])
def test_gmm_arrays_are_read_only(name):
    arr = getattr(GMM(P.weights, P.means, P.covariances), name)
    with pytest.raises(ValueError, match="read-only"):
        arr[...] = 0.0
    with pytest.raises(ValueError):
        arr.setflags(write=True)                  # cannot be made writeable again either


def test_gmm_does_not_share_memory_with_its_inputs():
    w, m, c = np.array([0.5, 0.5]), np.zeros((2, 2)), np.array(EYE2)
    g = GMM(w, m, c)
    w[0], m[0, 0], c[0, 0, 0] = 0.9, 5.0, 7.0
    assert g.weights[0] == 0.5 and g.means[0, 0] == 0.0 and g.covariances[0, 0, 0] == 1.0


@pytest.mark.parametrize("clone", [copy.copy, copy.deepcopy, lambda g: pickle.loads(pickle.dumps(g))])
def test_gmm_copies_are_equal_and_read_only(clone):
    g = clone(P)
    assert isinstance(g, GMM)
    for name in ("weights", "means", "covariances", "cholesky"):
        np.testing.assert_array_equal(getattr(g, name), getattr(P, name))
        assert not getattr(g, name).flags.writeable


def test_gmm_repr_is_rounded_and_has_no_address():
    g = GMM([1 / 3, 2 / 3], [[1.23456789, -2.0], [0.0, 1e3 / 7]], [np.eye(2), 2 * np.eye(2)])
    text = repr(g)
    assert "0x" not in text and "object at" not in text
    assert "0.3333" in text and "0.33333" not in text
    assert "1.2346" in text and "1.234567" not in text
    assert "142.8571" in text
    assert text.startswith("GMM(k=2, d=2")


# ---------------------------------------------------------------------------------------
# Collapse
# ---------------------------------------------------------------------------------------
def duplicated_points_problem():
    """60 spread points and 20 copies of (5, 5); component 1 starts on the copies, tiny."""
    rng = np.random.default_rng(0)
    data = np.vstack([rng.standard_normal((60, 2)), np.tile([5.0, 5.0], (20, 1))])
    init = GMM([0.5, 0.5], [[0.0, 0.0], [5.0, 5.0]], [np.eye(2), 1e-4 * np.eye(2)])
    return data, init


def as_many_components_as_distinct_points():
    data = np.repeat([[0.0, 0.0], [3.0, 1.0], [1.0, 4.0]], 10, axis=0)
    return data, emlib.init_kmeanspp(data, 3, 0)


COLLAPSES = {
    "duplicates": (duplicated_points_problem, 1, 1),
    "k = distinct points": (as_many_components_as_distinct_points, 0, 3),
}


@pytest.mark.filterwarnings("error")                      # no NaN arithmetic on the way
@pytest.mark.parametrize("case", COLLAPSES)
def test_collapse_raises_a_named_error(case):
    make, component, iteration = COLLAPSES[case]
    data, init = make()
    with pytest.raises(emlib.CollapseError,
                       match=rf"iteration {iteration}: component {component} has collapsed.*reg_covar") as info:
        emlib.fit(data, init, max_iter=50, tol=0)
    assert isinstance(info.value, ValueError)
    assert (info.value.component, info.value.iteration) == (component, iteration)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("case", COLLAPSES)
def test_collapse_is_avoided_with_reg_covar(case):
    data, init = COLLAPSES[case][0]()
    result = emlib.fit(data, init, max_iter=50, tol=0, reg_covar=1e-6)
    assert result.n_iter == 50
    assert np.all(np.isfinite(result.log_likelihoods))
    assert np.all(np.isfinite(result.responsibilities))
    for cov in result.params.covariances:
        assert np.linalg.eigvalsh(cov).min() >= 1e-6 * (1 - 1e-9)


def test_m_step_component_without_points_is_named():
    resp = np.column_stack([np.ones(20), np.zeros(20)])
    with pytest.raises(emlib.CollapseError, match=r"component 1 has collapsed") as info:
        emlib.m_step(X, resp)
    assert info.value.component == 1


def test_m_step_singular_covariance_is_named_and_suggests_reg_covar():
    data = np.column_stack([np.arange(10.0), 2 * np.arange(10.0)])     # on a line
    with pytest.raises(emlib.CollapseError, match=r"component 0 has collapsed.*reg_covar"):
        emlib.m_step(data, np.ones((10, 1)))
    assert np.linalg.eigvalsh(emlib.m_step(data, np.ones((10, 1)), reg_covar=1e-6).covariances[0]).min() > 0


def test_a_component_on_one_point_is_a_collapse_even_with_a_diagonal_covariance():
    # Component 1 is given one point, (5.3, 3.31).  Its mean is computed about the data's mean and
    # misses x_2 by one rounding step (4.4e-16), so the spherical variance is (4.4e-16)^2 / 2 =
    # 9.9e-32, not 0: sigma^2 I passes every Cholesky pivot test (its correlation matrix is I),
    # and lesson 11's choose_k once took such a fit for the best model.  It is a collapse.
    rng = np.random.default_rng(0)
    data = np.vstack([rng.standard_normal((60, 2)), [[5.3, 3.31]]])
    resp = np.zeros((61, 2))
    resp[:60, 0], resp[60, 1] = 1.0, 1.0
    for kind in ("full", "diag", "spherical"):
        with pytest.raises(emlib.CollapseError, match=r"component 1 has collapsed.*reg_covar"):
            emlib.m_step(data, resp, covariance_type=kind)
    # reg_covar keeps it a (narrow) component: variance 1e-6 + 9.9e-32
    narrow = emlib.m_step(data, resp, covariance_type="spherical", reg_covar=1e-6)
    np.testing.assert_allclose(np.diag(narrow.covariances[1]), 1e-6, rtol=1e-12)


@pytest.mark.parametrize("kind", ["full", "diag", "spherical"])
def test_a_tight_cluster_far_from_the_rest_is_no_collapse(kind):
    # 50 points with standard deviation 1e-6 at (1e4, -1e4), 1e10 of their own standard
    # deviations from the other 50: a real component, whose variance (1e-12) is far above the
    # rounding of numbers near 1e4 (eps 1e4 = 2.2e-12, squared 4.9e-24).  The M-step from the
    # true labels gives each cluster's own moments (numpy's, independently).
    rng = np.random.default_rng(3)
    tight = np.array([1e4, -1e4]) + 1e-6 * rng.standard_normal((50, 2))
    data = np.vstack([rng.standard_normal((50, 2)), tight])
    resp = np.repeat(np.eye(2), 50, axis=0)
    params = emlib.m_step(data, resp, covariance_type=kind)
    variances = tight.var(axis=0)
    expected = {"full": variances, "diag": variances, "spherical": np.full(2, variances.mean())}[kind]
    np.testing.assert_allclose(np.diag(params.covariances[1]), expected, rtol=1e-6)
