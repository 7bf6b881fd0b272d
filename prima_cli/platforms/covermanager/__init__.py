"""CoverManager (``covermanager``): the adapter and how its answers are read."""

from prima_cli.platforms.covermanager.adapter import CoverManagerAdapter
from prima_cli.platforms.covermanager.parsing import STATUS_CODES, status_from_code

__all__ = ["STATUS_CODES", "CoverManagerAdapter", "status_from_code"]
