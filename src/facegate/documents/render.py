"""Shared rendering: Jinja2 templates (in ``documents/templates``) to HTML, WeasyPrint to PDF.

PDFs use a CJK font installed by the project's setup (Debian's ``fonts-wqy-microhei``, found
through fontconfig), so Chinese text renders and can be extracted with ``pdftotext``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"
CJK_FONT_FAMILY = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", sans-serif'


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["font_family"] = CJK_FONT_FAMILY
    return env


def render_html(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    from PIL import ImageFile

    # Importing WeasyPrint sets Pillow's process-wide ``LOAD_TRUNCATED_IMAGES`` to True, which
    # would make the face engine accept truncated photos; keep the setting as it was.
    truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        from weasyprint import HTML  # imported lazily: it loads Pango
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated

    pdf: bytes = HTML(string=html, base_url=base_url or str(TEMPLATES)).write_pdf()
    return pdf
