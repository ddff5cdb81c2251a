"""Retry rules say only what a source states.

Until now a code's retry rule defaulted to "never", so every code the documentation says
nothing about claimed one. This migration adds "not_stated" (the new default) and
`retry_delay_from` (where a delay comes from: a header or a body field), then keeps only
the rules a source states:

- the demo services' codes get the rules their audit against the seed pages found
  (only where the row still holds the rule the demo catalog shipped with: an editor's
  change is left alone);
- any other "never" becomes "not_stated", unless the code's own resolution or description
  says not to retry, or its service's documentation states it for its client errors;
- any other "retry_after" keeps what its label promised: the `Retry-After` header.

On SQLite the column is added with ALTER TABLE ADD COLUMN: Django's AddField would
rebuild the table there and drop the search triggers and indexes built on it. Changing
`retry`'s default and choices touches no database, only Django's state.
"""

import re

from django.db import migrations, models

import django.core.validators

# (service, code): (the rule the demo catalog shipped, the rule its seed states, delay source)
DEMO_AUDIT = {
    ("aisafe", "429"): ("retry_after", "retry_after", "header:Retry-After"),
    ("cloudsigma", "TierLimitExceeded"): ("never", "retry_after", ""),
    ("cloudsigma", "RateLimitExceeded"): ("backoff", "retry_after", ""),
    ("cloudsigma", "DailyLimitExceeded"): ("never", "retry_after", ""),
    ("elder-signals", "429"): ("retry_after", "retry_after", "header:Retry-After"),
    ("elder-signals", "RATE_LIMIT_EXCEEDED"): ("retry_after", "retry_after", "header:Retry-After"),
    ("portal", "rate_limited"): ("retry_after", "retry_after", "header:Retry-After"),
    ("synthesis", "RATE_LIMIT_EXCEEDED"): ("retry_after", "retry_after", "body:/details/retry_after"),
    ("synthesis", "SYNTHESIS_FAILED"): ("backoff", "not_stated", ""),
    ("synthesis", "BAD_GATEWAY"): ("backoff", "not_stated", ""),
    ("synthesis", "AGENT_NOT_CONFIGURED"): ("backoff", "not_stated", ""),
}
# Demo services whose documentation states "never" for codes it does not repeat it on:
# SigSentry's and the portal's for every 4xx but 429, AISafe's in its status table.
STATED_NEVER_FOR_4XX = {"sigsentry", "portal"}
STATED_NEVER = {("aisafe", "400"), ("aisafe", "401"), ("aisafe", "403")}
# "Do not retry", "don't auto-retry", "never retry", "won't succeed on retry", ...
SAYS_NO_RETRY = re.compile(
    r"\b(?:do not|don't|never|must not|should not|cannot|can't|won't|no)\b"
    r"(?:\s+[\w-]+){0,3}?\s+(?:auto-?)?re-?tr(?:y|ies|ying|ied)\b",
    re.IGNORECASE,
)
SQLITE_ADD = (
    'ALTER TABLE "errors_errorcode" ADD COLUMN "retry_delay_from" varchar(120) '
    "NOT NULL DEFAULT ''"
)
SQLITE_DROP = 'ALTER TABLE "errors_errorcode" DROP COLUMN "retry_delay_from"'

DELAY_FIELD = models.CharField(
    blank=True,
    help_text="Where the delay before a retry comes from, if the documentation says: "
    '"header:Retry-After" or "body:/details/retry_after" (a JSON pointer).',
    max_length=120,
    validators=[
        django.core.validators.RegexValidator(
            "^(header:[A-Za-z0-9_-]+|body:(/[^/]*)+)$",
            'Write "header:Retry-After" for a response header or "body:/details/retry_after" '
            "for a field of the body (a JSON pointer).",
        )
    ],
)


def add_column(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_ADD)
        return
    model = apps.get_model("errors", "ErrorCode")
    field = DELAY_FIELD.clone()
    field.set_attributes_from_name("retry_delay_from")
    schema_editor.add_field(model, field)


def drop_column(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)
        return
    model = apps.get_model("errors", "ErrorCode")
    field = DELAY_FIELD.clone()
    field.set_attributes_from_name("retry_delay_from")
    schema_editor.remove_field(model, field)


def stated_rule(slug, code, status, retry, texts):
    """The (rule, delay source) to keep for one code."""
    audit = DEMO_AUDIT.get((slug, code))
    if audit is not None:
        shipped, rule, delay = audit
        return (rule, delay) if retry == shipped else None
    if retry == "never":
        if (slug, code) in STATED_NEVER or SAYS_NO_RETRY.search(texts):
            return None
        if slug in STATED_NEVER_FOR_4XX and status and 400 <= status < 500 and status != 429:
            return None
        return ("not_stated", "")
    if retry == "retry_after":
        return ("retry_after", "header:Retry-After")
    return None


def keep_stated_rules(apps, schema_editor):
    codes = apps.get_model("errors", "ErrorCode").objects.using(schema_editor.connection.alias)
    changes = {}
    rows = codes.values_list(
        "pk", "service__slug", "code", "http_status", "retry", "resolution", "description"
    )
    for pk, slug, code, status, retry, resolution, description in rows.iterator(chunk_size=2000):
        rule = stated_rule(slug, code, status, retry, f"{resolution}\n{description}")
        if rule is not None and rule != (retry, ""):
            changes.setdefault(rule, []).append(pk)
    for (retry, delay), pks in changes.items():
        for start in range(0, len(pks), 500):
            codes.filter(pk__in=pks[start : start + 500]).update(
                retry=retry, retry_delay_from=delay
            )


def back_to_never(apps, schema_editor):
    codes = apps.get_model("errors", "ErrorCode").objects.using(schema_editor.connection.alias)
    codes.filter(retry="not_stated").update(retry="never")


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0007_hardening"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="errorcode", name="retry_delay_from", field=DELAY_FIELD
                ),
                migrations.AlterField(
                    model_name="errorcode",
                    name="retry",
                    field=models.CharField(
                        choices=[
                            ("not_stated", "Not stated"),
                            ("never", "Never retry"),
                            ("safe", "Safe to retry"),
                            ("backoff", "Retry with backoff"),
                            ("retry_after", "Retry after a delay"),
                        ],
                        default="not_stated",
                        help_text="Only a rule the service's documentation states.",
                        max_length=20,
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
        migrations.RunPython(keep_stated_rules, back_to_never),
    ]
