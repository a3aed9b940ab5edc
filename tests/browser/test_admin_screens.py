"""The admin screens in Chromium at 1366×768 (issue 14 §3): the hub, staff (edit, CSV import with its one-time
passwords downloaded), regions and shopcodes, stores (a refusal, a stale edit), the province table; no CSP
violation on the way. Screenshots: /work/notes/shots/admin1-*.png (SHOTS_DIR), or the test's tmp_path."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from portal.core.roles import Role
from tests.conftest import staff_page
from tests.shipping.conftest import make_order  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CSV = ("username,full_name,role,region,store\n"
       "lan.nguyen,Nguyễn Thị Lan,agent,CTKV1,\n"
       "binh.tran,Trần Văn Bình,clerk,CTKV1,CH-HN-02\n")
BAD_CSV = CSV + "binh.tran,Trần Văn Bình,clerk,CTKV2,CH-HN-02\nhoa.le,Lê Thị Hoa,tong-dai,CTKV1,\n"


@pytest.fixture
def shots(tmp_path) -> Path:
    directory = Path(os.environ.get("SHOTS_DIR", tmp_path))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _shot(page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"admin1-{name}.png"), full_page=True)


def test_head_office_admin_walks_every_screen(live, browser, make_staff, make_order, shots, tmp_path):  # noqa: F811
    admin = make_staff(Role.ADMIN, region=0)
    clerk = make_staff(Role.CLERK, region=1, store="CH-HN-01")
    make_order(region=1, receive="store", store="CH-HN-01")
    console: list[str] = []
    page = staff_page(browser, live, admin.username, console)
    page.wait_for_selector("text=Xin chào")

    page.click("nav >> text=Quản trị")
    page.wait_for_selector("[data-admin-hub]")
    for label in ("Nhân sự", "Cửa hàng", "Tỉnh/thành → khu vực", "Cài đặt gọi video", "Đối tác API"):
        assert page.locator(f"[data-admin-hub] h2:text-is('{label}')").count() == 1, label
    _shot(page, shots, "hub")

    page.click("[data-admin-hub] >> text=Nhân sự")
    page.wait_for_selector("h1:has-text('Nhân sự')")
    _shot(page, shots, "staff-list")
    page.goto(f"{live}/admin/staff/{clerk.id}")
    page.select_option("#region_id", "2")
    page.click("button:has-text('Lưu thay đổi')")
    page.wait_for_selector("#store_code-error")  # CH-HN-01 is not a store of CTKV2
    _shot(page, shots, "staff-edit-error")
    page.select_option("#store_code", "CH-HCM-02")
    page.fill("#full_name", "Phạm Thị Thu")
    page.click("button:has-text('Lưu thay đổi')")
    page.wait_for_selector("text=Các phiên đăng nhập của nhân viên đã kết thúc")
    page.wait_for_selector(".portal-history >> text=Phạm Thị Thu")
    _shot(page, shots, "staff-detail")

    page.goto(f"{live}/admin/staff/import")
    csv_bad, csv_good = tmp_path / "sai.csv", tmp_path / "dung.csv"
    csv_bad.write_text(BAD_CSV, encoding="utf-8-sig")
    csv_good.write_text(CSV, encoding="utf-8-sig")
    _shot(page, shots, "import-upload")
    page.set_input_files("#file", str(csv_bad))
    page.click("button:has-text('Tải lên và xem trước')")
    page.wait_for_selector("text=Tên đăng nhập trùng với dòng 3 của tệp.")
    _shot(page, shots, "import-preview-errors")
    page.goto(f"{live}/admin/staff/import")
    page.set_input_files("#file", str(csv_good))
    page.click("button:has-text('Tải lên và xem trước')")
    page.wait_for_selector("text=Tệp hợp lệ: 2 tài khoản sẽ được tạo.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Xác nhận nhập')")
    page.wait_for_selector("[data-password]")
    passwords = page.locator("[data-password]").all_inner_texts()
    with page.expect_download() as download:
        page.click("[data-download-passwords]")
    saved = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "one_time_password" in saved and all(p in saved for p in passwords) and "Nguyễn Thị Lan" in saved
    _shot(page, shots, "import-done")

    page.goto(f"{live}/admin/regions")
    _shot(page, shots, "regions")
    page.click("text=CTKV1")
    page.wait_for_selector("h2:has-text('Shopcode')")
    page.fill("#new-code", "KV1HN02")
    page.fill("#new-name", "Kênh cửa hàng Hà Nội 2")
    page.click("button:has-text('Thêm')")
    page.wait_for_selector("text=Đã thêm shopcode KV1HN02.")
    _shot(page, shots, "region-detail")
    page.click("text=KV1ONL")
    page.wait_for_selector("h1:has-text('KV1ONL')")
    _shot(page, shots, "shopcode")

    page.goto(f"{live}/admin/stores")
    _shot(page, shots, "stores")
    page.click("text=Thêm cửa hàng")
    page.fill("#code", "CH-HN-01")
    page.fill("#name", "Cửa hàng Long Biên")
    page.select_option("#region_id", "2")
    page.select_option("#shopcode", "KV1ONL")
    page.click("form button:has-text('Thêm cửa hàng')")
    page.wait_for_selector("#shopcode-error")
    _shot(page, shots, "store-new-errors")
    page.goto(f"{live}/admin/stores")
    page.click("text=CH-HN-01")
    page.uncheck("#active")
    page.click("button:has-text('Lưu thay đổi')")
    page.wait_for_selector("text=Chưa thể ngừng hoạt động: cửa hàng còn 1 đơn")
    _shot(page, shots, "store-open-orders")

    # Two admins at once: this page was drawn before the other admin saved.
    store_url = page.url
    page.goto(store_url)
    other = staff_page(browser, live, make_staff(Role.ADMIN, region=1).username, console)
    other.goto(store_url)
    other.fill("#address", "300 Trần Duy Hưng, Cầu Giấy")
    other.click("button:has-text('Lưu thay đổi')")
    other.wait_for_selector("text=Đã lưu.")
    page.fill("#name", "Cửa hàng MobiFone Cầu Giấy (mới)")
    page.click("button:has-text('Lưu thay đổi')")
    page.wait_for_selector("[data-stale-edit]")
    assert page.input_value("#address") == "300 Trần Duy Hưng, Cầu Giấy"
    _shot(page, shots, "store-stale")

    page.goto(f"{live}/admin/provinces")
    page.select_option("select[name^=region_]:near(:text('Huế'))", label="CTKV4")
    page.click("button:has-text('Lưu bảng định tuyến')")
    page.wait_for_selector("text=Huế CTKV3 → CTKV4")
    _shot(page, shots, "provinces")
    assert not [m for m in console if "Content Security Policy" in m], console


def test_regional_admin_hub_and_a_one_time_password(live, browser, make_staff, shots):
    admin = make_staff(Role.ADMIN, region=4)
    console: list[str] = []
    page = staff_page(browser, live, admin.username, console)
    page.wait_for_selector("text=Xin chào")
    page.goto(f"{live}/admin/")
    page.wait_for_selector("[data-admin-hub]")
    assert page.locator("text=Tỉnh/thành → khu vực").count() == 0
    _shot(page, shots, "hub-regional")
    target = make_staff(Role.AGENT, region=4)
    page.goto(f"{live}/admin/staff/{target.id}")
    page.fill("#password", "mat-khau-tam-thoi-1")
    page.click("button:has-text('Đặt lại')")
    page.wait_for_selector("text=Đã đặt lại mật khẩu")
    fresh = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN").new_page()
    fresh.goto(f"{live}/login")
    fresh.fill("#username", target.username)
    fresh.fill("#password", "mat-khau-tam-thoi-1")
    fresh.click("button[type=submit]")
    fresh.wait_for_selector("text=Bạn đang dùng mật khẩu dùng một lần")
    _shot(fresh, shots, "one-time-password")
    assert not [m for m in console if "Content Security Policy" in m], console
