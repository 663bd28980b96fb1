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
