"""filing.materials: the package from live data, and the CLI of the filing obligations."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from obligation_helpers import make_org
from typer.testing import CliRunner

from facegate.cli import app
from facegate.documents.filing import write_package
from facegate.law.filing import CHECKLIST, MATERIALS
from facegate.service import Gate
from facegate.service import filing as filing_service

pytestmark = pytest.mark.both_databases


def test_filing_materials_package_lists_every_material(gate: Gate, tmp_path: Path) -> None:
    org = make_org(gate, "North gate", "Canteen")
    filing_service.tick(gate.ctx, org.controller_id, "business_licence", actor="operator")
    data = filing_service.package_data(gate.ctx, org.controller_id)
    written = write_package(data, tmp_path / "package")
    html_en = written["html_en"].read_text(encoding="utf-8")
    html_zh = written["html_zh"].read_text(encoding="utf-8")
    for material in MATERIALS:
        assert material.en in html_en and material.zh in html_zh
    for item in CHECKLIST:
        assert item.en in html_en and item.zh in html_zh
    assert "North gate" in html_en and "Canteen" in html_en
    assert "Let residents of Block 3" in html_en
    assert "Let residents of Block 3" not in html_zh  # never English in the Chinese form
    assert "三号楼住户经北门通行" in html_zh  # the Chinese the deployment was entered with
    assert "未提供中文表述" not in html_zh
    pdf_text = subprocess.run(
        ["pdftotext", str(written["pdf_zh"]), "-"], capture_output=True, text=True, check=True
    ).stdout
    for phrase in ("人脸识别技术应用备案材料", "个人信息处理者基本情况", "营业执照", "朝阳物业"):
        assert phrase in pdf_text
    with zipfile.ZipFile(written["zip"]) as archive:
        names = set(archive.namelist())
    assert {p.name for k, p in written.items() if k != "zip"} == names
    checklist = json.loads(written["checklist"].read_text(encoding="utf-8"))["checklist"]
    assert [c["item"] for c in checklist if c["ticked"]] == ["business_licence"]


runner = CliRunner()


def test_filing_due_cli_json_exactly(tmp_path: Path) -> None:
    result = runner.invoke(app, ["filing", "due", "--from", "2026-09-30", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "from": "2026-09-30",
        "due": "2026-11-17",
        "provisional": False,
    }
    result = runner.invoke(app, ["filing", "due", "--from", "2027-03-01", "--json"])
    assert json.loads(result.stdout) == {
        "from": "2027-03-01",
        "due": "2027-04-13",  # Qingming (Mon 5 Apr 2027) is a statutory holiday
        "provisional": True,
    }
    bad = runner.invoke(app, ["filing", "due", "--from", "2026-13-01", "--json"])
    assert bad.exit_code == 2


def test_filing_status_cli(tmp_path: Path, cli_database: str) -> None:
    data_dir = str(tmp_path / "data")
    assert runner.invoke(app, ["--data-dir", data_dir, "init", "--json"]).exit_code == 0
    runner.invoke(
        app,
        ["--data-dir", data_dir, "controller", "add", "--name", "S", "--contact", "c", "--json"],
    )
    result = runner.invoke(app, ["--data-dir", data_dir, "filing", "status", "--json"])
    assert result.exit_code == 0, result.output
    [controller] = json.loads(result.stdout)["controllers"]
    assert (controller["individuals"], controller["threshold"]) == (0, 100_000)
