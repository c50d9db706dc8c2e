"""Tests of sklearn_convexnn.arrangements; each test checks a mathematical fact of THEORY.md §B."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.special import betainc

from sklearn_convexnn.arrangements import (
    Arrangement,
    EnumerationError,
    add_intercept,
    count_patterns_bound,
    enumerate_patterns,
    gate_scaling,
    sample_patterns,
)

# --------------------------------------------------------------------------------------------
# Independent oracles
# --------------------------------------------------------------------------------------------


def _feasible_gate(rows, signs):
    """An h with s_i x_i^T h >= 1 for all i (HiGHS LP), or None if there is none."""
    result = linprog(
        c=np.zeros(rows.shape[1]),
        A_ub=-(signs[:, None] * rows),
        b_ub=-np.ones(len(rows)),
        bounds=[(None, None)] * rows.shape[1],
        method="highs",
    )
    return result.x if result.status == 0 else None


def lp_oracle_masks(X, fit_intercept):
    """Non-trivial patterns by the incremental LP of THEORY.md §B, method 3.

    Sign vectors of the non-zero rows are extended one row at a time and kept iff the open cone
    {h : s_i x_i^T h > 0} is non-empty (equivalently s_i x_i^T h >= 1 is feasible).
    """
    Xa = add_intercept(X) if fit_intercept else np.asarray(X, dtype=float)
    nonzero = np.flatnonzero(np.linalg.norm(Xa, axis=1) > 0)
    if nonzero.size == 0:
        return {tuple([True] * len(Xa))}
    states = [((), np.zeros(Xa.shape[1]))]
    for k, row in enumerate(Xa[nonzero]):
        rows = Xa[nonzero[: k + 1]]
        extended = []
        for signs, h in states:
            value = row @ h
            for s in (1.0, -1.0):
                new_signs = signs + (s,)
                if s * value > 0:  # the parent's witness, rescaled, already works
                    extended.append((new_signs, h * max(1.0, 1.0 / (s * value))))
                else:
                    witness = _feasible_gate(rows, np.array(new_signs))
                    if witness is not None:
                        extended.append((new_signs, witness))
        states = extended
    masks = set()
    for signs, _ in states:
        mask = np.ones(len(Xa), dtype=bool)
        mask[nonzero] = np.array(signs) > 0
        if mask[nonzero].any():
            masks.add(tuple(mask))
    return masks


def all_negative_region_exists(X):
    """Is {h : Xh < 0} non-empty (then its pattern is the dropped all-zero one)?"""
    return _feasible_gate(np.asarray(X, dtype=float), -np.ones(len(X))) is not None


def mask_set(arrangement):
    return {tuple(column) for column in arrangement.masks.T}


def assert_gates_generate_masks(arrangement, X, fit_intercept):
    Xa = add_intercept(X) if fit_intercept else np.asarray(X, dtype=float)
    values = Xa @ arrangement.gates
    np.testing.assert_array_equal(values >= 0, arrangement.masks)
    nonzero = np.linalg.norm(Xa, axis=1) > 0
    if nonzero.any():
        margins = np.abs(values[nonzero]) / (
            np.linalg.norm(Xa[nonzero], axis=1)[:, None] * np.linalg.norm(arrangement.gates, axis=0)
        )
        assert margins.min() > 1e-12
        # generic gate => interior of its cone K_i = {u : (2 D_i - I) X u >= 0}
        signs = 2.0 * arrangement.masks[nonzero] - 1.0
        assert np.all(signs * values[nonzero] > 0)


# --------------------------------------------------------------------------------------------
# Region counts
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 7, 20])
def test_1d_with_bias_gives_threshold_sets(n):
    """1-D, distinct points, with bias: 2n - 1 patterns, exactly {x >= t} and {x <= t}."""
    x = np.random.default_rng(n).standard_normal(n)
    arrangement = enumerate_patterns(x[:, None], fit_intercept=True)
    assert arrangement.n_patterns == 2 * n - 1
    xs = np.sort(x)
    thresholds = np.concatenate([[xs[0] - 1], (xs[:-1] + xs[1:]) / 2, [xs[-1] + 1]])
    expected = {tuple(x >= t) for t in thresholds} | {tuple(x <= t) for t in thresholds}
    expected.discard(tuple(np.zeros(n, dtype=bool)))
    assert mask_set(arrangement) == expected
    assert arrangement.exhaustive


@pytest.mark.parametrize("n", [3, 5, 11, 24])
def test_2d_with_bias_general_position(n):
    """2-D points, no three collinear, with bias: n^2 - n + 2 regions, one of them all-zero."""
    X = np.random.default_rng(100 + n).standard_normal((n, 2))
    arrangement = enumerate_patterns(X, fit_intercept=True)
    assert arrangement.n_patterns == n * n - n + 1
    assert count_patterns_bound(n, 3) == n * n - n + 2


@pytest.mark.parametrize("n, d, regions", [(5, 2, 10), (6, 3, 32), (8, 3, 58), (7, 4, 84)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_general_position_counts_without_bias(n, d, regions, seed):
    """Generic rows: 2 sum_{k<d} C(n-1, k) regions, minus the all-zero one if {Xh < 0} != {}."""
    X = np.random.default_rng(seed).standard_normal((n, d))
    assert count_patterns_bound(n, d) == regions
    arrangement = enumerate_patterns(X)
    assert arrangement.n_patterns == regions - all_negative_region_exists(X)


@pytest.mark.parametrize("units", [1e-10, 1e-3, 1e8, 1e10, 1e12, 1e150])
def test_enumeration_with_bias_does_not_depend_on_the_units_of_the_features(units):
    """The patterns of [cX, 1] are those of [X, 1] for every c > 0: n^2 - n + 1 for 24 generic points in the
    plane, whatever c. Enumerated in raw units, the unit rows of [1e-10 X, 1] agree to 1e-10 and gave 1 pattern,
    claimed exhaustive; 1e8 gave 549, 1e12 48, 1e10 an EnumerationError. The gates returned cut the data as given
    into their patterns."""
    X = np.random.default_rng(124).standard_normal((24, 2))
    reference = enumerate_patterns(X, fit_intercept=True)
    arrangement = enumerate_patterns(units * X, fit_intercept=True)
    assert arrangement.n_patterns == 24 * 24 - 24 + 1
    np.testing.assert_array_equal(arrangement.masks, reference.masks)
    np.testing.assert_array_equal(add_intercept(units * X) @ arrangement.gates >= 0, arrangement.masks)


@pytest.mark.parametrize("factor", [1e5, 1e10, 1e20, 1e150, 1e-150])
def test_enumeration_does_not_depend_on_the_scale_of_a_row(factor):
    """A positive factor on a row leaves its hyperplane, so the patterns, unchanged: 58 for 8 generic points in R^3.
    With the columns scaled by their largest entries, a row of 1e10 (zero in the second feature) left the second
    feature the only one of unit size in the other rows: an EnumerationError at 1e10, 4 patterns of 58 claimed
    exhaustive at 1e20 and beyond."""
    X = np.random.default_rng(0).standard_normal((8, 3))
    X[0, 1] = 0.0
    reference = enumerate_patterns(X)
    X[0] *= factor
    arrangement = enumerate_patterns(X)
    assert reference.n_patterns == 58
    np.testing.assert_array_equal(arrangement.masks, reference.masks)
    np.testing.assert_array_equal(X @ arrangement.gates >= 0, arrangement.masks)


def test_enumeration_refuses_gates_beyond_the_float64_range():
    """Columns in units 1e10 and 1e-310 (a subnormal feature) keep the 18 patterns of 9 generic points in the plane,
    with unit gates of parts 1e-10 and 1 generating them. In units 1e52 and 1e-310 a unit gate needs parts 1e-362
    and 1: the first underflowed to 0 and the gates returned no longer generated their masks; an EnumerationError
    now says so."""
    X = np.random.default_rng(3).standard_normal((9, 2))
    reference = enumerate_patterns(X)
    units = np.array([1e10, 1e-310])
    arrangement = enumerate_patterns(X * units)
    assert reference.n_patterns == 18
    np.testing.assert_array_equal(arrangement.masks, reference.masks)
    np.testing.assert_array_equal((X * units) @ arrangement.gates >= 0, arrangement.masks)
    np.testing.assert_allclose(np.linalg.norm(arrangement.gates, axis=0), 1.0, rtol=1e-12)
    with pytest.raises(EnumerationError, match="cannot be represented in float64"):
        enumerate_patterns(X * np.array([1e52, 1e-310]))


def test_all_negative_region_both_cases():
    """The all-zero region exists for points in an open half-space, not for balanced ones."""
    half_space = np.array([[1.0, 0.2], [1.0, -0.5], [2.0, 0.1]])
    balanced = np.array([[1.0, 0.0], [-0.5, 0.8], [-0.5, -0.8]])
    assert all_negative_region_exists(half_space)
    assert not all_negative_region_exists(balanced)
    assert enumerate_patterns(half_space).n_patterns == count_patterns_bound(3, 2) - 1
    assert enumerate_patterns(balanced).n_patterns == count_patterns_bound(3, 2)


# --------------------------------------------------------------------------------------------
# Cross-checks against brute force and the LP oracle, including degenerate data
# --------------------------------------------------------------------------------------------


def _degenerate_data(seed, n, d):
    """Random rows plus a duplicate, a positively and a negatively parallel row and a zero row."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((n - 4, d))
    extra = np.array([base[0], 2.5 * base[1], -0.7 * base[0], np.zeros(d)])
    return rng.permutation(np.vstack([base, extra]))


BRUTE_FORCE_CASES = [
    # (seed, n, d, fit_intercept, degenerate)
    (0, 6, 2, False, False),
    (1, 8, 3, False, False),
    (2, 7, 4, False, False),
    (3, 8, 2, False, True),
    (4, 8, 3, False, True),
    (5, 8, 4, False, True),
    (6, 7, 1, True, False),
    (7, 8, 2, True, False),
    (8, 8, 1, True, True),
    (9, 8, 2, True, True),
    (10, 6, 3, True, True),
]


def cap_fraction(angle, dim):
    """Normalised area of a spherical cap of angular radius ``angle`` <= pi/2 on S^{dim-1}."""
    return 0.5 * betainc((dim - 1) / 2, 0.5, np.sin(angle) ** 2)


@pytest.mark.parametrize("seed, n, d, fit_intercept, degenerate", BRUTE_FORCE_CASES)
def test_exact_against_brute_force_sampling(seed, n, d, fit_intercept, degenerate):
    """200000 Gaussian gates never find a pattern outside the exact set, and they find every
    region that is not tiny (completeness itself is checked against the LP oracle below).

    A gate g with normalised margin m = min_k |x_k^T g| / (||x_k|| ||g||) is the centre of a
    spherical cap of angular radius arcsin(m) inside its region; if that cap has normalised area
    a, N uniform directions miss it with probability (1 - a)^N <= exp(-N a). Regions with
    N a >= 30 (miss probability < 1e-13) must be found.
    """
    X = _degenerate_data(seed, n, d) if degenerate else (
        np.random.default_rng(seed).standard_normal((n, d)))
    n_gates = 200_000
    exact = enumerate_patterns(X, fit_intercept=fit_intercept)
    sampled = sample_patterns(X, n_gates, fit_intercept=fit_intercept, random_state=seed)
    assert mask_set(sampled) <= mask_set(exact)

    Xa = add_intercept(X) if fit_intercept else X
    rows = Xa[np.linalg.norm(Xa, axis=1) > 0]
    rows = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    gates = exact.gates / np.linalg.norm(exact.gates, axis=0)
    caps = cap_fraction(np.arcsin(np.abs(rows @ gates).min(axis=0)), Xa.shape[1])
    large = exact.subset(n_gates * caps >= 30)
    # Random data have genuinely thin regions (caps of area ~1e-8), which sampling misses;
    # the claim below is not vacuous: it covers at least 40% of the regions in every case.
    assert large.n_patterns >= 0.4 * exact.n_patterns
    assert mask_set(large) <= mask_set(sampled)
    assert_gates_generate_masks(exact, X, fit_intercept)


LP_CASES = [
    (np.random.default_rng(0).standard_normal((6, 3)), False),
    (np.random.default_rng(1).standard_normal((5, 4)), False),
    (_degenerate_data(2, 8, 3), False),
    (_degenerate_data(3, 7, 4), False),
    (_degenerate_data(4, 6, 2), True),
    (np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), True),
    # three planes through one line and a fourth: a non-simple ray in rank 3
    (np.array([[1.0, 0, 0], [0, 1.0, 0], [1.0, 1.0, 0], [0, 0, 1.0], [1.0, -1.0, 1.0]]), False),
]


@pytest.mark.parametrize("X, fit_intercept", LP_CASES)
def test_exact_equals_incremental_lp_oracle(X, fit_intercept):
    exact = enumerate_patterns(X, fit_intercept=fit_intercept)
    assert mask_set(exact) == lp_oracle_masks(X, fit_intercept)
    assert exact.n_patterns == len(mask_set(exact))  # no duplicate columns
    assert_gates_generate_masks(exact, X, fit_intercept)


def test_pattern_count_never_exceeds_bound():
    """P <= 2 sum_{k<r} C(n-1, k), on degenerate integer data of several ranks."""
    rng = np.random.default_rng(5)
    for d in (1, 2, 3, 4):
        X = rng.integers(-2, 3, size=(9, d)).astype(float)
        arrangement = enumerate_patterns(X)
        assert arrangement.n_patterns <= count_patterns_bound(9, np.linalg.matrix_rank(X))
        assert_gates_generate_masks(arrangement, X, False)


@settings(max_examples=25, deadline=None)
@given(
    d=st.integers(1, 2),
    points=st.lists(st.integers(-3, 3), min_size=2, max_size=12),
)
def test_property_exact_count_equals_lp_oracle(d, points):
    """Small integer data (duplicates and collinear points likely), with bias: exact = oracle."""
    X = np.array(points[: len(points) // d * d], dtype=float).reshape(-1, d)
    exact = enumerate_patterns(X, fit_intercept=True)
    oracle = lp_oracle_masks(X, fit_intercept=True)
    assert exact.n_patterns == len(oracle)
    assert mask_set(exact) == oracle


# --------------------------------------------------------------------------------------------
# Special cases and the container
# --------------------------------------------------------------------------------------------


def test_rank_zero_and_rank_one():
    """All-zero data: one all-True pattern. Rank 1 (parallel rows): the two half-lines."""
    zero = enumerate_patterns(np.zeros((3, 2)))
    assert zero.n_patterns == 1 and zero.masks.all() and zero.exhaustive
    assert mask_set(sample_patterns(np.zeros((3, 2)), 5, random_state=0)) == mask_set(zero)

    X = np.array([[1.0, 2.0], [-2.0, -4.0], [0.0, 0.0], [0.5, 1.0]])
    assert mask_set(enumerate_patterns(X)) == {
        (True, False, True, True),
        (False, True, True, False),
    }
    # without bias, 1-D: the signs of h > 0 and h < 0
    x = np.array([[1.0], [-3.0], [2.0]])
    assert mask_set(enumerate_patterns(x)) == {(True, False, True), (False, True, False)}


def test_arrangement_is_read_only_and_combines():
    X = np.random.default_rng(0).standard_normal((6, 2))
    exact = enumerate_patterns(X, fit_intercept=True)
    with pytest.raises(ValueError):
        exact.masks[0, 0] = not exact.masks[0, 0]
    with pytest.raises(ValueError):
        exact.gates[0, 0] = 1.0
    assert exact.n_samples == 6 and exact.gates.shape == (3, exact.n_patterns)

    half = exact.subset(np.arange(exact.n_patterns) % 2 == 0)
    assert not half.exhaustive
    assert exact.subset(np.arange(exact.n_patterns)[::-1]).exhaustive
    rest = exact.subset(np.arange(1, exact.n_patterns, 2))
    merged = half.union(rest)
    assert mask_set(merged) == mask_set(exact) and not merged.exhaustive
    assert merged.n_patterns == exact.n_patterns
    sampled = sample_patterns(X, 50, fit_intercept=True, random_state=0)
    union = sampled.union(exact)
    assert union.exhaustive and mask_set(union) == mask_set(exact)
    assert union.n_patterns == exact.n_patterns


def test_add_intercept_and_bound_helper():
    np.testing.assert_array_equal(add_intercept([[1.0], [2.0]]), [[1.0, 1.0], [2.0, 1.0]])
    assert count_patterns_bound(10, 2) == 20
    assert count_patterns_bound(5, 0) == 1
    assert count_patterns_bound(6, 6) == 2**6  # n <= r: every sign vector
    assert count_patterns_bound(30, 3) == 2 * (1 + 29 + math.comb(29, 2))


# --------------------------------------------------------------------------------------------
# Refusal, sampling and validation
# --------------------------------------------------------------------------------------------


def test_refuses_when_bound_exceeds_max_patterns():
    X = np.random.default_rng(0).standard_normal((30, 3))
    bound = count_patterns_bound(30, 3)
    with pytest.raises(ValueError, match="sample_patterns") as info:
        enumerate_patterns(X, max_patterns=bound - 1)
    assert str(bound) in str(info.value) and "n=30" in str(info.value)
    assert enumerate_patterns(X, max_patterns=bound).n_patterns <= bound


def test_sample_patterns_subset_and_deterministic():
    X = np.random.default_rng(1).standard_normal((15, 3))
    exact = enumerate_patterns(X, fit_intercept=True)
    first = sample_patterns(X, 300, fit_intercept=True, random_state=0)
    second = sample_patterns(X, 300, fit_intercept=True, random_state=0)
    assert mask_set(first) <= mask_set(exact)
    assert not first.exhaustive
    np.testing.assert_array_equal(first.masks, second.masks)
    np.testing.assert_array_equal(first.gates, second.gates)
    np.testing.assert_array_equal(add_intercept(X) @ first.gates >= 0, first.masks)
    assert len(mask_set(first)) == first.n_patterns <= 300
    assert not (~first.masks).all(axis=0).any()  # the all-zero pattern is dropped


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError),
                                        ("a", TypeError)])
def test_sample_patterns_rejects_bad_n_patterns(bad, error):
    with pytest.raises(error, match="n_patterns"):
        sample_patterns(np.ones((3, 2)), bad)


@pytest.mark.parametrize("function", [
    lambda X: enumerate_patterns(X),
    lambda X: sample_patterns(X, 10),
])
def test_rejects_non_finite_X(function):
    X = np.array([[1.0, np.nan], [0.0, 1.0]])
    with pytest.raises(ValueError, match="X"):
        function(X)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (2.5, TypeError)])
def test_enumerate_rejects_bad_max_patterns(bad, error):
    with pytest.raises(error, match="max_patterns"):
        enumerate_patterns(np.ones((3, 2)), max_patterns=bad)


def test_arrangement_is_a_plain_container():
    arrangement = Arrangement(np.array([[True], [False]]), np.array([[1.0], [0.0]]), True)
    assert arrangement.n_patterns == 1 and "n_patterns=1" in repr(arrangement)
    with pytest.raises(ValueError):
        Arrangement(np.ones((2, 2), dtype=bool), np.ones((2, 3)), False)


def _linnerud_with_bias():
    from sklearn.datasets import load_linnerud

    return add_intercept(load_linnerud(return_X_y=True)[0])  # features up to 251 beside the ones column


def test_gate_scaling_is_a_coarse_standardization_and_the_identity_on_standardized_data():
    X = _linnerud_with_bias()
    T = gate_scaling(X)
    Z = X @ T
    assert np.all(np.abs(Z[:, :-1].mean(axis=0)) <= 1 / 16 + 1e-12)
    assert np.all((Z[:, :-1].std(axis=0) >= 2 ** -0.5) & (Z[:, :-1].std(axis=0) <= 2 ** 0.5))
    assert np.array_equal(Z[:, -1], np.ones(len(X)))
    # a change of units by powers of two is cancelled exactly; the identity on standardized data
    units = 2.0 ** np.array([7, -10, 20, 0])
    assert np.array_equal((X * units) @ gate_scaling(X * units), Z)
    # ... while no column falls to 1e-12 of its rows' largest entries: such a column (here 2^-60 times the second
    # feature, 1e-16 of the ones) is not standardized but divided as much as the most divided feature, so that it
    # stays below 1e-12 of its rows' largest entries; the others are standardized as before
    units = 2.0 ** np.array([0, -60, 0, 0])
    T = gate_scaling(X * units)
    assert T[1, 1] == min(T[0, 0], T[2, 2]) and not np.any(np.delete(T[:, 1], 1))
    scaled = (X * units) @ T
    assert np.all(np.abs(scaled[:, 1]) <= 1e-12 * np.abs(scaled).max(axis=1))
    assert np.array_equal(scaled[:, [0, 2, 3]], Z[:, [0, 2, 3]])
    standardized = add_intercept((X[:, :-1] - X[:, :-1].mean(axis=0)) / X[:, :-1].std(axis=0))
    assert np.array_equal(gate_scaling(standardized), np.eye(4))
    # without a constant column nothing is centred: a diagonal of powers of two, root mean squares near 1
    T = gate_scaling(X[:, :-1] * 1e-140)
    assert np.array_equal(T, np.diag(np.diag(T))) and np.all(np.log2(np.diag(T)) % 1 == 0)
    rms = np.sqrt(np.mean((X[:, :-1] * 1e-140 @ T) ** 2, axis=0))
    assert np.all((rms >= 2 ** -0.5) & (rms <= 2 ** 0.5))
    # constant and zero columns are left alone; the result is invertible
    degenerate = np.column_stack([X[:, 0], np.zeros(len(X)), np.full(len(X), 3.0)])
    T = gate_scaling(degenerate)
    assert T[1, 1] == 1.0 and T[2, 2] == 1.0 and np.all(np.isfinite(T)) and abs(np.linalg.det(T)) > 0


def test_a_negligible_feature_stays_negligible_when_the_others_are_divided_by_huge_powers_of_two():
    """sweep17 fuzz_gates 190121: the third feature (1.7e202) is below 1e-12 of the second (8e295) in every row, so it
    is not standardized; left at T = 1 while the second was divided by 2^983 (and T shifted by 2^483 to keep its
    diagonal within 2^+-500), it became 2^1155 times its draw in X T g: an overflow in sample_patterns. Divided like the
    second, every entry of X T stays finite and the feature below 1e-12 of its rows' largest."""
    X = np.array([[1.1900141676500805e-169, -4.7987420372070601e+295, -1.7171174764664620e+202],
                  [1.0474745984082496e-169, 8.0368291385666755e+295, -4.1490147740021243e+201]])
    for fit_intercept in (False, True):
        Xa = add_intercept(X) if fit_intercept else X
        T = gate_scaling(Xa)
        with np.errstate(over="raise", invalid="raise"):  # (the negligible feature's products may underflow)
            scaled = Xa @ T
            arrangement = sample_patterns(X, 50, fit_intercept=fit_intercept, standardize=True, random_state=0)
        assert np.all(np.abs(scaled[:, 2]) <= 1e-12 * np.abs(scaled).max(axis=1))
        assert np.all(np.isfinite(arrangement.gates))
        np.testing.assert_array_equal(Xa @ arrangement.gates >= 0, arrangement.masks)


def test_standardized_sampling_cuts_through_the_data_whatever_its_units():
    X = _linnerud_with_bias()
    plain = sample_patterns(X, 100, random_state=0)
    scaled = sample_patterns(X, 100, standardize=True, random_state=0)
    # Gaussian gates g mostly pass beside data 100 units from the origin: few distinct patterns
    assert plain.n_patterns <= 15 and scaled.n_patterns >= 50
    assert np.array_equal(scaled.masks, X @ scaled.gates >= 0)  # the gates generate their masks
    units = 2.0 ** np.array([5, -3, 20, 0])
    rescaled = sample_patterns(X * units, 100, standardize=True, random_state=0)
    assert np.array_equal(rescaled.masks, scaled.masks)
    # a feature in units 2^40 times larger: the gates T g cut the data into cones whose points have margins
    # min_k s_k x_k'u / (|x_k| |u|) of 1e-17..6e-16, below float64's resolution; the draws g are used instead
    units = 2.0 ** np.array([5, -3, 40, 0])
    extreme = sample_patterns(X * units, 100, standardize=True, random_state=0)
    assert np.array_equal(extreme.masks, sample_patterns(X * units, 100, random_state=0).masks)
    # standardized data: the very same gates as without standardize
    standardized = add_intercept((X[:, :-1] - X[:, :-1].mean(axis=0)) / X[:, :-1].std(axis=0))
    a = sample_patterns(standardized, 40, standardize=True, random_state=1)
    b = sample_patterns(standardized, 40, random_state=1)
    assert np.array_equal(a.gates, b.gates) and np.array_equal(a.masks, b.masks)


def test_features_far_below_the_others_decide_no_sampled_pattern():
    # sweep16 case 178212: gate_scaling scaled features of 1e-72, 1e-27 and 2e-82 up to unit size, and every sampled
    # pattern was cut by them: cones whose points all have normalised margins below 1e-88, which Clarabel reported
    # infeasible and column generation could not enter (relative gap 0.998). A feature at most 1e-12 of its rows'
    # largest entries changes no sign of X g at float64 resolution unless scaled up: it is left unscaled
    from sklearn_convexnn import ConvexProgram, ConvexReLURegressor

    rng = np.random.default_rng(0)
    X_ok = rng.standard_normal((19, 2))
    tiny = rng.standard_normal((19, 3)) * np.array([1e-72, 1e-27, 1e-82])
    X = np.hstack([X_ok[:, :1], tiny[:, :1], X_ok[:, 1:], tiny[:, 1:]])
    y = 100 * rng.standard_normal(19)
    model = ConvexReLURegressor(beta=0.27, patterns="sample", n_patterns=30, random_state=0).fit(X, y)
    arrangement = model.arrangement_
    kept = [0, 2, 5]  # the two features and the ones column
    # every pattern is one of the data without the tiny features, its gate's part on them generating it ...
    assert np.array_equal(add_intercept(X_ok) @ arrangement.gates[kept] >= 0, arrangement.masks)
    # ... and lies clearly inside its cone (normalised margin min_k |x_k'g| / (|x_k| |g|))
    unit = add_intercept(X) / np.linalg.norm(add_intercept(X), axis=1, keepdims=True)
    assert np.min(np.abs(unit @ arrangement.gates) / np.linalg.norm(arrangement.gates, axis=0)) >= 1e-12
    # the fit is certified, at the optimum of the program without the tiny features over the same patterns (they
    # change no prediction beyond 1e-27 of it)
    reference = ConvexProgram(add_intercept(X_ok), y, 0.27,
                              Arrangement(arrangement.masks, arrangement.gates[kept], exhaustive=False)).solve("cvxpy")
    assert model.duality_gap_ <= 1e-6 * model.objective_
    assert model.objective_ == pytest.approx(reference.objective, rel=1e-6)


def test_sampled_patterns_of_an_offset_far_above_its_spread_have_resolvable_cones():
    # a feature 1e8 + 1e-3 z beside the ones column: standardized gates cut the data along it, into cones whose points
    # have normalised margins of 2e-22..8e-20 (the rows are parallel to 1e-11); those gates are replaced by their
    # draws, and every cone kept has a point of margin 1e-12 (found here by an LP over all rows)
    rng = np.random.default_rng(0)
    X = add_intercept(np.column_stack([1e8 + 1e-3 * rng.standard_normal(20), rng.standard_normal(20)]))
    arrangement = sample_patterns(X, 50, standardize=True, random_state=0)
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    for mask in arrangement.masks.T:
        signed = np.where(mask, 1.0, -1.0)[:, None] * unit
        result = linprog(np.r_[0.0, 0.0, 0.0, -1.0], A_ub=np.hstack([-signed, np.ones((20, 1))]), b_ub=np.zeros(20),
                         bounds=[(-1, 1)] * 3 + [(None, 1)], method="highs")
        point = result.x[:3]
        assert np.min(signed @ point) >= 1e-12 * np.linalg.norm(point)
