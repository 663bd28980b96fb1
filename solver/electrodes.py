"""Electrodes: ideal normal conductors in the vacuum (docs/formulation.md section 4.5).

An electrode's volume is cut out of the mesh; on its surface phi equals its potential V_e.
Every piece of the charge sector is solved with the electrodes grounded (phi = 0 on them), so
the electrodes' image charges of the bodies' own fields are part of those pieces. Their
potentials then enter by superposition, as external fields like the applied one:

    X_e :  (-lap + chi_Omega) X_e = 0,  X_e = delta_ef on electrode f,  Robin on Gamma_inf,

the potential of electrode e held at 1 V with the others grounded. In the bodies X_e is screened
(rho = -X_e/s there, s = lambda^2/eps0) and constants c_ej sum_j u_j keep every body's charge
unchanged, exactly as for the applied field:

    phi   = phi_grounded + sum_e V_e (X_e + s sum_j c_ej u_j),
    rho_m = rho_m,grounded + sum_e V_e (-X_e/s + sum_j c_ej (delta_mj - u_j)),   K c_e = int X_e/s.

The charge on electrode e is Q_e = eps0 lambda int grad phi . grad w_e dx, w_e = 1 on its
surface's dofs and 0 at every other dof: by Green's formula (w_e lives in the vacuum next to
the electrode, where phi is harmonic) that is eps0 times the outward flux of E through its
surface, and it is the discrete system's own reaction at those dofs. So Q = Q_grounded + C V
with C the capacitance matrix (F) of the electrodes with every superconducting body at its
given charge; a floating electrode's V follows from its given charge.
"""

from dataclasses import dataclass, field

import numpy as np

from giantatom.backend import PETSc, fem, ufl
from giantatom.case import Electrode
from giantatom.domain import Domain
from giantatom.linalg import SPDSolver, dirichlet_rhs
from giantatom.units import EPS_0


@dataclass
class ElectrodeConditions:
    """phi = g on every electrode surface: ``values`` is g (set before each solve)."""

    values: fem.Function
    dofs: list[np.ndarray]  # per electrode, local dofs (ghosts included)
    bcs: list[fem.DirichletBC]

    def set(self, potentials=None, function: fem.Function | None = None) -> None:
        """g = potentials[e] on electrode e (0 without), or g = ``function`` on them."""
        g = self.values.x.array
        g[:] = 0.0
        for e, dofs in enumerate(self.dofs):
            if function is not None:
                g[dofs] = function.x.array[dofs]
            elif potentials is not None:
                g[dofs] = potentials[e]


def electrode_conditions(domain: Domain, space: fem.FunctionSpace) -> ElectrodeConditions | None:
    """The Dirichlet conditions of the electrodes (g = 0: grounded); None without electrodes."""
    if not domain.electrode_names:
        return None
    domain.mesh.topology.create_connectivity(2, 3)
    dofs = [
        fem.locate_dofs_topological(space, 2, domain.facet_tags.find(t))
        for t in domain.electrode_tags
    ]
    g = fem.Function(space, name="electrode potentials")
    bc = fem.dirichletbc(g, np.unique(np.concatenate(dofs)).astype(np.int32))
    return ElectrodeConditions(values=g, dofs=dofs, bcs=[bc])


def unit_potentials(
    domain: Domain, solver: SPDSolver, conditions: ElectrodeConditions
) -> list[fem.Function]:
    """X_e: electrode e at 1 V, the others grounded, screened in the bodies (``solver`` holds
    the screened operator with the electrodes' conditions)."""
    w = ufl.TestFunction(solver.space)
    no_source = fem.form(domain.constant(0.0) * w * ufl.dx(domain=domain.mesh))
    pieces = []
    for e, name in enumerate(domain.electrode_names):
        conditions.set(potentials=np.eye(len(conditions.dofs))[e])
        b = dirichlet_rhs(solver, no_source)
        pieces.append(solver.solve(b, f"electrode {name} at 1 V"))
        b.destroy()
    conditions.set()
    return pieces


def charge_weights(conditions: ElectrodeConditions, space: fem.FunctionSpace) -> list:
    """w_e: 1 at the dofs of electrode e's surface, 0 elsewhere."""
    weights = []
    for dofs in conditions.dofs:
        w = fem.Function(space)
        w.x.array[dofs] = 1.0
        weights.append(w)
    return weights


def electrode_charges(domain: Domain, weights: list, potential) -> np.ndarray:
    """Q_e = eps0 lambda int grad(potential) . grad(w_e) dx, C, for a potential in V."""
    flux = [
        domain.integrate(ufl.inner(ufl.grad(potential), ufl.grad(w)) * domain.dx) for w in weights
    ]
    return EPS_0 * domain.lambda_m * np.array(flux)


def electrode_potentials(
    electrodes: tuple[Electrode, ...], grounded: np.ndarray, capacitance: np.ndarray
) -> np.ndarray:
    """V (V) of every electrode: held ones as given; floating ones from Q = Q_grounded + C V
    with their given charges."""
    V = np.array([0.0 if e.floating else e.potential for e in electrodes])
    free = np.array([e.floating for e in electrodes])
    if free.any():
        held = ~free
        Q = np.array([e.charge for e in electrodes])[free]
        rhs = Q - grounded[free] - capacitance[np.ix_(free, held)] @ V[held]
        V[free] = np.linalg.solve(capacitance[np.ix_(free, free)], rhs)
    return V


@dataclass
class HeldElectrodes:
    """The electrodes' share of the charge solution, for their potentials ``potentials``."""

    potentials: np.ndarray  # V_e, V
    charges: np.ndarray  # Q_e, C
    capacitance: np.ndarray  # C[e, f], F
    coefficients: np.ndarray  # per body: sum_e V_e c_e, C/m^3 (adds to the c_j)
    pieces: list[fem.Function]  # X_e, per volt
    corrected: list[fem.Function]  # X_e + s sum_j c_ej u_j, per volt
    summary: dict = field(default_factory=dict)

    def density_terms(self, s: float) -> list[tuple[float, fem.Function]]:
        """rho's X_e terms (the u_j terms are in ``coefficients``), C/m^3."""
        return [(-V / s, X) for V, X in zip(self.potentials, self.pieces, strict=True)]

    @property
    def potential_terms(self) -> list[tuple[float, fem.Function]]:
        return list(zip(self.potentials, self.corrected, strict=True))


def superpose(
    domain: Domain,
    electrodes: tuple[Electrode, ...],
    conditions: ElectrodeConditions,
    pieces: list[fem.Function],
    profiles: list[fem.Function],
    K: np.ndarray,
    grounded: fem.Function,
) -> HeldElectrodes:
    """The electrodes' potentials, charges and capacitance matrix, and their pieces of phi and
    rho, given the pieces X_e, the profiles u_j with K[m, j] = int_m (delta_mj - u_j), and the
    potential with every electrode grounded (module docstring)."""
    space = grounded.function_space
    s = domain.lambda_m**2 / EPS_0
    integrals = np.array(
        [[domain.integrate(X * domain.dx(t)) for X in pieces] for t in domain.body_tags]
    )
    c = np.linalg.solve(K, integrals / s)  # [j, e]: keeps every body's charge
    corrected = []
    for e, X in enumerate(pieces):
        f = fem.Function(space, name=f"{X.name} (bodies at their charges)")
        f.x.array[:] = X.x.array + s * sum(c[j, e] * u.x.array for j, u in enumerate(profiles))
        corrected.append(f)
    weights = charge_weights(conditions, space)
    capacitance = np.array([electrode_charges(domain, weights, X) for X in corrected]).T
    base = electrode_charges(domain, weights, grounded)
    V = electrode_potentials(electrodes, base, capacitance)
    held = HeldElectrodes(
        potentials=V,
        charges=base + capacitance @ V,
        capacitance=capacitance,
        coefficients=c @ V,
        pieces=pieces,
        corrected=corrected,
    )
    held.summary = summary(electrodes, V, held.charges, capacitance)
    return held


def summary(
    electrodes: tuple[Electrode, ...], potentials: np.ndarray, charges: np.ndarray, capacitance
) -> dict:
    """summary.json's electric.electrodes[] and, with two or more, the capacitance matrix."""
    out = {
        "electrodes": [
            {
                "name": e.name,
                "held": "floating" if e.floating else "potential",
                "potential_V": float(V),
                "charge_C": float(Q),
            }
            for e, V, Q in zip(electrodes, potentials, charges, strict=True)
        ]
    }
    if len(electrodes) >= 2:
        out["capacitance_matrix_F"] = np.asarray(capacitance)
        out["capacitance_note"] = (
            "Maxwell capacitance matrix: C[e][f] = charge on electrode e per volt on electrode f, "
            "the others grounded and every superconducting body at its given net charge"
        )
    return out


def lift(b, form: fem.Form, conditions: ElectrodeConditions, phi: fem.Function) -> None:
    """Make the assembled right-hand side ``b`` of ``form`` (assembled with the electrodes'
    conditions) that of the potential ``phi`` on the electrodes: b - A[:, e] phi_e in the free
    rows, phi_e in the electrodes' rows. For residual checks of a potential built from pieces."""
    conditions.set(function=phi)
    lifted = _lifting(form, conditions, phi.function_space)
    b.axpy(1.0, lifted)
    lifted.destroy()
    fem.petsc.set_bc(b, conditions.bcs)
    conditions.set()


def _lifting(form: fem.Form, conditions: ElectrodeConditions, space: fem.FunctionSpace):
    """-A[:, e] g_e: the lifting of the electrodes' current values alone (owned entries)."""
    v = ufl.TestFunction(space)
    zero = fem.form(fem.Constant(space.mesh, 0.0) * v * ufl.dx(domain=space.mesh))
    vector = fem.petsc.assemble_vector(zero)
    fem.petsc.apply_lifting(vector, [form], bcs=[conditions.bcs])
    vector.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    return vector
