"""A small, strict Server-Sent Events parser for the tests (per the WHATWG event-stream rules)."""

from __future__ import annotations

import json
from typing import Any


def parse_sse(body: str) -> list[tuple[str, str]]:
    """(event, data) pairs in order; comments (pings) are skipped, data lines joined by newline."""
    events: list[tuple[str, str]] = []
    event, data = "message", list[str]()
    for raw in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if raw == "":
            if data:
                events.append((event, "\n".join(data)))
            event, data = "message", []
            continue
        if raw.startswith(":"):
            continue
        field, _, value = raw.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
    return events


def sse_json(body: str) -> list[tuple[str, Any]]:
    return [(event, json.loads(data)) for event, data in parse_sse(body)]
