"""`facegate demo`: a data directory with a lawful residential-compound gate, the fixture faces
enrolled with consent, and the REST service running on it. ``--engine-only``: the face engine
alone, in memory.

The demo's ids (no secrets) are kept in ``<data dir>/demo.json``; a second run reuses them and
prints a new device key only when the demo device has no live one.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from facegate.cli.common import reporting, state
from facegate.cli.output import EXIT_BAD_INPUT, EXIT_REFUSED, console, err_console
from facegate.config import CONFIG_FILE, DEFAULT_TOML, load_settings
from facegate.engine import EngineError, FaceEngine
from facegate.law import Refused
from facegate.service import (
    BadRequest,
    Conflict,
    ConsentSpec,
    DeploymentSpec,
    DeviceSpec,
    Gate,
    access,
)

GALLERY = {"obama_1.jpg": "Barack Obama", "biden.jpg": "Joe Biden"}
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


@dataclass
class DemoKeys:
    device: str | None = None
    admin: str | None = None


def demo(
    ctx: typer.Context,
    engine_only: Annotated[
        bool, typer.Option("--engine-only", help="Only the face engine, in memory.")
    ] = False,
    photos: Annotated[Path, typer.Option(help="Folder holding the fixture photos.")] = Path(
        "tests/fixtures"
    ),
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    serve: Annotated[bool, typer.Option(help="Start the REST service after setting up.")] = True,
) -> None:
    """Set up a demo site in the data directory (default facegate-data) and serve it."""
    if not all((photos / name).is_file() for name in (*GALLERY, *PROBES)):
        console.print(f"[red]error[/]: the fixture photos are not in {photos}")
        raise typer.Exit(EXIT_BAD_INPUT)
    if engine_only:
        engine_demo(photos)
        return
    settings = load_settings(state(ctx).data_dir)
    # A demo's sign may point at the loopback address it is served on (never a real site's).
    settings = replace(
        settings, public_url=settings.public_url or f"http://{host}:{port}", demo=True
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not (settings.data_dir / CONFIG_FILE).exists():
        (settings.data_dir / CONFIG_FILE).write_text(DEFAULT_TOML, encoding="utf-8")
    with reporting(False):
        gate = Gate.open(settings, create=True)
    try:
        try:
            site, keys = set_up(gate, settings.data_dir / STATE_FILE, photos)
        except Refused as exc:
            err_console.print(exc.decision.explain(), highlight=False, markup=False)
            raise typer.Exit(EXIT_REFUSED) from None
        introduce(site, keys, photos, host, port, settings.data_dir)
        if serve:
            from facegate.cli.serve_commands import run_server

            run_server(gate, host=host, port=port)
    finally:
        gate.close()


def _load(path: Path) -> DemoState:
    if not path.is_file():
        return DemoState()
    values: Any = json.loads(path.read_text(encoding="utf-8"))
    return DemoState(**values)


def set_up(gate: Gate, state_file: Path, photos: Path) -> tuple[DemoState, DemoKeys]:
    """Create what is missing of the demo site; return it and any keys made now."""
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
                purpose="Let residents of Sunrise Gardens through the north gate",
                necessity="Residents asked for hands-free entry; cards were shared and lost",
                method="identify",
                why_not_verify="Residents walk through without stopping to claim an identity",
                location_type="residential_entrance",
                retention_days=365,
                alternatives=("PIN pad", "guard desk"),
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
        state_file.write_text(json.dumps(asdict(site), indent=2), encoding="utf-8")
    if known.get(site.deployment_id) is None or known[site.deployment_id].status != "active":
        prepare_activation(gate, site.deployment_id)
        gate.activate(site.deployment_id, actor="demo")
    for person, (photo, born, pin) in PEOPLE.items():
        if person in site.subjects:
            continue
        subject = gate.register_subject(date_of_birth=born, identity={"name": person}, actor="demo")
        gate.record_consent(
            subject.id,
            site.deployment_id,
            ConsentSpec(alternative_offered=True),  # bound to the published notice
            actor="demo",
        )
        gate.enrol(subject.id, site.deployment_id, photos / photo, actor="demo")
        gate.add_credential(subject.id, site.deployment_id, "pin", pin, actor="demo")
        site.subjects[person] = subject.id
        state_file.write_text(json.dumps(asdict(site), indent=2), encoding="utf-8")
    keys = DemoKeys()
    live = [k for k in access.list_keys(gate.ctx) if k.revoked_at is None]
    if not any(k.label == DEVICE_LABEL and k.device_id == site.device_id for k in live):
        keys.device = access.issue_key(
            gate.ctx, "device", device_id=site.device_id, label=DEVICE_LABEL, actor="demo"
        ).token
    if not any(k.label == ADMIN_LABEL for k in live):
        keys.admin = access.issue_key(gate.ctx, "admin", label=ADMIN_LABEL, actor="demo").token
    return site, keys


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
    site: DemoState, keys: DemoKeys, photos: Path, host: str, port: int, data_dir: Path
) -> None:
    base = f"http://{host}:{port}"
    obama = site.subjects.get("Barack Obama", "<subject id>")
    console.print(f"[bold]facegate demo[/] in {data_dir} (ids in {data_dir / STATE_FILE})")
    table = Table(show_header=False)
    table.add_row("deployment", f"{site.deployment_id} (north gate, 1:N, PIN pad alternative)")
    table.add_row("device", site.device_id)
    for person, subject_id in site.subjects.items():
        table.add_row(person, f"subject {subject_id} (consented, enrolled, PIN set)")
    console.print(table)
    if keys.device:
        console.print(f"device API key (shown once, store it):\n  [cyan]{keys.device}[/]")
    else:
        console.print(
            "device API key: the one printed on the first run; a new one: "
            f"facegate key create --role device --device {site.device_id}"
        )
    if keys.admin:
        console.print(f"admin API key (shown once, store it):\n  [cyan]{keys.admin}[/]")
    key = keys.device or "$FACEGATE_DEVICE_KEY"
    pages = (
        ("OpenAPI docs", "/docs"),
        ("health", "/v1/health"),
        ("metrics", "/metrics"),
        ("public notice (zh)", f"/v1/deployments/{site.deployment_id}/notice"),
        (
            "public notice (bilingual)",
            f"/v1/deployments/{site.deployment_id}/notice?lang=bilingual",
        ),
    )
    for name, url in pages:
        console.print(f"{name}: {base}{url}", soft_wrap=True, highlight=False)
    auth = f'-H "Authorization: Bearer {key}"'
    verify = photos / "obama_2.jpg"
    identify = photos / "obama_3.jpg"
    console.print("Verify a photo of Barack Obama (1:1):")
    console.print(
        f"  curl -s {auth} -F subject_id={obama} -F image=@{verify} {base}/v1/verify",
        soft_wrap=True,
        highlight=False,
        markup=False,
    )
    console.print("Identify (1:N):")
    console.print(
        f"  curl -s {auth} -F image=@{identify} {base}/v1/identify",
        soft_wrap=True,
        highlight=False,
        markup=False,
    )


def engine_demo(photos: Path) -> None:
    """Enrol two people from the fixture photos (in memory only) and recognise the rest."""
    console.print("[bold]facegate demo[/]: the face engine on public-domain portraits\n")
    engine = FaceEngine()
    gallery = {}
    for name, person in GALLERY.items():
        gallery[person] = engine.single_face(photos / name).embedding
        console.print(f"enrolled [cyan]{person}[/] from {name} (model {engine.model_id})")

    table = Table(title=f"1:N identification (threshold {engine.threshold})")
    for column in ("probe", "result", "distance", "similarity"):
        table.add_column(column)
    for name in PROBES:
        try:
            probe = engine.single_face(photos / name)
        except EngineError as exc:
            table.add_row(name, f"refused: {exc.code} ({exc.message})", "", "")
            continue
        person, result = min(
            ((p, engine.compare(probe.embedding, e)) for p, e in gallery.items()),
            key=lambda pair: pair[1].distance,
        )
        verdict = person if result.same_person else "nobody enrolled"
        table.add_row(name, verdict, f"{result.distance:.3f}", f"{result.similarity:.2f}")
    console.print(table)
    console.print("\nNothing was written to disk. Try: facegate compare A.jpg B.jpg --json")
