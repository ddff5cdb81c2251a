"""The search engine: query parsing, ranking tiers, filters, counts, paging, the index
kept in step with every write, highlights and the number of queries."""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from unittest import mock

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from errors.catalog.importer import import_catalog_text
from errors.models import ErrorCode, Example, Service
from errors.paging import page_window
from errors.search.execute import search_errors
from errors.search.highlight import WORD_PATTERN, _matched_spans, term_pattern
from errors.search.index import ensure_search_index
from errors.search.plan import TextPlan, plan_text, search_terms, trigram_similarity
from errors.search.query import QueryError, filter_sql, parse_query
from errors.search.sqlite_index import KEY_SEPARATORS
from tests.conftest import MINIMAL
from tests.factories import make_code, make_service

pytestmark = pytest.mark.django_db


def codes(text: str, **filters) -> list[str]:
    """The codes a search returns, best first, as service/code."""
    results = search_errors(parse_query(text, **filters), per_page=50)
    return [f"{hit.error.service.slug}/{hit.error.code}" for hit in results.hits]


# parse_query


def test_bare_number_filters_by_status():
    query = parse_query("404")
    assert (query.text, query.status) == ("", 404)


def test_filters_are_read_out_of_the_text():
    query = parse_query("service:Shop status:429 category:auth lifecycle:deprecated too many")
    assert query.text == "too many"
    assert (query.service, query.status, query.category, query.lifecycle) == (
        "shop",
        429,
        "auth",
        "deprecated",
    )


def test_parameters_win_over_filters_in_the_text():
    assert parse_query("status:404 gone", status=410).status == 410


def test_status_out_of_range_says_what_to_write():
    with pytest.raises(QueryError, match="from 100 to 599"):
        parse_query("status:99")


def test_unknown_lifecycle_lists_the_allowed_ones():
    with pytest.raises(QueryError, match="active, deprecated, removed"):
        parse_query("lifecycle:old")


def test_overlong_query_is_refused():
    with pytest.raises(QueryError, match="keep it to 200"):
        parse_query("x" * 201)


# Words and plans


def test_search_terms_drop_stop_words_and_concrete_values():
    assert search_terms("weight must be between 0 and 5") == ("weight", "between")


def test_search_terms_split_camel_case_codes():
    assert search_terms("PipelineTimeout") == ("pipeline", "timeout")


def test_search_terms_drop_long_ids_but_keep_short_mixed_words():
    assert search_terms("Workspace 550e8400 not found v2") == ("workspace", "not", "found", "v2")


def test_plan_key_ignores_case_and_separators():
    assert plan_text("Pipeline-Timeout").key == "pipelinetimeout"


def test_trigram_similarity_prefers_the_closest_key():
    assert trigram_similarity("ratelimted", "ratelimited") > 0.6
    assert trigram_similarity("ratelimted", "notfound") == 0
    assert trigram_similarity("abc", "zzz abc") == 1


# Ranking tiers


def test_exact_code_ignoring_separators_and_case_comes_first(demo):
    assert codes("pipeline_timeout")[0] == "cloudsigma/PipelineTimeout"


def test_exact_code_is_the_exact_match(demo):
    results = search_errors(parse_query("api key revoked"))
    assert results.exact_match.code == "API_KEY_REVOKED"


def test_alias_outranks_a_code_prefix(shop):
    make_code(shop, "TOKEN_EXPIRED", aliases=["OLD_TOKEN"])
    make_code(shop, "OLD_TOKEN_FORMAT")
    assert codes("old_token") == ["shop/TOKEN_EXPIRED", "shop/OLD_TOKEN_FORMAT"]


def test_an_alias_is_found_by_its_key_in_any_spelling_and_case(shop):
    """From the aliases' keys. SQLite's lower() folds ASCII letters alone, so there a
    key with others is found in the trigram index (which folds their case) as a code
    that holds it, not as an alias."""
    make_code(shop, "PAYMENT_FAILED", aliases=["ÉCHEC_PAIEMENT", "Card-Declined"])
    make_code(shop, "CARD_DECLINED_LATER")
    for text in ("échec paiement", "ÉCHEC-PAIEMENT", "card_declined", "CardDeclined"):
        hits = search_errors(parse_query(text)).hits
        reason = "alias" if text.isascii() or lower_folds_beyond_ascii() else "code contains"
        assert (hits[0].error.code, hits[0].reason) == ("PAYMENT_FAILED", reason), text
    ErrorCode.objects.filter(code="PAYMENT_FAILED").update(aliases=["NOW_ELSEWHERE"])
    assert search_errors(parse_query("card_declined")).hits[0].reason == "code prefix"
    assert codes("now_elsewhere") == ["shop/PAYMENT_FAILED"]


def test_a_short_alias_is_an_exact_alias_too(shop):
    """The aliases' keys are one b-tree read, so an alias of any length ranks as an
    alias (a key under six letters was looked for only as a code's start), and is no
    misspelling to look up."""
    make_code(shop, "PAYMENT_DECLINED", aliases=["E42", "pd"], title="Declined")
    make_code(shop, "E420_TIMEOUT", title="Timeout")
    hits = search_errors(parse_query("e42")).hits
    assert [(hit.error.code, hit.reason) for hit in hits] == [
        ("PAYMENT_DECLINED", "alias"),
        ("E420_TIMEOUT", "code prefix"),
    ]
    assert [(hit.error.code, hit.reason) for hit in search_errors(parse_query("PD")).hits] == [
        ("PAYMENT_DECLINED", "alias")
    ]
    assert codes("e4") == ["shop/E420_TIMEOUT"]  # a key no alias has: as before


def lower_folds_beyond_ascii() -> bool:
    """Whether the database's lower() folds `É` to `é` (SQLite's never does)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT lower('É')")
        return cursor.fetchone()[0] == "é"


def test_the_separators_a_key_leaves_out_are_those_python_leaves_out():
    """SQLite's triggers take out of an alias's key what code_key() does."""
    python = {chr(c) for c in range(sys.maxunicode + 1) if re.fullmatch(r"[\s_\-]", chr(c))}
    assert set(KEY_SEPARATORS) == python and len(KEY_SEPARATORS) == len(python)


def test_code_prefix_outranks_title_words(shop):
    make_code(shop, "QUOTA_REACHED", title="Quota reached")
    make_code(shop, "LIMITED", title="Quota of the plan")
    assert codes("quota")[0] == "shop/QUOTA_REACHED"


def test_title_outranks_description(shop):
    make_code(shop, "A_CODE", title="Thing", description="The payment was declined by the bank.")
    make_code(shop, "B_CODE", title="Payment declined")
    assert codes("payment declined") == ["shop/B_CODE", "shop/A_CODE"]


def test_pasted_message_with_other_values_finds_its_code(demo):
    assert codes("weight must be between 0 and 5")[0] == "elder-signals/INVALID_WEIGHT"


def test_a_code_finds_the_codes_that_start_with_or_hold_it(demo):
    assert set(codes("NOT_FOUND")[:4]) == {
        "cloudsigma/NotFound",
        "portal/not_found",
        "sigsentry/NOT_FOUND",
        "synthesis/NOT_FOUND",
    }
    assert "elder-signals/PROFILE_NOT_FOUND" in codes("NOT_FOUND")
    assert "aisafe/404" not in codes("NOT_FOUND")  # "not found" only in its prose


def test_misspelt_code_is_found(demo):
    assert "sigsentry/RATE_LIMITED" in codes("RATE_LIMTED")[:2]


def test_misspelt_code_finds_the_codes_spelt_like_it_not_their_words(demo):
    # Both catalogs that spell a code RATE_LIMITED (sigsentry's and the portal's own), and
    # none of the codes that merely share its words.
    assert sorted(codes("RATE_LIMTED")) == ["portal/rate_limited", "sigsentry/RATE_LIMITED"]


def test_stemming_matches_other_word_forms(shop):
    make_code(shop, "SLOW", summary="The upstream exceeded its deadline")
    assert codes("exceeds deadlines") == ["shop/SLOW"]


def test_last_word_matches_as_a_prefix_while_typing(shop):
    make_code(shop, "X", title="Subscription cancelled")
    assert codes("subscr") == ["shop/X"]


def test_a_whole_last_word_is_matched_as_typed_and_a_partial_one_as_a_prefix(shop):
    make_code(shop, "WORK", title="Work stopped")
    make_code(shop, "SPACE", title="Workspace full")
    make_code(shop, "LATE", title="Subscription renewal late")
    # `work` is a word of the catalog: not widened to `workspace` (and SQLite does not
    # count what it starts); `subscr` is none: widened to `subscription`, in a longer
    # query too.
    assert codes("work") == ["shop/WORK"]
    assert codes("renewal subscr") == ["shop/LATE"]
    assert sorted(codes("stopped subscr")) == ["shop/LATE", "shop/WORK"]


def test_postgresql_reads_exact_codes_and_prefixes_with_the_filters():
    from errors.search.engine import CODE_PREFIX, EXACT_CODE, OnCodes, matches_of
    from errors.search.postgresql import PostgresEngine

    plan = replace(plan_text("payment"), code_starts=True)
    kinds = PostgresEngine()._key_kinds(plan)
    on_codes = [kind for kind in kinds if isinstance(kind, OnCodes)]
    assert [kind.tier for kind in on_codes] == [EXACT_CODE, CODE_PREFIX]
    # Conditions on the filtered codes themselves: no join of their ids to the filters.
    base = (
        'SELECT id, code_key, http_status, "order", service_id FROM errors_errorcode '
        "WHERE published = %s",
        [True],
    )
    sql, params = matches_of(None, on_codes, {}, base, 1001)
    assert " JOIN " not in sql
    assert params == [True, "payment", True, "payment%", "payment"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's pattern index")
def test_postgresql_reads_a_prefix_and_what_search_needs_from_the_key_index_alone(shop):
    from errors.search.engine import MATCH_COLUMNS

    for number in range(60):
        make_code(shop, f"{'PAYMENT' if number % 20 == 0 else 'OTHER'}_{number}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE errors_errorcode")
        # Index scans alone left to the planner (a handful of rows is read whole
        # otherwise): one of the key index reads the codes only if it holds every column
        # read, an index-only scan.
        for method in ("seqscan", "bitmapscan"):
            cursor.execute(f"SET LOCAL enable_{method} = off")
        cursor.execute(
            f"EXPLAIN SELECT {MATCH_COLUMNS} FROM errors_errorcode "
            "WHERE code_key LIKE %s AND published AND lifecycle = %s",
            ["payment%", "active"],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using errorcode_key_idx" in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's covering index")
def test_postgresql_holds_what_search_reads_of_a_services_codes_in_their_index(db):
    from errors.search.engine import MATCH_COLUMNS

    # Whether the planner reads a service's codes from it depends on their numbers (a
    # test's few are read as fast any way); that it can, on what the index holds: every
    # column search reads of a code, and those its filters test.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_indexdef('errorcode_service_idx'::regclass)")
        (definition,) = cursor.fetchone()
    keys, held = re.fullmatch(r".* USING btree \((.*)\) INCLUDE \((.*)\)", definition).groups()
    assert keys == "service_id, id"
    read = {column.strip('" ') for column in MATCH_COLUMNS.split(",")}
    filtered = {"published", "lifecycle", "category_id"}
    holds = {*keys.split(", "), *(column.strip('"') for column in held.split(", "))}
    assert read | filtered <= holds


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's word counts")
def test_sqlite_counts_what_the_last_word_starts_only_when_it_is_no_word(shop):
    from errors.search.plan import PREFIX_KEY
    from errors.search.sqlite import SQLiteEngine

    make_code(shop, "WORK", title="Work stopped")
    make_code(shop, "LATE", title="Subscription renewal late")
    stats, _ = SQLiteEngine().word_stats(plan_text("renewal subscr"))
    assert stats[PREFIX_KEY] == 1  # `subscr` starts `subscription`
    stats, _ = SQLiteEngine().word_stats(plan_text("renewal work"))
    assert stats[PREFIX_KEY] == 0  # `work` is a word: what it starts is not counted


def test_example_bodies_are_searched(shop):
    error = make_code(shop, "X")
    Example.objects.create(error=error, body='{"detail": "zanzibar exploded"}')
    assert codes("zanzibar") == ["shop/X"]


@pytest.fixture
def alpha_and_beta(shop):
    """Two codes that share no word with the syntax below."""
    make_code(shop, "ALPHA_FAILED", title="Alpha failed", summary="The alpha job broke.")
    make_code(shop, "BETA_FAILED", title="Beta failed", summary="The beta job broke.")


def catalog_rows() -> tuple[int, ...]:
    return (Service.objects.count(), ErrorCode.objects.count(), Example.objects.count())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Read as full-text or LIKE syntax, these would match codes, or fail the query.
        ('"unbalanced', []),
        ("(((", []),
        ("NEAR(a b)", []),
        ("a OR b*", []),  # FTS5's OR and prefix *: "b*" would match beta and broke
        ("x:y", []),  # FTS5's column filter: no column x
        ("%_\\", []),
        ("%", []),  # LIKE's wildcards would match every code
        ("_", []),
        # Read as SQL, these would list every code, or drop a table.
        ("' OR 1=1 --", []),
        ("'; DROP TABLE errors_errorcode; --", []),
        # Around the syntax, the words are still searched as words.
        ('"alpha', ["shop/ALPHA_FAILED"]),
        ("alpha)", ["shop/ALPHA_FAILED"]),
        ("beta*", ["shop/BETA_FAILED"]),
        ("alpha' OR 1=1 --", ["shop/ALPHA_FAILED"]),
    ],
)
def test_query_syntax_characters_are_plain_text(alpha_and_beta, text, expected):
    before = catalog_rows()
    assert codes(text) == expected
    assert catalog_rows() == before


def test_not_is_a_word_not_an_operator(alpha_and_beta):
    # FTS5's NOT, or a tsquery's !, would leave BETA_FAILED out.
    assert "shop/BETA_FAILED" in codes("alpha NOT beta")


def test_only_stop_words_finds_nothing(demo):
    assert search_errors(parse_query("the and of")).total == 0


def test_common_words_are_left_out_of_the_match(demo, monkeypatch):
    # At scale a word in most codes would make the engine rank half the catalog.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # PostgreSQL reads word counts from ANALYZE
            cursor.execute("ANALYZE errors_search")
    monkeypatch.setattr("errors.search.plan.COMMON_DOCS", 3)
    assert codes("invalid request: weight must be between 0 and 5")[0] == (
        "elder-signals/INVALID_WEIGHT"
    )


def test_when_every_word_is_common_all_are_required_in_strong_fields(demo, monkeypatch):
    monkeypatch.setattr("errors.search.plan.COMMON_DOCS", -1)
    results = search_errors(parse_query("exceeded the rate limit"))
    # Codes with every word in code, title, summary or messages; none from descriptions.
    assert results.total == 5
    assert {hit.matched for hit in results.hits} <= {"code", "title", "summary", "messages"}


def test_only_common_words_that_start_codes_find_those_codes(demo, monkeypatch):
    monkeypatch.setattr("errors.search.plan.COMMON_DOCS", -1)
    assert sorted(codes("rate limit exceeded")) == [
        "cloudsigma/RateLimitExceeded",
        "elder-signals/RATE_LIMIT_EXCEEDED",
        "synthesis/RATE_LIMIT_EXCEEDED",
    ]


# Filters, visibility, counts and paging


def test_status_filter_with_text(demo):
    found = search_errors(parse_query("not found status:401")).hits
    assert (
        f"{found[0].error.service.slug}/{found[0].error.code}" == "elder-signals/TENANT_NOT_FOUND"
    )
    assert {hit.error.http_status for hit in found} == {401}


def test_service_filter(demo):
    assert {code.split("/")[0] for code in codes("rate limit", service="sigsentry")} == {
        "sigsentry"
    }


def test_a_service_filter_finds_codes_added_long_after_the_others(demo):
    # The engines may narrow their index reads to the service's ids: a code added after
    # every other service's is still in its range.
    sigsentry = Service.objects.get(slug="sigsentry")
    late = make_code(sigsentry, "ZEBRA_STAMPEDE", summary="Too many zebras at once")
    make_code(Service.objects.get(slug="aisafe"), "ZEBRA_LOST", summary="A zebra went missing")
    assert late.pk > ErrorCode.objects.exclude(pk=late.pk).order_by("-pk")[1].pk
    assert codes("zebra", service="sigsentry") == ["sigsentry/ZEBRA_STAMPEDE"]
    assert codes("zebras at once", service="sigsentry") == ["sigsentry/ZEBRA_STAMPEDE"]
    assert sorted(codes("zebra")) == ["aisafe/ZEBRA_LOST", "sigsentry/ZEBRA_STAMPEDE"]


def test_category_and_lifecycle_filters(shop):
    make_code(shop, "OLD", title="Old thing", lifecycle="deprecated")
    make_code(shop, "NEW", title="New thing")
    assert codes("thing lifecycle:deprecated") == ["shop/OLD"]
    assert codes("thing", category="nope") == []


def test_unpublished_codes_only_for_staff(shop, django_user_model):
    make_code(shop, "DRAFT_CODE", published=False)
    staff = django_user_model.objects.create(username="editor", is_staff=True)
    assert search_errors(parse_query("draft_code")).total == 0
    assert search_errors(parse_query("draft_code"), user=staff).total == 1


def test_the_filters_sql_is_compiled_once_per_filters_and_viewer(shop, django_user_model):
    staff = django_user_model.objects.create(username="editor", is_staff=True)
    shops = filter_sql(parse_query("key revoked service:shop"))
    assert filter_sql(parse_query("other words service:shop")) is shops
    assert filter_sql(parse_query("key revoked service:shop"), user=staff) != shops
    assert filter_sql(parse_query("key revoked service:other")) != shops
    assert filter_sql(parse_query("key revoked service:shop status:404")) != shops


def test_counts_cover_every_match_not_only_the_page(demo):
    results = search_errors(parse_query("not found"), per_page=2)
    assert len(results.hits) == 2
    assert results.total > 2
    assert sum(results.by_service.values()) == results.total
    assert results.pages == -(-results.total // 2)


def test_pages_do_not_overlap(demo):
    first = search_errors(parse_query("invalid"), page=1, per_page=5)
    second = search_errors(parse_query("invalid"), page=2, per_page=5)
    assert not {hit.error.pk for hit in first.hits} & {hit.error.pk for hit in second.hits}


def test_no_text_lists_the_filtered_codes_in_catalog_order(demo):
    results = search_errors(parse_query("429"))
    assert results.total == results.by_status[429] == len(results.hits)
    assert all(hit.error.http_status == 429 for hit in results.hits)


# Highlights


def test_highlight_marks_matched_words_in_the_best_field(demo):
    hit = search_errors(parse_query("weight between")).hits[0]
    assert hit.matched == "messages"
    assert "<mark>weight</mark> must be <mark>between</mark>" in hit.highlight


def test_highlight_escapes_html(shop):
    make_code(shop, "X", title="Bad & <b>bold</b> aardvark")
    hit = search_errors(parse_query("aardvark")).hits[0]
    assert str(hit.highlight) == "Bad &amp; &lt;b&gt;bold&lt;/b&gt; <mark>aardvark</mark>"


def test_exact_code_highlight_marks_the_code(demo):
    hit = search_errors(parse_query("rate_limited service:sigsentry")).hits[0]
    assert (hit.matched, str(hit.highlight)) == ("code", "<mark>RATE_LIMITED</mark>")


# The index follows every write


def test_index_follows_saves_and_deletes(shop):
    error = make_code(shop, "X", title="Kangaroo")
    error.title = "Wombat"
    error.save()
    assert codes("kangaroo") == []
    assert codes("wombat") == ["shop/X"]
    error.delete()
    assert codes("wombat") == []


def test_index_follows_bulk_update_and_queryset_update(shop):
    error = make_code(shop, "X", title="Kangaroo")
    error.summary = "Platypus"
    ErrorCode.objects.bulk_update([error], ["summary"])
    assert codes("platypus") == ["shop/X"]
    ErrorCode.objects.filter(pk=error.pk).update(aliases=["LEGACY_NAME"])
    assert codes("legacy_name") == ["shop/X"]


def test_index_follows_example_changes(shop):
    error = make_code(shop, "X")
    Example.objects.bulk_create([Example(error=error, body="ocelot")])
    assert codes("ocelot") == ["shop/X"]
    Example.objects.filter(error=error).delete()
    assert codes("ocelot") == []


def test_imported_codes_are_found_by_their_example_bodies(db):
    import_catalog_text(MINIMAL.replace('"status": 404}', '"hint": "hedgehog", "status": 404}'),
                        "shop.yaml")  # fmt: skip
    assert codes("hedgehog") == ["shop/NOT_FOUND"]


def test_index_follows_catalog_reimport(db):
    import_catalog_text(MINIMAL, "shop.yaml")
    assert codes("not found")[0] == "shop/NOT_FOUND"
    changed = MINIMAL.replace("The thing is not there", "Vanished without trace").replace(
        '"NOT_FOUND"}, "status": 404}', '"NOT_FOUND", "hint": "hedgehog"}, "status": 404}'
    )
    import_catalog_text(changed, "shop.yaml")
    assert codes("vanished") == ["shop/NOT_FOUND"]
    assert codes("hedgehog") == ["shop/NOT_FOUND"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite table rebuilds drop triggers")
def test_dropped_triggers_are_put_back_and_the_index_rebuilt(shop):
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER errors_search_code_insert")
    make_code(shop, "X", title="Capybara")
    assert codes("capybara") == []
    assert ensure_search_index(connection) is True
    assert codes("capybara") == ["shop/X"]
    assert ensure_search_index(connection) is False


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite table rebuilds drop triggers")
def test_a_dropped_alias_trigger_is_put_back_and_the_aliases_written_again(shop):
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER errors_search_alias_insert")
    make_code(shop, "X", aliases=["LEGACY_NAME"])
    assert search_errors(parse_query("legacy_name")).hits[0].reason != "alias"
    assert ensure_search_index(connection) is True
    assert search_errors(parse_query("legacy_name")).hits[0].reason == "alias"
    assert ensure_search_index(connection) is False


# Query counts stay constant whatever the number of matches


@pytest.fixture
def warm_statistics(demo):
    """One search first: PostgreSQL reads its word statistics once per catalog version."""
    search_errors(parse_query("warm"))


def test_word_statistics_are_read_once_per_catalog_version(demo, django_assert_num_queries):
    # The first search of a process reads the catalog version and the vocabulary (the
    # service names a query may hold, synonyms: issue 15; the services hits name);
    # PostgreSQL's common words too.
    reads = 1 if connection.vendor == "postgresql" else 0
    with django_assert_num_queries(5 + reads):
        search_errors(parse_query("not found"))
    # Then the version comes with the word statistics: no query of its own.
    with django_assert_num_queries(3):
        search_errors(parse_query("not found"))
    make_code(Service.objects.get(slug="aisafe"), "NEW_CODE", title="Brand new")
    # A new version, seen with the word statistics: the vocabulary is read again and the
    # words counted again under it.
    with django_assert_num_queries(5 + reads):
        search_errors(parse_query("not found"))
    with django_assert_num_queries(3):
        search_errors(parse_query("not found"))


def test_a_service_added_since_the_vocabulary_was_read_is_named_at_once(demo):
    search_errors(parse_query("warm"))
    import_catalog_text(
        MINIMAL.replace("slug: shop", "slug: fresh-service").replace("name: Shop", "name: Fresh"),
        "fresh.yaml",
    )
    results = search_errors(parse_query("fresh service not found"))
    assert results.query.service == "fresh-service"


def test_hits_name_their_service_as_it_is_now(shop):
    make_code(shop, "ZEBRA_GONE", summary="The zebra left")
    assert search_errors(parse_query("zebra")).hits[0].error.service.name == "Shop"
    Service.objects.filter(pk=shop.pk).update(name="Zoo shop")  # a new catalog version
    assert search_errors(parse_query("zebra")).hits[0].error.service.name == "Zoo shop"


def test_a_hit_of_a_service_written_after_the_services_were_read_is_named(shop, monkeypatch):
    from errors.search import execute
    from errors.search.query import held_vocabulary

    make_code(shop, "ZEBRA_GONE", summary="The zebra left")
    search_errors(parse_query("zebra"))
    # A service and its code written between the word statistics (the version) and the
    # page's codes: the services held under that version do not have it.
    words = held_vocabulary()[1]
    make_code(make_service("zoo", "Zoo"), "ZEBRA_BACK", summary="A zebra came back")
    monkeypatch.setattr(execute, "_planned", _planned_under(execute._planned, words))
    hits = search_errors(parse_query("zebra")).hits
    assert sorted((hit.error.code, hit.error.service.name) for hit in hits) == [
        ("ZEBRA_BACK", "Zoo"),
        ("ZEBRA_GONE", "Shop"),
    ]


def _planned_under(planned, words):
    """_planned, as if the vocabulary it read were `words`."""

    def under(engine, query):
        return (*planned(engine, query)[:3], words)

    return under


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's ANALYZE statistics")
def test_word_statistics_are_read_again_after_analyze(demo, django_assert_num_queries):
    search_errors(parse_query("not found"))
    with connection.cursor() as cursor:  # as autovacuum does some time after a write
        cursor.execute("ANALYZE errors_search")
        # The test runs in one transaction, whose statistics snapshot would not show the
        # ANALYZE; a request's statements each start a new one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
    with django_assert_num_queries(4):  # the statistics again, with no catalog write
        search_errors(parse_query("not found"))


def test_text_search_takes_three_queries(warm_statistics, django_assert_num_queries):
    # How common the words are (with the catalog version), the counts and the ranked
    # page (one statement), the page's codes.
    with django_assert_num_queries(3):
        results = search_errors(parse_query("not found"))
    with django_assert_num_queries(0):
        [(hit.error.service.slug, hit.error.category, hit.highlight) for hit in results.hits]


def test_hits_matched_by_their_examples_alone_read_those_examples(shop, django_assert_num_queries):
    error = make_code(shop, "X", summary="Something broke")
    Example.objects.create(error=error, body='{"detail": "zanzibar exploded"}')
    make_code(shop, "ZANZIBAR_DOWN", summary="Zanzibar is down")
    search_errors(parse_query("warm"))
    with django_assert_num_queries(4):  # one more: the examples of the hit that needs them
        results = search_errors(parse_query("zanzibar"))
    assert sorted((hit.error.code, hit.matched) for hit in results.hits) == [
        ("X", "examples"),
        ("ZANZIBAR_DOWN", "code"),
    ]
    assert "<mark>zanzibar</mark> exploded" in results.hits[-1].highlight


def test_lone_word_search_adds_the_misspelling_lookup(warm_statistics, django_assert_num_queries):
    with django_assert_num_queries(4):
        search_errors(parse_query("RATE_LIMTED"))


def test_a_word_of_the_catalog_skips_the_misspelling_lookup(
    warm_statistics, django_assert_num_queries
):
    # "exceeded" is no code, but a word the catalog uses: not a misspelt code.
    with django_assert_num_queries(3):
        assert search_errors(parse_query("exceeded")).total
    with django_assert_num_queries(4):  # a word of no code: perhaps a misspelt one
        results = search_errors(parse_query("ratelimted"))
    assert results.hits[0].error.code_key == "ratelimited"


def test_a_correctly_spelt_code_skips_the_misspelling_lookup(
    warm_statistics, django_assert_num_queries
):
    with django_assert_num_queries(3):
        search_errors(parse_query("RATE_LIMITED"))


def test_browsing_takes_two_queries(demo, django_assert_num_queries):
    with django_assert_num_queries(2):
        results = search_errors(parse_query("status:404"))
    with django_assert_num_queries(0):
        [(hit.error.service.slug, hit.error.category) for hit in results.hits]


def test_browse_pages_follow_catalog_order_across_services(demo):
    """Each page is read among the services it falls in: the pages, one after another,
    are every filtered code in catalog order, as one sort of them all would give."""
    expected = list(
        ErrorCode.objects.filter(published=True, http_status=404)
        .order_by("service__slug", "order", "code")
        .values_list("id", flat=True)
    )
    assert len(expected) > 3
    for per_page in (1, 2, 3, 7):
        pages = -(-len(expected) // per_page)
        seen = [
            hit.error.pk
            for page in range(1, pages + 2)  # and one past the end, which is empty
            for hit in search_errors(parse_query("status:404"), page=page, per_page=per_page).hits
        ]
        assert seen == expected, per_page


@pytest.mark.parametrize(
    ("start", "per_page", "window", "skip"),
    [
        (0, 2, ["a"], 0),
        (0, 4, ["a", "b"], 0),
        (2, 2, ["b"], 0),
        (3, 5, ["b", "c"], 1),
        (4, 1, ["c"], 0),
        (9, 3, ["c"], 5),
        (10, 3, [], 0),
    ],
)
def test_page_window_names_the_services_a_page_falls_in(start, per_page, window, skip):
    counts = {"a": 2, "b": 2, "c": 6}
    assert page_window(counts, start, per_page) == (window, skip)


@given(
    text=st.text(alphabet=st.sampled_from("aAbBfFoOuUnNdDxX_-. 9İßé"), max_size=60),
    terms=st.lists(st.sampled_from(["found", "founds", "not", "box", "fo", "ß"]), min_size=1),
    scan=st.sampled_from([4000, 25, 7]),
)
def test_highlight_reads_the_runs_holding_a_literal_as_it_would_read_every_word(text, terms, scan):
    """Reading only the runs of word characters that hold a literal finds the spans
    reading every word of the field finds: capitals, underscores, case changes of
    length and the end of the part of a field that is read (HIGHLIGHT_SCAN) included."""
    pattern = term_pattern(TextPlan(key="", terms=tuple(terms), prefix_last=False))
    everything = [
        found.span()
        for found in WORD_PATTERN.finditer(text, 0, scan)
        if pattern.match(found.group().lower())
    ]
    with mock.patch("errors.search.highlight.HIGHLIGHT_SCAN", scan):
        assert _matched_spans(text, pattern) == everything


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's misspelling candidates")
def test_a_misspelt_code_is_found_without_its_common_runs(shop, monkeypatch):
    """Runs of letters that many codes hold (`eeded`) are not looked for; the code is
    found from its rarer runs, and ranked by all of them."""
    monkeypatch.setattr("errors.search.sqlite.FUZZY_RUN_BUDGET", 3)
    for number in range(6):
        make_code(shop, f"QUOTA_{number}_EXCEEDED", title="Quota exceeded")
    make_code(shop, "WEBHOOK_LIMIT_EXCEEDED", title="Too many webhooks")
    make_code(shop, "WEBHOOK_LIMIT_EXCEEDED_LEGACY", title="Too many webhooks, before v2")
    hits = search_errors(parse_query("webhok_limit_exceeded")).hits
    assert [hit.error.code for hit in hits[:2]] == [
        "WEBHOOK_LIMIT_EXCEEDED",
        "WEBHOOK_LIMIT_EXCEEDED_LEGACY",
    ]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's misspelling candidates")
def test_a_misspelt_code_whose_runs_are_all_common_is_found_from_the_rarest(shop, monkeypatch):
    """Past the budget the rarest run is still looked for."""
    monkeypatch.setattr("errors.search.sqlite.FUZZY_RUN_BUDGET", 1)
    make_code(shop, "QUOTA_EXCEEDED", title="Quota exceeded")
    make_code(shop, "QUOTA_EXCEEDED_AGAIN", title="Quota exceeded again")
    hits = search_errors(parse_query("QUOTA_EXCEDED")).hits
    assert hits[0].error.code == "QUOTA_EXCEEDED"
    assert hits[0].score >= 300  # as a misspelling


# Codes that a misspelt key's runs and length alone would put first: DATASET_LOCKED1 to 3
# hold every run that DATASET_LOCKED holds and are as long as `datjasetlocked`, and
# ASET_LOCKED holds them too and is shorter; LIMIT1 to 3 are short codes whose long alias
# holds most of `ratelimted`'s trigrams.
LOOKALIKES = {
    "datjasetlocked": (
        "DATASET_LOCKED",
        [*((f"DATASET_LOCKED{number}", []) for number in range(1, 4)), ("ASET_LOCKED", [])],
    ),
    "ratelimted": (
        "RATE_LIMITED",
        [(f"LIMIT{number}", [f"TENANT_RATE_LIMITED_LEGACY{number}"]) for number in range(1, 4)],
    ),
}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's misspelling candidates")
@pytest.mark.parametrize("text", sorted(LOOKALIKES))
def test_a_misspelt_code_is_found_among_codes_alike_by_runs_or_length(shop, monkeypatch, text):
    """The candidates compared are those most alike in trigrams (by the own key, or the
    whole row of keys), not those holding most runs, nearest the key's length or
    shortest."""
    monkeypatch.setattr("errors.search.sqlite.FUZZY_CANDIDATES", 2)
    meant, lookalikes = LOOKALIKES[text]
    for code, aliases in lookalikes:
        make_code(shop, code, aliases=aliases)
    make_code(shop, meant)
    hits = search_errors(parse_query(text)).hits
    assert hits[0].error.code == meant
    assert hits[0].score >= 300  # as a misspelling


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's trigram lookup")
def test_at_most_fuzzy_read_keys_are_compared_with_a_misspelt_code(shop, monkeypatch):
    monkeypatch.setattr("errors.search.postgresql.FUZZY_READ", 2)
    for number in range(5):
        make_code(shop, f"QUOTA_EXCEEDED_{number}", title="Quota exceeded")
    hits = search_errors(parse_query("QUOTA_EXCEDED_1")).hits
    assert len([hit for hit in hits if hit.score >= 300]) == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's trigram lookup")
def test_a_misspelt_codes_candidates_are_read_through_the_trigram_index_whatever_the_plan(shop):
    # Planned on its own, the statement read the table in order whenever the planner
    # expected many keys to pass `<%` (ANALYZE's sample decides: 50 ms against 6 at
    # 100,000 codes); migration 0025's function reads them through the trigram index.
    from errors.search.postgresql import PostgresEngine

    for number in range(5):
        make_code(shop, f"WEBHOOK_LIMIT_EXCEEDED_{number}", title="Too many webhooks")
    inner = "SELECT error_id FROM errors_search WHERE %s <%% keys LIMIT 1000"
    scans = (
        "SELECT coalesce(sum(seq_scan), 0) FROM pg_stat_xact_user_tables "
        "WHERE relname = 'errors_search'"
    )
    with connection.cursor() as cursor:
        # A planner that would rather read the table in order, as with such a sample.
        cursor.execute("SET LOCAL seq_page_cost = 0")
        cursor.execute("SET LOCAL cpu_operator_cost = 0")
        cursor.execute(f"EXPLAIN {inner}", ["webhoklimitexceeded"])
        assert "Seq Scan" in " ".join(row[0] for row in cursor.fetchall())
        cursor.execute(scans)
        (before,) = cursor.fetchone()
        cursor.execute(*PostgresEngine().fuzzy_candidates("webhoklimitexceeded"))
        found = [keys for _, keys in cursor.fetchall()]
        cursor.execute(scans)
        (after,) = cursor.fetchone()
        cursor.execute("SHOW enable_seqscan")  # the function's own setting, undone
        (seqscan,) = cursor.fetchone()
    assert len(found) == 5 and all(keys.startswith("webhooklimitexceeded") for keys in found)
    assert after == before
    assert seqscan == "on"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's index keeps it")
def test_a_codes_placing_follows_it_into_the_search_index(shop, django_user_model):
    # With no filter, PostgreSQL reads a match's placing from errors_search (0026), not
    # from the code: a write that moves only the code (as the importer's bulk updates
    # do, without signals) moves its row there too.
    other = make_service("other", "Other")
    # Found by its words alone: no code tier reads the code's own row instead.
    code = make_code(shop, "ANIMAL_LOOSE", summary="The zebra escaped.", published=False)
    staff = django_user_model.objects.create_user("ed", is_staff=True, is_superuser=True)
    assert search_errors(parse_query("zebra")).hits == []
    assert [hit.error for hit in search_errors(parse_query("zebra"), user=staff).hits] == [code]
    ErrorCode.objects.filter(pk=code.pk).update(published=True)
    assert [hit.error for hit in search_errors(parse_query("zebra")).hits] == [code]
    ErrorCode.objects.filter(pk=code.pk).update(http_status=409, order=7, service=other)
    moved = search_errors(parse_query("zebra escaped"))
    assert (moved.by_status, moved.by_service) == ({409: 1}, {"other": 1})
    ErrorCode.objects.filter(pk=code.pk).update(code="ANIMAL_GONE", code_key="animalgone")
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT published, service_id, http_status, "order", code_key FROM errors_search '
            "WHERE error_id = %s",
            [code.pk],
        )
        assert cursor.fetchone() == (True, other.pk, 409, 7, "animalgone")
    ErrorCode.objects.filter(pk=code.pk).update(published=False)
    assert search_errors(parse_query("zebra")).hits == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's index keeps it")
def test_a_draft_is_never_shown_for_a_stale_copy_of_its_placing(shop):
    # Who may see a match comes from its index row; the page's codes are read as the
    # viewer may see them all the same, so a stale copy could not show a draft.
    make_code(shop, "ANIMAL_LOOSE", summary="The zebra escaped.")
    draft = make_code(shop, "ANIMAL_GONE", summary="The zebra left.", published=False)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE errors_search SET published = true WHERE error_id = %s", [draft.pk])
    hits = search_errors(parse_query("zebra"), per_page=10).hits
    assert [hit.error.code for hit in hits] == ["ANIMAL_LOOSE"]


def _faces_queries(client, text: str, per_page: int) -> dict[str, int]:
    """How many queries each face of a search of `text` makes: the API, the search page,
    the suggestions, the MCP tool and the CLI."""
    from django.contrib.auth.models import AnonymousUser
    from django.core.management import call_command
    from django.test.utils import CaptureQueriesContext

    from errors.mcp_server.answers import search_catalog

    faces = {
        "api": lambda: client.get("/api/v1/errors/", {"q": text, "per_page": per_page}),
        "page": lambda: client.get("/search/", {"q": text}),
        "suggest": lambda: client.get("/search/suggest/", {"q": text}),
        "mcp": lambda: search_catalog(
            text, service=None, status=None, lifecycle=None, limit=per_page,
            user=AnonymousUser(), base_url="http://portal.test",
        ),
        "cli": lambda: call_command("search", text, "--json", "--per-page", str(per_page)),
    }  # fmt: skip
    counts = {}
    for name, face in faces.items():
        with CaptureQueriesContext(connection) as queries:
            face()
        counts[name] = len(queries)
    return counts


def test_every_face_of_a_page_of_hits_reads_no_field_it_deferred(client, shop, capsys):
    # Search reads a page's codes without the fields no face shows (rendered HTML,
    # forms, timestamps, the service's and category's long texts): a face that used one
    # would read it again code by code, and its queries would grow with the page.
    from errors.models import Category

    category = Category.objects.create(service=shop, slug="zoo", name="Zoo")
    make_code(shop, "ZEBRA_GONE", summary="The zebra left", lifecycle="deprecated")
    make_code(shop, "ZEBRA_BACK", summary="A zebra came back", category=category)
    ErrorCode.objects.filter(code="ZEBRA_GONE").update(
        replaced_by=ErrorCode.objects.get(code="ZEBRA_BACK")
    )
    # Hits of several services: a face reading a field the services are read without
    # would cost a query a service, which one service would hide.
    services = [shop, make_service("zoo", "Zoo"), make_service("park", "Park")]
    search_errors(parse_query("zebra"))  # the vocabulary, read once a version
    few = _faces_queries(client, "zebra", 20)
    for number in range(12):
        make_code(
            services[number % 3], f"ZEBRA_{number}", summary=f"Zebra number {number} escaped",
            category=category if number % 3 == 0 else None, aliases=[f"ZEBRA_OLD_{number}"],
        )  # fmt: skip
    search_errors(parse_query("zebra"))
    many = _faces_queries(client, "zebra", 19)
    capsys.readouterr()
    assert many == few


def test_a_query_is_filtered_exactly_when_its_filters_sql_is_not_the_bare_one():
    # With no filter, PostgreSQL's search reads a match's placing from its index row,
    # not through the filters' query: a filter _filtered applies must make a query
    # filtered, or search would skip it.
    from errors.search.query import SearchQuery

    bare = filter_sql(SearchQuery())
    queries = [
        parse_query("zebra"),
        parse_query("service:shop zebra"),
        parse_query("status:404 zebra"),
        parse_query("zebra", category="pets"),
        parse_query("zebra", lifecycle="deprecated"),
        parse_query("status:404", service="shop"),
    ]
    for query in queries:
        assert query.is_filtered == (filter_sql(query) != bare), query
    assert [query.is_filtered for query in queries] == [False, True, True, True, True, True]
