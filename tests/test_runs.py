"""Tests of sklearn_convexnn.landscape.runs: the run a lesson needs, chosen by its stationary point (THEORY §F)."""

import numpy as np
import pytest

from sklearn_convexnn.arrangements import add_intercept, enumerate_patterns
from sklearn_convexnn.datasets import make_teaching_1d
from sklearn_convexnn.landscape import SpuriousRun, dual_certificate, first_spurious_run, optimal_set, stationarity
from sklearn_convexnn.nonconvex import fit_mlp

DATA = make_teaching_1d(8, random_state=0, beta=0.1)  # the data of lectures 2 and 4


def kept(X, y, beta, seed, arrangement, optimum, margin):
    """The rule, written out independently of the module: spurious, stationary as trained, tight, in between."""
    network = fit_mlp(X, y, beta, 2, random_state=seed).network
    report = stationarity(network, X, y, beta, patterns=arrangement)
    certificate = dual_certificate(network, X, y, beta)
    F = network.objective(X, y, beta)
    return (report.classification == "spurious" and F - report.subsampled_optimum <= 1e-6 * F
            and abs(certificate.gap) < 1e-3 and optimum + margin < F < 0.5 * y @ y - margin)


def test_the_first_run_that_stops_at_a_spurious_stationary_point_away_from_the_optimum_and_from_zero():
    X, y, beta = DATA.X, DATA.y, DATA.beta
    arrangement = enumerate_patterns(add_intercept(X))
    run = first_spurious_run(X, y, beta, 2, patterns=arrangement)
    assert isinstance(run, SpuriousRun)
    p_c = optimal_set(X, y, beta, patterns=arrangement).objective
    assert run.optimum == pytest.approx(p_c, rel=1e-7)
    F = run.fit.network.objective(X, y, beta)
    assert F == pytest.approx(run.fit.objective, rel=1e-12) == pytest.approx(run.certificate.objective, rel=1e-12)
    # spurious: optimal for its own patterns, refuted by the dual over all patterns
    assert run.report.classification == "spurious" and run.report.is_stationary
    assert F - run.report.subsampled_optimum <= 1e-6 * F
    assert run.certificate.proves_non_optimality and run.certificate.relative_violation > 1.05
    assert p_c + 1e-2 < F < 0.5 * y @ y - 1e-2
    # the first such seed: every earlier one fails the rule (written out again here)
    assert kept(X, y, beta, run.seed, arrangement, p_c, 1e-2)
    assert not any(kept(X, y, beta, seed, arrangement, p_c, 1e-2) for seed in range(run.seed))


def test_no_seed_gives_such_a_run():
    X, y, beta = DATA.X, DATA.y, DATA.beta
    with pytest.raises(RuntimeError, match="no seed"):
        first_spurious_run(X, y, beta, 2, seeds=range(3), margin=0.5 * float(y @ y))  # nothing lies in between
    with pytest.raises(ValueError, match="patterns"):
        first_spurious_run(X, y, beta, 2, patterns="sample")  # a spurious point is only proven over all patterns
    with pytest.raises(ValueError, match="beta"):
        first_spurious_run(X, y, -1.0)
