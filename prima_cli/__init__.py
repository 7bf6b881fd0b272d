"""prima: connect restaurant venues to external booking platforms."""

__version__ = "0.1.0"
#: what `prima --version` prints (the fast path in ``cli.main.run`` and the option alike)
VERSION_LINE = f"prima {__version__}"
