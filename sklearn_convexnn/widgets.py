r"""ipywidgets views: sliders wired to one compute step of the package and one plotting function.

A view is built by a factory (``beta_slider_view``, ``gate_rotation_view``, ``estimator_view``)
that prepares what does not depend on the sliders (the patterns, a compiled
:class:`~sklearn_convexnn.ConvexProgram`, the data) and returns a :class:`View`. Moving a slider
calls the view's compute step (a call into the package: a solve, a pattern, a fit) and then its
plotting function from :mod:`sklearn_convexnn.plotting`; nothing here computes mathematics.

The first call is eager (:func:`ipywidgets.interactive_output`), so a view shows a figure as soon as
it is displayed, and setting ``view.slider.value = ...`` from code (a notebook cell, pytest) runs the
callback again. Every view keeps what it computed last in ``view.result`` (a frozen dataclass), the
figure it drew last in ``view.figure`` and the number of redraws in ``view.n_draws``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "VIEW_CSS_CLASS",
    "DROP_BELOW",
    "ZERO_NEURON_ATOL",
    "View",
    "BetaFit",
    "beta_slider_view",
    "GatePattern",
    "gate_rotation_view",
    "EstimatorFit",
    "estimator_view",
    "PathPoint",
    "network_path_view",
    "loss_path_view",
    "staircase_view",
    "VectorPathPoint",
    "vector_path_view",
    "DualCircle",
    "dual_circle_view",
    "PolytopePoint",
    "polytope_segment_view",
    "StationaryRuns",
    "stationary_runs_view",
]

#: CSS class of every view's outer box (the browser test finds views by it)
VIEW_CSS_CLASS = "convexnn-view"
#: relative block norm below which a convex block is solver noise (as in the estimators)
DROP_BELOW = 1e-6
#: neurons with :math:`\|\tilde w_j\|` or :math:`|\alpha_j|` below this are solver noise: their blocks have
#: :math:`\|u_i\|=\|\tilde w_j\|^2<10^{-8}`, the solver's tolerance (they remain above :math:`\beta_{\max}`,
#: where every block is noise and ``DROP_BELOW``, being relative, keeps them)
ZERO_NEURON_ATOL = 1e-4


class View:
    """Sliders, an output area, and the last result of a compute step.

    Parameters
    ----------
    controls : dict of str to ipywidgets.ValueWidget
        The sliders, by the keyword their value is passed under.
    compute : callable
        ``compute(**values) -> result``: one call into the package.
    draw : callable
        ``draw(result) -> Figure``: one plotting function on a new figure.
    name : str
        Added as a CSS class ``convexnn-<name>`` next to ``convexnn-view``.

    Attributes
    ----------
    controls : dict
    result : object
        What ``compute`` returned for the current slider values.
    figure : matplotlib.figure.Figure
        The last figure drawn (closed after display; still inspectable).
    n_draws : int
        Number of times the callback ran (1 after construction).
    error : Exception or None
        The exception of the last callback, if it failed (it is re-raised too).
    widget : ipywidgets.VBox
        The displayed box: the controls above the output area.
    """

    def __init__(self, controls, compute, draw, name):
        import ipywidgets

        self.controls = dict(controls)
        self._compute = compute
        self._draw = draw
        self.result = None
        self.figure = None
        self.n_draws = 0
        self.error = None
        self.output = ipywidgets.interactive_output(self._update, self.controls)
        self.widget = ipywidgets.VBox([ipywidgets.HBox(list(self.controls.values())), self.output])
        self.widget.add_class(VIEW_CSS_CLASS)
        self.widget.add_class(f"convexnn-{name}")

    @property
    def slider(self):
        """The first control (most views have one)."""
        return next(iter(self.controls.values()))

    @property
    def sliders(self):
        """All controls, by name."""
        return self.controls

    def _update(self, **values):
        import matplotlib.pyplot as plt
        from IPython.display import display

        self.error = None
        try:
            result = self._compute(**values)
            figure = self._draw(result)
        except Exception as error:
            self.error = error
            raise
        self.result = result
        self.figure = figure
        self.n_draws += 1
        display(figure)
        plt.close(figure)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self):
        values = ", ".join(f"{key}={control.value!r}" for key, control in self.controls.items())
        return f"{type(self).__name__}({values}, n_draws={self.n_draws})"


def _neurons(count):
    return "1 neuron" if count == 1 else f"{count} neurons"


def _figure(n_axes, figsize):
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, n_axes, figsize=figsize, layout="constrained")
    return figure, np.atleast_1d(axes)


# --------------------------------------------------------------------------------------------
# The fitted 1-D network as beta moves
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BetaFit:
    r"""The global optimum at one :math:`\beta`.

    Attributes
    ----------
    beta : float
    network : ReLUNetwork
        The recovered network (with its bias when the view fits one).
    objective : float
        :math:`F(\theta)` of ``network`` (:meth:`ReLUNetwork.objective`).
    convex_objective : float
        The optimal value of the convex program; equal to ``objective`` up to solver accuracy.
    duality_gap : float
    n_neurons : int
    exhaustive : bool
        Whether every activation pattern was used (then the network is a global minimum).
    """

    beta: float
    network: object
    objective: float
    convex_objective: float
    duality_gap: float
    n_neurons: int
    exhaustive: bool


def beta_slider_view(X, y, *, beta=None, beta_range=(1e-3, 10.0), arrangement=None, solver="auto"):
    r"""The globally optimal 1-D network with its kinks as the weight decay :math:`\beta` moves.

    The convex program (C) of THEORY §C is built once on :math:`\tilde X=[X,\mathbf 1]` with every
    activation pattern; each slider move re-solves it through
    :meth:`ConvexProgram.with_beta` (the compiled problem is reused) and recovers the network.

    Parameters
    ----------
    X : ndarray of shape (n, 1)
    y : ndarray of shape (n,)
    beta : float, optional
        Initial :math:`\beta` (default: the geometric middle of ``beta_range``).
    beta_range : (float, float)
        Ends of the logarithmic slider.
    arrangement : Arrangement, optional
        Patterns of :math:`\tilde X` (default: all of them, ``enumerate_patterns``).
    solver : str
        Passed to :meth:`ConvexProgram.solve`.

    Returns
    -------
    View
        One control ``beta`` (a ``FloatLogSlider``); ``result`` is a :class:`BetaFit`.
    """
    import ipywidgets

    from .arrangements import add_intercept, enumerate_patterns
    from .convex import ConvexProgram
    from .network import ReLUNetwork, check_beta
    from .plotting import plot_network_1d

    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or X.shape[1] != 1:
        raise ValueError(f"X must have shape (n, 1) for the 1-D view, got {X.shape}.")
    low, high = (check_beta(value, name="beta_range") for value in beta_range)
    if not low < high:
        raise ValueError(f"beta_range must be increasing, got {beta_range!r}.")
    beta = math.sqrt(low * high) if beta is None else check_beta(beta)
    X_aug = add_intercept(X)
    arrangement = enumerate_patterns(X_aug) if arrangement is None else arrangement
    program = ConvexProgram(X_aug, y, beta, arrangement)

    def compute(beta):
        solution = program.with_beta(beta).solve(solver)
        fitted = solution.to_network(drop_below=DROP_BELOW)
        network = ReLUNetwork.from_augmented(fitted.hidden_weights, fitted.output_weights, fit_intercept=True)
        # Blocks of different patterns often share one direction (a common face of their cones):
        # merging them gives one neuron per kink without changing the function.
        network = network.merged().without_zero_neurons(atol=ZERO_NEURON_ATOL)
        return BetaFit(beta=float(beta), network=network, objective=network.objective(X, y, beta),
                       convex_objective=solution.objective, duality_gap=solution.duality_gap,
                       n_neurons=network.width, exhaustive=arrangement.exhaustive)

    def draw(fit):
        figure, axes = _figure(1, (6.5, 4.0))
        plot_network_1d(fit.network, X, y, ax=axes[0], label=f"optimum, $F^*$={fit.objective:.4f}",
                        title=rf"$\beta$={fit.beta:.3g}: {_neurons(fit.n_neurons)} (dashed), one kink each")
        return figure

    slider = ipywidgets.FloatLogSlider(value=beta, base=10, min=math.log10(low), max=math.log10(high), step=0.05,
                                       description="β", continuous_update=False, readout_format=".3g")
    return View({"beta": slider}, compute, draw, "beta-slider")


# --------------------------------------------------------------------------------------------
# Activation patterns of 1-D or 2-D data under a rotating gate
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GatePattern:
    r"""The activation pattern of one gate.

    Attributes
    ----------
    gate : ndarray of shape (d + 1,)
        :math:`g=(w,b)`, the bias last.
    mask : ndarray of bool, shape (n,)
        The diagonal of :math:`D(g)=\operatorname{diag}(\mathbb 1[\tilde Xg\ge0])`.
    pattern_index : int
        Its column in ``arrangement.masks``, or -1 if it is not there (a gate on a line
        :math:`\tilde x_k^\top g=0`, or the all-zero pattern).
    n_patterns : int
        Number of patterns of the data (``arrangement.n_patterns``).
    n_active : int
    """

    gate: np.ndarray
    mask: np.ndarray
    pattern_index: int
    n_patterns: int
    n_active: int


def gate_rotation_view(X, *, angle=30.0, offset=0.0, y=None):
    r"""Rotate a gate :math:`g` and watch its activation pattern :math:`D(g)` change.

    * 1-D data: :math:`g=(w,b)=(\cos\varphi,\sin\varphi)`, one slider ``angle`` :math:`\varphi` (degrees).
      Left: the plane of gates with the lines :math:`\tilde x_k^\top g=0` and the shaded cone of
      the current pattern; right: the data with the threshold :math:`x=-b/w`.
    * 2-D data: :math:`g=(\cos\varphi,\sin\varphi,b)`, sliders ``angle`` and ``offset`` :math:`b`;
      the data with the line :math:`w^\top x+b=0`.

    The patterns of :math:`\tilde X=[X,\mathbf 1]` are enumerated once; each move looks the gate's
    pattern up among them.

    Parameters
    ----------
    X : ndarray of shape (n, 1) or (n, 2)
    angle : float
        Initial :math:`\varphi` in degrees.
    offset : float
        Initial bias :math:`b` (2-D only).
    y : ndarray of shape (n,), optional
        Heights of 1-D samples in the data panel.

    Returns
    -------
    View
        Controls ``angle`` (and ``offset`` in 2-D); ``result`` is a :class:`GatePattern`.
    """
    import ipywidgets

    from .arrangements import enumerate_patterns
    from .network import ReLUNetwork
    from .plotting import plot_gate_data, plot_gate_plane

    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] not in (1, 2):
        raise ValueError(f"X must have shape (n, 1) or (n, 2), got {X.shape}.")
    d = X.shape[1]
    arrangement = enumerate_patterns(X, fit_intercept=True)
    keys = {arrangement.masks[:, i].tobytes(): i for i in range(arrangement.n_patterns)}

    def compute(angle, offset=0.0):
        direction = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
        gate = direction if d == 1 else np.append(direction, offset)
        # A single neuron with weights g has activation pattern D(g).
        neuron = ReLUNetwork(gate[None, :-1], np.ones(1), gate[-1:])
        mask = neuron.activation_patterns(X)[:, 0]
        return GatePattern(gate=gate, mask=mask, pattern_index=keys.get(mask.tobytes(), -1),
                           n_patterns=arrangement.n_patterns, n_active=int(mask.sum()))

    def describe(pattern):
        if pattern.pattern_index >= 0:
            where = f"pattern {pattern.pattern_index + 1} of {pattern.n_patterns}"
        elif pattern.n_active == 0:
            where = "the all-zero pattern (dropped)"
        else:
            where = r"$g$ on a line $\tilde x_k^\top g=0$"
        return f"{pattern.n_active} of {len(pattern.mask)} active: {where}"

    def draw(pattern):
        if d == 1:
            figure, axes = _figure(2, (9.5, 4.0))
            plot_gate_plane(np.column_stack([X[:, 0], np.ones(len(X))]), pattern.gate, ax=axes[0],
                            title=r"gates $g=(w,b)$: the cones are sectors")
            plot_gate_data(X, pattern.gate, y=y, ax=axes[1], title=describe(pattern))
        else:
            figure, axes = _figure(1, (5.5, 4.5))
            plot_gate_data(X, pattern.gate, ax=axes[0], title=describe(pattern))
        return figure

    controls = {"angle": ipywidgets.FloatSlider(value=angle, min=-180.0, max=180.0, step=1.0, description="φ (°)",
                                                continuous_update=False)}
    if d == 2:
        scale = float(np.abs(X).max()) * 1.5
        controls["offset"] = ipywidgets.FloatSlider(value=offset, min=-scale, max=scale, step=scale / 100,
                                                    description="b", continuous_update=False)
    return View(controls, compute, draw, "gate-rotation")


# --------------------------------------------------------------------------------------------
# An estimator (or Pipeline) refitted as one hyper-parameter moves
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EstimatorFit:
    """One fit of an estimator at one value of a hyper-parameter.

    Attributes
    ----------
    value : object
        The hyper-parameter value.
    estimator : estimator
        The fitted clone.
    train_score, test_score : float
        ``estimator.score`` on the training and the test data.
    n_neurons : int or None
        ``n_neurons_`` of the final step, if it has one.
    objective : float or None
        ``objective_`` of the final step, if it has one.
    """

    value: object
    estimator: object
    train_score: float
    test_score: float
    n_neurons: int | None
    objective: float | None


def _final_estimator(fitted):
    """The innermost fitted estimator of a Pipeline or TransformedTargetRegressor (or itself)."""
    while True:
        if hasattr(fitted, "regressor_"):
            fitted = fitted.regressor_
        elif hasattr(fitted, "steps"):
            fitted = fitted.steps[-1][1]
        else:
            return fitted


def estimator_view(estimator, X_train, y_train, X_test, y_test, *, param="beta", values=(0.1, 1.0, 10.0, 100.0),
                   value=None):
    r"""Refit an estimator (or a Pipeline) at each value of one hyper-parameter; predictions against truth.

    Parameters
    ----------
    estimator : estimator
        Cloned before every fit (e.g. ``make_pipeline(StandardScaler(), ConvexReLURegressor(...))``,
        possibly inside a ``TransformedTargetRegressor``; ``n_neurons`` and ``objective`` are read from
        the innermost final step).
    X_train, y_train, X_test, y_test : array-like
    param : str
        The parameter name as ``set_params`` takes it (``"convexreluregressor__beta"`` in a pipeline).
    values : sequence
        The slider's positions.
    value : optional
        Initial value (default: the first of ``values``).

    Returns
    -------
    View
        One control ``value`` (a ``SelectionSlider``); ``result`` is an :class:`EstimatorFit`.
    """
    import ipywidgets
    from sklearn.base import clone

    from .plotting import plot_predictions

    values = list(values)
    if not values:
        raise ValueError("values must not be empty.")
    value = values[0] if value is None else value
    if value not in values:
        raise ValueError(f"value must be one of values, got {value!r}.")
    clone(estimator).set_params(**{param: value})  # fail now, with sklearn's message, on a bad name

    def compute(value):
        fitted = clone(estimator).set_params(**{param: value}).fit(X_train, y_train)
        last = _final_estimator(fitted)
        return EstimatorFit(value=value, estimator=fitted, train_score=float(fitted.score(X_train, y_train)),
                            test_score=float(fitted.score(X_test, y_test)),
                            n_neurons=getattr(last, "n_neurons_", None), objective=getattr(last, "objective_", None))

    def draw(fit):
        figure, axes = _figure(1, (5.0, 4.5))
        neurons = "" if fit.n_neurons is None else f", {_neurons(fit.n_neurons)}"
        plot_predictions(np.asarray(y_test), fit.estimator.predict(X_test), ax=axes[0], label="test samples",
                         title=f"{param.split('__')[-1]}={fit.value:g}: test score {fit.test_score:.3f}{neurons}")
        return figure

    slider = ipywidgets.SelectionSlider(options=[(f"{v:g}", v) for v in values], value=value,
                                        description=param.split("__")[-1], continuous_update=False)
    return View({"value": slider}, compute, draw, "estimator")


# --------------------------------------------------------------------------------------------
# Lectures 5-7: a point moving along a path of networks; the staircase at a width
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PathPoint:
    r"""One point :math:`\theta(t)` of a discretized path of networks.

    Attributes
    ----------
    t : float
        The path parameter of the grid point shown (the one nearest the slider).
    index : int
        Its index in the path's ``networks``.
    network : ReLUNetwork
        :math:`\theta(t)`.
    objective : float
        :math:`F_m(\theta(t))` as the path recorded it (:meth:`ReLUNetwork.objective`).
    segment : str or None
        The building block the point belongs to (paths of :func:`~sklearn_convexnn.nonincreasing_path`).
    """

    t: float
    index: int
    network: object
    objective: float
    segment: str | None


def _path_slider(t, value):
    import ipywidgets

    low, high = float(t[0]), float(t[-1])
    value = low if value is None else float(value)
    if not low <= value <= high:
        raise ValueError(f"t must lie in [{low:g}, {high:g}], got {value!r}.")
    return ipywidgets.FloatSlider(value=value, min=low, max=high, step=(high - low) / 400 or 1.0, description="t",
                                  continuous_update=False, readout_format=".3f")


def _check_path_arrays(t, networks, objectives):
    t = np.asarray(t, dtype=float)
    objectives = np.asarray(objectives, dtype=float)
    if t.ndim != 1 or len(t) < 2 or not np.all(np.diff(t) >= 0) or not t[-1] > t[0]:
        raise ValueError("t must be a non-decreasing 1-D array with t[-1] > t[0].")
    if len(networks) != len(t) or objectives.shape != t.shape:
        raise ValueError(f"t, networks and objectives must have the same length, got {len(t)}, {len(networks)} and "
                         f"{objectives.shape[0] if objectives.ndim else objectives.size}.")
    return t, list(networks), objectives


def network_path_view(t, networks, objectives, X, y, *, t_value=None, optimum=None, segments=None,
                      segment_start=None, title=None):
    r"""Move along a discretized path of 1-D networks: the network's function at :math:`t` and :math:`F` along the path.

    Left: the network :math:`\theta(t)` of the grid point nearest the slider, with its neurons and
    kinks (:func:`~sklearn_convexnn.plotting.plot_network_1d`); right: :math:`F_m(\theta(t))` along the
    whole path with the current point marked (:func:`~sklearn_convexnn.plotting.plot_loss_path`, or
    :func:`~sklearn_convexnn.plotting.plot_loss_path_segments` when the segments are given). The
    path is computed beforehand (e.g. :func:`~sklearn_convexnn.nonincreasing_path` or
    :func:`~sklearn_convexnn.landscape.connecting_path`); moving the slider only looks a point up.

    Parameters
    ----------
    t : ndarray of shape (k,)
        Non-decreasing path parameter (repeated values are points where the path pauses).
    networks : sequence of ReLUNetwork
        The networks of the path, with one input feature and a hidden bias.
    objectives : ndarray of shape (k,)
        :math:`F_m` of each network.
    X : ndarray of shape (n, 1)
    y : ndarray of shape (n,)
    t_value : float, optional
        Initial slider position (default ``t[0]``).
    optimum : float, optional
        :math:`p^{\rm c}`, drawn as a line.
    segments, segment_start : optional
        Building blocks of the path and the index of each one's first point (``LossPath`` fields).
    title : str, optional
        Title of the right panel.

    Returns
    -------
    View
        One control ``t``; ``result`` is a :class:`PathPoint`.
    """
    from .plotting import plot_loss_path, plot_loss_path_segments, plot_network_1d

    grid, networks, objectives = _check_path_arrays(t, networks, objectives)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 1:
        raise ValueError(f"X must have shape (n, 1) for the 1-D view, got {X.shape}.")
    if any(network.n_features != 1 or network.hidden_bias is None for network in (networks[0], networks[-1])):
        raise ValueError("networks must have one input feature and a hidden bias.")
    if (segments is None) != (segment_start is None):
        raise ValueError("give both segments and segment_start, or neither.")
    starts = None if segment_start is None else np.asarray(segment_start, dtype=int)

    def compute(t):
        index = int(np.argmin(np.abs(grid - t)))
        segment = None
        if starts is not None and len(starts):
            # grid point k > 0 ends the segment it was computed in; point 0 starts the first one
            segment = segments[max(int(np.searchsorted(starts, index, side="left")) - 1, 0)]
        return PathPoint(t=float(grid[index]), index=index, network=networks[index], objective=float(objectives[index]),
                         segment=segment)

    def draw(point):
        figure, axes = _figure(2, (11.0, 4.2))
        where = f" ({point.segment})" if point.segment else ""
        plot_network_1d(point.network, X, y, ax=axes[0], label=rf"$f_{{\theta(t)}}$, $F$={point.objective:.5f}",
                        title=f"t = {point.t:.3f}{where}: {_neurons(int(np.count_nonzero(point.network.output_weights)))}")
        if starts is None:
            plot_loss_path(grid, objectives, t_current=point.t, optimum=optimum, ax=axes[1], title=title)
        else:
            plot_loss_path_segments(grid, objectives, segments, starts, t_current=point.t, optimum=optimum, ax=axes[1],
                                    title=title)
        return figure

    return View({"t": _path_slider(grid, t_value)}, compute, draw, "network-path")


def loss_path_view(path, X, y, *, t_value=None, optimum=None):
    r"""Play a path of non-increasing loss (:class:`~sklearn_convexnn.landscape.paths.LossPath`) with a slider.

    :func:`network_path_view` with the path's grid, networks, objectives and segments.

    Parameters
    ----------
    path : LossPath
        From :func:`~sklearn_convexnn.nonincreasing_path`, of a 1-D network with a bias.
    X : ndarray of shape (n, 1)
    y : ndarray of shape (n,)
    t_value : float, optional
        Initial slider position (default 0, the start).
    optimum : float, optional
        :math:`p^{\rm c}`, drawn as a line.

    Returns
    -------
    View
        One control ``t``; ``result`` is a :class:`PathPoint` (with its ``segment``).
    """
    return network_path_view(path.t, path.networks, path.objectives, X, y, t_value=t_value, optimum=optimum,
                             segments=path.segments, segment_start=path.segment_start)


def staircase_view(optimal_set, *, width=None, max_width=None):
    r"""The staircase of connectivity (THEORY §E): :math:`m^*`, :math:`M^*`, :math:`n+1` and the regime at a width slider.

    Each move calls :func:`~sklearn_convexnn.staircase_regime` and draws
    :func:`~sklearn_convexnn.plotting.plot_staircase_regime`.

    Parameters
    ----------
    optimal_set : OptimalSet
        From :func:`~sklearn_convexnn.optimal_set`.
    width : int, optional
        Initial width :math:`m` (default :math:`m^*`).
    max_width : int, optional
        Largest width of the slider (default :math:`\max(n+1,m^*+M^*)+2`).

    Returns
    -------
    View
        One control ``m`` (an ``IntSlider`` from 1); ``result`` is a :class:`StaircaseRegime`.
    """
    import ipywidgets

    from .landscape import critical_widths, staircase_regime
    from .plotting import plot_staircase_regime

    widths = critical_widths(optimal_set)
    right = int(max_width) if max_width is not None else max(widths.n_plus_1, widths.m_star + widths.M_star) + 2
    width = widths.m_star if width is None else int(width)
    if not 1 <= width <= right:
        raise ValueError(f"width must be in [1, {right}], got {width}.")

    def compute(m):
        return staircase_regime(optimal_set, int(m))

    def draw(regime):
        figure, axes = _figure(1, (9.5, 3.8))
        plot_staircase_regime(regime, max_width=right, ax=axes[0])
        return figure

    slider = ipywidgets.IntSlider(value=width, min=1, max=right, step=1, description="width m",
                                  continuous_update=False)
    return View({"m": slider}, compute, draw, "staircase")


@dataclass(frozen=True)
class VectorPathPoint:
    r"""One point of a path between two vector-output networks.

    Attributes
    ----------
    t : float
        The grid point nearest the slider.
    index : int
    network : ReLUNetwork
        :math:`\theta(t)`.
    objective : float
        :math:`F(\theta(t))` as the path recorded it.
    deviation : float
        :math:`F(\theta(t))-F(\theta(0))`.
    """

    t: float
    index: int
    network: object
    objective: float
    deviation: float


def vector_path_view(path, X, *, fit_intercept=True, t_value=None, extent=None):
    r"""Move along a path between two optimal vector-output networks (THEORY §I.1).

    Left: :math:`F(\theta(t))-F(\theta(0))` along the path
    (:func:`~sklearn_convexnn.plotting.plot_constant_path`); right:
    :math:`x\mapsto\|f_{\theta(t)}(x)-f_{\theta(0)}(x)\|` on the plane
    (:func:`~sklearn_convexnn.plotting.plot_network_difference`): zero on the data for every
    :math:`t`, growing off the data as the network moves through the optimal set.

    Parameters
    ----------
    path : VectorPath
        From :func:`~sklearn_convexnn.extensions.vector_output.linear_path`, of networks with two
        inputs (three acting on :math:`(x,1)` with ``fit_intercept``).
    X : ndarray of shape (n, 2)
        The data without the ones column.
    fit_intercept : bool, default=True
    t_value : float, optional
        Initial slider position (default 0).
    extent : float, optional
        Half-width of the square drawn.

    Returns
    -------
    View
        One control ``t``; ``result`` is a :class:`VectorPathPoint`.
    """
    from .plotting import plot_constant_path, plot_network_difference

    grid, networks, objectives = _check_path_arrays(path.t, path.networks, path.objectives)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {X.shape}.")

    def compute(t):
        index = int(np.argmin(np.abs(grid - t)))
        return VectorPathPoint(t=float(grid[index]), index=index, network=networks[index],
                               objective=float(objectives[index]), deviation=float(objectives[index] - objectives[0]))

    def draw(point):
        figure, axes = _figure(2, (11.0, 4.3))
        plot_constant_path(grid, objectives, t_current=point.t, ax=axes[0])
        plot_network_difference(point.network, networks[0], X, fit_intercept=fit_intercept, extent=extent,
                                ax=axes[1], title=rf"$\|f_{{\theta(t)}}-f_{{\theta(0)}}\|$ at $t={point.t:.2f}$")
        return figure

    return View({"t": _path_slider(grid, t_value)}, compute, draw, "vector-path")


# --------------------------------------------------------------------------------------------
# Lecture 2: the dual constraint on the circle of directions as beta moves
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DualCircle:
    r"""The optimal dual vector at one :math:`\beta` and its constraint on the circle of directions.

    Attributes
    ----------
    beta : float
    dual : ndarray of shape (n,)
        :math:`\nu^*=y-\hat y^*` (recomputed from the primal solution).
    angles : ndarray of shape (k,)
        :math:`\varphi\in[-\pi,\pi]`, the unit directions :math:`u(\varphi)=(\cos\varphi,\sin\varphi)=(w,b)`.
    values : ndarray of shape (k,)
        :math:`|\langle\nu^*,(\tilde Xu(\varphi))_+\rangle|` (:func:`~sklearn_convexnn.plotting.dual_circle_values`).
    optimal_angles : ndarray of shape (m,)
        Angles of the neurons of the optimal network (its first-layer directions).
    max_violation : float
        :math:`V(\nu^*)=\max_{i,s}\|\Pi_{\mathcal K_i}(s\tilde X^\top D_i\nu^*)\|` over all patterns.
    objective : float
        :math:`p^{\rm c}` (the primal objective of the solution).
    lower_bound : float
        The dual objective of :math:`\nu^*` (scaled into the feasible set if needed): a certified
        lower bound on :math:`p^{\rm c}`.
    duality_gap : float
        ``objective - lower_bound``.
    network : ReLUNetwork
        The optimal network (neurons of one direction merged).
    n_neurons : int
    beta_max : float
        :math:`\beta_{\max}`: above it :math:`\nu^*=y` and the network is zero.
    """

    beta: float
    dual: np.ndarray
    angles: np.ndarray
    values: np.ndarray
    optimal_angles: np.ndarray
    max_violation: float
    objective: float
    lower_bound: float
    duality_gap: float
    network: object
    n_neurons: int
    beta_max: float


def dual_circle_view(X, y, *, beta=None, beta_range=(1e-3, 10.0), n_angles=1441, arrangement=None, solver="cg"):
    r"""The dual constraint :math:`|\langle\nu^*,(\tilde Xu)_+\rangle|\le\beta` on the circle of directions, as :math:`\beta` moves.

    For 1-D data with the bias column every first-layer direction is a unit vector
    :math:`u(\varphi)=(\cos\varphi,\sin\varphi)=(w,b)`. The convex program (C) is built once on
    :math:`\tilde X=[X,\mathbf 1]` with every pattern; each slider move re-solves it through
    :meth:`ConvexProgram.with_beta`, takes :math:`\nu^*=y-\hat y^*` and samples the circle. Left: the
    curve against the level :math:`\beta`, the directions of the optimal neurons marked (they touch
    it); right: the optimal network.

    Parameters
    ----------
    X : ndarray of shape (n, 1)
    y : ndarray of shape (n,)
    beta : float, optional
        Initial :math:`\beta` (default: the geometric middle of ``beta_range``).
    beta_range : (float, float)
        Ends of the logarithmic slider.
    n_angles : int
        Number of sampled directions on :math:`[-\pi,\pi]`.
    arrangement : Arrangement, optional
        Patterns of :math:`\tilde X` (default: all of them, ``enumerate_patterns``).
    solver : str
        Passed to :meth:`ConvexProgram.solve`.

    Returns
    -------
    View
        One control ``beta`` (a ``FloatLogSlider``); ``result`` is a :class:`DualCircle`.
    """
    import ipywidgets

    from .arrangements import add_intercept, enumerate_patterns
    from .convex import ConvexProgram
    from .network import ReLUNetwork, check_beta
    from .plotting import dual_circle_values, plot_dual_circle, plot_network_1d

    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or X.shape[1] != 1:
        raise ValueError(f"X must have shape (n, 1) for the circle of directions, got {X.shape}.")
    low, high = (check_beta(value, name="beta_range") for value in beta_range)
    if not low < high:
        raise ValueError(f"beta_range must be increasing, got {beta_range!r}.")
    if isinstance(n_angles, bool) or not isinstance(n_angles, (int, np.integer)) or n_angles < 8:
        raise ValueError(f"n_angles must be an integer >= 8, got {n_angles!r}.")
    beta = math.sqrt(low * high) if beta is None else check_beta(beta)
    X_aug = add_intercept(X)
    arrangement = enumerate_patterns(X_aug) if arrangement is None else arrangement
    program = ConvexProgram(X_aug, y, beta, arrangement)
    angles = np.linspace(-np.pi, np.pi, int(n_angles))

    def compute(beta):
        solution = program.with_beta(beta).solve(solver)
        fitted = solution.to_network(drop_below=DROP_BELOW)
        network = ReLUNetwork.from_augmented(fitted.hidden_weights, fitted.output_weights, fit_intercept=True)
        network = network.merged().without_zero_neurons(atol=ZERO_NEURON_ATOL)
        weights = network.augmented_weights
        return DualCircle(beta=float(beta), dual=solution.dual, angles=angles,
                          values=dual_circle_values(solution.dual, X_aug, angles),
                          optimal_angles=np.arctan2(weights[:, 1], weights[:, 0]),
                          max_violation=float(solution.dual_violation), objective=float(solution.objective),
                          lower_bound=float(solution.lower_bound), duality_gap=float(solution.duality_gap),
                          network=network, n_neurons=network.width, beta_max=float(program.beta_max))

    def draw(circle):
        figure, axes = _figure(2, (11.0, 4.0))
        plot_dual_circle(circle.angles, circle.values, circle.beta, optimal_angles=circle.optimal_angles, ax=axes[0],
                         title=rf"$\beta$={circle.beta:.3g}: max of the curve = {circle.max_violation / circle.beta:.4f} $\beta$")
        plot_network_1d(circle.network, X, y, ax=axes[1], label=f"optimum, $p^c$={circle.objective:.4f}",
                        title=f"{_neurons(circle.n_neurons)}: one per touching direction")
        return figure

    slider = ipywidgets.FloatLogSlider(value=beta, base=10, min=math.log10(low), max=math.log10(high), step=0.05,
                                       description="β", continuous_update=False, readout_format=".3g")
    return View({"beta": slider}, compute, draw, "dual-circle")


# --------------------------------------------------------------------------------------------
# Lecture 3: a point moving inside the optimal polytope
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolytopePoint:
    r"""One point :math:`c(t)=(1-t)c_0+tc_1` of the optimal polytope and its network.

    Attributes
    ----------
    t : float
    coefficients : ndarray of shape (p,)
        :math:`c(t)`.
    network : ReLUNetwork
        ``optimal_set.network(c(t))``: :math:`\tilde w_j=\sqrt{c_j}u_j`, :math:`\alpha_j=s_j\sqrt{c_j}`.
    objective : float
        Its :math:`F` (``ReLUNetwork.objective``); the same for every :math:`t`.
    coefficient_sum : float
        :math:`\mathbf 1^\top c(t)`.
    in_polytope : bool
        ``optimal_set.polytope.contains(c(t))``.
    fit : ndarray of shape (n,)
        Predictions on the data (:math:`\hat y^*` for every :math:`t`).
    probe : ndarray of shape (k,)
        Predictions at the probe inputs (they change with :math:`t`).
    n_neurons : int
    """

    t: float
    coefficients: np.ndarray
    network: object
    objective: float
    coefficient_sum: float
    in_polytope: bool
    fit: np.ndarray
    probe: np.ndarray
    n_neurons: int


def polytope_segment_view(optimal_set, start, end, *, t=0.0, probe=(0.0,), labels=None):
    r"""Move along the segment :math:`c(t)=(1-t)c_0+tc_1` of the optimal polytope :math:`\mathcal C`.

    Every point of :math:`\mathcal C=\{c\ge0:Ac=\hat y^*\}` is a globally optimal network with the
    same fit on the data and the same objective, but its function off the data changes with
    :math:`t` (THEORY §D, §H). Left: the network of :math:`c(t)` with its neurons; right: the
    coefficients :math:`c(t)` with the two ends marked. 1-D data with a bias only.

    Parameters
    ----------
    optimal_set : OptimalSet
        From :func:`~sklearn_convexnn.optimal_set` on 1-D data with ``fit_intercept=True``.
    start, end : ndarray of shape (p,)
        Two points of the polytope (e.g. two rows of ``optimal_set.vertices()``).
    t : float
        Initial position in :math:`[0, 1]`.
    probe : sequence of float
        Inputs at which ``result.probe`` reports the predictions.
    labels : sequence of str, optional
        Names of the directions for the bar chart.

    Returns
    -------
    View
        One control ``t`` (a ``FloatSlider``); ``result`` is a :class:`PolytopePoint`.
    """
    import ipywidgets

    from .landscape import OptimalSet
    from .plotting import plot_network_1d, plot_polytope_coefficients

    if not isinstance(optimal_set, OptimalSet):
        raise TypeError(f"optimal_set must be an OptimalSet, got {type(optimal_set).__name__}.")
    if optimal_set.X.shape[1] != 1 or not optimal_set.fit_intercept:
        raise ValueError("optimal_set must come from 1-D data with fit_intercept=True for this view.")
    ends = []
    for name, point in (("start", start), ("end", end)):
        point = np.asarray(point, dtype=float)
        if point.shape != (optimal_set.n_directions,) or not optimal_set.polytope.contains(point):
            raise ValueError(f"{name} must be a point of optimal_set.polytope (shape ({optimal_set.n_directions},)).")
        ends.append(point)
    if not 0.0 <= float(t) <= 1.0:
        raise ValueError(f"t must be in [0, 1], got {t!r}.")
    probe = np.asarray(probe, dtype=float).reshape(-1, 1)
    X, y, beta, loss = optimal_set.X, optimal_set.y, optimal_set.beta, optimal_set.loss
    low, high = X.min(), X.max()
    pad = 0.3 * max(high - low, 1e-9)
    grid = np.linspace(min(low - pad, probe.min()), max(high + pad, probe.max()), 400)

    def compute(t):
        c = (1.0 - t) * ends[0] + t * ends[1]
        network = optimal_set.network(c)
        return PolytopePoint(t=float(t), coefficients=c, network=network,
                             objective=float(network.objective(X, y, beta, loss)), coefficient_sum=float(c.sum()),
                             in_polytope=optimal_set.polytope.contains(c), fit=network.predict(X),
                             probe=network.predict(probe), n_neurons=network.width)

    def draw(point):
        figure, axes = _figure(2, (10.5, 4.0))
        plot_network_1d(point.network, X, y, ax=axes[0], grid=grid, label=f"optimal network, $F$={point.objective:.4f}",
                        title=f"t={point.t:.2f}: {_neurons(point.n_neurons)}, f({probe[0, 0]:g})={point.probe[0]:.3f}")
        plot_polytope_coefficients(point.coefficients, np.vstack(ends), labels=labels, ax=axes[1])
        return figure

    slider = ipywidgets.FloatSlider(value=float(t), min=0.0, max=1.0, step=0.05, description="t",
                                    continuous_update=False)
    return View({"t": slider}, compute, draw, "polytope-segment")


# --------------------------------------------------------------------------------------------
# Lecture 4: training runs from many seeds, classified
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StationaryRuns:
    r"""``fit_mlp`` runs of one width from several seeds, each classified by :func:`~sklearn_convexnn.stationarity`.

    Attributes
    ----------
    width : int
    seeds : tuple of int
    objectives : ndarray of shape (k,)
        :math:`F_m` at the end of each run.
    classifications : tuple of str
        ``"global"``, ``"spurious"`` or ``"not stationary"``.
    relative_violations : ndarray of shape (k,)
        :math:`V(\nu)/\beta` of each polished run, over all patterns.
    subsampled_optima : ndarray of shape (k,)
        :math:`p^{\rm sub}` of each run's own patterns.
    optimum : float
        :math:`p^{\rm c}`.
    reports : tuple of StationarityReport
    """

    width: int
    seeds: tuple
    objectives: np.ndarray
    classifications: tuple
    relative_violations: np.ndarray
    subsampled_optima: np.ndarray
    optimum: float
    reports: tuple

    def count(self, classification):
        """Return the number of runs of one class.

        Parameters
        ----------
        classification : {"global", "spurious", "not stationary"}

        Returns
        -------
        int
        """
        return sum(label == classification for label in self.classifications)


def stationary_runs_view(X, y, beta, *, widths=(1, 2, 3, 4, 8), seeds=range(10), width=None, arrangement=None):
    r"""L-BFGS training runs (:func:`~sklearn_convexnn.nonconvex.fit_mlp`) from several seeds, classified, as the width moves.

    For each width the runs are trained once (cached) and classified by
    :func:`~sklearn_convexnn.stationarity`: global minimum, spurious stationary point, or not
    stationary (THEORY §F). Left: final objectives against :math:`p^{\rm c}`; right: the certificate
    :math:`V/\beta` of each polished run.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    beta : float
    widths : sequence of int
        The slider's positions.
    seeds : iterable of int
        Seeds of the runs (the same for every width).
    width : int, optional
        Initial width (default: the first of ``widths``).
    arrangement : Arrangement, optional
        All patterns of :math:`\tilde X=[X,\mathbf 1]` (default: ``enumerate_patterns``).

    Returns
    -------
    View
        One control ``width`` (a ``SelectionSlider``); ``result`` is a :class:`StationaryRuns`.
    """
    import ipywidgets

    from .arrangements import add_intercept, enumerate_patterns
    from .convex import ConvexProgram
    from .landscape import stationarity
    from .network import check_beta
    from .nonconvex import fit_mlp
    from .plotting import plot_relative_violations, plot_stationary_runs

    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    beta = check_beta(beta)
    widths = [int(w) for w in widths]
    seeds = tuple(int(s) for s in seeds)
    if not widths or min(widths) < 1:
        raise ValueError(f"widths must be positive integers, got {widths!r}.")
    if not seeds:
        raise ValueError("seeds must not be empty.")
    width = widths[0] if width is None else int(width)
    if width not in widths:
        raise ValueError(f"width must be one of widths, got {width!r}.")
    X_aug = add_intercept(X)
    arrangement = enumerate_patterns(X_aug) if arrangement is None else arrangement
    optimum = float(ConvexProgram(X_aug, y, beta, arrangement).solve().objective)
    cache = {}

    def compute(width):
        if width not in cache:
            reports = tuple(stationarity(fit_mlp(X, y, beta, width, random_state=seed).network, X, y, beta,
                                         patterns=arrangement) for seed in seeds)
            cache[width] = StationaryRuns(
                width=width, seeds=seeds, objectives=np.array([r.objective for r in reports]),
                classifications=tuple(r.classification for r in reports),
                relative_violations=np.array([r.certificate.relative_violation for r in reports]),
                subsampled_optima=np.array([r.subsampled_optimum for r in reports]), optimum=optimum,
                reports=reports)
        return cache[width]

    def draw(runs):
        figure, axes = _figure(2, (11.0, 4.0))
        counts = ", ".join(f"{runs.count(name)} {name}" for name in ("global", "spurious", "not stationary"))
        plot_stationary_runs(runs.objectives, runs.classifications, runs.optimum, ax=axes[0],
                             title=f"width m={runs.width}: {counts}")
        axes[0].set_yscale("log")
        plot_relative_violations(runs.relative_violations, runs.classifications, runs.objectives, ax=axes[1])
        return figure

    slider = ipywidgets.SelectionSlider(options=widths, value=width, description="width m", continuous_update=False)
    return View({"width": slider}, compute, draw, "stationary-runs")
