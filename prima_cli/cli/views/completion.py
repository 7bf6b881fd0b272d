"""How a completion script looks: the script itself, as it is."""

from __future__ import annotations

from prima_cli.cli.render import View

#: `prima completion SHELL`
SCRIPT: View[str] = View(json=lambda script: script, text=lambda script: [script])
