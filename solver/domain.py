"""Stage 2: the gmsh model, built and meshed on rank 0, distributed as a DOLFINx mesh.

Mesh coordinates are in units of lambda, so every screened equation has the coefficient 1.
``Domain`` carries the tags and integration measures the solves need, and the conversions
back to SI (``lambda_m``) and to the case's geometry unit (``lambda_in_units``).

A distributed mesh can be saved (``save_mesh``: mesh.xdmf + mesh.h5 with the cell and facet
tags, written in parallel, and mesh.json with the mesh report and what the mesh was made from)
and read back on any number of ranks (``[mesh] file``): large meshes are made once.
"""

import contextlib
import json
import time
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import gmsh
import numpy as np

from giantatom import meshes
from giantatom.backend import MPI, dolfinx, fem, geometry, ufl
from giantatom.case import Case, vacuum_eps
from giantatom.errors import CaseError
from giantatom.log import log
from giantatom.meshes.estimate import MeshEstimate, estimate_model
from giantatom.meshes.model import body_dimensions, model_kind
from giantatom.meshes.sizes import CellSizes
from giantatom.parallel import available_memory, on_root


@dataclass
class Domain:
    mesh: dolfinx.mesh.Mesh
    cell_tags: dolfinx.mesh.MeshTags
    facet_tags: dolfinx.mesh.MeshTags
    body_names: tuple[str, ...]
    report: meshes.MeshReport
    lambda_m: float  # metres per mesh length unit
    lambda_in_units: float  # geometry units per mesh length unit
    unit: str
    electrode_names: tuple[str, ...] = ()

    @property
    def comm(self) -> MPI.Comm:
        return self.mesh.comm

    @property
    def body_tags(self) -> tuple[int, ...]:
        return tuple(meshes.body_tag(k) for k in range(len(self.body_names)))

    @property
    def electrode_tags(self) -> tuple[int, ...]:
        """Facet tags of the electrodes' surfaces (exterior facets: ds(tag))."""
        return tuple(meshes.electrode_tag(k) for k in range(len(self.electrode_names)))

    @property
    def outer_radius(self) -> float:
        return self.report.outer_radius

    @cached_property
    def dx(self) -> ufl.Measure:
        return ufl.Measure("dx", self.mesh, subdomain_data=self.cell_tags)

    @cached_property
    def dS(self) -> ufl.Measure:
        """Interior facets: dS(k) is the surface of body k."""
        return ufl.Measure("dS", self.mesh, subdomain_data=self.facet_tags)

    @cached_property
    def ds(self) -> ufl.Measure:
        """Exterior facets: ds(meshes.OUTER) is the outer sphere."""
        return ufl.Measure("ds", self.mesh, subdomain_data=self.facet_tags)

    def constant(self, value: float) -> fem.Constant:
        """A number entering a form as data, so compiled kernels are reused across values."""
        return fem.Constant(self.mesh, float(value))

    @cached_property
    def robin(self) -> fem.Constant:
        """1/R_out: the Robin coefficient that carries the 1/r decay on Gamma_inf."""
        return self.constant(1.0 / self.outer_radius)

    @property
    def dx_bodies(self) -> ufl.Measure:
        return self.dx(self.body_tags)

    def body_cells(self, tag: int) -> np.ndarray:
        return self.cell_tags.find(tag)

    def cell_dofs(self, space: fem.FunctionSpace, tag: int) -> np.ndarray:
        """Blocked dof indices of ``space`` in the cells of body ``tag`` owned by this rank
        (a DG space: every dof belongs to one cell, so owned cells give owned dofs)."""
        owned = self.mesh.topology.index_map(3).size_local
        cells = self.cell_tags.find(tag)
        return np.unique(space.dofmap.list[cells[cells < owned]].ravel())

    def surface_dofs(self, space: fem.FunctionSpace, tag: int) -> np.ndarray:
        """Dofs of ``space`` on the surface of body ``tag`` (local, ghosts included)."""
        return fem.locate_dofs_topological(space, 2, self.facet_tags.find(tag))

    def surface_facets(self, tag: int) -> np.ndarray:
        return self.facet_tags.find(tag)

    @cached_property
    def tree(self):
        """Bounding-box tree of the local cells, for point location."""
        return geometry.bb_tree(self.mesh, 3)

    @cached_property
    def cell_region(self) -> np.ndarray:
        """Physical tag of every local cell (ghosts included)."""
        region = np.zeros(
            self.mesh.topology.index_map(3).size_local + self.mesh.topology.index_map(3).num_ghosts,
            dtype=np.int32,
        )
        region[self.cell_tags.indices] = self.cell_tags.values
        return region

    @cached_property
    def body_indicator(self) -> fem.Function:
        """1 in the bodies, 0 in the vacuum (DG0): picks the body side of a surface facet."""
        indicator = fem.Function(fem.functionspace(self.mesh, ("DG", 0)))
        indicator.x.array[:] = (self.cell_region != meshes.VACUUM).astype(float)
        return indicator

    @cached_property
    def body_indicators(self) -> tuple[fem.Function, ...]:
        """Per body: 1 in its cells, 0 elsewhere (DG0), for fields defined body by body."""
        space = fem.functionspace(self.mesh, ("DG", 0))
        indicators = []
        for tag in self.body_tags:
            f = fem.Function(space)
            f.x.array[:] = (self.cell_region == tag).astype(float)
            indicators.append(f)
        return tuple(indicators)

    def integrate(self, integrand: ufl.Form) -> float:
        """Global value of a scalar integral."""
        local = fem.assemble_scalar(fem.form(integrand))
        return self.comm.allreduce(local, op=MPI.SUM)

    def volumes(self) -> np.ndarray:
        """Volume of each body, lambda^3."""
        return np.array([self.integrate(self.constant(1.0) * self.dx(t)) for t in self.body_tags])

    def areas(self) -> np.ndarray:
        """Surface area of each body, lambda^2."""
        one = self.constant(1.0)
        return np.array([self.integrate(one("+") * self.dS(t)) for t in self.body_tags])


def magnetic_eps(case: Case, model: meshes.GeometryModel) -> float | None:
    """The vacuum regularisation the full model's magnetic solve will use on this geometry
    (None without a field or in the thin-layer model); a case-file eps too large for the outer
    sphere is an error naming magnetic.eps, raised here before anything is meshed."""
    if not case.magnetic.active or case.model.kind == "thin-layer":
        return None
    if case.model.kind == "auto":
        if model_kind(case, body_dimensions(model)[0]) == "thin-layer":
            return None
    return vacuum_eps(case.magnetic, model.outer_radius)


def log_estimate(estimate: MeshEstimate, available: float | None) -> None:
    """The mesh estimate in the log (before meshing), and a warning when its memory exceeds
    ``available`` (bytes; None: unknown)."""
    log.info(
        "mesh estimate: about %d tetrahedra, %d dofs, %.2g GB of memory, %.2g GB of fields on disk",
        estimate.cells,
        estimate.dofs,
        estimate.memory_bytes / 1e9,
        estimate.disk_bytes / 1e9,
    )
    if available is not None and estimate.memory_bytes > available:
        log.warning(
            "the mesh is estimated to need %.2g GB of memory, more than the %.2g GB available: "
            "coarsen [mesh] (surface_size, layer, far_field), use order = 3 with a larger "
            "surface_size, or run on more nodes",
            estimate.memory_bytes / 1e9,
            available / 1e9,
        )


def _mesh_on_root(
    case: Case,
    msh_file: Path | None,
    ranks: int = 1,
    available: float | None = None,
    wanted: list[CellSizes] | None = None,
) -> meshes.MeshReport:
    model = meshes.build_geometry(case)
    magnetic_eps(case, model)
    log_estimate(estimate_model(model, case, ranks), available)
    report = meshes.generate_mesh(model, case, wanted)
    if msh_file is not None:
        gmsh.option.setNumber("Mesh.Binary", 1)
        gmsh.write(str(msh_file))
    return report


def build_domain(
    case: Case, comm: MPI.Comm, msh_file: Path | None = None, wanted: list[CellSizes] | None = None
) -> Domain:
    """Mesh on rank 0 (optionally saving the .msh) and distribute to every rank of ``comm``;
    or read the saved mesh of ``[mesh] file``. ``wanted``: sizes on previous meshes (rank 0;
    the adaptive loop, giantatom.adapt)."""
    if case.mesh.file is not None:
        return read_domain(case, comm)
    available = available_memory(comm)
    with meshes.gmsh_session() if comm.rank == 0 else contextlib.nullcontext():
        report = on_root(comm, lambda: _mesh_on_root(case, msh_file, comm.size, available, wanted))
        # Body surfaces are interior facets: integrals over them need both cells of every
        # facet on the rank that owns it, hence ghosted cells across shared facets.
        partitioner = dolfinx.mesh.create_cell_partitioner(dolfinx.mesh.GhostMode.shared_facet, 2)
        data = dolfinx.io.gmsh.model_to_mesh(
            gmsh.model if comm.rank == 0 else None, comm, 0, gdim=3, partitioner=partitioner
        )
        data.cell_tags.name, data.facet_tags.name = "cell_tags", "facet_tags"  # save_mesh
    return Domain(
        mesh=data.mesh,
        cell_tags=data.cell_tags,
        facet_tags=data.facet_tags,
        body_names=tuple(b.name for b in case.geometry.bodies),
        report=report,
        lambda_m=case.material.lambda_m,
        lambda_in_units=case.lambda_in_units,
        unit=case.geometry.unit,
        electrode_names=tuple(e.name for e in case.geometry.electrodes),
    )


def mesh_inputs(case: Case) -> dict:
    """What a mesh depends on: lambda (its length unit), the geometry and the [mesh] settings
    (not where it is read from, nor gmsh's thread count). JSON-ready."""
    spec = {k: v for k, v in asdict(case.mesh).items() if k not in ("file", "threads")}
    data = {"material.lambda_m": case.material.lambda_m, "geometry": asdict(case.geometry)}
    data |= {f"mesh.{k}": v for k, v in spec.items()}
    return json.loads(json.dumps(data, default=str))


def save_mesh(domain: Domain, case: Case, folder: Path) -> Path:
    """Write the distributed mesh and its tags (collective) and mesh.json (rank 0) into
    ``folder``; ``[mesh] file = "<folder>/mesh.xdmf"`` reads them back on any number of ranks."""
    path = Path(folder) / "mesh.xdmf"
    if case.mesh.order > 2:
        raise CaseError(
            "mesh.xdmf is written for order 1 and 2 only: DOLFINx 0.11 reads no cubic "
            "tetrahedra back (mesh.msh was written)",
            "mesh.order",
        )
    domain.mesh.topology.create_connectivity(2, 3)
    with dolfinx.io.XDMFFile(domain.comm, path, "w") as xdmf:
        xdmf.write_mesh(domain.mesh)
        xdmf.write_meshtags(domain.cell_tags, domain.mesh.geometry)
        xdmf.write_meshtags(domain.facet_tags, domain.mesh.geometry)

    def describe() -> None:
        meta = {
            "format": "giantatom mesh 1",
            "length_unit": "lambda",
            "body_names": list(domain.body_names),
            "electrode_names": list(domain.electrode_names),
            "report": domain.report.as_dict(),
            "made_from": mesh_inputs(case),
        }
        path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")

    on_root(domain.comm, describe)
    return path


def _differences(saved: dict, wanted: dict) -> list[str]:
    return [
        f"{key} = {saved.get(key)!r} (the case: {value!r})"
        for key, value in wanted.items()
        if saved.get(key) != value
    ]


def read_domain(case: Case, comm: MPI.Comm) -> Domain:
    """The mesh saved by ``save_mesh`` at ``case.mesh.file``, distributed over ``comm``; it must
    have been made from this case's lambda, geometry and [mesh] settings."""
    start = time.perf_counter()
    path = case.mesh.file

    def check() -> dict:
        meta = json.loads(path.with_suffix(".json").read_text())
        made_from, wanted = meta.get("made_from", {}), mesh_inputs(case)
        if made_from.get("geometry") != wanted["geometry"]:
            raise CaseError(f"{path} was made for another geometry", "mesh.file")
        differences = _differences(made_from, {k: v for k, v in wanted.items() if k != "geometry"})
        if differences:
            raise CaseError(
                f"{path} was made with {'; '.join(differences)}: mesh it again "
                "(giantatom mesh) or use the settings it was made with",
                "mesh.file",
            )
        return meta

    meta = on_root(comm, check)
    with dolfinx.io.XDMFFile(comm, path, "r") as xdmf:
        mesh = xdmf.read_mesh(ghost_mode=dolfinx.mesh.GhostMode.shared_facet, name="mesh")
        mesh.topology.create_connectivity(2, 3)
        cell_tags = xdmf.read_meshtags(mesh, name="cell_tags")
        facet_tags = xdmf.read_meshtags(mesh, name="facet_tags")
    report = meshes.MeshReport(**meta["report"])
    report.seconds = time.perf_counter() - start
    return Domain(
        mesh=mesh,
        cell_tags=cell_tags,
        facet_tags=facet_tags,
        body_names=tuple(meta["body_names"]),
        report=report,
        lambda_m=case.material.lambda_m,
        lambda_in_units=case.lambda_in_units,
        unit=case.geometry.unit,
        electrode_names=tuple(meta.get("electrode_names", ())),
    )


def check_geometry(case: Case) -> dict:
    """Build the geometry without meshing it (``giantatom check``): catches overlaps, bodies
    outside the vacuum sphere and unreadable CAD files in seconds."""
    with meshes.gmsh_session():
        model = meshes.build_geometry(case)
        return {
            "bodies": len(model.body_volumes),
            "bounding_radius": model.bounding_radius,
            "outer_radius": model.outer_radius,
            "center": model.center,
            "magnetic_eps": magnetic_eps(case, model),
            "estimate": estimate_model(model, case),
        }
