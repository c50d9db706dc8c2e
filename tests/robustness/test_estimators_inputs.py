"""Every estimator on every kind of input: a correct model or a ValueError/TypeError naming X or y.

A fitted model is checked against the mathematics, not against stored numbers:
``objective_`` is the network's own objective :math:`F` on the training data; predictions are finite
and equal the network's; the certified duality gap is not negative; the objective is at most
:math:`L(0)` (the zero network is feasible); and with exhaustive patterns the dual certificate of
the network gives a lower bound not above the objective and within the estimator's warning
threshold of it.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from harness import classify
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sklearn_convexnn import ConvexReLUClassifier, ConvexReLURegressor, dual_certificate
from sklearn_convexnn.arrangements import add_intercept
from sklearn_convexnn.estimators import GAP_WARNING
from sklearn_convexnn.losses import get_loss
from sklearn_convexnn.network import ReLUNetwork
from strategies import (
    ESTIMATOR_CONFIGS,
    ROBUST,
    SOLVER_CHOICES,
    betas,
    design_matrices,
    labels,
    non_finite,
    regression_targets,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def make_estimator(config, beta, **params):
    kind, activation, loss = config
    if kind == "regressor":
        return ConvexReLURegressor(beta=beta, activation=activation, n_patterns=40, random_state=0, **params)
    return ConvexReLUClassifier(beta=beta, activation=activation, loss=loss, n_patterns=40, random_state=0,
                                **params)


def training_targets(model, y):
    """The targets the networks were fitted to: y (regression), ±1 (binary), a ±1 matrix (one-vs-rest)."""
    if isinstance(model, ConvexReLURegressor):
        return np.asarray(y, dtype=float)
    y = np.asarray(y)
    if len(model.classes_) == 2:
        return np.where(y == model.classes_[1], 1.0, -1.0)
    return np.where(y[:, None] == model.classes_[None, :], 1.0, -1.0)


def check_model(model, X, y, beta, warned):
    """The mathematical properties of a fitted estimator (consistency ones only when ``warned``)."""
    given, X = X, np.asarray(X, dtype=float)
    targets = training_targets(model, y)
    loss = getattr(model, "loss", "squared")
    network = model.network_
    inputs = X if isinstance(network, ReLUNetwork) else (add_intercept(X) if model.fit_intercept else X)
    objective = network.objective(inputs, targets, beta, loss)
    scale = max(1.0, abs(model.objective_))
    assert np.isfinite(model.objective_)
    assert model.objective_ == pytest.approx(objective, rel=1e-9, abs=1e-12)
    output = model.predict(given) if isinstance(model, ConvexReLURegressor) else model.decision_function(given)
    assert np.all(np.isfinite(output))
    assert np.array_equal(output, network.predict(inputs))
    assert model.duality_gap_ >= -1e-8 * scale
    assert model.n_neurons_ == network.width
    if isinstance(model, ConvexReLUClassifier):
        assert set(model.predict(given)) <= set(model.classes_)
        if loss == "logistic":
            probabilities = model.predict_proba(given)
            assert np.all((probabilities >= 0) & (probabilities <= 1))
            assert np.allclose(probabilities.sum(axis=1), 1.0)
    if warned:
        return
    zero_loss = get_loss(loss).value(np.zeros_like(targets), targets)
    assert model.objective_ <= zero_loss + 1e-6 * scale  # the zero network is feasible
    assert model.duality_gap_ <= GAP_WARNING * scale  # else the estimator warns
    if isinstance(network, ReLUNetwork) and targets.ndim == 1 and model.arrangement_.exhaustive:
        # weak duality from the network's own dual vector: a lower bound on every network's objective
        certificate = dual_certificate(network, X, targets, beta, patterns=model.arrangement_, loss=loss)
        assert certificate.lower_bound <= model.objective_ + 1e-9 * scale


@st.composite
def fit_cases(draw):
    config = draw(st.sampled_from(ESTIMATOR_CONFIGS))
    # a classifier needs two samples for two classes: n = 1 is drawn for it only now and then
    X = draw(design_matrices(min_n=1 if config[0] == "regressor" or draw(st.integers(0, 5)) == 5 else 2))
    n = X.shape[0]
    y = draw(regression_targets(n)) if config[0] == "regressor" else draw(labels(n))
    return config, X, y, draw(betas), draw(st.booleans()), draw(st.sampled_from(SOLVER_CHOICES))


@settings(ROBUST, max_examples=300)
@given(case=fit_cases())
def test_fit_gives_a_correct_model_or_names_the_argument(case, tally):
    config, X, y, beta, fit_intercept, solver = case
    model = make_estimator(config, beta, fit_intercept=fit_intercept, solver=solver)
    classify(tally, f"{config[0]}-{config[1]}-{config[2]}", lambda: model.fit(X, y), names=("X", "y"),
             check=lambda fitted, warned: check_model(fitted, X, y, beta, warned))


@settings(ROBUST, max_examples=40)
@given(config=st.sampled_from(ESTIMATOR_CONFIGS), X=design_matrices(min_n=2), data=st.data())
def test_non_finite_input_is_refused_naming_it(config, X, data, tally):
    n = X.shape[0]
    y = data.draw(regression_targets(n)) if config[0] == "regressor" else data.draw(labels(n))
    model = make_estimator(config, 0.1)
    bad_X = data.draw(non_finite(X))

    def refused(result, warned):
        raise AssertionError(f"non-finite input accepted: {result!r}")

    outcome, _ = classify(tally, "non-finite X", lambda: model.fit(bad_X, y), names=("X",), check=refused)
    assert outcome == "refused"
    if config[0] == "regressor":
        bad_y = np.asarray(y, dtype=float).copy()
        bad_y[data.draw(st.integers(0, n - 1))] = data.draw(st.sampled_from([np.nan, np.inf]))
        outcome, _ = classify(tally, "non-finite y", lambda: model.fit(X, bad_y), names=("y",), check=refused)
        assert outcome == "refused"


@pytest.mark.parametrize("config", ESTIMATOR_CONFIGS)
@pytest.mark.parametrize("value, error", [
    ({"beta": 0.0}, ValueError), ({"beta": -1.0}, ValueError), ({"beta": np.nan}, ValueError),
    ({"beta": "1"}, TypeError), ({"beta": True}, TypeError), ({"activation": "tanh"}, ValueError),
    ({"patterns": "all"}, ValueError), ({"n_patterns": 0}, ValueError), ({"n_patterns": 2.5}, TypeError),
    ({"fit_intercept": "yes"}, TypeError), ({"solver": "newton"}, ValueError), ({"tol": 0.0}, ValueError),
    ({"tol": np.inf}, ValueError), ({"max_iter": 0}, ValueError), ({"max_iter": 1.5}, ValueError),
    ({"random_state": "seed"}, ValueError), ({"verbose": "loud"}, TypeError),
])
def test_bad_parameters_are_refused_naming_them(config, value, error, tally):
    X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 1, 1, 0])
    model = make_estimator(config, 0.1).set_params(**value)
    (name,) = value
    outcome, _ = classify(tally, "bad parameter", lambda: model.fit(X, y), names=(name,),
                          check=lambda *_: pytest.fail(f"{value} accepted"))
    assert outcome == "refused"
    with pytest.raises(error, match=name):
        model.fit(X, y)


@pytest.mark.parametrize("config", [ESTIMATOR_CONFIGS[0], ESTIMATOR_CONFIGS[2], ESTIMATOR_CONFIGS[5]])
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_input_is_refused_with_a_type_error_naming_X(config, fmt, tally):
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    y = np.array([0, 1, 1, 0])
    model = make_estimator(config, 0.1)
    assert model.__sklearn_tags__().input_tags.sparse is False
    sparse = sp.coo_matrix(X).asformat(fmt)
    with pytest.raises(TypeError, match=r"Sparse data was passed for X"):
        model.fit(sparse, y)
    model.fit(X, y)
    with pytest.raises(TypeError, match=r"Sparse data was passed for X"):
        model.predict(sparse)
    tally.record("sparse X", "refused")


def test_one_class_and_continuous_labels_are_refused(tally):
    X = np.array([[0.0], [1.0], [2.0]])
    for y, match in [(["a", "a", "a"], "class"), ([True] * 3, "class"), ([0.5, 1.5, 2.25], "y: Unknown label type"),
                     (np.array(["a", 1, 2.0], dtype=object), "y: ")]:
        for loss in ("squared", "logistic"):
            with pytest.raises((ValueError, TypeError), match=match):
                ConvexReLUClassifier(beta=0.1, loss=loss).fit(X, y)
            tally.record("labels", "refused")


@pytest.mark.parametrize("values", [["no", "yes"], [False, True], [-3, 5], [0.0, 1.0]])
def test_binary_labels_of_any_type_map_to_the_same_model(values, tally):
    X = np.array([[-2.0], [-1.0], [0.5], [1.0], [2.0]])
    codes = np.array([0, 0, 1, 1, 1])
    y = np.array(values, dtype=object if isinstance(values[0], str) else None)[codes]
    reference = ConvexReLUClassifier(beta=0.1).fit(X, codes)
    model = ConvexReLUClassifier(beta=0.1).fit(X, y)
    assert list(model.classes_) == sorted(values)
    assert np.array_equal(model.decision_function(X), reference.decision_function(X))
    assert list(model.predict(X)) == [values[k] for k in reference.predict(X)]
    tally.record("labels", "correct")


def test_shape_errors_name_the_argument(tally):
    X, y = np.arange(8.0).reshape(4, 2), np.array([0.0, 1.0, 1.0, 0.0])
    model = ConvexReLURegressor(beta=0.1)
    for bad_X, bad_y, name in [(np.arange(4.0), y, "X"), (np.zeros((0, 2)), np.zeros(0), "X"),
                               (np.zeros((4, 0)), y, "X"), (X, y[:3], "y"), (X, np.ones((4, 2, 1)), "y"),
                               (X, None, "y"), (X, np.array(list("abcd")), "y"),
                               (np.array([["a", "b"]] * 4), y, "X"), (X + 1j, y, "X")]:
        outcome, _ = classify(tally, "shapes", lambda: model.fit(bad_X, bad_y), names=(name,),
                              check=lambda *_: pytest.fail("accepted"))
        assert outcome == "refused"
    model.fit(X, y)
    for bad_X in [np.zeros((3, 3)), np.arange(4.0), np.array([["a", "b"]])]:
        outcome, _ = classify(tally, "shapes", lambda: model.predict(bad_X), names=("X",),
                              check=lambda *_: pytest.fail("accepted"))
        assert outcome == "refused"


def test_a_failed_fit_leaves_no_usable_model(tally):
    model = ConvexReLUClassifier(beta=0.1)
    with pytest.raises(ValueError):
        model.fit(np.array([[0.0], [1.0]]), ["a", "a"])
    with pytest.raises(NotFittedError):
        model.predict(np.array([[0.0]]))
    tally.record("labels", "refused")


# ------------------------------------------------------------------------------ pandas
pandas = pytest.importorskip("pandas")


@pytest.mark.parametrize("config", ESTIMATOR_CONFIGS)
def test_dataframes_set_feature_names_and_mismatches_follow_scikit_learn(config, tally):
    rng = np.random.default_rng(0)
    frame = pandas.DataFrame(rng.standard_normal((6, 2)), columns=["height", "width"])
    y = np.array([0, 1, 0, 1, 1, 0]) if config[0] == "classifier" else rng.standard_normal(6)
    target = pandas.Series(y, name="target")
    model = make_estimator(config, 0.1).fit(frame, target)
    assert list(model.feature_names_in_) == ["height", "width"]
    check_model(model, frame, y, 0.1, warned=False)
    method = model.predict if config[0] == "regressor" else model.decision_function
    reference = method(frame)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        assert np.array_equal(method(frame.to_numpy()), reference)
    with pytest.raises(ValueError, match="feature names should match"):
        method(frame.rename(columns={"width": "depth"}))
    with pytest.raises(ValueError, match="feature names should match"):
        method(frame[["width", "height"]])
    unnamed = clone(model).fit(frame.to_numpy(), y)
    assert not hasattr(unnamed, "feature_names_in_")
    unnamed_method = unnamed.predict if config[0] == "regressor" else unnamed.decision_function
    with pytest.warns(UserWarning, match="has feature names"):
        assert np.array_equal(unnamed_method(frame), reference)
    tally.record("pandas", "correct")
