"""[sweep]: the keys a sweep may vary and their values (solver/sweep.py runs the members).

A [sweep] key is a full dotted case-file path (``geometry.body[2].radius``,
``geometry.electrode[1].potential``) or a short name for a common one (``lambda``, ``radius``
in a case with one body); see README "Parameter sweeps".
"""

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from giantatom.case_shapes import HOLE_KEYS, SHAPE_CLASSES
from giantatom.errors import CaseError


@dataclass(frozen=True)
class SweepParameter:
    """One swept key: ``key`` is its full dotted path in the case file (``material.lambda``,
    ``geometry.body[1].radius``), ``label`` the name it was given in [sweep]."""

    key: str
    label: str
    values: tuple[Any, ...]


# [sweep] keys: a full dotted path, or a short name for the common ones. Sections not listed in
# _NOT_SWEPT can be swept key by key; bodies and electrodes by index, geometry.body[k] (1-based).
SECTIONS = (
    "material",
    "geometry",
    "mesh",
    "model",
    "charge",
    "magnetic",
    "electric",
    "spin",
    "solver",
    "output",
    "probe",
    "sweep",
)
_NOT_SWEPT = ("output", "probe", "sweep")
_SWEEP_ALIASES = {
    "lambda": "material.lambda",
    "n_s": "material.n_s",
    "unit": "geometry.unit",
    "applied_field": "magnetic.applied_field",
}
for _section, _keys in {
    "mesh": (
        "surface_size",
        "layer",
        "far_field",
        "outer_radius",
        "order",
        "growth",
        "far_size",
        "accuracy",
    ),
    "charge": ("closure", "rho0", "net_charge"),
    "solver": ("rtol", "max_iterations"),
}.items():
    _SWEEP_ALIASES.update({k: f"{_section}.{k}" for k in _keys})
# shape keys: geometry.body[1].<key>, in a case with one body
_BODY_KEYS = sorted(
    {k for cls in SHAPE_CLASSES.values() for k in cls.__dataclass_fields__ if k != "kind"}
    | set(HOLE_KEYS)
)
_MAX_SWEEP_MEMBERS = 1000


def sweep_key(label: str, raw: dict) -> str:
    """The full dotted path of a [sweep] key (see README "Parameter sweeps")."""
    key = f"sweep.{label}"
    bodies = raw.get("geometry", {}).get("body", [])
    count = 1 if isinstance(bodies, dict) else len(bodies) if isinstance(bodies, list) else 0
    if label in _SWEEP_ALIASES:
        return _SWEEP_ALIASES[label]
    if label in _BODY_KEYS or label.startswith("geometry.body."):
        if count != 1:
            name = label.removeprefix("geometry.body.")
            raise CaseError(
                f'the case has {count} bodies: name one, e.g. "geometry.body[1].{name}"', key
            )
        return f"geometry.body[1].{label.removeprefix('geometry.body.')}"
    section = label.split(".")[0].split("[")[0]
    if "." not in label or section not in SECTIONS or section in _NOT_SWEPT:
        known = sorted(_SWEEP_ALIASES) + _BODY_KEYS
        near = difflib.get_close_matches(label, known, n=1)
        raise CaseError(
            "cannot be swept"
            + (f"; did you mean {near[0]!r}?" if near else "")
            + ' (use a dotted case-file key like "mesh.surface_size" or "geometry.body[2].radius"'
            + " ([output], [[probe]] are not swept), or one of "
            + ", ".join(known)
            + ")",
            key,
        )
    return label


def sweep_parameters(table: Mapping[str, Any], raw: dict) -> tuple[SweepParameter, ...]:
    """[sweep] key = [values]: the keys' paths and values; each combination is checked as a
    whole case when the sweep is expanded (solver.sweep.members)."""
    parameters = []
    for label, values in table.items():
        if isinstance(values, tuple):
            values = list(values)
        if not isinstance(values, list) or not values:
            raise CaseError(
                f"must be a non-empty list of the values to run, got {values!r}", f"sweep.{label}"
            )
        if len({repr(v) for v in values}) != len(values):
            raise CaseError("lists a value twice", f"sweep.{label}")
        parameters.append(SweepParameter(sweep_key(label, raw), label, tuple(values)))
    if len({p.key for p in parameters}) != len(parameters):
        raise CaseError("two [sweep] keys name the same case-file key", "sweep")
    if math.prod(len(p.values) for p in parameters) > _MAX_SWEEP_MEMBERS:
        raise CaseError(f"more than {_MAX_SWEEP_MEMBERS} combinations", "sweep")
    return tuple(parameters)
