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

from .._numerics import safe_norm, safe_row_norms
from ..arrangements import Arrangement
from ..convex.dual import dual_constraint, project_onto_cone
from ..convex.program import ConvexProgram
from ..convex.solvers.support_newton import first_wall, solve_on_support
from ..losses import get_loss
from ..network import ReLUNetwork
from .certificate import (
    Certificate,
    certificate_of_fit,
    check_problem,
    check_tol,
    resolve_patterns,
    network_rounding_scales,
    rounding_scales,
)

__all__ = [
    "NetworkBlocks",
    "balanced_network",
    "neuron_sizes",
    "RestrictedOptimum",
    "StationarityReport",
    "network_blocks",
    "newton_on_faces",
    "refine_restricted",
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
        (:math:`\alpha_j=0`, :math:`(\tilde X\tilde w_j)_+=0`, or a size :func:`neuron_sizes` that
        underflows).
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


def neuron_sizes(network):
    r"""Return :math:`|\alpha_j|\,\|\tilde w_j\|`, the norm of each neuron's block, shape (m,).

    The norm is taken without squaring (``hypot``), so a neuron of tiny weights that still has a
    non-zero fit keeps a non-zero size; a size that underflows to 0 in float64 means a fit below
    :math:`\|\tilde X\|\cdot5\times10^{-324}`, and the neuron counts as inactive.
    """
    return np.abs(network.output_weights) * np.hypot.reduce(network.augmented_weights, axis=1, initial=0.0)


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
    weights = network.augmented_weights
    pre = X_aug @ weights.T
    active = (neuron_sizes(network) > 0) & (np.maximum(pre, 0.0).any(axis=0))
    masks = pre >= 0
    index, columns, gates = {}, [], []
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
    sign = np.where(active, np.sign(network.output_weights), 0).astype(int)
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


def _tight_rows(X, vector, rtol):
    """Rows ``k`` with ``|x_k^T vector| <= rtol * ||x_k|| * ||vector||``."""
    return np.abs(X @ vector) <= rtol * safe_row_norms(X) * safe_norm(vector)


def block_fit(X, masks, blocks):
    r""":math:`\hat y=\sum_{(i,s)}s\,D_iXu_{(i,s)}` of blocks given as ``{(i, s): u}``."""
    prediction = np.zeros(X.shape[0])
    for (i, s), u in blocks.items():
        prediction += s * masks[:, i] * (X @ u)
    return prediction


def _face_bases(X, faces):
    r"""Orthonormal bases :math:`N_b` of :math:`\{u\in\operatorname{range}X^\top:\ x_k^\top u=0,\ k\in T_b\}`.

    Directions in the null space of :math:`X` (duplicate or zero columns) change neither the fit nor
    a cone constraint and only add to the penalty, so no optimal block has a component there; leaving
    them out keeps Newton's method from steps along directions only the penalty sees.
    """
    _, singular, Vt = np.linalg.svd(X, full_matrices=False)
    row_space = Vt[singular > 1e-12 * max(singular.max(initial=0.0), 1e-300)].T  # (D, r)
    bases = []
    for face in faces:
        if face.any():
            bases.append(row_space @ null_space(X[face] @ row_space, rcond=1e-10))
        else:
            bases.append(row_space)
    return bases


def newton_on_faces(X, y, beta, loss, masks, blocks, faces, max_rounds=100):
    r"""Minimize the program restricted to some blocks, each on a face of its cone (primal active set).

    Block :math:`b=(i,s)` lies on the face :math:`\{u\in\mathcal K_i:\ x_k^\top u=0,\ k\in T_b\}` of
    :math:`\mathcal K_i=\{u:(2D_i-I)Xu\ge0\}`, :math:`u=N_bz_b` with :math:`N_b` an orthonormal basis
    of the null space of the rows :math:`T_b` within the row space of :math:`X` (:func:`_face_bases`).
    On these subspaces the program is the smooth problem
    :math:`\min_z L(\sum_bs\,D_iXN_bz_b)+\beta\sum_b\|z_b\|`, solved to machine precision by Newton's
    method (:func:`~sklearn_convexnn.convex.solvers.support_newton.solve_on_support`). When the step
    from the current blocks to that minimizer leaves a cone, the blocks move only up to the first cone
    row :math:`k\notin T_b` they meet (the objective is convex, so that point is no worse than the
    start), the row joins :math:`T_b`, and Newton's method runs again. Each round either ends or adds
    a row to a face, so at most ``n * len(blocks)`` rounds are needed.

    Parameters
    ----------
    X : ndarray of shape (n, D)
    y : ndarray of shape (n,)
    beta : float
    loss : {"squared", "logistic"} or loss object
    masks : bool ndarray of shape (n, P)
        Patterns :math:`D_i`.
    blocks : dict
        ``{(i, s): u}``, :math:`u\in\mathcal K_i` of shape (D,), :math:`s=\pm1`.
    faces : dict
        ``{(i, s): bool ndarray of shape (n,)}``, the rows :math:`T_b` (projected onto first).
    max_rounds : int
        Rounds of Newton's method.

    Returns
    -------
    blocks : dict
        The non-zero blocks of the minimizer, in their cones.
    faces : dict
        Their faces (grown by the rows met).
    """
    keys = list(blocks)
    if not keys:
        return {}, {}
    patterns = np.array([i for i, _ in keys], dtype=np.intp)
    signs = np.array([float(s) for _, s in keys])
    faces = [np.asarray(faces[key], dtype=bool).copy() for key in keys]
    row_signs = np.where(masks[:, patterns], 1.0, -1.0)  # (n, m): s_k of every cone row
    current = np.array([blocks[key] for key in keys], dtype=float)
    # the squared loss is solved in units of max|y| (y -> y/c, beta -> beta/c, u -> u/c has the
    # minimizer u/c): Newton's stopping tests then do not depend on the units of y
    unit = float(np.max(np.abs(y), initial=0.0)) if get_loss(loss).name == "squared" else 1.0
    unit = unit if unit > 0 else 1.0
    for _ in range(max_rounds):
        bases = _face_bases(X, faces)
        current = np.array([basis @ (basis.T @ u) for basis, u in zip(bases, current)])
        alive = np.array([basis.shape[1] > 0 and np.any(u) for basis, u in zip(bases, current)])
        current[~alive] = 0.0
        if not alive.any():
            break
        result = solve_on_support(X, y / unit, beta / unit, loss, masks[:, patterns[alive]], signs[alive],
                                  [bases[b] for b in np.flatnonzero(alive)], current[alive] / unit)
        step = -current
        step[alive] += unit * result.blocks
        t, blocking, hit, _ = first_wall(row_signs * (X @ current.T), row_signs * (X @ step.T), faces)
        current = current + t * step
        if t >= 1.0:
            break
        for b in hit:
            faces[b][blocking[b]] = True
    kept = [b for b in range(len(keys)) if np.any(current[b])]
    return {keys[b]: current[b] for b in kept}, {keys[b]: faces[b] for b in kept}


def _off_kkt(X, masks, nu, beta, U, rounding):
    r"""Blocks :math:`u` of ``U`` outside their cone, or not along their dual direction.

    At a restricted optimum every non-zero block lies in :math:`\mathcal K_i` and
    :math:`s\,\nu^\top D_iXu=\beta\|u\|` (it points along :math:`\Pi_{\mathcal K_i}(s\,g_i)`);
    both are tested to the relative tolerance ``KKT_TOL``, the second also to the rounding scale
    ``rounding`` of the dual values.
    """
    row_norms = safe_row_norms(X)
    wrong = []
    for (i, s), u in U.items():
        norm = safe_norm(u)
        rows = np.where(masks[:, i], 1.0, -1.0) * (X @ u)
        along = s * float(nu @ (masks[:, i] * (X @ u)))
        if np.any(rows < -KKT_TOL * row_norms * norm) or along < (beta * (1.0 - KKT_TOL) - rounding) * norm:
            wrong.append((i, s))
    return wrong


def _dual_rounding(X, y, masks, beta, U):
    """The rounding scale of the dual values at blocks ``U`` (:func:`~.certificate.rounding_scales`)."""
    magnitude = np.zeros(X.shape[0])
    for (i, _), u in U.items():
        magnitude += masks[:, i] * np.abs(X @ u)
    penalty = beta * sum(safe_norm(u) for u in U.values())
    return rounding_scales(X, y, magnitude, penalty, len(U))[0]


def refine_restricted(X, y, beta, loss, masks, blocks, u, v, max_outer=25):
    """Active-set refinement of a restricted solution; returns (u, v, verified, violation).

    :func:`newton_on_faces` on the blocks the solver uses; then blocks whose dual value exceeds
    :math:`\beta` (or that leave their cone or their dual direction) are turned along their
    projection, missing ones added, and slack ones removed, until the restricted KKT conditions hold:
    every block's value is at most :math:`\beta(1+10^{-9})` (plus the rounding scale of the dual
    values, :func:`~.certificate.rounding_scales`) and every non-zero block lies in its cone along
    its dual direction (:func:`_off_kkt`).
    """
    start = {(i, 1): u[i] for i in range(len(u))} | {(i, -1): v[i] for i in range(len(v))}
    # scaled norms: the solver's blocks of tiny or huge data under- or overflow the plain norm
    sizes = dict(zip(start, safe_row_norms(np.array(list(start.values())).reshape(len(start), X.shape[1]))))
    scale = max(sizes.values(), default=0.0)
    U, faces = {}, {}
    for (i, s), block in start.items():
        if blocks[i, 0 if s > 0 else 1] and sizes[(i, s)] > NOISE_BLOCK * scale and scale > 0:
            block = project_onto_cone(block, X, masks[:, i])
            if np.any(block != 0):
                U[(i, s)] = block
                faces[(i, s)] = _tight_rows(X, block, 1e-6)
    violation, off, rounding = np.inf, [], 0.0
    for _ in range(max_outer):
        U, faces = newton_on_faces(X, y, beta, loss, masks, U, faces)
        nu = loss.negative_gradient(block_fit(X, masks, U), y)
        constraint = dual_constraint(nu, X, masks)
        values = np.where(blocks, constraint.values, 0.0)
        violation = float(values.max(initial=0.0))
        rounding = _dual_rounding(X, y, masks, beta, U)
        # a non-zero block must be tight (its value is beta); a slack one belongs at zero
        slack = [key for key in U if values[key[0], 0 if key[1] > 0 else 1] < beta * (1.0 - 1e-6) - rounding]
        for key in slack:
            del U[key]
        off = _off_kkt(X, masks, nu, beta, U, rounding)
        bad = [(int(i), 1 if k == 0 else -1) for i, k in np.argwhere(values > beta * (1.0 + KKT_TOL) + rounding)]
        if not bad and not slack and not off:
            break
        for key in dict.fromkeys(bad + off):
            i, k = key[0], 0 if key[1] > 0 else 1
            direction = constraint.directions[i, k]
            if key in U:
                U[key] = safe_norm(U[key]) * direction
            else:
                # start at the minimizer t = (V - beta)/||a||^2 of the quadratic model along the column
                # a = (X u)_+, capped so the fit moves by at most ||nu||; a zero column cannot lower the
                # loss (its value above beta is rounding) and is not added
                length = safe_norm(np.maximum(X @ direction, 0.0))
                if length == 0.0:
                    continue
                step = min((values[i, k] - beta) / length, safe_norm(nu)) / length
                U[key] = step * direction
            faces[key] = _tight_rows(X, direction, 1e-9)
    P, D = masks.shape[1], X.shape[1]
    u_out, v_out = np.zeros((P, D)), np.zeros((P, D))
    for (i, s), block in U.items():
        (u_out if s > 0 else v_out)[i] = block
    verified = bool(violation <= beta * (1.0 + KKT_TOL) + rounding) and not slack and not off
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
    u, v, verified, violation = refine_restricted(X_aug, y, beta, loss_object, masks, blocks, solution.u, solution.v)
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
    size = neuron_sizes(network)
    column = own.column
    blocks = np.zeros_like(network.augmented_weights)
    for j in np.flatnonzero(own.pattern >= 0):
        group = (own.pattern == own.pattern[j]) & (column == column[j])
        blocks[j] = size[j] / size[group].sum() * (u if column[j] == 0 else v)[own.pattern[j]]
    return balanced_network(blocks, own.sign, network.hidden_bias is not None)


def balanced_network(blocks, signs, fit_intercept):
    r"""Balanced neurons :math:`\tilde w_j=b_j/\sqrt{\|b_j\|}`, :math:`\alpha_j=s_j\sqrt{\|b_j\|}` from blocks.

    Parameters
    ----------
    blocks : ndarray of shape (m, D)
        :math:`b_j=|\alpha_j|\tilde w_j` (augmented coordinates); zero rows give zero neurons.
    signs : ndarray of shape (m,)
        :math:`s_j=\operatorname{sign}\alpha_j`.
    fit_intercept : bool
        Whether the last coordinate is the hidden bias.

    Returns
    -------
    ReLUNetwork
    """
    root = np.sqrt(np.hypot.reduce(blocks, axis=1, initial=0.0))
    weights = np.divide(blocks, root[:, None], out=np.zeros_like(blocks), where=root[:, None] > 0)
    return ReLUNetwork.from_augmented(weights, np.where(root > 0, signs, 0) * root, fit_intercept)


def _polish(network, X, X_aug, y, beta, loss):
    r"""(own blocks, restricted optimum, polished network) for a validated problem.

    The network's own point of the restricted program
    (:math:`u_i=\sum_{j\in(i,+)}|\alpha_j|\tilde w_j`, likewise :math:`v_i`, balanced; never worse than the
    network) is kept instead of the solver's point unless the solver's is lower by more than the float64
    rounding of :math:`F`: polishing never increases :math:`F_m` (also when the restricted optimum could
    not be verified), and polishing a polished network returns it (on a flat optimal set the solver may
    return another optimal point). When neither point is below the network's :math:`F_m` — the network is
    balanced and optimal for its own program, and rebuilding it from its blocks changed it by rounding
    only — the network itself is returned, so that the result is never above it even by one unit in the
    last place.
    """
    own = network_blocks(network, X_aug)
    restricted = solve_restricted(X_aug, y, beta, own.arrangement, own.blocks, loss)
    polished = network_from_blocks(network, own, restricted.u, restricted.v)
    u, v = np.zeros_like(restricted.u), np.zeros_like(restricted.v)
    for j in np.flatnonzero(own.pattern >= 0):
        block = abs(network.output_weights[j]) * network.augmented_weights[j]
        (u if own.sign[j] > 0 else v)[own.pattern[j]] += block
    start = network_from_blocks(network, own, u, v)
    rounding = network_rounding_scales(start, X_aug, y, beta)[1]
    start_objective, polished_objective = start.objective(X, y, beta, loss), polished.objective(X, y, beta, loss)
    if start_objective <= polished_objective + rounding:
        polished, polished_objective = start, start_objective
    if polished_objective > network.objective(X, y, beta, loss):
        polished = network  # the rebuilt blocks differ by rounding only: then the network is its own polish
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
        :math:`F_m(\theta)\le p^{\rm sub}+\mathrm{tol}\max(|F_m(\theta)|,\min(1,L(0)))+\delta_F`:
        relative, with an absolute floor of 1 capped at the objective :math:`L(0)` of the zero network
        (so that it never exceeds the scale of the problem when :math:`y` is in small units), plus
        the float64 rounding scale :math:`\delta_F` of both objectives
        (:func:`~.certificate.network_rounding_scales`): the network is optimal for its own
        sub-sampled program, i.e. a (Clarke/KKT) stationary point up to ``tol``.
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
    2. Stationary iff :math:`F_m(\theta)-p^{\rm sub}\le\mathrm{tol}\max(|F_m(\theta)|,\min(1,L(0)))+\delta_F` (THEORY §F:
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
    # relative to |F|, with an absolute floor of 1 (a trained network stops a fixed distance short)
    # capped at the scale of the problem, the objective L(0) of the zero network, so that in small
    # units of y a network far from stationary is not accepted; plus the float64 rounding of both
    scale = max(abs(objective), min(1.0, get_loss(loss).value(np.zeros_like(y), y)))
    rounding = sum(network_rounding_scales(point, X_aug, y, beta)[1] for point in (network, polished))
    optimal = bool(objective - optimum <= tol * scale + rounding)
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
        gradient_norm=safe_norm(gradient),
        subsampled_patterns=own.arrangement,
        subsampled_blocks=own.blocks,
        subsampled_optimum=float(optimum),
        subsampled_optimal=optimal,
        is_global_minimum=classification == "global",
        certificate=certificate,
        classification=classification,
        objective=float(objective),
        polished=judged,
        polish_distance=safe_norm(judged.to_vector() - network.to_vector()),
        polish_objective_change=float(objective - judged.objective(X, y, beta, loss)),
        tol=tol,
    )
