"""Lesson 12's check: the MAP M-step of one component, under the conjugate prior.

    check_map_update(my_map_update)   mu_j (d,) and Sigma_j (d, d) from X, gamma_.j and a Prior

With N_j = sum_i gamma_ij, xbar_j = sum_i gamma_ij x_i / N_j, S_j = sum_i gamma_ij (x_i - xbar_j)(x_i - xbar_j)^T
and the prior's mean mu_p, shrinkage kappa, degrees of freedom nu and scale Lambda:

    mu_j    = (N_j xbar_j + kappa mu_p) / (N_j + kappa)
    Sigma_j = (Lambda + S_j + kappa N_j / (N_j + kappa) (xbar_j - mu_p)(xbar_j - mu_p)^T) / (nu + N_j + d + 2)

It compares with emlib.prior.map_update and recognises the classic slips by recomputing the update
with them (written here independently of emlib): the prior mean ignored or replaced by the data's
mean, the kappa term forgotten or taken at xbar_j, the denominators of other estimates (nu + N_j,
scikit-learn's; nu + N_j + d + 1, without the means' prior; nu + N_j - d - 1, the posterior mean;
N_j, maximum likelihood), len(X) for N_j, Lambda missing or inverted.
"""
import numpy as np

from ..data import seed_data, seed_initial_params
from ..em import e_step
from ..prior import Prior, default_prior, map_update
from .cases import case, three_d_case
from .checking import Mistake, Part, array, judge, run, values

NAMES = ("mean", "covariance")
DENOMINATOR = "nu + N_j + d + 2"


def weighted_sums(X, resp_j):
    """N_j, xbar_j (d,) and the scatter S_j (d, d) about xbar_j: the M-step's sums for one component."""
    N = resp_j.sum()
    xbar = resp_j @ X / N
    diff = X - xbar
    return N, xbar, (resp_j[:, None] * diff).T @ diff


def _expected(X, resp_j, prior):
    """emlib's MAP M-step (emlib.prior.map_update) for this one component."""
    N, xbar, S = weighted_sums(X, resp_j)
    _, means, covariances = map_update("full", np.array([N]), xbar[None], S[None], prior)
    return means[0], covariances[0]


def map_update_mistakes(X, resp_j, prior):
    """The MAP M-step's recognisable mistakes for the parts (mean, covariance), in order."""
    n, d = X.shape
    N, xbar, S = weighted_sums(X, resp_j)
    mu_p, kappa, nu, Lam = prior.mean, prior.shrinkage, prior.dof, prior.scale
    mean = (N * xbar + kappa * mu_p) / (N + kappa)
    outer = lambda v: np.outer(v, v)  # noqa: E731
    pull = kappa * N / (N + kappa) * outer(xbar - mu_p)               # the kappa term, about xbar_j
    about_mean = S + N * outer(xbar - mean)                             # sum_i gamma_ij (x_i - mu_j)(x_i - mu_j)^T
    numerator = Lam + S + pull
    mode = nu + N + d + 2
    kappa_term = ("the means' prior adds a term to the scatter: with the scatter about xbar_j it is kappa N_j / "
                  "(N_j + kappa) (xbar_j - mu_p)(xbar_j - mu_p)^T (equivalently, centre the scatter on the new "
                  "mu_j and add kappa (mu_j - mu_p)(mu_j - mu_p)^T)")
    return [
        # the mean
        Mistake("this is the maximum-likelihood mean xbar_j: the prior pulls it towards mu_p (prior.mean), "
                "mu_j = (N_j xbar_j + kappa mu_p) / (N_j + kappa).", wrong=lambda: xbar, part=0),
        Mistake("the mean is pulled towards the data's mean: the prior pulls it towards its own mean mu_p, "
                "prior.mean.", wrong=lambda: (N * xbar + kappa * X.mean(axis=0)) / (N + kappa), part=0),
        Mistake("divide by N_j + kappa: the prior's kappa pseudo-points at mu_p count in the denominator too.",
                wrong=lambda: (N * xbar + kappa * mu_p) / N, part=0),
        Mistake("N_j and kappa are swapped: N_j weights the data's mean xbar_j, kappa the prior's mean mu_p.",
                wrong=lambda: (kappa * xbar + N * mu_p) / (N + kappa), part=0),
        Mistake("N_j is resp_j.sum(), the component's effective number of points, not len(X).",
                wrong=lambda: (resp_j @ X + kappa * mu_p) / (n + kappa), part=0),
        # the covariance
        Mistake(f"the kappa term is missing: {kappa_term}.", wrong=lambda: (Lam + S) / mode, part=1),
        Mistake(f"the scatter is centred on mu_j but the kappa term is missing: {kappa_term}.",
                wrong=lambda: (Lam + about_mean) / mode, part=1),
        Mistake("your kappa term is kappa (xbar_j - mu_p)(xbar_j - mu_p)^T; about xbar_j it needs the factor "
                "N_j / (N_j + kappa): kappa N_j / (N_j + kappa) (xbar_j - mu_p)(xbar_j - mu_p)^T.",
                wrong=lambda: (Lam + S + kappa * outer(xbar - mu_p)) / mode, part=1),
        Mistake("the scatter is centred on mu_j and the kappa term is the one that goes with the scatter about "
                "xbar_j: use one form, S_j (about xbar_j) + kappa N_j / (N_j + kappa) (xbar_j - mu_p)(xbar_j - "
                "mu_p)^T, or the scatter about mu_j + kappa (mu_j - mu_p)(mu_j - mu_p)^T.",
                wrong=lambda: (Lam + about_mean + pull) / mode, part=1),
        Mistake(f"this divides by nu + N_j: that is scikit-learn's covariances_ (the inverse of the posterior mean "
                f"of the precision), not the posterior mode. The mode divides by {DENOMINATOR}: N_j from the "
                "likelihood, nu + d + 1 from the inverse-Wishart, 1 from the means' prior.",
                wrong=lambda: numerator / (nu + N), part=1),
        Mistake(f"one short: the means' prior N(mu_j | mu_p, Sigma_j / kappa) brings |Sigma_j|^(-1/2) too, so "
                f"the mode divides by {DENOMINATOR}.", wrong=lambda: numerator / (nu + N + d + 1), part=1),
        Mistake(f"this is the posterior mean of Sigma_j, divided by nu + N_j - d - 1; the MAP M-step takes the "
                f"posterior mode, divided by {DENOMINATOR}.", wrong=lambda: numerator / (nu + N - d - 1), part=1),
        Mistake(f"dividing by N_j is maximum likelihood's denominator: the prior adds nu + d + 2 "
                f"pseudo-observations, {DENOMINATOR}.", wrong=lambda: numerator / N, part=1),
        Mistake("N_j is resp_j.sum(), the component's effective number of points, not len(X).",
                wrong=lambda: numerator / (nu + n + d + 2), part=1),
        Mistake("the prior's scale Lambda (prior.scale) is missing: it joins the scatter in the numerator.",
                wrong=lambda: (S + pull) / mode, part=1),
        Mistake("prior.scale is Lambda, the inverse-Wishart's scale (a covariance-like matrix): add it as it is, "
                "not its inverse (Bishop's Wishart on the precision has W_0 = Lambda^-1).",
                wrong=lambda: (np.linalg.inv(Lam) + S + pull) / mode, part=1),
        Mistake("this is the maximum-likelihood covariance S_j / N_j: the MAP update adds the prior's scale and "
                "the kappa term, and divides by the pseudo-observations too.", wrong=lambda: S / N, part=1),
        Mistake("the covariance is not symmetric: use the same centred points on both sides of the outer product.",
                test=lambda C: not np.allclose(C, C.T, rtol=1e-6, atol=1e-8), part=1),
    ]


def _denominator_hint(X, resp_j, prior):
    """When the covariance is the right numerator over another number: say which number."""
    d = X.shape[1]
    N, xbar, S = weighted_sums(X, resp_j)
    numerator = prior.scale + S + prior.shrinkage * N / (N + prior.shrinkage) * np.outer(xbar - prior.mean,
                                                                                          xbar - prior.mean)

    def fallback(got):
        if not np.all(np.isfinite(got[1])) or not np.any(got[1]):
            return None
        c = np.sum(numerator * got[1]) / np.sum(got[1] * got[1])         # got = numerator / c, fitted
        if c > 0 and np.allclose(got[1] * c, numerator, rtol=1e-8, atol=0):
            return (f"your covariance is the right matrix, Lambda + S_j + the kappa term, divided by {c:.6g}; "
                    f"the mode divides by {DENOMINATOR} = {prior.dof:.6g} + {N:.6g} + {d} + 2 = "
                    f"{prior.dof + N + d + 2:.6g}.")
        return None
    return fallback


def _map_update_case(call, X, resp_j, prior):
    d = X.shape[1]
    got = values(call(X=X, resp_j=resp_j, prior=prior), NAMES)
    flat = {(1, d): "return the mean as a vector of shape (d,).", (d, 1): "return the mean as a vector of shape (d,)."}
    mean = array(got[0], "mean", (d,), flat)
    covariance = array(got[1], "covariance", (d, d), {
        (d,): "the covariance is a (d, d) matrix: the outer products (x - m)(x - m)^T, not the squares.",
        (1, d, d): "return one component's (d, d) covariance, not a stack of them.",
    })
    expected_mean, expected_covariance = _expected(X, resp_j, prior)
    scale = max(np.abs(X).max(), np.abs(prior.mean).max())
    parts = [Part("mean", expected_mean, scale),
             Part("covariance", expected_covariance, scale ** 2 + np.abs(prior.scale).max())]
    judge(call, [mean, covariance], parts, map_update_mistakes(X, resp_j, prior),
          fallback=_denominator_hint(X, resp_j, prior))


def cases():
    """The check's cases, from easy to hard: (title, X, resp_j, prior)."""
    hard_X = np.array([[0.0, 0.0], [1.0, 0.5], [0.5, 2.0], [4.0, 4.0], [5.0, 3.0], [6.0, 5.5],
                       [4.5, 6.0], [-2.0, 5.0], [-3.0, 4.0], [-2.5, 6.5]])
    hard = np.array([0.0, 0, 0, 1, 1, 1, 1, 0, 0, 0])
    X, _ = seed_data()
    three_d = three_d_case()["X"]
    A = np.array([[1.5, 0.0, 0.0], [0.4, 0.8, 0.0], [-0.3, 0.5, 0.6]])
    X_dup = np.vstack([X, np.tile([11.0, 9.0], (4, 1))])
    return [
        ("hard 0/1 responsibilities; mu_p = (1, -1), kappa = 1, nu = 4, Lambda = I", hard_X, hard,
         Prior(mean=np.array([1.0, -1.0]), shrinkage=1.0, dof=4.0, scale=np.eye(2))),
        ("the seed's data at its start, component 0; default_prior(X, 3)", X,
         e_step(X, seed_initial_params())[0][:, 0], default_prior(X, 3)),
        ("3-D, soft responsibilities; a prior of its own (kappa = 2, nu = 6)", three_d,
         np.random.default_rng(7).uniform(0.05, 1.0, len(three_d)),
         Prior(mean=np.array([1.0, -1.0, 0.5]), shrinkage=2.0, dof=6.0, scale=A @ A.T)),
        ("four copies of one point (scatter 0); default_prior(X, 4)", X_dup,
         np.r_[np.zeros(len(X)), np.ones(4)], default_prior(X_dup, 4)),
    ]


def check_map_update(fn):
    """Check my_map_update(X, resp_j, prior) -> (mean (d,), covariance (d, d)) against emlib.prior.map_update.

    The MAP M-step of one component j under the conjugate prior (emlib.prior; prior.mean mu_p,
    prior.shrinkage kappa, prior.dof nu, prior.scale Lambda), from X (n, d) and its responsibilities
    resp_j (n,):

        mu_j    = (N_j xbar_j + kappa mu_p) / (N_j + kappa)
        Sigma_j = (Lambda + S_j + kappa N_j / (N_j + kappa) (xbar_j - mu_p)(xbar_j - mu_p)^T) / (nu + N_j + d + 2)

    Cases: hard 0/1 responsibilities under a simple prior; the seed's data under default_prior;
    soft responsibilities in 3-D under a prior with a mean and scale of its own; four copies of one
    point (zero scatter).  Recognises the prior mean ignored (or the data's mean in its place), the
    mean divided by N_j, N_j and kappa swapped, len(X) for N_j, the kappa term forgotten or taken at
    xbar_j without its factor N_j / (N_j + kappa), the two forms of the scatter mixed, the
    denominators nu + N_j (scikit-learn's covariances_), nu + N_j + d + 1, nu + N_j - d - 1 (the
    posterior mean) and N_j, Lambda missing or inverted, the maximum-likelihood covariance, and
    names any other denominator of the right numerator.  Prints a verdict, returns True when every
    case passes.
    """
    return run(fn, [case(title, _map_update_case, X=X, resp_j=resp_j, prior=prior)
                    for title, X, resp_j, prior in cases()])
