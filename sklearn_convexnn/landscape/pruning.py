r"""Optimal pruning: a network with linearly independent active fits (THEORY.md §J, §G-B3).

Neuron :math:`j` of a balanced network is the block :math:`u_j=|\alpha_j|\tilde w_j` with sign
:math:`s_j` and *actual fit* :math:`a_j=\alpha_j(\tilde X\tilde w_j)_+=s_j(\tilde Xu_j)_+`. If the fits are
dependent, :math:`\sum_j\gamma_ja_j=0` with :math:`\gamma\ne0`, scaling block :math:`j` by
:math:`1+t\gamma_j\ge0` (neuron by :math:`\sqrt{1+t\gamma_j}`) keeps the fit and changes the
regularizer by :math:`t\beta\sum_j\gamma_j\|u_j\|`, linearly in :math:`t`. The sign of :math:`\gamma` is
chosen so that this is :math:`\le0`, and :math:`t` grows until a block vanishes. At an optimum
the change is :math:`\langle\nu^*,\sum_j\gamma_ja_j\rangle=0`: the objective is constant.
Repeating leaves independent fits, hence at most :math:`\operatorname{rank}\le n` neurons.

Numerical safeguards (THEORY §G-B3): neurons with zero fit are removed first, every neuron is
balanced, neurons sharing a (pattern, sign) block are merged (their blocks add, the fit is exact
and the regularizer cannot grow), dependence is tested on column-normalized fits with a relative
singular-value tolerance, and every round is checked on the actual network: the predictions and
the objective (:meth:`ReLUNetwork.objective`) must not move beyond rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._numerics import safe_norm, safe_row_norms
from ..network import ReLUNetwork
from .certificate import check_problem, check_tol, objective_rounding_scale
from .stationary import balanced_network, network_blocks

__all__ = ["PruningRound", "prune", "merge_blocks", "pruning_rounds", "scale_neurons", "fit_matrix", "independent_fits"]

#: relative singular value below which normalized fits count as dependent
RANK_TOL = 1e-9
#: allowed rounding in the objective and the predictions of one pruning round
ROUNDING = 1e-12


def scale_neurons(network, factors):
    r"""Scale block :math:`j` by :math:`f_j\ge0`: :math:`(\tilde w_j,\alpha_j)\mapsto\sqrt{f_j}(\tilde w_j,\alpha_j)`.

    Parameters
    ----------
    network : ReLUNetwork
        The network.
    factors : array-like of shape (m,)
        Block factors :math:`f_j` (negative values are clipped to 0).

    Returns
    -------
    ReLUNetwork
        Fit :math:`\sum_jf_ja_j`, penalty :math:`\frac\beta2\sum_jf_j(\|\tilde w_j\|^2+\alpha_j^2)`.
    """
    root = np.sqrt(np.maximum(np.asarray(factors, dtype=float), 0.0))
    return ReLUNetwork.from_augmented(
        network.augmented_weights * root[:, None], network.output_weights * root, network.hidden_bias is not None
    )


def fit_matrix(network, X_aug):
    r"""Return the actual fits :math:`a_j=\alpha_j(\tilde X\tilde w_j)_+` as columns.

    Parameters
    ----------
    network : ReLUNetwork
        Scalar-output network.
    X_aug : ndarray of shape (n, D)
        ``network.augment(X)``.

    Returns
    -------
    ndarray of shape (n, m)
        Column :math:`j` is :math:`a_j`.
    """
    return np.maximum(X_aug @ network.augmented_weights.T, 0.0) * network.output_weights


def independent_fits(network, X, rank_tol=RANK_TOL):
    r"""Test whether the non-zero fits :math:`a_j` are linearly independent.

    Tested on unit-normalized columns: :math:`\sigma_{\min}>\text{rank\_tol}\cdot\sigma_{\max}` and at
    most :math:`n` of them.

    Parameters
    ----------
    network : ReLUNetwork
        Scalar-output network.
    X : array-like of shape (n, d)
        Raw data.
    rank_tol : float, default=1e-9
        Relative singular-value tolerance.

    Returns
    -------
    bool
        True when the fits are independent.
    """
    A = fit_matrix(network, network.augment(X))
    norms = np.linalg.norm(A, axis=0)
    A = A[:, norms > 0] / norms[norms > 0]
    if A.shape[1] <= 1:
        return True
    if A.shape[1] > A.shape[0]:
        return False
    singular = np.linalg.svd(A, compute_uv=False)
    return bool(singular[-1] > rank_tol * singular[0])


def without_dead_neurons(network, X_aug):
    """The network with every neuron of zero fit set to zero (fit kept, regularizer not larger)."""
    dead = ~np.any(fit_matrix(network, X_aug) != 0, axis=0)
    return scale_neurons(network, np.where(dead, 0.0, 1.0))


def merge_blocks(network, X_aug):
    r"""Merge the neurons of each (pattern, sign) block into its largest one (THEORY §G-B2).

    For a balanced network with blocks :math:`u_j=|\alpha_j|\tilde w_j`: the leader of each group
    gets :math:`u=\sum_ju_j` (as the balanced neuron :math:`u/\sqrt{\|u\|}`, :math:`s\sqrt{\|u\|}`), the
    others become zero. All blocks of a group lie in the same cone, so the fit is unchanged and
    :math:`\|\sum_ju_j\|\le\sum_j\|u_j\|`.

    Parameters
    ----------
    network : ReLUNetwork
        Scalar-output network.
    X_aug : ndarray of shape (n, D)
        ``network.augment(X)``.

    Returns
    -------
    merged : ReLUNetwork
        Same width and slots.
    leader : ndarray of int, shape (m,)
        Slot receiving neuron ``j`` (``j`` itself for leaders and inactive neurons).
    """
    own = network_blocks(network, X_aug)
    weights, alpha = network.augmented_weights, network.output_weights
    blocks = np.abs(alpha)[:, None] * weights
    size = safe_row_norms(blocks)
    leader = np.arange(network.width)
    column = own.column
    new_blocks = np.where((own.pattern >= 0)[:, None], blocks, 0.0)
    for j in np.flatnonzero(own.pattern >= 0):
        group = np.flatnonzero((own.pattern == own.pattern[j]) & (column == column[j]))
        head = group[np.argmax(size[group])]
        leader[j] = head
    for j in np.flatnonzero(own.pattern >= 0):
        if leader[j] != j:
            new_blocks[leader[j]] += new_blocks[j]
            new_blocks[j] = 0.0
    merged = balanced_network(new_blocks, np.where(own.pattern >= 0, own.sign, 0), network.hidden_bias is not None)
    return merged, leader


@dataclass(frozen=True)
class PruningRound:
    r"""One round of B3: block :math:`j` is scaled by ``1 + t * delta[j]``, :math:`t\in[0,1]`.

    Attributes
    ----------
    delta : ndarray of shape (m,)
        :math:`t^\star\gamma`; ``1 + delta[removed] == 0``.
    removed : int
        The slot whose neuron vanishes at :math:`t=1`.
    regularizer_rate : float
        :math:`\sum_j\delta_j\|u_j\|` (:math:`\le0`): the regularizer changes by
        :math:`t\beta\cdot` this.
    """

    delta: np.ndarray
    removed: int
    regularizer_rate: float

    def factors(self, t):
        """Block factors at :math:`t` (the removed block exactly 0 at :math:`t=1`)."""
        factors = 1.0 + t * self.delta
        if t == 1.0:
            factors[self.removed] = 0.0
        return np.maximum(factors, 0.0)


def _dependency(A):
    r"""A null vector :math:`c` of A (largest entry of magnitude 1) and the singular-value ratio of its normalized columns.

    :math:`c_j=v_j/\|a_j\|` for the last right singular vector :math:`v` of the normalized columns, computed as
    :math:`v_j\,(\min_k\|a_k\|/\|a_j\|)` and rescaled: column norms apart by hundreds of orders of magnitude
    (denormal data) would overflow the quotient. Its callers use it up to a positive factor.
    """
    norms = safe_row_norms(A.T)  # columns are non-zero
    normalized = A / norms
    _, singular, vt = np.linalg.svd(normalized, full_matrices=True)
    null = vt[-1] * (norms.min() / norms)
    null /= max(np.abs(null).max(), np.finfo(float).tiny)
    if A.shape[1] > A.shape[0]:
        return null, 0.0
    return null, float(singular[-1] / singular[0])


def pruning_rounds(network, X, y, beta, loss, rank_tol=RANK_TOL):
    r"""Compute the rounds of B3 on a balanced network whose (pattern, sign) blocks are merged.

    Parameters
    ----------
    network : ReLUNetwork
        Balanced, zero-fit neurons zero (same slots are kept throughout).
    X : ndarray of shape (n, d)
        Raw data.
    y : ndarray of shape (n,)
        Targets; with ``beta`` and ``loss`` they define the objective checked after each round.
    beta : float
        Weight decay.
    loss : str
        The loss.
    rank_tol : float, default=1e-9
        Relative singular-value tolerance of the dependence test.

    Returns
    -------
    rounds : list of PruningRound
        One per removed neuron, in order.
    pruned : ReLUNetwork
        The network after all rounds (same width; removed neurons are zero).
    """
    X_aug = network.augment(X)
    rounds = []
    current = network
    objective = current.objective(X, y, beta, loss)
    prediction = current.predict(X)
    # size of the fit's terms, sum_j |alpha_j| (x_k^T w_j)_+ (>= |prediction|): the scale of its rounding
    terms = np.maximum(X_aug @ network.augmented_weights.T, 0.0) @ np.abs(network.output_weights)
    terms = safe_norm(terms)
    for _ in range(network.width):
        A = fit_matrix(current, X_aug)
        active = np.flatnonzero(np.any(A != 0, axis=0))
        if len(active) <= 1:
            break
        gamma_active, ratio = _dependency(A[:, active])
        if ratio > rank_tol:
            break
        sizes = np.abs(current.output_weights[active]) * safe_row_norms(current.augmented_weights[active])
        rate = float(gamma_active @ sizes)
        candidates = [-gamma_active, gamma_active] if rate > 0 else [gamma_active, -gamma_active]
        accepted = None
        for gamma in candidates:
            if not np.any(gamma < 0):
                continue
            negative = np.flatnonzero(gamma < 0)
            k = negative[np.argmin(gamma[negative])]
            t_star = -1.0 / gamma[k]
            delta = np.zeros(network.width)
            delta[active] = t_star * gamma
            step = PruningRound(delta, int(active[k]), float(delta[active] @ sizes))
            trial = scale_neurons(current, step.factors(1.0))
            trial_objective = trial.objective(X, y, beta, loss)
            # relative to F and to the size of the fit's terms, plus the resolution of F in float64: an absolute
            # floor (max(1, |F|)) would accept any change of a problem in small units of y
            bound = (ROUNDING * abs(objective) + objective_rounding_scale(current, X_aug, y, beta, loss)
                     + objective_rounding_scale(trial, X_aug, y, beta, loss))
            moved = safe_norm(trial.predict(X) - prediction)
            if trial_objective <= objective + bound and moved <= 1e3 * ROUNDING * terms:
                accepted = (step, trial, trial_objective)
                break
        if accepted is None:
            break
        step, current, objective = accepted
        rounds.append(step)
    return rounds, current


def prune(network, X, y, beta, loss="squared", *, rank_tol=RANK_TOL):
    r"""Prune a network to linearly independent active fits without changing its predictions.

    Steps: zero-fit neurons removed; every neuron balanced (B1); neurons of one (pattern, sign)
    block merged (B2); then rounds of B3 (module docstring) until the column-normalized fits
    :math:`a_j=\alpha_j(\tilde X\tilde w_j)_+` are independent. Predictions are unchanged (to rounding),
    the objective does not increase, and at a global optimum it is unchanged: every round is checked, in
    float64, to move the predictions by at most :math:`10^{-9}` of the size :math:`\|\sum_j|\alpha_j|(\tilde
    X\tilde w_j)_+\|` of their terms and to raise :math:`F` by at most :math:`10^{-12}|F|` plus the resolution of
    :math:`F` (:func:`~.certificate.objective_rounding_scale`); both scale with the data. Where :math:`F` itself
    is below that resolution (a fit that interpolates :math:`y` to rounding, with a negligible penalty) the
    objective is rounding noise, and its last digits may differ from the input's.

    Parameters
    ----------
    network : ReLUNetwork
        Any scalar-output network.
    X : array-like of shape (n, d)
        Raw data (the ones column is appended for a network with a bias).
    y : array-like of shape (n,)
        Targets.
    beta : float > 0
        Weight decay :math:`\beta`.
    loss : {"squared", "logistic"}, default="squared"
        The loss :math:`L`.
    rank_tol : float, default=1e-9
        Fits count as dependent when the smallest singular value of the unit-normalized fit matrix
        is at most ``rank_tol`` times the largest.

    Returns
    -------
    ReLUNetwork
        At most :math:`\operatorname{rank}[a_j]\le n` neurons (zero neurons dropped).
    """
    X_aug, y, beta, loss = check_problem(network, X, y, beta, loss)
    rank_tol = check_tol(rank_tol, "rank_tol")
    current = without_dead_neurons(network, X_aug).balanced()
    current, _ = merge_blocks(current, X_aug)
    _, current = pruning_rounds(current, X, y, beta, loss, rank_tol)
    return current.without_zero_neurons()
