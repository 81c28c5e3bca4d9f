"""`facegate init`: a data directory with its configuration, master key and database."""

from __future__ import annotations

from typing import Annotated

import typer

from facegate.cli.common import JsonOption, open_gate, reporting, show, state
from facegate.config import CONFIG_FILE, load_settings, write_config


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
    as_json: JsonOption = False,
) -> None:
    """Create the data directory: facegate.toml (commented), master.key (0600), the database."""
    with reporting(as_json):
        settings = load_settings(state(ctx).data_dir)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        config = settings.data_dir / CONFIG_FILE
        write_config(settings.data_dir, role or settings.role)
        gate = open_gate(ctx, create=True)
        gate.close()
        show(
            {
                "data_dir": str(settings.data_dir),
                "role": load_settings(settings.data_dir).role,
                "config": str(config),
                "key_file": str(settings.resolved_key_file),
                "database": settings.resolved_database_url,
            },
            as_json,
            f"initialised {settings.data_dir}\n  config   {config}\n"
            f"  key      {settings.resolved_key_file} (mode 0600: keep it safe; losing it "
            f"makes every template unreadable)\n  database {settings.resolved_database_url}",
        )
