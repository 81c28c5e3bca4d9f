"""The CLI's refusals and error lines in Chinese or English: ``facegate --lang`` (before the
command), else ``FACEGATE_LANG``, else the locale, else English; codes never change."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from facegate.cli import app, hoist_global_options
from facegate.cli.output import choose_lang
from facegate.law.catalogue import RULES

runner = CliRunner()
CJK = re.compile(r"[\u4e00-\u9fff]")

# Every command on SQLite and on PostgreSQL (FACEGATE_DATABASE_URL; cli_database).
pytestmark = pytest.mark.both_databases


@pytest.fixture
def data_dir(tmp_path: Path, cli_database: str) -> Path:
    directory = tmp_path / "data"
    assert runner.invoke(app, ["--data-dir", str(directory), "init"]).exit_code == 0
    return directory


def run(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["--data-dir", str(data_dir), *args], env=env)
    return result.exit_code, result.output


def test_the_language_is_chosen_in_order() -> None:
    assert choose_lang("zh", {"FACEGATE_LANG": "en"}) == "zh"
    assert choose_lang(None, {"FACEGATE_LANG": "zh-CN", "LANG": "en_US.UTF-8"}) == "zh"
    assert choose_lang(None, {"LANG": "zh_CN.UTF-8"}) == "zh"
    assert choose_lang(None, {"LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert choose_lang(None, {"LANG": "C.UTF-8"}) == "en"
    assert choose_lang(None, {}) == "en"
    # A subcommand's own --lang (a document's language) is left where it is.
    args = ["pipia", "render", "x", "--lang", "en"]
    assert hoist_global_options(args) == args


def test_an_error_line_in_chinese_and_english(data_dir: Path) -> None:
    code, text = run(data_dir, "--lang", "zh", "deployment", "activate", "0" * 32)
    assert code != 0
    assert text.startswith("错误（unknown_deployment）：找不到该部署。")
    code, text = run(data_dir, "deployment", "activate", "0" * 32, env={"FACEGATE_LANG": "en"})
    assert text.startswith("error (unknown_deployment): ") and not CJK.search(text)
    code, text = run(data_dir, "--lang", "zh", "deployment", "activate", "0" * 32, "--json")
    body = json.loads(text)
    assert body["error"]["code"] == "unknown_deployment"
    assert body["error"]["message"] == "找不到该部署。"


def test_a_refusal_in_chinese_cites_the_articles(data_dir: Path) -> None:
    code, out = run(data_dir, "--json", "controller", "add", "--name", "Sunrise",
                    "--contact", "dpo@sunrise.cn")  # fmt: skip
    controller = json.loads(out)["id"]
    create = ["deployment", "create", "--controller", controller, "--name", "North gate",
              "--purpose-type", "access_control", "--purpose", "住户通行",
              "--necessity", "免接触通行", "--method", "verify",
              "--alternative", "密码键盘", "--capture-mode", "walk_through"]  # fmt: skip
    code, zh = run(data_dir, *create, env={"FACEGATE_LANG": "zh"})
    assert code == 1
    summary = RULES["capture.opt_in"].summary_zh
    assert zh.startswith("未获准（依据《人脸识别技术应用安全管理办法》")
    assert summary in zh.replace("\n", "")
    code, en = run(data_dir, "--lang", "en", *create)
    assert code == 1 and en.startswith("refused (") and not CJK.search(en)


def test_the_commands_own_error_lines_in_chinese(data_dir: Path) -> None:
    code, text = run(data_dir, "--lang", "zh", "edge", "--control", "http://127.0.0.1:1",
                     "--sync-interval", "0")  # fmt: skip
    assert code == 2 and text.startswith("错误：同步间隔和离线时限必须大于零。")
    code, text = run(data_dir, "--lang", "en", "edge", "--control", "http://127.0.0.1:1",
                     "--sync-interval", "0")  # fmt: skip
    assert code == 2 and text.startswith("error: the sync interval and offline limit")
