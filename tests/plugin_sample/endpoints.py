"""The Tapas API as the conformance kit's stub describes it (shared by the kit test and the
end-to-end test through the `prima` executable)."""

from __future__ import annotations

from prima_cli.testing import Endpoint, Reply

API_KEY = "tapas-key-0c9b7e51a3"
ENDPOINTS = (
    Endpoint(
        "auth",
        "GET",
        r"/v1/account$",
        ok=Reply(json={"account": "casa-pepe"}),
        refused=Reply(401, json={"error": "unknown key"}),
    ),
    Endpoint(
        "availability", "GET", r"/v1/availability$", ok=Reply(json={"times": ["20:00", "20:30"]})
    ),
    Endpoint(
        "create",
        "POST",
        r"/v1/bookings$",
        ok=Reply(201, json={"id": "tb-1", "state": "confirmed"}),
        rejected=Reply(422, json={"error": "email refused"}),
        full=Reply(409, json={"error": "fully booked at that time"}),
    ),
    Endpoint(
        "cancel", "POST", r"/v1/bookings/[^/]+/cancel$", ok=Reply(json={"state": "cancelled"})
    ),
)
