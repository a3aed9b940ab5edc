"""mSale's results as named moves (ACT-12..16, ESIM-11..18), the contract with the connections domain: each one
refuses a dossier not waiting for it (``Conflict("not_…")``) and is a no-op returning False when repeated."""
from __future__ import annotations

import pytest

from portal.core.actors import SystemActor
from portal.core.errors import Conflict, Invalid
from portal.core.roles import Role
from portal.dossiers import lifecycle
from portal.dossiers.models import DossierStatus
from portal.dossiers.queries import timeline

from .conftest import _customer

MSALE = SystemActor("mSale")
LPA = "LPA:1$smdp.example.vn$MATCH-0001"


@pytest.fixture
def approved(db, make_staff, submitted):
    def make(sim: str):
        dossier = submitted(sim)
        lifecycle.approve(dossier, make_staff(Role.CONNECTION, 1))
        return dossier

    return make


def test_a_physical_sim_is_connected_once__ACT_13_ACT_14(db, approved):
    dossier = approved("physical")
    assert lifecycle.connected(dossier, MSALE, "MS-123")
    assert dossier.status == DossierStatus.CONNECTED and dossier.msale_ref == "MS-123"
    assert timeline(dossier)[-1].step == "ACT-14"
    assert lifecycle.connected(dossier, MSALE, "MS-123") is False  # a repeated callback or poll
    with pytest.raises(Conflict) as exc:
        lifecycle.connection_refused(dossier, MSALE, "late refusal")
    assert exc.value.code == "not_approved"


def test_a_refusal_keeps_its_reason_and_the_customer_may_start_again__ACT_16_ACT_18(db, approved):
    dossier = approved("physical")
    with pytest.raises(Invalid):
        lifecycle.connection_refused(dossier, MSALE, " ")
    assert lifecycle.connection_refused(dossier, MSALE, "Thuê bao trùng thông tin")
    assert dossier.status == DossierStatus.CONNECTION_REFUSED and dossier.last_reason == "Thuê bao trùng thông tin"
    assert lifecycle.connection_refused(dossier, MSALE, "Thuê bao trùng thông tin") is False
    lifecycle.start_again(dossier, _customer(dossier))
    assert dossier.status == DossierStatus.DRAFT


def test_an_esim_gets_its_code_then_the_customer_confirms_the_scan__ESIM_13_ESIM_15(db, approved):
    dossier = approved("esim")
    with pytest.raises(Conflict) as exc:
        lifecycle.qr_scanned(dossier, _customer(dossier), True)
    assert exc.value.code == "not_qr_issued"
    assert lifecycle.qr_issued(dossier, MSALE, LPA)
    assert lifecycle.qr_issued(dossier, MSALE, LPA) is False
    assert dossier.status == DossierStatus.QR_ISSUED and dossier.activation_code == LPA
    assert lifecycle.qr_scanned(dossier, _customer(dossier), True)
    assert dossier.status == DossierStatus.CONNECTED and timeline(dossier)[-1].step == "ESIM-15"
    assert lifecycle.qr_scanned(dossier, _customer(dossier), True) is False


def test_a_failed_scan_needs_a_reason_and_refuses_the_connection__ESIM_17_ESIM_18(db, approved):
    dossier = approved("esim")
    lifecycle.qr_issued(dossier, MSALE, LPA)
    with pytest.raises(Invalid):
        lifecycle.qr_scanned(dossier, _customer(dossier), False, "")
    assert lifecycle.qr_scanned(dossier, _customer(dossier), False, "Máy không hỗ trợ eSIM")
    assert dossier.status == DossierStatus.CONNECTION_REFUSED and timeline(dossier)[-1].step == "ESIM-18"


def test_a_physical_sim_has_no_qr_code_and_an_unapproved_dossier_no_result(db, approved, submitted):
    with pytest.raises(Conflict) as exc:
        lifecycle.qr_issued(approved("physical"), MSALE, LPA)
    assert exc.value.code == "not_esim"
    with pytest.raises(Conflict) as exc:
        lifecycle.connected(submitted("esim"), MSALE, "MS-1")
    assert exc.value.code == "not_approved"
