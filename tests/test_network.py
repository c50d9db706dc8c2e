"""ReLUNetwork: the formula, the objective, balancing, merging, gradients and MLP conversion."""

import numpy as np
import pytest

from sklearn_convexnn import ReLUNetwork
from sklearn_convexnn.network import GatedReLUNetwork, regularized_objective
from sklearn_convexnn.nonconvex import fit_mlp


def random_network(rng, m=5, d=3, bias=True, c=None):
    shape = (m,) if c is None else (m, c)
    return ReLUNetwork(rng.standard_normal((m, d)), rng.standard_normal(shape), rng.standard_normal(m) if bias else None)


def test_predict_is_the_formula(rng):
    net = random_network(rng)
    X = rng.standard_normal((8, 3))
    expected = sum(np.maximum(X @ net.hidden_weights[j] + net.hidden_bias[j], 0) * net.output_weights[j] for j in range(5))
    np.testing.assert_allclose(net.predict(X), expected, rtol=1e-12)


def test_objective_penalizes_the_bias_like_a_weight(rng):
    net = random_network(rng)
    X, y = rng.standard_normal((8, 3)), rng.standard_normal(8)
    norm = np.sum(net.hidden_weights**2) + np.sum(net.hidden_bias**2) + np.sum(net.output_weights**2)
    expected = 0.5 * np.sum((net.predict(X) - y) ** 2) + 0.5 * 0.3 * norm
    assert net.objective(X, y, 0.3) == pytest.approx(expected, rel=1e-12)
    assert regularized_objective(net.predict(X), y, norm, 0.3) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("c", [None, 2])
def test_balancing_keeps_predictions_and_never_increases_the_objective(rng, c):
    net = random_network(rng, c=c)
    X, y = rng.standard_normal((8, 3)), rng.standard_normal((8,) if c is None else (8, c))
    balanced = net.balanced()
    np.testing.assert_allclose(balanced.predict(X), net.predict(X), rtol=1e-10, atol=1e-12)
    assert balanced.objective(X, y, 0.5) <= net.objective(X, y, 0.5) + 1e-12
    first, second = balanced.neuron_norms()
    np.testing.assert_allclose(first, second, rtol=1e-12)


def test_balancing_zeroes_half_dead_neurons(rng):
    net = ReLUNetwork(np.array([[1.0, 2.0], [0.0, 0.0]]), np.array([0.0, 3.0]))
    balanced = net.balanced()
    assert np.all(balanced.hidden_weights == 0) and np.all(balanced.output_weights == 0)


def test_merging_collinear_neurons_keeps_predictions_and_lowers_the_objective(rng):
    w = rng.standard_normal(3)
    net = ReLUNetwork(np.array([w, 2 * w, -w]), np.array([1.0, 0.5, -2.0]), np.array([0.3, 0.6, -0.3]))
    X, y = rng.standard_normal((10, 3)), rng.standard_normal(10)
    merged = net.merged()
    assert merged.width == 2
    np.testing.assert_allclose(merged.predict(X), net.predict(X), rtol=1e-10, atol=1e-12)
    assert merged.objective(X, y, 0.7) <= net.objective(X, y, 0.7) + 1e-12


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_gradient_matches_finite_differences(rng, loss):
    net = random_network(rng, m=4, d=2)
    X = rng.standard_normal((9, 2))
    y = np.sign(rng.standard_normal(9))
    vector = net.to_vector()
    gradient = net.gradient(X, y, 0.4, loss).to_vector()
    eps = 1e-6
    numeric = np.array([
        (net.from_vector(vector + eps * e).objective(X, y, 0.4, loss) - net.from_vector(vector - eps * e).objective(X, y, 0.4, loss)) / (2 * eps)
        for e in np.eye(len(vector))
    ])
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("bias,c", [(True, None), (False, None), (True, 3)])
def test_to_mlp_predicts_identically_and_round_trips(rng, bias, c):
    net = random_network(rng, bias=bias, c=c)
    X = rng.standard_normal((12, 3))
    mlp = net.to_mlp()
    np.testing.assert_allclose(mlp.predict(X), net.predict(X), rtol=1e-12, atol=1e-12)
    back = ReLUNetwork.from_mlp(mlp)
    np.testing.assert_allclose(back.predict(X), net.predict(X), rtol=1e-12, atol=1e-12)


def test_from_mlp_refuses_an_output_intercept(rng):
    mlp = random_network(rng).to_mlp()
    mlp.intercepts_[1][:] = 0.5
    with pytest.raises(ValueError, match="output intercept"):
        ReLUNetwork.from_mlp(mlp)


def test_mlp_trained_on_our_objective_keeps_zero_intercepts_and_matches_its_loss(rng):
    X = rng.standard_normal((15, 2))
    y = np.abs(X[:, 0]) - X[:, 1]
    run = fit_mlp(X, y, 0.1, 6, random_state=0)
    # MLPRegressor's own loss is F / n when intercepts are pinned and alpha = beta
    assert run.objective == pytest.approx(run.network.objective(X, y, 0.1), rel=1e-12)
    assert run.network.hidden_bias is not None and run.network.width == 6


def test_gated_network_formula(rng):
    gates, weights, alpha = rng.standard_normal((3, 2)), rng.standard_normal((3, 2)), rng.standard_normal(3)
    net = GatedReLUNetwork(gates, weights, alpha)
    X = rng.standard_normal((7, 2))
    expected = sum(((X @ gates[j]) >= 0) * (X @ weights[j]) * alpha[j] for j in range(3))
    np.testing.assert_allclose(net.predict(X), expected, rtol=1e-12)


def test_bad_shapes_are_named(rng):
    with pytest.raises(ValueError, match="output_weights"):
        ReLUNetwork(np.ones((3, 2)), np.ones(4))
    with pytest.raises(ValueError, match="hidden_bias"):
        ReLUNetwork(np.ones((3, 2)), np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="hidden_weights"):
        ReLUNetwork(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="finite"):
        ReLUNetwork(np.full((1, 2), np.nan), np.ones(1))
    with pytest.raises(ValueError, match="features"):
        random_network(rng).predict(np.ones((2, 5)))
