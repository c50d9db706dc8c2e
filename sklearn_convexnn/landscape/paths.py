r"""Paths of non-increasing objective from any network to a global optimum (THEORY.md §G).

A path is a chain of *segments*, each a continuous map :math:`t\in[0,1]\mapsto\theta(t)` built from
one of the building blocks of THEORY §G, along which :math:`F_m` cannot increase:

``"balance"`` (B1)
    :math:`(\tilde w_j,\alpha_j)\mapsto(s_j^t\tilde w_j,\alpha_j/s_j^t)`, :math:`s_j=\sqrt{|\alpha_j|/\|\tilde w_j\|}`
    (fit fixed, penalty convex in :math:`\log s`); neurons with zero fit shrink linearly to 0.
``"merge"`` (B2)
    Blocks :math:`u_j=|\alpha_j|\tilde w_j` of one (pattern, sign) flow into the largest:
    :math:`u_h(t)=u_h+t\sum_{j\ne h}u_j`, :math:`u_j(t)=(1-t)u_j` (fit fixed, penalty convex with
    minimum at :math:`t=1`).
``"prune"`` (B3)
    Block :math:`j` scaled by :math:`1+t\delta_j` with :math:`\sum_j\delta_ja_j=0` (fit fixed, penalty linear,
    non-increasing); one neuron vanishes.
``"descend"`` (B4)
    Every block moves linearly to the optimum of the convex program over the network's own
    (pattern, sign) blocks: :math:`F(t)` is that program's convex objective, minimal at :math:`t=1`.
``"add-neuron"``
    A neuron :math:`\sqrt c\,(\bar u, s)` grows in a free slot along the most violating direction of
    the certificate, :math:`c\in[0,c^\star]` with :math:`c^\star=\arg\min_c L(\hat y+cs(\tilde X\bar u)_+)+\beta c`
    (convex in :math:`c`, decreasing on :math:`[0,c^\star]` because :math:`V>\beta`).
``"relocate"`` (B5)
    A neuron moves to an empty slot, :math:`(\cos\frac{\pi t}2,\sin\frac{\pi t}2)` times its weights
    in the two slots (:math:`F` constant).
``"interpolate"`` (B6)
    Two networks on disjoint slots, scaled by :math:`\sqrt{1-t}` and :math:`\sqrt t`: fit
    :math:`(1-t)\hat y_0+t\hat y_1`, penalty :math:`(1-t)R_0+tR_1`, so :math:`F(t)` is convex and, when
    the second network is a global minimum, non-increasing.
``"reverse-prune"``, ``"reverse-merge"``, ``"reverse-balance"``
    The reduction of a global-optimum target, run backwards (:math:`F` constant).

Algorithm G1 (to a global optimum, width :math:`m\ge n+1`): balance, merge, prune; then repeat
descend, prune, certificate over **all** patterns, add-neuron along the worst direction — until
:math:`V(\nu)\le\beta(1+10^{-7})`. With a given global-optimum ``target`` (G2, simpler variant):
reduce the start (balance, merge, prune), relocate it off the slots of the reduced target,
interpolate, and replay the target's reduction backwards.

:math:`F` is evaluated on the actual networks of a grid of every segment with
:meth:`ReLUNetwork.objective` and checked to be non-increasing.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize_scalar

from .._numerics import safe_norm, safe_row_norms
from ..losses import get_loss
from ..network import ReLUNetwork
from .certificate import (certificate_of_fit, check_beta_resolution, check_network, check_problem, check_tol,
                          objective_rounding_scale, resolve_patterns)
from .pruning import fit_matrix, merge_blocks, pruning_rounds, scale_neurons
from .stationary import balanced_network, network_blocks, network_from_blocks, solve_restricted

__all__ = ["LossPath", "nonincreasing_path"]

#: G1 stops when V(nu) <= beta * (1 + STOP_TOL), or within the certificate's violation tolerance when larger
STOP_TOL = 1e-7
#: ... and where the most violating direction gives no decrease in floating point while V(nu) <= beta * (1 +
#: ROUNDING_STOP_TOL) (``dual_certificate``'s default tolerance): the gain, of order (V - beta)^2, is below rounding
ROUNDING_STOP_TOL = 1e-6


@dataclass(frozen=True)
class LossPath:
    r"""A path of networks along which :math:`F_m` does not increase.

    Attributes
    ----------
    networks : list of ReLUNetwork
        The networks on the grid of every segment, all of width ``width``; ``networks[0]`` is the
        start and ``networks[-1]`` the end.
    objectives : ndarray of shape (len(networks),)
        :math:`F_m` of each network (:meth:`ReLUNetwork.objective`), non-increasing up to ``tol``.
    t : ndarray of shape (len(networks),)
        Increasing path parameter; segment ``k`` covers :math:`[k,k+1]`.
    target : ReLUNetwork
        The global optimum the path ends at (the given ``target`` padded to ``width``, or the one
        computed by algorithm G1).
    segments : tuple of str
        Building block of each segment, in order.
    segment_start : ndarray of int
        Index in ``networks`` of the first point of each segment.
    max_increase : float
        :math:`\max_k F(\theta_{k+1})-F(\theta_k)` (:math:`\le\mathrm{tol}\,|F(\theta_0)|+\delta_k+\delta_{k+1}`,
        :math:`\delta` the float64 resolution of :math:`F`, :func:`~.certificate.objective_rounding_scale`).
    width : int
    """

    networks: list = field(repr=False)
    objectives: np.ndarray = field(repr=False)
    t: np.ndarray = field(repr=False)
    target: ReLUNetwork = field(repr=False)
    segments: tuple
    segment_start: np.ndarray = field(repr=False)
    max_increase: float
    width: int


# ------------------------------------------------------------------------------ segments
def _blocks(network):
    r"""Blocks :math:`|\alpha_j|\tilde w_j` and signs of a network."""
    return np.abs(network.output_weights)[:, None] * network.augmented_weights, np.sign(network.output_weights)


def _balance_segment(network, X_aug):
    weights, alpha = network.augmented_weights, network.output_weights
    norm_w, norm_a = safe_row_norms(weights), np.abs(alpha)
    live = (norm_w > 0) & (norm_a > 0) & np.any(fit_matrix(network, X_aug) != 0, axis=0)
    end_scale = np.ones(network.width)
    end_scale[live] = np.sqrt(norm_a[live] / norm_w[live])
    if np.allclose(end_scale[live], 1.0, rtol=1e-15, atol=0) and not np.any((norm_w + norm_a > 0) & ~live):
        return None
    bias = network.hidden_bias is not None

    def at(t):
        scale_w = np.where(live, end_scale**t, 1.0 - t)
        scale_a = np.where(live, end_scale ** (-t), 1.0 - t)
        return ReLUNetwork.from_augmented(weights * scale_w[:, None], alpha * scale_a, bias)

    return at


def _merge_segment(network, X_aug):
    merged, leader = merge_blocks(network, X_aug)
    if np.all(leader == np.arange(network.width)):
        return None
    blocks, signs = _blocks(network)
    flow = np.zeros_like(blocks)
    for j in np.flatnonzero(leader != np.arange(network.width)):
        flow[leader[j]] += blocks[j]
        flow[j] -= blocks[j]
    bias = network.hidden_bias is not None
    return lambda t: balanced_network(blocks + t * flow, signs, bias)


def _prune_segment(network, step):
    return lambda t: scale_neurons(network, step.factors(t))


def _descend_segment(network, end):
    start_blocks, signs = _blocks(network)
    end_blocks, end_signs = _blocks(end)
    signs = np.where(signs != 0, signs, end_signs)
    bias = network.hidden_bias is not None
    return lambda t: balanced_network((1.0 - t) * start_blocks + t * end_blocks, signs, bias)


def _add_neuron_segment(network, slot, direction, sign, size):
    weights, alpha = network.augmented_weights.copy(), network.output_weights.copy()
    bias = network.hidden_bias is not None

    def at(t):
        w, a = weights.copy(), alpha.copy()
        root = np.sqrt(t * size)
        w[slot] = root * direction
        a[slot] = sign * root
        return ReLUNetwork.from_augmented(w, a, bias)

    return at


def _relocate_segment(network, moves):
    weights, alpha = network.augmented_weights, network.output_weights
    bias = network.hidden_bias is not None

    def at(t):
        w, a = weights.copy(), alpha.copy()
        c, s = np.cos(0.5 * np.pi * t), np.sin(0.5 * np.pi * t)
        if t == 1.0:
            c, s = 0.0, 1.0
        for source, destination in moves:
            w[destination], a[destination] = s * weights[source], s * alpha[source]
            w[source], a[source] = c * weights[source], c * alpha[source]
        return ReLUNetwork.from_augmented(w, a, bias)

    return at


def _interpolate_segment(first, second):
    bias = first.hidden_bias is not None

    def at(t):
        a, b = np.sqrt(1.0 - t), np.sqrt(t)
        return ReLUNetwork.from_augmented(
            a * first.augmented_weights + b * second.augmented_weights,
            a * first.output_weights + b * second.output_weights,
            bias,
        )

    return at


def _reverse(segment):
    return lambda t: segment(1.0 - t)


# ------------------------------------------------------------------------------ path recorder
class _Recorder:
    """Evaluates segments on a grid and collects networks and objectives."""

    def __init__(self, start, X, y, beta, loss, n_points):
        self.X, self.y, self.beta, self.loss, self.n_points = X, y, beta, loss, n_points
        self.X_aug = start.augment(X)
        self.networks = [start]
        self.objectives = [start.objective(X, y, beta, loss)]
        self.rounding = [objective_rounding_scale(start, self.X_aug, y, beta, loss)]
        self.t = [0.0]
        self.names, self.starts = [], []

    @property
    def current(self):
        return self.networks[-1]

    def add(self, name, segment):
        """Append a segment (None means nothing to do); returns its end network."""
        if segment is None:
            return self.current
        k = len(self.names)
        self.names.append(name)
        self.starts.append(len(self.networks) - 1)
        for s in np.linspace(0.0, 1.0, self.n_points + 1)[1:]:
            network = segment(float(s))
            self.networks.append(network)
            self.objectives.append(network.objective(self.X, self.y, self.beta, self.loss))
            self.rounding.append(objective_rounding_scale(network, self.X_aug, self.y, self.beta, self.loss))
            self.t.append(k + float(s))
        return self.current


def _reduce(recorder, X_aug):
    """Balance, merge and prune the recorder's current network (G1 step 1)."""
    recorder.add("balance", _balance_segment(recorder.current, X_aug))
    recorder.add("merge", _merge_segment(recorder.current, X_aug))
    rounds, _ = pruning_rounds(recorder.current, recorder.X, recorder.y, recorder.beta, recorder.loss)
    for step in rounds:
        recorder.add("prune", _prune_segment(recorder.current, step))


def _best_size(prediction, column, y, beta, loss):
    r""":math:`c^\star=\arg\min_{c\ge0}\varphi(c)`, :math:`\varphi(c)=L(\hat y+c\,a)+\beta c` (convex in :math:`c`).

    The search starts from twice the Newton step :math:`c_N=(a^\top\nu-\beta)/\|a\|^2`
    (:math:`\nu=-\nabla L(\hat y)`; the minimizer itself for the squared loss), doubled until :math:`\varphi`
    increases, and runs on :math:`\tau=c/c_{\rm upper}\in[0,1]` with :math:`(\varphi-\varphi(0))/|\varphi(0)|`:
    both of order one at every scale of the data, where :math:`c` and :math:`\varphi` themselves can be
    1e-200 or 1e250 (and their products in the bracketing overflow). Norms are scaled
    (:func:`~sklearn_convexnn._numerics.safe_row_norms`). Returns 0 when no :math:`c>0` lowers
    :math:`\varphi` in floating point.
    """
    loss = get_loss(loss)

    def phi(c):
        return loss.value(prediction + c * column, y) + beta * c

    length = safe_norm(column)
    slope = float(column @ loss.negative_gradient(prediction, y)) - beta
    if length == 0.0 or not slope > 0.0:
        return 0.0
    start = phi(0.0)
    upper = 2.0 * (slope / length) / length
    for _ in range(200):
        if phi(upper) > phi(0.5 * upper):
            break
        upper *= 2.0
    unit = max(abs(start), np.finfo(float).smallest_subnormal)
    result = minimize_scalar(lambda tau: (phi(tau * upper) - start) / unit, bounds=(0.0, 1.0), method="bounded",
                             options={"xatol": 1e-14})
    size = float(result.x) * upper
    return size if phi(size) < start else 0.0


def _global_optimum(recorder, X_aug, arrangement, tol, max_rounds):
    """Algorithm G1 from the recorder's (reduced) network; returns the end network."""
    X, y, beta, loss = recorder.X, recorder.y, recorder.beta, recorder.loss
    for _ in range(max_rounds):
        current = recorder.current
        own = network_blocks(current, X_aug)
        restricted = solve_restricted(X_aug, y, beta, own.arrangement, own.blocks, loss)
        end = network_from_blocks(current, own, restricted.u, restricted.v)
        if end.objective(X, y, beta, loss) < recorder.objectives[-1]:
            recorder.add("descend", _descend_segment(current, end))
        rounds, _ = pruning_rounds(recorder.current, X, y, beta, loss)
        for step in rounds:
            recorder.add("prune", _prune_segment(recorder.current, step))
        current = recorder.current
        certificate = certificate_of_fit(current, X, X_aug, y, beta, arrangement, loss, tol)
        # the certificate's own tolerance includes the float64 rounding of V on these data (large features)
        if certificate.max_violation <= beta + max(STOP_TOL * beta, certificate.violation_tolerance):
            return current
        free = np.flatnonzero((np.abs(current.output_weights) == 0) & ~np.any(current.augmented_weights != 0, axis=1))
        if len(free) == 0:
            raise RuntimeError("no free slot to add a neuron; the network has more independent fits than expected.")
        direction, sign = certificate.worst_direction, certificate.worst_sign
        column = sign * np.maximum(X_aug @ direction, 0.0)
        size = _best_size(current.predict(X), column, y, beta, loss)
        if size <= 0:
            # a violation this small gains less than the rounding of F along its direction: the numerical end
            if certificate.max_violation <= beta * (1.0 + ROUNDING_STOP_TOL) + certificate.violation_tolerance:
                return current
            check_beta_resolution(
                current, X_aug, y, beta,
                f"the most violating direction (V/beta - 1 = {certificate.relative_violation - 1:.2g}) gives no "
                "decrease of F in floating point, so no network can be certified globally optimal",
            )
            raise RuntimeError("the most violating direction does not decrease the objective (numerical trouble).")
        recorder.add("add-neuron", _add_neuron_segment(current, int(free[0]), direction, sign, size))
    raise RuntimeError(f"algorithm G1 did not reach a global optimum within {max_rounds} rounds.")


def _slots(network):
    return np.flatnonzero((network.output_weights != 0) | np.any(network.augmented_weights != 0, axis=1))


def _check_n_points(n_points):
    if isinstance(n_points, bool) or not isinstance(n_points, numbers.Integral) or n_points < 1:
        raise ValueError(f"n_points must be a positive integer, got {n_points!r}.")
    return int(n_points)


def nonincreasing_path(start, X, y, beta, target=None, *, n_points=20, loss="squared", tol=1e-8,
                       patterns="exact", max_rounds=None):
    r"""A continuous path of non-increasing :math:`F_m` from ``start`` to a global optimum (THEORY §G).

    Parameters
    ----------
    start : ReLUNetwork
        Any scalar-output network; the path lives in width ``start.width``.
    X : array-like of shape (n, d)
        Raw data (the ones column is appended when ``start`` has a bias).
    y : array-like of shape (n,)
        Targets.
    beta : float > 0
        Weight decay :math:`\beta`.
    target : ReLUNetwork or None
        A global optimum to end at (its width at most ``start.width``, same input dimension and
        bias). ``None``: the path ends at the global optimum found by algorithm G1, certified as
        :func:`~sklearn_convexnn.dual_certificate` certifies (:math:`V(\nu)\le\beta(1+10^{-6})` plus the rounding
        of :math:`V`; it stops earlier, at :math:`1+10^{-7}`, where a descent is still resolvable).
    n_points : int, default=20
        Grid points per segment.
    loss : {"squared", "logistic"}, default="squared"
    tol : float, default=1e-8
        Allowed increase between consecutive grid points, relative to :math:`|F(\text{start})|`, beyond the
        float64 resolution of the two values (:func:`~.certificate.objective_rounding_scale`, which scales with
        the data; where :math:`F` is below it, e.g. a fit that interpolates :math:`y` to rounding with a
        negligible penalty, the objectives along the path are rounding noise).
    patterns : "exact" or Arrangement, default="exact"
        Exhaustive patterns of the augmented data (sampled patterns cannot certify the end).
    max_rounds : int or None
        Cap on the add-neuron rounds of G1 (default ``10 * n + 20``).

    Returns
    -------
    LossPath
        The networks on the grid, their objectives, the segments and the end optimum.

    Raises
    ------
    ValueError
        Bad input; ``start.width`` below what the construction needs (G1: :math:`n+1`; with a
        target: the target's width and (neurons of the reduced start) + (neurons of the reduced
        target)); a ``target`` that is not a global optimum; non-exhaustive ``patterns``; a ``beta`` below
        the float64 resolution :math:`\delta_V\approx\epsilon\|\tilde X\|\,\|y\|` of the dual constraint
        (:func:`~.certificate.rounding_scales`; e.g. features ~1e70, targets ~1e3 and :math:`\beta\sim0.3`),
        found when G1's most violating direction gives no decrease in floating point, or when the objective
        increased along the path: :math:`V\le\beta` can then be neither reached nor certified (nor the
        restricted programs solved to that accuracy), at any common scale of the data.
    RuntimeError
        If the objective increased by more than ``tol`` along the computed path (never silently), or G1
        finds no descent along a direction violating the dual constraint beyond that certificate, or runs
        out of ``max_rounds``.
    """
    X_aug, y, beta, loss = check_problem(start, X, y, beta, loss, name="start")
    tol = check_tol(tol)
    n_points = _check_n_points(n_points)
    arrangement = resolve_patterns(X_aug, patterns, require_exhaustive=True)
    n = X_aug.shape[0]
    if max_rounds is None:
        max_rounds = 10 * n + 20
    width = start.width
    recorder = _Recorder(start, X, y, beta, loss, n_points)

    if target is None:
        if width < n + 1:
            raise ValueError(
                f"start has width {width}, but the path to a global optimum (algorithm G1) needs width "
                f">= n + 1 = {n + 1}; pad it with start.padded({n + 1})."
            )
        _reduce(recorder, X_aug)
        end = _global_optimum(recorder, X_aug, arrangement, tol, max_rounds)
    else:
        end = _path_to_target(recorder, start, target, X, X_aug, y, beta, loss, arrangement, tol)

    objectives = np.asarray(recorder.objectives)
    increase = float(np.max(np.diff(objectives), initial=-np.inf)) if len(objectives) > 1 else 0.0
    # relative to F(start) plus the float64 resolution of the two values compared: an absolute floor (max(1, |F|))
    # would accept any increase of a problem in small units of y, and F cannot be compared more finely
    rounding = np.asarray(recorder.rounding)
    allowed = tol * abs(objectives[0]) + rounding[:-1] + rounding[1:]
    if len(objectives) > 1 and np.any(np.diff(objectives) > allowed):
        k = int(np.argmax(np.diff(objectives) - allowed))
        check_beta_resolution(
            recorder.networks[k], recorder.X_aug, y, beta,
            f"the objective increased by {objectives[k + 1] - objectives[k]:.3e} along the path (the restricted "
            "programs cannot be solved more accurately)",
        )
        raise RuntimeError(
            f"the objective increased by {objectives[k + 1] - objectives[k]:.3e} along the path (allowed: "
            f"tol={tol:.1e} times |F(start)| = {abs(objectives[0]):.3e}, plus its float64 resolution "
            f"{rounding[k] + rounding[k + 1]:.2e}); the solver was not accurate enough."
        )
    return LossPath(
        networks=recorder.networks,
        objectives=objectives,
        t=np.asarray(recorder.t),
        target=end,
        segments=tuple(recorder.names),
        segment_start=np.asarray(recorder.starts, dtype=int),
        max_increase=increase,
        width=width,
    )


def _path_to_target(recorder, start, target, X, X_aug, y, beta, loss, arrangement, tol):
    """G2, simpler variant: reduce start, relocate, interpolate (B6), undo the target's reduction."""
    check_network(target, "target")
    if target.n_features != start.n_features or (target.hidden_bias is None) != (start.hidden_bias is None):
        raise ValueError(
            "target must have the same input dimension and bias as start "
            f"(start: d={start.n_features}, bias={start.hidden_bias is not None}; "
            f"target: d={target.n_features}, bias={target.hidden_bias is not None})."
        )
    width = start.width
    if target.width > width:
        raise ValueError(
            f"target has width {target.width} > start.width {width}; pad the start with start.padded({target.width})."
        )
    full = solve_restricted(X_aug, y, beta, arrangement, np.ones((arrangement.n_patterns, 2), dtype=bool), loss)
    optimum = full.objective
    target_objective = target.objective(X, y, beta, loss)
    # relative to the optimum plus the float64 resolution of F (an absolute floor max(1, |F|) would accept any
    # target of a problem in small units of y, whose path then rises)
    if target_objective - optimum > tol * abs(optimum) + objective_rounding_scale(target, X_aug, y, beta, loss):
        raise ValueError(
            f"target is not a global optimum: its objective {target_objective:.12g} exceeds the optimal "
            f"value {optimum:.12g}."
        )
    # the target's reduction, recorded on its own and replayed backwards at the end
    padded_target = target.padded(width)
    reduction = _Recorder(padded_target, X, y, beta, loss, recorder.n_points)
    target_segments = []
    segment = _balance_segment(reduction.current, X_aug)
    if segment is not None:
        target_segments.append(("reverse-balance", segment))
        reduction.add("balance", segment)
    segment = _merge_segment(reduction.current, X_aug)
    if segment is not None:
        target_segments.append(("reverse-merge", segment))
        reduction.add("merge", segment)
    for step in pruning_rounds(reduction.current, X, y, beta, loss)[0]:
        segment = _prune_segment(reduction.current, step)
        target_segments.append(("reverse-prune", segment))
        reduction.add("prune", segment)
    reduced_target = reduction.current

    _reduce(recorder, X_aug)
    reduced_start = recorder.current
    start_slots, target_slots = _slots(reduced_start), _slots(reduced_target)
    needed = max(target.width, len(start_slots) + len(target_slots))
    if width < needed:
        raise ValueError(
            f"start has width {width}, but this path needs width >= {needed} (target width "
            f"{target.width}; {len(start_slots)} neurons of the reduced start + {len(target_slots)} of the "
            f"reduced target); pad it with start.padded({needed})."
        )
    taken = set(start_slots) | set(target_slots)
    free = [j for j in range(width) if j not in taken]
    moves = [(int(j), free.pop(0)) for j in start_slots if j in set(target_slots)]
    if moves:
        recorder.add("relocate", _relocate_segment(reduced_start, moves))
    recorder.add("interpolate", _interpolate_segment(recorder.current, reduced_target))
    for name, segment in reversed(target_segments):
        recorder.add(name, _reverse(segment))
    return padded_target
