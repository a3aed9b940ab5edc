"""eKYC: do the ID card's photos and the portrait belong to the person who filled in the form?

``EkycProvider.check(front, back, portrait, declared)`` returns an ``EkycResult``: one ``Check`` per
question, each with a stable code, a Vietnamese reason, a score (higher is better, 0..1) and the threshold
it was held to. Providers, chosen by ``EKYC_PROVIDER`` (``provider()``):

- ``local`` (default): ``portal.gateways.ekyc_local``, offline on this machine: photo quality, one face in
  the portrait, dlib face match of the card's photo against the portrait, the chip card's QR code against
  the declared details, the CCCD number's structure;
- ``api``: ``EkycApiClient`` below, a commercial eKYC API of FPT.AI's shape (ID OCR, face match, liveness;
  ``api-key`` header). ``portal.gateways.ekyc_sandbox`` speaks that shape, backed by the local provider.

The cross-checks every provider shares (card fields against the declaration, the CCCD structure) live here.
docs/ekyc.md has the design and the settings.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import requests
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.org.identity import Gender, IdType, id_errors

log = logging.getLogger(__name__)

OCR_PATH = "/vision/idr/vnm"
FACEMATCH_PATH = "/dmp/checkface/v1"
LIVENESS_PATH = "/dmp/liveness/v3"
API_KEY_HEADER = "api-key"
SANDBOX_API_KEY = "sandbox-ekyc-key"


@dataclass(frozen=True)
class DeclaredIdentity:
    """What the customer typed on the dossier."""

    id_type: IdType
    id_number: str
    full_name: str
    birth_date: dt.date
    gender: Gender


@dataclass(frozen=True)
class Check:
    """One check's verdict; ``code`` is stable, ``reason`` is for people (Vietnamese)."""

    name: str
    passed: bool
    code: str
    reason: str
    score: float | None = None  # 0..1, higher is better
    threshold: float | None = None  # the score needed to pass
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EkycResult:
    provider: str
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def as_dict(self) -> dict[str, Any]:
        """JSON to keep on the dossier."""
        return {"provider": self.provider, "passed": self.passed, "checks": [asdict(c) for c in self.checks]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EkycResult:
        return cls(data["provider"], tuple(Check(**c) for c in data["checks"]))


class EkycError(Exception):
    """The provider could not answer (network, refused key): nothing was decided; try again later."""


class EkycProvider(Protocol):
    name: str

    def check(self, front: bytes, back: bytes, portrait: bytes, declared: DeclaredIdentity) -> EkycResult: ...


# --- shared cross-checks ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CardFields:
    """What a card says about its holder (read from the chip QR, or by a provider's OCR)."""

    id_number: str
    full_name: str
    birth_date: dt.date | None
    gender: Gender | None
    old_id: str = ""
    address: str = ""
    issue_date: dt.date | None = None


def normalize_name(name: str) -> str:
    """Vietnamese names compared after NFC, single spaces and case folding."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def parse_gender(text: str) -> Gender | None:
    value = normalize_name(text)
    return {"nam": Gender.MALE, "nữ": Gender.FEMALE, "male": Gender.MALE, "female": Gender.FEMALE}.get(value)


def parse_date(text: str) -> dt.date | None:
    """ddmmyyyy (the chip QR) or dd/mm/yyyy (OCR answers)."""
    digits = re.sub(r"[/.\-\s]", "", text or "")
    try:
        return dt.datetime.strptime(digits, "%d%m%Y").date() if len(digits) == 8 else None
    except ValueError:
        return None


def parse_chip_qr(text: str) -> CardFields | None:
    """``ID|old ID|full name|ddmmyyyy|Nam/Nữ|address|issue date`` (the chip card's QR), or None."""
    parts = unicodedata.normalize("NFC", text).strip().split("|")
    if len(parts) < 6 or not re.fullmatch(r"[0-9]{12}", parts[0]):
        return None
    birth, gender = parse_date(parts[3]), parse_gender(parts[4])
    if birth is None or gender is None or not parts[2].strip():
        return None
    return CardFields(parts[0], " ".join(parts[2].split()), birth, gender, old_id=parts[1].strip(),
                      address=parts[5].strip(), issue_date=parse_date(parts[6]) if len(parts) > 6 else None)


FIELD_LABELS = {"id_number": _l("số giấy tờ"), "full_name": _l("họ và tên"), "birth_date": _l("ngày sinh"),
                "gender": _l("giới tính")}


def compare_card(name: str, card: CardFields, declared: DeclaredIdentity, source: str) -> Check:
    """The card's own fields against the declaration; which fields disagree. ``source``: what was read."""
    same_id = declared.id_number in {card.id_number, card.old_id} - {""}
    agree = {"id_number": same_id,
             "full_name": normalize_name(card.full_name) == normalize_name(declared.full_name),
             "birth_date": card.birth_date == declared.birth_date,
             "gender": card.gender == declared.gender}
    wrong = [f for f, ok in agree.items() if not ok]
    score = round(sum(agree.values()) / len(agree), 3)
    details = {"mismatches": wrong, "card": {"id_number": card.id_number, "full_name": card.full_name,
                                             "birth_date": card.birth_date.isoformat() if card.birth_date else None,
                                             "gender": card.gender.value if card.gender else None}}
    if wrong:
        fields = ", ".join(str(FIELD_LABELS[f]) for f in wrong)
        return Check(name, False, f"{name}_mismatch", _(
            "Thông tin trên %(source)s không khớp với thông tin đã khai: %(fields)s. Vui lòng kiểm tra lại thông tin"
            " hoặc chụp lại giấy tờ của chính chủ thuê bao.", source=source, fields=fields), score, 1.0, details)
    return Check(name, True, f"{name}_match", _("Thông tin trên %(source)s khớp với thông tin đã khai.",
                                                 source=source), score, 1.0, details)


def check_id_number(declared: DeclaredIdentity) -> Check:
    """The CCCD number's structure (province, century/gender digit, birth year) against the declared details."""
    errors = id_errors(declared.id_type, declared.id_number, declared.birth_date, declared.gender)
    if errors:
        codes = [code for code, _message in errors.values()]
        return Check("id_number", False, codes[0], " ".join(message for _code, message in errors.values()),
                     0.0, 1.0, {"codes": codes})
    return Check("id_number", True, "id_number_ok",
                 _("Số giấy tờ khớp với ngày sinh, giới tính và mã tỉnh đã khai."), 1.0, 1.0)


# --- the commercial API's client -------------------------------------------------------------------

class EkycApiClient:
    """A commercial eKYC API of FPT.AI's shape: ``api-key`` header, multipart images, JSON answers.

    - ``POST {url}/vision/idr/vnm`` (``image``) → ``{"errorCode": 0, "data": [{"id", "name", "dob": "dd/mm/yyyy",
      "sex": "NAM"/"NỮ", "address", "type"}]}``; ``errorCode`` 3: no card found in the image.
    - ``POST {url}/dmp/checkface/v1`` (``file[]`` twice) → ``{"code": "200", "data": {"isMatch", "similarity"}}``
      (similarity 0..100); code "407": no face found, "409": more than one face.
    - ``POST {url}/dmp/liveness/v3`` (``image``: the portrait) → ``{"code": "200", "liveness": {"is_live": "true",
      "spoof_prob": "0.02"}}``.
    """

    name = "api"

    def __init__(self, base_url: str, api_key: str, timeout: float = 20.0, min_similarity: float = 80.0,
                 min_liveness: float = 0.5, session: requests.Session | None = None):
        self.base_url, self.api_key, self.timeout = base_url.rstrip("/"), api_key, timeout
        self.min_similarity, self.min_liveness = min_similarity, min_liveness
        self.http = session or requests.Session()
        self.http.trust_env = False  # never through a proxy from the environment

    def _post(self, path: str, files: list[tuple[str, tuple[str, bytes, str]]]) -> dict[str, Any]:
        try:
            response = self.http.post(self.base_url + path, files=files, timeout=self.timeout,
                                      headers={API_KEY_HEADER: self.api_key})
        except requests.RequestException as exc:
            raise EkycError(f"ekyc unreachable: {type(exc).__name__}") from exc
        if response.status_code in (401, 403) or response.status_code >= 500:
            raise EkycError(f"ekyc answered {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise EkycError("ekyc answered non-JSON") from exc

    @staticmethod
    def _file(field_name: str, data: bytes, filename: str) -> tuple[str, tuple[str, bytes, str]]:
        return (field_name, (filename, data, "image/jpeg"))

    def read_card(self, image: bytes) -> CardFields | None:
        body = self._post(OCR_PATH, [self._file("image", image, "card.jpg")])
        if body.get("errorCode") != 0 or not body.get("data"):
            return None
        item = body["data"][0]
        if not item.get("id"):
            return None
        return CardFields(str(item["id"]), str(item.get("name", "")), parse_date(str(item.get("dob", ""))),
                          parse_gender(str(item.get("sex", ""))), address=str(item.get("address", "")))

    def face_match(self, card: bytes, portrait: bytes) -> Check:
        body = self._post(FACEMATCH_PATH, [self._file("file[]", card, "card.jpg"),
                                           self._file("file[]", portrait, "portrait.jpg")])
        code = str(body.get("code"))
        threshold = round(self.min_similarity / 100, 3)
        if code == "407":
            return Check("face_match", False, "no_face", _("Không tìm thấy khuôn mặt trên ảnh giấy tờ hoặc ảnh chân"
                                                             " dung. Vui lòng chụp lại."), 0.0, threshold)
        if code == "409":
            return Check("face_match", False, "several_faces", _(
                "Ảnh chân dung có nhiều hơn một khuôn mặt. Vui lòng chụp lại chỉ một mình bạn."), 0.0, threshold)
        if code != "200":
            raise EkycError(f"face match answered code {code}")
        similarity = float(body["data"]["similarity"])
        return face_verdict(round(similarity / 100, 3), threshold, {"similarity": similarity})

    def liveness(self, portrait: bytes) -> Check:
        body = self._post(LIVENESS_PATH, [self._file("image", portrait, "portrait.jpg")])
        if str(body.get("code")) != "200":
            raise EkycError(f"liveness answered code {body.get('code')}")
        score = round(1 - float(body["liveness"]["spoof_prob"]), 3)
        if score >= self.min_liveness and str(body["liveness"].get("is_live")) == "true":
            return Check("liveness", True, "live", _("Ảnh chân dung được chụp từ người thật."), score,
                         self.min_liveness)
        return Check("liveness", False, "not_live", _(
            "Ảnh chân dung có dấu hiệu chụp lại từ ảnh hoặc màn hình. Vui lòng tự chụp trực tiếp."), score,
            self.min_liveness)

    def check(self, front: bytes, back: bytes, portrait: bytes, declared: DeclaredIdentity) -> EkycResult:
        card = self.read_card(front) or self.read_card(back)
        if card is None:
            read = Check("card", False, "card_unreadable", _(
                "Không đọc được thông tin trên giấy tờ. Vui lòng chụp lại rõ nét, đủ bốn góc, không bị lóa."), 0.0, 1.0)
        else:
            read = compare_card("card", card, declared, _("giấy tờ"))
        checks = (read, self.face_match(front, portrait), self.liveness(portrait), check_id_number(declared))
        return EkycResult(self.name, checks)


def face_verdict(score: float, threshold: float, details: dict[str, Any]) -> Check:
    """The face match's verdict from a similarity score (0..1) and the settings' threshold."""
    if score >= threshold:
        return Check("face_match", True, "face_match", _("Khuôn mặt trên ảnh chân dung khớp với ảnh trên giấy tờ."),
                     score, threshold, details)
    return Check("face_match", False, "face_mismatch", _(
        "Khuôn mặt trên ảnh chân dung không khớp với ảnh trên giấy tờ. Chủ thuê bao cần tự chụp ảnh chân dung của"
        " mình."), score, threshold, details)


def provider() -> EkycProvider:
    """The configured provider (``EKYC_PROVIDER``: local or api)."""
    cfg = current_app.config
    name = cfg.get("EKYC_PROVIDER", "local")
    if name == "local":
        from portal.gateways.ekyc_local import LocalProvider

        return LocalProvider.from_config(cfg)
    if name == "api":
        return EkycApiClient(cfg["EKYC_URL"], cfg["EKYC_API_KEY"], timeout=cfg["EKYC_TIMEOUT"],
                             min_similarity=cfg["EKYC_MIN_SIMILARITY"], min_liveness=cfg["EKYC_MIN_LIVENESS"])
    raise RuntimeError(f"unknown EKYC_PROVIDER {name!r} (local or api)")
