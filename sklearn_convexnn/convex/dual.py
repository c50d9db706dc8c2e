r"""The dual of the convex program: cone projections, the dual constraint, bounds (THEORY.md §D, §F).

For a dual vector :math:`\nu\in\mathbb R^n` and pattern :math:`D_i` put :math:`g_i(\nu)=X^\top D_i\nu`.
The dual constraint of the ReLU program (C) is

.. math:: \|\Pi_{\mathcal K_i}(s\,g_i(\nu))\|\le\beta\qquad\forall i,\ s=\pm1,

with :math:`\mathcal K_i=\{u:(2D_i-I)Xu\ge0\}`; for the gated program (CG) it is
:math:`\|g_i(\nu)\|\le\beta`. The projection is computed by NNLS (the cone lemma):
:math:`\lambda^\star=\arg\min_{\lambda\ge0}\|X^\top S_i\lambda+g\|`,
:math:`\Pi_{\mathcal K_i}(g)=g+X^\top S_i\lambda^\star`, :math:`S_i=2D_i-I`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from ..losses import get_loss

__all__ = [
    "project_onto_cone",
    "pattern_correlations",
    "DualConstraint",
    "dual_constraint",
    "max_dual_violation",
    "dual_lower_bound",
]


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
        :math:`\lambda^\star=\arg\min_{\lambda\ge0}\|X^\top S\lambda+g\|`.
    """
    signed_rows = np.where(mask, 1.0, -1.0)[:, None] * X
    g = np.asarray(g, dtype=float)
    if np.all(signed_rows @ g >= 0):
        return g.copy()
    lam, _ = nnls(signed_rows.T, -g, maxiter=50 * X.shape[0])
    return g + signed_rows.T @ lam


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


def dual_constraint(nu, X, masks, activation="relu"):
    r"""Evaluate :math:`\|\Pi_{\mathcal K_i}(\pm X^\top D_i\nu)\|` for every pattern (THEORY §D).

    Parameters
    ----------
    nu : ndarray of shape (n,)
    X : ndarray of shape (n, d)
    masks : bool ndarray of shape (n, P)
    activation : {"relu", "gated"}
        ``"gated"`` drops the cones: the value is :math:`\|g_i\|` for both signs.

    Returns
    -------
    DualConstraint
    """
    G = pattern_correlations(nu, X, masks)
    P, d = G.shape[1], G.shape[0]
    values = np.zeros((P, 2))
    directions = np.zeros((P, 2, d))
    for i in range(P):
        for k, sign in enumerate((1.0, -1.0)):
            g = sign * G[:, i]
            projection = g if activation == "gated" else project_onto_cone(g, X, masks[:, i])
            norm = np.linalg.norm(projection)
            values[i, k] = norm
            if norm > 0:
                directions[i, k] = projection / norm
    return DualConstraint(values, directions)


def max_dual_violation(nu, X, masks, activation="relu", blocks=None):
    r"""Return :math:`(V(\nu), i^\star, s^\star, \bar u^\star)` without projecting every pattern.

    ``blocks`` (bool, (P, 2)) restricts the maximum to the existing blocks: column 0 for
    :math:`+g_i` (the :math:`u_i`), column 1 for :math:`-g_i` (the :math:`v_i`); default all
    (gated: the value is :math:`\|g_i\|` for either sign).

    Uses :math:`\|\Pi_{\mathcal K}(g)\|\le\|g\|`: patterns are visited by decreasing
    :math:`\|g_i\|` and the search stops once :math:`\|g_i\|` cannot beat the best value found.
    The result equals ``dual_constraint(...).max_value`` exactly.

    Returns
    -------
    value : float
    pattern : int
    sign : int
    direction : ndarray of shape (d,)
    """
    G = pattern_correlations(nu, X, masks)
    d, P = G.shape
    if P == 0:
        return 0.0, -1, 1, np.zeros(d)
    norms = np.linalg.norm(G, axis=0)
    if blocks is None:
        blocks = np.ones((P, 2), dtype=bool)
    present = blocks.any(axis=1)
    if not present.any():
        return 0.0, -1, 1, np.zeros(d)
    norms = np.where(present, norms, -1.0)
    if activation == "gated":
        i = int(np.argmax(norms))
        direction = G[:, i] / norms[i] if norms[i] > 0 else np.zeros(d)
        return float(max(norms[i], 0.0)), i, 1, direction
    best = (0.0, int(np.argmax(norms)), 1, np.zeros(d))
    for i in np.argsort(-norms):
        if norms[i] <= best[0]:
            break
        for k, sign in enumerate((1, -1)):
            if not blocks[i, k]:
                continue
            projection = project_onto_cone(sign * G[:, i], X, masks[:, i])
            value = float(np.linalg.norm(projection))
            if value > best[0]:
                best = (value, int(i), sign, projection / value)
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
