"""Concrete values inside error messages, as error-grouping tools parameterise them: a
message's skeleton (values replaced by placeholders) for exact comparison, and its loose
words (names the client chose count as values too) for comparing messages that differ
only in such names. Used by errors.identify on request text: every pattern is linear."""

from __future__ import annotations

import re

from errors.render_cache import prerenderable

MAX_TEXT = 2000  # characters of a message compared; longer texts are cut

# Every pattern below reads request text: each is linear (no nested or overlapping
# repetition, bounded runs), and the value patterns only ever see one token of at most
# MAX_TOKEN characters (see value_of), so a crafted 2,000-character message costs what
# any other message of that length costs.
MAX_TOKEN = 64
QUOTED = re.compile(r"'[^'\n]{0,200}'|\"[^\"\n]{0,200}\"|`[^`\n]{0,200}`|<[^<>\n]{0,200}>")
EDGE_PUNCTUATION = "()[]{},;:!?.\"'"
VALUES = (
    ("{id}", re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)),
    ("{value}", re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")),  # e-mail
    ("{value}", re.compile(r"[a-z][a-z0-9+.-]{0,15}://\S{0,64}", re.I)),  # URL
    ("{value}", re.compile(r"\d{4}-\d\d-\d\d(?:[t ]?\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?z?)?", re.I)),
    ("{value}", re.compile(r"\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?(?:z|[+-]\d\d:?\d\d)?", re.I)),
    ("{value}", re.compile(r"[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:%\w{1,16})?", re.I)),  # IPv6
    ("{n}", re.compile(r"\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?")),  # IPv4
    ("{n}", re.compile(r"(?:\d{1,20}(?:[.,]\d{1,20}){0,4}(?:ns|us|µs|ms|s|m|h|d|w)){1,4}", re.I)),
    ("{id}", re.compile(r"[a-z]{1,20}_[a-z0-9]{0,40}\d[a-z0-9]{0,40}|[0-9a-f]{12,}", re.I)),
    ("{n}", re.compile(r"\d{1,30}(?:[.,]\d{1,30}){0,8}")),
)
# A token standing for a name the client chose: snake_case, camelCase, a dotted path,
# digits among letters, or an upper-case word (a state) in a message that is not all
# upper case. Messages that differ only in such tokens are the same message.
IDENTIFIER = re.compile(
    r"\w{0,64}(?:_|[a-z][A-Z]|[A-Za-z]\d|\d[A-Za-z])\w{0,64}|\w{1,64}(?:[./]\w{1,64}){1,8}"
)
UPPER_WORD = re.compile(r"[A-Z][A-Z0-9]{1,63}")


HEX_LETTERS = frozenset("abcdef")


def value_of(token: str) -> str:
    """The placeholder a token (at most MAX_TOKEN characters, no spaces) stands for when
    it is a concrete value, else the token itself."""
    if token.isalpha() and (len(token) < 12 or not HEX_LETTERS.issuperset(token.lower())):
        return token  # a plain word, most tokens: no pattern needed
    for placeholder, pattern in VALUES:
        if pattern.fullmatch(token):
            return placeholder
    return token


def _token_skeleton(token: str) -> str:
    core = token.strip(EDGE_PUNCTUATION)
    if not core:
        return token
    start = token.index(core)
    inner = core
    if "(" in inner or ")" in inner:  # "(150" of "(150 MB)": the value inside parentheses
        return (
            token[:start]
            + "".join(
                value_of(part) if part not in "()" else part for part in re.split(r"([()])", inner)
            )
            + token[start + len(core) :]
        )
    return token[:start] + value_of(inner) + token[start + len(core) :]


def _value_text(text: str) -> str:
    """`text` (cut to MAX_TEXT) with quoted values and value tokens replaced, case kept."""
    text = QUOTED.sub("{value}", text[:MAX_TEXT].strip())
    text = text.replace("...", " {value} ").replace("…", " {value} ")
    # A token longer than MAX_TOKEN is no word of a message: a value, read no further.
    return " ".join(
        _token_skeleton(token) if len(token) <= MAX_TOKEN else "{value}" for token in text.split()
    )


def message_skeleton(text: str) -> str:
    """A message with its concrete values replaced by wildcards, for comparing.

    `Workspace 550e8400-... not found` and `Workspace 9b2f... not found` share a skeleton,
    as do `File size (150 MB) exceeds 100 MB limit` and `(3 MB) exceeds 1 MB`.
    """
    return _skeleton_of(_value_text(text))


def message_forms(text: str) -> tuple[str, tuple[str, ...]]:
    """message_skeleton(text) and loose_tokens(text), reading the text once."""
    valued = _value_text(text)
    return _skeleton_of(valued), _loose_of(valued)


# Bumped whenever message_forms() would answer differently: forms stored under another
# version are worked out again.
FORMS_VERSION = 1


@prerenderable
def stored_forms(messages: list) -> dict:
    """What a code keeps of its typical messages' forms (ErrorCode.message_forms), with
    the messages and the version they were worked out from, so that identify's matchers
    read them instead of working out a million messages again after every write."""
    forms = [message_forms(str(message)) for message in messages]
    return {"v": FORMS_VERSION, "of": list(messages), "forms": forms}


def forms_are_current(stored: dict | None, messages: list) -> bool:
    """Whether `stored` was worked out from these very messages by these rules."""
    if not stored:
        return False
    return stored.get("v") == FORMS_VERSION and stored.get("of") == messages


def forms_of(stored: dict | None, messages: list) -> list[tuple[str, tuple[str, ...]]]:
    """The forms of `messages`: those stored when they are current, else worked out now."""
    if stored and forms_are_current(stored, messages):
        return [(skeleton, tuple(loose)) for skeleton, loose in stored["forms"]]
    return [message_forms(str(message)) for message in messages]


def _skeleton_of(valued: str) -> str:
    return " ".join(valued.lower().rstrip(".!").split())


def loose_tokens(text: str) -> tuple[str, ...]:
    """The words of a message for a looser comparison: every value, and every token that
    names something the client chose (see IDENTIFIER, UPPER_WORD), becomes `*`; the
    fixed words stay, lower case, without edge punctuation."""
    return _loose_of(_value_text(text))


def _loose_of(valued: str) -> tuple[str, ...]:
    shouting = valued.upper() == valued
    words = []
    for token in valued.split():
        core = token.strip(EDGE_PUNCTUATION)
        if not core:
            continue
        if core.isalpha() and core.islower():  # a plain word, most tokens
            words.append(core)
        elif (
            "{" in core
            or IDENTIFIER.fullmatch(core)
            or (not shouting and UPPER_WORD.fullmatch(core))
        ):
            words.append("*")
        else:
            words.append(core.lower())
    return tuple(words)


def loose_match(seen: tuple[str, ...], typical: tuple[str, ...]) -> bool:
    """Whether two messages are the same but for values: the same number of words, every
    fixed word the same, at least one fixed word in common, no more than half values."""
    if len(seen) != len(typical) or not seen:
        return False
    fixed = 0
    for mine, theirs in zip(seen, typical, strict=True):
        if mine == "*" or theirs == "*":
            continue
        if mine != theirs:
            return False
        fixed += 1
    return fixed >= 1 and fixed * 2 >= len(seen)
