"""The full model's element order and mesh sizes from a requested relative accuracy
(``[mesh] accuracy``), from the measured convergence of the headline numbers on the sphere
(README "Choosing the mesh from an accuracy"; benchmarks/accuracy.py prints the table).

Measured: P3 beats P2 at every accuracy worth asking for (at R = 10 lambda, P3 with
surface_size 0.8 is more accurate than P2 with 0.33 on every number, with a tenth of the cells
and a third of the time), so the choice is P3 and the size at the surface that the worst
number, max |E|, needs. Its error grows as the surface curves more (R = 4 lambda: 2.8% at
h = 1; R = 10 lambda: 0.6%), so the fit carries the smallest radius of curvature R:

    error(max |E|) ~ P3_ERROR (h / lambda)^P3_RATE (R_FIT / R)^CURVATURE_RATE   (layer 4)

with a safety factor on the measured points. Sizes are kept at or below 1 lambda, the coarsest
that resolves the charge layer. Pure: no DOLFINx, the case reader uses it.
"""

from dataclasses import dataclass, field

from giantatom.case_shapes import Box, Cylinder, Ellipsoid, Geometry, Sphere, Torus

P3_ERROR = 0.04  # max |E|, relative, at h = 1 lambda on R = R_FIT (measured 0.028), P3
P3_RATE = 2.9  # its observed order in h (R = 4: 0.64%, 1.8%, 2.8% at h = 0.6, 0.8, 1.0)
R_FIT = 4.0  # lambda: the radius the fit was measured on
CURVATURE_RATE = 1.5  # R = 10 lambda: 0.18%, 0.38%, 0.60% at the same sizes (1.4 to 1.7)
R_MIN = 1.0  # lambda: sharper edges are taken as this (the screened field is smooth on lambda)
SIZE_MAX = 1.0  # lambda: the coarsest surface size that resolves the charge layer
SIZE_MIN = 0.1  # lambda: below this a run is better served by a larger machine and a look
LAYER = 4.0  # lambda: the refined depth the fit was measured with
DEFAULT_ACCURACY = 0.01  # what a case that sets no [mesh] order, surface_size, layer gets
# London moment, N1curl degree 1 on the chosen (P3) meshes: relative error ~ LONDON_ERROR
# (h / lambda)^2 (R_FIT / R)^LONDON_RATE (benchmarks/london_order.py: R = 4, h = 0.62: 2.1%;
# R = 10, h = 1: 2.7%; R = 30, h = 1: 1.35%, i.e. 0.055, 0.049, 0.049 of h^2 (4/R)^0.64; a
# tenth added for safety). It falls more slowly than lambda/R, the layer's share of the moment
# (the P2 meshes of the magnetic tests suggested 0.22 h^2 lambda/R). Degree 2: 0.015% and
# 0.031% at R = 4 and 10 on the same meshes.
LONDON_ERROR = 0.06
LONDON_RATE = 0.64


@dataclass(frozen=True)
class MeshChoice:
    """What ``accuracy`` chooses, for the keys the case leaves out."""

    order: int
    surface_size: float
    layer: float


@dataclass(frozen=True)
class Choice:
    """What a case's accuracy chose, and why: for the log and summary.json's ``mesh.chosen``."""

    accuracy: float
    default: bool  # the case set none of accuracy, order, surface_size, layer
    radius: float | None  # smallest radius of curvature, lambda (None: the shapes do not say)
    mesh: dict[str, float] = field(default_factory=dict)  # the [mesh] keys chosen
    magnetic_order: int | None = None  # the N1curl degree, where chosen

    def describe(self) -> str:
        """One log line: "accuracy 0.01 (default): P3, surface_size 1 lambda, ..."."""
        words = {
            "order": lambda v: f"P{v}",
            "surface_size": lambda v: f"surface_size {v:g} lambda",
            "layer": lambda v: f"layer {v:g} lambda",
        }
        parts = [words[k](v) for k, v in self.mesh.items()]
        text = f"accuracy {self.accuracy:g}{' (default)' if self.default else ''}: "
        text += ", ".join(parts) if parts else "mesh keys given"
        if self.radius is None:
            text += f" (radius of curvature unknown: taken as {R_FIT:g} lambda)"
        else:
            text += f" (smallest radius of curvature {self.radius:.3g} lambda)"
        if self.magnetic_order is not None:
            text += f"; N1curl degree {self.magnetic_order}"
        return text

    def summary(self) -> dict:
        """summary.json's ``mesh.chosen``."""
        return {
            "default": self.default,
            "radius_of_curvature_lambda": self.radius,
            **self.mesh,
            "magnetic_order": self.magnetic_order,
        }

    def holds_for(self, mesh_values: dict[str, float], magnetic_order: int | None) -> bool:
        """Still what a case has (a case replaced with other mesh keys drops its record)."""
        same = all(mesh_values.get(k) == v for k, v in self.mesh.items())
        return same and self.magnetic_order in (None, magnetic_order)


def choose(accuracy: float, radius: float = R_FIT) -> MeshChoice:
    """Element order and sizes for a relative accuracy of the headline numbers on bodies whose
    smallest radius of curvature is ``radius`` lambda."""
    curvature = (R_FIT / max(radius, R_MIN)) ** CURVATURE_RATE
    size = (accuracy / (P3_ERROR * curvature)) ** (1.0 / P3_RATE)
    size = min(SIZE_MAX, max(SIZE_MIN, float(f"{size:.2g}")))
    return MeshChoice(order=3, surface_size=size, layer=LAYER)


def magnetic_order(accuracy: float, surface_size: float, radius: float) -> int:
    """N1curl degree 1 where its London-moment error meets ``accuracy`` on that mesh, else 2
    (one mesh for all sectors: at 1% degree 2 below R = 65 lambda, 8 to 15 times degree 1's
    seconds with MUMPS on the P3 meshes; README "Choosing the mesh from an accuracy")."""
    error = LONDON_ERROR * surface_size**2 * (R_FIT / max(radius, R_MIN)) ** LONDON_RATE
    return 1 if error <= accuracy else 2


def curvature_radius(geometry: Geometry) -> float | None:
    """The smallest radius of curvature of the bodies' surfaces, geometry units (sharp edges,
    as a subtracted shape cuts: 0; None where the shapes do not say: CAD files)."""
    radii = []
    for body in geometry.bodies:
        shape = body.shape
        if body.subtract:
            radii.append(0.0)
        elif isinstance(shape, Sphere):
            radii.append(shape.radius)
        elif isinstance(shape, Ellipsoid):
            radii.append(min(shape.semi_axes) ** 2 / max(shape.semi_axes))
        elif isinstance(shape, Box | Cylinder):
            radii.append(shape.fillet)
        elif isinstance(shape, Torus):
            radii.append(min(shape.minor_radius, shape.major_radius - shape.minor_radius))
        else:
            return None
    return min(radii)
