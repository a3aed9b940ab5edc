"""``flask --app wsgi partners create --name NAME`` (prints the key once), ``partners list``, ``partners revoke``.

Commands of the blueprint's own CLI group, so the app registers them with the blueprint.
"""
from __future__ import annotations

import click
from sqlalchemy import select

from portal.core.errors import PortalError
from portal.extensions import db
from portal.partners import bp
from portal.partners import services as partners
from portal.partners.models import Partner

bp.cli.help = "Partner API keys (sales channels)."


@bp.cli.command("create")
@click.option("--name", required=True, help="The sales channel's name, unique.")
def create_partner_command(name: str) -> None:
    """Create a partner; its API key is printed once and cannot be shown again."""
    try:
        partner, key = partners.create_partner(name)
    except PortalError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.code}: {exc.message}") from None
    db.session.commit()
    click.echo(f"created partner {partner.id} ({partner.name}), channel {partner.channel}", err=True)
    click.echo("API key (shown once, store it now):", err=True)
    click.echo(key)  # alone on standard output, so that scripts can capture it


@bp.cli.command("list")
def list_partners_command() -> None:
    """Partners with their key prefix and status (never the key)."""
    for partner in db.session.scalars(select(Partner).order_by(Partner.id)):
        click.echo(f"{partner.id:>4}  {partner.key_prefix}…  {partner.status.value:<8}  {partner.name}")


@bp.cli.command("revoke")
@click.option("--id", "partner_id", required=True, type=int)
@click.option("--reason", default="")
def revoke_partner_command(partner_id: int, reason: str) -> None:
    """Revoke a partner's key at once."""
    partner = db.session.get(Partner, partner_id)
    if partner is None:
        raise click.ClickException(f"no partner {partner_id}")
    try:
        partners.revoke_partner(partner, None, reason)
    except PortalError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.code}: {exc.message}") from None
    db.session.commit()
    click.echo(f"revoked partner {partner.id} ({partner.name})")
