"""The CLI for the people who answer to a regulator: global options anywhere, list/show for
every register, a dry-run preview on a date, valid choices listed, help that fits 80 columns,
no face engine for commands that touch no face, and the sign's public URL (notice.*)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from facegate.cli import COMMANDS, app, hoist_global_options

runner = CliRunner()

# Every command on SQLite and on PostgreSQL (FACEGATE_DATABASE_URL; cli_database).
pytestmark = pytest.mark.both_databases


def run(args: list[str], code: int = 0) -> Any:
    result = runner.invoke(app, args)
    assert result.exit_code == code, (args, result.output)
    return json.loads(result.stdout)


@pytest.fixture
def site(tmp_path: Path, cli_database: str) -> dict[str, str]:
    d = str(tmp_path / "data")
    run(["init", "--data-dir", d, "--json"])  # both options after the subcommand
    controller = run(["controller", "add", "--name", "Sunrise", "--contact", "dpo@sunrise.cn",
                      "--json", "--data-dir", d])  # fmt: skip
    deployment = run(
        ["--json", "deployment", "create", "--controller", controller["id"], "--name", "Gate",
         "--purpose-type", "access_control", "--purpose", "住户经大门通行",
         "--necessity", "免接触通行", "--alternative", "密码键盘", "--data-dir", d]
    )  # fmt: skip
    device = run(["device", "register", "--deployment", deployment["id"], "--name", "cam-1",
                  "--location", "North entrance", "--location-type", "residential_entrance",
                  f"--data-dir={d}", "--json"])  # fmt: skip
    subject = run(["subject", "add", "--dob", "1990-01-02", "--data-dir", d, "--json"])
    return {
        "dir": d,
        "controller": controller["id"],
        "deployment": deployment["id"],
        "device": device["id"],
        "subject": subject["id"],
    }


def test_global_options_move_to_where_they_are_read() -> None:
    assert hoist_global_options(["deployment", "list", "--data-dir", "x", "--json"]) == [
        "--data-dir", "x", "deployment", "list", "--json",
    ]  # fmt: skip
    assert hoist_global_options(["--json", "filing", "due", "--data-dir=y"]) == [
        "--data-dir=y", "filing", "due", "--json",
    ]  # fmt: skip
    assert hoist_global_options(["notice", "render", "--", "--json"]) == [
        "notice", "render", "--", "--json",
    ]  # fmt: skip


def test_data_dir_and_json_after_the_subcommand(site: dict[str, str]) -> None:
    listed = run(["deployment", "list", "--data-dir", site["dir"], "--json"])
    assert [d["id"] for d in listed["deployments"]] == [site["deployment"]]
    before = run(["--json", "--data-dir", site["dir"], "deployment", "list"])
    assert before == listed


def test_list_and_show_every_register(site: dict[str, str]) -> None:
    d = ["--data-dir", site["dir"], "--json"]
    assert run(["controller", "list", *d])["controllers"][0]["id"] == site["controller"]
    shown = run(["controller", "show", site["controller"], *d])
    assert shown["deployments"] == [site["deployment"]]
    deployment = run(["deployment", "show", site["deployment"], *d])
    assert [x["id"] for x in deployment["devices"]] == [site["device"]]
    assert (
        run(["device", "list", "--deployment", site["deployment"], *d])["devices"][0]["name"]
        == "cam-1"
    )
    assert run(["device", "show", site["device"], *d])["location_type"] == "residential_entrance"
    assert run(["subject", "list", *d])["subjects"] == [
        {"id": site["subject"], "date_of_birth": "1990-01-02", "age_attested": False}
    ]
    record = ["consent", "record", "--subject", site["subject"], "--deployment",
              site["deployment"], "--alternative-offered"]  # fmt: skip
    consent = run([*record, *d])
    listed = run(["consent", "list", "--subject", site["subject"], *d])["consents"]
    assert [c["id"] for c in listed] == [consent["id"]]
    assert run(["consent", "show", consent["id"], *d])["scope"] == "processing"
    subject = run(["subject", "show", site["subject"], *d])
    assert [c["id"] for c in subject["consents"]] == [consent["id"]]
    assert subject["templates"] == {}
    missing = run(["consent", "show", "nope", *d], code=2)
    assert missing["error"]["code"] == "unknown_consent"
    text = runner.invoke(app, ["deployment", "list", "--data-dir", site["dir"]])
    assert site["deployment"] in text.output


def approve_and_publish(site: dict[str, str], *extra: str) -> None:
    d = ["--data-dir", site["dir"], "--json"]
    run(["pipia", "create", site["deployment"], *d])
    pending = run(["pipia", "review", site["deployment"], *d])["unconfirmed"]
    run(["pipia", "confirm", site["deployment"], *pending, *d])
    run(["pipia", "approve", site["deployment"], "--approver", "Li Wei", *d])
    run(["notice", "publish", site["deployment"], *d])


def test_consent_separate_pre_ticked_and_bundled_as_in_the_api(site: dict[str, str]) -> None:
    approve_and_publish(site)
    d = ["--data-dir", site["dir"], "--json"]
    base = ["consent", "record", "--subject", site["subject"], "--deployment",
            site["deployment"], "--alternative-offered"]  # fmt: skip
    ticked = run([*base, "--pre-ticked", *d], code=1)
    # a box ticked in advance is no explicit consent (M6, PIPL14), not coercion
    assert "consent.separate" in {r["code"] for r in ticked["error"]["reasons"]}
    bundled = run([*base, "--bundled", *d], code=1)
    assert "consent.separate" in {r["code"] for r in bundled["error"]["reasons"]}
    run([*base, *d])
    assert len(run(["consent", "list", "--deployment", site["deployment"], *d])["consents"]) == 1


def test_an_invalid_choice_lists_the_valid_ones(site: dict[str, str]) -> None:
    result = runner.invoke(
        app,
        ["device", "register", "--deployment", site["deployment"], "--name", "x",
         "--location", "y", "--location-type", "lobby", "--data-dir", site["dir"]],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "'lobby' is not one of" in result.output and "'hotel_lobby'" in result.output


def test_preview_as_of_changes_nothing(site: dict[str, str]) -> None:
    d = ["--data-dir", site["dir"], "--json"]
    audit = run(["audit", "verify", *d])["checked"]
    body = run(["preview", "--as-of", "2031-01-01", *d])
    assert body["as_of"] == "2031-01-01"
    assert body["retention"][0]["deployment_id"] == site["deployment"]
    assert body["pipia"][0]["status"] == "none"
    assert body["filing"] == []
    assert run(["audit", "verify", *d])["checked"] == audit
    assert run(["preview", "--as-of", "someday", *d], code=2)["error"]["code"] == "bad_request"


def test_notice_accessibility_sign_refused_without_a_public_url(
    site: dict[str, str], tmp_path: Path
) -> None:
    approve_and_publish(site)
    d = ["--data-dir", site["dir"], "--json"]
    out = str(tmp_path / "sign.pdf")
    refused = run(["notice", "sign", site["deployment"], "--out", out, *d], code=1)
    assert refused["error"]["code"] == "public_url_missing"
    local = run(["notice", "sign", site["deployment"], "--out", out,
                 "--public-url", "http://localhost:8000", *d], code=1)  # fmt: skip
    assert "local address" in local["error"]["message"]
    config = Path(site["dir"]) / "facegate.toml"
    config.write_text(
        'public_url = "https://faces.example.cn"\n' + config.read_text(), encoding="utf-8"
    )
    body = run(["notice", "sign", site["deployment"], "--out", out, *d])
    assert body["url"] == f"https://faces.example.cn/v1/deployments/{site['deployment']}/notice"
    assert Path(out).read_bytes().startswith(b"%PDF")


def _all_commands() -> list[list[str]]:
    paths: list[list[str]] = [[]]
    for lazy in COMMANDS:
        command = lazy.load()
        paths.append([lazy.name])
        paths += [[lazy.name, sub] for sub in getattr(command, "commands", {})]
    return paths


def test_help_is_readable_at_80_columns() -> None:
    for path in _all_commands():
        result = runner.invoke(app, [*path, "--help"], terminal_width=80, env={"COLUMNS": "80"})
        assert result.exit_code == 0, (path, result.output)
        long = [line for line in result.output.splitlines() if len(line) > 80]
        assert not long, (path, long)
        assert "…" not in result.output, path


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[-1]
    return set(json.loads(out))


def test_help_does_not_import_the_engine_or_the_store() -> None:
    loaded = _modules_after(
        "from facegate.cli import app\n"
        "from typer.testing import CliRunner\n"
        "CliRunner().invoke(app, ['--help'])\n"
        "CliRunner().invoke(app, ['deployment', 'create', '--help'])"
    )
    heavy = {"facegate.engine", "facegate.service", "facegate.store", "dlib", "numpy", "sqlalchemy"}
    assert not heavy & loaded, heavy & loaded


def test_commands_without_faces_never_load_the_face_models(
    site: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from facegate.engine import engine as engine_module

    def no_models(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the face models were loaded")

    monkeypatch.setattr(engine_module.FaceEngine, "__init__", no_models)
    approve_and_publish(site)
    d = ["--data-dir", site["dir"], "--json"]
    for args in (
        ["deployment", "activate", site["deployment"]],
        ["consent", "record", "--subject", site["subject"], "--deployment", site["deployment"],
         "--alternative-offered"],
        ["filing", "status"],
        ["preview", "--as-of", "2030-01-01"],
        ["retention", "sweep"],
        ["audit", "verify"],
        ["rights", "show", site["subject"]],
    ):  # fmt: skip
        run([*args, *d])


def test_free_text_per_language(site: dict[str, str]) -> None:
    d = ["--data-dir", site["dir"], "--json"]
    created = run(
        ["deployment", "create", "--controller", site["controller"], "--name", "南门",
         "--purpose-type", "access_control", "--purpose", "住户经南门通行",
         "--necessity", "免接触通行", "--alternative", "密码键盘",
         "--purpose-en", "Residents through the south gate", "--alternative-en", "PIN pad", *d]
    )  # fmt: skip
    assert created["english"] == {
        "purpose": "Residents through the south gate",
        "alternatives": ["PIN pad"],
    }
    updated = run(["deployment", "update", created["id"], "--necessity-en", "Hands-free", *d])
    assert updated["english"]["necessity"] == "Hands-free"
    assert updated["english"]["purpose"] == "Residents through the south gate"
