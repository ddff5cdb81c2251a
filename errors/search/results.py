"""What a search answers: a page of ranked hits with the total and the counts per service
and status."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.utils.safestring import SafeString

from errors.codes import code_key
from errors.models import ErrorCode
from errors.search.engine import CODE_PREFIX, EXACT_ALIAS, EXACT_CODE, FUZZY_CODE, KEY_CONTAINS
from errors.search.query import SearchQuery

# A hit's score is its code tier plus under 100 of full-text rank (errors.search.engine).
REASONS = (
    (EXACT_CODE, "exact code"),
    (EXACT_ALIAS, "alias"),
    (CODE_PREFIX, "code prefix"),
    (KEY_CONTAINS, "code contains"),
    (FUZZY_CODE, "misspelt code"),
)


@dataclass
class SearchHit:
    """One ranked result."""

    error: ErrorCode
    score: float
    matched: str = ""
    # Safe HTML: a snippet of the matched field, escaped, the matched words in <mark>.
    highlight: SafeString = field(default_factory=lambda: SafeString(""))

    @property
    def reason(self) -> str:
        """Why it matched, for tools: `exact code`, `alias`, `code prefix`, `code
        contains`, `misspelt code`, `message` (the words, in a typical message) or
        `words` (the words, elsewhere); empty when browsing without text."""
        for tier, reason in REASONS:
            if self.score >= tier:
                return reason
        if self.score <= 0 and not self.matched:
            return ""
        return "message" if self.matched == "messages" else "words"


@dataclass
class SearchResults:
    """A page of hits, with the total and counts to narrow the search down."""

    query: SearchQuery
    hits: list[SearchHit]
    total: int
    page: int
    per_page: int
    by_service: dict[str, int] = field(default_factory=dict)
    by_status: dict[int, int] = field(default_factory=dict)
    # True when more codes match than search counts (MATCH_CAP): `total` and the
    # counts per service and status are then "at least", and the page is ranked among
    # the first MATCH_CAP + 1 matches.
    total_is_lower_bound: bool = False

    @property
    def exact_match(self) -> ErrorCode | None:
        """The single code the text names exactly (ignoring case and separators)."""
        key = code_key(self.query.text)
        exact = [hit.error for hit in self.hits if hit.error.code_key == key]
        return exact[0] if key and len(exact) == 1 and self.total >= 1 else None

    @property
    def pages(self) -> int:
        """How many pages the results fill."""
        return max(1, -(-self.total // self.per_page))

    def as_dict(self) -> dict:
        """Plain data (JSON-ready) of the page, its counts and the query it answers."""
        return {
            "query": asdict(self.query),
            "total": self.total,
            "total_is_lower_bound": self.total_is_lower_bound,
            "page": self.page,
            "pages": self.pages,
            "per_page": self.per_page,
            "by_service": self.by_service,
            "by_status": {str(status): count for status, count in sorted(self.by_status.items())},
            "exact_match": self.exact_match.code if self.exact_match else None,
            "hits": [
                {
                    "service": hit.error.service.slug,
                    "code": hit.error.code,
                    "http_status": hit.error.http_status,
                    "title": hit.error.title,
                    "url": hit.error.get_absolute_url(),
                    "score": hit.score,
                    "reason": hit.reason,
                    "resolution": hit.error.resolution,
                    "matched": hit.matched,
                    "highlight": str(hit.highlight),
                }
                for hit in self.hits
            ],
        }
