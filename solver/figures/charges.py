"""The charge pictures: the bodies cut open (rho inside) and rho on their surface."""

import numpy as np

from giantatom.figures.geometry import AXES, cut_open, open_side, outline
from giantatom.figures.results import Results
from giantatom.figures.style import Picture, centred_cmap, scalar_range


def rho0_text(results: Results) -> str:
    """rho0 of each body, named when there are several."""
    c = results.summary.get("charge", {})
    values = np.ravel(c.get("rho0_C_m3", [np.nan]))
    names = results.body_names
    if len(values) == 1 or len(names) != len(values):
        return "rho0 = " + ", ".join(f"{v:.4g}" for v in values)
    return "rho0 = " + ", ".join(f"{v:.4g} ({n})" for v, n in zip(values, names, strict=True))


def figure_charge(results: Results, size, clip: str | None):
    """The bodies cut open, rho on a diverging map centred on zero. With a thin layer (its
    charge lives on the surface, lambda deep) the opened surface carries the layer's rho
    and the cut face the bulk's."""
    mesh = results.mesh
    n = mesh.normal(clip)
    layer = results.layer_surface if "rho" in results.layer_names else None
    if layer is None:
        half = cut_open(mesh, n)
        shown = [(half, np.asarray(half.point_data["rho"]))]
    else:  # the bulk on the cut face, the layer on the opened surface (they would coincide)
        face = mesh.body.slice(normal=AXES[n], origin=mesh.center)
        shell = layer.clip(normal=open_side(n), origin=mesh.center, invert=True)
        shown = [(s, np.asarray(s.point_data["rho"])) for s in (face, shell)]
    values = np.concatenate([v for _, v in shown])
    vmin, vmax = scalar_range(values)
    pic = Picture(size)
    for k, (part, v) in enumerate(shown):
        pic.add_scalars(
            part,
            v,
            "rho",
            "C/m^3",
            (vmin, vmax),
            centred_cmap(vmin, vmax),
            smooth_shading=True,
            split_sharp_edges=True,
            show_scalar_bar=k == 0,
        )
    pic.add(outline(mesh, n), color="black", line_width=2)
    c = results.summary.get("charge", {})
    where = "; the layer lambda deep on the surface (thin-layer model)" if layer else ""
    pic.title(
        results.title("charge density rho"),
        f"cut open across {AXES[n]}{where}; {rho0_text(results)}, surface mean "
        f"{c.get('surface_rho_mean_C_m3', np.nan):.4g}, rho_- = "
        f"{results.summary['material'].get('rho_minus_C_m3', np.nan):.4g} C/m^3",
    )
    right, up = pic.view(mesh, n, tilt=True)
    pic.scale_bar(mesh, right, up, results.unit, results.lam)
    return pic.plotter


def figure_surface(results: Results, size, clip: str | None):
    """rho on the bodies' surface (the layer's, with a thin layer)."""
    mesh = results.mesh
    surface = results.surface_with("rho", "surface_charge")
    rho = np.asarray(surface.point_data["rho"])
    lo, hi = scalar_range(rho)
    if lo < 0 < hi:
        cmap = centred_cmap(lo, hi)
    else:
        cmap = "Blues_r" if hi <= 0 else "Reds"
    pic = Picture(size)
    pic.add_scalars(
        surface, rho, "rho", "C/m^3", (lo, hi), cmap, smooth_shading=True, split_sharp_edges=True
    )
    pic.title(
        results.title("charge density rho on the surface"),
        f"min {rho.min():.4g}, max {rho.max():.4g}, rho_- = "
        f"{results.summary['material'].get('rho_minus_C_m3', np.nan):.4g} C/m^3",
    )
    # seen from above the cut plane, not from a side: mirror-image tips look alike
    right, up = pic.view(mesh, mesh.normal(clip), tilt=True, side=0.0)
    pic.scale_bar(mesh, right, up, results.unit, results.lam)
    return pic.plotter
