"""`facegate import CSV PHOTOS_DIR --deployment ID`: bulk enrolment from a CSV and a folder.

The CSV has a header row naming at least the columns ``photo`` (a file in PHOTOS_DIR) and
``subject`` (the subject whose consent for the deployment is already recorded; ``subject_id``
is accepted too) or ``person`` (a person record of the deployment's controller, as the front
desk keeps them; ``person_id`` too). Other columns are ignored.

Each photo is prepared as ``facegate enrol`` prepares one (one face, its liveness when the
deployment screens for it, its quality), on every core; each row is then checked by the law
like any enrolment and written in batches (``Gate.bulk_enrol``). Rows that cannot be enrolled
are reported with the reason and, for the law's refusals, the articles. Exit status: 0 all
rows enrolled, 1 some refused, 2 bad input (no such deployment, no CSV...).
"""

from __future__ import annotations

import csv
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.table import Table

from facegate.cli.common import JsonOption, open_gate, reporting, state
from facegate.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_REFUSED,
    cli_lang,
    console,
    emit_json,
    err_console,
    progress_bars,
)
from facegate.law.catalogue import RULES
from facegate.messages import Lang, has, t
from facegate.messages.errors import format_articles, reason_text

SUBJECT_COLUMNS = ("subject", "subject_id")
PERSON_COLUMNS = ("person", "person_id")
MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class CsvRow:
    line: int
    photo: str
    subject: str
    person: str = ""


@dataclass(frozen=True)
class RowRefusal:
    line: int
    photo: str
    subject: str
    code: str
    articles: tuple[str, ...]
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "photo": self.photo,
            "subject_id": self.subject,
            "code": self.code,
            "articles": list(self.articles),
            "message": self.message,
        }


class BadCsv(Exception):
    """The CSV cannot be read as an import (missing, not UTF-8, no header, no rows)."""


def said(code: str, message: str, lang: Lang) -> str:
    """A refusal's sentence in the CLI's language: the law's own summary for a rule, the
    catalogue's sentence for an error code, else the message as given (English keeps it: it
    says exactly what is missing)."""
    if lang == "en":
        return message
    if code in RULES:
        return reason_text(code, message, lang)
    key = f"error.{code}"
    if has(key) and "{" not in t(key, lang):
        return t(key, lang)
    return message


def read_rows(path: Path, lang: Lang) -> list[CsvRow]:
    """The CSV's rows (line numbers as a spreadsheet shows them: the header is line 1)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip().lower() for h in reader.fieldnames or []]
            subject = next((c for c in SUBJECT_COLUMNS if c in header), None)
            person = next((c for c in PERSON_COLUMNS if c in header), None)
            if "photo" not in header or (subject is None and person is None):
                raise BadCsv(t("cli.import.bad_header", lang, found=", ".join(header) or "-"))
            reader.fieldnames = header
            rows: list[CsvRow] = []
            for record in reader:
                if len(rows) >= MAX_ROWS:
                    raise BadCsv(t("cli.import.too_many", lang, limit=MAX_ROWS))
                rows.append(
                    CsvRow(
                        reader.line_num,
                        (record.get("photo") or "").strip(),
                        (record.get(subject) or "").strip() if subject else "",
                        (record.get(person) or "").strip() if person else "",
                    )
                )
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise BadCsv(t("cli.import.unreadable", lang, path=str(path), error=str(exc))) from exc
    if not rows:
        raise BadCsv(t("cli.import.no_rows", lang, path=str(path)))
    return rows


def locate(row: CsvRow, folder: Path, lang: Lang) -> Path | RowRefusal:
    """The row's photo inside ``folder``, or why the row cannot be used."""

    def refused(code: str, key: str) -> RowRefusal:
        message = t(key, lang, photo=row.photo, folder=str(folder))
        return RowRefusal(row.line, row.photo, row.subject, code, (), message)

    if not row.subject and not row.person:
        return refused("bad_row", "cli.import.no_subject")
    if not row.photo:
        return refused("bad_row", "cli.import.no_photo")
    base = folder.resolve()
    path = (base / row.photo).resolve()
    if not path.is_relative_to(base):
        return refused("photo_outside_folder", "cli.import.photo_outside")
    if not path.is_file():
        return refused("photo_missing", "cli.import.photo_missing")
    return path


def import_photos(
    ctx: typer.Context,
    csv_file: Annotated[
        Path, typer.Argument(help="CSV with a header row: photo, subject (consenting people).")
    ],
    photos: Annotated[Path, typer.Argument(help="The folder the CSV's photo names are in.")],
    deployment: Annotated[str, typer.Option(help="Deployment id.")],
    device: Annotated[str | None, typer.Option(help="Enrolling device, if any.")] = None,
    workers: Annotated[int, typer.Option(help="Processes embedding photos (0: one per core).")] = 0,
    batch: Annotated[int, typer.Option(help="Rows written per transaction.")] = 500,
    as_json: JsonOption = False,
) -> None:
    """Enrol many faces: each row needs the person's recorded consent, like `facegate enrol`.

    Exit 0 when every row was enrolled, 1 when some were refused (listed with the reason and
    the articles), 2 on bad input."""
    from facegate.config import load_settings
    from facegate.engine.batch import prepare_photos
    from facegate.service.bulk import BulkRow

    lang = cli_lang()
    if not photos.is_dir():
        _bad_input(t("cli.import.no_folder", lang, folder=str(photos)), as_json)
    try:
        rows = read_rows(csv_file, lang)
    except BadCsv as exc:
        _bad_input(str(exc), as_json)
    refusals: list[RowRefusal] = []
    jobs: list[tuple[int, Path]] = []

    with reporting(as_json):
        settings = load_settings(state(ctx).data_dir)
        gate = open_gate(ctx)
        # Refused whole before any photo is embedded when the deployment may not enrol now.
        gate.check_bulk_enrolment(deployment, device_id=device)
        rows = _with_subjects(gate, deployment, rows, refusals, lang)
        for index, row in enumerate(rows):
            if row.person and not row.subject:
                continue  # refused above: no such person here
            found = locate(row, photos, lang)
            if isinstance(found, RowRefusal):
                refusals.append(found)
            else:
                jobs.append((index, found))
        screening = gate.liveness_setting(deployment) != "off"
        enrolled = 0
        with progress_bars(console, quiet=as_json) as progress:
            embedding = progress.add_task(t("cli.import.embedding", lang), total=len(jobs))
            enrolling = progress.add_task(t("cli.import.enrolling", lang), total=len(jobs))

            def prepared() -> Iterator[tuple[BulkRow, str, str]]:
                for photo in prepare_photos(
                    jobs,
                    workers=workers or os.cpu_count() or 1,
                    config=settings.engine,
                    liveness_threshold=settings.liveness_threshold if screening else None,
                ):
                    progress.advance(embedding)
                    row = rows[photo.key]
                    problem = _engine_problem(photo, row, lang)
                    if problem is not None:
                        refusals.append(problem)
                        progress.advance(enrolling)
                        continue
                    assert photo.vector is not None
                    face = BulkRow(row.subject, photo.vector, ref=str(photo.key), live=photo.live)
                    yield face, photo.model_id, photo.model_version

            stream = prepared()
            first = next(stream, None)
            if first is not None:
                report = gate.bulk_enrol(
                    deployment,
                    (r for r, _, _ in itertools.chain([first], stream)),
                    actor="cli",
                    device_id=device,
                    batch=batch,
                    model=(first[1], first[2]),
                    on_progress=lambda n: progress.advance(enrolling, n),
                )
                enrolled = report.enrolled
                for refused in report.refused:
                    row = rows[int(refused.ref)]
                    refusals.append(
                        RowRefusal(
                            row.line,
                            row.photo,
                            row.subject,
                            refused.code,
                            refused.articles,
                            said(refused.code, refused.message, lang),
                        )
                    )
    refusals.sort(key=lambda r: r.line)
    _report(deployment, len(rows), enrolled, refusals, as_json, lang)
    raise typer.Exit(EXIT_REFUSED if refusals else EXIT_OK)


def _with_subjects(
    gate: Any, deployment: str, rows: list[CsvRow], refusals: list[RowRefusal], lang: Lang
) -> list[CsvRow]:
    """Rows naming a person record get its subject; a person the deployment's controller does
    not know is refused (its row keeps no subject and is not embedded)."""
    named = {r.person for r in rows if r.person and not r.subject}
    if not named:
        return rows
    subjects = gate.subjects_of_people(deployment, named)
    resolved = []
    for row in rows:
        if row.person and not row.subject:
            subject = subjects.get(row.person, "")
            if not subject:
                message = said("unknown_person", t("error.unknown_person", lang), lang)
                refusals.append(
                    RowRefusal(row.line, row.photo, row.person, "unknown_person", (), message)
                )
            row = replace(row, subject=subject)
        resolved.append(row)
    return resolved


def _engine_problem(photo: Any, row: CsvRow, lang: Lang) -> RowRefusal | None:
    """Why the engine could not give this row a face to enrol (none when it could). A face
    that failed the liveness screening goes on to the law, which refuses and audits it."""
    if not photo.ok:
        code = photo.error_code
        detail = said(code, photo.error_message or code, lang)
        message = t("cli.import.engine_error", lang, code=code, detail=detail)
        return RowRefusal(row.line, row.photo, row.subject, photo.error_code, (), message)
    if photo.live is not False and photo.quality_failed:
        message = t("cli.import.quality", lang, hints="; ".join(photo.quality_hints))
        return RowRefusal(row.line, row.photo, row.subject, "face_quality_too_low", (), message)
    return None


def _report(
    deployment: str,
    rows: int,
    enrolled: int,
    refusals: list[RowRefusal],
    as_json: bool,
    lang: Lang,
) -> None:
    if as_json:
        emit_json(
            {
                "deployment_id": deployment,
                "rows": rows,
                "enrolled": enrolled,
                "refused": [r.to_dict() for r in refusals],
            }
        )
        return
    summary = t(
        "cli.import.summary", lang, enrolled=enrolled, rows=rows, refused=len(refusals),
        deployment=deployment,
    )  # fmt: skip
    console.print(summary, highlight=False)
    if not refusals:
        return
    table = Table(title=t("cli.import.refused_title", lang))
    for key in ("line", "photo", "subject", "reason"):
        table.add_column(t(f"cli.import.column.{key}", lang))
    for refusal in refusals:
        cited = f" ({format_articles(refusal.articles, lang)})" if refusal.articles else ""
        table.add_row(
            str(refusal.line),
            refusal.photo,
            refusal.subject,
            f"{refusal.code}{cited}: {refusal.message}",
        )
    console.print(table)


def _bad_input(message: str, as_json: bool) -> NoReturn:
    if as_json:
        emit_json({"error": {"code": "bad_input", "message": message}})
    else:
        err_console.print(message, style="red", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)
