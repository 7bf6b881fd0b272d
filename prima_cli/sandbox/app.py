"""Per-request pipeline: latency, faults, routing to a platform, and the request log."""

from __future__ import annotations

import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Literal

from prima_cli.sandbox import covermanager, restoo
from prima_cli.sandbox.config import SandboxConfig, Switches
from prima_cli.sandbox.faults import FaultInjector, FaultRule
from prima_cli.sandbox.seed import COVERMANAGER, RESTOO
from prima_cli.sandbox.state import SandboxState
from prima_cli.sandbox.wire import Request, Response, json_response

_HTML_PAGE = (
    "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_REASONS = {200: "OK", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout", 429: "Too Many Requests"}  # fmt: skip


@dataclass(frozen=True)
class RequestRecord:
    """One handled request (the CoverManager key in a path is replaced by ``***``)."""

    method: str
    path: str
    status: int | None  # None when no response was sent (hang, reset)
    platform: str | None
    fault: str | None = None  # the fault kind applied, if any
    #: ``time.monotonic()`` when it was answered (tests count requests per time window)
    at: float = field(default_factory=time.monotonic, compare=False)


@dataclass(frozen=True)
class Outcome:
    """What the HTTP layer does: send ``response``, or drop the connection."""

    response: Response | None
    drop: Literal["reset", "close"] | None = None


class SandboxApp:
    """Everything behind the socket; one instance per sandbox, shared by all threads."""

    def __init__(self, config: SandboxConfig, state: SandboxState) -> None:
        self.config = config
        self.state = state
        self.switches: Switches = config.switches  # replaced wholesale; read once per request
        self.faults = FaultInjector(config.seed)
        for rule in config.faults:
            self.faults.add(rule)
        self.stopping = threading.Event()  # wakes latency and hang sleeps on stop
        self._cm = covermanager.CoverManagerAPI(state, config)
        self._restoo = restoo.RestooAPI(state)
        self._log: list[RequestRecord] = []
        self._log_lock = threading.Lock()

    @property
    def log(self) -> list[RequestRecord]:
        with self._log_lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    def handle(self, req: Request) -> Outcome:
        platform = platform_of(req.path)
        if self.config.latency_ms > 0:
            self.stopping.wait(self.config.latency_ms / 1000)
        rule = self.faults.take(platform, req.path, req.method)
        processed = None
        if rule is None or rule.effective_phase == "after":
            processed = self._route(req, platform)
        outcome = self._apply(rule, platform, processed) if rule else Outcome(processed)
        self._record(req, platform, outcome, rule)
        return outcome

    def _route(self, req: Request, platform: str | None) -> Response:
        sw = self.switches
        try:
            if platform == COVERMANAGER:
                return self._cm.handle(req, sw)
            if platform == RESTOO:
                return self._restoo.handle(req, sw)
            if req.path == "/" and req.method == "GET":
                return json_response(
                    200,
                    {
                        "service": "prima sandbox",
                        "covermanager": covermanager.PREFIX,
                        "restoo": restoo.PREFIX,
                    },
                )
            return json_response(404, {"message": "Not Found"})
        except Exception:  # a simulator bug: answer like a crashing server, and say so
            traceback.print_exc(file=sys.stderr)
            return _error_body(platform, 500, "Internal Server Error")

    def _apply(self, rule: FaultRule, platform: str | None, processed: Response | None) -> Outcome:
        kind = rule.kind
        if kind == "reset":
            return Outcome(None, "reset")
        if kind == "hang":
            seconds = rule.seconds if rule.seconds is not None else self.config.default_hang_seconds
            self.stopping.wait(seconds)
            return Outcome(None, "close")
        if kind == "malformed":
            body = processed.body if processed is not None else b'{"resp":1,"data":{"items":[1,2'
            return Outcome(
                Response(200, body[: max(1, len(body) // 2)], {"Content-Type": "application/json"})
            )
        if kind == "html":
            code = rule.status or 502
            page = _HTML_PAGE.format(code=code, reason=_REASONS.get(code, "Error")).encode()
            return Outcome(Response(code, page, {"Content-Type": "text/html"}))
        code = int(kind)
        retry_after = (
            rule.retry_after if rule.retry_after is not None else 1 if code == 429 else None
        )
        response = _error_body(platform, code, _REASONS[code])
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return Outcome(response)

    def _record(
        self, req: Request, platform: str | None, outcome: Outcome, rule: FaultRule | None
    ) -> None:
        path = req.path.replace(self.state.seed.cm_key, "***")
        status = outcome.response.status if outcome.response is not None else None
        record = RequestRecord(req.method, path, status, platform, rule.kind if rule else None)
        with self._log_lock:
            self._log.append(record)
        if self.config.log_requests:
            fault = f" [fault {rule.kind}]" if rule else ""
            shown = status if status is not None else "no response"
            print(f"{req.method} {path} -> {shown}{fault}", file=sys.stderr, flush=True)


def platform_of(path: str) -> str | None:
    """Which platform a path belongs to, by prefix."""
    for prefix, platform in ((covermanager.PREFIX, COVERMANAGER), (restoo.PREFIX, RESTOO)):
        if path == prefix or path.startswith(prefix + "/"):
            return platform
    return None


def _error_body(platform: str | None, status: int, text: str) -> Response:
    if platform == COVERMANAGER:
        return json_response(status, {"resp": 0, "error": text})
    return json_response(status, {"message": text})
