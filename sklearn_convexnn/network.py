r"""Two-layer ReLU networks and **the** regularized objective (THEORY.md §A).

A network of width :math:`m` has neurons :math:`(w_j, b_j, \alpha_j)` and predicts

.. math:: f_\theta(X)=\sum_{j=1}^m (Xw_j+b_j)_+\,\alpha_j .

Its objective, in the project's scaling, is

.. math:: F_m(\theta)=L(f_\theta(X),y)+\frac\beta2\sum_{j=1}^m\big(\|w_j\|^2+b_j^2+\|\alpha_j\|^2\big),

with the first-layer bias penalized like a weight (the papers' convention: a column of ones
appended to :math:`X`). :func:`regularized_objective` is the only place where :math:`F` is computed;
every other module calls it (through :meth:`ReLUNetwork.objective`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_array

from ._numerics import safe_norm, safe_row_norms
from .losses import get_loss

__all__ = ["ReLUNetwork", "GatedReLUNetwork", "regularized_objective", "check_beta", "check_data"]


def check_data(array, name, **kwargs):
    """``sklearn.utils.check_array(array, input_name=name, **kwargs)`` whose errors name the argument.

    scikit-learn's messages for NaN, infinity or sparse input name it already; numpy's conversion
    errors ("could not convert string to float") and shape errors do not, and get ``name`` prefixed.

    Raises
    ------
    TypeError, ValueError
        As ``check_array``, with ``name`` in the message.
    """
    try:
        return check_array(array, input_name=name, **kwargs)
    except (TypeError, ValueError) as error:
        if re.search(rf"\b{re.escape(name)}\b", str(error)):
            raise
        raise type(error)(f"{name}: {error}") from error


def check_beta(beta, *, name="beta", allow_zero=False):
    """Return ``beta`` as a float after checking it is a finite positive number.

    Raises
    ------
    TypeError
        If ``beta`` is not a real number.
    ValueError
        If ``beta`` is not finite and positive (non-negative with ``allow_zero``).
    """
    if isinstance(beta, bool) or not isinstance(beta, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(beta).__name__}.")
    beta = float(beta)
    if not np.isfinite(beta) or beta < 0 or (beta == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {beta!r}.")
    return beta


def regularized_objective(prediction, y, squared_weight_norm, beta, loss="squared"):
    r"""The objective :math:`F=L(\hat y,y)+\frac\beta2\sum_j(\|\tilde w_j\|^2+\|\alpha_j\|^2)`.

    Parameters
    ----------
    prediction : ndarray of shape (n,) or (n, c)
        :math:`\hat y=f_\theta(X)`.
    y : ndarray of the same shape
        Targets.
    squared_weight_norm : float
        :math:`\sum_j\|\tilde w_j\|^2+\|\alpha_j\|^2` (all weights, the bias included).
    beta : float
        Weight decay :math:`\beta`.
    loss : {"squared", "logistic"}
        The loss :math:`L`.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``y`` and ``prediction`` differ in shape (broadcasting them would be silently wrong).
    """
    if np.shape(y) != np.shape(prediction):
        raise ValueError(f"y has shape {np.shape(y)}, but the network predicts shape {np.shape(prediction)}.")
    return get_loss(loss).value(prediction, y) + 0.5 * beta * float(squared_weight_norm)


def _as_targets(y):
    try:
        return np.asarray(y, dtype=float)
    except (TypeError, ValueError) as error:
        raise type(error)(f"y must be numeric: {error}") from error


def _as_weights(array, name, ndim):
    try:
        array = np.array(array, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{name} must be numeric: {error}") from error
    if array.ndim not in ndim:
        raise ValueError(f"{name} must have {' or '.join(map(str, ndim))} dimensions, got shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite values.")
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class ReLUNetwork:
    r"""A two-layer ReLU network :math:`x\mapsto\sum_j(w_j^\top x+b_j)_+\alpha_j`.

    Parameters
    ----------
    hidden_weights : array of shape (m, d)
        Rows :math:`w_j`.
    output_weights : array of shape (m,) or (m, c)
        :math:`\alpha_j` (scalar or vector output).
    hidden_bias : array of shape (m,) or None
        :math:`b_j`; ``None`` means no bias column.
    """

    hidden_weights: np.ndarray
    output_weights: np.ndarray
    hidden_bias: np.ndarray | None = None

    def __post_init__(self):
        weights = _as_weights(self.hidden_weights, "hidden_weights", (2,))
        output = _as_weights(self.output_weights, "output_weights", (1, 2))
        if output.shape[0] != weights.shape[0]:
            raise ValueError(
                f"output_weights has {output.shape[0]} rows but hidden_weights has {weights.shape[0]} neurons."
            )
        bias = None
        if self.hidden_bias is not None:
            bias = _as_weights(self.hidden_bias, "hidden_bias", (1,))
            if bias.shape[0] != weights.shape[0]:
                raise ValueError(
                    f"hidden_bias has {bias.shape[0]} entries but hidden_weights has {weights.shape[0]} neurons."
                )
        object.__setattr__(self, "hidden_weights", weights)
        object.__setattr__(self, "output_weights", output)
        object.__setattr__(self, "hidden_bias", bias)

    # ---------------------------------------------------------------- shapes
    @property
    def width(self):
        """Number of neurons :math:`m`."""
        return self.hidden_weights.shape[0]

    @property
    def n_features(self):
        """Input dimension :math:`d` (without the bias)."""
        return self.hidden_weights.shape[1]

    @property
    def n_outputs(self):
        """Number of outputs :math:`c` (1 for a scalar network)."""
        return 1 if self.output_weights.ndim == 1 else self.output_weights.shape[1]

    @property
    def augmented_weights(self):
        r"""First-layer weights :math:`\tilde w_j=(w_j,b_j)` as an (m, d+1) array, or (m, d) without bias."""
        if self.hidden_bias is None:
            return self.hidden_weights
        return np.column_stack([self.hidden_weights, self.hidden_bias])

    @classmethod
    def from_augmented(cls, augmented_weights, output_weights, fit_intercept):
        """Build a network from first-layer weights whose last column is the bias when ``fit_intercept``."""
        augmented_weights = np.asarray(augmented_weights, dtype=float)
        if fit_intercept:
            return cls(augmented_weights[:, :-1], output_weights, augmented_weights[:, -1])
        return cls(augmented_weights, output_weights)

    def augment(self, X):
        """Return ``X`` with a column of ones appended when the network has a bias."""
        X = self._check_X(X)
        return X if self.hidden_bias is None else np.column_stack([X, np.ones(X.shape[0])])

    def _check_X(self, X):
        X = check_data(X, "X", dtype=np.float64)
        if X.shape[1] != self.n_features:
            raise ValueError(f"X has {X.shape[1]} features, but the network expects {self.n_features}.")
        return X

    # ------------------------------------------------------------ evaluation
    def preactivations(self, X):
        """Return :math:`Xw_j+b_j` for every sample and neuron, shape (n, m)."""
        return self.augment(X) @ self.augmented_weights.T

    def activation_patterns(self, X):
        r"""Return the boolean (n, m) matrix :math:`\mathbb 1[Xw_j+b_j\ge0]` (THEORY §B)."""
        return self.preactivations(X) >= 0

    def predict(self, X):
        r"""Return :math:`f_\theta(X)=\sum_j(Xw_j+b_j)_+\alpha_j`, shape (n,) or (n, c)."""
        return np.maximum(self.preactivations(X), 0.0) @ self.output_weights

    def squared_weight_norm(self):
        r"""Return :math:`\sum_j\|\tilde w_j\|^2+\|\alpha_j\|^2`."""
        return float(np.sum(self.augmented_weights**2) + np.sum(self.output_weights**2))

    def objective(self, X, y, beta, loss="squared"):
        r"""Return :math:`F_m(\theta)=L(f_\theta(X),y)+\frac\beta2\sum_j(\|\tilde w_j\|^2+\|\alpha_j\|^2)`."""
        return regularized_objective(self.predict(X), _as_targets(y), self.squared_weight_norm(), beta, loss)

    def neuron_norms(self):
        r"""Return :math:`(\|\tilde w_j\|, \|\alpha_j\|)` as two arrays of shape (m,)."""
        first = safe_row_norms(self.augmented_weights)
        second = np.abs(self.output_weights) if self.output_weights.ndim == 1 else safe_row_norms(self.output_weights)
        return first, second

    def gradient(self, X, y, beta, loss="squared"):
        r"""Gradient of :math:`F_m` as a network of partial derivatives (THEORY §F).

        With :math:`\nu=-\nabla L(\hat y)` and :math:`D_j=\mathrm{diag}(\mathbb 1[Xw_j+b_j>0])`:
        :math:`\nabla_{\alpha_j}F=-(X\tilde w_j)_+^\top\nu+\beta\alpha_j` and
        :math:`\nabla_{\tilde w_j}F=-\tilde X^\top D_j\nu\,\alpha_j+\beta\tilde w_j`
        (one-sided derivative 0 at kinks).
        """
        Xa = self.augment(X)
        pre = Xa @ self.augmented_weights.T
        nu = get_loss(loss).negative_gradient(np.maximum(pre, 0.0) @ self.output_weights, np.asarray(y, float))
        nu2 = nu.reshape(len(nu), self.n_outputs)
        alpha2 = self.output_weights.reshape(self.width, self.n_outputs)
        grad_output = -(np.maximum(pre, 0.0).T @ nu2) + beta * alpha2
        back = (pre > 0) * (nu2 @ alpha2.T)  # (n, m)
        grad_hidden = -(back.T @ Xa) + beta * self.augmented_weights
        grad_output = grad_output.reshape(self.output_weights.shape)
        return ReLUNetwork.from_augmented(grad_hidden, grad_output, self.hidden_bias is not None)

    # -------------------------------------------------------------- vectors
    def to_vector(self):
        """All parameters as one flat vector (hidden weights with bias, then output weights)."""
        return np.concatenate([self.augmented_weights.ravel(), self.output_weights.ravel()])

    def from_vector(self, vector):
        """A network of the same shape with the parameters of a flat ``vector``."""
        vector = np.asarray(vector, dtype=float)
        k = self.augmented_weights.size
        hidden = vector[:k].reshape(self.augmented_weights.shape)
        output = vector[k:].reshape(self.output_weights.shape)
        return ReLUNetwork.from_augmented(hidden, output, self.hidden_bias is not None)

    # ----------------------------------------------------------- rescaling
    def balanced(self):
        r"""Rescale every neuron to :math:`\|\tilde w_j\|=\|\alpha_j\|` (THEORY §A).

        :math:`(\tilde w,\alpha)\mapsto(t\tilde w,\alpha/t)` with :math:`t=\sqrt{\|\alpha\|/\|\tilde w\|}`
        keeps :math:`f_\theta` and never increases :math:`F`; neurons with exactly one zero half
        output nothing and are set to zero.
        """
        first, second = self.neuron_norms()
        active = (first > 0) & (second > 0)
        scale = np.zeros(self.width)
        scale[active] = np.sqrt(second[active]) / np.sqrt(first[active])  # no underflow of the ratio
        hidden = self.augmented_weights * scale[:, None]
        inverse = np.zeros(self.width)
        inverse[active] = 1.0 / scale[active]
        output = self.output_weights * (inverse if self.output_weights.ndim == 1 else inverse[:, None])
        return ReLUNetwork.from_augmented(hidden, output, self.hidden_bias is not None)

    def padded(self, width):
        """The same network with zero neurons appended up to ``width``."""
        if width < self.width:
            raise ValueError(f"width must be at least the network's width {self.width}, got {width}.")
        extra = width - self.width
        hidden = np.vstack([self.augmented_weights, np.zeros((extra, self.augmented_weights.shape[1]))])
        output = np.concatenate([self.output_weights, np.zeros((extra,) + self.output_weights.shape[1:])])
        return ReLUNetwork.from_augmented(hidden, output, self.hidden_bias is not None)

    def merged(self, tol=1e-7):
        r"""Merge neurons with the same output sign and first-layer direction (THEORY §G, B2).

        Each neuron is read as its block :math:`u_j=\|\alpha_j\|\tilde w_j` with sign
        :math:`s_j=\operatorname{sign}\alpha_j`; blocks of equal sign whose unit directions agree to
        ``tol`` (in Euclidean distance) are summed, and each sum :math:`u` becomes one balanced
        neuron :math:`\tilde w=u/\sqrt{\|u\|}`, :math:`\alpha=s\sqrt{\|u\|}`. For exactly collinear
        neurons the predictions are unchanged and :math:`F` does not increase. Scalar outputs only.

        The blocks are summed as :math:`R^2\sum_j(r_j/R)^2d_j`, with :math:`d_j` the unit direction,
        :math:`r_j=\sqrt{|\alpha_j|}\sqrt{\|\tilde w_j\|}` (the balanced neuron's norm) and :math:`R` the
        largest in the group, so that no product underflows or overflows.
        """
        if self.output_weights.ndim != 1:
            raise ValueError("merged() needs a scalar-output network.")
        network = self.without_zero_neurons()
        if network.width == 0:
            return network
        weights, signs = network.augmented_weights, np.sign(network.output_weights)
        norms = safe_row_norms(weights)
        directions = weights / norms[:, None]
        radii = np.sqrt(np.abs(network.output_weights)) * np.sqrt(norms)
        group = -np.ones(network.width, dtype=int)
        for j in range(network.width):
            if group[j] < 0:
                same = (group < 0) & (signs == signs[j]) & (np.linalg.norm(directions - directions[j], axis=1) <= tol)
                group[same] = j
        leaders = np.unique(group)
        hidden, output = np.zeros((len(leaders), weights.shape[1])), np.zeros(len(leaders))
        for row, k in enumerate(leaders):
            members = group == k
            largest = radii[members].max()
            v = ((radii[members] / largest) ** 2) @ directions[members]  # u / R^2
            root = np.sqrt(safe_norm(v))
            hidden[row], output[row] = largest * v / root, signs[k] * largest * root
        return ReLUNetwork.from_augmented(hidden, output, self.hidden_bias is not None)

    def without_zero_neurons(self, atol=0.0):
        """The network without neurons whose first- or second-layer weights vanish."""
        first, second = self.neuron_norms()
        keep = (first > atol) & (second > atol)
        return ReLUNetwork.from_augmented(self.augmented_weights[keep], self.output_weights[keep], self.hidden_bias is not None)

    # ------------------------------------------------------ scikit-learn MLP
    def to_mlp(self):
        """A fitted :class:`~sklearn.neural_network.MLPRegressor` with identical predictions.

        One hidden ReLU layer of width :math:`m`, output intercept zero.
        """
        from sklearn.neural_network import MLPRegressor

        mlp = MLPRegressor(hidden_layer_sizes=(max(self.width, 1),), activation="relu")
        hidden = self.hidden_weights.T.copy()
        bias = np.zeros(self.width) if self.hidden_bias is None else self.hidden_bias.copy()
        output = self.output_weights.reshape(self.width, self.n_outputs).copy()
        if self.width == 0:  # MLPRegressor cannot have an empty layer: one dead neuron
            hidden, bias, output = np.zeros((self.n_features, 1)), np.zeros(1), np.zeros((1, self.n_outputs))
        mlp.coefs_ = [hidden, output]
        mlp.intercepts_ = [bias, np.zeros(self.n_outputs)]
        mlp.n_features_in_ = self.n_features
        mlp.n_layers_ = 3
        mlp.n_outputs_ = self.n_outputs
        mlp.out_activation_ = "identity"
        mlp.n_iter_ = 0
        mlp.t_ = 0
        mlp.loss_ = np.nan
        return mlp

    @classmethod
    def from_mlp(cls, mlp, *, atol=1e-12):
        """Read a fitted one-hidden-layer ReLU :class:`~sklearn.neural_network.MLPRegressor`.

        A binary :class:`~sklearn.neural_network.MLPClassifier` reads the same way: the network is its
        output before the sigmoid. Its hidden intercepts become ``hidden_bias``. The network has no output intercept, so
        an MLP whose output intercept is not zero is refused.

        Raises
        ------
        ValueError
            If ``mlp`` is unfitted, not ReLU, has more than one hidden layer, or a non-zero
            output intercept.
        """
        if not hasattr(mlp, "coefs_"):
            raise ValueError("mlp must be a fitted MLPRegressor (it has no coefs_).")
        if getattr(mlp, "activation", None) != "relu":
            raise ValueError(f"mlp must use activation='relu', got {getattr(mlp, 'activation', None)!r}.")
        if len(mlp.coefs_) != 2:
            raise ValueError(f"mlp must have exactly one hidden layer, got {len(mlp.coefs_) - 1}.")
        if np.any(np.abs(mlp.intercepts_[1]) > atol):
            raise ValueError(
                "mlp has a non-zero output intercept, which a ReLUNetwork cannot represent; "
                "train it with the intercepts pinned at zero (see sklearn_convexnn.nonconvex)."
            )
        output = mlp.coefs_[1]
        output = output[:, 0] if output.shape[1] == 1 else output
        return cls(mlp.coefs_[0].T, output, mlp.intercepts_[0])


@dataclass(frozen=True)
class GatedReLUNetwork:
    r"""A gated ReLU network :math:`x\mapsto\sum_j\mathbb 1[g_j^\top x\ge0]\,(x^\top w_j)\,\alpha_j` (THEORY §C).

    ``X`` is used as given (gates and weights act on the same columns, a bias column included).

    Parameters
    ----------
    gates : array of shape (m, d)
    hidden_weights : array of shape (m, d)
    output_weights : array of shape (m,) or (m, c)
        Scalar output, or one column per output (the one-vs-rest classifier).
    """

    gates: np.ndarray
    hidden_weights: np.ndarray
    output_weights: np.ndarray

    def __post_init__(self):
        gates = _as_weights(self.gates, "gates", (2,))
        weights = _as_weights(self.hidden_weights, "hidden_weights", (2,))
        output = _as_weights(self.output_weights, "output_weights", (1, 2))
        if gates.shape != weights.shape or output.shape[0] != weights.shape[0]:
            raise ValueError("gates, hidden_weights and output_weights must describe the same neurons.")
        object.__setattr__(self, "gates", gates)
        object.__setattr__(self, "hidden_weights", weights)
        object.__setattr__(self, "output_weights", output)

    @property
    def width(self):
        """Number of neurons :math:`m`."""
        return self.hidden_weights.shape[0]

    def predict(self, X):
        r"""Return :math:`\sum_j\mathbb 1[Xg_j\ge0]\odot(Xw_j)\,\alpha_j`, shape (n,) or (n, c)."""
        X = check_data(X, "X", dtype=np.float64)
        if X.shape[1] != self.gates.shape[1]:
            raise ValueError(f"X has {X.shape[1]} columns, but the network expects {self.gates.shape[1]}.")
        return (((X @ self.gates.T) >= 0) * (X @ self.hidden_weights.T)) @ self.output_weights

    def squared_weight_norm(self):
        r"""Return :math:`\sum_j\|w_j\|^2+\alpha_j^2` (gates are not weights)."""
        return float(np.sum(self.hidden_weights**2) + np.sum(self.output_weights**2))

    def objective(self, X, y, beta, loss="squared"):
        r"""Return :math:`L(f(X),y)+\frac\beta2\sum_j(\|w_j\|^2+\alpha_j^2)`."""
        return regularized_objective(self.predict(X), _as_targets(y), self.squared_weight_norm(), beta, loss)
