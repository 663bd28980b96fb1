"""giantatom: finite-element fields of a superconductor as a "giant atom" (Hirsch's theory).

The package is organised by stage, in the order the data flows:

    case.py      case file (TOML) -> validated dataclasses
    material.py  London depth -> n_s, rho_-, E_m, B_s, v_0
    domain.py    gmsh model (built by the ``meshes`` package) -> distributed DOLFINx mesh
    charge.py    charge sector: screening profile, rho, phi, E, phi0/E0
    probes.py    fields sampled along lines
    output.py    summary.json, ParaView files, CSV, atomic results directory
    run.py       the pipeline that calls the stages in order
    cli.py       the ``giantatom`` command

Importing this package does not import DOLFINx; ``solver.backend`` does, in one place.
"""

__version__ = "0.1.0"
