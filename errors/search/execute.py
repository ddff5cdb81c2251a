"""The one search over the catalog, behind the search page, the API and the CLI:
`search_errors` ranks the visible codes for a `SearchQuery`, counts them per service and
status, and returns one page, in a constant number of queries."""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import replace
from typing import Any

from django.db import connection
from django.db.models import Count, QuerySet, prefetch_related_objects
from django.utils.html import format_html

from errors.catalog_version import catalog_version
from errors.models import ErrorCode, Service
from errors.paging import page_window
from errors.querysets import can_see_drafts
from errors.search.engine import Engine
from errors.search.highlight import EXAMPLE_FIELDS, TermPattern, highlight_error, term_pattern
from errors.search.plan import (
    ALIAS_KEY,
    CODE_KEY,
    FUZZY_KEEP,
    FUZZY_THRESHOLD,
    INSIDE_KEY,
    WORD_KEY,
    TextPlan,
    _without_common_words,
    plan_text,
    trigram_similarity,
)
from errors.search.postgresql import PostgresEngine
from errors.search.query import (
    SERVICE_TEXTS,
    SearchQuery,
    UnknownService,
    Vocabulary,
    filter_sql,
    filtered_errors,
    held_vocabulary,
    vocabulary,
    with_named_service,
)
from errors.search.results import SearchHit, SearchResults
from errors.search.sqlite import SQLiteEngine

# Search reads at most this many matches (and one more, to know there are more):
# counting and ranking 9,000 matches of `status:429 limit` took 50 ms at 100,000 codes.
MATCH_CAP = 1000


# What no face of a hit shows of the code or its category (the API's entry, the search
# page's row, the suggestions, the CLI, the MCP tools): rendered HTML, forms, operations,
# timestamps. Decoding them was a quarter of reading a page of hits. Named as what is
# left out, not what is read: a field added later is then read for nothing, never read
# back code by code by a face that shows it.
HIT_UNSHOWN = (
    "description_html",
    "resolution_html",
    "message_forms",
    "operations",
    "details_shape",
    "created_at",
    "updated_at",
    "category__description",
    "category__description_html",
)


def engine_for(vendor: str) -> Engine:
    """The search SQL of a database vendor."""
    if vendor == "sqlite":
        return SQLiteEngine()
    if vendor == "postgresql":
        return PostgresEngine()
    raise NotImplementedError(f"Search supports SQLite and PostgreSQL, not {vendor}.")


def search_errors(
    query: SearchQuery, *, user: Any = None, page: int = 1, per_page: int = 20
) -> SearchResults:
    """Rank the visible codes for `query` and return one page of them with counts.

    Ranking, counting and paging happen in SQL: a constant number of queries whatever
    the number of matches: three, four for a lone word that names no code as typed
    (the misspelling lookup), one more when a hit is explained by its example bodies
    alone, one or two more when a service filter leaves nothing (whether the service
    exists, and the nearest slug if not); and once per catalog version, the vocabulary
    (service names, synonyms, the services hits name; one more for a service written
    since it was read).
    """
    page = max(page, 1)
    if not query.text:
        return _known_service(_browse(query, filtered_errors(query, user), page, per_page))
    engine = engine_for(connection.vendor)
    query, plan, stats, words = _planned(engine, query)
    plan = _without_common_words(plan, stats) if plan.terms else plan
    plan = replace(
        plan,
        code_starts=bool(stats.get(CODE_KEY)),
        key_alias=bool(stats.get(ALIAS_KEY)),
        key_inside=bool(stats.get(INSIDE_KEY)),
    )
    if (plan.require_all or plan.code_like) and stats.get(CODE_KEY):
        # A code, or only common words, and codes start with the text (`RATE_LIMITED`,
        # `REQUEST_`): those codes, and those holding it, are what was meant, not the
        # thousands whose prose says "rate" or "request".
        plan = replace(plan, match_terms=())
    fuzzy = _fuzzy_matches(engine, plan) if _maybe_misspelt(plan, stats) else {}
    if plan.code_like and fuzzy:
        # A misspelt code (`SourceNotVerifed`): the codes spelt like it, not every code
        # whose prose says "source".
        plan = replace(plan, match_terms=())
    # The filters and visibility, as the ORM writes them; the engines join it to their
    # index so the database applies filters and full-text match together.
    base = filter_sql(query, user)
    drafts = can_see_drafts(user)
    # A service's codes (or a category's) were written together and lie close by id: the
    # engines may narrow their index reads to them. A status or lifecycle is spread out.
    narrowed = bool(query.service or query.category)
    # No filter but who may see what: an engine may read a match's placing (service,
    # status, order) from its own index rather than from `base`.
    matches, match_params = engine.matches(
        plan,
        fuzzy,
        base,
        narrowed=narrowed,
        unfiltered=None if query.is_filtered else drafts,
        cap=MATCH_CAP + 1,
    )
    # At most MATCH_CAP + 1 matches of each kind are read (words, exact code, prefix, ...)
    # and MATCH_CAP + 1 of them all kept: past that the total is a lower bound. The code
    # tiers go first, so a cut never loses an exact code, alias or prefix; without them
    # every match has tier 0 and the database stops at the cap.
    tiers_first = "ORDER BY x.tier DESC " if plan.matches_keys or fuzzy else ""
    score = "m.tier + 100.0 * m.rank / (1.0 + m.rank)"
    # One statement finds the matches once, then counts them and ranks one page.
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH m AS {_materialized()}(SELECT * FROM ({matches}) x "
            f"{tiers_first}LIMIT {MATCH_CAP + 1}) "
            "SELECT 0, sv.slug, f.http_status, CAST(f.n AS float) FROM ("
            "SELECT c.service_id, c.http_status, count(*) AS n FROM "
            f"(SELECT * FROM m LIMIT {MATCH_CAP}) c "
            "GROUP BY c.service_id, c.http_status"
            ") f JOIN errors_service sv ON sv.id = f.service_id "
            "UNION ALL SELECT 2, '', CAST(NULL AS smallint), CAST(count(*) AS float) FROM m "
            "UNION ALL SELECT * FROM ("
            "SELECT 1, CAST(m.id AS text), CAST(NULL AS smallint), "
            f"CAST({score} AS float) AS score FROM (SELECT * FROM m LIMIT {MATCH_CAP}) m "
            "JOIN errors_service sv ON sv.id = m.service_id "
            'ORDER BY score DESC, length(m.code_key), sv.slug, m."order", m.id '
            "LIMIT %s OFFSET %s) page",
            [*match_params, per_page, (page - 1) * per_page],
        )
        rows = cursor.fetchall()
    by_service, by_status, total = _facets(
        [(slug, status, int(count)) for part, slug, status, count in rows if part == 0]
    )
    (read,) = [int(count) for part, _, _, count in rows if part == 2]
    ranked = [(int(pk), score) for part, pk, _, score in rows if part == 1]
    # Read as the viewer may see them: on PostgreSQL a search with no filter took who may
    # see a match from its index row, a copy the triggers keep; a stale copy must still
    # never show a draft.
    loaded = (
        ErrorCode.objects.visible(drafts=drafts)
        .select_related("category")
        .defer(*HIT_UNSHOWN)
        .order_by()  # ranked above; the model's ordering would join and sort for nothing
        .in_bulk([pk for pk, _ in ranked])
    )
    _name_services(list(loaded.values()), words.services)
    pattern = term_pattern(plan)
    hits = [
        _hit(loaded[pk], float(score), plan, pattern, pk in fuzzy)
        for pk, score in ranked
        if pk in loaded
    ]
    unexplained = [hit for hit in hits if not hit.matched]
    if unexplained:
        # Matched by an example body alone: read the examples of those hits only, in one
        # query, rather than every hit's for a snippet the other fields nearly always give.
        prefetch_related_objects([hit.error for hit in unexplained], "examples")
        for hit in unexplained:
            hit.matched, hit.highlight = highlight_error(hit.error, plan, pattern, EXAMPLE_FIELDS)
    return _known_service(
        SearchResults(
            query=replace(query),
            hits=hits,
            total=total,
            page=page,
            per_page=per_page,
            by_service=by_service,
            by_status=by_status,
            total_is_lower_bound=read > MATCH_CAP,
        )
    )


def _known_service(results: SearchResults) -> SearchResults:
    """`results`, unless they are none because the service filter names no service: that
    says what to fix rather than "nothing matches" (a query or two, only then)."""
    slug = results.query.service
    if results.total or not slug or Service.objects.filter(slug=slug).exists():
        return results
    near = Service.objects.nearest(slug, 1)
    raise UnknownService(slug, near[0].slug if near else "")


def _name_services(errors: list[ErrorCode], services: dict[int, Service]) -> None:
    """Give each of `errors` its service from `services` (the vocabulary's). A service
    written since they were read (with codes the search found) is read on its own."""
    missing = {error.service_id for error in errors} - services.keys()
    if missing:
        services = {**services, **Service.objects.defer(*SERVICE_TEXTS).in_bulk(missing)}
    for error in errors:
        error.service = services[error.service_id]


def _planned(
    engine: Engine, query: SearchQuery
) -> tuple[SearchQuery, TextPlan, dict[str, float], Vocabulary]:
    """The query with the service its text names as a filter, the plan of its text and
    the word statistics, under the catalog's vocabulary (service names, synonyms), and
    that vocabulary.

    The catalog version comes with the word statistics, so a search spends no query on
    it: the vocabulary held is used, and the plan made again only when the statistics
    were counted under another version (after a change to the catalog).
    """
    held = held_vocabulary()
    version = held[0] if held else catalog_version()
    words = held[1] if held else vocabulary(version)
    named, plan, stats, counted_under = _plan_with(engine, query, words)
    # No words to count (only stop words): the version is read on its own, if the
    # vocabulary was not read just now.
    current = counted_under or (catalog_version() if held else version)
    if current != version:
        words = vocabulary(current)
        named, plan, stats, _ = _plan_with(engine, query, words)
    return named, plan, stats, words


def _plan_with(
    engine: Engine, query: SearchQuery, words: Vocabulary
) -> tuple[SearchQuery, TextPlan, dict[str, float], str | None]:
    named = with_named_service(query, words.names)
    plan = plan_text(named.text, words.synonyms)
    if not (plan.terms or plan.key):
        return named, plan, {}, None
    stats, version = engine.word_stats(plan)
    return named, plan, stats, version


def _materialized() -> str:
    """MATERIALIZED where the database knows it: SQLite would otherwise run the matches
    twice, once for the counts and once for the page (PostgreSQL materializes a CTE
    used twice anyway)."""
    if connection.vendor == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        return ""
    return "MATERIALIZED "


def _browse(
    query: SearchQuery, errors: QuerySet[ErrorCode], page: int, per_page: int
) -> SearchResults:
    """No text: the filtered codes in catalog order, counted the same way."""
    # Grouped by status and service id, then named: grouping by slug (or by service
    # first) makes SQLite walk every code in service order instead of the status index.
    grouped, params = (
        errors.order_by()
        .values("http_status", "service_id")
        .annotate(n=Count("id"))
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT sv.slug, f.http_status, f.n FROM ({grouped}) f "
            "JOIN errors_service sv ON sv.id = f.service_id ORDER BY sv.slug",
            params,
        )
        rows = cursor.fetchall()
    by_service, by_status, total = _facets(rows)
    start = (page - 1) * per_page
    # The page's codes are sorted among those of the services it falls in, whose counts
    # are known now, not among every code the filters let through (90,000 for a status
    # at a million codes); the services in the order the database sorts their slugs, as
    # the rows and so `by_service` hold them.
    window, skip = page_window(by_service, start, per_page)
    ordering = ("service__slug", "order", "code")
    page_ids = (
        errors.filter(service__slug__in=window)
        .order_by(*ordering)
        .values("id")[skip : skip + per_page]
    )
    # What a hit shows, as the ranked search reads it: decoding the rendered texts and
    # the services' long fields too cost a quarter of the read (3.4 -> 2.6 ms for a page
    # of 20 codes of a status on PostgreSQL at 100,000 codes, 2.2 -> 1.7 on SQLite).
    page_errors = sorted(
        ErrorCode.objects.select_related("service", "category")
        .defer(*HIT_UNSHOWN, *(f"service__{name}" for name in SERVICE_TEXTS))
        .order_by()  # sorted here, among the page's codes alone
        .filter(pk__in=page_ids),
        key=lambda error: (error.service.slug, error.order, error.code),
    )
    return SearchResults(
        query=replace(query),
        hits=[SearchHit(error, 0.0) for error in page_errors],
        total=total,
        page=page,
        per_page=per_page,
        by_service=by_service,
        by_status=by_status,
    )


def _maybe_misspelt(plan: TextPlan, stats: dict[str, float]) -> bool:
    """Whether the text may be a misspelt code, worth the misspelling lookup (one more
    query: about 5 ms on SQLite, at most 11, and 2-15 ms on PostgreSQL at 100,000
    codes): not when codes start with it or hold it, nor when a plain word (`conflict`,
    not `RATE_LIMTED`) is a word of the catalog as typed."""
    if stats.get(CODE_KEY) or stats.get(ALIAS_KEY) or stats.get(INSIDE_KEY):
        return False
    return plan.code_like or not stats.get(WORD_KEY)


def _fuzzy_matches(engine: Engine, plan: TextPlan) -> dict[int, float]:
    """Codes whose key is spelt like the text (`RATE_LIMTED`), with their similarity."""
    if not plan.single_token:
        return {}
    sql, params = engine.fuzzy_candidates(plan.key)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    scored = {pk: trigram_similarity(plan.key, keys) for pk, keys in rows}
    best = sorted(scored.items(), key=lambda item: -item[1])[:FUZZY_KEEP]
    return {pk: similarity for pk, similarity in best if similarity >= FUZZY_THRESHOLD}


def _facets(rows: list[tuple[str, int | None, int]]) -> tuple[dict[str, int], dict[int, int], int]:
    """Counts per service and per status, and the total, from (service, status, count)."""
    by_service: Counter[str] = Counter()
    by_status: Counter[int] = Counter()
    for slug, status, count in rows:
        by_service[slug] += count
        if status:
            by_status[status] += count
    return dict(by_service), dict(by_status), sum(by_service.values())


def _hit(
    error: ErrorCode, score: float, plan: TextPlan, pattern: TermPattern, misspelt: bool
) -> SearchHit:
    if misspelt and not error.code_key.startswith(plan.key):
        return SearchHit(error, round(score, 3), "code", format_html("<mark>{}</mark>", error.code))
    matched, highlight = highlight_error(error, plan, pattern)
    return SearchHit(error, round(score, 3), matched, highlight)
