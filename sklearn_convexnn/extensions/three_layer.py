r"""Parallel three-layer ReLU networks with the path penalty (THEORY.md §I.2).

A network has branches :math:`j=1..J`, each with inner neurons :math:`(w_{jk},v_{jk})_{k=1..K}` and an
output weight :math:`\alpha_j`:

.. math:: f(X)=\sum_j\Big(\sum_k(Xw_{jk})_+\,v_{jk}\Big)_+\alpha_j,\qquad
          F=L(f(X),y)+\beta\sum_{j,k}\|w_{jk}\|\,|v_{jk}|\,|\alpha_j| .

The path penalty is invariant under every rescaling of a path, and the problem over networks of
any size equals the convex program (inner patterns :math:`D_i`, outer patterns :math:`E_l`, output
sign :math:`\sigma`)

.. math:: \min\;L\Big(\sum_{l,\sigma}\sigma E_lh_{l\sigma}\Big)+\beta\sum_{l,\sigma,i}\big(\|z^+_{l\sigma i}\|+\|z^-_{l\sigma i}\|\big),
          \quad h_{l\sigma}=\sum_iD_iX(z^+_{l\sigma i}-z^-_{l\sigma i}),

s.t. :math:`z^\pm_{l\sigma i}\in\mathcal K_i` and :math:`(2E_l-I)h_{l\sigma}\ge0`. Every non-empty subset of
the :math:`n` points is used as an outer pattern (exact even when a subset is not realizable, since
the constraint forces :math:`E_lh=(h)_+`), so the program has :math:`4(2^n-1)P` blocks: it is for
tiny data only (:data:`MAX_SAMPLES`, :data:`MAX_COLUMNS`).

With a dual optimum :math:`(\nu,\mu)` (:math:`\nu=-\nabla L(\hat y)`, :math:`\mu_{l\sigma}\ge0` the
multipliers of the outer constraints), every optimal block points along
:math:`\Pi_{\mathcal K_i}(\pm X^\top D_ir_{l\sigma})`, :math:`r_{l\sigma}=\sigma E_l\nu+(2E_l-I)\mu_{l\sigma}`:
the first-layer directions of optimal networks come from a finite set fixed by the dual.

``X`` is used as given: append the column of ones yourself for a bias.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array, check_random_state

from .._threads import one_blas_thread
from ..arrangements import enumerate_patterns
from ..convex.dual import project_onto_cone
from ..convex.program import SolverError, relative_duality_gap, zero_network_objective
from ..losses import check_targets_for_loss, get_loss
from ..network import check_beta

__all__ = [
    "FirstLayerDirections",
    "MAX_COLUMNS",
    "MAX_SAMPLES",
    "ThreeLayerFit",
    "ThreeLayerNetwork",
    "ThreeLayerProgram",
    "ThreeLayerSolution",
    "fit_three_layer",
    "outer_patterns",
    "path_regularized_objective",
]

#: the program enumerates all 2^n - 1 outer patterns: at most this many samples
MAX_SAMPLES = 6
#: at most this many columns of X (d <= 2 plus the bias column)
MAX_COLUMNS = 3


def path_regularized_objective(prediction, y, path_penalty, beta, loss="squared"):
    r"""The objective :math:`L(\hat y,y)+\beta\sum_{j,k}\|w_{jk}\||v_{jk}||\alpha_j|` (the one place it is computed).

    Parameters
    ----------
    prediction : ndarray of shape (n,)
    y : ndarray of shape (n,)
    path_penalty : float
        :math:`\sum_{j,k}\|w_{jk}\||v_{jk}||\alpha_j|`.
    beta : float
    loss : {"squared", "logistic"}

    Returns
    -------
    float
    """
    return get_loss(loss).value(prediction, y) + beta * float(path_penalty)


def _weights(array, name, ndim):
    array = np.array(array, dtype=np.float64)
    if array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite values.")
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class ThreeLayerNetwork:
    r"""A parallel three-layer ReLU network :math:`x\mapsto\sum_j(\sum_k(x^\top w_{jk})_+v_{jk})_+\alpha_j`.

    Branches may use fewer inner neurons than ``K``: the rest are zero. ``X`` is used as given.

    Parameters
    ----------
    first_layer : array of shape (J, K, d)
        :math:`w_{jk}`.
    second_layer : array of shape (J, K)
        :math:`v_{jk}`.
    output_weights : array of shape (J,)
        :math:`\alpha_j`.
    """

    first_layer: np.ndarray
    second_layer: np.ndarray
    output_weights: np.ndarray

    def __post_init__(self):
        first = _weights(self.first_layer, "first_layer", 3)
        second = _weights(self.second_layer, "second_layer", 2)
        output = _weights(self.output_weights, "output_weights", 1)
        if second.shape != first.shape[:2] or output.shape[0] != first.shape[0]:
            raise ValueError(
                f"first_layer {first.shape}, second_layer {second.shape} and output_weights {output.shape} "
                "must describe the same (J branches, K inner neurons)."
            )
        object.__setattr__(self, "first_layer", first)
        object.__setattr__(self, "second_layer", second)
        object.__setattr__(self, "output_weights", output)

    @property
    def n_branches(self):
        """Number of branches :math:`J`."""
        return self.first_layer.shape[0]

    @property
    def n_inner(self):
        """Inner width :math:`K` of every branch."""
        return self.first_layer.shape[1]

    @property
    def n_features(self):
        """Input dimension :math:`d` (columns of X as given)."""
        return self.first_layer.shape[2]

    def _check_X(self, X):
        X = check_array(X, dtype=np.float64, input_name="X")
        if X.shape[1] != self.n_features:
            raise ValueError(f"X has {X.shape[1]} features, but the network expects {self.n_features}.")
        return X

    def _forward(self, X):
        pre = np.einsum("nd,jkd->njk", X, self.first_layer)
        inner = np.einsum("njk,jk->nj", np.maximum(pre, 0.0), self.second_layer)
        return pre, inner

    def branch_inputs(self, X):
        r"""Return :math:`h_j=\sum_k(Xw_{jk})_+v_{jk}` for every branch, shape (n, J)."""
        return self._forward(self._check_X(X))[1]

    def predict(self, X):
        r"""Return :math:`f(X)=\sum_j(h_j)_+\alpha_j`, shape (n,)."""
        return np.maximum(self.branch_inputs(X), 0.0) @ self.output_weights

    def path_norms(self):
        r"""Return :math:`\|w_{jk}\||v_{jk}||\alpha_j|`, shape (J, K)."""
        return np.linalg.norm(self.first_layer, axis=2) * np.abs(self.second_layer) * np.abs(self.output_weights)[:, None]

    def path_penalty(self):
        r"""Return :math:`\sum_{j,k}\|w_{jk}\||v_{jk}||\alpha_j|`."""
        return float(self.path_norms().sum())

    def objective(self, X, y, beta, loss="squared"):
        r"""Return :math:`L(f(X),y)+\beta\sum_{j,k}\|w_{jk}\||v_{jk}||\alpha_j|` (:func:`path_regularized_objective`)."""
        y = np.asarray(y, dtype=float)
        prediction = self.predict(X)
        if y.shape != prediction.shape:
            raise ValueError(f"y has shape {y.shape}, but the network predicts shape {prediction.shape}.")
        return path_regularized_objective(prediction, y, self.path_penalty(), beta, loss)

    def gradient(self, X, y, beta, loss="squared"):
        r"""(Sub)gradient of the objective as a network of partial derivatives.

        With :math:`\nu=-\nabla L(f)`, :math:`\delta_j=\nu\odot\mathbb 1[h_j>0]\,\alpha_j`:
        :math:`\partial_{\alpha_j}=-\nu^\top(h_j)_++\beta\operatorname{sign}(\alpha_j)\sum_k\|w_{jk}\||v_{jk}|`,
        :math:`\partial_{v_{jk}}=-\delta_j^\top(Xw_{jk})_++\beta\operatorname{sign}(v_{jk})\|w_{jk}\||\alpha_j|`,
        :math:`\partial_{w_{jk}}=-v_{jk}X^\top(\delta_j\odot\mathbb 1[Xw_{jk}>0])+\beta\frac{w_{jk}}{\|w_{jk}\|}|v_{jk}||\alpha_j|`
        (the derivative at a kink or at zero is taken as 0).
        """
        X = self._check_X(X)
        pre, inner = self._forward(X)
        prediction = np.maximum(inner, 0.0) @ self.output_weights
        nu = get_loss(loss).negative_gradient(prediction, np.asarray(y, dtype=float))
        norms = np.linalg.norm(self.first_layer, axis=2)
        v_abs, a_abs = np.abs(self.second_layer), np.abs(self.output_weights)
        delta = nu[:, None] * (inner > 0) * self.output_weights[None, :]  # (n, J)
        grad_output = -(nu @ np.maximum(inner, 0.0)) + beta * np.sign(self.output_weights) * (norms * v_abs).sum(axis=1)
        grad_second = -np.einsum("nj,njk->jk", delta, np.maximum(pre, 0.0)) + beta * np.sign(self.second_layer) * norms * a_abs[:, None]
        unit = np.divide(self.first_layer, norms[:, :, None], out=np.zeros_like(self.first_layer), where=norms[:, :, None] > 0)
        back = delta[:, :, None] * (pre > 0)  # (n, J, K)
        grad_first = -self.second_layer[:, :, None] * np.einsum("njk,nd->jkd", back, X)
        grad_first += beta * unit * (v_abs * a_abs[:, None])[:, :, None]
        return ThreeLayerNetwork(grad_first, grad_second, grad_output)

    def to_vector(self):
        """All parameters as one flat vector (first, second, output layer)."""
        return np.concatenate([self.first_layer.ravel(), self.second_layer.ravel(), self.output_weights])

    def from_vector(self, vector):
        """A network of the same shape with the parameters of a flat ``vector``."""
        vector = np.asarray(vector, dtype=float)
        a, b = self.first_layer.size, self.first_layer.size + self.second_layer.size
        return ThreeLayerNetwork(vector[:a].reshape(self.first_layer.shape), vector[a:b].reshape(self.second_layer.shape), vector[b:])

    def inner_directions(self, *, rtol=0.0):
        r"""Unit first-layer directions :math:`w_{jk}/\|w_{jk}\|` of the paths with
        :math:`\|w_{jk}\||v_{jk}||\alpha_j|>\text{rtol}\cdot\max`, with the signs of :math:`v_{jk}` and
        :math:`\alpha_j`.

        Returns
        -------
        directions : ndarray of shape (K', d)
        inner_signs, outer_signs : ndarray of shape (K',)
        """
        paths = self.path_norms()
        active = (paths > rtol * paths.max(initial=0.0)) & (paths > 0)
        j, k = np.nonzero(active)
        weights = self.first_layer[j, k]
        return (weights / np.linalg.norm(weights, axis=1, keepdims=True), np.sign(self.second_layer[j, k]),
                np.sign(self.output_weights[j]))


def outer_patterns(n):
    r"""All :math:`2^n-1` non-empty subsets of :math:`n` points: the outer patterns :math:`E_l`.

    Parameters
    ----------
    n : int
        Number of samples.

    Returns
    -------
    ndarray of bool, shape (n, 2^n - 1)
        Column :math:`l` is the diagonal of :math:`E_l`, the binary digits of :math:`l+1`.
    """
    codes = np.arange(1, 2**n)
    return ((codes[None, :] >> np.arange(n)[:, None]) & 1).astype(bool)


@dataclass(frozen=True)
class FirstLayerDirections:
    r"""The finite set of first-layer directions fixed by a dual :math:`(\nu,\mu)` (THEORY §I.2).

    Entry :math:`e` is the unit vector :math:`\Pi_{\mathcal K_i}(s\,X^\top D_ir_{l\sigma})/\|\cdot\|` of a
    tight block, :math:`\|\Pi_{\mathcal K_i}(s\,X^\top D_ir_{l\sigma})\|\ge\beta(1-\text{rtol})`; every
    block :math:`z^s_{l\sigma i}` of an optimal solution is a non-negative multiple of its entry.

    Attributes
    ----------
    directions : ndarray of shape (K, d)
    inner_signs : ndarray of shape (K,)
        :math:`s` (+1 for :math:`z^+`, the sign of the inner weight :math:`v`).
    outer_signs : ndarray of shape (K,)
        :math:`\sigma` (the sign of the branch's output weight).
    outer_pattern, inner_pattern : ndarray of int, shape (K,)
        :math:`l` and :math:`i`.
    values : ndarray of shape (K,)
        :math:`\|\Pi_{\mathcal K_i}(\cdot)\|/\beta`.
    """

    directions: np.ndarray
    inner_signs: np.ndarray
    outer_signs: np.ndarray
    outer_pattern: np.ndarray
    inner_pattern: np.ndarray
    values: np.ndarray

    def distinct(self, tol=1e-7):
        """The distinct unit directions, shape (K', d)."""
        keep = []
        for k in range(self.directions.shape[0]):
            if not keep or np.min(np.linalg.norm(self.directions[keep] - self.directions[k], axis=1)) > tol:
                keep.append(k)
        return self.directions[keep]

    def distance(self, direction):
        """Euclidean distance from a unit ``direction`` to the nearest direction of the set."""
        if self.directions.shape[0] == 0:
            return np.inf
        return float(np.min(np.linalg.norm(self.directions - np.asarray(direction, dtype=float), axis=1)))


@dataclass(frozen=True)
class ThreeLayerSolution:
    r"""A solution of the three-layer convex program with its certificate.

    Attributes
    ----------
    z_plus, z_minus : ndarray of shape (L, 2, P, d)
        Blocks :math:`z^\pm_{l\sigma i}`; axis 1 is :math:`\sigma=+1,-1`.
    objective : float
        :math:`L(\hat y)+\beta\sum\|z\|`.
    prediction : ndarray of shape (n,)
        :math:`\hat y=\sum_{l,\sigma}\sigma E_lh_{l\sigma}`.
    dual : ndarray of shape (n,)
        :math:`\nu=-\nabla L(\hat y)`, recomputed from the primal point.
    outer_multipliers : ndarray of shape (L, 2, n)
        :math:`\mu_{l\sigma}\ge0` (the solver's multipliers of the outer constraints).
    dual_violation : float
        :math:`V=\max_{l,\sigma,i,s}\|\Pi_{\mathcal K_i}(s\,X^\top D_ir_{l\sigma})\|`.
    lower_bound : float
        :math:`-L^*(-\nu/\rho)`, :math:`\rho=\max(1,V/\beta)`: certified (the scaled pair is dual feasible).
    duality_gap : float
    constraint_violation : float
        Largest violation of the cone and outer constraints by the blocks.
    status, n_iter, solver, beta, loss
    X, inner_masks, outer_masks
        The data and patterns of the program.
    """

    z_plus: np.ndarray = field(repr=False)
    z_minus: np.ndarray = field(repr=False)
    objective: float
    prediction: np.ndarray = field(repr=False)
    dual: np.ndarray = field(repr=False)
    outer_multipliers: np.ndarray = field(repr=False)
    dual_violation: float
    lower_bound: float
    duality_gap: float
    constraint_violation: float
    status: str
    n_iter: int
    solver: str
    beta: float
    loss: str
    X: np.ndarray = field(repr=False)
    inner_masks: np.ndarray = field(repr=False)
    outer_masks: np.ndarray = field(repr=False)

    @property
    def relative_gap(self):
        r"""``duality_gap`` relative to :math:`\max(|F|,\min(1,L(0)))`, :math:`L(0)` the zero network's objective
        (as the two-layer program's, :func:`~sklearn_convexnn.convex.program.relative_duality_gap`)."""
        return relative_duality_gap(self.duality_gap, self.objective,
                                    zero_network_objective(self.loss, self.prediction, self.dual))

    def to_network(self, *, drop_below=1e-9):
        r"""Recover the network (THEORY §I.2): one branch per :math:`(l,\sigma)` with a non-zero block,
        :math:`\alpha=\sigma`, and one inner neuron :math:`w=z/\|z\|`, :math:`v=\pm\|z\|` per non-zero
        :math:`z^\pm_{l\sigma i}`. The branch computes :math:`\sigma(h_{l\sigma})_+=\sigma E_lh_{l\sigma}` and
        its path penalty is :math:`\sum\|z\|`, so the objectives agree.

        Parameters
        ----------
        drop_below : float, default=1e-9
            Blocks with norm at most ``drop_below`` times the largest are dropped (interior-point
            noise); 0 keeps every non-zero block.

        Returns
        -------
        ThreeLayerNetwork
        """
        norms_plus = np.linalg.norm(self.z_plus, axis=3)
        norms_minus = np.linalg.norm(self.z_minus, axis=3)
        threshold = drop_below * max(norms_plus.max(initial=0.0), norms_minus.max(initial=0.0))
        keep_plus = (norms_plus > threshold) & (norms_plus > 0)
        keep_minus = (norms_minus > threshold) & (norms_minus > 0)
        branches = []
        for l, s in zip(*np.nonzero(keep_plus.any(axis=2) | keep_minus.any(axis=2))):
            weights, inner = [], []
            for blocks, norms, keep, sign in ((self.z_plus, norms_plus, keep_plus, 1.0), (self.z_minus, norms_minus, keep_minus, -1.0)):
                for i in np.nonzero(keep[l, s])[0]:
                    weights.append(blocks[l, s, i] / norms[l, s, i])
                    inner.append(sign * norms[l, s, i])
            branches.append((weights, inner, 1.0 if s == 0 else -1.0))
        d = self.X.shape[1]
        width = max((len(b[1]) for b in branches), default=0)
        first = np.zeros((len(branches), width, d))
        second = np.zeros((len(branches), width))
        output = np.zeros(len(branches))
        for j, (weights, inner, sigma) in enumerate(branches):
            first[j, :len(inner)] = weights
            second[j, :len(inner)] = inner
            output[j] = sigma
        return ThreeLayerNetwork(first, second, output)

    def first_layer_directions(self, *, rtol=1e-6):
        r"""The finite set of first-layer directions fixed by the dual :math:`(\nu,\mu)` (THEORY §I.2).

        Parameters
        ----------
        rtol : float
            A block counts as tight when its value is at least :math:`\beta(1-\text{rtol})`.

        Returns
        -------
        FirstLayerDirections
        """
        entries = _tight_blocks(self.X, self.inner_masks, self.outer_masks, self.dual, self.outer_multipliers,
                                self.beta * (1 - rtol))
        directions = np.array([e[5] for e in entries]).reshape(-1, self.X.shape[1])
        return FirstLayerDirections(
            directions=directions,
            inner_signs=np.array([e[3] for e in entries], dtype=float),
            outer_signs=np.array([1.0 if e[1] == 0 else -1.0 for e in entries]),
            outer_pattern=np.array([e[0] for e in entries], dtype=int),
            inner_pattern=np.array([e[2] for e in entries], dtype=int),
            values=np.array([e[4] for e in entries]) / self.beta,
        )


def _dual_residuals(outer_masks, nu, mu):
    r""":math:`r_{l\sigma}=\sigma E_l\nu+(2E_l-I)\mu_{l\sigma}`, shape (L, 2, n)."""
    E = outer_masks.T.astype(float)  # (L, n)
    sigma = np.array([1.0, -1.0])
    return sigma[None, :, None] * (E * nu)[:, None, :] + (2 * E - 1)[:, None, :] * mu


def _tight_blocks(X, inner_masks, outer_masks, nu, mu, threshold):
    """Projected correlations with norm >= threshold: list of (l, s, i, sign, value, unit direction)."""
    R = _dual_residuals(outer_masks, nu, mu)
    G = np.einsum("nd,ni,lsn->lsid", X, inner_masks.astype(float), R)
    norms = np.linalg.norm(G, axis=3)
    entries = []
    for l, s, i in zip(*np.nonzero(norms >= threshold)):
        for sign in (1.0, -1.0):
            projection = project_onto_cone(sign * G[l, s, i], X, inner_masks[:, i])
            value = float(np.linalg.norm(projection))
            if value >= threshold and value > 0:
                entries.append((int(l), int(s), int(i), sign, value, projection / value))
    return entries


def _max_violation(X, inner_masks, outer_masks, nu, mu):
    r""":math:`\max\|\Pi_{\mathcal K_i}(\pm X^\top D_ir_{l\sigma})\|`, visiting blocks by decreasing :math:`\|g\|`."""
    R = _dual_residuals(outer_masks, nu, mu)
    G = np.einsum("nd,ni,lsn->lsid", X, inner_masks.astype(float), R).reshape(-1, X.shape[1])
    pattern = np.tile(np.arange(inner_masks.shape[1]), G.shape[0] // inner_masks.shape[1])
    norms = np.linalg.norm(G, axis=1)
    best = 0.0
    for index in np.argsort(-norms):
        if norms[index] <= best:
            break
        for sign in (1.0, -1.0):
            best = max(best, float(np.linalg.norm(project_onto_cone(sign * G[index], X, inner_masks[:, pattern[index]]))))
    return best


class ThreeLayerProgram:
    r"""The convex program of parallel three-layer networks with the path penalty (THEORY §I.2).

    Parameters
    ----------
    X : array-like of shape (n, d)
        Used as given (append a column of ones yourself for a bias); at most :data:`MAX_SAMPLES`
        rows and :data:`MAX_COLUMNS` columns.
    y : array-like of shape (n,)
    beta : float > 0
    loss : {"squared", "logistic"}, default="squared"

    Raises
    ------
    ValueError
        If ``n > MAX_SAMPLES`` (the program has :math:`2^n-1` outer patterns) or X has more than
        ``MAX_COLUMNS`` columns.

    Notes
    -----
    The inner patterns are every pattern of X (:func:`~sklearn_convexnn.enumerate_patterns`), the
    outer patterns every non-empty subset of the samples (:func:`outer_patterns`).
    """

    def __init__(self, X, y, beta, loss="squared"):
        X = check_array(X, dtype=np.float64, input_name="X")
        n, d = X.shape
        if n > MAX_SAMPLES:
            raise ValueError(
                f"ThreeLayerProgram is limited to n <= MAX_SAMPLES={MAX_SAMPLES} samples because it uses all "
                f"2^n - 1 outer patterns; n = {n} would need {2**n - 1}."
            )
        if d > MAX_COLUMNS:
            raise ValueError(
                f"ThreeLayerProgram is limited to X with at most MAX_COLUMNS={MAX_COLUMNS} columns (d <= 2 plus "
                f"the bias column); X has {d}."
            )
        self.X = X
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != n:
            raise ValueError(f"y must have shape ({n},), got {y.shape}.")
        self.y = check_array(y, dtype=np.float64, ensure_2d=False, input_name="y")
        self.beta = check_beta(beta)
        self.loss = check_targets_for_loss(self.y, loss).name
        self.inner_masks = enumerate_patterns(X).masks
        self.outer_masks = outer_patterns(n)

    @property
    def shape(self):
        """``(n, d, P inner patterns, L outer patterns)``."""
        return self.X.shape[0], self.X.shape[1], self.inner_masks.shape[1], self.outer_masks.shape[1]

    @property
    def n_blocks(self):
        r"""Number of blocks :math:`z^\pm_{l\sigma i}`: :math:`4LP`."""
        _, _, P, L = self.shape
        return 4 * L * P

    def branch_fits(self, z_plus, z_minus):
        r"""Return :math:`h_{l\sigma}=\sum_iD_iX(z^+_{l\sigma i}-z^-_{l\sigma i})`, shape (L, 2, n)."""
        return np.einsum("ni,nd,lsid->lsn", self.inner_masks.astype(float), self.X, z_plus - z_minus)

    def prediction(self, z_plus, z_minus):
        r"""Return :math:`\hat y=\sum_{l,\sigma}\sigma E_lh_{l\sigma}`."""
        h = self.branch_fits(z_plus, z_minus)
        return np.einsum("nl,lsn,s->n", self.outer_masks.astype(float), h, np.array([1.0, -1.0]))

    def objective_of(self, z_plus, z_minus):
        r"""Return :math:`L(\hat y)+\beta\sum(\|z^+\|+\|z^-\|)`."""
        penalty = np.linalg.norm(z_plus, axis=3).sum() + np.linalg.norm(z_minus, axis=3).sum()
        return get_loss(self.loss).value(self.prediction(z_plus, z_minus), self.y) + self.beta * float(penalty)

    def constraint_violation(self, z_plus, z_minus):
        """Largest violation of :math:`z\\in\\mathcal K_i` and :math:`(2E_l-I)h_{l\\sigma}\\ge0`."""
        signs = np.where(self.inner_masks, 1.0, -1.0)  # (n, P)
        cone = min(np.einsum("ni,nd,lsid->lsin", signs, self.X, z).min(initial=0.0) for z in (z_plus, z_minus))
        outer = (np.where(self.outer_masks.T, 1.0, -1.0)[:, None, :] * self.branch_fits(z_plus, z_minus)).min(initial=0.0)
        return float(max(0.0, -cone, -outer))

    def solve(self, *, tol=1e-9, verbose=False):
        """Solve with cvxpy and Clarabel.

        Returns
        -------
        ThreeLayerSolution

        Warns
        -----
        ConvergenceWarning
            If Clarabel reports an inaccurate solution.

        Raises
        ------
        SolverError
            If the solver fails.
        """
        import cvxpy as cp

        n, d, P, L = self.shape
        n_blocks = L * 2 * P  # per sign of z; column b = (l * 2 + s) * P + i
        inner = np.tile(self.inner_masks.astype(float), (1, 2 * L))
        outer = np.repeat(self.outer_masks.astype(float), 2, axis=1)  # column l * 2 + s
        sigma = np.tile([1.0, -1.0], L)
        aggregate = sp.csr_matrix((np.ones(n_blocks), (np.arange(n_blocks), np.arange(n_blocks) // P)), shape=(n_blocks, 2 * L))
        z_plus, z_minus = cp.Variable((d, n_blocks), name="z_plus"), cp.Variable((d, n_blocks), name="z_minus")
        h = cp.multiply(inner, self.X @ (z_plus - z_minus)) @ aggregate
        outer_constraint = cp.multiply(2 * outer - 1, h) >= 0
        constraints = [cp.multiply(2 * inner - 1, self.X @ z_plus) >= 0, cp.multiply(2 * inner - 1, self.X @ z_minus) >= 0,
                       outer_constraint]
        prediction = cp.multiply(outer, h) @ sigma
        penalty = cp.sum(cp.norm(z_plus, 2, axis=0)) + cp.sum(cp.norm(z_minus, 2, axis=0))
        problem = cp.Problem(cp.Minimize(get_loss(self.loss).cvxpy_expression(prediction, self.y) + self.beta * penalty),
                             constraints)
        try:
            with warnings.catch_warnings():
                # cvxpy's own warning on an inaccurate end, reported below as a ConvergenceWarning
                warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
                problem.solve(solver="CLARABEL", verbose=verbose, tol_gap_abs=tol, tol_gap_rel=tol, tol_feas=tol)
            name = "CLARABEL"
        except cp.error.SolverError as error:
            raise SolverError(f"Clarabel failed on the three-layer program: {error}") from error
        if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or z_plus.value is None:
            raise SolverError(f"Clarabel ended with status {problem.status!r}; no solution.")
        status = "optimal" if problem.status == cp.OPTIMAL else "inaccurate"

        def blocks(value):
            return np.asarray(value, dtype=float).T.reshape(L, 2, P, d)

        zp, zm = blocks(z_plus.value), blocks(z_minus.value)
        mu = np.maximum(np.asarray(outer_constraint.dual_value, dtype=float), 0.0).T.reshape(L, 2, n)
        loss = get_loss(self.loss)
        fit = self.prediction(zp, zm)
        nu = loss.negative_gradient(fit, self.y)
        violation = _max_violation(self.X, self.inner_masks, self.outer_masks, nu, mu)
        rho = max(1.0, violation / self.beta)
        lower = loss.dual_objective(nu / rho, self.y)
        objective = self.objective_of(zp, zm)
        stats = problem.solver_stats
        solution = ThreeLayerSolution(
            z_plus=zp, z_minus=zm, objective=objective, prediction=fit, dual=nu, outer_multipliers=mu,
            dual_violation=violation, lower_bound=lower, duality_gap=objective - lower,
            constraint_violation=self.constraint_violation(zp, zm), status=status,
            n_iter=int(stats.num_iters) if stats is not None and stats.num_iters is not None else 0,
            solver=name, beta=self.beta, loss=self.loss, X=self.X, inner_masks=self.inner_masks,
            outer_masks=self.outer_masks,
        )
        if status != "optimal":
            warnings.warn(f"Clarabel stopped with status {problem.status!r}; relative duality gap "
                          f"{solution.relative_gap:.2e}.", ConvergenceWarning, stacklevel=2)
        return solution


# --------------------------------------------------------------------------------------------
# Non-convex training
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreeLayerFit:
    """A three-layer network trained by L-BFGS on the path-regularized objective.

    Attributes
    ----------
    network : ThreeLayerNetwork
    objective : float
        :meth:`ThreeLayerNetwork.objective` of ``network``.
    n_iter : int
    converged : bool
    """

    network: ThreeLayerNetwork
    objective: float
    n_iter: int
    converged: bool


def fit_three_layer(X, y, beta, n_branches, n_inner, *, loss="squared", random_state=None, max_iter=3000, scale=1.0):
    r"""Train a network with ``n_branches`` branches of ``n_inner`` inner neurons from a random start.

    Minimizes :math:`L(f(X),y)+\beta\sum_{j,k}\|w_{jk}\||v_{jk}||\alpha_j|` with scipy's L-BFGS-B using
    :meth:`ThreeLayerNetwork.gradient`; the start has i.i.d. :math:`\mathcal N(0,\text{scale}^2/\text{fan-in})`
    weights.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Used as given.
    y : ndarray of shape (n,)
    beta : float
    n_branches, n_inner : int >= 1
    loss : {"squared", "logistic"}
    random_state : int, Generator, RandomState or None
    max_iter : int
    scale : float

    Returns
    -------
    ThreeLayerFit
    """
    X = check_array(X, dtype=np.float64, input_name="X")
    y = np.asarray(y, dtype=float)
    beta = check_beta(beta)
    for name, value in (("n_branches", n_branches), ("n_inner", n_inner)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    rng = check_random_state(random_state)
    d = X.shape[1]
    start = ThreeLayerNetwork(
        rng.normal(scale=scale / np.sqrt(d), size=(n_branches, n_inner, d)),
        rng.normal(scale=scale / np.sqrt(n_inner), size=(n_branches, n_inner)),
        rng.normal(scale=scale / np.sqrt(n_branches), size=n_branches),
    )

    def value_and_gradient(vector):
        network = start.from_vector(vector)
        return network.objective(X, y, beta, loss), network.gradient(X, y, beta, loss).to_vector()

    # tiny dense problems: BLAS threads only add contention (L-BFGS-B calls BLAS every step)
    with one_blas_thread():
        result = minimize(value_and_gradient, start.to_vector(), jac=True, method="L-BFGS-B",
                          options={"maxiter": int(max_iter), "maxfun": 10 * int(max_iter), "ftol": 1e-15, "gtol": 1e-10})
    network = start.from_vector(result.x)
    return ThreeLayerFit(network, network.objective(X, y, beta, loss), int(result.nit), bool(result.success))
