"""scikit-learn's estimator checks on every estimator of the project."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_convexnn import ConvexReLUClassifier, ConvexReLURegressor

ESTIMATORS = [
    ConvexReLURegressor(n_patterns=30, random_state=0),
    ConvexReLURegressor(activation="gated", n_patterns=30, random_state=0),
    ConvexReLUClassifier(n_patterns=30, random_state=0),
    # one-vs-rest with gated networks (multiclass checks; it crashed before the gated networks were stacked)
    ConvexReLUClassifier(activation="gated", n_patterns=30, random_state=0),
    ConvexReLUClassifier(loss="logistic", n_patterns=30, random_state=0),
]

EXPECTED_FAILED_CHECKS = {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(type(est).__name__, {}))
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
