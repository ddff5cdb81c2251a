"""What the reference pages show, built by plain functions a test can call without HTTP.

Every function here costs a fixed number of queries, whatever the number of codes: a
service with 1,000 codes is read in as many queries as one with 10.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from http import HTTPStatus

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, QuerySet, Value, When
from django.urls import reverse
from django.utils.html import escape

from errors.changelog import ChangeBatch, recent_batches
from errors.code_counts import counted_services
from errors.code_rows import (
    CodeRow,
    Columns,
    Links,
    code_rows,
    is_status_only,
    service_rows,
    status_rows,
    words,
)
from errors.codes import reason_phrase
from errors.markdown import highlight_code
from errors.models import Category, ErrorCode, Guide, Service
from errors.paging import page_window
from errors.querysets import can_see_drafts
from errors.retry_rules import retry_advice
from errors.wire import WireBody, illustrative_body

# Whoever asks for a page: staff see drafts, everyone else what is published.
RequestUser = AbstractBaseUser | AnonymousUser

RECENT_CHANGES = 6
SAME_STATUS_LIMIT = 30


class Pager:
    """What a pager shows of a long list of codes taken a page at a time: `codes` says
    which of them this page holds (None when they fit on one), `page_url` where another
    page is."""

    codes: Page | None

    def page_url(self, number: int) -> str:
        raise NotImplementedError

    @property
    def pager_label(self) -> str:
        """What the pages are of, for the pager's name."""
        raise NotImplementedError

    @property
    def paged(self) -> bool:
        """Whether the codes take more than one page."""
        return self.codes is not None and self.codes.paginator.num_pages > 1

    @property
    def previous_url(self) -> str:
        """The page before this one, if any."""
        if self.codes is None or not self.codes.has_previous():
            return ""
        return self.page_url(self.codes.previous_page_number())

    @property
    def next_url(self) -> str:
        """The page after this one, if any."""
        if self.codes is None or not self.codes.has_next():
            return ""
        return self.page_url(self.codes.next_page_number())

    @property
    def page_links(self) -> list[tuple[int | str, str]]:
        """(page number or an ellipsis, its URL) around this page, with the first and
        last: what a pager shows."""
        if self.codes is None:
            return []
        numbers = self.codes.paginator.get_elided_page_range(
            self.codes.number, on_each_side=2, on_ends=1
        )
        return [(n, self.page_url(n) if isinstance(n, int) else "") for n in numbers]


# Home


@dataclass
class HomePage:
    """The services with their code counts, and the latest changes, an import as one."""

    services: list[Service]
    recent: list[ChangeBatch]
    total_codes: int


def home_page(user: RequestUser) -> HomePage:
    """Every service with the number of codes `user` may see, and the latest changes:
    "SigSentry: 30 codes imported" rather than thirty lines of import."""
    services = counted_services(user)
    return HomePage(
        services, recent_batches(RECENT_CHANGES), sum(service.code_count for service in services)
    )


# Service


@dataclass
class CategoryTable:
    """One table of the service page: a category (or none) and its codes."""

    service: Service
    category: Category | None
    errors: list[CodeRow]
    rows_html: str = ""

    @property
    def anchor(self) -> str:
        return f"category-{self.category.slug}" if self.category else "category-other"

    @property
    def name(self) -> str:
        return self.category.name if self.category else "Other errors"


@dataclass
class ServicePage(Pager):
    """A service's reference: its envelope, policy, codes by category and guides."""

    service: Service
    tables: list[CategoryTable]
    guides: list[Guide]
    code_count: int
    draft_count: int
    envelope_html: str = ""
    columns: Columns = field(default_factory=lambda: Columns(True, False, False, False, "m"))
    # Which of the service's codes this page shows, when they take more than one page.
    codes: Page | None = None

    def page_url(self, number: int) -> str:
        return service_page_url(self.service, number)

    @property
    def pager_label(self) -> str:
        return f"{self.service.name} codes"

    @property
    def shows_overview(self) -> bool:
        """The description, unless it only repeats the lede."""
        service = self.service
        return bool(service.description.strip()) and not same_words(
            service.description, service.summary
        )

    @property
    def told_apart_by(self) -> str:
        """How a client tells this service's errors apart: code, message or status."""
        service = self.service
        if service.code_pointer:
            return "code"
        # Messages of status-only entries ("Assessment not found") do not name a code.
        named = (table.errors for table in self.tables)
        if service.message_pointer and any(
            error.messages and not is_status_only(error) for errors in named for error in errors
        ):
            return "message"
        return "status"


# Codes on one service page: 1,000 are about 600 KB of HTML; a service of 10,000 on one
# page was 8 MB and took 1.5 s to render. Larger services get pages of this many.
SERVICE_PAGE_CODES = 1000


def service_page(service: Service, user: RequestUser, number: int = 1) -> ServicePage | None:
    """Group the codes `user` may see into one table per category, in catalog order: all
    of them, or the `number`th SERVICE_PAGE_CODES of a larger service (None past the
    last page)."""
    visible = service.errors.visible_to(user)
    ordered = visible.order_by("order", "code")
    # The first page reads one code more than it shows: a service that fits on one page
    # (nearly all) needs no count.
    errors = code_rows(ordered[: SERVICE_PAGE_CODES + 1]) if number == 1 else []
    codes: Page | None = None
    if number != 1 or len(errors) > SERVICE_PAGE_CODES:
        paginator = Paginator(ordered, SERVICE_PAGE_CODES)
        if not 1 <= number <= paginator.num_pages:
            return None
        codes = paginator.page(number)
        start, end = codes.start_index() - 1, codes.end_index()
        errors = errors[:SERVICE_PAGE_CODES] if number == 1 else code_rows(ordered[start:end])
    by_category: dict[int | None, list[CodeRow]] = defaultdict(list)
    for error in errors:
        by_category[error.category_id].append(error)
    tables = [
        CategoryTable(service, category, by_category[category.pk])
        for category in service.categories.all()
        if by_category.get(category.pk)
    ]
    if by_category.get(None):
        tables.append(CategoryTable(service, None, by_category[None]))
    links = Links(service)
    # One column plan for every table: the columns line up down the page.
    columns = Columns.plan(errors, messages=not service.code_pointer)
    for table in tables:
        table.rows_html = service_rows(table.errors, links, columns)
    drafts = sum(1 for error in errors if not error.published)
    if codes is not None and can_see_drafts(user):
        drafts = visible.filter(published=False).count()
    return ServicePage(
        service=service,
        tables=tables,
        guides=list(service.guides.all()),
        code_count=len(errors) if codes is None else codes.paginator.count,
        draft_count=drafts,
        envelope_html=envelope_html(service),
        columns=columns,
        codes=codes,
    )


def service_page_url(service: Service, number: int) -> str:
    """The address of the `number`th page of a service's codes (the first is the
    service's own)."""
    if number == 1:
        return service.get_absolute_url()
    return reverse("errors:service-page", args=[service.slug, number])


def envelope_html(service: Service) -> str:
    """The service's example error body, highlighted (JSON pretty-printed)."""
    body = service.envelope_example.strip()
    if not body:
        return ""
    language = "json" if body.startswith(("{", "[")) else "text"
    return highlight_code(body, language)


# Code


@dataclass
class ErrorPage:
    """One code with everything its page shows, each thing once."""

    error: ErrorCode
    examples: list
    replaces: list[ErrorCode]
    same_status: list[ErrorCode]
    same_status_total: int
    api_url: str
    admin_url: str | None
    same_service: list[ErrorCode] = field(default_factory=list)
    illustrative: WireBody | None = None

    @property
    def is_status_only(self) -> bool:
        """An entry known by its HTTP status alone: its code is the status."""
        error = self.error
        return error.http_status is not None and error.code == str(error.http_status)

    @property
    def heading(self) -> str:
        """The page's title: "429 Too Many Requests" for a status-only entry, else the code."""
        if self.is_status_only:
            return f"{self.error.http_status} {self.error.title}"
        return self.error.code

    @property
    def subtitle(self) -> str:
        """The entry's title when it says more than its code spelt out."""
        error = self.error
        if self.is_status_only or same_words(error.title, error.code):
            return ""
        return "" if same_words(error.title, error.summary) else error.title

    @property
    def retry_advice(self) -> str:
        """What the page says about retrying (Markdown), or '' when no source states it."""
        return retry_advice(self.error.retry, self.error.retry_delay_from)

    @property
    def messages_not_shown(self) -> list[str]:
        """Typical messages no body on the page already shows."""
        bodies = " ".join(example.body for example in self.examples)
        shown = self.illustrative.html if self.illustrative else ""
        return [
            str(message)
            for message in self.error.messages
            if str(message) not in bodies and escape(str(message)) not in shown
        ]


def same_words(one: str, other: str) -> bool:
    """Whether two names say the same words: `RATE_LIMITED` and "Rate limited"."""
    return words(one) == words(other)


def error_page(error: ErrorCode, user: RequestUser) -> ErrorPage:
    """The examples, related codes and links of a code's page: the service's own codes
    with the same status first, then other services' (a fixed number of queries)."""
    same_status: list[ErrorCode] = []
    same_service: list[ErrorCode] = []
    total = 0
    status_title = ""
    if error.http_status is not None:
        visible = ErrorCode.objects.visible_to(user).filter(http_status=error.http_status)
        mine = visible.filter(service_id=error.service_id).exclude(pk=error.pk)
        for other in mine.order_by("order", "code")[:SAME_STATUS_LIMIT]:
            other.service = error.service
            if other.code == str(error.http_status):
                status_title = other.title
            same_service.append(other)
        # The first few of another service's in the order of the status page, read from
        # the services they fall in: sorting every code of the status by its service's
        # name to keep 30 took 270 ms at a million codes (HTTP 404: 86,000 codes).
        others = visible.exclude(service_id=error.service_id)
        counts = counts_by_service(others)
        total = sum(counts.values())
        same_status = codes_in_service_order(others, counts, 0, SAME_STATUS_LIMIT)
    examples = list(error.examples.all())
    wire_examples = [example for example in examples if example.language in ("json", "http")]
    return ErrorPage(
        error=error,
        examples=examples,
        replaces=list(error.replaces.visible_to(user).order_by("code")),
        same_status=same_status,
        same_status_total=total,
        api_url=api_url(error),
        admin_url=admin_url(error) if can_see_drafts(user) else None,
        same_service=same_service,
        illustrative=None if wire_examples else illustrative_body(error, status_title),
    )


def api_url(error: ErrorCode) -> str:
    """The code's entry in the JSON API."""
    return reverse("api:error", args=[error.service.slug, error.code])


def admin_url(error: ErrorCode) -> str:
    """The admin page that edits the code."""
    return reverse("admin:errors_errorcode_change", args=[error.pk])


# Status


# What a status means in general, beyond its reason phrase (RFC 9110 and RFC 6585).
STATUS_MEANINGS = {
    400: "The server cannot process the request because of something the client did: "
    "malformed syntax, an invalid parameter, a body that fails validation.",
    401: "The request lacks valid credentials for the resource: authenticate (again) "
    "and send the request with them.",
    402: "Reserved by HTTP for future use; APIs use it for billing: a plan, quota or "
    "payment problem.",
    403: "The server understood the request and the credentials but refuses it: more "
    "permissions, another key or another account are needed.",
    404: "The server has no resource at this address, or will not say that it has one.",
    409: "The request conflicts with the current state of the resource: read the "
    "current state and decide again.",
    410: "The resource was there and is gone for good.",
    413: "The request body is larger than the server accepts.",
    415: "The request body's media type is one the server does not accept for this resource.",
    422: "The request is well-formed but its content cannot be processed.",
    429: "The client sent too many requests in a given time: slow down, usually for as "
    "long as a Retry-After header says.",
    500: "The server met a condition it did not expect: a fault on its side.",
    502: "A server acting as a gateway got an invalid answer from the server behind it.",
    503: "The server cannot handle the request now (overload, maintenance); a "
    "Retry-After header may say for how long.",
    504: "A server acting as a gateway did not get an answer in time from the server behind it.",
}


@dataclass
class StatusPage(Pager):
    """Every code with one HTTP status, in one table with a service column, a page of
    STATUS_PAGE_CODES at a time."""

    status: int
    phrase: str
    meaning: str
    errors: list[ErrorCode]
    code_count: int
    service_count: int
    rows_html: str = ""
    shows_retry: bool = False
    codes: Page | None = None

    def page_url(self, number: int) -> str:
        return status_page_url(self.status, number)

    @property
    def pager_label(self) -> str:
        return f"HTTP {self.status} codes"


# What a status page's rows show of a code and its service (code_rows.status_rows): its
# long texts, rendered HTML and lists were read and decoded for nothing.
STATUS_ROW_FIELDS = (
    "service__name", "service__slug", "code", "http_status", "title", "summary", "retry",
    "lifecycle", "published", "order",
)  # fmt: skip

# Codes on one status page: at 100,000 codes, HTTP 404's 10,212 made one page of 3.7 MB
# that took 1.8-2.4 s to render after each catalog write.
STATUS_PAGE_CODES = 1000


def status_page(status: int, user: RequestUser, number: int = 1) -> StatusPage | None:
    """The codes answering with `status`, in service order, the `number`th
    STATUS_PAGE_CODES of them; None when the status is neither standard nor used, or
    past the last page.

    The codes are counted per service first (from the status's index), so that a page
    reads the codes of the services it falls in alone, not every code of the status in
    order to skip to it."""
    visible = ErrorCode.objects.visible_to(user).filter(http_status=status)
    counts = counts_by_service(visible)
    total = sum(counts.values())
    phrase = reason_phrase(status)
    if not total and not phrase:
        return None
    paginator = Paginator(range(total), STATUS_PAGE_CODES, allow_empty_first_page=True)
    if not 1 <= number <= paginator.num_pages:
        return None
    codes = paginator.page(number)
    start = codes.start_index() - 1 if total else 0
    errors = codes_in_service_order(visible, counts, start, STATUS_PAGE_CODES)
    shows_retry = any(error.retry != ErrorCode.Retry.NOT_STATED for error in errors)
    meaning = STATUS_MEANINGS.get(status) or (HTTPStatus(status).description if phrase else "")
    return StatusPage(
        status,
        phrase,
        meaning,
        errors,
        total,
        len(counts),
        rows_html=status_rows(errors, retry=shows_retry),
        shows_retry=shows_retry,
        codes=codes,
    )


def status_is_known(status: int, user: RequestUser) -> bool:
    """Whether `status` has a page: a standard status, or one a code `user` sees uses."""
    return bool(reason_phrase(status)) or (
        ErrorCode.objects.visible_to(user).filter(http_status=status).exists()
    )


def counts_by_service(errors: QuerySet[ErrorCode]) -> dict[int, int]:
    """The number of `errors` of each service (by id), in the order the database sorts
    the services' names and then slugs (its collation, not Python's).

    Counted without the services, then put in their order: grouping the codes joined to
    their services took twice as long (54 against 23 ms for HTTP 404's 86,000 codes at a
    million, on PostgreSQL)."""
    counts = dict(errors.order_by().values_list("service_id").annotate(n=Count("id")))
    if not counts:
        return {}
    in_order = Service.objects.filter(pk__in=counts).order_by("name", "slug")
    return {pk: counts[pk] for pk in in_order.values_list("pk", flat=True)}


def codes_in_service_order(
    errors: QuerySet[ErrorCode], counts: dict[int, int], start: int, limit: int
) -> list[ErrorCode]:
    """`limit` of `errors` from the `start`th, taken service by service in the order of
    `counts` (counts_by_service's), each service's in catalog order; read from the
    services they fall in alone, with what a row of them shows (STATUS_ROW_FIELDS)."""
    window, skip = page_window(counts, start, limit)
    if not window:
        return []
    # The services in the order counted, whatever the database would make of their names;
    # a page within one service in the order of its codes alone, which an index gives.
    place = Case(*(When(service_id=pk, then=Value(n)) for n, pk in enumerate(window)))
    order = ("order", "code") if len(window) == 1 else (place, "order", "code")
    return list(
        errors.filter(service_id__in=window)
        .select_related("service")
        .only(*STATUS_ROW_FIELDS)
        .order_by(*order)[skip : skip + limit]
    )


def status_page_url(status: int, number: int) -> str:
    """The address of the `number`th page of a status's codes (the first is the
    status's own)."""
    if number == 1:
        return reverse("errors:status", args=[status])
    return reverse("errors:status-page", args=[status, number])
