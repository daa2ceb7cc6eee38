"""Lesson 04's check: one EM iteration, an E-step and an M-step, on plain arrays.

    check_em_iteration(my_em_iteration)   (weights, means, covariances) after one iteration

It compares with emlib's E-step and M-step, and recognises a wrong E-step under a right M-step
(lesson 02's slips, fed to the M-step) before the M-step's own slips (lesson 03's).
"""
import numpy as np

from ..data import sample
from ..em import e_step, m_step
from ..gmm import GMM
from .cases import case, far_rows, log_joint, params_of, rotated_case, seed_case, softmax, three_d_params
from .checking import Mistake, run
from .e_step import LOG_SUM_EXP, density_mistakes, e_step_mistakes
from .m_step import judge_m_step, plain_m_step, three

WRONG_E_STEP = "the M-step is right but the responsibilities (the E-step) are not: "


def _after_wrong_e_step(mistake, X):
    """mistake of an E-step (its wrong gamma) as the mistake of the whole iteration."""
    hint = WRONG_E_STEP + mistake.hint[0].lower() + mistake.hint[1:]
    return Mistake(hint, wrong=lambda: plain_m_step(X, mistake.wrong()))


def _em_iteration_case(call, X, weights, means, covariances):
    n, d = X.shape
    k = len(weights)
    data = dict(X=X, weights=weights, means=means, covariances=covariances)
    got = three(call(**data), n, k, d)
    params = params_of(data)
    a = log_joint(X, params)
    resp = e_step(X, params)[0]

    def twice():
        first = m_step(X, resp)
        second = m_step(X, e_step(X, first)[0])
        return second.weights, second.means, second.covariances

    mistakes = [
        Mistake("the parameters came back unchanged: compute the responsibilities under the given parameters "
                "(the E-step), then the new weights, means and covariances from them (the M-step), and return "
                "the new ones.", wrong=lambda: (weights, means, covariances)),
        Mistake("these are the parameters after two iterations: do one E-step and one M-step only.", wrong=twice),
        *(_after_wrong_e_step(m, X) for m in e_step_mistakes(a)),
        *(_after_wrong_e_step(m, X) for m in density_mistakes(data, ("quadratic", "log_det", "half", "weights"),
                                                               softmax)),
    ]
    far = far_rows(X, params).any()
    judge_m_step(call, X, resp, got, old_means=means, mistakes=mistakes,
                 fallback=(lambda got: WRONG_E_STEP + LOG_SUM_EXP) if far else None)


def check_em_iteration(fn):
    """Check my_em_iteration(X, weights, means, covariances) -> (weights, means, covariances).

    One EM iteration: gamma = E-step under theta, then theta_new = M-step(X, gamma); compared with
    emlib's e_step and m_step.

    Cases: the seed's data from its start; 200 points from two rotated, stretched components from a
    poor start; three components in 3-D; the seed's data with two points far from every component
    (an E-step outside log space fails there).  Recognises parameters returned unchanged, two
    iterations instead of one, a wrong E-step under a right M-step (the normalisation's axis,
    log-responsibilities, underflow, the density slips), and the M-step mistakes of check_m_step,
    including covariances centred on the old means.  Prints a verdict, returns True when every
    case passes.
    """
    truth = rotated_case()
    X, _ = sample(GMM(truth["weights"], truth["means"], truth["covariances"]), 200, np.random.default_rng(1))
    rotated = dict(X=X, weights=np.array([0.5, 0.5]), means=np.array([[-1.0, 1.0], [1.0, 2.0]]),
                   covariances=np.array([[[1.0, 0.5], [0.5, 1.0]], [[2.0, -0.4], [-0.4, 0.5]]]))
    weights, means, covariances = three_d_params()
    X3, _ = sample(GMM(weights, means, covariances), 150, np.random.default_rng(2))
    three_d = dict(X=X3, weights=np.full(3, 1 / 3), means=X3[:3].copy(), covariances=np.array([np.eye(3)] * 3))
    far = seed_case()
    far["X"] = np.vstack([far["X"], [[40.0, 40.0], [-40.0, 30.0]]])
    return run(fn, [
        case("the seed's data from its starting point", _em_iteration_case, **seed_case()),
        case("two rotated, stretched components, from a poor start", _em_iteration_case, **rotated),
        case("three components in 3-D", _em_iteration_case, **three_d),
        case("the seed's data and two points far from all, (40, 40) and (-40, 30)", _em_iteration_case, **far),
    ])
