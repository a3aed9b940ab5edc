"""Many staff accounts from one CSV file: a preview with every line's errors, then all of them in one transaction.

The file (UTF-8, with or without a BOM; comma or semicolon) has a header naming its columns, in any order:
``username``, ``full_name``, ``role``, ``region``, ``store`` (Vietnamese headers as the admin page shows them are
understood too). A role is its code (``agent``) or its label (``Nhân viên video call``); a region its code (``CTKV1``,
``TCT``) or number; a store its code. A regional admin's file may leave ``region`` empty (their own) and may name
no other region.

Each account gets a one-time password, generated here and returned once to the caller (the admin's confirmation
page); it is never written anywhere but as its hash, and its owner must replace it at the first sign-in.
"""
from __future__ import annotations

import csv
import io
import secrets
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from portal.auth.models import Staff
from portal.auth.services import USERNAME, assignment_errors, create_staff
from portal.core.audit import audit
from portal.core.digits import whole_number
from portal.core.errors import Invalid
from portal.core.roles import ROLE_LABELS, Role
from portal.extensions import db
from portal.org.models import Region

MAX_BYTES = 256 * 1024
MAX_ROWS = 200  # each account's password is hashed with argon2id (~0.1–0.2 s here): a file stays under a minute
COLUMNS = ("username", "full_name", "role", "region", "store")
HEADERS = {  # what a header cell may say → the column
    "username": "username", "tên đăng nhập": "username", "ten dang nhap": "username",
    "full_name": "full_name", "họ và tên": "full_name", "họ tên": "full_name", "ho va ten": "full_name",
    "role": "role", "vai trò": "role", "vai tro": "role",
    "region": "region", "khu vực": "region", "khu vuc": "region",
    "store": "store", "cửa hàng": "store", "cua hang": "store", "mã cửa hàng": "store",
}
# A one-time password: 16 characters a person can copy without confusing 0/O or 1/l.
ALPHABET = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679"


@dataclass
class ImportLine:
    line: int  # its line number in the file (the header is line 1)
    username: str
    full_name: str
    role_text: str
    region_text: str
    store: str
    role: Role | None = None
    region_id: int | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportPreview:
    lines: list[ImportLine]

    @property
    def error_count(self) -> int:
        return sum(1 for line in self.lines if not line.ok)

    @property
    def ok(self) -> bool:
        return bool(self.lines) and self.error_count == 0


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split()).casefold()


def decode(raw: bytes) -> str:
    """The file's text: UTF-8 (a BOM is dropped); anything else is refused with what to do."""
    if len(raw) > MAX_BYTES:
        raise Invalid("file_too_large", _("Tệp lớn hơn %(kb)d KB. Hãy chia nhỏ tệp.", kb=MAX_BYTES // 1024))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("not_utf8", _("Tệp không phải UTF-8. Trong Excel, chọn Lưu thành “CSV UTF-8 (phân tách bằng "
                                    "dấu phẩy)”.")) from None


def _rows(text: str) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    """The header's columns (name → position) and the other non-blank lines with their line numbers."""
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    if not rows:
        raise Invalid("empty_file", _("Tệp không có dòng nào."))
    header_line, header = rows[0]
    columns: dict[str, int] = {}
    for position, cell in enumerate(header):
        name = HEADERS.get(_key(cell))
        if name and name not in columns:
            columns[name] = position
    missing = [c for c in ("username", "full_name", "role") if c not in columns]
    if missing:
        raise Invalid("bad_header", _("Dòng đầu của tệp phải là tiêu đề cột: %(cols)s (thiếu: %(missing)s).",
                                      cols=", ".join(COLUMNS), missing=", ".join(missing)))
    if len(rows) - 1 > MAX_ROWS:
        raise Invalid("too_many_rows", _("Tệp có %(n)d dòng; mỗi lần nhập tối đa %(max)d nhân viên.",
                                         n=len(rows) - 1, max=MAX_ROWS))
    return columns, rows[1:]


def _role(text: str) -> Role | None:
    wanted = _key(text)
    for role, label in ROLE_LABELS.items():
        if wanted in (role.value, _key(str(label))):
            return role
    return None


def _region(text: str, regions: dict[str, int]) -> int | None:
    wanted = _key(text)
    try:
        number = whole_number(wanted)  # "1", or "１" typed full-width (NFKC); other scripts' digits are no region
    except ValueError:
        return regions.get(wanted)
    return number if number in regions.values() else None


def preview(raw: bytes, actor: Staff) -> ImportPreview:
    """Every line of the file checked against the rules and the database, nothing written."""
    columns, rows = _rows(decode(raw))
    regions = {_key(code): region_id for region_id, code in db.session.execute(select(Region.id, Region.code))}
    lines = []
    for number, row in rows:
        def cell(name: str, row: list[str] = row) -> str:
            position = columns.get(name)
            return row[position].strip() if position is not None and position < len(row) else ""

        lines.append(ImportLine(number, cell("username").lower(), " ".join(cell("full_name").split()), cell("role"),
                                cell("region"), cell("store").upper()))
    _check(lines, regions, actor)
    return ImportPreview(lines)


def _check(lines: list[ImportLine], regions: dict[str, int], actor: Staff) -> None:
    first_of: dict[str, int] = {}
    taken = set(db.session.scalars(select(Staff.username).where(Staff.username.in_({x.username for x in lines}))))
    for line in lines:
        if not USERNAME.match(line.username):
            line.errors.append(("username", _("Tên đăng nhập chỉ gồm chữ thường, số, dấu chấm, gạch; 3–40 ký tự.")))
        elif line.username in taken:
            line.errors.append(("username", _("Tên đăng nhập %(u)s đã có trong hệ thống.", u=line.username)))
        elif line.username in first_of:
            line.errors.append(("username", _("Tên đăng nhập trùng với dòng %(n)d của tệp.",
                                              n=first_of[line.username])))
        else:
            first_of[line.username] = line.line
        if not line.full_name:
            line.errors.append(("full_name", _("Thiếu họ và tên.")))
        elif len(line.full_name) > 120:
            line.errors.append(("full_name", _("Họ và tên dài quá 120 ký tự.")))
        line.role = _role(line.role_text)
        if line.role is None:
            line.errors.append(("role", _("Vai trò “%(r)s” không có. Dùng một trong: %(all)s.", r=line.role_text[:40],
                                       all=", ".join(r.value for r in Role))))
        if not line.region_text and not actor.is_head_office:
            line.region_id = actor.region_id
        else:
            line.region_id = _region(line.region_text, regions)
        if line.region_id is None:
            line.errors.append(("region", _("Khu vực “%(r)s” không có (ví dụ: CTKV1, hoặc 0 cho Tổng công ty).",
                                         r=line.region_text[:20])))
        if line.role is not None and line.region_id is not None:
            errors, _store = assignment_errors(line.role, line.region_id, line.store, actor)
            line.errors.extend(("region" if name == "region_id" else "store", message)
                               for name, (_code, message) in errors.items())


def one_time_password() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(16))


def import_staff(raw: bytes, actor: Staff) -> tuple[ImportPreview, list[tuple[Staff, str]]]:
    """Check the file again (the database may have changed since the preview) and, if every line is good, create
    every account in the caller's transaction: ``(preview, [(staff, one-time password), …])``; with any error
    nothing is created and the list is empty."""
    checked = preview(raw, actor)
    if not checked.ok:
        return checked, []
    created = []
    for line in checked.lines:
        password = one_time_password()
        staff = create_staff(line.username, password, line.role or Role.AGENT, line.region_id or 0,
                             line.store or None, line.full_name, actor=actor, one_time=True)
        created.append((staff, password))
    audit("staff.import", None, region_id=None if actor.is_head_office else actor.region_id,
          actor=actor, detail={"count": len(created), "usernames": [s.username for s, _p in created][:MAX_ROWS]})
    return checked, created
