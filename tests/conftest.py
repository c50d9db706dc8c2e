"""Shared fixtures: small data sets with their exact arrangements."""

import numpy as np
import pytest

from sklearn_convexnn.arrangements import add_intercept, enumerate_patterns
from sklearn_convexnn.datasets import make_teaching_1d, make_teaching_2d


@pytest.fixture(scope="session")
def data_1d():
    """1-D teaching data with the ones column and all its patterns."""
    data = make_teaching_1d(10, random_state=3)
    X_aug = add_intercept(data.X)
    return data, X_aug, enumerate_patterns(X_aug)


@pytest.fixture(scope="session")
def data_2d():
    """2-D teaching data with the ones column and all its patterns."""
    data = make_teaching_2d(8, random_state=1)
    X_aug = add_intercept(data.X)
    return data, X_aug, enumerate_patterns(X_aug)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
