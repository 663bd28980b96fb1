"""giantatom: finite-element fields of a superconductor as a "giant atom" (Hirsch's theory).

The package is organised by stage, in the order the data flows:

    case.py      case file (TOML) -> validated dataclasses (sweep.py: families of cases)
    material.py  London depth -> n_s, rho_-, E_m, B_s, v_0
    domain.py    gmsh model (built by the ``meshes`` package) -> distributed DOLFINx mesh
    charge.py    charge sector: screening profiles, rho, phi, E, each body's phi0/E0, closures,
                 the response to an applied electric field
    magnetic.py  magnetic sector: London screening, A, B, J, moment (fluxoid.py: holes, fluxoid)
    phase.py     the condensate phase: the gradient part of a flow in the bodies
    spin.py      spin sector: spin four-potential, velocities and currents per spin
                 (distance.py: the distance below a body's surface, for the reference flow)
    thinlayer.py the thin-layer model for lambda << size (thinlayer_output.py: its outputs)
    fields.py    output fields; probes.py: fields sampled along lines
    output.py    summary.json, ParaView files, CSV, atomic results directory
    figures/     pictures from a results directory or in-memory results (no DOLFINx)
    exact.py     exact solutions (sphere, London sphere, spin speed, plate), for figures and tests
    run.py       the pipeline that calls the stages in order
    cli.py       the ``giantatom`` command (bench.py: ``giantatom bench``)

Importing this package does not import DOLFINx; ``giantatom.backend`` does, in one place.
"""

__version__ = "0.1.0"
