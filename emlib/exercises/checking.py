"""What every exercise check shares: run the learner's function on cases, compare, recognise, report.

A lesson's check is a list of cases and, for each, an `evaluate(call, **data)` that calls the
learner's function through `call`, checks what came back (`array`, `values`, `number`) and hands
the values to `judge`, which decides:

1. every value agrees with the reference to float64 precision: the case passes;
2. else, a mistake from the lesson's registry (a `Mistake`: a hint and an independent wrong
   implementation, or a test) explains the values: the case fails with that hint;
3. else, the values agree to float32 precision: the case passes, with the note that float64 is
   what EM needs;
4. else the case fails, showing the entry with the largest difference (and the lesson's fallback hint).

Tolerances follow the precision: a value v computed from numbers of size `scale` agrees with the
reference r when |v - r| <= rtol (|r| + scale), with rtol = 1e-10 for float64 (far above its
rounding, far below any mistake) and 32 eps = 3.8e-6 for float32.  `run` prints the verdict: the
cases passed, the first that does not pass with what differs and a hint, and notes (an input
changed in place, float32).  It shows the line of the learner's own code that raised, never a
library's, and names a helper that still raises NotImplementedError.  An IndexError or ValueError
gets the case's size hint only when a size is hard-coded, as the error shows (an index out of
bounds, or a shape holding a notebook size the case lacks); a broadcasting error otherwise gets the
hint to align the axes (keepdims=True, [:, None]).
"""
from dataclasses import dataclass
from itertools import combinations, product
from pathlib import Path
import re
import sysconfig
import textwrap
import traceback
from typing import Callable
import warnings

import numpy as np
import scipy

#: Printed lines stay within this many characters (a notebook cell, a projector).
WIDTH = 100
#: Relative tolerance of each precision: (name, rtol).  A float64 answer must agree tightly.
FLOAT64, FLOAT32 = ("float64", 1e-10), ("float32", 32 * float(np.finfo(np.float32).eps))
FLOAT32_NOTE = "computed in float32: fine here, but use float64 for EM"
NAN_HINT = "a NaN comes from 0/0, inf - inf or the log of a negative number."
INF_HINT = ("an infinity comes from log 0 or a division by 0, often of a number that underflowed to 0: "
            "work in log space.")
BROADCAST_HINT = ("the shapes do not line up: numpy pairs axes from the last one. Keep the axis you reduce "
                  "over, so that each row is divided by its own sum or max: a.sum(axis=1, keepdims=True) or "
                  "logsumexp(a, axis=1, keepdims=True) has shape (n, 1); give a vector of one number per row "
                  "an axis, N[:, None], shape (k, 1), before it divides a (k, d) array.")


# ----------------------------------------------------------------------------------------
# Outcomes of calling the learner's function
# ----------------------------------------------------------------------------------------
class Fail(Exception):
    """A case does not pass: what differs (detail, one line or several) and, when recognised, why (hint)."""

    def __init__(self, detail, hint=None):
        super().__init__(detail)
        self.detail = [detail] if isinstance(detail, str) else list(detail)
        self.hint = hint


class NotYet(Exception):
    """The learner's function (or a helper of theirs, `helper`) raised NotImplementedError."""

    def __init__(self, message, helper=None):
        super().__init__(message)
        self.helper = helper


class Raised(Exception):
    """The learner's function raised another exception; `where` is the line of their code that did
    (a traceback.FrameSummary) and the name of their function it is in, or None; `hint`, when a
    check knows the cause (e.g. its arguments taken in another order), is said before error_hint's."""

    def __init__(self, message, error_type, where=None, hint=None):
        super().__init__(message)
        self.error_type = error_type
        self.where = where
        self.hint = hint


@dataclass
class Case:
    """One case of a check: its title, how to run it, its data (evaluate's keyword arguments).

    n: the number of points, shown in the title.  size_hint: said when the learner's function
    raises an IndexError or ValueError here that shows a hard-coded size (e.g. "this case has k = 2
    components"); telltales: the notebook's sizes this case lacks, which show it in a shape.
    """
    title: str
    evaluate: Callable
    data: dict
    n: int | None = None
    size_hint: str | None = None
    telltales: frozenset = frozenset()

    @property
    def heading(self):
        return self.title if self.n is None else f"{self.title} (n = {self.n} points)"


#: Where library code lives: emlib, numpy, scipy, the standard library and every installed package.
LIBRARIES = tuple({Path(__file__).resolve().parents[1], Path(np.__file__).resolve().parent,
                   Path(scipy.__file__).resolve().parent,
                   *(Path(sysconfig.get_path(name)).resolve() for name in ("stdlib", "purelib", "platlib"))})


#: Code that numpy generates at import and runs under a name of its own: numpy before 1.25 runs
#: every public function (np.linalg.cholesky, ...) through a dispatcher of this "file".
GENERATED_LIBRARY_CODE = ("<__array_function__ internals>",)


def in_library(filename):
    """True for a file of emlib, numpy, scipy or any installed package, and for numpy's generated
    dispatchers; False for the learner's code (a notebook cell's "<ipython-input-...>" or
    temporary file, a script)."""
    if filename in GENERATED_LIBRARY_CODE:
        return True
    if filename.startswith("<"):
        return False
    path = Path(filename).resolve()
    return any(path.is_relative_to(folder) for folder in LIBRARIES)


def telltales(found, notebook):
    """The notebook's sizes ({name: size}) that this case's (found) lacks: a shape that holds one of
    them in an error message comes from a size hard-coded in the learner's function."""
    return frozenset(notebook[name] for name in found if name in notebook and found[name] != notebook[name]
                     ) - set(found.values())


def error_hint(err, case):
    """The hint for an IndexError or ValueError the learner's function raised (a Raised) in `case`:
    the size hint when a size is hard-coded (an index out of bounds, or a notebook size in a shape
    of the message), else for a broadcasting error the hint to align the axes; else None."""
    if not issubclass(err.error_type, (IndexError, ValueError)):
        return None
    message = str(err)
    shown = {int(size) for shape in re.findall(r"\(([\d,\s]+)\)", message) for size in re.findall(r"\d+", shape)}
    shown |= {int(size) for size in re.findall(r"(?:size|index) (\d+)", message)}
    if case.size_hint and (shown & case.telltales or "out of bounds" in message):
        return case.size_hint
    return BROADCAST_HINT if re.search(r"could not (be )?broadcast", message) else None


def capitalised(hint):
    """hint with its first letter upper-cased when it starts with a word ("the weights ...", the
    article in "a cluster ..."), not with a symbol ("a and b are swapped", "||x_i - c_j||", "pi_j",
    "`argmax`")."""
    return hint[0].upper() + hint[1:] if re.match(r"([a-z]{2,}|a (?!(and|or) )[A-Za-z]{2,})[ ,:;]", hint) else hint


COMPREHENSIONS = ("<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>")


def one_line(text, limit=160):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def name_of(fn):
    return getattr(fn, "__name__", type(fn).__name__)


class Caller:
    """call(name=value, ...): the learner's function on copies of the values, positionally, without
    numpy's warnings.  Errors become NotYet or Raised; an input changed in place becomes a note."""

    def __init__(self, fn):
        self.fn, self.name = fn, name_of(fn)
        self.notes = {}                                     # key -> text, each said once

    def note(self, key, text):
        self.notes.setdefault(key, text)

    def __call__(self, **inputs):
        passed = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in inputs.items()}
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                result = self.fn(*passed.values())
        except Exception as err:  # the learner's bug: a verdict, not a traceback
            frames = traceback.extract_tb(err.__traceback__)
            theirs = [frame for frame in frames if not in_library(frame.filename)]
            if not theirs:
                raise Raised(f"{type(err).__name__}: {one_line(err)}", type(err)) from None
            # the line that raised, in the innermost function of theirs with a name (not a comprehension's)
            function = next((f.name for f in reversed(theirs) if f.name not in COMPREHENSIONS), theirs[-1].name)
            if isinstance(err, NotImplementedError) and theirs[-1] is frames[-1]:
                raise NotYet(str(err), helper=None if function == self.name else function) from None
            raise Raised(f"{type(err).__name__}: {one_line(err)}", type(err), (theirs[-1], function)) from None
        changed = [k for k, v in inputs.items()
                   if isinstance(v, np.ndarray) and not np.array_equal(passed[k], v, equal_nan=True)]
        for k in changed:
            self.note(f"changed {k}", f"{self.name} changed its input {k} in place ({k} /= ..., {k}[...] = ...): "
                                      f"the caller's array is overwritten. Make a new array ({k} = {k} / ...) or "
                                      f"work on {k}.copy().")
        return result


# ----------------------------------------------------------------------------------------
# Printing
# ----------------------------------------------------------------------------------------
def article(value):
    """'a list', 'an ndarray': the type of value with its article."""
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' or name == 'ndarray' else 'a'} {name}"


#: From this size on, fmt prints a number with 4 significant digits (7.369e+07): the values the
#: checks expect stay far below it (log-likelihoods, BICs: thousands), and a wrong one (a ratio of
#: a singular covariance's eigenvalues, up to 1e150) should not fill the cell with digits.
HUGE = 1e6


def fmt(value, decimals=4):
    """Rounded to `decimals`, the same text on every machine and numpy version (no -0.0000); a value
    of HUGE or more in size with 4 significant digits."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        v = float(arr)
        if not np.isfinite(v):
            return str(v)
        return f"{v:.3e}" if abs(v) >= HUGE else f"{round(v, decimals) + 0.0:.{decimals}f}"
    return "[" + ", ".join(fmt(a, decimals) for a in arr) + "]"


def decimals_for(difference):
    """Enough decimals (4 to 10) that two numbers this far apart print differently."""
    if not np.isfinite(difference) or difference <= 0:
        return 4
    return int(np.clip(np.ceil(-np.log10(difference)) + 1, 4, 10))


def _say(text, indent, first=""):
    return textwrap.fill(text, WIDTH, initial_indent=indent + first, subsequent_indent=indent + " " * len(first),
                         break_on_hyphens=False, break_long_words=False)


def run(fn, cases):
    """Run the cases in order, stop at the first that does not pass, print the verdict; True when all pass."""
    name = name_of(fn)
    if not callable(fn):
        print(f"Pass your function itself, e.g. check(my_function), not {article(fn)}.")
        return False
    call = Caller(fn)
    lines, passed = [], True
    for number, case in enumerate(cases, 1):
        try:
            case.evaluate(call, **case.data)
        except NotYet as err:
            message = str(err) or "NotImplementedError"
            if err.helper:
                print(_say(f"{name}: not implemented yet: it calls {err.helper}, which still raises "
                           f"NotImplementedError({message!r}). Write {err.helper} (replace its "
                           "`raise NotImplementedError(...)` line), run that cell, then this one.", ""))
            else:
                print(_say(f"{name}: not implemented yet: {message}", ""))
                print("Replace the `raise NotImplementedError(...)` line with your code, run that cell, then this one.")
            return False
        except (Raised, Fail) as err:
            print(f"{name}: not yet, case {number} of {len(cases)} does not pass.")
            print("\n".join(lines + [f"  ✗ {number}. {case.heading}"]))
            if isinstance(err, Raised):
                print(_say(f"{name} raised {err}", "     "))
                if err.where is not None:
                    frame, function = err.where
                    where = f"     in {function}, line {frame.lineno}"
                    print(where + (f": {one_line(frame.line, WIDTH - len(where) - 2)}" if frame.line else ""))
                hint = err.hint or error_hint(err, case)
            else:
                print("\n".join(_say(line, "     ") for line in err.detail))
                hint = err.hint
            if hint:
                print(_say(capitalised(hint), "     ", "Hint: "))
            passed = False
            break
        lines.append(f"  ✓ {number}. {case.heading}")
    else:
        print(f"{name}: {'both' if len(cases) == 2 else f'all {len(cases)}'} cases pass. Well done!")
        print("\n".join(lines))
    for text in call.notes.values():
        print(_say(text, "", "Note: "))
    return passed


# ----------------------------------------------------------------------------------------
# What came back: the right kind of value, of the right shape
# ----------------------------------------------------------------------------------------
def _real(value):
    """value as an array of real numbers: float32 kept (to be noticed), other reals as float64; else None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = np.asarray(value)
    except (TypeError, ValueError):                     # e.g. a ragged list
        return None
    if arr.dtype.kind not in "biuf":                    # strings, complex numbers, objects
        return None
    return arr if arr.dtype == np.float32 else arr.astype(float)


def returned(got, line):
    """A Fail when the function returned None; line is what it should end with, e.g. "`return X, z`"."""
    if got is None:
        raise Fail("the function returned None", f"end it with {line}.")


def array(value, what, shape, shape_hints=None):
    """value as a float array of the given shape (float32 kept, to be noticed), or a Fail that says
    what came back instead; shape_hints: wrong shape -> hint."""
    if value is None:
        raise Fail(f"{what} is None", "is a `return` line missing?")
    if isinstance(value, (tuple, list)) and any(np.shape(v) == shape for v in value if not isinstance(v, str)):
        raise Fail(f"{what} should be one array of shape {shape}, but is a {type(value).__name__} of "
                   f"{len(value)} values", f"return only {what}, the array of shape {shape}.")
    arr = _real(value)
    if arr is None:
        raise Fail(f"{what} should be an array of real numbers, but is {article(value)}")
    if arr.shape != shape:
        raise Fail(f"{what} has shape {arr.shape}, expected {shape}", (shape_hints or {}).get(arr.shape))
    return arr


def number(got, what, line):
    """got as one float (np.float32 kept), or a Fail; line: what the function should end with."""
    returned(got, line)
    arr = _real(got)
    if arr is None:
        raise Fail(f"expected one number ({what}), got {article(got)}")
    if arr.size != 1:
        raise Fail(f"expected one number ({what}), got an array of shape {arr.shape}")
    return arr.reshape(())


def values(got, names, hint=None):
    """The len(names) values a function returned as a tuple or list, or a Fail saying what came back
    instead; hint defaults to "end it with `return <names>`"."""
    line = f"`return {', '.join(names)}`"
    returned(got, line)
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        what = f"{len(got)} values" if isinstance(got, (tuple, list)) else article(got)
        listed = " and ".join(names) if len(names) == 2 else ", ".join(names)
        raise Fail(f"expected {['two', 'three', 'four'][len(names) - 2]} values back ({listed}), got {what}",
                   hint or f"end it with {line}.")
    return tuple(got)


# ----------------------------------------------------------------------------------------
# Comparing, recognising, judging
# ----------------------------------------------------------------------------------------
@dataclass
class Part:
    """One value the function returns, with its reference.

    scale: the size of the numbers it is computed from (the tolerance grows with it); a number, or
    an array that broadcasts against expected.  row(i): what row i is called in the verdict
    (default "<name>[i]"; a vector or a number is shown whole).
    """
    name: str
    expected: np.ndarray
    scale: object = 1.0
    row: Callable | None = None


def agree(got, expected, scale, rtol):
    """|got - expected| <= rtol (|expected| + scale) everywhere (equal infinities and NaNs agree)."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        return False
    with np.errstate(invalid="ignore"):
        close = np.abs(got - expected) <= rtol * (np.abs(expected) + scale)
    same = (got == expected) | (np.isnan(got) & np.isnan(expected))          # inf and NaN only equal themselves
    return bool(np.all(np.where(np.isfinite(expected), close, same)))


def _agrees(got, parts, reference, rtol):
    return all(agree(g, r, p.scale, rtol) for g, r, p in zip(got, reference, parts))


@dataclass
class Mistake:
    """A recognisable mistake: its hint, and either `wrong()`, an independent implementation that
    makes it (its values, in the order of the parts, or one part's when `part` is its index), or
    `test(got)`, True when the values show it.  Evaluated lazily; errors count as "not this one"."""
    hint: str
    wrong: Callable | None = None
    test: Callable | None = None
    part: int | None = None


def _view(values, mistake, n_parts):
    """What a mistake speaks of: the values of its part, the only part's, or all of them (a tuple)."""
    if mistake.part is not None:
        return values[mistake.part]
    return values[0] if n_parts == 1 else tuple(values)


def _shows(mistake, got, parts):
    """True when got (a tuple of arrays, one per part) is what `mistake` gives, at a precision where the
    mistake differs from the reference."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if mistake.test is not None:
                return bool(mistake.test(_view(got, mistake, len(parts))))
            wrong = mistake.wrong()
            if wrong is None:
                return False
            if mistake.part is not None:
                got, parts = (got[mistake.part],), (parts[mistake.part],)
            wrong = (wrong,) if len(parts) == 1 else tuple(wrong)
            reference = [p.expected for p in parts]
            return any(_agrees(got, parts, wrong, rtol) and not _agrees(wrong, parts, reference, rtol)
                       for _, rtol in (FLOAT64, FLOAT32))
    except (ValueError, TypeError, IndexError, ArithmeticError, np.linalg.LinAlgError):
        return False


def slip_mistakes(slips, aspects, wrong, most):
    """A Mistake for every combination of up to `most` slips in the aspects, fewest slips first.

    slips: {aspect: {slip: what the learner's value then does}}, a lesson's table of slips;
    wrong(chosen) computes the learner's values with the chosen slips ({aspect: slip}).  The hint
    names each chosen slip in turn ("It looks as if ... And as if ...").
    """
    for size in range(1, most + 1):
        for names in combinations(aspects, size):
            for choice in product(*(slips[name] for name in names)):
                chosen = dict(zip(names, choice))
                hint = " ".join(("It looks as if " if i == 0 else "And as if ") + slips[name][slip]
                                for i, (name, slip) in enumerate(chosen.items()))
                yield Mistake(hint, wrong=lambda chosen=chosen: wrong(chosen))


def rounded(parts):
    """The mistakes of rounding the result to 0..8 decimals: values on that decimal grid (a float32
    value is not), equal to the reference rounded."""
    def test(got, r):
        grid = [np.round(np.asarray(g, dtype=float), r) for g in got]
        return (all(np.array_equal(g, np.asarray(h, dtype=float)) for g, h in zip(grid, got))
                and any(np.any(g != np.round(g)) for g in grid)
                and _agrees(got, parts, [np.round(p.expected, r) for p in parts], FLOAT64[1]))
    return [Mistake(f"your values are rounded to {r} decimals: return them unrounded (round only what you print).",
                    test=lambda got, r=r: test(got if len(parts) > 1 else (got,), r)) for r in range(9)]


def recognise(got, parts, mistakes, first):
    """The hint of the first mistake that explains got, or None: mistakes of the whole answer, and those
    of one part only for `first`, the first part that differs (the one the verdict shows)."""
    for mistake in mistakes:
        if (mistake.part is None or mistake.part == first) and _shows(mistake, got, parts):
            return mistake.hint
    return None


def worst(got, part):
    """Where got differs most from part.expected, relative to the tolerance: (index, difference)."""
    g, e = np.asarray(got, dtype=float), np.asarray(part.expected, dtype=float)
    with np.errstate(invalid="ignore"):
        difference = np.abs(g - e)
        ranked = np.where(np.isnan(difference), np.inf, difference / (np.abs(e) + part.scale))
    index = np.unravel_index(np.argmax(ranked), e.shape) if e.ndim else ()
    return index, float(difference[index])


def differs(got, part):
    """The detail lines: the row of `got` with the largest difference, expected and got to enough
    decimals that they differ visibly, and the difference."""
    index, difference = worst(got, part)
    e, g = np.asarray(part.expected), np.asarray(got)
    if e.ndim >= 2:
        i = index[0]
        label, e, g = (part.row(i) if part.row else f"{part.name}[{i}]"), e[i], g[i]
    else:
        label = part.name
    places = decimals_for(difference)
    size = f" (largest difference {difference:.2g})" if np.isfinite(difference) and e.ndim else (
        f" (difference {difference:.2g})" if np.isfinite(difference) else "")
    line = f"{label}: expected {fmt(e, places)}, got {fmt(g, places)}{size}"
    if len(line) <= WIDTH - 5:
        return [line]
    return [f"{label}{size}:", f"  expected {fmt(e, places)}", f"  got      {fmt(g, places)}"]


def judge(call, got, parts, mistakes=(), fallback=None):
    """Decide a case (see the module's docstring): return when it passes, else raise Fail.

    got: the returned values (arrays of the parts' shapes), in the order of parts.  mistakes: the
    lesson's recognisable mistakes, in order (rounding is added).  fallback(got): a hint when no
    mistake explains the values, or None.
    """
    got, parts = tuple(got), tuple(parts)
    reference = [p.expected for p in parts]
    if _agrees(got, parts, reference, FLOAT64[1]):
        return
    first = next(i for i, (g, p) in enumerate(zip(got, parts)) if not agree(g, p.expected, p.scale, FLOAT64[1]))
    hint = recognise(got, parts, [*mistakes, *rounded(parts)], first)
    if hint is None and _agrees(got, parts, reference, FLOAT32[1]):
        if any(np.asarray(g).dtype == np.float32 for g in got):
            call.note("float32", f"{FLOAT32_NOTE}.")
        else:
            largest = max(worst(g, p)[1] for g, p in zip(got, parts))
            call.note("float32", f"your values agree to float32 precision only (largest difference "
                                 f"{largest:.1e}). If you {FLOAT32_NOTE}.")
        return
    if hint is None and fallback is not None:
        hint = fallback(got)
    values = np.asarray(got[first], dtype=float)
    if hint is None and not np.all(np.isfinite(values)):
        hint = NAN_HINT if np.isnan(values).any() else INF_HINT
    raise Fail(differs(got[first], parts[first]), hint)
