"""Staff's view of dossiers (/dossiers): the region's list by status, one dossier with its photos (zoom, rotate),
the eKYC scores and cross-checks side by side, and its timeline. Agents and the connection team of the dossier's
region (supervisors and admins of the region, head office everywhere); another region's dossier or photo is a 404
with an audit row; every look at a dossier or a photo is audited (checklist 11, 12, 33)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _

from portal.core.access import allow, get_in_region_or_404
from portal.core.roles import Role
from portal.dossiers import lifecycle, queries
from portal.dossiers.models import Dossier, DossierMedia, DossierStatus, EkycRun, PhotoKind
from portal.dossiers.validation import FIELD_LABELS
from portal.extensions import db
from portal.media.crypto import DecryptError
from portal.media.storage import MediaNotFound, storage

bp = Blueprint("dossier_staff", __name__, url_prefix="/dossiers")
# Those who need to see the ID photos: the video-call agents and the connection team, and their overseers.
STAFF_ROLES = frozenset({Role.AGENT, Role.CONNECTION, Role.SUPERVISOR, Role.ADMIN})
STAFF = tuple(STAFF_ROLES)
CROSS_FIELDS = ("id_number", "full_name", "birth_date", "gender")


@bp.get("/")
@allow(*STAFF)
def index():
    """The region's dossiers, newest activity first; by status, hold code or phone."""
    status = next((s for s in DossierStatus if s.value == request.args.get("status")), None)
    q = (request.args.get("q") or "").strip()[:40]
    return render_template("dossiers/staff/index.html", dossiers=queries.region_dossiers(status, q), status=status,
                           q=q, statuses=list(DossierStatus), counts=queries.status_counts())


@dataclass(frozen=True)
class CrossCheck:
    """One field: as declared on the dossier, as the card says (its chip QR, or the provider's OCR), agreeing?"""

    label: str
    declared: str
    on_card: str | None
    agrees: bool | None


def cross_checks(dossier: Dossier, run: EkycRun | None) -> tuple[str, list[CrossCheck]]:
    """What the card said (source label) against what was declared, field by field."""
    source = next((c for c in (run.checks if run else []) if c.name in ("qr", "card") and c.details.get("card")),
                  None)
    card = source.details["card"] if source else {}
    wrong = set(source.details.get("mismatches", [])) if source else set()
    rows = []
    for name in CROSS_FIELDS:
        declared = getattr(dossier, name)
        shown = declared.label if hasattr(declared, "label") else (
            declared.strftime("%d/%m/%Y") if name == "birth_date" else str(declared))
        on_card = card.get(name)
        if name == "gender" and on_card:
            on_card = {"male": _("Nam"), "female": _("Nữ")}.get(on_card, on_card)
        elif name == "birth_date" and on_card:
            on_card = "/".join(reversed(on_card.split("-")))
        label = str(FIELD_LABELS[name])
        agrees = None if not source else name not in wrong
        rows.append(CrossCheck(label[:1].upper() + label[1:], shown, on_card, agrees))
    return (source.label if source else ""), rows


@bp.get("/<int:dossier_id>")
@allow(*STAFF)
def detail(dossier_id: int):
    dossier = get_in_region_or_404(Dossier, dossier_id)
    lifecycle.audit_view(dossier, "view")
    run = queries.last_run(dossier)
    source, rows = cross_checks(dossier, run)
    return render_template("dossiers/staff/detail.html", dossier=dossier, run=run, cross_source=source,
                           cross=rows, timeline=queries.timeline(dossier), kinds=list(PhotoKind),
                           runs=queries.runs(dossier))


@bp.get("/<int:dossier_id>/anh/<int:media_id>")
@allow(*STAFF)
def photo(dossier_id: int, media_id: int):
    """One ID photo or portrait, decrypted for this response only: never cached, never sniffed, audited."""
    dossier = get_in_region_or_404(Dossier, dossier_id)
    media = db.session.get(DossierMedia, media_id)
    if media is None or media.dossier_id != dossier.id or not media.is_current:
        abort(404)
    try:
        data = storage().get(media.storage_name)
    except (MediaNotFound, DecryptError):
        abort(404)
    lifecycle.audit_view(dossier, "photo_view", kind=media.kind.value, media_id=media.id)
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = f'inline; filename="{media.kind.value}.jpg"'
    return response
