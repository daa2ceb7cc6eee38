"""Choosing the number of components k (and the covariance structure): parameter counts, BIC,
AIC, ICL, and a scan over k and covariance types.

More components always fit the data at least as well, so the log-likelihood alone would always
pick the largest k.  BIC and AIC charge each free parameter a price; the k with the smallest
criterion wins.  Notation as in the notebooks: n points, d features, k components,
log p(X | theta) the total log-likelihood (`emlib.log_likelihood`), p the number of free
parameters.
"""
from dataclasses import dataclass
import numbers

import numpy as np
from scipy.special import entr

from . import covariance
from ._checks import check_data, check_data_matches, check_enough_points, check_number, check_params
from .covariance import check_covariance_type
from .em import CollapseError, e_step, fit_restarts, log_likelihood
from .init import as_generator

#: The criteria `choose_k` can minimise.
CRITERIA = ("bic", "aic")


def n_parameters(k, d, covariance_type="full"):
    """How many free numbers a mixture of k Gaussians in d dimensions has.

    p = (k - 1) + k d + (the covariances' free entries)

    (k - 1) weights (the k-th is 1 minus the others), k d means, and the covariances' free
    entries, which depend on their structure (emlib.covariance):
        "full" (VVV)       k d (d + 1) / 2    each Sigma_j symmetric: its upper triangle
        "tied" (EEE)       d (d + 1) / 2      one symmetric Sigma shared by all
        "diag" (VVI)       k d                the variances of each component
        "spherical" (VII)  k                  one variance sigma_j^2 per component

    k, d: positive integers; covariance_type: one of the four.  Returns p, an int.
    """
    check_number(k, "k", minimum=1, integer=True)
    check_number(d, "d", minimum=1, integer=True)
    covariance_type = check_covariance_type(covariance_type)
    k, d = int(k), int(d)
    return (k - 1) + k * d + covariance.n_parameters(covariance_type, k, d)


def _loglik_and_size(X, params):
    X = check_data(X)
    params = check_params(params)
    check_data_matches(X, params)
    return log_likelihood(X, params), n_parameters(params.k, params.d, params.covariance_type), X.shape[0]


def bic(X, params):
    """Bayesian information criterion: misfit plus a price of log n per parameter (smaller is better).

    BIC = -2 log p(X | theta) + p log n,   p = n_parameters(k, d, params.covariance_type)

    (mclust reports -BIC, larger is better.)  X: (n, d) data; params: GMM (usually fitted to
    X), whose covariance_type says how many parameters it has.  Returns a float.
    """
    loglik, p, n = _loglik_and_size(X, params)
    return -2.0 * loglik + p * np.log(n)


def aic(X, params):
    """Akaike information criterion: misfit plus a price of 2 per parameter (smaller is better).

    AIC = -2 log p(X | theta) + 2 p,   p = n_parameters(k, d, params.covariance_type)

    X: (n, d) data; params: GMM (usually fitted to X).  Returns a float.
    """
    loglik, p, _ = _loglik_and_size(X, params)
    return -2.0 * loglik + 2.0 * p


def icl(X, params, *, hard=False):
    """Integrated completed likelihood: BIC plus a price for points the components share (smaller is better).

    ICL = BIC + 2 EN(gamma),   EN(gamma) = -sum_i sum_j gamma[i, j] log gamma[i, j]

    gamma = e_step(X, params): EN is 0 when each point belongs to one component for certain, and
    grows as components overlap.  BIC asks how well the mixture describes the density; ICL asks
    that of the mixture and of its partition of the points into k clusters, so it prefers
    components that are well separated clusters.  This entropy form is the soft variant
    (McLachlan & Peel 2000, Finite Mixture Models, ch. 6).  With hard=True the MAP labels take
    gamma's place inside the sum, as in Biernacki, Celeux & Govaert (2000, IEEE TPAMI
    22(7):719-725) and mclust's icl() (which reports -ICL, larger is better):
        ICL = BIC - 2 sum_i log max_j gamma[i, j].

    X: (n, d) data; params: GMM (usually fitted to X), whose covariance_type says how many
    parameters it has.  Returns a float, never below bic(X, params) (equal for k = 1).
    """
    X = check_data(X)
    params = check_params(params)
    check_data_matches(X, params)
    resp, loglik = e_step(X, params)
    n = X.shape[0]
    bic_value = -2.0 * loglik + n_parameters(params.k, params.d, params.covariance_type) * np.log(n)
    if hard:
        return bic_value - 2.0 * np.log(resp.max(axis=1)).sum()
    return bic_value + 2.0 * entr(resp).sum()


@dataclass(frozen=True, eq=False)
class Selection:
    """What `choose_k` returns: a table with one row per model fitted (a covariance type and a k),
    its BIC and AIC, how many of its starts collapsed, and the model the criterion picks.

    covariance_types  tuple of m names, the covariance type of each row.
    ks                (m,) int array, the number of components of each row (increasing within
                      each covariance type; the types in the order asked for).
    fits              tuple of m FitResults: fits[i] is the best of n_init EM runs of row i.
    bic, aic          (m,) arrays: bic[i] = -2 log p(X | theta_i) + p_i log n, aic[i] = ... + 2 p_i.
    collapsed         (m,) int array: how many of row i's n_init starts collapsed (CollapseError);
                      the best fit is taken among the others.
    criterion         "bic" or "aic", the one minimised.
    best_k, best_covariance_type
                      the row with the smallest criterion (the first such row on a tie).
    best_fit          (property) the FitResult of that row.
    """

    covariance_types: tuple
    ks: np.ndarray
    fits: tuple
    bic: np.ndarray
    aic: np.ndarray
    collapsed: np.ndarray
    criterion: str
    best_k: int
    best_covariance_type: str

    @property
    def best_fit(self):
        best = [i for i, (t, k) in enumerate(zip(self.covariance_types, self.ks))
                if (t, k) == (self.best_covariance_type, self.best_k)]
        return self.fits[best[0]]

    def __repr__(self):
        rows = "\n".join(
            f"    {t:<10s} k={k:<3d} bic={b:<14.4f} aic={a:<14.4f} collapsed={c}"
            + ("   <- best" if (t, k) == (self.best_covariance_type, self.best_k) else "")
            for t, k, b, a, c in zip(self.covariance_types, self.ks, self.bic, self.aic, self.collapsed)
        )
        return (f"Selection(criterion={self.criterion!r}, best_covariance_type={self.best_covariance_type!r}, "
                f"best_k={self.best_k},\n{rows})")


def _check_ks(ks, n):
    if isinstance(ks, (numbers.Number, str, bytes)) or not np.iterable(ks):
        raise TypeError(f"ks must be a sequence of integers such as range(1, 7), not {type(ks).__name__} ({ks!r})")
    ks = list(ks)
    if not ks:
        raise ValueError("ks is empty: give at least one number of components, e.g. ks=range(1, 7)")
    for i, k in enumerate(ks):
        check_number(k, f"ks[{i}]", minimum=1, integer=True)
    ks = [int(k) for k in ks]
    repeated = sorted({k for k in ks if ks.count(k) > 1})
    if repeated:
        raise ValueError(f"ks must not repeat a value; {repeated} appear more than once")
    check_enough_points(n, max(ks))
    return sorted(ks)


def _check_types(covariance_type):
    """One covariance type or a sequence of them, as a tuple of distinct names."""
    if isinstance(covariance_type, str):
        return (check_covariance_type(covariance_type),)
    if not np.iterable(covariance_type):
        raise TypeError(f"covariance_type must be one of {covariance.TYPES} or a sequence of them, "
                        f"not {type(covariance_type).__name__} ({covariance_type!r})")
    types = tuple(check_covariance_type(t, f"covariance_type[{i}]") for i, t in enumerate(covariance_type))
    if not types:
        raise ValueError(f"covariance_type is empty: give one of {covariance.TYPES} or several")
    repeated = sorted({t for t in types if types.count(t) > 1})
    if repeated:
        raise ValueError(f"covariance_type must not repeat a value; {repeated} appear more than once")
    return types


def choose_k(X, ks, *, n_init=5, rng, criterion="bic", covariance_type="full", **fit_options):
    """Fit a mixture for every k in ks (and every covariance type asked for) and pick the model
    with the smallest BIC (or AIC).

    (type*, k*) = argmin BIC(type, k),   BIC(type, k) = -2 log p(X | theta) + p(k, d, type) log n,

    where theta is the best of n_init EM runs with k components of that covariance type
    (`emlib.fit_restarts`).  The covariance types are fitted in the order given, and for each
    the ks in increasing order, all drawing their starts from the one generator made from rng,
    so the whole scan is reproducible (and a scan of "full" alone draws what it always drew).

    X: (n, d) data; ks: the numbers of components to try, e.g. range(1, 7); n_init: EM runs per
    model; rng: a seed or numpy.random.Generator; criterion: "bic" or "aic"; covariance_type:
    one of "full", "tied", "diag", "spherical", or a sequence of them (e.g. emlib.covariance.TYPES
    for all four); fit_options: passed on to fit_restarts and fit (init_method, max_iter, tol,
    reg_covar, prior).
    Returns a Selection (its repr is the table).  Raises CollapseError naming the type and k when
    every start of a model collapsed (pass reg_covar > 0, or a prior).
    """
    X = check_data(X)
    ks = _check_ks(ks, X.shape[0])
    check_number(n_init, "n_init", minimum=1, integer=True)
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    types = _check_types(covariance_type)
    rng = as_generator(rng)

    rows, fits, collapsed = [], [], []
    for kind in types:
        for k in ks:
            try:
                best, finals = fit_restarts(X, k, n_init=n_init, rng=rng, covariance_type=kind, **fit_options)
            except CollapseError as err:
                raise CollapseError(f"covariance_type={kind!r}, k={k}: {err}", err.component, err.iteration) from None
            rows.append((kind, k))
            fits.append(best)
            collapsed.append(int(np.isnan(finals).sum()))
    ks_of_rows = np.array([k for _, k in rows])
    bics = np.array([bic(X, f.params) for f in fits])
    aics = np.array([aic(X, f.params) for f in fits])
    collapsed = np.array(collapsed)
    for arr in (ks_of_rows, bics, aics, collapsed):
        arr.setflags(write=False)
    best_type, best_k = rows[int(np.argmin(bics if criterion == "bic" else aics))]
    return Selection(covariance_types=tuple(t for t, _ in rows), ks=ks_of_rows, fits=tuple(fits), bic=bics,
                     aic=aics, collapsed=collapsed, criterion=criterion, best_k=int(best_k),
                     best_covariance_type=best_type)
