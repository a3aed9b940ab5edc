from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp, ValidationError

from portal.core.editing import VersionField
from portal.core.forms import PortalForm, QueryForm
from portal.numbers.classes import CLASS_LABELS, DEFAULT_PRICE_TIERS
from portal.numbers.importer import parse_price
from portal.numbers.models import NUMBER_STATUS_LABELS, NumberStatus
from portal.numbers.patterns import PatternError, digits_only, parse_pattern
from portal.numbers.search import SORTS

SORT_LABELS = {
    "price": _l("Giá tăng dần"),
    "price_desc": _l("Giá giảm dần"),
    "beauty": _l("Đẹp nhất trước"),
    "number": _l("Theo số"),
}


def _price(form, field) -> None:
    try:
        field.parsed = parse_price(field.data or "")
    except ValueError:
        raise ValidationError(_l("Nhập số tiền VND, ví dụ 1500000 hoặc 1.500.000.")) from None


class VndField(StringField):
    """An amount in VND as people type it ("1.500.000"); ``parsed`` is the number once validated."""

    parsed: int | None = None

    def process_data(self, value) -> None:
        self.data = f"{value:,}".replace(",", ".") if isinstance(value, int) else value  # as people write it


def price_field(label) -> VndField:
    """A required amount in VND."""
    return VndField(label, validators=[DataRequired(_l("Vui lòng nhập giá.")), Length(max=20), _price])


def _pattern(form, field) -> None:
    if field.data:
        try:
            parse_pattern(field.data)
        except PatternError as exc:
            raise ValidationError(str(exc)) from None


def _digits(form, field) -> None:
    try:
        digits_only(field.data or "")
    except PatternError as exc:
        raise ValidationError(str(exc)) from None


def _choice(values, message) -> list:
    """Blank (or absent) means "any"; otherwise one of ``values``, with our own message (WTForms' is English)."""
    return [Optional(), AnyOf(list(values), message=message)]


class InventorySearchForm(QueryForm):
    """The inventory page's filters (GET): the fields of the search API, plus status."""

    pattern = StringField(_l("Mẫu số"), validators=[_pattern], description=_l("* là dãy bất kỳ, x là một chữ số"))
    prefix = StringField(_l("Bắt đầu bằng"), validators=[_digits])
    contains = StringField(_l("Có chứa"), validators=[_digits])
    ends_with = StringField(_l("Kết thúc bằng"), validators=[_digits])
    avoid = StringField(_l("Tránh chữ số"), validators=[_digits])
    number_class = SelectField(_l("Loại số"), choices=[("", _l("Tất cả"))] + list(CLASS_LABELS.items()),
                               validate_choice=False,
                               validators=_choice(CLASS_LABELS, _l("Loại số không hợp lệ.")))
    min_price = StringField(_l("Giá từ"), validators=[_price])
    max_price = StringField(_l("Giá đến"), validators=[_price])
    status = SelectField(_l("Trạng thái"),
                         choices=[("", _l("Tất cả"))] + [(s.value, NUMBER_STATUS_LABELS[s]) for s in NumberStatus],
                         validate_choice=False,
                         validators=_choice(NumberStatus, _l("Trạng thái không hợp lệ.")))
    sort = SelectField(_l("Sắp xếp"), choices=list(SORT_LABELS.items()), default="price", validate_choice=False,
                       validators=_choice(SORTS, _l("Kiểu sắp xếp không hợp lệ.")))


class UploadForm(PortalForm):
    file = FileField(_l("Tệp CSV"), validators=[
        FileRequired(_l("Vui lòng chọn tệp CSV.")),
        FileAllowed(["csv", "txt"], _l("Chỉ nhận tệp .csv hoặc .txt.")),
    ])


class ImportTokenForm(PortalForm):
    """Confirm (or discard) an uploaded file: the token names it; it belongs to whoever uploaded it."""

    token = HiddenField(validators=[DataRequired(), Regexp(r"\A[0-9a-f]{32}\Z")])


class PriceTierForm(PortalForm):
    version = VersionField()  # of the class's tier; 0: its default price, no tier yet
    number_class = HiddenField(validators=[DataRequired(_l("Loại số không hợp lệ.")),
                                           AnyOf(list(DEFAULT_PRICE_TIERS), message=_l("Loại số không hợp lệ."))])
    price = price_field(_l("Giá mới (VND)"))
