r"""Column generation over fixed directions, with an exact polish on the support (THEORY.md §C–D).

The ReLU program (C) is a non-negative lasso over *all* columns :math:`s\,(X\bar u)_+` whose unit
direction :math:`\bar u` lies in the cone :math:`\mathcal K_i` of some pattern. Column generation keeps a
small set of them:

1. **Master**: :math:`\min_{c\ge0}L(Ac)+\beta\mathbf 1^\top c` over the current columns
   (:func:`~.nonnegative_lasso.solve_nonnegative_lasso`, exact); its dual is
   :math:`\nu=-\nabla L(Ac)`.
2. **Pricing**: for every pattern and sign, :math:`\|\Pi_{\mathcal K_i}(s\,g_i(\nu))\|` with
   :math:`g_i=X^\top D_i\nu` (:func:`~sklearn_convexnn.convex.dual.project_onto_cones`, batched and
   warm-started; patterns with :math:`\|g_i\|\le\beta` are dismissed by the bound
   :math:`\|\Pi_{\mathcal K}(g)\|\le\|g\|`, and a projection stops once its upper bound falls below
   :math:`\beta`). Every violator (value :math:`>\beta`) brings the column of its normalised
   projection — the unique best direction of that cone (cone lemma). The first round of a cold start
   projects nothing: the points :math:`s\,g_i` themselves, pushed inside their cones, are the first
   columns (:meth:`_ColumnGeneration.price_by_bounds`).
3. **Certificate**: with :math:`V` the largest value, :math:`-L^*(-\nu/\max(1,V/\beta))` is a lower
   bound on the program's optimum (THEORY §F); the method stops when the gap to the current objective
   is at most ``tol * max(|F|, min(1, L(0)))`` (``ConvexProgram.gap_tolerance``, :math:`L(0)` the zero network's
   objective). This is the optimality certificate itself.
4. **Polish**: fixed directions converge slowly at the end (the optimal direction of a block moves
   with :math:`\nu`). Once the violations are small, the blocks of the support are re-optimised with
   free directions on faces of their cones by a primal active-set method
   (:func:`~.support_newton.solve_on_support`, Newton's method, between walls), which lands on the exact
   optimum when the support and faces are right; the pricing then certifies it. A face starts as the
   block's tight rows; on a flat support (more free face dimensions than samples, where Newton meets
   the walls one per solve) it also takes the rows active at the pricing's projection of
   :math:`s\,g_i(\nu)` — the face the optimal block lies on once :math:`\nu` is near :math:`\nu^*` (cone
   lemma) — and rows of negative multiplier are released; near the optimum (``RELEASE_BELOW``) they are
   released on any support.

The gated program (CG) is the same method without cones: the columns are :math:`D_iX\bar u` for any
unit :math:`\bar u`, and the best one for pattern :math:`i` is :math:`g_i/\|g_i\|`. Its polish runs
Newton on whole blocks while the support is small; on a large support (more than ``FULL_GATED_POLISH``
dimensions) it takes one Newton step per round on a small subspace of each block, spanned by the block,
its steepest direction :math:`g_i(\nu)` and its earlier such vectors (a limited-memory subspace method:
each step costs a Newton solve of a few dimensions per block instead of :math:`d`).

Every returned block is a direction strictly inside its cone (a margin of ``1e-11`` relative to the
row norms, so that the cone constraints hold exactly in floating point) times its coefficient, or a sum of
such in the same pattern; zero blocks are exactly zero. (The one exception: ``fallback_size``'s interior point,
returned as it is when rebuilding its blocks as columns lost objective.)
"""

from __future__ import annotations

import numpy as np

from ..._numerics import safe_row_norms
from ..._threads import one_blas_thread
from ...losses import get_loss
from ..dual import _CHUNK_ENTRIES, dual_lower_bound, pattern_correlations, project_onto_cones
from ..program import SolverResult
from .nonnegative_lasso import solve_nonnegative_lasso
from .support_newton import face_bases, first_wall, solve_on_support

__all__ = ["interior_direction", "interior_directions", "solve_column_generation"]

#: relative margin by which returned directions satisfy their cone constraints
INTERIOR_MARGIN = 1e-11
#: directions closer than this (1 - cosine) are the same direction
SAME_DIRECTION = 1e-12
#: gated polish: Newton on whole blocks up to this total dimension; above it, on each block's recent subspace
FULL_GATED_POLISH = 600
#: gated polish on subspaces: a block's subspace is spanned by its latest this many vectors (w_b, g_i(nu), ...)
SPAN_MEMORY = 4
#: ... doubled, up to this, after a round whose duality gap fell by less than 20% on a support that did not
#: grow (weak regularization: more free block dimensions than samples)
MAX_SPAN_MEMORY = 8
#: gated polish on subspaces: Newton steps per polish (the subspaces change every round)
SUBSPACE_NEWTON_STEPS = 1
#: ``fallback_size``: the interior-point fallback fires when the gap after round 8 is above this fraction of the gap
#: after round 4. Measured (relative gaps, round 8 / round 4): where the fallback won, diabetes beta x 0.01 ReLU
#: 0.91 (cg 58 s, Clarabel 19 s) and gated 0.95; where it lost, breast cancer beta x 0.1 ReLU 0.70 (cg 24 s,
#: Clarabel 39 s) and beta x 0.3 gated 0.70 (cg 0.7 s, fallback 2.9 s)
FALLBACK_SLOW_RATIO = 0.75
#: ... and only when at least this fraction of the allowed blocks (pattern, sign) is on the support: the interior
#: point solves for every block, column generation for its support. On a sparse support a slowly falling gap is the
#: weak lower bound (nu scaled by V/beta, far from feasible), not slow progress. Measured after round 8: where the
#: fallback won, diabetes beta x 0.01 ReLU 192 of 200 blocks and gated 99 of 100 (gated beta x 0.1: 100 of 100);
#: where it lost, linnerud's raw exhaustive ReLU program (20 samples, 2317 patterns) 19 of 4634 (slow ratio 0.83,
#: objective 2.5% above its optimum; auto 4.1 s, Clarabel alone 3.7 s, cg 0.5 s in 16 rounds) and a 20-sample
#: exhaustive gated program 17 of 2319 (auto 0.49 s, cg 0.2 s). (Breast cancer beta x 0.1 ReLU: 138 of 200.)
FALLBACK_ACTIVE_BLOCKS = 0.5
#: the interior-point fallback's blocks below this fraction of the largest are not taken as columns
SIGNIFICANT_BLOCK = 1e-6
#: ... and at most this many times n + 1 of them, the largest (an optimum needs at most n + 1 blocks; an inaccurate
#: interior point spreads over all 20142 blocks of a 20-sample problem, and as columns they took minutes)
FALLBACK_BLOCKS_PER_SAMPLE = 4
#: ReLU polish: Newton solves per polish (each meets a wall, releases rows, or ends it)
POLISH_SOLVES = 5
#: ReLU polish: the walk releases rows of negative multiplier on any support (not only a flat one) once the pricing's
#: V/beta - 1 is below this. Near the optimum a face row that the optimum leaves is then dropped in the same polish
#: instead of by the next pricing's columns (synthetic (200, 5, 50) seeds 0-3: 22 -> 17 rounds); earlier, releasing
#: dozens of rows at once made the restricted problem flat and Newton damped for the rest of the solve (synthetic
#: (1000, 10, 200), released at V/beta - 1 = 0.38: 3% slower, the same rounds)
RELEASE_BELOW = 0.05
#: ReLU polish: Newton steps between wall checks once Newton needed damping (a flat restricted problem: more
#: free face dimensions than the samples resolve, where Levenberg–Marquardt crawls and the next wall or
#: pricing does more); undamped, Newton runs to convergence
DAMPED_POLISH_STEPS = 2


def interior_direction(u, X, mask, gate=None, row_norms=None):
    r"""A unit vector near ``u`` with :math:`s_kx_k^\top\bar u\ge\text{margin}\,\|x_k\|` for every row.

    The rows that fail are pushed inside along the minimum-norm correction on their span (a move of
    the order of the margin, ``INTERIOR_MARGIN``); if that does not suffice, along the pattern's
    ``gate`` (an interior point for a generic gate; ignored when it does not act on the columns of
    ``X``). Returns None when neither works. ``row_norms`` (:math:`\|x_k\|`) may be passed when
    many directions are made interior for the same ``X``; :func:`interior_directions` does many at once.
    """
    gates = None if gate is None else np.asarray(gate, dtype=float)[:, None]
    directions, found = interior_directions(np.asarray(u, dtype=float)[None], X, np.asarray(mask)[:, None], gates,
                                            row_norms)
    return directions[0] if found[0] else None


def interior_directions(U, X, masks, gates=None, row_norms=None):
    r""":func:`interior_direction` for the rows of ``U`` (B, d), with ``masks`` (n, B) and ``gates`` (d', B) or None.

    One product with :math:`X` per correction for a chunk of directions (at most ``_CHUNK_ENTRIES``
    constraint values at once). Returns the directions (B, d) and whether each was found (where not,
    its row is zero).
    """
    U = np.array(U, dtype=float, ndmin=2)
    row_norms = np.linalg.norm(X, axis=1) if row_norms is None else row_norms
    found = np.zeros(len(U), dtype=bool)
    chunk = max(1, _CHUNK_ENTRIES // max(X.shape[0], 1))
    for start in range(0, len(U), chunk):
        part = slice(start, start + chunk)
        U[part], found[part] = _interior_chunk(U[part], X, np.ascontiguousarray(np.asarray(masks)[:, part].T),
                                               None if gates is None else np.asarray(gates)[:, part].T, row_norms)
    return U, found


def _interior_chunk(U, X, masks, gates, row_norms):
    """:func:`interior_directions` on (B, d) directions with ``masks`` (B, n) and ``gates`` (B, d') or None."""
    B, d = U.shape
    signs = np.where(masks, 1.0, -1.0)
    target = INTERIOR_MARGIN * row_norms

    def slacks(index, W):  # s_k x_k^T w - margin ||x_k||, shape (len(index), n)
        return signs[index] * (W @ X.T) - target

    norms = np.linalg.norm(U, axis=1)
    U = U / np.where(norms > 0, norms, 1.0)[:, None]
    found = np.zeros(B, dtype=bool)
    todo = np.flatnonzero(norms > 0)
    for _ in range(3):  # minimum-norm corrections on the failing rows
        slack = slacks(todo, U[todo])
        inside = ~(slack < 0).any(axis=1)
        found[todo[inside]] = True
        failing = slack < 0
        # at most d failing rows, none far outside (else a correction of the order of the margin does not
        # suffice: the gate decides)
        near = ~(np.where(failing, slack, 0.0).min(axis=1) < -1e-6 * np.where(failing, row_norms, 0.0).max(axis=1))
        chosen = np.flatnonzero(~inside & (failing.sum(axis=1) <= d) & near)
        if len(chosen):  # min-norm solutions of s_k x_k^T delta = -2 slack_k on each one's failing rows, batched
            which, rows = np.nonzero(failing[chosen])
            position = np.arange(len(which)) - np.searchsorted(which, np.arange(len(chosen)))[which]
            rows_matrix = np.zeros((len(chosen), min(d, X.shape[0]), d))
            rhs = np.zeros(rows_matrix.shape[:2])
            rows_matrix[which, position] = signs[todo[chosen][which], rows, None] * X[rows]
            rhs[which, position] = -2.0 * slack[chosen][which, rows]
            corrected = U[todo[chosen]] + _minimum_norm_solutions(rows_matrix, rhs)
            U[todo[chosen]] = corrected / np.linalg.norm(corrected, axis=1)[:, None]
        todo = todo[chosen]  # (the others go to the gate as they are)
        if not len(todo):
            break
    todo = np.flatnonzero((norms > 0) & ~found)
    if len(todo):
        slack = slacks(todo, U[todo])
        inside = ~(slack < 0).any(axis=1)
        found[todo[inside]] = True
        todo, slack = todo[~inside], slack[~inside]
    if len(todo) and gates is not None and gates.shape[1] == d:  # along the gate, clearing the failing rows twice over
        gate = gates[todo]
        gate_norms = np.linalg.norm(gate, axis=1)
        ok = gate_norms > 0
        gate = gate / np.where(ok, gate_norms, 1.0)[:, None]
        margin = signs[todo] * (gate @ X.T)
        failing = slack < 0
        ok &= ~np.any(failing & (margin <= 0), axis=1)
        # a margin near 0 asks for a step t beyond float range (data of 1e143 beside 1e72): that gate fails
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            t = np.where(failing, -2.0 * slack / np.where(failing, margin, 1.0), -np.inf).max(axis=1)
            moved = U[todo] + np.where(ok, t, 0.0)[:, None] * gate
        ok &= np.isfinite(moved).all(axis=1)
        moved = np.where(ok[:, None], moved, U[todo])
        moved /= safe_row_norms(moved)[:, None]
        ok &= (slacks(todo, moved) >= -0.5 * target).all(axis=1)
        U[todo[ok]] = moved[ok]
        found[todo[ok]] = True
    U[~found] = 0.0
    return U, found


def _minimum_norm_solutions(A, b):
    r"""Minimum-norm solutions :math:`\delta=A^\top(AA^\top)^{-1}b` of a batch of systems :math:`A\delta=b`.

    ``A`` (B, k, d) may have zero rows (unused, with zero ``b``); they get the identity in :math:`AA^\top`.
    Where that Gram matrix is singular or its solution leaves a residual above :math:`10^{-10}\|b\|` (nearly
    dependent rows: the normal equations square their condition number), the pseudo-inverse decides. The
    :math:`k\times k` solves cost 0.05 ms for 60 systems of 6 x 6, the pseudo-inverse's SVDs 0.23 ms (interior
    directions are made for every column added, a dozen batches per cg solve of synthetic (200, 5, 50)).
    Returns (B, d).
    """
    gram = np.matmul(A, A.transpose(0, 2, 1))
    gram += np.eye(A.shape[1]) * ~A.any(axis=2)[:, :, None]
    rhs = b[:, :, None]
    with np.errstate(all="ignore"):
        try:
            solutions = np.matmul(A.transpose(0, 2, 1), np.linalg.solve(gram, rhs))
        except np.linalg.LinAlgError:
            solutions = np.full(A.shape[:1] + A.shape[2:] + (1,), np.nan)
        residual = np.linalg.norm((np.matmul(A, solutions) - rhs)[:, :, 0], axis=1)
    poor = ~(residual <= 1e-10 * np.linalg.norm(b, axis=1))
    if poor.any():
        solutions[poor] = np.matmul(np.linalg.pinv(A[poor]), rhs[poor])
    return solutions[:, :, 0]


def _same_kind(signs, patterns, other_signs, other_patterns, gated):
    """(B, B') whether two columns may hold the same direction: the same sign (ReLU) or the same pattern (gated)."""
    if gated:
        return patterns[:, None] == other_patterns[None, :]
    return signs[:, None] == other_signs[None, :]


def _first_distinct(directions, signs, patterns, gated, candidates):
    """Which ``candidates`` (bool, B) hold a direction none of the earlier ones kept holds (:func:`_same_kind`).

    In order, as a loop over the candidates would keep them; only the candidates with an earlier near-duplicate
    are visited one by one (add_violators took 4.2 ms of a cg solve of synthetic (200, 5, 50) with a loop, 3 ms now).
    """
    close = directions @ directions.T > 1.0 - SAME_DIRECTION
    close &= _same_kind(signs, patterns, signs, patterns, gated)
    close &= np.tri(len(directions), k=-1, dtype=bool)  # the earlier ones
    keep = candidates.copy()
    for i in np.flatnonzero(keep & close.any(axis=1)):
        keep[i] = not (close[i] & keep).any()
    return keep


class _ColumnSet:
    """The master's columns: unit directions, their pattern and sign, the column matrix and Gram matrix."""

    def __init__(self, n, d, gated, squared):
        self.directions = np.zeros((0, d))
        self.patterns = np.zeros(0, dtype=np.intp)
        self.signs = np.zeros(0)
        self.matrix = np.zeros((n, 0))
        self.coefficients = np.zeros(0)
        self.gram = np.zeros((0, 0)) if squared else None
        self.gated = gated

    def __len__(self):
        return len(self.coefficients)

    def columns_of(self, X, masks, directions, patterns, signs):
        if self.gated:
            return masks[:, patterns] * (X @ directions.T)
        return signs * np.maximum(X @ directions.T, 0.0)

    def keep(self, which):
        self.directions, self.patterns = self.directions[which], self.patterns[which]
        self.signs, self.matrix = self.signs[which], self.matrix[:, which]
        self.coefficients = self.coefficients[which]
        if self.gram is not None:
            self.gram = self.gram[np.ix_(which, which)]

    def known(self, directions, signs, patterns):
        """Which of the ``directions`` (B, d) (same sign; same pattern for gated) are already columns."""
        same = _same_kind(signs, patterns, self.signs, self.patterns, self.gated)
        return ((directions @ self.directions.T > 1.0 - SAME_DIRECTION) & same).any(axis=1)

    def add(self, X, masks, directions, patterns, signs, coefficients):
        if not len(patterns):
            return
        new = self.columns_of(X, masks, directions, patterns, signs)
        if self.gram is not None:
            cross = self.matrix.T @ new
            self.gram = np.block([[self.gram, cross], [cross.T, new.T @ new]])
        self.matrix = np.hstack([self.matrix, new])
        self.directions = np.vstack([self.directions, directions])
        self.patterns = np.concatenate([self.patterns, patterns])
        self.signs = np.concatenate([self.signs, signs])
        self.coefficients = np.concatenate([self.coefficients, coefficients])

    def support_blocks(self):
        """Merged blocks on the support: ``{(pattern, sign): sum_j c_j u_j}``."""
        blocks = {}
        for c, u, i, s in zip(self.coefficients, self.directions, self.patterns, self.signs):
            if c > 0:
                key = (int(i), float(s))
                blocks[key] = blocks.get(key, 0.0) + c * u
        return blocks


class _ColumnGeneration:
    """State of one run of column generation on a :class:`ConvexProgram`."""

    def __init__(self, program, tol, polish_below, max_polish_dimension=3000):
        self.program = program
        self.X, self.y, self.beta = program.X, program.y, program.beta
        self.masks = program.masks
        self.gates = program.arrangement.gates
        self.loss = get_loss(program.loss)
        self.gated = program.activation == "gated"
        self.allowed = program.blocks.copy()
        self.row_norms = np.linalg.norm(self.X, axis=1)
        self.X_unit = self.X / np.maximum(self.row_norms, 1e-300)[:, None]
        n, d = self.X.shape
        P = program.n_patterns
        self.columns = _ColumnSet(n, d, self.gated, self.loss.name == "squared")
        self.warm = np.full((P, 2, d + 1), -1, dtype=np.intp)
        self.tol = tol
        self.polish_below = polish_below
        self.max_polish_dimension = max_polish_dimension
        self.prediction = np.zeros(n)
        self.objective = self.loss.value(self.prediction, self.y)
        self.span_memory = {}  # gated: pattern -> the latest vectors of its polish subspace
        self.span_size = SPAN_MEMORY  # see :meth:`widen_spans_if_slow`
        self.polished_on_subspaces = False
        self.last_round = (np.inf, 0)  # (duality gap, support size) of the previous pricing
        self.damping = 0.0  # the polish's Levenberg–Marquardt damping, carried from one Newton solve to the next

    # ----------------------------------------------------------- directions
    def directions(self, points, patterns):
        """Unit directions of ``points`` (B, d) for their ``patterns``: inside the cones (ReLU) or normalised
        (gated); returns them and whether each was found."""
        if self.gated:
            norms = np.linalg.norm(points, axis=1)
            found = norms > 0
            return points / np.where(found, norms, 1.0)[:, None], found
        return interior_directions(points, self.X, self.masks[:, patterns], self.gates[:, patterns], self.row_norms)

    # -------------------------------------------------------------- pricing
    def price(self, nu, exact_blocks=(), top=1):
        r"""Price every pattern and sign at :math:`\nu`.

        Returns ``values`` (P, 2) — :math:`\|\Pi_{\mathcal K_i}(s g_i)\|` where ``exact``, an upper bound
        elsewhere —, the projections ``points`` (P, 2, d) and ``exact`` (P, 2). Candidates are visited by
        decreasing :math:`\|g_i\|` in chunks (the next one sized for the violators still wanted at the rate
        found so far, times 2.5 to leave a choice, at most twice the last), and a projection stops as soon
        as its bound shows it is neither among the ``top`` largest values above :math:`\beta` found so far
        nor one of the ``exact_blocks`` (partial pricing). Once a chunk brings the number of violators
        found outside the ``exact_blocks`` (the support's own blocks, tight at the optimum: not new columns)
        to ``top``, the scan ends: the master takes at most ``top`` new columns, and the values of the
        candidates not visited stay their bounds :math:`\|g_i\|` — so ``values.max()`` is always an upper
        bound on :math:`V(\nu)`, exact when the scan ran to its end.
        """
        G = pattern_correlations(nu, self.X, self.masks)
        d, P = G.shape
        norms = np.linalg.norm(G, axis=0)
        values = np.where(self.allowed, norms[:, None], 0.0)
        points = np.zeros((P, 2, d))
        exact = np.zeros((P, 2), dtype=bool)
        if self.gated:
            values[:, 1] = 0.0
            points[:, 0] = G.T
            exact[:, 0] = True
            return values, points, exact
        need_exact = np.zeros((P, 2), dtype=bool)
        for i, s in exact_blocks:
            need_exact[i, 0 if s > 0 else 1] = True
        # candidates (pattern, sign) by decreasing ||g_i||: the bound that dismisses the rest
        order = np.argsort(-norms, kind="stable")
        cand_index = np.repeat(order, 2)
        cand_column = np.tile([0, 1], len(order))
        keep = self.allowed[cand_index, cand_column] & ((norms[cand_index] > self.beta) | need_exact[cand_index, cand_column])
        cand_index, cand_column = cand_index[keep], cand_column[keep]
        threshold = self.beta
        found = []  # exact values above beta, outside the exact_blocks
        start, size = 0, max(2 * top, 64)
        while start < len(cand_index):
            index, column = cand_index[start:start + size], cand_column[start:start + size]
            start += size
            size *= 2
            useful = (norms[index] > threshold) | need_exact[index, column]
            if not useful.any():
                rest = slice(start, None)
                if not np.any((norms[cand_index[rest]] > threshold) | need_exact[cand_index[rest], cand_column[rest]]):
                    break
                continue
            index, column = index[useful], column[useful]
            signs = np.where(column == 0, 1.0, -1.0)
            stop = np.where(need_exact[index, column], -np.inf, threshold)
            projections = project_onto_cones(G[:, index] * signs, self.X, self.masks[:, index],
                                             active=self.warm[index, column], stop_below=stop)
            values[index, column] = projections.values
            points[index, column] = projections.points
            exact[index, column] = projections.exact
            self.warm[index, column] = projections.active
            new = projections.exact & (projections.values > self.beta) & ~need_exact[index, column]
            found.extend(projections.values[new])  # (the support's own blocks are not new columns)
            if 0 < len(found) < top:  # the next chunk: enough candidates at the rate of violators seen so far
                size = min(size, max(64, int(2.5 * (top - len(found)) * start / len(found))))
            if len(found) >= top:
                if not need_exact[cand_index[start:], cand_column[start:]].any():
                    break  # enough columns for this round (far from the optimum: most of the pricing's work)
                threshold = max(self.beta, float(np.partition(found, len(found) - top)[len(found) - top]))
        return values, points, exact

    def price_by_bounds(self, nu, top):
        r"""The first round of a cold start: the bounds :math:`\|g_i\|` and the points :math:`s\,g_i`, unprojected.

        Far from the optimum (:math:`\nu=y` for the squared loss) exact columns are not needed, only many good
        ones: each point :math:`s\,g_i(\nu)` becomes a column by :meth:`directions` (pushed inside its cone along
        the pattern's gate), and the master sorts them out. Returns ``values`` (P, 2), ``points`` (P, 2, d) and
        which points may be columns (the ``top`` largest bounds: making all 1000 points of synthetic
        (5000, 20, 500) interior took 0.36 s), as :meth:`price` does; ``values.max()`` is an upper bound on
        :math:`V(\nu)`. Measured, median cg solves against exact pricing in round 1 (4.4 ms of 30 on synthetic
        (200, 5, 50), projecting from no active rows): synthetic (200, 5, 50) 29.6 -> 18.2 ms (7 -> 6 rounds: the
        master's solution on these columns is close enough for the polish a round earlier), diabetes 79 -> 58 ms,
        synthetic (1000, 10, 200) 219 -> 203 ms, (5000, 20, 500) 2.73 -> 2.52 s.
        """
        G = pattern_correlations(nu, self.X, self.masks)
        values = np.where(self.allowed, np.linalg.norm(G, axis=0)[:, None], 0.0)
        points = np.stack([G.T, -G.T], axis=1)
        usable = np.zeros(values.size, dtype=bool)
        usable[np.argsort(-values, axis=None, kind="stable")[:top]] = True
        return values, points, usable.reshape(values.shape) & self.allowed

    def gap(self, nu, violation):
        lower = dual_lower_bound(nu, self.y, self.beta, violation, self.loss.name)
        return self.objective - lower

    # --------------------------------------------------------------- master
    def solve_master(self):
        columns = self.columns
        result = solve_nonnegative_lasso(columns.matrix, self.y, self.beta, self.loss, start=columns.coefficients,
                                         gram=columns.gram)
        columns.coefficients = result.coefficients
        columns.keep(columns.coefficients > 0)
        self.prediction = columns.matrix @ columns.coefficients
        self.objective = self.loss.value(self.prediction, self.y) + self.beta * float(columns.coefficients.sum())

    def add_violators(self, values, points, usable, max_new):
        """Add as columns the ``usable`` points of largest ``values`` above beta, at most ``max_new``; return how many."""
        threshold = self.beta * (1.0 + 0.1 * self.tol)
        ranked = np.where(usable, values, 0.0).ravel()
        order = np.argsort(-ranked)
        patterns, columns = np.unravel_index(order[ranked[order] > threshold], values.shape)
        directions, found = self.directions(points[patterns, columns], patterns)
        signs = np.where(columns == 0, 1.0, -1.0)
        new = _first_distinct(directions, signs, patterns, self.gated,
                              found & ~self.columns.known(directions, signs, patterns))
        new &= np.cumsum(new) <= max_new
        self.columns.add(self.X, self.masks, directions[new], patterns[new], signs[new], np.zeros(int(new.sum())))
        return int(new.sum())

    # --------------------------------------------------------------- polish
    def restricted_prediction(self, W, patterns, signs):
        r"""The program's prediction :math:`\sum_bs_bD_{i_b}Xw_b` for blocks ``W`` (m, d) at keys ``(patterns, signs)``.

        From the m blocks directly, not from the program's (P, d) blocks (a polish of synthetic (200, 5, 50) makes
        six: 0.085 -> 0.04 ms each).
        """
        return self.program.blocks_prediction(W * signs[:, None], patterns)

    def restricted_objective(self, W, patterns, signs):
        """The program's objective for blocks ``W`` (m, d) at the distinct keys ``(patterns, signs)``."""
        return self.program.blocks_objective(W * signs[:, None], patterns)

    def column_spans(self, patterns, blocks, nu):
        r"""Gated polish subspaces: orthonormal bases of :math:`\operatorname{span}\{w_b,\ g_{i_b}(\nu),\ \dots\}`.

        Each block's subspace holds the block :math:`w_b` itself, its steepest direction
        :math:`g_i(\nu)=X^\top D_i\nu` and the vectors of its earlier subspaces, newest first, up to
        ``span_size`` vectors (a limited-memory subspace method: the program restricted to these
        subspaces is far smaller than on whole blocks when the support is large, and the block is a
        point of it).
        """
        G = pattern_correlations(nu, self.X, self.masks[:, patterns])  # (d, m)
        bases = []
        for b, i in enumerate(patterns):
            earlier = self.span_memory.get(int(i), np.zeros((0, len(G))))
            vectors = np.vstack([blocks[b], G[:, b], earlier])[:self.span_size]
            self.span_memory[int(i)] = vectors
            _, singular, right = np.linalg.svd(vectors, full_matrices=False)
            bases.append(right[singular > 1e-10 * singular[0]].T)
        return bases

    def widen_spans_if_slow(self, gap, support_size):
        """Double the gated polish subspaces' size (up to ``MAX_SPAN_MEMORY``) when progress is slow.

        Slow: with the polish on subspaces, the duality gap fell by less than 20% since the previous
        pricing and the support did not grow (weak regularization).
        """
        last_gap, last_support_size = self.last_round
        if self.polished_on_subspaces and gap > 0.8 * last_gap and support_size == last_support_size:
            self.span_size = min(2 * self.span_size, MAX_SPAN_MEMORY)
        self.last_round = (gap, support_size)

    def release_rows(self, W, patterns, signs, faces, row_signs):
        r"""Drop from each block's face its row of most negative multiplier; return the blocks changed.

        At the optimum of the program restricted to the faces, the gradient of the objective in block
        :math:`w_b`, :math:`\gamma_b=-s_bX^\top D_{i_b}\nu+\beta w_b/\|w_b\|`, is a combination
        :math:`\sum_{k\in W_b}\lambda_ks_kx_k` of its face rows. The cone constraints
        :math:`s_kx_k^\top w_b\ge0` hold the block back only where :math:`\lambda_k\ge0`; a row with
        :math:`\lambda_k\|x_k\|<-10^{-6}\beta` is released (moving off it lowers the objective).
        """
        nu = self.loss.negative_gradient(self.restricted_prediction(W, patterns, signs), self.y)
        norms = np.linalg.norm(W, axis=1)
        unit = W / np.where(norms > 0, norms, 1.0)[:, None]
        gradients = -signs[:, None] * pattern_correlations(nu, self.X, self.masks[:, patterns]).T + self.beta * unit
        # least squares batched per number of face rows (the two calls of a cg solve of synthetic (200, 5, 50), 25
        # blocks each: 1.1 ms with one lstsq per block, 0.85 ms by batched pseudo-inverses, 0.55 by _face_multipliers)
        sizes = np.array([len(rows) if norms[b] > 0 else 0 for b, rows in enumerate(faces)], dtype=np.intp)
        released = []
        for size in np.unique(sizes[sizes > 0]):
            members = np.flatnonzero(sizes == size)
            rows = np.array([faces[b] for b in members])  # (B, size)
            face_rows = row_signs[rows, members[:, None], None] * self.X[rows]
            multipliers = _face_multipliers(face_rows, gradients[members])
            weighted = multipliers * self.row_norms[rows]
            worst = np.argmin(weighted, axis=1)
            for j in np.flatnonzero(weighted[np.arange(len(members)), worst] < -1e-6 * self.beta):
                faces[members[j]] = np.delete(rows[j], worst[j])
                released.append(int(members[j]))
        return sorted(released)

    def polish(self, nu, near=False):
        """Re-optimise the support with free directions (primal active set on the cone faces); keep it if better.

        ReLU: :meth:`walk_faces` from the support's merged blocks. When the support has more free face
        dimensions than samples (a flat restricted problem, where Newton is damped and meets the walls one
        per solve), the faces also take the rows active at the last pricing's projections; if that polish is
        not better, it is run again on the blocks' tight rows alone. The walk releases rows by their
        multipliers on a flat support and, ``near`` the optimum (the caller's judgement), on any. The gated
        program has no cones: Newton runs on whole blocks, or, above ``FULL_GATED_POLISH`` dimensions, takes
        ``SUBSPACE_NEWTON_STEPS`` step(s) on each block's recent subspace (:meth:`column_spans`).
        """
        blocks = self.columns.support_blocks()
        if not blocks:
            return False
        keys = list(blocks)
        patterns = np.array([i for i, _ in keys], dtype=np.intp)
        signs = np.array([s for _, s in keys])
        current = np.array([blocks[key] for key in keys])
        d = self.X.shape[1]
        if self.gated:
            bases, steps = [np.eye(d)] * len(keys), {}
            self.polished_on_subspaces = len(keys) * d > FULL_GATED_POLISH
            if self.polished_on_subspaces:
                bases, steps = self.column_spans(patterns, current, nu), {"max_iter": SUBSPACE_NEWTON_STEPS}
                if sum(basis.shape[1] for basis in bases) > self.max_polish_dimension:
                    return False
            result = solve_on_support(self.X, self.y, self.beta, self.loss, self.masks[:, patterns], signs,
                                      bases, current, damping=self.damping, **steps)
            self.damping = result.damping
            return self.replace_columns(result.blocks, patterns, signs)
        row_signs = np.where(self.masks[:, patterns], 1.0, -1.0)  # (n, m)
        slack = row_signs * (self.X_unit @ current.T)
        norms = np.linalg.norm(current, axis=1)
        tight = [np.flatnonzero(column <= 1e-9 * norm) for column, norm in zip(slack.T, norms)]
        flat = sum(d - len(rows) for rows in tight) > self.X.shape[0]
        attempts = [tight]
        if flat:
            warm = self.warm[patterns, np.where(signs > 0, 0, 1)]
            faces = [np.union1d(rows, active[active >= 0]) for rows, active in zip(tight, warm)]
            attempts.insert(0, [rows if len(rows) < d else own for rows, own in zip(faces, tight)])  # (never a point)
        for faces in attempts:
            polished = self.walk_faces(current, patterns, signs, row_signs, slack, faces, release=flat or near)
            if polished is not None and self.replace_columns(polished, patterns, signs):
                return True
        return False

    def walk_faces(self, current, patterns, signs, row_signs, slack, faces, release):
        r"""Primal active set on the cone faces, from the feasible blocks ``current`` (m, d).

        Newton's method (:func:`~.support_newton.solve_on_support`) solves the program restricted to the
        faces :math:`\{w:x_k^\top w=0,\ k\in W_b\}`; if the step leaves a cone, the blocks move only up to
        the first cone constraint they meet (the objective is convex along the segment from a feasible
        point, so that point is no worse than the start of the segment when the target is better), the
        constraint joins the face, and Newton runs again — to convergence while it needs no damping,
        else ``DAMPED_POLISH_STEPS`` steps (Levenberg–Marquardt's damping is carried from one solve to the
        next). A face row need not be tight at ``current``: the segment to the face's optimum keeps it
        feasible. With ``release``, a converged solve inside the cones releases the rows of negative
        multiplier (:meth:`release_rows`) and continues. At most ``POLISH_SOLVES`` Newton solves.

        ``slack`` (n, m) is :math:`s_kx_k^\top w_b/\|x_k\|` at ``current``; ``faces`` holds the row indices
        of each block's face. Returns the blocks, or None when the faces leave no dimension or exceed
        ``max_polish_dimension``.
        """
        faces = list(faces)
        bases = face_bases(self.X, faces)
        for _ in range(POLISH_SOLVES):
            dims = np.array([basis.shape[1] for basis in bases])
            alive = (dims > 0) & np.any(current != 0, axis=1)
            if not alive.any() or dims[alive].sum() > self.max_polish_dimension:
                return None
            steps = {"max_iter": DAMPED_POLISH_STEPS} if self.damping > 0 else {}
            result = solve_on_support(self.X, self.y, self.beta, self.loss, self.masks[:, patterns[alive]],
                                      signs[alive], [bases[b] for b in np.flatnonzero(alive)], current[alive],
                                      damping=self.damping, **steps)
            self.damping = result.damping
            target = np.zeros_like(current)
            target[alive] = result.blocks
            step = target - current
            rate = row_signs * (self.X_unit @ step.T)  # the slacks are linear in the blocks
            t, blocking, hit, limits = first_wall(slack, rate, faces)
            if t >= 1.0:
                current, slack = target, slack + rate
                released = self.release_rows(current, patterns, signs, faces, row_signs) if (
                    release and result.converged) else []
                if not released:
                    break  # the optimum on these faces (or Newton's last damped steps)
                for b, basis in zip(released, face_bases(self.X, [faces[b] for b in released])):
                    bases[b] = basis
                continue
            # every block up to its own first wall, when that is no worse than all up to the first one
            # (more rows join the faces per Newton solve)
            own = current + np.minimum(limits, 1.0)[:, None] * step
            current = current + t * step
            if self.restricted_objective(own, patterns, signs) <= self.restricted_objective(current, patterns, signs):
                current, hit = own, np.flatnonzero(limits < 1.0)
                slack = slack + np.minimum(limits, 1.0) * rate
            else:
                slack = slack + t * rate
            for b in hit:
                faces[b] = np.append(faces[b], blocking[b])
            for b, basis in zip(hit, face_bases(self.X, [faces[b] for b in hit])):
                bases[b] = basis  # only the faces that grew change
        return current

    def replace_columns(self, W, patterns, signs):
        """Make the blocks ``W`` (m, d) the only columns and solve the master, if that is no worse; say whether."""
        magnitudes = np.linalg.norm(W, axis=1)
        kept = magnitudes > 0
        directions, found = self.directions(W[kept], patterns[kept])
        if not kept.any() or not found.all():
            return False
        candidate = _ColumnSet(self.X.shape[0], self.X.shape[1], self.gated, self.columns.gram is not None)
        candidate.add(self.X, self.masks, directions, patterns[kept], signs[kept], magnitudes[kept])
        previous = (self.columns, self.prediction, self.objective)
        self.columns = candidate
        self.solve_master()  # exact magnitudes for the directions
        if self.objective > previous[2]:
            self.columns, self.prediction, self.objective = previous
            return False
        return True

    # --------------------------------------------------------------- output
    def blocks(self):
        """The program's blocks ``(u, v)``: each column's :math:`c\\bar u` added to its own pattern's block.

        A column stays in its pattern even when another pattern holds (nearly) the same direction: the optimum
        on a face shared by two cones gives both a column, pushed inside each cone by ``INTERIOR_MARGIN``, and
        moving one into the other's pattern changed the prediction by :math:`c\\,|x_k^\\top\\bar u|` on the
        face's rows (~1e-11), which on nearly interpolating data (residuals ~1e-9) moved the dual constraint
        from 1.000003 to 1.14 times beta.
        """
        P, d = self.program.n_patterns, self.X.shape[1]
        u, v = np.zeros((P, d)), np.zeros((P, d))
        columns = self.columns
        for c, direction, i, s in zip(columns.coefficients, columns.directions, columns.patterns, columns.signs):
            if c > 0:
                (u if s > 0 else v)[i] += c * direction
        return u, v


def _face_multipliers(face_rows, gradients):
    r"""Least-squares :math:`\lambda_b=\arg\min\|E_b^\top\lambda-\gamma_b\|` for faces of as many rows ``face_rows``
    (B, k, d) and ``gradients`` (B, d).

    By the normal equations :math:`E_bE_b^\top\lambda_b=E_b\gamma_b` where every Gram matrix is well conditioned
    (the smallest squared pivot of its Cholesky factor above ``1e-8`` times its largest diagonal entry: faces of
    independent rows, as usual; the pivots bound the smallest eigenvalue from above only, but the multipliers just
    choose the row a polish releases, and the pricing certifies the result): a k x k solve, 4 to 6 times cheaper
    than a pseudo-inverse by SVD. Else by pseudo-inverses with lstsq's cut-off (dependent rows: the minimum-norm
    multipliers).
    """
    gram = np.matmul(face_rows, face_rows.transpose(0, 2, 1))
    rhs = np.matmul(face_rows, gradients[:, :, None])
    try:
        pivots = np.square(np.diagonal(np.linalg.cholesky(gram), axis1=1, axis2=2))
        conditioned = bool(np.all(pivots.min(axis=1) > 1e-8 * np.diagonal(gram, axis1=1, axis2=2).max(axis=1)))
    except np.linalg.LinAlgError:
        conditioned = False
    if conditioned:
        return np.linalg.solve(gram, rhs)[:, :, 0]
    cutoff = np.finfo(float).eps * max(face_rows.shape[1], face_rows.shape[2])
    return np.matmul(np.linalg.pinv(face_rows.transpose(0, 2, 1), rcond=cutoff), gradients[:, :, None])[:, :, 0]


def _check_warm_start(program, warm_start):
    """Blocks ``(u, v)`` of a warm start: a ConvexSolution on the same patterns, or a pair of (P, d) arrays."""
    from ..program import ConvexSolution

    if warm_start is None:
        return None
    shape = (program.n_patterns, program.X.shape[1])
    if isinstance(warm_start, ConvexSolution):
        if warm_start.u.shape != shape or not np.array_equal(warm_start.arrangement.masks, program.masks):
            raise ValueError("warm_start must be a solution on the same patterns as the program.")
        return warm_start.u, warm_start.v
    if isinstance(warm_start, tuple) and len(warm_start) == 2:
        u, v = (np.asarray(block, dtype=float) for block in warm_start)
        if u.shape == shape and v.shape == shape:
            return u, v
    raise TypeError(f"warm_start must be a ConvexSolution, a pair of {shape} arrays, or None.")


def _significant_blocks(u, v, n_samples):
    """``(u, v)`` with all but the largest blocks set to zero: those above ``SIGNIFICANT_BLOCK`` times the largest,
    at most ``FALLBACK_BLOCKS_PER_SAMPLE * (n_samples + 1)`` of them.

    An interior point leaves every block non-zero; as columns, the thousands of negligible ones (of rank at
    most n) made the master's active-set method crawl.
    """
    norms = np.concatenate([safe_row_norms(u), safe_row_norms(v)])
    keep = norms > SIGNIFICANT_BLOCK * norms.max(initial=0.0)
    most = FALLBACK_BLOCKS_PER_SAMPLE * (n_samples + 1)
    if keep.sum() > most:
        keep[np.argsort(-norms, kind="stable")[most:]] = False
    P = u.shape[0]
    return np.where(keep[:P, None], u, 0.0), np.where(keep[P:, None], v, 0.0)


def _start_from(state, u, v, polish=True):
    """Make the non-zero blocks ``u`` (positive) and ``v`` (negative) the first columns; solve the master."""
    directions, patterns, signs, magnitudes = [], [], [], []
    for blocks, sign, column in ((u, 1.0, 0), (v, -1.0, 1)):
        norms = np.linalg.norm(blocks, axis=1)
        used = np.flatnonzero((norms > 0) & state.allowed[:, column])
        unit, found = state.directions(blocks[used], used)
        directions.append(unit[found])
        patterns.append(used[found])
        signs.append(np.full(int(found.sum()), sign))
        magnitudes.append(norms[used[found]])
    directions, patterns, signs, magnitudes = map(np.concatenate, (directions, patterns, signs, magnitudes))
    keep = _first_distinct(directions, signs, patterns, state.gated, np.ones(len(patterns), dtype=bool))
    if keep.any():
        state.columns.add(state.X, state.masks, directions[keep], patterns[keep], signs[keep], magnitudes[keep])
        state.solve_master()
        if polish:  # near a previous optimum the support and its faces usually carry over: polish at once
            state.polish(state.loss.negative_gradient(state.prediction, state.y))


def solve_column_generation(program, *, tol=1e-8, max_iter=None, warm_start=None, verbose=False, polish_below=0.05,
                            max_new_columns=None, fallback_size=None):
    r"""Solve the ReLU or gated program by column generation with an exact polish (this module's docstring).

    Parameters
    ----------
    program : ConvexProgram
    tol : float
        Target relative duality gap: stop when
        :math:`F-(-L^*(-\nu/\max(1,V/\beta)))\le\text{tol}\cdot\max(|F|,\min(1,L(0)))` (``gap_tolerance``).
    max_iter : int or None
        Cap on pricing rounds (default 500).
    warm_start : ConvexSolution, pair of arrays or None
        A solution on the same patterns (e.g. at another :math:`\beta`), or its blocks ``(u, v)``; its
        non-zero blocks are the first columns.
    verbose : bool
        Show a progress bar with the gap.
    polish_below : float
        Polish the support once :math:`V/\beta-1` is below this.
    max_new_columns : int or None
        Most columns added per round (default: ``max(100, 2 * support)``).
    fallback_size : int or None
        When ``n * P * d`` is at most this and, after 8 rounds, the relative gap is above 1e-3, fell
        by less than a quarter in the last 4 rounds (``FALLBACK_SLOW_RATIO``) and at least half of the
        allowed blocks are on the support (``FALLBACK_ACTIVE_BLOCKS``) — or when the objective stalls —,
        take the blocks of the interior-point solution (cvxpy + Clarabel) as columns and finish from
        there. This happens when the support has more free dimensions than there are samples (weak
        regularization, all blocks active): the fixed directions then converge slowly and the polish is
        flat. A sparse support (few of many patterns active, e.g. an exhaustive arrangement of few
        samples) keeps column generation: its slowly falling gap is the weak lower bound, and the
        interior point would solve for every block. The answer is still
        this method's: sparse, exactly feasible, certified — unless rebuilding the interior point's blocks
        as columns lost objective, and then the interior point's blocks are returned. ``solver="auto"``
        uses it; None (default) never does.

    Returns
    -------
    SolverResult
        Status "optimal" when the certificate met ``tol``, "max_iter" when the rounds ran out,
        "inaccurate" when the method stalled above ``tol``.
    """
    warm_start = _check_warm_start(program, warm_start)
    max_iter = 500 if max_iter is None else int(max_iter)
    # one BLAS thread: the method interleaves mid-sized products with Python work, and a second thread
    # slowed it on 2 cores ((5000, 20, 500) ReLU 5.4 s -> 6.5 s, gated 15.5 s -> 20.5 s; (1000, 10, 200)
    # gated 2.0 s -> 4.1 s; (20000, 50, 1000) ReLU 61 s single-threaded, 59-72 s with two)
    with one_blas_thread():
        return _column_generation(program, tol, max_iter, warm_start, verbose, polish_below, max_new_columns,
                                  fallback_size)


def _column_generation(program, tol, max_iter, warm_start, verbose, polish_below, max_new_columns, fallback_size):
    """The rounds of :func:`solve_column_generation` (validated arguments)."""
    state = _ColumnGeneration(program, tol, polish_below)
    if warm_start is not None:
        _start_from(state, *warm_start)
    progress = None
    if verbose:
        from tqdm.auto import tqdm

        progress = tqdm(total=max_iter, desc=f"column generation ({program.activation})", leave=False)
    status = "max_iter"
    polishing = warm_start is not None and len(state.columns) > 0
    stalled = 0
    best_lower, gap_after_round_4 = -np.inf, np.inf  # the best lower bound so far; the relative gap to it
    failed_polishes = 0
    rounds = 0
    interior = None  # the fallback's interior point, when it is the answer
    try:
        for rounds in range(1, max_iter + 1):
            nu = state.loss.negative_gradient(state.prediction, state.y)
            support_blocks = state.columns.support_blocks()
            support = list(support_blocks) if polishing else ()
            max_new = max_new_columns or max(100, 2 * len(state.columns))
            if rounds == 1 and not len(state.columns) and not state.gated:
                values, points, exact = state.price_by_bounds(nu, max_new)
            else:
                values, points, exact = state.price(nu, exact_blocks=support, top=max_new)
            violation = float(values.max(initial=0.0))
            gap = state.gap(nu, violation)
            best_lower = max(best_lower, state.objective - gap)  # (the bound moves with nu: not monotone)
            state.widen_spans_if_slow(gap, len(support_blocks))
            if progress is not None:
                progress.update(1)
                progress.set_postfix(objective=f"{state.objective:.6g}", gap=f"{gap / max(1.0, abs(state.objective)):.1e}",
                                     neurons=len(state.columns))
            if gap <= program.gap_tolerance(tol, state.objective):
                status = "optimal"
                break
            before = state.objective
            added = state.add_violators(values, points, exact, max_new)
            if added:
                state.solve_master()
            if (violation / state.beta - 1.0 < polish_below or polishing or rounds >= 4) and (
                    failed_polishes < 2 or rounds % 4 == 0):  # a polish that keeps failing is skipped mostly
                polishing = True
                polished = state.polish(state.loss.negative_gradient(state.prediction, state.y),
                                        near=violation / state.beta - 1.0 < RELEASE_BELOW)
                failed_polishes = 0 if polished else failed_polishes + 1
            stalled = stalled + 1 if state.objective >= before else 0
            relative_gap = (state.objective - best_lower) / max(1.0, abs(state.objective))
            gap_after_round_4 = relative_gap if rounds == 4 else gap_after_round_4
            # far from the optimum after 8 rounds and converging slowly: the gap fell by less than a quarter since
            # round 4, with most blocks active (the interior point's ground)
            far = (rounds == 8 and relative_gap > 1e-3 and relative_gap > FALLBACK_SLOW_RATIO * gap_after_round_4
                   and len(state.columns.support_blocks()) >= FALLBACK_ACTIVE_BLOCKS * state.allowed.sum())
            if fallback_size is not None and np.prod(program.shape) <= fallback_size and (far or stalled >= 3):
                from .cvxpy_backend import solve_cvxpy

                fallback_size = None  # once
                reference = solve_cvxpy(program, tol=min(tol, 1e-8))
                candidate = _ColumnGeneration(program, tol, polish_below)
                _start_from(candidate, *_significant_blocks(reference.u, reference.v, program.X.shape[0]), polish=False)
                if candidate.objective < state.objective:
                    state, stalled = candidate, 0
                elif program.objective_of(reference.u, reference.v) < state.objective:
                    # its blocks as columns lost objective (directions dropped or merged): its own answer
                    interior = SolverResult(u=reference.u, v=reference.v, status=reference.status, n_iter=rounds)
                    break
                continue
            if stalled >= 3:
                status = "inaccurate"
                break
    finally:
        if progress is not None:
            progress.close()
    if interior is not None:
        return interior
    u, v = state.blocks()
    # the last pricing's active cone constraints warm-start the program's own certificate
    program._cache["dual_active"] = state.warm
    return SolverResult(u=u, v=v, status=status, n_iter=rounds)
