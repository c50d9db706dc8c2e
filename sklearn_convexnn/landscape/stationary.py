r"""Stationary points of a network and its sub-sampled convex program (THEORY.md §F).

A network :math:`\theta` maps to a feasible point of the convex program restricted to its own
blocks (THEORY §C, "from any network to a feasible convex point"): neuron :math:`j` with pattern
:math:`D_j=\mathrm{diag}(\mathbb 1[\tilde Xw_j\ge0])` and sign :math:`s_j=\operatorname{sign}\alpha_j`
contributes :math:`|\alpha_j|\tilde w_j` to block :math:`u_{D_j}` (:math:`s_j=+1`) or
:math:`v_{D_j}` (:math:`s_j=-1`). Only these blocks form the *sub-sampled program*; its optimal
value :math:`p^{\rm sub}` satisfies :math:`p^{\rm sub}\le F_m(\theta)`, with equality iff
:math:`\theta` is a (Clarke/KKT) stationary point of :math:`F_m` for its own patterns. A stationary
point is a global minimum iff its dual vector :math:`\nu=-\nabla L(\hat y)` is feasible for *all*
patterns (:func:`~sklearn_convexnn.landscape.certificate.dual_certificate`); otherwise it is a
spurious stationary point.

Trained networks stall at kinks and are rarely exactly stationary, and the dual violation
:math:`V` is far more sensitive than :math:`F` (THEORY §F, numerical behaviour). So the network is
*polished* first: balanced (B1), then moved to the optimum of its sub-sampled program (B4), solved
by Clarabel and refined by an active-set Newton method on the faces of the cones until the
restricted KKT conditions hold to about machine precision. The polished network is classified, and
the report says how far polishing moved it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import null_space
from sklearn.exceptions import ConvergenceWarning

from ..arrangements import Arrangement
from ..convex.dual import dual_constraint, project_onto_cone
from ..convex.program import ConvexProgram
from ..losses import get_loss
from ..network import ReLUNetwork
from .certificate import Certificate, certificate_of_fit, check_problem, check_tol, resolve_patterns

__all__ = [
    "NetworkBlocks",
    "RestrictedOptimum",
    "StationarityReport",
    "network_blocks",
    "solve_restricted",
    "polish",
    "stationarity",
]

#: cvxpy/Clarabel tolerance of the restricted program before the Newton refinement
SOLVER_TOL = 1e-9
#: blocks of the Clarabel solution below this fraction of the largest are solver noise
NOISE_BLOCK = 1e-5
#: restricted KKT accepted when every block value is at most beta * (1 + KKT_TOL)
KKT_TOL = 1e-9
CLASSES = ("global", "spurious", "not stationary")


# ------------------------------------------------------------------------------ own blocks
@dataclass(frozen=True)
class NetworkBlocks:
    r"""The (pattern, sign) blocks of a network's neurons.

    Attributes
    ----------
    arrangement : Arrangement
        The distinct patterns :math:`\mathbb 1[\tilde X\tilde w_j\ge0]` of the neurons with a
        non-zero fit (``exhaustive=False``; gate = the weights of the first such neuron).
    blocks : ndarray of bool, shape (P, 2)
        ``blocks[i, 0]``: some neuron with pattern ``i`` has :math:`\alpha_j>0` (a :math:`u_i`);
        ``blocks[i, 1]``: some has :math:`\alpha_j<0` (a :math:`v_i`).
    pattern : ndarray of int, shape (m,)
        Pattern index of every neuron, ``-1`` for neurons with zero fit
        (:math:`\alpha_j=0` or :math:`(\tilde X\tilde w_j)_+=0`).
    sign : ndarray of int, shape (m,)
        :math:`\operatorname{sign}\alpha_j` (0 for neurons with zero fit).
    """

    arrangement: Arrangement
    blocks: np.ndarray
    pattern: np.ndarray
    sign: np.ndarray

    @property
    def column(self):
        """Block column of every neuron: 0 for :math:`u` (positive sign), 1 for :math:`v`; -1 if inactive."""
        return np.where(self.sign > 0, 0, np.where(self.sign < 0, 1, -1))


def network_blocks(network, X_aug):
    r"""The neurons' own (pattern, sign) blocks (THEORY §F, sub-sampled program).

    Parameters
    ----------
    network : ReLUNetwork
        Any scalar-output network.
    X_aug : ndarray of shape (n, D)
        ``network.augment(X)``.

    Returns
    -------
    NetworkBlocks
        Its own patterns, which blocks exist, and the block of every neuron.
    """
    weights, alpha = network.augmented_weights, network.output_weights
    pre = X_aug @ weights.T
    active = (alpha != 0) & (np.maximum(pre, 0.0).any(axis=0))
    masks = pre >= 0
    index, keys, columns, gates = {}, [], [], []
    pattern = -np.ones(network.width, dtype=int)
    for j in np.flatnonzero(active):
        key = np.packbits(masks[:, j]).tobytes()
        if key not in index:
            index[key] = len(columns)
            columns.append(masks[:, j])
            gates.append(weights[j])
        pattern[j] = index[key]
    n, D = X_aug.shape
    arrangement = Arrangement(
        np.column_stack(columns) if columns else np.zeros((n, 0), dtype=bool),
        np.column_stack(gates) if gates else np.zeros((D, 0)),
        exhaustive=False,
    )
    sign = np.where(active, np.sign(alpha), 0).astype(int)
    blocks = np.zeros((len(columns), 2), dtype=bool)
    for j in np.flatnonzero(active):
        blocks[pattern[j], 0 if sign[j] > 0 else 1] = True
    return NetworkBlocks(arrangement, blocks, pattern, sign)


# ------------------------------------------------------------------------------ restricted program
@dataclass(frozen=True)
class RestrictedOptimum:
    r"""Optimum of the convex program restricted to some blocks.

    Attributes
    ----------
    u, v : ndarray of shape (P, D)
        The blocks (exactly in their cones up to rounding).
    objective : float
        :math:`L(\hat y)+\beta\sum_i(\|u_i\|+\|v_i\|)`.
    max_violation : float
        :math:`\max\|\Pi_{\mathcal K_i}(\pm\tilde X^\top D_i\nu)\|` over the program's blocks
        (:math:`\le\beta(1+10^{-9})` when ``verified``).
    verified : bool
        Whether the restricted KKT conditions were verified (else a ConvergenceWarning was issued
        and the Clarabel solution is returned).
    """

    u: np.ndarray
    v: np.ndarray
    objective: float
    max_violation: float
    verified: bool


def _curvature(loss, prediction, y):
    """Diagonal of the loss Hessian by central differences of ``-grad L`` (L is separable)."""
    step = 1e-5 * np.maximum(1.0, np.abs(prediction))
    return (loss.negative_gradient(prediction - step, y) - loss.negative_gradient(prediction + step, y)) / (2 * step)


def _tight_rows(X, vector, rtol):
    """Rows ``k`` with ``|x_k^T vector| <= rtol * ||x_k|| * ||vector||``."""
    return np.abs(X @ vector) <= rtol * np.linalg.norm(X, axis=1) * np.linalg.norm(vector)


class _ActiveSetNewton:
    r"""Primal active-set Newton method for the restricted program on fixed cone faces.

    Each support block :math:`b=(i,s)` lives on a face :math:`\{u\in\mathcal K_i: x_k^\top u=0,\ k\in T_b\}`,
    parametrized as :math:`u=N_bz_b` with :math:`N_b` an orthonormal basis of the null space of the
    tight rows. On the faces the objective :math:`L(\sum_bs\,D_i\tilde XN_bz_b)+\beta\sum_b\|z_b\|` is
    smooth; Newton steps (least squares on a possibly singular Hessian) with Armijo backtracking,
    clipped where a further cone row becomes tight (that row joins the face).
    """

    def __init__(self, X, y, beta, loss, masks):
        self.X, self.y, self.beta, self.loss, self.masks = X, y, beta, loss, masks
        self.signs = np.where(masks, 1.0, -1.0)

    def objective(self, U):
        prediction = sum(s * self.masks[:, i] * (self.X @ u) for (i, s), u in U.items()) if U else np.zeros(len(self.y))
        penalty = sum(np.linalg.norm(u) for u in U.values())
        return self.loss.value(prediction, self.y) + self.beta * penalty, prediction

    def run(self, U, faces, max_iter=100):
        X, D = self.X, self.X.shape[1]
        for _ in range(max_iter):
            keys, bases = [], []
            for key in list(U):
                basis = null_space(X[faces[key]]) if faces[key].any() else np.eye(D)
                if basis.shape[1] == 0:
                    del U[key]
                    continue
                keys.append(key)
                bases.append(basis)
            if not keys:
                return U, faces
            z = [basis.T @ U[key] for key, basis in zip(keys, bases)]
            for key, basis, zb in zip(keys, bases, z):
                U[key] = basis @ zb
            norms = np.array([np.linalg.norm(zb) for zb in z])
            if np.any(norms == 0):
                for key, norm in zip(keys, norms):
                    if norm == 0:
                        del U[key]
                continue
            columns = [s * self.masks[:, i][:, None] * (X @ basis) for (i, s), basis in zip(keys, bases)]
            M = np.hstack(columns)
            zz = np.concatenate(z)
            value, prediction = self.objective(U)
            nu = self.loss.negative_gradient(prediction, self.y)
            unit = np.concatenate([zb / nb for zb, nb in zip(z, norms)])
            grad = -M.T @ nu + self.beta * unit
            H = M.T @ (_curvature(self.loss, prediction, self.y)[:, None] * M)
            start = 0
            for zb, nb in zip(z, norms):
                k = len(zb)
                e = zb / nb
                H[start:start + k, start:start + k] += self.beta * (np.eye(k) - np.outer(e, e)) / nb
                start += k
            step = -np.linalg.lstsq(H, grad, rcond=1e-14)[0]
            decrement = -float(grad @ step)
            if decrement <= 1e-24 * max(1.0, abs(value)):
                return U, faces
            # largest step keeping every block in its cone
            t_max, blocking = 1.0, None
            start = 0
            for key, basis in zip(keys, bases):
                k = basis.shape[1]
                i = key[0]
                u, du = U[key], basis @ step[start:start + k]
                start += k
                slack = self.signs[:, i] * (X @ u)
                change = self.signs[:, i] * (X @ du)
                free = (~faces[key]) & (change < 0)
                if free.any():
                    ratios = np.maximum(slack[free], 0.0) / -change[free]
                    r = int(np.argmin(ratios))
                    if ratios[r] < t_max:
                        t_max, blocking = float(ratios[r]), (key, np.flatnonzero(free)[r])
            if blocking is not None and t_max <= 1e-15:
                # already on a further cone row: it joins the face, then a new step
                faces[blocking[0]] = faces[blocking[0]].copy()
                faces[blocking[0]][blocking[1]] = True
                continue
            t = t_max
            while True:
                trial = {}
                start = 0
                for key, basis in zip(keys, bases):
                    k = basis.shape[1]
                    trial[key] = basis @ (zz[start:start + k] + t * step[start:start + k])
                    start += k
                if self.objective(trial)[0] <= value - 1e-4 * t * decrement or t < 1e-12:
                    break
                t *= 0.5
            if t < 1e-12:
                return U, faces
            scale = max(np.linalg.norm(u) for u in trial.values())
            U = {key: u for key, u in trial.items() if np.linalg.norm(u) > 1e-13 * scale}
            if blocking is not None and t == t_max and blocking[0] in U:
                faces[blocking[0]] = faces[blocking[0]].copy()
                faces[blocking[0]][blocking[1]] = True
        return U, faces


def _refine(X, y, beta, loss, masks, blocks, u, v, max_outer=25):
    """Active-set Newton refinement of a restricted solution; returns (u, v, verified, violation)."""
    newton = _ActiveSetNewton(X, y, beta, loss, masks)
    start = {(i, 1): u[i] for i in range(len(u))} | {(i, -1): v[i] for i in range(len(v))}
    scale = max((np.linalg.norm(b) for b in start.values()), default=0.0)
    U, faces = {}, {}
    for (i, s), block in start.items():
        if blocks[i, 0 if s > 0 else 1] and np.linalg.norm(block) > NOISE_BLOCK * scale and scale > 0:
            block = project_onto_cone(block, X, masks[:, i])
            if np.linalg.norm(block) > 0:
                U[(i, s)] = block
                faces[(i, s)] = _tight_rows(X, block, 1e-6)
    violation = np.inf
    for _ in range(max_outer):
        U, faces = newton.run(U, faces)
        prediction = newton.objective(U)[1]
        nu = loss.negative_gradient(prediction, y)
        constraint = dual_constraint(nu, X, masks)
        values = np.where(blocks, constraint.values, 0.0)
        violation = float(values.max(initial=0.0))
        bad = np.argwhere(values > beta * (1.0 + KKT_TOL))
        # a non-zero block must be tight (its value is beta); a slack one belongs at zero
        slack = [key for key in U if values[key[0], 0 if key[1] > 0 else 1] < beta * (1.0 - 1e-6)]
        for key in slack:
            del U[key]
        if len(bad) == 0 and not slack:
            break
        for i, k in bad:
            key = (int(i), 1 if k == 0 else -1)
            direction = constraint.directions[i, k]
            if key in U:
                U[key] = np.linalg.norm(U[key]) * direction
            else:
                column = np.maximum(X @ direction, 0.0)
                U[key] = (values[i, k] - beta) / max(float(column @ column), 1e-300) * direction
            faces[key] = _tight_rows(X, direction, 1e-9)
    P, D = masks.shape[1], X.shape[1]
    u_out, v_out = np.zeros((P, D)), np.zeros((P, D))
    for (i, s), block in U.items():
        (u_out if s > 0 else v_out)[i] = block
    verified = bool(violation <= beta * (1.0 + KKT_TOL)) and not slack
    return u_out, v_out, verified, violation


def solve_restricted(X_aug, y, beta, arrangement, blocks, loss="squared"):
    r"""Solve the convex program (C) over the given blocks to near machine precision.

    Clarabel (through :class:`ConvexProgram`) to tolerance ``1e-9``, then the active-set Newton
    refinement on the cone faces, accepted when every block satisfies
    :math:`\|\Pi_{\mathcal K_i}(\pm\tilde X^\top D_i\nu)\|\le\beta(1+10^{-9})` (the restricted dual is
    feasible, so the point is optimal) and it is not worse than the Clarabel point.

    Parameters
    ----------
    X_aug : ndarray of shape (n, D)
        Data as used by the program (ones column included for a bias).
    y : ndarray of shape (n,)
        Targets.
    beta : float
        Weight decay :math:`\beta>0`.
    arrangement : Arrangement
        The patterns :math:`D_i` of the program.
    blocks : ndarray of bool, shape (P, 2)
        Which :math:`u_i` (column 0) and :math:`v_i` (column 1) exist.
    loss : {"squared", "logistic"}
        The loss :math:`L`.

    Returns
    -------
    RestrictedOptimum
        The refined blocks, objective and verification status.

    Warns
    -----
    ConvergenceWarning
        If the refinement could not verify the KKT conditions (the Clarabel point is returned).
    """
    loss_object = get_loss(loss)
    P, D = arrangement.n_patterns, X_aug.shape[1]
    masks = arrangement.masks
    if P == 0 or not blocks.any():
        u = v = np.zeros((P, D))
        prediction = np.zeros(len(y))
        return RestrictedOptimum(u, v, loss_object.value(prediction, y), 0.0, True)
    program = ConvexProgram(X_aug, y, beta, arrangement, "relu", loss, blocks=blocks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)  # cvxpy's "may be inaccurate": refined below
        solution = program.solve("cvxpy", tol=SOLVER_TOL)
    u, v, verified, violation = _refine(X_aug, y, beta, loss_object, masks, blocks, solution.u, solution.v)
    objective = program.objective_of(u, v)
    clarabel_objective = program.objective_of(solution.u, solution.v)
    if not verified or objective > clarabel_objective + 10 * SOLVER_TOL * max(1.0, abs(clarabel_objective)):
        warnings.warn(
            "the restricted convex program could not be refined to verified optimality; using the "
            f"Clarabel solution (V/beta - 1 = {solution.dual_violation / beta - 1:.2e}).",
            ConvergenceWarning,
            stacklevel=2,
        )
        return RestrictedOptimum(solution.u, solution.v, clarabel_objective, solution.dual_violation, False)
    return RestrictedOptimum(u, v, objective, violation, True)


def network_from_blocks(network, own, u, v):
    r"""The width-:math:`m` network whose neurons carry the given blocks, aligned with ``network``.

    Every active neuron :math:`j` of block :math:`(i,s)` gets the share
    :math:`\kappa_j=|\alpha_j|\|\tilde w_j\|/\sum_{k\in(i,s)}|\alpha_k|\|\tilde w_k\|` of the new block
    :math:`b=\kappa_j\,u_i` (or :math:`\kappa_jv_i`): :math:`\tilde w_j=b/\sqrt{\|b\|}`,
    :math:`\alpha_j=s\sqrt{\|b\|}` (balanced). The fit is :math:`\sum_iD_i\tilde X(u_i-v_i)` and
    :math:`\frac12\sum_j(\|\tilde w_j\|^2+\alpha_j^2)=\sum_i\|u_i\|+\|v_i\|`. Inactive neurons become 0.
    """
    weights, alpha = network.augmented_weights, network.output_weights
    size = np.abs(alpha) * np.linalg.norm(weights, axis=1)
    column = own.column
    new_weights = np.zeros_like(weights)
    new_alpha = np.zeros_like(alpha)
    for j in np.flatnonzero(own.pattern >= 0):
        group = (own.pattern == own.pattern[j]) & (column == column[j])
        share = size[j] / size[group].sum()
        block = share * (u if column[j] == 0 else v)[own.pattern[j]]
        norm = np.linalg.norm(block)
        if norm > 0:
            new_weights[j] = block / np.sqrt(norm)
            new_alpha[j] = own.sign[j] * np.sqrt(norm)
    return ReLUNetwork.from_augmented(new_weights, new_alpha, network.hidden_bias is not None)


def _polish(network, X, X_aug, y, beta, loss):
    """(own blocks, restricted optimum, polished network) for a validated problem."""
    own = network_blocks(network, X_aug)
    restricted = solve_restricted(X_aug, y, beta, own.arrangement, own.blocks, loss)
    polished = network_from_blocks(network, own, restricted.u, restricted.v)
    return own, restricted, polished


def polish(network, X, y, beta, loss="squared"):
    r"""Balance (B1) and move to the optimum of the network's own sub-sampled program (B4).

    The result keeps the width and the slots of ``network`` (the shares of neurons in one block
    are kept), has every neuron balanced, and its objective is the restricted optimum
    :math:`p^{\rm sub}\le F_m(\theta)`, computed to near machine precision (see
    :func:`solve_restricted`).

    Parameters
    ----------
    network : ReLUNetwork
        Any scalar-output network.
    X : array-like of shape (n, d)
        Raw data (the ones column is appended for a network with a bias).
    y : array-like of shape (n,)
        Targets.
    beta : float > 0
        Weight decay :math:`\beta`.
    loss : {"squared", "logistic"}
        The loss :math:`L`.

    Returns
    -------
    ReLUNetwork
        The polished network, same width and slots.
    """
    X_aug, y, beta, loss = check_problem(network, X, y, beta, loss)
    return _polish(network, X, X_aug, y, beta, loss)[2]


# ------------------------------------------------------------------------------ report
@dataclass(frozen=True)
class StationarityReport:
    r"""Whether a network is stationary, and whether it is a global or a spurious one (THEORY §F).

    Attributes
    ----------
    is_stationary : bool
        :math:`F_m(\theta)\le p^{\rm sub}+\mathrm{tol}\max(1,|F_m(\theta)|)`: the network is optimal for
        its own sub-sampled program, i.e. a (Clarke/KKT) stationary point up to ``tol``.
    gradient_norm : float
        :math:`\|\nabla F_m(\theta)\|` (one-sided derivatives at kinks, ``network.gradient``).
    subsampled_patterns : Arrangement
        The network's own patterns.
    subsampled_blocks : ndarray of bool, shape (P, 2)
        Which :math:`u_i` / :math:`v_i` exist in its sub-sampled program.
    subsampled_optimum : float
        :math:`p^{\rm sub}`, the optimal value of that program.
    subsampled_optimal : bool
        Same test as ``is_stationary``.
    is_global_minimum : bool
        Stationary and the certificate of the polished network is a global one.
    certificate : Certificate
        Of ``polished`` (exhaustive patterns).
    classification : {"global", "spurious", "not stationary"}
    objective : float
        :math:`F_m(\theta)` of the given network.
    polished : ReLUNetwork
        The polished network (B1 then B4), or the given network with ``polish=False``.
    polish_distance : float
        Euclidean distance between the parameter vectors of ``polished`` and the given network
        (same slots).
    polish_objective_change : float
        :math:`F_m(\theta)-F_m(\text{polished})\ge0`.
    tol : float
    """

    is_stationary: bool
    gradient_norm: float
    subsampled_patterns: Arrangement = field(repr=False)
    subsampled_blocks: np.ndarray = field(repr=False)
    subsampled_optimum: float
    subsampled_optimal: bool
    is_global_minimum: bool
    certificate: Certificate = field(repr=False)
    classification: str
    objective: float
    polished: ReLUNetwork = field(repr=False)
    polish_distance: float
    polish_objective_change: float
    tol: float


def stationarity(network, X, y, beta, loss="squared", *, polish=True, tol=1e-6, patterns="exact"):
    r"""Classify a network as a global minimum, a spurious stationary point, or not stationary.

    1. Own blocks (pattern, sign) of the neurons; the sub-sampled program over them, solved to
       near machine precision: :math:`p^{\rm sub}`, and the polished network (B1 + B4, same slots).
    2. Stationary iff :math:`F_m(\theta)-p^{\rm sub}\le\mathrm{tol}\max(1,|F_m(\theta)|)` (THEORY §F:
       stationary points are exactly the optima of their sub-sampled program).
    3. The certificate of the polished network over **all** patterns: ``"global"`` if it holds,
       else ``"spurious"`` (optimal for its own patterns only; this includes minimizers of a width
       :math:`m<m^*`, which are not global for the convex program).

    Parameters
    ----------
    network : ReLUNetwork
        Any scalar-output network (e.g. trained by :func:`~sklearn_convexnn.nonconvex.fit_mlp`).
    X : array-like of shape (n, d)
        Raw data (the ones column is appended for a network with a bias).
    y : array-like of shape (n,)
        Targets.
    beta : float > 0
        Weight decay :math:`\beta`.
    loss : {"squared", "logistic"}, default="squared"
        The loss :math:`L`.
    polish : bool, default=True
        Certify the polished network (recommended: :math:`V` is far more sensitive than :math:`F`);
        with False the given network is certified as it is.
    tol : float, default=1e-6
        Relative tolerance of the stationarity test and of the certificate.
    patterns : "exact" or Arrangement, default="exact"
        Exhaustive patterns of the augmented data for the certificate (sampled ones are refused).

    Returns
    -------
    StationarityReport
        The classification with the numbers behind it.
    """
    X_aug, y, beta, loss = check_problem(network, X, y, beta, loss)
    tol = check_tol(tol)
    arrangement = resolve_patterns(X_aug, patterns, require_exhaustive=True)
    if not isinstance(polish, (bool, np.bool_)):
        raise TypeError(f"polish must be a bool, got {type(polish).__name__}.")
    own, restricted, polished = _polish(network, X, X_aug, y, beta, loss)
    objective = network.objective(X, y, beta, loss)
    polished_objective = polished.objective(X, y, beta, loss)
    optimum = min(restricted.objective, polished_objective)
    optimal = bool(objective - optimum <= tol * max(1.0, abs(objective)))
    judged = polished if polish else network
    certificate = certificate_of_fit(judged, X, X_aug, y, beta, arrangement, loss, tol)
    if not optimal:
        classification = "not stationary"
    elif certificate.is_global_minimum:
        classification = "global"
    else:
        classification = "spurious"
    gradient = network.gradient(X, y, beta, loss).to_vector()
    return StationarityReport(
        is_stationary=optimal,
        gradient_norm=float(np.linalg.norm(gradient)),
        subsampled_patterns=own.arrangement,
        subsampled_blocks=own.blocks,
        subsampled_optimum=float(optimum),
        subsampled_optimal=optimal,
        is_global_minimum=classification == "global",
        certificate=certificate,
        classification=classification,
        objective=float(objective),
        polished=judged,
        polish_distance=float(np.linalg.norm(judged.to_vector() - network.to_vector())),
        polish_objective_change=float(objective - judged.objective(X, y, beta, loss)),
        tol=tol,
    )
