"""sklearn-convexnn: two-layer ReLU networks trained to their global optimum by a convex program.

The public API (see DESIGN.md): the estimators, the network, the patterns, the convex program, and
the loss-landscape tools (certificates, the optimal set, stationarity, pruning, paths, staircase).
"""

from .arrangements import Arrangement, enumerate_patterns, sample_patterns
from .convex import ConvexProgram, ConvexSolution, convex_relu_path
from .estimators import ConvexReLUClassifier, ConvexReLURegressor
from .landscape import (
    critical_widths,
    dual_certificate,
    nonincreasing_path,
    optimal_set,
    prune,
    staircase_regime,
    stationarity,
)
from .network import ReLUNetwork

__version__ = "0.1.0"

__all__ = [
    "Arrangement",
    "ConvexProgram",
    "ConvexReLUClassifier",
    "ConvexReLURegressor",
    "ConvexSolution",
    "ReLUNetwork",
    "convex_relu_path",
    "critical_widths",
    "dual_certificate",
    "enumerate_patterns",
    "nonincreasing_path",
    "optimal_set",
    "prune",
    "sample_patterns",
    "staircase_regime",
    "stationarity",
]
