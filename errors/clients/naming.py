"""Identifiers for generated code: the words of a code, joined in each language's style,
made valid, kept clear of the names the generated module defines itself, and unique.

The names depend only on the codes and their catalog order, so the same catalog gives
the same names on every run and on every server.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable

# Words are runs of letters or digits; a capital after a small letter starts a new word
# (PipelineTimeout), and so does the last capital of a run before a small letter
# (HTTPError -> HTTP, Error).
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")

# Go's common initialisms (as golint knows them), kept in capitals in Go names.
GO_INITIALISMS = frozenset(
    {"ACL", "API", "ASCII", "CPU", "CSS", "CVE", "DNS", "EOF", "GUID", "HTML", "HTTP", "HTTPS",
     "ID", "IP", "JSON", "LHS", "QPS", "RAM", "RHS", "RPC", "SLA", "SMTP", "SQL", "SSH", "TCP",
     "TLS", "TTL", "UDP", "UI", "UID", "UUID", "URI", "URL", "UTF8", "VM", "XML", "XMPP", "XSRF",
     "XSS"}
)  # fmt: skip


def words(code: str) -> list[str]:
    """The words of a code, ASCII only: `API_KEY_REVOKED`, `api-key-revoked` and
    `ApiKeyRevoked` give the same three words (in their own case)."""
    ascii_text = unicodedata.normalize("NFKD", code).encode("ascii", "ignore").decode()
    return _WORD.findall(ascii_text)


def upper_snake(code: str) -> str:
    """`PipelineTimeout` -> `PIPELINE_TIMEOUT`."""
    return "_".join(word.upper() for word in words(code))


def pascal(code: str, initialisms: frozenset[str] = frozenset()) -> str:
    """`api-key-revoked` -> `ApiKeyRevoked` (or `APIKeyRevoked` with Go's initialisms)."""
    parts = []
    for word in words(code):
        upper = word.upper()
        parts.append(upper if upper in initialisms else word[:1].upper() + word[1:].lower())
    return "".join(parts)


class Namer:
    """Hands out one valid, unique identifier per code in a language's style: a name
    starting with a digit gets `prefix` (`400` -> `CODE_400`), one the module defines
    itself or a keyword gets `suffix`, a repeat gets a number."""

    def __init__(
        self,
        style: Callable[[str], str],
        *,
        reserved: Iterable[str],
        prefix: str,
        suffix: str,
        separator: str = "_",
    ) -> None:
        self.style = style
        self.reserved = set(reserved)
        self.prefix = prefix
        self.suffix = suffix
        self.separator = separator
        self.taken: set[str] = set()

    def name(self, code: str) -> str:
        """The next unused identifier for `code`."""
        # A code with no letters or digits at all ("!!!") is named by a stable hash of it.
        base = self.style(code) or self.prefix + hashlib.sha1(code.encode()).hexdigest()[:8].upper()
        if base[0].isdigit():
            base = self.prefix + base
        if base in self.reserved:
            base += self.suffix
        name, number = base, 2
        while name in self.taken:
            name = f"{base}{self.separator}{number}"
            number += 1
        self.taken.add(name)
        return name


def type_name(slug: str) -> str:
    """A service's slug as a type name: `elder-signals` -> `ElderSignals`."""
    name = pascal(slug) or "Service"
    return name if not name[0].isdigit() else "Service" + name


def package_name(slug: str) -> str:
    """A service's slug as a lowercase package name: `elder-signals` -> `eldersignals`."""
    name = "".join(word.lower() for word in words(slug)) or "service"
    return name if not name[0].isdigit() else "service" + name
