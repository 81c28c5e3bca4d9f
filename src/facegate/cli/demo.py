"""`facegate demo`: the two shapes of a site, running. The data directory becomes a control
plane (console, consents, PIPIA, notice: never a face) with a lawful residential-compound gate;
its one device gets an edge node (``<data dir>-edge``), where the fixture faces are enrolled with
consent and the kiosk runs. ``--engine-only``: the face engine alone, in memory.

The demo's ids (no secrets) are kept in ``<data dir>/demo.json``; a second run reuses them and
prints a new admin key only when there is no live one. The device's key is kept by the edge
node in its own data directory (``device.key``, mode 0600).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from facegate.cli.common import refusal_lines, reporting, state
from facegate.cli.output import EXIT_BAD_INPUT, EXIT_REFUSED, cli_lang, console, err_console, say
from facegate.config import ConfigError, Settings, load_settings, write_config
from facegate.edge.keyfile import read_device_key, write_device_key
from facegate.engine import EngineError, FaceEngine
from facegate.law import Refused
from facegate.messages import t
from facegate.messages.errors import error_text
from facegate.private_files import private_file
from facegate.service import (
    BadRequest,
    Conflict,
    ConsentSpec,
    DeploymentSpec,
    DeviceSpec,
    Gate,
    access,
    enrolment_codes,
    persons,
    users,
)

GALLERY = {"obama_1.jpg": "Barack Obama", "biden.jpg": "Joe Biden"}
UNITS = {"Barack Obama": "1-101", "Joe Biden": "2-202"}
PROBES = ("obama_2.jpg", "obama_3.jpg", "obama_rgba.png", "obama_partial.jpg")
PEOPLE = {
    "Barack Obama": ("obama_1.jpg", date(1961, 8, 4), "2468"),
    "Joe Biden": ("biden.jpg", date(1942, 11, 20), "1357"),
}
STATE_FILE = "demo.json"
DEVICE_LABEL = "demo-device"
ADMIN_LABEL = "demo-admin"


@dataclass
class DemoState:
    controller_id: str = ""
    deployment_id: str = ""
    device_id: str = ""
    subjects: dict[str, str] = field(default_factory=dict)
    enrolled_at_edge: list[str] = field(default_factory=list)


@dataclass
class DemoLogin:
    """A console user made by this run: shown once."""

    username: str
    role: str
    password: str
    totp_secret: str


@dataclass
class DemoKeys:
    device: str | None = None
    admin: str | None = None
    logins: list[DemoLogin] = field(default_factory=list)
    enrolment_code: str | None = None


DEMO_USERS = (
    ("admin", "admin", "Demo admin"),
    ("dpo", "dpo", "Li Wei"),
    ("desk", "operator", "Front desk"),
)
NEWCOMER = ("Li Na", "3-1201")  # a resident with a code from the desk, not yet enrolled


def demo(
    ctx: typer.Context,
    engine_only: Annotated[
        bool, typer.Option("--engine-only", help="Only the face engine, in memory.")
    ] = False,
    photos: Annotated[Path, typer.Option(help="Folder holding the fixture photos.")] = Path(
        "tests/fixtures"
    ),
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the control plane.")] = 8000,
    edge_port: Annotated[int, typer.Option(help="Port of the edge node's kiosk and API.")] = 8100,
    serve: Annotated[
        bool, typer.Option(help="Start the control plane and the edge node after setting up.")
    ] = True,
) -> None:
    """Set up a control plane in the data directory (default facegate-data) and an edge node
    for its device (<data dir>-edge), enrol the demo faces on the edge, and run both."""
    if not all((photos / name).is_file() for name in (*GALLERY, *PROBES)):
        console.print(
            say("cli.demo.no_photos", folder=photos), style="red", highlight=False, markup=False
        )
        raise typer.Exit(EXIT_BAD_INPUT)
    if engine_only:
        engine_demo(photos)
        return
    settings = load_settings(state(ctx).data_dir)
    edge_dir = settings.data_dir.parent / f"{settings.data_dir.name}-edge"
    try:
        write_config(settings.data_dir, "control")
        write_config(edge_dir, "edge")
    except ConfigError as exc:
        line = t("cli.demo.old_directory", cli_lang(), message=error_text(exc, cli_lang()))
        err_console.print(line, style="red", highlight=False, markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    # A demo's sign may point at the loopback address it is served on (never a real site's).
    settings = load_settings(state(ctx).data_dir)  # now with its role
    settings = replace(
        settings, public_url=settings.public_url or f"http://{host}:{port}", demo=True
    )
    with reporting(False):
        gate = Gate.open(settings, create=True)
    try:
        try:
            site, keys = set_up(gate, settings.data_dir / STATE_FILE, photos, edge_dir)
            if keys.device:
                write_device_key(edge_dir, keys.device)
            enrol_at_edge(gate, edge_dir, site, settings.data_dir / STATE_FILE, photos)
        except Refused as exc:
            for line in refusal_lines(exc):
                err_console.print(line, highlight=False, markup=False, soft_wrap=True)
            raise typer.Exit(EXIT_REFUSED) from None
        introduce(site, keys, photos, host, port, settings.data_dir, edge=(edge_dir, edge_port))
        if serve:
            run_both(gate, settings.data_dir, edge_dir, host=host, port=port, edge_port=edge_port)
    finally:
        gate.close()


def run_both(
    gate: Gate, data_dir: Path, edge_dir: Path, *, host: str, port: int, edge_port: int
) -> None:
    """The control plane in this process, the edge node as a process of its own (its own
    data directory, database, vault and audit chain), until interrupted."""
    import uvicorn

    from facegate.api import ApiSettings, create_app
    from facegate.api.logs import configure_logging

    configure_logging()
    config = uvicorn.Config(
        create_app(gate, ApiSettings.from_env()),
        host=host,
        port=port,
        access_log=False,
        log_level="warning",
        server_header=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="control-plane", daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.1)
    if not thread.is_alive():
        line = t("cli.demo.cannot_listen", cli_lang(), address=f"{host}:{port}")
        err_console.print(line, style="red", highlight=False, markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    edge = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "facegate",
            "--data-dir",
            str(edge_dir),
            "edge",
            "--control",
            f"http://{host}:{port}",
            "--host",
            host,
            "--port",
            str(edge_port),
            "--sync-interval",
            "5",
        ]
    )
    console.print(
        say(
            "cli.demo.running",
            console=f"http://{host}:{port}/console",
            kiosk=f"http://{host}:{edge_port}/kiosk",
        ),
        highlight=False,
        markup=False,
    )

    def interrupted(_signal: int, _frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM stops both, like Ctrl+C

    previous = signal.signal(signal.SIGTERM, interrupted)
    try:
        while thread.is_alive() and edge.poll() is None:
            thread.join(timeout=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        if edge.poll() is None:
            edge.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                edge.wait(timeout=15)
        server.should_exit = True
        thread.join(timeout=15)
        signal.signal(signal.SIGTERM, previous)


def _load(path: Path) -> DemoState:
    if not path.is_file():
        return DemoState()
    values: Any = json.loads(path.read_text(encoding="utf-8"))
    return DemoState(**values)


def set_up(
    gate: Gate, state_file: Path, photos: Path, edge_dir: Path | None = None
) -> tuple[DemoState, DemoKeys]:
    """Create what is missing of the demo site; return it and any keys made now (a device key
    also when the edge node has none)."""
    site = _load(state_file)
    known = {row.id: row for row in gate.deployments()}
    if site.deployment_id not in known:
        site = DemoState()
        controller = gate.register_controller(
            name="Sunrise Property Co. (demo)",
            contact="dpo@sunrise.example.cn",
            dpo="Li Wei",
            actor="demo",
        )
        deployment = gate.create_deployment(
            controller.id,
            DeploymentSpec(
                name="Sunrise Gardens north gate (demo)",
                purpose_type="access_control",
                purpose="旭日花园住户经北门通行",
                necessity="住户要求免接触通行，门卡曾被转借和遗失",
                method="identify",
                why_not_verify="住户通行时不停步声明身份",
                location_type="residential_entrance",
                retention_days=365,
                alternatives=("密码键盘", "门岗人工核验"),
                english={
                    "purpose": "Let residents of Sunrise Gardens through the north gate",
                    "necessity": "Residents asked for hands-free entry; cards were shared and lost",
                    "why_not_verify": "Residents walk through without stopping to say who they are",
                    "alternatives": ["PIN pad", "guard desk"],
                },
            ),
            actor="demo",
        )
        device = gate.register_device(
            deployment.id,
            DeviceSpec(
                name="North gate camera",
                location_description="Sunrise Gardens, north entrance",
                location_type="residential_entrance",
                signage_confirmed=True,
            ),
            actor="demo",
        )
        site = DemoState(controller.id, deployment.id, device.id)
        private_file(state_file)
        state_file.write_text(json.dumps(asdict(site), indent=2), encoding="utf-8")
    if known.get(site.deployment_id) is None or known[site.deployment_id].status != "active":
        prepare_activation(gate, site.deployment_id)
        gate.activate(site.deployment_id, actor="demo")
    for person, (photo, born, pin) in PEOPLE.items():
        if person in site.subjects:
            continue
        record = persons.add_person(
            gate.ctx,
            site.controller_id,
            persons.PersonSpec(name=person, unit=UNITS.get(person, ""), date_of_birth=born),
            actor="demo",
        )
        subject = record.subject_id
        del photo  # enrolled at the edge node (``enrol_at_edge``): the control plane holds none
        gate.record_consent(
            subject,
            site.deployment_id,
            ConsentSpec(alternative_offered=True),  # bound to the published notice
            actor="demo",
        )
        gate.add_credential(subject, site.deployment_id, "pin", pin, actor="demo")
        site.subjects[person] = subject
        state_file.write_text(json.dumps(asdict(site), indent=2), encoding="utf-8")
    keys = DemoKeys()
    live = [k for k in access.list_keys(gate.ctx) if k.revoked_at is None]
    edge_has_key = edge_dir is None or read_device_key(edge_dir) is not None
    if not edge_has_key or not any(
        k.label == DEVICE_LABEL and k.device_id == site.device_id for k in live
    ):
        keys.device = access.issue_key(
            gate.ctx, "device", device_id=site.device_id, label=DEVICE_LABEL, actor="demo"
        ).token
    if not any(k.label == ADMIN_LABEL for k in live):
        keys.admin = access.issue_key(gate.ctx, "admin", label=ADMIN_LABEL, actor="demo").token
    keys.logins = demo_users(gate)
    keys.enrolment_code = newcomer_code(gate, site)
    return site, keys


def demo_users(gate: Gate) -> list[DemoLogin]:
    """The console's named users (admin, dpo, front desk), made on the first run only: their
    random passwords and TOTP secrets are printed once."""
    if users.user_count(gate.ctx):
        return []
    made = []
    for username, role, name in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        new = users.add_user(gate.ctx, username, role, password, display_name=name, actor="demo")
        made.append(DemoLogin(username, role, password, new.totp_secret))
    return made


def newcomer_code(gate: Gate, site: DemoState) -> str | None:
    """A resident the front desk has registered, whose consent it recorded and to whom it gave
    a one-time enrolment code for the kiosk (a new code on every run: the old one is revoked)."""
    name, unit = NEWCOMER
    found = persons.find_people(gate.ctx, site.controller_id, name=name)
    person = found[0] if found else None
    if person is None:
        person = persons.add_person(
            gate.ctx,
            site.controller_id,
            persons.PersonSpec(name=name, unit=unit, age_attested=True),
            actor="demo",
        )
    consent = ConsentSpec(alternative_offered=True, form="written")
    issued = enrolment_codes.issue_enrolment_code(
        gate.ctx, person.id, site.deployment_id, consent=consent, actor="demo"
    )
    return issued.code


def enrol_at_edge(
    control: Gate, edge_dir: Path, site: DemoState, state_file: Path, photos: Path
) -> None:
    """Enrol the demo faces on the edge node, where they stay: its store is brought up to date
    with the control plane first (the same sync the edge process runs over HTTP, done here in
    one process), and what it holds is reported back (ids and expiry only)."""
    missing = [p for p in PEOPLE if p in site.subjects and p not in site.enrolled_at_edge]
    edge = Gate.open(Settings(data_dir=edge_dir, role="edge"), create=True)
    try:
        _exchange(control, edge, site.device_id)
        for person in missing:
            photo = PEOPLE[person][0]
            edge.enrol(
                site.subjects[person],
                site.deployment_id,
                photos / photo,
                device_id=site.device_id,
                actor="demo",
            )
            site.enrolled_at_edge.append(person)
            state_file.write_text(json.dumps(asdict(site), indent=2), encoding="utf-8")
        _exchange(control, edge, site.device_id)
    finally:
        edge.close()


def _exchange(control: Gate, edge: Gate, device_id: str) -> None:
    while True:
        batch = control.sync_down_batch(device_id, edge.edge_state().down_applied_seq)
        if edge.sync_apply_down(batch).caught_up:
            break
    applied = control.sync_apply_up(device_id, edge.sync_up_batch(), actor="demo")
    edge.sync_acknowledged(applied.position)


def prepare_activation(gate: Gate, deployment_id: str) -> None:
    """An approved impact assessment and a published notice (skipping what a previous run
    already did)."""
    steps = (
        lambda: gate.create_pipia(deployment_id, actor="demo"),
        # The demo's reviewer has checked each drafted statement of the assessment.
        lambda: gate.confirm_pipia(
            deployment_id, gate.unconfirmed_pipia(deployment_id), actor="demo"
        ),
        lambda: gate.approve_pipia(deployment_id, approver="Li Wei", role="dpo", actor="demo"),
        lambda: gate.publish_notice(deployment_id, actor="demo"),
    )
    for step in steps:
        # Done on an earlier run? Activation says if anything is still missing.
        with contextlib.suppress(Conflict, BadRequest):
            step()


def introduce(
    site: DemoState,
    keys: DemoKeys,
    photos: Path,
    host: str,
    port: int,
    data_dir: Path,
    *,
    edge: tuple[Path, int] | None = None,
) -> None:
    """What the demo set up, and how to try it (faces at the edge node when there is one)."""
    control = f"http://{host}:{port}"
    base = f"http://{host}:{edge[1]}" if edge else control
    obama = site.subjects.get("Barack Obama", "<subject id>")
    console.print(
        "[bold]facegate demo[/] "
        + escape(say("cli.demo.where", data_dir=data_dir, state=data_dir / STATE_FILE))
    )
    table = Table(show_header=False)
    table.add_row(say("cli.demo.deployment"), say("cli.demo.deployment_is", id=site.deployment_id))
    table.add_row(say("cli.demo.device"), site.device_id)
    for person, subject_id in site.subjects.items():
        table.add_row(person, say("cli.demo.subject_is", id=subject_id))
    if edge:
        table.add_row(
            say("cli.demo.control_plane"),
            say("cli.demo.control_plane_is", data_dir=data_dir, console=f"{control}/console"),
        )
        table.add_row(say("cli.demo.edge_node"), say("cli.demo.edge_node_is", data_dir=edge[0]))
    console.print(table)
    if edge:
        console.print(say("cli.demo.kiosk", url=f"{base}/kiosk"), highlight=False, markup=False)
    if keys.device:
        console.print(say("cli.demo.device_key"), highlight=False, markup=False)
        console.print(f"  [cyan]{escape(keys.device)}[/]")
        if edge:
            kept = say("cli.demo.device_key_kept", path=edge[0] / "device.key")
            console.print(f"  {kept}", highlight=False, markup=False)
    else:
        console.print(
            say("cli.demo.device_key_old", device_id=site.device_id),
            highlight=False,
            markup=False,
        )
    if keys.admin:
        console.print(say("cli.demo.admin_key"), highlight=False, markup=False)
        console.print(f"  [cyan]{escape(keys.admin)}[/]")
    introduce_logins(keys, control)
    key = keys.device or "$FACEGATE_DEVICE_KEY"
    pages = (
        ("docs", "/docs"),
        ("health", "/v1/health"),
        ("metrics", "/metrics"),
        ("notice_zh", f"/v1/deployments/{site.deployment_id}/notice"),
        ("notice_bilingual", f"/v1/deployments/{site.deployment_id}/notice?lang=bilingual"),
    )
    for page, url in pages:
        name = say(f"cli.demo.page.{page}")
        console.print(f"{name}: {control}{url}", soft_wrap=True, highlight=False)
    auth = f'-H "Authorization: Bearer {key}"'
    verify = photos / "obama_2.jpg"
    identify = photos / "obama_3.jpg"
    console.print(say("cli.demo.try_verify"), highlight=False, markup=False)
    console.print(
        f"  curl -s {auth} -F subject_id={obama} -F image=@{verify} {base}/v1/verify",
        soft_wrap=True,
        highlight=False,
        markup=False,
    )
    console.print(say("cli.demo.try_identify"), highlight=False, markup=False)
    console.print(
        f"  curl -s {auth} -F image=@{identify} {base}/v1/identify",
        soft_wrap=True,
        highlight=False,
        markup=False,
    )


def introduce_logins(keys: DemoKeys, control: str) -> None:
    """How to log in to the console, and the newcomer's enrolment code for the kiosk."""
    if keys.logins:
        console.print(
            say("cli.demo.console_logins", url=f"{control}/console"),
            highlight=False,
            markup=False,
        )
        table = Table(*(say(f"cli.demo.login.{c}") for c in ("user", "role", "password", "totp")))
        for login in keys.logins:
            table.add_row(login.username, login.role, login.password, login.totp_secret)
        console.print(table)
        secret = keys.logins[0].totp_secret
        console.print(
            "  "
            + say(
                "cli.demo.totp_now",
                command=".venv/bin/python -c "
                f"\"import pyotp; print(pyotp.TOTP('{secret}').now())\"",
            ),
            soft_wrap=True,
            highlight=False,
            markup=False,
        )
    else:
        console.print(
            say("cli.demo.console_old", url=f"{control}/console"), highlight=False, markup=False
        )
    if keys.enrolment_code:
        name, unit = NEWCOMER
        console.print(
            say("cli.demo.enrolment_code", name=name, unit=unit, code=keys.enrolment_code),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


def engine_demo(photos: Path) -> None:
    """Enrol two people from the fixture photos (in memory only) and recognise the rest."""
    console.print(f"[bold]facegate demo[/]: {escape(say('cli.demo.engine_title'))}\n")
    engine = FaceEngine()
    gallery = {}
    for name, person in GALLERY.items():
        gallery[person] = engine.single_face(photos / name).embedding
        console.print(
            say("cli.demo.enrolled", person=person, photo=name, model=engine.model_id),
            highlight=False,
            markup=False,
        )

    table = Table(title=say("cli.demo.table_title", threshold=engine.threshold))
    for column in ("probe", "result", "distance", "similarity"):
        table.add_column(say(f"cli.demo.column.{column}"))
    for name in PROBES:
        try:
            probe = engine.single_face(photos / name)
        except EngineError as exc:
            refused = say("cli.demo.refused", code=exc.code, message=error_text(exc, cli_lang()))
            table.add_row(name, escape(refused), "", "")
            continue
        person, result = min(
            ((p, engine.compare(probe.embedding, e)) for p, e in gallery.items()),
            key=lambda pair: pair[1].distance,
        )
        verdict = person if result.same_person else say("cli.demo.nobody")
        table.add_row(name, verdict, f"{result.distance:.3f}", f"{result.similarity:.2f}")
    console.print(table)
    console.print("\n" + say("cli.demo.nothing_written"), highlight=False, markup=False)
