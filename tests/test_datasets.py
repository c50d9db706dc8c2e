"""Tests of sklearn_convexnn.datasets: the constructed examples of THEORY.md §H.3 are what they claim."""

import numpy as np
import pytest

from sklearn_convexnn.arrangements import add_intercept, enumerate_patterns
from sklearn_convexnn.convex.dual import dual_constraint
from sklearn_convexnn.datasets import (
    continuum_radius,
    example_ha,
    example_hb,
    example_he,
    make_continuum,
    make_teaching_1d,
    make_teaching_2d,
)
from sklearn_convexnn.landscape.optimal_set import optimal_set
from sklearn_convexnn.network import ReLUNetwork


def tight_values(X, nu):
    X_aug = add_intercept(X)
    return dual_constraint(nu, X_aug, enumerate_patterns(X_aug).masks)


# ------------------------------------------------------------------------- teaching data
@pytest.mark.parametrize("make,d", [(make_teaching_1d, 1), (make_teaching_2d, 2)])
def test_teaching_data_shapes_and_seeds(make, d):
    data = make(9, random_state=4)
    assert data.X.shape == (9, d) and data.y.shape == (9,) and data.fit_intercept
    np.testing.assert_array_equal(make(9, random_state=4).y, data.y)
    assert not np.array_equal(make(9, random_state=5).y, data.y)
    with pytest.raises(ValueError, match="n_samples"):
        make(1)
    with pytest.raises(ValueError, match="beta"):
        make(5, beta=0.0)


def test_teaching_1d_is_sorted_and_distinct():
    x = make_teaching_1d(20, random_state=0).X[:, 0]
    assert np.all(np.diff(x) > 0) and np.all(np.abs(x) <= 1)


# ------------------------------------------------------------------------- H-a
def test_ha_segment_of_min_norm_interpolators():
    """H-a: nu = (1/2, 1/2) makes all three non-zero patterns tight (beta = 1) and every
    c0 in [0, 1] gives an interpolating network of cost 1 with f(0) = (1 + c0)/2."""
    data = example_ha()
    np.testing.assert_allclose(data.X[:, 0], [-np.sqrt(3), np.sqrt(3)])
    constraint = tight_values(data.X, np.array([0.5, 0.5]))
    assert constraint.max_value == pytest.approx(1.0, rel=1e-12)
    assert np.sum(constraint.values >= 1 - 1e-12) == 3
    u0, u1, u2 = np.array([0.0, 1.0]), np.array([-np.sqrt(3) / 2, 0.5]), np.array([np.sqrt(3) / 2, 0.5])
    for c0 in (0.0, 0.3, 1.0):
        c = np.array([c0, (1 - c0) / 2, (1 - c0) / 2])
        weights = np.sqrt(c)[:, None] * np.array([u0, u1, u2])
        network = ReLUNetwork.from_augmented(weights, np.sqrt(c), True)
        np.testing.assert_allclose(network.predict(data.X), data.y, atol=1e-12)
        assert 0.5 * network.squared_weight_norm() == pytest.approx(1.0, rel=1e-12)
        assert network.predict(np.zeros((1, 1)))[0] == pytest.approx((1 + c0) / 2, rel=1e-12)


# ------------------------------------------------------------------------- H-b
def test_hb_fields_and_range():
    data = example_hb(0.7)
    np.testing.assert_array_equal(data.y, [1.5, 1.5])
    assert data.beta == 0.7 and data.fit_intercept
    # beta_max = 3: the largest dual value of nu0 = y
    assert tight_values(data.X, data.y).max_value == pytest.approx(3.0, rel=1e-12)
    with pytest.raises(ValueError, match="beta"):
        example_hb(3.0)


# ------------------------------------------------------------------------- H-e
def test_he_certificate():
    """H-e: radius sqrt 5, nu = 1 gives V = beta = 3 with exactly four tight directions of rank 3."""
    data = example_he()
    np.testing.assert_allclose(np.linalg.norm(data.X, axis=1), np.sqrt(5))
    np.testing.assert_allclose(data.X.sum(axis=0), 0.0, atol=1e-12)
    np.testing.assert_array_equal(data.y, [3.0, 3.0, 3.0])
    constraint = tight_values(data.X, np.ones(3))
    assert constraint.max_value == pytest.approx(3.0, rel=1e-12) and data.beta == 3.0
    assert np.sum(constraint.values >= 3 * (1 - 1e-9)) == 4


# ------------------------------------------------------------------------- continuum
def test_continuum_radius():
    assert continuum_radius(3, 2) == pytest.approx(np.sqrt(5))
    assert continuum_radius(4, 2) == pytest.approx(np.sqrt(6))
    with pytest.raises(ValueError, match="n_active"):
        continuum_radius(4, 4)


def test_continuum_triangle_is_he():
    triangle, he = make_continuum(3), example_he()
    np.testing.assert_allclose(triangle.X, he.X, atol=1e-12)
    np.testing.assert_allclose(triangle.y, he.y, atol=1e-12)
    assert triangle.beta == pytest.approx(he.beta, rel=1e-12)


@pytest.mark.parametrize("n_vertices", [3, 4, 5, 6])
def test_continuum_has_a_continuum(n_vertices):
    """The optimal set of make_continuum recovers nu* = 1 and c = 1/2, and has positive dimension."""
    data = make_continuum(n_vertices)
    S = optimal_set(data.X, data.y, data.beta)
    np.testing.assert_allclose(S.dual, np.ones(n_vertices), atol=1e-10)
    assert S.polytope.contains(np.full(S.n_directions, 0.5))
    assert S.dimension >= 1 and not S.is_unique


def test_continuum_refuses_when_there_is_none():
    with pytest.raises(ValueError, match="no continuum"):
        make_continuum(4, radius=1.0)
    with pytest.raises(ValueError, match="n_vertices"):
        make_continuum(2)
