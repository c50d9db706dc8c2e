"""Vector-output two-layer networks (THEORY.md §I.1): each test checks a mathematical fact."""

import numpy as np
import pytest
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from sklearn_convexnn.arrangements import add_intercept, enumerate_patterns, sample_patterns
from sklearn_convexnn.convex.dual import max_dual_violation
from sklearn_convexnn.convex.program import ConvexProgram
from sklearn_convexnn.extensions.vector_output import (
    GatedVectorNetwork,
    VectorOutputProgram,
    arrangement_rays,
    dense_dual_check,
    dictionary_refinement,
    direction_dictionary,
    linear_path,
    make_vector_continuum,
    optimal_atoms,
    polytope_vertex,
    sphere_grid,
)
from sklearn_convexnn.network import GatedReLUNetwork, ReLUNetwork
from sklearn_convexnn.nonconvex import fit_mlp

BETA = 0.1


@pytest.fixture(scope="module")
def data_2out():
    """2-D inputs with the bias column, two outputs, all patterns."""
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (8, 2))
    Y = np.column_stack([np.maximum(x[:, 0] + x[:, 1], 0), np.abs(x[:, 0] - x[:, 1])]) + 0.05 * rng.normal(size=(8, 2))
    X = add_intercept(x)
    return x, X, Y, enumerate_patterns(X)


@pytest.fixture(scope="module")
def certified_relu(data_2out):
    """The ReLU vector program refined by column generation until certified."""
    _, X, Y, arrangement = data_2out
    program = VectorOutputProgram(X, Y, BETA, arrangement, activation="relu", level=0)
    return dictionary_refinement(program, rounds=12, rtol=1e-7, n_new=12)


# ------------------------------------------------------------------------------ gated program


def test_gated_program_is_certified_and_recovery_has_equal_objective(data_2out):
    _, X, Y, arrangement = data_2out
    solution = VectorOutputProgram(X, Y, BETA, arrangement, activation="gated").solve()
    assert solution.status == "optimal"
    assert solution.relative_gap <= 1e-7  # spectral-norm dual bound closes the gap
    network = solution.to_network()
    assert isinstance(network, GatedVectorNetwork) and network.output_weights.shape[1] == 2
    assert np.allclose(network.predict(X), solution.prediction, atol=1e-9)
    assert network.objective(X, Y, BETA) == pytest.approx(solution.objective, rel=1e-6)
    # each neuron is balanced (||w|| = ||alpha|| = sqrt of a singular value)
    assert np.allclose(np.linalg.norm(network.hidden_weights, axis=1), np.linalg.norm(network.output_weights, axis=1))


@pytest.mark.parametrize("as_column", [False, True])
def test_gated_vector_program_with_one_output_is_the_scalar_gated_program(data_2out, as_column):
    _, X, Y, arrangement = data_2out
    y = Y[:, 0]
    scalar = ConvexProgram(X, y, BETA, arrangement, activation="gated").solve()
    vector = VectorOutputProgram(X, y[:, None] if as_column else y, BETA, arrangement, activation="gated").solve()
    assert vector.objective == pytest.approx(scalar.objective, rel=1e-6)
    assert np.allclose(vector.prediction.ravel(), scalar.prediction, atol=1e-5)
    network = vector.to_network()
    assert network.output_weights.ndim == (2 if as_column else 1)
    assert isinstance(network, GatedReLUNetwork)
    assert network.objective(X, y[:, None] if as_column else y, BETA) == pytest.approx(scalar.objective, rel=1e-6)


def test_gated_optimum_lower_bounds_the_relu_optimum(data_2out, certified_relu):
    # with all patterns every ReLU network is a gated network, so p_gated <= p_relu
    _, X, Y, arrangement = data_2out
    gated = VectorOutputProgram(X, Y, BETA, arrangement, activation="gated").solve()
    assert gated.objective <= certified_relu.best_lower_bound + 1e-8


# ------------------------------------------------------------------------------- dual check


def test_dense_dual_check_is_exact_for_one_output(data_2out):
    # c = 1: V(nu) is also the maximum of the cone projections over all patterns (THEORY §D)
    _, X, _, arrangement = data_2out
    rng = np.random.default_rng(5)
    for _ in range(5):
        nu = rng.normal(size=X.shape[0])
        exact = max_dual_violation(nu, X, arrangement.masks)[0]
        check = dense_dual_check(nu, X, level=3)
        assert check.value == pytest.approx(exact, rel=1e-10)
        assert check.grid_value <= check.value + 1e-12
        assert np.linalg.norm(np.maximum(X @ check.direction, 0) @ nu) == pytest.approx(check.value, rel=1e-10)


def test_dense_dual_check_is_not_beaten_by_local_search(data_2out):
    _, X, _, _ = data_2out
    rng = np.random.default_rng(7)
    dual = rng.normal(size=(X.shape[0], 3))
    check = dense_dual_check(dual, X, level=2)

    def phi(u):
        return -np.linalg.norm(dual.T @ np.maximum(X @ (u / np.linalg.norm(u)), 0.0))

    starts = rng.normal(size=(20000, 3))
    values = -np.array([phi(u) for u in starts[:2000]])
    assert values.max() <= check.value + 1e-12
    for u in starts[np.argsort(-values)[:10]]:
        assert -minimize(phi, u, method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-14}).fun <= check.value + 1e-10
    # the grid is only a lower estimate and approaches V from below
    grids = [dense_dual_check(dual, X, level=level).grid_value for level in (1, 3, 5)]
    assert grids[0] <= grids[1] <= grids[2] <= check.value + 1e-12
    assert grids[2] >= 0.99 * check.value


def test_sphere_grids_are_nested_unit_vectors():
    for dimension in (1, 2, 3):
        coarse, fine = sphere_grid(dimension, 2), sphere_grid(dimension, 3)
        assert np.allclose(np.linalg.norm(fine, axis=1), 1.0)
        distances = np.min(np.linalg.norm(coarse[:, None, :] - fine[None, :, :], axis=2), axis=1)
        assert distances.max() < 1e-12
    assert len(sphere_grid(3, 3)) == 4 * 4**3 + 2


def test_rays_lie_on_two_hyperplanes_and_in_every_dictionary(data_2out):
    _, X, _, arrangement = data_2out
    rays = arrangement_rays(X)
    on_plane = np.abs(X @ rays.T) < 1e-10 * np.linalg.norm(X, axis=1)[:, None]
    assert np.all(on_plane.sum(axis=0) >= 2)  # rank 3: two independent hyperplanes per ray
    for level in (0, 2):
        dictionary = direction_dictionary(X, arrangement, level=level)
        assert np.min(np.linalg.norm(rays[:, None, :] - dictionary[None, :, :], axis=2), axis=1).max() < 1e-9


# ------------------------------------------------------------------------ ReLU program (dictionary)


def test_relu_dictionary_recovery_has_equal_objective(data_2out):
    _, X, Y, arrangement = data_2out
    solution = VectorOutputProgram(X, Y, BETA, arrangement, activation="relu", level=1).solve()
    network = solution.to_network()
    assert isinstance(network, ReLUNetwork) and network.output_weights.shape[1] == 2
    assert network.objective(X, Y, BETA) == pytest.approx(solution.objective, rel=1e-9)
    assert solution.dictionary_lower_bound <= solution.objective + 1e-12
    assert solution.lower_bound <= solution.objective + 1e-9  # weak duality over all directions


def test_relu_dictionary_with_one_output_converges_to_the_scalar_relu_optimum(data_2out):
    _, X, Y, arrangement = data_2out
    y = Y[:, 0]
    scalar = ConvexProgram(X, y, BETA, arrangement, activation="relu").solve().objective
    bounds = []
    for level in range(5):  # nested dictionaries: rays + gates + sphere grid of this level
        solution = VectorOutputProgram(X, y, BETA, arrangement, activation="relu", level=level).solve()
        assert scalar - 1e-8 <= solution.objective
        assert solution.lower_bound <= scalar + 1e-8
        bounds.append(solution.objective)
    assert np.all(np.diff(bounds) <= 1e-8), bounds
    assert bounds[-1] < bounds[0]
    # column generation with the exact projected directions of THEORY §D at each dual closes the gap
    program = VectorOutputProgram(X, y, BETA, arrangement, activation="relu", level=4)
    refinement = dictionary_refinement(program, rounds=10, rtol=1e-8)
    upper = np.array(refinement.upper_bounds)
    assert upper[0] == pytest.approx(bounds[-1], abs=1e-8)
    assert np.all(np.diff(upper) <= 1e-8), upper
    assert refinement.solution.objective == pytest.approx(scalar, rel=1e-6)
    assert refinement.solution.is_certified(1e-6)


def test_column_generation_certifies_the_vector_relu_optimum(certified_relu):
    upper = np.array(certified_relu.upper_bounds)
    assert np.all(np.diff(upper) <= 1e-8), upper  # the dictionary only grows
    assert np.all(np.array(certified_relu.lower_bounds) <= upper.min() + 1e-9)
    final = certified_relu.solution
    assert final.is_certified(1e-6)
    assert final.relative_gap <= 1e-6
    assert upper[0] - upper[-1] > 1e-3  # the coarse dictionary was not optimal


def test_nonconvex_training_never_beats_the_certified_bound(data_2out, certified_relu):
    x, _, Y, _ = data_2out
    lower = certified_relu.best_lower_bound
    upper = certified_relu.solution.objective
    best = np.inf
    with threadpool_limits(limits=1, user_api="blas"):  # tiny problems: BLAS threads only contend
        for width in (2, 4, 17):  # 17 = n c + 1
            for seed in range(6):
                fit = fit_mlp(x, Y, BETA, width, random_state=seed, max_iter=2000)
                assert fit.network.output_weights.shape == (width, 2)
                assert fit.objective >= lower - 1e-9
                best = min(best, fit.objective)
    assert best >= upper * (1 - 1e-6)


# --------------------------------------------------------------------------------- connectivity


def test_two_optimal_networks_are_joined_by_a_path_of_constant_objective():
    data = make_vector_continuum(6)
    X = add_intercept(data.X)
    n, c = data.y.shape
    program = VectorOutputProgram(X, data.y, data.beta, enumerate_patterns(X), activation="relu", level=0)
    solution = dictionary_refinement(program, rounds=8, rtol=1e-8).solution
    assert solution.is_certified(1e-7)
    p_star = 0.5 * np.sum(data.X**2) + data.beta * 6 * 0.5  # ||Lambda||^2 / 2 + beta * sum c
    assert solution.objective == pytest.approx(p_star, rel=1e-7)

    atoms = optimal_atoms(solution, X)
    assert len(atoms.values) == 6 and np.linalg.matrix_rank(atoms.fit_matrix, tol=1e-8) == 5
    first = polytope_vertex(atoms, solution.prediction, np.arange(6.0))
    second = polytope_vertex(atoms, solution.prediction, -np.arange(6.0))
    assert set(np.nonzero(first > 1e-9)[0]).isdisjoint(np.nonzero(second > 1e-9)[0])  # different vertices

    width = n * c + 1
    network_a, network_b = atoms.network(first, width=width), atoms.network(second, width=width)
    X_test = np.array([[2.0, -2.0], [-2.0, 0.5]])  # they agree inside the hexagon, not outside
    assert np.abs(network_a.predict(add_intercept(X_test)) - network_b.predict(add_intercept(X_test))).max() > 1e-2
    path = linear_path(network_a, network_b, X, data.y, data.beta, n_points=41)
    assert np.allclose(path.networks[0].to_vector(), network_a.to_vector(), atol=1e-12)
    assert np.allclose(path.networks[-1].to_vector(), network_b.to_vector(), atol=1e-12)
    assert path.max_deviation <= 1e-8 * p_star
    assert path.objectives == pytest.approx(np.full(41, p_star), rel=1e-7)


def test_linear_path_stays_below_the_chord():
    rng = np.random.default_rng(3)
    X = add_intercept(rng.normal(size=(7, 2)))
    Y = rng.normal(size=(7, 3))
    directions = rng.normal(size=(5, 3))
    outputs = rng.normal(size=(5, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    outputs /= np.linalg.norm(outputs, axis=1, keepdims=True)
    a = np.sqrt(np.array([1.0, 0.5, 0.0, 2.0, 0.0]))[:, None]
    b = np.sqrt(np.array([0.0, 1.5, 1.0, 0.2, 0.0]))[:, None]
    network_a, network_b = ReLUNetwork(a * directions, a * outputs), ReLUNetwork(b * directions, b * outputs)
    path = linear_path(network_a, network_b, X, Y, 0.3, n_points=11)
    chord = (1 - path.t) * path.objectives[0] + path.t * path.objectives[-1]
    assert np.all(path.objectives <= chord + 1e-12)
    with pytest.raises(ValueError, match="not balanced"):
        linear_path(ReLUNetwork(2 * a * directions, a * outputs), network_b, X, Y, 0.3)
    with pytest.raises(ValueError, match="slot 1"):
        linear_path(network_a, ReLUNetwork(b * directions[::-1], b * outputs), X, Y, 0.3)


# --------------------------------------------------------------------- ReLUNetwork with (m, c)


def test_relu_network_with_vector_outputs_supports_mlp_balance_and_gradient():
    rng = np.random.default_rng(4)
    network = ReLUNetwork(rng.normal(size=(5, 2)), rng.normal(size=(5, 3)), rng.normal(size=5))
    X, Y = rng.normal(size=(9, 2)), rng.normal(size=(9, 3))
    assert np.allclose(network.to_mlp().predict(X), network.predict(X), atol=1e-12)
    balanced = network.balanced()
    assert np.allclose(balanced.predict(X), network.predict(X), atol=1e-12)
    assert balanced.objective(X, Y, 0.2) <= network.objective(X, Y, 0.2) + 1e-12
    assert np.allclose(ReLUNetwork.from_mlp(network.to_mlp()).predict(X), network.predict(X))
    gradient = network.gradient(X, Y, 0.2).to_vector()
    theta, step = network.to_vector(), 1e-6
    for k in range(0, theta.size, 3):
        e = np.zeros_like(theta)
        e[k] = step
        numeric = (network.from_vector(theta + e).objective(X, Y, 0.2) - network.from_vector(theta - e).objective(X, Y, 0.2)) / (2 * step)
        assert numeric == pytest.approx(gradient[k], abs=1e-6)


# ------------------------------------------------------------------------------- limits, input


def test_sizes_beyond_the_exact_check_raise_a_clear_error():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 4))
    with pytest.raises(ValueError, match=r"rank\(X\) <= 3"):
        dense_dual_check(rng.normal(size=(6, 2)), X)
    with pytest.raises(ValueError, match="MAX_DIRECTIONS"):
        arrangement_rays(rng.normal(size=(30, 3)), max_count=100)
    arrangement = sample_patterns(X, 20, random_state=0)
    program = VectorOutputProgram(X, rng.normal(size=(6, 2)), 0.1, arrangement, activation="relu", directions=rng.normal(size=(30, 4)))
    solution = program.solve()
    assert solution.check is None and np.isnan(solution.lower_bound) and not solution.is_certified()
    with pytest.raises(ValueError, match="refine needs c = 1 or rank"):
        program.refine(solution)
    assert not program.can_refine and len(dictionary_refinement(program).solutions) == 1
    with pytest.raises(ValueError, match=r"rank\(X\) <= 3"):
        program.solve(certify=True)


def test_bad_input_is_rejected(data_2out):
    _, X, Y, arrangement = data_2out
    with pytest.raises(ValueError, match="activation"):
        VectorOutputProgram(X, Y, BETA, arrangement, activation="tanh")
    with pytest.raises(ValueError, match="Y must have shape"):
        VectorOutputProgram(X, Y[:, :, None], BETA, arrangement)
    with pytest.raises(ValueError, match="samples"):
        VectorOutputProgram(X, Y[:-1], BETA, arrangement)
    with pytest.raises(TypeError, match="arrangement"):
        VectorOutputProgram(X, Y, BETA, arrangement.masks)
    with pytest.raises(ValueError, match="beta"):
        VectorOutputProgram(X, Y, -1.0, arrangement)
    with pytest.raises(ValueError, match="directions are only used"):
        VectorOutputProgram(X, Y, BETA, arrangement, activation="gated", directions=np.eye(3))
