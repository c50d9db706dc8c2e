r"""Matplotlib figures as pure functions: data in, Figure/Axes out (no computation of mathematics).

Colours come from the colour-blind-safe Okabe–Ito palette. Every function takes an optional
``ax`` and returns the Axes it drew on.
"""

from __future__ import annotations

import numpy as np

__all__ = ["OKABE_ITO", "new_axes", "plot_network_1d", "neuron_kinks_1d"]

#: Okabe–Ito colour-blind-safe palette
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


def new_axes(ax=None, figsize=(6.0, 4.0)):
    """Return ``ax`` or a new Axes on a new Figure of size ``figsize`` (inches)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


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
    if show_kinks and network.width and network.hidden_bias is not None:
        kinks = neuron_kinks_1d(network)
        kinks = kinks[(kinks >= grid[0]) & (kinks <= grid[-1])]
        ax.scatter(kinks, network.predict(kinks[:, None]), marker="v", color=color, s=45, zorder=4,
                   label="kinks $x=-b_j/w_j$")
    ax.set_xlabel("$x$")
    ax.set_ylabel(r"$f_\theta(x)$")
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    return ax
