"""Solver backends of the convex program, behind one interface.

A backend is a function ``backend(program, *, tol, max_iter, warm_start, verbose, **options)``
returning a :class:`~sklearn_convexnn.convex.program.SolverResult`. It reads ``program.X``,
``program.y``, ``program.beta``, ``program.masks``, ``program.activation`` and ``program.loss``,
and may keep compiled state in ``program._cache``.
"""

from __future__ import annotations

from .cvxpy_backend import solve_cvxpy

SOLVERS = {"cvxpy": solve_cvxpy}


def resolve_solver(solver, program):
    """Return ``(name, backend)`` for a solver name; ``"auto"`` picks by problem size.

    Raises
    ------
    ValueError
        If ``solver`` names no backend.
    """
    if solver == "auto":
        solver = "cvxpy"
    if not isinstance(solver, str) or solver not in SOLVERS:
        raise ValueError(f"solver must be 'auto' or one of {sorted(SOLVERS)}, got {solver!r}.")
    return solver, SOLVERS[solver]
