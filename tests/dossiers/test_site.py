"""The customer's activation pages through the real routes (/chonso/hoa-mang…): ACT-3..7, ESIM-2..6, E-1.3, E-3.3.

Every bad input of issue 11 is sent the way a browser sends it and refused with a Vietnamese reason, with nothing
stored that should not be; another customer's dossier is 'not found'; the slips lead here."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.dossiers.models import Dossier, DossierMedia, DossierStatus
from portal.media.storage import storage
from tests.conftest import page_csrf
from tests.media.test_images import _exif_with_gps, _png_claiming

from .conftest import lan_form, photo, stored_names, upload

KINDS = (("mat-truoc", "front"), ("mat-sau", "back"), ("chan-dung", "portrait"))


def _post(client, path: str, **data):
    return client.post(path, data={"csrf_token": page_csrf(client, "/chonso/phieu-cua-toi"), **data})


def _open(client, code: str) -> None:
    response = _post(client, f"/chonso/hoa-mang/{code}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/hoa-mang/{code}/thong-tin")


def _photos(client, code: str, **instead) -> None:
    for slug, name in KINDS:
        response = upload(client, code, slug, photo(instead.get(name, name)))
        assert response.status_code == 200, response.get_json()


def _verify(client, code: str) -> str:
    response = _post(client, f"/chonso/hoa-mang/{code}/xac-thuc")
    assert response.status_code == 302
    return client.get(f"/chonso/hoa-mang/{code}").get_data(as_text=True)


def _dossier(db) -> Dossier:
    return db.session.scalar(select(Dossier))


def test_the_ticket_offers_activation_when_the_rule_allows__ACT_3_ESIM_2(client, db, lan, login_customer,
                                                                          delivered_order, numbers):
    from portal.orders import services as orders

    login_customer(lan)
    waiting, _ = orders.place_order(lan_form(number="0903686819"), lan, "web", "w1")
    db.session.commit()
    page = client.get(f"/chonso/phieu/{waiting.ticket.hold_code}").get_data(as_text=True)
    assert "Kích hoạt sau khi bạn nhận được SIM" in page and 'action="/chonso/hoa-mang/' not in page

    order = delivered_order(lan)
    code = order.ticket.hold_code
    page = client.get(f"/chonso/phieu/{code}").get_data(as_text=True)
    assert f'action="/chonso/hoa-mang/{code}"' in page and ">Kích hoạt</button>" in page
    _open(client, code)
    page = client.get(f"/chonso/phieu/{code}").get_data(as_text=True)
    assert "Xem hồ sơ kích hoạt" in page and "Đang khai báo" in page


def test_a_physical_sim_walks_to_ready_for_call_after_fixing_a_wrong_face__ACT_3_ACT_7(client, db, lan,
                                                                                         login_customer,
                                                                                         delivered_order):
    """E-1.4: the customer enters the details, the ID photos of both sides and the portrait."""
    login_customer(lan)
    code = delivered_order(lan).ticket.hold_code
    _open(client, code)
    form = client.get(f"/chonso/hoa-mang/{code}/thong-tin").get_data(as_text=True)
    assert 'value="Nguyễn Thị Lan Anh"' in form and 'value="001190012345"' in form  # from the hold form (ACT-4)
    response = _post(client, f"/chonso/hoa-mang/{code}/thong-tin", **lan_form())
    assert response.headers["Location"].endswith(f"/hoa-mang/{code}/chup/mat-truoc")  # ACT-5 next

    _photos(client, code, portrait="someone_else")
    page = _verify(client, code)  # ACT-6 → 7: someone else's face
    assert "eKYC chưa đạt" in page and "So khớp khuôn mặt:" in page
    assert "Khuôn mặt trên ảnh chân dung không khớp với ảnh trên giấy tờ" in page
    assert _dossier(db).status == DossierStatus.EKYC_FAILED

    assert upload(client, code, "chan-dung", photo("portrait")).status_code == 200  # back to ACT-5
    assert _dossier(db).status == DossierStatus.DRAFT
    page = _verify(client, code)
    assert "Chờ gọi video" in page and "eKYC đạt" in page
    assert _dossier(db).status == DossierStatus.READY_FOR_CALL
    steps = [s for s in ("ACT-3", "ACT-4", "ACT-5", "ACT-7") if f'dz-step-id">{s}<' in page]
    assert steps == ["ACT-3", "ACT-4", "ACT-5", "ACT-7"]

    notices = client.get("/chonso/thong-bao").get_data(as_text=True)  # told in-app (listeners of the history)
    assert "Kích hoạt: eKYC chưa đạt" in notices and "Kích hoạt: Chờ gọi video" in notices
    assert f'href="/chonso/hoa-mang/{code}"' in notices


def test_an_esim_with_a_qr_disagreeing_is_refused_then_fixed__ESIM_2_ESIM_6(client, db, lan, login_customer,
                                                                             paid_esim):
    login_customer(lan)
    code = paid_esim(lan).ticket.hold_code
    _open(client, code)
    _photos(client, code, front="front_other_qr")
    page = _verify(client, code)
    assert "Mã QR của thẻ gắn chip:" in page and "không khớp với thông tin đã khai: số giấy tờ, họ và tên" in page
    upload(client, code, "mat-truoc", photo("front"))
    page = _verify(client, code)
    assert "Chờ gọi video" in page and 'dz-step-id">ESIM-6<' in page


@pytest.mark.parametrize(("portrait", "reason"), [
    ("no_face", "Không tìm thấy khuôn mặt trong ảnh chân dung"),
    ("two_faces", "Ảnh chân dung có 2 khuôn mặt"),
])
def test_a_portrait_with_no_face_or_two_is_refused_with_the_reason__ACT_7(client, db, lan, login_customer,
                                                                           delivered_order, portrait, reason):
    login_customer(lan)
    code = delivered_order(lan).ticket.hold_code
    _open(client, code)
    _photos(client, code, portrait=portrait)
    page = _verify(client, code)
    assert reason in page and _dossier(db).status == DossierStatus.EKYC_FAILED


def test_an_unreadable_blurred_photo_is_refused__ACT_7(client, db, lan, login_customer, delivered_order):
    login_customer(lan)
    code = delivered_order(lan).ticket.hold_code
    _open(client, code)
    _photos(client, code, front="blurred_front")
    assert "Ảnh mặt trước giấy tờ bị mờ" in _verify(client, code)


def test_an_id_number_disagreeing_with_birth_date_or_gender_is_refused__ACT_4(client, db, lan, login_customer,
                                                                               delivered_order):
    login_customer(lan)
    code = delivered_order(lan).ticket.hold_code
    _open(client, code)
    response = _post(client, f"/chonso/hoa-mang/{code}/thong-tin",
                     **lan_form(birth_date="1991-05-17", gender="male"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Năm sinh không khớp với số CCCD" in page and "Giới tính không khớp với số CCCD" in page
    assert _dossier(db).birth_date.year == 1990 and _dossier(db).gender.value == "female"  # nothing changed


def _refused(response, text: str, status: int = 422) -> None:
    body = response.get_json()
    assert response.status_code == status, body
    assert text in body["error"]["message"]


def test_bad_uploads_are_refused_and_nothing_is_stored__ACT_5(client, db, lan, login_customer, delivered_order):
    login_customer(lan)
    code = delivered_order(lan).ticket.hold_code
    _open(client, code)
    pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
    html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for data, name in ((pdf, "cccd.jpg"), (html, "cccd.jpg"), (svg, "anh.svg")):
        _refused(upload(client, code, "mat-truoc", data, name), "Ảnh phải là JPEG, PNG, WebP")
    _refused(upload(client, code, "mat-truoc", _png_claiming(20_000, 20_000)), "độ phân giải quá lớn")
    whole = photo("front")
    _refused(upload(client, code, "mat-truoc", whole[: len(whole) // 2]), "Ảnh bị hỏng hoặc chưa tải lên hết")
    _refused(upload(client, code, "mat-truoc", b"\xff\xd8\xff\xe0" + bytes(10 * 1024 * 1024 + 100)),
             "Ảnh quá lớn: tối đa 10 MB")  # just over the photo limit: read up to it, then refused
    _refused(upload(client, code, "mat-truoc", b"\xff\xd8\xff\xe0" + bytes(50 * 1024 * 1024)),
             "Ảnh quá lớn: tối đa 10 MB", 413)  # refused by its length, before it is read
    assert stored_names() == []
    assert db.session.scalar(select(func.count()).select_from(DossierMedia)) == 0
    assert _dossier(db).status == DossierStatus.DRAFT


def test_a_photo_with_gps_is_stored_encrypted_without_it_under_a_random_name__ACT_5(client, db, lan,
                                                                                     login_customer, delivered_order):
    login_customer(lan)
    code = delivered_order(lan).ticket.hold_code
    _open(client, code)
    with_gps = syn_jpeg_with_gps()
    assert upload(client, code, "mat-truoc", with_gps, "IMG_0001.jpg").status_code == 200
    media = db.session.scalar(select(DossierMedia))
    assert media.storage_name.startswith("id_front/") and "IMG" not in media.storage_name
    assert stored_names() == [media.storage_name]
    on_disk = next(storage().backend.root.rglob(media.storage_name.split("/")[1])).read_bytes()
    assert not on_disk.startswith(b"\xff\xd8") and b"GPS" not in on_disk  # ciphertext at rest
    clear = storage().get(media.storage_name)
    again = Image.open(io.BytesIO(clear))
    assert dict(again.getexif()) == {} and b"GPS" not in clear and b"PhoneMaker" not in clear


def syn_jpeg_with_gps() -> bytes:
    from tests.media.synthetic import card_front, jpeg

    from .conftest import SIZE
    return jpeg(card_front(size=SIZE), exif=_exif_with_gps())


def test_a_retake_replaces_the_photo_and_deletes_the_old_one__ACT_5(client, db, lan, login_customer,
                                                                     delivered_order):
    login_customer(lan)
    code = delivered_order(lan).ticket.hold_code
    _open(client, code)
    upload(client, code, "chan-dung", photo("someone_else"))
    first = stored_names()
    upload(client, code, "chan-dung", photo("portrait"))
    assert len(stored_names()) == 1 and stored_names() != first  # the old object went after the commit
    rows = db.session.scalars(select(DossierMedia).order_by(DossierMedia.id)).all()
    assert [r.replaced_at is not None for r in rows] == [True, False]


def test_the_file_form_works_without_javascript(client, db, lan, login_customer, delivered_order):
    login_customer(lan)
    code = delivered_order(lan).ticket.hold_code
    _open(client, code)
    capture = client.get(f"/chonso/hoa-mang/{code}/chup/mat-truoc").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in capture and "dz-guide-card" in capture
    assert "dz-guide-face" in client.get(f"/chonso/hoa-mang/{code}/chup/chan-dung").get_data(as_text=True)
    response = upload(client, code, "mat-truoc", photo("front"), json=False)
    assert response.status_code == 302 and response.headers["Location"].endswith("/chup/mat-sau")
    response = upload(client, code, "mat-sau", b"not a photo", json=False)
    assert response.headers["Location"].endswith("/chup/mat-sau")
    assert "Ảnh phải là JPEG" in client.get(response.headers["Location"]).get_data(as_text=True)
    response = upload(client, code, "mat-sau", bytes(20 * 1024 * 1024), json=False)
    assert response.status_code == 303
    assert "Ảnh quá lớn" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_another_customers_dossier_is_not_found_on_every_route(app, client, db, lan, login_customer, make_customer,
                                                                delivered_order):
    login_customer(lan)
    code = delivered_order(lan).ticket.hold_code
    _open(client, code)
    client = app.test_client()
    login_customer(make_customer("0987654321"), on=client)
    token = page_csrf(client, "/chonso/phieu-cua-toi")
    for method, path in (("GET", ""), ("POST", ""), ("GET", "/thong-tin"), ("POST", "/thong-tin"),
                         ("GET", "/chup/mat-truoc"), ("POST", "/xac-thuc")):
        response = client.open(f"/chonso/hoa-mang/{code}{path}", method=method, data={"csrf_token": token})
        assert response.status_code == 404, (method, path)
    response = client.post(f"/chonso/hoa-mang/{code}/anh/mat-truoc", content_type="multipart/form-data",
                           data={"csrf_token": token, "photo": (io.BytesIO(photo("front")), "a.jpg")})
    assert response.status_code == 404 and stored_names() == []


def test_a_channels_ticket_is_claimed_with_its_code_and_phone__E_1_3_E_3_3(client, db, lan, login_customer,
                                                                           channel_ticket):
    ticket = channel_ticket("0912345678")
    login_customer(lan)
    page = client.get(f"/chonso/hoa-mang?ma={ticket.hold_code}").get_data(as_text=True)
    assert f'value="{ticket.hold_code}"' in page and "Mã giữ số" in page
    wrong = _post(client, "/chonso/hoa-mang", hold_code=ticket.hold_code, hold_phone="0900000000", **lan_form())
    assert wrong.status_code == 404 and "Không tìm thấy phiếu giữ số" in wrong.get_data(as_text=True)
    assert _dossier(db) is None
    right = _post(client, "/chonso/hoa-mang", hold_code=ticket.hold_code.lower(), hold_phone="0912 345 678",
                  **lan_form())
    assert right.status_code == 302
    assert right.headers["Location"].endswith(f"/hoa-mang/{ticket.hold_code}/chup/mat-truoc")
    assert _dossier(db).order_id is None


def test_someone_elses_order_ticket_cannot_be_claimed_by_code(client, db, lan, login_customer, make_customer,
                                                               delivered_order):
    order = delivered_order(lan)
    login_customer(make_customer("0987654321"))  # knows the code and the phone, signed in as someone else
    response = _post(client, "/chonso/hoa-mang", hold_code=order.ticket.hold_code, hold_phone="0912345678",
                     **lan_form())
    assert response.status_code == 409 and "tài khoản khác" in response.get_data(as_text=True)


def test_the_packing_slip_and_store_slip_lead_to_activation_on_our_site__E_2_3(client, db, app, lan, login,
                                                                               delivered_order, login_customer):
    from portal.core.roles import Role
    from portal.shipping.slips import activation_link

    order = delivered_order(lan)
    app.config["PUBLIC_ORIGIN"] = "https://chonso.example.vn"
    try:
        with app.test_request_context():
            link = activation_link(order)
        assert link == f"https://chonso.example.vn/chonso/hoa-mang?ma={order.ticket.hold_code}"
        login(Role.SHIPPING, region=1)
        slip = client.get(f"/shipping/orders/{order.id}/packing-slip").get_data(as_text=True)
        assert link in slip and 'src="data:image/svg+xml' in slip
    finally:
        app.config["PUBLIC_ORIGIN"] = ""
    login_customer(lan)
    landing = client.get(f"/chonso/hoa-mang?ma={order.ticket.hold_code}")
    assert landing.headers["Location"].endswith(f"/chonso/hoa-mang/{order.ticket.hold_code}")
