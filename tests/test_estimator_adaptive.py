"""patterns="adaptive" in the estimators: never worse than where it starts, with a certificate."""

import numpy as np
import pytest

from sklearn_convexnn import ConvexProgram, ConvexReLUClassifier, ConvexReLURegressor, sample_patterns
from sklearn_convexnn.arrangements import add_intercept
from sklearn_convexnn.convex.adaptive import adaptive_patterns
from sklearn_convexnn.estimators import AUTO_EXACT_LIMIT, PatternCertificate
from sklearn_convexnn.nonconvex import fit_mlp


@pytest.fixture(scope="module")
def teacher():
    """(120, 4) Gaussian data, targets of a width-6 ReLU teacher plus noise."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((120, 4))
    hidden = rng.standard_normal((6, 4)) / 2.0
    f = np.maximum(X @ hidden.T + 0.3, 0) @ rng.standard_normal(6)
    return X, f / f.std() + 0.3 * rng.standard_normal(120), 1.0


def test_adaptive_never_increases_and_ends_below_its_sampled_program_and_its_seed(teacher):
    X, y, beta = teacher
    X_aug = add_intercept(X)
    sampled = ConvexProgram(X_aug, y, beta, sample_patterns(X_aug, 30, standardize=True,
                                                            random_state=np.random.RandomState(0)))
    sampled_optimum = sampled.solve("cg", tol=1e-8).objective
    # without a seed the run starts at the sampled program's optimum
    plain = adaptive_patterns(X_aug, y, beta, n_initial=30, max_rounds=3, random_state=0)
    assert plain.history[0] == pytest.approx(sampled_optimum, rel=1e-6)
    assert np.all(np.diff(plain.history) <= 1e-9 * plain.history[0])
    assert plain.solution.objective <= sampled_optimum
    # seeded with a non-convex fit: never above the seed, and here far below the sampled program too
    seed = fit_mlp(X_aug, y, beta, 8, fit_intercept=False, random_state=1)
    seeded = adaptive_patterns(X_aug, y, beta, n_initial=30, max_rounds=3, seed_network=seed.network, random_state=0)
    assert seeded.history[0] == pytest.approx(seed.objective, rel=1e-12)
    assert np.all(np.diff(seeded.history) <= 1e-9 * seeded.history[0])
    assert seeded.solution.objective <= seed.objective
    assert seeded.solution.objective < sampled_optimum
    # the returned point is a point of its program: objective and certificate recomputed there
    program = ConvexProgram(X_aug, y, beta, seeded.arrangement)
    assert program.objective(seeded.solution) == pytest.approx(seeded.solution.objective, rel=1e-12)
    assert program.cone_violation(seeded.solution.u, seeded.solution.v) == 0.0
    assert seeded.converged == (seeded.max_violation <= beta * (1 + 1e-4))


def test_estimator_adaptive_certificate_and_objective(teacher):
    X, y, beta = teacher
    model = ConvexReLURegressor(beta=beta, patterns="adaptive", n_patterns=30, random_state=0).fit(X, y)
    certificate = model.certificate_
    assert isinstance(certificate, PatternCertificate)
    assert certificate.beta == beta and certificate.n_directions_tried > 0 and not certificate.exhaustive
    assert 0 <= certificate.n_rounds <= model.max_rounds
    assert certificate.relative_violation == pytest.approx(certificate.max_violation / beta)
    assert model.objective_ == pytest.approx(model.network_.objective(X, y, beta), rel=1e-9)
    sampled = ConvexReLURegressor(beta=beta, patterns="sample", n_patterns=30, random_state=0).fit(X, y)
    assert model.objective_ < sampled.objective_
    assert not sampled.certificate_.exhaustive and sampled.certificate_.n_rounds == 0
    again = ConvexReLURegressor(beta=beta, patterns="adaptive", n_patterns=30, random_state=0).fit(X, y)
    np.testing.assert_array_equal(again.predict(X), model.predict(X))  # same random_state, same model
    with pytest.raises(AssertionError):  # frozen
        try:
            certificate.beta = 2.0
        except AttributeError as error:
            raise AssertionError from error


def test_exact_patterns_give_an_exact_certificate():
    X = np.linspace(-1, 1, 14).reshape(-1, 1)
    y = np.abs(X).ravel() - 0.3
    model = ConvexReLURegressor(beta=0.05).fit(X, y)  # "auto": few patterns, enumerated
    certificate = model.certificate_
    assert certificate.exhaustive and certificate.converged and certificate.n_rounds == 0
    assert certificate.max_violation <= 0.05 * (1 + 1e-4)
    # the same certificate rejects a point that is not optimal: the zero network's dual violates
    program = ConvexProgram(add_intercept(X), y, 0.05, model.arrangement_)
    zero = program.solution(np.zeros((program.n_patterns, 2)))
    assert zero.dual_violation > 0.05 * 2


def test_auto_is_exact_on_small_data_and_adaptive_beyond(teacher):
    X, y, beta = teacher
    small = ConvexReLURegressor(beta=0.1).fit(X[:10, :1], y[:10])
    assert small.arrangement_.exhaustive and small.certificate_.exhaustive
    auto = ConvexReLURegressor(beta=beta, n_patterns=20, max_rounds=1, random_state=0).fit(X, y)
    adaptive = ConvexReLURegressor(beta=beta, patterns="adaptive", n_patterns=20, max_rounds=1, random_state=0).fit(X, y)
    assert not auto.arrangement_.exhaustive
    assert auto.objective_ == adaptive.objective_ and auto.certificate_ == adaptive.certificate_
    assert AUTO_EXACT_LIMIT == 1000


def test_classifiers_with_adaptive_patterns(teacher):
    X, y, beta = teacher
    labels = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    for loss in ("squared", "logistic"):
        model = ConvexReLUClassifier(beta=beta, patterns="adaptive", loss=loss, n_patterns=20, max_rounds=1,
                                     random_state=0).fit(X, labels)
        assert model.score(X, labels) > 0.6
        assert model.certificate_.n_directions_tried > 0
        # one-vs-rest: the worst violation of the three problems, the work summed
        assert model.certificate_.n_rounds <= 3 * model.max_rounds


@pytest.mark.parametrize("beta", [1.0, 0.1])
def test_the_logistic_classifier_beats_lbfgs_training_of_its_objective(teacher, beta):
    """The logistic loss is seeded with L-BFGS training of the same objective (a binary MLPClassifier's) at width
    n + 1: the adaptive fit ends below the best of 5 MLPClassifier runs at its own width and at twice it."""
    X, y, _ = teacher
    labels = np.where(y > np.median(y), 1, 0)
    model = ConvexReLUClassifier(beta=beta, patterns="adaptive", loss="logistic", n_patterns=30,
                                 random_state=0).fit(X, labels)
    signed = np.where(labels == 1, 1.0, -1.0)
    assert model.objective_ == pytest.approx(model.network_.objective(X, signed, beta, "logistic"), rel=1e-9)
    width = model.n_neurons_
    runs = [fit_mlp(X, signed, beta, w, loss="logistic", random_state=seed).objective
            for seed in range(5) for w in (width, 2 * width)]
    assert model.objective_ < min(runs)


def test_verbose_shows_progress_over_rounds(teacher, capsys):
    X, y, beta = teacher
    ConvexReLURegressor(beta=beta, patterns="adaptive", n_patterns=20, max_rounds=2, verbose=1,
                        random_state=0).fit(X, y)
    err = capsys.readouterr().err
    assert "adaptive patterns" in err
    # the seed's fit (seconds on real data) is announced with its width, n + 1 here (ones column appended)
    assert f"fitting the L-BFGS seed of width {len(y) + 1}" in err


@pytest.mark.parametrize(
    "params,error,match",
    [
        ({"max_rounds": -1}, ValueError, "max_rounds"),
        ({"max_rounds": 1.5}, TypeError, "max_rounds"),
        ({"n_starts": -2}, ValueError, "n_starts"),
        ({"n_starts": "many"}, TypeError, "n_starts"),
        ({"patterns": "adaptiv"}, ValueError, "patterns"),
    ],
)
def test_bad_search_parameters_are_named(params, error, match):
    X, y = np.arange(10.0).reshape(-1, 1), np.arange(10.0)
    with pytest.raises(error, match=match):
        ConvexReLURegressor(**params).fit(X, y)


def test_adaptive_patterns_need_one_dimensional_targets(teacher):
    X, y, beta = teacher
    with pytest.raises(ValueError, match="patterns"):
        ConvexReLURegressor(patterns="adaptive").fit(X, np.column_stack([y, -y]))


def test_an_adaptive_fit_far_from_the_optimum_of_its_patterns_warns_and_the_advice_holds():
    """load_linnerud as shipped (features up to 251 beside the bias' 1): the adaptive fit ends > 25% above the
    certified bound of the program over its own patterns, and says so; both remedies the warning names work:
    refitting on arrangement_ solves that program (lower objective, gap <= 1e-6 relative), and standardized
    features end well inside the threshold without a warning."""
    import warnings

    from sklearn.datasets import load_linnerud
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.preprocessing import StandardScaler

    from sklearn_convexnn.estimators import ADAPTIVE_GAP_WARNING

    X, Y = load_linnerud(return_X_y=True)
    y = Y[:, 0]
    with pytest.warns(ConvergenceWarning, match="StandardScaler"):
        raw = ConvexReLURegressor(patterns="adaptive", random_state=0).fit(X, y)
    assert raw.duality_gap_ > ADAPTIVE_GAP_WARNING * raw.objective_
    assert not raw.certificate_.converged
    refit = ConvexReLURegressor(patterns=raw.arrangement_, random_state=0).fit(X, y)
    assert refit.objective_ < 0.9 * raw.objective_
    assert refit.duality_gap_ <= 1e-6 * refit.objective_
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        standardized = ConvexReLURegressor(patterns="adaptive", random_state=0).fit(StandardScaler().fit_transform(X), y)
    assert standardized.duality_gap_ <= ADAPTIVE_GAP_WARNING * standardized.objective_
