r"""Benchmark sklearn-convexnn against cvxpy, pyscnn and scikit-learn's MLPs; writes ``bench/results.md``.

Usage::

    python bench/run.py [--sizes small|all|weak|logistic] [--repeats 3] [--seeds 10]

Everything runs in this one process, on the same data and the same sampled patterns
(:mod:`problems`), and every returned network is judged by our objective
:meth:`sklearn_convexnn.ReLUNetwork.objective` (:mod:`peers`). Times are medians over
``--repeats`` runs (a method whose first run takes longer than ``--slow`` seconds runs once), and
are also given in iteration equivalents: time over one float64 pass
:math:`\tilde X^\top(D\odot(\tilde XW))` at that size. Peers that cannot finish a size in
reasonable time are skipped or capped, with a note in the table.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
try:
    import sklearn_convexnn  # noqa: F401
except ImportError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(HERE.parent))

import memory  # noqa: E402
import peers  # noqa: E402
import problems as problem_module  # noqa: E402

#: cvxpy is run only while n * P (the size of its cone constraints) is at most this
CVXPY_MAX_NP = 250_000
#: pyscnn's augmented Lagrangian is skipped above this n * P * (d + 1)
PYSCNN_AL_MAX_WORK = 2e8
#: pyscnn's default iteration caps (max_iters, max_primal_iters)
PYSCNN_MAX_ITER = 10000
#: pyscnn's float64 tight run: tolerance and constraint tolerance
PYSCNN_TIGHT_TOL = 1e-10
#: our solvers' tolerance
OUR_TOL = 1e-8
#: SCS's eps_abs = eps_rel (first order: at 1e-8 it took 63 s where Clarabel took 1 s, at (200, 5, 50))
SCS_TOL = 1e-6
#: a cone violation below this counts as feasible when picking the program optimum
FEASIBLE = 1e-6


@dataclass
class MethodRow:
    """All runs of one method on one problem.

    ``family``: ``"relu"`` (the ReLU program), ``"gated"`` (the gated program) or ``"network"``
    (a network trained directly: MLPRegressor, the adaptive estimator). ``ours`` names our solver
    (for the time-ratio columns), ``None`` for peers.
    """

    label: str
    family: str
    results: list = field(default_factory=list)
    note: str = ""
    ours: str | None = None

    @property
    def ran(self):
        return bool(self.results) and all(np.isfinite(r.objective) for r in self.results)

    @property
    def time(self):
        return float(np.median([r.time for r in self.results])) if self.results else math.nan

    @property
    def total_time(self):
        return float(sum(r.time for r in self.results))

    @property
    def best(self):
        """The run with the lowest objective (the last run for deterministic solvers)."""
        return min(self.results, key=lambda r: r.objective) if self.ran else None


@dataclass
class ProblemReport:
    problem: object
    unit: float
    rows: list
    width: int
    seconds: float


# ----------------------------------------------------------------------------- running
def _attempt(row, fn, repeats, slow):
    """Run ``fn`` up to ``repeats`` times into ``row``; a failure becomes the row's note."""
    try:
        for k in range(repeats):
            row.results.append(fn())
            if k == 0 and row.results[0].time > slow:
                if repeats > 1:
                    row.note = _join(row.note, f"1 run (> {slow:g} s)")
                break
    except Exception as error:  # a benchmark records failures instead of stopping
        row.results = []
        row.note = _join(row.note, f"failed: {type(error).__name__}: {str(error)[:160]}")
    return row


def _excluded(label, args):
    """True when a ``--exclude`` substring occurs in the method's label."""
    return any(part in label for part in args.exclude)


def _join(*parts):
    return "; ".join(part for part in parts if part)


def _log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def run_problem(problem, args):
    """Every method on one problem; returns a :class:`ProblemReport`."""
    start = time.perf_counter()
    n, d, P = problem.shape
    unit = problem_module.iteration_time(problem)
    rows = []
    _log(f"{problem.name}: beta={problem.beta:g}, {problem.arrangement.n_patterns} distinct patterns")

    # ours: every registered native solver and "auto", both programs
    for name in peers.native_solver_names() + ["auto"]:
        for activation in ("relu", "gated"):
            label = f"ours: {name}" + (" (gated)" if activation == "gated" else "")
            row = MethodRow(label, activation, ours=name)
            if _excluded(label, args):
                row.note = "excluded (--exclude)"
            elif name == "auto" and peers.resolved_auto(problem, activation) == "cvxpy" and n * P > CVXPY_MAX_NP:
                row.note = "auto -> cvxpy, skipped at this size (no native solver registered)"
            else:
                _attempt(row, lambda: peers.solve_ours(problem, name, activation, tol=OUR_TOL), args.repeats, args.slow)
            rows.append(row)
            _log(f"  {label}: {row.time:.3g} s {row.note}")

    # cvxpy with Clarabel and SCS
    for cvxpy_solver, tol in (("CLARABEL", OUR_TOL), ("SCS", SCS_TOL)):
        for activation in ("relu", "gated"):
            label = f"cvxpy+{cvxpy_solver}" + (f" eps {tol:g}" if cvxpy_solver == "SCS" else "") + (
                " (gated)" if activation == "gated" else "")
            row = MethodRow(label, activation)
            if _excluded(label, args):
                row.note = "excluded (--exclude)"
            elif n * P > CVXPY_MAX_NP:
                row.note = f"skipped: n*P = {n * P} > {CVXPY_MAX_NP} (KKT system nearly dense in 2Pd; > 10 min)"
            else:
                _attempt(row, lambda: peers.solve_cvxpy(problem, cvxpy_solver, activation, tol=tol,
                                                        time_limit=args.time_limit), args.repeats, args.slow)
            rows.append(row)
            _log(f"  {label}: {row.time:.3g} s {row.note}")

    # pyscnn: ReLU augmented Lagrangian and gated R-FISTA, default float32 and float64 tight
    work = n * P * (d + 1)
    for method, family in (("al", "relu"), ("rfista", "gated")):
        for dtype, tol in (("float32", 1e-6), ("float64", PYSCNN_TIGHT_TOL)):
            name = "ReLU AL" if method == "al" else "gated R-FISTA"
            label = f"pyscnn {name} {dtype} tol {tol:g}"
            row = MethodRow(label, family)
            if _excluded(label, args):
                row.note = "excluded (--exclude)"
            elif problem.loss != "squared":
                row.note = "skipped: compared on the squared loss only"
            elif not peers.pyscnn_available():
                row.note = "skipped: pyscnn not installed (pip install torch==2.13.0; pip install --no-deps pyscnn linalg_backends opt_einsum)"
            elif method == "al" and work > PYSCNN_AL_MAX_WORK:
                row.note = f"skipped: n*P*(d+1) = {work:.2g} (hours at this size)"
            else:
                try:
                    cap = _pyscnn_max_iter(problem, method, dtype, tol, args.time_limit)
                except Exception as error:
                    cap, row.note = PYSCNN_MAX_ITER, f"calibration failed: {type(error).__name__}"
                if cap < PYSCNN_MAX_ITER:
                    row.note = _join(row.note, f"capped at {cap} iterations (~{args.time_limit:g} s)")
                _attempt(row, lambda: peers.solve_pyscnn(problem, method, dtype=dtype, tol=tol, max_iter=cap),
                         args.repeats, args.slow)
            rows.append(row)
            _log(f"  {label}: {row.time:.3g} s {row.note}")

    # the estimator with dual-driven patterns
    adaptive = MethodRow(peers.adaptive_label(problem), "network", ours="adaptive")
    if _excluded(adaptive.label, args):
        adaptive.note = "excluded (--exclude)"
    elif args.adaptive:
        _attempt(adaptive, lambda: peers.fit_adaptive(problem, max_rounds=args.adaptive_rounds), args.repeats,
                 args.slow)
    else:
        adaptive.note = "skipped: the estimator does not accept patterns='adaptive' yet"
    rows.append(adaptive)
    _log(f"  adaptive: {adaptive.time:.3g} s {adaptive.note}")

    # MLPRegressor (MLPClassifier) at our width and twice it, 10 seeds each
    width = _our_width(rows)
    for solver in ("lbfgs", "adam"):
        for factor in (1, 2):
            label = f"{peers.mlp_name(problem)} {'L-BFGS' if solver == 'lbfgs' else 'Adam'} width {factor * width}"
            row = MethodRow(label, "network")
            if _excluded(label, args):
                row.note = "excluded (--exclude)"
                rows.append(row)
                continue
            try:
                max_iter = _mlp_max_iter(problem, factor * width, solver, args)
                for seed in range(args.seeds):
                    row.results.append(peers.train_mlp(problem, factor * width, solver=solver, seed=seed,
                                                       max_iter=max_iter))
            except Exception as error:
                row.results, row.note = [], f"failed: {type(error).__name__}: {error}"
            capped = sum(r.status == "max_iter" for r in row.results)
            if row.results:
                objectives = [r.objective for r in row.results]
                row.note = _join(
                    f"{len(row.results)} seeds, total {row.total_time:.3g} s, F min/median/max "
                    f"{min(objectives):.6g}/{np.median(objectives):.6g}/{max(objectives):.6g}",
                    f"{capped} stopped at max_iter={max_iter}" if capped else "", row.note)
            rows.append(row)
            _log(f"  {label}: {row.time:.3g} s {row.note}")
    return ProblemReport(problem, unit, rows, width, time.perf_counter() - start)


def _pyscnn_max_iter(problem, method, dtype, tol, time_limit, probe=100):
    """pyscnn's default iteration cap, lowered so that a run takes about ``time_limit`` seconds.

    pyscnn has no time limit; its time per (inner) iteration is measured on a ``probe``-iteration
    run, whose fixed costs make the estimate conservative.
    """
    calibration = peers.solve_pyscnn(problem, method, dtype=dtype, tol=tol, max_iter=probe)
    return int(min(PYSCNN_MAX_ITER, max(probe, time_limit * probe / calibration.time)))


def _mlp_max_iter(problem, width, solver, args):
    """MLPRegressor's iteration cap: ``--mlp-max-iter`` (L-BFGS) or ``--adam-max-iter`` (epochs),
    lowered so that one run fits in ``--mlp-budget`` seconds, from a short calibration fit."""
    cap = args.mlp_max_iter if solver == "lbfgs" else args.adam_max_iter
    probe = 20 if solver == "lbfgs" else 2
    calibration = peers.train_mlp(problem, width, solver=solver, seed=0, max_iter=probe)
    per_iteration = calibration.time / max(calibration.n_iter, 1)
    return int(min(cap, max(probe, args.mlp_budget / per_iteration)))


def _our_width(rows):
    """Width for the MLPs: the adaptive estimator's, else our first ReLU solver's, else Clarabel's."""
    for row in rows:
        if row.ours == "adaptive" and row.ran:
            return max(1, row.best.width)
    for row in rows:
        if row.family == "relu" and row.ran and (row.ours is not None or row.label.startswith("cvxpy+CLARABEL")):
            return max(1, row.best.width)
    return 10


# ----------------------------------------------------------------------------- report
def _fmt(value, spec=".4g", missing="—"):
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return missing
    return format(value, spec)


def _references(report):
    """Best network objective per family, and the ReLU/gated program optima over feasible convex runs."""
    best = {}
    for row in report.rows:
        if not row.ran:
            continue
        key = "gated" if row.family == "gated" else "relu"
        best[key] = min(best.get(key, math.inf), row.best.objective)
    program = {}
    for row in report.rows:
        if row.ran and row.family in ("relu", "gated"):
            result = row.best
            if (result.cone_violation or 0.0) <= FEASIBLE:
                program[row.family] = min(program.get(row.family, math.inf), result.program_objective)
    return best, program


def _ratio_columns(report):
    ours = {}
    for row in report.rows:
        if row.ours is not None and row.ran:
            ours[(row.ours, row.family)] = row.time
    names = []
    for name, _ in ours:
        if name not in names:
            names.append(name)
    return names, ours


def problem_table(report):
    """The markdown table of one problem."""
    problem = report.problem
    n, d, P = problem.shape
    best, program = _references(report)
    names, ours = _ratio_columns(report)
    lines = [
        f"### {problem.name}",
        "",
        f"n = {n}, d = {d} (+ ones column), {P} gates → {problem.arrangement.n_patterns} distinct patterns, "
        f"beta = {problem.beta:g}; one pass X̃ᵀ(D∘(X̃W)) = {report.unit * 1e3:.3g} ms "
        f"(the unit of 'iter. eq.'); MLP width m = {report.width}; problem wall time {report.seconds:.0f} s.",
        "",
        "| method | runs | time (s, median) | iter. eq. | objective F (ours) | gap to best F | gap to program optimum "
        "| cone violation | duality gap (rel.) | width | "
        + " | ".join(f"time ÷ {name}" for name in names) + (" | " if names else "") + "note |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|" + "---:|" * len(names) + "---|",
    ]
    for row in report.rows:
        if not row.ran:  # a run that failed keeps its status and message
            note = _join(row.note, *(_join(f"status {r.status}", r.note) for r in row.results))
            lines.append(f"| {row.label} | 0 | — | — | — | — | — | — | — | — | " + "— | " * len(names) + f"{note} |")
            continue
        result = row.best
        key = "gated" if row.family == "gated" else "relu"
        gap_best = (result.objective - best[key]) / abs(best[key])
        gap_program = None
        if row.family in program and result.program_objective is not None:
            gap_program = (result.program_objective - program[row.family]) / abs(program[row.family])
        ratios = []
        for name in names:
            family = row.family if row.family != "network" else ("network" if row.ours == "adaptive" else "relu")
            reference = ours.get((name, family)) or ours.get((name, "relu"))
            ratios.append(_fmt(row.time / reference, ".3g") if reference else "—")
        status = f"status {result.status}" if result.status not in ("optimal", "unknown", "") and row.ours != "adaptive" else ""
        if row.family == "network" and row.ours is None:
            status = ""  # MLP rows count their capped seeds in the note
        note = _join(status, row.note, result.note if row.family != "network" or row.ours else "")
        lines.append(
            f"| {row.label} | {len(row.results)} | {_fmt(row.time, '.3g')} | {_fmt(row.time / report.unit, '.3g')} "
            f"| {_fmt(result.objective, '.8g')} | {_fmt(gap_best, '.2e')} | {_fmt(gap_program, '.2e')} "
            f"| {_fmt(result.cone_violation, '.1e')} | {_fmt(result.relative_gap, '.1e')} | {result.width} | "
            + " | ".join(ratios) + (" | " if names else "") + f"{note} |"
        )
    return "\n".join(lines)


def target_lines(report):
    """The issue's targets, as measured on this problem (only those that apply)."""
    rows = {row.label: row for row in report.rows if row.ran}
    lines = []
    clarabel, clarabel_gated = rows.get("cvxpy+CLARABEL"), rows.get("cvxpy+CLARABEL (gated)")
    al = [row for label, row in rows.items() if label.startswith("pyscnn ReLU AL")]
    rfista = [row for label, row in rows.items() if label.startswith("pyscnn gated R-FISTA")]
    for row in report.rows:
        if not row.ran or row.ours in (None, "adaptive"):
            continue
        result = row.best
        parts = [f"rel. duality gap {result.relative_gap:.1e}"]
        reference = clarabel if row.family == "relu" else clarabel_gated
        if reference is not None:
            diff = (result.program_objective - reference.best.program_objective) / abs(reference.best.program_objective)
            parts.append(f"objective vs Clarabel {diff:+.1e} (rel.), time Clarabel/ours = {reference.time / row.time:.3g}")
        for peer in (al if row.family == "relu" else rfista):
            parts.append(f"time {peer.label}/ours = {peer.time / row.time:.3g}")
        lines.append(f"- {row.label}: " + "; ".join(parts))
    adaptive = rows.get(peers.adaptive_label(report.problem))
    lbfgs = [row for label, row in rows.items() if label.startswith(f"{peers.mlp_name(report.problem)} L-BFGS")]
    if adaptive is not None and lbfgs:
        best = min(row.best.objective for row in lbfgs)
        total = min(row.total_time for row in lbfgs)
        verdict = "≤" if adaptive.best.objective <= best else ">"
        lines.append(
            f"- adaptive patterns: F = {adaptive.best.objective:.8g} {verdict} best L-BFGS F = {best:.8g} "
            f"(widths m and 2m); time {adaptive.time:.3g} s vs total of the 10 L-BFGS runs at width m "
            f"{lbfgs[0].total_time:.3g} s (2m: {lbfgs[-1].total_time:.3g} s; fastest total {total:.3g} s)"
        )
    return lines


def memory_table(scans, skipped=False):
    """Markdown lines for the memory scans."""
    lines = ["## Peak memory", "",
             "tracemalloc peak of `ConvexProgram(...).solve(solver)` (numpy/Python allocations; data and "
             "patterns allocated before tracing), with the least-squares slope of log peak vs log size.", ""]
    if skipped:
        return lines + ["Not measured in this run (`--skip-memory`)."]
    if scans is None:
        return lines + ["Pending: measured after the timing tables."]
    if not scans:
        return lines + ["No native solver is registered in `SOLVERS`; memory is measured for native solvers only "
                        "(Clarabel allocates outside Python's allocator)."]
    lines += ["| solver | grows | fixed | sizes | peak (MB) | slope |", "|---|---|---|---|---|---:|"]
    for scan in scans:
        lines.append(
            f"| {scan.solver} | {scan.parameter} | {scan.fixed} | {', '.join(map(str, scan.values))} | "
            f"{', '.join(f'{b / 2**20:.3g}' for b in scan.peak_bytes)} | {scan.slope:.2f} |")
    return lines


def write_results(path, reports, scans, args, elapsed):
    """Write ``results.md``."""
    import cvxpy
    import sklearn

    versions = [f"numpy {np.__version__}", f"scikit-learn {sklearn.__version__}", f"cvxpy {cvxpy.__version__}"]
    if peers.pyscnn_available():
        import torch
        versions.append(f"torch {torch.__version__}, pyscnn installed")
    else:
        versions.append("pyscnn not installed")
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `python bench/run.py --sizes {args.sizes} --repeats {args.repeats} --seeds {args.seeds}` "
        f"on {time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()} with {os.cpu_count()} cores "
        f"(shared: timings are noisy, ±10–20 %; compare ratios within a table), {', '.join(versions)}. "
        f"Total wall time {elapsed / 60:.1f} min.",
        "",
        "Objective F = 0.5‖f(X)−y‖² + β/2 Σ(‖w_j‖² + b_j² + α_j²) of the returned network (problems named "
        "'logistic loss': Σ log(1 + exp(−y f(x))) on labels ±1 in place of the squared loss), evaluated by "
        "`ReLUNetwork.objective` (gated rows: `GatedReLUNetwork.objective`), never by the peer's own loss. "
        "'gap to best F': relative to the lowest F of any ReLU network in the table (gated rows: of any "
        "gated network). 'gap to program optimum': the blocks' convex objective relative to the best "
        "feasible (cone violation ≤ 1e-6) convex solution on the same patterns. Cone violation and "
        "duality gap come from our `ConvexProgram.solution` on the same patterns, independent of the "
        "solver. 'time ÷ X': this row's median time over our solver X's (same program; network rows "
        "against the ReLU program or the adaptive estimator). MLP rows: median time of one run, "
        "objective of the best seed.",
        "",
        f"Our solvers found in `SOLVERS`: {', '.join(peers.native_solver_names()) or 'none besides cvxpy'}.",
        "",
    ]
    for report in reports:
        lines += [problem_table(report), ""]
        targets = target_lines(report)
        if targets:
            lines += ["Targets (issue 5), measured:", ""] + targets + [""]
    lines += memory_table(scans, skipped=args.skip_memory)
    Path(path).write_text("\n".join(lines) + "\n")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", choices=("small", "all", "weak", "logistic"), default="small")
    parser.add_argument("--repeats", type=int, default=3, help="runs per method (median time)")
    parser.add_argument("--seeds", type=int, default=10, help="MLP seeds per width and solver")
    parser.add_argument("--slow", type=float, default=20.0, help="run once when the first run takes longer (s)")
    parser.add_argument("--time-limit", type=float, default=120.0,
                        help="cap (s) for Clarabel/SCS; sets pyscnn's iteration cap")
    parser.add_argument("--mlp-max-iter", type=int, default=5000, help="L-BFGS iterations cap")
    parser.add_argument("--adam-max-iter", type=int, default=500, help="Adam epochs cap")
    parser.add_argument("--mlp-budget", type=float, default=10.0,
                        help="lower the MLP caps so that one run takes about this long (s)")
    parser.add_argument("--adaptive-rounds", type=int, default=None,
                        help="max_rounds of the adaptive estimator (default: the estimator's)")
    parser.add_argument("--only", default=None, help="run only the problems whose name contains this")
    parser.add_argument("--exclude", action="append", default=[],
                        help="skip the methods whose label contains this (repeatable), e.g. 'ours: fista'")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--output", default=str(HERE / "results.md"))
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    if peers.pyscnn_available():
        _log("pyscnn imported")  # importing torch takes seconds: done once, before any timing
    args.adaptive = peers.adaptive_supported()
    reports, scans = [], []
    for problem in problem_module.benchmark_problems(args.sizes):
        if args.only is not None and args.only not in problem.name:
            continue
        reports.append(run_problem(problem, args))
        write_results(args.output, reports, None, args, time.perf_counter() - start)  # partial results
    if not args.skip_memory:
        grid = memory.SMALL_GRID if args.sizes == "small" else memory.FULL_GRID
        for name in peers.native_solver_names():
            _log(f"memory scan: {name}")
            for activation in ("relu", "gated"):  # the first program the solver accepts
                try:
                    scans += memory.memory_scan(name, grid, activation)
                    break
                except Exception as error:  # keep the timing tables even if one scan fails
                    _log(f"memory scan of {name} ({activation}) failed: {type(error).__name__}: {error}")
    write_results(args.output, reports, scans, args, time.perf_counter() - start)
    _log(f"wrote {args.output}")


if __name__ == "__main__":
    main()
