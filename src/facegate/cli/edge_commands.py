"""`facegate edge`: run an edge node for one device, under a control plane."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from facegate.cli.common import reporting, state
from facegate.cli.output import EXIT_BAD_INPUT, cli_lang, err_console, error_line, say
from facegate.cli.serve_commands import run_server
from facegate.config import load_settings, write_config
from facegate.edge import ControlPlane, EdgeNode
from facegate.edge.keyfile import read_device_key, write_device_key
from facegate.errors import FacegateError
from facegate.messages import t
from facegate.messages.errors import error_text
from facegate.service import Gate


def edge(
    ctx: typer.Context,
    control: Annotated[
        str, typer.Option("--control", help="The control plane's URL (HTTPS unless loopback).")
    ],
    device_key: Annotated[
        str | None,
        typer.Option(
            "--device-key",
            envvar="FACEGATE_DEVICE_KEY",
            help="This device's API key, issued by the control plane (`facegate key create "
            "--role device --device ID`); kept in <data dir>/device.key (0600) for restarts.",
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address the kiosk and device API listen on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port the kiosk and device API listen on.")] = 8100,
    sync_interval: Annotated[
        float, typer.Option(help="Seconds between syncs with the control plane.")
    ] = 30.0,
    offline_limit_hours: Annotated[
        float | None,
        typer.Option(
            help="Refuse face recognition after this long without a sync (default: the data "
            "directory's offline_limit_hours, 24)."
        ),
    ] = None,
    control_ca: Annotated[
        Path | None, typer.Option(help="CA bundle that signs the control plane's certificate.")
    ] = None,
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", help="PEM certificate: serve HTTPS.")
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option("--tls-key", help="PEM private key of the certificate.")
    ] = None,
) -> None:
    """Run an edge node: the engine, its own vault, index and audit log, the kiosk and the
    device API for one device. Faces never leave it; facts (consents, withdrawals, deletions,
    deployment state, templates held) sync with the control plane."""
    if sync_interval <= 0 or (offline_limit_hours is not None and offline_limit_hours <= 0):
        line = t("cli.edge.positive", cli_lang())
        err_console.print(line, style="red", highlight=False, markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    with reporting(False):
        settings = load_settings(state(ctx).data_dir)
        write_config(settings.data_dir, "edge")
        settings = load_settings(state(ctx).data_dir)
        if device_key:
            write_device_key(settings.data_dir, device_key)
        else:
            device_key = read_device_key(settings.data_dir)
        if not device_key:
            line = t("cli.edge.device_key", cli_lang())
            err_console.print(line, style="red", highlight=False, markup=False)
            raise typer.Exit(EXIT_BAD_INPUT)
        if offline_limit_hours is not None:
            settings = dataclasses.replace(settings, offline_limit_hours=offline_limit_hours)
        plane = ControlPlane(control, device_key, ca_file=control_ca)
        gate = Gate.open(settings, create=True)
    node = EdgeNode(gate, plane, device_key, interval=sync_interval)
    try:
        report = node.sync_once()  # before serving: withdrawals shred before any recognition
        edge_state = gate.edge_state()
        if report.ok:
            typer.echo(
                say(
                    "cli.edge.synced",
                    data_dir=settings.data_dir,
                    device_id=edge_state.device_id,
                    url=plane.url,
                    seq=edge_state.down_applied_seq,
                )
            )
        else:
            err_console.print(
                say(
                    "cli.edge.cannot_sync",
                    data_dir=settings.data_dir,
                    url=plane.url,
                    error=(
                        error_text(report.failure, cli_lang()).rstrip("。.")
                        if report.failure
                        else report.error
                    ),
                ),
                highlight=False,
                markup=False,
            )
        scheme = "https" if tls_cert else "http"
        typer.echo(say("cli.edge.kiosk", url=f"{scheme}://{host}:{port}/kiosk"))
        node.start()
        run_server(
            gate,
            host=host,
            port=port,
            tls_cert=tls_cert,
            tls_key=tls_key,
            workers=settings.face_workers,
            queue=settings.face_queue,
            engine=settings.engine,
        )
    except FacegateError as exc:
        err_console.print(error_line(exc), style="red", highlight=False, markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    finally:
        node.stop()
        gate.close()
