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
    "check_01_pattern_counts",
    "check_01_recovered_network",
    "check_01_gated_relaxation",
    "check_01_mlp_excess",
    "check_08_pipeline",
    "check_08_grid_search",
    "check_08_own_patterns",
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
