r"""The regularization path of the convex program, warm-started (like scikit-learn's ``lasso_path``).

For a decreasing sequence :math:`\beta_1>\beta_2>\dots` the program (C) (or (CG)) is solved at each
:math:`\beta_k` starting from the solution at :math:`\beta_{k-1}` on the same patterns. Above

.. math:: \beta_{\max}=\max_{i,s}\|\Pi_{\mathcal K_i}(s\,X^\top D_i\nu_0)\|,\qquad \nu_0=-\nabla L(0),

the zero network is optimal (THEORY §D, item 9), so a path usually starts there.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ..arrangements import Arrangement
from ..losses import get_loss
from .dual import max_dual_violation
from .program import ConvexProgram, ConvexSolution

__all__ = ["RegularizationPath", "convex_relu_path", "beta_max"]


@dataclass(frozen=True)
class RegularizationPath:
    r"""Solutions of the convex program along decreasing :math:`\beta`.

    Attributes
    ----------
    betas : ndarray of shape (K,)
        Decreasing.
    solutions : tuple of ConvexSolution
        ``solutions[k]`` solves the program at ``betas[k]``.
    objectives : ndarray of shape (K,)
    duality_gaps : ndarray of shape (K,)
    n_neurons : ndarray of int of shape (K,)
        Neurons of the recovered network: non-zero blocks, blocks below ``1e-6`` of the largest
        dropped, neurons with the same direction and sign merged (ReLU).
    """

    betas: np.ndarray
    solutions: tuple
    objectives: np.ndarray
    duality_gaps: np.ndarray
    n_neurons: np.ndarray

    def __len__(self):
        return len(self.betas)


def beta_max(X, y, arrangement, *, activation="relu", loss="squared"):
    r"""Smallest :math:`\beta` for which the zero network is optimal on these patterns.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    arrangement : Arrangement
    activation : {"relu", "gated"}
    loss : {"squared", "logistic"}

    Returns
    -------
    float
        :math:`\max_{i,s}\|\Pi_{\mathcal K_i}(s\,X^\top D_i\nu_0)\|` with :math:`\nu_0=-\nabla L(0)`.
    """
    nu0 = get_loss(loss).zero_prediction_dual(np.asarray(y, dtype=float))
    return float(max_dual_violation(nu0, np.asarray(X, dtype=float), arrangement.masks, activation)[0])


def count_neurons(solution, drop_below=1e-6):
    """Neurons of ``solution.to_network(drop_below)``, merged by direction and sign for ReLU."""
    network = solution.to_network(drop_below=drop_below)
    if solution.activation == "relu":
        network = network.merged()
    return int(network.width)


def convex_relu_path(X, y, betas, arrangement, *, activation="relu", loss="squared", solver="auto", tol=1e-8,
                     max_iter=None, blocks=None, verbose=False):
    r"""Solve the convex program for every :math:`\beta` of ``betas``, largest first, warm-started.

    Parameters
    ----------
    X : array-like of shape (n, d)
        Used as given (append the ones column yourself for a bias).
    y : array-like of shape (n,)
    betas : array-like of positive floats, or int
        The regularization strengths (sorted decreasingly here), or a number ``K`` of values on a
        geometric grid from :func:`beta_max` down to ``1e-3 * beta_max``.
    arrangement : Arrangement
    activation : {"relu", "gated"}
    loss : {"squared", "logistic"}
    solver : str, default="auto"
        Backend of :meth:`ConvexProgram.solve`; the native solvers use the warm start.
    tol : float
        Target relative duality gap at every :math:`\beta`.
    max_iter : int or None
    blocks : bool ndarray of shape (P, 2), optional
        Existing blocks (see :class:`ConvexProgram`).
    verbose : bool
        Progress bar over the path.

    Returns
    -------
    RegularizationPath

    Raises
    ------
    ValueError
        If ``betas`` is empty or holds a non-positive value.
    """
    if not isinstance(arrangement, Arrangement):
        raise TypeError(f"arrangement must be an Arrangement, got {type(arrangement).__name__}.")
    if isinstance(betas, numbers.Integral) and not isinstance(betas, bool):
        if betas < 1:
            raise ValueError(f"betas must be a positive number of values, got {betas}.")
        top = beta_max(X, y, arrangement, activation=activation, loss=loss)
        betas = np.geomspace(top, 1e-3 * top, int(betas)) if top > 0 else np.ones(int(betas))
    betas = np.asarray(betas, dtype=float).ravel()
    if betas.size == 0 or not np.all(np.isfinite(betas)) or np.any(betas <= 0):
        raise ValueError(f"betas must be a non-empty sequence of positive finite numbers, got {betas!r}.")
    betas = np.sort(betas)[::-1]
    program = ConvexProgram(X, y, betas[0], arrangement, activation=activation, loss=loss, blocks=blocks)
    iterator = betas
    if verbose:
        from tqdm.auto import tqdm

        iterator = tqdm(betas, desc="regularization path", leave=False)
    solutions = []
    previous = None
    for beta in iterator:
        program_at_beta = program.with_beta(float(beta))
        solution = program_at_beta.solve(solver, tol=tol, max_iter=max_iter, warm_start=previous, verbose=False)
        solutions.append(solution)
        previous = solution if isinstance(solution, ConvexSolution) else None
    return RegularizationPath(
        betas=betas,
        solutions=tuple(solutions),
        objectives=np.array([s.objective for s in solutions]),
        duality_gaps=np.array([s.duality_gap for s in solutions]),
        n_neurons=np.array([count_neurons(s) for s in solutions], dtype=int),
    )
