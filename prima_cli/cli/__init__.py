"""The command line: Typer commands that parse options, call ``core`` and render."""
