"""Tests of sklearn_convexnn.landscape.certificate: the global-optimality certificate of THEORY.md §F."""

import numpy as np
import pytest

from sklearn_convexnn.arrangements import add_intercept, enumerate_patterns, sample_patterns
from sklearn_convexnn.convex.dual import dual_constraint
from sklearn_convexnn.convex.program import ConvexProgram
from sklearn_convexnn.datasets import make_teaching_1d, make_teaching_2d
from sklearn_convexnn.estimators import ConvexReLURegressor
from sklearn_convexnn.landscape.certificate import Certificate, dual_certificate
from sklearn_convexnn.landscape.stationary import polish
from sklearn_convexnn.network import ReLUNetwork
from sklearn_convexnn.nonconvex import fit_mlp

# 1-D data (n=8, bias) whose width-2/3 L-BFGS runs end at spurious stationary points (THEORY §K.10)
SPURIOUS = make_teaching_1d(8, random_state=1, beta=0.02)
SPURIOUS_RUNS = [(2, 9), (3, 17)]  # (width, seed) of fit_mlp runs classified spurious


def convex_optimum(X, y, beta, fit_intercept, loss="squared"):
    """The network of the exact convex program (all patterns), solved by Clarabel."""
    X_aug = add_intercept(X) if fit_intercept else X
    solution = ConvexProgram(X_aug, y, beta, enumerate_patterns(X_aug), loss=loss).solve(tol=1e-10)
    network = solution.to_network()
    return ReLUNetwork.from_augmented(network.hidden_weights, network.output_weights, fit_intercept), solution


def random_network(rng, width, d, bias, scale=1.0):
    return ReLUNetwork(
        scale * rng.normal(size=(width, d)), scale * rng.normal(size=width), scale * rng.normal(size=width) if bias else None
    )


def with_neuron(network, direction, sign, t):
    """``network`` plus the neuron (t * direction, sign * t) (direction in augmented coordinates)."""
    weights = np.vstack([network.augmented_weights, t * direction])
    output = np.append(network.output_weights, sign * t)
    return ReLUNetwork.from_augmented(weights, output, network.hidden_bias is not None)


# ------------------------------------------------------------------------------ optimality
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dataset", [make_teaching_1d(8, random_state=1, beta=0.02), make_teaching_2d(10, random_state=0)])
def test_certificate_holds_at_convex_optimum(dataset, fit_intercept):
    X, y, beta = dataset.X, dataset.y, dataset.beta
    network, solution = convex_optimum(X, y, beta, fit_intercept)
    certificate = dual_certificate(network, X, y, beta)
    assert isinstance(certificate, Certificate)
    assert certificate.exhaustive and certificate.is_global_minimum
    assert certificate.relative_violation == pytest.approx(1.0, abs=1e-6)
    assert abs(certificate.gap) <= 1e-6
    assert certificate.objective == pytest.approx(network.objective(X, y, beta), abs=0)
    assert certificate.objective == pytest.approx(solution.objective, rel=1e-9)
    # the lower bound is tight at the optimum
    assert certificate.lower_bound == pytest.approx(certificate.objective, abs=1e-6)
    # nu is the residual (squared loss)
    np.testing.assert_allclose(certificate.dual, y - network.predict(X))


def test_certificate_of_estimator_network():
    """The estimator's network (blocks below 1e-6 dropped) is optimal to ~1e-5 in V, exactly after polish."""
    data = make_teaching_2d(10, random_state=0)
    X, y, beta = data.X, data.y, data.beta
    network = ConvexReLURegressor(beta=beta, patterns="exact").fit(X, y).network_
    loose = dual_certificate(network, X, y, beta, tol=1e-3)
    assert loose.is_global_minimum
    polished = polish(network, X, y, beta)
    tight = dual_certificate(polished, X, y, beta, tol=1e-9)
    assert tight.is_global_minimum
    assert abs(tight.relative_violation - 1.0) <= 1e-9
    assert polished.objective(X, y, beta) <= network.objective(X, y, beta) + 1e-12


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_certificate_logistic_optimum(fit_intercept):
    data = make_teaching_2d(10, random_state=0)
    X = data.X
    y = np.where(data.y > np.median(data.y), 1.0, -1.0)
    network, _ = convex_optimum(X, y, 0.5, fit_intercept, loss="logistic")
    network = polish(network, X, y, 0.5, loss="logistic")
    certificate = dual_certificate(network, X, y, 0.5, loss="logistic")
    assert certificate.is_global_minimum
    # nu = y * sigmoid(-y * yhat) lies in the logistic dual domain y*nu in [0, 1]
    assert np.all((y * certificate.dual >= 0) & (y * certificate.dual <= 1))
    assert certificate.lower_bound <= certificate.objective + 1e-9


def test_zero_network_is_global_iff_beta_at_least_beta_max():
    data = make_teaching_1d(8, random_state=1)
    X, y = data.X, data.y
    zero = ReLUNetwork(np.zeros((3, 1)), np.zeros(3), np.zeros(3))
    # beta_max = max over all patterns of ||Pi(+-X^T D y)|| (THEORY §D item 9)
    X_aug = add_intercept(X)
    beta_max = dual_constraint(y, X_aug, enumerate_patterns(X_aug).masks).max_value
    above = dual_certificate(zero, X, y, 1.01 * beta_max)
    below = dual_certificate(zero, X, y, 0.99 * beta_max)
    assert above.is_global_minimum and above.gap == 0.0
    assert not below.is_global_minimum and below.relative_violation == pytest.approx(1 / 0.99)
    assert above.max_violation == pytest.approx(beta_max)


# ------------------------------------------------------------------------------ non-optimality
@pytest.mark.parametrize("width, seed", SPURIOUS_RUNS)
def test_certificate_rejects_spurious_trained_networks(width, seed):
    X, y, beta = SPURIOUS.X, SPURIOUS.y, SPURIOUS.beta
    network = fit_mlp(X, y, beta, width, random_state=seed).network
    certificate = dual_certificate(network, X, y, beta)
    assert not certificate.is_global_minimum
    assert certificate.relative_violation > 1.05
    assert certificate.proves_non_optimality
    # stationary points have (nearly) zero Fenchel-Young gap: the gap alone proves nothing
    assert abs(certificate.gap) < 1e-3
    optimum, _ = convex_optimum(X, y, beta, True)
    assert certificate.objective > optimum.objective(X, y, beta) + 1e-3


@pytest.mark.parametrize("patterns", ["exact", "sample"])
@pytest.mark.parametrize("bias", [True, False])
def test_worst_direction_lowers_the_objective(patterns, bias):
    """Adding (t*dir, sign*t) lowers F by exactly t^2 (V - beta) - t^4 ||(X dir)_+||^2 / 2 (squared loss)."""
    rng = np.random.default_rng(3)
    data = make_teaching_2d(10, random_state=1)
    X, y, beta = data.X, data.y, data.beta
    networks = [random_network(rng, 4, 2, bias, 0.5) for _ in range(4)]
    networks.append(fit_mlp(X, y, beta, 2, fit_intercept=bias, random_state=0).network)
    for network in networks:
        certificate = dual_certificate(network, X, y, beta, patterns=patterns, random_state=0)
        assert certificate.exhaustive == (patterns == "exact")
        assert certificate.max_violation > beta
        assert not certificate.is_global_minimum
        assert np.linalg.norm(certificate.worst_direction) == pytest.approx(1.0)
        X_aug = network.augment(X)
        # the direction lies in the cone of its pattern: (X dir)_+ = D X dir
        np.testing.assert_allclose(
            np.maximum(X_aug @ certificate.worst_direction, 0), certificate.worst_pattern * (X_aug @ certificate.worst_direction),
            atol=1e-12,
        )
        column = np.maximum(X_aug @ certificate.worst_direction, 0)
        before = network.objective(X, y, beta)
        for t in (1e-1, 1e-2, 1e-3):
            after = with_neuron(network, certificate.worst_direction, certificate.worst_sign, t).objective(X, y, beta)
            expected = t**2 * (certificate.max_violation - beta) - 0.5 * t**4 * column @ column
            if t == 1e-3 or expected > 0:
                assert after < before
            assert before - after == pytest.approx(expected, rel=1e-6, abs=1e-13)


def test_sampled_patterns_never_certify():
    data = make_teaching_1d(8, random_state=1, beta=0.02)
    X, y, beta = data.X, data.y, data.beta
    network, _ = convex_optimum(X, y, beta, True)
    certificate = dual_certificate(network, X, y, beta, patterns="sample", n_patterns=500, random_state=0)
    assert not certificate.exhaustive
    assert certificate.relative_violation <= 1 + 1e-6  # no violation found ...
    assert not certificate.is_global_minimum  # ... but sampled patterns cannot prove optimality
    # a non-exhaustive Arrangement behaves the same way
    sampled = sample_patterns(add_intercept(X), 50, random_state=0)
    assert not dual_certificate(network, X, y, beta, patterns=sampled).is_global_minimum


def test_lower_bound_below_every_random_network():
    rng = np.random.default_rng(0)
    data = make_teaching_1d(8, random_state=1, beta=0.02)
    X, y, beta = data.X, data.y, data.beta
    optimum, _ = convex_optimum(X, y, beta, True)
    p_star = optimum.objective(X, y, beta)
    for k in range(40):
        network = random_network(rng, int(rng.integers(1, 10)), 1, True, scale=10 ** rng.uniform(-1, 0.5))
        certificate = dual_certificate(network, X, y, beta)
        assert certificate.lower_bound <= p_star + 1e-9
        assert certificate.lower_bound <= certificate.objective
        assert certificate.objective >= p_star - 1e-9
        # V over all patterns agrees with the full dual constraint table
        table = dual_constraint(certificate.dual, add_intercept(X), certificate.arrangement.masks)
        assert certificate.max_violation == pytest.approx(table.max_value, rel=1e-12)


# ------------------------------------------------------------------------------ bad input
def test_bad_input():
    data = make_teaching_1d(8, random_state=1)
    X, y = data.X, data.y
    network = ReLUNetwork(np.ones((2, 1)), np.ones(2), np.zeros(2))
    with pytest.raises(TypeError, match="network"):
        dual_certificate("net", X, y, 1.0)
    with pytest.raises(ValueError, match="X has 2 features"):
        dual_certificate(network, np.column_stack([X, X]), y, 1.0)
    with pytest.raises(ValueError, match="y"):
        dual_certificate(network, X, y[:-1], 1.0)
    with pytest.raises(ValueError, match="beta"):
        dual_certificate(network, X, y, 0.0)
    with pytest.raises(ValueError, match="beta"):
        dual_certificate(network, X, y, -1.0)
    with pytest.raises(ValueError, match="patterns"):
        dual_certificate(network, X, y, 1.0, patterns="all")
    with pytest.raises(ValueError, match="patterns"):
        dual_certificate(network, X, y, 1.0, patterns=enumerate_patterns(X))  # no bias column: wrong gates
    with pytest.raises(ValueError, match="loss"):
        dual_certificate(network, X, y, 1.0, loss="hinge")
    with pytest.raises(ValueError, match="-1 and \\+1"):
        dual_certificate(network, X, y, 1.0, loss="logistic")
    with pytest.raises(ValueError, match="tol"):
        dual_certificate(network, X, y, 1.0, tol=0)
    with pytest.raises(ValueError, match="scalar output"):
        dual_certificate(ReLUNetwork(np.ones((2, 1)), np.ones((2, 2))), X, y, 1.0)


# ------------------------------------------------------------------------------ units of the data
def _scaled(network, factor):
    """The network of the problem rescaled by ``y -> b y``, ``beta -> b beta``: ``theta -> sqrt(b) theta``."""
    root = np.sqrt(factor)
    return ReLUNetwork.from_augmented(root * network.augmented_weights, root * network.output_weights,
                                      network.hidden_bias is not None)


def test_verdicts_do_not_depend_on_the_units_of_y():
    """Rescaling y and beta by b (the objective by b^2, V/beta unchanged) keeps every verdict: a global
    optimum is certified, a spurious stationary point and a network 20% off the optimum are refuted,
    from b = 1e-12 (objectives near 1e-25) to b = 1e6. An absolute floor tol*max(1, |F|) would accept
    the 20%-off network as a stationary point once F < 1e-6 or so."""
    from sklearn_convexnn.landscape.optimal_set import optimal_set
    from sklearn_convexnn.landscape.stationary import stationarity

    data = make_teaching_1d(8, random_state=1, beta=0.02)
    X, y, beta = data.X, data.y, data.beta
    optimal = optimal_set(X, y, beta)
    global_network = optimal.random_network(optimal.min_width + 1, 0)
    # polished width-2 runs are stationary points; the ones the certificate refutes are spurious
    reports = [stationarity(fit_mlp(X, y, beta, 2, random_state=seed).network, X, y, beta) for seed in range(4)]
    spurious = [report.polished for report in reports if report.certificate.proves_non_optimality]
    assert spurious, "no spurious stationary point among the width-2 runs"
    off = ReLUNetwork.from_augmented(global_network.augmented_weights, 1.2 * global_network.output_weights, True)
    for factor in (1e-12, 1e-6, 1e-3, 1.0, 1e6):
        b_y, b_beta = factor * y, factor * beta
        certificate = dual_certificate(_scaled(global_network, factor), X, b_y, b_beta)
        assert certificate.is_global_minimum
        assert certificate.violation_tolerance < 1e-5 * b_beta and certificate.gap_tolerance < 1e-5 * certificate.objective
        assert stationarity(_scaled(global_network, factor), X, b_y, b_beta).classification == "global"
        certificate = dual_certificate(_scaled(spurious[0], factor), X, b_y, b_beta)
        assert certificate.proves_non_optimality and not certificate.is_global_minimum
        assert stationarity(_scaled(spurious[0], factor), X, b_y, b_beta).classification == "spurious"
        assert not dual_certificate(_scaled(off, factor), X, b_y, b_beta).is_global_minimum
        assert stationarity(_scaled(off, factor), X, b_y, b_beta).classification == "not stationary"


def test_near_zero_optimum_with_small_beta_is_certified():
    """beta = 1e-6 and targets of order 1e-5: the optimum is a near-zero network with an objective of
    order 1e-10; it is certified (its gap is rounding, far below tol*F), and the same network with its
    output weights halved is refuted."""
    from sklearn_convexnn.landscape.optimal_set import optimal_set

    data = make_teaching_1d(8, random_state=0)
    X, y, beta = data.X, 1e-5 * data.y, 1e-6
    optimal = optimal_set(X, y, beta)
    network = optimal.network(optimal.coefficients)
    certificate = dual_certificate(network, X, y, beta)
    assert 0 < certificate.objective < 1e-8
    assert certificate.is_global_minimum and abs(certificate.gap) <= certificate.gap_tolerance
    halved = ReLUNetwork.from_augmented(network.augmented_weights, 0.5 * network.output_weights, True)
    assert not dual_certificate(halved, X, y, beta).is_global_minimum
