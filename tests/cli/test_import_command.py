"""`facegate import CSV PHOTOS_DIR --deployment ID`: bulk enrolment from the fixture photos, each
row gated like `facegate enrol` (Measures art. 6: consent first), refused rows reported."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from test_gate_commands import Cli, setup_site

# Every command on SQLite and on PostgreSQL (FACEGATE_DATABASE_URL; cli_database).
pytestmark = pytest.mark.both_databases


@pytest.fixture
def cli(tmp_path: Path, cli_database: str) -> Cli:
    cli = Cli(tmp_path / "data")
    cli.run("init")
    return cli


def consenting(cli: Cli, deployment: str, name: str, *, consent: bool = True) -> str:
    subject: str = cli.run("subject", "add", "--dob", "1970-01-01", "--name", name)["id"]
    if consent:
        cli.run(
            "consent", "record", "--subject", subject, "--deployment", deployment,
            "--alternative-offered",
        )  # fmt: skip
    return subject


def write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["photo", "subject", "note"])
        for photo, subject in rows:
            writer.writerow([photo, subject, "block 3"])
    return path


def test_import_enrols_consenting_rows_and_reports_each_refusal_m6(
    cli: Cli, fixtures_dir: Path, tmp_path: Path
) -> None:
    ids = setup_site(cli)
    deployment = ids["deployment"]
    obama = consenting(cli, deployment, "B. Obama")
    biden = consenting(cli, deployment, "J. Biden")
    nobody = consenting(cli, deployment, "No Consent", consent=False)
    other = consenting(cli, deployment, "Someone Else")
    sheet = write_csv(
        tmp_path / "people.csv",
        [
            ("obama_1.jpg", obama),  # line 2: enrolled
            ("biden.jpg", biden),  # line 3: enrolled
            ("obama_2.jpg", nobody),  # line 4: no consent
            ("missing.jpg", biden),  # line 5: no such photo
            ("../data/facegate.db", biden),  # line 6: outside the folder
            ("obama_3.jpg", other),  # line 7: Obama's face under another subject
        ],
    )
    body = cli.run(
        "import", str(sheet), str(fixtures_dir), "--deployment", deployment, "--workers", "2",
        code=1,
    )  # fmt: skip
    assert body["rows"] == 6 and body["enrolled"] == 2
    refused = {r["line"]: r for r in body["refused"]}
    assert sorted(refused) == [4, 5, 6, 7]
    assert refused[4]["code"] == "consent.separate" and refused[4]["articles"]
    assert refused[4]["subject_id"] == nobody
    assert refused[5]["code"] == "photo_missing"
    assert refused[6]["code"] == "photo_outside_folder"
    assert refused[7]["code"] == "duplicate_identity"

    found = cli.run("identify", str(fixtures_dir / "obama_2.jpg"), "--device", ids["device"])
    assert [f["subject_id"] for f in found["faces"]] == [obama]
    assert cli.run("audit", "verify")["ok"]


def test_import_prints_a_table_of_refused_rows_and_refuses_a_bad_csv(
    cli: Cli, fixtures_dir: Path, tmp_path: Path
) -> None:
    ids = setup_site(cli)
    nobody = consenting(cli, ids["deployment"], "No Consent", consent=False)
    sheet = write_csv(tmp_path / "one.csv", [("biden.jpg", nobody)])
    code, text = cli.text(
        "import", str(sheet), str(fixtures_dir), "--deployment", ids["deployment"],
        "--workers", "1",
    )  # fmt: skip
    assert code == 1
    assert "consent.separate" in text and "Measures" in text
    headerless = tmp_path / "bad.csv"
    headerless.write_text("biden.jpg;someone\n", encoding="utf-8")
    code, text = cli.text("import", str(headerless), str(fixtures_dir), "--deployment", "x")
    assert code == 2 and "photo" in text


def test_import_into_a_deployment_that_may_not_enrol_embeds_nothing_m9(
    cli: Cli, fixtures_dir: Path, tmp_path: Path
) -> None:
    ids = setup_site(cli)
    subject = consenting(cli, ids["deployment"], "B. Obama")
    cli.run("deployment", "suspend", ids["deployment"])
    sheet = write_csv(tmp_path / "one.csv", [("obama_1.jpg", subject)])
    body = cli.run(
        "import", str(sheet), str(fixtures_dir), "--deployment", ids["deployment"], code=1
    )
    assert body["error"]["code"]


def test_import_names_people_by_their_person_record_of_this_controller(
    cli: Cli, fixtures_dir: Path, tmp_path: Path
) -> None:
    from facegate.config import load_settings
    from facegate.service import Gate
    from facegate.service.persons import PersonSpec, add_person

    ids = setup_site(cli)
    deployment = ids["deployment"]
    controller = cli.run("deployment", "show", deployment)["controller_id"]
    gate = Gate.open(load_settings(cli.data_dir))  # the CLI's database
    try:
        person = add_person(
            gate.ctx, controller, PersonSpec(name="Barack Obama", age_attested=True), actor="desk"
        )
    finally:
        gate.close()
    cli.run(
        "consent", "record", "--subject", person.subject_id, "--deployment", deployment,
        "--alternative-offered",
    )  # fmt: skip
    sheet = tmp_path / "people.csv"
    sheet.write_text(
        f"person,photo\n{person.id},obama_1.jpg\n{'f' * 32},biden.jpg\n", encoding="utf-8"
    )
    body = cli.run(
        "import", str(sheet), str(fixtures_dir), "--deployment", deployment, "--workers", "1",
        code=1,
    )  # fmt: skip
    assert body["enrolled"] == 1
    assert [(r["line"], r["code"]) for r in body["refused"]] == [(3, "unknown_person")]
