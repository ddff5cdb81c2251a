"""The catalog management commands: import_catalog, export_catalog, load_demo."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from errors.models import ErrorCode, Service
from tests.conftest import MINIMAL

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_import_prints_summary(tmp_path):
    path = tmp_path / "shop.yaml"
    path.write_text(MINIMAL)
    assert "shop: 2 added, 0 changed, 0 removed, 0 unchanged" in run("import_catalog", str(path))
    assert "Everything was already up to date." in run("import_catalog", str(path))


def test_import_bad_file_fails_and_writes_nothing(tmp_path):
    good = tmp_path / "shop.yaml"
    good.write_text(MINIMAL)
    bad = tmp_path / "bad.yaml"
    bad.write_text("service: {slug: bad, name: Bad}\nerrors: [{code: X, http_status: 700}]\n")
    err = StringIO()
    with pytest.raises(CommandError, match="1 problem found; nothing was imported"):
        call_command("import_catalog", str(good), str(bad), stdout=StringIO(), stderr=err)
    assert f"{bad}:2: errors[0] (X) > http_status" in err.getvalue()
    assert Service.objects.count() == 0


def test_import_dry_run(tmp_path):
    path = tmp_path / "shop.yaml"
    path.write_text(MINIMAL)
    assert "Dry run: nothing was written." in run("import_catalog", "--dry-run", str(path))
    assert Service.objects.count() == 0


def test_export_round_trip_through_files(demo, tmp_path):
    run("export_catalog", "-o", str(tmp_path / "one"))
    run("import_catalog", *sorted(str(p) for p in (tmp_path / "one").iterdir()))
    run("export_catalog", "-o", str(tmp_path / "two"))
    for first in (tmp_path / "one").iterdir():
        assert first.read_bytes() == (tmp_path / "two" / first.name).read_bytes()


def test_export_one_service_as_json(demo):
    text = run("export_catalog", "--service", "sigsentry", "--format", "json")
    assert text.startswith('{\n  "service": {\n    "slug": "sigsentry"')


def test_export_unknown_service(demo):
    with pytest.raises(CommandError, match=r"No service 'nope'\. Known services: aisafe"):
        run("export_catalog", "--service", "nope")


def test_export_all_to_stdout_is_refused(demo):
    with pytest.raises(CommandError, match="--service SLUG"):
        run("export_catalog")


def test_load_demo(db):
    assert "Imported 6 catalog(s)." in run("load_demo")
    assert "already loaded; edits made to them are kept" in run("load_demo")
    assert "Everything was already up to date." in run("load_demo", "--reset")


def test_load_demo_keeps_edits_to_loaded_services(db):
    run("load_demo")
    ErrorCode.objects.filter(service__slug="aisafe", code="400").update(title="Edited")
    run("load_demo")
    assert ErrorCode.objects.get(service__slug="aisafe", code="400").title == "Edited"
    run("load_demo", "--reset")
    assert ErrorCode.objects.get(service__slug="aisafe", code="400").title == "Bad Request"
    assert ErrorCode.objects.filter(service__slug="sigsentry").count() == 30
