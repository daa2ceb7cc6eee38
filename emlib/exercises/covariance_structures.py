"""Lesson 11's checks: the covariance structures' parameter counts and M-steps.

    check_n_parameters(my_n_parameters)  p(k, d, type) = (k - 1) + k d + the covariances' free entries
    check_covariances(my_covariances)    Sigma (k, d, d): the M-step's covariances of each structure

They compare with emlib.selection.n_parameters and emlib.m_step(..., covariance_type=...) and
recognise the classic slips by recomputing with them (independently of emlib, with numpy): k
weights instead of k - 1, d^2 covariance entries instead of d (d + 1) / 2, the tied covariance
counted k times, one variance for all spherical components; the full update for every type,
equal weights 1/k in the tied average, the trace not divided by d, standard deviations for
variances, the data's mean in place of each component's.
"""
import numpy as np

from ..covariance import MCLUST_NAMES, TYPES
from ..em import m_step
from ..selection import n_parameters
from .cases import case, responsibilities, rotated_case, seed_case, three_d_case
from .checking import NAN_HINT, Case, Fail, Mistake, Part, array, judge, number, run


# ----------------------------------------------------------------------------------------
# The parameter count
# ----------------------------------------------------------------------------------------
def _count_mistakes(k, d, kind):
    """The recognisable slips of p(k, d, kind), each as (hint, the count it gives), specific ones first."""
    p = n_parameters(k, d, kind)
    sym, square = d * (d + 1) // 2, d * d
    own = {
        "full": [("each Sigma_j is symmetric, so only its upper triangle is free: d (d + 1) / 2 entries, not d * d.",
                  p + k * (square - sym))],
        "tied": [("'tied' (mclust's EEE) shares one Sigma among all k components: count its d (d + 1) / 2 "
                  "entries once, not k times.", p + (k - 1) * sym),
                 ("the shared Sigma is symmetric, so only its upper triangle is free: d (d + 1) / 2 entries, "
                  "not d * d.", p + square - sym)],
        "diag": [("'diag' (mclust's VVI) has no covariances off the diagonal: d variances per component, "
                  "k d in all, not d (d + 1) / 2 per component.", p + k * (sym - d)),
                 ("'diag' (VVI) gives each component its own d variances: k d in all. One diagonal shared "
                  "by all components is mclust's EEI, a structure not in this lesson.", p - (k - 1) * d),
                 ("'diag' (VVI) has d variances per component, k d in all, not one per component (that is "
                  "'spherical').", p - k * (d - 1))],
        "spherical": [("'spherical' (mclust's VII) gives each component its own variance sigma_j^2: k variances. "
                       "One sigma^2 shared by all is mclust's EII, a structure not in this lesson.", p - (k - 1)),
                      ("'spherical' (VII) has one variance per component, sigma_j^2 I, not d of them (d per "
                       "component is 'diag').", p + k * (d - 1))],
    }[kind]
    generic = [
        ("the covariance parameters depend on covariance_type: this is the full model's count, "
         "k d (d + 1) / 2 covariance entries.", n_parameters(k, d, "full") if kind != "full" else None),
        ("only k - 1 weights are free: they sum to 1, so the last is 1 minus the others.", p + 1),
        ("count the means too: k d numbers, d per component.", p - k * d),
        ("count the k - 1 free weights too.", p - (k - 1)),
        ("count the weights (k - 1) and the means (k d) too, not only the covariances.", p - (k - 1) - k * d),
        (f"this case has k = {k} and d = {d}: use the arguments, not the notebook's k = 3 and d = 2.",
         n_parameters(3, 2, kind) if (k, d) != (3, 2) else None),
    ]
    return own + generic


def _count_case(call, k, d, covariance_type):
    got = float(number(call(k=k, d=d, covariance_type=covariance_type), "the number of free parameters",
                       "`return` and the count"))
    expected = n_parameters(k, d, covariance_type)
    if got == expected:
        return
    hint = next((hint for hint, value in _count_mistakes(k, d, covariance_type) if got == value), None)
    shown = f"{got:.0f}" if np.isfinite(got) and got == round(got) else f"{got:.4g}"
    raise Fail(f"the count: expected {expected}, got {shown}",
               hint or ("count (k - 1) weights, k d means and the covariances' free entries, which depend "
                        "on covariance_type." if np.isfinite(got) else NAN_HINT))


def check_n_parameters(fn):
    """Check my_n_parameters(k, d, covariance_type) -> int against emlib.selection.n_parameters.

    p = (k - 1) + k d + c,   c = k d (d + 1) / 2 (full, VVV), d (d + 1) / 2 (tied, EEE),
                                 k d (diag, VVI), k (spherical, VII)

    Cases: each of the four types with k = 3, d = 2, then with k = 4, d = 3.  Recognises k weights
    instead of k - 1, d * d covariance entries instead of d (d + 1) / 2, the tied covariance counted k
    times, one variance for all spherical components (EII) or d per component, one diagonal for all
    diag components (EEI) or d (d + 1) / 2 entries per component, the full count for every type,
    forgotten weights or means.  Prints a verdict, returns True when every case passes.
    """
    return run(fn, [Case(f"{kind} ({MCLUST_NAMES[kind]}): k = {k} components in d = {d} dimensions", _count_case,
                         dict(k=k, d=d, covariance_type=kind))
                    for k, d in ((3, 2), (4, 3)) for kind in TYPES])


# ----------------------------------------------------------------------------------------
# The M-step's covariances
# ----------------------------------------------------------------------------------------
def _scatter(X, resp, centres):
    """S_j = sum_i gamma_ij (x_i - c_j)(x_i - c_j)^T, (k, d, d)."""
    return np.array([(resp[:, j, None] * (X - c)).T @ (X - c) for j, c in enumerate(centres)])


def _structured(N, S, n, denominators=None):
    """The four updates from N (k,) and S (k, d, d), as a tuple in the order of TYPES; with
    denominators (k,), divide by those in place of N_j (the slip of dividing by n)."""
    k, d = N.size, S.shape[1]
    D = N if denominators is None else denominators
    variances = np.diagonal(S, axis1=1, axis2=2) / D[:, None]
    return (S / D[:, None, None], np.repeat(S.sum(axis=0)[None] / n, k, axis=0),
            variances[:, :, None] * np.eye(d), variances.mean(axis=1)[:, None, None] * np.eye(d))


def _covariance_mistakes(X, resp):
    """The recognisable slips of the four updates, for the parts in the order of TYPES."""
    n, d = X.shape
    k = resp.shape[1]
    N = resp.sum(axis=0)
    S = _scatter(X, resp, resp.T @ X / N[:, None])
    full, tied, diag, spherical = _structured(N, S, n)
    eye = np.eye(d)
    traces = np.trace(S, axis1=1, axis2=2)
    return [
        Mistake("your function ignores covariance_type: every structure gets the full update S_j / N_j. 'tied', "
                "'diag' and 'spherical' each constrain it (see the table of updates).", wrong=lambda: (full,) * 4),
        Mistake("these are centred on the mean of all the data: centre each component on its own mean "
                "mu_j = sum_i gamma_ij x_i / N_j.",
                wrong=lambda: _structured(N, _scatter(X, resp, np.repeat(X.mean(axis=0)[None], k, axis=0)), n)),
        Mistake("divide by N_j, the effective number of points of component j, not by n.",
                wrong=lambda: _structured(N, S, n, np.full(k, float(n)))),
        # tied
        Mistake("'tied' shares one covariance among the components: pool the scatter matrices, "
                "Sigma = sum_j S_j / n, the same for every j.", wrong=lambda: full, part=1),
        Mistake("this averages the components' covariances S_j / N_j with equal weights 1/k: pool the scatter "
                "instead, Sigma = sum_j S_j / n (each covariance weighted by N_j / n).",
                wrong=lambda: np.repeat(full.mean(axis=0)[None], k, axis=0), part=1),
        Mistake("this adds up the components' covariances S_j / N_j: pool the scatter matrices and divide by n "
                "once, Sigma = sum_j S_j / n.", wrong=lambda: np.repeat(full.sum(axis=0)[None], k, axis=0), part=1),
        Mistake("this is the covariance of all the data about its overall mean: 'tied' pools each component's "
                "scatter about its own mean mu_j.",
                wrong=lambda: np.repeat(np.cov(X, rowvar=False, bias=True)[None], k, axis=0), part=1),
        # diag
        Mistake("'diag' keeps only the variances: set the entries off the diagonal to 0, Sigma_j = Diag(S_j) / N_j.",
                wrong=lambda: full, part=2),
        Mistake("these are standard deviations: the variance goes on the diagonal, Diag(S_j) / N_j.",
                wrong=lambda: np.sqrt(diag), part=2),
        # spherical
        Mistake("the variance sigma_j^2 = tr(S_j) / (d N_j) is the mean of the d variances: divide the trace "
                "by d as well.",
                wrong=lambda: (traces / N)[:, None, None] * eye, part=3),
        Mistake("one variance shared by all the components is mclust's EII: 'spherical' (VII) gives each "
                "component its own sigma_j^2 = tr(S_j) / (d N_j).",
                wrong=lambda: np.full((k, 1, 1), traces.sum() / (d * n)) * eye, part=3),
        Mistake("'spherical' has one variance per component, the mean of its d variances, times I; these keep "
                "d different variances (that is 'diag').", wrong=lambda: diag, part=3),
        Mistake("these are standard deviations: the variance sigma_j^2 goes on the diagonal.",
                wrong=lambda: np.sqrt(spherical), part=3),
    ]


def _covariances_case(call, X, resp):
    k, d = resp.shape[1], X.shape[1]
    shape_hint = ("return a (k, d, d) array, one (d, d) matrix per component: for 'tied' the same matrix k "
                  "times (np.repeat), for 'diag' and 'spherical' the variances on the diagonal.")
    got = []
    for kind in TYPES:
        value = call(X=X, resp=resp, covariance_type=kind)
        got.append(array(value, f"the result for {kind!r}", (k, d, d),
                         {shape: shape_hint for shape in ((k, d), (d, d), (k,), (d,), (d, d, k))}))
    scale = np.abs(X).max() ** 2
    parts = [Part(f"{kind} covariances", m_step(X, resp, covariance_type=kind).covariances, scale,
                  row=lambda j, kind=kind: f"{kind} covariances[{j}]") for kind in TYPES]
    judge(call, got, parts, _covariance_mistakes(X, resp))


def check_covariances(fn):
    """Check my_covariances(X, resp, covariance_type) -> Sigma (k, d, d) against emlib.m_step.

    N_j = sum_i gamma_ij,  mu_j = (1/N_j) sum_i gamma_ij x_i,  S_j = sum_i gamma_ij (x_i - mu_j)(x_i - mu_j)^T
    full: S_j / N_j    tied: sum_l S_l / n    diag: Diag(S_j) / N_j    spherical: tr(S_j) / (d N_j) I

    Each case calls it for the four types in turn.  Cases: the seed's data with the responsibilities
    at its start; two rotated components (k = d = 2); three components in 3-D with random soft
    responsibilities.  Recognises the full update for every type, the data's mean in place of mu_j,
    n in place of N_j, a tied covariance per component or averaged with equal weights 1/k, summed,
    or the data's covariance; off-diagonal entries kept for diag; the trace not divided by d, one
    variance for all spherical components, d variances per spherical component; standard deviations
    in place of variances; and a result of the wrong shape.  Prints a verdict, returns True when
    every case passes.
    """
    three_d = three_d_case()
    random_resp = np.random.default_rng(7).dirichlet(np.ones(3), size=len(three_d["X"]))
    return run(fn, [
        case("the seed's data with the responsibilities at its start", _covariances_case,
             **responsibilities(seed_case())),
        case("two rotated, stretched components in 2-D", _covariances_case, **responsibilities(rotated_case())),
        case("three components in 3-D, random soft responsibilities", _covariances_case, X=three_d["X"],
             resp=random_resp),
    ])
