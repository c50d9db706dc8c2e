"""Views and figures of lectures 2-4: the dual circle, the optimal polytope, classified training runs.

Each test drives a view as a student would (``slider.value = ...``) and checks the numbers it
reports against the package, or checks that a figure draws what its data say.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from sklearn_convexnn import ConvexReLURegressor, enumerate_patterns, optimal_set  # noqa: E402
from sklearn_convexnn import plotting, widgets  # noqa: E402
from sklearn_convexnn.arrangements import add_intercept  # noqa: E402
from sklearn_convexnn.convex.dual import dual_constraint, project_onto_cone  # noqa: E402
from sklearn_convexnn.datasets import example_hb, make_teaching_1d  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    """The data of lectures 2-4: eight points on a line, beta = 0.1."""
    return make_teaching_1d(8, random_state=0, beta=0.1)


def _title(view):
    return " ".join(ax.get_title() for ax in view.figure.axes)


# ------------------------------------------------------------------------------ plotting
def test_dual_circle_values_is_the_circle_form_of_the_constraint(data):
    X_aug = add_intercept(data.X)
    masks = enumerate_patterns(X_aug).masks
    nu = np.random.default_rng(0).normal(size=len(data.y))
    angles = np.linspace(-np.pi, np.pi, 20_001)
    values = plotting.dual_circle_values(nu, X_aug, angles)
    directions = np.column_stack([np.cos(angles), np.sin(angles)])
    np.testing.assert_allclose(values, np.abs(np.maximum(directions @ X_aug.T, 0) @ nu), atol=1e-14)
    # sup over the circle = V(nu) over all patterns, up to the grid (Lipschitz constant sum |nu_k| ||x_k||)
    V = dual_constraint(nu, X_aug, masks).max_value
    lipschitz = np.abs(nu) @ np.linalg.norm(X_aug, axis=1)
    assert values.max() <= V * (1 + 1e-12)
    assert V - values.max() <= lipschitz * (angles[1] - angles[0])
    with pytest.raises(ValueError, match="2 columns"):
        plotting.dual_circle_values(nu, data.X, angles)
    with pytest.raises(ValueError, match="same length"):
        plotting.dual_circle_values(nu[:-1], X_aug, angles)


def test_cone_projection_marks_the_maximizer(data):
    X_aug = add_intercept(data.X)
    mask = X_aug[:, 0] >= np.sort(X_aug[:, 0])[2]
    g = np.array([0.3, 1.0])
    projection = project_onto_cone(g, X_aug, mask)
    ax = plotting.plot_cone_projection(X_aug, mask, g, projection)
    star = [line for line in ax.get_lines() if line.get_marker() == "*"]
    assert len(star) == 1
    np.testing.assert_allclose(np.ravel(star[0].get_xydata()), projection / np.linalg.norm(projection))
    assert f"{np.linalg.norm(projection) / np.linalg.norm(g):.3f}" in ax.get_title()
    with pytest.raises(ValueError, match="mask"):
        plotting.plot_cone_projection(X_aug, mask[:-1], g, projection)


def test_polytope_coefficients_bars_and_vertices():
    vertices = np.array([[0.0, 0.0, 1.0], [0.5, 0.5, 0.0]])
    point = 0.25 * vertices[0] + 0.75 * vertices[1]
    ax = plotting.plot_polytope_coefficients(point, vertices, labels=["a", "b", "c"])
    np.testing.assert_allclose([patch.get_height() for patch in ax.patches], point)
    markers = [line for line in ax.get_lines() if line.get_linestyle() == "None"]
    assert len(markers) == 2
    np.testing.assert_allclose(markers[1].get_ydata(), vertices[1])
    assert "1" in ax.get_title()
    with pytest.raises(ValueError, match="columns"):
        plotting.plot_polytope_coefficients(point, vertices[:, :2])


def test_relative_violations_in_objective_order():
    violations = np.array([2.0, 1.0, 30.0])
    objectives = np.array([0.5, 0.3, 3.0])
    labels = ["spurious", "global", "spurious"]
    ax = plotting.plot_relative_violations(violations, labels, objectives)
    points = {c.get_label(): np.asarray(c.get_offsets()) for c in ax.collections}
    np.testing.assert_allclose(points["global"], [[0, 1.0]])
    np.testing.assert_allclose(points["spurious"], [[1, 2.0], [2, 30.0]])
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="labels"):
        plotting.plot_relative_violations(violations, ["global", "nope", "global"], objectives)


# ------------------------------------------------------------------------------ lecture 2
def test_dual_circle_view_touches_beta_at_the_optimal_directions(data):
    X_aug = add_intercept(data.X)
    view = widgets.dual_circle_view(data.X, data.y, beta=0.1, beta_range=(1e-3, 10.0))
    assert view.n_draws == 1 and view.error is None
    for beta in (0.1, 0.01):
        view.slider.value = beta
        circle = view.result
        assert circle.beta == pytest.approx(beta)
        reference = ConvexReLURegressor(beta=beta, patterns="exact", solver="cg").fit(data.X, data.y)
        assert circle.objective == pytest.approx(reference.objective_, rel=1e-6)
        np.testing.assert_allclose(circle.dual, data.y - reference.predict(data.X), atol=1e-5)
        assert circle.duality_gap <= 1e-7
        # feasible: the curve stays below beta; it touches beta where the optimal neurons point
        assert circle.values.max() <= beta * (1 + 1e-6)
        assert circle.max_violation == pytest.approx(beta, rel=1e-6)
        touching = plotting.dual_circle_values(circle.dual, X_aug, circle.optimal_angles)
        np.testing.assert_allclose(touching, beta, rtol=1e-5)
        assert circle.n_neurons == len(circle.optimal_angles) == reference.n_neurons_
        assert f"{beta:.3g}" in _title(view)
    assert view.n_draws == 2     # 0.1 was the initial value: setting it again does not redraw


def test_dual_circle_view_above_beta_max(data):
    X_aug = add_intercept(data.X)
    beta_max = dual_constraint(data.y, X_aug, enumerate_patterns(X_aug).masks).max_value
    view = widgets.dual_circle_view(data.X, data.y, beta=2 * beta_max, beta_range=(1e-3, 4 * beta_max))
    circle = view.result
    assert circle.n_neurons == 0 and circle.optimal_angles.size == 0
    np.testing.assert_allclose(circle.dual, data.y)
    assert circle.beta_max == pytest.approx(beta_max)
    assert circle.values.max() <= beta_max * (1 + 1e-12) < circle.beta
    with pytest.raises(ValueError, match="shape"):
        widgets.dual_circle_view(np.ones((4, 2)), np.ones(4))
    with pytest.raises(ValueError, match="n_angles"):
        widgets.dual_circle_view(data.X, data.y, n_angles=3)


# ------------------------------------------------------------------------------ lecture 3
def test_polytope_view_keeps_the_objective_and_changes_the_function():
    hb = example_hb(beta=1.0)
    optimal = optimal_set(hb.X, hb.y, hb.beta)
    start, end = optimal.vertices()
    view = widgets.polytope_segment_view(optimal, start, end, t=0.0, probe=(0.0, 1.0))
    first = view.result
    probes = {}
    for t in (0.0, 0.3, 0.5, 1.0):
        view.slider.value = t
        point = view.result
        assert point.in_polytope
        assert point.objective == pytest.approx(1.25, abs=1e-12)           # p^c = 1.5 beta - beta^2 / 4
        assert point.coefficient_sum == pytest.approx(1.0, abs=1e-12)      # 1'c constant on the polytope
        np.testing.assert_allclose(point.fit, optimal.fit, atol=1e-12)    # same fit on the data ...
        probes[t] = point.probe
    # ... different functions off the data; f(x) is linear in c, hence in t
    np.testing.assert_allclose(probes[0.5], (probes[0.0] + probes[1.0]) / 2, atol=1e-12)
    assert abs(probes[0.0][0] - probes[1.0][0]) == pytest.approx(0.5)     # f(0) = 1 vs 0.5
    assert view.n_draws == 4 and first.t == 0.0
    assert f"f(0)={view.result.probe[0]:.3f}" in _title(view)
    with pytest.raises(ValueError, match="start"):
        widgets.polytope_segment_view(optimal, 2 * start, end)
    with pytest.raises(TypeError):
        widgets.polytope_segment_view(object(), start, end)


# ------------------------------------------------------------------------------ lecture 4
def test_stationary_runs_view_classifies_and_caches(data):
    X, y, beta = data.X, data.y, data.beta
    view = widgets.stationary_runs_view(X, y, beta, widths=(1, 8), seeds=range(4), width=1)
    optimum = optimal_set(X, y, beta).objective
    assert view.result.optimum == pytest.approx(optimum, rel=1e-7)
    width_one = view.result
    assert width_one.count("global") == 0          # m* = 2 > 1: no width-1 network is global
    view.slider.value = 8
    runs = view.result
    assert runs.width == 8 and len(runs.classifications) == 4 and runs.count("global") >= 1
    for result in (width_one, runs):
        for F, p_sub, label, ratio in zip(result.objectives, result.subsampled_optima, result.classifications,
                                          result.relative_violations):
            assert F >= optimum - 1e-9
            if label == "global":
                assert F == pytest.approx(optimum, abs=1e-6) and ratio == pytest.approx(1.0, abs=1e-6)
            elif label == "spurious":
                assert F - p_sub <= 1e-6 and ratio > 1.05
            else:
                assert F - p_sub > 1e-6
    assert "width m=8" in _title(view)
    view.slider.value = 1
    assert view.result is width_one and view.n_draws == 3     # cached, drawn again
    with pytest.raises(ValueError, match="width"):
        widgets.stationary_runs_view(X, y, beta, widths=(1, 2), width=3)
