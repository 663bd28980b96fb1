"""The solve stages of a run, the same for both models: a case's explicit inputs to the sectors
(``inputs``: the one place that reads the case for them), the model's choice
(``choose_model``), then solve -> solutions -> fields and summaries (``solve``, ``Model``).

A model is the full one (``FullModel``: every sector on a mesh that resolves lambda) or the
thin-layer one (``ThinLayerModel``: lambda << size, the layer treated analytically). Both have
the same stages and give summaries with the same keys where they mean the same.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from giantatom import (
    charge,
    charge_summary,
    fields,
    magnetic,
    magnetic_summary,
    probes,
    spin,
    spin_summary,
)
from giantatom.case import Case, Probe
from giantatom.charge import ChargeInputs
from giantatom.domain import Domain
from giantatom.errors import CaseError
from giantatom.log import StageTimer, log
from giantatom.magnetic import MagneticInputs
from giantatom.spin import SpinInputs
from giantatom.thinlayer import charge as thin_charge
from giantatom.thinlayer import magnetic as thin_magnetic
from giantatom.thinlayer import outputs as thin_outputs
from giantatom.thinlayer import spin as thin_spin


@dataclass(frozen=True)
class Inputs:
    """What the sectors solve for, besides the domain."""

    charge: ChargeInputs
    magnetic: MagneticInputs | None  # None: no applied field, no trapped flux
    spin: SpinInputs


def charge_inputs(case: Case) -> ChargeInputs:
    electric = case.electric
    return ChargeInputs(
        material=case.material,
        closure=case.charge,
        solver=case.solver,
        order=case.mesh.order,
        net_charges=tuple(b.net_charge for b in case.geometry.bodies),
        applied_field=tuple(electric.applied_field) if electric.active else None,
        spin_axis=tuple(case.spin.axis),
        electrodes=case.geometry.electrodes,
    )


def magnetic_inputs(case: Case) -> MagneticInputs:
    bodies, unit_m = case.geometry.bodies, case.geometry.unit_m
    one_sphere = len(bodies) == 1 and bodies[0].shape.kind == "sphere" and not bodies[0].subtract
    return MagneticInputs(
        spec=case.magnetic,
        solver=case.solver,
        holes=tuple(b.holes for b in bodies),
        unit_m=unit_m,
        order=case.mesh.order,
        sphere_radius_m=bodies[0].shape.radius * unit_m if one_sphere else None,
    )


def spin_inputs(case: Case) -> SpinInputs:
    return SpinInputs(
        material=case.material,
        spin=case.spin,
        solver=case.solver,
        order=case.mesh.order,
        applied_field=tuple(case.magnetic.applied_field),
    )


def inputs(case: Case) -> Inputs:
    """The sectors' inputs from a case file."""
    return Inputs(
        charge=charge_inputs(case),
        magnetic=magnetic_inputs(case) if case.magnetic.active else None,
        spin=spin_inputs(case),
    )


@dataclass
class Solutions:
    """One run's solutions (the model's types) and their typed summaries."""

    charge: Any
    magnetic: Any | None
    spin: Any
    summaries: dict[str, Any] = field(default_factory=dict)  # sector -> its summary dataclass

    @property
    def dofs(self) -> int:
        """Global dofs of the charge sector's space."""
        return self.charge.space.dofmap.index_map.size_global


class FullModel:
    """Every sector on a mesh that resolves lambda (docs/formulation.md sections 1-4)."""

    kind = "full"
    section: dict | None = None  # no summary section of its own
    messages: ClassVar[dict[str, str]] = {
        "charge": "charge sector",
        "magnetic": "magnetic sector",
        "spin": "spin sector",
    }

    def solve_charge(self, domain: Domain, given: ChargeInputs):
        return charge.solve_charge(domain, given)

    def solve_magnetic(self, domain: Domain, _charge, given: MagneticInputs):
        return magnetic.solve_magnetic(domain, given)

    def solve_spin(self, given: SpinInputs, charge_solution, magnetic_solution):
        return spin.solve_spin(given, charge_solution, magnetic_solution)

    summarize: ClassVar[dict[str, Callable]] = {
        "charge": charge_summary.summarize,
        "magnetic": magnetic_summary.summarize,
        "spin": spin_summary.summarize,
    }

    def output_fields(self, domain: Domain, s: Solutions, given: Inputs) -> list[fields.Field]:
        degree = given.charge.order
        if s.magnetic is not None:  # keep degree-2 N1curl fields whole on a P1 mesh
            degree = max(degree, given.magnetic.spec.order)
        spaces = fields.FieldSpaces(domain, degree)
        out = [fields.region_field(spaces), *fields.charge_fields(s.charge, spaces)]
        if s.magnetic is not None:
            out += fields.magnetic_fields(s.magnetic, spaces)
        return out + fields.spin_fields(s.spin, spaces)

    def probe_tables(
        self, domain: Domain, s: Solutions, out: list[fields.Field], lines: tuple[Probe, ...]
    ) -> dict[str, dict[str, np.ndarray]]:
        """probe name -> column -> values (the probe CSV files), on rank 0; empty elsewhere."""
        columns = fields.probe_columns(out)
        tables = {}
        for probe in lines:
            points = probes.probe_points(probe)
            values = probes.sample(domain, points, columns)
            if domain.comm.rank == 0:
                header, table = fields.probe_table(out, values)
                rows = np.hstack([points, table])
                tables[probe.name] = dict(zip(["x", "y", "z", *header], rows.T, strict=True))
        return tables

    def surface(self, domain: Domain, s: Solutions) -> tuple[None, dict]:
        """No surface file of its own, no summary section of its own."""
        return None, {}


class ThinLayerModel:
    """lambda << size: the mesh follows the geometry, the layer lambda deep is analytic
    (giantatom.thinlayer)."""

    kind = "thin-layer"
    messages: ClassVar[dict[str, str]] = {
        "charge": "thin-layer charge sector",
        "magnetic": "thin-layer magnetic sector",
        "spin": "spin velocities in the layer",
    }

    def __init__(self, section: dict):
        self.section = section  # summary.json "model"

    def solve_charge(self, domain: Domain, given: ChargeInputs):
        return thin_charge.solve_thin_layer(domain, given)

    def solve_magnetic(self, _domain: Domain, charge_solution, given: MagneticInputs):
        return thin_magnetic.solve_magnetic(charge_solution, given)

    def solve_spin(self, given: SpinInputs, charge_solution, magnetic_solution):
        return thin_spin.solve_spin(given, charge_solution, magnetic_solution)

    summarize: ClassVar[dict[str, Callable]] = {
        "charge": thin_charge.summarize,
        "magnetic": thin_magnetic.summarize,
        "spin": thin_spin.summarize,
    }

    def output_fields(self, domain: Domain, s: Solutions, given: Inputs) -> list[fields.Field]:
        # The bulk fields are smooth on the mesh scale: quadratic cells show them (E exactly).
        spaces = fields.FieldSpaces(domain, min(domain.report.order, 2))
        return thin_outputs.bulk_fields(s.charge, spaces, s.magnetic)

    def probe_tables(
        self, domain: Domain, s: Solutions, out: list[fields.Field], lines: tuple[Probe, ...]
    ) -> dict[str, dict[str, np.ndarray]]:
        """The probes with the layer resolved by its profile (rank 0; empty elsewhere)."""
        return thin_outputs.probe_tables(lines, s.charge, s.spin, out, s.magnetic)

    def surface(self, domain: Domain, s: Solutions):
        """surface.vtu's grid (rank 0; None elsewhere) and the summary section surface_fields."""
        grid, documentation = thin_outputs.surface_grid(s.charge, s.magnetic, s.spin)
        log.info(
            "thin-layer model: the layer (lambda = %.3g m) is analytic; surface fields in "
            "surface.vtu, probes resolve it with exp(-depth/lambda)",
            domain.lambda_m,
        )
        return grid, {"surface_fields": documentation}


Model = FullModel | ThinLayerModel


def choose_model(case: Case, domain: Domain) -> Model:
    """The run's model: [model] kind, with "auto" resolved from the smallest body dimension
    when the mesh was sized for it (the mesh reports the kind it was sized for)."""
    smallest = min(domain.report.smallest_dimensions)
    if domain.report.model_kind != "thin-layer":
        if case.model.kind == "auto":
            log.info(
                "model: full (chosen by [model] kind = auto: the smallest body dimension, %.4g "
                "lambda, is below auto_threshold = %g lambda)",
                smallest,
                case.model.auto_threshold,
            )
        return FullModel()
    if case.geometry.electrodes:
        raise CaseError(
            'the thin-layer model does not take electrodes yet: use [model] kind = "full"',
            "geometry.electrode",
        )
    smallest_m = smallest * domain.lambda_m
    log.info(
        "model: thin-layer (%s): smallest body dimension %.4g m = %.4g lambda; the mesh follows "
        "the geometry, the layer lambda deep is treated analytically",
        "chosen by [model] kind = auto" if case.model.kind == "auto" else "[model] kind",
        smallest_m,
        smallest,
    )
    return ThinLayerModel(
        {
            "kind": "thin-layer",
            "requested": case.model.kind,
            "smallest_dimension_m": smallest_m,
            "resolution": case.model.resolution,
        }
    )


def solve(model: Model, domain: Domain, given: Inputs, timer: StageTimer) -> Solutions:
    """The sectors in order, each followed by its summary: charge, magnetic (with an applied
    field or trapped flux), spin."""
    summarize = model.summarize
    with timer.stage("charge", model.messages["charge"]):
        s = Solutions(charge=model.solve_charge(domain, given.charge), magnetic=None, spin=None)
        s.summaries["charge"] = summarize["charge"](s.charge)
    if given.magnetic is not None:
        with timer.stage("magnetic", model.messages["magnetic"]):
            s.magnetic = model.solve_magnetic(domain, s.charge, given.magnetic)
            s.summaries["magnetic"] = summarize["magnetic"](s.magnetic)
    with timer.stage("spin", model.messages["spin"]):
        s.spin = model.solve_spin(given.spin, s.charge, s.magnetic)
        s.summaries["spin"] = summarize["spin"](s.spin)
    return s


def sections(model: Model, s: Solutions, out: list[fields.Field], extra: dict) -> dict:
    """summary.json's sections of the solves, in order: the model (thin layer), the applied
    electric field (full), charge, magnetic, spin, the fields and the model's own (``extra``)."""
    numbers = {name: summary.to_dict() for name, summary in s.summaries.items()}
    electric = numbers["charge"].pop("electric", None)
    ordered = {"model": model.section, "electric": electric}
    ordered |= {name: numbers.get(name) for name in ("charge", "magnetic", "spin")}
    ordered |= {"fields": fields.field_documentation(out), **extra}
    return {name: value for name, value in ordered.items() if value is not None}
