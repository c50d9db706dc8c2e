"""Tests of sklearn_convexnn.landscape.optimal_set: facts of THEORY.md §D and §H.3.

Every objective is computed by ``ReLUNetwork.objective`` on networks built from the optimal set,
never by the code that built them.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from sklearn_convexnn.arrangements import add_intercept, enumerate_patterns, sample_patterns
from sklearn_convexnn.convex.dual import dual_constraint
from sklearn_convexnn.convex.program import ConvexProgram
from sklearn_convexnn.datasets import example_hb, example_he, make_continuum, make_teaching_1d, make_teaching_2d
from sklearn_convexnn.landscape.optimal_set import OptimalSet, optimal_set
from sklearn_convexnn.landscape.staircase import critical_widths
from sklearn_convexnn.network import ReLUNetwork

RTOL = 1e-7


def relative_error(value, reference):
    return abs(value - reference) / max(1.0, abs(reference))


def assert_optimal(network, data, optimum):
    objective = network.objective(data.X, data.y, data.beta)
    assert relative_error(objective, optimum) <= RTOL, (objective, optimum)


@pytest.fixture(scope="module")
def hb():
    data = example_hb(1.0)
    return data, optimal_set(data.X, data.y, data.beta)


@pytest.fixture(scope="module")
def he():
    data = example_he()
    return data, optimal_set(data.X, data.y, data.beta)


@pytest.fixture(scope="module")
def continuum():
    data = make_continuum(4)
    return data, optimal_set(data.X, data.y, data.beta)


# ------------------------------------------------------------------------- known examples
@pytest.mark.parametrize("beta", [0.2, 0.5, 1.0, 2.0, 2.9])
def test_hb_closed_form(beta):
    """H-b: y* = (1.5 - beta/2)(1, 1), nu* = beta/2 (1, 1), p^c = 1.5 beta - beta^2/4, m* = 1, M* = 2."""
    data = example_hb(beta)
    S = optimal_set(data.X, data.y, beta)
    level = 1.5 - beta / 2
    np.testing.assert_allclose(S.fit, [level, level], rtol=1e-10)
    np.testing.assert_allclose(S.dual, [beta / 2, beta / 2], rtol=1e-10)
    assert relative_error(S.objective, 1.5 * beta - beta**2 / 4) <= 1e-10
    assert (S.min_width, S.max_width) == (1, 2)
    assert not S.is_unique and S.dimension == 1
    # vertices: {u0} with c0 = level, {u1, u2} with c1 = c2 = level / 2
    vertices = sorted((tuple(np.round(np.sort(v[v > 0]), 10)) for v in S.vertices()), key=len)
    assert vertices == [(round(level, 10),), (round(level / 2, 10),) * 2]
    for vertex in S.vertices():
        assert_optimal(S.network(vertex), data, 1.5 * beta - beta**2 / 4)


def test_hb_directions_are_the_three_of_theory(hb):
    """H-a/H-b directions: u0 = (0, 1), u1 = (-sqrt3/2, 1/2), u2 = (sqrt3/2, 1/2), all with sign +1."""
    _, S = hb
    expected = np.array([[0.0, 1.0], [-np.sqrt(3) / 2, 0.5], [np.sqrt(3) / 2, 0.5]])
    assert S.n_directions == 3 and np.all(S.signs == 1)
    for u in expected:
        assert np.min(np.linalg.norm(S.directions - u, axis=1)) < 1e-10
    # columns (1,1), (2,0), (0,2) (scaled to unit directions: (X u)_+)
    columns = {tuple(np.round(column, 10)) for column in S.columns.T}
    assert columns == {(1.0, 1.0), (2.0, 0.0), (0.0, 2.0)}


def test_he_segment(he):
    """H-e: p^c = 7.5, a segment from {all-active, c=2} to {three pairs, c=2/3}; predictions differ off the data."""
    data, S = he
    assert relative_error(S.objective, 7.5) <= 1e-10
    assert (S.min_width, S.max_width, S.dimension, S.is_unique) == (1, 3, 1, False)
    vertices = sorted(S.vertices(), key=np.count_nonzero)
    assert len(vertices) == 2
    np.testing.assert_allclose(np.sort(vertices[0][vertices[0] > 0]), [2.0], rtol=1e-10)
    np.testing.assert_allclose(np.sort(vertices[1][vertices[1] > 0]), [2 / 3] * 3, rtol=1e-10)
    centre = np.zeros((1, 2))
    predictions = [S.network(v).predict(centre)[0] for v in vertices]
    np.testing.assert_allclose(predictions, [2.0, 4 / 3], rtol=1e-10)
    for vertex in vertices:
        assert_optimal(S.network(vertex), data, 7.5)
        np.testing.assert_allclose(S.network(vertex).predict(data.X), S.fit, atol=1e-12)


def test_continuum_recovers_the_constructed_dual(continuum):
    """make_continuum(4): nu* is the constructed nu = 1 and the polytope is 2-dimensional."""
    data, S = continuum
    np.testing.assert_allclose(S.dual, np.ones(4), atol=1e-12)
    assert S.n_directions == 5 and S.polytope.rank == 3
    assert S.dimension == 2 and not S.is_unique
    assert (S.min_width, S.max_width) == (1, 2)
    # every coefficient vector c' >= 0 with A c' = y* is optimal: the constructed c = 1/2 is one
    assert S.polytope.contains(np.full(5, 0.5))
    assert_optimal(S.network(np.full(5, 0.5)), data, S.objective)


def test_objective_is_the_convex_optimum(hb, he, continuum):
    """p^c equals the optimum of (C) solved independently by cvxpy, and the certified gap is ~0."""
    for data, S in (hb, he, continuum):
        X_aug = add_intercept(data.X)
        solution = ConvexProgram(X_aug, data.y, data.beta, enumerate_patterns(X_aug)).solve("cvxpy")
        assert relative_error(S.objective, solution.objective) <= 1e-7
        assert S.duality_gap <= 1e-9 * max(1.0, S.objective)
        assert S.dual_violation <= 1e-9


# ------------------------------------------------------------------------- optimality of everything built
@pytest.mark.parametrize("name", ["hb", "he", "continuum", "teaching_1d"])
def test_vertices_and_random_networks_are_optimal(name, hb, he, continuum):
    """Every vertex, the min-norm point and every random_network of every width >= m* reach p^c."""
    if name == "teaching_1d":
        data = make_teaching_1d(8, random_state=0)
        S = optimal_set(data.X, data.y, data.beta)
    else:
        data, S = {"hb": hb, "he": he, "continuum": continuum}[name]
    optimum = S.objective
    for vertex in S.vertices():
        assert S.polytope.contains(vertex)
        assert_optimal(S.network(vertex), data, optimum)
        # irreducible: the active columns are independent
        support = np.flatnonzero(vertex)
        assert np.linalg.matrix_rank(S.columns[:, support]) == support.size
    assert_optimal(S.network(S.min_norm_coefficients), data, optimum)
    for width in range(S.min_width, S.min_width + 4):
        for seed in range(4):
            network = S.random_network(width, random_state=seed)
            assert network.width == width
            assert_optimal(network, data, optimum)
            np.testing.assert_allclose(network.predict(data.X), S.fit, atol=1e-9)


def test_random_network_accepts_generators(continuum):
    data, S = continuum
    network = S.random_network(3, random_state=np.random.default_rng(5))
    assert_optimal(network, data, S.objective)
    # same seed, same network
    again = S.random_network(3, random_state=7).to_vector()
    np.testing.assert_array_equal(S.random_network(3, random_state=7).to_vector(), again)


def test_min_norm_is_the_smallest_point(continuum):
    """argmin ||c|| over C: no vertex and no random point of C has a smaller norm."""
    _, S = continuum
    c_star = S.min_norm_coefficients
    assert S.polytope.contains(c_star)
    rng = np.random.default_rng(0)
    vertices = S.vertices()
    for _ in range(200):
        point = rng.dirichlet(np.ones(len(vertices))) @ vertices
        assert np.linalg.norm(c_star) <= np.linalg.norm(point) + 1e-12
    # first-order condition: c* is orthogonal to every feasible direction inside C through it
    for vertex in vertices:
        assert c_star @ (vertex - c_star) >= -1e-9


def test_coefficient_sum_is_constant_on_the_polytope(continuum):
    """1'c = <nu*, y*>/beta at every vertex (so l1 selection is useless)."""
    data, S = continuum
    expected = S.dual @ S.fit / data.beta
    for vertex in S.vertices():
        assert abs(vertex.sum() - expected) <= 1e-10 * expected
    assert abs(S.polytope.coefficient_sum - expected) <= 1e-10 * expected


def test_milp_and_lp_agree_with_vertices(he, continuum):
    """m* by MILP equals the smallest vertex support; J by p LPs equals the union of vertex supports."""
    for _, S in (he, continuum):
        milp_point = S.polytope.minimum_support_point()
        assert S.polytope.contains(milp_point)
        assert np.count_nonzero(milp_point) == S.min_width
        used = S.polytope.maximal_coordinates() > 1e-9
        union = np.any(S.vertices() > 0, axis=0)
        np.testing.assert_array_equal(used, union)


def test_min_width_without_vertex_enumeration(continuum):
    """With vertex enumeration refused, m* comes from the MILP and random networks still are optimal."""
    data, _ = continuum
    S = optimal_set(data.X, data.y, data.beta, max_vertex_subsets=0)
    assert S.min_width == 1
    with pytest.raises(ValueError, match="supports"):
        S.vertices()
    for seed in range(3):
        assert_optimal(S.random_network(2, random_state=seed), data, S.objective)


@pytest.mark.parametrize("seed", range(4))
def test_generic_data_have_a_unique_optimum(seed):
    """Random data: the optimal set is a single point, m* = M* = its support."""
    rng = np.random.default_rng(seed)
    d = 1 + seed % 2
    X = rng.standard_normal((7, d))
    y = rng.standard_normal(7)
    S = optimal_set(X, y, 0.1)
    assert S.is_unique and S.dimension == 0
    assert S.min_width == S.max_width == np.count_nonzero(S.coefficients)
    assert len(S.vertices()) == 1


def test_no_intercept_and_logistic():
    """fit_intercept=False and the logistic loss: vertices optimal, nu* = y sigma(-y y*)."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((6, 2))
    y = np.sign(X[:, 0] * X[:, 1] + 0.1)
    S = optimal_set(X, y, 0.05, fit_intercept=False, loss="logistic")
    assert S.directions.shape[1] == 2
    np.testing.assert_allclose(S.dual, y / (1 + np.exp(y * S.fit)), atol=1e-12)
    for vertex in S.vertices():
        network = S.network(vertex)
        assert network.hidden_bias is None
        assert relative_error(network.objective(X, y, 0.05, loss="logistic"), S.objective) <= RTOL


def test_zero_solution_above_beta_max():
    """beta >= beta_max = 3 on H-b data: the zero network is the only optimum, m* = M* = 0."""
    data = example_hb(1.0)
    for beta in (3.0, 5.0):
        S = optimal_set(data.X, data.y, beta)
        assert S.is_zero and S.is_unique
        assert (S.min_width, S.max_width) == (0, 0)
        np.testing.assert_array_equal(S.fit, 0.0)
        assert relative_error(S.objective, 0.5 * np.sum(data.y**2)) <= 1e-12
        network = S.random_network(3, random_state=0)
        assert network.width == 3 and not np.any(network.to_vector())
        assert relative_error(network.objective(data.X, data.y, beta), S.objective) <= 1e-12
    # just below beta_max the optimum is a tiny non-zero network
    S = optimal_set(data.X, data.y, 2.99)
    assert not S.is_zero and (S.min_width, S.max_width) == (1, 2)


# ------------------------------------------------------------------------- property test
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(2, 6),
    d=st.integers(1, 2),
    seed=st.integers(0, 10_000),
    beta_fraction=st.floats(0.05, 0.9),
)
def test_property_widths_and_vertices(n, d, seed, beta_fraction):
    """m* <= M* <= rank A <= n and every vertex is an optimal network, on random small data."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    beta = beta_fraction * 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        S = optimal_set(X, y, beta)
    assert S.min_width <= S.max_width <= S.polytope.rank <= n
    for vertex in S.vertices():
        objective = S.network(vertex).objective(X, y, beta)
        assert relative_error(objective, S.objective) <= RTOL
    network = S.random_network(S.max_width + 1, random_state=seed)
    assert relative_error(network.objective(X, y, beta), S.objective) <= RTOL


# ------------------------------------------------------------------------- bad input
def test_bad_input_is_refused(hb):
    data, S = hb
    with pytest.raises(ValueError, match="beta"):
        optimal_set(data.X, data.y, 0.0)
    with pytest.raises(ValueError, match="beta"):
        optimal_set(data.X, data.y, -1.0)
    sampled = sample_patterns(data.X, 20, fit_intercept=True, random_state=0)
    with pytest.raises(ValueError, match="patterns must be exhaustive"):
        optimal_set(data.X, data.y, data.beta, patterns=sampled)
    with pytest.raises(ValueError, match="patterns"):
        optimal_set(data.X, data.y, data.beta, patterns="sample")
    with pytest.raises(ValueError, match="samples"):
        optimal_set(data.X, data.y[:1], data.beta)
    with pytest.raises(ValueError, match="tol"):
        optimal_set(data.X, data.y, data.beta, tol=0)
    with pytest.raises(ValueError, match=r"width=0 .*m\*=1"):
        S.random_network(0)
    with pytest.raises(TypeError, match="width"):
        S.random_network(1.5)
    with pytest.raises(ValueError, match="coefficients"):
        S.network(np.ones(2))
    with pytest.raises(ValueError, match="non-negative"):
        S.network(np.array([1.0, -1.0, 0.0]))


def test_exhaustive_arrangement_is_accepted(hb):
    data, S = hb
    arrangement = enumerate_patterns(data.X, fit_intercept=True)
    again = optimal_set(data.X, data.y, data.beta, patterns=arrangement)
    assert isinstance(again, OptimalSet)
    assert relative_error(again.objective, S.objective) <= 1e-12


def test_network_matches_the_forward_map(hb):
    """network(c) has neurons sqrt(c_j) u_j, s_j sqrt(c_j): balanced, fit = A c."""
    data, S = hb
    c = S.min_norm_coefficients
    network = S.network(c, width=5)
    assert network.width == 5
    first, second = network.neuron_norms()
    np.testing.assert_allclose(first, second, atol=1e-14)
    np.testing.assert_allclose(network.predict(data.X), S.columns @ c, atol=1e-12)
    assert isinstance(network, ReLUNetwork) and network.hidden_bias is not None
    np.testing.assert_allclose(np.sort(first)[::-1][:3], np.sqrt(np.sort(c)[::-1]), rtol=1e-12)
    np.testing.assert_array_equal(first[3:], 0.0)


# ------------------------------------------------------------------------------ awkward data
def test_logistic_loss_with_tiny_beta_has_no_overflow():
    """Separable labels and beta = 1e-9: the fit grows large; the curvature sigma(m)sigma(-m) is taken
    without exp overflow, and the result is certified or flagged."""
    X = np.array([[0.0, 1e4], [3e4, 0.0], [0.0, 1e4], [0.0, -3e4], [2e4, -2e4]])
    y = np.array([1.0, -1.0, 1.0, 1.0, 1.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        S = optimal_set(X, y, 1e-9, loss="logistic")
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert np.isfinite(S.objective) and np.isfinite(S.duality_gap)


def test_linear_programs_on_tiny_columns():
    """A column of size 1e-10 and coefficients of 1e14: the LPs see a system scaled to order one
    (HiGHS drops matrix entries below 1e-9 and called the LP unbounded)."""
    S = optimal_set(np.array([[1e-10]]), np.array([9452.74106888]), 1e-11, fit_intercept=False)
    assert S.min_width == S.max_width == 1 and S.dimension == 0


def test_reported_violation_is_that_of_the_reported_fit():
    """y of 3e8 with beta = 7: the fit A c rebuilt from the tight directions is off by ~10 from the
    refined fit; V is reported at the dual vector of A c, so the inexact result is flagged."""
    X = np.array([[1.0, 1.0, 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    y = np.array([-3e8, 0.0, 3e8])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        S = optimal_set(X, y, 7.018175589113035, fit_intercept=False)
    violation = dual_constraint(S.dual, X, S.arrangement.masks).max_value
    assert S.dual_violation == pytest.approx(violation / S.beta - 1.0, rel=1e-12)
    if S.dual_violation > S.tol:
        assert any(issubclass(w.category, ConvergenceWarning) for w in caught)


@pytest.mark.parametrize("c", [1e-6, 1e-60, 1e60])
def test_the_optimal_set_does_not_depend_on_the_units_of_y(he, c):
    """(X, c y, c beta) is (X, y, beta) with coefficients times c and objectives times c^2: the same segment, the
    same two vertices (scaled), the same widths (an absolute residual floor of 1 took every support as a vertex
    of a problem in small units of y: 12 vertices of a unique optimal set at c = 1e-60)."""
    data, S = he
    scaled = optimal_set(data.X, c * data.y, c * data.beta)
    assert scaled.objective / c**2 == pytest.approx(S.objective, rel=1e-9)
    assert (scaled.min_width, scaled.max_width, scaled.dimension, scaled.is_unique) == (1, 3, 1, False)
    expected = sorted(S.vertices(), key=np.count_nonzero)
    got = sorted(scaled.vertices(), key=np.count_nonzero)
    assert len(got) == len(expected) == 2
    for vertex, reference in zip(got, expected):
        np.testing.assert_allclose(vertex / c, reference, rtol=1e-8, atol=1e-12)
    widths = critical_widths(scaled)
    assert (widths.m_star, widths.M_star) == (critical_widths(S).m_star, critical_widths(S).M_star)
    unique = make_teaching_1d(8)
    reference = optimal_set(unique.X, unique.y, unique.beta)
    small = optimal_set(unique.X, c * unique.y, c * unique.beta)
    assert reference.is_unique and small.is_unique
    assert len(small.vertices()) == len(reference.vertices()) == 1
    assert critical_widths(small).m_star == critical_widths(reference).m_star
