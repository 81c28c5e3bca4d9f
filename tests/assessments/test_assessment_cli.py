"""`facegate pipia ...` and `facegate notice ...`: JSON output and exit codes (0 done,
1 refused by law, 2 bad input)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from facegate.cli import app

runner = CliRunner()

# Every command on SQLite and on PostgreSQL (FACEGATE_DATABASE_URL; cli_database).
pytestmark = pytest.mark.both_databases


class AssessmentCli:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def run(self, *args: str, code: int = 0) -> Any:
        result = runner.invoke(app, ["--data-dir", str(self.data_dir), *args, "--json"])
        assert result.exit_code == code, (args, result.output)
        return json.loads(result.stdout)


@pytest.fixture
def cli(tmp_path: Path, cli_database: str) -> AssessmentCli:
    cli = AssessmentCli(tmp_path / "data")
    cli.run("init")
    return cli


def deployment(cli: AssessmentCli) -> str:
    controller = cli.run("controller", "add", "--name", "Sunrise", "--contact", "dpo@sunrise.cn")
    row = cli.run(
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
    return str(row["id"])


def test_pipia_before_cli_activation_refused_then_allowed(cli: AssessmentCli) -> None:
    dep = deployment(cli)
    refused = cli.run("deployment", "activate", dep, code=1)
    codes = {r["code"] for r in refused["error"]["reasons"]}
    assert codes == {"pipia.before", "notice.required_items"}

    draft = cli.run("pipia", "create", dep)
    assert draft["status"] == "draft" and set(draft["aspects"]) == {
        "purpose", "impact", "risks", "safeguards"
    }  # fmt: skip
    cli.run("pipia", "create", dep, code=1)  # a draft exists: conflict
    cli.run("pipia", "edit", dep, "--aspect", "risks", "--finding", "Tailgating at the gate")
    cli.run("pipia", "edit", dep, "--aspect", "nonsense", "--finding", "x", code=2)
    unreviewed = cli.run("pipia", "approve", dep, "--approver", "Li Wei", code=1)
    assert "not confirmed by a person" in unreviewed["error"]["reasons"][0]["message"]
    pending = cli.run("pipia", "review", dep)["unconfirmed"]
    assert "risks.findings.1" not in pending  # a person's own finding replaced the drafts
    assert "conclusion" in pending
    cli.run("pipia", "confirm", dep, "nonsense.findings.1", code=2)
    cli.run("pipia", "confirm", dep, *pending)
    approved = cli.run("pipia", "approve", dep, "--approver", "Li Wei")
    assert approved["status"] == "approved" and approved["approver_role"] == "dpo"
    shown = cli.run("pipia", "show", dep)
    assert shown["decision"]["allowed"] is True

    notice = cli.run("notice", "publish", dep)
    assert notice["version"] == 1 and len(notice["sha256"]) == 64
    assert cli.run("notice", "show", dep)["decision"]["allowed"] is True
    assert cli.run("deployment", "activate", dep)["status"] == "active"

    cli.run("deployment", "update", dep, "--purpose", "员工进入停车场")
    stale = cli.run("pipia", "show", dep)
    assert stale["status"] == "stale"
    assert stale["decision"]["reasons"][0]["code"] == "pipia.renew"


def test_notice_stale_consents_cli_reports_old_versions(cli: AssessmentCli) -> None:
    dep = deployment(cli)
    cli.run("pipia", "create", dep)
    cli.run("pipia", "confirm", dep, *cli.run("pipia", "review", dep)["unconfirmed"])
    cli.run("pipia", "approve", dep, "--approver", "Li Wei")
    first = cli.run("notice", "publish", dep)
    subject = cli.run("subject", "add", "--dob", "1980-05-01")["id"]
    consent = cli.run(
        "consent", "record", "--subject", subject, "--deployment", dep, "--alternative-offered"
    )
    assert consent["notice_hash"] == first["sha256"]
    assert cli.run("notice", "stale-consents", dep)["stale"] == []

    cli.run("deployment", "update", dep, "--retention-days", "90")
    assert cli.run("notice", "publish", dep)["version"] == 2
    report = cli.run("notice", "stale-consents", dep)
    assert report["current_version"] == 2
    assert [(c["subject_id"], c["notice_version"]) for c in report["stale"]] == [(subject, 1)]


def test_pipia_and_notice_render_cli_writes_files(cli: AssessmentCli, tmp_path: Path) -> None:
    dep = deployment(cli)
    cli.run("pipia", "render", dep, "--out", str(tmp_path / "none.html"), code=2)  # no PIPIA
    cli.run("pipia", "create", dep)
    cli.run("pipia", "confirm", dep, *cli.run("pipia", "review", dep)["unconfirmed"])
    cli.run("pipia", "approve", dep, "--approver", "Li Wei")
    cli.run("notice", "publish", dep)

    html = tmp_path / "pipia.en.html"
    cli.run("pipia", "render", dep, "--lang", "en", "--format", "html", "--out", str(html))
    assert "impact assessment report" in html.read_text(encoding="utf-8")
    page = tmp_path / "notice.zh.html"
    cli.run("notice", "render", dep, "--lang", "zh", "--large", "--out", str(page))
    assert 'class="notice large"' in page.read_text(encoding="utf-8")
    sign = tmp_path / "sign.pdf"
    body = cli.run(
        "notice", "sign", dep, "--out", str(sign), "--base-url", "https://gate.example/n/{id}"
    )
    assert body["url"] == f"https://gate.example/n/{dep}"
    assert sign.read_bytes().startswith(b"%PDF")
    bad = runner.invoke(
        app, ["--data-dir", str(cli.data_dir), "notice", "render", dep, "--lang", "fr",
              "--out", str(page)],
    )  # fmt: skip
    assert bad.exit_code == 2
