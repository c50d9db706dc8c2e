r"""Small teaching data and the constructed examples of THEORY.md §H.

Every loader returns a :class:`Dataset` with the data, a suggested :math:`\beta` and whether the
first-layer bias (a column of ones) belongs to the example. The examples use the project's
objective :math:`L(f_\theta(X),y)+\frac\beta2\sum_j(\|\tilde w_j\|^2+\alpha_j^2)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_random_state

from .network import check_beta

__all__ = [
    "Dataset",
    "make_teaching_1d",
    "make_teaching_2d",
    "example_ha",
    "example_hb",
    "example_he",
    "make_continuum",
    "continuum_radius",
]


@dataclass(frozen=True)
class Dataset:
    """A small regression problem.

    Attributes
    ----------
    X : ndarray of shape (n, d)
        Inputs (without the ones column).
    y : ndarray of shape (n,)
    beta : float
        The suggested (or defining) weight decay.
    fit_intercept : bool
        Whether the example uses the penalized first-layer bias.
    name, description : str
    """

    X: np.ndarray
    y: np.ndarray
    beta: float
    fit_intercept: bool
    name: str
    description: str


def make_teaching_1d(n_samples=12, *, noise=0.1, beta=0.05, random_state=0):
    r"""One-dimensional regression data: :math:`y=\sin(3x)+|x|+\varepsilon`, :math:`x\in[-1,1]`.

    Parameters
    ----------
    n_samples : int, default=12
    noise : float, default=0.1
        Standard deviation of :math:`\varepsilon`.
    beta : float, default=0.05
    random_state : int, RandomState or None, default=0

    Returns
    -------
    Dataset
        Inputs sorted, distinct, with the bias.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise ValueError(f"n_samples must be an integer >= 2, got {n_samples!r}.")
    rng = check_random_state(random_state)
    x = np.sort(rng.uniform(-1.0, 1.0, n_samples))
    y = np.sin(3 * x) + np.abs(x) + noise * rng.standard_normal(n_samples)
    return Dataset(x[:, None], y, check_beta(beta), True, "teaching-1d", "y = sin(3x) + |x| + noise on [-1, 1].")


def make_teaching_2d(n_samples=16, *, noise=0.05, beta=0.1, random_state=0):
    r"""Two-dimensional regression data: :math:`y=(x_1+x_2)_+-(x_1-x_2)_++\varepsilon` on :math:`[-1,1]^2`.

    Parameters
    ----------
    n_samples : int, default=16
    noise : float, default=0.05
    beta : float, default=0.1
    random_state : int, RandomState or None, default=0

    Returns
    -------
    Dataset
        Points in general position (with probability one), with the bias.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise ValueError(f"n_samples must be an integer >= 2, got {n_samples!r}.")
    rng = check_random_state(random_state)
    X = rng.uniform(-1.0, 1.0, (n_samples, 2))
    y = np.maximum(X[:, 0] + X[:, 1], 0) - np.maximum(X[:, 0] - X[:, 1], 0) + noise * rng.standard_normal(n_samples)
    return Dataset(X, y, check_beta(beta), True, "teaching-2d", "y = (x1 + x2)_+ - (x1 - x2)_+ + noise.")


_HA_X = np.array([[-np.sqrt(3.0)], [np.sqrt(3.0)]])


def example_ha():
    r"""Example H-a: minimum-norm interpolation with a segment of minimizers (THEORY §H.3).

    :math:`x=(-\sqrt3,\sqrt3)`, :math:`y=(1,1)`, penalized bias, no skip connection. The minimizers
    of :math:`\frac12\sum_j(\|\tilde w_j\|^2+\alpha_j^2)` s.t. :math:`f_\theta(X)=y` form a segment, all
    with value 1. ``beta`` is 1 (the interpolation program has :math:`\beta=1`).
    """
    return Dataset(_HA_X.copy(), np.ones(2), 1.0, True, "H-a",
                   "Min-norm interpolation, x = (-sqrt 3, sqrt 3), y = (1, 1): a segment of minimizers.")


def example_hb(beta=1.0):
    r"""Example H-b: regularized squared loss on the data of H-a with :math:`y=(1.5,1.5)`.

    For :math:`0<\beta<3`: :math:`\hat y^*=(1.5-\beta/2)(1,1)`, :math:`\nu^*=\frac\beta2(1,1)`,
    :math:`p^{\rm c}=1.5\beta-\beta^2/4`, :math:`m^*=1`, :math:`M^*=2`, :math:`n=2`.

    Parameters
    ----------
    beta : float in (0, 3), default=1.0
    """
    beta = check_beta(beta)
    if not beta < 3.0:
        raise ValueError(f"beta must be in (0, 3) for example H-b, got {beta!r}.")
    return Dataset(_HA_X.copy(), np.full(2, 1.5), beta, True, "H-b",
                   "x = (-sqrt 3, sqrt 3), y = (1.5, 1.5): m* = 1 < M* = 2 = n.")


def example_he():
    r"""Example H-e: the corners of an equilateral triangle of radius :math:`\sqrt5` (THEORY §H.3).

    With the bias column, :math:`\nu=(1,1,1)`, :math:`\beta=3` and :math:`y=(3,3,3)`:
    :math:`p^{\rm c}=7.5`, the optimal set is a segment, :math:`m^*=1`, :math:`M^*=3`.
    """
    angles = np.pi / 2 + 2 * np.pi * np.arange(3) / 3
    X = np.sqrt(5.0) * np.column_stack([np.cos(angles), np.sin(angles)])
    return Dataset(X, np.full(3, 3.0), 3.0, True, "H-e",
                   "Equilateral triangle of radius sqrt 5, y = 3: a segment of optimal networks, m* = 1, M* = 3.")


def continuum_radius(n_vertices, n_active):
    r"""Return the radius at which ``n_active`` consecutive corners tie with all corners (THEORY §H.2).

    For the corners :math:`x_l` of a regular :math:`n`-gon of radius :math:`R` (with the bias column) and
    :math:`\nu=\mathbf 1`, the pattern "all corners active" gives :math:`\|\tilde X^\top\nu\|=n` and a
    pattern of :math:`k` consecutive corners gives
    :math:`\|\tilde X^\top D\nu\|^2=R^2\sin^2(k\pi/n)/\sin^2(\pi/n)+k^2`. The two are equal at

    .. math:: R=\frac{\sin(\pi/n)\sqrt{n^2-k^2}}{\sin(k\pi/n)} .

    (:math:`n=3`, :math:`k=2` gives :math:`\sqrt5`, example H-e.)

    Parameters
    ----------
    n_vertices : int >= 3
        Number :math:`n` of corners.
    n_active : int in [1, n_vertices)
        Number :math:`k` of consecutive active corners.

    Returns
    -------
    float
    """
    n, k = int(n_vertices), int(n_active)
    if not 1 <= k < n:
        raise ValueError(f"n_active must be in [1, n_vertices), got {n_active!r} for n_vertices={n_vertices}.")
    return float(np.sin(np.pi / n) * np.sqrt(n * n - k * k) / np.sin(k * np.pi / n))


def _tight_columns(X, scale, tol):
    """Tight signed columns of nu = scale * 1 over all patterns of [X, 1], de-duplicated, and beta = V(nu)."""
    from .arrangements import add_intercept, enumerate_patterns
    from .convex.dual import dual_constraint

    X_aug = add_intercept(X)
    nu = np.full(X.shape[0], float(scale))
    constraint = dual_constraint(nu, X_aug, enumerate_patterns(X_aug).masks)
    beta = constraint.max_value
    columns = []
    for i, k in zip(*np.nonzero(constraint.values >= beta * (1 - tol))):
        sign = 1.0 if k == 0 else -1.0
        column = sign * np.maximum(X_aug @ constraint.directions[i, k], 0.0)
        if not any(np.allclose(column, other, atol=1e-9) for other in columns):
            columns.append(column)
    return np.column_stack(columns), beta, nu


def make_continuum(n_vertices=4, *, n_active=None, radius=None, scale=1.0, coefficient=0.5, tol=1e-9):
    r"""Data whose optimal networks form a continuum, by the recipe of THEORY §H.2.

    The inputs are the corners of a regular polygon (with the bias column) and the dual vector is
    :math:`\nu=\text{scale}\cdot\mathbf 1`. :math:`\beta` is set to :math:`V(\nu)` over all patterns,
    so that every maximizing signed direction is tight; with the tight columns
    :math:`a_j=s_j(\tilde X\bar u_j)_+` and :math:`c=\text{coefficient}\cdot\mathbf 1`, the targets are
    :math:`y=Ac+\nu`. Then :math:`\hat y^*=Ac`, :math:`\nu^*=\nu`, and every :math:`c'\ge0` with
    :math:`Ac'=\hat y^*` is optimal (weak duality); when there are more tight directions than
    :math:`\operatorname{rank}A` the optimal set is a polytope of positive dimension.

    Many directions are tight at once only at special radii: by default the radius is
    :func:`continuum_radius`, at which the :math:`n` patterns of ``n_active`` consecutive corners tie
    with the all-active pattern (:math:`n+1` tight directions in :math:`\mathbb R^n`). The default
    ``n_vertices=4`` gives a square of radius :math:`\sqrt6`, :math:`\beta=4`, 5 tight directions of
    rank 3: a two-dimensional polytope of optimal solutions. ``n_vertices=3`` is example H-e.

    Parameters
    ----------
    n_vertices : int >= 3, default=4
    n_active : int in [1, n_vertices) or None, default=None
        Number of consecutive corners of the tying patterns. None: the first of
        :math:`\lceil n/2\rceil,\dots,n-1,\lceil n/2\rceil-1,\dots,1` that gives a continuum
        (ignored when ``radius`` is given).
    radius : float > 0 or None, default=None
        Radius of the polygon; None: :func:`continuum_radius` of ``n_active``.
    scale : float > 0, default=1.0
    coefficient : float > 0, default=0.5
    tol : float, default=1e-9
        Relative tolerance for a direction to count as tight.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        If the construction gives linearly independent tight columns (no continuum).
    """
    if isinstance(n_vertices, bool) or not isinstance(n_vertices, (int, np.integer)) or n_vertices < 3:
        raise ValueError(f"n_vertices must be an integer >= 3, got {n_vertices!r}.")
    for name, value in (("scale", scale), ("coefficient", coefficient)):
        check_beta(value, name=name)
    if radius is not None:
        candidates = [(None, check_beta(radius, name="radius"))]
    elif n_active is not None:
        if isinstance(n_active, bool) or not isinstance(n_active, (int, np.integer)):
            raise ValueError(f"n_active must be an integer, got {n_active!r}.")
        candidates = [(int(n_active), continuum_radius(n_vertices, n_active))]
    else:
        half = -(-n_vertices // 2)
        order = list(range(half, n_vertices)) + list(range(half - 1, 0, -1))
        candidates = [(k, continuum_radius(n_vertices, k)) for k in order]
    angles = np.pi / 2 + 2 * np.pi * np.arange(n_vertices) / n_vertices
    for k, R in candidates:
        X = R * np.column_stack([np.cos(angles), np.sin(angles)])
        A, beta, nu = _tight_columns(X, scale, tol)
        rank = np.linalg.matrix_rank(A, tol=1e-9)
        if rank < A.shape[1]:
            y = A @ np.full(A.shape[1], float(coefficient)) + nu
            return Dataset(X, y, beta, True, f"continuum-{n_vertices}",
                           f"Regular {n_vertices}-gon of radius {R:.4g} with y = A c + nu: {A.shape[1]} tight "
                           f"directions of rank {rank}, a continuum of optimal networks.")
    chosen = f"radius={radius!r}" if radius is not None else f"n_active={n_active!r}"
    raise ValueError(
        f"n_vertices={n_vertices} with {chosen} "
        "gives independent tight columns: no continuum; try another n_active or radius."
    )
