r"""The exact reference solver: cvxpy with Clarabel (THEORY.md §C).

The program is compiled once per :class:`ConvexProgram` with :math:`\beta` as a
``cp.Parameter(nonneg=True)`` (DPP), so re-solving for another :math:`\beta` (a slider, a
regularization path) does not recompile. Constraints are vectorised:
``cp.multiply(S, X @ U) >= 0`` with :math:`S=2D-I`.
"""

from __future__ import annotations

import numpy as np

from ..program import SolverError, SolverResult

__all__ = ["solve_cvxpy", "build_cvxpy_problem"]

DEFAULT_SOLVER = "CLARABEL"


def build_cvxpy_problem(program):
    """Compile the cvxpy problem of ``program`` (cached on the program).

    Returns
    -------
    dict
        ``problem``, ``beta`` (the parameter), ``U`` and ``V`` (``V`` is None for gated).
    """
    import cvxpy as cp

    key = ("cvxpy", program.activation, program.loss)
    if key in program._cache:
        return program._cache[key]
    X, masks = program.X, program.masks.astype(float)
    n, d, P = program.shape
    beta = cp.Parameter(nonneg=True, name="beta")
    U = cp.Variable((d, P), name="U")
    constraints = []
    if not program.blocks[:, 0].all():
        constraints.append(U[:, ~program.blocks[:, 0]] == 0)
    if program.activation == "relu":
        V = cp.Variable((d, P), name="V")
        signs = 2.0 * masks - 1.0
        constraints += [cp.multiply(signs, X @ U) >= 0, cp.multiply(signs, X @ V) >= 0]
        if not program.blocks[:, 1].all():
            constraints.append(V[:, ~program.blocks[:, 1]] == 0)
        blocks = U - V
        penalty = cp.sum(cp.norm(U, 2, axis=0)) + cp.sum(cp.norm(V, 2, axis=0))
    else:
        V = None
        blocks = U
        penalty = cp.sum(cp.norm(U, 2, axis=0))
    from ...losses import get_loss

    prediction = cp.sum(cp.multiply(masks, X @ blocks), axis=1)
    objective = get_loss(program.loss).cvxpy_expression(prediction, program.y) + beta * penalty
    problem = cp.Problem(cp.Minimize(objective), constraints)
    compiled = {"problem": problem, "beta": beta, "U": U, "V": V}
    program._cache[key] = compiled
    return compiled


def solve_cvxpy(program, *, tol=1e-8, max_iter=None, warm_start=None, verbose=False, solver=DEFAULT_SOLVER, **options):
    """Solve ``program`` with cvxpy (Clarabel unless ``solver`` names another cvxpy solver).

    ``tol`` sets Clarabel's gap and feasibility tolerances; ``max_iter`` its iteration cap.

    Raises
    ------
    SolverError
        On a solver failure, infeasibility or unboundedness.
    """
    import cvxpy as cp

    compiled = build_cvxpy_problem(program)
    compiled["beta"].value = program.beta
    problem = compiled["problem"]
    if solver == "CLARABEL":
        options.setdefault("tol_gap_abs", tol)
        options.setdefault("tol_gap_rel", tol)
        options.setdefault("tol_feas", tol)
        if max_iter is not None:
            options.setdefault("max_iter", int(max_iter))
    elif max_iter is not None:
        options.setdefault("max_iters", int(max_iter))
    if solver == "CLARABEL" and program.loss == "logistic":
        # Clarabel's default full steps stall on the exponential cones of the logistic loss
        # (measured: failure or 85 s vs 1.1 s with shorter steps on the same problem).
        options.setdefault("max_step_fraction", 0.9)
    try:
        problem.solve(solver=solver, verbose=verbose, **options)
    except cp.error.SolverError as error:
        if solver != "CLARABEL" or options.get("max_step_fraction", 0.99) <= 0.8:
            raise SolverError(f"cvxpy solver {solver} failed: {error}") from error
        options["max_step_fraction"] = 0.8  # one retry with shorter interior-point steps
        return solve_cvxpy(program, tol=tol, max_iter=max_iter, warm_start=warm_start, verbose=verbose,
                           solver=solver, **options)
    status = problem.status
    if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE, cp.USER_LIMIT) or compiled["U"].value is None:
        raise SolverError(f"cvxpy solver {solver} ended with status {status!r}; no solution.")
    if status == cp.OPTIMAL:
        mapped = "optimal"
    elif status == cp.USER_LIMIT:
        mapped = "max_iter"
    else:
        mapped = "inaccurate"
    u = np.asarray(compiled["U"].value, dtype=float).T.copy()
    v = np.zeros_like(u) if compiled["V"] is None else np.asarray(compiled["V"].value, dtype=float).T.copy()
    u[~program.blocks[:, 0]] = 0.0  # exact zeros where the program has no block
    v[~program.blocks[:, 1]] = 0.0
    stats = problem.solver_stats
    n_iter = int(stats.num_iters) if stats is not None and stats.num_iters is not None else 0
    return SolverResult(u=u, v=v, status=mapped, n_iter=n_iter)
