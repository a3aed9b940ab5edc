"""Admins' desk settings (/admin/calls) on the editing mechanism: routing rules, a region's overflow and recording,
its week of business hours, holidays. Every change audited with the values before and after; duplicates and
inconsistent values are field errors with nothing saved; two admins at once → the second is told (409), nothing
lost — also as a real race of threads on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
from datetime import time

import pytest
from sqlalchemy import select, update

from portal.calls import configuration as config
from portal.calls.models import BusinessHours, Holiday, RegionCallSettings, RoutingRule
from portal.core import editing
from portal.core.errors import Conflict
from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.core.sqlite import writing
from portal.extensions import db as _db
from tests.conftest import page_csrf


def _audits(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _post(client, path: str, **data):
    return client.post(path, data={"csrf_token": page_csrf(client, "/admin/calls/"), **data})


def _rules(db) -> list[RoutingRule]:
    db.session.expire_all()
    return list(db.session.scalars(select(RoutingRule).order_by(RoutingRule.id)))


def test_a_rule_is_added_edited_and_deleted_audited_before_and_after(client, db, login):
    admin = login(Role.ADMIN, region=0)
    assert _post(client, "/admin/calls/rules", province="Hà Nội", channel=" app ", region_id=3,
                 priority=10).status_code == 302
    [rule] = _rules(db)
    assert (rule.province, rule.channel, rule.region_id, rule.version) == ("Hà Nội", "app", 3, 1)
    [created] = _audits(db, "call.routing_rule.create")
    assert created.actor_id == admin.id and created.region_id == 3 and created.detail == {
        "before": None, "after": {"province": "Hà Nội", "channel": "app", "region_id": 3, "priority": 10}}
    page = client.get(f"/admin/calls/rules/{rule.id}").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in page
    assert _post(client, f"/admin/calls/rules/{rule.id}", version=1, province="Hà Nội", channel="app", region_id=2,
                 priority=5).status_code == 302
    [updated] = _audits(db, "call.routing_rule.update")
    assert updated.detail == {"before": {"region_id": 3, "priority": 10}, "after": {"region_id": 2, "priority": 5}}
    assert _post(client, f"/admin/calls/rules/{rule.id}/delete", version=2).status_code == 302
    assert _rules(db) == []
    [deleted] = _audits(db, "call.routing_rule.delete")
    assert deleted.detail["before"]["region_id"] == 2 and deleted.detail["after"] is None


def test_duplicate_and_inconsistent_rules_are_field_errors_and_nothing_is_saved(client, db, login):
    login(Role.ADMIN, region=0)
    _post(client, "/admin/calls/rules", province="Hà Nội", channel="", region_id=3, priority=10)
    other = _post(client, "/admin/calls/rules", province="", channel="web", region_id=2, priority=20)
    assert other.status_code == 302
    for data, message in (({"province": "Hà Nội", "channel": "", "region_id": 2, "priority": 1},
                           "Đã có quy tắc cho đúng tỉnh/thành và kênh này"),
                          ({"province": "", "channel": "", "region_id": 2, "priority": 1},
                           "Chọn tỉnh/thành hoặc nhập kênh bán"),
                          ({"province": "Hà Nội", "channel": "app", "region_id": 2, "priority": -1}, "")):
        response = _post(client, "/admin/calls/rules", **data)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    web = next(r for r in _rules(db) if r.channel == "web")
    response = _post(client, f"/admin/calls/rules/{web.id}", version=1, province="Hà Nội", channel="", region_id=2,
                     priority=20)  # editing into a twin of the Hà Nội rule
    assert response.status_code == 422 and "Đã có quy tắc" in response.get_data(as_text=True)
    assert [(r.province, r.channel) for r in _rules(db)] == [("Hà Nội", ""), ("", "web")]
    assert len(_audits(db, "call.routing_rule.create")) == 2 and _audits(db, "call.routing_rule.update") == []


def test_two_admins_editing_one_rule_the_second_is_told_with_the_latest_values(app, client, db, login):
    login(Role.ADMIN, region=0)
    other = app.test_client()
    login(Role.ADMIN, region=0, on=other)
    rule = config.add_rule({"province": "Hà Nội", "channel": "", "region_id": 3, "priority": 10})
    db.session.commit()
    first = other.post(f"/admin/calls/rules/{rule.id}", data={
        "csrf_token": page_csrf(other, "/admin/calls/"), "version": 1, "province": "Hà Nội", "channel": "",
        "region_id": 2, "priority": 10})
    assert first.status_code == 302
    second = _post(client, f"/admin/calls/rules/{rule.id}", version=1, province="Hà Nội", channel="", region_id=5,
                   priority=50)
    html = second.get_data(as_text=True)
    assert second.status_code == 409 and "Một người khác vừa sửa mục này trước bạn" in html
    assert '<option selected value="2">' in html  # the latest region, chosen in the form
    assert 'id="stale-sent"' in html and "50" in html.split('id="stale-sent"', 1)[1]  # what they had sent
    assert [(r.region_id, r.priority, r.version) for r in _rules(db)] == [(2, 10, 2)]
    stale_delete = _post(client, f"/admin/calls/rules/{rule.id}/delete", version=1)
    assert stale_delete.status_code == 409 and len(_rules(db)) == 1


def test_region_settings_are_created_on_first_save_and_a_second_first_save_is_stale(app, client, db, login):
    login(Role.ADMIN, region=0)
    other = app.test_client()
    login(Role.ADMIN, region=0, on=other)
    assert 'name="version" type="hidden" value="0"' in client.get("/admin/calls/settings/3").get_data(as_text=True)
    first = other.post("/admin/calls/settings/3", data={"csrf_token": page_csrf(other, "/admin/calls/"),
                                                        "version": 0, "backup_region_id": 2,
                                                        "overflow_after_seconds": 60})
    assert first.status_code == 302
    [saved] = _audits(db, "call.settings.update")
    assert saved.region_id == 3 and saved.detail == {
        "before": {"backup_region_id": None, "overflow_after_seconds": 120, "recording": False},
        "after": {"backup_region_id": 2, "overflow_after_seconds": 60, "recording": False}}
    second = _post(client, "/admin/calls/settings/3", version=0, backup_region_id=5, overflow_after_seconds=30,
                   recording="y")
    assert second.status_code == 409 and "Một người khác vừa sửa" in second.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.get(RegionCallSettings, 3)
    assert (row.backup_region_id, row.overflow_after_seconds, row.recording) == (2, 60, False)
    inconsistent = _post(client, "/admin/calls/settings/3", version=1, backup_region_id=3, overflow_after_seconds=30)
    assert inconsistent.status_code == 422  # its own region as backup: not even a choice
    assert db.session.get(RegionCallSettings, 3).overflow_after_seconds == 60


def test_a_week_with_a_day_closing_before_it_opens_saves_nothing(client, db, login):
    login(Role.ADMIN, region=0)
    page = client.get("/admin/calls/hours/2").get_data(as_text=True)
    assert "chưa đặt giờ làm việc" in page
    week = {**{f"version_{d}": 0 for d in range(7)}, **{f"opens_{d}": "08:00" for d in range(7)},
            **{f"closes_{d}": "17:30" for d in range(7)}, "closed_6": "y"}
    bad = _post(client, "/admin/calls/hours/2", **{**week, "opens_2": "18:00"})
    assert bad.status_code == 422 and "Giờ đóng phải sau giờ mở" in bad.get_data(as_text=True)
    assert db.session.scalar(select(BusinessHours).where(BusinessHours.region_id == 2)) is None
    assert _post(client, "/admin/calls/hours/2", **week).status_code == 302
    rows = {r.weekday: r for r in db.session.scalars(select(BusinessHours).where(BusinessHours.region_id == 2))}
    assert sorted(rows) == [0, 1, 2, 3, 4, 5] and rows[0].closes == time(17, 30)
    assert len(_audits(db, "call.hours.update")) == 6
    stale = _post(client, "/admin/calls/hours/2", **{**week, "opens_0": "07:00"})  # drawn when none was set
    assert stale.status_code == 409 and "Một người khác vừa sửa" in stale.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(BusinessHours, rows[0].id).opens == time(8)


def test_holidays_duplicates_are_refused_and_edits_are_versioned(client, db, login):
    login(Role.ADMIN, region=0)
    assert _post(client, "/admin/calls/holidays", region_id=0, day="2027-02-17", label="Tết").status_code == 302
    twin = _post(client, "/admin/calls/holidays", region_id=0, day="2027-02-17", label="Mùng 1")
    assert twin.status_code == 422 and "đã là ngày nghỉ" in twin.get_data(as_text=True)
    holiday = db.session.scalar(select(Holiday))
    assert _post(client, f"/admin/calls/holidays/{holiday.id}", version=1, region_id=1, day="2027-02-18",
                 label="Mùng 2 Tết").status_code == 302
    [updated] = _audits(db, "call.holiday.update")
    assert updated.detail == {"before": {"region_id": None, "day": "2027-02-17", "label": "Tết"},
                              "after": {"region_id": 1, "day": "2027-02-18", "label": "Mùng 2 Tết"}}
    assert _post(client, f"/admin/calls/holidays/{holiday.id}/delete", version=1).status_code == 409
    assert _post(client, f"/admin/calls/holidays/{holiday.id}/delete", version=2).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Holiday)) is None


@pytest.mark.usefixtures("committed_db")
def test_eight_admins_saving_one_rule_at_once_leave_one_change(app, db, on_postgres):
    """SQLite and PostgreSQL: every admin's form was drawn from version 1; one save wins, the others are refused
    (by the version check, or — when both read before either wrote — by the UPDATE's version condition)."""
    rule_id = config.add_rule({"province": "Hà Nội", "channel": "", "region_id": 3, "priority": 10}).id
    db.session.commit()
    regions = [1, 2, 4, 5, 6, 7, 8, 9]  # each a change from region 3
    start, outcomes = threading.Barrier(len(regions)), []

    def run(region_id: int) -> None:
        with app.app_context():
            try:
                if on_postgres:  # all read version 1, then all write: the race is at the UPDATE
                    row = _db.session.get(RoutingRule, rule_id)
                    start.wait()
                    with editing.committed():
                        config.update_rule(row, 1, {"province": "Hà Nội", "channel": "", "region_id": region_id,
                                                    "priority": 10})
                else:  # SQLite: one writer at a time, each reads what the one before committed
                    start.wait()
                    with writing(), editing.committed():
                        config.update_rule(_db.session.get(RoutingRule, rule_id), 1, {
                            "province": "Hà Nội", "channel": "", "region_id": region_id, "priority": 10})
                outcomes.append(region_id)
            except Conflict as exc:
                outcomes.append(exc.code)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(r,)) for r in regions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    winners = [o for o in outcomes if isinstance(o, int)]
    assert len(winners) == 1 and sorted(o for o in outcomes if not isinstance(o, int)) == ["stale_edit"] * 7
    db.session.rollback()
    saved = db.session.get(RoutingRule, rule_id)
    assert (saved.region_id, saved.version) == (winners[0], 2)
    assert len(_audits(db, "call.routing_rule.update")) == 1


@pytest.mark.usefixtures("committed_db")
def test_a_change_committed_between_the_read_and_the_write_is_refused_at_the_update(db):
    """The version check passed (the admin's object said version 1), but another admin committed in between: the
    UPDATE's ``WHERE version = 1`` matches no row and ``editing.committed`` answers stale_edit, nothing written."""
    rule_id = config.add_rule({"province": "Hà Nội", "channel": "", "region_id": 3, "priority": 10}).id
    db.session.commit()
    row = db.session.get(RoutingRule, rule_id)
    assert row.version == 1
    db.session.expunge(row)  # keeps what was read
    db.session.commit()
    with db.engine.begin() as conn:  # the other admin's save
        conn.execute(update(RoutingRule).where(RoutingRule.id == rule_id).values(region_id=5, version=2))
    with writing(), pytest.raises(Conflict) as caught, editing.committed():
        config.update_rule(db.session.merge(row, load=False), 1,
                           {"province": "Hà Nội", "channel": "", "region_id": 2, "priority": 10})
    assert caught.value.code == "stale_edit"
    db.session.expire_all()
    assert (db.session.get(RoutingRule, rule_id).region_id, db.session.get(RoutingRule, rule_id).version) == (5, 2)
    assert _audits(db, "call.routing_rule.update") == []
