"""The request and response values passed between the HTTP server and the platform routes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

JSON_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Request:
    """One HTTP request as the platform routes see it (headers are case-insensitive)."""

    method: str
    target: str  # path plus query string, as received
    headers: Mapping[str, str]
    body: bytes = b""

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        """The query string; the last value wins for a repeated name."""
        parsed = parse_qs(urlsplit(self.target).query, keep_blank_values=True)
        return {name: values[-1] for name, values in parsed.items()}

    def header(self, name: str) -> str | None:
        """A header value by case-insensitive name."""
        value = self.headers.get(name)
        if value is not None:
            return value
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response (compact, ASCII-escaped like PHP's ``json_encode``)."""
    body = orjson.dumps(payload)  # compact; about ten times faster for 70 KB calendars
    if not body.isascii():  # orjson cannot escape: let the stdlib write the \uXXXX escapes
        body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, {"Content-Type": JSON_TYPE, **(headers or {})})
