"""Booking platform adapters, their contract and the registry (entry point group)."""
