"""`facegate backup`, `facegate restore` and `facegate key rotate-master`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from facegate.cli.common import JsonOption, reporting, show, state
from facegate.cli.output import cli_lang, err_console
from facegate.config import load_settings
from facegate.messages import t
from facegate.service import maintenance


@contextmanager
def progress_bar(label: str, enabled: bool) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr (none with --json)."""
    if not enabled:
        yield lambda _done, _total: None
        return
    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), console=err_console, transient=True
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        yield update


def backup(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(help="A new directory for the backup.")],
    as_json: JsonOption = False,
) -> None:
    """Copy the database while facegate runs (SQLite's online backup, or pg_dump of one
    snapshot on PostgreSQL), with a manifest. The master key and the deletion journal are not
    in it: back them up apart, and never put an older journal back."""
    with reporting(as_json):
        settings = load_settings(state(ctx).data_dir)
        with progress_bar("backing up", not as_json) as update:
            body = maintenance.backup(settings, target, on_progress=update)
        apart = ", ".join(
            str(p) for p in (settings.resolved_key_file, settings.resolved_journal_file)
        )
        show(
            body,
            as_json,
            f"backup in {target}: {body['bytes']} bytes, sha256 {str(body['sha256'])[:16]}…, "
            f"deletion journal entry {body['journal_seq']}\n"
            f"not included (back them up apart, never restore an older journal): {apart}",
        )


def restore(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="A directory written by `facegate backup`.")],
    with_grants: Annotated[
        bool,
        typer.Option(
            "--with-grants",
            help="PostgreSQL: also replay the dump's GRANTs (every role they name must exist "
            "on this server, or the restore is rolled back). Without it they are left out.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Put a backup's database back (stop `facegate serve` first: on PostgreSQL, on every
    host). Every deletion made since the backup is applied again from the deletion journal,
    and reported; on PostgreSQL in one transaction, as the database's owner, without the
    dump's owners and (unless --with-grants) its GRANTs."""
    with reporting(as_json):
        settings = load_settings(state(ctx).data_dir)
        body, notices = maintenance.restore(settings, source, grants=with_grants)
        left_out = body["grants_left_out"]
        assert isinstance(left_out, list)
        if left_out:
            notices.append(
                t(
                    "cli.restore.grants_left_out",
                    cli_lang(),
                    roles=", ".join(str(role) for role in left_out),
                )
            )
        body["notices"] = notices
        lines = [f"restored {source} (taken {body['created_at']})"]
        lines += [f"  {n}" for n in notices]
        lines.append(f"  the replaced database is kept as {body['replaced_database_kept_as']}")
        lines.append(f"  audit chain: {'OK' if body['audit_chain_ok'] else 'BROKEN'}")
        show(body, as_json, "\n".join(lines))


def rotate_master(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Re-wrap every data key under a new master key (stop `facegate serve` first). Templates
    are not decrypted; an interrupted run continues where it stopped. The old key file is kept
    until you remove it."""
    with reporting(as_json):
        settings = load_settings(state(ctx).data_dir)
        with progress_bar("re-wrapping keys", not as_json) as update:
            report = maintenance.rotate_master(settings, on_progress=update)
        body = report.to_dict()
        show(
            body,
            as_json,
            f"master key rotated: {report.data_keys} data key(s) re-wrapped, "
            f"{report.identities} identity record(s) re-sealed\n"
            f"  new key fingerprint {body['new_fingerprint']} in {settings.resolved_key_file}\n"
            f"  old key kept as {report.old_key_file}: remove it once your new key is backed up",
        )
