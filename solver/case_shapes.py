"""The geometry of a case: shapes (one class per ``shape`` of the case file), holes with their
fluxoids, bodies, electrodes and the geometry that holds them. Lengths are in the geometry's
``unit``; every object checks itself (solver/case_fields.py). The gmsh builders of these shapes
are in meshes/shapes.py.

    Body(Torus(major_radius=300, minor_radius=100), holes=[Hole(fluxoid=1)])
    Body(Cylinder(radius=400, height=100), subtract=[Cylinder(radius=150, height=100)])
    Electrode(Sphere(radius=50, center=(0, 0, 600)), potential=1.5)
"""

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from giantatom.case_fields import (
    Checked,
    Invalid,
    Vector,
    boolean,
    instance,
    integer,
    number,
    param,
    path,
    string,
    tuple_of,
    vector,
)
from giantatom.units import LENGTH_UNITS

ORIGIN: Vector = (0.0, 0.0, 0.0)
Z_AXIS: Vector = (0.0, 0.0, 1.0)
CAD_SUFFIXES = (".step", ".stp", ".brep", ".iges", ".igs", ".msh")
HOLE_KEYS = ("fluxoid", "hole_axis", "hole_center")


@dataclass(frozen=True)
class Shape(Checked):
    """One solid: ``center`` (geometry units) and ``rotate`` (degrees about x, then y, then z,
    through the centre) are keywords of every shape."""

    kind: ClassVar[str] = ""
    center: Vector | None = param(vector(), ORIGIN, kw_only=True)
    rotate: Vector = param(vector(), ORIGIN, kw_only=True)


@dataclass(frozen=True)
class Sphere(Shape):
    kind: ClassVar[str] = "sphere"
    radius: float = param(number(positive=True))


@dataclass(frozen=True)
class Ellipsoid(Shape):
    kind: ClassVar[str] = "ellipsoid"
    semi_axes: Vector = param(vector(positive=True))


@dataclass(frozen=True)
class Box(Shape):
    kind: ClassVar[str] = "box"
    size: Vector = param(vector(positive=True))
    fillet: float = param(number(minimum=0.0), 0.0)  # radius of the rounded edges

    def validate(self) -> None:
        if self.fillet >= 0.5 * min(self.size):
            self.fail("fillet", "must be less than half the smallest side of the box")


@dataclass(frozen=True)
class Cylinder(Shape):
    kind: ClassVar[str] = "cylinder"
    radius: float = param(number(positive=True))
    height: float = param(number(positive=True))
    axis: Vector = param(vector(unit=True), Z_AXIS)
    fillet: float = param(number(minimum=0.0), 0.0)

    def validate(self) -> None:
        if self.fillet >= 0.5 * min(self.radius, self.height):
            self.fail("fillet", "must be less than half the radius and half the height")


@dataclass(frozen=True)
class Torus(Shape):
    kind: ClassVar[str] = "torus"
    major_radius: float = param(number(positive=True))
    minor_radius: float = param(number(positive=True))
    axis: Vector = param(vector(unit=True), Z_AXIS)

    def validate(self) -> None:
        if self.minor_radius >= self.major_radius:
            self.fail("minor_radius", "must be smaller than major_radius (a ring)")


@dataclass(frozen=True)
class FileShape(Shape):
    """A solid from a CAD file (STEP, BREP, IGES) or a surface mesh (.msh), centred at
    ``center`` if given, else left where the file puts it; ``file_unit``: the unit of the
    file's numbers (README "Bodies from CAD files"), ``scale``: a factor on them."""

    kind: ClassVar[str] = "file"
    center: Vector | None = param(vector(optional=True), None, kw_only=True)
    path: Path = param(path())
    file_unit: str | None = param(string(choices=tuple(LENGTH_UNITS), optional=True), None)
    scale: float = param(number(positive=True), 1.0)

    def validate(self) -> None:
        if self.path.suffix.lower() not in CAD_SUFFIXES:
            self.fail(
                "path", f"must end in one of {', '.join(CAD_SUFFIXES)}; got {self.path.name!r}"
            )
        if not self.path.is_file():
            self.fail("path", f"no such file: {self.path}")


SHAPE_CLASSES: dict[str, type[Shape]] = {
    cls.kind: cls for cls in (Sphere, Ellipsoid, Box, Cylinder, Torus, FileShape)
}
SHAPES = tuple(SHAPE_CLASSES)


def rotated(vector: Vector, degrees: Vector) -> Vector:
    """``vector`` turned about x, then y, then z by ``degrees`` (a shape's ``rotate``)."""
    v = list(vector)
    for axis, angle in enumerate(degrees):
        if angle:
            c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
            i, j = (axis + 1) % 3, (axis + 2) % 3
            v[i], v[j] = c * v[i] - s * v[j], s * v[i] + c * v[j]
    return tuple(v)


@dataclass(frozen=True)
class Hole(Checked):
    """A hole through a body (a ring, a torus, a washer) and the fluxoid trapped in it
    (docs/formulation.md section 2): ``fluxoid`` flux quanta Phi_0 = h/(2|e|) along the axis,
    the right-handed sense about the axis line through the centre (geometry units), which must
    run through the hole and not through the body. ``cut``: 0 for the hole of the body's own
    shape (a torus, or any shape given hole_axis and hole_center), j for the one that
    ``subtract[j]`` makes (a cylinder, or any shape given both). A torus or a subtracted
    cylinder takes the axis and centre from its own. Holes no one declared (``declared`` false)
    are dropped with a note where the mesh shows they are not holes through the body."""

    fluxoid: int = param(integer(what="an integer number of flux quanta h/(2|e|)"), 0)
    hole_axis: Vector | None = param(vector(optional=True), None)
    hole_center: Vector | None = param(vector(optional=True), None)
    cut: int = param(integer(minimum=0), 0)
    key: str = ""  # the case-file table that makes it: geometry.body[k](.subtract[j])
    declared: bool = True

    def validate(self) -> None:
        if (self.hole_axis is None) != (self.hole_center is None):
            missing = "hole_center" if self.hole_center is None else "hole_axis"
            self.fail(missing, "is required with hole_axis and hole_center (both or neither)")
        if self.hole_axis is not None:
            try:
                self._set("hole_axis", vector(unit=True)(self.hole_axis))
            except Invalid as err:
                self.fail("hole_axis", str(err))

    @property
    def axis(self) -> Vector:
        """Unit vector: a positive fluxoid is flux along it."""
        return self.hole_axis

    @property
    def center(self) -> Vector:
        return self.hole_center


def _hole_key(cut: int, name: str) -> str:
    return f"subtract[{cut}].{name}" if cut else name


@dataclass(frozen=True)
class Body(Checked):
    """A superconducting body: a shape minus the shapes in ``subtract``, with its own net
    charge (C) and the fluxoids of its holes. ``name`` defaults to body1, body2, ..."""

    shape: Shape = param(instance(Shape, "a shape (Sphere, Box, ...)"))
    subtract: tuple[Shape, ...] = param(tuple_of(Shape, "shapes"), ())
    net_charge: float = param(number(), 0.0)  # C
    holes: tuple[Hole, ...] = param(tuple_of(Hole, "Hole objects"), ())
    name: str | None = param(string(optional=True), None)

    def validate(self) -> None:
        given: dict[int, Hole] = {}
        for hole in self.holes:
            if hole.cut > len(self.subtract):
                self.fail("holes", f"cut = {hole.cut}, but the body subtracts {len(self.subtract)}")
            if hole.cut in given:
                self.fail(_hole_key(hole.cut, "fluxoid"), "is given twice for the same hole")
            given[hole.cut] = hole
        self._set(
            "holes",
            tuple(
                h for cut in range(len(self.subtract) + 1) if (h := self._hole(cut, given.get(cut)))
            ),
        )

    def _hole(self, cut: int, hole: Hole | None) -> Hole | None:
        shape = self.subtract[cut - 1] if cut else self.shape
        if hole is not None and hole.hole_axis is not None:
            return hole
        if shape.kind == ("cylinder" if cut else "torus"):
            axis, center = rotated(shape.axis, shape.rotate), shape.center
            return replace(
                hole or Hole(cut=cut, declared=False), hole_axis=axis, hole_center=center
            )
        if hole is None:
            return None
        where = (
            "a subtracted cylinder takes them from its axis"
            if cut
            else "a torus takes them from its axis; give the hole's fluxoid on the "
            "[[geometry.body.subtract]] that cuts it, or hole_axis and hole_center here"
        )
        self.fail(
            _hole_key(cut, "fluxoid"),
            f"needs hole_axis and hole_center for shape {shape.kind!r} ({where})",
        )


@dataclass(frozen=True)
class Electrode(Checked):
    """A conductor outside the bodies: held at ``potential`` (V), or ``floating`` with a
    ``charge`` (C). Any shape a body can have; ``name`` defaults to electrode1, electrode2, ..."""

    shape: Shape = param(instance(Shape, "a shape (Sphere, Box, ...)"))
    potential: float | None = param(number(optional=True), None)  # V
    floating: bool = param(boolean, False)
    charge: float = param(number(), 0.0)  # C, of a floating electrode
    name: str | None = param(string(optional=True), None)

    def validate(self) -> None:
        if self.floating and self.potential is not None:
            self.fail(
                "potential",
                "is given with floating = true: an electrode is held at a potential (V) or "
                "floating with a charge (C), not both",
            )
        if not self.floating and self.potential is None:
            self.fail("potential", "is required (V), or floating = true with a charge (C)")
        if not self.floating and self.charge != 0.0:
            self.fail("charge", "is only used with floating = true (a floating electrode)")


def _unit(value: str) -> str:
    if value not in LENGTH_UNITS:
        raise Invalid(f"{value!r} is not a length unit (use one of {', '.join(LENGTH_UNITS)})")
    return value


@dataclass(frozen=True)
class Geometry(Checked):
    """The bodies and electrodes of a case, lengths in ``unit``."""

    bodies: tuple[Body, ...] = param(tuple_of(Body, "Body objects"))
    unit: str = param(_unit, "nm")
    electrodes: tuple[Electrode, ...] = param(tuple_of(Electrode, "Electrode objects"), ())

    def validate(self) -> None:
        if not self.bodies:
            self.fail("body", "at least one [[geometry.body]] is required")
        bodies = tuple(
            replace(b, name=b.name or f"body{k}", holes=_keyed(b.holes, f"geometry.body[{k}]"))
            for k, b in enumerate(self.bodies, start=1)
        )
        names = [b.name for b in bodies]
        if len(set(names)) != len(names):
            self.fail("body", "body names must be unique")
        electrodes = []
        for k, e in enumerate(self.electrodes, start=1):
            e = replace(e, name=e.name or f"electrode{k}")
            if e.name in names:
                self.fail(f"electrode[{k}].name", f"{e.name!r} names another body or electrode")
            names.append(e.name)
            electrodes.append(e)
        self._set("bodies", bodies)
        self._set("electrodes", tuple(electrodes))

    @property
    def unit_m(self) -> float:
        return LENGTH_UNITS[self.unit]


def _keyed(holes: tuple[Hole, ...], body_key: str) -> tuple[Hole, ...]:
    return tuple(replace(h, key=body_key + (f".subtract[{h.cut}]" if h.cut else "")) for h in holes)
