"""A spec -> a catalog in the portal's catalog format: the service from `info`, the
envelope, one entry per code (or, with no codes at all, per documented error status)."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from errors.bodies import body_shape, resolve_pointer
from errors.codes import reason_phrase
from errors.models import ErrorCode
from errors.openapi.codes import CodeReader, Found, Occurrence, main_status
from errors.openapi.document import Spec, spec_problem
from errors.openapi.envelope import Envelope, find_envelope
from errors.openapi.operations import ErrorResponse, SpecExample, error_responses

MAX_MESSAGES = 10
PLACEHOLDER_MESSAGES = {"string", "message", "error message", "lorem ipsum"}
MAX_EXAMPLES = 5
MAX_SHAPED_EXAMPLES = 20
RETRY_VALUES = {value for value, _ in ErrorCode.Retry.choices}
# The model's default ("not_stated" once issue 14 lands): a spec that says nothing of
# retrying states no rule.
DEFAULT_RETRY = str(ErrorCode._meta.get_field("retry").get_default())


@dataclass
class SpecCatalog:
    """What a spec says of its errors, as a catalog, with notes on what was left out."""

    data: dict[str, Any]
    envelope: Envelope
    status_only: bool
    warnings: list[str] = field(default_factory=list)
    # The codes (lower case) whose title / retry rule the spec states, not the importer.
    stated: dict[str, set[str]] = field(default_factory=lambda: {"title": set(), "retry": set()})

    @property
    def codes(self) -> list[str]:
        """The entries' codes, in catalog order."""
        return [entry["code"] for entry in self.data["errors"]]


def spec_to_catalog(spec: Spec, slug: str) -> SpecCatalog:
    """The catalog of `spec`'s errors for the service `slug`; a spec documenting no error
    response at all is a problem (importing it would import nothing)."""
    responses = error_responses(spec)
    if not responses:
        raise spec_problem(
            spec.name,
            "paths",
            "the spec documents no error responses (no 4xx, 5xx or error `default` response "
            "on any operation, nor in components/responses): nothing to import. Document "
            "the errors in the spec first.",
        )
    envelope = find_envelope(spec, responses)
    reader = CodeReader(spec, envelope)
    found = reader.read(responses)
    stated: dict[str, set[str]] = {"title": set(), "retry": set()}
    entries = [_entry(item, envelope, stated) for item in found.values()]
    _spell_out_clashes(entries)
    # Examples that carry no code (Kong's 400s, odd bodies): an entry for their status.
    status_only = not entries
    by_code = {entry["code"].lower(): entry for entry in entries}
    for entry in _status_entries(responses, envelope, reader.codeless, all_statuses=status_only):
        same = by_code.get(entry["code"].lower())
        if same is None:  # a code "404" already (a problem type .../404): it takes them
            entries.append(entry)
        elif same["http_status"] == entry["http_status"]:
            known = {example["body"] for example in same["examples"]}
            same["examples"] += [e for e in entry["examples"] if e["body"] not in known]
    if status_only:
        envelope.code_pointer = ""
    dropped = _drop_disagreeing_examples(entries, envelope)
    _drop_shared_messages(entries)
    warnings = list(reader.warnings)
    if dropped:
        warnings.append(
            f"{dropped} example(s) state another status than their code's main status: "
            "they stay in the spec, not in the catalog."
        )
    unknown = sum(1 for entry in entries if entry["http_status"] is None)
    if unknown:
        warnings.append(
            f"{unknown} code(s) have no status in the spec (an enum every error response "
            "shares, with no status table): their http_status is left empty."
        )
    data = {
        "service": _service(spec, slug, envelope),
        "categories": [],
        "errors": entries,
        "guides": [],
    }
    return SpecCatalog(
        data=data,
        envelope=envelope,
        status_only=status_only,
        warnings=warnings,
        stated=stated,
    )


def _service(spec: Spec, slug: str, envelope: Envelope) -> dict[str, Any]:
    info = spec.data.get("info") or {}
    description = str(info.get("description") or "").strip()
    summary = str(info.get("summary") or "") or _first_sentence(description)
    contact = info["contact"] if isinstance(info.get("contact"), dict) else {}
    servers = spec.data.get("servers") or []
    base_url = servers[0].get("url", "") if servers and isinstance(servers[0], dict) else ""
    return {
        "slug": slug,
        "name": _clip(str(info.get("title") or slug), 120),
        "summary": _clip(summary, 300),
        "description": description if len(description) <= 4000 else "",
        "owner_team": "",
        "contact": _clip(str(contact.get("email") or contact.get("url") or ""), 200),
        "base_url": _clip(str(base_url), 300),
        "code_pattern": "",
        "envelope": envelope.as_catalog(),
        "stability": "",
    }


def _entry(item: Found, envelope: Envelope, stated: dict[str, set[str]]) -> dict[str, Any]:
    status = main_status(item)
    occurrences = item.occurrences
    stated_title = next((o.title for o in occurrences if o.title), "")
    # The export's own enum list repeats each title as its "explanation": not a summary.
    explanation = next(
        (o.explanation for o in occurrences if o.explanation and o.explanation != stated_title),
        "",
    )
    examples = _unique_examples([o.example for o in occurrences if o.example is not None])
    title = next((o.title for o in occurrences if o.title), "") or _problem_title(
        examples, envelope
    )
    retry = next((o.retry for o in occurrences if o.retry in RETRY_VALUES), "")
    code, aliases = url_safe_code(item.code)
    entry = _blank(code, status)
    entry["aliases"] = aliases
    entry.update(
        title=_clip(title or humanise(item.code), 200),
        summary=_clip(_summary_of(explanation), 500),
        description=explanation if len(explanation) > len(_summary_of(explanation)) else "",
        messages=_messages([o.example for o in occurrences if o.example], envelope),
        operations=_operations(occurrences),
        examples=[_example(e) for e in examples],
    )
    if retry:
        entry["retry"] = retry
        stated["retry"].add(code.lower())
    if title:
        stated["title"].add(code.lower())
    return entry


def _blank(code: str, status: int | None) -> dict[str, Any]:
    """An entry with the defaults of the catalog format (errors.catalog.canonical)."""
    return {
        "code": code, "http_status": status, "category": "", "title": code, "summary": "",
        "description": "", "resolution": "", "retry": DEFAULT_RETRY,
        "details_shape": "", "lifecycle": "active", "lifecycle_since": "", "replaced_by": "",
        "aliases": [], "messages": [], "tags": [], "operations": [], "published": True,
        "examples": [],
    }  # fmt: skip


def _status_entries(
    responses: list[ErrorResponse],
    envelope: Envelope,
    codeless: dict[int | None, list[tuple[ErrorResponse, SpecExample]]],
    *,
    all_statuses: bool,
) -> list[dict[str, Any]]:
    """One entry per documented error status: every status when the spec has no codes,
    else the statuses with examples that carry no code."""
    by_status: dict[int, list[ErrorResponse]] = {}
    for response in responses:
        if response.status is not None:
            by_status.setdefault(response.status, []).append(response)
    for status, pairs in codeless.items():
        if status is not None:
            by_status.setdefault(status, []).extend(response for response, _ in pairs)
    entries = []
    for status in sorted(by_status):
        if not (all_statuses or status in codeless):
            continue
        group = list({id(r): r for r in by_status[status]}.values())
        meanings = [r.description.strip() for r in group if r.description.strip()]
        distinct = list(
            dict.fromkeys(m for m in meanings if m.lower() != reason_phrase(status).lower())
        )
        examples = _unique_examples([example for _, example in codeless.get(status, [])])
        entry = _blank(str(status), status)
        entry.update(
            title=_problem_title(examples, envelope) or reason_phrase(status) or str(status),
            summary=_clip(_first_sentence(distinct[0]) if distinct else "", 500),
            description="\n\n".join(f"- {m}" for m in distinct[:20]) if len(distinct) > 1 else "",
            messages=_messages([example for _, example in codeless.get(status, [])], envelope),
            operations=_operations([Occurrence(str(status), status, r.operation) for r in group]),
            examples=[_example(e) for e in examples],
        )
        entries.append(entry)
    return entries


def _unique_examples(examples: list[SpecExample]) -> list[SpecExample]:
    """The distinct bodies: the first few, then one of each further shape (identify
    recognises a body by the shape of a documented example)."""
    seen: dict[str, SpecExample] = {}
    for example in examples:
        seen.setdefault(example.text, example)
    chosen = list(seen.values())[:MAX_EXAMPLES]
    shapes = {body_shape(example.value) for example in chosen}
    for example in list(seen.values())[MAX_EXAMPLES:]:
        shape = body_shape(example.value)
        if shape not in shapes and len(chosen) < MAX_SHAPED_EXAMPLES:
            shapes.add(shape)
            chosen.append(example)
    return chosen


def _example(example: SpecExample) -> dict[str, Any]:
    title = example.summary or ("" if example.name == "example" else example.name)
    return {
        "title": _clip(title, 200),
        "language": "json" if not isinstance(example.value, str) else "text",
        "body": example.text,
        "description": example.description,
    }


def _messages(examples: list[SpecExample], envelope: Envelope) -> list[str]:
    if not envelope.message_pointer:
        return []
    found = []
    for example in examples:
        if isinstance(example.value, dict):
            message = resolve_pointer(example.value, envelope.message_pointer)
            # "..." or "string" are a writer's placeholders, not messages an API sends
            if (
                isinstance(message, str)
                and len(re.findall(r"[^\W\d_]", message)) >= 3
                and message.strip().lower() not in PLACEHOLDER_MESSAGES
            ):
                found.append(message.strip())
    return list(dict.fromkeys(found))


def _problem_title(examples: list[SpecExample], envelope: Envelope) -> str:
    """A problem's `title` is the same for every occurrence of its type: the entry's."""
    if not envelope.problem:
        return ""
    titles = Counter(
        e.value["title"]
        for e in examples
        if isinstance(e.value, dict) and isinstance(e.value.get("title"), str)
    )
    return titles.most_common(1)[0][0] if titles else ""


def _operations(occurrences: list[Occurrence]) -> list[dict[str, str]]:
    seen = {
        (o.operation["path"], o.operation["method"]): o.operation
        for o in occurrences
        if o.operation is not None
    }
    return [seen[key] for key in sorted(seen)]


def _drop_disagreeing_examples(entries: list[dict[str, Any]], envelope: Envelope) -> int:
    """An example whose body states another status than its entry's main status stays in
    the spec only: the catalog refuses an example that contradicts its entry."""
    if not envelope.status_pointer:
        return 0
    dropped = 0
    for entry in entries:
        kept = []
        for example in entry["examples"]:
            value = _json(example["body"])
            seen = (
                resolve_pointer(value, envelope.status_pointer) if isinstance(value, dict) else None
            )
            if isinstance(seen, str) and seen.isdigit():
                seen = int(seen)
            if (
                isinstance(seen, int)
                and not isinstance(seen, bool)
                and entry["http_status"] not in (None, seen)
            ):
                dropped += 1
                continue
            kept.append(example)
        entry["examples"] = kept
    return dropped


def _drop_shared_messages(entries: list[dict[str, Any]]) -> None:
    """A message the spec shows under several codes tells none of them apart: it would
    only lead identify astray, so it is no entry's typical message."""
    counts = Counter(m.lower() for entry in entries for m in entry["messages"])
    for entry in entries:
        entry["messages"] = [m for m in entry["messages"] if counts[m.lower()] == 1][:MAX_MESSAGES]


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def url_safe_code(value: str) -> tuple[str, list[str]]:
    """A code the portal can give a page (no `/`) and the aliases that keep the value as
    the API sends it: a problem type URI `https://example.com/probs/out-of-credit` is
    the entry `out-of-credit`, its alias the URI (identify reads it at the code pointer)."""
    if "/" not in value:
        return value, []
    tail = value.split("#", 1)[1] if "#" in value else value.split("?")[0].rstrip("/")
    segment = tail.rsplit("/", 1)[-1] or value.replace("/", "-")
    return segment, [value]


def _spell_out_clashes(entries: list[dict[str, Any]]) -> None:
    """Two type URIs ending alike (`.../a/invalid`, `.../b/invalid`) keep their whole
    path as the code instead."""
    counts = Counter(entry["code"].lower() for entry in entries)
    for entry in entries:
        if counts[entry["code"].lower()] > 1 and entry["aliases"]:
            path = entry["aliases"][0].split("://", 1)[-1].split("/", 1)[-1]
            entry["code"] = re.sub(r"[^\w.\-]+", "-", path).strip("-")[:100]


def humanise(code: str) -> str:
    """`rate_limit_exceeded`, `RateLimitExceeded` -> `Rate limit exceeded`; a URI by its
    last segment."""
    text = code.rstrip("/").rsplit("/", 1)[-1] if "://" in code else code
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)
    text = re.sub(r"[_\-.:]+", " ", text).strip()
    if not text:
        return code
    return text[0].upper() + text[1:].lower() if not text.isupper() else text.capitalize()


def _summary_of(text: str) -> str:
    """A one-line text as it is (`(e.g. POST /x)` is no sentence end); else its first
    sentence."""
    one_line = " ".join(text.split())
    if "\n" not in text.strip() and len(one_line) <= 300:
        return _capitalised(one_line)
    return _first_sentence(text)


def _capitalised(text: str) -> str:
    """`an invalid request` -> `An invalid request`; `ss_org_* key`, `timeEnd` stay."""
    first = text.split(" ", 1)[0]
    return text[:1].upper() + text[1:] if first.isalpha() and first.islower() else text


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0] if text else ""
    return _capitalised(first)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
