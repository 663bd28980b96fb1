"""What the figures read: a results directory, or the in-memory results of ``giantatom.solve``.

Both become one ``Results``: the summary (the dict of summary.json), the case, the probe
lines, and the field grids, read when first drawn. The field file is read in one place,
``read_fields``, so a change of its format is one change here.
"""

import csv
import json
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from giantatom.case import FIGURES, Case, parse_case
from giantatom.errors import FigureError, GiantAtomError
from giantatom.log import log
from giantatom.units import LENGTH_UNITS

FIELDS_FILE = "fields.pvtu"
SURFACE_FILE = "surface.vtu"  # the thin-layer model's fields on the body surfaces
# The fields the figures draw: only these are read from the field file.
FIELDS_USED = (
    "region", "rho", "E", "phi", "B", "J", "v_up", "v_down", "J_up", "J_down", "B_stop",
)  # fmt: skip
# Figures that need a field beyond the charge sector, and the fields that show they ran.
NEEDS = {"magnetic": ("B",), "current": ("J",), "spin": ("v_up", "v_down")}
SPIN_PAIRS = (("v_up", "v_down", "m/s", "v_sigma - v_sigma0"), ("J_up", "J_down", "A/m^2", "J"))


def quiet_vtk() -> None:
    """VTK reports on stderr (an X display it tried before EGL, a damaged file); the figures
    report their own failures in one line, so VTK's messages are noise here."""
    from vtkmodules.vtkCommonCore import vtkLogger, vtkObject

    vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_OFF)
    vtkObject.GlobalWarningDisplayOff()


# --------------------------------------------------------------------------------------------
# The field files: the one place that knows their format


def field_names(path: Path) -> list[str]:
    """The point fields of a field file, without reading its data; [] if there is none."""
    if not path.is_file():
        return []
    import pyvista

    quiet_vtk()
    try:
        return list(pyvista.get_reader(path).point_array_names)
    except Exception as err:
        raise FigureError(f"cannot read {path}: {err}") from None


def read_fields(path: Path, arrays: list[str] | None = None):
    """A field file as a pyvista grid with the point fields ``arrays`` (None: all)."""
    import pyvista

    quiet_vtk()
    start = time.perf_counter()
    try:
        reader = pyvista.get_reader(path)
        if arrays is not None:
            reader.disable_all_point_arrays()
            for name in arrays:
                reader.enable_point_array(name)
        grid = reader.read()
    except Exception as err:
        raise FigureError(f"cannot read {path}: {err}") from None
    if grid is None or grid.n_cells == 0:
        raise FigureError(f"{path}: no cells (damaged or incomplete?)")
    log.info("figures: read %s in %.1f s", path.name, time.perf_counter() - start)
    return grid


# --------------------------------------------------------------------------------------------
# Results


@dataclass
class Probe:
    name: str
    columns: dict[str, np.ndarray]  # column name -> values; x, y, z in geometry units


@dataclass
class Results:
    """A run as the figures see it, from a directory or from memory.

    ``grid`` and ``layer`` give the field grid (the whole domain) and the thin-layer surface
    grid (None without one) when called; ``field_names`` and ``layer_names`` list their point
    fields without reading them."""

    summary: dict
    case: Case | None  # None when the case.toml copy does not validate here (a CAD path)
    path: Path | None = None
    probes: list[Probe] = field(default_factory=list)
    toml: dict = field(default_factory=dict)  # the case.toml copy as plain TOML
    field_names: list[str] = field(default_factory=list)
    layer_names: list[str] = field(default_factory=list)
    grid: Callable[[], Any] | None = None
    layer: Callable[[], Any] | None = None

    @property
    def name(self) -> str:
        return str(self.summary.get("case", self.path.name if self.path else "giantatom"))

    @property
    def where(self) -> str:
        """The results, as a message names them."""
        return str(self.path) if self.path is not None else "the in-memory results"

    @property
    def unit(self) -> str:
        return self.summary["geometry"]["unit"]

    @property
    def lambda_m(self) -> float:
        return float(self.summary["material"]["lambda_m"])

    @property
    def lam(self) -> float:
        """lambda in the geometry unit (the unit of the coordinates of the fields)."""
        return self.lambda_m / LENGTH_UNITS[self.unit]

    @property
    def lambda_text(self) -> str:
        if self.case is not None:
            return self.case.lambda_text
        text = self.toml.get("material", {}).get("lambda")
        return text if isinstance(text, str) else f"{self.lambda_m:.4g} m"

    @property
    def body_names(self) -> list[str]:
        return [str(b) for b in self.summary["geometry"].get("bodies", [])]

    @cached_property
    def mesh(self):
        from giantatom.figures.geometry import Mesh

        if not self.field_names or self.grid is None:
            raise FigureError(f"{self.where} has no fields (run with [output] fields = true)")
        return Mesh.from_grid(self.grid())

    @cached_property
    def layer_surface(self):
        """The thin-layer surface as one triangulated surface with merged points, or None."""
        from giantatom.figures.geometry import layer_surface

        if not self.layer_names or self.layer is None:
            return None
        return layer_surface(self.layer())

    def surface_with(self, *names: str):
        """The surface that carries ``names``: the thin-layer surface when it has them (its
        rho is the layer's), else the bodies' surface from the field grid."""
        if self.layer_names and set(names) <= set(self.layer_names):
            return self.layer_surface
        return self.mesh.surface

    def available(self) -> list[str]:
        """The figures this run has the data for, in the order of FIGURES."""
        names, layer = set(self.field_names), set(self.layer_names)
        out = []
        for figure in FIGURES:
            if figure == "profile":
                ok = bool(self.probes)
            elif figure == "spin":  # the pair figure_spin draws, from either grid
                ok = any({up, down} <= names | layer for up, down, *_ in SPIN_PAIRS)
            elif figure in NEEDS:
                ok = all(n in names for n in NEEDS[figure])
            else:
                ok = {"rho", "E", "region"} <= names
            if ok:
                out.append(figure)
        return out

    def missing(self, figure: str) -> str:
        """Why ``figure`` is not in available()."""
        if figure == "profile":
            return "the run has no [[probe]] lines"
        if not self.field_names:
            return f"{self.where} has no fields (run with [output] fields = true)"
        needs = NEEDS.get(figure, ("rho", "E", "region"))
        return f"the fields have no {' / '.join(needs)} field (that sector did not run)"

    def title(self, quantity: str) -> str:
        return f"{self.name}: {quantity}   (lambda = {self.lambda_text})"

    def probe(self, name: str | None) -> Probe:
        if not self.probes:
            raise FigureError("figure 'profile': the run has no [[probe]] lines")
        if name is None:
            return self.probes[0]
        for line in self.probes:
            if line.name == name:
                return line
        known = ", ".join(p.name for p in self.probes)
        raise FigureError(f"figure 'profile': no probe {name!r} in this run (known: {known})")


# --------------------------------------------------------------------------------------------
# From a directory, from memory


def load_results(path: str | Path) -> Results:
    """Read summary.json, the case.toml copy and the probe CSVs of a results directory; the
    fields are read when a figure first needs them."""
    path = Path(path)
    if not path.is_dir():
        raise FigureError(f"{path} is not a directory")
    try:
        summary = json.loads((path / "summary.json").read_text())
        _check_summary(summary)
    except FileNotFoundError:
        raise FigureError(_not_results(path)) from None
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise FigureError(f"{path / 'summary.json'} is unreadable: {err}") from None
    case, toml = None, {}
    try:
        text = (path / "case.toml").read_text()
        toml = tomllib.loads(text)
        case = parse_case(text, path / "case.toml")
    except (OSError, tomllib.TOMLDecodeError, GiantAtomError) as err:
        # A CAD body's relative path does not resolve from the results: the plain TOML still
        # gives lambda's text and the figure settings (the run validated them).
        log.debug("figures: case.toml not validated here (%s)", err)
    fields, layer = path / FIELDS_FILE, path / SURFACE_FILE
    names = field_names(fields)
    return Results(
        summary=summary,
        case=case,
        path=path,
        probes=[_read_probe(f) for f in sorted(path.glob("probe_*.csv"))],
        toml=toml,
        field_names=names,
        layer_names=field_names(layer),
        grid=lambda: read_fields(fields, [n for n in names if n in FIELDS_USED]),
        layer=lambda: read_fields(layer),
    )


def _check_summary(summary: dict) -> None:
    if summary["geometry"]["unit"] not in LENGTH_UNITS:
        raise ValueError(f"unknown length unit {summary['geometry']['unit']!r}")
    float(summary["material"]["lambda_m"])


def _not_results(path: Path) -> str:
    """Why ``path`` is not a results directory, and what it holds instead (a sweep's parent
    directory: its members are)."""
    members = sorted(p.name for p in path.iterdir() if (p / "summary.json").is_file())
    if members:
        shown = ", ".join(members[:6]) + (", ..." if len(members) > 6 else "")
        sweep = " and sweep.csv (giantatom sweep)" if (path / "sweep.csv").is_file() else ""
        return (
            f"{path} holds {len(members)} results directories{sweep}, not one: plot one of "
            f"them ({shown})"
        )
    return f"{path} is not a giantatom results directory (no summary.json)"


class InMemoryResults(Protocol):
    """What ``giantatom.solve`` returns, as far as the figures use it."""

    summary: Any  # .to_dict(): the dict of summary.json
    probes: dict[str, dict[str, np.ndarray]]  # probe name -> column name -> values
    case: Case
    path: Path | None

    def grid(self) -> Any: ...  # rank 0: the field grid, as the saved field file

    def surface(self) -> Any: ...  # the thin-layer surface grid, or None


Source = str | Path | Results | InMemoryResults


def from_memory(results: InMemoryResults) -> Results:
    """The in-memory results of ``giantatom.solve`` (``summary.to_dict()``, ``grid()``,
    ``surface()``, ``probes``, ``case``, ``path``) as figures' Results."""
    summary = results.summary.to_dict()
    try:
        _check_summary(summary)
    except (ValueError, KeyError, TypeError) as err:
        raise FigureError(f"the in-memory summary is incomplete: {err}") from None
    grid, layer = results.grid(), results.surface()
    probes = [
        Probe(name, {k: np.asarray(v, dtype=float) for k, v in columns.items()})
        for name, columns in sorted(results.probes.items())
    ]
    path = getattr(results, "path", None)
    return Results(
        summary=summary,
        case=results.case,
        path=Path(path) if path is not None else None,
        probes=probes,
        field_names=list(grid.point_data.keys()) if grid is not None else [],
        layer_names=list(layer.point_data.keys()) if layer is not None else [],
        grid=lambda: grid,
        layer=lambda: layer,
    )


def as_results(source: Source) -> Results:
    """A results directory (path), a Results, or in-memory results, as Results."""
    if isinstance(source, Results):
        return source
    if isinstance(source, str | Path):
        return load_results(source)
    if hasattr(source, "summary") and hasattr(source, "grid"):
        return from_memory(source)
    raise FigureError(f"cannot draw from {type(source).__name__}: give a results directory")


def _read_probe(path: Path) -> Probe:
    try:
        with open(path, newline="") as stream:
            rows = list(csv.reader(stream))
        values = np.array(rows[1:], dtype=float).reshape(len(rows) - 1, len(rows[0]))
    except (OSError, ValueError, IndexError) as err:
        raise FigureError(f"{path} is unreadable: {err}") from None
    return Probe(path.stem.removeprefix("probe_"), dict(zip(rows[0], values.T, strict=True)))
