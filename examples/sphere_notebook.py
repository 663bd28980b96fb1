# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A superconducting sphere, from Python
#
# Hirsch's theory: a superconductor expels negative charge from its interior to a layer lambda
# deep under its surface. This notebook builds a sphere case in Python, solves it with
# `giantatom.solve` (in memory, no files), compares rho and E along a radius with the exact
# sphere of docs/formulation.md (section 1), draws the charge in 3D, and runs a small sweep
# over the radius. About half a minute on one core (`tests/test_api.py` executes it).

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pyvista

import giantatom

LAMBDA_NM = 40.0  # London depth


def sphere_case(radius: float, surface_size: float = 0.5) -> giantatom.Case:
    """A sphere of `radius` lambda, with a probe along x out to 1.5 radii (lengths in nm)."""
    R = radius * LAMBDA_NM
    text = f"""
[material]
lambda = "{LAMBDA_NM:g} nm"
[geometry]
unit = "nm"
[[geometry.body]]
shape = "sphere"
radius = {R:g}
[mesh]
surface_size = {surface_size}
layer = 2
far_field = 3
[output]
figures = []
[[probe]]
name = "radial"
start = [0, 0, 0]
end = [{1.5 * R:g}, 0, 0]
points = 151
"""
    # The case as a TOML text; Case.from_toml / Python builders come with giantatom.case.
    return giantatom.parse_case(text, Path.cwd() / f"sphere_{radius:g}.toml")


# %% [markdown]
# ## Solve
# `giantatom.log_to_console()` shows the run's log lines as the `giantatom` command prints them;
# without it the library is silent.

# %%
x = 4.0  # R / lambda
results = giantatom.solve(sphere_case(x))
s = results.summary
print(f"rho0 = {s.rho0:.5g} C/m^3, max |E| inside = {s.E_max:.4g} V/m")
print(f"mesh: {s.mesh.cells} cells, {s.mesh.dofs} dofs; fields: {', '.join(results.fields)}")

# %% [markdown]
# ## rho and E along a radius, against the exact sphere
# With r and R = x lambda in units of lambda (docs/formulation.md, section 1):
# rho(r) = rho0 [1 - x^3 sinh r / (3 r (x cosh x - sinh x))] and
# E(r) = (rho0 lambda / 3 eps0) [r - x^3 (r cosh r - sinh r) / (r^2 (x cosh x - sinh x))];
# the surface-mean closure fixes rho(R) = rho_-.

# %%
EPS_0 = 8.8541878188e-12  # F/m


# Exact sphere, inline until giantatom.exact is merged (then: from giantatom import exact).
def exact_rho(r, rho0, x):
    return rho0 * (1 - x**3 * np.sinh(r) / (3 * r * (x * np.cosh(x) - np.sinh(x))))


def exact_E(r, rho0, x, lambda_m):
    layer = x**3 * (r * np.cosh(r) - np.sinh(r)) / (r**2 * (x * np.cosh(x) - np.sinh(x)))
    return rho0 * lambda_m / (3 * EPS_0) * (r - layer)


def exact_rho0(rho_minus, x):
    """rho0 of the surface-mean closure: rho(R) = rho_-."""
    return rho_minus / (1 - x * x / (3 * (x / np.tanh(x) - 1)))


probe = results.probes["radial"]
r = probe["x"] / LAMBDA_NM  # lambda
inside = (r > 0) & (r < x)
lambda_m = s.material["lambda_m"]
rho0_exact = exact_rho0(s.material["rho_minus_C_m3"], x)
print(f"rho0: computed {s.rho0:.5g}, exact {rho0_exact:.5g} C/m^3")

fig, (ax_rho, ax_E) = plt.subplots(1, 2, figsize=(10, 3.8))
ax_rho.plot(r, probe["rho_C_m3"], label="giantatom")
ax_rho.plot(r[inside], exact_rho(r[inside], rho0_exact, x), "--", label="exact")
ax_rho.set(xlabel="r / lambda", ylabel="rho (C/m^3)")
ax_E.plot(r, probe["E_V_m"], label="giantatom")
ax_E.plot(r[inside], exact_E(r[inside], rho0_exact, x, lambda_m), "--", label="exact")
ax_E.set(xlabel="r / lambda", ylabel="|E| (V/m)")
for ax in (ax_rho, ax_E):
    ax.axvline(x, color="grey", lw=0.5)
    ax.legend()
fig.tight_layout()

error = np.abs(probe["rho_C_m3"][inside] - exact_rho(r[inside], rho0_exact, x))
print(f"largest |rho - exact| inside: {error.max() / abs(rho0_exact):.2%} of rho0")

# %% [markdown]
# ## The charge in 3D
# `results.grid()` is the field file's pyvista grid (coordinates in nm); here the sphere cut
# open at y = 0, coloured by rho. (`giantatom.figures` draws the run's pictures from the same
# Results.)

# %%
grid = results.grid()
body = grid.threshold(0.5, scalars="region")  # region: 1 in the body, 0 in the vacuum
cut = body.slice(normal="y")
plotter = pyvista.Plotter(off_screen=True, window_size=(640, 480))
plotter.add_mesh(
    cut, scalars="rho", cmap="RdBu_r", scalar_bar_args={"title": "rho (C/m^3)", "fmt": "%.3g"}
)
plotter.view_xz()
image = plotter.screenshot(return_img=True)
plotter.close()
plt.figure(figsize=(6, 4.5))
plt.imshow(image)
plt.axis("off")

# %% [markdown]
# ## A small sweep: rho0 against the radius
# Coarse meshes, three radii; rho0 tends to the large-body value as R/lambda grows.

# %%
radii = [3.0, 4.0, 5.0]
rho0 = [giantatom.solve(sphere_case(radius, surface_size=0.6)).summary.rho0 for radius in radii]
rho_minus = s.material["rho_minus_C_m3"]
for radius, value in zip(radii, rho0, strict=True):
    exact = exact_rho0(rho_minus, radius)
    deviation = value / exact - 1
    print(f"R = {radius:g} lambda: rho0 {value:.5g} C/m^3, exact {exact:.5g} ({deviation:+.2%})")

fine = np.linspace(2.5, 5.5, 50)
plt.figure(figsize=(5, 3.5))
plt.plot(fine, exact_rho0(rho_minus, fine) / rho_minus, label="exact")
plt.plot(radii, np.array(rho0) / rho_minus, "o", label="giantatom")
plt.xlabel("R / lambda")
plt.ylabel("rho0 / rho_-")
plt.legend()
