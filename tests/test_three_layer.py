"""Parallel three-layer networks with the path penalty (THEORY.md §I.2): each test checks a fact."""

import numpy as np
import pytest

from sklearn_convexnn.arrangements import add_intercept, enumerate_patterns
from sklearn_convexnn.convex.program import ConvexProgram
from sklearn_convexnn.extensions.three_layer import (
    ThreeLayerNetwork,
    ThreeLayerProgram,
    fit_three_layer,
    outer_patterns,
    path_regularized_objective,
)

BETA = 0.05


def _data(n, dim, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, dim))
    y = np.sin(3 * x[:, 0]) + (x[:, 1] if dim == 2 else 0.0)
    return add_intercept(x), y


@pytest.fixture(scope="module", params=[(5, 1), (4, 2)], ids=["1d-n5", "2d-n4"])
def solved(request):
    X, y = _data(*request.param)
    return X, y, ThreeLayerProgram(X, y, BETA).solve()


def test_convex_solution_is_certified(solved):
    _, _, solution = solved
    assert solution.status == "optimal"
    assert solution.relative_gap <= 1e-7  # dual (nu, mu) scaled feasible: a certified lower bound
    assert solution.dual_violation <= BETA * (1 + 1e-6)
    assert solution.constraint_violation <= 1e-8


def test_recovered_network_has_the_convex_objective(solved):
    X, y, solution = solved
    for drop_below in (0.0, 1e-9):
        network = solution.to_network(drop_below=drop_below)
        assert np.allclose(network.predict(X), solution.prediction, atol=1e-7)
        assert network.objective(X, y, BETA) == pytest.approx(solution.objective, rel=1e-6)
    assert np.all(np.abs(network.output_weights) == 1.0)  # alpha = sigma, one branch per (l, sigma)


def test_first_layer_directions_come_from_the_finite_set_fixed_by_the_dual(solved):
    X, _, solution = solved
    directions = solution.first_layer_directions(rtol=1e-6)
    distinct = directions.distinct()
    assert 0 < len(distinct) <= 2 * X.shape[0] ** 2  # a handful, not a continuum
    assert np.allclose(np.linalg.norm(directions.directions, axis=1), 1.0)
    network = solution.to_network()
    units, inner_signs, outer_signs = network.inner_directions(rtol=1e-3)
    assert len(units) > 0
    for unit, inner, outer in zip(units, inner_signs, outer_signs):
        same_signs = (directions.inner_signs == inner) & (directions.outer_signs == outer)
        assert np.min(np.linalg.norm(directions.directions[same_signs] - unit, axis=1)) <= 1e-4
    # each active block points along its own (l, sigma, i, s) direction (KKT)
    norms = np.linalg.norm(solution.z_plus, axis=3)
    for l, s, i in zip(*np.nonzero(norms > 1e-3 * norms.max())):
        match = (directions.outer_pattern == l) & (directions.outer_signs == (1 if s == 0 else -1)) & \
                (directions.inner_pattern == i) & (directions.inner_signs == 1)
        assert match.sum() == 1
        assert np.allclose(directions.directions[match][0], solution.z_plus[l, s, i] / norms[l, s, i], atol=1e-4)


def test_nonconvex_training_never_goes_below_the_convex_optimum(solved):
    X, y, solution = solved
    objectives = [fit_three_layer(X, y, BETA, 3, 3, random_state=seed, max_iter=400).objective for seed in range(12)]
    assert min(objectives) >= solution.lower_bound - 1e-9
    assert min(objectives) >= solution.objective * (1 - 1e-6)


def test_three_layer_optimum_is_at_most_the_two_layer_optimum(solved):
    # a two-layer neuron (w, a) is the branch ((Xw)_+ |a|)_+ sign(a) with the same penalty ||w|| |a|
    X, y, solution = solved
    two_layer = ConvexProgram(X, y, BETA, enumerate_patterns(X), activation="relu").solve()
    assert solution.objective <= two_layer.objective + 1e-8


def test_objective_is_loss_plus_path_penalty_and_rescaling_invariant():
    rng = np.random.default_rng(2)
    first, second, output = rng.normal(size=(3, 2, 3)), rng.normal(size=(3, 2)), rng.normal(size=3)
    network = ThreeLayerNetwork(first, second, output)
    X, y = rng.normal(size=(5, 3)), rng.normal(size=5)
    expected = [sum(output[j] * max(0.0, sum(max(0.0, X[k] @ first[j, i]) * second[j, i] for i in range(2)))
                    for j in range(3)) for k in range(5)]
    prediction = network.predict(X)
    assert prediction == pytest.approx(expected, rel=1e-12)
    penalty = sum(np.linalg.norm(first[j, i]) * abs(second[j, i]) * abs(output[j]) for j in range(3) for i in range(2))
    assert network.objective(X, y, 0.3) == pytest.approx(0.5 * np.sum((prediction - y) ** 2) + 0.3 * penalty)
    assert network.objective(X, y, 0.3) == path_regularized_objective(prediction, y, network.path_penalty(), 0.3)
    # rescaling a path (w, v, alpha) -> (a w, b v, alpha / (a b)) with a, b > 0 changes nothing
    a, b = rng.uniform(0.2, 3.0, size=(3, 2)), rng.uniform(0.2, 3.0, size=3)
    rescaled = ThreeLayerNetwork(first * a[:, :, None], second / a * b[:, None], output / b)
    assert rescaled.objective(X, y, 0.3) == pytest.approx(network.objective(X, y, 0.3), rel=1e-12)


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    network = ThreeLayerNetwork(rng.normal(size=(2, 3, 3)), rng.normal(size=(2, 3)), rng.normal(size=2))
    X, y = add_intercept(rng.normal(size=(6, 2))), rng.normal(size=6)
    gradient = network.gradient(X, y, 0.2).to_vector()
    theta, step = network.to_vector(), 1e-6
    for k in range(theta.size):
        e = np.zeros_like(theta)
        e[k] = step
        numeric = (network.from_vector(theta + e).objective(X, y, 0.2) - network.from_vector(theta - e).objective(X, y, 0.2)) / (2 * step)
        assert numeric == pytest.approx(gradient[k], abs=1e-5)


def test_outer_patterns_are_all_nonempty_subsets():
    patterns = outer_patterns(4)
    assert patterns.shape == (4, 15)
    assert len({tuple(column) for column in patterns.T}) == 15 and patterns.any(axis=0).all()


def test_sizes_beyond_tractable_raise_a_clear_error():
    X, y = _data(7, 1)
    with pytest.raises(ValueError, match=r"n <= MAX_SAMPLES=6.*127"):
        ThreeLayerProgram(X, y, BETA)
    X, y = _data(5, 3)
    with pytest.raises(ValueError, match="MAX_COLUMNS=3"):
        ThreeLayerProgram(X, y, BETA)
    X, y = _data(4, 1)
    with pytest.raises(ValueError, match="y must have shape"):
        ThreeLayerProgram(X, y[:-1], BETA)
    with pytest.raises(ValueError, match="beta"):
        ThreeLayerProgram(X, y, 0.0)
    with pytest.raises(ValueError, match="second_layer"):
        ThreeLayerNetwork(np.zeros((2, 3, 2)), np.zeros((2, 2)), np.zeros(2))
