"""Smoke test of the benchmark harness (bench/): every peer is judged by our objective, and the scalings hold.

Runs cvxpy and MLPRegressor (and pyscnn's gated R-FISTA when installed) on a toy problem. Timing
is not tested here; it lives only in bench/.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import peers  # noqa: E402
import problems  # noqa: E402
import run  # noqa: E402

from sklearn_convexnn.arrangements import add_intercept, sample_patterns  # noqa: E402
from sklearn_convexnn.network import ReLUNetwork  # noqa: E402
from sklearn_convexnn.nonconvex import PinnedInterceptMLPRegressor  # noqa: E402


@pytest.fixture(scope="module")
def toy():
    return problems.make_synthetic(40, 3, 12, random_state=0)


@pytest.fixture
def objective_calls(monkeypatch):
    """Record every value returned by ReLUNetwork.objective (our one objective function)."""
    calls = []
    original = ReLUNetwork.objective

    def spy(self, X, y, beta, loss="squared"):
        value = original(self, X, y, beta, loss)
        calls.append((self, value))
        return value

    monkeypatch.setattr(ReLUNetwork, "objective", spy)
    return calls


def _judged_by_ours(result, calls, problem):
    """The result's objective is a value ReLUNetwork.objective returned for this very network."""
    values = [value for network, value in calls if network is result.network]
    assert values, "ReLUNetwork.objective was never called on the returned network"
    assert result.objective == values[-1]
    prediction = result.network.predict(problem.X)
    recomputed = 0.5 * np.sum((prediction - problem.y) ** 2) + 0.5 * problem.beta * result.network.squared_weight_norm()
    assert result.objective == pytest.approx(recomputed, rel=1e-12)


def test_problem_is_shared_and_unitized(toy):
    X_aug = toy.X_aug
    n = X_aug.shape[0]
    # every column (the ones included) has norm sqrt(n): pyscnn's unitizing is a uniform rescale
    np.testing.assert_allclose(np.linalg.norm(X_aug, axis=0), np.sqrt(n), rtol=1e-12)
    # the estimator's sampling with the same seed draws the same patterns
    again = sample_patterns(add_intercept(toy.X), toy.n_gates, random_state=toy.pattern_seed)
    np.testing.assert_array_equal(again.masks, toy.arrangement.masks)
    assert problems.beta_for(200) == 1.0


def test_cvxpy_peer_is_judged_by_our_objective(toy, objective_calls):
    result = peers.solve_cvxpy(toy, "CLARABEL", "relu", tol=1e-9)
    _judged_by_ours(result, objective_calls, toy)
    # Clarabel's blocks are feasible, so the network's F equals the convex objective, and the gap is certified
    assert result.cone_violation <= 1e-7
    assert result.objective == pytest.approx(result.program_objective, rel=1e-7)
    assert 0 <= result.relative_gap <= 1e-6
    # the gated program is judged by the gated network's objective on [X, 1]
    # our solver ("auto": whatever SOLVERS picks) is judged the same way and reaches the same optimum
    ours = peers.solve_ours(toy, "auto", "relu", tol=1e-9)
    _judged_by_ours(ours, objective_calls, toy)
    assert ours.objective == pytest.approx(result.objective, rel=1e-6)
    gated = peers.solve_cvxpy(toy, "CLARABEL", "gated", tol=1e-9)
    assert gated.objective == pytest.approx(gated.network.objective(toy.X_aug, toy.y, toy.beta), rel=1e-12)
    assert gated.objective <= result.objective * (1 + 1e-6)  # the gated program relaxes the cones


def test_mlp_alpha_gives_n_times_sklearn_loss(toy, objective_calls):
    n, width, beta = toy.X.shape[0], 6, toy.beta
    alpha = peers.mlp_alpha(beta, n, "lbfgs")
    assert alpha == beta
    assert peers.mlp_alpha(beta, n, "adam", batch_size=8) == pytest.approx(beta * 8 / n)
    mlp = PinnedInterceptMLPRegressor(hidden_layer_sizes=(width,), activation="relu", solver="lbfgs", alpha=alpha,
                                      max_iter=30, max_fun=300, tol=1e-12, batch_size=min(32, n), random_state=3,
                                      n_iter_no_change=50)
    with pytest.warns(Warning):  # stops at max_iter
        mlp.fit(toy.X_aug, toy.y)
    assert np.all(mlp.intercepts_[0] == 0) and np.all(mlp.intercepts_[1] == 0)
    read = ReLUNetwork.from_mlp(mlp)
    network = ReLUNetwork.from_augmented(read.hidden_weights, read.output_weights, True)
    F = peers.network_objective(network, toy)
    assert F == pytest.approx(n * mlp.loss_, rel=1e-10)
    # the harness's wrapper trains exactly this network and judges it by our objective
    result = peers.train_mlp(toy, width, solver="lbfgs", seed=3, max_iter=30)
    _judged_by_ours(result, objective_calls, toy)
    assert result.objective == pytest.approx(F, rel=1e-12)


def test_report_table(toy):
    rows = [
        run.MethodRow("cvxpy+CLARABEL", "relu", [peers.solve_cvxpy(toy, "CLARABEL", "relu")]),
        run.MethodRow("MLPRegressor L-BFGS width 4", "network",
                      [peers.train_mlp(toy, 4, seed=s, max_iter=200) for s in range(2)]),
        run.MethodRow("skipped peer", "relu", note="skipped: test"),
    ]
    report = run.ProblemReport(toy, problems.iteration_time(toy, repeats=3), rows, 4, 0.0)
    table = run.problem_table(report)
    assert table.count("\n| ") == 1 + len(rows)  # header + one line per method
    best = min(row.best.objective for row in rows if row.ran)
    assert f"| {best:.8g} | 0.00e+00 |" in table
    assert "skipped: test" in table


@pytest.mark.skipif(not peers.pyscnn_available(), reason="pyscnn not installed (bench extra)")
def test_pyscnn_uses_our_patterns_and_lambda(toy, objective_calls):
    result = peers.solve_pyscnn(toy, "rfista", dtype="float64", tol=1e-12, max_iter=20000)
    assert result.note.startswith("patterns = ours")
    # lambda = beta / n**1.5: pyscnn's own objective times n equals our program objective of its blocks
    relative = float(result.note.split("rel. diff. to ours ")[1].split(")")[0])
    assert relative <= 1e-9
    reference = peers.solve_cvxpy(toy, "CLARABEL", "gated", tol=1e-9)
    assert result.objective == pytest.approx(reference.objective, rel=1e-5)


def test_memory_section_says_when_it_was_skipped():
    """``--skip-memory`` is reported as such, not as "no native solver registered"."""
    skipped = "\n".join(run.memory_table([], skipped=True))
    assert "--skip-memory" in skipped and "No native solver" not in skipped
    assert "No native solver" in "\n".join(run.memory_table([]))
    assert "Pending" in "\n".join(run.memory_table(None))


def test_a_failed_run_keeps_its_status_and_message_in_the_table(toy):
    failed = peers.RunResult(time=1.0, objective=float("nan"), network=None, status="failed",
                             note="cvxpy solver CLARABEL failed: numerical trouble")
    report = run.ProblemReport(toy, 1e-3, [run.MethodRow("cvxpy+CLARABEL", "relu", [failed])], 4, 0.0)
    line = run.problem_table(report).splitlines()[-1]
    assert line.startswith("| cvxpy+CLARABEL | 0 |")
    assert "status failed" in line and "numerical trouble" in line


def test_logistic_problems_train_the_classifier_on_the_logistic_objective(objective_calls):
    logistic = problems.benchmark_problems("logistic")
    assert len(logistic) == len(problems.LOGISTIC_SCALES) * len(problems.REAL_DATASETS)
    problem = logistic[0]
    assert problem.loss == "logistic" and "logistic loss" in problem.name
    assert set(np.unique(problem.y)) == {-1.0, 1.0}
    assert problem.program().loss == "logistic"
    assert peers.mlp_name(problem) == "MLPClassifier" and "Classifier" in peers.adaptive_label(problem)
    result = peers.train_mlp(problem, 4, seed=0, max_iter=20)
    values = [value for network, value in objective_calls if network is result.network]
    assert values and result.objective == values[-1]
    margins = problem.y * result.network.predict(problem.X)
    recomputed = np.sum(np.logaddexp(0.0, -margins)) + 0.5 * problem.beta * result.network.squared_weight_norm()
    assert result.objective == pytest.approx(recomputed, rel=1e-12)
    with pytest.raises(ValueError, match="loss"):
        problems.make_real("diabetes", 10, loss="hinge")
