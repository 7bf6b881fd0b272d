"""The conformance kit for platform adapters (public; needs pytest).

In a plugin's tests::

    from prima_cli.testing import AdapterContract, Endpoint, Reply

    class TestMyPlatform(AdapterContract):
        adapter_class = MyPlatformAdapter
        config: ClassVar = {"base_url": "https://api.example.test", "api_key": "key-123456"}
        endpoints = (
            Endpoint("auth", "GET", r"/me$", ok=Reply(json={"ok": True}),
                     refused=Reply(401, json={"error": "bad key"})),
            ...
        )

and pytest runs every contract test against the adapter, through an ``httpx.MockTransport``
(no network). :class:`StubServer` serves the same description over loopback HTTP for tests
that drive the ``prima`` executable.
"""

from prima_cli.testing.contract import DEFAULT_BOOKING, AdapterContract, Outcome
from prima_cli.testing.faults import Fault
from prima_cli.testing.server import StubServer
from prima_cli.testing.stub import OPERATIONS, Answer, Endpoint, PlatformStub, Reply

__all__ = [
    "DEFAULT_BOOKING",
    "OPERATIONS",
    "AdapterContract",
    "Answer",
    "Endpoint",
    "Fault",
    "Outcome",
    "PlatformStub",
    "Reply",
    "StubServer",
]
