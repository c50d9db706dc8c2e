r"""Beyond scalar two-layer networks (THEORY.md §I).

* :mod:`~sklearn_convexnn.extensions.vector_output` — two-layer networks with vector outputs
  :math:`f_\theta(X)=\sum_j(Xw_j)_+\alpha_j^\top`: the exact gated program (nuclear norm per pattern),
  the ReLU program bounded above by a dictionary of directions and below by an exact dual check
  (rank :math:`\le3`), and paths of constant objective between optimal networks.
* :mod:`~sklearn_convexnn.extensions.three_layer` — parallel three-layer networks with the path
  penalty, their convex program for tiny data, recovery, and the first-layer directions fixed by
  the dual.
"""

from .three_layer import ThreeLayerNetwork, ThreeLayerProgram
from .vector_output import VectorOutputProgram

__all__ = ["ThreeLayerNetwork", "ThreeLayerProgram", "VectorOutputProgram"]
