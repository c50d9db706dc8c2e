"""Every landscape function on awkward input: a correct result or a ValueError/TypeError naming it.

Results are checked against the mathematics of THEORY.md: weak duality for certificates; for the
optimal set, a polytope point that reproduces the objective, a certified gap, an optimal network
certified global and equal in value to the estimator's exact optimum, :math:`m^*\\le M^*\\le n`, and a
staircase consistent with the critical widths; stationarity reports consistent with their
certificates; pruning that keeps the predictions, does not raise the objective and leaves
independent fits; paths whose objective does not increase and that end at a certified optimum.
"""

import warnings

import numpy as np
import pytest
from harness import classify
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from sklearn_convexnn import (
    ConvexReLURegressor,
    ReLUNetwork,
    critical_widths,
    dual_certificate,
    nonincreasing_path,
    optimal_set,
    prune,
    staircase_regime,
    stationarity,
)
from sklearn_convexnn.landscape import connecting_path, permutation_distance, polish, split_path
from sklearn_convexnn.landscape.certificate import network_rounding_scales
from sklearn_convexnn.landscape.pruning import independent_fits
from strategies import ROBUST, betas, design_matrices, exponents, networks, regression_targets

PROBLEM_NAMES = ("network", "start", "X", "y", "beta", "loss", "patterns")


@st.composite
def problems(draw, max_n=6, max_d=2):
    """``(X, y, beta, loss)``: awkward data, squared-loss targets or ±1 labels, any beta."""
    X = draw(design_matrices(max_n=max_n, max_d=max_d))
    n = X.shape[0]
    loss = draw(st.sampled_from(["squared", "squared", "logistic"]))
    if loss == "squared":
        y = draw(regression_targets(n))
    else:
        y = np.where(draw(st.lists(st.booleans(), min_size=n, max_size=n)), 1.0, -1.0)
    return X, y, draw(betas), loss


@st.composite
def network_problems(draw, max_n=6, max_d=2):
    """A problem with a network; now and then a network of the wrong input dimension."""
    X, y, beta, loss = draw(problems(max_n, max_d))
    d = X.shape[1] + (1 if draw(st.integers(0, 9)) == 9 else 0)
    return draw(networks(d)), X, y, beta, loss


def scale_of(value):
    return max(1.0, abs(value))


# ------------------------------------------------------------------------------ certificate
def check_certificate(network, X, y, beta, loss, certificate):
    objective = network.objective(np.asarray(X, float), y, beta, loss)
    assert certificate.objective == pytest.approx(objective, rel=1e-12, abs=1e-300)
    assert np.isfinite(certificate.max_violation) and certificate.max_violation >= 0
    assert certificate.relative_violation == pytest.approx(certificate.max_violation / beta)
    norm = np.linalg.norm(certificate.worst_direction)
    assert norm == pytest.approx(1.0) or norm == 0.0
    if certificate.exhaustive:  # weak duality: a lower bound on every network's objective
        assert certificate.lower_bound <= objective + 1e-9 * scale_of(objective)
    # the tolerances: relative to beta and |F|, plus float64 rounding scales that are tiny next to them
    # for well-scaled data and are never an absolute floor
    assert beta * certificate.tol <= certificate.violation_tolerance
    assert certificate.tol * abs(objective) <= certificate.gap_tolerance
    if certificate.is_global_minimum:
        assert certificate.exhaustive and certificate.max_violation <= beta + certificate.violation_tolerance
        assert certificate.gap <= certificate.gap_tolerance
    assert certificate.proves_non_optimality == (certificate.max_violation > beta + certificate.violation_tolerance)


@settings(ROBUST, max_examples=80)
@given(case=network_problems(), patterns=st.sampled_from(["exact", "sample"]))
def test_dual_certificate(case, patterns, tally):
    network, X, y, beta, loss = case
    classify(tally, "dual_certificate",
             lambda: dual_certificate(network, X, y, beta, patterns=patterns, loss=loss, n_patterns=50,
                                      random_state=0),
             names=PROBLEM_NAMES,
             check=lambda certificate, warned: check_certificate(network, X, y, beta, loss, certificate))


# ------------------------------------------------------------------------------ optimal set
def check_regime(optimal, widths, m):
    regime = staircase_regime(optimal, m)
    assert regime.width == m and regime.widths == widths
    if optimal.is_zero:
        assert regime.connected and regime.finite
        return
    assert regime.optimal == (m >= widths.m_star)
    if not regime.optimal:
        assert not (regime.finite or regime.connected or regime.isolated_point_exists)
        return
    assert regime.finite == (m == widths.m_star)
    assert regime.nontrivial_component == (m >= widths.m_star + 1)
    assert regime.no_isolated_point == (not regime.isolated_point_exists)
    if m in (widths.m_star, widths.M_star):
        assert regime.isolated_point_exists
    if m >= widths.M_star + 1:
        assert regime.no_isolated_point
    assert regime.connected == (m >= widths.connected_from)


def check_optimal_set(X, y, beta, loss, fit_intercept, optimal, warned):
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    assert np.isfinite(optimal.objective)
    network = optimal.network(optimal.coefficients)
    assert network.objective(X, y, beta, loss) == pytest.approx(optimal.objective, rel=1e-9, abs=1e-12)
    if warned:
        return
    # a certified gap: relative to the objective, plus the float64 rounding scale of these data
    rounding = network_rounding_scales(network, network.augment(X), y, beta)[1]
    assert abs(optimal.duality_gap) <= optimal.tol * abs(optimal.objective) + rounding
    assert optimal.polytope.contains(optimal.coefficients, atol=1e-6)
    assert np.allclose(optimal.columns @ optimal.coefficients, optimal.fit, rtol=1e-8,
                       atol=1e-8 * max(1.0, np.linalg.norm(optimal.fit)))
    certificate = dual_certificate(network, X, y, beta, loss=loss, tol=1e-5)
    assert certificate.is_global_minimum
    try:
        widths = critical_widths(optimal)
    except ValueError as error:  # the vertex enumeration is refused, naming the way out
        assert "max_subsets" in str(error) and "min_width" in str(error)
        return
    assert 0 <= widths.m_star <= widths.M_star <= n and widths.n_plus_1 == n + 1
    for m in range(0, n + 3):
        check_regime(optimal, widths, m)
    width = max(widths.m_star, 1)
    random = optimal.random_network(width, random_state=0)
    assert random.width == width
    assert random.objective(X, y, beta, loss) == pytest.approx(optimal.objective, rel=1e-7, abs=1e-10)
    if loss == "squared":  # the estimator with every pattern: above the optimum by at most its certified gap
        model = ConvexReLURegressor(beta=beta, patterns="exact", fit_intercept=fit_intercept, solver="cvxpy")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(X, y)
        if model.solver_status_ == "optimal" and not any(issubclass(w.category, ConvergenceWarning) for w in caught):
            slack = 1e-9 * abs(optimal.objective) + rounding
            assert optimal.objective <= model.objective_ + slack
            assert model.objective_ - optimal.objective <= max(model.duality_gap_, 1e-5 * abs(optimal.objective)) + slack


@settings(ROBUST, max_examples=50)
@given(case=problems(), fit_intercept=st.booleans())
def test_optimal_set_and_the_staircase(case, fit_intercept, tally):
    X, y, beta, loss = case
    classify(tally, "optimal_set",
             lambda: optimal_set(X, y, beta, fit_intercept=fit_intercept, loss=loss),
             names=PROBLEM_NAMES,
             check=lambda optimal, warned: check_optimal_set(X, y, beta, loss, fit_intercept, optimal, warned),
             allow_runtime_error=True)


@settings(ROBUST, max_examples=10)
@given(data=st.data())
def test_connecting_path_between_optimal_networks(data, tally):
    X = data.draw(design_matrices(max_n=4, max_d=1))
    y = data.draw(regression_targets(X.shape[0]))
    beta = data.draw(exponents(-2, 1))

    def connect():
        optimal = optimal_set(X, y, beta)
        width = critical_widths(optimal).connected_from + 1
        theta0, theta1 = optimal.random_network(width, 0), optimal.random_network(width, 1)
        return optimal, connecting_path(optimal, theta0, theta1, n_points=4)

    def check(result, warned):
        optimal, path = result
        objectives = path.objectives(np.asarray(X, float), y, beta)
        assert np.allclose(objectives, optimal.objective, rtol=1e-6, atol=1e-10)

    classify(tally, "connecting_path", connect, names=PROBLEM_NAMES, check=check, allow_runtime_error=True)


# ------------------------------------------------------------------------------ stationarity
def check_stationarity(network, X, y, beta, loss, report):
    objective = network.objective(np.asarray(X, float), y, beta, loss)
    scale = scale_of(objective)
    assert report.classification in ("global", "spurious", "not stationary")
    assert report.is_global_minimum == (report.classification == "global")
    assert report.is_stationary == (report.classification != "not stationary")
    assert report.objective == pytest.approx(objective, rel=1e-12, abs=1e-300)
    assert report.subsampled_optimum <= objective + 1e-9 * scale
    assert report.polish_objective_change >= -1e-9 * scale
    assert report.polished.width == network.width
    if report.is_global_minimum:
        assert report.certificate.is_global_minimum


@settings(ROBUST, max_examples=40)
@given(case=network_problems())
def test_stationarity(case, tally):
    network, X, y, beta, loss = case
    classify(tally, "stationarity", lambda: stationarity(network, X, y, beta, loss), names=PROBLEM_NAMES,
             check=lambda report, warned: check_stationarity(network, X, y, beta, loss, report),
             allow_runtime_error=True)


@settings(ROBUST, max_examples=30)
@given(case=network_problems())
def test_polish(case, tally):
    network, X, y, beta, loss = case

    def check(polished, warned):
        X_float = np.asarray(X, float)
        before = network.objective(X_float, y, beta, loss)
        assert polished.width == network.width
        assert polished.objective(X_float, y, beta, loss) <= before + 1e-9 * scale_of(before)

    classify(tally, "polish", lambda: polish(network, X, y, beta, loss), names=PROBLEM_NAMES, check=check,
             allow_runtime_error=True)


# ------------------------------------------------------------------------------ pruning
def check_pruned(network, X, y, beta, loss, pruned):
    X = np.asarray(X, float)
    before = network.objective(X, y, beta, loss)
    prediction = network.predict(X)
    assert np.allclose(pruned.predict(X), prediction, rtol=1e-6, atol=1e-9 * max(1.0, np.abs(prediction).max(initial=0)))
    assert pruned.objective(X, y, beta, loss) <= before + 1e-9 * scale_of(before)
    assert pruned.width <= X.shape[0]
    assert independent_fits(pruned, X)


@settings(ROBUST, max_examples=80)
@given(case=network_problems())
def test_prune(case, tally):
    network, X, y, beta, loss = case
    classify(tally, "prune", lambda: prune(network, X, y, beta, loss), names=PROBLEM_NAMES,
             check=lambda pruned, warned: check_pruned(network, X, y, beta, loss, pruned))


# ------------------------------------------------------------------------------ paths
def check_path(start, X, y, beta, loss, path, warned):
    X = np.asarray(X, float)
    start_objective = start.objective(X, y, beta, loss)
    objectives = path.objectives
    assert objectives[0] == pytest.approx(start_objective, rel=1e-12, abs=1e-300)
    assert np.all(np.diff(objectives) <= 1e-8 * scale_of(start_objective))
    assert path.width == start.width and all(network.width == start.width for network in path.networks)
    for network, objective in zip(path.networks[:: max(1, len(path.networks) // 5)], objectives[:: max(1, len(path.networks) // 5)]):
        assert network.objective(X, y, beta, loss) == pytest.approx(objective, rel=1e-12, abs=1e-300)
    if not warned:
        end = dual_certificate(path.networks[-1], X, y, beta, loss=loss, tol=1e-5)
        assert end.max_violation <= beta * (1 + 1e-5)


@settings(ROBUST, max_examples=25)
@given(case=network_problems(max_n=5), unpadded=st.integers(0, 4))
def test_nonincreasing_path(case, unpadded, tally):
    network, X, y, beta, loss = case
    start = network if unpadded == 4 else network.padded(max(network.width, np.shape(X)[0] + 1))
    classify(tally, "nonincreasing_path",
             lambda: nonincreasing_path(start, X, y, beta, n_points=3, loss=loss),
             names=PROBLEM_NAMES + ("padded",),
             check=lambda path, warned: check_path(start, X, y, beta, loss, path, warned),
             allow_runtime_error=True)


# ------------------------------------------------------------------------------ small helpers
@settings(ROBUST, max_examples=40)
@given(case=network_problems(), data=st.data())
def test_split_path_and_permutation_distance(case, data, tally):
    network, X, y, beta, loss = case
    m = network.width + 2
    padded = network.padded(m)
    if data.draw(st.integers(0, 3)) < 3:  # mostly a valid split of a neuron over the free last slot
        j, free_slot = data.draw(st.integers(0, m - 2)), m - 1
    else:
        j, free_slot = data.draw(st.integers(-1, m)), data.draw(st.integers(-1, m))

    def check(path, warned):
        X_float = np.asarray(X, float)
        if network.n_features == X_float.shape[1]:
            objectives = path.objectives(X_float, y, beta, loss)
            assert np.allclose(objectives, objectives[0], rtol=1e-12, atol=1e-12 * scale_of(objectives[0]))
        permuted = ReLUNetwork.from_augmented(path.networks[-1].augmented_weights[::-1],
                                              path.networks[-1].output_weights[::-1], network.hidden_bias is not None)
        assert permutation_distance(path.networks[-1], permuted) == pytest.approx(0.0, abs=1e-12)

    classify(tally, "split_path", lambda: split_path(padded, j, free_slot, n_points=3),
             names=("j", "free_slot", "network"), check=check)


def test_critical_widths_and_staircase_refuse_what_is_not_an_optimal_set(tally):
    optimal = optimal_set(np.array([[0.0], [1.0]]), np.array([1.0, 2.0]), 0.1)
    for call, names in [(lambda: critical_widths("not a set"), ("optimal_set",)),
                        (lambda: staircase_regime(None, 1), ("optimal_set",)),
                        (lambda: staircase_regime(optimal, -1), ("m",)),
                        (lambda: staircase_regime(optimal, 1.5), ("m",)),
                        (lambda: staircase_regime(optimal, True), ("m",))]:
        outcome, _ = classify(tally, "staircase arguments", call, names=names,
                              check=lambda *_: pytest.fail("accepted"))
        assert outcome == "refused"


def test_sparse_and_dataframe_inputs(tally):
    import scipy.sparse as sp

    X, y = np.array([[0.0], [1.0], [2.0]]), np.array([1.0, 0.0, 2.0])
    network = ReLUNetwork(np.array([[1.0]]), np.array([1.0]), np.array([0.0]))
    for call in [lambda: dual_certificate(network, sp.csr_matrix(X), y, 0.1),
                 lambda: optimal_set(sp.csr_matrix(X), y, 0.1),
                 lambda: stationarity(network, sp.csr_matrix(X), y, 0.1),
                 lambda: prune(network, sp.csr_matrix(X), y, 0.1)]:
        with pytest.raises(TypeError, match="Sparse data was passed for X"):
            call()
        tally.record("sparse X (landscape)", "refused")
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame(X, columns=["x"])
    assert dual_certificate(network, frame, pandas.Series(y), 0.1).gap == dual_certificate(network, X, y, 0.1).gap
    assert optimal_set(frame, y, 0.1).objective == pytest.approx(optimal_set(X, y, 0.1).objective, rel=1e-12)
    tally.record("dataframe (landscape)", "correct")
