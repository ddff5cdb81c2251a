"""The rows of the long code tables (a service's page, a status page), built in Python.

A service of 1,000 codes is a table of 1,000 rows. Through the template engine every row
cost about 0.2 ms (two `{% include %}`s, a `{% url %}` and a `get_absolute_url()` reverse,
filters, some fifteen variable lookups): 200 ms a page, twice the budget of a cold render.
Here a row is one format string, the code URLs are built from one reversed prefix, and the
rows of 1,000 codes cost a few milliseconds.

Every table of a page shares one column plan (`Columns`), so the columns line up from
table to table and a column no code fills is left out. Each cell carries a `data-label`,
which a phone shows in front of the line when the rows stack.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from html import escape
from typing import NamedTuple
from urllib.parse import quote

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe

from errors.codes import reason_phrase
from errors.models import ErrorCode, Service
from errors.templatetags.catalog_text import inline_code, says_more, words

RETRY_LABELS = dict(ErrorCode.Retry.choices)
LIFECYCLE_LABELS = dict(ErrorCode.Lifecycle.choices)

# What reverse() leaves unquoted in a path (django.urls.resolvers).
PATH_SAFE = RFC3986_SUBDELIMS + "/~:@"

# Autoescaping in templates is html.escape (django.utils.html.escape); values are printed
# escaped unless they are stored HTML (resolution_html) or made here.
SERVICE_ROW = (
    '\n      <tr id="{code}" data-filter="{filter}">'
    "{head}"
    '\n        <td data-label="Meaning">{meaning}</td>'
    "{messages}{resolution}{retry}"
    "\n      </tr>"
)
STATUS_ROW = (
    '\n      <tr><td data-label="Service"><a href="{service_url}">{service}</a></td>'
    '<td data-label="Code"><a class="code-link" href="{url}">{name}</a> {badges}</td>'
    '<td data-label="Meaning">{meaning}</td>{retry}</tr>'
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


# Stands for a service's slug in code_prefix_template(): slugs need no quoting in a URL.
SLUG_MARK = "slug-mark-0"


def code_prefix_template() -> str:
    """A code page's URL up to the code, with SLUG_MARK for the service: one reverse()
    for the code pages of every service."""
    return reverse("errors:error", args=[SLUG_MARK, "x"]).removesuffix("x/")


class Links:
    """The URLs of one service's code pages and the status links, each made once
    (from `template`, a code_prefix_template() made already, when given)."""

    def __init__(self, service: Service, template: str = "") -> None:
        self.service = service
        self.slug = service.slug
        template = template or code_prefix_template()
        self.code_prefix = template.replace(SLUG_MARK, service.slug, 1)
        self.status_badges: dict[int | None, str] = {}

    @cached_property
    def service_url(self) -> str:
        """The service's page, made once."""
        return self.service.get_absolute_url()

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


class ServiceLinks:
    """The Links of each service a list of codes names, each made once, all from one
    code_prefix_template()."""

    def __init__(self) -> None:
        self._template = code_prefix_template()
        self._made: dict[int, Links] = {}

    def of(self, service: Service) -> Links:
        """`service`'s Links."""
        links = self._made.get(service.pk)
        if links is None:
            links = self._made[service.pk] = Links(service, self._template)
        return links


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
        return '<td data-label="Retry" class="empty-cell"></td>'
    label = RETRY_LABELS.get(retry, retry)
    return (
        f'<td data-label="Retry"><span class="retry retry-{escape(retry)}">'
        f"{escape(label)}</span></td>"
    )


RETRY_CELLS = {retry: retry_cell(retry) for retry in RETRY_LABELS}


def badges(error: CodeRow | ErrorCode) -> str:
    """Draft, deprecated and removed badges (errors/_badges.html)."""
    html = "" if error.published else '<span class="badge badge-draft">Draft</span>'
    if error.lifecycle != ErrorCode.Lifecycle.ACTIVE:
        label = LIFECYCLE_LABELS.get(error.lifecycle, error.lifecycle)
        html += f' <span class="badge badge-{escape(error.lifecycle)}">{escape(label)}</span>'
    return html


def is_status_only(error: CodeRow | ErrorCode) -> bool:
    """An entry known by its HTTP status alone: its code is the status."""
    return error.http_status is not None and error.code == str(error.http_status)


class Columns(NamedTuple):
    """The columns every table of a service page shows, decided once for the page."""

    codes: bool  # a Code column beside Status; False when every entry is a status
    messages: bool
    resolutions: bool
    retry: bool
    code_width: str  # s, m, l or xl: the Code column sized to the longest code

    @classmethod
    def plan(cls, errors: list[CodeRow], *, messages: bool) -> Columns:
        named = [error.code for error in errors if not is_status_only(error)]
        longest = max((len(code) for code in named), default=0)
        width = "s" if longest <= 12 else "m" if longest <= 20 else "l" if longest <= 28 else "xl"
        return cls(
            codes=bool(named),
            messages=messages and any(error.messages for error in errors),
            resolutions=any(error.resolution_html for error in errors),
            retry=any(error.retry != ErrorCode.Retry.NOT_STATED for error in errors),
            code_width=width,
        )

    @property
    def css(self) -> str:
        """Classes of the tables: which columns they have and how wide the code is."""
        names = ["codes", "codes-service", f"code-width-{self.code_width}"]
        names += [f"has-{name}" for name in ("codes", "messages", "resolutions", "retry")
                  if getattr(self, name)]  # fmt: skip
        return " ".join(names)


def service_rows(errors: Iterable[CodeRow], links: Links, columns: Columns) -> SafeString:
    """The rows of a category's table on the service page, in the page's column plan."""
    rows = []
    for error in errors:
        code, summary, retry = escape(error.code), error.summary, error.retry
        url = escape(links.code(error))
        if is_status_only(error):
            # "400 Bad Request" once: the status is the code.
            span = ' colspan="2"' if columns.codes else ""
            head = (
                f'\n        <td data-label="Status"{span}><a class="code-link status-link '
                f'status-{str(error.http_status)[:1]}xx" href="{url}">{error.http_status} '
                f"{escape(error.title)}</a> {badges(error)}</td>"
            )
            title = ""
        else:
            head = (
                f'\n        <td data-label="Status">{links.status_badge(error.http_status)}</td>'
                f'\n        <td data-label="Code"><a class="code-link" href="{url}"><code>{code}'
                f"</code></a> {badges(error)}</td>"
            )
            title = error.title if says_more(error.title, error.code) else ""
        if title and words(title) == words(summary):
            title = ""
        meaning = f'<strong class="title">{escape(title)}</strong>' if title else ""
        if summary:
            meaning += ("<br>" if meaning else "") + inline_code(summary)
        texts = [error.code, error.title, summary, str(error.http_status or "")]
        texts += [str(message) for message in error.messages or []]
        rows.append(
            SERVICE_ROW.format(
                code=code,
                filter=escape(" ".join(texts).lower()),
                head=head,
                meaning=meaning,
                messages=f"\n        {message_cell(error)}" if columns.messages else "",
                resolution=(
                    f'\n        <td data-label="Resolution" class="prose small">'
                    f"{error.resolution_html}</td>"
                    if columns.resolutions
                    else ""
                ),
                retry=f"\n        {RETRY_CELLS.get(retry) or retry_cell(retry)}"
                if columns.retry
                else "",
            )
        )
    return mark_safe("".join(rows))


def message_cell(error: CodeRow) -> str:
    """The typical messages of a code, one a line."""
    quoted = (f'<q class="message">{escape(str(text))}</q>' for text in error.messages or [])
    return f'<td data-label="Typical message" class="small">{"<br>".join(quoted)}</td>'


def status_rows(errors: Iterable[ErrorCode], *, retry: bool) -> SafeString:
    """The rows of the status page's one table: service, code, meaning and retry rule,
    each service's links made once."""
    rows = []
    links = ServiceLinks()
    for error in errors:
        link = links.of(error.service)
        if is_status_only(error):
            name = f"{error.http_status} {escape(error.title)}"
        else:
            name = f"<code>{escape(error.code)}</code>"
        rows.append(
            STATUS_ROW.format(
                service_url=escape(link.service_url),
                service=escape(error.service.name),
                url=escape(link.code(error)),
                name=name,
                badges=badges(error),
                meaning=inline_code(error.summary or error.title),
                retry=(RETRY_CELLS.get(error.retry) or retry_cell(error.retry)) if retry else "",
            )
        )
    return mark_safe("".join(rows))
