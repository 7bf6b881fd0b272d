"""The sample plugin's own tests, as its author writes them: the conformance kit."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from prima_cli.testing import AdapterContract
from tests.plugin_sample.endpoints import API_KEY, ENDPOINTS
from tests.plugin_sample.prima_tapas import TapasAdapter


class TestTapasConformance(AdapterContract):
    adapter_class = TapasAdapter
    config: ClassVar = {"base_url": "https://tapas.test", "api_key": API_KEY}
    endpoints = ENDPOINTS
    expected_slots = (dt.time(20, 0), dt.time(20, 30))
    expected_external_id = "tb-1"
