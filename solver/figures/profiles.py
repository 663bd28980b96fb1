"""Probe lines (matplotlib): rho and |E| along each line against the depth below the surface,
with the exact solution overlaid for a single neutral sphere."""

import numpy as np

from giantatom import exact
from giantatom.figures.geometry import AXES
from giantatom.figures.results import Results
from giantatom.figures.style import engineering
from giantatom.log import log
from giantatom.units import LENGTH_UNITS

DPI = 100


def single_sphere(results: Results) -> tuple[np.ndarray, float] | None:
    """(centre, radius) in geometry units when the case is one neutral sphere, else None."""
    case = results.case
    if case is None or len(case.geometry.bodies) != 1:
        return None
    body = case.geometry.bodies[0]
    if body.shape.kind != "sphere" or body.subtract or body.net_charge != 0.0:
        return None
    return np.array(body.shape.center), body.shape.radius


def _depth_at(results: Results, points: np.ndarray) -> np.ndarray | None:
    """Depth of points (geometry units) below the bodies' surface, in lambda, negative in
    vacuum: exact for a sphere, else the signed distance to the surface of the field grid; None
    without either."""
    sphere = single_sphere(results)
    if sphere is not None:
        centre, radius = sphere
        return (radius - np.linalg.norm(points - centre, axis=1)) / results.lam
    if not results.field_names:
        return None
    import pyvista

    probed = pyvista.PolyData(points).compute_implicit_distance(results.mesh.surface)
    return -np.asarray(probed.point_data["implicit_distance"]) / results.lam


def _largest(difference: np.ndarray, where: np.ndarray) -> tuple[int, float]:
    """Index and size of the largest |difference| among the points ``where``."""
    masked = np.where(where & np.isfinite(difference), np.abs(difference), -1.0)
    k = int(np.argmax(masked))
    return k, float(masked[k])


def _columns(results: Results, probe: str | None):
    """The line's points, rho and |E| (from the components at each point: older runs wrote an
    interpolated nodal |E| as E_V_m, which overshoots where E passes through zero)."""
    line = results.probe(probe)
    cols = line.columns
    points = np.column_stack([cols[k] for k in ("x", "y", "z")])
    if all(f"E{c}_V_m" in cols for c in AXES):
        E = np.linalg.norm(np.column_stack([cols[f"E{c}_V_m"] for c in AXES]), axis=1)
    else:
        E = cols.get("E_V_m")
    return line.name, points, cols.get("rho_C_m3"), E


def figure_profile(results: Results, size, clip: str | None, probe: str | None = None, axes=None):
    """rho and |E| along the probe line named ``probe`` (default: the first), on ``axes`` (two
    matplotlib Axes: rho, |E|) or a new Figure; returns the Figure.

    Against the depth below the surface in lambda when the line crosses the surface at most
    once (centre to outside), with the depth in the case's unit on the top axis; else against
    the position along the line, surfaces marked."""
    from matplotlib.figure import Figure

    name, points, rho, E = _columns(results, probe)
    material = results.summary["material"]
    rho0s = np.ravel(results.summary.get("charge", {}).get("rho0_C_m3", [np.nan])).astype(float)

    # the line, finely, for the exact curve and the surface crossings
    t = np.linspace(0.0, 1.0, 2001)[:, None]
    fine = (1.0 - t) * points[0] + t * points[-1]
    along = np.linalg.norm(points - points[0], axis=1) / results.lam
    along_fine = np.linalg.norm(fine - points[0], axis=1) / results.lam
    depth, depth_fine = _depth_at(results, points), _depth_at(results, fine)
    inside = depth > 0 if depth is not None else np.zeros(len(points), dtype=bool)
    crossings = np.flatnonzero(np.diff(depth_fine > 0)) if depth_fine is not None else []
    lam = f"lambda = {results.lambda_text}"
    if depth is not None and len(crossings) <= 1:
        x, x_fine, surfaces = depth, depth_fine, [0.0]
        xlabel, top = f"depth below the surface in lambda ({lam}): body > 0 > vacuum", "depth"
    else:
        x, x_fine, surfaces = along, along_fine, [along_fine[k] for k in crossings]
        start = ", ".join(f"{v:g}" for v in points[0])
        xlabel = f"position along the probe from ({start}) {results.unit}, in lambda ({lam})"
        top = "position"

    if axes is None:
        fig = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI, layout="constrained")
        ax_rho, ax_e = fig.subplots(2, 1, sharex=True)
    else:
        ax_rho, ax_e = axes
        fig = ax_rho.figure
    rho_scale, rho_unit = engineering(_largest_of(rho, material["rho_minus_C_m3"]), "C/m^3")
    e_scale, e_unit = engineering(_largest_of(E, material["E_m_V_m"]), "V/m")
    style = {"color": "tab:blue", "marker": ".", "markersize": 4, "linewidth": 1.2}
    if rho is not None:
        ax_rho.plot(x, rho / rho_scale, label="giantatom", **style)
    if E is not None:
        ax_e.plot(x, E / e_scale, label="giantatom", **style)

    sphere = single_sphere(results)
    if sphere is not None and np.isfinite(rho0s[0]):
        centre, radius = sphere
        rho0 = float(rho0s[0])
        unit = LENGTH_UNITS[results.unit]

        def solution(p: np.ndarray):
            r = np.linalg.norm(p - centre, axis=1) * unit
            return exact.neutral_sphere(r, radius * unit, results.lambda_m, rho0)

        rho_x, e_x = solution(fine)
        rho_p, e_p = solution(points)
        rho_surface = abs(exact.surface_ratio(radius * unit / results.lambda_m) * rho0)
        e_max = np.nanmax(
            np.abs(solution(centre + np.linspace(0, radius, 2001)[:, None] * [1, 0, 0])[1])
        )
        label = "exact sphere (docs/formulation.md 1)"
        if rho is not None and inside.any():
            k, err = _largest(rho - rho_p, inside)
            ax_rho.plot(
                x_fine,
                rho_x / rho_scale,
                "k--",
                linewidth=1.5,
                label=f"{label}; largest deviation {100 * err / rho_surface:.2g}% of "
                f"|rho(R)|, at {x[k]:.2f}",
            )
            log.info(
                "figures: probe '%s', rho: largest deviation from the exact sphere %.2g%% "
                "of |rho(R)|",
                name,
                100 * err / rho_surface,
            )
        if E is not None and inside.any():
            k, err = _largest(E - np.abs(e_p), inside)
            ax_e.plot(
                x_fine,
                np.abs(e_x) / e_scale,
                "k--",
                linewidth=1.5,
                label=f"{label}; largest deviation {100 * err / e_max:.2g}% of max|E|, "
                f"at {x[k]:.2f}",
            )
            log.info(
                "figures: probe '%s', |E|: largest deviation from the exact sphere %.2g%% "
                "of max|E|",
                name,
                100 * err / e_max,
            )
    ax_rho.axhline(
        material["rho_minus_C_m3"] / rho_scale,
        color="tab:red",
        linestyle=":",
        label="rho_- (Eq. 49)",
    )
    names = results.body_names if len(results.body_names) == len(rho0s) > 1 else [""] * len(rho0s)
    for value, body, colour in zip(
        rho0s, names, ("tab:green", "tab:olive", "tab:cyan"), strict=False
    ):
        if np.isfinite(value):
            ax_rho.axhline(
                value / rho_scale, color=colour, linestyle=":", label=f"rho0 {body}".strip()
            )
    ax_e.axhline(
        material["E_m_V_m"] / e_scale, color="tab:red", linestyle=":", label="E_m (Eq. 30)"
    )
    for ax in (ax_rho, ax_e):
        ax.axhline(0.0, color="grey", linewidth=0.6)
        if depth is not None:
            for position in surfaces:
                ax.axvline(position, color="grey", linewidth=0.8, linestyle="--")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small", loc="best")
    ax_rho.set_ylabel(f"rho ({rho_unit})")
    ax_e.set_ylabel(f"|E| ({e_unit})")
    ax_e.set_xlabel(xlabel + ("; dashed: surface" if depth is not None else ""))
    # the same positions in the case's length unit
    length = results.lam
    secondary = ax_rho.secondary_xaxis(
        "top", functions=(lambda d: d * length, lambda v: v / length)
    )
    secondary.set_xlabel(f"{top} ({results.unit})")
    fig.suptitle(results.title(f"rho and |E| along probe '{name}'"))
    return fig


def _largest_of(values: np.ndarray | None, reference: float) -> float:
    """The largest magnitude on a plot: the values', or the reference line's."""
    finite = np.abs(values[np.isfinite(values)]) if values is not None else np.array([])
    return float(max(finite.max(initial=0.0), abs(reference)))
