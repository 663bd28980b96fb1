"""The interactive view: view.html, one self-contained file (WebGL 2, no server, no network)
with the bodies' tetrahedra, the vacuum's around them and their fields embedded (gzip,
base64) in the template view.html.

Small enough to mail: coordinates and fields are quantized to 16 bits over their range (a
step of 1.5e-5 of it, far below one step of a 256-colour map), indices take 16 bits where they
fit, and a large mesh is sent with one linear tetrahedron per quadratic cell, on its vertices
only."""

import base64
import gzip
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from giantatom.figures.geometry import merge_points
from giantatom.figures.results import Results
from giantatom.figures.style import centred_cmap

VIEW_TEMPLATE = "view.html"
VIEW_MAX_TETS = 100_000  # above this a quadratic cell is sent as one tetrahedron, not 8
VACUUM_MARGIN = 0.3  # the vacuum sent: a box this much of the bodies' size around them
LEVELS = 65535  # 16-bit quantization
# The fields the view offers: (label, name, unit, colour map; None: diverging, centred), and
# which of them are drawn in the vacuum too (where they do not vanish).
VIEW_FIELDS = (
    ("rho", "rho", "C/m^3", None),
    ("|E|", "E", "V/m", "YlOrRd"),
    ("phi", "phi", "V", "viridis"),
    ("|J|", "J", "A/m^2", "YlGnBu"),
    ("|B|", "B", "T", "viridis"),
    ("|v_up|", "v_up", "m/s", "viridis"),
    ("|v_down|", "v_down", "m/s", "viridis"),
)
VACUUM_FIELDS = ("E", "phi", "B")


@dataclass
class Part:
    """Linear tetrahedra on their own points, with the fields at the points."""

    points: np.ndarray  # (n, 3)
    tets: np.ndarray  # (m, 4)
    surface: np.ndarray | None  # (k, 3): the boundary triangles, where drawn
    fields: dict[str, np.ndarray]


def part(grid, names: list[str], coarse: bool, surface: bool) -> Part:
    """A grid of linear tetrahedra (8 per quadratic cell, in order) as a Part on the points
    its tetrahedra use; ``coarse``: one tetrahedron per quadratic cell, on its vertices;
    ``surface``: with its boundary triangles (the vacuum is drawn on the cut alone)."""
    tets = np.asarray(grid.cell_connectivity).reshape(-1, 4)
    if coarse and len(tets) % 8 == 0:
        blocks = tets.reshape(-1, 8, 4)  # the corner sub-tetrahedra hold the cell's vertices
        tets = np.column_stack([blocks[:, 0, 0], blocks[:, 1, 1], blocks[:, 2, 2], blocks[:, 3, 3]])
    used, tets = np.unique(tets, return_inverse=True)
    tets = tets.reshape(-1, 4)
    fields = {n: np.asarray(grid.point_data[n], dtype=float)[used] for n in names}
    return Part(np.asarray(grid.points)[used], tets, boundary(tets) if surface else None, fields)


def boundary(tets: np.ndarray) -> np.ndarray:
    """The faces that belong to one tetrahedron only."""
    faces = np.concatenate(
        [tets[:, [1, 2, 3]], tets[:, [0, 2, 3]], tets[:, [0, 1, 3]], tets[:, [0, 1, 2]]]
    )
    n = np.int64(tets.max(initial=0)) + 1
    corners = np.sort(faces, axis=1).astype(np.int64)
    keys = (corners[:, 0] * n + corners[:, 1]) * n + corners[:, 2]  # one integer per face
    _, first, counts = np.unique(keys, return_index=True, return_counts=True)
    return faces[first[counts == 1]]


def vacuum_grid(results: Results):
    """The vacuum cells in a box around the bodies, points merged."""
    mesh = results.mesh
    centres = np.asarray(mesh.grid.cell_centers().points)
    box = np.array(mesh.box(VACUUM_MARGIN)).reshape(3, 2)
    inside = np.all((centres >= box[:, 0]) & (centres <= box[:, 1]), axis=1)
    # whole quadratic cells: the 8 sub-tetrahedra of a cell are kept or dropped together
    whole = np.repeat(inside.reshape(-1, 8).all(axis=1), 8) if len(inside) % 8 == 0 else inside
    cells = np.flatnonzero(whole & (mesh.cell_region == 0))
    if not len(cells):
        return None
    import pyvista

    return merge_points(pyvista.UnstructuredGrid(mesh.grid.extract_cells(cells)))


def view_fields(body: Part, vacuum: Part | None) -> list[dict]:
    """The fields the view offers, described for the page: a vector goes as its components
    (``components`` 3; the browser takes the magnitude of the interpolated vector at every
    pixel), its colour scale from 0 to the largest magnitude at the points (the largest
    anywhere: the magnitude of a linear vector field peaks at a vertex)."""
    from matplotlib import colormaps

    out = []
    for label, name, unit, cmap_name in VIEW_FIELDS:
        if name not in body.fields:
            continue
        parts = [body.fields[name]]
        if vacuum is not None and name in vacuum.fields:
            parts.append(vacuum.fields[name])
        values = np.concatenate(parts)
        if values.ndim == 2:
            lo, hi = 0.0, float(np.linalg.norm(values, axis=1).max())
        else:
            lo, hi = float(values.min()), float(values.max())
        if hi <= lo:
            hi = lo + max(abs(lo), 1e-30)
        cmap = centred_cmap(lo, hi) if cmap_name is None else colormaps[cmap_name]
        table = (np.asarray(cmap(np.linspace(0, 1, 256)))[:, :3] * 255).round().astype(np.uint8)
        out.append(
            {
                "name": name,
                "label": label,
                "unit": unit,
                "components": 1 if values.ndim == 1 else int(values.shape[1]),
                "min": lo,
                "max": hi,
                "vacuum": len(parts) > 1,
                "cmap": base64.b64encode(table.tobytes()).decode(),
            }
        )
    return out


class Blob:
    """Arrays packed one after another, each 4-byte aligned, described for the page."""

    def __init__(self):
        self.chunks: list[bytes] = []
        self.arrays: list[dict] = []
        self.size = 0

    def add(self, key: str, data: np.ndarray, **decode) -> None:
        raw = np.ascontiguousarray(data).tobytes()
        self.arrays.append(
            {
                "key": key,
                "type": data.dtype.name,
                "offset": self.size,
                "length": data.size,
                **decode,
            }
        )
        padded = raw + b"\0" * (-len(raw) % 4)
        self.chunks.append(padded)
        self.size += len(padded)

    def indices(self, key: str, values: np.ndarray, n_points: int) -> None:
        self.add(key, values.astype(np.uint16 if n_points <= 65536 else np.uint32))

    def quantized(self, key: str, values: np.ndarray) -> None:
        """Values, one row per point, as 16-bit steps over each column's range."""
        values = np.asarray(values, dtype=float).reshape(len(values), -1)
        lo, hi = values.min(axis=0), values.max(axis=0)
        span = np.where(hi > lo, hi - lo, 1.0)
        steps = np.rint((values - lo) / span * LEVELS).astype(np.uint16)
        self.add(key, steps, lo=lo.tolist(), step=(span / LEVELS).tolist())

    def encoded(self) -> str:
        return base64.b64encode(gzip.compress(b"".join(self.chunks), 9, mtime=0)).decode()


def write_view(results: Results, out: Path, size, clip: str | None) -> Path:
    """view.html: the bodies (and the vacuum around them) with their fields, to rotate, cut
    open and colour by any field."""
    mesh = results.mesh
    names = [name for _, name, *_ in VIEW_FIELDS if name in mesh.body.point_data.keys()]
    coarse = mesh.body.n_cells > VIEW_MAX_TETS
    body = part(mesh.body, names, coarse, surface=True)
    vacuum_cells = vacuum_grid(results)
    vacuum = None
    if vacuum_cells is not None:
        vacuum = part(vacuum_cells, [n for n in names if n in VACUUM_FIELDS], coarse, False)
    fields = view_fields(body, vacuum)
    blob = Blob()
    for key, piece in (("body", body), ("vacuum", vacuum)):
        if piece is None:
            continue
        n = len(piece.points)
        blob.quantized(f"{key}.points", piece.points)
        blob.indices(f"{key}.tets", piece.tets, n)
        if piece.surface is not None:
            blob.indices(f"{key}.surface", piece.surface, n)
        for name, values in piece.fields.items():
            blob.quantized(f"{key}.{name}", values)
    header = {
        "title": results.title("interactive view"),
        "case": results.name,
        "unit": results.unit,
        "lambda": results.lambda_text,
        "lam": results.lam,
        "center": mesh.center.tolist(),
        "size": mesh.size,
        "clip": mesh.normal(clip),
        "coarse": coarse,
        "fields": fields,
        "arrays": blob.arrays,
    }
    template = resources.files("giantatom.figures").joinpath(VIEW_TEMPLATE).read_text()
    html = template.replace("__HEADER__", json.dumps(header)).replace("__PAYLOAD__", blob.encoded())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html)
    return out
