"""Keeping the reports' cells built (portal.reports.cells): a periodic job, and ``flask reports rebuild``."""
from __future__ import annotations

import logging

import click
from flask.cli import AppGroup

from portal.core.jobs import job, periodic
from portal.reports.base import REPORTS, all_reports
from portal.reports.cells import closed_days, due_days, rebuild, runs

log = logging.getLogger(__name__)
MAX_DAYS_PER_RUN = 62  # per report: a fresh install builds its year over a few runs


@periodic(interval=600)
@job
def refresh_cells() -> dict[str, int]:
    """Build the days no longer live, and rebuild the recent ones gone stale; the days built per report."""
    done: dict[str, int] = {}
    for report in all_reports():
        days = due_days(report)[-MAX_DAYS_PER_RUN:]  # the most recent first when there is a backlog
        for first, last in runs(days):
            rebuild(report, first, last)
        done[report.slug] = len(days)
    if any(done.values()):
        log.info("report cells rebuilt: %s", done)
    return done


reports_cli = AppGroup("reports", help="Supervisor reports.")


@reports_cli.command("rebuild")
@click.option("--days", default=366, show_default=True, help="How many closed days back from yesterday's eve.")
@click.option("--report", "slugs", multiple=True, help="Only this report (repeat); default: all.")
def rebuild_command(days: int, slugs: tuple[str, ...]) -> None:
    """Rebuild the reports' cells of the closed days (the live days are always computed from the source)."""
    unknown = set(slugs) - set(REPORTS)
    if unknown:
        raise click.ClickException(f"unknown report(s): {', '.join(sorted(unknown))}")
    first, last = closed_days(days)
    for report in all_reports():
        if slugs and report.slug not in slugs:
            continue
        rows = rebuild(report, first, last)
        click.echo(f"{report.slug}: {first}..{last}, {rows} cells")
