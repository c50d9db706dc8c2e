"""The convex program of a two-layer ReLU network, its dual, and its solvers (THEORY.md §C–D)."""

from .path import RegularizationPath, convex_relu_path
from .program import ConvexProgram, ConvexSolution, SolverError

__all__ = ["ConvexProgram", "ConvexSolution", "RegularizationPath", "SolverError", "convex_relu_path"]
