r"""Peak memory of a solver for growing :math:`n` and growing :math:`P`, with the fitted log-log slope.

The peak is read with :mod:`tracemalloc`, which sees every numpy (and Python) allocation made
during the solve; the data and the patterns are created before tracing starts, so the peak is the
solver's working memory. Allocations inside compiled solvers that bypass Python's allocator (the
Rust of Clarabel) are not seen: this measures the native numpy solvers. A slope near 1 in
:math:`\log(\text{peak})` against :math:`\log n` (or :math:`\log P`) means memory linear in it.
"""

from __future__ import annotations

import gc
import tracemalloc
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_convexnn.convex.program import ConvexProgram

from problems import make_synthetic

__all__ = ["MemoryScan", "peak_solve_memory", "memory_scan", "SMALL_GRID", "FULL_GRID"]

#: (varying, fixed sizes) for ``--sizes small``: n at (d, P) = (10, 100), then P at (n, d) = (1000, 10)
SMALL_GRID = {"n": ((500, 1000, 2000, 4000), 10, 100), "P": ((50, 100, 200, 400), 1000, 10)}
#: for ``--sizes all``: n at (d, P) = (20, 200), then P at (n, d) = (5000, 20)
FULL_GRID = {"n": ((2500, 5000, 10000, 20000), 20, 200), "P": ((125, 250, 500, 1000), 5000, 20)}


@dataclass(frozen=True)
class MemoryScan:
    """Peak working memory of one solver along one size parameter.

    Attributes
    ----------
    solver : str
    parameter : {"n", "P"}
    values : tuple of int
    peak_bytes : tuple of int
    slope : float
        Least-squares slope of :math:`\\log` peak against :math:`\\log` value.
    fixed : str
        The sizes held fixed, e.g. ``"d=20, P=200"``.
    """

    solver: str
    parameter: str
    values: tuple
    peak_bytes: tuple
    slope: float
    fixed: str


def peak_solve_memory(problem, solver, activation="relu", tol=1e-8):
    """Peak bytes allocated while ``ConvexProgram(...).solve(solver)`` runs on ``problem``."""
    X_aug = problem.X_aug
    gc.collect()
    tracemalloc.start()
    try:
        program = ConvexProgram(X_aug, problem.y, problem.beta, problem.arrangement, activation=activation)
        with warnings.catch_warnings():  # accuracy is reported by run.py's tables, not here
            warnings.simplefilter("ignore", ConvergenceWarning)
            program.solve(solver, tol=tol)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return int(peak)


def memory_scan(solver, grid, activation="relu"):
    """Peak memory of ``solver`` for the ``n`` and ``P`` series of ``grid``.

    Returns
    -------
    list of MemoryScan
        One for growing n, one for growing P.
    """
    scans = []
    n_values, d, P = grid["n"]
    peaks = [peak_solve_memory(make_synthetic(n, d, P), solver, activation) for n in n_values]
    label = solver if activation == "relu" else f"{solver} ({activation})"
    scans.append(MemoryScan(label, "n", tuple(n_values), tuple(peaks), _slope(n_values, peaks), f"d={d}, P={P}"))
    gates, n, d = grid["P"]
    problems = [make_synthetic(n, d, P) for P in gates]
    P_values = [problem.arrangement.n_patterns for problem in problems]  # distinct patterns
    peaks = [peak_solve_memory(problem, solver, activation) for problem in problems]
    scans.append(MemoryScan(label, "P", tuple(P_values), tuple(peaks), _slope(P_values, peaks), f"n={n}, d={d}"))
    return scans


def _slope(values, peaks):
    return float(np.polyfit(np.log(values), np.log(peaks), 1)[0])
