"""Losses: values, gradients and conjugates agree with their definitions."""

import numpy as np
import pytest
from scipy.optimize import minimize

from sklearn_convexnn.losses import get_loss


@pytest.mark.parametrize("name", ["squared", "logistic"])
def test_negative_gradient_matches_finite_differences(name, rng):
    loss = get_loss(name)
    y = np.sign(rng.standard_normal(6))
    z = rng.standard_normal(6)
    eps = 1e-6
    numeric = np.array([(loss.value(z + eps * e, y) - loss.value(z - eps * e, y)) / (2 * eps) for e in np.eye(6)])
    np.testing.assert_allclose(-loss.negative_gradient(z, y), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["squared", "logistic"])
def test_fenchel_young_equality_at_the_gradient(name, rng):
    # -L*(-nu) = L(z) + <nu, z> exactly when nu = -grad L(z)
    loss = get_loss(name)
    y = np.sign(rng.standard_normal(7))
    z = rng.standard_normal(7)
    nu = loss.negative_gradient(z, y)
    assert loss.dual_objective(nu, y) == pytest.approx(loss.value(z, y) + nu @ z, rel=1e-12)


@pytest.mark.parametrize("name", ["squared", "logistic"])
def test_dual_objective_is_minus_conjugate(name, rng):
    # -L*(-nu) = inf_z L(z) + <nu, z>, computed numerically
    loss = get_loss(name)
    y = np.sign(rng.standard_normal(4))
    nu = 0.7 * y * rng.uniform(0.1, 0.9, 4)  # inside the logistic domain y*nu in [0, 1]
    numeric = minimize(lambda z: loss.value(z, y) + nu @ z, np.zeros(4), method="BFGS", options={"gtol": 1e-10}).fun
    assert loss.dual_objective(nu, y) == pytest.approx(numeric, rel=1e-7)


def test_logistic_dual_is_minus_infinity_outside_its_domain():
    loss = get_loss("logistic")
    assert loss.dual_objective(np.array([1.5]), np.array([1.0])) == -np.inf


def test_unknown_loss_is_named():
    with pytest.raises(ValueError, match="loss"):
        get_loss("hinge")
