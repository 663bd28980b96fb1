"""What a run writes, as a case sets it: the output settings ([output]) and the probe lines
([[probe]]). Part of the case (solver/case.py re-exports these names); no DOLFINx."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from giantatom.case_fields import Checked, Invalid, Vector, boolean, integer, param, vector

FIELD_FORMATS = ("vtu", "vtx")
# Pictures a run can draw into figures/ (giantatom.figures; README "Pictures").
PIXELS = (64, 8192)  # the range of a picture's width and height
FIGURES = ("charge", "field", "surface", "magnetic", "current", "spin", "profile", "view")


def valid_pixels(n: int) -> bool:
    return PIXELS[0] <= n <= PIXELS[1]


def _drawn_from(choices: tuple[str, ...], hint: str = "", optional: bool = False):
    def check(value: Any) -> tuple[str, ...] | None:
        if value is None and optional:
            return None
        if not isinstance(value, list | tuple) or not all(v in choices for v in value):
            raise Invalid(f"must be a list drawn from {list(choices)}{hint}, got {value!r}")
        return tuple(dict.fromkeys(value))

    return check


def _pixels(value: Any) -> tuple[int, int]:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(
            isinstance(v, int) and not isinstance(v, bool) and valid_pixels(v) for v in value
        )
    ):
        raise Invalid(
            f"must be [width, height] in pixels, {PIXELS[0]} to {PIXELS[1]} each, got {value!r}"
        )
    return (value[0], value[1])


def _directory(value: Any) -> Path | None:
    if value is None or isinstance(value, Path):
        return value
    if not isinstance(value, str):
        raise Invalid(f"must be a string, got {value!r}")
    return Path(value)


@dataclass(frozen=True)
class OutputSpec(Checked):
    # Kept as given: a relative directory is taken from where the run starts. None: results/<name>.
    dir: Path | None = param(_directory, None)
    fields: bool = param(boolean, True)  # write the ParaView files
    formats: tuple[str, ...] = param(_drawn_from(FIELD_FORMATS), ("vtu",))  # vtu, vtx
    figures: tuple[str, ...] | None = param(_drawn_from(FIGURES, " ([] for none)", True), None)
    figure_size: tuple[int, int] = param(_pixels, (1600, 1200))  # PNG width, height


def _probe_name(value: Any) -> str:
    if not isinstance(value, str) or not value or not all(c.isalnum() or c in "-_" for c in value):
        raise Invalid("is required: letters, digits, - and _ (it names the CSV file)")
    return value


@dataclass(frozen=True)
class Probe(Checked):
    """Fields sampled at ``points`` points on the segment from ``start`` to ``end`` (geometry
    units), written to probe_<name>.csv."""

    name: str = param(_probe_name)
    start: Vector = param(vector())
    end: Vector = param(vector())
    points: int = param(integer(minimum=2), 201)

    def validate(self) -> None:
        if self.start == self.end:
            self.fail("end", "must differ from start")
