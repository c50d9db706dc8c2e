r"""Training runs chosen by the stationary point they stop at (THEORY.md §F).

Where L-BFGS stops depends on the rounding of the machine (it amplifies differences in the last bit
over hundreds of iterations), so a lesson that needs "a run that stops at a spurious stationary point"
cannot name a seed: it takes the first seed whose run has the property. This module holds that rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..arrangements import add_intercept
from ..convex.program import ConvexProgram
from ..network import check_beta
from .certificate import Certificate, dual_certificate, resolve_patterns
from .stationary import StationarityReport, stationarity

__all__ = ["SpuriousRun", "first_spurious_run"]


@dataclass(frozen=True)
class SpuriousRun:
    """A training run that stops at a spurious stationary point (:func:`first_spurious_run`).

    Attributes
    ----------
    seed : int
        The ``random_state`` of its ``fit_mlp`` run.
    fit : NonconvexFit
        The run (network, objective, iterations).
    report : StationarityReport
        ``stationarity`` of the network over all patterns: ``"spurious"``.
    certificate : Certificate
        ``dual_certificate`` of the network itself (not polished): :math:`V/\\beta>1` proves that it is not
        a global minimum.
    optimum : float
        :math:`p^{\\rm c}`, the optimum of the convex program over all patterns.
    """

    seed: int
    fit: object = field(repr=False)
    report: StationarityReport = field(repr=False)
    certificate: Certificate = field(repr=False)
    optimum: float


def first_spurious_run(X, y, beta, width=2, *, patterns="exact", seeds=range(50), margin=1e-2):
    r"""The first ``fit_mlp`` run, over ``seeds``, that stops at a spurious stationary point other than the zero network.

    The run of seed ``s`` is :func:`~sklearn_convexnn.nonconvex.fit_mlp` ``(X, y, beta, width,
    random_state=s)`` (L-BFGS, penalized bias). It is kept when

    * :func:`~sklearn_convexnn.landscape.stationarity` classifies it as ``"spurious"``;
    * its objective equals the optimum :math:`p^{\rm sub}` of its own sub-sampled program to a relative
      :math:`10^{-6}` (stationary as it is, not only after polishing);
    * the Fenchel–Young gap of its dual certificate is below :math:`10^{-3}`;
    * :math:`p^{\rm c}+\text{margin}<F_m(\theta)<\tfrac12\|y\|^2-\text{margin}`: away from the optimum and
      from the zero network (a spurious stationary point too).

    Parameters
    ----------
    X : array-like of shape (n, d)
        Raw data (a ones column is appended for the bias).
    y : array-like of shape (n,)
    beta : float > 0
    width : int, default=2
    patterns : "exact" or Arrangement, default="exact"
        All activation patterns of :math:`[X,\mathbf 1]` (pass them when already enumerated).
    seeds : iterable of int, default=range(50)
    margin : float, default=1e-2

    Returns
    -------
    SpuriousRun

    Raises
    ------
    RuntimeError
        When no seed gives such a run.
    """
    from ..nonconvex import fit_mlp

    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    beta = check_beta(beta)
    X_aug = add_intercept(X)
    arrangement = resolve_patterns(X_aug, patterns, require_exhaustive=True)
    optimum = ConvexProgram(X_aug, y, beta, arrangement).solve().objective
    zero_network = 0.5 * float(y @ y)
    for seed in seeds:
        fit = fit_mlp(X, y, beta, width, random_state=seed)
        report = stationarity(fit.network, X, y, beta, patterns=arrangement)
        if report.classification != "spurious":
            continue
        certificate = dual_certificate(fit.network, X, y, beta, patterns=arrangement)
        if (certificate.objective - report.subsampled_optimum <= 1e-6 * certificate.objective
                and abs(certificate.gap) < 1e-3
                and optimum + margin < certificate.objective < zero_network - margin):
            return SpuriousRun(int(seed), fit, report, certificate, optimum)
    raise RuntimeError(f"no seed in {seeds!r} gives a width-{width} run that stops at a spurious stationary "
                       f"point at least {margin} away from the optimum and from the zero network.")
