"""Injected solver faults become a SolverError or a ConvergenceWarning, never a silent or obscure failure.

Fake backends are registered in ``SOLVERS`` with the backend interface
``fn(program, *, tol, max_iter, warm_start, verbose, **options) -> SolverResult``. A backend that
raises, returns non-finite or malformed blocks, or an unknown status gives a SolverError naming the
solver (and an estimator that is not fitted); an inaccurate or iteration-limited status gives a
ConvergenceWarning, keeps the status in ``solver_status_``, and leaves a consistent model:
``objective_`` is the network's objective, the predictions are the network's, and the network's dual
certificate bounds its objective from below.
"""

import dataclasses

import cvxpy
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError

import sklearn_convexnn.convex.solvers as solvers
from sklearn_convexnn import ConvexProgram, ConvexReLUClassifier, ConvexReLURegressor, dual_certificate
from sklearn_convexnn.arrangements import add_intercept, enumerate_patterns
from sklearn_convexnn.convex.program import SolverError, SolverResult
from sklearn_convexnn.convex.solvers.cvxpy_backend import solve_cvxpy
from sklearn_convexnn.network import ReLUNetwork

RNG = np.random.default_rng(7)
X = RNG.standard_normal((8, 2))
Y_REGRESSION = np.abs(X[:, 0]) - X[:, 1] + 0.1 * RNG.standard_normal(8)
Y_THREE_CLASSES = np.array(["a", "b", "c", "a", "b", "c", "a", "b"])
BETA = 0.05


def estimators(solver, **params):
    return [
        ConvexReLURegressor(beta=BETA, solver=solver, **params),
        ConvexReLURegressor(beta=BETA, activation="gated", solver=solver, **params),
        ConvexReLUClassifier(beta=BETA, solver=solver, **params),
        ConvexReLUClassifier(beta=BETA, loss="logistic", solver=solver, **params),
    ]


def targets_of(model):
    return Y_REGRESSION if isinstance(model, ConvexReLURegressor) else Y_THREE_CLASSES


def check_consistent(model):
    """objective_ is the network's objective; predictions are the network's; weak duality holds."""
    y = targets_of(model)
    network = model.network_
    if isinstance(model, ConvexReLURegressor):
        targets, output, loss = y, model.predict(X), "squared"
    else:
        targets = np.where(y[:, None] == model.classes_[None, :], 1.0, -1.0)
        output, loss = model.decision_function(X), model.loss
    inputs = X if isinstance(network, ReLUNetwork) else add_intercept(X)
    assert model.objective_ == pytest.approx(network.objective(inputs, targets, BETA, loss), rel=1e-10)
    assert np.array_equal(output, network.predict(inputs)) and np.all(np.isfinite(output))
    assert np.isfinite(model.duality_gap_)
    if isinstance(network, ReLUNetwork) and targets.ndim == 1:
        certificate = dual_certificate(network, X, targets, BETA, patterns=model.arrangement_, loss=loss)
        assert certificate.lower_bound <= model.objective_ + 1e-9 * max(1.0, model.objective_)


# ------------------------------------------------------------------------------ raising backends
RAISED = [RuntimeError("boom"), ZeroDivisionError("division by zero"), np.linalg.LinAlgError("singular"),
          cvxpy.error.SolverError("Solver 'CLARABEL' failed."), IndexError("index 3 is out of bounds"),
          FloatingPointError("overflow"), MemoryError("cannot allocate"), SolverError("infeasible")]


@pytest.mark.parametrize("error", RAISED, ids=lambda error: type(error).__name__)
def test_a_raising_backend_gives_a_solver_error_and_no_model(error, monkeypatch, tally):
    def raising(program, *, tol, max_iter, warm_start, verbose, **options):
        raise error

    monkeypatch.setitem(solvers.SOLVERS, "raising", raising)
    for model in estimators("raising"):
        with pytest.raises(SolverError, match="raising|infeasible") as caught:
            model.fit(X, targets_of(model))
        if not isinstance(error, SolverError):
            assert caught.value.__cause__ is error and type(error).__name__ in str(caught.value)
        with pytest.raises(NotFittedError):
            model.predict(X)
        tally.fault(f"raises {type(error).__module__.split('.')[0]}.{type(error).__name__}")


@pytest.mark.parametrize("error", [ValueError("this backend solves the gated program only"),
                                   TypeError("unexpected option 'foo'")], ids=lambda error: type(error).__name__)
def test_a_backend_refusing_its_arguments_keeps_its_error(error, monkeypatch, tally):
    def refusing(program, **kwargs):
        raise error

    monkeypatch.setitem(solvers.SOLVERS, "refusing", refusing)
    with pytest.raises(type(error), match=str(error)):
        ConvexReLURegressor(beta=BETA, solver="refusing").fit(X, Y_REGRESSION)
    tally.fault(f"refuses with {type(error).__name__}")


def test_keyboard_interrupt_is_not_swallowed(monkeypatch, tally):
    def interrupted(program, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setitem(solvers.SOLVERS, "interrupted", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ConvexReLURegressor(beta=BETA, solver="interrupted").fit(X, Y_REGRESSION)
    tally.fault("raises KeyboardInterrupt")


# ------------------------------------------------------------------------------ malformed results
def blocks(program):
    return np.zeros((program.n_patterns, program.X.shape[1]))


MALFORMED = {
    "nan blocks": lambda p: SolverResult(np.full_like(blocks(p), np.nan), blocks(p), "optimal", 3),
    "inf blocks": lambda p: SolverResult(blocks(p), np.full_like(blocks(p), np.inf), "inaccurate", 3),
    "nan in one entry": lambda p: SolverResult(np.where(np.arange(blocks(p).size).reshape(blocks(p).shape) == 0,
                                                        np.nan, 1.0), blocks(p), "optimal", 3),
    "wrong shape": lambda p: SolverResult(blocks(p)[:, :1], blocks(p), "optimal", 3),
    "not a SolverResult": lambda p: (blocks(p), blocks(p), "optimal", 3),
    "None": lambda p: None,
    "unknown status": lambda p: SolverResult(blocks(p), blocks(p), "infeasible", 3),
    "object blocks": lambda p: SolverResult(blocks(p).astype(object), blocks(p), "optimal", 3),
}


@pytest.mark.parametrize("fault", sorted(MALFORMED))
def test_a_malformed_result_gives_a_solver_error(fault, monkeypatch, tally):
    def malformed(program, *, tol, max_iter, warm_start, verbose, **options):
        return MALFORMED[fault](program)

    monkeypatch.setitem(solvers.SOLVERS, "malformed", malformed)
    for model in estimators("malformed"):
        with pytest.raises(SolverError, match="'malformed'"):
            model.fit(X, targets_of(model))
        with pytest.raises(NotFittedError):
            model.predict(X)
        tally.fault(fault)
    program = ConvexProgram(add_intercept(X), Y_REGRESSION, BETA, enumerate_patterns(add_intercept(X)))
    with pytest.raises(SolverError, match="'malformed'"):
        program.solve("malformed")


def test_a_fault_in_one_class_of_one_vs_rest_leaves_no_model(monkeypatch, tally):
    calls = []

    def third_call_fails(program, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the third problem failed")
        return solve_cvxpy(program, **kwargs)

    monkeypatch.setitem(solvers.SOLVERS, "flaky", third_call_fails)
    model = ConvexReLUClassifier(beta=BETA, solver="flaky")
    with pytest.raises(SolverError, match="third problem"):
        model.fit(X, Y_THREE_CLASSES)
    assert not hasattr(model, "classes_") and not hasattr(model, "network_")
    with pytest.raises(NotFittedError):
        model.predict(X)
    tally.fault("one class of three")


# ------------------------------------------------------------------------------ inaccurate statuses
@pytest.mark.parametrize("status", ["inaccurate", "max_iter"])
def test_an_inaccurate_status_warns_and_is_kept(status, monkeypatch, tally):
    def inaccurate(program, **kwargs):
        return dataclasses.replace(solve_cvxpy(program, **kwargs), status=status)

    monkeypatch.setitem(solvers.SOLVERS, "inaccurate", inaccurate)
    for model in estimators("inaccurate"):
        with pytest.warns(ConvergenceWarning, match=status):
            model.fit(X, targets_of(model))
        assert model.solver_status_ == status and model.solver_ == "inaccurate"
        check_consistent(model)
        tally.fault(f"status {status}")


def test_mixed_statuses_of_one_vs_rest_are_all_kept(monkeypatch, tally):
    statuses = iter(["optimal", "max_iter", "inaccurate"])

    def mixed(program, **kwargs):
        return dataclasses.replace(solve_cvxpy(program, **kwargs), status=next(statuses))

    monkeypatch.setitem(solvers.SOLVERS, "mixed", mixed)
    model = ConvexReLUClassifier(beta=BETA, solver="mixed")
    with pytest.warns(ConvergenceWarning):
        model.fit(X, Y_THREE_CLASSES)
    assert model.solver_status_ == ["optimal", "max_iter", "inaccurate"]
    check_consistent(model)
    tally.fault("mixed statuses")


def test_a_far_from_optimal_point_reported_optimal_warns(monkeypatch, tally):
    def lazy(program, **kwargs):  # half of the optimal blocks, claimed optimal
        result = solve_cvxpy(program, **kwargs)
        return dataclasses.replace(result, u=0.5 * result.u, v=0.5 * result.v, status="optimal")

    monkeypatch.setitem(solvers.SOLVERS, "lazy", lazy)
    for model in estimators("lazy"):
        with pytest.warns(ConvergenceWarning, match="certified relative duality gap"):
            model.fit(X, targets_of(model))
        assert model.solver_status_ == "inaccurate"  # the program's certificate overrules the claim
        check_consistent(model)
        tally.fault("optimal status, wrong point")


@pytest.mark.parametrize("solver", ["cvxpy", "auto"])
def test_max_iter_stops_early_with_a_warning_and_a_consistent_model(solver, tally):
    for model in estimators(solver, max_iter=1):
        with pytest.warns(ConvergenceWarning, match="max_iter|inaccurate|gap"):
            model.fit(X, targets_of(model))
        assert model.n_iter_ <= 1 or model.solver_status_ != "optimal"
        check_consistent(model)
        tally.fault(f"max_iter=1 ({solver})")


# ------------------------------------------------------------------------------ registry
def test_the_solver_is_validated_against_the_registry_at_fit_time(monkeypatch, tally):
    model = ConvexReLURegressor(beta=BETA, solver="later")
    with pytest.raises(ValueError, match="solver"):
        model.fit(X, Y_REGRESSION)
    monkeypatch.setitem(solvers.SOLVERS, "later", solve_cvxpy)
    check_consistent(model.fit(X, Y_REGRESSION))
    assert model.solver_ == "later"
    tally.fault("registered after construction")


def test_beta_above_beta_max_needs_no_backend(monkeypatch, tally):
    def never(program, **kwargs):
        raise AssertionError("the backend must not run when the zero network is optimal")

    monkeypatch.setitem(solvers.SOLVERS, "never", never)
    for model in estimators("never"):
        model.set_params(beta=1e6).fit(X, targets_of(model))
        assert model.n_neurons_ == 0 and model.solver_ == "zero"
        assert model.duality_gap_ == pytest.approx(0.0, abs=1e-9)
        output = model.predict(X) if isinstance(model, ConvexReLURegressor) else model.decision_function(X)
        assert not np.any(output)
    tally.fault("zero shortcut")
