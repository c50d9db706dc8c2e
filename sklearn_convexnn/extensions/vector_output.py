r"""Two-layer ReLU networks with vector outputs (THEORY.md §I.1).

A network of width :math:`m` with :math:`c` outputs has neurons :math:`(w_j,\alpha_j)`,
:math:`w_j\in\mathbb R^d`, :math:`\alpha_j\in\mathbb R^c`, and

.. math:: f_\theta(X)=\sum_j(Xw_j)_+\alpha_j^\top\in\mathbb R^{n\times c},\qquad
          F_m(\theta)=L(f_\theta(X),Y)+\frac\beta2\sum_j\big(\|w_j\|^2+\|\alpha_j\|^2\big)

(:meth:`ReLUNetwork.objective` with ``output_weights`` of shape (m, c)). Its convex program is
:math:`\min_{V_i}L(\sum_iD_iXV_i)+\beta\sum_i\|V_i\|_{\mathcal K_i}` with a cone-constrained
nuclear norm, which is intractable in general. This module computes what is exact or certifiable:

* **Gated program** (exact, cvxpy ``normNuc`` per pattern):
  :math:`\min_{V_i\in\mathbb R^{d\times c}}L(\sum_iD_iXV_i)+\beta\sum_i\|V_i\|_*`, with recovery by
  the SVD of every :math:`V_i` into gated neurons.
* **ReLU program, upper bound**: a dictionary of unit directions :math:`u_k`, each inside the cone
  :math:`\mathcal K_i` of a pattern of the arrangement, and free output vectors :math:`g_k`:
  :math:`\min_G L(\sum_k(Xu_k)_+g_k^\top)+\beta\sum_k\|g_k\|` (a group lasso). Every point is a
  network with the same objective, so the value bounds the ReLU optimum :math:`p^*` from above and
  never increases when the dictionary grows. The dictionary always holds the extreme rays of the
  cones (the 1-D flats of the arrangement) and can be refined by column generation.
* **ReLU program, lower bound**: for :math:`\Lambda=-\nabla L(\hat Y)`,
  :math:`V(\Lambda)=\sup_{\|u\|=1}\|\Lambda^\top(Xu)_+\|` and
  :math:`p^*\ge-L^*(-\Lambda/\rho)`, :math:`\rho=\max(1,V/\beta)` (weak duality). For
  :math:`\operatorname{rank}X\le3` (e.g. 2-D data with the bias column) :func:`dense_dual_check`
  computes :math:`V` exactly, so a small problem is certified to the stated gap.
* **Paths**: :func:`linear_path` joins two balanced networks whose neurons share slots; its objective
  is at most the chord, hence constant between optimal networks (the connectivity of the optimal
  set for :math:`m\ge nc+1`, Kim et al.).

``X`` is used as given, as in :class:`~sklearn_convexnn.ConvexProgram`: append the column of ones
yourself for a bias. ``Y`` of shape (n,) is read as one output and results keep its shape.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog, nnls
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array

from ..arrangements import Arrangement, enumerate_patterns
from ..convex.dual import dual_constraint, dual_lower_bound
from ..convex.program import SolverError, relative_duality_gap, zero_network_objective
from ..losses import check_targets_for_loss, get_loss
from ..network import GatedReLUNetwork, ReLUNetwork, check_beta

__all__ = [
    "ACTIVATIONS",
    "DenseDualCheck",
    "DictionaryRefinement",
    "GatedVectorNetwork",
    "GatedVectorSolution",
    "MAX_CHECK_RANK",
    "MAX_DIRECTIONS",
    "ReLUVectorSolution",
    "VectorAtoms",
    "VectorOutputProgram",
    "VectorPath",
    "arrangement_rays",
    "dense_dual_check",
    "dictionary_refinement",
    "direction_dictionary",
    "linear_path",
    "make_vector_continuum",
    "optimal_atoms",
    "polytope_vertex",
    "sphere_grid",
]

ACTIVATIONS = ("relu", "gated")
#: the exact dual check works in the row space of X, up to this rank (d <= 2 plus the bias)
MAX_CHECK_RANK = 3
#: largest dictionary (and largest number of arrangement flats) a program accepts
MAX_DIRECTIONS = 20000
# |x_k^T u| <= this * ||x_k|| for a unit u: u lies on the hyperplane of x_k (cone membership).
_CONE_TOL = 1e-10
# unit vectors closer than this are one direction
_SAME_DIRECTION = 1e-9
# singular values below this fraction of the largest are zero (row space, flats)
_RANK_RTOL = 1e-10


# --------------------------------------------------------------------------------------------
# The gated network with vector outputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GatedVectorNetwork(GatedReLUNetwork):
    r"""A gated ReLU network with vector outputs, :math:`x\mapsto\sum_j\mathbb 1[g_j^\top x\ge0](x^\top w_j)\,\alpha_j^\top`.

    The same object as :class:`~sklearn_convexnn.network.GatedReLUNetwork` (whose ``predict`` and
    ``objective`` it inherits) with ``output_weights`` of shape (m, c) allowed. ``X`` is used as
    given (the gates and weights act on the same columns, a bias column included).

    Parameters
    ----------
    gates : array of shape (m, d)
    hidden_weights : array of shape (m, d)
    output_weights : array of shape (m,) or (m, c)
    """

    def __post_init__(self):
        arrays = {}
        for name, ndims in (("gates", (2,)), ("hidden_weights", (2,)), ("output_weights", (1, 2))):
            array = np.array(getattr(self, name), dtype=np.float64)
            if array.ndim not in ndims:
                raise ValueError(f"{name} must have {' or '.join(map(str, ndims))} dimensions, got shape {array.shape}.")
            if not np.all(np.isfinite(array)):
                raise ValueError(f"{name} must contain only finite values.")
            array.setflags(write=False)
            arrays[name] = array
        if arrays["gates"].shape != arrays["hidden_weights"].shape or arrays["output_weights"].shape[0] != arrays["gates"].shape[0]:
            raise ValueError("gates, hidden_weights and output_weights must describe the same neurons.")
        for name, array in arrays.items():
            object.__setattr__(self, name, array)


# --------------------------------------------------------------------------------------------
# Directions: flats of the arrangement, sphere grids, dictionaries
# --------------------------------------------------------------------------------------------


def _row_space(X):
    """Orthonormal basis (d, r) of the row space of X."""
    if X.size == 0:
        return np.zeros((X.shape[1], 0))
    _, singular, vt = np.linalg.svd(X, full_matrices=False)
    if singular[0] == 0:
        return np.zeros((X.shape[1], 0))
    rank = int(np.sum(singular > _RANK_RTOL * singular[0]))
    return vt[:rank].T


def _unique_directions(directions, tol=_SAME_DIRECTION):
    """Indices of the first occurrence of every distinct unit vector (rows), in order."""
    keep = []
    for k in range(directions.shape[0]):
        if not keep or np.min(np.linalg.norm(directions[keep] - directions[k], axis=1)) > tol:
            keep.append(k)
    return np.asarray(keep, dtype=np.intp)


def _hyperplane_normals(rows):
    """Distinct unit normals (up to sign) of the non-zero rows."""
    norms = np.linalg.norm(rows, axis=1)
    rows = rows[norms > 0] / norms[norms > 0, None]
    if rows.shape[0] == 0:
        return rows
    pivot = np.argmax(np.abs(rows) > 1e-12, axis=1)
    rows = rows * np.sign(rows[np.arange(len(rows)), pivot])[:, None]
    return rows[_unique_directions(rows, tol=1e-10)]


def _flats(normals, rank, max_count):
    """Unit vectors (both signs) spanning the 1-D intersections of ``rank - 1`` hyperplanes in R^rank."""
    if rank == 1:
        return np.array([[1.0], [-1.0]])
    count = math.comb(normals.shape[0], rank - 1)
    if count > max_count:
        raise ValueError(
            f"the arrangement has {normals.shape[0]} hyperplanes in rank {rank}: {count} candidate extreme rays "
            f"exceed the limit MAX_DIRECTIONS={max_count} (direction_dictionary(..., include_rays=False) skips them)."
        )
    if count == 0:
        return np.zeros((0, rank))
    subsets = np.array(list(itertools.combinations(range(normals.shape[0]), rank - 1)))
    stacks = normals[subsets]  # (C, rank-1, rank)
    _, singular, vt = np.linalg.svd(stacks)
    independent = singular[:, -1] > _RANK_RTOL * singular[:, 0]
    rays = vt[independent, -1, :]
    rays = rays[_unique_directions(_canonical_sign(rays))]
    return np.vstack([rays, -rays])


def _canonical_sign(vectors):
    pivot = np.argmax(np.abs(vectors) > 1e-12, axis=1)
    return vectors * np.sign(vectors[np.arange(len(vectors)), pivot])[:, None]


def _cone_membership(X, masks, directions):
    r"""Boolean (P, K): direction k lies in :math:`\mathcal K_i=\{u:(2D_i-I)Xu\ge0\}` up to :data:`_CONE_TOL`."""
    values = X @ directions.T
    slack = _CONE_TOL * np.linalg.norm(X, axis=1)[:, None] * np.linalg.norm(directions, axis=1)[None, :]
    negative = (values < -slack).astype(np.int64)
    positive = (values > slack).astype(np.int64)
    masks = masks.astype(np.int64)
    return ((masks.T @ negative) == 0) & (((1 - masks).T @ positive) == 0)


def arrangement_rays(X, *, max_count=MAX_DIRECTIONS):
    r"""The extreme rays of all cones :math:`\mathcal K_i` of the data (THEORY §B, §I.1).

    Working in the row space of :math:`X` (rank :math:`r`), a ray is a unit vector on :math:`r-1`
    independent hyperplanes :math:`x_k^\top u=0`; every extreme ray of every (full-dimensional)
    cone is one of them, with either sign.

    Parameters
    ----------
    X : array-like of shape (n, d)
    max_count : int
        Refuse when :math:`\binom{\#\text{hyperplanes}}{r-1}` exceeds it.

    Returns
    -------
    ndarray of shape (K, d)
        Unit rays (both signs), in the row space of ``X``.

    Raises
    ------
    ValueError
        If the number of candidate rays exceeds ``max_count``.
    """
    X = check_array(X, dtype=np.float64, input_name="X")
    basis = _row_space(X)
    if basis.shape[1] == 0:
        return np.zeros((0, X.shape[1]))
    reduced = X @ basis
    rays = _flats(_hyperplane_normals(reduced), basis.shape[1], max_count)
    return rays @ basis.T


def sphere_grid(dimension, level):
    r"""Nested grids of unit vectors on :math:`S^{r-1}`, :math:`r\le3`.

    * :math:`r=1`: :math:`\pm1`;
    * :math:`r=2`: the :math:`4\cdot2^{\text{level}}` angles :math:`2\pi k/(4\cdot2^{\text{level}})`;
    * :math:`r=3`: the normalized integer points with :math:`|i|+|j|+|k|=2^{\text{level}}` (the
      octahedron subdivided ``level`` times, :math:`4\cdot4^{\text{level}}+2` points).

    Level :math:`\ell` is contained in level :math:`\ell+1`, so dictionaries built on them are nested.

    Parameters
    ----------
    dimension : int in {1, 2, 3}
    level : int >= 0

    Returns
    -------
    ndarray of shape (K, dimension)
    """
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or level < 0:
        raise ValueError(f"level must be a non-negative integer, got {level!r}.")
    if dimension == 1:
        return np.array([[1.0], [-1.0]])
    if dimension == 2:
        angles = 2 * np.pi * np.arange(4 * 2**level) / (4 * 2**level)
        return np.column_stack([np.cos(angles), np.sin(angles)])
    if dimension == 3:
        size = 2**level
        points = []
        for i in range(-size, size + 1):
            for j in range(-(size - abs(i)), size - abs(i) + 1):
                k = size - abs(i) - abs(j)
                points.append((i, j, k))
                if k:
                    points.append((i, j, -k))
        points = np.asarray(points, dtype=float)
        return points / np.linalg.norm(points, axis=1, keepdims=True)
    raise ValueError(f"dimension must be 1, 2 or 3 for a sphere grid, got {dimension!r}.")


def direction_dictionary(X, arrangement=None, *, level=2, n_random=0, random_state=None, include_rays=True):
    r"""A dictionary of unit first-layer directions for the ReLU vector program (THEORY §I.1 (b)).

    The union, in this order, of (1) the extreme rays of the cones (:func:`arrangement_rays`; they
    number :math:`O(n^{r-1})`, so for large data of rank :math:`r>3` pass ``include_rays=False``),
    (2) the normalized gates of ``arrangement`` (interior points of their cones), (3) the nested
    :func:`sphere_grid` of the row space at ``level`` when :math:`\operatorname{rank}X\le3`, and
    (4) ``n_random`` Gaussian directions of the row space; duplicates removed and, when an
    ``arrangement`` is given, only directions inside one of its cones kept.

    Parameters
    ----------
    X : array-like of shape (n, d)
    arrangement : Arrangement or None
    level : int >= 0
    n_random : int >= 0
    random_state : int, Generator, RandomState or None
    include_rays : bool, default=True

    Returns
    -------
    ndarray of shape (K, d)
        For a fixed ``arrangement`` the dictionaries of increasing ``level`` are nested.

    Raises
    ------
    ValueError
        If the rays exceed :data:`MAX_DIRECTIONS` (see :func:`arrangement_rays`).
    """
    from sklearn.utils import check_random_state

    X = check_array(X, dtype=np.float64, input_name="X")
    basis = _row_space(X)
    parts = [arrangement_rays(X)] if include_rays else []
    if arrangement is not None:
        gates = arrangement.gates.T
        norms = np.linalg.norm(gates, axis=1)
        parts.append(gates[norms > 0] / norms[norms > 0, None])
    if 1 <= basis.shape[1] <= MAX_CHECK_RANK:
        parts.append(sphere_grid(basis.shape[1], level) @ basis.T)
    if n_random:
        rng = check_random_state(random_state)
        draws = rng.standard_normal((int(n_random), basis.shape[1])) @ basis.T
        parts.append(draws / np.linalg.norm(draws, axis=1, keepdims=True))
    directions = np.vstack([part for part in parts if part.size] or [np.zeros((0, X.shape[1]))])
    directions = directions[_unique_directions(directions)]
    if arrangement is not None:
        directions = directions[_cone_membership(X, arrangement.masks, directions).any(axis=0)]
    return directions


# --------------------------------------------------------------------------------------------
# The dual constraint, checked exactly for rank <= 3
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DenseDualCheck:
    r"""The vector dual constraint :math:`V(\Lambda)=\sup_{\|u\|=1}\|\Lambda^\top(Xu)_+\|` (THEORY §I.1).

    Attributes
    ----------
    value : float
        :math:`V(\Lambda)`, the maximum over the grid and the critical directions, which equals the
        supremum (see :func:`dense_dual_check`).
    direction : ndarray of shape (d,)
        A unit maximizer.
    grid_value : float
        The maximum over the dense grid alone (a lower estimate of ``value``).
    grid_direction : ndarray of shape (d,)
    n_grid : int
        Number of grid directions.
    candidates : ndarray of shape (K, d)
        The critical directions with value at least ``keep_fraction`` times the maximum (a finite set
        that contains every isolated maximizer).
    candidate_values : ndarray of shape (K,)
        :math:`\|\Lambda^\top(Xu)_+\|` at each candidate.
    """

    value: float
    direction: np.ndarray
    grid_value: float
    grid_direction: np.ndarray
    n_grid: int
    candidates: np.ndarray = field(repr=False)
    candidate_values: np.ndarray = field(repr=False)

    def top_directions(self, count, *, minimum=0.0):
        """Up to ``count`` distinct candidate directions of largest value (at least ``minimum``)."""
        order = np.argsort(-self.candidate_values)
        chosen = []
        for k in order:
            if self.candidate_values[k] < minimum or len(chosen) >= count:
                break
            if not chosen or np.min(np.linalg.norm(self.candidates[chosen] - self.candidates[k], axis=1)) > 1e-7:
                chosen.append(k)
        return self.candidates[chosen]


def _as_matrix(dual, n):
    dual = np.asarray(dual, dtype=float)
    if dual.ndim == 1:
        dual = dual[:, None]
    if dual.ndim != 2 or dual.shape[0] != n:
        raise ValueError(f"dual must have shape ({n},) or ({n}, c), got {dual.shape}.")
    return dual


def _constraint_values(dual, X, directions):
    r""":math:`\|\Lambda^\top(Xu_k)_+\|` for every row :math:`u_k` of ``directions``."""
    return np.linalg.norm(dual.T @ np.maximum(X @ directions.T, 0.0), axis=0)


def dense_dual_check(dual, X, *, level=4, keep_fraction=0.5):
    r"""Evaluate the vector dual constraint exactly for :math:`\operatorname{rank}X\le3`.

    :math:`V(\Lambda)=\sup_{\|u\|=1}\varphi(u)`, :math:`\varphi(u)=\|\Lambda^\top(Xu)_+\|`. On the closed
    cone :math:`\mathcal K_i` of a pattern, :math:`\varphi(u)^2=u^\top Q_iu` with
    :math:`Q_i=X^\top D_i\Lambda\Lambda^\top D_iX`. A maximizer over :math:`\mathcal K_i\cap S^{r-1}`
    lies in the relative interior of a face, whose span is an intersection of hyperplanes
    :math:`x_k^\perp`, where it is a critical point of :math:`u^\top Q_iu` on the unit sphere of that
    span: an eigenvector of :math:`B^\top Q_iB` (:math:`B` an orthonormal basis of the span). In
    rank :math:`r\le3` the spans are the whole space, the planes :math:`x_k^\perp` (:math:`r=3`) and
    the lines (the flats of :func:`arrangement_rays`), so the finite set of these eigenvectors over
    every pattern contains a global maximizer. Every candidate is a unit vector at which
    :math:`\varphi` is evaluated directly, so the maximum over the candidates is exactly :math:`V`.
    The dense grid (:func:`sphere_grid` at ``level``) is evaluated too, as an independent lower
    estimate.

    Parameters
    ----------
    dual : ndarray of shape (n,) or (n, c)
        :math:`\Lambda` (:math:`=-\nabla L(\hat Y)`).
    X : ndarray of shape (n, d)
        Used as given; only its row space matters, whose rank must be at most 3.
    level : int >= 0, default=4
        Grid level.
    keep_fraction : float in [0, 1], default=0.5
        Only candidates with value at least ``keep_fraction * V`` are kept in the result (the
        maximum is over all of them).

    Returns
    -------
    DenseDualCheck

    Raises
    ------
    ValueError
        If :math:`\operatorname{rank}X>3` (limit :data:`MAX_CHECK_RANK`).
    """
    X = check_array(X, dtype=np.float64, input_name="X")
    dual = _as_matrix(dual, X.shape[0])
    basis = _row_space(X)
    rank = basis.shape[1]
    if rank > MAX_CHECK_RANK:
        raise ValueError(
            f"dense_dual_check needs rank(X) <= {MAX_CHECK_RANK} (MAX_CHECK_RANK, e.g. 2-D data with the bias "
            f"column); X has rank {rank}."
        )
    d = X.shape[1]
    if rank == 0:
        zero = np.zeros(d)
        return DenseDualCheck(0.0, zero, 0.0, zero, 0, np.zeros((0, d)), np.zeros(0))
    reduced = X @ basis  # (n, r): phi(B a) = ||dual^T (reduced a)_+||
    grid = sphere_grid(rank, level)
    grid_values = _constraint_values(dual, reduced, grid)

    normals = _hyperplane_normals(reduced)
    flats = _flats(normals, rank, MAX_DIRECTIONS)
    parts = [(flats, _constraint_values(dual, reduced, flats))]
    if rank >= 2:
        masks = enumerate_patterns(reduced).masks.astype(float)  # (n, P), exhaustive
        pattern_maps = np.einsum("nc,np,nr->pcr", dual, masks, reduced)  # Lambda^T D_i X
        forms = np.einsum("pcr,pcs->prs", pattern_maps, pattern_maps)  # Q_i
        spans = [np.eye(rank)]
        if rank == 3:
            for normal in normals:
                spans.append(np.linalg.svd(normal[None, :])[2][1:].T)  # basis of normal^perp
        for span in spans:  # one span at a time, keeping the good candidates, bounds the memory
            restricted = np.einsum("rq,prs,st->pqt", span, forms, span)
            _, vectors = np.linalg.eigh(restricted)  # (P, q, q), eigenvectors in columns
            lifted = np.einsum("rq,pqk->pkr", span, vectors).reshape(-1, rank)
            lifted = np.vstack([lifted, -lifted])
            values = _constraint_values(dual, reduced, lifted)
            best_so_far = max(float(part[1].max(initial=0.0)) for part in parts)
            good = values >= keep_fraction * max(best_so_far, float(values.max(initial=0.0)))
            parts.append((lifted[good], values[good]))
    candidates = np.vstack([part[0] for part in parts])
    candidate_values = np.concatenate([part[1] for part in parts])
    good = candidate_values >= keep_fraction * candidate_values.max(initial=0.0)
    candidates, candidate_values = candidates[good], candidate_values[good]

    best_grid = int(np.argmax(grid_values))
    best = int(np.argmax(candidate_values))
    grid_value, value = float(grid_values[best_grid]), float(candidate_values[best])
    direction = candidates[best] if value >= grid_value else grid[best_grid]
    return DenseDualCheck(
        value=max(value, grid_value), direction=basis @ direction, grid_value=grid_value,
        grid_direction=basis @ grid[best_grid], n_grid=grid.shape[0],
        candidates=candidates @ basis.T, candidate_values=candidate_values,
    )


# --------------------------------------------------------------------------------------------
# Solutions
# --------------------------------------------------------------------------------------------


def _shape_like(array, one_dimensional):
    return array[:, 0] if one_dimensional else array


@dataclass(frozen=True)
class GatedVectorSolution:
    r"""A solution of the gated vector program :math:`\min L(\sum_iD_iXV_i)+\beta\sum_i\|V_i\|_*`.

    Attributes
    ----------
    blocks : ndarray of shape (P, d, c)
        :math:`V_i`.
    gates : ndarray of shape (P, d)
        The gate :math:`g_i` of each pattern.
    objective : float
        :math:`L(\hat Y)+\beta\sum_i\|V_i\|_*`.
    prediction, dual : ndarray of the shape of Y
        :math:`\hat Y` and :math:`\Lambda=-\nabla L(\hat Y)` (recomputed from the primal point).
    dual_violation : float
        :math:`V=\max_i\|X^\top D_i\Lambda\|_2` (spectral norm; the dual norm of the nuclear norm).
    lower_bound : float
        :math:`-L^*(-\Lambda/\rho)`, :math:`\rho=\max(1,V/\beta)`: a certified lower bound on the
        optimum of the program.
    duality_gap : float
        ``objective - lower_bound``.
    status, n_iter, solver, beta, loss
    """

    blocks: np.ndarray = field(repr=False)
    gates: np.ndarray = field(repr=False)
    objective: float
    prediction: np.ndarray = field(repr=False)
    dual: np.ndarray = field(repr=False)
    dual_violation: float
    lower_bound: float
    duality_gap: float
    status: str
    n_iter: int
    solver: str
    beta: float
    loss: str

    @property
    def relative_gap(self):
        r"""``duality_gap`` relative to :math:`\max(|F|,\min(1,L(0)))`, :math:`L(0)` the zero network's objective
        (as the two-layer program's, :func:`~sklearn_convexnn.convex.program.relative_duality_gap`)."""
        return relative_duality_gap(self.duality_gap, self.objective,
                                    zero_network_objective(self.loss, self.prediction, self.dual))

    def nuclear_norms(self):
        r"""Return :math:`\|V_i\|_*` for every pattern, shape (P,)."""
        return np.array([np.linalg.svd(block, compute_uv=False).sum() for block in self.blocks])

    def to_network(self, *, drop_below=0.0):
        r"""Recover the gated network: one neuron per singular triple of every :math:`V_i`.

        With :math:`V_i=\sum_kt_ku_kg_k^\top` (SVD), each term becomes the neuron with gate
        :math:`g_i`, :math:`w=\sqrt{t_k}\,u_k`, :math:`\alpha=\sqrt{t_k}\,g_k`: the fit is unchanged and
        :math:`\tfrac12(\|w\|^2+\|\alpha\|^2)=t_k`, so the network's objective equals ``objective``.

        Parameters
        ----------
        drop_below : float, default=0
            Singular values at most ``drop_below`` times the largest are dropped (solver noise).

        Returns
        -------
        GatedVectorNetwork
            ``output_weights`` of shape (m, c), or (m,) when Y was one-dimensional.
        """
        terms = [np.linalg.svd(block, full_matrices=False) for block in self.blocks]
        largest = max((float(s.max(initial=0.0)) for _, s, _ in terms), default=0.0)
        gates, hidden, output = [], [], []
        for gate, (left, singular, right) in zip(self.gates, terms):
            for k in np.nonzero(singular > drop_below * largest)[0]:
                if singular[k] <= 0:
                    continue
                root = np.sqrt(singular[k])
                gates.append(gate)
                hidden.append(root * left[:, k])
                output.append(root * right[k])
        d, c = self.blocks.shape[1], self.blocks.shape[2]
        gates = np.array(gates).reshape(-1, d)
        hidden = np.array(hidden).reshape(-1, d)
        output = np.array(output).reshape(-1, c)
        return GatedVectorNetwork(gates, hidden, _shape_like(output, self.prediction.ndim == 1))


@dataclass(frozen=True)
class ReLUVectorSolution:
    r"""A solution of the dictionary program :math:`\min_GL(\sum_k(Xu_k)_+g_k^\top)+\beta\sum_k\|g_k\|`.

    ``objective`` is an **upper bound** on the ReLU vector optimum :math:`p^*` (it is the objective
    of the network :meth:`to_network`); ``lower_bound`` is a **certified lower bound** on
    :math:`p^*` when the exact dual check ran (:math:`\operatorname{rank}X\le3`), NaN otherwise.

    Attributes
    ----------
    directions : ndarray of shape (K, d)
        The dictionary :math:`u_k` (unit vectors).
    outputs : ndarray of shape (K, c)
        :math:`g_k`.
    pattern_index : ndarray of shape (K,)
        A pattern of the arrangement whose cone contains :math:`u_k`.
    objective : float
    prediction, dual : ndarray of the shape of Y
        :math:`\hat Y` and :math:`\Lambda=-\nabla L(\hat Y)`.
    dictionary_lower_bound : float
        :math:`-L^*(-\Lambda/\rho)` with :math:`\rho=\max(1,\max_k\|\Lambda^\top(Xu_k)_+\|/\beta)`: a lower
        bound on the dictionary program (it measures the solver's accuracy, not the dictionary's).
    check : DenseDualCheck or None
        The exact dual check over all directions.
    dual_violation : float
        :math:`V(\Lambda)` from ``check`` (NaN without it).
    lower_bound : float
        :math:`-L^*(-\Lambda/\max(1,V/\beta))` (NaN without ``check``).
    gap : float
        ``objective - lower_bound``: how far the dictionary's network can be from :math:`p^*`.
    status, n_iter, solver, beta, loss
    """

    directions: np.ndarray = field(repr=False)
    outputs: np.ndarray = field(repr=False)
    pattern_index: np.ndarray = field(repr=False)
    objective: float
    prediction: np.ndarray = field(repr=False)
    dual: np.ndarray = field(repr=False)
    dictionary_lower_bound: float
    check: DenseDualCheck | None = field(repr=False)
    dual_violation: float
    lower_bound: float
    gap: float
    status: str
    n_iter: int
    solver: str
    beta: float
    loss: str

    @property
    def n_directions(self):
        """Size :math:`K` of the dictionary."""
        return self.directions.shape[0]

    @property
    def relative_gap(self):
        r"""``gap`` relative to :math:`\max(|F|,\min(1,L(0)))`, :math:`L(0)` the zero network's objective (as the
        two-layer program's, :func:`~sklearn_convexnn.convex.program.relative_duality_gap`); NaN without the dual
        check."""
        return relative_duality_gap(self.gap, self.objective,
                                    zero_network_objective(self.loss, self.prediction, self.dual))

    def is_certified(self, rtol=1e-6):
        """True when the exact dual check ran and ``relative_gap <= rtol``.

        Then no network of any width beats :meth:`to_network` by more than
        ``rtol * max(|objective|, min(1, L(0)))``, :math:`L(0)` the zero network's objective.

        Parameters
        ----------
        rtol : float, default=1e-6

        Returns
        -------
        bool
        """
        return bool(self.check is not None and self.relative_gap <= rtol)

    def to_network(self, *, drop_below=0.0):
        r"""The network of the solution: for every :math:`g_k\ne0` the neuron
        :math:`w=\sqrt{\|g_k\|}\,u_k`, :math:`\alpha=g_k/\sqrt{\|g_k\|}`.

        Then :math:`(Xw)_+\alpha^\top=(Xu_k)_+g_k^\top` and :math:`\tfrac12(\|w\|^2+\|\alpha\|^2)=\|g_k\|`,
        so the network's objective equals ``objective``.

        Parameters
        ----------
        drop_below : float, default=0
            Neurons with :math:`\|g_k\|` at most ``drop_below`` times the largest are dropped.

        Returns
        -------
        ReLUNetwork
            Acting on X as given (no separate bias); ``output_weights`` of shape (m, c), or (m,)
            when Y was one-dimensional.
        """
        norms = np.linalg.norm(self.outputs, axis=1)
        keep = (norms > drop_below * norms.max(initial=0.0)) & (norms > 0)
        root = np.sqrt(norms[keep])
        hidden = self.directions[keep] * root[:, None]
        output = self.outputs[keep] / root[:, None]
        return ReLUNetwork(hidden, _shape_like(output, self.prediction.ndim == 1))


# --------------------------------------------------------------------------------------------
# The program
# --------------------------------------------------------------------------------------------


def _status(problem, solver_name):
    """Map a cvxpy status to ours; raise SolverError on failure."""
    import cvxpy as cp

    status = problem.status
    if status == cp.OPTIMAL:
        return "optimal"
    if status == cp.OPTIMAL_INACCURATE:
        return "inaccurate"
    raise SolverError(f"cvxpy solver {solver_name} ended with status {status!r}; no solution.")


def _run(problem, tol, verbose):
    """Solve with Clarabel (tolerance ``tol``); fall back to SCS when Clarabel fails."""
    import cvxpy as cp

    with warnings.catch_warnings():
        # cvxpy's hint about one nuclear norm per block (the gated program's penalty, which has no vectorized form)
        warnings.filterwarnings("ignore", "Objective contains too many subexpressions", UserWarning)
        # cvxpy's own warning on an inaccurate end; VectorOutputProgram.solve reports it as a ConvergenceWarning
        warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
        try:
            problem.solve(solver="CLARABEL", verbose=verbose, tol_gap_abs=tol, tol_gap_rel=tol, tol_feas=tol)
            name = "CLARABEL"
        except cp.error.SolverError:
            problem.solve(solver="SCS", verbose=verbose, eps=max(tol, 1e-9), max_iters=100_000)
            name = "SCS"
    stats = problem.solver_stats
    n_iter = int(stats.num_iters) if stats is not None and stats.num_iters is not None else 0
    return _status(problem, name), n_iter, name


class VectorOutputProgram:
    r"""The convex program of a two-layer network with vector outputs (THEORY §I.1).

    ``activation="gated"`` solves **exactly** the gated program

    .. math:: \min_{V_i\in\mathbb R^{d\times c}}\;L\Big(\sum_{i=1}^PD_iXV_i\Big)+\beta\sum_{i=1}^P\|V_i\|_*,

    the weight-decay problem of gated networks whose gates are the arrangement's gates
    (:math:`D_i=\operatorname{diag}(\mathbb 1[Xg_i\ge0])`), with cvxpy ``normNuc`` and Clarabel.

    ``activation="relu"`` solves the **dictionary program**

    .. math:: \min_{g_k\in\mathbb R^c}\;L\Big(\sum_{k=1}^K(Xu_k)_+g_k^\top\Big)+\beta\sum_{k=1}^K\|g_k\|

    over a fixed set of unit directions :math:`u_k`, each inside the cone :math:`\mathcal K_i` of a
    pattern of the arrangement (so :math:`(Xu_k)_+=D_iXu_k`). It is the ReLU vector program
    :math:`\min L(\sum_iD_iXV_i)+\beta\sum_i\|V_i\|_{\mathcal K_i}` with the gauge restricted to atoms
    :math:`u_kg^\top` of the dictionary: an **upper bound** on the ReLU optimum :math:`p^*` that is
    attained by a network and never increases as the dictionary grows. When
    :math:`\operatorname{rank}X\le3` the solution also carries the exact dual check
    (:func:`dense_dual_check`) and hence a certified lower bound on :math:`p^*`. With :math:`c=1`
    both programs reduce to the scalar programs (CG) and (C) of THEORY §C.

    Parameters
    ----------
    X : array-like of shape (n, d)
        Used as given (append a column of ones yourself for a bias).
    Y : array-like of shape (n, c) or (n,)
        Targets (``±1`` for the logistic loss); a 1-D ``Y`` is one output.
    beta : float > 0
    arrangement : Arrangement
        The patterns (gated: the gates; relu: the cones the dictionary must lie in).
    activation : {"relu", "gated"}, default="relu"
    loss : {"squared", "logistic"}, default="squared"
    directions : array of shape (K, d) or None
        The dictionary (relu only). Default: :func:`direction_dictionary` at ``level``. Directions
        outside every cone of the arrangement are dropped.
    level : int, default=2
        Grid level of the default dictionary.

    Raises
    ------
    ValueError
        On inconsistent shapes, or a dictionary larger than :data:`MAX_DIRECTIONS` (for data of
        rank > 3 with many samples the default dictionary's rays can exceed it: pass
        ``directions=direction_dictionary(X, arrangement, include_rays=False, n_random=...)``).
    """

    def __init__(self, X, Y, beta, arrangement, activation="relu", loss="squared", directions=None, level=2):
        self.X = check_array(X, dtype=np.float64, input_name="X")
        Y = np.asarray(Y)
        if Y.ndim not in (1, 2):
            raise ValueError(f"Y must have shape (n,) or (n, c), got {Y.shape}.")
        self.one_dimensional = Y.ndim == 1
        self.Y = check_array(Y.reshape(Y.shape[0], -1), dtype=np.float64, input_name="Y")
        if self.Y.shape[0] != self.X.shape[0]:
            raise ValueError(f"X has {self.X.shape[0]} samples but Y has {self.Y.shape[0]}.")
        self.beta = check_beta(beta)
        if not isinstance(arrangement, Arrangement):
            raise TypeError(f"arrangement must be an Arrangement, got {type(arrangement).__name__}.")
        if arrangement.masks.shape[0] != self.X.shape[0] or arrangement.gates.shape[0] != self.X.shape[1]:
            raise ValueError(
                f"arrangement has patterns of {arrangement.masks.shape[0]} samples with gates of "
                f"{arrangement.gates.shape[0]} entries, but X has shape {self.X.shape}."
            )
        self.arrangement = arrangement
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}.")
        self.activation = activation
        self.loss = check_targets_for_loss(self.Y, loss).name
        self.directions = None
        self.pattern_index = None
        if activation == "relu":
            if directions is None:
                directions = direction_dictionary(self.X, arrangement, level=level)
            self._set_directions(directions)
        elif directions is not None:
            raise ValueError("directions are only used with activation='relu'.")
        self._compiled = None

    def _set_directions(self, directions):
        directions = check_array(directions, dtype=np.float64, input_name="directions")
        if directions.shape[1] != self.X.shape[1]:
            raise ValueError(f"directions must have {self.X.shape[1]} columns, got shape {directions.shape}.")
        norms = np.linalg.norm(directions, axis=1)
        directions = directions[norms > 0] / norms[norms > 0, None]
        directions = directions[_unique_directions(directions)]
        membership = _cone_membership(self.X, self.arrangement.masks, directions)
        inside = membership.any(axis=0)
        directions = directions[inside]
        if directions.shape[0] > MAX_DIRECTIONS:
            raise ValueError(f"the dictionary has {directions.shape[0]} directions, above MAX_DIRECTIONS={MAX_DIRECTIONS}.")
        if directions.shape[0] == 0:
            raise ValueError("no direction of the dictionary lies in a cone of the arrangement.")
        self.directions = directions
        self.pattern_index = np.argmax(membership[:, inside], axis=0)

    # ------------------------------------------------------------------ data
    @property
    def n_outputs(self):
        """Number of outputs :math:`c`."""
        return self.Y.shape[1]

    @property
    def features(self):
        r"""Dictionary columns :math:`a_k=(Xu_k)_+`, shape (n, K) (relu only)."""
        return np.maximum(self.X @ self.directions.T, 0.0)

    def _pattern_design(self):
        """:math:`[D_1X,\\dots,D_PX]`, shape (n, P d)."""
        masks = self.arrangement.masks.astype(float)
        return (masks[:, :, None] * self.X[:, None, :]).reshape(self.X.shape[0], -1)

    def with_directions(self, directions):
        """The same program with ``directions`` appended to the dictionary (relu only)."""
        if self.activation != "relu":
            raise ValueError("with_directions needs activation='relu'.")
        program = object.__new__(VectorOutputProgram)
        program.__dict__.update(self.__dict__)
        program._set_directions(np.vstack([self.directions, np.asarray(directions, dtype=float).reshape(-1, self.X.shape[1])]))
        program._compiled = None
        return program

    def with_beta(self, beta):
        """The same program with another :math:`\\beta`, sharing the compiled cvxpy problem."""
        program = object.__new__(VectorOutputProgram)
        program.__dict__.update(self.__dict__)
        program.beta = check_beta(beta)
        return program

    @property
    def can_refine(self):
        r"""Whether :meth:`refine` has a rule: :math:`c=1` or :math:`\operatorname{rank}X\le3` (relu only)."""
        return self.activation == "relu" and (self.n_outputs == 1 or _row_space(self.X).shape[1] <= MAX_CHECK_RANK)

    def refine(self, solution, *, n_new=8):
        r"""Column generation: the program with the most violated directions at ``solution`` added.

        The new directions maximize :math:`\|\Lambda^\top(Xu)_+\|` at the solution's dual: the
        ``n_new`` best critical directions of :func:`dense_dual_check` (rank :math:`\le3`) and, for
        :math:`c=1`, the exact projected directions :math:`\Pi_{\mathcal K_i}(\pm X^\top D_i\nu)/\|\cdot\|`
        of THEORY §D for every pattern. The dictionary only grows, so the upper bound cannot increase.

        Raises
        ------
        ValueError
            If neither rule applies (:math:`c>1` and rank :math:`>3`).
        """
        if self.activation != "relu":
            raise ValueError("refine needs activation='relu'.")
        new = []
        dual = _as_matrix(solution.dual, self.X.shape[0])
        if self.n_outputs == 1:
            constraint = dual_constraint(dual[:, 0], self.X, self.arrangement.masks)
            directions = constraint.directions.reshape(-1, self.X.shape[1])
            new.append(directions[np.linalg.norm(directions, axis=1) > 0])
        if _row_space(self.X).shape[1] <= MAX_CHECK_RANK:
            check = solution.check if solution.check is not None else dense_dual_check(dual, self.X)
            new.append(check.top_directions(n_new))
        elif self.n_outputs > 1:
            raise ValueError(
                f"refine needs c = 1 or rank(X) <= {MAX_CHECK_RANK}; got c = {self.n_outputs} and rank "
                f"{_row_space(self.X).shape[1]}. Pass a larger dictionary with with_directions instead."
            )
        return self.with_directions(np.vstack(new))

    # ------------------------------------------------------------ evaluation
    def _loss(self):
        return get_loss(self.loss)

    def gated_objective(self, blocks):
        r"""Return :math:`L(\sum_iD_iXV_i)+\beta\sum_i\|V_i\|_*` for blocks of shape (P, d, c)."""
        prediction = self._pattern_design() @ blocks.reshape(-1, self.n_outputs)
        nuclear = sum(np.linalg.svd(block, compute_uv=False).sum() for block in blocks)
        return self._loss().value(prediction, self.Y) + self.beta * float(nuclear)

    def dictionary_objective(self, outputs):
        r"""Return :math:`L(\sum_k(Xu_k)_+g_k^\top)+\beta\sum_k\|g_k\|` for outputs of shape (K, c)."""
        prediction = self.features @ outputs
        return self._loss().value(prediction, self.Y) + self.beta * float(np.linalg.norm(outputs, axis=1).sum())

    # ---------------------------------------------------------------- solve
    def _compile(self):
        import cvxpy as cp

        if self._compiled is not None:
            return self._compiled
        n, d = self.X.shape
        c = self.n_outputs
        beta = cp.Parameter(nonneg=True, name="beta")
        if self.activation == "gated":
            P = self.arrangement.n_patterns
            variable = cp.Variable((P * d, c), name="V")
            prediction = self._pattern_design() @ variable
            blocks = [variable[i * d:(i + 1) * d, :] for i in range(P)]
            if c == 1 or d == 1:  # rank <= 1: the nuclear norm is the Frobenius norm (an SOC)
                penalty = cp.sum(cp.hstack([cp.norm(block, "fro") for block in blocks]))
            else:
                penalty = cp.sum(cp.hstack([cp.normNuc(block) for block in blocks]))
        else:
            variable = cp.Variable((self.directions.shape[0], c), name="G")
            prediction = self.features @ variable
            penalty = cp.sum(cp.norm(variable, 2, axis=1))
        objective = self._loss().cvxpy_expression(prediction, self.Y) + beta * penalty
        self._compiled = (cp.Problem(cp.Minimize(objective)), beta, variable)
        return self._compiled

    def solve(self, solver="auto", *, tol=1e-9, verbose=False, certify="auto", check_level=4):
        """Solve the program with cvxpy and Clarabel (SCS if Clarabel fails).

        Parameters
        ----------
        solver : {"auto", "cvxpy"}
            Both mean cvxpy with Clarabel.
        tol : float
            Clarabel's gap and feasibility tolerances.
        verbose : bool
        certify : {"auto", True, False}
            relu only: run :func:`dense_dual_check` (``"auto"``: when rank X <= 3; ``True`` raises
            beyond).
        check_level : int
            Grid level of the dual check.

        Returns
        -------
        GatedVectorSolution or ReLUVectorSolution

        Warns
        -----
        ConvergenceWarning
            If the solver reports an inaccurate solution.

        Raises
        ------
        SolverError
            If the solver fails.
        """
        if solver not in ("auto", "cvxpy"):
            raise ValueError(f"solver must be 'auto' or 'cvxpy', got {solver!r}.")
        if not (isinstance(tol, (int, float)) and tol > 0):
            raise ValueError(f"tol must be a positive number, got {tol!r}.")
        if certify not in ("auto", True, False):
            raise ValueError(f"certify must be 'auto', True or False, got {certify!r}.")
        problem, beta, variable = self._compile()
        beta.value = self.beta
        status, n_iter, name = _run(problem, tol, verbose)
        if variable.value is None or not np.all(np.isfinite(variable.value)):
            raise SolverError(f"cvxpy solver {name} returned no finite solution (status {problem.status!r}).")
        value = np.asarray(variable.value, dtype=float)
        solution = self._gated_solution(value, status, n_iter, name) if self.activation == "gated" else \
            self._relu_solution(value, status, n_iter, name, certify, check_level)
        if status != "optimal":
            warnings.warn(
                f"cvxpy solver {name} stopped with status {status!r}; objective {solution.objective:.6g}.",
                ConvergenceWarning, stacklevel=2,
            )
        return solution

    def _gated_solution(self, value, status, n_iter, name):
        n, d = self.X.shape
        blocks = value.reshape(self.arrangement.n_patterns, d, self.n_outputs)
        prediction = self._pattern_design() @ value
        loss = self._loss()
        dual = loss.negative_gradient(prediction, self.Y)
        correlations = np.einsum("nd,np,nc->pdc", self.X, self.arrangement.masks.astype(float), dual)
        violation = float(np.linalg.norm(correlations, ord=2, axis=(1, 2)).max(initial=0.0))
        lower = dual_lower_bound(dual, self.Y, self.beta, violation, self.loss)
        objective = self.gated_objective(blocks)
        return GatedVectorSolution(
            blocks=blocks, gates=self.arrangement.gates.T.copy(), objective=objective,
            prediction=_shape_like(prediction, self.one_dimensional), dual=_shape_like(dual, self.one_dimensional),
            dual_violation=violation, lower_bound=lower, duality_gap=objective - lower, status=status,
            n_iter=n_iter, solver=name, beta=self.beta, loss=self.loss,
        )

    def _relu_solution(self, outputs, status, n_iter, name, certify, check_level):
        features = self.features
        prediction = features @ outputs
        loss = self._loss()
        dual = loss.negative_gradient(prediction, self.Y)
        dictionary_violation = float(_constraint_values(dual, self.X, self.directions).max(initial=0.0))
        dictionary_lower = dual_lower_bound(dual, self.Y, self.beta, dictionary_violation, self.loss)
        rank = _row_space(self.X).shape[1]
        check = None
        if certify is True or (certify == "auto" and rank <= MAX_CHECK_RANK):
            check = dense_dual_check(dual, self.X, level=check_level)
        objective = self.dictionary_objective(outputs)
        violation = check.value if check is not None else np.nan
        lower = dual_lower_bound(dual, self.Y, self.beta, violation, self.loss) if check is not None else np.nan
        return ReLUVectorSolution(
            directions=self.directions, outputs=outputs, pattern_index=self.pattern_index, objective=objective,
            prediction=_shape_like(prediction, self.one_dimensional), dual=_shape_like(dual, self.one_dimensional),
            dictionary_lower_bound=dictionary_lower, check=check, dual_violation=violation, lower_bound=lower,
            gap=objective - lower, status=status, n_iter=n_iter, solver=name, beta=self.beta, loss=self.loss,
        )


# --------------------------------------------------------------------------------------------
# Refinement of the dictionary
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DictionaryRefinement:
    r"""How the bounds on the ReLU vector optimum :math:`p^*` move as the dictionary grows.

    Attributes
    ----------
    n_directions : tuple of int
        Dictionary size at each round.
    upper_bounds : tuple of float
        The dictionary optimum at each round (non-increasing up to the solver's tolerance).
    lower_bounds : tuple of float
        The certified lower bound of each round (NaN without the dual check).
    solutions : tuple of ReLUVectorSolution
    """

    n_directions: tuple
    upper_bounds: tuple
    lower_bounds: tuple
    solutions: tuple = field(repr=False)

    @property
    def best_lower_bound(self):
        """The largest certified lower bound over the rounds."""
        return float(np.nanmax(self.lower_bounds)) if np.any(np.isfinite(self.lower_bounds)) else np.nan

    @property
    def solution(self):
        """The last (best) solution."""
        return self.solutions[-1]


def dictionary_refinement(program, *, rounds=10, rtol=1e-7, n_new=8, tol=1e-9):
    """Solve, then refine by column generation (:meth:`VectorOutputProgram.refine`) until certified.

    Stops after the first solve when no refinement rule applies (:math:`c>1` and rank > 3); the
    lower bounds are NaN whenever the exact dual check cannot run (rank > 3).

    Parameters
    ----------
    program : VectorOutputProgram
        With ``activation="relu"``.
    rounds : int
        At most this many solves.
    rtol : float
        Stop once ``solution.relative_gap <= rtol``.
    n_new : int
        Directions added per round by the dual check.
    tol : float
        Solver tolerance.

    Returns
    -------
    DictionaryRefinement
    """
    if not isinstance(program, VectorOutputProgram) or program.activation != "relu":
        raise ValueError("program must be a VectorOutputProgram with activation='relu'.")
    solutions = []
    for round_index in range(int(rounds)):
        solution = program.solve(tol=tol)
        solutions.append(solution)
        if solution.check is not None and solution.relative_gap <= rtol:
            break
        if round_index + 1 < rounds and program.can_refine:
            program = program.refine(solution, n_new=n_new)
        else:
            break
    return DictionaryRefinement(
        n_directions=tuple(s.n_directions for s in solutions),
        upper_bounds=tuple(float(s.objective) for s in solutions),
        lower_bounds=tuple(float(s.lower_bound) for s in solutions),
        solutions=tuple(solutions),
    )


# --------------------------------------------------------------------------------------------
# Optimal atoms, vertices and paths
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VectorAtoms:
    r"""Atoms :math:`(u_k,\hat g_k)` fixed by a dual :math:`\Lambda`: unit first-layer directions and
    unit output vectors :math:`\hat g_k=\Lambda^\top a_k/\|\Lambda^\top a_k\|`, :math:`a_k=(Xu_k)_+`.

    With :math:`\|\Lambda^\top a_k\|=\beta` for all :math:`k` (tight atoms), every
    :math:`c\ge0` with :math:`\sum_kc_ka_k\hat g_k^\top=\hat Y^*` is an optimal convex point of the
    dictionary program (the vector form of the optimal polytope, THEORY §D), and its network
    :meth:`network` has the optimal objective.

    Attributes
    ----------
    directions : ndarray of shape (K, d)
    outputs : ndarray of shape (K, c)
    values : ndarray of shape (K,)
        :math:`\|\Lambda^\top a_k\|/\beta` (1 for tight atoms).
    features : ndarray of shape (n, K)
        :math:`a_k`.
    """

    directions: np.ndarray
    outputs: np.ndarray
    values: np.ndarray
    features: np.ndarray = field(repr=False)

    @property
    def fit_matrix(self):
        r"""Matrix (n c, K) whose column :math:`k` is :math:`\operatorname{vec}(a_k\hat g_k^\top)`."""
        return np.einsum("nk,kc->nck", self.features, self.outputs).reshape(-1, self.directions.shape[0])

    def network(self, coefficients, *, width=None):
        r"""The balanced network with neuron :math:`k` equal to :math:`(\sqrt{c_k}u_k,\sqrt{c_k}\hat g_k)`.

        Its fit is :math:`\sum_kc_ka_k\hat g_k^\top` and its penalty :math:`\beta\sum_kc_k`.

        Parameters
        ----------
        coefficients : array of shape (K,)
            :math:`c\ge0`.
        width : int or None
            Append zero neurons up to this width.

        Returns
        -------
        ReLUNetwork
        """
        coefficients = np.asarray(coefficients, dtype=float)
        if coefficients.shape != (self.directions.shape[0],) or np.any(coefficients < 0):
            raise ValueError(f"coefficients must be non-negative with shape ({self.directions.shape[0]},).")
        root = np.sqrt(coefficients)[:, None]
        network = ReLUNetwork(root * self.directions, root * self.outputs)
        return network if width is None else network.padded(width)


def optimal_atoms(solution, X, *, rtol=1e-6):
    r"""The tight atoms at a :class:`ReLUVectorSolution`'s dual: the vector analogue of THEORY §D's
    fixed optimal directions.

    Candidates are the dictionary's directions and, when the exact dual check ran, its critical
    directions (which contain every maximizer of :math:`\|\Lambda^\top(Xu)_+\|`). A candidate is kept
    when :math:`\|\Lambda^\top(Xu)_+\|\ge\beta(1-\text{rtol})`; equal directions are merged.

    Parameters
    ----------
    solution : ReLUVectorSolution
    X : ndarray of shape (n, d)
        The program's X.
    rtol : float

    Returns
    -------
    VectorAtoms
    """
    X = check_array(X, dtype=np.float64, input_name="X")
    dual = _as_matrix(solution.dual, X.shape[0])
    candidates = solution.directions
    if solution.check is not None:
        candidates = np.vstack([candidates, solution.check.candidates])
    values = _constraint_values(dual, X, candidates)
    directions = candidates[values >= solution.beta * (1 - rtol)]
    directions = directions[_unique_directions(directions, tol=1e-7)]
    features = np.maximum(X @ directions.T, 0.0)
    correlations = dual.T @ features  # (c, K)
    norms = np.linalg.norm(correlations, axis=0)
    return VectorAtoms(directions, (correlations / norms).T, norms / solution.beta, features)


def polytope_vertex(atoms, fit, cost):
    r"""A vertex of :math:`\{c\ge0:\sum_kc_ka_k\hat g_k^\top=\hat Y\}` minimizing ``cost``:math:`^\top c` (HiGHS).

    ``fit`` is first replaced by its non-negative least-squares approximation
    :math:`\sum_kc^0_ka_k\hat g_k^\top` (so the equality system is consistent to rounding).

    Parameters
    ----------
    atoms : VectorAtoms
    fit : ndarray of shape (n, c) or (n,)
        :math:`\hat Y` (e.g. ``solution.prediction``).
    cost : ndarray of shape (K,)

    Returns
    -------
    ndarray of shape (K,)
        A basic feasible (vertex) solution.

    Raises
    ------
    SolverError
        If the linear program fails.
    """
    matrix = atoms.fit_matrix
    start, _ = nnls(matrix, np.asarray(fit, dtype=float).reshape(-1), maxiter=50 * matrix.shape[1])
    result = linprog(np.asarray(cost, dtype=float), A_eq=matrix, b_eq=matrix @ start, bounds=(0, None), method="highs-ds")
    if result.status != 0:
        raise SolverError(f"linprog failed on the optimal polytope: {result.message}")
    return np.maximum(result.x, 0.0)


@dataclass(frozen=True)
class VectorPath:
    r"""A path of networks :math:`\theta(t)`, :math:`t\in[0,1]`, with their objectives.

    Attributes
    ----------
    t : ndarray of shape (T,)
    networks : tuple of ReLUNetwork
    objectives : ndarray of shape (T,)
        :meth:`ReLUNetwork.objective` of each network.
    """

    t: np.ndarray
    networks: tuple = field(repr=False)
    objectives: np.ndarray

    @property
    def max_deviation(self):
        """Largest :math:`|F(\\theta(t))-F(\\theta(0))|` along the path."""
        return float(np.max(np.abs(self.objectives - self.objectives[0])))


def linear_path(network_a, network_b, X, Y, beta, *, n_points=21, loss="squared", atol=1e-8):
    r"""The slot-wise path of coefficients between two balanced networks (THEORY §E, §I.1).

    Neuron :math:`j` of a balanced network is :math:`\sqrt{c_j}(\hat u_j,\hat g_j)` with
    :math:`c_j=\|\tilde w_j\|\|\alpha_j\|`, unit first-layer direction :math:`\hat u_j` and unit output
    :math:`\hat g_j`. Where both networks have a non-zero neuron in slot :math:`j` these must agree;
    the path keeps them and moves :math:`c_j(t)=(1-t)c^a_j+tc^b_j`. The fit and the penalty are then
    linear in :math:`t`, so by convexity of :math:`L`,
    :math:`F(\theta(t))\le(1-t)F(\theta_a)+tF(\theta_b)`: between two optimal networks the objective is
    constant (a path inside the optimal set), which :attr:`VectorPath.objectives` verifies.

    Parameters
    ----------
    network_a, network_b : ReLUNetwork
        Balanced (see :meth:`ReLUNetwork.balanced`), same width and shape.
    X, Y : arrays
        Data for :meth:`ReLUNetwork.objective`.
    beta : float
    n_points : int >= 2
    loss : {"squared", "logistic"}
    atol : float
        Tolerance of the balance and slot-agreement checks.

    Returns
    -------
    VectorPath

    Raises
    ------
    ValueError
        If the networks differ in shape, are not balanced, or disagree on a shared slot.
    """
    for name, network in (("network_a", network_a), ("network_b", network_b)):
        if not isinstance(network, ReLUNetwork):
            raise TypeError(f"{name} must be a ReLUNetwork, got {type(network).__name__}.")
    if (network_a.augmented_weights.shape != network_b.augmented_weights.shape
            or network_a.output_weights.shape != network_b.output_weights.shape
            or (network_a.hidden_bias is None) != (network_b.hidden_bias is None)):
        raise ValueError("network_a and network_b must have the same width, inputs, outputs and bias.")
    if isinstance(n_points, bool) or not isinstance(n_points, (int, np.integer)) or n_points < 2:
        raise ValueError(f"n_points must be an integer >= 2, got {n_points!r}.")
    width = network_a.width
    atoms = []
    for name, network in (("network_a", network_a), ("network_b", network_b)):
        first, second = network.neuron_norms()
        if np.any(np.abs(first - second) > atol * np.maximum(1.0, first)):
            raise ValueError(f"{name} is not balanced (||w_j|| != ||alpha_j||); use network.balanced() first.")
        active = (first > 0) & (second > 0)
        unit_in = np.zeros_like(network.augmented_weights)
        unit_out = np.zeros((width, network.n_outputs))
        unit_in[active] = network.augmented_weights[active] / first[active, None]
        unit_out[active] = network.output_weights.reshape(width, -1)[active] / second[active, None]
        atoms.append((first * second * active, unit_in, unit_out, active))
    (coef_a, in_a, out_a, on_a), (coef_b, in_b, out_b, on_b) = atoms
    shared = on_a & on_b
    disagree = shared & ((np.linalg.norm(in_a - in_b, axis=1) > atol) | (np.linalg.norm(out_a - out_b, axis=1) > atol))
    if disagree.any():
        raise ValueError(
            f"slot {int(np.argmax(disagree))} holds different neurons in network_a and network_b; a linear path "
            "needs every shared slot to hold the same direction and output direction."
        )
    unit_in = np.where(on_a[:, None], in_a, in_b)
    unit_out = np.where(on_a[:, None], out_a, out_b)
    t = np.linspace(0.0, 1.0, int(n_points))
    networks, objectives = [], []
    for s in t:
        root = np.sqrt((1 - s) * coef_a + s * coef_b)[:, None]
        output = (root * unit_out).reshape(network_a.output_weights.shape)
        network = ReLUNetwork.from_augmented(root * unit_in, output, network_a.hidden_bias is not None)
        networks.append(network)
        objectives.append(network.objective(X, Y, beta, loss))
    return VectorPath(t=t, networks=tuple(networks), objectives=np.asarray(objectives))


# --------------------------------------------------------------------------------------------
# A vector-output example with a continuum of optimal networks
# --------------------------------------------------------------------------------------------


def make_vector_continuum(n_vertices=6, *, radius=1.0, coefficient=0.5, rtol=1e-9):
    r"""Two-output data whose optimal ReLU networks form a continuum (THEORY §H.2 recipe, vector form).

    The inputs are the corners :math:`x_k` of a regular polygon (with the bias column) and the dual is
    the rank-two matrix :math:`\Lambda` with rows :math:`x_k^\top`. :math:`\beta=V(\Lambda)` is computed
    exactly (:func:`dense_dual_check`), so every maximizing direction :math:`u` is a tight atom
    :math:`(u,\hat g)`, :math:`\hat g=\Lambda^\top(\tilde Xu)_+/\beta`. With the fit matrix :math:`M` of
    the atoms and :math:`c=\text{coefficient}\cdot\mathbf 1`, the targets are
    :math:`Y=\operatorname{mat}(Mc)+\Lambda`; then :math:`\hat Y^*=\operatorname{mat}(Mc)`,
    :math:`p^*=\frac12\|\Lambda\|^2+\beta\sum_kc_k`, and every :math:`c'\ge0` with :math:`Mc'=Mc` gives an
    optimal network. For ``n_vertices=6`` there are 6 tight atoms of rank 5: a segment of optimal
    networks joining two 3-neuron vertices.

    Parameters
    ----------
    n_vertices : int >= 3, default=6
    radius : float > 0, default=1.0
    coefficient : float > 0, default=0.5
    rtol : float, default=1e-9
        Relative tolerance for an atom to count as tight.

    Returns
    -------
    Dataset
        ``X`` (n, 2) without the bias column, ``y`` the targets :math:`Y` (n, 2), ``beta``,
        ``fit_intercept=True``.

    Raises
    ------
    ValueError
        If the tight atoms are linearly independent (no continuum).
    """
    from ..arrangements import add_intercept
    from ..datasets import Dataset

    if isinstance(n_vertices, bool) or not isinstance(n_vertices, (int, np.integer)) or n_vertices < 3:
        raise ValueError(f"n_vertices must be an integer >= 3, got {n_vertices!r}.")
    radius = check_beta(radius, name="radius")
    coefficient = check_beta(coefficient, name="coefficient")
    angles = np.pi / 2 + 2 * np.pi * np.arange(n_vertices) / n_vertices
    X = radius * np.column_stack([np.cos(angles), np.sin(angles)])
    X_aug = add_intercept(X)
    dual = X.copy()
    check = dense_dual_check(dual, X_aug)
    beta = check.value
    directions = check.candidates[check.candidate_values >= beta * (1 - rtol)]
    directions = directions[_unique_directions(directions, tol=1e-7)]
    features = np.maximum(X_aug @ directions.T, 0.0)
    outputs = (dual.T @ features / beta).T
    matrix = np.einsum("nk,kc->nck", features, outputs).reshape(-1, directions.shape[0])
    rank = np.linalg.matrix_rank(matrix, tol=1e-9)
    if rank >= directions.shape[0]:
        raise ValueError(
            f"n_vertices={n_vertices} gives {directions.shape[0]} independent tight atoms: no continuum; try n_vertices=6."
        )
    Y = (matrix @ np.full(directions.shape[0], coefficient)).reshape(n_vertices, 2) + dual
    return Dataset(X, Y, beta, True, f"vector-continuum-{n_vertices}",
                   f"Regular {n_vertices}-gon, two outputs: {directions.shape[0]} tight atoms of rank {rank}, "
                   "a continuum of optimal vector-output networks.")
