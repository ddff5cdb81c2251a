"""errors.identify: raw error responses -> catalog entries, and code lookups."""

from __future__ import annotations

import json

import pytest

from errors import identify as identification
from errors import matchers as kept
from errors.bodies import split_http_example
from errors.catalog.importer import import_catalog_text
from errors.catalog_version import catalog_version
from errors.entry_cache import EntryCache
from errors.identify import PlainText, identify, message_skeleton
from errors.lookup import UnknownService
from errors.models import ErrorCode, Example, Service, ServiceState
from tests.conftest import MINIMAL
from tests.factories import make_code, make_service

pytestmark = pytest.mark.django_db


def best(body, **kwargs) -> tuple[str, str]:
    results = identify(body, **kwargs)
    assert results, "nothing identified"
    return results[0].error.service.slug, results[0].error.code


def test_every_demo_example_body_identifies_its_own_entry_first(demo):
    examples = Example.objects.filter(language__in=["json", "http"]).select_related(
        "error__service"
    )
    checked = 0
    for example in examples:
        if example.language == "http":
            status, body = split_http_example(example.body)
        else:
            status, body = example.error.http_status, example.body
        found = identify(body, status=status)
        wanted = (example.error.service.slug, example.error.code)
        assert found, f"{wanted}: nothing identified"
        assert (found[0].error.service.slug, found[0].error.code) == wanted, (
            f"{wanted} identified as {[(r.error.code, r.confidence) for r in found[:3]]}"
        )
        checked += 1
    services = {example.error.service.slug for example in examples}
    assert {"aisafe", "elder-signals", "sigsentry", "synthesis", "portal"} <= services
    assert checked == examples.count() >= 35


def test_code_field_is_a_confident_match(demo):
    found = identify({"code": "NOT_FOUND", "message": "Workspace 1 not found"}, status=404)
    assert (found[0].error.service.slug, found[0].error.code) == ("synthesis", "NOT_FOUND")
    assert found[0].confidence >= 0.9
    assert "code field /code" in found[0].reason


def test_message_only_service_is_identified_by_its_typical_message(demo):
    body = {"error": "Bad Request", "message": "weight must be between 0 and 1", "status": 400}
    found = identify(body)
    assert (found[0].error.service.slug, found[0].error.code) == (
        "elder-signals",
        "INVALID_WEIGHT",
    )
    assert found[0].reason.startswith("typical message")


def test_changed_numbers_quotes_and_ids_still_match_the_typical_message(demo):
    body = {
        "code": "SOURCES_NOT_READY",
        "message": "7 source(s) are not yet processed: Calls. Wait for processing to complete "
        "before synthesizing.",
    }
    assert best(json.dumps(body)) == ("synthesis", "SOURCES_NOT_READY")
    assert best({"message": "weight must be between 2 and 9", "status": 400}) == (
        "elder-signals",
        "INVALID_WEIGHT",
    )


def test_status_only_service_answers_its_status_entry(demo):
    assert best('{"detail": "Something else entirely"}', status=404, service="aisafe") == (
        "aisafe",
        "404",
    )
    found = identify({"detail": "Assessment not found"}, status=404)
    assert found[0].error.code == "404"
    assert "status-only service" in found[0].reason


def test_aisafe_auth_exception_code_is_found_through_its_documented_code_field(demo):
    found = identify({"code": "EMAIL_NOT_VERIFIED"}, status=403)
    assert (found[0].error.service.slug, found[0].error.code) == ("aisafe", "EMAIL_NOT_VERIFIED")
    assert "code field /code" in found[0].reason


def test_alias_in_the_code_field_answers_the_current_entry(demo):
    error = ErrorCode.objects.get(service__slug="synthesis", code="NOT_FOUND")
    error.aliases = ["WORKSPACE_MISSING"]
    error.save()
    found = identify({"code": "workspace_missing"})
    assert found[0].error == error
    assert "alias" in found[0].reason


def test_an_alias_names_its_holder_in_each_service_only_where_no_code_has_the_name(demo):
    """The rule of errors.lookup, with the aliases read from the matchers: an alias
    counts in a service where no code holds the name as its own."""
    portal = ErrorCode.objects.get(service__slug="portal", code="not_found")
    portal.aliases = ["FORBIDDEN"]  # synthesis has a FORBIDDEN of its own
    portal.save()
    named = {(item.error.service.slug, item.error.code) for item in identify({"code": "FORBIDDEN"})}
    assert ("portal", "not_found") in named and ("synthesis", "FORBIDDEN") in named
    found = identify({"code": "forbidden"}, service="portal")
    assert (found[0].error.code, "alias" in found[0].reason) == ("not_found", True)


def body_at(**values_at: tuple[str, str]) -> dict:
    """A JSON body holding each (pointer, value) at its pointer (`/error/code`:
    `{"error": {"code": ...}}`)."""
    body: dict = {}
    for pointer, value in values_at.values():
        *parents, name = pointer.strip("/").split("/")
        place = body
        for parent in parents:
            place = place.setdefault(parent, {})
        place[name] = value
    return body


def test_a_message_dozens_of_entries_share_only_adds_to_what_a_code_field_named(demo):
    """Like a shared example shape, a typical message that more than MAX_SHARED_MESSAGE
    entries of a service share tells none of them apart."""
    service = Service.objects.get(slug="sigsentry")
    shared = ErrorCode.objects.filter(service=service).order_by("pk")
    assert shared.count() > identification.MAX_SHARED_MESSAGE
    shared.update(messages=["The field must be between 1 and 10"])
    message = (service.message_pointer, "The field must be between 3 and 7")
    assert all(item.confidence < 0.5 for item in identify(body_at(message=message)))
    first = shared.first()
    found = identify(body_at(code=(service.code_pointer, first.code), message=message))
    assert found[0].error == first
    assert found[0].reason == f"code field {service.code_pointer}; typical message"
    # None of the service's other entries is signalled by the message they all share.
    assert [item.error for item in found if item.error.service == service] == [first]


def test_plain_text_body_is_read_as_a_message(demo):
    assert best("signal not found") == ("elder-signals", "SIGNAL_NOT_FOUND")


def test_plain_text_that_looks_like_json_is_not_parsed_when_marked(demo):
    assert identify(PlainText('{"code": "NOT_FOUND"}')) == []


def test_http_dump_is_split_into_status_and_body(demo):
    dump = 'HTTP/1.1 404 Not Found\nContent-Type: application/json\n\n{"detail": "Gone"}'
    assert best(dump, service="aisafe") == ("aisafe", "404")


def test_confidences_are_between_0_and_1_and_sorted(demo):
    found = identify({"detail": "Rate limit exceeded. Retry after 3s."}, status=429)
    confidences = [item.confidence for item in found]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0 < value <= 1 for value in confidences)


def test_disagreeing_status_lowers_confidence(demo):
    agreeing = identify({"code": "FORBIDDEN"}, status=403)[0].confidence
    disagreeing = identify({"code": "FORBIDDEN"}, status=500)[0].confidence
    assert disagreeing < agreeing


def test_service_restricts_the_candidates(demo):
    found = identify({"code": "NOT_FOUND"}, service="portal")
    assert {item.error.service.slug for item in found} == {"portal"}


def test_a_named_services_code_where_bodies_commonly_keep_one_is_found(demo):
    """SigSentry keeps its code at /error/code; a gateway in front of it answered
    `{"code": ...}`. Named, the service's entry is found there, less surely than at its
    own pointer, and the reason says where it was."""
    found = identify({"code": "RATE_LIMITED"}, status=429, service="sigsentry")
    assert [(item.error.service.slug, item.error.code) for item in found[:1]] == [
        ("sigsentry", "RATE_LIMITED")
    ]
    own = identify({"error": {"code": "RATE_LIMITED"}}, status=429, service="sigsentry")[0]
    assert identification.CONFIDENT <= found[0].confidence < own.confidence
    assert found[0].reason == "code field /code, not where the service keeps its code"
    assert own.reason == "code field /error/code"
    assert identify({"code": "RATE_LIMITED"}, status=429)[0].error.service.slug != "sigsentry"


@pytest.mark.parametrize(
    "body",
    [
        # the service's own pointer holds a code it does not document: a new code
        {"error": {"code": "EMAIL_TAKEN"}, "code": "RATE_LIMITED"},
        # a `type` is a category or an RFC 9457 URL more often than a code
        {"type": "validation_error"},
        {"error": {"message": "Invalid", "type": "validation_error"}},
        # an RFC 9457 problem of another service's entry
        {"type": "https://docs.example/services/portal/errors/not_found/", "code": "NOT_FOUND"},
    ],
)
def test_common_pointers_are_not_read_where_they_would_guess(demo, body):
    assert identify(body, service="sigsentry") == []


def test_a_common_pointer_is_read_only_for_text_and_leaves_a_disagreeing_status_its_entry(
    demo,
):
    """Elder Signals tells errors apart by status, and names its entries after them."""
    as_number = identify({"code": 429}, status=429, service="elder-signals")
    assert [(item.error.code, item.reason) for item in as_number] == [
        ("429", "status-only service: its entry for this HTTP status")
    ]
    disagreeing = identify({"code": "429"}, status=500, service="elder-signals")
    assert [item.error.code for item in disagreeing] == ["500", "429"]
    assert disagreeing[0].confidence >= identification.CONFIDENT > disagreeing[1].confidence


def test_a_common_pointer_finds_another_spelling_and_the_first_pointer_naming_a_code_wins(db):
    shop = make_service()
    make_code(shop, "OUT_OF_STOCK", http_status=409)
    make_code(shop, "CART_LOCKED", http_status=409)
    assert identify({"code": "OUT_OF_STOCK"}) == []  # no service named: its own pointers
    found = identify({"errorCode": "out-of-stock"}, service="shop")
    assert [(item.error.code, item.reason) for item in found] == [
        (
            "OUT_OF_STOCK",
            "code field /errorCode (spelt 'out-of-stock', documented 'OUT_OF_STOCK'), "
            "not where the service keeps its code",
        )
    ]
    both = identify(
        {"code": "NOPE", "error_code": "CART_LOCKED", "errorCode": "OUT_OF_STOCK"}, service="shop"
    )
    assert [item.error.code for item in both] == ["CART_LOCKED"]


def test_an_object_where_the_service_keeps_its_code_is_an_envelope_the_gateway_nested(db):
    """An OAuth-style service keeps its code at /error; a gateway wrapped it as
    `{"error": {"code": ...}}`."""
    oauth = make_service("oauth", "OAuth", code_pointer="/error")
    make_code(oauth, "invalid_grant", http_status=400)
    found = identify({"error": {"code": "invalid_grant"}}, status=400, service="oauth")
    assert [(item.error.code, item.reason) for item in found] == [
        ("invalid_grant", "code field /error/code, not where the service keeps its code")
    ]


def test_a_pointer_whose_codes_disagree_with_the_status_leaves_the_next_one_read(db):
    shop = make_service()
    make_code(shop, "OUT_OF_STOCK", http_status=409)
    make_code(shop, "CART_LOCKED", http_status=423)
    body = {"code": "CART_LOCKED", "error_code": "OUT_OF_STOCK"}
    found = identify(body, status=409, service="shop")
    assert [item.error.code for item in found] == ["OUT_OF_STOCK", "CART_LOCKED"]
    assert found[0].confidence >= identification.CONFIDENT > found[1].confidence


def test_a_common_pointer_finds_an_alias_no_surer_than_a_code(db):
    shop = make_service()
    make_code(shop, "OUT_OF_STOCK", aliases=["SOLD_OUT"])
    (found,) = identify({"code": "SOLD_OUT"}, service="shop")
    assert found.error.code == "OUT_OF_STOCK"
    assert found.reason == (
        "code field /code holds the alias 'SOLD_OUT', not where the service keeps its code"
    )
    assert found.confidence == identification.UNDOCUMENTED_CODE_FIELD


def test_a_draft_at_a_common_pointer_is_found_for_staff_only(db, admin_user):
    shop = make_service()
    make_code(shop, "OUT_OF_STOCK", published=False)
    assert identify({"code": "OUT_OF_STOCK"}, service="shop") == []
    assert identify({"code": "OUT_OF_STOCK"}, service="shop", user=admin_user)


def test_a_named_services_code_at_a_common_pointer_is_read_with_the_others(
    demo, django_assert_num_queries
):
    identify({"code": "FORBIDDEN"})
    # As for a code at the service's own pointer: the fingerprint, the key holders (one
    # read for the batch, the common pointers' keys with the others) and the entries.
    with django_assert_num_queries(3):
        answers = identification.identify_many(
            [
                identification.Seen({"code": "RATE_LIMITED"}, 429, "sigsentry"),
                identification.Seen({"code": "NOT_FOUND"}, None, "sigsentry"),
                identification.Seen({"error": {"code": "FORBIDDEN"}}, 403, None),
            ]
        )
    assert [answer[0].error.code for answer in answers] == [
        "RATE_LIMITED",
        "NOT_FOUND",
        "FORBIDDEN",
    ]


def test_a_service_named_in_capitals_is_its_slug(demo):
    """Slugs are lowercase, and search's service filter reads `AISafe` as `aisafe`."""
    assert best({"detail": "Something else"}, status=404, service="AISafe") == ("aisafe", "404")


def test_unknown_service_raises(demo):
    with pytest.raises(UnknownService):
        identify({"code": "X"}, service="no-such-service")


def test_nothing_matches_an_unrelated_body(demo):
    assert identify({"hello": "world"}) == []
    assert identify(12) == []
    assert identify("") == []


def test_drafts_are_hidden_from_anonymous_callers(demo, admin_user):
    ErrorCode.objects.filter(service__slug="synthesis", code="FORBIDDEN").update(published=False)
    assert all(item.error.code != "FORBIDDEN" for item in identify({"code": "FORBIDDEN"}))
    assert identify({"code": "FORBIDDEN"}, user=admin_user)[0].error.code == "FORBIDDEN"


def test_a_draft_holding_a_name_does_not_hide_the_published_code_with_that_alias(demo, admin_user):
    """For a caller who may not see drafts they do not exist (errors.lookup's rule)."""
    draft = ErrorCode.objects.get(service__slug="synthesis", code="FORBIDDEN")
    draft.published = False
    draft.save()
    holder = ErrorCode.objects.get(service__slug="synthesis", code="NOT_FOUND")
    holder.aliases = ["FORBIDDEN"]
    holder.save()
    anonymous = identify({"code": "FORBIDDEN"}, service="synthesis")
    assert (anonymous[0].error, "alias" in anonymous[0].reason) == (holder, True)
    staff = identify({"code": "FORBIDDEN"}, service="synthesis", user=admin_user)
    assert staff[0].error == draft  # staff see the draft, which holds the name itself


def test_drafts_give_their_places_to_the_next_candidates(demo, admin_user):
    """Only `limit` candidates are read: drafts are left out before, not after."""
    body = {"code": "NOT_FOUND"}
    everyone = [(item.error.service.slug, item.error.code) for item in identify(body, limit=3)]
    first = everyone[0]
    ErrorCode.objects.filter(service__slug=first[0], code=first[1]).update(published=False)
    anonymous = [(item.error.service.slug, item.error.code) for item in identify(body, limit=2)]
    assert anonymous == everyone[1:3]
    staff = identify(body, user=admin_user, limit=1)
    assert (staff[0].error.service.slug, staff[0].error.code) == first


def test_warm_identify_costs_three_queries_and_two_when_its_entries_are_held(
    demo, django_assert_num_queries
):
    identify({"code": "FORBIDDEN"})
    # The fingerprint (re-read on every call in these tests), the holders of the keys the
    # body holds (code-key and keys indexes) and the matched rows, not read before.
    with django_assert_num_queries(3):
        found = identify({"code": "API_KEY_REVOKED"}, status=401)
    # The same entries again: held in the worker for the catalog version.
    with django_assert_num_queries(2):
        assert identify({"code": "API_KEY_REVOKED"}, status=401) == found


def test_entries_held_are_never_served_after_a_write(demo):
    """Every entry held is dropped when the catalog changes, not only those asked for
    again: an entry held from another body is read again after a write."""
    revoked, forbidden = {"code": "API_KEY_REVOKED"}, {"code": "FORBIDDEN"}
    held = identify(revoked, status=401)[0].error
    identify(forbidden, status=403)
    ErrorCode.objects.filter(pk=held.pk).update(title="Key revoked by its owner")
    identify(forbidden, status=403)  # the first call under the new version
    again = identify(revoked, status=401)[0].error
    assert (again.pk, again.title) == (held.pk, "Key revoked by its owner")


def test_an_entry_held_for_staff_is_not_given_to_anyone_else(
    demo, admin_user, django_assert_num_queries
):
    held = EntryCache()
    draft = ErrorCode.objects.filter(service__slug="aisafe").first()
    ErrorCode.objects.filter(pk=draft.pk).update(published=False)
    version = catalog_version()
    assert set(held.entries(version, [draft.pk], admin_user)) == {draft.pk}
    with django_assert_num_queries(0):
        assert held.entries(version, [draft.pk], None) == {}


def test_the_entries_held_are_bounded_least_recently_used_first(demo, django_assert_num_queries):
    held = EntryCache(max_entries=2)
    first, second, third = ErrorCode.objects.order_by("pk").values_list("pk", flat=True)[:3]
    version = catalog_version()
    held.entries(version, [first, second], None)
    held.entries(version, [first], None)  # the first is now the most recently used
    held.entries(version, [third], None)
    with django_assert_num_queries(0):
        assert set(held.entries(version, [first, third], None)) == {first, third}
    with django_assert_num_queries(1):
        assert set(held.entries(version, [second], None)) == {second}


def test_the_codes_a_batch_names_are_read_in_catalog_order_whatever_the_queries(
    monkeypatch, django_assert_num_queries
):
    """BodyKeys reads its keys KEYS_PER_QUERY at a time, and a service's codes holding
    one key (NotFound and NOT_FOUND) come in catalog order, not in the order made."""
    shop = make_service()
    make_code(shop, "NOT_FOUND", order=7, http_status=404)
    make_code(shop, "NotFound", order=1, http_status=404)
    make_code(shop, "FORBIDDEN", order=3, http_status=403)
    index = kept.matchers()
    make_code(make_service("late"), "NOT_FOUND")  # no matcher asks for it: left out
    monkeypatch.setattr(kept, "KEYS_PER_QUERY", 1)
    keys = kept.BodyKeys(matchers=index)
    with django_assert_num_queries(2):
        keys.read("notfound", "forbidden", "")
    assert set(keys.by_service) == {"shop"}
    assert [held.code for held in keys.candidates("shop", "notfound")] == ["NotFound", "NOT_FOUND"]
    assert [held.code for held in keys.candidates("shop", "forbidden")] == ["FORBIDDEN"]
    found = identify({"error": {"code": "NOT_FOUND"}}, service="shop")
    assert [item.error.code for item in found] == ["NOT_FOUND", "NotFound"]
    assert "spelt 'NOT_FOUND', documented 'NotFound'" in found[1].reason


def test_matchers_are_reused_until_the_catalog_changes(demo):
    first = kept.matchers()
    assert kept.matchers() is first
    error = ErrorCode.objects.get(service__slug="synthesis", code="FORBIDDEN")
    error.messages = ["A brand new typical message"]
    error.save()
    assert kept.matchers() is not first
    assert best("a brand new typical message") == ("synthesis", "FORBIDDEN")


@pytest.fixture
def builds(monkeypatch):
    """The services each matcher build reads, in order (None: every service)."""
    calls = []
    build = kept._build

    def spy(only):
        calls.append(
            None
            if only is None
            else set(Service.objects.filter(pk__in=only).values_list("slug", flat=True))
        )
        return build(only)

    monkeypatch.setattr(kept, "_build", spy)
    return calls


def test_a_write_rebuilds_the_matchers_of_its_service_alone(demo, builds):
    """At a million codes, rebuilding every service's matcher after each write took longer
    than gunicorn's timeout: an edit rebuilds its own service's."""
    first = kept.matchers()
    assert builds == [None]  # every service, in one pass over the tables
    assert set(first) == {
        "aisafe",
        "portal",
        "sigsentry",
        "synthesis",
        "elder-signals",
        "cloudsigma",
    }
    error = ErrorCode.objects.get(service__slug="synthesis", code="FORBIDDEN")
    error.messages = ["The gate is shut for you"]
    error.save()
    again = kept.matchers()
    assert builds[1:] == [{"synthesis"}]
    assert again["synthesis"] is not first["synthesis"]
    assert all(again[slug] is first[slug] for slug in first if slug != "synthesis")
    assert best("the gate is shut for you") == ("synthesis", "FORBIDDEN")


def test_an_example_a_queryset_update_or_an_envelope_edit_rebuilds_its_service(demo, builds):
    kept.matchers()
    example = Example.objects.filter(error__service__slug="sigsentry", language="json").first()
    example.body = json.dumps({"wombat": {"burrow": 1}})
    example.save()
    kept.matchers()
    ErrorCode.objects.filter(service__slug="cloudsigma").update(messages=["Moon is made of cheese"])
    kept.matchers()
    service = Service.objects.get(slug="aisafe")
    service.message_pointer = "/error/text"
    service.save()
    matchers = kept.matchers()
    assert builds[1:] == [{"sigsentry"}, {"cloudsigma"}, {"aisafe"}]
    assert matchers["aisafe"].message_pointers[0] == "/error/text"
    assert best({"wombat": {"burrow": 7}}) == ("sigsentry", example.error.code)
    assert best("moon is made of cheese")[0] == "cloudsigma"


def test_added_renamed_and_deleted_services_are_noticed(demo, builds):
    kept.matchers()
    import_catalog_text(MINIMAL, "shop.yaml")
    Service.objects.filter(slug="cloudsigma").update(slug="cloudsigma-two")
    Service.objects.get(slug="portal").delete()
    matchers = kept.matchers()
    assert builds[1:] == [{"shop", "cloudsigma-two"}]
    assert set(matchers) == {
        "aisafe",
        "sigsentry",
        "synthesis",
        "elder-signals",
        "cloudsigma-two",
        "shop",
    }
    assert best({"error": {"code": "not_found"}}, service="shop") == ("shop", "NOT_FOUND")
    with pytest.raises(UnknownService):
        identify({"error": {"code": "not_found"}}, service="portal")


def test_a_service_without_its_version_row_is_rebuilt_every_time(demo, builds):
    """A service saved while the triggers were missing has no version to trust."""
    ServiceState.objects.filter(service_id=Service.objects.get(slug="cloudsigma").pk).delete()
    kept.matchers()
    ErrorCode.objects.filter(service__slug="cloudsigma").update(messages=["Out of coffee"])
    kept.matchers()
    assert builds[1:] == [{"cloudsigma"}]
    assert best("out of coffee")[0] == "cloudsigma"


def test_bulk_import_is_noticed_without_signals(db):
    import_catalog_text(MINIMAL, "shop.yaml")
    before = catalog_version()
    assert best({"error": {"code": "not_found"}}) == ("shop", "NOT_FOUND")
    renamed = MINIMAL.replace("code: NOT_FOUND", "code: MISSING").replace(
        "replaced_by: NOT_FOUND", "replaced_by: MISSING"
    )
    import_catalog_text(renamed.replace('"NOT_FOUND"', '"MISSING"'), "shop.yaml")
    assert catalog_version() != before
    assert best({"error": {"code": "missing"}}) == ("shop", "MISSING")


def test_message_skeleton_replaces_concrete_values():
    assert message_skeleton("Workspace 550e8400-e29b-41d4-a716-446655440000 not found") == (
        "workspace {id} not found"
    )
    assert message_skeleton("File size (150 MB) exceeds 100 MB limit.") == (
        "file size ({n} mb) exceeds {n} mb limit"
    )
    assert message_skeleton("Cannot transition from 'a' to \"b\"") == (
        "cannot transition from {value} to {value}"
    )
    assert message_skeleton("request req_8f3a2 failed") == "request {id} failed"


def test_a_reworded_message_is_found_by_similarity(demo):
    found = identify({"error": "Not Found", "message": "signals not found", "status": 404})
    assert found[0].error.code == "SIGNAL_NOT_FOUND"
    assert found[0].reason.startswith("similar to a typical message")


def test_limit_bounds_the_answer(demo):
    assert len(identify({"detail": "x"}, status=404, limit=1)) == 1


def test_the_matchers_read_the_message_forms_stored_when_a_code_was_saved(demo, monkeypatch):
    """Working out a million messages' forms in every worker after every write took most of
    identify's first call at scale; they are worked out when a code is saved instead."""
    from errors import message_values

    stored = ErrorCode.objects.get(service__slug="synthesis", code="FORBIDDEN").message_forms
    assert stored["of"] and len(stored["forms"]) == len(stored["of"])
    monkeypatch.setattr(message_values, "message_forms", lambda text: pytest.fail(text))
    assert best("weight must be between 0 and 7") == best("weight must be between 0 and 5")


def test_forms_stored_for_other_messages_or_rules_are_worked_out_again(demo):
    from errors.message_values import FORMS_VERSION

    codes = ErrorCode.objects.filter(service__slug="synthesis", code="FORBIDDEN")
    # A write that goes around save() (a queryset update) leaves the stored forms behind.
    codes.update(messages=["The wombat escaped its enclosure"])
    assert best("the wombat escaped its enclosure") == ("synthesis", "FORBIDDEN")
    # Forms an older version of the rules worked out are not trusted either.
    messages = ["The wombat escaped its enclosure"]
    codes.update(message_forms={"v": FORMS_VERSION - 1, "of": messages, "forms": [["x", []]]})
    assert best("the wombat escaped its enclosure") == ("synthesis", "FORBIDDEN")


def test_the_matchers_read_example_shapes_stored_when_saved(demo, monkeypatch):
    """Parsing every example body in each worker after every write was a third of the
    build at a million codes; an example's shape is worked out when it is saved."""
    example = Example.objects.filter(language="json", error__service__slug="sigsentry").first()
    assert example.shape == sorted(example.shape) and example.shape
    monkeypatch.setattr(kept, "example_shape", lambda *args: pytest.fail(args))
    kept.build_matchers()


def test_examples_saved_before_shapes_were_stored_are_parsed(demo):
    shapes = {slug: dict(m.by_shape) for slug, m in kept.build_matchers().items()}
    Example.objects.update(shape=None)  # as rows older than migration 0014
    again = {slug: dict(m.by_shape) for slug, m in kept.build_matchers().items()}
    assert again == shapes and shapes["sigsentry"]


def test_rerender_html_stores_the_forms_and_shapes_older_rows_lack(demo):
    from errors.catalog.rendering import rerender_stored_html

    ErrorCode.objects.update(message_forms={})
    Example.objects.update(shape=None)  # as rows saved before migrations 0013 and 0014
    rerender_stored_html()
    assert not ErrorCode.objects.filter(message_forms={}).exists()
    assert not Example.objects.filter(shape__isnull=True).exists()
