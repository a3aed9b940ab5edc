"""The sockets (issue 12 §1, §3, §4 and "Bad input"): the ring reaches the chosen agent's socket, accept over the
socket, signalling relayed between the two parties only; malformed, oversized or strangers' messages dropped and
logged while the call goes on; a reconnecting agent is offered the pending call again; a customer's dropped call
resumes within the window; customers' sockets never reach staff rooms."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import update

from portal.calls import jobs, lifecycle, queries
from portal.calls.models import Call, CallStatus
from portal.core.roles import Role
from portal.core.time import utcnow
from tests.conftest import writing_now

from .conftest import call_socket, desk_socket, fresh, received

DESK, CALL = "/desk", "/call"
SDP = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}


def _agent_on_desk(app, db, available_agent, login, region: int = 1):
    agent = available_agent(region)
    agent_client = app.test_client()
    login(staff=agent, on=agent_client)
    sock = desk_socket(app, agent_client)
    assert sock.is_connected(DESK)
    return agent, sock


def _customer_on_call(app, client, login_customer, lan):
    login_customer(lan)
    sock = call_socket(app, client)
    assert sock.is_connected(CALL)
    return sock


def _request(db, dossier, lan) -> Call:
    with writing_now(db):
        call = lifecycle.request_call(dossier, lan)
        db.session.commit()
    return call


def _connected(app, client, db, lan, ready_dossier, available_agent, login, login_customer):
    """A call rung, accepted over the desk socket; both sockets in the call's room."""
    agent, desk = _agent_on_desk(app, db, available_agent, login)
    customer = _customer_on_call(app, client, login_customer, lan)
    call = _request(db, ready_dossier(), lan)
    ring = received(desk, DESK, "ring")
    assert ring and ring[0]["call_id"] == call.id and ring[0]["ring_seconds"] == 20
    assert ring[0]["customer_name"] == call.dossier.full_name and ring[0]["expires_at"].endswith("Z")
    ack = fresh(desk.emit, "accept", {"offer_id": ring[0]["offer_id"]}, namespace=DESK, callback=True)
    assert ack == {"ok": True, "call_id": call.id, "room": f"call:{call.id}"}
    accepted = received(customer, CALL, "accepted")
    assert accepted == [{"call_id": call.id, "agent_name": agent.full_name.split()[-1]}]
    return agent, desk, customer, call


def test_ring_accept_and_signalling_between_the_two_parties(app, client, db, lan, ready_dossier, available_agent,
                                                            login, login_customer):
    _agent, desk, customer, call = _connected(app, client, db, lan, ready_dossier, available_agent, login,
                                              login_customer)
    assert fresh(desk.emit, "signal", {"call_id": call.id, "kind": "offer", "data": SDP}, namespace=DESK,
                 callback=True) == {"ok": True}
    assert received(customer, CALL, "signal") == [{"call_id": call.id, "kind": "offer", "data": SDP}]
    answer = {"call_id": call.id, "kind": "answer", "data": {"type": "answer", "sdp": "v=0\r\n"}}
    assert fresh(customer.emit, "signal", answer, namespace=CALL, callback=True) == {"ok": True}
    assert received(desk, DESK, "signal") == [answer]
    candidate = {"call_id": call.id, "kind": "candidate", "data": {"candidate": "candidate:1 1 udp 1 1.2.3.4 5 typ "
                                                                                 "host", "sdpMid": "0"}}
    assert fresh(customer.emit, "signal", candidate, namespace=CALL, callback=True) == {"ok": True}
    assert received(desk, DESK, "signal") == [candidate]


def test_malformed_and_oversized_signals_are_dropped_logged_and_the_call_survives(
        app, client, db, lan, ready_dossier, available_agent, login, login_customer, caplog):
    _agent, desk, customer, call = _connected(app, client, db, lan, ready_dossier, available_agent, login,
                                              login_customer)
    bad = [
        "not a dict", ["a", "list"], {"call_id": str(call.id), "kind": "offer", "data": SDP},
        {"call_id": call.id, "kind": "exploit", "data": {}}, {"call_id": call.id, "kind": "offer", "data": "sdp"},
        {"call_id": call.id, "kind": "offer", "data": {"sdp": "x" * 40_000}},
        {"call_id": call.id, "kind": "candidate", "data": {"candidate": "c" * 3000}},
        {"call_id": call.id, "kind": "bye", "data": {"junk": "y" * 70_000}},
        {"call_id": call.id, "kind": "bye", "data": {}, "extra": 1}, {"call_id": True, "kind": "bye", "data": {}},
    ]
    with caplog.at_level(logging.WARNING, logger="portal.calls.sockets"):
        for message in bad:
            assert fresh(desk.emit, "signal", message, namespace=DESK, callback=True)["code"] == "invalid_signal"
            assert fresh(customer.emit, "signal", message, namespace=CALL, callback=True)["code"] == "invalid_signal"
    assert received(customer, CALL, "signal", wait=0.3) == [] and received(desk, DESK, "signal", wait=0.3) == []
    lines = [r.getMessage() for r in caplog.records if "signal dropped" in r.getMessage()]
    assert len(lines) == 2 * len(bad) and not any("xxxx" in line or "sdp" in line for line in lines)
    assert desk.is_connected(DESK) and customer.is_connected(CALL)
    db.session.refresh(call)
    assert call.status == CallStatus.CONNECTED
    bye = {"call_id": call.id, "kind": "bye", "data": {}}
    assert fresh(desk.emit, "signal", bye, namespace=DESK, callback=True) == {"ok": True}  # still relaying


def test_strangers_cannot_signal_into_or_hear_a_call(app, client, db, lan, ready_dossier, available_agent, login,
                                                     login_customer, make_customer):
    _agent, desk, customer, call = _connected(app, client, db, lan, ready_dossier, available_agent, login,
                                              login_customer)
    _other_agent, other_desk = _agent_on_desk(app, db, available_agent, login)
    _foreign_agent, foreign_desk = _agent_on_desk(app, db, available_agent, login, region=2)
    message = {"call_id": call.id, "kind": "offer", "data": SDP}
    for stranger in (other_desk, foreign_desk):
        assert fresh(stranger.emit, "signal", message, namespace=DESK, callback=True)["code"] == "invalid_signal"
    intruder_client = app.test_client()
    login_customer(make_customer(), on=intruder_client)
    intruder = call_socket(app, intruder_client)
    assert intruder.is_connected(CALL)
    assert fresh(intruder.emit, "signal", message, namespace=CALL, callback=True)["code"] == "invalid_signal"
    assert received(customer, CALL, "signal", wait=0.3) == [] and received(desk, DESK, "signal", wait=0.3) == []
    # The call's own messages never reach a stranger's socket.
    fresh(desk.emit, "signal", message, namespace=DESK, callback=True)
    assert received(intruder, CALL, "signal", wait=0.3) == []
    assert received(other_desk, DESK, "signal", wait=0.1) == [] and received(foreign_desk, DESK, "ring", 0.1) == []


def test_only_customers_reach_the_call_namespace_and_only_agents_the_desk(app, client, db, login, login_customer):
    assert not call_socket(app, client).is_connected(CALL)  # anonymous
    assert not desk_socket(app, client).is_connected(DESK)
    staff_client = app.test_client()
    login(Role.AGENT, region=1, on=staff_client)
    assert not call_socket(app, staff_client).is_connected(CALL)  # a staff session is not a customer
    clerk_client = app.test_client()
    login(Role.CLERK, region=1, on=clerk_client)
    assert not desk_socket(app, clerk_client).is_connected(DESK)
    login_customer()
    assert not desk_socket(app, client).is_connected(DESK)
    assert not call_socket(app, client, headers={"Origin": "https://evil.example"}).is_connected(CALL)


def test_an_agent_whose_socket_dropped_is_offered_the_pending_call_again(app, client, db, lan, ready_dossier,
                                                                         available_agent, login):
    agent = available_agent()
    call = _request(db, ready_dossier(), lan)  # rings while the agent's desk is not connected at all
    agent_client = app.test_client()
    login(staff=agent, on=agent_client)
    desk = desk_socket(app, agent_client)
    ring = received(desk, DESK, "ring")
    assert [r["call_id"] for r in ring] == [call.id]
    fresh(desk.disconnect, namespace=DESK)
    again = desk_socket(app, agent_client)
    assert [r["offer_id"] for r in received(again, DESK, "ring")] == [ring[0]["offer_id"]]
    assert fresh(again.emit, "resync", {}, namespace=DESK, callback=True) == {"ok": True}
    assert received(again, DESK, "ring")[0]["offer_id"] == ring[0]["offer_id"]
    assert fresh(again.emit, "accept", {"offer_id": ring[0]["offer_id"]}, namespace=DESK, callback=True)["ok"]
    fresh(again.disconnect, namespace=DESK)
    third = desk_socket(app, agent_client)  # reconnecting in a call: back in the room, told the call's state
    assert received(third, DESK, "call_state") == [{"call_id": call.id, "status": "connected"}]


def test_accepting_a_taken_or_foreign_offer_over_the_socket(app, client, db, lan, ready_dossier, available_agent,
                                                            login, login_customer):
    _agent, desk, _customer, call = _connected(app, client, db, lan, ready_dossier, available_agent, login,
                                               login_customer)
    offer_id = queries.call_offers(call)[0].id
    assert fresh(desk.emit, "accept", {"offer_id": offer_id}, namespace=DESK, callback=True)["code"] == "call_taken"
    _late, late_desk = _agent_on_desk(app, db, available_agent, login)
    assert fresh(late_desk.emit, "accept", {"offer_id": offer_id}, namespace=DESK,
                 callback=True)["code"] == "offer_not_found"
    assert fresh(late_desk.emit, "accept", {"offer_id": "1; DROP"}, namespace=DESK,
                 callback=True)["code"] == "bad_request"
    db.session.refresh(call)
    assert call.status == CallStatus.CONNECTED and call.agent_id == _agent.id


def test_presence_over_the_socket_needs_the_devices_checked(app, db, login, make_staff):
    agent = make_staff(Role.AGENT, 1)
    agent_client = app.test_client()
    login(staff=agent, on=agent_client)
    desk = desk_socket(app, agent_client)
    assert received(desk, DESK, "presence") == [{"status": "offline"}]
    refused = fresh(desk.emit, "presence", {"status": "available"}, namespace=DESK, callback=True)
    assert refused["ok"] is False and refused["code"] == "devices_unchecked"
    ok = fresh(desk.emit, "presence", {"status": "available", "devices_ok": True}, namespace=DESK, callback=True)
    assert ok == {"ok": True, "status": "available"}
    assert queries.presence_of(agent.id).is_available
    assert fresh(desk.emit, "presence", {"status": "dancing"}, namespace=DESK, callback=True)["ok"] is False


def test_a_dropped_call_resumes_within_the_window_else_it_is_abandoned(app, client, db, lan, ready_dossier,
                                                                        available_agent, login, login_customer):
    agent, desk, customer, call = _connected(app, client, db, lan, ready_dossier, available_agent, login,
                                             login_customer)
    fresh(customer.disconnect, namespace=CALL)
    db.session.refresh(call)
    assert call.status == CallStatus.DROPPED and call.resumable_until > utcnow() + timedelta(seconds=100)
    assert {"call_id": call.id, "status": "dropped"} in received(desk, DESK, "call_state")
    back = call_socket(app, client)
    db.session.refresh(call)
    assert call.status == CallStatus.CONNECTED
    assert received(back, CALL, "accepted")[0]["call_id"] == call.id

    fresh(back.disconnect, namespace=CALL)
    db.session.execute(update(Call).where(Call.id == call.id).values(resumable_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert jobs.sweep_calls()["abandoned"] == 1
    db.session.refresh(call)
    assert call.status == CallStatus.ABANDONED and queries.wrap_up_call(agent.id).id == call.id
    assert call.dossier.may_call  # the customer may call again


def test_a_reload_whose_socket_comes_while_the_call_is_dropped_resumes_it__E_1_5_ACT_8(
        app, client, db, lan, ready_dossier, available_agent, login, login_customer, monkeypatch):
    """The race a reload under load makes: the new page's socket connects, and reads the call still connected,
    while the old socket's disconnect is dropping it. The drop then finds a socket of the customer's and undoes
    itself (before, the call stayed dropped with the customer online and nobody resuming it)."""
    from portal.calls import notify
    from portal.core import redis as portal_redis

    _agent, desk, customer, call = _connected(app, client, db, lan, ready_dossier, available_agent, login,
                                              login_customer)
    key = notify.customer_sockets_key(lan.id)
    drop = lifecycle.drop

    def drop_as_the_new_socket_arrives(dropped, actor):
        drop(dropped, actor)
        portal_redis.connection().hset(key, "the-new-page", CALL)  # its resync ran before this drop committed

    monkeypatch.setattr(lifecycle, "drop", drop_as_the_new_socket_arrives)
    fresh(customer.disconnect, namespace=CALL)
    db.session.refresh(call)
    assert call.status == CallStatus.CONNECTED and call.resumable_until is None
    states = [m["status"] for m in received(desk, DESK, "call_state") if m["call_id"] == call.id]
    assert states[-2:] == ["dropped", "connected"]  # the desk redials
    portal_redis.connection().hdel(key, "the-new-page")


def test_the_customer_hears_the_verdict_and_may_call_again__ACT_8(app, client, db, lan, ready_dossier,
                                                                  available_agent, login, login_customer):
    agent, desk, customer, call = _connected(app, client, db, lan, ready_dossier, available_agent, login,
                                             login_customer)
    with writing_now(db):
        lifecycle.finish(call, agent, False, "document_unclear")
        db.session.commit()
    ended = received(customer, CALL, "ended")
    assert ended == [{"call_id": call.id, "passed": False, "reason": "Giấy tờ không rõ hoặc không phải bản gốc"}]
    assert received(desk, DESK, "call_state")[-1] == {"call_id": call.id, "status": "ended"}
    again = _request(db, call.dossier, lan)
    assert again.id != call.id and again.status == CallStatus.QUEUED  # the agent wraps up first


def test_the_app_connects_with_its_token_and_hangs_up(app, client, db, lan, ready_dossier):
    from portal.appapi.tokens import issue_token

    with writing_now(db):
        _row, token = issue_token(lan, "test")
        db.session.commit()
    assert not call_socket(app, client, auth={"token": "csa_wrong"}).is_connected(CALL)
    call = _request(db, ready_dossier(), lan)
    sock = call_socket(app, client, auth={"token": token})
    assert sock.is_connected(CALL)
    queue = received(sock, CALL, "queue")
    assert queue and queue[0]["call_id"] == call.id and queue[0]["position"] == 1
    assert fresh(sock.emit, "hangup", {}, namespace=CALL, callback=True) == {"ok": True}
    db.session.refresh(call)
    assert call.status == CallStatus.CANCELLED
    fresh(sock.disconnect, namespace=CALL)
    from portal.calls.notify import customer_sockets_key
    from portal.core import redis as portal_redis

    assert portal_redis.connection().hlen(customer_sockets_key(lan.id)) == 0  # the app's socket is forgotten too


def test_waiting_customers_hear_their_place_move_and_desks_the_count(app, client, db, lan, ready_dossier, login,
                                                                     login_customer, make_customer, make_staff):
    first_dossier = ready_dossier()
    first = _request(db, first_dossier, lan)
    second_customer = make_customer()
    second = _request(db, ready_dossier(second_customer), second_customer)
    agent = make_staff(Role.AGENT, 1)  # on the desk but paused: hears the count, is not rung
    agent_client = app.test_client()
    login(staff=agent, on=agent_client)
    desk = desk_socket(app, agent_client)
    second_client = app.test_client()
    login_customer(second_customer, on=second_client)
    waiting = call_socket(app, second_client)
    assert received(waiting, CALL, "queue")[-1]["position"] == 2
    with writing_now(db):
        lifecycle.cancel_call(db.session.get(Call, first.id), lan)
        db.session.commit()
    moved = received(waiting, CALL, "queue")
    assert moved[-1] == {"call_id": second.id, "status": "queued", "position": 1, "eta_seconds": moved[-1][
        "eta_seconds"]}
    assert received(desk, DESK, "waiting")[-1] == {"region_id": 1, "count": 1}


def test_the_waiting_count_is_coalesced_and_its_last_value_always_arrives(app, db, lan, ready_dossier, login,
                                                                          make_customer, make_staff, monkeypatch):
    """A burst of queue changes: the desks hear at most one count per interval, and the final one, late."""
    import time

    from portal.calls import notify

    monkeypatch.setattr(notify, "WAITING", notify.WaitingCounts())
    app.config["CALL_WAITING_EVERY_MS"] = 1000
    agent = make_staff(Role.AGENT, 1)  # on the desk but paused: hears the count, is not rung
    agent_client = app.test_client()
    login(staff=agent, on=agent_client)
    desk = desk_socket(app, agent_client)
    desk.get_received(DESK)
    calls = [_request(db, ready_dossier(c), c) for c in (lan, make_customer(), make_customer())]  # 1, 2, 3
    with writing_now(db):
        lifecycle.cancel_call(db.session.get(Call, calls[0].id), lan)  # 2
        db.session.commit()
    time.sleep(1.3)
    counts = [m["args"][0]["count"] for m in desk.get_received(DESK) if m["name"] == "waiting"]
    assert counts == [1, 2]  # the first at once, then the latest of the burst when the interval is over


def test_waiting_counts_hold_to_one_message_per_interval_per_region():
    import time

    from portal.calls import notify

    sent: list[tuple[float, int, int]] = []
    counts = notify.WaitingCounts()
    counts._emit = lambda region, count: sent.append((time.monotonic(), region, count))  # type: ignore[method-assign]
    for n in range(1, 21):
        counts.changed(1, n, 0.05)
        counts.changed(2, 100 + n, 0.05)
        time.sleep(0.01)
    time.sleep(0.2)
    for region, last in ((1, 20), (2, 120)):
        mine = [(at, count) for at, r, count in sent if r == region]
        assert mine[-1][1] == last
        assert all(b[0] - a[0] >= 0.045 for a, b in zip(mine, mine[1:], strict=False))
        assert len(mine) <= 6


def test_an_agent_who_closed_every_desk_tab_goes_offline_after_the_grace(app, db, available_agent, login):
    from portal.calls.sockets import DESK_GONE
    from portal.core import redis as portal_redis

    agent, desk = _agent_on_desk(app, db, available_agent, login)
    fresh(desk.disconnect, namespace=DESK)
    connection = portal_redis.connection()
    assert connection.hget(DESK_GONE, str(agent.id)) is not None
    assert jobs.sweep_calls()["offline"] == 0  # within the grace: a reconnect keeps the presence
    connection.hset(DESK_GONE, str(agent.id), "0")
    assert jobs.sweep_calls()["offline"] == 1
    db.session.expire_all()
    assert not queries.presence_of(agent.id).is_available
    agent_client = app.test_client()
    login(staff=agent, on=agent_client)
    desk_socket(app, agent_client)
    assert connection.hget(DESK_GONE, str(agent.id)) is None
