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
    plan.json    the swept keys and values: what ``gather`` needs to list the members

On a cluster (README "Sweeps on a cluster"): ``--resume`` keeps the members that finished (their
directory has its summary.json; a killed member left none) and runs the others; ``--member N``
(or ``--member`` alone in a Slurm array job: $SLURM_ARRAY_TASK_ID) runs member N alone, each
its own MPI job, and ``giantatom gather DIR`` then writes sweep.csv, sweep.json and sweep.png
from the members' directories.
"""

import copy
import itertools
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from giantatom.case import Case, SweepParameter, parse_case
from giantatom.errors import CaseError, GiantAtomError, SweepError
from giantatom.log import log
from giantatom.sweep_table import (
    Plan,
    SweepRecord,
    failure_note,
    member_name,
    plot_or_warn,
    replace_text,
    toml_key,
    toml_value,
)


@dataclass
class Member:
    index: int  # 1-based
    values: dict[str, Any]  # label -> value
    case: Case

    @property
    def name(self) -> str:
        return member_name(self.index, self.values)


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


def dump_toml(raw: dict) -> str:
    """A TOML document for a parsed case file (tables, arrays of tables, plain values)."""
    lines: list[str] = []

    def table(node: dict, path: list[str]) -> None:
        plain = {k: v for k, v in node.items() if not _is_table(v)}
        for k, v in plain.items():
            lines.append(f"{toml_key(k)} = {toml_value(v)}")
        for k, v in node.items():
            if isinstance(v, dict):
                lines.extend(["", f"[{'.'.join([*path, toml_key(k)])}]"])
                table(v, [*path, toml_key(k)])
            elif _is_table(v):
                for item in v:
                    lines.extend(["", f"[[{'.'.join([*path, toml_key(k)])}]]"])
                    table(item, [*path, toml_key(k)])

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
                f"{p.label} = {toml_value(v)}" for p, v in zip(case.sweep, values, strict=True)
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
            return f"{p.label} = {toml_value(v)}"
    return ", ".join(
        f"{p.label} = {toml_value(v)}" for p, v in zip(parameters, values, strict=True)
    )


def run_sweep(
    case: Case,
    comm,
    out_dir: Path | None = None,
    resume: bool = False,
    member: int | None = None,
) -> Path:
    """Run every member of a sweep, one after the other on all ranks of ``comm``; with
    ``resume``, keep those that finished before; with ``member``, run that one alone."""
    from giantatom.parallel import on_root

    all_members = members(case)
    folder = Path(out_dir or case.output.dir).resolve()
    if member is not None and not 1 <= member <= len(all_members):
        raise CaseError(f"the sweep has members 1 to {len(all_members)}, not {member}", "--member")

    def start() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        replace_text(folder / "case.toml", case.text)
        Plan.of(case).write(folder)

    on_root(comm, start)
    if member is not None:
        _run_member(all_members[member - 1], len(all_members), comm, folder)
        return folder
    record = SweepRecord(Plan.of(case), folder) if comm.rank == 0 else None
    keys = ", ".join(f"{p.label} ({len(p.values)} values)" for p in case.sweep)
    log.info("sweep: %d members over %s, into %s", len(all_members), keys, folder)
    failed = []
    for m in all_members:
        done = folder / m.name / "summary.json"
        error = ""
        if resume and done.is_file():  # a directory is only there complete (ResultsDir)
            log.info("sweep member %d/%d: kept from before (%s)", m.index, len(all_members), done)
        else:
            error = _run_member(m, len(all_members), comm, folder, raise_error=False)
        if error:
            failed.append(m.name)

        def note(m: Member = m, error: str = error, done: Path = done) -> None:
            summary = None if error else json.loads(done.read_text())
            record.add(m.index, m.values, "failed" if error else "ok", summary, error)

        on_root(comm, note)
    on_root(comm, lambda: plot_or_warn(record))
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


def _run_member(member: Member, count: int, comm, folder: Path, raise_error: bool = True) -> str:
    """Run one member into its sub-directory; its error ("" if none) is also left in a note
    for ``gather``. Only errors a user can act on are caught (a bug still aborts)."""
    from giantatom.parallel import on_root
    from giantatom.run import run_case

    values = ", ".join(f"{k} = {toml_value(v)}" for k, v in member.values.items())
    log.info("sweep member %d/%d: %s", member.index, count, values)
    note = failure_note(folder, member.name)
    try:
        run_case(member.case, comm, folder / member.name)
    except GiantAtomError as err:  # raised on every rank together
        message = str(err)
        log.warning("sweep member %s failed: %s", member.name, message)
        on_root(comm, lambda: note.write_text(message + "\n"))
        if raise_error:
            raise
        return message
    on_root(comm, lambda: note.unlink(missing_ok=True))
    return ""
