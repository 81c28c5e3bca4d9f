"""What the commands say to a person comes from the message catalogue, in the CLI's language
(``facegate --lang zh|en``), with times in Beijing time; ``--json`` never changes with it."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

from facegate.cli import app

runner = CliRunner()
CJK = re.compile(r"[\u4e00-\u9fff]")
RAW_KEY = re.compile(r"\b(gate|cli|error)\.[a-z_]+")  # a catalogue key shown as it is


def run(data_dir: Path, *args: str, lang: str = "en") -> str:
    result = runner.invoke(app, ["--lang", lang, "--data-dir", str(data_dir), *args])
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def beijing(stored: str) -> str:
    """A stored UTC time (naive means UTC) as the CLI shows it: Beijing time, to the second."""
    moment = datetime.fromisoformat(stored)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")


def test_restore_speaks_chinese_and_english_in_beijing_time(
    tmp_path: Path, cli_database: str
) -> None:
    data, backup = tmp_path / "data", tmp_path / "backup"
    run(data, "init")
    run(data, "backup", str(backup))
    taken = beijing(json.loads((backup / "manifest.json").read_text())["created_at"])

    zh = run(data, "restore", str(backup), lang="zh")
    assert f"已从 {backup} 恢复，备份时间 {taken}（北京时间）" in zh
    assert "被替换的数据库保留为 " in zh and "审计链：完好" in zh
    assert "restored" not in zh and "audit chain" not in zh

    en = run(data, "restore", str(backup), lang="en")
    assert f"restored {backup}, taken {taken} (Beijing time)" in en
    assert "the replaced database is kept as " in en and "audit chain: OK" in en
    assert not CJK.search(en)

    body = json.loads(run(data, "restore", str(backup), "--json", lang="zh"))
    assert set(body) >= {"created_at", "replaced_database_kept_as", "audit_chain_ok", "notices"}
    assert body["audit_chain_ok"] is True


def test_rotate_master_speaks_chinese_and_english(tmp_path: Path, cli_database: str) -> None:
    data = tmp_path / "data"
    run(data, "init")
    run(data, "subject", "add", "--dob", "1970-01-01", "--name", "C. Kept")

    zh = run(data, "key", "rotate-master", lang="zh")
    assert "主密钥已轮换：0 个数据密钥已重新封装，1 条身份记录已重新加密" in zh
    assert f"保存在 {data / 'master.key'}" in zh and "新密钥备份后请删除它" in zh
    assert "rotated" not in zh

    en = run(data, "key", "rotate-master", lang="en")
    assert "master key rotated: 0 data key(s) re-wrapped, 1 identity record(s) re-sealed" in en
    assert "old key kept as " in en and not CJK.search(en)

    body = json.loads(run(data, "key", "rotate-master", "--json", lang="zh"))
    assert body["identities_resealed"] == 1 and not CJK.search(json.dumps(body))


def test_everyday_commands_speak_chinese_with_beijing_times(
    tmp_path: Path, cli_database: str
) -> None:
    data = tmp_path / "data"
    zh = run(data, "init", lang="zh")
    assert f"已初始化 {data}" in zh and "一旦丢失，所有模板都将无法读取" in zh
    assert "已是最新" in run(data, "db", "status", lang="zh")
    assert "完好：已核对" in run(data, "audit", "verify", lang="zh")
    assert "暂无个人" in run(data, "subject", "list", lang="zh")
    assert "no subjects" in run(data, "subject", "list", lang="en")

    issued = run(data, "key", "create", "--role", "operator", lang="zh")
    assert "（操作员）；仅显示一次" in issued
    key_id = json.loads(run(data, "key", "list", "--json"))["keys"][0]["id"]
    assert f"密钥 {key_id} 已吊销" in run(data, "key", "revoke", key_id, lang="zh")
    revoked_at = json.loads(run(data, "key", "list", "--json"))["keys"][0]["revoked_at"]
    day, minute = beijing(revoked_at)[:16].split()  # to the minute (the table may wrap it)
    listed = run(data, "key", "list", lang="zh")
    assert "吊销时间" in listed and day in listed and f"{minute}（北京时间）" in listed
    assert "Beijing time" in run(data, "key", "list", lang="en")


def test_restore_tells_what_it_reapplied_in_the_readers_language(
    tmp_path: Path, cli_database: str
) -> None:
    """The service states its notices as catalogue keys with their figures: the Chinese CLI
    shows them in Chinese (no English sentence, no raw key), English reads as it always did,
    and ``--json`` keeps the English sentences with the keys beside them, whatever --lang."""
    data, backup = tmp_path / "data", tmp_path / "backup"
    run(data, "init")
    person = json.loads(run(data, "subject", "add", "--dob", "1961-08-04", "--json"))["id"]
    run(data, "backup", str(backup))
    run(data, "rights", "delete", person)  # after the backup: the journal brings it back

    zh = run(data, "restore", str(backup), lang="zh")
    assert "数据库落后于删除日志" in zh and "已重新执行 1 项删除" in zh
    assert "删除人员 1 名" in zh and "撤回同意 0 项" in zh
    assert "re-applied" not in zh and "person(s)" not in zh and not RAW_KEY.search(zh)

    en = run(data, "restore", str(backup), lang="en")
    assert (
        "the database was behind the deletion journal (a restored backup?): re-applied 1 "
        "deletion(s): "
    ) in en
    assert "1 person(s) erased, 0 consent(s) withdrawn" in en and not CJK.search(en)

    body = json.loads(run(data, "restore", str(backup), "--json", lang="zh"))
    assert any("1 person(s) erased" in notice for notice in body["notices"])
    assert not CJK.search(json.dumps(body["notices"]))
    replayed = [d for d in body["notice_details"] if d["key"] == "gate.journal_replayed"]
    assert replayed and replayed[0]["params"]["people"] == 1
    assert json.loads(run(data, "rights", "show", person, "--json"))["held"] is False


def test_opening_warns_of_wide_file_modes_in_the_readers_language(
    tmp_path: Path, cli_database: str
) -> None:
    data = tmp_path / "data"
    run(data, "init")
    data.chmod(0o755)
    zh = runner.invoke(app, ["--lang", "zh", "--data-dir", str(data), "subject", "list"])
    assert zh.exit_code == 0, zh.output
    assert f"警告：{data} 的权限为 0755：本机其他用户可以读取它（请执行 chmod 700 {data}）" in (
        zh.stderr
    )
    assert "has mode" not in zh.stderr and not RAW_KEY.search(zh.stderr)
    en = runner.invoke(app, ["--lang", "en", "--data-dir", str(data), "subject", "list"])
    assert f"{data} has mode 0755: other users of this machine may read it" in en.stderr
