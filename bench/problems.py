r"""Benchmark problems: data, targets, :math:`\beta` and one fixed set of sampled patterns each.

Every method of the benchmark sees the same :class:`BenchmarkProblem`: the standardized data
:math:`X` (columns of mean 0 and norm :math:`\sqrt n`, so pyscnn's column unitization is a uniform
rescale), the augmented data :math:`\tilde X=[X,\mathbf 1]` (the first-layer bias is a penalized
weight), the targets, :math:`\beta`, the loss and the arrangement of :math:`P` Gaussian gates sampled
on :math:`\tilde X` with a fixed seed. The objective is THEORY.md §A's

.. math:: F=L(f(X),y)+\frac\beta2\sum_j(\|w_j\|^2+b_j^2+\alpha_j^2),

with :math:`L=\tfrac12\|f(X)-y\|^2` (``--sizes small|all|weak``) or the logistic loss
:math:`\sum_k\log(1+e^{-y_kf(x_k)})` on labels :math:`\pm1` (``--sizes logistic``), evaluated only by
:meth:`sklearn_convexnn.ReLUNetwork.objective`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.preprocessing import StandardScaler

from sklearn_convexnn import ConvexProgram
from sklearn_convexnn.arrangements import Arrangement, add_intercept, sample_patterns

__all__ = [
    "BenchmarkProblem",
    "SYNTHETIC_SIZES",
    "SMALL_SIZES",
    "REAL_DATASETS",
    "WEAK_SCALES",
    "LOGISTIC_SCALES",
    "beta_for",
    "make_synthetic",
    "make_real",
    "benchmark_problems",
    "iteration_time",
]

#: (n, d, P) of the synthetic problems, smallest first.
SYNTHETIC_SIZES = ((200, 5, 50), (1000, 10, 200), (5000, 20, 500), (20000, 50, 1000))
#: the sizes run by ``--sizes small``.
SMALL_SIZES = ((200, 5, 50),)
#: real data sets that ship with scikit-learn, with the number of gates sampled on each.
REAL_DATASETS = (("diabetes", 100), ("breast_cancer", 100))
#: weak regularization (``--sizes weak``): the real data sets at these multiples of :func:`beta_for`, where the
#: support has more free face dimensions than samples (many blocks active, flat restricted problems)
WEAK_SCALES = (0.3, 0.1)
#: the logistic loss (``--sizes logistic``): the real data sets' labels at these multiples of :func:`beta_for`
LOGISTIC_SCALES = (1.0,) + WEAK_SCALES
#: seed of the gates (the same for every method, the estimator's ``random_state`` included).
PATTERN_SEED = 1


def beta_for(n_samples):
    r""":math:`\beta=n/200`: the loss is a sum over samples, so :math:`\beta` grows with :math:`n`.

    This keeps the weight of the penalty relative to the loss comparable across sizes
    (:math:`\beta=1` at :math:`n=200`).
    """
    return n_samples / 200.0


@dataclass(frozen=True, eq=False)
class BenchmarkProblem:
    """One benchmark problem, shared by every method.

    Attributes
    ----------
    name : str
    X : ndarray of shape (n, d)
        Standardized features (each column has mean 0 and norm :math:`\\sqrt n`).
    y : ndarray of shape (n,)
        Regression target (standardized) or :math:`\\pm1` labels.
    beta : float
    arrangement : Arrangement
        Patterns of :math:`\\tilde X=[X,\\mathbf 1]` from ``n_gates`` Gaussian gates.
    n_gates : int
        Gates drawn (:math:`P` in the problem's name; distinct patterns may be fewer).
    pattern_seed : int
        ``random_state`` of :func:`~sklearn_convexnn.sample_patterns`; also the estimator's.
    loss : {"squared", "logistic"}
        The squared loss (also on labels), or the logistic loss on :math:`\\pm1` labels.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    beta: float
    arrangement: Arrangement = field(repr=False)
    n_gates: int
    pattern_seed: int = PATTERN_SEED
    loss: str = "squared"

    @property
    def X_aug(self):
        r""":math:`\tilde X=[X,\mathbf 1]`, shape (n, d+1)."""
        return add_intercept(self.X)

    @property
    def shape(self):
        """``(n, d, P)`` with d the number of features (without the ones column) and P the gates drawn."""
        return self.X.shape[0], self.X.shape[1], self.n_gates

    def program(self, activation="relu"):
        """The convex program of this problem: :math:`\\tilde X`, targets, :math:`\\beta`, loss and patterns."""
        return ConvexProgram(self.X_aug, self.y, self.beta, self.arrangement, activation=activation, loss=self.loss)


def _standardize(X):
    """Columns of mean 0 and standard deviation 1 (norm :math:`\\sqrt n`)."""
    return StandardScaler().fit_transform(np.asarray(X, dtype=np.float64))


def _problem(name, X, y, n_gates, beta=None, loss="squared"):
    X = _standardize(X)
    beta = beta_for(X.shape[0]) if beta is None else float(beta)
    arrangement = sample_patterns(add_intercept(X), n_gates, random_state=PATTERN_SEED)
    return BenchmarkProblem(name, X, np.asarray(y, dtype=np.float64), beta, arrangement, int(n_gates), loss=loss)


def make_synthetic(n_samples, n_features, n_gates, *, teacher_width=10, noise=0.3, random_state=0, beta=None):
    r"""A planted ReLU network plus noise, standardized.

    :math:`x_k\sim\mathcal N(0,I_d)`, then :math:`y=\sum_{j\le k}(x^\top w_j+b_j)_+a_j+\sigma\varepsilon`
    with :math:`w_j\sim\mathcal N(0,I/d)`, :math:`b_j\sim\mathcal N(0,1/4)`, :math:`a_j\sim\mathcal N(0,1)`,
    :math:`\varepsilon\sim\mathcal N(0,I)`, and :math:`y` centred and scaled to unit variance
    (the network has no output bias).

    Parameters
    ----------
    n_samples, n_features, n_gates : int
        :math:`n`, :math:`d`, and the number :math:`P` of gates sampled.
    teacher_width : int, default=10
    noise : float, default=0.3
        :math:`\sigma`.
    random_state : int, default=0
        Seed of the data (the gates use :data:`PATTERN_SEED`).
    beta : float or None
        Default :func:`beta_for`.

    Returns
    -------
    BenchmarkProblem
    """
    rng = np.random.default_rng(random_state)
    X = _standardize(rng.standard_normal((n_samples, n_features)))
    weights = rng.standard_normal((teacher_width, n_features)) / np.sqrt(n_features)
    bias = 0.5 * rng.standard_normal(teacher_width)
    output = rng.standard_normal(teacher_width)
    y = np.maximum(X @ weights.T + bias, 0.0) @ output + noise * rng.standard_normal(n_samples)
    y = (y - y.mean()) / y.std()
    return _problem(f"synthetic ({n_samples}, {n_features}, {n_gates})", X, y, n_gates, beta)


def make_real(name, n_gates, *, beta=None, beta_scale=1.0, loss="squared"):
    """``load_diabetes`` (standardized target) or ``load_breast_cancer`` (labels mapped to :math:`\\pm1`).

    ``beta_scale`` multiplies :math:`\\beta` (default :func:`beta_for`) and, when not 1, is named in the
    problem's name. ``loss="logistic"`` classifies: breast cancer's labels, and for diabetes whether
    the target is above its median (:math:`\\pm1`); the loss is named in the problem's name.

    Raises
    ------
    ValueError
        If ``name`` is not ``"diabetes"`` or ``"breast_cancer"``, or ``loss`` is not ``"squared"`` or
        ``"logistic"``.
    """
    if loss not in ("squared", "logistic"):
        raise ValueError(f"loss must be 'squared' or 'logistic', got {loss!r}.")
    if name == "diabetes":
        X, y = load_diabetes(return_X_y=True)
        y = (y - y.mean()) / y.std() if loss == "squared" else np.where(y > np.median(y), 1.0, -1.0)
    elif name == "breast_cancer":
        X, y = load_breast_cancer(return_X_y=True)
        y = np.where(y == 1, 1.0, -1.0)
    else:
        raise ValueError(f"name must be 'diabetes' or 'breast_cancer', got {name!r}.")
    n, d = X.shape
    beta = float(beta_scale) * (beta_for(n) if beta is None else float(beta))
    label = (f"{name} ({n}, {d}, {n_gates})" + (f", beta x {beta_scale:g}" if beta_scale != 1.0 else "")
             + (", logistic loss" if loss == "logistic" else ""))
    return _problem(label, X, y, n_gates, beta, loss)


def benchmark_problems(sizes="small"):
    """The problems of a run: ``"small"`` (the first synthetic size and both real data sets), ``"all"``,
    ``"weak"`` (both real data sets at each of :data:`WEAK_SCALES` times their :math:`\\beta`) or
    ``"logistic"`` (both real data sets' labels with the logistic loss, at :data:`LOGISTIC_SCALES` times
    their :math:`\\beta`).

    Returns
    -------
    list of BenchmarkProblem
    """
    if sizes not in ("small", "all", "weak", "logistic"):
        raise ValueError(f"sizes must be 'small', 'all', 'weak' or 'logistic', got {sizes!r}.")
    if sizes == "weak":
        return [make_real(name, n_gates, beta_scale=scale)
                for scale in WEAK_SCALES for name, n_gates in REAL_DATASETS]
    if sizes == "logistic":
        return [make_real(name, n_gates, beta_scale=scale, loss="logistic")
                for scale in LOGISTIC_SCALES for name, n_gates in REAL_DATASETS]
    problems = [make_synthetic(*size) for size in SMALL_SIZES]
    problems += [make_real(name, n_gates) for name, n_gates in REAL_DATASETS]
    if sizes == "all":  # the long ones last, so that partial results are the useful ones
        problems += [make_synthetic(*size) for size in SYNTHETIC_SIZES if size not in SMALL_SIZES]
    return problems


def iteration_time(problem, repeats=50):
    r"""Fastest time (s) of one float64 product :math:`\tilde X^\top(D\odot(\tilde XW))`, :math:`W\in\mathbb R^{(d+1)\times P}`.

    The unit of "iteration equivalents": a first-order pass over the data and all patterns. The
    minimum over ``repeats`` runs, not the median: on a shared machine the median of this short
    product was seen 100 times too large during a burst of load.
    """
    X_aug = problem.X_aug
    masks = problem.arrangement.masks.astype(np.float64)
    W = np.random.default_rng(0).standard_normal((X_aug.shape[1], masks.shape[1]))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        X_aug.T @ (masks * (X_aug @ W))
        times.append(time.perf_counter() - start)
    return float(np.min(times))
