"""Tests of sklearn_convexnn.landscape.stationary: stationary points and their sub-sampled programs (THEORY §F)."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklearn_convexnn.arrangements import Arrangement, add_intercept, enumerate_patterns
from sklearn_convexnn.convex.program import ConvexProgram
from sklearn_convexnn.datasets import example_he, make_continuum, make_teaching_1d, make_teaching_2d
from sklearn_convexnn.landscape.optimal_set import optimal_set
from sklearn_convexnn.landscape.stationary import (
    StationarityReport,
    network_blocks,
    polish,
    solve_restricted,
    stationarity,
)
from sklearn_convexnn.network import ReLUNetwork
from sklearn_convexnn.nonconvex import fit_mlp

GLOBAL_DATA = make_teaching_1d(8, random_state=0, beta=0.02)  # width-2/3 runs reach the global optimum
SPURIOUS_DATA = make_teaching_1d(8, random_state=1, beta=0.02)  # width-2/3 runs stop at spurious points


def exact(data):
    return enumerate_patterns(add_intercept(data.X))


def convex_optimum_network(X, y, beta, fit_intercept=True, loss="squared"):
    X_aug = add_intercept(X) if fit_intercept else X
    solution = ConvexProgram(X_aug, y, beta, enumerate_patterns(X_aug), loss=loss).solve(tol=1e-8)
    network = solution.to_network()
    return ReLUNetwork.from_augmented(network.hidden_weights, network.output_weights, fit_intercept), solution


# ------------------------------------------------------------------------------ the three classes
def test_random_network_is_not_stationary():
    rng = np.random.default_rng(0)
    X, y, beta = GLOBAL_DATA.X, GLOBAL_DATA.y, GLOBAL_DATA.beta
    for _ in range(3):
        network = ReLUNetwork(rng.normal(size=(5, 1)), rng.normal(size=5), rng.normal(size=5))
        report = stationarity(network, X, y, beta, patterns=exact(GLOBAL_DATA))
        assert isinstance(report, StationarityReport)
        assert report.classification == "not stationary"
        assert not report.is_stationary and not report.subsampled_optimal and not report.is_global_minimum
        assert report.gradient_norm > 1e-3
        assert report.objective == network.objective(X, y, beta)
        # polishing lowers F to the sub-sampled optimum, and the report says by how much
        assert report.polish_objective_change > 1e-3
        assert report.polished.objective(X, y, beta) == pytest.approx(report.subsampled_optimum, rel=1e-9)
        assert report.polish_distance > 0
        assert report.polished.width == network.width


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_convex_optimum_is_global(fit_intercept):
    data = make_teaching_2d(10, random_state=0)
    X, y, beta = data.X, data.y, data.beta
    network, solution = convex_optimum_network(X, y, beta, fit_intercept)
    report = stationarity(network, X, y, beta)
    assert report.classification == "global" and report.is_global_minimum and report.is_stationary
    assert report.certificate.is_global_minimum
    assert abs(report.certificate.relative_violation - 1) < 1e-9  # after polishing
    assert report.polish_objective_change == pytest.approx(0, abs=1e-7)
    assert report.subsampled_optimum == pytest.approx(solution.objective, rel=1e-7)


def test_polishing_matters_for_the_certificate():
    """V is far more sensitive than F: a convex optimum with its small blocks dropped fails the
    tight certificate as it is, and passes once polished (THEORY §F, numerical behaviour)."""
    data = make_teaching_2d(10, random_state=0)
    X, y, beta = data.X, data.y, data.beta
    X_aug = add_intercept(X)
    solution = ConvexProgram(X_aug, y, beta, enumerate_patterns(X_aug)).solve("cvxpy", tol=1e-8)  # interior point: inexact blocks
    network = solution.to_network(drop_below=1e-6)
    network = ReLUNetwork.from_augmented(network.hidden_weights, network.output_weights, True)
    raw = stationarity(network, X, y, beta, polish=False, tol=1e-7)
    polished = stationarity(network, X, y, beta, polish=True, tol=1e-7)
    assert raw.is_stationary and polished.is_stationary  # F is within 1e-7 of the optimum ...
    assert raw.classification == "spurious"  # ... but V/beta - 1 is far above 1e-7 before polishing
    assert raw.polished is network and raw.polish_distance == 0
    assert polished.classification == "global"
    assert polished.polish_objective_change >= 0


@pytest.mark.parametrize("width, seed", [(2, 4), (2, 9), (3, 1)])
def test_trained_networks_can_be_spurious(width, seed):
    """THEORY §K.10: L-BFGS from random seeds on 1-D data (n=8) stops at spurious stationary points."""
    X, y, beta = SPURIOUS_DATA.X, SPURIOUS_DATA.y, SPURIOUS_DATA.beta
    network = fit_mlp(X, y, beta, width, random_state=seed).network
    report = stationarity(network, X, y, beta, patterns=exact(SPURIOUS_DATA))
    assert report.classification == "spurious"
    assert report.is_stationary and not report.is_global_minimum
    assert report.objective - report.subsampled_optimum <= 1e-6
    assert report.certificate.relative_violation > 1.05
    # a spurious point is far above the global optimum
    optimum, _ = convex_optimum_network(X, y, beta)
    assert report.objective > optimum.objective(X, y, beta) + 1e-3


def test_all_three_classes_occur_over_seeds():
    X, y, beta = GLOBAL_DATA.X, GLOBAL_DATA.y, GLOBAL_DATA.beta
    patterns = exact(GLOBAL_DATA)
    optimum = convex_optimum_network(X, y, beta)[0].objective(X, y, beta)
    found = {}
    for seed in range(8):
        network = fit_mlp(X, y, beta, 3, random_state=seed).network
        report = stationarity(network, X, y, beta, patterns=patterns)
        found.setdefault(report.classification, []).append(seed)
        # the classes are consistent with the objective values
        if report.classification == "global":
            assert report.objective == pytest.approx(optimum, abs=1e-6)
        else:
            assert report.objective > optimum + 1e-7
    assert set(found) == {"global", "spurious", "not stationary"}, found


def test_polished_network_is_a_stationary_point():
    """Polishing a stalled run gives a genuine stationary point: balanced, gap 0, polishing it again moves nothing."""
    X, y, beta = SPURIOUS_DATA.X, SPURIOUS_DATA.y, SPURIOUS_DATA.beta
    patterns = exact(SPURIOUS_DATA)
    for seed in (0, 2):
        network = fit_mlp(X, y, beta, 8, random_state=seed).network
        report = stationarity(network, X, y, beta, patterns=patterns)
        assert report.classification == "not stationary"
        polished = report.polished
        first, second = polished.neuron_norms()
        np.testing.assert_allclose(first, second, rtol=1e-12, atol=1e-14)
        assert abs(report.certificate.gap) <= 1e-12
        again = stationarity(polished, X, y, beta, patterns=patterns)
        assert again.is_stationary
        assert again.classification in ("global", "spurious")
        assert again.classification == ("global" if report.certificate.is_global_minimum else "spurious")
        # polishing is idempotent: the polished network is its own polish (up to the rounding of rebalancing)
        assert again.polish_distance <= 1e-12 * np.linalg.norm(polished.to_vector())
        assert again.polish_objective_change == pytest.approx(0, abs=1e-12)


def test_an_optimal_network_is_its_own_polish():
    """On a flat optimal set (make_continuum, example H-e) polishing an optimal network leaves it in place."""
    for data in (make_continuum(4), example_he()):
        S = optimal_set(data.X, data.y, data.beta)
        points = list(S.vertices()) + [S.random_coefficients(S.max_width, random_state=seed) for seed in range(3)]
        for coefficients in points:
            network = S.network(coefficients)
            report = stationarity(network, data.X, data.y, data.beta)
            assert report.classification == "global"
            assert report.polish_distance <= 1e-12 * np.linalg.norm(network.to_vector())
            assert report.polish_objective_change >= 0


def test_logistic_loss_classes():
    data = make_teaching_2d(10, random_state=0)
    X = data.X
    y = np.where(data.y > np.median(data.y), 1.0, -1.0)
    optimum, _ = convex_optimum_network(X, y, 0.5, loss="logistic")
    assert stationarity(optimum, X, y, 0.5, loss="logistic").classification == "global"
    rng = np.random.default_rng(1)
    network = ReLUNetwork(rng.normal(size=(4, 2)), rng.normal(size=4), rng.normal(size=4))
    report = stationarity(network, X, y, 0.5, loss="logistic")
    assert report.classification == "not stationary"
    assert report.polished.objective(X, y, 0.5, "logistic") < network.objective(X, y, 0.5, "logistic")


# ------------------------------------------------------------------------------ sub-sampled program
def test_subsampled_patterns_are_the_networks_own():
    rng = np.random.default_rng(2)
    X, y = GLOBAL_DATA.X, GLOBAL_DATA.y
    network = ReLUNetwork(rng.normal(size=(6, 1)), np.array([1.0, -1.0, 2.0, 0.0, -0.5, 1.5]), rng.normal(size=6))
    report = stationarity(network, X, y, 0.1)
    own = report.subsampled_patterns
    assert isinstance(own, Arrangement) and not own.exhaustive
    masks = network.activation_patterns(X)
    X_aug = add_intercept(X)
    for j in range(network.width):
        active = network.output_weights[j] != 0 and np.any(X_aug @ network.augmented_weights[j] > 0)
        present = [i for i in range(own.n_patterns) if np.array_equal(own.masks[:, i], masks[:, j])]
        assert bool(present) == bool(active)
        if active:
            assert report.subsampled_blocks[present[0], 0 if network.output_weights[j] > 0 else 1]
    assert report.subsampled_blocks.sum() <= np.count_nonzero(network.output_weights)


def test_restricted_optimum_is_below_the_network_and_verified():
    """p_sub <= F(theta) (the network maps to a feasible point) and KKT of the restricted program holds."""
    rng = np.random.default_rng(4)
    data = make_teaching_2d(10, random_state=2)
    X, y, beta = data.X, data.y, data.beta
    X_aug = add_intercept(X)
    for _ in range(4):
        network = ReLUNetwork(rng.normal(size=(5, 2)), rng.normal(size=5), rng.normal(size=5))
        own = network_blocks(network, X_aug)
        restricted = solve_restricted(X_aug, y, beta, own.arrangement, own.blocks)
        assert restricted.verified
        assert restricted.max_violation <= beta * (1 + 1e-9)
        assert restricted.objective <= network.objective(X, y, beta) + 1e-12
        # Clarabel on the same program agrees
        clarabel = ConvexProgram(X_aug, y, beta, own.arrangement, blocks=own.blocks).solve(tol=1e-8)
        assert restricted.objective == pytest.approx(clarabel.objective, rel=1e-7, abs=1e-9)
        polished = polish(network, X, y, beta)
        assert polished.objective(X, y, beta) == pytest.approx(restricted.objective, rel=1e-12)


def test_polish_keeps_slots_and_blocks():
    """Neurons sharing a block keep their shares; polished neurons stay in their own cones."""
    X, y, beta = GLOBAL_DATA.X, GLOBAL_DATA.y, GLOBAL_DATA.beta
    network = fit_mlp(X, y, beta, 4, random_state=3).network
    split = ReLUNetwork.from_augmented(
        np.vstack([network.augmented_weights * np.sqrt(0.3), network.augmented_weights * np.sqrt(0.7)]),
        np.concatenate([network.output_weights * np.sqrt(0.3), network.output_weights * np.sqrt(0.7)]),
        True,
    )
    polished = polish(split, X, y, beta)
    assert polished.width == 8
    # the two copies of each neuron stay collinear with norms in ratio 0.3 : 0.7
    first, _ = polished.neuron_norms()
    active = first[:4] > 0
    np.testing.assert_allclose(first[:4][active] ** 2 / first[4:][active] ** 2, 0.3 / 0.7, rtol=1e-9)
    assert polished.objective(X, y, beta) == pytest.approx(polish(network, X, y, beta).objective(X, y, beta), rel=1e-9)


# ------------------------------------------------------------------------------ bad input
def test_bad_input():
    X, y = GLOBAL_DATA.X, GLOBAL_DATA.y
    network = ReLUNetwork(np.ones((2, 1)), np.ones(2), np.zeros(2))
    with pytest.raises(TypeError, match="network"):
        stationarity(None, X, y, 1.0)
    with pytest.raises(ValueError, match="X has"):
        stationarity(network, np.ones((8, 3)), y, 1.0)
    with pytest.raises(ValueError, match="beta"):
        stationarity(network, X, y, -0.1)
    with pytest.raises(ValueError, match="patterns"):
        stationarity(network, X, y, 1.0, patterns="sample")
    with pytest.raises(ValueError, match="tol"):
        stationarity(network, X, y, 1.0, tol=-1.0)
    with pytest.raises(TypeError, match="polish"):
        stationarity(network, X, y, 1.0, polish="yes")


# ------------------------------------------------------------------------------ awkward networks and data
def _no_numpy_warning(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in caught]
    return result


def test_neurons_of_underflowing_size():
    """Weights of 1e-241 still give a (tiny) fit, while ||w||^2 underflows: the size |alpha| ||w|| is taken
    without squares, so the neuron keeps its share of its block (no 0/0)."""
    tiny = -1.91430597e-241
    network = ReLUNetwork(np.array([[tiny, tiny]] * 3 + [[-5.34261862e-3, tiny]]),
                          np.array([2.49405333e-2, 2.49405333e-2, 7.51498882e-3, -1.26455245e-102]),
                          np.array([tiny] * 3 + [1.18402934e-2]))
    X, y = np.array([[0.0, -300000.0], [0.0, 0.0]]), np.zeros(2)
    own = network_blocks(network, network.augment(X))
    assert np.all(own.pattern[:3] == 0)  # three active neurons of one block
    report = _no_numpy_warning(lambda: stationarity(network, X, y, 9.423973441178877))
    assert report.polish_objective_change >= 0
    assert np.all(np.isfinite(report.polished.to_vector()))


def test_polishing_never_increases_the_objective():
    """Badly scaled data (x ~ 1e6 with a bias, beta = 1e-6, F ~ 2e14): whether or not the restricted program is
    solved to verified optimality there, the polished network is never worse than the network."""
    network = ReLUNetwork(np.array([[-3.34315923e2, -5.65443827e2], [5e2, 1e-4]]),
                          np.array([-2.76485439e-57, -1.70111561e-69]), np.array([1.83610414e-48, -9.28284180e1]))
    X, y, beta = np.array([[1100031.48043436] * 2, [2e6] * 2]), np.array([2e7, 0.0]), 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # an unverified restricted solve is reported so
        report = stationarity(network, X, y, beta)
    assert report.polish_objective_change >= 0
    assert report.polished.objective(X, y, beta) <= report.objective


def test_duplicate_columns_do_not_derail_newton():
    """Duplicate input columns give X a null space that only the penalty sees; the faces are taken in
    the row space of X, so the restricted program is solved (verified) without overflow."""
    network = ReLUNetwork(np.array([[-2.45752396e-4, -8.07502131e-3, 1.99649179e-2],
                                    [-1.02413256e-13, -2.66453385e-2, -5.99895625e-3]]),
                          np.array([-2.15375094e-2, -2.73122965e-2]), None)
    X = np.array([[533.3987, 0.0, 533.3987], [0.0, 2008.8932, 0.0], [0.0, -611.2089, 0.0],
                  [1750.6549, 0.0, 1750.6549], [1100.0, 0.0, 1100.0]])
    y = np.array([-3e5, 2e5, 0.0, -3e5, 0.0])
    own = network_blocks(network, X)
    restricted = _no_numpy_warning(lambda: solve_restricted(X, y, 1e-3, own.arrangement, own.blocks))
    assert restricted.verified
    polished = polish(network, X, y, 1e-3)
    assert polished.objective(X, y, 1e-3) == pytest.approx(restricted.objective, rel=1e-9)
    assert polished.objective(X, y, 1e-3) <= network.objective(X, y, 1e-3)
