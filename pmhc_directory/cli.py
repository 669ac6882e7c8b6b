"""Command line: thin click commands over the services (spec/api.md 1).

Use ``flask --app pmhc_directory <command>`` or the ``pmhc`` console script, which adds
``--instance DIR`` (the same as ``PMHC_INSTANCE_PATH``). Commands commit once, at the end; a
failure rolls everything back and exits non-zero with a message, never a traceback.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.orm import Session

from .db import get_database, get_session
from .hsds.readers import FORMAT_NAMES, READERS

SEED_DIR = Path(__file__).resolve().parent.parent / "seed" / "demo"


def init_app(app: Flask) -> None:
    for command in (
        init_db_command,
        seed_command,
        import_command,
        export_command,
        create_user_command,
        sign_out_command,
        geography_group,
        gaps_group,
        demo_command,
        reindex_command,
        staffing_command,
        tokens_group,
        geocode_missing_command,
        outcomes_group,
        backup_command,
        restore_command,
    ):
        app.cli.add_command(command)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """The command's session: committed when the block succeeds, rolled back otherwise."""
    session = get_session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def fail(message: str) -> None:
    raise click.ClickException(message)


@contextmanager
def progress_bar(label: str, length: int | None = None) -> Iterator[Callable[[int], None]]:
    """A click progress bar on stderr; yields ``advance(n)``. Silent when stderr is no terminal."""
    with click.progressbar(length=length, label=label, file=sys.stderr, show_pos=True) as bar:  # type: ignore[var-annotated]
        yield bar.update


def ensure_schema() -> None:
    """Create or upgrade the schema and write the reference data (taxonomy, national lines)."""
    from .schema import upgrade
    from .services.reference_data import load_reference_data

    upgrade(get_database().engine)
    with unit_of_work() as session:
        load_reference_data(session)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema and load the PMHC taxonomy and national lines."""
    ensure_schema()
    click.echo(f"Database ready: {_safe_url()}")


def _safe_url() -> str:
    from sqlalchemy import make_url

    return make_url(current_app.config["DATABASE_URL"]).render_as_string(hide_password=True)


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Load the fictional demo jurisdiction (seed/demo) through the normal import code."""
    from .services.seed import load_demo

    with unit_of_work() as session:
        summary = load_demo(session, SEED_DIR, progress=progress_bar)
    click.echo(summary)


EXPORT_FORMATS = ["hsds-json", "hsds-ndjson", "hsds-csv"]
_ROW_READERS = ", ".join(reader.name for reader in READERS if reader.takes_log)


@click.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(FORMAT_NAMES), default="hsds-json", show_default=True
)
@click.option(
    "--taxonomy-map",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV mapping external codes to PMHC service types (hsds1-csv and samhsa-csv).",
)
@click.option("--dry-run", is_flag=True, help="Check and report what would change; write nothing.")
@click.option(
    "--on-error",
    type=click.Choice(["fail", "skip"]),
    default="fail",
    show_default=True,
    help="fail: import nothing when anything is wrong. skip: import what is sound, drop or "
    "skip only what is not, flag what needs a person. "
    + _ROW_READERS
    + " readers also handle each bad row themselves (the report names file, row and column).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write every problem to this CSV file (file,row,record_id,field,severity,problem,action).",
)
@with_appcontext
def import_command(
    path: Path,
    fmt: str,
    taxonomy_map: Path | None,
    dry_run: bool,
    on_error: str,
    report_path: Path | None,
) -> None:
    """Import services from PATH (upsert by id; all or nothing unless --on-error skip)."""
    from .services.imports import ImportFailed, import_file, write_report

    session = get_session()
    limit_mb = current_app.config.get("IMPORT_MAX_UNZIPPED_MB")
    try:
        summary = import_file(
            session,
            path,
            fmt=fmt,
            progress=progress_bar,
            taxonomy_map=taxonomy_map,
            on_error=on_error,
            max_unzipped_bytes=int(limit_mb * 1024 * 1024) if limit_mb else None,
        )
    except ImportFailed as exc:
        session.rollback()
        _write_import_report(report_path, exc.errors, write_report)
        click.echo(exc.report(limit=SHOWN_PROBLEMS), err=True)
        if report_path is None and len(exc.errors) > SHOWN_PROBLEMS:
            click.echo("Write every problem to a CSV file with --report FILE.", err=True)
        fail(f"Import failed: {len(exc.errors)} error(s); nothing was changed.")
        return
    problems = summary.report_issues()
    _write_import_report(report_path, problems, write_report)
    for issue in problems[:SHOWN_PROBLEMS]:
        click.echo(f"{issue.action}: {issue}", err=True)
    if len(problems) > SHOWN_PROBLEMS:
        more = len(problems) - SHOWN_PROBLEMS
        where = f"all are in {report_path}" if report_path else "write them all with --report FILE"
        click.echo(f"... and {more} more problem(s); {where}", err=True)
    elif problems and report_path:
        click.echo(f"The problems are also in {report_path}", err=True)
    if dry_run:
        session.rollback()
        click.echo(f"Dry run, nothing written. Would have: {summary}")
        return
    imported = summary.created + summary.updated + summary.unchanged
    if imported == 0 and problems:
        session.rollback()
        fail("Import failed: no service could be imported; nothing was changed.")
        return
    session.commit()
    click.echo(f"Imported: {summary}")


#: Problems listed on screen; the rest are in the --report file.
SHOWN_PROBLEMS = 20


def _write_import_report(path: Path | None, issues: Any, write: Any) -> None:
    if path is None:
        return
    try:
        with path.open("w", encoding="utf-8", newline="") as handle:
            count = write(handle, issues)
    except OSError as exc:
        click.echo(f"Could not write the report to {path}: {exc.strerror or exc}", err=True)
        return
    click.echo(f"Report: {count} problem(s) written to {path}", err=True)


@click.command("export")
@click.argument("path", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True)
@with_appcontext
def export_command(path: Path, fmt: str) -> None:
    """Export every service to PATH."""
    from .services.exports import ExportFailed, export_file

    try:
        count = export_file(get_session(), path, fmt=fmt, progress=progress_bar)
    except ExportFailed as exc:
        fail(str(exc))
        return
    click.echo(f"Exported {count} services to {path}")


@click.command("create-user")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(["officer", "coordinator", "planner", "admin", "provider"]),
    required=True,
)
@click.option(
    "--organization",
    "organization_id",
    default=None,
    help="Organization id a provider account acts for (required with --role provider).",
)
@with_appcontext
def create_user_command(email: str, role: str, organization_id: str | None) -> None:
    """Create a staff account. Password from PMHC_PASSWORD, else prompted (never echoed)."""
    from .services.accounts import AccountError, create_user

    password = os.environ.get("PMHC_PASSWORD")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with unit_of_work() as session:
            user = create_user(session, email, role, password, organization_id)
    except AccountError as exc:
        fail(exc.message)
        return
    click.echo(f"Created {user.role.value} {user.email}")


@click.command("sign-out")
@click.argument("email")
@with_appcontext
def sign_out_command(email: str) -> None:
    """End every session of a staff account now (lost phone, left the agency, role changed)."""
    from .services.accounts import AccountError, sign_out_everywhere

    try:
        with unit_of_work() as session:
            user = sign_out_everywhere(session, email)
    except AccountError as exc:
        fail(exc.message)
        return
    click.echo(f"Signed out {user.email} everywhere")


@click.group("geography")
def geography_group() -> None:
    """Analysis areas and travel costs for planning."""


@geography_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id-field", default="area_id", show_default=True)
@click.option("--name-field", default="name", show_default=True)
@click.option("--population-field", default="population", show_default=True)
@click.option(
    "--population-csv",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Population per area from a CSV: Census CenPop (its centres become the demand points) "
    "or id and population columns.",
)
@click.option("--centre-lat-field", default=None)
@click.option("--centre-lon-field", default=None)
@with_appcontext
def geography_import_command(
    path: Path,
    id_field: str,
    name_field: str,
    population_field: str,
    population_csv: Path | None,
    centre_lat_field: str | None,
    centre_lon_field: str | None,
) -> None:
    """Import analysis areas from GeoJSON or a shapefile (.shp), all or nothing.

    Other coordinate systems (a GeoJSON crs member, the shapefile's .prj) are reprojected to
    WGS84.
    """
    from .services.geography import GeographyError, import_areas_geojson

    if bool(centre_lat_field) != bool(centre_lon_field):
        fail("Give both --centre-lat-field and --centre-lon-field, or neither.")
    try:
        with unit_of_work() as session:
            count = import_areas_geojson(
                session,
                path,
                id_field=id_field,
                name_field=name_field,
                population_field=population_field,
                centre_lat_field=centre_lat_field,
                centre_lon_field=centre_lon_field,
                population_csv=population_csv,
            )
    except GeographyError as exc:
        fail(f"Geography import failed, nothing was changed: {exc}")
        return
    click.echo(f"Imported {count} analysis areas")


@geography_group.command("costs")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Delete every stored travel time first.")
@with_appcontext
def geography_costs_command(path: Path, replace: bool) -> None:
    """Load a travel-time matrix (CSV: area_id,location_id,minutes), all or nothing."""
    from .services.geography import GeographyError, import_travel_costs_csv

    try:
        with unit_of_work() as session:
            count = import_travel_costs_csv(session, path, replace=replace)
    except GeographyError as exc:
        fail(f"Travel-time import failed, nothing was changed: {exc}")
        return
    click.echo(f"Loaded {count} travel times")


@geography_group.command("boundary")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name-field", default="name", show_default=True)
@with_appcontext
def geography_boundary_command(path: Path, name_field: str) -> None:
    """Replace the jurisdiction boundary with the union of a GeoJSON file's polygons."""
    from .services.geography import GeographyError, import_boundary_geojson

    try:
        with unit_of_work() as session:
            name = import_boundary_geojson(session, path, name_field=name_field)
    except GeographyError as exc:
        fail(f"Boundary import failed, nothing was changed: {exc}")
        return
    click.echo(f"Boundary loaded: {name}")


@geography_group.command("places")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def geography_places_command(path: Path) -> None:
    """Load places, landmarks and address points (CSV: name,kind,lat,lon[,postal_code])."""
    from .services.geography import GeographyError, import_places_csv

    try:
        with unit_of_work() as session:
            count = import_places_csv(session, path)
    except GeographyError as exc:
        fail(f"Places import failed, nothing was changed: {exc}")
        return
    click.echo(f"Imported {count} places and address points")


@geography_group.command("roads")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def geography_roads_command(path: Path) -> None:
    """Build the drive-time road network from an OpenStreetMap extract (.osm.pbf), replacing
    the one in use. Travel times then follow the roads (docs/planners.md)."""
    from .services.roads import OsmReadError, import_road_network

    def report(ways: int) -> None:
        click.echo(f"  {ways:,} ways with a highway tag read", err=True)

    try:
        with unit_of_work() as session:
            row = import_road_network(session, path, progress=report)
    except OsmReadError as exc:
        fail(f"Road network not loaded, nothing was changed: {exc}")
        return
    dated = f", extract dated {row.osm_timestamp}" if row.osm_timestamp else ""
    click.echo(
        f"Road network from {row.source}{dated}: {row.node_count:,} nodes, "
        f"{row.edge_count:,} one-way edges"
    )


@click.group("gaps")
def gaps_group() -> None:
    """Gap analysis for planners (docs/planners.md)."""


@gaps_group.command("report")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--at", "at", default=None, help="ISO 8601 time for coverage (default: now).")
@click.option(
    "--types", "types", default=None, help="Comma-separated service types (default: crisis)."
)
@click.option("--p", "p", default=3, show_default=True, help="Suggested new sites per type.")
@with_appcontext
def gaps_report_command(out: Path, at: str | None, types: str | None, p: int) -> None:
    """Write every planning layer's files (the page's CSV downloads, GeoJSON) and report.html
    to OUT: coverage, areas by gap, week, worst hour, accessibility, need, sites, unmet."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from .services import planning
    from .services.planning_report import write_report

    session = get_session()
    try:
        moment = planning.parse_at(at, ZoneInfo(current_app.config["TIMEZONE"]), datetime.now(UTC))
        codes = planning.parse_types(types)
        sites = planning.parse_sites(p)
        written = write_report(
            session,
            current_app.config,
            out,
            at=moment,
            types=codes,
            p=sites,
            progress=progress_bar,
        )
    except planning.PlanningInputError as exc:
        fail(f"--{exc.field or 'input'}: {exc.message}")
        return
    except planning.NoGeographyError as exc:
        fail(exc.message)
        return
    finally:
        session.rollback()  # reads only
    click.echo(f"Wrote {len(written)} files to {out}")


@click.command("staffing")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def staffing_command(path: Path) -> None:
    """Record provider FTEs (CSV: service_id,core_fte,psychiatrist_fte) for provider ratios."""
    from .services.staffing import StaffingError, import_staffing_csv

    try:
        with unit_of_work() as session:
            count = import_staffing_csv(session, path, user=f"import:{path.name}")
    except StaffingError as exc:
        fail(f"Staffing import failed, nothing was changed: {exc}")
        return
    click.echo(f"Recorded staffing for {count} services")


@click.command("reindex")
@with_appcontext
def reindex_command() -> None:
    """Rebuild this instance's search index from the database (safe while the app runs)."""
    from .search import IndexBusyError, IndexUnavailableError, get_search_index
    from .services.search import reindex

    index = get_search_index()
    session = get_session()
    try:
        count = reindex(session, index, progress=progress_bar)
    except (IndexBusyError, IndexUnavailableError) as exc:
        fail(f"Search index not rebuilt: {exc}")
        return
    finally:
        session.rollback()  # reads only
    click.echo(f"Indexed {count} services in {index.location}")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare the database but do not start a server.")
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Prepare the database with the demo jurisdiction (once) and serve the app."""
    from .services.seed import load_demo, refresh_demo_capacity
    from .services.site import is_demo_loaded

    ensure_schema()
    session = get_session()
    if not is_demo_loaded(session):
        with unit_of_work() as session:
            key = current_app.config.get("OUTCOMES_KEY") or None
            click.echo(load_demo(session, SEED_DIR, progress=progress_bar, key=key))
    else:
        click.echo("Demo data already loaded.")
    session.close()
    # The demo's fictional capacity feed: some figures fresh now, and kept so while serving.
    fresh_hours = float(current_app.config["CAPACITY_FRESH_HOURS"])
    with unit_of_work() as session:
        refresh_demo_capacity(session, SEED_DIR, datetime.now(UTC), fresh_hours)
    if no_serve:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _keep_demo_capacity_fresh(app, fresh_hours)
    # Plain http on loopback: browsers accept Secure cookies from http://localhost only.
    url_host = "localhost" if host in {"127.0.0.1", "localhost"} else host
    click.echo(f"Serving the demo at http://{url_host}:{port}/  (Ctrl+C to stop)")
    # Flask refuses app.run() inside a CLI command; werkzeug's server is the same thing, with
    # the query string (a typed location) kept out of the access log.
    from .serving import serve

    serve(app, host, port)


def _keep_demo_capacity_fresh(app: Flask, fresh_hours: float, every_seconds: float = 600) -> None:
    """While the demo serves, re-report its fictional capacity figures as they age (a daemon
    thread: it ends with the server). Only ``pmhc demo`` starts it; trouble is logged."""
    import logging
    import threading

    from .services.seed import refresh_demo_capacity

    def run() -> None:
        while True:
            time.sleep(every_seconds)
            with app.app_context():
                session = get_database(app).session(write=True)
                try:
                    refresh_demo_capacity(session, SEED_DIR, datetime.now(UTC), fresh_hours)
                    session.commit()
                except Exception:
                    session.rollback()
                    logging.getLogger(__name__).warning(
                        "demo capacity not refreshed", exc_info=True
                    )
                finally:
                    session.close()

    threading.Thread(target=run, name="demo-capacity", daemon=True).start()


@click.group("tokens")
def tokens_group() -> None:
    """Bearer tokens that let providers report capacity (docs/providers.md)."""


def _cli_user() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in some containers
        return "cli"


@tokens_group.command("create")
@click.option("--organization", "organization_id", required=True, help="Organization id.")
@click.option("--label", default=None, help="What the token is for (shown in 'tokens list').")
@with_appcontext
def tokens_create_command(organization_id: str, label: str | None) -> None:
    """Issue a token for one organization's services; prints only the token, once."""
    from .services.tokens import TokenError, create_token

    try:
        with unit_of_work() as session:
            token, plaintext = create_token(session, organization_id, _cli_user(), label)
    except TokenError as exc:
        fail(exc.message)
        return
    click.echo(
        f"Token {token.prefix}... for {token.organization.name}. It is shown only this once: "
        "give it to the provider now; revoke it with 'tokens revoke "
        f"{token.prefix}'.",
        err=True,
    )
    click.echo(plaintext)


@tokens_group.command("list")
@click.option("--organization", "organization_id", default=None, help="Only this organization's.")
@with_appcontext
def tokens_list_command(organization_id: str | None) -> None:
    """List tokens (prefix, id, organization, label, dates), newest first. Never the tokens."""
    from .services.tokens import TokenError, list_tokens

    session = get_session()
    try:
        tokens = list_tokens(session, organization_id)
    except TokenError as exc:
        fail(exc.message)
        return
    finally:
        session.rollback()  # reads only
    if not tokens:
        click.echo("No tokens.")
        return
    for token in tokens:
        status = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}Z" if token.revoked_at else "live"
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}Z" if token.last_used_at else "never"
        click.echo(
            f"{token.prefix}  {token.id}  {status}  org={token.organization.name!r} "
            f"({token.organization_id})  label={token.label or ''!r}  "
            f"created={token.created_at:%Y-%m-%d} by {token.created_by}  last used={used}"
        )


@tokens_group.command("revoke")
@click.argument("token_id_or_prefix")
@with_appcontext
def tokens_revoke_command(token_id_or_prefix: str) -> None:
    """Revoke a token by its prefix or id; it stops working at once."""
    from .services.tokens import TokenError, revoke_token

    try:
        with unit_of_work() as session:
            token, changed = revoke_token(session, token_id_or_prefix, _cli_user())
    except TokenError as exc:
        fail(exc.message)
        return
    if changed:
        click.echo(f"Revoked {token.prefix} ({token.id}).")
    else:
        click.echo(f"{token.prefix} ({token.id}) was already revoked.")


@click.group("outcomes")
def outcomes_group() -> None:
    """The de-identified encounter log: aggregate export and retention purge (docs/outcomes.md)."""


def _iso_date(_ctx: Any, param: click.Parameter, value: str | None) -> Any:
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD).", param=param) from None


@outcomes_group.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--since", default=None, callback=_iso_date, help="First day (YYYY-MM-DD).")
@click.option("--until", default=None, callback=_iso_date, help="Last day (YYYY-MM-DD).")
@with_appcontext
def outcomes_export_command(path: Path, since: Any, until: Any) -> None:
    """Write suppressed monthly aggregates (month x area x disposition) as CSV; no encounters."""
    from . import csv_safe
    from .services.outcomes import EXPORT_FIELDS, export_rows

    if since and until and since > until:
        fail("--since must not be after --until.")
    session = get_session()
    try:
        rows = export_rows(session, since, until, int(current_app.config["OUTCOMES_MIN_CELL"]))
    finally:
        session.rollback()  # reads only
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv_safe.dict_writer(handle, EXPORT_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    click.echo(f"Wrote {len(rows)} aggregate rows to {path}.")


@outcomes_group.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@with_appcontext
def outcomes_purge_command(dry_run: bool) -> None:
    """Delete encounters older than OUTCOMES_RETENTION_DAYS (with their follow-ups)."""
    from datetime import UTC, datetime

    from .services.outcomes import purge

    days = int(current_app.config["OUTCOMES_RETENTION_DAYS"])
    today = datetime.now(UTC).date()
    with unit_of_work() as session:
        count = purge(session, today, days, dry_run)
    verb = "would be deleted" if dry_run else "deleted"
    click.echo(f"{count} encounters older than {days} days {verb}.")


@click.command("geocode-missing")
@click.option("--dry-run", is_flag=True, help="Report what would be placed; write nothing.")
@with_appcontext
def geocode_missing_command(dry_run: bool) -> None:
    """Place physical locations that have no coordinates, using the configured geocoder."""
    from datetime import UTC, datetime

    from .services.geocode_missing import geocode_missing
    from .services.lookup import build_geocoder

    with unit_of_work() as session:
        geocoder = build_geocoder(session, current_app.config, datetime.now(UTC).date())
        report = geocode_missing(session, geocoder, dry_run=dry_run, progress=progress_bar)
        if dry_run:
            session.rollback()
    for placed in report.placed:
        note = " (approximate: check it)" if placed.approximate else ""
        click.echo(
            f"placed: {placed.name} | {placed.address} -> {placed.lat:.5f}, {placed.lon:.5f} "
            f"by {placed.source}{note}"
        )
    if report.failed:
        click.echo(f"Could not place {len(report.failed)} location(s); add coordinates by hand:")
        for item in report.failed:
            click.echo(
                f"  not placed: {item.name} | {item.address or '(no address)'} ({item.reason})"
            )
    click.echo(("Dry run, nothing written. " if dry_run else "") + report.summary())


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write a backup of the whole database to PATH (safe while the app runs; docs/backups.md)."""
    from .services.backup import BackupError, backup_database

    try:
        result = backup_database(current_app.config["DATABASE_URL"], path, progress=progress_bar)
    except BackupError as exc:
        fail(str(exc))
        return
    click.echo(f"Backed up the {result.backend} database to {path} ({result.size_bytes} bytes)")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the whole database with the backup in PATH, then rebuild the search index."""
    from .schema import upgrade
    from .search import IndexBusyError, IndexUnavailableError, get_search_index
    from .services.backup import BackupError, check_backup_file, restore_database
    from .services.search import reindex

    url = current_app.config["DATABASE_URL"]
    try:
        check_backup_file(url, path)
    except BackupError as exc:
        fail(str(exc))
        return
    if not yes:
        click.confirm(
            f"Replace everything in {_safe_url()} with the backup {path}?", abort=True, err=True
        )
    database = get_database()
    database.dispose()  # no pooled connection holds the old database open
    try:
        restore_database(url, path, progress=progress_bar)
    except BackupError as exc:
        fail(str(exc))
        return
    database.dispose()
    upgrade(database.engine)  # a backup from an older release gets the current schema
    click.echo(f"Restored {_safe_url()} from {path}")
    index = get_search_index()
    session = get_session()
    try:
        count = reindex(session, index, progress=progress_bar)
    except (IndexBusyError, IndexUnavailableError) as exc:
        click.echo(
            f"The search index was not rebuilt ({exc}); run 'reindex' now. Searches rebuild it "
            "meanwhile when they find it out of step.",
            err=True,
        )
        return
    finally:
        session.rollback()  # reads only
    click.echo(f"Indexed {count} services in {index.location}")


def _create_app_from_cli(*_args: Any, **_kwargs: Any) -> Flask:
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app_from_cli, add_default_commands=False)
@click.option(
    "--instance",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="PMHC_INSTANCE_PATH",
    help="Instance folder (database, search index, config). Same as PMHC_INSTANCE_PATH.",
    is_eager=True,
    expose_value=False,
    callback=lambda _ctx, _param, value: _set_instance(value),
)
def main() -> None:
    """PMHC Directory command line."""


def _set_instance(value: Path | None) -> None:
    if value is not None:
        os.environ["PMHC_INSTANCE_PATH"] = str(value)


if __name__ == "__main__":  # python -m pmhc_directory.cli
    main()
