r"""Automatic checks of the course exercises.

Each exercise notebook in ``course/exercises/`` ends its exercises with a call such as
``checks.check_01_pattern_counts(n_patterns_line, n_patterns_plane)``. A check recomputes the
reference answer with the package, raises ``AssertionError`` with a hint when the answer is
missing (``...`` or ``None``) or wrong, and prints a line starting with "✓" when it is right.
``tests/test_exercises.py`` runs every solution notebook (all checks must pass) and every blank
exercise notebook (every check must fail).

Check functions are named ``check_<lecture>_<topic>``; to add lecture NN, add its checks here and
the two notebooks ``exercises/NN_*.ipynb`` and ``solutions/NN_*.ipynb`` with the same cells (the
solution fills in the blanks; cells that call a check are tagged ``check``).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "EXERCISE_01",
    "check_01_pattern_counts",
    "check_01_recovered_network",
    "check_01_gated_relaxation",
    "check_01_mlp_excess",
    "check_08_pipeline",
    "check_08_grid_search",
    "check_08_own_patterns",
    "EXERCISE_05",
    "check_05_width",
    "check_05_path",
    "check_05_target_path",
    "check_06_critical_widths",
    "check_06_isolated",
    "check_06_connecting_path",
    "check_06_isolated_at_two",
    "EXERCISE_07",
    "check_07_gated_one_output",
    "check_07_certified_bounds",
    "check_07_three_layer",
    "EXERCISE_02",
    "first_spurious_seed",
    "check_02_beta_max",
    "check_02_strong_duality",
    "check_02_cone_norm",
    "check_02_escape",
    "EXERCISE_03",
    "check_03_hb",
    "check_03_two_networks",
    "check_03_min_norm",
    "EXERCISE_04",
    "check_04_zero_network",
    "check_04_classes",
    "check_04_subsampled",
]

#: data of the exercises of lecture 1 (exercises 2-4)
EXERCISE_01 = {"n_samples": 8, "random_state": 3, "beta": 0.1}


def _answered(value, name):
    """Fail with a hint when the blank is still there."""
    assert value is not ... and value is not None, f"{name} is still blank: replace the ... by your answer."


def _close(value, reference, name, rtol=1e-6):
    assert np.isfinite(value), f"{name} = {value!r} is not a finite number."
    assert abs(value - reference) <= rtol * max(1.0, abs(reference)), (
        f"{name} = {value:.10g} but the reference value is {reference:.10g}."
    )


def _passed(message):
    print(f"✓ {message}")


# --------------------------------------------------------------------------------------------
# Lecture 1: the convex program
# --------------------------------------------------------------------------------------------


def _exercise_01_data():
    from sklearn_convexnn.datasets import make_teaching_1d

    data = make_teaching_1d(EXERCISE_01["n_samples"], random_state=EXERCISE_01["random_state"])
    return data.X, data.y, EXERCISE_01["beta"]


def _exercise_01_program(activation="relu"):
    from sklearn_convexnn import ConvexProgram, enumerate_patterns
    from sklearn_convexnn.arrangements import add_intercept

    X, y, beta = _exercise_01_data()
    return ConvexProgram(add_intercept(X), y, beta, enumerate_patterns(X, fit_intercept=True), activation=activation)


def check_01_pattern_counts(n_patterns_line, n_patterns_plane):
    r"""Exercise 1.1: the number of non-trivial activation patterns, with a bias.

    ``n_patterns_line(n)`` for ``n`` distinct points on a line and ``n_patterns_plane(n)`` for ``n``
    points in general position in the plane are compared with ``enumerate_patterns`` for
    :math:`n=2,\dots,9`.
    """
    from sklearn_convexnn import enumerate_patterns
    from sklearn_convexnn.datasets import make_teaching_1d, make_teaching_2d

    _answered(n_patterns_line, "n_patterns_line")
    _answered(n_patterns_plane, "n_patterns_plane")
    for n in range(2, 10):
        for function, data in ((n_patterns_line, make_teaching_1d(n, random_state=n)),
                               (n_patterns_plane, make_teaching_2d(n, random_state=n))):
            answer = function(n)
            _answered(answer, f"{function.__name__}({n})")
            count = enumerate_patterns(data.X, fit_intercept=True).n_patterns
            assert answer == count, f"{function.__name__}({n}) = {answer!r}, but enumerate_patterns finds {count}."
    _passed("both formulas match enumerate_patterns for n = 2, ..., 9.")


def check_01_recovered_network(network):
    r"""Exercise 1.2: a network recovered from (C) whose objective :math:`F` equals :math:`p^{\rm c}`."""
    from sklearn_convexnn import ReLUNetwork

    _answered(network, "network")
    assert isinstance(network, ReLUNetwork), f"network must be a ReLUNetwork, got {type(network).__name__}."
    assert network.hidden_bias is not None, (
        "network has no hidden bias: build it with ReLUNetwork.from_augmented(..., fit_intercept=True)."
    )
    X, y, beta = _exercise_01_data()
    optimum = _exercise_01_program().solve().objective
    _close(network.objective(X, y, beta), optimum, "F(network)")
    _passed(f"F(network) = p_c = {optimum:.6f} with {network.width} neurons.")


def check_01_gated_relaxation(p_relu, p_gated):
    r"""Exercise 1.3: the optimal values of (C) and (CG) with all patterns, and :math:`p^{\rm cg}\le p^{\rm c}`."""
    _answered(p_relu, "p_relu")
    _answered(p_gated, "p_gated")
    _close(float(p_relu), _exercise_01_program("relu").solve().objective, "p_relu")
    _close(float(p_gated), _exercise_01_program("gated").solve().objective, "p_gated")
    assert p_gated <= p_relu + 1e-7, "p_gated must not exceed p_relu: the gated program is a relaxation."
    _passed(f"p_cg = {p_gated:.6f} <= p_c = {p_relu:.6f}.")


def check_01_mlp_excess(excess):
    r"""Exercise 1.4: :math:`F_m-p^{\rm c}` of ``fit_mlp`` runs with width :math:`n+1` and seeds 0, 1, 2, 3."""
    from sklearn_convexnn.nonconvex import fit_mlp

    _answered(excess, "excess")
    excess = np.asarray(excess, dtype=float)
    assert excess.shape == (4,), f"excess must hold one number per seed 0, 1, 2, 3; got shape {excess.shape}."
    X, y, beta = _exercise_01_data()
    solution = _exercise_01_program().solve()
    reference = np.array([fit_mlp(X, y, beta, len(y) + 1, random_state=seed).objective for seed in range(4)])
    for seed in range(4):
        _close(excess[seed], reference[seed] - solution.objective, f"excess[{seed}]", rtol=1e-5)
    assert excess.min() >= solution.lower_bound - solution.objective - 1e-9
    _passed(f"no run below p_c; the closest stopped {excess.min():.2e} above it.")


# --------------------------------------------------------------------------------------------
# Lecture 8: in practice
# --------------------------------------------------------------------------------------------


def _contains(estimator, kind):
    """Whether ``estimator`` is, or has among its (nested) parameters, an instance of ``kind``."""
    if isinstance(estimator, kind):
        return True
    return any(isinstance(value, kind) for value in estimator.get_params(deep=True).values())


def check_08_pipeline(model):
    """Exercise 8.1: a pipeline with StandardScaler and a sampled ConvexReLURegressor, R^2 > 0.35 by 3-fold CV."""
    from sklearn.base import clone
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import cross_val_score
    from sklearn.preprocessing import StandardScaler

    from sklearn_convexnn import ConvexReLURegressor

    _answered(model, "model")
    assert _contains(model, ConvexReLURegressor), "model must contain a ConvexReLURegressor."
    assert _contains(model, StandardScaler), "model must standardize its inputs with a StandardScaler."
    networks = [v for v in model.get_params(deep=True).values() if isinstance(v, ConvexReLURegressor)] or [model]
    assert all(network.patterns == "sample" for network in networks), 'use patterns="sample" (d = 10).'
    assert all(network.n_patterns <= 20 for network in networks), "keep n_patterns <= 20 so that it runs fast."
    X, y = load_diabetes(return_X_y=True)
    scores = cross_val_score(clone(model), X, y, cv=3)
    assert scores.mean() > 0.35, f"mean 3-fold CV R^2 is {scores.mean():.3f}; expected > 0.35 (standardize y too?)."
    _passed(f"mean 3-fold CV R^2 = {scores.mean():.3f}.")


def check_08_grid_search(search):
    """Exercise 8.2: a fitted GridSearchCV over at least three values of beta, best CV R^2 > 0.35."""
    from sklearn.model_selection import GridSearchCV

    from sklearn_convexnn import ConvexReLURegressor

    _answered(search, "search")
    assert isinstance(search, GridSearchCV), f"search must be a GridSearchCV, got {type(search).__name__}."
    assert hasattr(search, "best_params_"), "search is not fitted: call search.fit(X_train, y_train)."
    grid = search.param_grid if isinstance(search.param_grid, dict) else search.param_grid[0]
    beta_keys = [key for key in grid if key == "beta" or key.endswith("__beta")]
    assert beta_keys, f"the grid must vary beta; it varies {sorted(grid)}."
    assert len(grid[beta_keys[0]]) >= 3, "try at least three values of beta."
    assert _contains(search.best_estimator_, ConvexReLURegressor), "the searched model must be a ConvexReLURegressor."
    assert search.best_score_ > 0.35, f"best CV R^2 is {search.best_score_:.3f}; expected > 0.35."
    _passed(f"best beta = {search.best_params_[beta_keys[0]]}, CV R^2 = {search.best_score_:.3f}.")


def check_08_own_patterns(mlp_fit, convex_fit, X, y, beta):
    r"""Exercise 8.3: the program given the MLP's own patterns reaches :math:`F\le F(\text{MLP})`."""
    from sklearn_convexnn import ConvexReLURegressor
    from sklearn_convexnn.nonconvex import NonconvexFit

    _answered(mlp_fit, "mlp_fit")
    _answered(convex_fit, "convex_fit")
    assert isinstance(mlp_fit, NonconvexFit), "mlp_fit must be what fit_mlp returns."
    assert isinstance(convex_fit, ConvexReLURegressor) and hasattr(convex_fit, "objective_"), (
        "convex_fit must be a fitted ConvexReLURegressor."
    )
    assert np.isclose(convex_fit.beta, beta), f"fit the convex model with beta = {beta}."
    _close(mlp_fit.network.objective(X, y, beta), mlp_fit.objective, "mlp_fit.objective")
    used = {column.tobytes() for column in convex_fit.arrangement_.masks.T}
    own = mlp_fit.network.activation_patterns(X)
    missing = [j for j in range(own.shape[1]) if own[:, j].any() and own[:, j].tobytes() not in used]
    assert not missing, f"the patterns of MLP neurons {missing} are not in convex_fit.arrangement_."
    assert convex_fit.objective_ <= mlp_fit.objective + 1e-6 * mlp_fit.objective, (
        f"convex F = {convex_fit.objective_:.6f} > MLP F = {mlp_fit.objective:.6f}."
    )
    _passed(f"convex F = {convex_fit.objective_:.4f} <= MLP F = {mlp_fit.objective:.4f}.")


# --------------------------------------------------------------------------------------------
# Lecture 5: paths of non-increasing loss
# --------------------------------------------------------------------------------------------

#: data and trained network of the exercises of lecture 5
EXERCISE_05 = {"n_samples": 7, "random_state": 4, "beta": 0.03, "width": 2, "seed": 0, "target_width": 5,
               "target_seed": 1}


def _exercise_05():
    """The data, the trained width-2 network and a global optimum of width 5 of exercises 5.x."""
    from sklearn_convexnn import optimal_set
    from sklearn_convexnn.datasets import make_teaching_1d
    from sklearn_convexnn.nonconvex import fit_mlp

    data = make_teaching_1d(EXERCISE_05["n_samples"], random_state=EXERCISE_05["random_state"],
                            beta=EXERCISE_05["beta"])
    trained = fit_mlp(data.X, data.y, data.beta, EXERCISE_05["width"], random_state=EXERCISE_05["seed"]).network
    solution_set = optimal_set(data.X, data.y, data.beta)
    target = solution_set.random_network(EXERCISE_05["target_width"], random_state=EXERCISE_05["target_seed"])
    return data, trained, solution_set, target


def _check_monotone_path(path, start_objective, data):
    from sklearn_convexnn.landscape.paths import LossPath

    assert isinstance(path, LossPath), f"path must be what nonincreasing_path returns, got {type(path).__name__}."
    objectives = np.array([network.objective(data.X, data.y, data.beta) for network in path.networks])
    assert np.allclose(objectives, path.objectives, rtol=1e-12, atol=0), "path.objectives are not the networks' F."
    _close(objectives[0], start_objective, "F at the start of the path", rtol=1e-10)
    increase = float(np.max(np.diff(objectives)))
    assert increase <= 1e-8 * max(1.0, objectives[0]), f"F increases by {increase:.2e} somewhere along the path."
    return objectives


def check_05_width(width):
    r"""Exercise 5.1: the smallest width at which algorithm G1 runs from the trained network (:math:`n+1`)."""
    from sklearn_convexnn import nonincreasing_path

    _answered(width, "width")
    data, trained, _, _ = _exercise_05()
    n = len(data.y)
    try:
        nonincreasing_path(trained.padded(width - 1), data.X, data.y, data.beta, n_points=2)
        smaller_works = True
    except ValueError:
        smaller_works = False
    assert not smaller_works, f"width = {width} is not the smallest: G1 already runs at width {width - 1}."
    assert width == n + 1, f"width = {width!r}; G1 refuses it (read the ValueError of nonincreasing_path)."
    nonincreasing_path(trained.padded(width), data.X, data.y, data.beta, n_points=2)
    _passed(f"G1 needs width n + 1 = {n + 1}: after pruning at most n independent neurons remain, "
            "so one slot is always free for a new neuron.")


def check_05_path(path):
    r"""Exercise 5.2: a path of non-increasing :math:`F` from the trained network to a certified global optimum."""
    from sklearn_convexnn import dual_certificate

    _answered(path, "path")
    data, trained, solution_set, _ = _exercise_05()
    objectives = _check_monotone_path(path, trained.objective(data.X, data.y, data.beta), data)
    end = path.networks[-1]
    certificate = dual_certificate(end, data.X, data.y, data.beta)
    assert certificate.is_global_minimum, (
        f"the end of the path is not certified (V/beta = {certificate.relative_violation:.6f}): use target=None."
    )
    _close(objectives[-1], solution_set.objective, "F at the end of the path", rtol=1e-7)
    _passed(f"F falls from {objectives[0]:.6f} to p_c = {objectives[-1]:.6f} along {len(path.segments)} segments "
            f"({', '.join(sorted(set(path.segments)))}), never increasing.")


def check_05_target_path(path):
    r"""Exercise 5.3: a path to the given optimum, at the smallest width the target variant accepts."""
    from sklearn_convexnn import nonincreasing_path

    _answered(path, "path")
    data, trained, _, target = _exercise_05()
    _check_monotone_path(path, trained.objective(data.X, data.y, data.beta), data)
    width = path.width
    assert np.allclose(path.networks[-1].to_vector(), target.padded(width).to_vector(), atol=1e-10), (
        "the path does not end at the given target: pass target=target."
    )
    try:
        nonincreasing_path(trained.padded(width - 1), data.X, data.y, data.beta, target=target, n_points=2)
        smaller_works = True
    except ValueError:
        smaller_works = False
    assert not smaller_works, f"width {width} is not the smallest: the target path also runs at width {width - 1}."
    _passed(f"the path reaches the given optimum at width {width} < n + 1 = {len(data.y) + 1}: "
            "(neurons of the reduced start) + (neurons of the reduced target).")


# --------------------------------------------------------------------------------------------
# Lecture 6: the staircase of connectivity
# --------------------------------------------------------------------------------------------


def _exercise_06():
    """Example H-e (equilateral triangle, THEORY §H.3) and its optimal set."""
    from sklearn_convexnn import optimal_set
    from sklearn_convexnn.datasets import example_he

    data = example_he()
    return data, optimal_set(data.X, data.y, data.beta)


def check_06_critical_widths(m_star, M_star, n_plus_1, connected_from):
    r"""Exercise 6.1: :math:`m^*`, :math:`M^*`, :math:`n+1` and :math:`\min\{m^*+M^*,n+1\}` of example H-e."""
    from sklearn_convexnn import critical_widths

    for value, name in ((m_star, "m_star"), (M_star, "M_star"), (n_plus_1, "n_plus_1"),
                        (connected_from, "connected_from")):
        _answered(value, name)
    _, solution_set = _exercise_06()
    widths = critical_widths(solution_set)
    assert (m_star, M_star, n_plus_1) == tuple(widths), (
        f"(m_star, M_star, n_plus_1) = {(m_star, M_star, n_plus_1)}; compare the supports of the vertices."
    )
    assert connected_from == widths.connected_from, f"connected_from = {connected_from!r}: min(m* + M*, n + 1)."
    _passed(f"m* = {m_star}, M* = {M_star}, n + 1 = {n_plus_1}: connected from width {connected_from}.")


def check_06_isolated(network):
    r"""Exercise 6.2: an isolated optimal network of width :math:`M^*=3` of example H-e."""
    from sklearn_convexnn import ReLUNetwork
    from sklearn_convexnn.landscape import permutation_distance

    _answered(network, "network")
    assert isinstance(network, ReLUNetwork), f"network must be a ReLUNetwork, got {type(network).__name__}."
    data, solution_set = _exercise_06()
    assert network.width == solution_set.max_width, f"the network must have width M* = {solution_set.max_width}."
    _close(network.objective(data.X, data.y, data.beta), solution_set.objective, "F(network)", rtol=1e-7)
    largest = [v for v in solution_set.vertices() if np.count_nonzero(v) == solution_set.max_width]
    distance = min(permutation_distance(network, solution_set.network(v)) for v in largest)
    assert distance <= 1e-6, (
        "this optimum is not isolated: it can be split or moved inside the polytope. Use the vertex with the "
        "largest support, one neuron per direction."
    )
    _passed("the network of the largest vertex: no other optimum of width 3 is nearby.")


def check_06_connecting_path(path):
    r"""Exercise 6.3: a path of optimal networks between the two given width-4 optima of H-e."""
    from sklearn_convexnn.landscape import NetworkPath

    _answered(path, "path")
    assert isinstance(path, NetworkPath), f"path must be what connecting_path returns, got {type(path).__name__}."
    data, solution_set = _exercise_06()
    theta0, theta1 = (solution_set.random_network(4, random_state=seed) for seed in (0, 1))
    assert np.allclose(path.networks[0].to_vector(), theta0.to_vector(), atol=1e-12), "the path must start at theta0."
    assert np.allclose(path.networks[-1].to_vector(), theta1.to_vector(), atol=1e-12), "the path must end at theta1."
    objectives = path.objectives(data.X, data.y, data.beta)
    deviation = float(np.max(np.abs(objectives - solution_set.objective)))
    assert deviation <= 1e-7 * solution_set.objective, f"F leaves p_c by {deviation:.2e} along the path."
    assert path.max_step < 0.5, f"consecutive networks are {path.max_step:.2f} apart: the path jumps."
    _passed(f"{len(path)} optimal networks from theta0 to theta1, F = p_c = {solution_set.objective:g} "
            f"(largest deviation {deviation:.1e}).")


def check_06_isolated_at_two(isolated_at_2):
    r"""Exercise 6.4: whether some optimal network of width 2 of H-e is isolated (no vertex has support 2)."""
    from sklearn_convexnn import staircase_regime

    _answered(isolated_at_2, "isolated_at_2")
    _, solution_set = _exercise_06()
    truth = staircase_regime(solution_set, 2).isolated_point_exists
    assert bool(isolated_at_2) == truth, (
        "look at the supports of the vertices: an isolated optimum of width m is the network of a vertex with "
        "support exactly m."
    )
    _passed(f"vertex supports {list(solution_set.vertex_support_sizes)}: no isolated optimum at width 2.")


# --------------------------------------------------------------------------------------------
# Lecture 7: beyond two layers
# --------------------------------------------------------------------------------------------

#: data of the exercises of lecture 7
EXERCISE_07 = {"n_samples": 6, "random_state": 2, "beta": 0.1, "three_layer_beta": 0.05}


def _exercise_07_vector():
    """Six points in the plane (with the ones column), two outputs, all patterns."""
    from sklearn_convexnn import enumerate_patterns
    from sklearn_convexnn.arrangements import add_intercept

    rng = np.random.default_rng(EXERCISE_07["random_state"])
    x = rng.uniform(-1, 1, (EXERCISE_07["n_samples"], 2))
    Y = np.column_stack([np.abs(x[:, 0]), np.maximum(x[:, 1] - x[:, 0], 0)]) + 0.05 * rng.normal(size=x.shape)
    X = add_intercept(x)
    return X, Y, EXERCISE_07["beta"], enumerate_patterns(X)


def _exercise_07_three_layer():
    """Four points on a line (with the ones column) for the three-layer program."""
    from sklearn_convexnn.arrangements import add_intercept

    rng = np.random.default_rng(3)
    x = np.sort(rng.uniform(-1, 1, (4, 1)), axis=0)
    return add_intercept(x), np.cos(2 * x[:, 0]) - x[:, 0], EXERCISE_07["three_layer_beta"]


def check_07_gated_one_output(p_vector, p_scalar):
    r"""Exercise 7.1: the gated vector program with :math:`c=1` and the scalar gated program (CG) agree."""
    from sklearn_convexnn import ConvexProgram

    _answered(p_vector, "p_vector")
    _answered(p_scalar, "p_scalar")
    X, Y, beta, arrangement = _exercise_07_vector()
    reference = ConvexProgram(X, Y[:, 0], beta, arrangement, activation="gated").solve().objective
    _close(float(p_scalar), reference, "p_scalar")
    _close(float(p_vector), reference, "p_vector")
    _passed(f"both equal {reference:.8f}: with one output the nuclear norm of V_i is the norm of u_i.")


def check_07_certified_bounds(upper, lower):
    r"""Exercise 7.2: certified bounds :math:`\underline p\le p^*\le\bar p` on the ReLU vector optimum, gap :math:`\le10^{-6}`."""
    from sklearn_convexnn.extensions.vector_output import VectorOutputProgram, dictionary_refinement

    _answered(upper, "upper")
    _answered(lower, "lower")
    upper, lower = float(upper), float(lower)
    X, Y, beta, arrangement = _exercise_07_vector()
    assert lower <= upper + 1e-12, f"lower = {lower} exceeds upper = {upper}."
    assert upper - lower <= 1e-6 * max(1.0, upper), (
        f"the gap upper - lower = {upper - lower:.2e} is too large: refine the dictionary (dictionary_refinement)."
    )
    reference = dictionary_refinement(VectorOutputProgram(X, Y, beta, arrangement, level=0), rounds=12, rtol=1e-7,
                                      n_new=12)
    _close(upper, reference.solution.objective, "upper", rtol=1e-5)
    gated = VectorOutputProgram(X, Y, beta, arrangement, activation="gated").solve().objective
    assert gated <= lower + 1e-8, "the gated optimum must not exceed the ReLU optimum (same patterns)."
    _passed(f"{lower:.8f} <= p* <= {upper:.8f}; the gated relaxation gives {gated:.6f} below it.")


def check_07_three_layer(p_three, n_directions, best_run):
    r"""Exercise 7.3: the three-layer convex optimum, its first-layer directions, and training runs above it."""
    from sklearn_convexnn.extensions.three_layer import ThreeLayerProgram, fit_three_layer

    for value, name in ((p_three, "p_three"), (n_directions, "n_directions"), (best_run, "best_run")):
        _answered(value, name)
    X, y, beta = _exercise_07_three_layer()
    solution = ThreeLayerProgram(X, y, beta).solve()
    _close(float(p_three), solution.objective, "p_three")
    distinct = len(solution.first_layer_directions().distinct())
    assert n_directions == distinct, f"n_directions = {n_directions!r}; count the distinct directions of the set."
    runs = [fit_three_layer(X, y, beta, 2, 2, random_state=seed, max_iter=400).objective for seed in range(5)]
    _close(float(best_run), min(runs), "best_run", rtol=1e-6)
    assert best_run >= solution.lower_bound - 1e-9, "a run below the certified lower bound is impossible."
    _passed(f"p = {solution.objective:.6f}, {distinct} first-layer directions fixed by the dual; the best of five "
            f"runs stops {best_run - solution.objective:.2e} above p.")


# --------------------------------------------------------------------------------------------
# Lectures 2-4: duality, the optimal set, stationary points
# --------------------------------------------------------------------------------------------

#: data of the exercises of lectures 2 and 4: eight points on a line, beta = 0.1
EXERCISE_02 = {"n_samples": 8, "random_state": 3, "beta": 0.1}


def first_spurious_seed(X, y, beta, width=2, seeds=range(50)):
    r"""The first seed whose ``fit_mlp`` run stops at a spurious stationary point other than the zero network.

    Which seeds stop where depends on the rounding of the machine (L-BFGS amplifies it), so the
    exercises name no seed: they and their checks take the seed of
    :func:`sklearn_convexnn.landscape.first_spurious_run` (the rule of lectures 2 and 4), with a margin of
    :math:`10^{-3}` from :math:`p^{\rm c}` and from the zero network (the exercise data's spurious point
    is only :math:`6\times10^{-3}` above :math:`p^{\rm c}`).
    """
    from sklearn_convexnn.landscape import first_spurious_run

    return first_spurious_run(X, y, beta, width, seeds=seeds, margin=1e-3).seed


def _exercise_02_data():
    from sklearn_convexnn.datasets import make_teaching_1d

    data = make_teaching_1d(EXERCISE_02["n_samples"], random_state=EXERCISE_02["random_state"])
    return data.X, data.y, EXERCISE_02["beta"]


def _exercise_02_program():
    from sklearn_convexnn import ConvexProgram, enumerate_patterns
    from sklearn_convexnn.arrangements import add_intercept

    X, y, beta = _exercise_02_data()
    return ConvexProgram(add_intercept(X), y, beta, enumerate_patterns(X, fit_intercept=True))


def check_02_beta_max(beta_max):
    r"""Exercise 2.1: :math:`\beta_{\max}=\sup_{\|u\|\le1}|\langle y,(\tilde Xu)_+\rangle|` of the exercise data."""
    from sklearn_convexnn.convex.dual import dual_constraint

    _answered(beta_max, "beta_max")
    program = _exercise_02_program()
    reference = dual_constraint(program.y, program.X, program.masks).max_value
    _close(float(beta_max), reference, "beta_max", rtol=1e-8)
    solution = program.with_beta(1.01 * reference).solve()
    assert solution.n_iter == 0 and not np.any(solution.u) and not np.any(solution.v)
    _passed(f"beta_max = {reference:.6f}: above it the zero network is optimal.")


def check_02_strong_duality(p_primal, d_dual):
    r"""Exercise 2.2: :math:`p^{\rm c}` and the dual objective :math:`\langle\nu^*,y\rangle-\frac12\|\nu^*\|^2` agree."""
    _answered(p_primal, "p_primal")
    _answered(d_dual, "d_dual")
    program = _exercise_02_program()
    solution = program.solve()
    nu = solution.dual
    _close(float(p_primal), solution.objective, "p_primal")
    _close(float(d_dual), float(nu @ program.y) - 0.5 * float(nu @ nu), "d_dual")
    assert abs(p_primal - d_dual) <= 1e-6 * max(1.0, abs(p_primal)), "the duality gap should be (nearly) zero."
    _passed(f"p_c = {p_primal:.8f} = d_c = {d_dual:.8f} (gap {p_primal - d_dual:.1e}).")


def check_02_cone_norm(cone_norm):
    r"""Exercise 2.3: ``cone_norm(g, X, mask)`` :math:`=\|\Pi_{\mathcal K}(g)\|=\max_{u\in\mathcal K,\|u\|\le1}\langle g,u\rangle`.

    Compared with :func:`~sklearn_convexnn.convex.dual.project_onto_cone` for random vectors and every
    pattern of the exercise data (with the ones column).
    """
    from sklearn_convexnn.convex.dual import project_onto_cone

    _answered(cone_norm, "cone_norm")
    program = _exercise_02_program()
    rng = np.random.default_rng(0)
    for i in range(program.n_patterns):
        mask = program.masks[:, i]
        for g in rng.normal(size=(3, program.X.shape[1])):
            answer = cone_norm(g, program.X, mask)
            _answered(answer, "cone_norm(g, X, mask)")
            reference = float(np.linalg.norm(project_onto_cone(g, program.X, mask)))
            assert abs(float(answer) - reference) <= 1e-8 * max(1.0, float(np.linalg.norm(g))), (
                f"pattern {i}: cone_norm = {float(answer):.10g}, but ||Pi_K(g)|| = {reference:.10g}."
            )
    _passed(f"cone_norm matches the projection for {3 * program.n_patterns} vectors.")


def check_02_escape(network):
    r"""Exercise 2.4: one more neuron along ``worst_direction`` lowers :math:`F` of the spurious width-2 run.

    The run is the one of :func:`first_spurious_seed`, as in the exercise.
    """
    from sklearn_convexnn import ReLUNetwork
    from sklearn_convexnn.nonconvex import fit_mlp

    _answered(network, "network")
    assert isinstance(network, ReLUNetwork), f"network must be a ReLUNetwork, got {type(network).__name__}."
    X, y, beta = _exercise_02_data()
    trained = fit_mlp(X, y, beta, 2, random_state=first_spurious_seed(X, y, beta)).network
    assert network.width == 3 and network.hidden_bias is not None, (
        f"add exactly one neuron (with its bias) to the width-2 network; got width {network.width}."
    )
    np.testing.assert_allclose(network.augmented_weights[:2], trained.augmented_weights, atol=1e-12,
                               err_msg="keep the two trained neurons as they are and append the new one.")
    before, after = trained.objective(X, y, beta), network.objective(X, y, beta)
    assert after < before - 1e-6, f"F went from {before:.8f} to {after:.8f}: it must decrease."
    _passed(f"F decreased from {before:.6f} to {after:.6f}: the run was not a global minimum.")


#: beta of the H-b exercises of lecture 3
EXERCISE_03 = {"hb_beta": 0.5, "min_norm_beta": 2.0}


def check_03_hb(p_c, m_star, M_star):
    r"""Exercise 3.1: example H-b at :math:`\beta=0.5`: :math:`p^{\rm c}`, :math:`m^*`, :math:`M^*`."""
    from sklearn_convexnn import optimal_set
    from sklearn_convexnn.datasets import example_hb

    for value, name in ((p_c, "p_c"), (m_star, "m_star"), (M_star, "M_star")):
        _answered(value, name)
    beta = EXERCISE_03["hb_beta"]
    data = example_hb(beta)
    reference = optimal_set(data.X, data.y, beta)
    _close(float(p_c), reference.objective, "p_c", rtol=1e-8)
    _close(float(p_c), 1.5 * beta - beta**2 / 4, "p_c (the formula 1.5 beta - beta^2/4)", rtol=1e-8)
    assert (int(m_star), int(M_star)) == (reference.min_width, reference.max_width), (
        f"(m*, M*) = ({m_star}, {M_star}), but the vertices of the optimal polytope give "
        f"({reference.min_width}, {reference.max_width})."
    )
    _passed(f"p_c = {p_c:.6f}, m* = {m_star}, M* = {M_star}.")


def check_03_two_networks(first, second):
    r"""Exercise 3.2: two globally optimal networks for ``make_continuum()`` with :math:`|f_1(0)-f_2(0)|>1`."""
    from sklearn_convexnn import ReLUNetwork, optimal_set
    from sklearn_convexnn.datasets import make_continuum

    _answered(first, "first")
    _answered(second, "second")
    data = make_continuum()
    reference = optimal_set(data.X, data.y, data.beta)
    centre = np.zeros((1, data.X.shape[1]))
    for network, name in ((first, "first"), (second, "second")):
        assert isinstance(network, ReLUNetwork), f"{name} must be a ReLUNetwork, got {type(network).__name__}."
        _close(network.objective(data.X, data.y, data.beta), reference.objective, f"F({name})", rtol=1e-9)
    gap = abs(float(first.predict(centre)[0] - second.predict(centre)[0]))
    assert gap > 1.0, f"|f_1(0) - f_2(0)| = {gap:.4f}; find two optimal networks that differ by more than 1."
    _passed(f"both optimal (F = {reference.objective:.6f}); their predictions at 0 differ by {gap:.4f}.")


def check_03_min_norm(coefficients):
    r"""Exercise 3.3: the minimum-norm point of the optimal polytope of H-b at :math:`\beta=2`."""
    from sklearn_convexnn import optimal_set
    from sklearn_convexnn.datasets import example_hb

    _answered(coefficients, "coefficients")
    beta = EXERCISE_03["min_norm_beta"]
    data = example_hb(beta)
    reference = optimal_set(data.X, data.y, beta)
    coefficients = np.asarray(coefficients, dtype=float)
    assert coefficients.shape == reference.min_norm_coefficients.shape, (
        f"coefficients must have shape {reference.min_norm_coefficients.shape} (one per optimal direction)."
    )
    assert reference.polytope.contains(coefficients), "coefficients is not a point of the optimal polytope."
    assert np.allclose(coefficients, reference.min_norm_coefficients, atol=1e-7), (
        f"{coefficients} is optimal but not of minimum norm; the minimum-norm point is "
        f"{reference.min_norm_coefficients}."
    )
    _passed(f"c = {np.round(coefficients, 6)}: (1.5 - beta/2)/3 on each of the three directions.")


#: the runs of the exercises of lecture 4 (data EXERCISE_02): width and seeds (exercise 4.3 takes the run of
#: ``first_spurious_seed``)
EXERCISE_04 = {"width": 2, "seeds": (0, 1, 2, 3, 4, 5)}


def _exercise_04_report(seed):
    from sklearn_convexnn import stationarity
    from sklearn_convexnn.nonconvex import fit_mlp

    X, y, beta = _exercise_02_data()
    network = fit_mlp(X, y, beta, EXERCISE_04["width"], random_state=seed).network
    return stationarity(network, X, y, beta)


def check_04_zero_network(relative_violation):
    r"""Exercise 4.1: :math:`V(y)/\beta` at the zero network (a stationary point), i.e. :math:`\beta_{\max}/\beta`."""
    _answered(relative_violation, "relative_violation")
    program = _exercise_02_program()
    reference = program.beta_max / program.beta
    _close(float(relative_violation), reference, "relative_violation", rtol=1e-8)
    assert relative_violation > 1, "the zero network is a spurious stationary point here."
    _passed(f"V/beta = beta_max/beta = {reference:.4f} > 1: the zero network is stationary but spurious.")


def check_04_classes(classes):
    r"""Exercise 4.2: the classification of the width-2 ``fit_mlp`` runs with seeds 0-5."""
    _answered(classes, "classes")
    classes = list(classes)
    seeds = EXERCISE_04["seeds"]
    assert len(classes) == len(seeds), f"classes must hold one class per seed {seeds}; got {len(classes)}."
    reference = [_exercise_04_report(seed).classification for seed in seeds]
    for seed, answer, expected in zip(seeds, classes, reference):
        assert answer == expected, f"seed {seed}: you say {answer!r}, stationarity says {expected!r}."
    counts = {name: reference.count(name) for name in sorted(set(reference))}
    _passed(f"all {len(seeds)} runs classified correctly: {counts}.")


def check_04_subsampled(p_sub):
    r"""Exercise 4.3: the optimal value of the sub-sampled program of the spurious run equals its :math:`F`.

    The run is the one of :func:`first_spurious_seed`, as in the exercise.
    """
    _answered(p_sub, "p_sub")
    report = _exercise_04_report(first_spurious_seed(*_exercise_02_data(), width=EXERCISE_04["width"]))
    assert report.classification == "spurious"
    _close(float(p_sub), report.subsampled_optimum, "p_sub", rtol=1e-6)
    _close(float(p_sub), report.objective, "p_sub (compared with F of the run)", rtol=1e-6)
    _passed(f"p_sub = {p_sub:.8f} = F(theta): optimal for its own patterns, "
            f"yet V/beta = {report.certificate.relative_violation:.3f} > 1.")
