"""The Gate from the command line, as the README shows it."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from facegate.cli import app

runner = CliRunner()

# Every command on SQLite and on PostgreSQL (FACEGATE_DATABASE_URL; cli_database).
pytestmark = pytest.mark.both_databases


class Cli:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def run(self, *args: str, code: int = 0) -> Any:
        result = runner.invoke(app, ["--data-dir", str(self.data_dir), *args, "--json"])
        assert result.exit_code == code, (args, result.output)
        return json.loads(result.stdout)

    def text(self, *args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["--data-dir", str(self.data_dir), *args])
        return result.exit_code, result.output


@pytest.fixture
def cli(tmp_path: Path, cli_database: str) -> Cli:
    cli = Cli(tmp_path / "data")
    cli.run("init")
    return cli


def setup_site(cli: Cli) -> dict[str, str]:
    controller = cli.run("controller", "add", "--name", "Sunrise", "--contact", "dpo@sunrise.cn")
    deployment = cli.run(
        "deployment", "create",
        "--controller", controller["id"],
        "--name", "North gate",
        "--purpose-type", "access_control",
        "--purpose", "住户经北门通行",
        "--necessity", "住户要求免接触通行",
        "--method", "identify",
        "--why-not-verify", "住户通行时不停步声明身份",
        "--alternative", "密码键盘",
    )  # fmt: skip
    device = cli.run(
        "device", "register",
        "--deployment", deployment["id"],
        "--name", "cam-1",
        "--location", "Block 3 north entrance",
        "--location-type", "residential_entrance",
    )  # fmt: skip
    cli.run("pipia", "create", deployment["id"])
    pending = cli.run("pipia", "review", deployment["id"])["unconfirmed"]
    cli.run("pipia", "confirm", deployment["id"], *pending)
    cli.run("pipia", "approve", deployment["id"], "--approver", "Li Wei")
    cli.run("notice", "publish", deployment["id"])
    cli.run("deployment", "activate", deployment["id"])
    return {"deployment": deployment["id"], "device": device["id"]}


def test_init_writes_config_and_a_private_key(cli: Cli) -> None:
    assert (cli.data_dir / "facegate.toml").read_text().startswith("# facegate configuration")
    mode = stat.S_IMODE(os.stat(cli.data_dir / "master.key").st_mode)
    assert mode == 0o600


def test_full_flow(cli: Cli, fixtures_dir: Path) -> None:
    ids = setup_site(cli)
    subject = cli.run("subject", "add", "--dob", "1961-08-04", "--name", "B. Obama")["id"]
    cli.run(
        "consent", "record", "--subject", subject, "--deployment", ids["deployment"],
        "--alternative-offered",
    )  # fmt: skip
    enrolment = cli.run(
        "enrol", str(fixtures_dir / "obama_1.jpg"),
        "--subject", subject, "--deployment", ids["deployment"],
    )  # fmt: skip
    assert enrolment["subject_id"] == subject
    verified = cli.run(
        "verify", str(fixtures_dir / "obama_2.jpg"), "--device", ids["device"], "--subject", subject
    )
    assert verified["matched"] is True
    found = cli.run("identify", str(fixtures_dir / "obama_3.jpg"), "--device", ids["device"])
    assert found["faces"][0]["subject_id"] == subject
    stranger = cli.run(
        "identify", str(fixtures_dir / "biden.jpg"), "--device", ids["device"], code=1
    )
    assert stranger["matched"] is False

    cli.run("alternative", "add", "--subject", subject, "--deployment", ids["deployment"],
            "--kind", "pin", "--secret", "246810")  # fmt: skip
    alt = cli.run("alternative", "verify", "--device", ids["device"], "--kind", "pin",
                  "--secret", "246810", "--subject", subject)  # fmt: skip
    assert alt["matched"] is True and alt["method"] == "pin"

    report = cli.run("rights", "show", subject)
    assert report["identity"] == {"name": "B. Obama"} and len(report["templates"]) == 1

    withdrawn = cli.run(
        "consent", "withdraw", "--subject", subject, "--deployment", ids["deployment"]
    )
    assert withdrawn["templates_destroyed"] == 1

    probe = str(fixtures_dir / "obama_2.jpg")
    refusal = cli.run("verify", probe, "--device", ids["device"], "--subject", subject, code=1)
    assert refusal["error"]["code"] == "refused"
    assert refusal["error"]["reasons"][0]["code"] == "consent.separate"
    code, text = cli.text(
        "verify", str(fixtures_dir / "obama_2.jpg"), "--device", ids["device"], "--subject", subject
    )
    assert code == 1
    assert text.startswith("refused (Measures art. 6")

    assert cli.run("audit", "verify")["ok"] is True


def test_prohibited_place_is_refused_with_the_article(cli: Cli) -> None:
    ids = setup_site(cli)
    code, text = cli.text(
        "device", "register", "--deployment", ids["deployment"], "--name", "x",
        "--location", "room 301", "--location-type", "hotel_room",
    )  # fmt: skip
    assert code == 1
    assert "Measures art. 13" in text


def test_unknown_device_is_bad_input(cli: Cli, fixtures_dir: Path) -> None:
    body = cli.run("identify", str(fixtures_dir / "obama_1.jpg"), "--device", "nope", code=2)
    assert body["error"]["code"] == "unknown_device"


def test_commands_before_init_say_so(tmp_path: Path, cli_database: str) -> None:
    result = runner.invoke(
        app, ["--data-dir", str(tmp_path / "none"), "deployment", "list", "--json"]
    )
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "not_initialised"


def test_retention_sweep_reports_counts(cli: Cli) -> None:
    body = cli.run("retention", "sweep")
    assert body == {
        "expired_templates": 0,
        "keys_destroyed": 0,
        "deployments": 0,
        "not_renewed": 0,
        "suspended": 0,
    }


def test_incident_notify_operator_kind_in_the_cli(cli: Cli) -> None:
    """The controller's operator kind decides the incident-reporting clock; an invalid kind
    lists the valid ones."""
    made = cli.run(
        "controller", "add", "--name", "Metro", "--contact", "dpo@metro.cn",
        "--operator-kind", "central_organ",
    )  # fmt: skip
    assert made["operator_kind"] == "central_organ"
    changed = cli.run("controller", "operator-kind", made["id"], "cii")
    assert changed["operator_kind"] == "cii"
    assert cli.run("controller", "show", made["id"])["operator_kind"] == "cii"
    code, output = cli.text("controller", "operator-kind", made["id"], "bank")
    assert code == 2 and "cii" in output and "central_organ" in output
