"""CoverManager and Restoo through the conformance kit a third-party adapter uses
(prima_cli.testing): the same contract tests, against a stub of each platform's answers."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from prima_cli.platforms.covermanager import CoverManagerAdapter
from prima_cli.platforms.restoo import RestooAdapter
from prima_cli.testing import AdapterContract, Endpoint, Reply
from tests.platforms.adapter_support import CM_BASE, CM_KEY, RESTOO_BASE, RESTOO_KEY

UUID = "3f2b8c1e-9a4d-4e5f-8b6a-0c1d2e3f4a5b"


class TestCoverManagerConformance(AdapterContract):
    adapter_class = CoverManagerAdapter
    config: ClassVar = {"restaurant_id": "prima-test", "api_key": CM_KEY, "base_url": CM_BASE}
    endpoints = (
        Endpoint(
            "auth",
            "GET",
            r"/restaurant/list/",
            ok=Reply(json={"resp": 1, "restaurants": [{"restaurant": "prima-test"}]}),
            refused=Reply(json={"resp": 0, "error": "Invalid api key"}),
        ),
        Endpoint(
            "availability",
            "POST",
            r"/reserv/availability$",
            ok=Reply(
                json={
                    "resp": 1,
                    "availability": {
                        "people": {"4": {"20:00": {"discount": False}, "20:30": {}}, "2": {}}
                    },
                }
            ),
        ),
        Endpoint(
            "create",
            "POST",
            r"/reserv/reserv$",
            ok=Reply(json={"resp": 1, "id_reserv": "cm-555", "status": "1"}),
            rejected=Reply(json={"resp": 0, "error": "El email no es válido"}),
            full=Reply(json={"resp": 0, "error": "No hay disponibilidad para esa hora"}),
        ),
        Endpoint("cancel", "POST", r"/reserv/cancel_client$", ok=Reply(json={"resp": 1})),
    )
    expected_slots = (dt.time(20, 0), dt.time(20, 30))
    expected_external_id = "cm-555"


class TestRestooConformance(AdapterContract):
    adapter_class = RestooAdapter
    config: ClassVar = {"account": "casa-pepe", "api_key": RESTOO_KEY, "base_url": RESTOO_BASE}
    endpoints = (
        Endpoint(
            "auth",
            "GET",
            r"/partners/[^/]+/v3/status$",
            ok=Reply(json={"status": "ok"}),
            refused=Reply(401, json={"error": "invalid credentials"}),
        ),
        Endpoint(
            "availability",
            "GET",
            r"/partners/[^/]+/v3/availability$",
            ok=Reply(
                json={
                    "availability": [
                        {"bookingAt": "2031-03-14T20:00:00+01:00", "pax": 4},
                        {"bookingAt": "2031-03-14T20:30:00+01:00", "pax": 4},
                        {"bookingAt": "2031-03-14T21:00:00+01:00", "pax": 4, "available": False},
                    ]
                }
            ),
        ),
        Endpoint(
            "create",
            "POST",
            r"/api/[^/]+/v3/booking$",
            ok=Reply(201, json={"uuid": UUID, "status": "CONFIRMED"}),
            rejected=Reply(422, json={"error": "customer email is invalid"}),
            full=Reply(409, json={"message": "Sin disponibilidad a esa hora"}),
        ),
        Endpoint(
            "cancel",
            "POST",
            r"/api/[^/]+/v3/booking/[^/]+/cancel$",
            ok=Reply(json={"status": "CANCELLED"}),
        ),
    )
    expected_slots = (dt.time(20, 0), dt.time(20, 30))
    expected_external_id = UUID
