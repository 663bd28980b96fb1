"""Stage 4: the solutions as output fields, SI units, on one discontinuous Lagrange space.

Discontinuous, because rho jumps at the surface (rho_- inside, 0 outside) and phi0 carries a
constant per body; one space, so every field goes into the same ParaView file. The degree is
the solution's, so nothing is lost: a P2 potential and its P1 gradient are represented exactly.
Each field names the probe-CSV columns it fills. The probes sample these functions (full
precision); fields.pvtu holds them on nodes shared within each region, in float32
(output.write_vtu); fields.bp (VTX) holds these DG functions as they are.

No magnitude is an output field: |E| interpolated from its values at the nodes is not the
magnitude of the interpolated E, and overshoots wherever E passes through zero (a cone: at
the centre of a sphere by 9 % of max |E|). Every magnitude is taken from the components where
it is sampled: the probe column of |E| (``Field.magnitude``, ``probe_table``), ParaView's
Magnitude of a vector, the figures.
"""

from dataclasses import dataclass

import numpy as np

from giantatom import meshes
from giantatom.backend import fem, ufl
from giantatom.charge import ChargeSolution
from giantatom.domain import Domain
from giantatom.magnetic import MagneticSolution
from giantatom.spin import REFERENCE_FLOW, SPINS, SpinSolution

STOP_MAP = (
    "local stop field: the applied field strength (same direction) at which the slower spin's "
    "v_sigma - v_sigma0 reverses there (docs/formulation.md section 3.7); on the body surfaces "
    "only (view the bodies' surface): NaN where masked (zero-field speed below 5% of its "
    "maximum) or where the field speeds both spins up, 0 inside the bodies"
)


@dataclass
class Field:
    name: str  # as ParaView shows it
    function: fem.Function
    unit: str
    description: str
    columns: tuple[str, ...] = ()  # probe CSV columns, one per component
    magnitude: str = ""  # probe CSV column of |vector|, from the components at each point


class FieldSpaces:
    """The scalar and vector DG spaces of the output, and interpolation into them."""

    def __init__(self, domain: Domain, degree: int):
        self.domain = domain
        self.scalar = fem.functionspace(domain.mesh, ("DG", degree))
        self.vector = fem.functionspace(domain.mesh, ("DG", degree, (3,)))
        # The writers put every field on the scalar space's nodes: the blocked vector dofmap
        # must number the nodes the same way.
        assert (self.vector.dofmap.list == self.scalar.dofmap.list).all()

    def _space(self, expr) -> fem.FunctionSpace:
        return self.vector if ufl.shape(expr) == (3,) else self.scalar

    def everywhere(self, expr, name: str) -> fem.Function:
        space = self._space(expr)
        f = fem.Function(space, name=name)
        f.interpolate(fem.Expression(expr, space.element.interpolation_points))
        return f

    def per_body(self, exprs: list, name: str, vacuum=None) -> fem.Function:
        """exprs[k] in body k, ``vacuum`` (default 0) outside every body."""
        space = self._space(exprs[0])
        f = fem.Function(space, name=name)
        points = space.element.interpolation_points
        if vacuum is not None:
            f.interpolate(
                fem.Expression(vacuum, points), cells0=self.domain.cell_tags.find(meshes.VACUUM)
            )
        for tag, expr in zip(self.domain.body_tags, exprs, strict=True):
            f.interpolate(fem.Expression(expr, points), cells0=self.domain.cell_tags.find(tag))
        f.x.scatter_forward()
        return f


def region_field(spaces: FieldSpaces) -> Field:
    values = [spaces.domain.constant(tag) for tag in spaces.domain.body_tags]
    f = spaces.per_body(values, "region")
    return Field("region", f, "", "body number (1, 2, ...) in a body, 0 in vacuum")


def charge_fields(sol: ChargeSolution, spaces: FieldSpaces) -> list[Field]:
    domain = sol.domain
    n = len(domain.body_tags)
    rho = [sol.density(m) for m in range(n)]
    excess = [rho[m] - domain.constant(sol.rho0[m]) for m in range(n)]
    phi0 = [sol.reference_potential(m) for m in range(n)]
    E = sol.electric_field(sol.phi)
    E0 = [sol.reference_field(m) for m in range(n)]
    return [
        Field("rho", spaces.per_body(rho, "rho"), "C/m^3", "charge density", ("rho_C_m3",)),
        Field(
            "rho_minus_rho0",
            spaces.per_body(excess, "rho_minus_rho0"),
            "C/m^3",
            "rho - rho0: the expelled (screening) charge",
        ),
        Field("phi", spaces.everywhere(sol.phi, "phi"), "V", "electric potential", ("phi_V",)),
        Field(
            "phi0",
            spaces.per_body(phi0, "phi0"),
            "V",
            "in each body the potential of its own uniform rho0, shifted so that Eq. 23 holds "
            "there (zero in vacuum)",
        ),
        Field(
            "E",
            spaces.everywhere(E, "E"),
            "V/m",
            "electric field",
            ("Ex_V_m", "Ey_V_m", "Ez_V_m"),
            magnitude="E_V_m",
        ),
        Field(
            "E0",
            spaces.per_body(E0, "E0"),
            "V/m",
            "in each body the field of its own uniform rho0 alone (zero in vacuum)",
        ),
        Field(
            "screening_profile",
            spaces.everywhere(sol.screening_profile(), "screening_profile"),
            "1",
            "v of docs/formulation.md: 1 far away, about lambda/R at the surface",
        ),
    ]


def magnetic_fields(sol: MagneticSolution, spaces: FieldSpaces) -> list[Field]:
    """A, B = curl A everywhere; the London current J only in the bodies (zero in vacuum)."""
    B = sol.magnetic_field()
    J = sol.current_density()
    n = len(sol.domain.body_tags)
    return [
        Field("A", spaces.everywhere(sol.vector_potential(), "A"), "T m", "vector potential"),
        Field(
            "B",
            spaces.everywhere(B, "B"),
            "T",
            "magnetic field (applied + screening)",
            ("Bx_T", "By_T", "Bz_T"),
        ),
        Field(
            "J",
            spaces.per_body([J] * n, "J"),
            "A/m^2",
            "London (Meissner) current density, zero in vacuum",
            ("Jx_A_m2", "Jy_A_m2", "Jz_A_m2"),
        ),
    ]


def spin_fields(sol: SpinSolution, spaces: FieldSpaces) -> list[Field]:
    """Per spin (up: sigma = +1 along the spin axis, down: -1), in the bodies only (zero in
    vacuum): the spin four-potential and four-current relative to the reference (the part the
    theory fixes), the total velocity and density, and the spin current J_+ - J_-."""
    bodies = range(len(sol.domain.body_tags))
    # (name pattern, expression(sigma, body), unit, description, probe column pattern)
    quantities = [
        (
            "v_{}",
            lambda s, m: sol.velocity_shift(s),
            "m/s",
            "v_sigma - v_sigma0 = -(e/m_e)(lambda sigma x (E - E0)/c - grad chi_sigma + A)",
            "v{}_{}_m_s",
        ),
        (
            "v_{}_total",
            sol.velocity,
            "m/s",
            f"v_sigma, with the reference flow {REFERENCE_FLOW}",
            "vtot{}_{}_m_s",
        ),
        (
            "J_{}",
            lambda s, m: sol.current_shift(s),
            "A/m^2",
            "J_sigma - J_sigma0 = (e n_s/2)(v_sigma - v_sigma0) (Eq. 55)",
            None,
        ),
        (
            "A_{}",
            lambda s, m: sol.potential(s),
            "T m",
            "A_sigma - A_sigma0 = lambda sigma x (E - E0)/c + A (Eq. 58, before the phase term "
            "grad chi_sigma)",
            None,
        ),
        (
            "phi_{}",
            sol.scalar_potential,
            "V",
            "phi_sigma - phi_sigma0 = phi - phi0 - c lambda sigma . B (Eq. 59)",
            None,
        ),
        (
            "rho_{}",
            sol.density,
            "C/m^3",
            "rho_sigma = rho/2 + eps0 c sigma . B/(2 lambda) (Eq. 55, time component, with "
            "rho_sigma0 = rho0/2); rho_up + rho_down = rho",
            None,
        ),
    ]
    out = []
    for pattern, expr, unit, description, columns in quantities:
        for spin, sigma in SPINS:
            name = pattern.format(spin)
            f = spaces.per_body([expr(sigma, m) for m in bodies], name)
            probe = tuple(columns.format(spin, c) for c in "xyz") if columns else ()
            out.append(Field(name, f, unit, f"spin {spin}: {description}", probe))
    J_spin = spaces.per_body([sol.spin_current(m) for m in bodies], "J_spin")
    out.append(
        Field("J_spin", J_spin, "A/m^2", "spin current J_up - J_down, reference flow included")
    )
    if sol.stop_map is not None:  # the map of the applied field's direction (spin.summarize)
        B_stop = spaces.per_body([sol.stop_map.function(sol.domain)] * len(bodies), "B_stop")
        out.append(Field("B_stop", B_stop, "T", STOP_MAP))
    return out


def field_documentation(fields: list[Field]) -> dict[str, dict]:
    """For the summary: what each field in the ParaView file is, and its unit."""
    return {f.name: {"unit": f.unit, "description": f.description} for f in fields}


def probe_columns(fields: list[Field]) -> list[tuple[str, fem.Function, int]]:
    """(column, function, component) for every probed field component."""
    out = []
    for f in fields:
        for i, column in enumerate(f.columns):
            out.append((column, f.function, i))
    return out


def probe_table(fields: list[Field], values: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The probe CSV columns from the components sampled at the points (``values``, one column
    per entry of ``probe_columns``): each field's components, then its magnitude, computed
    from those components at each point (the norm of the interpolated vector, not an
    interpolated norm)."""
    header, table, start = [], [], 0
    for f in fields:
        part = values[:, start : start + len(f.columns)]
        start += len(f.columns)
        header += list(f.columns)
        table.append(part)
        if f.magnitude:
            header.append(f.magnitude)
            table.append(np.linalg.norm(part, axis=1)[:, None])
    return header, np.hstack(table) if table else np.zeros((len(values), 0))
