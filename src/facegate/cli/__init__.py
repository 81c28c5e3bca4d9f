"""The `facegate` command line."""

from __future__ import annotations

import typer

from facegate.cli import demo, engine_commands

app = typer.Typer(
    name="facegate",
    help="Face recognition with China's facial recognition Measures in its data path.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("detect")(engine_commands.detect)
app.command("compare")(engine_commands.compare_images)
app.command("check-photos")(engine_commands.check_photos)
app.command("demo")(demo.demo)


def main() -> None:
    app()
