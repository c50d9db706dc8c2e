r"""Non-convex training of the same network with scikit-learn's MLPs, on the same objective.

:class:`~sklearn.neural_network.MLPRegressor` minimizes
:math:`\frac1{2n}\|f-y\|^2+\frac{\alpha}{2n}\sum\|\text{coefs}\|^2` with *unpenalized* intercepts;
a binary :class:`~sklearn.neural_network.MLPClassifier` minimizes the cross-entropy of
:math:`\sigma(f)` against :math:`(1+y)/2`, which for labels :math:`y_k=\pm1` is
:math:`\frac1n\sum_k\log(1+e^{-y_kf_k})` (the logistic loss), plus the same penalty.
To train exactly our objective :math:`F_m` (THEORY.md §A) we

* append the column of ones to :math:`X` so the first-layer bias is a penalized weight,
* keep both intercepts at zero (initialised at zero, zero gradient), and
* use ``alpha = beta`` with L-BFGS (full batch: :math:`F = n\times` MLP loss), or
  ``alpha = beta * batch_size / n`` with Adam (the penalty is applied per mini-batch).

The result is read back as a :class:`ReLUNetwork` and judged with *our* objective function.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from ._threads import one_blas_thread
from .arrangements import add_intercept
from .losses import check_targets_for_loss
from .network import ReLUNetwork, check_beta

__all__ = ["PinnedInterceptMLPRegressor", "PinnedInterceptMLPClassifier", "NonconvexFit", "fit_mlp"]


class _PinnedIntercepts:
    """The two training hooks of the MLPs below: intercepts start at zero and receive zero gradient."""

    def _init_coef(self, fan_in, fan_out, dtype):
        coef, intercept = super()._init_coef(fan_in, fan_out, dtype)
        return coef, np.zeros_like(intercept)

    def _compute_loss_grad(self, layer, sw_sum, activations, deltas, coef_grads, intercept_grads):
        super()._compute_loss_grad(layer, sw_sum, activations, deltas, coef_grads, intercept_grads)
        intercept_grads[layer] = np.zeros_like(intercept_grads[layer])


class PinnedInterceptMLPRegressor(_PinnedIntercepts, MLPRegressor):
    """An MLPRegressor whose intercepts stay exactly zero (benchmark and teaching helper).

    Only two training hooks change: intercepts start at zero and receive zero gradient, so every
    solver leaves them at zero. Everything else is MLPRegressor's.
    """


class PinnedInterceptMLPClassifier(_PinnedIntercepts, MLPClassifier):
    """An MLPClassifier whose intercepts stay exactly zero: :class:`PinnedInterceptMLPRegressor`'s hooks."""


@dataclass(frozen=True)
class NonconvexFit:
    """A network trained by an MLP on our objective.

    Attributes
    ----------
    network : ReLUNetwork
    objective : float
        :math:`F_m` of ``network``, by :meth:`ReLUNetwork.objective`.
    n_iter : int
    converged : bool
        False when MLPRegressor warned that it stopped at ``max_iter``.
    """

    network: ReLUNetwork
    objective: float
    n_iter: int
    converged: bool


def fit_mlp(X, y, beta, width, *, fit_intercept=True, solver="lbfgs", random_state=None, max_iter=5000,
            tol=1e-12, batch_size=32, loss="squared"):
    r"""Train a width-``width`` ReLU network on :math:`F_m` with MLPRegressor (MLPClassifier for the logistic loss).

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
        Targets; labels :math:`\pm1` for ``loss="logistic"``.
    beta : float
        Weight decay :math:`\beta` of :math:`F_m`.
    width : int
        Number of hidden neurons :math:`m`.
    fit_intercept : bool, default=True
        Penalized first-layer bias (ones column).
    solver : {"lbfgs", "adam"}, default="lbfgs"
    random_state : int or None
        MLPRegressor's initialisation seed.
    max_iter, tol, batch_size
        Passed to the MLP (``max_fun`` is raised with ``max_iter``).
    loss : {"squared", "logistic"}, default="squared"
        ``"logistic"`` trains a binary MLPClassifier, whose output before its sigmoid is the network's.

    Returns
    -------
    NonconvexFit
    """
    beta = check_beta(beta)
    if solver not in ("lbfgs", "adam"):
        raise ValueError(f"solver must be 'lbfgs' or 'adam', got {solver!r}.")
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        raise ValueError(f"width must be a positive integer, got {width!r}.")
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    loss = check_targets_for_loss(y, loss).name
    X_aug = add_intercept(X) if fit_intercept else X
    n = X.shape[0]
    alpha = beta if solver == "lbfgs" else beta * min(batch_size, n) / n
    model = PinnedInterceptMLPRegressor if loss == "squared" else PinnedInterceptMLPClassifier
    mlp = model(
        hidden_layer_sizes=(int(width),), activation="relu", solver=solver, alpha=alpha,
        max_iter=max_iter, max_fun=10 * max_iter, tol=tol, batch_size=min(batch_size, n),
        random_state=random_state, n_iter_no_change=50,
    )
    # small dense products: one BLAS thread is faster than several fighting for the cores
    with warnings.catch_warnings(record=True) as caught, one_blas_thread():
        warnings.simplefilter("always", ConvergenceWarning)
        mlp.fit(X_aug, y)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    read = ReLUNetwork.from_mlp(mlp)
    network = ReLUNetwork.from_augmented(read.hidden_weights, read.output_weights, fit_intercept)
    return NonconvexFit(network, network.objective(X, y, beta, loss), int(mlp.n_iter_), converged)
