"""The estimators in scikit-learn's machinery, and what they certify."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_convexnn import ConvexProgram, ConvexReLUClassifier, ConvexReLURegressor, enumerate_patterns
from sklearn_convexnn.arrangements import add_intercept
from sklearn_convexnn.datasets import make_teaching_1d


def test_regressor_reaches_the_certified_optimum_on_1d_data():
    data = make_teaching_1d(14, random_state=2)
    model = ConvexReLURegressor(beta=data.beta).fit(data.X, data.y)
    assert model.arrangement_.exhaustive  # "auto" enumerates small data exactly
    X_aug = add_intercept(data.X)
    optimum = ConvexProgram(X_aug, data.y, data.beta, enumerate_patterns(X_aug)).solve(solver="cvxpy")
    assert model.objective_ == pytest.approx(optimum.objective, rel=1e-6)
    assert model.objective_ == pytest.approx(model.network_.objective(data.X, data.y, data.beta), rel=1e-12)
    assert model.n_neurons_ == model.network_.width <= len(data.y)
    assert model.duality_gap_ <= 1e-6 * model.objective_
    np.testing.assert_allclose(model.dual_, data.y - model.predict(data.X), atol=1e-5)
    np.testing.assert_allclose(model.predict(data.X), model.network_.predict(data.X), rtol=1e-12)


def test_without_intercept_the_network_has_no_bias():
    data = make_teaching_1d(10)
    model = ConvexReLURegressor(beta=data.beta, fit_intercept=False).fit(data.X, data.y)
    assert model.network_.hidden_bias is None
    assert model.arrangement_.n_patterns == 2  # d = 1 without bias: x >= 0 and x <= 0


def test_gated_estimator_objective_is_below_relu():
    data = make_teaching_1d(12)
    relu = ConvexReLURegressor(beta=data.beta).fit(data.X, data.y)
    gated = ConvexReLURegressor(beta=data.beta, activation="gated").fit(data.X, data.y)
    assert gated.objective_ <= relu.objective_ + 1e-7


def test_pipeline_grid_search_cross_validation_clone_and_pickle():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = np.maximum(X[:, 0], 0) - np.abs(X[:, 1]) + 0.1 * rng.standard_normal(60)
    pipe = make_pipeline(StandardScaler(), ConvexReLURegressor(patterns="sample", n_patterns=40, random_state=0))
    search = GridSearchCV(pipe, {"convexreluregressor__beta": [0.1, 1.0]}, cv=3)
    search.fit(X, y)
    assert search.best_score_ > 0.5
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.mean() > 0.5
    fitted = clone(pipe).fit(X, y)
    again = clone(pipe).fit(X, y)  # same random_state -> same model
    np.testing.assert_array_equal(fitted.predict(X), again.predict(X))
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))


def test_binary_classifier_with_string_labels_and_logistic_probabilities():
    X, y = make_classification(n_samples=60, n_features=3, n_informative=2, n_redundant=0, random_state=0)
    labels = np.array(["cat", "dog"])[y]
    model = ConvexReLUClassifier(beta=1.0, loss="logistic", patterns="sample", n_patterns=30, random_state=0).fit(X, labels)
    assert set(model.classes_) == {"cat", "dog"}
    assert model.score(X, labels) > 0.85
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.classes_[np.argmax(proba, axis=1)], model.predict(X))
    assert not hasattr(ConvexReLUClassifier(loss="squared"), "predict_proba")


def test_multiclass_is_one_network_made_of_one_vs_rest_networks():
    X, y = make_classification(n_samples=60, n_features=4, n_informative=3, n_redundant=0, n_classes=3, random_state=1)
    model = ConvexReLUClassifier(beta=1.0, patterns="sample", n_patterns=25, random_state=0).fit(X, y)
    scores = model.decision_function(X)
    assert scores.shape == (60, 3)
    for k in range(3):  # the column of class k is the binary problem "k against the rest"
        binary = ConvexReLUClassifier(beta=1.0, patterns=model.arrangement_).fit(X, y == k)
        np.testing.assert_allclose(scores[:, k], binary.decision_function(X), rtol=1e-5, atol=1e-5)
    assert model.score(X, y) > 0.8


def test_breast_cancer_pipeline_classifies_well():
    X, y = load_breast_cancer(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), ConvexReLUClassifier(beta=5.0, patterns="sample", n_patterns=20, random_state=0))
    assert cross_val_score(pipe, X[:300], y[:300], cv=3).mean() > 0.9


@pytest.mark.parametrize(
    "params,error,match",
    [
        ({"beta": -1.0}, ValueError, "beta"),
        ({"beta": "big"}, TypeError, "beta"),
        ({"n_patterns": 0}, ValueError, "n_patterns"),
        ({"n_patterns": 2.5}, TypeError, "n_patterns"),
        ({"solver": "sgd"}, ValueError, "solver"),
        ({"activation": "tanh"}, ValueError, "activation"),
        ({"patterns": "all"}, ValueError, "patterns"),
        ({"tol": 0}, ValueError, "tol"),
        ({"max_iter": -3}, ValueError, "max_iter"),
        ({"fit_intercept": "yes"}, TypeError, "fit_intercept"),
    ],
)
def test_bad_parameters_are_named(params, error, match):
    X, y = np.arange(10.0).reshape(-1, 1), np.arange(10.0)
    with pytest.raises(error, match=match):
        ConvexReLURegressor(**params).fit(X, y)


def test_bad_data_and_loss_are_named():
    X, y = np.arange(10.0).reshape(-1, 1), np.arange(10.0)
    with pytest.raises(ValueError, match="loss"):
        ConvexReLUClassifier(loss="hinge").fit(X, y > 4)
    with pytest.raises(ValueError, match="NaN|infinity"):
        ConvexReLURegressor().fit(np.full((4, 1), np.nan), np.ones(4))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        ConvexReLURegressor().fit(X, y[:-1])
    with pytest.raises(ValueError, match="2 classes"):
        ConvexReLUClassifier().fit(X, np.zeros(10))


def test_auto_does_not_enumerate_where_exact_enumeration_fails_on_degenerate_data():
    """patterns="auto" would enumerate exactly (8 samples), which cannot certify its gates on these nearly
    degenerate rows (small integers moved by 1e-11 to 1e-9; found by a random search): the fit takes the patterns of
    large data instead (not exhaustive), while an explicit patterns="exact" still says that enumeration failed."""
    from sklearn_convexnn.arrangements import EnumerationError, enumerate_patterns

    X = np.array([[-5.703266270467056e-12, -2.0, 1.0000000000016074], [2.0, 1.9999999999881888, 1.9999999999924194],
                  [-2.0, -2.0, 1.000000000005471], [-2.0, -2.000000000014603, 1.0000000000941542],
                  [-2.0000000000211657, 0.9999999988237429, -2.000000000713108],
                  [0.99999999999655, 1.0000000000135545, -1.9999999999999778],
                  [0.0, -1.9999999999985811, 2.0000000000065272],
                  [-6.762320559749608e-12, -1.9999999988567663, 1.9999999999433495]])
    y = np.array([-1, 3, -1, -1, -1, 7, -1, 3])
    with pytest.raises(EnumerationError, match="degenerate"):
        enumerate_patterns(X)
    model = ConvexReLUClassifier(activation="gated", fit_intercept=False, n_patterns=40, random_state=0).fit(X, y)
    assert not model.arrangement_.exhaustive and model.arrangement_.n_patterns >= 1
    assert np.isfinite(model.objective_) and abs(model.duality_gap_) <= 1e-6 * max(1.0, model.objective_)
    with pytest.raises(EnumerationError, match="sample"):
        ConvexReLUClassifier(activation="gated", patterns="exact", fit_intercept=False).fit(X, y)


def test_targets_whose_squared_loss_overflows_are_refused_naming_y():
    """0.5 ||y||^2 = inf for |y| ~ 1e155: the objective cannot be represented (it came out inf, with numpy warnings
    from the score); just below, the fit is exact and finite."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 3))
    y = np.sin(X[:, 0])
    with pytest.raises(ValueError, match=r"^y: the squared loss overflows"):
        ConvexReLURegressor(patterns="sample", random_state=0).fit(X, 1e155 * y)
    with pytest.raises(ValueError, match=r"^y: the squared loss overflows"):
        ConvexReLURegressor(patterns="sample", random_state=0).fit(X, np.column_stack([y, 1e300 * y]))
    model = ConvexReLURegressor(patterns="sample", random_state=0, beta=1e150).fit(X, 1e150 * y)
    assert np.isfinite(model.objective_)
    assert model.objective_ == pytest.approx(model.network_.objective(X, 1e150 * y, 1e150), rel=1e-12)


def test_auto_adapts_where_a_tiny_feature_hides_the_rank_of_the_data():
    """The number of patterns does not depend on the units of a feature, and "auto" enumerates only where at most
    AUTO_EXACT_LIMIT can exist. With the second feature in units of 1e-150, the raw data's numerical rank is 2 instead
    of 3 (bound 300 instead of 22352 patterns for 150 samples with a bias): "auto" enumerated, and the enumeration,
    which works in balanced units, refused with "exceeds max_patterns". It adapts, as on the data in unit scale."""
    from sklearn_convexnn.estimators import AUTO_EXACT_LIMIT

    rng = np.random.default_rng(0)
    X = rng.standard_normal((150, 2))
    y = rng.standard_normal(150)
    kwargs = dict(beta=1.0, n_patterns=20, max_rounds=1, n_starts=3, random_state=0)
    model = ConvexReLURegressor(**kwargs).fit(X * np.array([1.0, 1e-150]), y)
    assert not model.arrangement_.exhaustive
    assert np.isfinite(model.objective_) and model.duality_gap_ >= -1e-9 * model.objective_
    # 60 samples: the raw rank says 120 patterns, there are 3542; "auto" keeps to its limit
    small = ConvexReLURegressor(**kwargs).fit(X[:60] * np.array([1.0, 1e-150]), y[:60])
    assert not small.arrangement_.exhaustive and small.arrangement_.n_patterns <= AUTO_EXACT_LIMIT
