"""What the kiosk's browser tests check on every page state: no English-only text on a Chinese
page, 0 axe violations, touch targets of at least 44 px and body text of at least 20 px."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from facegate.service import DeviceSpec, Gate
from sites import Site, gate_spec, prepare_activation

ALLOWED = {"English"}
"""Text a Chinese page may show without Chinese: the button that switches to English."""

TEXT_CHECK = """
() => {
  const cjk = /[\\u3000-\\u303f\\u4e00-\\u9fff\\uff00-\\uffef]/;
  const marks = /^[\\d\\s\\-:./,;()（）✓—·%#+]*$/;
  const allowed = new Set(ALLOWED);
  const bad = [];
  const hidden = (el) => el.closest("script,style,noscript,template,[hidden]") !== null;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!el || hidden(el)) continue;
    const text = node.textContent.trim();
    if (!text || cjk.test(text) || marks.test(text) || allowed.has(text)) continue;
    bad.push(text);
  }
  for (const el of document.querySelectorAll("[aria-label],[placeholder],[title],[alt]")) {
    for (const name of ["aria-label", "placeholder", "title", "alt"]) {
      const value = (el.getAttribute(name) || "").trim();
      if (value && !cjk.test(value) && !marks.test(value)) bad.push(name + "=" + value);
    }
  }
  for (const el of document.querySelectorAll("form[data-camera]")) {
    for (const [name, value] of Object.entries(el.dataset)) {
      if (name.startsWith("say") && !cjk.test(value)) bad.push("data-" + name + "=" + value);
    }
  }
  if (!cjk.test(document.title)) bad.push("title=" + document.title);
  return bad;
}
""".replace("ALLOWED", repr(sorted(ALLOWED)).replace("'", '"'))

SIZE_CHECK = """
() => {
  const bad = [];
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
  };
  const targets = "button, a.button, a.choice, input:not([type=hidden]), select, summary";
  for (const el of document.querySelectorAll(targets)) {
    if (!visible(el) || el.closest("[hidden]")) continue;
    const r = el.getBoundingClientRect();
    const what = el.outerHTML.slice(0, 80);
    if (r.height < 44 || r.width < 44) bad.push(`${what}: ${r.width}x${r.height}`);
  }
  const text = "main p, main li, main label, main dd, footer a, footer button";
  for (const el of document.querySelectorAll(text)) {
    if (!visible(el)) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 20) bad.push(`${el.outerHTML.slice(0, 60)}: ${size}px`);
  }
  return bad;
}
"""


DOC_STATES = frozenset(
    {
        "notice",
        "consent",
        "capture",
        "returning",
        "welcome",
        "my-data-ask",
        "my-data",
        "delete-confirm",
        "alternative-retry",
        "idle-warning",
    }
)
"""The states whose screenshots are kept in docs/screenshots (FACEGATE_SCREENSHOTS=1)."""


@dataclass
class Walk:
    """Checks each page state it is shown; a list of what failed, by state."""

    shots: Path | None = None
    failures: dict[str, list[str]] = field(default_factory=dict)
    states: list[str] = field(default_factory=list)

    def check(self, page: Any, state: str, *, chinese: bool = True) -> None:
        from axe_playwright_python.sync_playwright import Axe

        page.wait_for_load_state("domcontentloaded")
        problems: list[str] = []
        if chinese:
            problems += [f"English-only text: {t!r}" for t in page.evaluate(TEXT_CHECK)]
        problems += [f"too small: {t}" for t in page.evaluate(SIZE_CHECK)]
        results = Axe().run(page)
        for violation in results.response.get("violations", []):
            nodes = [n.get("target") for n in violation.get("nodes", [])]
            problems.append(f"axe {violation['id']}: {violation['help']} {nodes}")
        self.states.append(state)
        if problems:
            self.failures[state] = problems
        if self.shots is not None and state in DOC_STATES:
            page.screenshot(path=str(self.shots / f"kiosk-{state}.png"))


def chinese_site(gate: Gate, name: str, **changes: object) -> Site:
    """A lawful site whose own words (controller, purpose, alternatives) are Chinese, as a
    Chinese deployment's are: the notice shows them on the kiosk's Chinese pages."""
    controller = gate.register_controller(name="朝阳物业服务有限公司", contact="dpo@zhaoyang.cn")
    values: dict[str, object] = {
        "name": name,
        "purpose": "让3号楼住户通过北门",
        "necessity": "住户要求免接触通行；门禁卡常被借用和丢失",
        "why_not_verify": "住户通过时无需先出示身份",
        "alternatives": ("密码键盘", "门卫值班"),
    }
    values.update(changes)
    deployment = gate.create_deployment(controller.id, gate_spec(**values))
    device = gate.register_device(
        deployment.id,
        DeviceSpec(
            name=f"{name}终端",
            location_description="3号楼北门入口",
            location_type="residential_entrance",
        ),
    )
    notice_hash = prepare_activation(gate, deployment.id)
    gate.activate(deployment.id)
    return Site(controller.id, deployment.id, device.id, notice_hash)
