"""Element sizes per body surface from its own curvature: the adaptive loop's first mesh.

Each surface's smallest radius of curvature is sampled from gmsh's principal curvatures on a
grid of its parameters (works for the built-in shapes and CAD parts alike; planes have none).
Lengths in lambda.

The loop starts from ``curved_sizes``: the case's surface_size, no finer than the curved
surfaces need to be meshed at all (their radius), and lets its rounds refine. Sizing every
surface by the accuracy fit for its own radius (mesh_choice.choose) was worse: on the rounded
cube (side 4 lambda, fillet 0.5, P3) those sizes within 0.5 lambda of the fillets gave 30,588
cells and 1.4% on max |E|, uniform surface_size 0.6 20,212 cells and 1.1%. README "Adaptive
meshing".
"""

import gmsh
import numpy as np

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


def curved_sizes(surfaces: list[int], size: float) -> dict[int, float]:
    """The curved surfaces that need a size below ``size``: SIZE_PER_RADIUS times their
    smallest radius of curvature (the adaptive loop's first mesh; planes keep ``size``)."""
    sizes = {s: SIZE_PER_RADIUS * radius_of_curvature(s) for s in surfaces}
    return {s: h for s, h in sizes.items() if h < size}
