r"""scikit-learn estimators that train a two-layer ReLU network to its global optimum.

They validate, build the convex program (THEORY.md §C) and solve it; the numerical work lives in
:mod:`sklearn_convexnn.convex`. The network minimizes

.. math:: L(f_\theta(X),y)+\frac\beta2\sum_j\big(\|w_j\|^2+b_j^2+\alpha_j^2\big),

with a sum (not a mean) over samples and the first-layer bias penalized like a weight
(``fit_intercept=True`` appends a column of ones). With ``patterns="exact"`` (or ``"auto"`` on small
data) every activation pattern is used and the fitted network is a certified global minimum; with
sampled patterns it is the optimum of the sub-sampled program (an upper bound); with
``patterns="adaptive"`` (``"auto"`` on larger data) the patterns are grown where the dual constraint
is violated (:func:`sklearn_convexnn.convex.adaptive.adaptive_patterns`). ``certificate_`` says how
far the fitted network is known to be from the global optimum.
"""

from __future__ import annotations

import numbers
import re
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .arrangements import (
    Arrangement,
    EnumerationError,
    add_intercept,
    check_rng,
    count_patterns_bound,
    enumerate_patterns,
    sample_patterns,
)
from .convex.adaptive import adaptive_patterns
from .convex.program import ACTIVATIONS, ConvexProgram, gap_scale
from .convex.solvers import SOLVERS
from .losses import LOSSES, get_loss
from .network import GatedReLUNetwork, ReLUNetwork, check_beta

__all__ = ["ConvexReLURegressor", "ConvexReLUClassifier", "PatternCertificate"]

#: ``patterns="auto"`` enumerates exactly when the pattern-count bound is at most this, else adapts.
AUTO_EXACT_LIMIT = 1000
PATTERN_CHOICES = ("auto", "exact", "sample", "adaptive")
#: blocks below this fraction of the largest block norm are solver noise, not neurons
DROP_BELOW = 1e-6
#: a solution reported optimal with a larger certified relative duality gap gets a ConvergenceWarning
GAP_WARNING = 1e-3
#: an adaptive fit ending with a larger relative gap to the program over its own patterns gets a ConvergenceWarning.
#: Standardized data at the default max_rounds end at 0.05-0.15 (load_diabetes at beta 1 and 0.1: 0.046, 0.15;
#: load_breast_cancer 0.071, 0.107; load_wine 0.031); unstandardized data far above (load_diabetes as shipped, targets
#: ~150 against features ~0.05: 0.68; load_linnerud: 0.90, where the exact optimum is 19% below the fit)
ADAPTIVE_GAP_WARNING = 0.25


@dataclass(frozen=True)
class PatternCertificate:
    r"""How far a fitted network is known to be from the global optimum (THEORY §D, §F).

    At the fitted network's dual :math:`\nu=-\nabla L(\hat y)` the network is globally optimal exactly
    when :math:`\max_{\|u\|=1}|\langle\nu,(Xu)_+\rangle|\le\beta` (ReLU; gated:
    :math:`\max_i\|X^\top D_i\nu\|\le\beta`). This records the largest value found.

    Attributes
    ----------
    max_violation : float
        The largest value of the dual constraint over the directions tried. With ``exhaustive`` it is
        the exact :math:`V(\nu)` over every pattern; otherwise a lower bound on it. NaN when it was
        not computed (vector outputs of rank above 3 with ``activation="relu"``).
    beta : float
        :math:`\beta`; ``max_violation <= beta`` (up to tolerance) is the optimality condition.
    n_directions_tried : int
        Directions at which the constraint was evaluated: ascent starts of the adaptive search, or
        the two cone maximizers of every pattern of a fixed arrangement.
    n_rounds : int
        Rounds of the adaptive search (0 for fixed patterns).
    exhaustive : bool
        The search covered every pattern, so ``max_violation`` is exact and ``converged`` proves
        global optimality.
    converged : bool
        No value above :math:`\beta(1+\text{tol}^{1/2})` was found.
    """

    max_violation: float
    beta: float
    n_directions_tried: int
    n_rounds: int
    exhaustive: bool
    converged: bool

    @property
    def relative_violation(self):
        """``max_violation / beta``: at most 1 (up to tolerance) at a certified optimum."""
        return self.max_violation / self.beta

    @classmethod
    def combine(cls, certificates):
        """One certificate for several one-vs-rest fits: the worst violation, the work summed."""
        certificates = list(certificates)
        if len(certificates) == 1:
            return certificates[0]
        return cls(
            max_violation=float(max(c.max_violation for c in certificates)),
            beta=certificates[0].beta,
            n_directions_tried=int(sum(c.n_directions_tried for c in certificates)),
            n_rounds=int(sum(c.n_rounds for c in certificates)),
            exhaustive=all(c.exhaustive for c in certificates),
            converged=all(c.converged for c in certificates),
        )


@dataclass(frozen=True)
class _Fit:
    network: object
    objective: float
    lower_bound: float  # certified, of the convex program over ``arrangement``
    dual: np.ndarray
    n_iter: int
    status: str
    solver: str
    certificate: PatternCertificate
    arrangement: Arrangement
    zero_objective: float  # L(0), the zero network's objective: the floor of the gap's scale (``gap_scale``)

    @property
    def duality_gap(self):
        """The certified gap of the returned network (not of the unpruned solution): objective minus bound."""
        return float(self.objective - self.lower_bound)


def _check_params(estimator):
    """Validate the constructor arguments; errors name the argument."""
    beta = check_beta(estimator.beta)
    if estimator.activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {estimator.activation!r}.")
    if not (isinstance(estimator.patterns, Arrangement) or estimator.patterns in PATTERN_CHOICES):
        raise ValueError(f"patterns must be one of {PATTERN_CHOICES} or an Arrangement, got {estimator.patterns!r}.")
    if isinstance(estimator.n_patterns, bool) or not isinstance(estimator.n_patterns, numbers.Integral):
        raise TypeError(f"n_patterns must be an integer, got {type(estimator.n_patterns).__name__}.")
    if estimator.n_patterns < 1:
        raise ValueError(f"n_patterns must be >= 1, got {estimator.n_patterns}.")
    if not isinstance(estimator.fit_intercept, (bool, np.bool_)):
        raise TypeError(f"fit_intercept must be a bool, got {type(estimator.fit_intercept).__name__}.")
    if estimator.solver != "auto" and estimator.solver not in SOLVERS:
        raise ValueError(f"solver must be 'auto' or one of {sorted(SOLVERS)}, got {estimator.solver!r}.")
    if (isinstance(estimator.tol, bool) or not isinstance(estimator.tol, numbers.Real)
            or not 0 < estimator.tol < np.inf):
        raise ValueError(f"tol must be a positive finite number, got {estimator.tol!r}.")
    max_iter = estimator.max_iter
    if max_iter is not None and (isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1):
        raise ValueError(f"max_iter must be a positive integer or None, got {max_iter!r}.")
    if not isinstance(estimator.verbose, numbers.Integral):
        raise TypeError(f"verbose must be an integer, got {type(estimator.verbose).__name__}.")
    for name, low in (("max_rounds", 0), ("n_starts", 0)):
        value = getattr(estimator, name)
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an integer, got {type(value).__name__}.")
        if value < low:
            raise ValueError(f"{name} must be >= {low}, got {value}.")
    return beta


def _resolve_patterns(X_aug, patterns):
    """``patterns`` with ``"auto"`` resolved: every pattern (an Arrangement) when the pattern-count bound is small
    and enumeration certifies them, else ``"adaptive"`` (as on large data; enumeration fails with
    :class:`EnumerationError` on numerically degenerate data).

    The bound is checked twice: cheaply at the numerical rank of ``X_aug`` as given, then by
    :func:`enumerate_patterns` itself (``max_patterns=AUTO_EXACT_LIMIT``) at the rank and number of hyperplanes of the
    data in balanced units, which a feature far smaller than the others hides from the first (in units of 1e-150: rank
    2 instead of 3, a bound of 300 instead of 22352 patterns for 150 samples with a bias)."""
    if isinstance(patterns, str) and patterns == "auto":
        if count_patterns_bound(X_aug.shape[0], np.linalg.matrix_rank(X_aug)) <= AUTO_EXACT_LIMIT:
            try:
                return enumerate_patterns(X_aug, max_patterns=AUTO_EXACT_LIMIT)
            except (EnumerationError, ValueError):  # (X_aug is valid: a ValueError refuses > AUTO_EXACT_LIMIT patterns)
                pass
        return "adaptive"
    return patterns


def _arrangement(X_aug, patterns, n_patterns, rng):
    """The fixed patterns to use: given, exact, or sampled (``"adaptive"`` starts from sampled ones)."""
    if isinstance(patterns, Arrangement):
        if patterns.masks.shape[0] != X_aug.shape[0]:
            raise ValueError(
                f"patterns is an Arrangement of {patterns.masks.shape[0]} samples but X has {X_aug.shape[0]}."
            )
        if patterns.gates.shape[0] != X_aug.shape[1]:
            raise ValueError(
                f"patterns is an Arrangement with gates of dimension {patterns.gates.shape[0]}, but the data "
                f"have {X_aug.shape[1]} columns (with the ones column when fit_intercept=True)."
            )
        return patterns
    if patterns == "exact":
        return enumerate_patterns(X_aug)
    return sample_patterns(X_aug, n_patterns, standardize=True, random_state=rng)


def _check_gap(solution):
    if solution.status == "optimal" and solution.relative_gap > GAP_WARNING:
        warnings.warn(
            f"solver {solution.solver!r} reported an optimal solution, but its certified duality gap is "
            f"{solution.duality_gap:.3g} ({solution.relative_gap:.1e} relative): the model may be far from the "
            "optimum (badly scaled data or beta?). See duality_gap_.",
            ConvergenceWarning,
            stacklevel=4,
        )


def _check_adaptive_gap(estimator, fits):
    """One ConvergenceWarning when an adaptive ReLU fit's gap exceeds ``ADAPTIVE_GAP_WARNING`` of its scale
    :math:`\\max(F,\\min(1,L(0)))` (:func:`~sklearn_convexnn.convex.program.gap_scale`: a nearly interpolating fit,
    :math:`F\\approx10^{-24}`, is not "100% above" its bound)."""
    worst = None
    for fit in fits:
        if fit.solver != "adaptive" or fit.certificate.converged:
            continue
        relative = fit.duality_gap / gap_scale(fit.objective, fit.zero_objective)
        if relative > ADAPTIVE_GAP_WARNING and (worst is None or relative > worst[0]):
            worst = (relative, fit.certificate)
    if worst is None:
        return
    relative, certificate = worst
    warnings.warn(
        f"patterns='adaptive' ended after {certificate.n_rounds} rounds (max_rounds={estimator.max_rounds}) "
        f"{relative:.0%} above the certified lower bound of the program over the patterns it found (largest "
        f"dual-constraint value found: {certificate.relative_violation:.3g} beta). Unstandardized features or "
        "targets are the usual cause: standardize them (e.g. StandardScaler in a Pipeline, "
        "TransformedTargetRegressor for y). Refitting with patterns=arrangement_ solves the program over these "
        "patterns to optimality; a larger max_rounds searches further.",
        ConvergenceWarning,
        stacklevel=4,
    )


def _recover(estimator, solution, X, X_aug, y, beta, loss):
    """The network of a convex solution (a bias split off for ReLU) and its objective on the training data.

    Blocks below ``DROP_BELOW`` times the largest are dropped only when that does not raise the objective
    (on badly scaled data a small block can carry a large part of the fit).
    """
    candidates = []
    for drop_below in (DROP_BELOW, 0.0):
        network = solution.to_network(drop_below=drop_below)
        if isinstance(network, ReLUNetwork):
            network = ReLUNetwork.from_augmented(network.hidden_weights, network.output_weights,
                                                 estimator.fit_intercept).merged()
            candidates.append((network, network.objective(X, y, beta, loss)))
        else:
            candidates.append((network, network.objective(X_aug, y, beta, loss)))
    (pruned, pruned_objective), (full, full_objective) = candidates
    if pruned_objective <= full_objective + 1e-9 * max(1.0, abs(full_objective)):
        return pruned, pruned_objective
    return full, full_objective


def _fit_network(estimator, X, y, beta, loss, patterns, rng):
    """Solve the convex program for one target vector and recover the network.

    ``patterns`` is an Arrangement (fixed patterns) or ``"adaptive"``.
    """
    X_aug = add_intercept(X) if estimator.fit_intercept else X
    if isinstance(patterns, str) and patterns == "adaptive":
        return _fit_adaptive(estimator, X, X_aug, y, beta, loss, rng)
    program = ConvexProgram(X_aug, y, beta, patterns, activation=estimator.activation, loss=loss)
    solution = program.solve(estimator.solver, tol=estimator.tol, max_iter=estimator.max_iter, verbose=estimator.verbose > 1)
    _check_gap(solution)
    network, objective = _recover(estimator, solution, X, X_aug, y, beta, loss)
    tried = (1 if estimator.activation == "gated" else 2) * patterns.n_patterns
    certificate = PatternCertificate(
        max_violation=float(solution.dual_violation), beta=beta, n_directions_tried=int(tried), n_rounds=0,
        exhaustive=bool(patterns.exhaustive),
        converged=bool(solution.dual_violation <= beta * (1.0 + np.sqrt(estimator.tol))),
    )
    return _Fit(network, objective, solution.lower_bound, solution.dual, solution.n_iter, solution.status,
                solution.solver, certificate, patterns, solution.zero_network_objective)


def _fit_adaptive(estimator, X, X_aug, y, beta, loss, rng):
    """Dual-driven patterns (:func:`adaptive_patterns`), seeded with a quick L-BFGS fit (``seed_network="mlp"``)."""
    result = adaptive_patterns(
        X_aug, y, beta, loss=loss, activation=estimator.activation, n_initial=estimator.n_patterns,
        max_rounds=estimator.max_rounds, n_starts=estimator.n_starts,
        seed_network="mlp", random_state=rng, tol=estimator.tol,
        solver=estimator.solver, verbose=estimator.verbose > 0,
    )
    solution = result.solution
    if solution.solver != "adaptive":  # the ReLU point is no solver's answer: its gap is reported, not a fault
        _check_gap(solution)
    network, objective = _recover(estimator, solution, X, X_aug, y, beta, loss)
    certificate = PatternCertificate(
        max_violation=float(result.max_violation), beta=beta, n_directions_tried=int(result.n_directions_tried),
        n_rounds=int(result.n_rounds), exhaustive=bool(result.arrangement.exhaustive),
        converged=bool(result.converged),
    )
    return _Fit(network, objective, solution.lower_bound, solution.dual, solution.n_iter, solution.status,
                solution.solver, certificate, result.arrangement, solution.zero_network_objective)


def _named(error, X, y=None):
    """The ``error`` of validating ``X`` (and ``y``) with the culprit named when sklearn's message does not."""
    message = str(error)
    if re.search(r"\b(X|y)\b", message):
        return error
    culprit = "X"
    if y is not None:  # fit: X is the culprit unless it is a non-empty 2-D array of real numbers
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                X_array = np.asarray(X)
                if X_array.dtype.kind == "O":
                    X_array = X_array.astype(np.float64)
                if X_array.dtype.kind in "biuf" and X_array.ndim == 2 and X_array.size > 0:
                    culprit = "y"
            except (TypeError, ValueError):
                pass
    return type(error)(f"{culprit}: {message}")


def _validate(estimator, X, y="no_validation", **kwargs):
    """``validate_data`` whose errors name X or y."""
    try:
        return validate_data(estimator, X, y, **kwargs)
    except (TypeError, ValueError) as error:
        named = _named(error, X, None if isinstance(y, str) and y == "no_validation" else y)
        if named is error:
            raise
        raise named from error


def _patterns_for(estimator, X, rng):
    """The arrangement of ``X`` (with the ones column when ``fit_intercept``), or ``"adaptive"``."""
    X_aug = add_intercept(X) if estimator.fit_intercept else X
    patterns = _resolve_patterns(X_aug, estimator.patterns)
    if isinstance(patterns, str) and patterns == "adaptive":
        return patterns
    return _arrangement(X_aug, patterns, estimator.n_patterns, rng)


def _decision(estimator, X):
    """Network output on validated ``X`` (the gated network acts on ``[X, 1]``)."""
    network = estimator.network_
    if isinstance(network, GatedReLUNetwork):
        return network.predict(add_intercept(X) if estimator.fit_intercept else X)
    return network.predict(X)


def _store(estimator, fits):
    """Set the fitted attributes from one fit per output (warning first if an adaptive fit ended far off)."""
    _check_adaptive_gap(estimator, fits)
    if len(fits) == 1:
        estimator.network_ = fits[0].network
        estimator.dual_ = fits[0].dual
    else:  # one-vs-rest: one network whose neuron j feeds only its own class
        networks = [fit.network for fit in fits]
        widths = [net.width for net in networks]
        output = np.zeros((sum(widths), len(fits)))
        start = 0
        for k, (width, net) in enumerate(zip(widths, networks)):
            output[start:start + width, k] = net.output_weights
            start += width
        if isinstance(networks[0], GatedReLUNetwork):
            gates = np.vstack([net.gates for net in networks])
            hidden = np.vstack([net.hidden_weights for net in networks])
            estimator.network_ = GatedReLUNetwork(gates, hidden, output)
        else:
            hidden = np.vstack([net.augmented_weights for net in networks])
            estimator.network_ = ReLUNetwork.from_augmented(hidden, output, estimator.fit_intercept)
        estimator.dual_ = np.column_stack([fit.dual for fit in fits])
    estimator.n_neurons_ = estimator.network_.width
    estimator.objective_ = float(sum(fit.objective for fit in fits))
    estimator.duality_gap_ = float(sum(fit.duality_gap for fit in fits))
    estimator.n_iter_ = int(max(fit.n_iter for fit in fits))
    estimator.solver_status_ = fits[0].status if len({f.status for f in fits}) == 1 else [f.status for f in fits]
    estimator.solver_ = fits[0].solver
    arrangement = fits[0].arrangement
    for fit in fits[1:]:
        if fit.arrangement is not arrangement:
            arrangement = arrangement.union(fit.arrangement)
    estimator.arrangement_ = arrangement
    estimator.certificate_ = PatternCertificate.combine(fit.certificate for fit in fits)


def _fit_vector(estimator, X, Y, beta, rng):
    """The vector-output program (THEORY §I.1) for targets of shape (n, c), c >= 2."""
    from .extensions.vector_output import VectorOutputProgram, dictionary_refinement, direction_dictionary

    X_aug = add_intercept(X) if estimator.fit_intercept else X
    patterns = _resolve_patterns(X_aug, estimator.patterns)
    if isinstance(patterns, str) and patterns == "adaptive":
        if estimator.patterns == "adaptive":
            raise ValueError('patterns="adaptive" needs a one-dimensional y; use patterns="sample" or "exact" '
                             f"for y of shape {Y.shape}.")
        patterns = "sample"  # "auto" on large data: the vector programs have no adaptive search
    arrangement = _arrangement(X_aug, patterns, estimator.n_patterns, rng)
    if estimator.activation == "gated":
        solution = VectorOutputProgram(X_aug, Y, beta, arrangement, activation="gated").solve(tol=estimator.tol)
        network = solution.to_network(drop_below=DROP_BELOW)
        objective = network.objective(X_aug, Y, beta)
        violation, exhaustive = solution.dual_violation, arrangement.exhaustive
        tried = arrangement.n_patterns
    else:
        try:  # the extreme rays of every cone, when there are not too many of them
            directions = direction_dictionary(X_aug, arrangement)
        except ValueError:
            directions = direction_dictionary(X_aug, arrangement, include_rays=False, n_random=estimator.n_patterns,
                                              random_state=rng)
        program = VectorOutputProgram(X_aug, Y, beta, arrangement, activation="relu", directions=directions)
        solution = dictionary_refinement(program, rounds=10, rtol=1e-6, tol=min(estimator.tol, 1e-6)).solution
        augmented = solution.to_network(drop_below=DROP_BELOW)
        network = ReLUNetwork.from_augmented(augmented.hidden_weights, augmented.output_weights, estimator.fit_intercept)
        objective = network.objective(X, Y, beta)
        violation = solution.dual_violation
        exhaustive = solution.check is not None  # the dense dual check covers every direction
        tried = solution.n_directions
    certificate = PatternCertificate(
        max_violation=float(violation), beta=beta, n_directions_tried=int(tried), n_rounds=0,
        exhaustive=bool(exhaustive), converged=bool(violation <= beta * (1.0 + np.sqrt(estimator.tol))),
    )
    return _Fit(network, objective, solution.lower_bound, solution.dual, solution.n_iter,
                solution.status, solution.solver, certificate, arrangement,
                get_loss(solution.loss).value(np.zeros_like(Y), Y))


class ConvexReLURegressor(RegressorMixin, BaseEstimator):
    r"""Two-layer ReLU regression network trained to its global optimum by a convex program.

    Minimizes :math:`\tfrac12\|f_\theta(X)-y\|^2+\frac\beta2\sum_j(\|w_j\|^2+b_j^2+\alpha_j^2)`
    over networks of any width by solving the ReLU program (C) of THEORY.md §C (or the gated
    program with ``activation="gated"``) and recovering the network from its solution.

    **Vector targets.** For ``y`` of shape (n_samples, c) with :math:`c\ge2` the network has c outputs
    (:math:`\alpha_j\in\mathbb R^c`, penalty :math:`\|\alpha_j\|^2`) and the vector-output programs of
    THEORY §I.1 are solved (:class:`~sklearn_convexnn.extensions.vector_output.VectorOutputProgram`):
    with ``activation="gated"`` the gated program with a nuclear norm per pattern, **exactly**
    (cvxpy); with ``activation="relu"`` the ReLU vector program restricted to a dictionary of
    directions inside the cones, refined by column generation
    (:func:`~sklearn_convexnn.extensions.vector_output.dictionary_refinement`): an **upper bound**
    on the ReLU optimum, attained by the fitted network, certified (``duality_gap_``) only for data
    of rank at most 3 with the bias. ``patterns="adaptive"`` needs a one-dimensional ``y``
    (``"auto"`` samples instead). A ``y`` of shape (n_samples, 1) is fitted as a one-dimensional
    target, and ``predict`` returns shape (n_samples, 1).

    Parameters
    ----------
    beta : float, default=1.0
        Weight decay :math:`\beta` (the loss is a sum over samples, so :math:`\beta` scales with n).
    activation : {"relu", "gated"}, default="relu"
        ``"relu"``: the exact cone-constrained program; ``"gated"``: the gated ReLU program.
    patterns : {"auto", "exact", "sample", "adaptive"} or Arrangement, default="auto"
        ``"exact"`` enumerates every activation pattern (global optimum, certified);
        ``"sample"`` draws ``n_patterns`` Gaussian gates (of the coarsely standardized data,
        :func:`~sklearn_convexnn.arrangements.gate_scaling`); ``"adaptive"`` starts from those and
        grows them where the dual constraint is violated, with an L-BFGS fit as a seed
        (:func:`~sklearn_convexnn.convex.adaptive.adaptive_patterns`; width :math:`n+1` on small
        data, see :func:`~sklearn_convexnn.convex.adaptive.seed_width_for`, fitted again wider when
        the optimum needs many neurons): never worse than that seed; ``"auto"`` is exact when at
        most 1000 patterns can exist (``AUTO_EXACT_LIMIT``), adaptive otherwise.
    n_patterns : int, default=100
        Number of gates drawn when sampling (the initial patterns of ``"adaptive"``).
    fit_intercept : bool, default=True
        Append a column of ones, i.e. a first-layer bias penalized like a weight.
    solver : str, default="auto"
        Backend of :meth:`ConvexProgram.solve`.
    tol : float, default=1e-8
        Solver tolerance; the adaptive search counts a direction as violating above
        :math:`\beta(1+\text{tol}^{1/2})`.
    max_iter : int or None, default=None
        Solver iteration cap (the backend's default when None).
    max_rounds : int, default=2
        Most rounds of the adaptive search (``patterns="adaptive"``). Each round costs about as
        much as the one before; on the benchmark problems a third round lowered the objective by
        2e-5 to 2e-4 relative, for a third more time. On real data the search usually ends at this
        budget with directions still violating (``certificate_.converged`` False, e.g. a largest value
        of 1.08 :math:`\beta` on standardized ``load_diabetes``): that is reported in ``certificate_``,
        not warned about, as the network is never worse than its L-BFGS seed and ``duality_gap_``
        bounds its distance to the optimum of the program over the patterns found (5-15% of the
        objective on the standardized benchmark data). A gap above ``ADAPTIVE_GAP_WARNING`` (25%)
        is warned about (ConvergenceWarning): see Notes.
    n_starts : int, default=30
        Random starts per sign of each adaptive search.
    random_state : int, RandomState instance or None, default=None
        Seeds the pattern sampling and the adaptive search.
    verbose : int, default=0
        Verbosity: 1 shows a progress bar over the adaptive rounds, 2 and more also the solver's
        own output.

    Attributes
    ----------
    network_ : ReLUNetwork
        The fitted network (``GatedReLUNetwork`` for ``activation="gated"``).
    n_neurons_ : int
        Its width (number of non-zero blocks of the convex solution).
    arrangement_ : Arrangement
        The patterns used; ``arrangement_.exhaustive`` says whether the optimum is global.
    certificate_ : PatternCertificate
        The largest dual-constraint value found at the fitted dual, :math:`\beta`, the directions
        tried, the adaptive rounds, and whether the arrangement is exhaustive (then the
        certificate is exact).
    objective_ : float
        The network's objective on the training data.
    duality_gap_ : float
        Certified gap of the returned network: ``objective_`` minus the certified lower bound of the
        convex program over ``arrangement_`` (a ConvergenceWarning is issued when the solution's gap
        exceeds ``1e-3 * max(objective_, min(1, L0))``, ``L0`` the zero network's objective, although the
        solver reports ``"optimal"``, and when an adaptive fit's exceeds 0.25 times that scale, see
        ``max_rounds``).
    dual_ : ndarray of shape (n_samples,) or (n_samples, c)
        :math:`\nu=-\nabla L(\hat y)`, the residual.
    n_iter_ : int
        Solver iterations.
    solver_status_ : str
        How the solver stopped.
    n_features_in_ : int
    feature_names_in_ : ndarray
        Defined when X has feature names.

    Notes
    -----
    **Feature scaling.** The penalty :math:`\|w_j\|^2+b_j^2` treats every feature, and the bias, on
    the same scale, so the problem depends on the units of ``X`` (multiplying ``X`` by ``c``
    divides the weights' penalty by :math:`c^2` and leaves the bias's), and features far
    from unit scale make the program ill-conditioned for every solver. Standardize as for
    ``MLPRegressor``: ``make_pipeline(StandardScaler(), ConvexReLURegressor())``, and targets of
    large mean or scale with ``TransformedTargetRegressor``. On ``load_linnerud`` as shipped
    (features up to 251) the adaptive fit ends at 321.1 with a certified gap of 90% over its own
    patterns (warned) while the exact optimum is 259.5; standardized, the gap is 10%.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_convexnn import ConvexReLURegressor
    >>> X = np.linspace(-1, 1, 12).reshape(-1, 1)
    >>> model = ConvexReLURegressor(beta=1e-2).fit(X, np.abs(X).ravel())
    >>> bool(model.arrangement_.exhaustive)
    True
    """

    def __init__(self, beta=1.0, activation="relu", patterns="auto", n_patterns=100, fit_intercept=True,
                 solver="auto", tol=1e-8, max_iter=None, max_rounds=2, n_starts=30, random_state=None, verbose=0):
        self.beta = beta
        self.activation = activation
        self.patterns = patterns
        self.n_patterns = n_patterns
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.max_rounds = max_rounds
        self.n_starts = n_starts
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y):
        """Fit the globally optimal network (over the patterns used) to ``X``, ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, c)
            A two-dimensional ``y`` with c >= 2 columns fits a network with c outputs (see the class
            docstring for the program solved).

        Returns
        -------
        self
        """
        beta = _check_params(self)
        X, y = _validate(self, X, y, dtype=np.float64, y_numeric=True, multi_output=True)
        try:  # y_numeric converts object arrays only; strings arrive here
            y = y.astype(np.float64)
        except (TypeError, ValueError) as error:
            raise type(error)(f"y must be numeric: {error}") from error
        with np.errstate(over="ignore"):
            zero_loss = get_loss("squared").value(np.zeros_like(y), y)
        if not np.isfinite(zero_loss):
            raise ValueError(
                f"y: the squared loss overflows float64 (|y| up to {np.abs(y).max():.3g}: already 0.5 ||y||^2 is "
                "infinite, so no objective can be computed); rescale y, e.g. with TransformedTargetRegressor."
            )
        self._y_shape = y.shape[1:]
        rng = check_rng(self.random_state)
        if y.ndim == 2 and y.shape[1] > 1:
            fit = _fit_vector(self, X, y, beta, rng)
        else:
            fit = _fit_network(self, X, y.reshape(-1), beta, "squared", _patterns_for(self, X, rng), rng)
        _store(self, [fit])
        return self

    def __sklearn_is_fitted__(self):
        return hasattr(self, "network_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X):
        """Predict with the fitted network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, c)
            The shape of the ``y`` given to ``fit`` (a column ``y`` gives a column).
        """
        check_is_fitted(self)
        X = _validate(self, X, dtype=np.float64, reset=False)
        prediction = _decision(self, X)
        return prediction.reshape((X.shape[0],) + self._y_shape)


class ConvexReLUClassifier(ClassifierMixin, BaseEstimator):
    r"""Two-layer ReLU classifier trained to its global optimum by a convex program.

    Binary labels of any type are mapped to :math:`\pm1`; the network minimizes the squared
    loss on those targets (``loss="squared"``) or the logistic loss (``loss="logistic"``, with
    :meth:`predict_proba`), plus :math:`\frac\beta2\sum_j(\|w_j\|^2+b_j^2+\alpha_j^2)`. More than
    two classes are handled one-vs-rest: one network per class, stored together in ``network_``
    whose neuron :math:`j` feeds only the output of its class.

    Parameters
    ----------
    beta, activation, patterns, n_patterns, fit_intercept, solver, tol, max_iter, max_rounds, n_starts, random_state, verbose
        As for :class:`ConvexReLURegressor` (``patterns="adaptive"`` is seeded with a quick L-BFGS fit on
        the chosen loss, as MLPClassifier trains a binary network).
    loss : {"squared", "logistic"}, default="squared"

    Attributes
    ----------
    classes_ : ndarray
        The class labels.
    network_, n_neurons_, arrangement_, certificate_, objective_, duality_gap_, dual_, n_iter_, solver_status_
        As for :class:`ConvexReLURegressor`; for several classes, ``objective_`` and
        ``duality_gap_`` are sums over the one-vs-rest problems, ``dual_`` has one column per class,
        ``arrangement_`` is the union of the classes' patterns and ``certificate_`` holds the worst
        violation and the summed work.
    n_features_in_ : int
    feature_names_in_ : ndarray
        Defined when X has feature names.

    Notes
    -----
    Standardize the features (``make_pipeline(StandardScaler(), ConvexReLUClassifier())``): see the
    Notes of :class:`ConvexReLURegressor`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_convexnn import ConvexReLUClassifier
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> ConvexReLUClassifier(beta=0.1).fit(X, ["no", "no", "yes", "yes"]).predict([[3.0]])
    array(['yes'], dtype='<U3')
    """

    def __init__(self, beta=1.0, activation="relu", patterns="auto", n_patterns=100, fit_intercept=True,
                 solver="auto", tol=1e-8, max_iter=None, max_rounds=2, n_starts=30, random_state=None, verbose=0,
                 loss="squared"):
        self.beta = beta
        self.activation = activation
        self.patterns = patterns
        self.n_patterns = n_patterns
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.max_rounds = max_rounds
        self.n_starts = n_starts
        self.random_state = random_state
        self.verbose = verbose
        self.loss = loss

    def fit(self, X, y):
        """Fit one network (binary) or one per class (one-vs-rest).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels of any type.

        Returns
        -------
        self
        """
        beta = _check_params(self)
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {self.loss!r}.")
        X, y = _validate(self, X, y, dtype=np.float64)
        try:
            check_classification_targets(y)
            encoder = LabelEncoder().fit(y)
        except (TypeError, ValueError) as error:
            raise type(error)(f"y: {error}") from error
        classes = encoder.classes_
        codes = encoder.transform(y)
        if len(classes) < 2:
            raise ValueError(f"y must contain at least 2 classes; got 1 class ({classes[0]!r}).")
        rng = check_rng(self.random_state)
        patterns = _patterns_for(self, X, rng)
        columns = [1] if len(classes) == 2 else range(len(classes))
        fits = [
            _fit_network(self, X, np.where(codes == k, 1.0, -1.0), beta, self.loss, patterns, rng)
            for k in columns
        ]
        _store(self, fits)
        self.classes_ = classes
        return self

    def __sklearn_is_fitted__(self):
        return hasattr(self, "network_")

    def decision_function(self, X):
        """Network output: shape (n_samples,) for two classes, (n_samples, n_classes) otherwise.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray
        """
        check_is_fitted(self)
        X = _validate(self, X, dtype=np.float64, reset=False)
        return _decision(self, X)

    def predict(self, X):
        """Predict class labels (the sign of the output, or its argmax for several classes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def _is_logistic(self):
        return self.loss == "logistic"

    @available_if(_is_logistic)
    def predict_proba(self, X):
        r"""Class probabilities :math:`\sigma(f(x))` (binary) or normalized one-vs-rest sigmoids.

        Multiclass: :math:`p_c=\sigma(f_c(x))/\sum_{c'}\sigma(f_{c'}(x))`, computed as a softmax of
        :math:`\log\sigma(f_c(x))`, so it stays finite where every sigmoid underflows (far from the data,
        where the network extrapolates linearly).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        from scipy.special import expit, log_expit, softmax

        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.column_stack([expit(-scores), expit(scores)])
        return softmax(log_expit(scores), axis=1)
