"""Tests of sklearn_convexnn.landscape.staircase: the staircase of connectivity (THEORY.md §E).

Each regime is demonstrated numerically on H-b (m* = 1, M* = 2, n = 2) and on continuum data
(make_continuum(4): m* = 1, M* = 2, n = 4); every objective is ``ReLUNetwork.objective``.
"""

import numpy as np
import pytest

from sklearn_convexnn.datasets import example_hb, example_he, make_continuum
from sklearn_convexnn.landscape.optimal_set import optimal_set
from sklearn_convexnn.landscape.staircase import (
    CriticalWidths,
    connecting_path,
    critical_widths,
    permutation_distance,
    polytope_path,
    split_path,
    staircase_regime,
)
from sklearn_convexnn.network import ReLUNetwork

RTOL = 1e-7


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


def assert_constant_optimal(path, data, optimum):
    objectives = path.objectives(data.X, data.y, data.beta)
    assert np.max(np.abs(objectives - optimum)) <= RTOL * max(1.0, optimum), objectives


def vertex_networks(S, size):
    return [S.network(v) for v in S.vertices() if np.count_nonzero(v) == size]


# ------------------------------------------------------------------------- widths and table
def test_critical_widths(hb, he, continuum):
    assert critical_widths(hb[1]) == (1, 2, 3)
    m_star, M_star, n_plus_1 = critical_widths(he[1])
    assert (m_star, M_star, n_plus_1) == (1, 3, 4)
    widths = critical_widths(continuum[1])
    assert isinstance(widths, CriticalWidths) and widths == (1, 2, 5)
    assert widths.connected_from == 3


def test_staircase_table_hb(hb):
    """H-b: m=1 finite; m=2 a curve and isolated points, not connected; m=3 connected, nothing isolated."""
    _, S = hb
    regimes = [staircase_regime(S, m) for m in range(5)]
    assert not regimes[0].optimal
    flags = [(r.finite, r.nontrivial_component, r.isolated_point_exists, r.no_isolated_point, r.connected)
             for r in regimes[1:]]
    assert flags == [
        (True, False, True, False, False),
        (False, True, True, False, False),
        (False, True, False, True, True),
        (False, True, False, True, True),
    ]
    assert all(r.description for r in regimes)
    assert "connected" in " ".join(regimes[3].description)


def test_staircase_table_he(he):
    """H-e (vertex supports 1 and 3): no isolated optimum at m=2, one at m=M*=3, connected from m=4."""
    _, S = he
    assert staircase_regime(S, 2).no_isolated_point
    assert staircase_regime(S, 3).isolated_point_exists
    assert not staircase_regime(S, 3).connected and staircase_regime(S, 4).connected


# ------------------------------------------------------------------------- m = m*: finite
@pytest.mark.parametrize("name", ["hb", "continuum"])
def test_finitely_many_optima_at_m_star(name, hb, continuum):
    """At m = m* every random optimal network is a minimum-support vertex network up to permutation."""
    data, S = {"hb": hb, "continuum": continuum}[name]
    m_star = S.min_width
    finite = vertex_networks(S, m_star)
    assert finite
    for seed in range(25):
        network = S.random_network(m_star, random_state=seed)
        assert abs(network.objective(data.X, data.y, data.beta) - S.objective) <= RTOL * S.objective
        assert min(permutation_distance(network, other) for other in finite) <= 1e-10


# ------------------------------------------------------------------------- m >= m*+1: a curve
@pytest.mark.parametrize("name", ["hb", "continuum"])
def test_split_gives_a_curve_of_optima(name, hb, continuum):
    """At m = m*+1, splitting a neuron over the free slot joins two distinct optima at constant objective."""
    data, S = {"hb": hb, "continuum": continuum}[name]
    start = vertex_networks(S, S.min_width)[0].padded(S.min_width + 1)
    path = split_path(start, 0, S.min_width, n_points=30, angle=np.pi / 4)
    assert_constant_optimal(path, data, S.objective)
    assert permutation_distance(path.networks[0], path.networks[-1]) > 0.1
    assert path.max_step < 0.1


def test_polytope_segment_is_constant(continuum):
    """B7: the segment between two vertices of C is a path of optimal networks."""
    data, S = continuum
    vertices = S.vertices()
    path = polytope_path(S, vertices[0], vertices[-1], width=4, n_points=25)
    assert path.width == 4
    assert_constant_optimal(path, data, S.objective)
    assert permutation_distance(path.networks[0], S.network(vertices[0], width=4)) <= 1e-12


# ------------------------------------------------------------------------- m = M*: an isolated point
@pytest.mark.parametrize("name", ["hb", "continuum"])
def test_isolated_optimum_at_M_star(name, hb, continuum):
    """At m = M*, the network of a maximum-support vertex is isolated: optima are at distance 0 or far."""
    data, S = {"hb": hb, "continuum": continuum}[name]
    M_star = S.max_width
    isolated = vertex_networks(S, M_star)[0]
    distances = []
    for seed in range(150):
        network = S.random_network(M_star, random_state=seed)
        assert abs(network.objective(data.X, data.y, data.beta) - S.objective) <= RTOL * S.objective
        distances.append(permutation_distance(network, isolated))
    distances = np.array(distances)
    near = distances <= 1e-9
    assert near.any() and (~near).any()  # the point itself is sampled, and so are other optima
    assert distances[~near].min() > 0.1  # nothing in between: a gap around the isolated point


def test_no_path_leaves_the_isolated_point_at_M_star(hb):
    """H-b at m = 2 < min(m*+M*, n+1) = 3: connecting_path refuses and names the width needed."""
    _, S = hb
    isolated = vertex_networks(S, 2)[0]
    other = S.network(S.vertices()[np.argmin([np.count_nonzero(v) for v in S.vertices()])], width=2)
    with pytest.raises(ValueError, match=r"m=2 .* = 3"):
        connecting_path(S, isolated, other)


# ------------------------------------------------------------------------- connected
@pytest.mark.parametrize("name,width,route", [
    ("hb", 3, "vertex"), ("hb", 3, "edges"), ("continuum", 3, "vertex"), ("continuum", 5, "edges"), ("he", 4, "auto"),
])
def test_any_two_optima_are_connected(name, width, route, hb, he, continuum):
    """At m >= min(m*+M*, n+1) two random optimal networks are joined by a path of optimal networks."""
    data, S = {"hb": hb, "he": he, "continuum": continuum}[name]
    for seed in range(4):
        theta0 = S.random_network(width, random_state=seed)
        theta1 = S.random_network(width, random_state=100 + seed)
        path = connecting_path(S, theta0, theta1, n_points=8, route=route)
        assert path.networks[0] is theta0 and path.networks[-1] is theta1
        assert_constant_optimal(path, data, S.objective)
        # continuity: refining every move shrinks the largest step in proportion
        fine = connecting_path(S, theta0, theta1, n_points=32, route=route)
        assert fine.max_step <= 0.35 * path.max_step + 1e-12


def test_connecting_path_refuses_non_optimal_networks(hb):
    data, S = hb
    theta = S.random_network(3, random_state=0)
    perturbed = theta.from_vector(theta.to_vector() + 1e-3)
    with pytest.raises(ValueError, match="theta1 is not an optimal network"):
        connecting_path(S, theta, perturbed)
    with pytest.raises(ValueError, match="same width"):
        connecting_path(S, theta, S.random_network(4, random_state=0))
    with pytest.raises(ValueError, match="route='edges' needs width m >= n \\+ 1 = 5"):
        _, C = data, None
        continuum_data = make_continuum(4)
        C = optimal_set(continuum_data.X, continuum_data.y, continuum_data.beta)
        connecting_path(C, C.random_network(3, random_state=0), C.random_network(3, random_state=1), route="edges")


# ------------------------------------------------------------------------- helpers and errors
def test_split_path_checks_its_slot(hb):
    _, S = hb
    network = S.random_network(2, random_state=3)
    full = ReLUNetwork.from_augmented(np.ones((2, 2)), np.ones(2), True)
    with pytest.raises(ValueError, match="free_slot=1 must index a zero neuron"):
        split_path(full, 0, 1)
    with pytest.raises(ValueError, match="free_slot must differ"):
        split_path(network.padded(3), 2, 2)
    with pytest.raises(ValueError, match="angle"):
        split_path(network.padded(3), 0, 2, angle=2.0)


def test_polytope_path_checks_points_and_width(continuum):
    _, S = continuum
    vertices = sorted(S.vertices(), key=np.count_nonzero)
    with pytest.raises(ValueError, match="c1 is not a point of the optimal polytope"):
        polytope_path(S, vertices[0], 2 * vertices[-1])
    with pytest.raises(ValueError, match="width=1 is too small"):
        polytope_path(S, vertices[0], vertices[-1], width=1)


def test_zero_solution_regime():
    data = example_hb(1.0)
    S = optimal_set(data.X, data.y, 4.0)
    assert critical_widths(S) == (0, 0, 3)
    regime = staircase_regime(S, 2)
    assert regime.optimal and regime.finite and regime.connected and regime.isolated_point_exists
    zero = S.random_network(2, random_state=0)
    path = connecting_path(S, zero, zero)
    assert_constant_optimal(path, data, S.objective)


def test_permutation_distance():
    a = ReLUNetwork(np.array([[1.0], [2.0]]), np.array([1.0, -1.0]), np.array([0.0, 1.0]))
    b = ReLUNetwork(a.hidden_weights[::-1], a.output_weights[::-1], a.hidden_bias[::-1])
    assert permutation_distance(a, b) == 0.0
    c = ReLUNetwork(a.hidden_weights + 0.5, a.output_weights, a.hidden_bias)
    assert permutation_distance(a, c) == pytest.approx(np.sqrt(2 * 0.25))
