"""Number inventory: search, classes, import, price tiers."""
from flask import Blueprint

bp = Blueprint("numbers", __name__, url_prefix="/numbers")


@bp.before_app_request
def _warm_search_index() -> None:
    """A web process builds its search index on its first request, so that no search waits for it."""
    from flask import current_app

    from portal.numbers import index

    if current_app.config["SEARCH_INDEX_WARM_UP"]:
        index.warm_up()

from portal.numbers import views  # noqa: E402,F401
