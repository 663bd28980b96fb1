"""Element sizes per body surface from its own curvature (the adaptive loop's first mesh).

The error of max |E| grows as the surface curves (solver/mesh_choice.py's fit carries the
smallest radius of curvature R), so a rounded cube needs the fine size only on its fillets:
each surface gets the size the fit gives for its own R, sampled from gmsh's principal
curvatures on a grid of its parameters (works for the built-in shapes and CAD parts alike;
planes have none and get the flat size). Lengths in lambda.
"""

from collections import defaultdict

import gmsh
import numpy as np

from giantatom.mesh_choice import SIZE_MAX, choose

SAMPLES = 8  # parameter grid per direction on which each surface's curvature is read


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


def by_size(sizes: dict[int, float]) -> dict[float, list[int]]:
    """The surfaces grouped by their size (one gmsh Distance field per group)."""
    groups = defaultdict(list)
    for surface, size in sizes.items():
        groups[size].append(surface)
    return dict(groups)
