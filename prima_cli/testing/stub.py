"""A platform described in a few lines, answering over ``httpx.MockTransport`` (no network).

A plugin author describes each operation's request and its answers as an :class:`Endpoint`;
:class:`PlatformStub` serves them to an adapter's client, records every request, and lets a
test replace an endpoint's answer by another :class:`Reply` or a transport error.
"""

from __future__ import annotations

import json as jsonlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

#: the operations of the contract, by the endpoint name that describes them
OPERATIONS = ("auth", "availability", "create", "cancel")


@dataclass(frozen=True)
class Reply:
    """One HTTP answer: a status, and a JSON body or a text body, and headers."""

    status: int = 200
    json: Any = None
    text: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def body(self) -> bytes:
        """The body as bytes (JSON when ``json`` is set, else ``text``, else empty)."""
        if self.json is not None:
            return jsonlib.dumps(self.json).encode()
        return (self.text or "").encode()

    def content_type(self) -> str:
        return "application/json" if self.json is not None else "text/html; charset=utf-8"

    def response(self, request: httpx.Request | None = None) -> httpx.Response:
        """A fresh ``httpx.Response`` for ``request``."""
        headers = {"Content-Type": self.content_type(), **self.headers}
        return httpx.Response(self.status, headers=headers, content=self.body(), request=request)


@dataclass(frozen=True)
class Endpoint:
    """A request of the platform's API and the answers the conformance kit needs from it.

    ``name`` is the operation it serves (``auth``, ``availability``, ``create``, ``cancel``)
    or any other name for a helper request (a token, a look-up). ``path`` is a regular
    expression searched in the request's URL path (``r"/bookings$"``). ``ok`` is the
    success answer; ``refused`` (for ``auth``) refuses the credentials; ``rejected`` (for
    ``create``) is a refusal with the platform's own message that is not about
    availability, and ``full`` one that says the slot has no room.
    """

    name: str
    method: str
    path: str
    ok: Reply
    refused: Reply | None = None
    rejected: Reply | None = None
    full: Reply | None = None

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with ``method`` and URL ``path`` is this endpoint's."""
        return method.upper() == self.method.upper() and re.search(self.path, path) is not None


#: what an endpoint may answer instead of its reply: a Reply, or a transport error class
#: (``httpx.ReadTimeout``, ``httpx.ConnectError``...) raised as if the network failed
Answer = Reply | type[httpx.TransportError]


class PlatformStub:
    """Answers requests from described endpoints; unknown requests get 404 and are kept.

    Use :attr:`transport` as the adapter client's transport (``http.build_client(
    transport=stub.transport)``); :meth:`answer` replaces one endpoint's reply.
    """

    def __init__(self, endpoints: Iterable[Endpoint]) -> None:
        self.endpoints = {e.name: e for e in endpoints}
        self._answers: dict[str, Answer] = {}
        self._calls: dict[str, list[httpx.Request]] = {name: [] for name in self.endpoints}
        #: requests no endpoint describes (answered 404)
        self.unmatched: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self.handle)

    def answer(self, name: str, answer: Answer) -> None:
        """From now on, endpoint ``name`` answers ``answer`` (every time)."""
        if name not in self.endpoints:
            raise KeyError(f"no endpoint {name!r} is described")
        self._answers[name] = answer

    def calls(self, name: str) -> list[httpx.Request]:
        """The requests endpoint ``name`` received, in order."""
        return list(self._calls[name])

    def endpoint_for(self, method: str, path: str) -> str | None:
        """The name of the first endpoint that describes ``method path``."""
        return next((n for n, e in self.endpoints.items() if e.matches(method, path)), None)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The ``httpx.MockTransport`` handler."""
        request.read()
        name = self.endpoint_for(request.method, request.url.path)
        if name is None:
            self.unmatched.append(request)
            return Reply(404, json={"error": "no such endpoint in the stub"}).response(request)
        self._calls[name].append(request)
        answer = self._answers.get(name, self.endpoints[name].ok)
        if isinstance(answer, Reply):
            return answer.response(request)
        raise answer(f"stub: {answer.__name__}", request=request)
