"""The two spin currents on the bodies' surface, side by side on one colour scale."""

import numpy as np

from giantatom.figures.geometry import spread_points, with_magnitude
from giantatom.figures.results import SPIN_PAIRS, Results
from giantatom.figures.style import Picture, camera_axes


def figure_spin(results: Results, size, clip: str | None):
    """Spin up left (red arrows), spin down right (blue arrows), one scale."""
    import pyvista

    mesh = results.mesh
    names = set(mesh.body.point_data.keys()) | set(results.layer_names)
    up, down, unit, symbol = next(p for p in SPIN_PAIRS if {p[0], p[1]} <= names)
    normal = mesh.normal(clip)
    surface = results.surface_with(up, down)
    shown = {s: with_magnitude(surface, s) for s in (up, down)}
    vmax = float(max(v.point_data["_magnitude"].max() for v in shown.values())) or 1.0
    spacing = mesh.size / 11
    pick = spread_points(np.asarray(surface.points), spacing)
    shift = camera_axes(normal, tilt=True)[2] * 1.25 * mesh.size  # side by side on screen
    pic = Picture(size)
    for k, (name, colour) in enumerate(((up, "red"), (down, "blue"))):
        offset = (k - 0.5) * shift
        part = shown[name].translate(offset, inplace=False)
        pic.add_scalars(
            part,
            part.point_data["_magnitude"],
            "speed" if unit == "m/s" else "J magnitude",
            unit,
            (0.0, vmax),
            "viridis",
            smooth_shading=True,
            split_sharp_edges=True,
            show_scalar_bar=k == 0,
        )
        points = pyvista.PolyData(np.asarray(surface.points)[pick] + offset)
        points.point_data["v"] = np.asarray(surface.point_data[name])[pick]
        pic.add(points.glyph(orient="v", scale="v", factor=0.9 * spacing / vmax), color=colour)
    pic.title(
        results.title(f"spin currents {symbol} on the surface"),
        f"left: {up} (spin up, red arrows); right: {down} (spin down, blue arrows)",
    )
    right, up_ = pic.view(mesh, normal, tilt=True)
    pic.scale_bar(mesh, right, up_, results.unit, results.lam)
    return pic.plotter
