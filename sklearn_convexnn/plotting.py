r"""Matplotlib figures as pure functions: data in, Axes out (THEORY.md notation).

Every function takes already computed arrays or networks (the mathematics lives in the rest of the
package), an optional ``ax``, and returns the Axes it drew on; without ``ax`` it makes a new Figure
of at most 7 x 4.5 inches. Colours come from the colour-blind-safe Okabe–Ito palette, and where
colour carries meaning a marker shape or line style carries it too.

Lecture by lecture:

* patterns and the convex program (lecture 1): :func:`plot_network_1d`, :func:`plot_gate_plane`,
  :func:`plot_gate_data`, :func:`plot_pattern_counts`, :func:`plot_objective_gaps`;
* duality (lecture 2): :func:`plot_dual_circle`;
* stationary points, paths, the staircase (lectures 4-6): :func:`plot_stationary_runs`,
  :func:`plot_loss_path`, :func:`plot_staircase`;
* practice (lecture 8): :func:`plot_scores`, :func:`plot_validation_curve`,
  :func:`plot_predictions`, :func:`plot_objective_curve`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = [
    "OKABE_ITO",
    "ACTIVE_COLOR",
    "INACTIVE_COLOR",
    "new_axes",
    "neuron_kinks_1d",
    "plot_network_1d",
    "plot_gate_plane",
    "plot_gate_data",
    "plot_pattern_counts",
    "plot_objective_gaps",
    "plot_objective_curve",
    "plot_dual_circle",
    "RUN_STYLES",
    "plot_stationary_runs",
    "plot_loss_path",
    "plot_staircase",
    "plot_scores",
    "plot_validation_curve",
    "plot_predictions",
    "plot_loss_path_segments",
    "plot_staircase_regime",
    "plot_dictionary_bounds",
    "plot_constant_path",
    "plot_network_difference",
    "plot_three_layer_runs",
    "dual_circle_values",
    "plot_cone_projection",
    "plot_polytope_coefficients",
    "plot_relative_violations",
]

#: Okabe–Ito colour-blind-safe palette
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
#: colour of samples with :math:`x_k^\top g\ge0` (in the pattern :math:`D(g)`)
ACTIVE_COLOR = OKABE_ITO[3]
#: colour of samples with :math:`x_k^\top g<0`
INACTIVE_COLOR = OKABE_ITO[0]


def new_axes(ax=None, figsize=(6.0, 4.0)):
    """Return ``ax`` or a new Axes on a new Figure of size ``figsize`` (inches)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _vector(values, name, ndim=1):
    array = np.asarray(values, dtype=float)
    if array.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {array.shape}.")
    return array


def _same_length(first, second, names):
    if len(first) != len(second):
        raise ValueError(f"{names[0]} and {names[1]} must have the same length, got {len(first)} and {len(second)}.")


# --------------------------------------------------------------------------------------------
# Lecture 1: networks, patterns, objectives
# --------------------------------------------------------------------------------------------


def neuron_kinks_1d(network):
    r"""Kink locations :math:`x=-b_j/w_j` of the neurons of a 1-D network with bias.

    Neurons with :math:`w_j=0` have no kink and are skipped. Returns an array of shape (k,).
    """
    if network.n_features != 1 or network.hidden_bias is None:
        raise ValueError("network must have one input feature and a hidden bias to have kinks on the line.")
    w = network.hidden_weights[:, 0]
    keep = w != 0
    return -network.hidden_bias[keep] / w[keep]


def plot_network_1d(network, X, y, *, ax=None, grid=None, label="network", color=OKABE_ITO[0],
                    show_neurons=True, show_kinks=True, title=None):
    r"""Draw a 1-D network :math:`f(x)=\sum_j(w_jx+b_j)_+\alpha_j`, its data, kinks and neurons.

    Parameters
    ----------
    network : ReLUNetwork
        One input feature, with a hidden bias.
    X : ndarray of shape (n, 1)
    y : ndarray of shape (n,)
    ax : Axes, optional
    grid : ndarray of shape (k,), optional
        Where to evaluate :math:`f` (default: the data range widened by 20 %).
    label, color : str
        Legend label and colour of :math:`f`.
    show_neurons : bool
        Draw each neuron's contribution :math:`(w_jx+b_j)_+\alpha_j`, one colour per neuron.
    show_kinks : bool
        Mark the kinks :math:`x=-b_j/w_j` inside the plotted range.
    title : str, optional

    Returns
    -------
    Axes
    """
    ax = new_axes(ax)
    x = np.asarray(X, dtype=float)[:, 0]
    if grid is None:
        low, high = x.min(), x.max()
        pad = 0.2 * max(high - low, 1e-9)
        grid = np.linspace(low - pad, high + pad, 400)
    G = grid[:, None]
    ax.scatter(x, y, color="black", zorder=3, s=25, label="data")
    ax.plot(grid, network.predict(G), color=color, lw=2.2, label=label, zorder=2)
    if show_neurons and network.width:
        contributions = np.maximum(network.preactivations(G), 0.0) * network.output_weights
        for j in range(network.width):
            ax.plot(grid, contributions[:, j], lw=0.9, ls="--", color=OKABE_ITO[(j + 1) % len(OKABE_ITO)], alpha=0.8)
    kinks = np.zeros(0)
    if show_kinks and network.width and network.hidden_bias is not None:
        kinks = neuron_kinks_1d(network)
        kinks = kinks[(kinks >= grid[0]) & (kinks <= grid[-1])]
    if kinks.size:
        ax.scatter(kinks, network.predict(kinks[:, None]), marker="v", color=color, s=45, zorder=4,
                   label="kinks $x=-b_j/w_j$")
    ax.set_xlabel("$x$")
    ax.set_ylabel(r"$f_\theta(x)$")
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_gate_plane(X, gate, *, ax=None, axis_labels=("$w$", "$b$"), title=None, resolution=1440):
    r"""The plane of gates :math:`g\in\mathbb R^2`: the lines :math:`x_k^\top g=0` and the cone of ``gate``.

    For data whose rows :math:`x_k\in\mathbb R^2` (e.g. 1-D inputs with the bias column,
    :math:`\tilde x_k=(x_k,1)`, so :math:`g=(w,b)`) each sample is a line through the origin. The lines cut
    the plane into the open regions of the arrangement; the region containing ``gate`` (shaded) is
    the interior of the cone :math:`\mathcal K_i=\{u:(2D_i-I)Xu\ge0\}` of its pattern
    :math:`D_i=D(g)`. Rotating the gate across a line switches exactly one sample on or off.

    Parameters
    ----------
    X : ndarray of shape (n, 2)
        The (augmented) data, one normal per row.
    gate : ndarray of shape (2,)
    ax : Axes, optional
    axis_labels : pair of str
        Names of the two gate coordinates.
    title : str, optional
    resolution : int
        Number of directions sampled to shade the cone.

    Returns
    -------
    Axes
    """
    X = _vector(X, "X", ndim=2)
    gate = _vector(gate, "gate")
    if X.shape[1] != 2 or gate.shape != (2,):
        raise ValueError(f"X must have 2 columns and gate 2 entries, got {X.shape} and {gate.shape}.")
    ax = new_axes(ax, figsize=(4.5, 4.5))
    radius = 1.25
    for row in X:
        norm = np.linalg.norm(row)
        if norm == 0:
            continue
        along = np.array([-row[1], row[0]]) / norm * radius
        ax.plot([-along[0], along[0]], [-along[1], along[1]], color="0.6", lw=0.8, zorder=1)
    ax.plot([], [], color="0.6", lw=0.8, label=r"lines $x_k^\top g=0$")
    # The cone of the gate: the directions with the same sign vector as the gate.
    angles = np.linspace(-np.pi, np.pi, int(resolution), endpoint=False)
    circle = np.column_stack([np.cos(angles), np.sin(angles)])
    same = np.all((circle @ X.T >= 0) == (X @ gate >= 0), axis=1)
    for start, stop in _runs(same):
        arc = angles[start:stop]
        wedge_x = np.concatenate([[0.0], radius * np.cos(arc), [0.0]])
        wedge_y = np.concatenate([[0.0], radius * np.sin(arc), [0.0]])
        ax.fill(wedge_x, wedge_y, color=OKABE_ITO[5], alpha=0.35, lw=0, zorder=0)
    ax.fill([], [], color=OKABE_ITO[5], alpha=0.35, label=r"cone $\mathcal{K}_i$ of $D(g)$")
    unit = gate / max(np.linalg.norm(gate), 1e-300)
    ax.annotate("", xy=unit, xytext=(0, 0), arrowprops=dict(arrowstyle="-|>", color=ACTIVE_COLOR, lw=2.0), zorder=3)
    ax.plot([], [], color=ACTIVE_COLOR, lw=2.0, label="gate $g$")
    ax.set_xlim(-radius, radius)
    ax.set_ylim(-radius, radius)
    ax.set_aspect("equal")
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.set_title(title or f"{int(np.sum(X @ gate >= 0))} of {len(X)} samples active")
    ax.legend(loc="lower left", fontsize="x-small")
    return ax


def _runs(flags):
    """``(start, stop)`` of the maximal runs of True in a cyclic boolean array (a run may wrap)."""
    flags = np.asarray(flags, dtype=bool)
    if flags.all():
        return [(0, flags.size)]
    if not flags.any():
        return []
    shift = int(np.argmin(flags))  # start scanning at a False, so no run wraps
    rolled = np.roll(flags, -shift)
    edges = np.diff(np.concatenate([[0], rolled.astype(int), [0]]))
    runs = []
    for start, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        indices = (np.arange(start, stop) + shift) % flags.size
        # split a wrapped run into two contiguous pieces of the original array
        cut = np.flatnonzero(np.diff(indices) < 0)
        pieces = np.split(indices, cut + 1)
        runs.extend((int(piece[0]), int(piece[-1]) + 1) for piece in pieces)
    return runs


def plot_gate_data(X, gate, *, y=None, ax=None, title=None):
    r"""The data seen by one gate :math:`g=(w,b)`: samples with :math:`w^\top x_k+b\ge0` are active.

    Active samples (the diagonal of :math:`D(g)`) are drawn as filled vermillion circles, inactive
    ones as open blue squares. For 1-D data the threshold :math:`x=-b/w` is a vertical line and the
    samples sit at height ``y`` (or 0); for 2-D data the line :math:`w^\top x+b=0` is drawn with the
    active half-plane shaded and the normal :math:`w` as an arrow.

    Parameters
    ----------
    X : ndarray of shape (n, 1) or (n, 2)
        Inputs, without the ones column.
    gate : ndarray of shape (d + 1,)
        :math:`(w, b)`, the bias last.
    y : ndarray of shape (n,), optional
        Heights of 1-D samples.
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    X = _vector(X, "X", ndim=2)
    gate = _vector(gate, "gate")
    n, d = X.shape
    if d not in (1, 2) or gate.shape != (d + 1,):
        raise ValueError(f"X must have 1 or 2 columns and gate d + 1 entries, got {X.shape} and {gate.shape}.")
    w, b = gate[:-1], gate[-1]
    active = X @ w + b >= 0
    ax = new_axes(ax, figsize=(5.0, 4.0) if d == 2 else (6.0, 3.5))
    if d == 1:
        x = X[:, 0]
        heights = np.zeros(n) if y is None else _vector(y, "y")
        low, high = x.min(), x.max()
        pad = 0.2 * max(high - low, 1e-9)
        ax.set_xlim(low - pad, high + pad)
        if w[0] != 0:
            threshold = -b / w[0]
            side = (threshold, high + pad) if w[0] > 0 else (low - pad, threshold)
            ax.axvspan(*side, color=ACTIVE_COLOR, alpha=0.08, lw=0)
            if low - pad <= threshold <= high + pad:
                ax.axvline(threshold, color=ACTIVE_COLOR, lw=1.5, ls="--", label=r"threshold $x=-b/w$")
        elif b >= 0:
            ax.axvspan(low - pad, high + pad, color=ACTIVE_COLOR, alpha=0.08, lw=0)
        ax.scatter(x[active], heights[active], color=ACTIVE_COLOR, marker="o", s=40, zorder=3,
                   label=r"active: $wx_k+b\geq 0$")
        ax.scatter(x[~active], heights[~active], facecolors="none", edgecolors=INACTIVE_COLOR, marker="s", s=40,
                   zorder=3, label="inactive")
        ax.set_xlabel("$x$")
        ax.set_ylabel("$y$" if y is not None else "")
        if y is None:
            ax.set_yticks([])
    else:
        low, high = X.min(axis=0), X.max(axis=0)
        pad = 0.2 * np.maximum(high - low, 1e-9)
        (x0, y0), (x1, y1) = low - pad, high + pad
        grid_x, grid_y = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
        values = w[0] * grid_x + w[1] * grid_y + b
        if values.max() >= 0:
            ax.contourf(grid_x, grid_y, values, levels=[0, max(values.max(), 1e-12)], colors=[ACTIVE_COLOR], alpha=0.08)
        if values.min() < 0 < values.max():
            ax.contour(grid_x, grid_y, values, levels=[0], colors=[ACTIVE_COLOR], linewidths=1.5, linestyles="--")
            ax.plot([], [], color=ACTIVE_COLOR, ls="--", label=r"line $w^\top x+b=0$")
        centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
        if np.linalg.norm(w) > 0:
            arrow = 0.15 * min(x1 - x0, y1 - y0) * w / np.linalg.norm(w)
            foot = centre - (w @ centre + b) / (w @ w) * w  # the point of the line closest to the centre
            ax.annotate("", xy=foot + arrow, xytext=foot,
                        arrowprops=dict(arrowstyle="-|>", color=ACTIVE_COLOR, lw=1.8))
        ax.scatter(X[active, 0], X[active, 1], color=ACTIVE_COLOR, marker="o", s=40, zorder=3,
                   label=r"active: $w^\top x_k+b\geq 0$")
        ax.scatter(X[~active, 0], X[~active, 1], facecolors="none", edgecolors=INACTIVE_COLOR, marker="s", s=40,
                   zorder=3, label="inactive")
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
    ax.set_title(title or f"pattern $D(g)$: {int(active.sum())} of {n} samples active")
    ax.legend(loc="best", fontsize="x-small")
    return ax


def plot_pattern_counts(n_samples, counts, *, formula=None, label="enumerated", formula_label="formula",
                        color=OKABE_ITO[0], marker="o", ax=None, title=None):
    r"""Number :math:`P` of activation patterns against the number of samples :math:`n`.

    Call it once per data dimension on the same Axes to compare, e.g., :math:`2n-1` (1-D with bias)
    with :math:`n^2-n+1` (2-D with bias, general position).

    Parameters
    ----------
    n_samples : ndarray of shape (k,)
    counts : ndarray of shape (k,)
        Enumerated numbers of patterns.
    formula : ndarray of shape (k,), optional
        The predicted counts, drawn as a line.
    label, formula_label : str
    color, marker : str
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    n_samples = _vector(n_samples, "n_samples")
    counts = _vector(counts, "counts")
    _same_length(n_samples, counts, ("n_samples", "counts"))
    ax = new_axes(ax)
    if formula is not None:
        formula = _vector(formula, "formula")
        _same_length(n_samples, formula, ("n_samples", "formula"))
        ax.plot(n_samples, formula, color=color, lw=1.2, ls="-", alpha=0.7, label=formula_label)
    ax.plot(n_samples, counts, color=color, marker=marker, ls="none", ms=6, label=label)
    ax.set_xlabel("number of samples $n$")
    ax.set_ylabel("number of patterns $P$")
    ax.set_title(title or "Patterns grow polynomially in $n$, not like $2^n$")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_objective_gaps(objectives, optimum, *, labels=None, ax=None, title=None, tol=1e-7):
    r"""Bars of :math:`F_m(\theta)-p^{\rm c}` for several trained networks (runs).

    A bar at (or above) zero means the run did not beat the convex optimum; runs within ``tol``
    (relative) of :math:`p^{\rm c}` are drawn in green, the others in orange.

    Parameters
    ----------
    objectives : ndarray of shape (k,)
        :math:`F_m` of each run.
    optimum : float
        :math:`p^{\rm c}`.
    labels : sequence of str, optional
        One label per run (default: "seed i").
    ax : Axes, optional
    title : str, optional
    tol : float
        Relative tolerance for "reached the optimum".

    Returns
    -------
    Axes
    """
    objectives = _vector(objectives, "objectives")
    labels = [f"seed {i}" for i in range(len(objectives))] if labels is None else list(labels)
    _same_length(objectives, labels, ("objectives", "labels"))
    excess = objectives - float(optimum)
    reached = excess <= tol * max(1.0, abs(float(optimum)))
    ax = new_axes(ax)
    colors = [OKABE_ITO[2] if hit else OKABE_ITO[1] for hit in reached]
    ax.bar(np.arange(len(excess)), excess, color=colors, hatch=[None if hit else "//" for hit in reached])
    ax.axhline(0.0, color="black", lw=1.0, label=r"$p^{\mathrm{c}}$ (convex optimum)")
    ax.set_xticks(np.arange(len(excess)), labels, rotation=45, ha="right", fontsize="small")
    ax.set_ylabel(r"$F_m(\theta)-p^{\mathrm{c}}$")
    ax.set_title(title or "No run ends below the convex optimum")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_objective_curve(x, objectives, *, reference=None, reference_label="reference", xlabel="",
                         ylabel=r"objective $F$", ax=None, title=None, log_x=False):
    r"""An objective against a parameter (e.g. the restricted optimum against the number of sampled patterns).

    Parameters
    ----------
    x : ndarray of shape (k,)
    objectives : ndarray of shape (k,)
    reference : float, optional
        A horizontal line (e.g. the objective of another model).
    reference_label, xlabel, ylabel : str
    ax : Axes, optional
    title : str, optional
    log_x : bool

    Returns
    -------
    Axes
    """
    x = _vector(x, "x")
    objectives = _vector(objectives, "objectives")
    _same_length(x, objectives, ("x", "objectives"))
    ax = new_axes(ax)
    ax.plot(x, objectives, color=OKABE_ITO[0], marker="o", lw=1.5, label="objective")
    if reference is not None:
        ax.axhline(float(reference), color=OKABE_ITO[3], ls="--", lw=1.2, label=reference_label)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    return ax


# --------------------------------------------------------------------------------------------
# Lectures 2-6: duality, stationary points, paths, staircase
# --------------------------------------------------------------------------------------------


def plot_dual_circle(angles, values, beta, *, optimal_angles=None, ax=None, title=None):
    r"""The dual constraint on the circle of directions :math:`u(\varphi)=(\cos\varphi,\sin\varphi)`.

    Draws :math:`\varphi\mapsto|\langle\nu,(Xu(\varphi))_+\rangle|` (for :math:`X` with two columns,
    e.g. 1-D data with the bias column) against the level :math:`\beta`: :math:`\nu` is dual feasible iff
    the curve stays below the line (THEORY §D, circle form). Directions where it touches :math:`\beta` are
    the candidate optimal directions.

    Parameters
    ----------
    angles : ndarray of shape (k,)
        :math:`\varphi` in radians, increasing.
    values : ndarray of shape (k,)
        :math:`|\langle\nu,(Xu(\varphi))_+\rangle|`.
    beta : float
    optimal_angles : ndarray, optional
        Angles of optimal directions, marked on the line :math:`\beta`.
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    angles = _vector(angles, "angles")
    values = _vector(values, "values")
    _same_length(angles, values, ("angles", "values"))
    beta = float(beta)
    ax = new_axes(ax)
    ax.plot(angles, values, color=OKABE_ITO[0], lw=1.8, label=r"$|\langle\nu,(Xu(\varphi))_+\rangle|$")
    ax.axhline(beta, color="black", lw=1.0, ls="--", label=r"$\beta$")
    ax.fill_between(angles, beta, values, where=values > beta, color=OKABE_ITO[3], alpha=0.3, lw=0,
                    label="violation")
    if optimal_angles is not None and len(optimal_angles):
        optimal_angles = _vector(optimal_angles, "optimal_angles")
        ax.plot(optimal_angles, np.full(optimal_angles.shape, beta), ls="none", marker="*", ms=13,
                color=OKABE_ITO[1], markeredgecolor="black", zorder=4, label="optimal directions")
    ax.set_xlabel(r"direction angle $\varphi$ (radians)")
    ax.set_ylabel("dual constraint")
    ax.set_title(title or r"$\nu$ is feasible iff the curve stays below $\beta$")
    ax.legend(loc="best", fontsize="small")
    return ax


#: colours and markers of the classes of :func:`plot_stationary_runs`
RUN_STYLES = {
    "global": (OKABE_ITO[2], "o"),
    "spurious": (OKABE_ITO[3], "X"),
    "not stationary": (OKABE_ITO[7], "s"),
}


def plot_stationary_runs(objectives, labels, optimum, *, ax=None, title=None):
    r"""Final objectives of training runs, sorted, one marker style per class.

    Parameters
    ----------
    objectives : ndarray of shape (k,)
        :math:`F_m` at the end of each run.
    labels : sequence of str
        Class of each run, one of ``"global"``, ``"spurious"``, ``"not stationary"``.
    optimum : float
        :math:`p^{\rm c}`, drawn as a line.
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    objectives = _vector(objectives, "objectives")
    labels = list(labels)
    _same_length(objectives, labels, ("objectives", "labels"))
    unknown = sorted(set(labels) - set(RUN_STYLES))
    if unknown:
        raise ValueError(f"labels must be among {sorted(RUN_STYLES)}, got {unknown}.")
    order = np.argsort(objectives, kind="stable")
    ax = new_axes(ax)
    for name, (color, marker) in RUN_STYLES.items():
        ranks = [r for r, i in enumerate(order) if labels[i] == name]
        if ranks:
            ax.scatter(ranks, objectives[order][ranks], color=color, marker=marker, s=45, zorder=3,
                       label=f"{name} ({len(ranks)})")
    ax.axhline(float(optimum), color="black", lw=1.0, ls="--", label=r"$p^{\mathrm{c}}$")
    ax.set_xlabel("run (sorted by final objective)")
    ax.set_ylabel(r"$F_m(\theta)$ at the end of training")
    ax.set_title(title or "Where training runs stop")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_loss_path(t, objectives, *, t_current=None, optimum=None, ax=None, title=None):
    r"""The objective :math:`F_m(\theta(t))` along a path, with the current point marked.

    Parameters
    ----------
    t : ndarray of shape (k,)
        Path parameter, increasing.
    objectives : ndarray of shape (k,)
    t_current : float, optional
        Where to put the marker (the objective there is interpolated).
    optimum : float, optional
        :math:`p^{\rm c}`, drawn as a line.
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    t = _vector(t, "t")
    objectives = _vector(objectives, "objectives")
    _same_length(t, objectives, ("t", "objectives"))
    ax = new_axes(ax)
    ax.plot(t, objectives, color=OKABE_ITO[0], lw=1.8, label=r"$F_m(\theta(t))$")
    if optimum is not None:
        ax.axhline(float(optimum), color="black", lw=1.0, ls="--", label=r"$p^{\mathrm{c}}$")
    if t_current is not None:
        ax.plot([t_current], [np.interp(t_current, t, objectives)], marker="o", ms=9, color=OKABE_ITO[3], zorder=4,
                label=f"$t={t_current:.3g}$")
    ax.set_xlabel("path parameter $t$")
    ax.set_ylabel(r"objective $F_m$")
    ax.set_title(title or "The objective never increases along the path")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_staircase(m_star, M_star, n_plus_1, width=None, *, max_width=None, ax=None, title=None):
    r"""The critical widths :math:`m^*\le M^*` and :math:`\min\{m^*+M^*,n+1\}` on the axis of widths.

    The regimes of THEORY §E are shaded: below :math:`m^*` (the convex optimum is out of reach),
    from :math:`m^*` to :math:`M^*` (isolated optima may exist), above :math:`M^*` (no isolated
    point), and from :math:`\min\{m^*+M^*,n+1\}` on (the optimal set is connected).

    Parameters
    ----------
    m_star, M_star, n_plus_1 : int
    width : int, optional
        The current width :math:`m`, marked by a vertical line.
    max_width : int, optional
        Right end of the axis (default: a little beyond the last critical width).
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    m_star, M_star, n_plus_1 = int(m_star), int(M_star), int(n_plus_1)
    if not 0 <= m_star <= M_star:
        raise ValueError(f"need 0 <= m_star <= M_star, got {m_star} and {M_star}.")
    connected = min(m_star + M_star, n_plus_1)
    right = max_width or max(connected, M_star, width or 0) + 2
    ax = new_axes(ax, figsize=(6.5, 2.6))
    spans = [
        (0.5, m_star - 0.5, "0.85", r"$m<m^*$: optimum not reached"),
        (m_star - 0.5, M_star + 0.5, OKABE_ITO[5], r"$m^*\leq m\leq M^*$"),
        (M_star + 0.5, connected - 0.5, OKABE_ITO[1], r"$m>M^*$: no isolated point"),
        (max(connected - 0.5, M_star + 0.5), right + 0.5, OKABE_ITO[2], r"$m\geq\min\{m^*+M^*,n+1\}$: connected"),
    ]
    for left, stop, color, label in spans:
        if stop > left:
            ax.axvspan(left, stop, color=color, alpha=0.35, lw=0, label=label)
    for value, name in ((m_star, "$m^*$"), (M_star, "$M^*$"), (n_plus_1, "$n+1$")):
        ax.axvline(value, color="black", lw=0.8, ls=":")
        ax.text(value, 1.02, name, transform=ax.get_xaxis_transform(), ha="center", va="bottom", fontsize="small")
    if width is not None:
        ax.axvline(int(width), color=OKABE_ITO[3], lw=2.5, label=f"width $m={int(width)}$")
    ax.set_xlim(0.5, right + 0.5)
    ax.set_yticks([])
    ax.set_xlabel("width $m$")
    ax.set_title(title or "The staircase of connectivity", pad=16)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="x-small")
    return ax


# --------------------------------------------------------------------------------------------
# Lecture 8: model selection and comparison
# --------------------------------------------------------------------------------------------


def plot_scores(scores, *, ylabel="score", ax=None, title=None):
    r"""Cross-validation scores of several models: one column of points per model, mean as a bar.

    Parameters
    ----------
    scores : mapping of str to ndarray of shape (k,)
        Model name to its per-fold scores.
    ylabel : str
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    if not isinstance(scores, Mapping) or not scores:
        raise TypeError("scores must be a non-empty mapping of model name to per-fold scores.")
    ax = new_axes(ax)
    for position, (name, values) in enumerate(scores.items()):
        values = _vector(values, f"scores[{name!r}]")
        color = OKABE_ITO[position % len(OKABE_ITO)]
        ax.bar(position, values.mean(), color=color, alpha=0.35, width=0.6)
        ax.errorbar(position, values.mean(), yerr=values.std(), color="black", capsize=5, lw=1.0)
        ax.scatter(np.full(values.shape, position, dtype=float), values, color=color, s=30, zorder=3,
                   edgecolors="black", linewidths=0.5)
    ax.set_xticks(np.arange(len(scores)), list(scores), fontsize="small")
    ax.set_ylabel(ylabel)
    ax.set_title(title or "Cross-validation scores (points: folds; bar: mean ± std)")
    return ax


def plot_validation_curve(values, mean_scores, std_scores=None, *, best=None, xlabel=r"$\beta$",
                          ylabel="mean CV score", log_x=True, ax=None, title=None):
    r"""Mean cross-validation score against a hyper-parameter (e.g. from ``GridSearchCV.cv_results_``).

    Parameters
    ----------
    values : ndarray of shape (k,)
        Hyper-parameter values.
    mean_scores : ndarray of shape (k,)
    std_scores : ndarray of shape (k,), optional
        Drawn as a band of ± one standard deviation.
    best : float, optional
        The selected value, marked.
    xlabel, ylabel : str
    log_x : bool
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    values = _vector(values, "values")
    mean_scores = _vector(mean_scores, "mean_scores")
    _same_length(values, mean_scores, ("values", "mean_scores"))
    order = np.argsort(values)
    values, mean_scores = values[order], mean_scores[order]
    ax = new_axes(ax)
    ax.plot(values, mean_scores, color=OKABE_ITO[0], marker="o", lw=1.5, label="mean CV score")
    if std_scores is not None:
        std_scores = _vector(std_scores, "std_scores")[order]
        ax.fill_between(values, mean_scores - std_scores, mean_scores + std_scores, color=OKABE_ITO[0], alpha=0.2,
                        lw=0, label="± one std")
    if best is not None:
        ax.axvline(float(best), color=OKABE_ITO[3], ls="--", lw=1.2, label=f"selected: {float(best):g}")
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title or "Model selection over the weight decay")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_predictions(y_true, y_pred, *, ax=None, label="predictions", title=None):
    r"""Predicted against true targets, with the diagonal :math:`\hat y=y`.

    Parameters
    ----------
    y_true, y_pred : ndarray of shape (n,)
    ax : Axes, optional
    label : str
    title : str, optional

    Returns
    -------
    Axes
    """
    y_true = _vector(y_true, "y_true")
    y_pred = _vector(y_pred, "y_pred")
    _same_length(y_true, y_pred, ("y_true", "y_pred"))
    ax = new_axes(ax, figsize=(4.8, 4.5))
    low = min(y_true.min(), y_pred.min())
    high = max(y_true.max(), y_pred.max())
    ax.plot([low, high], [low, high], color="black", lw=1.0, ls="--", label=r"$\hat y=y$")
    ax.scatter(y_true, y_pred, color=OKABE_ITO[0], s=18, alpha=0.7, label=label)
    ax.set_xlabel("true target $y$")
    ax.set_ylabel(r"prediction $\hat y$")
    ax.set_aspect("equal", adjustable="datalim")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small")
    return ax


# --------------------------------------------------------------------------------------------
# Lectures 5-7: paths with their segments, the regime of the staircase, beyond two layers
# --------------------------------------------------------------------------------------------


def plot_loss_path_segments(t, objectives, segments, segment_start, *, t_current=None, optimum=None, ax=None,
                            title=None):
    r""":func:`plot_loss_path` with the building blocks of the path (THEORY §G) marked and named.

    Segment :math:`k` of a :class:`~sklearn_convexnn.landscape.paths.LossPath` covers
    :math:`t\in[k,k+1]`; each is drawn between dotted lines and labelled by its building block
    (``"balance"``, ``"descend"``, ``"add-neuron"``, ...).

    Parameters
    ----------
    t : ndarray of shape (k,)
        Path parameter, increasing.
    objectives : ndarray of shape (k,)
        :math:`F_m(\theta(t))`.
    segments : sequence of str
        Building block of each segment.
    segment_start : ndarray of int
        Index in ``t`` of the first point of each segment.
    t_current : float, optional
        Where to put the marker.
    optimum : float, optional
        :math:`p^{\rm c}`, drawn as a line.
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    t = _vector(t, "t")
    segments = list(segments)
    segment_start = np.asarray(segment_start, dtype=int)
    if segment_start.shape != (len(segments),):
        raise ValueError(f"segment_start must have one entry per segment ({len(segments)}), got shape "
                         f"{segment_start.shape}.")
    if len(segments) and (segment_start.min() < 0 or segment_start.max() >= len(t)):
        raise ValueError(f"segment_start must index points of t (0 to {len(t) - 1}).")
    ax = plot_loss_path(t, objectives, t_current=t_current, optimum=optimum, ax=ax, title=title)
    ends = np.append(segment_start[1:], len(t) - 1)
    for k, (name, first, last) in enumerate(zip(segments, segment_start, ends)):
        if k:
            ax.axvline(t[first], color="0.6", lw=0.7, ls=":", zorder=0)
        ax.text(0.5 * (t[first] + t[last]), 0.02, name, transform=ax.get_xaxis_transform(), rotation=90,
                ha="center", va="bottom", fontsize="x-small", color="0.35")
    return ax


def plot_staircase_regime(regime, *, max_width=None, ax=None, title=None):
    r"""The staircase of :func:`plot_staircase` at the width of a regime, with its five statements.

    Parameters
    ----------
    regime : StaircaseRegime
        From :func:`~sklearn_convexnn.staircase_regime` (its ``widths`` and flags are drawn).
    max_width : int, optional
        Right end of the axis.
    ax : Axes, optional
    title : str, optional
        Default: the width and the statements that hold there.

    Returns
    -------
    Axes
    """
    m_star, M_star, n_plus_1 = (int(value) for value in regime.widths)
    m = int(regime.width)
    ax = plot_staircase(m_star, M_star, n_plus_1, width=m, max_width=max_width, ax=ax, title=title or " ")
    statements = [
        ("finite", regime.finite, r"$m=m^*$: finitely many optima"),
        ("curve", regime.nontrivial_component, r"$m\geq m^*+1$: a component that is not a point"),
        ("isolated", regime.isolated_point_exists, "an isolated optimum exists"),
        ("none isolated", regime.no_isolated_point, "no optimum is isolated"),
        ("connected", regime.connected, r"$m\geq\min\{m^*+M^*,n+1\}$: connected"),
    ]
    if title is None:
        if not regime.optimal:
            title = rf"$m={m}<m^*={m_star}$: no network of this width is optimal"
        else:
            holding = [short for short, flag, _ in statements if flag]
            title = rf"$m={m}$: " + ", ".join(holding)
        ax.set_title(title, pad=16)
    lines = [("yes" if flag else "no ") + "  " + text for _, flag, text in statements]
    ax.text(0.02, 0.05, "\n".join(lines), transform=ax.transAxes, ha="left", va="bottom", fontsize="x-small",
            bbox=dict(boxstyle="round", facecolor="white", alpha=0.85, lw=0.5))
    return ax


def plot_dictionary_bounds(grid_sizes, grid_upper, grid_lower, refinement, *, ax=None, title=None):
    r"""Bounds on the ReLU vector-output optimum :math:`p^*` against the dictionary size :math:`K` (THEORY §I.1).

    Everything is drawn above the best certified lower bound :math:`\underline p` of ``refinement``
    (log scale): the dictionary optimum of nested sphere grids (an upper bound that creeps down),
    their certified gaps (upper minus their own lower bound), and the dictionary optimum of column
    generation, which reaches :math:`\underline p` within the solver's tolerance.

    Parameters
    ----------
    grid_sizes : ndarray of shape (k,)
        Dictionary sizes of the grid levels.
    grid_upper, grid_lower : ndarray of shape (k,)
        Their optima (upper bounds) and certified lower bounds.
    refinement : DictionaryRefinement
        From :func:`~sklearn_convexnn.extensions.vector_output.dictionary_refinement` (its
        ``n_directions``, ``upper_bounds`` and ``best_lower_bound`` are drawn).
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    grid_sizes = _vector(grid_sizes, "grid_sizes")
    grid_upper = _vector(grid_upper, "grid_upper")
    grid_lower = _vector(grid_lower, "grid_lower")
    _same_length(grid_sizes, grid_upper, ("grid_sizes", "grid_upper"))
    _same_length(grid_sizes, grid_lower, ("grid_sizes", "grid_lower"))
    best = float(refinement.best_lower_bound)
    if not np.isfinite(best):
        raise ValueError("refinement has no certified lower bound (the exact dual check needs rank X <= 3).")
    floor = 1e-12 * max(1.0, abs(best))
    sizes = _vector(refinement.n_directions, "refinement.n_directions")
    upper = _vector(refinement.upper_bounds, "refinement.upper_bounds")
    ax = new_axes(ax)
    ax.plot(grid_sizes, np.maximum(grid_upper - best, floor), color=OKABE_ITO[0], marker="o", lw=1.5,
            label=r"sphere grids: upper bound $-\underline{p}$")
    ax.plot(grid_sizes, np.maximum(grid_upper - grid_lower, floor), color=OKABE_ITO[5], marker="^", ls="--",
            lw=1.2, label="sphere grids: certified gap")
    ax.plot(sizes, np.maximum(upper - best, floor), color=OKABE_ITO[3], marker="s", lw=1.5,
            label=r"column generation: upper bound $-\underline{p}$")
    ax.set_yscale("log")
    ax.set_xscale("log")
    ax.set_xlabel("dictionary size $K$")
    ax.set_ylabel(r"objective above the certified bound $\underline{p}$")
    ax.set_title(title or "Column generation certifies; uniform grids creep down")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_constant_path(t, objectives, *, reference=None, t_current=None, ax=None, title=None):
    r"""The objective along a path between two optimal networks, relative to the optimum.

    Draws :math:`F(\theta(t))-p^*` (default :math:`p^*=F(\theta(0))`): a path inside the optimal set
    is flat up to rounding, which the y-axis (scaled to the largest deviation) makes visible.

    Parameters
    ----------
    t : ndarray of shape (k,)
    objectives : ndarray of shape (k,)
        :math:`F(\theta(t))`.
    reference : float, optional
        :math:`p^*` (default ``objectives[0]``).
    t_current : float, optional
        Where to put the marker (interpolated).
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    t = _vector(t, "t")
    objectives = _vector(objectives, "objectives")
    _same_length(t, objectives, ("t", "objectives"))
    reference = float(objectives[0] if reference is None else reference)
    deviation = objectives - reference
    ax = new_axes(ax, figsize=(5.5, 3.8))
    ax.plot(t, deviation, color=OKABE_ITO[2], marker="o", ms=3, lw=1.5, label=r"$F(\theta(t))-p^*$")
    ax.axhline(0.0, color="black", lw=0.8, ls="--")
    if t_current is not None:
        ax.plot([t_current], [np.interp(t_current, t, deviation)], marker="o", ms=9, color=OKABE_ITO[3], zorder=4,
                label=f"$t={t_current:.3g}$")
    scale = max(float(np.max(np.abs(deviation))), 1e-15 * max(1.0, abs(reference)))
    ax.set_ylim(-2 * scale, 2 * scale)
    ax.set_xlabel("path parameter $t$")
    ax.set_ylabel(r"$F(\theta(t))-p^*$")
    ax.set_title(title or f"Constant objective: largest deviation {float(np.max(np.abs(deviation))):.1e}")
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_network_difference(network_a, network_b, X, *, fit_intercept=True, extent=None, resolution=161, ax=None,
                            title=None):
    r"""The map :math:`x\mapsto\|f_A(x)-f_B(x)\|` of two networks on the plane, with the data.

    Two optimal networks have the same fit :math:`\hat Y^*` on the data but can differ elsewhere.

    Parameters
    ----------
    network_a, network_b : ReLUNetwork
        Networks with two inputs, or three acting on :math:`(x,1)` when ``fit_intercept``.
    X : ndarray of shape (n, 2)
        The data, without the ones column (drawn as points).
    fit_intercept : bool, default=True
        Append the column of ones to the grid points before predicting (networks that act on
        :math:`\tilde X=[X,\mathbf 1]` as given, as the vector-output programs return them).
    extent : float, optional
        Half-width of the square drawn (default: twice the largest coordinate of ``X``).
    resolution : int, default=161
        Grid points per side.
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    X = _vector(X, "X", ndim=2)
    if X.shape[1] != 2:
        raise ValueError(f"X must have 2 columns, got shape {X.shape}.")
    extent = 2.0 * float(np.abs(X).max()) if extent is None else float(extent)
    side = np.linspace(-extent, extent, int(resolution))
    grid = np.column_stack([axis.ravel() for axis in np.meshgrid(side, side)])
    inputs = np.column_stack([grid, np.ones(len(grid))]) if fit_intercept else grid
    points = np.column_stack([X, np.ones(len(X))]) if fit_intercept else X
    difference = (network_a.predict(inputs) - network_b.predict(inputs)).reshape(len(grid), -1)
    gap = np.linalg.norm(difference, axis=1).reshape(len(side), len(side))
    on_data = float(np.max(np.abs(network_a.predict(points) - network_b.predict(points)), initial=0.0))
    ax = new_axes(ax, figsize=(5.2, 4.5))
    image = ax.imshow(gap, origin="lower", extent=(-extent, extent, -extent, extent), cmap="viridis")
    ax.scatter(X[:, 0], X[:, 1], color=OKABE_ITO[1], edgecolors="black", s=45, zorder=3, label="data")
    ax.figure.colorbar(image, ax=ax, label=r"$\|f_A(x)-f_B(x)\|$")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title or f"Equal on the data (max {on_data:.0e}), different elsewhere")
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_three_layer_runs(objectives, convex_objective, *, lower_bound=None, ax=None, title=None):
    r"""Final objectives of non-convex training runs, sorted, against the convex optimum.

    Parameters
    ----------
    objectives : ndarray of shape (k,)
        Path-regularized objective at the end of each run.
    convex_objective : float
        The optimal value of the convex program, drawn as a line.
    lower_bound : float, optional
        Its certified lower bound; the region below it is shaded (no network can get there).
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    objectives = np.sort(_vector(objectives, "objectives"))
    convex_objective = float(convex_objective)
    ax = new_axes(ax, figsize=(5.5, 3.8))
    ranks = np.arange(len(objectives))
    ax.scatter(ranks, objectives, color=OKABE_ITO[0], marker="o", s=40, zorder=3, label="training runs")
    ax.axhline(convex_objective, color=OKABE_ITO[3], lw=1.5, label="convex optimum")
    if lower_bound is not None:
        low = min(float(lower_bound), float(objectives.min(initial=convex_objective))) - 0.1 * max(
            float(np.ptp(objectives)) if len(objectives) else 0.0, 1e-3)
        ax.axhspan(low, float(lower_bound), color="0.85", lw=0, label="below the certified bound")
    ax.set_xlabel("run (sorted by final objective)")
    ax.set_ylabel("objective $L+\\beta\\sum\\|w\\||v||\\alpha|$")
    ax.set_title(title or "No run goes below the convex optimum")
    ax.legend(loc="best", fontsize="small")
    return ax


# --------------------------------------------------------------------------------------------
# Lectures 2-4: the circle of directions, cone projections, the optimal polytope, training runs
# --------------------------------------------------------------------------------------------


def dual_circle_values(nu, X, angles):
    r"""Sample the circle form of the dual constraint, :math:`|\langle\nu,(Xu(\varphi))_+\rangle|`.

    For data with two columns (1-D inputs with the bias column, :math:`\tilde x_k=(x_k,1)`) every
    direction is a unit vector :math:`u(\varphi)=(\cos\varphi,\sin\varphi)`, and :math:`\nu` is dual
    feasible iff the returned curve stays below :math:`\beta` (THEORY §D, circle form).

    Parameters
    ----------
    nu : ndarray of shape (n,)
        The dual vector :math:`\nu`.
    X : ndarray of shape (n, 2)
        The (augmented) data.
    angles : ndarray of shape (k,)
        :math:`\varphi` in radians.

    Returns
    -------
    ndarray of shape (k,)
        :math:`|\langle\nu,(Xu(\varphi))_+\rangle|` at every angle.
    """
    nu = _vector(nu, "nu")
    X = _vector(X, "X", ndim=2)
    angles = _vector(angles, "angles")
    if X.shape[1] != 2:
        raise ValueError(f"X must have 2 columns (1-D data with the bias column), got shape {X.shape}.")
    _same_length(nu, X, ("nu", "X"))
    directions = np.vstack([np.cos(angles), np.sin(angles)])
    return np.abs(nu @ np.maximum(X @ directions, 0.0))


def plot_cone_projection(X, mask, g, projection, *, ax=None, title=None, resolution=1440):
    r"""A cone :math:`\mathcal K=\{u:(2D-I)Xu\ge0\}` of the plane, a vector :math:`g` and its projection.

    The cone lemma (THEORY §D): :math:`\max_{u\in\mathcal K,\|u\|\le1}\langle g,u\rangle=\|\Pi_{\mathcal K}(g)\|`.
    Both arrows are divided by :math:`\|g\|`, so :math:`g` has length one and
    :math:`\Pi_{\mathcal K}(g)` the length :math:`\|\Pi_{\mathcal K}(g)\|/\|g\|\le1`; the dotted segment
    from :math:`\Pi_{\mathcal K}(g)` to :math:`g` is the component in the polar cone (orthogonal to the
    projection), and a star on the unit circle marks the maximizer
    :math:`\Pi_{\mathcal K}(g)/\|\Pi_{\mathcal K}(g)\|`.

    Parameters
    ----------
    X : ndarray of shape (n, 2)
        The (augmented) data; each row draws the line :math:`x_k^\top u=0`.
    mask : bool ndarray of shape (n,)
        The diagonal of :math:`D`.
    g : ndarray of shape (2,)
        The vector projected (e.g. :math:`g_i=X^\top D_i\nu`).
    projection : ndarray of shape (2,)
        :math:`\Pi_{\mathcal K}(g)` (e.g. from ``project_onto_cone``).
    ax : Axes, optional
    title : str, optional
    resolution : int
        Number of directions sampled to shade the cone.

    Returns
    -------
    Axes
    """
    from matplotlib.patches import Circle

    X = _vector(X, "X", ndim=2)
    mask = np.asarray(mask, dtype=bool)
    g = _vector(g, "g")
    projection = _vector(projection, "projection")
    if X.shape[1] != 2 or g.shape != (2,) or projection.shape != (2,):
        raise ValueError(f"X must have 2 columns, g and projection 2 entries; got {X.shape}, {g.shape}, {projection.shape}.")
    if mask.shape != (X.shape[0],):
        raise ValueError(f"mask must have shape ({X.shape[0]},), got {mask.shape}.")
    ax = new_axes(ax, figsize=(4.8, 4.8))
    radius = 1.25
    for row in X:
        norm = np.linalg.norm(row)
        if norm > 0:
            along = np.array([-row[1], row[0]]) / norm * radius
            ax.plot([-along[0], along[0]], [-along[1], along[1]], color="0.75", lw=0.7, zorder=1)
    angles = np.linspace(-np.pi, np.pi, int(resolution), endpoint=False)
    circle = np.column_stack([np.cos(angles), np.sin(angles)])
    inside = np.all(np.where(mask, 1.0, -1.0) * (circle @ X.T) >= 0, axis=1)
    for start, stop in _runs(inside):
        arc = angles[start:stop]
        ax.fill(np.concatenate([[0.0], radius * np.cos(arc), [0.0]]), np.concatenate([[0.0], radius * np.sin(arc), [0.0]]),
                color=OKABE_ITO[5], alpha=0.35, lw=0, zorder=0)
    ax.fill([], [], color=OKABE_ITO[5], alpha=0.35, label=r"cone $\mathcal{K}$")
    scale = max(float(np.linalg.norm(g)), 1e-300)
    for vector, color, label in ((g, OKABE_ITO[0], "$g$"), (projection, OKABE_ITO[3], r"$\Pi_{\mathcal{K}}(g)$")):
        tip = vector / scale
        ax.annotate("", xy=tip, xytext=(0, 0), arrowprops=dict(arrowstyle="-|>", color=color, lw=2.0), zorder=3)
        ax.plot([], [], color=color, lw=2.0, label=label)
    ax.plot([projection[0] / scale, g[0] / scale], [projection[1] / scale, g[1] / scale], color="black", ls=":", lw=1.2,
            label="polar component")
    length = float(np.linalg.norm(projection))
    if length > 0:
        best = projection / length
        ax.plot([best[0]], [best[1]], ls="none", marker="*", ms=15, color=OKABE_ITO[1], markeredgecolor="black",
                zorder=4, label=r"maximizer $\Pi_{\mathcal{K}}(g)/\|\Pi_{\mathcal{K}}(g)\|$")
    ax.add_patch(Circle((0, 0), 1.0, fill=False, color="0.5", lw=0.6, ls="--"))
    ax.set_xlim(-radius, radius)
    ax.set_ylim(-radius, radius)
    ax.set_aspect("equal")
    ax.set_xlabel("$u_1$ (weight $w$)")
    ax.set_ylabel("$u_2$ (bias $b$)")
    ratio = float(np.linalg.norm(projection)) / scale
    ax.set_title(title or rf"Cone lemma: $\|\Pi_{{\mathcal{{K}}}}(g)\|={ratio:.3f}\,\|g\|$")
    ax.legend(loc="lower left", fontsize="x-small")
    return ax


def plot_polytope_coefficients(coefficients, vertices=None, *, labels=None, ax=None, title=None):
    r"""A point :math:`c` of the optimal polytope :math:`\mathcal C=\{c\ge0:Ac=\hat y^*\}` as bars, vertices as markers.

    Bar :math:`j` is the coefficient :math:`c_j` of the optimal direction :math:`(s_j,u_j)` (the
    neuron :math:`\tilde w_j=\sqrt{c_j}u_j`, :math:`\alpha_j=s_j\sqrt{c_j}`). Every point of
    :math:`\mathcal C` has the same :math:`\mathbf 1^\top c`, given in the title.

    Parameters
    ----------
    coefficients : ndarray of shape (p,)
        The point :math:`c`.
    vertices : ndarray of shape (k, p), optional
        Vertices (or other points) of :math:`\mathcal C`, one marker style each.
    labels : sequence of str, optional
        Names of the :math:`p` directions (default :math:`u_1,\dots,u_p`).
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    coefficients = _vector(coefficients, "coefficients")
    p = coefficients.shape[0]
    labels = [f"$u_{{{j + 1}}}$" for j in range(p)] if labels is None else list(labels)
    _same_length(coefficients, labels, ("coefficients", "labels"))
    ax = new_axes(ax, figsize=(4.5, 4.0))
    positions = np.arange(p)
    ax.bar(positions, coefficients, color=OKABE_ITO[0], alpha=0.8, width=0.6, label="$c$")
    if vertices is not None:
        vertices = _vector(vertices, "vertices", ndim=2)
        if vertices.shape[1] != p:
            raise ValueError(f"vertices must have {p} columns, got shape {vertices.shape}.")
        markers = ("o", "s", "^", "D", "v", "P")
        for k, vertex in enumerate(vertices):
            ax.plot(positions, vertex, ls="none", marker=markers[k % len(markers)], ms=8, mfc="none",
                    color=OKABE_ITO[(k + 1) % len(OKABE_ITO)], mew=1.6, label=f"vertex {k + 1}")
    ax.set_xticks(positions, labels)
    ax.set_xlabel("optimal direction $j$")
    ax.set_ylabel("coefficient $c_j$")
    ax.set_title(title or rf"$\mathbf{{1}}^\top c={coefficients.sum():.4g}$ on the whole polytope")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_relative_violations(violations, labels, objectives, *, ax=None, title=None):
    r"""The certificate :math:`V(\nu)/\beta` of training runs, in the order of :func:`plot_stationary_runs`.

    Runs are sorted by their final objective (as in :func:`plot_stationary_runs`), one marker style
    per class; :math:`V/\beta=1` (the line) is dual feasibility, :math:`V/\beta>1` proves that a run is
    not a global minimum.

    Parameters
    ----------
    violations : ndarray of shape (k,)
        :math:`V(\nu)/\beta` of each run (e.g. of its polished network).
    labels : sequence of str
        Class of each run, one of ``"global"``, ``"spurious"``, ``"not stationary"``.
    objectives : ndarray of shape (k,)
        Final :math:`F_m` of each run (sets the order).
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    violations = _vector(violations, "violations")
    objectives = _vector(objectives, "objectives")
    labels = list(labels)
    _same_length(violations, labels, ("violations", "labels"))
    _same_length(violations, objectives, ("violations", "objectives"))
    unknown = sorted(set(labels) - set(RUN_STYLES))
    if unknown:
        raise ValueError(f"labels must be among {sorted(RUN_STYLES)}, got {unknown}.")
    order = np.argsort(objectives, kind="stable")
    ax = new_axes(ax)
    for name, (color, marker) in RUN_STYLES.items():
        ranks = [r for r, i in enumerate(order) if labels[i] == name]
        if ranks:
            ax.scatter(ranks, violations[order][ranks], color=color, marker=marker, s=45, zorder=3, label=name)
    ax.axhline(1.0, color="black", lw=1.0, ls="--", label=r"$V=\beta$")
    ax.set_yscale("log")
    ax.set_xlabel("run (sorted by final objective)")
    ax.set_ylabel(r"$V(\nu)/\beta$ (all patterns)")
    ax.set_title(title or r"The certificate: $V/\beta>1$ proves a run is not global")
    ax.legend(loc="best", fontsize="small")
    return ax
