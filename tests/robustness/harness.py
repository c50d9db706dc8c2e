"""Run one generated case and classify what happened (see ``conftest.py`` for the outcomes)."""

import contextlib
import re
import signal
import threading
import warnings

from sklearn.exceptions import ConvergenceWarning, DataConversionWarning

from sklearn_convexnn.arrangements import EnumerationError
from sklearn_convexnn.convex.program import SolverError

#: exceptions that are never acceptable, even when they subclass ValueError (LinAlgError does)
OBSCURE = ("LinAlgError", "IndexError", "ZeroDivisionError", "KeyError", "AttributeError", "OverflowError",
           "FloatingPointError")


#: a case running longer than this (seconds) is a hang and fails the test
HANG_SECONDS = 30


class Hang(Exception):
    """Raised in a case that ran longer than :data:`HANG_SECONDS`."""


@contextlib.contextmanager
def hang_guard(seconds=HANG_SECONDS):
    """Raise :class:`Hang` in the block after ``seconds`` (POSIX main thread; a no-op elsewhere)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise Hang(f"the case ran longer than {seconds} s (a hang)")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def names_argument(error, names):
    """Whether the message of ``error`` names one of ``names`` as a word."""
    message = str(error)
    return any(re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", message) for name in names)


def classify(tally, function, call, *, names, check, allow_runtime_error=False, allowed_warnings=()):
    """Run ``call()``; record and return ``(outcome, result)``.

    Parameters
    ----------
    tally : Tally
    function : str
        Name under which the outcome is counted.
    call : callable
        The case.
    names : tuple of str
        Arguments a ValueError/TypeError may name.
    check : callable
        ``check(result, warned)`` asserts the mathematical properties of a result (the
        consistency ones when ``warned``).
    allow_runtime_error : bool
        Whether a RuntimeError with a message is a documented outcome (landscape algorithms).
    allowed_warnings : tuple of Warning classes
        Warnings expected by the test besides ConvergenceWarning and DataConversionWarning.

    Raises
    ------
    Hang
        If the case runs longer than :data:`HANG_SECONDS`.
    AssertionError
        On an obscure exception, a refusal that names none of ``names``, a stray warning (numpy
        RuntimeWarning, cvxpy UserWarning, ...) or a failed check.
    """
    with warnings.catch_warnings(record=True) as caught, hang_guard():
        warnings.simplefilter("always")
        try:
            result = call()
        except SolverError as error:
            assert str(error), "SolverError without a message"
            outcome, result = "solver-failed", None
        except (ValueError, TypeError) as error:
            if type(error).__name__ in OBSCURE:
                raise
            assert names_argument(error, names), f"{type(error).__name__} names none of {names}: {error}"
            outcome, result = "refused", None
        except EnumerationError as error:  # documented: exact enumeration refuses numerically degenerate data
            assert "sample_patterns" in str(error), f"EnumerationError without the way out: {error}"
            outcome, result = "refused", None
        except RuntimeError as error:
            if not allow_runtime_error or not str(error):
                raise
            outcome, result = "solver-failed", None
        else:
            outcome = None
    stray = [w for w in caught if not issubclass(w.category, (ConvergenceWarning, DataConversionWarning)
                                                  + tuple(allowed_warnings))
             and not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))]
    assert not stray, f"stray warnings: {[f'{w.category.__name__}: {w.message}' for w in stray]}"
    if outcome is None:
        warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
        check(result, warned)
        outcome = "warned" if warned else "correct"
    tally.record(function, outcome)
    return outcome, result
