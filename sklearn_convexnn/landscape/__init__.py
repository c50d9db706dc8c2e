"""The loss landscape through convex duality (THEORY.md §D–J): certificates, the optimal set,
stationary points, pruning, paths of non-increasing loss and the staircase of connectivity."""

from .certificate import Certificate, dual_certificate
from .optimal_set import OptimalPolytope, OptimalSet, optimal_set
from .paths import LossPath, nonincreasing_path
from .pruning import prune
from .runs import SpuriousRun, first_spurious_run
from .staircase import (
    CriticalWidths,
    NetworkPath,
    StaircaseRegime,
    connecting_path,
    critical_widths,
    permutation_distance,
    polytope_path,
    split_path,
    staircase_regime,
)
from .stationary import StationarityReport, polish, stationarity

__all__ = [
    "Certificate",
    "CriticalWidths",
    "LossPath",
    "NetworkPath",
    "OptimalPolytope",
    "OptimalSet",
    "StaircaseRegime",
    "SpuriousRun",
    "StationarityReport",
    "connecting_path",
    "critical_widths",
    "dual_certificate",
    "first_spurious_run",
    "nonincreasing_path",
    "optimal_set",
    "permutation_distance",
    "polish",
    "polytope_path",
    "prune",
    "split_path",
    "staircase_regime",
    "stationarity",
]
