"""Same ``random_state``, same model, bit for bit: across processes, through pickle, clone and refit."""

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

import sklearn_convexnn
from sklearn_convexnn import ConvexReLUClassifier, ConvexReLURegressor, dual_certificate, optimal_set

#: fits every estimator variant with fixed seeds and collects its arrays; run in this process and
#: in a fresh interpreter, the results must be identical bit for bit
FIT_SCRIPT = """
import numpy as np
from sklearn_convexnn import ConvexReLUClassifier, ConvexReLURegressor

def fitted_arrays():
    rng = np.random.default_rng(2024)
    X = rng.standard_normal((30, 3))
    y = np.abs(X[:, 0]) - X[:, 1] * X[:, 2] + 0.1 * rng.standard_normal(30)
    labels = np.array(["a", "b", "c"])[np.argmax(X, axis=1)]
    X_new = rng.standard_normal((7, 3))
    models = {
        "regressor-sample": ConvexReLURegressor(beta=0.1, patterns="sample", n_patterns=40, random_state=5),
        "regressor-sample-cvxpy": ConvexReLURegressor(beta=0.1, patterns="sample", n_patterns=25, random_state=5,
                                                      solver="cvxpy"),
        "regressor-gated": ConvexReLURegressor(beta=0.1, activation="gated", n_patterns=40, random_state=6),
        "regressor-exact-1d": ConvexReLURegressor(beta=0.05, patterns="exact"),
        "classifier-logistic": ConvexReLUClassifier(beta=0.1, loss="logistic", n_patterns=30, random_state=7),
        "classifier-squared-gated": ConvexReLUClassifier(beta=0.1, activation="gated", n_patterns=30,
                                                         random_state=8),
    }
    arrays = {}
    for name, model in models.items():
        if name.endswith("1d"):
            model.fit(X[:, :1], y)
            new = X_new[:, :1]
        else:
            model.fit(X, labels if name.startswith("classifier") else y)
            new = X_new
        output = model.decision_function(new) if name.startswith("classifier") else model.predict(new)
        network = model.network_
        arrays[name + "/output"] = np.asarray(output)
        arrays[name + "/hidden"] = np.asarray(getattr(network, "augmented_weights", network.hidden_weights))
        arrays[name + "/out"] = np.asarray(network.output_weights)
        arrays[name + "/masks"] = model.arrangement_.masks
        arrays[name + "/objective"] = np.array([model.objective_])
    return arrays
"""


def in_process_arrays():
    namespace = {}
    exec(compile(FIT_SCRIPT, "fit_script", "exec"), namespace)
    return namespace["fitted_arrays"]()


def test_same_random_state_gives_bit_identical_models_in_another_process(tmp_path, tally):
    save = FIT_SCRIPT + (
        "\nimport sys\nfrom pathlib import Path\n"
        "for key, value in fitted_arrays().items():\n"
        "    np.save(Path(sys.argv[1]) / (key.replace('/', '__') + '.npy'), value)\n"
    )
    package_root = str(Path(sklearn_convexnn.__file__).resolve().parent.parent)
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
    subprocess.run([sys.executable, "-c", save, str(tmp_path)], check=True, env=environment, timeout=300)
    here = in_process_arrays()
    for key, value in here.items():
        other = np.load(tmp_path / (key.replace("/", "__") + ".npy"))
        assert other.dtype == value.dtype and other.shape == value.shape, key
        assert np.array_equal(other, value), f"{key} differs between processes"
        assert value.tobytes() == other.tobytes(), f"{key} is not bit-identical"
    tally.record("determinism", "correct")


def estimators():
    return [
        ConvexReLURegressor(beta=0.1, n_patterns=30, random_state=0),
        ConvexReLURegressor(beta=0.1, activation="gated", n_patterns=30, random_state=0),
        ConvexReLUClassifier(beta=0.1, n_patterns=30, random_state=0),
        ConvexReLUClassifier(beta=0.1, loss="logistic", activation="gated", n_patterns=30, random_state=0),
    ]


DATA_RNG = np.random.default_rng(3)
X = DATA_RNG.standard_normal((12, 2))
Y = np.abs(X[:, 0]) - X[:, 1]
LABELS = np.array([0, 1, 2])[np.argmax(np.column_stack([X, -X.sum(axis=1)]), axis=1)]


def output_of(model, X):
    return model.predict(X) if isinstance(model, ConvexReLURegressor) else model.decision_function(X)


@pytest.mark.parametrize("model", estimators(), ids=lambda model: repr(model).replace(" ", ""))
def test_pickle_clone_and_refit_keep_the_model(model, tally):
    y = Y if isinstance(model, ConvexReLURegressor) else LABELS
    model.fit(X, y)
    reference = output_of(model, X)
    restored = pickle.loads(pickle.dumps(model))
    assert np.array_equal(output_of(restored, X), reference)
    assert restored.objective_ == model.objective_ and np.array_equal(restored.dual_, model.dual_)
    if isinstance(model, ConvexReLUClassifier):
        assert np.array_equal(restored.predict(X), model.predict(X))
    refitted = clone(model).fit(X, y)
    assert np.array_equal(output_of(refitted, X), reference)
    assert refitted.objective_ == model.objective_
    assert np.array_equal(refitted.arrangement_.masks, model.arrangement_.masks)
    assert np.array_equal(output_of(model.fit(X, y), X), reference)  # fitting again changes nothing
    tally.record("determinism", "correct")


def test_landscape_randomness_is_reproducible(tally):
    optimal = optimal_set(X[:6, :1], Y[:6], 0.05)
    first, second = optimal.random_network(6, random_state=4), optimal.random_network(6, random_state=4)
    assert np.array_equal(first.to_vector(), second.to_vector())
    generator = optimal.random_network(6, random_state=np.random.default_rng(4))
    assert generator.objective(X[:6, :1], Y[:6], 0.05) == pytest.approx(optimal.objective, rel=1e-8)
    network = optimal.network(optimal.coefficients)
    certificates = [dual_certificate(network, X[:6, :1], Y[:6], 0.05, patterns="sample", n_patterns=20,
                                     random_state=seed) for seed in (9, 9, np.random.default_rng(9))]
    assert np.array_equal(certificates[0].arrangement.masks, certificates[1].arrangement.masks)
    assert certificates[0].max_violation == certificates[1].max_violation
    tally.record("determinism", "correct")
