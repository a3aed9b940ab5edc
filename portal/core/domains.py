"""Domains register themselves: ``create_app`` reads one list of domain packages (``portal.DOMAINS``) and each
package declares in its ``__init__.py`` what it brings, as ``DOMAIN``::

    bp = Blueprint("holds", __name__, url_prefix="/holds")

    from portal.holds import models, views  # noqa: E402,F401  (models: the metadata sees every table)

    DOMAIN = Domain(blueprints=(bp,), nav=(NavItem(40, "holds.index", _l("Phiếu giữ số"), STAFF, …),))

A new domain is its package with a ``DOMAIN``, one line in ``portal.DOMAINS`` and its layer in ``.importlinter``.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import click
from flask import Blueprint, Flask, current_app
from flask_socketio import Namespace, SocketIO

from portal.core.nav import NAV_KEY, NavItem

REFERENCE_DATA_KEY = "portal.reference_data"


@dataclass(frozen=True)
class Domain:
    """What one domain package brings to the app."""

    blueprints: tuple[Blueprint, ...] = ()
    namespaces: tuple[Namespace, ...] = ()  # Socket.IO namespaces
    nav: tuple[NavItem, ...] = ()  # staff menu entries and home cards
    commands: tuple[click.Command, ...] = ()  # flask CLI commands (a blueprint's own ``bp.cli`` comes with it)
    reference_data: Callable[[], None] | None = None  # inserts the rows every database needs (idempotent)


def load(names: Iterable[str]) -> list[Domain]:
    """Import each domain package (its models and views with it) and read its ``DOMAIN``."""
    return [importlib.import_module(name).DOMAIN for name in names]


def add_namespaces(socketio: SocketIO, namespaces: Iterable[Namespace]) -> None:
    """Register each namespace once per process (SocketIO keeps them for every later ``init_app``)."""
    known = {handler.namespace for handler in socketio.namespace_handlers}
    for namespace in namespaces:
        if namespace.namespace not in known:
            socketio.on_namespace(namespace)


def install(app: Flask, domains: Iterable[Domain]) -> None:
    """Blueprints, commands, the staff navigation and the reference data of every domain, in the list's order."""
    domains = list(domains)
    for domain in domains:
        for bp in domain.blueprints:
            app.register_blueprint(bp)
        for command in domain.commands:
            app.cli.add_command(command)
    app.extensions[NAV_KEY] = sorted((item for d in domains for item in d.nav), key=lambda item: item.order)
    app.extensions[REFERENCE_DATA_KEY] = [d.reference_data for d in domains if d.reference_data]


def ensure_reference_data() -> None:
    """Insert the reference rows of every domain that are missing (regions, stores, offers…); idempotent."""
    for insert in current_app.extensions[REFERENCE_DATA_KEY]:
        insert()
