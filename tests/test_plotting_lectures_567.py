"""The figures of lectures 5-7 draw what their data say (positions, heights, labels, colour scales)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from sklearn_convexnn import ReLUNetwork, optimal_set, staircase_regime  # noqa: E402
from sklearn_convexnn import plotting  # noqa: E402
from sklearn_convexnn.datasets import example_hb  # noqa: E402
from sklearn_convexnn.extensions.vector_output import DictionaryRefinement  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _texts(ax):
    return [text.get_text() for text in ax.texts]


def test_loss_path_segments_names_every_segment_at_its_middle():
    t = np.linspace(0.0, 3.0, 13)           # three segments of four steps
    objectives = 2.0 - 0.1 * t
    ax = plotting.plot_loss_path_segments(t, objectives, ("balance", "descend", "add-neuron"), [0, 4, 8],
                                          t_current=1.5, optimum=1.6)
    assert _texts(ax) == ["balance", "descend", "add-neuron"]
    np.testing.assert_allclose([text.get_position()[0] for text in ax.texts], [0.5, 1.5, 2.5])
    boundaries = [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == ":"]
    np.testing.assert_allclose(boundaries, [1.0, 2.0])
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), objectives)
    marker = [line for line in ax.get_lines() if line.get_marker() == "o"][0]
    assert marker.get_ydata()[0] == pytest.approx(1.85)
    with pytest.raises(ValueError, match="segment_start"):
        plotting.plot_loss_path_segments(t, objectives, ("balance",), [0, 4])
    with pytest.raises(ValueError, match="segment_start"):
        plotting.plot_loss_path_segments(t, objectives, ("balance",), [20])


def test_staircase_regime_lists_the_statements_that_hold():
    data = example_hb(1.0)
    regime = staircase_regime(optimal_set(data.X, data.y, data.beta), 2)   # H-b at m = M* = 2
    ax = plotting.plot_staircase_regime(regime)
    assert ax.get_title() == "$m=2$: curve, isolated"
    box = ax.texts[-1].get_text().splitlines()
    assert [line.split()[0] for line in box] == ["no", "yes", "yes", "no", "no"]
    assert any(np.allclose(line.get_xdata(), 2) and line.get_linewidth() == 2.5 for line in ax.get_lines())
    below = staircase_regime(optimal_set(data.X, data.y, data.beta), 0)
    assert "no network of this width is optimal" in plotting.plot_staircase_regime(below).get_title()


def test_dictionary_bounds_are_drawn_above_the_certified_bound():
    refinement = DictionaryRefinement(n_directions=(10, 20, 30), upper_bounds=(1.3, 1.1, 1.0 + 1e-9),
                                      lower_bounds=(0.5, 0.9, 1.0), solutions=())
    ax = plotting.plot_dictionary_bounds([10, 40], [1.5, 1.2], [0.7, 1.1], refinement)
    grid, gap, generation = ax.get_lines()
    np.testing.assert_allclose(grid.get_ydata(), [0.5, 0.2])
    np.testing.assert_allclose(gap.get_ydata(), [0.8, 0.1])
    np.testing.assert_allclose(generation.get_ydata(), [0.3, 0.1, 1e-9], rtol=1e-6)
    assert ax.get_yscale() == "log" and ax.get_xscale() == "log"
    unbounded = DictionaryRefinement((10,), (1.0,), (np.nan,), ())
    with pytest.raises(ValueError, match="certified lower bound"):
        plotting.plot_dictionary_bounds([10], [1.0], [0.5], unbounded)


def test_constant_path_shows_deviations_from_the_optimum():
    t = np.linspace(0, 1, 5)
    objectives = 3.0 + np.array([0.0, 1e-15, -2e-15, 0.0, 1e-15])
    ax = plotting.plot_constant_path(t, objectives, t_current=0.5)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), objectives - 3.0, atol=1e-20)
    assert f"{np.max(np.abs(objectives - 3.0)):.1e}" in ax.get_title()
    low, high = ax.get_ylim()
    assert low < -2e-15 and high > 2e-15 and high < 1e-13     # scaled to the deviations, not to F
    shifted = plotting.plot_constant_path(t, objectives, reference=2.0)
    np.testing.assert_allclose(shifted.get_lines()[0].get_ydata(), objectives - 2.0)


def test_network_difference_is_zero_where_the_networks_agree():
    # f_a(x) = (x1)_+ and f_b(x) = x1: equal for x1 >= 0, differ by |x1| for x1 < 0
    a = ReLUNetwork([[1.0, 0.0]], [1.0])
    b = ReLUNetwork([[1.0, 0.0], [-1.0, 0.0]], [1.0, -1.0])
    X = np.array([[0.5, 0.0], [1.0, 1.0]])
    ax = plotting.plot_network_difference(a, b, X, fit_intercept=False, extent=1.0, resolution=5)
    image = ax.get_images()[0].get_array()
    side = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(image, np.tile(np.maximum(-side, 0.0), (5, 1)))
    assert "max 0e+00" in ax.get_title()
    np.testing.assert_allclose(ax.collections[0].get_offsets(), X)
    with pytest.raises(ValueError, match="2 columns"):
        plotting.plot_network_difference(a, b, np.ones((3, 1)))


def test_three_layer_runs_are_sorted_against_the_optimum():
    ax = plotting.plot_three_layer_runs([1.2, 1.0, 1.1], 0.9, lower_bound=0.89)
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 1], [1.0, 1.1, 1.2])
    assert ax.get_lines()[0].get_ydata()[0] == pytest.approx(0.9)
    assert ax.patches[0].get_label() == "below the certified bound"


def test_new_figures_fit_on_a_screen():
    t = np.linspace(0, 1, 3)
    a = ReLUNetwork([[1.0, 0.0]], [1.0])
    for ax in (plotting.plot_constant_path(t, np.ones(3)), plotting.plot_three_layer_runs([1.0], 0.5),
               plotting.plot_network_difference(a, a, np.ones((2, 2)), fit_intercept=False, resolution=3)):
        width, height = ax.figure.get_size_inches()
        assert width <= 7.0 and height <= 4.5
