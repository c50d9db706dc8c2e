r"""Critical widths and the staircase of connectivity of the optimal set (THEORY.md §E).

For width :math:`m` let :math:`\Theta^*_m` be the set of global minimizers of :math:`F_m`. With
:math:`m^*` and :math:`M^*` the smallest and largest vertex support of the optimal polytope
:math:`\mathcal C` (:class:`~sklearn_convexnn.landscape.optimal_set.OptimalSet`):

==============================================  =============================================
width                                           statement
==============================================  =============================================
:math:`m=m^*`                                   :math:`\Theta^*_m` is finite
:math:`m\ge m^*+1`                              some connected component is not a point
:math:`m=M^*`                                   some point is isolated
:math:`m\ge M^*+1`                              no point is isolated
:math:`m\ge\min\{m^*+M^*,\ n+1\}`               :math:`\Theta^*_m` is connected
==============================================  =============================================

The constructive moves of the proofs are here too, each a path of optimal networks (constant
objective): splitting a neuron over a free slot (B5), segments and edges of :math:`\mathcal C`
(B7), merging equal-direction neurons and pruning dependent columns (§J), and
:func:`connecting_path`, which joins any two optimal networks of width
:math:`m\ge\min\{m^*+M^*,n+1\}`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..network import ReLUNetwork
from .certificate import check_network
from .optimal_set import OptimalSet

__all__ = [
    "CriticalWidths",
    "StaircaseRegime",
    "NetworkPath",
    "critical_widths",
    "staircase_regime",
    "split_path",
    "polytope_path",
    "connecting_path",
    "permutation_distance",
]


# ------------------------------------------------------------------------------ widths
class CriticalWidths(NamedTuple):
    r"""The widths of the staircase: :math:`m^*`, :math:`M^*` and :math:`n+1`."""

    m_star: int
    M_star: int
    n_plus_1: int

    @property
    def connected_from(self):
        r""":math:`\min\{m^*+M^*,\ n+1\}`: from this width on, :math:`\Theta^*_m` is connected."""
        if self.m_star == 0:
            return 0
        return min(self.m_star + self.M_star, self.n_plus_1)


def _check_optimal_set(optimal_set):
    if not isinstance(optimal_set, OptimalSet):
        raise TypeError(f"optimal_set must be an OptimalSet (from optimal_set(...)), got {type(optimal_set).__name__}.")
    return optimal_set


def _check_int(value, name, minimum=0):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    return int(value)


def critical_widths(optimal_set):
    r"""Return ``CriticalWidths(m_star, M_star, n_plus_1)`` (unpacks as a 3-tuple).

    :math:`m^*` is the smallest and :math:`M^*` the largest support of a vertex of the optimal
    polytope (:math:`m^*\le M^*\le\operatorname{rank}A\le n`); both are 0 when the zero network is
    optimal (:math:`\beta\ge\beta_{\max}`).

    Parameters
    ----------
    optimal_set : OptimalSet
        From :func:`~sklearn_convexnn.landscape.optimal_set.optimal_set`.

    Returns
    -------
    CriticalWidths

    Raises
    ------
    ValueError
        If :math:`M^*` needs a vertex enumeration that is too large (see ``OptimalSet.vertices``).
    """
    optimal_set = _check_optimal_set(optimal_set)
    return CriticalWidths(optimal_set.min_width, optimal_set.max_width, optimal_set.n_samples + 1)


# ------------------------------------------------------------------------------ regime
@dataclass(frozen=True)
class StaircaseRegime:
    r"""Which statements of the staircase (THEORY §E) hold at width :math:`m`.

    Attributes
    ----------
    width : int
        :math:`m`.
    widths : CriticalWidths
    optimal : bool
        :math:`m\ge m^*`: networks of width :math:`m` reach :math:`p^{\rm c}` (otherwise none of the
        statements below is about global optima, and all are False).
    finite : bool
        :math:`m=m^*`: finitely many optimal networks (minimum-support vertices, up to permutation).
    nontrivial_component : bool
        :math:`m\ge m^*+1`: splitting a neuron over a free slot gives a curve of optima.
    isolated_point_exists : bool
        Some optimum of width :math:`m` is isolated. Exact: this holds iff a vertex of
        :math:`\mathcal C` has support exactly :math:`m` (always at :math:`m=m^*` and :math:`m=M^*`,
        the table's rows; possibly at widths in between).
    no_isolated_point : bool
        ``optimal and not isolated_point_exists`` (always when :math:`m\ge M^*+1`).
    connected : bool
        :math:`m\ge\min\{m^*+M^*,n+1\}`: :math:`\Theta^*_m` is connected (a sufficient condition;
        :func:`connecting_path` builds the paths).
    description : tuple of str
        The statements in words.
    """

    width: int
    widths: CriticalWidths
    optimal: bool
    finite: bool
    nontrivial_component: bool
    isolated_point_exists: bool
    no_isolated_point: bool
    connected: bool
    description: tuple


def staircase_regime(optimal_set, m):
    r"""The regime of the staircase of connectivity at width ``m`` (THEORY §E).

    Parameters
    ----------
    optimal_set : OptimalSet
    m : int >= 0
        The width.

    Returns
    -------
    StaircaseRegime
    """
    optimal_set = _check_optimal_set(optimal_set)
    m = _check_int(m, "m")
    widths = critical_widths(optimal_set)
    m_star, M_star, n_plus_1 = widths
    if optimal_set.is_zero:
        return StaircaseRegime(
            m, widths, True, True, False, True, False, True,
            ("beta >= beta_max: the zero network is the only optimum, at every width "
             "(finite, a single isolated point, connected).",),
        )
    if m < m_star:
        return StaircaseRegime(
            m, widths, False, False, False, False, False, False,
            (f"m = {m} < m* = {m_star}: no network of width {m} reaches the convex optimum "
             f"p^c = {optimal_set.objective:.6g}; the staircase describes widths m >= m*.",),
        )
    sizes = optimal_set.vertex_support_sizes
    finite = m == m_star
    isolated = m in sizes
    connected_from = widths.connected_from
    connected = m >= connected_from
    lines = []
    if finite:
        lines.append(f"m = m* = {m_star}: finitely many optimal networks (the minimum-support vertices of the "
                     "optimal polytope, up to permutation of the neurons).")
    else:
        lines.append(f"m = {m} >= m* + 1 = {m_star + 1}: splitting a neuron over a free slot, "
                     "(w, a) -> (cos t w, cos t a), (sin t w, sin t a), gives a curve of optimal networks: "
                     "some connected component is not a single point.")
    if isolated:
        which = " (m = M*)" if m == M_star else ""
        lines.append(f"a vertex with support {m}{which} exists: its network, one neuron per direction, is an "
                     "isolated optimum.")
    elif m > M_star:
        lines.append(f"m = {m} >= M* + 1 = {M_star + 1}: every optimum has a zero neuron, two neurons sharing a "
                     "direction, or dependent columns, so none is isolated.")
    else:
        lines.append(f"no vertex has support exactly {m} (vertex supports {list(sizes)}): no optimum is isolated.")
    if connected:
        lines.append(f"m = {m} >= min(m* + M*, n + 1) = {connected_from}: the optimal set is connected; any two "
                     "optimal networks are joined by a path of optimal networks.")
    else:
        lines.append(f"m = {m} < min(m* + M*, n + 1) = {connected_from}: connectivity is not guaranteed.")
    return StaircaseRegime(m, widths, True, finite, not finite, isolated, not isolated, connected, tuple(lines))


# ------------------------------------------------------------------------------ paths
@dataclass(frozen=True)
class NetworkPath:
    r"""A discretized path of networks of a common width.

    Attributes
    ----------
    networks : tuple of ReLUNetwork
    t : ndarray of shape (len(networks),)
        Normalized cumulative parameter distance, from 0 to 1.
    """

    networks: tuple
    t: np.ndarray

    def __len__(self):
        return len(self.networks)

    @property
    def width(self):
        """The common width :math:`m`."""
        return self.networks[0].width

    @property
    def steps(self):
        """Parameter distances between consecutive networks, shape (len - 1,)."""
        vectors = np.array([network.to_vector() for network in self.networks])
        return np.linalg.norm(np.diff(vectors, axis=0), axis=1)

    @property
    def max_step(self):
        """Largest distance between consecutive networks (small means a fine discretization)."""
        steps = self.steps
        return float(steps.max()) if steps.size else 0.0

    def objectives(self, X, y, beta, loss="squared"):
        """Return :math:`F_m` (``ReLUNetwork.objective``) of every network.

        Parameters
        ----------
        X : array-like of shape (n, d)
        y : array-like of shape (n,)
        beta : float
        loss : {"squared", "logistic"}

        Returns
        -------
        ndarray of shape (len(networks),)
        """
        return np.array([network.objective(X, y, beta, loss) for network in self.networks])


def _path(networks):
    networks = tuple(networks)
    vectors = np.array([network.to_vector() for network in networks])
    distance = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(vectors, axis=0), axis=1))])
    t = distance / distance[-1] if distance[-1] > 0 else np.linspace(0.0, 1.0, len(networks))
    return NetworkPath(networks, t)


def split_path(network, j, free_slot, n_points=20, *, angle=np.pi / 2):
    r"""Move B5: split neuron ``j`` over the zero neuron ``free_slot`` (THEORY §E, §G).

    :math:`(\tilde w_j,\alpha_j)\to(\cos t\,\tilde w_j,\cos t\,\alpha_j)` in slot ``j`` and
    :math:`(\sin t\,\tilde w_j,\sin t\,\alpha_j)` in ``free_slot``, :math:`t\in[0,\text{angle}]`. The
    predictions and :math:`\sum_j\|\tilde w_j\|^2+\alpha_j^2` are unchanged, so :math:`F` is constant;
    ``angle`` :math:`=\pi/2` relocates the neuron.

    Parameters
    ----------
    network : ReLUNetwork
    j, free_slot : int
        Distinct neuron indices; ``free_slot`` must hold a zero neuron.
    n_points : int >= 2
    angle : float in (0, pi/2]

    Returns
    -------
    NetworkPath
    """
    network = check_network(network, "network")
    m = network.width
    j = _check_int(j, "j")
    free_slot = _check_int(free_slot, "free_slot")
    n_points = _check_int(n_points, "n_points", 2)
    if j >= m or free_slot >= m:
        raise ValueError(f"j and free_slot must be neuron indices < width {m}, got {j} and {free_slot}.")
    if j == free_slot:
        raise ValueError(f"free_slot must differ from j, got both {j}.")
    if np.any(network.augmented_weights[free_slot]) or network.output_weights[free_slot] != 0:
        raise ValueError(f"free_slot={free_slot} must index a zero neuron.")
    if not 0 < angle <= np.pi / 2:
        raise ValueError(f"angle must be in (0, pi/2], got {angle!r}.")
    hidden, output = network.augmented_weights, network.output_weights
    networks = []
    for t in np.linspace(0.0, angle, n_points):
        new_hidden, new_output = hidden.copy(), output.copy()
        new_hidden[j], new_output[j] = np.cos(t) * hidden[j], np.cos(t) * output[j]
        new_hidden[free_slot], new_output[free_slot] = np.sin(t) * hidden[j], np.sin(t) * output[j]
        networks.append(ReLUNetwork.from_augmented(new_hidden, new_output, network.hidden_bias is not None))
    return _path(networks)


# ------------------------------------------------------------- slot states of optimal networks
@dataclass(frozen=True)
class _SlotState:
    """An optimal network as slots: direction index (-1 = zero neuron) and coefficient ``||w||^2``."""

    direction: np.ndarray
    coefficient: np.ndarray

    def __post_init__(self):
        for name in ("direction", "coefficient"):
            array = np.array(getattr(self, name))
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    def aggregated(self, p):
        c = np.zeros(p)
        used = self.direction >= 0
        np.add.at(c, self.direction[used], self.coefficient[used])
        return c

    def slot_of(self):
        """Direction -> slot, for states with one slot per used direction."""
        return {int(j): int(k) for k, j in enumerate(self.direction) if j >= 0}

    def free_slots(self):
        return [int(k) for k in np.flatnonzero(self.direction < 0)]


def _state_network(optimal_set, state):
    scale = np.sqrt(np.maximum(state.coefficient, 0.0))
    used = state.direction >= 0
    hidden = np.zeros((len(state.direction), optimal_set.directions.shape[1]))
    output = np.zeros(len(state.direction))
    hidden[used] = optimal_set.directions[state.direction[used]] * scale[used, None]
    output[used] = optimal_set.signs[state.direction[used]] * scale[used]
    return ReLUNetwork.from_augmented(hidden, output, optimal_set.fit_intercept)


def _read_state(optimal_set, network, name, atol):
    r"""The slot state of an optimal network; ValueError naming ``name`` if it is not optimal (THEORY §E)."""
    network = check_network(network, name)
    if network.n_features != optimal_set.X.shape[1]:
        raise ValueError(f"{name} has {network.n_features} inputs but the data have {optimal_set.X.shape[1]}.")
    if (network.hidden_bias is not None) != optimal_set.fit_intercept:
        raise ValueError(f"{name} must {'have' if optimal_set.fit_intercept else 'not have'} a hidden bias "
                         f"(fit_intercept={optimal_set.fit_intercept}).")
    scale = np.sqrt(max(optimal_set.polytope.coefficient_sum, 1.0))
    first, second = network.neuron_norms()
    direction = -np.ones(network.width, dtype=int)
    coefficient = np.zeros(network.width)
    for k in range(network.width):
        if first[k] <= atol * scale and second[k] <= atol * scale:
            continue
        if abs(first[k] - second[k]) > atol * scale:
            raise ValueError(f"{name} is not an optimal network: neuron {k} is not balanced "
                             f"(||w|| = {first[k]:.3g}, |alpha| = {second[k]:.3g}).")
        unit = network.augmented_weights[k] / first[k]
        sign = np.sign(network.output_weights[k])
        distance = (np.linalg.norm(optimal_set.directions - unit, axis=1) + 2.0 * (optimal_set.signs != sign)
                    if optimal_set.n_directions else np.array([np.inf]))
        j = int(np.argmin(distance))
        if distance[j] > atol:
            raise ValueError(f"{name} is not an optimal network: neuron {k} points along no optimal direction "
                             f"(distance {distance[j]:.3g}).")
        direction[k] = j
        coefficient[k] = first[k] * second[k]
    state = _SlotState(direction, coefficient)
    if not optimal_set.polytope.contains(state.aggregated(optimal_set.n_directions), atol=atol):
        raise ValueError(f"{name} is not an optimal network: its aggregated coefficients are not in the optimal "
                         "polytope (its fit differs from y*).")
    return state


def _segment_times(n_points):
    r"""Times :math:`t=\sin^2(\pi s/2)` for equally spaced :math:`s\in[0,1]`.

    On a segment :math:`c(t)=(1-t)c_0+tc_1` the neuron weights are :math:`\sqrt{c_j(t)}`, which is not
    Lipschitz in :math:`t` where a coefficient starts or ends at 0; in :math:`s` it is
    (:math:`\sqrt{c_0\cos^2+c_1\sin^2}`), so refining the points refines the steps proportionally.
    """
    return np.sin(0.5 * np.pi * np.linspace(0.0, 1.0, n_points)) ** 2


def _linear_states(state, coefficient_end, n_points):
    """States whose slot coefficients follow the segment from ``state`` to ``coefficient_end``."""
    return [_SlotState(state.direction, (1 - t) * state.coefficient + t * coefficient_end)
            for t in _segment_times(n_points)[1:]]


def _free_zero_slots(state):
    direction = state.direction.copy()
    direction[state.coefficient <= 0] = -1
    return _SlotState(direction, np.where(direction >= 0, state.coefficient, 0.0))


def _merge_states(state, n_points):
    """Merge neurons sharing a direction by rotations (reverse of B5); objective constant."""
    states = []
    while True:
        directions, counts = np.unique(state.direction[state.direction >= 0], return_counts=True)
        if not np.any(counts > 1):
            return states, state
        j = directions[np.argmax(counts > 1)]
        k1, k2 = np.flatnonzero(state.direction == j)[:2]
        c1, c2 = state.coefficient[k1], state.coefficient[k2]
        radius2, start = c1 + c2, np.arctan2(np.sqrt(c2), np.sqrt(c1))
        for phi in np.linspace(start, 0.0, n_points)[1:]:
            coefficient = state.coefficient.copy()
            coefficient[k1], coefficient[k2] = radius2 * np.cos(phi) ** 2, radius2 * np.sin(phi) ** 2
            states.append(_SlotState(state.direction, coefficient))
        coefficient = state.coefficient.copy()
        coefficient[k1], coefficient[k2] = radius2, 0.0
        direction = state.direction.copy()
        direction[k2] = -1
        state = _SlotState(direction, coefficient)
        states[-1] = state


def _prune_states(optimal_set, state, n_points):
    r"""Move along null vectors of the active columns until they are independent (THEORY §J); a vertex."""
    states = []
    columns = optimal_set.columns
    while True:
        slots = np.flatnonzero(state.direction >= 0)
        if slots.size == 0:
            return states, state
        _, singular, Vt = np.linalg.svd(columns[:, state.direction[slots]], full_matrices=True)
        rank = int(np.sum(singular > 1e-9 * singular[0]))
        if rank == len(slots):
            return states, state
        gamma = Vt[-1]  # A_S gamma = 0, and 1'gamma = <nu*, A_S gamma>/beta = 0
        if gamma[np.argmax(np.abs(gamma))] > 0:
            gamma = -gamma
        coefficient = state.coefficient[slots]
        ratios = np.full(len(slots), np.inf)
        ratios[gamma < 0] = coefficient[gamma < 0] / -gamma[gamma < 0]
        leaving = int(np.argmin(ratios))
        moved = np.maximum(coefficient + ratios[leaving] * gamma, 0.0)
        moved[leaving] = 0.0
        moved[moved <= 1e-13 * coefficient.sum()] = 0.0
        end = state.coefficient.copy()
        end[slots] = moved
        states += _linear_states(state, end, n_points)
        state = _free_zero_slots(_SlotState(state.direction, end))
        states[-1] = state


def _segment_states(state, p, c_end, n_points):
    """Follow the segment of C from the state's coefficients (one slot per direction) to ``c_end``."""
    slot_of = state.slot_of()
    direction = state.direction.copy()
    free = state.free_slots()
    for j in np.flatnonzero(c_end > 0):
        if int(j) not in slot_of:
            if not free:
                raise RuntimeError("no free slot for the segment move (width too small).")
            slot = free.pop(0)
            direction[slot] = j
            slot_of[int(j)] = slot
    start = _SlotState(direction, state.coefficient.copy())
    end = np.zeros_like(state.coefficient)
    for j, slot in slot_of.items():
        end[slot] = c_end[j]
    states = _linear_states(start, end, n_points)
    final = _free_zero_slots(states[-1])
    states[-1] = final
    return states, final


def _relocate_states(state, source, target, n_points):
    """B5 with angle pi/2: move the neuron of slot ``source`` to the free slot ``target``."""
    states = []
    c = state.coefficient[source]
    direction = state.direction.copy()
    direction[target] = direction[source]
    for t in np.linspace(0.0, np.pi / 2, n_points)[1:]:
        coefficient = state.coefficient.copy()
        coefficient[source], coefficient[target] = c * np.cos(t) ** 2, c * np.sin(t) ** 2
        states.append(_SlotState(direction, coefficient))
    coefficient = state.coefficient.copy()
    coefficient[source], coefficient[target] = 0.0, c
    direction = direction.copy()
    direction[source] = -1
    final = _SlotState(direction, coefficient)
    states[-1] = final
    return states, final


def _permute_states(state, target_slot_of, n_points):
    """Relocate neurons until each direction sits in its target slot (one free slot suffices)."""
    states = []
    for _ in range(4 * len(state.direction) + 4):
        slot_of = state.slot_of()
        pending = [j for j, slot in slot_of.items() if target_slot_of[j] != slot]
        if not pending:
            return states, state
        free = set(state.free_slots())
        ready = [j for j in pending if target_slot_of[j] in free]
        if ready:
            j = ready[0]
            target = target_slot_of[j]
        else:  # only cycles remain: park one neuron in a free slot that nobody needs
            if not free:
                raise RuntimeError("no free slot to permute the neurons (width too small).")
            j = pending[0]
            target = min(free)
        moved, state = _relocate_states(state, slot_of[j], target, n_points)
        states += moved
    raise RuntimeError("permuting the neurons did not terminate.")


def _edge_walk(polytope, c_start, c_target):
    r"""Vertices visited by the simplex method (Bland's rule) from ``c_start`` to ``c_target``.

    The objective :math:`\sum_{j\notin S_1}c_j` (:math:`S_1` the support of the target vertex) is
    minimized on :math:`\mathcal C` exactly at the target, so the walk ends there; consecutive
    vertices share an edge, on which at most :math:`\operatorname{rank}A+1` coefficients are non-zero
    (THEORY §E, route 2). scipy's ``linprog`` does not expose its pivots, hence this small loop.
    """
    U, singular, _ = np.linalg.svd(polytope.columns, full_matrices=False)
    rank = int(np.sum(singular > 1e-9 * singular[0]))
    A, b = U[:, :rank].T @ polytope.columns, U[:, :rank].T @ polytope.fit
    p = A.shape[1]
    cost = (c_target <= 0).astype(float)
    basis = [int(j) for j in np.flatnonzero(c_start > 0)]
    for j in range(p):  # complete to a basis with zero-valued columns
        if len(basis) == rank:
            break
        if j not in basis and np.linalg.matrix_rank(A[:, basis + [j]], tol=1e-9 * singular[0]) == len(basis) + 1:
            basis.append(j)
    vertices = [c_start]
    for _ in range(10_000):
        B = A[:, basis]
        x_B = np.maximum(np.linalg.solve(B, b), 0.0)
        prices = np.linalg.solve(B.T, cost[basis])
        reduced = cost - prices @ A
        entering = next((j for j in range(p) if j not in basis and reduced[j] < -1e-10), None)
        if entering is None:
            break
        change = np.linalg.solve(B, A[:, entering])
        ratios = np.where(change > 1e-12, x_B / np.where(change > 1e-12, change, 1.0), np.inf)
        step = ratios.min()
        ties = np.flatnonzero(ratios <= step + 1e-14)
        leaving = min(ties, key=lambda position: basis[position])
        if step > 0:
            point = np.zeros(p)
            point[basis] = x_B - step * change
            point[entering] = step
            point[point <= 1e-13 * polytope.coefficient_sum] = 0.0
            vertices.append(point)
        basis[leaving] = entering
    else:
        raise RuntimeError("the simplex walk between vertices did not terminate.")
    if np.linalg.norm(vertices[-1] - c_target) > 1e-8 * polytope.coefficient_sum:
        vertices.append(c_target)  # numerically equal optimal vertex reached: finish the edge
    return vertices


def _reduce(optimal_set, network, name, atol, n_points):
    """From an optimal network to a vertex state: read, merge equal directions, prune (objective constant)."""
    state = _read_state(optimal_set, network, name, atol)
    start = state
    merged, state = _merge_states(state, n_points)
    pruned, state = _prune_states(optimal_set, state, n_points)
    return [start] + merged + pruned, state


def polytope_path(optimal_set, c0, c1, width=None, n_points=20):
    r"""Move B7: the networks of the segment :math:`c(t)=(1-t)c_0+tc_1` of the optimal polytope.

    Each direction used by :math:`c_0` or :math:`c_1` gets its own slot (in the order of
    ``optimal_set.directions``), with the neuron :math:`\sqrt{c_j(t)}\,u_j`, :math:`s_j\sqrt{c_j(t)}`;
    the fit stays :math:`\hat y^*` and :math:`\mathbf 1^\top c(t)` is constant, so :math:`F` is constant.

    Parameters
    ----------
    optimal_set : OptimalSet
    c0, c1 : arrays of shape (p,)
        Points of ``optimal_set.polytope``.
    width : int or None
        Number of neurons (default: the size of the union of the supports).
    n_points : int >= 2

    Returns
    -------
    NetworkPath

    Raises
    ------
    ValueError
        If ``c0`` or ``c1`` is not in the polytope or ``width`` is smaller than the union of the supports.
    """
    optimal_set = _check_optimal_set(optimal_set)
    n_points = _check_int(n_points, "n_points", 2)
    points = []
    for name, c in (("c0", c0), ("c1", c1)):
        c = np.asarray(c, dtype=float)
        if c.shape != (optimal_set.n_directions,):
            raise ValueError(f"{name} must have shape ({optimal_set.n_directions},), got {c.shape}.")
        if not optimal_set.polytope.contains(c):
            raise ValueError(f"{name} is not a point of the optimal polytope {{c >= 0: A c = y*}}.")
        points.append(np.maximum(c, 0.0))
    used = np.flatnonzero((points[0] > 0) | (points[1] > 0))
    width = len(used) if width is None else _check_int(width, "width")
    if width < len(used):
        raise ValueError(
            f"width={width} is too small: the segment uses {len(used)} directions; use width >= {len(used)}."
        )
    direction = -np.ones(width, dtype=int)
    direction[: len(used)] = used
    networks = []
    for t in _segment_times(n_points):
        coefficient = np.zeros(width)
        coefficient[: len(used)] = ((1 - t) * points[0] + t * points[1])[used]
        networks.append(_state_network(optimal_set, _SlotState(direction, coefficient)))
    return _path(networks)


def connecting_path(optimal_set, theta0, theta1, n_points=10, *, route="auto", atol=1e-6):
    r"""A path of optimal networks from ``theta0`` to ``theta1`` (THEORY §E, connectedness).

    Both networks must be optimal and of the same width :math:`m\ge\min\{m^*+M^*,n+1\}`. Each is
    reduced to a vertex of :math:`\mathcal C` by merging equal-direction neurons (rotations) and
    pruning dependent columns (§J), both at constant objective. The two vertices are joined inside
    :math:`\mathcal C`: ``route="vertex"`` (needs :math:`m\ge m^*+M^*`) follows the segments to a
    minimum-support vertex and on; ``route="edges"`` (needs :math:`m\ge n+1`) follows edges of
    :math:`\mathcal C` chosen by the simplex method. Neurons are then moved to the slots of the
    reduced ``theta1`` (B5 relocations into a free slot), and the reduction of ``theta1`` is replayed
    backwards. Every network on the path is optimal; consecutive ones are close (``max_step``).

    Parameters
    ----------
    optimal_set : OptimalSet
    theta0, theta1 : ReLUNetwork
        Optimal networks of equal width.
    n_points : int >= 2
        Points per elementary move.
    route : {"auto", "vertex", "edges"}
        ``"auto"``: ``"vertex"`` when :math:`m\ge m^*+M^*`, else ``"edges"``.
    atol : float
        Tolerance for reading the networks as optimal (balance, directions, polytope).

    Returns
    -------
    NetworkPath
        Starts at ``theta0`` and ends at ``theta1``.

    Raises
    ------
    ValueError
        If a network is not optimal, the widths differ, or :math:`m<\min\{m^*+M^*,n+1\}` (the
        message gives the width needed) or below the chosen route's requirement.
    """
    optimal_set = _check_optimal_set(optimal_set)
    theta0, theta1 = check_network(theta0, "theta0"), check_network(theta1, "theta1")
    n_points = _check_int(n_points, "n_points", 2)
    if route not in ("auto", "vertex", "edges"):
        raise ValueError(f"route must be 'auto', 'vertex' or 'edges', got {route!r}.")
    m = theta0.width
    if theta1.width != m:
        raise ValueError(f"theta0 and theta1 must have the same width, got {m} and {theta1.width}.")
    widths = critical_widths(optimal_set)
    needed = widths.connected_from
    if m < needed:
        raise ValueError(
            f"width m={m} is too small: the optimal set is guaranteed to be connected only for "
            f"m >= min(m* + M*, n + 1) = min({widths.m_star} + {widths.M_star}, {widths.n_plus_1}) = {needed}."
        )
    if route == "auto":
        route = "vertex" if m >= widths.m_star + widths.M_star else "edges"
    if route == "vertex" and m < widths.m_star + widths.M_star:
        raise ValueError(f"route='vertex' needs width m >= m* + M* = {widths.m_star + widths.M_star}, got m={m}.")
    if route == "edges" and m < widths.n_plus_1:
        raise ValueError(f"route='edges' needs width m >= n + 1 = {widths.n_plus_1}, got m={m}.")
    states0, vertex0 = _reduce(optimal_set, theta0, "theta0", atol, n_points)
    states1, vertex1 = _reduce(optimal_set, theta1, "theta1", atol, n_points)
    p = optimal_set.n_directions
    c0, c1 = vertex0.aggregated(p), vertex1.aggregated(p)
    if route == "vertex":
        minimum = min(optimal_set.vertices(), key=np.count_nonzero)
        stops = [minimum, c1]
    else:
        stops = _edge_walk(optimal_set.polytope, c0, c1)[1:] if p else []
    states, state = list(states0), vertex0
    for c_end in stops:
        moved, state = _segment_states(state, p, c_end, n_points)
        states += moved
    moved, state = _permute_states(state, vertex1.slot_of(), n_points)
    states += moved
    states += states1[::-1]
    networks = [theta0] + [_state_network(optimal_set, s) for s in states] + [theta1]
    return _path(networks)


def permutation_distance(network0, network1):
    r"""Euclidean distance between two networks minimized over permutations of the neurons.

    :math:`\min_\pi\big(\sum_j\|(\tilde w_j,\alpha_j)-(\tilde w'_{\pi(j)},\alpha'_{\pi(j)})\|^2\big)^{1/2}`,
    by the assignment problem (scipy ``linear_sum_assignment``). Zero iff the networks are
    permutations of each other.

    Parameters
    ----------
    network0, network1 : ReLUNetwork
        Scalar-output networks of equal width.

    Returns
    -------
    float
    """
    network0, network1 = check_network(network0, "network0"), check_network(network1, "network1")
    if network0.width != network1.width:
        raise ValueError(f"network0 and network1 must have the same width, got {network0.width} and {network1.width}.")
    neurons0 = np.column_stack([network0.augmented_weights, network0.output_weights])
    neurons1 = np.column_stack([network1.augmented_weights, network1.output_weights])
    cost = np.sum((neurons0[:, None, :] - neurons1[None, :, :]) ** 2, axis=2)
    rows, cols = linear_sum_assignment(cost)
    return float(np.sqrt(cost[rows, cols].sum()))
