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
:math:`s\langle\nu,(Xu)_+\rangle`; the patterns of the violators found are added and the program is
re-solved warm. Each re-solve is over a superset of the previous patterns, so the objective never
increases. The search is a heuristic: "no violation found" is not a proof unless the arrangement is
exhaustive.

Seeding the patterns with those of a network (e.g. a quick non-convex fit, ``seed_network="mlp"``)
is legitimate: the program over them is at least as good as that network (THEORY §C, from any network
to a feasible convex point).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, replace

import numpy as np
from sklearn.utils import check_random_state

from ..arrangements import Arrangement, sample_patterns
from ..network import ReLUNetwork, check_beta
from .dual import pattern_correlations, project_onto_cones
from .program import ConvexProgram, ConvexSolution

__all__ = ["AdaptiveResult", "adaptive_patterns", "ascend_directions"]

#: gap tolerance of the intermediate solves (the search compares values with beta (1 + sqrt(tol)))
SEARCH_TOL = 1e-6


@dataclass(frozen=True)
class AdaptiveResult:
    r"""Result of :func:`adaptive_patterns`.

    Attributes
    ----------
    arrangement : Arrangement
        The final patterns (sampled, seeded and found), ``exhaustive=False`` unless the initial one was.
    solution : ConvexSolution
        The program solved over ``arrangement``.
    max_violation : float
        Largest :math:`\max_s s\langle\nu,(Xu)_+\rangle` over the unit directions tried at the final
        dual (compare with ``solution.beta``; at most :math:`\beta(1+\text{tol})` when the search
        ended without finding a violation).
    n_directions_tried : int
        Ascent runs over all rounds (starts times signs).
    n_rounds : int
        Re-solves after adding patterns.
    history : ndarray
        Objective after the initial solve and after every round (non-increasing).
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
    step for all starts, the stationarity condition of a neuron, THEORY §F); then, for the ReLU
    program, the monotone cone step :math:`u\leftarrow\Pi_{\mathcal K(D(u))}(s\,X^\top D(u)\nu)/\|\cdot\|`
    (batched, warm-started projections) until no pattern changes. Starts that reach the same pattern
    and sign are merged.

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
        Steps of each phase.
    promising_above : float
        Only directions whose value after the first phase exceeds half of this enter the second.

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
    for _ in range(max_iter):  # phase 1: fixed point of the stationarity condition
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
        for _ in range(max_iter if cone_steps else 0):  # phase 2: best direction inside the current cone (monotone)
            U, signs, masks, active, moving = distinct(U, signs, masks, active, moving)
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
            new_masks = X @ U[index].T >= 0
            moving[index] = np.any(new_masks != masks[:, index], axis=0)
            masks[:, index] = new_masks
            U, signs, masks, active, moving = U[alive], signs[alive], masks[:, alive], active[alive], moving[alive]
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
    masks = program.masks
    keys = {np.packbits(masks[:, i]).tobytes(): i for i in range(masks.shape[1])}
    u, v = np.zeros((program.n_patterns, program.X.shape[1])), np.zeros((program.n_patterns, program.X.shape[1]))
    for w, a in zip(network.augmented_weights, network.output_weights):
        if a == 0 or not np.any(w):
            continue
        i = keys.get(np.packbits(program.X @ w >= 0).tobytes())
        if i is None:
            return None
        if program.activation == "gated":  # (Xw)_+ a = D(w) X (a w): a gated block of gate w
            u[i] += a * w
        else:
            (u if a > 0 else v)[i] += abs(a) * w
    if np.any(u[~program.blocks[:, 0]]) or np.any(v[~program.blocks[:, 1]]):
        return None
    return program.solution(u, v, solver="seed")


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


def adaptive_patterns(X, y, beta, *, loss="squared", activation="relu", n_initial=100, max_rounds=20, n_starts=30,
                      seed_network=None, seed_width=None, random_state=None, tol=1e-8, solver="auto",
                      max_patterns=None, verbose=False):
    r"""Solve the convex program over patterns grown by the dual-constraint search (module docstring).

    Parameters
    ----------
    X : array-like of shape (n, d)
        As given to the program (append the ones column yourself for a bias).
    y : array-like of shape (n,)
    beta : float > 0
    loss : {"squared", "logistic"}
    activation : {"relu", "gated"}
    n_initial : int, default=100
        Gaussian gates drawn for the initial patterns (:func:`sample_patterns`).
    max_rounds : int, default=20
        Most re-solves.
    n_starts : int, default=30
        Random starts of the ascent per round and sign (the current neurons are added as starts).
    seed_network : None, ReLUNetwork or "mlp"
        Patterns of this network's neurons are added to the initial ones, and its convex point is the
        first warm start. ``"mlp"`` trains one quickly with
        :func:`sklearn_convexnn.nonconvex.fit_mlp` (squared loss, L-BFGS, width ``seed_width``).
    seed_width : int or None
        Width of the ``"mlp"`` seed (default ``min(n, 2 * d + 10)``).
    random_state : int, RandomState, Generator or None
    tol : float
        Solver tolerance; a direction violates when its value exceeds :math:`\beta(1+\text{tol}^{1/2})`.
    solver : str
        Backend of :meth:`ConvexProgram.solve` (the native solvers use the warm starts).
    max_patterns : int or None
        Stop adding once the arrangement has this many patterns (default ``20 * n_initial``).
    verbose : bool
        Progress bar over rounds.

    Returns
    -------
    AdaptiveResult

    Raises
    ------
    ValueError
        On bad sizes or a seed network of the wrong input dimension.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    beta = check_beta(beta)
    for name, value, low in (("n_initial", n_initial, 1), ("max_rounds", max_rounds, 0), ("n_starts", n_starts, 0)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    rng = check_random_state(random_state)
    max_patterns = 20 * n_initial if max_patterns is None else int(max_patterns)
    arrangement = sample_patterns(X, n_initial, random_state=rng)
    seed = None
    if isinstance(seed_network, str):
        if seed_network != "mlp":
            raise ValueError(f"seed_network must be None, a ReLUNetwork or 'mlp', got {seed_network!r}.")
        from ..nonconvex import fit_mlp

        if loss != "squared":
            raise ValueError("seed_network='mlp' trains on the squared loss; pass a ReLUNetwork for loss='logistic'.")
        width = seed_width or min(X.shape[0], 2 * X.shape[1] + 10)
        seed = fit_mlp(X, y, beta, width, fit_intercept=False, random_state=rng.randint(2**31 - 1)).network
    elif isinstance(seed_network, ReLUNetwork):
        seed = seed_network
    elif seed_network is not None:
        raise TypeError(f"seed_network must be None, a ReLUNetwork or 'mlp', got {type(seed_network).__name__}.")
    if seed is not None:
        masks, gates = _network_patterns(seed, X)
        if masks.shape[1]:
            arrangement = arrangement.union(Arrangement(masks, gates, exhaustive=False))
    program = ConvexProgram(X, y, beta, arrangement, activation=activation, loss=loss)
    warm = _seed_solution(program, seed) if seed is not None else None
    solution = program.solve(solver, tol=tol, warm_start=warm)
    if warm is not None and warm.objective < solution.objective:
        solution = warm  # never worse than the seed
    history = [solution.objective]
    threshold = beta * (1.0 + np.sqrt(tol))
    tried = 0
    rounds = 0
    violation = 0.0
    converged = False
    progress = None
    if verbose:
        from tqdm.auto import tqdm

        progress = tqdm(total=max_rounds, desc="adaptive patterns", leave=False)
    try:
        while True:
            directions, values, n_tried = _search(solution, X, n_starts, rng, activation)
            tried += n_tried
            found = values > threshold
            if not found.any() and n_starts:  # look harder before concluding
                directions, values, n_tried = _search(solution, X, 4 * n_starts, rng, activation)
                tried += n_tried
                found = values > threshold
            violation = float(values.max(initial=0.0))
            if progress is not None:
                progress.set_postfix(objective=f"{solution.objective:.6g}", violation=f"{violation / beta:.4f} beta",
                                     patterns=arrangement.n_patterns)
            if not found.any():
                converged = True
                break
            if rounds >= max_rounds or arrangement.n_patterns >= max_patterns:
                break
            new = directions[found]
            grown = arrangement.union(Arrangement(X @ new.T >= 0, new.T, exhaustive=False))
            if grown.n_patterns == arrangement.n_patterns:
                converged = False  # the violators' patterns are already there: the solve is inexact
                break
            arrangement = grown
            program = ConvexProgram(X, y, beta, arrangement, activation=activation, loss=loss)
            warm = _extend(solution, program)
            candidate = program.solve(solver, tol=max(tol, SEARCH_TOL), warm_start=warm)
            # the program contains the previous one: never accept a worse point (solver tolerance)
            solution = candidate if candidate.objective <= solution.objective else program.solution(warm.u, warm.v)
            rounds += 1
            history.append(solution.objective)
            if progress is not None:
                progress.update(1)
    finally:
        if progress is not None:
            progress.close()
    if tol < SEARCH_TOL and rounds:  # the rounds solved to SEARCH_TOL: finish at the requested accuracy
        candidate = program.solve(solver, tol=tol, warm_start=solution)
        if candidate.objective <= solution.objective:
            solution = candidate
            history[-1] = solution.objective
    return AdaptiveResult(arrangement, solution, violation, tried, rounds, np.array(history), converged)


def _search(solution, X, n_starts, rng, activation, n_perturbed=2, spread=0.3):
    """Ascent from random starts, the current neurons and perturbations of them, both signs.

    Returns the directions reached, their values and the number of starts.
    """
    d = X.shape[1]
    norms_u, norms_v = solution.block_norms()
    neurons = [solution.u[norms_u > 0] / norms_u[norms_u > 0, None], solution.v[norms_v > 0] / norms_v[norms_v > 0, None]]
    starts, signs = [], []
    for sign, current in zip((1.0, -1.0), neurons):
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
    directions, values = ascend_directions(solution.dual, X, all_starts, all_signs, activation=activation,
                                           promising_above=solution.beta)
    return directions, values, len(all_signs)
