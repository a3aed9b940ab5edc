"""The dossier owns its lifecycle (portal.dossiers.lifecycle): when it may open (ACT-3, ESIM-2, E-3.3), what each
move records (status history and audit through core.states, the timeline with its step id), the video call's moves
(ACT-8, ESIM-7) and the end of a dossier whose ticket ended (a listener, not a call)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.events import status_committed
from portal.core.models import AuditEntry, StatusChange
from portal.core.roles import Role
from portal.dossiers import lifecycle, queries
from portal.dossiers.models import Dossier, DossierStatus, PhotoKind, StepAction
from portal.dossiers.validation import clean_details
from portal.holds.models import HoldStatus, SimType
from portal.orders import lifecycle as orders_lifecycle
from portal.orders import services as orders

from .conftest import SYSTEM, lan_form, photo


def _steps(dossier) -> list[tuple[str, str]]:
    return [(s.step, s.action.value) for s in queries.timeline(dossier)]


def _actions(dossier) -> list[str]:
    return [a.action for a in (lifecycle.db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "dossier", AuditEntry.object_id == str(dossier.id)).order_by(AuditEntry.id)))]


def test_a_physical_sim_opens_only_once_it_is_in_the_customers_hands__ACT_1_ACT_3(db, lan, numbers, media_root):
    order, _ = orders.place_order(lan_form(number="0903686801"), lan, "web", "n1")  # cash on delivery, pending
    db.session.commit()
    with pytest.raises(Conflict) as early:
        lifecycle.open_dossier(order, lan)
    assert early.value.code == "not_ready_for_activation" and "nhận được SIM" in early.value.message
    assert queries.activation_of(order).refusal == early.value.message


def test_a_delivered_sim_opens_a_dossier_from_the_hold_forms_details__ACT_3(db, lan, delivered_order):
    order = delivered_order(lan)
    dossier = lifecycle.open_dossier(order, lan)
    db.session.commit()
    assert (dossier.status, dossier.sim_type, dossier.region_id) == (DossierStatus.DRAFT, SimType.PHYSICAL, 1)
    assert (dossier.full_name, dossier.id_number, dossier.order_id) == ("Nguyễn Thị Lan Anh", "001190012345", order.id)
    assert lifecycle.open_dossier(order, lan).id == dossier.id  # "Kích hoạt" again: the same dossier
    assert _steps(dossier) == [("ACT-3", "opened")]
    assert _actions(dossier) == ["dossier.open"]
    assert queries.activation_of(order).dossier.id == dossier.id


def test_an_esim_opens_once_its_hold_is_paid__ESIM_1_ESIM_2(db, lan, numbers, media_root, paid_esim):
    unpaid, _ = orders.place_order(lan_form(number="0903686802", sim_type="esim", receive_method="email",
                                            payment_method="online", email="lan@example.vn"), lan, "web", "n1")
    db.session.commit()
    with pytest.raises(Conflict, match="thanh toán"):
        lifecycle.open_dossier(unpaid, lan)
    order = paid_esim(lan)
    assert order.ticket.status == HoldStatus.PAID
    dossier = lifecycle.open_dossier(order, lan)
    assert dossier.sim_type == SimType.ESIM and _steps(dossier) == [("ESIM-2", "opened")]


def test_a_cancelled_order_does_not_open(db, lan, paid_esim):
    order = paid_esim(lan)
    orders_lifecycle.cancel(order, SYSTEM, "Khách đổi ý")
    db.session.commit()
    with pytest.raises(Conflict, match="hủy"):
        lifecycle.open_dossier(order, lan)


def test_a_channels_ticket_opens_with_the_details_given_at_once__E_1_3_E_3_3(db, lan, channel_ticket):
    ticket = channel_ticket("0912345678")
    details = clean_details(lan_form(), SimType.PHYSICAL)
    dossier = lifecycle.open_from_hold_code(ticket, lan, details)
    db.session.commit()
    assert dossier.order_id is None and dossier.region_id == 1 and dossier.contact_phone == "0912345678"
    assert [(s.step, s.note) for s in queries.timeline(dossier)] == [
        ("ACT-3", "Mã giữ số và số điện thoại đã được kiểm tra (E-3.3)")]


def test_someone_elses_ticket_is_not_found(db, lan, make_customer, delivered_order):
    order = delivered_order(lan)
    lifecycle.open_dossier(order, lan)
    db.session.commit()
    with pytest.raises(NotFound):
        lifecycle.open_dossier(order, make_customer("0987654321"))
    with pytest.raises(NotFound):
        queries.customer_dossier(order.ticket.hold_code, make_customer("0987654322"))


def test_details_and_photos_after_a_verification_send_it_back_to_draft__ACT_4_ACT_5(db, lan, delivered_order):
    dossier = lifecycle.open_dossier(delivered_order(lan), lan)
    changed = lifecycle.update_details(dossier, lan, clean_details(lan_form(), SimType.PHYSICAL))
    assert changed == [] and dossier.status == DossierStatus.DRAFT
    for kind, name in zip(PhotoKind, ("front", "back", "portrait"), strict=True):
        lifecycle.add_photo(dossier, lan, kind, photo(name))
    run = lifecycle.verify(dossier, lan)
    db.session.commit()
    assert run.passed and dossier.status == DossierStatus.READY_FOR_CALL

    changed = lifecycle.update_details(dossier, lan, clean_details(lan_form(ward="Phường Từ Liêm"), SimType.PHYSICAL))
    db.session.commit()
    assert changed == ["ward"] and dossier.status == DossierStatus.DRAFT
    assert _steps(dossier) == [("ACT-3", "opened"), ("ACT-4", "details_updated"), ("ACT-5", "photo_added"),
                               ("ACT-5", "photo_added"), ("ACT-5", "photo_added"), ("ACT-7", "ekyc_passed"),
                               ("ACT-4", "details_updated")]
    assert queries.timeline(dossier)[-1].note == "Đã sửa: phường/xã"
    moves = [(c.from_status, c.to_status) for c in db.session.scalars(select(StatusChange).where(
        StatusChange.object_type == "dossier", StatusChange.object_id == str(dossier.id)).order_by(StatusChange.id))]
    assert moves == [(None, "draft"), ("draft", "ready_for_call"), ("ready_for_call", "draft")]
    assert "dossier.ready_for_call" in _actions(dossier) and "dossier.draft" in _actions(dossier)


def test_verifying_without_every_photo_is_refused__ACT_6(db, lan, delivered_order):
    dossier = lifecycle.open_dossier(delivered_order(lan), lan)
    lifecycle.add_photo(dossier, lan, PhotoKind.ID_FRONT, photo("front"))
    with pytest.raises(Invalid) as refusal:
        lifecycle.verify(dossier, lan)
    assert refusal.value.code == "photos_missing" and "mặt sau giấy tờ, ảnh chân dung" in refusal.value.message


def _ready(db, lan, delivered_order) -> Dossier:
    dossier = lifecycle.open_dossier(delivered_order(lan), lan)
    for kind, name in zip(PhotoKind, ("front", "back", "portrait"), strict=True):
        lifecycle.add_photo(dossier, lan, kind, photo(name))
    lifecycle.verify(dossier, lan)
    db.session.commit()
    return dossier


def test_the_video_call_passes_or_fails_with_a_reason__ACT_8(db, lan, delivered_order, make_staff):
    agent = make_staff(Role.AGENT, region=1)
    dossier = _ready(db, lan, delivered_order)
    assert dossier.may_call
    with pytest.raises(Invalid):
        lifecycle.video_failed(dossier, agent, "  ")
    lifecycle.video_failed(dossier, agent, "Khách không mang giấy tờ gốc")
    lifecycle.video_failed(dossier, agent, "Hình ảnh không rõ")  # ACT-8: fail → the customer calls again
    db.session.commit()
    assert dossier.status == DossierStatus.VIDEO_FAILED and dossier.last_reason == "Hình ảnh không rõ"
    assert dossier.may_call and dossier.editable
    lifecycle.video_passed(dossier, agent)
    db.session.commit()
    assert dossier.status == DossierStatus.VERIFIED and not dossier.editable and not dossier.may_call
    with pytest.raises(Conflict):
        lifecycle.video_passed(dossier, agent)
    steps = queries.timeline(dossier)[-3:]
    assert [(s.step, s.action, s.actor_name) for s in steps] == [
        ("ACT-8", StepAction.VIDEO_FAILED, agent.audit_name), ("ACT-8", StepAction.VIDEO_FAILED, agent.audit_name),
        ("ACT-8", StepAction.VIDEO_PASSED, agent.audit_name)]
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "dossier.verified"))
    assert audit.actor_id == agent.id and audit.region_id == 1


def test_a_call_cannot_be_decided_before_ekyc_passed__ESIM_7(db, lan, paid_esim, make_staff):
    dossier = lifecycle.open_dossier(paid_esim(lan), lan)
    with pytest.raises(Conflict):
        lifecycle.video_passed(dossier, make_staff(Role.AGENT, region=1))


def test_every_move_is_published_after_commit_for_the_desk(db, lan, delivered_order):
    heard = []

    def listen(_sender, event, **_kw):
        heard.append((event.from_status, event.to_status, event.data["region_id"]))

    status_committed.connect(listen, sender=Dossier)
    try:
        _ready(db, lan, delivered_order)
    finally:
        status_committed.disconnect(listen, sender=Dossier)
    assert heard == [(None, "draft", 1), ("draft", "ready_for_call", 1)]


def test_a_dossier_ends_with_its_ticket(db, lan, channel_ticket):
    """The holds domain cancels a ticket without knowing dossiers exist: the dossier listens and is abandoned."""
    from portal.holds import services as holds

    ticket = channel_ticket()
    dossier = lifecycle.open_from_hold_code(ticket, lan, clean_details(lan_form(), SimType.PHYSICAL))
    db.session.commit()
    holds.cancel_hold(ticket, SYSTEM, "Kênh hủy phiếu")
    db.session.commit()
    assert dossier.status == DossierStatus.ABANDONED and dossier.ended_at is not None
    assert queries.timeline(dossier)[-1].note == "Phiếu giữ số đã bị hủy"
    with pytest.raises(Conflict, match="hết hạn hoặc đã hủy"):
        lifecycle.open_from_hold_code(ticket, lan, clean_details(lan_form(), SimType.PHYSICAL))


def test_an_abandoned_dossier_on_a_live_ticket_is_reopened_from_the_ticket__ACT_3(db, lan, delivered_order):
    order = delivered_order(lan)
    dossier = lifecycle.open_dossier(order, lan)
    lifecycle.abandon(dossier, None, "Quá 30 ngày không cập nhật")
    db.session.commit()
    again = lifecycle.open_dossier(order, lan)
    assert again.id == dossier.id and again.status == DossierStatus.DRAFT and again.ended_at is None
    assert [a for _s, a in _steps(dossier)] == ["opened", "abandoned", "reopened"]


def test_a_verdict_on_photos_or_details_changed_meanwhile_is_refused__ACT_7(db, lan, delivered_order):
    """The check runs outside the transaction: what changed while it ran is not given the verdict."""
    dossier = lifecycle.open_dossier(delivered_order(lan), lan)
    for kind, name in zip(PhotoKind, ("front", "back", "portrait"), strict=True):
        lifecycle.add_photo(dossier, lan, kind, photo(name))
    db.session.commit()
    for change in (lambda: lifecycle.add_photo(dossier, lan, PhotoKind.PORTRAIT, photo("someone_else")),
                   lambda: lifecycle.update_details(dossier, lan, clean_details(lan_form(full_name="Nguyễn Thị Lan"),
                                                                                SimType.PHYSICAL))):
        prepared = lifecycle.prepare_verification(dossier)
        result, _ms = lifecycle.run_checks(prepared)
        change()
        db.session.commit()
        with pytest.raises(Conflict) as stale:
            lifecycle.record_verification(dossier, lan, prepared, result)
        assert stale.value.code == "stale_state"
        db.session.rollback()
    assert dossier.status == DossierStatus.DRAFT
