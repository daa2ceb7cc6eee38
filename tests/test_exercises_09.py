"""Lesson 09's exercise checks (k-means), both ways: right implementations pass, each classic
mistake fails with its own hint.

The right implementations are written independently of emlib (scipy's cdist, numpy's bincount);
the wrong ones are the mistakes the checks claim to recognise, one function each.  The verdicts
are read from capsys and held to what test_exercises holds the other lessons' to (`verdict`,
`readable`: short lines, every case with its n, expected and got visibly different).
"""
import re

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from test_exercises import named, passes_with_float32_note, readable, verdict

from emlib import exercises


# ----------------------------------------------------------------------------------------
# Right implementations, independent of emlib
# ----------------------------------------------------------------------------------------
def right_assign(X, centres):
    return cdist(X, centres, "sqeuclidean").argmin(axis=1)


def right_update_means(X, labels, centres):
    k, d = centres.shape
    counts = np.bincount(labels, minlength=k)
    sums = np.stack([np.bincount(labels, weights=X[:, a], minlength=k) for a in range(d)], axis=1)
    return np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], centres)


def right_inertia(X, centres, labels):
    return float(((X - centres[labels]) ** 2).sum())


def right_elongation(Z, truth):
    """The singular values of a cluster's centred points are proportional to its standard deviations
    along its own axes (no covariance, no eigenvalues)."""
    ratios = []
    for j in np.unique(truth):
        s = np.linalg.svd(Z[truth == j] - Z[truth == j].mean(axis=0), compute_uv=False)
        ratios.append(s[0] / s[-1])
    return np.array(ratios)


def right_elongation_eigvalsh(Z, truth):
    return np.array([np.sqrt(w[-1] / w[0]) for w in
                     (np.linalg.eigvalsh(np.cov(Z[truth == j], rowvar=False)) for j in np.unique(truth))])


def right_elongation_eig(Z, truth):
    """np.linalg.eig's eigenvalues, in whatever order it gives them: the largest over the smallest."""
    return np.array([np.sqrt(w.max() / w.min()) for w in
                     (np.linalg.eig(np.cov(Z[truth == j].T))[0].real for j in np.unique(truth))])


def assign_unsquared(X, centres):
    return cdist(X, centres).argmin(axis=1)                   # the root does not change the argmin


def assign_expanded(X, centres):
    return (-2 * X @ centres.T + (centres ** 2).sum(axis=1)).argmin(axis=1)


def update_means_float32(X, labels, centres):
    return right_update_means(X.astype(np.float32), labels, centres.astype(np.float32))


def inertia_float32(X, centres, labels):
    return np.float32(((X.astype(np.float32) - centres[labels].astype(np.float32)) ** 2).sum())


RIGHT = [
    (exercises.check_assign, right_assign),
    (exercises.check_assign, assign_unsquared),
    (exercises.check_assign, assign_expanded),
    (exercises.check_update_means, right_update_means),
    (exercises.check_inertia, right_inertia),
    (exercises.check_elongation, right_elongation),
    (exercises.check_elongation, right_elongation_eigvalsh),
    (exercises.check_elongation, right_elongation_eig),
]


@pytest.mark.parametrize("check, fn", RIGHT, ids=[fn.__name__ for _, fn in RIGHT])
def test_a_right_implementation_passes(check, fn, capsys):
    assert check(fn) is True
    out = capsys.readouterr().out
    assert f"{fn.__name__}: all " in out and "cases pass. Well done!" in out
    assert "✗" not in out and "Hint" not in out and "Note" not in out
    readable(out)


@pytest.mark.parametrize("check, fn", [(exercises.check_update_means, update_means_float32),
                                       (exercises.check_inertia, inertia_float32)],
                         ids=["update_means", "inertia"])
def test_a_right_answer_in_float32_passes_with_a_note(check, fn, capsys):
    passes_with_float32_note(check, fn, capsys)


# ----------------------------------------------------------------------------------------
# The classic mistakes, each with its hint (and the case where it first shows)
# ----------------------------------------------------------------------------------------
def mean_of(X, labels, j):
    return X[labels == j].mean(axis=0)


ASSIGN_MISTAKES = [
    (named("assign_argmax", lambda X, c: cdist(X, c, "sqeuclidean").argmax(axis=1)),
     ["case 1 of 3", "`argmax` picks the farthest centre"]),
    (named("assign_from_one", lambda X, c: cdist(X, c, "sqeuclidean").argmin(axis=1) + 1),
     ["case 1 of 3", "counted from 1"]),
    (named("assign_manhattan", lambda X, c: cdist(X, c, "cityblock").argmin(axis=1)),
     ["case 1 of 3", "1 of 7 labels differ; the first is point 2, x = [1.40, 4.50]", "Manhattan"]),
    (named("assign_dot_product", lambda X, c: (-2 * X @ c.T).argmin(axis=1)),
     ["case 1 of 3", "leaves out ||c_j||^2"]),
    (named("assign_summed_over_centres", lambda X, c: ((X[:, None] - c[None]) ** 2).sum(axis=1).argmin(axis=1)),
     ["case 1 of 3", "summed over the centres instead of the coordinates"]),
    (named("assign_first_coordinate", lambda X, c: np.abs(X[:, :1] - c[:, 0]).argmin(axis=1)),
     ["case 1 of 3", "only the first coordinate"]),
    (named("assign_min", lambda X, c: cdist(X, c, "sqeuclidean").min(axis=1)),
     ["case 1 of 3", "expected label 0, got 0.2900", "the distances to the nearest centre", "`argmin` its index"]),
    (named("assign_min_unsquared", lambda X, c: np.sqrt(((X[:, None] - c[None]) ** 2).sum(axis=2)).min(axis=1)),
     ["case 1 of 3", "the distances to the nearest centre", "`argmin` its index"]),
    (named("assign_distances", lambda X, c: cdist(X, c, "sqeuclidean")),
     ["labels has shape (7, 2), expected (7,)", "not the (n, k) array of distances"]),
    (named("assign_over_points", lambda X, c: cdist(X, c, "sqeuclidean").argmin(axis=0)),
     ["expected (7,)", "one number per centre"]),
    (named("assign_argmin_without_axis", lambda X, c: cdist(X, c, "sqeuclidean").argmin()),
     ["labels has shape (), expected (7,)", "`argmin()` without an axis", "axis=1"]),
    (named("assign_notebook_sizes", lambda X, c: cdist(X, c[:3], "sqeuclidean").argmin(axis=1) if len(c) > 2
           else cdist(X, c, "sqeuclidean").argmin(axis=1)),
     ["case 3 of 3", "label"]),
]


def update_means_empty_to_far_point(X, labels, centres):
    """scikit-learn's convention: an empty cluster's centre moves to the point farthest from its own centre."""
    new = right_update_means(X, labels, centres)
    own = ((X - new[labels]) ** 2).sum(axis=1)
    for j in np.flatnonzero(np.bincount(labels, minlength=len(centres)) == 0):
        new[j] = X[own.argmax()]
    return new


UPDATE_MISTAKES = [
    (named("update_means_nan_for_empty",
           lambda X, z, c: np.array([mean_of(X, z, j) if np.any(z == j) else np.full(X.shape[1], np.nan)
                                     for j in range(len(c))])),
     ["case 3 of 4", "the cluster labelled 3 has no points, so its mean is 0 / 0 = NaN", "keep its centre where it was"]),
    (named("update_means_zero_for_empty",
           lambda X, z, c: np.array([mean_of(X, z, j) if np.any(z == j) else np.zeros(X.shape[1])
                                     for j in range(len(c))])),
     ["case 3 of 4", "got the centre 0", "keep its centre where it was"]),
    (named("update_means_empty_to_far_point", update_means_empty_to_far_point),
     ["case 3 of 4", "centres[3]: expected [20.0000, -10.0000]", "keeps an empty cluster's centre where it was",
      "scikit-learn moves it to a far point"]),
    (named("update_means_unchanged", lambda X, z, c: c.copy()), ["case 1 of 4", "came back unchanged"]),
    (named("update_means_of_all_points", lambda X, z, c: np.tile(X.mean(axis=0), (len(c), 1))),
     ["case 1 of 4", "mean of all the points"]),
    (named("update_means_sums", lambda X, z, c: np.array([X[z == j].sum(axis=0) for j in range(len(c))])),
     ["case 1 of 4", "sums of each cluster's points"]),
    (named("update_means_by_n", lambda X, z, c: np.array([X[z == j].sum(axis=0) / len(X) for j in range(len(c))])),
     ["case 1 of 4", "not by n"]),
    (named("update_means_medians", lambda X, z, c: np.array([np.median(X[z == j], axis=0) for j in range(len(c))])),
     ["case 1 of 4", "medians", "k-medians"]),
    (named("update_means_over_labels_that_occur",
           lambda X, z, c: np.array([X[z == j].mean(axis=0) for j in np.unique(z)])),
     ["case 3 of 4", "shape (3, 2), expected (4, 2)", "only 3 of the 4 labels occur",
      "loop over range(len(centres)), not over np.unique(labels)", "a cluster with no label still needs its centre"]),
    (named("update_means_centres_before_labels",                  # the order of exercise 3 and emlib's inertia
           lambda X, c, z: np.array([mean_of(X, z, j) if np.any(z == j) else c[j] for j in range(len(c))])),
     ["case 1 of 4", "IndexError", "takes its arguments as (X, labels, centres), in that order",
      "yours expects (X, centres, labels)"]),
    (named("update_means_one_hot_centres_before_labels",
           lambda X, c, z: np.eye(len(c))[z].T @ X / np.eye(len(c))[z].sum(axis=0)[:, None]),
     ["case 1 of 4", "arrays used as indices must be of integer", "takes its arguments as (X, labels, centres)"]),
    (named("update_means_transposed", lambda X, z, c: right_update_means(X, z, c).T),
     ["shape (2, 3), expected (3, 2)", "transposed"]),
]

INERTIA_MISTAKES = [
    (named("inertia_unsquared", lambda X, c, z: np.linalg.norm(X - c[z], axis=1).sum()),
     ["case 1 of 3", "sum of the distances", "adds their squares"]),
    (named("inertia_root", lambda X, c, z: np.sqrt(((X - c[z]) ** 2).sum())), ["case 1 of 3", "square root of J"]),
    (named("inertia_mean", lambda X, c, z: ((X - c[z]) ** 2).sum(axis=1).mean()), ["case 1 of 3", "J is the sum"]),
    (named("inertia_half", lambda X, c, z: ((X - c[z]) ** 2).sum() / 2), ["case 1 of 3", "J / 2"]),
    (named("inertia_every_centre", lambda X, c, z: cdist(X, c, "sqeuclidean").sum()),
     ["case 1 of 3", "counted against every centre"]),
    (named("inertia_nearest", lambda X, c, z: cdist(X, c, "sqeuclidean").min(axis=1).sum()),
     ["case 2 of 3", "against its nearest centre", "uses the labels given"]),
    (named("inertia_manhattan", lambda X, c, z: np.abs(X - c[z]).sum()), ["case 1 of 3", "Manhattan"]),
    (named("inertia_labels_before_centres", lambda X, z, c: right_inertia(X, c, z)),   # the order of exercise 2
     ["case 1 of 3", "IndexError", "takes its arguments as (X, centres, labels), in that order",
      "yours expects (X, labels, centres)"]),
    (named("inertia_rounded", lambda X, c, z: round(right_inertia(X, c, z), 2)), ["rounded to 2 decimals"]),
]


def own_axes(Z, truth, cov=lambda points: np.cov(points, rowvar=False)):
    """sqrt(eigenvalues), ascending, of each true cluster's covariance as cov computes it (the mistakes'
    common part)."""
    return [np.sqrt(np.abs(np.linalg.eigvalsh(cov(Z[truth == j])))) for j in np.unique(truth)]


ELONGATION_MISTAKES = [
    (named("elongation_variances", lambda Z, t: np.array([s[-1] ** 2 / s[0] ** 2 for s in own_axes(Z, t)])),
     ["case 1 of 3", "ratios of the variances"]),
    (named("elongation_short_over_long", lambda Z, t: np.array([s[0] / s[-1] for s in own_axes(Z, t)])),
     ["case 1 of 3", "short over long"]),
    (named("elongation_along_coordinates",
           lambda Z, t: np.array([Z[t == j].std(axis=0).max() / Z[t == j].std(axis=0).min() for j in np.unique(t)])),
     ["case 1 of 3", "standard deviations along x_1 and x_2", "eigenvectors of its covariance"]),
    (named("elongation_x1_over_x2",
           lambda Z, t: np.array([Z[t == j, 0].std() / Z[t == j, 1].std() for j in np.unique(t)])),
     ["case 1 of 3", "standard deviations along x_1 and x_2"]),
    (named("elongation_unsorted", lambda Z, t: np.array([                # np.linalg.eig's order: either
        np.sqrt(w[0] / w[1]) for w in (np.linalg.eigvalsh(np.cov(Z[t == j], rowvar=False))[::(-1) ** j]
                                       for j in np.unique(t))])),
     ["case 1 of 3", "an elongation is at least 1, and some of yours are below 1",
      "eig does not sort", "np.linalg.eigvalsh"]),
    (named("elongation_all_points", lambda Z, t: np.full(len(np.unique(t)), own_axes(Z, 0 * t)[0][-1]
                                                            / own_axes(Z, 0 * t)[0][0])),
     ["case 1 of 3", "all the points together"]),
    (named("elongation_cov_of_rows", lambda Z, t: np.array([s[-1] / s[0] for s in own_axes(Z, t, cov=np.cov)])),
     ["case 1 of 3", "np.cov takes each row as a variable"]),
    (named("elongation_two_clusters", lambda Z, t: right_elongation(Z[t < 2], t[t < 2])),
     ["case 3 of 3", "shape (2,), expected (3,)", "loop over np.unique(truth), not over range(2)"]),
    (named("elongation_both_deviations", lambda Z, t: np.array([s[::-1] for s in own_axes(Z, t)])),
     ["shape (2, 2), expected (2,)", "not its two standard deviations"]),
]

MISTAKES = ([(exercises.check_assign, fn, expected) for fn, expected in ASSIGN_MISTAKES]
            + [(exercises.check_update_means, fn, expected) for fn, expected in UPDATE_MISTAKES]
            + [(exercises.check_inertia, fn, expected) for fn, expected in INERTIA_MISTAKES]
            + [(exercises.check_elongation, fn, expected) for fn, expected in ELONGATION_MISTAKES])


@pytest.mark.parametrize("check, fn, expected", MISTAKES, ids=[fn.__name__ for _, fn, _ in MISTAKES])
def test_each_mistake_is_recognised(check, fn, expected, capsys):
    verdict(check, fn, capsys, expected)


def test_a_hard_coded_k_gets_the_size_hint(capsys):
    def my_update_means(X, labels, centres):
        return np.array([X[labels == j].mean(axis=0) for j in range(3)])
    verdict(exercises.check_update_means, my_update_means, capsys,     # the same centres as np.unique(labels)
            ["case 3 of 4", "the array of centres has shape (3, 2), expected (4, 2)", "the notebook's k = 3",
             "take the sizes from the arguments"])

    def my_update_means(X, labels, centres):                # d hard-coded: the 3-D case
        return np.array([X[labels == j, :2].mean(axis=0) if np.any(labels == j) else centres[j, :2]
                         for j in range(len(centres))])
    verdict(exercises.check_update_means, my_update_means, capsys,
            ["case 4 of 4", "the array of centres has shape (4, 2), expected (4, 3)", "this case has k = 4 and d = 3"])

    def my_assign(X, centres):
        return np.array([min(range(3), key=lambda j: ((x - centres[j]) ** 2).sum()) for x in X])
    verdict(exercises.check_assign, my_assign, capsys, ["case 1 of 3", "IndexError", "take the sizes from the arguments"])


@pytest.mark.parametrize("check", [exercises.check_assign, exercises.check_update_means, exercises.check_inertia,
                                   exercises.check_elongation])
def test_not_implemented_yet(check, capsys):
    def my_function(*args):
        raise NotImplementedError("write it")
    assert check(my_function) is False
    assert capsys.readouterr().out.startswith("my_function: not implemented yet: write it")


def test_the_checks_do_not_change_their_answers_for_an_input_changed_in_place(capsys):
    def my_update_means(X, labels, centres):
        centres[:] = right_update_means(X, labels, centres)
        return centres
    assert exercises.check_update_means(my_update_means) is True
    assert "changed its input centres in place" in " ".join(capsys.readouterr().out.split())


def test_a_hint_that_starts_with_the_article_a_is_capitalised(capsys):
    fns = {fn.__name__: fn for fn, _ in UPDATE_MISTAKES}
    assert "Hint: A cluster with no points got the centre 0" in verdict(
        exercises.check_update_means, fns["update_means_zero_for_empty"], capsys)


def test_a_huge_wrong_value_prints_in_four_significant_digits(capsys):
    def my_elongation(Z, truth):                            # np.cov of the points as rows: 60 x 60, singular
        return np.array([w[-1] / np.abs(w).min() for w in
                         (np.linalg.eigvalsh(np.cov(Z[truth == j])) for j in np.unique(truth))])
    out = verdict(exercises.check_elongation, my_elongation, capsys, ["case 1 of 3", "np.cov takes each row"])
    got = re.search(r"got +\[(.+)\]", out).group(1).split(", ")
    assert all(re.fullmatch(r"\d\.\d{3}e\+\d{2,3}", value) for value in got), out
