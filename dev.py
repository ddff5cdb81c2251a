#!/usr/bin/env python3
"""Set up and run the error portal from a fresh clone, with nothing but Python 3.11+.

python3 dev.py start [ADDRESS]  # virtualenv, install, migrate, demo catalogs, serve on
                                # http://127.0.0.1:8000 (or ADDRESS, e.g. 127.0.0.1:9000)
python3 dev.py test [ARGS]      # the test suite (ARGS go to pytest)
python3 dev.py django6 [ARGS]   # the test suite on Django 6 in .venv-django6, with a Python
                                # 3.12+ found on this machine (browser tests left out)
python3 dev.py manage COMMAND   # any manage.py command, with the development settings
python3 dev.py lock [--upgrade | --check]
                                # regenerate requirements/*.txt from pyproject.toml with uv
                                # (--upgrade: newest versions; --check: fail if out of date)
"""

from __future__ import annotations

import filecmp
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import venv
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent
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


@dataclass(frozen=True)
class Environment:
    """A virtual environment that holds exactly one lock file."""

    folder: Path
    lock: Path

    @property
    def bin(self) -> Path:
        return self.folder / ("Scripts" if os.name == "nt" else "bin")

    @property
    def python(self) -> Path:
        return self.bin / ("python.exe" if os.name == "nt" else "python")

    @property
    def stamp(self) -> Path:
        return self.folder / ".requirements.sha256"


DEV = Environment(ROOT / ".venv", REQUIREMENTS / "dev.txt")
DJANGO6 = Environment(ROOT / ".venv-django6", REQUIREMENTS / "django6.txt")


def lock_digest(env: Environment) -> str:
    """A digest of the lock file, to know when to install it again."""
    return hashlib.sha256(env.lock.read_bytes()).hexdigest()


def ensure_environment(env: Environment, base_python: str = sys.executable) -> None:
    """Create the venv and install its lock file with pip whenever the lock changed."""
    if not env.python.exists():
        print(f"Creating the virtual environment in {env.folder.name} ...", flush=True)
        if Path(base_python) == Path(sys.executable):
            venv.create(env.folder, with_pip=True)
        else:
            run(base_python, "-m", "venv", env.folder)
    wanted = lock_digest(env)
    if env.stamp.exists() and env.stamp.read_text() == wanted:
        return
    print(f"Installing {env.lock.relative_to(ROOT)} ...", flush=True)
    # Every line of the lock carries its hashes, so pip checks each file it installs.
    pip(env, "install", "--require-hashes", "-r", env.lock)
    remove_unlisted(env)
    env.stamp.write_text(wanted)


def remove_unlisted(env: Environment) -> None:
    """Uninstall what an older lock installed and this one no longer lists (a pytest
    plugin left behind would still load)."""
    listed = {normalize(m) for m in re.findall(r"^([A-Za-z0-9._-]+)==", env.lock.read_text(), re.M)}
    installed = subprocess.run(
        [env.python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    keep = listed | {"pip", "setuptools", "wheel", "uv"}
    extra = sorted(p["name"] for p in json.loads(installed) if normalize(p["name"]) not in keep)
    if extra:
        print(f"Removing what the lock no longer lists: {', '.join(extra)}", flush=True)
        pip(env, "uninstall", "--yes", *extra)


def pip(env: Environment, command: str, *args: object) -> None:
    """Run pip in the venv, quietly (this machine's pip configuration applies)."""
    run(env.python, "-m", "pip", command, "--quiet", "--disable-pip-version-check", *args)


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def run(*command: object, env: dict[str, str] | None = None, cwd: Path = ROOT) -> None:
    """Run a command in the project folder; stop with its exit status if it fails."""
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


def start(extra: list[str]) -> None:
    """Migrate, load the demo catalogs and serve the portal for development."""
    ensure_environment(DEV)
    env = {**os.environ, "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "1")}
    run(DEV.python, "manage.py", "migrate", "--no-input", env=env)
    run(DEV.python, "manage.py", "load_demo", env=env)
    address = extra[0] if extra else "127.0.0.1:8000"
    print(f"\nThe portal runs on http://{address}/  (Ctrl-C stops it)\n", flush=True)
    os.execve(DEV.python, [str(DEV.python), "manage.py", "runserver", address], env)


def test(extra: list[str]) -> None:
    """Run pytest with any extra arguments, on every core unless they say otherwise."""
    ensure_environment(DEV)
    run(DEV.python, "-m", "pytest", *workers(extra), *extra)


def django6(extra: list[str]) -> None:
    """Run pytest on Django 6, in its own venv made with a Python 3.12 or newer."""
    base = python_for_django6()
    ensure_environment(DJANGO6, base)
    # No cache: its last-failed list would otherwise mix with the main run's.
    run(DJANGO6.python, "-m", "pytest", "-p", "no:cacheprovider", "--ignore=tests/browser",
        *workers(extra), *extra)  # fmt: skip


def workers(extra: list[str]) -> list[str]:
    """pytest-xdist's `-n auto` (a worker per core), unless the arguments choose (`-n 0`
    runs in one process, as a debugger wants)."""
    chosen = "no:xdist" in extra or any(
        arg.startswith(("-n", "--numprocesses", "--dist")) for arg in extra
    )
    return [] if chosen else ["-n", "auto"]


def python_for_django6() -> str:
    """The first Python 3.12+ on this machine: this one, one on PATH, or one of pyenv's."""
    candidates = [sys.executable]
    candidates += filter(None, (shutil.which(f"python3.{minor}") for minor in (12, 13, 14)))
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += sorted(glob.glob(str(pyenv / "3.1[2-9]*" / "bin" / "python3")))
    check = "import sys; sys.exit(sys.version_info < (3, 12))"
    for candidate in candidates:
        # A pyenv shim is on PATH even when its version is not selected: run each one.
        if subprocess.run([candidate, "-c", check], capture_output=True).returncode == 0:
            return candidate
    sys.exit("The Django 6 run needs Python 3.12 or newer, and none was found on this machine.")


def manage(extra: list[str]) -> None:
    """Run a manage.py command with the development settings (debug on, SQLite)."""
    ensure_environment(DEV)
    env = {**os.environ, "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "1")}
    run(DEV.python, "manage.py", *extra, env=env)


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
    if not DEV.python.exists():
        venv.create(DEV.folder, with_pip=True)
    uv = DEV.bin / ("uv.exe" if os.name == "nt" else "uv")
    if uv.exists():
        version = subprocess.run([uv, "--version"], capture_output=True, text=True).stdout
        if version.split()[1:2] == [UV_VERSION]:
            return uv
    print(f"Installing uv {UV_VERSION} into .venv ...", flush=True)
    pip(DEV, "install", f"uv=={UV_VERSION}")
    return uv


# The project is an application and is never built: pyproject.toml names this file as its
# build backend so that `pip install .` stops at once and says why (PEP 517 hooks).
NOT_BUILT = (
    "The error portal is an application, not a package: it is not built or installed with "
    "`pip install .`.\nFrom a checkout, `python3 dev.py start` sets it up for development; "
    "docs/deployment.md installs requirements/runtime.txt for production."
)


def _not_built(*args: object, **kwargs: object) -> None:
    sys.exit(NOT_BUILT)


get_requires_for_build_wheel = get_requires_for_build_sdist = _not_built
get_requires_for_build_editable = build_wheel = build_sdist = build_editable = _not_built


def main() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit(f"The portal needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    commands = {"start": start, "test": test, "django6": django6, "manage": manage, "lock": lock}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
