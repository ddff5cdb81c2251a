"""How free text is searched: its code key, its words (no stop words, no concrete values),
and which of them are too common to widen the match. Plain Python, no SQL."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace

from errors.codes import code_key

# Words too common to tell codes apart; dropping them keeps an OR query on a pasted
# message small and its ranking about the words that matter.
STOP_WORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have i if in
    into is it its may me must my no of on or our please should so than that the their then
    there these this to us was we were when which will with you your""".split()  # noqa: SIM905
)


MAX_TERMS = 12


# A word in more codes than this is too common to widen an OR query: scoring every code
# that has it is what makes a search slow at 100,000 codes (see docs/performance.md).
COMMON_DOCS = 2000


# Names in word_stats() for the count of the last word as a prefix, for whether a
# code starts with the key (then the key is no misspelling), and for whether a code or
# alias holds a key of CONTAINS_MIN letters or more (PostgreSQL asks only when no code
# starts with it, which is all that it matters for).
PREFIX_KEY, CODE_KEY, INSIDE_KEY = "*prefix", "*code", "*inside"


# Name in word_stats() for whether an alias's key is the key (the aliases' table: one
# b-tree read, so asked whatever the key's length).
ALIAS_KEY = "*alias"


# Name in word_stats() for whether the last word is itself a word of some code: then it
# was typed whole ("work"), and is not widened to the words it starts ("workspace").
WORD_KEY = "*word"


# Shorter keys only match code prefixes: "acc" is inside too many codes to mean anything.
CONTAINS_MIN = 6


# PostgreSQL cannot count what a prefix shorter than this expands to: taken as common.
SHORT_PREFIX = 5


FUZZY_THRESHOLD = 0.45


# Shorter words are rarely misspelt codes, and trigrams say little about them.
FUZZY_MIN = 6


FUZZY_CANDIDATES = 50


FUZZY_KEEP = 10


# Words that mean the same in error documentation: a query word matches any word of its
# group (the engines stem each as they stem the index). Editors add their own per service
# (`search_synonyms` in the catalog file); see `synonym_groups`.
BUILTIN_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("org", "orgs", "organization", "organisation", "organizations"),
    ("auth", "authentication", "authorization", "authorisation", "authn", "authz"),
    ("creds", "credential", "credentials"),
    ("pay", "payment", "payments", "billing", "billed"),
    ("limit", "limits", "quota", "quotas"),
    ("db", "database"),
    ("config", "configuration", "configured", "configure"),
    ("perm", "perms", "permission", "permissions"),
    ("max", "maximum"),
    ("min", "minimum"),
    ("msg", "message"),
    ("req", "request", "requests"),
    ("repo", "repository"),
    ("env", "environment"),
    ("param", "params", "parameter", "parameters"),
    ("doc", "docs", "document", "documentation"),
    ("big", "large", "huge"),
    ("deleted", "removed", "gone"),
    ("dup", "duplicate"),
    ("sub", "subscription"),
    ("admin", "administrator"),
)


# Extra spellings of a query word, and words written as one, at most this many each
# (each is one more word to match: a pasted message would otherwise double its words).
MAX_ALTERNATIVES = 6
MAX_COMPOUNDS = 6


def synonym_groups(extra: tuple[tuple[str, ...], ...] = ()) -> dict[str, tuple[str, ...]]:
    """Each word of a synonym group -> the other words of its groups (letters and digits
    only, lower case: safe in both engines' query syntax)."""
    groups: dict[str, list[str]] = {}
    for group in (*BUILTIN_SYNONYMS, *extra):
        words = [w for w in dict.fromkeys(str(word).lower() for word in group) if w.isalnum()]
        for word in words:
            groups.setdefault(word, [])
            groups[word] += [
                other for other in words if other != word and other not in groups[word]
            ]
    return {word: tuple(others) for word, others in groups.items()}


BUILTIN_GROUPS = synonym_groups()


@dataclass(frozen=True)
class TextPlan:
    """How the free text is searched: as a code key, as words, and as a misspelt code."""

    key: str
    terms: tuple[str, ...]
    prefix_last: bool
    one_word: bool = False
    # The words the full-text match uses: all of them, or only the rarer ones when some
    # are in so many codes that an OR over them would rank half the catalog.
    match_terms: tuple[str, ...] = ()
    require_all: bool = False
    # One token spelt like a code: `_`, `-`, digits or inner capitals (RATE_LIMITED).
    code_like: bool = False
    # Whether some code starts with the key, whether an alias is spelt as it, and whether
    # a code or alias holds it (word_stats knows): a key that matches nothing is left out
    # of the match, so the matches need no ordering by code tier before the cap
    # (MATCH_CAP).
    code_starts: bool = True
    key_alias: bool = True
    key_inside: bool = True
    # Other spellings of a word (synonyms, `org` -> `organization`), and words a code or
    # message may write as one camelCase word (`to date` -> `todate`): both match as
    # alternatives, so a code written `toDate` is found from `the to date`.
    alternatives: tuple[tuple[str, tuple[str, ...]], ...] = ()
    compounds: tuple[str, ...] = ()

    def spellings(self, term: str) -> tuple[str, ...]:
        """`term` and its other spellings."""
        return (term, *dict(self.alternatives).get(term, ()))

    @property
    def matches_keys(self) -> bool:
        """Whether the code keys match: a code starts with the key, an alias is spelt as
        it, or the key is long enough to be looked for inside codes and aliases and is
        there."""
        return bool(self.key) and (
            self.code_starts
            or self.key_alias
            or (len(self.key) >= CONTAINS_MIN and self.key_inside)
        )

    @property
    def single_token(self) -> bool:
        """A lone code-like token, the only text worth a misspelling lookup."""
        return self.one_word and len(self.key) >= FUZZY_MIN


def search_terms(text: str) -> tuple[str, ...]:
    """The words of `text` worth searching: no stop words, no concrete values.

    CamelCase codes split into words (`PipelineTimeout` -> pipeline, timeout); numbers
    and long ids are dropped, so `between 0 and 5` still finds `between 0 and 1`.
    """
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    terms: list[str] = []
    for word in re.findall(r"[^\W_]+", spaced.lower()):
        concrete = word.isdigit() or (any(c.isdigit() for c in word) and len(word) > 5)
        if word in STOP_WORDS or concrete or word in terms:
            continue
        terms.append(word)
    return tuple(terms[:MAX_TERMS])


def compound_words(text: str) -> tuple[str, ...]:
    """Words a code or message may write as one (camelCase): each pair of neighbouring
    words, stop words included (`from date` -> `fromdate`), and each camelCase word of
    the text as typed (`timeEnd` -> `timeend`)."""
    words = re.findall(r"[A-Za-z]+", text)
    found = [a.lower() + b.lower() for a, b in itertools.pairwise(words)]
    found += [word.lower() for word in words if re.search(r"[a-z][A-Z]", word)]
    return tuple(word for word in dict.fromkeys(found) if 5 <= len(word) <= 40)[:MAX_COMPOUNDS]


def plan_text(text: str, synonyms: dict[str, tuple[str, ...]] | None = None) -> TextPlan:
    """Split free text into its code key and its search words."""
    terms = search_terms(text)
    several = len(text.split()) > 1
    groups = BUILTIN_GROUPS if synonyms is None else synonyms
    alternatives = tuple(
        (term, groups.get(term, groups.get(term.rstrip("s"), ()))[:MAX_ALTERNATIVES])
        for term in terms
        if term in groups or term.rstrip("s") in groups
    )
    return TextPlan(
        alternatives=alternatives,
        compounds=tuple(w for w in compound_words(text) if w not in terms) if several else (),
        key=code_key(text)[:100],
        terms=terms,
        prefix_last=bool(terms) and not text[-1:].isspace() and len(terms[-1]) >= 2,
        one_word=len(text.split()) == 1,
        match_terms=terms,
        code_like=len(text.split()) == 1 and bool(re.search(r"[_\-\d]|[a-z][A-Z]", text)),
    )


def trigram_similarity(word: str, keys: str) -> float:
    """pg_trgm's similarity of `word` to the closest of `keys` (space separated), 0..1."""

    def trigrams(value: str) -> set[str]:
        padded = f"  {value} "
        return {padded[i : i + 3] for i in range(len(padded) - 2)}

    wanted = trigrams(word)
    best = 0.0
    for key in keys.split():
        have = trigrams(key)
        best = max(best, len(wanted & have) / len(wanted | have))
    return best


def _without_common_words(plan: TextPlan, counts: dict[str, float]) -> TextPlan:
    """Leave words in more than COMMON_DOCS codes out of the match; if every word is that
    common, require them all instead, so the codes to rank stay few. A last word whose
    completions are that common, or that is a whole word of some code, is matched as it
    is, not as a prefix; words written as one that no code holds are left out."""
    if plan.prefix_last and (counts.get(PREFIX_KEY, 0) > COMMON_DOCS or counts.get(WORD_KEY)):
        plan = replace(plan, prefix_last=False)
    if plan.compounds:
        # A word written as one that no code's prose holds (`istimeout`, from a pasted
        # message) can match nothing: matching and ranking by it only cost time.
        plan = replace(plan, compounds=tuple(word for word in plan.compounds if counts.get(word)))
    rare = tuple(term for term in plan.terms if counts.get(term, 0) <= COMMON_DOCS)
    if rare == plan.terms:
        return plan
    if not rare:
        return replace(plan, require_all=True)
    return replace(
        plan, match_terms=rare, prefix_last=plan.prefix_last and rare[-1] == plan.terms[-1]
    )
