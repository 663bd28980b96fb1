"""Checked fields for the case objects: each object validates itself when it is made.

A field declared with ``param(check, default)`` is passed through ``check`` after ``__init__``
(in Python or from a case file alike): the check returns the value in its stored form (a list
becomes a tuple of floats, an axis is normalised) or raises ``Invalid`` with the reason. The
object turns that into a ``FieldError`` naming itself and the field (``Sphere.radius: must be
positive, got -1``); the case-file reader re-raises it under the table's key path
(``geometry.body[1].radius: ...``). Field names are the case-file keys, so one message serves
both ways in.
"""

import math
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, NoReturn

from giantatom.errors import CaseError

Vector = tuple[float, float, float]
Check = Callable[[Any], Any]


class Invalid(ValueError):
    """A value a field check rejects; the message is the reason, without the field name."""


class FieldError(CaseError):
    """A bad field of a case object: the key is ``Owner.field``; ``field`` alone is what a
    case-file reader appends to its table's key path."""

    def __init__(self, owner: str, name: str, message: str):
        super().__init__(message, f"{owner}.{name}")
        self.field = name


def param(check: Check, default: Any = MISSING, **kwargs: Any) -> Any:
    """A dataclass field whose value ``check`` validates and normalises."""
    return field(default=default, metadata={"check": check}, **kwargs)


@dataclass(frozen=True)
class Checked:
    """Base of the case objects: runs the field checks, then ``validate`` for the rules that
    tie fields together."""

    def __post_init__(self) -> None:
        for f in fields(self):
            check = f.metadata.get("check")
            if check is None:
                continue
            try:
                value = check(getattr(self, f.name))
            except Invalid as err:
                self.fail(f.name, str(err))
            self._set(f.name, value)
        self.validate()

    def validate(self) -> None:
        """Rules across fields; raise with ``self.fail``."""

    def fail(self, name: str, message: str) -> NoReturn:
        raise FieldError(type(self).__name__, name, message) from None

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)  # normalising in __post_init__ of a frozen class


def kind_of(value: Any) -> str:
    """How a message names a value of the wrong type."""
    return {
        dict: "a table",
        list: "a list",
        tuple: "a list",
        str: "a string",
        bool: "a boolean",
    }.get(type(value), f"{type(value).__name__} {value!r}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def number(
    *, positive: bool = False, minimum: float | None = None, optional: bool = False
) -> Check:
    def check(value: Any) -> float | None:
        if value is None and optional:
            return None
        if not _is_number(value):
            raise Invalid(f"must be a number, got {kind_of(value)}")
        value = float(value)
        if not math.isfinite(value):
            raise Invalid("must be finite")
        if positive and value <= 0:
            raise Invalid(f"must be positive, got {value:g}")
        if minimum is not None and value < minimum:
            raise Invalid(f"must be at least {minimum:g}, got {value:g}")
        return value

    return check


def integer(
    *,
    choices: tuple[int, ...] = (),
    minimum: int | None = None,
    what: str = "an integer",
    optional: bool = False,
) -> Check:
    def check(value: Any) -> int | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"must be {what}, got {kind_of(value)}")
        if choices and value not in choices:
            raise Invalid(f"must be one of {list(choices)}, got {value}")
        if minimum is not None and value < minimum:
            raise Invalid(f"must be at least {minimum}, got {value}")
        return value

    return check


def string(*, choices: tuple[str, ...] = (), optional: bool = False) -> Check:
    def check(value: Any) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise Invalid(f"must be a string, got {kind_of(value)}")
        if choices and value not in choices:
            raise Invalid(f"must be one of {', '.join(choices)}; got {value!r}")
        return value

    return check


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"must be true or false, got {kind_of(value)}")
    return value


def boolean_or_auto(value: Any) -> bool | str:
    """true, false or "auto" (the code decides, and says so in the log)."""
    if value == "auto" or isinstance(value, bool):
        return value
    raise Invalid(f'must be true, false or "auto", got {value!r}')


def vector(*, positive: bool = False, unit: bool = False, optional: bool = False) -> Check:
    """Three finite numbers, as a tuple of floats; ``unit``: normalised, not zero."""

    def check(value: Any) -> Vector | None:
        if value is None and optional:
            return None
        if (
            not isinstance(value, list | tuple)
            or len(value) != 3
            or not all(_is_number(v) for v in value)
        ):
            raise Invalid(f"must be a list of 3 numbers, got {value!r}")
        vec = tuple(float(v) for v in value)
        if not all(math.isfinite(v) for v in vec):
            raise Invalid("must be finite")
        if positive and min(vec) <= 0:
            raise Invalid(f"must have positive entries, got {list(vec)}")
        if unit:
            norm = math.sqrt(sum(v * v for v in vec))
            if norm == 0:
                raise Invalid("must not be the zero vector")
            if abs(norm - 1.0) > 1e-15:  # not again: a unit vector read back stays as it was
                vec = tuple(v / norm for v in vec)
        return vec

    return check


def path(*, optional: bool = False) -> Check:
    """A file path; a relative one is taken from the current directory (a case file's reader
    passes them relative to the case file already)."""

    def check(value: Any) -> Path | None:
        if value is None and optional:
            return None
        if not isinstance(value, str | Path):
            raise Invalid(f"must be a path, got {kind_of(value)}")
        return Path(value).resolve()

    return check


def tuple_of(item: type, what: str) -> Check:
    """A list or tuple of ``item`` objects, stored as a tuple."""

    def check(value: Any) -> tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(v, item) for v in value):
            raise Invalid(f"must be a list of {what}, got {value!r}")
        return tuple(value)

    return check


def instance(item: type, what: str, *, optional: bool = False) -> Check:
    def check(value: Any) -> Any:
        if (value is None and optional) or isinstance(value, item):
            return value
        raise Invalid(f"must be {what}, got {kind_of(value)}")

    return check
