"""The catalogue in Jinja templates: ``{{ t('key') }}`` in the page's language (the
template's ``lang`` variable) and ``{{ bi('key') }}`` for Chinese with English beside it."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from facegate.messages.catalogue import both, t


@pass_context
def _t(context: Context, key: str, **params: Any) -> str:
    return t(key, str(context.get("lang") or "zh"), **params)


def _bi(key: str, **params: Any) -> Markup:
    zh, en = both(key, **params)
    return Markup('<span lang="zh-CN">{}</span> <span lang="en">{}</span>').format(
        escape(zh), escape(en)
    )


def install(env: Environment) -> None:
    env.globals["t"] = _t
    env.globals["bi"] = _bi
