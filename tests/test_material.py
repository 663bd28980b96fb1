"""Material constants against the check numbers of docs/formulation.md (lambda = 40 nm)."""

import pytest

from giantatom.material import Material, london_density
from giantatom.units import E_CHARGE, parse_length


def test_check_numbers_lambda_40nm():
    m = Material(40e-9)
    assert m.n_s == pytest.approx(1.76e28, rel=5e-3)  # 1.76e22 cm^-3
    assert m.E_m == pytest.approx(3.08e7, rel=5e-3)
    assert m.rho_minus == pytest.approx(-6.8e3, rel=5e-3)
    assert m.B_s == pytest.approx(0.103, rel=5e-3)
    assert m.v_0 == pytest.approx(7.2e2, rel=5e-3)
    # rho_- is 2.4e-6 of the superfluid charge density e n_s (both negative)
    assert m.rho_minus / (E_CHARGE * m.n_s) == pytest.approx(2.4e-6, rel=1e-2)


def test_gaussian_identities():
    m = Material(55e-9)
    assert m.E_m == pytest.approx(299792458.0 * m.B_s, rel=1e-9)  # E_m = B_s (Gaussian)
    assert m.rho_minus < 0 < m.E_m


def test_n_s_override_enters_rho_minus_and_E_m_only():
    base = Material(40e-9)
    doubled = Material(40e-9, n_s_override=2 * london_density(40e-9))
    assert doubled.rho_minus == pytest.approx(2 * base.rho_minus)
    assert doubled.E_m == pytest.approx(2 * base.E_m)
    assert doubled.B_s == base.B_s and doubled.v_0 == base.v_0


def test_parse_length():
    assert parse_length("40 nm") == (pytest.approx(4e-8), "nm")
    assert parse_length("0.5um")[0] == pytest.approx(5e-7)
    for bad in ("40", "40 kg", "nm", "4e nm", ""):
        with pytest.raises(ValueError):
            parse_length(bad)
