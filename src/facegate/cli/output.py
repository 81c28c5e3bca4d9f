"""How every command speaks: rich text for people, one JSON object with ``--json``.

Exit status: 0 success, 1 refused by law or no match, 2 bad input.

Every sentence a command says to people (results, refusals, error lines) comes from the
message catalogue in the CLI's language, with times in the configured zone (Beijing time by
default): ``facegate --lang zh|en <command>`` (before the command), else ``FACEGATE_LANG``,
else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``: ``zh_CN.UTF-8`` is Chinese), else
English. Codes, articles and the JSON's keys never change with the language (a listing's
columns and a record's fields are named by those keys); with ``--json`` each ``message`` is in
it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from facegate.errors import FacegateError
from facegate.messages import Lang, has, t
from facegate.messages.catalogue import as_lang
from facegate.messages.errors import error_text, localized
from facegate.messages.times import Precision, local_time

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2

console = Console()
err_console = Console(stderr=True)


def emit_json(body: Any) -> None:
    sys.stdout.write(json.dumps(body, ensure_ascii=False, sort_keys=False) + "\n")
    sys.stdout.flush()


_lang: list[Lang] = ["en"]


def choose_lang(option: str | None, env: Mapping[str, str] | None = None) -> Lang:
    """The CLI's language: ``--lang``, ``FACEGATE_LANG``, the locale, English."""
    env = os.environ if env is None else env
    if option:
        return as_lang(option)
    if env.get("FACEGATE_LANG"):
        return as_lang(env["FACEGATE_LANG"])
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def set_lang(lang: Lang) -> None:
    _lang[0] = lang


def cli_lang() -> Lang:
    return _lang[0]


def say(key: str, /, **params: Any) -> str:
    """The catalogue's sentence ``key`` in the CLI's language."""
    return t(key, cli_lang(), **params)


def term(prefix: str, value: object) -> str:
    """A stored code (a status, a role) in the CLI's language: the catalogue's ``prefix +
    value`` where it holds one, else the code as stored."""
    key = f"{prefix}{value}"
    return say(key) if has(key) else str(value)


def shown_time(value: Any, zone_name: str | None, precision: Precision = "minute") -> str:
    """A stored (UTC) time as a person reads it: in the configured zone (Beijing time by
    default), with the zone named in the CLI's language."""
    return local_time(value, zone_name, precision, with_zone=True, lang=cli_lang())


def error_body(error: FacegateError) -> dict[str, Any]:
    """The error as ``--json`` prints it: stable codes, messages in the CLI's language."""
    return localized(error, cli_lang())


def error_line(error: FacegateError) -> str:
    """``error (code): message`` in the CLI's language."""
    return t("cli.error", cli_lang(), code=error.code, message=error_text(error, cli_lang()))


def fail(error: FacegateError, *, as_json: bool, exit_code: int = EXIT_BAD_INPUT) -> NoReturn:
    if as_json:
        emit_json({"error": error_body(error)})
    else:
        err_console.print(
            error_line(error), style="red", highlight=False, markup=False, soft_wrap=True
        )
    raise typer.Exit(exit_code)


def print_rows(
    key: str,
    rows: list[dict[str, Any]],
    columns: tuple[str, ...],
    as_json: bool,
    *,
    zone_name: str | None = None,
) -> None:
    """A list: ``{key: rows}`` as JSON, else a table of ``columns`` (``none`` when empty); the
    times of ``*_at`` columns in ``zone_name`` (Beijing time by default)."""
    if as_json:
        emit_json({key: rows})
        return
    if not rows:
        console.print(say("cli.rows.none", what=say(f"cli.rows.{key}")), highlight=False)
        return
    from rich.table import Table

    table = Table()
    for column in columns:
        ids = column == "id" or column.endswith("_id")
        table.add_column(column, overflow="fold", no_wrap=ids, min_width=32 if ids else None)
    for row in rows:
        table.add_row(
            *(
                shown_time(row.get(c), zone_name)
                if c.endswith("_at") and row.get(c)
                else _cell(row.get(c))
                for c in columns
            )
        )
    console.print(table)


def show_record(record: dict[str, Any], as_json: bool) -> None:
    """One record: JSON, else one ``field: value`` line each (lists and nested records as
    JSON)."""
    if as_json:
        emit_json(record)
        return
    width = max((len(k) for k in record), default=0)
    for key, value in record.items():
        typer.echo(f"{key:<{width}}  {_cell(value)}")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return say("cli.yes") if value else say("cli.no")
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def progress_bars(on: Console, *, quiet: bool, label: str = "{task.description}") -> Progress:
    """The CLI's one look for long work: label, bar, done of total, time left; none with --json."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=on,
        disable=quiet,
    )
