"""scikit-learn's estimator checks on every estimator of the project."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_convexnn import ConvexReLUClassifier, ConvexReLURegressor

# "auto" patterns: exact on the checks' smallest data, adaptive (one short round) on the others
FAST = {"n_patterns": 30, "max_rounds": 1, "n_starts": 5, "random_state": 0}
# the other variants check the gated, one-vs-rest and logistic plumbing on sampled patterns (faster)
SAMPLED = {"patterns": "sample", "n_patterns": 30, "random_state": 0}

ESTIMATORS = [
    ConvexReLURegressor(**FAST),
    ConvexReLURegressor(activation="gated", **SAMPLED),
    ConvexReLUClassifier(**FAST),
    # one-vs-rest with gated networks (multiclass checks; it crashed before the gated networks were stacked)
    ConvexReLUClassifier(activation="gated", **SAMPLED),
    ConvexReLUClassifier(loss="logistic", **SAMPLED),
]

EXPECTED_FAILED_CHECKS = {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(type(est).__name__, {}))
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
