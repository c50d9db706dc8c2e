r"""The non-negative lasso over fixed columns: the master problem of column generation (THEORY.md §D).

With columns :math:`a_j=s_j(X\bar u_j)_+` of fixed unit directions :math:`\bar u_j` (each inside its
cone, so no cone constraint remains) the ReLU program restricted to these directions is

.. math:: \min_{c\ge0}\;L(Ac)+\beta\,\mathbf 1^\top c .

It is solved by a proximal Newton method whose subproblems are non-negative quadratic programs
:math:`\min_{c\ge0}\tfrac12c^\top Qc-b^\top c`, solved exactly by block principal pivoting (Kim &
Park's NNLS method, written for a Gram matrix) with a Lawson–Hanson fallback. For the squared loss the
first subproblem *is* the problem (:math:`Q=A^\top A`, :math:`b=A^\top y-\beta\mathbf 1`), so one
step is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import LinAlgError
from scipy.linalg.lapack import dpotrf, dpotrs
from scipy.special import expit

from ...losses import get_loss

__all__ = ["NonnegativeLassoResult", "solve_nonnegative_lasso", "nonnegative_quadratic", "loss_curvature",
           "cholesky_solve"]


def loss_curvature(loss, prediction, y):
    r"""Diagonal of :math:`\nabla^2L(\hat y)`: 1 for the squared loss, :math:`\sigma(m)\sigma(-m)`, :math:`m=y\hat y`, for the logistic."""
    if get_loss(loss).name == "squared":
        return np.ones_like(prediction)
    margin = y * prediction
    return expit(margin) * expit(-margin)


def cholesky_solve(matrix, rhs):
    r"""Solve :math:`Mx=b` for a symmetric positive definite float64 ``matrix`` by Cholesky (LAPACK potrf, potrs).

    What ``cho_solve(cho_factor(matrix, check_finite=False), rhs, check_finite=False)`` computes, without its
    wrappers (12 against 3.4 microseconds for 30 x 30; the master and the polish factor about 70 times in a cg solve
    of synthetic (200, 5, 50)). Raises ``LinAlgError`` where the matrix is not numerically positive definite.
    """
    factor, info = dpotrf(matrix, lower=False, clean=False)
    if info > 0:
        raise LinAlgError(f"{info}-th leading minor not positive definite")
    if info < 0:
        raise ValueError(f"illegal value in argument {-info} of potrf")
    solution, info = dpotrs(factor, rhs, lower=False)
    if info != 0:
        raise ValueError(f"illegal value in argument {-info} of potrs")
    return solution


def _solve_free(Q, b, free):
    r"""Minimize :math:`\tfrac12x^\top Qx-b^\top x` over :math:`x_F` (zero elsewhere).

    Returns ``(x, ray)``: the minimizer and None, or, when :math:`Q_{FF}` is singular with
    :math:`b_F` outside its range (dependent columns with a cheaper combination), a direction
    ``ray`` in its null space along which the objective decreases linearly (:math:`b^\top r>0`).
    """
    x = np.zeros_like(b)
    index = np.flatnonzero(free)
    if not len(index):
        return x, None
    block = Q[np.ix_(index, index)]
    rhs = b[index]
    scale = max(1.0, float(np.linalg.norm(rhs)))
    try:
        solution = cholesky_solve(block, rhs)
        # nearly dependent columns make the factorisation succeed with a useless answer
        if not (np.all(np.isfinite(solution)) and np.linalg.norm(block @ solution - rhs) <= 1e-9 * scale):
            raise LinAlgError("ill-conditioned")
    except (LinAlgError, ValueError):
        solution = np.linalg.lstsq(block, rhs, rcond=None)[0]
        residual = rhs - block @ solution  # in the null space of the symmetric block; b^T r = |r|^2
        if np.linalg.norm(residual) > 1e-9 * scale:
            ray = np.zeros_like(b)
            ray[index] = residual
            return x, ray
    x[index] = solution
    return x, None


#: :func:`_lawson_hanson`: indices passed over (anti-cycling) may keep a gradient up to this (relative)
PASSED_OVER_TOL = 1e-9


def _lawson_hanson(Q, b, start, tol, max_iter):
    r"""Active-set method for :math:`\min_{c\ge0}\tfrac12c^\top Qc-b^\top c` from a feasible ``start``.

    ``max_iter`` bounds the number of linear solves (each inner step is one). The method's invariant
    is that :math:`c` minimizes over its own support, so a warm start is first brought there by the
    inner steps (which never raise the objective); only then are indices off the support priced.

    Anti-cycling: with (nearly) dependent columns the entering index :math:`j` can come back from
    the solve on the new support with :math:`z_j\le0`; the step would then be zero and remove
    :math:`j` again, forever. Such an index is passed over (the next best one is priced) until a
    step changes :math:`c`. The result counts as converged when every index passed over has a
    gradient below ``PASSED_OVER_TOL`` (relative): a tie of dependent columns, not a descent.
    """
    c = np.maximum(start, 0.0)
    free = c > 0
    scale = max(1.0, float(np.abs(b).max(initial=0.0)))
    passed_over = np.zeros(len(b), dtype=bool)
    solves = 0
    iteration = 0
    settle = bool(free.any())  # a warm start: minimize over its support before pricing
    while solves < max_iter:
        j = None
        if not settle:
            gradient = b - Q @ c
            gradient[free] = -np.inf
            best = float(np.max(gradient[passed_over], initial=-np.inf))
            gradient[passed_over] = -np.inf
            j = int(np.argmax(gradient)) if len(b) else 0
            if not len(b) or gradient[j] <= tol * scale:
                return c, iteration, best <= PASSED_OVER_TOL * scale
            iteration += 1
            free[j] = True
        settle = False
        while solves < max_iter:
            solves += 1
            z, ray = _solve_free(Q, b, free)
            if j is not None and ray is None and z[j] <= 0:  # the entering index would leave at once
                free[j] = False
                passed_over[j] = True
                break
            j = None
            passed_over[:] = False
            if ray is not None:  # slide along the cheaper combination until a coefficient reaches zero
                shrinking = free & (ray < 0)
                if not shrinking.any():
                    return c, iteration, False
                t = np.min(c[shrinking] / -ray[shrinking])
                c = np.maximum(c + t * ray, 0.0)
                c[shrinking & (c <= t * 1e-15 * np.abs(ray))] = 0.0
                free &= c > 0
                continue
            negative = free & (z <= 0)
            if not negative.any():
                c = z
                break
            alpha = np.min(c[negative] / (c[negative] - z[negative]))
            c = c + alpha * (z - c)
            free &= c > 1e-300
            c[~free] = 0.0
    return c, iteration, False


def nonnegative_quadratic(Q, b, *, start=None, tol=1e-14, max_iter=None):
    r"""Solve :math:`\min_{c\ge0}\tfrac12c^\top Qc-b^\top c` for a positive semidefinite ``Q``.

    Block principal pivoting: guess the free set :math:`F`, solve :math:`Q_{FF}c_F=b_F`, and exchange
    every index whose sign condition fails (:math:`c_j<0` on :math:`F`, :math:`(Qc-b)_j<0` off it),
    with the backup rule that guarantees termination; Lawson–Hanson if it does not settle.

    Dependent columns make ``Q`` singular, and the objective may then *decrease linearly* along a
    null direction (a cheaper combination of columns with the same fit): the active-set method then
    slides along it until a coefficient reaches zero, as the simplex method would.

    Parameters
    ----------
    Q : ndarray of shape (k, k)
    b : ndarray of shape (k,)
    start : ndarray of shape (k,), optional
        A previous solution; its support is the first guess of :math:`F`.
    tol : float
        Relative tolerance of the optimality conditions.
    max_iter : int, optional

    Returns
    -------
    c : ndarray of shape (k,)
    n_iter : int
    converged : bool
    """
    k = len(b)
    max_iter = 5 * k + 50 if max_iter is None else max_iter
    if k == 0:
        return np.zeros(0), 0, True
    free = (start > 0) if start is not None else (b > 0)
    scale = max(1.0, float(np.abs(b).max()))
    fewest, backup = k + 1, 3
    iteration = 0
    for iteration in range(max_iter):
        c, ray = _solve_free(Q, b, free)
        if ray is not None:
            break  # singular free block: the monotone active-set method handles it
        gradient = Q @ c - b
        c_scale = max(1.0, float(np.abs(c).max()))
        wrong = (free & (c < -1e-13 * c_scale)) | (~free & (gradient < -tol * scale))
        count = int(wrong.sum())
        if count == 0:
            return np.maximum(c, 0.0), iteration + 1, True
        if count < fewest:
            fewest, backup = count, 3
            free ^= wrong
        elif backup > 0:
            backup -= 1
            free ^= wrong
        else:
            j = int(np.flatnonzero(wrong).max())
            free[j] = ~free[j]
        if iteration > 3 * np.sqrt(k) + 30:
            break
    start = np.zeros(k) if start is None else start
    c, more, converged = _lawson_hanson(Q, b, start, tol, max_iter)
    return c, iteration + 1 + more, converged


@dataclass(frozen=True)
class NonnegativeLassoResult:
    r"""Solution of :math:`\min_{c\ge0}L(Ac)+\beta\mathbf 1^\top c`.

    Attributes
    ----------
    coefficients : ndarray of shape (k,)
    prediction : ndarray of shape (n,)
        :math:`Ac`.
    objective : float
    n_iter : int
        Proximal Newton steps.
    converged : bool
    """

    coefficients: np.ndarray
    prediction: np.ndarray
    objective: float
    n_iter: int
    converged: bool


def solve_nonnegative_lasso(A, y, beta, loss="squared", *, start=None, gram=None, tol=1e-12, max_iter=100):
    r"""Minimize :math:`L(Ac)+\beta\mathbf 1^\top c` over :math:`c\ge0` (the column-generation master).

    Proximal Newton: at :math:`\hat y=Ac` with :math:`\nu=-\nabla L(\hat y)` and
    :math:`H=\nabla^2L(\hat y)` (diagonal) the model
    :math:`\tfrac12c^\top A^\top HAc-(A^\top(\nu+H\hat y)-\beta\mathbf 1)^\top c` is minimized over
    :math:`c\ge0` by :func:`nonnegative_quadratic`, followed by a backtracking line search. It stops
    when :math:`\langle\nu,a_j\rangle\le\beta(1+\text{tol})` for every column and
    :math:`|\langle\nu,a_j\rangle-\beta|\le\beta\,\text{tol}` on the support.

    Parameters
    ----------
    A : ndarray of shape (n, k)
    y : ndarray of shape (n,)
    beta : float
    loss : {"squared", "logistic"}
    start : ndarray of shape (k,), optional
        Warm start (non-negative). Ignored when it has more positive coefficients than ``A`` has rows:
        such a point (an interior point's dense blocks) is no vertex, and the active-set method would
        solve on its whole support at every step (2246 columns on 12 rows: minutes; from zero, seconds).
    gram : ndarray of shape (k, k), optional
        :math:`A^\top A` if already known (squared loss).
    tol : float
    max_iter : int

    Returns
    -------
    NonnegativeLassoResult
    """
    loss = get_loss(loss)
    n, k = A.shape
    c = np.zeros(k) if start is None else np.maximum(np.asarray(start, dtype=float), 0.0)
    if np.count_nonzero(c) > n:
        c = np.zeros(k)
    prediction = A @ c
    objective = loss.value(prediction, y) + beta * float(c.sum())
    if k == 0:
        return NonnegativeLassoResult(c, prediction, objective, 0, True)
    if loss.name == "squared":
        Q = A.T @ A if gram is None else gram
        c, n_iter, converged = nonnegative_quadratic(Q, A.T @ y - beta, start=c, tol=1e-14)
        prediction = A @ c
        return NonnegativeLassoResult(c, prediction, loss.value(prediction, y) + beta * float(c.sum()), 1, converged)
    for iteration in range(1, max_iter + 1):
        nu = loss.negative_gradient(prediction, y)
        correlation = A.T @ nu
        worst = max(float((correlation - beta).max()), float(np.abs(correlation[c > 0] - beta).max(initial=0.0)))
        if worst <= tol * beta:
            return NonnegativeLassoResult(c, prediction, objective, iteration - 1, True)
        weighted = A * loss_curvature(loss, prediction, y)[:, None]
        Q, b = A.T @ weighted, correlation + weighted.T @ prediction - beta
        target, _, solved = nonnegative_quadratic(Q, b, start=c, tol=1e-14)
        slope = -float(correlation @ (target - c)) + beta * float((target - c).sum())
        if not solved or slope >= 0:  # fall back on the monotone active-set method from the current point
            target, _, _ = _lawson_hanson(Q, b, c, tol, 5 * k + 50)
            slope = -float(correlation @ (target - c)) + beta * float((target - c).sum())
        step = target - c
        direction = A @ step
        t = 1.0
        while True:
            trial_prediction = prediction + t * direction
            trial = loss.value(trial_prediction, y) + beta * float((c + t * step).sum())
            if trial <= objective + 1e-4 * t * slope or t < 1e-12:
                break
            t *= 0.5
        if trial > objective or slope >= 0:
            return NonnegativeLassoResult(c, prediction, objective, iteration, worst <= 1e-6 * beta)
        c = np.maximum(c + t * step, 0.0)
        prediction, objective = trial_prediction, trial
    return NonnegativeLassoResult(c, prediction, objective, max_iter, False)
