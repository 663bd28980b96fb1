"""The linear solver of the magnetic sector's curl-curl system: MUMPS, or CG with the
auxiliary-space preconditioner of Hiptmair and Xu."""

import time

from giantatom.backend import PETSc, fem
from giantatom.case import MagneticSpec
from giantatom.errors import SolveError
from giantatom.linalg import REASONS, SolveStats
from giantatom.log import log


class HiptmairXu:
    """The auxiliary-space preconditioner of Hiptmair and Xu for H(curl), the method of hypre's
    AMS (absent from this PETSc), as a PETSc Python PC built from PETSc parts:

        B = SOR(A) + G GAMG(G^T A G) G^T + Pi GAMG(Pi^T A Pi) Pi^T

    G is the discrete gradient (Lagrange -> N1curl): the near-kernel of curl-curl, which the
    point smoother cannot reduce; Pi interpolates vector Lagrange fields into N1curl, where the
    rest of the operator looks like a vector Laplacian that GAMG handles. Each term is
    symmetric positive semi-definite, so B suits CG."""

    def __init__(self, A: PETSc.Mat, space: fem.FunctionSpace, prefix: str):
        mesh, comm = space.mesh, space.mesh.comm
        degree = space.element.basix_element.embedded_superdegree
        scalar = fem.functionspace(mesh, ("Lagrange", degree))
        vector = fem.functionspace(mesh, ("Lagrange", degree, (3,)))
        G = fem.petsc.discrete_gradient(scalar, space)
        Pi = fem.petsc.interpolation_matrix(vector, space)
        self.smoother = PETSc.PC().create(comm)
        self.smoother.setOperators(A)
        self.smoother.setType("sor")  # symmetric SOR: keeps B symmetric for CG
        self.smoother.setOptionsPrefix(f"{prefix}smoother_")
        self.smoother.setFromOptions()
        self.smoother.setUp()
        self.spaces = []
        for name, P in (("gradient", G), ("vector", Pi)):
            P.assemble()
            A_aux = A.ptap(P)
            pc = PETSc.PC().create(comm)
            pc.setOperators(A_aux)
            pc.setType("gamg")
            pc.setOptionsPrefix(f"{prefix}{name}_")
            pc.setFromOptions()
            pc.setUp()
            self.spaces.append((P, A_aux, pc, A_aux.createVecRight(), A_aux.createVecRight()))

    def apply(self, pc: PETSc.PC, x: PETSc.Vec, y: PETSc.Vec) -> None:
        self.smoother.apply(x, y)
        for P, _, inner, restricted, correction in self.spaces:
            P.multTranspose(x, restricted)
            inner.apply(restricted, correction)
            P.multAdd(correction, y, y)

    def destroy(self, pc: PETSc.PC) -> None:
        """Called by PETSc when the Python PC that holds this context is destroyed."""
        self.smoother.destroy()
        for P, A_aux, inner, restricted, correction in self.spaces:
            for obj in (P, A_aux, inner, restricted, correction):
                obj.destroy()


class CurlCurlSolver:
    """Solves the assembled curl-curl system for several right-hand sides.

    direct: MUMPS LU (the matrix is symmetric positive definite, but MUMPS's LDL^T was slower
    in our measurements): one factorisation, then cheap back-substitutions.
    iterative: CG preconditioned by ``HiptmairXu``.
    The settings are made on the KSP itself, not through the global options database, so one
    process can run several cases; PETSc options with the prefix giantatom_magnetic_ still win."""

    def __init__(
        self,
        a_form: fem.Form,
        space: fem.FunctionSpace,
        bcs: list[fem.DirichletBC],
        spec: MagneticSpec,
        rtol: float,
        max_it: int,
    ):
        start = time.perf_counter()
        self.form, self.bcs = a_form, bcs  # for the right-hand sides (linalg.dirichlet_rhs)
        self.matrix = fem.petsc.assemble_matrix(a_form, bcs=bcs)
        self.matrix.assemble()
        self.matrix.setOption(PETSc.Mat.Option.SPD, True)
        log.debug("  matrix assembled: %.1f s", time.perf_counter() - start)
        self.kind = spec.solver
        self.ksp = PETSc.KSP().create(space.mesh.comm)
        self.ksp.setOperators(self.matrix)
        prefix = "giantatom_magnetic_"
        self.ksp.setOptionsPrefix(prefix)
        pc = self.ksp.getPC()
        self.preconditioner: HiptmairXu | None = None
        start = time.perf_counter()
        if spec.solver == "direct":
            self.ksp.setType("preonly")
            pc.setType("lu")  # MUMPS's LDL^T (Cholesky) measured slower here
            pc.setFactorSolverType("mumps")
        else:
            self.ksp.setType("cg")
            self.ksp.setTolerances(rtol=rtol, atol=0.0, max_it=max_it)
            self.preconditioner = HiptmairXu(self.matrix, space, prefix)
            pc.setType("python")
            pc.setPythonContext(self.preconditioner)
        self.ksp.setFromOptions()  # -giantatom_magnetic_* options from the command line win
        self.ksp.setUp()
        log.debug("  %s solver set up: %.1f s", self.kind, time.perf_counter() - start)

    def solve(self, b: PETSc.Vec, u: fem.Function, label: str, stats: SolveStats) -> None:
        start = time.perf_counter()
        self.ksp.solve(b, u.x.petsc_vec)
        u.x.scatter_forward()
        reason = self.ksp.getConvergedReason()
        its = self.ksp.getIterationNumber()
        if reason <= 0:
            raise SolveError(
                f"the magnetic {label} solve did not converge ({REASONS.get(reason, reason)})"
                + (f" after {its} CG iterations" if self.kind == "iterative" else "")
                + '; raise solver.max_iterations, or use magnetic.solver = "direct" (MUMPS, '
                "the robust choice)",
                "magnetic.solver",
            )
        elapsed = time.perf_counter() - start
        stats.iterations[label] = its
        log.info("  %-28s %4d iterations  %6.1f s", label, its, elapsed)

    def destroy(self) -> None:
        self.ksp.destroy()  # also destroys the HiptmairXu context through its PC
        self.matrix.destroy()
