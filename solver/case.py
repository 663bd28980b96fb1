"""A case: the material, the geometry and the settings of a run, as validated objects.

Build one in Python or read it from a case file (solver/casefile.py); the shapes and bodies are
solver/case_shapes.py's, the output settings and probes solver/case_output.py's (all exported
here). Each object checks itself when it is made (solver/case_fields.py), so bad input raises
``CaseError`` naming the field,
``Sphere.radius: must be positive, got -1`` in Python, ``geometry.body[1].radius: ...`` from a
case file. Keyword arguments are the case-file keys, except ``lambda`` (a Python keyword):
``Material(lambda_="40 nm")``.

    case = Case(
        Material(lambda_="40 nm"),
        Geometry([Body(Sphere(radius=320))], unit="nm"),
        mesh=MeshSpec(surface_size=0.4),
        name="sphere",
    )
    case.write_toml("sphere.toml")  # `giantatom run sphere.toml` runs the same case

Nothing in this module imports DOLFINx or gmsh: ``giantatom check`` and ``giantatom plot`` stay
light.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from giantatom.case_fields import (
    Checked,
    FieldError,
    Invalid,
    Vector,
    boolean,
    boolean_or_auto,
    instance,
    integer,
    number,
    param,
    path,
    string,
    tuple_of,
    vector,
)
from giantatom.case_output import FIGURES, OutputSpec, Probe
from giantatom.case_shapes import (
    SHAPES,
    Body,
    Box,
    Cylinder,
    Electrode,
    Ellipsoid,
    FileShape,
    Geometry,
    Hole,
    Shape,
    Sphere,
    Torus,
)
from giantatom.case_sweep import SweepParameter, sweep_parameters
from giantatom.case_sweep import sweep_key as sweep_key  # solver/sweep.py's, kept here
from giantatom.errors import CaseError
from giantatom.material import Material as LondonMaterial
from giantatom.mesh_choice import (
    DEFAULT_ACCURACY,
    R_FIT,
    Choice,
    MeshChoice,
    choose,
    curvature_radius,
    magnetic_order,
)
from giantatom.units import parse_length

# The public names (giantatom re-exports them); the checks and bounds below them are the
# solver's own (vacuum_eps, check_mesh_file, check_lambda_resolution, EPS_*, ...;
# the output settings and probes are solver/case_output.py's).
__all__ = [
    "CLOSURES",
    "FIGURES",
    "SHAPES",
    "Body",
    "Box",
    "Case",
    "CaseError",
    "ChargeSpec",
    "Cylinder",
    "ElectricSpec",
    "Electrode",
    "Ellipsoid",
    "FieldError",
    "FileShape",
    "Geometry",
    "Hole",
    "MagneticSpec",
    "Material",
    "MeshSpec",
    "ModelSpec",
    "OutputSpec",
    "Probe",
    "Shape",
    "SolverSpec",
    "Sphere",
    "SpinSpec",
    "SweepParameter",
    "Torus",
    "Vector",
    "load_case",
    "parse_case",
]

CLOSURES = ("surface-mean", "max-field", "rho0", "spin-speed")
MODEL_KINDS = ("full", "thin-layer", "auto")
MAGNETIC_SOLVERS = ("direct", "iterative")
MAGNETIC_BOUNDARIES = ("dipole", "uniform")
ORDERS = (1, 2, 3)
# The classic defaults: what a case that sets some of order, surface_size, layer (or a saved
# mesh file) but no accuracy gets for the rest, so such cases keep their numbers
DEFAULT_MESH = MeshChoice(order=2, surface_size=0.33, layer=4.0)
CHOSEN = ("order", "surface_size", "layer")  # what [mesh] accuracy chooses


@dataclass(frozen=True, init=False)
class Material(LondonMaterial):
    """The superconductor: its London depth ``lambda_`` as a length with a unit ("40 nm"; the
    case file's ``lambda``), and optionally ``n_s`` (m^-3) instead of Eq. 8's."""

    lambda_text: str = ""  # lambda as given, for the logs and the pictures

    def __init__(self, lambda_: str, n_s: float | None = None):
        if not isinstance(lambda_, str):
            raise FieldError(
                "Material", "lambda", f'must be a length with a unit, like "40 nm"; got {lambda_!r}'
            )
        try:
            lambda_m, _ = parse_length(lambda_)
        except ValueError as err:
            raise FieldError("Material", "lambda", str(err)) from None
        if lambda_m <= 0:
            raise FieldError("Material", "lambda", f"must be positive, got {lambda_!r}")
        try:
            n_s = number(positive=True, optional=True)(n_s)
        except Invalid as err:
            raise FieldError("Material", "n_s", str(err)) from None
        object.__setattr__(self, "lambda_m", lambda_m)
        object.__setattr__(self, "n_s_override", n_s)
        object.__setattr__(self, "lambda_text", lambda_)


@dataclass(frozen=True)
class MeshSpec(Checked):
    """The full model's mesh; sizes in lambda. ``accuracy`` (relative) chooses the element
    order, surface_size and layer (solver/mesh_choice.py) that the case leaves out; those given
    win. Which rule applies:

    - ``accuracy`` set: it chooses the keys left out (the Case does: it knows the bodies);
    - none of accuracy, order, surface_size, layer (nor ``file``) set: ``accuracy = 0.01``
      (DEFAULT_ACCURACY) chooses all three, set by the Case;
    - some of order, surface_size, layer (or ``file``) but no accuracy: the rest take the
      classic defaults P2, 0.33, 4 (DEFAULT_MESH), so such cases keep their numbers.

    The thin-layer model takes DEFAULT_MESH for whatever is left out: its mesh follows the
    geometry, not lambda."""

    # element size at the surface
    surface_size: float = param(number(positive=True, optional=True), None)
    # refined depth on each side of the surface
    layer: float = param(number(positive=True, optional=True), None)
    far_field: float = param(number(positive=True), 5.0)  # outer radius / bodies' bounding radius
    outer_radius: float | None = param(
        number(positive=True, optional=True), None
    )  # geometry units, wins
    # element degree, and of the curved geometry
    order: int = param(integer(choices=ORDERS, optional=True), None)
    growth: float = param(number(positive=True), 0.35)  # size growth away from the layer
    far_size: float | None = param(number(positive=True, optional=True), None)  # default R_out/8
    file: Path | None = param(path(optional=True), None)  # a mesh saved by `giantatom mesh`
    threads: int = param(integer(minimum=1), 1)  # gmsh threads; more than 1: not reproducible
    # <key>_error siblings in summary.json: the sectors solved again one degree up (accuracy.py)
    # "auto": the charge and spin sectors' estimates where the degree-up solve is affordable
    error_estimate: bool | str = param(boolean_or_auto, "auto")
    # relative accuracy of the headline numbers; chooses order, surface_size and layer
    accuracy: float | None = param(number(positive=True, optional=True), None)
    # remesh where the local error is until `accuracy` is met (solver/adapt.py)
    adapt: bool = param(boolean, False)
    adapt_rounds: int = param(integer(minimum=1), 6)  # meshes solved on, the first included
    max_cells: int = param(integer(minimum=1), 1_000_000)  # the loop's budget of tetrahedra

    def validate(self) -> None:
        if self.adapt and self.accuracy is None:
            self.fail("adapt", "needs mesh.accuracy, the relative accuracy the loop aims at")
        if self.adapt and self.file is not None:
            self.fail("adapt", "remeshes from the geometry: it cannot take a mesh.file")
        if self.accuracy is not None and self.accuracy >= 0.5:
            self.fail("accuracy", f"must be below 0.5 (relative, 0.01 = 1%), got {self.accuracy:g}")
        if self.accuracy is None and self.classic:
            self.fill(DEFAULT_MESH)
        if self.outer_radius is None and self.far_field < 1.5:
            self.fail(
                "far_field",
                f"must be at least 1.5 (the outer vacuum sphere must clear the bodies), got "
                f"{self.far_field:g}; 4 to 6 is usual",
            )
        if self.growth > 1.0:
            self.fail("growth", f"must be at most 1, got {self.growth:g}")

    @property
    def classic(self) -> bool:
        """Some mesh keys set but no accuracy: the rest take DEFAULT_MESH."""
        return self.file is not None or any(getattr(self, k) is not None for k in CHOSEN)

    def fill(self, chosen: MeshChoice) -> "MeshSpec":
        """This spec with the order and sizes it leaves out taken from ``chosen``."""
        missing = {k: getattr(chosen, k) for k in CHOSEN if getattr(self, k) is None}
        for name, value in missing.items():
            self._set(name, value)
        return self


def check_mesh_file(path: Path, kind: str, order: int, key: str) -> None:
    """A mesh saved by `giantatom mesh` ([mesh] file or --mesh, named by ``key``): mesh.xdmf
    with its .h5 and .json, usable by this case's model and element order."""
    if path.suffix != ".xdmf":
        raise CaseError(f"must be a mesh.xdmf written by `giantatom mesh`, got {path.name!r}", key)
    for needed in (path, path.with_suffix(".h5"), path.with_suffix(".json")):
        if not needed.is_file():
            raise CaseError(f"no such file: {needed}", key)
    if kind != "full":
        raise CaseError(
            f'a saved mesh is for the full model ([model] kind = "full"), not {kind!r}: the '
            "thin-layer mesh is coarse and quick to make",
            key,
        )
    if order > 2:
        raise CaseError(
            "a saved mesh must be of order 1 or 2: DOLFINx 0.11 reads no cubic tetrahedra "
            "from XDMF",
            key,
        )


def check_lambda_resolution(spec: MeshSpec) -> None:
    """The full model resolves the charge layer: element size and refined depth in lambda.
    (The thin-layer model does not resolve it, so these limits do not apply there.)"""
    if spec.surface_size > 1.0:
        raise CaseError(
            f"{spec.surface_size:g} lambda is too coarse to resolve the charge layer: it must "
            "be at most 1 (in units of lambda); 0.33 is accurate to about 1% with order = 2 "
            '(for samples much larger than lambda use [model] kind = "thin-layer")',
            "mesh.surface_size",
        )
    if spec.layer < 1.0:
        raise CaseError(
            f"must be at least 1 lambda (the charge layer is about 1 lambda deep), "
            f"got {spec.layer:g}",
            "mesh.layer",
        )


@dataclass(frozen=True)
class ModelSpec(Checked):
    """Which model solves the case: the full screened equations (the mesh resolves lambda), or
    their thin-layer asymptotics for lambda << size (the mesh follows the geometry alone)."""

    kind: str = param(string(choices=MODEL_KINDS), "full")
    resolution: float = param(number(positive=True), 0.1)  # thin-layer: size / radius of curvature
    order: int = param(integer(choices=ORDERS), 3)  # thin-layer: element and geometry degree
    auto_threshold: float = param(number(positive=True), 50.0)  # auto: thin-layer above, lambda

    def validate(self) -> None:
        if self.resolution > 0.5:
            self.fail(
                "resolution",
                f"must be at most 0.5 (element size / radius of curvature), got "
                f"{self.resolution:g}; 0.1 is accurate to about 0.1% with order = 2",
            )


@dataclass(frozen=True)
class ChargeSpec(Checked):
    closure: str = param(string(choices=CLOSURES), "surface-mean")
    rho0: float | None = param(number(optional=True), None)  # C/m^3, with closure = "rho0"

    def validate(self) -> None:
        if self.closure == "rho0" and self.rho0 is None:
            self.fail("rho0", 'is required with closure = "rho0" (C/m^3)')
        if self.closure != "rho0" and self.rho0 is not None:
            self.fail("rho0", f'is only used with closure = "rho0", not {self.closure!r}')


# The vacuum regularisation eps biases the moment by about EPS_BIAS eps (R_out/lambda)^2
# (docs/formulation.md section 2), so its bound is on eps (R_out/lambda)^2, not on eps alone:
# EPS_R2_BOUND keeps that bias below 1e-4.
EPS_BIAS = 0.08
EPS_R2_BOUND = 1e-3
EPS_DEFAULT = 1e-6


@dataclass(frozen=True)
class MagneticSpec(Checked):
    applied_field: Vector = param(vector(), (0.0, 0.0, 0.0))  # T; zero skips the sector
    solver: str = param(string(choices=MAGNETIC_SOLVERS), "direct")  # MUMPS, or CG + AMS-like
    # degree of the N1curl element; left out: 1, or what [mesh] accuracy needs (set by Case)
    order: int | None = param(integer(choices=ORDERS, optional=True), None)
    boundary: str = param(string(choices=MAGNETIC_BOUNDARIES), "dipole")  # A on the outer sphere
    eps: float = param(number(positive=True), EPS_DEFAULT)  # vacuum mass coefficient
    eps_given: bool = param(boolean, False)  # set by the user (else chosen by vacuum_eps)
    trapped_flux: bool = param(boolean, False)  # a hole has a fluxoid (set by Case)

    def validate(self) -> None:
        self._set("eps_given", self.eps_given or self.eps != EPS_DEFAULT)
        if self.eps > 1e-3:
            self.fail(
                "eps",
                f"must be at most 1e-3 (it adds a spurious screening current eps*A in the "
                f"vacuum), got {self.eps:g}; 1e-6 is usual",
            )

    @property
    def active(self) -> bool:
        return self.trapped_flux or any(b != 0.0 for b in self.applied_field)


def vacuum_eps(spec: MagneticSpec, outer_radius: float) -> float:
    """The eps a magnetic solve uses with an outer sphere of ``outer_radius`` lambda: the case's
    eps if it set one (an error naming magnetic.eps when eps (R_out/lambda)^2 exceeds
    EPS_R2_BOUND), else the default capped at EPS_R2_BOUND / (R_out/lambda)^2."""
    r2 = outer_radius**2
    if not spec.eps_given:
        return min(spec.eps, EPS_R2_BOUND / r2)
    if spec.eps * r2 > EPS_R2_BOUND:
        raise CaseError(
            f"eps (R_out/lambda)^2 = {spec.eps:g} x {outer_radius:.4g}^2 = {spec.eps * r2:.3g} "
            f"exceeds {EPS_R2_BOUND:g} (the moment is biased by about {EPS_BIAS:g} eps "
            f"(R_out/lambda)^2): use eps <= {EPS_R2_BOUND / r2:.3g}, or leave eps out",
            "magnetic.eps",
        )
    return spec.eps


@dataclass(frozen=True)
class ElectricSpec(Checked):
    applied_field: Vector = param(vector(), (0.0, 0.0, 0.0))  # V/m, uniform: phi -> -E_a . r

    @property
    def active(self) -> bool:
        return any(e != 0.0 for e in self.applied_field)


@dataclass(frozen=True)
class SpinSpec(Checked):
    axis: Vector = param(vector(unit=True), (0.0, 0.0, 1.0))  # spin quantization axis s
    direct_check: bool = param(boolean, True)  # solve Eq. 62a directly, report the difference


@dataclass(frozen=True)
class SolverSpec(Checked):
    rtol: float = param(number(positive=True), 1e-10)
    max_iterations: int = param(integer(minimum=1), 1000)

    def validate(self) -> None:
        if self.rtol >= 1e-4:
            self.fail("rtol", f"must be below 1e-4 for meaningful fields, got {self.rtol:g}")


@dataclass(frozen=True)
class Case(Checked):
    """A whole case. ``name`` names the results (results/<name>); ``path`` is the case file it
    was read from (for a case built in Python: <name>.toml in the current directory, the
    directory its relative paths are taken from); ``source`` is the text of the case file it was
    read from (``text``: that, or for a case built in Python its ``to_toml()``). ``sweep``:
    [sweep] as {key: [values]} (README "Parameter sweeps") or SweepParameter objects."""

    material: Material = param(instance(Material, 'a Material(lambda_="40 nm")'))
    geometry: Geometry = param(instance(Geometry, "a Geometry"))
    mesh: MeshSpec = param(instance(MeshSpec, "a MeshSpec"), MeshSpec())
    model: ModelSpec = param(instance(ModelSpec, "a ModelSpec"), ModelSpec())
    charge: ChargeSpec = param(instance(ChargeSpec, "a ChargeSpec"), ChargeSpec())
    magnetic: MagneticSpec = param(instance(MagneticSpec, "a MagneticSpec"), MagneticSpec())
    electric: ElectricSpec = param(instance(ElectricSpec, "an ElectricSpec"), ElectricSpec())
    spin: SpinSpec = param(instance(SpinSpec, "a SpinSpec"), SpinSpec())
    solver: SolverSpec = param(instance(SolverSpec, "a SolverSpec"), SolverSpec())
    output: OutputSpec = param(instance(OutputSpec, "an OutputSpec"), OutputSpec())
    probes: tuple[Probe, ...] = param(tuple_of(Probe, "Probe objects"), ())
    sweep: tuple[SweepParameter, ...] = ()
    name: str = param(string(), "case")
    path: Path | None = field(default=None, compare=False)
    source: str | None = field(default=None, compare=False, repr=False)  # the case file's text
    # what [mesh] accuracy chose and why (set by validate; the log and summary.json's mesh)
    mesh_choice: Choice | None = field(default=None, compare=False, repr=False)

    def validate(self) -> None:
        if self.path is None:
            self._set("path", Path.cwd() / f"{self.name}.toml")
        if self.output.dir is None:
            self._set("output", replace(self.output, dir=Path(f"results/{self.name}")))
        trapped = any(h.fluxoid for b in self.geometry.bodies for h in b.holes)
        if trapped != self.magnetic.trapped_flux:
            self._set("magnetic", replace(self.magnetic, trapped_flux=trapped))
        if len({p.name for p in self.probes}) != len(self.probes):
            self.fail("probe", "probe names must be unique")
        self._choose_mesh()
        if self.mesh.file is not None:
            check_mesh_file(self.mesh.file, self.model.kind, self.mesh.order, "mesh.file")
        if self.model.kind == "full":
            check_lambda_resolution(self.mesh)
        if isinstance(self.sweep, Mapping):
            bodies = {"geometry": {"body": [{}] * len(self.geometry.bodies)}}
            self._set("sweep", sweep_parameters(self.sweep, bodies))

    def _choose_mesh(self) -> None:
        """The mesh keys and N1curl degree the case leaves out, from its accuracy (MeshSpec's
        rules); what was chosen goes to ``mesh_choice``."""
        mesh, thin = self.mesh, self.model.kind == "thin-layer"
        default = mesh.accuracy is None and not mesh.classic  # MeshSpec left the keys to us
        accuracy = None if thin else (DEFAULT_ACCURACY if default else mesh.accuracy)
        shape_radius = curvature_radius(self.geometry)  # smallest radius of curvature
        known = None if shape_radius is None else shape_radius / self.lambda_in_units
        radius = R_FIT if known is None else known  # lambda
        missing = [k for k in CHOSEN if getattr(mesh, k) is None]
        if missing:  # thin-layer: its mesh follows the geometry, not lambda
            chosen = DEFAULT_MESH if thin else choose(accuracy, radius)
            kept = mesh.accuracy if thin else accuracy  # the default is recorded as set
            self._set("mesh", replace(mesh, accuracy=kept).fill(chosen))
        chose_degree = self.magnetic.order is None
        if chose_degree:
            degree = 1
            if accuracy is not None:
                degree = magnetic_order(accuracy, self.mesh.surface_size, radius)
            self._set("magnetic", replace(self.magnetic, order=degree))
        values = {k: getattr(self.mesh, k) for k in CHOSEN}
        if accuracy is not None and (missing or chose_degree):
            record = Choice(
                accuracy,
                default,
                known,
                {k: values[k] for k in missing},
                self.magnetic.order if chose_degree else None,
            )
            self._set("mesh_choice", record)
        elif self.mesh_choice is not None and not self.mesh_choice.holds_for(
            values, self.magnetic.order
        ):
            self._set("mesh_choice", None)  # a replaced case whose keys no longer are the choice

    @property
    def text(self) -> str:
        """The case file as run: the text read, or for a case built in Python its to_toml()."""
        return self.source if self.source is not None else self.to_toml()

    @property
    def lambda_text(self) -> str:
        return self.material.lambda_text

    @property
    def lambda_in_units(self) -> float:
        """lambda in the geometry unit: the mesh is built in units of lambda, this converts."""
        return self.material.lambda_m / self.geometry.unit_m

    @classmethod
    def from_toml(cls, path: str | Path) -> "Case":
        """Read and validate a case file."""
        return load_case(path)

    @classmethod
    def from_text(cls, text: str, path: str | Path = "case.toml") -> "Case":
        """A case from case-file text; ``path`` names it and locates its relative paths."""
        return parse_case(text, Path(path).resolve())

    def to_toml(self, directory: str | Path | None = None) -> str:
        """The case as a case file: paths relative to ``directory`` (the file's), else absolute."""
        from giantatom.casefile import case_to_toml

        return case_to_toml(self, directory)

    def write_toml(self, path: str | Path) -> Path:
        """Write the case file that `giantatom run` runs as this case; relative paths in it are
        relative to where it is written."""
        path = Path(path)
        path.write_text(self.to_toml(path.resolve().parent))
        return path


def parse_case(text: str, path: Path) -> Case:
    """Parse and validate a case file's text; ``path`` locates relative CAD paths."""
    from giantatom.casefile import read_case

    return read_case(text, path)


def load_case(path: str | Path) -> Case:
    """Read and validate a case file."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise CaseError(f"case file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise CaseError(f"cannot read case file {path}: {err}") from None
    return parse_case(text, path.resolve())
