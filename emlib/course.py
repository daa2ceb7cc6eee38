"""The course: its lessons, the part of the course each belongs to, and what each builds on.

One table, read by the course map (emlib.figures, course_map), checked against the notebooks and
the instructor's guide (INSTRUCTORS.md) by tests/test_instructors_guide.py.

    LESSONS       the lessons, in order: Lesson(stem, title, part, builds_on)
    PARTS         the parts of the course, in order
    lesson(number)  the Lesson of "04" (LESSONS only)

A new lesson: add its row here and its section to INSTRUCTORS.md, then `make figures`.  The tests
fail, naming the lesson, until both are done.
"""
from typing import NamedTuple

__all__ = ["Lesson", "PARTS", "LESSONS", "lesson"]


class Lesson(NamedTuple):
    """One lesson: its notebook notebooks/<stem>.ipynb, a short title for the map, its part of
    the course, and the numbers of the earlier lessons it builds on directly (a lesson that
    builds on 05 also needs what 05 needs: only the direct ones are listed)."""
    stem: str
    title: str
    part: str
    builds_on: tuple = ()

    @property
    def number(self):
        """The two-digit number that opens the notebook's name: "04"."""
        return self.stem[:2]


#: The parts of the course, in order (a row each on the course map).
PARTS = ("The algorithm", "EM in practice", "Beyond one model")

LESSONS = (
    Lesson("00_the_seed_script", "The seed script", PARTS[0]),
    Lesson("01_data_generation", "Data generation", PARTS[0], ("00",)),
    Lesson("02_e_step", "The E-step", PARTS[0], ("01",)),
    Lesson("03_m_step", "The M-step", PARTS[0], ("02",)),
    Lesson("04_convergence", "Convergence", PARTS[0], ("03",)),
    Lesson("05_pitfalls", "Pitfalls", PARTS[1], ("04",)),
    Lesson("06_old_faithful", "Old Faithful", PARTS[1], ("05",)),
    Lesson("07_choosing_k", "Choosing k", PARTS[1], ("06",)),
    Lesson("08_emlib_and_scikit_learn", "scikit-learn", PARTS[1], ("07",)),
    Lesson("09_kmeans", "k-means", PARTS[2], ("05",)),
    Lesson("10_em_in_general", "EM in general", PARTS[2], ("04",)),
    Lesson("11_covariance_structures", "Covariance structures", PARTS[2], ("07", "08")),
    Lesson("12_priors_and_bayesian_mixtures", "Priors", PARTS[2], ("05", "08", "10")),
    Lesson("13_applications", "Applications", PARTS[2], ("08", "09")),
)



def lesson(number):
    """The Lesson numbered `number` ("04") among LESSONS."""
    for item in LESSONS:
        if item.number == number:
            return item
    raise KeyError(f"no lesson numbered {number!r}; the lessons are {', '.join(l.number for l in LESSONS)}")
