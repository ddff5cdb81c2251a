"""What every generated client is made from: a service's published codes as plain
values, read in two queries, and the facts all four languages state the same way."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import reverse

from errors.codes import code_key
from errors.models import ErrorCode, Service

# The catalog's retry rules, "not stated" first: issue 14 makes it the default, and a
# client must keep it apart from "never" even when this catalog has no such value yet.
NOT_STATED = "not_stated"
RETRY_RULES: tuple[str, ...] = (
    NOT_STATED,
    *(value for value in ErrorCode.Retry.values if value != NOT_STATED),
)
# Rules under which the caller may send the request again; "never" may not, and
# "not_stated" leaves it open (the helpers answer None / null / not stated).
RETRYABLE = frozenset({"safe", "backoff", "retry_after"})
LIFECYCLES: tuple[str, ...] = tuple(ErrorCode.Lifecycle.values)


@dataclass(frozen=True)
class ClientEntry:
    """One published code as a client carries it."""

    code: str
    http_status: int | None
    title: str
    retry: str
    lifecycle: str
    replaced_by: str | None
    html_url: str
    aliases: tuple[str, ...]

    @property
    def is_deprecated(self) -> bool:
        """Deprecated and removed codes carry their language's deprecation marker."""
        return self.lifecycle != ErrorCode.Lifecycle.ACTIVE

    def deprecation(self, names: dict[str, str] | None = None) -> str:
        """Why the code is deprecated and what to use instead, as one sentence; `names`
        gives the replacement's identifier in the generated language."""
        text = f"{self.code} is {self.lifecycle}"
        if not self.replaced_by:
            return text + "."
        name = (names or {}).get(self.replaced_by)
        instead = (
            f"{name} ({self.replaced_by})"
            if name and name != self.replaced_by
            else self.replaced_by
        )
        return text + f": use {instead} instead."


@dataclass(frozen=True)
class ClientCatalog:
    """A service's published codes, in catalog order."""

    slug: str
    name: str
    service_url: str
    entries: tuple[ClientEntry, ...]


def client_catalog(service: Service, base_url: str) -> ClientCatalog:
    """The published codes of `service`, with `html_url`s under `base_url` (the portal's
    address, e.g. https://errors.example.com)."""
    base = base_url.rstrip("/")
    rows = (
        ErrorCode.objects.published()
        .filter(service=service)
        .select_related("replaced_by")
        .only(
            "code",
            "http_status",
            "title",
            "retry",
            "lifecycle",
            "aliases",
            "order",
            "replaced_by__code",
            "replaced_by__published",
        )
        .order_by("order", "code")
    )
    entries = tuple(
        ClientEntry(
            code=error.code,
            http_status=error.http_status,
            title=error.title,
            retry=error.retry,
            lifecycle=error.lifecycle,
            # A draft replacement is not in the client: name no code it cannot find.
            replaced_by=(
                error.replaced_by.code
                if error.replaced_by is not None and error.replaced_by.published
                else None
            ),
            html_url=base + reverse("errors:error", args=[service.slug, error.code]),
            aliases=tuple(str(alias) for alias in error.aliases or ()),
        )
        for error in rows
    )
    return ClientCatalog(
        slug=service.slug,
        name=service.name,
        service_url=base + service.get_absolute_url(),
        entries=entries,
    )


def one_line(text: str) -> str:
    """Text for a one-line comment: whitespace runs, newlines included, become a space."""
    return re.sub(r"\s+", " ", text).strip()


def block_comment_text(text: str) -> str:
    """Text safe inside a /* ... */ comment (TypeScript, Java, Go): no closing `*/`."""
    return one_line(text).replace("*/", "*\u2215")


def lookup_keys(catalog: ClientCatalog) -> dict[str, ClientEntry]:
    """Every key a spelling may have (errors.models.code_key) and the code it names, by
    the portal's rule (errors.lookup): a code's own key before any alias, earlier codes
    first. The generated lookups hold this table, so they answer as the portal does."""
    keys: dict[str, ClientEntry] = {}
    for entry in catalog.entries:
        keys.setdefault(code_key(entry.code), entry)
    for entry in catalog.entries:
        for alias in entry.aliases:
            keys.setdefault(code_key(alias), entry)
    keys.pop("", None)
    return keys
