"""The regularization path: warm-started solves that agree with independent ones."""

import numpy as np
import pytest

from sklearn_convexnn import ConvexProgram
from sklearn_convexnn.convex.path import RegularizationPath, beta_max, convex_relu_path


@pytest.mark.parametrize("activation", ["relu", "gated"])
def test_path_agrees_with_independent_solves(data_2d, activation):
    data, X, arrangement = data_2d
    top = beta_max(X, data.y, arrangement, activation=activation)
    betas = top * np.array([0.02, 0.5, 0.1, 0.3])  # any order: processed from large to small
    path = convex_relu_path(X, data.y, betas, arrangement, activation=activation, solver="cg")
    assert isinstance(path, RegularizationPath) and len(path) == 4
    np.testing.assert_array_equal(path.betas, np.sort(betas)[::-1])
    for beta, solution in zip(path.betas, path.solutions):
        assert solution.beta == beta and solution.solver == "cg"
        reference = ConvexProgram(X, data.y, beta, arrangement, activation=activation).solve("cvxpy")
        assert solution.objective == pytest.approx(reference.objective, rel=1e-6)
        assert solution.relative_gap <= 1e-6
    # the optimal value grows with beta (the penalty does), so it falls along the path
    assert np.all(np.diff(path.objectives) <= 1e-9)
    np.testing.assert_allclose(path.duality_gaps, [s.duality_gap for s in path.solutions])


def test_a_number_of_betas_starts_at_beta_max_with_no_neurons(data_1d):
    data, X, arrangement = data_1d
    path = convex_relu_path(X, data.y, 6, arrangement)
    assert path.betas[0] == pytest.approx(beta_max(X, data.y, arrangement))
    assert path.n_neurons[0] == 0 and path.n_neurons[-1] > 0
    assert path.betas[-1] == pytest.approx(1e-3 * path.betas[0])
    # neurons are counted on the recovered network: blocks that share a direction are one neuron
    last = path.solutions[-1]
    assert path.n_neurons[-1] == last.to_network(drop_below=1e-6).merged().width


def test_logistic_path(data_1d):
    data, X, arrangement = data_1d
    labels = np.where(data.y > np.median(data.y), 1.0, -1.0)
    path = convex_relu_path(X, labels, [2.0, 1.0, 0.5], arrangement, loss="logistic")
    assert all(s.loss == "logistic" and s.relative_gap <= 1e-6 for s in path.solutions)
    assert np.all(np.diff(path.objectives) <= 1e-9)


def test_path_validates_its_input(data_1d):
    data, X, arrangement = data_1d
    with pytest.raises(ValueError, match="betas"):
        convex_relu_path(X, data.y, [], arrangement)
    with pytest.raises(ValueError, match="betas"):
        convex_relu_path(X, data.y, [1.0, -1.0], arrangement)
    with pytest.raises(ValueError, match="betas"):
        convex_relu_path(X, data.y, 0, arrangement)
    with pytest.raises(TypeError, match="arrangement"):
        convex_relu_path(X, data.y, [1.0], arrangement.masks)
