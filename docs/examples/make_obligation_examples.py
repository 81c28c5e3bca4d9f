"""Generate the obligation examples from a demo controller, from live data:

- ``obligations/filing/``: the filing package (HTML and PDF, zh and en; checklist; ZIP)
- ``obligations/records.csv`` and ``obligations/records.zh.pdf``: processing records
- ``obligations/incident/``: notification letters (authority, people; zh, en; HTML, PDF)

Run from the project root: ``.venv/bin/python docs/examples/make_obligation_examples.py``.
The demo Gate checks no activation prerequisites (PIPIA, notice): those documents are the
subject of their own examples.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from facegate.config import Settings
from facegate.documents.filing import write_package
from facegate.documents.incident import write_letters
from facegate.documents.records import records_csv, records_pdf
from facegate.law import Refused
from facegate.service import ConsentSpec, DeploymentSpec, DeviceSpec, Gate
from facegate.service import filing as filing_service
from facegate.service.incidents import IncidentSpec, get_incident

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = ROOT / "tests" / "fixtures"
OUT = Path(__file__).resolve().parent / "obligations"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 9, 18, 1, 0, tzinfo=UTC)  # 09:00 in Beijing

    def __call__(self) -> datetime:
        return self.now


def main() -> None:
    clock = Clock()
    with tempfile.TemporaryDirectory() as tmp:
        gate = Gate.open(Settings(data_dir=Path(tmp)), create=True, clock=clock, prerequisites=())
        controller = gate.register_controller(
            name="朝阳物业管理有限公司 Sunrise Property Co.",
            contact="dpo@sunrise.example.cn, 010-12345678",
            address="北京市朝阳区示例路 1 号",
            dpo="Li Ming 李明",
        )
        deployment = gate.create_deployment(
            controller.id,
            DeploymentSpec(
                name="北门",
                purpose_type="access_control",
                purpose="三号楼住户经北门通行",
                necessity="住户要求免接触通行；门禁卡曾被转借和遗失",
                method="identify",
                why_not_verify="住户通行时不停留声明身份",
                alternatives=("密码键盘", "门岗人工核验"),
                mlps_level=2,
                english={
                    "purpose": "Let residents of Block 3 through the north gate",
                    "necessity": "Residents asked for hands-free entry; cards were shared and lost",
                    "why_not_verify": "Residents walk through without stopping to claim an "
                    "identity",
                    "alternatives": ["PIN pad", "guard desk"],
                },
            ),
        )
        device = gate.register_device(
            deployment.id,
            DeviceSpec(
                name="north-cam-1",
                location_description="Block 3, north entrance",
                location_type="residential_entrance",
            ),
        )
        gate.activate(deployment.id)
        resident = gate.register_subject(date_of_birth=date(1980, 5, 1))
        visitor = gate.register_subject(date_of_birth=date(1975, 2, 2))
        gate.record_consent(resident.id, deployment.id, ConsentSpec(alternative_offered=True))
        gate.enrol(resident.id, deployment.id, PHOTOS / "obama_1.jpg", actor="operator")
        with suppress(Refused):  # no consent: refused, and counted as a refusal
            gate.enrol(visitor.id, deployment.id, PHOTOS / "biden.jpg", actor="operator")
        gate.identify(device.id, PHOTOS / "obama_2.jpg")
        clock.now += timedelta(days=1)
        gate.verify(device.id, resident.id, PHOTOS / "obama_3.jpg")
        gate.add_credential(resident.id, deployment.id, "pin", "2468")
        gate.verify_alternative(device.id, "pin", "2468", subject_id=resident.id)
        for item in ("basic_form", "business_licence"):
            filing_service.tick(gate.ctx, controller.id, item, actor="operator")

        if OUT.exists():
            shutil.rmtree(OUT)
        OUT.mkdir(parents=True)
        write_package(filing_service.package_data(gate.ctx, controller.id), OUT / "filing")
        records = gate.processing_records(deployment.id, date(2026, 9, 18), date(2026, 9, 19))
        (OUT / "records.csv").write_text(records_csv(records), encoding="utf-8")
        (OUT / "records.zh.pdf").write_bytes(records_pdf(records, "zh"))
        incident = gate.record_incident(
            IncidentSpec(
                controller_id=controller.id,
                severity="major",
                description="A backup disk of the gate server was lost in transit 备份硬盘丢失",
                occurred_at=datetime(2026, 10, 2, 0, 30, tzinfo=UTC),
                categories="Encrypted face templates; pseudonymous ids 加密的人脸特征数据",
                cause="A courier lost the disk 快递遗失",
                harm="Low: templates are encrypted and the keys were not on the disk",
                measures="Master key rotated; backups now travel encrypted and tracked",
                remedies="Use the PIN pad if you prefer; ask us to delete your data",
                contact="dpo@sunrise.example.cn, 010-12345678",
                deployment_ids=(deployment.id,),
            )
        )
        write_letters(get_incident(gate.ctx, incident["id"]), OUT / "incident")
        gate.close()
    for path in sorted(OUT.rglob("*")):
        print(path.relative_to(OUT.parent))


if __name__ == "__main__":
    main()
