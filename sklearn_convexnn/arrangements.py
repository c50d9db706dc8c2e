"""Activation patterns of the data: hyperplane arrangements (THEORY.md section B).

For data :math:`X\\in\\mathbb R^{n\\times d}` with rows :math:`x_k^\\top` and a gate
:math:`g\\in\\mathbb R^d`, the activation pattern of :math:`g` is the diagonal matrix

.. math::

    D(g) = \\operatorname{diag}\\big(\\mathbb 1[Xg \\ge 0]\\big),

stored here as the boolean vector :math:`\\mathbb 1[Xg\\ge0]\\in\\{0,1\\}^n` (a *mask*).
With an intercept the data are replaced by :math:`\\tilde X=[X,\\mathbf 1]` and the gates have
:math:`d+1` entries. The patterns of *generic* gates (no :math:`x_k^\\top g=0` for a non-zero row)
are the open regions of the central arrangement :math:`\\{g : x_k^\\top g = 0\\}`, and the cone of
pattern :math:`i` is :math:`\\mathcal K_i=\\{u:(2D_i-I)Xu\\ge0\\}`; a generic gate lies in the interior
of its own cone.

Two ways of obtaining patterns are provided:

* :func:`enumerate_patterns` lists **every** region exactly (``exhaustive=True``). It works in the
  row space of the data and is polynomial for fixed rank :math:`r`: there are at most
  :math:`2\\sum_{k<r}\\binom{n-1}{k}=O(n^{r-1})` regions (:func:`count_patterns_bound`).
* :func:`sample_patterns` draws Gaussian gates :math:`g\\sim\\mathcal N(0,I)` and keeps the distinct
  patterns they produce (``exhaustive=False``); small regions can be missed. With
  ``standardize=True`` (the estimators' choice) the gates are :math:`Tg`, :math:`T` a coarse
  standardization of the columns (:func:`gate_scaling`), so that their hyperplanes pass through the
  data whatever its units.

Conventions
-----------
* A pattern is *trivial* when it activates no non-zero row of the (augmented) data, i.e.
  :math:`D_iX=0`; such a block contributes nothing to the convex program and is dropped. Without
  zero rows this is exactly the all-zero mask. Zero rows have :math:`x_k^\\top g=0\\ge0`, so their
  mask entry is always ``True``.
* If every row of the (augmented) data is zero, all gates give the all-``True`` pattern, which is
  then trivial as well. So that an arrangement is never empty in this degenerate case, both
  functions return that single all-``True`` pattern (with gate :math:`e_1` from enumeration).
* Numerical tolerances (relative to unit-normalised rows of the data with its rows and columns balanced by
  powers of two, which changes no pattern; see :func:`enumerate_patterns`): normals that agree
  up to sign within ``1e-10`` are treated as one hyperplane, directions with relative singular value below
  ``1e-10`` are ignored when computing the rank, and every enumeration gate has a normalised margin
  :math:`\\min_k |x_k^\\top g|/(\\|x_k\\|\\|g\\|) > 10^{-12}` over the non-zero rows, else
  an ``EnumerationError`` (a ``RuntimeError``) is raised (results are never silently wrong).
"""

from __future__ import annotations

import inspect
import itertools
import math
import numbers
import re
from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_array, check_random_state

from ._numerics import binary_exponent, normalised_rows, safe_row_norms

__all__ = [
    "Arrangement",
    "EnumerationError",
    "add_intercept",
    "count_patterns_bound",
    "enumerate_patterns",
    "gate_scaling",
    "sample_patterns",
]


class EnumerationError(RuntimeError):
    """Exact enumeration could not certify the patterns it found (numerically degenerate data).

    Raised by :func:`enumerate_patterns`; sampled patterns (:func:`sample_patterns`) work on such data.
    """


# Unit normals closer than this (up to sign) describe the same hyperplane.
_PARALLEL_TOL = 1e-10
# |u^T h| <= this for unit u, h: the ray h lies on the hyperplane of u.
_ZERO_TOL = 1e-10
# Singular values below this fraction of the largest are treated as zero.
_RANK_RTOL = 1e-10
# Smallest normalised margin accepted for an enumerated gate.
_MIN_MARGIN = 1e-12
# Stopping tolerance of the LSQR in _balancing_exponents, whose solution is rounded to integers: measured, 3 iterations
# on dense data, 11-29 with 30-80% zero entries (12 x 4 .. 20000 x 11, rows and columns 1e+-50 and 1e+-100 apart),
# the exponents within 6e-6 of numpy's lstsq; scipy's iteration limit 2 (n + d) is never reached.
_BALANCING_TOL = 1e-8
# Number of (r-1)-subsets processed per vectorised batch.
_SUBSET_BATCH = 20000
# Normalised margin min_k s_k x_k^T u / (|x_k| |u|) below which a cone has no interior the solvers resolve (the
# margin enumerate_patterns asks of its gates; column generation's directions keep 1e-11, projections 1e-12): a sampled
# gate Tg (standardize=True) below it whose pattern's cone has no point above it is replaced by its draw g, and
# gate_scaling leaves unscaled a column at most this fraction of its row's largest entry in every row (it decides only
# patterns of such margins). Measured, smallest margins of 2000 standardized gates: synthetic (200, 5) 5e-6, diabetes
# 8e-7, and as shipped linnerud 3e-8, wine 9e-10, diabetes 6e-8, breast cancer 8e-12 (without the ones column one
# gate of 1e-12, whose cone the LP finds resolvable); sweep16 case 178212 (features 1.8e7 beside 1e-72, 1e-27, 2e-82)
# 9e-92..7e-89 (Clarabel "infeasible", column generation stalled at a gap of 0.998), offsets 1e8 and 1e11 with
# spreads 1e-3 and 1e-4: 2e-22..8e-20 and 4e-30..8e-28, linnerud with a feature in units of 2^40: 1e-17..6e-16
MIN_SAMPLED_MARGIN = 1e-12
# Rounds of the cutting-plane LP that looks for such a margin in the cone of a thin gate's pattern.
_INTERIOR_LP_ROUNDS = 8
# gate_scaling's entries kept within 2^-500..2^500 where possible: the gates Tg and their squared norms stay finite
# and normal.
_GATE_EXPONENT_LIMIT = 500

# scikit-learn renamed force_all_finite to ensure_all_finite in 1.6.
_FINITE_KWARG = (
    "ensure_all_finite"
    if "ensure_all_finite" in inspect.signature(check_array).parameters
    else "force_all_finite"
)


# --------------------------------------------------------------------------------------------
# Container
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class Arrangement:
    """A set of distinct activation patterns of the data, with a gate generating each.

    Parameters
    ----------
    masks : ndarray of bool, shape (n_samples, n_patterns)
        Column :math:`i` is the diagonal of :math:`D_i=\\operatorname{diag}(\\mathbb 1[Xg_i\\ge0])`
        (with :math:`X` the possibly intercept-augmented data).
    gates : ndarray of float, shape (n_gate_features, n_patterns)
        Column :math:`i` is a vector :math:`g_i` with :math:`\\mathbb 1[Xg_i\\ge0]` equal to mask
        :math:`i`. Gates from :func:`enumerate_patterns` are generic (no non-zero row has
        :math:`x_k^\\top g_i=0`), hence interior points of the cone
        :math:`\\mathcal K_i=\\{u:(2D_i-I)Xu\\ge0\\}`.
    exhaustive : bool
        True only when every non-trivial pattern of the data is present.

    Notes
    -----
    The arrays are copied and made read-only on construction.
    """

    masks: np.ndarray
    gates: np.ndarray
    exhaustive: bool

    def __post_init__(self):
        masks = np.array(self.masks, dtype=bool, copy=True)
        gates = np.array(self.gates, dtype=np.float64, copy=True)
        if masks.ndim != 2 or gates.ndim != 2:
            raise ValueError(
                "masks and gates must be 2-D arrays, got shapes "
                f"{masks.shape} and {gates.shape}."
            )
        if masks.shape[1] != gates.shape[1]:
            raise ValueError(
                "masks and gates must have the same number of columns (patterns), got "
                f"{masks.shape[1]} and {gates.shape[1]}."
            )
        masks.setflags(write=False)
        gates.setflags(write=False)
        object.__setattr__(self, "masks", masks)
        object.__setattr__(self, "gates", gates)
        object.__setattr__(self, "exhaustive", bool(self.exhaustive))

    def __repr__(self):
        return (
            f"Arrangement(n_samples={self.n_samples}, n_patterns={self.n_patterns}, "
            f"n_gate_features={self.gates.shape[0]}, exhaustive={self.exhaustive})"
        )

    @property
    def n_patterns(self) -> int:
        """Number :math:`P` of patterns (columns)."""
        return int(self.masks.shape[1])

    @property
    def n_samples(self) -> int:
        """Number :math:`n` of samples (rows of the masks)."""
        return int(self.masks.shape[0])

    def subset(self, index) -> Arrangement:
        """Arrangement made of the selected patterns.

        Parameters
        ----------
        index : int, slice, array of int or array of bool
            Columns to keep, in any form accepted by numpy indexing of ``range(P)``.

        Returns
        -------
        Arrangement
            The selected columns; ``exhaustive`` stays True only if every pattern is kept.
        """
        columns = np.atleast_1d(np.arange(self.n_patterns)[index])
        keeps_all = np.unique(columns).size == self.n_patterns
        return Arrangement(
            masks=self.masks[:, columns],
            gates=self.gates[:, columns],
            exhaustive=self.exhaustive and keeps_all,
        )

    def union(self, other: Arrangement) -> Arrangement:
        """Merge two arrangements of the same data, removing duplicate masks.

        Parameters
        ----------
        other : Arrangement
            Patterns of the same data (same ``n_samples`` and gate dimension).

        Returns
        -------
        Arrangement
            The patterns of ``self`` followed by the new patterns of ``other`` (the first gate of
            each mask is kept); ``exhaustive = self.exhaustive or other.exhaustive``.
        """
        if not isinstance(other, Arrangement):
            raise TypeError(f"other must be an Arrangement, got {type(other).__name__}.")
        if other.n_samples != self.n_samples or other.gates.shape[0] != self.gates.shape[0]:
            raise ValueError(
                "Cannot merge arrangements of different data: masks "
                f"{self.masks.shape} vs {other.masks.shape}, gates "
                f"{self.gates.shape} vs {other.gates.shape}."
            )
        masks = np.concatenate([self.masks, other.masks], axis=1)
        gates = np.concatenate([self.gates, other.gates], axis=1)
        first = _first_unique_columns(masks)
        return Arrangement(
            masks=masks[:, first],
            gates=gates[:, first],
            exhaustive=self.exhaustive or other.exhaustive,
        )


# --------------------------------------------------------------------------------------------
# Small public helpers
# --------------------------------------------------------------------------------------------


def add_intercept(X) -> np.ndarray:
    """Append a column of ones: :math:`\\tilde X=[X,\\mathbf 1]`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data.

    Returns
    -------
    ndarray of shape (n_samples, n_features + 1)
        A new float array whose last column is all ones.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array, got shape {X.shape}.")
    return np.hstack([X, np.ones((X.shape[0], 1))])


def count_patterns_bound(n, rank) -> int:
    """Upper bound on the number of regions of a central arrangement (Cover/Zaslavsky).

    .. math::

        P \\le 2\\sum_{k=0}^{r-1}\\binom{n-1}{k},

    for :math:`n` hyperplanes through the origin whose normals span a space of rank :math:`r`,
    with equality when the normals are in general position. The count **includes** the region
    whose pattern is all-zero (when it exists), so the number of non-trivial patterns is at most
    this value. Examples: ``(n, r) = (5, 2) -> 10``, ``(6, 3) -> 32``, ``(8, 3) -> 58``,
    ``(7, 4) -> 84``; 1-D data with intercept (``r = 2``) gives :math:`2n`.

    Parameters
    ----------
    n : int
        Number of hyperplanes (samples), ``n >= 0``.
    rank : int
        Rank :math:`r` of the data, ``0 <= rank <= n``.

    Returns
    -------
    int
        The bound (an exact Python integer). For ``rank = 0`` the whole space is one region and
        the result is 1.
    """
    n = _check_int(n, "n", min_val=0)
    rank = _check_int(rank, "rank", min_val=0)
    if rank > n:
        raise ValueError(f"rank must not exceed n, got rank={rank} and n={n}.")
    if rank == 0:
        return 1
    return 2 * sum(math.comb(n - 1, k) for k in range(rank))


# --------------------------------------------------------------------------------------------
# Exact enumeration
# --------------------------------------------------------------------------------------------


def enumerate_patterns(X, *, fit_intercept=False, max_patterns=20000) -> Arrangement:
    """Every distinct non-trivial activation pattern of the data, exactly.

    The patterns are :math:`\\mathbb 1[\\tilde Xg\\ge0]` for generic :math:`g` (the open regions of the
    central arrangement :math:`\\{g: \\tilde x_k^\\top g=0\\}`), with :math:`\\tilde X=[X,\\mathbf 1]` if
    ``fit_intercept`` else :math:`X`. Working in the row space of :math:`\\tilde X` (rank :math:`r`):

    * :math:`r=1`: the two half-lines :math:`g=\\pm v`.
    * :math:`r=2`: angular sweep. On the circle :math:`h(\\varphi)=(\\cos\\varphi,\\sin\\varphi)` the sign
      of :math:`x_k^\\top h` flips at :math:`\\arg(x_k)\\pm\\pi/2`; the midpoint of every arc between
      consecutive distinct flip angles is a gate.
    * :math:`r\\ge3`: every region is a pointed cone whose extreme rays are 1-dimensional flats
      :math:`h_0` (null direction of :math:`r-1` independent rows). At :math:`\\sigma h_0`,
      :math:`\\sigma=\\pm1`, rows with :math:`x_k^\\top h_0\\ne0` have the fixed sign of
      :math:`\\sigma x_k^\\top h_0`, and the rows :math:`Z` with :math:`x_k^\\top h_0=0` form a rank
      :math:`r-1` arrangement in :math:`h_0^\\perp`, enumerated recursively. Each of its gates
      :math:`\\delta` gives :math:`g=\\sigma h_0+\\varepsilon\\delta` with
      :math:`\\varepsilon=\\min\\big(1,\\tfrac12\\min_{k\\notin Z}|x_k^\\top h_0|/\\max_{k\\notin Z}|x_k^\\top\\delta|\\big)`,
      small enough that no row outside :math:`Z` changes sign. A region is met once near each of
      its extreme rays; the gate returned is the normalised sum of those gates, which lies in the
      same (convex) region and is better centred.

    Zero rows are excluded from the geometry (their mask entry is always True), and duplicate or
    parallel rows share one hyperplane. The geometry is computed on :math:`R\\tilde XS` with diagonal powers of two
    :math:`R=\\operatorname{diag}(2^{a_k})`, :math:`S=\\operatorname{diag}(2^{b_j})` balancing the magnitudes of the
    entries (:math:`a_k+b_j` the integers nearest the least-squares fit of :math:`-\\log_2|\\tilde x_{kj}|` over the
    non-zero entries, then :math:`a_k` lowered so that every row's largest entry is in :math:`[1/2,1)`): a positive
    factor leaves a row's hyperplane where it is, so its regions are those of :math:`\\tilde X` (gate :math:`Sg'`
    for :math:`g'`); the scaling is exact (entries below :math:`2^{-1074}` of their row's largest are dropped), and
    the result does not depend on the units of the columns nor on the size of a row
    (:math:`\\operatorname{diag}(2^{p})\\tilde X\\operatorname{diag}(2^{q})` is balanced to the same matrix). Where the
    gates :math:`Sg'` cannot be represented in float64 (columns whose scales span more than the exponent range: their
    components underflow), :class:`EnumerationError` is raised.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data (finite).
    fit_intercept : bool, default=False
        Enumerate the patterns of :math:`[X,\\mathbf 1]` (gates then have ``n_features + 1`` rows).
    max_patterns : int, default=20000
        Refuse (``ValueError``) when the bound :func:`count_patterns_bound` evaluated at the number
        of distinct hyperplanes and the rank exceeds this.

    Returns
    -------
    Arrangement
        ``masks`` of shape (n_samples, P), unit-norm generic ``gates`` of shape
        (n_gate_features, P), ``exhaustive=True``. Patterns are sorted lexicographically by mask.
        If all rows are zero, the single all-True pattern with gate :math:`e_1` is returned.

    Raises
    ------
    TypeError
        If ``max_patterns`` is not an integer.
    ValueError
        If ``X`` is invalid, ``max_patterns < 1``, or the bound on the number of patterns exceeds
        ``max_patterns`` (use :func:`sample_patterns` then).
    EnumerationError
        If a gate comes within normalised margin :math:`10^{-12}` of a hyperplane, or the
        patterns fail a consistency check (numerically degenerate data), or a returned gate does not
        generate its mask in float64 (columns scaled beyond the exponent range).
    """
    X = _check_X(X)
    max_patterns = _check_int(max_patterns, "max_patterns", min_val=1)
    Xa = add_intercept(X) if fit_intercept else X
    n, n_gate_features = Xa.shape
    # the geometry is that of R Xa S, powers of two balancing the magnitudes of the entries (_balancing_exponents):
    # the same patterns (gates S g'), computed exactly, and at the mercy neither of units (the unit rows of
    # [1e-10 X, 1] agree to 1e-10 and were merged into one hyperplane: 3 of 871 patterns, "exhaustive") nor of the
    # size of a row (columns scaled by their largest entries, a row of 1e20 with a zero entry left that column the
    # only one of unit size in the other rows: 4 of 58 patterns, "exhaustive"; rows scaled first, an entry of 1e-316
    # beside 1e34 underflowed and a whole feature was lost)
    row_exponents, column_exponents = _balancing_exponents(Xa)
    with np.errstate(under="ignore"):  # entries below 2^-1074 of their row's largest: dropped
        rows_scaled = np.ldexp(Xa, -binary_exponent(np.abs(Xa).max(axis=1, initial=0.0))[:, None])  # for the check
        Xa = np.ldexp(Xa, row_exponents[:, None] + column_exponents[None, :])

    row_norms = safe_row_norms(Xa)
    nonzero = row_norms > 0
    if not nonzero.any():
        gates = np.zeros((n_gate_features, 1))
        gates[0, 0] = 1.0
        return Arrangement(np.ones((n, 1), dtype=bool), gates, exhaustive=True)

    # Rows scaled to unit norm define the same hyperplanes; exact duplicates are merged here,
    # parallel ones inside the recursion.
    unit_rows = Xa[nonzero] / row_norms[nonzero, None]
    hyperplanes = np.unique(unit_rows, axis=0)

    budget = _Budget(max_patterns=max_patterns, n_samples=n)
    gates = _regions(hyperplanes, budget)  # (P, D)
    gates /= np.linalg.norm(gates, axis=1, keepdims=True)

    # Verification, in chunks of gates to bound memory: every gate keeps a clearly positive
    # normalised margin on every non-zero row, so its mask is not an accident of rounding.
    n_regions = gates.shape[0]
    rows = Xa[nonzero]
    patterns = np.empty((n_regions, rows.shape[0]), dtype=bool)  # one row per pattern
    chunk = max(1, 2**24 // n)
    for start in range(0, n_regions, chunk):
        values = gates[start:start + chunk] @ rows.T
        margin = np.min(np.abs(values) / row_norms[nonzero])
        if margin <= _MIN_MARGIN:
            raise EnumerationError(
                "Exact enumeration failed: a gate lies within relative distance "
                f"{margin:.3g} of a hyperplane (numerically degenerate data). Use "
                "sample_patterns(X, n_patterns=...) instead."
            )
        np.greater(values, 0, out=patterns[start:start + chunk])

    nontrivial = np.flatnonzero(patterns.any(axis=1))
    keys = _column_keys(patterns[nontrivial].T)
    order = nontrivial[np.argsort(keys, kind="stable")]  # lexicographic, row 0 first
    if np.unique(keys).size != keys.size:
        raise EnumerationError("Exact enumeration failed: two gates produced the same pattern.")
    if order.size > count_patterns_bound(hyperplanes.shape[0], min(hyperplanes.shape)):
        raise EnumerationError("Exact enumeration failed: more patterns than the region bound.")
    if nonzero.all():
        masks = patterns[order]
    else:
        masks = np.ones((order.size, n), dtype=bool)  # zero rows: x^T g = 0 >= 0
        masks[:, nonzero] = patterns[order]
    with np.errstate(under="ignore"):
        gates = np.ldexp(gates[order].T, (column_exponents - column_exponents.max())[:, None])  # S g' (up to a factor)
        gates = gates / safe_row_norms(gates.T)[None, :]
    # the parts of S g' on columns whose exponents lie more than the float64 range below the largest underflow: such
    # gates may no longer generate their masks (rows 2^-f_k x_k, so that no product underflows for data below 1)
    for start in range(0, order.size, chunk):
        with np.errstate(under="ignore"):
            values = rows_scaled[nonzero] @ gates[:, start:start + chunk]
        if np.any(values == 0) or not np.array_equal(values > 0, patterns[order[start:start + chunk]].T):
            raise EnumerationError(
                "Exact enumeration failed: the gates of the patterns cannot be represented in float64 (the scales of "
                "the columns of X span more than its exponent range). Use sample_patterns(X, n_patterns=...) instead."
            )
    return Arrangement(masks.T, gates, exhaustive=True)


def _balancing_exponents(X):
    r"""Integer exponents :math:`a_k`, :math:`b_j` with :math:`2^{a_k}|x_{kj}|2^{b_j}` balanced around 1.

    :math:`a+b` is the least-squares solution (scipy's LSQR) of :math:`a_k+b_j=-\log_2|x_{kj}|` over the non-zero
    entries, rounded; then every :math:`a_k` is lowered so that row :math:`k`'s largest scaled entry is in
    :math:`[1/2,1)`. The fit changes by :math:`(-p,-q)` when ``X`` is :math:`\operatorname{diag}(2^p)X\operatorname{diag}
    (2^q)`: balancing does not depend on the units of the columns nor on the size of the rows, as the largest entry
    of each column does (a large row with a zero entry decides every other column's scale but not that one's).
    :math:`\log_2|x_{kj}|` is taken as the binary exponent of the entry (exact for subnormal entries too).

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Finite data (zero rows and columns allowed).

    Returns
    -------
    row_exponents : ndarray of int, shape (n,)
    column_exponents : ndarray of int, shape (d,)
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.linalg import lsqr

    n, d = X.shape
    rows, columns = np.nonzero(X)
    row_exponents, column_exponents = np.zeros(n, dtype=int), np.zeros(d, dtype=int)
    if rows.size == 0:
        return row_exponents, column_exponents
    incidence = coo_matrix((np.ones(2 * rows.size), (np.tile(np.arange(rows.size), 2), np.r_[rows, n + columns])),
                           shape=(rows.size, n + d)).tocsr()
    exponents = np.frexp(X)[1]  # |x| in [2^(e-1), 2^e)
    solution = lsqr(incidence, -exponents[rows, columns].astype(float), atol=_BALANCING_TOL, btol=_BALANCING_TOL)[0]
    column_exponents = np.rint(solution[n:]).astype(int)
    # the largest entry of each row after the columns are scaled, brought to [1/2, 1)
    scaled_exponents = np.where(X != 0, exponents + column_exponents[None, :], np.iinfo(np.int32).min)
    row_exponents = np.where(X.any(axis=1), -scaled_exponents.max(axis=1), 0)
    return row_exponents, column_exponents


class _Budget:
    """Refusal rule of the top level of the recursion (sub-arrangements are not checked)."""

    def __init__(self, max_patterns, n_samples):
        self.max_patterns = max_patterns
        self.n_samples = n_samples

    def check(self, n_hyperplanes, rank, at_least=False):
        bound = count_patterns_bound(n_hyperplanes, rank)
        if bound <= self.max_patterns:
            return
        subsets = math.comb(n_hyperplanes, rank - 1) if rank >= 3 and not at_least else 0
        raise ValueError(
            f"Exact enumeration of the activation patterns of X could produce "
            f"{'at least ' if at_least else ''}{bound} patterns (bound "
            f"2*sum_{{k<r}} C(q-1, k) with q{'>=' if at_least else '='}{n_hyperplanes} "
            f"distinct hyperplanes from "
            f"n={self.n_samples} samples and rank r={rank}"
            + (f"; {subsets} subsets of r-1 rows" if subsets else "")
            + f"), which exceeds max_patterns={self.max_patterns}. Use "
            "sample_patterns(X, n_patterns=...) (patterns=\"sample\" in the estimators) "
            "instead, or increase max_patterns."
        )


def _regions(rows, budget=None):
    """One generic gate per region of the central arrangement of ``rows``.

    Parameters
    ----------
    rows : ndarray of shape (m, k)
        Non-zero normals :math:`x_j`.
    budget : _Budget or None
        Refusal rule (top level only).

    Returns
    -------
    ndarray of shape (P, k)
        One gate per region, in the coordinates of ``rows``, with no :math:`x_j^\\top g=0`.
    """
    unit = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    _, singular, vt = np.linalg.svd(unit, full_matrices=False)
    rank = int(np.sum(singular > _RANK_RTOL * singular[0]))
    basis = vt[:rank].T  # (k, rank): orthonormal basis of the row space
    coords = unit @ basis
    coords /= np.linalg.norm(coords, axis=1, keepdims=True)

    if rank == 1:
        if budget is not None:
            budget.check(1, 1)
        gates_rank = np.array([[1.0], [-1.0]])
    elif rank == 2:
        gates_rank = _sweep(coords, budget)
    else:
        gates_rank = _ray_regions(coords, budget)

    return gates_rank @ basis.T


def _sweep(coords, budget=None):
    """Gates of a rank-2 arrangement by the angular sweep (THEORY.md section B, method 2).

    Parameters
    ----------
    coords : ndarray of shape (m, 2)
        Unit normals.
    budget : _Budget or None
        Refusal rule.

    Returns
    -------
    ndarray of shape (2q, 2)
        Unit gates :math:`(\\cos\\varphi,\\sin\\varphi)` at the midpoints of the arcs between
        consecutive flip angles, :math:`q` being the number of distinct lines.
    """
    # A line through the origin is an angle modulo pi.
    line_angles = np.sort(np.mod(np.arctan2(coords[:, 1], coords[:, 0]), np.pi))
    keep = np.concatenate([[True], np.diff(line_angles) > _PARALLEL_TOL])
    line_angles = line_angles[keep]
    if line_angles.size > 1 and line_angles[-1] - line_angles[0] > np.pi - _PARALLEL_TOL:
        line_angles = line_angles[:-1]  # the last line wraps around onto the first
    n_lines = line_angles.size
    if budget is not None:
        budget.check(n_lines, 2)
    # sign of x^T h(phi) flips at arg(x) +- pi/2; for a line angle a in [0, pi) these are
    # a + pi/2 and a + 3 pi/2 (mod 2 pi).
    flips = np.concatenate([line_angles + np.pi / 2, line_angles + 1.5 * np.pi])
    flips = np.sort(np.mod(flips, 2 * np.pi))
    wrap_around = (flips[-1] + flips[0]) / 2 + np.pi  # midpoint of the arc through angle 0
    midpoints = np.concatenate([(flips[:-1] + flips[1:]) / 2, [wrap_around]])
    return np.column_stack([np.cos(midpoints), np.sin(midpoints)])


def _merge_parallel(coords, budget=None):
    """Representatives of the distinct hyperplanes among unit normals (parallel up to sign)."""
    m, rank = coords.shape
    # For very large data, stop as soon as the refusal is certain (the bound then reported is a
    # lower bound); otherwise finish, so that the message states the exact bound.
    check_early = budget is not None and count_patterns_bound(m, rank) > 10 * budget.max_patterns
    unassigned = np.ones(m, dtype=bool)
    representatives = []
    for i in range(m):
        if not unassigned[i]:
            continue
        representatives.append(i)
        rest = np.flatnonzero(unassigned)
        distance = np.minimum(
            np.linalg.norm(coords[rest] - coords[i], axis=1),
            np.linalg.norm(coords[rest] + coords[i], axis=1),
        )
        unassigned[rest[distance <= _PARALLEL_TOL]] = False
        if (check_early and len(representatives) >= rank
                and count_patterns_bound(len(representatives), rank) > 10 * budget.max_patterns):
            budget.check(len(representatives), rank, at_least=True)
    return coords[representatives]


def _rays(normals):
    """The 1-dimensional flats (rays up to sign) of a rank-r central arrangement.

    Every flat is the null direction :math:`h_0` of some :math:`r-1` linearly independent normals;
    flats are identified by the set :math:`Z=\\{j: x_j^\\top h_0=0\\}` of hyperplanes containing
    them.

    Parameters
    ----------
    normals : ndarray of shape (q, r)
        Distinct unit normals spanning :math:`\\mathbb R^r`, ``r >= 3``.

    Returns
    -------
    directions : ndarray of shape (R, r)
        Unit vectors :math:`h_0` spanning the flats.
    on_ray : ndarray of bool, shape (q, R)
        Column :math:`t` is the set :math:`Z` of flat :math:`t`.
    complements : ndarray of shape (R, r, r-1)
        Orthonormal bases of :math:`h_0^\\perp`.
    """
    q, rank = normals.shape
    directions, on_ray, complements = [], [], []
    combos = itertools.combinations(range(q), rank - 1)
    while True:
        batch = np.array(list(itertools.islice(combos, _SUBSET_BATCH)), dtype=np.intp)
        if batch.size == 0:
            break
        _, singular, vt = np.linalg.svd(normals[batch], full_matrices=True)  # vt: (B, r, r)
        vt = vt[singular[:, -1] > _RANK_RTOL]  # keep linearly independent subsets
        directions.append(vt[:, -1, :])  # null direction of the r-1 rows
        complements.append(np.swapaxes(vt[:, :-1, :], 1, 2))  # their row space = h0^perp
        on_ray.append(np.abs(normals @ vt[:, -1, :].T) <= _ZERO_TOL)
    directions = np.concatenate(directions)
    complements = np.concatenate(complements)
    on_ray = np.concatenate(on_ray, axis=1)
    first = _first_unique_columns(on_ray)
    return directions[first], on_ray[:, first], complements[first]


def _perturbed_gates(normals, h0, on_ray, deltas):
    """Gates :math:`\\pm h_0+\\varepsilon\\delta` near one ray for a batch of rays.

    Parameters
    ----------
    normals : ndarray of shape (q, r)
        Unit normals.
    h0 : ndarray of shape (B, r)
        Unit ray directions.
    on_ray : ndarray of bool, shape (q, B)
        Normals containing each ray.
    deltas : ndarray of shape (B, K, r)
        Generic gates of the sub-arrangement at each ray, in :math:`h_0^\\perp`.

    Returns
    -------
    ndarray of shape (2 B K, r)
        :math:`\\sigma h_0+\\varepsilon\\delta` with
        :math:`\\varepsilon=\\min\\big(1,\\tfrac12\\min_{j\\notin Z}|x_j^\\top h_0|/\\max_{j\\notin Z}|x_j^\\top\\delta|\\big)`,
        so that no normal outside :math:`Z` changes sign.
    """
    deltas = deltas / np.linalg.norm(deltas, axis=2, keepdims=True)
    fixed = np.where(on_ray, np.inf, np.abs(normals @ h0.T)).min(axis=0)  # (B,)
    moving = np.abs(np.einsum("qr,bkr->bqk", normals, deltas))  # (B, q, K)
    moving = np.where(on_ray.T[:, :, None], 0.0, moving).max(axis=1)  # (B, K)
    # at most 1: when no row outside Z moves (moving == 0) any step keeps the signs, and an
    # unbounded one would overflow the gate
    eps = np.minimum(np.divide(0.5 * fixed[:, None], moving, out=np.full_like(moving, np.inf), where=moving > 0), 1.0)
    step = eps[:, :, None] * deltas
    gates = np.concatenate([h0[:, None, :] + step, -h0[:, None, :] + step], axis=1)
    return gates.reshape(-1, normals.shape[1])


def _ray_regions(coords, budget=None):
    """Gates of a rank-r arrangement, r >= 3, from its rays and recursion (THEORY.md section B).

    Parameters
    ----------
    coords : ndarray of shape (m, r)
        Unit normals spanning :math:`\\mathbb R^r`.
    budget : _Budget or None
        Refusal rule.

    Returns
    -------
    ndarray of shape (P, r)
        One generic unit gate per region: the normalised sum of the gates found near the
        region's extreme rays.
    """
    normals = _merge_parallel(coords, budget)
    q, rank = normals.shape
    if budget is not None:
        budget.check(q, rank)

    directions, on_ray, complements = _rays(normals)
    candidates = []

    # Simple rays (exactly r-1 hyperplanes through them, the generic case): the sub-arrangement
    # is simplicial, its regions are all sign vectors s, with gates delta = pinv(N_Z) s.
    simple = np.flatnonzero(on_ray.sum(axis=0) == rank - 1)
    sign_vectors = np.array(list(itertools.product((1.0, -1.0), repeat=rank - 1))).T
    rays_per_batch = max(1, 2**22 // (q * sign_vectors.shape[1]))
    for start in range(0, simple.size, rays_per_batch):
        rays = simple[start:start + rays_per_batch]
        members = np.nonzero(on_ray[:, rays].T)[1].reshape(rays.size, rank - 1)
        sub = normals[members] @ complements[rays]  # (B, r-1, r-1)
        deltas = complements[rays] @ np.linalg.solve(sub, sign_vectors)  # (B, r, K)
        candidates.append(_perturbed_gates(
            normals, directions[rays], on_ray[:, rays], np.swapaxes(deltas, 1, 2)))

    # Other rays: enumerate the sub-arrangement in h0^perp recursively.
    for ray in np.flatnonzero(on_ray.sum(axis=0) != rank - 1):
        sub_gates = _regions(normals[on_ray[:, ray]] @ complements[ray])
        deltas = sub_gates @ complements[ray].T  # (K, r)
        candidates.append(_perturbed_gates(
            normals, directions[ray][None], on_ray[:, [ray]], deltas[None]))

    gates = np.concatenate(candidates, axis=0)
    gates /= np.linalg.norm(gates, axis=1, keepdims=True)

    # A region is found once near each of its extreme rays; the sum of those unit gates lies in
    # the (convex, open) region too, and far better centred than any single one of them.
    _, region = np.unique(_column_keys(normals @ gates.T > 0), return_inverse=True)
    region = np.ravel(region)
    centred = np.zeros((region.max() + 1, rank))
    np.add.at(centred, region, gates)
    return centred / np.linalg.norm(centred, axis=1, keepdims=True)


# --------------------------------------------------------------------------------------------
# Sampling
# --------------------------------------------------------------------------------------------


def gate_scaling(X):
    r"""A coarse standardization :math:`T` of the columns of ``X``: gates :math:`Tg` cut ``X`` as :math:`g` cuts standardized data.

    A non-constant column :math:`k` of spread :math:`s_k` gets :math:`T_{kk}=2^{-e_k}`, :math:`e_k` the
    integer nearest to :math:`\log_2s_k`. When ``X`` has a constant non-zero column :math:`c` (the ones
    column of a bias, value :math:`x_c`) the spread is the standard deviation and the column is also
    centred, in eighths of :math:`2^{e_k}`: :math:`T_{ck}=-\mathrm{round}(8\mu_k2^{-e_k})/(8x_c)`, so
    :math:`(XT)_{:,k}=X_{:,k}2^{-e_k}-\mathrm{round}(8\mu_k2^{-e_k})/8` has mean within 1/16 of 0 and
    spread within a factor :math:`\sqrt2` of 1. Without a constant column nothing can be centred and
    the spread is the root mean square. Constant and zero columns keep :math:`T_{kk}=1`. So that :math:`T`
    and the gates stay finite, :math:`T` is divided by :math:`2^s`, :math:`s` the integer nearest 0 with
    every :math:`T_{kk}` within :math:`2^{\pm500}` (spreads beyond :math:`2^{\pm500}`; the patterns are unchanged),
    or with the largest at :math:`2^{500}` when the spreads span more, and the centring
    uses the constant column :math:`c` of largest :math:`|x_c|`, skipped where :math:`|T_{ck}|` would exceed
    :math:`2^{500}` (e.g. a lone constant column of :math:`10^{-310}`). A column whose entries are at most
    :math:`10^{-12}` of their row's largest in every row is not standardized (``MIN_SAMPLED_MARGIN``): scaled up,
    it would make the gates cut the data by it, into cones whose points all have margins
    :math:`\min_ks_kx_k^\top u/(\|x_k\|\|u\|)` below that, which no solver resolves in float64 (features of
    1e-72 beside 1e7); it gets the smallest :math:`T_{kk}` of the standardized features (1 if there are none), so that
    it stays that small beside them in :math:`XT`. The rounding
    leaves standardized data at :math:`T=I` exactly, and :math:`T` changes with the units of a column
    only by the power of two that cancels them (while no column becomes that small beside the others);
    on data in other units the hyperplanes of Gaussian
    gates :math:`Tg` pass through the data instead of past them (``load_diabetes`` as shipped,
    features of spread 0.05 beside the bias' 1: the adaptive estimator from the patterns of 100 gates
    :math:`g` ends at 226356, from those of :math:`Tg` at 106561).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite data (with the ones column when a bias is fitted).

    Returns
    -------
    ndarray of shape (n_features, n_features)
        Invertible (triangular with a positive diagonal): the patterns of :math:`X(Tg)` over all
        :math:`g` are those of :math:`Xg`.
    """
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    T = np.eye(d)
    if n == 0:
        return T
    constant = np.all(X == X[0], axis=0)
    offsets = np.flatnonzero(constant & (X[0] != 0))
    largest = np.abs(X).max(axis=0)
    unit = X / np.where(largest > 0, largest, 1.0)  # spreads of unit-scale columns: no under- or overflow
    relative = unit.std(axis=0) if len(offsets) else np.sqrt(np.mean(unit ** 2, axis=0))
    # a column at most MIN_SAMPLED_MARGIN of its row's largest entry in every row decides only patterns of margins that
    # small (cones without an interior resolvable in float64): scaled up, it would make Tg cut the data by it
    row_largest = np.abs(X).max(axis=1, keepdims=True)
    negligible = np.all(np.abs(X) <= MIN_SAMPLED_MARGIN * row_largest, axis=0)
    scaled = np.flatnonzero(~constant & (relative > 0) & ~negligible)
    exponents = np.zeros(d, dtype=int)
    for k in scaled:
        exponents[k] = int(np.rint(np.log2(largest[k]) + np.log2(relative[k])))
    # such a column is divided as much as the most divided feature, so that it stays that small beside its rows' largest
    # entries (left at 1 while the others were divided by up to 2^983, a column of 1.7e202 beside 8e295 became
    # 2^1155 times its draw in X T g, which overflowed)
    thin = np.flatnonzero(~constant & (relative > 0) & negligible)
    if len(thin) and len(scaled):
        exponents[thin] = exponents[scaled].max()
    # T is only defined up to a positive factor 2^-shift: the shift nearest 0 that keeps the diagonal within
    # 2^-L..2^L, L = _GATE_EXPONENT_LIMIT (none for most data; when the exponents span more than 2L, the largest
    # entry is 2^L and the smallest are clipped at the smallest subnormal)
    shift = max(-_GATE_EXPONENT_LIMIT - int(exponents.min()), min(_GATE_EXPONENT_LIMIT - int(exponents.max()), 0))
    T = np.diag(np.ldexp(1.0, -np.minimum(exponents + shift, 1074)))
    if len(offsets):  # centred with the largest constant column: the smallest entries T_ck
        offset = offsets[np.argmax(np.abs(X[0, offsets]))]
    for k in scaled:
        if len(offsets):
            centre = np.ldexp(largest[k], -int(exponents[k])) * unit[:, k].mean()
            with np.errstate(over="ignore", under="ignore"):
                entry = np.ldexp(-np.rint(8.0 * centre) / 8.0 / X[0, offset], -shift)
            if abs(entry) <= 2.0 ** _GATE_EXPONENT_LIMIT:
                T[offset, k] = entry
    return T


def sample_patterns(X, n_patterns, *, fit_intercept=False, standardize=False, random_state=None) -> Arrangement:
    """Distinct activation patterns of Gaussian gates (THEORY.md section B, sampling).

    Draws :math:`g_1,\\dots,g_N\\sim\\mathcal N(0,I)` (``N = n_patterns``), forms
    :math:`\\mathbb 1[\\tilde Xg_j\\ge0]`, keeps the first gate of each distinct mask and drops the
    trivial pattern (no non-zero row active). A region is hit with probability equal to its
    normalised solid angle, so small regions may be missed: the result is never exhaustive.
    With ``standardize`` the gates are :math:`Tg_j` (:func:`gate_scaling` of :math:`\\tilde X`): their
    hyperplanes then pass through the data whatever the units and offsets of the features, and on
    standardized data they are the :math:`g_j`. A gate :math:`Tg_j` whose pattern's cone has no point of normalised
    margin :math:`\\min_ks_k\\tilde x_k^\\top u/(\\|\\tilde x_k\\|\\|u\\|)\\ge10^{-12}` (checked by small LPs where the
    gate's own margin is below that: an offset far above the spread, features 2^40 apart) is replaced by
    :math:`g_j`, as the solvers, which work in these coordinates, cannot resolve such a cone.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data (finite).
    n_patterns : int
        Number :math:`N\\ge1` of gates drawn (the number of distinct patterns returned is at most
        this).
    fit_intercept : bool, default=False
        Use :math:`\\tilde X=[X,\\mathbf 1]` (gates then have ``n_features + 1`` rows).
    standardize : bool, default=False
        Draw the gates as :math:`Tg`, :math:`T` the coarse standardization :func:`gate_scaling` of
        :math:`\\tilde X` (the estimators do).
    random_state : int, RandomState, Generator or None, default=None
        Seed of the gates; a fixed int gives the same arrangement every time.

    Returns
    -------
    Arrangement
        Patterns in order of first appearance, with their (unnormalised) Gaussian gates,
        ``exhaustive=False``. If all rows of :math:`\\tilde X` are zero, the single all-True
        pattern is kept; otherwise the result can be empty if every gate gave the trivial pattern.

    Raises
    ------
    TypeError
        If ``n_patterns`` is not an integer.
    ValueError
        If ``n_patterns < 1`` or ``X`` is invalid.
    """
    X = _check_X(X)
    n_patterns = _check_int(n_patterns, "n_patterns", min_val=1)
    rng = check_rng(random_state)
    Xa = add_intercept(X) if fit_intercept else X
    n, n_gate_features = Xa.shape
    nonzero = safe_row_norms(Xa) > 0
    scaling = gate_scaling(Xa) if standardize else None
    if scaling is not None:
        unit_rows = normalised_rows(Xa[nonzero])

    chunk = max(1, min(n_patterns, 2**22 // max(n, 1)))
    seen = set()
    kept_masks, kept_gates = [], []
    for start in range(0, n_patterns, chunk):
        size = min(chunk, n_patterns - start)
        # Drawn as (size, D) so the stream equals one (n_patterns, D) draw for any chunking.
        gates = rng.standard_normal((size, n_gate_features))
        if scaling is not None:
            drawn = gates
            gates = drawn @ scaling.T
        masks = Xa @ gates.T >= 0
        if scaling is not None:
            # a gate Tg whose pattern's cone has no interior resolvable in float64 (a feature far smaller than the others,
            # or an offset far larger than the spread, decides it): the draw g itself is used instead
            thin = np.flatnonzero(normalised_margins(unit_rows, gates) < MIN_SAMPLED_MARGIN)
            replaced = [j for j in thin if not _has_resolvable_interior(unit_rows, masks[nonzero, j], gates[j])]
            gates[replaced] = drawn[replaced]
            masks[:, replaced] = Xa @ gates[replaced].T >= 0
        masks[~nonzero] = True
        for j in _first_unique_columns(masks):
            key = np.packbits(masks[:, j]).tobytes()
            if key not in seen:
                seen.add(key)
                kept_masks.append(masks[:, j])
                kept_gates.append(gates[j])
    masks = np.column_stack(kept_masks)
    gates = np.column_stack(kept_gates)

    if nonzero.any():
        nontrivial = masks[nonzero].any(axis=0)
        masks, gates = masks[:, nontrivial], gates[:, nontrivial]
    return Arrangement(masks, gates, exhaustive=False)


# --------------------------------------------------------------------------------------------
# Validation and utilities
# --------------------------------------------------------------------------------------------


def _check_X(X):
    try:
        return check_array(X, dtype=np.float64, input_name="X", **{_FINITE_KWARG: True})
    except (TypeError, ValueError) as error:
        if re.search(r"\bX\b", str(error)):
            raise
        raise type(error)(f"X: {error}") from error


def check_rng(random_state, name="random_state"):
    """A numpy ``Generator`` or ``RandomState`` from ``None``, an int, a ``RandomState`` or a ``Generator``.

    Raises
    ------
    ValueError
        Naming ``name`` for anything else.
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    try:
        return check_random_state(random_state)
    except ValueError as error:
        raise ValueError(
            f"{name} must be None, an int, a numpy RandomState or a numpy Generator, got {random_state!r}."
        ) from error


def _check_int(value, name, min_val):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}.")
    value = int(value)
    if value < min_val:
        raise ValueError(f"{name} must be an integer >= {min_val}, got {value}.")
    return value


def _column_keys(masks):
    """One opaque byte-string key per column of a bool matrix; keys sort like the columns
    compared lexicographically from row 0."""
    keys = np.ascontiguousarray(np.packbits(masks, axis=0).T)
    return keys.view(np.dtype((np.void, keys.shape[1]))).ravel()


def normalised_margins(unit_rows, gates):
    r"""Return :math:`\min_k|\hat x_k^\top g_j|/\|g_j\|` for unit rows :math:`\hat x_k` (m, D) and gates (B, D): shape (B,).

    The margin by which each gate satisfies the cone constraints of its own pattern, relative to the row norms (the
    margin of :math:`g_j/\|g_j\|` in :math:`\mathcal K(D(g_j))`); 0 where a gate is zero or lies on a hyperplane.
    """
    norms = safe_row_norms(gates)
    products = np.abs(gates @ unit_rows.T).min(axis=1, initial=np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norms > 0, products / np.where(norms > 0, norms, 1.0), 0.0)


def _has_resolvable_interior(unit_rows, pattern, gate):
    r"""Whether the cone :math:`\{u:s_k\hat x_k^\top u\ge0\}`, :math:`s_k=\pm1` by ``pattern``, has a point of normalised
    margin :math:`\min_ks_k\hat x_k^\top u/\|u\|\ge` ``MIN_SAMPLED_MARGIN`` (``gate``: a point of the cone).

    The candidates are LP points :math:`\arg\max\{t:s_k\hat x_k^\top u\ge t,\ \|u\|_\infty\le1\}` (scipy's HiGHS) over a
    working set of rows, started with the rows nearest to ``gate`` and grown by the most violated ones (a few small
    LPs instead of one over all rows: 27 ms instead of 1.3 s at 20000 x 51). Their margins are evaluated here, on every row, so a
    solver tolerance cannot make a cone without such a point pass; a cone that has one may be missed (then its gate
    counts as thin).
    """
    from scipy.optimize import linprog

    m, D = unit_rows.shape
    signed = np.where(pattern, 1.0, -1.0)[:, None] * unit_rows
    step = min(m, 4 * D)
    working = np.argsort(signed @ gate)[:step]
    for _ in range(_INTERIOR_LP_ROUNDS):
        rows = signed[working]
        result = linprog(np.r_[np.zeros(D), -1.0], A_ub=np.hstack([-rows, np.ones((len(rows), 1))]),
                         b_ub=np.zeros(len(rows)), bounds=[(-1.0, 1.0)] * D + [(None, 1.0)], method="highs")
        if result.status != 0:
            return False
        point = result.x[:D]
        slack = signed @ point
        if np.min(slack) >= MIN_SAMPLED_MARGIN * np.linalg.norm(point) > 0:
            return True
        grown = np.union1d(working, np.argsort(slack)[:step])
        if len(grown) == len(working):
            return False
        working = grown
    return False


def _first_unique_columns(masks):
    """Indices (increasing) of the first occurrence of each distinct column of a bool matrix."""
    if masks.shape[1] == 0:
        return np.zeros(0, dtype=np.intp)
    _, first = np.unique(_column_keys(masks), return_index=True)
    return np.sort(first)
