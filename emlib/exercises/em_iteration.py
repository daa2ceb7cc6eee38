"""Lesson 04's checks: one EM iteration, an E-step and an M-step, on plain arrays; and the whole loop.

    check_em_iteration(my_em_iteration)   (weights, means, covariances) after one iteration
    check_em_loop(my_em_loop)             the loop with its stopping rule: the last parameters and
                                          the log-likelihoods L_0 .. L_T

The first compares with emlib's E-step and M-step, and recognises a wrong E-step under a right
M-step (lesson 02's slips, fed to the M-step) before the M-step's own slips (lesson 03's).  The
second compares with emlib.fit: how many iterations ran, the log-likelihoods, the parameters.
"""
import numpy as np

from ..data import sample, seed_data, seed_initial_params
from ..em import e_step, fit, m_step
from ..gmm import GMM
from ..init import init_kmeanspp
from .cases import (
    arrays, case, far_rows, log_joint, params_of, rotated_case, seed_case, softmax, three_d_params,
)
from .checking import (
    FLOAT32, Fail, Mistake, Part, _real, agree, article, decimals_for, fmt, judge, run, values, worst,
)
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


# ----------------------------------------------------------------------------------------
# The whole loop
# ----------------------------------------------------------------------------------------
LOOP_NAMES = ("weights", "means", "covariances", "log_likelihoods")
RULE = "stop after iteration t as soon as |L_t - L_{t-1}| / n < tol, or after max_iter iterations"


def _stops(log_likelihoods, n, tol, max_iter):
    """T, the iteration after which the per-point rule stops on this run of L_0, L_1, ... (at most max_iter)."""
    below = np.flatnonzero(np.abs(np.diff(log_likelihoods)) / n < tol)
    return min(int(below[0]) + 1 if below.size else max_iter, max_iter)


def _trajectory(X, params, iterations):
    """L_0 .. L_iterations and theta_0 .. theta_iterations of EM from params (emlib.fit, tol=0)."""
    run = fit(X, params, max_iter=iterations, tol=0, keep_history=True)
    return run.log_likelihoods, run.history


def _loop_case(call, X, weights, means, covariances, tol, max_iter):
    n, d = X.shape
    k = len(weights)
    got = values(call(X=X, weights=weights, means=means, covariances=covariances, tol=tol, max_iter=max_iter),
                 LOOP_NAMES)
    T = fit(X, GMM(weights, means, covariances), tol=tol, max_iter=max_iter).n_iter
    L, history = _trajectory(X, GMM(weights, means, covariances), max_iter + 2)
    total = _stops(L, 1, tol, max_iter)                 # the rule on the total change: |L_t - L_{t-1}| < tol
    ran = _iterations_run(got[3], L, T)                 # (iterations, whether L_0 is there), or a Fail
    count_hint = _count_hint(ran[0], T, total, max_iter, tol)
    if count_hint:
        raise Fail(f"your loop ran {ran[0]} iterations; the rule stops after {T} here", count_hint)
    if not ran[1]:
        raise Fail(f"log_likelihoods has {T} values, L_1 .. L_{T}; expected {T + 1}, L_0 .. L_{T}",
                   "record L_0, the log-likelihood of the starting parameters, before the first iteration: "
                   "it is what the first change, L_1 - L_0, is measured from.")
    params = three(got[:3], n, k, d)
    scale = np.abs(X).max()

    def at(t):
        return history[t].weights, history[t].means, history[t].covariances

    judge(call, params, [Part("weights", history[T].weights), Part("means", history[T].means, scale),
                         Part("covariances", history[T].covariances, scale ** 2)], [
        Mistake("these are the parameters from before the last iteration: return the ones whose "
                "log-likelihood is L_T, the last value you recorded.", wrong=lambda: at(T - 1)),
        Mistake("these are the parameters one iteration past the last log-likelihood you recorded: L_t must be "
                "the log-likelihood of the parameters after iteration t (compute it after the M-step).",
                wrong=lambda: at(T + 1)),
    ])


def _iterations_run(got, L, T):
    """How many iterations the learner's log-likelihoods record, and whether L_0 is among them: they
    are L_0 .. L_r, or L_1 .. L_r, of the run L; else a Fail that shows the first value that differs."""
    arr = _real(got)
    if arr is None or arr.ndim != 1 or arr.size == 0:
        raise Fail(f"log_likelihoods should be a list or 1-D array of the values L_0 .. L_T, got "
                   f"{article(got) if arr is None else f'an array of shape {arr.shape}'}")
    m = arr.size
    scale = np.abs(L).max()
    for offset in (0, 1):                               # with L_0, or from L_1
        if offset + m <= L.size and agree(arr, L[offset:offset + m], scale, FLOAT32[1]):
            return m - 1 + offset, offset == 0
    if m == T + 1:
        t, difference = worst(arr, Part("log_likelihoods", L[:m], scale))
        t = t[0]
        places = decimals_for(difference)
        raise Fail(f"log_likelihoods[{t}] (L_{t}): expected {fmt(L[t], places)}, got {fmt(arr[t], places)}",
                   "each L_t is the log-likelihood log p(X | theta_t) of the parameters after iteration t "
                   "(L_0: of the start), the sum over the points.")
    raise Fail(f"log_likelihoods has {m} values, but they are not L_0 .. L_{m - 1} of EM from this start "
               f"(L_0 = {L[0]:.4f}, L_1 = {L[1]:.4f})",
               "record log p(X | theta) of the start, then of the parameters after each iteration.")


def _count_hint(ran, T, total, max_iter, tol):
    """The hint for a loop that ran `ran` iterations where the rule stops after T, or None when ran == T."""
    if ran == T:
        return None
    if ran == total and total != T:
        return ("your loop stops when the total change |L_t - L_{t-1}| is below tol: divide by n, the number "
                "of points (len(X)): the rule compares the change per point with tol.")
    if ran == T + 1 and T < max_iter:
        return ("one iteration late: the loop went on after the iteration whose change fell below tol (does it "
                "test the change of the iteration before?). Test |L_t - L_{t-1}| / n right after computing "
                "L_t, and stop there.")
    if ran == T - 1:
        return (f"one iteration early: {RULE}; the change of iteration t is L_t - L_{{t-1}}, with L_t computed "
                "after iteration t's M-step.")
    if ran > max_iter:
        return f"run at most max_iter = {max_iter} iterations, even when the change stays above tol = {_short(tol)}."
    if ran == max_iter:
        return f"your loop never stopped on the change: {RULE}."
    return f"{RULE}."


def check_em_loop(fn):
    """Check my_em_loop(X, weights, means, covariances, tol, max_iter) -> (weights, means, covariances,
    log_likelihoods) against emlib.fit with the same tol and max_iter.

    L_0 = log p(X | theta_0); iteration t: theta_t = M-step(E-step(theta_{t-1})), L_t = log p(X | theta_t);
    stop after iteration t as soon as |L_t - L_{t-1}| / n < tol, or after max_iter iterations.
    log_likelihoods: L_0 .. L_T; the parameters: theta_T.

    Cases (each title says how many iterations emlib.fit runs): the seed's data from its start (tol =
    1e-6, where the rule on the total change stops two iterations later); 400 points from two
    overlapping components, from a poor start (slow convergence); the seed's data from the k-means++
    start of seed 0, which sits on a plateau, with max_iter = 10 (max_iter stops it).  Recognises the
    total change compared with tol (instead of the change per point), a loop that stops one iteration
    late or early, one that never stops on the change or runs past max_iter, L_0 not recorded,
    log-likelihoods not those of the parameters, and the parameters of one iteration before or after
    the last log-likelihood.  Prints a verdict, returns True when every case passes.
    """
    return run(fn, [
        case(f"{title}, tol {_short(tol)}, max_iter {max_iter}: stops after {_fit_iterations(data, tol, max_iter)}",
             _loop_case, **data, tol=tol, max_iter=max_iter)
        for title, data, tol, max_iter in loop_cases()
    ])


def loop_cases():
    """check_em_loop's cases: (title, data, tol, max_iter), data the plain arrays X, weights, means,
    covariances.  In each, the change that stops the rule is below tol, and the one before it above, by
    5% at least (tests/test_exercises.py checks it, also for the rule on the total change)."""
    X, _ = seed_data()
    overlapping = GMM([0.4, 0.6], [[0.0, 0.0], [2.0, 0.5]], [np.eye(2), [[1.5, 0.6], [0.6, 0.8]]])
    X2, _ = sample(overlapping, 400, np.random.default_rng(1))
    poor = dict(weights=np.array([0.5, 0.5]), means=np.array([[-1.0, 1.0], [1.0, -1.0]]),
                covariances=np.array([np.eye(2)] * 2))
    return [
        ("the seed's data from its start", dict(X=X, **arrays(seed_initial_params())), 1e-6, 100),
        ("overlapping clusters, poor start", dict(X=X2, **poor), 1e-5, 200),
        ("a k-means++ start on a plateau", dict(X=X, **arrays(init_kmeanspp(X, 3, 0))), 1e-6, 10),
    ]


def _short(number):
    """1e-06 as 1e-6."""
    return np.format_float_scientific(number, trim="-", exp_digits=1)


def _fit_iterations(data, tol, max_iter):
    return fit(data["X"], params_of(data), tol=tol, max_iter=max_iter).n_iter
