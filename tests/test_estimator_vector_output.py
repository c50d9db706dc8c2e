"""ConvexReLURegressor with a two-dimensional y: the vector-output programs of THEORY §I.1."""

import numpy as np
import pytest

from sklearn_convexnn import ConvexReLURegressor
from sklearn_convexnn.arrangements import add_intercept
from sklearn_convexnn.extensions.vector_output import VectorOutputProgram, dictionary_refinement


@pytest.fixture(scope="module")
def data():
    """12 points on a line with two targets (rank 2 with the bias: every pattern, a certified ReLU bound)."""
    X = np.linspace(-1.0, 1.0, 12).reshape(-1, 1)
    Y = np.column_stack([np.abs(X[:, 0]) - 0.4, np.maximum(X[:, 0], 0.0) + 0.1 * np.sin(5 * X[:, 0])])
    return X, Y, 0.05


def test_gated_estimator_solves_the_gated_vector_program_exactly(data):
    X, Y, beta = data
    model = ConvexReLURegressor(beta=beta, activation="gated").fit(X, Y)
    assert model.predict(X).shape == Y.shape and model.dual_.shape == Y.shape
    program = VectorOutputProgram(add_intercept(X), Y, beta, model.arrangement_, activation="gated")
    assert model.objective_ == pytest.approx(program.solve().objective, rel=1e-6)
    assert model.objective_ == pytest.approx(model.network_.objective(add_intercept(X), Y, beta), rel=1e-9)
    assert model.arrangement_.exhaustive and model.certificate_.exhaustive and model.certificate_.converged


def test_relu_estimator_is_the_refined_dictionary_bound(data):
    X, Y, beta = data
    model = ConvexReLURegressor(beta=beta).fit(X, Y)
    assert model.predict(X).shape == Y.shape
    program = VectorOutputProgram(add_intercept(X), Y, beta, model.arrangement_, activation="relu")
    reference = dictionary_refinement(program, rounds=10, rtol=1e-6).solution
    assert model.objective_ == pytest.approx(reference.objective, rel=1e-6)
    assert model.objective_ == pytest.approx(model.network_.objective(X, Y, beta), rel=1e-9)
    assert model.network_.hidden_bias is not None and model.network_.output_weights.shape[1] == 2
    # rank 2 with the bias: the dense dual check ran, the bound is certified to its gap
    assert model.certificate_.exhaustive and model.duality_gap_ <= 1e-4 * max(1.0, model.objective_)
    # no scalar network does better on either output alone than the vector network's share
    for k in range(2):
        scalar = ConvexReLURegressor(beta=beta).fit(X, Y[:, k])
        assert scalar.objective_ <= model.objective_ + 1e-7


def test_a_column_y_is_the_scalar_fit_with_column_predictions(data):
    X, Y, beta = data
    for activation in ("relu", "gated"):
        column = ConvexReLURegressor(beta=beta, activation=activation).fit(X, Y[:, :1])
        flat = ConvexReLURegressor(beta=beta, activation=activation).fit(X, Y[:, 0])
        assert column.predict(X).shape == (12, 1) and flat.predict(X).shape == (12,)
        np.testing.assert_array_equal(column.predict(X)[:, 0], flat.predict(X))
        assert column.objective_ == flat.objective_
    # the gated vector program with c = 1 is the scalar gated program
    gated = ConvexReLURegressor(beta=beta, activation="gated").fit(X, Y[:, 0])
    program = VectorOutputProgram(add_intercept(X), Y[:, :1], beta, gated.arrangement_, activation="gated")
    assert program.solve().objective == pytest.approx(gated.objective_, rel=1e-6)


def test_larger_data_gets_sampled_patterns_and_a_dictionary_without_rays():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4))
    Y = np.column_stack([np.abs(X[:, 0]), X[:, 1] - X[:, 2]])
    model = ConvexReLURegressor(beta=1.0, n_patterns=15, random_state=0).fit(X, Y)
    assert model.predict(X).shape == (60, 2) and not model.arrangement_.exhaustive
    assert model.objective_ == pytest.approx(model.network_.objective(X, Y, 1.0), rel=1e-9)
    assert np.isnan(model.certificate_.max_violation) and not model.certificate_.converged  # rank 5: no dense check
