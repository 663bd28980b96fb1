"""Vector fields on a cut plane through the bodies and the vacuum around them: the magnitude
on a colour map (computed from the components, ``magnitude_plane``), arrows of the in-plane
part, the bodies' outline."""

import numpy as np

from giantatom.figures.geometry import (
    AXES,
    Mesh,
    applied_direction,
    magnitude_plane,
    outline,
    plane_points,
)
from giantatom.figures.results import Results
from giantatom.figures.style import Picture


def arrows(mesh: Mesh, vector: str, normal: int, count: int = 23):
    """Glyphs of the in-plane part of ``vector`` on a lattice in the cut plane, the longest
    one lattice spacing long; None if the field vanishes there."""
    import pyvista

    points = pyvista.PolyData(plane_points(mesh, normal, count))
    probed = points.sample(mesh.grid, pass_point_data=False)
    values = np.array(probed.point_data[vector], dtype=float)
    values[:, normal] = 0.0
    values[~np.asarray(probed.point_data["vtkValidPointMask"], dtype=bool)] = 0.0
    length = np.linalg.norm(values, axis=1)
    if length.max() <= 0:
        return None
    keep = length > 0.04 * length.max()
    points = pyvista.PolyData(probed.points[keep])
    points.point_data["v"] = values[keep]
    spacing = 1.15 * mesh.extent.max() / (count - 1)
    return points.glyph(
        orient="v", scale="v", factor=0.95 * spacing / length.max(), geom=pyvista.Arrow()
    )


def planar(
    results: Results,
    size,
    normal: int,
    vector: str,
    quantity: str,
    unit: str,
    cmap: str,
    outline_colour: str,
):
    """|vector| on the plane through the bodies' centre across axis ``normal``, with arrows."""
    mesh = results.mesh
    plane = magnitude_plane(mesh, normal, vector)
    magnitude = np.asarray(plane.point_data["_magnitude"])
    pic = Picture(size)
    top = float(np.nanmax(magnitude)) or 1.0
    pic.add_scalars(plane, magnitude, f"{vector} magnitude", unit, (0.0, top), cmap, flat=True)
    shown = arrows(mesh, vector, normal)
    if shown is not None:
        pic.add(shown, color="black")
    pic.add(plane.outline(), color="grey")
    pic.add(outline(mesh, normal), color=outline_colour, line_width=3)
    pic.title(
        results.title(quantity),
        f"plane through the body centre across {AXES[normal]}, vacuum around the bodies",
    )
    right, up = pic.view(mesh, normal, tilt=False)
    pic.scale_bar(mesh, right, up, results.unit, results.lam, margin=0.38)
    pic.legend([(f"arrows: {vector} in the plane", "black"), ("body outline", outline_colour)])
    return pic.plotter


def figure_field(results: Results, size, clip: str | None):
    """|E| on the cut plane, inside the bodies and in the vacuum, with arrows of E."""
    normal = results.mesh.normal(clip)
    return planar(results, size, normal, "E", "electric field E", "V/m", "YlOrRd", "royalblue")


def figure_current(results: Results, size, clip: str | None):
    """|J| on the plane across the applied field (the screening currents circulate in it)."""
    mesh = results.mesh
    if clip is None:
        direction = applied_direction(mesh)
        normal = int(np.argmax(np.abs(direction))) if direction is not None else mesh.normal(None)
    else:
        normal = AXES.index(clip)
    return planar(results, size, normal, "J", "current density J", "A/m^2", "YlGnBu", "crimson")
