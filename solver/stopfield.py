"""The stop field of the spin sector (docs/formulation.md section 3.8), both models: where an
applied field slows a spin component to a halt, from the surface values of v_sigma - v_sigma0
without and with the field; and the scales of the spin current for the summaries."""

import numpy as np

from giantatom.log import log
from giantatom.material import Material
from giantatom.parallel import global_max, global_min
from giantatom.relations import SPINS
from giantatom.units import HBAR, M_E


def speed_scales(material: Material, fastest: float) -> dict:
    """The summary's scales of the spin current: v_0, the angular momentum m_e v (2 lambda) of
    the fastest surface speed ``fastest`` (m/s) in hbar (Eq. 43), and B_s."""
    return {
        "v0_m_s": material.v_0,
        "angular_momentum_hbar": M_E * fastest * 2.0 * material.lambda_m / HBAR,
        "stop_field_T": material.B_s,
    }


# Surface points where |v_sigma - v_sigma0| with no field is below this fraction of its surface
# maximum have no stop field (0/0 at the poles of a sphere): docs/formulation.md section 3.
STOP_FIELD_MASK = 0.05
# The full model's map is taken from surface patch averages smoothed this many times more
# (``surface_averages``; the noise is mostly that of the degree-1 Nedelec A, about 1 % rms at
# h = 0.4 lambda). Sphere R = 8 lambda, h = 0.4 lambda: the minimum is 4.3 % below the exact
# uniform value after one average, 2.0 % after 2 more passes, 1.45 % after 4 (the median 0.3 %
# below whatever the passes); at R = 4 lambda 3.7 %, 1.7 % after 2, 1.4 % after 3. Four average over
# about 5 elements: a minimum narrower than that comes out too high.
STOP_FIELD_SMOOTHING = 4


SENSE = (
    "per spin, the smallest and largest value over the body surfaces of the component of "
    "v_sigma - v_sigma0 in the applied field along its zero-field direction (where the "
    "zero-field speed is above 5% of its maximum), m/s: below the zero-field "
    "speed where the field slows that spin, negative where it runs reversed"
)


def local_stop_field(u0: np.ndarray, u_field: np.ndarray, strength: float, floor: float):
    """The local stop field B_stop(x), T, at each point (arrays (..., 3) in, (...) out):
    v_sigma - v_sigma0 is linear in the field strength B at a fixed direction, u(B) = u0 + B w,
    with w = (u_field - u0)/strength from the shift ``u_field`` in the field of ``strength``
    (T); the component along u0 reverses at B_stop = |u0|^2 / (-u0 . w). inf where that is not
    positive (the field speeds this spin up there) or where |u0| < ``floor`` (m/s)."""
    w = (u_field - u0) / strength
    size2 = np.sum(u0 * u0, axis=-1)
    slope = -np.sum(u0 * w, axis=-1)
    stop = np.full(size2.shape, np.inf)
    reverses = (slope > 0) & (size2 >= floor**2)
    stop[reverses] = size2[reverses] / slope[reverses]
    return stop


STOP_TOTAL = (
    "stop_field_total_flow_min_T: the smallest local stop field built on the total flow v_sigma "
    "instead of the shift v_sigma - v_sigma0, for comparison only: it counts the reference flow "
    "as something the field must stop (sphere R = 8 lambda: 0.620 B_s against 0.992 B_s)"
)


def stop_field_maps(comm, u0, u_field, strength: float) -> list[np.ndarray]:
    """Per spin: the local stop field (T) at each sample, masked below STOP_FIELD_MASK of that
    spin's largest zero-field speed over the samples of every rank (inf: none there)."""
    maps = []
    for v0, v in zip(u0, u_field, strict=True):
        floor = STOP_FIELD_MASK * global_max(comm, np.linalg.norm(v0, axis=-1))
        maps.append(local_stop_field(v0, v, strength, floor))
    return maps


def stop_field_summary(comm, u0, u_field, positions, applied, lambda_m: float) -> dict:
    """The smallest local stop field over both spins and the surface samples, where it is, and
    a warning when the applied field reaches it. ``u0``, ``u_field``: per spin (up, down) this
    rank's surface values (..., 3) of v_sigma - v_sigma0 without and with the field ``applied``
    (T, a vector); ``positions`` (..., 3) in lambda. Both models call this."""
    strength = float(np.linalg.norm(applied))
    local = (np.inf, [np.nan] * 3, "")
    senses = {}
    maps = stop_field_maps(comm, u0, u_field, strength)
    for (name, _), v0, v, stop in zip(SPINS, u0, u_field, maps, strict=True):
        speed = np.linalg.norm(v0, axis=-1)
        floor = STOP_FIELD_MASK * global_max(comm, speed)
        # the component of the shift in the field along its zero-field direction: a reversal
        # shows as a negative value
        unmasked = speed >= max(floor, 1e-300)
        along = np.sum(v * v0, axis=-1)[unmasked] / speed[unmasked]
        senses[name] = [global_min(comm, along), global_max(comm, along)]
        if stop.size and stop.min() < local[0]:
            index = np.unravel_index(np.argmin(stop), stop.shape)
            local = (float(stop[index]), (positions[index] * lambda_m).tolist(), name)
    value, where, spin_name = min(comm.allgather(local), key=lambda t: t[0])
    sense = {"v_along_zero_field_m_s": senses, "v_along_zero_field": SENSE}
    for name, (lowest, highest) in senses.items():
        log.info(
            "spin %s in the applied field: along its zero-field sense %.5g .. %.5g m/s%s",
            name,
            lowest,
            highest,
            " (reversed where negative)" if lowest < 0 else "",
        )
    if not np.isfinite(value):
        log.info("spin: the applied field slows no spin component down: no stop field")
        return {"stop_field_min_T": None, "stop_field_min_at_m": None, **sense}
    log.info(
        "spin: smallest local stop field %.4g T (spin %s at %s m); applied %.4g T",
        value,
        spin_name,
        np.array2string(np.asarray(where), precision=4),
        strength,
    )
    if strength >= value:
        log.warning(
            "the applied field %.4g T is at or above the smallest local stop field %.4g T: "
            "spin %s reverses at %s m (and wherever B_stop <= %.4g T)",
            strength,
            value,
            spin_name,
            np.array2string(np.asarray(where), precision=4),
            strength,
        )
    return {
        "stop_field_min_T": value,
        "stop_field_min_at_m": where,
        "stop_field_min_spin": spin_name,
        **sense,
    }
