"""nginx with deploy/nginx-cache.conf in front of an app server: started for the proxy
benchmark and for tests/test_proxy_cache.py, the same configuration in both."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX = Path("/usr/sbin/nginx")
SITE = ROOT / "deploy" / "nginx-cache.conf"


def site_config(app_port: int, port: int, cache: Path) -> str:
    """deploy/nginx-cache.conf with its app server, listen address and cache folder set."""
    site = SITE.read_text()
    for old, new in (
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
        ("listen 8080;", f"listen 127.0.0.1:{port};"),
        ("/var/cache/nginx/portal", str(cache)),
    ):
        if old not in site:
            raise ValueError(f"{SITE} no longer holds {old!r}")
        site = site.replace(old, new)
    return site


def write_config(app_port: int, port: int, folder: Path) -> Path:
    """A whole nginx.conf in `folder` (its pid, logs and temporary files there too)."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o777)  # nginx's workers run as another user when started as root
    (folder / "portal.conf").write_text(site_config(app_port, port, folder / "cache"))
    temp = " ".join(
        f"{kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;" if os.geteuid() == 0 else ""
    config = folder / "nginx.conf"
    config.write_text(
        f"{user} daemon off; worker_processes 1; pid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn; events {{ worker_connections 1024; }}\n"
        f"http {{ access_log off; {temp} include {folder / 'portal.conf'}; }}\n"
    )
    return config


@contextlib.contextmanager
def nginx(app_port: int, port: int, folder: Path) -> Iterator[subprocess.Popen]:
    """nginx serving `port` in front of the app server on `app_port`, until the block ends."""
    config = write_config(app_port, port, folder)
    server = subprocess.Popen(
        [str(NGINX), "-p", str(folder), "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while not _listening(port):
            if server.poll() is not None or time.monotonic() > deadline:
                log = folder / "error.log"
                raise RuntimeError(
                    f"nginx did not start:\n{log.read_text() if log.exists() else ''}"
                )
            time.sleep(0.05)
        yield server
    finally:
        stop(server, timeout=15)


def stop(server: subprocess.Popen, timeout: float) -> None:
    """Terminate a server process, killing it if it has not stopped within `timeout` s."""
    server.terminate()
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False
