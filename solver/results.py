"""A run's results in memory: what ``giantatom.solve`` returns and ``giantatom.load`` reads back.

Solved (``giantatom.solve``), on every rank:
    case, summary           the Case and the typed Summary (summary.to_dict() is summary.json)
    domain, solutions       the DOLFINx mesh and the sectors' solution objects
                            ("charge", "magnetic", "spin")
    fields                  output field name -> dolfinx.fem.Function (the fields of fields.pvtu)
    grid(), arrays()        the field file's grid and its arrays, gathered on rank 0 (collective
                            under MPI: call them on every rank; the other ranks get None)
    surface()               the thin-layer surface grid (surface.vtu; rank 0), else None
    probes                  probe name -> column -> numpy array: the probe CSV files (rank 0)
    save(dir)               the results directory ``giantatom run`` writes (collective)

Loaded (``giantatom.load(dir)``): the same from the files, on any rank, without DOLFINx:
summary and case from summary.json and case.toml, probes from the CSV files, grid() and
surface() read lazily from fields.pvtu and surface.vtu; no domain, solutions or fields.
"""

import csv
import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from giantatom.case import Case, parse_case
from giantatom.errors import GiantAtomError
from giantatom.log import log
from giantatom.summary import Summary


class Results:
    def __init__(
        self,
        case: Case | None,
        summary: Summary,
        *,
        domain=None,
        solutions: dict[str, Any] | None = None,
        output_fields: list | None = None,
        probes: dict[str, dict[str, np.ndarray]] | None = None,
        surface=None,
        path: Path | None = None,
    ):
        self.case = case
        self.summary = summary
        self.domain = domain
        self.solutions = solutions or {}
        self.output_fields = output_fields or []  # giantatom.fields.Field: name, unit, text
        self.probes = probes or {}
        self.path = path
        self._surface = surface
        self._grid = None
        self._gathered = False

    def __repr__(self) -> str:
        where = f"saved in {self.path}" if self.path else "in memory"
        return f"<giantatom.Results {self.summary.case!r} ({self.summary.kind} model), {where}>"

    @property
    def fields(self) -> dict[str, Any]:
        """Output field name -> dolfinx.fem.Function (empty for loaded results)."""
        return {f.name: f.function for f in self.output_fields}

    @property
    def comm(self):
        return None if self.domain is None else self.domain.comm

    def grid(self):
        """The field file's pyvista UnstructuredGrid (coordinates in the geometry unit); on
        rank 0, None elsewhere. In memory the first call gathers every rank's piece: collective
        under MPI."""
        if self.domain is not None:  # in memory
            if not self._gathered and self.output_fields:
                self._grid = _gathered_grid(self.domain, self.output_fields)
                self._gathered = True  # once: later calls need not be collective
            return self._grid
        if self._grid is None and self.path is not None:
            import pyvista

            file = self.path / "fields.pvtu"
            if not file.exists():
                raise GiantAtomError(f"{self.path} has no fields.pvtu ([output] fields)")
            self._grid = pyvista.read(file)
        return self._grid

    def arrays(self) -> dict[str, np.ndarray] | None:
        """Field name -> values at the output nodes (rank 0; collective in memory); the nodes
        are ``grid().points``."""
        grid = self.grid()
        if grid is None:
            return None
        return {name: np.asarray(grid.point_data[name]) for name in grid.point_data.keys()}

    def surface(self):
        """The thin-layer model's surface grid (surface.vtu), or None."""
        if self._surface is None and self.path is not None and self.domain is None:
            file = self.path / "surface.vtu"
            if file.exists():
                import pyvista

                self._surface = pyvista.read(file)
        return self._surface

    def save(self, path: str | Path) -> Path:
        """Write the results directory (as ``giantatom run`` does; atomically: a complete
        directory or none) and return its path. Collective under MPI. A loaded Results is
        copied. log.txt holds what was logged while saving."""
        from giantatom import output

        comm = self.comm
        if comm is None:
            from giantatom.backend import MPI

            comm = MPI.COMM_SELF
        with output.ResultsDir(Path(path), comm) as folder:
            if self.domain is None:
                _copy_files(self.path, folder.path)
            else:
                write_data(self, folder.path)
                write_summary(self, folder.path)
            folder.commit()
        self.path = folder.final
        return self.path


def _gathered_grid(domain, output_fields: list):
    """Every rank's piece of the field file, appended on rank 0 in rank order (as the
    .pvtu reader does)."""
    from giantatom import output

    pieces = domain.comm.gather(output.field_piece(domain, output_fields), root=0)
    if pieces is None:
        return None
    if len(pieces) == 1:
        return pieces[0]
    import pyvista

    return pyvista.MultiBlock(pieces).combine(merge_points=False)


def write_data(results: Results, folder: Path) -> None:
    """The fields, surface.vtu and probe CSV files into ``folder`` (collective)."""
    from giantatom import output
    from giantatom.parallel import on_root

    case, domain = results.case, results.domain
    if case.output.fields and "vtu" in case.output.formats:
        output.write_vtu(domain, results.output_fields, folder)
    if case.output.fields and "vtx" in case.output.formats:
        output.write_vtx(domain, results.output_fields, folder / "fields.bp")

    def small_files() -> None:
        if results.surface() is not None:
            results.surface().save(folder / "surface.vtu", binary=True, compression="lz4")
        for name, table in results.probes.items():
            output.write_csv(
                folder / f"probe_{name}.csv", list(table), np.column_stack([*table.values()])
            )

    on_root(domain.comm, small_files)


def write_summary(results: Results, folder: Path) -> None:
    """summary.json and the case file as run (rank 0)."""
    from giantatom import output

    if results.domain.comm.rank == 0:
        output.write_json(folder / "summary.json", results.summary.to_dict())
        (folder / "case.toml").write_text(results.case.text)


def _copy_files(source: Path, target: Path) -> None:
    for item in source.iterdir():
        if item.name == "log.txt":
            continue
        if item.is_dir():
            shutil.copytree(item, target / item.name)
        else:
            shutil.copy2(item, target / item.name)


def load(path: str | Path) -> Results:
    """A results directory read back (no DOLFINx): summary.json -> Summary, case.toml -> Case
    (None where it no longer validates, e.g. a CAD file given by a relative path), the probe
    CSV files; grid() and surface() read the field files when first asked."""
    path = Path(path).resolve()
    if not path.is_dir():
        raise GiantAtomError(f"{path} is not a directory")
    try:
        summary = Summary.from_dict(json.loads((path / "summary.json").read_text()))
    except FileNotFoundError:
        raise GiantAtomError(
            f"{path} is not a giantatom results directory (no summary.json)"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise GiantAtomError(f"{path / 'summary.json'} is unreadable: {err}") from None
    case = None
    try:
        case = parse_case((path / "case.toml").read_text(), path / "case.toml")
    except (OSError, tomllib.TOMLDecodeError, GiantAtomError) as err:
        log.debug("load: case.toml not validated here (%s)", err)
    probes = {f.stem.removeprefix("probe_"): _read_csv(f) for f in sorted(path.glob("probe_*.csv"))}
    return Results(case, summary, probes=probes, path=path)


def _read_csv(path: Path) -> dict[str, np.ndarray]:
    try:
        with open(path, newline="") as stream:
            rows = list(csv.reader(stream))
        values = np.array(rows[1:], dtype=float).reshape(len(rows) - 1, len(rows[0]))
    except (OSError, ValueError, IndexError) as err:
        raise GiantAtomError(f"{path} is unreadable: {err}") from None
    return dict(zip(rows[0], values.T, strict=True))
