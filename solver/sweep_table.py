"""A sweep's folder: its plan (plan.json), its table (sweep.csv, sweep.json), its plot
(sweep.png), and ``gather``, which makes them from members that ran apart (``--member``)."""

import csv
import itertools
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from giantatom.case import Case, SweepParameter
from giantatom.errors import SweepError
from giantatom.log import log
from giantatom.units import parse_length


def member_name(index: int, values: dict[str, Any]) -> str:
    """A member's sub-directory: index and values, e.g. 02_lambda-40nm."""
    parts = [f"{label}-{_slug(value)}" for label, value in values.items()]
    return f"{index:02d}_" + "_".join(parts)


def _slug(value: Any) -> str:
    if isinstance(value, list):
        return "x".join(_slug(v) for v in value)
    if isinstance(value, float):
        value = f"{value:g}"
    return re.sub(r"[^A-Za-z0-9.+-]", "", str(value)) or "value"


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _cell(value: Any) -> Any:
    """A swept value as sweep.csv shows it: strings and numbers as they are."""
    return value if isinstance(value, str | int | float) else toml_value(value)


@dataclass(frozen=True)
class Plan:
    """A sweep as its folder records it (plan.json): enough to list and gather its members
    without the case file."""

    case: str  # the case's name
    unit: str  # its geometry unit (plain swept numbers under geometry. are lengths in it)
    parameters: tuple[SweepParameter, ...]

    @classmethod
    def of(cls, case: Case) -> "Plan":
        return cls(case.name, case.geometry.unit, case.sweep)

    def grid(self) -> list[tuple[int, dict[str, Any]]]:
        """(index, {label: value}) of every member, in the order they run."""
        combinations = itertools.product(*(p.values for p in self.parameters))
        labels = [p.label for p in self.parameters]
        return [
            (i, dict(zip(labels, values, strict=True)))
            for i, values in enumerate(combinations, start=1)
        ]

    def write(self, folder: Path) -> None:
        data = {
            "case": self.case,
            "unit": self.unit,
            "parameters": [
                {"key": p.key, "label": p.label, "values": list(p.values)} for p in self.parameters
            ],
        }
        replace_text(folder / PLAN, json.dumps(data, indent=2) + "\n")

    @classmethod
    def read(cls, folder: Path) -> "Plan":
        try:
            data = json.loads((folder / PLAN).read_text())
            parameters = tuple(
                SweepParameter(p["key"], p["label"], tuple(p["values"])) for p in data["parameters"]
            )
            return cls(data["case"], data["unit"], parameters)
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise SweepError(
                f"{folder} is not a sweep's results directory (no readable {PLAN}: {err})"
            ) from None


PLAN = "plan.json"


def replace_text(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all (array tasks may write the same file together)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def failure_note(folder: Path, name: str) -> Path:
    """Where a member run alone (--member) records its error for ``gather``."""
    return folder / f".{name}.failed"


_FIXED = [
    ("lambda_m", ("material", "lambda_m")),
    ("rho_minus_C_m3", ("material", "rho_minus_C_m3")),
    ("E_m_V_m", ("material", "E_m_V_m")),
    ("volume_m3", ("geometry", "volume_m3")),
    ("area_m2", ("geometry", "area_m2")),
    ("cells", ("mesh", "cells")),
    ("dofs", ("mesh", "dofs")),
    ("seconds", ("run", "seconds", "total")),
]
# Sections of summary.json that are not a sector's results.
_NOT_SECTORS = {"case", "material", "geometry", "mesh", "fields", "run", "figures"}


def _get(data: dict, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def summary_row(summary: dict) -> dict[str, Any]:
    """The numbers of one member's summary.json: material and mesh ones, then every number at
    the top of each sector's section (charge.rho0_C_m3, ...; a list becomes one per body)."""
    row = {name: _get(summary, path) for name, path in _FIXED}
    for section, data in summary.items():
        if section in _NOT_SECTORS or not isinstance(data, dict):
            continue
        bodies = [b.get("name", str(i + 1)) for i, b in enumerate(data.get("bodies", []))]
        for key, value in data.items():
            if isinstance(value, bool):
                continue
            if isinstance(value, int | float):
                row[f"{section}.{key}"] = value
            elif isinstance(value, list) and value and all(isinstance(v, float) for v in value):
                names = bodies if len(bodies) == len(value) else map(str, range(1, len(value) + 1))
                for name, v in zip(names, value, strict=False):
                    row[f"{section}.{key}[{name}]"] = v
    if E_m := row.get("E_m_V_m"):
        if (E := row.get("charge.E_max_V_m")) is not None:
            row["charge.E_max_over_E_m"] = E / E_m
    return row


def numeric(value: Any) -> tuple[float, str] | None:
    """A swept value as a number for the plot's axis, with its unit ("30 nm" -> 30, "nm")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value), ""
    if isinstance(value, str):
        try:
            metres, unit = parse_length(value)
        except ValueError:
            return None
        from giantatom.units import LENGTH_UNITS

        return metres / LENGTH_UNITS[unit], unit
    return None


class SweepRecord:
    """The members' outcomes, written after each member (rank 0 only)."""

    def __init__(self, plan: Plan, folder: Path):
        self.plan = plan
        self.folder = folder
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        index: int,
        values: dict,
        status: str,
        summary: dict | None,
        error: str = "",
        write: bool = True,
    ) -> None:
        row = {"member": member_name(index, values), "status": status}
        row.update({label: _cell(v) for label, v in values.items()})
        if summary is not None:
            row.update(summary_row(summary))
        row["error"] = error
        self.rows.append(row)
        if write:
            self.write()

    def write(self) -> None:
        columns: list[str] = []
        for row in self.rows:
            columns += [k for k in row if k not in columns and k != "error"]
        columns.append("error")
        with open(self.folder / "sweep.csv", "w", newline="") as stream:
            writer = csv.DictWriter(stream, columns, restval="")
            writer.writeheader()
            writer.writerows(self.rows)
        (self.folder / "sweep.json").write_text(
            json.dumps({"case": self.plan.case, "members": self.rows}, indent=2) + "\n"
        )

    def plot(self) -> Path | None:
        """sweep.png: rho0, max |E| and surface rho of the members that ran, against the
        first swept key (one line per combination of the others)."""
        done = [r for r in self.rows if r["status"] == "ok"]
        if not done:
            return None
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        first, *others = self.plan.parameters
        parsed = [numeric(v) for v in first.values]
        use_numbers = all(p is not None for p in parsed)
        unit = parsed[0][1] if use_numbers else ""
        if use_numbers and first.key.startswith("geometry.") and not unit:
            unit = self.plan.unit  # plain numbers there are lengths in that unit
        position = {
            _cell(v): (p[0] if use_numbers else i)
            for i, (v, p) in enumerate(zip(first.values, parsed, strict=True))
        }
        # the surface mean is rho_- by construction under the surface-mean closure: plot it
        # only where it varies, and the extremes, which do
        surface = ["charge.surface_rho_min_C_m3", "charge.surface_rho_max_C_m3"]
        means = [r.get("charge.surface_rho_mean_C_m3") for r in done]
        means = [m for m in means if isinstance(m, float)]
        if means and max(means) - min(means) > 1e-6 * max(abs(m) for m in means):
            surface.insert(0, "charge.surface_rho_mean_C_m3")
        panels = [
            ("rho0 (C/m^3)", ["charge.rho0_C_m3"]),
            ("max |E| / E_m", ["charge.E_max_over_E_m"]),
            (
                f"surface rho (C/m^3; rho_- = {done[0].get('rho_minus_C_m3', math.nan):.4g})",
                surface,
            ),
        ]
        figure, axes = plt.subplots(1, 3, figsize=(13, 4), layout="constrained")
        groups: dict[str, list[dict]] = {}
        for row in done:
            label = ", ".join(f"{p.label} = {row[p.label]}" for p in others)
            groups.setdefault(label, []).append(row)
        for ax, (title, keys) in zip(axes, panels, strict=True):
            for label, rows in groups.items():
                rows = sorted(rows, key=lambda r: position[r[first.label]])
                x = [position[r[first.label]] for r in rows]
                for key in keys:
                    # several bodies: their rho0 columns are charge.rho0_C_m3[name]
                    columns = [k for k in rows[0] if k == key or k.startswith(key + "[")]
                    for column in columns:
                        y = [r.get(column, math.nan) for r in rows]
                        name = column.removeprefix("charge.").replace("surface_rho_", "")
                        name = name.replace("_C_m3", " (C/m^3)")
                        ax.plot(x, y, "o-", label=" ".join(filter(None, [name, label])))
            ax.set_title(title)
            ax.set_xlabel(f"{first.label} ({unit})" if unit else first.label)
            if not use_numbers:
                ax.set_xticks(range(len(first.values)), [toml_value(v) for v in first.values])
            ax.grid(alpha=0.3)
            if len(ax.get_lines()) > 1:
                ax.legend(fontsize=7)
        figure.suptitle(f"{self.plan.case}: sweep of {first.label}")
        path = self.folder / "sweep.png"
        figure.savefig(path, dpi=120)
        plt.close(figure)
        return path


def plot_or_warn(record: SweepRecord) -> None:
    try:
        record.plot()
    except Exception as err:  # the table is the result; the plot a view
        log.warning("sweep: sweep.png not drawn (%s: %s)", type(err).__name__, err)


def gather(folder: Path) -> Path:
    """sweep.csv, sweep.json and sweep.png of a sweep whose members ran apart (--member):
    from each member's summary.json; SweepError if some did not finish."""
    folder = Path(folder).resolve()
    plan = Plan.read(folder)
    record = SweepRecord(plan, folder)
    missing = []
    for index, values in plan.grid():
        name = member_name(index, values)
        summary_path = folder / name / "summary.json"
        note = failure_note(folder, name)
        if summary_path.is_file():
            summary = json.loads(summary_path.read_text())
            record.add(index, values, "ok", summary, write=False)
        else:
            error = note.read_text().strip() if note.is_file() else "not run (or not finished)"
            status = "failed" if note.is_file() else "missing"
            record.add(index, values, status, None, error, write=False)
            missing.append(name)
    record.write()
    plot_or_warn(record)
    finished = len(record.rows) - len(missing)
    log.info("gather: %d of %d members finished; %s", finished, len(record.rows), folder)
    if missing:
        raise SweepError(
            f"{len(missing)} of {len(record.rows)} sweep members did not finish "
            f"({', '.join(missing)}); see {folder / 'sweep.csv'}"
        )
    return folder
