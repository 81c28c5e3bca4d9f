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
