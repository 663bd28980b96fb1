"""Typed summaries: each sector's summarize() returns a dataclass; ``plain`` turns it into the
dict written to summary.json (fields in declaration order, those that are None left out)."""

import dataclasses
from typing import Any


def plain(summary: Any) -> Any:
    """A summary dataclass as nested dicts and lists; fields that are None are left out (what a
    model or a case does not have). Other values (numbers, arrays, dicts) are kept as they are."""
    if dataclasses.is_dataclass(summary) and not isinstance(summary, type):
        return {
            f.name: plain(value)
            for f in dataclasses.fields(summary)
            if (value := getattr(summary, f.name)) is not None
        }
    if isinstance(summary, list):
        return [plain(item) for item in summary]
    return summary


class Summary:
    """Mixin: ``to_dict()`` of a summary dataclass (see ``plain``)."""

    def to_dict(self) -> dict:
        return plain(self)
