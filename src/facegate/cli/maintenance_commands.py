"""`facegate backup`, `facegate restore` and `facegate key rotate-master`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from facegate.cli.common import JsonOption, reporting, show, state
from facegate.cli.output import cli_lang, err_console, say, shown_time
from facegate.config import load_settings
from facegate.messages.notice import Notice
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
        with progress_bar(say("cli.backup.progress"), not as_json) as update:
            body = maintenance.backup(settings, target, on_progress=update)
        apart = ", ".join(
            str(p) for p in (settings.resolved_key_file, settings.resolved_journal_file)
        )
        show(
            body,
            as_json,
            say(
                "cli.backup.done",
                target=target,
                bytes=body["bytes"],
                sha256=str(body["sha256"])[:16],
                journal_seq=body["journal_seq"],
            )
            + "\n"
            + say("cli.backup.apart", files=apart),
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
            roles = ", ".join(str(role) for role in left_out)
            notices.append(Notice("cli.restore.grants_left_out", {"roles": roles}))
        body["notices"] = [n.text("en") for n in notices]  # JSON: English, whatever --lang
        body["notice_details"] = [n.to_dict() for n in notices]  # the catalogue keys
        taken = shown_time(body["created_at"], settings.time_zone, "second")
        lines = [say("cli.restore.done", source=source, taken=taken)]
        lines += [f"  {n.text(cli_lang())}" for n in notices]
        lines.append("  " + say("cli.restore.kept", path=body["replaced_database_kept_as"]))
        chain = "cli.restore.chain_ok" if body["audit_chain_ok"] else "cli.restore.chain_broken"
        lines.append("  " + say(chain))
        show(body, as_json, "\n".join(lines))


def rotate_master(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Re-wrap every data key under a new master key (stop `facegate serve` first). Templates
    are not decrypted; an interrupted run continues where it stopped. The old key file is kept
    until you remove it."""
    with reporting(as_json):
        settings = load_settings(state(ctx).data_dir)
        with progress_bar(say("cli.rotate_master.progress"), not as_json) as update:
            report = maintenance.rotate_master(settings, on_progress=update)
        body = report.to_dict()
        show(
            body,
            as_json,
            "\n  ".join(
                (
                    say(
                        "cli.rotate_master.done",
                        data_keys=report.data_keys,
                        identities=report.identities,
                    ),
                    say(
                        "cli.rotate_master.new_key",
                        fingerprint=body["new_fingerprint"],
                        path=settings.resolved_key_file,
                    ),
                    say("cli.rotate_master.old_key", path=report.old_key_file),
                )
            ),
        )
