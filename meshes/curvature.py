"""Element sizes per body surface from its own curvature, for the accuracy chooser.

The error of max |E| grows as the surface curves (solver/mesh_choice.py's fit carries the
smallest radius of curvature R), so a rounded cube needs the fine size only on its fillets:
each surface gets the size the fit gives for its own R, sampled from gmsh's principal
curvatures on a grid of its parameters (works for the built-in shapes and CAD parts alike;
planes have none and get the flat size). Lengths in lambda.

``surface_sizes`` (the accuracy fit per surface) is not the adaptive loop's first mesh: measured
on the rounded cube (side 4 lambda, fillet 0.5, P3), these sizes within 0.5 lambda of the
fillets gave 30,588 cells and 1.4% on max |E|, uniform surface_size 0.6 20,212 cells and 1.1%.
The loop starts from ``curved_sizes``: the case's surface_size, no finer than the curved
surfaces need to be meshed at all (their radius), and lets its rounds refine. README
"Adaptive meshing".
"""

import gmsh
import numpy as np

from giantatom.mesh_choice import SIZE_MAX, choose

SAMPLES = 8  # parameter grid per direction on which each surface's curvature is read
# The adaptive loop's first mesh: a curved surface's size is at most this times its radius.
# Coarser P3 cells on fillets of lambda/2 left inverted curved cells that gmsh's high-order
# optimiser untangled for many minutes (uniform 0.8 and 1.0 on the side-10 rounded cube).
SIZE_PER_RADIUS = 1.0


def radius_of_curvature(surface: int) -> float:
    """The smallest radius of curvature of a model surface (inf for a plane), lambda."""
    (u0, v0), (u1, v1) = np.asarray(gmsh.model.getParametrizationBounds(2, surface)).T
    u, v = np.meshgrid(np.linspace(u0, u1, SAMPLES), np.linspace(v0, v1, SAMPLES))
    parameters = np.column_stack([u.ravel(), v.ravel()]).ravel()
    largest, smallest, _, _ = gmsh.model.getPrincipalCurvatures(surface, parameters)
    curvature = np.max(np.abs(np.concatenate([largest, smallest])), initial=0.0)
    return 1.0 / curvature if curvature > 1e-9 else np.inf


def surface_sizes(surfaces: list[int], accuracy: float) -> dict[int, float]:
    """Per surface: the P3 surface size that meets ``accuracy`` on max |E| for its own radius
    of curvature (mesh_choice.choose; at most its SIZE_MAX on a plane)."""
    radii = {s: radius_of_curvature(s) for s in surfaces}
    return {
        s: choose(accuracy, r).surface_size if np.isfinite(r) else SIZE_MAX
        for s, r in radii.items()
    }


def curved_sizes(surfaces: list[int], size: float) -> dict[int, float]:
    """The curved surfaces that need a size below ``size``: SIZE_PER_RADIUS times their
    smallest radius of curvature (the adaptive loop's first mesh; planes keep ``size``)."""
    sizes = {s: SIZE_PER_RADIUS * radius_of_curvature(s) for s in surfaces}
    return {s: h for s, h in sizes.items() if h < size}
