"""Symmetric positive definite solves: CG preconditioned by multigrid.

The preconditioner is GAMG (PETSc's algebraic multigrid; the wheel's PETSc has no hypre) or,
with ``p_multigrid`` and Lagrange degree k > 1, a two-level p-multigrid: Chebyshev/Jacobi
smoothing on the P_k space and the Galerkin coarse operator on P1 of the same mesh, solved by
one V-cycle of GAMG. GAMG on the P1 operator sets up about ten times faster than on the P2 one
(whose matrix graph is dense enough that GAMG's aggregation dominates a solve) and the iteration
count stays flat under refinement. The p-multigrid needs an operator on the whole mesh (the
charge sector's): a form on part of it leaves coarse rows empty, which PCMG's Galerkin product
does not accept.

One operator is assembled and set up once and then reused for several right-hand sides (the
screening profiles of several bodies). A second operator on the same space (same sparsity) can
replace it in the same matrix (``SPDSolver.reassemble``): GAMG keeps its aggregates and
prolongators and only the Galerkin products and smoother estimates are redone. Non-convergence
raises ``SolveError``: an unconverged field is never passed off as a result.

PETSc options with the prefix ``giantatom_<name>_`` (e.g. ``-giantatom_charge_ksp_view`` in
PETSC_OPTIONS) override the defaults below.
"""

import logging
import time
from dataclasses import dataclass, field

from giantatom.backend import PETSc, fem, ufl
from giantatom.case import SolverSpec
from giantatom.errors import SolveError

log = logging.getLogger("giantatom")

# Option names this module put into PETSc's options database (the rest are a user's).
_DEFAULTS_SET: set[str] = set()

REASONS = {v: k for k, v in PETSc.KSP.ConvergedReason.__dict__.items() if not k.startswith("_")}


@dataclass
class SolveStats:
    """What the solves cost: iterations per right-hand side and seconds in total."""

    iterations: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    # for the benchmark: seconds of each solve, and of each setup (assembly + preconditioner)
    solve_seconds: dict[str, float] = field(default_factory=dict)
    setup_seconds: dict[str, float] = field(default_factory=dict)


class SPDSolver:
    """CG + multigrid (see the module docstring) for the bilinear form ``a``; with ``bcs`` the
    Dirichlet rows and columns are replaced by the identity (right-hand sides then need
    ``apply_lifting`` and ``set_bc``)."""

    def __init__(
        self,
        a: ufl.Form,
        name: str,
        spec: SolverSpec,
        stats: SolveStats,
        bcs: list | None = None,
        p_multigrid: bool = False,
    ):
        start = time.perf_counter()
        self.name = name
        self.stats = stats
        self.form = fem.form(a)
        self.space = a.arguments()[1].ufl_function_space()  # the trial space
        self.bcs = bcs or []
        self.matrix = fem.petsc.assemble_matrix(self.form, bcs=self.bcs)
        self.matrix.assemble()
        comm = self.space.mesh.comm
        self.ksp = PETSc.KSP().create(comm)
        self.ksp.setOperators(self.matrix)
        prefix = f"giantatom_{name}_"
        self.ksp.setOptionsPrefix(prefix)
        self.interpolation = None
        defaults = {
            "ksp_type": "cg",
            "ksp_rtol": spec.rtol,
            "ksp_atol": 0.0,
            "ksp_max_it": spec.max_iterations,
        }
        gamg = {
            "pc_type": "gamg",
            "pc_gamg_threshold": 0.02,
            "mg_levels_ksp_type": "chebyshev",
            "mg_levels_pc_type": "jacobi",
            "pc_gamg_reuse_interpolation": True,  # see reassemble
        }
        if p_multigrid and self.space.ufl_element().embedded_superdegree > 1:
            shape = self.space.value_shape  # vector spaces: vector P1
            coarse = fem.functionspace(
                self.space.mesh, ("Lagrange", 1, *([shape] if shape else []))
            )
            self.interpolation = fem.petsc.interpolation_matrix(coarse, self.space)
            self.interpolation.assemble()
            pc = self.ksp.getPC()
            pc.setType("mg")
            pc.setMGLevels(2)
            pc.setMGInterpolation(1, self.interpolation)
            defaults |= {
                "pc_type": "mg",
                "pc_mg_galerkin": "both",
                "mg_levels_ksp_type": "chebyshev",
                "mg_levels_pc_type": "jacobi",
                # Chebyshev needs an upper bound of the Jacobi-scaled spectrum: PETSc's default
                # estimate (10 steps, x1.1) fell short on a P2 mesh of 370k dofs, which made the
                # smoother indefinite (CG stopped with DIVERGED_INDEFINITE_PC).
                "mg_levels_ksp_chebyshev_esteig_steps": 20,
                "mg_levels_ksp_chebyshev_esteig": "0,0.1,0,1.2",
                "mg_coarse_ksp_type": "preonly",
                **{f"mg_coarse_{key}": value for key, value in gamg.items()},
            }
        else:
            defaults |= gamg
        options = PETSc.Options()
        # Options left by an earlier solver of this name (a sweep's earlier member) are ours,
        # not a user's: replace them. They stay in the database while the solver lives, since
        # PCMG reads its levels' options when it is set up.
        for key in [k for k in _DEFAULTS_SET if k.startswith(prefix)]:
            options.delValue(key)
            _DEFAULTS_SET.discard(key)
        for key, value in defaults.items():  # a user's -giantatom_<name>_* option wins
            if not options.hasName(prefix + key):
                options[prefix + key] = value
                _DEFAULTS_SET.add(prefix + key)
        self.ksp.setFromOptions()
        self.ksp.setUp()
        stats.setup_seconds[name] = time.perf_counter() - start
        stats.seconds += stats.setup_seconds[name]

    def reassemble(self, a: ufl.Form) -> None:
        """Make the bilinear form ``a`` (same trial and test space as before) the operator,
        keeping GAMG's coarse spaces; the Galerkin products are redone here, not in a solve."""
        start = time.perf_counter()
        self.form = fem.form(a)
        self.matrix.zeroEntries()
        fem.petsc.assemble_matrix(self.matrix, self.form, bcs=self.bcs)
        self.matrix.assemble()
        self.ksp.getPC().setUp()
        elapsed = time.perf_counter() - start
        self.stats.setup_seconds[f"{self.name} (reassembled)"] = elapsed
        self.stats.seconds += elapsed

    def solve(self, b: PETSc.Vec, label: str) -> fem.Function:
        """The solution for one assembled right-hand side (see ``assemble_rhs``); raises
        SolveError unless CG converged."""
        start = time.perf_counter()
        u = fem.Function(self.space, name=label)
        if b.norm() > 0.0:
            self.ksp.solve(b, u.x.petsc_vec)
            u.x.scatter_forward()
            reason = self.ksp.getConvergedReason()
            its = self.ksp.getIterationNumber()
            if reason <= 0:
                raise SolveError(
                    f"the {label} solve did not converge ({REASONS.get(reason, reason)}) after "
                    f"{its} CG iterations; residual norm {self.ksp.getResidualNorm():.3e}. "
                    "Try a finer or better-graded mesh, or raise solver.max_iterations"
                )
        else:
            its = 0  # a zero right-hand side has the zero solution
        elapsed = time.perf_counter() - start
        self.stats.iterations[label] = its
        self.stats.solve_seconds[label] = elapsed
        self.stats.seconds += elapsed
        log.info("  %-28s %4d CG iterations  %6.1f s", label, its, elapsed)
        return u

    def destroy(self) -> None:
        self.ksp.destroy()
        self.matrix.destroy()
        if self.interpolation is not None:
            self.interpolation.destroy()


def _assemble(form: fem.Form | None, vector: PETSc.Vec | None) -> PETSc.Vec:
    """Local contributions of ``form`` (zero without one) into ``vector`` (a new one if None)."""
    if vector is None:
        return fem.petsc.assemble_vector(form)
    with vector.localForm() as local:
        local.set(0.0)
    if form is not None:
        fem.petsc.assemble_vector(vector, form)
    return vector


def dirichlet_rhs(
    solver: SPDSolver, L: fem.Form | None, vector: PETSc.Vec | None = None
) -> PETSc.Vec:
    """Right-hand side of ``L`` for a solver with Dirichlet conditions (its compiled ``form``
    and ``bcs``: an SPDSolver or curlcurl.CurlCurlSolver): lifted by their current values and
    holding them in the constrained rows. Without ``L`` (no source) ``vector``, a
    ghosted vector of the space, gets the lifted boundary values alone."""
    vector = _assemble(L, vector)
    fem.petsc.apply_lifting(vector, [solver.form], bcs=[solver.bcs])
    vector.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    fem.petsc.set_bc(vector, solver.bcs)
    return vector


def assemble_rhs(form: fem.Form, vector: PETSc.Vec | None = None) -> PETSc.Vec:
    """Assemble a compiled linear form (into ``vector`` if given), owned entries complete."""
    vector = _assemble(form, vector)
    vector.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    return vector
