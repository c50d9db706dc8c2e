"""One BLAS thread for the small dense products that the native solvers interleave with Python work."""

from __future__ import annotations

from functools import lru_cache

from threadpoolctl import ThreadpoolController

__all__ = ["one_blas_thread"]


@lru_cache(maxsize=1)
def _controller():
    # made once, at the first fit: by then this package's imports have loaded numpy's and scipy's BLAS
    return ThreadpoolController()


def one_blas_thread():
    """A context manager that limits BLAS to one thread, like ``threadpool_limits(1, user_api="blas")``.

    ``threadpool_limits`` scans the loaded libraries on every call (about 0.7 ms, a sizeable part of a
    small solve, and paid by every L-BFGS run and every column-generation solve); the controller here is
    made once and reused (about 0.01 ms per call).
    """
    return _controller().limit(limits=1, user_api="blas")
