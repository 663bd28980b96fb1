"""The superconductor's material constants, all derived from the London depth lambda (Eq. 8).

SI forms of the paper's Gaussian relations (e < 0):
    n_s   = m_e / (mu_0 e^2 lambda^2)                 Eq. 8
    rho_- = e n_s hbar / (4 m_e c lambda)              Eq. 49, negative
    E_m   = -lambda rho_- / eps_0                      Eq. 30 (Gaussian: -4 pi lambda rho_-)
    B_s   = hbar / (4 |e| lambda^2)                    Eq. 42
    v_0   = hbar / (4 m_e lambda)                      Eq. 38
With n_s from Eq. 8, rho_- = -eps_0 c hbar / (4 |e| lambda^3) and E_m = c B_s. When the case file
overrides n_s, that value enters rho_- and E_m; lambda alone enters B_s, v_0 and the screening.
"""

from dataclasses import dataclass

from giantatom.units import C_LIGHT, E_CHARGE, EPS_0, HBAR, M_E, MU_0


def london_density(lambda_m: float) -> float:
    """Superfluid density n_s (m^-3) for London depth lambda (Eq. 8)."""
    return M_E / (MU_0 * E_CHARGE**2 * lambda_m**2)


@dataclass(frozen=True)
class Material:
    lambda_m: float
    n_s_override: float | None = None

    @property
    def n_s(self) -> float:
        """Superfluid density, m^-3."""
        return self.n_s_override if self.n_s_override is not None else london_density(self.lambda_m)

    @property
    def rho_minus(self) -> float:
        """Expelled charge density near the surface, C/m^3 (negative)."""
        return E_CHARGE * self.n_s * HBAR / (4.0 * M_E * C_LIGHT * self.lambda_m)

    @property
    def E_m(self) -> float:
        """Largest interior electric field, V/m (points outward)."""
        return -self.lambda_m * self.rho_minus / EPS_0

    @property
    def B_s(self) -> float:
        """Field that stops one spin component of the spin current, T."""
        return HBAR / (4.0 * abs(E_CHARGE) * self.lambda_m**2)

    @property
    def v_0(self) -> float:
        """Spin-current speed at the surface of a large body, m/s."""
        return HBAR / (4.0 * M_E * self.lambda_m)

    def summary(self) -> dict:
        return {
            "lambda_m": self.lambda_m,
            "n_s_m3": self.n_s,
            "n_s_source": "case file" if self.n_s_override is not None else "Eq. 8 from lambda",
            "rho_minus_C_m3": self.rho_minus,
            "E_m_V_m": self.E_m,
            "B_s_T": self.B_s,
            "v0_m_s": self.v_0,
            "formulas": {
                "n_s": "m_e/(mu0 e^2 lambda^2) unless overridden",
                "rho_minus": "e n_s hbar/(4 m_e c lambda)",
                "E_m": "-lambda rho_minus/eps0",
                "B_s": "hbar/(4|e| lambda^2)",
                "v0": "hbar/(4 m_e lambda)",
            },
        }
