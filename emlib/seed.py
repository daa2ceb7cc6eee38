"""The user's original script, kept as written, as a function; and the user's files themselves.

Only two things changed: the data and the starting parameters come in as arguments, and the
numbers are returned as well as printed.  Everything else, including its two bugs, is the
seed's: the quantity it calls the log-likelihood,

    sum_i log sum_j gamma[i, j] pi_j

is not the log-likelihood (it never evaluates a density), and its convergence test stops on that
quantity.  The pitfalls notebook shows both.  Run ``python -m emlib.seed`` to print what the
seed printed.

The files the user gave ship with emlib, in emlib/datasets/seed/ (its README says what each is):

    seed_script()     em_seed.py, the script (indentation restored)
    seed_output()     em_seed_output.txt, what it printed
    original_seed()   original_seed.txt, the script and its output as first pasted
"""
from dataclasses import dataclass
from importlib.resources import files

import numpy as np
from scipy.stats import multivariate_normal


def _seed_file(name):
    return (files("emlib") / "datasets" / "seed" / name).read_text(encoding="utf-8")


def seed_script():
    """The user's script, em_seed.py, as text (run it with ``python -``, text on standard input)."""
    return _seed_file("em_seed.py")


def seed_output():
    """What the user's script printed, em_seed_output.txt, as text."""
    return _seed_file("em_seed_output.txt")


def original_seed():
    """The script and its output as the user first pasted them, original_seed.txt (layout lost)."""
    return _seed_file("original_seed.txt")


@dataclass(frozen=True)
class SeedResult:
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    log_likelihoods: list      # the seed's "log-likelihood", one per iteration
    converged_at: int          # the seed's iteration counter when it stopped (None: never)


def em_seed(data, weights, means, covariances, max_iter=100, tol=1e-6, verbose=True):
    """The seed's EM loop, line for line; prints what the seed printed when verbose."""
    k = len(weights)
    n, d = data.shape
    weights, means, covariances = (np.array(a, dtype=float) for a in (weights, means, covariances))
    log_likelihoods = []
    converged_at = None

    # EM algorithm
    for iteration in range(max_iter):
        # E-step: compute responsibilities
        responsibilities = np.zeros((n, k))
        for i in range(k):
            responsibilities[:, i] = weights[i] * multivariate_normal.pdf(data, mean=means[i], cov=covariances[i])
        responsibilities /= responsibilities.sum(axis=1, keepdims=True)

        # M-step: update weights, means, and covariances
        Nk = responsibilities.sum(axis=0)
        weights = Nk / n
        means = np.dot(responsibilities.T, data) / Nk[:, np.newaxis]
        covariances = np.zeros((k, d, d))
        for i in range(k):
            diff = data - means[i]
            covariances[i] = np.dot(responsibilities[:, i] * diff.T, diff) / Nk[i]

        # Log-likelihood calculation
        log_likelihood = np.sum(np.log(np.dot(responsibilities, weights)))
        log_likelihoods.append(log_likelihood)

        # Check for convergence
        if iteration > 0 and abs(log_likelihood - log_likelihoods[-2]) < tol:
            converged_at = iteration
            if verbose:
                print(f'Converged at iteration {iteration}')
            break

    # Output the results
    if verbose:
        print("Final weights:", weights)
        print("Final means:", means)
        print("Final covariances:", covariances)
    return SeedResult(weights, means, covariances, log_likelihoods, converged_at)


def run_seed():
    """Run the seed's algorithm on the seed's data from the seed's start, printing as it did."""
    from .data import seed_data, seed_initial_params

    X, _ = seed_data()
    init = seed_initial_params()
    return em_seed(X, init.weights, init.means, init.covariances)


if __name__ == "__main__":
    run_seed()
