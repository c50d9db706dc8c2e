r"""Accelerated proximal gradient with restarts (R-FISTA) for the gated program (THEORY.md §C).

.. math:: (\mathrm{CG})\quad\min_{u_i}\;L\Big(\sum_iD_iXu_i\Big)+\beta\sum_i\|u_i\| .

One iteration costs two matrix products with the data — the prediction
:math:`\hat y=\sum_iD_iXu_i` (``rowsum(M * (X @ U.T))``) and the gradient
:math:`-X^\top D_i\nu` for all :math:`i` (``X.T @ (M * nu)``) — followed by the group soft-threshold
:math:`\operatorname{prox}_{t\beta\|\cdot\|}(u)=\max(0,1-t\beta/\|u\|)\,u`, which makes inactive blocks
exactly zero. The step is :math:`1/\ell` with :math:`\ell` the Lipschitz constant of the smooth part
(power iteration, increased by backtracking if needed); the momentum restarts whenever the objective
increases (O'Donoghue & Candès). Every few iterations the certificate of THEORY §F is evaluated at the
current point — :math:`V=\max_i\|X^\top D_i\nu\|` and the bound :math:`-L^*(-\nu/\max(1,V/\beta))` —
and the method stops when the gap is at most ``tol * max(|F|, min(1, L(0)))`` (``ConvexProgram.gap_tolerance``).
"""

from __future__ import annotations

import numpy as np

from ...losses import get_loss
from ..dual import dual_lower_bound
from ..program import SolverResult
from .column_generation import _check_warm_start

__all__ = ["solve_fista"]


def _lipschitz(X, masks, n_iter=30, seed=0):
    r"""Largest eigenvalue of :math:`\Phi^\top\Phi`, :math:`\Phi=[D_1X,\dots,D_PX]`, by power iteration (x 1.05)."""
    rng = np.random.default_rng(seed)
    V = rng.standard_normal((masks.shape[1], X.shape[1]))
    value = 1.0
    for _ in range(n_iter):
        V /= np.linalg.norm(V)
        image = ((X @ V.T) * masks).sum(axis=1)
        V = (masks * image[:, None]).T @ X
        value = float(np.linalg.norm(V))
    return 1.05 * value


def solve_fista(program, *, tol=1e-8, max_iter=None, warm_start=None, verbose=False, check_every=10):
    r"""Solve the gated program by R-FISTA (this module's docstring).

    Parameters
    ----------
    program : ConvexProgram
        With ``activation="gated"``.
    tol : float
        Target relative duality gap.
    max_iter : int or None
        Cap on iterations (default 20000).
    warm_start : ConvexSolution, pair of arrays or None
        A solution on the same patterns, or its blocks ``(u, v)``.
    verbose : bool
        Show a progress bar with the gap.
    check_every : int
        Iterations between two evaluations of the certificate.

    Returns
    -------
    SolverResult

    Raises
    ------
    ValueError
        If the program is not gated (the ReLU program has cone constraints; use ``"cg"``).
    """
    if program.activation != "gated":
        raise ValueError("solver 'fista' solves the gated program only; use solver='cg' for activation='relu'.")
    warm_start = _check_warm_start(program, warm_start)
    max_iter = 20000 if max_iter is None else int(max_iter)
    X, y, beta, masks = program.X, program.y, program.beta, program.masks.astype(float)
    loss = get_loss(program.loss)
    allowed = program.blocks[:, 0]
    P, d = program.n_patterns, X.shape[1]
    curvature = 1.0 if loss.name == "squared" else 0.25
    lipschitz = curvature * _lipschitz(X, masks)

    def smooth(U):
        active = np.flatnonzero(np.any(U != 0.0, axis=1))  # zero blocks contribute nothing
        product = X @ U[active].T
        product *= masks[:, active]
        prediction = product.sum(axis=1)
        return loss.value(prediction, y), prediction

    def gradient(prediction):
        nu = loss.negative_gradient(prediction, y)
        G = -((masks * nu[:, None]).T @ X)  # rows -X^T D_i nu
        G[~allowed] = 0.0
        return G, nu

    def prox(V, step):
        norms = np.linalg.norm(V, axis=1)
        scale = np.maximum(0.0, 1.0 - step * beta / np.where(norms > 0, norms, 1.0))
        return V * scale[:, None]

    def penalty(U):
        return beta * float(np.linalg.norm(U, axis=1).sum())

    U = np.zeros((P, d)) if warm_start is None else warm_start[0] * allowed[:, None]
    value, prediction = smooth(U)
    objective = value + penalty(U)
    momentum_point, momentum_value, momentum_prediction = U, value, prediction
    t = 1.0
    progress = None
    if verbose:
        from tqdm.auto import tqdm

        progress = tqdm(total=max_iter, desc="R-FISTA (gated)", leave=False)
    status = "max_iter"
    iteration = 0
    try:
        for iteration in range(1, max_iter + 1):
            G, _ = gradient(momentum_prediction)
            while True:  # backtracking on the Lipschitz constant (rarely needed after the power iteration)
                candidate = prox(momentum_point - G / lipschitz, 1.0 / lipschitz)
                step = candidate - momentum_point
                candidate_value, candidate_prediction = smooth(candidate)
                bound = momentum_value + float(np.sum(G * step)) + 0.5 * lipschitz * float(np.sum(step * step))
                if candidate_value <= bound + 1e-12 * max(1.0, abs(bound)):
                    break
                lipschitz *= 2.0
            candidate_objective = candidate_value + penalty(candidate)
            if candidate_objective > objective:  # restart the momentum from the last accepted point
                t = 1.0
                momentum_point, momentum_value, momentum_prediction = U, value, prediction
            else:
                t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
                extrapolation = (t - 1.0) / t_next
                momentum_point = candidate + extrapolation * (candidate - U)
                # the prediction is linear in the blocks: no extra product for the momentum point
                momentum_prediction = candidate_prediction + extrapolation * (candidate_prediction - prediction)
                momentum_value = loss.value(momentum_prediction, y)
                U, value, prediction, objective, t = candidate, candidate_value, candidate_prediction, candidate_objective, t_next
            if iteration % check_every == 0:
                G, nu = gradient(prediction)  # zero on the blocks the program does not have
                violation = float(np.linalg.norm(G, axis=1).max(initial=0.0))
                gap = objective - dual_lower_bound(nu, y, beta, violation, loss.name)
                if progress is not None:
                    progress.update(check_every)
                    progress.set_postfix(objective=f"{objective:.6g}", gap=f"{gap / max(1.0, abs(objective)):.1e}")
                if gap <= program.gap_tolerance(tol, objective):
                    status = "optimal"
                    break
    finally:
        if progress is not None:
            progress.close()
    return SolverResult(u=U, v=np.zeros_like(U), status=status, n_iter=iteration)
