r"""Every benchmarked method, run on one :class:`~problems.BenchmarkProblem` and judged by *our* objective.

Each wrapper returns a :class:`RunResult`: the wall time of one run and the trained network, judged
by :func:`network_objective` (that is, :meth:`sklearn_convexnn.ReLUNetwork.objective`, or
:meth:`~sklearn_convexnn.network.GatedReLUNetwork.objective` for the gated program) in float64,
never by the peer's own reported loss. Convex solutions are also rebuilt as a
:class:`~sklearn_convexnn.ConvexSolution` of *our* program on the same patterns, which gives the
cone violation and the duality gap independently of the solver.

Scaling of the peers (BENCHMARKING.md):

* ``MLPRegressor`` (``MLPClassifier`` for the logistic loss) through
  :func:`sklearn_convexnn.nonconvex.fit_mlp` (ones column, pinned zero intercepts, ``alpha = beta``
  for L-BFGS and ``alpha = beta * batch / n`` for Adam), so that :math:`F = n\times` scikit-learn's
  loss (:func:`mlp_alpha`).
* pyscnn minimizes :math:`\frac1{2n}\|\cdot\|^2+\lambda\sum\|u'_i\|` on column-unitized data; with
  columns of norm :math:`\sqrt n` that is :math:`F/n` for :math:`\lambda=\beta/n^{3/2}`
  (:func:`pyscnn_lambda`). It is given our gates, and :func:`pyscnn_pattern_mismatch` recomputes its
  patterns the way it does and compares them with ours.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, replace

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_convexnn.convex.program import SolverError
from sklearn_convexnn.convex.solvers import SOLVERS, resolve_solver
from sklearn_convexnn.network import GatedReLUNetwork, ReLUNetwork
from sklearn_convexnn.nonconvex import fit_mlp

__all__ = [
    "RunResult",
    "NEURON_DROP",
    "network_objective",
    "evaluate_blocks",
    "native_solver_names",
    "solve_ours",
    "solve_cvxpy",
    "mlp_alpha",
    "train_mlp",
    "pyscnn_available",
    "pyscnn_lambda",
    "solve_pyscnn",
    "pyscnn_pattern_mismatch",
    "adaptive_supported",
    "fit_adaptive",
]

#: blocks below this fraction of the largest block norm are not counted as neurons
NEURON_DROP = 1e-6


@dataclass(frozen=True)
class RunResult:
    """One run of one method on one problem.

    Attributes
    ----------
    time : float
        Wall time of the run (s), everything the user waits for (compilation included).
    objective : float
        :math:`F` of the returned network by our objective function.
    network : ReLUNetwork or GatedReLUNetwork
    program_objective : float or None
        :math:`L+\\beta\\sum_i(\\|u_i\\|+\\|v_i\\|)` of the returned blocks (convex methods).
    cone_violation : float or None
        :math:`\\max_i\\max(0,-(2D_i-I)\\tilde Xu_i,\\dots)` (ReLU program), 0 for gated.
    relative_gap : float or None
        Certified duality gap of the blocks over the same patterns, divided by ``max(1, |objective|)``.
    n_iter : int or None
    width : int
        Neurons with a non-negligible block (:data:`NEURON_DROP`).
    status : str
    note : str
    """

    time: float
    objective: float
    network: object
    program_objective: float | None = None
    cone_violation: float | None = None
    relative_gap: float | None = None
    n_iter: int | None = None
    width: int = 0
    status: str = "optimal"
    note: str = ""


# ----------------------------------------------------------------------------- evaluation
def network_objective(network, problem):
    r"""Our :math:`F` of ``network`` on ``problem``, in float64.

    A :class:`ReLUNetwork` (with its bias) acts on :math:`X`; a :class:`GatedReLUNetwork` acts on
    :math:`\tilde X=[X,\mathbf 1]` as built by :meth:`ConvexSolution.to_network`.
    """
    if isinstance(network, GatedReLUNetwork):
        return float(network.objective(problem.X_aug, problem.y, problem.beta, problem.loss))
    if not isinstance(network, ReLUNetwork):
        raise TypeError(f"network must be a ReLUNetwork or GatedReLUNetwork, got {type(network).__name__}.")
    return float(network.objective(problem.X, problem.y, problem.beta, problem.loss))


def _width(solution):
    norm_u, norm_v = solution.block_norms()
    largest = max(norm_u.max(initial=0.0), norm_v.max(initial=0.0))
    return int(np.sum(norm_u > NEURON_DROP * largest) + np.sum(norm_v > NEURON_DROP * largest)) if largest > 0 else 0


def evaluate_blocks(problem, u, v, activation, *, elapsed, status="optimal", n_iter=None, solver="given", note=""):
    """Judge convex blocks ``(u, v)`` (shape (P, d+1), our pattern order) with our program and objective.

    The blocks become a :class:`ConvexSolution` of our program on ``problem.arrangement`` (dual,
    lower bound, gap and cone violation computed here), then a network by
    :meth:`ConvexSolution.to_network`, whose :math:`F` is :func:`network_objective`.

    Returns
    -------
    RunResult
    """
    program = problem.program(activation)
    solution = program.solution(u, v, status=status, n_iter=n_iter or 0, solver=solver)
    return _result_from_solution(problem, solution, elapsed, n_iter, note)


def _result_from_solution(problem, solution, elapsed, n_iter, note=""):
    network = solution.to_network()
    if isinstance(network, ReLUNetwork):  # the last column of X_aug is the bias
        network = ReLUNetwork.from_augmented(network.hidden_weights, network.output_weights, True)
    return RunResult(
        time=float(elapsed), objective=network_objective(network, problem), network=network,
        program_objective=float(solution.objective), cone_violation=float(solution.cone_violation),
        relative_gap=float(solution.relative_gap), n_iter=n_iter, width=_width(solution),
        status=solution.status, note=note,
    )


# ----------------------------------------------------------------------------- our solvers
def native_solver_names():
    """Names registered in :data:`sklearn_convexnn.convex.solvers.SOLVERS` other than ``"cvxpy"``."""
    return [name for name in SOLVERS if name != "cvxpy"]


def solve_ours(problem, solver, activation="relu", *, tol=1e-8, max_iter=None):
    """Solve the problem's program with ``ConvexProgram.solve(solver)`` (a native name or ``"auto"``).

    A fresh :class:`ConvexProgram` per call, so any compiled state is paid inside the timing.
    ``ConvergenceWarning`` is recorded in the result's note, not raised.

    Returns
    -------
    RunResult
    """
    start = time.perf_counter()
    program = problem.program(activation)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        solution = program.solve(solver, tol=tol, max_iter=max_iter)
    elapsed = time.perf_counter() - start
    note = "; ".join(str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning))
    label = solution.solver if solver != "auto" else f"auto -> {solution.solver}"
    return _result_from_solution(problem, solution, elapsed, solution.n_iter, note=(label if solver == "auto" else "") + note)


def resolved_auto(problem, activation="relu"):
    """The backend name ``solver="auto"`` picks for this problem."""
    program = problem.program(activation)
    return resolve_solver("auto", program)[0]


# ----------------------------------------------------------------------------- cvxpy
def solve_cvxpy(problem, cvxpy_solver="CLARABEL", activation="relu", *, tol=1e-8, time_limit=None):
    """Solve with our cvxpy backend and a named cvxpy solver (``"CLARABEL"`` or ``"SCS"``).

    ``time_limit`` (s) is passed to the solver (Clarabel ``time_limit``, SCS ``time_limit_secs``);
    compilation is not capped. SCS gets ``eps_abs = eps_rel = tol``.

    Returns
    -------
    RunResult
    """
    import cvxpy as cp

    options = {}
    if cvxpy_solver == "SCS":
        options.update(eps_abs=tol, eps_rel=tol)
        if time_limit is not None:
            options["time_limit_secs"] = float(time_limit)
    elif cvxpy_solver == "CLARABEL" and time_limit is not None:
        options["time_limit"] = float(time_limit)
    start = time.perf_counter()
    program = problem.program(activation)
    try:
        result = SOLVERS["cvxpy"](program, tol=tol, max_iter=None, warm_start=None, verbose=False,
                                  solver=cvxpy_solver, **options)
    except (SolverError, cp.error.SolverError) as error:
        elapsed = time.perf_counter() - start
        return RunResult(time=elapsed, objective=float("nan"), network=None, status="failed", note=str(error))
    elapsed = time.perf_counter() - start
    solution = program.solution(result.u, result.v, status=result.status, n_iter=result.n_iter,
                                solver=f"cvxpy+{cvxpy_solver}")
    return _result_from_solution(problem, solution, elapsed, result.n_iter)


# ----------------------------------------------------------------------------- MLPRegressor
def mlp_alpha(beta, n_samples, solver="lbfgs", batch_size=32):
    r"""MLPRegressor's ``alpha`` whose loss times :math:`n` is our :math:`F` (pinned intercepts).

    Full batch (L-BFGS): :math:`\frac1{2n}\|f-y\|^2+\frac\alpha{2n}\sum\|W\|^2=F/n` for
    :math:`\alpha=\beta`. Adam applies the penalty per mini-batch of size :math:`b` with :math:`b` in
    the denominator: :math:`\alpha=\beta b/n`. This is the mapping :func:`fit_mlp` uses.
    """
    return float(beta) if solver == "lbfgs" else float(beta) * min(batch_size, n_samples) / n_samples


def train_mlp(problem, width, *, solver="lbfgs", seed=0, max_iter=5000):
    """Train one MLPRegressor (MLPClassifier for the logistic loss; pinned intercepts, our objective) with :func:`fit_mlp`.

    Returns
    -------
    RunResult
        ``objective`` re-evaluated by :func:`network_objective`; ``status`` is ``"max_iter"`` when
        scikit-learn warned that it stopped at its iteration cap.
    """
    start = time.perf_counter()
    fit = fit_mlp(problem.X, problem.y, problem.beta, int(width), solver=solver, random_state=seed, max_iter=max_iter,
                  loss=problem.loss)
    elapsed = time.perf_counter() - start
    first, second = fit.network.neuron_norms()
    return RunResult(
        time=elapsed, objective=network_objective(fit.network, problem), network=fit.network,
        n_iter=fit.n_iter, width=int(np.sum((first > 0) & (second > 0))),
        status="optimal" if fit.converged else "max_iter",
    )


# ----------------------------------------------------------------------------- pyscnn
def pyscnn_available():
    """True when pyscnn (and torch) can be imported."""
    try:
        import scnn.optimize  # noqa: F401
    except ImportError:
        return False
    return True


def pyscnn_lambda(beta, n_samples):
    r"""pyscnn's :math:`\lambda=\beta/n^{3/2}` for data whose columns all have norm :math:`\sqrt n`.

    Unitizing divides :math:`\tilde X` by :math:`\sqrt n`, so its blocks are :math:`u'=\sqrt n\,u` and
    :math:`\frac1{2n}\|\tilde X'u'-y\|^2+\lambda\|u'\|=\frac1n\big(\tfrac12\|\tilde Xu-y\|^2+\lambda n^{3/2}\|u\|\big)`.
    """
    return float(beta) / float(n_samples) ** 1.5


def _check_unit_columns(X_aug):
    norms = np.linalg.norm(X_aug, axis=0)
    if not np.allclose(norms, np.sqrt(X_aug.shape[0]), rtol=1e-10):
        raise ValueError("pyscnn's lambda mapping needs every column of X_aug to have norm sqrt(n) (standardize X).")


def pyscnn_pattern_mismatch(problem, gates, dtype="float32"):
    """Number of pyscnn's patterns that are not patterns of our arrangement, and the reverse.

    Recomputes its patterns as it does: :math:`\\mathbb 1[\\tilde X'G>0]` on the column-unitized data
    in its dtype (strict inequality), duplicates and the zero pattern removed.

    Returns
    -------
    (int, int)
        ``(theirs not in ours, ours not in theirs)``; ``(0, 0)`` means the same program.
    """
    X_aug = problem.X_aug
    X_unit = (X_aug / np.linalg.norm(X_aug, axis=0)).astype(dtype)
    theirs = (X_unit.astype(np.float64) @ np.asarray(gates, dtype=np.float64)) > 0
    theirs = theirs[:, theirs.any(axis=0)]
    keys_theirs = {np.packbits(column).tobytes() for column in theirs.T}
    keys_ours = {np.packbits(column).tobytes() for column in problem.arrangement.masks.T}
    return len(keys_theirs - keys_ours), len(keys_ours - keys_theirs)


def _blocks_in_our_order(problem, gates, blocks):
    """Place pyscnn's blocks (one per returned gate) at the index of the same pattern in our arrangement."""
    index = {np.packbits(column).tobytes(): i for i, column in enumerate(problem.arrangement.masks.T)}
    masks = (problem.X_aug @ np.asarray(gates, dtype=np.float64)) >= 0
    ours = np.zeros((problem.arrangement.n_patterns, blocks.shape[1]))
    missing = 0
    for j, column in enumerate(masks.T):
        i = index.get(np.packbits(column).tobytes())
        if i is None:
            missing += 1
        else:
            ours[i] += blocks[j]
    return ours, missing


def solve_pyscnn(problem, method="al", *, dtype="float32", tol=1e-6, max_iter=10000):
    """Solve the problem's program with pyscnn on our gates, and judge it with our objective.

    Parameters
    ----------
    method : {"al", "rfista"}
        ``"al"``: ``ConvexReLU`` + augmented Lagrangian ``AL`` (the ReLU program);
        ``"rfista"``: ``ConvexGatedReLU`` + ``RFISTA`` (the gated program).
    dtype : {"float32", "float64"}
        pyscnn's working precision (float32 is its default).
    tol : float
        ``tol`` (and ``constraint_tol`` for AL) of the pyscnn solver.
    max_iter : int
        ``max_iters`` (RFISTA) or ``max_primal_iters = max_dual_iters`` (AL, total inner steps).

    Returns
    -------
    RunResult
        ``note`` records the pattern check and pyscnn's own final objective times n.
    """
    from scnn.metrics import Metrics
    from scnn.models import ConvexGatedReLU, ConvexReLU
    from scnn.optimize import optimize_model
    from scnn.regularizers import NeuronGL1
    from scnn.solvers import AL, RFISTA

    if method not in ("al", "rfista"):
        raise ValueError(f"method must be 'al' or 'rfista', got {method!r}.")
    X_aug = problem.X_aug
    _check_unit_columns(X_aug)
    n = X_aug.shape[0]
    gates = np.array(problem.arrangement.gates, dtype=np.float64)
    if method == "al":
        model = ConvexReLU(gates, c=1, bias=False)
        solver = AL(model, max_primal_iters=max_iter, max_dual_iters=max_iter, tol=tol, constraint_tol=tol)
    else:
        model = ConvexGatedReLU(gates, c=1, bias=False)
        solver = RFISTA(model, max_iters=max_iter, tol=tol)
    metrics = Metrics(metric_freq=25, objective=True, grad_norm=False, time=True)
    start = time.perf_counter()
    model, metrics = optimize_model(
        model, solver, metrics, X_aug, problem.y, regularizer=NeuronGL1(pyscnn_lambda(problem.beta, n)),
        return_convex=True, unitize_data=True, verbose=False, dtype=dtype,
    )
    elapsed = time.perf_counter() - start

    returned_gates = np.asarray(model.G, dtype=np.float64)
    extra, absent = pyscnn_pattern_mismatch(problem, returned_gates, dtype)
    u_theirs = np.asarray(model.parameters[0], dtype=np.float64)[0]
    u, missing_u = _blocks_in_our_order(problem, returned_gates, u_theirs)
    if method == "al":
        v, _ = _blocks_in_our_order(problem, returned_gates, np.asarray(model.parameters[1], dtype=np.float64)[0])
        activation = "relu"
    else:
        v, activation = np.zeros_like(u), "gated"
    own = np.asarray(metrics.objective, dtype=np.float64)
    note = "patterns = ours" if extra == absent == missing_u == 0 else (
        f"patterns differ: {extra} of pyscnn's not ours, {absent} of ours absent, {missing_u} blocks unplaced")
    result = evaluate_blocks(problem, u, v, activation, elapsed=elapsed, status="unknown",
                             solver=f"pyscnn {method} {dtype}", note=note)
    if own.size:  # the lambda mapping, checked: its own last logged objective times n vs our program's
        mapped = own[-1] * n
        note += (f"; its objective x n = {mapped:.10g} (rel. diff. to ours "
                 f"{abs(mapped - result.program_objective) / abs(result.program_objective):.1e}"
                 + (", includes its constraint penalty)" if method == "al" else ")"))
    return replace(result, note=note)


# ----------------------------------------------------------------------------- adaptive patterns
def adaptive_supported():
    """True when ``ConvexReLURegressor(patterns="adaptive")`` is accepted by the estimator."""
    from sklearn_convexnn import ConvexReLURegressor

    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    try:
        ConvexReLURegressor(beta=0.1, patterns="adaptive", n_patterns=4, random_state=0).fit(X, X.ravel())
    except (ValueError, TypeError) as error:
        if "patterns" in str(error):
            return False
        raise
    return True


def adaptive_label(problem):
    """The estimator :func:`fit_adaptive` fits on ``problem``, as written in the tables."""
    if problem.loss == "logistic":
        return "ConvexReLUClassifier(patterns='adaptive', loss='logistic')"
    return "ConvexReLURegressor(patterns='adaptive')"


def mlp_name(problem):
    """The scikit-learn MLP trained on ``problem``: MLPClassifier for the logistic loss, else MLPRegressor."""
    return "MLPClassifier" if problem.loss == "logistic" else "MLPRegressor"


def fit_adaptive(problem, *, solver="auto", max_rounds=None):
    """Fit ``ConvexReLURegressor(patterns="adaptive")`` from the problem's sampled gates.

    Same ``beta``, ``n_patterns = P`` and ``random_state`` as the problem, so it starts from the
    same sampled patterns; its network is judged by :func:`network_objective`. ``max_rounds``:
    the estimator's argument (None: its default). For the logistic loss,
    ``ConvexReLUClassifier(loss="logistic")`` on the labels :math:`\\pm1` (which it maps to themselves).

    Returns
    -------
    RunResult
        ``note`` carries ``certificate_`` when the estimator has it.
    """
    from sklearn_convexnn import ConvexReLUClassifier, ConvexReLURegressor

    options = {} if max_rounds is None else {"max_rounds": int(max_rounds)}
    model = ConvexReLURegressor
    if problem.loss == "logistic":
        model, options["loss"] = ConvexReLUClassifier, "logistic"
    estimator = model(beta=problem.beta, patterns="adaptive", n_patterns=problem.n_gates, solver=solver,
                      random_state=problem.pattern_seed, **options)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        estimator.fit(problem.X, problem.y)
    elapsed = time.perf_counter() - start
    notes = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    certificate = getattr(estimator, "certificate_", None)
    if certificate is not None:
        notes.insert(0, f"certificate_: V/beta = {certificate.relative_violation:.6g} over "
                        f"{certificate.n_directions_tried} directions tried in {certificate.n_rounds} rounds")
    notes.append(f"{estimator.arrangement_.n_patterns} patterns; max_rounds={estimator.max_rounds}")
    return RunResult(
        time=elapsed, objective=network_objective(estimator.network_, problem), network=estimator.network_,
        relative_gap=float(estimator.duality_gap_) / max(1.0, abs(float(estimator.objective_))),
        n_iter=int(estimator.n_iter_), width=int(estimator.n_neurons_),
        status=str(getattr(estimator, "solver_status_", "")), note="; ".join(notes),
    )
