"""Lesson 09's checks: k-means' two steps and its objective, on plain arrays.

    check_assign(my_assign)              labels z (n,): each point's nearest centre (the hard E-step)
    check_update_means(my_update_means)  centres (k, d): each the mean of its points (the M-step)
    check_inertia(my_inertia)            J = sum_i ||x_i - c_{z_i}||^2, a float
    check_elongation(my_elongation)      each true cluster's long over short standard deviation

They compare with emlib.kmeans' assign and inertia (and, for the means, with numpy's mean of each
cluster's points) and recognise the classic slips by recomputing the step with them: argmax for
argmin, min for argmin, the Manhattan distance, the expanded distance without ||c_j||^2, labels
counted from 1, the mean of all points or a division by n, an empty cluster's 0/0 or its centre
moved (scikit-learn's far point), distances not squared, the mean for the sum, each point against
every centre or against its nearest instead of its own, np.linalg.eig's unsorted eigenvalues.
"""
import numpy as np
from scipy.spatial.distance import cdist

from ..data import seed_data, seed_initial_params
from ..kmeans import assign, inertia
from .checking import (FLOAT32, Case, Fail, Mistake, NotYet, Part, Raised, _real, agree, array, fmt, judge, number,
                       recognise, run, telltales)

#: Seven points and two centres, chosen so that every slip of the assignment below changes a label
#: (x = (1.4, 4.5) is nearer to c_1 but, by |dx| + |dy|, to c_0; x = (2.2, -3) is nearer to c_0 but
#: not in its first coordinate).
SMALL_X = np.array([[0.5, 0.2], [3.5, 1.5], [1.4, 4.5], [-0.5, 1.0], [4.5, 0.0], [1.0, -1.0], [2.2, -3.0]])
SMALL_CENTRES = np.array([[0.0, 0.0], [4.0, 1.0]])


def _case(title, evaluate, **data):
    """A checking.Case with n in its title and, for sizes other than the notebook's (k = 3, d = 2),
    the hint to take them from the arguments."""
    n, d = data["X"].shape
    k = len(data["centres"])
    return Case(title, evaluate, data, n=n, size_hint=_sizes_hint(k, d),
                telltales=telltales(dict(k=k, d=d), dict(k=3, d=2)))


def _sizes_hint(k, d):
    """For sizes other than the notebook's (k = 3, d = 2), the hint to take them from the arguments."""
    other = [f"{name} = {value}" for name, value, usual in (("k", k, 3), ("d", d, 2)) if value != usual]
    return (f"this case has {' and '.join(other)}: take the sizes from the arguments (len(centres), "
            "X.shape[1]), not from the notebook's data (k = 3, d = 2).") if other else None


def _in_order(call, expected, **inputs):
    """The learner's function on the inputs, passed positionally in this order.  When it raises, but
    with its last two arguments swapped gives the expected answer, the error's hint says so."""
    try:
        return call(**inputs)
    except Raised as err:
        names = list(inputs)
        order = names[:-2] + names[:-3:-1]
        try:
            other = _real(call(**{name: inputs[name] for name in order}))
        except (Raised, NotYet):
            raise err from None
        if other is not None and other.shape == np.shape(expected) and np.allclose(other, expected):
            err.hint = (f"{call.name} takes its arguments as ({', '.join(names)}), in that order: the check "
                        f"passes them so; yours expects ({', '.join(order)}).")
        raise err from None


def four_clusters_3d():
    """40 points around four centres in 3-D, and centres a little off theirs."""
    rng = np.random.default_rng(9)
    truth = np.array([[0.0, 0.0, 0.0], [4.0, 0.0, 1.0], [0.0, 5.0, -1.0], [3.0, 3.0, 4.0]])
    X = truth[np.arange(40) % 4] + rng.standard_normal((40, 3)) * [1.0, 2.0, 0.7]
    return X, truth + rng.uniform(-0.5, 0.5, truth.shape)


# ----------------------------------------------------------------------------------------
# The hard E-step
# ----------------------------------------------------------------------------------------
def _labels(got, n, k):
    """got as a float array of n labels, or a Fail that says what came back instead."""
    return array(got, "labels", (n,), {
        (n, k): "return one label per point, the index of the nearest centre (argmin over axis=1), not "
                "the (n, k) array of distances or of one-hot rows.",
        (k,): "this is one number per centre: take the argmin over the centres (axis=1), one label per point.",
        (): "`argmin()` without an axis gives one index into the flattened array: take the argmin over the "
            "centres, axis=1, one label per point.",
        (k, n): "take the argmin over the centres for each point: your distances are (k, n), so argmin "
                "over axis=0, or lay them out (n, k).",
    })


def _nearest_distances(got, squared):
    """True when got holds each point's squared or unsquared distance to its nearest centre (`min` for
    `argmin`), to float32 precision."""
    return any(agree(got, D.min(axis=1), D.max(), FLOAT32[1]) for D in (squared, np.sqrt(squared)))


def _assign_case(call, X, centres):
    n, k = len(X), len(centres)
    got = _labels(call(X=X, centres=centres), n, k)
    expected = assign(X, centres)
    if np.array_equal(got, expected):
        return
    squared = cdist(X, centres, "sqeuclidean")
    diff = X[:, None, :] - centres[None, :, :]
    mistakes = [
        Mistake("`argmax` picks the farthest centre: each point goes to its nearest, the argmin.",
                wrong=lambda: squared.argmax(axis=1)),
        Mistake("the labels are counted from 1: Python counts from 0, so the labels are 0 .. k-1 "
                "(the index that argmin gives).", wrong=lambda: expected + 1),
        Mistake("this is the nearest centre by |dx| + |dy| (the Manhattan distance): k-means uses the "
                "squared Euclidean distance, the sum of the squared differences.",
                wrong=lambda: cdist(X, centres, "cityblock").argmin(axis=1)),
        Mistake("||x_i - c_j||^2 = ||x_i||^2 - 2 x_i . c_j + ||c_j||^2: only ||x_i||^2 is the same for every "
                "centre and may be dropped; -2 x_i . c_j alone leaves out ||c_j||^2, which is not.",
                wrong=lambda: (-2 * X @ centres.T).argmin(axis=1)),
        Mistake("the squared differences are summed over the centres instead of the coordinates: sum over "
                "the last axis (the d coordinates) of (X[:, None, :] - centres[None, :, :])**2.",
                wrong=lambda: (diff ** 2).sum(axis=1).argmin(axis=1)),
        Mistake("only the first coordinate is compared: the distance adds the squared differences of "
                "all d coordinates.", wrong=lambda: ((X[:, None, 0] - centres[None, :, 0]) ** 2).argmin(axis=1)),
        Mistake("these are the distances to the nearest centre: `min` gives the smallest distance, `argmin` "
                "its index, the label.", test=lambda got: _nearest_distances(got, squared)),
    ]
    hint = recognise((got,), (Part("labels", expected.astype(float), 0.0),), mistakes, 0)
    wrong = np.flatnonzero(got != expected)
    i, g = wrong[0], got[wrong[0]]
    label = str(int(g)) if np.isfinite(g) and g == int(g) else fmt(g)
    raise Fail([f"{len(wrong)} of {n} labels differ; the first is point {i}, x = {fmt(X[i], 2)}:",
                f"expected label {expected[i]}, got {label} (squared distances to the centres: "
                f"{fmt(squared[i], 2)})"], hint)


def check_assign(fn):
    """Check my_assign(X, centres) -> labels (n,) against emlib.kmeans.assign.

    z_i = argmin_j ||x_i - c_j||^2                       (the hard E-step)

    Cases: seven points and two centres (every slip below changes a label there); the seed's data and
    its starting means; 40 points and four centres in 3-D.  Recognises argmax for argmin, labels
    counted from 1, the Manhattan distance, -2 x . c without ||c||^2, squares summed over the wrong
    axis, one coordinate only, and the (n, k) distances, each point's distance to its nearest centre
    (min for argmin) or argmin's one index without an axis returned in place of the labels.  Distances
    that are not squared give the same labels, and pass.  Prints a verdict, returns True when every
    case passes.
    """
    X3, centres3 = four_clusters_3d()
    return run(fn, [
        _case("seven points and two centres in the plane", _assign_case, X=SMALL_X, centres=SMALL_CENTRES),
        _case("the seed's data and its starting means", _assign_case, X=seed_data()[0],
              centres=np.array(seed_initial_params().means)),
        _case("four clusters in 3-D", _assign_case, X=X3, centres=centres3),
    ])


# ----------------------------------------------------------------------------------------
# The M-step
# ----------------------------------------------------------------------------------------
def cluster_means(X, labels, centres):
    """c_j = the mean of the points labelled j; a cluster with no points keeps its centre."""
    new = np.array(centres, dtype=float)
    for j in np.unique(labels):
        new[j] = X[labels == j].mean(axis=0)
    return new


def _update_means_case(call, X, labels, centres):
    k, d = centres.shape
    expected = cluster_means(X, labels, centres)
    notebook_sizes = {shape: _sizes_hint(k, d) for shape in [(3, d), (k, 2), (3, 2)] if shape != (k, d)}
    used = len(np.unique(labels))
    if used < k:                                               # one centre per label that occurs
        notebook_sizes[used, d] = (
            f"only {used} of the {k} labels occur: loop over range(len(centres)), not over np.unique(labels) "
            "or the notebook's k = 3 (take the sizes from the arguments): a cluster with no label still "
            "needs its centre.")
    got = array(_in_order(call, expected, X=X, labels=labels, centres=centres), "the array of centres", (k, d), {
        **notebook_sizes,                                      # k or d hard-coded to the notebook's
        (d, k): "the centres are transposed: one row per centre, shape (k, d).",
        (len(X), d): "return one centre per cluster, shape (k, d), not one row per point.",
    })
    counts = np.bincount(labels, minlength=k)
    empty = counts == 0
    sums = np.array([X[labels == j].sum(axis=0) for j in range(k)])
    others = ~empty[:, None]
    keep = ("keep its centre where it was (return centres[j] for a cluster with no points): no point "
            "pulls it anywhere.")
    mistakes = [
        Mistake(f"the cluster labelled {np.flatnonzero(empty)[0] if empty.any() else 0} has no points, so its "
                f"mean is 0 / 0 = NaN: {keep}",
                test=lambda C: empty.any() and np.isnan(C[empty]).all() and np.allclose(C[~empty], expected[~empty])),
        Mistake(f"a cluster with no points got the centre 0: {keep}",
                wrong=lambda: np.where(others, expected, 0.0) if empty.any() else None),
        Mistake("this exercise keeps an empty cluster's centre where it was (return centres[j] for a cluster "
                "with no points), where scikit-learn moves it to a far point: the centres with points are "
                "right.", test=lambda C: empty.any() and np.all(np.isfinite(C))
                and not np.allclose(C[empty], centres[empty])
                and agree(C[~empty], expected[~empty], np.abs(X).max(), FLOAT32[1])),
        Mistake("the centres came back unchanged: each centre moves to the mean of the points labelled "
                "with its number, X[labels == j].mean(axis=0).", wrong=lambda: centres),
        Mistake("every centre is the mean of all the points: centre j is the mean of its own points only, "
                "X[labels == j].", wrong=lambda: np.broadcast_to(X.mean(axis=0), (k, d))),
        Mistake("these are the sums of each cluster's points: divide by N_j, the number of points in "
                "cluster j.", wrong=lambda: np.where(others, sums, centres)),
        Mistake("divide by N_j, the number of points in cluster j, not by n, the number of all points.",
                wrong=lambda: np.where(others, sums / len(X), centres)),
        Mistake("these are the medians of each coordinate (k-medians): k-means' M-step takes the mean.",
                wrong=lambda: np.array([np.median(X[labels == j], axis=0) if c else centres[j]
                                        for j, c in enumerate(counts)])),
        Mistake("the centres are transposed: one row per centre (k, d).", wrong=lambda: expected.T),
    ]
    judge(call, [got], [Part("the centres", expected, np.abs(X).max(), row=lambda j: f"centres[{j}]")], mistakes,
          fallback=lambda got: keep if empty.any() and not np.all(np.isfinite(got[0])) else None)


def check_update_means(fn):
    """Check my_update_means(X, labels, centres) -> the new centres (k, d).

    c_j = (1 / N_j) sum_{i : z_i = j} x_i,   N_j = the number of points labelled j      (the M-step)

    and a cluster with no points keeps its centre (centres[j]), a rule of this exercise (emlib's
    update_means refuses an empty cluster; scikit-learn moves its centre to a far point).
    Cases: ten points in three groups; the seed's data labelled by its starting means; the same
    data with a fourth centre that no point is nearest to; 40 points in 3-D with k = 4.
    Recognises an empty cluster's 0/0 = NaN, a centre set to 0 or moved elsewhere (scikit-learn's
    far point) while the other centres are right, centres returned unchanged, the
    mean of all the points, sums not divided, a division by n, medians, a transposed result, one
    centre per label that occurs (np.unique(labels)) instead of one per centre, k or d taken from the
    notebook's data (3 centres, 2 coordinates) instead of the arguments, and the arguments taken in
    exercise 3's order (X, centres, labels).
    Prints a verdict, returns True when every case passes.
    """
    ten = np.array([[0.0, 0.0], [1.0, 0.5], [0.5, 2.0], [4.0, 4.0], [5.0, 3.0], [6.0, 5.5],
                    [4.5, 6.0], [-2.0, 5.0], [-3.0, 4.0], [-2.5, 6.5]])
    X = seed_data()[0]
    start = np.array(seed_initial_params().means)
    far = np.vstack([start, [[20.0, -10.0]]])
    X3, centres3 = four_clusters_3d()
    return run(fn, [
        _case("ten points in three groups", _update_means_case, X=ten, labels=np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2]),
              centres=np.array([[1.0, 1.0], [4.0, 4.0], [-1.0, 5.0]])),
        _case("the seed's data labelled by its starting means", _update_means_case, X=X, labels=assign(X, start),
              centres=start),
        _case("an empty cluster: no point is nearest to centre 3, at (20, -10)", _update_means_case, X=X,
              labels=assign(X, far), centres=far),
        _case("four clusters in 3-D", _update_means_case, X=X3, labels=assign(X3, centres3), centres=centres3),
    ])


# ----------------------------------------------------------------------------------------
# The objective
# ----------------------------------------------------------------------------------------
def _inertia_case(call, X, centres, labels):
    J = inertia(X, centres, labels)
    value = number(_in_order(call, J, X=X, centres=centres, labels=labels), "J", "`return` and J")
    squared = cdist(X, centres, "sqeuclidean")
    own = squared[np.arange(len(X)), labels]
    mistakes = [
        Mistake("this is the sum of the distances ||x_i - c_{z_i}||: J adds their squares.",
                wrong=lambda: np.sqrt(own).sum()),
        Mistake("this is the square root of J: J = sum_i ||x_i - c_{z_i}||^2, no root.", wrong=lambda: np.sqrt(J)),
        Mistake("this is the mean over the points: J is the sum.", wrong=lambda: J / len(X)),
        Mistake("this is J / 2: J = sum_i ||x_i - c_{z_i}||^2.", wrong=lambda: J / 2),
        Mistake("each point is counted against every centre: J adds, for each point, only the squared "
                "distance to its own centre c_{z_i} (centres[labels] gives each point its own).",
                wrong=lambda: squared.sum()),
        Mistake("each point is counted against its nearest centre: J(z, c) uses the labels given, "
                "c_{z_i}, which after an M-step need not be the nearest.", wrong=lambda: squared.min(axis=1).sum()),
        Mistake("this adds |dx| + |dy| (the Manhattan distance): J adds the squared Euclidean distances.",
                wrong=lambda: np.abs(X - centres[labels]).sum()),
    ]
    judge(call, [value], [Part("J", np.float64(J), float(np.sum(X ** 2)))], mistakes)


def check_inertia(fn):
    """Check my_inertia(X, centres, labels) -> J (a float) against emlib.kmeans.inertia.

    J = sum_i ||x_i - c_{z_i}||^2                        (the k-means objective)

    Cases: seven points and two centres; the seed's data after one Lloyd iteration, with the labels
    of the iteration before (so some point's label is not its nearest centre); 40 points in 3-D.
    Recognises distances not squared, the root of J, the mean for the sum, J / 2, every point
    against every centre or against its nearest one, the Manhattan distance, and the arguments taken
    in exercise 2's order (X, labels, centres).  Prints a verdict,
    returns True when every case passes.
    """
    X = seed_data()[0]
    start = np.array(seed_initial_params().means)
    before = assign(X, start)
    moved = cluster_means(X, before, start)
    X3, centres3 = four_clusters_3d()
    return run(fn, [
        _case("seven points and two centres in the plane", _inertia_case, X=SMALL_X, centres=SMALL_CENTRES,
              labels=assign(SMALL_X, SMALL_CENTRES)),
        _case("the seed's data after one Lloyd iteration, with the labels from before it", _inertia_case, X=X,
              centres=moved, labels=before),
        _case("four clusters in 3-D", _inertia_case, X=X3, centres=centres3, labels=assign(X3, centres3)),
    ])


# ----------------------------------------------------------------------------------------
# Exercise 5: how elongated each true cluster is
# ----------------------------------------------------------------------------------------
def elongations(Z, truth):
    """For each true cluster j (in the order of np.unique(truth)): sqrt(lambda_max / lambda_min) of
    the eigenvalues of its covariance, its standard deviation along its long axis over that along
    its short one."""
    ratios = []
    for j in np.unique(truth):
        eigenvalues = np.linalg.eigvalsh(np.cov(Z[truth == j], rowvar=False))
        ratios.append(np.sqrt(eigenvalues[-1] / eigenvalues[0]))
    return np.array(ratios)


def stretched_clusters(rng, turns, n=60):
    """n points around each of len(turns) centres, 3 apart along x_2, each cluster with standard
    deviations 3 and 0.5 along its own axes, turned by turns[j] degrees; labels 0, 1, ..."""
    points, labels = [], []
    for j, turn in enumerate(turns):
        a = np.radians(turn)
        R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        points.append(rng.standard_normal((n, 2)) * [3.0, 0.5] @ R.T + [0.0, 3.0 * j])
        labels.append(np.full(n, j))
    return np.vstack(points), np.concatenate(labels)


def _clusters_hint(k):
    """For a case with k != 2 true clusters: the hint against two clusters hard-coded."""
    return f"this case has {k} true clusters: loop over np.unique(truth), not over range(2)." if k != 2 else None


def _elongation_case(call, Z, truth):
    k = len(np.unique(truth))
    shape_hints = {(): "return one number per true cluster, in an array.",
                   (k, 2): "return one ratio per cluster, long over short, not its two standard deviations."}
    if k != 2:
        shape_hints[(2,)] = _clusters_hint(k)
    got = array(call(Z=Z, truth=truth), "the array of elongations", (k,), shape_hints)
    expected = elongations(Z, truth)
    groups = [Z[truth == j] for j in np.unique(truth)]
    sd = np.array([g.std(axis=0) for g in groups])
    own_axes = ("a cluster's own axes are the eigenvectors of its covariance: take the square roots of "
                "its eigenvalues (np.linalg.eigvalsh), largest over smallest.")
    mistakes = [
        Mistake("these are the ratios of the variances, the eigenvalues themselves: the standard "
                "deviations are their square roots.", wrong=lambda: expected ** 2),
        Mistake("this is short over long: divide the larger standard deviation by the smaller (an "
                "elongation is at least 1).", wrong=lambda: 1 / expected),
        *[Mistake(f"these are ratios of the standard deviations along x_1 and x_2: {own_axes}", wrong=wrong)
          for wrong in (lambda: sd.max(axis=1) / sd.min(axis=1), lambda: sd[:, 0] / sd[:, 1])],
        Mistake("this is the elongation of all the points together: compute it for each true cluster's "
                "points, Z[truth == j].", wrong=lambda: np.full(k, elongations(Z, np.zeros(len(Z))))),
        Mistake("np.cov takes each row as a variable: give it the points as columns, np.cov(Zj.T), or "
                "pass rowvar=False; the covariance of 2-D points is 2 x 2.",
                test=lambda G: not np.all(np.isfinite(G)) or np.any(np.abs(G) > 1e3 * expected.max())),
        Mistake("an elongation is at least 1, and some of yours are below 1: np.linalg.eig does not sort its "
                "eigenvalues, so w[0] / w[1] is sometimes short over long. Use np.linalg.eigvalsh (ascending) "
                "or divide the largest by the smallest.", test=lambda G: np.any(G < 1)),
    ]
    judge(call, [got], [Part("the elongations", expected, 1.0)], mistakes)


def check_elongation(fn):
    """Check my_elongation(Z, truth) -> (k,), for each true cluster (in the order of np.unique(truth)):

    elongation_j = sqrt(lambda_max / lambda_min), the eigenvalues of cluster j's covariance

    its standard deviation along its long axis over that along its short one (exercise 5).
    Cases: two clusters stretched along x_1 (as the lesson's elongated data); two clusters, each
    turned by 45 degrees about its own centre; three clusters, each turned its own way.
    Recognises variances for standard deviations, short over long, the standard deviations along
    x_1 and x_2 for the cluster's own axes, all points together, np.cov of the points as rows, some
    ratios below 1 (np.linalg.eig's eigenvalues, which it does not sort), and two clusters hard-coded.
    Prints a verdict, returns True when every case passes.
    """
    rng = np.random.default_rng(5)
    cases = [("two clusters stretched along x_1", (0, 0)),
             ("two clusters, each turned by 45 degrees about its own centre", (45, 45)),
             ("three clusters, each turned its own way", (0, 60, -30))]
    built = [(title, *stretched_clusters(rng, turns)) for title, turns in cases]
    return run(fn, [Case(title, _elongation_case, dict(Z=Z, truth=truth), n=len(Z),
                         size_hint=_clusters_hint(len(np.unique(truth))))
                    for title, Z, truth in built])
