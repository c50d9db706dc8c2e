r"""Global-optimality certificate of any two-layer ReLU network (THEORY.md §F).

For a network :math:`\theta` with fit :math:`\hat y=f_\theta(X)` put :math:`\nu=-\nabla L(\hat y)`
and, over the patterns :math:`D_i` checked,

.. math:: V(\nu)=\max_i\max_{s=\pm1}\big\|\Pi_{\mathcal K_i}(s\,X^\top D_i\nu)\big\|,\qquad
          \mathrm{gap}=\frac\beta2\sum_j\big(\|\tilde w_j\|^2+\alpha_j^2\big)-\langle\nu,\hat y\rangle .

:math:`F(\theta)=p^{\rm c}` iff :math:`V\le\beta` and :math:`\mathrm{gap}=0`; then no network of any
width does better. :math:`-L^*(-\nu/\rho)`, :math:`\rho=\max(1,V/\beta)`, is a lower bound on
:math:`p^{\rm c}` when :math:`V` is computed over *every* pattern. With sampled patterns :math:`V`
is under-estimated: a violation :math:`V>\beta` still proves non-optimality (a small neuron along
``worst_direction`` lowers :math:`F` by about :math:`t^2(V-\beta)`), but :math:`V\le\beta` proves
nothing, so only an exhaustive arrangement may certify a global minimum.

Both tests allow a relative tolerance and the float64 rounding of the data (:func:`rounding_scales`):
:math:`V\le\beta(1+\mathrm{tol})+\delta_V` and :math:`\mathrm{gap}\le\mathrm{tol}\,|F|+\delta_F`. The
rounding scales are the accuracy to which :math:`V` and :math:`F` can be computed at all for these
data; they scale like :math:`V` and :math:`F` when the problem is rescaled, so the verdict does not
depend on the units of :math:`y` (an absolute floor such as :math:`\mathrm{tol}\max(1,|F|)` would
accept any point of a problem whose objective is far below 1).

All vectors of first-layer weights are in *augmented* coordinates: :math:`\tilde X=[X,\mathbf 1]`
when the network has a bias (``network.hidden_bias is not None``), :math:`X` otherwise.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from .._numerics import safe_norm
from ..arrangements import Arrangement, enumerate_patterns, sample_patterns
from ..convex.dual import dual_lower_bound, max_dual_violation
from ..losses import check_targets_for_loss, get_loss
from ..network import ReLUNetwork, check_beta

__all__ = ["Certificate", "check_beta_resolution", "dual_certificate", "network_rounding_scales",
           "objective_rounding_scale", "rounding_scales"]

PATTERN_CHOICES = ("exact", "sample")


@dataclass(frozen=True)
class Certificate:
    r"""The dual certificate of a network (THEORY §F).

    Attributes
    ----------
    dual : ndarray of shape (n,)
        :math:`\nu=-\nabla L(f_\theta(X))` (the residual :math:`y-\hat y` for the squared loss).
    lower_bound : float
        :math:`-L^*(-\nu/\rho)`, :math:`\rho=\max(1,V/\beta)`: a lower bound on :math:`p^{\rm c}`
        (hence on :math:`F_m` of every network of every width) when ``exhaustive``; with sampled
        patterns only a lower bound on the optimum of the sampled program.
    gap : float
        Fenchel–Young gap :math:`\frac\beta2\sum_j(\|\tilde w_j\|^2+\alpha_j^2)-\langle\nu,\hat y\rangle`
        (``objective`` minus the dual objective :math:`-L^*(-\nu)` of the unscaled :math:`\nu`).
    max_violation : float
        :math:`V(\nu)` over the patterns checked (exact, or an upper bound where a cone projection is
        ill-conditioned: :math:`\|g+X^\top S\lambda\|\ge\|\Pi_{\mathcal K}(g)\|` for every :math:`\lambda\ge0`).
    attained_violation : float
        :math:`s\langle\nu,(\tilde X\bar u)_+\rangle` at the worst direction :math:`\bar u`: a value of the
        dual constraint at one unit direction, so a certified lower bound on :math:`V(\nu)` over every
        direction (at most ``max_violation`` up to rounding).
    relative_violation : float
        :math:`V(\nu)/\beta`; :math:`\le1` is dual feasibility.
    worst_direction : ndarray of shape (d,) or (d+1,)
        Unit first-layer direction :math:`\Pi_{\mathcal K_i}(s\,g_i)/\|\cdot\|` of the largest value
        (augmented coordinates; zeros when :math:`V=0`).
    worst_sign : int
        Its output sign :math:`s\in\{+1,-1\}`.
    worst_pattern : ndarray of bool, shape (n,)
        The pattern :math:`D_i` of the largest value (the cone the direction lies in).
    objective : float
        :math:`F_m(\theta)` (``network.objective``).
    exhaustive : bool
        Whether every activation pattern of the data was checked.
    is_global_minimum : bool
        ``exhaustive and max_violation <= beta + violation_tolerance and gap <= gap_tolerance``.
    beta, tol : float
        The weight decay and the relative tolerance used.
    violation_tolerance : float
        :math:`\mathrm{tol}\,\beta+\delta_V`: how far :math:`V` may exceed :math:`\beta`
        (:func:`network_rounding_scales`).
    gap_tolerance : float
        :math:`\mathrm{tol}\,|F|+\delta_F`: how large the gap may be.
    arrangement : Arrangement
        The patterns checked.
    """

    dual: np.ndarray
    lower_bound: float
    gap: float
    max_violation: float
    attained_violation: float
    relative_violation: float
    worst_direction: np.ndarray
    worst_sign: int
    worst_pattern: np.ndarray
    objective: float
    exhaustive: bool
    is_global_minimum: bool
    beta: float
    tol: float
    violation_tolerance: float
    gap_tolerance: float
    arrangement: Arrangement = field(repr=False)

    @property
    def proves_non_optimality(self):
        r"""True when a direction attains :math:`s\langle\nu,(\tilde X\bar u)_+\rangle>\beta(1+\mathrm{tol})+\delta_V`:
        the network is not a global minimum (any patterns). Decided on ``attained_violation``, which is a value
        of the constraint, not on ``max_violation``, which may be an upper bound."""
        return self.attained_violation > self.beta + self.violation_tolerance


# ------------------------------------------------------------------------------ validation
def check_network(network, name="network"):
    """Check that ``network`` is a scalar-output :class:`ReLUNetwork`.

    Raises
    ------
    TypeError
        If it is not a ReLUNetwork.
    ValueError
        If it has vector outputs.
    """
    if not isinstance(network, ReLUNetwork):
        raise TypeError(f"{name} must be a ReLUNetwork, got {type(network).__name__}.")
    if network.output_weights.ndim != 1:
        raise ValueError(f"{name} must have a scalar output (output_weights of shape (m,)), got {network.output_weights.shape}.")
    return network


def check_problem(network, X, y, beta, loss, name="network"):
    """Validate a (network, data, beta, loss) problem.

    Returns
    -------
    X_aug : ndarray of shape (n, d) or (n, d+1)
        ``network.augment(X)``.
    y : ndarray of shape (n,)
    beta : float
    loss : str
        The loss name.

    Raises
    ------
    TypeError, ValueError
        Naming the offending argument (``network``, ``X``, ``y``, ``beta``, ``loss``).
    """
    check_network(network, name)
    X_aug = network.augment(X)
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be one-dimensional, got shape {y.shape}.")
    if y.shape[0] != X_aug.shape[0]:
        raise ValueError(f"X has {X_aug.shape[0]} samples but y has {y.shape[0]}.")
    try:
        y = y.astype(float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"y must be numeric: {error}") from error
    if not np.all(np.isfinite(y)):
        raise ValueError("y must contain only finite values.")
    beta = check_beta(beta)
    loss = check_targets_for_loss(y, loss).name
    with np.errstate(over="ignore", invalid="ignore"):
        finite = np.isfinite(network.squared_weight_norm()) and np.all(np.isfinite(network.predict(X)))
    if not finite:
        raise ValueError(
            f"{name} overflows: its squared weight norm or its predictions on X are not finite in float64 "
            "(weights or X too large)."
        )
    return X_aug, y, beta, loss


def check_tol(tol, name="tol"):
    """Return ``tol`` as a positive float or raise ValueError naming it."""
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"{name} must be a positive number, got {tol!r}.")
    return float(tol)


def resolve_patterns(X_aug, patterns, *, n_patterns=1000, random_state=None, require_exhaustive=False,
                     name="patterns"):
    """The arrangement of the augmented data ``X_aug`` asked for by ``patterns``.

    Parameters
    ----------
    X_aug : ndarray of shape (n, D)
    patterns : {"exact", "sample"} or Arrangement
        ``"exact"``: :func:`enumerate_patterns` of ``X_aug``; ``"sample"``: ``n_patterns``
        Gaussian gates; an Arrangement of ``X_aug`` is used as given.
    require_exhaustive : bool
        Refuse non-exhaustive patterns (ValueError).

    Returns
    -------
    Arrangement
    """
    if isinstance(patterns, Arrangement):
        if patterns.n_samples != X_aug.shape[0] or patterns.gates.shape[0] != X_aug.shape[1]:
            raise ValueError(
                f"{name} is an Arrangement of {patterns.n_samples} samples with gates of dimension "
                f"{patterns.gates.shape[0]}, but the (augmented) data have shape {X_aug.shape}."
            )
        arrangement = patterns
    elif isinstance(patterns, str) and patterns in PATTERN_CHOICES:
        if patterns == "exact":
            arrangement = enumerate_patterns(X_aug)
        elif require_exhaustive:
            arrangement = None
        else:
            arrangement = sample_patterns(X_aug, n_patterns, random_state=random_state)
    else:
        raise ValueError(f"{name} must be one of {PATTERN_CHOICES} or an Arrangement, got {patterns!r}.")
    if require_exhaustive and (arrangement is None or not arrangement.exhaustive):
        raise ValueError(
            f"{name} must be exhaustive here (every activation pattern of the data): use "
            f"{name}='exact' or an Arrangement from enumerate_patterns; sampled patterns can only "
            "prove non-optimality."
        )
    return arrangement


# ------------------------------------------------------------------------------ certificate
def rounding_scales(X_aug, y, magnitude, penalty, n_terms):
    r"""Absolute float64 rounding scales :math:`(\delta_V,\delta_F)` of :math:`V` and of :math:`F` (and the gap).

    A fit is a sum of terms whose sizes add up to ``magnitude`` :math:`a_k` at sample :math:`k`
    (:math:`\sum_j|\alpha_j|(\tilde x_k^\top\tilde w_j)_+` for a network), so with
    :math:`\mu_k=|y_k|+a_k` the fit :math:`\hat y_k` and the dual vector :math:`\nu_k` are known only
    to about :math:`\epsilon\mu_k` (unit roundoff :math:`\epsilon`; cancellation between terms does
    not make them more accurate). :math:`V` is 1-Lipschitz in :math:`\tilde X^\top D\nu`, and the gap
    and :math:`F` are sums of products of these numbers; with :math:`c=4(n+n_{\rm terms}+D)` roundings
    per quantity,

    .. math:: \delta_V=c\,\epsilon\,\|\tilde X\|_F\|\mu\|+c\,\eta,\qquad \delta_F=c\,\epsilon\,(\|\mu\|^2+R)+c\,\eta,

    :math:`R` the penalty, :math:`\eta=2^{-1074}` the absolute rounding of subnormal numbers. Both scale
    like :math:`V` and :math:`F` when the problem is rescaled (above the subnormal range)
    (:math:`y\to by`, :math:`\beta\to b\beta`, :math:`\theta\to\sqrt b\,\theta`), and they are far
    below :math:`\mathrm{tol}\,\beta` and :math:`\mathrm{tol}\,|F|` for well-scaled data; they matter
    when :math:`\beta` or :math:`F` is tiny next to the data, where smaller differences cannot be
    resolved in float64.

    Parameters
    ----------
    X_aug : ndarray of shape (n, D)
    y : ndarray of shape (n,)
    magnitude : ndarray of shape (n,)
        :math:`a_k`.
    penalty : float
        :math:`R`, e.g. :math:`\frac\beta2\sum_j(\|\tilde w_j\|^2+\alpha_j^2)`.
    n_terms : int
        Number of terms of the fit (neurons or blocks).

    Returns
    -------
    violation_scale, objective_scale : float
    """
    n, D = X_aug.shape
    count = 4.0 * (n + n_terms + D)
    roundoff = count * np.finfo(float).eps
    floor = count * np.finfo(float).smallest_subnormal  # absolute rounding below the normal range
    size = float(np.linalg.norm(np.abs(y) + magnitude))
    return (roundoff * float(np.linalg.norm(X_aug)) * size + floor,
            roundoff * (size**2 + abs(penalty)) + floor)


def network_rounding_scales(network, X_aug, y, beta):
    r""":func:`rounding_scales` of a network's fit and of its penalty
    :math:`\frac\beta2\sum_j(\|\tilde w_j\|^2+\alpha_j^2)`; returns ``(violation_scale, objective_scale)``."""
    magnitude = np.maximum(X_aug @ network.augmented_weights.T, 0.0) @ np.abs(network.output_weights)
    return rounding_scales(X_aug, y, magnitude, 0.5 * beta * network.squared_weight_norm(), network.width)


def check_beta_resolution(network, X_aug, y, beta, failure):
    r"""Raise ValueError naming ``beta`` when it is below the float64 resolution :math:`\delta_V` of :math:`V`.

    :math:`V(\nu)` is known only to :math:`\delta_V\approx\epsilon\|\tilde X\|\,\|y\|` (the first scale of
    :func:`network_rounding_scales`); when that is at least :math:`\beta`, :math:`V\le\beta` can be neither reached
    nor certified, and for the squared loss :math:`\nu^*=y-\hat y^*`, of order :math:`\beta/\|\tilde X\|` at
    the optimum, is below the rounding of the difference. ``failure`` (what went wrong) is then explained by
    ``beta``; rescaling X, y and ``beta`` together does not change :math:`\delta_V/\beta`, raising ``beta`` does.

    Parameters
    ----------
    network : ReLUNetwork
        Scalar-output network at which :math:`\delta_V` is taken.
    X_aug : ndarray of shape (n, D)
        ``network.augment(X)``.
    y : ndarray of shape (n,)
    beta : float
    failure : str
        What went wrong, completing the message.

    Raises
    ------
    ValueError
        If :math:`\delta_V\ge\beta`.
    """
    resolution = network_rounding_scales(network, X_aug, y, beta)[0]
    if resolution >= beta:
        raise ValueError(
            f"beta={beta:.3g} is below the float64 resolution of the dual constraint on these data: V(nu) is known "
            f"only to about {resolution:.2g} (~eps |X| |y|, which rescaling X, y and beta together does not change), "
            f"and {failure}; raise beta."
        )


def objective_rounding_scale(network, X_aug, y, beta, loss):
    r"""Float64 rounding scale of :math:`F_m(\theta)` as :meth:`ReLUNetwork.objective` evaluates it.

    With :math:`\mu_k=|y_k|+a_k` (:func:`rounding_scales`) the fit is known to :math:`c\,\epsilon\,\mu_k`; the
    loss moves by at most its first-order change :math:`\langle|\nu|,c\,\epsilon\mu\rangle`,
    :math:`\nu=-\nabla L(\hat y)`, plus :math:`\frac12(c\,\epsilon\|\mu\|)^2` (curvature at most 1 for both
    losses), and the penalty :math:`R` by :math:`c\,\epsilon R`:

    .. math:: \delta_{\rm eval}=c\,\epsilon\,(\langle|\nu|,\mu\rangle+R)+\tfrac12(c\,\epsilon\|\mu\|)^2+c\,\eta .

    Unlike the :math:`\delta_F` of :func:`rounding_scales` (which bounds the gap, a difference of terms of size
    :math:`\|\mu\|^2`) it is small where the fit is close to :math:`y`: it is the resolution to which two
    values of :math:`F` can be compared, e.g. along a path. It scales like :math:`F` when the problem is
    rescaled; norms are :func:`~sklearn_convexnn._numerics.safe_row_norms`.

    Parameters
    ----------
    network : ReLUNetwork
        Scalar-output network.
    X_aug : ndarray of shape (n, D)
        ``network.augment(X)``.
    y : ndarray of shape (n,)
    beta : float
    loss : str or loss object

    Returns
    -------
    float
    """
    n, D = X_aug.shape
    count = 4.0 * (n + network.width + D)
    roundoff = count * np.finfo(float).eps
    activations = np.maximum(X_aug @ network.augmented_weights.T, 0.0)
    size = np.abs(y) + activations @ np.abs(network.output_weights)
    nu = get_loss(loss).negative_gradient(activations @ network.output_weights, y)
    penalty = 0.5 * beta * network.squared_weight_norm()
    second_order = roundoff * safe_norm(size)
    return float(roundoff * (np.abs(nu) @ size + penalty) + 0.5 * second_order**2
                 + count * np.finfo(float).smallest_subnormal)


def certificate_of_fit(network, X, X_aug, y, beta, arrangement, loss, tol):
    """:class:`Certificate` for an already validated problem (``X_aug = network.augment(X)``)."""
    prediction = np.maximum(X_aug @ network.augmented_weights.T, 0.0) @ network.output_weights
    nu = get_loss(loss).negative_gradient(prediction, y)
    violation, index, sign, direction = max_dual_violation(nu, X_aug, arrangement.masks)
    lower = dual_lower_bound(nu, y, beta, violation, loss)
    objective = network.objective(X, y, beta, loss)
    gap = 0.5 * beta * network.squared_weight_norm() - float(nu @ prediction)
    worst_pattern = arrangement.masks[:, index].copy() if index >= 0 else np.zeros(X_aug.shape[0], dtype=bool)
    violation_scale, objective_scale = network_rounding_scales(network, X_aug, y, beta)
    violation_tolerance = tol * beta + violation_scale
    gap_tolerance = tol * abs(objective) + objective_scale
    is_global = bool(arrangement.exhaustive and violation <= beta + violation_tolerance and gap <= gap_tolerance)
    direction = np.asarray(direction, dtype=float)
    attained = sign * float(nu @ np.maximum(X_aug @ direction, 0.0)) if index >= 0 else 0.0
    return Certificate(
        dual=nu, lower_bound=float(lower), gap=float(gap), max_violation=float(violation), attained_violation=attained,
        relative_violation=float(violation) / beta, worst_direction=direction,
        worst_sign=int(sign), worst_pattern=worst_pattern, objective=float(objective),
        exhaustive=bool(arrangement.exhaustive), is_global_minimum=is_global, beta=beta, tol=tol,
        violation_tolerance=float(violation_tolerance), gap_tolerance=float(gap_tolerance), arrangement=arrangement,
    )


def dual_certificate(network, X, y, beta, patterns="exact", loss="squared", *, n_patterns=1000,
                     random_state=None, tol=1e-6):
    r"""Certify (or refute) that a network is a global minimum of the weight-decay problem (THEORY §F).

    Steps: :math:`\hat y=f_\theta(X)`, :math:`\nu=-\nabla L(\hat y)`; the violation
    :math:`V(\nu)=\max_{i,s}\|\Pi_{\mathcal K_i}(s\tilde X^\top D_i\nu)\|` over the patterns; the
    Fenchel–Young gap :math:`\frac\beta2\sum_j(\|\tilde w_j\|^2+\alpha_j^2)-\langle\nu,\hat y\rangle`;
    the lower bound :math:`-L^*(-\nu/\max(1,V/\beta))`. The network is a global minimum of
    :math:`F_m` for every width (its objective equals :math:`p^{\rm c}`) iff :math:`V\le\beta` and
    the gap is zero.

    Parameters
    ----------
    network : ReLUNetwork
        Scalar output; ``hidden_bias is None`` means no ones column.
    X : array-like of shape (n, d)
        Raw data (the ones column is appended for a network with a bias).
    y : array-like of shape (n,)
        Targets (``±1`` for the logistic loss).
    beta : float > 0
        Weight decay :math:`\beta`.
    patterns : {"exact", "sample"} or Arrangement, default="exact"
        Patterns of the augmented data over which :math:`V` is maximized. Only exhaustive
        patterns can certify optimality; sampled ones can only refute it.
    loss : {"squared", "logistic"}, default="squared"
    n_patterns : int, default=1000
        Gates drawn for ``patterns="sample"``.
    random_state : int, RandomState, Generator or None
        Seed of the sampled gates.
    tol : float, default=1e-6
        Relative tolerance of the tests :math:`V\le\beta(1+\mathrm{tol})+\delta_V` and
        :math:`\mathrm{gap}\le\mathrm{tol}\,|F|+\delta_F`, where :math:`\delta_V,\delta_F` are the
        float64 rounding scales of the data (:func:`network_rounding_scales`).

    Returns
    -------
    Certificate
        The dual vector, :math:`V`, the gap, the bound, the worst direction and the verdict.

    Raises
    ------
    TypeError, ValueError
        For a network that is not a scalar ReLUNetwork, data of the wrong shape, ``beta <= 0``,
        an unknown ``loss``/``patterns`` or an Arrangement of other data.
    EnumerationError
        With ``patterns="exact"`` on numerically degenerate data (a RuntimeError from
        :func:`~sklearn_convexnn.enumerate_patterns`); ``patterns="sample"`` works there.
    """
    X_aug, y, beta, loss = check_problem(network, X, y, beta, loss)
    tol = check_tol(tol)
    arrangement = resolve_patterns(X_aug, patterns, n_patterns=n_patterns, random_state=random_state)
    return certificate_of_fit(network, X, X_aug, y, beta, arrangement, loss, tol)
