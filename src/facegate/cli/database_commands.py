"""`facegate db status` and `facegate db upgrade`: the schema of the configured database
(SQLite in the data directory, or ``database_url`` / FACEGATE_DATABASE_URL, e.g. PostgreSQL)."""

from __future__ import annotations

import typer

from facegate.cli.common import JsonOption, reporting, show, state
from facegate.cli.output import say
from facegate.config import load_settings
from facegate.service import maintenance

db_app = typer.Typer(
    help="The database's schema: its revision, and the migrations to run.",
    no_args_is_help=True,
    add_completion=False,
)


@db_app.command("status")
def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The database's schema revision and the migrations' head."""
    with reporting(as_json):
        body = maintenance.schema_status(load_settings(state(ctx).data_dir))
        revision = ", ".join(body["revision"]) or say("cli.db.empty")  # type: ignore[arg-type]
        head = ", ".join(body["head"])  # type: ignore[arg-type]
        verdict = say("cli.db.up_to_date" if body["up_to_date"] else "cli.db.to_run")
        text = say("cli.db.status", revision=revision, head=head, verdict=verdict)
        show(body, as_json, f"{body['database']}\n  {text}")


@db_app.command("upgrade")
def upgrade(
    ctx: typer.Context,
    as_json: JsonOption = False,
) -> None:
    """Run the migrations up to head, in one transaction (facegate also does this when it
    opens; run it as the database's owner when the service's own role may not change the
    schema). Needs no master key."""
    with reporting(as_json):
        body = maintenance.migrate(load_settings(state(ctx).data_dir))
        was = ", ".join(body["was"]) or say("cli.db.empty")  # type: ignore[arg-type]
        now = ", ".join(body["revision"])  # type: ignore[arg-type]
        text = say("cli.db.migrated", was=was, now=now)
        show(body, as_json, f"{body['database']}\n  {text}")
