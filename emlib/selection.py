"""Choosing the number of components k: parameter counts, BIC, AIC, and a scan over k.

More components always fit the data at least as well, so the log-likelihood alone would always
pick the largest k.  BIC and AIC charge each free parameter a price; the k with the smallest
criterion wins.  Notation as in the notebooks: n points, d features, k components,
log p(X | theta) the total log-likelihood (`emlib.log_likelihood`), p the number of free
parameters.
"""
from dataclasses import dataclass
import numbers

import numpy as np

from ._checks import check_data, check_data_matches, check_enough_points, check_number, check_params
from .em import CollapseError, fit_restarts, log_likelihood
from .init import as_generator

#: The criteria `choose_k` can minimise.
CRITERIA = ("bic", "aic")


def n_parameters(k, d):
    """How many free numbers a mixture of k full-covariance Gaussians in d dimensions has.

    p = (k - 1) + k d + k d (d + 1) / 2

    (k - 1) weights (the k-th is 1 minus the others), k d means, and k d (d + 1) / 2
    covariance entries (each Sigma_j is symmetric: its upper triangle, diagonal included).

    k, d: positive integers.  Returns p, an int.
    """
    check_number(k, "k", minimum=1, integer=True)
    check_number(d, "d", minimum=1, integer=True)
    k, d = int(k), int(d)
    return (k - 1) + k * d + k * d * (d + 1) // 2


def _loglik_and_size(X, params):
    X = check_data(X)
    params = check_params(params)
    check_data_matches(X, params)
    return log_likelihood(X, params), n_parameters(params.k, params.d), X.shape[0]


def bic(X, params):
    """Bayesian information criterion: misfit plus a price of log n per parameter (smaller is better).

    BIC = -2 log p(X | theta) + p log n,   p = n_parameters(k, d)

    X: (n, d) data; params: GMM (usually fitted to X).  Returns a float.
    """
    loglik, p, n = _loglik_and_size(X, params)
    return -2.0 * loglik + p * np.log(n)


def aic(X, params):
    """Akaike information criterion: misfit plus a price of 2 per parameter (smaller is better).

    AIC = -2 log p(X | theta) + 2 p,   p = n_parameters(k, d)

    X: (n, d) data; params: GMM (usually fitted to X).  Returns a float.
    """
    loglik, p, _ = _loglik_and_size(X, params)
    return -2.0 * loglik + 2.0 * p


@dataclass(frozen=True, eq=False)
class Selection:
    """What `choose_k` returns: one fit per k, its BIC and AIC, and the k the criterion picks.

    ks         (m,) int array, the numbers of components tried, increasing.
    fits       tuple of m FitResults: fits[i] is the best of n_init EM runs with k = ks[i].
    bic, aic   (m,) arrays: bic[i] = -2 log p(X | theta_i) + p_i log n, aic[i] = ... + 2 p_i.
    criterion  "bic" or "aic", the one minimised.
    best_k     the k with the smallest criterion (the smallest such k on a tie).
    best_fit   (property) the FitResult of best_k.
    """

    ks: np.ndarray
    fits: tuple
    bic: np.ndarray
    aic: np.ndarray
    criterion: str
    best_k: int

    @property
    def best_fit(self):
        return self.fits[int(np.flatnonzero(self.ks == self.best_k)[0])]

    def __repr__(self):
        rows = "\n".join(
            f"    k={k:<3d} bic={b:<14.4f} aic={a:.4f}" + ("   <- best" if k == self.best_k else "")
            for k, b, a in zip(self.ks, self.bic, self.aic)
        )
        return f"Selection(criterion={self.criterion!r}, best_k={self.best_k},\n{rows})"


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
    return np.array(sorted(ks))


def choose_k(X, ks, *, n_init=5, rng, criterion="bic", **fit_options):
    """Fit a mixture for every k in ks and pick the k with the smallest BIC (or AIC).

    k* = argmin_k  BIC(k),   BIC(k) = -2 log p(X | theta_k) + p(k, d) log n,

    where theta_k is the best of n_init EM runs with k components (`emlib.fit_restarts`).
    The ks are fitted in increasing order, all drawing their starts from the one generator made
    from rng, so the whole scan is reproducible.

    X: (n, d) data; ks: the numbers of components to try, e.g. range(1, 7); n_init: EM runs per
    k; rng: a seed or numpy.random.Generator; criterion: "bic" or "aic"; fit_options: passed on
    to fit_restarts and fit (init_method, max_iter, tol, reg_covar).
    Returns a Selection.  Raises CollapseError naming k when every start for that k collapsed
    (pass reg_covar > 0).
    """
    X = check_data(X)
    ks = _check_ks(ks, X.shape[0])
    check_number(n_init, "n_init", minimum=1, integer=True)
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    rng = as_generator(rng)

    fits = []
    for k in ks:
        try:
            best, _ = fit_restarts(X, int(k), n_init=n_init, rng=rng, **fit_options)
        except CollapseError as err:
            raise CollapseError(f"k={k}: {err}", err.component, err.iteration) from None
        fits.append(best)
    bics = np.array([bic(X, f.params) for f in fits])
    aics = np.array([aic(X, f.params) for f in fits])
    for arr in (ks, bics, aics):
        arr.setflags(write=False)
    values = bics if criterion == "bic" else aics
    return Selection(ks=ks, fits=tuple(fits), bic=bics, aic=aics, criterion=criterion,
                     best_k=int(ks[np.argmin(values)]))
