"""The thin-layer model (lambda << size): docs/formulation.md sections 1-3 (and 5)
asymptotically in lambda/L, on a mesh sized by the geometry alone (lengths in lambda, as
everywhere).

Charge (docs/formulation.md sections 1.5, 1.6, 5.1, 5.2, 5.5). In body m Eq. 23 reads
rho - rho0_m = -(phi - phi0^(m) - C_m)/(4 pi lambda^2), phi0^(m) the potential of body m's OWN
uniform rho0_m (zero at infinity), C_m fixed by its net charge Q_m: the other bodies' rho0 is an
external charge to body m, which its layer screens like any external potential. Outside a body
much larger than lambda, Phi = phi - phi0^(m) - C_m decays into it as Phi_s exp(-k d/lambda)
(d the depth, k = 1 - lambda H to first order, H the mean curvature: inside, Phi'' - 2H Phi' =
Phi/lambda^2). With phi = sum_b phi0^(b) + eta outside (eta harmonic in the vacuum), continuity
of Phi and dPhi/dn gives the impedance condition on body m (phi0^(m) cancels)

    d(eta + S_m)/dn = (k/lambda)(eta + S_m - C_m),    S_m = sum_{b != m} phi0^(b).

To leading order this makes each body a conductor at potential C_m, its layer (lambda deep)
charged like a perfect conductor of the same shape in the field of the others' rho0. Linear:

* P_b, the potential of rho0_b = 1 in body b alone (a Poisson solve; Robin condition of the
  monopole about body b's centroid), so phi0^(b) = rho0_b P_b.
* psi_j (harmonic in the vacuum, dpsi_j/dn = (k/lambda)(psi_j - delta_jm) on body m, Robin
  dpsi/dn + psi/R_out = 0 on Gamma_inf; psi_j -> the conductor potential w_j as lambda -> 0):
  the capacitance matrix of the bodies with their layers.
* chi_b (harmonic in the vacuum, d(chi_b + P_b)/dn = (k/lambda)(chi_b + P_b) on every body
  m != b, dchi_b/dn = (k/lambda) chi_b on body b): the layers' answer to P_b. One more solve per
  body on the psi_j's operator (with one body only if its centroid is off the domain's centre).
* D_j for a charged body off the domain's centre: the same exterior problem with the far-field
  data of a unit charge at its centroid (the monopole Robin condition about the domain's centre
  alone would misplace it: its dipole error polarised a neighbour 1.2% differently at
  far_field 3 and 6, 0.08% with D_j).
* eta = sum_j C_j psi_j + sum_b rho0_b chi_b + sum_j Q_j D_j. The layer of body m holds q_m =
  Q_m - rho0_m |Omega_m| = sum_j capacitance_mj C_j + sum_b external_charge_mb rho0_b +
  sum_j far_field_charge_mj Q_j: the C_m.
* sigma = -eps0 dPhi/dn = -eps0 (k/lambda) Phi_s, the layer's charge per area, and Phi_s =
  sum_j C_j (psi_j - delta_jm) + sum_b rho0_b (chi_b + [b != m] P_b) on body m.
* In the bulk of body m, E = E0^(m) (own rho0 only); outside, E = -grad(sum_b phi0^(b) + eta).
* Density at depth d under the surface point x: rho = rho0_m + rho_s(x) exp(-k d/lambda), with
  rho_s = sigma / (lambda k): the layer then holds sigma per area (its curvature included).
  For a sphere k = 1 - lambda/R, and rho0 and sigma are exact up to O((lambda/R)^2).
* In the layer E(x, d) = E0^(m)(x - d n) + E_layer(x) exp(-k d/lambda), E_layer = E - E0^(m)
  just under the surface = (sigma/eps0) n - grad_t Phi_s: the normal field falls by sigma/eps0
  across the layer (Gauss), the tangential field is continuous; the tangential part is of
  relative order lambda/L (zero on a sphere; from the neighbours' field and the shape). max |E|
  is a 1D search in d at every surface point, which gives the finite-size E_max of the sphere,
  E_m (1 - (ln x - 1)/x), that "E_max = E0 at the surface" would miss by ln(x)/x.
* Closures: on each body's own neutral solution without a field (rho0 is a ground-state
  property): rho0_m = 1, Q = 0, the other bodies present, neutral, rho0 = 0 (exact where the body's
  exterior field vanishes: for a neutral body to leading order). All is linear in rho0_m, so
  each closure is a division: surface-mean rho_-/<rho>, max-field E_m/max |E|, spin-speed
  v_0/max |v_sigma - v_sigma0| at the surface (|e| lambda |s x E_layer|/(m_e c)). All three are
  reported (rho0_by_closure); neighbours and net charge then add linearly without moving rho0.
  Two neutral spheres R = 30 lambda, 100 apart: each the isolated sphere (|E| 1e-6 E_m at the
  centres and in the gap, surface density within 0.1% of rho_-), where one phi0 of both bodies'
  rho0 gave 0.096 E_m at the centres and a surface density from 0.54 to 1.17 rho_-.

Spin. In the layer E - E0 = E_layer exp(-k d/lambda), which giantatom.spin turns into
v_sigma - v_sigma0; at the surface |v| = |e| lambda |s x E_layer| / (m_e c). To leading order
E_layer = (sigma/eps0) n, so sigma x (E - E0) is tangential: its normal part, from the
tangential part of E_layer (relative order lambda/L), and the phase term grad chi_sigma of the
full model (docs/formulation.md section 3) that takes it up are of higher order in lambda/L
and left out. The reference flow is v_sigma0 = (c/(e n_s)) rho0 sigma x grad d with
grad d = -n at the surface (d the depth below it): tangential there.

Magnetic (an applied field). To leading order the body is a perfect diamagnet: outside,
B = B_app - grad(B_app . psi) with psi_i harmonic, dpsi_i/dn = e_i . n on the body surfaces and
the dipole Robin condition dpsi/dn + 2 psi/R_out = 0 on Gamma_inf. The surface field B_t
penetrates as B_t exp(-d/lambda), carried by the Meissner current J = n x B_t exp(-d/lambda) /
(mu0 lambda) (|J| = |B_t|/(mu0 lambda), Eq. 45), with A = -lambda n x B_t exp(-d/lambda) in the
London gauge. The moment is that of the surface current, m0 = (1/2) int r x K dA, corrected to
first order for the penetration (the diamagnetic surface sits lambda deep):
dm_i = (lambda/mu0) int B_t(e_i) . B_t dA (the sphere's 1 - 3 lambda/R).

Holes (docs/formulation.md section 2). A single-valued psi carries no net current around a
hole; a ring needs the cyclic field of its net current I_k around each hole k as well:
b_k = b0_k - grad chi_k per ampere, b0_k the Biot-Savart field of a unit current on a circle
about the hole inside the body (``solver.fluxoid.loop``; curl-free in the vacuum, circulation
mu0 around every loop that links the ring) and chi_k single-valued and harmonic with
dchi_k/dn = b0_k . n, so that b_k . n = 0. The I_k follow from the fluxoid condition: deep in
the body J = 0 and A = 0 in the London gauge, so the flux through a surface spanning the hole
(bounded by a loop deep in the body) is n_k Phi_0. With the states s = (unit B along x, y, z;
unit I_k) the flux through hole k is, by reciprocity, the moment of state b_k for the applied
field and the inductance (1/mu0) int_vacuum b_k . b_j dV for the currents (plus the vacuum
outside the mesh, mu0 m_k . m_j / (6 pi R_out^3)), each corrected to first order for the layer
as the moment is: + (lambda/mu0) int s_t . s'_t dA (the flux in the layer inside the deep
loop). Zero-field cooled (n = 0) in a field, a ring thus carries the current that keeps the flux
through its hole zero, as the full model's London state does.

Surface values are patch averages on the P1 surface nodes (the variationally consistent flux
of each solution, lumped): accurate where a pointwise gradient at the surface is not. At a
sharp edge, where the conductor charge diverges (and lambda H > 1/2), the average caps it at the
mesh scale; the summary says where.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from giantatom import fluxoid, meshes, relations, spin
from giantatom.backend import MPI, fem, ufl
from giantatom.case import Case
from giantatom.charge_summary import BodyCharge, ChargeSummary, totals
from giantatom.domain import Domain
from giantatom.linalg import SolveStats, SPDSolver, assemble_rhs, dirichlet_rhs
from giantatom.log import log
from giantatom.parallel import global_max, global_min
from giantatom.screening import BodyWeights, centroids, electric_field
from giantatom.units import C_LIGHT, E_CHARGE, EPS_0, MU_0

# The nodes of a quadratic triangle on every surface facet, in VTK order: vertices, then the
# midpoints of edges 01, 12, 20 (reference coordinates of the facet).
REFERENCE_POINTS = np.array(
    [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.5]]
)
MAX_DEPTH = 40.0  # lambda: exp(-40) is far below any tolerance
SHARP_EDGE_DEGREES = 30.0  # normals of neighbouring facets differing more than this: an edge


@dataclass
class Surface:
    """This rank's owned body-surface facets, sampled at the 6 nodes of each."""

    body: np.ndarray  # (f,) 0-based body index
    entities: np.ndarray  # (f, 2) the body-side cell and its local facet index
    x: np.ndarray  # (f, 6, 3) lambda
    n: np.ndarray  # (f, 6, 3) outward unit normal

    def values(self, mesh, expr) -> np.ndarray:
        """``expr`` at the nodes, evaluated in the body-side cell: (f, 6, *shape)."""
        shape = ufl.shape(expr)
        compiled = fem.Expression(expr, REFERENCE_POINTS)  # collective (JIT): every rank
        if len(self.entities) == 0:
            return np.zeros((0, len(REFERENCE_POINTS), *shape))
        return compiled.eval(mesh, self.entities).reshape(len(self.entities), -1, *shape)


def body_surface(domain: Domain) -> Surface:
    """The owned surface facets of every body, with their body-side cells."""
    mesh = domain.mesh
    mesh.topology.create_connectivity(2, 3)
    mesh.topology.create_connectivity(3, 2)
    f2c, c2f = mesh.topology.connectivity(2, 3), mesh.topology.connectivity(3, 2)
    owned = mesh.topology.index_map(2).size_local
    bodies, entities = [], []
    for k, tag in enumerate(domain.body_tags):
        facets = domain.surface_facets(tag)
        for f in facets[facets < owned]:
            cell = next(c for c in f2c.links(f) if domain.cell_region[c] == tag)
            local = int(np.flatnonzero(c2f.links(cell) == f)[0])
            bodies.append(k)
            entities.append((cell, local))
    surface = Surface(
        body=np.array(bodies, dtype=np.int32),
        entities=np.array(entities, dtype=np.int32).reshape(-1, 2),
        x=np.zeros((0, 6, 3)),
        n=np.zeros((0, 6, 3)),
    )
    surface.x = surface.values(mesh, ufl.SpatialCoordinate(mesh))
    surface.n = surface.values(mesh, ufl.FacetNormal(mesh))
    return surface


class SurfaceFlux:
    """Surface values as P1 nodal values on the body surfaces, lumped: for a linear form
    f(phi_i) that equals int_surface g phi_i dA, g_i = f(phi_i) / int_surface phi_i dA.

    For a normal derivative the form is the variationally consistent flux: for a solution u of
    the vacuum Laplace problem, int_surface du/dn phi_i = -int_vacuum grad u . grad phi_i (n out
    of the bodies). It is a patch average over the mesh scale, as accurate as the solution's
    energy where a pointwise P2/P3 gradient at the surface is not (measured on a sphere at
    h = R/10 with P3: 0.3% against 1%; the totals to 1e-6)."""

    def __init__(self, domain: Domain):
        self.domain = domain
        self.space = fem.functionspace(domain.mesh, ("Lagrange", 1))
        self.test = ufl.TestFunction(self.space)
        self.mass = assemble_rhs(fem.form(self.test("+") * domain.dS(domain.body_tags)))
        size = self.space.dofmap.index_map.size_local
        self.nodes = []  # owned P1 surface nodes of each body
        for tag in domain.body_tags:
            dofs = fem.locate_dofs_topological(self.space, 2, domain.surface_facets(tag))
            self.nodes.append(dofs[dofs < size])
        self.all_nodes = np.concatenate(self.nodes)

    def lumped(self, form: ufl.Form, name: str) -> fem.Function:
        """The nodal values of ``form`` (linear in ``self.test``) over the lumped mass."""
        vector = assemble_rhs(fem.form(form))
        values = fem.Function(self.space, name=name)
        nodes = self.all_nodes
        values.x.array[nodes] = vector.array[nodes] / self.mass.array[nodes]
        values.x.scatter_forward()
        vector.destroy()
        return values

    def mean_curvature(self) -> fem.Function:
        """H = (k1 + k2)/2 at the surface nodes, per lambda (> 0 where convex), from the
        surface divergence theorem: int div_S(phi_i e_c) dA = int 2 H n_c phi_i dA."""
        domain = self.domain
        vector = fem.functionspace(domain.mesh, ("Lagrange", 1, (3,)))
        test = ufl.TestFunction(vector)
        n_body = body_normal(domain)
        tangential = ufl.Identity(3) - ufl.outer(n_body, n_body)
        surfaces = domain.dS(domain.body_tags)
        curvature = assemble_rhs(fem.form(ufl.tr(tangential * ufl.grad(test)("+")) * surfaces))
        normal = assemble_rhs(fem.form(ufl.dot(n_body, test("+")) * surfaces))
        nodes = self.all_nodes
        Hn = curvature.array.reshape(-1, 3)[nodes] / self.mass.array[nodes, None]
        n = normal.array.reshape(-1, 3)[nodes]
        n /= np.linalg.norm(n, axis=1)[:, None]
        H = fem.Function(self.space, name="H")
        H.x.array[nodes] = 0.5 * np.einsum("ij,ij->i", Hn, n)
        H.x.scatter_forward()
        curvature.destroy()
        normal.destroy()
        return H

    def integrals(self, values: np.ndarray) -> np.ndarray:
        """Lumped surface integral of P1 nodal ``values`` per body (lambda^2 units)."""
        local = [float(np.dot(values[nodes], self.mass.array[nodes])) for nodes in self.nodes]
        return np.array(self.domain.comm.allreduce(np.array(local), op=MPI.SUM))


@dataclass
class Conductors:
    """The bodies as a system of conductors with their screening layers (lengths in lambda)."""

    potentials: list[fem.Function]  # psi_j: 1 + O(lambda/L) on body j, O(lambda/L) on the others
    normal_derivatives: list[fem.Function]  # dpsi_j/dn on the surfaces (P1, lumped), 1/lambda
    capacitance: np.ndarray  # F
    profile: fem.Function  # v_s: the screening profile at the surface (P1)
    decay: fem.Function  # k: the layer decays as exp(-k depth/lambda) (P1 on the surfaces)
    curvature: fem.Function  # mean curvature H, 1/lambda (P1 on the surfaces)
    # chi_b: the layers' answer to the potential P_b of rho0_b = 1 (V per C/m^3), which the
    # other bodies screen like an external potential; bulk value -P_b in the others, 0 in b
    external: list[fem.Function] = field(default_factory=list)
    # d(chi_b + P_b)/dn on the other bodies, dchi_b/dn on body b (P1, lumped), V per C/m^3/lambda
    external_derivatives: list[fem.Function] = field(default_factory=list)
    external_charge: np.ndarray | None = None  # [m, b]: layer charge of m per unit rho0_b, m^3
    # D_j: the far-field correction for a unit net charge of body j at its centroid (V per C;
    # zero for a neutral body or one at the domain's centre), its dD/dn (P1, lumped, per lambda)
    # and the layer charges it induces, [m, j] (C per C)
    far_field: list[fem.Function] = field(default_factory=list)
    far_field_derivatives: list[fem.Function] = field(default_factory=list)
    far_field_charge: np.ndarray | None = None


def decay_rate(H: np.ndarray) -> np.ndarray:
    """The layer's decay rate k (per lambda) at mean curvature H: inside, v'' - 2H v' = v gives
    k = 1 - H to first order (exactly coth(R) - 1/R for a sphere). Where H > 1/2 (a radius of
    curvature below 2 lambda: edges, tips, where the thin layer does not hold) it continues as
    1/(4H), which keeps it positive and C^1."""
    H = np.asarray(H, dtype=float)
    return np.where(H <= 0.5, 1.0 - H, 0.25 / np.maximum(H, 0.5))


def quadrature(form: ufl.Form, degree: int) -> ufl.Form:
    """``form`` with every integral's quadrature degree set to ``degree``. On curved P3 cells
    UFL estimates degree 10 (16 on curved facets) for a stiffness matrix, exact only for
    polynomials that the rational geometry terms are not anyway; 2p is enough and 3x faster."""
    return ufl.Form(
        [
            i.reconstruct(metadata={**i.metadata(), "quadrature_degree": degree})
            for i in form.integrals()
        ]
    )


def _vacuum_laplace(domain: Domain, space, robin: fem.Constant):
    """-lap u in the vacuum with a Robin condition on Gamma_inf. The zero term on the bodies
    keeps their nodes in the sparsity pattern, so that their Dirichlet rows get a diagonal."""
    u, w = ufl.TrialFunction(space), ufl.TestFunction(space)
    form = (
        ufl.inner(ufl.grad(u), ufl.grad(w)) * domain.dx(meshes.VACUUM)
        + robin * u * w * domain.ds(meshes.OUTER)
        + domain.constant(0.0) * u * w * domain.dx_bodies
    )
    return quadrature(form, 2 * space.ufl_element().embedded_superdegree)


def impedance_solver(
    case: Case, domain: Domain, space, k: fem.Function, stats
) -> tuple[SPDSolver, fem.Function, list[np.ndarray]]:
    """The layers' exterior problem: -lap u = 0 in the vacuum, du/dn = (k/lambda) u + data on
    the body surfaces, Robin on Gamma_inf; the bulk dofs of each body (returned) are held at the
    values of the returned function, set before each solve."""
    bulk = bulk_dofs(domain, space)
    g = fem.Function(space)
    bc = fem.dirichletbc(g, np.concatenate(bulk))
    u, w = ufl.TrialFunction(space), ufl.TestFunction(space)
    impedance = k("+") * u("+") * w("+") * domain.dS(domain.body_tags)
    a = _vacuum_laplace(domain, space, domain.robin) + quadrature(
        impedance, 2 * space.ufl_element().embedded_superdegree
    )
    return SPDSolver(a, "conductor", case.solver, stats, bcs=[bc]), g, bulk


def solve_conductors(
    case: Case,
    domain: Domain,
    space,
    flux: SurfaceFlux,
    stats,
    sources: list[fem.Function] | None = None,
    centroids: np.ndarray | None = None,
    charged: np.ndarray | None = None,
) -> Conductors:
    """psi_j for every body j: harmonic in the vacuum with the layer's impedance condition
    dpsi_j/dn = (k/lambda)(psi_j - delta_jm) on body m (the exponential layer inside, matched to
    first order in lambda/L), Robin dpsi/dn + psi/R_out = 0 on Gamma_inf. For k -> infinity
    psi_j is the conductor potential w_j (1 on body j, 0 on the others).

    With ``sources`` (P_b: the potential of rho0_b = 1 in body b, zero at infinity), also chi_b,
    the layers' answer to P_b as an external potential of the other bodies: harmonic in the
    vacuum, d(chi_b + P_b)/dn = (k/lambda)(chi_b + P_b) on every body m != b and dchi_b/dn =
    (k/lambda) chi_b on body b (docs/formulation.md section 1, several bodies). Weakly, the data
    is int_m (dP_b/dn - k P_b) w dA, dP_b/dn taken as the consistent flux from inside body m,
    int_{Omega_m} grad P_b . grad w dx (P_b is harmonic there). P_b obeys the monopole Robin
    condition about its body's centroid c_b, beta_b = (x - c_b).n/|x - c_b|^2; chi_b gets the
    data -int (1/R_out - beta_b) P_b w on Gamma_inf, so that the total potential P_b + chi_b
    (like the psi_j) obeys the one about the domain's centre. And D_j for each ``charged`` body
    off the centre: the same exterior problem (dD/dn = (k/lambda) D on the bodies) with the
    data int g_j w on Gamma_inf, g_j = (d/dn + 1/R_out) G_j, G_j = 1/(4 pi eps0 |x - c_j|) the
    potential of a unit charge at the centroid: with Q_j D_j added, the far field of a charged
    body's monopole is exact where it sits, as in the full model (docs/formulation.md 1.5)."""
    lam = domain.lambda_m
    H = flux.mean_curvature()
    k = fem.Function(flux.space, name="k")
    k.x.array[flux.all_nodes] = decay_rate(H.x.array[flux.all_nodes])
    k.x.scatter_forward()
    # The bulk of the bodies takes no part; it is set to psi_j's constant there (1 in body j,
    # 0 in the others), so that psi_j and the potential of the layers are smooth in the bodies.
    solver, g, bulk = impedance_solver(case, domain, space, k, stats)
    w = ufl.TestFunction(space)
    potentials, derivatives = [], []
    test = flux.test
    rhs = None
    for j, (name, tag) in enumerate(zip(domain.body_names, domain.body_tags, strict=True)):
        g.x.array[:] = 0.0
        g.x.array[bulk[j]] = 1.0
        rhs = dirichlet_rhs(solver, fem.form(k("+") * w("+") * domain.dS(tag)), rhs)
        psi = solver.solve(rhs, f"conductor potential {name}")
        potentials.append(psi)
        derivatives.append(
            flux.lumped(
                k("+") * psi("+") * test("+") * domain.dS(domain.body_tags)
                - k("+") * test("+") * domain.dS(tag),
                f"dpsi/dn {name}",
            )
        )
    external, external_derivatives = [], []
    degree = 2 * space.ufl_element().embedded_superdegree
    mesh = domain.mesh
    centroid = fem.Constant(mesh, np.zeros(3))
    r = ufl.SpatialCoordinate(mesh) - centroid
    mismatch = domain.robin - ufl.dot(r, ufl.FacetNormal(mesh)) / ufl.dot(r, r)
    centre = np.array(domain.report.center)
    for b, name in enumerate(domain.body_names if sources is not None else []):
        others = [t for m, t in enumerate(domain.body_tags) if m != b]
        P = sources[b]
        centroid.value = centroids[b]
        g.x.array[:] = 0.0
        for m in range(len(bulk)):
            if m != b:
                g.x.array[bulk[m]] = -P.x.array[bulk[m]]
        terms = []
        if others:
            terms.append(ufl.inner(ufl.grad(P), ufl.grad(w)) * domain.dx(tuple(others)))
            terms.append(-k("+") * P("+") * w("+") * domain.dS(tuple(others)))
        if np.linalg.norm(centroids[b] - centre) > 1e-9 * domain.outer_radius:
            terms.append(-mismatch * P * w * domain.ds(meshes.OUTER))
        data = fem.form(quadrature(sum(terms[1:], terms[0]), degree)) if terms else None
        rhs = dirichlet_rhs(solver, data, rhs)
        chi = solver.solve(rhs, f"layers screening rho0 of {name}")
        external.append(chi)
        layer = k("+") * chi("+") * test("+") * domain.dS(domain.body_tags)
        if others:
            layer = layer + k("+") * P("+") * test("+") * domain.dS(tuple(others))
        external_derivatives.append(flux.lumped(layer, f"dchi/dn {name}"))
    far_field, far_field_derivatives = [], []
    unit_charge = 1.0 / (4.0 * math.pi * EPS_0 * lam * ufl.sqrt(ufl.dot(r, r)))  # V per C
    for m, name in enumerate(domain.body_names if sources is not None else []):
        centroid.value = centroids[m]
        g.x.array[:] = 0.0
        data = None
        if charged[m] and np.linalg.norm(centroids[m] - centre) > 1e-9 * domain.outer_radius:
            data = fem.form(
                quadrature(unit_charge * mismatch * w * domain.ds(meshes.OUTER), degree)
            )
        rhs = dirichlet_rhs(solver, data, rhs)
        D = solver.solve(rhs, f"far field of the charge of {name}")
        far_field.append(D)
        layer = k("+") * D("+") * test("+") * domain.dS(domain.body_tags)
        far_field_derivatives.append(flux.lumped(layer, f"dD/dn {name}"))
    solver.destroy()
    rhs.destroy()

    # C_mj = -eps0 lambda int_m dpsi_j/dn dA (lambda^2 dA_lambda, dpsi/dn per lambda).
    capacitance = np.array([-EPS_0 * lam * flux.integrals(d.x.array) for d in derivatives]).T
    external_charge = np.array(
        [-EPS_0 * lam * flux.integrals(d.x.array) for d in external_derivatives]
    ).T
    far_field_charge = np.array(
        [-EPS_0 * lam * flux.integrals(d.x.array) for d in far_field_derivatives]
    ).T
    profile = fem.Function(flux.space, name="v_s")  # v = 1 - sum_j psi_j: -dv/dn / k
    nodes = flux.all_nodes
    profile.x.array[nodes] = -sum(d.x.array[nodes] for d in derivatives) / k.x.array[nodes]
    profile.x.scatter_forward()
    return Conductors(
        potentials,
        derivatives,
        capacitance,
        profile,
        k,
        H,
        external=external,
        external_derivatives=external_derivatives,
        external_charge=external_charge,
        far_field=far_field,
        far_field_derivatives=far_field_derivatives,
        far_field_charge=far_field_charge,
    )


def _field_traces(
    domain: Domain, surface: Surface, flux: SurfaceFlux, potential: fem.Function, body: int
) -> tuple[np.ndarray, np.ndarray]:
    """E0 and (grad E0) n at the surface samples (body side) for the potential of rho0 = 1 in
    ``body``, V/m and V/m per lambda.

    Pointwise, the P3 gradient at the surface is off by about 0.5% at h = R/10, and its
    derivative in the surface cells by tens of percent: too much for E_max. So the normal
    component of E0 is Gauss's law on the body side in the consistent (lumped) form,
    -(1/lambda) [int grad phi0 . grad phi_i - int (lambda^2 rho0/eps0) phi_i] / int phi_i, and
    grad E0 is averaged over the body cells around each P1 node, int grad E0 phi_i dx / int phi_i
    dx (E0 is smooth there; measured within 4% of a finite difference where the pointwise
    value is 70% off)."""
    mesh, lam = domain.mesh, domain.lambda_m
    test = flux.test
    source = domain.constant(lam**2 / EPS_0)
    E_n = flux.lumped(
        domain.constant(-1.0 / lam)
        * (
            ufl.inner(ufl.grad(potential), ufl.grad(test)) * domain.dx_bodies
            - source * test * domain.dx(domain.body_tags[body])
        ),
        "E0.n",
    )
    E0 = electric_field(domain, potential)
    tensors = fem.functionspace(mesh, ("Lagrange", 1, (3, 3)))
    patch = assemble_rhs(
        fem.form(ufl.inner(ufl.grad(E0), ufl.TestFunction(tensors)) * domain.dx_bodies)
    )
    volume = assemble_rhs(fem.form(test * domain.dx_bodies))
    gradient = fem.Function(tensors, name="grad E0")
    size = len(volume.array)
    weights = np.where(volume.array > 0.0, volume.array, 1.0)
    gradient.x.array[: 9 * size] = (patch.array.reshape(-1, 9) / weights[:, None]).ravel()
    gradient.x.scatter_forward()
    patch.destroy()
    volume.destroy()
    n = surface.n
    E = surface.values(mesh, E0)
    E += (surface.values(mesh, E_n) - np.einsum("fpi,fpi->fp", E, n))[..., None] * n
    Gn = np.einsum("fpij,fpj->fpi", surface.values(mesh, gradient), n)
    return E, Gn


def bulk_dofs(domain: Domain, space: fem.FunctionSpace) -> list[np.ndarray]:
    """Per body, the dofs of ``space`` inside it and on no body surface: the bulk, which the
    thin-layer vacuum problems fix."""
    inside = [fem.locate_dofs_topological(space, 3, domain.body_cells(t)) for t in domain.body_tags]
    surface = np.concatenate([domain.surface_dofs(space, t) for t in domain.body_tags])
    return [np.setdiff1d(dofs, surface).astype(np.int32) for dofs in inside]


def body_normal(domain: Domain) -> ufl.core.expr.Expr:
    """The outward normal of the bodies on their surfaces (interior facets): the normal of the
    body side."""
    indicator = domain.body_indicator
    normal = ufl.FacetNormal(domain.mesh)
    return indicator("+") * normal("+") + indicator("-") * normal("-")


def layer_field_max(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, rate: np.ndarray, d_max: float, chunk: int = 4096
) -> tuple[np.ndarray, np.ndarray]:
    """max over 0 <= d <= d_max of |a - d b + exp(-rate d) c| for each row of the (m, 3) arrays
    (rate: (m,)), and where: a grid, then golden-section refinement around the best grid
    point."""
    grid = np.linspace(0.0, d_max, 49)
    best, where = np.zeros(len(a)), np.zeros(len(a))

    def magnitude(d, a, b, c, k):
        return np.linalg.norm(a - d[..., None] * b + np.exp(-k * d)[..., None] * c, axis=-1)

    ratio = 0.5 * (math.sqrt(5.0) - 1.0)
    for start in range(0, len(a), chunk):
        rows = slice(start, start + chunk)
        A, B, Cc, K = a[rows, None, :], b[rows, None, :], c[rows, None, :], rate[rows, None]
        values = magnitude(grid[None, :], A, B, Cc, K)
        i = np.argmax(values, axis=1)
        lo, hi = grid[np.maximum(i - 1, 0)], grid[np.minimum(i + 1, len(grid) - 1)]
        A, B, Cc, K = a[rows], b[rows], c[rows], rate[rows]
        for _ in range(40):  # golden section: the bracket shrinks to 1e-8 of the grid step
            d1, d2 = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
            left = magnitude(d1, A, B, Cc, K) > magnitude(d2, A, B, Cc, K)
            hi = np.where(left, d2, hi)
            lo = np.where(left, lo, d1)
        d = 0.5 * (lo + hi)
        refined = magnitude(d, A, B, Cc, K)
        on_grid = values[np.arange(len(i)), i]
        better = refined >= on_grid
        best[rows] = np.where(better, refined, on_grid)
        where[rows] = np.where(better, d, grid[i])
    return best, where


@dataclass
class ThinLayerSolution:
    """The thin-layer charge sector, SI (positions in lambda). Surface arrays are per sample:
    (facets, 6) for scalars, (facets, 6, 3) for vectors, on this rank's owned facets."""

    domain: Domain
    space: fem.FunctionSpace
    surface: Surface
    conductors: Conductors
    rho0: np.ndarray  # per body, C/m^3
    layer_charge: np.ndarray  # q_k = Q_k - rho0_k |Omega_k|, C
    layer_potential: np.ndarray  # C_k, V: phi0's shift in body k (Eq. 23's constant)
    volumes: np.ndarray  # lambda^3
    areas: np.ndarray  # lambda^2
    phi0_free: fem.Function  # V: the uniform rho0 of all bodies, zero at infinity
    phi_layer: fem.Function  # V: eta, the layers' potential (C_m - the others' phi0 in body m)
    sigma: np.ndarray  # layer charge per area, C/m^2
    rho_surface: np.ndarray  # rho at the surface, C/m^3
    E0: np.ndarray  # E0 of the body's own rho0 at its surface (body side), V/m
    E_layer: np.ndarray  # E - E0 just under the surface: (sigma/eps0) n - grad_t Phi_s, V/m
    E_max: np.ndarray  # max over depth of |E| under each sample, V/m
    E_max_depth: np.ndarray  # where, lambda
    depth_limit: np.ndarray  # the depth searched, per body, lambda
    sharp: np.ndarray  # (facets, 6) bool: sample on a sharp edge or corner
    surface_means: np.ndarray  # area mean of rho over each body's surface, C/m^3
    decay: np.ndarray  # k per sample: the layer decays as exp(-k depth/lambda)
    phi0_bodies: list[fem.Function] = field(default_factory=list)  # V: phi0^(m), own rho0_m
    # closure -> rho0 per body (C/m^3), each body alone, neutral, without a field
    rho0_by_closure: dict[str, np.ndarray] = field(default_factory=dict)
    stats: SolveStats = field(default_factory=SolveStats)
    field_response: object = None  # thinlayer_electric.LayerFieldResponse with an applied E_a

    def electric_field(self, potential) -> ufl.core.expr.Expr:
        return electric_field(self.domain, potential)

    def density_scale(self) -> np.ndarray:
        """1/(lambda k) per sample: rho_s = sigma * this (the layer sigma = int rho_s
        exp(-k d/lambda) (1 - 2 H d) dd to first order)."""
        return 1.0 / (self.domain.lambda_m * self.decay)


def _sharp_samples(surface: Surface) -> np.ndarray:
    """Samples at facet vertices where the normals of the facets that meet there differ by
    more than SHARP_EDGE_DEGREES (this rank's facets)."""
    sharp = np.zeros(surface.x.shape[:2], dtype=bool)
    if len(surface.x) == 0:
        return sharp
    x = surface.x[:, :3].reshape(-1, 3)
    n = surface.n[:, :3].reshape(-1, 3)
    scale = max(float(np.abs(x).max()), 1.0)
    _, group = np.unique(np.round(x / (1e-9 * scale)), axis=0, return_inverse=True)
    group = group.ravel()
    mean = np.zeros((group.max() + 1, 3))
    np.add.at(mean, group, n)
    mean /= np.maximum(np.linalg.norm(mean, axis=1), 1e-300)[:, None]
    cosine = np.einsum("ij,ij->i", n, mean[group])
    worst = np.ones(len(mean))
    np.minimum.at(worst, group, cosine)
    # the normals at a vertex spread over at least the angle each makes with their mean
    sharp[:, :3] = (worst[group] < math.cos(math.radians(0.5 * SHARP_EDGE_DEGREES))).reshape(-1, 3)
    return sharp


def _tangential_gradients(
    domain: Domain, surface: Surface, flux: SurfaceFlux, functions: list[fem.Function]
) -> list[np.ndarray]:
    """The tangential gradient of each function's trace at the surface samples, per lambda:
    (f, 6, 3) each. Lumped on the P1 surface nodes like the fluxes (int grad_S f phi_i dA /
    int phi_i dA): the pointwise P3 value carries the trace's noise at the vertices, about
    2e-3 of the normal layer field on a sphere at h = R/10 where the exact value is zero; the
    patch average 10 times less. One compiled form serves all (values copied in turn)."""
    mesh = domain.mesh
    vector = fem.functionspace(mesh, ("Lagrange", 1, (3,)))
    test = ufl.TestFunction(vector)
    work = fem.Function(functions[0].function_space)
    n = body_normal(domain)
    surface_gradient = (ufl.Identity(3) - ufl.outer(n, n)) * ufl.grad(work)("+")
    degree = 2 * work.function_space.ufl_element().embedded_superdegree
    form = fem.form(
        quadrature(ufl.dot(surface_gradient, test("+")) * domain.dS(domain.body_tags), degree)
    )
    nodes = flux.all_nodes
    mass = flux.mass.array[nodes, None]
    lumped = fem.Function(vector)
    values, out, assembled = lumped.x.array.reshape(-1, 3), [], None
    for f in functions:
        work.x.array[:] = f.x.array
        assembled = assemble_rhs(form, assembled)
        values[:] = 0.0
        values[nodes] = assembled.array.reshape(-1, 3)[nodes] / mass
        lumped.x.scatter_forward()
        out.append(surface.values(mesh, lumped))
    if assembled is not None:
        assembled.destroy()
    return out


def solve_thin_layer(case: Case, domain: Domain) -> ThinLayerSolution:
    """The thin-layer charge sector for every body of the case (docs/formulation.md section 1:
    each body's rho0 screens its own potential phi0^(m) only; the other bodies' rho0 is an
    external potential to it, screened by its layer)."""
    material, spec = case.material, case.charge
    stats = SolveStats()
    lam = domain.lambda_m
    order = domain.report.order
    mesh, comm = domain.mesh, domain.comm
    V = fem.functionspace(mesh, ("Lagrange", order))
    names = domain.body_names
    n = len(names)
    log.info(
        "thin-layer charge sector: P%d, %d dofs (lambda is not resolved: the layer is analytic)",
        order,
        V.dofmap.index_map.size_global,
    )
    surface = body_surface(domain)
    flux = SurfaceFlux(domain)
    mine = [surface.body == b for b in range(n)]

    # P_b: the potential of rho0 = 1 in body b alone, zero at infinity (phi0^(b) = rho0_b P_b).
    # Its Robin condition on Gamma_inf is the monopole's about body b's centroid c_b,
    # dP/dn + P (x - c_b).n/|x - c_b|^2 = 0. About the domain's centre, an off-centre body's
    # P_b carries the truncation's spurious dipole field, which is part of its own E0 and so
    # not screened: measured 2e-3 E_m at the centres of two spheres R = 30 lambda, 100 apart
    # (far_field = 3), 1e-6 E_m with the centroid.
    weights = BodyWeights(domain, V)
    volumes, areas = weights.volumes(), weights.areas()
    u, w = ufl.TrialFunction(V), ufl.TestFunction(V)
    x = ufl.SpatialCoordinate(mesh)
    centroid = fem.Constant(mesh, np.zeros(3))
    r, normal = x - centroid, ufl.FacetNormal(mesh)
    poisson_about = quadrature(
        ufl.inner(ufl.grad(u), ufl.grad(w)) * domain.dx
        + ufl.dot(r, normal) / ufl.dot(r, r) * u * w * domain.ds(meshes.OUTER),
        2 * order,
    )
    body_centroids = centroids(domain)
    poisson = None
    unit_potentials = []
    for b, name in enumerate(names):
        centroid.value = body_centroids[b]
        if poisson is None:
            poisson = SPDSolver(poisson_about, "poisson", case.solver, stats)
        else:
            poisson.reassemble(poisson_about)
        rhs = weights.volume[b].copy()
        rhs.scale(lam**2 / EPS_0)  # -lap~ phi = (lambda^2/eps0) rho in lambda units
        unit_potentials.append(poisson.solve(rhs, f"phi0 for rho0({name}) = 1"))
        rhs.destroy()
    poisson.destroy()
    weights.destroy()
    charges = np.array([b.net_charge for b in case.geometry.bodies])
    conductors = solve_conductors(
        case, domain, V, flux, stats, unit_potentials, body_centroids, charges != 0.0
    )
    decay = surface.values(mesh, conductors.decay)

    # E0 under the surface of body m is that of body m's own rho0 (its bulk field): per unit
    # rho0_m, at body m's samples, with (grad E0) n for E0(x - d n) = E0(x) - d (grad E0) n.
    E0_unit, gradient_unit = np.zeros_like(surface.n), np.zeros_like(surface.n)
    for b in range(n):
        E0, Gn = _field_traces(domain, surface, flux, unit_potentials[b], b)
        E0_unit[mine[b]], gradient_unit[mine[b]] = E0[mine[b]], Gn[mine[b]]

    # The layer of body m carries Phi_s = phi - phi0^(m) - C_m at its surface: sum_j C_j
    # (psi_j - delta_jm) + sum_b rho0_b (chi_b + [b != m] P_b). Its normal derivative (k/lambda)
    # Phi_s gives sigma = -eps0 dPhi/dn, its tangential gradient the layer's tangential field.
    dpsi = [surface.values(mesh, d) for d in conductors.normal_derivatives]
    dchi = [surface.values(mesh, d) for d in conductors.external_derivatives]
    dD = [surface.values(mesh, d) for d in conductors.far_field_derivatives]
    traces = _tangential_gradients(
        domain,
        surface,
        flux,
        conductors.potentials + conductors.external + unit_potentials + conductors.far_field,
    )
    tpsi, tchi, tP, tD = (traces[i * n : (i + 1) * n] for i in range(4))
    tchi = [t + np.where(mine[b][:, None, None], 0.0, tP[b]) for b, t in enumerate(tchi)]

    cinv = np.linalg.inv(conductors.capacitance)
    depth_limit = np.minimum(MAX_DEPTH, np.maximum(2.0, 1.5 * volumes / areas))  # ~ half thickness

    def constants(rho0: np.ndarray, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The layer charges q = Q - rho0 |Omega| and the constants C of Eq. 23 (V) that give
        them: q = capacitance C + external_charge rho0 + far_field_charge Q."""
        q = Q - rho0 * volumes * lam**3
        rest = conductors.external_charge @ rho0 + conductors.far_field_charge @ Q
        return q, cinv @ (q - rest)

    def layer_state(rho0: np.ndarray, Q: np.ndarray = charges):
        q, C = constants(rho0, Q)
        normal = sum(c * d for c, d in zip(C, dpsi, strict=True))
        normal = normal + sum(r * d for r, d in zip(rho0, dchi, strict=True))
        normal = normal + sum(c * d for c, d in zip(Q, dD, strict=True))
        sigma = (-EPS_0 / lam) * normal
        tangential = sum(c * t for c, t in zip(C, tpsi, strict=True))
        tangential = tangential + sum(r * t for r, t in zip(rho0, tchi, strict=True))
        tangential = tangential + sum(c * t for c, t in zip(Q, tD, strict=True))
        E_layer = (sigma / EPS_0)[..., None] * surface.n - tangential / lam
        own = rho0[surface.body][:, None, None]
        return q, C, sigma, own * E0_unit, own * gradient_unit, E_layer

    def field_maxima(state, m: int | None = None):
        """max over depth of |E| at each sample (of body m only, if given), and where."""
        _, _, sigma, E0, Gn, E_layer = state
        rows = np.ones(len(surface.body), dtype=bool) if m is None else mine[m]
        limit = depth_limit[surface.body[rows]]
        best, where = np.zeros(sigma[rows].shape), np.zeros(sigma[rows].shape)
        for d_max in np.unique(limit):
            sel = limit == d_max
            a, b, c = E0[rows][sel], Gn[rows][sel], E_layer[rows][sel]
            values, depths = layer_field_max(
                a.reshape(-1, 3),
                b.reshape(-1, 3),
                c.reshape(-1, 3),
                decay[rows][sel].ravel(),
                d_max,
            )
            best[sel], where[sel] = values.reshape(a.shape[:2]), depths.reshape(a.shape[:2])
        return best, where

    def surface_means(rho0: np.ndarray, Q: np.ndarray = charges) -> np.ndarray:
        """The area mean of rho = rho0 + sigma/(lambda k) over each body's surface (P1 nodes)."""
        _, C = constants(rho0, Q)
        nodes = flux.all_nodes
        pairs = zip(
            [*C, *rho0, *Q],
            conductors.normal_derivatives
            + conductors.external_derivatives
            + conductors.far_field_derivatives,
            strict=True,
        )
        normal = sum(c * d.x.array[nodes] for c, d in pairs)
        density = fem.Function(flux.space)
        density.x.array[nodes] = (-EPS_0 / lam**2) * normal / conductors.decay.x.array[nodes]
        return rho0 + flux.integrals(density.x.array) / areas

    # Closures: each body alone, neutral, without a field (rho0 is a ground-state property);
    # "alone" here is the others present, neutral, with rho0 = 0 (exact where the body's own
    # exterior field vanishes, as for any neutral body to leading order). Everything is linear
    # in rho0_m then: each closure is one division.
    axis = np.array(case.spin.axis, dtype=float)
    unit_mean, unit_field, unit_speed = np.zeros(n), np.zeros(n), np.zeros(n)
    for m in range(n):
        alone = np.eye(n)[m]
        state = layer_state(alone, np.zeros(n))
        unit_mean[m] = surface_means(alone, np.zeros(n))[m]
        unit_field[m] = global_max(comm, field_maxima(state, m)[0])  # the bulk: see below
        shift = relations.velocity_shift(state[5][mine[m]], 0.0, axis, lam, np.cross)
        unit_speed[m] = global_max(comm, np.linalg.norm(shift, axis=-1))
    # (Deeper than the layer E = E0, whose components are harmonic in a body (div E0 is
    # uniform there): |E0| is subharmonic, so its maximum over the bulk lies on the bulk's
    # boundary, the bottom of the searched depth. The layer search covers the whole body.)
    by_closure = {
        "surface-mean": material.rho_minus / unit_mean,
        "max-field": material.E_m / unit_field,
        "spin-speed": material.v_0 / unit_speed,
    }
    rho0 = np.full(n, spec.rho0) if spec.closure == "rho0" else by_closure[spec.closure]
    for m, name in enumerate(names):
        log.info(
            "  rho0(%s) = %.6g C/m^3 (closure %s; surface-mean %.6g, max-field %.6g, "
            "spin-speed %.6g)",
            name,
            rho0[m],
            spec.closure,
            *(by_closure[c][m] for c in ("surface-mean", "max-field", "spin-speed")),
        )

    state = layer_state(rho0)
    response = None
    if case.electric.active:  # the layers' answer to E_a adds (rho0 does not move)
        from giantatom.thinlayer_electric import solve_applied_field

        response = solve_applied_field(case, domain, V, flux, surface, conductors, stats)
        state = response.added_to(state)
    q, potentials, sigma, E0, _, E_layer = state
    phi0_bodies = []
    for r, P, name in zip(rho0, unit_potentials, names, strict=True):
        phi0_bodies.append(fem.Function(V, name=f"phi0 {name}"))
        phi0_bodies[-1].x.array[:] = r * P.x.array
    phi0_free = fem.Function(V, name="phi0")
    phi0_free.x.array[:] = sum(p.x.array for p in phi0_bodies)
    # The layers' potential eta, with its bulk value C_m - sum_{b != m} phi0^(b) in body m:
    # phi = phi0_free + phi_layer is phi0^(m) + C_m there.
    phi_layer = fem.Function(V, name="phi_layer")
    phi_layer.x.array[:] = sum(
        c * psi.x.array for c, psi in zip(potentials, conductors.potentials, strict=True)
    ) + sum(r * chi.x.array for r, chi in zip(rho0, conductors.external, strict=True))
    phi_layer.x.array[:] += sum(
        c * D.x.array for c, D in zip(charges, conductors.far_field, strict=True)
    )
    if response is not None:
        phi_layer.x.array[:] += response.potential.x.array
    E_max, E_max_depth = field_maxima(state)
    solution = ThinLayerSolution(
        domain=domain,
        space=V,
        surface=surface,
        conductors=conductors,
        rho0=rho0,
        layer_charge=q,
        layer_potential=potentials,
        volumes=volumes,
        areas=areas,
        phi0_free=phi0_free,
        phi_layer=phi_layer,
        sigma=sigma,
        rho_surface=np.zeros_like(sigma),
        E0=E0,
        E_layer=E_layer,
        E_max=E_max,
        E_max_depth=E_max_depth,
        depth_limit=depth_limit,
        sharp=_sharp_samples(surface),
        surface_means=np.zeros(n),
        decay=decay,
        phi0_bodies=phi0_bodies,
        rho0_by_closure=by_closure,
        stats=stats,
    )
    solution.rho_surface = rho0[surface.body][:, None] + sigma * solution.density_scale()
    solution.surface_means = surface_means(rho0)
    if response is not None:
        solution.surface_means += response.surface_means
        solution.field_response = response
    sharp = domain.comm.allreduce(int(solution.sharp.sum()), op=MPI.SUM)
    if sharp:
        log.warning(
            "thin-layer: %d surface nodes lie on sharp edges or corners, where the conductor "
            "charge diverges; the values there are averages over the mesh scale. Round the "
            "edges (fillet) for values that converge",
            sharp,
        )
    return solution


@dataclass
class ThinLayerSpin:
    """v_sigma - v_sigma0 and v_sigma at the surface samples, m/s, per spin (up, down);
    ``field`` holds the same with the applied field's A, when there is one."""

    axis: np.ndarray
    v: tuple[np.ndarray, np.ndarray]
    v_total: tuple[np.ndarray, np.ndarray]
    v_field: tuple[np.ndarray, np.ndarray] | None = None
    v_total_field: tuple[np.ndarray, np.ndarray] | None = None


def reference_velocity(sol: ThinLayerSolution, sigma_axis: np.ndarray, n_s: float) -> np.ndarray:
    """v_sigma0 = (c/(e n_s)) rho0 sigma x grad d at the surface, where grad d = -n (d the depth
    below the body's surface; docs/formulation.md section 3: Eq. 61 for a sphere and a
    cylinder, tangential at the surface of any body), m/s."""
    rho0 = sol.rho0[sol.surface.body][:, None, None]
    return (-C_LIGHT / (E_CHARGE * n_s)) * rho0 * np.cross(sigma_axis, sol.surface.n)


def solve_spin(
    sol: ThinLayerSolution, case: Case, vector_potential: np.ndarray | None
) -> ThinLayerSpin:
    """The spin velocities at the surface from E - E0 (and A) in the layer (giantatom.spin)."""
    axis = np.array(case.spin.axis)
    lam, n_s = sol.domain.lambda_m, case.material.n_s
    zero = np.zeros_like(sol.E_layer)

    def speeds(A):
        v = tuple(
            relations.velocity_shift(sol.E_layer, A, s * axis, lam, np.cross) for s in (1.0, -1.0)
        )
        total = tuple(
            vi + reference_velocity(sol, s * axis, n_s)
            for vi, s in zip(v, (1.0, -1.0), strict=True)
        )
        return v, total

    v, v_total = speeds(zero)
    result = ThinLayerSpin(axis=axis, v=v, v_total=v_total)
    if vector_potential is not None:
        result.v_field, result.v_total_field = speeds(vector_potential)
    return result


@dataclass
class ThinLayerMagnetic:
    """The perfect diamagnet with its London layer."""

    applied: np.ndarray  # T
    potentials: list[fem.Function]  # psi_i for a unit field along e_i, lambda
    B_t: np.ndarray  # surface field (tangential), T, per sample
    center: np.ndarray  # moment origin, lambda
    moment_leading: np.ndarray  # (bodies, 3) A m^2, perfect diamagnet
    moment: np.ndarray  # (bodies, 3) A m^2, with the first-order penetration correction
    polarizability: np.ndarray  # (3, 3) A m^2 / T, all bodies, corrected
    holes: list = field(default_factory=list)  # fluxoid.HoleOnMesh of every body
    currents: np.ndarray = field(default_factory=lambda: np.zeros(0))  # I_k around each hole, A
    ring_fields: list = field(default_factory=list)  # b_k = b0_k - grad chi_k, T per A
    inductance: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # corrected, H
    hole_tables: list = field(default_factory=list)  # [body][hole]: summary of each hole

    def field(self) -> ufl.core.expr.Expr:
        """B outside the bodies, T (meaningful in the vacuum)."""
        return (
            ufl.as_vector(list(self.applied))
            - sum(
                float(b) * ufl.grad(p) for b, p in zip(self.applied, self.potentials, strict=True)
            )
            + sum(
                (float(i) * b for i, b in zip(self.currents, self.ring_fields, strict=True)),
                ufl.as_vector([0.0, 0.0, 0.0]),  # a body without holes: no ring fields
            )
        )

    def surface_current(self, normals: np.ndarray) -> np.ndarray:
        """K = n x B_t / mu0, A/m (the Meissner current integrated over depth)."""
        return np.cross(normals, self.B_t) / MU_0

    def vector_potential(self, normals: np.ndarray, lambda_m: float) -> np.ndarray:
        """A at the surface (London gauge), T m."""
        return -lambda_m * np.cross(normals, self.B_t)


def solve_magnetic(case: Case, sol: ThinLayerSolution) -> ThinLayerMagnetic:
    """Perfect-diamagnet exterior problem for unit fields along x, y, z, and the layer."""
    domain, V = sol.domain, sol.space
    mesh, lam = domain.mesh, domain.lambda_m
    applied = np.array(case.magnetic.applied_field, dtype=float)
    log.info("thin-layer magnetic sector: perfect diamagnet, B = %s T", applied)
    # Only the vacuum carries psi: the nodes inside the bodies (not on their surfaces) are fixed.
    bc = fem.dirichletbc(0.0, np.concatenate(bulk_dofs(domain, V)), V)
    solver = SPDSolver(
        _vacuum_laplace(domain, V, domain.constant(2.0 / domain.outer_radius)),  # dipole decay
        "diamagnet",
        case.solver,
        sol.stats,
        bcs=[bc],
    )
    n_body = body_normal(domain)
    w = ufl.TestFunction(V)
    direction = fem.Constant(mesh, np.zeros(3))
    rhs_form = fem.form(-ufl.dot(direction, n_body) * w("+") * domain.dS(domain.body_tags))
    potentials, rhs = [], None
    for i, axis in enumerate("xyz"):
        direction.value = np.eye(3)[i]
        rhs = dirichlet_rhs(solver, rhs_form, rhs)
        potentials.append(solver.solve(rhs, f"psi for a unit B along {axis}"))
    # The ring current around each hole: b = b0 - grad chi per ampere, b . n = 0 on the bodies.
    holes = fluxoid.located_holes(case, domain)
    ring_fields = []
    if holes:
        vectors = fem.functionspace(mesh, ("Lagrange", V.ufl_element().embedded_superdegree, (3,)))
        vacuum = domain.cell_tags.find(meshes.VACUUM)
        for hole in holes:
            center, radius = fluxoid.loop(domain, hole)
            log.info(
                "  hole %s: fluxoid %d Phi_0; ring current on a circle of radius %.4g lambda",
                hole.name,
                hole.fluxoid,
                radius,
            )
            b0 = fem.Function(vectors, name=f"b0 {hole.name}")
            b0.interpolate(
                fluxoid.circle_field(center, hole.axis, radius, MU_0 / (4.0 * math.pi * lam)),
                cells0=vacuum,
            )
            b0.x.scatter_forward()
            load = fem.form(-ufl.dot(b0("+"), n_body) * w("+") * domain.dS(domain.body_tags))
            rhs = dirichlet_rhs(solver, load, rhs)
            chi = solver.solve(rhs, f"chi for the ring current of {hole.name}")
            ring_fields.append(b0 - ufl.grad(chi))
    solver.destroy()
    rhs.destroy()

    # Surface fields for the unit fields: the tangential part of e_i - grad psi_i, which only
    # depends on psi's trace, so the body-side cell gives it.
    n_cell = ufl.FacetNormal(mesh)
    tangential = ufl.Identity(3) - ufl.outer(n_cell, n_cell)
    units = [fem.Constant(mesh, e) for e in np.eye(3)]  # constants: one compiled kernel for all
    unit_fields = [
        sol.surface.values(mesh, tangential * (e - ufl.grad(p)))
        for e, p in zip(units, potentials, strict=True)
    ] + [sol.surface.values(mesh, tangential * b) for b in ring_fields]

    # Moments (lambda units in the integrals): m0 = (1/2mu0) int r x (n x B_t) dA and
    # dm_i = (lambda/mu0) int B_t(e_i) . B_t dA, per body and unit field.
    center = np.array(domain.report.center)
    r = ufl.SpatialCoordinate(mesh) - fem.Constant(mesh, center)
    fields_t = [
        ufl.dot(ufl.Identity(3) - ufl.outer(n_body, n_body), e - ufl.grad(p)("+"))
        for e, p in zip(units, potentials, strict=True)
    ] + [ufl.dot(ufl.Identity(3) - ufl.outer(n_body, n_body), b("+")) for b in ring_fields]
    # Constants pick the components and the unit fields, so two compiled forms serve them all.
    states = 3 + len(holes)  # unit B along x, y, z; unit current around each hole
    pick = fem.Constant(mesh, np.zeros(3))
    first, second = (fem.Constant(mesh, np.zeros(states)) for _ in range(2))
    B_first = sum(first[i] * fields_t[i] for i in range(states))
    B_second = sum(second[i] * fields_t[i] for i in range(states))
    nb = len(domain.body_tags)
    leading = np.zeros((nb, 3, states))  # [body, i, s]: m_i per unit state s
    correction = np.zeros((nb, states, states))  # (lambda/mu0) int s_t . s'_t dA

    def integral(form: fem.Form) -> float:
        return domain.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)

    for k, tag in enumerate(domain.body_tags):
        dS = domain.dS(tag)
        moment = fem.form(ufl.dot(pick, ufl.cross(r("+"), ufl.cross(n_body, B_second))) * dS)
        overlap = fem.form(ufl.dot(B_first, B_second) * dS)
        for j in range(states):
            second.value = np.eye(states)[j]
            for i in range(states):
                first.value = np.eye(states)[i]
                if i < 3:
                    pick.value = np.eye(3)[i]
                    leading[k, i, j] = integral(moment) * lam**3 / (2.0 * MU_0)
                if i <= j:
                    correction[k, i, j] = correction[k, j, i] = integral(overlap) * lam**3 / MU_0
    total = leading + correction[:, :3, :]
    currents, inductance = _ring_currents(domain, holes, ring_fields, leading, correction, applied)
    x = np.concatenate([applied, currents])  # the amplitudes of the states
    B_t = sum(c * f for c, f in zip(x, unit_fields, strict=True))
    log.info(
        "  moment %s A m^2 (perfect diamagnet %s; first-order penetration correction)",
        np.array2string(np.einsum("kis,s->i", total, x), precision=5),
        np.array2string(np.einsum("kis,s->i", leading, x), precision=5),
    )
    return ThinLayerMagnetic(
        applied=applied,
        potentials=potentials,
        B_t=B_t,
        center=center,
        moment_leading=np.einsum("kis,s->ki", leading, x),
        moment=np.einsum("kis,s->ki", total, x),
        polarizability=total[:, :, :3].sum(axis=0),
        holes=holes,
        currents=x[3:],
        ring_fields=ring_fields,
        inductance=inductance,
        hole_tables=[
            [
                {
                    **hole.summary(lam, case.geometry.unit_m),
                    "circulating_current_A": float(current),
                    "inductance_H": float(inductance[i, i]),
                }
                for i, (hole, current) in enumerate(zip(holes, currents, strict=True))
                if hole.body == k
            ]
            for k in range(nb)
        ],
    )


def _ring_currents(domain, holes, ring_fields, leading, correction, applied):
    """The net current around each hole (A) from the fluxoid conditions (module docstring),
    and the inductance matrix of the holes (H)."""
    if not holes:
        return np.zeros(0), np.zeros((0, 0))
    lam = domain.lambda_m
    h = len(holes)
    degree = 2 * domain.report.order
    energy = np.array(
        [
            [
                domain.integrate(
                    quadrature(
                        ufl.dot(ring_fields[k], ring_fields[j]) * domain.dx(meshes.VACUUM), degree
                    )
                )
                for j in range(h)
            ]
            for k in range(h)
        ]
    ) * (lam**3 / MU_0)
    moments = leading[:, :, 3:].sum(axis=0)  # (3, holes): the moment of each unit ring current
    radius = domain.outer_radius * lam
    tail = MU_0 * (moments.T @ moments) / (6.0 * math.pi * radius**3)
    layers = correction.sum(axis=0)
    to_field = moments.T + layers[3:, :3]  # flux through hole k per unit applied field
    inductance = energy + tail + layers[3:, 3:]
    quanta = np.array([hole.fluxoid for hole in holes]) * fluxoid.FLUX_QUANTUM
    currents = np.linalg.solve(inductance, quanta - to_field @ applied)
    for hole, current, self_l in zip(holes, currents, np.diag(inductance), strict=True):
        log.info(
            "  hole %s: fluxoid %d Phi_0, ring current %.6g A (inductance %.6g H)",
            hole.name,
            hole.fluxoid,
            current,
            self_l,
        )
    return currents, inductance


def _located_max(comm, values: np.ndarray, positions: np.ndarray) -> tuple[float, np.ndarray]:
    """Global max of per-sample ``values`` and the position (same units as ``positions``)."""
    local = (-np.inf, [np.nan] * 3)
    if values.size:
        index = np.unravel_index(np.argmax(values), values.shape)
        local = (float(values[index]), positions[index].tolist())
    value, position = max(comm.allgather(local), key=lambda t: t[0])
    return value, np.array(position)


def summarize(
    sol: ThinLayerSolution,
    case: Case,
    magnetic: ThinLayerMagnetic | None = None,
    spins: ThinLayerSpin | None = None,
) -> dict:
    """Summary sections with the keys of the full model (charge, and magnetic and spin where
    they apply), plus what is particular to the thin layer (under charge.thin_layer)."""
    domain = sol.domain
    comm, lam = domain.comm, domain.lambda_m
    surface = sol.surface
    charges = sol.rho0 * sol.volumes * lam**3 + sol.layer_charge
    means = sol.surface_means
    net_charges = [b.net_charge for b in case.geometry.bodies]
    response = sol.field_response
    bodies = []
    for m, name in enumerate(domain.body_names):
        mine = surface.body == m
        rho = sol.rho_surface[mine]
        E_layer, depth_at = sol.E_max[mine], sol.E_max_depth[mine]
        E_max = global_max(comm, E_layer)
        sharp = sol.sharp[mine]
        bodies.append(
            BodyCharge(
                name=name,
                rho0_C_m3=float(sol.rho0[m]),
                rho0_by_closure={c: float(v[m]) for c, v in sol.rho0_by_closure.items()},
                net_charge_C=float(charges[m]),
                net_charge_requested_C=net_charges[m],
                surface_rho_mean_C_m3=float(means[m]),
                surface_rho_min_C_m3=global_min(comm, rho),
                surface_rho_max_C_m3=global_max(comm, rho),
                E_max_V_m=float(E_max),
                dipole_moment_C_m=response.body_dipoles[m] if response else None,
                volume_m3=float(sol.volumes[m] * lam**3),
                area_m2=float(sol.areas[m] * lam**2),
                thin_layer={
                    "layer_charge_C": float(sol.layer_charge[m]),
                    "layer_potential_V": float(sol.layer_potential[m]),
                    "decay_rate_min_per_lambda": global_min(comm, sol.decay[mine]),
                    "decay_rate_max_per_lambda": global_max(comm, sol.decay[mine]),
                    "surface_charge_min_C_m2": global_min(comm, sol.sigma[mine]),
                    "surface_charge_max_C_m2": global_max(comm, sol.sigma[mine]),
                    "E_max_depth_m": float(_located_max(comm, E_layer, depth_at[..., None])[1][0])
                    * lam,
                    "depth_searched_m": float(sol.depth_limit[m] * lam),
                    "sharp_edge_nodes": comm.allreduce(int(sharp.sum()), op=MPI.SUM),
                },
            )
        )
        if bodies[-1].thin_layer["sharp_edge_nodes"]:
            extreme = np.where(sharp, np.abs(sol.sigma[mine]), -np.inf)
            value, where = _located_max(comm, extreme, surface.x[mine])
            bodies[-1].thin_layer["sharp_edges"] = {
                "largest_surface_charge_C_m2": value,
                "at_m": where * lam,
                "note": "the conductor charge diverges at a sharp edge: the value is its average "
                "over the mesh scale there and grows as the mesh is refined; give the edges a "
                "fillet radius for values that converge",
            }
    summary = ChargeSummary(
        electric=response.summary() if response else None,
        closure=case.charge.closure,
        **totals(bodies, sol.areas),
        constitutive_residual=0.0,  # Eq. 23 holds in the layer by construction
        phi0_shift_V=sol.layer_potential,
        solver={"iterations": sol.stats.iterations, "seconds": sol.stats.seconds},
        bodies=bodies,
        model="thin-layer",
        thin_layer={
            "E_max_at_m": _located_max(comm, sol.E_max, surface.x)[1] * lam,
            "capacitance_F": sol.conductors.capacitance,
            "formulas": {
                "rho": "rho0 + rho_s exp(-k depth/lambda), rho_s = sigma/(lambda k)",
                "k": "1 - lambda H (H mean curvature; 1/(4 lambda H) where lambda H > 1/2)",
                "phi": "sum_b phi0^(b) + eta outside; phi0^(m) + C_m in the bulk of body m "
                "(phi0^(b): body b's own uniform rho0 alone)",
                "layer": "Phi = phi - phi0^(m) - C_m = Phi_s exp(-k d/lambda) in body m; eta "
                "harmonic outside with d(eta + S_m)/dn = (k/lambda)(eta + S_m - C_m) on body m, "
                "S_m = sum_{b != m} phi0^(b) (the other bodies' rho0, external to body m)",
                "sigma": "-eps0 dPhi/dn = -eps0 (k/lambda) Phi_s, layer charge q = Q - rho0 "
                "|Omega| per body (fixes C_m)",
                "E": "E0^(m)(x - d n) + ((sigma/eps0) n - grad_t Phi_s) exp(-k d/lambda) in the "
                "layer, E0^(m) (own rho0) in the bulk",
            },
            "closures": "rho0 of each body from its own neutral solution without a field, the "
            "other bodies present, neutral, with rho0 = 0: surface-mean rho_-/<rho>, max-field "
            "E_m/max|E|, spin-speed v_0/max|v_sigma - v_sigma0| at the surface, each for "
            "rho0 = 1 (bodies[].rho0_by_closure); neighbours and net charge add linearly",
            "accuracy": "first order in lambda/L (L: radii of curvature, size): exact for a "
            "sphere up to O((lambda/R)^2); edges sharper than a few lambda are not resolved",
        },
    )
    return {
        "charge": summary.to_dict(),
        **_spin_summary(sol, case, spins),
        **_magnetic_summary(sol, magnetic),
    }


def _spin_summary(sol: ThinLayerSolution, case: Case, spins: ThinLayerSpin | None) -> dict:
    if spins is None:
        return {}
    comm = sol.domain.comm

    def largest(pair) -> list[float]:
        return [global_max(comm, np.linalg.norm(v, axis=-1)) for v in pair]

    speeds = largest(spins.v)
    summary = {
        "axis": spins.axis,
        "v_surface_max_m_s": speeds,
        "v_total_surface_max_m_s": largest(spins.v_total),
        **spin.speed_scales(case.material, max(speeds)),
        "reference_flow": "v_sigma0 = (c/(e n_s)) rho0 sigma x grad d, d the depth below the "
        "surface: -(c/(e n_s)) rho0 sigma x n at it (Eq. 61 generalised)",
        "model": "thin-layer: E - E0 = E_layer exp(-depth/lambda) in the layer, E_layer = "
        "(sigma/eps0) n to leading order; the normal part of sigma x (E - E0) and the phase "
        "term grad chi_sigma of the full model that takes it up are of higher order in "
        "lambda/L and left out",
    }
    if spins.v_field is not None:
        summary["v_surface_max_field_m_s"] = largest(spins.v_field)
        summary["v_total_surface_max_field_m_s"] = largest(spins.v_total_field)
        lam = sol.domain.lambda_m
        applied = case.magnetic.applied_field
        summary |= spin.stop_field_summary(
            comm, spins.v, spins.v_field, sol.surface.x, applied, lam
        )
    return {"spin": summary}


def _magnetic_summary(sol: ThinLayerSolution, magnetic: ThinLayerMagnetic | None) -> dict:
    if magnetic is None:
        return {}
    comm, lam = sol.domain.comm, sol.domain.lambda_m
    B_surface = np.linalg.norm(magnetic.B_t, axis=-1)
    bodies = []
    for k, name in enumerate(sol.domain.body_names):
        B_max = global_max(comm, B_surface[sol.surface.body == k])
        bodies.append(
            {
                "name": name,
                "moment_A_m2": magnetic.moment[k],
                "moment_leading_A_m2": magnetic.moment_leading[k],
                "B_max_inside_T": B_max,
                "J_max_A_m2": B_max / (MU_0 * lam),
                **({"holes": magnetic.hole_tables[k]} if magnetic.hole_tables[k] else {}),
            }
        )
    B_max = max(b["B_max_inside_T"] for b in bodies)
    return {
        "magnetic": {
            "applied_field_T": magnetic.applied,
            "moment_A_m2": magnetic.moment.sum(axis=0),
            "moment_leading_A_m2": magnetic.moment_leading.sum(axis=0),
            "moment_origin_m": magnetic.center * lam,
            "polarizability_A_m2_T": magnetic.polarizability,
            "B_max_inside_T": B_max,
            "J_max_A_m2": B_max / (MU_0 * lam),
            "model": "thin-layer: perfect diamagnet outside, B_t exp(-depth/lambda) inside; "
            "moment with the first-order penetration correction (lambda/mu0) int B_t . B_t dA",
            "fluxoid": "n Phi_0 through each hole (bodies[].holes, n from the case file, 0 = "
            "zero-field cooled): the net ring current I around it makes the flux through a "
            "surface spanning the hole, bounded deep in the body, n Phi_0 (leading order and the "
            "first-order flux in the layer)",
            "bodies": bodies,
        }
    }
