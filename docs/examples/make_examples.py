"""Regenerate the example documents of this folder from a demo deployment.

A residential-compound gate: 1:N identification, a PIN pad and the guard desk as the
alternatives. Run from the project's root::

    .venv/bin/python docs/examples/make_examples.py

It writes, into ``assessments/`` beside this script: the impact assessment report
(``pipia.zh.html``, ``pipia.en.html``, ``pipia.zh.pdf``, ``pipia.en.pdf``), the notice
(``notice.zh.html``, ``notice.en.html``) and the printable sign (``sign.pdf``). Nothing else
is kept: the demo data directory is temporary.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from facegate.config import Settings
from facegate.documents.notice import notice_url, render_notice_html, render_sign_pdf
from facegate.documents.pipia import render_pipia_html, render_pipia_pdf
from facegate.service import DeploymentSpec, DeviceSpec, Gate
from facegate.service.assessments import pipia_document

OUT = Path(__file__).resolve().parent / "assessments"
FIXED_TIME = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # reproducible dates in the documents

DEMO = DeploymentSpec(
    name="阳光花园北门",
    purpose_type="access_control",
    purpose="阳光花园住户经北侧人行门通行",
    necessity="门禁卡曾被转借、出借和遗失；住户携带儿童或购物时希望免接触通行",
    method="identify",
    why_not_verify="住户通行时不停留输入或出示身份，无可供核验的声明身份",
    location_type="residential_entrance",
    retention_days=365,
    alternatives=("门口密码键盘", "门岗人工核验（出示住户卡）"),
    mlps_level=2,
    english={
        "purpose": "Let residents of Sunrise Gardens through the north pedestrian gate",
        "necessity": "Access cards were shared, lent and lost; residents asked for hands-free "
        "entry when carrying children or shopping",
        "why_not_verify": "Residents walk through without stopping to type or show an "
        "identity, so there is no claimed identity to check against",
        "alternatives": ["PIN pad at the gate", "guard desk (show your resident card)"],
    },
)


def main() -> int:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        gate = Gate.open(Settings(data_dir=Path(tmp)), create=True, clock=lambda: FIXED_TIME)
        try:
            controller = gate.register_controller(
                name="Sunrise Property Management Co., Ltd.",
                contact="privacy@sunrise-pm.example.cn, +86 21 5555 0100",
                address="上海市浦东新区滨江路88号",
                dpo="Li Wei",
            )
            deployment = gate.create_deployment(controller.id, DEMO)
            gate.register_device(
                deployment.id,
                DeviceSpec(
                    name="north gate camera",
                    location_description="North pedestrian gate, facing inward",
                    location_type="residential_entrance",
                ),
            )
            gate.create_pipia(deployment.id)
            # The reviewer has checked each drafted statement before approving.
            gate.confirm_pipia(deployment.id, gate.unconfirmed_pipia(deployment.id))
            gate.approve_pipia(deployment.id, approver="Li Wei", role="dpo")
            notice = gate.publish_notice(deployment.id)
            gate.activate(deployment.id)

            report = gate.pipia(deployment.id)
            doc = pipia_document(report.assessment, report.deployment, report.controller)
            for lang in ("zh", "en"):
                (OUT / f"pipia.{lang}.html").write_text(
                    render_pipia_html(doc, lang=lang), encoding="utf-8"
                )
                (OUT / f"pipia.{lang}.pdf").write_bytes(render_pipia_pdf(doc, lang=lang))
                (OUT / f"notice.{lang}.html").write_text(
                    render_notice_html(
                        notice.content, lang=lang, version=notice.version, sha256=notice.sha256
                    ),
                    encoding="utf-8",
                )
            url = notice_url(deployment.id, "https://faces.sunrise-pm.example.cn")
            (OUT / "sign.pdf").write_bytes(
                render_sign_pdf(notice.content, url=url, version=notice.version)
            )
        finally:
            gate.close()
    print(f"wrote the examples to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
