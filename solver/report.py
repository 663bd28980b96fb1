"""The console summary a run ends with: the key numbers of summary.json, read back from it.

Lengths are shown in the case's geometry unit (lambda 40 nm, not 4e-08 m); with several bodies
the per-body numbers are a table; spin speeds carry their sense (along the spin's zero-field
flow, negative where it reversed), so the spin that slows down is visible. With error estimates
(``[mesh] error_estimate``) each headline number is followed by "+/- its estimate".
"""

from pathlib import Path

import numpy as np

from giantatom.log import log
from giantatom.units import LENGTH_UNITS


def report(summary: dict, results: Path, figures_seconds: float | None = None) -> None:
    """Log the summary of a finished run (rank 0's log)."""
    log.info("\n".join(["", *summary_lines(summary, results, figures_seconds), ""]))


def summary_lines(summary: dict, results: Path, figures_seconds: float | None = None) -> list[str]:
    m, c = summary["material"], summary["charge"]
    thin = summary.get("model", {}).get("kind") == "thin-layer"
    return [
        *_header(summary, figures_seconds),
        f"  lambda {_length(m['lambda_m'], summary['geometry']['unit'])}   "
        f"rho_- {m['rho_minus_C_m3']:.4g} C/m^3   E_m {m['E_m_V_m']:.4g} V/m",
        *_geometry(summary),
        *_bodies(summary),
        f"  max |E| inside {c['E_max_V_m']:.5g}{_pm(c, 'E_max_V_m')} V/m = "
        f"{c['E_max_V_m'] / m['E_m_V_m']:.4f} E_m   "
        f"Eq. 23 residual {c['constitutive_residual']:.2e}",
        *_electric(summary.get("electric")),
        *(["  model: thin-layer (lambda << size; the layer is analytic, see surface.vtu)"] * thin),
        *_magnetic(summary.get("magnetic"), thin),
        *_spin(summary.get("spin"), m["v0_m_s"]),
        f"  results: {results}",
    ]


def _length(metres: float, unit: str) -> str:
    return f"{metres / LENGTH_UNITS[unit]:.4g} {unit}"


def _pm(section: dict, key: str, index: int | None = None) -> str:
    """ " +/- <the estimate>" of ``section[key]`` where the run estimated it, else nothing."""
    error = section.get(f"{key}_error")
    if error is None:
        return ""
    error = np.asarray(error, dtype=float)
    if index is not None:
        error = error[index]
    if error.ndim:
        return f" +/- {np.array2string(error, precision=2)}"
    return f" +/- {float(error):.2g}"


def _header(summary: dict, figures_seconds: float | None) -> list[str]:
    run = summary["run"]
    timing = f"{run['seconds']['total']:.1f} s"
    if figures_seconds is not None:
        timing += f" (+ {figures_seconds:.1f} s for the figures)"
    return [f"  giantatom {summary['case']}: {run['ranks']} rank(s), {timing}"]


def _geometry(summary: dict) -> list[str]:
    g, mesh = summary["geometry"], summary["mesh"]
    return [
        f"  volume {g['volume_m3']:.4g} m^3   area {g['area_m2']:.4g} m^2   "
        f"mesh {mesh['cells']} cells, {mesh['dofs']} dofs"
    ]


def _bodies(summary: dict) -> list[str]:
    """One body: rho0 and its surface rho on two lines; several: a table, one row per body."""
    c = summary["charge"]
    bodies = c["bodies"]
    if len(bodies) == 1:
        return [
            f"  rho0 {bodies[0]['rho0_C_m3']:.5g}{_pm(bodies[0], 'rho0_C_m3')} C/m^3   "
            f"net charge {c['net_charge_C']:.3g} C",
            "  surface rho: "
            + ", ".join(
                f"{name} {c[key]:.5g}{_pm(c, key)}"
                for name, key in (
                    ("mean", "surface_rho_mean_C_m3"),
                    ("min", "surface_rho_min_C_m3"),
                    ("max", "surface_rho_max_C_m3"),
                )
            )
            + " C/m^3",
        ]
    magnetic = {b["name"]: b for b in summary.get("magnetic", {}).get("bodies", [])}
    moment = "moment A m^2" if magnetic else "dipole C m"
    width = max(4, *(len(b["name"]) for b in bodies))
    lines = [
        f"  {'body':<{width}}  {'rho0 C/m^3':>11}  {'surface rho C/m^3 (min .. max)':>30}  "
        f"{'max |E| V/m':>11}  {moment}"
    ]
    for b in bodies:
        vector = magnetic.get(b["name"], {}).get("moment_A_m2") if magnetic else None
        if vector is None:
            vector = b.get("dipole_moment_C_m")
        shown = "-" if vector is None else np.array2string(np.asarray(vector), precision=4)
        surface = f"{b['surface_rho_min_C_m3']:.5g} .. {b['surface_rho_max_C_m3']:.5g}"
        lines.append(
            f"  {b['name']:<{width}}  {b['rho0_C_m3']:>11.5g}  {surface:>30}  "
            f"{b['E_max_V_m']:>11.5g}  {shown}"
        )
    lines.append(f"  net charge {c['net_charge_C']:.3g} C")
    return lines + [
        _body_errors(b, magnetic.get(b["name"], {})) for b in bodies if _pm(b, "rho0_C_m3")
    ]


def _body_errors(body: dict, magnetic: dict) -> str:
    """One body's error estimates, below the table (the table keeps its columns)."""
    moment = _pm(magnetic, "moment_A_m2") or _pm(body, "dipole_moment_C_m")
    return (
        f"  {body['name']} estimated errors: rho0{_pm(body, 'rho0_C_m3')}, surface rho min"
        f"{_pm(body, 'surface_rho_min_C_m3')} max{_pm(body, 'surface_rho_max_C_m3')}, max |E|"
        f"{_pm(body, 'E_max_V_m')}" + (f", moment{moment}" if moment else "")
    )


def _electric(e: dict | None) -> list[str]:
    if e is None:
        return []
    lines = []
    if "applied_field_V_m" in e:
        field, dipole = np.asarray(e["applied_field_V_m"]), np.asarray(e["induced_dipole_C_m"])
        lines.append(
            f"  applied E {np.array2string(field, precision=4)} V/m   induced dipole "
            f"{np.array2string(dipole, precision=4)}{_pm(e, 'induced_dipole_C_m')} C m "
            "(rho0 as without the field)"
        )
    for electrode in e.get("electrodes", []):
        lines.append(
            f"  electrode {electrode['name']} ({electrode['held']}): "
            f"{electrode['potential_V']:.6g} V, {electrode['charge_C']:.6g} C"
        )
    if "capacitance_matrix_F" in e:
        matrix = np.array2string(np.asarray(e["capacitance_matrix_F"]), precision=5)
        lines.append(f"  capacitance matrix (F) {matrix}")
    return lines


def _magnetic(m: dict | None, thin: bool) -> list[str]:
    if m is None:
        return []
    moment = np.array2string(np.asarray(m["moment_A_m2"]), precision=5)
    where = "at the surface" if thin else "inside"
    lines = [
        f"  applied B {np.asarray(m['applied_field_T'])} T   moment {moment}"
        f"{_pm(m, 'moment_A_m2')} A m^2",
        f"  max |B| {where} {m['B_max_inside_T']:.5g}{_pm(m, 'B_max_inside_T')} T   "
        f"max |J| {m['J_max_A_m2']:.5g} A/m^2",
    ]
    if "london_sphere" in m:
        lines.append(
            f"  London sphere moment: relative error {m['london_sphere']['relative_error']:.2e}"
        )
    return lines + [
        f"  {body['name']}: hole {hole['key']}: fluxoid {hole['fluxoid']} Phi_0, "
        f"circulating current {hole['circulating_current_A']:.5g} A"
        for body in m.get("bodies", [])
        for hole in body.get("holes", [])
    ]


def _spin(s: dict | None, v0: float) -> list[str]:
    """Surface spin speeds without a field; with one, each spin's speed along its own zero-field
    sense (min .. max over the surface) and whether it is slowed down or sped up there."""
    if s is None:
        return []
    up, down = s["v_surface_max_m_s"]
    lines = [
        f"  spin axis {np.asarray(s['axis'])}   surface |v_sigma - v_sigma0| up {up:.5g}"
        f"{_pm(s, 'v_surface_max_m_s', 0)}, down {down:.5g}{_pm(s, 'v_surface_max_m_s', 1)} m/s"
        f" = {max(up, down) / v0:.4f} v_0"
        + (
            f"   (angular momentum {s['angular_momentum_hbar']:.4f} hbar)"
            if "angular_momentum_hbar" in s
            else ""
        )
    ]
    without = dict(zip(("up", "down"), s["v_surface_max_m_s"], strict=True))
    with_field = dict(zip(("up", "down"), s.get("v_surface_max_field_m_s", ()), strict=False))
    along = s.get("v_along_zero_field_m_s", {})
    for i, (name, speed) in enumerate(with_field.items()):
        change = "slowed" if speed < without[name] else "sped up"
        error = _pm(s, "v_surface_max_field_m_s", i)
        line = f"  with the field, spin {name} {change}: max {speed:.5g}{error} m/s"
        if name in along:
            lowest, highest = along[name]
            line += f", along its zero-field sense {lowest:+.5g} .. {highest:+.5g} m/s"
            line += " (reversed where negative)" if lowest < 0 else ""
        lines.append(line)
    if "direct_check_residual" in s:
        lines.append(
            f"  Eq. 62a direct check: relative L2 difference {s['direct_check_residual']:.2e}"
        )
    return lines
