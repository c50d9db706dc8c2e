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
from scipy.linalg import LinAlgError, qr_insert
from scipy.linalg.lapack import dpotrf, dpotrs, dpstrf, dtrtrs
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


#: :class:`_FreeFactor`: a column whose squared distance from the span of the free columns (in the metric of Q)
#: is at most this fraction of its own :math:`Q_{jj}` is dependent on them
DEPENDENT_FRACTION = 1e-10
#: :class:`_FreeFactor`: more index changes than this at once are a new factorization, not updates
MOST_UPDATES = 4
#: :class:`_FreeFactor`: free sets smaller than this are factored anew at every solve (:func:`_solve_free`): there a
#: factorization costs microseconds (3.4 for 30 x 30) and the updates' bookkeeping more; Lawson–Hanson from zero on
#: 80 to 320 columns with supports of 5 to 7 took 0.22 -> 0.31 and 0.49 -> 0.72 ms through the factor
FACTOR_MIN = 64


class _FreeFactor:
    r"""The upper Cholesky factor :math:`R` (:math:`R^\top R=Q_{FF}`) of an ordered free set :math:`F`, kept up to date.

    The active-set method changes :math:`F` by one index or a few per step; factoring :math:`Q_{FF}` anew costs
    :math:`O(|F|^3)` each time, an update :math:`O(|F|^2)`. An index :math:`j` enters by one triangular solve,
    :math:`R^\top r=Q_{Fj}`, and the new diagonal entry :math:`\sqrt{Q_{jj}-\|r\|^2}` (the distance of column
    :math:`j` from the span of :math:`F` in the metric of :math:`Q`); the index at position :math:`p` leaves by a
    rank-one update of the trailing block, :math:`S^\top S=R_{22}^\top R_{22}+\rho\rho^\top` with :math:`\rho` row
    :math:`p` of :math:`R` beyond :math:`p` (the triangular factor of :math:`R_{22}` with :math:`\rho` inserted as a
    row: ``scipy.linalg.qr_insert``). The recombination of an adaptive fit of make_regression(2000, 20) with its raw
    targets (1490 columns, a support of 494 after 3210 steps) took 14 s with a factorization per step, 5.3 s with the
    updates.

    :meth:`solve_free` is :func:`_solve_free` through the factor once the free set has ``FACTOR_MIN`` indices. Where
    an entering column is dependent on the free ones (``DEPENDENT_FRACTION``) or the factor cannot be made, it calls
    :func:`_solve_free` itself (a least-squares solve, or the ray of a cheaper combination), and the next call factors
    :math:`Q_{FF}` anew.
    """

    def __init__(self, Q):
        self.Q = Q
        self.order = np.zeros(0, dtype=np.intp)
        self.R = np.zeros((0, 0))
        self.valid = True

    def _factor(self, index):
        """Factor :math:`Q_{FF}` for the free ``index`` anew; False where a column is dependent on earlier ones."""
        factor, info = dpotrf(self.Q[np.ix_(index, index)], lower=False, clean=True)
        diagonal = self.Q[index, index]
        if info != 0 or not np.all(np.square(np.diagonal(factor)) > DEPENDENT_FRACTION * diagonal):
            return False
        self.R, self.order = np.ascontiguousarray(factor), index  # (C order: R.T is Fortran order for dtrtrs)
        return True

    def _append(self, j):
        m = len(self.order)
        column = self.Q[self.order, j]
        r = dtrtrs(self.R.T, column, lower=1)[0] if m else column  # R^T r = Q_Fj (R.T: Fortran order, no copy)
        square = self.Q[j, j] - float(r @ r)
        if not square > DEPENDENT_FRACTION * self.Q[j, j]:
            return False
        R = np.zeros((m + 1, m + 1))
        R[:m, :m] = self.R
        R[:m, m] = r
        R[m, m] = np.sqrt(square)
        self.R, self.order = R, np.append(self.order, j)
        return True

    def _remove(self, p):
        m = len(self.order)
        R = np.zeros((m - 1, m - 1))
        R[:p, :p] = self.R[:p, :p]
        R[:p, p:] = self.R[:p, p + 1:]
        if p < m - 1:
            size = m - 1 - p
            R[p:, p:] = qr_insert(np.eye(size), self.R[p + 1:, p + 1:], self.R[p, p + 1:], 0, which="row",
                                  check_finite=False)[1][:size]
        self.R, self.order = R, np.delete(self.order, p)

    def _match(self, free):
        """Make the factor's set the indices where ``free``; False where that fails."""
        leaving = np.flatnonzero(~free[self.order])
        present = np.zeros(len(free), dtype=bool)
        present[self.order] = True
        entering = np.flatnonzero(free & ~present)
        if not self.valid or len(leaving) + len(entering) > MOST_UPDATES:
            self.valid = self._factor(np.flatnonzero(free))
            return self.valid
        for p in leaving[::-1]:
            self._remove(p)
        self.valid = all(self._append(j) for j in entering)
        return self.valid

    def solve_free(self, b, free, fresh=False):
        r""":func:`_solve_free` ``(Q, b, free)`` through the factor, or by :func:`_solve_free` itself when ``fresh``.

        Returns ``(x, ray, checked)``: ``checked`` is False when the solution came through the factor, whose
        residual :math:`\|Q_{FF}x_F-b_F\|` the caller checks (:func:`_solve_free` checks its own).
        """
        if not fresh and np.count_nonzero(free) >= FACTOR_MIN and self._match(free):
            lower = self.R.T
            z = dtrtrs(lower, dtrtrs(lower, b[self.order], lower=1)[0], lower=1, trans=1)[0]
            if np.all(np.isfinite(z)):
                x = np.zeros_like(b)
                x[self.order] = z
                return x, None, False
        self.valid = False
        return (*_solve_free(self.Q, b, free), True)


#: :func:`_lawson_hanson`: indices passed over (anti-cycling) may keep a gradient up to this (relative)
PASSED_OVER_TOL = 1e-9
#: :func:`_lawson_hanson` stops, unconverged, after this many pricings without lowering the objective by more than
#: ``STALL_RTOL`` (relative). At the rank (more columns than samples and a support as large as the rank: every
#: entering column dependent, each solve a least-squares one) the steps stop making progress above rounding: 400 ReLU
#: columns on 150 samples at beta = 1e-4 reached -207.10157083395 after 468 pricings and then wandered (-207.10157082730
#: after 1000) until the solve cap, 60 s
STALL_PRICINGS, STALL_RTOL = 100, 1e-14


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

    The solves go through a Cholesky factor of the free set updated step by step (:class:`_FreeFactor`). Its
    solutions are checked where :func:`_solve_free` checks its own, by the residual on the free set — the gradient
    there, which the next pricing computes anyway — and solved again without the factor where it exceeds
    :math:`10^{-9}\|b_F\|`; the returned point gets one step of iterative refinement.
    """
    c = np.maximum(start, 0.0)
    free = c > 0
    scale = max(1.0, float(np.abs(b).max(initial=0.0)))
    passed_over = np.zeros(len(b), dtype=bool)
    factor = _FreeFactor(Q)
    solves = 0
    iteration = 0
    settle = bool(free.any())  # a warm start: minimize over its support before pricing
    checked, fresh = True, False
    best_value, stalled = np.inf, 0
    while solves < max_iter:
        j = None
        if not settle:
            gradient = b - Q @ c
            # a solution through the factor: its residual on the support is the gradient there (as _solve_free checks)
            if not checked and not np.linalg.norm(gradient[free]) <= 1e-9 * max(1.0, float(np.linalg.norm(b[free]))):
                settle, fresh = True, True  # solve on the support again, without the factor
                continue
            value = -0.5 * float(c @ (b + gradient))  # (1/2) c^T Q c - b^T c
            stalled = 0 if value < best_value - STALL_RTOL * max(1.0, abs(value)) else stalled + 1
            best_value = min(best_value, value)
            gradient[free] = -np.inf
            best = float(np.max(gradient[passed_over], initial=-np.inf))
            gradient[passed_over] = -np.inf
            j = int(np.argmax(gradient)) if len(b) else 0
            if not len(b) or gradient[j] <= tol * scale:
                if not checked:  # one step of iterative refinement on the support (a fresh factor's accuracy)
                    refined = c + factor.solve_free(b - Q @ c, free)[0]
                    c = refined if np.all(refined[free] > 0) else c
                return c, iteration, best <= PASSED_OVER_TOL * scale
            if stalled > STALL_PRICINGS:
                return c, iteration, False
            iteration += 1
            free[j] = True
        settle = False
        while solves < max_iter:
            solves += 1
            z, ray, checked = factor.solve_free(b, free, fresh)
            fresh = False
            if j is not None and ray is None and z[j] <= 0:  # the entering index would leave at once
                free[j] = False
                passed_over[j] = True
                checked = True  # (c did not change)
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


def _independent(Q, free):
    r"""The indices of ``free`` kept by a pivoted Cholesky factorization of :math:`Q_{FF}` (LAPACK pstrf).

    Its pivots are the columns' squared distances from the span of those taken before, largest first; it stops where
    they fall below ``DEPENDENT_FRACTION`` times the largest diagonal entry, so the kept columns span the others.
    """
    index = np.flatnonzero(free)
    block = Q[np.ix_(index, index)]
    _, pivots, rank, _ = dpstrf(block, lower=0, tol=DEPENDENT_FRACTION * float(block.diagonal().max(initial=0.0)))
    kept = np.zeros_like(free)
    kept[index[pivots[:rank] - 1]] = True
    return kept


def nonnegative_quadratic(Q, b, *, start=None, tol=1e-14, max_iter=None):
    r"""Solve :math:`\min_{c\ge0}\tfrac12c^\top Qc-b^\top c` for a positive semidefinite ``Q``.

    Block principal pivoting: guess the free set :math:`F`, solve :math:`Q_{FF}c_F=b_F`, and exchange
    every index whose sign condition fails (:math:`c_j<0` on :math:`F`, :math:`(Qc-b)_j<0` off it),
    with the backup rule that guarantees termination; Lawson–Hanson if it does not settle.

    Dependent columns make ``Q`` singular, and the objective may then *decrease linearly* along a
    null direction (a cheaper combination of columns with the same fit): the active-set method then
    slides along it until a coefficient reaches zero, as the simplex method would. A singular guess of
    :math:`F` is first reduced, once, to a maximal independent part (:func:`_independent`): the first guess
    :math:`b>0` of a recombination of make_regression(2000, 20) held 1453 of 1490 columns, of rank 1297, and
    block principal pivoting then settled in 15 solves (1 s) where Lawson–Hanson from zero took 3210 steps (5.3
    s). A second singular guess goes to Lawson–Hanson: at the rank the exchanges cycle (a free set one beyond
    the rank, reduced, the dropped index flipped back). Where the exchanges do not settle, Lawson–Hanson starts
    from their last point clipped at zero (a recombination of 617 columns: 821 steps instead of 1572 from zero).

    Parameters
    ----------
    Q : ndarray of shape (k, k)
    b : ndarray of shape (k,)
    start : ndarray of shape (k,), optional
        A previous solution; its support is the first guess of :math:`F`.
    tol : float
        Relative tolerance of the optimality conditions.
    max_iter : int, optional
        Most linear solves (default ``5 k + 50``).

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
    reduced, c, ray = False, None, None
    for iteration in range(max_iter):
        c, ray = _solve_free(Q, b, free)
        if ray is not None and not reduced:  # a singular free block, once: a maximal independent part of it
            free, reduced = _independent(Q, free), True
            c, ray = _solve_free(Q, b, free)
        if ray is not None:
            break  # the monotone active-set method handles it
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
    if c is not None and ray is None and np.all(np.isfinite(c)):  # from the last exchange's point, clipped
        start = np.where(free, np.maximum(c, 0.0), 0.0)
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
