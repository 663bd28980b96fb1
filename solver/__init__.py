"""giantatom: finite-element fields of a superconductor as a "giant atom" (Hirsch's theory).

The package is organised by stage, in the order the data flows:

    case.py      case file (TOML) -> validated dataclasses (sweep.py: families of cases)
    material.py  London depth -> n_s, rho_-, E_m, B_s, v_0
    domain.py    gmsh model (built by the ``meshes`` package) -> distributed DOLFINx mesh
    stages.py    the sectors' explicit inputs from a case, the model's choice, the solve stages
    charge.py    charge sector: screening profiles, rho, phi, E, each body's phi0/E0
                 (screening.py, farfield.py: its pieces; closures.py: rho0; charge_summary.py)
    magnetic.py  magnetic sector: London screening, A, B, J, moment (curlcurl.py: its solver;
                 fluxoid.py: holes, fluxoid; magnetic_summary.py)
    phase.py     the condensate phase: the gradient part of a flow in the bodies
    spin.py      spin sector: spin four-potential, velocities and currents per spin
                 (distance.py: the distance below a body's surface, for the reference flow;
                 spin_summary.py, stopfield.py; relations.py: pure relations of the sectors)
    thinlayer/   the thin-layer model for lambda << size, the same stages
    fields.py    output fields; probes.py: fields sampled along lines
    output.py    summary.json, ParaView files, CSV, atomic results directory
    figures/     pictures from a results directory or in-memory results (no DOLFINx)
    exact.py     exact solutions (sphere, London sphere, spin speed, plate), for figures and tests
    run.py       the pipeline that calls the stages in order (results.py: what it returns,
                 summary.py: the typed summary.json,
                 summaries.py: typed sections to dicts)
    cli.py       the ``giantatom`` command (bench.py: ``giantatom bench``)

The Python API (README "Python API"):

    import giantatom
    case = giantatom.Case.from_toml("cases/sphere.toml")  # or giantatom.Case(Material(...), ...)
    results = giantatom.solve(case)                                      # in memory, every rank
    results.summary.rho0, results.fields["rho"], results.grid(), results.save("out/sphere")
    giantatom.load("out/sphere")                                         # read back, no DOLFINx
    giantatom.log_to_console()                                           # the CLI's log lines
    from giantatom import figures, exact                                 # pictures, exact fields

Importing this package does not import DOLFINx; ``giantatom.backend`` does, in one place. The
names above, and the case classes (giantatom.case's ``__all__``: Case, Material, Geometry, Body,
Sphere, MeshSpec, ...), are attributes loaded on first use.
"""

import importlib

__version__ = "0.1.0"

# name -> the module that defines it, imported when the name is first used
_LAZY = {
    "solve": "giantatom.run",
    "load": "giantatom.results",
    "Results": "giantatom.results",
    "Summary": "giantatom.summary",
    "log_to_console": "giantatom.log",
    "Case": "giantatom.case",
    "load_case": "giantatom.case",
    "parse_case": "giantatom.case",
    "GiantAtomError": "giantatom.errors",
    "CaseError": "giantatom.errors",
    "MeshError": "giantatom.errors",
    "SolveError": "giantatom.errors",
}


def _case_names() -> tuple[str, ...]:
    """The case-building names giantatom.case exports (its __all__)."""
    return tuple(getattr(importlib.import_module("giantatom.case"), "__all__", ()))


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if not name.startswith("_") and name in _case_names():
        return getattr(importlib.import_module("giantatom.case"), name)
    raise AttributeError(f"module 'giantatom' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_case_names()})
