"""Case files: TOML text to a ``Case`` and back.

The reader maps tables to the case objects (solver/case.py, solver/case_shapes.py), which check
their own values; here are only what belongs to the file: unknown keys (with a "did you mean"),
required keys, relative paths (from the case file's directory), and the key path
(``geometry.body[2].radius``, 1-based) that a message names. The writer emits what differs
from the defaults, so a case built in Python can be run from the command line.
"""

import difflib
import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import MISSING, fields, replace
from pathlib import Path
from typing import Any

from giantatom.case import (
    Case,
    ChargeSpec,
    ElectricSpec,
    MagneticSpec,
    Material,
    MeshSpec,
    ModelSpec,
    OutputSpec,
    Probe,
    SolverSpec,
    SpinSpec,
)
from giantatom.case_fields import FieldError, Invalid, kind_of, number
from giantatom.case_shapes import (
    HOLE_KEYS,
    SHAPE_CLASSES,
    SHAPES,
    Body,
    Electrode,
    Geometry,
    Hole,
    Shape,
    rotated,
)
from giantatom.case_sweep import SECTIONS, sweep_parameters
from giantatom.errors import CaseError
from giantatom.sweep import dump_toml

# Fields the case objects derive: not case-file keys.
_DERIVED = {"eps_given", "trapped_flux"}
_SPECS: dict[str, type] = {
    "magnetic": MagneticSpec,
    "electric": ElectricSpec,
    "spin": SpinSpec,
    "solver": SolverSpec,
    "output": OutputSpec,
}
_BODY_KEYS = ("name", "net_charge", "subtract", *HOLE_KEYS)
_ELECTRODE_KEYS = ("name", "potential", "floating", "charge")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


@contextmanager
def at(path: str) -> Iterator[None]:
    """Errors of the objects made inside name their case-file key: path.field."""
    try:
        yield
    except FieldError as err:
        raise CaseError(err.message, _join(path, err.field)) from None


def _keys(cls: type) -> list[str]:
    return [f.name for f in fields(cls) if f.init and f.name not in _DERIVED]


def _table(raw: Any, path: str) -> dict:
    if not isinstance(raw, dict):
        raise CaseError(f"must be a table, got {kind_of(raw)}", path)
    return raw


def _tables(raw: dict, name: str, path: str) -> list[tuple[dict, str]]:
    """An array of tables ([[name]]), each with its key path; a single [name] table is one."""
    value = raw.get(name, [])
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise CaseError(f"must be an array of tables ([[{name}]])", _join(path, name))
    keys = [f"{_join(path, name)}[{i}]" for i in range(1, len(value) + 1)]
    return [(_table(item, key), key) for item, key in zip(value, keys, strict=True)]


def _only(raw: dict, allowed: list[str] | tuple[str, ...], path: str, what: str = "") -> None:
    """Every key of the table is one of ``allowed``; else name it, with the nearest allowed."""
    for name in raw:
        if name not in allowed:
            near = difflib.get_close_matches(name, allowed, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            message = what or f"unknown key (known: {', '.join(allowed)})"
            raise CaseError(message + hint, _join(path, name))


def _make(cls: type, args: dict, path: str, missing: str = "is required") -> Any:
    """``cls(**args)``, its errors named under ``path``; absent keys take the defaults."""
    for f in fields(cls):
        if f.init and f.default is MISSING and f.name not in args:
            raise CaseError(missing, _join(path, f.name))
    with at(path):
        return cls(**args)


def _spec(cls: type, raw: Any, path: str) -> Any:
    """A spec object from its table: the keys are its fields."""
    raw = _table(raw, path)
    _only(raw, _keys(cls), path)
    return _make(cls, raw, path)


def _shape(raw: dict, path: str, base: Path, extra: tuple[str, ...]) -> Shape:
    kind = raw.get("shape")
    if kind is None:
        raise CaseError(f"is required (one of {', '.join(SHAPES)})", _join(path, "shape"))
    if kind not in SHAPES:
        raise CaseError(f"must be one of {', '.join(SHAPES)}; got {kind!r}", _join(path, "shape"))
    cls = SHAPE_CLASSES[kind]
    _only(raw, ["shape", *_keys(cls), *extra], path, f"is not a key of shape {kind!r}")
    args = {k: v for k, v in raw.items() if k in _keys(cls)}
    if isinstance(args.get("path"), str):
        args["path"] = base / args["path"]
    return _make(cls, args, path, f"is required for shape {kind!r}")


def _hole(raw: dict, path: str, cut: int) -> list[Hole]:
    """The hole a body or subtract table declares (any of fluxoid, hole_axis, hole_center)."""
    if not any(k in raw for k in HOLE_KEYS):
        return []
    with at(path):
        return [Hole(**{k: raw[k] for k in HOLE_KEYS if k in raw}, cut=cut)]


def _body(raw: dict, path: str, base: Path) -> Body:
    shape = _shape(raw, path, base, _BODY_KEYS)
    holes, subtract = _hole(raw, path, 0), []
    for j, (cut, cut_path) in enumerate(_tables(raw, "subtract", path), start=1):
        subtract.append(_shape(cut, cut_path, base, HOLE_KEYS))
        holes += _hole(cut, cut_path, j)
    args = {k: raw[k] for k in ("name", "net_charge") if k in raw}
    with at(path):
        return Body(shape, subtract=tuple(subtract), holes=tuple(holes), **args)


def _electrode(raw: dict, path: str, base: Path) -> Electrode:
    shape = _shape(raw, path, base, _ELECTRODE_KEYS)
    with at(path):
        return Electrode(shape, **{k: raw[k] for k in _ELECTRODE_KEYS if k in raw})


def _geometry(raw: Any, base: Path, total_charge: float) -> Geometry:
    raw = _table(raw, "geometry")
    _only(raw, ["unit", "body", "electrode"], "geometry")
    bodies = [_body(t, key, base) for t, key in _tables(raw, "body", "geometry")]
    electrodes = [_electrode(t, key, base) for t, key in _tables(raw, "electrode", "geometry")]
    if total_charge != 0.0:
        if len(bodies) > 1:
            raise CaseError(
                "applies to a single body; with several bodies give each its own "
                "[[geometry.body]] net_charge",
                "charge.net_charge",
            )
        bodies[0] = replace(bodies[0], net_charge=total_charge)
    with at("geometry"):
        return Geometry(
            tuple(bodies),
            electrodes=tuple(electrodes),
            **{k: raw[k] for k in ("unit",) if k in raw},
        )


def _material(raw: Any) -> Material:
    raw = _table(raw, "material")
    _only(raw, ["lambda", "n_s"], "material")
    if "lambda" not in raw:
        raise CaseError(
            'is required: the London penetration depth, like "40 nm"', "material.lambda"
        )
    with at("material"):
        return Material(raw["lambda"], raw.get("n_s"))


def _charge(raw: Any) -> tuple[ChargeSpec, float]:
    """[charge], and its net_charge (C), which goes to the single body."""
    raw = dict(_table(raw, "charge"))
    try:
        total = number()(raw.pop("net_charge", 0.0))
    except Invalid as err:
        raise CaseError(str(err), "charge.net_charge") from None
    return _spec(ChargeSpec, raw, "charge"), total


def read_case(text: str, path: Path) -> Case:
    """Parse and validate a case file's text; ``path`` names the case and locates its relative
    paths (CAD and mesh files)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise CaseError(f"not valid TOML: {err}") from None
    _only(raw, SECTIONS, "", f"unknown section (known: {', '.join(SECTIONS)})")
    base = path.parent
    model = _spec(ModelSpec, raw.get("model", {}), "model")
    material = _material(raw.get("material", {}))
    charge, total_charge = _charge(raw.get("charge", {}))
    geometry = _geometry(raw.get("geometry", {}), base, total_charge)
    probes = tuple(_spec(Probe, t, key) for t, key in _tables(raw, "probe", ""))
    mesh = dict(_table(raw.get("mesh", {}), "mesh"))
    if isinstance(mesh.get("file"), str):
        mesh["file"] = base / mesh["file"]
    specs = {name: _spec(cls, raw.get(name, {}), name) for name, cls in _SPECS.items()}
    magnetic = raw.get("magnetic", {})
    specs["magnetic"] = replace(specs["magnetic"], eps_given="eps" in magnetic)
    sweep = sweep_parameters(_table(raw.get("sweep", {}), "sweep"), raw)
    with at(""):
        return Case(
            material,
            geometry,
            **specs,
            mesh=_spec(MeshSpec, mesh, "mesh"),
            model=model,
            charge=charge,
            probes=probes,
            sweep=sweep,
            name=path.stem,
            path=path,
            source=text,
        )


# ------------------------------------------------------------------------------------ writing


def _value(value: Any, directory: Path | None) -> Any:
    """A field's value as TOML holds it: lists for tuples, paths as strings."""
    if isinstance(value, tuple):
        return [_value(v, directory) for v in value]
    if isinstance(value, Path):
        if value.is_absolute() and directory is not None:
            return Path(os.path.relpath(value, directory)).as_posix()
        return value.as_posix()
    return value


def _changed(obj: Any, directory: Path | None, skip: tuple[str, ...] = ()) -> dict:
    """The fields of ``obj`` that differ from their defaults (required ones always)."""
    out = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if not f.init or f.name in _DERIVED or f.name in skip or value is None:
            continue
        if f.default is MISSING or value != f.default:
            out[f.name] = _value(value, directory)
    return out


def _shape_table(shape: Shape, directory: Path | None) -> dict:
    """The shape's own keys first, then where it stands."""
    placed = _changed(shape, directory)
    where = {k: placed.pop(k) for k in ("center", "rotate") if k in placed}
    return {"shape": shape.kind, **placed, **where}


def _hole_table(hole: Hole, shape: Shape) -> dict:
    if not hole.declared:
        return {}
    table = {"fluxoid": hole.fluxoid}
    if shape.kind != ("cylinder" if hole.cut else "torus") or (
        hole.axis != rotated(shape.axis, shape.rotate) or hole.center != shape.center
    ):
        table |= {"hole_axis": list(hole.axis), "hole_center": list(hole.center)}
    return table


def _body_table(body: Body, k: int, directory: Path | None) -> dict:
    holes = {h.cut: h for h in body.holes}
    table = {} if body.name == f"body{k}" else {"name": body.name}
    table |= _shape_table(body.shape, directory)
    if body.net_charge:
        table["net_charge"] = body.net_charge
    if 0 in holes:
        table |= _hole_table(holes[0], body.shape)
    cuts = []
    for j, shape in enumerate(body.subtract, start=1):
        cuts.append(_shape_table(shape, directory))
        if j in holes:
            cuts[-1] |= _hole_table(holes[j], shape)
    if cuts:
        table["subtract"] = cuts
    return table


def _electrode_table(electrode: Electrode, k: int, directory: Path | None) -> dict:
    table = {} if electrode.name == f"electrode{k}" else {"name": electrode.name}
    return (
        table
        | _shape_table(electrode.shape, directory)
        | _changed(electrode, directory, skip=("shape", "name"))
    )


def case_to_toml(case: Case, directory: str | Path | None = None) -> str:
    """The case file of ``case``: only what differs from the defaults, [output] dir always
    (it would follow the file's name otherwise); file paths relative to ``directory``, or
    absolute without one."""
    where = None if directory is None else Path(directory).resolve()
    material = {"lambda": case.material.lambda_text}
    if case.material.n_s_override is not None:
        material["n_s"] = case.material.n_s_override
    geometry: dict[str, Any] = {"unit": case.geometry.unit}
    geometry["body"] = [
        _body_table(b, k, where) for k, b in enumerate(case.geometry.bodies, start=1)
    ]
    if case.geometry.electrodes:
        geometry["electrode"] = [
            _electrode_table(e, k, where) for k, e in enumerate(case.geometry.electrodes, start=1)
        ]
    raw: dict[str, Any] = {"material": material, "geometry": geometry}
    for name in ("mesh", "model", "charge", "magnetic", "electric", "spin", "solver"):
        spec = getattr(case, name)
        table = _changed(spec, where, skip=() if name != "magnetic" or spec.eps_given else ("eps",))
        if table:
            raw[name] = table
    raw["output"] = {"dir": _value(case.output.dir, where)} | _changed(case.output, where)
    if case.probes:
        raw["probe"] = [_changed(p, where) for p in case.probes]
    if case.sweep:
        raw["sweep"] = {p.label: list(p.values) for p in case.sweep}
    return f"# {case.name}: written by giantatom (Case.to_toml)\n" + dump_toml(raw)
