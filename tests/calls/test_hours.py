"""Business hours per region with holidays, the callback booking while closed, and the overflow to a backup region
after its delay (issue 12 §1, §2); the admins' pages that set them."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from portal.calls import hours, jobs, lifecycle, queries
from portal.calls.models import BusinessHours, Call, CallbackBooking, CallStatus, Holiday, RegionCallSettings
from portal.core.errors import Conflict
from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.core.time import vietnam_to_utc, vietnam_today
from tests.conftest import page_csrf, writing_now


def _week(db, region: int, opens=time(8), closes=time(17)) -> None:
    with writing_now(db):
        for day in range(5):  # Monday..Friday
            db.session.add(BusinessHours(region_id=region, weekday=day, opens=opens, closes=closes))
        db.session.commit()


MONDAY_NOON = vietnam_to_utc(datetime(2026, 12, 7, 12, 0))  # a Monday, Vietnam time


def test_open_by_weekday_and_time_closed_on_weekends_and_holidays(db):
    assert hours.is_open(1, MONDAY_NOON)  # no hours set: always open
    _week(db, 1)
    assert hours.is_open(1, MONDAY_NOON)
    assert not hours.is_open(1, vietnam_to_utc(datetime(2026, 12, 7, 7, 59)))
    assert not hours.is_open(1, vietnam_to_utc(datetime(2026, 12, 7, 17, 0)))
    assert not hours.is_open(1, vietnam_to_utc(datetime(2026, 12, 12, 10, 0)))  # Saturday
    db.session.add(Holiday(region_id=None, day=date(2026, 12, 7), label="Nghỉ bù"))
    db.session.commit()
    assert not hours.is_open(1, MONDAY_NOON) and hours.is_open(2, MONDAY_NOON)
    assert hours.hours_text(1).startswith("Thứ Hai 08:00–17:00; Thứ Ba 08:00–17:00")


def test_callback_slots_are_open_half_hours_of_the_next_days(db):
    _week(db, 1)
    friday_evening = vietnam_to_utc(datetime(2026, 12, 11, 18, 0))
    slots = hours.callback_slots(1, friday_evening)
    assert slots[0].local == datetime(2026, 12, 14, 8, 0)  # the weekend skipped: Monday 08:00
    assert all(time(8) <= s.local.time() < time(17) and s.local.weekday() < 5 for s in slots)
    assert slots[1].local - slots[0].local == timedelta(minutes=30)


def test_outside_hours_the_customer_is_told_the_hours_and_books_a_callback(client, db, lan, ready_dossier,
                                                                         login_customer, login):
    _week(db, 1)
    db.session.add(Holiday(region_id=1, day=vietnam_today(), label="Nghỉ"))  # closed today, whatever the hour
    db.session.commit()
    login_customer(lan)
    dossier = ready_dossier()
    url = f"/chonso/hoa-mang/{dossier.ticket.hold_code}"
    with writing_now(db), pytest.raises(Conflict) as closed:
        lifecycle.request_call(dossier, lan)
    db.session.rollback()
    assert closed.value.code == "outside_hours" and "Thứ Hai 08:00–17:00" in closed.value.message
    page = client.get(url + "/goi-video").get_data(as_text=True)
    assert "Ngoài giờ làm việc" in page and "Đặt lịch gọi lại" in page
    token = page_csrf(client, url + "/goi-video")
    refused = client.post(url + "/goi-video", data={"csrf_token": token}, headers={"Accept": "application/json"})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "outside_hours"
    slot = hours.callback_slots(1)[0]
    assert client.post(url + "/dat-lich", data={"csrf_token": token, "slot": "2020-01-01T03:00"}).status_code == 422
    booked = client.post(url + "/dat-lich", data={"csrf_token": token, "slot": slot.value})
    assert booked.status_code == 302
    row = db.session.scalar(select(CallbackBooking))
    assert row.slot_start == slot.start and row.region_id == 1 and row.dossier_id == dossier.id
    assert "Bạn đã đặt lịch gọi lại" in client.get(url + "/goi-video").get_data(as_text=True)
    agent_client = client.application.test_client()
    login(Role.AGENT, region=1, on=agent_client)
    desk = agent_client.get("/desk").get_data(as_text=True)
    assert "Lịch hẹn gọi lại" in desk and dossier.ticket.hold_code in desk


def test_nobody_free_in_the_region_overflows_to_the_backup_after_the_delay(db, lan, ready_dossier,
                                                                           available_agent):
    db.session.add(RegionCallSettings(region_id=1, backup_region_id=2, overflow_after_seconds=60))
    db.session.commit()
    backup_agent = available_agent(region=2)
    with writing_now(db):
        call = lifecycle.request_call(ready_dossier(), lan)
        db.session.commit()
    assert call.status == CallStatus.QUEUED and call.region_id == 1  # not before the delay
    assert jobs.sweep_calls()["routed"] == 0
    db.session.execute(update(Call).where(Call.id == call.id).values(requested_at=call.requested_at -
                                                                     timedelta(seconds=61)))
    db.session.commit()
    assert jobs.sweep_calls()["routed"] == 1
    db.session.refresh(call)
    assert call.region_id == 2 and call.home_region_id == 1 and call.overflowed_at is not None
    assert queries.pending_offer(backup_agent.id).call_id == call.id
    moved = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "call.overflowed"))
    assert moved.detail == {"from_region": 1, "to_region": 2}


def test_a_backup_agent_becoming_available_takes_an_overdue_call(db, lan, ready_dossier, make_staff):
    db.session.add(RegionCallSettings(region_id=1, backup_region_id=2, overflow_after_seconds=0))
    db.session.commit()
    with writing_now(db):
        call = lifecycle.request_call(ready_dossier(), lan)
        db.session.commit()
    assert call.status == CallStatus.QUEUED  # nobody anywhere yet
    agent = make_staff(Role.AGENT, 2)
    with writing_now(db):
        lifecycle.set_presence(agent, lifecycle.PresenceStatus.AVAILABLE, devices_ok=True)
        db.session.commit()
    db.session.refresh(call)
    assert call.status == CallStatus.RINGING and call.region_id == 2


def test_a_call_waiting_too_long_expires_and_the_customer_is_told(app, db, lan, ready_dossier):
    with writing_now(db):
        call = lifecycle.request_call(ready_dossier(), lan)
        db.session.commit()
    db.session.execute(update(Call).where(Call.id == call.id).values(
        requested_at=call.requested_at - timedelta(seconds=app.config["CALL_MAX_WAIT_SECONDS"] + 1)))
    db.session.commit()
    assert jobs.sweep_calls()["expired"] == 1
    db.session.refresh(call)
    assert call.status == CallStatus.EXPIRED and call.outcome == "expired"


def test_admins_set_hours_holidays_and_overflow(app, client, db, login):
    login(Role.ADMIN, region=0)
    assert "Giờ làm việc" in client.get("/admin/calls/").get_data(as_text=True)
    token = page_csrf(client, "/admin/calls/")
    monday_only = {"csrf_token": token, **{f"version_{d}": 0 for d in range(7)},
                   **{f"closed_{d}": "y" for d in range(1, 7)}, "opens_0": "08:00", "closes_0": "20:00"}
    assert client.post("/admin/calls/hours/3", data=monday_only).status_code == 302
    assert client.post("/admin/calls/hours/3", data={**monday_only, "version_0": 1, "closed_1": "",
                                                     "opens_1": "20:00", "closes_1": "08:00"}).status_code == 422
    row = db.session.scalar(select(BusinessHours).where(BusinessHours.region_id == 3))
    assert (row.weekday, row.opens, row.closes) == (0, time(8), time(20))
    client.post("/admin/calls/hours/3", data={**monday_only, "version_0": 1, "closed_0": "y"})
    assert db.session.scalar(select(BusinessHours).where(BusinessHours.region_id == 3)) is None
    assert client.post("/admin/calls/holidays", data={"csrf_token": token, "region_id": 0, "day": "2027-01-01",
                                                      "label": "Tết Dương lịch"}).status_code == 302
    holiday = db.session.scalar(select(Holiday))
    assert holiday.region_id is None and holiday.day == date(2027, 1, 1)
    assert client.post("/admin/calls/settings/3", data={"csrf_token": token, "version": 0, "backup_region_id": 3,
                                                        "overflow_after_seconds": 90}).status_code == 422
    assert client.post("/admin/calls/settings/3", data={"csrf_token": token, "version": 0, "backup_region_id": 2,
                                                        "overflow_after_seconds": 90, "recording": "y"}
                       ).status_code == 302
    settings = db.session.get(RegionCallSettings, 3)
    assert (settings.backup_region_id, settings.overflow_after_seconds, settings.recording) == (2, 90, True)
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("call.%"))))
    assert {"call.hours.update", "call.hours.delete", "call.holiday.create", "call.settings.update"} <= actions
    supervisor = app.test_client()
    login(Role.SUPERVISOR, region=1, on=supervisor)
    assert supervisor.get("/admin/calls/").status_code == 403


def test_admins_routing_rules_send_a_province_or_a_channel_to_another_region(client, db, lan, ready_dossier,
                                                                            available_agent, login):
    login(Role.ADMIN, region=0)
    token = page_csrf(client, "/admin/calls/")
    assert client.post("/admin/calls/rules", data={"csrf_token": token, "province": "", "channel": "",
                                                   "region_id": 3, "priority": 10}).status_code == 422
    assert client.post("/admin/calls/rules", data={"csrf_token": token, "province": "Hà Nội", "channel": "",
                                                   "region_id": 3, "priority": 10}).status_code == 302
    assert "Hà Nội" in client.get("/admin/calls/").get_data(as_text=True)
    hanoi_desk = available_agent(region=1)
    da_nang_desk = available_agent(region=3)
    with writing_now(db):
        call = lifecycle.request_call(ready_dossier(), lan)  # LAN lives in Hà Nội (region 1)
        db.session.commit()
    assert call.region_id == 3 and call.home_region_id == 3
    assert queries.pending_offer(da_nang_desk.id).call_id == call.id and queries.pending_offer(hanoi_desk.id) is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "call.routing_rule.create")) is not None


def test_an_overflowed_call_is_still_taken_by_its_home_region_when_someone_frees_up(db, lan, ready_dossier,
                                                                                    make_staff):
    db.session.add(RegionCallSettings(region_id=1, backup_region_id=2, overflow_after_seconds=0))
    db.session.commit()
    with writing_now(db):
        call = lifecycle.request_call(ready_dossier(), lan)
        db.session.commit()
    assert call.region_id == 2 and call.status == CallStatus.QUEUED  # overflowed, nobody there either
    home_agent = make_staff(Role.AGENT, 1)
    with writing_now(db):
        lifecycle.set_presence(home_agent, lifecycle.PresenceStatus.AVAILABLE, devices_ok=True)
        db.session.commit()
    db.session.refresh(call)
    assert call.status == CallStatus.RINGING and queries.pending_offer(home_agent.id).call_id == call.id
