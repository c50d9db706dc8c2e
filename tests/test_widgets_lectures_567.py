"""Views of lectures 5-7 driven from pytest: moving a slider looks up the right point, reports it, redraws."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from sklearn_convexnn import nonincreasing_path, optimal_set, staircase_regime, widgets  # noqa: E402
from sklearn_convexnn.arrangements import add_intercept, enumerate_patterns  # noqa: E402
from sklearn_convexnn.datasets import example_hb, make_continuum, make_teaching_1d  # noqa: E402
from sklearn_convexnn.extensions.vector_output import (  # noqa: E402
    VectorOutputProgram,
    dictionary_refinement,
    linear_path,
    make_vector_continuum,
    optimal_atoms,
    polytope_vertex,
)
from sklearn_convexnn.landscape import connecting_path  # noqa: E402
from sklearn_convexnn.nonconvex import fit_mlp  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _titles(view):
    return " | ".join(ax.get_title() for ax in view.figure.axes)


@pytest.fixture(scope="module")
def loss_path():
    data = make_teaching_1d(8, random_state=1, beta=0.02)
    start = fit_mlp(data.X, data.y, data.beta, 3, random_state=17).network.padded(9)
    return data, nonincreasing_path(start, data.X, data.y, data.beta, n_points=5)


def test_loss_path_view_walks_the_path_segment_by_segment(loss_path):
    data, path = loss_path
    view = widgets.loss_path_view(path, data.X, data.y, optimum=path.objectives[-1])
    assert view.n_draws == 1 and view.error is None
    assert view.result.index == 0 and view.result.network is path.networks[0]
    assert view.result.segment == path.segments[0]
    for k, name in enumerate(path.segments):
        # the middle of segment k is a grid point: it belongs to segment k
        view.slider.value = k + 0.6
        point = view.result
        assert point.segment == name
        assert point.t == pytest.approx(k + 0.6)
        assert point.network is path.networks[point.index]
        assert point.objective == path.objectives[point.index]
        assert point.objective == pytest.approx(point.network.objective(data.X, data.y, data.beta), rel=1e-12)
        assert f"t = {point.t:.3f} ({name})" in _titles(view)
    view.slider.value = path.t[-1]
    assert view.result.index == len(path.networks) - 1
    assert view.n_draws == 2 + len(path.segments)
    with pytest.raises(ValueError, match="t must lie in"):
        widgets.loss_path_view(path, data.X, data.y, t_value=-1.0)


def test_network_path_view_follows_a_connecting_path():
    data = example_hb(1.0)
    S = optimal_set(data.X, data.y, data.beta)
    path = connecting_path(S, S.random_network(3, random_state=0), S.random_network(3, random_state=5), n_points=6)
    objectives = path.objectives(data.X, data.y, data.beta)
    view = widgets.network_path_view(path.t, path.networks, objectives, data.X, data.y, optimum=S.objective)
    for value in (0.0, 0.37, 1.0):
        view.slider.value = value
        index = int(np.argmin(np.abs(path.t - value)))
        assert view.result.index == index and view.result.segment is None
        assert view.result.objective == pytest.approx(S.objective, rel=1e-7)
    with pytest.raises(ValueError, match="same length"):
        widgets.network_path_view(path.t, path.networks[:-1], objectives, data.X, data.y)
    with pytest.raises(ValueError, match=r"shape \(n, 1\)"):
        widgets.network_path_view(path.t, path.networks, objectives, np.ones((2, 2)), data.y)
    with pytest.raises(ValueError, match="both segments"):
        widgets.network_path_view(path.t, path.networks, objectives, data.X, data.y, segments=("balance",))


@pytest.mark.parametrize("maker, expected", [
    (lambda: example_hb(1.0), (1, 2, 3)),
    (lambda: make_continuum(4), (1, 2, 5)),
])
def test_staircase_view_reports_the_regime_of_every_width(maker, expected):
    data = maker()
    S = optimal_set(data.X, data.y, data.beta)
    view = widgets.staircase_view(S)
    assert view.slider.value == expected[0] and view.result.finite
    assert tuple(view.result.widths) == expected
    for m in range(1, view.slider.max + 1):
        view.slider.value = m
        reference = staircase_regime(S, m)
        assert view.result == reference
        assert f"$m={m}$" in _titles(view)
    assert view.n_draws == view.slider.max       # m* was drawn first; moving to it again does not redraw
    with pytest.raises(ValueError, match="width must be in"):
        widgets.staircase_view(S, width=0)


def test_vector_path_view_shows_constant_objective_and_growing_difference():
    data = make_vector_continuum(6)
    X = add_intercept(data.X)
    program = VectorOutputProgram(X, data.y, data.beta, enumerate_patterns(X), level=0)
    solution = dictionary_refinement(program, rounds=8, rtol=1e-8).solution
    atoms = optimal_atoms(solution, X)
    first = atoms.network(polytope_vertex(atoms, solution.prediction, np.arange(6.0)), width=13)
    second = atoms.network(polytope_vertex(atoms, solution.prediction, -np.arange(6.0)), width=13)
    path = linear_path(first, second, X, data.y, data.beta, n_points=11)
    view = widgets.vector_path_view(path, data.X, extent=2.0)
    assert view.result.index == 0 and view.result.deviation == 0.0
    differences = []
    for value in (0.5, 1.0):
        view.slider.value = value
        assert view.result.t == pytest.approx(value)
        assert abs(view.result.deviation) <= 1e-10 * path.objectives[0]
        differences.append(view.figure.axes[1].get_images()[0].get_array().max())
    assert 0 < differences[0] < differences[1]       # the function moves away from f_A off the data
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        widgets.vector_path_view(path, X)
