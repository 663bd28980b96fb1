"""Symmetric positive definite solves: CG preconditioned by GAMG (no hypre in the wheel's PETSc).

One operator is assembled and set up once and then reused for several right-hand sides (the
screening profiles of several bodies; phi and phi0). Non-convergence raises ``SolveError``:
an unconverged field is never passed off as a result.
"""

import logging
import time
from dataclasses import dataclass, field

from solver.backend import PETSc, fem, ufl
from solver.case import SolverSpec
from solver.errors import SolveError

log = logging.getLogger("giantatom")

_REASONS = {v: k for k, v in PETSc.KSP.ConvergedReason.__dict__.items() if not k.startswith("_")}


@dataclass
class SolveStats:
    """What the solves cost: iterations per right-hand side and seconds in total."""

    iterations: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class SPDSolver:
    """CG + GAMG for the bilinear form ``a`` on the space of its trial function; with ``bcs``
    the Dirichlet rows and columns are replaced by the identity (right-hand sides then need
    ``apply_lifting`` and ``set_bc``)."""

    def __init__(
        self, a: ufl.Form, name: str, spec: SolverSpec, stats: SolveStats, bcs: list | None = None
    ):
        start = time.perf_counter()
        self.name = name
        self.stats = stats
        self.form = fem.form(a)
        self.space = a.arguments()[1].ufl_function_space()  # the trial space
        self.matrix = fem.petsc.assemble_matrix(self.form, bcs=bcs or [])
        self.matrix.assemble()
        comm = self.space.mesh.comm
        self.ksp = PETSc.KSP().create(comm)
        self.ksp.setOperators(self.matrix)
        prefix = f"giantatom_{name}_"
        self.ksp.setOptionsPrefix(prefix)
        options = PETSc.Options()
        for key, value in {
            "ksp_type": "cg",
            "pc_type": "gamg",
            "ksp_rtol": spec.rtol,
            "ksp_atol": 0.0,
            "ksp_max_it": spec.max_iterations,
            "pc_gamg_threshold": 0.02,
            "mg_levels_ksp_type": "chebyshev",
            "mg_levels_pc_type": "jacobi",
        }.items():
            if not options.hasName(prefix + key):  # a user's -giantatom_<name>_* option wins
                options[prefix + key] = value
        self.ksp.setFromOptions()
        self.ksp.setUp()
        stats.seconds += time.perf_counter() - start

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
                    f"the {label} solve did not converge ({_REASONS.get(reason, reason)}) after "
                    f"{its} CG iterations; residual norm {self.ksp.getResidualNorm():.3e}. "
                    "Try a finer or better-graded mesh, or raise solver.max_iterations"
                )
        else:
            its = 0  # a zero right-hand side has the zero solution
        elapsed = time.perf_counter() - start
        self.stats.iterations[label] = its
        self.stats.seconds += elapsed
        log.info("  %-28s %4d CG iterations  %6.1f s", label, its, elapsed)
        return u

    def destroy(self) -> None:
        self.ksp.destroy()
        self.matrix.destroy()


def assemble_rhs(form: fem.Form, vector: PETSc.Vec | None = None) -> PETSc.Vec:
    """Assemble a compiled linear form (into ``vector`` if given), owned entries complete."""
    if vector is None:
        vector = fem.petsc.assemble_vector(form)
    else:
        with vector.localForm() as local:
            local.set(0.0)
        fem.petsc.assemble_vector(vector, form)
    vector.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    return vector
