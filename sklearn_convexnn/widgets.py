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
    "View",
    "BetaFit",
    "GatePattern",
    "EstimatorFit",
    "beta_slider_view",
    "gate_rotation_view",
    "estimator_view",
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
