"""Message templates: the SMS and e-mails the portal sends, each declared by its domain with a default text and its
placeholders (``registry``), rendered in a sandbox with the admins' text when there is one (``rendering``), and the
admins' pages to change, preview and reset them (/admin/messages)."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.domains import Domain
from portal.core.nav import ADMINS, NavItem

bp = Blueprint("messages", __name__, url_prefix="/admin/messages")

from portal.messages import models, views  # noqa: E402,F401

DOMAIN = Domain(blueprints=(bp,), nav=(
    NavItem(127, "messages.index", _l("Mẫu tin nhắn và e-mail"), ADMINS,
            _l("Nội dung SMS và e-mail gửi khách: sửa, xem trước với dữ liệu mẫu, trả về mặc định."), "chat",
            in_menu=False),
))
