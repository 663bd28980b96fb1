"""Case files: TOML in, validated dataclasses out.

Every key is checked here, once: its type, its range and whether it belongs where it stands.
A problem raises ``CaseError`` naming the key as a dotted path (``geometry.body[2].radius``,
1-based), so the CLI can print one line the user can act on. Nothing in this module imports
DOLFINx or gmsh: ``giantatom check`` and ``giantatom plot`` stay light.
"""

import math
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from giantatom.errors import CaseError
from giantatom.material import Material
from giantatom.units import LENGTH_UNITS, parse_length

Vector = tuple[float, float, float]

SHAPES = ("sphere", "ellipsoid", "box", "cylinder", "torus", "file")
CAD_SUFFIXES = (".step", ".stp", ".brep", ".iges", ".igs", ".msh")
CLOSURES = ("surface-mean", "max-field", "rho0", "spin-speed")
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
MODEL_KINDS = ("full", "thin-layer", "auto")
MAGNETIC_SOLVERS = ("direct", "iterative")
MAGNETIC_BOUNDARIES = ("dipole", "uniform")

# Keys each shape needs (beyond center/rotate), and the optional ones it accepts.
_SHAPE_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "sphere": (("radius",), ()),
    "ellipsoid": (("semi_axes",), ()),
    "box": (("size",), ("fillet",)),
    "cylinder": (("radius", "height"), ("axis", "fillet")),
    "torus": (("major_radius", "minor_radius"), ("axis",)),
    "file": (("path",), ("file_unit", "scale")),
}
_COMMON_SHAPE_KEYS = ("shape", "center", "rotate")


@dataclass(frozen=True)
class Shape:
    """One solid, lengths in the case's geometry unit."""

    kind: str
    center: Vector | None = None  # None only for a file shape that keeps its own coordinates
    rotate: Vector = (0.0, 0.0, 0.0)  # degrees about x, then y, then z, through the centre
    radius: float = 0.0
    semi_axes: Vector = (0.0, 0.0, 0.0)
    size: Vector = (0.0, 0.0, 0.0)
    height: float = 0.0
    axis: Vector = (0.0, 0.0, 1.0)
    major_radius: float = 0.0
    minor_radius: float = 0.0
    fillet: float = 0.0
    path: Path | None = None
    file_unit: str | None = None  # unit of the numbers in the CAD file (see README)
    scale: float = 1.0


@dataclass(frozen=True)
class Hole:
    """A hole through a body (a ring, a torus, a washer) and the fluxoid trapped in it
    (docs/formulation.md section 2): ``fluxoid`` flux quanta Phi_0 = h/(2|e|) along ``axis``,
    the right-handed sense about the axis line through ``center`` (geometry units), which must
    run through the hole and not through the body. ``declared``: the case file names the hole
    (fluxoid, hole_axis or hole_center); a hole taken from a torus or a subtracted cylinder
    alone is dropped with a note where the mesh shows it is not a hole through the body."""

    key: str  # the case-file table that makes the hole: geometry.body[k](.subtract[j])
    axis: Vector  # unit vector: n > 0 is flux along it
    center: Vector  # a point of the axis line, geometry units
    fluxoid: int = 0  # flux quanta; 0: zero-field cooled
    declared: bool = False


@dataclass(frozen=True)
class Body:
    """A superconducting body: a shape minus its holes, with its own net charge."""

    name: str
    shape: Shape
    subtract: tuple[Shape, ...] = ()
    net_charge: float = 0.0  # C
    holes: tuple[Hole, ...] = ()  # the holes through it, with their fluxoids


@dataclass(frozen=True)
class Electrode:
    """An ideal normal conductor (docs/formulation.md section 4): held at ``potential`` (V), or
    ``floating`` with a given ``charge`` (C); exactly one of the two."""

    name: str
    shape: Shape
    potential: float | None = None
    floating: bool = False
    charge: float = 0.0


@dataclass(frozen=True)
class Geometry:
    unit: str
    bodies: tuple[Body, ...]
    electrodes: tuple[Electrode, ...] = ()

    @property
    def unit_m(self) -> float:
        return LENGTH_UNITS[self.unit]


@dataclass(frozen=True)
class MeshSpec:
    surface_size: float = 0.33  # element size at the surface, in lambda
    layer: float = 4.0  # depth of the refined layer on each side of the surface, in lambda
    far_field: float = 5.0  # outer-sphere radius / bounding radius of the bodies
    outer_radius: float | None = None  # explicit outer radius, geometry units (wins over far_field)
    order: int = 2  # element degree, and order of the curved geometry
    growth: float = 0.35  # how fast the element size may grow away from the layer (size/distance)
    far_size: float | None = None  # element size on the outer sphere, lambda (default R_out/8)
    file: Path | None = None  # a mesh saved by `giantatom mesh` (mesh.xdmf), used as it is
    threads: int = 1  # gmsh threads (HXT 3D meshing); more than 1 is faster, not reproducible


@dataclass(frozen=True)
class ModelSpec:
    """Which model solves the case: the full screened equations (the mesh resolves lambda), or
    their thin-layer asymptotics for lambda << size (the mesh follows the geometry alone)."""

    kind: str = "full"  # full | thin-layer | auto
    resolution: float = 0.1  # thin-layer: element size / local radius of curvature
    order: int = 3  # thin-layer: element degree and geometry order (the mesh is coarse)
    auto_threshold: float = 50.0  # auto: thin-layer above this smallest body dimension, lambda


@dataclass(frozen=True)
class ChargeSpec:
    closure: str = "surface-mean"
    rho0: float | None = None  # C/m^3, with closure = "rho0"


@dataclass(frozen=True)
class MagneticSpec:
    applied_field: Vector = (0.0, 0.0, 0.0)  # T; zero skips the magnetic sector
    solver: str = "direct"  # MUMPS; "iterative": CG with an auxiliary-space preconditioner
    order: int = 1  # degree of the N1curl (Nedelec first kind) element
    boundary: str = "dipole"  # tangential A on the outer sphere: applied + induced dipole
    eps: float = 1e-6  # vacuum mass coefficient: makes the vacuum curl-curl block invertible
    eps_given: bool = False  # eps set in the case file (else chosen by vacuum_eps)
    trapped_flux: bool = False  # a hole of some body has a nonzero fluxoid

    @property
    def active(self) -> bool:
        return self.trapped_flux or any(b != 0.0 for b in self.applied_field)


# The vacuum regularisation eps biases the moment by about EPS_BIAS eps (R_out/lambda)^2
# (docs/formulation.md section 2), so its bound is on eps (R_out/lambda)^2, not on eps alone:
# EPS_R2_BOUND keeps that bias below 1e-4.
EPS_BIAS = 0.08
EPS_R2_BOUND = 1e-3


def vacuum_eps(spec: MagneticSpec, outer_radius: float) -> float:
    """The eps a magnetic solve uses with an outer sphere of ``outer_radius`` lambda: the case's
    eps if it set one (an error naming magnetic.eps when eps (R_out/lambda)^2 exceeds
    EPS_R2_BOUND), else the default capped at EPS_R2_BOUND / (R_out/lambda)^2."""
    r2 = outer_radius**2
    if not spec.eps_given:
        return min(spec.eps, EPS_R2_BOUND / r2)
    if spec.eps * r2 > EPS_R2_BOUND:
        raise CaseError(
            f"eps (R_out/lambda)^2 = {spec.eps:g} x {outer_radius:.4g}^2 = {spec.eps * r2:.3g} "
            f"exceeds {EPS_R2_BOUND:g} (the moment is biased by about {EPS_BIAS:g} eps "
            f"(R_out/lambda)^2): use eps <= {EPS_R2_BOUND / r2:.3g}, or leave eps out",
            "magnetic.eps",
        )
    return spec.eps


@dataclass(frozen=True)
class ElectricSpec:
    applied_field: Vector = (0.0, 0.0, 0.0)  # V/m, uniform: phi -> -E_a . r far away

    @property
    def active(self) -> bool:
        return any(e != 0.0 for e in self.applied_field)


@dataclass(frozen=True)
class SpinSpec:
    axis: Vector = (0.0, 0.0, 1.0)  # spin quantization axis s, normalised
    direct_check: bool = True  # solve Eq. 62a directly and report the difference


@dataclass(frozen=True)
class SolverSpec:
    rtol: float = 1e-10
    max_iterations: int = 1000


FIELD_FORMATS = ("vtu", "vtx")
# Pictures a run can draw into figures/ (solver/figures.py; README "Pictures").
PIXELS = (64, 8192)  # the range of a picture's width and height


def valid_pixels(n: int) -> bool:
    return PIXELS[0] <= n <= PIXELS[1]


FIGURES = ("charge", "field", "surface", "magnetic", "current", "spin", "profile", "view")


@dataclass(frozen=True)
class OutputSpec:
    dir: Path
    fields: bool = True  # write the ParaView files
    formats: tuple[str, ...] = ("vtu",)  # vtu: fields.pvtu (ParaView, pyvista); vtx: fields.bp
    figures: tuple[str, ...] | None = None  # None: every figure the run has the data for
    figure_size: tuple[int, int] = (1600, 1200)  # PNG width, height in pixels


@dataclass(frozen=True)
class Probe:
    name: str
    start: Vector
    end: Vector
    points: int = 201


@dataclass(frozen=True)
class SweepParameter:
    """One swept key: ``key`` is its full dotted path in the case file (``material.lambda``,
    ``geometry.body[1].radius``), ``label`` the name it was given in [sweep]."""

    key: str
    label: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Case:
    path: Path
    text: str  # the case file as run, copied into the results
    material: Material
    lambda_text: str
    geometry: Geometry
    mesh: MeshSpec
    charge: ChargeSpec
    solver: SolverSpec
    output: OutputSpec
    probes: tuple[Probe, ...] = field(default_factory=tuple)
    magnetic: MagneticSpec = MagneticSpec()
    electric: ElectricSpec = ElectricSpec()
    model: ModelSpec = ModelSpec()
    spin: SpinSpec = SpinSpec()
    sweep: tuple[SweepParameter, ...] = ()  # [sweep]: run every combination (solver/sweep.py)

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def lambda_in_units(self) -> float:
        """lambda in the geometry unit: the mesh is built in units of lambda, this converts."""
        return self.material.lambda_m / self.geometry.unit_m


class _Table:
    """A TOML table being read: typed getters that name the key on error, and a check that
    every key present was used."""

    def __init__(self, raw: Any, path: str):
        if not isinstance(raw, dict):
            raise CaseError(f"must be a table, got {_kind(raw)}", path)
        self.raw = raw
        self.path = path
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def has(self, name: str) -> bool:
        return name in self.raw

    def get(self, name: str, default: Any = None) -> Any:
        self.used.add(name)
        return self.raw.get(name, default)

    def number(
        self,
        name: str,
        default: float | None = None,
        *,
        positive: bool = False,
        minimum: float | None = None,
        required: bool = False,
    ) -> float | None:
        value = self.get(name)
        if value is None:
            if required:
                raise CaseError("is required", self.key(name))
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CaseError(f"must be a number, got {_kind(value)}", self.key(name))
        value = float(value)
        if not math.isfinite(value):
            raise CaseError("must be finite", self.key(name))
        if positive and value <= 0:
            raise CaseError(f"must be positive, got {value:g}", self.key(name))
        if minimum is not None and value < minimum:
            raise CaseError(f"must be at least {minimum:g}, got {value:g}", self.key(name))
        return value

    def integer(self, name: str, default: int, *, choices: tuple[int, ...] = ()) -> int:
        value = self.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise CaseError(f"must be an integer, got {_kind(value)}", self.key(name))
        if choices and value not in choices:
            raise CaseError(f"must be one of {list(choices)}, got {value}", self.key(name))
        return value

    def string(self, name: str, default: str | None = None, *, choices: tuple[str, ...] = ()):
        value = self.get(name, default)
        if value is None:
            return None
        if not isinstance(value, str):
            raise CaseError(f"must be a string, got {_kind(value)}", self.key(name))
        if choices and value not in choices:
            raise CaseError(f"must be one of {', '.join(choices)}; got {value!r}", self.key(name))
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.get(name, default)
        if not isinstance(value, bool):
            raise CaseError(f"must be true or false, got {_kind(value)}", self.key(name))
        return value

    def vector(self, name: str, default: Vector | None = None, *, positive: bool = False):
        value = self.get(name)
        if value is None:
            return default
        if (
            not isinstance(value, list)
            or len(value) != 3
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        ):
            raise CaseError(f"must be a list of 3 numbers, got {value!r}", self.key(name))
        vec = tuple(float(v) for v in value)
        if not all(math.isfinite(v) for v in vec):
            raise CaseError("must be finite", self.key(name))
        if positive and min(vec) <= 0:
            raise CaseError(f"must have positive entries, got {list(vec)}", self.key(name))
        return vec

    def table(self, name: str) -> "_Table":
        return _Table(self.get(name, {}), self.key(name))

    def tables(self, name: str) -> list["_Table"]:
        value = self.get(name, [])
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            raise CaseError(f"must be an array of tables ([[{name}]])", self.key(name))
        return [_Table(item, f"{self.key(name)}[{i + 1}]") for i, item in enumerate(value)]

    def done(self, allowed_hint: str = "") -> None:
        unknown = sorted(set(self.raw) - self.used)
        if unknown:
            hint = f" ({allowed_hint})" if allowed_hint else ""
            raise CaseError(f"unknown key{hint}", self.key(unknown[0]))


def _kind(value: Any) -> str:
    return {dict: "a table", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), f"{type(value).__name__} {value!r}"
    )


def _unit_vector(t: _Table, name: str, default: Vector) -> Vector:
    vec = t.vector(name, default)
    norm = math.sqrt(sum(v * v for v in vec))
    if norm == 0:
        raise CaseError("must not be the zero vector", t.key(name))
    return tuple(v / norm for v in vec)


def _parse_shape(t: _Table, base_dir: Path, *, extra_keys: tuple[str, ...] = ()) -> Shape:
    kind = t.string("shape")
    if kind is None:
        raise CaseError(f"is required (one of {', '.join(SHAPES)})", t.key("shape"))
    if kind not in SHAPES:
        raise CaseError(f"must be one of {', '.join(SHAPES)}; got {kind!r}", t.key("shape"))
    required, optional = _SHAPE_KEYS[kind]
    allowed = set(required) | set(optional) | set(_COMMON_SHAPE_KEYS) | set(extra_keys)
    for name in t.raw:
        if name not in allowed:
            raise CaseError(f"is not a key of shape {kind!r}", t.key(name))
    for name in required:
        if not t.has(name):
            raise CaseError(f"is required for shape {kind!r}", t.key(name))

    args: dict[str, Any] = {
        "kind": kind,
        "center": t.vector("center", None if kind == "file" else (0.0, 0.0, 0.0)),
        "rotate": t.vector("rotate", (0.0, 0.0, 0.0)),
    }
    if kind == "sphere":
        args["radius"] = t.number("radius", positive=True)
    elif kind == "ellipsoid":
        args["semi_axes"] = t.vector("semi_axes", positive=True)
    elif kind == "box":
        args["size"] = t.vector("size", positive=True)
        args["fillet"] = t.number("fillet", 0.0, minimum=0.0)
        if args["fillet"] >= 0.5 * min(args["size"]):
            raise CaseError("must be less than half the smallest side of the box", t.key("fillet"))
    elif kind == "cylinder":
        args["radius"] = t.number("radius", positive=True)
        args["height"] = t.number("height", positive=True)
        args["axis"] = _unit_vector(t, "axis", (0.0, 0.0, 1.0))
        args["fillet"] = t.number("fillet", 0.0, minimum=0.0)
        if args["fillet"] >= 0.5 * min(args["radius"], args["height"]):
            raise CaseError(
                "must be less than half the radius and half the height", t.key("fillet")
            )
    elif kind == "torus":
        args["major_radius"] = t.number("major_radius", positive=True)
        args["minor_radius"] = t.number("minor_radius", positive=True)
        args["axis"] = _unit_vector(t, "axis", (0.0, 0.0, 1.0))
        if args["minor_radius"] >= args["major_radius"]:
            raise CaseError("must be smaller than major_radius (a ring)", t.key("minor_radius"))
    elif kind == "file":
        raw_path = t.string("path")
        path = (base_dir / raw_path).resolve()
        if path.suffix.lower() not in CAD_SUFFIXES:
            raise CaseError(
                f"must end in one of {', '.join(CAD_SUFFIXES)}; got {raw_path!r}", t.key("path")
            )
        if not path.is_file():
            raise CaseError(f"no such file: {path}", t.key("path"))
        args["path"] = path
        args["file_unit"] = t.string("file_unit", choices=tuple(LENGTH_UNITS))
        args["scale"] = t.number("scale", 1.0, positive=True)
    return Shape(**args)


HOLE_KEYS = ("fluxoid", "hole_axis", "hole_center")


def rotated(vector: Vector, degrees: Vector) -> Vector:
    """``vector`` turned about x, then y, then z by ``degrees`` (a shape's ``rotate``)."""
    v = list(vector)
    for axis, angle in enumerate(degrees):
        if angle:
            c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
            i, j = (axis + 1) % 3, (axis + 2) % 3
            v[i], v[j] = c * v[i] - s * v[j], s * v[i] + c * v[j]
    return tuple(v)


def _parse_hole(t: _Table, shape: Shape, own: bool) -> Hole | None:
    """The hole that a body table (``own``: a torus, or any shape given hole_axis and
    hole_center) or a subtract table (a cylinder, or any shape given both keys) makes, with
    its fluxoid (an integer number of flux quanta, default 0)."""
    declared = any(t.has(k) for k in HOLE_KEYS)
    fluxoid = t.get("fluxoid", 0)
    if isinstance(fluxoid, bool) or not isinstance(fluxoid, int):
        raise CaseError(
            f"must be an integer number of flux quanta h/(2|e|), got {_kind(fluxoid)}",
            t.key("fluxoid"),
        )
    axis = t.vector("hole_axis")
    center = t.vector("hole_center")
    if (axis is None) != (center is None):
        missing = "hole_center" if center is None else "hole_axis"
        raise CaseError(
            "is required with hole_axis and hole_center (both or neither)", t.key(missing)
        )
    if axis is not None:
        if not any(axis):
            raise CaseError("must not be the zero vector", t.key("hole_axis"))
        norm = math.sqrt(sum(v * v for v in axis))
        axis = tuple(v / norm for v in axis)
    elif shape.kind == ("torus" if own else "cylinder"):
        axis, center = rotated(shape.axis, shape.rotate), shape.center
    elif declared:
        where = (
            "a torus takes them from its axis; give the hole's fluxoid on the "
            "[[geometry.body.subtract]] that cuts it, or hole_axis and hole_center here"
            if own
            else "a subtracted cylinder takes them from its axis"
        )
        raise CaseError(
            f"needs hole_axis and hole_center for shape {shape.kind!r} ({where})",
            t.key("fluxoid" if t.has("fluxoid") else "hole_axis"),
        )
    else:
        return None
    return Hole(key=t.path, axis=axis, center=center, fluxoid=fluxoid, declared=declared)


def _parse_body(t: _Table, index: int, base_dir: Path) -> Body:
    shape = _parse_shape(t, base_dir, extra_keys=("subtract", "net_charge", "name", *HOLE_KEYS))
    name = t.string("name", f"body{index}")
    net_charge = t.number("net_charge", 0.0)
    own = _parse_hole(t, shape, own=True)
    holes, cut = [], []
    for hole in t.tables("subtract"):
        holes.append(_parse_shape(hole, base_dir, extra_keys=HOLE_KEYS))
        cut.append(_parse_hole(hole, holes[-1], own=False))
        hole.done()
    t.done()
    found = tuple(h for h in (own, *cut) if h is not None)
    return Body(name=name, shape=shape, subtract=tuple(holes), net_charge=net_charge, holes=found)


def _parse_electrodes(tables: list[_Table], base_dir: Path, bodies: list[Body]):
    """[[geometry.electrode]]: a shape and either ``potential`` or ``floating`` (+ ``charge``)."""
    electrodes = []
    for k, t in enumerate(tables):
        shape = _parse_shape(t, base_dir, extra_keys=("name", "potential", "floating", "charge"))
        potential = t.number("potential")
        floating = t.boolean("floating", False)
        if (potential is None) == (not floating):
            which = "potential" if potential is not None else "floating"
            raise CaseError(
                "give either potential (V, held) or floating = true (with a charge), not both "
                "and not neither",
                t.key(which),
            )
        if t.has("charge") and not floating:
            raise CaseError("is only for a floating electrode", t.key("charge"))
        charge = t.number("charge", 0.0)
        name = t.string("name", f"electrode{k + 1}")
        t.done()
        electrodes.append(Electrode(name, shape, potential, floating, charge))
    names = [b.name for b in bodies] + [e.name for e in electrodes]
    if len(set(names)) != len(names):
        raise CaseError("body and electrode names must be unique", "geometry.electrode")
    return tuple(electrodes)


def _parse_material(t: _Table) -> tuple[Material, str]:
    text = t.get("lambda")
    if text is None:
        raise CaseError('is required: the London penetration depth, like "40 nm"', t.key("lambda"))
    if not isinstance(text, str):
        raise CaseError(
            f'must be a length with a unit, like "40 nm"; got {text!r}', t.key("lambda")
        )
    try:
        lambda_m, _ = parse_length(text)
    except ValueError as err:
        raise CaseError(str(err), t.key("lambda")) from None
    if lambda_m <= 0:
        raise CaseError(f"must be positive, got {text!r}", t.key("lambda"))
    n_s = t.number("n_s", positive=True)
    t.done("lambda, n_s")
    return Material(lambda_m=lambda_m, n_s_override=n_s), text


def _parse_geometry(t: _Table, base_dir: Path, total_charge: float) -> Geometry:
    unit = t.string("unit", "nm")
    if unit not in LENGTH_UNITS:
        raise CaseError(
            f"{unit!r} is not a length unit (use one of {', '.join(LENGTH_UNITS)})", t.key("unit")
        )
    bodies = [_parse_body(b, i + 1, base_dir) for i, b in enumerate(t.tables("body"))]
    electrodes = _parse_electrodes(t.tables("electrode"), base_dir, bodies)
    t.done("unit, body, electrode")
    if not bodies:
        raise CaseError("at least one [[geometry.body]] is required", t.key("body"))
    names = [b.name for b in bodies]
    if len(set(names)) != len(names):
        raise CaseError("body names must be unique", t.key("body"))
    if total_charge != 0.0:
        if len(bodies) > 1:
            raise CaseError(
                "applies to a single body; with several bodies give each its own "
                "[[geometry.body]] net_charge",
                "charge.net_charge",
            )
        bodies[0] = replace(bodies[0], net_charge=total_charge)
    return Geometry(unit=unit, bodies=tuple(bodies), electrodes=electrodes)


def _parse_mesh(t: _Table, base_dir: Path, kind: str = "full") -> MeshSpec:
    mesh_file = t.string("file")
    if mesh_file is not None:
        mesh_file = (base_dir / mesh_file).resolve()
    threads = t.integer("threads", MeshSpec.threads)
    if threads < 1:
        raise CaseError(f"must be at least 1, got {threads}", t.key("threads"))
    spec = MeshSpec(
        surface_size=t.number("surface_size", MeshSpec.surface_size, positive=True),
        layer=t.number("layer", MeshSpec.layer, positive=True),
        far_field=t.number("far_field", MeshSpec.far_field, positive=True),
        outer_radius=t.number("outer_radius", positive=True),
        order=t.integer("order", MeshSpec.order, choices=(1, 2, 3)),
        growth=t.number("growth", MeshSpec.growth, positive=True),
        far_size=t.number("far_size", positive=True),
        file=mesh_file,
        threads=threads,
    )
    t.done("surface_size, layer, far_field, outer_radius, order, growth, far_size, file, threads")
    if spec.file is not None:
        check_mesh_file(spec.file, kind, spec.order, t.key("file"))
    if kind == "full":
        check_lambda_resolution(spec)
    if spec.outer_radius is None and spec.far_field < 1.5:
        raise CaseError(
            f"must be at least 1.5 (the outer vacuum sphere must clear the bodies), got "
            f"{spec.far_field:g}; 4 to 6 is usual",
            t.key("far_field"),
        )
    if spec.growth > 1.0:
        raise CaseError(f"must be at most 1, got {spec.growth:g}", t.key("growth"))
    return spec


def check_mesh_file(path: Path, kind: str, order: int, key: str) -> None:
    """A mesh saved by `giantatom mesh` ([mesh] file or --mesh, named by ``key``): mesh.xdmf
    with its .h5 and .json, usable by this case's model and element order."""
    if path.suffix != ".xdmf":
        raise CaseError(f"must be a mesh.xdmf written by `giantatom mesh`, got {path.name!r}", key)
    for needed in (path, path.with_suffix(".h5"), path.with_suffix(".json")):
        if not needed.is_file():
            raise CaseError(f"no such file: {needed}", key)
    if kind != "full":
        raise CaseError(
            f'a saved mesh is for the full model ([model] kind = "full"), not {kind!r}: the '
            "thin-layer mesh is coarse and quick to make",
            key,
        )
    if order > 2:
        raise CaseError(
            "a saved mesh must be of order 1 or 2: DOLFINx 0.11 reads no cubic tetrahedra "
            "from XDMF",
            key,
        )


def check_lambda_resolution(spec: MeshSpec) -> None:
    """The full model resolves the charge layer: element size and refined depth in lambda.
    (The thin-layer model does not resolve it, so these limits do not apply there.)"""
    if spec.surface_size > 1.0:
        raise CaseError(
            f"{spec.surface_size:g} lambda is too coarse to resolve the charge layer: it must "
            "be at most 1 (in units of lambda); 0.33 is accurate to about 1% with order = 2 "
            '(for samples much larger than lambda use [model] kind = "thin-layer")',
            "mesh.surface_size",
        )
    if spec.layer < 1.0:
        raise CaseError(
            f"must be at least 1 lambda (the charge layer is about 1 lambda deep), "
            f"got {spec.layer:g}",
            "mesh.layer",
        )


def _parse_model(t: _Table) -> ModelSpec:
    spec = ModelSpec(
        kind=t.string("kind", ModelSpec.kind, choices=MODEL_KINDS),
        resolution=t.number("resolution", ModelSpec.resolution, positive=True),
        order=t.integer("order", ModelSpec.order, choices=(1, 2, 3)),
        auto_threshold=t.number("auto_threshold", ModelSpec.auto_threshold, positive=True),
    )
    t.done("kind, resolution, order, auto_threshold")
    if spec.resolution > 0.5:
        raise CaseError(
            f"must be at most 0.5 (element size / radius of curvature), got {spec.resolution:g}; "
            "0.1 is accurate to about 0.1% with order = 2",
            t.key("resolution"),
        )
    return spec


def _parse_charge(t: _Table) -> tuple[ChargeSpec, float]:
    closure = t.string("closure", "surface-mean", choices=CLOSURES)
    rho0 = t.number("rho0")
    net_charge = t.number("net_charge", 0.0)
    t.done("net_charge, closure, rho0")
    if closure == "rho0" and rho0 is None:
        raise CaseError('is required with closure = "rho0" (C/m^3)', t.key("rho0"))
    if closure != "rho0" and rho0 is not None:
        raise CaseError(f'is only used with closure = "rho0", not {closure!r}', t.key("rho0"))
    return ChargeSpec(closure=closure, rho0=rho0), net_charge


def _parse_magnetic(t: _Table) -> MagneticSpec:
    spec = MagneticSpec(
        applied_field=t.vector("applied_field", MagneticSpec.applied_field),
        solver=t.string("solver", MagneticSpec.solver, choices=MAGNETIC_SOLVERS),
        order=t.integer("order", MagneticSpec.order, choices=(1, 2, 3)),
        boundary=t.string("boundary", MagneticSpec.boundary, choices=MAGNETIC_BOUNDARIES),
        eps=t.number("eps", MagneticSpec.eps, positive=True),
        eps_given=t.has("eps"),
    )
    t.done("applied_field, solver, order, boundary, eps")
    if spec.eps > 1e-3:
        raise CaseError(
            f"must be at most 1e-3 (it adds a spurious screening current eps*A in the vacuum), "
            f"got {spec.eps:g}; 1e-6 is usual",
            t.key("eps"),
        )
    return spec


def _parse_electric(t: _Table) -> ElectricSpec:
    spec = ElectricSpec(applied_field=t.vector("applied_field", ElectricSpec.applied_field))
    t.done("applied_field")
    return spec


def _parse_spin(t: _Table) -> SpinSpec:
    spec = SpinSpec(
        axis=_unit_vector(t, "axis", SpinSpec.axis),
        direct_check=t.boolean("direct_check", SpinSpec.direct_check),
    )
    t.done("axis, direct_check")
    return spec


def _parse_solver(t: _Table) -> SolverSpec:
    spec = SolverSpec(
        rtol=t.number("rtol", SolverSpec.rtol, positive=True),
        max_iterations=t.integer("max_iterations", SolverSpec.max_iterations),
    )
    t.done("rtol, max_iterations")
    if spec.rtol >= 1e-4:
        raise CaseError(
            f"must be below 1e-4 for meaningful fields, got {spec.rtol:g}", t.key("rtol")
        )
    if spec.max_iterations < 1:
        raise CaseError("must be at least 1", t.key("max_iterations"))
    return spec


def _parse_output(t: _Table, case_path: Path) -> OutputSpec:
    formats = t.get("formats", ["vtu"])
    if not isinstance(formats, list) or not all(f in FIELD_FORMATS for f in formats):
        raise CaseError(
            f"must be a list drawn from {list(FIELD_FORMATS)}, got {formats!r}", t.key("formats")
        )
    figures = t.get("figures")
    if figures is not None and (
        not isinstance(figures, list) or not all(f in FIGURES for f in figures)
    ):
        raise CaseError(
            f"must be a list drawn from {list(FIGURES)} ([] for none), got {figures!r}",
            t.key("figures"),
        )
    size = t.get("figure_size", list(OutputSpec.figure_size))
    if (
        not isinstance(size, list)
        or len(size) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and valid_pixels(v) for v in size)
    ):
        raise CaseError(
            f"must be [width, height] in pixels, {PIXELS[0]} to {PIXELS[1]} each, got {size!r}",
            t.key("figure_size"),
        )
    spec = OutputSpec(
        dir=Path(t.string("dir", f"results/{case_path.stem}")),
        fields=t.boolean("fields", True),
        formats=tuple(dict.fromkeys(formats)),
        figures=None if figures is None else tuple(dict.fromkeys(figures)),
        figure_size=(size[0], size[1]),
    )
    t.done("dir, fields, formats, figures, figure_size")
    return spec


def _parse_probe(t: _Table) -> Probe:
    name = t.string("name")
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise CaseError(
            "is required: letters, digits, - and _ (it names the CSV file)", t.key("name")
        )
    start = t.vector("start")
    end = t.vector("end")
    if start is None or end is None:
        raise CaseError("is required", t.key("start" if start is None else "end"))
    points = t.integer("points", 201)
    t.done("name, start, end, points")
    if points < 2:
        raise CaseError(f"must be at least 2, got {points}", t.key("points"))
    if start == end:
        raise CaseError("must differ from start", t.key("end"))
    return Probe(name=name, start=start, end=end, points=points)


# [sweep] keys: a full dotted path, or a short name for the common ones. Sections not listed in
# _NOT_SWEPT can be swept key by key; bodies by index, geometry.body[k] (1-based).
_NOT_SWEPT = ("output", "probe", "sweep")
_SWEEP_ALIASES = {
    "lambda": "material.lambda",
    "n_s": "material.n_s",
    "unit": "geometry.unit",
    "applied_field": "magnetic.applied_field",
}
for _section, _keys in {
    "mesh": ("surface_size", "layer", "far_field", "outer_radius", "order", "growth", "far_size"),
    "charge": ("closure", "rho0", "net_charge"),
    "solver": ("rtol", "max_iterations"),
}.items():
    _SWEEP_ALIASES.update({k: f"{_section}.{k}" for k in _keys})
# shape keys: geometry.body[1].<key>, in a case with one body
_BODY_KEYS = sorted(
    {k for required, optional in _SHAPE_KEYS.values() for k in required + optional}
    | {"center", "rotate", *HOLE_KEYS}
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
        known = ", ".join(sorted(_SWEEP_ALIASES) + _BODY_KEYS)
        raise CaseError(
            f'cannot be swept: use a dotted case-file key like "mesh.surface_size" or '
            f'"geometry.body[2].radius" ([output], [[probe]] are not swept), or one of {known}',
            key,
        )
    return label


def _parse_sweep(t: _Table, raw: dict) -> tuple[SweepParameter, ...]:
    """[sweep] key = [values]: the keys' paths and values; each combination is checked as a
    whole case when the sweep is expanded (solver.sweep.members)."""
    parameters = []
    for label in list(t.raw):
        values = t.get(label)
        if not isinstance(values, list) or not values:
            raise CaseError(
                f"must be a non-empty list of the values to run, got {values!r}", t.key(label)
            )
        if len({repr(v) for v in values}) != len(values):
            raise CaseError("lists a value twice", t.key(label))
        parameters.append(SweepParameter(sweep_key(label, raw), label, tuple(values)))
    if len({p.key for p in parameters}) != len(parameters):
        raise CaseError("two [sweep] keys name the same case-file key", "sweep")
    if math.prod(len(p.values) for p in parameters) > _MAX_SWEEP_MEMBERS:
        raise CaseError(f"more than {_MAX_SWEEP_MEMBERS} combinations", "sweep")
    return tuple(parameters)


def parse_case(text: str, path: Path) -> Case:
    """Parse and validate a case file's text; ``path`` locates relative CAD paths."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise CaseError(f"not valid TOML: {err}") from None
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise CaseError(f"unknown section (known: {', '.join(SECTIONS)})", unknown[0])
    root = _Table(raw, "")
    model = _parse_model(root.table("model"))
    material, lambda_text = _parse_material(root.table("material"))
    charge, total_charge = _parse_charge(root.table("charge"))
    geometry = _parse_geometry(root.table("geometry"), path.parent, total_charge)
    probes = tuple(_parse_probe(p) for p in root.tables("probe"))
    if len({p.name for p in probes}) != len(probes):
        raise CaseError("probe names must be unique", "probe")
    case = Case(
        path=path,
        text=text,
        material=material,
        lambda_text=lambda_text,
        geometry=geometry,
        mesh=_parse_mesh(root.table("mesh"), path.parent, model.kind),
        charge=charge,
        magnetic=replace(
            _parse_magnetic(root.table("magnetic")),
            trapped_flux=any(h.fluxoid for b in geometry.bodies for h in b.holes),
        ),
        electric=_parse_electric(root.table("electric")),
        model=model,
        spin=_parse_spin(root.table("spin")),
        solver=_parse_solver(root.table("solver")),
        output=_parse_output(root.table("output"), path),
        probes=probes,
        sweep=_parse_sweep(root.table("sweep"), raw),
    )
    return case


def load_case(path: str | Path) -> Case:
    """Read and validate a case file."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise CaseError(f"case file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise CaseError(f"cannot read case file {path}: {err}") from None
    return parse_case(text, path.resolve())
