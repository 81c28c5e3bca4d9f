"""Person records (sealed, found by exact name or card) and one-time enrolment codes issued by
the front desk and redeemed at a kiosk (issue 15)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from facegate.law import Refused
from facegate.service import ConsentSpec, Gate
from facegate.service.enrolment_codes import (
    EnrolmentCodeInvalid,
    EnrolmentCodeLocked,
    issue_enrolment_code,
    redeem_enrolment_code,
    revoke_enrolment_code,
)
from facegate.service.persons import (
    DuplicateCard,
    PersonSpec,
    add_person,
    find_people,
    get_person,
    list_people,
    person_of_subject,
    update_person,
)
from raw_sql import raw_rows, stored_bytes
from sites import CONSENT, Clock, Site, make_site

pytestmark = pytest.mark.both_databases

DESK = "operator:desk"


def raw(gate: Gate, sql: str) -> list[tuple[object, ...]]:
    return raw_rows(gate.ctx.db, sql)


def test_a_person_record_is_sealed_and_found_by_exact_name_or_card(
    gate: Gate, site: Site, data_dir: Path
) -> None:
    spec = PersonSpec(
        name="张伟",
        unit="3-1201",
        card_number="A1-0042",
        contact="138 0000 0000",
        age_attested=True,
    )
    zhang = add_person(gate.ctx, site.controller_id, spec, actor=DESK)
    other = add_person(gate.ctx, site.controller_id, PersonSpec(name="Zhang  WEI"), actor=DESK)

    # Nothing of the identity is stored in the clear (GB/T 35273 6.3): not in people, not in
    # identities, not anywhere in the database file.
    blob = stored_bytes(gate.ctx.db)
    assert b"3-1201" not in blob and b"people" in blob
    for secret in ("张伟".encode(), b"3-1201", b"A1-0042", b"138 0000 0000", b"Zhang"):
        assert secret not in blob
    assert raw(gate, "SELECT count(*) FROM people")[0][0] == 2

    assert [p.id for p in find_people(gate.ctx, site.controller_id, name=" 张伟 ")] == [zhang.id]
    # card numbers are found however they are typed: spaces, hyphens, full-width, case
    assert [p.id for p in find_people(gate.ctx, site.controller_id, card_number="ａ1 0042")] == [
        zhang.id
    ]
    assert [p.id for p in find_people(gate.ctx, site.controller_id, name="zhang wei")] == [other.id]
    assert find_people(gate.ctx, site.controller_id, name="张") == []  # exact only

    shown = get_person(gate.ctx, zhang.id)
    assert (shown.name, shown.unit, shown.card_number) == ("张伟", "3-1201", "A1-0042")
    assert person_of_subject(gate.ctx, zhang.subject_id) == shown
    page = list_people(gate.ctx, site.controller_id)
    assert page.total == 2 and {p.id for p in page.people} == {zhang.id, other.id}

    # Another controller's people are not found by the same name: their digests differ.
    elsewhere = make_site(gate, name="Canteen")
    add_person(gate.ctx, elsewhere.controller_id, PersonSpec(name="张伟"), actor=DESK)
    assert [p.id for p in find_people(gate.ctx, site.controller_id, name="张伟")] == [zhang.id]
    indexes = raw(gate, "SELECT name_index FROM people")
    assert len({row[0] for row in indexes}) == 3

    # A card belongs to one person of a controller.
    with pytest.raises(DuplicateCard):
        add_person(
            gate.ctx, site.controller_id, PersonSpec(name="X", card_number="a10042"), actor=DESK
        )

    # Correction (PIPL 46): the new name is found, the old one no longer.
    update_person(
        gate.ctx, zhang.id, PersonSpec(name="张伟明", unit="3-1202", age_attested=True), actor=DESK
    )
    assert find_people(gate.ctx, site.controller_id, name="张伟") == []
    assert [p.unit for p in find_people(gate.ctx, site.controller_id, name="张伟明")] == ["3-1202"]
    assert find_people(gate.ctx, site.controller_id, card_number="A1-0042") == []


def test_the_front_desk_issues_a_code_and_a_kiosk_enrols_that_person(
    gate: Gate, site: Site, fixtures: Path, data_dir: Path
) -> None:
    obama = add_person(
        gate.ctx,
        site.controller_id,
        PersonSpec(name="B. Obama", unit="3-301", age_attested=True),
        actor=DESK,
    )
    # consent.separate (M6): the desk records the consent on the person's behalf, with the
    # alternative offered; a pre-ticked one is refused as anywhere else and issues no code.
    with pytest.raises(Refused):
        issue_enrolment_code(
            gate.ctx,
            obama.id,
            site.deployment_id,
            consent=ConsentSpec(alternative_offered=False),
            actor=DESK,
        )
    # no consent at all: refused too
    with pytest.raises(Refused) as refused:
        issue_enrolment_code(gate.ctx, obama.id, site.deployment_id, actor=DESK)
    assert "consent.separate" in refused.value.decision.codes
    assert raw(gate, "SELECT count(*) FROM enrolment_codes")[0][0] == 0

    issued = issue_enrolment_code(
        gate.ctx,
        obama.id,
        site.deployment_id,
        consent=ConsentSpec(alternative_offered=True, form="written"),
        actor=DESK,
    )
    assert len(issued.code) == 9 and issued.code[4] == "-"
    # stored as a keyed digest only
    assert issued.code.replace("-", "").encode() not in stored_bytes(gate.ctx.db)

    ticket = redeem_enrolment_code(
        gate.ctx, issued.code.lower().replace("-", " "), device_id=site.device_id, actor="device:k"
    )
    assert (ticket.subject_id, ticket.deployment_id, ticket.consent_id) == (
        obama.subject_id,
        site.deployment_id,
        issued.consent_id,
    )
    assert ticket.given_by == "self"
    gate.enrol(
        ticket.subject_id, ticket.deployment_id, fixtures / "obama_1.jpg", device_id=site.device_id
    )
    found = gate.identify(site.device_id, fixtures / "obama_2.jpg")
    assert [f.subject_id for f in found.faces] == [obama.subject_id]
    assert person_of_subject(gate.ctx, found.faces[0].subject_id) is not None

    # Single use.
    with pytest.raises(EnrolmentCodeInvalid):
        redeem_enrolment_code(gate.ctx, issued.code, device_id=site.device_id, actor="device:k")


def test_codes_expire_are_revoked_by_a_new_one_and_stay_in_their_deployment(
    gate: Gate, site: Site, clock: Clock
) -> None:
    person = add_person(
        gate.ctx, site.controller_id, PersonSpec(name="Li Na", age_attested=True), actor=DESK
    )
    gate.record_consent(person.subject_id, site.deployment_id, CONSENT)
    first = issue_enrolment_code(gate.ctx, person.id, site.deployment_id, actor=DESK)
    second = issue_enrolment_code(gate.ctx, person.id, site.deployment_id, actor=DESK)
    with pytest.raises(EnrolmentCodeInvalid):  # the reissue revoked the first paper
        redeem_enrolment_code(gate.ctx, first.code, device_id=site.device_id, actor="device:k")

    # A device of another deployment (same controller) does not know the code.
    other = make_site(gate, name="Canteen")
    with pytest.raises(EnrolmentCodeInvalid):
        redeem_enrolment_code(gate.ctx, second.code, device_id=other.device_id, actor="device:k")

    clock.advance(hours=25)
    with pytest.raises(EnrolmentCodeInvalid):
        redeem_enrolment_code(gate.ctx, second.code, device_id=site.device_id, actor="device:k")

    third = issue_enrolment_code(gate.ctx, person.id, site.deployment_id, actor=DESK)
    revoke_enrolment_code(gate.ctx, third.code_id, actor=DESK)
    with pytest.raises(EnrolmentCodeInvalid):
        redeem_enrolment_code(gate.ctx, third.code, device_id=site.device_id, actor="device:k")

    # A withdrawn consent takes the code's use with it (M6: withdrawal stops processing).
    fourth = issue_enrolment_code(gate.ctx, person.id, site.deployment_id, actor=DESK)
    gate.withdraw_consent(person.subject_id, site.deployment_id)
    with pytest.raises(EnrolmentCodeInvalid):
        redeem_enrolment_code(gate.ctx, fourth.code, device_id=site.device_id, actor="device:k")


def test_a_child_code_needs_the_guardians_consent(gate: Gate, site: Site) -> None:
    child = add_person(
        gate.ctx,
        site.controller_id,
        PersonSpec(name="Xiao Ming", date_of_birth=date(2018, 5, 1)),
        actor=DESK,
    )
    # minor.guardian (M7, PIPL31): the child cannot consent alone
    with pytest.raises(Refused) as refused:
        issue_enrolment_code(
            gate.ctx,
            child.id,
            site.deployment_id,
            consent=ConsentSpec(alternative_offered=True),
            actor=DESK,
        )
    assert "minor.guardian" in refused.value.decision.codes
    issued = issue_enrolment_code(
        gate.ctx,
        child.id,
        site.deployment_id,
        consent=ConsentSpec(
            given_by="guardian", guardian_relation="mother", alternative_offered=True
        ),
        actor=DESK,
    )
    ticket = redeem_enrolment_code(
        gate.ctx, issued.code, device_id=site.device_id, actor="device:k"
    )
    assert (ticket.given_by, ticket.guardian_relation) == ("guardian", "mother")


def test_wrong_codes_lock_the_device_for_a_while(gate: Gate, site: Site) -> None:
    for _ in range(4):
        with pytest.raises(EnrolmentCodeInvalid):
            redeem_enrolment_code(gate.ctx, "ABCD-EFGH", device_id=site.device_id, actor="device:k")
    with pytest.raises(EnrolmentCodeLocked) as locked:
        redeem_enrolment_code(gate.ctx, "ABCD-EFGH", device_id=site.device_id, actor="device:k")
    assert locked.value.retry_after > 60
    with pytest.raises(EnrolmentCodeLocked):  # even a right code waits
        redeem_enrolment_code(gate.ctx, "2345-6789", device_id=site.device_id, actor="device:k")


def test_erasing_a_person_leaves_no_record_digest_or_code(
    gate: Gate, site: Site, data_dir: Path
) -> None:
    person = add_person(
        gate.ctx,
        site.controller_id,
        PersonSpec(name="Wang Fang", card_number="C-77", age_attested=True),
        actor=DESK,
    )
    gate.record_consent(person.subject_id, site.deployment_id, CONSENT)
    issue_enrolment_code(gate.ctx, person.id, site.deployment_id, actor=DESK)
    gate.delete_subject(person.subject_id, actor="dpo:x")
    assert raw(gate, "SELECT count(*) FROM people")[0][0] == 0
    assert raw(gate, "SELECT count(*) FROM enrolment_codes")[0][0] == 0
    assert find_people(gate.ctx, site.controller_id, name="Wang Fang") == []
    assert person_of_subject(gate.ctx, person.subject_id) is None


def test_a_consent_recorded_at_the_desk_is_standing_for_its_code_on_a_live_clock(
    data_dir: Path, database_url: str, engine: object
) -> None:
    """With the real clock (every call a later instant), the consent the desk records is the
    one the code is issued under."""
    from facegate.config import Settings

    settings = Settings(data_dir=data_dir / "live", database_url=database_url)
    live = Gate.open(settings, create=True, engine=engine)  # type: ignore[arg-type]
    try:
        site = make_site(live)
        person = add_person(
            live.ctx, site.controller_id, PersonSpec(name="Li Na", age_attested=True), actor=DESK
        )
        issued = issue_enrolment_code(
            live.ctx, person.id, site.deployment_id, consent=CONSENT, actor=DESK
        )
        ticket = redeem_enrolment_code(live.ctx, issued.code, device_id=site.device_id, actor="k")
        assert ticket.consent_id == issued.consent_id
    finally:
        live.close()
