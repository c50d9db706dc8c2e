"""Widget callbacks driven from pytest: moving a slider re-computes, reports the right numbers, redraws."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_convexnn import ConvexProgram, ConvexReLURegressor, enumerate_patterns  # noqa: E402
from sklearn_convexnn import widgets  # noqa: E402
from sklearn_convexnn.arrangements import add_intercept  # noqa: E402
from sklearn_convexnn.convex.dual import dual_constraint  # noqa: E402
from sklearn_convexnn.datasets import make_teaching_1d, make_teaching_2d  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    return make_teaching_1d(10, random_state=0)


def _title(view):
    return " ".join(ax.get_title() for ax in view.figure.axes)


def test_beta_view_reports_the_convex_optimum_and_redraws(data):
    view = widgets.beta_slider_view(data.X, data.y, beta=0.05, beta_range=(1e-3, 10.0))
    assert view.n_draws == 1 and view.error is None
    first = view.result
    reference = ConvexReLURegressor(beta=0.05, patterns="exact").fit(data.X, data.y)
    assert first.exhaustive
    assert first.objective == pytest.approx(reference.objective_, rel=1e-6)
    assert first.objective == pytest.approx(first.convex_objective, rel=1e-7)
    assert first.n_neurons == reference.n_neurons_
    first_title = _title(view)

    view.slider.value = 1.0
    second = view.result
    assert view.n_draws == 2
    assert second.beta == pytest.approx(1.0)
    assert second.objective == pytest.approx(ConvexReLURegressor(beta=1.0, patterns="exact").fit(data.X, data.y).objective_,
                                             rel=1e-6)
    assert second.n_neurons < first.n_neurons
    assert _title(view) != first_title
    assert f"={second.beta:.3g}" in _title(view)


def test_beta_view_is_zero_above_beta_max(data):
    X_aug = add_intercept(data.X)
    beta_max = dual_constraint(data.y, X_aug, enumerate_patterns(X_aug).masks).max_value
    view = widgets.beta_slider_view(data.X, data.y, beta=0.05, beta_range=(1e-3, 4 * beta_max))
    view.slider.value = 2 * beta_max
    assert view.result.n_neurons == 0
    assert view.result.objective == pytest.approx(0.5 * data.y @ data.y, rel=1e-7)
    view.slider.value = 0.5 * beta_max
    assert view.result.n_neurons >= 1


@pytest.mark.parametrize("solver,entries", [("auto", 0), ("cvxpy", 1)])
def test_beta_view_reuses_the_compiled_program(data, monkeypatch, solver, entries):
    """Every slider move solves a view of one program: the cache is shared. "auto" is column generation on the
    exhaustive arrangement (nothing compiled, and no state of one solve left for the next); cvxpy compiles once."""
    compiled = []
    original = ConvexProgram.with_beta

    def spy(self, beta):
        compiled.append(self._cache)
        return original(self, beta)

    monkeypatch.setattr(ConvexProgram, "with_beta", spy)
    view = widgets.beta_slider_view(data.X, data.y, beta=0.1, solver=solver)
    view.slider.value = 0.2
    view.slider.value = 0.3
    assert len(compiled) == 3 and all(cache is compiled[0] for cache in compiled)
    assert len(compiled[0]) == entries


def test_beta_view_validates_its_input(data):
    with pytest.raises(ValueError, match="shape"):
        widgets.beta_slider_view(np.ones((4, 2)), np.ones(4))
    with pytest.raises(ValueError, match="increasing"):
        widgets.beta_slider_view(data.X, data.y, beta_range=(1.0, 0.1))


def test_gate_view_1d_visits_every_pattern_at_its_gate():
    X = np.linspace(-1.0, 1.0, 5)[:, None]
    arrangement = enumerate_patterns(X, fit_intercept=True)
    view = widgets.gate_rotation_view(X)
    assert view.result.n_patterns == 2 * len(X) - 1
    for i, (w, b) in enumerate(arrangement.gates.T):
        view.slider.value = float(np.degrees(np.arctan2(b, w)))
        assert view.result.pattern_index == i
        np.testing.assert_array_equal(view.result.mask, arrangement.masks[:, i])
    assert view.n_draws == 1 + arrangement.n_patterns
    view.slider.value = -90.0     # w = 0, b = -1: nothing active, the dropped pattern
    assert view.result.n_active == 0 and view.result.pattern_index == -1
    view.slider.value = 90.0      # w = 0, b = 1: everything active
    assert view.result.n_active == len(X)
    assert f"{len(X)} of {len(X)} active" in _title(view)


def test_gate_view_2d_pattern_is_the_half_plane():
    data = make_teaching_2d(8, random_state=0)
    view = widgets.gate_rotation_view(data.X, angle=30.0, offset=0.0)
    assert set(view.controls) == {"angle", "offset"}
    assert view.result.n_patterns == 8**2 - 8 + 1
    for angle, offset in [(30.0, 0.25), (-120.0, -0.3), (75.0, 0.6)]:
        view.sliders["angle"].value = angle
        view.sliders["offset"].value = offset
        w = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
        expected = data.X @ w + offset >= 0
        np.testing.assert_array_equal(view.result.mask, expected)
        np.testing.assert_allclose(view.result.gate, np.append(w, offset))
        assert view.result.n_active == expected.sum()
        assert view.result.pattern_index >= 0


def test_estimator_view_refits_the_pipeline(data):
    model = make_pipeline(StandardScaler(), ConvexReLURegressor(patterns="exact"))
    X_test = np.linspace(-1, 1, 7)[:, None]
    y_test = np.sin(3 * X_test[:, 0]) + np.abs(X_test[:, 0])
    view = widgets.estimator_view(model, data.X, data.y, X_test, y_test, param="convexreluregressor__beta",
                                  values=[0.01, 1.0], value=0.01)
    small = view.result
    assert small.value == 0.01
    assert small.test_score == pytest.approx(small.estimator.score(X_test, y_test))
    assert small.n_neurons == small.estimator[-1].n_neurons_
    view.slider.value = 1.0
    assert view.n_draws == 2 and view.result.value == 1.0
    assert view.result.n_neurons < small.n_neurons
    assert "test score" in _title(view)
    with pytest.raises(ValueError):
        widgets.estimator_view(model, data.X, data.y, X_test, y_test, param="nope")
    with pytest.raises(ValueError, match="one of values"):
        widgets.estimator_view(model, data.X, data.y, X_test, y_test, param="convexreluregressor__beta",
                               values=[1.0], value=2.0)


def test_a_failing_callback_is_recorded_and_raised():
    import ipywidgets

    calls = []

    def compute(value):
        calls.append(value)
        if value > 1:
            raise RuntimeError("boom")
        return value

    def draw(result):
        figure, ax = plt.subplots()
        ax.set_title(str(result))
        return figure

    view = widgets.View({"value": ipywidgets.IntSlider(value=0, min=0, max=3)}, compute, draw, "test")
    assert view.result == 0 and view.error is None
    with pytest.raises(RuntimeError, match="boom"):
        view.slider.value = 2
    assert isinstance(view.error, RuntimeError)
    assert view.result == 0 and view.n_draws == 1     # the stale result is not replaced
    view.slider.value = 1
    assert view.error is None and view.result == 1 and view.figure.axes[0].get_title() == "1"


def test_view_displays_as_its_widget(data):
    view = widgets.gate_rotation_view(data.X)
    bundle = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == view.widget.model_id
    assert widgets.VIEW_CSS_CLASS in view.widget._dom_classes
