"""What a retry rule tells a client, and what an entry's own words say about retrying.

The pages state a rule only where the catalog holds one ("not_stated" shows nothing), and
`lint_catalog` compares the rule with the resolution and description so an editor
notices a rule the words contradict ("Never retry" on "wait until midnight UTC").
"""

from __future__ import annotations

import re

from errors.models import ErrorCode
from errors.validators import describe_retry_delay

Retry = ErrorCode.Retry

# "Do not retry", "don't auto-retry", "never retry", "won't succeed on retry", ...
SAYS_NO_RETRY = re.compile(
    r"\b(?:do not|don't|never|must not|should not|cannot|can't|won't|no)\b"
    r"(?:\s+[\w-]+){0,3}?\s+(?:auto-?)?re-?tr(?:y|ies|ying|ied)\b",
    re.IGNORECASE,
)
# Words that tell a client to try again later: waiting, backing off, retrying.
SAYS_RETRY_LATER = re.compile(
    r"\bwait\s+(?:\d+|until|for)\b|\bretry[- ]after\b|\bback\s*off\b|\bbackoff\b"
    r"|\bretry (?:the request|it|later|shortly)\b|\bsafe to retry\b|\bretry typically succeeds\b"
    r"|\bthen retry\b|\band retry\b",
    re.IGNORECASE,
)
SENTENCE_END = re.compile(r"(?<=[.;!?])\s+|\n+")


def stated_by(text: str) -> set[str]:
    """What the words say about retrying: "no_retry", "retry_later", both or neither.

    Read sentence by sentence, so "Do not retry with the same principal" is a refusal and
    not also an invitation."""
    found: set[str] = set()
    for sentence in SENTENCE_END.split(text):
        if SAYS_NO_RETRY.search(sentence):
            found.add("no_retry")
        elif SAYS_RETRY_LATER.search(sentence):
            found.add("retry_later")
    return found


def rule_problem(retry: str, text: str) -> tuple[str, str] | None:
    """("error" or "warning", message) when the rule and the entry's words disagree."""
    said = stated_by(text)
    if retry == Retry.NEVER and "retry_later" in said and "no_retry" not in said:
        return "error", (
            'the rule is "Never retry" but the resolution tells the client to wait or retry: '
            "set the rule it states (retry_after, backoff or safe) or fix the words."
        )
    if retry in (Retry.SAFE, Retry.BACKOFF, Retry.RETRY_AFTER) and said == {"no_retry"}:
        label = Retry(retry).label
        return "error", (
            f'the rule is "{label}" but the resolution says not to retry: set the rule to '
            '"never" or fix the words.'
        )
    if retry == Retry.NOT_STATED and said:
        return "warning", (
            "the resolution speaks of retrying but no retry rule is set: set the rule it "
            "states, if the documentation states one."
        )
    return None


def delay_phrase(source: str) -> str:
    """Where the delay comes from, in words: "the `Retry-After` header"."""
    if not source:
        return ""
    kind, name = describe_retry_delay(source)
    if kind == "body":
        return f"the body's `{name}` field"
    return f"the `{name}` header"


def retry_advice(retry: str, delay_from: str = "") -> str:
    """One sentence a code's page says about its rule (Markdown); empty when not stated."""
    delay = delay_phrase(delay_from)
    if retry == Retry.NEVER:
        return "Do not retry the same request: it fails the same way until the cause is fixed."
    if retry == Retry.SAFE:
        return "The request can be retried as it is."
    if retry == Retry.BACKOFF:
        advice = "Retry with exponential backoff and jitter; give up after a few attempts."
        return f"{advice} {delay[0].upper()}{delay[1:]} says how long to wait." if delay else advice
    if retry == Retry.RETRY_AFTER:
        if delay:
            return f"Wait for the delay {delay} gives, then retry."
        return "Wait before retrying: the resolution says how long."
    return ""
