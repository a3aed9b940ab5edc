"""Back-office inventory pages: search the stock, import a CSV (upload → preview → confirm), price tiers."""
from __future__ import annotations

from pathlib import Path

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from portal.core.access import allow, get_in_region_or_404
from portal.core.audit import audit_now
from portal.core.digits import whole_number
from portal.core.errors import Invalid, NotFound, PortalError
from portal.core.roles import Role
from portal.extensions import db
from portal.numbers import bp, importer, imports
from portal.numbers import index as search_index
from portal.numbers import services as numbers
from portal.numbers.classes import CLASS_LABELS, DEFAULT_PRICE_TIERS, classify
from portal.numbers.formatting import format_vnd
from portal.numbers.forms import ImportTokenForm, InventorySearchForm, PriceTierForm, UploadForm
from portal.numbers.models import NumberImport, NumberStatus, PhoneNumber, PriceTier
from portal.numbers.search import NumberQuery, search_numbers
from portal.numbers.uploads import PendingUploads
from portal.org.services import regions

PER_PAGE = 50
# Which filter a search refusal is about, so that its message shows beside that field.
FIELD_OF_ERROR = {"price_negative": "min_price", "price_range_reversed": "max_price", "bad_class": "number_class",
                  "bad_sort": "sort", "pattern_empty": "pattern", "pattern_too_long": "pattern",
                  "pattern_bad_char": "pattern", "pattern_length": "pattern"}


def _scope() -> int | None:
    """The home region whose numbers the signed-in staff member sees (None: head office sees every region)."""
    return None if current_user.is_head_office else current_user.region_id


def inventory_counts() -> dict:
    """Numbers per status and per class in the staff member's scope, counted in the search index."""
    by_status = dict.fromkeys(NumberStatus, 0)
    by_class: dict[str, dict[str, int]] = {}
    with search_index.lock:
        rows = search_index.current().counts(_scope())
    for (status, number_class), n in rows.items():
        by_status[status] += n
        counts = by_class.setdefault(number_class, {"available": 0, "total": 0})
        counts["total"] += n
        if status == NumberStatus.AVAILABLE:
            counts["available"] += n
    classes = [(code, label, by_class[code]) for code, label in CLASS_LABELS.items() if code in by_class]
    return {"by_status": by_status, "by_class": classes, "total": sum(by_status.values())}


@bp.route("/")
@allow(Role.ADMIN, Role.SUPERVISOR)
def index():
    form = InventorySearchForm(request.args)
    page = request.args.get("page", 1, type=whole_number)
    result, problem = None, None
    if form.validate():
        query = NumberQuery(
            pattern=form.pattern.data or "", prefix=form.prefix.data or "", contains=form.contains.data or "",
            ends_with=form.ends_with.data or "", avoid=form.avoid.data or "", number_class=form.number_class.data or "",
            min_price=form.min_price.parsed, max_price=form.max_price.parsed, sort=form.sort.data or "price",
            status=NumberStatus(form.status.data) if form.status.data else None, page=page, per_page=PER_PAGE,
            region_id=_scope())
        try:
            result = search_numbers(query)
        except Invalid as exc:
            field = FIELD_OF_ERROR.get(exc.code)
            if field:
                form[field].errors = [*form[field].errors, exc.message]
            else:
                problem = exc.message
    return render_template("numbers/index.html", form=form, result=result, problem=problem, page=page,
                           counts=inventory_counts(), regions={r.id: r.code for r in regions()},
                           class_labels=CLASS_LABELS)


@bp.route("/<int:number_id>")
@allow(Role.ADMIN, Role.SUPERVISOR)
def detail(number_id: int):
    """One number: class, price, status, home region and the ticket holding it; another region's is a 404."""
    number = get_in_region_or_404(PhoneNumber, number_id)
    return render_template("numbers/detail.html", number=number, class_labels=CLASS_LABELS,
                           regions={r.id: r.code for r in regions()})


# --- Import ------------------------------------------------------------------------------------------------------

def _uploads() -> PendingUploads:
    directory = current_app.config.get("NUMBERS_IMPORT_DIR") or Path(current_app.instance_path) / "imports"
    return PendingUploads(Path(directory))


def _parse(raw: bytes):
    """The rows of an uploaded file; a regional admin imports numbers of their own region only."""
    regional = not current_user.is_head_office
    return importer.parse_rows(
        importer.text_lines(importer.decode_upload(raw)), max_rows=importer.MAX_ROWS,
        default_region=current_user.region_id if regional else None,
        allowed_regions=frozenset({current_user.region_id}) if regional else None)


def _sample_rows(report: importer.ImportReport) -> list[dict]:
    tiers = numbers.price_tiers()
    sample = []
    for line, new in report.sample:
        number_class = classify(new.number)[0]
        sample.append({"line": line, "number": new.number, "class": CLASS_LABELS[number_class],
                       "region_id": new.region_id, "price": new.price if new.price is not None else tiers[number_class],
                       "custom_price": new.price is not None, "status": new.status})
    return sample


@bp.route("/import")
@allow(Role.ADMIN)
def import_upload():
    return render_template("numbers/import.html", form=UploadForm(), limits=_limits())


def _limits() -> dict:
    return {"mb": importer.MAX_BYTES // (1024 * 1024), "rows": importer.MAX_ROWS}


@bp.route("/import", methods=["POST"])
@allow(Role.ADMIN)
def import_preview():
    form = UploadForm()
    status = 422
    if form.validate_on_submit():
        # MAX_CONTENT_LENGTH is not set app-wide: read one byte past the limit to know the file is too big.
        raw = form.file.data.stream.read(importer.MAX_BYTES + 1)
        if len(raw) > importer.MAX_BYTES:
            form.file.errors.append(_("Tệp lớn hơn %(mb)d MB. Hãy chia nhỏ tệp, hoặc dùng lệnh \"flask numbers "
                                      "import\" cho tệp lớn.", mb=_limits()["mb"]))
            status = 413
        else:
            try:
                report = importer.preview(_parse(raw))
            except Invalid as exc:
                form.file.errors.append(exc.message)
            else:
                token = None
                if report.good:
                    token = _uploads().store(raw, current_user.id, Path(form.file.data.filename or "").name,
                                             rows=report.rows)
                return render_template("numbers/import_preview.html", report=report, sample=_sample_rows(report),
                                       token=token,
                                       regions={r.id: r.code for r in regions()})
    return render_template("numbers/import.html", form=form, limits=_limits()), status


@bp.route("/import/confirm", methods=["POST"])
@allow(Role.ADMIN)
def import_confirm():
    form = ImportTokenForm()
    if not form.validate_on_submit():
        flash(_("Không tìm thấy tệp đã tải lên. Vui lòng tải tệp lên lại."), "danger")
        return redirect(url_for("numbers.import_upload"))
    try:
        with _uploads().claimed(form.token.data, current_user.id) as (raw, info):
            started = imports.start_import(raw, info.get("filename", ""), info.get("rows", 0), current_user,
                                           current_user.region_id)
            db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        if exc.code == "import_not_owner":
            audit_now("numbers.import_refused", detail={"reason": "not_owner"})
        flash(exc.message, "danger")
        return redirect(url_for("numbers.import_upload"))
    return redirect(url_for("numbers.import_progress", import_id=started.id))


@bp.route("/import/<int:import_id>")
@allow(Role.ADMIN)
def import_progress(import_id: int):
    """The import's progress bar (static/js/import-progress.js polls the JSON below), then its errors by line."""
    return render_template("numbers/import_progress.html", job=get_in_region_or_404(NumberImport, import_id))


@bp.route("/import/<int:import_id>/progress")
@allow(Role.ADMIN)
def import_progress_json(import_id: int):
    job = get_in_region_or_404(NumberImport, import_id)
    return jsonify(status=job.status.value, label=job.status.label, total=job.total, done=job.done,
                   percent=job.percent, added=job.added, skipped=job.skipped, error_count=job.error_count,
                   finished=job.finished)


@bp.route("/import/discard", methods=["POST"])
@allow(Role.ADMIN)
def import_discard():
    form = ImportTokenForm()
    if form.validate_on_submit():
        try:
            _uploads().discard(form.token.data, current_user.id)
        except NotFound:
            pass  # already gone: nothing to discard
    flash(_("Đã hủy tệp đã tải lên; kho số không thay đổi."), "info")
    return redirect(url_for("numbers.import_upload"))


# --- Price tiers ---------------------------------------------------------------------------------------------------

def _tier_rows() -> list[dict]:
    current = numbers.price_tiers()
    versions = dict(db.session.execute(select(PriceTier.number_class, PriceTier.version)).tuples().all())
    available = dict(db.session.execute(
        select(PhoneNumber.number_class, func.count()).where(PhoneNumber.status == NumberStatus.AVAILABLE)
        .group_by(PhoneNumber.number_class)).all())
    return [{"code": code, "label": label, "default": DEFAULT_PRICE_TIERS[code], "current": current[code],
             "available": available.get(code, 0), "version": versions.get(code, 0)}
            for code, label in CLASS_LABELS.items()]


def _render_tiers(failed: PriceTierForm | None = None, status: int = 200):
    rows, forms = _tier_rows(), {}
    if failed is not None and failed.number_class.data not in DEFAULT_PRICE_TIERS:
        flash(" ".join(failed.number_class.errors or [_("Loại số không hợp lệ.")]), "danger")
    for row in rows:
        if failed is not None and failed.number_class.data == row["code"]:
            forms[row["code"]] = failed
        else:
            forms[row["code"]] = PriceTierForm(formdata=None, number_class=row["code"], price=row["current"],
                                              version=row["version"])
    return render_template("numbers/price_tiers.html", rows=rows, forms=forms,
                           can_change=current_user.is_head_office), status


@bp.route("/price-tiers")
@allow(Role.ADMIN)
def price_tiers():
    return _render_tiers()


@bp.route("/price-tiers", methods=["POST"])
@allow(Role.ADMIN)
def price_tier_change():
    form = PriceTierForm()
    if not current_user.is_head_office:
        # One price list for the whole company: a regional admin may read it, not change it.
        audit_now("price_tier.refused", detail={"class": str(form.number_class.data)[:16]})
        flash(_("Chỉ quản trị Tổng công ty được đổi bảng giá."), "danger")
        return redirect(url_for("numbers.price_tiers"))
    if form.validate_on_submit():
        try:
            followed = numbers.set_price_tier(form.number_class.data, form.price.parsed, current_user,
                                              form.version.data)
        except PortalError as exc:
            db.session.rollback()
            if exc.code == "stale_edit":  # another admin changed this class's price: the list as it is now
                flash(_("%(m)s Giá bạn nhập cho loại %(label)s: %(price)s.", m=exc.message,
                        label=CLASS_LABELS[form.number_class.data], price=format_vnd(form.price.parsed)), "danger")
                return _render_tiers(status=exc.status)
            form.price.errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Đã đổi giá loại %(label)s thành %(price)s; %(n)s số đang sẵn sàng (không có giá riêng) đã theo "
                    "giá mới.", label=CLASS_LABELS[form.number_class.data], price=format_vnd(form.price.parsed),
                    n=followed), "success")
            return redirect(url_for("numbers.price_tiers"))
    return _render_tiers(form, 422)
