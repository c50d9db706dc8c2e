r"""The convex program of a two-layer ReLU network (THEORY.md §C).

ReLU program (cone-constrained group lasso):

.. math:: (\mathrm C)\quad \min_{u_i,v_i\in\mathcal K_i}\;L\Big(\sum_{i=1}^P D_iX(u_i-v_i)\Big)
          +\beta\sum_{i=1}^P\big(\|u_i\|+\|v_i\|\big),\qquad
          \mathcal K_i=\{u:(2D_i-I)Xu\ge0\}.

Gated ReLU program (no cones, one block per gate):

.. math:: (\mathrm{CG})\quad \min_{u_i}\;L\Big(\sum_i D_iXu_i\Big)+\beta\sum_i\|u_i\|.

``X`` is used as given: append the column of ones yourself for a bias
(:func:`sklearn_convexnn.arrangements.add_intercept`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._numerics import normalised_rows, power_of_two_scale, safe_row_norms
from ..arrangements import MIN_SAMPLED_MARGIN, Arrangement, normalised_margins
from ..losses import check_targets_for_loss, get_loss
from ..network import GatedReLUNetwork, ReLUNetwork, check_beta, check_data
from .dual import dual_lower_bound, gate_lower_bound, max_dual_violation

__all__ = ["ConvexProgram", "ConvexSolution", "SolverError", "SolverResult", "ACTIVATIONS", "STATUSES",
           "TARGET_SCALE_RANGE", "FEATURE_SCALE_RANGE", "data_scales", "gap_scale",
           "relative_duality_gap", "zero_network_objective"]

ACTIVATIONS = ("relu", "gated")
#: squared-loss targets with max|y| outside this range are rescaled to max|y| = 1 for the backend, and divided by a
#: power of two (to max|y| in [1/2, 1)) in the adaptive search (:func:`data_scales`)
TARGET_SCALE_RANGE = (1e-3, 1e3)
#: data with max|X| outside this range are divided by a power of two for the backend (to max|X| in [1/2, 1)), and so
#: are they in the adaptive search (:func:`data_scales`)
FEATURE_SCALE_RANGE = (1e-3, 1e3)
#: ``solve`` keeps a backend's status "optimal" only while the certified relative duality gap is between
#: ``-tol`` and ``max(CERTIFIED_SLACK * tol, CERTIFIED_FLOOR)``: interior points stop by their own, scaled,
#: criteria (Clarabel's "optimal" logistic programs certify 3e-6 to 2e-5 relative in the test suite)
CERTIFIED_SLACK = 100
CERTIFIED_FLOOR = 1e-4


def data_scales(X, y, loss):
    r"""The powers of two :math:`(s, c)` by which the adaptive search divides targets and data far from unit scale
    (1: none); :math:`c` is also ``ConvexProgram._feature_scale``.

    :math:`s` brings :math:`\max|y|` to :math:`[1/2,1)` when it lies outside :data:`TARGET_SCALE_RANGE` (squared
    loss only: logistic labels are :math:`\pm1`), :math:`c` brings :math:`\max|X|` to :math:`[1/2,1)` when it lies
    outside :data:`FEATURE_SCALE_RANGE`. With weight decay :math:`\beta/(sc)` the program on :math:`(X/c, y/s)`
    at blocks :math:`(c/s)u` has :math:`1/s^2` times the objective of the program on :math:`(X, y)` at :math:`u`,
    and a network's :math:`F` at parameters :math:`\sqrt{c/s}\,\theta` is likewise :math:`1/s^2` times its
    :math:`F` at :math:`\theta` (THEORY §A). Powers of two divide exactly.
    """
    scale = power_of_two_scale(y, TARGET_SCALE_RANGE) if loss == "squared" else 1.0
    return scale, power_of_two_scale(X, FEATURE_SCALE_RANGE)


def gap_scale(objective, zero_objective, floor=1.0):
    r"""The scale of a duality gap: :math:`\max(|F|,\min(\text{floor},L(0)))` (:math:`L(0)`: the zero network).

    Relative to :math:`|F|`, with the floor 1 (in the units of the targets the user gave) for objectives near 0 —
    lowered to :math:`L(0)` when that is smaller: small targets (:math:`\tfrac12\|y\|^2<1`) then get a gap relative
    to their own size, as large ones do, instead of an absolute one (targets of 1e-2 on thin cones ended "optimal"
    at a gap equal to :math:`F=3.2\cdot10^{-5}`, and the same problem with :math:`y` and :math:`\beta` times
    :math:`10^4` warned). Every problem with :math:`L(0)\ge1` keeps the floor 1.
    """
    return max(abs(objective), min(floor, zero_objective))


def zero_network_objective(loss, prediction, dual):
    r""":math:`L(0)`, the zero network's objective, from a point's prediction :math:`\hat y` and dual
    :math:`\nu=-\nabla L(\hat y)`.

    Squared loss: :math:`\tfrac12\|y\|^2` with the targets :math:`y=\hat y+\nu`; logistic loss:
    :math:`n\log2` per output, whatever the labels. Vector outputs (arrays of shape (n, c)) alike.
    """
    loss = get_loss(loss)
    prediction = np.asarray(prediction, dtype=float)
    targets = prediction + dual if loss.name == "squared" else np.ones_like(prediction)
    return loss.value(np.zeros_like(prediction), targets)


def relative_duality_gap(duality_gap, objective, zero_objective):
    r"""A duality gap relative to :math:`\max(|F|,\min(1,L(0)))` (:func:`gap_scale`).

    Every solution's ``relative_gap`` (two-layer, three-layer, vector output); NaN stays NaN, and a
    positive gap on a zero scale is infinite.
    """
    scale = gap_scale(objective, zero_objective)
    if scale > 0:
        return duality_gap / scale
    return duality_gap if np.isnan(duality_gap) else (np.inf if duality_gap > 0 else 0.0)


class SolverError(RuntimeError):
    """A solver failed or reported the problem infeasible; no solution is returned."""


@dataclass(frozen=True)
class SolverResult:
    """What a solver backend returns: the blocks and how it stopped.

    Attributes
    ----------
    u, v : ndarray of shape (P, d)
        Blocks :math:`u_i, v_i` (``v`` is zero for the gated program).
    status : {"optimal", "inaccurate", "max_iter"}
    n_iter : int
    """

    u: np.ndarray
    v: np.ndarray
    status: str
    n_iter: int


@dataclass(frozen=True)
class ConvexSolution:
    r"""A point of the convex program with its certificate.

    Attributes
    ----------
    u, v : ndarray of shape (P, d)
        Per-pattern blocks; ``v`` is zero for the gated program.
    objective : float
        :math:`L(\hat y)+\beta\sum_i(\|u_i\|+\|v_i\|)`.
    prediction : ndarray of shape (n,)
        :math:`\hat y=\sum_iD_iX(u_i-v_i)`.
    dual : ndarray of shape (n,)
        :math:`\nu=-\nabla L(\hat y)`, recomputed from the primal point (never a solver multiplier).
    dual_violation : float
        :math:`V(\nu)` over the program's patterns.
    lower_bound : float
        :math:`-L^*(-\nu/\max(1,V/\beta))`, a certified lower bound on the program's optimum.
    duality_gap : float
        ``objective - lower_bound`` (>= 0 up to rounding).
    cone_violation : float
        :math:`\max_i\max(0,-(2D_i-I)Xu_i,-(2D_i-I)Xv_i)` (0 for gated).
    status, n_iter, solver
        How the backend stopped, its iteration count, and its name.
    beta, activation, loss, arrangement
        The program solved.
    """

    u: np.ndarray
    v: np.ndarray
    objective: float
    prediction: np.ndarray
    dual: np.ndarray
    dual_violation: float
    lower_bound: float
    duality_gap: float
    cone_violation: float
    status: str
    n_iter: int
    solver: str
    beta: float
    activation: str
    loss: str
    arrangement: Arrangement = field(repr=False)

    @property
    def relative_gap(self):
        r"""``duality_gap`` relative to :math:`\max(|F|,\min(1,L(0)))` (:func:`gap_scale`)."""
        return relative_duality_gap(self.duality_gap, self.objective, self.zero_network_objective)

    @property
    def zero_network_objective(self):
        r""":math:`L(0)`, the objective of the zero network (:func:`zero_network_objective`)."""
        return zero_network_objective(self.loss, self.prediction, self.dual)

    def block_norms(self):
        r"""Return :math:`(\|u_i\|, \|v_i\|)`, two arrays of shape (P,)."""
        return safe_row_norms(self.u), safe_row_norms(self.v)

    def to_network(self, *, drop_below=0.0):
        r"""Recover the network (THEORY §C): one neuron per non-zero block.

        For :math:`u_i\ne0`: :math:`w=u_i/\sqrt{\|u_i\|}`, :math:`\alpha=+\sqrt{\|u_i\|}`; for
        :math:`v_i\ne0` the same with :math:`\alpha=-\sqrt{\|v_i\|}`. Then
        :math:`(Xw)_+\alpha=\pm D_iXu_i` where :math:`u_i` lies in its cone, and
        :math:`\tfrac12(\|w\|^2+\alpha^2)=\|u_i\|`, so the network's objective equals this solution's
        objective when ``cone_violation`` is 0 (the native solvers' blocks; an interior point may leave its
        cones by a rounding-sized ``cone_violation``, which moves the network's objective by as much).

        Parameters
        ----------
        drop_below : float, default=0
            Blocks with norm at most ``drop_below`` times the largest block norm are dropped
            (solver noise); with 0 only exact zeros are dropped.

        Returns
        -------
        ReLUNetwork or GatedReLUNetwork
            Acting on ``X`` as given to the program (no separate bias).
        """
        norm_u, norm_v = self.block_norms()
        largest = max(norm_u.max(initial=0.0), norm_v.max(initial=0.0))
        threshold = drop_below * largest
        keep_u, keep_v = norm_u > threshold, norm_v > threshold
        blocks = np.vstack([self.u[keep_u], self.v[keep_v]])
        norms = np.concatenate([norm_u[keep_u], norm_v[keep_v]])
        scale = np.sqrt(norms)
        hidden = blocks / scale[:, None] if len(norms) else blocks
        output = np.concatenate([scale[: keep_u.sum()], -scale[keep_u.sum():]])
        if self.activation == "gated":
            gates = self.arrangement.gates.T[keep_u]
            return GatedReLUNetwork(gates, hidden, output)
        return ReLUNetwork(hidden, output)


class ConvexProgram:
    r"""The convex program (C) or (CG) of THEORY §C for data, targets, :math:`\beta` and patterns.

    Parameters
    ----------
    X : array-like of shape (n, d)
        Used as given (append a ones column yourself for a bias).
    y : array-like of shape (n,)
        Targets (``±1`` labels for the logistic loss).
    beta : float > 0
        Weight decay :math:`\beta`.
    arrangement : Arrangement
        The patterns :math:`D_1,\dots,D_P` (from ``enumerate_patterns`` or ``sample_patterns``).
    activation : {"relu", "gated"}
    loss : {"squared", "logistic"}
    blocks : bool array of shape (P, 2), optional
        Which blocks exist: ``blocks[i, 0]`` for :math:`u_i`, ``blocks[i, 1]`` for :math:`v_i`
        (the sub-sampled program of a network, THEORY §F, keeps one sign per pattern). Default: all
        (gated: only :math:`u_i`).
    """

    def __init__(self, X, y, beta, arrangement, activation="relu", loss="squared", blocks=None):
        self.X = check_data(X, "X", dtype=np.float64)
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be one-dimensional, got shape {y.shape}.")
        self.y = check_data(y, "y", dtype=np.float64, ensure_2d=False)
        if self.y.shape[0] != self.X.shape[0]:
            raise ValueError(f"X has {self.X.shape[0]} samples but y has {self.y.shape[0]}.")
        self.beta = check_beta(beta)
        if not isinstance(arrangement, Arrangement):
            raise TypeError(f"arrangement must be an Arrangement, got {type(arrangement).__name__}.")
        if arrangement.masks.shape[0] != self.X.shape[0]:
            raise ValueError(
                f"arrangement has patterns of {arrangement.masks.shape[0]} samples but X has {self.X.shape[0]}."
            )
        self.arrangement = arrangement
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}.")
        self.activation = activation
        self.loss = check_targets_for_loss(self.y, loss).name
        if blocks is None:
            blocks = np.ones((arrangement.n_patterns, 2), dtype=bool)
            if activation == "gated":
                blocks[:, 1] = False
        blocks = np.asarray(blocks)
        if blocks.shape != (arrangement.n_patterns, 2) or blocks.dtype != bool:
            raise ValueError(f"blocks must be a boolean array of shape ({arrangement.n_patterns}, 2), got {blocks.shape}.")
        if activation == "gated" and blocks[:, 1].any():
            raise ValueError("blocks[:, 1] (the v_i blocks) must be False for the gated program.")
        self.blocks = blocks
        self.blocks.setflags(write=False)
        self._cache = {}
        self._shared = {}  # shared with with_beta copies: beta_max and the rescaled program do not depend on beta
        self._gap_floor = 1.0  # see gap_tolerance

    # ------------------------------------------------------------------ data
    @property
    def masks(self):
        """Boolean (n, P) pattern matrix."""
        return self.arrangement.masks

    @property
    def n_patterns(self):
        """Number of patterns :math:`P`."""
        return self.arrangement.n_patterns

    @property
    def shape(self):
        """``(n, d, P)``."""
        return self.X.shape[0], self.X.shape[1], self.n_patterns

    @property
    def beta_max(self):
        r""":math:`\beta_{\max}=V(\nu_0)`, :math:`\nu_0=-\nabla L(0)`, over the program's blocks (THEORY §D step 9).

        For :math:`\beta\ge\beta_{\max}` the zero point is optimal: :math:`\nu_0` is dual feasible and
        its dual objective :math:`-L^*(-\nu_0)` equals :math:`L(0)` (Fenchel–Young with equality at
        :math:`\hat y=0`), so the gap is zero. It does not depend on :math:`\beta`.
        """
        if "beta_max" not in self._shared:
            nu_zero = get_loss(self.loss).zero_prediction_dual(self.y)
            self._shared["beta_max"] = float(
                max_dual_violation(nu_zero, self.X, self.masks, self.activation, blocks=self.blocks)[0]
            )
        return self._shared["beta_max"]

    def _zero_is_optimal(self):
        r""":math:`\beta\ge\beta_{\max}`, decided by the strongest patterns at :math:`\nu_0` when one of them
        already violates (then :attr:`beta_max`, which prices every pattern exactly, is not needed): first at
        the gates (:func:`~.dual.gate_lower_bound`, one product), else by projections."""
        if "beta_max" not in self._shared:
            nu_zero = get_loss(self.loss).zero_prediction_dual(self.y)
            if gate_lower_bound(nu_zero, self.X, self.masks, self.arrangement.gates, self.blocks) > self.beta:
                return False
            if max_dual_violation(nu_zero, self.X, self.masks, self.activation, blocks=self.blocks,
                                  enough=self.beta)[0] > self.beta:
                return False
        return self.beta >= self.beta_max

    def _target_scale(self):
        r"""The factor :math:`s` by which the backend's targets are divided (1: none).

        For the squared loss, :math:`\tfrac12\|\hat y-y\|^2+\beta\sum\|u_i\|` at :math:`u` equals
        :math:`s^2` times the objective of the program with targets :math:`y/s` and weight decay
        :math:`\beta/s` at :math:`u/s`. Targets far from unit scale are solved that way, because
        Clarabel misreports such problems (e.g. "infeasible" for :math:`\max|y|=10^6`). Here :math:`s=\max|y|`
        (the backend's blocks are multiplied back, and its certificate computed on this program); the adaptive
        search divides by a power of two instead (:func:`data_scales`), as it returns its whole result in the
        units given.
        """
        if data_scales(self.X, self.y, self.loss)[0] == 1.0:  # the same targets are rescaled as there
            return 1.0
        return float(np.max(np.abs(self.y)))

    def _feature_scale(self):
        r"""The power of two :math:`c` by which the backend's data are divided (1: none; see :func:`data_scales`).

        :math:`(X/c)(cu)=Xu` and :math:`(\beta/c)\|cu\|=\beta\|u\|`: the program on :math:`X/c` with weight
        decay :math:`\beta/c` at :math:`cu` has the same objective. Data far from unit scale are solved that
        way (the native solvers' squared norms of columns underflow for features of 1e-30, and they stalled
        far above the optimum for features of 1e-10); a power of two divides exactly.
        """
        return power_of_two_scale(self.X, FEATURE_SCALE_RANGE)

    def _rescaled(self, scale, feature_scale=1.0):
        """The program with data ``X / feature_scale``, targets ``y / scale`` and weight decay
        ``beta / (scale * feature_scale)`` (compiled state shared)."""
        key = ("rescaled", scale, feature_scale)
        beta = self.beta / (scale * feature_scale)
        if key not in self._shared:
            rescaled = ConvexProgram(self.X / feature_scale, self.y / scale, beta, self.arrangement, self.activation,
                                     self.loss, blocks=self.blocks)
            rescaled._gap_floor = min(1.0, scale ** -2)  # the floor of 1 in this program's units (gap_tolerance)
            self._shared[key] = rescaled
        return self._shared[key].with_beta(beta)

    def gap_tolerance(self, tol, objective):
        r"""The duality gap at which a native solver stops: :math:`\text{tol}\cdot\max(|F|,\min(1,L(0)))`.

        The floor (1, or :math:`L(0)`, the zero network's objective, when smaller: :func:`gap_scale`) is in the
        units of the targets the user gave: on the program a large-target problem
        is handed to the backend as (targets :math:`y/s`, objective :math:`F/s^2`, see ``_target_scale``)
        it is :math:`1/s^2`, so that the gap certified on the user's program is again at most
        :math:`\text{tol}\cdot\max(|F|,\min(1,L(0)))` (``ConvexSolution.relative_gap`` at most ``tol``). Small
        targets (:math:`s<1`) keep the floor 1 on the rescaled program, which is stricter.
        """
        if "zero_objective" not in self._shared:
            self._shared["zero_objective"] = get_loss(self.loss).value(np.zeros(len(self.y)), self.y)
        return tol * gap_scale(objective, self._shared["zero_objective"], self._gap_floor)

    def with_beta(self, beta):
        """The same program with another :math:`\\beta`, sharing compiled solver state."""
        program = object.__new__(ConvexProgram)
        program.__dict__.update(self.__dict__)
        program.beta = check_beta(beta)
        return program

    def gate_margins(self):
        r"""The normalised margins of the arrangement's gates in their own cones.

        For pattern :math:`i` with gate :math:`g_i` and signs :math:`s_{ik}=\pm1`, the margin
        :math:`\min_ks_{ik}x_k^\top g_i/(\|x_k\|\|g_i\|)` over the non-zero rows of ``X``: how far the unit gate lies
        inside :math:`\mathcal K_i=\{u:(2D_i-I)Xu\ge0\}`, a lower bound on the largest margin of a point of the cone.
        Cones whose points all have margins below about :math:`10^{-12}` have no interior the solvers resolve in
        float64 (features of very different sizes).

        Returns
        -------
        ndarray of shape (P,)
            The margins; NaN where the gates do not act on the columns of ``X`` or a gate is not in its cone.
        """
        gates = np.asarray(self.arrangement.gates, dtype=float)
        nonzero = np.abs(self.X).max(axis=1, initial=0.0) > 0
        if gates.shape[0] != self.X.shape[1] or not nonzero.any():
            return np.full(self.n_patterns, np.nan)
        unit_rows = normalised_rows(self.X[nonzero])
        inside = np.all((unit_rows @ gates >= 0) == self.masks[nonzero], axis=0)
        return np.where(inside, normalised_margins(unit_rows, gates.T), np.nan)

    def _numerical_diagnosis(self, infeasible=False, only_unresolvable=False):
        """Sentences on what makes this ReLU program numerically hard, for the errors and warnings of a failed solve.

        Names the patterns whose gates satisfy their cone constraints only by a margin below float64's resolution
        (:meth:`gate_margins`), the smallest margin, and the range of magnitudes of the columns of ``X`` (features
        of very different sizes make thin cones). With ``infeasible``, says first that the program is always feasible.
        With ``only_unresolvable``, returns "" unless some gate is below ``MIN_SAMPLED_MARGIN``. "" for the gated
        program (no cones) unless ``infeasible``.
        """
        parts = []
        if infeasible:
            parts.append("The program is always feasible (u = v = 0): this is a numerical failure.")
        if self.activation == "relu" and self.n_patterns:
            margins = self.gate_margins()
            unresolvable = np.flatnonzero(margins < MIN_SAMPLED_MARGIN)
            if only_unresolvable and not len(unresolvable):
                return ""
            columns = np.abs(self.X).max(axis=0)
            columns = columns[columns > 0]
            if len(unresolvable):
                listed = ", ".join(str(i) for i in unresolvable[:10]) + (", ..." if len(unresolvable) > 10 else "")
                parts.append(
                    f"{len(unresolvable)} of the {self.n_patterns} patterns ({listed}) have gates inside their cones "
                    f"(2D_i - I) X g >= 0 only by a normalised margin min_k |x_k'g| / (|x_k| |g|) below "
                    f"{MIN_SAMPLED_MARGIN:g} (smallest {np.nanmin(margins):.2g}): these cones have no interior "
                    "resolvable in float64."
                )
            elif np.isfinite(margins).any():
                parts.append("The smallest normalised margin min_k |x_k'g| / (|x_k| |g|) of a gate inside its cone is "
                             f"{np.nanmin(margins):.2g}.")
            if len(columns) > 1:
                parts.append(f"The columns of X range from {columns.min():.2g} to {columns.max():.2g} in magnitude; "
                             "features of very different sizes make thin cones: standardize X.")
        return " ".join(parts)

    # ------------------------------------------------------------ evaluation
    def prediction(self, u, v=None):
        r"""Return :math:`\hat y=\sum_iD_iX(u_i-v_i)` for blocks of shape (P, d) (only the non-zero blocks are multiplied)."""
        blocks = u if v is None else u - v
        used = _nonzero_rows(blocks)
        return self.blocks_prediction(blocks[used], used)

    def blocks_prediction(self, W, patterns):
        r"""Return :math:`\sum_bD_{i_b}Xw_b` for blocks ``W`` (m, d) of the ``patterns`` :math:`i_b` (m,)."""
        return np.einsum("nm,nm->n", self.masks[:, patterns], self.X @ W.T)

    def objective_of(self, u, v=None):
        r"""Return :math:`L(\hat y)+\beta\sum_i(\|u_i\|+\|v_i\|)`."""
        penalty = safe_row_norms(u).sum()
        if v is not None:
            penalty += safe_row_norms(v).sum()
        return self._objective(self.prediction(u, v), penalty)

    def blocks_objective(self, W, patterns):
        r"""Return :math:`L(\sum_bD_{i_b}Xw_b)+\beta\sum_b\|w_b\|` for blocks ``W`` (m, d) of the ``patterns`` (m,).

        Signed blocks: :math:`w_b=u_{i_b}` or :math:`-v_{i_b}`, one per pattern and sign.
        """
        return self._objective(self.blocks_prediction(W, patterns), safe_row_norms(W).sum())

    def _objective(self, prediction, penalty):
        return get_loss(self.loss).value(prediction, self.y) + self.beta * float(penalty)

    def objective(self, solution):
        """The objective of a :class:`ConvexSolution` (or of a pair of blocks ``(u, v)``)."""
        if isinstance(solution, ConvexSolution):
            return self.objective_of(solution.u, solution.v)
        u, v = solution
        return self.objective_of(u, v)

    def cone_violation(self, u, v):
        r"""Return :math:`\max(0,\max_{i,k}-[(2D_i-I)X u_i]_k,\ldots v_i\ldots)`; 0 for gated."""
        if self.activation == "gated":
            return 0.0
        worst = min(self.cone_slack(u)[1].min(initial=0.0), self.cone_slack(v)[1].min(initial=0.0))
        return float(max(0.0, -worst))

    def cone_slack(self, blocks):
        r"""The non-zero blocks and their smallest cone slack :math:`\min_k[(2D_i-I)Xb_i]_k`.

        Zero blocks satisfy their cones, so only the blocks in use are multiplied (a network's point
        uses a few hundred of the thousands of patterns of a large program).

        Parameters
        ----------
        blocks : ndarray of shape (P, d)
            :math:`u` or :math:`v`.

        Returns
        -------
        used : int ndarray
            Indices of the non-zero blocks.
        slack : ndarray of shape (len(used),)
            Negative where a block lies outside its cone.
        """
        used = _nonzero_rows(blocks)
        products = self.X @ blocks[used].T
        return used, np.where(self.masks[:, used], products, -products).min(axis=0, initial=np.inf)

    def max_violation(self, solution):
        """Largest cone-constraint violation of a :class:`ConvexSolution` (0 for gated)."""
        return self.cone_violation(solution.u, solution.v)

    def solution(self, u, v=None, *, status="optimal", n_iter=0, solver="given", active=None, dual_violation=None):
        """Build a :class:`ConvexSolution` for blocks, with the dual, bound and gap computed here.

        The dual is :math:`\\nu=-\\nabla L(\\hat y)`; the bound is that of THEORY §F step 3, so the
        gap does not depend on what the solver reports. ``active`` (int, (P, 2, k)) optionally
        warm-starts the cone projections of the dual constraint (a solver's last pricing); it changes
        the speed, not the result. ``dual_violation`` is :math:`V(\\nu)` over the program's blocks when
        the caller has already evaluated it exactly at this :math:`\\nu` (the ``max_value`` of
        :func:`~sklearn_convexnn.convex.dual.dual_constraint` when above its ``above``); by default it
        is computed here.
        """
        u = np.asarray(u, dtype=float)
        v = np.zeros_like(u) if v is None else np.asarray(v, dtype=float)
        expected = (self.n_patterns, self.X.shape[1])
        if u.shape != expected or v.shape != expected:
            raise ValueError(f"blocks must have shape {expected}, got {u.shape} and {v.shape}.")
        if np.any(u[~self.blocks[:, 0]]) or np.any(v[~self.blocks[:, 1]]):
            raise ValueError("u and v must be zero on the blocks the program does not have.")
        loss = get_loss(self.loss)
        prediction = self.prediction(u, v)
        objective = self.objective_of(u, v)
        nu = loss.negative_gradient(prediction, self.y)
        if active is not None and np.shape(active)[:2] != (self.n_patterns, 2):
            active = None
        if dual_violation is None:
            dual_violation = max_dual_violation(nu, self.X, self.masks, self.activation, blocks=self.blocks,
                                                active=active)[0]
        violation = float(dual_violation)
        lower = dual_lower_bound(nu, self.y, self.beta, violation, self.loss)
        return ConvexSolution(
            u=u, v=v, objective=objective, prediction=prediction, dual=nu,
            dual_violation=violation, lower_bound=lower, duality_gap=objective - lower,
            cone_violation=self.cone_violation(u, v), status=status, n_iter=int(n_iter),
            solver=solver, beta=self.beta, activation=self.activation, loss=self.loss,
            arrangement=self.arrangement,
        )

    # ---------------------------------------------------------------- solve
    def solve(self, solver="auto", *, tol=1e-8, max_iter=None, warm_start=None, verbose=False, **options):
        r"""Solve the program.

        Parameters
        ----------
        solver : str, default="auto"
            ``"cvxpy"`` (Clarabel, the exact reference), a native solver name from
            :data:`sklearn_convexnn.convex.solvers.SOLVERS`, or ``"auto"``.
        tol : float
            Target tolerance of the backend.
        max_iter : int or None
            Iteration cap of the backend.
        warm_start : ConvexSolution or None
            A previous solution on the same patterns (used by backends that can).
        verbose : bool
        **options
            Passed to the backend.

        Returns
        -------
        ConvexSolution
            For :math:`\beta\ge` :attr:`beta_max` the zero solution, exactly optimal, without calling
            the backend (``solver="zero"``).

        Notes
        -----
        Squared-loss targets with :math:`s=\max|y|` outside :data:`TARGET_SCALE_RANGE` are handed to
        the backend as :math:`y/s` with weight decay :math:`\beta/s`, and its blocks are multiplied by
        :math:`s` (an exact identity, see ``_target_scale``). Likewise data with :math:`\max|X|` outside
        :data:`FEATURE_SCALE_RANGE` are handed over as :math:`X/c` with weight decay :math:`\beta/c`, a power of
        two :math:`c` (``_feature_scale``), and the blocks divided by :math:`c`. The dual, bound and gap are
        computed on this program.

        Warns
        -----
        ConvergenceWarning
            If the backend stopped before its tolerance was met (status ``"inaccurate"`` or
            ``"max_iter"``, kept in ``ConvexSolution.status``), or reported "optimal" at a point whose
            certified relative duality gap is above ``max(CERTIFIED_SLACK * tol, CERTIFIED_FLOOR)`` or below ``-tol``
            (status ``"inaccurate"``).

        Raises
        ------
        SolverError
            If the backend raised (anything but a ValueError/TypeError about its arguments; a
            ``LinAlgError`` is a solver failure), reported the problem infeasible or failed, returned a
            status outside :data:`STATUSES`, or blocks that are not finite or not of shape (P, d). A report of
            infeasibility (the program never is: u = v = 0) is followed by what makes the program hard numerically:
            the patterns whose gates lie in their cones by a normalised margin below 1e-12 (cones without an interior
            resolvable in float64, :meth:`gate_margins`), else the smallest such margin, and the range of magnitudes
            of the columns of ``X``; any other failure by those patterns, if there are any. The warnings of a
            backend that stopped early name those patterns too.
            For invalid ``tol``/``max_iter``, or raised by the backend about its arguments.
        """
        from .solvers import resolve_solver

        name, backend = resolve_solver(solver, self)
        if isinstance(tol, bool) or not (isinstance(tol, (int, float, np.integer, np.floating)) and 0 < tol < np.inf):
            raise ValueError(f"tol must be a positive number, got {tol!r}.")
        if max_iter is not None and (isinstance(max_iter, (bool, np.bool_))
                                     or not isinstance(max_iter, (int, np.integer)) or max_iter < 1):
            raise ValueError(f"max_iter must be a positive integer or None, got {max_iter!r}.")
        if self._zero_is_optimal():
            # THEORY §D step 9: the zero point is optimal with a zero gap. No backend is needed, and
            # interior-point solvers return noise blocks, or fail, on this degenerate problem.
            zeros = np.zeros((self.n_patterns, self.X.shape[1]))
            return self.solution(zeros, zeros, status="optimal", n_iter=0, solver="zero")
        scale, feature_scale = self._target_scale(), self._feature_scale()
        target = self if scale == feature_scale == 1.0 else self._rescaled(scale, feature_scale)
        factor = scale / feature_scale  # the blocks of this program are factor times the backend's
        if target is not self and warm_start is not None:  # a ConvexSolution or a pair of blocks (u, v)
            u, v = (warm_start.u, warm_start.v) if isinstance(warm_start, ConvexSolution) else warm_start
            warm_start = target.solution(np.asarray(u) / factor, np.asarray(v) / factor)
        try:
            with warnings.catch_warnings():
                # cvxpy's own warning; the status it describes is reported below as a ConvergenceWarning
                warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
                result = backend(target, tol=tol, max_iter=max_iter, warm_start=warm_start, verbose=verbose,
                                 **options)
        except SolverError as error:
            infeasible = "infeasible" in str(error)  # it never is: name what made the backend say so
            diagnosis = self._numerical_diagnosis(infeasible=infeasible, only_unresolvable=not infeasible)
            if not diagnosis:
                raise
            raise SolverError(f"{error} {diagnosis}") from error
        except (ValueError, TypeError) as error:
            if not isinstance(error, np.linalg.LinAlgError):
                raise  # bad arguments (e.g. a backend that does not solve this program), named by the backend
            raise SolverError(f"solver {name!r} failed with {type(error).__name__}: {error}") from error
        except Exception as error:  # any other failure of a backend is a solver failure, never obscure
            raise SolverError(f"solver {name!r} failed with {type(error).__name__}: {error}") from error
        _check_result(result, name, (self.n_patterns, self.X.shape[1]))
        solution = self.solution(factor * result.u, factor * result.v, status=result.status, n_iter=result.n_iter,
                                 solver=name, active=target._cache.pop("dual_active", None))
        if result.status == "optimal" and not -tol <= solution.relative_gap <= max(CERTIFIED_SLACK * tol,
                                                                                  CERTIFIED_FLOOR):
            # the backend's own test passed, this program's certificate does not: an interior point's tolerances
            # apply to its scaled problem; a negative gap is a point outside its cones
            solution = replace(solution, status="inaccurate")
            warnings.warn(
                f"solver {name!r} reported an optimal solution, but the certified relative duality gap is "
                f"{solution.relative_gap:.2e} (tol {tol:g}); its status is 'inaccurate'.",
                ConvergenceWarning,
                stacklevel=2,
            )
        elif result.status != "optimal":
            diagnosis = self._numerical_diagnosis(only_unresolvable=True)
            warnings.warn(
                f"solver {name!r} stopped with status {result.status!r} after {result.n_iter} iterations; "
                f"relative duality gap {solution.relative_gap:.2e}." + (" " + diagnosis if diagnosis else ""),
                ConvergenceWarning,
                stacklevel=2,
            )
        return solution


#: the statuses a backend may report with a solution (SolverResult.status)
STATUSES = ("optimal", "inaccurate", "max_iter")


def _nonzero_rows(blocks):
    """Indices of the non-zero rows of ``blocks`` (P, d): the blocks in use, the only ones worth multiplying."""
    return np.flatnonzero(np.any(blocks != 0, axis=1))


def _check_result(result, name, shape):
    """Raise SolverError unless a backend returned a usable SolverResult of blocks of ``shape``."""
    if not isinstance(result, SolverResult):
        raise SolverError(f"solver {name!r} returned {type(result).__name__}, not a SolverResult.")
    if result.status not in STATUSES:
        raise SolverError(
            f"solver {name!r} ended with status {result.status!r} (a solution needs one of {STATUSES})."
        )
    for block_name in ("u", "v"):
        block = np.asarray(getattr(result, block_name))
        if block.shape != shape:
            raise SolverError(f"solver {name!r} returned {block_name} of shape {block.shape}, expected {shape}.")
        if not np.issubdtype(block.dtype, np.number) or not np.all(np.isfinite(block)):
            raise SolverError(
                f"solver {name!r} returned non-finite blocks ({block_name}; status {result.status!r})."
            )
