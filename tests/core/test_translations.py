"""Every message a user can see is Vietnamese on the Vietnamese UI and English on the English one.

The catalogue tests extract the marked strings from the current source (Babel, in-process, on babel.cfg), so
a new string anywhere fails them until it is translated: run ``make translations-update``, translate what it
lists in portal/translations/en/LC_MESSAGES/messages.po, run this file again (portal/translations/README.md).
"""
from __future__ import annotations

import ast
import functools
import io
import os
import re
import secrets
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

import flask_wtf
import pytest
import wtforms
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale, get_domain
from flask_wtf.file import FileAllowed, FileField, FileRequired
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import (
    DateField,
    DateTimeField,
    DateTimeLocalField,
    DecimalField,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
    WeekField,
)
from wtforms import validators as v

from portal.core.forms import PortalForm
from portal.core.i18n import CSRF_MESSAGE, CSRF_REASONS, WTFORMS_MESSAGES, WTFORMS_PLURALS
from portal.core.roles import Role
from tests.conftest import page_csrf

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "portal/translations/en/LC_MESSAGES/messages.po"
TODO = ("\n\nRun `make translations-update`, translate these in portal/translations/en/LC_MESSAGES/messages.po, "
        "then run this test again (portal/translations/README.md).")


# --- the English catalogue has every string ---------------------------------------------------------------

@functools.cache
def extract_source() -> dict[str | tuple[str, str], list[str]]:
    """Every marked message of the portal (msgid, or (singular, plural)) → where it is, as ``pybabel extract``."""
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, str(ROOT / "babel.cfg"))
    found: dict[str | tuple[str, str], list[str]] = {}
    # Skip hidden folders only (.venv, .git), as --ignore-dirs='.*': Babel's default also skips templates/_macros.
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS,
            directory_filter=lambda path: not os.path.basename(path).startswith(".")):
        if isinstance(message, tuple):
            message = message[:2]
        if message and message[0]:  # an empty msgid is the catalogue's header, not a message
            found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


def english_catalogue():
    with open(PO, "rb") as po:
        return read_po(po)


def test_the_source_has_marked_strings_and_the_extraction_sees_every_kind_of_them():
    found = extract_source()
    assert len(found) > 700
    assert "Đăng nhập" in found  # templates
    assert "Vui lòng nhập lại mật khẩu." in found  # _l() in a form
    assert "Ngày không hợp lệ." in found  # N_() in portal.core.i18n
    assert ("Phải có ít nhất %(min)d ký tự.", "Phải có ít nhất %(min)d ký tự.") in found  # N_plural()
    assert any("templates/_macros/" in where for places in found.values() for where in places)


def test_every_marked_string_has_a_finished_english_translation():
    catalogue = english_catalogue()
    todo = []
    for message, places in sorted(extract_source().items(), key=lambda item: item[1][0]):
        msgid = message[0] if isinstance(message, tuple) else message
        entry = catalogue.get(msgid)
        strings = () if entry is None else entry.string if isinstance(entry.string, tuple) else (entry.string,)
        plural_matches = entry is not None and isinstance(entry.id, tuple) == isinstance(message, tuple)
        if entry is None or entry.fuzzy or not plural_matches or not all(strings):
            todo.append(f"  {msgid!r}  ({places[0]})")
    assert not todo, f"{len(todo)} untranslated (missing, empty or fuzzy):\n" + "\n".join(todo) + TODO


PLACEHOLDER = re.compile(r"%%|%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%[-#0 +]*\d*(?:\.\d+)?"
                         r"[diouxXeEfFgGcrsa]|\{(\w*)\}")


def placeholders(text: str) -> tuple[set[str], list[str]]:
    """(named, positional): %(name)s and {name} by name, positional %s in order."""
    named, positional = set(), []
    for match in PLACEHOLDER.finditer(text):
        if match.group(0) == "%%":
            continue
        if match.group(1) is None and match.group(2) is None:
            positional.append(match.group(0))
        else:
            named.add(match.group(0))
    return named, positional


def test_every_translation_keeps_the_placeholders_of_its_msgid():
    wrong = []
    for entry in english_catalogue():
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        expected = placeholders(ids[0])
        for string in strings:
            if string and placeholders(string) != expected:
                wrong.append(f"  {ids[0]!r} → {string!r}: {placeholders(string)} ≠ {expected}")
    assert not wrong, "translations whose placeholders differ from the msgid's:\n" + "\n".join(wrong)


def test_the_english_catalogue_compiles_with_no_fuzzy_or_obsolete_entry():
    catalogue = english_catalogue()
    errors = [f"  {message.id!r}: {'; '.join(map(str, problems))}" for message, problems in catalogue.check()]
    assert not errors, "pybabel compile would refuse:\n" + "\n".join(errors)
    assert not [m.id for m in catalogue if m.id and m.fuzzy]
    assert not catalogue.obsolete, "delete the #~ leftovers (make translations-update drops them)"


# --- WTForms and Flask-WTF speak our languages ------------------------------------------------------------

def library_messages(package: types.ModuleType) -> set[str]:
    """The msgids a library passes to gettext/ngettext (the singular of a pair), read from its installed source."""
    keywords = {"gettext": None, "ngettext": (1, 2)}
    root = os.path.dirname(package.__file__)
    return {message[0] if isinstance(message, tuple) else message
            for _f, _l, message, _c, _x in extract_from_dir(root, [("**.py", "python")], keywords=keywords)}


def test_every_wtforms_and_flask_wtf_message_has_a_vietnamese_source_string():
    """A new WTForms or Flask-WTF version that brings a message fails here until portal.core.i18n knows it."""
    known = WTFORMS_MESSAGES.keys() | WTFORMS_PLURALS.keys()
    unknown = (library_messages(wtforms) | library_messages(flask_wtf)) - known
    assert not unknown, f"add these to portal.core.i18n: {sorted(unknown)}"
    csrf_source = Path(flask_wtf.__file__).with_name("csrf.py").read_text()
    reasons = set(re.findall(r'(?:ValidationError|_error_response)\(\s*"([^"]+)"', csrf_source))
    assert reasons and reasons <= set(CSRF_REASONS), f"new Flask-WTF CSRF reasons: {reasons - set(CSRF_REASONS)}"


def test_every_form_derives_from_the_portal_form_base():
    """A form built on FlaskForm or wtforms.Form directly would show WTForms' English again."""
    direct = []
    for path in sorted((ROOT / "portal").rglob("*.py")):
        if path == ROOT / "portal/core/forms.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(base, "id", None) or getattr(base, "attr", None) for base in node.bases}
                if bases & {"FlaskForm", "Form", "BaseForm"}:
                    direct.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not direct, "derive these from portal.core.forms.PortalForm (or QueryForm): " + ", ".join(direct)


def pattern_of(template: str) -> re.Pattern[str]:
    """A translated template as a regex: each placeholder stands for whatever WTForms filled in."""
    return re.compile("".join(".+" if part.group(1) else re.escape(part.group(0)) for part in re.finditer(
        r"(%\(\w+\)\w|%\w|\{\w+\})|.", template, re.S)) + r"\Z", re.S)


@dataclass
class Case:
    msgid: str  # WTForms' (or Flask-WTF's) English message that the failure shows
    fields: dict
    data: dict = field(default_factory=dict)


def _file(name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(b"x"), filename=name)


CASES = [
    Case("This field is required.", {"f": StringField(validators=[v.DataRequired()])}, {"f": ""}),
    Case("This field is required.", {"f": StringField(validators=[v.InputRequired()])}),
    Case("Field must be at least %(min)d character long.", {"f": StringField(validators=[v.Length(min=3)])},
         {"f": "ab"}),
    Case("Field cannot be longer than %(max)d character.", {"f": StringField(validators=[v.Length(max=2)])},
         {"f": "abc"}),
    Case("Field must be exactly %(max)d character long.", {"f": StringField(validators=[v.Length(2, 2)])},
         {"f": "abc"}),
    Case("Field must be between %(min)d and %(max)d characters long.",
         {"f": StringField(validators=[v.Length(2, 4)])}, {"f": "a"}),
    Case("Number must be at least %(min)s.", {"f": IntegerField(validators=[v.NumberRange(min=5)])}, {"f": "3"}),
    Case("Number must be at most %(max)s.", {"f": IntegerField(validators=[v.NumberRange(max=5)])}, {"f": "7"}),
    Case("Number must be between %(min)s and %(max)s.", {"f": IntegerField(validators=[v.NumberRange(5, 9)])},
         {"f": "3"}),
    Case("Field must be equal to %(other_name)s.",
         {"f": StringField(validators=[v.EqualTo("g")]), "g": StringField("Mật khẩu")}, {"f": "a", "g": "b"}),
    Case("Invalid field name '%s'.", {"f": StringField(validators=[v.EqualTo("nope")])}, {"f": "a"}),
    Case("Invalid email address.", {"f": StringField(validators=[v.Email()])}, {"f": "not-an-address"}),
    Case("Invalid IP address.", {"f": StringField(validators=[v.IPAddress()])}, {"f": "999.1.1.1"}),
    Case("Invalid Mac address.", {"f": StringField(validators=[v.MacAddress()])}, {"f": "zz"}),
    Case("Invalid URL.", {"f": StringField(validators=[v.URL()])}, {"f": "not a url"}),
    Case("Invalid UUID.", {"f": StringField(validators=[v.UUID()])}, {"f": "nope"}),
    Case("Invalid input.", {"f": StringField(validators=[v.Regexp(r"^\d+$")])}, {"f": "x"}),
    Case("Invalid value, must be one of: %(values)s.", {"f": StringField(validators=[v.AnyOf(["a", "b"])])},
         {"f": "c"}),
    Case("Invalid value, can't be any of: %(values)s.", {"f": StringField(validators=[v.NoneOf(["a"])])},
         {"f": "a"}),
    Case("This field cannot be edited.", {"f": StringField(validators=[v.ReadOnly()])}, {"f": "x"}),
    Case("This field is disabled and cannot have a value.", {"f": StringField(validators=[v.Disabled()])},
         {"f": "x"}),
    Case("Not a valid date value.", {"f": DateField()}, {"f": "1990-13-45"}),
    Case("Not a valid datetime value.", {"f": DateTimeField()}, {"f": "tomorrow"}),
    Case("Not a valid datetime value.", {"f": DateTimeLocalField()}, {"f": "2026-02-30T10:00"}),
    Case("Not a valid time value.", {"f": TimeField()}, {"f": "25:99"}),
    Case("Not a valid week value.", {"f": WeekField()}, {"f": "2026-W99"}),
    Case("Not a valid integer value.", {"f": IntegerField()}, {"f": "x"}),
    Case("Not a valid decimal value.", {"f": DecimalField()}, {"f": "x"}),
    Case("Not a valid float value.", {"f": FloatField()}, {"f": "x"}),
    Case("Not a valid choice.", {"f": SelectField(choices=[("a", "A")])}, {"f": "z"}),
    Case("Invalid Choice: could not coerce.", {"f": SelectField(choices=[(1, "A")], coerce=int)}, {"f": "x"}),
    Case("'%(value)s' is not a valid choice for this field.",
         {"f": SelectMultipleField(choices=[("a", "A")])}, {"f": ["z"]}),
    Case("Invalid choice(s): one or more data inputs could not be coerced.",
         {"f": SelectMultipleField(choices=[(1, "A")], coerce=int)}, {"f": ["x"]}),
    Case("This field is required.", {"f": FileField(validators=[FileRequired()])}),
    Case("File does not have an approved extension: {extensions}",
         {"f": FileField(validators=[FileAllowed(["csv"])])}, {"f": _file("numbers.exe")}),
]
# Not a user's failure: a developer error (TypeError), WTForms' session CSRF (we use Flask-WTF's, tested below),
# Flask-Uploads' upload sets (not used). Their Vietnamese is checked by the test above all the same.
UNREACHABLE = {"Choices cannot be None.", "Invalid CSRF Token.", "CSRF token missing.", "CSRF failed.",
               "CSRF token expired.", "File does not have an approved extension."}


@pytest.fixture
def fake_email_validator(monkeypatch):
    """WTForms' Email() needs the email_validator package, which the portal does not install."""
    class EmailNotValidError(ValueError):
        pass

    def validate_email(address, **_options):
        raise EmailNotValidError(address)

    module = types.SimpleNamespace(EmailNotValidError=EmailNotValidError, validate_email=validate_email)
    monkeypatch.setitem(sys.modules, "email_validator", module)


def failure(case: Case) -> str:
    form_class = type("CaseForm", (PortalForm,), {"Meta": type("Meta", (), {"csrf": False}), **case.fields})
    form = form_class(MultiDict(case.data))
    assert not form.validate()
    return str(form.errors["f"][0])  # a coerce failure also says "not a valid choice" after it


@pytest.fixture(scope="module")
def english(app):
    """The compiled English catalogue, as `make translations` leaves it (compiled here if missing or stale)."""
    mo = PO.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < PO.stat().st_mtime:
        partial = mo.with_name(f".{mo.name}.{os.getpid()}")
        with open(partial, "wb") as out:
            write_mo(out, english_catalogue())
        os.replace(partial, mo)
        with app.app_context():
            get_domain().cache.clear()  # Flask-Babel keeps what it loaded, perhaps before the file existed
    return english_catalogue()


def test_every_validator_and_field_failure_is_vietnamese_on_the_vietnamese_ui(app, fake_email_validator):
    wrong = []
    with app.test_request_context("/"):
        for case in CASES:
            template = WTFORMS_MESSAGES.get(case.msgid) or WTFORMS_PLURALS[case.msgid][0]
            message = failure(case)
            if not pattern_of(template).match(message):
                wrong.append(f"  {case.msgid!r}: shown {message!r}, expected {template!r}")
    assert not wrong, "English (or unexpected) validation messages on the Vietnamese UI:\n" + "\n".join(wrong)
    assert {case.msgid for case in CASES} == (WTFORMS_MESSAGES.keys() | WTFORMS_PLURALS.keys()) - UNREACHABLE


def test_every_validator_and_field_failure_is_english_on_the_english_ui(app, english, fake_email_validator):
    wrong = []
    with app.test_request_context("/"), force_locale("en"):
        for case in CASES:
            source = WTFORMS_MESSAGES.get(case.msgid) or WTFORMS_PLURALS[case.msgid][0]
            entry = english.get(source)
            template = entry.string[-1] if isinstance(entry.string, tuple) else entry.string
            message = failure(case)
            if not (pattern_of(template).match(message) or isinstance(entry.string, tuple)
                    and pattern_of(entry.string[0]).match(message)):
                wrong.append(f"  {case.msgid!r}: shown {message!r}, expected {template!r}")
    assert not wrong, "\n".join(wrong)


def test_a_form_checking_its_own_csrf_token_says_why_in_vietnamese(app):
    form_class = type("TokenForm", (PortalForm,), {"f": StringField()})
    with app.test_request_context("/", method="POST", data={"f": "x", "csrf_token": "forged"}):
        form = form_class()
        assert not form.validate()
        assert form.errors["csrf_token"] == [CSRF_MESSAGE]
    with app.test_request_context("/", method="POST", data={"f": "x"}):
        form = form_class()
        assert not form.validate()
        assert form.errors["csrf_token"] == [CSRF_MESSAGE]


# --- through the real pages --------------------------------------------------------------------------------

def test_a_bad_date_on_the_customer_search_page_is_vietnamese__HOLD_1(client):
    """Issue 10, "Language": WTForms' "Not a valid date value." showed on the Vietnamese page."""
    response = client.get("/chonso/tim-so?mode=phong-thuy&birth_date=1990-13-45")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="birth_date-error">Ngày không hợp lệ.</div>' in html
    assert "Not a valid" not in html


def test_a_bad_date_on_the_customer_search_page_is_english_on_the_english_ui(client, english):
    client.post("/language/en", data={"csrf_token": page_csrf(client, "/chonso/dang-nhap"), "next": "/"})
    html = client.get("/chonso/tim-so?mode=phong-thuy&birth_date=1990-13-45").get_data(as_text=True)
    assert 'lang="en"' in html
    assert 'id="birth_date-error">Not a valid date.</div>' in html


def test_a_bad_date_in_the_audit_filters_is_vietnamese(client, login):
    login(Role.ADMIN, region=0)
    html = client.get("/audit/?date_from=2026-02-30").get_data(as_text=True)
    assert "Ngày không hợp lệ." in html and "Not a valid" not in html


def test_the_rate_limit_page_is_vietnamese_not_the_limit_itself(client):
    """Flask-Limiter describes a 429 with the limit ("60 per 1 minute"); the page says what it means."""
    address = f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"
    token = page_csrf(client, "/login")
    for _ in range(61):
        response = client.post("/login", data={"username": "khong-co", "password": "x", "csrf_token": token},
                               environ_base={"REMOTE_ADDR": address})
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Bạn thao tác quá nhanh. Vui lòng thử lại sau ít phút." in html
    assert " per " not in html
