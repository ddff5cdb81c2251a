"""An undocumented fingerprint turned into a draft entry, prefilled from what was seen."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Max

from errors.catalog import history
from errors.codes import code_key
from errors.drift.models import ObservedFingerprint
from errors.models import ErrorCode, Example


class DraftRefused(Exception):
    """The fingerprint cannot become an entry; the message says why."""


def draft_code(found: ObservedFingerprint) -> str:
    """The draft's code: the body's code field, else the status for a service that tells
    errors apart by status, else a name the editor will replace."""
    if found.code:
        return found.code
    if found.service is not None and found.service.is_status_only:
        return str(found.status)
    return f"UNDOCUMENTED_{found.status}_{found.fingerprint[:6].upper()}"


@transaction.atomic
def do_draft_from_fingerprint(
    found: ObservedFingerprint, *, acting_user: Any = None, batch: UUID | None = None
) -> ErrorCode:
    """Make a draft entry (unpublished) with the fingerprint's status, code, message and
    sample body, recorded in the history like an admin addition (in `batch`, when the
    admin drafts several fingerprints at once)."""
    if found.service is None:
        raise DraftRefused(
            f"{found}: no service sent it with a service name, and identify recognised none."
        )
    if found.draft_id is not None:
        raise DraftRefused(f"{found}: already drafted as {found.draft}.")
    code = draft_code(found)
    key = code_key(code)
    if ErrorCode.objects.filter(service=found.service, code_key=key).exists():
        raise DraftRefused(f"{found.service.slug} already has an entry {code!r}.")
    last = ErrorCode.objects.filter(service=found.service).aggregate(last=Max("order"))["last"]
    error = ErrorCode.objects.create(
        service=found.service,
        code=code,
        http_status=found.status,
        title=found.message[:200] or code,
        summary="Seen in traffic, not yet documented.",
        messages=[found.message] if found.message else [],
        published=False,
        order=(last or 0) + 1,
    )
    if found.sample not in (None, "", {}):
        body = (
            found.sample
            if isinstance(found.sample, str)
            else json.dumps(found.sample, indent=2, ensure_ascii=False)
        )
        language = Example.Language.TEXT if isinstance(found.sample, str) else Example.Language.JSON
        Example.objects.create(
            error=error, title="Observed (values replaced)", language=language, body=body
        )
    history.record_change(error, None, acting_user=acting_user, batch=batch)
    found.draft = error
    found.save(update_fields=["draft"])
    return error
