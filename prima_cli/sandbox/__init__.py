"""A local simulator of CoverManager and Restoo over real HTTP (issue 4).

Usage::

    from prima_cli.sandbox import Sandbox, SandboxConfig, parse_fault

    with Sandbox(SandboxConfig(seed=0, faults=["reset:covermanager:reserv/reserv:times=1"])) as sb:
        creds = sb.credentials()  # keys, restaurants, accounts, base URLs
        sb.covermanager_base_url  # http://127.0.0.1:PORT/covermanager/api
        sb.restoo_base_url  # http://127.0.0.1:PORT/restoo
        sb.inject("429:restoo::retry_after=2:times=1")
        sb.state.reservations()  # what the platforms hold

Not imported by ``prima --help``: import it lazily.
"""

from prima_cli.sandbox.app import RequestRecord
from prima_cli.sandbox.config import SandboxConfig, Switches
from prima_cli.sandbox.faults import KINDS as FAULT_KINDS
from prima_cli.sandbox.faults import FaultRule, parse_fault
from prima_cli.sandbox.runner import (
    CoverManagerCredentials,
    CoverManagerRestaurant,
    Credentials,
    RestooAccount,
    RestooCredentials,
    Sandbox,
)
from prima_cli.sandbox.state import Reservation, SandboxState

__all__ = [
    "FAULT_KINDS",
    "CoverManagerCredentials",
    "CoverManagerRestaurant",
    "Credentials",
    "FaultRule",
    "RequestRecord",
    "Reservation",
    "RestooAccount",
    "RestooCredentials",
    "Sandbox",
    "SandboxConfig",
    "SandboxState",
    "Switches",
    "parse_fault",
]
