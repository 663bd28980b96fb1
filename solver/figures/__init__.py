"""Pictures of a finished run, from its results directory or from in-memory results.

Everything here reads what a run leaves (the field grid, summary.json, the probe lines, the
case) and nothing else: no DOLFINx, no MPI, no solve. So ``giantatom plot`` redraws a run
copied from a cluster on a laptop, and gives the same picture as the run did, because the run
calls the very same code on its own results (``run_figures``, rank 0).

The Python API: each picture is a function of a source (a results directory, or the results
of ``giantatom.solve``) returning a pyvista Plotter (offscreen; ``.screenshot(file)``,
``.show()``), or a matplotlib Figure for the profile::

    from giantatom import figures
    figures.charge("results/sphere", clip="z").screenshot("charge.png")
    figures.profile(results, probe="radial").savefig("radial.png")

Figures (names as in ``[output] figures`` of the case file):
    charge    the bodies cut open, rho on a diverging map centred on zero
    field     |E| on the cut plane, bodies and vacuum, with arrows of E
    surface   rho on the bodies' surface
    magnetic  |B| and field lines on the cut containing the applied field
    current   |J| on the plane across the applied field, with arrows of J
    spin      the two spin currents on the surface side by side (and the map of B_stop, the
              field that stops a spin current, when the fields carry it: spin_stop.png)
    profile   rho and |E| along each probe line against depth (exact sphere overlaid)
    view      view.html: an interactive 3D view (WebGL, one self-contained file)

Modules: results (reading), geometry (cuts, planes, magnitudes), style (colours, colour bars,
scale bar, camera), charges / planes / magnetics / spins / profiles (the renderers), html (the
HTML view), render (files: draw, render_figures, run_figures).
"""

from pathlib import Path
from typing import TYPE_CHECKING

from giantatom.figures.geometry import MAGNITUDE_TOLERANCE, magnitude_error, magnitude_plane
from giantatom.figures.html import view_fields, write_view
from giantatom.figures.render import (
    FIELD_FIGURES,
    RENDERERS,
    STOP_FIELD,
    draw,
    figure_settings,
    outputs,
    picture,
    render_figures,
    run_figures,
)
from giantatom.figures.results import (
    InMemoryResults,
    Results,
    Source,
    as_results,
    from_memory,
    load_results,
)
from giantatom.figures.style import DEFAULT_SIZE

if TYPE_CHECKING:
    import matplotlib.figure
    import pyvista

__all__ = [
    "DEFAULT_SIZE",
    "FIELD_FIGURES",
    "MAGNITUDE_TOLERANCE",
    "RENDERERS",
    "STOP_FIELD",
    "InMemoryResults",
    "Results",
    "Source",
    "as_results",
    "charge",
    "current",
    "draw",
    "field",
    "figure_settings",
    "from_memory",
    "load_results",
    "magnetic",
    "magnitude_error",
    "magnitude_plane",
    "outputs",
    "picture",
    "profile",
    "render_figures",
    "run_figures",
    "spin",
    "stop_field",
    "surface",
    "view",
    "view_fields",
    "write_view",
]


def charge(
    source: Source, clip: str | None = None, size: tuple[int, int] = DEFAULT_SIZE
) -> "pyvista.Plotter":
    """The bodies cut open across ``clip`` (x, y, z; default: chosen by shape), rho inside."""
    return picture(as_results(source), "charge", size, clip)


def field(
    source: Source, clip: str | None = None, size: tuple[int, int] = DEFAULT_SIZE
) -> "pyvista.Plotter":
    """|E| and arrows of E on the plane through the bodies across ``clip``."""
    return picture(as_results(source), "field", size, clip)


def surface(
    source: Source, clip: str | None = None, size: tuple[int, int] = DEFAULT_SIZE
) -> "pyvista.Plotter":
    """rho on the bodies' surface."""
    return picture(as_results(source), "surface", size, clip)


def magnetic(
    source: Source, clip: str | None = None, size: tuple[int, int] = DEFAULT_SIZE
) -> "pyvista.Plotter":
    """|B| and field lines on the cut containing the applied field."""
    return picture(as_results(source), "magnetic", size, clip)


def current(
    source: Source, clip: str | None = None, size: tuple[int, int] = DEFAULT_SIZE
) -> "pyvista.Plotter":
    """|J| and arrows of J on the plane across the applied field (or across ``clip``)."""
    return picture(as_results(source), "current", size, clip)


def spin(
    source: Source, clip: str | None = None, size: tuple[int, int] = DEFAULT_SIZE
) -> "pyvista.Plotter":
    """The two spin currents on the surface, side by side."""
    return picture(as_results(source), "spin", size, clip)


def stop_field(
    source: Source, clip: str | None = None, size: tuple[int, int] = DEFAULT_SIZE
) -> "pyvista.Plotter":
    """B_stop on the surface: the applied field that stops the slower spin current."""
    return picture(as_results(source), "spin", size, clip, STOP_FIELD)


def profile(
    source: Source, probe: str | None = None, ax=None, size: tuple[int, int] = DEFAULT_SIZE
) -> "matplotlib.figure.Figure":
    """rho and |E| along the probe line ``probe`` (default: the first) as a matplotlib Figure;
    ``ax``: two Axes (rho, |E|) to draw on instead of a new Figure."""
    return picture(as_results(source), "profile", size, None, probe, ax)


def view(source: Source, out: str | Path, clip: str | None = None) -> Path:
    """Write view.html (the interactive view) to ``out``; returns its path."""
    return draw(as_results(source), "view", Path(out), DEFAULT_SIZE, clip)
