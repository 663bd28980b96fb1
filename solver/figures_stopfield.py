"""The local stop-field map as a picture (docs/formulation.md section 3.7): B_stop on the body
surfaces, where the applied field (its direction as in the run) first reverses a spin.

One function, ``figure_stop_field``, taking a results directory; the figures package takes it
in at the merge (its helpers: ``load_results``, ``Mesh``, ``_Picture``)."""

from pathlib import Path

import numpy as np

from giantatom.errors import FigureError
from giantatom.figures import Mesh, _Picture, load_results


def figure_stop_field(
    results_dir: str | Path,
    out: Path | None = None,
    size: tuple[int, int] = (1600, 1200),
    clip: str | None = None,
) -> Path:
    """B_stop (T) on the bodies' surfaces, in units of B_s, with the minimum marked; grey where
    masked (no zero-field speed to stop) or where the field speeds both spins up. Written to
    ``out`` (default <results>/figures/stop_field.png)."""
    results = load_results(results_dir)
    if "B_stop" not in results.field_names:
        raise FigureError(
            f"{results.fields_file} has no B_stop (a full-model run with [magnetic] "
            "applied_field and [output] fields = true writes it)"
        )
    mesh = Mesh.read(results.fields_file, ["region", "B_stop"])
    surface = mesh.surface
    B_s = float(results.summary["material"]["B_s_T"])
    ratio = np.asarray(surface.point_data["B_stop"]) / B_s
    surface.point_data["B_stop / B_s"] = ratio
    finite = np.isfinite(ratio)
    if not finite.any():
        raise FigureError("B_stop is masked everywhere: the field slows no spin down")
    lo, hi = float(ratio[finite].min()), float(ratio[finite].max())
    hi = max(hi, lo * 1.02)  # a uniform map (a sphere) still gets a scale
    spin = results.summary.get("spin", {})
    pic = _Picture(size)
    pic.add(
        surface,
        scalars="B_stop / B_s",
        cmap="viridis",
        clim=(lo, hi),
        nan_color="lightgrey",
        smooth_shading=True,
        split_sharp_edges=True,
        scalar_bar_args=pic.bar("B_stop / B_s"),
    )
    where = spin.get("stop_field_min_at_m")
    if where is not None:  # metres -> the geometry unit of the picture's coordinates
        point = np.asarray(where) / results.lambda_m * results.lam
        pic.plotter.add_points(
            point[None, :],
            color="red",
            point_size=max(8, size[1] // 60),
            render_points_as_spheres=True,
        )
    total = spin.get("stop_field_total_flow_min_T")
    line2 = f"min {lo:.4g} B_s (red dot), max {hi:.4g} B_s; B_s = {B_s:.4g} T"
    if total is not None:
        line2 += f"; from the total flow v_sigma instead: min {total / B_s:.4g} B_s"
    pic.title(results.title("local stop field of the applied field's direction"), line2)
    pic.view(mesh, mesh.normal(clip), tilt=True, zoom=1.0, side=0.0)
    return pic.save(Path(out) if out else results.path / "figures" / "stop_field.png")
