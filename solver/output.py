"""Stage 5: the results directory.

Everything is written into a hidden sibling directory and moved into place only when the run
has finished, so a failed run leaves no half-written results, and a directory called
``results/x`` always holds a complete run. Rank 0 writes the small files; the ParaView files
are written collectively.

Files (documented in the README):
    summary.json        key numbers, SI units, and the versions that produced them
    fields.pvtu         ParaView/pyvista fields (binary pieces in fields/, one per rank),
                        coordinates in the case's geometry unit
    fields.bp           the same through ADIOS2 (VTX), with [output] formats = ["vtx"]
    probe_<name>.csv    fields sampled along each [[probe]] line
    case.toml           the case file as run
    log.txt             the log of the run
"""

import contextlib
import csv
import json
import logging
import os
import re
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from giantatom.backend import MPI, dolfinx, fem
from giantatom.domain import Domain
from giantatom.errors import OutputError
from giantatom.fields import Field
from giantatom.log import FORMATTER, log
from giantatom.parallel import on_root
from giantatom.terminate import interruption

PARTIAL = re.compile(r"\.(?P<name>.+)\.partial-(?P<pid>\d+)@(?P<host>.+)-[0-9a-f]{8}$")
STALE_ELSEWHERE_S = 86400.0  # a partial directory of another host's run: stale after a day


def stale(sibling: Path, final: Path) -> bool:
    """Whether ``sibling`` is what a killed run into ``final`` left: its half-written
    ``.NAME.partial-PID@HOST-*`` (its process gone, or from another host and a day old) or the
    ``.NAME.old-*`` a replaced run was being deleted from."""
    if sibling.name.startswith(f".{final.name}.old-"):
        return True
    match = PARTIAL.match(sibling.name)
    if match is None or match["name"] != final.name:
        return False
    if match["host"] != socket.gethostname():
        return time.time() - sibling.stat().st_mtime > STALE_ELSEWHERE_S
    try:
        os.kill(int(match["pid"]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        pass
    return False


def make_partial(final: Path, key: str) -> Path:
    """The hidden sibling a run writes into, after removing stale ones; OutputError naming
    ``key`` if ``final`` cannot be written (read-only, a file in the way, /proc)."""
    if final.exists() and not final.is_dir():
        raise OutputError(f"{final} is a file, not a directory", key)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        for sibling in final.parent.iterdir():
            if sibling.name.startswith(f".{final.name}.") and stale(sibling, final):
                log.info("removing %s (left by a run that was killed)", sibling)
                shutil.rmtree(sibling, ignore_errors=True)
        tag = f"{os.getpid()}@{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        tmp = final.parent / f".{final.name}.partial-{tag}"
        tmp.mkdir()
        return tmp
    except OSError as err:
        raise OutputError(f"cannot write {final}: {err.strerror or err}", key) from None


class ResultsDir:
    """``with ResultsDir(path, comm) as out:`` write into ``out.path``; ``out.commit()`` moves it
    to ``path`` (replacing an older run there); leaving the block without commit, by an error,
    Ctrl-C or SIGTERM, removes it. ``key`` names the setting that chose ``path``."""

    def __init__(self, final: Path, comm: MPI.Comm, key: str = "output.dir"):
        self.final = Path(final).resolve()
        self.comm = comm
        self.key = key
        self.path: Path = self.final
        self._log_handler: logging.Handler | None = None
        self.committed = False

    def __enter__(self) -> "ResultsDir":
        self.path = Path(on_root(self.comm, lambda: str(make_partial(self.final, self.key))))
        if self.comm.rank == 0:
            self._log_handler = logging.FileHandler(self.path / "log.txt")
            self._log_handler.setFormatter(FORMATTER)
            log.addHandler(self._log_handler)
        return self

    def _close_log(self) -> None:
        if self._log_handler is not None:
            log.removeHandler(self._log_handler)
            self._log_handler.close()
            self._log_handler = None

    def commit(self) -> None:
        def move() -> None:
            self._close_log()
            old = None
            if self.final.exists():
                old = self.final.parent / f".{self.final.name}.old-{uuid.uuid4().hex[:8]}"
                self.final.rename(old)
            self.path.rename(self.final)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)

        on_root(self.comm, move)
        self.committed = True
        self.path = self.final

    def __exit__(self, kind, value, traceback) -> None:
        if self.comm.rank == 0:
            self._close_log()
        # On Ctrl-C or SIGTERM every rank removes it: rank 0 may be held in a collective call
        # that a rank already gone will not join, and be killed there.
        interrupted = interruption(value) is not None
        if not self.committed and (self.comm.rank == 0 or interrupted):
            shutil.rmtree(self.path, ignore_errors=True)


@contextlib.contextmanager
def coordinates_in_units(domain: Domain) -> Iterator[None]:
    """Scale the mesh to the case's geometry unit while a writer reads it (the solve works in
    units of lambda; ParaView users think in nm or um)."""
    x = domain.mesh.geometry.x
    saved = x.copy()
    x[:] *= domain.lambda_in_units
    try:
        yield
    finally:
        x[:] = saved


def region_nodes(fields: list[Field]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The nodes of the written grid on this rank: one per (region, node of the continuous
    Lagrange space of the fields' degree) of its owned cells, so that the cells of one region
    share their nodes and regions do not (rho keeps its jump at a body's surface).

    Returns ``node`` (the written node of each owned DG dof), ``first`` (a DG dof at each
    node) and ``count`` (how many DG dofs each node gathers)."""
    region = next(f for f in fields if f.name == "region").function
    dg = region.function_space
    cg = fem.functionspace(dg.mesh, ("Lagrange", dg.element.basix_element.degree))
    cells = dg.mesh.topology.index_map(3).size_local
    dg_dofs = dg.dofmap.list[:cells].ravel()
    # The DG and CG Lagrange elements number a cell's nodes alike (basix), so cell c's i-th
    # dof is the same point in both: (region, CG dof) names a node of the written grid.
    cg_dofs = cg.dofmap.list[:cells].ravel().astype(np.int64)
    per_region = cg.dofmap.index_map.size_local + cg.dofmap.index_map.num_ghosts
    key = np.empty(dg.dofmap.index_map.size_local, dtype=np.int64)
    key[dg_dofs] = np.rint(region.x.array[dg_dofs]).astype(np.int64) * per_region + cg_dofs
    _, first, node, count = np.unique(
        key, return_index=True, return_inverse=True, return_counts=True
    )
    return node, first, count


def write_grid(grid, path: Path) -> None:
    """One .vtu file of a pyvista grid: zlib-compressed raw binary (appended, not base64, which
    is a third larger), as compact as VTK XML gets and what ParaView reads directly."""
    from vtkmodules.vtkIOXML import vtkXMLUnstructuredGridWriter

    writer = vtkXMLUnstructuredGridWriter()
    writer.SetFileName(str(path))
    writer.SetInputData(grid)
    writer.SetDataModeToAppended()
    writer.EncodeAppendedDataOff()
    writer.SetCompressorTypeToZLib()
    if not writer.Write():
        raise OutputError(f"cannot write {path}", "output.dir")


def field_piece(domain: Domain, fields: list[Field]):
    """This rank's piece of the field file (``write_vtu``): a pyvista grid of its owned cells
    on the nodes of ``region_nodes``, coordinates in the geometry unit, float32, one point array
    per field; higher-order cells stay VTK Lagrange cells. ``Results.grid()`` gathers these."""
    import pyvista

    space = fields[0].function.function_space
    topology, cell_types, x = dolfinx.plot.vtk_mesh(space)
    node, first, count = region_nodes(fields)
    per_cell = topology.reshape(len(cell_types), -1)  # [n, node_1 .. node_n] per cell
    per_cell[:, 1:] = node[per_cell[:, 1:]]
    points = (x[first] * domain.lambda_in_units).astype(np.float32)
    grid = pyvista.UnstructuredGrid(per_cell.ravel(), cell_types, points)
    for f in fields:
        bs = f.function.function_space.dofmap.index_map_bs
        values = f.function.x.array[: len(node) * bs].reshape(len(node), bs)
        mean = (
            np.stack(
                [np.bincount(node, weights=values[:, i], minlength=len(first)) for i in range(bs)],
                axis=1,
            )
            / count[:, None]
        )
        grid.point_data[f.name] = (mean[:, 0] if bs == 1 else mean).astype(np.float32)
    return grid


def write_vtu(domain: Domain, fields: list[Field], folder: Path, name: str = "fields") -> Path:
    """ParaView files: one ``.vtu`` piece per rank under ``folder/name/`` and the ``name.pvtu``
    index that ParaView and pyvista open; zlib-compressed raw binary, float32, higher-order
    cells as VTK Lagrange cells.

    The fields live on DG spaces; the file holds them on nodes shared within each region
    (``region_nodes``), the average of the cells' values there: exact for the fields that are
    continuous inside a body or in vacuum (rho, phi, screening_profile), and for the cellwise
    gradients (E of a P2 potential, B, J, the spin velocities) the nodal average, as accurate
    as the cells' values. float32 (7 digits) is far below the discretisation error (about
    1e-3); the probes' CSV files keep full precision. This is 10 to 20 times smaller than the
    DG nodes in float64 (README "Result files")."""
    grid = field_piece(domain, fields)
    arrays = [(f.name, f.function.function_space.dofmap.index_map_bs) for f in fields]
    pieces = folder / name
    on_root(domain.comm, lambda: pieces.mkdir(exist_ok=True))
    write_grid(grid, pieces / f"part{domain.comm.rank}.vtu")
    index = folder / f"{name}.pvtu"
    if domain.comm.rank == 0:
        data = "\n".join(
            f'      <PDataArray type="Float32" Name="{n}" NumberOfComponents="{bs}"/>'
            for n, bs in arrays
        )
        parts = "\n".join(
            f'    <Piece Source="{name}/part{r}.vtu"/>' for r in range(domain.comm.size)
        )
        index.write_text(
            '<?xml version="1.0"?>\n'
            '<VTKFile type="PUnstructuredGrid" version="1.0" byte_order="LittleEndian">\n'
            '  <PUnstructuredGrid GhostLevel="0">\n'
            f"    <PPointData>\n{data}\n    </PPointData>\n"
            '    <PPoints><PDataArray type="Float32" NumberOfComponents="3"/></PPoints>\n'
            f"{parts}\n  </PUnstructuredGrid>\n</VTKFile>\n"
        )
    return index


def write_vtx(domain: Domain, fields: list[Field], path: Path) -> None:
    """ADIOS2 (VTX) output, written in parallel by every rank: for large runs in ParaView."""
    with (
        coordinates_in_units(domain),
        dolfinx.io.VTXWriter(domain.comm, path, [f.function for f in fields], engine="BP4") as vtx,
    ):
        vtx.write(0.0)


def write_csv(path: Path, header: list[str], rows: np.ndarray) -> None:
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        for row in rows:
            writer.writerow([f"{v:.10g}" for v in row])


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=_jsonable) + "\n")
    os.replace(tmp, path)
