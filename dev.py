#!/usr/bin/env python3
"""Set up and run the error portal from a fresh clone, with nothing but Python 3.11+.

python3 dev.py start [ADDRESS]  # virtualenv, install, migrate, demo catalogs, serve on
                                # http://127.0.0.1:8000 (or ADDRESS, e.g. 127.0.0.1:9000)
python3 dev.py test [ARGS]      # the test suite (ARGS go to pytest)
python3 dev.py manage COMMAND   # any manage.py command, with the development settings
python3 dev.py lock [--upgrade | --check]
                                # regenerate requirements/*.txt from pyproject.toml with uv
                                # (--upgrade: newest versions; --check: fail if out of date)
"""

from __future__ import annotations

import filecmp
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".requirements.sha256"
REQUIREMENTS = ROOT / "requirements"
# The tool that writes the lock files, installed into .venv by `python3 dev.py lock` only.
UV_VERSION = "0.13.9"

# Every lock file, in the order they are made: each `uv pip compile` with its groups of
# pyproject.toml, the oldest Python it must serve and the lock it must agree with.
LOCKS = [
    # Production servers (docs/deployment.md): the runtime dependencies on Django 5.2.
    ("runtime.txt", ["--group", "django52"], "3.11", None),
    # Development and CI: the same pins plus the tools.
    ("dev.txt", ["--group", "dev", "--group", "django52"], "3.11", "runtime.txt"),
    # The Django 6 run: Django 6 needs Python 3.12 or newer.
    ("django6.txt", ["--group", "dev", "--group", "django6"], "3.12", None),
]


def requirements_digest() -> str:
    """A digest of the pinned requirement files, to know when to reinstall."""
    digest = hashlib.sha256()
    for name in ("requirements.txt", "requirements-dev.txt"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_environment() -> None:
    """Create .venv and install the pinned requirements when they changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit(f"The portal needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    wanted = requirements_digest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("Installing the pinned requirements ...", flush=True)
    run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "-r", str(ROOT / "requirements-dev.txt"))  # fmt: skip
    STAMP.write_text(wanted)


def run(*command: object, env: dict[str, str] | None = None, cwd: Path = ROOT) -> None:
    """Run a command in the project folder; stop with its exit status if it fails."""
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


def start(extra: list[str]) -> None:
    """Migrate, load the demo catalogs and serve the portal for development."""
    env = {**os.environ, "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "1")}
    run(PYTHON, "manage.py", "migrate", "--no-input", env=env)
    run(PYTHON, "manage.py", "load_demo", env=env)
    address = extra[0] if extra else "127.0.0.1:8000"
    print(f"\nThe portal runs on http://{address}/  (Ctrl-C stops it)\n", flush=True)
    os.execve(PYTHON, [str(PYTHON), "manage.py", "runserver", address], env)


def test(extra: list[str]) -> None:
    """Run pytest with any extra arguments."""
    run(PYTHON, "-m", "pytest", *extra)


def manage(extra: list[str]) -> None:
    """Run a manage.py command with the development settings (debug on, SQLite)."""
    env = {**os.environ, "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "1")}
    run(PYTHON, "manage.py", *extra, env=env)


def lock(extra: list[str]) -> None:
    """Regenerate the lock files from pyproject.toml with uv; never edit them by hand.

    uv keeps the versions already locked unless pyproject.toml asks otherwise, so a run
    changes only what must change; --upgrade takes the newest versions that fit; --check
    regenerates into a scratch folder and fails if that differs from requirements/."""
    if extra not in ([], ["--upgrade"], ["--check"]):
        sys.exit("usage: python3 dev.py lock [--upgrade | --check]")
    uv = install_uv()
    if extra == ["--check"]:
        with tempfile.TemporaryDirectory() as scratch:
            fresh = Path(scratch) / "requirements"
            shutil.copy(ROOT / "pyproject.toml", scratch)
            shutil.copytree(REQUIREMENTS, fresh)
            compile_locks(uv, Path(scratch), [])
            stale = [
                f"requirements/{name}"
                for name, *_ in LOCKS
                if not filecmp.cmp(REQUIREMENTS / name, fresh / name, shallow=False)
            ]
        if stale:
            sys.exit(
                f"Out of date with pyproject.toml: {', '.join(stale)}\n"
                "Run `python3 dev.py lock` and commit the result."
            )
        print("The lock files agree with pyproject.toml.")
        return
    compile_locks(uv, ROOT, extra)


def compile_locks(uv: Path, folder: Path, extra: list[str]) -> None:
    (folder / "requirements").mkdir(exist_ok=True)
    for name, groups, python, agree_with in LOCKS:
        constraint = ["--constraint", f"requirements/{agree_with}"] if agree_with else []
        print(f"Locking requirements/{name} ...", flush=True)
        command = ["pip", "compile", "--quiet", "pyproject.toml", *groups, *constraint]
        command += ["--universal", "--python-version", python, "--generate-hashes"]
        command += ["--custom-compile-command", "python3 dev.py lock"]
        run(uv, *command, "--output-file", f"requirements/{name}", *extra, cwd=folder)


def install_uv() -> Path:
    """uv in .venv, at the version the lock files are made with."""
    if not PYTHON.exists():
        venv.create(VENV, with_pip=True)
    uv = BIN / ("uv.exe" if os.name == "nt" else "uv")
    if uv.exists():
        version = subprocess.run([uv, "--version"], capture_output=True, text=True).stdout
        if version.split()[1:2] == [UV_VERSION]:
            return uv
    print(f"Installing uv {UV_VERSION} into .venv ...", flush=True)
    run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        f"uv=={UV_VERSION}")  # fmt: skip
    return uv


def main() -> None:
    commands = {"start": start, "test": test, "manage": manage}
    if sys.argv[1:2] == ["lock"]:  # before any install: it makes what is installed
        lock(sys.argv[2:])
        return
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    ensure_environment()
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
