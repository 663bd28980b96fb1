"""The typed summary of a run: what summary.json holds, with attribute access.

``Summary.to_dict()`` is summary.json, key for key and in the same order;
``Summary.from_dict()`` reads it back. The top level (case, material, geometry, mesh, model,
run) is assembled here; each sector's section (charge, magnetic, spin, electric) comes from
its stage, as a dict or as an object with ``to_dict()``, and is kept as given.

Headline numbers, SI:

    summary.rho0        C/m^3: a float for one body; for several, a list, one per body in the
                        order of the case's [[geometry.body]] tables
    summary.net_charge  C, all bodies together
    summary.E_max       V/m, the largest |E| inside any body
    summary.moment      A m^2 (with [magnetic]), else None
    summary.charge, .magnetic, .spin, .electric: the sector sections (dicts or typed sections)
"""

from dataclasses import asdict, dataclass, field, fields
from typing import Any

# The order of summary.json's keys: the top level around the sectors' sections.
SECTIONS = (
    "model",
    "electric",
    "charge",
    "magnetic",
    "spin",
    "fields",
    "surface_fields",
    "accuracy",
)


def section_dict(section: Any) -> dict | None:
    """A section as the dict that summary.json holds (sections may be typed objects)."""
    if section is None or isinstance(section, dict):
        return section
    return section.to_dict()


@dataclass
class GeometrySummary:
    unit: str
    volume_m3: float  # all bodies together
    area_m2: float
    bodies: list[str]


@dataclass
class MeshSummary:
    """The mesh the run solved on; lengths in lambda and in m."""

    cells: int
    cells_by_region: dict[str, int]
    nodes: int
    dofs: int  # of the charge sector's space
    order: int
    h_min_lambda: float
    h_max_lambda: float
    h_min_m: float
    h_max_m: float
    quality_min_sicn: float
    quality_mean_sicn: float
    quality_p1_sicn: float
    outer_radius_m: float
    center_m: list[float]
    seconds: float
    accuracy: float | None = None  # [mesh] accuracy, set or the default (None: keys given)
    # what the accuracy chose (order, surface_size, layer, magnetic_order) and from what radius
    # of curvature; "default": the case set no mesh keys (README "Choosing the mesh ...")
    chosen: dict[str, Any] | None = None
    adapt: list[dict] | None = None  # the adaptive loop's rounds (solver/adapt.py)


@dataclass
class ModelSummary:
    """The thin-layer model's choice (the full model has no such section)."""

    kind: str
    requested: str
    smallest_dimension_m: float
    resolution: float


@dataclass
class RunSummary:
    ranks: int
    versions: dict[str, str]
    seconds: dict[str, float] = field(default_factory=dict)  # per stage, and "total"
    memory: dict[str, Any] = field(default_factory=dict)  # peak RSS per rank, MiB


def _typed(cls, data: dict):
    """A dataclass from its summary.json table; keys it does not know are dropped."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Summary:
    case: str
    material: dict[str, Any]  # Material.summary(): lambda, n_s, rho_-, E_m, B_s, v_0
    geometry: GeometrySummary
    mesh: MeshSummary
    charge: Any
    spin: Any = None
    magnetic: Any = None
    electric: Any = None
    model: ModelSummary | None = None
    fields: dict[str, dict] = field(default_factory=dict)  # output field -> unit, description
    surface_fields: dict[str, dict] | None = None  # thin-layer surface.vtu's fields
    accuracy: dict[str, Any] | None = None  # how the <key>_error estimates were made
    run: RunSummary | None = None

    def to_dict(self) -> dict:
        """summary.json."""
        out = {
            "case": self.case,
            "material": self.material,
            "geometry": asdict(self.geometry),
            "mesh": {k: v for k, v in asdict(self.mesh).items() if k != "adapt" or v is not None},
        }
        for name in SECTIONS:
            value = getattr(self, name)
            if name == "model" and value is not None:
                value = asdict(value)
            if value is not None:
                out[name] = section_dict(value)
        if self.run is not None:
            out["run"] = asdict(self.run)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "Summary":
        """summary.json read back; the sections stay dicts."""
        model = data.get("model")
        return cls(
            case=data["case"],
            material=data["material"],
            geometry=_typed(GeometrySummary, data["geometry"]),
            mesh=_typed(MeshSummary, data["mesh"]),
            charge=data["charge"],
            spin=data.get("spin"),
            magnetic=data.get("magnetic"),
            electric=data.get("electric"),
            model=_typed(ModelSummary, model) if model is not None else None,
            fields=data.get("fields", {}),
            surface_fields=data.get("surface_fields"),
            accuracy=data.get("accuracy"),
            run=_typed(RunSummary, data["run"]) if "run" in data else None,
        )

    def _charge(self, key: str):
        return section_dict(self.charge)[key]

    @property
    def rho0(self) -> float | list[float]:
        """C/m^3: a float for one body, else a list in the order of the case's bodies."""
        return self._charge("rho0_C_m3")

    @property
    def net_charge(self) -> float:
        return self._charge("net_charge_C")

    @property
    def E_max(self) -> float:
        return self._charge("E_max_V_m")

    @property
    def moment(self) -> list[float] | None:
        m = section_dict(self.magnetic)
        return None if m is None else m["moment_A_m2"]

    @property
    def kind(self) -> str:
        """The model that ran: "full" or "thin-layer"."""
        return "full" if self.model is None else self.model.kind
