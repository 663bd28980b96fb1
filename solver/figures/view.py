"""The interactive view: view.html, one self-contained file (WebGL 2, no server, no network)
with the bodies' tetrahedra and fields embedded (gzip, base64) in the template view.html."""

import base64
import gzip
import json
from importlib import resources
from pathlib import Path

import numpy as np

from giantatom.figures.results import Results
from giantatom.figures.style import centred_cmap

VIEW_TEMPLATE = "view.html"
VIEW_MAX_TETS = 800_000  # above this the view keeps one tetrahedron per quadratic cell


def view_fields(results: Results, body) -> list[tuple[dict, np.ndarray]]:
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
    fields = view_fields(results, body)
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
    template = resources.files("giantatom.figures").joinpath(VIEW_TEMPLATE).read_text()
    html = template.replace("__HEADER__", json.dumps(header)).replace(
        "__PAYLOAD__", base64.b64encode(blob).decode()
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html)
    return out
