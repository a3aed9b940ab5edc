"""What a call keeps (issue 12 §4, "Bad input"): snapshots checked by content, re-encoded, encrypted, served only
to staff of the dossier's region through an audited no-store route; recording chunks checked (WebM by its EBML
header), stored encrypted, only when the region records; TURN REST credentials."""
from __future__ import annotations

import base64
import hashlib
import hmac
import io

from PIL import Image
from sqlalchemy import select

from portal.calls import lifecycle, queries
from portal.calls.models import CallRecordingChunk, CallSnapshot, RegionCallSettings
from portal.calls.turn import turn_credentials
from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.media.storage import storage
from tests.conftest import page_csrf, writing_now

JSON = {"Accept": "application/json"}
WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 200


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


def _in_call(db, lan, ready_dossier, available_agent, recording: bool = False):
    if recording:
        db.session.add(RegionCallSettings(region_id=1, recording=True))
        db.session.commit()
    agent = available_agent()
    with writing_now(db):
        call = lifecycle.request_call(ready_dossier(), lan)
        lifecycle.accept_offer(queries.pending_offer(agent.id).id, agent)
        db.session.commit()
    return agent, call


def _post(client, url: str, files: dict, **form):
    token = page_csrf(client, "/desk")
    return client.post(url, data={"csrf_token": token, **form, **files}, headers=JSON,
                       content_type="multipart/form-data")


def test_a_snapshot_is_cleaned_stored_encrypted_and_served_only_to_the_region(app, client, db, lan, ready_dossier,
                                                                              available_agent, login, media_root):
    agent, call = _in_call(db, lan, ready_dossier, available_agent)
    login(staff=agent)
    url = f"/desk/calls/{call.id}/snapshot"
    fake = _post(client, url, {"image": (io.BytesIO(b"<?php echo 1; ?>" * 20), "anh.jpg")})
    assert fake.status_code == 422 and fake.get_json()["error"]["code"] == "image_type"
    saved = _post(client, url, {"image": (io.BytesIO(_png()), "snap.png")})
    assert saved.status_code == 200
    shot = db.session.get(CallSnapshot, saved.get_json()["id"])
    assert shot.dossier_id == call.dossier_id and shot.agent_id == agent.id
    assert storage().get(shot.storage_name).startswith(b"\xff\xd8")  # re-encoded as JPEG
    raw = next(p for p in media_root.rglob("*") if p.is_file() and "call_snapshot" in str(p))
    assert not raw.read_bytes().startswith(b"\xff\xd8")  # encrypted at rest

    image = client.get(saved.get_json()["url"])
    assert image.status_code == 200 and image.headers["Cache-Control"] == "no-store"
    assert image.data.startswith(b"\xff\xd8")
    viewed = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "dossier.snapshot_view"))
    assert viewed.actor_id == agent.id and viewed.detail["snapshot_id"] == shot.id
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "call.snapshot")).actor_id == agent.id

    foreign = app.test_client()
    login(Role.AGENT, region=2, on=foreign)
    assert foreign.get(saved.get_json()["url"]).status_code == 404
    denied = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "access.denied_region"))
    assert denied is not None


def test_recording_chunks_are_checked_and_kept_only_where_recording_is_on(client, db, lan, ready_dossier,
                                                                          available_agent, login, media_root):
    agent, call = _in_call(db, lan, ready_dossier, available_agent)
    login(staff=agent)
    url = f"/desk/calls/{call.id}/recording"
    off = _post(client, url, {"chunk": (io.BytesIO(WEBM), "c.webm")}, seq="0")
    assert off.status_code == 409 and off.get_json()["error"]["code"] == "recording_off"


def test_recording_chunk_content_is_checked(client, db, lan, ready_dossier, available_agent, login, media_root):
    agent, call = _in_call(db, lan, ready_dossier, available_agent, recording=True)
    assert call.recording
    login(staff=agent)
    url = f"/desk/calls/{call.id}/recording"
    not_webm = _post(client, url, {"chunk": (io.BytesIO(b"MZ\x90\x00" + b"\x00" * 100), "c.webm")}, seq="0")
    assert not_webm.status_code == 422 and not_webm.get_json()["error"]["code"] == "not_webm"
    early = _post(client, url, {"chunk": (io.BytesIO(b"\x00" * 100), "c.webm")}, seq="1")
    assert early.status_code == 422
    assert _post(client, url, {"chunk": (io.BytesIO(WEBM), "c.webm")}, seq="0").get_json() == {"ok": True}
    assert _post(client, url, {"chunk": (io.BytesIO(b"\x43\xb6" * 50), "c.webm")}, seq="1").get_json() == {"ok": True}
    again = _post(client, url, {"chunk": (io.BytesIO(WEBM), "c.webm")}, seq="0")
    assert again.status_code == 409
    empty = _post(client, url, {"chunk": (io.BytesIO(b""), "c.webm")}, seq="2")
    assert empty.status_code == 422
    chunks = db.session.scalars(select(CallRecordingChunk).order_by(CallRecordingChunk.seq)).all()
    assert [(c.seq, c.size) for c in chunks] == [(0, len(WEBM)), (1, 100)]
    assert storage().get(chunks[0].storage_name) == WEBM
    video = client.get(f"/desk/calls/{call.id}/recording.webm")
    assert video.status_code == 200 and video.data == WEBM + b"\x43\xb6" * 50
    assert video.headers["Cache-Control"] == "no-store" and video.mimetype == "video/webm"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "dossier.recording_view")) is not None

    # Retention: once the dossiers' job deleted the ID photos, the call's media go too.
    from portal.calls import jobs
    from portal.core.time import utcnow

    call.dossier.media_purged_at = utcnow()
    db.session.commit()
    assert jobs.purge_call_media() == 2
    assert all(c.deleted_at is not None for c in chunks) and not storage().exists(chunks[0].storage_name)
    assert client.get(f"/desk/calls/{call.id}/recording.webm").status_code == 404
    assert jobs.purge_call_media() == 0


def test_another_agents_upload_to_a_call_is_not_found(app, client, db, lan, ready_dossier, available_agent, login,
                                                      media_root):
    _agent, call = _in_call(db, lan, ready_dossier, available_agent)
    login(Role.AGENT, region=1)
    response = _post(client, f"/desk/calls/{call.id}/snapshot", {"image": (io.BytesIO(_png()), "s.png")})
    assert response.status_code == 404


def test_turn_rest_credentials_as_coturn_checks_them(app, client, db, login):
    username, credential = turn_credentials("s3cret", "staff-7", 3600, now=1_700_000_000)
    assert username == "1700003600:staff-7"
    expected = base64.b64encode(hmac.new(b"s3cret", username.encode(), hashlib.sha1).digest()).decode()
    assert credential == expected
    agent = login(Role.AGENT, region=1)
    saved = dict(app.config)
    app.config.update(TURN_SECRET="s3cret",
                      TURN_URLS="turn:turn.example.vn:3478?transport=udp,turns:turn.example.vn:5349",
                      CALL_ICE_SERVERS='[{"urls": "stun:stun.example.vn:3478"}]')
    try:
        servers = client.get("/desk/turn").get_json()["iceServers"]
    finally:
        app.config.update({k: saved[k] for k in ("TURN_SECRET", "TURN_URLS", "CALL_ICE_SERVERS")})
    assert servers[0] == {"urls": "stun:stun.example.vn:3478"}
    assert servers[1]["urls"] == ["turn:turn.example.vn:3478?transport=udp", "turns:turn.example.vn:5349"]
    assert servers[1]["username"].endswith(f":staff-{agent.id}")


def test_an_overflowed_calls_agent_sees_the_id_photos_through_the_call_others_do_not(
        app, client, db, lan, ready_dossier, available_agent, login, media_root):
    from portal.dossiers import lifecycle as dossiers
    from portal.dossiers.models import PhotoKind
    from tests.dossiers.conftest import photo

    db.session.add(RegionCallSettings(region_id=1, backup_region_id=2, overflow_after_seconds=0))
    db.session.commit()
    dossier = ready_dossier()
    with writing_now(db):
        front = dossiers.add_photo(dossier, lan, PhotoKind.ID_FRONT, photo("front"))
        db.session.commit()  # (the photo sends the dossier back to a draft: eKYC again; the call is asked before)
    backup_agent = available_agent(region=2)
    with writing_now(db):
        from portal.core.states import transition
        from portal.dossiers.models import DOSSIER_TRANSITIONS, DossierStatus

        transition(dossier, DossierStatus.READY_FOR_CALL, None, DOSSIER_TRANSITIONS, "eKYC (kiểm thử)")
        call = lifecycle.request_call(dossier, lan)
        lifecycle.accept_offer(queries.pending_offer(backup_agent.id).id, backup_agent)
        db.session.commit()
    assert call.region_id == 2
    login(staff=backup_agent)
    desk = client.get("/desk").get_data(as_text=True)
    url = f"/desk/calls/{call.id}/photos/{front.id}"
    assert url in desk
    image = client.get(url)
    assert image.status_code == 200 and image.headers["Cache-Control"] == "no-store"
    seen = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "dossier.photo_view"))
    assert seen.actor_id == backup_agent.id and seen.detail["call_id"] == call.id
    stranger = app.test_client()
    login(Role.AGENT, region=2, on=stranger)
    assert stranger.get(url).status_code == 404  # another agent of the backup region: not their call
