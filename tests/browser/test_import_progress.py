"""In a real browser, with the real web server and worker: a CSV confirmed on the import page is imported by the
worker while the page's progress bar follows it, then the errors are listed by line (issue 10)."""
from __future__ import annotations

import pytest

from portal.core.roles import Role
from tests.conftest import staff_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROWS = 12_000  # three batches of 5,000 rows


def test_the_import_page_follows_the_job_to_the_end(live, browser, make_staff, tmp_path):
    admin = make_staff(Role.ADMIN, region=0)
    csv = "number\n" + "".join(f"0903{i:06d}\n" for i in range(ROWS)) + "abc\n"
    console: list[str] = []
    page = staff_page(browser, live, admin.username, console)
    page.wait_for_selector("text=Xin chào")
    page.goto(f"{live}/numbers/import")
    page.set_input_files("#file", {"name": "kho-so.csv", "mimeType": "text/csv", "buffer": csv.encode()})
    page.click("button:has-text(\"Tải lên và xem trước\")")
    page.wait_for_selector("text=Xác nhận nhập")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text(\"Xác nhận nhập\")")
    page.wait_for_url("**/numbers/import/*")
    assert page.locator("[role=progressbar]").count() == 1
    page.wait_for_selector("text=Đã nhập 12000 số vào kho", timeout=120_000)  # the page reloads when it ends
    assert page.get_attribute("[role=progressbar]", "aria-valuenow") == "100"
    assert page.locator(".numbers-import-errors td.text-end").all_inner_texts() == [str(ROWS + 2)]
    page.screenshot(path=str(tmp_path / "import-done.png"))
    assert not [m for m in console if "Content Security Policy" in m], console
