"""Solver backends of the convex program, behind one interface.

A backend is a function ``backend(program, *, tol, max_iter, warm_start, verbose, **options)``
returning a :class:`~sklearn_convexnn.convex.program.SolverResult`. It reads ``program.X``,
``program.y``, ``program.beta``, ``program.masks``, ``program.activation`` and ``program.loss``,
and may keep compiled state in ``program._cache``.

Backends
--------
``"cvxpy"``
    cvxpy with Clarabel: the exact reference (interior point; spreads mass over many tiny blocks).
``"cg"``
    Native column generation with an exact polish on the support, for both programs and both losses
    (:mod:`.column_generation`): sparse, exactly cone-feasible, certified to ``tol``.
``"fista"``
    Native R-FISTA for the gated program only (:mod:`.fista`): cheap iterations, for moderate
    accuracy.
``"auto"``
    ``"cg"`` for the ReLU program on an exhaustive arrangement; otherwise ``"cvxpy"`` for small squared-loss
    problems (``n * P`` below 10 000 for ReLU, ``n * P * d`` below 50 000 for gated) — its interior point is
    exact there, and "cg" converges slowly when the support has more free dimensions than there are samples
    (weak regularization) — else ``"cg"``. Measured: diabetes (n * P = 44 200) ReLU cg 0.36 s vs Clarabel
    16.7 s; gated (with the polish on subspaces), (200, 5, 50) (n * P * d = 6e4) cg 0.06 s vs Clarabel
    0.09 s, diabetes (4.9e5) 0.47 s vs 0.43 s, breast cancer (1.8e6) 0.42 s vs 3.3 s, (1000, 10, 200)
    (2.2e6) 0.98 s vs 2.7 s; with beta / 100 on diabetes 2.2 s vs 0.47 s (``bench/results.md``). Up to
    ``n * P * d`` = 2 000 000, "cg" takes the interior-point solution as its columns when its gap is still
    above 1e-3 after 8 rounds and fell by less than a quarter since round 4 (that diabetes case: 0.61 s).
"""

from __future__ import annotations

from functools import partial

from .column_generation import solve_column_generation
from .cvxpy_backend import solve_cvxpy
from .fista import solve_fista

SOLVERS = {"cvxpy": solve_cvxpy, "cg": solve_column_generation, "fista": solve_fista}

#: ``"auto"`` uses cvxpy for the ReLU program when ``n * P`` is below this (measured crossover)
AUTO_CVXPY_RELU = 10_000
#: ... and for the gated program when ``n * P * d`` is below this
AUTO_CVXPY_GATED = 50_000
#: ``"auto"`` lets column generation restart from an interior-point solution when it converges slowly
#: (weak regularization, more active block dimensions than samples) up to this ``n * P * d``
AUTO_FALLBACK_SIZE = 2_000_000


def auto_solver(program):
    """The backend ``"auto"`` picks for ``program`` (see the module docstring)."""
    n, d, P = program.shape
    if program.arrangement.exhaustive and program.activation == "relu":
        return "cg"  # every pattern: the exact, sparse, certified answer the landscape tools build on
    if program.loss == "squared":
        if program.activation == "relu" and n * P < AUTO_CVXPY_RELU:
            return "cvxpy"
        if program.activation == "gated" and n * P * d < AUTO_CVXPY_GATED:
            return "cvxpy"
    return "cg"


def resolve_solver(solver, program):
    """Return ``(name, backend)`` for a solver name; ``"auto"`` picks by problem size (:func:`auto_solver`).

    Raises
    ------
    ValueError
        If ``solver`` names no backend.
    """
    if solver == "auto":
        solver = auto_solver(program)
        if solver == "cg":
            return solver, partial(solve_column_generation, fallback_size=AUTO_FALLBACK_SIZE)
    if not isinstance(solver, str) or solver not in SOLVERS:
        raise ValueError(f"solver must be 'auto' or one of {sorted(SOLVERS)}, got {solver!r}.")
    return solver, SOLVERS[solver]
