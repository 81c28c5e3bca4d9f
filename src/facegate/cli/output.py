"""How every command speaks: rich text for people, one JSON object with ``--json``.

Exit status: 0 success, 1 refused by law or no match, 2 bad input.
"""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console

from facegate.errors import FacegateError

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2

console = Console()
err_console = Console(stderr=True)


def emit_json(body: Any) -> None:
    sys.stdout.write(json.dumps(body, ensure_ascii=False, sort_keys=False) + "\n")
    sys.stdout.flush()


def fail(error: FacegateError, *, as_json: bool, exit_code: int = EXIT_BAD_INPUT) -> NoReturn:
    if as_json:
        emit_json({"error": error.to_dict()})
    else:
        err_console.print(
            f"[bold red]error[/] ({error.code}): {error.message}", highlight=False, soft_wrap=True
        )
    raise typer.Exit(exit_code)


def print_rows(
    key: str, rows: list[dict[str, Any]], columns: tuple[str, ...], as_json: bool
) -> None:
    """A list: ``{key: rows}`` as JSON, else a table of ``columns`` (``none`` when empty)."""
    if as_json:
        emit_json({key: rows})
        return
    if not rows:
        console.print(f"no {key}", highlight=False)
        return
    from rich.table import Table

    table = Table()
    for column in columns:
        ids = column == "id" or column.endswith("_id")
        table.add_column(column, overflow="fold", no_wrap=ids, min_width=32 if ids else None)
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
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
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
