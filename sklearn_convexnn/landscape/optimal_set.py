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

from ..arrangements import Arrangement, add_intercept, enumerate_patterns
from ..convex.dual import dual_constraint, dual_lower_bound, project_onto_cone
from ..convex.program import ConvexProgram
from ..losses import check_targets_for_loss, get_loss
from ..network import ReLUNetwork, check_beta, check_data

__all__ = ["OptimalPolytope", "OptimalSet", "optimal_set", "MAX_VERTEX_SUBSETS"]

#: vertices() refuses when more supports than this would have to be checked.
MAX_VERTEX_SUBSETS = 100_000
# Singular values below this fraction of the largest make a set of columns dependent.
_RANK_RTOL = 1e-9
# Relative residual |A_S c_S - y*| / max(1, |y*|) accepted for a vertex.
_RESIDUAL_RTOL = 1e-8
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

    @property
    def _scale(self):
        return max(1.0, float(np.linalg.norm(self.fit)))

    def contains(self, coefficients, atol=1e-8):
        r"""Return whether :math:`c\ge0` and :math:`Ac=\hat y^*` to a relative tolerance ``atol``.

        Parameters
        ----------
        coefficients : array of shape (p,)
        atol : float, default=1e-8
            Relative to :math:`\max(1,\|\hat y^*\|)` (residual) and :math:`\mathbf 1^\top c` (signs).

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
        return bool(nonnegative and residual <= atol * self._scale)

    # ----------------------------------------------------------- reduced system
    @cached_property
    def _reduced(self):
        r"""``(A_red, b_red)``: :math:`Q^\top A c=Q^\top\hat y^*/\Sigma` with :math:`Q` an orthonormal
        basis of :math:`\operatorname{range}A` and :math:`\Sigma=\mathbf 1^\top c`, so that HiGHS sees
        full-row-rank equalities and coefficients of order one (its tolerances are absolute)."""
        U, singular, _ = np.linalg.svd(self.columns, full_matrices=False)
        Q = U[:, : self.rank]
        total = self.coefficient_sum
        return Q.T @ self.columns, Q.T @ self.fit / total

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
        if np.linalg.norm(A_S @ c_S - self.fit) > _RESIDUAL_RTOL * self._scale:
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
                good = (residual <= _RESIDUAL_RTOL * self._scale) & positive
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
        if np.any(c < -1e-12 * max(1.0, self.polytope.coefficient_sum)):
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


def _face_map(nu, X_aug, mask, sign, beta):
    r""":math:`N=D X P_F X^\top D/\beta` for the face :math:`F` of :math:`\mathcal K` holding
    :math:`\Pi_{\mathcal K}(s X^\top D\nu)`: near :math:`\nu` the column of this block is :math:`N\nu`
    (the projection onto a fixed face is the linear projection :math:`P_F` onto its span)."""
    projection = project_onto_cone(sign * (X_aug.T @ (mask * nu)), X_aug, mask)
    norm = np.linalg.norm(projection)
    row_norms = np.linalg.norm(X_aug, axis=1)
    on_face = np.abs(X_aug @ projection) <= 1e-9 * norm * np.maximum(row_norms, 1e-300)
    on_face &= row_norms > 0
    X_face = X_aug[on_face]
    P = np.eye(X_aug.shape[1]) - (np.linalg.pinv(X_face) @ X_face if X_face.size else 0.0)
    DX = mask[:, None] * X_aug
    return DX @ P @ DX.T / beta, on_face.tobytes()


def _refine_kkt(blocks, nu, coefficients, y, beta, loss):
    r"""Step 5 (polish): Newton's method on the KKT system of the program restricted to ``blocks``.

    Unknowns :math:`\nu\in\mathbb R^n` and :math:`c\in\mathbb R^k`; with the face maps
    :math:`N_j` (:func:`_face_map`), columns :math:`a_j=N_j\nu` and :math:`\hat y=\sum_jc_ja_j`:

    .. math:: -\nabla L(\hat y)-\nu=0,\qquad a_j^\top\nu-\beta=0\quad(\text{tightness}).

    Least-squares (minimum-norm) Newton steps handle a non-unique :math:`c`. Returns
    ``(nu, c)`` (``c`` may have negative entries: then the active set is wrong) or None when the
    iteration does not reach machine accuracy.
    """
    loss_object = get_loss(loss)
    N = np.array(blocks)  # (k, n, n)
    n, k = nu.shape[0], N.shape[0]
    c = coefficients.astype(float).copy()
    best = None
    for _ in range(60):
        A = np.einsum("kij,j->ik", N, nu)
        fit = A @ c
        r_fit = loss_object.negative_gradient(fit, y) - nu
        r_tight = A.T @ nu - beta
        size = max(np.linalg.norm(r_fit) / max(1.0, np.linalg.norm(nu)), np.linalg.norm(r_tight) / beta)
        if best is None or size < best[0]:
            best = (size, nu.copy(), c.copy())
        if size <= 1e-15:
            break
        if loss_object.name == "squared":
            curvature = np.ones(n)
        else:
            probability = 1.0 / (1.0 + np.exp(-y * fit))
            curvature = probability * (1.0 - probability)
        jacobian = np.zeros((n + k, n + k))
        jacobian[:n, :n] = -curvature[:, None] * np.einsum("k,kij->ij", c, N) - np.eye(n)
        jacobian[:n, n:] = -curvature[:, None] * A
        jacobian[n:, :n] = 2.0 * A.T
        step, *_ = np.linalg.lstsq(jacobian, -np.concatenate([r_fit, r_tight]), rcond=None)
        nu = nu + step[:n]
        c = c + step[n:]
    size, nu, c = best
    return (nu, c) if size <= 1e-11 else None


def _polish(solution, X_aug, y, beta, masks, loss, tol):
    r"""Steps 2–5: from a solution of (C) to the exact :math:`\nu^*`, the tight directions and an optimal :math:`c`.

    The active blocks of the solver (with their faces) are refined by :func:`_refine_kkt`; if then
    :math:`V(\nu)>\beta(1+10^{-9})` over all patterns, the violating blocks are added (column
    generation) and the refinement repeated. If that fails, the fixed-column problem of THEORY §D
    step 5 is solved instead (accurate only to the solver's tolerance; flagged by the final checks).

    Returns
    -------
    tight : _TightDirections
    coefficients : ndarray of shape (p,)
    """
    loss_object = get_loss(loss)
    norm_u, norm_v = solution.block_norms()
    largest = max(norm_u.max(initial=0.0), norm_v.max(initial=0.0))
    # (pattern, sign, coefficient) of the blocks the solver clearly uses; smaller ones are noise
    # or are recovered by the column generation below
    active = [(int(i), 1.0, norm_u[i]) for i in np.flatnonzero(norm_u > 1e-4 * largest)]
    active += [(int(i), -1.0, norm_v[i]) for i in np.flatnonzero(norm_v > 1e-4 * largest)]
    nu = solution.dual
    for _ in range(30):
        if not active:
            break
        maps = [_face_map(nu, X_aug, masks[:, i], sign, beta) for i, sign, _ in active]
        refined = _refine_kkt([N for N, _ in maps], nu, np.array([value for *_, value in active]), y, beta, loss)
        if refined is None:
            break
        nu_new, c_active = refined
        faces = [key for _, key in (_face_map(nu_new, X_aug, masks[:, i], sign, beta) for i, sign, _ in active)]
        active = [(i, sign, value) for (i, sign, _), value in zip(active, c_active)]
        if faces != [key for _, key in maps]:
            nu = nu_new  # a projection moved to another face: refine again with the new faces
            continue
        if c_active.min() < -1e-12 * np.abs(c_active).sum():
            del active[int(np.argmin(c_active))]  # not active at the optimum
            continue
        nu = nu_new
        tight = _tight_directions(nu, X_aug, masks, beta, tol)
        if tight.max_value > beta * (1.0 + 1e-9):
            # the solver missed an active block: add the most violating one (column generation)
            values = dual_constraint(nu, X_aug, masks).values
            i, k = np.unravel_index(int(np.argmax(values)), values.shape)
            active.append((int(i), 1.0 if k == 0 else -1.0, 0.0))
            continue
        coefficients = np.zeros(tight.directions.shape[0])
        matched = True
        for i, sign, value in active:
            direction = project_onto_cone(sign * (X_aug.T @ (masks[:, i] * nu)), X_aug, masks[:, i])
            direction /= np.linalg.norm(direction)
            distance = np.linalg.norm(tight.directions - direction, axis=1) + 2.0 * (tight.signs != sign)
            j = int(np.argmin(distance)) if distance.size else -1
            if j < 0 or distance[j] > tol:
                matched = False
                break
            coefficients[j] += max(value, 0.0)
        if matched and np.any(coefficients > 0):
            return tight, coefficients
        break
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
    objective = zero.network(np.zeros(0)).objective(common["X"], common["y"], beta, common["loss"])
    lower = dual_lower_bound(nu_zero, common["y"], beta, beta_max, common["loss"])
    object.__setattr__(zero, "objective", objective)
    object.__setattr__(zero, "duality_gap", objective - lower)
    return zero


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
        On invalid input, or sampled (non-exhaustive) patterns.
    RuntimeError
        If polishing loses every optimal block while the solver's solution is clearly better than
        the zero network (badly scaled data); never a silently wrong optimal set.

    Warns
    -----
    ConvergenceWarning
        If, after polishing, :math:`V(\nu^*)` exceeds :math:`\beta(1+\tau)` or the certified duality gap
        exceeds :math:`\tau\max(1,p^{\rm c})`.
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
    tight, coefficients = _polish(solution, X_aug, y, beta, masks, loss, tol)
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
    result = OptimalSet(
        fit=fit, dual=nu, directions=tight.directions, signs=tight.signs, pattern_index=tight.pattern_index,
        columns=tight.columns, polytope=polytope, coefficients=coefficients, objective=0.0, duality_gap=0.0,
        dual_violation=tight.max_value / beta - 1.0, tightness_margin=tight.margin, **common,
    )
    objective = result.network(coefficients).objective(X, y, beta, loss)
    gap = objective - dual_lower_bound(nu, y, beta, tight.max_value, loss)
    object.__setattr__(result, "objective", objective)
    object.__setattr__(result, "duality_gap", gap)
    for array in (fit, nu, tight.directions, tight.signs, tight.pattern_index, tight.columns, coefficients):
        array.setflags(write=False)
    if result.dual_violation > tol or gap > tol * max(1.0, abs(objective)):
        warnings.warn(
            f"the optimal set may be inexact: V(nu*)/beta - 1 = {result.dual_violation:.2e}, "
            f"duality gap {gap:.2e} (tol={tol}).",
            ConvergenceWarning, stacklevel=2,
        )
    return result
