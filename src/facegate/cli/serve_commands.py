"""`facegate serve` (the REST service) and `facegate key` (its API keys)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from facegate.cli import maintenance_commands
from facegate.cli.common import JsonOption, open_gate, reporting, show, state
from facegate.cli.output import (
    EXIT_BAD_INPUT,
    cli_lang,
    console,
    emit_json,
    err_console,
    say,
    shown_time,
    term,
)
from facegate.config import load_settings
from facegate.engine import EngineConfig
from facegate.messages import t
from facegate.service import Gate, access

key_app = typer.Typer(help="API keys of the REST service: shown once, stored as a hash.")


def run_server(
    gate: Gate,
    *,
    host: str,
    port: int,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    workers: int = 0,
    queue: int = -1,
    engine: EngineConfig | None = None,
) -> None:
    """Serve the REST API on host:port (HTTPS with a certificate and key) until interrupted.

    Face work runs in ``workers`` processes (0: one per core) with at most ``queue`` photos
    waiting (-1: twice the workers); beyond that a request gets 503 ``engine_busy``."""
    import uvicorn

    from facegate.api import ApiSettings, create_app
    from facegate.api.logs import configure_logging
    from facegate.engine.pool import FacePool

    if (tls_cert is None) != (tls_key is None):
        line = t("cli.serve.tls_pair", cli_lang())
        err_console.print(line, style="red", highlight=False, markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    configure_logging()
    pool = FacePool(engine, workers=workers, queue=None if queue < 0 else queue)
    gate.use_engine(pool)
    app = create_app(gate, ApiSettings.from_env())
    scheme = "https" if tls_cert else "http"
    logging.getLogger("facegate.api").info(
        f"serving on {scheme}://{host}:{port}", extra={"event": "serve", "host": host, "port": port}
    )
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            ssl_certfile=str(tls_cert) if tls_cert else None,
            ssl_keyfile=str(tls_key) if tls_key else None,
            access_log=False,  # uvicorn's would log raw paths; ours logs route templates
            log_level="warning",
            server_header=False,
        )
    finally:
        pool.close()


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", help="PEM certificate: serve HTTPS.")
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option("--tls-key", help="PEM private key of the certificate.")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Face worker processes (default: face_workers, or one per core)."),
    ] = None,
) -> None:
    """Serve the REST API (OpenAPI at /docs). Rate limits and lockout: FACEGATE_API_*."""
    with reporting(False):
        settings = load_settings(state(ctx).data_dir)
        gate = Gate.open(settings)
    try:
        run_server(
            gate,
            host=host,
            port=port,
            tls_cert=tls_cert,
            tls_key=tls_key,
            workers=settings.face_workers if workers is None else workers,
            queue=settings.face_queue,
            engine=settings.engine,
        )
    finally:
        gate.close()


@key_app.command("create")
def key_create(
    ctx: typer.Context,
    role: Annotated[str, typer.Option(help="admin, dpo, operator, device or subject.")],
    device: Annotated[str | None, typer.Option(help="The device (for a device key).")] = None,
    subject: Annotated[str | None, typer.Option(help="The subject (for a subject key).")] = None,
    label: Annotated[str, typer.Option(help="A note for whoever lists the keys.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Issue a key. It is printed once and stored only as a hash."""
    with reporting(as_json):
        gate = open_gate(ctx)
        issued = access.issue_key(
            gate.ctx, role, device_id=device, subject_id=subject, label=label, actor="cli"
        )
        show(
            {
                "id": issued.id,
                "role": issued.role,
                "device_id": issued.device_id,
                "subject_id": issued.subject_id,
                "token": issued.token,
            },
            as_json,
            say("cli.key.issued", id=issued.id, role=term("common.role.", issued.role))
            + f"\n{issued.token}",
        )


@key_app.command("revoke")
def key_revoke(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="The key id (the part after fgk_).")],
    as_json: JsonOption = False,
) -> None:
    """Revoke a key at once."""
    with reporting(as_json):
        row = access.revoke_key(open_gate(ctx).ctx, key_id, actor="cli")
        show(access.key_view(row), as_json, say("cli.key.revoked", id=row.id))


@key_app.command("list")
def key_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every key, without secrets."""
    with reporting(as_json):
        gate = open_gate(ctx)
        rows = [access.key_view(r) for r in access.list_keys(gate.ctx)]
        if as_json:
            emit_json({"keys": rows})
            return
        table = Table()
        for column in ("id", "role", "scope", "label", "last_used", "revoked"):
            table.add_column(say(f"cli.key.column.{column}"))
        zone = gate.ctx.time_zone
        for row in rows:
            scope = row["device_id"] or row["subject_id"] or ""
            table.add_row(
                row["id"],
                term("common.role.", row["role"]),
                scope,
                row["label"],
                shown_time(row["last_used_at"], zone) if row["last_used_at"] else "",
                shown_time(row["revoked_at"], zone) if row["revoked_at"] else "",
            )
        console.print(table)


key_app.command("rotate-master")(maintenance_commands.rotate_master)
