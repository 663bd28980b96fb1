"""The computational domain as a gmsh model: bodies (Omega) inside an outer vacuum sphere.

Lengths are in units of lambda. Physical groups, which ``giantatom.domain`` reads back:
    volume  k+1 "body<k+1>"   the k-th body of the case (0-based k)
    volume  VACUUM "vacuum"
    surface k+1 "surface<k+1>" the boundary of the k-th body
    surface OUTER "outer"     the outer sphere Gamma_inf
    surface electrode_tag(k) "electrode<k+1>"  the surface of the k-th electrode (an ideal
                              conductor: its volume is cut out of the vacuum, phi = V on it)
The element size is ``surface_size`` at every body surface and within ``layer`` lambdas under it
(one lambda on the vacuum side), then grows linearly (slope ``growth``) to ``far_size`` towards
the outer sphere: the screened fields vary on the scale lambda only under the surface
(meshes/sizes.py).
"""

import time
from dataclasses import asdict, dataclass, field

import gmsh
import numpy as np

from giantatom.case import Case, check_lambda_resolution
from giantatom.errors import CaseError, MeshError
from giantatom.meshes.shapes import DimTags, build_shape
from giantatom.meshes.sizes import (
    CellSizes,
    extend_surface_sizes,
    geometric_size_field,
    lambda_size_field,
)

VACUUM = 1000
OUTER = 1000
ELECTRODE = 2000
occ = gmsh.model.occ


def body_tag(index: int) -> int:
    """Physical tag of the body with 0-based ``index`` (its volume and its surface)."""
    return index + 1


def electrode_tag(index: int) -> int:
    """Physical tag of the surface of the electrode with 0-based ``index``."""
    return ELECTRODE + index + 1


@dataclass
class GeometryModel:
    """What ``build_geometry`` put into the gmsh model, in lambda units."""

    body_volumes: list[list[int]]
    vacuum_volumes: list[int]
    body_surfaces: list[list[int]]
    outer_surfaces: list[int]
    center: np.ndarray
    bounding_radius: float
    outer_radius: float
    electrode_surfaces: list[list[int]] = field(default_factory=list)


@dataclass
class MeshReport:
    """Numbers a user wants about a mesh; lengths in lambda."""

    cells: int
    cells_by_region: dict[str, int]
    nodes: int
    order: int
    h_min: float
    h_max: float
    quality_min: float  # minimum signed inverse condition number (1 = regular tetrahedron)
    quality_mean: float
    center: list[float]
    bounding_radius: float
    outer_radius: float
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    model_kind: str = "full"  # the model the mesh was sized for: "full" or "thin-layer"
    smallest_dimensions: list[float] = field(default_factory=list)  # per body, lambda
    quality_p1: float | None = None  # 1st percentile of the min SICN (None: an older mesh.json)

    def as_dict(self) -> dict:
        return asdict(self)


# Mesh quality (min SICN of each cell, 1 = regular, <= 0 inverted) below which a run warns: the
# examples' HXT meshes have minima 0.12 to 0.34 and 1st percentiles 0.41 (README).
QUALITY_MIN = 0.05  # the worst cell: nearly flat, it spoils the conditioning and local accuracy
QUALITY_P1 = 0.25  # the worst 1 %: a poor mesh overall


def quality_warnings(report: MeshReport) -> list[str]:
    """The warnings the mesh quality of ``report`` calls for (QUALITY_MIN, QUALITY_P1)."""
    lines = []
    if report.quality_min < QUALITY_MIN:
        lines.append(
            f"worst element quality (min SICN) {report.quality_min:.3g} is below {QUALITY_MIN:g}: "
            "nearly flat elements; refine or smooth the geometry where they are (sharp edges, "
            "thin gaps), or lower mesh.growth"
        )
    if report.quality_p1 is not None and report.quality_p1 < QUALITY_P1:
        lines.append(
            f"1% of the elements have a quality (min SICN) below {report.quality_p1:.3g}, under "
            f"{QUALITY_P1:g}: a poor mesh overall"
        )
    return lines


def _enclosing_sphere(spheres: list[tuple[np.ndarray, float]]) -> tuple[np.ndarray, float]:
    lo = np.min([c - r for c, r in spheres], axis=0)
    hi = np.max([c + r for c, r in spheres], axis=0)
    center = 0.5 * (lo + hi)
    return center, max(float(np.linalg.norm(c - center)) + r for c, r in spheres)


def _volume(dimtags: DimTags) -> float:
    return sum(occ.getMass(d, t) for d, t in dimtags if d == 3)


def _build_body(case: Case, index: int) -> tuple[DimTags, np.ndarray, float]:
    body = case.geometry.bodies[index]
    key = f"geometry.body[{index + 1}]"
    unit_m, lambda_m = case.geometry.unit_m, case.material.lambda_m
    dimtags, center, radius = build_shape(body.shape, unit_m, lambda_m, key)
    if body.subtract:
        holes = []
        for j, hole in enumerate(body.subtract):
            holes += build_shape(hole, unit_m, lambda_m, f"{key}.subtract[{j + 1}]")[0]
        dimtags, _ = occ.cut(dimtags, holes)
        if not [dt for dt in dimtags if dt[0] == 3]:
            raise CaseError("removes the whole body", f"{key}.subtract")
    occ.synchronize()
    return dimtags, center, radius


def _check_overlaps(solids: list[DimTags], labels: list[str], keys: list[str]) -> None:
    """No two solids (bodies, electrodes) may share volume; the error names both."""
    volumes = [_volume(solid) for solid in solids]
    for i in range(len(solids)):
        for j in range(i + 1, len(solids)):
            common, _ = occ.intersect(solids[i], solids[j], removeObject=False, removeTool=False)
            occ.synchronize()
            overlap = _volume(common)
            if common:
                occ.remove(common, recursive=True)
                occ.synchronize()
            if overlap > 1e-9 * min(volumes[i], volumes[j]):
                raise CaseError(
                    f"{labels[i]} and {labels[j]} overlap (common volume {overlap:.3g} "
                    "lambda^3); superconductors and electrodes must be separated by vacuum",
                    keys[j],
                )


def physical_groups(model: GeometryModel) -> None:
    """Tag bodies, their surfaces, the vacuum and the outer sphere (see the module docstring)."""
    for k, (vols, surfs) in enumerate(zip(model.body_volumes, model.body_surfaces, strict=True)):
        gmsh.model.addPhysicalGroup(3, vols, body_tag(k), f"body{k + 1}")
        gmsh.model.addPhysicalGroup(2, surfs, body_tag(k), f"surface{k + 1}")
    gmsh.model.addPhysicalGroup(3, model.vacuum_volumes, VACUUM, "vacuum")
    gmsh.model.addPhysicalGroup(2, model.outer_surfaces, OUTER, "outer")
    for k, surfs in enumerate(model.electrode_surfaces):
        gmsh.model.addPhysicalGroup(2, surfs, electrode_tag(k), f"electrode{k + 1}")


def vacuum_radius(
    case: Case, center: np.ndarray, spheres: dict[str, tuple[np.ndarray, float]]
) -> float:
    """Radius of the outer vacuum sphere (lambda), from [mesh] outer_radius or far_field times
    the bounding radius; every body's bounding sphere must fit with a lambda to spare."""
    spec = case.mesh
    reaches = {n: float(np.linalg.norm(c - center)) + r for n, (c, r) in spheres.items()}
    kinds = {e.name: "electrode" for e in case.geometry.electrodes}
    if spec.outer_radius is not None:
        radius = spec.outer_radius * case.geometry.unit_m / case.material.lambda_m
        key = "mesh.outer_radius"
    else:
        radius = spec.far_field * max(reaches.values())
        key = "mesh.far_field"
    for name, reach in reaches.items():
        if reach + 1.0 > radius:
            lam, unit = case.lambda_in_units, case.geometry.unit
            raise CaseError(
                f"{kinds.get(name, 'body')} {name!r} reaches {reach * lam:.4g} {unit} from "
                "the centre, beyond the "
                f"outer vacuum sphere of radius {radius * lam:.4g} {unit} (it needs at least one "
                "lambda of vacuum around it)",
                key,
            )
    return radius


def _is_mesh_file(case: Case) -> bool:
    return any(
        b.shape.kind == "file" and b.shape.path.suffix.lower() == ".msh"
        for b in case.geometry.bodies
    )


def _build_electrode(case: Case, index: int) -> tuple[DimTags, np.ndarray, float]:
    shape = case.geometry.electrodes[index].shape
    key = f"geometry.electrode[{index + 1}]"
    dimtags, center, radius = build_shape(shape, case.geometry.unit_m, case.material.lambda_m, key)
    occ.synchronize()
    return dimtags, center, radius


def _check_touching(surfaces: list[list[int]], labels: list[str], keys: list[str]) -> None:
    for i in range(len(surfaces)):
        for j in range(i + 1, len(surfaces)):
            if set(surfaces[i]) & set(surfaces[j]):
                raise CaseError(
                    f"{labels[i]} and {labels[j]} touch; superconductors and electrodes need "
                    "vacuum between them",
                    keys[j],
                )


def _boundary(volumes: list[int]) -> list[int]:
    dimtags = gmsh.model.getBoundary([(3, v) for v in volumes], oriented=False)
    return sorted({abs(t) for _, t in dimtags})


def build_geometry(case: Case) -> GeometryModel:
    """Build the bodies, the electrodes (cut out of the vacuum) and the outer vacuum sphere in
    the current gmsh model."""
    if _is_mesh_file(case):
        if case.geometry.electrodes:
            raise CaseError(
                "electrodes need a CAD or primitive body geometry, not a body from a .msh file",
                "geometry.electrode[1]",
            )
        from giantatom.meshes.discrete import build_discrete_body

        return build_discrete_body(case)
    gmsh.model.add(case.name)
    geometry = case.geometry
    names = [b.name for b in geometry.bodies] + [e.name for e in geometry.electrodes]
    labels = [f"body {b.name!r}" for b in geometry.bodies]
    labels += [f"electrode {e.name!r}" for e in geometry.electrodes]
    keys = [f"geometry.body[{k + 1}]" for k in range(len(geometry.bodies))]
    keys += [f"geometry.electrode[{k + 1}]" for k in range(len(geometry.electrodes))]
    solids, spheres = [], []
    for k in range(len(geometry.bodies)):
        dimtags, center, radius = _build_body(case, k)
        solids.append(dimtags)
        spheres.append((center, radius))
    for k in range(len(geometry.electrodes)):
        dimtags, center, radius = _build_electrode(case, k)
        solids.append(dimtags)
        spheres.append((center, radius))
    _check_overlaps(solids, labels, keys)

    center, bounding_radius = _enclosing_sphere(spheres)
    outer_radius = vacuum_radius(case, center, dict(zip(names, spheres, strict=True)))

    outer = occ.addSphere(*center, outer_radius)
    flat = [dt for dimtags in solids for dt in dimtags]
    _, fragment_map = occ.fragment([(3, outer)], flat)
    occ.synchronize()

    # fragment_map[0] holds the pieces of the outer sphere, then one entry per solid entity.
    volumes: list[list[int]] = []
    position = 1
    for dimtags in solids:
        pieces = fragment_map[position : position + len(dimtags)]
        position += len(dimtags)
        volumes.append(sorted({t for piece in pieces for d, t in piece if d == 3}))
    surfaces = [_boundary(vols) for vols in volumes]
    _check_touching(surfaces, labels, keys)
    n = len(geometry.bodies)
    body_volumes, electrode_volumes = volumes[:n], volumes[n:]
    solid_volumes = {t for vols in volumes for t in vols}
    vacuum = sorted(t for d, t in gmsh.model.getEntities(3) if t not in solid_volumes)
    # An electrode is an ideal conductor: no field inside, so its volume is not meshed; its
    # surface stays, as a boundary of the vacuum where phi is the electrode's potential.
    if electrode_volumes:
        occ.remove([(3, t) for vols in electrode_volumes for t in vols])
        occ.synchronize()
    in_bodies = sorted({t for vols in body_volumes for t in vols})
    electrode_surfaces = surfaces[n:]
    on_electrodes = {s for surfs in electrode_surfaces for s in surfs}
    outer_surfaces = [s for s in _boundary(vacuum + in_bodies) if s not in on_electrodes]

    model = GeometryModel(
        body_volumes=body_volumes,
        vacuum_volumes=vacuum,
        body_surfaces=surfaces[:n],
        outer_surfaces=outer_surfaces,
        center=center,
        bounding_radius=bounding_radius,
        outer_radius=outer_radius,
        electrode_surfaces=electrode_surfaces,
    )
    physical_groups(model)
    return model


def body_dimensions(model: GeometryModel) -> tuple[list[float], list[float]]:
    """Per body, in lambda: (smallest dimension, bounding half-diagonal). The smallest dimension
    is the smaller of the bounding box's shortest side and 6 |volume| / area (the diameter of a
    sphere or a wire, three thicknesses of a plate however it is rotated)."""
    smallest, half_diagonals = [], []
    for vols in model.body_volumes:
        boxes = np.array([gmsh.model.getBoundingBox(3, v) for v in vols])
        extent = boxes[:, 3:].max(axis=0) - boxes[:, :3].min(axis=0)
        dimension = float(extent.min())
        try:  # OpenCASCADE bodies know their volume and area; a .msh body does not before meshing
            volume = _volume([(3, v) for v in vols])
            faces = gmsh.model.getBoundary([(3, v) for v in vols], oriented=False)
            area = sum(occ.getMass(2, abs(t)) for _, t in faces)
            dimension = min(dimension, 6.0 * volume / area)
        except Exception:  # the bounding box alone is the fallback
            pass
        smallest.append(dimension)
        half_diagonals.append(0.5 * float(np.linalg.norm(extent)))
    return smallest, half_diagonals


def model_kind(case: Case, smallest: list[float]) -> str:
    """The model a case runs: [model] kind, with "auto" resolved from the body dimensions."""
    kind = case.model.kind
    if kind == "auto":
        kind = "thin-layer" if min(smallest) > case.model.auto_threshold else "full"
    if kind == "full" and case.model.kind == "auto":
        check_lambda_resolution(case.mesh)  # the limits [mesh] was not checked against
    return kind


def _cells() -> list[np.ndarray]:
    """The tags of the tetrahedra, per element type (one query of the whole connectivity)."""
    return list(gmsh.model.mesh.getElements(3)[1])


def _qualities(cells: list[np.ndarray], name: str) -> np.ndarray:
    if not cells:
        return np.zeros(0)
    return np.concatenate([gmsh.model.mesh.getElementQualities(t, name) for t in cells])


def generate_mesh(
    model: GeometryModel, case: Case, wanted: list[CellSizes] | None = None
) -> MeshReport:
    """Mesh the model in place (3D, then raise to the case's order) and report on it; ``wanted``:
    sizes on previous meshes (the adaptive loop), combined with the full model's size field."""
    start = time.perf_counter()
    smallest, half_diagonals = body_dimensions(model)
    kind = model_kind(case, smallest)
    if kind == "thin-layer":
        geometric = geometric_size_field(model, case, smallest, half_diagonals)
    else:
        lambda_size_field(model, case, wanted)
    gmsh.option.setNumber("Mesh.Algorithm", 6)  # Frontal-Delaunay surfaces
    gmsh.option.setNumber("Mesh.Algorithm3D", 10)  # HXT: fast, and deterministic on one thread
    # Threaded HXT is faster but not reproducible (the mesh changes from run to run): opt-in.
    gmsh.option.setNumber("General.NumThreads", case.mesh.threads)
    try:
        if kind == "thin-layer":
            # Curvature sizing is cheap on surfaces but makes gmsh's 3D mesher crawl (20x on a
            # torus): mesh the surfaces with it, then the volume with the surface sizes extended
            # into it (gmsh's Extend field) and the distance field.
            gmsh.model.mesh.generate(2)
            extend_surface_sizes(model, case, geometric)
        gmsh.model.mesh.generate(3)
    except Exception as err:
        raise MeshError(f"gmsh could not mesh the geometry: {err}") from None
    warnings = []
    if case.mesh.threads > 1:
        warnings.append(
            f"meshed with {case.mesh.threads} threads: the mesh is not reproducible from run to "
            "run (mesh.threads = 1 is)"
        )
    order = case.model.order if kind == "thin-layer" else case.mesh.order
    if order > 1:
        gmsh.model.mesh.setOrder(order)
        if _qualities(_cells(), "minDetJac").min(initial=1.0) <= 0:
            gmsh.option.setNumber("Mesh.HighOrderOptimize", 2)
            gmsh.model.mesh.optimize("HighOrder")
            if _qualities(_cells(), "minDetJac").min(initial=1.0) <= 0:
                raise MeshError(
                    "the curved mesh has inverted elements; reduce mesh.surface_size or set "
                    "mesh.order = 1"
                )
            warnings.append("curved elements were untangled by gmsh's high-order optimiser")

    cells_by_region = {}
    for k, vols in enumerate(model.body_volumes):
        cells_by_region[case.geometry.bodies[k].name] = _count_cells(vols)
    cells_by_region["vacuum"] = _count_cells(model.vacuum_volumes)
    if min(cells_by_region.values()) == 0:
        empty = [name for name, n in cells_by_region.items() if n == 0]
        raise MeshError(f"gmsh produced no tetrahedra in {', '.join(empty)}")
    cells = _cells()
    sicn = _qualities(cells, "minSICN")
    node_tags, _, _ = gmsh.model.mesh.getNodes()
    return MeshReport(
        cells=int(sum(cells_by_region.values())),
        cells_by_region=cells_by_region,
        nodes=len(node_tags),
        order=order,
        h_min=float(_qualities(cells, "minEdge").min()),
        h_max=float(_qualities(cells, "maxEdge").max()),
        quality_min=float(sicn.min()),
        quality_mean=float(sicn.mean()),
        quality_p1=float(np.percentile(sicn, 1.0)),
        center=[float(c) for c in model.center],
        bounding_radius=model.bounding_radius,
        outer_radius=model.outer_radius,
        seconds=time.perf_counter() - start,
        warnings=warnings,
        model_kind=kind,
        smallest_dimensions=smallest,
    )


def _count_cells(volumes: list[int]) -> int:
    return sum(sum(len(t) for t in gmsh.model.mesh.getElements(3, v)[1]) for v in volumes)
