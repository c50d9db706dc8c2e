"""The native solvers' BLAS limit: one thread inside, the caller's setting restored after."""

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_convexnn import ConvexProgram, enumerate_patterns
from sklearn_convexnn._threads import one_blas_thread
from sklearn_convexnn.arrangements import add_intercept
from sklearn_convexnn.datasets import make_teaching_1d


def blas_threads():
    """Threads of numpy's and scipy's BLAS (the ones the package calls; others may be loaded by other tests)."""
    return [info["num_threads"] for info in threadpool_info()
            if info["user_api"] == "blas" and ("numpy" in info["filepath"] or "scipy" in info["filepath"])]


def test_one_blas_thread_limits_and_restores():
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        assert before
        with one_blas_thread():
            assert all(threads == 1 for threads in blas_threads())
            with one_blas_thread():  # nested, as the adaptive search around column generation
                assert all(threads == 1 for threads in blas_threads())
            assert all(threads == 1 for threads in blas_threads())
        assert blas_threads() == before


def test_a_solve_leaves_the_blas_threads_as_it_found_them():
    data = make_teaching_1d(12)
    X = add_intercept(data.X)
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        solution = ConvexProgram(X, data.y, data.beta, enumerate_patterns(X)).solve("cg")
        assert blas_threads() == before
    assert solution.duality_gap <= 1e-8 * max(1.0, abs(solution.objective))
    assert np.isfinite(solution.objective)
