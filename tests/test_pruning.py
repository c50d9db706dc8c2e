"""Tests of sklearn_convexnn.landscape.pruning: optimal pruning (THEORY.md §J, §G-B3)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_convexnn.arrangements import add_intercept, enumerate_patterns
from sklearn_convexnn.convex.program import ConvexProgram
from sklearn_convexnn.datasets import make_teaching_1d, make_teaching_2d
from sklearn_convexnn.landscape.certificate import dual_certificate
from sklearn_convexnn.landscape.pruning import fit_matrix, independent_fits, merge_blocks, prune
from sklearn_convexnn.landscape.stationary import polish
from sklearn_convexnn.network import ReLUNetwork


def assert_pruned(network, pruned, X, y, beta, loss="squared"):
    """Same predictions, objective not larger, independent fits, at most rank <= n neurons."""
    np.testing.assert_allclose(pruned.predict(X), network.predict(X), rtol=0, atol=1e-8)
    assert pruned.objective(X, y, beta, loss) <= network.objective(X, y, beta, loss) * (1 + 1e-12) + 1e-12
    assert independent_fits(pruned, X)
    A = fit_matrix(pruned, pruned.augment(X))
    assert pruned.width == np.count_nonzero(np.any(A != 0, axis=0))  # no zero or dead neurons left
    assert pruned.width <= min(X.shape[0], network.width)


def random_network(rng, width, d, bias):
    return ReLUNetwork(rng.normal(size=(width, d)), rng.normal(size=width), rng.normal(size=width) if bias else None)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("bias", [True, False])
def test_prune_random_wide_networks(bias, loss):
    rng = np.random.default_rng(0)
    for d, n in [(1, 5), (2, 6), (3, 4)]:
        X = rng.normal(size=(n, d))
        y = rng.normal(size=n) if loss == "squared" else np.where(rng.random(n) < 0.5, -1.0, 1.0)
        network = random_network(rng, 3 * n, d, bias)
        pruned = prune(network, X, y, 0.1, loss)
        assert_pruned(network, pruned, X, y, 0.1, loss)
        if loss == "squared":
            assert pruned.width < network.width


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_pruning_an_optimum_keeps_the_objective(fit_intercept):
    """At a global optimum with many (dependent) blocks, pruning reaches a vertex at the same objective."""
    data = make_teaching_2d(10, random_state=0)
    X, y, beta = data.X, data.y, data.beta
    X_aug = add_intercept(X) if fit_intercept else X
    solution = ConvexProgram(X_aug, y, beta, enumerate_patterns(X_aug)).solve(tol=1e-8)
    network = solution.to_network()
    network = ReLUNetwork.from_augmented(network.hidden_weights, network.output_weights, fit_intercept)
    optimum = polish(network, X, y, beta)
    assert dual_certificate(optimum, X, y, beta).is_global_minimum
    pruned = prune(optimum, X, y, beta)
    assert_pruned(optimum, pruned, X, y, beta)
    assert pruned.objective(X, y, beta) == pytest.approx(optimum.objective(X, y, beta), rel=1e-7)
    assert dual_certificate(pruned, X, y, beta).is_global_minimum
    # pruning the raw Clarabel point (noise blocks included) also stays at the optimum to 1e-7
    raw = prune(network, X, y, beta)
    assert_pruned(network, raw, X, y, beta)
    assert raw.objective(X, y, beta) == pytest.approx(network.objective(X, y, beta), rel=1e-7)


def test_split_neurons_are_pruned_back():
    """A neuron split into three collinear copies (objective constant) is pruned back to one neuron."""
    data = make_teaching_1d(8, random_state=1, beta=0.02)
    X, y, beta = data.X, data.y, data.beta
    X_aug = add_intercept(X)
    base = ConvexProgram(X_aug, y, beta, enumerate_patterns(X_aug)).solve(tol=1e-9).to_network(drop_below=1e-6)
    base = polish(ReLUNetwork.from_augmented(base.hidden_weights, base.output_weights, True), X, y, beta)
    base = prune(base, X, y, beta)  # a vertex of the optimal set (independent fits)
    shares = np.sqrt([0.2, 0.3, 0.5])
    weights = np.vstack([base.augmented_weights[1:], shares[:, None] * base.augmented_weights[0]])
    output = np.concatenate([base.output_weights[1:], shares * base.output_weights[0]])
    split = ReLUNetwork.from_augmented(weights, output, True)
    assert split.objective(X, y, beta) == pytest.approx(base.objective(X, y, beta), rel=1e-12)
    pruned = prune(split, X, y, beta)
    assert pruned.width == base.width
    assert pruned.objective(X, y, beta) == pytest.approx(base.objective(X, y, beta), rel=1e-12)
    np.testing.assert_allclose(pruned.predict(X), base.predict(X), atol=1e-10)


def test_merging_blocks_of_one_pattern_lowers_the_objective():
    """Two non-collinear neurons with the same pattern and sign merge into one with a smaller penalty."""
    X = np.array([[1.0, 0.2], [0.8, 1.0], [0.3, 0.9]])
    y = np.array([1.0, 2.0, 0.5])
    network = ReLUNetwork(np.array([[1.0, 0.1], [0.5, 1.0]]), np.array([1.0, 1.0]))  # both active on all rows
    merged, leader = merge_blocks(network.balanced(), X)
    assert np.count_nonzero(merged.output_weights) == 1
    np.testing.assert_allclose(merged.predict(X), network.predict(X), atol=1e-14)
    assert merged.objective(X, y, 1.0) < network.objective(X, y, 1.0) - 1e-3
    pruned = prune(network, X, y, 1.0)
    assert pruned.width == 1


def test_independent_network_is_kept():
    X = np.array([[-1.0], [0.0], [1.0], [2.0]])
    y = np.array([0.0, 1.0, 0.0, 2.0])
    network = ReLUNetwork(np.array([[1.0], [-1.0]]), np.array([1.0, 1.0]), np.array([0.0, 0.0])).balanced()
    pruned = prune(network, X, y, 0.5)
    assert pruned.width == 2
    np.testing.assert_allclose(pruned.augmented_weights, network.augmented_weights)
    np.testing.assert_allclose(pruned.output_weights, network.output_weights)


def test_dead_and_half_zero_neurons_are_removed():
    X = np.array([[0.0], [1.0], [2.0]])
    y = np.array([0.0, 1.0, 2.0])
    network = ReLUNetwork(
        np.array([[1.0], [-1.0], [1.0], [0.0]]),  # neuron 1 is dead on the data, neuron 2 has alpha = 0
        np.array([1.0, 3.0, 0.0, 2.0]),  # neuron 3 has w = 0, b = 0
        np.array([0.0, -5.0, 1.0, 0.0]),
    )
    pruned = prune(network, X, y, 0.1)
    assert pruned.width == 1
    assert_pruned(network, pruned, X, y, 0.1)
    assert pruned.objective(X, y, 0.1) < network.objective(X, y, 0.1) - 1.0


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(2, 7),
    width=st.integers(1, 15),
    bias=st.booleans(),
)
def test_prune_property(seed, n, width, bias):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 1)).round(2)
    y = rng.normal(size=n)
    network = random_network(rng, width, 1, bias)
    pruned = prune(network, X, y, 0.3)
    assert_pruned(network, pruned, X, y, 0.3)


def test_bad_input():
    X = np.array([[0.0], [1.0], [2.0]])
    y = np.array([0.0, 1.0, 2.0])
    network = ReLUNetwork(np.ones((2, 1)), np.ones(2), np.zeros(2))
    with pytest.raises(TypeError, match="network"):
        prune(np.ones(3), X, y, 1.0)
    with pytest.raises(ValueError, match="X has"):
        prune(network, np.ones((3, 2)), y, 1.0)
    with pytest.raises(ValueError, match="y"):
        prune(network, X, np.ones(4), 1.0)
    with pytest.raises(ValueError, match="beta"):
        prune(network, X, y, 0)
    with pytest.raises(ValueError, match="rank_tol"):
        prune(network, X, y, 1.0, rank_tol=0.0)
