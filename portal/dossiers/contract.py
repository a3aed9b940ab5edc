"""The subscriber contract (ACT-9/10, ESIM-8/9): a PDF with the dossier's details, the photos, the drawn signature
and a SHA-256 hash of the dossier's data and the time, rendered with a Vietnamese-capable font (DejaVu, vendored
under static/vendor/fonts with its licence), then signed by the operator with PAdES (pyHanko) so that any PDF
reader shows whether it was altered.

The certificate and key are PEM files named by CONTRACT_SIGNING_CERT / CONTRACT_SIGNING_KEY. ``make run`` and the
tests create a self-signed development pair when the files are missing (``ensure_development_certificate``);
production must supply its own, else a submission is refused (``ContractUnavailable``, fail closed).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from portal.core.errors import PortalError

log = logging.getLogger(__name__)
FONTS = Path(__file__).resolve().parents[2] / "static" / "vendor" / "fonts"
SIGNATURE_FIELD = "MobiFoneOperator"


class ContractUnavailable(PortalError):
    status = 503


def data_hash(data: dict[str, Any], at: dt.datetime) -> str:
    """SHA-256 of the dossier's data (canonical JSON: sorted keys, no spaces) and the signing time (ISO, UTC)."""
    payload = json.dumps({"data": data, "at": at.replace(microsecond=0).isoformat()}, sort_keys=True,
                         ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class ContractContent:
    """What the contract shows: rows of (label, value), the pictures, the signature, the hash and the time."""

    title: str
    parties: list[str]
    rows: list[tuple[str, str]]
    pictures: list[tuple[str, bytes]]  # (caption, JPEG)
    signature_png: bytes
    digest: str
    at: dt.datetime


def render(content: ContractContent) -> bytes:
    """The unsigned PDF (fpdf2), text in DejaVu Sans so that every Vietnamese letter shows."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creator("Chọn số Online — MobiFone")
    pdf.set_title(content.title)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(0, 7, content.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 9.5)
    for line in content.parties:
        pdf.multi_cell(0, 5.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for label, value in content.rows:
        pdf.set_font("DejaVu", "B", 9.5)
        pdf.cell(55, 6, label)
        pdf.set_font("DejaVu", "", 9.5)
        pdf.multi_cell(0, 6, value or "—", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    x, y = pdf.l_margin, pdf.get_y()
    width = 44.0
    for caption, image in content.pictures:
        if x + width > pdf.w - pdf.r_margin:
            x, y = pdf.l_margin, y + 42
        if y + 40 > pdf.h - pdf.b_margin:
            pdf.add_page()
            x, y = pdf.l_margin, pdf.get_y()
        pdf.image(io.BytesIO(image), x=x, y=y, w=width, h=30, keep_aspect_ratio=True)
        pdf.set_xy(x, y + 31)
        pdf.set_font("DejaVu", "", 8)
        pdf.cell(width, 4, caption, align="C")
        x += width + 3
    pdf.set_xy(pdf.l_margin, y + 40)
    if pdf.get_y() + 55 > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.set_font("DejaVu", "B", 9.5)
    pdf.cell(0, 6, "Chữ ký của thuê bao", new_x="LMARGIN", new_y="NEXT")
    pdf.image(io.BytesIO(content.signature_png), w=70, h=28, keep_aspect_ratio=True)
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 8)
    pdf.multi_cell(0, 4.5, f"Thời điểm ký (UTC): {content.at.replace(microsecond=0).isoformat()}\n"
                           f"Mã băm SHA-256 của dữ liệu hồ sơ và thời điểm ký: {content.digest}\n"
                           "Hợp đồng được MobiFone ký số (PAdES). Trình đọc PDF hiển thị chữ ký số này; "
                           "mọi thay đổi sau khi ký làm chữ ký không còn hợp lệ.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@lru_cache(maxsize=4)
def _signer(cert_path: str, key_path: str, password: str, mtime: float):
    from pyhanko.sign import signers

    return signers.SimpleSigner.load(key_path, cert_path, key_passphrase=password.encode() or None)


def signer():
    """The operator's signer from the settings (cached per file and modification time)."""
    cfg = current_app.config
    cert, key = cfg.get("CONTRACT_SIGNING_CERT", ""), cfg.get("CONTRACT_SIGNING_KEY", "")
    if not cert or not key or not Path(cert).is_file() or not Path(key).is_file():
        log.error("contract signing certificate or key missing (CONTRACT_SIGNING_CERT/KEY)")
        raise ContractUnavailable("contract_unavailable", _(
            "Chưa ký được hợp đồng lúc này. Thông tin của bạn đã được lưu, vui lòng thử lại sau ít phút."))
    loaded = _signer(cert, key, cfg.get("CONTRACT_SIGNING_KEY_PASSWORD", ""),
                     Path(cert).stat().st_mtime + Path(key).stat().st_mtime)
    if loaded is None:
        raise ContractUnavailable("contract_unavailable", _("Chưa ký được hợp đồng lúc này."))
    return loaded


def sign(pdf: bytes) -> bytes:
    """The operator's PAdES signature (ETSI.CAdES.detached, SHA-256) over the whole PDF, added incrementally."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    meta = signers.PdfSignatureMetadata(field_name=SIGNATURE_FIELD, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", reason="Hợp đồng cung cấp dịch vụ di động",
                                        location="Việt Nam", name="MobiFone")
    return signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer()).getvalue()


@dataclass(frozen=True)
class SignatureCheck:
    intact: bool  # the signed bytes are as signed
    valid: bool  # the signature matches them
    trusted: bool  # by the given certificate


def check_signature(pdf: bytes, cert_path: str) -> SignatureCheck:
    """Validate the operator's signature of a contract against its certificate (tests, support)."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    if not reader.embedded_signatures:
        return SignatureCheck(False, False, False)
    context = ValidationContext(trust_roots=[load_cert_from_pemder(cert_path)])
    status = validate_pdf_signature(reader.embedded_signatures[0], context)
    return SignatureCheck(bool(status.intact), bool(status.valid), bool(status.trusted))


def ensure_development_certificate(cert_path: str | Path, key_path: str | Path) -> bool:
    """Create a self-signed RSA-2048 certificate and key (PEM, key 0600) if either file is missing: development
    and tests only. Returns whether it created them."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    cert_path, key_path = Path(cert_path), Path(key_path)
    if cert_path.is_file() and key_path.is_file():
        return False
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "MobiFone (môi trường phát triển)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "Chọn số Online — ký hợp đồng (phát triển)")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return True
