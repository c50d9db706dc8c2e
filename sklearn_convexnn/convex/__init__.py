"""The convex program of a two-layer ReLU network, its dual, and its solvers (THEORY.md §C–D)."""

from .program import ConvexProgram, ConvexSolution, SolverError

__all__ = ["ConvexProgram", "ConvexSolution", "SolverError"]
