"""Importing many staff accounts from a CSV file: upload → preview with each line's errors → confirm (all in one
transaction) → the one-time passwords, shown once on the answer to the confirmation and downloadable from it.

Between preview and confirmation the file waits in Redis for 30 minutes under a random token and the uploader's id
(another admin's confirmation finds nothing); confirming claims it atomically, so a double click or a reload
imports nothing twice. The passwords exist only in that one answer (no-store) and as argon2id hashes.
"""
from __future__ import annotations

import csv
import io
import json
import secrets
from typing import cast
from urllib.parse import quote

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal.admin import bp
from portal.admin.forms import ImportTokenForm, StaffImportForm
from portal.auth import staff_import as importer
from portal.core import redis as portal_redis
from portal.core.access import allow
from portal.core.errors import Invalid
from portal.core.roles import Role
from portal.extensions import db

TTL = 30 * 60
SAMPLE = ("username,full_name,role,region,store\n"
          "lan.nguyen,Nguyễn Thị Lan,agent,CTKV1,\n"
          "binh.tran,Trần Văn Bình,clerk,CTKV1,CH-HN-01\n")


def _key(token: str) -> str:
    return f"portal:staff-import:{current_user.id}:{token}"


def _render_upload(form: StaffImportForm, status: int = 200):
    return render_template("admin/staff_import.html", form=form, max_rows=importer.MAX_ROWS,
                           sample_href="data:text/csv;charset=utf-8," + quote("\ufeff" + SAMPLE)), status


@bp.route("/staff/import")
@allow(Role.ADMIN)
def staff_import():
    return _render_upload(StaffImportForm())


@bp.route("/staff/import", methods=["POST"])
@allow(Role.ADMIN)
def staff_import_preview():
    form = StaffImportForm()
    if not form.validate_on_submit():
        return _render_upload(form, 422)
    raw = form.file.data.stream.read(importer.MAX_BYTES + 1)
    try:
        checked = importer.preview(raw, current_user)
    except Invalid as exc:
        form.file.errors = [*form.file.errors, exc.message]
        return _render_upload(form, 413 if exc.code == "file_too_large" else 422)
    token = None
    if checked.ok:
        token = secrets.token_hex(16)
        portal_redis.connection().set(_key(token), json.dumps({"raw": raw.decode("utf-8-sig")}), ex=TTL)
    return render_template("admin/staff_import_preview.html", preview=checked, token=token,
                           form=ImportTokenForm(token=token), role_labels_by_value=_role_labels()), \
        200 if checked.ok else 422


def _role_labels() -> dict[str, str]:
    return {role.value: role.label for role in Role}


@bp.route("/staff/import/confirm", methods=["POST"])
@allow(Role.ADMIN)
def staff_import_confirm():
    form = ImportTokenForm()
    claimed = None
    if form.validate_on_submit():
        pipe = portal_redis.connection().pipeline(transaction=True)  # read and delete at once: one claim wins
        pipe.get(_key(form.token.data))
        pipe.delete(_key(form.token.data))
        claimed = cast(list, pipe.execute())[0]
    if not claimed:
        flash(_("Tệp này đã được nhập hoặc đã quá 30 phút. Vui lòng tải tệp lên lại."), "warning")
        return redirect(url_for("admin.staff_import"))
    raw = json.loads(claimed)["raw"].encode()
    try:
        checked, created = importer.import_staff(raw, current_user)
        if created:
            db.session.commit()
    except IntegrityError:  # a username taken between the check and the commit: nothing of the file is kept
        db.session.rollback()
        flash(_("Một tên đăng nhập trong tệp vừa được tạo ở nơi khác; chưa nhập tài khoản nào. Vui lòng tải tệp lên "
                "lại."), "danger")
        return redirect(url_for("admin.staff_import"))
    if not created:  # the database changed since the preview: show why, nothing was written
        db.session.rollback()
        flash(_("Dữ liệu đã thay đổi từ lúc xem trước; chưa nhập tài khoản nào. Sửa tệp rồi tải lên lại."), "danger")
        return render_template("admin/staff_import_preview.html", preview=checked, token=None, form=None,
                               role_labels_by_value=_role_labels()), 409
    rows = [(s.username, s.full_name, s.role.value, s.region.code, s.store.code if s.store else "", password)
            for s, password in created]
    return render_template("admin/staff_import_done.html", rows=rows, download_href=_csv_href(rows))


def _csv_href(rows: list[tuple[str, ...]]) -> str:
    """The accounts with their one-time passwords as a CSV file the page offers to save (nothing kept server-side)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["username", "full_name", "role", "region", "store", "one_time_password"])
    writer.writerows(rows)
    return "data:text/csv;charset=utf-8," + quote("\ufeff" + out.getvalue())
