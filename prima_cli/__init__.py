"""prima: connect restaurant venues to external booking platforms."""

__version__ = "0.1.0"
