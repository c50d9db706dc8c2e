r"""The set of all optimal networks: fixed directions and the optimal polytope (THEORY.md §D).

Given the optimal fit :math:`\hat y^*` and dual :math:`\nu^*=-\nabla L(\hat y^*)`, every optimal
block of the convex program (C) points along a *fixed* direction: for pattern :math:`D_i` and sign
:math:`s=\pm1`, :math:`\bar u=\Pi_{\mathcal K_i}(s\,X^\top D_i\nu^*)/\beta`, and only the signed
directions whose projection has norm exactly :math:`\beta` ("tight") can be used. With the distinct
tight signed unit directions :math:`(s_j,u_j)_{j=1}^p` and their columns
:math:`a_j=s_j(\tilde Xu_j)_+`, every optimal convex solution (and, after splitting, every optimal
network) is described by a coefficient vector in the polytope

.. math:: \mathcal C=\{c\in\mathbb R^p_{\ge0}:\ Ac=\hat y^*\},\qquad
          \mathbf 1^\top c=\langle\nu^*,\hat y^*\rangle/\beta\ \text{on all of}\ \mathcal C,

the network of :math:`c` having neurons :math:`\tilde w_j=\sqrt{c_j}\,u_j`,
:math:`\alpha_j=s_j\sqrt{c_j}`. Its vertices are the irreducible optimal solutions (independent
active columns); :math:`m^*` and :math:`M^*` are their smallest and largest support.

:func:`optimal_set` implements steps 1–10 of THEORY §D: solve (C), polish the solution to machine
accuracy, find the tight directions by cone projection, de-duplicate them by direction, and expose
the polytope with its vertices, :math:`m^*` (also by a MILP), :math:`M^*`, its dimension and its
minimum-norm point.

Polishing (step 5) is done on the KKT system rather than on :math:`\min_{c\ge0}L(Ac)+\beta\mathbf
1^\top c` with *fixed* columns: the columns depend on :math:`\nu^*`, and an interior-point
:math:`\nu^*` is only accurate to about the square root of the solver's gap (1e-5 on the 2-D teaching
data), so fixed-column polishing and recomputing the directions drifted away (by 1e-5, 2e-4, 2e-3,
3e-2 in four rounds on that data). Newton's method on :math:`(\nu, c)`, with each active block's
projection written on its face of the cone, converges to machine precision in a few steps.
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.optimize import LinearConstraint, linprog, milp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from .._numerics import safe_norm, safe_row_norms
from ..arrangements import Arrangement, add_intercept, enumerate_patterns
from ..convex.dual import dual_constraint, dual_lower_bound
from ..convex.program import ConvexProgram
from ..losses import check_targets_for_loss, get_loss
from ..network import ReLUNetwork, check_beta, check_data
from .certificate import check_beta_resolution, network_rounding_scales
from .stationary import refine_restricted

__all__ = ["OptimalPolytope", "OptimalSet", "optimal_set", "MAX_VERTEX_SUBSETS"]

#: vertices() refuses when more supports than this would have to be checked.
MAX_VERTEX_SUBSETS = 100_000
# Singular values below this fraction of the largest make a set of columns dependent.
_RANK_RTOL = 1e-9
# Relative residual |A_S c_S - y*| / |y*| accepted for a vertex (plus _TERMS_RTOL times the size of the terms).
_RESIDUAL_RTOL = 1e-8
# Rounding of A c relative to the size max_j |a_j| 1'c of its terms (~4500 eps).
_TERMS_RTOL = 1e-12
# The row 1'c = Sigma is added to the reduced system where it is this far (relative) from the span of its rows.
_SUM_ROW_RTOL = 1e-6
# Coefficients below this fraction of 1'c are zero (vertex supports, LP/MILP outputs).
_SUPPORT_RTOL = 1e-9
# LP/MILP answers are read with HiGHS' feasibility tolerance (1e-7) in scaled units.
_LP_SUPPORT_TOL = 1e-6


def _resolve_rng(random_state):
    """A numpy Generator or RandomState from an int, None, Generator or RandomState."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    return check_random_state(random_state)


def _is_independent(columns):
    """Whether the columns of a matrix are linearly independent (relative SVD test)."""
    if columns.shape[1] == 0:
        return True
    if columns.shape[1] > columns.shape[0]:
        return False
    singular = np.linalg.svd(columns, compute_uv=False)
    return bool(singular[-1] > _RANK_RTOL * max(singular[0], 1e-300))


def _rank(columns):
    if columns.size == 0:
        return 0
    singular = np.linalg.svd(columns, compute_uv=False)
    return int(np.sum(singular > _RANK_RTOL * singular[0])) if singular[0] > 0 else 0


@dataclass(frozen=True, eq=False)
class OptimalPolytope:
    r"""The optimal set in coefficient space, :math:`\mathcal C=\{c\ge0:\ Ac=\hat y^*\}`.

    Attributes
    ----------
    columns : ndarray of shape (n, p)
        :math:`A=[a_1,\dots,a_p]`, :math:`a_j=s_j(\tilde Xu_j)_+`.
    fit : ndarray of shape (n,)
        :math:`\hat y^*`, the right-hand side.
    coefficient_sum : float
        :math:`\mathbf 1^\top c=\langle\nu^*,\hat y^*\rangle/\beta`, the same at every point of
        :math:`\mathcal C` (so :math:`\ell_1` selection is useless here).
    """

    columns: np.ndarray
    fit: np.ndarray
    coefficient_sum: float

    @property
    def n_directions(self):
        """Number :math:`p` of coefficients."""
        return self.columns.shape[1]

    @cached_property
    def rank(self):
        """:math:`\\operatorname{rank}A`."""
        return _rank(self.columns)

    @cached_property
    def _sizes(self):
        r"""``(||y*||, terms)``, the size of the fit's terms
        :math:`\max_j\|a_j\|\,\mathbf 1^\top c\ge\|\sum_jc_ja_j\|`."""
        largest = float(safe_row_norms(self.columns.T).max(initial=0.0))
        return safe_norm(self.fit), largest * self.coefficient_sum

    def _residual_tolerance(self, rtol):
        r"""Residuals :math:`\|Ac-\hat y^*\|` accepted: ``rtol`` relative to :math:`\|\hat y^*\|` (in the units of
        :math:`y`: an absolute floor of 1 accepted every point of a problem in small units of y as a vertex), plus
        the rounding of the terms, :math:`10^{-12}\max_j\|a_j\|\mathbf 1^\top c` (which may cancel: on unscaled
        data, terms 5e4 times the fit, ``rtol`` times the terms accepted a support 5e-4 off the fit as a vertex)."""
        fit, terms = self._sizes
        return max(rtol * fit + _TERMS_RTOL * terms, np.finfo(float).smallest_normal)

    def contains(self, coefficients, atol=1e-8):
        r"""Return whether :math:`c\ge0` and :math:`Ac=\hat y^*` to a relative tolerance ``atol``.

        Parameters
        ----------
        coefficients : array of shape (p,)
        atol : float, default=1e-8
            Relative to :math:`\|\hat y^*\|` (residual, plus :math:`10^{-12}\max_j\|a_j\|\mathbf 1^\top c` for the
            rounding of the fit's terms) and to :math:`\mathbf 1^\top c` (signs).

        Returns
        -------
        bool
        """
        c = np.asarray(coefficients, dtype=float)
        if c.shape != (self.n_directions,):
            raise ValueError(f"coefficients must have shape ({self.n_directions},), got {c.shape}.")
        total = max(self.coefficient_sum, 1e-300)
        nonnegative = np.all(c >= -atol * total)
        residual = np.linalg.norm(self.columns @ c - self.fit)
        return bool(nonnegative and residual <= self._residual_tolerance(atol))

    # ----------------------------------------------------------- reduced system
    @cached_property
    def _reduced(self):
        r"""``(A_red, b_red)``: :math:`(\Sigma/\|\hat y^*\|)\,Q^\top A\,(c/\Sigma)=Q^\top\hat y^*/\|\hat y^*\|`
        with :math:`Q` an orthonormal basis of :math:`\operatorname{range}A` and
        :math:`\Sigma=\mathbf 1^\top c`, for the unknown :math:`c/\Sigma`: HiGHS sees full-row-rank
        equalities whose matrix, right-hand side and solution are all of order one (its tolerances are
        absolute, and it drops matrix entries below 1e-9)."""
        U, singular, _ = np.linalg.svd(self.columns, full_matrices=False)
        Q = U[:, : self.rank]
        size = max(float(np.linalg.norm(self.fit)), 1e-300)
        A_red, b_red = (self.coefficient_sum / size) * (Q.T @ self.columns), Q.T @ self.fit / size
        # 1'c = Sigma follows from Ac = y* (nu*'A = beta 1'), but not from the rank-truncated rows when a column
        # is below the rank tolerance (HiGHS then finds the LPs unbounded along it): state it where it is lost
        _, _, Vt = np.linalg.svd(A_red, full_matrices=False)
        ones = np.ones(self.n_directions)
        lost = ones - Vt.T @ (Vt @ ones)
        if np.linalg.norm(lost) > _SUM_ROW_RTOL * np.sqrt(self.n_directions):
            A_red, b_red = np.vstack([A_red, ones]), np.append(b_red, 1.0)
        return A_red, b_red

    def point_on_support(self, support):
        r"""Return the point of :math:`\mathcal C` with support exactly ``support`` when it is a vertex.

        Parameters
        ----------
        support : array of int
            Indices :math:`S`.

        Returns
        -------
        ndarray of shape (p,) or None
            :math:`c` with :math:`c_S=A_S^+\hat y^*` when :math:`A_S` has independent columns,
            :math:`A_Sc_S=\hat y^*` and :math:`c_S>0`; otherwise None.
        """
        support = np.asarray(support, dtype=int)
        A_S = self.columns[:, support]
        if not _is_independent(A_S):
            return None
        c_S, *_ = np.linalg.lstsq(A_S, self.fit, rcond=None)
        if np.linalg.norm(A_S @ c_S - self.fit) > self._residual_tolerance(_RESIDUAL_RTOL):
            return None
        if np.any(c_S <= _SUPPORT_RTOL * self.coefficient_sum):
            return None
        c = np.zeros(self.n_directions)
        c[support] = c_S
        return c

    def n_vertex_subsets(self):
        r"""Return the number of supports :meth:`vertices` checks, :math:`1\le|S|\le\operatorname{rank}A`.

        Returns
        -------
        int
        """
        return sum(math.comb(self.n_directions, k) for k in range(1, self.rank + 1))

    def vertices(self, max_subsets=MAX_VERTEX_SUBSETS):
        r"""Return all vertices of :math:`\mathcal C` (THEORY §D step 6), one row each.

        A vertex is the unique point with a support :math:`S` whose columns are independent, with
        :math:`A_S^+\hat y^*>0` and :math:`A_SA_S^+\hat y^*=\hat y^*`. Supports of size at most
        :math:`\operatorname{rank}A` are checked in batches (dependent sets are pruned).

        Parameters
        ----------
        max_subsets : int
            Refuse when more supports would have to be checked.

        Returns
        -------
        ndarray of shape (n_vertices, p)
            Sorted by support size; the single row :math:`0` when :math:`\hat y^*=0`.

        Raises
        ------
        ValueError
            If more than ``max_subsets`` supports would have to be checked.
        """
        p = self.n_directions
        if self.coefficient_sum <= 0 or not np.any(self.fit):
            return np.zeros((1, p))
        count = self.n_vertex_subsets()
        if count > max_subsets:
            raise ValueError(
                f"the optimal set has p={p} directions with rank {self.rank}: enumerating its vertices means "
                f"checking {count} supports (more than max_subsets={max_subsets}). Use min_width (a MILP), "
                "dimension and random_network instead, or a vertex-enumeration library such as pycddlib."
            )
        vertices = []
        independent = [()]
        for size in range(1, self.rank + 1):
            candidates = [S + (j,) for S in independent for j in range((S[-1] + 1) if S else 0, p)]
            if not candidates:
                break
            independent = []
            for start in range(0, len(candidates), 4096):
                batch = np.array(candidates[start:start + 4096], dtype=int)
                A_S = np.transpose(self.columns[:, batch], (1, 0, 2))  # (N, n, size)
                U, singular, Vt = np.linalg.svd(A_S, full_matrices=False)
                keep = singular[:, -1] > _RANK_RTOL * np.maximum(singular[:, 0], 1e-300)
                if not keep.any():
                    continue
                U, singular, Vt, batch = U[keep], singular[keep], Vt[keep], batch[keep]
                independent.extend(map(tuple, batch))
                # c_S = V diag(1/s) U^T y*
                c_S = np.einsum("nji,nj->ni", Vt, np.einsum("nki,k->ni", U, self.fit) / singular)
                residual = np.linalg.norm(np.einsum("nki,ni->nk", A_S[keep], c_S) - self.fit, axis=1)
                positive = np.all(c_S > _SUPPORT_RTOL * self.coefficient_sum, axis=1)
                good = (residual <= self._residual_tolerance(_RESIDUAL_RTOL)) & positive
                for S, coefficients in zip(batch[good], c_S[good]):
                    c = np.zeros(p)
                    c[S] = coefficients
                    vertices.append(c)
        if not vertices:
            raise RuntimeError("no vertex reproduces the optimal fit: the polytope description is inconsistent.")
        return np.array(vertices)

    # ------------------------------------------------------------ LP and MILP
    def minimum_support_point(self):
        r"""Return a point of :math:`\mathcal C` with the fewest non-zeros, by the MILP of THEORY §D step 7.

        :math:`\min\mathbf 1^\top z` s.t. :math:`Ac=\hat y^*`, :math:`0\le c_j\le\Sigma z_j`,
        :math:`z\in\{0,1\}^p` (valid big-M :math:`\Sigma=\mathbf 1^\top c`), solved by scipy ``milp``
        (HiGHS); the support found is then re-solved exactly (:meth:`point_on_support`).

        Returns
        -------
        ndarray of shape (p,)

        Raises
        ------
        RuntimeError
            If HiGHS fails or its support does not reproduce :math:`\hat y^*` exactly.
        """
        p = self.n_directions
        if self.coefficient_sum <= 0 or not np.any(self.fit):
            return np.zeros(p)
        A_red, b_red = self._reduced
        equality = LinearConstraint(np.hstack([A_red, np.zeros_like(A_red)]), b_red, b_red)
        big_m = LinearConstraint(np.hstack([np.eye(p), -np.eye(p)]), -np.inf, 0.0)
        result = milp(
            np.concatenate([np.zeros(p), np.ones(p)]),
            constraints=[equality, big_m],
            integrality=np.concatenate([np.zeros(p), np.ones(p)]),
            bounds=(np.zeros(2 * p), np.concatenate([np.full(p, 1.0), np.ones(p)])),
        )
        if result.x is None:
            raise RuntimeError(f"the minimum-support MILP failed: {result.message}")
        support = np.flatnonzero(result.x[:p] > _LP_SUPPORT_TOL)
        point = self.point_on_support(support)
        if point is None:
            raise RuntimeError(
                f"the MILP support {support.tolist()} does not reproduce the optimal fit exactly; use vertices()."
            )
        return point

    def maximal_coordinates(self):
        r"""Return :math:`\max_{c\in\mathcal C}c_j` for every :math:`j` (THEORY §D step 8: :math:`p` LPs, HiGHS)."""
        p = self.n_directions
        if self.coefficient_sum <= 0 or not np.any(self.fit):
            return np.zeros(p)
        A_red, b_red = self._reduced
        largest = np.zeros(p)
        for j in range(p):
            objective = np.zeros(p)
            objective[j] = -1.0
            result = linprog(objective, A_eq=A_red, b_eq=b_red, bounds=(0, None), method="highs")
            if result.status != 0:
                raise RuntimeError(f"the LP max c_{j} over the optimal set failed: {result.message}")
            largest[j] = -result.fun * self.coefficient_sum
        return largest

    def random_vertex(self, random_state=None):
        """Return a vertex maximizing a random linear objective (dual simplex, HiGHS), re-solved exactly.

        Parameters
        ----------
        random_state : int, RandomState, Generator or None

        Returns
        -------
        ndarray of shape (p,)
        """
        rng = _resolve_rng(random_state)
        p = self.n_directions
        if self.coefficient_sum <= 0 or not np.any(self.fit):
            return np.zeros(p)
        A_red, b_red = self._reduced
        for _ in range(10):
            result = linprog(rng.standard_normal(p), A_eq=A_red, b_eq=b_red, bounds=(0, None), method="highs-ds")
            if result.status == 0:
                point = self.point_on_support(np.flatnonzero(result.x > _LP_SUPPORT_TOL))
                if point is not None:
                    return point
        raise RuntimeError("could not find a vertex of the optimal set by linear programming.")

    def min_norm_point(self):
        r"""Return the unique :math:`\arg\min_{c\in\mathcal C}\|c\|_2` (THEORY §D step 10).

        Solved by cvxpy (Clarabel), then re-solved exactly on its support
        (:math:`c_S=A_S^+\hat y^*`, the minimum-norm solution of :math:`A_Sc_S=\hat y^*`, whenever it
        stays positive).

        Returns
        -------
        ndarray of shape (p,)
        """
        import cvxpy as cp

        p = self.n_directions
        if self.coefficient_sum <= 0 or not np.any(self.fit):
            return np.zeros(p)
        A_red, b_red = self._reduced
        c = cp.Variable(p)
        problem = cp.Problem(cp.Minimize(cp.sum_squares(c)), [A_red @ c == b_red, c >= 0])
        with warnings.catch_warnings():  # cvxpy's "may be inaccurate": the status is checked here
            warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
            problem.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
        if c.value is None or problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            raise RuntimeError(f"the minimum-norm problem ended with status {problem.status!r}.")
        scaled = np.maximum(np.asarray(c.value), 0.0)
        support = np.flatnonzero(scaled > _LP_SUPPORT_TOL)
        refined = np.zeros(p)
        refined[support] = np.linalg.pinv(A_red[:, support]) @ b_red
        if np.all(refined[support] > 0) and np.linalg.norm(A_red @ refined - b_red) <= 1e-10:
            scaled = refined
        return scaled * self.coefficient_sum


@dataclass(frozen=True, eq=False, repr=False)
class OptimalSet:
    r"""All optimal networks of a regularized two-layer ReLU problem (THEORY §D–E).

    Built by :func:`optimal_set`. A network is optimal (for any width :math:`m\ge m^*`) iff it is
    balanced, each non-zero neuron has a direction :math:`u_j` and output sign :math:`s_j` of this set,
    and the aggregated coefficients :math:`c_j=\sum_{\text{neurons along }u_j}\|\tilde w\|^2` lie in
    :attr:`polytope`.

    Attributes
    ----------
    X : ndarray of shape (n, d)
        The data (without the ones column).
    y : ndarray of shape (n,)
    beta : float
    loss : str
    fit_intercept : bool
    arrangement : Arrangement
        The exhaustive patterns of :math:`\tilde X` used.
    fit : ndarray of shape (n,)
        The optimal model fit :math:`\hat y^*` (unique: the losses are strictly convex).
    dual : ndarray of shape (n,)
        :math:`\nu^*=-\nabla L(\hat y^*)`.
    directions : ndarray of shape (p, d_aug)
        Distinct unit first-layer directions :math:`u_j` (bias last when ``fit_intercept``).
    signs : ndarray of shape (p,)
        Output signs :math:`s_j\in\{+1,-1\}`.
    pattern_index : ndarray of shape (p,)
        A pattern (column of ``arrangement.masks``) whose cone gives :math:`u_j`.
    columns : ndarray of shape (n, p)
        :math:`A`, :math:`a_j=s_j(\tilde Xu_j)_+`.
    polytope : OptimalPolytope
        :math:`\{c\ge0: Ac=\hat y^*\}` with the constant :math:`\mathbf 1^\top c`.
    coefficients : ndarray of shape (p,)
        One point of the polytope (the polished convex solution).
    objective : float
        :math:`p^{\rm c}`, the objective (``ReLUNetwork.objective``) of ``network(coefficients)``.
    duality_gap : float
        ``objective`` minus the certified lower bound :math:`-L^*(-\nu^*/\rho)` over all patterns.
    dual_violation : float
        :math:`V(\nu^*)/\beta-1` over all patterns (:math:`\le0` up to rounding).
    tightness_margin : float
        :math:`1-\max_{\text{non-tight}}\|\Pi_{\mathcal K_i}(\pm g_i)\|/\beta`: how clearly the other
        directions are separated from the tight ones (1 when every direction is tight or none exists).
    tol : float
        Relative tolerance of the tightness test.
    max_vertex_subsets : int
        Limit passed to :meth:`OptimalPolytope.vertices`.
    """

    X: np.ndarray
    y: np.ndarray
    beta: float
    loss: str
    fit_intercept: bool
    arrangement: Arrangement = field(repr=False)
    fit: np.ndarray
    dual: np.ndarray
    directions: np.ndarray
    signs: np.ndarray
    pattern_index: np.ndarray
    columns: np.ndarray
    polytope: OptimalPolytope
    coefficients: np.ndarray
    objective: float
    duality_gap: float
    dual_violation: float
    tightness_margin: float
    tol: float
    max_vertex_subsets: int = MAX_VERTEX_SUBSETS

    def __repr__(self):
        return (f"OptimalSet(n_samples={self.n_samples}, n_directions={self.n_directions}, "
                f"rank={self.polytope.rank}, objective={self.objective:.6g}, beta={self.beta:g}, "
                f"loss={self.loss!r}, fit_intercept={self.fit_intercept})")

    # ---------------------------------------------------------------- sizes
    @property
    def n_samples(self):
        """:math:`n`."""
        return self.X.shape[0]

    @property
    def n_directions(self):
        """Number :math:`p` of distinct optimal signed directions."""
        return self.directions.shape[0]

    @property
    def is_zero(self):
        r"""Whether :math:`\hat y^*=0` (:math:`\beta\ge\beta_{\max}`): the zero network is the only optimum."""
        return self.n_directions == 0

    # ------------------------------------------------------------- vertices
    def vertices(self):
        r"""Return the vertices of the optimal polytope (the irreducible optimal solutions).

        Returns
        -------
        ndarray of shape (n_vertices, p)
            One coefficient vector per row (see :meth:`OptimalPolytope.vertices`).

        Raises
        ------
        ValueError
            If there are too many candidate supports (see :meth:`OptimalPolytope.vertices`).
        """
        return self._vertices.copy()

    @cached_property
    def _vertices(self):
        vertices = self.polytope.vertices(self.max_vertex_subsets)
        if not self.is_zero:
            # Nearly parallel columns: a support may reproduce the fit within the residual tolerance although the
            # LPs (max c_j, which decide dimension and uniqueness) find that coordinate zero on the whole set.
            # Such near-solutions are not vertices of the polytope the rest of this object describes.
            possible = self._maximal_coordinates > _LP_SUPPORT_TOL * self.polytope.coefficient_sum
            consistent = ~np.any((vertices > 0) & ~possible, axis=1)
            if consistent.any():
                vertices = vertices[consistent]
            else:
                warnings.warn("no enumerated vertex lies in the optimal set the LPs describe; the vertices are "
                              "returned as enumerated (numerically degenerate directions).", ConvergenceWarning,
                              stacklevel=3)
        vertices.setflags(write=False)
        return vertices

    def _vertices_available(self):
        return self.polytope.n_vertex_subsets() <= self.max_vertex_subsets

    @cached_property
    def vertex_support_sizes(self):
        """Sorted distinct support sizes of the vertices (the widths with an isolated optimum)."""
        return tuple(sorted({int(np.count_nonzero(v)) for v in self._vertices}))

    @cached_property
    def min_width(self):
        r""":math:`m^*`, the smallest width of an optimal network (smallest vertex support).

        From the vertices when they can be enumerated, else from the MILP of THEORY §D step 7.
        """
        if self.is_zero:
            return 0
        if self._vertices_available():
            return int(min(np.count_nonzero(v) for v in self._vertices))
        return int(np.count_nonzero(self.polytope.minimum_support_point()))

    @cached_property
    def max_width(self):
        r""":math:`M^*`, the largest support of a vertex (needs the vertices)."""
        if self.is_zero:
            return 0
        if self.is_unique:
            return int(np.count_nonzero(self.coefficients))
        return int(max(np.count_nonzero(v) for v in self._vertices))

    @cached_property
    def _maximal_coordinates(self):
        return self.polytope.maximal_coordinates()

    @cached_property
    def dimension(self):
        r""":math:`\dim\mathcal C=|J|-\operatorname{rank}A_J`, :math:`J=\{j:\max_{c\in\mathcal C}c_j>0\}` (p LPs)."""
        if self.is_zero:
            return 0
        used = self._maximal_coordinates > _LP_SUPPORT_TOL * self.polytope.coefficient_sum
        return int(used.sum() - _rank(self.columns[:, used]))

    @property
    def is_unique(self):
        """Whether the optimal convex solution (and the optimal network up to splitting) is unique."""
        return self.dimension == 0

    @cached_property
    def min_norm_coefficients(self):
        r"""The unique :math:`\arg\min_{c\in\mathcal C}\|c\|_2` (THEORY §D step 10)."""
        c = self.polytope.min_norm_point()
        c.setflags(write=False)
        return c

    # --------------------------------------------------------------- networks
    def _check_coefficients(self, coefficients):
        c = np.asarray(coefficients, dtype=float)
        if c.shape != (self.n_directions,):
            raise ValueError(f"coefficients must have shape ({self.n_directions},), got {c.shape}.")
        if not np.all(np.isfinite(c)):
            raise ValueError("coefficients must be finite.")
        if np.any(c < -1e-12 * self.polytope.coefficient_sum):
            raise ValueError("coefficients must be non-negative.")
        return np.maximum(c, 0.0)

    def network(self, coefficients, *, width=None):
        r"""Return the network of coefficients: :math:`\tilde w_j=\sqrt{c_j}u_j`, :math:`\alpha_j=s_j\sqrt{c_j}`.

        One neuron per non-zero coefficient (in the order of :attr:`directions`), padded with zero
        neurons up to ``width``. It is optimal iff ``coefficients`` lies in :attr:`polytope`.

        Parameters
        ----------
        coefficients : array of shape (p,), non-negative
        width : int or None
            Total number of neurons (default: the support size).

        Returns
        -------
        ReLUNetwork
        """
        c = self._check_coefficients(coefficients)
        support = np.flatnonzero(c > 0)
        scale = np.sqrt(c[support])
        network = ReLUNetwork.from_augmented(
            self.directions[support] * scale[:, None], self.signs[support] * scale, self.fit_intercept
        ) if support.size else self._zero_network(0)
        if width is not None:
            width = _check_width(width)
            network = network.padded(width)
        return network

    def _zero_network(self, width):
        d_aug = self.X.shape[1] + (1 if self.fit_intercept else 0)
        return ReLUNetwork.from_augmented(np.zeros((width, d_aug)), np.zeros(width), self.fit_intercept)

    def _candidate_vertices(self, rng):
        if self._vertices_available():
            return list(self._vertices)
        candidates = [self.polytope.minimum_support_point()]
        candidates += [self.polytope.random_vertex(rng) for _ in range(20)]
        return candidates

    def random_coefficients(self, width, random_state=None):
        r"""Return a random point of :math:`\mathcal C` with at most ``width`` non-zeros.

        A random convex combination (Dirichlet weights) of randomly chosen vertices whose supports
        together have at most ``width`` elements (at least one vertex with support :math:`\le` ``width``
        exists iff ``width`` :math:`\ge m^*`).

        Parameters
        ----------
        width : int >= m*
        random_state : int, RandomState, Generator or None

        Returns
        -------
        ndarray of shape (p,)

        Raises
        ------
        ValueError
            If ``width`` < :math:`m^*`.
        """
        width = _check_width(width)
        rng = _resolve_rng(random_state)
        if self.is_zero:
            return np.zeros(0)
        if width < self.min_width:
            raise ValueError(
                f"width={width} is below the minimal optimal width m*={self.min_width}: no network of width "
                f"{width} is globally optimal; use width >= {self.min_width}."
            )
        candidates = [v for v in self._candidate_vertices(rng) if np.count_nonzero(v) <= width]
        order = rng.permutation(len(candidates))
        chosen = [candidates[order[0]]]
        support = set(np.flatnonzero(chosen[0]))
        for k in order[1:]:
            union = support | set(np.flatnonzero(candidates[k]))
            if len(union) <= width and rng.random() < 0.5:
                chosen.append(candidates[k])
                support = union
        weights = rng.dirichlet(np.ones(len(chosen)))
        return np.sum([w * v for w, v in zip(weights, chosen)], axis=0)

    def random_network(self, width, random_state=None):
        r"""Return a random optimal network of width ``width`` (:math:`\ge m^*`).

        A random point of the polytope with support :math:`\le` ``width``
        (:meth:`random_coefficients`), one neuron per non-zero coefficient, then a random number of
        splits of a random neuron over a free slot,
        :math:`(\tilde w,\alpha)\mapsto(\cos t\,\tilde w,\cos t\,\alpha),(\sin t\,\tilde w,\sin t\,\alpha)`
        (THEORY §E (b)), zero neurons in the remaining slots and a random permutation of the slots.

        Parameters
        ----------
        width : int >= m*
            Number of neurons.
        random_state : int, RandomState, Generator or None

        Returns
        -------
        ReLUNetwork
            Balanced, with :math:`F_m=p^{\rm c}`.

        Raises
        ------
        ValueError
            If ``width`` < :math:`m^*` (no network of that width is optimal).
        """
        width = _check_width(width)
        rng = _resolve_rng(random_state)
        if self.is_zero:
            return self._zero_network(width)
        c = self.random_coefficients(width, rng)
        support = np.flatnonzero(c > 0)
        scale = np.sqrt(c[support])
        hidden = list(self.directions[support] * scale[:, None])
        output = list(self.signs[support] * scale)
        free = width - len(hidden)
        n_splits = rng.integers(0, free + 1) if isinstance(rng, np.random.Generator) else rng.randint(0, free + 1)
        for _ in range(n_splits):
            j = int(rng.choice(len(hidden)))
            t = rng.uniform(0.0, np.pi / 2)
            hidden.append(np.sin(t) * hidden[j])
            output.append(np.sin(t) * output[j])
            hidden[j] = np.cos(t) * hidden[j]
            output[j] = np.cos(t) * output[j]
        network = ReLUNetwork.from_augmented(np.array(hidden), np.array(output), self.fit_intercept).padded(width)
        permutation = rng.permutation(width)
        return ReLUNetwork.from_augmented(
            network.augmented_weights[permutation], network.output_weights[permutation], self.fit_intercept
        )


def _check_width(width):
    if isinstance(width, (bool, np.bool_)) or not isinstance(width, numbers.Integral):
        raise TypeError(f"width must be an integer, got {type(width).__name__}.")
    if width < 0:
        raise ValueError(f"width must be >= 0, got {width}.")
    return int(width)


# ------------------------------------------------------------------------------ construction
def _check_patterns(patterns, X_aug):
    if isinstance(patterns, Arrangement):
        if patterns.masks.shape[0] != X_aug.shape[0] or patterns.gates.shape[0] != X_aug.shape[1]:
            raise ValueError(
                f"patterns is an Arrangement of {patterns.masks.shape[0]} samples with {patterns.gates.shape[0]}-dim "
                f"gates, but the (augmented) data are {X_aug.shape}."
            )
        if not patterns.exhaustive:
            raise ValueError(
                "patterns must be exhaustive (every activation pattern of the data): the optimal set is "
                "described through all patterns, and sampled ones can miss optimal directions. "
                "Use patterns='exact' or enumerate_patterns(...)."
            )
        return patterns
    if isinstance(patterns, str) and patterns == "exact":
        return enumerate_patterns(X_aug)
    raise ValueError(f"patterns must be 'exact' or an exhaustive Arrangement, got {patterns!r}.")


@dataclass(frozen=True)
class _TightDirections:
    directions: np.ndarray
    signs: np.ndarray
    pattern_index: np.ndarray
    columns: np.ndarray
    max_value: float
    margin: float


def _tight_directions(nu, X_aug, masks, beta, tol):
    r"""Steps 2–4: the distinct signed unit directions with :math:`\|\Pi_{\mathcal K_i}(sg_i)\|\ge\beta(1-\tau)`."""
    constraint = dual_constraint(nu, X_aug, masks)
    values = constraint.values
    is_tight = values >= beta * (1.0 - tol)
    others = values[~is_tight]
    margin = 1.0 - float(others.max()) / beta if others.size else 1.0
    directions, signs, pattern_index = [], [], []
    for i, k in zip(*np.nonzero(is_tight)):
        sign = 1.0 if k == 0 else -1.0
        direction = constraint.directions[i, k]
        duplicate = any(
            s == sign and np.linalg.norm(direction - u) <= tol for u, s in zip(directions, signs)
        )
        if not duplicate:
            directions.append(direction)
            signs.append(sign)
            pattern_index.append(int(i))
    d = X_aug.shape[1]
    directions = np.array(directions).reshape(-1, d)
    signs = np.array(signs, dtype=float)
    columns = signs * np.maximum(X_aug @ directions.T, 0.0)
    pattern_index = np.array(pattern_index, dtype=int)
    return _TightDirections(directions, signs, pattern_index, columns, constraint.max_value, margin)


def _polish_fixed_columns(columns, y, beta, loss):
    r"""Fallback of step 5: :math:`\min_{c\ge0}L(Ac)+\beta\mathbf 1^\top c` for fixed columns (cvxpy/Clarabel).

    For the squared loss the problem is solved for :math:`y/s`, :math:`\beta/s`, :math:`s=\max|y|`, and
    :math:`c` scaled back (the same minimizer up to the factor :math:`s`); SCS is tried when Clarabel
    fails or reports no solution.
    """
    import cvxpy as cp

    scale = float(np.max(np.abs(y), initial=0.0)) if get_loss(loss).name == "squared" else 1.0
    scale = scale if scale > 0 else 1.0
    c = cp.Variable(columns.shape[1], nonneg=True)
    problem = cp.Problem(cp.Minimize(get_loss(loss).cvxpy_expression(columns @ c, y / scale)
                                     + (beta / scale) * cp.sum(c)))
    with warnings.catch_warnings():  # cvxpy's "may be inaccurate": optimal_set certifies its result
        warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
        try:
            problem.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
        except cp.error.SolverError:
            pass
        if c.value is None or problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            try:
                problem.solve(solver="SCS", eps=1e-10, max_iters=200_000)
            except cp.error.SolverError:
                pass
    if c.value is None or problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise RuntimeError(
            f"the optimal set could not be polished: the fixed-column problem ended with status "
            f"{problem.status!r} in Clarabel and SCS (badly scaled data? max|y|/beta = "
            f"{float(np.max(np.abs(y), initial=0.0)) / beta:.3g})."
        )
    return np.maximum(np.asarray(c.value, dtype=float), 0.0) * scale


def _coefficients_of_blocks(tight, u, v, tol):
    r"""The coefficients :math:`c_j=\sum\|u\|` of the blocks along each tight direction, or None.

    None when a non-zero block is farther than ``tol`` from every tight direction of its sign.
    """
    coefficients = np.zeros(tight.directions.shape[0])
    for sign, blocks in ((1.0, u), (-1.0, v)):
        for block in blocks[np.any(blocks != 0, axis=1)]:
            c = safe_norm(block)  # the plain norm of a tiny block underflows to 0
            distance = np.linalg.norm(tight.directions - block / c, axis=1) + 2.0 * (tight.signs != sign)
            j = int(np.argmin(distance)) if distance.size else -1
            if j < 0 or distance[j] > tol:
                return None
            coefficients[j] += c
    return coefficients


def _polish(solution, X_aug, y, beta, masks, loss, tol):
    r"""Steps 2–5: from a solution of (C) to the exact :math:`\nu^*`, the tight directions and an optimal :math:`c`.

    The solver's blocks are refined by :func:`~.stationary.refine_restricted` over every pattern
    (Newton's method on the faces of the cones, blocks with :math:`\|\Pi_{\mathcal K_i}(\pm g_i)\|>\beta`
    added: column generation) until :math:`V(\nu)\le\beta(1+10^{-9})`; each block
    :math:`u=c\,u_j` then lies along a tight direction :math:`u_j` and adds :math:`c=\|u\|` to its
    coefficient. If that fails, the fixed-column problem of THEORY §D step 5 is solved instead
    (accurate only to the solver's tolerance; flagged by the final checks).

    Returns
    -------
    tight : _TightDirections
    coefficients : ndarray of shape (p,)
    """
    loss_object = get_loss(loss)
    every_block = np.ones((masks.shape[1], 2), dtype=bool)
    u, v, verified, _ = refine_restricted(X_aug, y, beta, loss_object, masks, every_block, solution.u, solution.v)
    if verified:
        fit = (masks * (X_aug @ (u - v).T)).sum(axis=1)
        tight = _tight_directions(loss_object.negative_gradient(fit, y), X_aug, masks, beta, tol)
        coefficients = _coefficients_of_blocks(tight, u, v, tol)
        if coefficients is not None and np.any(coefficients > 0):
            return tight, coefficients
    tight = _tight_directions(solution.dual, X_aug, masks, beta, tol)
    coefficients = _polish_fixed_columns(tight.columns, y, beta, loss)
    nu = loss_object.negative_gradient(tight.columns @ coefficients, y)
    new = _tight_directions(nu, X_aug, masks, beta, tol)
    return _TightDirections(tight.directions, tight.signs, tight.pattern_index, tight.columns, new.max_value,
                            new.margin), coefficients


def _zero_optimal_set(nu_zero, beta_max, d_aug, common):
    r"""The optimal set when :math:`\beta\ge\beta_{\max}`: only the zero network, :math:`m^*=M^*=0`."""
    n = common["X"].shape[0]
    beta = common["beta"]
    zero = OptimalSet(
        fit=np.zeros(n), dual=nu_zero, directions=np.zeros((0, d_aug)), signs=np.zeros(0),
        pattern_index=np.zeros(0, dtype=int), columns=np.zeros((n, 0)),
        polytope=OptimalPolytope(np.zeros((n, 0)), np.zeros(n), 0.0), coefficients=np.zeros(0),
        objective=0.0, duality_gap=0.0, dual_violation=beta_max / beta - 1.0,
        tightness_margin=1.0 - beta_max / beta, **common,
    )
    network = zero.network(np.zeros(0))
    objective = network.objective(common["X"], common["y"], beta, common["loss"])
    lower = dual_lower_bound(nu_zero, common["y"], beta, beta_max, common["loss"])
    object.__setattr__(zero, "objective", objective)
    object.__setattr__(zero, "duality_gap", objective - lower)
    _warn_if_uncertified(zero, network, network.augment(common["X"]), beta_max)
    return zero


def _warn_if_uncertified(result, network, X_aug, violation):
    r"""Warn (ConvergenceWarning) unless the certificate of ``result`` holds within its tolerances.

    The tests of :func:`~.certificate.dual_certificate`: :math:`V(\nu^*)\le\beta(1+\tau)+\delta_V` and
    :math:`|F-\text{bound}|\le\tau|F|+\delta_F`, with the float64 rounding scales :math:`\delta` of the data;
    and a second warning when :math:`|F|\le\delta_F`, where the relative test is no test at all.
    """
    beta, tol, objective, gap = result.beta, result.tol, result.objective, result.duality_gap
    violation_scale, objective_scale = network_rounding_scales(network, X_aug, result.y, beta)
    if violation - beta > tol * beta + violation_scale or abs(gap) > tol * abs(objective) + objective_scale:
        warnings.warn(
            f"the optimal set may be inexact: V(nu*)/beta - 1 = {violation / beta - 1.0:.2e}, "
            f"duality gap {gap:.2e} (tol={tol}).",
            ConvergenceWarning, stacklevel=3,
        )
    elif objective_scale >= abs(objective) > 0:
        warnings.warn(
            f"the optimal set cannot be certified: its objective {objective:.3g} is below the float64 rounding "
            f"scale of these data ({objective_scale:.2g}); rescale X and y (or raise beta).",
            ConvergenceWarning, stacklevel=3,
        )


def optimal_set(X, y, beta, patterns="exact", fit_intercept=True, loss="squared", *, tol=1e-6,
                max_vertex_subsets=MAX_VERTEX_SUBSETS):
    r"""Return the set of all global minimizers of the regularized two-layer ReLU objective.

    The objective is :math:`F(\theta)=L(f_\theta(X))+\frac\beta2\sum_j(\|\tilde w_j\|^2+\alpha_j^2)`, over
    networks of any width.

    THEORY §D "Computing it": (1) solve (C) for :math:`\hat y^*`, :math:`\nu^*=-\nabla L(\hat y^*)`;
    (5) polish: Newton's method on the KKT system of the blocks the solver uses (column generation
    adds any block the solver missed), giving :math:`\hat y^*,\nu^*` to machine precision;
    (2) tight (pattern, sign) pairs by cone projection,
    :math:`\|\Pi_{\mathcal K_i}(s\,\tilde X^\top D_i\nu^*)\|\ge\beta(1-\tau)`; (3) de-duplicate by
    direction; (4) columns :math:`A`; (9) :math:`\beta\ge\beta_{\max}=V(-\nabla L(0))` gives the zero
    solution. Steps 6–8 and 10 are the methods of the result.

    Parameters
    ----------
    X : array-like of shape (n, d)
    y : array-like of shape (n,)
        Targets (``±1`` for the logistic loss).
    beta : float > 0
    patterns : "exact" or Arrangement
        Activation patterns of :math:`\tilde X`; an Arrangement must be exhaustive.
    fit_intercept : bool, default=True
        Append a ones column (a first-layer bias penalized like a weight).
    loss : {"squared", "logistic"}
    tol : float, default=1e-6
        Relative tolerance :math:`\tau` of the tightness test and of the de-duplication of directions.
    max_vertex_subsets : int
        :meth:`OptimalSet.vertices` refuses when more supports than this would have to be checked.

    Returns
    -------
    OptimalSet

    Raises
    ------
    ValueError
        On invalid input, or sampled (non-exhaustive) patterns; or, for a non-zero optimum of the squared loss, a
        ``beta`` below the float64 resolution :math:`\delta_V\approx\epsilon\|\tilde X\|\,\|y\|` of the dual
        constraint (:func:`~.certificate.check_beta_resolution`): :math:`\nu^*`, of order
        :math:`\beta/\|\tilde X\|`, is then below the rounding of :math:`y-\hat y^*`, and the directions and the
        polytope would be noise. Rescaling X, y and ``beta`` together does not change that; raising ``beta`` does.
    RuntimeError
        If polishing loses every optimal block while the solver's solution is clearly better than
        the zero network (badly scaled data); never a silently wrong optimal set.

    Warns
    -----
    ConvergenceWarning
        If, after polishing, :math:`V(\nu^*)` exceeds :math:`\beta(1+\tau)+\delta_V` or the certified
        duality gap exceeds :math:`\tau\,|p^{\rm c}|+\delta_F` in absolute value (:math:`\delta_V,\delta_F`
        the float64 rounding scales of the data, :func:`~.certificate.network_rounding_scales`).
    """
    X = check_data(X, "X", dtype=np.float64)
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be one-dimensional, got shape {y.shape}.")
    y = check_data(y, "y", dtype=np.float64, ensure_2d=False)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} samples but y has {y.shape[0]}.")
    beta = check_beta(beta)
    if not isinstance(fit_intercept, (bool, np.bool_)):
        raise TypeError(f"fit_intercept must be a bool, got {type(fit_intercept).__name__}.")
    fit_intercept = bool(fit_intercept)
    loss = check_targets_for_loss(y, loss).name
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0 < tol < 1:
        raise ValueError(f"tol must be a number in (0, 1), got {tol!r}.")
    if (isinstance(max_vertex_subsets, bool) or not isinstance(max_vertex_subsets, numbers.Integral)
            or max_vertex_subsets < 0):
        raise ValueError(f"max_vertex_subsets must be a non-negative integer, got {max_vertex_subsets!r}.")
    X_aug = add_intercept(X) if fit_intercept else X
    arrangement = _check_patterns(patterns, X_aug)
    masks = arrangement.masks
    loss_object = get_loss(loss)
    d_aug = X_aug.shape[1]
    common = dict(X=X, y=y, beta=beta, loss=loss, fit_intercept=fit_intercept, arrangement=arrangement,
                  tol=float(tol), max_vertex_subsets=int(max_vertex_subsets))

    # Step 9: beta >= beta_max  <=>  the zero network is optimal.
    nu_zero = loss_object.zero_prediction_dual(y)
    beta_max = dual_constraint(nu_zero, X_aug, masks).max_value
    if beta >= beta_max * (1.0 - 1e-12):
        return _zero_optimal_set(nu_zero, beta_max, d_aug, common)

    # Step 1: solve (C); an inaccurate solve is repaired by the polish below.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
        solution = ConvexProgram(X_aug, y, beta, arrangement, loss=loss).solve("cvxpy", tol=1e-9)
    try:
        tight, coefficients = _polish(solution, X_aug, y, beta, masks, loss, tol)
    except RuntimeError:
        if loss == "squared":  # name beta when it explains the failure (as below for a polished fit)
            check_beta_resolution(solution.to_network(), X_aug, y, beta,
                                  "the solver's solution could not be polished")
        raise
    fit = tight.columns @ coefficients
    nu = loss_object.negative_gradient(fit, y)

    if not np.any(coefficients > 0):  # beta numerically at beta_max, or polishing failed
        zero_objective = loss_object.value(np.zeros_like(y), y)
        if zero_objective - solution.objective > tol * max(1.0, abs(solution.objective)):
            raise RuntimeError(
                "the optimal set could not be computed: polishing kept no optimal block although the "
                f"solver's objective {solution.objective:.10g} is below that of the zero network "
                f"{zero_objective:.10g} (beta/beta_max = {beta / beta_max:.3g}); the data are too badly "
                "scaled for the dual vector to be resolved (rescale X and y)."
            )
        return _zero_optimal_set(nu_zero, beta_max, d_aug, common)
    coefficient_sum = float(coefficients.sum())
    polytope = OptimalPolytope(tight.columns, fit, coefficient_sum)
    # V at the dual vector of the reported fit (A c may differ from the refined fit by rounding,
    # which matters when beta is small next to y)
    violation = max(tight.max_value, dual_constraint(nu, X_aug, masks).max_value)
    result = OptimalSet(
        fit=fit, dual=nu, directions=tight.directions, signs=tight.signs, pattern_index=tight.pattern_index,
        columns=tight.columns, polytope=polytope, coefficients=coefficients, objective=0.0, duality_gap=0.0,
        dual_violation=violation / beta - 1.0, tightness_margin=tight.margin, **common,
    )
    network = result.network(coefficients)
    if loss == "squared":
        # nu* = y - y*, of order beta / |X|, is known only to eps |y|; the logistic nu = y sigma(-y y*) is accurate
        # relative to itself, and small values of it are resolved
        check_beta_resolution(
            network, X_aug, y, beta,
            f"V/beta - 1 = {violation / beta - 1.0:.2g} at the polished fit: the optimal dual vector, the tight "
            "directions and the polytope are rounding noise",
        )
    objective = network.objective(X, y, beta, loss)
    gap = objective - dual_lower_bound(nu, y, beta, violation, loss)
    object.__setattr__(result, "objective", objective)
    object.__setattr__(result, "duality_gap", gap)
    for array in (fit, nu, tight.directions, tight.signs, tight.pattern_index, tight.columns, coefficients):
        array.setflags(write=False)
    _warn_if_uncertified(result, network, X_aug, violation)
    return result
