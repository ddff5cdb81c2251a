"""Helpers for the admin tests: change-form POST data (and make_user, from factories)."""

from __future__ import annotations

import json

from errors.models import ErrorCode
from tests.factories import make_user  # noqa: F401 - imported from here by the admin tests


def formset_management(prefix: str, total: int, initial: int) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def error_form_data(error: ErrorCode, **overrides) -> dict[str, str]:
    """What the admin's change form of `error` posts, with its examples, plus `overrides`."""
    data = {
        "service": str(error.service_id),
        "code": error.code,
        "http_status": "" if error.http_status is None else str(error.http_status),
        "title": error.title,
        "summary": error.summary,
        "category": str(error.category_id or ""),
        "description": error.description,
        "resolution": error.resolution,
        "details_shape": error.details_shape,
        "retry": error.retry,
        "lifecycle": error.lifecycle,
        "lifecycle_since": error.lifecycle_since,
        "replaced_by": str(error.replaced_by_id or ""),
        "aliases": json.dumps(error.aliases),
        "messages": json.dumps(error.messages),
        "tags": json.dumps(error.tags),
        "version": error.updated_at.isoformat() if error.pk else "",
    }
    if error.published:
        data["published"] = "on"
    examples = list(error.examples.all()) if error.pk else []
    data.update(formset_management("examples", len(examples), len(examples)))
    for index, example in enumerate(examples):
        data.update(
            {
                f"examples-{index}-id": str(example.pk),
                f"examples-{index}-error": str(error.pk),
                f"examples-{index}-title": example.title,
                f"examples-{index}-language": example.language,
                f"examples-{index}-order": str(example.order),
                f"examples-{index}-body": example.body,
                f"examples-{index}-description": example.description,
            }
        )
    data.update({key: str(value) for key, value in overrides.items()})
    return data


def with_new_example(data: dict[str, str], body: str, language: str = "json") -> dict[str, str]:
    """Add one example row to change-form data."""
    index = int(data["examples-TOTAL_FORMS"])
    data = dict(data)
    data["examples-TOTAL_FORMS"] = str(index + 1)
    data.update(
        {
            f"examples-{index}-title": "",
            f"examples-{index}-language": language,
            f"examples-{index}-order": str(index),
            f"examples-{index}-body": body,
            f"examples-{index}-description": "",
        }
    )
    return data
