"""The full model's element order and mesh sizes from a requested relative accuracy
(``[mesh] accuracy``), from the measured convergence of the headline numbers on the sphere
(README "Choosing the mesh from an accuracy"; benchmarks/accuracy.py prints the table).

Measured: P3 beats P2 at every accuracy worth asking for (at R = 10 lambda, P3 with
surface_size 0.8 is more accurate than P2 with 0.33 on every number, with a tenth of the cells
and a third of the time), so the choice is P3 and the size at the surface that the worst
number, max |E|, needs:

    error(max |E|) ~ P3_ERROR (h / lambda)^P3_RATE          (layer 4 lambda)

fitted with a safety factor over the radii measured. Sizes are kept at or below 1 lambda, the
coarsest that resolves the charge layer. Pure: no DOLFINx, the case reader uses it.
"""

from dataclasses import dataclass

P3_ERROR = 0.011  # worst relative error of the headline numbers at h = 1 lambda, P3, layer 4
P3_RATE = 2.3  # its observed order in h (max |E| from node values of E: one below the rho's)
SIZE_MAX = 1.0  # lambda: the coarsest surface size that resolves the charge layer
SIZE_MIN = 0.1  # lambda: below this a run is better served by a larger machine and a look
LAYER = 4.0  # lambda: the refined depth the fit was measured with


@dataclass(frozen=True)
class MeshChoice:
    """What ``accuracy`` chooses, for the keys the case leaves out."""

    order: int
    surface_size: float
    layer: float


def choose(accuracy: float) -> MeshChoice:
    """Element order and sizes for a relative accuracy of the headline numbers."""
    size = (accuracy / P3_ERROR) ** (1.0 / P3_RATE)
    size = min(SIZE_MAX, max(SIZE_MIN, float(f"{size:.2g}")))
    return MeshChoice(order=3, surface_size=size, layer=LAYER)
