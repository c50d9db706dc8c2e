"""Hypothesis strategies for the robustness suite: awkward data, targets, labels, weights, beta.

Every strategy draws what a student or a grid search could pass: any shape with n = 1 and 2
included, float32/float64/int/bool/object dtypes, constant, zero or duplicate columns and rows,
feature scales from 1e-8 to 1e8, targets that are constant or far from unit scale, labels of any
type (one class only included), weight decay from 1e-12 to 1e12, and networks with zero,
duplicate or huge neurons.
"""

import numpy as np
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sklearn_convexnn import ReLUNetwork

#: the settings of every property of the suite: reproducible (derandomized, no example database),
#: no deadline (a solver call can take a second on a loaded machine), no shrinking (a failing case
#: may be a hang, and shrinking would repeat it; the failing example is reported as generated)
ROBUST = settings(
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

STRUCTURES = ("plain", "constant column", "zero column", "duplicate column", "duplicate rows", "rounded")
DTYPES = ("float64", "float32", "int64", "bool", "object")
SOLVER_CHOICES = ("auto", "cvxpy")
ESTIMATOR_CONFIGS = (
    ("regressor", "relu", "squared"),
    ("regressor", "gated", "squared"),
    ("classifier", "relu", "squared"),
    ("classifier", "gated", "squared"),
    ("classifier", "relu", "logistic"),
    ("classifier", "gated", "logistic"),
)

unit_floats = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)


def exponents(low, high):
    """Powers of ten ``10**k`` for integer ``k`` in ``[low, high]``."""
    return st.integers(low, high).map(lambda k: 10.0**k)


#: weight decay: powers of ten over 24 decades, and ordinary values
betas = st.one_of(exponents(-12, 12), st.floats(1e-3, 10.0))


@st.composite
def shapes(draw, min_n=1, max_n=8, max_d=3):
    """``(n, d)`` with n = 1 and n = 2 drawn often."""
    n = draw(st.one_of(st.sampled_from([1, 2]), st.integers(min_n, max_n)).filter(lambda k: k >= min_n))
    return n, draw(st.integers(1, max_d))


def structured(draw, X):
    """Give ``X`` one of :data:`STRUCTURES`."""
    structure = draw(st.sampled_from(STRUCTURES))
    n, d = X.shape
    X = X.copy()
    if structure == "constant column":
        X[:, draw(st.integers(0, d - 1))] = draw(unit_floats)
    elif structure == "zero column":
        X[:, draw(st.integers(0, d - 1))] = 0.0
    elif structure == "duplicate column":
        X = np.column_stack([X, X[:, :1]])
    elif structure == "duplicate rows" and n >= 2:
        X[n // 2:] = X[: n - n // 2]
    elif structure == "rounded":
        X = np.round(X)  # ties and repeated values
    return X


def with_dtype(draw, X):
    """``X`` (scaled) in one of :data:`DTYPES`; int and bool are taken from the unscaled values."""
    dtype = draw(st.sampled_from(DTYPES))
    if dtype == "int64":
        return np.round(3 * X).astype(np.int64)
    if dtype == "bool":
        return X > 0
    scaled = X * draw(exponents(-8, 8))
    if dtype == "float32":
        return scaled.astype(np.float32)
    if dtype == "object":
        return scaled.astype(object)
    return scaled


@st.composite
def design_matrices(draw, min_n=1, max_n=8, max_d=3):
    """Finite data of awkward structure, dtype and scale, shape (n, d) or (n, d + 1)."""
    n, d = draw(shapes(min_n, max_n, max_d))
    X = draw(arrays(np.float64, (n, d), elements=unit_floats))
    return with_dtype(draw, structured(draw, X))


@st.composite
def non_finite(draw, X):
    """``X`` as float with one entry replaced by NaN, +inf or -inf."""
    X = np.array(X, dtype=np.float64)
    i, j = draw(st.integers(0, X.shape[0] - 1)), draw(st.integers(0, X.shape[1] - 1))
    X[i, j] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return X


@st.composite
def regression_targets(draw, n):
    """Targets of length n: plain, constant, zero or with repeated values, at scales 1e-4..1e8."""
    y = draw(arrays(np.float64, (n,), elements=unit_floats))
    kind = draw(st.sampled_from(["plain", "constant", "zero", "rounded"]))
    if kind == "constant":
        y[:] = y[0]
    elif kind == "zero":
        y[:] = 0.0
    elif kind == "rounded":
        y = np.round(y)
    return y * draw(exponents(-4, 8))


LABEL_SETS = {
    "str": np.array(["cat", "dog", "eel"]),
    "int": np.array([-1, 3, 7]),
    "bool": np.array([False, True]),
    "float": np.array([0.0, 1.0, 2.0]),
}


@st.composite
def labels(draw, n):
    """Class labels of length n: strings, ints, bools or integral floats, 1 to 3 classes."""
    kind = draw(st.sampled_from(sorted(LABEL_SETS)))
    values = LABEL_SETS[kind]
    codes = draw(arrays(np.int64, (n,), elements=st.integers(0, len(values) - 1)))
    if n >= 2 and draw(st.integers(0, 3)) < 3:  # mostly two classes or more (hypothesis favours 0)
        codes[0], codes[-1] = 0, 1
    return values[codes]


@st.composite
def networks(draw, d, bias=None, max_width=4):
    """ReLU networks on d inputs: random, with zero or duplicated neurons, at weight scales 1e-3..1e3."""
    width = draw(st.integers(0, max_width))
    bias = draw(st.booleans()) if bias is None else bias
    weights = draw(arrays(np.float64, (width, d + int(bias)), elements=unit_floats))
    output = draw(arrays(np.float64, (width,), elements=unit_floats))
    kind = draw(st.sampled_from(["plain", "zero neuron", "duplicate neuron", "balanced"]))
    if width and kind == "zero neuron":
        weights[0], output[0] = 0.0, 0.0
    elif width >= 2 and kind == "duplicate neuron":
        weights[1], output[1] = weights[0], output[0]
    elif kind == "balanced":
        norms = np.linalg.norm(weights, axis=1)
        scale = np.sqrt(np.abs(output) / np.where(norms > 0, norms, 1.0))
        weights, output = weights * scale[:, None], output / np.where(scale > 0, scale, 1.0)
    scale = draw(exponents(-3, 3))
    return ReLUNetwork.from_augmented(weights * scale, output * scale, bias)
