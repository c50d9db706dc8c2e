r"""The dual of the convex program: cone projections, the dual constraint, bounds (THEORY.md §D, §F).

For a dual vector :math:`\nu\in\mathbb R^n` and pattern :math:`D_i` put :math:`g_i(\nu)=X^\top D_i\nu`.
The dual constraint of the ReLU program (C) is

.. math:: \|\Pi_{\mathcal K_i}(s\,g_i(\nu))\|\le\beta\qquad\forall i,\ s=\pm1,

with :math:`\mathcal K_i=\{u:(2D_i-I)Xu\ge0\}`; for the gated program (CG) it is
:math:`\|g_i(\nu)\|\le\beta`. The projection is computed from the dual NNLS problem (the cone
lemma, Moreau decomposition):

.. math:: \lambda^\star=\arg\min_{\lambda\ge0}\|g+X^\top S_i\lambda\|,\qquad
          \Pi_{\mathcal K_i}(g)=g+X^\top S_i\lambda^\star,\qquad S_i=2D_i-I .

Every :math:`\lambda\ge0` gives the upper bound :math:`\|\Pi_{\mathcal K_i}(g)\|\le\|g+X^\top S_i\lambda\|`
(the distance from :math:`g` to the polar cone), so an early-stopped solve still certifies a bound.
:func:`project_onto_cones` solves many such problems at once by the Lawson–Hanson active-set method,
vectorised over patterns: one ``X @ U`` matrix product per iteration for the whole batch, and the
inverse Gram matrices of the active constraints (at most ``d + 1`` of them) updated by one row at a
time. Warm starts (the active constraints of an earlier projection) usually finish in one iteration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._numerics import binary_exponent, safe_row_norms
from ..losses import get_loss

__all__ = [
    "project_onto_cone",
    "project_onto_cones",
    "ConeProjections",
    "pattern_correlations",
    "DualConstraint",
    "dual_constraint",
    "max_dual_violation",
    "gate_lower_bound",
    "dual_lower_bound",
]

#: constraint rows :math:`s_kx_k^\top u/\|x_k\|\ge-\text{PROJECTION_TOL}\,\|u\|` count as satisfied (or above
#: the rounding ``_ROUNDING`` :math:`\|g\|` of :math:`u=g+X^\top S\lambda`)
PROJECTION_TOL = 1e-12
_ROUNDING = 64 * np.finfo(float).eps
#: entries of :math:`X U` computed per chunk (bounds the memory of a batch to ~32 MB, plus 4 MB of row signs)
_CHUNK_ENTRIES = 4_000_000
#: Lawson–Hanson keeps inverse Gram matrices above this many slots (d + 1), and solves below (measured: the
#: inverse gained ~10% at d + 1 = 51, lost ~20% at 12 and broke even at 21)
_INVERSE_MIN_SLOTS = 32
#: multipliers with :math:`\sum_k\lambda_k\|e_k\|` above this many :math:`\|g\|` cancel in :math:`g+E^\top\lambda`
#: (three digits and more): the value is then recomputed in compensated arithmetic
_CANCELLATION = 2.0 ** 10
#: rows whose largest entry is more than this many binary orders below the largest of ``X`` are solved scaled by their
#: own power of two (the cone depends only on the rows' directions): their squared norms and products in the Gram
#: matrices would near the subnormal range. Measured (one to a third of the rows of random (n <= 12, d <= 4) data
#: scaled by 2^-k, 1200 projections per k, against scipy's NNLS on the unscaled rows): values flagged exact off by
#: more than 1e-9 relative plus 64 eps |g| from k = 510 (9), 520 (38) and 540 (694: the rows' squares underflow),
#: one at k = 200 (2.5e-14 for 1.9e-14 allowed), none at k = 0, 20, 50, 100, 300, ..., 500
_ROW_EXPONENT_RANGE = 256


@dataclass(frozen=True)
class ConeProjections:
    r"""Projections :math:`\Pi_{\mathcal K_b}(g_b)` of a batch of vectors onto their cones.

    Attributes
    ----------
    points : ndarray of shape (B, d)
        :math:`u_b=g_b+X^\top S_b\lambda_b`; the projection where ``exact``.
    values : ndarray of shape (B,)
        :math:`\|u_b\|`: the value :math:`\|\Pi_{\mathcal K_b}(g_b)\|` where ``exact``, an upper bound on
        it elsewhere (the solve stopped once the bound fell below ``stop_below``, or the method ended numerically
        outside the cone; there :math:`u_b` is recomputed on the exact rows in compensated arithmetic, and so where
        the multipliers cancel, so that no value is below the projection by more than rounding).
    active : ndarray of int of shape (B, d + 1)
        Rows :math:`k` with :math:`\lambda_{b,k}>0` (the active cone constraints), padded with ``-1``;
        pass it back as ``active=`` to warm-start a nearby projection.
    exact : ndarray of bool of shape (B,)
        Where ``values`` is the projection's norm up to rounding: :math:`u_b` lies in the cone (rows
        :math:`s_kx_k^\top u_b\ge-\|x_k\|\max(\text{tol}\,\|u_b\|,64\epsilon\|g_b\|)`, after any recomputation).
    n_iter : int
        Largest number of active-set iterations in the batch.
    """

    points: np.ndarray
    values: np.ndarray
    active: np.ndarray
    exact: np.ndarray
    n_iter: int


class _Batch:
    r"""Lawson–Hanson state for a chunk of projections: one row per vector, ``d + 1`` slots for active rows.

    Slots may have holes (``valid`` False); ``E`` caches the signed active rows :math:`s_kx_k` (zero in
    holes), so no step gathers from ``X`` more than the rows it adds. ``gram`` is :math:`A=EE^\top` on
    the active slots and the identity on the holes. With more than ``_INVERSE_MIN_SLOTS`` slots,
    ``inverse`` is :math:`A^{-1}`, kept up to date by the Schur complement when a row enters and leaves
    (:math:`O(d^2)` per step instead of a new solve) and recomputed where a solve through it leaves a
    residual; with fewer, each step solves with :math:`A` (cheaper there than the bookkeeping).
    """

    def __init__(self, X, row_signs, G, active):
        self.X, self.row_signs, self.G = X, row_signs, G  # row_signs (m, n) of +-1, G (m, d)
        m, d = G.shape
        self.slots = d + 1
        self.act = np.full((m, self.slots), -1, dtype=np.intp)
        self.lam = np.zeros((m, self.slots))
        self.E = np.zeros((m, self.slots, d))
        self.gram = np.broadcast_to(np.eye(self.slots), (m, self.slots, self.slots)).copy()
        self.inverse = self.gram.copy() if self.slots > _INVERSE_MIN_SLOTS else None
        self.Eg = np.zeros((m, self.slots))  # E g
        if active is not None:
            active = np.asarray(active, dtype=np.intp)[:, : self.slots]
            self.act[:, : active.shape[1]] = np.where(active >= 0, active, -1)
            vectors, slots = np.nonzero(self.act >= 0)  # (vectors sorted: a repeat is next to its first)
            several = np.any(vectors[1:] == vectors[:-1])
            (self.load_rows if several else self.set_rows)(vectors, slots, self.act[vectors, slots])

    @property
    def valid(self):
        return self.act >= 0

    def invert(self, vectors):
        """Recompute ``inverse`` of ``vectors`` from their Gram matrices."""
        if self.inverse is None:
            return
        try:
            self.inverse[vectors] = np.linalg.inv(self.gram[vectors])
        except np.linalg.LinAlgError:
            self.inverse[vectors] = np.linalg.pinv(self.gram[vectors], hermitian=True)

    def place(self, vectors, slots, rows):
        """Put data row ``rows[j]`` (signed for its pattern) into ``slots[j]`` (a hole) of vector ``vectors[j]``, with
        its product with :math:`g`; return the signed rows (the Gram matrices are the caller's)."""
        self.act[vectors, slots] = rows
        self.lam[vectors, slots] = 0.0
        new = self.row_signs[vectors, rows, None] * self.X[rows]
        self.E[vectors, slots] = new
        self.Eg[vectors, slots] = np.einsum("bd,bd->b", new, self.G[vectors])
        return new

    def load_rows(self, vectors, slots, rows):
        """:meth:`place` several rows per vector (a warm start), computing their Gram matrices whole."""
        self.place(vectors, slots, rows)
        changed = np.unique(vectors)
        E = self.E[changed]
        self.gram[changed] = np.matmul(E, E.transpose(0, 2, 1)) + np.eye(self.slots) * (self.act[changed] < 0)[:, None, :]
        self.invert(changed)

    def set_rows(self, vectors, slots, rows):
        r""":meth:`place` one row per vector (the ``vectors`` distinct), updating the Gram matrices by it.

        The inverse grows by the Schur complement :math:`\sigma=a_{jj}-a^\top A^{-1}a`
        of the new row, computed as its squared distance :math:`\|e-E^\top A^{-1}a\|^2` from the span of the
        active rows; where :math:`\sigma\le10^{-14}a_{jj}` the row is (numerically) a combination of them
        and the inverse is left as it was. Returns which rows are such (for each ``vectors[j]``).
        (Telling the warm start's several rows per vector from this case by ``np.unique`` at every Lawson–Hanson
        step cost 1 ms of a 33 ms cg solve of synthetic (200, 5, 50).)
        """
        new = self.place(vectors, slots, rows)
        here = np.arange(len(vectors))
        E = self.E[vectors]
        products = np.matmul(E, new[:, :, None])[:, :, 0]
        self.gram[vectors, slots, :] = products
        self.gram[vectors, :, slots] = products
        if self.inverse is None:
            return np.zeros(len(vectors), dtype=bool)
        diagonal = products[here, slots]
        products[here, slots] = 0.0
        inverse = self.inverse[vectors]
        column = np.matmul(inverse, products[:, :, None])  # A^{-1} a: zero on the holes and the new slot
        schur = np.square(new - np.matmul(column.transpose(0, 2, 1), E)[:, 0]).sum(axis=1)
        dependent = schur <= 1e-14 * diagonal
        grow = ~dependent
        vectors, slots, column, schur, inverse = vectors[grow], slots[grow], column[grow], schur[grow], inverse[grow]
        here = np.arange(len(vectors))
        scaled = column / schur[:, None, None]
        inverse += np.matmul(column, scaled.transpose(0, 2, 1))
        inverse[here, slots, :] = -scaled[:, :, 0]
        inverse[here, :, slots] = -scaled[:, :, 0]
        inverse[here, slots, slots] = 1.0 / schur
        self.inverse[vectors] = inverse
        return dependent

    def clear(self, vectors, slots):
        r"""Empty ``slots[j]`` of vector ``vectors[j]``: :math:`A^{-1}\leftarrow A^{-1}-A^{-1}e_je_j^\top A^{-1}/(A^{-1})_{jj}`."""
        if not len(vectors):
            return
        self.act[vectors, slots] = -1
        self.lam[vectors, slots] = 0.0
        self.E[vectors, slots] = 0.0
        self.gram[vectors, slots, :] = 0.0
        self.gram[vectors, :, slots] = 0.0
        self.gram[vectors, slots, slots] = 1.0
        self.Eg[vectors, slots] = 0.0
        if self.inverse is None:
            return
        if len(np.unique(vectors)) < len(vectors):
            self.invert(np.unique(vectors))
            return
        here = np.arange(len(vectors))
        inverse = self.inverse[vectors]
        column = inverse[here, :, slots][:, :, None]
        inverse -= np.matmul(column, (column / column[here, slots][:, None]).transpose(0, 2, 1))
        inverse[here, slots, :] = 0.0
        inverse[here, :, slots] = 0.0
        inverse[here, slots, slots] = 1.0
        self.inverse[vectors] = inverse

    def least_squares(self, idx):
        r"""Unconstrained :math:`z=\arg\min\|g+E^\top z\|` on the active rows (holes: z = 0): :math:`Az=-Eg`.

        :math:`z=A^{-1}(-Eg)`, refined once where its residual :math:`r=-Eg-Az` exceeds
        :math:`10^{-14}(\|Eg\|+\operatorname{tr}(A)\|z\|)`; where the refined residual still does, the
        inverse is recomputed.
        """
        valid = self.act[idx] >= 0
        gram = self.gram[idx]
        rhs = -self.Eg[idx][:, :, None]
        if self.inverse is None:
            try:
                z = np.linalg.solve(gram, rhs)
            except np.linalg.LinAlgError:
                z = np.matmul(np.linalg.pinv(gram, hermitian=True), rhs)
            return np.where(valid, z[:, :, 0], 0.0), valid
        inverse = self.inverse[idx]
        z = np.matmul(inverse, rhs)
        scale = 1e-14 * (np.linalg.norm(rhs[:, :, 0], axis=1) + np.einsum("bii->b", gram) * np.linalg.norm(z[:, :, 0], axis=1))

        def residual(rows):
            return rhs[rows] - np.matmul(gram[rows], z[rows])

        refine = np.flatnonzero(np.linalg.norm(residual(slice(None))[:, :, 0], axis=1) > scale)
        if len(refine):
            z[refine] += np.matmul(inverse[refine], residual(refine))
            stale = refine[np.linalg.norm(residual(refine)[:, :, 0], axis=1) > scale[refine]]
            if len(stale):
                self.invert(idx[stale])
                z[stale] = np.matmul(self.inverse[idx[stale]], rhs[stale])
        return np.where(valid, z[:, :, 0], 0.0), valid

    def points(self, idx):
        return self.G[idx] + np.einsum("bk,bkd->bd", self.lam[idx], self.E[idx])

    def restore_feasibility(self, idx, newest, dependent):
        r"""Lawson–Hanson inner loop: move :math:`\lambda` towards the least-squares point, keeping :math:`\lambda\ge0`.

        Returns the vectors whose newest row was ``dependent`` on the active ones (as :meth:`set_rows`
        found) or got a non-positive least-squares weight at the first solve (numerical end of the
        active-set method; the slot is cleared again).
        """
        self.clear(idx[dependent], newest[dependent])
        stalled = [idx[dependent]]
        idx, newest = idx[~dependent], newest[~dependent]
        z, valid = self.least_squares(idx)
        bad_new = z[np.arange(len(idx)), newest] <= 0
        stalled.append(idx[bad_new])
        self.clear(idx[bad_new], newest[bad_new])
        stalled = np.concatenate(stalled)
        idx, z, valid = idx[~bad_new], z[~bad_new], valid[~bad_new]
        while len(idx):
            negative = valid & (z <= 0)
            done = ~negative.any(axis=1)
            self.lam[idx[done]] = z[done]
            idx, z, valid, negative = idx[~done], z[~done], valid[~done], negative[~done]
            if not len(idx):
                break
            lam = self.lam[idx]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(negative, lam / (lam - z), np.inf)
            alpha = ratio.min(axis=1, keepdims=True)
            lam = lam + alpha * (z - lam)
            leaving = valid & ((ratio <= alpha) | (lam <= 0))  # the constraints that reached zero
            self.lam[idx] = np.where(leaving, 0.0, lam)
            vectors, slots = np.nonzero(leaving)
            self.clear(idx[vectors], slots)
            z, valid = self.least_squares(idx)
        return stalled


class _WorkingRows:
    r"""The signed unit rows :math:`s_kx_k/\|x_k\|` of each vector's working set, as a constraint check.

    Called as ``constraint_values(position, U)`` by :func:`_lawson_hanson_steps` with the (sorted)
    positions still running; the rows of the vectors that finished are dropped once they are 30% of
    those held, so a step neither copies the rows of the running vectors nor checks many finished ones.
    """

    def __init__(self, X_unit, row_signs, todo, rows):
        safe = np.where(rows >= 0, rows, 0)
        signs = np.where(rows >= 0, row_signs[todo[:, None], safe], 0)
        self.rows = rows
        self.E = X_unit[safe] * signs[:, :, None]  # (vectors, rows, d); zero in the padding
        self.padding = np.where(rows < 0, np.inf, 0.0)
        self.position = np.arange(len(todo))

    def __call__(self, position, U):
        if len(position) < 0.7 * len(self.position):
            keep = np.searchsorted(self.position, position)
            self.rows, self.E, self.padding = self.rows[keep], self.E[keep], self.padding[keep]
            self.position = position
        here = np.searchsorted(self.position, position)
        points = np.zeros((len(self.position), U.shape[1]))
        points[here] = U
        values = np.matmul(self.E, points[:, :, None])[:, :, 0]
        values += self.padding
        values = values[here]
        local = np.argmin(values, axis=1)
        return self.rows[here, local], values[np.arange(len(position)), local]


def _lawson_hanson_steps(batch, todo, constraint_values, threshold, stop_below, max_iter, steps):
    """Lawson–Hanson steps for the vectors ``todo`` until each satisfies the rows ``constraint_values`` sees.

    ``constraint_values(index, U)`` returns, for the vectors ``todo[index]`` at points ``U``, the most
    violated row (global index) and its normalised value. A vector leaves when those rows are satisfied,
    its bound falls below ``stop_below``, the method ends numerically, or ``max_iter`` steps were taken
    (``steps`` counts them per vector). Vectors whose newest row got no weight are returned as stalled.
    """
    position = np.arange(len(todo))
    stalled = []
    while len(position):
        index = todo[position]
        U = batch.points(index)
        worst, worst_value = constraint_values(position, U)
        act = batch.act[index]
        repeated = (act == worst[:, None]).any(axis=1)
        norms = np.linalg.norm(U, axis=1)
        leave = ((worst_value >= -threshold(index, norms)) | repeated | (norms <= stop_below[index])
                 | (steps[index] >= max_iter) | (act >= 0).all(axis=1))
        position, worst, act = position[~leave], worst[~leave], act[~leave]
        if not len(position):
            break
        index = todo[position]
        steps[index] += 1
        newest = np.argmax(act < 0, axis=1)  # first hole
        dependent = batch.set_rows(index, newest, worst)
        stuck = batch.restore_feasibility(index, newest, dependent)
        if len(stuck):
            stalled.append(stuck)
            position = position[~np.isin(index, stuck)]
    return np.concatenate(stalled) if stalled else np.zeros(0, dtype=np.intp)


def _nnls_projection(g, X_unit, signs, rows, threshold, rows_per_round, max_rounds=50):
    r""":math:`\Pi_{\mathcal K}(g)` by scipy's NNLS on a growing set of constraint rows (a robust fallback).

    Solves :math:`\min_{\lambda\ge0}\|g+E_W^\top\lambda\|` over the signed unit rows :math:`E_W` of the
    working set :math:`W` (started at ``rows``), adds the most violated rows of the whole cone, and stops
    when the point is inside it (then it is the projection: :math:`\lambda\ge0` is complementary on
    :math:`W` and zero elsewhere). Used where the vectorised active-set method ends numerically (its
    newest row repeats) at a point outside the cone. ``threshold(u)`` is how far below zero a row's
    normalised value may be at the point ``u``.

    Returns
    -------
    point : ndarray of shape (d,)
    active : ndarray of int
        Rows with :math:`\lambda_k>0`.
    inside : bool
    """
    from scipy.optimize import nnls

    working = np.unique(np.asarray(rows, dtype=np.intp)[np.asarray(rows) >= 0])
    point = g
    for _ in range(max_rounds):
        values = signs * (X_unit @ point)
        violated = np.flatnonzero(values < -threshold(point))
        if not len(violated):
            break
        worst = violated[np.argsort(values[violated])[:rows_per_round]]
        working = np.union1d(working, worst)
        E = signs[working, None] * X_unit[working]
        lam = nnls(E.T, -g, maxiter=50 * len(working) + 100)[0]
        point = g + E.T @ lam
        working = working[lam > 0]
    inside = bool(np.all(signs * (X_unit @ point) >= -threshold(point)))
    return point, working, inside


def _two_sum(a, b):
    r"""Error-free sum (Knuth): :math:`s=\mathrm{fl}(a+b)` and :math:`e` with :math:`s+e=a+b` exactly."""
    s = a + b
    b_part = s - a
    return s, (a - (s - b_part)) + (b - b_part)


def _two_product(a, b):
    r"""Error-free product (Dekker): :math:`p=\mathrm{fl}(ab)` and :math:`e` with :math:`p+e=ab` exactly.

    Each factor is split as :math:`a=a_h+a_l` with 26-bit halves (Veltkamp, factor :math:`2^{27}+1`), so the four
    partial products are exact (numpy has no fused multiply-add).
    """
    def halves(x):
        scaled = 134217729.0 * x
        high = scaled - (scaled - x)
        return high, x - high

    p = a * b
    a_high, a_low = halves(a)
    b_high, b_low = halves(b)
    return p, a_low * b_low - (((p - a_high * b_high) - a_low * b_high) - a_high * b_low)


def _combination(G, lam, E):
    r""":math:`u_b=g_b+E_b^\top\lambda_b` in compensated arithmetic (Ogita–Rump–Oishi ``Dot2``).

    The error is about :math:`\epsilon|u_b|+\epsilon^2\sum_k\lambda_{b,k}\|e_{b,k}\|` per entry, against
    :math:`\epsilon\sum_k\lambda_{b,k}\|e_{b,k}\|` for the plain sum: on nearly parallel rows of opposite signs
    (a thin wedge) :math:`\lambda\sim10^{11}\|g\|` and the plain sum loses all but 7 digits of :math:`u`.

    Parameters
    ----------
    G : ndarray of shape (m, d)
    lam : ndarray of shape (m, k)
    E : ndarray of shape (m, k, d)

    Returns
    -------
    ndarray of shape (m, d)
    """
    total, error = G.copy(), np.zeros_like(G)
    for k in range(lam.shape[1]):
        product, product_error = _two_product(lam[:, k, None], E[:, k])
        total, sum_error = _two_sum(total, product)
        error += product_error + sum_error
    return total + error


def _certified_points(G, E, lam):
    r"""The shortest of a few points :math:`g+E^\top\lambda` with :math:`\lambda\ge0`, summed accurately.

    Every :math:`\lambda\ge0` gives :math:`\|\Pi_{\mathcal K}(g)\|\le\|g+E^\top\lambda\|` (the distance from
    :math:`g` to the polar cone), so the norm of each point is an upper bound on the projection whatever the rows,
    once the point is summed accurately (:func:`_combination`). On the active rows of :math:`\Pi_{\mathcal K}(g)`
    it exceeds the projection by :math:`\|E^\top(\lambda-\lambda^\star)\|^2/(2\|\Pi_{\mathcal K}(g)\|)` only
    (:math:`E\,\Pi_{\mathcal K}(g)=0`). The candidates: :math:`\lambda=0`, the given multipliers, scipy's NNLS
    on the unit rows, and that NNLS point refined once on its positive rows against the accurate residual (a
    least-squares step by SVD, clipped at 0; clipping alone can throw a point far off where two rows nearly
    cancel, hence the others).

    Parameters
    ----------
    G : ndarray of shape (m, d)
    E : ndarray of shape (m, k, d)
        Signed constraint rows, zero rows for none.
    lam : ndarray of shape (m, k)
        Multipliers :math:`\ge0` of the rows ``E``.

    Returns
    -------
    ndarray of shape (m, d)
    """
    from scipy.optimize import nnls

    norms = np.linalg.norm(E, axis=2)
    inverse_norms = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    unit = (E * inverse_norms[:, :, None]).transpose(0, 2, 1)  # (m, d, k), unit columns
    fitted = np.zeros_like(lam)
    for b in range(len(G)):
        rows = norms[b] > 0
        if rows.any():
            fitted[b, rows] = nnls(unit[b][:, rows], -G[b], maxiter=50 * np.count_nonzero(rows) + 100)[0]
    fitted *= inverse_norms
    free = np.where((fitted > 0)[:, None, :], unit, 0.0)
    step = -np.matmul(np.linalg.pinv(free), _combination(G, fitted, E)[:, :, None])[:, :, 0] * inverse_norms
    candidates = np.stack([G, _combination(G, lam, E), _combination(G, fitted, E),
                           _combination(G, np.maximum(fitted + step, 0.0), E)])
    shortest = np.argmin(np.linalg.norm(candidates, axis=2), axis=0)
    return candidates[shortest, np.arange(len(G))]


def _project_chunk(X, X_unit, row_norms, masks, G, active, stop_below, tol, max_iter, rows_per_round):
    m, d = G.shape
    n = X.shape[0]
    # the signs s_k of each vector's rows, one contiguous row per vector: the full checks compute the constraint
    # values as (vectors, rows), so that signing them is a product and the minimum over the rows is contiguous
    # (argmin and argpartition along the columns of an (n, m) array cost several times the product with X);
    # int8 signs multiply as fast as float ones in an eighth of the memory
    row_signs = np.ascontiguousarray(np.where(masks.T, 1, -1).astype(np.int8))
    batch = _Batch(X, row_signs, G, active)
    # a row is satisfied at u when s_k x_k'u / ||x_k|| >= -tol ||u||, or above the rounding of u = g + E'lambda
    # (a tolerance relative to ||g|| let thin cones end with ||u|| far above ||Pi(g)||, which can be << ||g||)
    floor = _ROUNDING * np.linalg.norm(G, axis=1)

    def threshold(index, norms):
        return np.maximum(tol * norms, floor[index])
    points = np.zeros((m, d))
    values = np.zeros(m)
    exact = np.zeros(m, dtype=bool)
    steps = np.zeros(m, dtype=np.intp)
    stalled_at = np.zeros(m, dtype=bool)
    fallback = np.zeros(m, dtype=bool)
    # warm start: keep the largest positive subset of the given active rows
    todo = np.flatnonzero(batch.valid.any(axis=1))
    while len(todo):
        z, valid = batch.least_squares(todo)
        positive = valid & (z > 0)
        ok = (positive == valid).all(axis=1)
        batch.lam[todo[ok]] = z[ok]
        todo = todo[~ok]
        vectors, slots = np.nonzero(valid[~ok] & ~positive[~ok])
        batch.clear(todo[vectors], slots)
        batch.lam[todo] = 0.0
        todo = todo[batch.valid[todo].any(axis=1)]
    # Rows are checked in full once per round (one matrix product for the batch); between two full
    # checks the method works on a small set of rows per vector, grown by the most violated rows of
    # each check. With few rows the set is all of them and every step is a full check: up to 16 times rows_per_round
    # (64 d for d >= 5) a full check per step costs less than the extra rounds of full checks and working sets
    # (measured, median cg solves: synthetic (200, 5, 50) 41 -> 35 ms, diabetes 155 -> 130 ms; (1000, 10, 200) the same
    # with none)
    subsets = n > 16 * rows_per_round
    working = np.zeros((m, 0), dtype=np.intp)
    todo = np.arange(m)
    while len(todo):
        U = batch.points(todo)
        C = U @ X_unit.T  # normalised constraint values s_k x_k^T u / ||x_k||, shape (vectors, rows)
        C *= row_signs[todo]
        worst = np.argmin(C, axis=1)
        worst_value = C[np.arange(len(todo)), worst]
        norms = np.linalg.norm(U, axis=1)
        feasible = worst_value >= -threshold(todo, norms)
        act = batch.act[todo]
        repeated = (act == worst[:, None]).any(axis=1)  # numerical end of the method
        full = (act >= 0).all(axis=1)  # d + 1 active rows: (numerically) dependent ones got in, as on thin cones
        finished = feasible | repeated | (norms <= stop_below[todo]) | (steps[todo] >= max_iter) | full
        done = todo[finished]
        points[done], values[done] = U[finished], norms[finished]
        exact[done] = feasible[finished]
        ended = (repeated | stalled_at[todo] | full) & ~feasible & (norms > stop_below[todo])
        for j in np.flatnonzero(finished & ended):  # the method ended numerically outside the cone
            vector = todo[j]
            point, rows, inside = _nnls_projection(G[vector], X_unit, row_signs[vector], batch.act[vector],
                                                   lambda u, v=vector: threshold(v, np.linalg.norm(u)),
                                                   rows_per_round)
            points[vector], values[vector], exact[vector] = point, np.linalg.norm(point), inside
            fallback[vector] = True
            batch.act[vector] = -1
            batch.act[vector, : min(len(rows), batch.slots)] = rows[: batch.slots]
        todo, C, worst = todo[~finished], C[~finished], worst[~finished]
        if not len(todo):
            break
        if subsets:
            count = min(rows_per_round, n - 1)
            new_rows = np.argpartition(C, count, axis=1)[:, :count]  # the most violated rows of each vector
            grown = np.full((m, working.shape[1] + count), -1, dtype=np.intp)
            grown[:, : working.shape[1]] = working
            grown[todo, working.shape[1]:] = new_rows
            working = grown
            constraint_values = _WorkingRows(X_unit, row_signs, todo, working[todo])
        else:
            def constraint_values(position, U, first=[True], worst=worst):
                if first[0]:  # the full check above already found the worst rows
                    first[0] = False
                    index = todo[position]
                    return worst[position], np.full(len(position), -np.inf)
                index = todo[position]
                C = U @ X_unit.T
                C *= row_signs[index]
                rows = np.argmin(C, axis=1)
                return rows, C[np.arange(len(index)), rows]
        stalled = _lawson_hanson_steps(batch, todo, constraint_values, threshold, stop_below, max_iter, steps)
        if len(stalled):  # the next full check decides: inside the cone, or the NNLS fallback
            steps[stalled] = max_iter
            stalled_at[stalled] = True
    # The values must never be below the projections (the certificate rests on them). Where the method ended outside
    # the cone, or its multipliers cancel (the plain sum u = g + E'lambda then has an error ~ eps sum lambda_k |e_k|),
    # the value is recomputed as a certified upper bound on the exact rows
    row_norms = np.append(row_norms, 0.0)  # the last for the holes (index -1)
    cancelling = np.einsum("bk,bk->b", batch.lam, row_norms[batch.act]) > _CANCELLATION * np.linalg.norm(G, axis=1)
    recheck = np.flatnonzero((~exact & (values > stop_below)) | fallback | cancelling)
    if len(recheck):
        rows = batch.act[recheck]
        signs = np.where(rows >= 0, row_signs[recheck[:, None], np.maximum(rows, 0)], 0)
        E = X[np.maximum(rows, 0)] * signs[:, :, None]
        lam = np.zeros(rows.shape)  # the method's multipliers where its rows are still the active ones
        kept = ~fallback[recheck]
        lam[kept] = batch.lam[recheck[kept]]
        points[recheck] = _certified_points(G[recheck], E, lam)
        values[recheck] = safe_row_norms(points[recheck])
        # exact only where the recomputed point is still inside the cone: the upper bound of a point outside it (the
        # multipliers of the NNLS fallback on other rows than those the recomputation can use) is not the projection
        inside = ((points[recheck] @ X_unit.T) * row_signs[recheck]).min(axis=1, initial=np.inf)
        exact[recheck] &= inside >= -threshold(recheck, values[recheck])
    return points, values, batch.act, exact, int(steps.max(initial=0))


def project_onto_cones(G, X, masks, *, active=None, stop_below=None, tol=PROJECTION_TOL, max_iter=None):
    r"""Project every column :math:`g_b` of ``G`` onto its cone :math:`\mathcal K_b=\{u:(2D_b-I)Xu\ge0\}`.

    Lawson–Hanson on :math:`\min_{\lambda\ge0}\|g_b+X^\top S_b\lambda\|`, vectorised over ``b``;
    :math:`\Pi_{\mathcal K_b}(g_b)=g_b+X^\top S_b\lambda^\star` (THEORY §D, cone lemma).

    Parameters
    ----------
    G : ndarray of shape (d, B)
        Vectors to project, one per column.
    X : ndarray of shape (n, d)
    masks : bool ndarray of shape (n, B)
        Diagonal of :math:`D_b` for each column.
    active : int ndarray of shape (B, k), optional
        Warm start: rows believed active (``-1`` = none), e.g. ``ConeProjections.active`` of an
        earlier call.
    stop_below : float or ndarray of shape (B,), optional
        Stop a projection as soon as its upper bound :math:`\|g_b+X^\top S_b\lambda\|` is at most
        this (then ``values`` is that bound and ``exact`` is False). Default: solve exactly.
    tol : float
        A constraint row counts as satisfied when :math:`s_kx_k^\top u\ge-\|x_k\|\max(\text{tol}\,\|u\|,\
        64\epsilon\|g_b\|)`: relative to the point, down to the rounding of :math:`u=g_b+X^\top S_b\lambda`.
    max_iter : int, optional
        Cap on active-set iterations (default ``20 d + 100``).

    Returns
    -------
    ConeProjections
    """
    G = np.asarray(G, dtype=float)
    X = np.asarray(X, dtype=float)
    masks = np.asarray(masks, dtype=bool)
    if G.ndim != 2 or masks.ndim != 2 or G.shape[0] != X.shape[1] or masks.shape != (X.shape[0], G.shape[1]):
        raise ValueError(f"G must be (d, B) and masks (n, B) for X of shape {X.shape}, got {G.shape} and {masks.shape}.")
    n, d = X.shape
    B = G.shape[1]
    stop_below = np.broadcast_to(-np.inf if stop_below is None else np.asarray(stop_below, dtype=float), (B,))
    max_iter = 20 * d + 100 if max_iter is None else int(max_iter)
    # The cones are those of X with each row x_k scaled by any c_k > 0, and Pi_K(c g) = c Pi_K(g) for c > 0: X, and each
    # g_b, are solved scaled by powers of two (exact) to a largest entry in [1/2, 1), so that no squared norm or Gram
    # matrix underflows or overflows; a row more than _ROW_EXPONENT_RANGE binary orders below the largest (a subnormal
    # row beside normal ones) is scaled to a largest entry in [1/2, 1) by itself
    largest = np.abs(X).max(axis=1, initial=0.0)
    scale = binary_exponent(largest.max(initial=0.0))
    row_scale = binary_exponent(largest)
    row_scale = np.where((largest > 0) & (row_scale < scale - _ROW_EXPONENT_RANGE), row_scale, scale)
    X = np.ldexp(X, -row_scale[:, None])
    row_norms = safe_row_norms(X)
    # divided, not multiplied by 1/||x_k||, which overflows for rows of subnormal size
    X_unit = X / np.where(row_norms > 0, row_norms, 1.0)[:, None]
    exponent = binary_exponent(np.abs(G).max(axis=0, initial=0.0))
    G = np.ldexp(G, -exponent)
    stop_below = np.ldexp(stop_below, -exponent)
    points = np.zeros((B, d))
    values = np.zeros(B)
    act = np.full((B, d + 1), -1, dtype=np.intp)
    exact = np.zeros(B, dtype=bool)
    n_iter = 0
    chunk = max(1, _CHUNK_ENTRIES // max(n, 1))
    for start in range(0, B, chunk):
        part = slice(start, min(B, start + chunk))
        warm = None if active is None else np.asarray(active)[part]
        p, v, a, e, k = _project_chunk(X, X_unit, row_norms, masks[:, part], G[:, part].T.copy(), warm, stop_below[part],
                                       tol, max_iter, max(4 * d, 20))
        points[part], values[part], act[part], exact[part] = p, v, a, e
        n_iter = max(n_iter, k)
    return ConeProjections(np.ldexp(points, exponent[:, None]), np.ldexp(values, exponent), act, exact, n_iter)


def project_onto_cone(g, X, mask):
    r"""Euclidean projection of ``g`` onto :math:`\mathcal K=\{u:(2D-I)Xu\ge0\}`.

    Parameters
    ----------
    g : ndarray of shape (d,)
    X : ndarray of shape (n, d)
    mask : bool ndarray of shape (n,)
        The diagonal of :math:`D`.

    Returns
    -------
    ndarray of shape (d,)
        :math:`\Pi_{\mathcal K}(g)=g+X^\top S\lambda^\star` with
        :math:`\lambda^\star=\arg\min_{\lambda\ge0}\|X^\top S\lambda+g\|` (see :func:`project_onto_cones`).
    """
    g = np.asarray(g, dtype=float)
    return project_onto_cones(g[:, None], X, np.asarray(mask, dtype=bool)[:, None]).points[0]


def pattern_correlations(nu, X, masks):
    r"""Return :math:`G=[g_1,\dots,g_P]`, :math:`g_i=X^\top D_i\nu`, shape (d, P) (or (d, P, c) for matrix ``nu``)."""
    if np.ndim(nu) == 1:
        return X.T @ (masks * nu[:, None])
    return np.einsum("nd,np,nc->dpc", X, masks.astype(float), nu)


@dataclass(frozen=True)
class DualConstraint:
    r"""Values of the dual constraint at :math:`\nu` for every pattern and sign.

    Attributes
    ----------
    values : ndarray of shape (P, 2)
        ``values[i, 0]`` :math:`=\|\Pi_{\mathcal K_i}(g_i)\|`, ``values[i, 1]``
        :math:`=\|\Pi_{\mathcal K_i}(-g_i)\|` (gated: both :math:`\|g_i\|`).
    directions : ndarray of shape (P, 2, d)
        The unit maximizers :math:`\Pi_{\mathcal K_i}(\pm g_i)/\|\cdot\|` (zero where the value is 0).
    """

    values: np.ndarray
    directions: np.ndarray

    @property
    def max_value(self):
        """:math:`V(\\nu)=\\max_{i,s}` of the values (0 with no patterns)."""
        return float(self.values.max()) if self.values.size else 0.0

    @property
    def argmax(self):
        """``(pattern index, sign)`` of the largest value, sign in {+1, -1}."""
        i, k = np.unravel_index(int(np.argmax(self.values)), self.values.shape)
        return int(i), (1 if k == 0 else -1)


def _unit(points, values):
    """The rows of ``points`` normalised where ``values`` (their norms) are positive, zero elsewhere.

    The norms are :func:`~sklearn_convexnn._numerics.safe_row_norms`: the plain norm of a row of tiny entries
    underflows (1e-156 squared).
    """
    norms = safe_row_norms(points)
    keep = (values > 0) & (norms > 0)
    return np.where(keep[:, None], points / np.where(keep, norms, 1.0)[:, None], 0.0)


def dual_constraint(nu, X, masks, activation="relu", above=None):
    r"""Evaluate :math:`\|\Pi_{\mathcal K_i}(\pm X^\top D_i\nu)\|` for every pattern (THEORY §D).

    Parameters
    ----------
    nu : ndarray of shape (n,)
    X : ndarray of shape (n, d)
    masks : bool ndarray of shape (n, P)
    activation : {"relu", "gated"}
        ``"gated"`` drops the cones: the value is :math:`\|g_i\|` for both signs.
    above : float, optional
        Only the values above this are needed exactly (the violators of a threshold): a value at most
        ``above`` may be returned as an upper bound, with a zero direction. Patterns with
        :math:`\|g_i\|\le` ``above`` are not projected (:math:`\|\Pi_{\mathcal K}(g)\|\le\|g\|`) and a
        projection stops once its bound is at most ``above``. ``max_value`` is then exact when above
        ``above`` and an upper bound otherwise. Default: every value exact.

    Returns
    -------
    DualConstraint
    """
    X = np.asarray(X, dtype=float)
    masks = np.asarray(masks, dtype=bool)
    G = pattern_correlations(np.asarray(nu, dtype=float), X, masks)
    d, P = G.shape
    values = np.zeros((P, 2))
    directions = np.zeros((P, 2, d))
    for k, sign in enumerate((1.0, -1.0)):
        if activation == "gated":
            points = sign * G.T
            norms = safe_row_norms(points)
        elif above is None:
            projections = project_onto_cones(sign * G, X, masks)
            points, norms = projections.points, projections.values
        else:
            norms = safe_row_norms(G.T)
            points = np.zeros((P, d))
            candidates = np.flatnonzero(norms > above)
            if len(candidates):
                projections = project_onto_cones(sign * G[:, candidates], X, masks[:, candidates], stop_below=above)
                norms[candidates] = projections.values
                points[candidates] = np.where(projections.exact[:, None], projections.points, 0.0)
        values[:, k] = norms
        directions[:, k] = _unit(points, norms)
    return DualConstraint(values, directions)


def max_dual_violation(nu, X, masks, activation="relu", blocks=None, active=None, enough=None):
    r"""Return :math:`(V(\nu), i^\star, s^\star, \bar u^\star)` without projecting every pattern exactly.

    ``blocks`` (bool, (P, 2)) restricts the maximum to the existing blocks: column 0 for
    :math:`+g_i` (the :math:`u_i`), column 1 for :math:`-g_i` (the :math:`v_i`); default all
    (gated: the value is :math:`\|g_i\|` for either sign). ``active`` (int, (P, 2, k), ``-1``
    padded) optionally warm-starts the projection of :math:`\pm g_i` with the cone constraints active
    at a nearby :math:`\nu` (a solver's last pricing); it changes the speed, not the result.

    Uses :math:`\|\Pi_{\mathcal K}(g)\|\le\|g\|`: patterns are visited in batches by decreasing
    :math:`\|g_i\|` (of doubling size; with ``active``, 16 and then all the rest); a batch stops once
    :math:`\|g_i\|` cannot beat the best value found, and a projection stops as soon as its upper bound
    cannot beat it either. The result equals ``dual_constraint(...).max_value`` (over the existing
    blocks). With ``enough``, the search ends
    after the first batch that finds an exact value above it, which shows :math:`V(\nu)>` ``enough``;
    the value returned is then the largest found so far (at least that exact value), not necessarily
    :math:`V(\nu)`.

    Returns
    -------
    value : float
    pattern : int
    sign : int
    direction : ndarray of shape (d,)
    """
    X = np.asarray(X, dtype=float)
    masks = np.asarray(masks, dtype=bool)
    G = pattern_correlations(np.asarray(nu, dtype=float), X, masks)
    d, P = G.shape
    if P == 0:
        return 0.0, -1, 1, np.zeros(d)
    norms = safe_row_norms(G.T)
    if not np.all(np.isfinite(norms)):  # no candidate compares with the best: the search would be empty
        raise ValueError("X and y: the dual correlations X^T D_i nu are not finite (the products overflow float64); "
                         "rescale X and y.")
    blocks = np.ones((P, 2), dtype=bool) if blocks is None else np.asarray(blocks, dtype=bool)
    present = blocks.any(axis=1)
    if not present.any():
        return 0.0, -1, 1, np.zeros(d)
    norms = np.where(present, norms, -1.0)
    if activation == "gated":
        i = int(np.argmax(norms))
        direction = _unit(G[:, i][None], norms[i:i + 1])[0]
        return float(max(norms[i], 0.0)), i, 1, direction
    candidates = [(i, k) for i in np.argsort(-norms, kind="stable") for k in (0, 1) if blocks[i, k]]
    best = (0.0, candidates[0][0], 1 if candidates[0][1] == 0 else -1, np.zeros(d))
    batch_size = 16
    start = 0
    while start < len(candidates):
        if norms[candidates[start][0]] <= best[0]:
            break
        batch = [c for c in candidates[start:start + batch_size] if norms[c[0]] > best[0]]
        start += batch_size
        # warm-started from a solver's last pricing, the first batch's best exact value is already near V(nu), and the
        # rest is one batch (the candidates whose bounds exceed it: those doubling batches would visit, less the
        # calls; ConvexProgram.solution after a cg solve: synthetic (200, 5, 50) 1.36 -> 1.10 ms in 2 batches
        # instead of 3, (1000, 10, 200) 7.4 -> 6.1 ms, (5000, 20, 500) 64.5 -> 62.7 ms)
        batch_size = len(candidates) if active is not None else 2 * batch_size
        index = np.array([i for i, _ in batch])
        signs = np.array([1.0 if k == 0 else -1.0 for _, k in batch])
        warm = None if active is None else np.asarray(active)[index, np.where(signs > 0, 0, 1)]
        projections = _project_above(G[:, index] * signs, X, masks[:, index], warm, best[0])
        j = int(np.lexsort((~projections.exact, -projections.values))[0])  # the largest value, exact among equals
        value = float(projections.values[j])
        if value > best[0]:  # exact, or an upper bound when the iteration cap was hit (conservative)
            best = (value, int(index[j]), int(signs[j]), _unit(projections.points[j][None], np.array([value]))[0])
        if enough is not None and projections.exact[j] and value > enough:  # V >= this exact value > enough
            break
    return best


def _project_above(G, X, masks, active, stop_below):
    r""":func:`project_onto_cones` with ``stop_below``, from the warm start ``active`` (or None) in two passes.

    The first pass only evaluates the warm starts: where a point is inside its cone it is the projection (exact),
    and the largest such value is a lower bound on the largest projection; the second projects the others
    whose bounds exceed it, stopping at it. A warm start from a solver's last pricing is exact for the
    support's blocks, whose value is :math:`V(\nu)` at the optimum, while the blocks its pricing stopped early need
    several more active-set steps to be exact; stopping them at that value took ``ConvexProgram.solution`` after a
    cg solve of synthetic (200, 5, 50) from 3.1 to 1.7 ms (its first batch of 16 projections took 7 steps, now 0).
    The values above ``stop_below`` are those of a single pass.
    """
    if active is None:
        return project_onto_cones(G, X, masks, stop_below=stop_below)
    at_warm = project_onto_cones(G, X, masks, active=active, stop_below=np.inf)
    lower = max(stop_below, float(at_warm.values[at_warm.exact].max(initial=-np.inf)))
    rest = np.flatnonzero(~at_warm.exact & (at_warm.values > lower))
    if not len(rest):
        return at_warm
    more = project_onto_cones(G[:, rest], X, masks[:, rest], active=at_warm.active[rest], stop_below=lower)
    points, values, act, exact = (field.copy() for field in (at_warm.points, at_warm.values, at_warm.active,
                                                             at_warm.exact))
    points[rest], values[rest], act[rest], exact[rest] = more.points, more.values, more.active, more.exact
    return ConeProjections(points, values, act, exact, more.n_iter)


def gate_lower_bound(nu, X, masks, gates, blocks=None):
    r"""A lower bound on :math:`V(\nu)` from the gates, without projecting: one product with :math:`X`.

    For a unit :math:`\bar u\in\mathcal K_i`, :math:`s\langle g_i,\bar u\rangle\le\|\Pi_{\mathcal K_i}
    (s\,g_i)\|` (:math:`s\,g_i=\Pi_{\mathcal K_i}(s\,g_i)+\Pi_{\mathcal K_i^\circ}(s\,g_i)` and the polar
    part has :math:`\langle\cdot,\bar u\rangle\le0`). A gate :math:`h_i` generates its pattern, so
    :math:`h_i/\|h_i\|\in\mathcal K_i`; the bound is the largest :math:`s\langle g_i,h_i\rangle/\|h_i\|`
    over the existing blocks, taken at the best gate of each sign whose cone constraints hold in floating
    point (checked: an arrangement's gates may act on other columns, then the bound is 0).

    Parameters
    ----------
    nu : ndarray of shape (n,)
    X : ndarray of shape (n, d)
    masks : bool ndarray of shape (n, P)
    gates : ndarray of shape (d', P)
    blocks : bool ndarray of shape (P, 2), optional
        As in :func:`max_dual_violation` (default: all).

    Returns
    -------
    float
        At most :math:`V(\nu)` (ReLU program; the gated program's values :math:`\|g_i\|` are larger still).
    """
    X = np.asarray(X, dtype=float)
    gates = np.asarray(gates, dtype=float)
    P = masks.shape[1]
    if gates.shape != (X.shape[1], P) or P == 0:
        return 0.0
    blocks = np.ones((P, 2), dtype=bool) if blocks is None else np.asarray(blocks, dtype=bool)
    gate_norms = np.linalg.norm(gates, axis=0)
    units = gates / np.where(gate_norms > 0, gate_norms, 1.0)
    values = np.einsum("dp,dp->p", pattern_correlations(np.asarray(nu, dtype=float), X, masks), units)
    best = 0.0
    for column, sign in ((0, 1.0), (1, -1.0)):
        candidates = np.where((gate_norms > 0) & blocks[:, column], sign * values, -np.inf)
        i = int(np.argmax(candidates))
        if candidates[i] > best:
            products = X @ units[:, i]
            if np.all(np.where(masks[:, i], products, -products) >= 0):
                best = float(candidates[i])
    return best


def dual_lower_bound(nu, y, beta, violation, loss="squared"):
    r"""A valid lower bound on the optimum of the convex program (THEORY §F step 3).

    :math:`-L^*(-\nu/\rho)` with :math:`\rho=\max(1,V/\beta)`: the scaled vector is dual feasible
    for the patterns over which :math:`V` was computed, and scaling keeps the logistic domain.

    Parameters
    ----------
    nu : ndarray of shape (n,)
    y : ndarray of shape (n,)
    beta : float
    violation : float
        :math:`V(\nu)`.
    loss : {"squared", "logistic"}

    Returns
    -------
    float
    """
    rho = max(1.0, float(violation) / beta)
    return get_loss(loss).dual_objective(np.asarray(nu) / rho, y)
