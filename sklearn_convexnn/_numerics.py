"""Floating-point helpers shared by the modules: norms that neither underflow nor overflow."""

import numpy as np


def safe_row_norms(X):
    r"""Euclidean norms of the rows of ``X``, computed as :math:`m_k\|x_k/m_k\|` with :math:`m_k=\max_j|x_{kj}|`.

    The plain :math:`\sqrt{\sum_jx_{kj}^2}` underflows to 0 for rows below about 1e-154 and overflows above
    about 1e154, although, e.g., the hyperplanes and patterns of :math:`cX` are those of :math:`X` for every
    :math:`c>0`.
    """
    X = np.asarray(X, dtype=float)
    largest = np.abs(X).max(axis=1, initial=0.0)
    return largest * np.linalg.norm(X / np.where(largest > 0, largest, 1.0)[:, None], axis=1)


def normalised_rows(X):
    """The rows of ``X`` (none zero) divided by their norms, through their largest entries (no under- or overflow)."""
    largest = np.abs(X).max(axis=1, keepdims=True)
    scaled = X / largest
    return scaled / np.linalg.norm(scaled, axis=1, keepdims=True)


def safe_norm(v):
    r"""Euclidean norm of the vector ``v`` as :math:`m\|v/m\|`, :math:`m=\max_j|v_j|` (:func:`safe_row_norms`)."""
    return float(safe_row_norms(np.ravel(v)[None])[0])


def binary_exponent(largest):
    r"""The integers :math:`e` with ``largest`` :math:`\in[2^{e-1},2^e)`, 0 where ``largest`` is 0.

    Dividing by :math:`2^e` is exact and brings a largest entry to :math:`[1/2,1)`.
    """
    largest = np.asarray(largest, dtype=float)
    return np.where(largest > 0, np.frexp(np.where(largest > 0, largest, 1.0))[1], 0)


def power_of_two_scale(values, moderate):
    r"""The power of two :math:`2^e` that brings :math:`\max|v|` of ``values`` to :math:`[1/2,1)`, or 1 when that
    maximum is 0 (or not finite) or already inside the range ``moderate`` = (low, high).

    Dividing by it is exact (it only changes exponents, unless the result leaves the normal range); the convex
    program and the adaptive search hand data and targets outside a moderate range to their solvers this way.
    """
    largest = float(np.max(np.abs(values), initial=0.0))
    if not np.isfinite(largest) or largest == 0.0 or moderate[0] <= largest <= moderate[1]:
        return 1.0
    return float(np.ldexp(1.0, int(binary_exponent(largest))))
