#!/usr/bin/env python3
"""Set up and run the error portal from a fresh clone, with nothing but Python 3.11+.

python3 dev.py start [ADDRESS]  # virtualenv, install, migrate, demo catalogs, serve on
                                # http://127.0.0.1:8000 (or ADDRESS, e.g. 127.0.0.1:9000)
python3 dev.py test [ARGS]      # the test suite (ARGS go to pytest)
python3 dev.py manage COMMAND   # any manage.py command, with the development settings
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
REQUIREMENTS = ROOT / "requirements-dev.txt"
STAMP = VENV / ".requirements.sha256"


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
        "-r", str(REQUIREMENTS))  # fmt: skip
    STAMP.write_text(wanted)


def run(*command: object, env: dict[str, str] | None = None) -> None:
    """Run a command in the project folder; stop with its exit status if it fails."""
    result = subprocess.run([str(part) for part in command], cwd=ROOT, env=env)
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


def main() -> None:
    commands = {"start": start, "test": test, "manage": manage}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    ensure_environment()
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
