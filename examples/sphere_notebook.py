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
# deep under its surface. This notebook builds a sphere case with the case classes, solves it
# with `giantatom.solve` (in memory, no files), compares rho and E along a radius with the
# exact sphere of docs/formulation.md (section 1, `giantatom.exact`), draws the charge with
# `giantatom.figures`, and runs a small sweep over the radius. About half a minute on one core
# (`tests/test_api.py` executes it).

# %%
import matplotlib.pyplot as plt
import numpy as np

import giantatom
from giantatom import exact, figures

LAMBDA_NM = 40.0  # London depth


def sphere_case(x: float, surface_size: float = 0.5) -> giantatom.Case:
    """A sphere of radius x lambda, with a probe along x out to 1.5 radii (lengths in nm)."""
    R = x * LAMBDA_NM
    return giantatom.Case(
        giantatom.Material(lambda_=f"{LAMBDA_NM:g} nm"),
        giantatom.Geometry([giantatom.Body(giantatom.Sphere(radius=R))], unit="nm"),
        mesh=giantatom.MeshSpec(surface_size=surface_size, layer=2, far_field=3),
        output=giantatom.OutputSpec(figures=[]),
        probes=[giantatom.Probe(name="radial", start=(0, 0, 0), end=(1.5 * R, 0, 0), points=151)],
        name=f"sphere_{x:g}",
    )


# %% [markdown]
# The same case as a case file: `case.write_toml("sphere_4.toml")` writes it, and
# `giantatom run sphere_4.toml` repeats the run from the command line.

# %%
x = 4.0  # R / lambda
case = sphere_case(x)
print(case.to_toml())

# %% [markdown]
# ## Solve
# `giantatom.log_to_console()` shows the run's log lines as the `giantatom` command prints them;
# without it the library is silent.

# %%
results = giantatom.solve(case)
s = results.summary
print(f"rho0 = {s.rho0:.5g} C/m^3, max |E| inside = {s.E_max:.4g} V/m")
print(f"mesh: {s.mesh.cells} cells, {s.mesh.dofs} dofs; fields: {', '.join(results.fields)}")

# %% [markdown]
# ## rho and E along a radius, against the exact sphere
# `figures.profile` draws rho and |E| along the probe against the depth below the surface, with
# the exact sphere overlaid; below, the same comparison in numbers with `giantatom.exact`
# (r in lambda; the surface-mean closure fixes rho(R) = rho_-). E, a derivative, is the less
# accurate on this coarse mesh (surface_size 0.5 lambda), most where it peaks under the surface.

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
figures.profile(results, probe="radial", ax=axes)

probe = results.probes["radial"]
r = probe["x"] / LAMBDA_NM  # lambda
inside = (r > 0) & (r < x)
lambda_m = s.material["lambda_m"]
rho_minus = s.material["rho_minus_C_m3"]
rho0_exact = exact.surface_mean_rho0(rho_minus, x)
sphere = exact.sphere(r[inside], x, rho0_exact, lambda_m=lambda_m)
print(f"rho0: computed {s.rho0:.5g}, exact {rho0_exact:.5g} C/m^3")
rho_error = np.abs(probe["rho_C_m3"][inside] - sphere.rho).max() / abs(rho0_exact)
E_error = np.abs(probe["E_V_m"][inside] - np.abs(sphere.E)).max() / np.abs(sphere.E).max()
print(f"largest |rho - exact| inside: {rho_error:.2%} of rho0")
print(f"largest ||E| - exact| inside: {E_error:.2%} of the largest |E|")

# %% [markdown]
# ## The charge in 3D
# `figures.charge` returns a pyvista Plotter (off screen): the sphere cut open, rho on a
# diverging map. `.screenshot()` gives the picture (`.show()` would open a window).

# %%
plotter = figures.charge(results, clip="y", size=(800, 600))
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
print(f"{'R/lambda':>8}  {'rho0 (C/m^3)':>13}  {'exact':>13}  {'deviation':>9}")
for radius, value in zip(radii, rho0, strict=True):
    expected = exact.surface_mean_rho0(rho_minus, radius)
    print(f"{radius:8g}  {value:13.5g}  {expected:13.5g}  {value / expected - 1:+9.2%}")

fine = np.linspace(2.5, 5.5, 50)
plt.figure(figsize=(5, 3.5))
plt.plot(fine, [exact.surface_mean_rho0(rho_minus, xi) / rho_minus for xi in fine], label="exact")
plt.plot(radii, np.array(rho0) / rho_minus, "o", label="giantatom")
plt.xlabel("R / lambda")
plt.ylabel("rho0 / rho_-")
plt.legend()
