"""The generated clients compile, for every demo service and an odd catalog, and a small
program in each language looks every published code up (as the catalog spells it, and
spelt otherwise) and checks its status: the round trip from catalog to client code.

One compile per language covers all services. The compilers: mypy (the dev lock),
tsc (tests/clients, `npm ci --prefix tests/clients`), go (Debian's golang-go) and javac;
a missing one skips here, and fails in CI (PORTAL_CLIENT_COMPILERS=required).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from errors.catalog.importer import load_demo_catalogs
from errors.clients import go, java, python, typescript, write_clients
from errors.clients.source import ClientCatalog, client_catalog
from errors.models import Service
from tests.client_catalogs import NOT_STATED_CODE, import_odd

# The compilers see generated files, whatever database or Django version made them.
pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parent.parent
TSC = ROOT / "tests/clients/node_modules/.bin/tsc"
BASE_URL = "https://errors.example.com"


def require(tool: str | Path | None, name: str) -> str:
    """The tool's path; skip when it is missing on a developer's machine, fail in CI."""
    found = shutil.which(str(tool)) if tool else None
    if found:
        return found
    message = f"{name} is not installed"
    if os.environ.get("CI") or os.environ.get("PORTAL_CLIENT_COMPILERS") == "required":
        pytest.fail(f"{message}: CI must compile the generated clients.")
    pytest.skip(message)


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a compiler or program; its output is the failure message when it fails."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )
    assert result.returncode == 0, f"{command[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@dataclass
class Check:
    """A code a program looks up, the spelling it uses, and what it must find."""

    code: str
    spelling: str
    status: int


@dataclass
class Generated:
    """Where the sources were written, and the catalogs and checks they came from."""

    directory: Path
    catalogs: list[ClientCatalog]
    checks: dict[str, list[Check]]

    @property
    def odd(self) -> int:
        """The position of the odd catalog (tests.client_catalogs.ODD)."""
        return next(n for n, catalog in enumerate(self.catalogs) if catalog.slug == "3d-print")


def other_spelling(code: str) -> str:
    """The code spelt as the portal still accepts it: other case, `-` for `_`."""
    return code.swapcase().replace("_", "-")


@pytest.fixture
def generated(db, tmp_path) -> Generated:
    """Every demo service and the odd catalog, generated in every language."""
    load_demo_catalogs()
    import_odd()
    services = list(Service.objects.order_by("slug"))
    write_clients(services, ["python", "typescript", "go", "java"], BASE_URL, tmp_path)
    catalogs = [client_catalog(service, BASE_URL) for service in services]
    checks = {}
    for catalog in catalogs:
        checks[catalog.slug] = [
            Check(entry.code, spelling, entry.http_status or 0)
            for entry in catalog.entries
            for spelling in (entry.code, other_spelling(entry.code), *entry.aliases)
        ]
    assert len(catalogs) == 7
    assert sum(len(catalog.entries) for catalog in catalogs) > 100
    return Generated(tmp_path, catalogs, checks)


def test_python_passes_mypy_strict_and_looks_every_code_up(generated):
    folder = generated.directory / "python"
    lines = ["from __future__ import annotations", "import warnings"]
    calls = []
    for number, catalog in enumerate(generated.catalogs):
        module = python.filename(catalog).removesuffix(".py")
        lines.append(f"import {module} as m{number}")
        for check in generated.checks[catalog.slug]:
            calls.append(
                f"check(m{number}.lookup({check.spelling!r}), {check.code!r}, {check.status})"
            )
    lines += [
        "from typing import Any",
        "def check(found: Any, code: str, status: int) -> None:",
        "    assert found.known and found.code == code, found",
        "    assert (found.http_status or 0) == status, found",
        "def main() -> None:",
        *(f"    {call}" for call in calls),
        f"    odd = m{generated.odd}",
        '    assert not odd.lookup("NO_SUCH_CODE").known',
        '    assert odd.lookup("NO_SUCH_CODE").code == "NO_SUCH_CODE"',
        f"    assert odd.is_retryable({NOT_STATED_CODE!r}) is None",
        "    assert odd.retry_rule(" + repr(NOT_STATED_CODE) + ") is odd.RetryRule.NOT_STATED",
        '    assert odd.is_retryable("404") is False',
        '    assert odd.is_retryable("rate-limited") is True',
        "    with warnings.catch_warnings(record=True) as caught:",
        '        warnings.simplefilter("always")',
        "        assert odd.TOO_MANY is odd.RATE_LIMITED",
        "        assert odd.OLD_THING.replaced_by == 'rate-limited'",
        "    assert [w.category for w in caught] == [DeprecationWarning, DeprecationWarning]",
        '    print("ok")',
        "main()",
    ]
    (folder / "check.py").write_text("\n".join(lines) + "\n")
    run(sys.executable, "-m", "mypy", "--strict", "--no-incremental", ".", cwd=folder)
    assert run(sys.executable, "check.py", cwd=folder).strip() == "ok"


def test_typescript_passes_tsc_strict_and_looks_every_code_up(generated):
    tsc = require(TSC, "tsc (npm ci --prefix tests/clients)")
    node = require("node", "node")
    folder = generated.directory / "typescript"
    lines = []
    for number, catalog in enumerate(generated.catalogs):
        module = typescript.filename(catalog).removesuffix(".ts")
        lines.append(f'import * as m{number} from "./{module}";')
    lines += [
        "function check(found: m0.ErrorCode, code: string, status: number): void {",
        "  if (!found.known || found.code !== code || (found.httpStatus ?? 0) !== status) {",
        "    throw new Error(`expected ${code} ${status}, found ${JSON.stringify(found)}`);",
        "  }",
        "}",
        "function ensure(condition: boolean, what: string): void {",
        "  if (!condition) {",
        "    throw new Error(what);",
        "  }",
        "}",
    ]
    for number, catalog in enumerate(generated.catalogs):
        for check in generated.checks[catalog.slug]:
            lines.append(
                f"check(m{number}.lookup({json.dumps(check.spelling)}), "
                f"{json.dumps(check.code)}, {check.status});"
            )
    odd = f"m{generated.odd}"
    lines += [
        f'ensure(!{odd}.lookup("NO_SUCH_CODE").known, "unknown code");',
        f'ensure({odd}.isRetryable("{NOT_STATED_CODE}") === null, "not stated");',
        f'ensure({odd}.retryRule("{NOT_STATED_CODE}") === "not_stated", "not stated rule");',
        f'ensure({odd}.isRetryable("404") === false, "never");',
        f'ensure({odd}.isRetryable("rate-limited") === true, "retry after");',
        f'ensure({odd}.ALL.length === {len(generated.catalogs[generated.odd].entries)}, "all");',
        'console.log("ok");',
    ]
    (folder / "check.ts").write_text("\n".join(lines) + "\n")
    run(tsc, "--strict", "--target", "es2020", "--module", "commonjs", "--outDir", "out",
        *sorted(path.name for path in folder.glob("*.ts")), cwd=folder)  # fmt: skip
    assert run(node, "out/check.js", cwd=folder).strip() == "ok"


def test_go_passes_go_vet_and_looks_every_code_up(generated):
    go_tool = require("go", "go (Debian's golang-go)")
    folder = generated.directory / "go"
    (folder / "go.mod").write_text("module example.com/generated\n\ngo 1.19\n")
    packages = [go.filename(catalog).split("/")[0] for catalog in generated.catalogs]
    lines = [
        "package main",
        "",
        "import (",
        '\t"fmt"',
        '\t"os"',
        *(f'\t"example.com/generated/{package}"' for package in packages),
        ")",
        "",
        "func check(code string, status int, foundCode string, foundStatus int, known bool) {",
        "\tif !known || foundCode != code || foundStatus != status {",
        '\t\tfmt.Printf("expected %s %d, found %s %d\\n", code, status, foundCode, foundStatus)',
        "\t\tos.Exit(1)",
        "\t}",
        "}",
        "",
        "func main() {",
    ]
    for package, catalog in zip(packages, generated.catalogs, strict=True):
        for check in generated.checks[catalog.slug]:
            spelling = json.dumps(check.spelling, ensure_ascii=False)
            lines += [
                f"\tif e := {package}.Lookup({spelling}); true {{",
                f"\t\tcheck({json.dumps(check.code, ensure_ascii=False)}, {check.status}, "
                "e.Code, e.HTTPStatus, e.Known)",
                "\t}",
            ]
    odd = packages[generated.odd]
    lines += [
        f'\tif {odd}.Lookup("NO_SUCH_CODE").Known {{',
        '\t\tpanic("unknown code")',
        "\t}",
        f'\tif _, stated := {odd}.IsRetryable("{NOT_STATED_CODE}"); stated {{',
        '\t\tpanic("not stated")',
        "\t}",
        f'\tif r, stated := {odd}.IsRetryable("404"); r || !stated {{',
        '\t\tpanic("never")',
        "\t}",
        f'\tif r, _ := {odd}.IsRetryable("rate-limited"); !r {{',
        '\t\tpanic("retry after")',
        "\t}",
        '\tfmt.Println("ok")',
        "}",
    ]
    (folder / "cmd/check").mkdir(parents=True)
    (folder / "cmd/check/main.go").write_text("\n".join(lines) + "\n")
    env = {"GOFLAGS": "-mod=mod", "GO111MODULE": "on", "GOPROXY": "off"}
    run(go_tool, "vet", "./...", cwd=folder, env=env)
    assert run(go_tool, "run", "./cmd/check", cwd=folder, env=env).strip() == "ok"


def test_java_passes_javac_lint_and_looks_every_code_up(generated):
    javac = require("javac", "javac")
    java_tool = require("java", "java")
    folder = generated.directory / "java"
    classes = [
        f"{java.package(catalog)}.{java.class_name(catalog)}" for catalog in generated.catalogs
    ]
    lines = [
        "public final class Check {",
        "    private Check() {",
        "    }",
        "",
        "    private static void check(String code, int status, String foundCode,",
        "            int foundStatus, boolean known) {",
        "        if (!known || !foundCode.equals(code) || foundStatus != status) {",
        '            throw new AssertionError("expected " + code + " " + status + ", found "',
        '                    + foundCode + " " + foundStatus);',
        "        }",
        "    }",
        "",
    ]
    # One method per service: a method's code is limited to 64 KiB.
    for number, (cls, catalog) in enumerate(zip(classes, generated.catalogs, strict=True)):
        lines.append(f"    private static void service{number}() {{")
        for check in generated.checks[catalog.slug]:
            lines += [
                f"        {{ {cls} e = {cls}.lookup({json.dumps(check.spelling)});",
                f"          check({json.dumps(check.code)}, {check.status}, e.code(), "
                "e.httpStatus().orElse(0), e.isKnown()); }",
            ]
        lines += ["    }", ""]
    odd = classes[generated.odd]
    lines += [
        "    public static void main(String[] args) {",
        *(f"        service{number}();" for number in range(len(classes))),
        f'        if ({odd}.lookup("NO_SUCH_CODE") != {odd}.UNKNOWN) {{',
        '            throw new AssertionError("unknown code");',
        "        }",
        f'        if ({odd}.isRetryable("{NOT_STATED_CODE}").isPresent()) {{',
        '            throw new AssertionError("not stated");',
        "        }",
        f'        if ({odd}.isRetryable("404").orElseThrow()) {{',
        '            throw new AssertionError("never");',
        "        }",
        f'        if (!{odd}.isRetryable("rate-limited").orElseThrow()) {{',
        '            throw new AssertionError("retry after");',
        "        }",
        '        System.out.println("ok");',
        "    }",
        "}",
    ]
    (folder / "Check.java").write_text("\n".join(lines) + "\n")
    sources = sorted(str(path.relative_to(folder)) for path in folder.rglob("*.java"))
    run(javac, "-Xlint:all", "-Werror", "-encoding", "UTF-8", "-d", "out", *sources, cwd=folder)
    assert run(java_tool, "-cp", "out", "Check", cwd=folder).strip() == "ok"
