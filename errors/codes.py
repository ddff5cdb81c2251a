"""How codes and statuses are spelt: the key every lookup compares, and a status's
reason phrase."""

from __future__ import annotations

import re
from http import HTTPStatus


def code_key(code: str) -> str:
    """The form of a code that search and lookups compare: lowercase, no `_`, `-` or space.

    `pipeline_timeout`, `Pipeline-Timeout` and `PipelineTimeout` share one key.
    """
    return re.sub(r"[\s_\-]+", "", code).lower()


def reason_phrase(status: int | None) -> str:
    """The standard reason phrase of an HTTP status (`404` -> `Not Found`), or ''."""
    if status is None:
        return ""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
