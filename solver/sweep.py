"""Parameter sweeps: a case with a [sweep] table runs once per combination of the listed values.

    [sweep]
    lambda = ["30 nm", "40 nm", "60 nm"]          # short names: README "Parameter sweeps"
    "geometry.body[2].radius" = [200, 400]        # or any dotted case-file key

Each combination (a "member") is the case file with those values put in, validated as a whole
case before anything runs, and run by ``run.run_case`` into its own sub-directory of the results
directory; under MPI every member uses all ranks, one member after the other. A member that
fails is reported (log, sweep.csv, sweep.json) and the others still run. After each member the
sweep writes:

    sweep.csv    one row per member: its values, status, and the summary numbers
    sweep.json   the same, with each member's directory and error
    sweep.png    rho0, max |E| and surface rho against the first swept key
    case.toml    the case file as given
"""

import copy
import csv
import itertools
import json
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from giantatom.case import Case, SweepParameter, parse_case
from giantatom.errors import CaseError, GiantAtomError, SweepError
from giantatom.log import log
from giantatom.units import parse_length


@dataclass
class Member:
    index: int  # 1-based
    values: dict[str, Any]  # label -> value
    case: Case

    @property
    def name(self) -> str:
        """Sub-directory name: index and values, e.g. 02_lambda-40nm."""
        parts = [f"{label}-{_slug(value)}" for label, value in self.values.items()]
        return f"{self.index:02d}_" + "_".join(parts)


def _slug(value: Any) -> str:
    if isinstance(value, list):
        return "x".join(_slug(v) for v in value)
    if isinstance(value, float):
        value = f"{value:g}"
    return re.sub(r"[^A-Za-z0-9.+-]", "", str(value)) or "value"


# ---------------------------------------------------------------- case files with values put in


def _set(raw: dict, key: str, value: Any) -> None:
    """Put ``value`` at the dotted case-file ``key`` (``geometry.body[2].radius``) of ``raw``."""
    node: Any = raw
    parts = key.split(".")
    for depth, part in enumerate(parts):
        name, _, index = part.partition("[")
        last = depth == len(parts) - 1
        if not index:
            if last:
                node[name] = value
                return
            node = node.setdefault(name, {})
            if not isinstance(node, dict):
                raise CaseError("is not a table in the case file", ".".join(parts[: depth + 1]))
            continue
        items = node.get(name)
        if isinstance(items, dict):  # [geometry.body] written as a single table
            items = node[name] = [items]
        k = int(index.rstrip("]"))
        if not isinstance(items, list) or not 1 <= k <= len(items) or last:
            raise CaseError(
                f"the case file has no {name}[{k}] (it has {len(items or [])})",
                ".".join(parts[: depth + 1]),
            )
        node = items[k - 1]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _cell(value: Any) -> Any:
    """A swept value as sweep.csv shows it: strings and numbers as they are."""
    return value if isinstance(value, str | int | float) else _toml_value(value)


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def dump_toml(raw: dict) -> str:
    """A TOML document for a parsed case file (tables, arrays of tables, plain values)."""
    lines: list[str] = []

    def table(node: dict, path: list[str]) -> None:
        plain = {k: v for k, v in node.items() if not _is_table(v)}
        for k, v in plain.items():
            lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
        for k, v in node.items():
            if isinstance(v, dict):
                lines.extend(["", f"[{'.'.join([*path, _toml_key(k)])}]"])
                table(v, [*path, _toml_key(k)])
            elif _is_table(v):
                for item in v:
                    lines.extend(["", f"[[{'.'.join([*path, _toml_key(k)])}]]"])
                    table(item, [*path, _toml_key(k)])

    table(raw, [])
    return "\n".join(lines).lstrip() + "\n"


def _is_table(value: Any) -> bool:
    return isinstance(value, dict) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
    )


def members(case: Case) -> list[Member]:
    """Every combination of the [sweep] values as a validated case; a value that makes an
    invalid case raises CaseError naming the [sweep] key and the value."""
    raw = tomllib.loads(case.text)
    raw.pop("sweep")
    out = []
    combinations = itertools.product(*(p.values for p in case.sweep))
    for index, values in enumerate(combinations, start=1):
        member_raw = copy.deepcopy(raw)
        for parameter, value in zip(case.sweep, values, strict=True):
            try:
                _set(member_raw, parameter.key, value)
            except CaseError as err:
                raise CaseError(err.message, f"sweep.{parameter.label}") from None
        text = (
            f"# {case.path.name}, sweep member {index}: "
            + ", ".join(
                f"{p.label} = {_toml_value(v)}" for p, v in zip(case.sweep, values, strict=True)
            )
            + "\n"
            + dump_toml(member_raw)
        )
        try:
            member = parse_case(text, case.path)
        except CaseError as err:
            label = _culprit(case.sweep, values, err)
            raise CaseError(f"{err} (with {label})", f"sweep.{label.split(' = ')[0]}") from None
        labels = {p.label: v for p, v in zip(case.sweep, values, strict=True)}
        out.append(Member(index, labels, member))
    return out


def _culprit(parameters: tuple[SweepParameter, ...], values: tuple, err: CaseError) -> str:
    """The swept value an error is about: the one whose key the error names, else all."""
    for p, v in zip(parameters, values, strict=True):
        if err.key and (err.key == p.key or err.key.startswith(p.key.rsplit(".", 1)[0])):
            return f"{p.label} = {_toml_value(v)}"
    return ", ".join(
        f"{p.label} = {_toml_value(v)}" for p, v in zip(parameters, values, strict=True)
    )


# ------------------------------------------------------------------------------ the summary table

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

    def __init__(self, case: Case, folder: Path):
        self.case = case
        self.folder = folder
        self.rows: list[dict[str, Any]] = []

    def add(self, member: Member, status: str, summary: dict | None, error: str = "") -> None:
        row = {"member": member.name, "status": status}
        row.update({label: _cell(v) for label, v in member.values.items()})
        if summary is not None:
            row.update(summary_row(summary))
        row["error"] = error
        self.rows.append(row)
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
            json.dumps({"case": self.case.name, "members": self.rows}, indent=2) + "\n"
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

        first, *others = self.case.sweep
        parsed = [numeric(v) for v in first.values]
        use_numbers = all(p is not None for p in parsed)
        unit = parsed[0][1] if use_numbers else ""
        if use_numbers and first.key.startswith("geometry.") and not unit:
            unit = self.case.geometry.unit  # plain numbers there are lengths in that unit
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
                ax.set_xticks(range(len(first.values)), [_toml_value(v) for v in first.values])
            ax.grid(alpha=0.3)
            if len(ax.get_lines()) > 1:
                ax.legend(fontsize=7)
        figure.suptitle(f"{self.case.name}: sweep of {first.label}")
        path = self.folder / "sweep.png"
        figure.savefig(path, dpi=120)
        plt.close(figure)
        return path


def run_sweep(case: Case, comm, out_dir: Path | None = None) -> Path:
    """Run every member of a sweep, one after the other on all ranks of ``comm``."""
    from giantatom.parallel import on_root
    from giantatom.run import run_case

    all_members = members(case)
    folder = Path(out_dir or case.output.dir).resolve()

    def start() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "case.toml").write_text(case.text)

    on_root(comm, start)
    record = SweepRecord(case, folder) if comm.rank == 0 else None
    keys = ", ".join(f"{p.label} ({len(p.values)} values)" for p in case.sweep)
    log.info("sweep: %d members over %s, into %s", len(all_members), keys, folder)
    failed = []
    for member in all_members:
        values = ", ".join(f"{k} = {_toml_value(v)}" for k, v in member.values.items())
        log.info("sweep member %d/%d: %s", member.index, len(all_members), values)
        status, error = "ok", ""
        try:
            run_case(member.case, comm, folder / member.name)
        except GiantAtomError as err:  # raised on every rank together (a bug still aborts)
            status, error = "failed", str(err)
        if status != "ok":
            failed.append(member.name)
            log.warning("sweep member %s failed: %s", member.name, error)

        def note(member: Member = member, status: str = status, error: str = error) -> None:
            summary = None
            if status == "ok":
                summary = json.loads((folder / member.name / "summary.json").read_text())
            record.add(member, status, summary, error)

        on_root(comm, note)

    def plot() -> None:
        try:
            record.plot()
        except Exception as err:  # the table is the result; the plot a view
            log.warning("sweep: sweep.png not drawn (%s: %s)", type(err).__name__, err)

    on_root(comm, plot)
    log.info(
        "sweep: %d of %d members ran; results in %s (sweep.csv, sweep.png)",
        len(all_members) - len(failed),
        len(all_members),
        folder,
    )
    if failed:
        raise SweepError(
            f"{len(failed)} of {len(all_members)} sweep members failed ({', '.join(failed)}); "
            f"see {folder / 'sweep.csv'}"
        )
    return folder
