"""The pages (issue 12 §1, §3): the customer's call page and "Gọi video" (refused before eKYC passed, one call for
two tabs), the desk with the dossier panel, the app API, the nav badge."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.calls.models import Call, CallStatus
from portal.core.roles import Role
from portal.dossiers import lifecycle as dossiers
from tests.conftest import page_csrf, writing_now

JSON = {"Accept": "application/json"}


def _page(dossier) -> str:
    return f"/chonso/hoa-mang/{dossier.ticket.hold_code}/goi-video"


def test_the_customer_calls_and_two_tabs_make_one_call__E_1_5(client, db, lan, ready_dossier, login_customer):
    login_customer(lan)
    dossier = ready_dossier()
    page = client.get(_page(dossier))
    assert page.status_code == 200 and "Gọi video" in page.get_data(as_text=True)
    token = page_csrf(client, _page(dossier))
    first = client.post(_page(dossier), data={"csrf_token": token}, headers=JSON)
    second = client.post(_page(dossier), data={"csrf_token": token}, headers=JSON)
    assert first.status_code == 200 and first.get_json()["status"] == "queued"
    assert first.get_json()["position"] == 1 and first.get_json()["eta_seconds"] > 0
    assert second.get_json()["call_id"] == first.get_json()["call_id"]
    assert db.session.scalar(select(func.count(Call.id))) == 1
    waiting = client.get(_page(dossier)).get_data(as_text=True)
    assert 'id="call-position">1<' in waiting and "Gác máy" in waiting

    hung_up = client.post(_page(dossier) + "/huy", data={"csrf_token": token}, headers=JSON)
    assert hung_up.get_json()["status"] == "cancelled"


def test_calling_before_ekyc_passed_is_refused__E_1_5(client, db, lan, delivered_order, login_customer):
    login_customer(lan)
    with writing_now(db):
        dossier = dossiers.open_dossier(delivered_order(lan), lan)
        db.session.commit()
    token = page_csrf(client, _page(dossier))
    refused = client.post(_page(dossier), data={"csrf_token": token}, headers=JSON)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "not_ready_for_call"
    assert db.session.scalar(select(func.count(Call.id))) == 0


def test_another_customers_call_page_is_not_found(client, db, lan, ready_dossier, login_customer, make_customer):
    dossier = ready_dossier()
    login_customer(make_customer())
    assert client.get(_page(dossier)).status_code == 404


def test_the_desk_shows_the_ring_the_badge_and_the_dossier_panel(app, client, db, lan, ready_dossier, login,
                                                                  available_agent):
    from portal.calls import lifecycle, queries

    agent = available_agent()
    login(staff=agent)
    dossier = ready_dossier()
    with writing_now(db):
        call = lifecycle.request_call(dossier, lan)
        db.session.commit()
    desk = client.get("/desk").get_data(as_text=True)
    assert "Có cuộc gọi đến" in desk and dossier.full_name in desk
    assert 'data-nav-count="desk.index"' in desk
    offer = queries.pending_offer(agent.id)
    with writing_now(db):
        lifecycle.accept_offer(offer.id, agent)
        db.session.commit()
    desk = client.get("/desk").get_data(as_text=True)
    assert "Kết quả xác minh" in desk and dossier.id_number in desk and "Câu hỏi xác minh" in desk
    assert client.get(f"/desk/calls/{call.id}/panel").status_code == 200
    assert client.get("/desk/turn").get_json() == {"iceServers": []}


def test_verdict_fail_with_a_reason_then_wrap_up_over_http__ACT_8(client, db, lan, ready_dossier, login,
                                                                   available_agent):
    from portal.calls import lifecycle, queries

    agent = available_agent()
    login(staff=agent)
    dossier = ready_dossier()
    with writing_now(db):
        call = lifecycle.request_call(dossier, lan)
        lifecycle.accept_offer(queries.pending_offer(agent.id).id, agent)
        db.session.commit()
    token = page_csrf(client, "/desk")
    no_reason = client.post(f"/desk/calls/{call.id}/verdict", data={"csrf_token": token, "passed": "0"},
                            headers=JSON)
    assert no_reason.status_code == 422 and no_reason.get_json()["error"]["code"] == "reason_required"
    failed = client.post(f"/desk/calls/{call.id}/verdict", headers=JSON,
                         data={"csrf_token": token, "passed": "0", "reason": "face_mismatch"})
    assert failed.get_json() == {"ok": True, "status": "ended", "outcome": "failed"}
    db.session.refresh(dossier)
    assert dossier.may_call and dossier.last_reason == "Khuôn mặt không khớp ảnh giấy tờ"
    assert "Ghi chú sau cuộc gọi" in client.get("/desk").get_data(as_text=True)
    wrapped = client.post(f"/desk/calls/{call.id}/wrap-up", headers=JSON,
                          data={"csrf_token": token, "outcome": "verified", "note": "ok"})
    assert wrapped.status_code == 200 and wrapped.get_json()["figures"]["calls"] == 1
    db.session.refresh(call)
    assert call.status == CallStatus.ENDED and call.wrap_up_done_at is not None


def test_the_app_asks_for_a_call_reads_and_hangs_up(client, db, lan, ready_dossier):
    from portal.appapi.tokens import issue_token

    dossier = ready_dossier()
    with writing_now(db):
        _row, token = issue_token(lan, "test")
        db.session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    made = client.post(f"/api/app/v1/dossiers/{dossier.ticket.hold_code}/calls", headers=auth)
    assert made.status_code == 201 and made.get_json()["status"] == "queued"
    call_id = made.get_json()["call_id"]
    assert client.get(f"/api/app/v1/calls/{call_id}", headers=auth).get_json()["position"] == 1
    assert client.delete(f"/api/app/v1/calls/{call_id}", headers=auth).get_json()["status"] == "cancelled"


def test_supervisors_read_the_desk_and_only_agents_act(client, db, login):
    login(Role.SUPERVISOR, region=1)
    assert "chế độ chỉ đọc" in client.get("/desk").get_data(as_text=True)
    token = page_csrf(client, "/desk")
    assert client.post("/desk/presence", data={"csrf_token": token, "status": "available"}).status_code == 403
