"""`portal-explain`: look a code up, identify a raw response or search, from the terminal."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from portal_explain import __version__
from portal_explain.api import Portal, PortalError
from portal_explain.raw import parse_response
from portal_explain.render import explain, headline

DEFAULT_URL = "http://127.0.0.1:8000"
FOUND, NOTHING, FAILED = 0, 1, 2


def parser() -> argparse.ArgumentParser:
    """The command's arguments."""
    command = argparse.ArgumentParser(
        prog="portal-explain",
        description="Explain an API error code from the error portal (like rustc --explain). "
        f"PORTAL_URL names the portal (default {DEFAULT_URL}); PORTAL_TOKEN is an API token "
        "for a portal that requires login.",
        epilog="Exit status: 0 found, 1 nothing matched, 2 the portal could not be asked.",
    )
    command.add_argument(
        "code",
        nargs="?",
        help="A code or old name, e.g. RATE_LIMITED, "
        "rate-limited or 404: case, _, - and spaces do not matter.",
    )
    command.add_argument("--service", default="", metavar="SLUG", help="Only this service.")
    mode = command.add_mutually_exclusive_group()
    mode.add_argument(
        "--identify",
        action="store_true",
        help="Read a raw error response on standard input (the body, or the full "
        "HTTP text as curl -i shows it) and say which codes it is.",
    )
    mode.add_argument(
        "--search",
        metavar="WORDS",
        help='Search the catalog, e.g. "key was revoked" or "status:429 service:sigsentry".',
    )
    command.add_argument(
        "--status",
        type=int,
        metavar="N",
        help="With --identify: the HTTP status, when standard input is only the body.",
    )
    command.add_argument("--json", action="store_true", help="Print the API's JSON, for scripts.")
    command.add_argument(
        "--portal",
        default=os.environ.get("PORTAL_URL") or DEFAULT_URL,
        metavar="URL",
        help="The portal's address (default: $PORTAL_URL).",
    )
    command.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return command


def _print(data: Any, as_json: bool, text: str) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False) if as_json else text)


def run(options: argparse.Namespace, portal: Portal) -> int:
    """Do what the options ask; return the exit status."""
    if options.search is not None:
        query = options.search.strip()
        if not query:
            raise PortalError('--search needs words, e.g. --search "key was revoked".')
        found = portal.search(query, options.service)
        if not found:
            print(f"Nothing in the catalog matches {query!r}.", file=sys.stderr)
            return NOTHING
        text = "\n".join(f"{headline(entry)}\n    {entry['html_url']}" for entry in found)
        _print(found, options.json, text)
        return FOUND
    if options.identify:
        raw = sys.stdin.read()
        if not raw.strip():
            raise PortalError(
                "--identify reads a response on standard input, and it was empty: "
                "portal-explain --identify < response.txt"
            )
        found = portal.identify(parse_response(raw, options.status, options.service))
        if not found:
            print("No code of the catalog matches this response.", file=sys.stderr)
            return NOTHING
        if options.json:
            _print(found, True, "")
            return FOUND
        lines = [
            f"{entry['confidence']:.0%}  {headline(entry)}\n      {entry['reason']}"
            for entry in found
        ]
        best = portal.entry(found[0]["service"], found[0]["code"])
        print("\n".join(lines) + "\n\n" + explain(best))
        return FOUND
    if not options.code or not options.code.strip():
        raise PortalError(
            "name a code (portal-explain RATE_LIMITED), or use --identify or --search."
        )
    found = portal.lookup(options.code.strip(), options.service)
    if not found:
        message = f"No error code {options.code!r} in the catalog"
        message += f" of {options.service}." if options.service else "."
        near = portal.search(options.code, options.service, limit=5)
        if near:
            message += (
                " Did you mean: "
                + ", ".join(f"{entry['code']} ({entry['service']})" for entry in near)
                + "?"
            )
        print(message, file=sys.stderr)
        return NOTHING
    entries = [portal.entry(entry["service"], entry["code"]) for entry in found]
    _print(entries, options.json, "\n\n".join(explain(entry) for entry in entries))
    return FOUND


def main(argv: list[str] | None = None) -> int:
    """The command's entry point."""
    options = parser().parse_args(argv)
    if options.status is not None and not options.identify:
        parser().error("--status goes with --identify.")
    try:
        return run(options, Portal(options.portal, os.environ.get("PORTAL_TOKEN", "")))
    except PortalError as exc:
        print(f"portal-explain: {exc}", file=sys.stderr)
        return FAILED
    except KeyboardInterrupt:
        return 130
