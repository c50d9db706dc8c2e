"""Tests of sklearn_convexnn.landscape.paths: paths of non-increasing objective (THEORY.md §G)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_convexnn.arrangements import add_intercept, enumerate_patterns, sample_patterns
from sklearn_convexnn.convex.program import ConvexProgram
from sklearn_convexnn.datasets import make_teaching_1d, make_teaching_2d
from sklearn_convexnn.estimators import ConvexReLURegressor
from sklearn_convexnn.landscape.certificate import dual_certificate
from sklearn_convexnn.landscape.paths import LossPath, nonincreasing_path
from sklearn_convexnn.landscape.pruning import prune
from sklearn_convexnn.network import ReLUNetwork
from sklearn_convexnn.nonconvex import fit_mlp

DATA_1D = make_teaching_1d(8, random_state=1, beta=0.02)  # n = 8: G1 needs width 9
NAMES = {
    "balance", "merge", "prune", "descend", "add-neuron", "relocate", "interpolate",
    "reverse-balance", "reverse-merge", "reverse-prune",
}


def check_path(path, start, X, y, beta, loss="squared", n_points=20, tol=1e-8):
    """Facts every path must satisfy; returns the end certificate."""
    assert isinstance(path, LossPath)
    assert path.networks[0] is start
    assert path.objectives[0] == start.objective(X, y, beta, loss)
    # objectives are those of the actual networks, and non-increasing
    recomputed = np.array([network.objective(X, y, beta, loss) for network in path.networks])
    np.testing.assert_array_equal(path.objectives, recomputed)
    increases = np.diff(path.objectives)
    assert np.max(increases, initial=0.0) <= tol * max(1.0, abs(path.objectives[0]))
    if len(increases):
        assert path.max_increase == pytest.approx(np.max(increases))
    assert all(network.width == start.width for network in path.networks)
    assert all((network.hidden_bias is None) == (start.hidden_bias is None) for network in path.networks)
    assert np.all(np.diff(path.t) > 0)
    assert set(path.segments) <= NAMES
    assert len(path.networks) == 1 + n_points * len(path.segments)
    np.testing.assert_array_equal(path.segment_start, n_points * np.arange(len(path.segments)))
    # consecutive grid points are close: the path is continuous (no jumps between segments)
    steps = [np.linalg.norm(b.to_vector() - a.to_vector()) for a, b in zip(path.networks, path.networks[1:])]
    assert max(steps, default=0.0) < 0.5 * max(1.0, max(np.linalg.norm(n.to_vector()) for n in path.networks))
    end = path.networks[-1]
    return dual_certificate(end, X, y, beta, loss=loss)


def p_star(X, y, beta, fit_intercept=True, loss="squared"):
    X_aug = add_intercept(X) if fit_intercept else X
    return ConvexProgram(X_aug, y, beta, enumerate_patterns(X_aug), loss=loss).solve(tol=1e-9).objective


# ------------------------------------------------------------------------------ algorithm G1
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_path_from_random_network_reaches_certified_optimum(seed):
    rng = np.random.default_rng(seed)
    X, y, beta = DATA_1D.X, DATA_1D.y, DATA_1D.beta
    start = ReLUNetwork(rng.normal(size=(9, 1)), rng.normal(size=9), rng.normal(size=9))
    path = nonincreasing_path(start, X, y, beta)
    certificate = check_path(path, start, X, y, beta)
    assert certificate.is_global_minimum
    assert path.objectives[-1] == pytest.approx(p_star(X, y, beta), rel=1e-7)
    assert path.target is path.networks[-1]
    assert path.segments[0] == "balance"
    assert "descend" in path.segments


@pytest.mark.parametrize("width, seed", [(2, 9), (3, 17), (8, 0)])
def test_path_from_trained_network(width, seed):
    """From L-BFGS runs, spurious (2, 9), (3, 17) and stalled (8, 0), to the certified optimum."""
    X, y, beta = DATA_1D.X, DATA_1D.y, DATA_1D.beta
    trained = fit_mlp(X, y, beta, width, random_state=seed).network
    start = trained.padded(max(width, 9))
    path = nonincreasing_path(start, X, y, beta, n_points=10)
    certificate = check_path(path, start, X, y, beta, n_points=10)
    assert certificate.is_global_minimum
    assert path.objectives[-1] < path.objectives[0] - 1e-3  # these runs are not global
    # at a spurious point, the path must grow a new neuron
    if width < 8:
        assert "add-neuron" in path.segments


def test_path_without_bias_in_2d():
    data = make_teaching_2d(10, random_state=0)
    X, y, beta = data.X, data.y, data.beta
    rng = np.random.default_rng(5)
    start = ReLUNetwork(rng.normal(size=(11, 2)), rng.normal(size=11))
    path = nonincreasing_path(start, X, y, beta, n_points=8)
    certificate = check_path(path, start, X, y, beta, n_points=8)
    assert certificate.is_global_minimum
    assert path.objectives[-1] == pytest.approx(p_star(X, y, beta, fit_intercept=False), rel=1e-7)


def test_path_logistic_loss():
    data = make_teaching_2d(10, random_state=0)
    X = data.X
    y = np.where(data.y > np.median(data.y), 1.0, -1.0)
    rng = np.random.default_rng(6)
    start = ReLUNetwork(rng.normal(size=(11, 2)), rng.normal(size=11), rng.normal(size=11))
    path = nonincreasing_path(start, X, y, 0.5, loss="logistic", n_points=8)
    certificate = check_path(path, start, X, y, 0.5, loss="logistic", n_points=8)
    assert certificate.is_global_minimum


def test_path_from_the_optimum_stays_there():
    X, y, beta = DATA_1D.X, DATA_1D.y, DATA_1D.beta
    optimum = nonincreasing_path(ReLUNetwork(np.zeros((9, 1)), np.zeros(9), np.zeros(9)), X, y, beta).target
    path = nonincreasing_path(optimum, X, y, beta, n_points=5)
    check_path(path, optimum, X, y, beta, n_points=5)
    assert path.objectives[-1] == pytest.approx(path.objectives[0], rel=1e-12)
    assert "add-neuron" not in path.segments


def test_zero_optimum_above_beta_max():
    """For beta >= beta_max the optimum is the zero network and the path ends there."""
    X, y = DATA_1D.X, DATA_1D.y
    rng = np.random.default_rng(7)
    start = ReLUNetwork(rng.normal(size=(9, 1)), rng.normal(size=9), rng.normal(size=9))
    path = nonincreasing_path(start, X, y, 50.0, n_points=5)
    assert check_path(path, start, X, y, 50.0, n_points=5).is_global_minimum
    assert np.all(path.networks[-1].output_weights == 0)


# ------------------------------------------------------------------------------ to a given target (G2)
def test_path_to_a_given_target():
    X, y, beta = DATA_1D.X, DATA_1D.y, DATA_1D.beta
    target = ConvexReLURegressor(beta=beta, patterns="exact").fit(X, y).network_
    # a redundant version of the target: its first neuron split into two collinear halves
    split = ReLUNetwork.from_augmented(
        np.vstack([target.augmented_weights, target.augmented_weights[:1]]) * np.sqrt([[0.5]] + [[1.0]] * (target.width - 1) + [[0.5]]),
        np.append(target.output_weights, target.output_weights[0]) * np.sqrt([0.5] + [1.0] * (target.width - 1) + [0.5]),
        True,
    )
    rng = np.random.default_rng(8)
    trained = fit_mlp(X, y, beta, 3, random_state=17).network
    for goal in (target, split):
        for start in (trained.padded(12), ReLUNetwork(rng.normal(size=(12, 1)), rng.normal(size=12), rng.normal(size=12))):
            path = nonincreasing_path(start, X, y, beta, target=goal, n_points=10)
            check_path(path, start, X, y, beta, n_points=10)
            # the path ends exactly at the given target (padded)
            np.testing.assert_allclose(path.networks[-1].to_vector(), goal.padded(12).to_vector(), atol=1e-12)
            np.testing.assert_allclose(path.target.to_vector(), goal.padded(12).to_vector(), atol=0)
            assert "interpolate" in path.segments
    assert "reverse-merge" in path.segments  # the split target is merged, and unmerged at the end


def test_target_width_requirement():
    X, y, beta = DATA_1D.X, DATA_1D.y, DATA_1D.beta
    target = ConvexReLURegressor(beta=beta, patterns="exact").fit(X, y).network_
    start = fit_mlp(X, y, beta, 3, random_state=17).network
    # (neurons of the reduced start) + (neurons of the reduced target), and at least the target's width
    needed = max(target.width, prune(start, X, y, beta).width + prune(target, X, y, beta).width)
    assert needed > target.width
    with pytest.raises(ValueError, match=rf"needs width >= {needed}.*start\.padded\({needed}\)"):
        nonincreasing_path(start.padded(needed - 1), X, y, beta, target=target)
    nonincreasing_path(start.padded(needed), X, y, beta, target=target, n_points=3)
    with pytest.raises(ValueError, match="target has width"):
        nonincreasing_path(start, X, y, beta, target=target.padded(10))


def test_target_must_be_a_global_optimum():
    X, y, beta = DATA_1D.X, DATA_1D.y, DATA_1D.beta
    spurious = fit_mlp(X, y, beta, 3, random_state=17).network
    with pytest.raises(ValueError, match="target is not a global optimum"):
        nonincreasing_path(spurious.padded(12), X, y, beta, target=spurious)
    with pytest.raises(ValueError, match="same input dimension and bias"):
        nonincreasing_path(spurious.padded(12), X, y, beta, target=ReLUNetwork(np.ones((1, 1)), np.ones(1)))


@pytest.mark.parametrize("c", [1e-6, 1e-100, 1e100])
def test_the_target_check_does_not_depend_on_the_units_of_y(c):
    """(X, c y, c beta) is (X, y, beta) with every objective times c^2 (neurons scaled by sqrt(c)): a spurious
    target is refused and the optimum reached at every c (an absolute floor max(1, |F|) let the spurious target
    through at c = 1e-6, and the path then rose)."""
    X, y, beta = DATA_1D.X, DATA_1D.y, DATA_1D.beta
    optimum = ConvexReLURegressor(beta=beta, patterns="exact").fit(X, y).network_
    spurious = fit_mlp(X, y, beta, 3, random_state=17).network
    start = fit_mlp(X, y, beta, 12, random_state=3).network

    def scaled(network):
        return ReLUNetwork(network.hidden_weights * np.sqrt(c), network.output_weights * np.sqrt(c),
                           network.hidden_bias * np.sqrt(c))

    with pytest.raises(ValueError, match="target is not a global optimum"):
        nonincreasing_path(scaled(start), X, c * y, c * beta, target=scaled(spurious).padded(3), n_points=3)
    path = nonincreasing_path(scaled(start), X, c * y, c * beta, target=scaled(optimum), n_points=3)
    assert path.objectives[-1] / c**2 == pytest.approx(optimum.objective(X, y, beta), rel=1e-9)


# ------------------------------------------------------------------------------ properties
@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(2, 6),
    extra=st.integers(0, 2),
    log_beta=st.floats(-2.0, 0.5),
)
def test_path_property(seed, n, extra, log_beta):
    rng = np.random.default_rng(seed)
    X = np.sort(rng.uniform(-1, 1, size=(n, 1)), axis=0)
    y = rng.normal(size=n)
    beta = 10.0**log_beta
    width = n + 1 + extra
    start = ReLUNetwork(rng.normal(size=(width, 1)), rng.normal(size=width), rng.normal(size=width))
    path = nonincreasing_path(start, X, y, beta, n_points=4)
    certificate = check_path(path, start, X, y, beta, n_points=4)
    assert certificate.is_global_minimum


def test_an_increasing_segment_is_refused(monkeypatch):
    """The monotonicity check is real: a segment that raises F makes the path fail loudly."""
    import sklearn_convexnn.landscape.paths as paths

    def inflating_segment(network, X_aug):
        return lambda t: ReLUNetwork.from_augmented(
            (1 + t) * network.augmented_weights, network.output_weights, network.hidden_bias is not None
        )

    monkeypatch.setattr(paths, "_balance_segment", inflating_segment)
    X, y, beta = DATA_1D.X, DATA_1D.y, DATA_1D.beta
    start = ReLUNetwork(np.ones((9, 1)), np.ones(9), np.zeros(9))
    with pytest.raises(RuntimeError, match="objective increased"):
        nonincreasing_path(start, X, y, beta)


# ------------------------------------------------------------------------------ bad input
def test_bad_input():
    X, y, beta = DATA_1D.X, DATA_1D.y, DATA_1D.beta
    start = ReLUNetwork(np.ones((9, 1)), np.ones(9), np.zeros(9))
    with pytest.raises(ValueError, match=r"needs width >= n \+ 1 = 9.*start\.padded\(9\)"):
        nonincreasing_path(ReLUNetwork(np.ones((8, 1)), np.ones(8), np.zeros(8)), X, y, beta)
    with pytest.raises(TypeError, match="start"):
        nonincreasing_path("network", X, y, beta)
    with pytest.raises(ValueError, match="X has"):
        nonincreasing_path(start, np.column_stack([X, X]), y, beta)
    with pytest.raises(ValueError, match="y"):
        nonincreasing_path(start, X, y[:3], beta)
    with pytest.raises(ValueError, match="beta"):
        nonincreasing_path(start, X, y, 0.0)
    with pytest.raises(ValueError, match="patterns must be exhaustive"):
        nonincreasing_path(start, X, y, beta, patterns="sample")
    with pytest.raises(ValueError, match="patterns must be exhaustive"):
        nonincreasing_path(start, X, y, beta, patterns=sample_patterns(add_intercept(X), 20, random_state=0))
    with pytest.raises(ValueError, match="n_points"):
        nonincreasing_path(start, X, y, beta, n_points=0)
    with pytest.raises(ValueError, match="tol"):
        nonincreasing_path(start, X, y, beta, tol=-1)
    with pytest.raises(TypeError, match="target"):
        nonincreasing_path(start, X, y, beta, target="optimum")
