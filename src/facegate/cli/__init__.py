"""The `facegate` command line.

Commands are imported only when they run (``LazyCommand``), so ``facegate --help`` and the
commands that touch no face never import the face engine. ``--data-dir`` and ``--json`` are
accepted anywhere on the line: before the subcommand or after it (``FacegateGroup``).
``--lang zh|en`` (the language of refusals and error lines) goes before the subcommand: some
subcommands have their own ``--lang``, the language of the document they write.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click import Command, Context, HelpFormatter
from typer.core import TyperCommand, TyperGroup

from facegate.cli.common import CliState
from facegate.cli.output import choose_lang, set_lang


class CliLang(StrEnum):
    zh = "zh"
    en = "en"


@dataclass(frozen=True)
class LazyCommand:
    """A command (a function) or a group of them (a ``typer.Typer``) in ``module.attr``."""

    name: str
    target: str  # "facegate.cli.module:attribute"
    help: str

    def load(self) -> Command:
        module_name, attr = self.target.split(":")
        obj = getattr(importlib.import_module(module_name), attr)
        if isinstance(obj, typer.Typer):
            command: Command = typer.main.get_group(obj)  # a group even with one command
        else:
            holder = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
            holder.command(self.name)(obj)
            command = typer.main.get_command(holder)
        command.name = self.name
        _plain_help(command)
        return command


def _plain_help(command: Command) -> None:
    """Click's own help layout: it wraps at 80 columns, where Rich's boxes truncate option
    names and split value lists mid-word."""
    if isinstance(command, TyperCommand | TyperGroup):
        command.rich_markup_mode = None
    for sub in getattr(command, "commands", {}).values():
        _plain_help(sub)


_M = "facegate.cli."
COMMANDS: tuple[LazyCommand, ...] = (
    LazyCommand("init", _M + "setup_commands:init", "Create the data directory."),
    LazyCommand("detect", _M + "engine_commands:detect", "Find faces and check their quality."),
    LazyCommand("compare", _M + "engine_commands:compare_images", "Compare two photos."),
    LazyCommand("check-photos", _M + "engine_commands:check_photos", "Check a folder of photos."),
    LazyCommand("liveness", _M + "engine_commands:liveness", "Live person, or a print/screen?"),
    LazyCommand("enrol", _M + "face_commands:enrol", "Enrol a face (needs consent)."),
    LazyCommand("import", _M + "import_commands:import_photos", "Enrol from a CSV + photos."),
    LazyCommand("verify", _M + "face_commands:verify", "1:1: is this the claimed person?"),
    LazyCommand("identify", _M + "face_commands:identify", "1:N within one deployment."),
    LazyCommand(
        "controller", _M + "registry_commands:controller_app", "The organisation (处理者)."
    ),
    LazyCommand(
        "deployment", _M + "registry_commands:deployment_app", "One purpose of processing."
    ),
    LazyCommand("device", _M + "registry_commands:device_app", "Face recognition devices."),
    LazyCommand("subject", _M + "people_commands:subject_app", "People (pseudonymous)."),
    LazyCommand("consent", _M + "people_commands:consent_app", "Separate consent."),
    LazyCommand("alternative", _M + "people_commands:alternative_app", "The non-face way in."),
    LazyCommand("retention", _M + "care_commands:retention_app", "Expiry of templates."),
    LazyCommand("transfer", _M + "care_commands:transfer_app", "Templates leaving a device."),
    LazyCommand("rights", _M + "care_commands:rights_app", "A person's rights."),
    LazyCommand("audit", _M + "care_commands:audit_app", "The hash-chained audit log."),
    LazyCommand("legal-basis", _M + "care_commands:basis_app", "Legal bases instead of consent."),
    LazyCommand("filing", _M + "obligation_commands:filing_app", "Record-filing (M15)."),
    LazyCommand("records", _M + "obligation_commands:records_app", "Processing records."),
    LazyCommand("incident", _M + "obligation_commands:incident_app", "Security incidents."),
    LazyCommand("pipia", _M + "assessment_commands:pipia_app", "Impact assessments."),
    LazyCommand("notice", _M + "assessment_commands:notice_app", "The notice and the sign."),
    LazyCommand("preview", _M + "preview_commands:preview", "What happens on a date (no change)."),
    LazyCommand("demo", _M + "demo:demo", "Set up a demo site and serve it."),
    LazyCommand("serve", _M + "serve_commands:serve", "Serve the REST API and console."),
    LazyCommand("edge", _M + "edge_commands:edge", "Run an edge node for one device."),
    LazyCommand("key", _M + "serve_commands:key_app", "API keys and the master key."),
    LazyCommand("users", _M + "user_commands:users_app", "Console users (password + TOTP)."),
    LazyCommand("backup", _M + "maintenance_commands:backup", "Online copy of the database."),
    LazyCommand("restore", _M + "maintenance_commands:restore", "Put a backup back."),
)
_BY_NAME = {c.name: c for c in COMMANDS}

GLOBAL_VALUE_OPTIONS = ("--data-dir",)
GLOBAL_FLAGS = ("--json",)


def hoist_global_options(args: Sequence[str]) -> list[str]:
    """``--data-dir DIR`` (anywhere) goes before the subcommand, where the root reads it;
    ``--json`` (anywhere) goes last, where every command reads it. Nothing after ``--``
    moves."""
    args = list(args)
    rest: list[str] = []
    if "--" in args:
        cut = args.index("--")
        args, rest = args[:cut], args[cut:]
    front: list[str] = []
    back: list[str] = []
    kept: list[str] = []
    i = 0
    while i < len(args):
        token = args[i]
        if token in GLOBAL_VALUE_OPTIONS and i + 1 < len(args):
            front += [token, args[i + 1]]
            i += 2
            continue
        if any(token.startswith(f"{o}=") for o in GLOBAL_VALUE_OPTIONS):
            front.append(token)
        elif token in GLOBAL_FLAGS:
            if token not in back:
                back.append(token)
        else:
            kept.append(token)
        i += 1
    return [*front, *kept, *back, *rest]


class FacegateGroup(TyperGroup):
    """The root group: lazy subcommands, global options anywhere on the line."""

    _listing = False

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(args))

    def list_commands(self, ctx: Context) -> list[str]:
        return [*super().list_commands(ctx), *(c.name for c in COMMANDS)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in _BY_NAME:
            return found
        lazy = _BY_NAME[cmd_name]
        if self._listing:  # the root's help lists commands without importing them
            return TyperCommand(cmd_name, help=lazy.help, short_help=lazy.help)
        return lazy.load()

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="facegate",
    cls=FacegateGroup,
    help="Face recognition with China's facial recognition Measures in its data path. "
    "--data-dir and --json may come before or after the command.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"max_content_width": 80},
)


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", envvar="FACEGATE_DATA_DIR", help="Data directory (default facegate-data)."
        ),
    ] = None,
    lang: Annotated[
        CliLang | None,
        typer.Option(
            "--lang",
            help="Language of refusals and errors: zh or en (default: FACEGATE_LANG, else "
            "the locale, else en).",
        ),
    ] = None,
) -> None:
    set_lang(choose_lang(lang.value if lang else None))
    ctx.obj = CliState(data_dir=data_dir)


def main(argv: Sequence[str] | None = None) -> Any:
    return app(args=list(argv) if argv is not None else None)
