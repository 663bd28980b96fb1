"""The solve stages of a run, the same for both models: a case's explicit inputs to the sectors
(``inputs``: the one place that reads the case for them), the model's choice, then
solve -> solutions -> fields and summaries."""

from dataclasses import dataclass

from giantatom.case import Case
from giantatom.charge import ChargeInputs


@dataclass(frozen=True)
class Inputs:
    """What the sectors solve for, besides the domain."""

    charge: ChargeInputs


def inputs(case: Case) -> Inputs:
    """The sectors' inputs from a case file."""
    electric = case.electric
    return Inputs(
        charge=ChargeInputs(
            material=case.material,
            closure=case.charge,
            solver=case.solver,
            order=case.mesh.order,
            net_charges=tuple(b.net_charge for b in case.geometry.bodies),
            applied_field=tuple(electric.applied_field) if electric.active else None,
            spin_axis=tuple(case.spin.axis),
        ),
    )
