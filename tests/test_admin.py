"""The editors' admin: list, validation, drafts, conflicts, revert, actions, roles."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse

from errors.models import ErrorCode, ErrorCodeRevision, Example, Service
from tests.admin_support import error_form_data, make_user, with_new_example

CHANGELIST = "/admin/errors/errorcode/"


@pytest.fixture
def rate_limited(demo):
    return ErrorCode.objects.select_related("service").get(
        service__slug="sigsentry", code="RATE_LIMITED"
    )


def change_url(error: ErrorCode) -> str:
    return reverse("admin:errors_errorcode_change", args=[error.pk])


def form_errors(response, field: str) -> list[str]:
    return list(response.context["adminform"].form.errors.get(field, []))


def example_errors(response) -> list[str]:
    (formset,) = [inline.formset for inline in response.context["inline_admin_formsets"]]
    return [message for form in formset.forms for message in form.errors.get("body", [])]


# --------------------------------------------------------------------------- list


def test_changelist_query_count_does_not_grow_with_rows(
    editor_client, demo, django_assert_num_queries
):
    editor_client.get(CHANGELIST)  # warm the session and content types
    with django_assert_num_queries(10):
        response = editor_client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.context["cl"].result_count == ErrorCode.objects.count()
    service = Service.objects.get(slug="sigsentry")
    ErrorCode.objects.bulk_create(
        ErrorCode(service=service, code=f"EXTRA_{n}", title="Extra") for n in range(30)
    )
    with django_assert_num_queries(10):
        editor_client.get(CHANGELIST)


def test_status_class_filter(editor_client, demo):
    response = editor_client.get(CHANGELIST, {"status_class": "4"})
    statuses = {error.http_status for error in response.context["cl"].result_list}
    assert statuses and all(400 <= status <= 499 for status in statuses)


def test_category_filter_lists_the_chosen_service_categories(editor_client, demo):
    service = Service.objects.get(slug="sigsentry")
    response = editor_client.get(CHANGELIST, {"service__id__exact": service.pk})
    (spec,) = [f for f in response.context["cl"].filter_specs if f.title == "category"]
    assert {label for _, label in spec.lookup_choices} == set(
        service.categories.values_list("name", flat=True)
    )
    category = service.categories.first()
    filtered = editor_client.get(CHANGELIST, {"category": category.pk})
    assert {e.category_id for e in filtered.context["cl"].result_list} == {category.pk}


def test_search_finds_a_code_by_key(editor_client, demo):
    response = editor_client.get(CHANGELIST, {"q": "ratelimited"})
    codes = {error.code for error in response.context["cl"].result_list}
    assert "RATE_LIMITED" in codes


def test_problems_column_counts_findings(editor_client, rate_limited):
    Example.objects.create(error=rate_limited, body='{"error": {"code": "NOT_FOUND"}}')
    response = editor_client.get(CHANGELIST, {"q": "RATE_LIMITED"})
    assert b"1 error(s)" in response.content


# --------------------------------------------------------------------------- validation


def test_new_code_starts_as_a_draft(editor_client, demo):
    service = Service.objects.get(slug="sigsentry")
    data = error_form_data(ErrorCode(service=service, code="BRAND_NEW", title="Brand new"))
    data.pop("published", None)
    response = editor_client.post(reverse("admin:errors_errorcode_add"), data)
    assert response.status_code == 302
    error = ErrorCode.objects.get(code="BRAND_NEW")
    assert error.published is False
    assert error.revisions.get().action == ErrorCodeRevision.Action.ADDED
    assert reverse("admin:errors_errorcode_add").endswith("/add/")


def test_add_form_leaves_published_unchecked(editor_client):
    response = editor_client.get(reverse("admin:errors_errorcode_add"))
    assert response.context["adminform"].form["published"].value() is False


def test_duplicate_code_ignoring_case_is_refused_on_the_code_field(editor_client, rate_limited):
    data = error_form_data(ErrorCode(service=rate_limited.service, code="rate_limited", title="x"))
    response = editor_client.post(reverse("admin:errors_errorcode_add"), data)
    assert response.status_code == 200
    (message,) = form_errors(response, "code")
    assert "already has the code 'RATE_LIMITED'" in message


def test_code_pattern_is_enforced(editor_client, rate_limited):
    Service.objects.filter(pk=rate_limited.service_id).update(code_pattern="^[A-Z][A-Z0-9_]*$")
    response = editor_client.post(
        change_url(rate_limited), error_form_data(rate_limited, code="rate-limited")
    )
    (message,) = form_errors(response, "code")
    assert "does not match this service's code pattern" in message


@pytest.mark.parametrize("status", ["99", "600"])
def test_status_out_of_range_is_refused(editor_client, rate_limited, status):
    response = editor_client.post(
        change_url(rate_limited), error_form_data(rate_limited, http_status=status)
    )
    (message,) = form_errors(response, "http_status")
    assert "from 100 to 599" in message


def test_json_example_must_parse(editor_client, rate_limited):
    data = with_new_example(error_form_data(rate_limited), '{"error": ')
    response = editor_client.post(change_url(rate_limited), data)
    (message,) = example_errors(response)
    assert message.startswith("The JSON example does not parse")


def test_json_example_must_agree_with_its_entry(editor_client, rate_limited):
    body = json.dumps({"error": {"code": "NOT_FOUND", "status": 404}})
    response = editor_client.post(
        change_url(rate_limited), with_new_example(error_form_data(rate_limited), body)
    )
    messages = example_errors(response)
    assert any("code is 'NOT_FOUND' but the entry is 'RATE_LIMITED'" in m for m in messages)
    assert rate_limited.examples.count() == 0


def test_agreeing_example_is_saved(editor_client, rate_limited):
    body = json.dumps({"error": {"code": "RATE_LIMITED", "status": 429}})
    response = editor_client.post(
        change_url(rate_limited), with_new_example(error_form_data(rate_limited), body)
    )
    assert response.status_code == 302
    assert rate_limited.examples.count() == 1


# --------------------------------------------------------------------------- nothing lost


def test_second_save_is_refused_and_shows_the_other_change(editor_client, rate_limited):
    stale = error_form_data(rate_limited, summary="Mine")
    other = make_user("other", editor=True)
    other_client = editor_client.__class__()
    other_client.force_login(other)
    first = other_client.post(
        change_url(rate_limited), error_form_data(rate_limited, title="Theirs")
    )
    assert first.status_code == 302
    response = editor_client.post(change_url(rate_limited), stale)
    assert response.status_code == 200
    message = str(response.context["adminform"].form.non_field_errors())
    assert "nothing was overwritten" in message
    assert "title: &#x27;Rate limited&#x27; → &#x27;Theirs&#x27;" in message
    assert "other" in message
    assert "an import" not in message  # the demo import this form was opened after
    rate_limited.refresh_from_db()
    assert (rate_limited.title, rate_limited.summary != "Mine") == ("Theirs", True)


def test_edit_is_recorded_with_a_field_diff(editor_client, editor, rate_limited):
    editor_client.post(change_url(rate_limited), error_form_data(rate_limited, title="Slow down"))
    revision = ErrorCodeRevision.objects.filter(error=rate_limited).first()
    assert (revision.action, revision.user, revision.changes) == (
        "changed",
        editor,
        {"title": ["Rate limited", "Slow down"]},
    )


def test_revert_from_the_history_page(editor_client, rate_limited):
    editor_client.post(change_url(rate_limited), error_form_data(rate_limited, title="Slow down"))
    page = editor_client.get(reverse("admin:errors_errorcode_history", args=[rate_limited.pk]))
    assert b"Slow down" in page.content and b"Revert to this" in page.content
    original = ErrorCodeRevision.objects.filter(error=rate_limited).last()
    response = editor_client.post(reverse("admin:errors_errorcode_revert", args=[original.pk]))
    assert response.status_code == 302
    rate_limited.refresh_from_db()
    assert rate_limited.title == "Rate limited"


def test_deleted_code_is_listed_and_restored(editor_client, rate_limited):
    delete_url = reverse("admin:errors_errorcode_delete", args=[rate_limited.pk])
    assert editor_client.post(delete_url, {"post": "yes"}).status_code == 302
    page = editor_client.get(reverse("admin:errors_errorcode_deleted"))
    assert b"RATE_LIMITED" in page.content
    (revision,) = page.context["revisions"]
    editor_client.post(reverse("admin:errors_errorcode_revert", args=[revision.pk]))
    restored = ErrorCode.objects.get(service__slug="sigsentry", code="RATE_LIMITED")
    assert restored.title == "Rate limited"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://evil.example/", "/admin/"),
        ("//evil.example/x", "/admin/"),
        ("/admin/errors/errorcode/deleted/", "/admin/errors/errorcode/deleted/"),
    ],
)
def test_a_refused_revert_goes_back_only_to_this_site(editor_client, rate_limited, given, expected):
    delete_url = reverse("admin:errors_errorcode_delete", args=[rate_limited.pk])
    editor_client.post(delete_url, {"post": "yes"})
    (revision,) = editor_client.get(reverse("admin:errors_errorcode_deleted")).context["revisions"]
    revert_url = reverse("admin:errors_errorcode_revert", args=[revision.pk])
    editor_client.post(revert_url)
    response = editor_client.post(revert_url, {"next": given})  # refused: it exists again
    assert (response.status_code, response["Location"]) == (302, expected)


# --------------------------------------------------------------------------- preview


def test_preview_renders_with_the_site_renderer(editor_client):
    url = reverse("admin:errors_errorcode_preview")
    response = editor_client.post(url, {"text": "**bold** <script>x</script>"})
    assert response.json() == {"html": "<p><strong>bold</strong> </p>"}


def test_preview_refuses_huge_text(editor_client):
    url = reverse("admin:errors_errorcode_preview")
    response = editor_client.post(url, {"text": "x" * 100_001})
    assert response.status_code == 413
    assert "Too long to preview" in response.json()["error"]


def test_preview_needs_post_and_staff(client, editor_client):
    url = reverse("admin:errors_errorcode_preview")
    assert editor_client.get(url).status_code == 405
    client.logout()
    assert client.post(url, {"text": "x"}).status_code == 302


# --------------------------------------------------------------------------- actions


def test_publish_and_unpublish_actions(editor_client, rate_limited):
    data = {"action": "unpublish", "_selected_action": [rate_limited.pk]}
    editor_client.post(CHANGELIST, data)
    rate_limited.refresh_from_db()
    assert rate_limited.published is False
    editor_client.post(CHANGELIST, {**data, "action": "publish"})
    rate_limited.refresh_from_db()
    assert rate_limited.published is True
    assert rate_limited.revisions.filter(changes__has_key="published").count() == 2


def test_deprecate_asks_for_a_replacement_then_applies(editor_client, rate_limited):
    replacement = ErrorCode.objects.get(service__slug="sigsentry", code="QUOTA_EXCEEDED")
    data = {"action": "deprecate", "_selected_action": [rate_limited.pk]}
    page = editor_client.post(CHANGELIST, data)
    assert b"Deprecate 1 code(s) of SigSentry" in page.content
    response = editor_client.post(
        CHANGELIST, {**data, "replacement": replacement.pk, "since": "v9"}
    )
    assert response.status_code == 302
    rate_limited.refresh_from_db()
    assert (rate_limited.lifecycle, rate_limited.replaced_by, rate_limited.lifecycle_since) == (
        "deprecated",
        replacement,
        "v9",
    )
    # The history names the editor who deprecated it.
    assert rate_limited.revisions.first().user.username == "editor"


def test_deprecate_refuses_codes_of_several_services(editor_client, rate_limited):
    other = ErrorCode.objects.exclude(service=rate_limited.service).first()
    data = {"action": "deprecate", "_selected_action": [rate_limited.pk, other.pk]}
    response = editor_client.post(CHANGELIST, data, follow=True)
    assert b"one service at a time" in response.content


def test_export_selected_of_one_service_is_a_catalog_file(editor_client, rate_limited):
    data = {"action": "export_selected", "_selected_action": [rate_limited.pk]}
    response = editor_client.post(CHANGELIST, data)
    assert response["Content-Disposition"] == 'attachment; filename="sigsentry.yaml"'
    assert b"code: RATE_LIMITED" in response.content
    assert b"code: NOT_FOUND" not in response.content


def test_export_selected_of_several_services_is_a_zip(editor_client, rate_limited):
    other = ErrorCode.objects.exclude(service=rate_limited.service).first()
    data = {"action": "export_selected", "_selected_action": [rate_limited.pk, other.pk]}
    response = editor_client.post(CHANGELIST, data)
    assert response["Content-Type"] == "application/zip"


# --------------------------------------------------------------------------- roles


def test_editors_group_has_catalog_permissions_only(db):
    codenames = set(
        Group.objects.get(name="Editors").permissions.values_list("codename", flat=True)
    )
    assert "change_errorcode" in codenames and "delete_guide" in codenames
    assert {c for c in codenames if c.endswith("_user") or c.endswith("_group")} == set()
    assert "change_errorcoderevision" not in codenames


def test_staff_without_the_group_can_only_view(client, rate_limited):
    client.force_login(make_user("viewer"))
    assert client.get(CHANGELIST).status_code == 200
    assert client.get(change_url(rate_limited)).status_code == 200
    response = client.post(change_url(rate_limited), error_form_data(rate_limited, title="Nope"))
    assert response.status_code == 403
    assert client.get(reverse("admin:errors_errorcode_add")).status_code == 403
    assert client.get(reverse("admin:errors_service_import")).status_code == 403
    rate_limited.refresh_from_db()
    assert rate_limited.title == "Rate limited"


def test_staff_without_the_group_cannot_revert_or_restore(client, rate_limited):
    client.force_login(make_user("viewer"))
    revision = ErrorCodeRevision.objects.filter(error=rate_limited).first()
    history_page = client.get(reverse("admin:errors_errorcode_history", args=[rate_limited.pk]))
    assert history_page.status_code == 200 and b"Revert to this" not in history_page.content
    response = client.post(reverse("admin:errors_errorcode_revert", args=[revision.pk]))
    assert response.status_code == 403


def test_grant_editor_makes_a_user_an_editor(db):
    user = make_user("newbie", staff=False)
    call_command("grant_editor", "newbie")
    user.refresh_from_db()
    assert user.is_staff and user.has_perm("errors.change_errorcode")


def test_grant_editor_needs_an_existing_user(db):
    with pytest.raises(CommandError, match="No user 'ghost'"):
        call_command("grant_editor", "ghost")


def test_an_editor_can_be_made_after_a_flush_removed_the_editors_group(db):
    # Live-server tests end by emptying every table, the data migration's group included.
    Group.objects.filter(name="Editors").delete()
    user = make_user("late-editor", editor=True)
    assert user.has_perm("errors.change_errorcode")


def test_a_bulk_action_records_one_batch(editor_client, rate_limited):
    codes = list(ErrorCode.objects.filter(service=rate_limited.service)[:3])
    selected = [code.pk for code in codes]
    editor_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": selected})
    editor_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": selected, "post": "yes"}
    )
    revisions = ErrorCodeRevision.objects.filter(code__in=[code.code for code in codes])
    unpublished = set(revisions.filter(action="changed").values_list("batch", flat=True))
    deleted = set(revisions.filter(action="deleted").values_list("batch", flat=True))
    assert (len(unpublished), len(deleted)) == (1, 1) and unpublished != deleted
    assert revisions.filter(action="deleted").count() == 3
