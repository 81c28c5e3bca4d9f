"""Issue 13: a cold start from the index snapshot finds the templates the index leaves out
(another model's, or expired) through ``ix_templates_deployment_engine_expires``, reading only
the rows it returns: no statement of the look-up reads every template of the deployment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import text
from test_gallery_log import deployment, subject

from facegate.service.templates import left_out_ids
from facegate.store import Database, Vault
from facegate.store import models as m

pytestmark = pytest.mark.both_databases

MODEL = "dlib-resnet-v1"
INDEX = "ix_templates_deployment_engine_expires"


def plan(db: Database, at: datetime) -> list[str]:
    """The database's plan for the look-up, one line per step (PostgreSQL told not to prefer a
    sequential scan, which it would for a table this small whatever the indexes)."""
    statement = left_out_ids("d" * 32, MODEL, at)
    with db.engine.connect() as connection:
        compiled = statement.compile(connection)
        if connection.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled}",
                tuple(compiled.params[k] for k in compiled.positiontup or ()),
            )
            return [str(row[-1]) for row in rows]
        connection.execute(text("SET enable_seqscan = off"))
        rows = connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
        return [str(row[0]) for row in rows]


def test_the_left_out_templates_are_found_by_range_scans_of_the_index(db: Database) -> None:
    steps = plan(db, datetime.now(UTC))
    if db.engine.dialect.name == "sqlite":
        searches = [step for step in steps if "templates" in step]
        assert len(searches) == 3, steps
        for step in searches:
            assert step.startswith(
                f"SEARCH templates USING INDEX {INDEX} (deployment_id=? AND engine"
            ), steps
        assert any("engine=? AND expires_at<" in step for step in searches), steps
    else:
        scans = [step for step in steps if "Scan" in step and "templates" in step]
        conditions = [step for step in steps if "Index Cond" in step]
        assert scans and all(INDEX in step for step in scans), steps
        assert len(conditions) == 3 and all("engine" in step for step in conditions), steps
        assert not any("Filter" in step for step in steps), steps


def test_the_look_up_returns_exactly_the_other_models_and_the_expired(
    db: Database, vault: Vault
) -> None:
    """Models that sort before and after the engine's, and the engine's own expired templates."""
    at = datetime(2026, 12, 1, tzinfo=UTC)
    dep = deployment(db)
    expected: set[str] = set()
    kept: set[str] = set()
    for engine, days in [
        (MODEL, 30), (MODEL, -1), (MODEL, 0), ("aaa-model", 30), ("zzz-model", 30),
        ("dlib-resnet-v1-next", 30), ("dlib-resnet", 30), ("zzz-model", -1),
    ]:  # fmt: skip
        person = subject(db)
        template_id = m.new_id()
        with db.transaction() as session:
            vault.seal_template(
                session, person, dep, template_id, np.ones(128, np.float32), engine=engine,
                model_version="1", expires_at=at + timedelta(days=days),
            )  # fmt: skip
        (kept if engine == MODEL and days > 0 else expected).add(template_id)
    other = deployment(db)
    with db.transaction() as session:
        vault.seal_template(
            session, subject(db), other, m.new_id(), np.ones(128, np.float32), engine="aaa-model",
            model_version="1", expires_at=at - timedelta(days=1),
        )  # fmt: skip
    with db.transaction(readonly=True) as session:
        found = list(session.scalars(left_out_ids(dep, MODEL, at)))
    assert sorted(found) == sorted(expected)
    assert not kept & set(found)
