"""Pictures of a finished run, drawn from its results directory alone.

Everything here reads the files a run leaves (fields.pvtu, summary.json, probe_*.csv and the
case.toml copy) and nothing else: no DOLFINx, no MPI, no solve. So ``giantatom plot`` redraws
a run copied from a cluster on a laptop, and gives the same picture as the run did, because
the run calls the very same code on its own results (``run_figures``, rank 0, just before the
results directory is moved into place).

Figures (names as in ``[output] figures`` of the case file):
    charge    the body cut open, rho on a diverging map centred on zero (C/m^3)
    field     |E| on the cut plane with arrows of E and the body outline (V/m)
    surface   rho on the body surface (C/m^3)
    magnetic  B field lines around the body cut open, |J| on the cut (with a magnetic sector)
    current   |J| on the plane across the applied field, with arrows of J (A/m^2)
    spin      the two spin currents on the surface side by side (with a spin sector)
    profile   rho and |E| along each probe line against depth in lambda (matplotlib), with
              the exact solution overlaid for a single neutral sphere
    view      view.html: an interactive 3D view (WebGL, one self-contained file)

The fields are DG2 data on quadratic VTK Lagrange tetrahedra. Each is split into its 8 linear
sub-tetrahedra on its own 10 nodes, so every nodal value is drawn exactly and VTK's linear
filters (clip, slice, streamlines) apply.
"""

import base64
import csv
import gzip
import json
import math
import time
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np

from giantatom.case import FIGURES, Case, parse_case
from giantatom.errors import FigureError, GiantAtomError
from giantatom.log import log
from giantatom.units import EPS_0, LENGTH_UNITS

DEFAULT_SIZE = (1600, 1200)
AXES = ("x", "y", "z")
# The --field choices of `giantatom plot` and the figure each one draws.
FIELD_FIGURES = {"rho": "charge", "E": "field", "B": "magnetic", "J": "current", "spin": "spin"}
# Figures that need a field beyond the charge sector, and the fields that show they ran.
NEEDS = {"magnetic": ("B",), "current": ("J",), "spin": ("v_up", "v_down")}
# The fields the figures draw: only these are read from fields.pvtu.
FIELDS_USED = ("region", "rho", "E", "phi", "B", "J", "v_up", "v_down", "J_up", "J_down")
SPIN_PAIRS = (("v_up", "v_down", "m/s", "v_sigma - v_sigma0"), ("J_up", "J_down", "A/m^2", "J"))

# VTK quadratic (Lagrange) tetrahedron: vertices 0-3, then the edge nodes 01 12 02 03 13 23.
# Its 8 linear sub-tetrahedra: four at the corners, four around the diagonal 02-13.
_SUBTETS = np.array(
    [
        [0, 4, 6, 7],
        [4, 1, 5, 8],
        [6, 5, 2, 9],
        [7, 8, 9, 3],
        [6, 8, 4, 5],
        [6, 8, 5, 9],
        [6, 8, 9, 7],
        [6, 8, 7, 4],
    ]
)


# --------------------------------------------------------------------------------------------
# The results directory


@dataclass
class Probe:
    name: str
    columns: dict[str, np.ndarray]  # column name -> values; x, y, z in geometry units


@dataclass
class Results:
    """A results directory as the figures see it."""

    path: Path
    summary: dict
    case: Case | None  # None when the case.toml copy does not validate here (a CAD path)
    probes: list[Probe] = field(default_factory=list)
    toml: dict = field(default_factory=dict)  # the case.toml copy as plain TOML

    @property
    def name(self) -> str:
        return str(self.summary.get("case", self.path.name))

    @property
    def unit(self) -> str:
        return self.summary["geometry"]["unit"]

    @property
    def lambda_m(self) -> float:
        return float(self.summary["material"]["lambda_m"])

    @property
    def lam(self) -> float:
        """lambda in the geometry unit (the unit of the coordinates in fields.pvtu)."""
        return self.lambda_m / LENGTH_UNITS[self.unit]

    @property
    def lambda_text(self) -> str:
        if self.case is not None:
            return self.case.lambda_text
        text = self.toml.get("material", {}).get("lambda")
        return text if isinstance(text, str) else f"{self.lambda_m:.4g} m"

    @property
    def fields_file(self) -> Path:
        return self.path / "fields.pvtu"

    @cached_property
    def field_names(self) -> list[str]:
        if not self.fields_file.is_file():
            return []
        import pyvista

        return list(pyvista.get_reader(self.fields_file).point_array_names)

    @cached_property
    def mesh(self) -> "Mesh":
        if not self.fields_file.is_file():
            raise FigureError(f"{self.fields_file} is missing (run with [output] fields = true)")
        start = time.perf_counter()
        wanted = [n for n in self.field_names if n in FIELDS_USED]
        mesh = Mesh.read(self.fields_file, wanted)
        log.info(
            "figures: read %s (%s) in %.1f s",
            self.fields_file.name,
            ", ".join(wanted),
            time.perf_counter() - start,
        )
        return mesh

    @property
    def layer_file(self) -> Path:
        """surface.vtu: the thin-layer model's fields on the body surfaces (the layer lambda
        deep is analytic there, so its values live on the surface, not in fields.pvtu)."""
        return self.path / "surface.vtu"

    @cached_property
    def _layer_reader(self):
        if not self.layer_file.is_file():
            return None
        import pyvista

        return pyvista.get_reader(self.layer_file)

    @cached_property
    def layer_names(self) -> list[str]:
        return list(self._layer_reader.point_array_names) if self._layer_reader else []

    @cached_property
    def layer_surface(self):
        """surface.vtu as one triangulated surface with merged points, or None."""
        if not self.layer_names:
            return None
        _quiet_vtk()
        try:
            grid = self._layer_reader.read()
        except Exception as err:
            raise FigureError(f"cannot read {self.layer_file}: {err}") from None
        # quadratic triangles, each with its own nodes: subdivide, then merge coincident nodes
        surface = grid.extract_surface(algorithm="dataset_surface", nonlinear_subdivision=2)
        return _shaded(_merge_points(surface.triangulate()))

    def surface_with(self, *names: str):
        """The surface that carries ``names``: the thin-layer surface when it has them (its
        rho is the layer's), else the bodies' surface from fields.pvtu."""
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
            elif figure == "spin":  # the pair figure_spin draws, from either file
                ok = any({up, down} <= names | layer for up, down, *_ in SPIN_PAIRS)
            elif figure in NEEDS:
                ok = all(n in names for n in NEEDS[figure])
            else:
                ok = {"rho", "E", "region"} <= names
            if ok:
                out.append(figure)
        return out

    def title(self, quantity: str) -> str:
        return f"{self.name}: {quantity}   (lambda = {self.lambda_text})"


def load_results(path: str | Path) -> Results:
    """Read summary.json, the case.toml copy and the probe CSVs of a results directory."""
    path = Path(path)
    if not path.is_dir():
        raise FigureError(f"{path} is not a directory")
    try:
        summary = json.loads((path / "summary.json").read_text())
        if summary["geometry"]["unit"] not in LENGTH_UNITS:
            raise ValueError(f"unknown length unit {summary['geometry']['unit']!r}")
        float(summary["material"]["lambda_m"])
    except FileNotFoundError:
        raise FigureError(
            f"{path} is not a giantatom results directory (no summary.json)"
        ) from None
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
    probes = [_read_probe(f) for f in sorted(path.glob("probe_*.csv"))]
    return Results(path=path, summary=summary, case=case, probes=probes, toml=toml)


def _read_probe(path: Path) -> Probe:
    try:
        with open(path, newline="") as stream:
            rows = list(csv.reader(stream))
        values = np.array(rows[1:], dtype=float).reshape(len(rows) - 1, len(rows[0]))
    except (OSError, ValueError, IndexError) as err:
        raise FigureError(f"{path} is unreadable: {err}") from None
    return Probe(path.stem.removeprefix("probe_"), dict(zip(rows[0], values.T, strict=True)))


# --------------------------------------------------------------------------------------------
# Geometry from fields.pvtu


def _quiet_vtk() -> None:
    """VTK reports on stderr (an X display it tried before EGL, a damaged file); the figures
    report their own failures in one line, so VTK's messages are noise here."""
    from vtkmodules.vtkCommonCore import vtkLogger, vtkObject

    vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_OFF)
    vtkObject.GlobalWarningDisplayOff()


class Mesh:
    """fields.pvtu as linear tetrahedra: the whole domain, and the bodies with merged points."""

    def __init__(self, grid):
        import pyvista

        self.grid = grid  # linear tetrahedra, DG: each cell has its own points
        region = np.asarray(grid.point_data["region"])
        tets = grid.cell_connectivity.reshape(-1, 4)
        self.cell_region = np.rint(region[tets[:, 0]]).astype(int)
        body = grid.extract_cells(np.flatnonzero(self.cell_region > 0))
        if body.n_cells == 0:
            raise FigureError("fields.pvtu has no body cells (region > 0)")
        # One point per position inside the bodies, so that faces between cells are shared and
        # only the true surface is drawn. The merged values are averages: exact for rho and
        # phi (continuous inside a body), a smoothing of the cellwise E of a P2 potential.
        self.body = _merge_points(pyvista.UnstructuredGrid(body))
        self.surface = _shaded(self.body.extract_surface(algorithm="dataset_surface"))
        b = np.array(self.body.bounds).reshape(3, 2)
        self.center = b.mean(axis=1)
        self.extent = b[:, 1] - b[:, 0]

    @classmethod
    def read(cls, path: Path, arrays: list[str] | None = None) -> "Mesh":
        import pyvista

        _quiet_vtk()
        try:
            reader = pyvista.get_reader(path)
            if arrays is not None:
                reader.disable_all_point_arrays()
                for name in arrays:
                    reader.enable_point_array(name)
            grid = reader.read()
        except Exception as err:
            raise FigureError(f"cannot read {path}: {err}") from None
        if grid is None or grid.n_cells == 0 or "region" not in grid.point_data:
            raise FigureError(f"{path}: no cells with a 'region' field (damaged or incomplete?)")
        return cls(linear_tetrahedra(grid))

    @property
    def size(self) -> float:
        return float(self.extent.max())

    def normal(self, clip: str | None) -> int:
        """Axis of the cut: ``clip`` if given, else the body's middle extent, so the cut
        contains its longest and its shortest direction (a disc is cut across, a rod along)."""
        if clip is not None:
            return AXES.index(clip)
        # Extents within 2% count as equal (a meshed sphere is not exactly round): x, y, z.
        rounded = np.round(self.extent / (0.02 * self.size))
        return int(np.argsort(rounded, kind="stable")[1])

    def box(self, margin: float = 0.3) -> list[float]:
        """Bounds around the bodies, ``margin`` of their size on every side."""
        half = 0.5 * self.extent + margin * self.size
        return [
            v
            for lo, hi in zip(self.center - half, self.center + half, strict=True)
            for v in (lo, hi)
        ]


def _merge_points(data):
    """``data`` with its coincident points merged (DG data: every cell has its own points)."""
    tolerance = 1e-7 * float(np.ptp(np.asarray(data.points), axis=0).max())
    return data.clean(tolerance=tolerance)


def _shaded(surface):
    """A surface as triangles with outward point normals, for smooth shading."""
    return surface.triangulate().compute_normals(auto_orient_normals=True, split_vertices=False)


def linear_tetrahedra(grid):
    """A grid of quadratic (or linear) tetrahedra as linear tetrahedra on the same nodes."""
    import pyvista

    types = np.unique(np.asarray(grid.celltypes))
    if not set(types.tolist()) <= {
        pyvista.CellType.TETRA,
        pyvista.CellType.LAGRANGE_TETRAHEDRON,
        pyvista.CellType.QUADRATIC_TETRA,
    }:
        raise FigureError(f"fields.pvtu: expected tetrahedra, got VTK cell types {types.tolist()}")
    offsets = np.asarray(grid.cell_offsets)
    per_cell = np.unique(np.diff(offsets))
    if len(per_cell) != 1:
        raise FigureError("fields.pvtu: cells of mixed order")
    nodes = np.asarray(grid.cell_connectivity).reshape(-1, int(per_cell[0]))
    if nodes.shape[1] == 10:
        tets = nodes[:, _SUBTETS].reshape(-1, 4)
    else:  # linear, or cubic: the vertices come first in VTK's node order
        tets = nodes[:, :4]
    cells = np.hstack([np.full((len(tets), 1), 4), tets]).ravel()
    out = pyvista.UnstructuredGrid(
        cells, np.full(len(tets), pyvista.CellType.TETRA, dtype=np.uint8), grid.points
    )
    for name in grid.point_data.keys():
        out.point_data[name] = grid.point_data[name]
    return out


# --------------------------------------------------------------------------------------------
# Colours


def centred_cmap(vmin: float, vmax: float, name: str = "RdBu_r", n: int = 512):
    """A diverging map whose centre colour (white) sits at zero on the range [vmin, vmax], each
    side spread over its own span: a thin, strong negative layer and a weak positive interior
    are both saturated at their extremes, while the scale bar stays linear."""
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    base = colormaps[name]
    if vmin >= 0 or vmax <= 0:
        return base
    neg = max(8, round(n * -vmin / (vmax - vmin)))
    pos = max(8, n - neg)
    colours = np.vstack([base(np.linspace(0.0, 0.5, neg)), base(np.linspace(0.5, 1.0, pos))])
    return ListedColormap(colours, name=f"{name}_centred")


def _scalar_range(values: np.ndarray, spread: float = 0.02) -> tuple[float, float]:
    """[min, max], widened to at least ``spread`` of the mean magnitude, so a nearly uniform
    surface looks uniform instead of showing round-off as a pattern."""
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
    half = max(half, spread * max(abs(lo), abs(hi)), 1e-300)
    return mid - half, mid + half


# --------------------------------------------------------------------------------------------
# The pyvista figures


def camera_axes(
    normal: int, tilt: bool, side: float = 0.55
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(towards the camera, up, right) for a view of the cut across axis ``normal``: z up (y
    for a cut across z), the camera on the open side of the cut (``open_side``), tilted up and
    by ``side`` sideways for depth."""
    up = np.eye(3)[2 if normal != 2 else 1]
    direction = open_side(normal)
    if tilt:
        direction = direction + side * np.cross(up, direction) + 0.45 * up
    direction = direction / np.linalg.norm(direction)
    right = np.cross(up, direction)
    return direction, up, right / np.linalg.norm(right)


class _Picture:
    """An offscreen plotter with the project's look: white, a title, a scale bar on the right."""

    def __init__(self, size: tuple[int, int]):
        import pyvista

        _quiet_vtk()
        self.size = size
        self.plotter = pyvista.Plotter(off_screen=True, window_size=list(size), border=False)
        self.plotter.set_background("white")
        self.font = max(8, round(size[1] / 55))

    def title(self, text: str, line2: str = "") -> None:
        self.plotter.add_text(
            text + (f"\n{line2}" if line2 else ""),
            position="upper_left",
            font_size=self.font,
            color="black",
        )

    def add(self, mesh, **kwargs) -> None:
        """add_mesh with soft lighting, so colours stay close to the scale bar's."""
        style = {"ambient": 0.45, "diffuse": 0.55, "specular": 0.0}
        if kwargs.pop("flat", False):  # a plane seen face-on: the scale bar's own colours
            style = {"lighting": False}
        self.plotter.add_mesh(mesh, **{**style, **kwargs})

    def bar(self, title: str, n_labels: int = 5) -> dict:
        return {
            "title": title,
            "vertical": True,
            "position_x": 0.84,
            "position_y": 0.12,
            "width": 0.06,
            "height": 0.72,
            "n_labels": n_labels,
            "fmt": "%.3g",
            "color": "black",
            "title_font_size": self.font + 2,
            "label_font_size": self.font,
        }

    def view(
        self, mesh: Mesh, normal: int, *, tilt: bool, zoom: float = 1.0, side: float = 0.55
    ) -> None:
        """Camera on the +normal side of the cut; tilted to show depth, or square for a plane."""
        direction, up, _ = camera_axes(normal, tilt, side)
        cam = self.plotter.camera
        cam.focal_point = mesh.center
        cam.position = mesh.center + 4.0 * mesh.size * direction
        cam.up = up
        if not tilt:
            cam.parallel_projection = True
        self.plotter.reset_camera()
        cam.zoom(zoom)

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.plotter.screenshot(str(path))
        self.plotter.close()
        return path


def open_side(normal: int) -> np.ndarray:
    """The side the camera looks from: +x, -y or +z, so that the picture is right-handed with
    x (or y for a cut across x) to the right."""
    return np.eye(3)[normal] * (-1.0 if normal == 1 else 1.0)


def _cut_open(mesh: Mesh, normal: int):
    """The bodies with the half on the camera's side of their centre removed."""
    return mesh.body.clip(normal=open_side(normal), origin=mesh.center, invert=True)


def _outline(mesh: Mesh, normal: int):
    """The bodies' outline in the cut plane."""
    return mesh.surface.slice(normal=AXES[normal], origin=mesh.center)


# --------------------------------------------------------------------------------------------
# Magnitudes of vector fields, as drawn


MAGNITUDE_TOLERANCE = 2e-3  # of the largest magnitude: well under one step of a 256-colour map
MAGNITUDE_LEVELS = 12


def _edge_midpoints(vectors: np.ndarray, triangles: np.ndarray) -> list[np.ndarray]:
    """The vectors at the midpoints of each triangle's edges 01, 12, 20 (linear fields)."""
    return [0.5 * (vectors[triangles[:, k]] + vectors[triangles[:, (k + 1) % 3]]) for k in range(3)]


def magnitude_error(vectors: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Per triangle, how far the linear interpolation of the vertices' magnitudes (what a
    renderer draws) is from the magnitude of the interpolated vector, at the edge midpoints and
    the centroid. Zero for a field of fixed direction; at most the vertices' largest magnitude
    (the interpolated vector passes through zero: the cone of an interpolated |v|)."""
    norms = np.linalg.norm(vectors, axis=1)
    error = np.abs(
        norms[triangles].mean(axis=1) - np.linalg.norm(vectors[triangles].mean(axis=1), axis=1)
    )
    for k, middle in enumerate(_edge_midpoints(vectors, triangles)):
        drawn = 0.5 * (norms[triangles[:, k]] + norms[triangles[:, (k + 1) % 3]])
        error = np.maximum(error, np.abs(drawn - np.linalg.norm(middle, axis=1)))
    return error


def with_magnitude(
    surface, vector: str, tolerance: float = MAGNITUDE_TOLERANCE, scale: float | None = None
):
    """``surface`` (polygons, or any dataset's outer surface) as triangles carrying
    ``_magnitude``, the magnitude of ``vector`` computed from its components at every point.

    A renderer interpolates the magnitude linearly across each triangle, which overshoots
    where the vector turns or passes through zero (the centre of a sphere, the axis of a
    current loop). The triangles where that differs from the magnitude of the interpolated
    vector by more than ``tolerance`` of ``scale`` (default: the largest magnitude on the
    surface; the top of the colour scale) are split in four (their
    neighbours in two, or in four, so that no point hangs on an edge), the point fields
    interpolated linearly, until none does: what is drawn is the magnitude of the vector's
    components to ``tolerance`` everywhere, not an interpolated nodal magnitude."""
    import pyvista

    if not isinstance(surface, pyvista.PolyData):
        surface = surface.extract_surface(algorithm="dataset_surface")
    surface = surface.triangulate()
    points = np.asarray(surface.points, dtype=float)
    triangles = np.asarray(surface.regular_faces, dtype=np.int64).reshape(-1, 3)
    data = {
        name: np.asarray(surface.point_data[name], dtype=float)
        for name in surface.point_data.keys()
        if np.issubdtype(np.asarray(surface.point_data[name]).dtype, np.floating)
    }
    largest = float(np.linalg.norm(data[vector], axis=1).max(initial=0.0))
    largest = largest if scale is None else scale
    for _ in range(MAGNITUDE_LEVELS):
        if not len(triangles) or largest == 0.0:
            break
        red = magnitude_error(data[vector], triangles) > tolerance * largest
        if not red.any():
            break
        n = len(points)
        ends = np.stack([triangles, np.roll(triangles, -1, axis=1)], axis=2)  # edges 01 12 20
        keys = ends.min(axis=2) * n + ends.max(axis=2)
        while True:  # a triangle with two or three split edges is split in four
            split = np.unique(keys[red])
            hanging = np.isin(keys, split) & ~red[:, None]
            promote = hanging.sum(axis=1) >= 2
            if not promote.any():
                break
            red |= promote
        green = hanging.any(axis=1)  # one split edge: halved through the opposite vertex
        middle = n + np.searchsorted(split, keys)  # the new point on each split edge
        lo, hi = split // n, split % n
        points = np.vstack([points, 0.5 * (points[lo] + points[hi])])
        data = {k: np.concatenate([v, 0.5 * (v[lo] + v[hi])]) for k, v in data.items()}
        a, b, c = triangles[red].T
        m01, m12, m20 = middle[red].T
        children = [
            triangles[~red & ~green],
            np.stack([a, m01, m20], axis=1),
            np.stack([m01, b, m12], axis=1),
            np.stack([m20, m12, c], axis=1),
            np.stack([m01, m12, m20], axis=1),
        ]
        k = np.argmax(hanging[green], axis=1)  # the split edge k runs from vertex k to k + 1
        t, m = triangles[green], middle[green]
        rows = np.arange(len(t))
        first, second, third = t[rows, k], t[rows, (k + 1) % 3], t[rows, (k + 2) % 3]
        middle_k = m[rows, k]
        children += [
            np.stack([first, middle_k, third], axis=1),
            np.stack([middle_k, second, third], axis=1),
        ]
        triangles = np.concatenate(children)
    cells = np.hstack([np.full((len(triangles), 1), 3), triangles]).ravel()
    out = pyvista.PolyData(points, faces=cells)
    for name, values in data.items():
        out.point_data[name] = values
    out.point_data["_magnitude"] = np.linalg.norm(data[vector], axis=1)
    return out


def figure_charge(results: Results, out: Path, size, clip: str | None) -> Path:
    mesh = results.mesh
    n = mesh.normal(clip)
    half = _cut_open(mesh, n)
    rho = np.asarray(mesh.body.point_data["rho"])
    vmin, vmax = float(rho.min()), float(rho.max())
    pic = _Picture(size)
    pic.add(
        half,
        scalars="rho",
        cmap=centred_cmap(vmin, vmax),
        clim=(vmin, vmax),
        smooth_shading=True,
        split_sharp_edges=True,
        scalar_bar_args=pic.bar("rho (C/m^3)"),
    )
    pic.add(_outline(mesh, n), color="black", line_width=2)
    c = results.summary.get("charge", {})
    rho0 = np.ravel(c.get("rho0_C_m3", [np.nan]))[0]
    pic.title(
        results.title("charge density rho (C/m^3)"),
        f"cut open across {AXES[n]}; rho0 = {rho0:.4g}, surface mean "
        f"{c.get('surface_rho_mean_C_m3', np.nan):.4g}, rho_- = "
        f"{results.summary['material'].get('rho_minus_C_m3', np.nan):.4g} C/m^3",
    )
    pic.view(mesh, n, tilt=True, zoom=1.0)
    return pic.save(out)


def _plane_points(mesh: Mesh, normal: int, count: int = 23) -> np.ndarray:
    """A square lattice of points in the cut plane, over the bodies and a margin."""
    a, b = [i for i in range(3) if i != normal]
    half = 0.5 * mesh.extent.max() * 1.15
    t = np.linspace(-half, half, count)
    u, v = np.meshgrid(t, t, indexing="ij")
    points = np.tile(mesh.center, (u.size, 1))
    points[:, a] += u.ravel()
    points[:, b] += v.ravel()
    return points


def _arrows(mesh: Mesh, vector: str, normal: int, count: int = 23):
    """Glyphs of the in-plane part of ``vector`` on a lattice in the cut plane, the longest
    one lattice spacing long; None if the field vanishes there."""
    import pyvista

    points = pyvista.PolyData(_plane_points(mesh, normal, count))
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


def magnitude_plane(mesh: Mesh, normal: int, vector: str):
    """The cut plane over the bodies and a margin of vacuum, with ``vector`` sliced (its
    components interpolated) and ``_magnitude`` computed from them (``with_magnitude``)."""
    import pyvista

    # The box clip merges coincident points, which would smear a field that jumps at the surface
    # (J is zero in vacuum) onto the neighbouring cells: cut the bodies and the vacuum apart.
    grid = mesh.grid
    pieces = [
        grid.extract_cells(np.flatnonzero(inside))
        .slice(normal=AXES[normal], origin=mesh.center)
        .clip_box(mesh.box(), invert=False)
        for inside in (mesh.cell_region > 0, mesh.cell_region == 0)
    ]
    pieces = [p for p in pieces if p.n_points]
    scale = max(float(np.linalg.norm(p.point_data[vector], axis=1).max()) for p in pieces)
    pieces = [with_magnitude(p, vector, scale=scale) for p in pieces]
    return pyvista.merge(pieces, merge_points=False)


def _planar(
    results: Results,
    out: Path,
    size,
    normal: int,
    vector: str,
    quantity: str,
    unit: str,
    cmap: str,
    outline: str,
) -> Path:
    mesh = results.mesh
    plane = magnitude_plane(mesh, normal, vector)
    pic = _Picture(size)
    pic.add(
        plane,
        flat=True,
        scalars="_magnitude",
        cmap=cmap,
        clim=(0.0, float(np.nanmax(plane.point_data["_magnitude"])) or 1.0),
        scalar_bar_args=pic.bar(f"{vector} magnitude ({unit})"),
    )
    arrows = _arrows(mesh, vector, normal)
    if arrows is not None:
        pic.add(arrows, color="black")
    pic.add(plane.outline(), color="grey")
    pic.add(_outline(mesh, normal), color=outline, line_width=3)
    pic.title(results.title(quantity), f"plane through the body centre across {AXES[normal]}")
    pic.view(mesh, normal, tilt=False, zoom=1.0)
    return pic.save(out)


def figure_field(results: Results, out: Path, size, clip: str | None) -> Path:
    mesh = results.mesh
    return _planar(
        results,
        out,
        size,
        mesh.normal(clip),
        "E",
        "electric field: magnitude (V/m), arrows: E",
        "V/m",
        "YlOrRd",
        "royalblue",
    )


def _applied_direction(mesh: Mesh) -> np.ndarray | None:
    """Direction of B far from the bodies (the applied field), or None where B vanishes."""
    B = np.asarray(mesh.grid.point_data["B"])
    far = np.linalg.norm(np.asarray(mesh.grid.points) - mesh.center, axis=1) > 1.5 * mesh.size
    mean = B[far].mean(axis=0) if far.any() else B.mean(axis=0)
    norm = np.linalg.norm(mean)
    return mean / norm if norm > 0 else None


def figure_current(results: Results, out: Path, size, clip: str | None) -> Path:
    mesh = results.mesh
    if clip is None:
        direction = _applied_direction(mesh)
        normal = int(np.argmax(np.abs(direction))) if direction is not None else mesh.normal(None)
    else:
        normal = AXES.index(clip)
    return _planar(
        results,
        out,
        size,
        normal,
        "J",
        "current density: magnitude (A/m^2), arrows: J",
        "A/m^2",
        "YlGnBu",
        "crimson",
    )


def figure_magnetic(results: Results, out: Path, size, clip: str | None) -> Path:
    import pyvista

    mesh = results.mesh
    direction = _applied_direction(mesh)
    if clip is not None:
        normal = AXES.index(clip)
    elif direction is not None:  # the cut contains the applied field: lines bend in its plane
        normal = int(np.argmin(np.abs(direction) + 1e-9 * np.arange(3)))
    else:
        normal = mesh.normal(None)
    pic = _Picture(size)
    if "J" in mesh.body.point_data:
        shown = with_magnitude(_cut_open(mesh, normal), "J")
        label, what = "J magnitude (A/m^2)", "J magnitude (A/m^2) on the cut"
    else:  # thin-layer: the current is a sheet K in the layer, drawn on the opened surface
        surface = results.surface_with("K")
        shown = with_magnitude(
            surface.clip(normal=open_side(normal), origin=mesh.center, invert=True), "K"
        )
        label, what = "K magnitude (A/m)", "surface current K (A/m), the layer's J integrated"
    pic.add(
        shown,
        scalars="_magnitude",
        cmap="viridis",
        clim=(0.0, float(shown.point_data["_magnitude"].max(initial=0.0)) or 1.0),
        scalar_bar_args=pic.bar(label),
    )
    pic.add(_outline(mesh, normal), color="black", line_width=2)
    if direction is not None:
        # Seeds on the line across the field through the centre, in the cut plane; each line
        # is followed both ways, so the lines that pass closest to the bodies show the bend.
        across = np.cross(direction, np.eye(3)[normal])
        across /= np.linalg.norm(across)
        reach = 0.5 * mesh.extent.max() * 1.6
        seeds = mesh.center + np.linspace(-reach, reach, 26)[:, None] * across
        grid = mesh.grid.clip_box(mesh.box(0.6), invert=False)
        lines = grid.streamlines_from_source(
            pyvista.PolyData(seeds),
            vectors="B",
            integration_direction="both",
            step_unit="l",
            initial_step_length=mesh.size / 200,
            min_step_length=mesh.size / 2000,
            max_step_length=mesh.size / 50,
            max_length=6.0 * mesh.size,
            max_steps=20000,
            terminal_speed=1e-12,
        )
        if lines.n_points:
            pic.add(lines, color="black", line_width=2)
    pic.title(
        results.title(f"field lines of B; {what}"),
        f"bodies cut open across {AXES[normal]}",
    )
    pic.view(mesh, normal, tilt=False, zoom=1.0)
    return pic.save(out)


def _spread_points(points: np.ndarray, spacing: float) -> np.ndarray:
    """Indices of a subset of ``points`` about ``spacing`` apart (one per grid cell)."""
    keys = np.floor(points / spacing).astype(np.int64)
    _, first = np.unique(keys, axis=0, return_index=True)
    return np.sort(first)


def figure_spin(results: Results, out: Path, size, clip: str | None) -> Path:
    """The two spin currents side by side (up left, red arrows; down right, blue), one scale."""
    import pyvista

    mesh = results.mesh
    names = set(mesh.body.point_data.keys()) | set(results.layer_names)
    up, down, unit, symbol = next(p for p in SPIN_PAIRS if {p[0], p[1]} <= names)
    normal = mesh.normal(clip)
    surface = results.surface_with(up, down)
    shown = {s: with_magnitude(surface, s) for s in (up, down)}
    vmax = float(max(v.point_data["_magnitude"].max() for v in shown.values())) or 1.0
    spacing = mesh.size / 11
    pick = _spread_points(np.asarray(surface.points), spacing)
    shift = camera_axes(normal, tilt=True)[2] * 1.25 * mesh.size  # side by side on screen
    pic = _Picture(size)
    for k, (name, colour) in enumerate(((up, "red"), (down, "blue"))):
        offset = (k - 0.5) * shift
        pic.add(
            shown[name].translate(offset, inplace=False),
            scalars="_magnitude",
            cmap="viridis",
            clim=(0.0, vmax),
            smooth_shading=True,
            split_sharp_edges=True,
            scalar_bar_args=pic.bar(f"speed ({unit})") if k == 0 else None,
            show_scalar_bar=k == 0,
        )
        arrows = pyvista.PolyData(np.asarray(surface.points)[pick] + offset)
        arrows.point_data["v"] = np.asarray(surface.point_data[name])[pick]
        pic.add(
            arrows.glyph(orient="v", scale="v", factor=0.9 * spacing / vmax),
            color=colour,
        )
    pic.title(
        results.title(f"spin currents {symbol} ({unit}) on the surface"),
        f"left: {up} (spin up, red arrows); right: {down} (spin down, blue arrows)",
    )
    pic.view(mesh, normal, tilt=True, zoom=1.0)
    pic.plotter.reset_camera()
    return pic.save(out)


def figure_surface(results: Results, out: Path, size, clip: str | None) -> Path:
    mesh = results.mesh
    surface = results.surface_with("rho", "surface_charge")  # thin-layer: rho of the layer
    rho = np.asarray(surface.point_data["rho"])
    lo, hi = _scalar_range(rho)
    if lo < 0 < hi:
        cmap = centred_cmap(lo, hi)
    else:
        cmap = "Blues_r" if hi <= 0 else "Reds"
    pic = _Picture(size)
    pic.add(
        surface,
        scalars="rho",
        cmap=cmap,
        clim=(lo, hi),
        smooth_shading=True,
        split_sharp_edges=True,
        scalar_bar_args=pic.bar("rho (C/m^3)"),
    )
    pic.title(
        results.title("charge density rho on the surface (C/m^3)"),
        f"min {rho.min():.4g}, max {rho.max():.4g}, rho_- = "
        f"{results.summary['material'].get('rho_minus_C_m3', np.nan):.4g} C/m^3",
    )
    # seen from above the cut plane, not from a side: mirror-image tips look alike
    pic.view(mesh, mesh.normal(clip), tilt=True, zoom=1.0, side=0.0)
    return pic.save(out)


# --------------------------------------------------------------------------------------------
# Probe lines (matplotlib)


def single_sphere(results: Results) -> tuple[np.ndarray, float] | None:
    """(centre, radius) in geometry units when the case is one neutral sphere, else None."""
    case = results.case
    if case is None or len(case.geometry.bodies) != 1:
        return None
    body = case.geometry.bodies[0]
    if body.shape.kind != "sphere" or body.subtract or body.net_charge != 0.0:
        return None
    return np.array(body.shape.center), body.shape.radius


def exact_sphere(r: np.ndarray, radius: float, lam: float, rho0: float):
    """rho (C/m^3) and radial E (V/m) of a neutral sphere (docs/formulation.md section 1.7, in
    SI: 4 pi rho0 -> rho0/eps0); r, radius, lam in metres. Written with exp(r/lam - x), so that
    large spheres do not overflow."""
    r = np.asarray(r, dtype=float)
    x = radius / lam
    s = r / lam
    damp = 1.0 + np.exp(-2.0 * x)
    sinh_c = (np.exp(s - x) - np.exp(-s - x)) / damp  # sinh(r/lam) / cosh(x)
    cosh_c = (np.exp(s - x) + np.exp(-s - x)) / damp  # cosh(r/lam) / cosh(x)
    d = radius - lam * math.tanh(x)  # (R cosh x - lam sinh x) / cosh x
    positive = r > 0
    s_safe = np.where(positive, s, 1.0)
    sinh_over_s = np.where(positive, sinh_c / s_safe, 1.0 / math.cosh(min(x, 700.0)))
    rho = rho0 * (1.0 - radius**3 * sinh_over_s / (3.0 * lam**2 * d))
    r_safe = np.where(positive, r, 1.0)
    e_r = (rho0 / (3.0 * EPS_0)) * (r - radius**3 * (r * cosh_c - lam * sinh_c) / (r_safe**2 * d))
    inside = r <= radius
    return np.where(inside, rho, 0.0), np.where(inside & positive, e_r, 0.0)


def _depth_at(results: Results, points: np.ndarray) -> np.ndarray | None:
    """Depth of points (geometry units) below the bodies' surface, in lambda, negative in
    vacuum: exact for a sphere, else the signed distance to the surface in fields.pvtu; None
    without either."""
    sphere = single_sphere(results)
    if sphere is not None:
        centre, radius = sphere
        return (radius - np.linalg.norm(points - centre, axis=1)) / results.lam
    if not results.fields_file.is_file():
        return None
    import pyvista

    probed = pyvista.PolyData(points).compute_implicit_distance(results.mesh.surface)
    return -np.asarray(probed.point_data["implicit_distance"]) / results.lam


def _largest(difference: np.ndarray, where: np.ndarray) -> tuple[int, float]:
    """Index and size of the largest |difference| among the points ``where``."""
    masked = np.where(where & np.isfinite(difference), np.abs(difference), -1.0)
    k = int(np.argmax(masked))
    return k, float(masked[k])


def figure_profile(results: Results, out: Path, size, clip: str | None, probe: str) -> Path:
    """rho and |E| along the probe line named ``probe``.

    Against the depth below the surface in lambda when the line crosses the surface at most
    once (centre to outside); else against the position along the line, surfaces marked."""
    from matplotlib.figure import Figure

    line = next((p for p in results.probes if p.name == probe), None)
    if line is None:
        raise FigureError(f"figure 'profile': no probe {probe!r} in this run")
    cols = line.columns
    points = np.column_stack([cols[k] for k in ("x", "y", "z")])
    rho = cols.get("rho_C_m3")
    # |E| from the components at each point (older runs wrote an interpolated nodal |E| as
    # E_V_m, which overshoots where E passes through zero)
    if all(f"E{c}_V_m" in cols for c in AXES):
        E = np.linalg.norm(np.column_stack([cols[f"E{c}_V_m"] for c in AXES]), axis=1)
    else:
        E = cols.get("E_V_m")
    material = results.summary["material"]
    rho0 = float(np.ravel(results.summary.get("charge", {}).get("rho0_C_m3", [np.nan]))[0])

    # the line, finely, for the exact curve and the surface crossings
    t = np.linspace(0.0, 1.0, 2001)[:, None]
    fine = (1.0 - t) * points[0] + t * points[-1]
    along = np.linalg.norm(points - points[0], axis=1) / results.lam
    along_fine = np.linalg.norm(fine - points[0], axis=1) / results.lam
    depth, depth_fine = _depth_at(results, points), _depth_at(results, fine)
    inside = depth > 0 if depth is not None else np.zeros(len(points), dtype=bool)
    crossings = np.flatnonzero(np.diff(depth_fine > 0)) if depth_fine is not None else []
    lam = f"lambda = {results.lambda_text}"
    if depth is not None and len(crossings) <= 1:
        x, x_fine, surfaces = depth, depth_fine, [0.0]
        xlabel = f"depth below the surface ({lam}): body > 0 > vacuum"
    else:
        x, x_fine, surfaces = along, along_fine, [along_fine[k] for k in crossings]
        start = ", ".join(f"{v:g}" for v in points[0])
        xlabel = f"position along the probe from ({start}) {results.unit}, in lambda ({lam})"

    dpi = 100
    fig = Figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi, layout="constrained")
    ax_rho, ax_e = fig.subplots(2, 1, sharex=True)
    style = {"color": "tab:blue", "marker": ".", "markersize": 4, "linewidth": 1.2}
    if rho is not None:
        ax_rho.plot(x, rho, label="giantatom", **style)
    if E is not None:
        ax_e.plot(x, E, label="giantatom", **style)

    sphere = single_sphere(results)
    if sphere is not None and np.isfinite(rho0):
        centre, radius = sphere
        unit = LENGTH_UNITS[results.unit]

        def exact(p: np.ndarray):
            r = np.linalg.norm(p - centre, axis=1) * unit
            return exact_sphere(r, radius * unit, results.lambda_m, rho0)

        rho_x, e_x = exact(fine)
        rho_p, e_p = exact(points)
        rho_surface = abs(exact(centre[None, :] + [radius, 0.0, 0.0])[0][0])
        e_max = np.nanmax(
            np.abs(
                exact_sphere(
                    np.linspace(0, radius * unit, 2001), radius * unit, results.lambda_m, rho0
                )[1]
            )
        )
        label = "exact sphere (docs/formulation.md 1)"
        if rho is not None and inside.any():
            k, err = _largest(rho - rho_p, inside)
            ax_rho.plot(
                x_fine,
                rho_x,
                "k--",
                linewidth=1.5,
                label=f"{label}; largest deviation {100 * err / rho_surface:.2g}% of "
                f"|rho(R)|, at {x[k]:.2f}",
            )
            log.info(
                "figures: probe '%s', rho: largest deviation from the exact sphere %.2g%% "
                "of |rho(R)|",
                probe,
                100 * err / rho_surface,
            )
        if E is not None and inside.any():
            k, err = _largest(E - np.abs(e_p), inside)
            ax_e.plot(
                x_fine,
                np.abs(e_x),
                "k--",
                linewidth=1.5,
                label=f"{label}; largest deviation {100 * err / e_max:.2g}% of max|E|, "
                f"at {x[k]:.2f}",
            )
            log.info(
                "figures: probe '%s', |E|: largest deviation from the exact sphere %.2g%% "
                "of max|E|",
                probe,
                100 * err / e_max,
            )
    ax_rho.axhline(
        material["rho_minus_C_m3"], color="tab:red", linestyle=":", label="rho_- (Eq. 49)"
    )
    if np.isfinite(rho0):
        ax_rho.axhline(rho0, color="tab:green", linestyle=":", label="rho0")
    ax_e.axhline(material["E_m_V_m"], color="tab:red", linestyle=":", label="E_m (Eq. 30)")
    for ax in (ax_rho, ax_e):
        ax.axhline(0.0, color="grey", linewidth=0.6)
        if depth is not None:
            for position in surfaces:
                ax.axvline(position, color="grey", linewidth=0.8, linestyle="--")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small", loc="best")
    ax_rho.set_ylabel("rho (C/m^3)")
    ax_e.set_ylabel("|E| (V/m)")
    ax_e.set_xlabel(xlabel + ("; dashed: surface" if depth is not None else ""))
    fig.suptitle(results.title(f"rho (C/m^3) and |E| (V/m) along probe '{probe}'"))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    return out


# --------------------------------------------------------------------------------------------
# The interactive view: one HTML file, WebGL, no server


VIEW_TEMPLATE = "view.html"
VIEW_MAX_TETS = 800_000  # above this the view keeps one tetrahedron per quadratic cell


def _view_fields(results: Results, body) -> list[tuple[dict, np.ndarray]]:
    """The fields the view offers: (description, values at the body's points). Vectors go as
    their three components, and the browser takes the magnitude of the interpolated vector
    at every pixel (``components`` in the description: 1 or 3); their colour scale runs from
    0 to the largest magnitude at the points, which is the largest anywhere (the magnitude of
    a linear vector field peaks at a vertex)."""
    from matplotlib import colormaps

    data = body.point_data
    wanted = [
        ("rho", "rho", "C/m^3", None),
        ("|E|", "E", "V/m", "YlOrRd"),
        ("phi", "phi", "V", "viridis"),
        ("|J|", "J", "A/m^2", "YlGnBu"),
        ("|B|", "B", "T", "viridis"),
        ("|v_up|", "v_up", "m/s", "viridis"),
        ("|v_down|", "v_down", "m/s", "viridis"),
    ]
    out = []
    for label, name, unit, cmap_name in wanted:
        if name not in data.keys():
            continue
        values = np.asarray(data[name], dtype=float)
        if values.ndim == 2:
            lo, hi = 0.0, float(np.linalg.norm(values, axis=1).max())
        else:
            lo, hi = float(values.min()), float(values.max())
        if hi <= lo:
            hi = lo + max(abs(lo), 1e-30)
        cmap = centred_cmap(lo, hi) if cmap_name is None else colormaps[cmap_name]
        table = (np.asarray(cmap(np.linspace(0, 1, 256)))[:, :3] * 255).round().astype(np.uint8)
        info = {
            "name": name,
            "label": label,
            "unit": unit,
            "components": 1 if values.ndim == 1 else int(values.shape[1]),
            "min": lo,
            "max": hi,
            "cmap": base64.b64encode(table.tobytes()).decode(),
        }
        out.append((info, values.astype(np.float32)))
    return out


def write_view(results: Results, out: Path, size, clip: str | None) -> Path:
    """view.html: the bodies with their fields, to rotate, clip and colour by any field."""
    mesh = results.mesh
    body = mesh.body
    tets = np.asarray(body.cell_connectivity).reshape(-1, 4)
    if len(tets) > VIEW_MAX_TETS and len(tets) % 8 == 0:
        blocks = tets.reshape(-1, 8, 4)  # the 8 sub-tetrahedra of each quadratic cell
        tets = np.column_stack([blocks[:, 0, 0], blocks[:, 1, 1], blocks[:, 2, 2], blocks[:, 3, 3]])
    triangles = np.asarray(mesh.surface.faces).reshape(-1, 4)[:, 1:]
    triangles = np.asarray(mesh.surface.point_data["vtkOriginalPointIds"])[triangles]
    fields = _view_fields(results, body)
    payload = [
        np.asarray(body.points, dtype=np.float32),
        tets.astype(np.uint32),
        triangles.astype(np.uint32),
        *[values for _, values in fields],
    ]
    header = {
        "title": results.title("interactive view"),
        "case": results.name,
        "unit": results.unit,
        "lambda": results.lambda_text,
        "points": int(body.n_points),
        "tets": len(tets),
        "triangles": len(triangles),
        "center": mesh.center.tolist(),
        "size": mesh.size,
        "clip": mesh.normal(clip),
        "fields": [info for info, _ in fields],
    }
    blob = gzip.compress(b"".join(a.tobytes() for a in payload), compresslevel=6, mtime=0)
    template = resources.files("giantatom").joinpath(VIEW_TEMPLATE).read_text()
    html = template.replace("__HEADER__", json.dumps(header)).replace(
        "__PAYLOAD__", base64.b64encode(blob).decode()
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html)
    return out


# --------------------------------------------------------------------------------------------
# Drawing a list of figures


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


def outputs(results: Results, name: str, folder: Path) -> list[tuple[Path, str | None]]:
    """The files figure ``name`` writes into ``folder``, each with the probe it shows; for a
    figure this run has no data for (or no such figure), one placeholder: draw() says why."""
    if name not in RENDERERS or name not in results.available():
        return [(folder / name, None)]
    if name == "profile":
        return [(folder / f"profile_{p.name}.png", p.name) for p in results.probes]
    if name == "view":
        return [(folder / "view.html", None)]
    return [(folder / f"{name}.png", None)]


def _missing(results: Results, name: str) -> str:
    if name == "profile":
        return "the run has no [[probe]] lines"
    if not results.field_names:
        return f"{results.fields_file} is missing (run with [output] fields = true)"
    needs = NEEDS.get(name, ("rho", "E", "region"))
    return f"fields.pvtu has no {' / '.join(needs)} field (that sector did not run)"


def draw(
    results: Results,
    name: str,
    out: Path,
    size: tuple[int, int],
    clip: str | None,
    probe: str | None = None,
) -> Path:
    """Draw one file of figure ``name`` (``probe``: the line of a profile, default the first);
    raises FigureError with a one-line reason."""
    if name not in RENDERERS:
        raise FigureError(f"unknown figure {name!r} (known: {', '.join(FIGURES)})")
    if name not in results.available():
        raise FigureError(f"figure {name!r}: {_missing(results, name)}")
    start = time.perf_counter()
    try:
        if name == "profile":
            figure_profile(results, out, size, clip, probe or results.probes[0].name)
        else:
            RENDERERS[name](results, out, size, clip)
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
    path: str | Path,
    names: list[str] | None = None,
    folder: Path | None = None,
    size: tuple[int, int] | None = None,
    clip: str | None = None,
    strict: bool = True,
) -> list[Path]:
    """Draw figures of a results directory into ``folder`` (default RESULTS/figures).

    ``names`` None draws every figure the run has the data for. ``strict``: the first failure
    raises FigureError (``giantatom plot``); otherwise each failure is logged as a warning and
    the rest are drawn (``giantatom run``)."""
    results = load_results(path)
    folder = Path(folder) if folder is not None else results.path / "figures"
    size = size or figure_settings(results)[1]
    names = list(results.available() if names is None else names)
    written: list[Path] = []
    for name in names:
        try:
            for target, probe in outputs(results, name, folder):
                written.append(draw(results, name, target, size, clip, probe))
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
            path, None if names is None else list(names), size=size, strict=False
        )
    except Exception as err:
        log.warning("figures: not drawn: %s", err)
        return []
    log.info("figures: %d file(s) in %.1f s", len(written), time.perf_counter() - start)
    return written
