"""Lesson 05's exercise check (label switching), both ways: right matchings pass, each classic
mistake fails with its own hint.

The right implementations are written independently of emlib: every permutation tried
(itertools), and scipy's Hungarian algorithm on a whole-component cost.
"""
from itertools import permutations

import numpy as np
from scipy.optimize import linear_sum_assignment
from emlib import exercises


def cost(wa, ma, Sa, wb, mb, Sb):
    """cost[j, i]: how far B's component i is from A's j, on weights, means and covariances."""
    return ((wa[:, None] - wb[None, :]) ** 2 + ((ma[:, None] - mb[None, :]) ** 2).sum(axis=2)
            + ((Sa[:, None] - Sb[None, :]) ** 2).sum(axis=(2, 3)))


def right_match_brute_force(wa, ma, Sa, wb, mb, Sb):
    c = cost(wa, ma, Sa, wb, mb, Sb)
    return np.array(min(permutations(range(len(wa))), key=lambda p: c[np.arange(len(wa)), list(p)].sum()))


def right_match_hungarian(wa, ma, Sa, wb, mb, Sb):
    return linear_sum_assignment(cost(wa, ma, Sa, wb, mb, Sb))[1]


def match_means_only(wa, ma, Sa, wb, mb, Sb):
    return linear_sum_assignment(((ma[:, None] - mb[None, :]) ** 2).sum(axis=2))[1]


def match_inverse(wa, ma, Sa, wb, mb, Sb):
    return np.argsort(right_match_hungarian(wa, ma, Sa, wb, mb, Sb))


def match_repeats(wa, ma, Sa, wb, mb, Sb):
    return cost(wa, ma, Sa, wb, mb, Sb).argmin(axis=0) * 0         # every one matched to B's 0


def verdict(check, fn, capsys, expected):
    """Run the check, assert it fails and prints every text in expected, in lines that fit a cell.
    (test_exercises.verdict also wants each case's n, which a matching has not.)"""
    assert check(fn) is False
    out = capsys.readouterr().out
    assert max(map(len, out.splitlines())) <= 100, out
    for text in expected:
        assert text in " ".join(out.split()), f"{text!r} not in the verdict:\n{out}"


def test_right_matchings_pass(capsys):
    for fn in (right_match_brute_force, right_match_hungarian):
        assert exercises.check_match(fn) is True
        out = capsys.readouterr().out
        assert "all 4 cases pass" in out and max(map(len, out.splitlines())) <= 100


def test_each_mistake_is_recognised(capsys):
    verdict(exercises.check_match, match_means_only, capsys, ["case 3 of 4", "matched on the means alone"])
    verdict(exercises.check_match, match_inverse, capsys, ["case 1 of 4", "the inverse of the one asked for"])
    verdict(exercises.check_match, match_repeats, capsys, ["case 1 of 4", "each of 0 .. 2 once"])


def test_not_implemented_yet(capsys):
    def my_match(*args):
        raise NotImplementedError("write it")
    assert exercises.check_match(my_match) is False
    assert capsys.readouterr().out.startswith("my_match: not implemented yet: write it")
