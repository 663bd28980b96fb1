"""The magnetic pictures: how the applied field bends around and into the bodies (|B| on the
cut that contains the field, in the bodies and the vacuum, with field lines), and the map of
the applied field that stops a spin current on the surface (``B_stop``)."""

import numpy as np

from giantatom.errors import FigureError
from giantatom.figures.geometry import (
    AXES,
    Mesh,
    applied_direction,
    magnitude_plane,
    outline,
)
from giantatom.figures.planes import arrows
from giantatom.figures.results import Results
from giantatom.figures.style import Picture

LINES = 26  # field lines seeded across the field


def field_cut(mesh: Mesh, direction: np.ndarray, clip: str | None) -> tuple[int, str]:
    """The axis across which to cut, so that the cut contains the applied field: ``clip`` if
    its plane holds most of the field, else the axis most nearly across the field; and a note
    when ``clip`` was not taken."""
    best = int(np.argmin(np.abs(direction) + 1e-9 * np.arange(3)))
    if clip is None:
        return best, ""
    asked = AXES.index(clip)
    if abs(direction[asked]) < 0.5:
        return asked, ""
    return best, f"; the cut across {clip} would be across the field: cut across {AXES[best]}"


def field_lines(mesh: Mesh, plane, direction: np.ndarray, normal: int):
    """Lines of the in-plane part of B on the cut plane, seeded on the line across the field
    through the centre and followed both ways, so that those passing closest to the bodies
    show the bend."""
    import pyvista

    plane = plane.copy(deep=False)
    B = np.array(plane.point_data["B"], dtype=float)
    B[:, normal] = 0.0
    plane.point_data["B_in_plane"] = B
    across = np.cross(direction, np.eye(3)[normal])
    across /= np.linalg.norm(across)
    reach = 0.5 * mesh.extent.max() * 1.6
    seeds = mesh.center + np.linspace(-reach, reach, LINES)[:, None] * across
    return plane.streamlines_from_source(
        pyvista.PolyData(seeds),
        vectors="B_in_plane",
        integration_direction="both",
        surface_streamlines=True,
        step_unit="l",  # lengths in the geometry unit
        initial_step_length=mesh.size / 200,
        min_step_length=mesh.size / 2000,
        max_step_length=mesh.size / 50,
        max_length=6.0 * mesh.size,
        max_steps=20000,
        terminal_speed=1e-12,
    )


def figure_magnetic(results: Results, size, clip: str | None):
    """|B| on the cut containing the applied field, with its field lines: the applied field
    bending around the bodies and screened within lambda of their surface."""
    mesh = results.mesh
    direction = applied_direction(mesh)
    if direction is None:
        raise FigureError("figure 'magnetic': B vanishes far from the bodies (no applied field)")
    normal, note = field_cut(mesh, direction, clip)
    plane = magnitude_plane(mesh, normal, "B")
    magnitude = np.asarray(plane.point_data["_magnitude"])
    lines = field_lines(mesh, plane, direction, normal)
    if lines.n_points == 0:
        raise FigureError(f"figure 'magnetic': no field line of B on the cut across {AXES[normal]}")
    pic = Picture(size)
    top = float(np.nanmax(magnitude)) or 1.0
    pic.add_scalars(plane, magnitude, "B magnitude", "T", (0.0, top), "viridis", flat=True)
    pic.add(lines, color="white", line_width=2)
    shown = arrows(mesh, "B", normal, count=13)
    if shown is not None:
        pic.add(shown, color="black")
    pic.add(outline(mesh, normal), color="crimson", line_width=3)
    pic.title(
        results.title("magnetic field B: its magnitude and field lines"),
        f"plane through the body centre across {AXES[normal]}, containing the applied field" + note,
    )
    right, up = pic.view(mesh, normal, tilt=False)
    pic.scale_bar(mesh, right, up, results.unit, results.lam, margin=0.38)
    pic.legend(
        [
            ("field lines of B (in the plane)", "white"),
            ("arrows: B, length ~ its magnitude", "black"),
            ("body outline", "crimson"),
        ]
    )
    return pic.plotter


def figure_stop_field(results: Results, size, clip: str | None):
    """B_stop on the bodies' surface: the applied field (T) that stops the slower spin's
    current there; grey where the spin speed is too small to define it."""
    mesh = results.mesh
    surface = results.surface_with("B_stop")
    values = np.asarray(surface.point_data["B_stop"], dtype=float)
    finite = values[np.isfinite(values)]
    if not len(finite):
        raise FigureError("figure 'spin': B_stop is undefined everywhere (no spin current)")
    pic = Picture(size)
    pic.add_scalars(
        surface,
        values,
        "B_stop",
        "T",
        (float(finite.min()), float(finite.max())),
        "magma",
        smooth_shading=True,
        nan_color="lightgrey",
    )
    pic.title(
        results.title("field that stops the slower spin current, B_stop, on the surface"),
        f"grey: spin speed near zero (B_stop undefined); B_s = "
        f"{results.summary['material'].get('B_s_T', np.nan):.4g} T",
    )
    right, up = pic.view(mesh, mesh.normal(clip), tilt=True)
    pic.scale_bar(mesh, right, up, results.unit, results.lam)
    return pic.plotter
