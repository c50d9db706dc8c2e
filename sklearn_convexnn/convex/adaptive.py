r"""Dual-driven activation patterns: grow the arrangement where the dual constraint is violated.

With sampled patterns the convex program is only an upper bound (THEORY §C, restricted programs):
the patterns the optimum needs may be missing. At the current dual :math:`\nu` the constraint of the
*full* program reads (THEORY §D, circle form)

.. math:: \max_{\|u\|=1}\;s\,\langle\nu,(Xu)_+\rangle\le\beta,\qquad s=\pm1,

and a unit :math:`u` violating it names a pattern :math:`D(u)=\operatorname{diag}(\mathbb 1[Xu\ge0])`
whose block would lower the objective (THEORY §F, caveat (ii)). The search is a local ascent from many
starts (random directions and the current neurons), alternating

.. math:: u\leftarrow\frac{\Pi_{\mathcal K(D(u))}(s\,X^\top D(u)\nu)}{\|\cdot\|},

the best direction inside the current cone (cone lemma), which never decreases
:math:`s\langle\nu,(Xu)_+\rangle`.

Gated program: the patterns of the violators are added and the program re-solved warm, over a
superset of the previous patterns each time. ReLU program: the violators are recombined with the
current neurons by the convex program restricted to these fixed directions (a non-negative lasso),
then all neurons move by L-BFGS on the non-convex objective (the fixed directions of a cone converge
slowly; the descent moves them across patterns, which the re-solves over fixed patterns cannot do
cheaply); the result is returned as the convex point of the final network in the program over
every pattern met, with that program's certificate. Either way the objective never increases. The
search is a heuristic: "no violation found" is not a proof unless the arrangement is exhaustive.

Seeding the patterns with those of a network (e.g. a quick non-convex fit, ``seed_network="mlp"``)
is legitimate: the program over them is at least as good as that network (THEORY §C, from any network
to a feasible convex point).
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass, replace

import numpy as np
from sklearn.utils import check_random_state

from .._numerics import safe_row_norms
from .._threads import one_blas_thread
from ..arrangements import Arrangement, sample_patterns
from ..losses import check_targets_for_loss, get_loss
from ..network import ReLUNetwork, check_beta, regularized_objective
from .dual import dual_constraint, pattern_correlations, project_onto_cones
from .program import ConvexProgram, ConvexSolution, data_scales
from .solvers.column_generation import interior_direction
from .solvers.nonnegative_lasso import solve_nonnegative_lasso

__all__ = ["AdaptiveResult", "adaptive_patterns", "ascend_directions", "fit_lbfgs", "lbfgs_iterations",
           "objective_and_gradient", "polish_network", "seed_width_for"]

#: gap tolerance of the intermediate solves (the search compares values with beta (1 + sqrt(tol)))
SEARCH_TOL = 1e-6
#: every search takes the cone steps only from starts whose value is above this fraction of beta: the cone
#: projections of many starts are most of the search time (at (5000, 21) a threshold of 0.25 for the
#: certificate searches took 143 s instead of 86 s, for the same network)
PROMISE = 0.7
#: two cone steps of the ascent that raise the value by no more than this (relative) end that direction's ascent
RISE_RTOL = 1e-9
#: steps of the ascent's fixed point before the cone steps (ReLU program). The map depends on the pattern only and
#: drifts through neighbouring patterns: on the benchmark problems it never settled in 30 steps, and the best value
#: over the starts fell from 1.02 beta (the neurons) to about 0.6 beta after five (1000, 10, 200). With three steps
#: the final objectives move by at most 5e-4 relative (diabetes 70.199 -> 70.232, (5000, 21) 226.272 -> 226.269), and
#: the (20000, 51) fit, whose searches found no violator either way (its pricing did), takes 47 s instead of 80 s
FIXED_POINT_STEPS = 3
#: the ``"mlp"`` seed is ``n + 1`` wide when ``n * d * (n + 1)`` is at most this (multiply-adds per pass over
#: the data), otherwise as wide as this allows but at least ``max(SEED_MIN_WIDTH, 8 d + 16)``. At 5e6 breast cancer
#: (n d = 569 * 31) got a seed of width 283: 21.7979 in 1.9 s, and at 0.1 times its beta 3.9708, above L-BFGS at twice
#: our width (3.9263); from width n + 1 = 570: 21.7815 in 3.5 s, and 3.9130. (1000, 11): 34.1745 in 3.0 s from width
#: 454, 34.1622 in 5.4 s from width 909. The other benchmark problems get the same seed as before
SEED_COST = 1e7
SEED_MIN_WIDTH = 256
#: the automatic ``"mlp"`` seed is fitted again at twice its width (at most ``SEED_WIDENINGS`` times) while its
#: recombination with the sampled gates keeps more than ``SEED_KEEP`` of its width: L-BFGS reaches far lower minima
#: when the width is several times the width the recombination keeps. Kept fractions of the n + 1 seed: (1000, 10,
#: 200) 0.12, breast cancer 0.14, (200, 5, 50) 0.18 (unchanged: seed alone); diabetes 0.35, 0.52 and 0.70 at 1, 0.3
#: and 0.1 times its beta, where the estimator ends at 69.666 / 28.857 / 10.691 instead of 70.236 / 29.796 / 11.319
#: (one seed twice as wide instead of the first: 69.953 / 29.316 / 10.938); breast cancer at 0.3 times beta 0.37
#: (9.877 instead of 9.922). A wider seed is fitted only when
#: ``LBFGS_WORK`` leaves it at least ``SEED_MIN_ITER`` iterations: at (20000, 51) the seed of width 848 got 34 and
#: ended at 1379 against 1154 for the first; at (5000, 21) the seeds of width 512 and 1024 got 558 and 279 and took
#: the fit from 226.295 to 225.905
SEED_KEEP = 1.0 / 3.0
SEED_WIDENINGS = 2
SEED_MIN_ITER = 250
#: L-BFGS iterations of the ``"mlp"`` seed (a quick fit: the rounds improve on it)
SEED_ITER = 1000
#: every L-BFGS run of the ReLU rounds (the seed, each descent) costs at most this many multiply-adds (about 10 s on
#: one core; one iteration costs about n d m): every benchmark problem up to (5000, 21) keeps its iterations; at
#: (20000, 51) the seed of width 424 gets 69 of its 1000 (110 s -> 7 s) and a descent of width ~250 about 115 of its
#: 500 (the fit 324 s -> 126 s, final objective 1148.44 -> 1149.53, where the best of 10 L-BFGS runs of 10 s each at
#: our width 202 reached 1151.31)
LBFGS_WORK = 3e10
#: a round's descents stop when the last ``STALL_WINDOW`` of them lowered the objective by less than
#: ``STALL_RTOL`` relative (deterministic, unlike a time budget), or after ``MAX_DESCENTS`` of them. One
#: descent decides: on the benchmark problems a second one after a descent that gained < 1e-3 gained
#: 1e-5 relative at most ((200, 5, 50) 4.883124 -> 4.883008, (5000, 20, 500) 226.2719 -> 226.2688) and
#: cost 20-40% of the fit
STALL_WINDOW, STALL_RTOL, MAX_DESCENTS = 1, 1e-3, 30
#: a descent takes at most ``max(NEW_MIN, NEW_FRACTION * width)`` violators, the strongest (the width stays moderate)
NEW_MIN, NEW_FRACTION = 10, 0.25


@dataclass(frozen=True)
class AdaptiveResult:
    r"""Result of :func:`adaptive_patterns`.

    Attributes
    ----------
    arrangement : Arrangement
        The final patterns (sampled, seeded and found), ``exhaustive=False`` unless the initial one was.
    solution : ConvexSolution
        A point of the program over ``arrangement`` with that program's certificate: for the gated
        program its solution; for the ReLU program the convex point of the final descended network
        (``solver="adaptive"``, ``status`` ``"optimal"`` when the last search found no violation,
        ``"max_iter"`` when the rounds ran out), whose ``duality_gap`` bounds its distance to the
        optimum over ``arrangement``.
    max_violation : float
        Largest :math:`\max_s s\langle\nu,(Xu)_+\rangle` over the unit directions tried at the final
        dual (compare with ``solution.beta``; at most :math:`\beta(1+\text{tol})` when the search
        ended without finding a violation).
    n_directions_tried : int
        Ascent runs over all searches (starts times signs).
    n_rounds : int
        Rounds: certificate searches (ReLU program, each after its descents) or re-solves (gated program).
    history : ndarray
        Objective at the start (the sampled program's optimum, or the seed's objective), after the
        seed's recombination with the sampled gates, after every descent (ReLU) or re-solve (gated) and
        of the returned solution (non-increasing). A seed whose objective exceeds float64's range on the data the
        search runs on (rescaled when far from unit size: ``data_scales``) starts it at ``inf``.
    converged : bool
        True when the last search found no violation above tolerance.
    """

    arrangement: Arrangement
    solution: ConvexSolution
    max_violation: float
    n_directions_tried: int
    n_rounds: int
    history: np.ndarray
    converged: bool


def ascend_directions(nu, X, starts, signs, *, activation="relu", max_iter=30, promising_above=0.0, promise=0.25,
                      cone_steps=True):
    r"""Local ascent of :math:`s\langle\nu,(Xu)_+\rangle` over unit :math:`u` from many starts.

    First the cheap fixed point :math:`u\leftarrow s\,X^\top D(u)\nu/\|\cdot\|` (one matrix product per
    step for all starts, the stationarity condition of a neuron, THEORY §F; for the ReLU program at most
    ``FIXED_POINT_STEPS`` steps, as it does not ascend monotonically); then, for the ReLU
    program, the monotone cone step :math:`u\leftarrow\Pi_{\mathcal K(D(u))}(s\,X^\top D(u)\nu)/\|\cdot\|`
    (batched, warm-started projections) until no pattern changes, or two steps in a row change it
    without raising the value (a fixed point on a wall shared by two cones). Starts that reach the
    same pattern and sign are merged.

    Parameters
    ----------
    nu : ndarray of shape (n,)
    X : ndarray of shape (n, d)
    starts : ndarray of shape (S, d)
    signs : ndarray of shape (S,)
        :math:`s=\pm1` per start.
    activation : {"relu", "gated"}
        Gated: the value of :math:`u` is :math:`\|X^\top D(u)\nu\|` (the gate is the direction's own
        pattern), and only the fixed point runs.
    max_iter : int
        Steps of each phase (of the first, for the ReLU program, at most ``FIXED_POINT_STEPS``).
    promising_above : float
        Only directions whose value after the first phase exceeds ``promise`` times this enter the second.

    Returns
    -------
    directions : ndarray of shape (S', d)
        Unit directions, one per distinct (pattern, sign) reached.
    values : ndarray of shape (S',)
        :math:`s\langle\nu,(Xu)_+\rangle` (ReLU) or :math:`\|X^\top D(u)\nu\|` (gated) at them.
    """
    U = np.asarray(starts, dtype=float)
    signs = np.asarray(signs, dtype=float)
    keep = np.linalg.norm(U, axis=1) > 0
    U, signs = U[keep], signs[keep]

    def distinct(U, signs, masks, *extra):
        keys = np.packbits(np.vstack([masks, signs[None] > 0]), axis=0).T
        _, first = np.unique(keys, axis=0, return_index=True)
        first = np.sort(first)
        return (U[first], signs[first], masks[:, first]) + tuple(e[first] for e in extra)

    def unit(points):
        lengths = np.linalg.norm(points, axis=1)
        good = lengths > 0
        return points[good] / lengths[good, None], good

    U, good = unit(U)
    signs = signs[good]
    masks = X @ U.T >= 0
    for _ in range(max_iter if activation == "gated" else min(max_iter, FIXED_POINT_STEPS)):  # phase 1: fixed point
        U, signs, masks = distinct(U, signs, masks)
        U, good = unit((pattern_correlations(nu, X, masks) * signs).T)
        signs = signs[good]
        new_masks = X @ U.T >= 0
        if new_masks.shape == masks[:, good].shape and np.array_equal(new_masks, masks[:, good]):
            masks = new_masks
            break
        masks = new_masks
    if activation == "relu":
        U, signs, masks = distinct(U, signs, masks)
        promising = signs * (nu @ np.maximum(X @ U.T, 0.0)) > promise * promising_above
        U, signs, masks = U[promising], signs[promising], masks[:, promising]
        active = np.full((len(signs), X.shape[1] + 1), -1, dtype=np.intp)
        moving = np.ones(len(signs), dtype=bool)
        reached = signs * (nu @ np.maximum(X @ U.T, 0.0))
        flat = np.zeros(len(signs), dtype=np.intp)  # consecutive cone steps that did not raise the value
        for _ in range(max_iter if cone_steps else 0):  # phase 2: best direction inside the current cone (monotone)
            U, signs, masks, active, moving, reached, flat = distinct(U, signs, masks, active, moving, reached, flat)
            index = np.flatnonzero(moving)
            if not len(index):
                break
            projections = project_onto_cones(pattern_correlations(nu, X, masks[:, index]) * signs[index], X,
                                             masks[:, index], active=active[index])
            lengths = projections.values
            alive = np.ones(len(signs), dtype=bool)
            alive[index[lengths <= 0]] = False  # nothing positive in that cone
            grow = lengths > 0
            U[index[grow]] = projections.points[grow] / lengths[grow, None]
            active[index] = projections.active
            products = X @ U[index].T
            new_masks = products >= 0
            # two steps that changed the pattern but not the value: a fixed point on a cone wall (the
            # pattern flips between the cones that share it), where the ascent has stopped
            values = signs[index] * (nu @ np.maximum(products, 0.0))
            rose = values > reached[index] + RISE_RTOL * np.abs(reached[index])
            flat[index] = np.where(rose, 0, flat[index] + 1)
            moving[index] = np.any(new_masks != masks[:, index], axis=0) & (flat[index] < 2)
            reached[index] = np.maximum(values, reached[index])
            masks[:, index] = new_masks
            U, signs, masks, active, moving, reached, flat = (U[alive], signs[alive], masks[:, alive], active[alive],
                                                              moving[alive], reached[alive], flat[alive])
        U, signs, masks = distinct(U, signs, masks)
        values = signs * (nu @ np.maximum(X @ U.T, 0.0))
    else:
        U, signs, masks = distinct(U, signs, masks)
        values = np.linalg.norm(pattern_correlations(nu, X, masks), axis=0)
    return U, values


def _network_patterns(network, X):
    """Masks and gates of the neurons of a network acting on ``X`` as given."""
    weights = network.augmented_weights
    if weights.shape[1] != X.shape[1]:
        raise ValueError(
            f"seed_network acts on {weights.shape[1]} features (bias included) but X has {X.shape[1]} columns."
        )
    weights = weights[np.linalg.norm(weights, axis=1) > 0]
    return X @ weights.T >= 0, weights.T


def _seed_solution(program, network):
    """The convex point of a network on ``program``'s patterns (THEORY §C), or None if a neuron's pattern is missing."""
    blocks = _network_blocks(program, network)
    return None if blocks is None else program.solution(*blocks, solver="seed")


def _network_blocks(program, network):
    """The blocks ``(u, v)`` of a network on ``program``'s patterns (THEORY §C), or None if a neuron's pattern is missing.

    The neurons' patterns are computed exactly as :func:`_network_patterns` computes them (one matrix
    product), so a network whose patterns were added with it is always found: a sample on a neuron's
    hyperplane must not fall on different sides in two products.
    """
    masks = program.masks
    keys = {np.packbits(masks[:, i]).tobytes(): i for i in range(masks.shape[1])}
    u, v = np.zeros((program.n_patterns, program.X.shape[1])), np.zeros((program.n_patterns, program.X.shape[1]))
    weights, output = network.augmented_weights, network.output_weights
    nonzero = np.linalg.norm(weights, axis=1) > 0
    neuron_masks, _ = _network_patterns(network, program.X)
    for w, a, mask in zip(weights[nonzero], output[nonzero], neuron_masks.T):
        if a == 0 or not mask.any():
            continue  # the neuron outputs nothing (and the empty pattern is never kept)
        i = keys.get(np.packbits(mask).tobytes())
        if i is None:
            return None
        if program.activation == "gated":  # (Xw)_+ a = D(w) X (a w): a gated block of gate w
            u[i] += a * w
        else:
            (u if a > 0 else v)[i] += abs(a) * w
    if np.any(u[~program.blocks[:, 0]]) or np.any(v[~program.blocks[:, 1]]):
        return None
    if program.activation == "relu" and not _strictly_inside(program, u, v):
        return None
    return u, v


def _strictly_inside(program, u, v):
    r"""Move, in place, every block that rounding puts outside its cone just inside it; False if one cannot be.

    A neuron with a sample on its hyperplane (:math:`x_k^\top w\approx0`) has a pattern that depends on
    the rounding of the product that computed it; the sum of two such neurons, or the same product
    computed in another order, may then come out at :math:`-10^{-18}`. The block keeps its norm and moves
    by about ``INTERIOR_MARGIN`` relative (its fit by as little), as column generation's directions do.
    """
    X, masks, gates = program.X, program.masks, program.arrangement.gates
    for blocks in (u, v):
        used, slack = program.cone_slack(blocks)
        for i in used[slack < 0]:
            direction = interior_direction(blocks[i], X, masks[:, i], gates[:, i])
            if direction is None:
                return False
            blocks[i] = np.linalg.norm(blocks[i]) * direction
    return True


def _extend(solution, program):
    """``solution`` (on a prefix of ``program``'s patterns) padded with zero blocks: a warm start for ``program``.

    Prediction, objective and dual are unchanged by the padding; the certificate fields referred to
    the old patterns and are set to NaN (the point is only used as a warm start; the program
    recomputes them whenever it builds a solution).
    """
    P, d = program.n_patterns, program.X.shape[1]
    u, v = np.zeros((P, d)), np.zeros((P, d))
    u[: solution.u.shape[0]], v[: solution.v.shape[0]] = solution.u, solution.v
    return replace(solution, u=u, v=v, arrangement=program.arrangement, dual_violation=np.nan, lower_bound=np.nan,
                   duality_gap=np.nan)


def objective_and_gradient(theta, X, y, beta, width, loss="squared"):
    r""":math:`F_m` and its gradient at the flat parameters ``theta`` :math:`=(w_1,\ldots,w_m,\alpha)`.

    With :math:`\hat y=\sum_j(Xw_j)_+\alpha_j` and :math:`\nu=-\nabla L(\hat y)`:
    :math:`\nabla_{\alpha_j}F=-(Xw_j)_+^\top\nu+\beta\alpha_j`,
    :math:`\nabla_{w_j}F=-\alpha_jX^\top D_j\nu+\beta w_j` (THEORY §F; 0 at kinks). The objective is
    :func:`~sklearn_convexnn.network.regularized_objective`. The products run neuron-major, shape
    (m, n), which keeps them contiguous (three times faster than sample-major at n = 2000, m = 400),
    in one (m, n) array overwritten in place: :math:`Xw_j`, then :math:`(Xw_j)_+`, then
    :math:`D_j\nu` (five times faster than a fresh array for each at n = 442, m = 443).

    Parameters
    ----------
    theta : ndarray of shape (width * d + width,)
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    beta : float
    width : int
    loss : {"squared", "logistic"}

    Returns
    -------
    value : float
    gradient : ndarray of the shape of ``theta``
    """
    d = X.shape[1]
    hidden, alpha = theta[: width * d].reshape(width, d), theta[width * d:]
    features = hidden @ X.T
    np.maximum(features, 0.0, out=features)
    prediction = alpha @ features
    nu = get_loss(loss).negative_gradient(prediction, y)
    value = regularized_objective(prediction, y, float(theta @ theta), beta, loss)
    grad_alpha = beta * alpha - features @ nu
    masked = np.greater(features, 0.0, out=features)  # D_j nu: (Xw_j)_+ > 0 iff Xw_j > 0 (1.0 or 0.0, in place:
    masked *= nu  # no (m, n) array of booleans: 10.4 -> 9.4 ms at n = 2000, d = 21, m = 1024)
    grad_hidden = beta * hidden - alpha[:, None] * (masked @ X)
    return value, np.concatenate([grad_hidden.ravel(), grad_alpha])


def polish_network(network, X, y, beta, *, loss="squared", max_iter=500):
    r"""Local descent of :math:`F_m` from ``network`` by L-BFGS (the non-convex problem, THEORY §A).

    Objective and gradient: :func:`objective_and_gradient`. One BLAS thread: the products are small.

    Parameters
    ----------
    network : ReLUNetwork
        Scalar output, acting on ``X`` as given (no separate bias).
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    beta : float > 0
    loss : {"squared", "logistic"}
    max_iter : int
        L-BFGS iterations.

    Returns
    -------
    network : ReLUNetwork
        Never worse than the given one.
    objective : float
        Its :math:`F_m`.
    """
    if network.hidden_bias is not None or network.output_weights.ndim != 1:
        raise ValueError("network must have a scalar output and no separate bias (it acts on X as given).")
    start = np.concatenate([network.hidden_weights.ravel(), network.output_weights])
    start_value = objective_and_gradient(start, X, y, beta, network.width, loss)[0]
    polished, value = _lbfgs(start, X, y, beta, network.width, loss,
                             {"maxiter": int(max_iter), "ftol": 1e-13, "gtol": 1e-10})
    if not value < start_value:
        return network, start_value
    return polished, value


def fit_lbfgs(X, y, beta, width, *, loss="squared", random_state=None, max_iter=SEED_ITER):
    r"""Train a width-``width`` network on :math:`F_m` the way ``MLPRegressor`` / ``MLPClassifier`` do, faster.

    Squared loss: :func:`sklearn_convexnn.nonconvex.fit_mlp` (``fit_intercept=False``) step for step,
    with :func:`objective_and_gradient`: the same Glorot-uniform start :math:`w_{kj},\alpha_j\sim
    U(\pm\sqrt{6/(\text{fan-in}+\text{fan-out})})` drawn from the same random stream, the same
    objective :math:`F_m/n` (MLPRegressor's loss with ``alpha = beta`` and pinned intercepts) and
    the same L-BFGS-B options (``gtol=1e-12``, ``maxfun = 10 max_iter``). The iterates agree up to
    rounding, which L-BFGS amplifies over hundreds of iterations; the time is 2 to 2.5 times less
    (1000 iterations at n = 442, width 443: 1.2 s against 2.8 s). Logistic loss, labels
    :math:`y_k=\pm1`: the same for a binary ``MLPClassifier``, whose cross-entropy of
    :math:`\sigma(\hat y_k)` against :math:`(1+y_k)/2` is :math:`\log(1+e^{-y_k\hat y_k})`.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        As given (append the ones column yourself for a bias).
    y : ndarray of shape (n,)
        Targets; labels :math:`\pm1` for ``loss="logistic"``.
    beta : float > 0
    width : int >= 1
    loss : {"squared", "logistic"}
    random_state : int, RandomState or None
        The ``random_state`` MLPRegressor (MLPClassifier) would be given.
    max_iter : int
        L-BFGS iterations.

    Returns
    -------
    network : ReLUNetwork
    objective : float
        Its :math:`F_m`.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, d = X.shape
    beta = check_beta(beta)
    width = _check_count("width", width, 1)
    loss = check_targets_for_loss(y, loss).name
    rng = check_random_state(random_state)
    bound = np.sqrt(6.0 / (d + width))
    hidden = rng.uniform(-bound, bound, (d, width)).T
    rng.uniform(-bound, bound, width)  # the MLP's hidden intercepts (pinned at zero): keeps its stream
    bound = np.sqrt(6.0 / (width + 1))
    output = rng.uniform(-bound, bound, width)
    start = np.concatenate([hidden.ravel(), output])
    options = {"maxiter": int(max_iter), "maxfun": 10 * int(max_iter), "gtol": 1e-12}
    return _lbfgs(start, X, y, beta, width, loss, options, scale=1.0 / n)


def _lbfgs(start, X, y, beta, width, loss, options, scale=1.0):
    """L-BFGS-B on ``scale`` :math:`\times F_m` from the flat parameters ``start``; the network and its :math:`F_m`."""
    from scipy.optimize import minimize

    def scaled(theta):
        # a trial step of the line search may overflow (data or targets of 1e75): +inf sends it back
        with np.errstate(over="ignore", invalid="ignore"):
            value, gradient = objective_and_gradient(theta, X, y, beta, width, loss)
            value, gradient = scale * value, scale * gradient
        if not (np.isfinite(value) and np.all(np.isfinite(gradient))):
            return np.inf, np.zeros_like(theta)
        return value, gradient

    with one_blas_thread():
        result = minimize(scaled, start, jac=True, method="L-BFGS-B", options=options)
    d = X.shape[1]
    return ReLUNetwork(result.x[: width * d].reshape(width, d), result.x[width * d:]), float(result.fun) / scale


def _significant(network, X, rtol=1e-9):
    """``network`` without the neurons whose output :math:`\\|\\alpha_j(Xw_j)_+\\|` is at most ``rtol`` of the largest.

    Measured by the output, not by the block :math:`|\\alpha_j|\\|w_j\\|`: on a feature of 1e-12 beside the ones
    column, a neuron on the feature needs a block of 2.2e12 to output as much as one of block 6.7 on the ones column,
    and dropping that one at 1e-9 of the largest block raised :math:`F` from 4.78 to 40.57 (the adaptive search then
    ended worse than its seed). The neurons dropped change the prediction by at most ``rtol`` of the largest output
    each; neurons that output nothing only add to the penalty.
    """
    outputs = np.abs(network.output_weights) * safe_row_norms(np.maximum(X @ network.hidden_weights.T, 0.0).T)
    keep = outputs > rtol * outputs.max(initial=0.0)
    return ReLUNetwork(network.hidden_weights[keep], network.output_weights[keep])


def _check_count(name, value, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    return int(value)


def seed_width_for(n_samples, n_features):
    r"""Width of the ``"mlp"`` seed: :math:`n+1` when affordable, else as wide as ``SEED_COST`` allows.

    From width :math:`n+1` every network has a path of non-increasing objective to a global optimum
    (THEORY §G, Algorithm G1), and L-BFGS from a random start of that width ends far lower than from a
    narrow one (diabetes: 70.2 from width 443 against 71.8 from width 104); the recombinations then
    keep only the neurons the objective needs. One pass of L-BFGS costs :math:`n\,d\,m`
    multiply-adds, so for large :math:`n` the width is
    :math:`\max(256,\ 8d+16,\ \text{SEED\_COST}/(nd))` (at (5000, 21): 226.28 from width 256 against
    226.69 from width 184, where the best of 10 L-BFGS runs at our width and twice it reach 226.44 and
    226.47).
    """
    affordable = int(SEED_COST // max(1, n_samples * n_features))
    return int(min(n_samples + 1, max(SEED_MIN_WIDTH, 8 * n_features + 16, affordable)))


def lbfgs_iterations(n_samples, n_features, width, max_iter):
    r"""L-BFGS iterations of one run of the rounds: ``max_iter``, or fewer so that they cost at most ``LBFGS_WORK``.

    One iteration costs about :math:`n\,d\,m` multiply-adds; the count is
    :math:`\max(1,\min(\text{max\_iter},\ \lfloor\text{LBFGS\_WORK}/(n\,d\,m)\rfloor))`.
    """
    return int(max(1, min(max_iter, LBFGS_WORK // max(1, n_samples * n_features * width))))


def _seed(seed_network, X, y, beta, loss, seed_width, rng):
    """The seed network: None, the given ReLUNetwork, or a quick L-BFGS fit (``"mlp"``, :func:`fit_lbfgs`)."""
    if seed_network is None:
        return None
    if isinstance(seed_network, ReLUNetwork):
        return seed_network
    if not isinstance(seed_network, str):
        raise TypeError(f"seed_network must be None, a ReLUNetwork or 'mlp', got {type(seed_network).__name__}.")
    if seed_network != "mlp":
        raise ValueError(f"seed_network must be None, a ReLUNetwork or 'mlp', got {seed_network!r}.")
    width = seed_width or seed_width_for(*X.shape)
    return fit_lbfgs(X, y, beta, width, loss=loss, random_state=rng.randint(2**31 - 1),
                     max_iter=lbfgs_iterations(*X.shape, width, SEED_ITER))[0]


def _neurons(network):
    """Unit directions and output signs of the non-zero neurons."""
    weights, output = network.hidden_weights, network.output_weights
    lengths = np.linalg.norm(weights, axis=1)
    keep = (lengths > 0) & (output != 0)
    return weights[keep] / lengths[keep, None], np.sign(output[keep])


def _recombine(network, directions, signs, X, y, beta, loss):
    r"""The best recombination of the neurons of ``network`` and new unit ``directions`` of output ``signs``.

    The restricted convex program over fixed directions (THEORY §C with one block per direction),
    a non-negative lasso :math:`\min_{c\ge0}L(Ac)+\beta\mathbf 1^\top c` with columns
    :math:`A_k=s_k(Xu_k)_+`, solved exactly by
    :func:`~sklearn_convexnn.convex.solvers.nonnegative_lasso.solve_nonnegative_lasso` (the
    column-generation master; for the squared loss one non-negative quadratic program in the Gram
    matrix :math:`A^\top A`). Its optimum is at most the value of the network's own point
    :math:`c_j=|\alpha_j|\|w_j\|`, which is the network's objective; the result is the network
    :math:`w_k=\sqrt{c_k}u_k`, :math:`\alpha_k=s_k\sqrt{c_k}`, or ``network`` itself if that is not lower.
    The solve starts from zero: from the network's point it was slower on every benchmark problem (a
    seed has more neurons than the optimum needs, up to more than samples, and the active-set method
    removes them one by one), for the same optimum.
    """
    units, column_signs = _neurons(network)
    units, column_signs = np.vstack([units, directions]), np.concatenate([column_signs, signs])
    columns = column_signs * np.maximum(X @ units.T, 0.0)
    c = solve_nonnegative_lasso(columns, y, beta, loss).coefficients
    keep = c > 1e-12 * c.max(initial=0.0)
    recombined = ReLUNetwork(np.sqrt(c[keep])[:, None] * units[keep], column_signs[keep] * np.sqrt(c[keep]))
    if recombined.objective(X, y, beta, loss) < network.objective(X, y, beta, loss):
        return recombined
    return network


def _descent_round(network, directions, X, y, beta, loss, polish_iter):
    """One round of descent: recombine the network with the violating ``directions``, then L-BFGS."""
    nu = get_loss(loss).negative_gradient(network.predict(X), y)
    signs = np.sign(nu @ np.maximum(X @ directions.T, 0.0))
    return _descend(_recombine(network, directions, signs, X, y, beta, loss), X, y, beta, loss, polish_iter)


def _descend(network, X, y, beta, loss, polish_iter):
    """:func:`polish_network` for at most ``polish_iter`` iterations and ``LBFGS_WORK``; its significant neurons."""
    iterations = lbfgs_iterations(*X.shape, network.width, polish_iter)
    return _significant(polish_network(network, X, y, beta, loss=loss, max_iter=iterations)[0], X)


def _search_network(network, X, y, loss, n_starts, rng, promising_above, cone_steps=True):
    """:func:`_search` at the network's dual :math:`\\nu=-\\nabla L(f(X))` from its neurons."""
    nu = get_loss(loss).negative_gradient(network.predict(X), y)
    weights, output = network.hidden_weights, network.output_weights
    units = weights / np.maximum(np.linalg.norm(weights, axis=1, keepdims=True), np.finfo(float).tiny)
    return _search(nu, units[output > 0], units[output < 0], X, n_starts, rng, "relu", n_perturbed=1,
                   promising_above=promising_above, promise=PROMISE, cone_steps=cone_steps)


def _stalled(history):
    """True when a round's ``history`` (its start, then one value per descent) shows no progress worth a descent."""
    if len(history) > MAX_DESCENTS:
        return True
    return len(history) > STALL_WINDOW and history[-1] > (1.0 - STALL_RTOL) * history[-1 - STALL_WINDOW]


def _strongest(directions, values, threshold, width):
    """The violating directions (value above ``threshold``), at most ``max(NEW_MIN, NEW_FRACTION * width)``, strongest first."""
    order = np.argsort(-values)
    order = order[values[order] > threshold]
    return directions[order[: max(NEW_MIN, int(NEW_FRACTION * width))]]


def _grow(arrangement, X, directions=None, network=None):
    """``arrangement`` with the patterns of unit ``directions`` and of ``network``'s neurons appended."""
    if directions is not None and len(directions):
        arrangement = arrangement.union(Arrangement(X @ directions.T >= 0, directions.T, exhaustive=False))
    if network is not None and network.width:
        masks, gates = _network_patterns(network, X)
        if masks.shape[1]:
            arrangement = arrangement.union(Arrangement(masks, gates, exhaustive=False))
    return arrangement


def adaptive_patterns(X, y, beta, *, loss="squared", activation="relu", n_initial=100, max_rounds=20, n_starts=30,
                      seed_network=None, seed_width=None, random_state=None, tol=1e-8, solver="auto",
                      max_patterns=None, polish_iter=500, time_budget=None, verbose=False):
    r"""Solve the convex program over patterns grown by the dual-constraint search (module docstring).

    ReLU program: start from the seed network, or from the network of the sampled program's solution.
    A round searches for violating directions at the current network's dual, recombines its neurons
    with them optimally (the convex program restricted to these fixed directions, a non-negative
    lasso) and runs L-BFGS on the non-convex objective from there (:func:`polish_network`), which
    moves the neurons to the patterns they need; the objective never increases. When no violator is
    found or the rounds are spent, the network is taken as a point of the convex program over the
    sampled patterns, the seed's, the network's and the last violators' (no solve: its certificate is
    computed there, and ``solution.duality_gap`` bounds its distance to that program's optimum), and
    searched again (with cone steps and more starts); violators found there start new rounds while
    ``max_rounds`` allows. Gated program: the violators' patterns are added and the program
    re-solved, round after round.

    Data with :math:`\max|X|` outside ``FEATURE_SCALE_RANGE``, and squared-loss targets with :math:`\max|y|`
    outside ``TARGET_SCALE_RANGE``, are searched divided by powers of two :math:`c` and :math:`s` (to a largest
    entry in :math:`[1/2,1)`), with weight decay :math:`\beta/(sc)` and a given seed network's parameters times
    :math:`\sqrt{c/s}` (:func:`~sklearn_convexnn.convex.program.data_scales`, an exact equivalence); the result
    is returned in the units given. On data in those ranges nothing changes; on features of 1e155 the L-BFGS seed
    overflowed, and targets of 1e-150 stopped it at its start.

    Parameters
    ----------
    X : array-like of shape (n, d)
        As given to the program (append the ones column yourself for a bias).
    y : array-like of shape (n,)
    beta : float > 0
    loss : {"squared", "logistic"}
    activation : {"relu", "gated"}
    n_initial : int, default=100
        Gaussian gates drawn for the initial patterns (:func:`sample_patterns` with ``standardize=True``:
        hyperplanes through the data whatever its units).
    max_rounds : int, default=20
        Most rounds. Gated program: re-solves. ReLU program: certificate searches at the dual of the
        program over every pattern met; before each, descents run while the search at the network
        finds violators and they pay (at most ``MAX_DESCENTS``; stopped when the last ``STALL_WINDOW``
        lowered the objective by less than ``STALL_RTOL`` relative).
    n_starts : int, default=30
        Random starts of the ascent per search and sign (the current neurons, and perturbations of
        them, are added as starts).
    seed_network : None, ReLUNetwork or "mlp"
        A network whose patterns are added to the initial ones and from which the rounds start; the
        result is never worse than it. A network with ``hidden_bias`` (``ReLUNetwork.from_mlp`` of a
        trained ``MLPRegressor``) acts on ``X`` with the ones column last (``add_intercept``); its bias
        becomes the weight of that column. ``"mlp"`` trains one quickly with
        :func:`fit_lbfgs` (MLPRegressor's or MLPClassifier's L-BFGS training on ``loss``, width ``seed_width``).
    seed_width : int or None
        Width of the ``"mlp"`` seed (default :func:`seed_width_for`: :math:`n+1` when affordable; wide
        seeds reach far lower local minima than narrow ones, and the recombinations prune the neurons
        they do not need). With the default, a seed whose recombination with the sampled gates keeps
        more than ``SEED_KEEP`` of its width (weak regularization: the optimum needs many neurons) is
        fitted again at twice the width and the neurons of both are recombined, at most
        ``SEED_WIDENINGS`` times.
    random_state : int, RandomState, Generator or None
    tol : float
        Solver tolerance of the final solve (the intermediate solves use ``max(tol, 1e-6)``); a
        direction violates when its value exceeds :math:`\beta(1+\text{tol}^{1/2})`.
    solver : str
        Backend of :meth:`ConvexProgram.solve`; ``"auto"`` is the native column generation
        (``"cg"``), which uses the warm starts.
    max_patterns : int or None
        Gated program: stop adding once the arrangement has this many patterns (default
        ``20 * n_initial``).
    polish_iter : int, default=500
        L-BFGS iterations of each descent (ReLU program), fewer where they would cost more than
        ``LBFGS_WORK`` multiply-adds (:func:`lbfgs_iterations`).
    time_budget : float or None
        Seconds after which no new descent or round starts (ReLU program); None (default) for none,
        which keeps the result a function of ``random_state`` alone.
    verbose : bool
        Progress bar over rounds.

    Returns
    -------
    AdaptiveResult
        ``max_violation`` is measured at the dual of the returned solution.

    Raises
    ------
    ValueError
        On bad sizes or a seed network of the wrong input dimension.
    """
    started = time.perf_counter()
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    beta = check_beta(beta)
    for name, value, low in (("n_initial", n_initial, 1), ("max_rounds", max_rounds, 0), ("n_starts", n_starts, 0),
                             ("polish_iter", polish_iter, 1)):
        _check_count(name, value, low)
    if max_patterns is not None:
        _check_count("max_patterns", max_patterns, 1)
    if time_budget is not None and (isinstance(time_budget, bool) or not isinstance(time_budget, numbers.Real)
                                    or not time_budget > 0):
        raise ValueError(f"time_budget must be a positive number of seconds or None, got {time_budget!r}.")
    if isinstance(seed_network, ReLUNetwork):
        seed_network = _acting_on_X(seed_network, X)
    # data or targets far from unit scale: the whole search runs on (X / c, y / s, beta / (s c)), an exact
    # equivalence (``data_scales``), and its result is returned in the units given (``_in_units``)
    scale, feature_scale = data_scales(X, y, get_loss(loss).name)
    units = (scale, feature_scale, beta)
    if scale != 1.0 or feature_scale != 1.0:
        X, y, beta = X / feature_scale, y / scale, beta / scale / feature_scale
        if not 0.0 < beta < np.inf:  # beta / (s c) overflowed or underflowed
            raise ValueError(f"beta={units[2]:.3g} is out of float64 range on X and y rescaled to unit size (X / "
                             f"{feature_scale:.3g}, y / {scale:.3g}, beta / {scale * feature_scale:.3g} = {beta:.3g}); "
                             "rescale X, y and beta.")
        if isinstance(seed_network, ReLUNetwork):
            seed_network = _scaled_network(seed_network, np.sqrt(feature_scale / scale))
    rng = check_random_state(random_state)
    max_patterns = 20 * n_initial if max_patterns is None else int(max_patterns)
    if solver == "auto":
        solver = "cg"  # the warm starts are what makes the re-solves cheap, and only the native solver uses them
    sampled = sample_patterns(X, n_initial, standardize=True, random_state=rng)
    progress = None
    if verbose:
        from tqdm.auto import tqdm

        progress = tqdm(total=max_rounds, desc="adaptive patterns", leave=False)

    def fit_seed(network, width):  # the seed networks' L-BFGS fits take seconds: say which one runs
        if progress is not None and isinstance(network, str):
            progress.set_postfix_str(f"fitting the L-BFGS seed of width {width or seed_width_for(*X.shape)}")
        return _seed(network, X, y, beta, loss, width, rng)

    wider_seed = None  # the automatic "mlp" seed may be fitted again, wider (SEED_KEEP)
    if isinstance(seed_network, str) and seed_width is None:
        def wider_seed(width):
            return fit_seed("mlp", width)
    # small dense products: one BLAS thread is faster than several fighting for the cores
    try:
        seed = fit_seed(seed_network, seed_width)
        with one_blas_thread():
            search = _Search(X, y, beta, loss, activation, tol, n_starts, rng, progress, started=started,
                             time_budget=time_budget, unit=scale * scale)
            if activation == "relu":
                result = _adaptive_relu(search, sampled, seed, max_rounds, solver, polish_iter, wider_seed)
            else:
                result = _adaptive_gated(search, sampled, seed, max_rounds, max_patterns, solver)
    finally:
        if progress is not None:
            progress.close()
    return _in_units(result, *units)


def _acting_on_X(network, X):
    r"""``network`` as a network without a separate bias acting on ``X`` as given: one with ``hidden_bias``
    (e.g. ``ReLUNetwork.from_mlp`` of a trained ``MLPRegressor``) becomes :math:`\tilde w_j=(w_j,b_j)` on
    ``X`` :math:`=[X_0,\mathbf 1]` (:func:`~sklearn_convexnn.arrangements.add_intercept`), the same function.

    Raises
    ------
    ValueError
        If the network has a vector output, or has a bias and ``X`` does not end with the ones column it acts on.
    """
    if network.output_weights.ndim != 1:
        raise ValueError("seed_network must have a scalar output (output_weights of shape (m,)).")
    if network.hidden_bias is None:
        return network
    if X.shape[1] != network.n_features + 1 or not np.all(X[:, -1] == 1.0):
        raise ValueError(
            f"seed_network has a hidden_bias and {network.n_features} features: X must be its data with the ones "
            f"column last, add_intercept(X) ({network.n_features + 1} columns), got {X.shape[1]} columns"
            + ("." if X.shape[1] != network.n_features + 1 else " whose last is not all ones.")
        )
    return ReLUNetwork(network.augmented_weights, network.output_weights)


def _scaled_network(network, factor):
    r"""``network`` with every parameter multiplied by ``factor`` :math:`=\sqrt{c/s}`: on :math:`(X/c, y/s)` with
    weight decay :math:`\beta/(sc)` its output is :math:`1/s` and its :math:`F` :math:`1/s^2` times that of
    ``network`` on :math:`(X, y, \beta)` (``data_scales``). ``network`` acts on ``X`` as given (:func:`_acting_on_X`)."""
    return ReLUNetwork(factor * network.hidden_weights, factor * network.output_weights)


def _in_units(result, scale, feature_scale, beta):
    r"""``result`` of the search on :math:`(X/c, y/s)` with weight decay :math:`\beta/(sc)` in the units of
    :math:`(X, y, \beta)` (``data_scales``): blocks times :math:`s/c`, objectives, bounds and gaps times
    :math:`s^2`, prediction, dual and cone violation times :math:`s`, dual-constraint values times :math:`sc`.
    Exact (powers of two) while the values stay in float64's normal range; patterns and gates are those of
    :math:`X` (the same hyperplanes). ``result`` itself when :math:`s=c=1`.
    """
    if scale == 1.0 and feature_scale == 1.0:
        return result
    solution = result.solution
    squared, dual = scale * scale, scale * feature_scale
    solution = replace(
        solution, u=solution.u * (scale / feature_scale), v=solution.v * (scale / feature_scale),
        objective=squared * solution.objective, prediction=scale * solution.prediction, dual=scale * solution.dual,
        dual_violation=dual * solution.dual_violation, lower_bound=squared * solution.lower_bound,
        duality_gap=squared * solution.duality_gap, cone_violation=scale * solution.cone_violation, beta=beta,
    )
    return replace(result, solution=solution, max_violation=dual * result.max_violation,
                   history=squared * result.history)


@dataclass
class _Search:
    """The data of one adaptive run and the bookkeeping of its searches."""

    X: np.ndarray
    y: np.ndarray
    beta: float
    loss: str
    activation: str
    tol: float
    n_starts: int
    rng: np.random.RandomState
    progress: object = None
    tried: int = 0
    started: float = 0.0
    time_budget: float = None
    unit: float = 1.0  # the objective in the caller's units per objective of the search (progress bar)

    @property
    def deadline(self):
        """End of the rounds: ``time_budget`` seconds after the start (none by default)."""
        return np.inf if self.time_budget is None else self.started + self.time_budget

    @property
    def threshold(self):
        r""":math:`\beta(1+\text{tol}^{1/2})`: a direction above it violates."""
        return self.beta * (1.0 + np.sqrt(self.tol))

    @property
    def round_tol(self):
        return max(self.tol, SEARCH_TOL)

    def at_solution(self, solution, searched=False):
        """Directions and values at the solution's dual; more starts before concluding that none violates.

        ``searched``: a search from the same neurons at the same dual (the network's) has just found no
        violator, so only the search with more starts runs.
        """
        for n_starts in (4 * self.n_starts,) if searched else (self.n_starts, 4 * self.n_starts):
            directions, values, n_tried = _search_solution(solution, self.X, n_starts, self.rng, self.activation,
                                                           PROMISE)
            self.tried += n_tried
            if (values > self.threshold).any() or not self.n_starts:
                break
        return directions, values

    def at_network(self, network):
        """Directions and values at the network's dual: the fixed point first, the cone steps if it found no violator."""
        for cone_steps in (False, True):
            directions, values, n_tried = _search_network(network, self.X, self.y, self.loss, self.n_starts, self.rng,
                                                          self.beta, cone_steps)
            self.tried += n_tried
            if (values > self.threshold).any():
                break
        return directions, values

    def program(self, arrangement):
        return ConvexProgram(self.X, self.y, self.beta, arrangement, activation=self.activation, loss=self.loss)

    def report(self, objective, violation, n_patterns, advance=True):
        if self.progress is not None:
            self.progress.set_postfix(objective=f"{self.unit * objective:.6g}",
                                      violation=f"{violation / self.beta:.4f} beta", patterns=n_patterns)
            if advance:
                self.progress.update(1)


def _adaptive_relu(search, sampled, seed, max_rounds, solver, polish_iter, wider_seed=None):
    """Rounds of search, recombination and descent from the sampled program and the seed (ReLU program).

    ``wider_seed(width)``, when given, fits a seed of that width (see ``SEED_KEEP``).
    """
    X, y, beta, loss = search.X, search.y, search.beta, search.loss
    arrangement = sampled
    if seed is None:  # start from the sampled program's solution
        start = search.program(sampled).solve(solver, tol=search.round_tol)
        history = [start.objective]
        network = _significant(start.to_network(), X)
    else:  # start from the seed, recombined with the sampled gates (both signs): never worse than the seed
        seed = _significant(seed, X)
        arrangement = _grow(arrangement, X, network=seed)
        gates = sampled.gates.T / np.maximum(np.linalg.norm(sampled.gates.T, axis=1, keepdims=True), np.finfo(float).tiny)
        with np.errstate(over="ignore"):  # a seed far off the targets (outputs 1e81 on targets 1e-150): its F is inf
            history = [seed.objective(X, y, beta, loss)]
            network = _significant(_recombine(seed, np.vstack([gates, gates]),
                                              np.concatenate([np.ones(len(gates)), -np.ones(len(gates))]), X, y, beta,
                                              loss), X)
        network, arrangement = _widen_seed(network, arrangement, wider_seed, search)
        network = _descend(network, X, y, beta, loss, polish_iter)
        history.append(network.objective(X, y, beta, loss))
    rounds, descents, converged = 0, 0, False
    directions, values = search.at_network(network)
    while True:
        # descents while the search at the network finds violators, they still pay, and the time budget lasts
        first = len(history)
        while (rounds < max_rounds and (values > search.threshold).any() and time.perf_counter() < search.deadline
               and not _stalled(history[first - 1:])):
            network = _descent_round(network, _strongest(directions, values, search.threshold, network.width),
                                     X, y, beta, loss, polish_iter)
            descents += 1
            history.append(network.objective(X, y, beta, loss))
            search.report(history[-1], values.max(initial=0.0), arrangement.n_patterns, advance=False)
            directions, values = search.at_network(network)
        # the network as a point of the convex program over every pattern met (no solver: it is the
        # optimum of its own restricted program up to the descent's accuracy), then the certificate
        searched = not (values > search.threshold).any()  # the network's search found nothing at this dual
        arrangement = _grow(arrangement, X, directions[values > search.threshold], network)
        program = search.program(arrangement)
        blocks = _network_blocks(program, network)
        if blocks is None:  # its patterns were just added: only a block that cannot be put inside its cone
            raise RuntimeError("adaptive patterns: a neuron of the descent lies outside its cone beyond rounding.")
        # the cone maximizers of every pattern met (the pricing of the program over them) at the point's
        # dual; when one violates, their largest value is the point's exact dual violation
        nu = get_loss(loss).negative_gradient(program.prediction(*blocks), y)
        constraint = dual_constraint(nu, X, arrangement.masks, above=search.threshold)
        known = constraint.max_value if constraint.max_value > search.threshold else None
        point = program.solution(*blocks, solver="seed", dual_violation=known)
        directions, values = search.at_solution(point, searched)
        directions = np.vstack([directions, constraint.directions.reshape(-1, X.shape[1])])
        values = np.concatenate([values, constraint.values.ravel()])
        search.tried += constraint.values.size
        converged = not (values > search.threshold).any()
        rounds += 1
        search.report(point.objective, values.max(initial=0.0), arrangement.n_patterns)
        if converged or rounds >= max_rounds or time.perf_counter() >= search.deadline:
            break
    status = "optimal" if converged else "max_iter"
    # the last point's certificate is already computed by ``program.solution``: only the labels change
    solution = replace(point, status=status, n_iter=descents + 1, solver="adaptive")
    history.append(solution.objective)
    violation = float(values.max(initial=0.0))
    return AdaptiveResult(arrangement, solution, violation, search.tried, rounds, np.array(history), converged)


def _widen_seed(network, arrangement, wider_seed, search):
    r"""Recombine ``network`` with seeds of twice the width while it keeps more than ``SEED_KEEP`` of the last one.

    The first seed is :func:`seed_width_for` wide. The recombination (:func:`_recombine`) of the
    network's neurons with the wider seed's is never worse than either network (each is a feasible
    point of the restricted program). At most ``SEED_WIDENINGS`` seeds, each left at least
    ``SEED_MIN_ITER`` L-BFGS iterations by ``LBFGS_WORK``, none after ``search``'s deadline;
    ``wider_seed`` None: ``network`` as it is. Returns the network and ``arrangement`` grown by the
    wider seeds' patterns.
    """
    X, y, beta, loss = search.X, search.y, search.beta, search.loss
    width = seed_width_for(*X.shape)
    for _ in range(SEED_WIDENINGS):
        if (wider_seed is None or network.width <= SEED_KEEP * width or time.perf_counter() >= search.deadline
                or lbfgs_iterations(*X.shape, 2 * width, SEED_ITER) < SEED_MIN_ITER):
            break
        width *= 2
        seed = _significant(wider_seed(width), X)
        arrangement = _grow(arrangement, X, network=seed)
        network = _significant(_recombine(network, *_neurons(seed), X, y, beta, loss), X)
    return network, arrangement


def _adaptive_gated(search, sampled, seed, max_rounds, max_patterns, solver):
    """Rounds of search and re-solve over the grown arrangement (gated program, or any program without descent)."""
    X = search.X
    arrangement = _grow(sampled, X, network=seed)
    program = search.program(arrangement)
    warm = _better_start(program, None, seed)
    solution = _never_worse(program, program.solve(solver, tol=search.round_tol, warm_start=warm), warm)
    history = [solution.objective]
    rounds, converged = 0, False
    while True:
        directions, values = search.at_solution(solution)
        found = values > search.threshold
        search.report(solution.objective, values.max(initial=0.0), arrangement.n_patterns, advance=False)
        if not found.any():
            converged = True
            break
        if rounds >= max_rounds or arrangement.n_patterns >= max_patterns:
            break
        grown = _grow(arrangement, X, directions[found])
        if grown.n_patterns == arrangement.n_patterns:
            break  # nothing new to add: the violators' patterns are there, the solve is inexact
        arrangement = grown
        program = search.program(arrangement)
        warm = _extend(solution, program)
        solution = _never_worse(program, program.solve(solver, tol=search.round_tol, warm_start=warm), warm)
        rounds += 1
        history.append(solution.objective)
        search.report(solution.objective, values.max(initial=0.0), arrangement.n_patterns)
    if search.tol < search.round_tol:  # the rounds solved to SEARCH_TOL: finish at the requested accuracy
        candidate = program.solve(solver, tol=search.tol, warm_start=solution)
        if candidate.objective < solution.objective:
            solution = candidate
            history[-1] = solution.objective
            directions, values = search.at_solution(solution)
            converged = converged and not (values > search.threshold).any()
    violation = float(values.max(initial=0.0))
    return AdaptiveResult(arrangement, solution, violation, search.tried, rounds, np.array(history), converged)


def _better_start(program, solution, *networks):
    """The best warm start for ``program``: ``solution`` padded, or the convex point of one of ``networks``."""
    best = _extend(solution, program) if solution is not None else None
    for network in networks:
        if network is None:
            continue
        point = _seed_solution(program, network)
        if point is not None and (best is None or point.objective < best.objective):
            best = point
    return best


def _never_worse(program, candidate, warm):
    """``candidate`` unless the warm start was better (a solve stopped at its tolerance)."""
    if warm is None or candidate.objective <= warm.objective:
        return candidate
    return program.solution(warm.u, warm.v, solver="warm start")


def _search_solution(solution, X, n_starts, rng, activation, promise):
    """:func:`_search` at the solution's dual from its neurons."""
    norms_u, norms_v = solution.block_norms()
    positive = solution.u[norms_u > 0] / norms_u[norms_u > 0, None]
    negative = solution.v[norms_v > 0] / norms_v[norms_v > 0, None]
    return _search(solution.dual, positive, negative, X, n_starts, rng, activation, promising_above=solution.beta,
                   promise=promise)


def _search(nu, positive, negative, X, n_starts, rng, activation, n_perturbed=2, spread=0.3, promising_above=0.0,
            promise=0.25, cone_steps=True):
    """Ascent from random starts, the given unit neurons (``positive`` for sign +1, ``negative`` for -1)
    and perturbations of them, both signs.

    Returns the directions reached, their values and the number of starts.
    """
    d = X.shape[1]
    starts, signs = [], []
    for sign, current in zip((1.0, -1.0), (positive, negative)):
        random = rng.standard_normal((n_starts, d))
        perturbed = np.repeat(current, n_perturbed, axis=0)
        perturbed = perturbed + spread * rng.standard_normal(perturbed.shape) / np.sqrt(d)
        block = np.vstack([random, current, perturbed])
        starts.append(block)
        signs.append(np.full(len(block), sign))
    all_starts, all_signs = np.vstack(starts), np.concatenate(signs)
    if activation == "gated":
        all_signs = np.ones_like(all_signs)
    if not len(all_signs):
        return np.zeros((0, d)), np.zeros(0), 0
    directions, values = ascend_directions(nu, X, all_starts, all_signs, activation=activation,
                                           promising_above=promising_above, promise=promise, cone_steps=cone_steps)
    return directions, values, len(all_signs)
