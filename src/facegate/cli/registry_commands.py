"""Controllers, deployments and devices."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from facegate.cli import choices
from facegate.cli.common import JsonOption, open_gate, reporting, show
from facegate.cli.output import cli_lang, print_rows, say, show_record, term

controller_app = typer.Typer(help="The organisation that processes faces (个人信息处理者).")
deployment_app = typer.Typer(help="One purpose of processing: create, list, activate, suspend.")
device_app = typer.Typer(help="Face recognition devices of a deployment.")


@controller_app.command("add")
def controller_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Legal name.")],
    contact: Annotated[str, typer.Option(help="Contact for people and authorities.")],
    address: Annotated[str, typer.Option()] = "",
    dpo: Annotated[str, typer.Option(help="Person in charge of personal information.")] = "",
    operator_kind: Annotated[
        choices.OperatorKind, typer.Option(metavar="KIND", help=choices.OPERATOR_KIND_HELP)
    ] = choices.OperatorKind.OTHER,
    as_json: JsonOption = False,
) -> None:
    """Register the controller."""
    from facegate.service.views import controller_view

    with reporting(as_json):
        row = open_gate(ctx).register_controller(
            name=name,
            contact=contact,
            address=address,
            dpo=dpo,
            operator_kind=operator_kind.value,
            actor="cli",
        )
        show(controller_view(row), as_json, say("cli.controller.added", id=row.id, name=row.name))


@controller_app.command("operator-kind")
def controller_operator_kind(
    ctx: typer.Context,
    controller: Annotated[str, typer.Argument(help="Controller id.")],
    kind: Annotated[
        choices.OperatorKind, typer.Argument(metavar="KIND", help=choices.OPERATOR_KIND_HELP)
    ],
    as_json: JsonOption = False,
) -> None:
    """Record that the controller is (or no longer is) critical information infrastructure or
    a central or state organ: incidents are then reported on that clock."""
    from facegate.service.views import controller_view

    with reporting(as_json):
        row = open_gate(ctx).set_operator_kind(controller, kind.value, actor="cli")
        text = say("cli.controller.kind", id=row.id, kind=row.operator_kind)
        show(controller_view(row), as_json, text)


LIVENESS_HELP = (
    "Refuse printed and on-screen faces, one of: passive (every capture is checked), active "
    "(also a blink-and-turn challenge at the kiosk), off."
)


@deployment_app.command("create")
def deployment_create(
    ctx: typer.Context,
    controller: Annotated[str, typer.Option(help="Controller id.")],
    name: Annotated[str, typer.Option()],
    purpose_type: Annotated[
        choices.PurposeType,
        typer.Option(metavar="TYPE", help=choices.PURPOSE_HELP),
    ],
    purpose: Annotated[str, typer.Option(help="The specific purpose, in plain words.")],
    necessity: Annotated[str, typer.Option(help="Why face recognition is necessary for it.")],
    alternative: Annotated[
        list[str], typer.Option(help="A non-face way in (repeatable), e.g. 'PIN pad'.")
    ],
    method: Annotated[
        choices.Method, typer.Option(metavar="METHOD", help="verify (1:1) or identify (1:N).")
    ] = choices.Method.VERIFY,
    why_not_verify: Annotated[str, typer.Option(help="For identify: why 1:1 does not serve.")] = "",
    location_type: Annotated[
        choices.LocationType,
        typer.Option(metavar="PLACE", help=choices.PLACE_HELP),
    ] = choices.LocationType.RESIDENTIAL_ENTRANCE,
    public_place: Annotated[bool, typer.Option()] = False,
    sector: Annotated[
        choices.Sector,
        typer.Option(metavar="SECTOR", help=choices.SECTOR_HELP),
    ] = choices.Sector.GENERAL,
    retention_days: Annotated[int, typer.Option()] = 365,
    transfer_mode: Annotated[
        choices.TransferMode, typer.Option(metavar="MODE", help="on_device or networked.")
    ] = choices.TransferMode.ON_DEVICE,
    transfer_legal_basis: Annotated[str, typer.Option()] = "",
    lawful_basis: Annotated[
        choices.LawfulBasis,
        typer.Option(metavar="BASIS", help=choices.BASIS_HELP),
    ] = choices.LawfulBasis.CONSENT,
    written_consent: Annotated[bool, typer.Option(help="A law requires written consent.")] = False,
    exterior_camera: Annotated[bool, typer.Option()] = False,
    mlps_level: Annotated[int | None, typer.Option(help="Graded protection level.")] = None,
    entrusted_processor: Annotated[str, typer.Option(help="Vendor processing for you.")] = "",
    capture_mode: Annotated[
        choices.CaptureMode,
        typer.Option(
            metavar="MODE",
            help="explicit_act (the person presents, presses, opts in) or walk_through "
            "(never on consent).",
        ),
    ] = choices.CaptureMode.EXPLICIT_ACT,
    retention_justification: Annotated[
        str, typer.Option(help="Why the purpose needs longer than its default retention.")
    ] = "",
    alternative_legal_basis: Annotated[
        str, typer.Option(help="No alternative: the approved basis (approved:<id>), Measures 10.")
    ] = "",
    target_fpir: Annotated[
        float | None,
        typer.Option(help="1:N: strangers taken for someone enrolled, per probe [0.01]."),
    ] = None,
    fnir_ceiling: Annotated[
        float | None, typer.Option(help="1:N: the share of enrolled people you may miss [0.1].")
    ] = None,
    target_fmr: Annotated[
        float | None, typer.Option(help="1:1: false matches per comparison [engine threshold].")
    ] = None,
    ambiguity_margin: Annotated[
        float | None, typer.Option(help="1:N: refuse a match this close to the next one [0.03].")
    ] = None,
    planned_gallery_size: Annotated[
        int, typer.Option(help="1:N: how many people you plan to enrol.")
    ] = 0,
    liveness: Annotated[
        choices.Liveness, typer.Option(metavar="LIVENESS", help=LIVENESS_HELP)
    ] = choices.Liveness.PASSIVE,
    purpose_en: Annotated[str, typer.Option(help="The purpose in English (optional).")] = "",
    necessity_en: Annotated[str, typer.Option(help="The necessity in English.")] = "",
    why_not_verify_en: Annotated[str, typer.Option(help="Why not 1:1, in English.")] = "",
    alternative_en: Annotated[
        list[str] | None, typer.Option(metavar="TEXT", help="An alternative in English.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Describe a deployment; refused if the law forbids it as described. Purpose,
    necessity, reason and alternatives are the Chinese text (Chinese documents show it, never
    English); the --*-en options give the English documents their text."""
    from facegate.service import DeploymentSpec
    from facegate.service.views import deployment_view

    spec = DeploymentSpec(
        name=name,
        purpose_type=purpose_type,
        purpose=purpose,
        necessity=necessity,
        method=method,
        why_not_verify=why_not_verify,
        location_type=location_type,
        public_place=public_place,
        sector=sector,
        retention_days=retention_days,
        alternatives=tuple(alternative),
        transfer_mode=transfer_mode,
        transfer_legal_basis=transfer_legal_basis,
        lawful_basis=lawful_basis,
        written_consent_required=written_consent,
        exterior_camera=exterior_camera,
        mlps_level=mlps_level,
        entrusted_processor=entrusted_processor,
        capture_mode=capture_mode,
        retention_justification=retention_justification,
        alternative_legal_basis=alternative_legal_basis,
        target_fmr=target_fmr,
        planned_gallery_size=planned_gallery_size,
        liveness=liveness,
        english=_english(purpose_en, necessity_en, why_not_verify_en, alternative_en),
    )
    if target_fpir is not None:
        spec = replace(spec, target_fpir=target_fpir)
    if fnir_ceiling is not None:
        spec = replace(spec, fnir_ceiling=fnir_ceiling)
    if ambiguity_margin is not None:
        spec = replace(spec, ambiguity_margin=ambiguity_margin)
    with reporting(as_json):
        row = open_gate(ctx).create_deployment(controller, spec, actor="cli")
        status = term("console.status.", row.status)
        text = say("cli.deployment.created", id=row.id, name=row.name, status=status)
        show(deployment_view(row), as_json, text)


def _english(
    purpose: str, necessity: str, why_not_verify: str, alternatives: list[str] | None
) -> dict[str, object]:
    values: dict[str, object] = {
        "purpose": purpose,
        "necessity": necessity,
        "why_not_verify": why_not_verify,
    }
    if alternatives:
        values["alternatives"] = list(alternatives)
    return {k: v for k, v in values.items() if v}


@controller_app.command("list")
def controller_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every controller."""
    from facegate.service import listings

    with reporting(as_json):
        rows = listings.controllers(open_gate(ctx).ctx)
        print_rows("controllers", rows, ("id", "name", "contact", "dpo"), as_json)


@controller_app.command("show")
def controller_show(
    ctx: typer.Context,
    controller: Annotated[str, typer.Argument(help="Controller id.")],
    as_json: JsonOption = False,
) -> None:
    """One controller and its deployments."""
    from facegate.service import listings

    with reporting(as_json):
        show_record(listings.controller(open_gate(ctx).ctx, controller), as_json)


@deployment_app.command("list")
def deployment_list(
    ctx: typer.Context,
    controller: Annotated[str | None, typer.Option(help="Only this controller's.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Every deployment and its status."""
    from facegate.service import listings

    with reporting(as_json):
        rows = listings.deployments(open_gate(ctx).ctx, controller)
        print_rows("deployments", rows, ("id", "name", "status", "method", "purpose"), as_json)


@deployment_app.command("show")
def deployment_show(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Argument(help="Deployment id.")],
    as_json: JsonOption = False,
) -> None:
    """One deployment as described, with its devices."""
    from facegate.service import listings

    with reporting(as_json):
        show_record(listings.deployment(open_gate(ctx).ctx, deployment), as_json)


@device_app.command("list")
def device_list(
    ctx: typer.Context,
    deployment: Annotated[str | None, typer.Option(help="Only this deployment's.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Every device."""
    from facegate.service import listings

    with reporting(as_json):
        rows = listings.devices(open_gate(ctx).ctx, deployment)
        print_rows(
            "devices", rows, ("id", "deployment_id", "name", "location_type", "active"), as_json
        )


@device_app.command("show")
def device_show(
    ctx: typer.Context,
    device: Annotated[str, typer.Argument(help="Device id.")],
    as_json: JsonOption = False,
) -> None:
    """One device."""
    from facegate.service import listings

    with reporting(as_json):
        show_record(listings.device(open_gate(ctx).ctx, device), as_json)


@deployment_app.command("accuracy")
def deployment_accuracy(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Argument(help="Deployment id.")],
    as_json: JsonOption = False,
) -> None:
    """The threshold in force and the error rates to expect (FPIR and FNIR for 1:N)."""
    with reporting(as_json):
        view = open_gate(ctx).accuracy(deployment)
        first, second = view.statement_en, view.statement_zh
        if cli_lang() == "zh":
            first, second = second, first
        show(view.to_dict(), as_json, f"{first}\n{second}")


def _status_command(verb: str) -> None:
    def command(
        ctx: typer.Context,
        deployment: Annotated[str, typer.Argument(help="Deployment id.")],
        as_json: JsonOption = False,
    ) -> None:
        from facegate.service.views import deployment_view

        with reporting(as_json):
            gate = open_gate(ctx)
            row = getattr(gate, verb)(deployment, actor="cli")
            status = term("console.status.", row.status)
            show(
                deployment_view(row),
                as_json,
                say("cli.deployment.status", id=row.id, status=status),
            )

    command.__doc__ = {
        "activate": "Start processing (refused without every legal prerequisite).",
        "suspend": "Pause processing.",
        "stop": "Stop processing for good.",
    }[verb]
    deployment_app.command(verb)(command)


for _verb in ("activate", "suspend", "stop"):
    _status_command(_verb)


@deployment_app.command("update")
def deployment_update(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Argument(help="Deployment id.")],
    purpose: Annotated[str | None, typer.Option()] = None,
    necessity: Annotated[str | None, typer.Option()] = None,
    method: Annotated[
        choices.Method | None, typer.Option(metavar="METHOD", help="verify or identify.")
    ] = None,
    why_not_verify: Annotated[str | None, typer.Option()] = None,
    retention_days: Annotated[int | None, typer.Option()] = None,
    retention_justification: Annotated[str | None, typer.Option()] = None,
    capture_mode: Annotated[
        choices.CaptureMode | None,
        typer.Option(metavar="MODE", help="explicit_act or walk_through."),
    ] = None,
    alternative: Annotated[list[str] | None, typer.Option()] = None,
    target_fpir: Annotated[float | None, typer.Option()] = None,
    fnir_ceiling: Annotated[float | None, typer.Option()] = None,
    target_fmr: Annotated[float | None, typer.Option()] = None,
    ambiguity_margin: Annotated[float | None, typer.Option()] = None,
    planned_gallery_size: Annotated[int | None, typer.Option()] = None,
    liveness: Annotated[
        choices.Liveness | None, typer.Option(metavar="LIVENESS", help=LIVENESS_HELP)
    ] = None,
    purpose_en: Annotated[str, typer.Option(help="The purpose in English (optional).")] = "",
    necessity_en: Annotated[str, typer.Option(help="The necessity in English.")] = "",
    why_not_verify_en: Annotated[str, typer.Option(help="Why not 1:1, in English.")] = "",
    alternative_en: Annotated[
        list[str] | None, typer.Option(metavar="TEXT", help="An alternative in English.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Change a deployment. Anything the impact assessment weighed needs a new one; a change of
    purpose or method needs each person's consent again (a shorter retention applies at once).
    An --*-en option changes only that English text."""
    from facegate.service.views import deployment_view

    changes: dict[str, object] = {
        key: value
        for key, value in {
            "purpose": purpose,
            "necessity": necessity,
            "method": method,
            "why_not_verify": why_not_verify,
            "retention_days": retention_days,
            "retention_justification": retention_justification,
            "capture_mode": capture_mode,
            "alternatives": tuple(alternative) if alternative else None,
            "target_fpir": target_fpir,
            "fnir_ceiling": fnir_ceiling,
            "target_fmr": target_fmr,
            "ambiguity_margin": ambiguity_margin,
            "planned_gallery_size": planned_gallery_size,
            "liveness": liveness,
        }.items()
        if value is not None
    }
    english = _english(purpose_en, necessity_en, why_not_verify_en, alternative_en)
    if english:
        changes["english"] = english
    with reporting(as_json):
        row = open_gate(ctx).update_deployment(deployment, actor="cli", **changes)
        show(deployment_view(row), as_json, say("cli.deployment.updated", id=row.id))


@device_app.command("register")
def device_register(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Option(help="Deployment id.")],
    name: Annotated[str, typer.Option()],
    location: Annotated[str, typer.Option(help="Where it is, in words.")],
    location_type: Annotated[
        choices.LocationType,
        typer.Option(metavar="PLACE", help=choices.PLACE_HELP),
    ],
    public_place: Annotated[bool, typer.Option()] = False,
    signage_confirmed: Annotated[bool, typer.Option(help="A prominent sign is up.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Register a device; refused in private spaces (hotel rooms, toilets, changing rooms...)."""
    from facegate.service import DeviceSpec
    from facegate.service.views import device_view

    spec = DeviceSpec(
        name=name,
        location_description=location,
        location_type=location_type,
        public_place=public_place,
        signage_confirmed=signage_confirmed,
    )
    with reporting(as_json):
        row = open_gate(ctx).register_device(deployment, spec, actor="cli")
        show(device_view(row), as_json, say("cli.device.registered", id=row.id, name=row.name))
