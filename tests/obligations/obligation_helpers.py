"""Helpers for the obligations tests: a clock, a lawful site, and a fast path that stores
many individuals' templates without the face engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from facegate.service import DeviceSpec, Gate
from sites import gate_spec


@dataclass
class Org:
    controller_id: str
    deployments: list[str]
    devices: list[str]


def make_org(gate: Gate, *names: str) -> Org:
    controller = gate.register_controller(
        name="Sunrise Property Co. 朝阳物业", contact="dpo@sunrise.cn", address="Chaoyang, Beijing"
    )
    org = Org(controller.id, [], [])
    for name in names or ("North gate",):
        deployment = gate.create_deployment(controller.id, gate_spec(name=name))
        device = gate.register_device(
            deployment.id,
            DeviceSpec(
                name=f"{name} camera",
                location_description="Block 3",
                location_type="residential_entrance",
            ),
        )
        gate.activate(deployment.id)
        org.deployments.append(deployment.id)
        org.devices.append(device.id)
    return org


def person(number: int) -> str:
    """The subject id the fast path gives person ``number``."""
    return f"{number:032d}"


def bulk_store(
    gate: Gate, deployment_id: str, first: int, last: int, at: datetime, *, new: bool
) -> None:
    """Store a template in ``deployment_id`` for persons ``first``..``last`` (ids from
    ``person``), creating the subjects if ``new``: the test's fast path, generated inside the
    database (no engine, no ORM; on SQLite in its storage format for times)."""
    expires = at + timedelta(days=365)
    if gate.ctx.db.is_sqlite:
        numbers = (
            "WITH RECURSIVE n(i) AS (SELECT :first UNION ALL SELECT i + 1 FROM n WHERE i < :last) "
        )
        moment = at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        until = expires.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        ids = {32: "printf('%032d', i)", 16: "printf('%016d', i)"}
        zero, at_sql, until_sql = "x'00'", ":at", ":until"
    else:
        numbers = (
            "WITH n(i) AS (SELECT generate_series(CAST(:first AS bigint), CAST(:last AS bigint))) "
        )
        moment, until = at.astimezone(UTC).isoformat(), expires.astimezone(UTC).isoformat()
        ids = {32: "lpad(i::text, 32, '0')", 16: "lpad(i::text, 16, '0')"}
        zero, at_sql, until_sql = (
            "'\\x00'::bytea",
            "CAST(:at AS timestamptz)",
            ("CAST(:until AS timestamptz)"),
        )
    prefix = deployment_id[:15]
    with gate.ctx.db.transaction() as session:
        params = {"first": first, "last": last, "at": moment, "until": until, "p": prefix}
        if new:
            session.execute(
                text(numbers + f"INSERT INTO subjects (id, created_at) SELECT {ids[32]}, {at_sql} "
                     "FROM n"),
                params,
            )  # fmt: skip
        session.execute(
            text(numbers + "INSERT INTO data_keys (id, subject_id, deployment_id, wrapped_key, "
                 f"created_at) SELECT :p || 'k' || {ids[16]}, {ids[32]}, :d, {zero}, {at_sql} "
                 "FROM n"),
            {**params, "d": deployment_id},
        )  # fmt: skip
        session.execute(
            text(numbers + "INSERT INTO templates (id, subject_id, deployment_id, data_key_id, "
                 "engine, model_version, nonce, ciphertext, expires_at, created_at) "
                 f"SELECT :p || 't' || {ids[16]}, {ids[32]}, :d, :p || 'k' || {ids[16]}, "
                 f"'test', 'test', {zero}, {zero}, {until_sql}, {at_sql} FROM n"),
            {**params, "d": deployment_id},
        )  # fmt: skip


def file_threshold(gate: Gate, controller_id: str, now: datetime) -> str:
    """Open the threshold obligation and file it (submitted, then accepted); its id."""
    from facegate.service.individuals import open_threshold_obligation

    with gate.ctx.unit() as session:
        row = open_threshold_obligation(session, controller_id, 100_000, now)
        assert row is not None
        filing_id = row.id
    gate.submit_filing(filing_id, "京网信备-2026-0001")
    gate.accept_filing(filing_id)
    return filing_id
