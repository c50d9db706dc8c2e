"""The loss landscape through convex duality (THEORY.md §D–J): certificates, the optimal set,
stationary points, pruning, paths of non-increasing loss and the staircase of connectivity."""

from .certificate import Certificate, dual_certificate
from .paths import LossPath, nonincreasing_path
from .pruning import prune
from .stationary import StationarityReport, polish, stationarity

__all__ = [
    "Certificate",
    "LossPath",
    "StationarityReport",
    "dual_certificate",
    "nonincreasing_path",
    "polish",
    "prune",
    "stationarity",
]
