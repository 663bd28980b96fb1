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
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from giantatom.backend import MPI, dolfinx
from giantatom.domain import Domain
from giantatom.errors import GiantAtomError
from giantatom.fields import Field
from giantatom.log import FORMATTER, log
from giantatom.parallel import on_root


class ResultsDir:
    """``with ResultsDir(path, comm) as out:`` write into ``out.path``; ``out.commit()`` moves it
    to ``path`` (replacing an older run there); leaving the block without commit removes it."""

    def __init__(self, final: Path, comm: MPI.Comm):
        self.final = Path(final).resolve()
        self.comm = comm
        self.path: Path = self.final
        self._log_handler: logging.Handler | None = None
        self.committed = False

    def __enter__(self) -> "ResultsDir":
        def make() -> str:
            if self.final.exists() and not self.final.is_dir():
                raise GiantAtomError(f"{self.final} exists and is not a directory", "output.dir")
            self.final.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.final.parent / f".{self.final.name}.partial-{uuid.uuid4().hex[:8]}"
            tmp.mkdir()
            return str(tmp)

        self.path = Path(on_root(self.comm, make))
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

    def __exit__(self, *exc) -> None:
        if self.comm.rank == 0:
            self._close_log()
            if not self.committed:
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


def field_piece(domain: Domain, fields: list[Field]):
    """This rank's piece of the field file: a pyvista grid of its owned cells, coordinates in
    the geometry unit, one point array per field. Higher-order cells stay VTK Lagrange cells."""
    import pyvista

    space = fields[0].function.function_space
    topology, cell_types, x = dolfinx.plot.vtk_mesh(space)
    # Owned cells only, whose DG nodes are the owned dofs: drop the ghosts' nodes.
    points = space.dofmap.index_map.size_local
    grid = pyvista.UnstructuredGrid(topology, cell_types, x[:points] * domain.lambda_in_units)
    for f in fields:
        bs = f.function.function_space.dofmap.index_map_bs
        values = f.function.x.array[: points * bs].reshape(points, bs)
        grid.point_data[f.name] = values[:, 0] if bs == 1 else values
    return grid


def write_vtu(domain: Domain, fields: list[Field], folder: Path, name: str = "fields") -> Path:
    """Binary VTK: one ``.vtu`` piece per rank under ``folder/name/`` (``field_piece``) and the
    ``name.pvtu`` index that ParaView and pyvista open."""
    grid = field_piece(domain, fields)
    arrays = [(f.name, f.function.function_space.dofmap.index_map_bs) for f in fields]
    pieces = folder / name
    on_root(domain.comm, lambda: pieces.mkdir(exist_ok=True))
    grid.save(pieces / f"part{domain.comm.rank}.vtu", binary=True, compression="lz4")
    index = folder / f"{name}.pvtu"
    if domain.comm.rank == 0:
        data = "\n".join(
            f'      <PDataArray type="Float64" Name="{n}" NumberOfComponents="{bs}"/>'
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
            '    <PPoints><PDataArray type="Float64" NumberOfComponents="3"/></PPoints>\n'
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
