"""Fields sampled along straight lines, for the probe CSV files.

Each rank evaluates the points inside its own cells; rank 0 keeps, for every point, a value
from a body cell when the point lies on a body surface (the inside value of a discontinuous
field such as rho), else from a vacuum cell, else NaN (outside the outer sphere).
"""

import numpy as np

from giantatom import meshes
from giantatom.backend import fem, geometry
from giantatom.case import Case, Probe
from giantatom.domain import Domain


def probe_points(probe: Probe) -> np.ndarray:
    """The probe's points in the case's geometry unit, shape (points, 3)."""
    t = np.linspace(0.0, 1.0, probe.points)[:, None]
    return (1.0 - t) * np.array(probe.start) + t * np.array(probe.end)


def outside_domain(case: Case, center, radius: float) -> list[str]:
    """One line per probe with points outside the outer sphere (``center``, ``radius`` in
    lambda): those points get NaN in its CSV file."""
    lines, scale = [], case.lambda_in_units
    for probe in case.probes:
        points = probe_points(probe) / scale
        outside = int(
            (np.linalg.norm(points - np.asarray(center), axis=1) > radius * (1 + 1e-12)).sum()
        )
        if outside:
            lines.append(
                f"probe {probe.name!r}: {outside} of its {probe.points} points lie outside the "
                f"computational domain (the outer sphere, radius {radius * scale:.4g} "
                f"{case.geometry.unit}): NaN there"
            )
    return lines


def sample(
    domain: Domain, points_units: np.ndarray, columns: list[tuple[str, fem.Function, int]]
) -> np.ndarray | None:
    """Values at the points (geometry units), one column per entry; on rank 0, else None."""
    points = np.ascontiguousarray(points_units / domain.lambda_in_units, dtype=np.float64)
    candidates = geometry.compute_collisions_points(domain.tree, points)
    colliding = geometry.compute_colliding_cells(domain.mesh, candidates, points)
    n = len(points)
    priority = np.zeros(n, dtype=np.int8)  # 2: in a body cell, 1: in a vacuum cell, 0: not here
    cells = np.zeros(n, dtype=np.int32)
    for i in range(n):
        found = colliding.links(i)
        if len(found):
            in_body = found[domain.cell_region[found] != meshes.VACUUM]
            cells[i] = in_body[0] if len(in_body) else found[0]
            priority[i] = 2 if len(in_body) else 1
    values = np.full((n, len(columns)), np.nan)
    here = priority > 0
    if here.any():
        cache: dict[int, np.ndarray] = {}
        for j, (_, function, component) in enumerate(columns):
            key = id(function)
            if key not in cache:
                cache[key] = function.eval(points[here], cells[here]).reshape(here.sum(), -1)
            values[here, j] = cache[key][:, component]
    gathered = domain.comm.gather((priority, values), root=0)
    if domain.comm.rank != 0:
        return None
    best = np.zeros(n, dtype=np.int8)
    result = np.full((n, len(columns)), np.nan)
    for rank_priority, rank_values in gathered:
        better = rank_priority > best
        result[better] = rank_values[better]
        best[better] = rank_priority[better]
    return result
