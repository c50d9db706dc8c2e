r"""Convex losses :math:`L(\hat y, y)` and their conjugates (THEORY.md §A).

This module is the one home of each loss. Everything that needs a loss value, its gradient,
the dual objective :math:`-L^*(-\nu)` or the cvxpy expression of the loss asks the objects here.

================  ===============================================  =====================================
loss              :math:`L(\hat y)`                                :math:`-\nabla L(\hat y)`
================  ===============================================  =====================================
``"squared"``     :math:`\tfrac12\lVert\hat y-y\rVert^2` (a sum)   :math:`y-\hat y`
``"logistic"``    :math:`\sum_k\log(1+e^{-y_k\hat y_k})`, ``y=±1``  :math:`y_k\,\sigma(-y_k\hat y_k)`
================  ===============================================  =====================================

Targets may be vectors (``(n,)``) or matrices (``(n, c)``, vector outputs); every formula is
applied entrywise and summed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, xlogy

__all__ = ["SquaredLoss", "LogisticLoss", "get_loss", "LOSSES"]


@dataclass(frozen=True)
class SquaredLoss:
    r"""Squared loss :math:`L(\hat y)=\tfrac12\lVert\hat y-y\rVert^2`.

    Conjugate :math:`L^*(s)=\tfrac12\lVert s\rVert^2+\langle s,y\rangle`, hence the dual objective
    :math:`-L^*(-\nu)=\langle\nu,y\rangle-\tfrac12\lVert\nu\rVert^2`.
    """

    name: str = "squared"

    def value(self, prediction, y):
        r"""Return :math:`\tfrac12\sum_k(\hat y_k-y_k)^2`."""
        residual = np.asarray(prediction, dtype=float) - y
        return 0.5 * float(np.sum(residual * residual))

    def negative_gradient(self, prediction, y):
        r"""Return :math:`\nu=-\nabla L(\hat y)=y-\hat y` (the residual)."""
        return np.asarray(y, dtype=float) - prediction

    def dual_objective(self, nu, y):
        r"""Return :math:`-L^*(-\nu)=\langle\nu,y\rangle-\tfrac12\lVert\nu\rVert^2`."""
        nu = np.asarray(nu, dtype=float)
        return float(np.sum(nu * y) - 0.5 * np.sum(nu * nu))

    def zero_prediction_dual(self, y):
        r"""Return :math:`\nu_0=-\nabla L(0)=y`."""
        return np.asarray(y, dtype=float).copy()

    def cvxpy_expression(self, prediction, y):
        """The loss as a cvxpy expression of the cvxpy ``prediction``."""
        import cvxpy as cp

        return 0.5 * cp.sum_squares(prediction - y)


@dataclass(frozen=True)
class LogisticLoss:
    r"""Logistic loss :math:`L(\hat y)=\sum_k\log(1+e^{-y_k\hat y_k})` for labels :math:`y_k=\pm1`.

    Conjugate :math:`L^*(s)=\sum_k\phi(-y_ks_k)` with :math:`\phi(p)=p\ln p+(1-p)\ln(1-p)` on
    :math:`[0,1]` (:math:`+\infty` outside), hence the dual objective
    :math:`-L^*(-\nu)=\sum_kH(y_k\nu_k)`, :math:`H(p)=-p\ln p-(1-p)\ln(1-p)`, finite only when
    :math:`y_k\nu_k\in[0,1]`.
    """

    name: str = "logistic"

    def value(self, prediction, y):
        r"""Return :math:`\sum_k\log(1+e^{-y_k\hat y_k})` (computed stably)."""
        margin = y * np.asarray(prediction, dtype=float)
        return float(np.sum(np.logaddexp(0.0, -margin)))

    def negative_gradient(self, prediction, y):
        r"""Return :math:`\nu_k=y_k\,\sigma(-y_k\hat y_k)`."""
        return y * expit(-y * np.asarray(prediction, dtype=float))

    def dual_objective(self, nu, y):
        r"""Return :math:`\sum_kH(y_k\nu_k)`, or :math:`-\infty` outside the domain."""
        p = y * np.asarray(nu, dtype=float)
        if np.any(p < -1e-12) or np.any(p > 1 + 1e-12):
            return -np.inf
        p = np.clip(p, 0.0, 1.0)
        return float(-np.sum(xlogy(p, p) + xlogy(1 - p, 1 - p)))

    def zero_prediction_dual(self, y):
        r"""Return :math:`\nu_0=-\nabla L(0)=y/2`."""
        return 0.5 * np.asarray(y, dtype=float)

    def cvxpy_expression(self, prediction, y):
        """The loss as a cvxpy expression of the cvxpy ``prediction``."""
        import cvxpy as cp

        return cp.sum(cp.logistic(-cp.multiply(y, prediction)))


LOSSES = {"squared": SquaredLoss(), "logistic": LogisticLoss()}


def get_loss(loss):
    """Return the loss object for a name (``"squared"`` or ``"logistic"``) or a loss object.

    Raises
    ------
    ValueError
        If ``loss`` names no known loss.
    """
    if isinstance(loss, (SquaredLoss, LogisticLoss)):
        return loss
    if isinstance(loss, str) and loss in LOSSES:
        return LOSSES[loss]
    raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}.")


def check_targets_for_loss(y, loss):
    """Check that ``y`` suits ``loss`` (labels ``±1`` for the logistic loss).

    Raises
    ------
    ValueError
        If the logistic loss gets targets other than ``-1`` and ``+1``.
    """
    loss = get_loss(loss)
    if loss.name == "logistic" and not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError("y must contain only -1 and +1 for loss='logistic'.")
    return loss
