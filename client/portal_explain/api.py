"""The few calls portal-explain makes to a portal's JSON API (`/api/v1/`), with urllib."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

TIMEOUT = 15


class PortalError(Exception):
    """The portal could not be asked, or answered with an error: the message says which
    and what to do."""


class Portal:
    """A portal at `url` (e.g. https://errors.example.com), with an optional API token."""

    def __init__(self, url: str, token: str = "") -> None:
        parts = urllib.parse.urlsplit(url)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.query
            or parts.fragment
        ):
            raise PortalError(
                f"PORTAL_URL must be the portal's address, like https://errors.example.com, "
                f"not {url!r}."
            )
        self.url = url.rstrip("/")
        self.token = token

    def _request(self, path: str, data: Any = None) -> Any:
        headers = {"Accept": "application/json", "User-Agent": "portal-explain"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        body = None
        if data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return self._json(response.status, response.headers, response.read())
        except urllib.error.HTTPError as exc:
            answer = self._json(exc.code, exc.headers, exc.read())
            detail = answer.get("detail") or answer.get("title") if isinstance(answer, dict) else ""
            hint = ""
            if exc.code in (401, 403) and not self.token:
                hint = " Set PORTAL_TOKEN to an API token if the portal requires login."
            raise PortalError(
                f"the portal answered {exc.code} {exc.reason}: {detail or 'no details'}.{hint}"
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PortalError(
                f"cannot reach the portal at {self.url} ({reason}). Is it running? "
                "Set PORTAL_URL to its address."
            ) from None

    def _json(self, status: int, headers: Any, raw: bytes) -> Any:
        kind = headers.get("Content-Type", "") if headers else ""
        if "json" not in kind:
            raise PortalError(
                f"{self.url} answered {status} with {kind or 'no content type'}, not JSON: "
                "is PORTAL_URL the portal's address?"
            )
        try:
            return json.loads(raw.decode("utf-8"))
        except ValueError:
            raise PortalError(
                f"{self.url} answered {status} with JSON that does not parse."
            ) from None

    def _results(self, answer: Any) -> list[dict]:
        if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
            raise PortalError(
                f"{self.url} answered JSON that is not the portal's API: is PORTAL_URL the "
                "portal's address?"
            )
        return answer["results"]

    def lookup(self, code: str, service: str = "") -> list[dict]:
        """Every entry with this code or alias (in one service, or all)."""
        params = {"code": code, **({"service": service} if service else {})}
        return self._results(self._request("/api/v1/lookup/?" + urllib.parse.urlencode(params)))

    def entry(self, service: str, code: str) -> dict:
        """One entry with everything its page shows."""
        quoted = urllib.parse.quote(code, safe="")
        return self._request(f"/api/v1/services/{urllib.parse.quote(service)}/errors/{quoted}/")

    def search(self, query: str, service: str = "", limit: int = 10) -> list[dict]:
        """The best entries for a query."""
        params = {"q": query, "per_page": str(limit), **({"service": service} if service else {})}
        return self._results(self._request("/api/v1/errors/?" + urllib.parse.urlencode(params)))

    def identify(self, response: dict) -> list[dict]:
        """The entries a raw error response most likely is, best first."""
        return self._results(self._request("/api/v1/identify/", response))
