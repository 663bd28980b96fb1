"""Drawing figures into files: what each figure writes (``outputs``), one file (``draw``),
a list of them (``render_figures``: ``giantatom plot``), and a run's own (``run_figures``)."""

import time
from pathlib import Path

from giantatom.case import FIGURES
from giantatom.errors import FigureError, GiantAtomError
from giantatom.figures.charges import figure_charge, figure_surface
from giantatom.figures.html import write_view
from giantatom.figures.magnetics import figure_magnetic, figure_stop_field
from giantatom.figures.planes import figure_current, figure_field
from giantatom.figures.profiles import figure_profile
from giantatom.figures.results import Results, Source, as_results, load_results
from giantatom.figures.spins import figure_spin
from giantatom.figures.style import DEFAULT_SIZE
from giantatom.log import log

# The --field choices of `giantatom plot` and the figure each one draws.
FIELD_FIGURES = {"rho": "charge", "E": "field", "B": "magnetic", "J": "current", "spin": "spin"}
# The pictures by figure name: (results, size, clip) -> pyvista.Plotter, or a matplotlib Figure
# for the profile; the view writes its HTML file itself.
RENDERERS = {
    "charge": figure_charge,
    "field": figure_field,
    "surface": figure_surface,
    "magnetic": figure_magnetic,
    "current": figure_current,
    "spin": figure_spin,
    "profile": figure_profile,
    "view": write_view,
}
STOP_FIELD = "stop"  # the part of the spin figure that maps B_stop (spin_stop.png)


def outputs(results: Results, name: str, folder: Path) -> list[tuple[Path, str | None]]:
    """The files figure ``name`` writes into ``folder``, each with its part (the probe of a
    profile, STOP_FIELD for the spin figure's B_stop map); for a figure this run has no data
    for (or no such figure), one placeholder: draw() says why."""
    if name not in RENDERERS or name not in results.available():
        return [(folder / name, None)]
    if name == "profile":
        return [(folder / f"profile_{p.name}.png", p.name) for p in results.probes]
    if name == "view":
        return [(folder / "view.html", None)]
    if name == "spin" and "B_stop" in set(results.field_names) | set(results.layer_names):
        return [(folder / "spin.png", None), (folder / "spin_stop.png", STOP_FIELD)]
    return [(folder / f"{name}.png", None)]


def picture(results: Results, name: str, size, clip: str | None, part: str | None = None, ax=None):
    """Figure ``name`` as a pyvista Plotter (a matplotlib Figure for the profile, drawn on
    ``ax``, its two Axes, when given)."""
    if name not in RENDERERS or name == "view":
        raise FigureError(f"unknown figure {name!r} (known: {', '.join(FIGURES)})")
    if name not in results.available():
        raise FigureError(f"figure {name!r}: {results.missing(name)}")
    if name == "profile":
        return figure_profile(results, size, clip, part, ax)
    if name == "spin" and part == STOP_FIELD:
        if "B_stop" not in set(results.field_names) | set(results.layer_names):
            raise FigureError("figure 'spin': the fields have no B_stop (the stop-field map)")
        return figure_stop_field(results, size, clip)
    return RENDERERS[name](results, size, clip)


def save(drawn, out: Path) -> Path:
    """Write a Plotter (screenshot) or a matplotlib Figure to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if hasattr(drawn, "savefig"):
        drawn.savefig(out, dpi=drawn.dpi)
    else:
        drawn.screenshot(str(out))
        drawn.close()
    return out


def draw(
    results: Results,
    name: str,
    out: Path,
    size: tuple[int, int],
    clip: str | None,
    part: str | None = None,
) -> Path:
    """Draw one file of figure ``name`` (``part``: see ``outputs``); raises FigureError with a
    one-line reason."""
    if name not in RENDERERS:
        raise FigureError(f"unknown figure {name!r} (known: {', '.join(FIGURES)})")
    if name not in results.available():
        raise FigureError(f"figure {name!r}: {results.missing(name)}")
    start = time.perf_counter()
    try:
        if name == "view":
            write_view(results, out, size, clip)
        else:
            save(picture(results, name, size, clip, part), out)
    except GiantAtomError:
        raise
    except Exception as err:
        raise FigureError(f"figure {name!r}: {type(err).__name__}: {err}") from err
    kb = out.stat().st_size / 1024
    what = "" if out.suffix == ".html" else f"{size[0]}x{size[1]}, "
    log.info("figures: %s (%s%.0f kB) in %.1f s", out.name, what, kb, time.perf_counter() - start)
    return out


def figure_settings(results: Results) -> tuple[tuple[str, ...] | None, tuple[int, int]]:
    """The case's [output] figures and figure_size (defaults when the case is unreadable)."""
    if results.case is not None:
        return results.case.output.figures, tuple(results.case.output.figure_size)
    output = results.toml.get("output", {})
    names, size = output.get("figures"), output.get("figure_size")
    valid_size = isinstance(size, list) and len(size) == 2 and all(isinstance(v, int) for v in size)
    return (
        tuple(names) if isinstance(names, list) else None,
        tuple(size) if valid_size else DEFAULT_SIZE,
    )


def render_figures(
    source: Source,
    names: list[str] | None = None,
    folder: Path | None = None,
    size: tuple[int, int] | None = None,
    clip: str | None = None,
    strict: bool = True,
) -> list[Path]:
    """Draw figures of a results directory (or in-memory results) into ``folder`` (default
    RESULTS/figures).

    ``names`` None draws every figure the run has the data for. ``strict``: the first failure
    raises FigureError (``giantatom plot``); otherwise each failure is logged as a warning and
    the rest are drawn (``giantatom run``)."""
    results = as_results(source)
    if folder is None and results.path is None:
        raise FigureError("in-memory results without a path: give the folder for the figures")
    folder = Path(folder) if folder is not None else results.path / "figures"
    size = size or figure_settings(results)[1]
    names = list(results.available() if names is None else names)
    written: list[Path] = []
    for name in names:
        try:
            for target, part in outputs(results, name, folder):
                written.append(draw(results, name, target, size, clip, part))
        except GiantAtomError as err:
            if strict:
                raise
            log.warning("figures: %s; skipped", err)
    return written


def run_figures(path: Path, names: tuple[str, ...] | None, size: tuple[int, int]) -> list[Path]:
    """The run's figures: never raises (a run does not fail because of a picture)."""
    start = time.perf_counter()
    try:
        written = render_figures(
            load_results(path), None if names is None else list(names), size=size, strict=False
        )
    except Exception as err:
        log.warning("figures: not drawn: %s", err)
        return []
    log.info("figures: %d file(s) in %.1f s", len(written), time.perf_counter() - start)
    return written
