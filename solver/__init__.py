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
    figures.py   pictures from a results directory (no DOLFINx)
    run.py       the pipeline that calls the stages in order (summaries.py: typed to dicts)
    cli.py       the ``giantatom`` command (bench.py: ``giantatom bench``)

Importing this package does not import DOLFINx; ``giantatom.backend`` does, in one place.
"""

__version__ = "0.1.0"
