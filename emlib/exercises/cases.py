"""The mixtures the Gaussian-mixture checks try, from easy to hard (fixed numbers or fixed seeds).

Each case is a dict of the plain arrays the learner's functions take: X (n, d), weights (k,),
means (k, d), covariances (k, d, d).  `case` makes a checking.Case of one, with the number of
points in its title and, when its sizes are not the notebooks' (n = 300, k = 3, d = 2), a hint for
a function that hard-codes those.
"""
import numpy as np
from scipy.special import logsumexp

from ..data import sample, seed_data, seed_initial_params
from ..em import e_step, log_densities
from ..gmm import GMM
from .checking import Case, telltales

#: The sizes of the notebooks' data (the seed's): a function that uses them in place of its
#: arguments' sizes passes on the notebook's data and fails elsewhere.
NOTEBOOK = dict(n=300, k=3, d=2)
#: Below this, exp() leaves the normal doubles (finfo.tiny, 2.2e-308): its result is subnormal and
#: imprecise, and below log(5e-324), about -745, exactly 0. A naive density is unusable there.
UNDERFLOW = np.log(np.finfo(float).tiny)


def sizes(data):
    """n, k, d of a case's data, from whichever of X, resp, weights, means it has."""
    found = {}
    if "X" in data:
        found["n"], found["d"] = np.shape(data["X"])[0], np.shape(data["X"])[-1] if np.ndim(data["X"]) > 1 else 1
    if "x" in data:                                     # 1-D data, (n,)
        found["n"], found["d"] = len(data["x"]), 1
    if "n" in data:
        found["n"] = data["n"]
    if "resp" in data:
        found["k"] = np.shape(data["resp"])[1]
    if "weights" in data:
        found["k"] = len(data["weights"])
    if "means" in data:
        found["d"] = np.shape(data["means"])[1]
    return found


WORDS = {"n": "points", "k": "components", "d": "dimensions"}
WHERE = {"n": "len(X)", "k": "len(weights) or resp.shape[1]", "d": "X.shape[1]"}


def notebook_size_hint(name, data):
    """The hint for a value computed with the notebook's n, k or d (name) in place of this case's."""
    have = sizes(data)[name]
    return (f"this case has {name} = {have} {WORDS[name]}: take it from the arguments ({WHERE[name]}), "
            f"not from the notebook's data ({name} = {NOTEBOOK[name]}).")


def case(title, evaluate, **data):
    """A checking.Case: n in the title; a hint for IndexError/ValueError when its sizes differ from the notebooks'."""
    found = sizes(data)
    other = [name for name in ("n", "k", "d") if name in found and found[name] != NOTEBOOK[name]]
    size_hint = None
    if other:
        size_hint = (f"this case has {', '.join(f'{name} = {found[name]}' for name in other)}: take "
                     f"{'it' if len(other) == 1 else 'them'} from the arguments "
                     f"({', '.join(WHERE[name] for name in other)}), not from the notebook's data "
                     f"({', '.join(f'{name} = {NOTEBOOK[name]}' for name in other)}).")
    return Case(title, evaluate, data, n=found.get("n"), size_hint=size_hint, telltales=telltales(found, NOTEBOOK))


def arrays(params):
    """A GMM as the plain (writeable) arrays the learner's functions take."""
    return dict(weights=np.array(params.weights), means=np.array(params.means),
                covariances=np.array(params.covariances))


def params_of(data):
    return GMM(data["weights"], data["means"], data["covariances"])


def seed_case():
    """The seed's 300 points at its starting point: identity covariances, equal weights."""
    return dict(X=seed_data()[0], **arrays(seed_initial_params()))


def rotated_case():
    """8 points, two rotated, stretched components with unequal weights."""
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [3.0, 1.0], [-1.0, 1.0], [1.5, -0.5], [2.0, 2.0], [0.5, -1.0]])
    return dict(X=X, weights=np.array([0.7, 0.3]), means=np.array([[0.0, 0.0], [2.5, 1.0]]),
                covariances=np.array([[[2.0, 1.2], [1.2, 1.0]], [[0.5, -0.3], [-0.3, 1.5]]]))


def three_d_params():
    """weights, means, covariances of three rotated, stretched components in 3-D."""
    A = np.array([[[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [-0.3, 0.2, 0.5]],
                  [[0.7, 0.0, 0.0], [-0.2, 1.1, 0.0], [0.4, 0.3, 0.9]],
                  [[1.3, 0.0, 0.0], [0.5, 0.4, 0.0], [0.1, -0.6, 0.8]]])
    return (np.array([0.2, 0.5, 0.3]), np.array([[0.0, 0.0, 0.0], [1.5, -1.0, 0.5], [-1.0, 1.0, 2.0]]),
            A @ A.transpose(0, 2, 1))


def three_d_case():
    """12 points drawn from three_d_params."""
    weights, means, covariances = three_d_params()
    X, _ = sample(GMM(weights, means, covariances), 12, np.random.default_rng(3))
    return dict(X=X, weights=weights, means=means, covariances=covariances)


def far_case():
    """5 points, three of them so far from every component that every pi_j N(x | mu_j, Sigma_j) underflows."""
    data = seed_case()
    data["X"] = np.array([[40.0, 40.0], [5.0, 5.0], [-40.0, 30.0], [1.0, 1.0], [8.0, 1.0]])
    return data


#: The cases of the density checks (E-step, log-likelihood): title, data.
DENSITY_CASES = (
    ("the seed's data at its starting point (identity covariances, equal weights)", seed_case),
    ("two rotated, stretched components with unequal weights", rotated_case),
    ("three components in 3-D", three_d_case),
    ("points far from every component, such as (40, 40)", far_case),
)


def log_joint(X, params):
    """a[i, j] = log pi_j + log N(x_i | mu_j, Sigma_j), (n, k): emlib's reference."""
    return log_densities(X, params) + np.log(params.weights)


def far_rows(X, params):
    """Rows whose every pi_j N(x_i | mu_j, Sigma_j) underflows (below the smallest normal double)."""
    return log_joint(X, params).max(axis=1) < UNDERFLOW


def log_likelihood_scale(X, params):
    """sum_i max_j |a_ij|: the size of the numbers a log-likelihood is computed from (its tolerance)."""
    return float(np.abs(log_joint(X, params)).max(axis=1).sum())


def responsibilities(data):
    """X and the responsibilities under the case's parameters: the input of an M-step."""
    return dict(X=data["X"], resp=e_step(data["X"], params_of(data))[0])


def softmax(a):
    """Each row of a normalised in log space: exp(a_ij - logsumexp_l a_il)."""
    return np.exp(a - logsumexp(a, axis=1, keepdims=True))
