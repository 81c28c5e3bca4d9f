"""What the Gate commands share: the data directory, opening the Gate, mapping errors to exits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from facegate.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_REFUSED,
    cli_lang,
    emit_json,
    err_console,
    error_body,
    fail,
    say,
)
from facegate.errors import FacegateError
from facegate.messages import t
from facegate.messages.errors import format_articles, reason_text

if TYPE_CHECKING:
    from facegate.law import Refused
    from facegate.law.decision import Decision, Reason
    from facegate.service import Gate

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@dataclass
class CliState:
    data_dir: Path | None = None


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, CliState) else CliState()


def open_gate(ctx: typer.Context, *, create: bool = False, abandon_data: bool = False) -> Gate:
    """Open the Gate, closed when the command ends (its connections too: a restore on
    PostgreSQL refuses while any is open); what the operator must know about opening it goes
    to stderr."""
    from facegate.config import load_settings  # imported here: the service loads the engine
    from facegate.service import Gate

    gate = Gate.open(load_settings(state(ctx).data_dir), create=create, abandon_data=abandon_data)
    ctx.call_on_close(gate.close)
    for notice in gate.notices:
        err_console.print(
            say("cli.warning", notice=notice.text(cli_lang())),
            style="yellow",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    return gate


@contextmanager
def reporting(as_json: bool) -> Iterator[None]:
    """Refusals by law and conflicts exit 1 with the articles; bad input exits 2."""
    from facegate.law import Refused
    from facegate.service.errors import Conflict

    try:
        yield
    except Refused as exc:
        if as_json:
            emit_json({"error": error_body(exc)})
        else:
            for line in refusal_lines(exc):  # one line each: refused (articles): what is missing
                err_console.print(line, highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_REFUSED) from None
    except Conflict as exc:
        fail(exc, as_json=as_json, exit_code=EXIT_REFUSED)
    except FacegateError as exc:
        fail(exc, as_json=as_json, exit_code=EXIT_BAD_INPUT)


def refusal_lines(exc: Refused) -> list[str]:
    """One line per reason, in the CLI's language: ``refused (Measures art. 6): …`` or
    ``未获准（依据《人脸识别技术应用安全管理办法》第6条）：…``."""
    return reason_lines(exc.decision.reasons)


def decision_text(decision: Decision) -> str:
    """A decision on one line for people: in English the law's own ``explain()``; in
    Chinese 允许 (with the obligations that follow) or each refusal with its articles."""
    if cli_lang() == "en":
        return decision.explain()
    if decision.allowed:
        if decision.obligations:
            return say("cli.decision.allowed_with", obligations="、".join(decision.obligations))
        return say("cli.decision.allowed")
    return "；".join(reason_lines(decision.reasons))


def reason_lines(reasons: tuple[Reason, ...]) -> list[str]:
    """Each refusal reason on a line of its own, with its articles, in the CLI's language."""
    lang = cli_lang()
    lines = []
    for reason in reasons:
        text = reason_text(reason.code, reason.message, lang)
        if reason.articles:
            cited = format_articles(reason.articles, lang)
            lines.append(t("cli.refused.cited", lang, articles=cited, reason=text))
        else:
            lines.append(t("cli.refused", lang, reason=text))
    return lines


def show(body: dict[str, Any], as_json: bool, text: str) -> None:
    if as_json:
        emit_json(body)
    else:
        typer.echo(text)
