"""Regressions found by the robustness sweep: certificates that contradicted the status, a hang, silent broadcasting."""

import re
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import sklearn_convexnn.convex.solvers.cvxpy_backend as cvxpy_backend
from sklearn_convexnn import (ConvexProgram, ConvexReLUClassifier, ConvexReLURegressor, ReLUNetwork, critical_widths,
                              dual_certificate, enumerate_patterns, nonincreasing_path, optimal_set,
                              staircase_regime)
from sklearn_convexnn.arrangements import add_intercept
from sklearn_convexnn.convex.dual import dual_constraint
from sklearn_convexnn.network import GatedReLUNetwork

#: 20 x 3 data on which solve("auto") on the gated program fell back to the interior point after 8 slow rounds (a
#: sparse support now keeps column generation; the test below forces the fallback)
FALLBACK_X = np.array([[ 0.8296500438770543  , -1.3316930541368805  , -1.596640194138264   ],
 [-0.5289915838033439  , -0.16649627268735573 ,  1.3627298000453316  ],
 [-0.5101922888180698  ,  0.007938298134427212,  0.05843642180547081 ],
 [ 0.546842274726036   , -0.32359602571397195 ,  0.9721662674107839  ],
 [ 0.5626394154673542  , -0.08045974691288835 ,  0.10237605912897366 ],
 [ 0.40310345948306237 , -0.6805566980510529  , -0.9222769489351926  ],
 [-0.04668039370771087 ,  1.3734783087334728  ,  0.16485322899871313 ],
 [-1.5860838739468963  ,  1.9554475032406913  ,  0.9628897272751963  ],
 [ 1.0991411961803743  ,  1.4176780354501695  , -0.7765181064073807  ],
 [ 0.3865148819623707  , -0.4933729801610087  ,  1.139373671008177   ],
 [ 0.5553419739021378  , -1.262547923116205   ,  0.07207010087783058 ],
 [ 0.24302209376344927 , -0.08512047288587991 ,  0.913974255915969   ],
 [-0.6735275214721479  , -0.9346123398066394  , -0.2457281236739807  ],
 [ 0.                  ,  0.                  ,  0.                  ],
 [ 1.2561922373293937  , -0.8184746894694961  ,  0.43089854316470294 ],
 [-0.9852201336186357  ,  0.05622224257697549 ,  0.428419110277216   ],
 [ 0.9545674708458316  ,  1.0950135007277781  , -0.8811517886417596  ],
 [-0.30844362634265393 ,  1.5009649544547543  , -1.4287674392683176  ],
 [ 0.9511245345339118  , -0.4114188464660563  ,  0.7204890872830582  ],
 [-0.07626074280934353 ,  0.41481916963399373 , -0.4913268037814328  ]])
FALLBACK_Y = np.array([  70.11433864814455 , -116.71298617611087 ,    8.671995421497522, -134.67070255931216 ,   63.96665331412314 ,
   35.75257239703017 ,   -5.330080486727934,  -83.70522893865538 , -122.71521828545798 ,  -33.87880646059076 ,
  -51.543473622319304, -100.47086620637688 ,   28.895275600132226,   65.04980453395353 , -227.18513726686814 ,
   18.536488140992226,   83.09870157306558 ,  102.79694167960682 ,  146.50391406282776 ,  -86.75494221503843 ])
FALLBACK_BETA = 0.004798210439801899


def test_the_interior_point_fallback_takes_only_significant_blocks_and_finishes(monkeypatch):
    """The fallback once took every block of the interior point (all non-zero, 2319 of them, of rank <= 20) as
    columns, and the master's active-set method ran for minutes; now it finishes at cg's optimum. (With 17 of the 2319
    blocks on the support after 8 rounds, the fallback no longer fires here on its own: it is forced.)"""
    from sklearn_convexnn.convex.solvers import column_generation

    monkeypatch.setattr(column_generation, "FALLBACK_ACTIVE_BLOCKS", 0.0)
    X = add_intercept(FALLBACK_X)
    program = ConvexProgram(X, FALLBACK_Y, FALLBACK_BETA, enumerate_patterns(X), activation="gated")
    calls = []
    reference = cvxpy_backend.solve_cvxpy

    def counted(*args, **kwargs):
        calls.append(1)
        return reference(*args, **kwargs)

    monkeypatch.setattr(cvxpy_backend, "solve_cvxpy", counted)
    auto = program.solve("auto")
    assert calls  # the fallback ran
    cg = program.solve("cg")
    assert auto.status == cg.status == "optimal"
    assert auto.objective == pytest.approx(cg.objective, rel=1e-8)


def test_a_native_solver_never_calls_a_large_target_problem_optimal_above_its_tolerance():
    """Targets far above unit scale are solved as y / s; the stopping floor max(1, |F|) now means 1 in the user's
    units (1 / s**2 on the rescaled program), so "optimal" certifies relative_gap <= tol on the user's program."""
    rng = np.random.default_rng(4)
    X = add_intercept(rng.standard_normal((8, 2)))
    y = rng.standard_normal(8) * 1e5
    program = ConvexProgram(X, y, 1e-4, enumerate_patterns(X))
    scale = float(np.max(np.abs(y)))
    assert program._rescaled(scale).gap_tolerance(1e-8, 0.0) == pytest.approx(1e-8 / scale**2)
    assert program.gap_tolerance(1e-8, 0.0) == 1e-8
    small = ConvexProgram(X, y * 1e-9, 1e-13, enumerate_patterns(X))
    rescaled = small._rescaled(float(np.max(np.abs(y * 1e-9))))  # its zero network: 0.5 ||y / s||^2 < 1
    assert rescaled.gap_tolerance(1e-8, 0.5) == pytest.approx(1e-8 * max(0.5, 0.5 * float(rescaled.y @ rescaled.y)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        solution = program.solve("cg")  # it stalls on this weakly regularized problem (it said "optimal" at 0.96)
    assert solution.status == "optimal" or any(issubclass(w.category, ConvergenceWarning) for w in caught)
    if solution.status == "optimal":
        assert solution.relative_gap <= 1e-8
    # the returned blocks carry the master's prediction: the certificate agrees with the solver's last pricing (on
    # this nearly interpolating problem it said 0.12 when two patterns' columns on their shared face were merged)
    assert solution.relative_gap <= 1e-4


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_the_relative_gap_of_small_targets_is_relative_to_their_size(loss):
    """The gap's scale is max(|F|, min(1, L(0))), L(0) the zero network's objective: for targets with L(0) < 1 the
    relative gap of a point no longer changes with their units (it was gap / max(1, |F|), an absolute gap: targets
    of 1e-2 on thin cones ended "optimal" at a gap equal to F = 3.2e-5 without a warning, and warned with y and
    beta x 1e4). Problems with L(0) >= 1 keep the floor 1; the logistic loss (L(0) = n log 2) is unchanged."""
    from sklearn_convexnn.convex.program import gap_scale

    rng = np.random.default_rng(7)
    X = add_intercept(rng.standard_normal((12, 2)))
    arrangement = enumerate_patterns(X)
    y = np.sign(rng.standard_normal(12)) if loss == "logistic" else 0.05 * rng.standard_normal(12)
    zero = np.zeros((arrangement.n_patterns, 3))
    if loss == "logistic":
        solution = ConvexProgram(X, y, 0.3, arrangement, loss=loss).solution(zero, zero)
        assert solution.zero_network_objective == pytest.approx(12 * np.log(2.0))
        assert solution.relative_gap == solution.duality_gap / max(1.0, abs(solution.objective))
        return
    gaps = []
    for s in (1.0, 1e-3, 1e-6):
        program = ConvexProgram(X, s * y, 0.01 * s, arrangement)
        solution = program.solution(zero, zero)  # the zero network: F = L(0) < 1, gap > 0
        assert solution.zero_network_objective == pytest.approx(0.5 * s * s * float(y @ y), rel=1e-12)
        assert solution.duality_gap > 0
        gaps.append(solution.relative_gap)
        assert program.gap_tolerance(1e-8, 0.0) == pytest.approx(1e-8 * solution.zero_network_objective, rel=1e-12)
    np.testing.assert_allclose(gaps, gaps[0], rtol=1e-9)
    assert gap_scale(5.0, 0.5) == 5.0 and gap_scale(0.1, 0.5) == 0.5 and gap_scale(0.1, 3.0) == 1.0


def test_the_extensions_relative_gaps_use_the_same_scale_as_the_two_layer_program():
    """Three-layer and vector-output solutions measure their gaps on max(|F|, min(1, L(0))) too (they were
    gap / max(1, |F|): an absolute gap for small targets). With targets x 1e-3 (L(0) < 1) the scale is L(0) =
    1/2 ||y||^2, recomputed here from the data, not from the solution."""
    from sklearn_convexnn.extensions.three_layer import ThreeLayerProgram
    from sklearn_convexnn.extensions.vector_output import VectorOutputProgram

    rng = np.random.default_rng(3)
    X = add_intercept(rng.uniform(-1, 1, (6, 1)))
    y = 1e-3 * np.sin(3 * X[:, 0])
    Y = np.column_stack([y, 1e-3 * np.abs(X[:, 0])])
    arrangement = enumerate_patterns(X)
    solutions = [(ThreeLayerProgram(X, y, 5e-5).solve(), 0.5 * float(y @ y)),
                 (VectorOutputProgram(X, Y, 1e-4, arrangement, activation="gated").solve(), 0.5 * float(np.sum(Y * Y))),
                 (VectorOutputProgram(X, Y, 1e-4, arrangement, activation="relu", level=1).solve(),
                  0.5 * float(np.sum(Y * Y)))]
    for solution, zero_objective in solutions:
        assert solution.objective < zero_objective < 1.0
        gap = getattr(solution, "duality_gap", getattr(solution, "gap", None))
        assert solution.relative_gap == pytest.approx(gap / zero_objective, rel=1e-12)


def test_an_optimal_status_that_the_certificate_contradicts_becomes_inaccurate():
    """Clarabel reports "optimal" by its own scaled criteria; here at a point outside its cones (a negative duality
    gap, -7e-7 relative). The status becomes "inaccurate", with a ConvergenceWarning; cg certifies the optimum."""
    X = add_intercept(np.array([[-0.1, -0.2896338], [-0.1, -0.28238812]]))
    program = ConvexProgram(X, np.array([-1.0, 1.0]), 1e-4, enumerate_patterns(X))
    with pytest.warns(ConvergenceWarning, match="certified relative duality gap"):
        interior = program.solve("cvxpy")
    assert interior.status == "inaccurate"
    assert interior.relative_gap < -1e-8
    native = program.solve("cg")
    assert native.status == "optimal" and 0 <= native.relative_gap <= 1e-8


def test_the_estimators_gap_is_the_gap_of_the_returned_network():
    """The estimator drops negligible blocks; its duality_gap_ is objective_ minus the program's lower bound, so
    objective_ - duality_gap_ stays below the optimum (one sample: a soft threshold along x, in closed form)."""
    X = np.array([[2.35184691e8, 2.35184691e8]])
    y = np.array([23.51846911])
    beta = 1.9
    norm = np.linalg.norm(add_intercept(X))
    optimum = 0.5 * (beta / norm) ** 2 + beta * (y[0] - beta / norm) / norm
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = ConvexReLURegressor(beta=beta, patterns="exact", solver="cvxpy").fit(X, y)
    assert model.objective_ >= optimum * (1 - 1e-9)
    assert model.objective_ - model.duality_gap_ <= optimum * (1 + 1e-9)


def test_objectives_refuse_targets_of_another_shape():
    """A (n, 1) target against an (n,) prediction once broadcast to an (n, n) residual in the gated network."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((11, 3))
    gated = GatedReLUNetwork(rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4))
    y = rng.standard_normal(11)
    assert np.isfinite(gated.objective(X, y, 0.1))
    with pytest.raises(ValueError, match="shape"):
        gated.objective(X, y[:, None], 0.1)
    relu = ReLUNetwork(rng.standard_normal((4, 3)), rng.standard_normal(4))
    with pytest.raises(ValueError, match="shape"):
        relu.objective(X, y[:, None], 0.1)


def test_the_worst_direction_is_a_unit_vector_on_tiny_data():
    """Its normalisation once underflowed (norm 1.0058 on entries of 3e-156)."""
    network = ReLUNetwork(np.array([[0.0]]), np.array([0.0]))
    X = np.array([[-3.16165748e-156], [-3.16165748e-156]])
    certificate = dual_certificate(network, X, np.array([1e-6, 1e-6]), 1000.0, patterns="exact")
    assert np.linalg.norm(certificate.worst_direction) == pytest.approx(1.0, abs=1e-12)


def test_a_path_on_extreme_data_descends_without_numpy_warnings():
    """Newton's absurd trial steps on this flat logistic problem (|x| ~ 2.7e6, beta = 1e-7) overflowed with ~65
    RuntimeWarnings; they are rejected by the solver's finiteness tests, and the path still never rises."""
    network = ReLUNetwork(np.array([[1.07498422, 8.21412987e-2, -8.97709554e-1],
                                    [-2.31779178e-7, -2.05543013e-1, -1.92101354e-268],
                                    [-1.03489377e-73, -1.24077970, 1.02682946]]),
                          np.array([-1.4029329, -1.4726433, 1.61189774]),
                          hidden_bias=np.array([1.32582659e-172, 1.45822850, -6.55844550e-2]))
    X = np.array([[-2.2250738585072014e-302, -2389097.930606064, -2.2250738585072014e-302],
                  [-2756765.2114698635, 1.0, -2756765.2114698635]])
    y = np.array([-1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)  # (its restricted program is not verified: said, honestly)
        path = nonincreasing_path(network, X, y, 1e-7, loss="logistic")
    objectives = np.asarray(path.objectives)
    assert np.all(np.diff(objectives) <= 1e-9 * max(1.0, objectives[0]))
    assert objectives[-1] < objectives[0]


#: 12 samples of size ~1e-6 with labels; beta = 1e-6: 2246 interior-point blocks of about the same size
LOGISTIC_X = np.array([[ 2.0617056996753498e-07,  1.6107419883937894e-06, -6.3610154971222632e-07,  4.1307555692114379e-07],
                       [ 6.4370859633906806e-07, -1.8597873627095439e-06, -1.0163188928166868e-06,  3.1677940962603527e-08],
                       [-1.2148666099064334e-06, -1.4026328958842475e-06,  6.0268527098064011e-07,  8.0100453506943740e-07],
                       [-5.7074975476526574e-07,  8.4419795246060665e-07, -1.3627889788764315e-06, -4.7027330635611077e-07],
                       [ 4.6927179077755661e-07, -1.3609555174501157e-06, -1.1804482289548611e-06,  1.2906658893282244e-06],
                       [ 7.6092948074353779e-07,  1.3234980226224243e-06,  1.1151885487169826e-06,  2.0206751518450049e-06],
                       [ 1.0279570126578537e-06, -1.0184807169633261e-06, -4.9403556446195800e-07, -2.2702187838436369e-07],
                       [-3.7823128202353339e-07, -8.8233593688424175e-07, -1.0093090525874022e-07, -5.4018171522390785e-07],
                       [-4.0317588960514385e-07, -1.2405854182608424e-06,  5.0050421038649286e-08,  1.9931267710731123e-08],
                       [ 7.2650194428804691e-07,  1.4833319527758715e-07,  1.3737158632902343e-06,  2.1182145292170899e-06],
                       [ 1.1523336536088148e-06,  1.6617216919670214e-06,  2.7957353510782980e-07,  9.9813919367664486e-07],
                       [ 1.2222652664512063e-06, -7.8707234997842313e-07, -1.1099804429896753e-07, -8.3436502229999331e-07]])
LOGISTIC_Y = np.array([-1., -1., -1., 1., -1., -1., 1., -1., -1., -1., -1., -1.])


def test_the_fallback_starts_its_master_from_zero_when_it_has_more_columns_than_samples():
    """All 2246 blocks of the interior point were significant; the master's active-set method started from them
    solved 2246-column systems (over 10 minutes). From zero it takes seconds, and auto is no worse than cg."""
    X = add_intercept(LOGISTIC_X)
    program = ConvexProgram(X, LOGISTIC_Y, 1e-6, enumerate_patterns(X), loss="logistic")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # both stop "inaccurate" on this nearly unregularized data
        auto = program.solve("auto")
        cg = program.solve("cg")
    assert auto.objective <= cg.objective * (1 + 1e-9)


def test_the_optimal_set_stays_bounded_when_a_direction_is_below_the_rank_tolerance():
    # a direction of size ~1e-8 falls out of the rank-truncated equalities; without the row 1'c = Sigma the LPs
    # max c_j over the optimal set were unbounded along it
    X = np.array([[-3.5917204982671358e-177, 1e-8], [99.155017894020062, 1e-8], [108.19450872989655, 1e-8],
                  [-1.2625359198687802e-118, 1e-8], [-287.78508183108636, 1e-8]])
    y = np.array([-1.0, 1.0, 1.0, -1.0, -1.0])
    optimal = optimal_set(X, y, 1e-8, fit_intercept=False, loss="logistic")
    largest = optimal.polytope.maximal_coordinates()
    assert np.all(largest <= optimal.polytope.coefficient_sum * (1 + 1e-6))
    assert np.all(largest >= optimal.coefficients - 1e-6 * optimal.polytope.coefficient_sum)
    widths = critical_widths(optimal)
    assert 1 <= widths.m_star <= widths.M_star <= optimal.n_directions


def test_the_zero_optimal_set_of_subnormal_targets_is_certified_within_its_rounding():
    # F = y^2/2 = 1.3e-318 is subnormal: its rounding is absolute (2^-1074), not relative, and the gap 5e-324
    # exceeded a rounding scale that had underflowed to 0
    from sklearn_convexnn.landscape.certificate import network_rounding_scales

    X, y = np.array([[0.0]]), np.array([1.60692198e-159])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        optimal = optimal_set(X, y, 1.0, fit_intercept=False)
    network = optimal.network(optimal.coefficients)
    rounding = network_rounding_scales(network, network.augment(X), y, 1.0)[1]
    assert optimal.objective == pytest.approx(0.5 * y[0] ** 2, abs=1e-323)
    assert 0 < rounding < 1e-320
    assert abs(optimal.duality_gap) <= optimal.tol * abs(optimal.objective) + rounding


def test_multiclass_probabilities_stay_finite_where_every_sigmoid_underflows():
    X = np.array([[0.126, -0.132], [0.640, 0.105], [-0.536, 0.362], [1.304, 0.947], [-0.704, -1.265],
                  [-0.623, 0.041], [-2.325, -0.219], [-1.246, -0.732], [-0.544, -0.316], [0.412, 1.043],
                  [-0.129, 1.366], [-0.665, 0.352]])
    y = np.array([0, 1, 2] * 4)
    model = ConvexReLUClassifier(loss="logistic", beta=1e-2, random_state=0).fit(X, y)
    near, far = X[:3], np.array([[1e4, 0.0], [3e4, 1e3]])
    scores = model.decision_function(far)
    assert np.all(scores < -745)  # expit(score) is exactly 0 for every class
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = model.predict_proba(np.vstack([near, far]))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(np.argmax(proba, axis=1), np.argmax(model.decision_function(np.vstack([near, far])),
                                                                      axis=1))
    expit = 1.0 / (1.0 + np.exp(-model.decision_function(near)))  # where nothing underflows: the plain formula
    np.testing.assert_allclose(proba[:3], expit / expit.sum(axis=1, keepdims=True), rtol=1e-12)


@pytest.mark.parametrize("scale", [1e-165, 1e155])
def test_patterns_and_dual_values_do_not_depend_on_the_scale_of_the_data(scale):
    # squared norms of rows below 1e-154 underflowed (every row "zero": one pattern, exhaustive) and above 1e154
    # overflowed (an SVD failure); the dual values of 1e-165 data underflowed to 0 and certified the zero network
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 1.0], [2.0, 3.0], [-1.0, -2.0]])
    y = np.array([1.0, -2.0, 0.5, 3.0, 1.0])
    arrangement = enumerate_patterns(X)
    np.testing.assert_array_equal(enumerate_patterns(scale * X).masks, arrangement.masks)
    nu = y - 0.3
    values = dual_constraint(nu, X, arrangement.masks).values
    np.testing.assert_allclose(dual_constraint(nu, scale * X, arrangement.masks).values / scale, values, rtol=1e-12,
                               atol=1e-12 * values.max())


def test_a_network_that_is_not_optimal_on_tiny_data_is_not_certified():
    X = 1e-165 * np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 1.0], [2.0, 3.0], [-1.0, -2.0]])
    y = np.array([1.0, -2.0, 0.5, 3.0, 1.0])
    zero = ReLUNetwork(np.zeros((1, 2)), np.zeros(1))
    certificate = dual_certificate(zero, X, y, 1e-166)
    assert not certificate.is_global_minimum
    assert certificate.relative_violation == pytest.approx(
        dual_certificate(zero, 1e165 * X, y, 1e-1).relative_violation, rel=1e-10)


def test_the_path_from_a_certified_optimum_on_large_features_ends_at_once():
    # V/beta - 1 = 1.2e-6 is inside the certificate's tolerance (the rounding of V on features ~1e10) but was above
    # G1's own stop test 1e-7: it added a neuron whose best step is 0 and raised
    X = np.array([[1.0357059696749790e+10], [1.0222299998806967e+10], [8.4968125440785494e+09]])
    y = np.array([-0.02250231634692502, -0.2753626733041117, 0.414805486552268])
    beta = 35.48892849687176
    optimal = optimal_set(X, y, beta)
    network = optimal.network(optimal.coefficients)
    assert dual_certificate(network, X, y, beta).is_global_minimum
    path = nonincreasing_path(network.padded(X.shape[0] + 1), X, y, beta)
    np.testing.assert_allclose(path.objectives, optimal.objective, rtol=1e-9)


def test_the_vertices_agree_with_the_lps_on_nearly_parallel_directions():
    # the two directions' columns differ by 3e-9 relative: the support {0} reproduced the fit within the residual
    # tolerance, so vertices() gave three points while the LPs found the set a single point (is_unique, M* = 1)
    X, y = np.array([[0.0], [70156.3058]]), np.array([2.5, 0.42500124])
    optimal = optimal_set(X, y, 1e4)
    assert optimal.is_unique
    vertices = optimal.vertices()
    assert len(vertices) == 1 and optimal.polytope.contains(vertices[0])
    np.testing.assert_allclose(vertices[0], optimal.coefficients, rtol=1e-9, atol=1e-9 * vertices[0].sum())
    assert optimal.vertex_support_sizes == (optimal.max_width,) == (1,)
    assert staircase_regime(optimal, optimal.max_width + 1).no_isolated_point


@pytest.mark.parametrize("scale", [1e-200, 1e-10, 1e30])
def test_the_native_solver_is_invariant_to_the_scale_of_the_data(scale):
    # (cX, c beta) is the same program at u / c; cg stalled 10x above the optimum for c <= 1e-30 ('inaccurate'),
    # 1e-7 above it at 1e-10, and its objective overflowed at 1e-200
    rng = np.random.default_rng(0)
    X0 = rng.standard_normal((30, 3))
    y = np.sin(X0 @ [1.0, -1.0, 0.5]) + 0.1 * rng.standard_normal(30)
    X = add_intercept(X0)
    arrangement = enumerate_patterns(X)
    reference = ConvexProgram(X, y, 0.1, arrangement).solve("cg")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solution = ConvexProgram(scale * X, y, 0.1 * scale, arrangement).solve("cg")
    assert solution.status == "optimal" and solution.relative_gap <= 1e-8
    assert solution.objective == pytest.approx(reference.objective, rel=1e-9)
    np.testing.assert_allclose(solution.prediction, reference.prediction, atol=1e-6)


def test_the_three_layer_program_reports_an_inaccurate_end_once():
    from sklearn_convexnn.extensions.three_layer import ThreeLayerProgram

    X = np.array([[-31.06716686162279, 16.355184953049793], [223.9127625965642, 84.73238939017958],
                  [-22.954119691191277, -104.8365685957011], [25.92026314676787, 28.52204149160379]])
    y = np.array([-1.0, 1.0, 1.0, -1.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        solution = ThreeLayerProgram(X, y, 0.004317126442447268, loss="logistic").solve()
    assert solution.status == "inaccurate"  # Clarabel's 'optimal_inaccurate' on these data
    assert [w.category for w in caught] == [ConvergenceWarning]


def test_projections_onto_thin_cones_are_exact_relative_to_the_projection():
    # features ~1e-6 next to the ones column: the cones are thin, the projections ~1e-7 of |g| ~ 0.1. A row
    # tolerance relative to |g| ended them 4% above the projection, and the certificate "proved" a network
    # optimal to 1e-7 non-optimal
    from scipy.optimize import nnls

    X = np.array([[9.0725798764506508e-07, 3.9194299437787046e-07, -1.1654594062976698e-06, -6.6855045913901516e-07],
                  [1.5487779943803874e-06, 4.3053202802435741e-07, 8.3098291774776496e-07, 1.9211629222664712e-07],
                  [-1.1275983751907158e-06, -9.2648348065645558e-08, -1.4521621709854989e-07, 4.2267256971990422e-07],
                  [-6.4180846624150894e-07, 1.2581091595584505e-07, 2.5837166443453209e-07, -5.3304081827910410e-07]])
    y = np.array([1.0, -1.0, -1.0, 1.0])
    beta = 1.2137779089312435e-07
    hidden = np.array([[-2.0955087950040922e+02, 2.4710391986447260e+02, -4.3693640985272424e+02,
                        -2.2400946603527500e+03, 1.0116531161759846e-03],
                       [2.2755891136947525e+01, -2.6840284323740967e+01, 4.7456684485496538e+01,
                        2.4330999478086827e+02, 1.2399560908378387e-02]])
    network = ReLUNetwork(hidden[:, :4], np.array([2305.1918427559763, -250.37995538857953]), hidden[:, 4])
    certificate = dual_certificate(network, X, y, beta, loss="logistic")
    X_aug = add_intercept(X)
    masks = certificate.arrangement.masks
    G = X_aug.T @ (masks * certificate.dual[:, None])
    unit = X_aug / np.linalg.norm(X_aug, axis=1, keepdims=True)
    exact = np.array([[nnls((unit * np.where(masks[:, i], 1.0, -1.0)[:, None]).T, -s * G[:, i])[1]
                       for s in (1.0, -1.0)] for i in range(masks.shape[1])])
    assert certificate.max_violation == pytest.approx(exact.max(), rel=1e-9)
    assert certificate.is_global_minimum and not certificate.proves_non_optimality
    assert certificate.attained_violation == pytest.approx(certificate.max_violation, rel=1e-6)


@pytest.mark.parametrize("scale", [1e-160, 1e200])
def test_merging_neurons_neither_underflows_nor_overflows(scale):
    network = ReLUNetwork(scale * np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0]]), np.array([1.0, 1.0, 3.0]))
    X = np.array([[1.0, 2.0], [-1.0, 3.0], [2.0, -1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        merged = network.merged()
    assert merged.width == 2  # the first and third neurons share a direction and a sign
    np.testing.assert_allclose(merged.predict(X) / scale, network.predict(X) / scale, rtol=1e-12)
    first, second = merged.neuron_norms()
    np.testing.assert_allclose(first, second, rtol=1e-12)  # balanced


def test_the_estimator_fits_tiny_data_as_the_unit_problem():
    # (c X, c beta) is the unit problem at blocks u / c ~ 1e165, whose squared norms overflowed when the fitted
    # neurons were merged
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 1.0], [2.0, 3.0], [-1.0, -2.0]])
    y = np.array([1.0, -2.0, 0.5, 3.0, 1.0])
    reference = ConvexReLURegressor(beta=0.1, patterns="exact", fit_intercept=False).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tiny = ConvexReLURegressor(beta=0.1e-165, patterns="exact", fit_intercept=False).fit(1e-165 * X, y)
    assert tiny.objective_ == pytest.approx(reference.objective_, rel=1e-9)
    np.testing.assert_allclose(tiny.predict(1e-165 * X), reference.predict(X), atol=1e-8)


def test_the_fallback_takes_at_most_a_few_blocks_per_sample_the_largest():
    # an inaccurate interior point of a 20-sample problem (features ~1e5 with the ones column) left all 20142 blocks
    # above SIGNIFICANT_BLOCK; taken as columns they kept solve("auto") busy for minutes (25 s now, cg 9 s of it)
    from sklearn_convexnn.convex.solvers import column_generation

    rng = np.random.default_rng(0)
    u, v = rng.standard_normal((3000, 5)), rng.standard_normal((3000, 5))
    v[::2] = 0.0
    kept_u, kept_v = column_generation._significant_blocks(u, v, 20)
    most = column_generation.FALLBACK_BLOCKS_PER_SAMPLE * 21
    kept = np.concatenate([np.linalg.norm(kept_u, axis=1), np.linalg.norm(kept_v, axis=1)])
    norms = np.concatenate([np.linalg.norm(u, axis=1), np.linalg.norm(v, axis=1)])
    assert np.count_nonzero(kept) == most
    assert kept[kept > 0].min() >= np.sort(norms)[-most]  # the largest ones
    np.testing.assert_array_equal(kept[kept > 0], norms[kept > 0])  # kept whole
    few_u, few_v = column_generation._significant_blocks(u[:10], v[:10], 20)  # fewer than the cap: all kept
    np.testing.assert_array_equal(few_u, u[:10])
    np.testing.assert_array_equal(few_v, v[:10])


def test_the_path_ends_at_a_certified_optimum_whose_violation_gains_less_than_rounding():
    # V/beta - 1 = 2.6e-7 at the start, certified by dual_certificate, above G1's stop 1e-7: the most violating
    # direction gives no decrease in floating point, and G1 raised "numerical trouble"
    X = np.array([[979.5005289270701], [1140.3538912700947], [1144.9539722642976], [955.492183767201],
                  [1069.342377090294], [979.4993256488347], [946.9580787120778], [966.4472051607981]])
    y = np.array([5.140448391256914, -2.739050623163473, -0.7231973992530265, 2.939503515717798,
                  -0.8482324405960597, -22.694445177840738, -7.918033080431414, -12.309880589996908])
    beta = 5.874822935794374
    optimal = optimal_set(X, y, beta)
    network = optimal.network(optimal.coefficients)
    assert dual_certificate(network, X, y, beta).is_global_minimum
    path = nonincreasing_path(network.padded(len(y) + 1), X, y, beta)
    assert np.all(np.diff(path.objectives) <= 1e-8 * path.objectives[0])
    assert path.objectives[-1] <= network.objective(X, y, beta) * (1 + 1e-12)
    assert dual_certificate(path.networks[-1], X, y, beta).is_global_minimum


def test_projections_onto_thin_cones_do_not_depend_on_the_batch():
    # four g in (or next to) the polar cones of thin cones (features ~1e-6 beside the ones column): projected one at a
    # time each was exact (~1e-8); together, three filled all d + 1 active slots with numerically dependent rows
    # (rounding of the batch's products differs) and ended inexact at 0.15, 0.12 and 7e-4 of |g| ~ 15
    from sklearn_convexnn.convex.dual import project_onto_cones

    X = np.array([[7.312409771324865e-07, 7.181866890712946e-07, -2.3666812107140885e-07, -7.89824039282483e-07, 1.0], [-1.6442271510894073e-06, -7.139419964043598e-07, 4.802336185009397e-07, 2.036422863378119e-06, 1.0], [-4.604533367814908e-08, -7.728994604350538e-07, -8.944245001760611e-07, -1.75256059639039e-07, 1.0], [1.2610749031634987e-06, -1.467896150831988e-06, 1.5496776857360316e-06, -1.2312508334446908e-06, 1.0], [1.4484852364966275e-06, 1.8452018108471436e-06, -2.0283836582536852e-06, -4.583655374928227e-07, 1.0], [-1.1144427097071583e-06, -2.1814383909121515e-07, -1.9225961104539894e-06, 6.789404413895796e-07, 1.0], [-7.178879385873413e-07, -7.602968136542389e-07, -2.763307981036611e-08, -3.6004929690074504e-07, 1.0], [-1.3848504751191463e-06, 1.21175763469114e-07, -3.8011432479037036e-08, 4.2816669550844733e-07, 1.0], [1.2810829844652427e-08, -2.425068954385501e-07, 1.0483819774416482e-07, -3.666500292407318e-07, 1.0], [-3.0997500114290266e-07, -7.644450236276678e-07, -3.020334232460763e-06, -1.9408493545837157e-07, 1.0], [-7.952374027356318e-07, 1.6702571798617094e-06, -3.197308826531207e-08, -5.426753188329079e-07, 1.0], [-4.566640895740184e-07, 5.444903944132798e-08, -4.3453976590760255e-07, -4.568383689589772e-08, 1.0], [8.406714792609747e-07, -6.174187704195873e-07, -2.6248945846900623e-07, 8.254049015780753e-08, 1.0], [6.382297834461363e-07, 6.724842623777135e-07, -1.3797272600608916e-06, -8.506785382508644e-08, 1.0]])
    G = np.array([[-1.4469085926120172e-05, -1.26830911084507e-05, -1.968097243843491e-05, 3.0737822676115754e-06], [-3.420825942869387e-05, -3.693867904227972e-05, -2.7241956603852228e-05, -5.9728523853668304e-05], [2.9069113012900896e-05, 2.961048792922817e-05, 2.512107341980455e-05, 4.504492800907952e-05], [8.531560935329736e-06, 9.450272663818508e-06, 8.443259716289536e-06, -1.1094432216867967e-05], [-12.088820752597353, -14.81505207357339, -17.573766672495765, 13.70706195409899]])
    masks = np.array([[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 1], [1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 1], [1, 1, 0, 1], [0, 0, 0, 0], [0, 1, 1, 1], [1, 0, 0, 1], [1, 1, 0, 1], [1, 1, 0, 0]], dtype=bool)
    together = project_onto_cones(G, X, masks)
    assert together.exact.all()
    for b in range(G.shape[1]):
        alone = project_onto_cones(G[:, [b]], X, masks[:, [b]])
        assert alone.exact[0]
        assert abs(together.values[b] - alone.values[0]) <= 1e-8 * np.linalg.norm(G[:, b])


#: (X, y, beta, fit_intercept, network (augmented weights, output weights)) of extreme scales, the network being
#: the optimal set's before it refused them: the landscape functions took plain norms that under- or overflowed there,
#: of blocks ~1e242 (the optimal set's polish), of gradients ~1e190..1e270 (stationarity), and the step search of
#: the path multiplied sizes ~1e240 by objectives ~1e258
EXTREME_LANDSCAPE_CASES = {
    "huge-y": ([[-3.0], [-1.0], [-2.0], [4.0]],
               [-1.0543753773247187e+137, -7.984724259647028e+136, -3.579408226391926e+136, 4.6194865969688614e+136],
               1.597247448332218e-06, False,
               ([[1.0746495471744379e+68], [-1.8278559264921062e+68]],
                [1.0746495471744379e+68, -1.8278559264921062e+68])),
    "tiny-X-huge-y": ([[3e-113, 1e-113]], [4.169408217893746e+129], 2.2302593305135533e-73, False,
                      ([[6.120267635797818e+64, 2.040089211932606e+64]], [6.451328539644995e+64])),
    "tiny-X-huge-y-intercept": ([[-4.361004728667056e-61], [2.6342962259605646e-61], [-1.516555769385245e-60],
                                 [1.723668610878454e-61], [-1.6664007875516268e-61], [8.300632052000993e-61]],
                                [-1.424854038403781e+135, 3.3532434823170747e+134, -5.771559133499096e+134,
                                 4.4439498237839534e+134, 9.51988235684641e+134, 9.245918598986323e+134],
                                2.218110322808377, True,
                                ([[3.77476176726629e+67, 0.0], [-3.77476176726629e+67, 0.0]],
                                 [3.77476176726629e+67, -3.77476176726629e+67])),
}


def _case(cases, name):
    X, y, beta, fit_intercept, (weights, output) = cases[name]
    network = ReLUNetwork.from_augmented(np.array(weights), np.array(output), fit_intercept)
    return np.array(X), np.array(y), beta, network


@pytest.mark.parametrize("case", sorted(EXTREME_LANDSCAPE_CASES))
def test_the_landscape_functions_take_norms_that_neither_underflow_nor_overflow(case):
    from sklearn_convexnn import prune, stationarity

    X, y, beta, network = _case(EXTREME_LANDSCAPE_CASES, case)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)  # objectives below the float64 rounding of these data
        report = stationarity(network, X, y, beta)
        pruned = prune(network, X, y, beta)
        path = nonincreasing_path(network.padded(len(y) + 1), X, y, beta)
    # the gradient of an optimum is zero up to rounding; its norm is finite
    assert 0.0 <= report.gradient_norm < np.inf
    assert np.isfinite(pruned.objective(X, y, beta))
    assert np.all(np.isfinite(path.objectives))
    assert np.all(np.diff(path.objectives) <= 1e-8 * path.objectives[0])


#: (X, y, beta, fit_intercept) with eps |X| |y| >> beta (squared loss)
BELOW_RESOLUTION_CASES = {
    # the polish divided a block of norm 0 (underflowed) by its norm
    "huge-X-tiny-y": ([[-1e+105]], [1.7982991117023496e-63], 755363487450.0901, True),
    # the polish overflowed on blocks ~1e242
    "tiny-X-huge-y": ([[3e-113, 1e-113]], [4.169408217893746e+129], 2.2302593305135533e-73, False),
    # 'optimal' fit 1.9e-48 for y = 8e-97 (nu* = beta / |x| = 1.7e-143 is 1e-47 of y): a wrong optimal set
    "wrong-fit": ([[-8.679084904144031e+143, 9.008448786049193e+143]], [8.046292870390509e-97], 21.299762855176528,
                  True),
    # the fixed-column polish ended 'infeasible_inaccurate' in Clarabel and SCS: a RuntimeError that blamed scaling
    "polish-failed": ([[8.468211482924001e+82], [7.448627570680116e+82]], [21.68987941588575, 6.318091143808399],
                      51.273169142764615, True),
    # all 51 directions 'tight' (V/beta - 1 = 2e122), and critical_widths' MILP over them ran for minutes
    "noise-polytope": ([[-0.6132975452806387, -0.08428278656065627], [0.8820961582421567, 0.4053944014770162],
                        [0.8515154282228112, 0.3593985910219627], [0.8600618078171581, 0.2452044251007959],
                        [0.738443483625507, 0.7390314480154866], [0.5603936484236609, 1.2898255924782809],
                        [0.17764092752568292, 1.6967339018032106]],
                       [-7.96588762030352e+134, 8.231405390818317e+134, -6.8563873294731125e+134,
                        9.199211672367892e+134, -8.167677327200737e+134, 2.8913304004592455e+134,
                        -1.0982555570273937e+135],
                       0.04554160655900089, True),
}


@pytest.mark.parametrize("case", sorted(BELOW_RESOLUTION_CASES))
def test_the_optimal_set_refuses_a_beta_below_the_resolution_of_the_dual_constraint(case):
    # nu* ~ beta / |X| is below the rounding eps |y| of y - y_hat: the dual vector, the tight directions and the
    # polytope are noise, at any common scale of X, y and beta; a ValueError names beta
    X, y, beta, fit_intercept = (np.asarray(a, dtype=float) if isinstance(a, list) else a
                                 for a in BELOW_RESOLUTION_CASES[case])
    X_aug = add_intercept(X) if fit_intercept else X
    assert np.finfo(float).eps * np.linalg.norm(X_aug) * np.linalg.norm(y) > 1e3 * beta
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.raises(ValueError, match=re.escape(f"beta={beta:.3g} is below the float64 resolution")):
            optimal_set(X, y, beta, fit_intercept=fit_intercept)


@pytest.mark.parametrize("scale", [1.0, 1e-8, 1e-100])
def test_pruning_nearly_parallel_fits_lowers_the_objective_in_every_unit_of_y(scale):
    # two neurons with kinks at -+3e-10 have fits 3e-10 apart (dependent to rank_tol): dropping one moves the fit by
    # ~3e-10. Its objective was tested to max(1, |F|) * 1e-12: at y and beta times 1e-8 any change passed, and prune
    # took the direction that raised F by 2.6e-10 |F|, where the unit problem takes the one that lowers it
    from sklearn_convexnn import prune

    X = np.array([[-1.0], [0.0], [1.0], [2.0], [3.0]])
    y = np.array([1.0661181271197642, -1.9614858282550183, -0.3888409010783084, 2.3519264101839887, 4.480293435662282])
    beta = 1e-6
    unit = ReLUNetwork(np.array([[1.0], [1.0]]), np.array([0.9429887799486893, 0.6184302083987248]),
                       hidden_bias=np.array([-3e-10, 3e-10])).balanced()
    root = np.sqrt(scale)  # (y, beta, theta) -> (s y, s beta, sqrt(s) theta) scales F by s^2
    network = ReLUNetwork(root * unit.hidden_weights, root * unit.output_weights, hidden_bias=root * unit.hidden_bias)
    objective = network.objective(X, scale * y, scale * beta)
    pruned = prune(network, X, scale * y, scale * beta)
    assert pruned.width == 1
    assert pruned.objective(X, scale * y, scale * beta) <= objective * (1 + 1e-12)
    unit_pruned = prune(unit, X, y, beta)
    assert pruned.objective(X, scale * y, scale * beta) == pytest.approx(scale**2 * unit_pruned.objective(X, y, beta),
                                                                         rel=1e-12)


#: (X, y, beta, fit_intercept, network) with a network that fits y ~ 1e58, 1e67 to rounding: F / |y|^2 ~ 1e-27, 1e-31
INTERPOLATING_HUGE_Y_CASES = {
    "one-sample": ([[-1.0013326199498525e-07]], [-1.4943474515159485e+58], 1.7318547671807671, False,
                   ([[-3.118605333843909e+32], [-4.96480475684801e+32]],
                    [3.118605333843909e+32, -4.96480475684801e+32])),
    "one-sample-intercept": ([[-0.00038976052411638355, 0.006011546770030811]], [-7.28449608049922e+66],
                             16.8683826426996, True,
                             ([[-1.3178492527364482e+30, 2.108558804378317e+31, 2.698955269604246e+33],
                               [-1.4876720240200584e+30, 2.2945396974559987e+31, 3.81688737563334e+33]],
                              [2.6990379556564844e+33, -3.8169566335864416e+33])),
}


@pytest.mark.parametrize("case", sorted(INTERPOLATING_HUGE_Y_CASES))
def test_the_path_compares_objectives_to_their_float64_resolution(case):
    # F = |r|^2 / 2 + R with a residual r ~ 1e-16 |y|: each fit is rounded by ~eps |y|, which moves F by
    # ~eps |r| |y| = eps sqrt(2 F) |y|, here about F itself. The path raised 'the objective increased by
    # 8.1e+87 along the path (tolerance 1.0e-08)' for such rounding; it now allows tol |F| plus that resolution
    X, y, beta, network = _case(INTERPOLATING_HUGE_Y_CASES, case)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        path = nonincreasing_path(network.padded(len(y) + 1), X, y, beta)
    start = path.objectives[0]
    resolution = 10 * np.finfo(float).eps * np.sqrt(2 * start) * np.linalg.norm(y)
    assert np.all(np.diff(path.objectives) <= 1e-8 * start + resolution)
    assert path.objectives[-1] <= start + resolution


@pytest.mark.parametrize("scale", [1e-120, 1e120])
def test_the_resolution_of_the_objective_scales_like_the_objective(scale):
    from sklearn_convexnn.landscape.certificate import objective_rounding_scale

    X = np.array([[1.0, 0.5], [-1.0, 2.0], [0.3, -0.7]])
    y = np.array([1.0, -2.0, 0.5])
    network = ReLUNetwork(np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([1.5, -0.5]), hidden_bias=np.array([0.1, 0.0]))
    root = np.sqrt(scale)
    scaled = ReLUNetwork(root * network.hidden_weights, root * network.output_weights,
                         hidden_bias=root * network.hidden_bias)
    X_aug = add_intercept(X)
    unit = objective_rounding_scale(network, X_aug, y, 0.1, "squared")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resolution = objective_rounding_scale(scaled, X_aug, scale * y, scale * 0.1, "squared")
    assert 0 < unit <= 1e-12 * network.objective(X, y, 0.1)  # far below F for well-scaled data
    assert resolution == pytest.approx(scale**2 * unit, rel=1e-12)


#: (X, y, beta, fit_intercept, network) with eps |X| |y| >> beta, the network being the optimal set's before it refused
PATH_BELOW_RESOLUTION_CASES = {
    # features ~1e71, targets ~1e3, beta = 0.28: G1's most violating direction gives no decrease in floating point,
    # and it raised 'numerical trouble'
    "stall": ([[1.3872221604653146e+71], [6.86179410527213e+70], [-2.0749773983595903e+71], [-1.849158368481052e+71],
               [-1.697157835669154e+71], [1.3767886412060007e+70]],
              [1193.0236173651103, -887.3476453985058, -271.96505062715374, -1224.628452097861, 1083.5259787083917,
               97.22131720808395], 0.28470837309246183, True,
              ([[-1.0858011029727971e-38, 3.397490222417578e-81], [-2.2742243925021955e-35, -8.475754442649701e-94],
                [3.0069420339500824e-35, -1.0916221007990998e-93]],
               [1.0858011029727971e-38, -2.2742243925021955e-35, 3.0069420339500824e-35])),
    # features ~1e4, targets ~1e11, beta ~ 1e-4: the descent to the restricted optimum raised F by 1.4 (at F = 2109),
    # and it raised 'the objective increased along the path'
    "increase": ([[6597.924688259041, 6930.303128096354], [558.2305845273179, -13413.194170252396]],
                 [-90692608572.84883, 114296524852.7144], 9.805760028404453e-05, False,
                 ([[85.81542584770293, -2061.977615706591], [1501.4284047234553, 1577.0646773801361],
                   [1761.782687179634, -1677.2873094055878], [2564.346422437251, 106.72302094175618]],
                  [2063.7625771848034, -2177.4802527578827, 2432.5235775093583, -2566.5662620446137])),
}


@pytest.mark.parametrize("case", sorted(PATH_BELOW_RESOLUTION_CASES))
def test_the_path_refuses_a_beta_below_the_resolution_of_the_dual_constraint(case):
    # V(nu) ~ |X^T D nu| is known only to ~eps |X| |y|, far above beta (and rescaling X and y together changes beta's
    # ratio to it not at all): both failures name beta now
    X, y, beta, network = _case(PATH_BELOW_RESOLUTION_CASES, case)
    X_aug = network.augment(X)
    assert np.finfo(float).eps * np.linalg.norm(X_aug) * np.linalg.norm(y) > 1e3 * beta
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the path's restricted programs say so as well
        with pytest.raises(ValueError, match=re.escape(f"beta={beta:.3g} is below the float64 resolution")):
            nonincreasing_path(network.padded(max(network.width, len(y) + 1)), X, y, beta)


def test_prune_reduces_an_interpolating_fit_of_huge_targets_to_independent_fits():
    # the optimum of 2 samples with y ~ 1e65 has 4 neurons with dependent fits and F ~ 1e97 << eps^2 |y|^2 ~ 1e99:
    # each pruning round moves the fit by ~eps |y|, and the test F_trial <= F (1 + 1e-12) refused every round, so
    # prune returned all 4 neurons (more than n = 2, the contract); F is compared to its float64 resolution now
    from sklearn_convexnn import prune
    from sklearn_convexnn.landscape.pruning import independent_fits

    X = np.array([[0.7517563848935073, -0.04919242023306602], [-0.7855846927244416, -0.40927400344485027]])
    y = np.array([9.144134038962924e+63, 1.1956024819449668e+65])
    beta = 0.000390865116058253
    network = ReLUNetwork(np.array([[-2.6742742465814684e+32, -1.3932437041409844e+32],
                                    [2.6289447865617314e+32, -1.7202934262858654e+31],
                                    [-1.902280816905174e+31, -2.9070571100050433e+32],
                                    [2.3037217364548884e+32, 1.1518608682274442e+32]]),
                          np.array([3.015438735086052e+32, 2.6345672862000183e+32, 2.913274405869541e+32,
                                    -2.5756392019784932e+32]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pruned = prune(network, X, y, beta)
    assert pruned.width <= len(y) and independent_fits(pruned, X)
    assert np.linalg.norm(pruned.predict(X) - network.predict(X)) <= 1e-14 * np.linalg.norm(y)
    assert pruned.squared_weight_norm() <= network.squared_weight_norm() * (1 + 1e-12)
    # the loss of a fit within a few ulps of y: F cannot be resolved below (eps |y|)^2
    floor = (10 * np.finfo(float).eps * np.linalg.norm(y)) ** 2
    assert pruned.objective(X, y, beta) <= network.objective(X, y, beta) + floor


def _exact_squared_projection(g, X, mask, rows):
    r""":math:`\|\Pi_{\mathcal K}(g)\|^2` in rational arithmetic, with its KKT conditions checked exactly.

    On the active ``rows``, :math:`u=g+E^\top\lambda` with :math:`Eu=0`; it is the projection iff
    :math:`\lambda\ge0` and :math:`(2D-I)Xu\ge0` (all rows).
    """
    from fractions import Fraction

    signed = [[Fraction(float(x)) * (1 if m else -1) for x in row] for row, m in zip(X, mask)]
    point = [Fraction(float(x)) for x in g]
    E = [signed[k] for k in rows]
    gram = [[sum(a * b for a, b in zip(e, f)) for f in E] + [-sum(a * b for a, b in zip(e, point))] for e in E]
    for c in range(len(E)):  # Gauss-Jordan on [EE' | -Eg]
        pivot = next(r for r in range(c, len(E)) if gram[r][c] != 0)
        gram[c], gram[pivot] = gram[pivot], gram[c]
        for r in range(len(E)):
            if r != c:
                gram[r] = [a - gram[r][c] / gram[c][c] * b for a, b in zip(gram[r], gram[c])]
    lam = [gram[r][-1] / gram[r][r] for r in range(len(E))]
    assert all(v >= 0 for v in lam)
    for v, e in zip(lam, E):
        point = [p + v * x for p, x in zip(point, e)]
    assert all(sum(a * b for a, b in zip(row, point)) >= 0 for row in signed)
    return sum(p * p for p in point)


def test_projections_onto_thin_wedges_are_never_below_the_projection():
    # rows 0 and 1 are 1e-9 apart with opposite signs, a thin wedge: the multipliers are ~1e9 |g|, the plain sum
    # g + E'lambda (and the NNLS fallback on the rounded unit rows) kept 7 digits, and the value came out 2e-6 below
    # ||Pi_K(g)||; a V below the truth could certify a network that is not optimal
    from sklearn_convexnn.convex.dual import max_dual_violation, project_onto_cones

    X = np.array([[0.1958322843322258, -1.8460958894149135, -0.6404473598642385, -1.3045381140158738],
                  [0.195832284553844, -1.8460958908627945, -0.6404473599358642, -1.304538115224897],
                  [-1.2320434912559, -1.7131917863042587, -0.0988874077304823, 0.4915839718208559],
                  [0.2943884963106877, -0.14625590991755652, 1.6944465354705043, 0.4364014709568258],
                  [1.025838224415621, 0.07671056567059595, -0.4605259745950434, -0.1378963752678764],
                  [-1.471416212591782, -0.7425766237609679, 1.5270038413151419, 1.305176847124338],
                  [-0.005349713851592972, -0.6764910570613141, 1.0413714943792791, -0.8261213727979615],
                  [-0.0038708596613669247, 1.028719590343209, -0.036172600203908056, 0.09005908141004003]])
    mask = np.array([0, 1, 1, 1, 1, 1, 0, 0], dtype=bool)
    nu = np.array([0.07950111227457653, 0.16882884105131968, -0.0027834519878043983, 0.02831600244032464,
                   -0.0004910830856929104, -0.1116622214238881, -0.07718825692458682, 0.17893604418646178])
    g = X.T @ (mask * nu)
    exact = float(np.sqrt(float(_exact_squared_projection(g, X, mask, rows=[0, 1, 2]))))  # 0.00486336504...
    values = [project_onto_cones(g[:, None], X, mask[:, None]).values[0],
              dual_constraint(nu, X, mask[:, None]).values[0, 0],
              max_dual_violation(nu, X, mask[:, None], blocks=np.array([[True, False]]))[0]]
    for value in values:
        assert exact * (1 - 1e-14) <= value <= exact * (1 + 1e-10)


def test_the_recomputed_point_on_nearly_cancelling_rows_stays_the_projection():
    # rows 1 and 3 nearly cancel: the least-squares multipliers on all four rows are ~5e5 with one of them negative,
    # and clipping it at 0 threw the point to |u| = 4.67 against |g| = 0.69 (max_dual_violation reported V = 2390
    # for a true 288)
    from sklearn_convexnn.convex.dual import _certified_points

    E = np.array([[0.7233840340924699, 0.1661459578969791, 0.6520993946179907, -0.04614597073695522],
                  [0.029329150432055487, -0.617611775102217, 0.24820097799777716, 0.1819771683925157],
                  [-0.4627525757333835, 0.20920304187487854, -0.406278861583141, -0.24043114854528255],
                  [-0.02932915060514132, 0.6176117753501539, -0.24820097803242952, -0.18197716865138222]])
    g = np.array([0.04871197011395328, -0.3337337564791584, -0.6015049770361887, -0.08216719954578258])
    exact = float(np.sqrt(float(_exact_squared_projection(g, E, np.ones(4, dtype=bool), rows=[0, 1, 3]))))
    point = _certified_points(g[None], E[None], np.zeros((1, 4)))[0]
    assert exact * (1 - 1e-14) <= np.linalg.norm(point) <= exact * (1 + 1e-10)  # 0.4968662261155...


def test_gate_scaling_of_subnormal_data_keeps_the_gates_finite():
    # features of spread 1e-310 asked for T = 2^1030 (inf) and a lone constant column of 1e-310 for a centring
    # entry of ~1e310: the gates were inf/nan, every sampled mask the same, and the estimators warned from numpy
    from sklearn_convexnn import sample_patterns
    from sklearn_convexnn.arrangements import gate_scaling

    rng = np.random.default_rng(1)
    Z = rng.standard_normal((12, 2))
    tiny = Z * 2.0 ** -1030  # subnormal: 2^-1030 Z is exact, and so is 2^1030 times it
    for X in (tiny, add_intercept(tiny), np.column_stack([Z[:, 0], np.full(12, 1e-310)])):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            T = gate_scaling(X)
            gates = sample_patterns(X, 200, standardize=True, random_state=0).gates
            norms = np.linalg.norm(gates, axis=0)
        assert np.all(np.isfinite(T)) and np.all(np.diag(T) > 0) and np.linalg.slogdet(T)[0] != 0
        assert np.all(np.isfinite(gates)) and np.all(np.isfinite(norms) & (norms > 0))
    # only a power of two apart from the scaling of the same data in units of 2^-1030: the same patterns
    small = sample_patterns(tiny, 200, standardize=True, random_state=0)
    unit = sample_patterns(Z, 200, standardize=True, random_state=0)
    assert small.n_patterns >= 8 and np.array_equal(small.masks, unit.masks)
    # beside the ones column, features of 2^-1030 are far below its float64 resolution: a cone cut by them has no point
    # of normalised margin above 1e-300 (weights of 2^1030 would be needed), so they decide no pattern
    with_bias = sample_patterns(tiny, 200, fit_intercept=True, standardize=True, random_state=0)
    assert with_bias.n_patterns == 1 and with_bias.masks.all()
    y = Z @ np.array([1.0, -2.0]) + 0.5
    for patterns in ("sample", "adaptive"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            model = ConvexReLURegressor(patterns=patterns, random_state=0).fit(tiny, y)
        assert np.all(np.isfinite(model.predict(tiny)))
        objective = model.network_.objective(tiny, y, model.beta, "squared")
        assert abs(objective - model.objective_) <= 1e-9 * model.objective_ < 0.5 * np.sum(y ** 2)


def test_optimal_set_vertices_reproduce_the_fit_on_unscaled_data():
    # a feature in the thousands beside the bias: the fit's terms (1.1e5) cancel to a fit of size 2, and a residual
    # tolerance of 1e-8 times the terms accepted a 5-neuron support 1.1e-3 off the fit (objective 1.5e-7 above the
    # optimum) as a second vertex of a set reported unique
    X = np.array([[-2.8013293229385283, 7366.0], [-0.3538561691562454, 6852.0], [-1.9500371807490433, 1318.0],
                  [-0.9966890433470278, 5060.0], [0.11349215070466792, 6426.0], [0.204485037136972, 3409.0],
                  [-0.46250041776911727, 5354.0]])
    y = np.array([1.157640641627625, 0.5527910883524045, 0.48822097412925564, -1.2507378079740878,
                  -2.412474445674521, 1.555541065380614, 0.40493293956242876])
    beta = 0.2920768213844011
    result = optimal_set(X, y, beta, fit_intercept=True)
    vertices = result.vertices()
    polytope = result.polytope
    assert result.is_unique and len(vertices) == 1 and result.min_width == result.max_width == 6
    for vertex in vertices:
        assert np.linalg.norm(polytope.columns @ vertex - polytope.fit) <= 1e-8 * np.linalg.norm(polytope.fit)
        objective = result.network(vertex).objective(X, y, beta)
        assert abs(objective - result.objective) <= 1e-9 * result.objective


def test_merging_blocks_of_huge_networks_keeps_the_largest_as_leader():
    # blocks |alpha_j| w_j of 1e160 and 2e160: their norms squared overflowed (a RuntimeWarning from numpy along
    # prune and nonincreasing_path on data of 1e-84 with targets of 1e87) and the tie of two infinities made the
    # smaller block the leader
    from sklearn_convexnn.landscape.pruning import merge_blocks

    X = np.array([[1.0], [-1.0], [2.0]])
    network = ReLUNetwork(hidden_weights=np.array([[1e80], [2e80]]), output_weights=np.array([1e80, 1e80]))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        merged, leader = merge_blocks(network, network.augment(X))
    assert np.array_equal(leader, [1, 1])
    assert np.allclose(merged.predict(X), network.predict(X), rtol=1e-14, atol=0)
    assert merged.hidden_weights[0, 0] == 0 and merged.output_weights[0] == 0


def test_polishing_steps_that_overflow_are_rejected_without_numpy_warnings():
    # two copies of a feature of 1e75 beside one of 1: trial steps of the adaptive search's L-BFGS polish reached
    # predictions of 1e300 and more, numpy warned of overflow (and nan) at every one of them
    X = np.array([[-1.2252277762873290e+75, -1.2252277762873290e+75, -5.7082164100778399e-01],
                  [-9.1156524603344721e+74, -9.1156524603344721e+74, 1.0826355541525670e+00],
                  [-6.9353819723636327e+74, -6.9353819723636327e+74, -9.2775557596884861e-01],
                  [-1.2012715624860945e+75, -1.2012715624860945e+75, -1.2322101326668420e+00],
                  [-2.2781507724285089e+74, -2.2781507724285089e+74, 1.1801100608187363e-02],
                  [-2.5744167651254747e+74, -2.5744167651254747e+74, 8.2583894886795495e-01],
                  [1.7266541157413283e+75, 1.7266541157413283e+75, -3.9444022471191131e-01]])
    y = np.array([0, 0, 1, 0, 1, 1, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = ConvexReLUClassifier(beta=0.4935613069257916, patterns="adaptive", loss="squared",
                                     random_state=0, n_patterns=30).fit(X, y)
    targets = np.where(y == 1, 1.0, -1.0)
    assert np.all(np.isfinite(model.decision_function(X)))
    objective = model.network_.objective(X, targets, model.beta, "squared")
    assert abs(objective - model.objective_) <= 1e-9 * model.objective_ <= 0.5 * len(y)


def test_gate_scaling_centres_with_the_largest_constant_column():
    # a constant feature of 1e-281 before the bias' ones column: the centring entries T_ck = -round(8 mu_k)/8/1e-281
    # were ~1e281 and the sampled gates' norms overflowed; the ones column gives entries of the size of the means
    from sklearn_convexnn import sample_patterns
    from sklearn_convexnn.arrangements import gate_scaling

    rng = np.random.default_rng(3)
    Z = rng.standard_normal((8, 2)) * np.array([1.0, 2.0]) + np.array([5.0, -3.0])
    X = np.column_stack([Z[:, 0], np.full(8, 1e-281), Z[:, 1]])
    T = gate_scaling(add_intercept(X))
    assert np.all(np.abs(T) <= 8.0)
    centred = add_intercept(X) @ T
    assert np.all(np.abs(centred[:, [0, 2]].mean(axis=0)) <= 1 / 16 + 1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        gates = sample_patterns(X, 200, fit_intercept=True, standardize=True, random_state=0).gates
        norms = np.linalg.norm(gates, axis=0)
    assert np.all(np.isfinite(norms)) and np.all(norms <= 100.0)


def test_interior_directions_drop_gate_steps_beyond_float_range():
    # features of 1e143 and 1e72: a gate nearly orthogonal to a failing row asked the column generation for a step
    # of more than 1e308 along it, and the norm of the moved direction overflowed (numpy warned; with warnings as
    # errors the cg solver failed)
    X = np.array([[4.9245962626180713e+142, 9.9999999999953328e+071],
                  [8.9494875747141633e+143, 1.0000000000020967e+072],
                  [4.9245962626180713e+142, 9.9999999999953328e+071]])
    y = np.array([0, 1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)  # the gap is not certified at these scales (reported)
        model = ConvexReLUClassifier(beta=1.6735834176907327, patterns="sample", loss="logistic", random_state=0,
                                     n_patterns=30).fit(X, y)
    assert np.all(np.isfinite(model.decision_function(X)))
    objective = model.network_.objective(X, np.where(y == 1, 1.0, -1.0), model.beta, "logistic")
    assert abs(objective - model.objective_) <= 1e-9 * model.objective_ <= 3 * np.log(2)


def test_cone_projections_with_rows_of_subnormal_size():
    # 1/||x_k|| overflowed for a row of norm 1e-310: the unit rows held inf and nan (numpy warned) and scipy's nnls
    # raised "array must not contain infs or NaNs"; the cone is that of the row at any positive scale, and no value
    # may fall below its projection
    from sklearn_convexnn.convex.dual import project_onto_cones

    rng = np.random.default_rng(5)
    X = rng.standard_normal((6, 2))
    tiny = X.copy()
    tiny[0] *= 2.0 ** -1040  # exact: a row of subnormal size along the same direction
    masks = rng.random((6, 8)) < 0.5
    G = rng.standard_normal((2, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        projected = project_onto_cones(G, tiny, masks)
    reference = project_onto_cones(G, X, masks)
    assert np.all(np.isfinite(projected.points)) and np.all(np.isfinite(projected.values))
    assert np.all(projected.values >= reference.values * (1 - 1e-12) - 1e-15)


def test_max_dual_violation_names_the_data_when_the_correlations_overflow():
    # a feature of 1.6e308: the residuals, nu and X^T D_i nu overflowed to nan, no candidate compared with the best
    # and the adaptive search crashed with IndexError from an empty batch of pattern indices
    from sklearn_convexnn.convex.dual import max_dual_violation

    X = np.array([[1.6e308, 1.0], [-1.0e308, 1.0], [0.5, 1.0]])
    masks = np.array([[True, False], [True, True], [False, True]])
    nu = np.array([1e10, 1e10, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match=r"X and y.*rescale X and y"):
            max_dual_violation(nu, X, masks)


def _unit_exponent(values):
    """``values`` divided by a power of two to a largest entry in [1/2, 1) (exact)."""
    return values / 2.0 ** np.frexp(np.abs(values).max())[1]


@pytest.mark.parametrize("estimator", [ConvexReLURegressor, ConvexReLUClassifier])
def test_an_adaptive_fit_of_features_of_1e155_reaches_the_optimum_of_the_exact_patterns(estimator):
    # the L-BFGS seed of the adaptive search ran on the data as given: on features of 1e155 its products overflowed
    # (numpy warned) and the regressor returned a network of objective 18.95 (r2 -0.26; the zero network has 15.1)
    # where the exact patterns give 1e-19; the classifier, and features of 1e100, raised "hidden_weights must contain
    # only finite values". The search now runs on X / 2^k (beta / 2^k), like ConvexProgram.solve
    rng = np.random.RandomState(0)
    X = rng.standard_normal((30, 3)) * 1e155
    y = rng.standard_normal(30)
    if estimator is ConvexReLUClassifier:
        y = np.where(np.sign(X[:, 0]) == np.sign(X[:, 1]), 1, -1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)  # (the exact fit may stop early on these units)
        adaptive = estimator(patterns="adaptive", random_state=0, max_rounds=2).fit(X, y)
        exact = estimator(patterns="exact", random_state=0).fit(X, y)
    zero = 0.5 * float(y @ y) if estimator is ConvexReLURegressor else len(y) * np.log(2.0)  # F of the zero network
    assert adaptive.objective_ <= exact.objective_ + 1e-9 * zero
    assert adaptive.score(X, y) > 0.999


@pytest.mark.parametrize("feature_exponent, target_exponent", [(515, 0), (-500, 0), (0, 500), (0, -500), (300, -200)])
def test_the_adaptive_search_is_invariant_to_power_of_two_scales_of_data_and_targets(feature_exponent,
                                                                                      target_exponent):
    # (X, y, beta) -> (cX, sy, sc beta) scales the convex objective by s^2 and its blocks by s / c exactly; the search
    # now runs on the data rescaled to unit size and returns the very same result in the units given (before: an
    # overflowing seed or an error at the large scales, a seed that stopped at once on targets of 1e-150)
    from sklearn_convexnn.convex.adaptive import adaptive_patterns

    rng = np.random.RandomState(1)
    X, y = _unit_exponent(rng.standard_normal((30, 2))), _unit_exponent(rng.standard_normal(30))
    c, s = 2.0 ** feature_exponent, 2.0 ** target_exponent
    unit = adaptive_patterns(X, y, 0.05, seed_network="mlp", random_state=0, max_rounds=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        scaled = adaptive_patterns(c * X, s * y, 0.05 * s * c, seed_network="mlp", random_state=0, max_rounds=3)
    np.testing.assert_array_equal(scaled.arrangement.masks, unit.arrangement.masks)
    np.testing.assert_array_equal(scaled.solution.u, unit.solution.u * (s / c))
    np.testing.assert_array_equal(scaled.solution.v, unit.solution.v * (s / c))
    assert scaled.solution.objective == s * (s * unit.solution.objective)
    assert scaled.solution.duality_gap == s * (s * unit.solution.duality_gap)
    assert scaled.max_violation == s * c * unit.max_violation
    assert scaled.solution.beta == 0.05 * s * c
    np.testing.assert_array_equal(scaled.solution.dual, s * unit.solution.dual)
    program = ConvexProgram(c * X, s * y, 0.05 * s * c, scaled.arrangement)
    assert program.objective(scaled.solution) == pytest.approx(scaled.solution.objective, rel=1e-12)


def test_an_adaptive_fit_of_targets_of_1e150_is_the_fit_of_unit_targets_scaled():
    # y of 1e150: the L-BFGS seed's loss overflowed and the fit raised "hidden_weights must contain only finite
    # values"; now the search runs on y / 2^l (beta / 2^l) and F scales by 2^(2l)
    rng = np.random.RandomState(2)
    X, y = rng.standard_normal((30, 2)), _unit_exponent(rng.standard_normal(30))
    s = 2.0 ** 500  # 3.3e150
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        scaled = ConvexReLURegressor(patterns="adaptive", beta=0.1 * s, random_state=0).fit(X, s * y)
        warnings.simplefilter("ignore", ConvergenceWarning)  # beta = 1 on targets of 1e150: nearly interpolating
        default = ConvexReLURegressor(patterns="adaptive", random_state=0).fit(X, 1e150 * y)
    unit = ConvexReLURegressor(patterns="adaptive", beta=0.1, random_state=0).fit(X, y)
    assert scaled.objective_ / s / s == pytest.approx(unit.objective_, rel=1e-12)
    np.testing.assert_allclose(scaled.predict(X) / s, unit.predict(X), rtol=1e-12, atol=1e-12)
    assert np.isfinite(default.objective_) and default.score(X, 1e150 * y) > 0.999


@pytest.mark.parametrize("exponent", [600, 1040])
def test_projections_with_a_row_far_below_the_others_are_exact_where_flagged(exponent):
    # one row 2^-1040 times the others (subnormal) or 2^-600 (its square underflows): the cones are those of the rows'
    # directions, but the active-set method's Gram matrices lost the row, its NNLS fallback found the projections
    # (~1e-16), and their recomputation on the scaled rows, which lost the row again, returned upper bounds (0.53,
    # 0.60) flagged exact
    from scipy.optimize import nnls

    from sklearn_convexnn.convex.dual import project_onto_cones

    rng = np.random.default_rng(5)
    X = rng.standard_normal((6, 2))
    masks = rng.random((6, 8)) < 0.5
    G = rng.standard_normal((2, 8))
    X[0] = np.ldexp(X[0], -exponent)
    projections = project_onto_cones(G, X, masks)
    rows = X.copy()
    rows[0] = np.ldexp(X[0], exponent)  # the same directions at unit scale (exact)
    unit = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    reference = np.array([nnls((unit * np.where(masks[:, b], 1.0, -1.0)[:, None]).T, -G[:, b])[1] for b in range(8)])
    rounding = 64 * np.finfo(float).eps * np.linalg.norm(G, axis=0)
    assert projections.exact.all()
    np.testing.assert_array_less(np.abs(projections.values - reference), 1e-9 * reference + rounding)



def test_a_program_with_cones_without_resolvable_interior_fails_naming_them():
    # sweep16 case 178212's program: every gate cuts the data by features of 1e-72, 1e-27 and 1e-82 beside one of
    # 2e7, so every cone's points have normalised margins below 1e-88. Clarabel reported the program infeasible
    # (it never is: u = v = 0) and column generation stopped at a gap of 0.998, neither saying why
    from sklearn_convexnn.arrangements import Arrangement
    from sklearn_convexnn.convex.program import SolverError

    rng = np.random.default_rng(178212)
    X = add_intercept(rng.standard_normal((19, 4)) * np.array([1e7, 1e-72, 1e-27, 1e-82]))
    y = 100 * rng.standard_normal(19)
    gates = rng.standard_normal((5, 30)) / np.abs(X).max(axis=0)[:, None]  # every column at unit size
    program = ConvexProgram(X, y, 0.27, Arrangement(X @ gates >= 0, gates, exhaustive=False))
    margins = program.gate_margins()
    assert np.all(margins < 1e-88)
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    np.testing.assert_allclose(margins, np.min(np.abs(unit @ gates), axis=0) / np.linalg.norm(gates, axis=0), rtol=1e-12)
    cause = r"30 of the 30 patterns \(0, 1, .*\) have gates inside their cones .* no interior resolvable in float64"
    with pytest.raises(SolverError, match=r"infeasible.*always feasible \(u = v = 0\).*" + cause):
        program.solve("cvxpy")
    with pytest.warns(ConvergenceWarning, match=cause):
        program.solve("cg")


def test_a_seed_network_far_off_tiny_targets_starts_the_search_at_inf_without_numpy_warnings():
    """Targets of 1e-150 and a seed predicting ~1e81: the search runs on y / s (``data_scales``), where the seed's
    F (~1e162 / 1e-300) exceeds float64. Its history starts at inf — no numpy overflow warning — and the search
    then descends to at most the zero network's objective."""
    from sklearn_convexnn.convex.adaptive import adaptive_patterns

    rng = np.random.default_rng(0)
    X = add_intercept(rng.standard_normal((12, 2)))
    y = 1e-150 * np.sin(2 * X[:, 0])
    seed = ReLUNetwork(1e40 * rng.standard_normal((2, 3)), 1e40 * np.array([1.0, -1.0]))
    assert np.isfinite(seed.objective(X, y, 1e-152))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = adaptive_patterns(X, y, 1e-152, seed_network=seed, n_initial=10, max_rounds=1, n_starts=5,
                                   random_state=0)
    assert result.history[0] == np.inf and np.isfinite(result.history[1:]).all()
    assert np.all(np.diff(result.history[1:]) <= 1e-12 * result.history[1])
    assert result.solution.objective <= 0.5 * float(y @ y)
