"""Subjects, consent, and the non-face alternative."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

from facegate.cli import choices
from facegate.cli.common import JsonOption, open_gate, reporting, show
from facegate.cli.output import EXIT_REFUSED, print_rows, say, show_record

subject_app = typer.Typer(help="People: a pseudonymous id; identity kept apart, encrypted.")
consent_app = typer.Typer(help="Separate consent: record, withdraw, or record a refusal.")
alternative_app = typer.Typer(help="The non-face way in: PIN, card, QR token, staff check.")


def _date(value: str | None) -> date | None:
    if not value:
        return None
    from facegate.service import BadRequest

    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise BadRequest(f"dates are YYYY-MM-DD, got {value!r}") from exc


@subject_app.command("add")
def subject_add(
    ctx: typer.Context,
    dob: Annotated[str | None, typer.Option(help="Date of birth, YYYY-MM-DD.")] = None,
    name: Annotated[str, typer.Option(help="Kept encrypted, apart from face data.")] = "",
    id_number: Annotated[str, typer.Option(help="Kept encrypted, apart from face data.")] = "",
    phone: Annotated[str, typer.Option()] = "",
    age_14_or_older: Annotated[
        bool,
        typer.Option(
            "--age-14-or-older",
            help="The person attests being 14 or older (instead of a date of birth).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Register a person: an adult's attestation of being 14 or older is enough; a child's
    date of birth is needed."""
    from facegate.service.views import subject_view

    with reporting(as_json):
        identity = {
            k: v for k, v in {"name": name, "id_number": id_number, "phone": phone}.items() if v
        }
        row = open_gate(ctx).register_subject(
            date_of_birth=_date(dob),
            identity=identity or None,
            age_attested=age_14_or_older,
            actor="cli",
        )
        show(subject_view(row), as_json, say("cli.subject.added", id=row.id))


@subject_app.command("list")
def subject_list(
    ctx: typer.Context,
    deployment: Annotated[
        str | None, typer.Option(help="Only people with a consent record here.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Every subject (pseudonymous ids; identities stay sealed)."""
    from facegate.service import listings

    with reporting(as_json):
        rows = listings.subjects(open_gate(ctx).ctx, deployment)
        print_rows("subjects", rows, ("id", "date_of_birth"), as_json)


@subject_app.command("show")
def subject_show(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="Subject id.")],
    as_json: JsonOption = False,
) -> None:
    """One subject: consents and templates per deployment (never the identity or a face)."""
    from facegate.service import listings

    with reporting(as_json):
        show_record(listings.subject(open_gate(ctx).ctx, subject), as_json)


@consent_app.command("list")
def consent_list(
    ctx: typer.Context,
    subject: Annotated[str | None, typer.Option(help="Only this subject's.")] = None,
    deployment: Annotated[str | None, typer.Option(help="Only this deployment's.")] = None,
    active: Annotated[bool, typer.Option("--active", help="Leave out withdrawn ones.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Consent records, oldest first."""
    from facegate.service import listings

    with reporting(as_json):
        gate = open_gate(ctx)
        rows = listings.consents(
            gate.ctx,
            subject_id=subject,
            deployment_id=deployment,
            include_withdrawn=not active,
        )
        columns = ("id", "subject_id", "deployment_id", "scope", "given_at", "withdrawn_at")
        print_rows("consents", rows, columns, as_json, zone_name=gate.ctx.time_zone)


@consent_app.command("show")
def consent_show(
    ctx: typer.Context,
    consent: Annotated[str, typer.Argument(help="Consent id.")],
    as_json: JsonOption = False,
) -> None:
    """One consent record."""
    from facegate.service import listings

    with reporting(as_json):
        show_record(listings.consent(open_gate(ctx).ctx, consent), as_json)


@consent_app.command("record")
def consent_record(
    ctx: typer.Context,
    subject: Annotated[str, typer.Option(help="Subject id.")],
    deployment: Annotated[str, typer.Option(help="Deployment id.")],
    alternative_offered: Annotated[
        bool, typer.Option(help="The person was offered the non-face alternative.")
    ] = False,
    scope: Annotated[
        choices.ConsentScope, typer.Option(metavar="SCOPE", help="processing or transfer.")
    ] = choices.ConsentScope.PROCESSING,
    given_by: Annotated[
        choices.GivenBy, typer.Option(metavar="WHO", help="self or guardian.")
    ] = choices.GivenBy.SELF,
    guardian_relation: Annotated[str, typer.Option(help="e.g. mother, father.")] = "",
    form: Annotated[
        choices.ConsentForm, typer.Option(metavar="FORM", help="electronic or written.")
    ] = choices.ConsentForm.ELECTRONIC,
    notice_hash: Annotated[str, typer.Option(help="SHA-256 of the notice shown.")] = "",
    pre_ticked: Annotated[
        bool, typer.Option("--pre-ticked", help="The box was ticked in advance (refused).")
    ] = False,
    bundled: Annotated[
        bool, typer.Option("--bundled", help="Given with other terms at once (refused).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Record one separate consent (never bundled or pre-ticked; the alternative must have
    been offered). --pre-ticked and --bundled record how a consent was really given, as the
    API does, so that the law refuses it."""
    from facegate.service import ConsentSpec
    from facegate.service.views import consent_view

    spec = ConsentSpec(
        scope=scope,
        given_by=given_by,
        guardian_relation=guardian_relation,
        form=form,
        notice_hash=notice_hash,
        alternative_offered=alternative_offered,
        pre_ticked=pre_ticked,
        bundled=bundled,
    )
    with reporting(as_json):
        row = open_gate(ctx).record_consent(subject, deployment, spec, actor="cli")
        show(consent_view(row), as_json, say("cli.consent.recorded", id=row.id, scope=row.scope))


@consent_app.command("withdraw")
def consent_withdraw(
    ctx: typer.Context,
    subject: Annotated[str, typer.Option(help="Subject id.")],
    deployment: Annotated[str, typer.Option(help="Deployment id.")],
    scope: Annotated[
        choices.ConsentScope,
        typer.Option(metavar="SCOPE", help="processing (deletes templates) or transfer."),
    ] = choices.ConsentScope.PROCESSING,
    as_json: JsonOption = False,
) -> None:
    """Withdraw consent: the deployment's templates are destroyed at once."""
    with reporting(as_json):
        result = open_gate(ctx).withdraw_consent(subject, deployment, scope=scope, actor="cli")
        show(
            {
                "subject_id": result.subject_id,
                "deployment_id": result.deployment_id,
                "consents_withdrawn": result.consents_withdrawn,
                "templates_destroyed": result.templates_destroyed,
            },
            as_json,
            say(
                "cli.consent.withdrawn",
                consents=result.consents_withdrawn,
                templates=result.templates_destroyed,
            ),
        )


@consent_app.command("refuse")
def consent_refuse(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Option(help="Deployment id.")],
    subject: Annotated[str | None, typer.Option(help="Subject id, if known.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Record that a person said no; they will not be asked again for a while."""
    with reporting(as_json):
        open_gate(ctx).record_refusal(deployment, subject_id=subject, channel="cli", actor="cli")
        show({"recorded": True}, as_json, say("cli.consent.refusal_recorded"))


@alternative_app.command("add")
def alternative_add(
    ctx: typer.Context,
    subject: Annotated[str, typer.Option(help="Subject id.")],
    deployment: Annotated[str, typer.Option(help="Deployment id.")],
    kind: Annotated[
        choices.CredentialKind,
        typer.Option(metavar="KIND", help=choices.KIND_HELP),
    ],
    secret: Annotated[str, typer.Option(help="The PIN, card number or QR token.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Give a person a non-face credential (stored as an argon2 hash)."""
    from facegate.service.views import credential_view

    with reporting(as_json):
        row = open_gate(ctx).add_credential(subject, deployment, kind, secret, actor="cli")
        show(credential_view(row), as_json, say("cli.credential.added", kind=row.kind, id=row.id))


@alternative_app.command("verify")
def alternative_verify(
    ctx: typer.Context,
    device: Annotated[str, typer.Option(help="Device id.")],
    kind: Annotated[
        choices.CredentialKind,
        typer.Option(metavar="KIND", help=choices.KIND_HELP),
    ],
    secret: Annotated[str, typer.Option()] = "",
    subject: Annotated[str | None, typer.Option(help="Claimed subject (PIN, staff check).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Let a person through without a face: same outcome as face verification."""
    with reporting(as_json):
        result = open_gate(ctx).verify_alternative(
            device, kind, secret, subject_id=subject, actor="cli"
        )
        verdict = say("cli.match" if result.matched else "cli.no_match")
        subject_id = result.subject_id or ""
        show(result.to_dict(), as_json, f"{verdict} ({result.method}) {subject_id}")
        if not result.matched:
            raise typer.Exit(EXIT_REFUSED)
