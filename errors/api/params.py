"""Reading query parameters: each is checked, and a bad one is refused with a problem that
names it and says what the endpoint takes."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection

from rest_framework.request import Request

from errors.api.exceptions import Problem
from errors.models import Category, Service

MAX_CODE_LENGTH = 100
# The values of a yes/no parameter, exactly (Python's requests sends True as "True"); the
# schema lists the same, so what it documents and what is accepted are one set.
TRUE_WORDS = ("1", "true", "True", "yes", "on")
FALSE_WORDS = ("0", "false", "False", "no", "off")
FLAG_VALUES = [*TRUE_WORDS, *FALSE_WORDS]


def unknown_parameters_detail(unknown: list[str], known: Collection[str]) -> str:
    """Name the unknown parameters, the nearest known ones and all that are taken."""
    allowed = sorted(known)
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, allowed, n=1)
        hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    takes = ", ".join(allowed) if allowed else "no query parameters"
    return f"unknown parameter {', '.join(hints)}: this endpoint takes {takes}."


# --------------------------------------------------------------------------- parameters


def text_param(request: Request, name: str, max_length: int = MAX_CODE_LENGTH) -> str:
    """A text parameter, trimmed: '' when absent; refused with a NUL or over `max_length`."""
    value = request.query_params.get(name, "").strip()
    if "\x00" in value:
        raise Problem("invalid_parameter", f"{name} contains a NUL character: remove it.")
    if len(value) > max_length:
        raise Problem(
            "invalid_parameter",
            f"{name} is {len(value)} characters long: keep it to {max_length}.",
        )
    return value


def choice_param(request: Request, name: str, choices: tuple[str, ...]) -> str:
    """One of `choices`, or '' when the parameter is absent; an empty value is refused (the
    schema lists the choices, and '' is not one of them)."""
    value = text_param(request, name, max(len(choice) for choice in choices))
    if name in request.query_params and value not in choices:
        raise Problem(
            "invalid_parameter",
            f"{name} must be one of {', '.join(choices)}, not {value!r}; or leave it out.",
        )
    return value


def whole_number(raw: str, low: int, high: int) -> int | None:
    """`raw` as a number from `low` to `high`, or None: ASCII digits only (`²` and `٣` are
    digits to `str.isdigit`), and no longer than `high` (`int` refuses 4,300 digits)."""
    if not (raw.isascii() and raw.isdigit()) or len(raw.lstrip("0")) > len(str(high)):
        return None
    number = int(raw)
    return number if low <= number <= high else None


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """A whole-number parameter from `low` to `high`, `default` when absent."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    number = whole_number(raw.strip(), low, high)
    if number is None:
        raise Problem(
            "invalid_parameter", f"{name} must be a whole number from {low} to {high}, not {raw!r}."
        )
    return number


def status_param(request: Request) -> int | None:
    """The `status` filter: an HTTP status from 100 to 599, or None when absent."""
    raw = request.query_params.get("status")
    if raw is None:
        return None
    number = whole_number(raw.strip(), 100, 599)
    if number is None:
        raise Problem("invalid_parameter", f"status must be a number from 100 to 599, not {raw!r}.")
    return number


def no_service(slug: str) -> str:
    """What a problem says of a service slug that names no service."""
    return f"There is no service {slug!r}: GET /api/v1/services/ lists the slugs."


# What a `service` parameter may hold (also the schema's pattern, errors.api.schema): a
# slug's characters, with spaces around it at most, which are trimmed.
SERVICE_SLUG = re.compile(r" *[A-Za-z0-9-]* *")


def service_param(request: Request) -> str:
    """The `service` filter: a known service's slug, '' when absent; 404 problem if unknown."""
    slug = text_param(request, "service", 60).lower()
    raw = request.query_params.get("service", "")
    if not SERVICE_SLUG.fullmatch(raw):
        # Trimmed, a control character alone would have been no filter at all.
        raise Problem(
            "invalid_parameter",
            f"service must be a service's slug (letters, digits and hyphens), not {raw!r}.",
        )
    if slug and not Service.objects.filter(slug=slug).exists():
        raise Problem("unknown_service", no_service(slug))
    return slug


def category_param(request: Request, service: str) -> str:
    """The category filter: a slug some service (or the given one) has, else a 404 like
    an unknown service's (the filter names a thing that isn't there)."""
    slug = text_param(request, "category", 60).lower()
    if not slug:
        return ""
    categories = Category.objects.filter(slug=slug)
    if service:
        categories = categories.filter(service__slug=service)
    if not categories.exists():
        where = f"{service}'s categories" if service else "each service's categories"
        listing = f"/api/v1/services/{service}/" if service else "/api/v1/services/"
        raise Problem(
            "not_found",
            f"There is no category {slug!r}: GET {listing} lists {where}.",
        )
    return slug


def service_or_404(slug: str) -> Service:
    """The service with this slug, or a 404 problem that says where the slugs are listed."""
    service = Service.objects.filter(slug=slug).first()
    if service is None:
        raise Problem("not_found", no_service(slug))
    return service


def page_url(request: Request, page: int) -> str:
    """This request's absolute URL with `page` set: the next and previous links."""
    params = request.query_params.copy()
    params["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


# --------------------------------------------------------------------------- catalogs


def flag_param(request: Request, name: str) -> bool:
    """A yes/no parameter: 1/true/yes/on or 0/false/no/off, or absent (no); anything else,
    an empty value too, is refused."""
    if name not in request.query_params:
        return False
    raw = request.query_params[name]
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise Problem("invalid_parameter", f"{name} must be 1 or 0 (or true/false), not {raw[:20]!r}.")


def dry_run_param(request: Request) -> bool:
    """`dry_run`, a yes/no parameter."""
    return flag_param(request, "dry_run")
