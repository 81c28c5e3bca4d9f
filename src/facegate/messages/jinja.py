"""The catalogue in Jinja templates (console and kiosk).

- ``{{ t('key') }}``: the sentence in the page's language (the template's ``lang`` variable,
  Chinese when absent); ``{{ bi('key') }}``: Chinese with English beside it.
- ``{{ when|local_time }}``: a stored UTC time in the configured zone (the ``time_zone``
  variable or global, Asia/Shanghai by default), ``2026-12-01 00:12``; ``local_time('second')``,
  ``local_time('date')``; ``local_time(with_zone=True)`` adds 北京时间 / Beijing time.
- ``{{ zone_note() }}``: "时间均为北京时间" for a page's footer; ``{{ zone_name() }}``: 北京时间.
- ``{{ reason_text(r.code, r.message) }}`` and ``{{ cite(r.articles) }}``: a refusal reason and
  its articles in the page's language (rule summaries from law/catalogue.py).
- ``{{ error_text(exc) }}``: a typed error's sentence in the page's language.
- ``{{ lang_url(other) }}``: this page's address with ``?lang=other`` (the language toggle).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from facegate.errors import FacegateError
from facegate.messages import errors as error_messages
from facegate.messages.catalogue import both, t
from facegate.messages.times import Precision, local_time, zone_label


def _lang(context: Context) -> str:
    return str(context.get("lang") or "zh")


def _zone(context: Context) -> str | None:
    value = context.get("time_zone")
    return str(value) if value else None


@pass_context
def _t(context: Context, key: str, **params: Any) -> str:
    return t(key, _lang(context), **params)


def _bi(key: str, **params: Any) -> Markup:
    zh, en = both(key, **params)
    return Markup('<span lang="zh-CN">{}</span> <span lang="en">{}</span>').format(
        escape(zh), escape(en)
    )


@pass_context
def _local_time(
    context: Context,
    value: datetime | date | str | None,
    precision: Precision = "minute",
    with_zone: bool = False,
) -> str:
    return local_time(value, _zone(context), precision, with_zone=with_zone, lang=_lang(context))


@pass_context
def _zone_note(context: Context) -> str:
    return t(
        "common.times_in_zone", _lang(context), zone=zone_label(_zone(context), _lang(context))
    )


@pass_context
def _zone_name(context: Context) -> str:
    return zone_label(_zone(context), _lang(context))


@pass_context
def _reason_text(context: Context, code: str, message: str) -> str:
    return error_messages.reason_text(code, message, _lang(context))


@pass_context
def _cite(context: Context, articles: Iterable[str]) -> str:
    return error_messages.format_articles(articles, _lang(context))


@pass_context
def _error_text(context: Context, exc: FacegateError) -> str:
    return error_messages.error_text(exc, _lang(context), precise=False)


@pass_context
def _lang_url(context: Context, lang: str) -> str:
    request = context.get("request")
    if request is None:
        return f"?lang={lang}"
    url = request.url.include_query_params(lang=lang)
    return f"{url.path}?{url.query}"


def install(env: Environment, *, time_zone: str | None = None) -> None:
    env.globals["t"] = _t
    env.globals["bi"] = _bi
    env.globals["zone_note"] = _zone_note
    env.globals["zone_name"] = _zone_name
    env.globals["reason_text"] = _reason_text
    env.globals["cite"] = _cite
    env.globals["error_text"] = _error_text
    env.globals["lang_url"] = _lang_url
    if time_zone:
        env.globals["time_zone"] = time_zone
    env.filters["local_time"] = _local_time
