"""Migration 0008: retry rules keep only what a source states."""

from __future__ import annotations

from django.db.migrations.executor import MigrationExecutor

from tests.test_migrations import fresh_database, migrate  # noqa: F401  (fixture)

BEFORE = [("errors", "0006_search_speed")]
AFTER = [("errors", "0008_retry_not_stated")]


def old_models(db):
    state = MigrationExecutor(db).loader.project_state(BEFORE[0])
    return state.apps.get_model("errors", "Service"), state.apps.get_model("errors", "ErrorCode")


def rules(db):
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT s.slug, e.code, e.retry, e.retry_delay_from FROM errors_errorcode e "
            "JOIN errors_service s ON s.id = e.service_id"
        )
        return {(slug, code): (retry, delay) for slug, code, retry, delay in cursor.fetchall()}


def test_only_stated_rules_remain(fresh_database):  # noqa: F811
    db = fresh_database
    migrate(db, BEFORE)
    Service, ErrorCode = old_models(db)
    shop = Service.objects.using(db.alias).create(slug="shop", name="Shop")
    cloud = Service.objects.using(db.alias).create(slug="cloudsigma", name="CloudSigma")
    sig = Service.objects.using(db.alias).create(slug="sigsentry", name="SigSentry")

    def code(service, name, retry, status=400, resolution="", order=0):
        ErrorCode.objects.using(db.alias).create(
            service=service, code=name, code_key=name.lower(), title=name, retry=retry,
            http_status=status, resolution=resolution, order=order,
        )  # fmt: skip

    code(shop, "DEFAULTED", "never", order=1)
    code(shop, "SAID", "never", resolution="Fix the request. Do not auto-retry.", order=2)
    code(shop, "SLOW", "retry_after", status=429, order=3)
    code(shop, "FLAKY", "backoff", status=503, order=4)
    code(cloud, "DailyLimitExceeded", "never", status=429, order=1)
    code(cloud, "EditedLimit", "never", status=429, order=2)
    code(sig, "GONE", "never", status=410, order=1)

    migrate(db, AFTER)

    assert rules(db) == {
        ("shop", "DEFAULTED"): ("not_stated", ""),
        ("shop", "SAID"): ("never", ""),
        ("shop", "SLOW"): ("retry_after", "header:Retry-After"),
        ("shop", "FLAKY"): ("backoff", ""),
        ("cloudsigma", "DailyLimitExceeded"): ("retry_after", ""),
        ("cloudsigma", "EditedLimit"): ("not_stated", ""),
        ("sigsentry", "GONE"): ("never", ""),
    }


def test_going_back_turns_not_stated_into_never(fresh_database):  # noqa: F811
    db = fresh_database
    migrate(db, BEFORE)
    Service, ErrorCode = old_models(db)
    shop = Service.objects.using(db.alias).create(slug="shop", name="Shop")
    ErrorCode.objects.using(db.alias).create(
        service=shop, code="X", code_key="x", title="X", retry="never"
    )
    migrate(db, AFTER)
    migrate(db, BEFORE)
    with db.cursor() as cursor:
        cursor.execute("SELECT retry FROM errors_errorcode")
        assert cursor.fetchall() == [("never",)]
