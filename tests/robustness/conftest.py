"""The tally of the robustness suite: every generated case, what became of it, a summary line.

Each case ends in one of

* ``correct``: a result whose mathematical properties were checked;
* ``refused``: a ValueError/TypeError naming the offending argument;
* ``warned``: a result with a ConvergenceWarning (solver trouble reported, consistency checked);
* ``solver-failed``: a SolverError (or a documented RuntimeError of a landscape algorithm) with a
  clear message.

Anything else (an obscure exception, a numpy RuntimeWarning, a cvxpy warning) fails the test.
Injected solver faults are counted separately. The counts are printed at the end of the session.
"""

from collections import Counter

import pytest

OUTCOMES = ("correct", "refused", "warned", "solver-failed")


class Tally:
    """Session-wide counts of outcomes per tested function, and of injected faults."""

    def __init__(self):
        self.outcomes = Counter()
        self.by_function = {}
        self.faults = Counter()

    def record(self, function, outcome):
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        self.outcomes[outcome] += 1
        self.by_function.setdefault(function, Counter())[outcome] += 1

    def fault(self, kind):
        self.faults[kind] += 1

    @property
    def total(self):
        return sum(self.outcomes.values())

    def lines(self):
        parts = ", ".join(f"{self.outcomes[name]} {name}" for name in OUTCOMES)
        yield f"robustness: {self.total} generated cases ({parts}); {sum(self.faults.values())} solver faults injected"
        for function in sorted(self.by_function):
            counts = self.by_function[function]
            yield f"  {function:28s} " + "  ".join(f"{name}={counts[name]}" for name in OUTCOMES if counts[name])
        if self.faults:
            yield "  faults: " + ", ".join(f"{kind}={count}" for kind, count in sorted(self.faults.items()))


TALLY = Tally()


@pytest.fixture(scope="session")
def tally():
    """The session's :class:`Tally`."""
    return TALLY


def pytest_terminal_summary(terminalreporter):
    if TALLY.total or TALLY.faults:
        terminalreporter.write_sep("-", "robustness tally")
        for line in TALLY.lines():
            terminalreporter.write_line(line)
