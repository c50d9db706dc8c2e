"""The convex program: recovery, duality, and agreement with non-convex training."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklearn_convexnn import ConvexProgram, enumerate_patterns, sample_patterns
from sklearn_convexnn.arrangements import add_intercept
from sklearn_convexnn.convex import solvers
from sklearn_convexnn.convex.program import SolverError, SolverResult
from sklearn_convexnn.nonconvex import fit_mlp


def labels(y):
    return np.where(y > np.median(y), 1.0, -1.0)


@pytest.mark.parametrize("activation", ["relu", "gated"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("which", ["data_1d", "data_2d"])
def test_recovered_network_has_the_convex_objective(request, which, activation, loss):
    data, X_aug, arrangement = request.getfixturevalue(which)
    y = data.y if loss == "squared" else labels(data.y)
    beta = data.beta if loss == "squared" else 0.5  # separable labels: keep the logistic optimum bounded
    program = ConvexProgram(X_aug, y, beta, arrangement, activation=activation, loss=loss)
    solution = program.solve(solver="cvxpy")
    network = solution.to_network()
    assert network.objective(X_aug, y, beta, loss) == pytest.approx(solution.objective, rel=1e-6)
    assert program.objective(solution) == pytest.approx(solution.objective, rel=1e-12)
    # certified: the gap is non-negative up to rounding and tiny at the optimum
    assert solution.duality_gap >= -1e-7 * max(1, solution.objective)
    # Clarabel's exponential cones (logistic loss) stop earlier than its second-order cones
    assert solution.relative_gap <= (1e-6 if loss == "squared" else 1e-4)
    assert solution.lower_bound <= solution.objective + 1e-9
    assert program.max_violation(solution) <= 1e-7


@pytest.mark.parametrize("which", ["data_1d", "data_2d"])
def test_gated_optimum_is_below_the_relu_optimum(request, which):
    data, X_aug, arrangement = request.getfixturevalue(which)
    relu = ConvexProgram(X_aug, data.y, data.beta, arrangement).solve(solver="cvxpy")
    gated = ConvexProgram(X_aug, data.y, data.beta, arrangement, activation="gated").solve(solver="cvxpy")
    assert gated.objective <= relu.objective + 1e-7


def test_restricted_patterns_give_an_upper_bound(data_1d):
    data, X_aug, arrangement = data_1d
    full = ConvexProgram(X_aug, data.y, data.beta, arrangement).solve(solver="cvxpy")
    sub = ConvexProgram(X_aug, data.y, data.beta, arrangement.subset(np.arange(0, arrangement.n_patterns, 3))).solve(solver="cvxpy")
    assert sub.objective >= full.objective - 1e-8


def test_blocks_restrict_the_program(data_1d):
    data, X_aug, arrangement = data_1d
    blocks = np.zeros((arrangement.n_patterns, 2), dtype=bool)
    blocks[::2, 0] = True
    blocks[1::2, 1] = True
    solution = ConvexProgram(X_aug, data.y, data.beta, arrangement, blocks=blocks).solve(solver="cvxpy")
    assert np.all(solution.u[~blocks[:, 0]] == 0) and np.all(solution.v[~blocks[:, 1]] == 0)
    assert solution.relative_gap <= 1e-6  # the gap is certified over the existing blocks


def test_nonconvex_training_never_goes_below_the_convex_optimum(data_1d):
    data, X_aug, arrangement = data_1d
    optimum = ConvexProgram(X_aug, data.y, data.beta, arrangement).solve(solver="cvxpy")
    n = len(data.y)
    runs = [fit_mlp(data.X, data.y, data.beta, width, random_state=seed) for seed in range(6) for width in (3, n + 1)]
    objectives = np.array([run.objective for run in runs])
    assert objectives.min() >= optimum.objective * (1 - 1e-7)
    # and the optimum is reached by a network of width at most n (m* <= n)
    network = optimum.to_network(drop_below=1e-7).merged()
    assert network.width <= n
    assert network.objective(X_aug, data.y, data.beta) == pytest.approx(optimum.objective, rel=1e-6)


def test_dual_is_the_residual_and_the_zero_solution_for_large_beta(data_1d):
    data, X_aug, arrangement = data_1d
    solution = ConvexProgram(X_aug, data.y, data.beta, arrangement).solve(solver="cvxpy")
    np.testing.assert_allclose(solution.dual, data.y - solution.prediction, rtol=1e-12)
    beta_max = np.abs(X_aug.T @ data.y).sum() + np.linalg.norm(X_aug, 2) * np.linalg.norm(data.y)
    zero = ConvexProgram(X_aug, data.y, beta_max, arrangement).solve(solver="cvxpy")
    assert np.abs(zero.prediction).max() <= 1e-6
    assert zero.objective == pytest.approx(0.5 * data.y @ data.y, rel=1e-6)


def test_bad_input_is_named(data_1d):
    data, X_aug, arrangement = data_1d
    with pytest.raises(ValueError, match="beta"):
        ConvexProgram(X_aug, data.y, -1.0, arrangement)
    with pytest.raises(TypeError, match="beta"):
        ConvexProgram(X_aug, data.y, "1", arrangement)
    with pytest.raises(ValueError, match="samples"):
        ConvexProgram(X_aug, data.y[:-1], 1.0, arrangement)
    bad = X_aug.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN|nan|infinity"):
        ConvexProgram(bad, data.y, 1.0, arrangement)
    with pytest.raises(ValueError, match="activation"):
        ConvexProgram(X_aug, data.y, 1.0, arrangement, activation="tanh")
    with pytest.raises(ValueError, match="loss"):
        ConvexProgram(X_aug, data.y, 1.0, arrangement, loss="hinge")
    with pytest.raises(ValueError, match="y must contain only -1 and"):
        ConvexProgram(X_aug, data.y, 1.0, arrangement, loss="logistic")
    with pytest.raises(TypeError, match="arrangement"):
        ConvexProgram(X_aug, data.y, 1.0, arrangement.masks)
    with pytest.raises(ValueError, match="arrangement"):
        ConvexProgram(X_aug[:-1], data.y[:-1], 1.0, arrangement)
    with pytest.raises(ValueError, match="y must be one-dimensional"):
        ConvexProgram(X_aug, np.column_stack([data.y, data.y]), 1.0, arrangement)
    program = ConvexProgram(X_aug, data.y, 1.0, arrangement)
    with pytest.raises(ValueError, match="solver"):
        program.solve(solver="newton")
    with pytest.raises(ValueError, match="tol"):
        program.solve(tol=-1)
    with pytest.raises(ValueError, match="max_iter"):
        program.solve(max_iter=0)


def test_an_early_stop_warns_and_keeps_a_consistent_solution(data_1d):
    data, X_aug, arrangement = data_1d
    program = ConvexProgram(X_aug, data.y, data.beta, arrangement)
    with pytest.warns(ConvergenceWarning, match="status"):
        solution = program.solve(solver="cvxpy", max_iter=2)
    assert solution.status != "optimal"
    # whatever the point, the reported bound is still a valid lower bound
    assert solution.lower_bound <= ConvexProgram(X_aug, data.y, data.beta, arrangement).solve(solver="cvxpy").objective + 1e-8


def test_failing_and_nan_backends_raise(monkeypatch, data_1d):
    data, X_aug, arrangement = data_1d
    program = ConvexProgram(X_aug, data.y, data.beta, arrangement)

    def failing(program, **kwargs):
        raise SolverError("injected failure")

    def nan_backend(program, **kwargs):
        u = np.full((program.n_patterns, X_aug.shape[1]), np.nan)
        return SolverResult(u, u, "optimal", 1)

    monkeypatch.setitem(solvers.SOLVERS, "failing", failing)
    monkeypatch.setitem(solvers.SOLVERS, "nan", nan_backend)
    with pytest.raises(SolverError, match="injected"):
        program.solve(solver="failing")
    with pytest.raises(SolverError, match="non-finite"):
        program.solve(solver="nan")


def test_sampled_patterns_are_an_upper_bound_and_not_exhaustive(data_2d):
    data, X_aug, arrangement = data_2d
    sampled = sample_patterns(X_aug, 10, random_state=0)
    assert not sampled.exhaustive and arrangement.exhaustive
    full = ConvexProgram(X_aug, data.y, data.beta, arrangement).solve(solver="cvxpy")
    sub = ConvexProgram(X_aug, data.y, data.beta, sampled).solve(solver="cvxpy")
    assert sub.objective >= full.objective - 1e-8


def test_cone_violation_is_the_largest_violated_cone_constraint():
    """The worst -[(2D_i - I) X u_i]_k over the blocks, zero blocks included; 0 inside every cone."""
    rng = np.random.default_rng(4)
    X = add_intercept(rng.standard_normal((30, 2)))
    arrangement = sample_patterns(X, 12, random_state=0)
    program = ConvexProgram(X, rng.standard_normal(30), 1.0, arrangement)
    P, d = arrangement.n_patterns, X.shape[1]
    u, v = rng.standard_normal((P, d)), np.zeros((P, d))
    u[::2] = 0.0  # unused blocks
    v[1] = arrangement.gates[:, 1]  # inside its cone: the pattern's own gate
    signs = np.where(program.masks, 1.0, -1.0)
    brute = max(0.0, -min((signs * (X @ u.T)).min(), (signs * (X @ v.T)).min()))
    assert brute > 0  # random directions leave their cones
    assert program.cone_violation(u, v) == pytest.approx(brute, rel=1e-12)
    inside = np.zeros((P, d))
    inside[1:3] = arrangement.gates[:, 1:3].T
    assert program.cone_violation(inside, np.zeros((P, d))) == 0.0


def test_the_gate_bound_is_below_the_dual_violation_and_decides_zero_the_same():
    """gate_lower_bound <= V(nu) for every nu and blocks; the program's zero test agrees with beta_max."""
    from sklearn_convexnn.convex.dual import dual_constraint, gate_lower_bound

    rng = np.random.default_rng(3)
    X = add_intercept(rng.standard_normal((30, 2)))
    arrangement = enumerate_patterns(X)
    y = rng.standard_normal(30)
    checked = 0
    for _ in range(20):
        nu = rng.standard_normal(30)
        blocks = rng.random((arrangement.masks.shape[1], 2)) < 0.7
        exact = dual_constraint(nu, X, arrangement.masks).values
        V = float(np.where(blocks, exact, 0.0).max())
        bound = gate_lower_bound(nu, X, arrangement.masks, arrangement.gates, blocks)
        assert bound <= V * (1 + 1e-12)
        checked += bound > 0.5 * V  # the generic gates give a useful bound, not just 0
    assert checked >= 10
    # gates that do not generate their patterns are never used for the bound (their cone check fails)
    wrong = np.array(arrangement.gates)[:, ::-1]
    for _ in range(20):
        nu = rng.standard_normal(30)
        assert gate_lower_bound(nu, X, arrangement.masks, wrong) <= dual_constraint(nu, X, arrangement.masks).max_value
    program = ConvexProgram(X, y, 1.0, arrangement)
    for beta in (0.5 * program.beta_max, 0.999 * program.beta_max, 1.001 * program.beta_max):
        solution = ConvexProgram(X, y, beta, arrangement).solve("cg")
        assert (solution.solver == "zero") == (beta >= program.beta_max)
