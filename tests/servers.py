"""Real servers for tests of what crosses a process boundary: gunicorn app servers, and a
TCP relay that can cut a connection to PostgreSQL the way a network outage does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import closing, suppress
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reachable(host: str, port: int) -> bool:
    """True when a TCP connection to host:port succeeds."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip when a server is missing on a developer's machine; in CI, fail instead."""
    if reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if os.environ.get("CI"):
        pytest.fail(f"{message}: CI must run this test against a real {name}.")
    pytest.skip(message)


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    """GET a URL; any status comes back, not an exception."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def manage(env: dict[str, str], *args: str) -> None:
    """Run a management command with the given environment."""
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                   capture_output=True)  # fmt: skip


CREATE_PUBLISHER = """
from django.contrib.auth.models import Permission, User
from rest_framework.authtoken.models import Token
user = User.objects.create_user("publisher")
user.user_permissions.add(Permission.objects.get(codename="change_errorcode"))
from errors.models import Service
Service.objects.get(slug="aisafe").publishers.add(user)  # publishing is per service
print(Token.objects.create(user=user).key)
"""


def publisher_token(env: dict[str, str]) -> str:
    """The API token of a new user who may publish AISafe's catalog, in the database of `env`."""
    command = [sys.executable, "manage.py", "shell", "-c", CREATE_PUBLISHER]
    output = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return output.stdout.strip().splitlines()[-1]


def production_env(**extra: str) -> dict[str, str]:
    """The environment of an app server with production settings (debug off)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SECRET_KEY="tests-only-production-like-secret-key-0123456789-abcdefghij",
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_STATIC_MANIFEST="0",
        DJANGO_SECURE_COOKIES="0",
        DATABASE_CONN_MAX_AGE="0",
    )
    env.update(extra)
    return env


class AppServer:
    """A gunicorn process serving the portal on a free port."""

    def __init__(self, env: dict[str, str], workers: int = 1):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = ROOT / f".pytest_cache/gunicorn-{self.port}.log"
        self.log.parent.mkdir(exist_ok=True)
        command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                   "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                   "--access-logfile", "-", "portal.wsgi"]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT
        )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()}")
            if reachable("127.0.0.1", self.port):
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start:\n{self.log.read_text()}")

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
        """GET a path from this server."""
        return http_get(self.url + path, headers)

    def output(self) -> str:
        """What the server logged so far."""
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        """Stop the server and its workers."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


class TcpRelay:
    """Forwards a local port to a real server; `cut()` drops every connection and refuses
    new ones, `restore()` lets them through again: a network outage, for real."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.open = True
        self.connections: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.listener.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            if not self.open:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Drop every open connection and refuse new ones."""
        self.open = False
        for sock in self.connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            except OSError:
                pass
        self.connections.clear()

    def restore(self) -> None:
        """Let connections through again."""
        self.open = True

    def close(self) -> None:
        """Stop relaying."""
        self.cut()
        self.running = False
        self.listener.close()


class CachingProxy:
    """nginx with the portal's caching proxy configuration (deploy/nginx-cache.conf) in
    front of an app server, on a free port, its files in `folder`."""

    def __init__(self, app_port: int, folder: Path):
        from benchmarks.proxy import NGINX, nginx

        if not NGINX.exists():
            message = "nginx is not installed (apt-get install nginx-light)"
            if os.environ.get("PORTAL_PROXY_TESTS") == "required":
                pytest.fail(f"{message}: CI must run the proxy tests.")
            pytest.skip(message)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._running = nginx(app_port, self.port, folder)
        self._running.__enter__()

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
        """GET a path through the proxy."""
        return http_get(self.url + path, headers)

    def stop(self) -> None:
        """Stop nginx."""
        self._running.__exit__(None, None, None)
