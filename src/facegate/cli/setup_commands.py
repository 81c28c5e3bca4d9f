"""`facegate init`: a data directory with its configuration, master key and database."""

from __future__ import annotations

from typing import Annotated

import typer

from facegate.cli.common import JsonOption, open_gate, reporting, show, state
from facegate.cli.output import say
from facegate.config import CONFIG_FILE, load_settings, write_config
from facegate.private_files import private_directory


def init(
    ctx: typer.Context,
    role: Annotated[
        str | None,
        typer.Option(
            help="standalone (the default: one box, the device itself), control (a control "
            "plane that never holds a face of an on_device deployment) or edge (see `facegate "
            "edge`). An existing data directory keeps its role."
        ),
    ] = None,
    abandon_data: Annotated[
        bool,
        typer.Option(
            "--abandon-data",
            help="The master key is lost for good: create a new one and destroy what was "
            "sealed under the old (templates, identities). Never needed on a new directory.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Create the data directory (0700): facegate.toml (commented), master.key (0600), the
    deletion journal, the database. Refuses to make a new key for a database that holds data
    sealed under another."""
    with reporting(as_json):
        settings = load_settings(state(ctx).data_dir)
        private_directory(settings.data_dir)
        config = settings.data_dir / CONFIG_FILE
        write_config(settings.data_dir, role or settings.role)
        gate = open_gate(ctx, create=True, abandon_data=abandon_data)
        gate.close()
        show(
            {
                "data_dir": str(settings.data_dir),
                "role": load_settings(settings.data_dir).role,
                "config": str(config),
                "key_file": str(settings.resolved_key_file),
                "database": settings.shown_database_url,
            },
            as_json,
            "\n  ".join(
                (
                    say("cli.init.done", data_dir=settings.data_dir),
                    say("cli.init.config", path=config),
                    say("cli.init.key", path=settings.resolved_key_file),
                    say("cli.init.database", url=settings.shown_database_url),
                )
            ),
        )
