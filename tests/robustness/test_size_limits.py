"""Exact enumerations estimate their cost first and refuse at once, naming the count and the way out.

Exact pattern enumeration is bounded by :math:`2\\sum_{k<r}\\binom{q-1}{k}` regions (THEORY §B) and
vertex enumeration by the number of supports :math:`\\sum_{k\\le\\operatorname{rank}A}\\binom pk` to check
(THEORY §D step 6). Both refuse before doing the work when the estimate is above their limit; the
estimators' ``patterns="auto"`` grows sampled patterns adaptively instead.
"""

import math
import re
import time

import numpy as np
import pytest

from sklearn_convexnn import (ConvexProgram, ConvexReLURegressor, critical_widths, enumerate_patterns, optimal_set,
                              sample_patterns)
from sklearn_convexnn.arrangements import add_intercept, count_patterns_bound
from sklearn_convexnn.datasets import make_continuum
from sklearn_convexnn.estimators import AUTO_EXACT_LIMIT
from sklearn_convexnn.landscape.optimal_set import OptimalPolytope

RNG = np.random.default_rng(11)
BIG_X = RNG.standard_normal((2000, 10))
BIG_Y = np.abs(BIG_X[:, 0]) - BIG_X[:, 1]


def refusal(call):
    """Run ``call``, expecting a ValueError; return its message and the seconds it took."""
    start = time.perf_counter()
    with pytest.raises(ValueError) as caught:
        call()
    return str(caught.value), time.perf_counter() - start


def estimated_count(message):
    return int(re.search(r"produce (?:at least )?(\d+) patterns", message).group(1))


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_exact_enumeration_of_large_data_is_refused_at_once(fit_intercept, tally):
    message, seconds = refusal(lambda: enumerate_patterns(BIG_X, fit_intercept=fit_intercept))
    assert seconds < 1.0
    assert estimated_count(message) > 20000
    assert "max_patterns=20000" in message and "sample_patterns(X, n_patterns=...)" in message
    tally.record("size limits", "refused")


def test_the_estimate_is_the_region_bound_when_it_is_computed_in_full(tally):
    X = np.linspace(-1.0, 1.0, 20001)[:, None]  # 1-D with intercept: rank 2, 2n regions
    message, seconds = refusal(lambda: enumerate_patterns(X, fit_intercept=True))
    assert seconds < 1.0
    assert estimated_count(message) == count_patterns_bound(20001, 2) == 40002
    small, _ = refusal(lambda: enumerate_patterns(X[:200], fit_intercept=True, max_patterns=100))
    assert estimated_count(small) == 400 and "max_patterns=100" in small
    assert enumerate_patterns(X[:200], fit_intercept=True, max_patterns=400).n_patterns == 2 * 200 - 1
    tally.record("size limits", "refused")


def test_estimator_with_exact_patterns_refuses_large_data_with_the_same_message(tally):
    message, seconds = refusal(lambda: ConvexReLURegressor(patterns="exact").fit(BIG_X, BIG_Y))
    assert seconds < 1.0
    assert estimated_count(message) > 20000 and 'patterns="sample"' in message
    tally.record("size limits", "refused")


def test_auto_patterns_fall_back_to_adaptive_patterns_on_large_data(tally):
    assert count_patterns_bound(2000, 11) > AUTO_EXACT_LIMIT
    start = time.perf_counter()
    model = ConvexReLURegressor(patterns="auto", n_patterns=20, random_state=0).fit(BIG_X, BIG_Y)
    seconds = time.perf_counter() - start
    assert seconds < 30.0, f"patterns='auto' took {seconds:.1f} s on (2000, 10) data"
    assert not model.arrangement_.exhaustive and model.arrangement_.n_patterns >= 20
    certificate = model.certificate_
    assert certificate is not None and not certificate.exhaustive and certificate.n_directions_tried > 0
    assert certificate.max_violation >= 0 and certificate.beta == 1.0
    # never above the program over the sampled patterns it starts from (the same 20 gates)
    X_aug = add_intercept(BIG_X)
    sampled = ConvexProgram(X_aug, BIG_Y, 1.0, sample_patterns(X_aug, 20, random_state=np.random.RandomState(0)))
    assert model.objective_ <= sampled.solve("cg", tol=1e-6).objective
    small = ConvexReLURegressor(patterns="auto").fit(BIG_X[:12, :1], BIG_Y[:12])
    assert small.arrangement_.exhaustive and small.certificate_.exhaustive  # 1-D with intercept: 24 regions
    tally.record("size limits", "correct")


def test_vertex_enumeration_estimates_its_supports_and_refuses(tally):
    columns = RNG.standard_normal((12, 60))
    polytope = OptimalPolytope(columns, columns @ np.full(60, 0.1), 6.0)
    count = polytope.n_vertex_subsets()
    assert count == sum(math.comb(60, k) for k in range(1, 13))
    message, seconds = refusal(polytope.vertices)
    assert seconds < 0.5
    assert f"checking {count} supports" in message and "min_width" in message and "pycddlib" in message
    tally.record("size limits", "refused")


def test_an_optimal_set_over_its_vertex_limit_still_gives_m_star_by_milp(tally):
    data = make_continuum()
    full = optimal_set(data.X, data.y, data.beta)
    limited = optimal_set(data.X, data.y, data.beta, max_vertex_subsets=10)
    assert full.polytope.n_vertex_subsets() == 25
    message, seconds = refusal(limited.vertices)
    assert seconds < 0.1 and "25 supports" in message and "max_subsets=10" in message
    assert limited.min_width == full.min_width == 1  # the MILP of THEORY §D step 7
    for call in (lambda: limited.max_width, lambda: critical_widths(limited)):
        message, _ = refusal(call)
        assert "max_subsets=10" in message
    assert critical_widths(full) == (1, 2, 5)
    network = limited.random_network(3, random_state=0)  # random optimal networks need no vertices
    assert network.objective(data.X, data.y, data.beta) == pytest.approx(full.objective, rel=1e-8)
    tally.record("size limits", "refused")
