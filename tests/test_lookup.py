"""errors.lookup: the one way every face finds a code by any spelling."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from errors.lookup import UnknownService, find_code, find_codes, nearest_codes
from errors.models import ErrorCode
from errors.search.execute import search_errors
from errors.search.query import parse_query
from tests.factories import make_code

pytestmark = pytest.mark.django_db


def test_find_codes_finds_the_code_in_every_service_ignoring_case_and_separators(demo):
    found = find_codes("not-found")
    assert {(error.service.slug, error.code) for error in found} >= {
        ("synthesis", "NOT_FOUND"),
        ("portal", "not_found"),
    }


def test_find_codes_filters_by_service_and_status(demo):
    assert [e.service.slug for e in find_codes("NOT_FOUND", service="portal")] == ["portal"]
    assert find_codes("NOT_FOUND", status=500) == []


def test_find_codes_lists_alias_owners_after_codes(demo):
    alias_owner = ErrorCode.objects.get(service__slug="portal", code="not_found")
    alias_owner.aliases = ["FORBIDDEN"]
    alias_owner.save()
    found = find_codes("forbidden")
    assert found[-1] == alias_owner
    assert {error.code.upper() for error in found[:-1]} == {"FORBIDDEN"}


def test_codes_and_aliases_of_any_length_and_spelling_are_found_by_their_whole_key(shop):
    one = make_code(shop, "E", aliases=["X"])
    legacy = make_code(shop, "CARD_DECLINED", aliases=["Legacy-Card Declined", "50%_OFF"])
    assert find_codes("e") == [one] and find_codes("x") == [one]
    assert find_codes("legacy_card_declined") == [legacy]
    assert find_codes("50%off") == [legacy]
    # Inside an alias or a code, but not the whole of one: no match.
    assert find_codes("carddeclin") == [] and find_codes("50") == [] and find_codes("%") == []
    assert find_code("shop", "LEGACYCARDDECLINED").via_alias


def test_aliases_beyond_ascii_are_found_by_their_key(shop):
    """SQLite's lower() folds ASCII only; the keys are compared as Python folds them."""
    failed = make_code(shop, "PAYMENT_FAILED", aliases=["ÉCHEC_PAIEMENT", "Zahlung-Ü"])
    assert find_codes("échec-paiement") == [failed] and find_codes("ÉCHECPAIEMENT") == [failed]
    assert find_codes("zahlung_ü") == [failed]


def test_aliases_written_with_any_whitespace_are_found_by_their_key(shop):
    """A key leaves out every whitespace character (code_key's `\\s`), and the Kelvin
    sign lowers to `k`, in the aliases' keys as in Python; search finds them too."""
    cold = make_code(
        shop, "TOO_COLD", aliases=["Tab\tBed", "line\nfeed", "em\u2003space", "\u212aelvin_Low"]
    )
    for spelling in ("TabBed", "line_feed", "EM-SPACE", "kelvin low"):
        assert find_codes(spelling) == [cold], spelling
        assert search_errors(parse_query(spelling)).hits[0].error == cold, spelling
    ErrorCode.objects.filter(pk=cold.pk).update(aliases=["Tab\u2003\tBed"])
    assert find_codes("tabbed") == [cold] and find_codes("linefeed") == []


def test_keys_are_read_a_hundred_at_a_time(shop):
    """A batch may hold a thousand keys; SQLite refuses a UNION of more than 500 SELECTs."""
    from errors.lookup import key_holders

    codes = [make_code(shop, f"CODE_{number}") for number in range(260)]
    index = key_holders(*(code.code_key for code in codes), "nothing")
    assert all(index.candidates("shop", code.code_key) for code in codes)


def test_a_lookup_reads_what_it_finds_and_builds_no_index_of_the_catalog(
    shop, django_assert_num_queries
):
    make_code(shop, "CARD_DECLINED", aliases=["DECLINED"])
    with django_assert_num_queries(2):  # the key's holders, then the entries
        assert [error.code for error in find_codes("declined")] == ["CARD_DECLINED"]
    with django_assert_num_queries(2):  # a miss in a named service: does it exist?
        assert find_codes("nothing", service="shop") == []


def test_find_codes_of_an_unknown_service_raises(demo):
    with pytest.raises(UnknownService):
        find_codes("X", service="nope")


def test_find_code_prefers_the_exact_code_then_aliases(demo):
    assert find_code("synthesis", "not_found").error.code == "NOT_FOUND"
    error = ErrorCode.objects.get(service__slug="synthesis", code="FORBIDDEN")
    error.aliases = ["NO_ACCESS"]
    error.save()
    match = find_code("synthesis", "no-access")
    assert (match.error, match.via_alias) == (error, True)
    assert find_code("synthesis", "nothing") is None
    assert find_code("nope", "FORBIDDEN") is None


def test_find_code_says_whether_the_spelling_is_the_catalogs(demo):
    assert find_code("synthesis", "NOT_FOUND").spelt_as("NOT_FOUND")
    assert not find_code("synthesis", "not-found").spelt_as("not-found")


def test_an_alias_spelt_with_spaces_is_found_by_the_page_and_the_api_alike(client, demo):
    # The page once searched aliases by substring and missed "no access" for NO_ACCESS,
    # which the API found by key.
    error = ErrorCode.objects.get(service__slug="synthesis", code="FORBIDDEN")
    error.aliases = ["NO_ACCESS"]
    error.save()
    page = client.get("/services/synthesis/errors/no access/")
    assert page.status_code == 301
    assert page["Location"] == error.get_absolute_url()
    entry = APIClient().get("/api/v1/services/synthesis/errors/no access/").json()
    assert entry["code"] == "FORBIDDEN"
    assert [e.code for e in find_codes("no access", service="synthesis")] == ["FORBIDDEN"]


def test_drafts_are_found_only_for_staff(demo, admin_user):
    ErrorCode.objects.filter(service__slug="synthesis", code="FORBIDDEN").update(published=False)
    assert find_code("synthesis", "FORBIDDEN") is None
    assert find_code("synthesis", "FORBIDDEN", user=admin_user).error.code == "FORBIDDEN"
    assert "synthesis" not in {e.service.slug for e in find_codes("FORBIDDEN")}


def test_nearest_codes_suggests_spellings_and_codes_of_a_status(demo):
    assert nearest_codes("NOT_FUOND", service="synthesis")[0].code == "NOT_FOUND"
    by_status = nearest_codes("404", service="synthesis")
    assert by_status and all(error.http_status == 404 for error in by_status)


def test_a_draft_never_hides_a_published_code_that_has_its_name_as_an_alias(client, shop):
    make_code(shop, "RATE_LIMITED", published=False)
    too_many = make_code(shop, "TOO_MANY", aliases=["rate-limited"])
    assert find_code("shop", "rate-limited").error == too_many
    assert find_codes("RATE_LIMITED", service="shop") == [too_many]
    assert client.get("/services/shop/errors/rate-limited/")["Location"] == (
        too_many.get_absolute_url()
    )


def test_codes_sharing_a_key_are_all_found_the_one_spelt_as_asked_first(shop):
    underscored = make_code(shop, "RATE_LIMITED")
    dashed = make_code(shop, "RATE-LIMITED")
    assert find_codes("RATE-LIMITED", service="shop") == [dashed, underscored]
    assert find_codes("rate_limited", service="shop") == [underscored, dashed]
    assert find_code("shop", "RATE-LIMITED").error == dashed
    assert find_code("shop", "RATE_LIMITED").error == underscored


def test_an_alias_holder_is_found_only_when_no_code_has_the_name(shop):
    limited = make_code(shop, "LIMITED")
    make_code(shop, "OTHER", aliases=["limited"])
    assert find_codes("limited", service="shop") == [limited]
