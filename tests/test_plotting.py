"""Tests of sklearn_convexnn.plotting: each figure draws what its data say (counts, positions, heights)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from sklearn_convexnn import ReLUNetwork  # noqa: E402
from sklearn_convexnn import plotting  # noqa: E402
from sklearn_convexnn.plotting import _runs  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _points(collection):
    return np.asarray(collection.get_offsets())


def test_network_1d_kinks_are_at_minus_b_over_w():
    network = ReLUNetwork([[1.0], [-2.0]], [1.0, -0.5], [0.5, 1.0])  # kinks at -0.5 and 0.5
    X = np.linspace(-1, 1, 5)[:, None]
    ax = plotting.plot_network_1d(network, X, network.predict(X), title="t")
    assert isinstance(ax, Axes)
    kinks = _points(ax.collections[-1])
    np.testing.assert_allclose(np.sort(kinks[:, 0]), [-0.5, 0.5])
    np.testing.assert_allclose(kinks[:, 1], network.predict(kinks[:, :1]))
    # one curve for f and one dashed curve per neuron
    assert len(ax.get_lines()) == 1 + network.width
    np.testing.assert_allclose(plotting.neuron_kinks_1d(network), [-0.5, 0.5])


def test_neuron_kinks_needs_bias():
    with pytest.raises(ValueError, match="hidden bias"):
        plotting.neuron_kinks_1d(ReLUNetwork([[1.0]], [1.0]))


@pytest.mark.parametrize("flags, expected", [
    ([True, True, False, False, True], [(0, 2), (4, 5)]),   # a run wrapping around the end
    ([False, True, True, False], [(1, 3)]),
    ([True] * 4, [(0, 4)]),
    ([False] * 3, []),
])
def test_runs_cover_exactly_the_true_flags(flags, expected):
    runs = _runs(np.array(flags))
    assert sorted(runs) == expected
    covered = np.zeros(len(flags), dtype=bool)
    for start, stop in runs:
        covered[start:stop] = True
    assert np.array_equal(covered, flags)


def test_gate_plane_draws_one_line_per_sample_and_the_cone_of_the_gate():
    x = np.array([-1.0, 0.0, 0.5, 2.0])
    X_aug = np.column_stack([x, np.ones_like(x)])
    gate = np.array([1.0, -0.25])  # w x + b >= 0 iff x >= 0.25: samples 2 and 3
    ax = plotting.plot_gate_plane(X_aug, gate)
    sample_lines = [line for line in ax.get_lines() if line.get_color() == "0.6" and len(line.get_xdata()) == 2]
    assert len(sample_lines) == len(x)
    # each line is perpendicular to its row x_k: x_k^T g = 0 along it
    for line, row in zip(sample_lines, X_aug):
        points = np.column_stack([line.get_xdata(), line.get_ydata()])
        np.testing.assert_allclose(points @ row, 0.0, atol=1e-12)
    assert ax.get_title() == "2 of 4 samples active"
    # the shaded wedge contains the gate direction and only directions with the gate's pattern
    wedge = next(patch for patch in ax.patches if len(patch.get_xy()) > 3)
    vertices = wedge.get_xy()
    rim = vertices[np.linalg.norm(vertices, axis=1) > 1e-9]
    signs = np.where(X_aug @ gate >= 0, 1.0, -1.0)
    assert np.all((rim @ X_aug.T) * signs >= -1e-2 * np.linalg.norm(X_aug, axis=1))  # (2D-I) X u >= 0 up to grid
    assert wedge.get_path().contains_point(0.8 * gate / np.linalg.norm(gate))


def test_gate_plane_rejects_other_shapes():
    with pytest.raises(ValueError, match="2 columns"):
        plotting.plot_gate_plane(np.ones((3, 3)), np.ones(3))


def test_gate_data_colours_active_samples_1d_and_2d():
    X = np.array([[-1.0], [0.0], [1.0], [2.0]])
    ax = plotting.plot_gate_data(X, np.array([-1.0, 0.5]))  # active iff x <= 0.5
    active, inactive = ax.collections[0], ax.collections[1]
    np.testing.assert_allclose(_points(active)[:, 0], [-1.0, 0.0])
    np.testing.assert_allclose(_points(inactive)[:, 0], [1.0, 2.0])
    assert any(np.allclose(line.get_xdata(), 0.5) for line in ax.get_lines())
    X2 = np.array([[0.0, 0.0], [1.0, 1.0], [-1.0, 2.0]])
    ax2 = plotting.plot_gate_data(X2, np.array([1.0, 0.0, -0.5]))  # x1 >= 0.5
    scatters = [c for c in ax2.collections if len(_points(c)) and c.get_label().startswith("active")]
    np.testing.assert_allclose(_points(scatters[0]), [[1.0, 1.0]])
    assert "1 of 3" in ax2.get_title()
    with pytest.raises(ValueError, match="d \\+ 1"):
        plotting.plot_gate_data(X2, np.ones(2))


def test_pattern_counts_and_objective_gaps_plot_their_numbers():
    sizes = np.arange(2, 6)
    ax = plotting.plot_pattern_counts(sizes, 2 * sizes - 1, formula=2 * sizes - 1)
    np.testing.assert_allclose(ax.get_lines()[-1].get_ydata(), 2 * sizes - 1)
    with pytest.raises(ValueError, match="same length"):
        plotting.plot_pattern_counts(sizes, sizes[:-1])
    objectives = np.array([1.5, 1.0, 1.0 + 1e-9])
    ax = plotting.plot_objective_gaps(objectives, 1.0)
    heights = [bar.get_height() for bar in ax.patches]
    np.testing.assert_allclose(heights, objectives - 1.0)
    colours = [bar.get_facecolor() for bar in ax.patches]
    assert colours[1] == colours[2] != colours[0]   # reached / not reached


def test_dual_circle_marks_violations_and_optimal_directions():
    angles = np.linspace(-np.pi, np.pi, 101)
    values = 1.0 + 0.5 * np.cos(angles)
    ax = plotting.plot_dual_circle(angles, values, beta=1.2, optimal_angles=[1.0, 2.0])
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), values)
    stars = [line for line in ax.get_lines() if line.get_marker() == "*"]
    np.testing.assert_allclose(stars[0].get_ydata(), [1.2, 1.2])
    violation = ax.collections[0].get_paths()[0].vertices
    assert violation[:, 1].max() == pytest.approx(values.max())


def test_stationary_runs_loss_path_and_staircase():
    ax = plotting.plot_stationary_runs([3.0, 1.0, 2.0], ["spurious", "global", "not stationary"], 1.0)
    assert {c.get_label().split(" (")[0] for c in ax.collections} == {"global", "spurious", "not stationary"}
    with pytest.raises(ValueError, match="labels"):
        plotting.plot_stationary_runs([1.0], ["maybe"], 1.0)
    t = np.linspace(0, 1, 11)
    ax = plotting.plot_loss_path(t, 2 - t, t_current=0.5, optimum=1.0)
    marker = [line for line in ax.get_lines() if line.get_marker() == "o"][0]
    assert marker.get_ydata()[0] == pytest.approx(1.5)
    ax = plotting.plot_staircase(1, 2, 3, width=2)
    assert any(np.allclose(line.get_xdata(), 2) and line.get_linewidth() == 2.5 for line in ax.get_lines())
    with pytest.raises(ValueError):
        plotting.plot_staircase(3, 2, 4)


def test_model_selection_plots():
    ax = plotting.plot_scores({"a": np.array([0.5, 0.6]), "b": np.array([0.4, 0.4])})
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["a", "b"]
    assert [bar.get_height() for bar in ax.patches] == pytest.approx([0.55, 0.4])
    with pytest.raises(TypeError):
        plotting.plot_scores([0.1, 0.2])
    ax = plotting.plot_validation_curve([10.0, 1.0, 0.1], [0.2, 0.5, 0.4], [0.1, 0.1, 0.1], best=1.0)
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_xdata(), [0.1, 1.0, 10.0])
    np.testing.assert_allclose(line.get_ydata(), [0.4, 0.5, 0.2])
    assert ax.get_xscale() == "log"
    ax = plotting.plot_predictions(np.arange(3.0), np.arange(3.0) + 1)
    np.testing.assert_allclose(_points(ax.collections[0])[:, 1], [1.0, 2.0, 3.0])
    ax = plotting.plot_objective_curve([1, 2], [3.0, 2.0], reference=1.0)
    assert ax.get_lines()[1].get_ydata()[0] == 1.0


def test_figures_fit_on_a_screen():
    X = np.array([[-1.0], [0.0], [1.0]])
    for ax in (plotting.plot_gate_data(X, np.array([1.0, 0.0])), plotting.plot_staircase(1, 2, 4),
               plotting.plot_gate_plane(np.column_stack([X[:, 0], np.ones(3)]), np.array([1.0, 0.0]))):
        width, height = ax.figure.get_size_inches()
        assert width <= 7.0 and height <= 4.5
