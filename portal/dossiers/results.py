"""mSale's results (ACT-12..16, ESIM-11..18), as named moves the connections domain calls (its push job, its
signed callback, its polling): connected, refused, an eSIM's activation code issued, and the customer's word on
scanning it. Each is idempotent — the same result again is a no-op returning False — because callbacks and polls
repeat; a result for a dossier not waiting for it is refused (``Conflict``). Re-exported by ``lifecycle``."""
from __future__ import annotations

from flask_babel import gettext as _

from portal.core.actors import Actor
from portal.core.errors import Conflict, Invalid
from portal.core.time import utcnow
from portal.dossiers.models import WAITING_FOR_MSALE, Dossier, DossierStatus, StepAction
from portal.dossiers.moves import move, step


def _reason(text: str) -> str:
    return " ".join((text or "").split())[:500]


def _not_waiting(dossier: Dossier) -> Conflict:
    return Conflict("not_approved", _("Hồ sơ ở trạng thái “%(s)s”: không chờ kết quả hòa mạng.",
                                      s=dossier.status_label))


def connected(dossier: Dossier, actor: Actor | None, msale_ref: str) -> bool:
    """ACT-13/14 (ESIM-15 through ``qr_scanned``): mSale connected the subscriber → Đã hòa mạng."""
    msale_ref = (msale_ref or "").strip()[:64]
    if dossier.status == DossierStatus.CONNECTED and msale_ref in ("", dossier.msale_ref):
        return False
    if dossier.status not in WAITING_FOR_MSALE:
        raise _not_waiting(dossier)
    move(dossier, DossierStatus.CONNECTED, actor, _("Đã hòa mạng"), msale_ref=msale_ref or dossier.msale_ref,
         last_reason="", ended_at=utcnow())
    step(dossier, StepAction.CONNECTED, actor, dossier.step_id("ACT-14", "ESIM-15"), msale_ref)
    return True


def connection_refused(dossier: Dossier, actor: Actor | None, reason: str) -> bool:
    """ACT-16, ESIM-18: mSale refused (or the QR scan failed) → Từ chối hòa mạng with the reason; the customer may
    update and resubmit (``signing.start_again``)."""
    reason = _reason(reason)
    if not reason:
        raise Invalid("reason_required", _("Vui lòng nêu lý do từ chối hòa mạng."))
    if dossier.status == DossierStatus.CONNECTION_REFUSED and dossier.last_reason == reason:
        return False
    if dossier.status not in WAITING_FOR_MSALE:
        raise _not_waiting(dossier)
    move(dossier, DossierStatus.CONNECTION_REFUSED, actor, reason, last_reason=reason)
    step(dossier, StepAction.CONNECTION_REFUSED, actor, dossier.step_id("ACT-16", "ESIM-18"), reason)
    return True


def qr_issued(dossier: Dossier, actor: Actor | None, activation_code: str) -> bool:
    """ESIM-12/13: mSale gave the eSIM's activation code (``LPA:1$<SM-DP+>$<matching id>``) → Chờ quét mã QR."""
    code = (activation_code or "").strip()[:255]
    if not code:
        raise Invalid("activation_code_required", _("Thiếu mã kích hoạt eSIM."))
    if dossier.status == DossierStatus.QR_ISSUED and dossier.activation_code == code:
        return False
    if not dossier.is_esim:
        raise Conflict("not_esim", _("Hồ sơ SIM vật lý không có mã QR eSIM."))
    if dossier.status != DossierStatus.APPROVED:
        raise _not_waiting(dossier)
    move(dossier, DossierStatus.QR_ISSUED, actor, _("mSale cấp mã QR eSIM"), activation_code=code)
    step(dossier, StepAction.QR_ISSUED, actor, "ESIM-13")
    return True


def qr_scanned(dossier: Dossier, customer: Actor, ok: bool, reason: str = "") -> bool:
    """ESIM-14..18: "Quét mã QR thành công" → Đã hòa mạng; "Quét mã QR thất bại" → Từ chối hòa mạng with the
    customer's reason."""
    if dossier.status == DossierStatus.CONNECTED and ok:
        return False
    if not ok and dossier.status == DossierStatus.CONNECTION_REFUSED and dossier.last_reason == _reason(reason):
        return False
    if dossier.status != DossierStatus.QR_ISSUED:
        raise Conflict("not_qr_issued", _("Hồ sơ ở trạng thái “%(s)s”: không chờ quét mã QR.",
                                          s=dossier.status_label))
    if ok:
        return connected(dossier, customer, dossier.msale_ref or "")
    if not _reason(reason):
        raise Invalid("reason_required", _("Vui lòng cho biết lý do quét mã QR thất bại."))
    return connection_refused(dossier, customer, reason)
