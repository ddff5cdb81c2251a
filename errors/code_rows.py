"""The rows of the long code tables (a service's page, a status page), built in Python.

A service of 1,000 codes is a table of 1,000 rows. Through the template engine every row
cost about 0.2 ms (two `{% include %}`s, a `{% url %}` and a `get_absolute_url()` reverse,
filters, some fifteen variable lookups): 200 ms a page, twice the budget of a cold render.
Here a row is one format string, the code URLs are built from one reversed prefix, and the
rows of 1,000 codes cost a few milliseconds.

The markup is that of templates/errors/_status.html, _badges.html and the row the tables
had in service.html and status.html, byte for byte; tests/test_code_rows.py renders both
and compares them, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import NamedTuple
from urllib.parse import quote

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe

from errors.models import ErrorCode, Service, reason_phrase
from errors.templatetags.catalog_text import inline_code

RETRY_LABELS = dict(ErrorCode.Retry.choices)
LIFECYCLE_LABELS = dict(ErrorCode.Lifecycle.choices)

# What reverse() leaves unquoted in a path (django.urls.resolvers).
PATH_SAFE = RFC3986_SUBDELIMS + "/~:@"

# Autoescaping in templates is html.escape (django.utils.html.escape); values are printed
# escaped unless they are stored HTML (resolution_html) or made here.
SERVICE_ROW = (
    '\n      <tr id="{code}">'
    "\n        <td>{status}\n</td>"
    '\n        <td><a class="code-link" href="{url}"><code>{code}</code></a> {badges}\n</td>'
    '\n        <td><strong class="title">{title}</strong>{summary}</td>'
    "\n        {messages}"
    "\n        {resolution}"
    "\n        {retry}"
    "\n      </tr>\n      "
)
STATUS_ROW = (
    '\n      <tr><td><a class="code-link" href="{url}"><code>{code}</code></a> {badges}\n</td>'
    "<td>{meaning}</td><td>{category}</td>{retry}</tr>\n    "
)
NO_STATUS = '<span class="status status-none" title="No HTTP status">—</span>'


class CodeRow(NamedTuple):
    """What a service table shows of a code, read without building an ErrorCode: for
    1,000 codes the model instances (and their dates, aliases and tags) cost more than
    the query."""

    code: str
    http_status: int | None
    title: str
    summary: str
    resolution_html: str
    messages: list
    retry: str
    lifecycle: str
    published: bool
    category_id: int | None


def code_rows(errors: QuerySet[ErrorCode]) -> list[CodeRow]:
    """The codes of `errors`, in its order, as the service tables print them."""
    return [CodeRow._make(values) for values in errors.values_list(*CodeRow._fields)]


class Links:
    """The URLs of one service's code pages and the status links, each made once."""

    def __init__(self, service: Service) -> None:
        self.slug = service.slug
        self.code_prefix = reverse("errors:error", args=[service.slug, "x"]).removesuffix("x/")
        self.status_badges: dict[int | None, str] = {}

    def code(self, error: CodeRow | ErrorCode) -> str:
        """What error.get_absolute_url() returns, without a reverse() per code."""
        if not error.code or "/" in error.code:  # no URL matches: let reverse() say so
            return reverse("errors:error", args=[self.slug, error.code])
        return f"{self.code_prefix}{quote(error.code, safe=PATH_SAFE)}/"

    def status_badge(self, status: int | None) -> str:
        """status_badge(status), made once for every status of the page."""
        badge = self.status_badges.get(status)
        if badge is None:
            badge = self.status_badges[status] = status_badge(status)
        return badge


def status_badge(status: int | None) -> str:
    """An HTTP status as a link to its status page (errors/_status.html)."""
    if not status:
        return NO_STATUS
    url = reverse("errors:status", args=[status])
    return (
        f'<a class="status status-{str(status)[:1]}xx" href="{escape(url)}" '
        f'title="{escape(reason_phrase(status))}">{status}</a>'
    )


def retry_cell(retry: str) -> str:
    """The retry rule's cell: its value as a class, its label as text; empty when the
    documentation states no rule (a page shows no badge for what nobody said)."""
    if retry == ErrorCode.Retry.NOT_STATED:
        return "<td></td>"
    label = RETRY_LABELS.get(retry, retry)
    return f'<td><span class="retry retry-{escape(retry)}">{escape(label)}</span></td>'


RETRY_CELLS = {retry: retry_cell(retry) for retry in RETRY_LABELS}


def badges(error: CodeRow | ErrorCode) -> str:
    """Draft, deprecated and removed badges (errors/_badges.html)."""
    html = "" if error.published else '<span class="badge badge-draft">Draft</span>'
    if error.lifecycle != ErrorCode.Lifecycle.ACTIVE:
        label = LIFECYCLE_LABELS.get(error.lifecycle, error.lifecycle)
        html += f' <span class="badge badge-{escape(error.lifecycle)}">{escape(label)}</span>'
    return html


def service_rows(
    errors: Iterable[CodeRow], links: Links, *, messages: bool, resolutions: bool
) -> SafeString:
    """The rows of a category's table on the service page, with the optional columns of
    typical messages and resolutions."""
    rows = []
    for error in errors:
        code, summary, retry = escape(error.code), error.summary, error.retry
        rows.append(
            SERVICE_ROW.format(
                code=code,
                status=links.status_badge(error.http_status),
                url=escape(links.code(error)),
                badges=badges(error),
                title=escape(error.title),
                summary=f"<br>{inline_code(summary)}" if summary and summary != error.title else "",
                messages=message_cell(error) if messages else "",
                resolution=(
                    f'<td class="prose small">{error.resolution_html}</td>' if resolutions else ""
                ),
                retry=RETRY_CELLS.get(retry) or retry_cell(retry),
            )
        )
    return mark_safe("".join(rows))


def message_cell(error: CodeRow) -> str:
    """The typical messages of a code, one a line."""
    quoted = (f'<q class="message">{escape(str(text))}</q>' for text in error.messages or [])
    return f'<td class="small">{"<br>".join(quoted)}</td>'


def status_rows(errors: Iterable[ErrorCode], links: Links) -> SafeString:
    """The rows of one service's table on a status page."""
    return mark_safe(
        "".join(
            STATUS_ROW.format(
                url=escape(links.code(error)),
                code=escape(error.code),
                badges=badges(error),
                meaning=inline_code(error.summary or error.title),
                category=escape(error.category.name) if error.category else "",
                retry=RETRY_CELLS.get(error.retry) or retry_cell(error.retry),
            )
            for error in errors
        )
    )
